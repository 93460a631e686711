/* Small helpers shared by several modules. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cmpd.h"

/* Lower-case hex of at most (outlen - 1) / 2 bytes, always terminated. */
void
util_hex(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	if (outlen == 0)
		return;
	for (i = 0; i < n && 2 * i + 2 < outlen; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * i] = '\0';
}

/*
 * Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer. Sets errno (EFBIG when over max) and returns -1 on failure.
 */
int
util_read_file(const char *path, size_t max, unsigned char **buf, size_t *len)
{
	unsigned char *b = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, r = -1, saved;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		goto out;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	while (got < (size_t)st.st_size) {
		n = read(fd, b + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto out;
		}
		got += (size_t)n;
	}
	b[got] = '\0';
	*buf = b;
	*len = got;
	b = NULL;
	r = 0;
 out:
	saved = errno;
	free(b);
	close(fd);
	errno = saved;
	return r;
}

double
util_elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1000.0 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

int
util_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Index of s in names[0..n), compared with or without case; -1 if absent. */
int
util_name_index(const char *const *names, size_t n, const char *s, int icase)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((icase ? strcasecmp(s, names[i]) : strcmp(s, names[i])) == 0)
			return (int)i;
	return -1;
}

/* A random (version 4) UUID, RFC 9562 5.4. */
int
util_uuid4(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/*
 * A listening Unix socket at path (shared with cmp-localca). A stale
 * socket of an earlier run is replaced; a live one belongs to a running
 * server, and anything else is not ours to remove.
 */
int
util_listen_unix(const char *path, int mode, int backlog)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatal("listen %s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket: %s", strerror(errno));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatal("listen %s: exists and is not a socket", path);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			fatal("listen %s: another process is listening there",
			    path);
		unlink(path);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s: %s", path, strerror(errno));
	if (chmod(path, (mode_t)mode) == -1)
		fatal("chmod %s: %s", path, strerror(errno));
	if (listen(fd, backlog) == -1)
		fatal("listen %s: %s", path, strerror(errno));
	return fd;
}

/*
 * Detaches from the terminal (daemon mode of cmpd and cmp-localca). fd 0
 * stays when it is the inherited listening socket; the rest goes to
 * /dev/null. Configured paths are absolute, so chdir("/") changes nothing
 * they name.
 */
void
util_detach(int listen_fd)
{
	int fd;

	if (daemon(0, 1) == -1)
		fatal("daemon: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null: %s", strerror(errno));
	if (listen_fd != STDIN_FILENO)
		dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Writes this process' id to path; 0 when path is NULL. */
int
util_write_pid(const char *path)
{
	FILE *f;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "w")) == NULL) {
		log_error("pid_file %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}
