/*
 * The file-based CA: its key and certificates, certification requests
 * (CRMF, RFC 4211; PKCS#10, RFC 2986) and the certificates it issues
 * (RFC 5280 4). Its CRLs: lca_crl.c.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/asn1t.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "key_memo.h"
#include "keyless.h"
#include "localca.h"

#define LCA_CLOCK_SKEW	300	/* seconds notBefore lies in the past */
#define LCA_MIN_SECURITY_BITS 112	/* RSA 2048, P-256 and up */

/* Extensions a request may ask for (allowed_extensions). */
static const struct {
	const char *name;
	int	 nid;
	unsigned int bit;
} copyable[] = {
	{ "subjectAltName", NID_subject_alt_name, LCA_EXT_SAN },
	{ "keyUsage", NID_key_usage, LCA_EXT_KU },
	{ "extendedKeyUsage", NID_ext_key_usage, LCA_EXT_EKU },
};

/* What a certification request asks for, whatever its format. */
struct lca_request {
	X509_NAME *subject;
	EVP_PKEY *pkey;
	CMPD_SPKI *spki;		/* the request's own, when kept */
	STACK_OF(X509_EXTENSION) *exts;	/* NULL: none */
};

unsigned int
lca_ca_ext_bit(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(copyable); i++)
		if (strcasecmp(name, copyable[i].name) == 0)
			return copyable[i].bit;
	return 0;
}

static int
lca_time_of(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Never prompt on a terminal: the key must not be encrypted. */
static int
lca_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

const char *
lca_ssl_reason(void)
{
	const char *s = ERR_reason_error_string(ERR_peek_last_error());

	return s != NULL ? s : "unknown error";
}

/* Every certificate of a PEM file, in order; a missing file is empty. */
static int
lca_read_chain(const char *path, STACK_OF(X509) **out, char *err,
    size_t errlen)
{
	STACK_OF(X509) *sk = NULL;
	unsigned long e;
	X509 *x = NULL;
	BIO *bio = NULL;
	int r = -1;

	*out = NULL;
	if ((sk = sk_X509_new_null()) == NULL)
		goto out;
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		if (errno == ENOENT) {
			ERR_clear_error();
			*out = sk;
			sk = NULL;
			r = 0;
		} else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(bio, NULL, lca_no_passphrase,
	    NULL)) != NULL) {
		if (!sk_X509_push(sk, x))
			goto out;
		x = NULL;
	}
	/* The loop ends at the end of the file or at something broken. */
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		snprintf(err, errlen, "%s: not a list of PEM certificates: %s",
		    path, lca_ssl_reason());
		goto out;
	}
	ERR_clear_error();
	*out = sk;
	sk = NULL;
	r = 0;
 out:
	if (r != 0 && err[0] == '\0')
		snprintf(err, errlen, "%s: out of memory", path);
	X509_free(x);
	sk_X509_pop_free(sk, X509_free);
	BIO_free(bio);
	return r;
}

/*
 * The digest of our signatures: SHA-256 for RSA and P-256, SHA-384 for
 * P-384 (the hash matched to the curve, RFC 5480 4); none for Ed25519 and
 * Ed448, which hash themselves (RFC 8410 6).
 */
static int
lca_pick_md(struct lca_ca *ca, char *err, size_t errlen)
{
	char group[64];
	int nid;

	switch (EVP_PKEY_get_base_id(ca->key)) {
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(ca->key) < 2048)
			break;
		ca->md = EVP_sha256();
		return 0;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(ca->key, group, sizeof(group),
		    NULL) != 1)
			break;
		nid = OBJ_txt2nid(group);
		if (nid == NID_X9_62_prime256v1) {
			ca->md = EVP_sha256();
			return 0;
		}
		if (nid == NID_secp384r1) {
			ca->md = EVP_sha384();
			return 0;
		}
		break;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		ca->md = NULL;
		return 0;
	default:
		break;
	}
	snprintf(err, errlen, "ca.key: unsupported key (RSA of 2048 bits or "
	    "more, EC P-256 or P-384, Ed25519, Ed448)");
	return -1;
}

/* The key identifier our certificates name in authorityKeyIdentifier. */
static int
lca_set_keyid(struct lca_ca *ca)
{
	const ASN1_OCTET_STRING *ski;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if ((ski = X509_get0_subject_key_id(ca->cert)) != NULL) {
		ca->keyid = ASN1_OCTET_STRING_dup(ski);
		return ca->keyid != NULL ? 0 : -1;
	}
	/* No SKI in ca.crt: RFC 5280 4.2.1.2 method (1). */
	if (X509_pubkey_digest(ca->cert, EVP_sha1(), md, &mdlen) != 1 ||
	    (ca->keyid = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(ca->keyid, md, (int)mdlen) != 1)
		return -1;
	return 0;
}

int
lca_ca_load(struct lca_ca *ca, const struct lca_conf *c, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	BIO *bio = NULL;
	X509 *prev;
	int i, r = -1;

	memset(ca, 0, sizeof(*ca));
	err[0] = '\0';
	ca->validity_days = c->validity_days;
	ca->crl_period = c->crl_period;
	ca->allowed_ext = c->allowed_ext;

	snprintf(path, sizeof(path), "%s/ca.key", c->ca_dir);
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((ca->key = PEM_read_bio_PrivateKey(bio, NULL, lca_no_passphrase,
	    NULL)) == NULL) {
		snprintf(err, errlen, "%s: not an unencrypted PEM private key: "
		    "%s", path, lca_ssl_reason());
		goto out;
	}
	BIO_free(bio);

	snprintf(path, sizeof(path), "%s/ca.crt", c->ca_dir);
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((ca->cert = PEM_read_bio_X509(bio, NULL, lca_no_passphrase,
	    NULL)) == NULL) {
		snprintf(err, errlen, "%s: not a PEM certificate: %s", path,
		    lca_ssl_reason());
		goto out;
	}

	snprintf(path, sizeof(path), "%s/chain.pem", c->ca_dir);
	if (lca_read_chain(path, &ca->chain, err, errlen) != 0)
		goto out;

	if (X509_check_private_key(ca->cert, ca->key) != 1) {
		snprintf(err, errlen, "%s/ca.key does not match %s/ca.crt",
		    c->ca_dir, c->ca_dir);
		goto out;
	}
	if (lca_pick_md(ca, err, errlen) != 0)
		goto out;
	/* RFC 5280 4.2.1.9 and 4.2.1.3: it must be allowed to sign. */
	if (X509_check_ca(ca->cert) == 0) {
		snprintf(err, errlen, "%s/ca.crt is not a CA certificate "
		    "(basicConstraints cA, keyUsage keyCertSign)", c->ca_dir);
		goto out;
	}
	/* caCertificates answers in this order: each issued the one before. */
	prev = ca->cert;
	for (i = 0; i < sk_X509_num(ca->chain); i++) {
		if (X509_check_issued(sk_X509_value(ca->chain, i), prev) !=
		    X509_V_OK) {
			snprintf(err, errlen, "%s/chain.pem: certificate %d "
			    "did not issue the one before it", c->ca_dir,
			    i + 1);
			goto out;
		}
		prev = sk_X509_value(ca->chain, i);
	}
	if (lca_time_of(X509_get0_notAfter(ca->cert), &ca->not_after) != 0) {
		snprintf(err, errlen, "%s/ca.crt: bad notAfter", c->ca_dir);
		goto out;
	}
	if (lca_time_of(X509_get0_notBefore(ca->cert), &ca->not_before) !=
	    0) {
		snprintf(err, errlen, "%s/ca.crt: bad notBefore", c->ca_dir);
		goto out;
	}
	if (ca->not_after <= time(NULL))
		log_warn("%s/ca.crt has expired: nothing can be issued",
		    c->ca_dir);
	if (lca_set_keyid(ca) != 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	r = 0;
 out:
	BIO_free(bio);
	ERR_clear_error();
	if (r != 0)
		lca_ca_free(ca);
	return r;
}

void
lca_ca_free(struct lca_ca *ca)
{
	if (ca == NULL)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	sk_X509_pop_free(ca->chain, X509_free);
	ASN1_OCTET_STRING_free(ca->keyid);
	memset(ca, 0, sizeof(*ca));
}

static void
lca_request_free(struct lca_request *rq)
{
	X509_NAME_free(rq->subject);
	EVP_PKEY_free(rq->pkey);
	CMPD_SPKI_free(rq->spki);
	sk_X509_EXTENSION_pop_free(rq->exts, X509_EXTENSION_free);
	memset(rq, 0, sizeof(*rq));
}

/* Takes copies of what a request asks for; shared by both formats. */
static int
lca_request_set(struct lca_request *rq, const X509_NAME *subject,
    EVP_PKEY *pkey, const STACK_OF(X509_EXTENSION) *exts, struct lca_err *e)
{
	int i;

	if (subject == NULL || X509_NAME_entry_count(subject) == 0)
		return lca_fail(e, 422, "subject is missing in the request");
	if (pkey == NULL)
		return lca_fail(e, 422, "public key is missing in the request "
		    "or of an unsupported type");
	if (EVP_PKEY_get_security_bits(pkey) < LCA_MIN_SECURITY_BITS)
		return lca_fail(e, 422, "public key is too weak");
	/* a PKCS#10 request's key is libcrypto's reading of it */
	if (!spki_key_sound(pkey))
		return lca_fail(e, 422, "public key is not a valid key");
	/* What is set here is freed by the caller's lca_request_free(). */
	if ((rq->subject = X509_NAME_dup(subject)) == NULL ||
	    !EVP_PKEY_up_ref(pkey))
		return lca_fail(e, 500, "out of memory");
	rq->pkey = pkey;
	if (exts == NULL)
		return 0;
	if ((rq->exts = sk_X509_EXTENSION_new_null()) == NULL)
		return lca_fail(e, 500, "out of memory");
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *x;

		x = X509_EXTENSION_dup(sk_X509_EXTENSION_value(exts, i));
		if (x == NULL || !sk_X509_EXTENSION_push(rq->exts, x)) {
			X509_EXTENSION_free(x);
			return lca_fail(e, 500, "out of memory");
		}
	}
	return 0;
}

/* The first CertReqMsg of a CertReqMessages (RFC 4211 3). */
static int
lca_request_crmf(const unsigned char *der, size_t len, int ra_verified,
    struct lca_request *rq, struct lca_err *e)
{
	const unsigned char *p = der;
	OSSL_CRMF_MSGS *msgs = NULL;
	OSSL_CRMF_MSG *msg;
	OSSL_CRMF_CERTTEMPLATE *tmpl;
	EVP_PKEY *pkey = NULL;
	char why[128];
	int r = -1;

	/* its key decoded once, by spki_template_key() */
	if ((msgs = (OSSL_CRMF_MSGS *)ASN1_item_d2i_ex(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(OSSL_CRMF_MSGS), keyless_ctx(), NULL)) == NULL) {
		lca_fail(e, 422, "request is not a DER CertReqMessages");
		goto out;
	}
	if (p != der + len) {
		lca_fail(e, 422, "trailing data after the CertReqMessages");
		goto out;
	}
	if ((msg = sk_OSSL_CRMF_MSG_value(msgs, 0)) == NULL) {
		lca_fail(e, 422, "CertReqMessages is empty");
		goto out;
	}
	tmpl = OSSL_CRMF_MSG_get0_tmpl(msg);
	/* kept for the certificate (lca_spki_copy) */
	pkey = spki_template_key(tmpl, &rq->spki);
	if (lca_request_set(rq, OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl),
	    pkey, OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl), e) != 0)
		goto out;
	/*
	 * RFC 4211 4: the CA checks the proof of possession itself.
	 * raVerified means an RA checked it: accepted only when the caller
	 * (an authenticated RA such as cmpd) says so with "raVerified".
	 */
	switch (popo_verify(msg, pkey, ra_verified, why, sizeof(why))) {
	case POPO_OK:
		r = 0;
		break;
	case POPO_BAD_ALG:
		lca_fail(e, 422, "proof of possession signed with an algorithm "
		    "not accepted: %s", why);
		break;
	case POPO_MISSING:
		lca_fail(e, 422, "proof of possession is missing");
		break;
	case POPO_RA_VERIFIED:
		lca_fail(e, 422, "raVerified proof of possession is not "
		    "accepted");
		break;
	case POPO_UNSUPPORTED:
		lca_fail(e, 422, "proof of possession method is not "
		    "supported");
		break;
	default:
		lca_fail(e, 422, "proof of possession failed");
		break;
	}
 out:
	EVP_PKEY_free(pkey);
	OSSL_CRMF_MSGS_free(msgs);
	return r;
}

/* A PKCS#10 CertificationRequest (RFC 2986 4.2). */
static int
lca_request_pkcs10(const unsigned char *der, size_t len,
    struct lca_request *rq, struct lca_err *e)
{
	const unsigned char *p = der;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_REQ *req = NULL;
	const X509_ALGOR *alg;
	EVP_PKEY *pkey = NULL;
	unsigned char *kder = NULL;
	char why[128];
	int r = -1, n;

	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL) {
		lca_fail(e, 422, "request is not a DER PKCS#10 request");
		goto out;
	}
	if (p != der + len) {
		lca_fail(e, 422, "trailing data after the PKCS#10 request");
		goto out;
	}
	/* read as a CRMF template's key is (spki_decode()): an EC key
	 * with explicit parameters (RFC 5480 2.1.1), which could describe
	 * a generator chosen for another's point, is no key here either */
	if ((n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &kder)) > 0)
		pkey = spki_decode(kder, (size_t)n);
	exts = X509_REQ_get_extensions(req);
	if (lca_request_set(rq, X509_REQ_get_subject_name(req), pkey, exts,
	    e) != 0)
		goto out;
	/* The self-signature is the proof of possession (RFC 2986 3), by
	 * an algorithm accepted for one */
	X509_REQ_get0_signature(req, NULL, &alg);
	if (!sigalg_ok(alg, why, sizeof(why))) {
		lca_fail(e, 422, "PKCS#10 request signed with an algorithm not "
		    "accepted: %s", why);
		goto out;
	}
	if (X509_REQ_verify(req, pkey) != 1) {
		lca_fail(e, 422, "proof of possession failed");
		goto out;
	}
	r = 0;
 out:
	EVP_PKEY_free(pkey);
	OPENSSL_free(kder);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return r;
}

/*
 * 16 random octets, RFC 5280 4.1.2.2: positive (top bit clear) and
 * non-zero. A zero first octet is drawn again so that every serial is
 * exactly 16 octets long.
 */
static ASN1_INTEGER *
lca_serial_new(void)
{
	unsigned char b[LCA_SERIAL_LEN];
	ASN1_INTEGER *ai = NULL;
	BIGNUM *bn = NULL;

	do {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return NULL;
		b[0] &= 0x7f;
	} while (b[0] == 0);
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) != NULL)
		ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	return ai;
}

/* 1 when the extendedKeyUsage eku lists the purpose nid. */
static int
lca_eku_has(const EXTENDED_KEY_USAGE *eku, int nid)
{
	int i;

	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid)
			return 1;
	return 0;
}

/* Copies the allowed extensions of the request, checked. */
static int
lca_copy_extensions(const struct lca_ca *ca, const struct lca_request *rq,
    X509 *x, struct lca_err *e)
{
	const X509V3_EXT_METHOD *method = NULL;
	X509_EXTENSION *ext;
	void *dec = NULL;
	size_t k;
	int i, r = -1;

	if (rq->exts == NULL)
		return 0;
	for (k = 0; k < NITEMS(copyable); k++) {
		if (!(ca->allowed_ext & copyable[k].bit))
			continue;
		if ((i = X509v3_get_ext_by_NID(rq->exts, copyable[k].nid,
		    -1)) < 0)
			continue;
		/* RFC 5280 4.2: at most one instance of an extension. */
		if (X509v3_get_ext_by_NID(rq->exts, copyable[k].nid, i) >= 0) {
			lca_fail(e, 422, "%s appears twice in the request",
			    copyable[k].name);
			goto out;
		}
		ext = X509v3_get_ext(rq->exts, i);
		method = X509V3_EXT_get(ext);
		if (method == NULL || method->it == NULL ||
		    (dec = X509V3_EXT_d2i(ext)) == NULL) {
			lca_fail(e, 422, "%s in the request is malformed",
			    copyable[k].name);
			goto out;
		}
		if (copyable[k].nid == NID_subject_alt_name &&
		    sk_GENERAL_NAME_num(dec) <= 0) {
			/* RFC 5280 4.2.1.6: SIZE (1..MAX) */
			lca_fail(e, 422, "subjectAltName in the request is "
			    "empty");
			goto out;
		}
		/* RFC 5280 4.2.1.3: keyCertSign needs cA, which we never set;
		 * cRLSign is a CA's business too. */
		if (copyable[k].nid == NID_key_usage &&
		    (ASN1_BIT_STRING_get_bit(dec, 5) ||
		    ASN1_BIT_STRING_get_bit(dec, 6))) {
			lca_fail(e, 422, "keyUsage keyCertSign and cRLSign are "
			    "not allowed in an end-entity certificate");
			goto out;
		}
		/* RFC 6960 4.2.2.2: a certificate of this CA with
		 * id-kp-OCSPSigning signs OCSP answers for all of the CA's
		 * certificates; no requester gets one. */
		if (copyable[k].nid == NID_ext_key_usage &&
		    lca_eku_has(dec, NID_OCSP_sign)) {
			lca_fail(e, 422, "extendedKeyUsage OCSPSigning is not "
			    "allowed: it would answer OCSP for all of the "
			    "CA's certificates");
			goto out;
		}
		/* RFC 6402 2.10: a CA's purpose towards CMC and CMP peers;
		 * RFC 5280 4.2.1.12: any purpose, which some relying
		 * parties take for every one (cmcRA and cmKGA, an RA's
		 * and a key generation authority's, pass: cmpd lets them
		 * through only where the CMP Profile offers them) */
		if (copyable[k].nid == NID_ext_key_usage &&
		    (lca_eku_has(dec, NID_cmcCA) ||
		    lca_eku_has(dec, NID_anyExtendedKeyUsage))) {
			lca_fail(e, 422, "extendedKeyUsage cmcCA and "
			    "anyExtendedKeyUsage are not allowed in an "
			    "end-entity certificate");
			goto out;
		}
		/* What was checked is what is signed: the extension encoded
		 * anew from what was read (DER), not the request's bytes,
		 * which a reader other than libcrypto might read otherwise. */
		if (X509_add1_ext_i2d(x, copyable[k].nid, dec,
		    X509_EXTENSION_get_critical(ext), X509V3_ADD_APPEND) != 1) {
			lca_fail(e, 500, "out of memory");
			goto out;
		}
		ASN1_item_free(dec, ASN1_ITEM_ptr(method->it));
		dec = NULL;
	}
	r = 0;
 out:
	if (dec != NULL)
		ASN1_item_free(dec, ASN1_ITEM_ptr(method->it));
	return r;
}

/* basicConstraints, subjectKeyIdentifier, authorityKeyIdentifier. */
static int
lca_add_ca_extensions(const struct lca_ca *ca, X509 *x)
{
	BASIC_CONSTRAINTS *bc = NULL;
	AUTHORITY_KEYID *akid = NULL;
	ASN1_OCTET_STRING *ski = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int r = -1;

	/* RFC 5280 4.2.1.9: critical, cA FALSE. */
	if ((bc = BASIC_CONSTRAINTS_new()) == NULL)
		goto out;
	bc->ca = 0;
	if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
	    X509V3_ADD_REPLACE) != 1)
		goto out;
	/* RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey. */
	if (X509_pubkey_digest(x, EVP_sha1(), md, &mdlen) != 1 ||
	    (ski = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(ski, md, (int)mdlen) != 1 ||
	    X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0,
	    X509V3_ADD_REPLACE) != 1)
		goto out;
	/* RFC 5280 4.2.1.1: keyIdentifier of the CA. */
	if ((akid = AUTHORITY_KEYID_new()) == NULL ||
	    (akid->keyid = ASN1_OCTET_STRING_dup(ca->keyid)) == NULL ||
	    X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0,
	    X509V3_ADD_REPLACE) != 1)
		goto out;
	r = 0;
 out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_OCTET_STRING_free(ski);
	AUTHORITY_KEYID_free(akid);
	return r;
}

/*
 * The certificate's subjectPublicKeyInfo (RFC 5280 4.1.2.7) copied from
 * the request's as encoded: algorithm, parameters and key bits.
 * X509_set_pubkey() would encode the key and decode it again, and
 * OpenSSL 3.0 builds an encoder and a decoder for that.
 */
static int
lca_spki_copy(X509 *x, const CMPD_SPKI *from)
{
	X509_PUBKEY *to = X509_get_X509_PUBKEY(x);
	X509_ALGOR *alg_to = NULL;
	const ASN1_OBJECT *oid_from;
	ASN1_OBJECT *oid = NULL;
	const unsigned char *bits;
	unsigned char *copy = NULL;
	int n;

	X509_ALGOR_get0(&oid_from, NULL, NULL, from->algorithm);
	bits = ASN1_STRING_get0_data(from->subjectPublicKey);
	n = ASN1_STRING_length(from->subjectPublicKey);
	if (to == NULL || n <= 0 ||
	    (copy = OPENSSL_memdup(bits, (size_t)n)) == NULL ||
	    (oid = OBJ_dup(oid_from)) == NULL)
		goto err;
	if (!X509_PUBKEY_set0_param(to, oid, V_ASN1_UNDEF, NULL, copy, n))
		goto err;
	/* now owned by the certificate; the parameters follow */
	oid = NULL;
	copy = NULL;
	if (!X509_PUBKEY_get0_param(NULL, NULL, NULL, &alg_to, to) ||
	    !X509_ALGOR_copy(alg_to, from->algorithm))
		goto err;
	return 0;
 err:
	ASN1_OBJECT_free(oid);
	OPENSSL_free(copy);
	return -1;
}

int
lca_ca_issue(const struct lca_ca *ca, enum lca_format fmt,
    const unsigned char *der, size_t len, int ra_verified, X509 **out,
    struct lca_err *e)
{
	struct lca_request rq;
	ASN1_INTEGER *serial = NULL;
	EVP_MD_CTX *sctx = NULL;
	X509 *x = NULL;
	time_t now, not_before, not_after;
	int r = -1;

	*out = NULL;
	memset(&rq, 0, sizeof(rq));
	if ((fmt == LCA_FMT_CRMF ? lca_request_crmf(der, len, ra_verified,
	    &rq, e) :
	    lca_request_pkcs10(der, len, &rq, e)) != 0)
		goto out;

	now = time(NULL);
	/* RFC 5280 4.1.2.5: nothing beyond the CA's own validity. */
	not_after = now + (time_t)ca->validity_days * 86400;
	if (not_after > ca->not_after)
		not_after = ca->not_after;
	if (not_after <= now) {
		lca_fail(e, 500, "the CA certificate has expired");
		goto out;
	}
	/* nor before it: a CA not valid yet issues nothing */
	if (ca->not_before > now) {
		lca_fail(e, 500, "the CA certificate is not valid yet");
		goto out;
	}
	not_before = now - LCA_CLOCK_SKEW;
	if (not_before < ca->not_before)
		not_before = ca->not_before;
	/*
	 * RFC 5280 4.1.2.1: v3, there are extensions. notBefore lies in
	 * the past so that a client whose clock runs a little behind
	 * accepts it at once, but not before the CA's own notBefore (RFC
	 * 5280 4.1.2.5); ASN1_TIME_set picks UTCTime up to 2049
	 * (RFC 5280 4.1.2.5).
	 */
	if ((x = X509_new()) == NULL || (serial = lca_serial_new()) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    X509_set_serialNumber(x, serial) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(ca->cert)) != 1 ||
	    X509_set_subject_name(x, rq.subject) != 1 ||
	    (rq.spki != NULL ? lca_spki_copy(x, rq.spki) != 0 :
	    X509_set_pubkey(x, rq.pkey) != 1) ||
	    ASN1_TIME_set(X509_getm_notBefore(x), not_before) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), not_after) == NULL) {
		lca_fail(e, 500, "cannot build the certificate");
		goto out;
	}
	if (lca_copy_extensions(ca, &rq, x, e) != 0)
		goto out;
	if (lca_add_ca_extensions(ca, x) != 0) {
		lca_fail(e, 500, "cannot build the certificate");
		goto out;
	}
	/* from the process's context for the CA key (key_memo.c) */
	if ((sctx = key_memo_sign_ctx(ca->key, ca->md)) != NULL ?
	    X509_sign_ctx(x, sctx) <= 0 : X509_sign(x, ca->key, ca->md) <= 0) {
		log_error("signing failed: %s", lca_ssl_reason());
		lca_fail(e, 500, "signing failed");
		goto out;
	}
	*out = x;
	x = NULL;
	r = 0;
 out:
	EVP_MD_CTX_free(sctx);
	ASN1_INTEGER_free(serial);
	X509_free(x);
	lca_request_free(&rq);
	return r;
}

/* A certificate this CA signed: issuer name and signature. */
int
lca_ca_check_issued(const struct lca_ca *ca, const unsigned char *der,
    size_t len, X509 **out, struct lca_err *e)
{
	const unsigned char *p = der;
	X509 *x;

	*out = NULL;
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
		return lca_fail(e, 422, "certificate is not a DER "
		    "certificate");
	if (p != der + len) {
		X509_free(x);
		return lca_fail(e, 422, "trailing data after the "
		    "certificate");
	}
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(ca->cert)) != 0 ||
	    X509_verify(x, ca->key) != 1) {
		X509_free(x);
		return lca_fail(e, 422, "certificate was not issued by this "
		    "authority");
	}
	*out = x;
	return 0;
}

static int
lca_serial_hex(const ASN1_INTEGER *ai, char *buf, size_t n)
{
	unsigned char b[LCA_SERIAL_HEX_MAX / 2];
	BIGNUM *bn;
	int len;

	buf[0] = '\0';
	if ((bn = ASN1_INTEGER_to_BN(ai, NULL)) == NULL)
		return -1;
	/* Longer than the column: never ours (RFC 5280 allows 20). */
	if (BN_is_negative(bn) || BN_num_bytes(bn) > (int)sizeof(b)) {
		BN_free(bn);
		return -1;
	}
	len = BN_bn2bin(bn, b);
	BN_free(bn);
	util_hex(b, (size_t)len, buf, n);
	return 0;
}

/* serial_hex, subject and validity of a certificate for the table. */
int
lca_ca_describe(const X509 *x, struct lca_cert_row *row)
{
	BIO *bio;
	int n;

	if (lca_serial_hex(X509_get0_serialNumber(x), row->serial_hex,
	    sizeof(row->serial_hex)) != 0)
		return -1;
	if (lca_time_of(X509_get0_notBefore(x), &row->not_before) != 0 ||
	    lca_time_of(X509_get0_notAfter(x), &row->not_after) != 0)
		return -1;
	/* RFC 4514 form; non-ASCII is escaped, so a byte cut is safe. */
	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (X509_NAME_print_ex(bio, X509_get_subject_name(x), 0,
	    XN_FLAG_RFC2253) < 0) {
		BIO_free(bio);
		return -1;
	}
	n = BIO_read(bio, row->subject, sizeof(row->subject) - 1);
	row->subject[n > 0 ? n : 0] = '\0';
	BIO_free(bio);
	return 0;
}
