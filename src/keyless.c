/*
 * A library context that holds no algorithms, to decode in: libcrypto
 * 3.0's X509_PUBKEY decodes its key as soon as it is read, through a
 * decoder chain built for that key (measured: 335 of the 360 us that
 * reading an EC P-256 certificate took). In this context no decoder
 * exists, so the key is left as its fields: X509_PUBKEY_get0() gives
 * NULL, and spki_decode() decodes a key through one reused decoder where
 * a key is needed.
 *
 * A structure decoded here must not be handed to a libcrypto function
 * that takes the key from it (a signature check with its own key,
 * OSSL_CRMF_MSGS_verify_popo(), X509_PUBKEY_eq(), X509_REQ_get0_pubkey());
 * encoding, names, extensions, digests and checks by its issuer's key
 * work as before. The context outlives every structure decoded in it
 * (keyless_done() at exit).
 */
#include "config.h"

#include <openssl/asn1.h>
#include <openssl/provider.h>

#include "keyless.h"

static OSSL_LIB_CTX *keyless;
static OSSL_PROVIDER *keyless_null;

/* The context, or NULL. Only the null provider is loaded into it, so that
 * libcrypto never falls back to loading the default one there. */
OSSL_LIB_CTX *
keyless_ctx(void)
{
	if (keyless != NULL)
		return keyless;
	if ((keyless = OSSL_LIB_CTX_new()) == NULL)
		return NULL;
	if ((keyless_null = OSSL_PROVIDER_load(keyless, "null")) == NULL) {
		OSSL_LIB_CTX_free(keyless);
		keyless = NULL;
	}
	return keyless;
}

/* A certificate with its public key left undecoded, from the DER at *p
 * (advanced past it), or NULL. Without the context (out of memory), the
 * default one decodes it, key and all. */
X509 *
keyless_x509_d2i(const unsigned char **p, long len)
{
	return (X509 *)ASN1_item_d2i_ex(NULL, p, len, ASN1_ITEM_rptr(X509),
	    keyless_ctx(), NULL);
}

void
keyless_done(void)
{
	OSSL_PROVIDER_unload(keyless_null);
	keyless_null = NULL;
	OSSL_LIB_CTX_free(keyless);
	keyless = NULL;
}
