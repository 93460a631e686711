/*
 * One request's PKIMessage: decoded, its profile resolved, then either
 * one message through cmp_server.c's steps or, for an RA's nested, each
 * inner message through cmp_nested.c; the answer encoded for http.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "cmpd.h"

void
cmp_request_result_free(struct cmp_result *res)
{
	OPENSSL_free(res->der);
	res->der = NULL;
	res->der_len = 0;
}

/*
 * Steps 1 to 3. *resolved is set once the profiles resolved: from then on
 * a profile that signs its answers signs errors too. *verified is set
 * when the request's protection verified: only then may an answer be
 * MAC'd with the secret the request proved it knows.
 */
static enum cmp_fail
cmp_request_validate(const struct route *rt, const CMPD_MSG *req,
    struct profile *prof, char *arg, size_t arglen, int *resolved,
    int *verified)
{
	enum cmp_fail f;

	*resolved = *verified = 0;
	if (req->extraCerts != NULL &&
	    sk_X509_num(req->extraCerts) > CMPD_EXTRACERTS_MAX) {
		snprintf(arg, arglen, "%d", CMPD_EXTRACERTS_MAX);
		return CMPF_EXTRACERTS_CAP;
	}
	/* 1. profile resolution */
	if ((f = profile_resolve(rt, prof)) != CMPF_OK)
		return f;
	*resolved = 1;
	/* 2., 3.: a nested message is an RA's, signed, whatever the
	 * profile's request protection (cmp_nested.c) */
	if (cmp_msg_body_type(req) == CMPD_BODY_NESTED)
		return cmp_nested_check(req, prof, cmp_server_conf(), arg, arglen,
		    verified);
	/* a certConf's signer is looked up by its UPDATE (cmp_confirm) */
	return cmp_server_check(req, prof,
	    cmp_msg_body_type(req) == CMPD_BODY_CERTCONF, arg, arglen,
	    verified);
}

void
cmp_request_handle(const struct route *rt, const unsigned char *der,
    size_t len, struct cmp_result *res)
{
	CMPD_MSG *req = NULL, *rsp = NULL;
	CMPD_HEADER *hdr_only = NULL;
	const CMPD_HEADER *hdr;
	struct profile *prof;
	char arg[CMP_TEXT_MAX];
	enum cmp_fail f, g;
	int resolved = 0, verified = 0;

	memset(res, 0, sizeof(*res));
	res->req_type = res->rsp_type = -1;
	cmp_ca_request_begin();		/* the synchronous budget's clock */
	snprintf(res->profile, sizeof(res->profile), "%s", rt->name);
	arg[0] = '\0';
	/* Large (attribute and credential buffers): not on the stack. */
	if ((prof = calloc(1, sizeof(*prof))) == NULL) {
		res->http_status = 500;
		res->fail = CMPF_INTERNAL;
		return;
	}

	if (cmp_msg_decode(der, len, &req, &hdr_only) != 0) {
		f = CMPF_BAD_DER;
		hdr = hdr_only;
	} else {
		hdr = req->header;
		res->req_type = cmp_msg_body_type(req);
		f = cmp_request_validate(rt, req, prof, arg, sizeof(arg),
		    &resolved, &verified);
		/* RFC 9811 3.3 operation label, once the answer can be
		 * protected */
		if (f == CMPF_OK)
			f = route_label_check(rt, res->req_type, arg,
			    sizeof(arg));
		/* refused before the body: the signer's look-up left to the
		 * certConf's UPDATE first, as the protection's step */
		if (f != CMPF_OK && prof->signer_pending &&
		    (g = cmp_signer_lookup(req, prof)) != CMPF_OK) {
			f = g;
			arg[0] = '\0';
		}
		/* refused before the body: a device entry's use spent by
		 * the protection's check is given back (nothing issued) */
		if (f != CMPF_OK)
			cmp_device_refund(prof);
		/* an RA's nested: each inner message on its own (RFC 9483
		 * 5.2.2), cmp_nested.c */
		if (f == CMPF_OK && res->req_type == CMPD_BODY_NESTED)
			rsp = cmp_nested(rt, req, prof, &f, arg, sizeof(arg));
		else if (f == CMPF_OK)
			rsp = cmp_server_body(rt, req, der, len, prof, &f, arg,
			    sizeof(arg));
	}
	if (hdr != NULL && hdr->transactionID != NULL)
		util_hex(ASN1_STRING_get0_data(hdr->transactionID),
		    (size_t)ASN1_STRING_length(hdr->transactionID),
		    res->tid_hex, sizeof(res->tid_hex));
	res->fail = f;
	res->http_status = rsp != NULL ? 200 : cmp_error_def(f)->http;
	rsp = cmp_server_answer(rt, req, hdr, prof, rsp, f, arg, resolved,
	    verified);
	if (rsp != NULL)
		res->rsp_type = cmp_msg_body_type(rsp);
	if (rsp == NULL || cmp_msg_encode(rsp, &res->der, &res->der_len) != 0) {
		log_error("cannot build the answer");
		res->http_status = 500;
		res->fail = CMPF_INTERNAL;
	}
	profile_clear(prof);
	free(prof);
	CMPD_MSG_free(rsp);
	CMPD_MSG_free(req);
	CMPD_HEADER_free(hdr_only);
	ERR_clear_error();
}
