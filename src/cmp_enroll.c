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

#include "cmpd.h"
#include "conn.h"

#define SWEEP_BUDGET_MS		10000

/* The revocation reason for certificates the client did not accept. */
#define REASON_UNCONFIRMED	"cessationOfOperation"

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

/* A connector's answer as a cmpd failure; the text carries its message. */
static enum cmp_fail
enroll_conn_fail(const struct conn_result *res)
{
	switch (res->status) {
	case CONN_OK:
		return CMPF_OK;
	case CONN_UNAVAILABLE:
		return CMPF_CA_UNAVAILABLE;
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
	struct conn_result res, chain;
	struct conn_target target;
	STACK_OF(X509) *capubs;
	const X509_NAME *subject;
	OSSL_CRMF_CERTTEMPLATE *tmpl;
	unsigned char digest[32], *one = NULL;
	char cert_uuid[CMPD_UUID_LEN + 1];
	CMPD_MSG *rsp = NULL;
	int n, implicit, wait, r, gated = 0;
	long rid;

	memset(&res, 0, sizeof(res));
	memset(&chain, 0, sizeof(chain));
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
	if (!EVP_Digest(der, len, digest, NULL, EVP_sha256(), NULL))
		goto out;
	/* One place among connector_workers_max for the whole exchange
	 * (issue, caCertificates, a revocation if storing fails); none
	 * free: answered now, before anything is stored. */
	if (metrics_conn_enter_wait(METRICS_CONN_WAIT_MS) != 0) {
		*fail = CMPF_CA_BUSY;
		log_warn("PN=%s: connector_workers_max workers are in "
		    "connector calls; answered busy", p->cmp_name);
		goto out;
	}
	gated = 1;
	r = store_tx_begin(req, p, rid, digest);
	if (r == DB_DUP) {
		*fail = CMPF_TID_IN_USE;
		goto out;
	}
	if (r != DB_OK) {
		*fail = CMPF_DB_UNAVAILABLE;
		goto out;
	}

	cmp_enroll_target(p, 0, &target);
	if ((old != NULL ? conn_renew(&target, one, (size_t)n, "crmf", old,
	    &res) : conn_issue(&target, one, (size_t)n, "crmf", &res)) != 0 ||
	    res.status != CONN_OK) {
		*fail = res.status == CONN_OK ? CMPF_CA_FAILED :
		    enroll_conn_fail(&res);
		log_warn("PN=%s connector issue: %s (HTTP %ld): %s", p->cmp_name,
		    conn_status_name(res.status), res.http_status, res.message);
		snprintf(text, textlen, "%s", res.message);
		store_tx_set_state(tid, "failed");
		goto out;
	}
	/* caPubs of an ip: the issuing chain (RFC 9810 5.3.2). */
	capubs = cmp_msg_body_type(req) == CMPD_BODY_IR ?
	    enroll_chain(p, &target) : NULL;

	implicit = enroll_wants_implicit(req->header) &&
	    p->implicit_confirm_allowed;
	wait = p->confirm_wait_time > 0 ? p->confirm_wait_time :
	    c->confirm_wait_time;
	if ((rsp = enroll_answer(req, srv, rid, res.certificate,
	    capubs)) == NULL ||
	    enroll_general_info(rsp->header, implicit, wait) != 0)
		goto revoke;
	/* TS 33.310 9.5: a base station bootstraps trust in the operator's
	 * PKI from the ip: the CA chain in extraCerts too (cmp_protect_sig
	 * puts the signing certificate and its chain in front). */
	if (p->variant == VARIANT_V2_3GPP && capubs != NULL &&
	    (rsp->extraCerts = X509_chain_up_ref(capubs)) == NULL)
		goto revoke;
	if (i2d_X509(res.certificate, NULL) > STORE_CERT_MAX) {
		*fail = CMPF_CERT_TOO_LARGE;
		goto revoke;
	}
	if (store_issued(tid, res.certificate, p, res.uuid,
	    rsp->header->senderNonce, implicit, wait, cert_uuid) != DB_OK) {
		*fail = CMPF_DB_UNAVAILABLE;
		goto revoke;
	}
	*fail = CMPF_OK;
	goto out;
 revoke:
	/* Issued but not recorded: nothing half-stored may stay valid. */
	CMPD_MSG_free(rsp);
	rsp = NULL;
	conn_result_free(&chain);
	cmp_enroll_target(p, 1, &target);
	if (conn_revoke(&target, res.certificate, REASON_UNCONFIRMED,
	    &chain) != 0 || chain.status != CONN_OK)
		log_error("PN=%s: could not revoke a certificate that was not "
		    "recorded: %s", p->cmp_name, chain.message);
	store_tx_set_state(tid, "failed");
 out:
	if (gated)
		metrics_conn_leave();
	X509_free(old);
	OPENSSL_free(one);
	conn_result_free(&res);
	conn_result_free(&chain);
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
				store_revoke_later(t.cert_uuid, "rejected");
			}
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
 * The sweep. First, certificates the client never confirmed within
 * confirmWaitTime (RFC 9810 5.3.18) become 'revoke_pending', with their
 * transaction 'expired', in one statement. Then every 'revoke_pending'
 * certificate due is revoked at its CA; a failed attempt is retried a
 * minute later, at most REVOKE_ATTEMPTS_MAX times. Any worker, or
 * `cmpd --sweep`, may run it; GET_LOCK makes it one at a time. Returns
 * the number revoked, -1 on a database error.
 */
#define REVOKE_ATTEMPTS_MAX	20

int
cmp_sweep(int max)
{
	static const char sql_expire[] = "UPDATE cmp_transaction t "
	    "JOIN certificate c ON c.uuid = t.certificate_uuid "
	    "SET t.state = 'expired', c.status = 'revoke_pending', "
	    "c.revoke_final = 'revoked', c.revocation_reason = ?, "
	    "c.revoke_after = NOW(6) "
	    "WHERE t.state = 'confirm_wait' AND t.deadline < NOW(6)";
	static const char sql_due[] = "SELECT c.uuid, c.der, "
	    "c.ra_profile_uuid, c.cmp_profile_uuid, c.revocation_reason "
	    "FROM certificate c WHERE c.status = 'revoke_pending' AND "
	    "c.revoke_after < NOW(6) AND c.revoke_attempts < ? "
	    "ORDER BY c.revoke_after LIMIT 1";
	static const char sql_claim[] = "UPDATE certificate SET "
	    "revoke_attempts = revoke_attempts + 1, "
	    "revoke_after = NOW(6) + INTERVAL 60 SECOND "
	    "WHERE uuid = ? AND status = 'revoke_pending' AND "
	    "revoke_after < NOW(6)";
	static const char sql_done[] = "UPDATE certificate SET "
	    "status = COALESCE(revoke_final, 'revoked') WHERE uuid = ?";
	/* One sweeper at a time, across workers and hosts. */
	static const char sql_lock[] = "SELECT GET_LOCK('cmpd_sweep', 0)";
	static const char sql_unlock[] = "SELECT RELEASE_LOCK('cmpd_sweep')";
	static unsigned char der[STORE_CERT_MAX];
	char ra[CMPD_UUID_LEN + 1], cert_uuid[CMPD_UUID_LEN + 1];
	char cmp[CMPD_UUID_LEN + 1], reason[33];
	struct db_col c[5], lock = { DB_INT, NULL, 0, 0, 0, 0, 0 };
	struct db_arg ea[1] = { DB_ARG_STR(REASON_UNCONFIRMED) };
	struct db_arg da[1] = { DB_ARG_INT(REVOKE_ATTEMPTS_MAX) };
	struct conn_target target;
	struct conn_result res;
	struct profile *p = NULL;
	unsigned long long changed;
	struct timespec start;
	const unsigned char *q;
	X509 *cert = NULL;
	int done = 0, revoked = 0, r;

	memset(&res, 0, sizeof(res));
	clock_gettime(CLOCK_MONOTONIC, &start);
	/* Busy refusals must not use up revocation attempts: no place
	 * among connector_workers_max, no sweep this time. */
	if (metrics_conn_enter() != 0)
		return 0;
	if (db_run(sql_lock, NULL, 0, &lock, 1, NULL) != DB_OK) {
		metrics_conn_leave();
		return -1;
	}
	if (lock.i != 1) {
		metrics_conn_leave();
		return 0;	/* another sweeper is at work */
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto err;
	if (db_run(sql_expire, ea, 1, NULL, 0, &changed) != DB_OK)
		goto err;
	/* A time budget: a slow connector must not hold a worker long. */
	while (done < max && util_elapsed_ms(&start) < SWEEP_BUDGET_MS) {
		memset(c, 0, sizeof(c));
		c[0].type = DB_STR, c[0].buf = cert_uuid,
		    c[0].n = sizeof(cert_uuid);
		c[1].type = DB_BLOB, c[1].buf = der, c[1].n = sizeof(der);
		c[2].type = DB_STR, c[2].buf = ra, c[2].n = sizeof(ra);
		c[3].type = DB_STR, c[3].buf = cmp, c[3].n = sizeof(cmp);
		c[4].type = DB_STR, c[4].buf = reason, c[4].n = sizeof(reason);
		if ((r = db_run(sql_due, da, 1, c, NITEMS(c), NULL)) ==
		    DB_NOTFOUND)
			break;
		if (r != DB_OK)
			goto err;
		done++;
		{
			struct db_arg a[1] = { DB_ARG_STR(cert_uuid) };

			changed = 0;
			if (db_run(sql_claim, a, 1, NULL, 0, &changed) != DB_OK)
				goto err;
			if (changed != 1)
				continue;	/* another sweeper was first */
			q = der;
			X509_free(cert);
			if ((cert = d2i_X509(NULL, &q, (long)c[1].len)) ==
			    NULL || profile_load_connector(ra, cmp, p) != DB_OK) {
				log_error("sweep: no connector to revoke "
				    "certificate %s; retried later", cert_uuid);
				continue;
			}
			cmp_enroll_target(p, 1, &target);
			conn_result_free(&res);
			if (conn_revoke(&target, cert, reason[0] != '\0' ?
			    reason : REASON_UNCONFIRMED, &res) != 0 ||
			    res.status != CONN_OK) {
				log_error("sweep: revoking certificate %s "
				    "failed: %s; retried later", cert_uuid,
				    res.message);
			} else if (db_run(sql_done, a, 1, NULL, 0, NULL) ==
			    DB_OK) {
				log_info("sweep: certificate %s revoked",
				    cert_uuid);
				revoked++;
			}
			profile_clear(p);
		}
	}
	r = revoked;
	goto out;
 err:
	r = -1;
 out:
	db_run(sql_unlock, NULL, 0, &lock, 1, NULL);
	metrics_conn_leave();
	X509_free(cert);
	conn_result_free(&res);
	if (p != NULL)
		profile_clear(p);
	free(p);
	return r;
}
