/*
 * Certificate confirmation (certConf: RFC 9810 5.3.18), from the
 * requester of the transaction only, at any worker: the transaction is
 * read from MariaDB; a rejected certificate is revoked at once, or by
 * the sweep when the CA cannot be reached.
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
			cmp_ca_target(ra, 1, &target);
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
