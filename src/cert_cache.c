/*
 * The certificates of extraCerts, decoded once per worker: a device sends
 * its certificate with each message of a transaction and its CA
 * certificates with every one, and libcrypto 3.0 builds a public key
 * decoder for each certificate it decodes (a tenth of a millisecond for
 * an EC P-256 one). An entry is found by its whole DER encoding, so a
 * hit is the same certificate; each message holds a reference of its
 * own. Nothing is decided here: validity, chains and revocation are
 * checked for every message as before.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "cert_cache.h"
#include "keyless.h"

#define CERT_CACHE_MAX		16	/* certificates per process */
#define CERT_CACHE_DER_MAX	16384	/* larger ones are decoded each time */

struct cert_cache_entry {
	unsigned char *der;
	size_t	 len;
	X509	*x;
	unsigned long used;		/* cert_cache_clock when last found */
};

static struct cert_cache_entry cert_cache[CERT_CACHE_MAX];
static unsigned long cert_cache_clock;
/* keys CMPD_CERT may still decode in the decoding under way
 * (cert_cache_budget), -1: no limit */
static int cert_cache_keys_left = -1;

static void
cert_cache_drop(struct cert_cache_entry *e)
{
	OPENSSL_free(e->der);
	X509_free(e->x);
	memset(e, 0, sizeof(*e));
}

/*
 * 1 unless x's key is an EC key with explicit (or implicit) parameters:
 * RFC 5480 2.1.1 forbids them in PKIX, and libcrypto would build the
 * curve they describe, where a point on a prime field of up to 661 bits
 * with a large power of two in p - 1 takes a modular square root of
 * about a tenth of a second (measured: 16 such certificates in one
 * extraCerts, 2.3 s of a worker's CPU before any check). Nor a point in
 * compressed form (RFC 5480 2.2: MAY be supported) on a curve other than
 * P-256, P-384, P-521, brainpoolP256r1/384r1/512r1 and secp256k1, whose
 * p = 3 mod 4 makes the square root one exponentiation: on P-224 (2^96
 * divides p - 1) and on binary curves it costs over a millisecond
 * (measured). Such a certificate is kept without its key and so verifies
 * nothing.
 */
static int
cert_cache_key_allowed(X509 *x)
{
	static const int cheap[] = { NID_X9_62_prime256v1, NID_secp384r1,
		NID_secp521r1, NID_brainpoolP256r1, NID_brainpoolP384r1,
		NID_brainpoolP512r1, NID_secp256k1 };
	ASN1_OBJECT *alg;
	const X509_ALGOR *pa;
	const unsigned char *pk;
	const void *curve;
	size_t i;
	int ptype, pklen, nid;

	if (!X509_PUBKEY_get0_param(&alg, &pk, &pklen, (X509_ALGOR **)&pa,
	    X509_get_X509_PUBKEY(x)))
		return 0;
	if (OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey)
		return 1;
	X509_ALGOR_get0(NULL, &ptype, &curve, pa);
	if (ptype != V_ASN1_OBJECT)
		return 0;
	if (pklen > 0 && pk[0] == POINT_CONVERSION_UNCOMPRESSED)
		return 1;
	nid = OBJ_obj2nid(curve);
	for (i = 0; i < sizeof(cheap) / sizeof(cheap[0]); i++)
		if (nid == cheap[i])
			return 1;
	return 0;
}

/* der (exactly len bytes) read without its key (keyless.c), the key
 * unusable (X509_get0_pubkey() gives NULL: nothing can verify with it);
 * NULL if it does not decode, or does not end where der does. */
static X509 *
cert_cache_keyless(const unsigned char *der, size_t len)
{
	const unsigned char *q = der;
	X509 *x;

	if (len > LONG_MAX || (x = keyless_x509_d2i(&q, (long)len)) == NULL)
		return NULL;
	if (q != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * der (exactly len bytes) as a certificate: read first without its key,
 * and again with it when the key is allowed; a certificate whose key is
 * not is kept as read without it. NULL if it does not decode, or does
 * not end where der does.
 */
static X509 *
cert_cache_decode(const unsigned char *der, size_t len)
{
	const unsigned char *q;
	X509 *x, *full;

	if ((x = cert_cache_keyless(der, len)) == NULL)
		return NULL;
	if (!cert_cache_key_allowed(x))
		return x;
	q = der;
	full = d2i_X509(NULL, &q, (long)len);
	X509_free(x);
	if (full != NULL && q != der + len) {
		X509_free(full);
		full = NULL;
	}
	return full;
}

/* The certificate that is exactly der (len bytes), a new reference; NULL
 * if it does not decode, or does not end where der does. */
X509 *
cert_cache_d2i(const unsigned char *der, size_t len)
{
	struct cert_cache_entry *e, *victim = &cert_cache[0];
	X509 *x;
	size_t i;

	cert_cache_clock++;
	for (i = 0; i < CERT_CACHE_MAX; i++) {
		e = &cert_cache[i];
		if (e->x != NULL && e->len == len &&
		    memcmp(e->der, der, len) == 0 && X509_up_ref(e->x)) {
			e->used = cert_cache_clock;
			return e->x;
		}
		if (e->used < victim->used)
			victim = e;
	}
	if (len > LONG_MAX || (x = cert_cache_decode(der, len)) == NULL)
		return NULL;
	if (len > CERT_CACHE_DER_MAX)
		return x;
	cert_cache_drop(victim);
	if ((victim->der = OPENSSL_memdup(der, len)) == NULL ||
	    !X509_up_ref(x)) {
		cert_cache_drop(victim);
		return x;
	}
	victim->len = len;
	victim->x = x;
	victim->used = cert_cache_clock;
	return x;
}

/*
 * How many of the certificates decoded through CMPD_CERT from now on get
 * their keys decoded (-1: all); the others are read keyless, not cached.
 * A key can cost a millisecond (a compressed point on P-224 takes a
 * square root modulo a prime whose p - 1 has 2^96 as a factor), so a
 * message must not have hundreds of them decoded before its certificates
 * are counted.
 */
void
cert_cache_budget(int n)
{
	cert_cache_keys_left = n;
}

/*
 * The first max certificates of certs that were read without their keys
 * (cert_cache_budget), read again with them where a key is allowed
 * (cert_cache_d2i): for a message whose keys were left for when it is
 * known to be needed. 0, or -1 when one cannot be read again.
 */
int
cert_cache_rekey(STACK_OF(X509) *certs, int max)
{
	unsigned char *der;
	X509 *x, *full;
	int i, n;

	for (i = 0; i < sk_X509_num(certs) && i < max; i++) {
		x = sk_X509_value(certs, i);
		/* keyless: no decoder in its context, nothing is tried */
		if (X509_get0_pubkey(x) != NULL)
			continue;
		der = NULL;
		if ((n = i2d_X509(x, &der)) <= 0)
			return -1;
		full = cert_cache_d2i(der, (size_t)n);
		OPENSSL_free(der);
		if (full == NULL)
			return -1;
		(void)sk_X509_set(certs, i, full);
		X509_free(x);
	}
	return 0;
}

void
cert_cache_flush(void)
{
	size_t i;

	for (i = 0; i < CERT_CACHE_MAX; i++)
		cert_cache_drop(&cert_cache[i]);
}

/*
 * CMPD_CERT: an X509 whose decoding goes through cert_cache_d2i(), for
 * an untagged element (extraCerts' SEQUENCE OF, cmp_asn1.c). Encoding
 * is i2d_X509's.
 */
static int
cmpd_cert_new(ASN1_VALUE **pval, const ASN1_ITEM *it)
{
	(void)it;
	return (*pval = (ASN1_VALUE *)X509_new()) != NULL;
}

static void
cmpd_cert_free(ASN1_VALUE **pval, const ASN1_ITEM *it)
{
	(void)it;
	X509_free((X509 *)*pval);
	*pval = NULL;
}

static int
cmpd_cert_d2i(ASN1_VALUE **pval, const unsigned char **in, long len,
    const ASN1_ITEM *it, int tag, int aclass, char opt, ASN1_TLC *ctx)
{
	const unsigned char *p = *in;
	size_t n;
	long clen;
	int ptag, pclass, r;
	X509 *x;

	(void)it;
	(void)aclass;
	(void)ctx;
	if (tag != -1)
		return 0;
	r = ASN1_get_object(&p, &clen, &ptag, &pclass, len);
	if ((r & 0x80) != 0 || (r & 0x01) != 0 ||	/* indefinite: not DER */
	    (r & V_ASN1_CONSTRUCTED) == 0 ||
	    ptag != V_ASN1_SEQUENCE || pclass != V_ASN1_UNIVERSAL)
		return opt ? -1 : 0;
	n = (size_t)(p - *in) + (size_t)clen;
	if (cert_cache_keys_left == 0)
		x = cert_cache_keyless(*in, n);
	else {
		x = cert_cache_d2i(*in, n);
		if (cert_cache_keys_left > 0)
			cert_cache_keys_left--;
	}
	if (x == NULL)
		return 0;
	X509_free((X509 *)*pval);
	*pval = (ASN1_VALUE *)x;
	*in = p + clen;
	return 1;
}

static int
cmpd_cert_i2d(const ASN1_VALUE **pval, unsigned char **out,
    const ASN1_ITEM *it, int tag, int aclass)
{
	(void)it;
	(void)aclass;
	if (tag != -1)
		return -1;
	return i2d_X509((const X509 *)*pval, out);
}

static const ASN1_EXTERN_FUNCS cmpd_cert_ff = {
	NULL, cmpd_cert_new, cmpd_cert_free, NULL, cmpd_cert_d2i,
	cmpd_cert_i2d, NULL, NULL, NULL
};
IMPLEMENT_EXTERN_ASN1(CMPD_CERT, V_ASN1_SEQUENCE, cmpd_cert_ff)
