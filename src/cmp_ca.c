/*
 * What cmpd knows of an RA Profile's certificate authority: the connector
 * call's target, how a failed call is answered, and, cached per worker,
 * the CA's certificate chain and its current CRL.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "conn.h"
#include "store.h"

static const struct conf *ca_conf;

void
cmp_ca_init(const struct conf *c)
{
	ca_conf = c;
}

static enum conn_auth
ca_auth(const char *name)
{
	if (strcmp(name, "basic") == 0)
		return CONN_AUTH_BASIC;
	if (strcmp(name, "certificate") == 0)
		return CONN_AUTH_CERTIFICATE;
	if (strcmp(name, "apiKey") == 0)
		return CONN_AUTH_APIKEY;
	return CONN_AUTH_NONE;
}

/* The connector call's target; revoke calls carry the revoke attributes. */
void
cmp_ca_target(const struct profile *p, int revoke, struct conn_target *t)
{
	memset(t, 0, sizeof(*t));
	t->url = p->connector_url;
	t->auth = ca_auth(p->connector_auth);
	t->auth_json = p->connector_cred;
	t->insecure = p->connector_insecure;
	t->authority_uuid = p->authority_instance;
	t->attributes_json = revoke ? p->revoke_attrs : p->issue_attrs;
	t->ra_attributes_json = p->ra_attrs;
}

/*
 * The synchronous budget: a worker waits on connector calls for one
 * HTTP request (all its calls, every message of a nested batch) at most
 * the CMP Profile's syncBudget; what runs past it turns into delayed
 * delivery. The clock starts with the request (cmp_ca_request_begin).
 * The sweep, which answers no client, waits connector_timeout.
 */
static struct timespec ca_request_start;

void
cmp_ca_request_begin(void)
{
	clock_gettime(CLOCK_MONOTONIC, &ca_request_start);
	conn_request_begin();
}

/* A call that must go out (issue, renew, revoke, lookup) gets at least
 * this much, so that it is sent, even when the budget is spent. */
#define CA_BUDGET_MIN_MS	250

static int
ca_budget_s(const struct profile *p)
{
	return p->sync_budget > 0 ? p->sync_budget : CMPD_SYNC_BUDGET_DEFAULT;
}

/* A syncBudget of connector_timeout or more: every call is synchronous,
 * gets connector_timeout, and none turns into delayed delivery. */
static int
ca_synchronous(const struct profile *p)
{
	return ca_budget_s(p) >= ca_conf->connector_timeout;
}

/* Milliseconds left of the budget; 0 or less: spent. */
static long
ca_budget_left(const struct profile *p)
{
	long budget = ca_budget_s(p) * 1000L;
	double left = (double)budget - util_elapsed_ms(&ca_request_start);

	if (ca_synchronous(p))
		return ca_conf->connector_timeout * 1000L;
	return left > budget ? budget : (long)left;
}

/*
 * Seconds after which a connector call made now has surely ended and its
 * outcome been recorded, if its worker lives: what the sweep leaves alone
 * until then (an rr's revocation written before the call).
 */
int
cmp_ca_settle_s(void)
{
	return ca_conf->connector_timeout + CMPD_CALL_MARGIN;
}

/*
 * Did call res fail for want of time: cut at the budget after it was
 * sent, or not even sent before the budget ran out?
 */
int
cmp_ca_too_late(const struct profile *p, const struct conn_result *res)
{
	return !ca_synchronous(p) && res->status == CONN_UNAVAILABLE &&
	    (res->timed_out || ca_budget_left(p) <= 0);
}

/*
 * Was call res sent and then cut at the budget? The CA may still act on
 * it: an issue, renew or revoke so cut turns into delayed delivery.
 */
int
cmp_ca_cut(const struct profile *p, const struct conn_result *res)
{
	return !ca_synchronous(p) && res->status == CONN_UNAVAILABLE &&
	    res->timed_out;
}

/* Milliseconds for the next call that must go out; 0: connector_timeout. */
long
cmp_ca_budget_ms(const struct profile *p)
{
	long left = ca_budget_left(p);

	if (ca_synchronous(p))
		return 0;
	return left < CA_BUDGET_MIN_MS ? CA_BUDGET_MIN_MS : left;
}

/*
 * A failed connector call as a cmpd failure; arg gets what the text may
 * show: the CA's refusal, or the status of a 5xx (its body is logged
 * only). Unreachable, timed out or 5xx: try later; anything else that
 * went wrong stays wrong.
 */
enum cmp_fail
cmp_ca_conn_fail(const struct conn_result *res, char *arg,
    size_t arglen)
{
	snprintf(arg, arglen, "%s", res->message);
	switch (res->status) {
	case CONN_UNAVAILABLE:
		if (res->http_status < 500)
			return CMPF_CA_UNAVAILABLE;
		snprintf(arg, arglen, "%ld", res->http_status);
		return CMPF_CA_SERVER_ERROR;
	case CONN_REJECTED:
		return CMPF_CA_REJECTED;
	case CONN_INSECURE:
		return CMPF_CONNECTOR_INSECURE;
	case CONN_BUSY:
		return CMPF_CA_BUSY;
	default:
		return CMPF_CA_FAILED;
	}
}

/*
 * The key of prof's CA in the CRL and chain caches (and of the stored
 * CRL): hex SHA-256 over what makes the connector's answer, the RA
 * Profile, connector, authority instance, URL and the RA Profile's
 * attributes (they may name another CA behind the same connector).
 */
#define CA_KEY_LEN	(2 * SHA256_DIGEST_LENGTH + 1)
static int ca_chain_drop(const struct profile *);

static void
ca_key(const struct profile *p, char key[CA_KEY_LEN])
{
	const char *part[5] = { p->ra_uuid, p->connector_uuid,
	    p->authority_instance, p->connector_url,
	    p->ra_attrs != NULL ? p->ra_attrs : "" };
	unsigned char md[SHA256_DIGEST_LENGTH];
	EVP_MD_CTX *ctx;
	size_t i;
	int ok;

	ok = (ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	/* each part with its terminating NUL: "a|b" and "a", "|b" differ */
	for (i = 0; ok && i < NITEMS(part); i++)
		ok = EVP_DigestUpdate(ctx, part[i], strlen(part[i]) + 1);
	ok = ok && EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		/* no key: nothing cached under it matches, the CA is asked */
		key[0] = '\0';
		return;
	}
	util_hex(md, sizeof(md), key, CA_KEY_LEN);
}

/*
 * The CRL the RA Profile's CA publishes, per worker and authority: fetched
 * again after ca_crl_refresh seconds or past its nextUpdate. A failed
 * fetch is remembered as long (at most a minute), so that a CA that is
 * down costs one connector call per worker and interval, not one per
 * request. The last CRL the CA gave is kept through failed fetches and
 * used until its nextUpdate (RFC 5280 5.1.2.5): a CA that cannot be
 * reached for a while does not make its revocations forgotten. It is
 * stored in MariaDB too (store_crl.c), for a worker that has none when
 * the CA cannot be reached: one started since, or of another node.
 */
#define CA_CRL_CACHE_MAX	8
#define CA_CRL_RETRY_MAX	60
/* seconds a CRL's thisUpdate may lie ahead of this host's clock */
#define CA_CRL_AHEAD		300
static struct ca_crl_entry {
	char	 key[CA_KEY_LEN];
	time_t	 at;		/* the last fetch */
	X509_CRL *crl;		/* the last the CA gave, or NULL */
	int	 failed;	/* the last fetch failed */
	int	 late;		/* it failed: cut at the budget */
	int	 down;		/* it failed for now: late, unreachable, 5xx,
				 * busy */
	int	 stale;		/* the CRL it gave was past its nextUpdate */
} ca_crl_cache[CA_CRL_CACHE_MAX];
static unsigned int ca_crl_next;

static int
ca_crl_expired(X509_CRL *crl)
{
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);

	return next != NULL && X509_cmp_time(next, NULL) < 0;
}

/* What cmp_ca_crl() tells from entry e, and the CRL if it is current. */
static X509_CRL *
ca_crl_answer(const struct ca_crl_entry *e, struct ca_crl_state *st)
{
	int current = e->crl != NULL && !ca_crl_expired(e->crl);

	if (st != NULL) {
		st->late = e->failed && e->late;
		/* The CA has CRLs (it gave one), or cannot be asked for now.
		 * One only slower than the syncBudget (asynchronous, answers
		 * by polling) is not held to give its first in time. */
		st->missing = !current && (e->crl != NULL ||
		    (e->failed && e->down && !e->late));
		st->issuer = e->crl != NULL ? X509_CRL_get_issuer(e->crl) :
		    NULL;
	}
	return current ? e->crl : NULL;
}

/*
 * Was a issued after b (none: yes)? A later thisUpdate, or the same
 * second with a higher CRL number (RFC 5280 5.2.3): a CA that revokes
 * and issues its next CRL within the second.
 */
static int
ca_crl_later(X509_CRL *a, X509_CRL *b)
{
	ASN1_INTEGER *na, *nb;
	int c;

	if (b == NULL)
		return 1;
	if ((c = ASN1_TIME_compare(X509_CRL_get0_lastUpdate(a),
	    X509_CRL_get0_lastUpdate(b))) != 0)
		return c > 0;
	na = store_crl_number(a);
	nb = store_crl_number(b);
	c = na != NULL && nb != NULL && ASN1_INTEGER_cmp(na, nb) > 0;
	ASN1_INTEGER_free(na);
	ASN1_INTEGER_free(nb);
	return c;
}

/*
 * Is crl the CA's, fit to keep? Not issued more than CA_CRL_AHEAD
 * seconds in the future (OpenSSL refuses every signer under a CRL "not
 * yet valid", and the one kept, later than any the CA gives after, would
 * stay until its nextUpdate); complete (util_crl_complete: a delta CRL
 * would be read as the whole list); and, when the CA's chain is known, signed
 * by the key of the chain's certificate of its issuer's name (a CRL
 * under another key is skipped by OpenSSL's checks, which would then
 * take the CA as having none: revoked signers pass). With need_chain, a
 * chain that cannot be had makes it unfit too (asked again because the
 * one kept did not sign it: the CRL is then vouched for by nothing).
 * CA_CRL_SOUND; CA_CRL_EARLY, CA_CRL_PARTIAL or CA_CRL_UNSIGNED, with
 * why.
 */
#define CA_CRL_SOUND	0
#define CA_CRL_EARLY	1
#define CA_CRL_UNSIGNED	2
#define CA_CRL_PARTIAL	3
static int
ca_crl_sound(const struct profile *prof, X509_CRL *crl, int need_chain,
    char *why, size_t whylen)
{
	STACK_OF(X509) *chain;
	time_t ahead = time(NULL) + CA_CRL_AHEAD;
	X509 *c;
	int i;

	if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &ahead) > 0) {
		snprintf(why, whylen, "its thisUpdate lies in the future");
		return CA_CRL_EARLY;
	}
	if (!util_crl_complete(crl, why, whylen))
		return CA_CRL_PARTIAL;
	if ((chain = cmp_ca_chain(prof, NULL, NULL)) == NULL) {
		if (!need_chain)
			return CA_CRL_SOUND;
		snprintf(why, whylen, "not signed by the chain kept, and the "
		    "chain cannot be had");
		return CA_CRL_UNSIGNED;
	}
	for (i = 0; i < sk_X509_num(chain); i++) {
		c = sk_X509_value(chain, i);
		if (X509_NAME_cmp(X509_get_subject_name(c),
		    X509_CRL_get_issuer(crl)) == 0 &&
		    X509_CRL_verify(crl, X509_get0_pubkey(c)) == 1)
			return CA_CRL_SOUND;
	}
	ERR_clear_error();
	snprintf(why, whylen, "it is not signed by a certificate of the CA's "
	    "chain");
	return CA_CRL_UNSIGNED;
}

/*
 * The one any worker stored under key (the CA's last to any of them), if
 * it is current, and later than the one e has, of its issuer; with
 * any_issuer (the CA could not be asked now) also one of another issuer:
 * another worker saw another CA behind the connector after this one
 * asked. A worker started since the CA gave it has none; one that has
 * one may have missed a later one. 1 if e then has a current CRL.
 */
static int
ca_crl_from_store(const struct profile *prof, struct ca_crl_entry *e,
    const char *key, int any_issuer)
{
	X509_CRL *crl;
	char why[80];
	int same;

	if ((crl = store_crl_get(key, ca_conf->connector_reply_max)) != NULL &&
	    !ca_crl_expired(crl) && ca_crl_sound(prof, crl, 0, why,
	    sizeof(why)) == CA_CRL_SOUND && (e->crl == NULL ||
	    ((same = X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_CRL_get_issuer(e->crl)) == 0) && ca_crl_later(crl, e->crl)) ||
	    (!same && any_issuer))) {
		X509_CRL_free(e->crl);
		e->crl = crl;
		crl = NULL;
	}
	X509_CRL_free(crl);
	return e->crl != NULL && !ca_crl_expired(e->crl);
}

/*
 * A current CRL the CA gave, into e, unless e has a current one of the
 * same issuer issued after it (a CA replica behind the others); stored
 * for the other workers when it is later than the one e had, or of
 * another issuer (another CA behind the connector now: its revocations
 * are the ones that count, whatever the times of the former's CRL). A
 * later one another worker stored is taken instead: a worker started
 * since, or whose entry was pushed out, would otherwise go back to the
 * replica's.
 */
static void
ca_crl_keep(const struct profile *prof, struct ca_crl_entry *e,
    const char *key, X509_CRL *crl)
{
	int other = e->crl != NULL &&
	    X509_NAME_cmp(X509_CRL_get_issuer(crl),
	    X509_CRL_get_issuer(e->crl)) != 0;
	int later = other || ca_crl_later(crl, e->crl);

	if (other)
		log_info("PN=%s: the CA's CRL has another issuer now; the "
		    "former issuer's is dropped", prof->cmp_name);
	else if (e->crl != NULL && !ca_crl_expired(e->crl) &&
	    ca_crl_later(e->crl, crl)) {
		X509_CRL_free(crl);
		return;
	}
	X509_CRL_free(e->crl);
	e->crl = crl;
	if (later && store_crl_put(key, crl) != DB_OK)
		log_warn("the CA's CRL could not be stored for the other "
		    "workers");
	(void)ca_crl_from_store(prof, e, key, 0);
}

/*
 * The CA's current CRL for prof's RA Profile (borrowed), or NULL; then
 * st (if not NULL) says why: the CA was only too slow (its call ran past
 * the CMP Profile's syncBudget), or its CRL is missing: the CA cannot be
 * asked for now or gave one past its nextUpdate, as opposed to a
 * connector that publishes none (or none is fetched). st->issuer names
 * the CA of the last CRL it gave (borrowed, valid until the next call).
 */
X509_CRL *
cmp_ca_crl(const struct profile *prof, struct ca_crl_state *st)
{
	struct ca_crl_entry *e = NULL, none;
	struct conn_target target;
	struct conn_result res;
	char key[sizeof(ca_crl_cache[0].key)], why[80];
	time_t now = time(NULL), age, wait;
	X509_CRL *crl = NULL;
	size_t i;
	int got, sound, unsound = 0;

	memset(&none, 0, sizeof(none));
	if (ca_conf->ca_crl_refresh == 0 || prof->connector_url[0] == '\0')
		return ca_crl_answer(&none, st);
	ca_key(prof, key);
	for (i = 0; i < CA_CRL_CACHE_MAX; i++)
		if (key[0] != '\0' && strcmp(ca_crl_cache[i].key, key) == 0) {
			e = &ca_crl_cache[i];
			age = now - e->at;
			wait = ca_conf->ca_crl_refresh;
			if (e->failed || e->stale) {
				if (wait > CA_CRL_RETRY_MAX)
					wait = CA_CRL_RETRY_MAX;
			} else if (e->crl == NULL || ca_crl_expired(e->crl))
				wait = 0;	/* it came due */
			if (age >= 0 && age < wait)
				return ca_crl_answer(e, st);
			break;
		}
	if (e == NULL) {
		e = &ca_crl_cache[ca_crl_next++ % CA_CRL_CACHE_MAX];
		X509_CRL_free(e->crl);
		memset(e, 0, sizeof(*e));
		snprintf(e->key, sizeof(e->key), "%s", key);
	}
	/* The budget spent by other calls: not asked now, too late. */
	if (ca_budget_left(prof) <= 0) {
		none = *e;
		none.failed = none.late = none.down = 1;
		return ca_crl_answer(&none, st);
	}
	cmp_ca_target(prof, 0, &target);
	target.timeout_ms = ca_budget_left(prof);
	e->failed = e->late = e->down = e->stale = 0;
	got = conn_crl(&target, &crl, &res) == 0 && res.status == CONN_OK;
	/* not signed by the CA's chain as this worker keeps it: the chain
	 * is asked for once more (another CA behind the connector now), and
	 * must then be had and sign it */
	if (got && ((sound = ca_crl_sound(prof, crl, 0, why,
	    sizeof(why))) == CA_CRL_EARLY || sound == CA_CRL_PARTIAL ||
	    (sound == CA_CRL_UNSIGNED &&
	    (!ca_chain_drop(prof) || ca_crl_sound(prof, crl, 1, why,
	    sizeof(why)) != CA_CRL_SOUND)))) {
		/* as a CA that cannot give one now: the one kept stays,
		 * and without one its signers wait (fail closed) */
		snprintf(res.message, sizeof(res.message), "the CRL it gave "
		    "is not taken: %s", why);
		res.status = CONN_FAILED;
		unsound = 1;
		got = 0;
	}
	if (!got) {
		e->failed = 1;
		e->late = cmp_ca_too_late(prof, &res);
		e->down = e->late || unsound ||
		    res.status == CONN_UNAVAILABLE || res.status == CONN_BUSY;
		(void)ca_crl_from_store(prof, e, key, 1);
		log_warn("PN=%s connector crl: %s (HTTP %ld): %s; %s",
		    prof->cmp_name, conn_status_name(res.status),
		    res.http_status, res.message,
		    e->crl != NULL && !ca_crl_expired(e->crl) ?
		    "signers checked with the CA's last CRL" :
		    e->crl != NULL || (e->down && !e->late) ?
		    "signers under the CA refused until it answers" :
		    "signers checked without the CA's CRL");
		X509_CRL_free(crl);
	} else if ((e->stale = ca_crl_expired(crl)) != 0 && e->crl != NULL &&
	    !ca_crl_expired(e->crl)) {
		/* the one kept is current still: it stays */
		log_warn("PN=%s: the CA's CRL is past its nextUpdate; its "
		    "last current one kept", prof->cmp_name);
		X509_CRL_free(crl);
	} else if (e->stale) {
		X509_CRL_free(e->crl);
		e->crl = crl;
		if (ca_crl_from_store(prof, e, key, 0))
			log_warn("PN=%s: the CA's CRL is past its nextUpdate; "
			    "the last current one stored kept",
			    prof->cmp_name);
		else
			log_warn("PN=%s: the CA's CRL is past its nextUpdate; "
			    "signers under the CA refused until it gives a "
			    "current one", prof->cmp_name);
	} else
		ca_crl_keep(prof, e, key, crl);
	conn_result_free(&res);
	/* after the call: a CA that timed out is not asked again at once */
	e->at = time(NULL);
	return ca_crl_answer(e, st);
}

/*
 * The issuing chain of the RA Profile's CA (extraCerts and caPubs of
 * answers, intermediates for request signers), per worker and authority,
 * kept for CA_CHAIN_TTL seconds: every ir needs it, and it rarely
 * changes. A few entries, as for the CRLs, so that workers serving
 * profiles in turn do not ask the connector every time. A failed fetch
 * is remembered for CA_CHAIN_RETRY seconds: one request asks once
 * (signer validation, then the answer), and a CA that is down costs one
 * call per worker and interval.
 */
#define CA_CHAIN_CACHE_MAX	8
#define CA_CHAIN_TTL		300
#define CA_CHAIN_RETRY		5
static struct ca_chain_entry {
	char	 key[CA_KEY_LEN];
	time_t	 at;
	STACK_OF(X509) *chain;	/* NULL: the last fetch failed */
	int	 late;		/* it failed: cut at the budget */
	int	 down;		/* it failed for now: late, unreachable, 5xx,
				 * busy */
} ca_chain_cache[CA_CHAIN_CACHE_MAX];
static unsigned int ca_chain_next;

/*
 * Forgets the chain kept for p's CA, so that the next cmp_ca_chain()
 * asks the connector. 1 if one was kept (fetched, or failed), 0 if not.
 */
static int
ca_chain_drop(const struct profile *p)
{
	char key[CA_KEY_LEN];
	size_t i;

	ca_key(p, key);
	for (i = 0; key[0] != '\0' && i < CA_CHAIN_CACHE_MAX; i++)
		if (strcmp(ca_chain_cache[i].key, key) == 0) {
			sk_X509_pop_free(ca_chain_cache[i].chain, X509_free);
			memset(&ca_chain_cache[i], 0,
			    sizeof(ca_chain_cache[i]));
			return 1;
		}
	return 0;
}

/*
 * The CA's chain for prof's RA Profile (borrowed), or NULL; *late as
 * for cmp_ca_crl(); *down (if not NULL): the CA could not give it for
 * now (too slow, unreachable, 5xx, busy), as opposed to a connector
 * that does not tell, or none configured.
 */
STACK_OF(X509) *
cmp_ca_chain(const struct profile *p, int *late, int *down)
{
	struct ca_chain_entry *e = NULL;
	struct conn_target target;
	struct conn_result res;
	char key[sizeof(ca_chain_cache[0].key)];
	time_t now = time(NULL), age;
	size_t i;

	if (late != NULL)
		*late = 0;
	if (down != NULL)
		*down = 0;
	if (p->connector_url[0] == '\0')
		return NULL;
	ca_key(p, key);
	for (i = 0; i < CA_CHAIN_CACHE_MAX; i++)
		if (key[0] != '\0' && strcmp(ca_chain_cache[i].key, key) == 0) {
			e = &ca_chain_cache[i];
			age = now - e->at;
			if (e->chain != NULL && age >= 0 && age < CA_CHAIN_TTL)
				return e->chain;
			if (e->chain == NULL && age >= 0 &&
			    age < CA_CHAIN_RETRY) {
				if (late != NULL)
					*late = e->late;
				if (down != NULL)
					*down = e->down;
				return NULL;
			}
			break;
		}
	if (ca_budget_left(p) <= 0) {
		if (late != NULL)
			*late = 1;
		if (down != NULL)
			*down = 1;
		return NULL;
	}
	if (e == NULL)
		e = &ca_chain_cache[ca_chain_next++ % CA_CHAIN_CACHE_MAX];
	memset(&res, 0, sizeof(res));
	cmp_ca_target(p, 0, &target);
	target.timeout_ms = ca_budget_left(p);
	e->late = e->down = 0;
	if (conn_ca_certificates(&target, &res) != 0 || res.status != CONN_OK) {
		e->late = cmp_ca_too_late(p, &res);
		e->down = e->late || res.status == CONN_UNAVAILABLE ||
		    res.status == CONN_BUSY;
		log_warn("PN=%s connector caCertificates: %s: %s; answers "
		    "without the issuing chain, signers with their own "
		    "extraCerts", p->cmp_name, conn_status_name(res.status),
		    res.message);
		sk_X509_pop_free(res.chain, X509_free);
		res.chain = NULL;
	}
	sk_X509_pop_free(e->chain, X509_free);
	e->chain = res.chain;
	res.chain = NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	/* after the call: a CA that timed out is not asked again at once */
	e->at = time(NULL);
	conn_result_free(&res);
	if (late != NULL)
		*late = e->late;
	if (down != NULL)
		*down = e->down;
	return e->chain;
}

void
cmp_ca_done(void)
{
	size_t i;

	for (i = 0; i < CA_CHAIN_CACHE_MAX; i++)
		sk_X509_pop_free(ca_chain_cache[i].chain, X509_free);
	memset(ca_chain_cache, 0, sizeof(ca_chain_cache));
	for (i = 0; i < CA_CRL_CACHE_MAX; i++)
		X509_CRL_free(ca_crl_cache[i].crl);
	memset(ca_crl_cache, 0, sizeof(ca_crl_cache));
}

