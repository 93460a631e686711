/*
 * The steps of one PKIMessage, in DESIGN's validation order: check the
 * header, check the protection, dispatch the body, answer (protected as
 * the profile says). cmp_request.c runs them for a request, cmp_nested.c
 * for each message an RA wrapped. Every failure goes through
 * cmp_error.c's table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "cmpd.h"
#include "store.h"

static const struct conf *srv_conf;
static X509_NAME *srv_name;	/* sender of our answers, parsed once */

void
cmp_server_init(const struct conf *c)
{
	srv_conf = c;
	cmp_protect_sig_level(c->signer_security_level);
	cmp_pubkey_level(c->key_security_level);
	X509_NAME_free(srv_name);
	/* conf_load() already checked that it parses. */
	if ((srv_name = cmp_msg_parse_name(c->server_name)) == NULL)
		fatal("server_name %s: not a distinguished name",
		    c->server_name);
}

/* The sender name of our answers. */
const X509_NAME *
cmp_server_name(void)
{
	return srv_name;
}

const struct conf *
cmp_server_conf(void)
{
	return srv_conf;
}

void
cmp_server_done(void)
{
	X509_NAME_free(srv_name);
	srv_name = NULL;
}

/* The CRLs a signer is checked against: the profile's and its CA's
 * (*cs: what cmp_ca_crl() told). */
static STACK_OF(X509_CRL) *
cmp_server_crls(const struct profile *prof, struct ca_crl_state *cs)
{
	STACK_OF(X509_CRL) *sk;
	X509_CRL *ca = cmp_ca_crl(prof, cs), *x;
	int i;

	if ((sk = sk_X509_CRL_new_null()) == NULL)
		return NULL;
	for (i = 0; prof->crls != NULL && i < sk_X509_CRL_num(prof->crls);
	    i++) {
		x = sk_X509_CRL_value(prof->crls, i);
		if (!sk_X509_CRL_push(sk, x))
			goto err;
		X509_CRL_up_ref(x);
	}
	if (ca != NULL) {
		if (!sk_X509_CRL_push(sk, ca))
			goto err;
		X509_CRL_up_ref(ca);
	}
	return sk;
 err:
	sk_X509_CRL_pop_free(sk, X509_CRL_free);
	return NULL;
}

/*
 * Whether the CA's CRL speaks for a certificate of chain (validated,
 * signer first): one of them was issued by the CA, named by the issuer of
 * its last CRL, else by the certificates of its chain (known), else by
 * the inventory (a name cmpd's certificates were issued under). 1 when
 * that cannot be told.
 */
static int
cmp_server_crl_covers(const struct ca_crl_state *cs, STACK_OF(X509) *known,
    STACK_OF(X509) *chain)
{
	const X509_NAME *issuer;
	X509 *x;
	int i, j;

	for (i = 0; i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		issuer = X509_get_issuer_name(x);
		if (cs->issuer != NULL) {
			if (X509_NAME_cmp(issuer, cs->issuer) == 0)
				return 1;
			continue;
		}
		for (j = 0; j < sk_X509_num(known); j++)
			if (X509_NAME_cmp(issuer, X509_get_subject_name(
			    sk_X509_value(known, j))) == 0)
				return 1;
		if (sk_X509_num(known) <= 0 &&
		    store_issuer_seen(x) != DB_NOTFOUND)
			return 1;	/* found, or no answer */
	}
	return 0;
}

/*
 * What a signer whose revocation status is undetermined may still ask:
 * an rr (for its own certificate only: cmp_revoke), and the pollReq of
 * its waiting rr (it reads the outcome).
 */
static int
cmp_server_crl_excused(const CMPD_MSG *req)
{
	switch (cmp_msg_body_type(req)) {
	case CMPD_BODY_RR:
		return 1;
	case CMPD_BODY_POLLREQ:
		return req->extraCerts != NULL &&
		    sk_X509_num(req->extraCerts) > 0 &&
		    store_tx_rr_waiting(req->header->transactionID,
		    sk_X509_value(req->extraCerts, 0)) == DB_OK;
	default:
		return 0;
	}
}

/* Requests a CA may be asked for that cmpd does not serve (yet):
 * cross-certification (RFC 9810 5.3.11; not in RFC 9483). */
static int
cmp_server_roadmap(int type)
{
	return type == CMPD_BODY_CCR;
}

/*
 * Step 4: the body's handler. Returns the answer, or NULL with *f (and
 * the failure's argument in arg) for an error or rejection answer. Also
 * the step 4 of each inner message of a nested (cmp_nested.c).
 */
CMPD_MSG *
cmp_server_body(const struct route *rt, const CMPD_MSG *req,
    const unsigned char *der, size_t len, struct profile *prof,
    enum cmp_fail *f, char *arg, size_t arglen)
{
	int type = cmp_msg_body_type(req), by_sig;
	enum prot_method m;

	by_sig = cmp_msg_prot_method(req->header, &m) == 0 &&
	    m == PROT_SIGNATURE;
	CMPD_MSG *rsp = NULL;

	switch (type) {
	case CMPD_BODY_KUR:
		/* Only the certificate's owner updates it (RFC 9810 5.3.5). */
		if (!by_sig) {
			*f = CMPF_KUR_NOT_SIGNED;
			break;
		}
		/* FALLTHROUGH */
	case CMPD_BODY_IR:
	case CMPD_BODY_CR:
	case CMPD_BODY_P10CR:
		rsp = cmp_enroll(req, der, len, prof, srv_name, srv_conf,
		    rt->name, f, arg, arglen);
		/* nothing issued: a device entry's use is given back */
		if (rsp == NULL)
			cmp_device_refund(prof);
		break;
	case CMPD_BODY_CERTCONF:
		rsp = cmp_confirm(req, prof, srv_name, f);
		break;
	case CMPD_BODY_ERROR:
		/* the client ends the transaction (RFC 9483 3.6.4) */
		rsp = cmp_confirm_error(req, prof, srv_name, f);
		break;
	case CMPD_BODY_RR:
		rsp = cmp_revoke(req, prof, srv_name, by_sig, f, arg, arglen);
		break;
	case CMPD_BODY_GENM:
		rsp = cmp_genm(req, prof, srv_name, f, arg, arglen);
		break;
	case CMPD_BODY_POLLREQ:
		rsp = cmp_poll(req, prof, srv_name, srv_conf, f, arg, arglen);
		break;
	default:
		/* Responses, announcements, key recovery, POP challenges
		 * are never requests. */
		*f = cmp_server_roadmap(type) ? CMPF_BODY_NOT_IMPLEMENTED :
		    CMPF_BODY_UNSUPPORTED;
		snprintf(arg, arglen, "%s", cmp_asn1_body_name(type));
		break;
	}
	if (rsp == NULL && *f == CMPF_OK)
		*f = CMPF_INTERNAL;
	return rsp;
}

/*
 * The failure's text: texts of the form "PN=%s | ..." get the profile
 * name from the URL and then arg, the others arg alone.
 */
static void
cmp_server_text(enum cmp_fail f, const struct route *rt, const char *arg,
    char *text, size_t n)
{
	const char *t = cmp_error_def(f)->text;

	if (strncmp(t, "PN=%s", 5) == 0)
		cmp_error_format(f, text, n, rt->name, arg);
	else
		cmp_error_format(f, text, n, arg, NULL);
}

/*
 * A signature's protection (step 3): extraCerts[0] verifies it, its chain
 * validates to the profile's trust anchors, and neither it nor a CA of
 * its chain is revoked. The chain is kept in prof->signer_chain (the RA
 * list matches against it, cmp_ra.c).
 *
 * defer (a certConf's, on a server that is not a Galera node): the
 * inventory's look-up is left to the UPDATE that confirms, a statement
 * less per enrolment; prof->signer_pending says so, and
 * cmp_signer_lookup() makes it before anything else may act on
 * the message. On Galera that UPDATE would not wait for a revocation
 * another node committed (wsrep_sync_wait covers reads), the causal
 * look-up does.
 */
/*
 * TS 33.310 9.5.2 lets a base station order extraCerts as it likes, where
 * RFC 9810 5.1.1 puts the protection certificate first: on the v2_3gpp
 * variant the first certificate whose subject is the sender (and whose
 * subjectKeyIdentifier is the senderKID, when both are there) moves to
 * the front, and every step after reads it there. Protection covers the
 * header and body, not extraCerts.
 */
static void
server_signer_first(const CMPD_MSG *req)
{
	const CMPD_HEADER *h = req->header;
	const ASN1_OCTET_STRING *ski;
	X509 *x;
	int i;

	if (h->sender == NULL || h->sender->type != GEN_DIRNAME)
		return;
	for (i = 0; i < sk_X509_num(req->extraCerts); i++) {
		x = sk_X509_value(req->extraCerts, i);
		if (X509_NAME_cmp(X509_get_subject_name(x),
		    h->sender->d.directoryName) != 0 ||
		    (h->senderKID != NULL &&
		    (ski = X509_get0_subject_key_id(x)) != NULL &&
		    ASN1_OCTET_STRING_cmp(ski, h->senderKID) != 0))
			continue;
		/* in, then out: a failed insert leaves the order as sent */
		if (i > 0 && sk_X509_insert(req->extraCerts, x, 0))
			(void)sk_X509_delete(req->extraCerts, i + 1);
		return;
	}
}

enum cmp_fail
cmp_server_sig_check(const CMPD_MSG *req, struct profile *prof, int defer,
    char *arg, size_t arglen)
{
	STACK_OF(X509) *chain = NULL, *known;
	STACK_OF(X509_CRL) *crls;
	struct ca_crl_state cs;
	enum cmp_fail f;
	int down, connected, galera;

	prof->signer_pending = prof->signer_crl_missing = 0;
	if ((f = profile_signing_get(prof)) != CMPF_OK)
		return f;
	if (prof->anchors == NULL) {
		snprintf(arg, arglen, "the CMP Profile has no trust anchors");
		return CMPF_SIGNER_NOT_TRUSTED;
	}
	if ((crls = cmp_server_crls(prof, &cs)) == NULL)
		return CMPF_INTERNAL;
	if (prof->variant == VARIANT_V2_3GPP)
		server_signer_first(req);
	/* The CA's chain as intermediates: a certificate cmpd issued signs
	 * without its chain (NULL if the connector did not tell: then the
	 * request's extraCerts alone; a CA too slow or unreachable for it
	 * gets no verdict on a chain that misses an issuer). */
	known = cmp_ca_chain(prof, NULL, &down);
	f = cmp_protect_sig_verify(req, prof->anchors, crls, known, down, 0,
	    &chain, arg, arglen);
	/* The pollReq of a waiting rr is signed by the certificate being
	 * revoked: a CRL that lists it already tells what the client waits
	 * for. Its chain is validated again with the signer's own listing
	 * excused; the CRLs still hold for its CA certificates, and so does
	 * the inventory check below. */
	if (f == CMPF_SIGNER_REVOKED &&
	    cmp_msg_body_type(req) == CMPD_BODY_POLLREQ &&
	    req->extraCerts != NULL && sk_X509_num(req->extraCerts) > 0 &&
	    store_tx_rr_waiting(req->header->transactionID,
	    sk_X509_value(req->extraCerts, 0)) == DB_OK) {
		arg[0] = '\0';
		f = cmp_protect_sig_verify(req, prof->anchors, crls, known,
		    down, CMP_SIG_LEAF_REVOKED_OK, &chain, arg, arglen);
	}
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	if (f != CMPF_OK)
		return f;
	/* A chain the CA's CRL speaks for, and no current one to be had:
	 * its revocation status is undetermined (RFC 5280 6.3.3), so the
	 * signer is not let in, unless the inventory has a verdict (it
	 * was revoked) or it only asks to revoke its own certificate,
	 * which cmp_revoke() holds it to. */
	db_endpoint_current(&connected, &galera);
	if (cs.missing && cmp_server_crl_covers(&cs, known, chain)) {
		if ((f = cmp_signer_revoked(req, chain)) == CMPF_OK &&
		    !cmp_server_crl_excused(req))
			f = CMPF_SIGNER_CRL_UNAVAILABLE;
		if (f != CMPF_OK) {
			sk_X509_pop_free(chain, X509_free);
			return f;
		}
		prof->signer_crl_missing = 1;
	} else if (defer && connected && !galera)
		prof->signer_pending = 1;
	else if ((f = cmp_signer_revoked(req, chain)) != CMPF_OK) {
		sk_X509_pop_free(chain, X509_free);
		return f;
	}
	sk_X509_pop_free(prof->signer_chain, X509_free);
	prof->signer_chain = chain;
	prof->ra_looked_up = prof->ra_perms = 0;
	return CMPF_OK;
}

/*
 * Step 3 for a MAC-protected request of a sharedSecret profile: a device
 * entry's secret (cmp_device.c), or the profile's. *verified: the MAC
 * verified, with the secret that now MACs the answers. mac_only: as for
 * cmp_device_verify().
 */
static enum cmp_fail
cmp_server_mac_check(const CMPD_MSG *req, struct profile *prof, int mac_only,
    char *arg, size_t arglen, int *verified)
{
	enum cmp_fail f;

	/* A senderKID that selects a device entry: its secret (cmp_device.c).
	 * Verified, its answers are MAC'd with it, template refusals too. */
	f = cmp_device_verify(req, prof, srv_conf, mac_only, arg, arglen);
	if (prof->device_uuid[0] != '\0') {
		*verified = 1;
		return f;
	}
	if (f != CMPF_OK)
		return f;
	if (!prof->has_secret)
		return CMPF_NO_SECRET;
	if ((f = cmp_protect_pbm_verify(req, prof->secret, prof->secret_len,
	    prof->secret_ref[0] != '\0' ? prof->secret_ref : NULL,
	    srv_conf->pbm_iterations_max, prof->legacy_pbm, arg, arglen)) !=
	    CMPF_OK)
		return f;
	*verified = 1;
	return CMPF_OK;
}

/*
 * Steps 2 and 3 of one message whose profile resolved: the header and
 * the protection of the profile's kind. Also the inner messages of a
 * nested (cmp_nested.c). *verified: as for cmp_server_validate(); defer:
 * as for cmp_server_sig_check().
 */
enum cmp_fail
cmp_server_check(const CMPD_MSG *req, struct profile *prof, int defer,
    char *arg, size_t arglen, int *verified)
{
	char scratch[CMP_TEXT_MAX];
	enum prot_method m;
	enum cmp_fail f;

	*verified = 0;
	/* 2. header */
	if ((f = cmp_header_check(req, time(NULL), srv_conf->message_time_skew,
	    arg, arglen)) != CMPF_OK) {
		/*
		 * The header's refusal stands. A MAC that verifies all the
		 * same has its answer MAC'd (RFC 9483 3.6.4), so that the
		 * client can trust the reason: a device whose clock is off
		 * learns badTime, where an unprotected error would be
		 * refused for its missing protection. A signing profile
		 * signs every error already.
		 */
		if (req->protection != NULL &&
		    prof->req_prot == PROT_SHARED_SECRET &&
		    cmp_msg_prot_method(req->header, &m) == 0 &&
		    m == PROT_SHARED_SECRET)
			(void)cmp_server_mac_check(req, prof, 1, scratch,
			    sizeof(scratch), verified);
		return f;
	}
	/* 3. protection: present, of the profile's kind, and valid */
	if (req->protection == NULL)
		return CMPF_UNPROTECTED;
	if (cmp_msg_prot_method(req->header, &m) != 0) {
		OBJ_obj2txt(arg, (int)arglen,
		    req->header->protectionAlg->algorithm, 1);
		return CMPF_PROTECTION_ALG_UNKNOWN;
	}
	if (m != prof->req_prot) {
		snprintf(arg, arglen, "%s", profile_prot_name(prof->req_prot));
		return CMPF_PROTECTION_MISMATCH;
	}
	if (m == PROT_SIGNATURE) {
		if ((f = cmp_server_sig_check(req, prof, defer, arg,
		    arglen)) != CMPF_OK)
			return f;
		*verified = 1;
		return CMPF_OK;
	}
	return cmp_server_mac_check(req, prof, 0, arg, arglen, verified);
}

/*
 * Answers are protected the profile's way (RFC 9810 5.1.3, RFC 9483
 * 3.6.4): signed with its signing key, errors to requests that could not
 * be authenticated included, so that the client can trust the reason;
 * or MAC'd, only with the secret the request proved it knows (the
 * caller's verified), never one it did not. The answer to an RA's nested
 * message is always signed (RFC 9483 5.2.2.1).
 */
static int
cmp_server_protect(CMPD_MSG *rsp, const CMPD_MSG *req, struct profile *prof)
{
	enum prot_method m;

	if (prof->resp_prot == PROT_SIGNATURE ||
	    cmp_msg_body_type(req) == CMPD_BODY_NESTED) {
		if (profile_signing_get(prof) != CMPF_OK ||
		    prof->sign_key == NULL || prof->sign_cert == NULL) {
			log_warn("PN=%s: no signing key; answer unprotected",
			    prof->cmp_name);
			return 0;
		}
		return cmp_protect_sig(rsp, prof->sign_key, prof->sign_cert,
		    prof->sign_chain);
	}
	/* PBM needs the request's parameters: a MAC-protected request. */
	if (cmp_msg_prot_method(req->header, &m) != 0 ||
	    m != PROT_SHARED_SECRET || !prof->has_secret) {
		log_warn("PN=%s: sharedSecret answer to a signed request; "
		    "answer unprotected", prof->cmp_name);
		return 0;
	}
	return cmp_protect_pbm(rsp, req, prof->secret, prof->secret_len,
	    srv_conf->pbm_iterations_max, prof->legacy_pbm);
}

/*
 * The answer to one message: rsp from its handler, or the rejection or
 * error that f (with arg) stands for; protected as cmp_server_protect()
 * says when the request verified, or the profile resolved and signs.
 * req may be NULL (undecodable), hdr what of its header decoded. NULL:
 * internal error. Also the answer to each inner message of a nested.
 */
CMPD_MSG *
cmp_server_answer(const struct route *rt, const CMPD_MSG *req,
    const CMPD_HEADER *hdr, struct profile *prof, CMPD_MSG *rsp,
    enum cmp_fail f, const char *arg, int resolved, int verified)
{
	const struct cmp_fail_def *d = cmp_error_def(f);
	char text[CMP_TEXT_MAX];
	int req_type = req != NULL ? cmp_msg_body_type(req) : -1, rsp_type;

	if (rsp == NULL) {
		cmp_server_text(f, rt, arg, text, sizeof(text));
		/* A certificate request is refused in its own response type,
		 * any other message with an error body (as the reference);
		 * a version not supported with an error body whatever it
		 * asked (RFC 9810 7: "MUST send back an ErrorMsg with the
		 * unsupportedVersion bit set"). */
		rsp_type = f == CMPF_UNSUPPORTED_VERSION ? -1 :
		    cmp_msg_rep_type(req_type);
		if (rsp_type >= 0)
			rsp = cmp_msg_rejection_new(hdr, srv_name, rsp_type,
			    cmp_msg_first_cert_req_id(req), d, text);
		else
			rsp = cmp_msg_error_new(hdr, srv_name, d, text);
	}
	/* Unauthenticated: signed, when the profile signs; else as is. */
	if (rsp != NULL && (verified || (resolved &&
	    (prof->resp_prot == PROT_SIGNATURE ||
	    req_type == CMPD_BODY_NESTED))) &&
	    cmp_server_protect(rsp, req, prof) != 0) {
		log_error("cannot protect the answer");
		CMPD_MSG_free(rsp);
		rsp = NULL;
	}
	return rsp;
}
