/*
 * SubjectPublicKeyInfo (RFC 5280 4.1.2.7) to EVP_PKEY through one decoder
 * context per process. libcrypto 3.0 builds a decoder chain for every key
 * that d2i_PUBKEY() decodes (OSSL_DECODER_CTX_new_for_pkey(), five sixths
 * of the cost of an EC P-256 key); one context decodes any number of keys
 * of any type, also after a failed decode.
 *
 * EC keys on the NIST curves (RFC 5480 2.1.1.1, namedCurve) skip even the
 * reused decoder: it builds the curve's group from its constants for every
 * key (EC_GROUP_new_by_curve_name_ex(): most of the 36 us a P-256 key took
 * in a microbenchmark). Such a key takes its parameters from one
 * parameters-only key per curve, made once, and its point from the BIT
 * STRING, which libcrypto reads as the decoder does (EC_KEY_oct2key():
 * compressed or not, and a point not on the curve refused): 7 us there; in
 * a running cmp-localca, by its profile's share, about 120 us became 33.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "cmpd.h"

static const int spki_ec_nids[] = {
	NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1,
};
static EVP_PKEY *spki_ec_params[NITEMS(spki_ec_nids)];

static EVP_PKEY *spki_decode_any(const unsigned char *, size_t);

static OSSL_DECODER_CTX *spki_ctx;
static EVP_PKEY *spki_out;		/* where spki_ctx puts a key */
static BIGNUM *spki_primorial;		/* the odd primes below 1000 */

/* The parameters-only key of curve i of spki_ec_nids, made on first use;
 * NULL if it cannot be made. */
static EVP_PKEY *
spki_ec_curve(size_t i)
{
	EVP_PKEY_CTX *c;

	if (spki_ec_params[i] != NULL)
		return spki_ec_params[i];
	if ((c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_paramgen_init(c) <= 0 ||
	    EVP_PKEY_CTX_set_group_name(c, OBJ_nid2sn(spki_ec_nids[i])) <= 0 ||
	    EVP_PKEY_paramgen(c, &spki_ec_params[i]) <= 0)
		spki_ec_params[i] = NULL;
	EVP_PKEY_CTX_free(c);
	return spki_ec_params[i];
}

/*
 * An EC key on one of spki_ec_nids' curves, read without the decoder.
 * 1: der is such a key and *k is it, or NULL when its point is refused,
 * or an EC key with explicit parameters, refused too (*k NULL): RFC 5480
 * 2.1.1 forbids them in PKIX, and libcrypto would build the curve they
 * describe, where a point on a prime field of up to 661 bits with a
 * large power of two in p - 1 takes a modular square root of about a
 * tenth of a second; 0: der is something else (another algorithm or
 * curve, a BIT STRING with unused bits, not DER at all), for the decoder
 * to judge.
 */
static int
spki_ec_decode(const unsigned char *der, size_t len, EVP_PKEY **k)
{
	const unsigned char *p = der;
	const ASN1_OBJECT *oid;
	const void *pval;
	CMPD_SPKI *s = NULL;
	EVP_PKEY *params = NULL;
	size_t i;
	int nid, ptype, r = 0;

	*k = NULL;
	if (len > LONG_MAX || (s = d2i_CMPD_SPKI(NULL, &p, (long)len)) == NULL)
		goto out;
	X509_ALGOR_get0(&oid, &ptype, &pval, s->algorithm);
	if (p != der + len || OBJ_obj2nid(oid) != NID_X9_62_id_ecPublicKey)
		goto out;
	if (ptype != V_ASN1_OBJECT) {
		r = 1;		/* explicit (or implicit) parameters */
		goto out;
	}
	if ((s->subjectPublicKey->flags & 0x07) != 0)
		goto out;
	nid = OBJ_obj2nid(pval);
	for (i = 0; i < NITEMS(spki_ec_nids); i++)
		if (spki_ec_nids[i] == nid)
			break;
	if (i == NITEMS(spki_ec_nids) || (params = spki_ec_curve(i)) == NULL)
		goto out;
	r = 1;
	if ((*k = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_copy_parameters(*k, params) != 1 ||
	    EVP_PKEY_set1_encoded_public_key(*k,
	    ASN1_STRING_get0_data(s->subjectPublicKey),
	    (size_t)ASN1_STRING_length(s->subjectPublicKey)) != 1) {
		EVP_PKEY_free(*k);
		*k = NULL;
	}
 out:
	CMPD_SPKI_free(s);
	ERR_clear_error();
	return r;
}

/*
 * The points of small order of Ed25519 (its cofactor is 8, RFC 8032
 * 5.1), by the y their encoding carries, the x sign bit aside: 0, 1,
 * p - 1, the two y of the points of order 8, and p and p + 1, which
 * libcrypto reads as 0 and 1.
 */
static const unsigned char spki_ed25519_small[][32] = {
	{ 0 },
	{ 0x01 },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
	  0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
	  0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
	  0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
	  0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
	{ 0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0xee, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
};

/* Is the Ed25519 public key pub one of spki_ed25519_small? */
static int
spki_ed25519_is_small(const unsigned char pub[32])
{
	size_t i;

	for (i = 0; i < NITEMS(spki_ed25519_small); i++)
		if (memcmp(pub, spki_ed25519_small[i], 31) == 0 &&
		    (pub[31] & 0x7f) == spki_ed25519_small[i][31])
			return 1;
	return 0;
}

/*
 * Ed448's points of small order (cofactor 4, RFC 8032 5.2), by the y of
 * their encoding (its first 56 octets; the 57th carries x's sign): 0
 * (order 4, either x), 1 (the identity), p - 1 (order 2), and p and
 * p + 1, which read as 0 and 1 modulo p (p = 2^448 - 2^224 - 1). Each
 * is two runs of 28 octets, the low one first: a first octet, then 27
 * of a second value.
 */
static const unsigned char spki_ed448_small[][4] = {
	/* low: first, rest; high: first, rest */
	{ 0x00, 0x00, 0x00, 0x00 },	/* 0 */
	{ 0x01, 0x00, 0x00, 0x00 },	/* 1 */
	{ 0xfe, 0xff, 0xfe, 0xff },	/* p - 1 */
	{ 0xff, 0xff, 0xfe, 0xff },	/* p */
	{ 0x00, 0x00, 0xff, 0xff },	/* p + 1 */
};

/* Is the Ed448 public key pub of small order, or not an encoding? */
static int
spki_ed448_is_small(const unsigned char pub[57])
{
	unsigned char y[56];
	size_t i;

	if ((pub[56] & 0x7f) != 0)
		return 1;
	for (i = 0; i < NITEMS(spki_ed448_small); i++) {
		memset(y, spki_ed448_small[i][1], 28);
		y[0] = spki_ed448_small[i][0];
		memset(y + 28, spki_ed448_small[i][3], 28);
		y[28] = spki_ed448_small[i][2];
		if (memcmp(pub, y, sizeof(y)) == 0)
			return 1;
	}
	return 0;
}

/*
 * Is EC key k's point of the order of its group's generator? On the NIST
 * curves (spki_ec_nids: cofactor 1) every point on the curve but the
 * one at infinity is, which libcrypto's quick check covers; on another
 * curve (a binary one of cofactor 2 or 4, say) a point of small order
 * passes that check, and ECDSA verification with it reduces to u1 * G
 * whenever u2 is a multiple of its order: anyone signs. There the full
 * check multiplies the point by the order (one scalar multiplication,
 * for keys of those curves only).
 */
static int
spki_ec_sound(const EVP_PKEY *k)
{
	char name[64];
	EVP_PKEY_CTX *c;
	size_t i;
	int nid, r, full = 1;

	if (EVP_PKEY_get_group_name(k, name, sizeof(name), NULL) == 1 &&
	    (nid = OBJ_txt2nid(name)) != NID_undef)
		for (i = 0; i < NITEMS(spki_ec_nids); i++)
			if (nid == spki_ec_nids[i])
				full = 0;
	if ((c = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)k, NULL)) ==
	    NULL)
		return 0;
	r = full ? EVP_PKEY_public_check(c) : EVP_PKEY_public_check_quick(c);
	EVP_PKEY_CTX_free(c);
	return r == 1;
}

/*
 * Has RSA modulus n no prime factor below 1000 (SP 800-89 5.3.3, SP
 * 800-56B 6.4.2.1: partial public-key validation)? With a small factor
 * anyone who divides by it has the private key. One gcd with the
 * product of those primes, made once: microseconds, where a primality
 * test of n (libcrypto's full check) costs private-key operations.
 */
static int
spki_rsa_no_small_factor(const BIGNUM *n)
{
	BN_CTX *ctx;
	BIGNUM *g;
	BN_ULONG p, d;
	int r = 0;

	if (spki_primorial == NULL) {
		if ((spki_primorial = BN_new()) == NULL ||
		    !BN_one(spki_primorial))
			goto fail;
		for (p = 3; p < 1000; p += 2) {
			for (d = 3; d * d <= p && p % d != 0; d += 2)
				;
			if (d * d > p && !BN_mul_word(spki_primorial, p))
				goto fail;
		}
	}
	if ((ctx = BN_CTX_new()) == NULL)
		return 0;
	if ((g = BN_new()) != NULL && BN_gcd(g, n, spki_primorial, ctx))
		r = BN_is_one(g);
	BN_free(g);
	BN_CTX_free(ctx);
	return r;
 fail:
	BN_free(spki_primorial);
	spki_primorial = NULL;
	return 0;
}

/*
 * Does a signature with k cost what one with a standard key does? Not
 * with an RSA public exponent of 2^256 or more (FIPS 186-4 B.3.1 keeps
 * e below it; libcrypto takes one as long as the modulus up to 3072
 * bits) or a modulus over 16384 bits, nor on an EC curve over a binary
 * field (RFC 9481 3.2 names prime curves): checked before a signature
 * is verified with a key its unknown sender chose. Measured on one
 * worker: a 3061-bit exponent 11 ms, sect571k1 7 ms, P-256 1 ms.
 */
int
spki_key_cheap(const EVP_PKEY *k)
{
	BIGNUM *n = NULL, *e = NULL;
	char field[32];
	int r = 1;

	if (EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS")) {
		r = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
		    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
		    BN_num_bits(e) <= 256 && BN_num_bits(n) <= 16384;
		BN_free(n);
		BN_free(e);
	} else if (EVP_PKEY_is_a(k, "EC"))
		r = EVP_PKEY_get_utf8_string_param(k,
		    OSSL_PKEY_PARAM_EC_FIELD_TYPE, field, sizeof(field),
		    NULL) == 1 && strcmp(field, SN_X9_62_prime_field) == 0;
	ERR_clear_error();
	return r;
}

/*
 * Is k a key whose private key a signature proves possession of? Of a
 * type RFC 9481 names for certificates (RSA, RSASSA-PSS, EC, Ed25519,
 * Ed448; X25519 and X448, which an RA may vouch for): not DSA, whose
 * domain parameters the sender chooses (with g = 1 every signature
 * r = 1 verifies), nor DH or any other. Not an EC point at infinity (the
 * one octet 00, which libcrypto reads): ECDSA verification with it
 * reduces to u1 * G, so anyone makes a "signature" that verifies; nor
 * one of small order (spki_ec_sound). Not an RSA key with an even or
 * unit exponent (with e = 1 a PKCS#1 signature is the padded hash
 * itself), an exponent not below the modulus, or an even modulus or one
 * with a small prime factor (SP 800-89 5.3.3, RFC 8017 3.1;
 * spki_rsa_no_small_factor). Not an Ed25519 point of small order:
 * libcrypto verifies R = the identity, s = 0 under the identity for any
 * message, and under the others for one message in 8 or more; nor an
 * Ed448 point of small order, likewise. These are cheap checks:
 * libcrypto's full RSA public check tests n for primality at the cost of
 * private-key operations that grow with the key the sender chooses. 1
 * yes, 0 no.
 */
int
spki_key_sound(const EVP_PKEY *k)
{
	BIGNUM *n = NULL, *e = NULL;
	int r = 1;

	if (EVP_PKEY_is_a(k, "EC"))
		r = spki_ec_sound(k);
	else if (EVP_PKEY_is_a(k, "ED25519")) {
		unsigned char pub[32];
		size_t len = sizeof(pub);

		r = EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 &&
		    len == sizeof(pub) && !spki_ed25519_is_small(pub);
	} else if (EVP_PKEY_is_a(k, "ED448")) {
		unsigned char pub[57];
		size_t len = sizeof(pub);

		r = EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 &&
		    len == sizeof(pub) && !spki_ed448_is_small(pub);
	} else if (EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS")) {
		r = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
		    EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
		    BN_is_odd(n) && BN_is_odd(e) && !BN_is_one(e) &&
		    BN_cmp(e, n) < 0 && spki_rsa_no_small_factor(n);
		BN_free(n);
		BN_free(e);
	} else
		r = EVP_PKEY_is_a(k, "X25519") || EVP_PKEY_is_a(k, "X448");
	ERR_clear_error();
	return r;
}

/* The key of the DER SubjectPublicKeyInfo der (nothing after it), or
 * NULL, also for a key that is not sound (spki_key_sound()). The caller
 * frees it. */
EVP_PKEY *
spki_decode(const unsigned char *der, size_t len)
{
	EVP_PKEY *k = spki_decode_any(der, len);

	if (k != NULL && !spki_key_sound(k)) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

/* As spki_decode(), whatever the key's values. */
static EVP_PKEY *
spki_decode_any(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k;
	size_t left = len;

	if (spki_ec_decode(der, len, &k))
		return k;
	if (spki_ctx == NULL &&
	    (spki_ctx = OSSL_DECODER_CTX_new_for_pkey(&spki_out, "DER",
	    "SubjectPublicKeyInfo", NULL, EVP_PKEY_PUBLIC_KEY, NULL,
	    NULL)) == NULL)
		return NULL;
	spki_out = NULL;
	if (!OSSL_DECODER_from_data(spki_ctx, &p, &left) || left != 0) {
		EVP_PKEY_free(spki_out);
		spki_out = NULL;
		ERR_clear_error();
		return NULL;
	}
	k = spki_out;
	spki_out = NULL;
	return k;
}

void
spki_done(void)
{
	size_t i;

	OSSL_DECODER_CTX_free(spki_ctx);
	spki_ctx = NULL;
	BN_free(spki_primorial);
	spki_primorial = NULL;
	for (i = 0; i < NITEMS(spki_ec_params); i++) {
		EVP_PKEY_free(spki_ec_params[i]);
		spki_ec_params[i] = NULL;
	}
}

/*
 * The public key of a CRMF CertTemplate (RFC 4211 5), or NULL; with spki,
 * also its SubjectPublicKeyInfo as sent (the caller frees both). 3.0 has
 * no OSSL_CRMF_CERTTEMPLATE_get0_publicKey: the library re-encodes the
 * template and cmp_asn1.c's mirror reads it back.
 */
EVP_PKEY *
spki_template_key(const OSSL_CRMF_CERTTEMPLATE *tmpl, CMPD_SPKI **spki)
{
	CMPD_CERTTEMPLATE *t = NULL;
	unsigned char *der = NULL, *kder = NULL;
	const unsigned char *q;
	EVP_PKEY *k = NULL;
	int n;

	if (spki != NULL)
		*spki = NULL;
	if (tmpl == NULL || (n = i2d_OSSL_CRMF_CERTTEMPLATE(tmpl, &der)) <= 0)
		return NULL;
	q = der;
	if ((t = d2i_CMPD_CERTTEMPLATE(NULL, &q, n)) == NULL ||
	    t->publicKey == NULL ||
	    (n = i2d_CMPD_SPKI(t->publicKey, &kder)) <= 0 ||
	    (k = spki_decode(kder, (size_t)n)) == NULL)
		goto out;
	if (spki != NULL) {
		*spki = t->publicKey;
		t->publicKey = NULL;
	}
 out:
	OPENSSL_free(kder);
	CMPD_CERTTEMPLATE_free(t);
	OPENSSL_free(der);
	return k;
}

/*
 * The SubjectPublicKeyInfo DER of a CRMF CertTemplate's public key, as
 * sent: read as encoded, never decoded, its [6] IMPLICIT tag replaced by
 * the SEQUENCE tag it stands for (X.690 8.14: only the identifier octet
 * differs). NULL if there is none; the caller frees it.
 */
unsigned char *
spki_template_der(const OSSL_CRMF_CERTTEMPLATE *tmpl, size_t *len)
{
	CMPD_TMPLKEY *t = NULL;
	unsigned char *der = NULL, *k = NULL;
	const unsigned char *q;
	int n;

	*len = 0;
	if (tmpl == NULL || (n = i2d_OSSL_CRMF_CERTTEMPLATE(tmpl, &der)) <= 0)
		return NULL;
	q = der;
	if ((t = d2i_CMPD_TMPLKEY(NULL, &q, n)) != NULL &&
	    t->publicKey != NULL &&
	    (n = ASN1_STRING_length(t->publicKey)) >= 2 &&
	    ASN1_STRING_get0_data(t->publicKey)[0] ==
	    (V_ASN1_CONTEXT_SPECIFIC | V_ASN1_CONSTRUCTED | 6) &&
	    (k = OPENSSL_memdup(ASN1_STRING_get0_data(t->publicKey),
	    (size_t)n)) != NULL) {
		k[0] = V_ASN1_SEQUENCE | V_ASN1_CONSTRUCTED;
		*len = (size_t)n;
	}
	CMPD_TMPLKEY_free(t);
	OPENSSL_free(der);
	return k;
}

/* An RSA key, whichever label (rsaEncryption or RSASSA-PSS) it came with. */
static int
spki_is_rsa(const EVP_PKEY *k)
{
	return EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS");
}

/*
 * Whether a and b are the same public key: libcrypto's comparison, which
 * also takes an EC point compressed or not for itself, and for RSA the
 * modulus and exponent, which a client or a CA may label rsaEncryption
 * or RSASSA-PSS (RFC 4055 1.2): libcrypto reads the two as keys of two
 * types and never finds them equal. 1 the same, 0 not (or not told).
 */
int
spki_key_eq(const EVP_PKEY *a, const EVP_PKEY *b)
{
	BIGNUM *an = NULL, *ae = NULL, *bn = NULL, *be = NULL;
	int same;

	if (a == NULL || b == NULL)
		return 0;
	if (EVP_PKEY_eq(a, b) == 1)
		return 1;
	if (!spki_is_rsa(a) || !spki_is_rsa(b))
		return 0;
	same = EVP_PKEY_get_bn_param(a, OSSL_PKEY_PARAM_RSA_N, &an) &&
	    EVP_PKEY_get_bn_param(a, OSSL_PKEY_PARAM_RSA_E, &ae) &&
	    EVP_PKEY_get_bn_param(b, OSSL_PKEY_PARAM_RSA_N, &bn) &&
	    EVP_PKEY_get_bn_param(b, OSSL_PKEY_PARAM_RSA_E, &be) &&
	    BN_cmp(an, bn) == 0 && BN_cmp(ae, be) == 0;
	BN_free(an);
	BN_free(ae);
	BN_free(bn);
	BN_free(be);
	ERR_clear_error();
	return same;
}

/*
 * Whether cert carries the public key a request asked for: the one whose
 * SubjectPublicKeyInfo DER hashes (SHA-256) to sha256, as the request's
 * row keeps it (cmp_transaction.request_spki_sha256). A CA may encode the
 * same key otherwise (an EC point compressed, RSA's NULL parameters left
 * out, RSA labelled RSASSA-PSS or not), so when the hashes differ and
 * the request's SubjectPublicKeyInfo is at hand (spki, len: as sent, as
 * the row keeps it in request_spki) the two keys are decoded and
 * compared (spki_key_eq). 1: the same key; 0: another, or it cannot be
 * told (nothing to compare with is never a match).
 */
int
spki_cert_has_key(X509 *cert, const unsigned char sha256[32],
    const unsigned char *spki, size_t len)
{
	unsigned char *der = NULL, md[32];
	EVP_PKEY *want = NULL, *got = NULL;
	int n, r = 0;

	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der)) <= 0 ||
	    !EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL))
		goto out;
	if (CRYPTO_memcmp(md, sha256, sizeof(md)) == 0) {
		r = 1;
		goto out;
	}
	if (spki != NULL && len > 0 && (want = spki_decode(spki, len)) != NULL &&
	    (got = spki_decode(der, (size_t)n)) != NULL)
		r = spki_key_eq(want, got);
 out:
	EVP_PKEY_free(got);
	EVP_PKEY_free(want);
	OPENSSL_free(der);
	ERR_clear_error();
	return r;
}
