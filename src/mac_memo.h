/*
 * mac_memo.c: the keys a worker derived from a shared secret to protect
 * its answers, each kept with the salt it was derived with.
 */
#ifndef CMPD_MAC_MEMO_H
#define CMPD_MAC_MEMO_H

#include <stddef.h>
#include <time.h>

#define MAC_MEMO_SALT_LEN	16
#define MAC_MEMO_KEY_MAX	64

/* What a key follows from, besides the salt: the method
 * (id-PasswordBasedMAC or PBMAC1), its one-way function (PBM's owf,
 * PBKDF2's prf), the iteration count, the key's length and the secret;
 * and the MAC it is for (one key, one MAC algorithm). */
struct mac_memo_key {
	int	 nid, kdf_nid, mac_nid;
	long	 iter;
	size_t	 key_len;
	const unsigned char *secret;
	size_t	 secret_len;
};

/* A derived key and the salt it was derived with. */
struct mac_memo_val {
	unsigned char salt[MAC_MEMO_SALT_LEN];
	unsigned char key[MAC_MEMO_KEY_MAX];
	size_t	 key_len;
};

int	 mac_memo_find(const struct mac_memo_key *, time_t now,
	    struct mac_memo_val *, time_t *until);
void	 mac_memo_add(const struct mac_memo_key *, const struct mac_memo_val *,
	    time_t now);
void	 mac_memo_expire(time_t now);
void	 mac_memo_flush(void);

#endif
