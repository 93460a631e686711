/*
 * fixture.c - the fuzz targets' access to the test PKI in t/fixtures and
 * their fixed secret key.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "fuzz.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

/* A fixed key, as secret_key_file holds it: fuzzing needs no secrecy. */
#define FUZZ_SECRET_KEY \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"

const char *
fuzz_srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d != NULL && d[0] != '\0' ? d : FUZZ_SRCDIR;
}

void
fuzz_read(const char *rel, unsigned char **buf, size_t *len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", fuzz_srcdir(), rel);
	if (util_read_file(path, 1024 * 1024, buf, len) != 0) {
		fprintf(stderr, "fuzz: cannot read %s (set top_srcdir)\n", path);
		abort();
	}
}

X509 *
fuzz_cert(const char *rel)
{
	unsigned char *buf;
	size_t len;
	BIO *b;
	X509 *x;

	fuzz_read(rel, &buf, &len);
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "fuzz: %s is not a PEM certificate\n", rel);
		abort();
	}
	BIO_free(b);
	free(buf);
	return x;
}

EVP_PKEY *
fuzz_key(const char *rel)
{
	unsigned char *buf;
	size_t len;
	BIO *b;
	EVP_PKEY *k;

	fuzz_read(rel, &buf, &len);
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "fuzz: %s is not a PEM private key\n", rel);
		abort();
	}
	BIO_free(b);
	OPENSSL_clear_free(buf, len);
	return k;
}

unsigned char *
fuzz_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_X509(x, &der)) <= 0)
		abort();
	*len = (size_t)n;
	return der;
}

/* Errors only; FUZZ_DEBUG=1 logs everything the code under test says. */
void
fuzz_quiet(void)
{
	const char *d = getenv("FUZZ_DEBUG");

	log_init("cmpd-fuzz", 1, 0);
	log_set_level(d != NULL && strcmp(d, "1") == 0 ? LOG_LVL_DEBUG :
	    LOG_LVL_ERROR);
}

/* secret.c reads its key from a file: a temporary one, gone at once. */
void
fuzz_secret_init(struct conf *c)
{
	char path[] = "/tmp/cmpd-fuzz-key.XXXXXX";
	int fd;

	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, FUZZ_SECRET_KEY, strlen(FUZZ_SECRET_KEY)) !=
	    (ssize_t)strlen(FUZZ_SECRET_KEY) || close(fd) != 0) {
		perror("fuzz: secret key file");
		abort();
	}
	free(c->secret_key_file);
	if ((c->secret_key_file = strdup(path)) == NULL ||
	    secret_init(c) != 0 || !secret_available()) {
		fprintf(stderr, "fuzz: secret_init failed\n");
		abort();
	}
	unlink(path);
}
