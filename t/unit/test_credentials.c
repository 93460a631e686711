/*
 * credentials.c: PEM from the management API and the command line. An
 * encrypted private key is refused, never answered with a passphrase
 * prompt on the controlling terminal (a worker of a cmpd run in the
 * foreground would wait there for ever).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cmpd.h"
#include "tap.h"

#define WAIT_MS	5000

/* A fresh EC key and a self-signed certificate for it, as PEM. */
static char *
make_pem(const EVP_CIPHER *enc, int with_cert, size_t *len)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	if (k == NULL || x == NULL || b == NULL ||
	    !PEM_write_bio_PrivateKey(b, k, enc, enc != NULL ?
	    (unsigned char *)"secret" : NULL, enc != NULL ? 6 : 0, NULL,
	    NULL))
		abort();
	if (with_cert &&
	    (!ASN1_INTEGER_set(X509_get_serialNumber(x), 1) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"t", -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL ||
	    !X509_set_pubkey(x, k) || !X509_sign(x, k, EVP_sha256()) ||
	    !PEM_write_bio_X509(b, x)))
		abort();
	n = BIO_get_mem_data(b, &p);
	if ((out = malloc((size_t)n + 1)) == NULL)
		abort();
	memcpy(out, p, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

static int
parse(int which, const char *pem, size_t len)
{
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *k = NULL;
	char err[256];
	int r;

	if (which == 0)
		r = cred_parse_key(pem, len, &k);
	else
		r = cred_parse_pem(pem, len, &k, &certs, err, sizeof(err));
	EVP_PKEY_free(k);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

/*
 * Parses in a child whose controlling terminal is a new pseudo-terminal.
 * Returns its result (0 or -1), or -2 when it was still waiting after
 * WAIT_MS; what it wrote on the terminal goes into tty.
 */
static int
parse_on_tty(int which, const char *pem, size_t len, char *tty, size_t ttylen)
{
	struct pollfd pfd;
	struct timespec t0, t1;
	char slave[128];
	size_t used = 0;
	ssize_t n;
	pid_t pid;
	int m, s, st, r = -2;

	tty[0] = '\0';
	if ((m = posix_openpt(O_RDWR | O_NOCTTY)) == -1 || grantpt(m) != 0 ||
	    unlockpt(m) != 0 || ptsname_r(m, slave, sizeof(slave)) != 0)
		return -3;
	if ((pid = fork()) == -1)
		return -3;
	if (pid == 0) {
		close(m);
		/* a new session: the first terminal opened becomes its
		 * controlling terminal, the /dev/tty OpenSSL would ask on */
		if (setsid() == -1 || (s = open(slave, O_RDWR)) == -1)
			_exit(3);
		(void)s;
		alarm(30);
		_exit(parse(which, pem, len) == 0 ? 0 : 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 :
			    WIFEXITED(st) && WEXITSTATUS(st) == 1 ? -1 : -3;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if ((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000 > WAIT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		pfd.fd = m;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) == 1 && used + 1 < ttylen &&
		    (n = read(m, tty + used, ttylen - used - 1)) > 0) {
			used += (size_t)n;
			tty[used] = '\0';
		}
	}
	close(m);
	return r;
}

int
main(void)
{
	char *plain, *enc, *plain_key, *enc_key, tty[512];
	size_t plain_len, enc_len, pk_len, ek_len;
	int r;

	plain = make_pem(NULL, 1, &plain_len);
	enc = make_pem(EVP_aes_128_cbc(), 1, &enc_len);
	plain_key = make_pem(NULL, 0, &pk_len);
	enc_key = make_pem(EVP_aes_128_cbc(), 0, &ek_len);

	ok(parse(1, plain, plain_len) == 0, "key and certificate: parsed");
	ok(parse(0, plain_key, pk_len) == 0, "a key alone: parsed");
	ok(parse(0, "junk", 4) == -1, "no PEM: refused");

	r = parse_on_tty(1, enc, enc_len, tty, sizeof(tty));
	ok(r == -1, "encrypted key with its certificate: refused at once "
	    "(%s)", r == -2 ? "still waiting" : r == -3 ? "no pty or crash" :
	    "answered");
	ok(strstr(tty, "pass phrase") == NULL, "and nothing asked on the "
	    "terminal (\"%s\")", tty);
	r = parse_on_tty(0, enc_key, ek_len, tty, sizeof(tty));
	ok(r == -1, "encrypted key alone (a connector's privateKey): "
	    "refused at once (%s)", r == -2 ? "still waiting" :
	    r == -3 ? "no pty or crash" : "answered");
	ok(strstr(tty, "pass phrase") == NULL, "and nothing asked on the "
	    "terminal (\"%s\")", tty);
	r = parse_on_tty(0, plain_key, pk_len, tty, sizeof(tty));
	ok(r == 0, "the check works: an unencrypted key parses on a tty");

	free(plain);
	free(enc);
	free(plain_key);
	free(enc_key);
	return done_testing();
}
