/*
 * Certificate confirmation (certConf: RFC 9810 5.3.18), from the
 * requester of the transaction only, at any worker: the transaction is
 * read from MariaDB (the common certConf, one certificate accepted, is
 * checked and settled by one UPDATE instead); a rejected certificate is
 * revoked at once, or by the sweep when the CA cannot be reached.
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
#include "store.h"

/* The revocation reason for certificates the client did not accept. */
#define REASON_UNCONFIRMED	STORE_REASON_UNDELIVERED

/* hashAlg digests accepted in a certConf (RFC 9481 2) */
static const int confirm_md_ok[] = { NID_sha256, NID_sha384, NID_sha512,
	NID_sha3_256, NID_sha3_384, NID_sha3_512, NID_shake256 };

/*
 * The hash of the certificate's signature algorithm, read from its DER
 * without decoding the rest (its public key): for the algorithms that
 * name a SHA-2 or SHA-3 hash, the one X509_digest_sig() takes; NULL for
 * the others (RSASSA-PSS, EdDSA, MD5 or SHA-1), which it decides itself.
 */
static const EVP_MD *
confirm_sig_md(const unsigned char *der, size_t len)
{
	static const int plain[] = { NID_sha224, NID_sha256, NID_sha384,
		NID_sha512, NID_sha3_224, NID_sha3_256, NID_sha3_384,
		NID_sha3_512 };
	const unsigned char *q = der;
	const ASN1_OBJECT *oid;
	CMPD_CERTSIG *c;
	int mdnid = NID_undef, pknid;
	size_t i;

	if ((c = d2i_CMPD_CERTSIG(NULL, &q, (long)len)) == NULL)
		return NULL;
	X509_ALGOR_get0(&oid, NULL, NULL, c->signatureAlgorithm);
	if (!OBJ_find_sigid_algs(OBJ_obj2nid(oid), &mdnid, &pknid))
		mdnid = NID_undef;
	CMPD_CERTSIG_free(c);
	for (i = 0; i < NITEMS(plain); i++)
		if (plain[i] == mdnid)
			return EVP_get_digestbynid(mdnid);
	return NULL;
}

/*
 * SHAKE256 of the certificate, as RFC 9481 2.2 and 3.3 use it for a
 * certHash: 512 bits. OpenSSL 3.0's client sends the first 256 of them
 * (X509_digest_sig's default output), which is taken as well: an XOF's
 * shorter output is the start of its longer one.
 */
static int
confirm_shake_ok(const ASN1_OCTET_STRING *h, const struct store_tx *t)
{
	unsigned char md[64];
	size_t n = (size_t)ASN1_STRING_length(h);
	EVP_MD_CTX *ctx;
	int ok = 0;

	if ((n != 64 && n != 32) || (ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	if (EVP_DigestInit_ex(ctx, EVP_shake256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, t->der, t->der_len) == 1 &&
	    EVP_DigestFinalXOF(ctx, md, sizeof(md)) == 1)
		ok = CRYPTO_memcmp(ASN1_STRING_get0_data(h), md, n) == 0;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/*
 * RFC 9810 5.3.18: certHash with hashAlg (pvno 3 only), or the hash the
 * certificate's signature uses: X509_digest_sig() knows the rules
 * (RSASSA-PSS parameters, SHA-512 for Ed25519, SHA-256 when the
 * signature names no hash); SHAKE256 for Ed448 and for hashAlg
 * id-shake256 is confirm_shake_ok's. The common cases hash the stored
 * DER as it is (what X509_digest hashes); only the others decode the
 * certificate.
 */
static int
confirm_hash_ok(const CMPD_CERTSTATUS *cs, int pvno, struct store_tx *t)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	ASN1_OCTET_STRING *own = NULL;
	unsigned int mdlen = 0;
	const EVP_MD *type;
	X509 *cert;
	size_t i;
	int nid, ok = 0;

	if (cs->hashAlg != NULL) {
		nid = OBJ_obj2nid(cs->hashAlg->algorithm);
		for (i = 0; i < NITEMS(confirm_md_ok); i++)
			if (confirm_md_ok[i] == nid)
				break;
		if (pvno != 3 || i == NITEMS(confirm_md_ok))
			return 0;
		if (nid == NID_shake256)
			return confirm_shake_ok(cs->certHash, t);
		if ((type = EVP_get_digestbynid(nid)) == NULL ||
		    !EVP_Digest(t->der, t->der_len, md, &mdlen, type, NULL))
			return 0;
		return (size_t)ASN1_STRING_length(cs->certHash) == mdlen &&
		    CRYPTO_memcmp(ASN1_STRING_get0_data(cs->certHash), md,
		    mdlen) == 0;
	}
	if ((type = confirm_sig_md(t->der, t->der_len)) != NULL) {
		if (!EVP_Digest(t->der, t->der_len, md, &mdlen, type, NULL))
			return 0;
		return (size_t)ASN1_STRING_length(cs->certHash) == mdlen &&
		    CRYPTO_memcmp(ASN1_STRING_get0_data(cs->certHash), md,
		    mdlen) == 0;
	}
	if ((cert = store_tx_cert(t)) == NULL)
		return 0;
	if (X509_get_signature_nid(cert) == NID_ED448)
		return confirm_shake_ok(cs->certHash, t);
	if ((own = X509_digest_sig(cert, NULL, NULL)) == NULL)
		return 0;
	ok = ASN1_STRING_cmp(own, cs->certHash) == 0;
	ASN1_OCTET_STRING_free(own);
	return ok;
}

/*
 * A transaction's follow-up (certConf; pollReq and error once they are
 * answered) comes from its requester: the protection certificate that
 * signed the ir/cr/kur, or a MAC with the same senderKID and the same
 * secret: the same device entry's (not one made anew under its
 * reference), or the profile's (DESIGN invariant 2). Anyone else who
 * learnt the transactionID and the nonce must not confirm or reject
 * another device's certificate. A requester that began it as a
 * registration authority (for another subject, or vouching for the POP)
 * must still be one with those permissions: an RA taken off the list,
 * or whose permissions were reduced, collects and confirms nothing more
 * of what it began, as inside a nested (cmp_nested.c) (its unconfirmed
 * certificates are revoked by the sweep).
 */
enum cmp_fail
cmp_requester_check(const CMPD_MSG *req, const struct profile *p,
    const struct store_tx *first)
{
	struct cmp_requester now;
	int perms;

	/* none recorded: a transaction older than the record, refused */
	if (!first->has_requester ||
	    cmp_protect_requester(req, p, &now) != 0 ||
	    !cmp_protect_requester_eq(&first->requester, &now))
		return CMPF_NOT_REQUESTER;
	if (first->requester.ra == 0)
		return CMPF_OK;
	if ((perms = cmp_ra_chain_perms(p, p->signer_chain)) < 0)
		return CMPF_DB_UNAVAILABLE;
	if ((perms & first->requester.ra) != first->requester.ra)
		return CMPF_RA_WITHDRAWN;
	return CMPF_OK;
}

/*
 * The rejected (or never confirmed) certificate of row t must not stay
 * valid (RFC 9810 5.3.18): revoked through the RA Profile that issued it,
 * whatever route the message took. Its revocation is owed already
 * (store_confirm): when the CA fails, or this worker dies first, the
 * sweep revokes it.
 */
static void
confirm_revoke(struct store_tx *t, const struct profile *p)
{
	struct conn_result res;
	struct conn_target target;
	struct profile *ra;

	memset(&res, 0, sizeof(res));
	if ((ra = calloc(1, sizeof(*ra))) == NULL ||
	    profile_load_connector(t->ra_uuid, t->cmp_uuid, ra) != DB_OK) {
		log_error("PN=%s: no connector to revoke rejected "
		    "certificate %s now; the sweep retries",
		    p->cmp_name, t->cert_uuid);
		(void)store_revoke_later(t->cert_uuid, "rejected");
	} else {
		cmp_ca_target(ra, 1, &target);
		if (store_tx_cert(t) == NULL || conn_revoke(&target, t->cert,
		    REASON_UNCONFIRMED, &res) != 0 || res.status != CONN_OK) {
			log_error("PN=%s: revoking rejected certificate "
			    "%s failed: %s; the sweep retries",
			    p->cmp_name, t->cert_uuid, res.message);
			metrics_revocation(METRICS_REV_FAILED);
			if (store_revoke_later(t->cert_uuid,
			    "rejected") == DB_OK)
				store_revoke_result(t->cert_uuid,
				    REASON_UNCONFIRMED, res.message);
		} else {
			metrics_revocation(res.already_revoked ?
			    METRICS_REV_ALREADY : METRICS_REV_REVOKED);
			/* its final status, 'rejected' (not written: the
			 * sweep asks the CA again, "already revoked") */
			if (store_revoke_result(t->cert_uuid,
			    REASON_UNCONFIRMED, NULL) != DB_OK)
				log_warn("PN=%s: rejected certificate %s "
				    "revoked, not recorded; the sweep asks the "
				    "CA again", p->cmp_name, t->cert_uuid);
		}
	}
	if (ra != NULL) {
		profile_clear(ra);
		free(ra);
	}
	conn_result_free(&res);
}

/*
 * The transaction's rows, from its requester only. *nwait: how many wait
 * for a certConf; CMPF_OK.
 */
static enum cmp_fail
confirm_load(const CMPD_MSG *req, const struct profile *p,
    struct store_tx *t, size_t *n, size_t *nwait, int *nconfirmed)
{
	enum cmp_fail f;
	size_t i;
	int r;

	*nwait = 0;
	*nconfirmed = 0;
	if ((r = store_tx_list(req->header->transactionID, t,
	    CMPD_CERT_REQ_MAX, n)) == DB_ERR)
		return CMPF_DB_UNAVAILABLE;
	/* Another profile's transaction is as unknown as a missing one. */
	if (r == DB_NOTFOUND || strcmp(t[0].cmp_uuid, p->cmp_uuid) != 0)
		return CMPF_TX_UNKNOWN;
	if ((f = cmp_requester_check(req, p, &t[0])) != CMPF_OK)
		return f;
	for (i = 0; i < *n; i++) {
		if (strcmp(t[i].state, "confirm_wait") == 0 &&
		    t[i].der != NULL)
			(*nwait)++;
		if (strcmp(t[i].state, "confirmed") == 0)
			(*nconfirmed)++;
	}
	return CMPF_OK;
}

/* recipNonce is the senderNonce of the answer the rows wait on (none
 * sent yet: nothing to answer). */
static int
confirm_nonce_ok(const ASN1_OCTET_STRING *rn, const struct store_tx *t)
{
	return rn != NULL && t->nonce_len > 0 &&
	    (size_t)ASN1_STRING_length(rn) == t->nonce_len &&
	    CRYPTO_memcmp(ASN1_STRING_get0_data(rn), t->nonce,
	    t->nonce_len) == 0;
}

static CMPD_MSG *
confirm_pkiconf(const CMPD_MSG *req, const X509_NAME *srv)
{
	CMPD_MSG *rsp;

	if ((rsp = cmp_msg_response_new(req->header, srv,
	    CMPD_BODY_PKICONF)) == NULL)
		return NULL;
	if ((rsp->body->value.pkiconf = ASN1_NULL_new()) == NULL) {
		CMPD_MSG_free(rsp);
		return NULL;
	}
	return rsp;
}

/* A CertStatus that accepts its certificate: accepted or
 * grantedWithMods, or no statusInfo; anything else refuses it. */
static int
confirm_accepts(const CMPD_CERTSTATUS *cs)
{
	return cs->statusInfo == NULL ||
	    ASN1_INTEGER_get(cs->statusInfo->status) ==
	    CMPD_PKISTATUS_ACCEPTED ||
	    ASN1_INTEGER_get(cs->statusInfo->status) ==
	    CMPD_PKISTATUS_GRANTEDWITHMODS;
}

/*
 * The common certConf, settled without reading the transaction: one
 * CertStatus that accepts, its certHash by the certificate's signature
 * (no hashAlg), answering a transaction of one certificate. One UPDATE
 * checks what cmp_confirm checks and confirms (store_confirm_one), and
 * the signer's look-up in the inventory when it was left to it
 * (p->signer_pending, cleared when the UPDATE confirmed). Returns the
 * pkiConf; NULL with *fail CMPF_OK when the message is not of this kind
 * or a check failed (cmp_confirm then reads the rows and names the
 * failure), with *fail set when the database failed.
 */
static CMPD_MSG *
confirm_one(const CMPD_MSG *req, struct profile *p, const X509_NAME *srv,
    enum cmp_fail *fail)
{
	STACK_OF(CMPD_CERTSTATUS) *cc = req->body->value.certConf;
	struct store_chain_keys keys;
	const CMPD_CERTSTATUS *cs;
	struct cmp_requester who;
	CMPD_MSG *rsp;
	int r;

	*fail = CMPF_OK;
	if (sk_CMPD_CERTSTATUS_num(cc) != 1 ||
	    (cs = sk_CMPD_CERTSTATUS_value(cc, 0))->hashAlg != NULL ||
	    !confirm_accepts(cs) || req->header->recipNonce == NULL ||
	    cmp_protect_requester(req, p, &who) != 0 ||
	    (p->signer_pending &&
	    store_chain_keys(p->signer_chain, &keys) != 0) ||
	    (rsp = confirm_pkiconf(req, srv)) == NULL)
		return NULL;
	r = store_confirm_one(req->header->transactionID,
	    ASN1_INTEGER_get(cs->certReqId), cs->certHash,
	    req->header->recipNonce, p->cmp_uuid, &who,
	    p->signer_pending ? &keys : NULL, rsp->header->senderNonce);
	if (r == DB_OK) {
		p->signer_pending = 0;
		return rsp;
	}
	CMPD_MSG_free(rsp);
	if (r == DB_ERR)
		*fail = CMPF_DB_UNAVAILABLE;
	return NULL;
}

/*
 * Settles every waiting row: accepted[i] confirms row i, anything else
 * rejects it, all in one database transaction (one row: one statement);
 * then the rejected ones are revoked. sent: the pkiConf's senderNonce,
 * which the requests of the transaction still waiting for the CA wait on
 * now (their pollReq echoes it, store_tx_nonce_rest); echoed: the
 * certConf's recipNonce.
 */
struct settle_arg {
	const ASN1_OCTET_STRING *tid, *echoed, *sent;
	struct store_tx *t;
	size_t	 n;
	const int *accepted;
	int	 polled;		/* rows waiting for the CA */
};

static int
confirm_settle_run(void *arg)
{
	const struct settle_arg *x = arg;
	size_t i;
	int r;

	for (i = 0; i < x->n; i++) {
		if (strcmp(x->t[i].state, "confirm_wait") != 0 ||
		    x->t[i].der == NULL)
			continue;
		if ((r = store_confirm(x->tid, x->t[i].pos, x->t[i].cert_uuid,
		    x->accepted[i], x->sent, cmp_ca_settle_s(),
		    &x->t[i].revoke_owed)) != DB_OK)
			return r == DB_NOTFOUND ? CMPF_ALREADY_CONFIRMED :
			    CMPF_DB_UNAVAILABLE;
	}
	if (x->polled > 0 && store_tx_nonce_rest(x->tid, -1, x->echoed,
	    x->sent) != DB_OK)
		return CMPF_DB_UNAVAILABLE;
	return CMPF_OK;
}

static enum cmp_fail
confirm_settle(const CMPD_MSG *req, struct store_tx *t, size_t n,
    const int *accepted, const ASN1_OCTET_STRING *sent,
    const struct profile *p)
{
	struct settle_arg x = { req->header->transactionID,
	    req->header->recipNonce, sent, t, n, accepted, 0 };
	size_t i, waiting = 0;
	int r;

	for (i = 0; i < n; i++) {
		if (strcmp(t[i].state, "confirm_wait") == 0 && t[i].der != NULL)
			waiting++;
		if (strcmp(t[i].state, "waiting") == 0 && t[i].nonce_len > 0)
			x.polled++;
	}
	/* A single row: store_confirm's one UPDATE commits by itself (and
	 * runs again after a lost connection); several, or rows left to
	 * poll for: all or none. */
	if ((r = waiting <= 1 && x.polled == 0 ? confirm_settle_run(&x) :
	    db_txn(confirm_settle_run, &x)) != CMPF_OK)
		return r == DB_ERR ? CMPF_DB_UNAVAILABLE : (enum cmp_fail)r;
	for (i = 0; i < n; i++) {
		if (strcmp(t[i].state, "confirm_wait") != 0 ||
		    t[i].der == NULL || accepted[i])
			continue;
		if (t[i].revoke_owed)
			confirm_revoke(&t[i], p);
		else
			/* revoked meanwhile through the management API (or
			 * being revoked, with the reason the operator gave),
			 * which stands, or owed by an earlier run of this
			 * settlement: the sweep revokes it */
			log_info("PN=%s: rejected certificate %s: no "
			    "revocation asked now (revoked meanwhile, or "
			    "owed already)", p->cmp_name, t[i].cert_uuid);
	}
	return CMPF_OK;
}

/* Does cs name a certificate of t whose deadline passed, the sweep's
 * since (expired)? */
static int
confirm_expired(const struct store_tx *t, size_t n, const CMPD_CERTSTATUS *cs)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].state, "expired") == 0 &&
		    ASN1_INTEGER_get(cs->certReqId) == t[i].cert_req_id)
			return 1;
	return 0;
}

/*
 * certConf: one CertStatus per certificate of the answer (RFC 9810
 * 5.3.18), matched by certReqId. A certificate with no CertStatus, or
 * one whose status is neither accepted nor grantedWithMods, is rejected.
 * Returns the pkiconf, or NULL with *fail set (the caller answers with an
 * error body).
 */
CMPD_MSG *
cmp_confirm(const CMPD_MSG *req, struct profile *p, const X509_NAME *srv,
    enum cmp_fail *fail)
{
	STACK_OF(CMPD_CERTSTATUS) *cc = req->body->value.certConf;
	int accepted[CMPD_CERT_REQ_MAX], seen[CMPD_CERT_REQ_MAX];
	struct store_tx t[CMPD_CERT_REQ_MAX];
	const CMPD_CERTSTATUS *cs;
	size_t n = 0, nwait, i, w = 0;
	CMPD_MSG *rsp = NULL;
	int j, nconfirmed, pvno = (int)ASN1_INTEGER_get(req->header->pvno);

	if ((rsp = confirm_one(req, p, srv, fail)) != NULL ||
	    *fail != CMPF_OK)
		return rsp;
	/* not confirmed by the UPDATE: the signer first, as in step 3 */
	if ((*fail = cmp_signer_lookup(req, p)) != CMPF_OK)
		return NULL;
	if ((*fail = confirm_load(req, p, t, &n, &nwait, &nconfirmed)) !=
	    CMPF_OK)
		goto out;
	if (nwait == 0) {
		*fail = nconfirmed > 0 ? CMPF_ALREADY_CONFIRMED :
		    CMPF_TX_NOT_WAITING;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (strcmp(t[i].state, "confirm_wait") == 0 &&
		    t[i].der != NULL)
			w = i;
	if (!confirm_nonce_ok(req->header->recipNonce, &t[w])) {
		*fail = CMPF_BAD_RECIP_NONCE;
		goto out;
	}
	/* Past its deadline the sweep owns a certificate: one of them
	 * (delivered by an earlier answer, each has its own) is enough. */
	for (i = 0; i < n; i++)
		if (strcmp(t[i].state, "confirm_wait") == 0 &&
		    t[i].der != NULL && t[i].overdue) {
			*fail = CMPF_CONFIRM_TOO_LATE;
			goto out;
		}
	memset(accepted, 0, sizeof(accepted));
	memset(seen, 0, sizeof(seen));
	/* No CertStatus for a certificate rejects it (RFC 9810 5.3.18);
	 * one that names no waiting certificate, names one twice, or has
	 * the wrong hash refuses the whole certConf. */
	for (j = 0; j < sk_CMPD_CERTSTATUS_num(cc); j++) {
		cs = sk_CMPD_CERTSTATUS_value(cc, j);
		for (i = 0; i < n; i++)
			if (strcmp(t[i].state, "confirm_wait") == 0 &&
			    t[i].der != NULL && ASN1_INTEGER_get(
			    cs->certReqId) == t[i].cert_req_id)
				break;
		if (i == n && confirm_expired(t, n, cs)) {
			*fail = CMPF_CONFIRM_TOO_LATE;
			goto out;
		}
		if (i == n || seen[i] || !confirm_hash_ok(cs, pvno, &t[i])) {
			*fail = CMPF_BAD_CERT_HASH;
			goto out;
		}
		seen[i] = 1;
		accepted[i] = confirm_accepts(cs);
	}
	if ((rsp = confirm_pkiconf(req, srv)) == NULL)
		goto out;
	if ((*fail = confirm_settle(req, t, n, accepted,
	    rsp->header->senderNonce, p)) != CMPF_OK) {
		CMPD_MSG_free(rsp);
		rsp = NULL;
	}
 out:
	store_tx_free(t, n);
	return rsp;
}

/*
 * An error message from the client (RFC 9810 5.3.21, RFC 9483 3.6.4):
 * it ends its transaction, and is answered with pkiConf. Certificates
 * still waiting for confirmation are rejected and revoked as for a
 * certConf that rejects them; requests still waiting for the CA (delayed
 * delivery) are handed to the sweep at once (store_tx_abandon), which
 * revokes what the CA issues for them. Only the requester may end it,
 * answering the last message it was sent (its recipNonce is that
 * message's senderNonce, RFC 9483 3.1: the ip's, or the last pollRep's),
 * so that a replay cannot end a later one.
 */
CMPD_MSG *
cmp_confirm_error(const CMPD_MSG *req, struct profile *p,
    const X509_NAME *srv, enum cmp_fail *fail)
{
	const ASN1_OCTET_STRING *tid = req->header->transactionID;
	int accepted[CMPD_CERT_REQ_MAX], r;
	struct store_tx t[CMPD_CERT_REQ_MAX];
	size_t n = 0, nwait, npoll = 0, nended = 0, i;
	CMPD_MSG *rsp = NULL;
	char hex[2 * CMPD_ID_MAX_LEN + 1];
	int nconfirmed, nonce_ok = 0;

	*fail = CMPF_INTERNAL;
	if ((*fail = confirm_load(req, p, t, &n, &nwait, &nconfirmed)) !=
	    CMPF_OK)
		goto out;
	util_hex(ASN1_STRING_get0_data(tid), (size_t)ASN1_STRING_length(tid),
	    hex, sizeof(hex));
	/* The rows still open wait on the senderNonce of the last answer
	 * in the transaction (store_tx_nonce_rest); any of them will do. */
	for (i = 0; i < n; i++) {
		if (strcmp(t[i].state, "waiting") == 0)
			npoll++;
		else if (strcmp(t[i].state, "confirm_wait") != 0 ||
		    t[i].der == NULL)
			continue;
		if (confirm_nonce_ok(req->header->recipNonce, &t[i]))
			nonce_ok = 1;
	}
	if ((nwait > 0 || npoll > 0) && !nonce_ok) {
		*fail = CMPF_BAD_RECIP_NONCE;
		goto out;
	}
	memset(accepted, 0, sizeof(accepted));
	if ((rsp = confirm_pkiconf(req, srv)) == NULL) {
		*fail = CMPF_INTERNAL;
		goto out;
	}
	if (nwait > 0 && (*fail = confirm_settle(req, t, n, accepted,
	    rsp->header->senderNonce, p)) != CMPF_OK) {
		CMPD_MSG_free(rsp);
		rsp = NULL;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (strcmp(t[i].state, "waiting") == 0) {
			if ((r = store_tx_abandon(tid, t[i].pos)) == DB_OK)
				nended++;
			else if (r != DB_NOTFOUND) {
				*fail = CMPF_DB_UNAVAILABLE;
				CMPD_MSG_free(rsp);
				rsp = NULL;
				goto out;
			}
		}
	log_info("PN=%s: the client ended transaction %s with an error "
	    "message; %zu certificate%s rejected, %zu request%s waiting for "
	    "the CA left to the sweep", p->cmp_name, hex, nwait,
	    nwait == 1 ? "" : "s", nended, nended == 1 ? "" : "s");
	*fail = CMPF_OK;
 out:
	store_tx_free(t, n);
	return rsp;
}
