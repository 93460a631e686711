/*
 * Unit test for spki.c: one decoder context decodes keys of every type in
 * turn, the same keys d2i_PUBKEY() gives, also after input it refused
 * (garbage, truncation, trailing bytes); EC keys on the NIST curves, read
 * without the decoder, are the keys d2i_PUBKEY() gives and refused where
 * it refuses them, their points altered byte by byte; a CRMF
 * CertTemplate's key and SubjectPublicKeyInfo come back as sent; and a
 * certificate is told to carry a request's key by its
 * SubjectPublicKeyInfo's hash, or, when the CA encoded the key otherwise,
 * by the decoded keys; an RSA key labelled RSASSA-PSS is the same key as
 * labelled rsaEncryption.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "tap.h"

#define NKEYS	4

static EVP_PKEY *keys[NKEYS];
static const char *const names[NKEYS] = { "EC P-256", "RSA 2048",
	"EC P-384", "Ed25519" };

static int
setup(void)
{
	keys[0] = EVP_EC_gen("P-256");
	keys[1] = EVP_RSA_gen(2048);
	keys[2] = EVP_EC_gen("P-384");
	keys[3] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return keys[0] && keys[1] && keys[2] && keys[3] ? 0 : -1;
}

/* k's SubjectPublicKeyInfo, with extra bytes of room after it */
static int
spki_der(EVP_PKEY *k, unsigned char **der)
{
	unsigned char *p = NULL;
	int n;

	if ((n = i2d_PUBKEY(k, &p)) <= 0)
		return -1;
	if ((*der = realloc(p, (size_t)n + 4)) == NULL) {
		OPENSSL_free(p);
		return -1;
	}
	return n;
}

static void
test_decode(void)
{
	static const unsigned char junk[32] = { 0x30, 0x1e, 0x30, 0x30 };
	unsigned char *der;
	EVP_PKEY *k;
	int i, round, n;

	for (round = 0; round < 2; round++)
		for (i = 0; i < NKEYS; i++) {
			if ((n = spki_der(keys[i], &der)) < 0) {
				ok(0, "%s: encoded", names[i]);
				continue;
			}
			ok(spki_decode(junk, sizeof(junk)) == NULL,
			    "round %d, %s: garbage refused", round, names[i]);
			ok(spki_decode(der, (size_t)n - 3) == NULL,
			    "round %d, %s: truncated refused", round, names[i]);
			der[n] = 0x00;
			ok(spki_decode(der, (size_t)n + 1) == NULL,
			    "round %d, %s: trailing byte refused", round,
			    names[i]);
			k = spki_decode(der, (size_t)n);
			ok(k != NULL && EVP_PKEY_eq(k, keys[i]) == 1,
			    "round %d, %s: decoded, the same key", round,
			    names[i]);
			EVP_PKEY_free(k);
			free(der);
		}
}

/*
 * Whether spki_decode() and d2i_PUBKEY() agree on der: both refuse it, or
 * both decode it to the same key. *refused counts the refusals.
 */
static int
agree(const unsigned char *der, size_t n, int *refused)
{
	const unsigned char *p = der;
	EVP_PKEY *a, *b;
	int r;

	a = spki_decode(der, n);
	b = d2i_PUBKEY(NULL, &p, (long)n);
	if (b != NULL && p != der + n) {
		EVP_PKEY_free(b);
		b = NULL;
	}
	r = a == NULL ? b == NULL : b != NULL && EVP_PKEY_eq(a, b) == 1;
	if (a == NULL && b == NULL)
		(*refused)++;
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	ERR_clear_error();
	return r;
}

/* k's SubjectPublicKeyInfo with its point in form ("uncompressed",
 * "compressed") and its curve as encoding ("named_curve", "explicit") */
static int
ec_der(EVP_PKEY *k, const char *form, const char *encoding,
    unsigned char **der)
{
	EVP_PKEY *d = EVP_PKEY_dup(k);
	int n = -1;

	*der = NULL;
	if (d != NULL && EVP_PKEY_set_utf8_string_param(d,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, form) == 1 &&
	    EVP_PKEY_set_utf8_string_param(d, OSSL_PKEY_PARAM_EC_ENCODING,
	    encoding) == 1)
		n = i2d_PUBKEY(d, der);
	EVP_PKEY_free(d);
	return n;
}

static void
test_ec_curves(void)
{
	static const char *const curves[] = { "P-256", "P-384", "P-521",
		"brainpoolP256r1" };
	static const char *const forms[] = { "uncompressed", "compressed" };
	static const char *const encodings[] = { "named_curve", "explicit" };
	size_t c, f, e, i, plen;
	unsigned char *der, *back;
	EVP_PKEY *k, *got, *lib;
	CMPD_SPKI *s;
	const unsigned char *p;
	int n, m, bad, refused;

	for (c = 0; c < NITEMS(curves); c++) {
		k = EVP_EC_gen(curves[c]);
		for (f = 0; f < NITEMS(forms); f++)
			for (e = 0; e < NITEMS(encodings); e++) {
				if ((n = ec_der(k, forms[f], encodings[e],
				    &der)) <= 0) {
					ok(0, "%s %s %s: encoded", curves[c],
					    forms[f], encodings[e]);
					continue;
				}
				got = spki_decode(der, (size_t)n);
				/* explicit parameters (RFC 5480 2.1.1: not
				 * in PKIX; libcrypto would build the curve
				 * they describe, at a cost their sender
				 * chooses): refused, though libcrypto reads
				 * them */
				if (e > 0) {
					p = der;
					lib = d2i_PUBKEY(NULL, &p, n);
					ok(got == NULL && lib != NULL,
					    "%s, %s point, %s: refused, though "
					    "libcrypto reads it", curves[c],
					    forms[f], encodings[e]);
					EVP_PKEY_free(got);
					EVP_PKEY_free(lib);
					OPENSSL_free(der);
					ERR_clear_error();
					continue;
				}
				back = NULL;
				m = got != NULL ? i2d_PUBKEY(got, &back) : -1;
				ok(got != NULL && EVP_PKEY_eq(got, k) == 1 &&
				    m == n && memcmp(back, der, (size_t)n) == 0,
				    "%s, %s point, %s: the key, encoded back as "
				    "sent", curves[c], forms[f], encodings[e]);
				EVP_PKEY_free(got);
				OPENSSL_free(back);
				/* the point: the BIT STRING's octets, at
				 * the end */
				p = der;
				s = d2i_CMPD_SPKI(NULL, &p, n);
				plen = s != NULL ? (size_t)ASN1_STRING_length(
				    s->subjectPublicKey) : 0;
				CMPD_SPKI_free(s);
				bad = plen == 0;
				refused = 0;
				for (i = (size_t)n - plen; i < (size_t)n;
				    i++) {
					der[i] ^= 0x01;
					bad += !agree(der, (size_t)n,
					    &refused);
					der[i] ^= 0x01;
				}
				/* cut short; a bit of the BIT STRING left
				 * unused */
				bad += !agree(der, (size_t)n - 1, &refused);
				der[n - (int)plen - 1] = 0x01;
				bad += !agree(der, (size_t)n, &refused);
				ok(bad == 0 && refused > 0, "%s, %s point, %s: "
				    "each octet of the point altered: refused "
				    "where d2i_PUBKEY() refuses (%d times), "
				    "else the same key", curves[c], forms[f],
				    encodings[e], refused);
				OPENSSL_free(der);
			}
		EVP_PKEY_free(k);
	}
}

static void
test_template(void)
{
	OSSL_CRMF_MSG *m = OSSL_CRMF_MSG_new();
	OSSL_CRMF_CERTTEMPLATE *t;
	CMPD_SPKI *spki = NULL;
	unsigned char *sent = NULL, *back = NULL;
	EVP_PKEY *k;
	int n, m_len;

	t = m != NULL ? OSSL_CRMF_MSG_get0_tmpl(m) : NULL;
	ok(t != NULL && OSSL_CRMF_CERTTEMPLATE_fill(t, keys[1], NULL, NULL,
	    NULL) == 1, "a template with an RSA key");
	k = spki_template_key(t, &spki);
	ok(k != NULL && EVP_PKEY_eq(k, keys[1]) == 1, "its key");
	n = i2d_PUBKEY(keys[1], &sent);
	m_len = spki != NULL ? i2d_CMPD_SPKI(spki, &back) : -1;
	ok(n > 0 && n == m_len && memcmp(sent, back, (size_t)n) == 0,
	    "its SubjectPublicKeyInfo as sent");
	EVP_PKEY_free(k);
	CMPD_SPKI_free(spki);
	OPENSSL_free(sent);
	OPENSSL_free(back);
	OSSL_CRMF_MSG_free(m);
	m = OSSL_CRMF_MSG_new();
	ok(m != NULL && spki_template_key(OSSL_CRMF_MSG_get0_tmpl(m), &spki) ==
	    NULL && spki == NULL, "a template without a key: none");
	OSSL_CRMF_MSG_free(m);
	ok(spki_template_key(NULL, NULL) == NULL, "no template: none");
}

/* SHA-256 of k's SubjectPublicKeyInfo DER, as a request's row keeps it */
static int
spki_sha256(EVP_PKEY *k, unsigned char md[32])
{
	unsigned char *der = NULL;
	int n, r;

	n = i2d_PUBKEY(k, &der);
	r = n > 0 && EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(), NULL);
	OPENSSL_free(der);
	return r ? 0 : -1;
}

/* a certificate (unsigned: only its key is read) for k */
static X509 *
cert_for(EVP_PKEY *k)
{
	X509 *x = X509_new();

	if (x != NULL && X509_set_pubkey(x, k) != 1) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static void
test_cert_key(void)
{
	OSSL_CRMF_MSG *m = OSSL_CRMF_MSG_new();
	OSSL_CRMF_CERTTEMPLATE *t;
	unsigned char want[32], got[32], *der = NULL;
	EVP_PKEY *compressed;
	int n;
	X509 *same, *other, *recoded;

	t = m != NULL ? OSSL_CRMF_MSG_get0_tmpl(m) : NULL;
	if (!ok(t != NULL && OSSL_CRMF_CERTTEMPLATE_fill(t, keys[0], NULL,
	    NULL, NULL) == 1 && spki_sha256(keys[0], want) == 0,
	    "a request for an EC P-256 key")) {
		OSSL_CRMF_MSG_free(m);
		return;
	}
	/* the same key as a CA may encode it: the point compressed */
	compressed = EVP_PKEY_dup(keys[0]);
	ok(compressed != NULL && EVP_PKEY_set_utf8_string_param(compressed,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, "compressed") == 1 &&
	    spki_sha256(compressed, got) == 0 && memcmp(want, got, 32) != 0,
	    "the key compressed hashes otherwise");
	/* the request's key as it sent it (request_spki) */
	n = i2d_PUBKEY(keys[0], &der);
	{
		size_t tl;
		unsigned char *td = spki_template_der(t, &tl);

		ok(td != NULL && n > 0 && tl == (size_t)n &&
		    memcmp(td, der, tl) == 0,
		    "the template's key as sent: its SubjectPublicKeyInfo");
		OPENSSL_free(td);
		ok(spki_template_der(NULL, &tl) == NULL && tl == 0,
		    "no template: no key");
	}
	same = cert_for(keys[0]);
	other = cert_for(keys[2]);
	recoded = compressed != NULL ? cert_for(compressed) : NULL;
	ok(same != NULL && spki_cert_has_key(same, want, der, (size_t)n) == 1 &&
	    spki_cert_has_key(same, want, NULL, 0) == 1,
	    "a certificate for the key: the same (by its hash)");
	ok(recoded != NULL && n > 0 &&
	    spki_cert_has_key(recoded, want, der, (size_t)n) == 1,
	    "... encoded otherwise: the same (the keys compared)");
	ok(recoded != NULL && spki_cert_has_key(recoded, want, NULL, 0) == 0,
	    "... encoded otherwise, the request's key not at hand: not told "
	    "the same");
	ok(recoded != NULL && n > 0 &&
	    spki_cert_has_key(recoded, want, der, (size_t)n - 1) == 0,
	    "... nor with the request's key cut short");
	ok(other != NULL && spki_cert_has_key(other, want, der,
	    (size_t)n) == 0 && spki_cert_has_key(other, want, NULL, 0) == 0,
	    "a certificate for another key: another");
	X509_free(same);
	X509_free(other);
	X509_free(recoded);
	OPENSSL_free(der);
	EVP_PKEY_free(compressed);
	OSSL_CRMF_MSG_free(m);
}

/*
 * k, an RSA key, as its SubjectPublicKeyInfo labelled id-RSASSA-PSS
 * (RFC 4055 1.2, no parameters) and decoded: the same modulus and
 * exponent as a key of another type to libcrypto.
 */
static EVP_PKEY *
rsa_as_pss(EVP_PKEY *k)
{
	X509_PUBKEY *from = X509_PUBKEY_new(), *to = X509_PUBKEY_new();
	const unsigned char *bits;
	unsigned char *copy = NULL, *der = NULL;
	EVP_PKEY *pss = NULL;
	int nbits, n;

	if (from == NULL || to == NULL || X509_PUBKEY_set(&from, k) != 1 ||
	    X509_PUBKEY_get0_param(NULL, &bits, &nbits, NULL, from) != 1 ||
	    (copy = OPENSSL_memdup(bits, (size_t)nbits)) == NULL)
		goto out;
	if (X509_PUBKEY_set0_param(to, OBJ_nid2obj(NID_rsassaPss),
	    V_ASN1_UNDEF, NULL, copy, nbits) != 1)
		goto out;
	copy = NULL;
	if ((n = i2d_X509_PUBKEY(to, &der)) > 0)
		pss = spki_decode(der, (size_t)n);
 out:
	OPENSSL_free(copy);
	OPENSSL_free(der);
	X509_PUBKEY_free(from);
	X509_PUBKEY_free(to);
	return pss;
}

static void
test_rsa_labels(void)
{
	EVP_PKEY *pss = rsa_as_pss(keys[1]), *other = EVP_RSA_gen(2048);
	EVP_PKEY *other_pss = other != NULL ? rsa_as_pss(other) : NULL;
	unsigned char want[32], *der = NULL;
	X509 *cert = pss != NULL ? cert_for(pss) : NULL;
	int n;

	ok(pss != NULL && EVP_PKEY_is_a(pss, "RSA-PSS") &&
	    EVP_PKEY_eq(pss, keys[1]) != 1,
	    "RSA labelled RSASSA-PSS: another key to libcrypto");
	ok(spki_key_eq(pss, keys[1]) == 1 && spki_key_eq(keys[1], pss) == 1,
	    "... the same key here, either way round");
	ok(other_pss != NULL && spki_key_eq(other_pss, keys[1]) == 0 &&
	    spki_key_eq(keys[1], other_pss) == 0 &&
	    spki_key_eq(other, keys[1]) == 0,
	    "another RSA key, labelled either way: another");
	ok(spki_key_eq(keys[0], keys[1]) == 0 &&
	    spki_key_eq(keys[1], keys[0]) == 0 &&
	    spki_key_eq(pss, keys[2]) == 0, "RSA and EC: another");
	ok(spki_key_eq(keys[0], keys[0]) == 1 &&
	    spki_key_eq(keys[1], NULL) == 0 && spki_key_eq(NULL, pss) == 0,
	    "the same EC key: the same; none: not");
	/* a CA that issues the requested rsaEncryption key as RSASSA-PSS */
	n = i2d_PUBKEY(keys[1], &der);
	ok(cert != NULL && n > 0 && spki_sha256(keys[1], want) == 0 &&
	    spki_cert_has_key(cert, want, der, (size_t)n) == 1,
	    "a certificate with the requested RSA key labelled RSASSA-PSS: "
	    "the same key");
	X509_free(cert);
	OPENSSL_free(der);
	EVP_PKEY_free(pss);
	EVP_PKEY_free(other);
	EVP_PKEY_free(other_pss);
}

/* The SubjectPublicKeyInfo of an RSA key with modulus n and exponent e. */
static int
rsa_der(const BIGNUM *n, unsigned long e, unsigned char **der)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *prm = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	BIGNUM *be = BN_new();
	int len = -1;

	*der = NULL;
	if (b != NULL && c != NULL && be != NULL && BN_set_word(be, e) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, be) &&
	    (prm = OSSL_PARAM_BLD_to_param(b)) != NULL &&
	    EVP_PKEY_fromdata_init(c) == 1 &&
	    EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, prm) == 1)
		len = i2d_PUBKEY(k, der);
	EVP_PKEY_free(k);
	OSSL_PARAM_free(prm);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(c);
	BN_free(be);
	return len;
}

/* A key anyone can make a proof of possession for (der, len): libcrypto
 * reads it, spki_decode() refuses it. */
static void
read_but_refused(const unsigned char *der, size_t len, const char *what)
{
	const unsigned char *p = der;
	EVP_PKEY *lib, *got;

	lib = d2i_PUBKEY(NULL, &p, (long)len);
	got = spki_decode(der, len);
	ok(lib != NULL && got == NULL, "%s: refused, though libcrypto reads "
	    "it", what);
	EVP_PKEY_free(lib);
	EVP_PKEY_free(got);
	ERR_clear_error();
}

/* Keys anyone can make a proof of possession for, which libcrypto reads:
 * refused. */
static void
test_degenerate(void)
{
	/* P-256, its point the one octet 00: the point at infinity */
	static const unsigned char inf[] = {
		0x30, 0x19, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d,
		0x03, 0x01, 0x07, 0x03, 0x02, 0x00, 0x00,
	};
	static const struct { unsigned long e; int good; const char *what; }
	    rsa[] = {
		{ 65537, 1, "e = 65537: the key" },
		{ 3, 1, "e = 3: the key" },
		{ 1, 0, "e = 1 (the signature is the padded hash): refused" },
		{ 65536, 0, "an even e: refused" },
	};
	const unsigned char *p;
	EVP_PKEY *lib, *got, *r;
	unsigned char *der;
	BIGNUM *n = NULL;
	size_t i;
	int len;

	read_but_refused(inf, sizeof(inf), "EC P-256, the point at infinity");

	r = EVP_RSA_gen(2048);
	if (!ok(r != NULL && EVP_PKEY_get_bn_param(r, OSSL_PKEY_PARAM_RSA_N,
	    &n) == 1, "an RSA modulus"))
		goto out;
	for (i = 0; i < NITEMS(rsa); i++) {
		len = rsa_der(n, rsa[i].e, &der);
		got = len > 0 ? spki_decode(der, (size_t)len) : NULL;
		p = der;
		lib = len > 0 ? d2i_PUBKEY(NULL, &p, len) : NULL;
		ok(lib != NULL && (got != NULL) == rsa[i].good, "RSA-2048, %s",
		    rsa[i].what);
		EVP_PKEY_free(lib);
		EVP_PKEY_free(got);
		OPENSSL_free(der);
		ERR_clear_error();
	}
	/* an even modulus */
	BN_clear_bit(n, 0);
	len = rsa_der(n, 65537, &der);
	got = len > 0 ? spki_decode(der, (size_t)len) : NULL;
	ok(len > 0 && got == NULL, "RSA-2048, an even modulus: refused");
	EVP_PKEY_free(got);
	OPENSSL_free(der);
 out:
	BN_free(n);
	EVP_PKEY_free(r);
	ERR_clear_error();
}

/*
 * A named curve whose group has a cofactor (sect283k1: 4), the point
 * (0, 1) of order 2 on it: on the curve, not at infinity, so libcrypto's
 * quick check passes it, and ECDSA verification reduces to u1 * G for
 * every even u2 (anyone signs). Refused; a key of the curve's prime
 * order subgroup is read.
 */
static void
test_ec_small_order(void)
{
	unsigned char der[0x60] = { 0x30, 0x5e, 0x30, 0x10, 0x06, 0x07, 0x2a,
	    0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05, 0x2b, 0x81, 0x04,
	    0x00, 0x10, 0x03, 0x4a, 0x00, 0x04 };
	unsigned char *kder = NULL;
	EVP_PKEY *got, *k;
	int len;

	der[sizeof(der) - 1] = 0x01;	/* x = 0 (36 octets), y = 1 */
	read_but_refused(der, sizeof(der), "sect283k1, a point of order 2");
	k = EVP_EC_gen("sect283k1");
	len = k != NULL ? i2d_PUBKEY(k, &kder) : 0;
	got = len > 0 ? spki_decode(kder, (size_t)len) : NULL;
	ok(got != NULL && EVP_PKEY_eq(got, k) == 1,
	    "sect283k1, a key made by libcrypto: read");
	EVP_PKEY_free(got);
	EVP_PKEY_free(k);
	OPENSSL_free(kder);
	ERR_clear_error();
}

/*
 * An RSA modulus with a small prime factor (3 times a prime): anyone who
 * divides by 3 has the private key. Refused.
 */
static void
test_rsa_small_factor(void)
{
	BIGNUM *q = BN_new(), *n = BN_new();
	unsigned char *der = NULL;
	EVP_PKEY *got;
	int len = 0;

	if (q != NULL && n != NULL &&
	    BN_generate_prime_ex(q, 1022, 0, NULL, NULL, NULL) == 1 &&
	    BN_copy(n, q) != NULL && BN_mul_word(n, 3) == 1)
		len = rsa_der(n, 65537, &der);
	got = len > 0 ? spki_decode(der, (size_t)len) : NULL;
	ok(len > 0 && got == NULL, "RSA, a modulus of 3 times a prime: "
	    "refused");
	EVP_PKEY_free(got);
	OPENSSL_free(der);
	got = NULL;
	der = NULL;
	len = 0;
	if (q != NULL && n != NULL && BN_copy(n, q) != NULL &&
	    BN_mul_word(n, 997) == 1 && (len = rsa_der(n, 65537, &der)) > 0)
		got = spki_decode(der, (size_t)len);
	ok(len > 0 && got == NULL, "RSA, a modulus of 997 times a prime: "
	    "refused");
	EVP_PKEY_free(got);
	OPENSSL_free(der);
	BN_free(q);
	BN_free(n);
	ERR_clear_error();
}

/* An Ed25519 SubjectPublicKeyInfo with public key pub (RFC 8410 4). */
static void
ed25519_der(const unsigned char pub[32], unsigned char der[44])
{
	static const unsigned char head[12] = { 0x30, 0x2a, 0x30, 0x05, 0x06,
	    0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

	memcpy(der, head, sizeof(head));
	memcpy(der + sizeof(head), pub, 32);
}

/* How many of 64 messages the signature sig (siglen octets) verifies for
 * under the EdDSA (type) public key pub, with libcrypto. */
static int
eddsa_forged(int type, const unsigned char *pub, size_t publen,
    const unsigned char *sig, size_t siglen)
{
	unsigned char msg[4];
	EVP_PKEY *k;
	EVP_MD_CTX *c;
	int i, n = 0;

	if ((k = EVP_PKEY_new_raw_public_key(type, NULL, pub, publen)) == NULL)
		return -1;
	for (i = 0; i < 64; i++) {
		memset(msg, i, sizeof(msg));
		c = EVP_MD_CTX_new();
		n += c != NULL && EVP_DigestVerifyInit(c, NULL, NULL, NULL,
		    k) == 1 && EVP_DigestVerify(c, sig, siglen, msg,
		    sizeof(msg)) == 1;
		EVP_MD_CTX_free(c);
	}
	EVP_PKEY_free(k);
	ERR_clear_error();
	return n;
}

/* The same for the Ed25519 "signature" R = the identity, s = 0. */
static int
ed25519_forged(const unsigned char pub[32])
{
	static const unsigned char sig[64] = { 0x01 };

	return eddsa_forged(EVP_PKEY_ED25519, pub, 32, sig, sizeof(sig));
}

/* Ed25519 keys of small order (the y of each, either sign of x), for
 * which libcrypto verifies a made-up signature: refused; a real key
 * passes. */
static void
test_ed25519_small(void)
{
	static const struct { unsigned char y0, y31; const char *what; } ff[] = {
		{ 0xec, 0x7f, "y = p - 1" }, { 0xed, 0x7f, "y = p (0)" },
		{ 0xee, 0x7f, "y = p + 1 (1)" },
	};
	static const unsigned char o8[2][32] = {
		{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3,
		  0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05,
		  0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53,
		  0xfc, 0x05 },
		{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c,
		  0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa,
		  0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac,
		  0x03, 0x7a },
	};
	unsigned char pub[7][32], der[44];
	const char *what[7] = { "y = 0", "y = 1 (the identity)", NULL, NULL,
		NULL, "order 8, first", "order 8, second" };
	EVP_PKEY *k, *got;
	size_t i, len;
	int sign, n;

	memset(pub, 0, sizeof(pub));
	pub[1][0] = 0x01;
	for (i = 0; i < NITEMS(ff); i++) {
		memset(pub[2 + i], 0xff, 32);
		pub[2 + i][0] = ff[i].y0;
		pub[2 + i][31] = ff[i].y31;
		what[2 + i] = ff[i].what;
	}
	memcpy(pub[5], o8[0], 32);
	memcpy(pub[6], o8[1], 32);
	for (i = 0; i < NITEMS(pub); i++)
		for (sign = 0; sign < 2; sign++) {
			pub[i][31] = (unsigned char)((pub[i][31] & 0x7f) |
			    (sign << 7));
			n = ed25519_forged(pub[i]);
			ed25519_der(pub[i], der);
			got = spki_decode(der, sizeof(der));
			ok(n > 0 && got == NULL, "Ed25519 %s, x sign %d: libcrypto "
			    "verifies a made-up signature for %d of 64 messages; "
			    "refused", what[i], sign, n);
			EVP_PKEY_free(got);
			ERR_clear_error();
		}
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	len = 32;
	if (k != NULL && EVP_PKEY_get_raw_public_key(k, pub[0], &len) == 1) {
		ed25519_der(pub[0], der);
		got = spki_decode(der, sizeof(der));
		ok(ed25519_forged(pub[0]) == 0 && got != NULL &&
		    EVP_PKEY_eq(got, k) == 1, "a real Ed25519 key: no made-up "
		    "signature verifies; the key");
		EVP_PKEY_free(got);
	} else
		ok(0, "an Ed25519 key");
	EVP_PKEY_free(k);
}

/* The same for the Ed448 "signature" R (57 octets), s = 0. */
static int
ed448_forged(const unsigned char pub[57], const unsigned char r[57])
{
	unsigned char sig[114];

	memset(sig, 0, sizeof(sig));
	memcpy(sig, r, 57);
	return eddsa_forged(EVP_PKEY_ED448, pub, 57, sig, sizeof(sig));
}

/* Ed448 keys of small order (y = 0, 1, p - 1, and p, p + 1 read modulo
 * p; either sign of x): libcrypto verifies a made-up signature for
 * those it reads; all refused. A real key passes. */
static void
test_ed448_small(void)
{
	static const struct { unsigned char lo0, lo, hi0, hi; const char *what; }
	    y[] = {
		{ 0x00, 0x00, 0x00, 0x00, "y = 0 (order 4)" },
		{ 0x01, 0x00, 0x00, 0x00, "y = 1 (the identity)" },
		{ 0xfe, 0xff, 0xfe, 0xff, "y = p - 1 (order 2)" },
		{ 0xff, 0xff, 0xfe, 0xff, "y = p (0)" },
		{ 0x00, 0x00, 0xff, 0xff, "y = p + 1 (1)" },
	};
	static const unsigned char head[12] = { 0x30, 0x43, 0x30, 0x05, 0x06,
	    0x03, 0x2b, 0x65, 0x71, 0x03, 0x3a, 0x00 };
	unsigned char pub[57], der[69], r[57];
	EVP_PKEY *k, *got;
	size_t i, j, len;
	int sign, n, m, forged = 0;

	for (i = 0; i < NITEMS(y); i++)
		for (sign = 0; sign < 2; sign++) {
			memset(pub, y[i].lo, 28);
			pub[0] = y[i].lo0;
			memset(pub + 28, y[i].hi, 28);
			pub[28] = y[i].hi0;
			pub[56] = (unsigned char)(sign << 7);
			/* R: each of the small-order points' encodings */
			for (n = 0, j = 0; j < NITEMS(y); j++) {
				memset(r, y[j].lo, 28);
				r[0] = y[j].lo0;
				memset(r + 28, y[j].hi, 28);
				r[28] = y[j].hi0;
				r[56] = 0;
				if ((m = ed448_forged(pub, r)) > 0)
					n += m;
			}
			forged += n > 0;
			memcpy(der, head, sizeof(head));
			memcpy(der + sizeof(head), pub, 57);
			got = spki_decode(der, sizeof(der));
			ok(got == NULL, "Ed448 %s, x sign %d (libcrypto verifies "
			    "%d made-up signatures of 320): refused", y[i].what,
			    sign, n);
			EVP_PKEY_free(got);
			ERR_clear_error();
		}
	ok(forged > 0, "for %d of these keys libcrypto verifies a made-up "
	    "signature", forged);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	len = 57;
	if (k != NULL && EVP_PKEY_get_raw_public_key(k, pub, &len) == 1) {
		memcpy(der, head, sizeof(head));
		memcpy(der + sizeof(head), pub, 57);
		got = spki_decode(der, sizeof(der));
		ok(got != NULL && EVP_PKEY_eq(got, k) == 1, "a real Ed448 "
		    "key: the key");
		EVP_PKEY_free(got);
	} else
		ok(0, "an Ed448 key");
	EVP_PKEY_free(k);
}

/* A DSA key with g = 1 and y = 1 (RFC 3279 2.3.2 leaves the domain
 * parameters to the key): the signature r = 1, s = 1 verifies for every
 * message. Refused, as any DSA key is. */
static void
test_dsa(void)
{
	static const unsigned char sig[8] = { 0x30, 0x06, 0x02, 0x01, 0x01,
	    0x02, 0x01, 0x01 };
	unsigned char pb[128], qb[28], msg[4], *der = NULL;
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *c = NULL;
	EVP_PKEY *k = NULL, *got = NULL;
	BIGNUM *p = NULL, *q = NULL, *one = BN_new();
	EVP_MD_CTX *mc;
	int i, n = 0, len;

	memset(pb, 0xff, sizeof(pb));
	memset(qb, 0xff, sizeof(qb));
	if (b == NULL || one == NULL || !BN_one(one) ||
	    (p = BN_bin2bn(pb, sizeof(pb), NULL)) == NULL ||
	    (q = BN_bin2bn(qb, sizeof(qb), NULL)) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_P, p) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_Q, q) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_FFC_G, one) ||
	    !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, one) ||
	    (params = OSSL_PARAM_BLD_to_param(b)) == NULL ||
	    (c = EVP_PKEY_CTX_new_from_name(NULL, "DSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(c) <= 0 ||
	    EVP_PKEY_fromdata(c, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		ok(0, "a DSA key of g = 1, y = 1");
		goto out;
	}
	for (i = 0; i < 16; i++) {
		memset(msg, i, sizeof(msg));
		mc = EVP_MD_CTX_new();
		n += mc != NULL && EVP_DigestVerifyInit(mc, NULL, EVP_sha256(),
		    NULL, k) == 1 && EVP_DigestVerify(mc, sig, sizeof(sig), msg,
		    sizeof(msg)) == 1;
		EVP_MD_CTX_free(mc);
	}
	ERR_clear_error();
	ok(n == 16, "DSA g = 1, y = 1: libcrypto verifies r = 1, s = 1 for "
	    "%d of 16 messages", n);
	ok(!spki_key_sound(k), "... the key is refused");
	if ((len = i2d_PUBKEY(k, &der)) > 0)
		got = spki_decode(der, (size_t)len);
	ok(len > 0 && got == NULL, "... and its SubjectPublicKeyInfo");
 out:
	EVP_PKEY_free(got);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(p);
	BN_free(q);
	BN_free(one);
	ERR_clear_error();
}

int
main(void)
{
	int i;

	if (!ok(setup() == 0, "test keys made"))
		return done_testing();
	test_decode();
	test_ec_curves();
	test_template();
	test_cert_key();
	test_rsa_labels();
	test_degenerate();
	test_ec_small_order();
	test_rsa_small_factor();
	test_ed25519_small();
	test_ed448_small();
	test_dsa();
	spki_done();
	for (i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	return done_testing();
}
