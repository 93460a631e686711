/*
 * The contexts a process set up for the keys it uses again and again:
 * the keys it signs with (cmpd's CMP Profiles' keys for the answers, RFC
 * 9810 5.1.3.3; cmp-localca's CA key for the certificates it issues) and
 * the keys of the signers it verifies (a device signs its ir and its
 * certConf, and its later requests, with one certificate, which
 * cert_cache.c keeps decoded). libcrypto 3.0 makes a new key context for
 * every signature and every verification (EVP_PKEY_CTX_new_from_pkey),
 * and walks its whole table of algorithm names to do so; a context set up
 * once and copied for each use signs and verifies the same, without it.
 *
 * A signing entry holds a context initialised for the key and a digest
 * (EVP_DigestSignInit), copied with EVP_MD_CTX_copy_ex. A verifying entry
 * holds the key's context before any operation, duplicated
 * (EVP_PKEY_CTX_dup) into a digest context that ASN1_item_verify_ctx then
 * initialises from the signature's AlgorithmIdentifier, with every check
 * ASN1_item_verify makes. Ed25519 signs in one pass, without a digest:
 * its signing contexts cannot be copied and are not kept (NULL md).
 *
 * An entry holds a reference to its key, so that the key's address, which
 * identifies the entry, cannot be taken by another key while the entry
 * lives. KEY_MEMO_MAX entries for signing and as many for verifying (so
 * that a stream of new signers does not push out the keys the process
 * signs with); when a new key needs one, the oldest goes.
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>

#include "key_memo.h"

#define KEY_MEMO_MAX	4

struct key_memo_entry {
	EVP_PKEY	*key;
	const EVP_MD	*md;		/* signing: the digest */
	EVP_MD_CTX	*sign;		/* signing: initialised, never updated */
	EVP_PKEY_CTX	*verify;	/* verifying: no operation begun */
};

struct key_memo_ring {
	struct key_memo_entry e[KEY_MEMO_MAX];
	unsigned int next;
};

static struct key_memo_ring key_memo_signing, key_memo_verifying;

static void
key_memo_drop(struct key_memo_entry *e)
{
	EVP_MD_CTX_free(e->sign);
	EVP_PKEY_CTX_free(e->verify);
	EVP_PKEY_free(e->key);
	memset(e, 0, sizeof(*e));
}

/* The entry for key: signing with md, or verifying (md NULL); set up now
 * if there is none. NULL on error. */
static struct key_memo_entry *
key_memo_entry(EVP_PKEY *key, const EVP_MD *md)
{
	struct key_memo_ring *r = md == NULL ? &key_memo_verifying :
	    &key_memo_signing;
	struct key_memo_entry *e;
	size_t i;

	for (i = 0; i < KEY_MEMO_MAX; i++) {
		e = &r->e[i];
		if (e->key == key && e->md == md && e->key != NULL)
			return e;
	}
	e = &r->e[r->next++ % KEY_MEMO_MAX];
	key_memo_drop(e);
	if (!EVP_PKEY_up_ref(key))
		return NULL;
	e->key = key;
	if (md == NULL)
		e->verify = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
	else if ((e->sign = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestSignInit(e->sign, NULL, md, NULL, key) != 1) {
		EVP_MD_CTX_free(e->sign);
		e->sign = NULL;
	}
	if (e->sign == NULL && e->verify == NULL) {
		key_memo_drop(e);
		return NULL;
	}
	e->md = md;
	return e;
}

/*
 * A new context that signs with key and md (EVP_DigestSign,
 * ASN1_item_sign_ctx, X509_sign_ctx), for the caller to free with
 * EVP_MD_CTX_free; NULL when md is NULL or on error (the caller then
 * signs the usual way).
 */
EVP_MD_CTX *
key_memo_sign_ctx(EVP_PKEY *key, const EVP_MD *md)
{
	struct key_memo_entry *e;
	EVP_MD_CTX *ctx;

	if (key == NULL || md == NULL ||
	    (e = key_memo_entry(key, md)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_MD_CTX_copy_ex(ctx, e->sign) != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * A new digest context holding a context of key, not initialised, for
 * ASN1_item_verify_ctx (which initialises it from the signature's
 * algorithm); for the caller to free with key_memo_ctx_free. NULL on
 * error (the caller then verifies the usual way).
 */
EVP_MD_CTX *
key_memo_verify_ctx(EVP_PKEY *key)
{
	struct key_memo_entry *e;
	EVP_PKEY_CTX *pctx;
	EVP_MD_CTX *ctx;

	if (key == NULL || (e = key_memo_entry(key, NULL)) == NULL ||
	    (pctx = EVP_PKEY_CTX_dup(e->verify)) == NULL)
		return NULL;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		EVP_PKEY_CTX_free(pctx);
		return NULL;
	}
	EVP_MD_CTX_set_pkey_ctx(ctx, pctx);
	return ctx;
}

/* Frees a context of key_memo_verify_ctx: the key context it holds too
 * (EVP_MD_CTX_set_pkey_ctx leaves that to the caller). */
void
key_memo_ctx_free(EVP_MD_CTX *ctx)
{
	if (ctx == NULL)
		return;
	EVP_PKEY_CTX_free(EVP_MD_CTX_get_pkey_ctx(ctx));
	EVP_MD_CTX_free(ctx);
}

/* Drops every entry: at the end of a process, or in a test. */
void
key_memo_flush(void)
{
	size_t i;

	for (i = 0; i < KEY_MEMO_MAX; i++) {
		key_memo_drop(&key_memo_signing.e[i]);
		key_memo_drop(&key_memo_verifying.e[i]);
	}
	key_memo_signing.next = key_memo_verifying.next = 0;
}
