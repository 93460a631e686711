/*
 * Signature protection (RFC 9810 5.1.3.3), both ways: a request's
 * signature and its signer's chain verified against the CMP Profile's
 * trust anchors, at signer_security_level, the chain remembered per
 * worker (chain_memo.c) and the signer's key too (key_memo.c); an answer
 * signed with the profile's signing key. MAC protection is
 * cmp_protect.c's.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "chain_memo.h"
#include "cmpd.h"
#include "key_memo.h"

/*
 * The security level a signer's chain must meet (OpenSSL's auth_level,
 * in bits of security as NIST SP 800-57 counts them): every key of it,
 * the anchor's included, and every signature on its certificates but
 * the anchor's own. 2 (112 bits) refuses RSA keys under 2048 bits, EC
 * keys under 224 and SHA-1 signatures.
 */
static int sig_level = 2;

void
cmp_protect_sig_level(int level)
{
	sig_level = level;
}

/*
 * Revocation lists are applied where they exist: a certificate whose
 * issuer published none of the uploaded CRLs is not refused for that
 * (cmpd's inventory still speaks for it); every other CRL failure, an
 * expired CRL or a bad CRL signature included, refuses the chain.
 */
static int
sig_verify_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_UNABLE_TO_GET_CRL)
		return 1;
	return ok;
}

/* The same, and the signer's own revocation does not count
 * (CMP_SIG_LEAF_REVOKED_OK); a CA certificate's still does. */
static int
sig_verify_leaf_cb(int ok, X509_STORE_CTX *ctx)
{
	if (!ok && X509_STORE_CTX_get_error(ctx) == X509_V_ERR_CERT_REVOKED &&
	    X509_STORE_CTX_get_error_depth(ctx) == 0)
		return 1;
	return sig_verify_cb(ok, ctx);
}

/*
 * Verifies a signature-protected request: extraCerts[0] is the
 * protection certificate; its chain, built from extraCerts, the
 * intermediates cmpd knows (known: the RA Profile's CA chain, so that a
 * client need not send the chain of a certificate cmpd issued) and the
 * profile's trust anchors, must validate now, and no certificate of it
 * may be revoked in the CRLs uploaded with the anchors; its key usage
 * must allow signing; senderKID, when present, must be its
 * subjectKeyIdentifier and the sender its subject. *chain (when not
 * NULL) gets the validated chain, signer first, on success. A chain
 * validated on the very same inputs is taken as it was while nothing
 * of it expired or came due (chain_memo.c); the message's signature is
 * checked every time.
 *
 * known_down: the CA's chain could not be had for now (the CA too slow
 * or unreachable). A chain that then lacks an issuer is not a verdict:
 * the missing certificate may be the CA's, and the client is told to
 * try again (CMPF_SIGNER_CHAIN_UNAVAILABLE), not that its certificate
 * is untrusted. Any other failure of the chain stands.
 *
 * flags: CMP_SIG_LEAF_REVOKED_OK, a CRL that lists the signer itself
 * does not refuse it (the pollReq of its own waiting rr); every other
 * check, the CRLs of its CA certificates included, stands. A chain so
 * validated is not remembered: it would pass a request that may not
 * be excused.
 */
enum cmp_fail
cmp_protect_sig_verify(const CMPD_MSG *m, STACK_OF(X509) *anchors,
    STACK_OF(X509_CRL) *crls, STACK_OF(X509) *known, int known_down,
    int flags, STACK_OF(X509) **chain, char *arg, size_t arglen)
{
	const CMPD_HEADER *h = m->header;
	const ASN1_OCTET_STRING *ski;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *store = NULL;
	STACK_OF(X509) *untrusted = NULL, *memo;
	struct chain_memo_key key;
	CMPD_PROTECTEDPART pp;
	time_t now, until;
	EVP_MD_CTX *vctx = NULL;
	EVP_PKEY *pkey;
	X509 *signer;
	enum cmp_fail f;
	int i, err;

	arg[0] = '\0';
	if (chain != NULL)
		*chain = NULL;
	if (!sigalg_ok(h->protectionAlg, arg, arglen))
		return CMPF_PROTECTION_ALG_UNKNOWN;
	if (m->extraCerts == NULL || sk_X509_num(m->extraCerts) < 1)
		return CMPF_NO_SIGNER_CERT;
	signer = sk_X509_value(m->extraCerts, 0);
	/* read without its key (cert_cache.c): explicit EC parameters, a
	 * compressed point whose square root is dear, or a key libcrypto
	 * does not know */
	if ((pkey = X509_get0_pubkey(signer)) == NULL) {
		snprintf(arg, arglen, "its public key is not one cmpd decodes "
		    "(explicit EC parameters, a compressed point on a curve "
		    "whose square root is dear, an unknown algorithm)");
		return CMPF_SIGNER_NOT_TRUSTED;
	}
	/* Nor is one whose key makes verifying dear (spki_key_cheap). */
	if (!spki_key_cheap(pkey)) {
		snprintf(arg, arglen, "its public key is not one cmpd verifies "
		    "with (an RSA exponent of 2^256 or more, a modulus over "
		    "16384 bits, a curve over a binary field)");
		return CMPF_SIGNER_NOT_TRUSTED;
	}
	/* The signature first: a message anyone could have made up is
	 * not worth a chain validation. */
	pp.header = m->header;
	pp.body = m->body;
	f = CMPF_SIGNATURE_INVALID;
	/* through the worker's context for this signer's key when it has
	 * one (key_memo.c): the same checks as ASN1_item_verify */
	if ((vctx = key_memo_verify_ctx(pkey)) != NULL ?
	    ASN1_item_verify_ctx(ASN1_ITEM_rptr(CMPD_PROTECTEDPART),
	    h->protectionAlg, m->protection, &pp, vctx) != 1 :
	    ASN1_item_verify(ASN1_ITEM_rptr(CMPD_PROTECTEDPART),
	    h->protectionAlg, m->protection, &pp, pkey) != 1)
		goto out;
	f = CMPF_SIGNER_MISMATCH;
	if ((ski = X509_get0_subject_key_id(signer)) != NULL &&
	    h->senderKID != NULL && ASN1_OCTET_STRING_cmp(ski,
	    h->senderKID) != 0)
		goto out;
	if (h->sender->type != GEN_DIRNAME ||
	    X509_NAME_cmp(h->sender->d.directoryName,
	    X509_get_subject_name(signer)) != 0)
		goto out;
	if ((X509_get_extension_flags(signer) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(signer) & KU_DIGITAL_SIGNATURE))
		goto out;
	f = CMPF_SIGNER_NOT_TRUSTED;
	if (anchors == NULL || sk_X509_num(anchors) == 0)
		goto out;
	/* Only untrusted helpers: trust comes from the anchors alone, and
	 * the CA's self-signed certificates are not even offered. */
	if ((untrusted = X509_chain_up_ref(m->extraCerts)) == NULL ||
	    (known != NULL && !X509_add_certs(untrusted, known,
	    X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_DUP |
	    X509_ADD_FLAG_NO_SS)))
		goto out;
	/* The same chain on the same inputs, validated earlier. */
	key.signer = signer;
	key.untrusted = untrusted;
	key.anchors = anchors;
	key.crls = crls;
	now = time(NULL);
	if ((memo = chain_memo_find(&key, now, &until)) != NULL) {
		log_debug("signer chain as validated before, for %lld s more",
		    (long long)(until - now));
		if (chain != NULL)
			*chain = memo;
		else
			sk_X509_pop_free(memo, X509_free);
		f = CMPF_OK;
		goto out;
	}
	if ((store = X509_STORE_new()) == NULL ||
	    (ctx = X509_STORE_CTX_new()) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(anchors); i++)
		if (!X509_STORE_add_cert(store, sk_X509_value(anchors, i)))
			goto out;
	if (!X509_STORE_CTX_init(ctx, store, signer, untrusted))
		goto out;
	/* at the moment the memo counts from */
	X509_STORE_CTX_set_time(ctx, 0, now);
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx),
	    sig_level);
	if (crls != NULL && sk_X509_CRL_num(crls) > 0) {
		/* Every certificate of the chain, not only the signer. */
		X509_STORE_CTX_set0_crls(ctx, crls);
		X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
		X509_STORE_CTX_set_verify_cb(ctx,
		    flags & CMP_SIG_LEAF_REVOKED_OK ? sig_verify_leaf_cb :
		    sig_verify_cb);
	}
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		if (err == X509_V_ERR_CERT_REVOKED)
			f = X509_STORE_CTX_get_error_depth(ctx) == 0 ?
			    CMPF_SIGNER_REVOKED : CMPF_SIGNER_CA_REVOKED;
		if (known_down && (err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
		    err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
		    err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE))
			f = CMPF_SIGNER_CHAIN_UNAVAILABLE;
		snprintf(arg, arglen, "%s", X509_verify_cert_error_string(err));
		goto out;
	}
	if ((memo = X509_STORE_CTX_get1_chain(ctx)) == NULL)
		goto out;
	/* Keys anyone could sign for (RSA e = 1, an EC or EdDSA point of
	 * small order; spki_key_sound), whichever CA certified them: the
	 * signature that verified above proves nothing. */
	for (i = 0; i < sk_X509_num(memo); i++)
		if ((pkey = X509_get0_pubkey(sk_X509_value(memo, i))) == NULL ||
		    !spki_key_sound(pkey)) {
			snprintf(arg, arglen, "%s public key is not sound",
			    i == 0 ? "its" : "a CA certificate's");
			sk_X509_pop_free(memo, X509_free);
			goto out;
		}
	if (!(flags & CMP_SIG_LEAF_REVOKED_OK))
		chain_memo_add(&key, memo, now);
	if (chain != NULL)
		*chain = memo;
	else
		sk_X509_pop_free(memo, X509_free);
	f = CMPF_OK;
 out:
	key_memo_ctx_free(vctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	sk_X509_pop_free(untrusted, X509_free);
	ERR_clear_error();
	return f;
}

/*
 * Signs an answer (RFC 9810 5.1.3.3): sender = the signing certificate's
 * subject, senderKID = its subjectKeyIdentifier, extraCerts = the signing
 * certificate and its chain without self-signed certificates (RFC 9483
 * 3.3: they SHOULD be omitted, and a client must not trust them for
 * being there; the client has its root already).
 */
int
cmp_protect_sig(CMPD_MSG *rsp, EVP_PKEY *key, X509 *cert,
    STACK_OF(X509) *chain)
{
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(cert);
	const EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	CMPD_PROTECTEDPART pp;
	CMPD_HEADER *h = rsp->header;
	STACK_OF(X509) *extra = NULL;
	GENERAL_NAME *sender;
	X509_NAME *subject;
	int i, r = -1;

	/* A new GENERAL_NAME: set0 on the old one would leak its name. */
	if ((subject = X509_NAME_dup(X509_get_subject_name(cert))) == NULL ||
	    (sender = GENERAL_NAME_new()) == NULL) {
		X509_NAME_free(subject);
		goto out;
	}
	GENERAL_NAME_set0_value(sender, GEN_DIRNAME, subject);
	GENERAL_NAME_free(h->sender);
	h->sender = sender;
	ASN1_OCTET_STRING_free(h->senderKID);
	h->senderKID = NULL;
	if (ski != NULL && (h->senderKID = ASN1_OCTET_STRING_dup(ski)) == NULL)
		goto out;
	/* The signing certificate first (RFC 9810 5.1.3.3), its chain short
	 * of the root, then what the body's handler put there (3GPP: the CA
	 * chain with the operator root, TS 33.310 9.5), once each. */
	if ((extra = sk_X509_new_null()) == NULL ||
	    !X509_add_cert(extra, cert, X509_ADD_FLAG_UP_REF))
		goto out;
	for (i = 0; i < sk_X509_num(chain); i++)
		if (!X509_add_cert(extra, sk_X509_value(chain, i),
		    X509_ADD_FLAG_UP_REF | X509_ADD_FLAG_NO_SS))
			goto out;
	for (i = 0; i < sk_X509_num(rsp->extraCerts); i++) {
		X509 *x = sk_X509_value(rsp->extraCerts, i);

		if (!X509_add_cert(extra, x, X509_ADD_FLAG_UP_REF |
		    X509_ADD_FLAG_NO_DUP))
			goto out;
	}
	sk_X509_pop_free(rsp->extraCerts, X509_free);
	rsp->extraCerts = extra;
	extra = NULL;
	/* A digest as strong as the key (RFC 9481 2, 3): SHA-256 for RSA
	 * and P-256, SHA-384 for P-384, SHA-512 for P-521; none for EdDSA,
	 * which hashes by itself (RFC 9481 3.3). */
	if (!EVP_PKEY_is_a(key, "ED25519") && !EVP_PKEY_is_a(key, "ED448"))
		md = EVP_PKEY_get_bits(key) == 384 ? EVP_sha384() :
		    EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_bits(key) > 384 ?
		    EVP_sha512() : EVP_sha256();
	X509_ALGOR_free(h->protectionAlg);
	if ((h->protectionAlg = X509_ALGOR_new()) == NULL)
		goto out;
	ASN1_BIT_STRING_free(rsp->protection);
	if ((rsp->protection = ASN1_BIT_STRING_new()) == NULL)
		goto out;
	pp.header = h;
	pp.body = rsp->body;
	/* ASN1_item_sign(_ctx) fills protectionAlg before it signs the
	 * header that contains it; from the worker's context for this key
	 * when it has one (key_memo.c). */
	if ((ctx = key_memo_sign_ctx(key, md)) != NULL ?
	    ASN1_item_sign_ctx(ASN1_ITEM_rptr(CMPD_PROTECTEDPART),
	    h->protectionAlg, NULL, rsp->protection, &pp, ctx) <= 0 :
	    ASN1_item_sign(ASN1_ITEM_rptr(CMPD_PROTECTEDPART), h->protectionAlg,
	    NULL, rsp->protection, &pp, key, md) <= 0)
		goto out;
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	sk_X509_pop_free(extra, X509_free);
	ERR_clear_error();
	return r;
}
