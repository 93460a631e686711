/*
 * conn.c against a scripted connector (conn_srv.c): a forked child on
 * 127.0.0.1 that answers canned HTTP/1.1 responses in order and records
 * every request, which the test reads after each call.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <curl/curl.h>
#include <json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "conn.h"
#include "conn_srv.h"
#include "tap.h"


#define AUTHORITY	"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

/* ---- certificates and encodings made for the test ---- */

static EVP_PKEY *
make_key(void)
{
	return EVP_EC_gen("P-256");
}

static X509 *
make_cert(EVP_PKEY *key, const char *cn, int serial, int server)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	X509_NAME *name;
	X509 *x;

	if ((x = X509_new()) == NULL)
		return NULL;
	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	if (server) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
		    "IP:127.0.0.1");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	if (X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Base64 of the certificate's DER, with a line break every 64 characters
 * (and a CRLF once) as some connectors send it. */
static char *
cert_b64(X509 *x, int wrap)
{
	unsigned char *der = NULL, *b64;
	char *out;
	size_t i, o = 0;
	int n, w;

	n = i2d_X509(x, &der);
	b64 = malloc(4 * ((size_t)n + 2) / 3 + 1);
	w = EVP_EncodeBlock(b64, der, n);
	OPENSSL_free(der);
	out = malloc((size_t)w * 2 + 4);
	for (i = 0; i < (size_t)w; i++) {
		if (wrap && i > 0 && i % 64 == 0) {
			if (i == 64)
				out[o++] = '\r';
			out[o++] = '\n';
		}
		out[o++] = (char)b64[i];
	}
	out[o] = '\0';
	free(b64);
	return out;
}

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

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		close(fd);
		return -1;
	}
	port = ntohs(sa.sin_port);
	close(fd);		/* bound, never listening: refused */
	return port;
}

static void
set_url(char *buf, size_t n, const char *scheme, int port, const char *path)
{
	snprintf(buf, n, "%s://127.0.0.1:%d%s", scheme, port, path);
}

static int
accept_any(int ok_, X509_STORE_CTX *ctx)
{
	return 1;	/* the test only records who the client is */
}

int
main(void)
{
	static const unsigned char req_der[] = {
		0x30, 0x0a, 0x02, 0x01, 0x01, 0x04, 0x05, 'h', 'e', 'l',
		'l', 'o', 0xff, 0x00, 0x80,
	};
	struct conn_result res;
	struct conn_target t;
	struct conf conf;
	struct srv s;
	struct rec r;
	EVP_PKEY *key, *skey, *ckey;
	X509 *cert, *ca1, *ca2, *scert, *ccert;
	SSL_CTX *tls;
	json_object *o, *a, *v;
	char url[256], hb[512], ca_path[128], *issue_body, *cas_body, *b1,
	    *b2, *cert_pem, *key_pem, *basic, *apikey, *certauth, *big;
	double t0;
	FILE *f;
	int port, rc;

	if (srv_init() != 0) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	/* An http_proxy of the environment must not matter: conn.c
	 * ignores it. */
	setenv("http_proxy", "http://127.0.0.1:1", 1);
	conf_init(&conf);
	conf.connector_connect_timeout = 2;
	conf.connector_timeout = 10;
	conf.connector_reply_max = 16 * 1024;

	key = make_key();
	cert = make_cert(key, "issued", 1, 0);
	ca1 = make_cert(key, "Issuing CA", 2, 0);
	ca2 = make_cert(key, "Root CA", 3, 0);
	skey = make_key();
	scert = make_cert(skey, "connector", 4, 1);
	ckey = make_key();
	ccert = make_cert(ckey, "cmpd client", 5, 0);
	if (cert == NULL || ca1 == NULL || ca2 == NULL || scert == NULL ||
	    ccert == NULL) {
		printf("Bail out! certificates\n");
		return 1;
	}

	b1 = cert_b64(cert, 1);
	o = json_object_new_object();
	json_object_object_add(o, "certificateData",
	    json_object_new_string(b1));
	json_object_object_add(o, "uuid",
	    json_object_new_string("6c1f2a54-0000-4000-8000-00000000abcd"));
	json_object_object_add(o, "meta", json_object_new_array());
	issue_body = strdup(json_object_to_json_string(o));
	json_object_put(o);
	free(b1);

	b1 = cert_b64(ca1, 0);
	b2 = cert_b64(ca2, 1);
	o = json_object_new_object();
	a = json_object_new_array();
	v = json_object_new_object();
	json_object_object_add(v, "certificateData",
	    json_object_new_string(b1));
	json_object_array_add(a, v);
	v = json_object_new_object();
	json_object_object_add(v, "certificateData",
	    json_object_new_string(b2));
	json_object_array_add(a, v);
	json_object_object_add(o, "certificates", a);
	cas_body = strdup(json_object_to_json_string(o));
	json_object_put(o);
	free(b1);
	free(b2);

	memset(&res, 0, sizeof(res));
	memset(&t, 0, sizeof(t));
	ok(conn_issue(&t, req_der, sizeof(req_der), "crmf", &res) == -1,
	    "before conn_init: -1");
	is_int(conn_init(&conf), 0, "conn_init");
	conn_result_free(NULL);
	ok(1, "conn_result_free(NULL) is a no-op");

	/* issue */
	{
		struct canned sc[] = { { 200, issue_body, 0, 0, 0 } };

		if (srv_start(&s, sc, 1, NULL) != 0) {
			printf("Bail out! server\n");
			return 1;
		}
		set_url(url, sizeof(url), "http", s.port, "/localca//");
		t.url = url;
		t.auth = CONN_AUTH_NONE;
		t.authority_uuid = AUTHORITY;
		t.attributes_json = "[{\"uuid\":\"a1\",\"name\":\"validity\","
		    "\"content\":[{\"data\":30}]}]";
		t.ra_attributes_json = NULL;
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		is_int(rc, 0, "issue: returns 0");
		is_int(res.status, CONN_OK, "issue: CONN_OK");
		is_int(res.http_status, 200, "issue: HTTP 200");
		ok(res.certificate != NULL &&
		    X509_cmp(res.certificate, cert) == 0,
		    "issue: the certificate (base64 with line breaks)");
		is_str(res.uuid, "6c1f2a54-0000-4000-8000-00000000abcd",
		    "issue: uuid");
		is_str(res.message, "", "issue: no message");
		conn_result_free(&res);
		ok(res.certificate == NULL && res.status == CONN_OK,
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
		ok(b64_equals(rec_str(&r, "request"), req_der,
		    sizeof(req_der)), "issue: request is base64 of the DER");
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
	{
		struct canned sc[] = {
			{ 200, issue_body, 0, 0, 0 },
			{ 200, NULL, 0, 0, 0 },
			{ 200, cas_body, 0, 0, 0 },
		};

		srv_start(&s, sc, 3, NULL);
		set_url(url, sizeof(url), "http", s.port, "");
		t.attributes_json = "[]";
		t.ra_attributes_json = "[{\"name\":\"ra\"}]";
		rc = conn_renew(&t, req_der, sizeof(req_der), "pkcs10", ca1,
		    &res);
		ok(rc == 0 && res.status == CONN_OK && res.certificate != NULL,
		    "renew: CONN_OK with a certificate");
		conn_result_free(&res);
		ok(rec_next(&s, &r) == 0 && strcmp(r.line, "POST /v2/"
		    "authorityProvider/authorities/" AUTHORITY
		    "/certificates/renew HTTP/1.1") == 0, "renew: path");
		ok(b64_equals_cert(rec_str(&r, "certificate"), ca1),
		    "renew: certificate is the old one");
		is_str(rec_str(&r, "format"), "pkcs10", "renew: format");
		ok(b64_equals(rec_str(&r, "request"), req_der,
		    sizeof(req_der)), "renew: request");
		ok(json_object_is_type(rec_member(&r, "meta"),
		    json_type_array), "renew: meta []");
		ok(rec_member(&r, "attributes") == NULL,
		    "renew: no attributes (not in the v2 renew request)");
		a = rec_member(&r, "raProfileAttributes");
		ok(json_object_is_type(a, json_type_array) &&
		    json_object_array_length(a) == 1,
		    "renew: raProfileAttributes as given");
		rec_free(&r);

		rc = conn_revoke(&t, cert, "keyCompromise", &res);
		ok(rc == 0 && res.status == CONN_OK && res.http_status == 200,
		    "revoke: empty 200 is CONN_OK");
		conn_result_free(&res);
		ok(rec_next(&s, &r) == 0 && strstr(r.line,
		    "/certificates/revoke HTTP/1.1") != NULL, "revoke: path");
		is_str(rec_str(&r, "reason"), "keyCompromise",
		    "revoke: reason");
		ok(b64_equals_cert(rec_str(&r, "certificate"), cert),
		    "revoke: certificate");
		ok(json_object_is_type(rec_member(&r, "attributes"),
		    json_type_array) && json_object_is_type(rec_member(&r,
		    "raProfileAttributes"), json_type_array),
		    "revoke: attributes and raProfileAttributes");
		rec_free(&r);

		rc = conn_ca_certificates(&t, &res);
		ok(rc == 0 && res.status == CONN_OK,
		    "caCertificates: CONN_OK");
		ok(res.chain != NULL && sk_X509_num(res.chain) == 2 &&
		    X509_cmp(sk_X509_value(res.chain, 0), ca1) == 0 &&
		    X509_cmp(sk_X509_value(res.chain, 1), ca2) == 0,
		    "caCertificates: two certificates, in order");
		conn_result_free(&res);
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
	{
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
			    "issue: certificateData is not a DER certificate",
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
		set_url(url, sizeof(url), "http", s.port, "");
		t.attributes_json = NULL;
		t.ra_attributes_json = NULL;
		for (i = 0; i < NITEMS(want); i++) {
			rc = conn_issue(&t, req_der, sizeof(req_der), "crmf",
			    &res);
			ok(rc == 0 && res.status == want[i].st &&
			    res.http_status == want[i].http &&
			    res.certificate == NULL, "%s: status %s",
			    want[i].what, conn_status_name(want[i].st));
			if (want[i].msg != NULL)
				is_str(res.message, want[i].msg,
				    "%s: message", want[i].what);
			else
				ok(res.message[0] != '\0', "%s: message %s",
				    want[i].what, res.message);
			conn_result_free(&res);
		}
		rc = conn_ca_certificates(&t, &res);
		ok(rc == 0 && res.status == CONN_FAILED && res.chain == NULL,
		    "caCertificates with a bad certificate: CONN_FAILED");
		is_str(res.message, "caCertificates[0]: certificateData is not "
		    "a DER certificate", "caCertificates: which one");
		conn_result_free(&res);
		srv_stop(&s);
	}

	/* reply size cap */
	{
		struct canned sc[] = {
			{ 200, NULL, 0, 0, 0 },
			{ 200, NULL, 0, 0, 1 },
		};
		size_t n = conf.connector_reply_max + 100;

		big = malloc(n + 1);
		memset(big, ' ', n);
		big[0] = '{';
		big[n - 1] = '}';
		big[n] = '\0';
		sc[0].body = sc[1].body = big;
		srv_start(&s, sc, 2, NULL);
		set_url(url, sizeof(url), "http", s.port, "");
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_FAILED &&
		    strstr(res.message, "larger than") != NULL,
		    "reply over connector_reply_max (Content-Length): "
		    "CONN_FAILED: %s", res.message);
		conn_result_free(&res);
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_FAILED &&
		    strstr(res.message, "larger than") != NULL,
		    "reply over connector_reply_max (read to close): "
		    "CONN_FAILED: %s", res.message);
		conn_result_free(&res);
		srv_stop(&s);
		free(big);
	}

	/* unavailable: too slow, nobody listening */
	{
		struct canned sc[] = { { 200, issue_body, 0, 3000, 0 } };

		srv_start(&s, sc, 1, NULL);
		set_url(url, sizeof(url), "http", s.port, "");
		conf.connector_timeout = 1;
		t0 = now_s();
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_UNAVAILABLE &&
		    res.http_status == 0, "slower than connector_timeout: "
		    "CONN_UNAVAILABLE: %s", res.message);
		ok(now_s() - t0 < 2.5, "and gave up after about 1 s");
		conn_result_free(&res);
		conf.connector_timeout = 10;
		srv_stop(&s);

		port = closed_port();
		set_url(url, sizeof(url), "http", port, "/x");
		rc = conn_revoke(&t, cert, "unspecified", &res);
		ok(rc == 0 && res.status == CONN_UNAVAILABLE &&
		    res.http_status == 0 && res.message[0] != '\0',
		    "closed port: CONN_UNAVAILABLE: %s", res.message);
		conn_result_free(&res);
	}

	/* credentials, and none left over on the next call */
	{
		struct canned sc[] = {
			{ 200, NULL, 0, 0, 0 }, { 200, NULL, 0, 0, 0 },
			{ 200, NULL, 0, 0, 0 }, { 200, NULL, 0, 0, 0 },
		};

		basic = json_text("username", "alice", "password", "s3cr:t");
		apikey = json_text("header", "X-API-KEY", "key", "k-123 456");
		srv_start(&s, sc, 4, NULL);
		set_url(url, sizeof(url), "http", s.port, "");
		t.auth = CONN_AUTH_BASIC;
		t.auth_json = basic;
		/* plain http:// carries credentials only when marked so */
		t.insecure = 0;
		rc = conn_revoke(&t, cert, "superseded", &res);
		ok(rc == 0 && res.status == CONN_INSECURE,
		    "basic over http://, not insecure: CONN_INSECURE");
		ok(strstr(res.message, "not made: credentials would be sent "
		    "over plain http://") != NULL,
		    "... the call is not made, and why");
		t.auth = CONN_AUTH_APIKEY;
		t.auth_json = apikey;
		rc = conn_revoke(&t, cert, "superseded", &res);
		ok(rc == 0 && res.status == CONN_INSECURE,
		    "apiKey over http://, not insecure: CONN_INSECURE");
		{
			char *cj = json_text("certificate", "x", "privateKey",
			    "y");

			t.auth = CONN_AUTH_CERTIFICATE;
			t.auth_json = cj;
			t.insecure = 1;
			rc = conn_revoke(&t, cert, "superseded", &res);
			ok(rc == 0 && res.status == CONN_INSECURE &&
			    strstr(res.message, "certificate authentication "
			    "needs an https:// url") != NULL,
			    "certificate auth over http://, even insecure: "
			    "refused");
			free(cj);
		}
		t.auth = CONN_AUTH_BASIC;
		t.auth_json = basic;
		t.insecure = 1;
		rc = conn_revoke(&t, cert, "superseded", &res);
		ok(rc == 0 && res.status == CONN_OK, "basic: CONN_OK");
		rec_next(&s, &r);
		/* base64("alice:s3cr:t") */
		is_str(rec_header(&r, "Authorization", hb, sizeof(hb)),
		    "Basic YWxpY2U6czNjcjp0", "basic: Authorization header");
		rec_free(&r);
		t.auth = CONN_AUTH_NONE;
		t.auth_json = NULL;
		rc = conn_revoke(&t, cert, "superseded", &res);
		ok(rc == 0 && res.status == CONN_OK, "no auth after basic");
		rec_next(&s, &r);
		ok(rec_header(&r, "Authorization", hb, sizeof(hb)) == NULL,
		    "the next call carries no Authorization");
		rec_free(&r);

		t.auth = CONN_AUTH_APIKEY;
		t.auth_json = apikey;
		rc = conn_revoke(&t, cert, "superseded", &res);
		ok(rc == 0 && res.status == CONN_OK, "apiKey: CONN_OK");
		rec_next(&s, &r);
		is_str(rec_header(&r, "X-API-KEY", hb, sizeof(hb)), "k-123 456",
		    "apiKey: the custom header");
		rec_free(&r);
		t.auth = CONN_AUTH_NONE;
		t.auth_json = NULL;
		rc = conn_revoke(&t, cert, "superseded", &res);
		ok(rc == 0 && res.status == CONN_OK, "no auth after apiKey");
		rec_next(&s, &r);
		ok(rec_header(&r, "X-API-KEY", hb, sizeof(hb)) == NULL,
		    "the next call carries no API key header");
		t.insecure = 0;
		is_int(r.conn, 1, "keep-alive: four calls, one TCP connection");
		rec_free(&r);
		srv_stop(&s);
		free(basic);
		free(apikey);
	}

	/* local errors: -1, nothing sent */
	{
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
		set_url(url, sizeof(url), "http", s.port, "");
		for (i = 0; i < NITEMS(bad); i++) {
			memset(&bt, 0, sizeof(bt));
			bt.url = bad[i].url != NULL ? bad[i].url : url;
			bt.authority_uuid = bad[i].uuid;
			bt.attributes_json = bad[i].attrs;
			bt.ra_attributes_json = bad[i].ra;
			bt.auth = bad[i].auth;
			bt.auth_json = bad[i].auth_json;
			rc = conn_issue(&bt, req_der, sizeof(req_der),
			    bad[i].format, &res);
			ok(rc == -1 && res.status != CONN_OK &&
			    res.message[0] != '\0', "%s: -1 (%s)", bad[i].what,
			    res.message);
			conn_result_free(&res);
		}
		memset(&bt, 0, sizeof(bt));
		bt.url = url;
		bt.authority_uuid = AUTHORITY;
		ok(conn_revoke(&bt, cert, "keycompromise", &res) == -1,
		    "revoke: unknown reason: -1");
		conn_result_free(&res);
		ok(conn_renew(&bt, req_der, sizeof(req_der), "crmf", NULL,
		    &res) == -1, "renew without the old certificate: -1");
		conn_result_free(&res);
		/* The one canned answer goes to the first request sent. */
		rc = conn_revoke(&bt, cert, "unspecified", &res);
		ok(rc == 0 && res.status == CONN_OK,
		    "after the local errors, a good call");
		ok(rec_next(&s, &r) == 0 && strstr(r.body, "unspecified") !=
		    NULL, "and it is the first request the connector saw");
		rec_free(&r);
		ok(rec_next(&s, &r) != 0, "nothing else was sent");
		rec_free(&r);
		conn_result_free(&res);
		srv_stop(&s);
	}

	/* https: server verified with connector_ca_file, client certificate */
	{
		struct canned sc[] = {
			{ 200, issue_body, 0, 0, 0 }, { 200, NULL, 0, 0, 0 },
		};

		snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", srv_dir());
		f = fopen(ca_path, "w");
		PEM_write_X509(f, scert);
		fclose(f);
		tls = SSL_CTX_new(TLS_server_method());
		SSL_CTX_use_certificate(tls, scert);
		SSL_CTX_use_PrivateKey(tls, skey);
		SSL_CTX_set_verify(tls, SSL_VERIFY_PEER |
		    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
		cert_pem = pem_string(ccert, NULL);
		key_pem = pem_string(NULL, ckey);
		certauth = json_text("certificate", cert_pem, "privateKey",
		    key_pem);

		srv_start(&s, sc, 2, tls);
		set_url(url, sizeof(url), "https", s.port, "/ca");
		t.auth = CONN_AUTH_CERTIFICATE;
		t.auth_json = certauth;
		conf.connector_ca_file = ca_path;
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_OK && res.certificate != NULL,
		    "https with a client certificate: CONN_OK (%s)",
		    res.message);
		conn_result_free(&res);
		ok(rec_next(&s, &r) == 0, "https: request recorded");
		is_str(r.peer, "/CN=cmpd client",
		    "https: the connector saw the client certificate");
		rec_free(&r);

		conf.connector_ca_file = NULL;
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_UNAVAILABLE,
		    "https, server not trusted: CONN_UNAVAILABLE (%s)",
		    res.message);
		conn_result_free(&res);
		ok(rec_next(&s, &r) != 0, "and no request reached it");
		rec_free(&r);
		srv_stop(&s);
		SSL_CTX_free(tls);
		unlink(ca_path);
		free(cert_pem);
		free(key_pem);
		free(certauth);
		t.auth = CONN_AUTH_NONE;
		t.auth_json = NULL;
	}

	/* Nothing of the https call may make a plain one fail. */
	{
		struct canned sc[] = { { 200, cas_body, 0, 0, 0 } };

		srv_start(&s, sc, 1, NULL);
		set_url(url, sizeof(url), "http", s.port, "");
		rc = conn_ca_certificates(&t, &res);
		ok(rc == 0 && res.status == CONN_OK,
		    "plain http after https: CONN_OK");
		conn_result_free(&res);
		ok(rec_next(&s, &r) == 0 && strcmp(r.peer, "-") == 0,
		    "plain http: recorded");
		rec_free(&r);
		srv_stop(&s);
	}

	/* delayed delivery: 202 pending, lookup pending, a shorter budget */
	{
		static const char rid[] =
		    "7a7e8d9c-1b2a-4c3d-8e4f-a0b1c2d3e4f6";
		char pend[256], pendlook[256], otherid[256];
		struct canned sc[] = {
			{ 202, NULL, 0, 0, 0 },
			{ 202, pend, 0, 0, 0 },
			{ 202, otherid, 0, 0, 0 },
			{ 202, "[]", 0, 0, 0 },
			{ 200, pendlook, 0, 0, 0 },
			{ 200, issue_body, 0, 2500, 0 },
		};

		snprintf(pend, sizeof(pend), "{\"requestId\":\"%s\","
		    "\"status\":\"pending\"}", rid);
		snprintf(otherid, sizeof(otherid), "{\"requestId\":\"%s\","
		    "\"status\":\"pending\"}", AUTHORITY);
		snprintf(pendlook, sizeof(pendlook), "{\"requestId\":\"%s\","
		    "\"found\":false,\"pending\":true}", rid);
		memset(&t, 0, sizeof(t));
		srv_start(&s, sc, NITEMS(sc), NULL);
		set_url(url, sizeof(url), "http", s.port, "");
		t.url = url;
		t.auth = CONN_AUTH_NONE;
		t.authority_uuid = AUTHORITY;
		t.request_id = rid;
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_PENDING &&
		    res.certificate == NULL, "202 without a body: pending");
		conn_result_free(&res);
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_PENDING,
		    "202 {requestId, status pending}: pending");
		conn_result_free(&res);
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_FAILED,
		    "202 naming another requestId: a failure");
		conn_result_free(&res);
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_FAILED,
		    "202 with a body that is not an object: a failure");
		conn_result_free(&res);
		rc = conn_lookup(&t, rid, &res);
		ok(rc == 0 && res.status == CONN_PENDING &&
		    res.certificate == NULL,
		    "lookup {found: false, pending: true}: pending");
		conn_result_free(&res);
		t.timeout_ms = 1000;
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_UNAVAILABLE && res.timed_out &&
		    !res.not_sent, "a call's own budget, shorter than "
		    "connector_timeout: timed out after sending");
		conn_result_free(&res);
		srv_stop(&s);
	}

	/* reconciliation: requestId, lookup, idempotent revoke, not_sent */
	{
		static const char rid[] =
		    "6f7e8d9c-1b2a-4c3d-8e4f-a0b1c2d3e4f5";
		char found[8192], notfound[256], other[256];
		char *cb = cert_b64(cert, 0);
		struct canned sc[] = {
			{ 200, issue_body, 0, 0, 0 },
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
			{ 200, issue_body, 0, 3000, 0 },
		};

		snprintf(found, sizeof(found), "{\"requestId\":\"%s\","
		    "\"found\":true,\"certificateData\":\"%s\","
		    "\"uuid\":\"u-1\",\"meta\":[]}", rid, cb);
		snprintf(notfound, sizeof(notfound), "{\"requestId\":\"%s\","
		    "\"found\":false}", rid);
		snprintf(other, sizeof(other), "{\"requestId\":\"%s\","
		    "\"found\":false}", AUTHORITY);
		free(cb);
		memset(&t, 0, sizeof(t));
		srv_start(&s, sc, NITEMS(sc), NULL);
		set_url(url, sizeof(url), "http", s.port, "");
		t.url = url;
		t.auth = CONN_AUTH_NONE;
		t.authority_uuid = AUTHORITY;
		t.ra_attributes_json = "[{\"name\":\"ra\"}]";
		t.request_id = rid;
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_OK, "issue with a request id");
		conn_result_free(&res);
		ok(rec_next(&s, &r) == 0, "issue recorded");
		is_str(rec_str(&r, "requestId"), rid, "issue: requestId sent");
		rec_free(&r);
		t.request_id = NULL;

		rc = conn_lookup(&t, rid, &res);
		ok(rc == 0 && res.status == CONN_OK && res.certificate != NULL &&
		    X509_cmp(res.certificate, cert) == 0,
		    "lookup: found, the certificate");
		is_str(res.uuid, "u-1", "lookup: its uuid");
		conn_result_free(&res);
		ok(rec_next(&s, &r) == 0 && strcmp(r.line, "POST /v2/"
		    "authorityProvider/authorities/" AUTHORITY
		    "/certificates/lookup HTTP/1.1") == 0, "lookup: path");
		is_str(rec_str(&r, "requestId"), rid, "lookup: requestId");
		ok(json_object_is_type(rec_member(&r, "raProfileAttributes"),
		    json_type_array) && rec_member(&r, "attributes") == NULL,
		    "lookup: raProfileAttributes only");
		rec_free(&r);
		rc = conn_lookup(&t, rid, &res);
		ok(rc == 0 && res.status == CONN_OK && res.certificate == NULL,
		    "lookup: found false is CONN_OK without a certificate");
		conn_result_free(&res);
		rc = conn_lookup(&t, rid, &res);
		ok(rc == 0 && res.status == CONN_FAILED,
		    "lookup: an answer for another requestId is a failure");
		conn_result_free(&res);
		rc = conn_lookup(&t, rid, &res);
		ok(rc == 0 && res.status == CONN_FAILED,
		    "lookup: a 200 that names no request is a failure");
		conn_result_free(&res);
		rc = conn_lookup(&t, rid, &res);
		ok(rc == 0 && res.status == CONN_NOT_FOUND,
		    "lookup: 404 means no lookup there");
		conn_result_free(&res);
		rc = conn_lookup(&t, rid, &res);
		ok(rc == 0 && res.status == CONN_NOT_FOUND &&
		    res.http_status == 501, "lookup: 501 too");
		conn_result_free(&res);
		rc = conn_lookup(&t, rid, &res);
		ok(rc == 0 && res.status == CONN_UNAVAILABLE,
		    "lookup: 500 is a failure, asked again later");
		conn_result_free(&res);
		rc = conn_lookup(&t, "not a/uuid", &res);
		ok(rc == -1 && res.status == CONN_FAILED,
		    "lookup: a bad request id is refused locally");
		conn_result_free(&res);

		rc = conn_revoke(&t, cert, "cessationOfOperation", &res);
		ok(rc == 0 && res.status == CONN_OK && res.already_revoked,
		    "revoke: 409 is already revoked, CONN_OK");
		conn_result_free(&res);
		rc = conn_revoke(&t, cert, "cessationOfOperation", &res);
		ok(rc == 0 && res.status == CONN_OK && res.already_revoked,
		    "revoke: a 422 saying already revoked, too");
		conn_result_free(&res);
		rc = conn_revoke(&t, cert, "cessationOfOperation", &res);
		ok(rc == 0 && res.status == CONN_REJECTED &&
		    !res.already_revoked, "revoke: another 422 is rejected");
		conn_result_free(&res);

		conf.connector_timeout = 1;
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_UNAVAILABLE && !res.not_sent,
		    "a timeout: the request was sent, the CA may have issued");
		conn_result_free(&res);
		conf.connector_timeout = 10;
		srv_stop(&s);
		set_url(url, sizeof(url), "http", closed_port(), "");
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == 0 && res.status == CONN_UNAVAILABLE && res.not_sent,
		    "connection refused: not sent, nothing issued");
		conn_result_free(&res);
		t.authority_uuid = "not/a/uuid";
		rc = conn_issue(&t, req_der, sizeof(req_der), "crmf", &res);
		ok(rc == -1 && res.status == CONN_FAILED && res.not_sent,
		    "refused locally: not sent either");
		conn_result_free(&res);
		t.authority_uuid = AUTHORITY;
	}

	conn_done();
	curl_global_cleanup();
	X509_free(cert);
	X509_free(ca1);
	X509_free(ca2);
	X509_free(scert);
	X509_free(ccert);
	EVP_PKEY_free(key);
	EVP_PKEY_free(skey);
	EVP_PKEY_free(ckey);
	free(issue_body);
	free(cas_body);
	conf_free(&conf);
	srv_done();
	return done_testing();
}
