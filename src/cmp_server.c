/*
 * One CMP request, in DESIGN's validation order: decode, resolve the
 * profile, check the header, check the protection, dispatch the body,
 * answer. Every failure goes through cmp_error.c's table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/objects.h>

#include "cmpd.h"

static const struct conf *srv_conf;
static X509_NAME *srv_name;	/* sender of our answers, parsed once */

void
cmp_server_init(const struct conf *c)
{
	srv_conf = c;
	X509_NAME_free(srv_name);
	/* conf_load() already checked that it parses. */
	if ((srv_name = cmp_msg_parse_name(c->server_name)) == NULL)
		fatal("server_name %s: not a distinguished name",
		    c->server_name);
}

void
cmp_server_done(void)
{
	X509_NAME_free(srv_name);
	srv_name = NULL;
}

void
cmp_result_free(struct cmp_result *res)
{
	OPENSSL_free(res->der);
	res->der = NULL;
	res->der_len = 0;
}

/* What the body asks for, once header and protection passed (step 4). */
static enum cmp_fail
cmp_server_body(const CMPD_MSG *req)
{
	switch (cmp_msg_body_type(req)) {
	case CMPD_BODY_IR:
	case CMPD_BODY_CR:
	case CMPD_BODY_KUR:
	case CMPD_BODY_RR:
	case CMPD_BODY_CERTCONF:
	case CMPD_BODY_P10CR:
	case CMPD_BODY_GENM:
	case CMPD_BODY_POLLREQ:
	case CMPD_BODY_NESTED:
	case CMPD_BODY_ERROR:
		/* The seed's bodies and the roadmap's: later issues. */
		return CMPF_BODY_NOT_IMPLEMENTED;
	default:
		/* Responses, announcements, key recovery, POP challenges. */
		return CMPF_BODY_UNSUPPORTED;
	}
}

/* Fills the failure text's arguments for failure f. */
static void
cmp_server_text(enum cmp_fail f, const struct route *rt, const CMPD_MSG *req,
    const struct profile *prof, const char *arg, char *text, size_t n)
{
	const char *body = cmp_asn1_body_name(cmp_msg_body_type(req));
	const char *a1 = arg, *a2 = NULL;

	switch (f) {
	case CMPF_CMP_PROFILE_NOT_FOUND:
	case CMPF_CMP_PROFILE_DISABLED:
	case CMPF_CMP_PROFILE_NO_RA:
	case CMPF_RA_PROFILE_NOT_FOUND:
	case CMPF_RA_PROFILE_DISABLED:
	case CMPF_RA_PROFILE_NO_CMP:
	case CMPF_SIGNING_CERT_MISSING:
	case CMPF_SIGNING_CHAIN_MISSING:
	case CMPF_UNPROTECTED:
		a1 = rt->name;
		break;
	case CMPF_PROTECTION_MISMATCH:
		a1 = rt->name;
		a2 = profile_prot_name(prof->req_prot);
		break;
	case CMPF_BODY_NOT_IMPLEMENTED:
		a1 = rt->name;
		a2 = body;
		break;
	case CMPF_BODY_UNSUPPORTED:
		a1 = body;
		break;
	default:
		break;
	}
	cmp_error_format(f, text, n, a1, a2);
}

static enum cmp_fail
cmp_server_validate(const struct route *rt, const CMPD_MSG *req,
    struct profile *prof, char *arg, size_t arglen)
{
	enum prot_method m;
	enum cmp_fail f;

	if (req->extraCerts != NULL &&
	    sk_X509_num(req->extraCerts) > CMPD_EXTRACERTS_MAX) {
		snprintf(arg, arglen, "%d", CMPD_EXTRACERTS_MAX);
		return CMPF_EXTRACERTS_CAP;
	}
	/* 1. profile resolution */
	if ((f = profile_resolve(rt, prof)) != CMPF_OK)
		return f;
	/* 2. header */
	if ((f = cmp_header_check(req, time(NULL), srv_conf->message_time_skew,
	    arg, arglen)) != CMPF_OK)
		return f;
	/* 3. protection: present, and of the profile's kind. Verifying the
	 * MAC or signature itself arrives with enrollment (issue 3). */
	if (req->protection == NULL)
		return CMPF_UNPROTECTED;
	if (cmp_msg_prot_method(req->header, &m) != 0) {
		OBJ_obj2txt(arg, (int)arglen, req->header->protectionAlg->algorithm, 1);
		return CMPF_PROTECTION_ALG_UNKNOWN;
	}
	if (m != prof->req_prot)
		return CMPF_PROTECTION_MISMATCH;
	/* 4. body */
	return cmp_server_body(req);
}

void
cmp_server_handle(const struct route *rt, const unsigned char *der,
    size_t len, struct cmp_result *res)
{
	CMPD_MSG *req = NULL, *rsp = NULL;
	CMPD_HEADER *hdr_only = NULL;
	const CMPD_HEADER *hdr;
	const struct cmp_fail_def *d;
	struct profile prof;
	char arg[128], text[CMP_TEXT_MAX];
	enum cmp_fail f;

	memset(res, 0, sizeof(*res));
	memset(&prof, 0, sizeof(prof));
	res->req_type = res->rsp_type = -1;
	snprintf(res->profile, sizeof(res->profile), "%s", rt->name);
	arg[0] = '\0';

	if (cmp_msg_decode(der, len, &req, &hdr_only) != 0) {
		f = CMPF_BAD_DER;
		hdr = hdr_only;
	} else {
		hdr = req->header;
		res->req_type = cmp_msg_body_type(req);
		f = cmp_server_validate(rt, req, &prof, arg, sizeof(arg));
	}
	if (hdr != NULL && hdr->transactionID != NULL)
		util_hex(ASN1_STRING_get0_data(hdr->transactionID),
		    (size_t)ASN1_STRING_length(hdr->transactionID),
		    res->tid_hex, sizeof(res->tid_hex));
	res->fail = f;
	d = cmp_error_def(f);
	res->http_status = d->http;
	cmp_server_text(f, rt, req, &prof, arg, text, sizeof(text));

	/* A certificate request is refused in its own response type, any
	 * other message with an error body (the reference does the same). */
	res->rsp_type = cmp_msg_rep_type(res->req_type);
	if (res->rsp_type >= 0)
		rsp = cmp_msg_rejection_new(hdr, srv_name, res->rsp_type,
		    cmp_msg_first_cert_req_id(req), d, text);
	else {
		res->rsp_type = CMPD_BODY_ERROR;
		rsp = cmp_msg_error_new(hdr, srv_name, d, text);
	}
	if (rsp == NULL || cmp_msg_encode(rsp, &res->der, &res->der_len) != 0) {
		log_error("cannot build the answer");
		res->http_status = 500;
		res->fail = CMPF_INTERNAL;
	}
	CMPD_MSG_free(rsp);
	CMPD_MSG_free(req);
	CMPD_HEADER_free(hdr_only);
	ERR_clear_error();
}
