/*
 * Unit test for keyless.c and popo.c: a CertReqMessages read in
 * keyless_ctx() holds no decoded key (libcrypto's own POP check fails on
 * it), and popo_verify() with the key from spki_template_key() gives the
 * answer RFC 4211 4 asks for: signature POPs of three key types, a POP
 * by another key, a template changed after signing, no POP, raVerified
 * accepted only when asked to, keyEncipherment unsupported, poposkInput
 * beside a full template refused, a POP signed with SHA-1 or SHA-224
 * refused for its algorithm (RFC 9481 3). A certificate read with
 * keyless_x509_d2i() is the same certificate, checked against its issuer
 * as before, its key still to be had from its SubjectPublicKeyInfo.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "keyless.h"
#include "tap.h"

#define NKEYS	3

static EVP_PKEY *keys[NKEYS];
static const char *const names[NKEYS] = { "EC P-256", "RSA 2048",
	"Ed25519" };

/* A CertReqMsg for key, its POP of type popo made with signer and md
 * (Ed25519: none). */
static OSSL_CRMF_MSG *
request_md(EVP_PKEY *key, EVP_PKEY *signer, int popo, const char *cn,
    const EVP_MD *md)
{
	OSSL_CRMF_MSG *crm;
	X509_NAME *subject = X509_NAME_new();
	int ok = 0;

	if ((crm = OSSL_CRMF_MSG_new()) != NULL && subject != NULL &&
	    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) &&
	    OSSL_CRMF_MSG_set_certReqId(crm, 0) &&
	    OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm), key,
	    subject, NULL, NULL))
		ok = popo == -1 || OSSL_CRMF_MSG_create_popo(popo, crm, signer,
		    EVP_PKEY_is_a(signer, "ED25519") ? NULL : md, NULL, NULL);
	X509_NAME_free(subject);
	if (!ok) {
		OSSL_CRMF_MSG_free(crm);
		return NULL;
	}
	return crm;
}

/* The same, with SHA-256. */
static OSSL_CRMF_MSG *
request(EVP_PKEY *key, EVP_PKEY *signer, int popo, const char *cn)
{
	return request_md(key, signer, popo, cn, EVP_sha256());
}

/* crm as one CertReqMessages read back in keyless_ctx() */
static OSSL_CRMF_MSGS *
keyless_msgs(const OSSL_CRMF_MSG *crm)
{
	OSSL_CRMF_MSGS *msgs = sk_OSSL_CRMF_MSG_new_null(), *back = NULL;
	OSSL_CRMF_MSG *dup = OSSL_CRMF_MSG_dup(crm);
	unsigned char *der = NULL;
	const unsigned char *p;
	int n;

	if (msgs == NULL || dup == NULL || !sk_OSSL_CRMF_MSG_push(msgs, dup)) {
		OSSL_CRMF_MSG_free(dup);
		goto out;
	}
	if ((n = i2d_OSSL_CRMF_MSGS(msgs, &der)) <= 0)
		goto out;
	p = der;
	back = (OSSL_CRMF_MSGS *)ASN1_item_d2i_ex(NULL, &p, n,
	    ASN1_ITEM_rptr(OSSL_CRMF_MSGS), keyless_ctx(), NULL);
 out:
	sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
	OPENSSL_free(der);
	return back;
}

/* popo_verify()'s why of the last verify() */
static char why[128];

/* popo_verify() of the first request of msgs, with its template's key;
 * -1 without msgs */
static int
verify(OSSL_CRMF_MSGS *msgs, int accept_ra_verified)
{
	OSSL_CRMF_MSG *crm = sk_OSSL_CRMF_MSG_value(msgs, 0);
	EVP_PKEY *key;
	int r;

	if (msgs == NULL)
		return -1;
	key = spki_template_key(OSSL_CRMF_MSG_get0_tmpl(crm), NULL);
	r = (int)popo_verify(crm, key, accept_ra_verified, why, sizeof(why));
	EVP_PKEY_free(key);
	return r;
}

/* verify() of the CertReqMsg DER at der */
static int
verify_der(const unsigned char *der, int len, int accept_ra_verified)
{
	const unsigned char *p = der;
	OSSL_CRMF_MSG *crm;
	OSSL_CRMF_MSGS *msgs = NULL;
	int r = -1;

	if ((crm = d2i_OSSL_CRMF_MSG(NULL, &p, len)) != NULL &&
	    p == der + len && (msgs = keyless_msgs(crm)) != NULL)
		r = verify(msgs, accept_ra_verified);
	ERR_clear_error();
	sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
	OSSL_CRMF_MSG_free(crm);
	return r;
}

/* verify() of a request for key with a POP of type popo by signer */
static int
made(EVP_PKEY *key, EVP_PKEY *signer, int popo, int accept_ra_verified)
{
	OSSL_CRMF_MSG *crm = request(key, signer, popo, "made");
	OSSL_CRMF_MSGS *msgs = crm != NULL ? keyless_msgs(crm) : NULL;
	int r = verify(msgs, accept_ra_verified);

	sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
	OSSL_CRMF_MSG_free(crm);
	return r;
}

static void
test_signature(void)
{
	OSSL_CRMF_MSGS *msgs;
	OSSL_CRMF_MSG *crm;
	EVP_PKEY *key;
	int i;

	for (i = 0; i < NKEYS; i++) {
		crm = request(keys[i], keys[i], OSSL_CRMF_POPO_SIGNATURE,
		    "popo");
		msgs = crm != NULL ? keyless_msgs(crm) : NULL;
		if (!ok(msgs != NULL, "%s: signed request read keyless",
		    names[i]))
			continue;
		ok(OSSL_CRMF_MSGS_verify_popo(msgs, 0, 0, NULL, NULL) != 1,
		    "%s: no key decoded (libcrypto's check has none)",
		    names[i]);
		ERR_clear_error();
		is_int(verify(msgs, 0), POPO_OK, "%s: POP verified", names[i]);
		key = spki_template_key(OSSL_CRMF_MSG_get0_tmpl(crm), NULL);
		is_int(popo_verify(sk_OSSL_CRMF_MSG_value(msgs, 0),
		    keys[(i + 1) % NKEYS], 0, why, sizeof(why)), POPO_BAD,
		    "%s: another key: bad", names[i]);
		is_int(popo_verify(sk_OSSL_CRMF_MSG_value(msgs, 0), NULL, 0,
		    why, sizeof(why)), POPO_BAD, "%s: no key: bad", names[i]);
		is_int(popo_verify(crm, key, 0, why, sizeof(why)), POPO_OK,
		    "%s: the same request read with its key: verified",
		    names[i]);
		EVP_PKEY_free(key);
		sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
		OSSL_CRMF_MSG_free(crm);

		is_int(made(keys[i], keys[(i + 1) % NKEYS],
		    OSSL_CRMF_POPO_SIGNATURE, 1), POPO_BAD,
		    "%s: signed by another key than the template's: bad",
		    names[i]);
	}
}

/*
 * A POP that verifies, made with a digest RFC 9481 3 does not list, is
 * refused for its algorithm, named in why; SHA-384 and SHA-512 pass.
 */
static void
test_algorithms(void)
{
	static const struct {
		int	 key;
		const char *md, *alg;
		int	 want;
	} cases[] = {
		{ 0, "SHA1", "ecdsa-with-SHA1", POPO_BAD_ALG },
		{ 1, "SHA1", "sha1WithRSAEncryption", POPO_BAD_ALG },
		{ 0, "SHA224", "ecdsa-with-SHA224", POPO_BAD_ALG },
		{ 1, "SHA224", "sha224WithRSAEncryption", POPO_BAD_ALG },
		{ 0, "SHA384", "", POPO_OK },
		{ 1, "SHA512", "", POPO_OK },
	};
	OSSL_CRMF_MSG *crm;
	OSSL_CRMF_MSGS *msgs, *plain;
	EVP_MD *md;
	size_t i;

	for (i = 0; i < NITEMS(cases); i++) {
		md = EVP_MD_fetch(NULL, cases[i].md, NULL);
		crm = md != NULL ? request_md(keys[cases[i].key],
		    keys[cases[i].key], OSSL_CRMF_POPO_SIGNATURE, "alg", md) :
		    NULL;
		msgs = crm != NULL ? keyless_msgs(crm) : NULL;
		/* its signature as such holds: libcrypto verifies it */
		plain = sk_OSSL_CRMF_MSG_new_null();
		ok(msgs != NULL && plain != NULL &&
		    sk_OSSL_CRMF_MSG_push(plain, crm) &&
		    OSSL_CRMF_MSGS_verify_popo(plain, 0, 0, NULL, NULL) == 1,
		    "%s with %s: libcrypto verifies the POP",
		    names[cases[i].key], cases[i].md);
		sk_OSSL_CRMF_MSG_free(plain);
		ERR_clear_error();
		is_int(verify(msgs, 1), cases[i].want, "%s with %s: %s",
		    names[cases[i].key], cases[i].md,
		    cases[i].want == POPO_OK ? "verified" : "refused for it");
		is_str(why, cases[i].alg, "%s with %s: %s",
		    names[cases[i].key], cases[i].md, cases[i].want ==
		    POPO_OK ? "no reason given" : "the algorithm named");
		sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
		OSSL_CRMF_MSG_free(crm);
		EVP_MD_free(md);
	}
}

static void
test_changed(void)
{
	OSSL_CRMF_MSG *crm;
	OSSL_CRMF_MSGS *msgs;
	X509_NAME *other = X509_NAME_new();

	crm = request(keys[0], keys[0], OSSL_CRMF_POPO_SIGNATURE, "before");
	ok(crm != NULL && other != NULL &&
	    X509_NAME_add_entry_by_txt(other, "CN", MBSTRING_ASC,
	    (const unsigned char *)"after", -1, -1, 0) &&
	    OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm), NULL,
	    other, NULL, NULL), "the subject changed after the POP");
	msgs = crm != NULL ? keyless_msgs(crm) : NULL;
	is_int(verify(msgs, 1), POPO_BAD,
	    "a template changed after signing: bad");
	sk_OSSL_CRMF_MSG_pop_free(msgs, OSSL_CRMF_MSG_free);
	OSSL_CRMF_MSG_free(crm);
	X509_NAME_free(other);
}

static void
test_other_kinds(void)
{
	is_int(made(keys[0], keys[0], -1, 1), POPO_MISSING, "no POP: missing");
	is_int(made(keys[0], keys[0], OSSL_CRMF_POPO_RAVERIFIED, 0),
	    POPO_RA_VERIFIED, "raVerified, not accepted: refused as raVerified");
	is_int(made(keys[0], keys[0], OSSL_CRMF_POPO_RAVERIFIED, 1), POPO_OK,
	    "raVerified, accepted: verified");
	is_int(made(keys[0], keys[0], OSSL_CRMF_POPO_KEYENC, 1),
	    POPO_UNSUPPORTED, "keyEncipherment: unsupported");
}

/* The TLV of tag (class xclass, constructed) around len bytes at v,
 * appended at *p, which advances. */
static void
put(unsigned char **p, int tag, int xclass, const unsigned char *v, int len)
{
	ASN1_put_object(p, 1, len, tag, xclass);
	memcpy(*p, v, (size_t)len);
	*p += len;
}

/*
 * A request with poposkInput beside a template that holds its subject and
 * key (RFC 4211 4.1: MUST be omitted), its signature the one over the
 * CertRequest, so that only the presence of poposkInput makes it bad:
 * CertReqMsg { certReq, [1] { [0] { [0] dNSName, spki }, alg, sig } }.
 */
static void
test_poposkinput(void)
{
	static const unsigned char sender[] = { 0xa0, 0x03, 0x82, 0x01, 'x' };
	OSSL_CRMF_MSG *crm;
	CMPD_CERTREQMSG *m = NULL;
	unsigned char *der = NULL, *spki = NULL, *alg = NULL, *sig = NULL;
	unsigned char in[512], popo[1024], body[1024], msg[2048], *q;
	const unsigned char *p;
	int n, nspki, nalg, nsig, nin, nbody;

	crm = request(keys[0], keys[0], OSSL_CRMF_POPO_SIGNATURE, "input");
	if (crm == NULL || (n = i2d_OSSL_CRMF_MSG(crm, &der)) <= 0 ||
	    (p = der, m = d2i_CMPD_CERTREQMSG(NULL, &p, n)) == NULL ||
	    (nspki = i2d_PUBKEY(keys[0], &spki)) <= 0 ||
	    (nalg = i2d_X509_ALGOR(m->popo->value.signature->
	    algorithmIdentifier, &alg)) <= 0 ||
	    (nsig = i2d_ASN1_BIT_STRING(m->popo->value.signature->signature,
	    &sig)) <= 0) {
		ok(0, "poposkInput request built");
		goto out;
	}
	memcpy(in, sender, sizeof(sender));
	memcpy(in + sizeof(sender), spki, (size_t)nspki);
	nin = (int)sizeof(sender) + nspki;
	q = popo;
	put(&q, 0, V_ASN1_CONTEXT_SPECIFIC, in, nin);
	memcpy(q, alg, (size_t)nalg);
	q += nalg;
	memcpy(q, sig, (size_t)nsig);
	q += nsig;
	n = (int)(q - popo);
	q = body;
	memcpy(q, ASN1_STRING_get0_data(m->certReq),
	    (size_t)ASN1_STRING_length(m->certReq));
	q += ASN1_STRING_length(m->certReq);
	put(&q, 1, V_ASN1_CONTEXT_SPECIFIC, popo, n);
	nbody = (int)(q - body);
	q = msg;
	put(&q, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL, body, nbody);
	is_int(verify_der(der, (int)(p - der), 1), POPO_OK,
	    "without poposkInput: verified");
	is_int(verify_der(msg, (int)(q - msg), 1), POPO_BAD,
	    "the same signature with poposkInput: bad");
 out:
	ERR_clear_error();
	CMPD_CERTREQMSG_free(m);
	OSSL_CRMF_MSG_free(crm);
	OPENSSL_free(der);
	OPENSSL_free(spki);
	OPENSSL_free(alg);
	OPENSSL_free(sig);
}

/* A CA and a certificate it issued for keys[1]. */
static void
test_certificate(void)
{
	X509 *ca = X509_new(), *leaf = X509_new(), *lazy = NULL;
	X509_NAME *n1 = X509_NAME_new(), *n2 = X509_NAME_new();
	unsigned char *der = NULL, *again = NULL, *kder = NULL;
	const unsigned char *p;
	ASN1_OCTET_STRING *h1 = NULL, *h2 = NULL;
	EVP_PKEY *k = NULL;
	int n, m;

	if (ca == NULL || leaf == NULL || n1 == NULL || n2 == NULL ||
	    !X509_NAME_add_entry_by_txt(n1, "CN", MBSTRING_ASC,
	    (const unsigned char *)"ca", -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n2, "CN", MBSTRING_ASC,
	    (const unsigned char *)"leaf", -1, -1, 0) ||
	    !X509_set_version(ca, X509_VERSION_3) ||
	    !X509_set_version(leaf, X509_VERSION_3) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(ca), 1) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(leaf), 2) ||
	    !X509_set_subject_name(ca, n1) || !X509_set_issuer_name(ca, n1) ||
	    !X509_set_subject_name(leaf, n2) ||
	    !X509_set_issuer_name(leaf, n1) ||
	    X509_gmtime_adj(X509_getm_notBefore(ca), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(ca), 3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(leaf), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(leaf), 3600) == NULL ||
	    !X509_set_pubkey(ca, keys[0]) || !X509_set_pubkey(leaf, keys[1]) ||
	    !X509_sign(ca, keys[0], EVP_sha256()) ||
	    !X509_sign(leaf, keys[0], EVP_sha256()) ||
	    (n = i2d_X509(leaf, &der)) <= 0) {
		ok(0, "certificates made");
		goto out;
	}
	p = der;
	lazy = keyless_x509_d2i(&p, n);
	ok(lazy != NULL && p == der + n, "a certificate read keyless");
	if (lazy == NULL)
		goto out;
	ok(X509_get0_pubkey(lazy) == NULL, "its key is not decoded");
	ERR_clear_error();
	m = i2d_X509(lazy, &again);
	ok(m == n && memcmp(der, again, (size_t)n) == 0,
	    "encoded again: the same bytes");
	is_int(X509_check_issued(ca, lazy), X509_V_OK,
	    "its issuer is found by the issuer's key");
	is_int(X509_verify(lazy, keys[0]), 1, "its signature checks");
	h1 = X509_digest_sig(lazy, NULL, NULL);
	h2 = X509_digest_sig(leaf, NULL, NULL);
	ok(h1 != NULL && h2 != NULL && ASN1_STRING_cmp(h1, h2) == 0,
	    "its certHash is the same");
	m = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(lazy), &kder);
	k = m > 0 ? spki_decode(kder, (size_t)m) : NULL;
	ok(k != NULL && EVP_PKEY_eq(k, keys[1]) == 1,
	    "its key, from its SubjectPublicKeyInfo");
 out:
	ERR_clear_error();
	EVP_PKEY_free(k);
	ASN1_OCTET_STRING_free(h1);
	ASN1_OCTET_STRING_free(h2);
	OPENSSL_free(der);
	OPENSSL_free(again);
	OPENSSL_free(kder);
	X509_free(lazy);
	X509_free(ca);
	X509_free(leaf);
	X509_NAME_free(n1);
	X509_NAME_free(n2);
}

int
main(void)
{
	int i;

	keys[0] = EVP_EC_gen("P-256");
	keys[1] = EVP_RSA_gen(2048);
	keys[2] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!ok(keys[0] && keys[1] && keys[2], "test keys made"))
		return done_testing();
	ok(keyless_ctx() != NULL && keyless_ctx() == keyless_ctx(),
	    "one keyless context");
	test_signature();
	test_changed();
	test_algorithms();
	test_other_kinds();
	test_poposkinput();
	test_certificate();
	spki_done();
	keyless_done();
	for (i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	return done_testing();
}
