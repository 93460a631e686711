/*
 * Revocation requests (rr, RFC 9810 5.3.9) and their answer (rp, 5.3.10).
 * Only the certificate itself may ask for its revocation: the request
 * must be signed with it (a shared secret is held by many devices), or
 * by a registration authority of the CMP Profile allowed to revoke. The
 * certificate must be one this RA Profile issued, and its CA is told the
 * reason the client gave (the reference always says "unspecified").
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

/* CRLReason (RFC 5280 5.3.1) names of the connector API; 7 is unused and
 * removeFromCRL (8) is no revocation. */
static const char *const reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL, NULL,
	"privilegeWithdrawn", "aACompromise",
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
	int reason, r;

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
	/* Unknown, or another RA Profile's: the same answer. */
	if (r == DB_NOTFOUND) {
		*fail = CMPF_RR_UNKNOWN_CERT;
		goto out;
	}
	signer = verified_by_sig && req->extraCerts != NULL ?
	    sk_X509_value(req->extraCerts, 0) : NULL;
	/* or an RA with the revoke permission, for any certificate of the
	 * RA Profile (RFC 9483 5.3.2) */
	if (signer == NULL || (X509_cmp(signer, sc.cert) != 0 &&
	    !((r = cmp_ra_perms(p)) > 0 && (r & RA_PERM_REVOKE)))) {
		*fail = signer != NULL && r < 0 ? CMPF_DB_UNAVAILABLE :
		    CMPF_RR_NOT_AUTHORIZED;
		goto out;
	}
	if (strcmp(sc.status, "issued") != 0) {
		*fail = CMPF_RR_REVOKED;
		goto out;
	}
	cmp_ca_target(p, 1, &target);
	if (conn_revoke(&target, sc.cert, reasons[reason], &res) != 0 ||
	    res.status != CONN_OK) {
		*fail = cmp_ca_conn_fail(&res, arg, arglen);
		log_warn("PN=%s connector revoke: %s (HTTP %ld): %s",
		    p->cmp_name, conn_status_name(res.status),
		    res.http_status, res.message);
		goto out;
	}
	if (store_cert_revoked(sc.uuid, reasons[reason]) != DB_OK)
		log_error("PN=%s: certificate %s revoked at the CA but not "
		    "marked so", p->cmp_name, sc.uuid);
	if ((rsp = revoke_answer(req, srv, sc.cert)) != NULL)
		*fail = CMPF_OK;
 out:
	X509_free(sc.cert);
	conn_result_free(&res);
	ERR_clear_error();
	return rsp;
}
