/*
 * Secrets at rest (CONVENTIONS 7): shared secrets and connector
 * credentials are stored AES-256-GCM encrypted with the key in
 * secret_key_file (64 hex digits). The row's UUID is the additional
 * authenticated data, so a ciphertext copied to another row does not open.
 *
 *   blob = version (1) | nonce (12) | ciphertext | tag (16)
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "cmpd.h"

#define SECRET_VERSION	1
#define SECRET_NONCE	12
#define SECRET_TAG	16
#define SECRET_KEY_LEN	32

static unsigned char secret_key[SECRET_KEY_LEN];
static int secret_have_key;

/* Loads the key; 0 also when none is configured (secrets then unusable). */
int
secret_init(const struct conf *c)
{
	unsigned char *buf = NULL, *key = NULL;
	size_t len;
	long n = 0;
	int r = -1;

	OPENSSL_cleanse(secret_key, sizeof(secret_key));
	secret_have_key = 0;
	if (c->secret_key_file == NULL)
		return 0;
	if (util_read_file(c->secret_key_file, 1024, &buf, &len) != 0) {
		log_error("secret_key_file %s: %s", c->secret_key_file,
		    strerror(errno));
		return -1;
	}
	buf[strcspn((char *)buf, "\r\n")] = '\0';
	if ((key = OPENSSL_hexstr2buf((char *)buf, &n)) == NULL ||
	    n != SECRET_KEY_LEN) {
		log_error("secret_key_file %s: expected 64 hex digits",
		    c->secret_key_file);
		goto out;
	}
	memcpy(secret_key, key, SECRET_KEY_LEN);
	secret_have_key = 1;
	r = 0;
 out:
	if (key != NULL)
		OPENSSL_clear_free(key, (size_t)n);
	OPENSSL_clear_free(buf, len);
	return r;
}

int
secret_available(void)
{
	return secret_have_key;
}

/* AES-256-GCM one way or the other; n bytes of in to out, tag separate. */
static int
secret_gcm(int enc, const unsigned char *nonce, const char *aad,
    const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx;
	int l, r = -1;

	if (n > INT32_MAX || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (!EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, secret_key, nonce,
	    enc) ||
	    !EVP_CipherUpdate(ctx, NULL, &l, (const unsigned char *)aad,
	    (int)strlen(aad)) ||
	    (n > 0 && !EVP_CipherUpdate(ctx, out, &l, in, (int)n)))
		goto out;
	if (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRET_TAG,
	    tag))
		goto out;
	if (!EVP_CipherFinal_ex(ctx, out + n, &l))
		goto out;	/* decrypting: the tag did not verify */
	if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRET_TAG,
	    tag))
		goto out;
	r = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

/* Encrypts n bytes; *out (OPENSSL_free) gets the blob. */
int
secret_seal(const unsigned char *pt, size_t n, const char *aad,
    unsigned char **out, size_t *outlen)
{
	unsigned char *b;
	size_t len = 1 + SECRET_NONCE + n + SECRET_TAG;

	*out = NULL;
	*outlen = 0;
	if (!secret_have_key || (b = OPENSSL_malloc(len)) == NULL)
		return -1;
	b[0] = SECRET_VERSION;
	if (RAND_bytes(b + 1, SECRET_NONCE) != 1 ||
	    secret_gcm(1, b + 1, aad, pt, n, b + 1 + SECRET_NONCE,
	    b + 1 + SECRET_NONCE + n) != 0) {
		OPENSSL_clear_free(b, len);
		return -1;
	}
	*out = b;
	*outlen = len;
	return 0;
}

/* Decrypts a blob into pt (at most cap bytes); -1 if it does not open. */
int
secret_open(const unsigned char *blob, size_t len, const char *aad,
    unsigned char *pt, size_t cap, size_t *ptlen)
{
	size_t n;

	*ptlen = 0;
	if (!secret_have_key || len < 1 + SECRET_NONCE + SECRET_TAG ||
	    blob[0] != SECRET_VERSION)
		return -1;
	n = len - 1 - SECRET_NONCE - SECRET_TAG;
	if (n > cap)
		return -1;
	if (secret_gcm(0, blob + 1, aad, blob + 1 + SECRET_NONCE, n, pt,
	    (unsigned char *)blob + 1 + SECRET_NONCE + n) != 0) {
		OPENSSL_cleanse(pt, cap);
		return -1;
	}
	*ptlen = n;
	return 0;
}
