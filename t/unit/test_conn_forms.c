/*
 * Answers as connectors other than cmp-localca give them, against the
 * scripted connector (conn_srv.c): the issued certificate as a PKCS#7
 * with its chain (EJBCA's PKCS7WITHCHAIN, passed on by the EJBCA NG
 * connector) or as PEM; a 400 for a failure of the CA, which does not
 * say that the CA did nothing; "already revoked" in a 400; a CRL of
 * null; the meta of an issued certificate, sent back with its renewal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "conn.h"
#include "conn_fx.h"
#include "conn_srv.h"
#include "tap.h"

static struct {
	struct conf conf;
	struct conn_target t;
	struct conn_result res;
	char	 url[256];
	EVP_PKEY *key;
	X509	*root, *ca, *leaf, *other;
} fx;

/* DER of a degenerate PKCS#7 SignedData holding certs (no signers). */
static unsigned char *
p7_der(X509 *const *certs, size_t n, int *len)
{
	unsigned char *der = NULL;
	PKCS7 *p7;
	size_t i;

	*len = -1;
	if ((p7 = PKCS7_new()) == NULL || !PKCS7_set_type(p7,
	    NID_pkcs7_signed) || !PKCS7_content_new(p7, NID_pkcs7_data))
		goto out;
	for (i = 0; i < n; i++)
		if (!PKCS7_add_certificate(p7, certs[i]))
			goto out;
	*len = i2d_PKCS7(p7, &der);
 out:
	PKCS7_free(p7);
	return der;
}

/* base64 of der, no line breaks (the caller frees it) */
static char *
b64(const unsigned char *der, int len)
{
	char *s = malloc(4 * ((size_t)len + 2) / 3 + 1);

	EVP_EncodeBlock((unsigned char *)s, der, len);
	return s;
}

/* {"certificateData": data, "uuid": ...} (the caller frees it) */
static char *
issue_body(const char *data)
{
	json_object *o = json_object_new_object();
	char *s;

	json_object_object_add(o, "certificateData",
	    json_object_new_string(data));
	json_object_object_add(o, "uuid",
	    json_object_new_string(FX_ISSUED_UUID));
	s = strdup(json_object_to_json_string(o));
	json_object_put(o);
	return s;
}

/* PEM text of certs after a line of text (the caller frees it) */
static char *
pem_of(X509 *const *certs, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *s;
	long len;
	size_t i;

	BIO_puts(b, "issued by the test CA\n");
	for (i = 0; i < n; i++)
		PEM_write_bio_X509(b, certs[i]);
	len = BIO_get_mem_data(b, &p);
	s = strndup(p, (size_t)len);
	BIO_free(b);
	return s;
}

static int
same_cert(const X509 *a, const X509 *b)
{
	return a != NULL && b != NULL && X509_cmp(a, b) == 0;
}

/* The scripted connector started with answers sc, fx.t aimed at it. */
static void
fx_target(struct srv *s, struct canned *sc, size_t n)
{
	fx_aim(&fx.t, fx.url, sizeof(fx.url), s, sc, n);
}

/* issue answers that carry the certificate with its chain */
static void
case_forms(void)
{
	X509 *chain[] = { fx.root, fx.leaf, fx.ca };	/* any order */
	X509 *two[] = { fx.leaf, fx.other, fx.ca };
	X509 *twice[] = { fx.leaf, fx.ca, fx.leaf, fx.root };
	X509 *noca[] = { fx.root, fx.leaf };
	X509 *many[17];
	unsigned char *der;
	char *p7chain, *p7two, *p7many, *pem, *pem1, *pemp7, *key, *lookup;
	char *p7twice, *p7noca, *p716, *pem17;
	char *s, *p;
	struct srv s_;
	BIO *b;
	long blen;
	size_t i;
	int len, rc;
	static const char rid[] = "6f7e8d9c-1b2a-4c3d-8e4f-a0b1c2d3e4f5";

	der = p7_der(chain, 3, &len);
	s = b64(der, len);
	p7chain = issue_body(s);
	free(s);
	/* a PEM PKCS7 block of the same */
	b = BIO_new(BIO_s_mem());
	{
		const unsigned char *q = der;
		PKCS7 *p7 = d2i_PKCS7(NULL, &q, len);

		PEM_write_bio_PKCS7(b, p7);
		PKCS7_free(p7);
	}
	blen = BIO_get_mem_data(b, &p);
	s = strndup(p, (size_t)blen);
	pemp7 = issue_body(s);
	free(s);
	BIO_free(b);
	OPENSSL_free(der);
	der = p7_der(two, 3, &len);
	s = b64(der, len);
	p7two = issue_body(s);
	free(s);
	OPENSSL_free(der);
	der = p7_der(twice, NITEMS(twice), &len);
	s = b64(der, len);
	p7twice = issue_body(s);
	free(s);
	OPENSSL_free(der);
	der = p7_der(noca, NITEMS(noca), &len);
	s = b64(der, len);
	p7noca = issue_body(s);
	free(s);
	OPENSSL_free(der);
	for (i = 0; i < NITEMS(many); i++)
		many[i] = fx.ca;
	der = p7_der(many, NITEMS(many) - 1, &len);
	s = b64(der, len);
	p716 = issue_body(s);
	free(s);
	OPENSSL_free(der);
	der = p7_der(many, NITEMS(many), &len);
	s = b64(der, len);
	p7many = issue_body(s);
	free(s);
	OPENSSL_free(der);
	s = pem_of(chain, 3);
	pem = issue_body(s);
	free(s);
	s = pem_of(&fx.leaf, 1);
	pem1 = issue_body(s);
	free(s);
	for (i = 0; i < NITEMS(many); i++)
		many[i] = fx.ca;
	s = pem_of(many, NITEMS(many));
	pem17 = issue_body(s);
	free(s);
	b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, fx.key, NULL, NULL, 0, NULL, NULL);
	blen = BIO_get_mem_data(b, &p);
	s = strndup(p, (size_t)blen);
	key = issue_body(s);
	free(s);
	BIO_free(b);
	/* a lookup that found the certificate, as PKCS#7 */
	{
		json_object *o = json_tokener_parse(p7chain);

		json_object_object_add(o, "requestId",
		    json_object_new_string(rid));
		json_object_object_add(o, "found",
		    json_object_new_boolean(1));
		lookup = strdup(json_object_to_json_string(o));
		json_object_put(o);
	}

	{
		struct canned sc[] = {
			{ 200, p7chain, 0, 0, 0 },
			{ 200, pemp7, 0, 0, 0 },
			{ 200, pem, 0, 0, 0 },
			{ 200, pem1, 0, 0, 0 },
			{ 200, lookup, 0, 0, 0 },
			{ 200, p7two, 0, 0, 0 },
			{ 200, p7many, 0, 0, 0 },
			{ 200, p7twice, 0, 0, 0 },
			{ 200, p7noca, 0, 0, 0 },
			{ 200, p716, 0, 0, 0 },
			{ 200, key, 0, 0, 0 },
			{ 200, pem17, 0, 0, 0 },
		};

		fx_target(&s_, sc, NITEMS(sc));
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK &&
		    same_cert(fx.res.certificate, fx.leaf),
		    "issue: base64 PKCS#7 with the chain, in any order: the "
		    "certificate that issued none of the others");
		ok(fx.res.certificate != NULL &&
		    X509_get0_pubkey(fx.res.certificate) == NULL,
		    "issue: taken without its key, as one sent alone");
		is_str(fx.res.uuid, FX_ISSUED_UUID, "issue: its uuid");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK &&
		    same_cert(fx.res.certificate, fx.leaf),
		    "issue: a PEM PKCS7 block: the same (%s)", fx.res.message);
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK &&
		    same_cert(fx.res.certificate, fx.leaf),
		    "issue: PEM certificates after a line of text: the same "
		    "(%s)", fx.res.message);
		conn_result_free(&fx.res);
		rc = conn_renew(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    fx.leaf, &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK &&
		    same_cert(fx.res.certificate, fx.leaf),
		    "renew: one PEM certificate");
		conn_result_free(&fx.res);
		rc = conn_lookup(&fx.t, rid, 1, &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK &&
		    same_cert(fx.res.certificate, fx.leaf),
		    "lookup: found, as PKCS#7: the certificate");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_FAILED &&
		    fx.res.certificate == NULL, "issue: PKCS#7 with two "
		    "certificates that issued nothing: not read");
		is_str(fx.res.message, "issue: certificateData holds 3 "
		    "certificates, none or more than one of them issued none "
		    "of the others", "issue: which says so");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_FAILED,
		    "issue: PKCS#7 of 17 certificates: not read");
		is_str(fx.res.message, "issue: certificateData holds more "
		    "than 16 certificates", "issue: which says so");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK &&
		    same_cert(fx.res.certificate, fx.leaf),
		    "issue: PKCS#7 with the certificate twice: it counts once");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK &&
		    same_cert(fx.res.certificate, fx.leaf),
		    "issue: PKCS#7 of it and the root, not the CA between: a "
		    "self-issued root is no issued certificate");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK &&
		    same_cert(fx.res.certificate, fx.ca),
		    "issue: PKCS#7 of 16 certificates: read");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_FAILED,
		    "issue: PEM of a private key: not read");
		is_str(fx.res.message, "issue: certificateData is PEM but not "
		    "of certificates", "issue: which says so");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_FAILED,
		    "issue: PEM of 17 certificates: not read");
		is_str(fx.res.message, "issue: certificateData holds more "
		    "than 16 certificates", "issue: which says so");
		conn_result_free(&fx.res);
		srv_stop(&s_);
	}
	free(p7chain);
	free(pemp7);
	free(p7two);
	free(p7many);
	free(p7twice);
	free(p7noca);
	free(p716);
	free(pem17);
	free(pem);
	free(pem1);
	free(key);
	free(lookup);
}

/* which failed calls the CA cannot have acted on */
static void
case_refused(void)
{
	struct srv s;
	int rc;
	struct canned sc[] = {
		{ 422, "[\"subject not allowed\"]", 0, 0, 0 },
		{ 400, "{\"message\":\"java.lang.IllegalStateException: "
		    "WebServiceException: timed out\"}", 0, 0, 0 },
		{ 404, "{\"message\":\"authority not found\"}", 0, 0, 0 },
		{ 403, "{\"message\":\"denied\"}", 0, 0, 0 },
		{ 500, "{\"message\":\"boom\"}", 0, 0, 0 },
		/* revoke */
		{ 400, "{\"message\":\"java.lang.IllegalStateException: org."
		    "ejbca.core.protocol.ws.client.gen.AlreadyRevokedException"
		    "_Exception: Certificate is revoked\"}", 0, 0, 0 },
		{ 400, "{\"message\":\"java.lang.IllegalStateException: "
		    "timed out\"}", 0, 0, 0 },
		{ 200, "{\"crlData\":null}", 0, 0, 0 },
	};
	static const struct {
		long http;
		int refused;
		const char *what;
	} want[] = {
		{ 422, 1, "422: the CA refused" },
		{ 400, 0, "400: the CA may have issued" },
		{ 404, 1, "404: refused" },
		{ 403, 1, "403: refused" },
		{ 500, 0, "500: the CA may have issued" },
	};
	X509_CRL *crl = NULL;
	size_t i;

	fx_target(&s, sc, NITEMS(sc));
	for (i = 0; i < NITEMS(want); i++) {
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.http_status == want[i].http &&
		    conn_refused(&fx.res) == want[i].refused, "issue %s",
		    want[i].what);
		conn_result_free(&fx.res);
	}
	rc = conn_revoke(&fx.t, fx.leaf, "keyCompromise", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_OK && fx.res.already_revoked,
	    "revoke: a 400 naming AlreadyRevokedException is already revoked");
	conn_result_free(&fx.res);
	rc = conn_revoke(&fx.t, fx.leaf, "keyCompromise", &fx.res);
	ok(rc == 0 && fx.res.status == CONN_REJECTED &&
	    !fx.res.already_revoked && !conn_refused(&fx.res),
	    "revoke: another 400: the CA may have revoked");
	conn_result_free(&fx.res);
	rc = conn_crl(&fx.t, &crl, &fx.res);
	ok(rc == 0 && crl == NULL && fx.res.status == CONN_NOT_FOUND,
	    "crl: crlData null is no CRL, not a failure");
	conn_result_free(&fx.res);
	srv_stop(&s);
	fx_set_url(fx.url, sizeof(fx.url), "http", fx_closed_port(), "");
	rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
	    &fx.res);
	ok(rc == 0 && fx.res.not_sent && conn_refused(&fx.res),
	    "connection refused: nothing sent, refused");
	conn_result_free(&fx.res);
}

/* meta: kept from issue and lookup answers, sent back with renew */
static void
case_meta(void)
{
	static const char meta[] = "[{\"name\":\"ejbcaUsername\","
	    "\"content\":[{\"data\":\"device-1\"}]}]";
	static const char rid[] = "6f7e8d9c-1b2a-4c3d-8e4f-a0b1c2d3e4f5";
	char *b64, with[4096], obj[4096], empty[4096], lookup[4096], *big;
	struct srv s;
	struct rec r;
	json_object *m;
	size_t i;
	int rc;

	b64 = fx_cert_b64(fx.leaf, 0);
	snprintf(with, sizeof(with), "{\"certificateData\":\"%s\","
	    "\"meta\":%s}", b64, meta);
	snprintf(obj, sizeof(obj), "{\"certificateData\":\"%s\","
	    "\"meta\":{\"a\":1}}", b64);
	snprintf(empty, sizeof(empty), "{\"certificateData\":\"%s\","
	    "\"meta\":[]}", b64);
	snprintf(lookup, sizeof(lookup), "{\"requestId\":\"%s\","
	    "\"found\":true,\"certificateData\":\"%s\",\"meta\":%s}", rid,
	    b64, meta);
	/* one attribute with 9000 characters of data: over CMPD_META_MAX */
	big = malloc(strlen(b64) + 9100);
	i = (size_t)sprintf(big, "{\"certificateData\":\"%s\",\"meta\":"
	    "[{\"name\":\"x\",\"content\":[{\"data\":\"", b64);
	memset(big + i, 'a', 9000);
	strcpy(big + i + 9000, "\"}]}]}");
	{
		struct canned sc[] = {
			{ 200, with, 0, 0, 0 },
			{ 200, obj, 0, 0, 0 },
			{ 200, empty, 0, 0, 0 },
			{ 200, big, 0, 0, 0 },
			{ 200, lookup, 0, 0, 0 },
			{ 200, with, 0, 0, 0 },
			{ 200, with, 0, 0, 0 },
		};

		fx_target(&s, sc, NITEMS(sc));
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK && fx.res.meta != NULL &&
		    strcmp(fx.res.meta, meta) == 0, "issue: meta kept");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK && fx.res.meta == NULL,
		    "issue: meta not an array: left out, the certificate taken");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK && fx.res.meta == NULL,
		    "issue: meta []: none");
		conn_result_free(&fx.res);
		rc = conn_issue(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK && fx.res.meta == NULL,
		    "issue: meta over 8192 characters: left out");
		conn_result_free(&fx.res);
		rc = conn_lookup(&fx.t, rid, 1, &fx.res);
		ok(rc == 0 && fx.res.status == CONN_OK && fx.res.meta != NULL &&
		    strcmp(fx.res.meta, meta) == 0, "lookup: meta kept");
		conn_result_free(&fx.res);
		for (i = 0; i < 5; i++)	/* the requests so far */
			if (rec_next(&s, &r) == 0)
				rec_free(&r);
		fx.t.meta = meta;
		rc = conn_renew(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    fx.leaf, &fx.res);
		conn_result_free(&fx.res);
		m = rc == 0 && rec_next(&s, &r) == 0 ? rec_member(&r, "meta") :
		    NULL;
		ok(m != NULL && strcmp(json_object_to_json_string_ext(m,
		    JSON_C_TO_STRING_PLAIN), meta) == 0,
		    "renew: the old certificate's meta sent back");
		if (m != NULL)
			rec_free(&r);
		fx.t.meta = "not JSON";
		rc = conn_renew(&fx.t, fx_req_der, sizeof(fx_req_der), "crmf",
		    fx.leaf, &fx.res);
		conn_result_free(&fx.res);
		m = rc == 0 && rec_next(&s, &r) == 0 ? rec_member(&r, "meta") :
		    NULL;
		ok(json_object_is_type(m, json_type_array) &&
		    json_object_array_length(m) == 0,
		    "renew: a stored meta that is not an array: []");
		if (m != NULL)
			rec_free(&r);
		fx.t.meta = NULL;
		srv_stop(&s);
	}
	free(big);
	free(b64);
}

int
main(void)
{
	EVP_PKEY *rkey, *ckey;

	if (fx_setup(&fx.conf) != 0) {
		printf("Bail out! setup\n");
		return 1;
	}
	fx.key = fx_make_key();
	rkey = fx_make_key();
	ckey = fx_make_key();
	fx.root = fx_issue_cert(rkey, "Test Root", 1, 0, NULL, rkey);
	fx.ca = fx_issue_cert(ckey, "Test Issuing CA", 2, 0, fx.root, rkey);
	fx.leaf = fx_issue_cert(fx.key, "device 1", 3, 0, fx.ca, ckey);
	fx.other = fx_issue_cert(fx.key, "device 2", 4, 0, fx.ca, ckey);
	if (fx.root == NULL || fx.ca == NULL || fx.leaf == NULL ||
	    fx.other == NULL) {
		printf("Bail out! certificates\n");
		return 1;
	}
	is_int(conn_init(&fx.conf), 0, "conn_init");

	case_forms();
	case_refused();
	case_meta();

	conn_done();
	curl_global_cleanup();
	X509_free(fx.root);
	X509_free(fx.ca);
	X509_free(fx.leaf);
	X509_free(fx.other);
	EVP_PKEY_free(fx.key);
	EVP_PKEY_free(rkey);
	EVP_PKEY_free(ckey);
	conf_free(&fx.conf);
	srv_done();
	return done_testing();
}
