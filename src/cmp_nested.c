/*
 * Nested messages from a registration authority (RFC 9810 5.1.3.4,
 * RFC 9483 5.2.2): the RA signs a nested whose NestedMessageContent holds
 * one message (5.2.2.1) or a batch (5.2.2.2). The outer signature must
 * verify the profile's way and its signer be on the CMP Profile's RA list
 * (cmp_ra.c); each inner message then goes through steps 2 to 4 on its
 * own, and the answers go back in one nested that cmpd signs.
 *
 * An inner message with its own protection (a device's MAC or signature)
 * is checked as if it came alone; the RA adds at most its raVerified
 * permission. An unprotected inner message, or one the RA signed itself,
 * is accepted on the RA's authority for what the RA may do: it is then
 * handled as signed by the RA (the RA's certificate is its requester, so
 * its certConf comes from the RA too).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "cert_cache.h"
#include "cmpd.h"

/*
 * Steps 2 and 3 of the outer nested: header, the profile can sign the
 * answer, a signature that verifies, by an RA of the list. *verified
 * as for cmp_server_validate().
 */
enum cmp_fail
cmp_nested_check(const CMPD_MSG *req, struct profile *prof,
    const struct conf *c, char *arg, size_t arglen, int *verified)
{
	enum prot_method m;
	enum cmp_fail f;
	int perms;

	*verified = 0;
	if ((f = cmp_header_check(req, time(NULL), c->message_time_skew, arg,
	    arglen)) != CMPF_OK)
		return f;
	/* RFC 9483 5.2.2.1: the answer is a nested that cmpd signs */
	if ((f = profile_signing_get(prof)) != CMPF_OK)
		return f;
	if (prof->sign_key == NULL || prof->sign_cert == NULL)
		return CMPF_NESTED_NO_SIGNING;
	if (req->protection == NULL)
		return CMPF_UNPROTECTED;
	if (cmp_msg_prot_method(req->header, &m) != 0) {
		OBJ_obj2txt(arg, (int)arglen,
		    req->header->protectionAlg->algorithm, 1);
		return CMPF_PROTECTION_ALG_UNKNOWN;
	}
	if (m != PROT_SIGNATURE)
		return CMPF_NESTED_NOT_SIGNED;
	if ((f = cmp_server_sig_check(req, prof, 0, arg, arglen)) != CMPF_OK)
		return f;
	if ((perms = cmp_ra_perms(prof)) < 0)
		return CMPF_DB_UNAVAILABLE;
	if (!(perms & RA_PERM_LISTED))
		return CMPF_RA_NOT_LISTED;
	*verified = 1;
	return CMPF_OK;
}

/* The permission an inner message needs on the RA's authority alone
 * (any of the bits); 0: none suffices (kur is the old key's owner's,
 * RFC 9810 5.3.5). The follow-ups of a transaction, which only its
 * requester may send (cmp_requester_check), need what began it: a
 * pollReq or an error may follow an enrolment or a waiting rr. */
static int
nested_need(int type, const char **what)
{
	switch (type) {
	case CMPD_BODY_IR:
	case CMPD_BODY_CR:
	case CMPD_BODY_P10CR:
	case CMPD_BODY_CERTCONF:
		*what = "enroll";
		return RA_PERM_ENROLL;
	case CMPD_BODY_POLLREQ:
	case CMPD_BODY_ERROR:
		*what = "enroll or revoke";
		return RA_PERM_ENROLL | RA_PERM_REVOKE;
	case CMPD_BODY_RR:
		*what = "revoke";
		return RA_PERM_REVOKE;
	default:
		*what = NULL;
		return 0;
	}
}

/*
 * An unprotected inner message taken on the RA's authority: from here on
 * it reads as signed by the RA (protectionAlg of the outer message, the
 * RA's certificate as extraCerts[0]), so that the handlers, the
 * requester binding of certConf and the answer see the RA as its sender.
 */
static enum cmp_fail
nested_as_ra(CMPD_MSG *in, const CMPD_MSG *outer, X509 *ra)
{
	X509_ALGOR_free(in->header->protectionAlg);
	if ((in->header->protectionAlg = X509_ALGOR_dup(
	    outer->header->protectionAlg)) == NULL)
		return CMPF_INTERNAL;
	if (in->extraCerts == NULL &&
	    (in->extraCerts = sk_X509_new_null()) == NULL)
		return CMPF_INTERNAL;
	if (!sk_X509_insert(in->extraCerts, ra, 0))
		return CMPF_INTERNAL;
	X509_up_ref(ra);
	return CMPF_OK;
}

/* The profile's own MAC key back (and no device entry's). */
static void
nested_secret(struct profile *prof, int has_secret,
    const unsigned char *secret, size_t secret_len)
{
	OPENSSL_cleanse(prof->secret, sizeof(prof->secret));
	memcpy(prof->secret, secret, secret_len);
	prof->secret_len = secret_len;
	prof->has_secret = has_secret;
	prof->device_uuid[0] = '\0';
	prof->device_spent = 0;
}

/* One inner message, answered (protected as if it came alone). */
static CMPD_MSG *
nested_one(const struct route *rt, const CMPD_MSG *outer, CMPD_MSG *in,
    struct profile *prof, STACK_OF(X509) *ra_chain, int ra_perms)
{
	X509 *ra = sk_X509_value(ra_chain, 0);
	CMPD_MSG *rsp = NULL;
	unsigned char *der = NULL;
	char arg[CMP_TEXT_MAX], tid[2 * CMPD_ID_MAX_LEN + 1];
	const char *what;
	enum cmp_fail f = CMPF_OK;
	int type = cmp_msg_body_type(in), len, verified = 0, need;

	arg[0] = '\0';
	sk_X509_pop_free(prof->signer_chain, X509_free);
	prof->signer_chain = NULL;
	prof->ra_perms = 0;
	prof->ra_looked_up = 1;
	need = nested_need(type, &what);
	if (type == CMPD_BODY_NESTED)
		f = CMPF_NESTED_DEPTH;	/* RFC 9483 5.2.2: one level */
	else if (in->extraCerts != NULL &&
	    sk_X509_num(in->extraCerts) > CMPD_EXTRACERTS_MAX) {
		snprintf(arg, sizeof(arg), "%d", CMPD_EXTRACERTS_MAX);
		f = CMPF_EXTRACERTS_CAP;
	} else if (cert_cache_rekey(in->extraCerts, CMPD_EXTRACERTS_MAX) !=
	    0) {
		/* read without keys until the RA's signature verified
		 * (cmp_msg_decode) */
		f = CMPF_INTERNAL;
	} else if (in->protection == NULL) {
		/* the outer messageTime was checked; the RA may have held
		 * the inner message for a while */
		f = cmp_header_check(in, time(NULL), 0, arg, sizeof(arg));
		if (f == CMPF_OK && !(ra_perms & need)) {
			if (what != NULL)
				snprintf(arg, sizeof(arg), "%s", what);
			else
				snprintf(arg, sizeof(arg), "send a %s",
				    cmp_asn1_body_name(type));
			f = CMPF_RA_NOT_PERMITTED;
		} else if (f == CMPF_OK &&
		    (f = nested_as_ra(in, outer, ra)) == CMPF_OK) {
			if ((prof->signer_chain = X509_chain_up_ref(ra_chain)) ==
			    NULL)
				f = CMPF_INTERNAL;
			prof->ra_perms = ra_perms;
			verified = 1;
		}
	} else if ((f = cmp_server_check(in, prof, 0, arg, sizeof(arg),
	    &verified)) == CMPF_OK) {
		/*
		 * Signed by the RA itself: on its authority as well. Under
		 * another's protection (a device's MAC or signature) the
		 * message is as its sender wrote it, so a raVerified in it
		 * is the sender's own claim: RFC 9483 5.2.3.2 has the RA
		 * that checked the POP replace it and protect the message
		 * itself. A signer is looked up on the list in its own
		 * right (cmp_ra_perms()), as for a message sent directly.
		 */
		if (prof->signer_chain != NULL && X509_cmp(sk_X509_value(
		    prof->signer_chain, 0), ra) == 0)
			prof->ra_perms = ra_perms;
		else
			prof->ra_perms = 0;
	}
	if (f == CMPF_OK) {
		if ((len = i2d_CMPD_MSG(in, &der)) <= 0)
			f = CMPF_INTERNAL;
		else
			rsp = cmp_server_body(rt, in, der, (size_t)len, prof,
			    &f, arg, sizeof(arg));
	}
	tid[0] = '\0';
	if (in->header->transactionID != NULL)
		util_hex(ASN1_STRING_get0_data(in->header->transactionID),
		    (size_t)ASN1_STRING_length(in->header->transactionID), tid,
		    sizeof(tid));
	log_info("PN=%s nested: %s from the RA answered tid=%s outcome=%s",
	    prof->cmp_name, cmp_asn1_body_name(type), tid,
	    cmp_error_def(f)->name);
	OPENSSL_free(der);
	return cmp_server_answer(rt, in, in->header, prof, rsp, f, arg, 1,
	    verified);
}

/*
 * How many certificates the inner messages ask for in all: each is a CA
 * call, and a message's own certReqMax holds for one message only.
 */
static int
nested_cert_reqs(STACK_OF(CMPD_MSG) *inner)
{
	const CMPD_MSG *m;
	int i, n = 0;

	for (i = 0; i < sk_CMPD_MSG_num(inner); i++) {
		m = sk_CMPD_MSG_value(inner, i);
		switch (cmp_msg_body_type(m)) {
		case CMPD_BODY_IR:
			n += sk_OSSL_CRMF_MSG_num(m->body->value.ir);
			break;
		case CMPD_BODY_CR:
			n += sk_OSSL_CRMF_MSG_num(m->body->value.cr);
			break;
		case CMPD_BODY_KUR:
			n += sk_OSSL_CRMF_MSG_num(m->body->value.kur);
			break;
		case CMPD_BODY_P10CR:
			n++;
			break;
		default:
			break;
		}
	}
	return n;
}

/*
 * The outer nested, checked by cmp_nested_check(): every inner message
 * answered in order in one nested (RFC 9483 5.2.2.2), which the caller
 * signs. NULL with *f for a refusal of the whole message.
 */
CMPD_MSG *
cmp_nested(const struct route *rt, CMPD_MSG *req, struct profile *prof,
    enum cmp_fail *f, char *arg, size_t arglen)
{
	STACK_OF(CMPD_MSG) *inner = req->body->value.nested;
	STACK_OF(X509) *ra_chain;
	CMPD_MSG *rsp = NULL, *a;
	unsigned char secret[PROFILE_SECRET_MAX];
	size_t secret_len;
	int i, n = sk_CMPD_MSG_num(inner), ra_perms = prof->ra_perms;
	int has_secret;

	if (n < 1 || n > CMPD_NESTED_MAX) {
		snprintf(arg, arglen, "%d", CMPD_NESTED_MAX);
		*f = CMPF_NESTED_COUNT;
		return NULL;
	}
	/* one message's worth of CA calls, not CMPD_NESTED_MAX times it */
	if (nested_cert_reqs(inner) > CMPD_CERT_REQ_MAX) {
		snprintf(arg, arglen, "%d", CMPD_CERT_REQ_MAX);
		*f = CMPF_NESTED_CERT_REQS;
		return NULL;
	}
	/* the RA's chain, kept while the inner messages use the profile */
	ra_chain = prof->signer_chain;
	prof->signer_chain = NULL;
	/* a device entry's secret becomes the profile's MAC key for its own
	 * message (cmp_device.c): each inner message starts from the
	 * profile's own secret, so that none is checked with another's */
	has_secret = prof->has_secret;
	secret_len = prof->secret_len;
	memcpy(secret, prof->secret, sizeof(secret));
	*f = CMPF_INTERNAL;
	if ((rsp = cmp_msg_response_new(req->header, cmp_server_name(),
	    CMPD_BODY_NESTED)) == NULL ||
	    (rsp->body->value.nested = sk_CMPD_MSG_new_null()) == NULL)
		goto err;
	for (i = 0; i < n; i++) {
		nested_secret(prof, has_secret, secret, secret_len);
		a = nested_one(rt, req, sk_CMPD_MSG_value(inner, i), prof,
		    ra_chain, ra_perms);
		if (a == NULL || !sk_CMPD_MSG_push(rsp->body->value.nested,
		    a)) {
			CMPD_MSG_free(a);
			goto err;
		}
	}
	/* the answer is signed for the RA, whose chain it verified */
	sk_X509_pop_free(prof->signer_chain, X509_free);
	prof->signer_chain = ra_chain;
	prof->ra_perms = ra_perms;
	nested_secret(prof, has_secret, secret, secret_len);
	OPENSSL_cleanse(secret, sizeof(secret));
	*f = CMPF_OK;
	return rsp;
 err:
	nested_secret(prof, has_secret, secret, secret_len);
	OPENSSL_cleanse(secret, sizeof(secret));
	sk_X509_pop_free(ra_chain, X509_free);
	CMPD_MSG_free(rsp);
	ERR_clear_error();
	return NULL;
}
