/*
 * The sweep: certificates never confirmed in time, transactions a crash
 * left between the CA and the record, and revocations owed to a CA
 * (DESIGN invariant 1). Run by the workers now and then, and by
 * `cmpd --sweep`.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "conn.h"
#include "store.h"

/* The revocation reason for certificates the client did not accept. */
#define REASON_UNCONFIRMED	STORE_REASON_UNDELIVERED

#define SWEEP_BUDGET_MS		10000
/* Step 1's transactions per database transaction (a Galera writeset) */
#define EXPIRE_BATCH		1000

/*
 * The sweep, in three steps, each bounded by max items and one time
 * budget in all:
 * 1. certificates the client never confirmed within confirmWaitTime
 *    (RFC 9810 5.3.18) become 'revoke_pending', with their transaction
 *    'expired', in database transactions of EXPIRE_BATCH each
 *    (sweep_expire_run; one revoked meanwhile keeps its revocation),
 *    within the run's time budget; so do waiting rr transactions whose
 *    client stopped polling (their certificate is 'revoke_pending'
 *    already, revoked by step 3) and waiting genm ones (nothing owed);
 * 2. reconciliation (DESIGN invariant 1): transactions left 'issuing'
 *    longer than a connector call can take (a worker killed, MariaDB or
 *    the CA failing between the call and the record), and 'waiting' ones
 *    (delayed delivery) whose client stopped polling, are looked up at
 *    the CA by request id: what it issued is recorded as 'revoke_pending'
 *    (its client never got it; the transaction becomes 'expired'), a CA
 *    that issued nothing fails the transaction, a connector without the
 *    lookup leaves it 'unknown_at_ca' for an operator;
 * 3. every 'revoke_pending' certificate due is revoked at its CA; "already
 *    revoked" counts as done. A failed attempt is retried after a back-off
 *    (60 s doubling, at most 6 h), REVOKE_ATTEMPTS_MAX times; then the
 *    certificate stays 'revoke_pending', visible in the API and /metrics.
 * Any worker, or `cmpd --sweep`, may run it; the 'sweep' lease (a row of
 * cmpd_lease, schema/0017) makes it one at a time across hosts and
 * Galera nodes: a worker skips its turn, `cmpd --sweep` waits up to
 * lock_wait seconds (-1: as long as a lease lasts, so that the lease of a
 * sweeper killed has run out by then). The time budget counts from when
 * the lease is held. issuing_age -1 leaves 'issuing' transactions younger
 * than connector_timeout + CMPD_CALL_MARGIN to their workers; `cmpd
 * --sweep-now` (0) asks about all, and does not wait for back-offs
 * either: safe, since both sides settle only a transaction still
 * 'issuing', but a request in flight then fails. Returns the number
 * revoked, -1 on a database error or when the lease was not had.
 */
#define REVOKE_ATTEMPTS_MAX	20
#define LOOKUP_ATTEMPTS_MAX	20
#define BACKOFF_FIRST		60	/* seconds */
#define BACKOFF_MAX		21600
#define LEASE_POLL_MS		200	/* `cmpd --sweep` asks again */

/*
 * Takes the 'sweep' lease until the run's budget and one connector call
 * more are over: free, given up on (a sweeper that died), or ours. Two
 * takers at once on two Galera nodes: one commit fails certification and
 * its UPDATE runs again (db_run), finding the lease held. 1 taken, 0
 * held by another, -1 on a database error.
 *
 * A run that finished its work leaves the lease resting (no holder,
 * until sweep_interval later): every worker of every host tries each
 * sweep_interval, and the first after the rest sweeps, so the cluster
 * sweeps about once per sweep_interval, not once per worker. A resting
 * lease is taken at once when rest_ok (`cmpd --sweep`).
 */
static int
sweep_lease_take(const char *holder, int seconds, int rest_ok)
{
	static const char sql[] = "UPDATE cmpd_lease SET holder = ?, "
	    "until = NOW(6) + INTERVAL ? SECOND WHERE name = 'sweep' AND "
	    "(holder = ? OR until IS NULL OR until < NOW(6) OR "
	    "(holder = '' AND ?))";
	struct db_arg a[4] = { DB_ARG_STR(holder), DB_ARG_INT(seconds),
	    DB_ARG_STR(holder), DB_ARG_INT(rest_ok) };
	unsigned long long changed = 0;

	if (db_run(sql, a, NITEMS(a), NULL, 0, &changed) != DB_OK)
		return -1;
	return changed == 1;
}

/* Gives the lease back, resting for rest seconds (0: free at once). */
static void
sweep_lease_free(const char *holder, int rest)
{
	static const char sql[] = "UPDATE cmpd_lease SET holder = '', "
	    "until = IF(? > 0, NOW(6) + INTERVAL ? SECOND, NULL) "
	    "WHERE name = 'sweep' AND holder = ?";
	struct db_arg a[3] = { DB_ARG_INT(rest), DB_ARG_INT(rest),
	    DB_ARG_STR(holder) };

	(void)db_run(sql, a, NITEMS(a), NULL, 0, NULL);
}

/* The lease, waited for up to wait seconds (0: one try, not taken
 * while it rests). */
static int
sweep_lease(const char *holder, int seconds, int wait)
{
	static const struct timespec step = { 0, LEASE_POLL_MS * 1000000L };
	struct timespec start;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((r = sweep_lease_take(holder, seconds, wait > 0)) == 0 &&
	    util_elapsed_ms(&start) < wait * 1000L)
		nanosleep(&step, NULL);
	return r;
}

struct sweep_run {
	const struct conf *conf;
	struct sweep_stats *st;
	struct profile *p;
	struct timespec start;
	int	 max, done;
	int	 issuing_age;	/* seconds an 'issuing' call is left alone */
	/* `cmpd --sweep-now`: back-offs do not wait either; what this run
	 * tried already (updated since started) is not tried again */
	int	 now;
	char	 started[32];	/* NOW(6) at the start of the run */
	unsigned long long expired;	/* step 1: by the last batch */
};

/*
 * Step 1's certificates: those of transactions past their confirmation
 * deadline at the run's start become 'revoke_pending', unless revoked
 * meanwhile for good (the management API): that revocation and its
 * reason stand; one on hold (certificateHold, reversible) is revoked for
 * good as unconfirmed. Then the transactions expire. Two statements, one
 * database transaction, one cutoff: no transaction expires without its
 * certificate's fate settled. At most EXPIRE_BATCH transactions (more
 * only where deadlines tie to the microsecond): the cutoff is the
 * deadline of the EXPIRE_BATCH-th overdue one when there are more,
 * else the run's start. With none overdue (the common case) no UPDATE
 * runs: its range would lock the index entry of the next transaction
 * waiting for its certConf, which that certConf's UPDATE needs.
 */
static int
sweep_expire_run(void *arg)
{
	static const char sql_cut[] = "SELECT CAST(deadline AS CHAR) "
	    "FROM cmp_transaction WHERE state = 'confirm_wait' AND "
	    "deadline < ? ORDER BY deadline LIMIT 1 OFFSET ?";
	static const char sql_cert[] = "UPDATE certificate c "
	    "JOIN cmp_transaction t ON t.certificate_uuid = c.uuid "
	    "SET c.status = 'revoke_pending', c.revoke_final = 'revoked', "
	    "c.revocation_reason = ?, c.revoke_after = NOW(6) "
	    "WHERE t.state = 'confirm_wait' AND t.deadline <= ? "
	    "AND (c.status = 'issued' OR "
	    "c.revocation_reason = 'certificateHold')";
	static const char sql_tx[] = "UPDATE cmp_transaction t "
	    "JOIN certificate c ON c.uuid = t.certificate_uuid "
	    "SET t.state = 'expired' "
	    "WHERE t.state = 'confirm_wait' AND t.deadline <= ?";
	struct sweep_run *w = arg;
	struct db_arg ca[2] = { DB_ARG_STR(w->started), DB_ARG_INT(0) };
	char cut[sizeof(w->started)];
	struct db_arg a[2];
	struct db_col c;
	int r;

	memset(&c, 0, sizeof(c));
	c.type = DB_STR, c.buf = cut, c.n = sizeof(cut);
	w->expired = 0;
	if ((r = db_run(sql_cut, ca, NITEMS(ca), &c, 1, NULL)) != DB_OK)
		return r == DB_NOTFOUND ? DB_OK : r;	/* none overdue */
	ca[1] = (struct db_arg)DB_ARG_INT(EXPIRE_BATCH - 1);
	r = db_run(sql_cut, ca, NITEMS(ca), &c, 1, NULL);
	if (r == DB_NOTFOUND)
		snprintf(cut, sizeof(cut), "%s", w->started);
	else if (r != DB_OK)
		return r;
	a[0] = (struct db_arg)DB_ARG_STR(REASON_UNCONFIRMED);
	a[1] = (struct db_arg)DB_ARG_STR(cut);
	if (db_run(sql_cert, a, 2, NULL, 0, NULL) != DB_OK ||
	    db_run(sql_tx, a + 1, 1, NULL, 0, &w->expired) != DB_OK)
		return DB_ERR;
	return DB_OK;
}

/* Step 1, batch after batch, within the run's time budget. */
static int
sweep_expire(struct sweep_run *w)
{
	do {
		if (db_txn(sweep_expire_run, w) != DB_OK)
			return DB_ERR;
		if (w->expired > 0)
			log_info("sweep: %llu transaction%s past confirmWaitTime "
			    "expired, their certificates to be revoked",
			    w->expired, w->expired == 1 ? "" : "s");
	} while (w->expired >= EXPIRE_BATCH &&
	    util_elapsed_ms(&w->start) < SWEEP_BUDGET_MS);
	return DB_OK;
}

static int
sweep_more(const struct sweep_run *w)
{
	return w->done < w->max &&
	    util_elapsed_ms(&w->start) < SWEEP_BUDGET_MS;
}

/* Settles a transaction the CA cannot tell about: an operator must. */
static void
sweep_unknown(const unsigned char *tid, size_t tid_len, int pos,
    const char *rid, const char *why, struct sweep_run *w)
{
	char hex[2 * CMPD_ID_MAX_LEN + 1];

	util_hex(tid, tid_len, hex, sizeof(hex));
	if (store_tx_settle(tid, tid_len, pos, "unknown_at_ca") != DB_OK)
		return;
	log_error("sweep: transaction %s (requestId=%s): %s; the CA may have "
	    "issued a certificate cmpd does not know: state unknown_at_ca, "
	    "check the CA", hex, rid[0] != '\0' ? rid : "none", why);
	metrics_reconcile(METRICS_RECON_UNKNOWN);
	w->st->unknown++;
}

/* The CA's certificate for a transaction: recorded (and revoked below). */
static void
sweep_record(const unsigned char *tid, size_t tid_len, int pos,
    const char *rid,
    const unsigned char *spki, X509 *cert, const char *conn_uuid,
    const char *ra, const char *cmp, struct sweep_run *w)
{
	struct conn_target target;
	struct conn_result res;
	char cert_uuid[CMPD_UUID_LEN + 1], serial[80];
	int r;

	memset(&res, 0, sizeof(res));
	cmp_enroll_serial(cert, serial, sizeof(serial));
	if (spki != NULL &&
	    store_tx_cert_has_key(tid, tid_len, pos, spki, cert) == 0)
		log_warn("sweep: certificate %s of requestId=%s has another "
		    "public key than the request; recorded and revoked all "
		    "the same", serial, rid);
	r = i2d_X509(cert, NULL) > STORE_CERT_MAX ? STORE_TOO_LONG :
	    store_reconciled(tid, tid_len, pos, cert, ra, cmp, conn_uuid,
	    cert_uuid);
	if (r == STORE_TOO_LONG) {
		/* Too large for the inventory (its DER, or an issuer or
		 * subject longer than the columns), so never recorded:
		 * revoked, then forgotten. */
		cmp_ca_target(w->p, 1, &target);
		if (conn_revoke(&target, cert, REASON_UNCONFIRMED, &res) == 0 &&
		    res.status == CONN_OK &&
		    store_tx_settle(tid, tid_len, pos, "failed") == DB_OK) {
			(void)store_tx_failure(tid, tid_len, pos, "the "
			    "certificate was too large to keep, so it was not "
			    "delivered; revoked at the CA");
			log_info("sweep: certificate %s of requestId=%s was "
			    "never delivered: revoked", serial, rid);
			metrics_reconcile(METRICS_RECON_RECORDED);
			w->st->recorded++;
		} else {
			metrics_reconcile(METRICS_RECON_RETRY);
			w->st->retry++;
		}
		conn_result_free(&res);
		return;
	}
	if (r == DB_OK) {
		log_info("sweep: certificate %s of requestId=%s was never "
		    "delivered: recorded as revoke_pending", serial, rid);
		metrics_reconcile(METRICS_RECON_RECORDED);
		w->st->recorded++;
	} else if (r != DB_NOTFOUND) {
		metrics_reconcile(METRICS_RECON_RETRY);
		w->st->retry++;
	}
}

/* Step 2: one certificate of a transaction left 'issuing' (or 'open'
 * from before): each has its own row and request id. */
static int
sweep_reconcile_one(struct sweep_run *w)
{
	static const char sql_due[] = "SELECT transaction_id, "
	    "COALESCE(request_id, ''), COALESCE(ra_profile_uuid, ''), "
	    "COALESCE(cmp_profile_uuid, ''), request_spki_sha256, "
	    "lookup_attempts, position, "
	    "COALESCE(issuing_at, created_at) < NOW(6) - INTERVAL ? SECOND "
	    "FROM cmp_transaction "
	    "WHERE ((state IN ('issuing', 'open') AND "
	    "COALESCE(issuing_at, created_at) < NOW(6) - INTERVAL ? SECOND) "
	    "OR (state = 'waiting' AND (deadline < NOW(6) OR ?))) "
	    "AND (lookup_after IS NULL OR lookup_after < NOW(6) OR "
	    "(? AND updated_at < ?)) "
	    "AND request_type NOT IN (?, ?) "
	    "ORDER BY COALESCE(issuing_at, created_at) LIMIT 1";
	/* Assignments run left to right: the back-off uses the attempts
	 * before this one. */
	/* Claimed only while still due as it was found: a worker that is
	 * about to send a transaction's next request makes its row young
	 * first (store_tx_reissue), and sends it only unclaimed; a pollReq
	 * moves a waiting row's deadline. */
	static const char sql_claim[] = "UPDATE cmp_transaction SET "
	    "lookup_after = NOW(6) + INTERVAL LEAST(? * POW(2, "
	    "LEAST(lookup_attempts, 20)), ?) SECOND, "
	    "lookup_attempts = lookup_attempts + 1 "
	    "WHERE transaction_id = ? AND position = ? AND "
	    "((state IN ('issuing', 'open') AND "
	    "COALESCE(issuing_at, created_at) < NOW(6) - INTERVAL ? SECOND) "
	    "OR (state = 'waiting' AND (deadline < NOW(6) OR ?))) AND "
	    "(lookup_after IS NULL OR "
	    "lookup_after < NOW(6) OR "
	    "(? AND updated_at < ?))";
	unsigned char tid[CMPD_ID_MAX_LEN], spki[32];
	char rid[CMPD_UUID_LEN + 1], ra[CMPD_UUID_LEN + 1];
	char cmp[CMPD_UUID_LEN + 1];
	/* A waiting rr or genm has no lookup: its revocation is owed, its
	 * answer is no one's (step 1). */
	struct db_arg da[7] = { DB_ARG_INT(w->issuing_age),
	    DB_ARG_INT(w->issuing_age), DB_ARG_INT(w->now),
	    DB_ARG_INT(w->now), DB_ARG_STR(w->started),
	    DB_ARG_INT(CMPD_BODY_RR), DB_ARG_INT(CMPD_BODY_GENM) };
	struct conn_target target;
	struct conn_result res;
	unsigned long long changed = 0;
	struct db_col c[8];
	size_t tid_len;
	int r, pos;

	memset(c, 0, sizeof(c));
	c[0].type = DB_BLOB, c[0].buf = tid, c[0].n = sizeof(tid);
	c[1].type = DB_STR, c[1].buf = rid, c[1].n = sizeof(rid);
	c[2].type = DB_STR, c[2].buf = ra, c[2].n = sizeof(ra);
	c[3].type = DB_STR, c[3].buf = cmp, c[3].n = sizeof(cmp);
	c[4].type = DB_BLOB, c[4].buf = spki, c[4].n = sizeof(spki);
	c[5].type = DB_INT;
	c[6].type = DB_INT;
	c[7].type = DB_INT;
	if ((r = db_run(sql_due, da, NITEMS(da), c, NITEMS(c), NULL)) !=
	    DB_OK)
		return r;
	w->done++;
	tid_len = c[0].len;
	pos = (int)c[6].i;
	{
		struct db_arg a[8] = { DB_ARG_INT(BACKOFF_FIRST),
		    DB_ARG_INT(BACKOFF_MAX), DB_ARG_BLOB(tid, tid_len),
		    DB_ARG_INT(pos), DB_ARG_INT(w->issuing_age),
		    DB_ARG_INT(w->now), DB_ARG_INT(w->now),
		    DB_ARG_STR(w->started) };

		if (db_run(sql_claim, a, NITEMS(a), NULL, 0, &changed) !=
		    DB_OK)
			return DB_ERR;
	}
	if (changed != 1)
		return DB_OK;	/* another sweeper was first */
	if (rid[0] == '\0') {
		sweep_unknown(tid, tid_len, pos, rid, "no request id (a "
		    "transaction of an earlier version)", w);
		return DB_OK;
	}
	memset(&res, 0, sizeof(res));
	if (ra[0] == '\0' || profile_load_connector(ra, cmp, w->p) != DB_OK) {
		log_error("sweep: no connector to ask about requestId=%s; "
		    "asked again later", rid);
		res.status = CONN_FAILED;
	} else {
		cmp_ca_target(w->p, 0, &target);
		/* c[7]: past issuing_age, "nothing" settles it (below) */
		conn_lookup(&target, rid, c[7].i != 0, &res);
	}
	if (res.status == CONN_NOT_FOUND)
		sweep_unknown(tid, tid_len, pos, rid, "the connector has no "
		    "certificate lookup", w);
	else if (res.status == CONN_OK && res.certificate != NULL)
		sweep_record(tid, tid_len, pos, rid, c[4].null || c[4].len != 32 ?
		    NULL : spki, res.certificate, res.uuid, ra, cmp, w);
	else if (res.status == CONN_OK && c[7].i == 0) {
		/* A waiting row whose issue call, cut at syncBudget, may
		 * still run at the CA (its client gave up early, or ended
		 * the request): its lookup says "nothing" until then, and
		 * settling it failed would leave what the CA issues next
		 * to no one. Asked again after the back-off. */
		log_info("sweep: nothing issued yet for requestId=%s, whose "
		    "call may still run at the CA: asked again later", rid);
		metrics_reconcile(METRICS_RECON_RETRY);
		w->st->retry++;
	} else if (res.status == CONN_OK) {
		if (store_tx_settle(tid, tid_len, pos, "failed") == DB_OK) {
			(void)store_tx_failure(tid, tid_len, pos, "the "
			    "certificate authority issued nothing (found by the "
			    "sweep)");
			log_info("sweep: the CA issued nothing for requestId=%s: "
			    "transaction failed", rid);
			metrics_reconcile(METRICS_RECON_NOTHING);
			w->st->nothing++;
		}
	} else if (c[5].i + 1 >= LOOKUP_ATTEMPTS_MAX)
		sweep_unknown(tid, tid_len, pos, rid, res.status ==
		    CONN_PENDING ? "still pending at the CA" : res.message, w);
	else if (res.status == CONN_PENDING) {
		log_info("sweep: requestId=%s is still pending at the CA; "
		    "asked again later", rid);
		metrics_reconcile(METRICS_RECON_RETRY);
		w->st->retry++;
	}
	else {
		log_warn("sweep: asking the CA about requestId=%s failed: %s; "
		    "asked again later", rid, res.message);
		metrics_reconcile(METRICS_RECON_RETRY);
		w->st->retry++;
	}
	conn_result_free(&res);
	profile_clear(w->p);
	return DB_OK;
}

/* Step 3: one 'revoke_pending' certificate due. */
static int
sweep_revoke_one(struct sweep_run *w)
{
	static const char sql_due[] = "SELECT c.uuid, c.der, "
	    "COALESCE(c.ra_profile_uuid, ''), COALESCE(c.cmp_profile_uuid, ''), "
	    "c.revocation_reason, c.revoke_attempts "
	    "FROM certificate c WHERE c.status = 'revoke_pending' AND "
	    "(c.revoke_after < NOW(6) OR (? AND c.updated_at < ?)) AND "
	    "c.revoke_attempts < ? "
	    "ORDER BY c.revoke_after LIMIT 1";
	/* Assignments run left to right: the back-off uses the attempts
	 * before this one. */
	static const char sql_claim[] = "UPDATE certificate SET "
	    "revoke_after = NOW(6) + INTERVAL LEAST(? * POW(2, "
	    "LEAST(revoke_attempts, 20)), ?) SECOND, "
	    "revoke_attempts = revoke_attempts + 1 "
	    "WHERE uuid = ? AND status = 'revoke_pending' AND "
	    "(revoke_after < NOW(6) OR (? AND updated_at < ?))";
	static unsigned char der[STORE_CERT_MAX];
	char ra[CMPD_UUID_LEN + 1], cert_uuid[CMPD_UUID_LEN + 1];
	char cmp[CMPD_UUID_LEN + 1], reason[33];
	struct db_arg da[3] = { DB_ARG_INT(w->now), DB_ARG_STR(w->started),
	    DB_ARG_INT(REVOKE_ATTEMPTS_MAX) };
	struct conn_target target;
	struct conn_result res;
	unsigned long long changed = 0;
	const unsigned char *q;
	struct db_col c[6];
	X509 *cert = NULL;
	int r, last;

	memset(c, 0, sizeof(c));
	c[0].type = DB_STR, c[0].buf = cert_uuid, c[0].n = sizeof(cert_uuid);
	c[1].type = DB_BLOB, c[1].buf = der, c[1].n = sizeof(der);
	c[2].type = DB_STR, c[2].buf = ra, c[2].n = sizeof(ra);
	c[3].type = DB_STR, c[3].buf = cmp, c[3].n = sizeof(cmp);
	c[4].type = DB_STR, c[4].buf = reason, c[4].n = sizeof(reason);
	c[5].type = DB_INT;
	if ((r = db_run(sql_due, da, NITEMS(da), c, NITEMS(c), NULL)) !=
	    DB_OK)
		return r;
	w->done++;
	last = c[5].i + 1 >= REVOKE_ATTEMPTS_MAX;
	{
		struct db_arg a[5] = { DB_ARG_INT(BACKOFF_FIRST),
		    DB_ARG_INT(BACKOFF_MAX), DB_ARG_STR(cert_uuid),
		    DB_ARG_INT(w->now), DB_ARG_STR(w->started) };

		if (db_run(sql_claim, a, NITEMS(a), NULL, 0, &changed) !=
		    DB_OK)
			return DB_ERR;
	}
	if (changed != 1)
		return DB_OK;	/* another sweeper was first */
	memset(&res, 0, sizeof(res));
	q = der;
	if ((cert = d2i_X509(NULL, &q, (long)c[1].len)) == NULL ||
	    ra[0] == '\0' || profile_load_connector(ra, cmp, w->p) != DB_OK) {
		snprintf(res.message, sizeof(res.message), "no connector to "
		    "revoke it through");
		res.status = CONN_FAILED;
	} else {
		cmp_ca_target(w->p, 1, &target);
		conn_revoke(&target, cert, reason[0] != '\0' ? reason :
		    REASON_UNCONFIRMED, &res);
		/* 202: the CA revokes later; asked again like a failure */
		if (res.status == CONN_PENDING)
			snprintf(res.message, sizeof(res.message),
			    "revocation pending at the CA");
	}
	if (res.status == CONN_OK) {
		if (store_revoke_result(cert_uuid, reason, NULL) == DB_OK) {
			log_info("sweep: certificate %s revoked%s", cert_uuid,
			    res.already_revoked ? " (it was already)" : "");
			w->st->revoked++;
		}
		metrics_revocation(res.already_revoked ? METRICS_REV_ALREADY :
		    METRICS_REV_REVOKED);
	} else {
		store_revoke_result(cert_uuid, reason, res.message);
		w->st->revoke_failed++;
		if (last) {
			log_error("sweep: revoking certificate %s failed %d "
			    "times, last: %s; it stays revoke_pending", cert_uuid,
			    REVOKE_ATTEMPTS_MAX, res.message);
			metrics_revocation(METRICS_REV_GAVE_UP);
		} else {
			log_error("sweep: revoking certificate %s failed: %s; "
			    "retried later", cert_uuid, res.message);
			metrics_revocation(METRICS_REV_FAILED);
		}
	}
	X509_free(cert);
	conn_result_free(&res);
	profile_clear(w->p);
	return DB_OK;
}

/*
 * Step 1 for rr and genm: those still waiting past their deadline expire
 * (a revocation stays owed, an answer is no one's). The UPDATE runs only
 * when one is due, as step 1's: its range would lock the index entry
 * after the last waiting one, the oldest transaction waiting for its
 * certConf.
 */
static int
sweep_rr_expire(const struct sweep_run *w)
{
	static const char sql_due[] = "SELECT 1 FROM cmp_transaction "
	    "WHERE state = 'waiting' AND request_type IN (?, ?) "
	    "AND (deadline < NOW(6) OR ?) LIMIT 1";
	static const char sql_expire[] = "UPDATE cmp_transaction SET "
	    "state = 'expired' WHERE state = 'waiting' AND "
	    "request_type IN (?, ?) "
	    "AND (deadline < NOW(6) OR ?) ORDER BY deadline LIMIT ?";
	struct db_arg a[4] = { DB_ARG_INT(CMPD_BODY_RR),
	    DB_ARG_INT(CMPD_BODY_GENM), DB_ARG_INT(w->now),
	    DB_ARG_INT(EXPIRE_BATCH) };
	struct db_col c;
	int r;

	memset(&c, 0, sizeof(c));
	c.type = DB_INT;
	if ((r = db_run(sql_due, a, 3, &c, 1, NULL)) != DB_OK)
		return r == DB_NOTFOUND ? DB_OK : r;
	return db_run(sql_expire, a, NITEMS(a), NULL, 0, NULL);
}

int
cmp_sweep(const struct conf *conf, int max, int lock_wait, int issuing_age,
    struct sweep_stats *stats)
{
	static const char sql_backlog[] = "SELECT "
	    "(SELECT COUNT(*) FROM certificate WHERE status = 'revoke_pending'), "
	    "(SELECT COUNT(*) FROM cmp_transaction WHERE state = 'issuing'), "
	    "(SELECT COUNT(*) FROM cmp_transaction WHERE state = "
	    "'unknown_at_ca'), "
	    "(SELECT COUNT(*) FROM cmp_transaction WHERE state = 'waiting')";
	static const char sql_now[] = "SELECT CAST(NOW(6) AS CHAR)";
	struct db_col bc[4], sc;
	char holder[DB_LEASE_HOLDER_MAX];
	struct sweep_stats own;
	struct sweep_run w;
	int lease, r, rest = 0;

	memset(&w, 0, sizeof(w));
	memset(&own, 0, sizeof(own));
	w.conf = conf;
	w.issuing_age = issuing_age >= 0 ? issuing_age :
	    conf->connector_timeout + CMPD_CALL_MARGIN;
	w.now = issuing_age == 0;
	w.st = stats != NULL ? stats : &own;
	w.max = max;
	memset(w.st, 0, sizeof(*w.st));
	/* Busy refusals must not use up revocation attempts: no place
	 * among connector_workers_max, no sweep this time. */
	if (metrics_conn_enter() != 0)
		return 0;
	/* One sweeper at a time, across workers, hosts and nodes. */
	db_lease_holder(holder, sizeof(holder));
	lease = SWEEP_BUDGET_MS / 1000 + conf->connector_timeout +
	    CMPD_CALL_MARGIN;
	if (lock_wait < 0)
		lock_wait = lease + 1;
	if ((r = sweep_lease(holder, lease, lock_wait)) != 1) {
		metrics_conn_leave();	/* another sweeper is at work */
		return r < 0 || lock_wait > 0 ? -1 : 0;
	}
	metrics_sweep_run();
	/* The budget counts from here: a run that waited for the lease (a
	 * sweeper killed while holding it keeps it until it runs out) has
	 * all of its time still. */
	clock_gettime(CLOCK_MONOTONIC, &w.start);
	memset(&sc, 0, sizeof(sc));
	sc.type = DB_STR, sc.buf = w.started, sc.n = sizeof(w.started);
	if (db_run(sql_now, NULL, 0, &sc, 1, NULL) != DB_OK)
		goto err;
	if ((w.p = calloc(1, sizeof(*w.p))) == NULL)
		goto err;
	if (sweep_expire(&w) != DB_OK || sweep_rr_expire(&w) != DB_OK)
		goto err;
	/* A time budget: a slow connector must not hold a worker long. */
	while (sweep_more(&w) && (r = sweep_reconcile_one(&w)) != DB_NOTFOUND)
		if (r != DB_OK)
			goto err;
	while (sweep_more(&w) && (r = sweep_revoke_one(&w)) != DB_NOTFOUND)
		if (r != DB_OK)
			goto err;
	if (!sweep_more(&w))
		log_info("sweep: stopped at its limits after %d items and "
		    "%.0f ms; anything left waits for the next run", w.done,
		    util_elapsed_ms(&w.start));
	else
		rest = conf->sweep_interval;	/* done: the next run later */
	memset(bc, 0, sizeof(bc));
	bc[0].type = bc[1].type = bc[2].type = bc[3].type = DB_INT;
	if (db_run(sql_backlog, NULL, 0, bc, NITEMS(bc), NULL) == DB_OK) {
		metrics_backlog(bc[0].i, bc[1].i, bc[2].i, bc[3].i);
		w.st->left_known = 1;
		w.st->left_revoke = bc[0].i;
		w.st->left_issuing = bc[1].i;
		w.st->left_unknown = bc[2].i;
		w.st->left_waiting = bc[3].i;
	}
	r = w.st->revoked;
	goto out;
 err:
	r = -1;
 out:
	sweep_lease_free(holder, rest);
	metrics_conn_leave();
	if (w.p != NULL)
		profile_clear(w.p);
	free(w.p);
	return r;
}
