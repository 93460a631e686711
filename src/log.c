/*
 * Logging: to log_file when one is set, else stderr in the foreground and
 * syslog otherwise (CONVENTIONS 8). Errors and debug lines carry the
 * function name, like OpenSSH's error_f. log_reopen() opens log_file
 * again after logrotate moved it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cmpd.h"

static int log_foreground = 1;
static int log_fd = -1;			/* log_file, or -1 */
static char *log_path;
static enum log_level log_level = LOG_LVL_INFO;
static const char *log_ident = "cmpd";
static pid_t log_pid;			/* this process's, 0 after a fork */

static const struct {
	const char *name;
	int	 value;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "user", LOG_USER }, { "auth", LOG_AUTH },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

static const char *const level_names[] = { "error", "warn", "info", "debug" };

/* A forked child asks for its own pid at its first line. */
static void
log_forked(void)
{
	log_pid = 0;
}

void
log_init(const char *ident, int foreground, int facility)
{
	log_ident = ident;
	log_foreground = foreground;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

/* Lines go to file path from now on (appended, created 0640; a regular
 * file of one name only, util_open_write). */
int
log_open_file(const char *path)
{
	char *dup;
	int fd;

	if ((fd = util_open_write(path, 0640, 0)) == -1)
		return -1;
	if ((dup = strdup(path)) == NULL) {
		close(fd);
		return -1;
	}
	if (log_fd != -1)
		close(log_fd);
	free(log_path);
	log_fd = fd;
	log_path = dup;
	return 0;
}

/* log_file again (logrotate moved it); the old one stays on failure. */
void
log_reopen(void)
{
	char *path;

	if (log_path == NULL)
		return;
	if ((path = strdup(log_path)) == NULL)
		return;
	if (log_open_file(path) != 0)
		log_error("cannot reopen log_file %s: %s", path,
		    util_open_write_error(errno));
	free(path);
}

void
log_set_level(enum log_level l)
{
	log_level = l;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	int i;

	if ((i = util_name_index(level_names, NITEMS(level_names), s, 1)) < 0)
		return -1;
	*out = (enum log_level)i;
	return 0;
}

int
log_facility_parse(const char *s, int *out)
{
	size_t i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcasecmp(s, facilities[i].name) == 0) {
			*out = facilities[i].value;
			return 0;
		}
	}
	return -1;
}

static void
log_vmsg(enum log_level l, const char *func, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char msg[2048], line[2304];
	struct timespec ts;
	struct tm tm;
	char when[32];
	ssize_t off, w;
	int n;

	if (l > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!log_foreground && log_fd == -1) {
		if (func != NULL)
			syslog(prio[l], "%s: %s", func, msg);
		else
			syslog(prio[l], "%s", msg);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (log_pid == 0) {
		static int atfork_set;

		if (!atfork_set && pthread_atfork(NULL, NULL, log_forked) == 0)
			atfork_set = 1;
		log_pid = getpid();
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One write(2) per line, so that lines of several workers do not
	 * interleave (O_APPEND for log_file; a write cut short, which a
	 * regular file does not do, is continued); a line too long for the
	 * buffer is cut and still ends with its newline. */
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s[%ld] %s: %s%s%s\n",
	    when, ts.tv_nsec / 1000000, log_ident, (long)log_pid,
	    level_names[l], func != NULL ? func : "",
	    func != NULL ? ": " : "", msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	for (off = 0; off < n; off += w)
		if ((w = write(log_fd != -1 ? log_fd : STDERR_FILENO,
		    line + off, (size_t)(n - off))) == -1) {
			if (errno != EINTR)
				return;		/* nowhere left to say so */
			w = 0;
		}
}

void
log_msg(enum log_level l, const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(l, func, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
