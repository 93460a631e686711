/*
 * Unit test for chain_memo.c: a chain is found again only for the very
 * same signer, untrusted certificates, anchors and CRLs; it lasts until
 * the first notBefore, notAfter, thisUpdate or nextUpdate after it was
 * kept, and the memo's own limit at most; a clock that went back finds
 * nothing; more chains than the memo holds still give right answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "chain_memo.h"
#include "tap.h"

static EVP_PKEY *key;
static time_t now;

/* A certificate of subject CN=cn, signed by key, valid from now + nb
 * to now + na seconds. */
static X509 *
make_cert(const char *cn, long serial, long nb, long na)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	if (x == NULL || name == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), serial) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    X509_time_adj_ex(X509_getm_notBefore(x), 0, nb, &now) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), 0, na, &now) == NULL ||
	    !X509_set_pubkey(x, key) || X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		x = NULL;
	}
	X509_NAME_free(name);
	return x;
}

/* A CRL issued now + lu, next one due now + nu seconds. */
static X509_CRL *
make_crl(long lu, long nu)
{
	X509_CRL *c = X509_CRL_new();
	X509_NAME *name = X509_NAME_new();
	ASN1_TIME *t1 = X509_time_adj_ex(NULL, 0, lu, &now);
	ASN1_TIME *t2 = X509_time_adj_ex(NULL, 0, nu, &now);

	if (c == NULL || t1 == NULL || t2 == NULL || name == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"root", -1, -1, 0) ||
	    !X509_CRL_set_version(c, 1) || !X509_CRL_set_issuer_name(c, name) ||
	    !X509_CRL_set1_lastUpdate(c, t1) ||
	    !X509_CRL_set1_nextUpdate(c, t2) ||
	    X509_CRL_sign(c, key, EVP_sha256()) <= 0) {
		X509_CRL_free(c);
		c = NULL;
	}
	X509_NAME_free(name);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	return c;
}

static STACK_OF(X509) *
certs(X509 *a, X509 *b)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	if (sk != NULL && a != NULL)
		sk_X509_push(sk, a);
	if (sk != NULL && b != NULL)
		sk_X509_push(sk, b);
	return sk;
}

/* found(k, t): the memo has k's chain at t (and it is the one kept) */
static STACK_OF(X509) *kept;

static int
found(const struct chain_memo_key *k, time_t t)
{
	STACK_OF(X509) *c = chain_memo_find(k, t, NULL);
	int same = c != NULL && sk_X509_num(c) == sk_X509_num(kept) &&
	    sk_X509_value(c, 0) == sk_X509_value(kept, 0);

	sk_X509_pop_free(c, X509_free);
	return same;
}

int
main(void)
{
	X509 *root, *leaf, *leaf2, *root2, *later, *gone, *old;
	STACK_OF(X509) *anchors, *anchors2, *untrusted, *untrusted2;
	STACK_OF(X509_CRL) *crls, *crls2;
	X509_CRL *crl, *crl2;
	struct chain_memo_key k, k2, other;
	STACK_OF(X509) *got;
	time_t until = 0;
	unsigned char *der = NULL;
	const unsigned char *p;
	int i, n, right;

	now = time(NULL);
	if (!ok((key = EVP_EC_gen("P-256")) != NULL, "a test key"))
		return done_testing();
	root = make_cert("root", 1, -3600, 86400 * 365);
	leaf = make_cert("leaf", 2, -60, 100);
	leaf2 = make_cert("leaf", 3, -60, 86400 * 30);
	later = make_cert("not yet", 4, 30, 86400);
	gone = make_cert("expired", 5, -7200, -3600);
	n = root != NULL ? i2d_X509(root, &der) : -1;
	p = der;
	root2 = n > 0 ? d2i_X509(NULL, &p, n) : NULL;
	ok(root && leaf && leaf2 && later && gone && root2,
	    "test certificates");
	anchors = certs(root, NULL);
	untrusted = certs(leaf, NULL);
	kept = certs(leaf, root);

	k.signer = leaf;
	k.untrusted = untrusted;
	k.anchors = anchors;
	k.crls = NULL;
	ok(!found(&k, now), "nothing kept: nothing found");
	chain_memo_add(&k, kept, now);
	got = chain_memo_find(&k, now, &until);
	ok(got != NULL, "kept");
	sk_X509_pop_free(got, X509_free);
	is_int(until, now + 100, "until the signer's notAfter");
	ok(found(&k, now), "found at once");
	ok(found(&k, now + 99), "found a second before its notAfter");
	ok(!found(&k, now + 100), "not at its notAfter");
	ok(!found(&k, now), "and not again: the entry is gone");
	chain_memo_add(&k, kept, now);
	ok(!found(&k, now - 1), "a clock that went back finds nothing");

	/* the same objects in another stack: found; another object of
	 * the same certificate, other certificates, another order: not */
	chain_memo_add(&k, kept, now);
	anchors2 = certs(root, NULL);
	k2 = k;
	k2.anchors = anchors2;
	ok(found(&k2, now + 1), "the same anchors in another stack");
	sk_X509_set(anchors2, 0, root2);
	ok(!found(&k2, now + 1), "another object of the same anchor");
	k2.anchors = NULL;
	ok(!found(&k2, now + 1), "no anchors");
	k2 = k;
	k2.signer = leaf2;
	ok(!found(&k2, now + 1), "another signer");
	untrusted2 = certs(leaf, root);
	k2 = k;
	k2.untrusted = untrusted2;
	ok(!found(&k2, now + 1), "more untrusted certificates");
	sk_X509_set(untrusted2, 0, root);
	sk_X509_set(untrusted2, 1, leaf);
	ok(!found(&k2, now + 1), "untrusted ones in another order");

	/* CRLs: part of what is compared, and their dates bound it */
	crl = make_crl(-60, 50);
	crl2 = make_crl(20, 86400);
	crls = sk_X509_CRL_new_null();
	sk_X509_CRL_push(crls, crl);
	k2 = k;
	k2.crls = crls;
	ok(!found(&k2, now + 1), "with a CRL: not the chain kept without");
	chain_memo_add(&k2, kept, now);
	ok(found(&k2, now + 49), "with the CRL: found");
	ok(!found(&k2, now + 50), "not at the CRL's nextUpdate");
	crls2 = sk_X509_CRL_new_null();
	sk_X509_CRL_push(crls2, crl2);
	k2.crls = crls2;
	chain_memo_add(&k2, kept, now);
	k2.crls = crls;
	ok(!found(&k2, now + 1), "another CRL: not found");
	k2.crls = crls2;
	ok(found(&k2, now + 19), "a CRL not yet issued: found before");
	ok(!found(&k2, now + 20), "not from its thisUpdate on");

	/* any certificate's dates bound it, an expired one does not */
	k2 = k;
	k2.signer = leaf2;
	k2.untrusted = certs(leaf2, gone);
	chain_memo_add(&k2, kept, now);
	ok(found(&k2, now + 299), "an expired untrusted one: no bound");
	ok(!found(&k2, now + 300), "but the memo's own limit");
	sk_X509_free(k2.untrusted);
	k2.untrusted = certs(leaf2, NULL);
	k2.anchors = certs(root, later);
	chain_memo_add(&k2, kept, now);
	got = chain_memo_find(&k2, now, &until);
	ok(got != NULL, "kept with an anchor not yet valid");
	sk_X509_pop_free(got, X509_free);
	is_int(until, now + 30, "an anchor valid from now + 30 s bounds it");
	sk_X509_free(k2.untrusted);
	sk_X509_free(k2.anchors);

	/* more signers than the memo holds: each answer still right */
	other.signer = root;
	other.untrusted = other.anchors = anchors;
	other.crls = NULL;
	right = 1;
	for (i = 0; i < 40; i++) {
		old = make_cert("many", 100 + i, -60, 86400);
		k2 = k;
		k2.signer = old;
		k2.untrusted = certs(old, NULL);
		chain_memo_add(&k2, kept, now);
		if (!found(&k2, now + 1) || found(&other, now + 1) ||
		    chain_memo_find(&k2, now + 301, NULL) != NULL)
			right = 0;
		sk_X509_free(k2.untrusted);
		X509_free(old);
	}
	ok(right, "40 signers: each found while kept, none for another");

	chain_memo_flush();
	ok(!found(&k, now), "flushed: nothing found");
	sk_X509_free(anchors);
	sk_X509_free(anchors2);
	sk_X509_free(untrusted);
	sk_X509_free(untrusted2);
	sk_X509_free(kept);
	sk_X509_CRL_free(crls);
	sk_X509_CRL_free(crls2);
	X509_CRL_free(crl);
	X509_CRL_free(crl2);
	X509_free(root);
	X509_free(root2);
	X509_free(leaf);
	X509_free(leaf2);
	X509_free(later);
	X509_free(gone);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
	return done_testing();
}
