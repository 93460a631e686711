/*
 * cmp-localca: the FastCGI request loop. One request: the caller
 * authenticated, the route found, the body read and parsed, handed to
 * its handler (lca_api.c), answered and logged.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <fcgiapp.h>
#include <json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "fastcgi.h"
#include "localca.h"

#define LCA_URI_MAX		1024
#define LCA_DRAIN_MAX		(64 * 1024 * 1024)
#define LCA_LINGER_MS		1000	/* out of time: the answer's way out */
#define LCA_SECRET_MAX		1024	/* a password or API key file */
#define LCA_AUTHZ_MAX		4096	/* the Authorization header */

/* ----------------------------------------------------- one request */

typedef int (*lca_handler)(struct lca_http *, json_object *in,
    json_object **out, struct lca_err *);

#define LCA_AUTH_PATH	"authorityProvider/authorities/"

/* The API's routes after /v1/ or /v2/ and the authority UUID. */
static const struct {
	char	 version;
	const char *tail;
	enum lca_route route;
} routes[] = {
	{ '2', "/certificates/issue", LCA_ROUTE_ISSUE },
	{ '2', "/certificates/renew", LCA_ROUTE_RENEW },
	{ '2', "/certificates/revoke", LCA_ROUTE_REVOKE },
	{ '2', "/certificates/lookup", LCA_ROUTE_LOOKUP },
	{ '1', "/caCertificates", LCA_ROUTE_CA_CERTS },
	{ '1', "/crl", LCA_ROUTE_CRL },
	{ '1', "/rootCaKeyUpdate", LCA_ROUTE_ROOT_UPDATE },
};

/*
 * Whatever precedes "/v1/authorityProvider/authorities/" or its /v2/
 * form is the mount point and ignored; the query string too.
 */
static enum lca_route
lca_route_parse(const char *uri, char *authority, size_t authlen)
{
	char path[LCA_URI_MAX];
	const char *p, *id, *tail;
	size_t n, idlen, i;

	if (uri == NULL || (n = strcspn(uri, "?#")) >= sizeof(path))
		return LCA_ROUTE_NONE;
	memcpy(path, uri, n);
	path[n] = '\0';
	for (p = path; (p = strstr(p, "/v")) != NULL; p++) {
		if ((p[2] != '1' && p[2] != '2') || p[3] != '/' ||
		    strncmp(p + 4, LCA_AUTH_PATH, strlen(LCA_AUTH_PATH)) != 0)
			continue;
		id = p + 4 + strlen(LCA_AUTH_PATH);
		idlen = strcspn(id, "/");
		if (idlen == 0 || idlen >= authlen ||
		    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789-_") < idlen)
			return LCA_ROUTE_NONE;
		tail = id + idlen;
		for (i = 0; i < NITEMS(routes); i++) {
			if (routes[i].version == p[2] &&
			    strcmp(tail, routes[i].tail) == 0) {
				memcpy(authority, id, idlen);
				authority[idlen] = '\0';
				return routes[i].route;
			}
		}
		return LCA_ROUTE_NONE;
	}
	return LCA_ROUTE_NONE;
}

static const char *
lca_reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 202: return "Accepted";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

static void
lca_send(struct lca_http *h, int status, const char *body, size_t len,
    const char *extra_header)
{
	char hdr[512];
	int n;

	h->status = status;
	/* libfcgi's printf has no %zu: format here. */
	n = snprintf(hdr, sizeof(hdr), "Status: %d %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n%s\r\n", status,
	    lca_reason_phrase(status), len,
	    extra_header != NULL ? extra_header : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return;
	FCGX_PutStr(hdr, n, h->fcgi->out);
	if (len > 0)
		FCGX_PutStr(body, (int)len, h->fcgi->out);
}

static void
lca_send_json(struct lca_http *h, int status, json_object *o,
    const char *extra_header)
{
	static const char oom[] = "{\"message\":\"out of memory\"}";
	const char *s;
	size_t len = 0;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		lca_send(h, 500, oom, sizeof(oom) - 1, NULL);
	else
		lca_send(h, status, s, len, extra_header);
}

/*
 * The API's error bodies: 422 is a list of messages, anything else
 * {"message": "..."}.
 */
static void
lca_send_error(struct lca_http *h, int status, const char *msg,
    const char *extra_header)
{
	json_object *o, *s;

	s = json_object_new_string(msg);
	if (status == 422) {
		if ((o = json_object_new_array()) != NULL && s != NULL &&
		    json_object_array_add(o, s) == 0)
			s = NULL;
	} else {
		if ((o = json_object_new_object()) != NULL && s != NULL &&
		    json_object_object_add(o, "message", s) == 0)
			s = NULL;
	}
	json_object_put(s);
	if (o == NULL) {
		lca_send(h, 500, "", 0, NULL);
		return;
	}
	lca_send_json(h, status, o, extra_header);
	json_object_put(o);
	snprintf(h->detail, sizeof(h->detail), " msg=\"%s\"", msg);
}

/* Out of time for the body (fastcgi.c), the answer written: the
 * connection is closed, the rest of the body unread. */
static void
lca_abandon(struct lca_http *h)
{
	fastcgi_abandon(h->fcgi, LCA_LINGER_MS);
	log_warn("path=%s: the body did not arrive within body_timeout "
	    "(%d s); connection closed", h->path, h->conf->body_timeout);
}

/* Reads the body, at most body_max bytes, within body_timeout: 0, or the
 * HTTP status, with its text in *why. */
static int
lca_read_body(struct lca_http *h, unsigned char **body, size_t *len,
    const char **why)
{
	switch (fastcgi_read_body(h->fcgi, h->conf->body_max,
	    h->conf->body_timeout, body, len)) {
	case FASTCGI_BODY_OK:
		return 0;
	case FASTCGI_BODY_TOO_LARGE:
		*why = "request body too large";
		return 413;
	case FASTCGI_BODY_NOMEM:
		*why = "out of memory";
		return 500;
	case FASTCGI_BODY_TIMEOUT:
		*why = "the body did not arrive in time";
		return 408;
	default:
		*why = "bad Content-Length";
		return 400;
	}
}

static lca_handler
lca_handler_of(enum lca_route route)
{
	switch (route) {
	case LCA_ROUTE_ISSUE: return lca_h_issue;
	case LCA_ROUTE_RENEW: return lca_h_renew;
	case LCA_ROUTE_REVOKE: return lca_h_revoke;
	case LCA_ROUTE_CA_CERTS: return lca_h_ca_certs;
	case LCA_ROUTE_CRL: return lca_h_crl;
	case LCA_ROUTE_LOOKUP: return lca_h_lookup;
	case LCA_ROUTE_ROOT_UPDATE: return lca_h_root_update;
	default: return NULL;
	}
}

/* The path as logged: printable ASCII, cut. */
static void
lca_log_path(const char *uri, char *out, size_t n)
{
	size_t i;

	if (uri == NULL)
		uri = "-";
	for (i = 0; uri[i] != '\0' && i + 1 < n; i++)
		out[i] = uri[i] > ' ' && uri[i] < 0x7f ? uri[i] : '?';
	out[i] = '\0';
}

static const char *
lca_outcome(int status)
{
	switch (status) {
	case 200: return "ok";
	case 202: return "pending";
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 408: return "timeout";
	case 409: return "conflict";
	case 413: return "too_large";
	case 422: return "invalid";
	case 503: return "unavailable";
	default: return "internal";
	}
}

/* ------------------------------------------------ caller authentication */

/*
 * What a caller must show, kept as SHA-256 digests: the comparison runs
 * over equal-length digests in constant time (CRYPTO_memcmp), so neither
 * the secret's length nor a matching prefix shows in the timing.
 */
static struct {
	int	 basic;
	unsigned char basic_md[SHA256_DIGEST_LENGTH];	/* "user:password" */
	int	 apikey;
	unsigned char key_md[SHA256_DIGEST_LENGTH];
	char	 key_param[5 + LCA_HEADER_NAME_MAX + 1];	/* HTTP_X_API_KEY */
	const char *remote_user;
	char	 challenge[256];	/* WWW-Authenticate header line */
} lca_auth;

/* The first line of a secret file, hashed with prefix in front of it. */
static int
lca_auth_file(const char *path, const char *prefix, unsigned char *md,
    char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t len = 0, n;
	int r = -1;

	if (util_read_file(path, LCA_SECRET_MAX, &buf, &len) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    errno == EFBIG ? "file too large" : strerror(errno));
		goto out;
	}
	for (n = 0; n < len && buf[n] != '\n' && buf[n] != '\r' &&
	    buf[n] != '\0'; n++)
		;
	if (n == 0) {
		snprintf(err, errlen, "%s: the first line is empty", path);
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, prefix, strlen(prefix)) ||
	    !EVP_DigestUpdate(ctx, buf, n) ||
	    !EVP_DigestFinal_ex(ctx, md, NULL)) {
		snprintf(err, errlen, "%s: cannot hash it", path);
		goto out;
	}
	r = 0;
 out:
	EVP_MD_CTX_free(ctx);
	if (buf != NULL)
		OPENSSL_clear_free(buf, len);
	return r;
}

/* Reads the secrets the configuration names; once, at start-up. */
int
lca_auth_load(const struct lca_conf *c, char *err, size_t errlen)
{
	char prefix[512];
	size_t i, o;

	memset(&lca_auth, 0, sizeof(lca_auth));
	if (c->auth_user != NULL) {
		if (snprintf(prefix, sizeof(prefix), "%s:", c->auth_user) >=
		    (int)sizeof(prefix)) {
			snprintf(err, errlen, "auth_user: too long");
			return -1;
		}
		if (lca_auth_file(c->auth_password_file, prefix,
		    lca_auth.basic_md, err, errlen) != 0)
			return -1;
		lca_auth.basic = 1;
	}
	if (c->api_key_file != NULL) {
		if (lca_auth_file(c->api_key_file, "", lca_auth.key_md, err,
		    errlen) != 0)
			return -1;
		/* CGI/1.1 (RFC 3875 4.1.18): HTTP_, upper case, '-' -> '_' */
		memcpy(lca_auth.key_param, "HTTP_", 5);
		for (i = 0, o = 5; c->api_key_header[i] != '\0'; i++, o++)
			lca_auth.key_param[o] = c->api_key_header[i] == '-' ?
			    '_' : (char)toupper((unsigned char)
			    c->api_key_header[i]);
		lca_auth.key_param[o] = '\0';
		lca_auth.apikey = 1;
	}
	lca_auth.remote_user = c->auth_remote_user;
	/* RFC 9110 11.6.1: a 401 carries at least one challenge. */
	if (lca_auth.basic)
		snprintf(lca_auth.challenge, sizeof(lca_auth.challenge),
		    "WWW-Authenticate: Basic realm=\"cmp-localca\", "
		    "charset=\"UTF-8\"\r\n");
	else if (lca_auth.apikey)
		snprintf(lca_auth.challenge, sizeof(lca_auth.challenge),
		    "WWW-Authenticate: ApiKey realm=\"cmp-localca\", "
		    "header=\"%s\"\r\n", c->api_key_header);
	else
		snprintf(lca_auth.challenge, sizeof(lca_auth.challenge),
		    "WWW-Authenticate: Basic realm=\"cmp-localca\"\r\n");
	return 0;
}

/* SHA-256 of s (len bytes) equals md, compared in constant time. */
static int
lca_auth_match(const void *s, size_t len, const unsigned char *md)
{
	unsigned char got[SHA256_DIGEST_LENGTH];
	int ok;

	if (!EVP_Digest(s, len, got, NULL, EVP_sha256(), NULL))
		return 0;
	ok = CRYPTO_memcmp(got, md, sizeof(got)) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

/* "Basic <base64 of user:password>" (RFC 7617 2). */
static int
lca_auth_basic(const char *h)
{
	unsigned char *dec = NULL;
	size_t len, pad = 0;
	int n, ok = 0;

	if (h == NULL || strncasecmp(h, "Basic ", 6) != 0)
		return 0;
	for (h += 6; *h == ' '; h++)
		;
	len = strlen(h);
	if (len == 0 || len > LCA_AUTHZ_MAX || len % 4 != 0 ||
	    strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/=") != len)
		return 0;
	while (pad < 2 && h[len - 1 - pad] == '=')
		pad++;
	if ((dec = malloc(len / 4 * 3 + 1)) == NULL)
		return 0;
	n = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)len);
	if (n >= (int)pad)
		ok = lca_auth_match(dec, (size_t)n - pad, lca_auth.basic_md);
	OPENSSL_clear_free(dec, len / 4 * 3 + 1);
	return ok;
}

/*
 * Whether the caller showed one of the configured credentials: HTTP
 * basic, the API key header, or (only when configured) the REMOTE_USER
 * the web server authenticated. Nothing of what was sent is logged.
 */
static int
lca_authenticate(FCGX_Request *rq)
{
	const char *v;

	if (lca_auth.basic &&
	    lca_auth_basic(FCGX_GetParam("HTTP_AUTHORIZATION", rq->envp)))
		return 1;
	if (lca_auth.apikey &&
	    (v = FCGX_GetParam(lca_auth.key_param, rq->envp)) != NULL &&
	    strlen(v) <= LCA_SECRET_MAX &&
	    lca_auth_match(v, strlen(v), lca_auth.key_md))
		return 1;
	if (lca_auth.remote_user != NULL &&
	    (v = FCGX_GetParam("REMOTE_USER", rq->envp)) != NULL &&
	    strcmp(v, lca_auth.remote_user) == 0)
		return 1;
	return 0;
}

static void
lca_serve(FCGX_Request *rq, const struct lca_conf *c, const struct lca_ca *ca)
{
	struct lca_http h;
	struct lca_err e;
	unsigned char *body = NULL;
	json_object *in = NULL, *out = NULL;
	const char *uri, *m, *why = NULL;
	size_t len = 0;
	int st;

	memset(&h, 0, sizeof(h));
	memset(&e, 0, sizeof(e));
	clock_gettime(CLOCK_MONOTONIC, &h.start);
	fastcgi_body_deadline(rq, c->body_timeout);
	h.fcgi = rq;
	h.conf = c;
	h.ca = ca;
	h.method = FCGX_GetParam("REQUEST_METHOD", rq->envp);
	if ((uri = FCGX_GetParam("REQUEST_URI", rq->envp)) == NULL)
		uri = FCGX_GetParam("SCRIPT_NAME", rq->envp);
	lca_log_path(uri, h.path, sizeof(h.path));

	if (!lca_authenticate(rq)) {
		lca_send_error(&h, 401, "authentication required",
		    lca_auth.challenge);
		goto out;
	}
	h.route = lca_route_parse(uri, h.authority, sizeof(h.authority));
	if (h.route == LCA_ROUTE_NONE) {
		lca_send_error(&h, 404, "not found", NULL);
		goto out;
	}
	if (h.method == NULL || strcmp(h.method, "POST") != 0) {
		lca_send_error(&h, 405, "method not allowed",
		    "Allow: POST\r\n");
		goto out;
	}
	if (c->authority_uuid != NULL &&
	    strcasecmp(h.authority, c->authority_uuid) != 0) {
		lca_send_error(&h, 404, "unknown authority", NULL);
		goto out;
	}
	if ((st = lca_read_body(&h, &body, &len, &why)) != 0) {
		lca_send_error(&h, st, why, NULL);
		if (st == 408)
			lca_abandon(&h);
		goto out;
	}
	if (lca_json_parse(body, len, &in, &e) != 0 ||
	    lca_handler_of(h.route)(&h, in, &out, &e) != 0) {
		if (e.http == 0)
			lca_fail(&e, 500, "internal error");
		lca_send_error(&h, e.http, e.msg, NULL);
		goto out;
	}
	if (out != NULL)
		lca_send_json(&h, h.reply_status != 0 ? h.reply_status : 200,
		    out, NULL);
	else
		lca_send(&h, 200, "", 0, NULL);
 out:
	/* Read what is left so the web server is not cut off mid-send. */
	if (!rq->detached &&
	    fastcgi_drain(rq, LCA_DRAIN_MAX, c->body_timeout) != 0)
		lca_abandon(&h);
	m = h.method;
	if (m == NULL || strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(m) ||
	    strlen(m) > 16)
		m = "?";
	log_info("method=%s path=%s status=%d outcome=%s%s ms=%.2f", m,
	    h.path, h.status, lca_outcome(h.status), h.detail,
	    util_elapsed_ms(&h.start));
	json_object_put(in);
	json_object_put(out);
	free(body);
}

/* ------------------------------------------------------------- loop */

/*
 * Waits for a connection or a stop signal. Pending stop signals are also
 * taken explicitly: ppoll() that finds the socket readable returns
 * without running the handler.
 */
static int
lca_wait(int fd, const sigset_t *stop_set)
{
	static const struct timespec zero = { 0, 0 };
	struct pollfd pfd;
	sigset_t none;

	sigemptyset(&none);
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (ppoll(&pfd, 1, NULL, &none) < 0 && errno != EINTR)
		return -1;
	if (sigtimedwait(stop_set, NULL, &zero) > 0)
		lca_stop = 1;
	return 0;
}

/*
 * One request at a time until a stop signal: 0, or 1 when waiting or
 * accepting failed.
 */
int
lca_loop(FCGX_Request *rq, int fd, const sigset_t *stop_set,
    const struct lca_conf *c, const struct lca_ca *ca)
{
	int rc, status = 0;

	while (!lca_stop) {
		if (lca_wait(fd, stop_set) != 0) {
			log_error("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (lca_stop)
			break;
		if (lca_reopen) {
			lca_reopen = 0;
			log_reopen();
			log_info("log_file reopened");
		}
		rc = fastcgi_accept(rq);
		if (rc < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK ||
			    rc == -EINTR || rc == -ECONNABORTED)
				continue;
			log_error("FCGX_Accept_r: %s", strerror(-rc));
			status = 1;
			break;
		}
		lca_serve(rq, c, ca);
		fastcgi_finish(rq);	/* and its connection */
		ERR_clear_error();
	}
	return status;
}
