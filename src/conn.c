/*
 * The client of a CA's authority-provider connector: JSON over HTTP(S),
 * one libcurl easy handle per worker so that connections are kept alive
 * between requests. Every call starts from a reset handle: nothing, least
 * of all credentials, carries over from one call to the next.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json.h>
#include <openssl/crypto.h>

#include "cmpd.h"
#include "conn.h"
#include "conn_int.h"
#include "jsoncheck.h"

#define CONN_AUTH_DEPTH		4	/* credentials are a flat object */
#define CONN_RAW_TEXT_MAX	200	/* body quoted when it has no message */
#define CONN_PROBE_TIMEOUT_MS	800	/* GET /health's probes, in all */
#define CONN_PROBE_REPLY_MAX	65536	/* a probe's answer is dropped */

static const struct conf *conn_conf;
static CURL *conn_curl;
static int conn_global;

/* Credentials prepared for one call; wiped by conn_cred_clear(). */
struct conn_cred {
	json_object *json;	/* parsed auth_json */
	char	*line;		/* API key header line */
	size_t	 line_size;
};

/*
 * A connector that let a call of a client's request run into its
 * timeout (connector_timeout, or connector_connect_timeout to connect)
 * is not called again in the same request: the request's other calls
 * (the next CertReqMsg, the next message of a nested batch) fail at
 * once, not sent, rather than each wait as long again. Armed for one
 * CMP request (conn_request_begin, cmp_ca_request_begin), disarmed after
 * it (conn_request_end); the sweep and the API, unarmed, call as always.
 */
#define CONN_HUNG_MAX		4	/* connectors remembered per request */
static int conn_req_armed;
static char *conn_hung[CONN_HUNG_MAX];
static size_t conn_nhung;

void
conn_request_end(void)
{
	while (conn_nhung > 0)
		free(conn_hung[--conn_nhung]);
	conn_req_armed = 0;
}

void
conn_request_begin(void)
{
	conn_request_end();
	conn_req_armed = 1;
}

/* The connector at url (its first len bytes) timed out in this request. */
static int
conn_hung_find(const char *url, size_t len)
{
	size_t i;

	for (i = 0; i < conn_nhung; i++)
		if (strlen(conn_hung[i]) == len &&
		    memcmp(conn_hung[i], url, len) == 0)
			return 1;
	return 0;
}

static void
conn_hung_add(const char *url, size_t len)
{
	char *u;

	if (!conn_req_armed || conn_nhung == CONN_HUNG_MAX ||
	    conn_hung_find(url, len) || (u = strndup(url, len)) == NULL)
		return;
	conn_hung[conn_nhung++] = u;
}

int
conn_init(const struct conf *c)
{
	if (c == NULL)
		return -1;
	conn_conf = c;
	if (conn_curl != NULL)
		return 0;
	if (!conn_global) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return -1;
		conn_global = 1;
	}
	if ((conn_curl = curl_easy_init()) == NULL)
		return -1;
	return 0;
}

void
conn_done(void)
{
	conn_request_end();
	if (conn_curl != NULL)
		curl_easy_cleanup(conn_curl);
	conn_curl = NULL;
	if (conn_global)
		curl_global_cleanup();
	conn_global = 0;
	conn_conf = NULL;
}

void
conn_result_free(struct conn_result *res)
{
	if (res == NULL)
		return;
	X509_free(res->certificate);
	sk_X509_pop_free(res->chain, X509_free);
	free(res->meta);
	memset(res, 0, sizeof(*res));
}

const char *
conn_status_name(enum conn_status s)
{
	switch (s) {
	case CONN_OK:
		return "ok";
	case CONN_UNAVAILABLE:
		return "unavailable";
	case CONN_REJECTED:
		return "rejected";
	case CONN_NOT_FOUND:
		return "notFound";
	case CONN_FAILED:
		return "failed";
	case CONN_INSECURE:
		return "insecure";
	case CONN_BUSY:
		return "busy";
	case CONN_PENDING:
		return "pending";
	}
	return "unknown";
}

/*
 * Appends n bytes to the message, each one that is not printable ASCII
 * replaced: the text comes from the connector and ends up in logs and in
 * CMP statusStrings.
 */
static void
conn_msg_append(struct conn_result *res, const char *s, size_t n)
{
	size_t len = strlen(res->message), i;

	for (i = 0; i < n && len + 1 < sizeof(res->message); i++, len++) {
		unsigned char ch = (unsigned char)s[i];

		res->message[len] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	res->message[len] = '\0';
}

void
conn_msg(struct conn_result *res, const char *fmt, ...)
{
	char buf[CONN_MESSAGE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	res->message[0] = '\0';
	if (n > 0)
		conn_msg_append(res, buf, strlen(buf));
}

static size_t
conn_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct conn_buf *b = arg;
	size_t n = size * nmemb, cap;
	char *p;

	if (size != 0 && n / size != nmemb)
		return 0;
	if (n > b->max - b->len) {
		/* Returning less than n makes libcurl abort the transfer. */
		b->too_large = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap < 4096 ? 4096 : b->cap;
		while (cap < b->len + n + 1)
			cap = cap > (b->max + 1) / 2 ? b->max + 1 : cap * 2;
		if ((p = realloc(b->data, cap)) == NULL) {
			b->oom = 1;
			return 0;
		}
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

/* A string member of the credentials, with its length; NULL if absent. */
static const char *
conn_cred_get(json_object *o, const char *key, size_t *len)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	*len = (size_t)json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Wipes every string of a parsed credentials object before it is freed. */
static void
conn_json_wipe(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		OPENSSL_cleanse((char *)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			conn_json_wipe(val);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			conn_json_wipe(json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
}

static void
conn_cred_clear(struct conn_cred *c)
{
	if (c->json != NULL) {
		conn_json_wipe(c->json);
		json_object_put(c->json);
	}
	if (c->line != NULL) {
		OPENSSL_cleanse(c->line, c->line_size);
		free(c->line);
	}
	memset(c, 0, sizeof(*c));
}

static void
conn_headers_free(struct curl_slist *h)
{
	struct curl_slist *l;

	/* libcurl copied the API key line into the list. */
	for (l = h; l != NULL; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(h);
}

/*
 * Sets the target's credentials on the handle. The strings stay in c
 * (blobs are not copied by libcurl) until the transfer is over.
 */
static int
conn_auth_setup(CURL *h, const struct conn_target *t, struct conn_cred *c,
    struct curl_slist **hdrs, struct conn_result *res)
{
	struct curl_blob cert, key;
	struct curl_slist *l;
	const char *a, *b;
	size_t alen = 0, blen = 0;

	if (t->auth == CONN_AUTH_NONE)
		return 0;
	if (t->auth_json == NULL || jsoncheck_parse(t->auth_json,
	    strlen(t->auth_json), CONN_AUTH_DEPTH, &c->json) != PARSE_OK ||
	    !json_object_is_type(c->json, json_type_object)) {
		conn_msg(res, "connector credentials are not a JSON object");
		return -1;
	}
	switch (t->auth) {
	case CONN_AUTH_BASIC:
		a = conn_cred_get(c->json, "username", &alen);
		b = conn_cred_get(c->json, "password", &blen);
		/* RFC 7617 2: the user-id cannot contain a colon. */
		if (a == NULL || b == NULL || alen == 0 ||
		    strlen(a) != alen || strlen(b) != blen ||
		    strchr(a, ':') != NULL) {
			conn_msg(res, "basic credentials: bad username or "
			    "password");
			return -1;
		}
		if (curl_easy_setopt(h, CURLOPT_HTTPAUTH,
		    (long)CURLAUTH_BASIC) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_USERNAME, a) != CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_PASSWORD, b) != CURLE_OK)
			return -1;
		return 0;
	case CONN_AUTH_APIKEY:
		a = conn_cred_get(c->json, "header", &alen);
		b = conn_cred_get(c->json, "key", &blen);
		if (a == NULL || strlen(a) != alen ||
		    !conn_header_name_valid(a, alen)) {
			conn_msg(res, "apiKey credentials: bad header name");
			return -1;
		}
		if (b == NULL || strlen(b) != blen ||
		    !conn_header_value_valid(b, blen)) {
			conn_msg(res, "apiKey credentials: bad key");
			return -1;
		}
		c->line_size = alen + 2 + blen + 1;
		if ((c->line = malloc(c->line_size)) == NULL)
			return -1;
		snprintf(c->line, c->line_size, "%s: %s", a, b);
		if ((l = curl_slist_append(*hdrs, c->line)) == NULL)
			return -1;
		*hdrs = l;
		return 0;
	case CONN_AUTH_CERTIFICATE:
		a = conn_cred_get(c->json, "certificate", &alen);
		b = conn_cred_get(c->json, "privateKey", &blen);
		if (a == NULL || b == NULL || alen == 0 || blen == 0) {
			conn_msg(res, "certificate credentials: certificate "
			    "or privateKey missing");
			return -1;
		}
		cert.data = (void *)a;
		cert.len = alen;
		cert.flags = CURL_BLOB_NOCOPY;
		key.data = (void *)b;
		key.len = blen;
		key.flags = CURL_BLOB_NOCOPY;
		if (curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM") !=
		    CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert) !=
		    CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM") !=
		    CURLE_OK ||
		    curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key) != CURLE_OK)
			return -1;
		return 0;
	default:
		conn_msg(res, "unknown connector authentication type");
		return -1;
	}
}

/* The transport check of one call: CONN_INSECURE in res when refused. */
static int
conn_transport_check(const struct conn_target *t, struct conn_result *res)
{
	const char *why;

	if ((why = conn_transport_refusal(t->url, t->auth,
	    t->insecure)) == NULL)
		return 0;
	res->status = CONN_INSECURE;
	conn_msg(res, "connector call not made: %s", why);
	log_warn("connector call to authority %s not made: %s",
	    conn_uuid_valid(t->authority_uuid) ? t->authority_uuid : "?", why);
	return -1;
}

/*
 * A place among the workers allowed in connector calls at once
 * (connector_workers_max): a worker that finds none within
 * METRICS_CONN_WAIT_MS does not call, so a hanging CA cannot take every
 * worker. Nested calls of one request (issue, then caCertificates or
 * revoke) keep the place they hold.
 */
static int
conn_gate(struct conn_result *res)
{
	if (metrics_conn_enter_wait(METRICS_CONN_WAIT_MS) == 0)
		return 0;
	res->status = CONN_BUSY;
	conn_msg(res, "connector call not made: connector_workers_max "
	    "workers are in connector calls already");
	return -1;
}

/*
 * The text of a connector's error answer: a JSON list of messages (422),
 * an object with "message", or the start of the body as it is.
 */
static void
conn_reply_text(const struct conn_buf *b, struct conn_result *res)
{
	json_object *o = NULL, *v;
	size_t i, n, used = 0;

	res->message[0] = '\0';
	if (b->len == 0)
		return;
	if (jsoncheck_parse(b->data, b->len, CONN_JSON_DEPTH, &o) ==
	    PARSE_OK) {
		if (json_object_is_type(o, json_type_array)) {
			n = json_object_array_length(o);
			for (i = 0; i < n; i++) {
				v = json_object_array_get_idx(o, i);
				if (!json_object_is_type(v, json_type_string))
					continue;
				if (used++ > 0)
					conn_msg_append(res, "; ", 2);
				conn_msg_append(res, json_object_get_string(v),
				    (size_t)json_object_get_string_len(v));
			}
		} else if (json_object_is_type(o, json_type_object) &&
		    json_object_object_get_ex(o, "message", &v) &&
		    json_object_is_type(v, json_type_string)) {
			conn_msg_append(res, json_object_get_string(v),
			    (size_t)json_object_get_string_len(v));
			used = 1;
		}
		json_object_put(o);
	}
	if (used == 0)
		conn_msg_append(res, b->data, b->len < CONN_RAW_TEXT_MAX ?
		    b->len : CONN_RAW_TEXT_MAX);
}

/* Classifies an answer that is not 2xx. */
void
conn_classify_error(const struct conn_buf *b, struct conn_result *res)
{
	char text[CONN_MESSAGE_MAX];
	long st = res->http_status;

	conn_reply_text(b, res);
	if (st == 404) {
		res->status = CONN_NOT_FOUND;
		if (res->message[0] == '\0')
			conn_msg(res, "HTTP 404: not found");
	} else if (st >= 400 && st < 500) {
		res->status = CONN_REJECTED;
		if (res->message[0] == '\0')
			conn_msg(res, "HTTP %ld", st);
	} else {
		/* 5xx: the connector or its CA failed for now (RFC 9110
		 * 15.6), a request later may succeed. A 1xx/3xx final
		 * answer (redirects are not followed) is a connector that
		 * does not speak the API: that does not pass by itself. */
		res->status = st >= 500 && st < 600 ? CONN_UNAVAILABLE :
		    CONN_FAILED;
		memcpy(text, res->message, sizeof(text));
		if (text[0] != '\0')
			conn_msg(res, "HTTP %ld: %s", st, text);
		else
			conn_msg(res, "HTTP %ld", st);
	}
}

static int
conn_setopts(CURL *h, const char *url, const char *body, size_t body_len,
    struct curl_slist *hdrs, struct conn_buf *reply, char *errbuf)
{
	const struct conf *c = conn_conf;

	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_DISALLOW_USERNAME_IN_URL, 1L) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
	    (long)c->connector_connect_timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT,
	    (long)c->connector_timeout) != CURLE_OK ||
	    /* A proxy from the environment is not configuration. */
	    curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT,
	    "cmpd/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)body_len) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, conn_write) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, reply) != CURLE_OK ||
	    /* Refuses a too large Content-Length before reading it. */
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)reply->max) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK)
		return -1;
	if (c->connector_ca_file != NULL &&
	    curl_easy_setopt(h, CURLOPT_CAINFO, c->connector_ca_file) !=
	    CURLE_OK)
		return -1;
	return 0;
}

/*
 * POSTs body to {base}/{api}/authorityProvider/authorities/{uuid}{suffix}.
 * CALL_2XX leaves a 2xx answer in reply for the caller to read; CALL_DONE
 * has classified everything else in res; CALL_ERR is a local error.
 */
int
conn_call(const struct conn_target *t, const char *api, const char *suffix,
    json_object *body, struct conn_buf *reply, struct conn_result *res)
{
	char errbuf[CURL_ERROR_SIZE], *url = NULL;
	struct curl_slist *hdrs = NULL, *l;
	struct conn_cred cred;
	struct timespec start;
	const char *text;
	size_t base_len, text_len, url_size;
	CURLcode ce;
	long st = 0, sent = 0;
	int r = CALL_ERR, gated = 0;

	memset(&cred, 0, sizeof(cred));
	clock_gettime(CLOCK_MONOTONIC, &start);
	res->not_sent = 1;	/* until curl sent something */
	if (conn_curl == NULL || conn_conf == NULL) {
		conn_msg(res, "connector client not initialised");
		goto out;
	}
	if (t->url == NULL) {
		conn_msg(res, "bad connector URL");
		goto out;
	}
	base_len = strlen(t->url);
	while (base_len > 0 && t->url[base_len - 1] == '/')
		base_len--;
	if (!conn_url_valid(t->url, base_len)) {
		conn_msg(res, "bad connector URL");
		goto out;
	}
	if (!conn_uuid_valid(t->authority_uuid)) {
		conn_msg(res, "bad authority UUID");
		goto out;
	}
	if (conn_hung_find(t->url, base_len)) {
		res->status = CONN_UNAVAILABLE;
		conn_msg(res, "connector call not made: an earlier call of this "
		    "request got no answer in time");
		r = CALL_DONE;
		goto out;
	}
	url_size = base_len + strlen(api) + strlen(t->authority_uuid) +
	    strlen(suffix) + 64;
	if ((url = malloc(url_size)) == NULL)
		goto out;
	snprintf(url, url_size, "%.*s/%s/authorityProvider/authorities/%s%s",
	    (int)base_len, t->url, api, t->authority_uuid, suffix);
	if ((text = json_object_to_json_string_length(body,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
	    &text_len)) == NULL)
		goto out;

	curl_easy_reset(conn_curl);
	/* "Expect:" keeps libcurl from waiting for 100-continue. */
	if ((l = curl_slist_append(hdrs,
	    "Content-Type: application/json")) == NULL)
		goto out;
	hdrs = l;
	if ((l = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto out;
	hdrs = l;
	if ((l = curl_slist_append(hdrs, "Expect:")) == NULL)
		goto out;
	hdrs = l;
	if (conn_auth_setup(conn_curl, t, &cred, &hdrs, res) != 0)
		goto out;
	errbuf[0] = '\0';
	reply->max = conn_conf->connector_reply_max;
	if (conn_setopts(conn_curl, url, text, text_len, hdrs, reply,
	    errbuf) != 0)
		goto out;
	/* A shorter budget for this call (the CMP Profile's syncBudget). */
	if (t->timeout_ms > 0 &&
	    t->timeout_ms < conn_conf->connector_timeout * 1000L &&
	    curl_easy_setopt(conn_curl, CURLOPT_TIMEOUT_MS, t->timeout_ms) !=
	    CURLE_OK)
		goto out;
	/* Nothing has been sent yet: the last moment to refuse. */
	if (conn_transport_check(t, res) != 0 || conn_gate(res) != 0) {
		r = CALL_DONE;
		goto out;
	}
	gated = 1;

	ce = curl_easy_perform(conn_curl);
	if (ce == CURLE_OK)
		curl_easy_getinfo(conn_curl, CURLINFO_RESPONSE_CODE, &st);
	res->http_status = st;
	/* Nothing sent, nothing done: the caller may call it a failure
	 * rather than ask the CA later what happened (reconciliation). */
	res->not_sent = ce != CURLE_OK && (curl_easy_getinfo(conn_curl,
	    CURLINFO_REQUEST_SIZE, &sent) != CURLE_OK || sent == 0);
	log_debug("POST .../%s%s: curl %d, HTTP %ld, %zu bytes, %.0f ms",
	    t->authority_uuid, suffix, (int)ce, st, reply->len,
	    util_elapsed_ms(&start));

	if (ce == CURLE_OUT_OF_MEMORY || reply->oom)
		goto out;
	if (ce == CURLE_URL_MALFORMAT || ce == CURLE_UNSUPPORTED_PROTOCOL) {
		conn_msg(res, "bad connector URL: %s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(ce));
		goto out;
	}
	r = CALL_DONE;
	if (reply->too_large || ce == CURLE_FILESIZE_EXCEEDED) {
		res->status = CONN_FAILED;
		conn_msg(res, "connector reply larger than %zu bytes",
		    reply->max);
	} else if (ce != CURLE_OK) {
		res->status = CONN_UNAVAILABLE;
		res->timed_out = ce == CURLE_OPERATION_TIMEDOUT &&
		    !res->not_sent;
		/* at connector_timeout, not at a shorter budget's cut */
		if (ce == CURLE_OPERATION_TIMEDOUT && (t->timeout_ms <= 0 ||
		    t->timeout_ms >= conn_conf->connector_timeout * 1000L))
			conn_hung_add(t->url, base_len);
		conn_msg(res, "%s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(ce));
	} else if (st < 200 || st > 299)
		conn_classify_error(reply, res);
	else
		r = CALL_2XX;
 out:
	/* Nothing of this call, least of all credentials or pointers to
	 * the buffers freed below, may stay set on the handle. */
	if (conn_curl != NULL)
		curl_easy_reset(conn_curl);
	if (gated)
		metrics_conn_leave();
	conn_headers_free(hdrs);
	conn_cred_clear(&cred);
	free(url);
	return r;
}

/* Drops a probe's answer: only that one came matters. */
static size_t
conn_discard(char *ptr, size_t size, size_t nmemb, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * nmemb;
}

/* A probe of url on h (conn_probe_all): 0, or -1 if an option is
 * refused. */
static int
conn_probe_setup(CURL *h, const char *url)
{
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	    (long)CONN_PROBE_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT,
	    "cmpd/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, conn_discard) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)CONN_PROBE_REPLY_MAX) != CURLE_OK)
		return -1;
	if (conn_conf->connector_ca_file != NULL &&
	    curl_easy_setopt(h, CURLOPT_CAINFO,
	    conn_conf->connector_ca_file) != CURLE_OK)
		return -1;
	return 0;
}

/*
 * GET /health: how many of the n connectors at urls are there at all? A
 * GET on each base URL, without credentials, all at once and
 * CONN_PROBE_TIMEOUT_MS in all, whatever their number: a connector that
 * hangs neither holds the worker for long nor makes a load balancer's
 * check of the host time out. Any HTTP answer, an error status too,
 * counts (the connector's API refuses an unauthenticated GET, but it
 * answered); an unusable URL does not. -1 on a local error.
 */
int
conn_probe_all(char *const *urls, size_t n)
{
	struct timespec since;
	CURLM *m = NULL;
	CURL **h = NULL;
	size_t i;
	long st;
	int running = 0, ms, r = -1;

	if (conn_conf == NULL)
		return -1;
	if (n == 0)
		return 0;
	if ((h = calloc(n, sizeof(*h))) == NULL ||
	    (m = curl_multi_init()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (!conn_url_valid(urls[i], strlen(urls[i])))
			continue;
		if ((h[i] = curl_easy_init()) == NULL ||
		    conn_probe_setup(h[i], urls[i]) != 0 ||
		    curl_multi_add_handle(m, h[i]) != CURLM_OK)
			goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &since);
	for (;;) {
		if (curl_multi_perform(m, &running) != CURLM_OK ||
		    running == 0)
			break;
		ms = CONN_PROBE_TIMEOUT_MS - (int)util_elapsed_ms(&since);
		if (ms <= 0 || curl_multi_poll(m, NULL, 0, ms, NULL) !=
		    CURLM_OK)
			break;
	}
	/* A reply cut at the cap or the time still was an answer. */
	for (r = 0, i = 0; i < n; i++) {
		st = 0;
		if (h[i] != NULL)
			curl_easy_getinfo(h[i], CURLINFO_RESPONSE_CODE, &st);
		if (st > 0)
			r++;
		else
			/* the URL may name a host of the operator's */
			log_debug("connector probe %zu of %zu: no answer",
			    i + 1, n);
	}
 out:
	for (i = 0; h != NULL && i < n; i++)
		if (h[i] != NULL) {
			if (m != NULL)
				curl_multi_remove_handle(m, h[i]);
			curl_easy_cleanup(h[i]);
		}
	if (m != NULL)
		curl_multi_cleanup(m);
	free(h);
	return r;
}
