/*
 * Certificate enrollment (ir, cr, kur: RFC 9810 5.3.1, 5.3.3, 5.3.5)
 * through the RA Profile's authority connector. What is asked is stored
 * before the CA is asked, the certificate before the answer leaves; its
 * confirmation (cmp_confirm.c) may arrive at any worker, and the sweep
 * (cmp_sweep.c) settles what a crash left behind.
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
static int
enroll_general_info(CMPD_HEADER *h, int implicit, int wait)
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

/* ip/cp/kup with one accepted CertResponse carrying cert. */
static CMPD_MSG *
enroll_answer(const CMPD_MSG *req, const X509_NAME *srv, long rid,
    X509 *cert)
{
	CMPD_CERTRESPONSE *cr = NULL;
	CMPD_CERTREPMSG *rep;
	CMPD_MSG *m;

	if ((m = cmp_msg_response_new(req->header, srv,
	    cmp_msg_rep_type(cmp_msg_body_type(req)))) == NULL)
		return NULL;
	if ((rep = m->body->value.ip = CMPD_CERTREPMSG_new()) == NULL ||
	    (cr = CMPD_CERTRESPONSE_new()) == NULL ||
	    !ASN1_INTEGER_set(cr->certReqId, rid))
		goto err;
	CMPD_PKISI_free(cr->status);
	if ((cr->status = cmp_msg_pkisi_new(CMPD_PKISTATUS_ACCEPTED, -1,
	    NULL)) == NULL ||
	    (cr->certifiedKeyPair = CMPD_CERTIFIEDKEYPAIR_new()) == NULL)
		goto err;
	cr->certifiedKeyPair->certOrEncCert->type = CMPD_CERTORENCCERT_CERTIFICATE;
	if ((cr->certifiedKeyPair->certOrEncCert->value.certificate =
	    X509_dup(cert)) == NULL)
		goto err;
	if (!sk_CMPD_CERTRESPONSE_push(rep->response, cr))
		goto err;
	cr = NULL;
	return m;
 err:
	CMPD_CERTRESPONSE_free(cr);
	CMPD_MSG_free(m);
	return NULL;
}

/* The template's public key equals the certificate's (kur: RFC 9810 5.3.5
 * asks for a new key). */
static int
enroll_same_key(const OSSL_CRMF_CERTTEMPLATE *tmpl, X509 *old)
{
	CMPD_CERTTEMPLATE *t = NULL;
	unsigned char *der = NULL;
	const unsigned char *q;
	int n, same = 0;

	if ((n = i2d_OSSL_CRMF_CERTTEMPLATE(tmpl, &der)) <= 0)
		return 0;
	q = der;
	if ((t = d2i_CMPD_CERTTEMPLATE(NULL, &q, n)) != NULL &&
	    t->publicKey != NULL)
		same = X509_PUBKEY_eq(t->publicKey, X509_get_X509_PUBKEY(old)) ==
		    1;
	CMPD_CERTTEMPLATE_free(t);
	OPENSSL_free(der);
	return same;
}

/*
 * kur (RFC 9810 5.3.5): the protection certificate is the certificate to
 * update. It must be in this RA Profile's inventory and still valid, the
 * oldCertID control, when present, must name it, and the new key must
 * differ. *old gets the inventory's copy.
 */
static enum cmp_fail
enroll_kur_check(const CMPD_MSG *req, const OSSL_CRMF_MSG *crm,
    const struct profile *p, X509 **old)
{
	const OSSL_CRMF_CERTID *oid;
	struct store_cert sc;
	X509 *signer;
	int r;

	*old = NULL;
	if (req->extraCerts == NULL || sk_X509_num(req->extraCerts) < 1)
		return CMPF_KUR_NOT_SIGNED;
	signer = sk_X509_value(req->extraCerts, 0);
	if ((r = store_cert_find(X509_get_issuer_name(signer),
	    X509_get0_serialNumber(signer), p->ra_uuid, &sc)) == DB_ERR)
		return CMPF_DB_UNAVAILABLE;
	if (r == DB_NOTFOUND || X509_cmp(signer, sc.cert) != 0) {
		X509_free(sc.cert);
		return CMPF_KUR_UNKNOWN_CERT;
	}
	if (strcmp(sc.status, "issued") != 0) {
		X509_free(sc.cert);
		return CMPF_RR_REVOKED;
	}
	if ((oid = OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm)) != NULL &&
	    (X509_NAME_cmp(OSSL_CRMF_CERTID_get0_issuer(oid),
	    X509_get_issuer_name(sc.cert)) != 0 ||
	    ASN1_INTEGER_cmp(OSSL_CRMF_CERTID_get0_serialNumber(oid),
	    X509_get0_serialNumber(sc.cert)) != 0)) {
		X509_free(sc.cert);
		return CMPF_KUR_OLDCERTID;
	}
	if (enroll_same_key(OSSL_CRMF_MSG_get0_tmpl(crm), sc.cert)) {
		X509_free(sc.cert);
		return CMPF_KUR_SAME_KEY;
	}
	*old = sc.cert;
	return CMPF_OK;
}

/* The same GeneralNames, in any order. */
static int
enroll_same_names(const GENERAL_NAMES *a, const GENERAL_NAMES *b)
{
	int i, j, n = sk_GENERAL_NAME_num(a);

	if (n != sk_GENERAL_NAME_num(b))
		return 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (GENERAL_NAME_cmp(sk_GENERAL_NAME_value(a, i),
			    sk_GENERAL_NAME_value(b, j)) == 0)
				break;
		if (j == n)
			return 0;
	}
	return 1;
}

/*
 * subjectPolicy signer: a request signed with a certificate asks for that
 * certificate's name only, its subject and, when the template names one,
 * its subjectAltName; otherwise a certificate bought on one profile would
 * buy certificates for anyone on every profile that trusts its CA.
 * MAC-protected requests and profiles with subjectPolicy any pass.
 */
static enum cmp_fail
enroll_subject_check(const CMPD_MSG *req, const OSSL_CRMF_CERTTEMPLATE *tmpl,
    const struct profile *p, char *text, size_t textlen)
{
	const X509_EXTENSIONS *exts;
	GENERAL_NAMES *want = NULL, *have = NULL;
	enum prot_method m;
	X509 *signer;
	int ok, crit = -1;

	if (p->subject_any || cmp_msg_prot_method(req->header, &m) != 0 ||
	    m != PROT_SIGNATURE)
		return CMPF_OK;
	/* cmp_server_validate() verified extraCerts[0] as the signer */
	if (req->extraCerts == NULL || sk_X509_num(req->extraCerts) < 1)
		return CMPF_NO_SIGNER_CERT;
	signer = sk_X509_value(req->extraCerts, 0);
	if (X509_NAME_cmp(OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl),
	    X509_get_subject_name(signer)) != 0) {
		snprintf(text, textlen, "subject");
		return CMPF_SUBJECT_NOT_SIGNER;
	}
	exts = OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl);
	if (exts == NULL || X509v3_get_ext_by_NID(exts, NID_subject_alt_name,
	    -1) < 0)
		return CMPF_OK;
	want = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	have = X509_get_ext_d2i(signer, NID_subject_alt_name, NULL, NULL);
	ok = want != NULL && have != NULL && enroll_same_names(want, have);
	GENERAL_NAMES_free(want);
	GENERAL_NAMES_free(have);
	if (!ok) {
		snprintf(text, textlen, "subjectAltName");
		return CMPF_SUBJECT_NOT_SIGNER;
	}
	return CMPF_OK;
}

/* DER of a CertReqMessages holding only the first request (the seed). */
static int
enroll_first_request(OSSL_CRMF_MSGS *reqs, unsigned char **der)
{
	OSSL_CRMF_MSGS *one = NULL;
	OSSL_CRMF_MSG *first;
	int n = -1;

	*der = NULL;
	if ((one = sk_OSSL_CRMF_MSG_new_null()) == NULL ||
	    (first = OSSL_CRMF_MSG_dup(sk_OSSL_CRMF_MSG_value(reqs, 0))) ==
	    NULL)
		goto out;
	if (!sk_OSSL_CRMF_MSG_push(one, first)) {
		OSSL_CRMF_MSG_free(first);
		goto out;
	}
	n = i2d_OSSL_CRMF_MSGS(one, der);
 out:
	sk_OSSL_CRMF_MSG_pop_free(one, OSSL_CRMF_MSG_free);
	return n;
}

/* SHA-256 of the template's public key (SPKI DER): 0, or -1 if none. */
static int
enroll_spki_sha256(const OSSL_CRMF_CERTTEMPLATE *tmpl, unsigned char out[32])
{
	CMPD_CERTTEMPLATE *t = NULL;
	unsigned char *der = NULL, *spki = NULL;
	const unsigned char *q;
	int n, r = -1;

	if (tmpl == NULL || (n = i2d_OSSL_CRMF_CERTTEMPLATE(tmpl, &der)) <= 0)
		return -1;
	q = der;
	if ((t = d2i_CMPD_CERTTEMPLATE(NULL, &q, n)) != NULL &&
	    t->publicKey != NULL &&
	    (n = i2d_X509_PUBKEY(t->publicKey, &spki)) > 0 &&
	    EVP_Digest(spki, (size_t)n, out, NULL, EVP_sha256(), NULL))
		r = 0;
	CMPD_CERTTEMPLATE_free(t);
	OPENSSL_free(spki);
	OPENSSL_free(der);
	return r;
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

/*
 * A certificate the CA issued for transaction tid that its client will
 * not get (no answer could be built, it is too large to keep, or it could
 * not be stored). Nothing may stay valid at the CA unknown to cmpd: it is
 * recorded as revoke_pending and revoked; when even that record fails,
 * it is revoked now and the transaction stays 'issuing', so that the
 * sweep asks the CA for it (by request id) and records it.
 */
static void
enroll_discard(const ASN1_OCTET_STRING *tid, X509 *cert, const char *conn_uuid,
    const struct profile *p, const char *request_id)
{
	struct conn_target target;
	struct conn_result res;
	char cert_uuid[CMPD_UUID_LEN + 1], serial[80];
	int recorded;

	memset(&res, 0, sizeof(res));
	cmp_enroll_serial(cert, serial, sizeof(serial));
	recorded = i2d_X509(cert, NULL) <= STORE_CERT_MAX &&
	    store_unrecorded(tid, cert, p, conn_uuid, cert_uuid) == DB_OK;
	/* The inventory had it: the sweep's, revoked there. */
	if (recorded && cert_uuid[0] == '\0')
		return;
	cmp_ca_target(p, 1, &target);
	if (conn_revoke(&target, cert, REASON_UNCONFIRMED, &res) == 0 &&
	    res.status == CONN_OK) {
		metrics_revocation(res.already_revoked ? METRICS_REV_ALREADY :
		    METRICS_REV_REVOKED);
		if (recorded)
			store_revoke_result(cert_uuid, NULL);
		else if (store_tx_set_state(tid, "failed") != DB_OK)
			log_warn("PN=%s: certificate %s revoked; requestId=%s "
			    "stays issuing for the sweep", p->cmp_name,
			    serial, request_id);
	} else {
		metrics_revocation(METRICS_REV_FAILED);
		if (recorded) {
			log_warn("PN=%s: revoking undelivered certificate %s "
			    "failed: %s; the sweep retries", p->cmp_name,
			    cert_uuid, res.message);
			store_revoke_result(cert_uuid, res.message);
		} else
			log_error("PN=%s: certificate %s (requestId=%s) is "
			    "valid at the CA and not recorded: %s; the "
			    "transaction stays issuing for the sweep",
			    p->cmp_name, serial, request_id, res.message);
	}
	conn_result_free(&res);
}

/*
 * ir or cr. Returns the answer, or NULL with *fail and *text set (the
 * caller builds the rejection). *fail CMPF_OK with NULL: internal error.
 */
CMPD_MSG *
cmp_enroll(const CMPD_MSG *req, const unsigned char *der, size_t len,
    struct profile *p, const X509_NAME *srv, const struct conf *c,
    enum cmp_fail *fail, char *text, size_t textlen)
{
	int type = cmp_msg_body_type(req);
	OSSL_CRMF_MSGS *reqs = type == CMPD_BODY_IR ? req->body->value.ir :
	    type == CMPD_BODY_KUR ? req->body->value.kur : req->body->value.cr;
	X509 *old = NULL;
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	struct conn_result res;
	struct conn_target target;
	struct cmp_requester who;
	STACK_OF(X509) *ca_chain;
	const X509_NAME *subject;
	OSSL_CRMF_CERTTEMPLATE *tmpl;
	unsigned char digest[32], spki[32], *one = NULL;
	char cert_uuid[CMPD_UUID_LEN + 1], request_id[CMPD_UUID_LEN + 1];
	CMPD_MSG *rsp = NULL;
	int n, implicit, wait, r, gated = 0;
	long rid;

	memset(&res, 0, sizeof(res));
	*fail = CMPF_INTERNAL;
	text[0] = '\0';
	/* The seed's rule: the first CertReqMsg is the request; TS 33.310
	 * 9.5 allows exactly one. */
	if (sk_OSSL_CRMF_MSG_num(reqs) < 1) {
		*fail = CMPF_NO_CERT_REQUEST;
		goto out;
	}
	if (p->variant == VARIANT_V2_3GPP && sk_OSSL_CRMF_MSG_num(reqs) != 1) {
		*fail = CMPF_3GPP_ONE_REQUEST;
		goto out;
	}
	rid = OSSL_CRMF_MSG_get_certReqId(sk_OSSL_CRMF_MSG_value(reqs, 0));
	tmpl = OSSL_CRMF_MSG_get0_tmpl(sk_OSSL_CRMF_MSG_value(reqs, 0));
	subject = tmpl != NULL ? OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl) :
	    NULL;
	if (subject == NULL || X509_NAME_entry_count(subject) == 0) {
		*fail = CMPF_NO_SUBJECT;
		goto out;
	}
	if ((*fail = store_template_fits(tmpl, text, textlen)) != CMPF_OK ||
	    (*fail = enroll_subject_check(req, tmpl, p, text, textlen)) !=
	    CMPF_OK)
		goto out;
	/* RFC 4211 4: POP before anything is issued; raVerified is for an
	 * RA that checked it, and no RA stands between client and cmpd.
	 * (In OpenSSL 3.0 the second argument is the index, not the id.) */
	if (!OSSL_CRMF_MSGS_verify_popo(reqs, 0, 0, NULL, NULL)) {
		*fail = CMPF_BAD_POP;
		goto out;
	}
	if (type == CMPD_BODY_KUR && (*fail = enroll_kur_check(req,
	    sk_OSSL_CRMF_MSG_value(reqs, 0), p, &old)) != CMPF_OK)
		goto out;
	*fail = CMPF_INTERNAL;
	if ((n = enroll_first_request(reqs, &one)) <= 0)
		goto out;
	if (!EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL) ||
	    util_uuid4(request_id) != 0 ||
	    cmp_protect_requester(req, &who) != 0)
		goto out;
	/* One place among connector_workers_max for the whole exchange
	 * (caCertificates, issue, a revocation if storing fails); none
	 * free: answered now, before anything is stored. */
	if (metrics_conn_enter_wait(METRICS_CONN_WAIT_MS) != 0) {
		*fail = CMPF_CA_BUSY;
		log_warn("PN=%s: connector_workers_max workers are in "
		    "connector calls; answered busy", p->cmp_name);
		goto out;
	}
	gated = 1;
	cmp_ca_target(p, 0, &target);
	/* The issuing chain for the answer (cmp_chain.c). Asked first, so
	 * that nothing but local work stands between the issue call and the
	 * record of its certificate. */
	ca_chain = cmp_ca_chain(p);
	/* What is asked, committed before it is asked (invariant 1). */
	r = store_tx_begin(req, p, rid, digest, request_id,
	    enroll_spki_sha256(tmpl, spki) == 0 ? spki : NULL, &who);
	if (r == DB_DUP) {
		*fail = CMPF_TID_IN_USE;
		goto out;
	}
	if (r != DB_OK) {
		*fail = CMPF_DB_UNAVAILABLE;
		goto out;
	}

	target.request_id = request_id;
	if ((old != NULL ? conn_renew(&target, one, (size_t)n, "crmf", old,
	    &res) : conn_issue(&target, one, (size_t)n, "crmf", &res)) != 0 ||
	    res.status != CONN_OK) {
		*fail = cmp_ca_conn_fail(&res, text, textlen);
		log_warn("PN=%s connector issue: %s (HTTP %ld): %s", p->cmp_name,
		    conn_status_name(res.status), res.http_status, res.message);
		/* Refused, or never sent: nothing was issued. Otherwise (a
		 * timeout, a 5xx, an unreadable answer) the CA may have
		 * issued: the sweep asks it by request id. */
		if (res.not_sent || res.status == CONN_REJECTED ||
		    res.status == CONN_NOT_FOUND)
			store_tx_set_state(tid, "failed");
		else
			log_warn("PN=%s: requestId=%s stays issuing until the "
			    "sweep asks the CA", p->cmp_name, request_id);
		goto out;
	}

	implicit = enroll_wants_implicit(req->header) &&
	    p->implicit_confirm_allowed;
	wait = p->confirm_wait_time > 0 ? p->confirm_wait_time :
	    c->confirm_wait_time;
	if ((rsp = enroll_answer(req, srv, rid, res.certificate)) == NULL ||
	    enroll_general_info(rsp->header, implicit, wait) != 0 ||
	    cmp_chain_answer(rsp, req, p, ca_chain) != 0)
		goto discard;
	if (i2d_X509(res.certificate, NULL) > STORE_CERT_MAX) {
		*fail = CMPF_CERT_TOO_LARGE;
		goto discard;
	}
	if ((r = store_issued(tid, res.certificate, p, res.uuid,
	    rsp->header->senderNonce, implicit, wait, cert_uuid)) != DB_OK) {
		*fail = r == STORE_TOO_LONG ? CMPF_CERT_TOO_LARGE :
		    CMPF_DB_UNAVAILABLE;
		goto discard;
	}
	*fail = CMPF_OK;
	goto out;
 discard:
	/* Issued but not delivered: nothing half-stored may stay valid. */
	CMPD_MSG_free(rsp);
	rsp = NULL;
	enroll_discard(tid, res.certificate, res.uuid, p, request_id);
 out:
	if (gated)
		metrics_conn_leave();
	X509_free(old);
	OPENSSL_free(one);
	conn_result_free(&res);
	ERR_clear_error();
	return rsp;
}
