/*
 * Certificate enrollment (ir, cr, kur, p10cr: RFC 9810 5.3.1, 5.3.3,
 * 5.3.4, 5.3.5) through the RA Profile's authority connector. Each
 * CertReqMsg of a message is checked and issued on its own; the answer has
 * one CertResponse per certReqId. What is asked is stored before the CA
 * is asked, the certificates before the answer leaves; their confirmation
 * (cmp_confirm.c) may arrive at any worker, and the sweep (cmp_sweep.c)
 * settles what a crash left behind.
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
#include "cmp_enroll_check.h"
#include "conn.h"
#include "store.h"

/* The revocation reason for certificates the client did not accept. */
#define REASON_UNCONFIRMED	STORE_REASON_UNDELIVERED

/* generalInfo of the request asks for implicit confirmation (5.1.1.1). */
static int
enroll_wants_implicit(const CMPD_HEADER *h)
{
	int i;

	for (i = 0; i < sk_CMPD_ITAV_num(h->generalInfo); i++)
		if (OBJ_obj2nid(sk_CMPD_ITAV_value(h->generalInfo,
		    i)->infoType) == NID_id_it_implicitConfirm)
			return 1;
	return 0;
}

static int
enroll_add_itav(CMPD_HEADER *h, int nid, ASN1_TYPE *value)
{
	CMPD_ITAV *it;

	if (h->generalInfo == NULL &&
	    (h->generalInfo = sk_CMPD_ITAV_new_null()) == NULL)
		return -1;
	if ((it = CMPD_ITAV_new()) == NULL)
		return -1;
	it->infoType = OBJ_nid2obj(nid);
	it->infoValue = value;
	if (!sk_CMPD_ITAV_push(h->generalInfo, it)) {
		CMPD_ITAV_free(it);
		return -1;
	}
	return 0;
}

/* implicitConfirm granted (NULL value), or the confirmWaitTime (5.1.1.2). */
int
cmp_enroll_general_info(CMPD_HEADER *h, int implicit, int wait)
{
	ASN1_TYPE *v;

	if ((v = ASN1_TYPE_new()) == NULL)
		return -1;
	if (implicit)
		ASN1_TYPE_set(v, V_ASN1_NULL, NULL);
	else
		ASN1_TYPE_set(v, V_ASN1_GENERALIZEDTIME,
		    ASN1_GENERALIZEDTIME_adj(NULL, time(NULL), 0, wait));
	if ((!implicit && v->value.generalizedtime == NULL) ||
	    enroll_add_itav(h, implicit ? NID_id_it_implicitConfirm :
	    NID_id_it_confirmWaitTime, v) != 0) {
		ASN1_TYPE_free(v);
		return -1;
	}
	return 0;
}

/* The failure's statusString, as cmp_server.c writes it. */
static void
enroll_fail_text(const struct enroll_item *it, const char *pn, char *buf,
    size_t n)
{
	if (strncmp(cmp_error_def(it->fail)->text, "PN=%s", 5) == 0)
		cmp_error_format(it->fail, buf, n, pn, it->text);
	else
		cmp_error_format(it->fail, buf, n, it->text, NULL);
}

/*
 * ip/cp/kup with one CertResponse per item, in the request's order
 * (RFC 9810 5.3.4): accepted ones carry their certificate (and a key
 * generated for them, taken from the item: pvno 3, RFC 9810 7), rejected
 * ones their failInfo and text. Chains and caPubs: cmp_chain_answer().
 */
static CMPD_MSG *
enroll_answer(const CMPD_MSG *req, const X509_NAME *srv,
    struct enroll_item *items, size_t nitems, const char *pn)
{
	const struct cmp_fail_def *d;
	CMPD_CERTRESPONSE *cr = NULL;
	CMPD_CERTREPMSG *rep;
	char buf[CMP_TEXT_MAX];
	CMPD_MSG *m;
	size_t k;

	if ((m = cmp_msg_response_new(req->header, srv,
	    cmp_msg_rep_type(cmp_msg_body_type(req)))) == NULL)
		return NULL;
	if ((rep = m->body->value.ip = CMPD_CERTREPMSG_new()) == NULL)
		goto err;
	for (k = 0; k < nitems; k++) {
		struct enroll_item *it = &items[k];

		if ((cr = CMPD_CERTRESPONSE_new()) == NULL ||
		    !ASN1_INTEGER_set(cr->certReqId, it->rid))
			goto err;
		CMPD_PKISI_free(cr->status);
		if (it->fail != CMPF_OK) {
			d = cmp_error_def(it->fail);
			enroll_fail_text(it, pn, buf, sizeof(buf));
			if ((cr->status = cmp_msg_pkisi_new(d->status,
			    d->failbit, buf)) == NULL)
				goto err;
		} else if (it->waiting) {
			/* RFC 9810 5.3.22, RFC 9483 4.4: no certificate yet;
			 * the client polls with this certReqId */
			if ((cr->status = cmp_msg_pkisi_new(
			    CMPD_PKISTATUS_WAITING, -1, NULL)) == NULL)
				goto err;
		} else {
			if ((cr->status = cmp_msg_pkisi_new(
			    CMPD_PKISTATUS_ACCEPTED, -1, NULL)) == NULL ||
			    (cr->certifiedKeyPair =
			    CMPD_CERTIFIEDKEYPAIR_new()) == NULL)
				goto err;
			cr->certifiedKeyPair->certOrEncCert->type =
			    CMPD_CERTORENCCERT_CERTIFICATE;
			/* a reference, not a copy (a copy decodes again) */
			if (!X509_up_ref(it->res.certificate))
				goto err;
			cr->certifiedKeyPair->certOrEncCert->value.certificate =
			    it->res.certificate;
			if (it->ckg != NULL) {
				cr->certifiedKeyPair->privateKey = it->ckg;
				it->ckg = NULL;
				if (!ASN1_INTEGER_set(m->header->pvno,
				    CMPD_PVNO_CMP2021))
					goto err;
			}
		}
		if (!sk_CMPD_CERTRESPONSE_push(rep->response, cr))
			goto err;
		cr = NULL;
	}
	return m;
 err:
	CMPD_CERTRESPONSE_free(cr);
	CMPD_MSG_free(m);
	return NULL;
}

/*
 * The template's public key as sent and its SHA-256 into the request's row
 * (r->spki_der: the caller frees it): 0, or -1 if none.
 */
static int
enroll_spki(const OSSL_CRMF_CERTTEMPLATE *tmpl, struct store_req *r)
{
	unsigned char *der;
	size_t n;

	if ((der = spki_template_der(tmpl, &n)) == NULL)
		return -1;
	if (!EVP_Digest(der, n, r->spki, NULL, EVP_sha256(), NULL)) {
		OPENSSL_free(der);
		return -1;
	}
	r->spki_der = der;
	r->spki_len = n;
	return 0;
}

/* The certificate's serial in hex, for log lines. */
void
cmp_enroll_serial(X509 *cert, char *buf, size_t n)
{
	BIGNUM *bn;
	char *hex = NULL;

	snprintf(buf, n, "?");
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) !=
	    NULL && (hex = BN_bn2hex(bn)) != NULL)
		snprintf(buf, n, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

/* Failure texts of a transaction whose certificate was not delivered. */
#define ENROLL_NOT_KEPT	"the certificate could not be kept, so it was " \
	"not delivered; revoked at the CA"
#define ENROLL_WRONG_KEY "the certificate authority issued a certificate " \
	"for another public key; not delivered, revoked at the CA"
#define ENROLL_WRONG_ISSUER "the certificate authority answered with a " \
	"certificate that none of its CA certificates issued; not " \
	"delivered, revoked through the connector"

/*
 * A certificate the CA issued for transaction tid that its client will
 * not get (no answer could be built, it is too large to keep, it could
 * not be stored, or it is for another key than the request's). Nothing
 * may stay valid at the CA unknown to cmpd: it is recorded as
 * revoke_pending and revoked; when even that record fails, it is revoked
 * now and the transaction stays 'issuing', so that the sweep asks the CA
 * for it (by request id) and records it. A certificate the inventory
 * holds already is another transaction's: left as it is. why: the
 * transaction's failure text (GET /cmpTransactions).
 */
static void
enroll_discard(const ASN1_OCTET_STRING *tid, int pos, X509 *cert,
    const char *conn_uuid, const struct profile *p, const char *request_id,
    const char *why)
{
	struct conn_target target;
	struct conn_result res;
	char cert_uuid[CMPD_UUID_LEN + 1], serial[80];
	int recorded;

	memset(&res, 0, sizeof(res));
	cmp_enroll_serial(cert, serial, sizeof(serial));
	recorded = i2d_X509(cert, NULL) <= STORE_CERT_MAX &&
	    store_unrecorded(tid, pos, cert, p, conn_uuid, cert_uuid) == DB_OK;
	/* The inventory had it: the sweep's, revoked there, or another
	 * transaction's, which keeps it. */
	if (recorded && cert_uuid[0] == '\0') {
		log_info("PN=%s: certificate %s (requestId=%s) is in the "
		    "inventory already: left as it is", p->cmp_name, serial,
		    request_id);
		if (store_tx_set_state(tid, pos, "failed") == DB_OK)
			(void)store_tx_failure(ASN1_STRING_get0_data(tid),
			    (size_t)ASN1_STRING_length(tid), pos, "the "
			    "certificate authority answered with a certificate "
			    "the inventory holds already; not delivered");
		return;
	}
	/* failed with it (store_unrecorded): why, also if the revocation
	 * below is left to the sweep */
	if (recorded)
		(void)store_tx_failure(ASN1_STRING_get0_data(tid),
		    (size_t)ASN1_STRING_length(tid), pos, why);
	cmp_ca_target(p, 1, &target);
	if (conn_revoke(&target, cert, REASON_UNCONFIRMED, &res) == 0 &&
	    res.status == CONN_OK) {
		metrics_revocation(res.already_revoked ? METRICS_REV_ALREADY :
		    METRICS_REV_REVOKED);
		if (recorded)
			store_revoke_result(cert_uuid, REASON_UNCONFIRMED,
			    NULL);
		else if (store_tx_set_state(tid, pos, "failed") != DB_OK)
			log_warn("PN=%s: certificate %s revoked; requestId=%s "
			    "stays issuing for the sweep", p->cmp_name,
			    serial, request_id);
		else
			(void)store_tx_failure(ASN1_STRING_get0_data(tid),
			    (size_t)ASN1_STRING_length(tid), pos, why);
	} else {
		metrics_revocation(METRICS_REV_FAILED);
		if (recorded) {
			log_warn("PN=%s: revoking undelivered certificate %s "
			    "failed: %s; the sweep retries", p->cmp_name,
			    cert_uuid, res.message);
			store_revoke_result(cert_uuid, REASON_UNCONFIRMED,
			    res.message);
		} else
			log_error("PN=%s: certificate %s (requestId=%s) is "
			    "valid at the CA and not recorded: %s; the "
			    "transaction stays issuing for the sweep",
			    p->cmp_name, serial, request_id, res.message);
	}
	conn_result_free(&res);
}

/*
 * The CA answered a request with a certificate for another public key
 * (a connector that mixed up two requests: its holder could not use it,
 * and the key's owner must not get a certificate it never asked for
 * through this transaction), or one that none of the CA's certificates
 * issued (f CMPF_CERT_ISSUER_MISMATCH: cmp_chain_issued). Not
 * delivered; revoked like any certificate that is not (enroll_discard).
 */
static void
enroll_wrong_cert(const ASN1_OCTET_STRING *tid, struct enroll_item *it,
    const struct profile *p, const char *request_id, enum cmp_fail f)
{
	int key = f == CMPF_CERT_KEY_MISMATCH;
	char serial[80];

	cmp_enroll_serial(it->res.certificate, serial, sizeof(serial));
	log_error("PN=%s: requestId=%s: the CA's certificate %s is %s; not "
	    "delivered", p->cmp_name, request_id, serial, key ? "for another "
	    "public key than the request's" : "issued by none of the CA's "
	    "certificates");
	enroll_discard(tid, it->pos, it->res.certificate, it->res.uuid, p,
	    request_id, key ? ENROLL_WRONG_KEY : ENROLL_WRONG_ISSUER);
	it->fail = f;
}

/*
 * A generated key is delivered with its certificate or never: a request
 * the CA has not decided within the budget fails, its row left issuing
 * for the sweep, which revokes what the CA issues for it.
 */
static void
enroll_ckg_late(const struct profile *p, struct enroll_item *items, int n,
    const struct store_req *rq)
{
	int i;

	for (i = 0; i < n; i++)
		if (items[i].ckg != NULL && items[i].waiting) {
			log_warn("PN=%s: requestId=%s: a generated key is not "
			    "delivered later; the sweep revokes what the CA "
			    "issues for it", p->cmp_name,
			    rq[items[i].pos].request_id);
			items[i].waiting = 0;
			items[i].fail = CMPF_CKG_LATE;
			items[i].pos = -1;
		}
}

/* Rows for the requests that passed their checks, in message order. */
static int
enroll_plan(struct enroll_item *items, int n, struct store_req *rq, int *k)
{
	struct enroll_item *it;
	int i;

	*k = 0;
	for (i = 0; i < n; i++) {
		it = &items[i];
		if (it->fail != CMPF_OK)
			continue;
		rq[*k].cert_req_id = it->rid;
		if (util_uuid4(rq[*k].request_id) != 0)
			return -1;
		rq[*k].has_spki = enroll_spki(OSSL_CRMF_MSG_get0_tmpl(
		    it->crm), &rq[*k]) == 0;
		it->pos = (*k)++;
	}
	return 0;
}

/*
 * Before the CA is asked: a place among connector_workers_max for the
 * whole exchange (caCertificates, every issue, a revocation if storing
 * fails; none free: answered now, before anything is stored), the
 * issuing chain for the answer, and what is asked committed (invariant
 * 1): every request's row at once. *gated tells the caller to leave the
 * place.
 */
static enum cmp_fail
enroll_begin(const CMPD_MSG *req, const unsigned char *der, size_t len,
    const struct profile *p, const struct store_req *rq, int k, int ra,
    struct conn_target *target, STACK_OF(X509) **ca_chain, int *gated)
{
	struct cmp_requester who;
	unsigned char digest[32];
	int r;

	if (!EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL) ||
	    cmp_protect_requester(req, p, &who) != 0)
		return CMPF_INTERNAL;
	/* what its follow-ups need still (cmp_requester_check) */
	who.ra = ra;
	if (metrics_conn_enter_wait(METRICS_CONN_WAIT_MS) != 0) {
		log_warn("PN=%s: connector_workers_max workers are in "
		    "connector calls; answered busy", p->cmp_name);
		return CMPF_CA_BUSY;
	}
	*gated = 1;
	cmp_ca_target(p, 0, target);
	/* Asked first, so that nothing but local work stands between the
	 * issue calls and the record of their certificates. */
	*ca_chain = cmp_ca_chain(p, NULL, NULL);
	r = store_tx_begin(req, p, digest, rq, (size_t)k, &who);
	if (r == DB_DUP)
		return CMPF_TID_IN_USE;
	return r == DB_OK ? CMPF_OK : CMPF_DB_UNAVAILABLE;
}

/*
 * The CA asked for every planned request. A request it refused, or that
 * was never sent, is failed (conn_refused()); one whose fate is unknown
 * (a timeout, a 5xx, a 400, an unreadable answer) stays issuing for the sweep to ask by request
 * id. One the CA answered pending, or did not answer within the CMP
 * Profile's synchronous budget, waits (delayed delivery, RFC 9810
 * 5.3.22): the client polls, and the CA is asked by request id. A
 * certificate too large for the inventory is not delivered and not kept
 * valid.
 */
static void
enroll_issue(const ASN1_OCTET_STRING *tid, int type, struct profile *p,
    const struct conf *c, struct conn_target *target,
    STACK_OF(X509) *ca_chain, struct enroll_item *items, int n,
    const struct store_req *rq)
{
	struct enroll_item *it;
	int i, r, asked = 0;

	for (i = 0; i < n; i++) {
		it = &items[i];
		if (it->pos < 0)
			continue;
		/* after another call: the row's age counts from this one */
		if (asked++ > 0 && (r = store_tx_reissue(tid, it->pos)) !=
		    DB_OK) {
			log_warn("PN=%s: requestId=%s not sent to the CA: %s",
			    p->cmp_name, rq[it->pos].request_id,
			    r == DB_NOTFOUND ? "the sweep settled it meanwhile" :
			    "its row could not be updated");
			it->fail = r == DB_NOTFOUND ? CMPF_CA_UNAVAILABLE :
			    CMPF_DB_UNAVAILABLE;
			it->pos = -1;
			continue;
		}
		/* No worker is held longer by a slow CA than the budget, for
		 * all its calls together: each gets what is left of it (at
		 * least the minimum a call needs). */
		target->timeout_ms = cmp_ca_budget_ms(p);
		target->request_id = rq[it->pos].request_id;
		target->ra_verified = it->ra_verified;
		target->meta = it->old_meta;
		if ((it->old != NULL ? conn_renew(target, it->one,
		    (size_t)it->n, "crmf", it->old, &it->res) :
		    conn_issue(target, it->one, (size_t)it->n,
		    type == CMPD_BODY_P10CR ? "pkcs10" : "crmf", &it->res)) ==
		    0 && it->res.status == CONN_OK) {
			if (i2d_X509(it->res.certificate, NULL) >
			    STORE_CERT_MAX) {
				enroll_discard(tid, it->pos,
				    it->res.certificate, it->res.uuid, p,
				    rq[it->pos].request_id, ENROLL_NOT_KEPT);
				it->fail = CMPF_CERT_TOO_LARGE;
				it->pos = -1;
			} else if (rq[it->pos].has_spki &&
			    !spki_cert_has_key(it->res.certificate,
			    rq[it->pos].spki, rq[it->pos].spki_der,
			    rq[it->pos].spki_len)) {
				enroll_wrong_cert(tid, it, p,
				    rq[it->pos].request_id,
				    CMPF_CERT_KEY_MISMATCH);
				it->pos = -1;
			} else if (!cmp_chain_issued(it->res.certificate,
			    ca_chain)) {
				enroll_wrong_cert(tid, it, p,
				    rq[it->pos].request_id,
				    CMPF_CERT_ISSUER_MISMATCH);
				it->pos = -1;
			}
			continue;
		}
		if (it->res.status == CONN_PENDING ||
		    cmp_ca_cut(p, &it->res)) {
			log_info("PN=%s: requestId=%s %s: the client polls",
			    p->cmp_name, rq[it->pos].request_id,
			    it->res.status == CONN_PENDING ? "pending at the CA" :
			    "beyond the synchronous budget");
			it->waiting = 1;
			continue;
		}
		it->fail = cmp_ca_conn_fail(&it->res, it->text,
		    sizeof(it->text));
		log_warn("PN=%s connector issue: %s (HTTP %ld): %s", p->cmp_name,
		    conn_status_name(it->res.status), it->res.http_status,
		    it->res.message);
		if (conn_refused(&it->res)) {
			char why[CMP_TEXT_MAX];

			enroll_fail_text(it, p->cmp_name, why, sizeof(why));
			if (store_tx_set_state(tid, it->pos, "failed") == DB_OK)
				(void)store_tx_failure(ASN1_STRING_get0_data(tid),
				    (size_t)ASN1_STRING_length(tid), it->pos, why);
		} else
			log_warn("PN=%s: requestId=%s stays issuing until the "
			    "sweep asks the CA", p->cmp_name,
			    rq[it->pos].request_id);
		X509_free(it->res.certificate);
		it->res.certificate = NULL;
		it->pos = -1;
	}
}

struct enroll_store_arg {
	const ASN1_OCTET_STRING *tid;
	const struct profile *p;
	const CMPD_MSG *rsp;
	struct enroll_item *items;
	int	 n, implicit, wait;
};

static int
enroll_store_run(void *arg)
{
	const struct enroll_store_arg *x = arg;
	struct enroll_item *it;
	int i, r;

	for (i = 0; i < x->n; i++) {
		it = &x->items[i];
		if (it->pos < 0)
			continue;
		if (it->waiting) {
			if (store_tx_wait(x->tid, it->pos, NULL,
			    x->rsp->header->senderNonce, CMPD_CHECK_AFTER,
			    CMPD_POLL_ABANDON, x->implicit) != DB_OK)
				return CMPF_DB_UNAVAILABLE;
			continue;
		}
		if ((r = store_issued(x->tid, it->pos, it->res.certificate,
		    x->p, it->res.uuid, it->res.meta, NULL,
		    x->rsp->header->senderNonce, x->implicit, x->wait,
		    it->cert_uuid)) != DB_OK)
			return r == STORE_TOO_LONG ? CMPF_CERT_TOO_LARGE :
			    CMPF_DB_UNAVAILABLE;
	}
	return CMPF_OK;
}

/* Every certificate of the answer stored before it leaves, all or none
 * (DESIGN invariant 3), run again as a whole after a deadlock or a lost
 * node (db_txn). One issued certificate alone is one database
 * transaction by itself, in one round trip (store_issued). */
static enum cmp_fail
enroll_store(const ASN1_OCTET_STRING *tid, const struct profile *p,
    const CMPD_MSG *rsp, struct enroll_item *items, int n, int implicit,
    int wait)
{
	struct enroll_store_arg x = { tid, p, rsp, items, n, implicit, wait };
	int i, issued = 0, waiting = 0, r;

	for (i = 0; i < n; i++)
		if (items[i].pos >= 0) {
			if (items[i].waiting)
				waiting++;
			else
				issued++;
		}
	if (issued == 1 && waiting == 0)
		r = enroll_store_run(&x);
	else
		r = db_txn(enroll_store_run, &x);
	return r == DB_ERR ? CMPF_DB_UNAVAILABLE : (enum cmp_fail)r;
}

/*
 * ir, cr, kur or p10cr. Returns the answer, or NULL with *fail and *text
 * set (the caller builds the rejection): a message-wide failure, or the
 * one request of a message with one. With several, each request's
 * rejection is its own CertResponse. *fail CMPF_OK with NULL: internal
 * error. pn: the profile name of the URL, for texts.
 */
CMPD_MSG *
cmp_enroll(const CMPD_MSG *req, const unsigned char *der, size_t len,
    struct profile *p, const X509_NAME *srv, const struct conf *c,
    const char *pn, enum cmp_fail *fail, char *text, size_t textlen)
{
	int type = cmp_msg_body_type(req);
	OSSL_CRMF_MSGS *reqs = type == CMPD_BODY_IR ? req->body->value.ir :
	    type == CMPD_BODY_KUR ? req->body->value.kur :
	    type == CMPD_BODY_CR ? req->body->value.cr : NULL;
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	struct enroll_item *items = NULL;
	struct store_req *rq = NULL;
	struct conn_target target;
	STACK_OF(X509) *ca_chain = NULL;
	STACK_OF(ASN1_UTF8STRING) *profiles = NULL;
	CMPD_MSG *rsp = NULL;
	int i, n, k = 0, implicit, wait, gated = 0, ra = 0, unknown = 0;

	*fail = CMPF_INTERNAL;
	text[0] = '\0';
	memset(&target, 0, sizeof(target));
	n = type == CMPD_BODY_P10CR ? 1 : sk_OSSL_CRMF_MSG_num(reqs);
	if ((*fail = cmp_enroll_count(req, p, n, text, textlen)) != CMPF_OK)
		return NULL;
	*fail = CMPF_INTERNAL;
	if ((items = calloc((size_t)n, sizeof(*items))) == NULL ||
	    (rq = calloc((size_t)n, sizeof(*rq))) == NULL)
		goto out;
	if ((*fail = cmp_enroll_requests(req, reqs, items, n, text,
	    textlen)) != CMPF_OK ||
	    (*fail = cmp_certprofile_get(req->header, n, &profiles, text,
	    textlen)) != CMPF_OK)
		goto out;
	for (i = 0; i < n; i++) {
		items[i].pos = -1;
		cmp_enroll_check(req, p, profiles, i, &items[i]);
	}
	/* One request: refused as a whole, as ever. */
	if (n == 1 && items[0].fail != CMPF_OK)
		goto refused;
	*fail = CMPF_INTERNAL;
	if (enroll_plan(items, n, rq, &k) != 0)
		goto out;
	if (k > 0) {
		for (i = 0; i < n; i++)
			if (items[i].fail == CMPF_OK)
				ra |= items[i].ra;
		if ((*fail = enroll_begin(req, der, len, p, rq, k, ra, &target,
		    &ca_chain, &gated)) != CMPF_OK)
			goto out;
		enroll_issue(tid, type, p, c, &target, ca_chain, items, n,
		    rq);
		enroll_ckg_late(p, items, n, rq);
	}
	if (n == 1 && items[0].fail != CMPF_OK)
		goto refused;

	*fail = CMPF_INTERNAL;
	implicit = enroll_wants_implicit(req->header) &&
	    p->implicit_confirm_allowed;
	wait = p->confirm_wait_time > 0 ? p->confirm_wait_time :
	    c->confirm_wait_time;
	if ((rsp = enroll_answer(req, srv, items, (size_t)n, pn)) == NULL ||
	    cmp_enroll_general_info(rsp->header, implicit, wait) != 0 ||
	    cmp_chain_answer(rsp, req, p, ca_chain) != 0)
		goto discard;
	if (k > 0 && (*fail = enroll_store(tid, p, rsp, items, n, implicit,
	    wait)) != CMPF_OK) {
		unknown = db_txn_commit_unknown();
		goto discard;
	}
	*fail = CMPF_OK;
	goto out;
 refused:
	*fail = items[0].fail;
	snprintf(text, textlen, "%s", items[0].text);
	goto out;
 discard:
	/* Issued but not delivered: nothing half-stored may stay valid. */
	CMPD_MSG_free(rsp);
	rsp = NULL;
	/*
	 * The write may have committed (its answer lost with the connection,
	 * the database unreachable since): neither revoked now nor recorded
	 * again, which would leave the inventory holding as valid what the
	 * CA revoked. The sweep finds each transaction as the database holds
	 * it: still 'issuing' (asked at the CA, recorded and revoked) or
	 * waiting for a certConf that will not come (revoked past its
	 * deadline); confirmed implicitly, its certificate stays valid at
	 * both, as one whose answer was lost on its way.
	 */
	if (unknown) {
		log_error("PN=%s: storing the certificates failed and may have "
		    "committed; left to the sweep, not revoked now",
		    p->cmp_name);
		goto out;
	}
	/* A waiting row stays 'issuing': the sweep asks the CA. */
	for (i = 0; i < n; i++)
		if (items[i].pos >= 0 && !items[i].waiting)
			enroll_discard(tid, items[i].pos,
			    items[i].res.certificate, items[i].res.uuid, p,
			    rq[items[i].pos].request_id, ENROLL_NOT_KEPT);
 out:
	if (gated)
		metrics_conn_leave();
	for (i = 0; items != NULL && i < n; i++) {
		X509_free(items[i].old);
		free(items[i].old_meta);
		OPENSSL_free(items[i].one);
		OSSL_CRMF_MSG_free(items[i].own);
		conn_result_free(&items[i].res);
	}
	for (i = 0; items != NULL && i < n; i++)
		CMPD_ENCRYPTEDKEY_free(items[i].ckg);
	free(items);
	sk_ASN1_UTF8STRING_pop_free(profiles, ASN1_UTF8STRING_free);
	for (i = 0; rq != NULL && i < k; i++)
		OPENSSL_free(rq[i].spki_der);
	free(rq);
	ERR_clear_error();
	return rsp;
}
