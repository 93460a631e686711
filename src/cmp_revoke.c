/*
 * Revocation requests (rr, RFC 9810 5.3.9) and their answer (rp, 5.3.10).
 * Only the certificate itself may ask for its revocation: the request
 * must be signed with it (a shared secret is held by many devices), or
 * by a registration authority of the CMP Profile allowed to revoke. The
 * certificate must be one this RA Profile issued, and its CA is told the
 * reason the client gave (the reference always says "unspecified").
 * Before the CA is asked, the rr's transaction row is written, which
 * makes its transactionID single-use (a replayed rr is refused), and the
 * certificate becomes 'revoke_pending' with that reason (DESIGN
 * invariant 1): it authenticates no more, and what the call leaves
 * undone, the sweep revokes; a CA that refused, or that the request
 * never reached, leaves it as it was.
 * A CA that answers pending (doc/api.md "Delayed delivery") makes it an
 * rr with delayed delivery (RFC 9810 5.3.22, RFC 9483 4.4): an error
 * message with status waiting, then pollReq (certReqId -1) answered by
 * pollRep until the CA has revoked, then the rp.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "conn.h"
#include "store.h"

/* CRLReason (RFC 5280 5.3.1) names of the connector API; 7 is unused.
 * removeFromCRL (8) revokes nothing: it takes a certificate off hold. */
#define REASON_HOLD	6
#define REASON_RELEASE	8
static const char *const reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

/* The reasonCode of crlEntryDetails; -1 if it is not one we accept. */
static int
revoke_reason(const X509_EXTENSIONS *exts)
{
	ASN1_ENUMERATED *e;
	long v;
	int i;

	if (exts == NULL ||
	    (i = X509v3_get_ext_by_NID(exts, NID_crl_reason, -1)) < 0)
		return 0;
	/* RFC 9483 4.2: exactly one (RFC 5280 4.2: no extension twice) */
	if (X509v3_get_ext_by_NID(exts, NID_crl_reason, i) >= 0)
		return -1;
	if ((e = X509V3_EXT_d2i(X509v3_get_ext(exts, i))) == NULL)
		return -1;
	v = ASN1_ENUMERATED_get(e);
	ASN1_ENUMERATED_free(e);
	if (v < 0 || (size_t)v >= NITEMS(reasons) || reasons[v] == NULL)
		return -1;
	return (int)v;
}

/* rp: status accepted, revCerts = the certificate's CertId (5.3.10). */
static CMPD_MSG *
revoke_answer(const CMPD_MSG *req, const X509_NAME *srv, X509 *cert)
{
	CMPD_REVREPCONTENT *rp;
	OSSL_CRMF_CERTID *id = NULL;
	CMPD_PKISI *si = NULL;
	CMPD_MSG *m;

	if ((m = cmp_msg_response_new(req->header, srv, CMPD_BODY_RP)) == NULL)
		return NULL;
	if ((rp = m->body->value.rp = CMPD_REVREPCONTENT_new()) == NULL ||
	    (si = cmp_msg_pkisi_new(CMPD_PKISTATUS_ACCEPTED, -1, NULL)) ==
	    NULL || !sk_CMPD_PKISI_push(rp->status, si))
		goto err;
	si = NULL;
	if ((rp->revCerts = sk_OSSL_CRMF_CERTID_new_null()) == NULL ||
	    (id = OSSL_CRMF_CERTID_gen(X509_get_issuer_name(cert),
	    X509_get0_serialNumber(cert))) == NULL ||
	    !sk_OSSL_CRMF_CERTID_push(rp->revCerts, id))
		goto err;
	return m;
 err:
	OSSL_CRMF_CERTID_free(id);
	CMPD_PKISI_free(si);
	CMPD_MSG_free(m);
	return NULL;
}

/*
 * The rr's row (store_rr_begin), for the certificate cert_uuid (NULL:
 * not in the inventory). CMPF_OK, or what to answer: a transactionID
 * used before (a replayed rr), the database.
 */
static enum cmp_fail
revoke_begin(const CMPD_MSG *req, const struct profile *p,
    const char *cert_uuid)
{
	struct cmp_requester who;
	int r;

	if (cmp_protect_requester(req, p, &who) != 0)
		return CMPF_INTERNAL;
	r = store_rr_begin(req, p, &who, cert_uuid, cmp_ca_settle_s());
	if (r == DB_OK)
		return CMPF_OK;
	return r == DB_DUP ? CMPF_TID_IN_USE : CMPF_DB_UNAVAILABLE;
}

/* The rr's row settled: confirmed (f CMPF_OK), else failed with f's name. */
static void
revoke_end(const CMPD_MSG *req, enum cmp_fail f)
{
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	const unsigned char *t = ASN1_STRING_get0_data(tid);
	size_t n = (size_t)ASN1_STRING_length(tid);

	if (store_tx_settle(t, n, 0, f == CMPF_OK ? "confirmed" : "failed") ==
	    DB_OK && f != CMPF_OK)
		(void)store_tx_failure(t, n, 0, cmp_error_def(f)->name);
}

/*
 * The rr's connector call failed. When the CA cannot have revoked (no
 * byte of the request left cmpd, or it refused: 4xx but 400, 404;
 * conn_refused()), the certificate takes back its status. Otherwise (no
 * answer in time, 5xx, a 400, an answer that makes no sense) it may
 * have: the certificate stays
 * 'revoke_pending' and the sweep revokes it, which is what the client
 * asked for; revocation is idempotent.
 */
static void
revoke_failed(const struct profile *p, const struct store_cert *sc,
    const char *reason, const struct conn_result *res)
{
	int refused = conn_refused(res);

	log_warn("PN=%s connector revoke: %s (HTTP %ld): %s", p->cmp_name,
	    conn_status_name(res->status), res->http_status, res->message);
	if (!refused)
		log_warn("PN=%s: certificate %s: the CA may have revoked it; "
		    "it stays revoke_pending, the sweep revokes it",
		    p->cmp_name, sc->uuid);
	else if (store_revoke_undo(sc->uuid, reason, sc->status,
	    sc->reason) != DB_OK)
		log_error("PN=%s: certificate %s: the CA did not revoke it, "
		    "but it stays revoke_pending: the sweep revokes it",
		    p->cmp_name, sc->uuid);
}

/*
 * The CA has not revoked yet: it said pending, or the call was cut at the
 * CMP Profile's synchronous budget after it was sent. Revocation is
 * idempotent (409 "already revoked" counts as done), so asking again on
 * the client's pollReq finds out; a worker never waits longer than the
 * budget.
 */
static int
revoke_pending(const struct profile *p, const struct conn_result *res)
{
	return res->status == CONN_PENDING || cmp_ca_cut(p, res);
}

/*
 * The CA revokes later: RFC 9810 5.3.22 answers a request other than a
 * certificate request "waiting" in an error message; its senderNonce is
 * what the pollReq echoes. Recorded before it leaves.
 */
static CMPD_MSG *
revoke_waiting(const CMPD_MSG *req, const X509_NAME *srv,
    const struct store_cert *sc, const char *reason, enum cmp_fail *fail)
{
	CMPD_MSG *m;
	int r;

	*fail = CMPF_INTERNAL;
	if ((m = cmp_msg_waiting_new(req->header, srv, "the certificate "
	    "authority has not revoked the certificate yet")) == NULL)
		return NULL;
	if ((r = store_rr_wait(req->header->transactionID, sc->uuid, reason,
	    m->header->senderNonce, CMPD_CHECK_AFTER, CMPD_POLL_ABANDON)) !=
	    DB_OK) {
		/* DB_NOTFOUND: a sweep took the revocation up meanwhile */
		*fail = r == DB_NOTFOUND ? CMPF_RR_REVOKED :
		    CMPF_DB_UNAVAILABLE;
		goto err;
	}
	*fail = CMPF_OK;
	return m;
 err:
	CMPD_MSG_free(m);
	return NULL;
}

/*
 * removeFromCRL (RFC 5280 5.3.1): the CA takes a certificate off hold.
 * Only a certificate revoked with reason certificateHold can be; the
 * connector is asked to "revoke" with reason removeFromCRL (doc/api.md).
 * Not cut into delayed delivery: a CA that has not released it within
 * the budget is asked again by the client's next rr. Nothing is written
 * before the CA is asked: until the inventory says valid, the
 * certificate is held revoked, so a release the CA made and the
 * inventory missed only refuses more than it should, until the client's
 * next release.
 */
static CMPD_MSG *
revoke_release(const CMPD_MSG *req, const struct profile *p,
    const X509_NAME *srv, const struct store_cert *sc, int held,
    enum cmp_fail *fail, char *arg, size_t arglen)
{
	struct conn_target target;
	struct conn_result res;
	CMPD_MSG *rsp = NULL;
	char status[32], reason[32];
	int r;

	memset(&res, 0, sizeof(res));
	if (!held) {
		*fail = CMPF_RR_NOT_ON_HOLD;
		return NULL;
	}
	cmp_ca_target(p, 1, &target);
	target.timeout_ms = cmp_ca_budget_ms(p);
	if (conn_revoke(&target, sc->cert, reasons[REASON_RELEASE], &res) ==
	    0 && revoke_pending(p, &res)) {
		*fail = CMPF_RR_RELEASE_LATER;
	} else if (res.status != CONN_OK || res.already_revoked) {
		/* "Already revoked" (409) settles a revocation, but refuses
		 * a release: the CA holds it revoked for good, and so the
		 * inventory keeps it revoked. */
		if (res.already_revoked)
			res.status = CONN_REJECTED;
		*fail = cmp_ca_conn_fail(&res, arg, arglen);
		log_warn("PN=%s connector release: %s (HTTP %ld): %s",
		    p->cmp_name, conn_status_name(res.status),
		    res.http_status, res.message);
	} else if ((r = store_cert_released(sc->uuid)) == DB_NOTFOUND &&
	    (store_cert_state(sc->uuid, status, sizeof(status), reason,
	    sizeof(reason)) != DB_OK || strcmp(status, "issued") != 0)) {
		/* On hold in the inventory no more since it was read, and
		 * not released by another request either: the API revoked
		 * it for good meanwhile, and that revocation, owed, reaches
		 * the CA after this release. Not answered accepted. */
		log_warn("PN=%s: certificate %s released at the CA, but "
		    "revoked for good in the inventory meanwhile",
		    p->cmp_name, sc->uuid);
		*fail = CMPF_RR_NOT_ON_HOLD;
	} else if (r != DB_OK && r != DB_NOTFOUND) {
		/* Not answered accepted: the client asks again, and the CA,
		 * which has released it already, says so again (a release
		 * is idempotent); then the inventory follows. Meanwhile it
		 * holds the certificate revoked, the safer way round. */
		log_error("PN=%s: certificate %s off hold at the CA but not "
		    "marked so; the client's next release marks it",
		    p->cmp_name, sc->uuid);
		*fail = CMPF_DB_UNAVAILABLE;
	} else if ((rsp = revoke_answer(req, srv, sc->cert)) != NULL)
		*fail = CMPF_OK;
	conn_result_free(&res);
	return rsp;
}

/*
 * rr. Returns the rp, or NULL with *fail set (an error body answers).
 * verified_by_sig: the request's signature was verified (cmp_server.c).
 */
CMPD_MSG *
cmp_revoke(const CMPD_MSG *req, struct profile *p, const X509_NAME *srv,
    int verified_by_sig, enum cmp_fail *fail, char *arg, size_t arglen)
{
	STACK_OF(CMPD_REVDETAILS) *rr = req->body->value.rr;
	const CMPD_REVDETAILS *rd;
	const X509_NAME *issuer;
	const ASN1_INTEGER *serial;
	struct conn_target target;
	struct conn_result res;
	struct store_cert sc;
	CMPD_MSG *rsp = NULL;
	X509 *signer;
	int reason, held, r, begun = 0, waiting = 0;

	memset(&res, 0, sizeof(res));
	memset(&sc, 0, sizeof(sc));
	*fail = CMPF_INTERNAL;
	arg[0] = '\0';
	/* One certificate per request (the seed's rule). */
	if (sk_CMPD_REVDETAILS_num(rr) != 1) {
		*fail = CMPF_RR_NOT_ONE;
		goto out;
	}
	rd = sk_CMPD_REVDETAILS_value(rr, 0);
	issuer = OSSL_CRMF_CERTTEMPLATE_get0_issuer(rd->certDetails);
	serial = OSSL_CRMF_CERTTEMPLATE_get0_serialNumber(rd->certDetails);
	if (issuer == NULL || serial == NULL) {
		*fail = CMPF_RR_NO_CERT_ID;
		goto out;
	}
	if ((reason = revoke_reason(rd->crlEntryDetails)) < 0) {
		*fail = CMPF_RR_BAD_REASON;
		goto out;
	}
	if ((r = store_cert_find(issuer, serial, p->ra_uuid, &sc)) == DB_ERR) {
		*fail = CMPF_DB_UNAVAILABLE;
		goto out;
	}
	/* From here its transactionID is single-use, whatever the answer:
	 * an rr refused, replayed once its certificate or the signer's
	 * permissions changed, would act. */
	if ((*fail = revoke_begin(req, p, r == DB_OK ? sc.uuid : NULL)) !=
	    CMPF_OK)
		goto out;
	begun = 1;
	*fail = CMPF_INTERNAL;
	/* Unknown, or another RA Profile's: the same answer. */
	if (r == DB_NOTFOUND) {
		*fail = CMPF_RR_UNKNOWN_CERT;
		goto out;
	}
	signer = verified_by_sig && req->extraCerts != NULL ?
	    sk_X509_value(req->extraCerts, 0) : NULL;
	/* A signer whose revocation status is undetermined (no current CRL
	 * of its CA) may revoke its own certificate, nothing else. */
	if (signer != NULL && p->signer_crl_missing &&
	    X509_cmp(signer, sc.cert) != 0) {
		*fail = CMPF_SIGNER_CRL_UNAVAILABLE;
		goto out;
	}
	/* or an RA with the revoke permission, for any certificate of the
	 * RA Profile (RFC 9483 5.3.2) */
	if (signer == NULL || (X509_cmp(signer, sc.cert) != 0 &&
	    !((r = cmp_ra_perms(p)) > 0 && (r & RA_PERM_REVOKE)))) {
		*fail = signer != NULL && r < 0 ? CMPF_DB_UNAVAILABLE :
		    CMPF_RR_NOT_AUTHORIZED;
		goto out;
	}
	held = strcmp(sc.status, "revoked") == 0 &&
	    strcmp(sc.reason, reasons[REASON_HOLD]) == 0;
	if (reason == REASON_RELEASE) {
		rsp = revoke_release(req, p, srv, &sc, held, fail, arg, arglen);
		goto out;
	}
	if (strcmp(sc.status, "revoke_pending") == 0) {
		*fail = CMPF_RR_UNDER_WAY;
		goto out;
	}
	/* on hold: revocable for good, for any other reason */
	if (strcmp(sc.status, "issued") != 0 &&
	    !(held && reason != REASON_HOLD)) {
		*fail = CMPF_RR_REVOKED;
		goto out;
	}
	/* Written before the CA is asked (DESIGN invariant 1): from here
	 * the certificate authenticates no more, and should this worker
	 * die during the call, the sweep revokes it. */
	if ((r = store_revoke_intent(sc.uuid, reasons[reason], sc.status,
	    sc.reason, cmp_ca_settle_s())) != DB_OK) {
		*fail = r == DB_NOTFOUND ? CMPF_RR_UNDER_WAY :
		    CMPF_DB_UNAVAILABLE;
		goto out;
	}
	cmp_ca_target(p, 1, &target);
	target.timeout_ms = cmp_ca_budget_ms(p);
	if (conn_revoke(&target, sc.cert, reasons[reason], &res) == 0 &&
	    revoke_pending(p, &res)) {
		log_info("PN=%s: certificate %s: revocation %s; answered "
		    "waiting", p->cmp_name, sc.uuid,
		    res.status == CONN_PENDING ? "pending at the CA" :
		    "beyond the synchronous budget");
		/* the row waits for the client's pollReq */
		rsp = revoke_waiting(req, srv, &sc, reasons[reason], fail);
		waiting = rsp != NULL;
		goto out;
	}
	if (res.status != CONN_OK) {
		*fail = cmp_ca_conn_fail(&res, arg, arglen);
		revoke_failed(p, &sc, reasons[reason], &res);
		goto out;
	}
	if (store_revoke_result(sc.uuid, reasons[reason], NULL) != DB_OK)
		log_error("PN=%s: certificate %s revoked at the CA, still "
		    "revoke_pending here: the sweep records it", p->cmp_name,
		    sc.uuid);
	if ((rsp = revoke_answer(req, srv, sc.cert)) != NULL)
		*fail = CMPF_OK;
 out:
	if (begun && !waiting)
		revoke_end(req, *fail);
	X509_free(sc.cert);
	conn_result_free(&res);
	ERR_clear_error();
	return rsp;
}

/*
 * pollReq for a waiting rr (cmp_poll.c found the row, checked requester,
 * certReqId -1 and nonce). The revocation call is repeated: revoke is
 * idempotent, and "already revoked" is what was asked for. Revoked (here
 * or by the sweep): the rp. Still pending: NULL with *fail CMPF_OK (the
 * caller answers pollRep). Refused: NULL with the error; the certificate
 * stays 'revoke_pending' for the sweep.
 */
CMPD_MSG *
cmp_revoke_poll(const CMPD_MSG *req, struct profile *p, const X509_NAME *srv,
    struct store_tx *t, enum cmp_fail *fail, char *arg, size_t arglen)
{
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	char status[16], reason[32];
	struct conn_target target;
	struct conn_result res;
	CMPD_MSG *rsp = NULL;

	memset(&res, 0, sizeof(res));
	*fail = CMPF_INTERNAL;
	if (store_tx_cert(t) == NULL)
		goto out;
	if (store_cert_state(t->cert_uuid, status, sizeof(status), reason,
	    sizeof(reason)) != DB_OK) {
		*fail = CMPF_DB_UNAVAILABLE;
		goto out;
	}
	/* Only a revocation the rr was allowed, and written before its CA
	 * was asked (store_revoke_intent), is asked again. */
	if (strcmp(status, "revoke_pending") != 0 &&
	    strcmp(status, "revoked") != 0) {
		snprintf(arg, arglen, "-1");
		*fail = CMPF_POLL_NOT_WAITING;
		goto out;
	}
	if (strcmp(status, "revoked") != 0) {
		cmp_ca_target(p, 1, &target);
		target.timeout_ms = cmp_ca_budget_ms(p);
		if (conn_revoke(&target, t->cert, reason, &res) == 0 &&
		    revoke_pending(p, &res)) {
			*fail = CMPF_OK;	/* pollRep */
			goto out;
		}
		if (res.status != CONN_OK) {
			*fail = cmp_ca_conn_fail(&res, arg, arglen);
			log_warn("PN=%s connector revoke (polled): %s (HTTP "
			    "%ld): %s; the sweep retries", p->cmp_name,
			    conn_status_name(res.status), res.http_status,
			    res.message);
			(void)store_revoke_result(t->cert_uuid, reason,
			    res.message);
			if (store_tx_set_state(tid, t->pos, "failed") == DB_OK) {
				char why[CMP_TEXT_MAX];

				cmp_error_format(*fail, why, sizeof(why),
				    p->cmp_name, arg);
				(void)store_tx_failure(ASN1_STRING_get0_data(tid),
				    (size_t)ASN1_STRING_length(tid), t->pos, why);
			}
			goto out;
		}
		if (store_revoke_result(t->cert_uuid, reason, NULL) != DB_OK)
			log_error("PN=%s: certificate %s revoked at the CA but "
			    "not marked so; the sweep does", p->cmp_name,
			    t->cert_uuid);
	}
	if (store_tx_set_state(tid, t->pos, "confirmed") != DB_OK) {
		*fail = CMPF_DB_UNAVAILABLE;
		goto out;
	}
	if ((rsp = revoke_answer(req, srv, t->cert)) != NULL)
		*fail = CMPF_OK;
 out:
	conn_result_free(&res);
	ERR_clear_error();
	return rsp;
}
