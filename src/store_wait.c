/*
 * What delayed delivery (RFC 9810 5.3.22, RFC 9483 4.4) keeps in MariaDB:
 * the rows of requests answered "waiting" (a certificate the CA has not
 * issued yet, an rr it has not revoked, a genm it has not answered, with
 * the InfoTypeAndValue asked for), so that any worker on any host can ask
 * the CA again when the client polls; and the row every rr writes before
 * its CA is asked, waiting for the CA's answer.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "store.h"

/*
 * Delayed delivery (RFC 9810 5.3.22): the row waits for the CA. sent: the
 * senderNonce of the answer that said so (the pollReq echoes it); the
 * client is told to ask again after check_after seconds and given up on
 * (the sweep asks the CA) after abandon seconds without a poll, and
 * CMPD_WAIT_LIFETIME after the transaction began whatever it does (DESIGN
 * invariant 5: a client that polls for ever does not keep its CA asked
 * for ever). From 'issuing' (the first answer, echoed NULL) or 'waiting'
 * (a pollRep) while it waits on echoed, the nonce the pollReq echoed: of
 * two pollReqs with the same nonce (a replay racing its original) only
 * the first moves it on (or sent, this answer's own, written before a
 * lost connection). DB_NOTFOUND: the row was settled meanwhile, or
 * answered another pollReq.
 */
int
store_tx_wait(const ASN1_OCTET_STRING *tid, int pos,
    const ASN1_OCTET_STRING *echoed, const ASN1_OCTET_STRING *sent,
    int check_after, int abandon, int implicit)
{
	/* Assignments run left to right: poll_count sees the old state. */
	static const char sql[] = "UPDATE cmp_transaction SET "
	    "poll_count = poll_count + (state = 'waiting'), "
	    "state = 'waiting', last_sender_nonce = ?, "
	    "next_check = NOW(6) + INTERVAL ? SECOND, "
	    "deadline = LEAST(NOW(6) + INTERVAL ? SECOND, "
	    "created_at + INTERVAL ? SECOND), implicit_confirm = ? "
	    "WHERE transaction_id = ? AND position = ? AND "
	    "(state = 'issuing' OR (state = 'waiting' AND "
	    "last_sender_nonce IN (?, ?)))";
	struct db_arg a[9] = { DB_ARG_OCTETS(sent), DB_ARG_INT(check_after),
	    DB_ARG_INT(abandon), DB_ARG_INT(CMPD_WAIT_LIFETIME),
	    DB_ARG_INT(implicit != 0), DB_ARG_OCTETS(tid), DB_ARG_INT(pos),
	    DB_ARG_NULL, DB_ARG_OCTETS(sent) };

	if (echoed != NULL) {
		struct db_arg e = DB_ARG_OCTETS(echoed);

		a[7] = e;
	}
	return store_run1(sql, a, NITEMS(a));
}

/*
 * A pollReq before the checkAfter it was told: the pollRep's senderNonce
 * is the one to echo now, and the client is alive (the deadline moves
 * on as in store_tx_wait); when to ask again and how often it asked stay.
 * Only while it waits on echoed (or sent), as in store_tx_wait.
 * DB_NOTFOUND: no longer waiting, or answered another pollReq.
 */
int
store_tx_poll_early(const ASN1_OCTET_STRING *tid, int pos,
    const ASN1_OCTET_STRING *echoed, const ASN1_OCTET_STRING *sent,
    int abandon)
{
	static const char sql[] = "UPDATE cmp_transaction SET "
	    "last_sender_nonce = ?, deadline = LEAST(NOW(6) + INTERVAL ? "
	    "SECOND, created_at + INTERVAL ? SECOND) "
	    "WHERE transaction_id = ? AND position = ? AND state = 'waiting' "
	    "AND last_sender_nonce IN (?, ?)";
	struct db_arg a[7] = { DB_ARG_OCTETS(sent), DB_ARG_INT(abandon),
	    DB_ARG_INT(CMPD_WAIT_LIFETIME), DB_ARG_OCTETS(tid),
	    DB_ARG_INT(pos), DB_ARG_NULL, DB_ARG_OCTETS(sent) };

	if (echoed != NULL) {
		struct db_arg e = DB_ARG_OCTETS(echoed);

		a[5] = e;
	}

	return store_run1(sql, a, NITEMS(a));
}

/*
 * A transaction of several requests waits on one nonce: the client echoes
 * the senderNonce of the last answer it was sent, whichever certReqId
 * that answer was about (RFC 9810 5.1.1; 5.3.22 polls for one request
 * after the ip, pollRep or pkiConf of another). After the answer that
 * moved row pos on (any row for pos -1), the transaction's other rows
 * that still wait for the client (a pollReq, a certConf) and waited on
 * echoed, the nonce that answer's request echoed, wait on sent (or did
 * already: the same run again after a lost COMMIT). In the database
 * transaction of that row's own write, so that of two requests that
 * echo the same nonce only the first moves any row on. DB_OK, also when
 * no other row waits.
 */
int
store_tx_nonce_rest(const ASN1_OCTET_STRING *tid, int pos,
    const ASN1_OCTET_STRING *echoed, const ASN1_OCTET_STRING *sent)
{
	static const char sql[] = "UPDATE cmp_transaction " STORE_TX_KEY
	    " SET last_sender_nonce = ? "
	    "WHERE transaction_id = ? AND position <> ? AND "
	    "state IN ('waiting', 'confirm_wait') AND "
	    "last_sender_nonce IN (?, ?)";
	struct db_arg a[5] = { DB_ARG_OCTETS(sent), DB_ARG_OCTETS(tid),
	    DB_ARG_INT(pos), DB_ARG_OCTETS(echoed), DB_ARG_OCTETS(sent) };

	return db_run(sql, a, NITEMS(a), NULL, 0, NULL);
}

/*
 * The client ended a transaction still waiting (its error message, RFC
 * 9810 5.3.21): the row is due for the sweep at once, as a client that
 * stopped polling is after abandon seconds (a certificate request is
 * looked up at the CA and what it issued revoked, an rr's revocation
 * stays owed, a genm expires). DB_NOTFOUND: no longer waiting.
 */
int
store_tx_abandon(const ASN1_OCTET_STRING *tid, int pos)
{
	static const char sql[] = "UPDATE cmp_transaction " STORE_TX_KEY
	    " SET deadline = NOW(6) - INTERVAL 1 SECOND "
	    "WHERE transaction_id = ? AND position = ? AND state = 'waiting'";
	struct db_arg a[2] = { DB_ARG_OCTETS(tid), DB_ARG_INT(pos) };

	return store_run1(sql, a, NITEMS(a));
}

/*
 * An rr begins, before anything is decided on it: its row, certReqId -1,
 * the certificate it names (cert_uuid, NULL for one the inventory does
 * not have), 'waiting' with its requester and without a senderNonce yet,
 * given up on by the sweep after due_s seconds (its worker died), makes
 * its transactionID single-use: an rr replayed, a year later or a second
 * later, is DB_DUP (transactionIdInUse).
 */
struct rr_begin_arg {
	const CMPD_MSG *req;
	const struct profile *p;
	const struct cmp_requester *who;
	const char *cert_uuid;
	int	 due_s;
	char	 request_id[CMPD_UUID_LEN + 1];
};

static int
store_rr_begin_run(void *arg)
{
	static const char sql[] = "INSERT INTO cmp_transaction "
	    "(transaction_id, position, cmp_profile_uuid, ra_profile_uuid, "
	    "request_type, cert_req_id, state, certificate_uuid, issuing_at, "
	    "request_id, requester_method, requester_cert_hash, "
	    "requester_kid, requester_device, next_check, deadline) VALUES "
	    "(?, 0, ?, ?, ?, -1, 'waiting', ?, NOW(6), ?, ?, ?, ?, ?, "
	    "NOW(6) + INTERVAL ? SECOND, NOW(6) + INTERVAL ? SECOND)";
	struct rr_begin_arg *x = arg;
	const ASN1_OCTET_STRING *tid = x->req->header->transactionID;
	struct db_arg none = DB_ARG_NULL;
	struct db_arg a[12] = {
		DB_ARG_OCTETS(tid),
		DB_ARG_STR(x->p->cmp_uuid),
		DB_ARG_STR(x->p->ra_uuid),
		DB_ARG_INT(CMPD_BODY_RR),
		DB_ARG_NULL,
		DB_ARG_STR(x->request_id),
		DB_ARG_STR(profile_prot_name(x->who->method)),
		DB_ARG_BLOB(x->who->cert_hash, 32),
		DB_ARG_BLOB(x->who->kid, x->who->kid_len),
		DB_ARG_STR(x->who->device),
		DB_ARG_INT(x->due_s),
		DB_ARG_INT(x->due_s),
	};
	int r;

	if (x->cert_uuid != NULL) {
		struct db_arg u = DB_ARG_STR(x->cert_uuid);

		a[4] = u;
	}
	if (x->who->method == PROT_SIGNATURE)
		a[8] = a[9] = none;
	else
		a[7] = none;
	r = db_run(sql, a, NITEMS(a), NULL, 0, NULL);
	/* this request's own row: an earlier run's COMMIT answer was lost */
	if (r == DB_DUP && store_tx_begun(tid, x->request_id) == DB_OK)
		return DB_OK;
	return r;
}

int
store_rr_begin(const CMPD_MSG *req, const struct profile *p,
    const struct cmp_requester *who, const char *cert_uuid, int due_s)
{
	struct rr_begin_arg x = { req, p, who, cert_uuid, due_s, "" };

	if (util_uuid4(x.request_id) != 0)
		return DB_ERR;
	return db_txn(store_rr_begin_run, &x);
}

/*
 * Delayed delivery of an rr (RFC 9810 5.3.22): the CA answered pending.
 * The rr's row (store_rr_begin) waits for the client's pollReq (sent: the
 * senderNonce it echoes), with its requester (cmp_requester_check). The
 * certificate, 'revoke_pending' with the client's reason since before
 * the call, is now due after abandon seconds: a client that stops
 * polling leaves the revocation to the sweep, as any other owed one.
 * DB_NOTFOUND: a sweep took it up meanwhile.
 */
struct rr_wait_arg {
	const struct db_arg *a, *c;
};

static int
store_rr_wait_run(void *arg)
{
	static const char sql_tx[] = "UPDATE cmp_transaction " STORE_TX_KEY
	    " SET last_sender_nonce = ?, next_check = NOW(6) + INTERVAL ? "
	    "SECOND, deadline = NOW(6) + INTERVAL ? SECOND "
	    "WHERE transaction_id = ? AND position = 0 AND state = 'waiting'";
	static const char sql_cert[] = "UPDATE certificate SET "
	    "revoke_after = NOW(6) + INTERVAL ? SECOND "
	    "WHERE uuid = ? AND status = 'revoke_pending' AND "
	    "revocation_reason = ? AND revoke_attempts = 0";
	const struct rr_wait_arg *x = arg;
	int r;

	if ((r = store_run1(sql_tx, x->a, 4)) != DB_OK)
		return r;
	return store_run1(sql_cert, x->c, 3);
}

int
store_rr_wait(const ASN1_OCTET_STRING *tid, const char *cert_uuid,
    const char *reason, const ASN1_OCTET_STRING *sent, int check_after,
    int abandon)
{
	struct db_arg a[4] = { DB_ARG_OCTETS(sent), DB_ARG_INT(check_after),
	    DB_ARG_INT(abandon), DB_ARG_OCTETS(tid) };
	struct db_arg c[3] = { DB_ARG_INT(abandon), DB_ARG_STR(cert_uuid),
	    DB_ARG_STR(reason) };
	struct rr_wait_arg x = { a, c };

	return db_txn(store_rr_wait_run, &x);
}

/*
 * DB_OK when transaction tid is an rr still waiting for the revocation of
 * certificate x (it may sign its own pollReq).
 */
int
store_tx_rr_waiting(const ASN1_OCTET_STRING *tid, X509 *x)
{
	static const char sql[] = "SELECT 1 FROM cmp_transaction t "
	    "JOIN certificate c ON c.uuid = t.certificate_uuid "
	    "WHERE t.transaction_id = ? AND t.request_type = ? AND "
	    "t.state = 'waiting' AND c.der = ?";
	unsigned char *der = NULL;
	struct db_col c[1];
	int n, r;

	if (tid == NULL || (n = i2d_X509(x, &der)) <= 0)
		return DB_ERR;
	memset(c, 0, sizeof(c));
	c[0].type = DB_INT;
	{
		struct db_arg a[3] = { DB_ARG_OCTETS(tid),
		    DB_ARG_INT(CMPD_BODY_RR), DB_ARG_BLOB(der, (size_t)n) };

		r = db_run(sql, a, 3, c, 1, NULL);
	}
	OPENSSL_free(der);
	return r;
}

/*
 * The genm req waits: one row, certReqId -1, state 'waiting', with its
 * requester (cmp_requester_check), the senderNonce sent (the pollReq
 * echoes it), the InfoTypeAndValue itav (DER) and when the client is
 * given up on (abandon seconds without a poll; the sweep expires it,
 * nothing is owed to anyone). DB_DUP: the transactionID is taken.
 */
int
store_genm_wait(const CMPD_MSG *req, const struct profile *p,
    const struct cmp_requester *who, const unsigned char *itav,
    size_t itav_len, const ASN1_OCTET_STRING *sent, int check_after,
    int abandon)
{
	static const char sql[] = "INSERT INTO cmp_transaction "
	    "(transaction_id, position, cmp_profile_uuid, ra_profile_uuid, "
	    "request_type, cert_req_id, state, requester_method, "
	    "requester_cert_hash, requester_kid, requester_device, "
	    "last_sender_nonce, next_check, deadline, genm_itav) VALUES "
	    "(?, 0, ?, ?, ?, -1, 'waiting', ?, ?, ?, ?, ?, "
	    "NOW(6) + INTERVAL ? SECOND, NOW(6) + INTERVAL ? SECOND, ?)";
	struct db_arg none = DB_ARG_NULL;
	struct db_arg a[12] = {
		DB_ARG_OCTETS(req->header->transactionID),
		DB_ARG_STR(p->cmp_uuid),
		DB_ARG_STR(p->ra_uuid),
		DB_ARG_INT(CMPD_BODY_GENM),
		DB_ARG_STR(profile_prot_name(who->method)),
		DB_ARG_BLOB(who->cert_hash, 32),
		DB_ARG_BLOB(who->kid, who->kid_len),
		DB_ARG_STR(who->device),
		DB_ARG_OCTETS(sent),
		DB_ARG_INT(check_after),
		DB_ARG_INT(abandon),
		DB_ARG_BLOB(itav, itav_len),
	};

	if (who->method == PROT_SIGNATURE)
		a[6] = a[7] = none;
	else
		a[5] = none;
	return db_run(sql, a, NITEMS(a), NULL, 0, NULL);
}

/*
 * The InfoTypeAndValue (DER, into buf of n bytes) of the waiting genm
 * of transaction tid. DB_NOTFOUND: no such genm waits.
 */
int
store_genm_itav(const ASN1_OCTET_STRING *tid, unsigned char *buf, size_t n,
    size_t *len)
{
	static const char sql[] = "SELECT genm_itav FROM cmp_transaction "
	    "WHERE transaction_id = ? AND position = 0 AND request_type = ? "
	    "AND state = 'waiting' AND genm_itav IS NOT NULL";
	struct db_arg a[2] = { DB_ARG_OCTETS(tid), DB_ARG_INT(CMPD_BODY_GENM) };
	struct db_col c[1];
	int r;

	memset(c, 0, sizeof(c));
	c[0].type = DB_BLOB, c[0].buf = buf, c[0].n = n;
	if ((r = db_run(sql, a, 2, c, 1, NULL)) != DB_OK)
		return r;
	if (c[0].null || c[0].err || c[0].len > n)
		return DB_ERR;
	*len = c[0].len;
	return DB_OK;
}
