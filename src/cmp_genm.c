/*
 * General messages (genm, RFC 9810 5.3.19) and their answer (genp,
 * 5.3.20), as RFC 9483 4.3 profiles them: one InfoTypeAndValue per genm,
 * answered by one of the same (or the paired) type:
 *
 *   caCerts          -> caCerts: the RA Profile's CA certificates (4.3.1)
 *   rootCaCert       -> rootCaKeyUpdate: the CA's new root with its link
 *                       certificates, if it rolled over from the
 *                       client's root (4.3.2)
 *   certReqTemplate  -> certReqTemplate: the CMP Profile's template (4.3.3)
 *   crlStatusList    -> crls: the CA's CRL, if newer than the client's
 *                       (4.3.4)
 *   anything else    -> the same type with no value (4.3)
 *
 * An absent value means "none" or "nothing newer" (RFC 9483 4.3.2-4.3.4).
 *
 * A connector call that runs past the CMP Profile's syncBudget makes it
 * delayed delivery (RFC 9483 4.4, RFC 9810 5.3.22): an error message with
 * status waiting, then pollReq {certReqId -1} asks the CA again until the
 * genp can go out (cmp_genm_poll).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "cmp_itav.h"
#include "conn.h"
#include "jsoncheck.h"
#include "store.h"

#define GENM_CRLSTATUS_MAX	16	/* CRLStatus entries read */
#define GENM_ITAV_MAX		65535	/* a waiting genm's ITAV, DER (BLOB) */

/* The value built for an answer: NULL (absent) or an ANY to take over. */
struct genm_value {
	const char *rsp_oid;	/* NULL: the request's infoType */
	ASN1_TYPE *value;
	int	 late;		/* the CA did not answer within syncBudget */
};

static int
genm_seq_of(int (*i2d)(const void *, unsigned char **), const void *v,
    ASN1_TYPE **out)
{
	unsigned char *der = NULL;
	int len;

	if ((len = i2d(v, &der)) <= 0)
		return -1;
	*out = cmp_itav_seq_value(der, len);
	OPENSSL_free(der);
	return *out != NULL ? 0 : -1;
}

static int
genm_i2d_certs(const void *v, unsigned char **der)
{
	return i2d_CMPD_CERTSEQ((const CMPD_CERTSEQ *)v, der);
}

static int
genm_i2d_crls(const void *v, unsigned char **der)
{
	return i2d_CMPD_CRLSEQ((const CMPD_CRLSEQ *)v, der);
}

static int
genm_i2d_rootupd(const void *v, unsigned char **der)
{
	return i2d_CMPD_ROOTCAKEYUPDATE((const CMPD_ROOTCAKEYUPDATE *)v, der);
}

/* RFC 9483 4.3.1: the certificates of the RA Profile's CA, as cached. */
static enum cmp_fail
genm_ca_certs(const struct profile *prof, struct genm_value *gv,
    char *arg, size_t arglen)
{
	STACK_OF(X509) *chain;

	if ((chain = cmp_ca_chain(prof, &gv->late, NULL)) == NULL) {
		snprintf(arg, arglen, "certificates");
		return CMPF_GENM_CA_UNAVAILABLE;
	}
	if (sk_X509_num(chain) == 0)
		return CMPF_OK;
	return genm_seq_of(genm_i2d_certs, chain, &gv->value) == 0 ? CMPF_OK :
	    CMPF_INTERNAL;
}

/*
 * Whether the CA's rollover (chain = [newWithNew, newWithOld, oldWithNew
 * or none]) holds together as RFC 9810 4.4.1 defines it: newWithNew
 * self-signed, newWithOld of newWithNew's key, oldWithNew signed with
 * it. A client that checks refuses anything else; one that does not
 * would take a root the links do not vouch for. NULL when it holds,
 * else what does not.
 */
static const char *
genm_rollover_unsound(const STACK_OF(X509) *chain)
{
	X509 *nwn = sk_X509_value(chain, 0), *nwo = sk_X509_value(chain, 1),
	    *own = sk_X509_value(chain, 2);
	EVP_PKEY *nk = X509_get0_pubkey(nwn);

	if (nk == NULL || X509_verify(nwn, nk) != 1 ||
	    X509_NAME_cmp(X509_get_subject_name(nwn),
	    X509_get_issuer_name(nwn)) != 0)
		return "newWithNew is not self-signed";
	if (X509_get0_pubkey(nwo) == NULL ||
	    EVP_PKEY_eq(X509_get0_pubkey(nwo), nk) != 1 ||
	    X509_NAME_cmp(X509_get_subject_name(nwo),
	    X509_get_subject_name(nwn)) != 0)
		return "newWithOld does not certify newWithNew's name and key";
	if (own != NULL && (X509_verify(own, nk) != 1 ||
	    X509_NAME_cmp(X509_get_issuer_name(own),
	    X509_get_subject_name(nwn)) != 0))
		return "oldWithNew is not signed with newWithNew's key";
	if (own != NULL && (X509_get0_pubkey(own) == NULL ||
	    X509_verify(nwo, X509_get0_pubkey(own)) != 1))
		return "newWithOld is not signed with oldWithNew's key";
	return NULL;
}

/*
 * RFC 9483 4.3.2: the client names the root it trusts (or none); the
 * answer is the CA's newWithNew with its link certificates when the CA
 * rolled over from that root: newWithOld must verify with its key. A
 * rollover that does not hold together (genm_rollover_unsound) is the
 * CA's fault: the client is told to try later, the log says why.
 */
static enum cmp_fail
genm_root_update(const struct profile *prof, const CMPD_ITAV *itav,
    struct genm_value *gv, char *arg, size_t arglen)
{
	CMPD_ROOTCAKEYUPDATE *upd = NULL;
	struct conn_target target;
	struct conn_result res;
	const unsigned char *p;
	X509 *old = NULL;
	const char *why;
	long len;
	enum cmp_fail f = CMPF_OK;

	memset(&res, 0, sizeof(res));
	gv->rsp_oid = CMP_ITAV_OID_ROOTCAKEYUPDATE;
	if (itav->infoValue != NULL) {
		if (cmp_itav_value_der(itav->infoValue, &p, &len) != 0 ||
		    (old = d2i_X509(NULL, &p, len)) == NULL) {
			snprintf(arg, arglen, "rootCaCert");
			f = CMPF_GENM_BAD_VALUE;
			goto out;
		}
	}
	cmp_ca_target(prof, 0, &target);
	target.timeout_ms = cmp_ca_budget_ms(prof);
	if (conn_root_ca_update(&target, &res) == 0 &&
	    (res.status == CONN_INSECURE || res.status == CONN_BUSY)) {
		/* not asked: as for any other call */
		f = cmp_ca_conn_fail(&res, arg, arglen);
		goto out;
	}
	if (res.status != CONN_OK && res.status != CONN_NOT_FOUND) {
		log_warn("PN=%s connector rootCaKeyUpdate: %s (HTTP %ld): %s",
		    prof->cmp_name, conn_status_name(res.status),
		    res.http_status, res.message);
		snprintf(arg, arglen, "root CA key update");
		f = CMPF_GENM_CA_UNAVAILABLE;
		gv->late = cmp_ca_too_late(prof, &res);
		goto out;
	}
	if (res.chain == NULL || sk_X509_num(res.chain) < 2)
		goto out;		/* no rollover: no value */
	if ((why = genm_rollover_unsound(res.chain)) != NULL) {
		log_error("PN=%s connector rootCaKeyUpdate: %s; not passed on",
		    prof->cmp_name, why);
		snprintf(arg, arglen, "root CA key update");
		f = CMPF_GENM_CA_UNAVAILABLE;
		goto out;
	}
	/* An update from another root, or to the root the client has
	 * already, is no update for this client. */
	if (old != NULL && (X509_cmp(old, sk_X509_value(res.chain, 0)) == 0 ||
	    X509_verify(sk_X509_value(res.chain, 1),
	    X509_get0_pubkey(old)) != 1))
		goto out;
	if ((upd = CMPD_ROOTCAKEYUPDATE_new()) == NULL) {
		f = CMPF_INTERNAL;
		goto out;
	}
	X509_free(upd->newWithNew);
	upd->newWithNew = sk_X509_value(res.chain, 0);
	upd->newWithOld = sk_X509_value(res.chain, 1);
	/* absent when the CA left it out (RFC 9483 4.3.2: optional) */
	upd->oldWithNew = sk_X509_value(res.chain, 2);
	if (genm_seq_of(genm_i2d_rootupd, upd, &gv->value) != 0)
		f = CMPF_INTERNAL;
	/* the certificates stay the result's */
	upd->newWithNew = upd->newWithOld = upd->oldWithNew = NULL;
 out:
	CMPD_ROOTCAKEYUPDATE_free(upd);
	X509_free(old);
	conn_result_free(&res);
	ERR_clear_error();
	return f;
}

/* RFC 9483 4.3.3: the CMP Profile's CertReqTemplateContent, if any. */
static enum cmp_fail
genm_template(const struct profile *prof, struct genm_value *gv)
{
	static const char sql[] = "SELECT COALESCE(cert_req_template, '') "
	    "FROM cmp_profile WHERE uuid = ?";
	char text[CMP_TMPL_JSON_MAX + 1], err[160];
	struct db_arg a[1] = { DB_ARG_STR(prof->cmp_uuid) };
	struct db_col col = { DB_STR, text, sizeof(text), 0, 0, 0, 0 };
	json_object *o = NULL;
	unsigned char *der = NULL;
	int len, rc;
	enum cmp_fail f = CMPF_GENM_BAD_TEMPLATE;

	if ((rc = db_run(sql, a, 1, &col, 1, NULL)) == DB_NOTFOUND)
		return CMPF_OK;
	if (rc != DB_OK)
		return CMPF_DB_UNAVAILABLE;
	if (col.null || text[0] == '\0')
		return CMPF_OK;		/* no template: no value */
	if (jsoncheck_parse(text, strlen(text), 8, &o) != PARSE_OK) {
		log_error("PN=%s: certReqTemplate is not JSON", prof->cmp_name);
		goto out;
	}
	if ((rc = cmp_tmpl_build(o, &der, &len, err, sizeof(err))) != 0) {
		log_error("PN=%s: %s", prof->cmp_name, err);
		if (rc == -2)
			f = CMPF_INTERNAL;
		goto out;
	}
	f = (gv->value = cmp_itav_seq_value(der, len)) != NULL ? CMPF_OK :
	    CMPF_INTERNAL;
 out:
	OPENSSL_free(der);
	json_object_put(o);
	return f;
}

/* Does a CRLStatus source name this CRL? */
static int
genm_crl_source_matches(const CMPD_CRLSOURCE *src, X509_CRL *crl)
{
	GENERAL_NAME *gn;
	int i;

	/* cmpd knows one CRL per RA Profile, its CA's: a distribution
	 * point the client got from a certificate of that CA names it. */
	if (src->type == CMPD_CRLSOURCE_DPN)
		return 1;
	for (i = 0; i < sk_GENERAL_NAME_num(src->value.issuer); i++) {
		gn = sk_GENERAL_NAME_value(src->value.issuer, i);
		if (gn->type == GEN_DIRNAME &&
		    X509_NAME_cmp(gn->d.directoryName,
		    X509_CRL_get_issuer(crl)) == 0)
			return 1;
	}
	return 0;
}

/*
 * RFC 9483 4.3.4: the CA's current CRL for a CRLStatus that names it and
 * whose thisUpdate is older (or absent); no value when the client's is
 * current.
 */
static enum cmp_fail
genm_crls(const struct profile *prof, const CMPD_ITAV *itav,
    struct genm_value *gv, char *arg, size_t arglen)
{
	CMPD_CRLSTATUSLIST *list = NULL;
	STACK_OF(X509_CRL) *out = NULL;
	const unsigned char *p;
	CMPD_CRLSTATUS *st;
	struct ca_crl_state cs;
	X509_CRL *crl;
	long len;
	int i, send = 0;
	enum cmp_fail f = CMPF_OK;

	gv->rsp_oid = CMP_ITAV_OID_CRLS;
	if (itav->infoValue == NULL ||
	    cmp_itav_value_der(itav->infoValue, &p, &len) != 0 ||
	    (list = d2i_CMPD_CRLSTATUSLIST(NULL, &p, len)) == NULL ||
	    sk_CMPD_CRLSTATUS_num(list) < 1 ||
	    sk_CMPD_CRLSTATUS_num(list) > GENM_CRLSTATUS_MAX) {
		snprintf(arg, arglen, "crlStatusList");
		f = CMPF_GENM_BAD_VALUE;
		goto out;
	}
	if ((crl = cmp_ca_crl(prof, &cs)) == NULL) {
		gv->late = cs.late;
		snprintf(arg, arglen, "CRL");
		f = CMPF_GENM_CA_UNAVAILABLE;
		goto out;
	}
	for (i = 0; i < sk_CMPD_CRLSTATUS_num(list); i++) {
		st = sk_CMPD_CRLSTATUS_value(list, i);
		if (!genm_crl_source_matches(st->source, crl))
			continue;
		if (st->thisUpdate == NULL ||
		    ASN1_TIME_compare(X509_CRL_get0_lastUpdate(crl),
		    st->thisUpdate) > 0)
			send = 1;
	}
	if (!send)
		goto out;
	if ((out = sk_X509_CRL_new_null()) == NULL ||
	    !sk_X509_CRL_push(out, crl) ||
	    genm_seq_of(genm_i2d_crls, out, &gv->value) != 0)
		f = CMPF_INTERNAL;
 out:
	sk_X509_CRL_free(out);		/* the CRL is the cache's */
	CMPD_CRLSTATUSLIST_free(list);
	ERR_clear_error();
	return f;
}

/* The genp: one InfoTypeAndValue of type oid (or the request's). */
static CMPD_MSG *
genm_answer(const CMPD_MSG *req, const X509_NAME *srv,
    const ASN1_OBJECT *req_type, struct genm_value *gv)
{
	CMPD_ITAV *itav = NULL;
	CMPD_MSG *m;

	if ((m = cmp_msg_response_new(req->header, srv, CMPD_BODY_GENP)) ==
	    NULL)
		return NULL;
	if ((m->body->value.genp = sk_CMPD_ITAV_new_null()) == NULL ||
	    (itav = CMPD_ITAV_new()) == NULL)
		goto err;
	ASN1_OBJECT_free(itav->infoType);
	itav->infoType = gv->rsp_oid != NULL ? cmp_itav_oid(gv->rsp_oid) :
	    OBJ_dup(req_type);
	if (itav->infoType == NULL)
		goto err;
	itav->infoValue = gv->value;
	gv->value = NULL;
	if (!sk_CMPD_ITAV_push(m->body->value.genp, itav))
		goto err;
	return m;
 err:
	CMPD_ITAV_free(itav);
	CMPD_MSG_free(m);
	return NULL;
}

/* The answer's value for one InfoTypeAndValue asked for, into gv. */
static enum cmp_fail
genm_value(const struct profile *prof, const CMPD_ITAV *itav,
    struct genm_value *gv, char *arg, size_t arglen)
{
	const ASN1_OBJECT *type = itav->infoType;

	if (cmp_itav_is(type, CMP_ITAV_OID_CACERTS))
		return genm_ca_certs(prof, gv, arg, arglen);
	if (cmp_itav_is(type, CMP_ITAV_OID_ROOTCACERT))
		return genm_root_update(prof, itav, gv, arg, arglen);
	if (cmp_itav_is(type, CMP_ITAV_OID_CERTREQTEMPLATE))
		return genm_template(prof, gv);
	if (cmp_itav_is(type, CMP_ITAV_OID_CRLSTATUSLIST))
		return genm_crls(prof, itav, gv, arg, arglen);
	return CMPF_OK;		/* not supported: the type, no value */
}

/*
 * The CA was too slow: the genm waits (RFC 9483 4.4). Its row, with what
 * it asked for, is recorded before the answer leaves.
 */
static CMPD_MSG *
genm_waiting(const CMPD_MSG *req, const struct profile *p,
    const X509_NAME *srv, const CMPD_ITAV *itav, enum cmp_fail *f)
{
	struct cmp_requester who;
	unsigned char *der = NULL;
	CMPD_MSG *m = NULL;
	int len, r;

	*f = CMPF_INTERNAL;
	if (cmp_protect_requester(req, p, &who) != 0 ||
	    (len = i2d_CMPD_ITAV(itav, &der)) <= 0 || len > GENM_ITAV_MAX ||
	    (m = cmp_msg_waiting_new(req->header, srv, "the certificate "
	    "authority has not answered yet")) == NULL)
		goto err;
	if ((r = store_genm_wait(req, p, &who, der, (size_t)len,
	    m->header->senderNonce, CMPD_CHECK_AFTER, CMPD_POLL_ABANDON)) !=
	    DB_OK) {
		*f = r == DB_DUP ? CMPF_TID_IN_USE : CMPF_DB_UNAVAILABLE;
		goto err;
	}
	OPENSSL_free(der);
	*f = CMPF_OK;
	return m;
 err:
	OPENSSL_free(der);
	CMPD_MSG_free(m);
	return NULL;
}

CMPD_MSG *
cmp_genm(const CMPD_MSG *req, const struct profile *prof,
    const X509_NAME *srv, enum cmp_fail *f, char *arg, size_t arglen)
{
	STACK_OF(CMPD_ITAV) *in = req->body->value.genm;
	STACK_OF(ASN1_UTF8STRING) *profiles = NULL;
	struct genm_value gv = { NULL, NULL, 0 };
	const CMPD_ITAV *itav;
	CMPD_MSG *rsp = NULL;
	int n = sk_CMPD_ITAV_num(in);

	/* RFC 9483 4.3: exactly one InfoTypeAndValue */
	if (n != 1) {
		snprintf(arg, arglen, "%d", n < 0 ? 0 : n);
		*f = CMPF_GENM_NOT_ONE;
		return NULL;
	}
	itav = sk_CMPD_ITAV_value(in, 0);
	/* RFC 9483 4.3.3: a certReqTemplate may be asked for by profile */
	if (cmp_itav_is(itav->infoType, CMP_ITAV_OID_CERTREQTEMPLATE)) {
		if ((*f = cmp_certprofile_get(req->header, 1, &profiles, arg,
		    arglen)) == CMPF_OK)
			*f = cmp_certprofile_offered(profiles, 0, prof, arg,
			    arglen);
		CMPD_CERTPROFILE_free(profiles);
		if (*f != CMPF_OK)
			return NULL;
	}
	*f = genm_value(prof, itav, &gv, arg, arglen);
	if (gv.late) {
		log_info("PN=%s: genm: the CA did not answer within the "
		    "synchronous budget; answered waiting", prof->cmp_name);
		rsp = genm_waiting(req, prof, srv, itav, f);
	} else if (*f == CMPF_OK &&
	    (rsp = genm_answer(req, srv, itav->infoType, &gv)) == NULL)
		*f = CMPF_INTERNAL;
	ASN1_TYPE_free(gv.value);
	return rsp;
}

/*
 * pollReq for a waiting genm (cmp_poll.c found the row, checked
 * requester, certReqId -1 and nonce): the CA asked again for what the
 * genm asked. Still too slow: NULL with *f CMPF_OK (the caller answers
 * pollRep). Otherwise the genp, or the error a direct genm would have
 * had; the row is settled either way.
 */
CMPD_MSG *
cmp_genm_poll(const CMPD_MSG *req, const struct profile *prof,
    const X509_NAME *srv, const struct store_tx *t, enum cmp_fail *f,
    char *arg, size_t arglen)
{
	static unsigned char buf[GENM_ITAV_MAX];
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	struct genm_value gv = { NULL, NULL, 0 };
	const unsigned char *p = buf;
	CMPD_ITAV *itav = NULL;
	CMPD_MSG *rsp = NULL;
	size_t len;
	int r;

	if ((r = store_genm_itav(tid, buf, sizeof(buf), &len)) != DB_OK) {
		*f = r == DB_NOTFOUND ? CMPF_POLL_NOT_WAITING :
		    CMPF_DB_UNAVAILABLE;
		snprintf(arg, arglen, "-1");
		return NULL;
	}
	if ((itav = d2i_CMPD_ITAV(NULL, &p, (long)len)) == NULL) {
		*f = CMPF_INTERNAL;
		return NULL;
	}
	*f = genm_value(prof, itav, &gv, arg, arglen);
	if (gv.late) {
		*f = CMPF_OK;		/* pollRep */
		goto out;
	}
	if (*f == CMPF_OK &&
	    (rsp = genm_answer(req, srv, itav->infoType, &gv)) == NULL)
		*f = CMPF_INTERNAL;
	if (store_tx_set_state(tid, t->pos, rsp != NULL ? "confirmed" :
	    "failed") != DB_OK) {
		CMPD_MSG_free(rsp);
		rsp = NULL;
		*f = CMPF_DB_UNAVAILABLE;
	}
 out:
	ASN1_TYPE_free(gv.value);
	CMPD_ITAV_free(itav);
	ERR_clear_error();
	return rsp;
}
