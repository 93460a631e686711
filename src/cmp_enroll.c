/*
 * Certificate enrollment (ir, cr: RFC 9810 5.3.1, 5.3.3) and its
 * confirmation (certConf: 5.3.18), through the RA Profile's authority
 * connector. The transaction and the certificate are stored before the
 * answer leaves; certConf may arrive at any worker.
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

#define SWEEP_BUDGET_MS		10000

/* The revocation reason for certificates the client did not accept. */
#define REASON_UNCONFIRMED	STORE_REASON_UNDELIVERED

static enum conn_auth
enroll_auth(const char *name)
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
cmp_enroll_target(const struct profile *p, int revoke, struct conn_target *t)
{
	memset(t, 0, sizeof(*t));
	t->url = p->connector_url;
	t->auth = enroll_auth(p->connector_auth);
	t->auth_json = p->connector_cred[0] != '\0' ? p->connector_cred : NULL;
	t->insecure = p->connector_insecure;
	t->authority_uuid = p->authority_instance;
	if (revoke)
		t->attributes_json = p->revoke_attrs[0] != '\0' ?
		    p->revoke_attrs : NULL;
	else
		t->attributes_json = p->issue_attrs[0] != '\0' ?
		    p->issue_attrs : NULL;
	t->ra_attributes_json = p->ra_attrs[0] != '\0' ? p->ra_attrs : NULL;
}

/*
 * A failed connector call as a cmpd failure; arg gets what the text may
 * show: the CA's refusal, or the status of a 5xx (its body is logged
 * only). Unreachable, timed out or 5xx: try later; anything else that
 * went wrong stays wrong.
 */
enum cmp_fail
cmp_enroll_conn_fail(const struct conn_result *res, char *arg,
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

/*
 * The issuing chain for caPubs, per worker and authority, kept for
 * CHAIN_TTL seconds: every ir needs it, and it rarely changes.
 */
#define CHAIN_TTL	300
static struct {
	char	 key[CMPD_UUID_LEN * 3 + PROFILE_URL_MAX + 4];
	time_t	 at;
	STACK_OF(X509) *chain;
} chain_cache;

static STACK_OF(X509) *
enroll_chain(const struct profile *p, const struct conn_target *target)
{
	struct conn_result res;
	char key[sizeof(chain_cache.key)];
	time_t now = time(NULL);

	/* caCertificates depends on the RA Profile's attributes too. */
	snprintf(key, sizeof(key), "%s|%s|%s|%s", p->ra_uuid,
	    p->connector_uuid, p->authority_instance, p->connector_url);
	if (chain_cache.chain != NULL && strcmp(key, chain_cache.key) == 0 &&
	    now - chain_cache.at < CHAIN_TTL)
		return chain_cache.chain;
	memset(&res, 0, sizeof(res));
	if (conn_ca_certificates(target, &res) != 0 || res.status != CONN_OK) {
		log_warn("PN=%s connector caCertificates: %s: %s; ip without "
		    "caPubs", p->cmp_name, conn_status_name(res.status),
		    res.message);
		conn_result_free(&res);
		return NULL;
	}
	sk_X509_pop_free(chain_cache.chain, X509_free);
	chain_cache.chain = res.chain;
	res.chain = NULL;
	snprintf(chain_cache.key, sizeof(chain_cache.key), "%s", key);
	chain_cache.at = now;
	conn_result_free(&res);
	return chain_cache.chain;
}

void
cmp_enroll_done(void)
{
	sk_X509_pop_free(chain_cache.chain, X509_free);
	memset(&chain_cache, 0, sizeof(chain_cache));
}

/* ip/cp with one accepted CertResponse carrying cert, caPubs for ir. */
static CMPD_MSG *
enroll_answer(const CMPD_MSG *req, const X509_NAME *srv, long rid,
    X509 *cert, STACK_OF(X509) *capubs)
{
	CMPD_CERTRESPONSE *cr = NULL;
	CMPD_CERTREPMSG *rep;
	CMPD_MSG *m;
	int i;

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
	if (capubs != NULL && sk_X509_num(capubs) > 0) {
		if ((rep->caPubs = sk_X509_new_null()) == NULL)
			goto err;
		for (i = 0; i < sk_X509_num(capubs); i++) {
			X509 *x = X509_dup(sk_X509_value(capubs, i));

			if (x == NULL || !sk_X509_push(rep->caPubs, x)) {
				X509_free(x);
				goto err;
			}
		}
	}
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
static void
enroll_serial(X509 *cert, char *buf, size_t n)
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
	enroll_serial(cert, serial, sizeof(serial));
	recorded = i2d_X509(cert, NULL) <= STORE_CERT_MAX &&
	    store_unrecorded(tid, cert, p, conn_uuid, cert_uuid) == DB_OK;
	/* The inventory had it: the sweep's, revoked there. */
	if (recorded && cert_uuid[0] == '\0')
		return;
	cmp_enroll_target(p, 1, &target);
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
	STACK_OF(X509) *capubs;
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
	cmp_enroll_target(p, 0, &target);
	/* caPubs of an ip: the issuing chain (RFC 9810 5.3.2). Asked first,
	 * so that nothing but local work stands between the issue call and
	 * the record of its certificate. */
	capubs = type == CMPD_BODY_IR ? enroll_chain(p, &target) : NULL;
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
		*fail = cmp_enroll_conn_fail(&res, text, textlen);
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
	if ((rsp = enroll_answer(req, srv, rid, res.certificate,
	    capubs)) == NULL ||
	    enroll_general_info(rsp->header, implicit, wait) != 0)
		goto discard;
	/* TS 33.310 9.5: a base station bootstraps trust in the operator's
	 * PKI from the ip: the CA chain in extraCerts too (cmp_protect_sig
	 * puts the signing certificate and its chain in front). */
	if (p->variant == VARIANT_V2_3GPP && capubs != NULL &&
	    (rsp->extraCerts = X509_chain_up_ref(capubs)) == NULL)
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

/* hashAlg digests accepted in a certConf (RFC 9481 2) */
static const int confirm_md_ok[] = { NID_sha256, NID_sha384, NID_sha512,
	NID_sha3_256, NID_sha3_384, NID_sha3_512, NID_shake256 };

/*
 * RFC 9810 5.3.18: certHash with hashAlg (pvno 3 only), or the hash the
 * certificate's signature uses: X509_digest_sig() knows the rules
 * (RSASSA-PSS parameters, SHA-512 for Ed25519, SHAKE256 for Ed448,
 * SHA-256 when the signature names no hash).
 */
static int
confirm_hash_ok(const CMPD_CERTSTATUS *cs, int pvno, X509 *cert)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	ASN1_OCTET_STRING *own = NULL;
	unsigned int mdlen = 0;
	const EVP_MD *type;
	size_t i;
	int nid, ok = 0;

	if (cs->hashAlg != NULL) {
		nid = OBJ_obj2nid(cs->hashAlg->algorithm);
		for (i = 0; i < NITEMS(confirm_md_ok); i++)
			if (confirm_md_ok[i] == nid)
				break;
		if (pvno != 3 || i == NITEMS(confirm_md_ok) ||
		    (type = EVP_get_digestbynid(nid)) == NULL ||
		    !X509_digest(cert, type, md, &mdlen))
			return 0;
		return (size_t)ASN1_STRING_length(cs->certHash) == mdlen &&
		    CRYPTO_memcmp(ASN1_STRING_get0_data(cs->certHash), md,
		    mdlen) == 0;
	}
	if ((own = X509_digest_sig(cert, NULL, NULL)) == NULL)
		return 0;
	ok = ASN1_STRING_cmp(own, cs->certHash) == 0;
	ASN1_OCTET_STRING_free(own);
	return ok;
}

/*
 * A transaction's follow-up (certConf; pollReq and error once they are
 * answered) comes from its requester: the protection certificate that
 * signed the ir/cr/kur, or a MAC with the profile's secret and the same
 * senderKID (DESIGN invariant 2). Anyone else who learnt the
 * transactionID and the nonce must not confirm or reject another
 * device's certificate.
 */
enum cmp_fail
cmp_requester_check(const CMPD_MSG *req)
{
	struct cmp_requester was, now;
	int r;

	if ((r = store_tx_requester(req->header->transactionID, &was)) ==
	    DB_ERR)
		return CMPF_DB_UNAVAILABLE;
	/* none recorded: a transaction older than the record, refused */
	if (r != DB_OK || cmp_protect_requester(req, &now) != 0 ||
	    !cmp_protect_requester_eq(&was, &now))
		return CMPF_NOT_REQUESTER;
	return CMPF_OK;
}

/*
 * certConf. Returns the pkiconf, or NULL with *fail set (the caller
 * answers with an error body).
 */
CMPD_MSG *
cmp_confirm(const CMPD_MSG *req, struct profile *p, const X509_NAME *srv,
    enum cmp_fail *fail)
{
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	const ASN1_OCTET_STRING *rn = req->header->recipNonce;
	STACK_OF(CMPD_CERTSTATUS) *cc = req->body->value.certConf;
	const CMPD_CERTSTATUS *cs;
	struct conn_result res;
	struct conn_target target;
	struct store_tx t;
	struct profile *ra = NULL;
	CMPD_MSG *rsp = NULL;
	int accepted, r;

	memset(&res, 0, sizeof(res));
	*fail = CMPF_INTERNAL;
	if ((r = store_tx_get(tid, &t)) == DB_ERR) {
		*fail = CMPF_DB_UNAVAILABLE;
		goto out;
	}
	/* Another profile's transaction is as unknown as a missing one. */
	if (r == DB_NOTFOUND || strcmp(t.cmp_uuid, p->cmp_uuid) != 0) {
		*fail = CMPF_TX_UNKNOWN;
		goto out;
	}
	if ((*fail = cmp_requester_check(req)) != CMPF_OK)
		goto out;
	*fail = CMPF_INTERNAL;
	if (strcmp(t.state, "confirmed") == 0) {
		*fail = CMPF_ALREADY_CONFIRMED;
		goto out;
	}
	if (strcmp(t.state, "confirm_wait") != 0 || t.cert == NULL) {
		*fail = CMPF_TX_NOT_WAITING;
		goto out;
	}
	if (rn == NULL || (size_t)ASN1_STRING_length(rn) != t.nonce_len ||
	    CRYPTO_memcmp(ASN1_STRING_get0_data(rn), t.nonce,
	    t.nonce_len) != 0) {
		*fail = CMPF_BAD_RECIP_NONCE;
		goto out;
	}
	/* Past the deadline the sweep owns the certificate. */
	if (t.overdue) {
		*fail = CMPF_CONFIRM_TOO_LATE;
		goto out;
	}
	/* One certificate per transaction (the seed's rule); no CertStatus
	 * at all rejects it (RFC 9810 5.3.18). */
	if (sk_CMPD_CERTSTATUS_num(cc) == 0) {
		accepted = 0;
	} else if (sk_CMPD_CERTSTATUS_num(cc) != 1 ||
	    (cs = sk_CMPD_CERTSTATUS_value(cc, 0)) == NULL ||
	    ASN1_INTEGER_get(cs->certReqId) != t.cert_req_id ||
	    !confirm_hash_ok(cs, (int)ASN1_INTEGER_get(req->header->pvno),
	    t.cert)) {
		*fail = CMPF_BAD_CERT_HASH;
		goto out;
	} else {
		/* accepted or grantedWithMods; anything else refuses */
		accepted = cs->statusInfo == NULL ||
		    ASN1_INTEGER_get(cs->statusInfo->status) ==
		    CMPD_PKISTATUS_ACCEPTED ||
		    ASN1_INTEGER_get(cs->statusInfo->status) ==
		    CMPD_PKISTATUS_GRANTEDWITHMODS;
	}
	if ((rsp = cmp_msg_response_new(req->header, srv,
	    CMPD_BODY_PKICONF)) == NULL ||
	    (rsp->body->value.pkiconf = ASN1_NULL_new()) == NULL)
		goto err;
	r = store_confirm(tid, t.cert_uuid, accepted, rsp->header->senderNonce);
	if (r == DB_NOTFOUND) {
		*fail = CMPF_ALREADY_CONFIRMED;
		goto err;
	}
	if (r != DB_OK) {
		*fail = CMPF_DB_UNAVAILABLE;
		goto err;
	}
	if (!accepted) {
		/* The client refused the certificate: it must not stay
		 * valid (RFC 9810 5.3.18). Through the RA Profile that
		 * issued it, whatever route the certConf took. */
		if ((ra = calloc(1, sizeof(*ra))) == NULL ||
		    profile_load_connector(t.ra_uuid, t.cmp_uuid, ra) !=
		    DB_OK) {
			log_error("PN=%s: no connector to revoke rejected "
			    "certificate %s now; the sweep retries",
			    p->cmp_name, t.cert_uuid);
			store_revoke_later(t.cert_uuid, "rejected");
		} else {
			cmp_enroll_target(ra, 1, &target);
			if (conn_revoke(&target, t.cert, REASON_UNCONFIRMED,
			    &res) != 0 || res.status != CONN_OK) {
				log_error("PN=%s: revoking rejected certificate "
				    "%s failed: %s; the sweep retries",
				    p->cmp_name, t.cert_uuid, res.message);
				metrics_revocation(METRICS_REV_FAILED);
				if (store_revoke_later(t.cert_uuid,
				    "rejected") == DB_OK)
					store_revoke_result(t.cert_uuid,
					    res.message);
			} else
				metrics_revocation(res.already_revoked ?
				    METRICS_REV_ALREADY : METRICS_REV_REVOKED);
		}
	}
	*fail = CMPF_OK;
	goto out;
 err:
	CMPD_MSG_free(rsp);
	rsp = NULL;
 out:
	if (ra != NULL) {
		profile_clear(ra);
		free(ra);
	}
	conn_result_free(&res);
	X509_free(t.cert);
	return rsp;
}

/*
 * The sweep, in three steps, each bounded by max items and one time
 * budget in all:
 * 1. certificates the client never confirmed within confirmWaitTime
 *    (RFC 9810 5.3.18) become 'revoke_pending', with their transaction
 *    'expired', in one statement;
 * 2. reconciliation (DESIGN invariant 1): transactions left 'issuing'
 *    longer than a connector call can take (a worker killed, MariaDB or
 *    the CA failing between the call and the record) are looked up at
 *    the CA by request id: what it issued is recorded as 'revoke_pending'
 *    (its client never got it; the transaction becomes 'expired'), a CA
 *    that issued nothing fails the transaction, a connector without the
 *    lookup leaves it 'unknown_at_ca' for an operator;
 * 3. every 'revoke_pending' certificate due is revoked at its CA; "already
 *    revoked" counts as done. A failed attempt is retried after a back-off
 *    (60 s doubling, at most 6 h), REVOKE_ATTEMPTS_MAX times; then the
 *    certificate stays 'revoke_pending', visible in the API and /metrics.
 * Any worker, or `cmpd --sweep`, may run it; GET_LOCK makes it one at a
 * time: a worker skips its turn, `cmpd --sweep` waits up to lock_wait
 * seconds. issuing_age -1 leaves 'issuing' transactions younger than
 * connector_timeout + RECONCILE_MARGIN to their workers; `cmpd
 * --sweep-now` (0) asks about all, and does not wait for back-offs
 * either: safe, since both sides settle only a transaction still
 * 'issuing', but a request in flight then fails. Returns the number revoked, -1 on a database error or when
 * the lock was not had.
 */
#define REVOKE_ATTEMPTS_MAX	20
#define LOOKUP_ATTEMPTS_MAX	20
#define BACKOFF_FIRST		60	/* seconds */
#define BACKOFF_MAX		21600
/* A connector call ends within connector_timeout; the record follows
 * at once. Younger 'issuing' transactions may still be in a worker. */
#define RECONCILE_MARGIN	10	/* seconds */

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
};

static int
sweep_more(const struct sweep_run *w)
{
	return w->done < w->max &&
	    util_elapsed_ms(&w->start) < SWEEP_BUDGET_MS;
}

/* Settles a transaction the CA cannot tell about: an operator must. */
static void
sweep_unknown(const unsigned char *tid, size_t tid_len, const char *rid,
    const char *why, struct sweep_run *w)
{
	char hex[2 * CMPD_ID_MAX_LEN + 1];

	util_hex(tid, tid_len, hex, sizeof(hex));
	if (store_tx_settle(tid, tid_len, "unknown_at_ca") != DB_OK)
		return;
	log_error("sweep: transaction %s (requestId=%s): %s; the CA may have "
	    "issued a certificate cmpd does not know: state unknown_at_ca, "
	    "check the CA", hex, rid[0] != '\0' ? rid : "none", why);
	metrics_reconcile(METRICS_RECON_UNKNOWN);
	w->st->unknown++;
}

/* The CA's certificate for a transaction: recorded (and revoked below). */
static void
sweep_record(const unsigned char *tid, size_t tid_len, const char *rid,
    const unsigned char *spki, X509 *cert, const char *conn_uuid,
    const char *ra, const char *cmp, struct sweep_run *w)
{
	struct conn_target target;
	struct conn_result res;
	unsigned char *der = NULL, md[32];
	char cert_uuid[CMPD_UUID_LEN + 1], serial[80];
	int n, r;

	memset(&res, 0, sizeof(res));
	enroll_serial(cert, serial, sizeof(serial));
	if (spki != NULL && ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert),
	    &der)) <= 0 || !EVP_Digest(der, (size_t)n, md, NULL, EVP_sha256(),
	    NULL) || memcmp(md, spki, 32) != 0))
		log_warn("sweep: certificate %s of requestId=%s has another "
		    "public key than the request; recorded and revoked all "
		    "the same", serial, rid);
	OPENSSL_free(der);
	if (i2d_X509(cert, NULL) > STORE_CERT_MAX) {
		/* Too large for the inventory: revoked, then forgotten. */
		cmp_enroll_target(w->p, 1, &target);
		if (conn_revoke(&target, cert, REASON_UNCONFIRMED, &res) == 0 &&
		    res.status == CONN_OK &&
		    store_tx_settle(tid, tid_len, "failed") == DB_OK) {
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
	r = store_reconciled(tid, tid_len, cert, ra, cmp, conn_uuid, cert_uuid);
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

/* Step 2: one transaction left 'issuing' (or 'open' from before). */
static int
sweep_reconcile_one(struct sweep_run *w)
{
	static const char sql_due[] = "SELECT transaction_id, "
	    "COALESCE(request_id, ''), COALESCE(ra_profile_uuid, ''), "
	    "COALESCE(cmp_profile_uuid, ''), request_spki_sha256, "
	    "lookup_attempts FROM cmp_transaction "
	    "WHERE state IN ('issuing', 'open') AND "
	    "COALESCE(issuing_at, created_at) < NOW(6) - INTERVAL ? SECOND "
	    "AND (lookup_after IS NULL OR lookup_after < NOW(6) OR "
	    "(? AND updated_at < ?)) "
	    "ORDER BY COALESCE(issuing_at, created_at) LIMIT 1";
	/* Assignments run left to right: the back-off uses the attempts
	 * before this one. */
	static const char sql_claim[] = "UPDATE cmp_transaction SET "
	    "lookup_after = NOW(6) + INTERVAL LEAST(? * POW(2, "
	    "LEAST(lookup_attempts, 20)), ?) SECOND, "
	    "lookup_attempts = lookup_attempts + 1 "
	    "WHERE transaction_id = ? AND state IN ('issuing', 'open') AND "
	    "(lookup_after IS NULL OR lookup_after < NOW(6) OR "
	    "(? AND updated_at < ?))";
	unsigned char tid[CMPD_ID_MAX_LEN], spki[32];
	char rid[CMPD_UUID_LEN + 1], ra[CMPD_UUID_LEN + 1];
	char cmp[CMPD_UUID_LEN + 1];
	struct db_arg da[3] = { DB_ARG_INT(w->issuing_age),
	    DB_ARG_INT(w->now), DB_ARG_STR(w->started) };
	struct conn_target target;
	struct conn_result res;
	unsigned long long changed = 0;
	struct db_col c[6];
	size_t tid_len;
	int r;

	memset(c, 0, sizeof(c));
	c[0].type = DB_BLOB, c[0].buf = tid, c[0].n = sizeof(tid);
	c[1].type = DB_STR, c[1].buf = rid, c[1].n = sizeof(rid);
	c[2].type = DB_STR, c[2].buf = ra, c[2].n = sizeof(ra);
	c[3].type = DB_STR, c[3].buf = cmp, c[3].n = sizeof(cmp);
	c[4].type = DB_BLOB, c[4].buf = spki, c[4].n = sizeof(spki);
	c[5].type = DB_INT;
	if ((r = db_run(sql_due, da, NITEMS(da), c, NITEMS(c), NULL)) !=
	    DB_OK)
		return r;
	w->done++;
	tid_len = c[0].len;
	{
		struct db_arg a[5] = { DB_ARG_INT(BACKOFF_FIRST),
		    DB_ARG_INT(BACKOFF_MAX), DB_ARG_BLOB(tid, tid_len),
		    DB_ARG_INT(w->now), DB_ARG_STR(w->started) };

		if (db_run(sql_claim, a, NITEMS(a), NULL, 0, &changed) !=
		    DB_OK)
			return DB_ERR;
	}
	if (changed != 1)
		return DB_OK;	/* another sweeper was first */
	if (rid[0] == '\0') {
		sweep_unknown(tid, tid_len, rid, "no request id (a "
		    "transaction of an earlier version)", w);
		return DB_OK;
	}
	memset(&res, 0, sizeof(res));
	if (ra[0] == '\0' || profile_load_connector(ra, cmp, w->p) != DB_OK) {
		log_error("sweep: no connector to ask about requestId=%s; "
		    "asked again later", rid);
		res.status = CONN_FAILED;
	} else {
		cmp_enroll_target(w->p, 0, &target);
		conn_lookup(&target, rid, &res);
	}
	if (res.status == CONN_NOT_FOUND)
		sweep_unknown(tid, tid_len, rid, "the connector has no "
		    "certificate lookup", w);
	else if (res.status == CONN_OK && res.certificate != NULL)
		sweep_record(tid, tid_len, rid, c[4].null || c[4].len != 32 ?
		    NULL : spki, res.certificate, res.uuid, ra, cmp, w);
	else if (res.status == CONN_OK) {
		if (store_tx_settle(tid, tid_len, "failed") == DB_OK) {
			log_info("sweep: the CA issued nothing for requestId=%s: "
			    "transaction failed", rid);
			metrics_reconcile(METRICS_RECON_NOTHING);
			w->st->nothing++;
		}
	} else if (c[5].i + 1 >= LOOKUP_ATTEMPTS_MAX)
		sweep_unknown(tid, tid_len, rid, res.message, w);
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
		cmp_enroll_target(w->p, 1, &target);
		conn_revoke(&target, cert, reason[0] != '\0' ? reason :
		    REASON_UNCONFIRMED, &res);
	}
	if (res.status == CONN_OK) {
		if (store_revoke_result(cert_uuid, NULL) == DB_OK) {
			log_info("sweep: certificate %s revoked%s", cert_uuid,
			    res.already_revoked ? " (it was already)" : "");
			w->st->revoked++;
		}
		metrics_revocation(res.already_revoked ? METRICS_REV_ALREADY :
		    METRICS_REV_REVOKED);
	} else {
		store_revoke_result(cert_uuid, res.message);
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

int
cmp_sweep(const struct conf *conf, int max, int lock_wait, int issuing_age,
    struct sweep_stats *stats)
{
	static const char sql_expire[] = "UPDATE cmp_transaction t "
	    "JOIN certificate c ON c.uuid = t.certificate_uuid "
	    "SET t.state = 'expired', c.status = 'revoke_pending', "
	    "c.revoke_final = 'revoked', c.revocation_reason = ?, "
	    "c.revoke_after = NOW(6) "
	    "WHERE t.state = 'confirm_wait' AND t.deadline < NOW(6)";
	static const char sql_backlog[] = "SELECT "
	    "(SELECT COUNT(*) FROM certificate WHERE status = 'revoke_pending'), "
	    "(SELECT COUNT(*) FROM cmp_transaction WHERE state = 'issuing'), "
	    "(SELECT COUNT(*) FROM cmp_transaction WHERE state = "
	    "'unknown_at_ca')";
	/* One sweeper at a time, across workers and hosts. */
	static const char sql_lock[] = "SELECT GET_LOCK('cmpd_sweep', ?)";
	static const char sql_unlock[] = "SELECT RELEASE_LOCK('cmpd_sweep')";
	static const char sql_now[] = "SELECT CAST(NOW(6) AS CHAR)";
	struct db_col lock = { DB_INT, NULL, 0, 0, 0, 0, 0 }, bc[3], sc;
	struct db_arg ea[1] = { DB_ARG_STR(REASON_UNCONFIRMED) };
	struct db_arg la[1] = { DB_ARG_INT(lock_wait) };
	struct sweep_stats own;
	struct sweep_run w;
	int r;

	memset(&w, 0, sizeof(w));
	memset(&own, 0, sizeof(own));
	w.conf = conf;
	w.issuing_age = issuing_age >= 0 ? issuing_age :
	    conf->connector_timeout + RECONCILE_MARGIN;
	w.now = issuing_age == 0;
	w.st = stats != NULL ? stats : &own;
	w.max = max;
	memset(w.st, 0, sizeof(*w.st));
	clock_gettime(CLOCK_MONOTONIC, &w.start);
	/* Busy refusals must not use up revocation attempts: no place
	 * among connector_workers_max, no sweep this time. */
	if (metrics_conn_enter() != 0)
		return 0;
	if (db_run(sql_lock, la, 1, &lock, 1, NULL) != DB_OK) {
		metrics_conn_leave();
		return -1;
	}
	if (lock.i != 1) {	/* another sweeper is at work */
		metrics_conn_leave();
		return lock_wait > 0 ? -1 : 0;
	}
	memset(&sc, 0, sizeof(sc));
	sc.type = DB_STR, sc.buf = w.started, sc.n = sizeof(w.started);
	if (db_run(sql_now, NULL, 0, &sc, 1, NULL) != DB_OK)
		goto err;
	if ((w.p = calloc(1, sizeof(*w.p))) == NULL)
		goto err;
	if (db_run(sql_expire, ea, 1, NULL, 0, NULL) != DB_OK)
		goto err;
	/* A time budget: a slow connector must not hold a worker long. */
	while (sweep_more(&w) && (r = sweep_reconcile_one(&w)) != DB_NOTFOUND)
		if (r != DB_OK)
			goto err;
	while (sweep_more(&w) && (r = sweep_revoke_one(&w)) != DB_NOTFOUND)
		if (r != DB_OK)
			goto err;
	memset(bc, 0, sizeof(bc));
	bc[0].type = bc[1].type = bc[2].type = DB_INT;
	if (db_run(sql_backlog, NULL, 0, bc, 3, NULL) == DB_OK)
		metrics_backlog(bc[0].i, bc[1].i, bc[2].i);
	r = w.st->revoked;
	goto out;
 err:
	r = -1;
 out:
	db_run(sql_unlock, NULL, 0, &lock, 1, NULL);
	metrics_conn_leave();
	if (w.p != NULL)
		profile_clear(w.p);
	free(w.p);
	return r;
}
