/*
 * cmp-localca: a root CA key rollover (RFC 9810 4.4) and the connector
 * call that hands it out.
 *
 * `cmp-localca -R old-root.key` takes the root of the CA's chain (the
 * last certificate of chain.pem, or ca.crt when that is self-signed) and
 * its private key, makes a new root key of the same kind and writes
 * ca_dir/rootupdate/:
 *   newroot.key     the new root key (mode 600)
 *   newwithnew.pem  the new root certificate, self-signed, same subject
 *   newwithold.pem  the new root key certified by the old root key
 *   oldwithnew.pem  the old root key certified by the new root key
 * The issuing CA (ca.key, ca.crt) stays as it is: it is still certified
 * by the old root until the operator re-certifies it. The directory is
 * written aside and renamed into place, so the connector call never
 * sees half of it; a second rollover is refused while it exists.
 *
 * POST .../v1/authorityProvider/authorities/{uuid}/rootCaKeyUpdate reads
 * the three certificates at each call (no restart needed).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "localca.h"

#define ROOT_DIR		"rootupdate"
#define ROOT_VALIDITY_DAYS	3650
#define ROOT_SKEW		300

static const char *const root_files[] = {
	"newwithnew.pem", "newwithold.pem", "oldwithnew.pem",
};

static const char *
root_ssl_reason(void)
{
	const char *s = ERR_reason_error_string(ERR_peek_last_error());

	return s != NULL ? s : "unknown error";
}

/* A key of the same kind as old: the same curve, or as many RSA bits. */
static EVP_PKEY *
root_new_key(EVP_PKEY *old, const EVP_MD **md)
{
	char group[64];

	switch (EVP_PKEY_get_base_id(old)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(old, group, sizeof(group),
		    NULL) != 1)
			return NULL;
		*md = OBJ_txt2nid(group) == NID_secp384r1 ? EVP_sha384() :
		    EVP_sha256();
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	case EVP_PKEY_RSA:
		*md = EVP_sha256();
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)EVP_PKEY_get_bits(old));
	default:
		return NULL;
	}
}

static int
root_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e;
	int ok;

	if ((e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/*
 * A CA certificate for pub with subject name, issued by issuer (its name
 * and key identifier; NULL: self-issued) and signed with sign_key.
 */
X509 *
lca_root_cert(const X509_NAME *name, EVP_PKEY *pub, X509 *issuer,
    EVP_PKEY *sign_key, const EVP_MD *md, time_t from, time_t to)
{
	unsigned char serial[16];
	X509V3_CTX ctx;
	BIGNUM *bn = NULL;
	X509 *x = NULL;
	int ok = 0;

	if ((x = X509_new()) == NULL ||
	    RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	serial[0] |= 0x40;		/* positive, 16 octets */
	if (!X509_set_version(x, X509_VERSION_3) ||
	    (bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, name) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, 0, &from) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, 0, &to) == NULL ||
	    !X509_set_pubkey(x, pub))
		goto out;
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	/* RFC 5280 4.2.1.9, 4.2.1.3, 4.2.1.2, 4.2.1.1 */
	if (root_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE") != 0 ||
	    root_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign") !=
	    0 || root_ext(x, &ctx, NID_subject_key_identifier, "hash") != 0 ||
	    root_ext(x, &ctx, NID_authority_key_identifier, "keyid") !=
	    0)
		goto out;
	if (X509_sign(x, sign_key, md) <= 0)
		goto out;
	ok = 1;
 out:
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

int
lca_root_write(const char *dir, const char *file, X509 *x, EVP_PKEY *key,
    char *err, size_t errlen)
{
	char path[PATH_MAX];
	FILE *f;
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	/* A key is 0600 from its creation on, never readable in between;
	 * nothing that exists (a file, a link) is written through. */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, key != NULL ? 0600 : 0644)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1) {
			close(fd);
			unlink(path);
		}
		return -1;
	}
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_X509(f, x);
	if (fclose(f) != 0 || !ok) {
		snprintf(err, errlen, "%s: cannot write", path);
		unlink(path);	/* no half file for the next try to trip on */
		return -1;
	}
	return 0;
}

int
lca_root_rollover(const struct lca_conf *c, const struct lca_ca *ca,
    const char *key_path, char *err, size_t errlen)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	EVP_PKEY *old_key = NULL, *new_key = NULL;
	X509 *old, *nwn = NULL, *nwo = NULL, *own = NULL;
	const EVP_MD *md = NULL;
	struct stat st;
	time_t now = time(NULL), from, until;
	FILE *f;
	int r = -1;

	err[0] = '\0';
	snprintf(dir, sizeof(dir), "%s/" ROOT_DIR, c->ca_dir);
	snprintf(tmp, sizeof(tmp), "%s/" ROOT_DIR ".new", c->ca_dir);
	if (stat(dir, &st) == 0) {
		snprintf(err, errlen, "%s exists: the root was rolled over "
		    "already", dir);
		return -1;
	}
	old = sk_X509_num(ca->chain) > 0 ?
	    sk_X509_value(ca->chain, sk_X509_num(ca->chain) - 1) : ca->cert;
	if (X509_check_issued(old, old) != X509_V_OK) {
		snprintf(err, errlen, "the CA's chain does not end in a "
		    "self-signed root");
		goto out;
	}
	if ((f = fopen(key_path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", key_path, strerror(errno));
		goto out;
	}
	old_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (old_key == NULL || X509_check_private_key(old, old_key) != 1) {
		snprintf(err, errlen, "%s is not the root's private key",
		    key_path);
		goto out;
	}
	if ((new_key = root_new_key(old_key, &md)) == NULL) {
		snprintf(err, errlen, "cannot make a new root key like the "
		    "old (RSA or EC): %s", root_ssl_reason());
		goto out;
	}
	/* RFC 9810 4.4: the link certificates live as long as the old
	 * root; the new root as long as a root does here. */
	from = now - ROOT_SKEW;
	until = now + (time_t)ROOT_VALIDITY_DAYS * 86400;
	{
		struct tm tm;

		if (ASN1_TIME_to_tm(X509_get0_notAfter(old), &tm) != 1) {
			snprintf(err, errlen, "the old root has a bad notAfter");
			goto out;
		}
		/* newWithOld and oldWithNew end with the old root */
		if ((nwn = lca_root_cert(X509_get_subject_name(old),
		    new_key, NULL, new_key, md, from, until)) == NULL ||
		    (nwo = lca_root_cert(X509_get_subject_name(old),
		    new_key, old, old_key, md, from, timegm(&tm))) == NULL ||
		    (own = lca_root_cert(X509_get_subject_name(old),
		    old_key, nwn, new_key, md, from, timegm(&tm))) == NULL) {
			snprintf(err, errlen, "cannot make the certificates: "
			    "%s", root_ssl_reason());
			goto out;
		}
	}
	/* Read by the service at each call, as its user (root runs -R,
	 * for the old root's key): the group of ca_dir, which --init-ca
	 * gives the service's user; the new root's key stays root's. */
	if (mkdir(tmp, 0750) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (stat(c->ca_dir, &st) != 0 ||
	    chown(tmp, (uid_t)-1, st.st_gid) != 0 || chmod(tmp, 0750) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		(void)rmdir(tmp);
		goto out;
	}
	if (lca_root_write(tmp, "newroot.key", NULL, new_key, err,
	    errlen) != 0 ||
	    lca_root_write(tmp, root_files[0], nwn, NULL, err, errlen) != 0 ||
	    lca_root_write(tmp, root_files[1], nwo, NULL, err, errlen) != 0 ||
	    lca_root_write(tmp, root_files[2], own, NULL, err, errlen) != 0)
		goto out;
	if (rename(tmp, dir) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	r = 0;
 out:
	ERR_clear_error();
	EVP_PKEY_free(old_key);
	EVP_PKEY_free(new_key);
	X509_free(nwn);
	X509_free(nwo);
	X509_free(own);
	return r;
}

/*
 * {raProfileAttributes} -> {newWithNew: {certificateData}, newWithOld:
 * {...}, oldWithNew: {...}} (oldWithNew only while its file is there),
 * or {} before any rollover.
 */
int
lca_h_root_update(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "raProfileAttributes" };
	static const char *const keys[] = {
		"newWithNew", "newWithOld", "oldWithNew",
	};
	char path[PATH_MAX];
	unsigned char *der = NULL;
	json_object *o = NULL, *c;
	X509 *x = NULL;
	FILE *f;
	size_t i;
	int len, r = -1;

	lca_delay(h->conf->ca_delay_ms);

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0)
		return -1;
	if ((o = json_object_new_object()) == NULL) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	for (i = 0; i < NITEMS(root_files); i++) {
		snprintf(path, sizeof(path), "%s/" ROOT_DIR "/%s",
		    h->conf->ca_dir, root_files[i]);
		if ((f = fopen(path, "r")) == NULL) {
			if (errno == ENOENT && i == 0)
				break;	/* no rollover */
			/* oldWithNew is optional (RFC 9483 4.3.2): an
			 * operator may leave it out */
			if (errno == ENOENT && i == NITEMS(root_files) - 1)
				break;
			log_error("%s: %s", path, strerror(errno));
			lca_fail(e, 500, "the root CA key update is unreadable");
			goto out;
		}
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		if (x == NULL || (len = i2d_X509(x, &der)) <= 0) {
			log_error("%s: not a PEM certificate", path);
			lca_fail(e, 500, "the root CA key update is unreadable");
			goto out;
		}
		if ((c = json_object_new_object()) == NULL ||
		    lca_json_add(o, keys[i], c) != 0 ||
		    lca_json_add(c, "certificateData", lca_b64_json(der,
		    len)) != 0) {
			lca_fail(e, 500, "out of memory");
			goto out;
		}
		OPENSSL_free(der);
		der = NULL;
		X509_free(x);
		x = NULL;
	}
	snprintf(h->detail, sizeof(h->detail), " update=%s",
	    i == 0 ? "none" : "yes");
	*out = o;
	o = NULL;
	r = 0;
 out:
	ERR_clear_error();
	OPENSSL_free(der);
	X509_free(x);
	json_object_put(o);
	return r;
}
