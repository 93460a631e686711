/*
 * Secrets at rest (CONVENTIONS 7): shared secrets and connector
 * credentials are stored AES-256-GCM encrypted with the key in
 * secret_key_file (64 hex digits). The row's UUID is the additional
 * authenticated data, so a ciphertext copied to another row does not open.
 *
 *   blob = version (1) | nonce (12) | ciphertext | tag (16)
 *
 * Rotation (cmpctl key rotate) loads a second key beside the current one
 * and re-seals each blob from the one to the other; the key bytes never
 * leave this file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
/* secret_key_file_previous: opens what it sealed, seals nothing (a
 * rotation without a time when secrets do not open) */
static unsigned char secret_prev_key[SECRET_KEY_LEN];
static int secret_have_prev;
/* the key values are re-sealed to while rotating, and from */
static unsigned char secret_next_key[SECRET_KEY_LEN];
static int secret_have_next;
static const unsigned char *secret_from = secret_key;

/* Reads a key file (64 hex digits, one line) into key. */
static int
secret_key_read(const char *path, unsigned char key[SECRET_KEY_LEN])
{
	unsigned char *buf = NULL, *k = NULL;
	size_t len;
	long n = 0;
	int r = -1;

	if (util_read_file(path, 1024, &buf, &len) != 0) {
		log_error("secret key file %s: %s", path, strerror(errno));
		return -1;
	}
	buf[strcspn((char *)buf, "\r\n")] = '\0';
	if ((k = OPENSSL_hexstr2buf((char *)buf, &n)) == NULL ||
	    n != SECRET_KEY_LEN) {
		log_error("secret key file %s: expected 64 hex digits", path);
		goto out;
	}
	memcpy(key, k, SECRET_KEY_LEN);
	r = 0;
 out:
	if (k != NULL)
		OPENSSL_clear_free(k, (size_t)n);
	OPENSSL_clear_free(buf, len);
	return r;
}

/*
 * Loads the key, and the previous one if configured (it needs a current
 * one); 0 also when none is configured (secrets then unusable).
 */
int
secret_init(const struct conf *c)
{
	OPENSSL_cleanse(secret_key, sizeof(secret_key));
	OPENSSL_cleanse(secret_prev_key, sizeof(secret_prev_key));
	secret_have_key = secret_have_prev = 0;
	/* (conf_load() refuses a previous one without a current one) */
	if (c->secret_key_file == NULL)
		return 0;
	if (secret_key_read(c->secret_key_file, secret_key) != 0 ||
	    (c->secret_key_file_previous != NULL &&
	    secret_key_read(c->secret_key_file_previous,
	    secret_prev_key) != 0)) {
		OPENSSL_cleanse(secret_key, sizeof(secret_key));
		OPENSSL_cleanse(secret_prev_key, sizeof(secret_prev_key));
		return -1;
	}
	secret_have_key = 1;
	secret_have_prev = c->secret_key_file_previous != NULL;
	return 0;
}

/* fsync(2) of the directory that holds path. 0, or -1 with errno. */
static int
secret_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, r;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	} else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
		    (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* Can this process load the key file at path? 0 yes; -1 no (logged). */
int
secret_key_check(const char *path)
{
	unsigned char key[SECRET_KEY_LEN];
	int r;

	r = secret_key_read(path, key);
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

/*
 * Writes a new key, 64 hex digits from RAND_priv_bytes, to path: a new
 * file of mode 0600 (O_EXCL: an existing key is never overwritten, it may
 * be the only copy that opens the database's secrets). -1 with errno set.
 */
int
secret_key_create(const char *path)
{
	unsigned char key[SECRET_KEY_LEN];
	char hex[2 * SECRET_KEY_LEN + 2];
	size_t len, off = 0;
	ssize_t w;
	int fd = -1, created = 0, saved = 0, r = -1;

	if (RAND_priv_bytes(key, sizeof(key)) != 1) {
		errno = EIO;
		goto out;
	}
	util_hex(key, sizeof(key), hex, sizeof(hex));
	len = strlen(hex);
	hex[len++] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto out;
	created = 1;
	/* the umask may take bits away, never add any; be explicit anyway */
	if (fchmod(fd, 0600) == -1)
		goto out;
	while (off < len) {
		if ((w = write(fd, hex + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1)
		goto out;
	w = close(fd);
	fd = -1;
	if (w == -1)
		goto out;
	/* and its name: after a power loss the database may hold secrets
	 * sealed to a key whose directory entry was never written */
	if (secret_sync_dir(path) == -1)
		goto out;
	r = 0;
 out:
	saved = errno;
	if (fd != -1)
		close(fd);
	if (r != 0 && created)
		unlink(path);	/* a half-written key is no key */
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	errno = saved;
	return r;
}

/*
 * Loads the key of path as the target of secret_reseal(), from the
 * current key. -1 on error, -2 when it is the current key (rotating to
 * it would change nothing).
 */
int
secret_reseal_init(const char *path)
{
	secret_reseal_done();
	if (!secret_have_key) {
		log_error("no current key (secret_key_file) to rotate from");
		return -1;
	}
	if (secret_key_read(path, secret_next_key) != 0) {
		secret_reseal_done();
		return -1;
	}
	if (CRYPTO_memcmp(secret_next_key, secret_key, SECRET_KEY_LEN) == 0) {
		secret_reseal_done();
		return -2;
	}
	secret_have_next = 1;
	return 0;
}

/*
 * The current key as the target of secret_reseal(), from the previous
 * one (secret_key_file_previous). -1 when there is none.
 */
int
secret_reseal_init_previous(void)
{
	secret_reseal_done();
	if (!secret_have_key || !secret_have_prev) {
		log_error("no secret_key_file_previous to rotate from");
		return -1;
	}
	memcpy(secret_next_key, secret_key, SECRET_KEY_LEN);
	secret_from = secret_prev_key;
	secret_have_next = 1;
	return 0;
}

void
secret_reseal_done(void)
{
	OPENSSL_cleanse(secret_next_key, sizeof(secret_next_key));
	secret_have_next = 0;
	secret_from = secret_key;
}

int
secret_available(void)
{
	return secret_have_key;
}

/* AES-256-GCM one way or the other; n bytes of in to out, tag separate. */
static int
secret_gcm(const unsigned char *key, int enc, const unsigned char *nonce,
    const char *aad, const unsigned char *in, size_t n, unsigned char *out,
    unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx;
	int l, r = -1;

	if (n > INT32_MAX || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (!EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce,
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

/* Encrypts n bytes with key; *out (OPENSSL_free) gets the blob. */
static int
secret_seal_with(const unsigned char *key, const unsigned char *pt, size_t n,
    const char *aad, unsigned char **out, size_t *outlen)
{
	unsigned char *b;
	size_t len = 1 + SECRET_NONCE + n + SECRET_TAG;

	*out = NULL;
	*outlen = 0;
	if ((b = OPENSSL_malloc(len)) == NULL)
		return -1;
	b[0] = SECRET_VERSION;
	if (RAND_bytes(b + 1, SECRET_NONCE) != 1 ||
	    secret_gcm(key, 1, b + 1, aad, pt, n, b + 1 + SECRET_NONCE,
	    b + 1 + SECRET_NONCE + n) != 0) {
		OPENSSL_clear_free(b, len);
		return -1;
	}
	*out = b;
	*outlen = len;
	return 0;
}

/* Encrypts n bytes; *out (OPENSSL_free) gets the blob. */
int
secret_seal(const unsigned char *pt, size_t n, const char *aad,
    unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (!secret_have_key)
		return -1;
	return secret_seal_with(secret_key, pt, n, aad, out, outlen);
}

/* Decrypts a blob with key into pt (at most cap bytes). */
static int
secret_open_with(const unsigned char *key, const unsigned char *blob,
    size_t len, const char *aad, unsigned char *pt, size_t cap,
    size_t *ptlen)
{
	size_t n;

	*ptlen = 0;
	if (len < 1 + SECRET_NONCE + SECRET_TAG || blob[0] != SECRET_VERSION)
		return -1;
	n = len - 1 - SECRET_NONCE - SECRET_TAG;
	if (n > cap)
		return -1;
	if (secret_gcm(key, 0, blob + 1, aad, blob + 1 + SECRET_NONCE, n, pt,
	    (unsigned char *)blob + 1 + SECRET_NONCE + n) != 0) {
		OPENSSL_cleanse(pt, cap);
		return -1;
	}
	*ptlen = n;
	return 0;
}

/*
 * Decrypts a blob into pt (at most cap bytes), with the current key or
 * else the previous one; -1 if it does not open.
 */
int
secret_open(const unsigned char *blob, size_t len, const char *aad,
    unsigned char *pt, size_t cap, size_t *ptlen)
{
	*ptlen = 0;
	if (!secret_have_key)
		return -1;
	if (secret_open_with(secret_key, blob, len, aad, pt, cap, ptlen) == 0)
		return 0;
	if (!secret_have_prev)
		return -1;
	return secret_open_with(secret_prev_key, blob, len, aad, pt, cap,
	    ptlen);
}

/*
 * Opens blob with the key rotated from (the current one, or the previous
 * one after secret_reseal_init_previous(); a previous one also opens for
 * the current) and seals it again, under the
 * same AAD, with the key rotated to; *out (OPENSSL_free) gets the new
 * blob. 1 (and no *out) when blob is sealed with the new key already, so
 * that an interrupted rotation can simply be run again; -1 when it opens
 * with neither. The plain text lives only in a buffer wiped here.
 */
int
secret_reseal(const unsigned char *blob, size_t len, const char *aad,
    unsigned char **out, size_t *outlen)
{
	unsigned char *pt = NULL;
	size_t cap, n = 0;
	int r = -1;

	*out = NULL;
	*outlen = 0;
	if (!secret_have_key || !secret_have_next ||
	    len < 1 + SECRET_NONCE + SECRET_TAG)
		return -1;
	cap = len - 1 - SECRET_NONCE - SECRET_TAG;
	if ((pt = OPENSSL_malloc(cap + 1)) == NULL)
		return -1;
	if (secret_open_with(secret_next_key, blob, len, aad, pt, cap,
	    &n) == 0)
		r = 1;
	else if (secret_open_with(secret_from, blob, len, aad, pt, cap,
	    &n) == 0 || (secret_have_prev && secret_from != secret_prev_key &&
	    secret_open_with(secret_prev_key, blob, len, aad, pt, cap,
	    &n) == 0))
		r = secret_seal_with(secret_next_key, pt, n, aad, out, outlen);
	OPENSSL_clear_free(pt, cap + 1);
	return r;
}
