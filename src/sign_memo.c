/*
 * The signing contexts a process built for the keys it signs with: cmpd's
 * CMP Profiles' keys for the answers (RFC 9810 5.1.3.3), cmp-localca's CA
 * key for the certificates it issues. libcrypto 3.0 makes a new key
 * context for every EVP_DigestSignInit, and walks its whole table of
 * algorithm names to do so; a context set up once for a key and a digest
 * and copied for each signature (EVP_MD_CTX_copy_ex) signs the same,
 * without the set-up.
 *
 * An entry holds a reference to its key, so that the key's address,
 * which identifies the entry, cannot be taken by another key while the
 * entry lives. A key the process no longer signs with stays until its
 * entry is taken for another (SIGN_MEMO_MAX entries, the oldest goes) or
 * the process ends. Ed25519 signs in one pass, without a digest: its
 * contexts cannot be copied and are not kept (NULL md).
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>

#include "sign_memo.h"

#define SIGN_MEMO_MAX	4

struct sign_memo_entry {
	EVP_PKEY	*key;
	const EVP_MD	*md;
	EVP_MD_CTX	*ctx;		/* initialised, never updated */
};

static struct sign_memo_entry sign_memo[SIGN_MEMO_MAX];
static unsigned int sign_memo_next;

static void
sign_memo_drop(struct sign_memo_entry *e)
{
	EVP_MD_CTX_free(e->ctx);
	EVP_PKEY_free(e->key);
	memset(e, 0, sizeof(*e));
}

/* The entry for key and md, set up now if there is none; NULL on error. */
static struct sign_memo_entry *
sign_memo_entry(EVP_PKEY *key, const EVP_MD *md)
{
	struct sign_memo_entry *e;
	size_t i;

	for (i = 0; i < SIGN_MEMO_MAX; i++)
		if (sign_memo[i].key == key && sign_memo[i].md == md)
			return &sign_memo[i];
	e = &sign_memo[sign_memo_next++ % SIGN_MEMO_MAX];
	sign_memo_drop(e);
	if ((e->ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(e->ctx, NULL, md, NULL, key) != 1 ||
	    !EVP_PKEY_up_ref(key)) {
		sign_memo_drop(e);
		return NULL;
	}
	e->key = key;
	e->md = md;
	return e;
}

/*
 * A new context that signs with key and md (EVP_DigestSign,
 * ASN1_item_sign_ctx, X509_sign_ctx), for the caller to free; NULL when md
 * is NULL or on error (the caller then signs the usual way).
 */
EVP_MD_CTX *
sign_memo_ctx(EVP_PKEY *key, const EVP_MD *md)
{
	struct sign_memo_entry *e;
	EVP_MD_CTX *ctx;

	if (key == NULL || md == NULL ||
	    (e = sign_memo_entry(key, md)) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_MD_CTX_copy_ex(ctx, e->ctx) != 1) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* Drops every entry: at the end of a process, or in a test. */
void
sign_memo_flush(void)
{
	size_t i;

	for (i = 0; i < SIGN_MEMO_MAX; i++)
		sign_memo_drop(&sign_memo[i]);
	sign_memo_next = 0;
}
