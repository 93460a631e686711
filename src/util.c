/* Small helpers shared by several modules. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"

/*
 * A value as one field of the log line: as it is, or, when it holds a
 * space, a double quote, a backslash or '=' (a REMOTE_USER may), in
 * double quotes with those two escaped by a backslash, so that it cannot
 * pass for other fields.
 */
const char *
util_log_field(const char *v, char *buf, size_t n)
{
	size_t i, o = 0;

	if (strcspn(v, " \"\\=") == strlen(v))
		return v;
	if (n < 3)
		return "-";
	buf[o++] = '"';
	for (i = 0; v[i] != '\0' && o + 3 < n; i++) {
		if (v[i] == '"' || v[i] == '\\')
			buf[o++] = '\\';
		buf[o++] = v[i];
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

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

/*
 * Opens path for writing (created with mode if missing), only as a regular
 * file of one name: not through a symbolic link, nor a FIFO or device,
 * nor a hard link to a file elsewhere. What a process that starts as
 * root writes in a directory its unprivileged user owns (log_file,
 * pid_file): that user could have put a link to any of root's files
 * there. trunc: emptied once found sound. -1 with errno (ELOOP for a
 * link; EINVAL for anything else that is not such a file).
 */
int
util_open_write(const char *path, mode_t mode, int trunc)
{
	struct stat st;
	int fd, saved;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, mode)) == -1) {
		if (errno == ENXIO)	/* a FIFO no one reads, a device */
			errno = EINVAL;
		return -1;
	}
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
		errno = EINVAL;
		goto fail;
	}
	if ((trunc && ftruncate(fd, 0) == -1) ||
	    fcntl(fd, F_SETFL, O_WRONLY | O_APPEND) == -1)
		goto fail;
	return fd;
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* What util_open_write's errno means, for a message. */
const char *
util_open_write_error(int err)
{
	if (err == ELOOP)
		return "a symbolic link: refused";
	if (err == EINVAL)
		return "not a regular file of one name: refused";
	return strerror(err);
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

static void
util_uuid_fmt(const unsigned char b[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
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
	util_uuid_fmt(b, out);
	return 0;
}

/*
 * A time-ordered (version 7) UUID, RFC 9562 5.7: the Unix time in
 * milliseconds (48 bits, big-endian), then 74 random bits. For the keys
 * of tables that grow with every enrolment: InnoDB keeps a table in the
 * order of its primary key, and a random key lands on a random page of
 * it, read from disk once the table outgrows the buffer pool; these land
 * at its end.
 */
int
util_uuid7(char out[37])
{
	unsigned char b[16];
	struct timespec ts;
	unsigned long long ms;
	int i;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 ||
	    RAND_bytes(b + 6, 10) != 1)
		return -1;
	ms = (unsigned long long)ts.tv_sec * 1000 +
	    (unsigned long long)ts.tv_nsec / 1000000;
	for (i = 5; i >= 0; i--) {
		b[i] = (unsigned char)(ms & 0xff);
		ms >>= 8;
	}
	b[6] = (b[6] & 0x0f) | 0x70;
	b[8] = (b[8] & 0x3f) | 0x80;
	util_uuid_fmt(b, out);
	return 0;
}

/* A new stack holding references to the CRLs of sk (NULL: an empty one). */
STACK_OF(X509_CRL) *
util_crls_up_ref(const STACK_OF(X509_CRL) *sk)
{
	STACK_OF(X509_CRL) *out;
	int i;

	out = sk != NULL ? sk_X509_CRL_dup(sk) : sk_X509_CRL_new_null();
	if (out == NULL)
		return NULL;
	for (i = 0; i < sk_X509_CRL_num(out); i++)
		X509_CRL_up_ref(sk_X509_CRL_value(out, i));
	return out;
}

/*
 * Is crl complete: of every reason, for the certificates of its own
 * issuer (RFC 5280 5.2.4, 5.2.5)? The only CRLs cmpd applies. Without
 * extended CRL support libcrypto 3.0 takes a delta CRL for a complete
 * one (an empty delta, later than its base, hides what the base
 * revokes), and passes over one partitioned by reasons or indirect,
 * which then reads as no CRL at all. 1, or 0 with why.
 */
int
util_crl_complete(const X509_CRL *crl, char *why, size_t whylen)
{
	ISSUING_DIST_POINT *idp;
	int crit = -1, ok = 1;

	if (X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0) {
		snprintf(why, whylen, "a delta CRL");
		return 0;
	}
	if ((idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point,
	    &crit, NULL)) == NULL) {
		/* -1: none; else one that does not decode, or two */
		if (crit == -1)
			return 1;
		snprintf(why, whylen, "a CRL whose issuingDistributionPoint "
		    "does not decode");
		return 0;
	}
	if (idp->onlysomereasons != NULL) {
		snprintf(why, whylen, "a CRL of some reasons only "
		    "(onlySomeReasons)");
		ok = 0;
	} else if (idp->indirectCRL) {
		snprintf(why, whylen, "an indirect CRL");
		ok = 0;
	} else if (idp->onlyattr) {
		snprintf(why, whylen, "a CRL of attribute certificates");
		ok = 0;
	}
	ISSUING_DIST_POINT_free(idp);
	return ok;
}

/* Is nid one of the n of list? */
int
util_nid_in(int nid, const int *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == nid)
			return 1;
	return 0;
}

/* Is every name of a one of b's (GENERAL_NAME_cmp: compared exactly)? */
int
util_names_within(const GENERAL_NAMES *a, const GENERAL_NAMES *b)
{
	int i, j, n = sk_GENERAL_NAME_num(b);

	for (i = 0; i < sk_GENERAL_NAME_num(a); i++) {
		for (j = 0; j < n; j++)
			if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(a, i),
			    sk_GENERAL_NAME_value(b, j)) == 0)
				break;
		if (j == n)
			return 0;
	}
	return 1;
}
