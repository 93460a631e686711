/*
 * The keys a worker derived from a shared secret to protect its answers
 * (RFC 9810 5.1.3.1), remembered with the salt each was derived with.
 * PBM's key is the owf iterated over the secret and the salt (RFC 4211
 * 4.4), PBMAC1's is PBKDF2 of both (RFC 8018 5.2): hundreds of hashes,
 * and the same for the same secret, salt and parameters. The MAC over an
 * answer is one HMAC with that key. A worker that answers with a salt it
 * drew at random for this secret and these parameters a little earlier
 * takes the key it derived then instead of deriving another.
 *
 * What the salt is for holds for each entry: it is drawn at random when
 * the entry is made, so nobody could compute keys for it beforehand, and
 * it is kept for this secret only, so a guess tried against one secret's
 * answers tells nothing about another's. Answers that share a salt give
 * whoever tries to guess the secret nothing that one answer does not:
 * each guess costs a derivation either way. An entry lasts MAC_MEMO_TTL
 * seconds at most and is wiped when it goes: at the next look-up, or at
 * the worker's next sweep when no request comes. The secret itself is
 * not kept here, only an HMAC of it under a key drawn at random by each
 * process.
 *
 * The requests' MACs are not kept: each client draws a new salt for each
 * message, and each is verified with libcrypto's derivation.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mac_memo.h"

#define MAC_MEMO_MAX	8	/* keys per process */
#define MAC_MEMO_TTL	300	/* seconds a salt and its key last at most */

struct mac_memo_entry {
	int	 nid, kdf_nid, mac_nid;
	long	 iter;
	size_t	 key_len;
	unsigned char secret_id[32];	/* HMAC-SHA-256 of the secret */
	struct mac_memo_val val;
	time_t	 since, until;
	unsigned long used;		/* mac_memo_clock when last found */
};

static struct mac_memo_entry mac_memo[MAC_MEMO_MAX];
static unsigned long mac_memo_clock;
static unsigned char mac_memo_pepper[32];	/* secret_id's HMAC key */
static int mac_memo_peppered;

static void
mac_memo_drop(struct mac_memo_entry *e)
{
	OPENSSL_cleanse(e, sizeof(*e));
}

void
mac_memo_flush(void)
{
	size_t i;

	for (i = 0; i < MAC_MEMO_MAX; i++)
		mac_memo_drop(&mac_memo[i]);
	OPENSSL_cleanse(mac_memo_pepper, sizeof(mac_memo_pepper));
	mac_memo_peppered = 0;
}

/* Wipes the entries that have had their time at now (or that come from
 * a clock since set back). */
void
mac_memo_expire(time_t now)
{
	size_t i;

	for (i = 0; i < MAC_MEMO_MAX; i++)
		if (mac_memo[i].until != 0 && (now < mac_memo[i].since ||
		    now >= mac_memo[i].until))
			mac_memo_drop(&mac_memo[i]);
}

/* What the memo knows of k's secret: an HMAC of it under this process's
 * own random key, so that no hash of the secret alone is kept. */
static int
secret_id(const struct mac_memo_key *k, unsigned char id[32])
{
	size_t n = 0;

	if (!mac_memo_peppered) {
		if (RAND_bytes(mac_memo_pepper, sizeof(mac_memo_pepper)) != 1)
			return 0;
		mac_memo_peppered = 1;
	}
	return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, mac_memo_pepper,
	    sizeof(mac_memo_pepper), k->secret, k->secret_len, id, 32,
	    &n) != NULL && n == 32;
}

static int
same_key(const struct mac_memo_entry *e, const struct mac_memo_key *k,
    const unsigned char id[32])
{
	return e->until != 0 && e->nid == k->nid &&
	    e->kdf_nid == k->kdf_nid && e->mac_nid == k->mac_nid &&
	    e->iter == k->iter && e->key_len == k->key_len &&
	    CRYPTO_memcmp(e->secret_id, id, 32) == 0;
}

int
mac_memo_find(const struct mac_memo_key *k, time_t now,
    struct mac_memo_val *v, time_t *until)
{
	struct mac_memo_entry *e;
	unsigned char id[32];
	size_t i;

	mac_memo_expire(now);
	if (!secret_id(k, id))
		return -1;
	for (i = 0; i < MAC_MEMO_MAX; i++) {
		e = &mac_memo[i];
		if (!same_key(e, k, id))
			continue;
		e->used = ++mac_memo_clock;
		*v = e->val;
		if (until != NULL)
			*until = e->until;
		OPENSSL_cleanse(id, sizeof(id));
		return 0;
	}
	OPENSSL_cleanse(id, sizeof(id));
	return -1;
}

void
mac_memo_add(const struct mac_memo_key *k, const struct mac_memo_val *v,
    time_t now)
{
	struct mac_memo_entry *e, *victim = &mac_memo[0];
	unsigned char id[32];
	size_t i;

	mac_memo_expire(now);
	if (v->key_len == 0 || v->key_len > sizeof(v->key) ||
	    !secret_id(k, id))
		return;
	for (i = 0; i < MAC_MEMO_MAX; i++) {
		e = &mac_memo[i];
		if (e->until == 0 || same_key(e, k, id)) {
			victim = e;
			break;
		}
		if (e->used < victim->used)
			victim = e;
	}
	mac_memo_drop(victim);
	victim->nid = k->nid;
	victim->kdf_nid = k->kdf_nid;
	victim->mac_nid = k->mac_nid;
	victim->iter = k->iter;
	victim->key_len = k->key_len;
	memcpy(victim->secret_id, id, sizeof(id));
	victim->val = *v;
	victim->since = now;
	victim->until = now + MAC_MEMO_TTL;
	victim->used = ++mac_memo_clock;
	OPENSSL_cleanse(id, sizeof(id));
}
