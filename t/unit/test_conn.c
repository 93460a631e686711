/*
 * conn.c against a scripted connector (conn_srv.c): a forked child on
 * 127.0.0.1 that answers canned HTTP/1.1 responses in order and records
 * every request, which the test reads after each call. The calls, their
 * requests and replies, errors, limits, credentials and TLS; delayed
 * delivery and reconciliation are test_conn_recon.c's.
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
 * result of the calls, the certificates made for the test and the
 * connector's answers that carry them. */
static struct {
	struct conf conf;
	struct conn_target t;
	struct conn_result res;
	char	 url[256];
	EVP_PKEY *key, *skey, *ckey;
	X509	*cert, *ca1, *ca2, *scert, *ccert;
	char	*issue_body, *cas_body;
} fx;

/* ---- encodings checked by the test ---- */

/* Decodes a base64 string (no whitespace) of the request. */
static int
b64_equals(const char *s, const unsigned char *want, size_t wlen)
{
	unsigned char buf[4096];
	size_t len, pad = 0;
	int n;

	if (s == NULL || (len = strlen(s)) == 0 || len > 4000)
		return 0;
	if ((n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)len)) < 0)
		return 0;
	while (pad < 2 && s[len - 1 - pad] == '=')
		pad++;
	return (size_t)n - pad == wlen && memcmp(buf, want, wlen) == 0;
}

static int
b64_equals_cert(const char *s, X509 *x)
{
	unsigned char *der = NULL;
	int n, eq;

	n = i2d_X509(x, &der);
	eq = b64_equals(s, der, (size_t)n);
	OPENSSL_free(der);
	return eq;
}

static char *
pem_string(X509 *x, EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	if (x != NULL)
		PEM_write_bio_X509(b, x);
	else
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	out = strndup(p, (size_t)n);
	BIO_free(b);
	return out;
}

/* A JSON text owned by the caller; the object's strings, in pairs. */
static char *
json_text(const char *k1, const char *v1, const char *k2, const char *v2)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, k1, json_object_new_string(v1));
	if (k2 != NULL)
		json_object_object_add(o, k2, json_object_new_string(v2));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int
accept_any(int ok_, X509_STORE_CTX *ctx)
{
	return 1;	/* the test only records who the client is */
}

/* issue */
static void
case_issue(void)
{
	struct srv s;
	struct rec r;
	char hb[512];
	int rc;
	json_object *a, *v;
	struct canned sc[] = { { 200, fx.issue_body, 0, 0, 0 } };

	if (srv_start(&s, sc, 1, NULL) != 0) {
		printf("Bail out! server\n");
		exit(1);
	}
	fx_set_url(fx.url, sizeof(fx.url), "http", s.port, "/localca//");
	fx.t.url = fx.url;
	fx.t.auth = CONN_AUTH_NONE;
	fx.t.authority_uuid = AUTHORITY;
	fx.t.attributes_json = "[{\"uuid\":\"a1\",\"name\":\"validity\","
	    "\"content\":[{\"data\":30}]}]";
	fx.t.ra_attributes_json = NULL;
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	is_int(rc, 0, "issue: returns 0");
	is_int(fx.res.status, CONN_OK, "issue: CONN_OK");
	is_int(fx.res.http_status, 200, "issue: HTTP 200");
	ok(fx.res.certificate != NULL &&
	    X509_cmp(fx.res.certificate, fx.cert) == 0,
	    "issue: the certificate (base64 with line breaks)");
	is_str(fx.res.uuid, "6c1f2a54-0000-4000-8000-00000000abcd",
	    "issue: uuid");
	is_str(fx.res.message, "", "issue: no message");
	conn_result_free(&fx.res);
	ok(fx.res.certificate == NULL && fx.res.status == CONN_OK,
	    "conn_result_free leaves it reusable");
	ok(rec_next(&s, &r) == 0, "issue: request recorded");
	is_str(r.line, "POST /localca/v2/authorityProvider/authorities/"
	    AUTHORITY "/certificates/issue HTTP/1.1",
	    "issue: method and path (trailing slashes dropped)");
	is_str(rec_header(&r, "Content-Type", hb, sizeof(hb)),
	    "application/json", "issue: Content-Type");
	is_str(rec_header(&r, "Accept", hb, sizeof(hb)),
	    "application/json", "issue: Accept");
	ok(rec_header(&r, "Expect", hb, sizeof(hb)) == NULL,
	    "issue: no Expect");
	ok(rec_header(&r, "Authorization", hb, sizeof(hb)) == NULL,
	    "issue: no Authorization without credentials");
	ok(b64_equals(rec_str(&r, "request"), fx_req_der,
	    sizeof(fx_req_der)), "issue: request is base64 of the DER");
	is_str(rec_str(&r, "format"), "crmf", "issue: format");
	a = rec_member(&r, "attributes");
	ok(json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) == 1 &&
	    json_object_object_get_ex(json_object_array_get_idx(a, 0),
	    "name", &v) && strcmp(json_object_get_string(v),
	    "validity") == 0, "issue: attributes as given");
	a = rec_member(&r, "raProfileAttributes");
	ok(json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) == 0,
	    "issue: raProfileAttributes [] for NULL");
	ok(rec_member(&r, "certificate") == NULL,
	    "issue: no certificate member");
	rec_free(&r);
	srv_stop(&s);
}

/* renew, revoke, caCertificates; one connection for all three */
static void
case_calls(void)
{
	struct srv s;
	struct rec r;
	int rc;
	json_object *a;
	struct canned sc[] = {
		{ 200, fx.issue_body, 0, 0, 0 },
		{ 200, NULL, 0, 0, 0 },
		{ 200, fx.cas_body, 0, 0, 0 },
	};

	srv_start(&s, sc, 3, NULL);
	fx_set_url(fx.url, sizeof(fx.url), "http", s.port, "");
	fx.t.attributes_json = "[]";
	fx.t.ra_attributes_json = "[{\"name\":\"ra\"}]";
	rc = conn_renew(&fx.t, fx_req_der, sizeof(fx_req_der), "pkcs10", fx.ca1,
	    &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK && fx.res.certificate != NULL,
	    "renew: CONN_OK with a certificate");
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) == 0 && strcmp(r.line, "POST /v2/"
	    "authorityProvider/authorities/" AUTHORITY
	    "/certificates/renew HTTP/1.1") == 0, "renew: path");
	ok(b64_equals_cert(rec_str(&r, "certificate"), fx.ca1),
	    "renew: certificate is the old one");
	is_str(rec_str(&r, "format"), "pkcs10", "renew: format");
	ok(b64_equals(rec_str(&r, "request"), fx_req_der,
	    sizeof(fx_req_der)), "renew: request");
	ok(json_object_is_type(rec_member(&r, "meta"),
	    json_type_array), "renew: meta []");
	ok(rec_member(&r, "attributes") == NULL,
	    "renew: no attributes (not in the v2 renew request)");
	a = rec_member(&r, "raProfileAttributes");
	ok(json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) == 1,
	    "renew: raProfileAttributes as given");
	rec_free(&r);

	rc = conn_revoke(&fx.t, fx.cert, "keyCompromise", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK && fx.res.http_status == 200,
	    "revoke: empty 200 is CONN_OK");
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) == 0 && strstr(r.line,
	    "/certificates/revoke HTTP/1.1") != NULL, "revoke: path");
	is_str(rec_str(&r, "reason"), "keyCompromise",
	    "revoke: reason");
	ok(b64_equals_cert(rec_str(&r, "certificate"), fx.cert),
	    "revoke: certificate");
	ok(json_object_is_type(rec_member(&r, "attributes"),
	    json_type_array) && json_object_is_type(rec_member(&r,
	    "raProfileAttributes"), json_type_array),
	    "revoke: attributes and raProfileAttributes");
	rec_free(&r);

	rc = conn_ca_certificates(&fx.t, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK,
	    "caCertificates: CONN_OK");
	ok(fx.res.chain != NULL && sk_X509_num(fx.res.chain) == 2 &&
	    X509_cmp(sk_X509_value(fx.res.chain, 0), fx.ca1) == 0 &&
	    X509_cmp(sk_X509_value(fx.res.chain, 1), fx.ca2) == 0,
	    "caCertificates: two certificates, in order");
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) == 0 && strcmp(r.line, "POST /v1/"
	    "authorityProvider/authorities/" AUTHORITY
	    "/caCertificates HTTP/1.1") == 0, "caCertificates: path");
	ok(rec_member(&r, "raProfileAttributes") != NULL &&
	    rec_member(&r, "attributes") == NULL,
	    "caCertificates: raProfileAttributes only");
	is_int(r.conn, 1,
	    "keep-alive: three calls, one TCP connection");
	rec_free(&r);
	srv_stop(&s);
}

/* error answers */
static void
case_errors(void)
{
	struct srv s;
	int rc;
	static const char bad_b64[] =
	    "{\"certificateData\":\"!!notb64\"}";
	static const char not_cert[] = "{\"certificateData\":\"AAAA\"}";
	static const char mid_pad[] = "{\"certificateData\":\"AA=A\"}";
	static const char no_data[] = "{\"uuid\":\"x\"}";
	static const char raw[] = "bad\001thing\377 here";
	struct canned sc[] = {
		{ 422, "[\"a\", \"b\"]", 0, 0, 0 },
		{ 400, "{\"message\": \"x\"}", 0, 0, 0 },
		{ 404, "{\"message\": \"authority not found\"}", 0, 0,
		    0 },
		{ 500, "{\"message\": \"boom\"}", 0, 0, 0 },
		{ 200, bad_b64, 0, 0, 0 },
		{ 200, not_cert, 0, 0, 0 },
		{ 200, mid_pad, 0, 0, 0 },
		{ 200, no_data, 0, 0, 0 },
		{ 200, "<html>", 0, 0, 0 },
		{ 200, "{\"uuid\":\"a\",\"certificateData\":\"AAAA\","
		    "\"uuid\":\"b\"}", 0, 0, 0 },
		{ 202, "{}", 0, 0, 0 },
		{ 403, raw, 0, 0, 0 },
		{ 302, "", 0, 0, 0 },
		{ 200, "{\"certificates\":"
		    "[{\"certificateData\":\"AAAA\"}]}", 0, 0, 0 },
	};
	static const struct {
		enum conn_status st;
		long http;
		const char *msg;	/* NULL: any, not empty */
		const char *what;
	} want[] = {
		{ CONN_REJECTED, 422, "a; b", "422 list of messages" },
		{ CONN_REJECTED, 400, "x", "400 {message}" },
		{ CONN_NOT_FOUND, 404, "authority not found", "404" },
		{ CONN_UNAVAILABLE, 500, "HTTP 500: boom",
		    "500: unavailable for now" },
		{ CONN_FAILED, 200,
		    "issue: certificateData is not base64",
		    "200 with certificateData not base64" },
		{ CONN_FAILED, 200,
		    "issue: certificateData is neither a DER certificate nor "
		    "a PKCS#7 of certificates",
		    "200 with certificateData not a certificate" },
		{ CONN_FAILED, 200,
		    "issue: certificateData is not base64",
		    "200 with '=' inside the base64" },
		{ CONN_FAILED, 200, "issue: no certificateData",
		    "200 without certificateData" },
		{ CONN_FAILED, 200, "issue reply is not one JSON value",
		    "200 not JSON" },
		{ CONN_FAILED, 200, "issue reply names member \"uuid\" "
		    "twice (byte 37)", "200 with a member twice" },
		{ CONN_FAILED, 202, NULL, "202 (asynchronous)" },
		{ CONN_REJECTED, 403, "bad?thing? here",
		    "403 raw body, made printable" },
		{ CONN_FAILED, 302, "HTTP 302", "302 not followed" },
	};
	size_t i;

	srv_start(&s, sc, NITEMS(sc), NULL);
	fx_set_url(fx.url, sizeof(fx.url), "http", s.port, "");
	fx.t.attributes_json = NULL;
	fx.t.ra_attributes_json = NULL;
	for (i = 0; i < NITEMS(want); i++) {
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == want[i].st &&
		    fx.res.http_status == want[i].http &&
		    fx.res.certificate == NULL, "%s: status %s",
		    want[i].what, conn_status_name(want[i].st));
		if (want[i].msg != NULL)
			is_str(fx.res.message, want[i].msg,
			    "%s: message", want[i].what);
		else
			ok(fx.res.message[0] != '\0', "%s: message %s",
			    want[i].what, fx.res.message);
		conn_result_free(&fx.res);
	}
	rc = conn_ca_certificates(&fx.t, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_FAILED && fx.res.chain == NULL,
	    "caCertificates with a bad certificate: CONN_FAILED");
	is_str(fx.res.message, "caCertificates[0]: certificateData is "
	    "neither a DER certificate nor a PKCS#7 of certificates",
	    "caCertificates: which one");
	conn_result_free(&fx.res);
	srv_stop(&s);
}

/* reply size cap */
static void
case_reply_cap(void)
{
	struct srv s;
	int rc;
	char *big;
	struct canned sc[] = {
		{ 200, NULL, 0, 0, 0 },
		{ 200, NULL, 0, 0, 1 },
	};
	size_t n = fx.conf.connector_reply_max + 100;

	big = malloc(n + 1);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	big[n] = '\0';
	sc[0].body = sc[1].body = big;
	srv_start(&s, sc, 2, NULL);
	fx_set_url(fx.url, sizeof(fx.url), "http", s.port, "");
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_FAILED &&
	    strstr(fx.res.message, "larger than") != NULL,
	    "reply over connector_reply_max (Content-Length): "
	    "CONN_FAILED: %s", fx.res.message);
	conn_result_free(&fx.res);
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_FAILED &&
	    strstr(fx.res.message, "larger than") != NULL,
	    "reply over connector_reply_max (read to close): "
	    "CONN_FAILED: %s", fx.res.message);
	conn_result_free(&fx.res);
	srv_stop(&s);
	free(big);
}

/* unavailable: too slow, nobody listening */
static void
case_unavailable(void)
{
	struct srv s;
	int rc;
	double t0;
	int port;
	struct canned sc[] = { { 200, fx.issue_body, 0, 3000, 0 } };

	srv_start(&s, sc, 1, NULL);
	fx_set_url(fx.url, sizeof(fx.url), "http", s.port, "");
	fx.conf.connector_timeout = 1;
	t0 = fx_now();
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_UNAVAILABLE &&
	    fx.res.http_status == 0, "slower than connector_timeout: "
	    "CONN_UNAVAILABLE: %s", fx.res.message);
	ok(fx_now() - t0 < 2.5, "and gave up after about 1 s");
	conn_result_free(&fx.res);
	fx.conf.connector_timeout = 10;
	srv_stop(&s);

	port = fx_closed_port();
	fx_set_url(fx.url, sizeof(fx.url), "http", port, "/x");
	rc = conn_revoke(&fx.t, fx.cert, "unspecified", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_UNAVAILABLE &&
	    fx.res.http_status == 0 && fx.res.message[0] != '\0',
	    "closed port: CONN_UNAVAILABLE: %s", fx.res.message);
	conn_result_free(&fx.res);
}

/* credentials, and none left over on the next call */
static void
case_credentials(void)
{
	struct srv s;
	struct rec r;
	char hb[512];
	int rc;
	char *basic, *apikey;
	struct canned sc[] = {
		{ 200, NULL, 0, 0, 0 }, { 200, NULL, 0, 0, 0 },
		{ 200, NULL, 0, 0, 0 }, { 200, NULL, 0, 0, 0 },
	};

	basic = json_text("username", "alice", "password", "s3cr:t");
	apikey = json_text("header", "X-API-KEY", "key", "k-123 456");
	srv_start(&s, sc, 4, NULL);
	fx_set_url(fx.url, sizeof(fx.url), "http", s.port, "");
	fx.t.auth = CONN_AUTH_BASIC;
	fx.t.auth_json = basic;
	/* plain http:// carries credentials only when marked so */
	fx.t.insecure = 0;
	rc = conn_revoke(&fx.t, fx.cert, "superseded", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_INSECURE,
	    "basic over http://, not insecure: CONN_INSECURE");
	ok(strstr(fx.res.message, "not made: credentials would be sent "
	    "over plain http://") != NULL,
	    "... the call is not made, and why");
	fx.t.auth = CONN_AUTH_APIKEY;
	fx.t.auth_json = apikey;
	rc = conn_revoke(&fx.t, fx.cert, "superseded", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_INSECURE,
	    "apiKey over http://, not insecure: CONN_INSECURE");
	{
		char *cj = json_text("certificate", "x", "privateKey",
		    "y");

		fx.t.auth = CONN_AUTH_CERTIFICATE;
		fx.t.auth_json = cj;
		fx.t.insecure = 1;
		rc = conn_revoke(&fx.t, fx.cert, "superseded", &fx.res);
		ok(rc == 0 && fx.res.status == CONN_INSECURE &&
		    strstr(fx.res.message, "certificate authentication "
		    "needs an https:// url") != NULL,
		    "certificate auth over http://, even insecure: "
		    "refused");
		free(cj);
	}
	fx.t.auth = CONN_AUTH_BASIC;
	fx.t.auth_json = basic;
	fx.t.insecure = 1;
	rc = conn_revoke(&fx.t, fx.cert, "superseded", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK, "basic: CONN_OK");
	rec_next(&s, &r);
	/* base64("alice:s3cr:t") */
	is_str(rec_header(&r, "Authorization", hb, sizeof(hb)),
	    "Basic YWxpY2U6czNjcjp0", "basic: Authorization header");
	rec_free(&r);
	fx.t.auth = CONN_AUTH_NONE;
	fx.t.auth_json = NULL;
	rc = conn_revoke(&fx.t, fx.cert, "superseded", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK, "no auth after basic");
	rec_next(&s, &r);
	ok(rec_header(&r, "Authorization", hb, sizeof(hb)) == NULL,
	    "the next call carries no Authorization");
	rec_free(&r);

	fx.t.auth = CONN_AUTH_APIKEY;
	fx.t.auth_json = apikey;
	rc = conn_revoke(&fx.t, fx.cert, "superseded", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK, "apiKey: CONN_OK");
	rec_next(&s, &r);
	is_str(rec_header(&r, "X-API-KEY", hb, sizeof(hb)), "k-123 456",
	    "apiKey: the custom header");
	rec_free(&r);
	fx.t.auth = CONN_AUTH_NONE;
	fx.t.auth_json = NULL;
	rc = conn_revoke(&fx.t, fx.cert, "superseded", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK, "no auth after apiKey");
	rec_next(&s, &r);
	ok(rec_header(&r, "X-API-KEY", hb, sizeof(hb)) == NULL,
	    "the next call carries no API key header");
	fx.t.insecure = 0;
	is_int(r.conn, 1, "keep-alive: four calls, one TCP connection");
	rec_free(&r);
	srv_stop(&s);
	free(basic);
	free(apikey);
}

/* local errors: -1, nothing sent */
static void
case_local_errors(void)
{
	struct srv s;
	struct rec r;
	int rc;
	static const struct {
		const char *url, *uuid, *attrs, *ra, *format;
		enum conn_auth auth;
		const char *auth_json;
		const char *what;
	} bad[] = {
		{ NULL, AUTHORITY, "[1,", NULL, "crmf", CONN_AUTH_NONE,
		    NULL, "attributes not JSON" },
		{ NULL, AUTHORITY, "{\"a\":1}", NULL, "crmf",
		    CONN_AUTH_NONE, NULL, "attributes not an array" },
		{ NULL, AUTHORITY, "[] []", NULL, "crmf",
		    CONN_AUTH_NONE, NULL,
		    "attributes with trailing data" },
		{ NULL, AUTHORITY, NULL, "\"x\"", "crmf",
		    CONN_AUTH_NONE, NULL,
		    "raProfileAttributes not an array" },
		{ NULL, AUTHORITY, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", NULL, "crmf",
		    CONN_AUTH_NONE, NULL,
		    "attributes nested too deep" },
		{ NULL, "../x", NULL, NULL, "crmf", CONN_AUTH_NONE,
		    NULL, "authority uuid with '/'" },
		{ NULL, "a b", NULL, NULL, "crmf", CONN_AUTH_NONE, NULL,
		    "authority uuid with a space" },
		{ NULL, "", NULL, NULL, "crmf", CONN_AUTH_NONE, NULL,
		    "empty authority uuid" },
		{ NULL, NULL, NULL, NULL, "crmf", CONN_AUTH_NONE, NULL,
		    "NULL authority uuid" },
		{ NULL, AUTHORITY, NULL, NULL, "der", CONN_AUTH_NONE,
		    NULL, "unknown format" },
		{ "ftp://127.0.0.1/x", AUTHORITY, NULL, NULL, "crmf",
		    CONN_AUTH_NONE, NULL, "ftp URL" },
		{ "http://127.0.0.1/x?y=1", AUTHORITY, NULL, NULL,
		    "crmf", CONN_AUTH_NONE, NULL, "URL with a query" },
		{ NULL, AUTHORITY, NULL, NULL, "crmf", CONN_AUTH_BASIC,
		    NULL, "basic without credentials" },
		{ NULL, AUTHORITY, NULL, NULL, "crmf", CONN_AUTH_BASIC,
		    "{\"username\":\"a:b\",\"password\":\"p\"}",
		    "basic username with ':'" },
		{ NULL, AUTHORITY, NULL, NULL, "crmf", CONN_AUTH_APIKEY,
		    "{\"header\":\"X Key\",\"key\":\"k\"}",
		    "apiKey header name not a token" },
		{ NULL, AUTHORITY, NULL, NULL, "crmf", CONN_AUTH_APIKEY,
		    "{\"header\":\"X-Key\","
		    "\"key\":\"k\\r\\nX-Evil: 1\"}",
		    "apiKey key with CR LF" },
		{ NULL, AUTHORITY, NULL, NULL, "crmf", CONN_AUTH_APIKEY,
		    "{\"header\":\"Content-Type\",\"key\":\"k\"}",
		    "apiKey header that cmpd sets itself" },
		{ NULL, AUTHORITY, NULL, NULL, "crmf",
		    CONN_AUTH_CERTIFICATE, "{\"certificate\":\"x\"}",
		    "certificate without privateKey" },
	};
	struct canned sc[] = { { 200, NULL, 0, 0, 0 } };
	struct conn_target bt;
	size_t i;

	srv_start(&s, sc, 1, NULL);
	fx_set_url(fx.url, sizeof(fx.url), "http", s.port, "");
	for (i = 0; i < NITEMS(bad); i++) {
		memset(&bt, 0, sizeof(bt));
		bt.url = bad[i].url != NULL ? bad[i].url : fx.url;
		bt.authority_uuid = bad[i].uuid;
		bt.attributes_json = bad[i].attrs;
		bt.ra_attributes_json = bad[i].ra;
		bt.auth = bad[i].auth;
		bt.auth_json = bad[i].auth_json;
		rc = conn_issue(&bt, fx_req_der, sizeof(fx_req_der),
		    bad[i].format, &fx.res);
		ok(rc == -1 && fx.res.status != CONN_OK &&
		    fx.res.message[0] != '\0', "%s: -1 (%s)", bad[i].what,
		    fx.res.message);
		conn_result_free(&fx.res);
	}
	memset(&bt, 0, sizeof(bt));
	bt.url = fx.url;
	bt.authority_uuid = AUTHORITY;
	ok(conn_revoke(&bt, fx.cert, "keycompromise", &fx.res) == -1,
	    "revoke: unknown reason: -1");
	conn_result_free(&fx.res);
	ok(conn_renew(&bt, fx_req_der, sizeof(fx_req_der), "crmf", NULL,
	    &fx.res) == -1, "renew without the old certificate: -1");
	conn_result_free(&fx.res);
	/* The one canned answer goes to the first request sent. */
	rc = conn_revoke(&bt, fx.cert, "unspecified", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK,
	    "after the local errors, a good call");
	ok(rec_next(&s, &r) == 0 && strstr(r.body, "unspecified") !=
	    NULL, "and it is the first request the connector saw");
	rec_free(&r);
	ok(rec_next(&s, &r) != 0, "nothing else was sent");
	rec_free(&r);
	conn_result_free(&fx.res);
	srv_stop(&s);
}

/* https: server verified with connector_ca_file, client certificate */
static void
case_https(void)
{
	struct srv s;
	struct rec r;
	int rc;
	FILE *f;
	SSL_CTX *tls;
	char *cert_pem, *key_pem, *certauth;
	char ca_path[128];
	struct canned sc[] = {
		{ 200, fx.issue_body, 0, 0, 0 }, { 200, NULL, 0, 0, 0 },
	};

	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", srv_dir());
	f = fopen(ca_path, "w");
	PEM_write_X509(f, fx.scert);
	fclose(f);
	tls = SSL_CTX_new(TLS_server_method());
	SSL_CTX_use_certificate(tls, fx.scert);
	SSL_CTX_use_PrivateKey(tls, fx.skey);
	SSL_CTX_set_verify(tls, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
	cert_pem = pem_string(fx.ccert, NULL);
	key_pem = pem_string(NULL, fx.ckey);
	certauth = json_text("certificate", cert_pem, "privateKey",
	    key_pem);

	srv_start(&s, sc, 2, tls);
	fx_set_url(fx.url, sizeof(fx.url), "https", s.port, "/ca");
	fx.t.auth = CONN_AUTH_CERTIFICATE;
	fx.t.auth_json = certauth;
	fx.conf.connector_ca_file = ca_path;
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK && fx.res.certificate != NULL,
	    "https with a client certificate: CONN_OK (%s)",
	    fx.res.message);
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) == 0, "https: request recorded");
	is_str(r.peer, "/CN=cmpd client",
	    "https: the connector saw the client certificate");
	rec_free(&r);

	fx.conf.connector_ca_file = NULL;
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_UNAVAILABLE,
	    "https, server not trusted: CONN_UNAVAILABLE (%s)",
	    fx.res.message);
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) != 0, "and no request reached it");
	rec_free(&r);
	srv_stop(&s);
	SSL_CTX_free(tls);
	unlink(ca_path);
	free(cert_pem);
	free(key_pem);
	free(certauth);
	fx.t.auth = CONN_AUTH_NONE;
	fx.t.auth_json = NULL;
}

/* Nothing of the https call may make a plain one fail. */
static void
case_plain_after_https(void)
{
	struct srv s;
	struct rec r;
	int rc;
	struct canned sc[] = { { 200, fx.cas_body, 0, 0, 0 } };

	srv_start(&s, sc, 1, NULL);
	fx_set_url(fx.url, sizeof(fx.url), "http", s.port, "");
	rc = conn_ca_certificates(&fx.t, &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK,
	    "plain http after https: CONN_OK");
	conn_result_free(&fx.res);
	ok(rec_next(&s, &r) == 0 && strcmp(r.peer, "-") == 0,
	    "plain http: recorded");
	rec_free(&r);
	srv_stop(&s);
}

/* The caCertificates answer: the chain ca1, ca2. */
static char *
cas_body_new(void)
{
	json_object *o, *a, *v;
	char *b64[2], *s;
	int i;

	b64[0] = fx_cert_b64(fx.ca1, 0);
	b64[1] = fx_cert_b64(fx.ca2, 1);
	o = json_object_new_object();
	a = json_object_new_array();
	for (i = 0; i < 2; i++) {
		v = json_object_new_object();
		json_object_object_add(v, "certificateData",
		    json_object_new_string(b64[i]));
		json_object_array_add(a, v);
		free(b64[i]);
	}
	json_object_object_add(o, "certificates", a);
	s = strdup(json_object_to_json_string(o));
	json_object_put(o);
	return s;
}

int
main(void)
{
	if (fx_setup(&fx.conf) != 0) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	fx.key = fx_make_key();
	fx.cert = fx_make_cert(fx.key, "issued", 1, 0);
	fx.ca1 = fx_make_cert(fx.key, "Issuing CA", 2, 0);
	fx.ca2 = fx_make_cert(fx.key, "Root CA", 3, 0);
	fx.skey = fx_make_key();
	fx.scert = fx_make_cert(fx.skey, "connector", 4, 1);
	fx.ckey = fx_make_key();
	fx.ccert = fx_make_cert(fx.ckey, "cmpd client", 5, 0);
	if (fx.cert == NULL || fx.ca1 == NULL || fx.ca2 == NULL ||
	    fx.scert == NULL || fx.ccert == NULL) {
		printf("Bail out! certificates\n");
		return 1;
	}
	fx.issue_body = fx_issue_body(fx.cert);
	fx.cas_body = cas_body_new();

	ok(conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
	    &fx.res) == -1, "before conn_init: -1");
	is_int(conn_init(&fx.conf), 0, "conn_init");
	conn_result_free(NULL);
	ok(1, "conn_result_free(NULL) is a no-op");

	case_issue();
	case_calls();
	case_errors();
	case_reply_cap();
	case_unavailable();
	case_credentials();
	case_local_errors();
	case_https();
	case_plain_after_https();

	conn_done();
	curl_global_cleanup();
	X509_free(fx.cert);
	X509_free(fx.ca1);
	X509_free(fx.ca2);
	X509_free(fx.scert);
	X509_free(fx.ccert);
	EVP_PKEY_free(fx.key);
	EVP_PKEY_free(fx.skey);
	EVP_PKEY_free(fx.ckey);
	free(fx.issue_body);
	free(fx.cas_body);
	conf_free(&fx.conf);
	srv_done();
	return done_testing();
}
