/*
 * Unit test for key_memo.c. Signing: a context copied from the memo signs
 * with its key, once and again (the kept context is never updated); the
 * memo keeps its key alive after the caller let it go; more keys than it
 * holds, and a flush, still give good signatures; no digest, no context;
 * certificates signed through it verify under the key. Verifying: a
 * context from the memo verifies what the key signed, and refuses another
 * key's signature, an altered message, and a signature algorithm of
 * another key type, as ASN1_item_verify does.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "key_memo.h"
#include "tap.h"

/* Signs msg with a context from the memo, verifies it with key: 1 if the
 * signature verifies, 0 if not, -1 if the memo gave no context. */
static int
signs(EVP_PKEY *key, const EVP_MD *md, const char *msg)
{
	unsigned char sig[256];
	size_t sl = sizeof(sig);
	EVP_MD_CTX *c, *v;
	int r = 0;

	if ((c = key_memo_sign_ctx(key, md)) == NULL)
		return -1;
	if (EVP_DigestSign(c, sig, &sl, (const unsigned char *)msg,
	    strlen(msg)) == 1 && (v = EVP_MD_CTX_new()) != NULL) {
		r = EVP_DigestVerifyInit(v, NULL, md, NULL, key) == 1 &&
		    EVP_DigestVerify(v, sig, sl, (const unsigned char *)msg,
		    strlen(msg)) == 1;
		EVP_MD_CTX_free(v);
	}
	EVP_MD_CTX_free(c);
	return r;
}

int
main(void)
{
	EVP_PKEY *k[6], *ed, *pub;
	const unsigned char *p;
	unsigned char *der = NULL;
	X509 *x;
	EVP_MD_CTX *c;
	int i, n, all;

	for (i = 0; i < 6; i++)
		k[i] = EVP_EC_gen("P-256");
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	is_int(signs(k[0], EVP_sha256(), "first"), 1, "a context signs");
	is_int(signs(k[0], EVP_sha256(), "second message"), 1,
	    "the next one too: the kept context is not used up");
	is_int(signs(k[0], EVP_sha384(), "first"), 1,
	    "the same key with another digest");

	/* the caller's reference goes; the memo's keeps the key */
	n = i2d_PUBKEY(k[0], &der);
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	c = key_memo_sign_ctx(k[0], EVP_sha256());
	EVP_PKEY_free(k[0]);
	k[0] = NULL;
	{
		unsigned char sig[256];
		size_t sl = sizeof(sig);
		EVP_MD_CTX *v = EVP_MD_CTX_new();

		ok(c != NULL && EVP_DigestSign(c, sig, &sl,
		    (const unsigned char *)"kept", 4) == 1 &&
		    EVP_DigestVerifyInit(v, NULL, EVP_sha256(), NULL, pub) == 1 &&
		    EVP_DigestVerify(v, sig, sl, (const unsigned char *)"kept",
		    4) == 1, "the key's last reference is the memo's: it signs");
		EVP_MD_CTX_free(v);
	}
	EVP_MD_CTX_free(c);
	EVP_PKEY_free(pub);

	/* more keys than the memo holds, each twice, in turns */
	all = 1;
	for (n = 0; n < 2; n++)
		for (i = 1; i < 6; i++)
			all &= signs(k[i], EVP_sha256(), "turns") == 1;
	ok(all, "six keys in turns through four entries: every signature good");

	ok(key_memo_sign_ctx(k[1], NULL) == NULL, "no digest: no context");
	ok(key_memo_sign_ctx(ed, NULL) == NULL, "Ed25519 (no digest): no context");
	ok(key_memo_sign_ctx(NULL, EVP_sha256()) == NULL, "no key: no context");

	/* a certificate, as cmp-localca signs them */
	x = X509_new();
	c = key_memo_sign_ctx(k[2], EVP_sha256());
	ok(x != NULL && X509_set_version(x, 2) == 1 &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 7) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 60) != NULL &&
	    X509_set_pubkey(x, k[3]) == 1 && c != NULL &&
	    X509_sign_ctx(x, c) > 0 && X509_verify(x, k[2]) == 1 &&
	    X509_verify(x, k[3]) != 1,
	    "X509_sign_ctx: the certificate verifies under the signing key only");
	EVP_MD_CTX_free(c);
	X509_free(x);

	/* the other keys a CMP Profile or the CA may sign with */
	{
		EVP_PKEY *rsa = EVP_RSA_gen(2048), *p384 = EVP_EC_gen("P-384");

		is_int(signs(rsa, EVP_sha256(), "rsa"), 1, "RSA, SHA-256");
		is_int(signs(rsa, EVP_sha256(), "rsa again"), 1,
		    "RSA, SHA-256, again");
		is_int(signs(p384, EVP_sha384(), "p384"), 1, "P-384, SHA-384");
		EVP_PKEY_free(rsa);
		EVP_PKEY_free(p384);
	}

	/* verifying, through ASN1_item_verify_ctx */
	{
		X509_NAME *nm = X509_NAME_new();
		X509_ALGOR *alg = X509_ALGOR_new();
		ASN1_BIT_STRING *sig = ASN1_BIT_STRING_new();
		EVP_PKEY *rsa = EVP_RSA_gen(2048);

		X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC,
		    (const unsigned char *)"signed", -1, -1, 0);
		ok(ASN1_item_sign(ASN1_ITEM_rptr(X509_NAME), alg, NULL, sig, nm,
		    k[1], EVP_sha256()) > 0, "a name signed with key 1");
		for (n = 0; n < 2; n++) {
			c = key_memo_verify_ctx(k[1]);
			ok(c != NULL && ASN1_item_verify_ctx(ASN1_ITEM_rptr(X509_NAME),
			    alg, sig, nm, c) == 1,
			    "verified under key 1 (%s)", n ? "again" : "first");
			key_memo_ctx_free(c);
		}
		c = key_memo_verify_ctx(k[2]);
		ok(c != NULL && ASN1_item_verify_ctx(ASN1_ITEM_rptr(X509_NAME),
		    alg, sig, nm, c) != 1, "refused under key 2");
		key_memo_ctx_free(c);
		X509_NAME_add_entry_by_txt(nm, "O", MBSTRING_ASC,
		    (const unsigned char *)"altered", -1, -1, 0);
		c = key_memo_verify_ctx(k[1]);
		ok(c != NULL && ASN1_item_verify_ctx(ASN1_ITEM_rptr(X509_NAME),
		    alg, sig, nm, c) != 1, "an altered message refused");
		key_memo_ctx_free(c);
		/* ecdsa-with-SHA256 presented for an RSA key */
		c = key_memo_verify_ctx(rsa);
		ok(c != NULL && ASN1_item_verify_ctx(ASN1_ITEM_rptr(X509_NAME),
		    alg, sig, nm, c) != 1,
		    "an ECDSA algorithm under an RSA key refused");
		key_memo_ctx_free(c);
		ok(key_memo_verify_ctx(NULL) == NULL, "verifying, no key: none");
		key_memo_ctx_free(NULL);
		EVP_PKEY_free(rsa);
		ASN1_BIT_STRING_free(sig);
		X509_ALGOR_free(alg);
		X509_NAME_free(nm);
	}

	key_memo_flush();
	is_int(signs(k[4], EVP_sha256(), "after a flush"), 1,
	    "after a flush: set up again, signs");
	key_memo_flush();

	for (i = 0; i < 6; i++)
		EVP_PKEY_free(k[i]);
	EVP_PKEY_free(ed);
	return done_testing();
}
