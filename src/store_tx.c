/*
 * A CMP transaction's rows in MariaDB: one per certificate asked for,
 * keyed by transactionID and position, so that a replay or a second
 * worker cannot start it twice. Begun before the CA is asked (DESIGN
 * invariant 1), moved through its states, read back for a certConf or a
 * pollReq, closed by the certConf. The certificates are store.c's;
 * delayed delivery is store_wait.c's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "store.h"

struct tx_begin_arg {
	const CMPD_MSG *req;
	const struct profile *p;
	const unsigned char *digest;
	const struct store_req *rq;
	size_t	 n;
	const struct cmp_requester *who;
	int	 runs;		/* of store_tx_begin_run */
};

/* Our own rows, committed by a run whose COMMIT answer was lost: position
 * 0 carries the request id this request drew at random. */
int
store_tx_begun(const ASN1_OCTET_STRING *tid, const char *request_id)
{
	static const char sql[] = "SELECT 1 FROM cmp_transaction "
	    "WHERE transaction_id = ? AND position = 0 AND request_id = ?";
	struct db_arg a[2] = { DB_ARG_OCTETS(tid), DB_ARG_STR(request_id) };
	struct db_col c[1];

	memset(c, 0, sizeof(c));
	c[0].type = DB_INT;
	return db_run(sql, a, NITEMS(a), c, 1, NULL);
}

/*
 * Before a run again: is the transactionID taken (DB_DUP), by this
 * request's own earlier commit (DB_OK), or free (DB_NOTFOUND)? On Galera
 * two nodes may each insert it and one fails at COMMIT (a deadlock);
 * this read, causal (wsrep_sync_wait), sees the other node's row, so the
 * loser answers transactionIdInUse rather than insert and lose again.
 */
static int
store_tx_taken(const ASN1_OCTET_STRING *tid, const char *request_id)
{
	static const char sql[] = "SELECT request_id = ? FROM cmp_transaction "
	    "WHERE transaction_id = ? AND position = 0";
	struct db_arg a[2] = { DB_ARG_STR(request_id), DB_ARG_OCTETS(tid) };
	struct db_col c[1];
	int r;

	memset(c, 0, sizeof(c));
	c[0].type = DB_INT;
	if ((r = db_run(sql, a, NITEMS(a), c, 1, NULL)) != DB_OK)
		return r;
	return !c[0].null && c[0].i == 1 ? DB_OK : DB_DUP;
}

static int
store_tx_begin_run(void *arg)
{
	static const char sql[] = "INSERT INTO cmp_transaction "
	    "(transaction_id, position, cmp_profile_uuid, ra_profile_uuid, "
	    "request_type, cert_req_id, request_digest, state, request_id, "
	    "request_spki_sha256, request_spki, issuing_at, requester_method, "
	    "requester_cert_hash, requester_kid, requester_device, tx_rows, "
	    "ra_authority) VALUES (?, ?, ?, ?, ?, ?, ?, 'issuing', ?, ?, ?, "
	    "NOW(6), ?, ?, ?, ?, ?, ?)";
	struct tx_begin_arg *x = arg;
	const struct store_req *rq = x->rq;
	const struct cmp_requester *who = x->who;
	struct db_arg none = DB_ARG_NULL;
	int sig = who->method == PROT_SIGNATURE, r;
	size_t i;

	if (x->runs++ > 0 && (r = store_tx_taken(x->req->header->transactionID,
	    rq[0].request_id)) != DB_NOTFOUND)
		return r;
	for (i = 0; i < x->n; i++) {
		struct db_arg a[16] = {
			DB_ARG_OCTETS(x->req->header->transactionID),
			DB_ARG_INT((long long)i),
			DB_ARG_STR(x->p->cmp_uuid),
			DB_ARG_STR(x->p->ra_uuid),
			DB_ARG_INT(cmp_msg_body_type(x->req)),
			DB_ARG_INT(rq[i].cert_req_id),
			DB_ARG_BLOB(x->digest, 32),
			DB_ARG_STR(rq[i].request_id),
			DB_ARG_NULL,
			DB_ARG_NULL,
			DB_ARG_STR(profile_prot_name(who->method)),
			DB_ARG_BLOB(who->cert_hash, 32),
			DB_ARG_BLOB(who->kid, who->kid_len),
			DB_ARG_STR(who->device),
			DB_ARG_INT((long long)x->n),
			DB_ARG_INT(who->ra),
		};

		if (rq[i].has_spki) {
			struct db_arg k = DB_ARG_BLOB(rq[i].spki, 32);

			a[8] = k;
		}
		if (rq[i].spki_der != NULL &&
		    rq[i].spki_len <= STORE_SPKI_MAX) {
			struct db_arg k = DB_ARG_BLOB(rq[i].spki_der,
			    rq[i].spki_len);

			a[9] = k;
		}
		if (!sig)
			a[11] = none;
		else
			a[12] = a[13] = none;
		r = db_run(sql, a, NITEMS(a), NULL, 0, NULL);
		/* A duplicate transactionID stays one (transactionIdInUse)
		 * unless the rows are this request's own. */
		if (r == DB_DUP && i == 0 && store_tx_begun(
		    x->req->header->transactionID, rq[0].request_id) == DB_OK)
			return DB_OK;
		if (r != DB_OK)
			return r;
	}
	return DB_OK;
}

/*
 * Opens the transaction: one row per certificate about to be asked of the
 * CA (rq[0..n-1], positions 0..n-1), in state 'issuing', each with its
 * request_id (sent with its call), the SHA-256 of its public key, the
 * time of the call and n (tx_rows: store_confirm_one). All rows in one
 * database transaction (a single row in autocommit), committed before
 * the first call (DESIGN invariant 1).
 * who: the requester, whom follow-up messages must come from. DB_DUP
 * when its transactionID was used before (every transaction has a
 * position 0).
 */
int
store_tx_begin(const CMPD_MSG *req, const struct profile *p,
    const unsigned char digest[32], const struct store_req *rq, size_t n,
    const struct cmp_requester *who)
{
	struct tx_begin_arg x = { req, p, digest, rq, n, who, 0 };

	/* one row: one INSERT that commits by itself */
	return n == 1 ? db_txn1(store_tx_begin_run, &x) :
	    db_txn(store_tx_begin_run, &x);
}

/*
 * The CA is about to be asked for row pos of a transaction whose earlier
 * rows it was asked for first, one after another: the row's issuing_at
 * becomes now, so that the sweep and a pollReq count the call's age from
 * when it is made, not from when the transaction began (DESIGN invariant
 * 1: a row asked about at the CA before its own call is found "nothing
 * issued" and settled). DB_NOTFOUND: settled, or taken up by a sweep
 * that is asking the CA about it (cmp_sweep.c claims only rows still
 * old): not to be sent.
 */
int
store_tx_reissue(const ASN1_OCTET_STRING *tid, int pos)
{
	static const char sql[] = "UPDATE cmp_transaction " STORE_TX_KEY " "
	    "SET issuing_at = NOW(6) WHERE transaction_id = ? AND "
	    "position = ? AND state = 'issuing' AND "
	    "(lookup_after IS NULL OR lookup_after < NOW(6))";
	struct db_arg a[2] = { DB_ARG_OCTETS(tid), DB_ARG_INT(pos) };

	return store_run1(sql, a, NITEMS(a));
}

int
store_tx_set_state(const ASN1_OCTET_STRING *tid, int pos, const char *state)
{
	static const char sql[] = "UPDATE cmp_transaction " STORE_TX_KEY " "
	    "SET state = ? WHERE transaction_id = ? AND position = ? AND "
	    "state IN ('issuing', 'waiting')";
	struct db_arg a[3] = { DB_ARG_STR(state), DB_ARG_OCTETS(tid),
	    DB_ARG_INT(pos) };

	return db_run(sql, a, NITEMS(a), NULL, 0, NULL);
}

/*
 * Why a transaction that has just become failed failed: the text its
 * client was given, or what the sweep found (GET /cmpTransactions shows
 * it). Only the first text stays; a row that is not failed is left alone.
 */
int
store_tx_failure(const unsigned char *tid, size_t tid_len, int pos,
    const char *text)
{
	static const char sql[] = "UPDATE cmp_transaction " STORE_TX_KEY " SET "
	    "failure = LEFT(?, 512) WHERE transaction_id = ? AND "
	    "position = ? AND state = 'failed' AND failure IS NULL";
	struct db_arg a[3] = { DB_ARG_STR(text != NULL && *text != '\0' ?
	    text : "failed"), DB_ARG_BLOB(tid, tid_len), DB_ARG_INT(pos) };

	return db_run(sql, a, NITEMS(a), NULL, 0, NULL);
}

/*
 * The public key a transaction's row asked for, as the request sent it
 * (SubjectPublicKeyInfo DER, request_spki) into buf: DB_OK with *len, or
 * DB_NOTFOUND when the row has none (written before it was kept, or
 * longer than STORE_SPKI_MAX).
 */
static int
store_tx_request_spki(const unsigned char *tid, size_t tid_len, int pos,
    unsigned char *buf, size_t max, size_t *len)
{
	static const char sql[] = "SELECT request_spki FROM cmp_transaction "
	    "WHERE transaction_id = ? AND position = ?";
	struct db_arg a[2] = { DB_ARG_BLOB(tid, tid_len), DB_ARG_INT(pos) };
	struct db_col c[1];
	int r;

	*len = 0;
	memset(c, 0, sizeof(c));
	c[0].type = DB_BLOB, c[0].buf = buf, c[0].n = max;
	if ((r = db_run(sql, a, NITEMS(a), c, 1, NULL)) != DB_OK)
		return r;
	if (c[0].null || c[0].err || c[0].len == 0 || c[0].len > max)
		return DB_NOTFOUND;
	*len = c[0].len;
	return DB_OK;
}

/*
 * Whether cert carries the public key a transaction's row asked for (its
 * hash sha256, request_spki_sha256): by the hash, or when a CA encoded
 * the key otherwise, by the key the row kept (spki_cert_has_key). 1: it
 * does; 0: another key (or none kept to compare with); -1: the database
 * did not answer, so it cannot be told.
 */
int
store_tx_cert_has_key(const unsigned char *tid, size_t tid_len, int pos,
    const unsigned char sha256[32], X509 *cert)
{
	unsigned char spki[STORE_SPKI_MAX];
	size_t n;
	int r;

	if (spki_cert_has_key(cert, sha256, NULL, 0))
		return 1;
	r = store_tx_request_spki(tid, tid_len, pos, spki, sizeof(spki), &n);
	if (r == DB_NOTFOUND)
		return 0;
	if (r != DB_OK)
		return -1;
	return spki_cert_has_key(cert, sha256, spki, n);
}

/* Settles a transaction left 'issuing' (or 'open'): failed, unknown_at_ca. */
int
store_tx_settle(const unsigned char *tid, size_t tid_len, int pos,
    const char *state)
{
	static const char sql[] = "UPDATE cmp_transaction " STORE_TX_KEY " "
	    "SET state = ? WHERE transaction_id = ? AND position = ? AND "
	    "state IN ('issuing', 'open', 'waiting')";
	struct db_arg a[3] = { DB_ARG_STR(state), DB_ARG_BLOB(tid, tid_len),
	    DB_ARG_INT(pos) };

	return store_run1(sql, a, NITEMS(a));
}

struct tx_list {
	struct store_tx *t;
	size_t	 n;
	struct store_tx row;	/* the columns of the row fetched */
	char	 method[16];	/* requester_method */
	char	 device[CMPD_UUID_LEN + 1];	/* requester_device */
	unsigned char der[STORE_CERT_MAX];
	int	 bad;
};

/* The requester recorded with the row (store_tx_begin), if any. */
static void
tx_list_requester(struct db_col *c, const char *method, struct store_tx *t)
{
	struct cmp_requester *who = &t->requester;

	t->has_requester = 0;
	if (c[0].null || profile_prot_parse(method, &who->method) != 0)
		return;
	if (who->method == PROT_SIGNATURE && (c[1].null || c[1].len != 32))
		return;
	who->kid_len = c[2].null ? 0 : c[2].len;
	t->has_requester = 1;
}

static int
tx_list_row(struct db_col *c, size_t nc, void *arg)
{
	struct tx_list *l = arg;
	struct store_tx *t = &l->t[l->n];

	(void)nc;
	*t = l->row;
	t->nonce_len = c[1].null ? 0 : c[1].len;
	t->cert_req_id = c[2].i;
	t->overdue = c[7].i != 0;
	t->pos = (int)c[8].i;
	if (c[9].null)
		t->request_id[0] = '\0';
	t->request_type = (int)c[10].i;
	t->age = c[11].i;
	t->implicit = c[12].i != 0;
	t->poll_count = (int)c[13].i;
	tx_list_requester(&c[14], l->method, t);
	if ((t->requester.device_known = !c[21].null))
		memcpy(t->requester.device, l->device, sizeof(l->device));
	t->requester.ra = (int)c[20].i;
	t->has_spki = !c[17].null && c[17].len == sizeof(t->spki);
	t->check_in = c[18].null || c[18].i < 0 ? 0 : (int)c[18].i;
	t->lived = c[19].i;
	t->cert = NULL;
	t->der = NULL;
	t->der_len = 0;
	if (c[4].null)
		t->cert_uuid[0] = '\0';
	/* kept as DER: a certConf needs its hash only (store_tx_cert) */
	if (!c[5].null && c[5].len > 0) {
		if ((t->der = OPENSSL_memdup(l->der, c[5].len)) == NULL)
			l->bad = 1;
		else
			t->der_len = c[5].len;
	}
	l->n++;
	memset(&l->row, 0, sizeof(l->row));
	l->device[0] = '\0';
	return 0;
}

/*
 * Reads a transaction's rows, in position order, at most max, each with
 * its certificate's DER (store_tx_cert decodes it; to free with
 * store_tx_free). DB_NOTFOUND when there
 * are none.
 */
int
store_tx_list(const ASN1_OCTET_STRING *tid, struct store_tx *t, size_t max,
    size_t *n)
{
	static const char sql[] = "SELECT t.state, t.last_sender_nonce, "
	    "t.cert_req_id, t.cmp_profile_uuid, c.uuid, c.der, "
	    "t.ra_profile_uuid, t.deadline < NOW(6), t.position, "
	    "t.request_id, t.request_type, TIMESTAMPDIFF(SECOND, "
	    "COALESCE(t.issuing_at, t.created_at), NOW(6)), "
	    "t.implicit_confirm, t.poll_count, t.requester_method, "
	    "t.requester_cert_hash, t.requester_kid, t.request_spki_sha256, "
	    "TIMESTAMPDIFF(SECOND, NOW(6), t.next_check), "
	    "TIMESTAMPDIFF(SECOND, t.created_at, NOW(6)), t.ra_authority, "
	    "t.requester_device FROM cmp_transaction t "
	    "LEFT JOIN certificate c ON c.uuid = t.certificate_uuid "
	    "WHERE t.transaction_id = ? "
	    "ORDER BY t.position";
	struct db_arg a[1] = { DB_ARG_OCTETS(tid) };
	struct tx_list *l;
	struct db_col c[22];
	size_t rows = 0;
	int r;

	*n = 0;
	memset(t, 0, max * sizeof(*t));
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return DB_ERR;
	l->t = t;
	memset(c, 0, sizeof(c));
	c[0].type = DB_STR, c[0].buf = l->row.state,
	    c[0].n = sizeof(l->row.state);
	c[1].type = DB_BLOB, c[1].buf = l->row.nonce,
	    c[1].n = sizeof(l->row.nonce);
	c[2].type = DB_INT;
	c[3].type = DB_STR, c[3].buf = l->row.cmp_uuid,
	    c[3].n = sizeof(l->row.cmp_uuid);
	c[4].type = DB_STR, c[4].buf = l->row.cert_uuid,
	    c[4].n = sizeof(l->row.cert_uuid);
	c[5].type = DB_BLOB, c[5].buf = l->der, c[5].n = sizeof(l->der);
	c[6].type = DB_STR, c[6].buf = l->row.ra_uuid,
	    c[6].n = sizeof(l->row.ra_uuid);
	c[7].type = DB_INT;
	c[8].type = DB_INT;
	c[9].type = DB_STR, c[9].buf = l->row.request_id,
	    c[9].n = sizeof(l->row.request_id);
	c[10].type = DB_INT;
	c[11].type = DB_INT;
	c[12].type = DB_INT;
	c[13].type = DB_INT;
	c[14].type = DB_STR, c[14].buf = l->method, c[14].n = sizeof(l->method);
	c[15].type = DB_BLOB, c[15].buf = l->row.requester.cert_hash,
	    c[15].n = sizeof(l->row.requester.cert_hash);
	c[16].type = DB_BLOB, c[16].buf = l->row.requester.kid,
	    c[16].n = sizeof(l->row.requester.kid);
	c[17].type = DB_BLOB, c[17].buf = l->row.spki,
	    c[17].n = sizeof(l->row.spki);
	c[18].type = DB_INT;
	c[19].type = DB_INT;
	c[20].type = DB_INT;
	c[21].type = DB_STR, c[21].buf = l->device, c[21].n = sizeof(l->device);
	r = db_query(sql, a, 1, c, NITEMS(c), max, tx_list_row, l, &rows);
	*n = l->n;
	if (r == DB_OK && l->bad)
		r = DB_ERR;
	if (r == DB_OK && l->n == 0)
		r = DB_NOTFOUND;
	free(l);
	if (r == DB_ERR) {
		store_tx_free(t, *n);
		*n = 0;
	}
	return r;
}

void
store_tx_free(struct store_tx *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		X509_free(t[i].cert);
		t[i].cert = NULL;
		OPENSSL_free(t[i].der);
		t[i].der = NULL;
		t[i].der_len = 0;
	}
}

/*
 * The row's certificate, decoded on first use (get0: store_tx_free frees
 * it); NULL when the row has none or it does not decode.
 */
X509 *
store_tx_cert(struct store_tx *t)
{
	const unsigned char *q = t->der;

	if (t->cert == NULL && t->der != NULL)
		t->cert = d2i_X509(NULL, &q, (long)t->der_len);
	return t->cert;
}

struct confirm_arg {
	const ASN1_OCTET_STRING *tid, *sent_nonce;
	int	 pos, accepted, due_s;
	const char *cert_uuid;
	int	*owed;
};

static int
store_confirm_run(void *arg)
{
	/* Accepted: the transaction moves on, only from confirm_wait; its
	 * certificate stays as it is (one revoked meanwhile through the
	 * management API stays revoked, with the reason given). */
	static const char sql_ok[] = "UPDATE cmp_transaction " STORE_TX_KEY
	    " SET state = 'confirmed', last_sender_nonce = ? "
	    "WHERE transaction_id = ? AND position = ? "
	    "AND state = 'confirm_wait' AND certificate_uuid = ?";
	/* Rejected: the transaction, then its certificate's revocation,
	 * owed before the CA is asked (DESIGN invariant 1: a worker that
	 * dies before the call leaves it to the sweep, due when a call made
	 * now has surely ended). One revoked meanwhile stays as it is; only
	 * a hold, which could be released, gives way to the rejection and
	 * its reason. */
	static const char sql_rej[] = "UPDATE cmp_transaction " STORE_TX_KEY
	    " SET state = 'rejected', last_sender_nonce = ? "
	    "WHERE transaction_id = ? AND position = ? "
	    "AND state = 'confirm_wait' AND certificate_uuid = ?";
	static const char sql_owe[] = "UPDATE certificate SET "
	    "status = 'revoke_pending', revoke_final = 'rejected', "
	    "revocation_reason = ?, revoke_after = NOW(6) + INTERVAL ? SECOND, "
	    "revoke_attempts = 0, revoke_error = NULL "
	    "WHERE uuid = ? AND (status = 'issued' OR "
	    "revocation_reason = 'certificateHold')";
	const struct confirm_arg *x = arg;
	struct db_arg a[4] = {
		DB_ARG_OCTETS(x->sent_nonce), DB_ARG_OCTETS(x->tid),
		DB_ARG_INT(x->pos), DB_ARG_STR(x->cert_uuid),
	};
	struct db_arg o[3] = { DB_ARG_STR(STORE_REASON_UNDELIVERED),
	    DB_ARG_INT(x->due_s), DB_ARG_STR(x->cert_uuid) };
	unsigned long long changed = 0;

	*x->owed = 0;
	if (db_run(x->accepted ? sql_ok : sql_rej, a, NITEMS(a), NULL, 0,
	    &changed) != DB_OK)
		return DB_ERR;
	if (changed == 0)
		/* settled by this very pkiConf (a lost COMMIT answer)? Its
		 * revocation, if any, is owed already. */
		return store_tx_wrote(ASN1_STRING_get0_data(x->tid),
		    (size_t)ASN1_STRING_length(x->tid), x->pos, x->sent_nonce,
		    NULL) == DB_OK ? DB_OK : DB_NOTFOUND;
	if (x->accepted)
		return DB_OK;
	if (db_run(sql_owe, o, NITEMS(o), NULL, 0, &changed) != DB_OK)
		return DB_ERR;
	*x->owed = changed == 1;
	return DB_OK;
}

/*
 * Closes one certificate of a transaction after its certConf: confirmed
 * or rejected. Only a row still waiting changes (two certConfs racing:
 * one wins). A rejected certificate becomes 'revoke_pending' (final
 * status 'rejected'), due for the sweep after due_s seconds; *owed is 1
 * when this call made it so (the caller asks the CA now), 0 when it was
 * revoked meanwhile or settled by an earlier run. Nests in the caller's
 * database transaction.
 */
int
store_confirm(const ASN1_OCTET_STRING *tid, int pos, const char *cert_uuid,
    int accepted, const ASN1_OCTET_STRING *sent_nonce, int due_s, int *owed)
{
	struct confirm_arg x = { tid, sent_nonce, pos, accepted, due_s,
	    cert_uuid, owed };

	/* accepted: one UPDATE, it commits by itself; rejected: two, in
	 * one transaction */
	return accepted ? db_txn1(store_confirm_run, &x) :
	    db_txn(store_confirm_run, &x);
}

struct confirm_one_arg {
	const ASN1_OCTET_STRING *tid, *cert_hash, *recip_nonce, *sent_nonce;
	long long cert_req_id;
	const char *cmp_uuid;
	const struct cmp_requester *who;
	const struct store_chain_keys *signer;
	int	 runs;
};

/* Every check of cmp_confirm's on the one row: the first and only row
 * of the transaction (tx_rows, written when it opened: a WHERE that
 * looked for other rows would read the table it updates, which MariaDB
 * does through temporary tables), the profile's, of this requester,
 * answered with a certificate, the one the answer carried (certReqId and
 * hash), the answer's nonce echoed, before the deadline; not begun on a
 * registration authority's permissions, which are looked at again the
 * long way (cmp_requester_check). The certificate
 * was stored 'issued' and stays as it is: revoked meanwhile, it stays
 * revoked (store_confirm). */
#define CONFIRM_ONE_SQL "UPDATE cmp_transaction t " STORE_TX_KEY " " \
	"SET t.state = 'confirmed', t.last_sender_nonce = ? " \
	"WHERE t.transaction_id = ? AND t.position = 0 AND t.tx_rows = 1 " \
	"AND t.state = 'confirm_wait' AND t.certificate_uuid IS NOT NULL " \
	"AND t.cmp_profile_uuid = ? AND t.requester_method = ? " \
	"AND IF(t.requester_method = 'signature', " \
	"t.requester_cert_hash = ?, COALESCE(t.requester_kid, '') = ? AND " \
	"(t.requester_device IS NULL OR t.requester_device = ?)) " \
	"AND t.cert_req_id = ? AND t.cert_hash = ? " \
	"AND t.last_sender_nonce = ? AND t.ra_authority = 0 " \
	"AND (t.deadline IS NULL OR t.deadline >= NOW(6))"

static int
store_confirm_one_run(void *arg)
{
	static const char sql[] = CONFIRM_ONE_SQL;
	/* signed: and no certificate of the signer's chain barred in the
	 * inventory, the look-up cmp_signer_revoked() makes otherwise */
	static const char sql_signed[] = CONFIRM_ONE_SQL " AND NOT EXISTS "
	    "(SELECT 1 FROM certificate r " STORE_CERT_KEY " "
	    "WHERE r.status IN " STORE_BARRED_SQL
	    " AND " STORE_CHAIN_PAIRS_SQL ")";
	struct confirm_one_arg *x = arg;
	struct db_arg a[10 + 2 * STORE_STATUS_PAIRS] = {
		DB_ARG_OCTETS(x->sent_nonce), DB_ARG_OCTETS(x->tid),
		DB_ARG_STR(x->cmp_uuid),
		DB_ARG_STR(profile_prot_name(x->who->method)),
		DB_ARG_BLOB(x->who->cert_hash, sizeof(x->who->cert_hash)),
		DB_ARG_BLOB(x->who->kid, x->who->kid_len),
		DB_ARG_STR(x->who->device),
		DB_ARG_INT(x->cert_req_id), DB_ARG_OCTETS(x->cert_hash),
		DB_ARG_OCTETS(x->recip_nonce),
	};
	unsigned long long changed = 0;
	size_t na = 10;

	if (x->signer != NULL) {
		store_chain_args(x->signer, a + na);
		na += 2 * STORE_STATUS_PAIRS;
	}
	x->runs++;
	if (db_run(x->signer != NULL ? sql_signed : sql, a, na, NULL, 0,
	    &changed) != DB_OK)
		return DB_ERR;
	if (changed > 0)
		return DB_OK;
	/* settled by this very pkiConf (a lost answer to the UPDATE)? */
	if (x->runs > 1 && store_tx_wrote(ASN1_STRING_get0_data(x->tid),
	    (size_t)ASN1_STRING_length(x->tid), 0, x->sent_nonce, NULL) ==
	    DB_OK)
		return DB_OK;
	return DB_NOTFOUND;
}

/*
 * The common certConf in one statement: one certificate, accepted, for
 * a transaction of one row, checked and confirmed by a single UPDATE
 * that commits by itself. signer (a signed certConf's chain; NULL for a
 * MAC, or when the caller looked the chain up itself): its certificates
 * must not be barred in the inventory either. DB_OK: confirmed, and
 * sent_nonce (the pkiConf's senderNonce) recorded; DB_NOTFOUND: some
 * check failed, or the row was written without its cert_hash or tx_rows,
 * and nothing changed: the caller reads the rows (store_tx_list) to tell
 * which; DB_ERR. On Galera the UPDATE does not wait for the cluster's
 * earlier commits (wsrep_sync_wait covers reads): a row this node has
 * not applied yet is found by the causal read that follows; for the
 * same reason a signer is not looked up here on Galera (cmp_confirm).
 */
int
store_confirm_one(const ASN1_OCTET_STRING *tid, long long cert_req_id,
    const ASN1_OCTET_STRING *cert_hash, const ASN1_OCTET_STRING *recip_nonce,
    const char *cmp_uuid, const struct cmp_requester *who,
    const struct store_chain_keys *signer,
    const ASN1_OCTET_STRING *sent_nonce)
{
	struct confirm_one_arg x = { tid, cert_hash, recip_nonce, sent_nonce,
	    cert_req_id, cmp_uuid, who, signer, 0 };

	return db_txn1(store_confirm_one_run, &x);
}
