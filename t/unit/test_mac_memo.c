/*
 * Unit test for mac_memo.c: a key is found again only for the same
 * method, one-way function, iteration count, key length and secret; it
 * lasts MAC_MEMO_TTL (300) seconds at most; a clock that went back finds
 * nothing; more keys than the memo holds still give right answers; a
 * flush forgets them all.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/objects.h>

#include "mac_memo.h"
#include "tap.h"

static time_t now;

static struct mac_memo_key
key_of(const char *secret, long iter)
{
	struct mac_memo_key k;

	memset(&k, 0, sizeof(k));
	k.nid = NID_id_PasswordBasedMAC;
	k.kdf_nid = NID_sha256;
	k.iter = iter;
	k.secret = (const unsigned char *)secret;
	k.secret_len = strlen(secret);
	return k;
}

/* A value marked with c. */
static struct mac_memo_val
val_of(unsigned char c)
{
	struct mac_memo_val v;

	memset(&v, c, sizeof(v));
	v.key_len = 32;
	return v;
}

/* Whether k is found at t with the value marked c. */
static int
found(const struct mac_memo_key *k, time_t t, unsigned char c)
{
	struct mac_memo_val v;

	return mac_memo_find(k, t, &v, NULL) == 0 && v.salt[0] == c &&
	    v.key[0] == c && v.key_len == 32;
}

int
main(void)
{
	struct mac_memo_key k = key_of("secret", 500), o;
	struct mac_memo_val v = val_of(1);
	time_t until = 0;
	char name[16];
	int i, all;

	now = time(NULL);
	ok(mac_memo_find(&k, now, &v, NULL) != 0, "empty memo: nothing");
	mac_memo_add(&k, &v, now);
	ok(found(&k, now, 1), "found again");
	ok(mac_memo_find(&k, now + 10, &v, &until) == 0 &&
	    until == now + 300, "until: 300 s after it was made");

	o = key_of("secreT", 500);
	ok(!found(&o, now, 1), "another secret of the same length: nothing");
	o = key_of("secret2", 500);
	ok(!found(&o, now, 1), "a longer secret: nothing");
	o = key_of("secret", 501);
	ok(!found(&o, now, 1), "another iteration count: nothing");
	o = key_of("secret", 500);
	o.kdf_nid = NID_sha512;
	ok(!found(&o, now, 1), "another owf: nothing");
	o = key_of("secret", 500);
	o.nid = NID_pbmac1;
	ok(!found(&o, now, 1), "PBMAC1 instead of PBM: nothing");
	o = key_of("secret", 500);
	o.key_len = 32;
	ok(!found(&o, now, 1), "another key length: nothing");

	ok(found(&k, now + 299, 1), "still there after 299 s");
	ok(!found(&k, now + 300, 1), "gone after 300 s");
	ok(!found(&k, now + 10, 1), "and not back with the clock");

	mac_memo_add(&k, &v, now);
	ok(!found(&k, now - 1, 1), "a clock that went back finds nothing");
	ok(!found(&k, now, 1), "and the entry is dropped");

	/* The same key again replaces the entry, it is not kept twice. */
	mac_memo_add(&k, &v, now);
	v = val_of(2);
	mac_memo_add(&k, &v, now);
	ok(found(&k, now, 2), "a key added again: the newer value");

	/* 20 secrets through 8 slots: the last 8 are found with their own
	 * value, the others not at all. */
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		o = key_of(name, 500);
		v = val_of((unsigned char)(10 + i));
		mac_memo_add(&o, &v, now);
	}
	all = 1;
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		o = key_of(name, 500);
		if (found(&o, now, (unsigned char)(10 + i)) != (i >= 12))
			all = 0;
	}
	ok(all, "20 secrets, 8 slots: the last 8 kept, each its own");
	ok(!found(&k, now, 2), "the oldest went first");

	/* The one last used stays when a new one comes. */
	snprintf(name, sizeof(name), "s%d", 12);
	o = key_of(name, 500);
	ok(found(&o, now, 22), "s12 used");
	k = key_of("newcomer", 500);
	v = val_of(3);
	mac_memo_add(&k, &v, now);
	ok(found(&o, now, 22), "s12 still there after a newcomer");
	o = key_of("s13", 500);
	ok(!found(&o, now, 23), "s13, least recently used, gone");

	/* An entry that had its time is wiped when the memo is next used,
	 * and its slot taken before any live entry's: a, used last, expires;
	 * b..h live on; a newcomer takes a's slot, not b's (the least
	 * recently used live one). */
	mac_memo_flush();
	o = key_of("a", 500);
	v = val_of(40);
	mac_memo_add(&o, &v, now);
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "%c", 'b' + i);
		k = key_of(name, 500);
		v = val_of((unsigned char)(41 + i));
		mac_memo_add(&k, &v, now + 10);
	}
	ok(found(&o, now + 200, 40), "a used last");
	k = key_of("newcomer", 500);
	v = val_of(50);
	mac_memo_add(&k, &v, now + 305);
	all = 1;
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "%c", 'b' + i);
		k = key_of(name, 500);
		if (!found(&k, now + 305, (unsigned char)(41 + i)))
			all = 0;
	}
	ok(all, "a gone after its 300 s, b..h all kept");
	ok(!found(&o, now + 305, 40), "a not found");
	mac_memo_expire(now + 400);
	k = key_of("b", 500);
	ok(!found(&k, now + 305, 41), "mac_memo_expire: b gone at 310 s");

	o = key_of("secret", 500);
	o.mac_nid = NID_hmac_sha1;
	v = val_of(60);
	mac_memo_add(&o, &v, now);
	o.mac_nid = NID_hmacWithSHA256;
	ok(!found(&o, now, 60), "another MAC algorithm: nothing");

	v = val_of(4);
	v.key_len = 0;
	k = key_of("empty", 500);
	mac_memo_add(&k, &v, now);
	ok(mac_memo_find(&k, now, &v, NULL) != 0, "a key of no length: not kept");

	mac_memo_flush();
	k = key_of("newcomer", 500);
	ok(!found(&k, now, 3), "flushed: nothing");
	return done_testing();
}
