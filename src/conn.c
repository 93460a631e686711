/*
 * The client of a CA's authority-provider connector: JSON over HTTP(S),
 * one libcurl easy handle per worker so that connections are kept alive
 * between requests. Every call starts from a reset handle: nothing, least
 * of all credentials, carries over from one call to the next.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "conn.h"
#include "jsoncheck.h"

#define CONN_URL_MAX		2048	/* configured base URL */
#define CONN_UUID_SEG_MAX	64	/* authority UUID path segment */
#define CONN_JSON_DEPTH		32	/* attributes nest a few levels */
#define CONN_AUTH_DEPTH		4	/* credentials are a flat object */
#define CONN_RAW_TEXT_MAX	200	/* body quoted when it has no message */
#define CONN_HEADER_NAME_MAX	128
#define CONN_HEADER_VALUE_MAX	8192
#define CONN_PROBE_TIMEOUT	2	/* seconds, GET /health's probe */
#define CONN_PROBE_REPLY_MAX	65536	/* a probe's answer is dropped */

/* Local outcomes of one HTTP exchange. */
#define CALL_ERR	(-1)	/* local error, nothing classified */
#define CALL_2XX	0	/* a 2xx answer whose body is for the caller */
#define CALL_DONE	1	/* classified already (no answer, or not 2xx) */


static int conn_uuid_valid(const char *);

static const struct conf *conn_conf;
static CURL *conn_curl;
static int conn_global;

/* RFC 5280 5.3.1 reasons, as the connector API spells them. */
static const char *const conn_reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold",
	"privilegeWithdrawn", "aACompromise",
};

/* Headers that cmpd or libcurl set: an API key header must not clash. */
static const char *const conn_reserved_headers[] = {
	"Accept", "Connection", "Content-Length", "Content-Type", "Expect",
	"Host", "Transfer-Encoding",
};

/* The reply body; one byte beyond max keeps it NUL-terminated. */
struct conn_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 too_large;
	int	 oom;
};

/* Credentials prepared for one call; wiped by conn_cred_clear(). */
struct conn_cred {
	json_object *json;	/* parsed auth_json */
	char	*line;		/* API key header line */
	size_t	 line_size;
};

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

static void __attribute__((format(printf, 2, 3)))
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

/*
 * Base64 as a connector sends it: whitespace and line breaks anywhere are
 * dropped; what remains must be whole quanta with '=' only as padding.
 * 0 with *out (malloc'd), 1 not base64, -1 out of memory.
 */
static int
conn_b64_decode(const char *s, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char *clean = NULL, *der = NULL;
	size_t i, n = 0, pad = 0;
	int w, r = -1;

	*out = NULL;
	*outlen = 0;
	if (len >= INT_MAX)
		return 1;
	if ((clean = malloc(len + 1)) == NULL)
		goto out;
	for (i = 0; i < len; i++)
		if (strchr(" \t\r\n", s[i]) == NULL || s[i] == '\0')
			clean[n++] = (unsigned char)s[i];
	r = 1;
	if (n == 0 || n % 4 != 0)
		goto out;
	/* EVP_DecodeBlock lets '=' through inside the data: refuse it. */
	while (pad < 2 && clean[n - 1 - pad] == '=')
		pad++;
	if (memchr(clean, '=', n - pad) != NULL)
		goto out;
	r = -1;
	if ((der = malloc(n / 4 * 3)) == NULL)
		goto out;
	r = 1;
	if ((w = EVP_DecodeBlock(der, clean, (int)n)) < 0 ||
	    (size_t)w != n / 4 * 3)
		goto out;
	*out = der;
	*outlen = (size_t)w - pad;
	der = NULL;
	r = 0;
 out:
	free(clean);
	free(der);
	return r;
}

/*
 * obj["certificateData"] as an X509; what is wrong goes into res.
 * PARSE_OK, PARSE_BAD or PARSE_ERR.
 */
static int
conn_cert_data(json_object *obj, const char *what, X509 **out,
    struct conn_result *res)
{
	const unsigned char *p;
	unsigned char *der = NULL;
	json_object *v;
	size_t len;
	X509 *x = NULL;
	int rc, r = PARSE_BAD;

	*out = NULL;
	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "certificateData", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		conn_msg(res, "%s: no certificateData", what);
		goto out;
	}
	rc = conn_b64_decode(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), &der, &len);
	if (rc < 0) {
		r = PARSE_ERR;
		goto out;
	}
	if (rc > 0) {
		conn_msg(res, "%s: certificateData is not base64", what);
		goto out;
	}
	p = der;
	if (len > LONG_MAX || (x = d2i_X509(NULL, &p, (long)len)) == NULL ||
	    p != der + len) {
		conn_msg(res, "%s: certificateData is not a DER certificate",
		    what);
		goto out;
	}
	*out = x;
	x = NULL;
	r = PARSE_OK;
 out:
	ERR_clear_error();
	X509_free(x);
	free(der);
	return r;
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

/* RFC 9110 5.6.2 token, not one of the headers cmpd sets itself
 * (shared with the management API, which checks credentials up front). */
int
conn_header_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CONN_HEADER_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'*+-.^_`|~", s[i]) == NULL)
			return 0;
	for (i = 0; i < NITEMS(conn_reserved_headers); i++)
		if (strcasecmp(s, conn_reserved_headers[i]) == 0)
			return 0;
	return 1;
}

/* RFC 9110 5.5 field value; empty would make libcurl drop the header. */
int
conn_header_value_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CONN_HEADER_VALUE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return 0;
	}
	return 1;
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

/* A connector base URL conn.c can use (shared with the management API). */
int
conn_url_valid(const char *url, size_t len)
{
	size_t i;

	if (len == 0 || len > CONN_URL_MAX)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return 0;
	/* The API path is appended: a query or fragment would swallow it. */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)url[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#')
			return 0;
	}
	return 1;
}

/* A URL that names plain HTTP (the scheme is case-insensitive). */
int
conn_url_is_http(const char *url)
{
	return url != NULL && strncasecmp(url, "http://", 7) == 0;
}

/*
 * Why a connector's credentials may not go to url, or NULL when they may
 * (shared with the management API, which refuses such a connector up
 * front). Basic credentials and API keys are readable by anyone on the
 * path of plain HTTP: only a connector an administrator marked insecure
 * sends them so, loopback included. A client certificate is a TLS
 * credential: without TLS there is nothing to present it in.
 */
const char *
conn_transport_refusal(const char *url, enum conn_auth auth, int insecure)
{
	if (auth == CONN_AUTH_NONE || !conn_url_is_http(url))
		return NULL;
	if (auth == CONN_AUTH_CERTIFICATE)
		return "certificate authentication needs an https:// url";
	if (!insecure)
		return "credentials would be sent over plain http://: use an "
		    "https:// url, or mark the connector insecure";
	return NULL;
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

static int
conn_uuid_valid(const char *s)
{
	size_t i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > CONN_UUID_SEG_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
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
static void
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
static int
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
 * The body of a 2xx answer to issue or renew: the new certificate and its
 * uuid. 0 with res classified, -1 out of memory.
 */
static int
conn_enroll_reply(const char *op, const struct conn_buf *reply,
    struct conn_result *res)
{
	json_object *obj = NULL;
	char why[160];
	int rc, r = -1;

	res->status = CONN_FAILED;
	if (res->http_status == 202) {
		/* Newer connectors issue asynchronously; cmpd does not poll. */
		conn_msg(res, "connector answered 202: asynchronous %s is "
		    "not supported", op);
		r = 0;
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
	if ((rc = conn_cert_data(obj, op, &res->certificate, res)) ==
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
	res->status = CONN_OK;
 out:
	json_object_put(obj);
	return r;
}

/* issue and renew: POST, then the new certificate and its uuid. */
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
	    conn_add(body, "meta", json_object_new_array()) != 0))
		goto out;
	/* Connectors that do not know it ignore it (doc/api.md). */
	if (t->request_id != NULL && conn_add(body, "requestId",
	    json_object_new_string(t->request_id)) != 0)
		goto out;
	snprintf(suffix, sizeof(suffix), "/certificates/%s", op);
	if ((rc = conn_call(t, "v2", suffix, body, &reply, res)) == CALL_ERR)
		goto out;
	r = 0;
	if (rc == CALL_DONE)
		goto out;
	r = conn_enroll_reply(op, &reply, res);
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
 * fill with their CA's text).
 */
static int
conn_already_revoked(const struct conn_result *res)
{
	if (res->http_status == 409)
		return 1;
	return res->http_status == 422 &&
	    strcasestr(res->message, "already revoked") != NULL;
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
	/* Any 2xx is success; the API answers with an empty body. */
	if (rc == CALL_2XX)
		res->status = CONN_OK;
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
		if ((rc = conn_cert_data(v, what, &x, res)) == PARSE_ERR) {
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
		    "issue", &b, res);
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

int
conn_lookup(const struct conn_target *t, const char *request_id,
    struct conn_result *res)
{
	struct conn_buf reply;
	json_object *body = NULL, *obj = NULL, *v;
	int rc, r = -1;

	memset(&reply, 0, sizeof(reply));
	if (res == NULL)
		return -1;
	memset(res, 0, sizeof(*res));
	if (t == NULL || request_id == NULL || !conn_uuid_valid(request_id)) {
		conn_msg(res, "bad arguments");
		goto out;
	}
	if ((body = json_object_new_object()) == NULL ||
	    conn_add(body, "requestId", json_object_new_string(request_id)) !=
	    0 || conn_body_attributes(body, t, 0, res) != 0)
		goto out;
	if ((rc = conn_call(t, "v2", "/certificates/lookup", body, &reply,
	    res)) == CALL_ERR)
		goto out;
	r = 0;
	if (rc == CALL_DONE) {
		/* No such route, or not implemented: no lookup there. */
		if (res->http_status == 404 || res->http_status == 405 ||
		    res->http_status == 501)
			res->status = CONN_NOT_FOUND;
		goto out;
	}
	res->status = CONN_FAILED;
	if ((rc = jsoncheck_parse(reply.data != NULL ? reply.data : "",
	    reply.len, CONN_JSON_DEPTH, &obj)) == PARSE_ERR) {
		r = -1;
		goto out;
	}
	/* The answer names the request: a catch-all 200 is no answer. */
	if (rc != PARSE_OK || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "requestId", &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), request_id) != 0 ||
	    !json_object_object_get_ex(obj, "found", &v) ||
	    !json_object_is_type(v, json_type_boolean)) {
		conn_msg(res, "lookup reply does not answer for this requestId");
		goto out;
	}
	if (!json_object_get_boolean(v)) {
		res->status = CONN_OK;
		goto out;
	}
	if ((rc = conn_cert_data(obj, "lookup", &res->certificate, res)) ==
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
	free(reply.data);
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

/*
 * GET /health: is the connector at url there at all? A GET on the base
 * URL, without credentials, CONN_PROBE_TIMEOUT seconds in all; any HTTP
 * answer, an error status too, counts (the connector's API refuses an
 * unauthenticated GET, but it answered). 1 reachable, 0 not, -1 a local
 * error or an unusable URL.
 */
int
conn_probe(const char *url)
{
	char errbuf[CURL_ERROR_SIZE];
	CURLcode ce;
	long st = 0;
	int r = -1;

	if (conn_curl == NULL || conn_conf == NULL || url == NULL ||
	    !conn_url_valid(url, strlen(url)))
		return -1;
	curl_easy_reset(conn_curl);
	errbuf[0] = '\0';
	if (curl_easy_setopt(conn_curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_FOLLOWLOCATION, 0L) !=
	    CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_TIMEOUT,
	    (long)CONN_PROBE_TIMEOUT) != CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_PROXY, "") != CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_SSL_VERIFYPEER, 1L) !=
	    CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_SSL_VERIFYHOST, 2L) !=
	    CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_USERAGENT,
	    "cmpd/" PACKAGE_VERSION) != CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_WRITEFUNCTION, conn_discard) !=
	    CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)CONN_PROBE_REPLY_MAX) != CURLE_OK ||
	    curl_easy_setopt(conn_curl, CURLOPT_ERRORBUFFER, errbuf) !=
	    CURLE_OK)
		goto out;
	if (conn_conf->connector_ca_file != NULL &&
	    curl_easy_setopt(conn_curl, CURLOPT_CAINFO,
	    conn_conf->connector_ca_file) != CURLE_OK)
		goto out;
	ce = curl_easy_perform(conn_curl);
	/* A reply over the cap still was an answer. */
	curl_easy_getinfo(conn_curl, CURLINFO_RESPONSE_CODE, &st);
	r = st > 0 ? 1 : 0;
	if (r == 0)
		/* the URL may name a host of the operator's: debug only */
		log_debug("connector probe: %s", errbuf[0] != '\0' ? errbuf :
		    curl_easy_strerror(ce));
 out:
	curl_easy_reset(conn_curl);
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
	struct conn_buf reply;
	json_object *body = NULL, *obj = NULL, *v;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	int rc, r = -1;

	memset(&reply, 0, sizeof(reply));
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
	if ((rc = conn_call(t, "v1", "/crl", body, &reply, res)) == CALL_ERR)
		goto out;
	r = 0;
	if (rc == CALL_DONE)
		goto out;
	res->status = CONN_FAILED;
	if ((rc = jsoncheck_parse(reply.data != NULL ? reply.data : "",
	    reply.len, CONN_JSON_DEPTH, &obj)) == PARSE_ERR) {
		r = -1;
		goto out;
	}
	if (rc != PARSE_OK || !json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, "crlData", &v) ||
	    !json_object_is_type(v, json_type_string)) {
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
	ERR_clear_error();
	json_object_put(obj);
	json_object_put(body);
	free(der);
	free(reply.data);
	return r;
}
