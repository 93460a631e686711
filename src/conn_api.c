/*
 * The connector API's calls (issue, renew, revoke, caCertificates, lookup,
 * crl, rootCaKeyUpdate), each counted in /metrics: the JSON request
 * bodies, certificates out as base64 DER (in: conn_cert.c), and what the
 * connector's answers are taken to mean. One HTTP exchange each, through
 * conn_call() (conn.c).
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "conn.h"
#include "conn_int.h"
#include "jsoncheck.h"
#include "keyless.h"

/* The API's revocation reasons, and removeFromCRL: cmpd's extension
 * that asks the CA to take a certificate off hold (doc/api.md). */
static const char *const conn_reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold",
	"privilegeWithdrawn", "aACompromise", "removeFromCRL",
};

/* The caller's attributes: a JSON array, [] when NULL. */
static int
conn_attributes(const char *text, json_object **out)
{
	json_object *o = NULL;

	*out = NULL;
	if (text == NULL) {
		*out = json_object_new_array();
		return *out != NULL ? 0 : -1;
	}
	if (jsoncheck_parse(text, strlen(text), CONN_JSON_DEPTH, &o) !=
	    PARSE_OK || !json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}

/* Adds val under key; val is consumed even on failure. */
static int
conn_add(json_object *obj, const char *key, json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

static json_object *
conn_b64_string(const unsigned char *der, size_t len)
{
	json_object *o = NULL;
	unsigned char *b64 = NULL;
	size_t n;
	int w;

	/* json-c and EVP_EncodeBlock count in int. */
	if (len == 0 || len > (size_t)INT_MAX / 4 * 3 - 3)
		return NULL;
	n = 4 * ((len + 2) / 3) + 1;
	if ((b64 = malloc(n)) == NULL)
		return NULL;
	w = EVP_EncodeBlock(b64, der, (int)len);
	if (w > 0)
		o = json_object_new_string_len((const char *)b64, w);
	free(b64);
	return o;
}

static json_object *
conn_cert_string(X509 *cert)
{
	unsigned char *der = NULL;
	json_object *o;
	int n;

	if (cert == NULL || (n = i2d_X509(cert, &der)) <= 0)
		return NULL;
	o = conn_b64_string(der, (size_t)n);
	OPENSSL_free(der);
	return o;
}

static int
conn_format_valid(const char *f)
{
	return f != NULL &&
	    (strcmp(f, "crmf") == 0 || strcmp(f, "pkcs10") == 0);
}

/* The members every call sends: the caller's attributes. */
static int
conn_body_attributes(json_object *body, const struct conn_target *t,
    int with_attributes, struct conn_result *res)
{
	json_object *a;

	if (with_attributes) {
		if (conn_attributes(t->attributes_json, &a) != 0) {
			conn_msg(res, "attributes are not a JSON array");
			return -1;
		}
		if (conn_add(body, "attributes", a) != 0)
			return -1;
	}
	if (conn_attributes(t->ra_attributes_json, &a) != 0) {
		conn_msg(res, "raProfileAttributes are not a JSON array");
		return -1;
	}
	return conn_add(body, "raProfileAttributes", a);
}

/*
 * The connector's name for the certificate, kept for later calls: optional,
 * but when present a short printable string.
 */
static int
conn_reply_uuid(json_object *obj, char *out, size_t outlen)
{
	json_object *v;
	const char *s;
	size_t len, i;

	out[0] = '\0';
	if (!json_object_object_get_ex(obj, "uuid", &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -1;
	s = json_object_get_string(v);
	if ((len = (size_t)json_object_get_string_len(v)) >= outlen)
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/*
 * A 202 to issue or renew: pending. Its body, when there is one, is
 * {"requestId", "status": "pending"}; a requestId other than the one sent
 * means the connector speaks of another request.
 */
static int
conn_pending_reply(const char *op, const char *request_id,
    const struct conn_buf *reply, struct conn_result *res)
{
	json_object *obj = NULL, *v;
	int rc;

	res->status = CONN_FAILED;
	if (reply->len == 0) {
		res->status = CONN_PENDING;
		return 0;
	}
	if ((rc = jsoncheck_parse(reply->data, reply->len, CONN_JSON_DEPTH,
	    &obj)) == PARSE_ERR)
		return -1;
	if (rc != PARSE_OK || !json_object_is_type(obj, json_type_object))
		conn_msg(res, "%s 202 reply is not a JSON object", op);
	else if (json_object_object_get_ex(obj, "requestId", &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), request_id) != 0))
		conn_msg(res, "%s 202 reply names another requestId", op);
	else
		res->status = CONN_PENDING;
	json_object_put(obj);
	return 0;
}

/*
 * The answer's "meta" into res->meta (JSON text), when it is a non-empty
 * array within CMPD_META_MAX: what CZERTAINLY Core keeps of a certificate
 * and sends back with its renewal (the EJBCA NG connector finds its end
 * entity by it). Anything else is left out. 0, or -1 out of memory.
 */
static int
conn_reply_meta(json_object *obj, struct conn_result *res)
{
	const char *s;
	json_object *v;
	size_t n;

	if (!json_object_object_get_ex(obj, "meta", &v) ||
	    !json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) == 0)
		return 0;
	if ((s = json_object_to_json_string_length(v, JSON_C_TO_STRING_PLAIN,
	    &n)) == NULL)
		return -1;
	if (n > CMPD_META_MAX)
		return 0;
	return (res->meta = strdup(s)) != NULL ? 0 : -1;
}

/*
 * The body of a 2xx answer to issue or renew: the new certificate, its
 * uuid and meta. 0 with res classified, -1 out of memory.
 */
static int
conn_enroll_reply(const char *op, const char *request_id,
    const struct conn_buf *reply, struct conn_result *res)
{
	json_object *obj = NULL;
	char why[160];
	int rc, r = -1;

	res->status = CONN_FAILED;
	if (res->http_status == 202) {
		/* Delayed delivery (doc/api.md): the CA works on it; the
		 * certificate is asked for later by the requestId cmpd sent.
		 * Without one it could never be found. */
		if (request_id == NULL) {
			conn_msg(res, "connector answered 202 to a %s without "
			    "requestId", op);
			r = 0;
			goto out;
		}
		r = conn_pending_reply(op, request_id, reply, res);
		goto out;
	}
	if ((rc = jsoncheck_parse_why(reply->data != NULL ? reply->data : "",
	    reply->len, CONN_JSON_DEPTH, &obj, why, sizeof(why))) ==
	    PARSE_ERR)
		goto out;
	r = 0;
	if (rc != PARSE_OK) {
		conn_msg(res, "%s reply %s", op, why);
		goto out;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		conn_msg(res, "%s reply is not a JSON object", op);
		goto out;
	}
	if ((rc = conn_cert_data(obj, op, 1, &res->certificate, res)) ==
	    PARSE_ERR) {
		r = -1;
		goto out;
	}
	if (rc != PARSE_OK)
		goto out;
	if (conn_reply_uuid(obj, res->uuid, sizeof(res->uuid)) != 0) {
		X509_free(res->certificate);
		res->certificate = NULL;
		conn_msg(res, "%s reply: bad uuid", op);
		goto out;
	}
	if (conn_reply_meta(obj, res) != 0) {
		r = -1;
		goto out;
	}
	res->status = CONN_OK;
 out:
	json_object_put(obj);
	return r;
}

/* renew's "meta": what the connector gave with the old certificate, or
 * [] (also for a stored text that is not a JSON array). */
static int
conn_body_meta(json_object *body, const char *meta)
{
	json_object *o = NULL;

	if (meta == NULL || jsoncheck_parse(meta, strlen(meta),
	    CONN_JSON_DEPTH, &o) != PARSE_OK ||
	    !json_object_is_type(o, json_type_array)) {
		json_object_put(o);
		o = json_object_new_array();
	}
	return conn_add(body, "meta", o);
}

/* issue and renew: POST, then the new certificate, its uuid and meta. */
static int
conn_enroll(const struct conn_target *t, const char *op,
    const unsigned char *req_der, size_t req_len, const char *format,
    X509 *old_cert, struct conn_result *res)
{
	struct conn_buf reply;
	json_object *body = NULL;
	char suffix[32];
	int rc, r = -1;

	memset(&reply, 0, sizeof(reply));
	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (t == NULL || req_der == NULL || req_len == 0 ||
	    !conn_format_valid(format)) {
		conn_msg(res, "bad arguments");
		goto out;
	}
	if ((body = json_object_new_object()) == NULL ||
	    conn_add(body, "request", conn_b64_string(req_der, req_len)) != 0 ||
	    conn_add(body, "format", json_object_new_string(format)) != 0)
		goto out;
	/* The v2 renew request (CertificateRenewRequestDto) has no
	 * "attributes". */
	if (conn_body_attributes(body, t, old_cert == NULL, res) != 0)
		goto out;
	if (old_cert != NULL &&
	    (conn_add(body, "certificate", conn_cert_string(old_cert)) != 0 ||
	    conn_body_meta(body, t->meta) != 0))
		goto out;
	/* Connectors that do not know it ignore it (doc/api.md). */
	if (t->request_id != NULL && conn_add(body, "requestId",
	    json_object_new_string(t->request_id)) != 0)
		goto out;
	if (t->ra_verified && conn_add(body, "raVerified",
	    json_object_new_boolean(1)) != 0)
		goto out;
	snprintf(suffix, sizeof(suffix), "/certificates/%s", op);
	if ((rc = conn_call(t, "v2", suffix, body, &reply, res)) == CALL_ERR)
		goto out;
	r = 0;
	if (rc == CALL_DONE)
		goto out;
	r = conn_enroll_reply(op, t->request_id, &reply, res);
 out:
	if (r != 0 && res != NULL) {
		/* A caller that ignores the -1 must not see CONN_OK. */
		res->status = CONN_FAILED;
		X509_free(res->certificate);
		res->certificate = NULL;
		if (res->message[0] == '\0')
			conn_msg(res, "out of memory");
	}
	metrics_connector(old_cert == NULL ? METRICS_CALL_ISSUE :
	    METRICS_CALL_RENEW, res->status);
	json_object_put(body);
	free(reply.data);
	return r;
}

int
conn_issue(const struct conn_target *t, const unsigned char *req_der,
    size_t req_len, const char *format, struct conn_result *res)
{
	return conn_enroll(t, "issue", req_der, req_len, format, NULL, res);
}

int
conn_renew(const struct conn_target *t, const unsigned char *req_der,
    size_t req_len, const char *format, X509 *old_cert,
    struct conn_result *res)
{
	if (old_cert == NULL) {
		if (res != NULL) {
			memset(res, 0, sizeof(*res));
			res->status = CONN_FAILED;
			conn_msg(res, "bad arguments");
		}
		return -1;
	}
	return conn_enroll(t, "renew", req_der, req_len, format, old_cert,
	    res);
}

/*
 * "Already revoked" is what was asked for: 409 (cmp-localca), or a 422
 * validation error saying so (the v2 API's error list, which connectors
 * fill with their CA's text), or a 400 whose text does (the EJBCA NG
 * connector passes on EJBCA's AlreadyRevokedException so).
 */
static int
conn_already_revoked(const struct conn_result *res)
{
	if (res->http_status == 409)
		return 1;
	return (res->http_status == 422 || res->http_status == 400) &&
	    (strcasestr(res->message, "already revoked") != NULL ||
	    strcasestr(res->message, "AlreadyRevoked") != NULL);
}

/* An empty reply (whitespace only), or one JSON value. */
static int
conn_reply_empty_or_json(const struct conn_buf *reply)
{
	json_object *o = NULL;
	size_t i;
	int rc;

	for (i = 0; i < reply->len; i++)
		if (strchr(" \t\r\n", reply->data[i]) == NULL ||
		    reply->data[i] == '\0')
			break;
	if (i == reply->len)
		return 1;
	rc = jsoncheck_parse(reply->data, reply->len, CONN_JSON_DEPTH, &o);
	json_object_put(o);
	return rc == PARSE_OK;
}

int
conn_revoke(const struct conn_target *t, X509 *cert, const char *reason,
    struct conn_result *res)
{
	struct conn_buf reply;
	json_object *body = NULL;
	int rc, r = -1;

	memset(&reply, 0, sizeof(reply));
	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (t == NULL || cert == NULL || reason == NULL ||
	    util_name_index(conn_reasons, NITEMS(conn_reasons), reason,
	    0) < 0) {
		conn_msg(res, "bad arguments");
		goto out;
	}
	if ((body = json_object_new_object()) == NULL ||
	    conn_add(body, "reason", json_object_new_string(reason)) != 0 ||
	    conn_add(body, "certificate", conn_cert_string(cert)) != 0)
		goto out;
	if (conn_body_attributes(body, t, 1, res) != 0)
		goto out;
	if ((rc = conn_call(t, "v2", "/certificates/revoke", body, &reply,
	    res)) == CALL_ERR)
		goto out;
	/* Any 2xx but 202 is success; the API answers with an empty body.
	 * 202: the CA revokes later (doc/api.md "Delayed delivery"); the
	 * same call repeated tells when: 2xx or "already revoked". A body
	 * that is neither empty nor JSON is no connector's answer (a web
	 * server's page of a wrong URL, a captive proxy): not taken for a
	 * revocation, which then stays owed. */
	if (rc == CALL_2XX && !conn_reply_empty_or_json(&reply)) {
		conn_msg(res, "revoke reply (HTTP %ld) is neither empty nor "
		    "JSON: not taken for a revocation", res->http_status);
		res->status = CONN_FAILED;
	} else if (rc == CALL_2XX)
		res->status = res->http_status == 202 ? CONN_PENDING : CONN_OK;
	else if (conn_already_revoked(res)) {
		res->status = CONN_OK;
		res->already_revoked = 1;
	}
	r = 0;
 out:
	if (r != 0 && res != NULL) {
		res->status = CONN_FAILED;
		if (res->message[0] == '\0')
			conn_msg(res, "out of memory");
	}
	metrics_connector(METRICS_CALL_REVOKE, res->status);
	json_object_put(body);
	free(reply.data);
	return r;
}

/*
 * The body of a 2xx answer to caCertificates: the chain, in order.
 * 0 with res classified, -1 out of memory.
 */
static int
conn_ca_reply(const struct conn_buf *reply, struct conn_result *res)
{
	json_object *obj = NULL, *list, *v;
	char what[48];
	size_t i, n;
	X509 *x = NULL;
	int rc, r = -1;

	res->status = CONN_FAILED;
	if ((rc = jsoncheck_parse(reply->data != NULL ? reply->data : "",
	    reply->len, CONN_JSON_DEPTH, &obj)) == PARSE_ERR)
		goto out;
	r = 0;
	if (rc != PARSE_OK || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "certificates", &list) ||
	    !json_object_is_type(list, json_type_array)) {
		conn_msg(res, "caCertificates reply has no certificates list");
		goto out;
	}
	if ((res->chain = sk_X509_new_null()) == NULL) {
		r = -1;
		goto out;
	}
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(list, i);
		snprintf(what, sizeof(what), "caCertificates[%zu]", i);
		if ((rc = conn_cert_data(v, what, 0, &x, res)) == PARSE_ERR) {
			r = -1;
			goto out;
		}
		if (rc != PARSE_OK)
			goto out;
		if (!sk_X509_push(res->chain, x)) {
			r = -1;
			goto out;
		}
		x = NULL;
	}
	res->status = CONN_OK;
 out:
	X509_free(x);
	json_object_put(obj);
	return r;
}

/*
 * One answer classified as the call that got it does (the fuzz target's
 * way in); body is len bytes, a NUL need not follow. 0, or -1 out of
 * memory.
 */
int
conn_parse_reply(enum conn_reply kind, long http_status, const char *body,
    size_t len, struct conn_result *res)
{
	struct conn_buf b;
	char *copy = NULL;
	int r = 0;

	memset(res, 0, sizeof(*res));
	memset(&b, 0, sizeof(b));
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, body, len);
	copy[len] = '\0';
	b.data = copy;
	b.len = len;
	res->http_status = http_status;
	if (http_status < 200 || http_status > 299)
		conn_classify_error(&b, res);
	else if (kind == CONN_REPLY_CA_CERTS)
		r = conn_ca_reply(&b, res);
	else
		r = conn_enroll_reply(kind == CONN_REPLY_RENEW ? "renew" :
		    "issue", NULL, &b, res);
	if (r != 0) {
		res->status = CONN_FAILED;
		if (res->message[0] == '\0')
			conn_msg(res, "out of memory");
	}
	if (res->status != CONN_OK) {
		X509_free(res->certificate);
		res->certificate = NULL;
		sk_X509_pop_free(res->chain, X509_free);
		res->chain = NULL;
	}
	free(copy);
	return r;
}

int
conn_ca_certificates(const struct conn_target *t, struct conn_result *res)
{
	struct conn_buf reply;
	json_object *body = NULL;
	int rc, r = -1;

	memset(&reply, 0, sizeof(reply));
	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (t == NULL) {
		conn_msg(res, "bad arguments");
		goto out;
	}
	if ((body = json_object_new_object()) == NULL ||
	    conn_body_attributes(body, t, 0, res) != 0)
		goto out;
	if ((rc = conn_call(t, "v1", "/caCertificates", body, &reply,
	    res)) == CALL_ERR)
		goto out;
	r = 0;
	if (rc == CALL_DONE)
		goto out;
	r = conn_ca_reply(&reply, res);
 out:
	if (res != NULL && (r != 0 || res->status != CONN_OK)) {
		sk_X509_pop_free(res->chain, X509_free);
		res->chain = NULL;
		if (r != 0) {
			res->status = CONN_FAILED;
			if (res->message[0] == '\0')
				conn_msg(res, "out of memory");
		}
	}
	if (res != NULL)
		metrics_connector(METRICS_CALL_CA_CERTS, res->status);
	json_object_put(body);
	free(reply.data);
	return r;
}

/*
 * The common part of the calls that answer a small JSON object (lookup,
 * crl, rootCaKeyUpdate): POST body to path and read the reply. Returns
 * CALL_ERR (a local error), CALL_DONE (classified in res: unreachable,
 * refused, not an object; with optional, a 404, 405 or 501 means the
 * connector lacks the call: CONN_NOT_FOUND), or CALL_2XX with *obj set and
 * res->status CONN_FAILED until the caller has read what it needs.
 */
static int
conn_call_object(const struct conn_target *t, const char *ver,
    const char *path, json_object *body, int optional, json_object **obj,
    struct conn_result *res)
{
	struct conn_buf reply;
	int rc;

	*obj = NULL;
	memset(&reply, 0, sizeof(reply));
	if ((rc = conn_call(t, ver, path, body, &reply, res)) == CALL_DONE) {
		if (optional && (res->http_status == 404 ||
		    res->http_status == 405 || res->http_status == 501))
			res->status = CONN_NOT_FOUND;
		goto out;
	}
	if (rc != CALL_2XX)
		goto out;
	res->status = CONN_FAILED;
	if ((rc = jsoncheck_parse(reply.data != NULL ? reply.data : "",
	    reply.len, CONN_JSON_DEPTH, obj)) == PARSE_ERR) {
		rc = CALL_ERR;
		goto out;
	}
	if (rc != PARSE_OK || !json_object_is_type(*obj, json_type_object)) {
		json_object_put(*obj);
		*obj = NULL;
		conn_msg(res, "%s reply is not a JSON object", path + 1);
		rc = CALL_DONE;
		goto out;
	}
	rc = CALL_2XX;
 out:
	free(reply.data);
	return rc;
}

int
conn_lookup(const struct conn_target *t, const char *request_id, int final,
    struct conn_result *res)
{
	json_object *body = NULL, *obj = NULL, *v;
	int rc, r = -1;

	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (t == NULL || request_id == NULL || !conn_uuid_valid(request_id)) {
		conn_msg(res, "bad arguments");
		goto out;
	}
	if ((body = json_object_new_object()) == NULL ||
	    conn_add(body, "requestId", json_object_new_string(request_id)) !=
	    0 || (final && conn_add(body, "final",
	    json_object_new_boolean(1)) != 0) ||
	    conn_body_attributes(body, t, 0, res) != 0)
		goto out;
	/* No such route, or not implemented: no lookup there. */
	if ((rc = conn_call_object(t, "v2", "/certificates/lookup", body, 1,
	    &obj, res)) == CALL_ERR)
		goto out;
	r = 0;
	if (rc == CALL_DONE)
		goto out;
	/* The answer names the request: a catch-all 200 is no answer. */
	if (!json_object_object_get_ex(obj, "requestId", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), request_id) != 0 ||
	    !json_object_object_get_ex(obj, "found", &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		conn_msg(res, "lookup reply does not answer for this requestId");
		goto out;
	}
	if (!json_object_get_boolean(v)) {
		/* {found: false, pending: true}: not decided yet */
		res->status = json_object_object_get_ex(obj, "pending", &v) &&
		    json_object_is_type(v, json_type_boolean) &&
		    json_object_get_boolean(v) ? CONN_PENDING : CONN_OK;
		goto out;
	}
	if ((rc = conn_cert_data(obj, "lookup", 1,
	    &res->certificate, res)) ==
	    PARSE_ERR) {
		r = -1;
		goto out;
	}
	if (rc != PARSE_OK)
		goto out;
	if (conn_reply_uuid(obj, res->uuid, sizeof(res->uuid)) != 0) {
		X509_free(res->certificate);
		res->certificate = NULL;
		conn_msg(res, "lookup reply: bad uuid");
		goto out;
	}
	if (conn_reply_meta(obj, res) != 0) {
		r = -1;
		goto out;
	}
	res->status = CONN_OK;
 out:
	if (r != 0 && res != NULL) {
		res->status = CONN_FAILED;
		X509_free(res->certificate);
		res->certificate = NULL;
		if (res->message[0] == '\0')
			conn_msg(res, "out of memory");
	}
	if (res != NULL)
		metrics_connector(METRICS_CALL_LOOKUP, res->status);
	json_object_put(obj);
	json_object_put(body);
	return r;
}

/*
 * The CRL the authority publishes (v1 .../crl {"delta": false,
 * "raProfileAttributes"} -> {"crlData": base64 DER}). *crl is set when
 * res->status is CONN_OK; the return value as for the other calls.
 */
int
conn_crl(const struct conn_target *t, X509_CRL **crl, struct conn_result *res)
{
	json_object *body = NULL, *obj = NULL, *v;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	int rc, r = -1;

	if (res == NULL || crl == NULL)
		return -1;
	*crl = NULL;
	memset(res, 0, sizeof(*res));
	if (t == NULL) {
		conn_msg(res, "bad arguments");
		goto out;
	}
	if ((body = json_object_new_object()) == NULL ||
	    conn_add(body, "delta", json_object_new_boolean(0)) != 0 ||
	    conn_body_attributes(body, t, 0, res) != 0)
		goto out;
	/* optional: a connector that answers 404, 405 or 501 publishes no
	 * CRL (CONN_NOT_FOUND), it is not down */
	if ((rc = conn_call_object(t, "v1", "/crl", body, 1, &obj, res)) ==
	    CALL_ERR)
		goto out;
	r = 0;
	if (rc == CALL_DONE)
		goto out;
	if (!json_object_object_get_ex(obj, "crlData", &v)) {
		conn_msg(res, "crl reply has no crlData");
		goto out;
	}
	/* the v2 API's way of saying there is none (AuthorityInstance
	 * Controller: "null data is returned") */
	if (json_object_is_type(v, json_type_null)) {
		res->status = CONN_NOT_FOUND;
		conn_msg(res, "the CA has no CRL (crlData null)");
		goto out;
	}
	if (!json_object_is_type(v, json_type_string)) {
		conn_msg(res, "crl reply has no crlData");
		goto out;
	}
	if ((rc = conn_b64_decode(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), &der, &len)) < 0) {
		r = -1;
		goto out;
	}
	p = der;
	if (rc > 0 || len > LONG_MAX ||
	    (*crl = d2i_X509_CRL(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		X509_CRL_free(*crl);
		*crl = NULL;
		conn_msg(res, "crlData is not a base64 DER CRL");
		goto out;
	}
	res->status = CONN_OK;
 out:
	if (r != 0) {
		res->status = CONN_FAILED;
		if (res->message[0] == '\0')
			conn_msg(res, "out of memory");
	}
	metrics_connector(METRICS_CALL_CRL, res->status);
	ERR_clear_error();
	json_object_put(obj);
	json_object_put(body);
	free(der);
	return r;
}

/*
 * The CA's root key update (RFC 9810 5.3.19.15, RFC 9483 4.3.2):
 * POST v1 .../rootCaKeyUpdate {"raProfileAttributes": []} ->
 * {"newWithNew": {"certificateData"}, "newWithOld": {...}, "oldWithNew":
 * {...}}, or {} when the root has not been rolled over. CONN_OK with
 * res->chain = [newWithNew, newWithOld, oldWithNew], the last of which a
 * CA may leave out (RFC 9483 4.3.2: optional), or res->chain NULL
 * for no update; CONN_NOT_FOUND when the connector has no such call
 * (HTTP 404, 405 or 501), which means no update too.
 */
int
conn_root_ca_update(const struct conn_target *t, struct conn_result *res)
{
	static const char *const keys[] = {
		"newWithNew", "newWithOld", "oldWithNew",
	};
	json_object *body = NULL, *obj = NULL, *v;
	X509 *x = NULL;
	size_t i;
	int rc, r = -1;

	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (t == NULL) {
		conn_msg(res, "bad arguments");
		goto out;
	}
	if ((body = json_object_new_object()) == NULL ||
	    conn_body_attributes(body, t, 0, res) != 0)
		goto out;
	if ((rc = conn_call_object(t, "v1", "/rootCaKeyUpdate", body, 1, &obj,
	    res)) == CALL_ERR)
		goto out;
	r = 0;
	if (rc == CALL_DONE)
		goto out;
	if (!json_object_object_get_ex(obj, "newWithNew", NULL)) {
		res->status = CONN_OK;	/* no rollover */
		goto out;
	}
	if ((res->chain = sk_X509_new_null()) == NULL) {
		r = -1;
		goto out;
	}
	for (i = 0; i < NITEMS(keys); i++) {
		if (!json_object_object_get_ex(obj, keys[i], &v)) {
			if (i == NITEMS(keys) - 1)
				break;		/* no oldWithNew */
			conn_msg(res, "rootCaKeyUpdate reply has no %s",
			    keys[i]);
			goto fail;
		}
		if ((rc = conn_cert_data(v, keys[i], 0, &x, res)) == PARSE_ERR) {
			r = -1;
			goto fail;
		}
		if (rc != PARSE_OK)
			goto fail;
		if (!sk_X509_push(res->chain, x)) {
			X509_free(x);
			r = -1;
			goto fail;
		}
	}
	res->status = CONN_OK;
	goto out;
 fail:
	sk_X509_pop_free(res->chain, X509_free);
	res->chain = NULL;
 out:
	if (r != 0) {
		res->status = CONN_FAILED;
		if (res->message[0] == '\0')
			conn_msg(res, "out of memory");
	}
	metrics_connector(METRICS_CALL_ROOT_UPDATE, res->status);
	ERR_clear_error();
	json_object_put(obj);
	json_object_put(body);
	return r;
}
