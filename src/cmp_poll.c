/*
 * Delayed delivery (RFC 9810 5.3.22, RFC 9483 4.4): a certificate the CA
 * had not issued when the ip/cp/kup left (its connector answered pending,
 * or did not answer within the CMP Profile's syncBudget) was answered
 * "waiting"; the client asks with pollReq. Any worker answers: the
 * transaction is read from MariaDB and the CA asked by the request id
 * cmpd sent (the connector's lookup). Not there yet: pollRep with
 * checkAfter. There: stored first, then the final ip/cp/kup, confirmed
 * by certConf as usual (cmp_confirm.c). A client that stops polling is
 * given up on by the sweep (cmp_sweep.c), which revokes what the CA
 * issued.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "conn.h"
#include "store.h"

/* checkAfter grows by a second per poll, up to this */
#define POLL_CHECK_AFTER_MAX	30
/* A pollReq this many seconds early, or less, is in time: a client
 * that sleeps checkAfter is never early */
#define POLL_EARLY_SLACK	1
/* A call cut at the budget may still be running at the CA: its lookup
 * says "nothing" until then; later, nothing means nothing. */
#define POLL_INFLIGHT_MARGIN	10	/* seconds */

/* pollRep (RFC 9810 5.3.22): ask again after check_after seconds. */
static CMPD_MSG *
poll_rep(const CMPD_MSG *req, const X509_NAME *srv, long rid,
    int check_after, const char *reason)
{
	CMPD_POLLREP *pr = NULL;
	ASN1_UTF8STRING *s = NULL;
	CMPD_MSG *m;

	if ((m = cmp_msg_response_new(req->header, srv,
	    CMPD_BODY_POLLREP)) == NULL)
		return NULL;
	if ((m->body->value.pollRep = sk_CMPD_POLLREP_new_null()) == NULL ||
	    (pr = CMPD_POLLREP_new()) == NULL ||
	    !ASN1_INTEGER_set(pr->certReqId, rid) ||
	    !ASN1_INTEGER_set(pr->checkAfter, check_after))
		goto err;
	if (reason != NULL) {
		if ((pr->reason = sk_ASN1_UTF8STRING_new_null()) == NULL ||
		    (s = ASN1_UTF8STRING_new()) == NULL ||
		    !ASN1_STRING_set(s, reason, -1) ||
		    !sk_ASN1_UTF8STRING_push(pr->reason, s))
			goto err;
		s = NULL;
	}
	if (!sk_CMPD_POLLREP_push(m->body->value.pollRep, pr))
		goto err;
	return m;
 err:
	ASN1_UTF8STRING_free(s);
	CMPD_POLLREP_free(pr);
	CMPD_MSG_free(m);
	return NULL;
}

/* The final ip/cp/kup: one CertResponse, the certificate or a refusal. */
static CMPD_MSG *
poll_final(const CMPD_MSG *req, const X509_NAME *srv, const struct store_tx *t,
    X509 *cert, enum cmp_fail f, const char *pn, const char *arg)
{
	const struct cmp_fail_def *d;
	CMPD_CERTRESPONSE *cr = NULL;
	CMPD_CERTREPMSG *rep;
	char buf[CMP_TEXT_MAX];
	CMPD_MSG *m;

	if ((m = cmp_msg_response_new(req->header, srv,
	    cmp_msg_rep_type(t->request_type))) == NULL)
		return NULL;
	if ((rep = m->body->value.ip = CMPD_CERTREPMSG_new()) == NULL ||
	    (cr = CMPD_CERTRESPONSE_new()) == NULL ||
	    !ASN1_INTEGER_set(cr->certReqId, (long)t->cert_req_id))
		goto err;
	CMPD_PKISI_free(cr->status);
	cr->status = NULL;
	if (f != CMPF_OK) {
		d = cmp_error_def(f);
		cmp_error_format(f, buf, sizeof(buf), pn, arg);
		if ((cr->status = cmp_msg_pkisi_new(d->status, d->failbit,
		    buf)) == NULL)
			goto err;
	} else {
		if ((cr->status = cmp_msg_pkisi_new(CMPD_PKISTATUS_ACCEPTED,
		    -1, NULL)) == NULL ||
		    (cr->certifiedKeyPair = CMPD_CERTIFIEDKEYPAIR_new()) ==
		    NULL)
			goto err;
		cr->certifiedKeyPair->certOrEncCert->type =
		    CMPD_CERTORENCCERT_CERTIFICATE;
		/* a reference, not a copy (a copy decodes again) */
		if (!X509_up_ref(cert))
			goto err;
		cr->certifiedKeyPair->certOrEncCert->value.certificate = cert;
	}
	if (!sk_CMPD_CERTRESPONSE_push(rep->response, cr))
		goto err;
	return m;
 err:
	CMPD_CERTRESPONSE_free(cr);
	CMPD_MSG_free(m);
	return NULL;
}

/*
 * The row the pollReq asks about, from the transaction's requester only,
 * echoing the nonce of the answer that row waits on (RFC 9810 5.3.22:
 * pollReq's recipNonce is the senderNonce of the last answer).
 */
static enum cmp_fail
poll_find(const CMPD_MSG *req, const struct profile *p, struct store_tx *t,
    size_t n, long rid, size_t *k, char *arg, size_t arglen)
{
	const ASN1_OCTET_STRING *rn = req->header->recipNonce;
	enum cmp_fail f;
	size_t i;

	/* Another profile's transaction is as unknown as a missing one;
	 * the CA asked is the one of the RA Profile that was asked. */
	if (strcmp(t[0].cmp_uuid, p->cmp_uuid) != 0 ||
	    strcmp(t[0].ra_uuid, p->ra_uuid) != 0)
		return CMPF_TX_UNKNOWN;
	if ((f = cmp_requester_check(req, p, &t[0])) != CMPF_OK)
		return f;
	/* A row not yet answered "waiting" has no nonce: an rr still being
	 * decided (store_rr_begin), which nobody may poll for. */
	for (i = 0; i < n; i++)
		if (t[i].cert_req_id == rid &&
		    strcmp(t[i].state, "waiting") == 0 && t[i].nonce_len > 0)
			break;
	if (i == n) {
		snprintf(arg, arglen, "%ld", rid);
		return CMPF_POLL_NOT_WAITING;
	}
	if (rn == NULL || (size_t)ASN1_STRING_length(rn) != t[i].nonce_len ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(rn), t[i].nonce,
	    t[i].nonce_len) != 0)
		return CMPF_BAD_RECIP_NONCE;
	/* DESIGN invariant 5: the CA is asked for a transaction no longer
	 * than CMPD_WAIT_LIFETIME after it began; the sweep has it then */
	if (t[i].lived >= CMPD_WAIT_LIFETIME) {
		snprintf(arg, arglen, "%d", CMPD_WAIT_LIFETIME / 86400);
		return CMPF_POLL_ENDED;
	}
	*k = i;
	return CMPF_OK;
}

/*
 * What an answer to a pollReq writes: its row moved on and, in a
 * transaction of several requests, the nonce the other rows wait on
 * (store_tx_nonce_rest: the client echoes the last answer's, whichever
 * certReqId it was about), in one database transaction. A row alone:
 * its write by itself, one statement as before.
 */
enum poll_write_kind {
	POLL_W_WAIT,		/* pollRep */
	POLL_W_EARLY,		/* pollRep before checkAfter */
	POLL_W_ISSUED,		/* the certificate */
	POLL_W_FAILED,		/* the CA issued nothing */
	POLL_W_UNKNOWN		/* the CA cannot be asked */
};

struct poll_write {
	enum poll_write_kind kind;
	const ASN1_OCTET_STRING *tid, *echoed, *sent;
	const struct store_tx *t;	/* the row */
	size_t	 n;			/* the transaction's rows */
	int	 check_after;		/* POLL_W_WAIT */
	X509	*cert;			/* POLL_W_ISSUED: store_issued's */
	const struct profile *p;
	const char *conn_cert_uuid, *conn_meta;
	int	 wait;
	char	*cert_uuid;
};

static int
poll_write_row(const struct poll_write *w)
{
	const struct store_tx *t = w->t;

	switch (w->kind) {
	case POLL_W_WAIT:
		return store_tx_wait(w->tid, t->pos, w->echoed, w->sent,
		    w->check_after, CMPD_POLL_ABANDON, t->implicit);
	case POLL_W_EARLY:
		return store_tx_poll_early(w->tid, t->pos, w->echoed, w->sent,
		    CMPD_POLL_ABANDON);
	case POLL_W_ISSUED:
		return store_issued(w->tid, t->pos, w->cert, w->p,
		    w->conn_cert_uuid, w->conn_meta, w->echoed, w->sent,
		    t->implicit, w->wait, w->cert_uuid);
	case POLL_W_FAILED:
		return store_tx_set_state(w->tid, t->pos, "failed");
	case POLL_W_UNKNOWN:
		return store_tx_settle(ASN1_STRING_get0_data(w->tid),
		    (size_t)ASN1_STRING_length(w->tid), t->pos,
		    "unknown_at_ca");
	}
	return DB_ERR;
}

static int
poll_write_run(void *arg)
{
	const struct poll_write *w = arg;
	int r;

	if ((r = poll_write_row(w)) != DB_OK)
		return r;
	return store_tx_nonce_rest(w->tid, w->t->pos, w->echoed, w->sent);
}

static int
poll_write(struct poll_write *w)
{
	return w->n > 1 ? db_txn(poll_write_run, w) : poll_write_row(w);
}

/*
 * A final refusal (fail) of the row w is about, written as kind before
 * it leaves. NULL with *f when it cannot be: CMPF_DB_UNAVAILABLE, or
 * CMPF_INTERNAL.
 */
static CMPD_MSG *
poll_refuse(const CMPD_MSG *req, const X509_NAME *srv, struct poll_write *w,
    enum poll_write_kind kind, enum cmp_fail fail, const char *pn,
    enum cmp_fail *f)
{
	CMPD_MSG *rsp;

	*f = CMPF_INTERNAL;
	if ((rsp = poll_final(req, srv, w->t, NULL, fail, pn, NULL)) == NULL)
		return NULL;
	w->kind = kind, w->sent = rsp->header->senderNonce;
	if (poll_write(w) != DB_OK) {
		CMPD_MSG_free(rsp);
		*f = CMPF_DB_UNAVAILABLE;
		return NULL;
	}
	*f = CMPF_OK;
	return rsp;
}

/*
 * The CA's certificate for another public key than the request's, or
 * issued by none of its CA certificates (f): as in a direct answer, not
 * delivered; recorded revoke_pending, the sweep revokes it (one the
 * inventory holds already is another transaction's: left as it is).
 */
static enum cmp_fail
poll_wrong_cert(const ASN1_OCTET_STRING *tid, const struct profile *p,
    const struct store_tx *t, struct conn_result *res, enum cmp_fail f)
{
	int key = f == CMPF_CERT_KEY_MISMATCH;
	char serial[80], cert_uuid[CMPD_UUID_LEN + 1];

	cmp_enroll_serial(res->certificate, serial, sizeof(serial));
	log_error("PN=%s: requestId=%s: the CA's certificate %s is %s; not "
	    "delivered", p->cmp_name, t->request_id, serial, key ? "for "
	    "another public key than the request's" : "issued by none of "
	    "the CA's certificates");
	if (store_unrecorded(tid, t->pos, res->certificate, p, res->uuid,
	    cert_uuid) != DB_OK)
		log_error("PN=%s: requestId=%s: certificate %s not recorded; "
		    "the sweep asks the CA", p->cmp_name, t->request_id,
		    key ? "for another key" : "of another issuer");
	else if (cert_uuid[0] != '\0' ||
	    store_tx_set_state(tid, t->pos, "failed") == DB_OK)
		(void)store_tx_failure(ASN1_STRING_get0_data(tid),
		    (size_t)ASN1_STRING_length(tid), t->pos, key ? "the "
		    "certificate authority issued a certificate for another "
		    "public key; not delivered" : "the certificate authority "
		    "answered with a certificate that none of its CA "
		    "certificates issued; not delivered");
	return f;
}

/*
 * After a write that found row pos of tid moved on: 1 when it still
 * waits, for the nonce of another pollReq's answer (the same pollReq
 * twice at once), 0 when settled (the sweep), -1 when the database
 * cannot tell.
 */
static int
poll_still_waiting(const ASN1_OCTET_STRING *tid, int pos)
{
	struct store_tx t[CMPD_CERT_REQ_MAX];
	size_t n = 0, i;
	int w = -1;

	if (store_tx_list(tid, t, CMPD_CERT_REQ_MAX, &n) != DB_ERR) {
		for (w = 0, i = 0; i < n; i++)
			if (t[i].pos == pos && strcmp(t[i].state, "waiting") == 0)
				w = 1;
	}
	store_tx_free(t, n);
	return w;
}

/* The certificate is there: stored before the answer leaves (DESIGN
 * invariant 3), with its chain as in a direct answer. */
static CMPD_MSG *
poll_deliver(const CMPD_MSG *req, struct profile *p, const X509_NAME *srv,
    const struct conf *c, struct store_tx *t, size_t n,
    struct conn_result *res, enum cmp_fail *f)
{
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	char cert_uuid[CMPD_UUID_LEN + 1];
	struct poll_write w;
	STACK_OF(X509) *chain;
	CMPD_MSG *rsp;
	int wait, r;

	wait = p->confirm_wait_time > 0 ? p->confirm_wait_time :
	    c->confirm_wait_time;
	*f = CMPF_INTERNAL;
	if (i2d_X509(res->certificate, NULL) > STORE_CERT_MAX) {
		/* as too large a direct answer: not delivered; recorded
		 * revoke_pending, the sweep revokes it */
		if (store_unrecorded(tid, t->pos, res->certificate, p,
		    res->uuid, cert_uuid) != DB_OK)
			log_error("PN=%s: requestId=%s: certificate too large "
			    "and not recorded; the sweep asks the CA",
			    p->cmp_name, t->request_id);
		*f = CMPF_CERT_TOO_LARGE;
		return NULL;
	}
	r = !t->has_spki ? 1 : store_tx_cert_has_key(ASN1_STRING_get0_data(tid),
	    (size_t)ASN1_STRING_length(tid), t->pos, t->spki, res->certificate);
	if (r < 0) {
		/* not told either way: not delivered, still waiting (the
		 * sweep records and revokes what is never delivered) */
		*f = CMPF_DB_UNAVAILABLE;
		return NULL;
	}
	if (r == 0) {
		*f = poll_wrong_cert(tid, p, t, res, CMPF_CERT_KEY_MISMATCH);
		return NULL;
	}
	chain = cmp_ca_chain(p, NULL, NULL);
	if (!cmp_chain_issued(res->certificate, chain)) {
		*f = poll_wrong_cert(tid, p, t, res, CMPF_CERT_ISSUER_MISMATCH);
		return NULL;
	}
	if ((rsp = poll_final(req, srv, t, res->certificate, CMPF_OK, NULL,
	    NULL)) == NULL ||
	    cmp_enroll_general_info(rsp->header, t->implicit, wait) != 0 ||
	    cmp_chain_answer(rsp, req, p, chain) != 0) {
		CMPD_MSG_free(rsp);
		return NULL;	/* still waiting: the next poll tries again */
	}
	memset(&w, 0, sizeof(w));
	w.kind = POLL_W_ISSUED, w.tid = tid, w.t = t, w.n = n;
	w.echoed = req->header->recipNonce, w.sent = rsp->header->senderNonce;
	w.cert = res->certificate, w.p = p, w.conn_cert_uuid = res->uuid;
	w.conn_meta = res->meta;
	w.wait = wait, w.cert_uuid = cert_uuid;
	r = poll_write(&w);
	/* the certificate recorded already: by the other answer to this
	 * pollReq sent twice at once, or by the sweep, when the row no
	 * longer waits (else another transaction's: an error) */
	if (r == DB_DUP)
		r = poll_still_waiting(tid, t->pos) == 0 ? DB_NOTFOUND : DB_ERR;
	/* DB_NOTFOUND: another pollReq with the same nonce was answered
	 * first; the row still waits, for the nonce that answer gave, and
	 * the CA's certificate goes to the pollReq that echoes it (left
	 * so when the database cannot tell). Or the sweep settled the row
	 * meanwhile. What the CA issued is valid there and must be known:
	 * recorded revoke_pending (the sweep revokes it), unless the sweep
	 * recorded it already. */
	if (r == DB_NOTFOUND && poll_still_waiting(tid, t->pos) == 0 &&
	    store_unrecorded(tid, t->pos, res->certificate, p, res->uuid,
	    cert_uuid) != DB_OK)
		log_error("PN=%s: requestId=%s: certificate issued after the "
		    "sweep settled the request, not recorded; the CA holds it "
		    "valid", p->cmp_name, t->request_id);
	if (r != DB_OK) {
		*f = r == DB_NOTFOUND ? CMPF_POLL_NOT_WAITING :
		    r == STORE_TOO_LONG ? CMPF_CERT_TOO_LARGE :
		    CMPF_DB_UNAVAILABLE;
		CMPD_MSG_free(rsp);
		return NULL;
	}
	*f = CMPF_OK;
	return rsp;
}

/*
 * pollReq. Returns pollRep, or the final ip/cp/kup; NULL with *f for an
 * error answer.
 */
CMPD_MSG *
cmp_poll(const CMPD_MSG *req, struct profile *p, const X509_NAME *srv,
    const struct conf *c, enum cmp_fail *f, char *arg, size_t arglen)
{
	STACK_OF(CMPD_POLLREQ) *polls = req->body->value.pollReq;
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	struct store_tx t[CMPD_CERT_REQ_MAX];
	struct conn_target target;
	struct conn_result res;
	struct poll_write w;
	CMPD_MSG *rsp = NULL;
	size_t n = 0, k = 0;
	long rid;
	int r, check_after, settles, early = 0;

	memset(&res, 0, sizeof(res));
	*f = CMPF_INTERNAL;
	/* RFC 9483 4.4: one certReqId per pollReq (cmpd answers one
	 * CertResponse at a time) */
	if (sk_CMPD_POLLREQ_num(polls) != 1) {
		snprintf(arg, arglen, "%d", sk_CMPD_POLLREQ_num(polls));
		*f = CMPF_POLL_NOT_ONE;
		return NULL;
	}
	rid = ASN1_INTEGER_get(sk_CMPD_POLLREQ_value(polls, 0)->certReqId);
	if ((r = store_tx_list(tid, t, CMPD_CERT_REQ_MAX, &n)) == DB_ERR) {
		*f = CMPF_DB_UNAVAILABLE;
		return NULL;
	}
	if (r == DB_NOTFOUND) {
		*f = CMPF_TX_UNKNOWN;
		return NULL;
	}
	if ((*f = poll_find(req, p, t, n, rid, &k, arg, arglen)) != CMPF_OK)
		goto out;
	memset(&w, 0, sizeof(w));
	w.tid = tid, w.echoed = req->header->recipNonce, w.t = &t[k], w.n = n;
	/* Asked before the checkAfter it was told (RFC 9810 5.3.22): told
	 * how long it still has to wait, the CA not asked; every pollReq
	 * would cost a CA call otherwise, and any number of them can be
	 * sent at once. Its next checkAfter and count stay as they were,
	 * so that a client that polls too often is still served. More
	 * than any checkAfter cmpd tells is no verdict: the database's
	 * clock went back (a time zone's change of time, a Galera node's
	 * skew), and the CA is asked. */
	if (t[k].check_in > POLL_EARLY_SLACK &&
	    t[k].check_in <= POLL_CHECK_AFTER_MAX) {
		log_info("PN=%s: pollReq %d s before its checkAfter; the CA "
		    "not asked", p->cmp_name, t[k].check_in);
		early = 1;
		goto again;
	}
	/* An rr or a genm (certReqId -1): the CA asked again. */
	if (t[k].request_type == CMPD_BODY_RR ||
	    t[k].request_type == CMPD_BODY_GENM) {
		rsp = t[k].request_type == CMPD_BODY_RR ?
		    cmp_revoke_poll(req, p, srv, &t[k], f, arg, arglen) :
		    cmp_genm_poll(req, p, srv, &t[k], f, arg, arglen);
		if (rsp != NULL || *f != CMPF_OK)
			goto out;
		goto again;
	}

	/* The CA asked within the budget: no worker waits long. */
	cmp_ca_target(p, 0, &target);
	target.timeout_ms = cmp_ca_budget_ms(p);
	/* Past the time an issue call may take, the CA's "nothing" is a
	 * final refusal (below), and the lookup says so ("final"). */
	settles = t[k].age > c->connector_timeout + POLL_INFLIGHT_MARGIN;
	conn_lookup(&target, t[k].request_id, settles, &res);
	if (res.status == CONN_OK && res.certificate != NULL) {
		rsp = poll_deliver(req, p, srv, c, &t[k], n, &res, f);
		if (*f == CMPF_POLL_NOT_WAITING)
			snprintf(arg, arglen, "%ld", rid);
		if (rsp != NULL || *f != CMPF_INTERNAL)
			goto out;
	} else if (res.status == CONN_NOT_FOUND) {
		/* The connector has no lookup: whether the CA issued for
		 * the call cut at syncBudget cannot be learnt. The row is
		 * settled as the sweep would (an operator's), and the
		 * client told so. */
		if ((rsp = poll_refuse(req, srv, &w, POLL_W_UNKNOWN,
		    CMPF_POLL_CA_CANNOT_TELL, p->cmp_name, f)) == NULL)
			goto out;
		log_error("PN=%s: requestId=%s: the connector has no lookup; "
		    "the CA may have issued a certificate cmpd does not know: "
		    "state unknown_at_ca, check the CA", p->cmp_name,
		    t[k].request_id);
		metrics_reconcile(METRICS_RECON_UNKNOWN);
		goto out;
	} else if (res.status == CONN_OK && settles) {
		/* The CA issued nothing: a final refusal. */
		if ((rsp = poll_refuse(req, srv, &w, POLL_W_FAILED,
		    CMPF_POLL_NOTHING_ISSUED, p->cmp_name, f)) == NULL)
			goto out;
		/* the text only explains the state (GET /cmpTransactions) */
		(void)store_tx_failure(ASN1_STRING_get0_data(tid),
		    (size_t)ASN1_STRING_length(tid), t[k].pos, "the "
		    "certificate authority issued nothing");
		log_warn("PN=%s: requestId=%s: the CA issued nothing",
		    p->cmp_name, t[k].request_id);
		goto out;
	} else if (res.status != CONN_PENDING && res.status != CONN_OK)
		log_warn("PN=%s: asking the CA about requestId=%s: %s (HTTP "
		    "%ld): %s; the client asks again", p->cmp_name,
		    t[k].request_id, conn_status_name(res.status),
		    res.http_status, res.message);

	/* Not there yet (or the CA could not tell now): ask again later. */
 again:
	check_after = CMPD_CHECK_AFTER + t[k].poll_count;
	if (early)
		check_after = t[k].check_in;
	if (check_after > POLL_CHECK_AFTER_MAX)
		check_after = POLL_CHECK_AFTER_MAX;
	*f = CMPF_INTERNAL;
	if ((rsp = poll_rep(req, srv, rid, check_after,
	    t[k].request_type == CMPD_BODY_RR ? "the certificate authority "
	    "has not revoked the certificate yet" :
	    t[k].request_type == CMPD_BODY_GENM ? "the certificate "
	    "authority has not answered yet" : "the certificate "
	    "authority has not issued the certificate yet")) == NULL)
		goto out;
	w.kind = early ? POLL_W_EARLY : POLL_W_WAIT;
	w.sent = rsp->header->senderNonce, w.check_after = check_after;
	if ((r = poll_write(&w)) != DB_OK) {
		CMPD_MSG_free(rsp);
		rsp = NULL;
		*f = r == DB_NOTFOUND ? CMPF_POLL_NOT_WAITING :
		    CMPF_DB_UNAVAILABLE;
		snprintf(arg, arglen, "%ld", rid);
		goto out;
	}
	*f = CMPF_OK;
 out:
	conn_result_free(&res);
	store_tx_free(t, n);
	ERR_clear_error();
	return rsp;
}
