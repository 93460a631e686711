/*
 * log.c: one line per message, in one write, with its time, ident, pid,
 * level and function; a message too long for a line is cut and the line
 * still ends with its newline; messages above the level are dropped.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cmpd.h"
#include "tap.h"

/* The file at path into buf (NUL-terminated), its length in *n. */
static int
slurp(const char *path, char *buf, size_t size, size_t *n)
{
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	*n = fread(buf, 1, size - 1, f);
	buf[*n] = '\0';
	fclose(f);
	return 0;
}

int
main(void)
{
	char path[] = "/tmp/cmpd-test-log-XXXXXX", buf[8192], want[64];
	char *big, *nl, *second, ident[400];
	size_t n;
	int fd;

	if ((fd = mkstemp(path)) == -1 || (big = malloc(5000)) == NULL) {
		printf("Bail out! cannot make the log file\n");
		return 1;
	}
	close(fd);
	log_init("cmpd-test", 1, LOG_DAEMON);
	ok(log_open_file(path) == 0, "log file opened");
	log_set_level(LOG_LVL_INFO);
	log_warn("disk %d%% full", 91);
	log_debug("not at level info");
	memset(big, 'x', 4999);
	big[4999] = '\0';
	log_info("%s", big);
	if (slurp(path, buf, sizeof(buf), &n) != 0) {
		printf("Bail out! cannot read the log file\n");
		return 1;
	}

	nl = strchr(buf, '\n');
	ok(nl != NULL, "first line ends with a newline");
	snprintf(want, sizeof(want), "Z cmpd-test[%ld] warn: main: disk 91%% full",
	    (long)getpid());
	ok(nl != NULL && strncmp(buf + 23, want, strlen(want)) == 0 &&
	    buf + 23 + strlen(want) == nl, "time, ident, pid, level, function, "
	    "message: %.*s", nl != NULL ? (int)(nl - buf) : 0, buf);
	ok(buf[4] == '-' && buf[10] == 'T' && buf[19] == '.',
	    "ISO 8601 time with milliseconds");
	second = nl != NULL ? nl + 1 : buf;
	ok(strstr(buf, "not at level info") == NULL, "debug dropped at info");
	nl = strchr(second, '\n');
	ok(nl != NULL && nl[1] == '\0', "the long message: one line, then "
	    "nothing");
	ok(nl != NULL && strstr(second, " info: xxx") != NULL &&
	    (size_t)(nl - second) + 1 < 2400, "cut to the message's length "
	    "(%zu bytes)", nl != NULL ? (size_t)(nl - second) + 1 : 0);

	/* A line longer than its buffer (a long ident and message): cut to
	 * the buffer, still ending with its newline, in one write. */
	memset(ident, 'i', sizeof(ident) - 1);
	ident[sizeof(ident) - 1] = '\0';
	log_init(ident, 1, LOG_DAEMON);
	if (truncate(path, 0) != 0) {
		printf("Bail out! cannot empty the log file\n");
		return 1;
	}
	log_info("%s", big);
	if (slurp(path, buf, sizeof(buf), &n) != 0) {
		printf("Bail out! cannot read the log file\n");
		return 1;
	}
	unlink(path);
	is_int((int)n, 2303, "a line over the buffer: cut to 2303 bytes");
	ok(n > 0 && buf[n - 1] == '\n' && strchr(buf, '\n') == buf + n - 1,
	    "ending with its one newline");
	free(big);
	return done_testing();
}
