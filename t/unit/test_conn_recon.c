/*
 * conn.c's delayed delivery and reconciliation against the scripted
 * connector (conn_srv.c): 202 pending, the lookup by requestId, a
 * revocation asked again, whether a failed call was sent, and a
 * connector without CRLs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "conn.h"
#include "conn_fx.h"
#include "conn_srv.h"
#include "tap.h"

/* What the cases share: the configuration conn.c reads, the target and
 * result of the calls, and the certificate the connector issues. */
static struct {
	struct conf conf;
	struct conn_target t;
	struct conn_result res;
	char	 url[256];
	EVP_PKEY *key;
	X509	*cert;
	char	*issue_body;
} fx;

/* The scripted connector started with answers sc, fx.t aimed at it. */
static void
fx_target(struct srv *s, struct canned *sc, size_t n)
{
	fx_aim(&fx.t, fx.url, sizeof(fx.url), s, sc, n);
}

/* delayed delivery: 202 pending, lookup pending, a shorter budget */
static void
case_pending(void)
{
	struct srv s;
	int rc;
	static const char rid[] =
	    "7a7e8d9c-1b2a-4c3d-8e4f-a0b1c2d3e4f6";
	char pend[256], pendlook[256], otherid[256];
	struct canned sc[] = {
		{ 202, NULL, 0, 0, 0 },
		{ 202, pend, 0, 0, 0 },
		{ 202, otherid, 0, 0, 0 },
		{ 202, "[]", 0, 0, 0 },
		{ 200, pendlook, 0, 0, 0 },
		{ 200, fx.issue_body, 0, 2500, 0 },
	};

	snprintf(pend, sizeof(pend), "{\"requestId\":\"%s\","
	    "\"status\":\"pending\"}", rid);
	snprintf(otherid, sizeof(otherid), "{\"requestId\":\"%s\","
	    "\"status\":\"pending\"}", AUTHORITY);
	snprintf(pendlook, sizeof(pendlook), "{\"requestId\":\"%s\","
	    "\"found\":false,\"pending\":true}", rid);
	fx_target(&s, sc, NITEMS(sc));
	fx.t.request_id = rid;
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_PENDING &&
	    fx.res.certificate == NULL, "202 without a body: pending");
	conn_result_free(&fx.res);
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_PENDING,
	    "202 {requestId, status pending}: pending");
	conn_result_free(&fx.res);
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_FAILED,
	    "202 naming another requestId: a failure");
	conn_result_free(&fx.res);
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_FAILED,
	    "202 with a body that is not an object: a failure");
	conn_result_free(&fx.res);
	rc = conn_lookup(&fx.t, rid, 0, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_PENDING &&
	    fx.res.certificate == NULL,
	    "lookup {found: false, pending: true}: pending");
	conn_result_free(&fx.res);
	fx.t.timeout_ms = 1000;
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_UNAVAILABLE && fx.res.timed_out &&
	    !fx.res.not_sent, "a call's own budget, shorter than "
	    "connector_timeout: timed out after sending");
	conn_result_free(&fx.res);
	srv_stop(&s);
}

/* reconciliation: requestId, lookup, idempotent revoke, not_sent */
static void
case_reconcile(void)
{
	struct srv s;
	struct rec r;
	int rc;
	static const char rid[] =
	    "6f7e8d9c-1b2a-4c3d-8e4f-a0b1c2d3e4f5";
	char found[8192], notfound[256], other[256];
	char *cb = fx_cert_b64(fx.cert, 0);
	struct canned sc[] = {
		{ 200, fx.issue_body, 0, 0, 0 },
		{ 200, found, 0, 0, 0 },
		{ 200, notfound, 0, 0, 0 },
		{ 200, other, 0, 0, 0 },
		{ 200, "{\"status\":\"ok\"}", 0, 0, 0 },
		{ 404, "{\"message\":\"not found\"}", 0, 0, 0 },
		{ 501, NULL, 0, 0, 0 },
		{ 500, "{\"message\":\"boom\"}", 0, 0, 0 },
		{ 409, "{\"message\":\"certificate already revoked\"}",
		    0, 0, 0 },
		{ 422, "[\"Certificate is already revoked\"]", 0, 0, 0 },
		{ 422, "[\"unknown certificate\"]", 0, 0, 0 },
		{ 200, fx.issue_body, 0, 3000, 0 },
	};

	snprintf(found, sizeof(found), "{\"requestId\":\"%s\","
	    "\"found\":true,\"certificateData\":\"%s\","
	    "\"uuid\":\"u-1\",\"meta\":[]}", rid, cb);
	snprintf(notfound, sizeof(notfound), "{\"requestId\":\"%s\","
	    "\"found\":false}", rid);
	snprintf(other, sizeof(other), "{\"requestId\":\"%s\","
	    "\"found\":false}", AUTHORITY);
	free(cb);
	fx_target(&s, sc, NITEMS(sc));
	fx.t.ra_attributes_json = "[{\"name\":\"ra\"}]";
	fx.t.request_id = rid;
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK, "issue with a request id");
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) == 0, "issue recorded");
	is_str(rec_str(&r, "requestId"), rid, "issue: requestId sent");
	rec_free(&r);
	fx.t.request_id = NULL;

	rc = conn_lookup(&fx.t, rid, 0, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK && fx.res.certificate != NULL &&
	    X509_cmp(fx.res.certificate, fx.cert) == 0,
	    "lookup: found, the certificate");
	is_str(fx.res.uuid, "u-1", "lookup: its uuid");
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) == 0 && strcmp(r.line, "POST /v2/"
	    "authorityProvider/authorities/" AUTHORITY
	    "/certificates/lookup HTTP/1.1") == 0, "lookup: path");
	is_str(rec_str(&r, "requestId"), rid, "lookup: requestId");
	ok(json_object_is_type(rec_member(&r, "raProfileAttributes"),
	    json_type_array) && rec_member(&r, "attributes") == NULL,
	    "lookup: raProfileAttributes only");
	ok(rec_member(&r, "final") == NULL, "lookup: not final, no \"final\"");
	rec_free(&r);
	rc = conn_lookup(&fx.t, rid, 1, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK && fx.res.certificate == NULL,
	    "lookup: found false is CONN_OK without a certificate");
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) == 0 && json_object_is_type(rec_member(&r,
	    "final"), json_type_boolean) && json_object_get_boolean(
	    rec_member(&r, "final")), "lookup, final: \"final\": true sent");
	rec_free(&r);
	rc = conn_lookup(&fx.t, rid, 0, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_FAILED,
	    "lookup: an answer for another requestId is a failure");
	conn_result_free(&fx.res);
	rc = conn_lookup(&fx.t, rid, 0, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_FAILED,
	    "lookup: a 200 that names no request is a failure");
	conn_result_free(&fx.res);
	rc = conn_lookup(&fx.t, rid, 0, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_NOT_FOUND,
	    "lookup: 404 means no lookup there");
	conn_result_free(&fx.res);
	rc = conn_lookup(&fx.t, rid, 0, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_NOT_FOUND &&
	    fx.res.http_status == 501, "lookup: 501 too");
	conn_result_free(&fx.res);
	rc = conn_lookup(&fx.t, rid, 0, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_UNAVAILABLE,
	    "lookup: 500 is a failure, asked again later");
	conn_result_free(&fx.res);
	rc = conn_lookup(&fx.t, "not a/uuid", 0, &fx.res);
	ok(rc == -1 && fx.res.status == CONN_FAILED,
	    "lookup: a bad request id is refused locally");
	conn_result_free(&fx.res);

	rc = conn_revoke(&fx.t, fx.cert, "cessationOfOperation", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK && fx.res.already_revoked,
	    "revoke: 409 is already revoked, CONN_OK");
	conn_result_free(&fx.res);
	rc = conn_revoke(&fx.t, fx.cert, "cessationOfOperation", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK && fx.res.already_revoked,
	    "revoke: a 422 saying already revoked, too");
	conn_result_free(&fx.res);
	rc = conn_revoke(&fx.t, fx.cert, "cessationOfOperation", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_REJECTED &&
	    !fx.res.already_revoked, "revoke: another 422 is rejected");
	conn_result_free(&fx.res);

	fx.conf.connector_timeout = 1;
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_UNAVAILABLE && !fx.res.not_sent,
	    "a timeout: the request was sent, the CA may have issued");
	conn_result_free(&fx.res);
	fx.conf.connector_timeout = 10;
	srv_stop(&s);
	fx_set_url(fx.url, sizeof(fx.url), "http", fx_closed_port(), "");
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_UNAVAILABLE && fx.res.not_sent,
	    "connection refused: not sent, nothing issued");
	conn_result_free(&fx.res);
	fx.t.authority_uuid = "not/a/uuid";
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == -1 && fx.res.status == CONN_FAILED && fx.res.not_sent,
	    "refused locally: not sent either");
	conn_result_free(&fx.res);
	fx.t.authority_uuid = AUTHORITY;
}

/* the CA's CRL: a connector without the call is not a CA that is down */
static void
case_crl(void)
{
	struct srv s;
	X509_CRL *crl = NULL;
	int rc;
	struct canned sc[] = {
		{ 501, NULL, 0, 0, 0 },
		{ 404, "{\"message\":\"not found\"}", 0, 0, 0 },
		{ 405, NULL, 0, 0, 0 },
		{ 500, "{\"message\":\"boom\"}", 0, 0, 0 },
	};

	fx_target(&s, sc, NITEMS(sc));
	fx.t.ra_attributes_json = "[{\"name\":\"ra\"}]";
	rc = conn_crl(&fx.t, &crl, &fx.res);
	ok(rc == 0 && crl == NULL && fx.res.status == CONN_NOT_FOUND &&
	    fx.res.http_status == 501, "crl: 501 means no CRLs there");
	conn_result_free(&fx.res);
	rc = conn_crl(&fx.t, &crl, &fx.res);
	ok(rc == 0 && crl == NULL && fx.res.status == CONN_NOT_FOUND,
	    "crl: 404 too");
	conn_result_free(&fx.res);
	rc = conn_crl(&fx.t, &crl, &fx.res);
	ok(rc == 0 && crl == NULL && fx.res.status == CONN_NOT_FOUND,
	    "crl: 405 too");
	conn_result_free(&fx.res);
	rc = conn_crl(&fx.t, &crl, &fx.res);
	ok(rc == 0 && crl == NULL && fx.res.status == CONN_UNAVAILABLE,
	    "crl: 500 is a CA that is down");
	conn_result_free(&fx.res);
	srv_stop(&s);
}

int
main(void)
{
	if (fx_setup(&fx.conf) != 0) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	fx.key = fx_make_key();
	if ((fx.cert = fx_make_cert(fx.key, "issued", 1, 0)) == NULL) {
		printf("Bail out! certificates\n");
		return 1;
	}
	fx.issue_body = fx_issue_body(fx.cert);
	is_int(conn_init(&fx.conf), 0, "conn_init");

	case_pending();
	case_reconcile();
	case_crl();

	conn_done();
	curl_global_cleanup();
	X509_free(fx.cert);
	EVP_PKEY_free(fx.key);
	free(fx.issue_body);
	conf_free(&fx.conf);
	srv_done();
	return done_testing();
}
