/*
 * The signer chains a worker validated (RFC 9810 5.1.3.3), remembered
 * for the next message of the same signer: an RA that protects the
 * requests of many devices (RFC 9483 5.2), a device's certConf after its
 * ir, a renewal or revocation signed by the certificate concerned. A
 * validation of an EC P-256 chain costs a signature verification per
 * certificate below the anchor; with the message's own signature and the
 * POP, that was two fifths of a signed enrolment's verifications.
 *
 * X509_verify_cert() decides from its inputs and the time alone: the
 * signer, the untrusted certificates it may build the chain from, the
 * trust anchors and the CRLs (and the flags, which follow from whether
 * there are CRLs). An entry holds references to all of these, so an
 * entry is found only for the very same objects: the workers keep the
 * decoded certificates of extraCerts (cert_cache.c), the profile's
 * anchors and CRLs (profile.c) and the CA's chain and CRL (cmp_ca.c)
 * while they do not change, and anything that changes is a new object,
 * which no entry holds. Time enters through each certificate's and CRL's
 * validity only, so an entry lasts until the first of these moments
 * after it was made: a notBefore or notAfter of any certificate it holds,
 * a thisUpdate or nextUpdate of any CRL; and CHAIN_MEMO_TTL seconds at
 * most. Within that, X509_verify_cert() would decide as it did. A clock
 * that went back finds nothing. Only chains that validated are kept:
 * a refusal is worked out again each time, with its reason.
 *
 * Revocation in cmpd's own inventory is not decided here: the caller
 * checks it for every message (cmp_signer.c).
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "chain_memo.h"
#include "cmpd.h"

#define CHAIN_MEMO_MAX	8	/* chains per process */
#define CHAIN_MEMO_TTL	300	/* seconds an entry lasts at most */

struct chain_memo_entry {
	X509	*signer;
	STACK_OF(X509) *untrusted, *anchors;
	STACK_OF(X509_CRL) *crls;
	STACK_OF(X509) *chain;		/* what X509_verify_cert() built */
	time_t	 since, until;
	unsigned long used;		/* chain_memo_clock when last found */
};

static struct chain_memo_entry chain_memo[CHAIN_MEMO_MAX];
static unsigned long chain_memo_clock;

static void
chain_memo_drop(struct chain_memo_entry *e)
{
	X509_free(e->signer);
	sk_X509_pop_free(e->untrusted, X509_free);
	sk_X509_pop_free(e->anchors, X509_free);
	sk_X509_CRL_pop_free(e->crls, X509_CRL_free);
	sk_X509_pop_free(e->chain, X509_free);
	memset(e, 0, sizeof(*e));
}

void
chain_memo_flush(void)
{
	size_t i;

	for (i = 0; i < CHAIN_MEMO_MAX; i++)
		chain_memo_drop(&chain_memo[i]);
}

/* The same objects, in the same order (NULL is an empty stack). */
static int
same_certs(const STACK_OF(X509) *a, const STACK_OF(X509) *b)
{
	int i, n = sk_X509_num(a) > 0 ? sk_X509_num(a) : 0;

	if (n != (sk_X509_num(b) > 0 ? sk_X509_num(b) : 0))
		return 0;
	for (i = 0; i < n; i++)
		if (sk_X509_value(a, i) != sk_X509_value(b, i))
			return 0;
	return 1;
}

static int
same_crls(const STACK_OF(X509_CRL) *a, const STACK_OF(X509_CRL) *b)
{
	int i, n = sk_X509_CRL_num(a) > 0 ? sk_X509_CRL_num(a) : 0;

	if (n != (sk_X509_CRL_num(b) > 0 ? sk_X509_CRL_num(b) : 0))
		return 0;
	for (i = 0; i < n; i++)
		if (sk_X509_CRL_value(a, i) != sk_X509_CRL_value(b, i))
			return 0;
	return 1;
}

STACK_OF(X509) *
chain_memo_find(const struct chain_memo_key *k, time_t now, time_t *until)
{
	struct chain_memo_entry *e;
	size_t i;

	for (i = 0; i < CHAIN_MEMO_MAX; i++) {
		e = &chain_memo[i];
		if (e->signer == NULL || e->signer != k->signer ||
		    !same_certs(e->untrusted, k->untrusted) ||
		    !same_certs(e->anchors, k->anchors) ||
		    !same_crls(e->crls, k->crls))
			continue;
		if (now < e->since || now >= e->until) {
			chain_memo_drop(e);
			return NULL;
		}
		e->used = ++chain_memo_clock;
		if (until != NULL)
			*until = e->until;
		return X509_chain_up_ref(e->chain);
	}
	return NULL;
}

/* Brings *until down to t when t is a moment after now (at, as an
 * ASN1_TIME). */
static void
bound(time_t *until, time_t now, const ASN1_TIME *at, const ASN1_TIME *t)
{
	int days, secs;
	long long d;

	if (t == NULL)
		return;
	if (!ASN1_TIME_diff(&days, &secs, at, t)) {
		*until = now;		/* unreadable: keep nothing */
		return;
	}
	d = (long long)days * 86400 + secs;
	if (d > 0 && d < (long long)(*until - now))
		*until = now + (time_t)d;
}

static void
bound_certs(time_t *until, time_t now, const ASN1_TIME *at,
    const STACK_OF(X509) *sk)
{
	const X509 *x;
	int i;

	for (i = 0; i < sk_X509_num(sk); i++) {
		x = sk_X509_value(sk, i);
		bound(until, now, at, X509_get0_notBefore(x));
		bound(until, now, at, X509_get0_notAfter(x));
	}
}

/* The moment until which X509_verify_cert() decides on k as at now. */
static time_t
chain_memo_until(const struct chain_memo_key *k, time_t now)
{
	time_t until = now + CHAIN_MEMO_TTL;
	const X509_CRL *crl;
	ASN1_TIME *at;
	int i;

	if ((at = ASN1_TIME_set(NULL, now)) == NULL)
		return now;
	bound(&until, now, at, X509_get0_notBefore(k->signer));
	bound(&until, now, at, X509_get0_notAfter(k->signer));
	bound_certs(&until, now, at, k->untrusted);
	bound_certs(&until, now, at, k->anchors);
	for (i = 0; i < sk_X509_CRL_num(k->crls); i++) {
		crl = sk_X509_CRL_value(k->crls, i);
		bound(&until, now, at, X509_CRL_get0_lastUpdate(crl));
		bound(&until, now, at, X509_CRL_get0_nextUpdate(crl));
	}
	ASN1_TIME_free(at);
	return until;
}

/* A new stack holding references to the certificates of sk (NULL:
 * empty). */
static STACK_OF(X509) *
certs_up_ref(STACK_OF(X509) *sk)
{
	return sk != NULL ? X509_chain_up_ref(sk) : sk_X509_new_null();
}

void
chain_memo_add(const struct chain_memo_key *k, STACK_OF(X509) *chain,
    time_t now)
{
	struct chain_memo_entry *e, *victim = &chain_memo[0];
	time_t until = chain_memo_until(k, now);
	size_t i;

	if (until <= now || chain == NULL)
		return;
	for (i = 0; i < CHAIN_MEMO_MAX; i++) {
		e = &chain_memo[i];
		if (e->signer == NULL) {
			victim = e;
			break;
		}
		if (e->used < victim->used)
			victim = e;
	}
	chain_memo_drop(victim);
	if (!X509_up_ref(k->signer))
		return;
	victim->signer = k->signer;
	if ((victim->untrusted = certs_up_ref(k->untrusted)) == NULL ||
	    (victim->anchors = certs_up_ref(k->anchors)) == NULL ||
	    (victim->crls = util_crls_up_ref(k->crls)) == NULL ||
	    (victim->chain = X509_chain_up_ref(chain)) == NULL) {
		chain_memo_drop(victim);
		return;
	}
	victim->since = now;
	victim->until = until;
	victim->used = ++chain_memo_clock;
}
