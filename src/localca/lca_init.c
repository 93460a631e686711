/*
 * cmp-localca: a new CA directory (`cmp-localca --init-ca`).
 *
 * Writes ca_dir/ca.key and ca.crt, and chain.pem when there is one:
 * either a new self-signed CA (EC P-256 by default, P-384, or RSA) with
 * the subject and validity asked for, or an existing CA's key and chain
 * (--import-key, --import-chain: the issuing CA certificate first, then
 * the ones above it up to the root). An existing CA is never
 * overwritten: the files are created exclusively, after a check that
 * none of them is there. What was written is loaded the way the server
 * loads it (lca_ca_load), and removed again when that fails, so that a
 * directory --init-ca leaves behind is one cmp-localca serves. ca.key is
 * its creator's alone (0600): run as root, cmp-localca reads it before it
 * switches to "user", which never can.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "localca.h"

#define INIT_SKEW	300		/* notBefore in the past: clock skew */

/* What --init-ca may create, in the order it is written. */
static const char *const init_files[] = { "ca.key", "ca.crt", "chain.pem" };

static const char *
init_ssl_reason(void)
{
	const char *s = ERR_reason_error_string(ERR_peek_last_error());

	return s != NULL ? s : "unknown error";
}

/* An encrypted key is refused: the server reads ca.key unattended. */
static int
init_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

/* Refuses a directory that holds any file of a CA already. */
static int
init_check_free(const char *dir, char *err, size_t errlen)
{
	static const char *const taken[] = {
		"ca.key", "ca.crt", "chain.pem", "rootupdate",
	};
	char path[PATH_MAX];
	struct stat st;
	size_t i;

	for (i = 0; i < NITEMS(taken); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, taken[i]);
		if (lstat(path, &st) == 0) {
			snprintf(err, errlen, "%s exists: %s holds a CA "
			    "already, not overwritten", path, dir);
			return -1;
		}
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* A new key: EC on curve (P-256, P-384) or RSA of bits. */
static EVP_PKEY *
init_new_key(const struct lca_init_opts *o, const EVP_MD **md, char *err,
    size_t errlen)
{
	EVP_PKEY *k = NULL;

	*md = EVP_sha256();
	if (strcmp(o->key_type, "rsa") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)o->rsa_bits);
	else {
		if (strcmp(o->curve, "P-384") == 0)
			*md = EVP_sha384();
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", o->curve);
	}
	if (k == NULL)
		snprintf(err, errlen, "cannot make the key: %s",
		    init_ssl_reason());
	return k;
}

/* --import-key and --import-chain: the key and the certificates. */
static int
init_import(const struct lca_init_opts *o, EVP_PKEY **key, X509 **cert,
    STACK_OF(X509) **chain, char *err, size_t errlen)
{
	BIO *bio = NULL;
	X509 *x;
	int r = -1;

	if ((bio = BIO_new_file(o->import_key, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", o->import_key, strerror(errno));
		goto out;
	}
	if ((*key = PEM_read_bio_PrivateKey(bio, NULL, init_no_passphrase,
	    NULL)) == NULL) {
		snprintf(err, errlen, "%s: not an unencrypted PEM private "
		    "key: %s", o->import_key, init_ssl_reason());
		goto out;
	}
	BIO_free(bio);
	if ((bio = BIO_new_file(o->import_chain, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", o->import_chain,
		    strerror(errno));
		goto out;
	}
	if ((*chain = sk_X509_new_null()) == NULL)
		goto out;
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, init_no_passphrase,
	    NULL)) != NULL) {
		if (sk_X509_num(*chain) >= 16 || !sk_X509_push(*chain, x)) {
			X509_free(x);
			snprintf(err, errlen, "%s: more than 16 certificates",
			    o->import_chain);
			goto out;
		}
	}
	/* the end of the file, or a block that does not decode: a chain
	 * cut short there would be imported without a word */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "%s: certificate %d does not decode",
		    o->import_chain, sk_X509_num(*chain) + 1);
		goto out;
	}
	ERR_clear_error();
	if (sk_X509_num(*chain) == 0) {
		snprintf(err, errlen, "%s: no PEM certificate",
		    o->import_chain);
		goto out;
	}
	*cert = sk_X509_shift(*chain);
	if (X509_check_private_key(*cert, *key) != 1) {
		snprintf(err, errlen, "%s does not match the first "
		    "certificate of %s (the issuing CA's comes first)",
		    o->import_key, o->import_chain);
		goto out;
	}
	r = 0;
 out:
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

static int
init_write_chain(const char *dir, STACK_OF(X509) *chain, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	FILE *f;
	int i, ok = 1;

	snprintf(path, sizeof(path), "%s/chain.pem", dir);
	if ((f = fopen(path, "wx")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < sk_X509_num(chain) && ok; i++)
		ok = PEM_write_X509(f, sk_X509_value(chain, i));
	if (fclose(f) != 0 || !ok) {
		snprintf(err, errlen, "%s: cannot write", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * A ca_dir made as root for "user": root:the user's group, so that the
 * server, once it is that user, reads ca_dir/rootupdate/ (the root CA key
 * update it answers with). ca.key in it stays root's alone (0600): the
 * server read it before the switch.
 */
static int
init_dir_owner(const struct lca_conf *c, char *err, size_t errlen)
{
	struct passwd *pw;

	if (c->user == NULL || geteuid() != 0)
		return 0;
	if ((pw = getpwnam(c->user)) == NULL) {
		snprintf(err, errlen, "user %s: unknown", c->user);
		return -1;
	}
	if (chown(c->ca_dir, 0, pw->pw_gid) != 0) {
		snprintf(err, errlen, "%s: %s", c->ca_dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void
init_summary(const struct lca_conf *c, const struct lca_ca *ca)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], *subject;
	BIO *out;

	subject = X509_NAME_oneline(X509_get_subject_name(ca->cert), NULL, 0);
	X509_digest(ca->cert, EVP_sha256(), md, &mdlen);
	util_hex(md, mdlen, hex, sizeof(hex));
	printf("cmp-localca: CA written to %s\n", c->ca_dir);
	printf("  subject:   %s\n", subject != NULL ? subject : "?");
	printf("  key:       %s, %d bits\n",
	    EVP_PKEY_get_base_id(ca->key) == EVP_PKEY_EC ? "EC" : "RSA",
	    EVP_PKEY_get_bits(ca->key));
	if ((out = BIO_new_fp(stdout, BIO_NOCLOSE)) != NULL) {
		BIO_puts(out, "  notAfter:  ");
		ASN1_TIME_print(out, X509_get0_notAfter(ca->cert));
		BIO_puts(out, "\n");
		BIO_free(out);
	}
	printf("  chain:     %d certificate%s above it\n",
	    sk_X509_num(ca->chain), sk_X509_num(ca->chain) == 1 ? "" : "s");
	printf("  SHA-256:   %s\n", hex);
	fflush(stdout);
	OPENSSL_free(subject);
}

int
lca_init_ca(const struct lca_conf *c, const struct lca_init_opts *o,
    char *err, size_t errlen)
{
	char path[PATH_MAX];
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	X509_NAME *name = NULL;
	STACK_OF(X509) *chain = NULL;
	const EVP_MD *md = NULL;
	struct lca_ca ca;
	time_t now = time(NULL), from, until;
	size_t i, written = 0;
	int made_dir = 0, r = -1;

	err[0] = '\0';
	memset(&ca, 0, sizeof(ca));
	if ((o->import_key == NULL) != (o->import_chain == NULL)) {
		snprintf(err, errlen, "--import-key and --import-chain go "
		    "together");
		return -1;
	}
	if (init_check_free(c->ca_dir, err, errlen) != 0)
		return -1;

	if (o->import_key != NULL) {
		if (init_import(o, &key, &cert, &chain, err, errlen) != 0)
			goto out;
	} else {
		if ((name = cmp_msg_parse_name(o->subject)) == NULL) {
			snprintf(err, errlen, "--subject %s: not a "
			    "distinguished name (\"CN=Example CA,O=Example\" "
			    "or \"/O=Example/CN=Example CA\")", o->subject);
			goto out;
		}
		if ((key = init_new_key(o, &md, err, errlen)) == NULL)
			goto out;
		from = now - INIT_SKEW;
		until = now + (time_t)o->days * 86400;
		if ((cert = lca_root_cert(name, key, NULL, key, md, from,
		    until)) == NULL) {
			snprintf(err, errlen, "cannot make the CA "
			    "certificate: %s", init_ssl_reason());
			goto out;
		}
	}

	if (mkdir(c->ca_dir, 0750) == 0)
		made_dir = 1;
	else if (errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", c->ca_dir, strerror(errno));
		goto out;
	}
	/* Exclusive creation: a CA that appeared meanwhile is kept. */
	if (lca_root_write(c->ca_dir, "ca.key", NULL, key, err, errlen) != 0)
		goto out;
	written = 1;
	if (lca_root_write(c->ca_dir, "ca.crt", cert, NULL, err, errlen) != 0)
		goto out;
	written = 2;
	if (sk_X509_num(chain) > 0) {
		if (init_write_chain(c->ca_dir, chain, err, errlen) != 0)
			goto out;
		written = 3;
	}
	if (made_dir && init_dir_owner(c, err, errlen) != 0)
		goto out;
	/* The server's own checks: key and certificate match, a CA
	 * certificate, each of the chain issued the one before. */
	if (lca_ca_load(&ca, c, err, errlen) != 0)
		goto out;
	init_summary(c, &ca);
	lca_ca_free(&ca);
	r = 0;
 out:
	if (r != 0) {
		/* Only the files this call wrote whole; one it could not
		 * create may be another's. */
		for (i = 0; i < written; i++) {
			snprintf(path, sizeof(path), "%s/%s", c->ca_dir,
			    init_files[i]);
			(void)unlink(path);
		}
		if (made_dir)
			(void)rmdir(c->ca_dir);
	}
	EVP_PKEY_free(key);
	X509_free(cert);
	X509_NAME_free(name);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return r;
}
