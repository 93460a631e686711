/*
 * The HTTP side of one FastCGI request (RFC 6712 / RFC 9811): route,
 * method, content type, body size, then the CMP answer. Plain HTTP errors
 * only where no PKIMessage can be formed (DESIGN "HTTP surface").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcgiapp.h>
#include <openssl/crypto.h>

#include "api.h"
#include "conn.h"
#include "fastcgi.h"
#include "jsoncheck.h"

#define HTTP_DRAIN_MAX	(64 * 1024 * 1024)	/* read and drop at most */
#define HTTP_LINGER_MS	1000	/* out of time: the answer's way out */
#define HEALTH_CONNECTORS_MAX	8	/* probed by one /health check */
#define HEALTH_CACHE_MS		10000	/* a worker reuses its probe results */
#define HEALTH_DB_PROBE_MS	800	/* the database endpoints, all at once */

struct http_req {
	FCGX_Request *fcgi;
	const struct conf *conf;
	char	 rid[48];
	const char *method;
	const char *uri;
	struct route route;
	struct timespec start;
	int	 status;
	const char *outcome;
	struct cmp_result cmp;
};

static const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 409: return "Conflict";
	case 422: return "Unprocessable Entity";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* snprintf's result as a length within a buffer of n bytes. */
static int
http_fmt_len(int ret, size_t n)
{
	if (ret < 0)
		return 0;
	return (size_t)ret < n ? ret : (int)n - 1;
}

static void
http_send(struct http_req *r, int status, const char *ctype,
    const unsigned char *body, size_t len, const char *extra_header)
{
	FCGX_Stream *out = r->fcgi->out;
	char hdr[512];
	int n;

	r->status = status;
	/* libfcgi's own printf lacks %zu: format here. No answer is a page:
	 * a browser neither guesses another type for it (management API
	 * answers carry what clients sent: subjects, names) nor runs or
	 * frames anything in it. */
	n = snprintf(hdr, sizeof(hdr), "Status: %d %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nCache-Control: no-store\r\n"
	    "X-Content-Type-Options: nosniff\r\n"
	    "Content-Security-Policy: default-src 'none'; "
	    "frame-ancestors 'none'\r\n"
	    "X-Request-Id: %s\r\n%s\r\n", status, http_reason(status), ctype,
	    len, r->rid, extra_header != NULL ? extra_header : "");
	FCGX_PutStr(hdr, http_fmt_len(n, sizeof(hdr)), out);
	if (len > 0)
		FCGX_PutStr((const char *)body, (int)len, out);
}

/* A plain HTTP error; outcome is its stable name in the request log. */
static void
http_send_text(struct http_req *r, int status, const char *outcome,
    const char *msg, const char *extra_header)
{
	char buf[256];
	int n;

	n = snprintf(buf, sizeof(buf), "%d %s: %s\n", status,
	    http_reason(status), msg);
	http_send(r, status, "text/plain; charset=utf-8",
	    (const unsigned char *)buf, (size_t)http_fmt_len(n, sizeof(buf)),
	    extra_header);
	r->outcome = outcome;
}

/* The media type want, any case, parameters allowed (RFC 6712 3.4 for
 * application/pkixcmp; application/json for the management API). */
static int
http_ctype_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* Out of time for the body (fastcgi.c), the answer written: the
 * connection is closed, the rest of the body unread. */
static void
http_abandon(struct http_req *r)
{
	fastcgi_abandon(r->fcgi, HTTP_LINGER_MS);
	log_warn("request %s: the body did not arrive within body_timeout "
	    "(%d s); connection closed", r->rid, r->conf->body_timeout);
}

/* Reads and drops what is left of the body, up to HTTP_DRAIN_MAX and
 * until body_timeout. */
static void
http_drain(struct http_req *r)
{
	if (fastcgi_drain(r->fcgi, HTTP_DRAIN_MAX, r->conf->body_timeout) != 0)
		http_abandon(r);
}

/* Reads the body, at most body_max bytes, within body_timeout. */
static enum fastcgi_body
http_read_body(struct http_req *r, unsigned char **body, size_t *len)
{
	return fastcgi_read_body(r->fcgi, r->conf->body_max,
	    r->conf->body_timeout, body, len);
}

/* The method as logged: a token of capitals, anything else as "?". */
static const char *
http_log_method(const char *m)
{
	size_t n;

	if (m == NULL)
		return "-";
	n = strspn(m, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	return n > 0 && n <= 16 && m[n] == '\0' ? m : "?";
}

static void
http_log(struct http_req *r)
{
	const char *req_body = "-", *rsp_body = "-";
	char actor[2 * sizeof(r->route.name) + 3];
	size_t n;

	if (r->route.kind == ROUTE_HEALTH || r->route.kind == ROUTE_METRICS) {
		log_info("rid=%s route=%s method=%s status=%d outcome=%s "
		    "ms=%.2f", r->rid, route_kind_name(r->route.kind),
		    http_log_method(r->method), r->status, r->outcome != NULL ?
		    r->outcome : "-", util_elapsed_ms(&r->start));
		return;
	}
	if (r->route.kind == ROUTE_API) {
		/* the path names objects, never secrets (keys go in headers);
		 * printable ASCII only, at most 256 bytes */
		for (n = 0; n < 256 && r->uri[n] > ' ' && r->uri[n] < 0x7f &&
		    r->uri[n] != '?' && r->uri[n] != '#'; n++)
			;
		log_info("rid=%s route=api method=%s path=%.*s status=%d "
		    "actor=%s outcome=%s ms=%.2f", r->rid,
		    http_log_method(r->method), (int)n, r->uri, r->status,
		    util_log_field(r->route.name, actor, sizeof(actor)),
		    r->outcome != NULL ? r->outcome : "-",
		    util_elapsed_ms(&r->start));
		return;
	}
	if (r->cmp.req_type >= 0)
		req_body = cmp_asn1_body_name(r->cmp.req_type);
	if (r->cmp.rsp_type >= 0)
		rsp_body = cmp_asn1_body_name(r->cmp.rsp_type);
	/* an RFC 9811 operation label after the name: route=KIND/NAME/LABEL */
	log_info("rid=%s route=%s/%s%s%s method=%s status=%d body=%s->%s "
	    "tid=%s outcome=%s ms=%.2f", r->rid, route_kind_name(r->route.kind),
	    r->route.kind != ROUTE_NONE ? r->route.name : "-",
	    r->route.label != LABEL_NONE ? "/" : "",
	    route_label_name(r->route.label),
	    http_log_method(r->method), r->status, req_body, rsp_body,
	    r->cmp.tid_hex[0] != '\0' ? r->cmp.tid_hex : "-",
	    r->outcome != NULL ? r->outcome : "-", util_elapsed_ms(&r->start));
}

/* A REMOTE_USER fit for log lines and audit rows: printable ASCII. */
static int
http_user_valid(const char *u, size_t max)
{
	size_t n;

	for (n = 0; u[n] != '\0'; n++)
		if (n >= max || u[n] < 0x20 || u[n] > 0x7e)
			return 0;
	return n > 0;
}

/*
 * Who calls: an API key (Authorization: Bearer, or X-API-Key), or, when
 * the configuration trusts it, the web server's REMOTE_USER. 0 with the
 * call's actor and role, -1 (401), or -2 (the database did not answer).
 */
static int
http_api_auth(struct http_req *r, struct api_call *c)
{
	const char *authz = FCGX_GetParam("HTTP_AUTHORIZATION", r->fcgi->envp);
	const char *key = FCGX_GetParam("HTTP_X_API_KEY", r->fcgi->envp);
	const char *user = FCGX_GetParam("REMOTE_USER", r->fcgi->envp);

	if (authz != NULL && strncasecmp(authz, "Bearer ", 7) == 0) {
		key = authz + 7;
		while (*key == ' ')
			key++;
	}
	if (key != NULL)
		return api_auth_key(key, c->actor, sizeof(c->actor), &c->role);
	if (r->conf->api_remote_user != API_ROLE_NONE && user != NULL &&
	    http_user_valid(user, sizeof(c->actor) - 12)) {
		snprintf(c->actor, sizeof(c->actor), "remoteUser:%s", user);
		c->role = (enum api_role)r->conf->api_remote_user;
		return 0;
	}
	return -1;
}

/* A client on this host: 127.0.0.0/8, ::1, or IPv4-mapped 127/8. */
static int
http_addr_loopback(const char *a)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, a, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, a, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

/*
 * The management API's keys travel in the request: over plain HTTP only
 * from this host, unless api_plain_http = any (a proxy that ended TLS on
 * the way, on a network of its own). HTTPS is what the web server says
 * of the client's connection; a FastCGI client that names no
 * REMOTE_ADDR is on this host, at the socket.
 */
static int
http_api_transport_ok(const struct http_req *r)
{
	const char *https = FCGX_GetParam("HTTPS", r->fcgi->envp);
	const char *addr = FCGX_GetParam("REMOTE_ADDR", r->fcgi->envp);

	return (https != NULL && strcasecmp(https, "on") == 0) ||
	    r->conf->api_plain_http_any || addr == NULL ||
	    http_addr_loopback(addr);
}

/* The scheme and host for cmpUrl: public_url, or what the request says. */
static void
http_base_url(struct http_req *r, char *buf, size_t n)
{
	const char *host = FCGX_GetParam("HTTP_HOST", r->fcgi->envp);
	const char *https = FCGX_GetParam("HTTPS", r->fcgi->envp);

	if (r->conf->public_url != NULL)
		snprintf(buf, n, "%s", r->conf->public_url);
	else if (host != NULL && strcspn(host, "/\"<>\\ ") == strlen(host))
		snprintf(buf, n, "%s://%s", https != NULL &&
		    strcasecmp(https, "on") == 0 ? "https" : "http", host);
	else
		buf[0] = '\0';
}

/* A management API request: JSON in, JSON out. */
static void
http_api(struct http_req *r)
{
	struct api_call c;
	unsigned char *body = NULL;
	const char *q, *text;
	char path[1024], base[512], why[160];
	size_t len = 0, plen;
	int rc, known = 0, late = 0;

	memset(&c, 0, sizeof(c));
	c.conf = r->conf;
	c.method = r->method;
	/* the path below /api/v1, without the query */
	plen = strcspn(r->uri + 7, "?#");
	if (plen >= sizeof(path)) {
		http_send_text(r, 404, "HTTP_NO_ROUTE", "no such route", NULL);
		return;
	}
	memcpy(path, r->uri + 7, plen);
	path[plen] = '\0';
	c.path = path;
	q = strchr(r->uri, '?');
	c.query = q != NULL ? q + 1 : NULL;
	http_base_url(r, base, sizeof(base));
	c.base_url = base;
	if (!(known = api_path_known(path))) {
		api_fail(&c, 404, "no such resource");
		goto answer;
	}
	if (!http_api_transport_ok(r)) {
		api_fail(&c, 403, "the management API answers over https:// "
		    "only, or over plain http:// to this host "
		    "(api_plain_http): an API key sent in the clear is "
		    "anyone's");
		goto answer;
	}
	if ((rc = http_api_auth(r, &c)) != 0) {
		if (rc == -2)
			api_fail(&c, 503, "the database is not available");
		else
			api_fail(&c, 401, "a valid API key is needed "
			    "(Authorization: Bearer, or X-API-Key)");
		goto answer;
	}
	switch (http_read_body(r, &body, &len)) {
	case FASTCGI_BODY_OK:
		break;
	case FASTCGI_BODY_TOO_LARGE:
		api_fail(&c, 413, "body too large");
		goto answer;
	case FASTCGI_BODY_NOMEM:
		api_fail(&c, 500, "out of memory");
		goto answer;
	case FASTCGI_BODY_TIMEOUT:
		api_fail(&c, 408, "the body did not arrive in time");
		late = 1;	/* closed once answered */
		goto answer;
	default:
		api_fail(&c, 400, "body shorter than Content-Length");
		goto answer;
	}
	if (len > 0) {
		if (!http_ctype_is(FCGX_GetParam("CONTENT_TYPE",
		    r->fcgi->envp), "application/json")) {
			api_fail(&c, 415, "Content-Type must be "
			    "application/json");
			goto answer;
		}
		body[len] = '\0';
		rc = jsoncheck_parse_why((const char *)body, len,
		    API_JSON_DEPTH, &c.body, why, sizeof(why));
		if (rc != PARSE_OK) {
			if (rc == PARSE_ERR)
				api_fail(&c, 500, "out of memory");
			else
				api_fail(&c, 400, "the body %s", why);
			goto answer;
		}
	}
	api_dispatch(&c);
 answer:
	r->outcome = c.status < 300 ? "API_OK" : !known ? "HTTP_NO_ROUTE" :
	    c.status < 500 ?
	    "API_REFUSED" : "API_ERROR";
	snprintf(r->route.name, sizeof(r->route.name), "%s", c.actor[0] != '\0' ?
	    c.actor : "-");
	if (c.answer == NULL) {
		http_send(r, c.status, "application/json", NULL, 0, NULL);
	} else {
		text = json_object_to_json_string_ext(c.answer,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (text == NULL)
			http_send_text(r, 500, "API_ERROR", "out of memory",
			    NULL);
		else
			http_send(r, c.status, "application/json",
			    (const unsigned char *)text, strlen(text),
			    c.status == 401 ? "WWW-Authenticate: Bearer\r\n" :
			    NULL);
	}
	/* a body refused unread (401, 404, 415) is drained as a CMP one */
	if (late)
		http_abandon(r);
	else if (!r->fcgi->detached)
		http_drain(r);
	/* bodies carry secrets (shared secrets, keys, credentials) */
	api_json_free(c.body);
	api_call_free(&c);
	if (body != NULL)
		OPENSSL_clear_free(body, len + 1);
}

/* GET /metrics: the counters of every worker; no database needed. */
static void
http_metrics(struct http_req *r)
{
	char *text;
	size_t len;

	if ((text = metrics_render(r->conf, &len)) == NULL) {
		http_send_text(r, 500, "HTTP_NOMEM", "out of memory", NULL);
		return;
	}
	http_send(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    (const unsigned char *)text, len, NULL);
	r->outcome = "METRICS_OK";
	free(text);
}

/* The connectors that enabled CMP Profiles reach through their RA
 * Profiles (the default one, and those that enabled CMP with it);
 * LIMIT is HEALTH_CONNECTORS_MAX. */
static const char sql_health_connectors[] =
	"SELECT DISTINCT c.url FROM cmp_profile p"
	" JOIN ra_profile r ON r.uuid = p.default_ra_profile_uuid"
	" OR r.cmp_profile_uuid = p.uuid"
	" JOIN authority a ON a.uuid = r.authority_uuid"
	" JOIN connector c ON c.uuid = a.connector_uuid"
	" WHERE p.enabled = 1 AND r.enabled = 1 ORDER BY c.url LIMIT 8";
static const char sql_health_ping[] = "SELECT 1";

struct health_urls {
	char	 url[HEALTH_CONNECTORS_MAX][PROFILE_URL_MAX + 1];
	size_t	 n;
};

static int
http_health_url(struct db_col *c, size_t ncols, void *arg)
{
	struct health_urls *u = arg;

	(void)ncols;
	if (u->n >= HEALTH_CONNECTORS_MAX)
		return 1;
	/* A longer one is no URL conn.c takes: "" counts as unreachable. */
	if (c[0].len <= PROFILE_URL_MAX)
		snprintf(u->url[u->n], sizeof(u->url[u->n]), "%s",
		    (const char *)c[0].buf);
	u->n++;
	return 0;
}

/*
 * How many connectors were probed and how many answered. Probing them
 * all takes up to 0.8 s (conn_probe_all), so a worker keeps its result
 * for HEALTH_CACHE_MS. -1 if the database did not list them.
 */
static int
http_health_connectors(int *checked, int *reachable)
{
	static struct {
		int	 valid, checked, reachable;
		struct timespec at;
	} cache;
	static struct health_urls urls;
	char buf[4 * PROFILE_URL_MAX + 1], *each[HEALTH_CONNECTORS_MAX];
	struct db_col col;
	size_t i, nrows;
	int n;

	if (cache.valid && util_elapsed_ms(&cache.at) < HEALTH_CACHE_MS) {
		*checked = cache.checked;
		*reachable = cache.reachable;
		return 0;
	}
	memset(&col, 0, sizeof(col));
	col.type = DB_STR;
	col.buf = buf;
	col.n = sizeof(buf);
	urls.n = 0;
	if (db_query(sql_health_connectors, NULL, 0, &col, 1,
	    HEALTH_CONNECTORS_MAX, http_health_url, &urls, &nrows) != DB_OK)
		return -1;
	for (i = 0; i < urls.n; i++)
		each[i] = urls.url[i];
	cache.checked = (int)urls.n;
	cache.reachable = (n = conn_probe_all(each, urls.n)) > 0 ? n : 0;
	clock_gettime(CLOCK_MONOTONIC, &cache.at);
	cache.valid = 1;
	*checked = cache.checked;
	*reachable = cache.reachable;
	return 0;
}

/*
 * The database endpoints as JSON: each with its status ("up", "down")
 * and whether this worker's connection uses it. The current one's status
 * is the ping's; the others are probed on connections of their own, all
 * at once within HEALTH_DB_PROBE_MS, and a worker keeps their results for
 * HEALTH_CACHE_MS.
 */
static void
http_health_endpoints(int db_ok, char *buf, size_t n)
{
	static struct {
		int	 valid;
		unsigned char up[DB_HOSTS_MAX];
		struct timespec at;
	} cache;
	const struct db_login *l = db_login_get();
	char name[DB_HOST_MAX + 16];
	unsigned char want[DB_HOSTS_MAX];
	size_t i, cur, cnt, len = 0;
	int connected, galera, up, probe;

	buf[0] = '\0';
	if (l == NULL)
		return;
	cnt = l->n > 0 ? l->n : 1;
	cur = db_endpoint_current(&connected, &galera);
	if (!cache.valid || util_elapsed_ms(&cache.at) >= HEALTH_CACHE_MS) {
		memset(cache.up, 0, sizeof(cache.up));
		clock_gettime(CLOCK_MONOTONIC, &cache.at);
		cache.valid = 1;
	}
	/* 0: not probed since the cache began (it was the current one) */
	for (i = 0, probe = 0; i < cnt; i++)
		probe += want[i] = cache.up[i] == 0 && !(i == cur && connected);
	if (probe > 0)
		db_probe(want, cache.up, cnt, HEALTH_DB_PROBE_MS);
	len = (size_t)http_fmt_len(snprintf(buf, n, ",\"galera\":%s,"
	    "\"databaseEndpoints\":[", galera ? "true" : "false"), n);
	for (i = 0; i < cnt && len < n; i++) {
		up = i == cur && connected ? db_ok : cache.up[i] == 1;
		db_endpoint_name(l, i, name, sizeof(name));
		len += (size_t)http_fmt_len(snprintf(buf + len, n - len,
		    "%s{\"endpoint\":\"%s\",\"status\":\"%s\","
		    "\"current\":%s}", i > 0 ? "," : "", name,
		    up ? "up" : "down", i == cur && connected ? "true" :
		    "false"), n - len);
	}
	if (len < n)
		snprintf(buf + len, n - len, "]");
}

/*
 * GET /health: 200 while the database answers ("degraded" when a
 * connector does not), 503 otherwise. Only counts, and the database
 * endpoints of the configuration: no URL, no name of a profile.
 */
static void
http_health(struct http_req *r)
{
	struct db_col col;
	const char *status;
	char buf[DB_HOSTS_MAX * (DB_HOST_MAX + 80) + 256];
	char eps[DB_HOSTS_MAX * (DB_HOST_MAX + 80) + 64];
	int n, db_ok, checked = 0, reachable = 0;

	memset(&col, 0, sizeof(col));
	col.type = DB_INT;
	db_ok = db_run(sql_health_ping, NULL, 0, &col, 1, NULL) == DB_OK;
	if (db_ok && http_health_connectors(&checked, &reachable) != 0)
		checked = reachable = 0;
	http_health_endpoints(db_ok, eps, sizeof(eps));
	if (!db_ok) {
		status = "down";
		r->outcome = "HEALTH_DOWN";
	} else if (reachable < checked) {
		status = "degraded";
		r->outcome = "HEALTH_DEGRADED";
	} else {
		status = "ok";
		r->outcome = "HEALTH_OK";
	}
	n = snprintf(buf, sizeof(buf), "{\"status\":\"%s\",\"database\":"
	    "\"%s\",\"connectors\":{\"checked\":%d,\"reachable\":%d}%s}",
	    status, db_ok ? "ok" : "unreachable", checked, reachable, eps);
	http_send(r, db_ok ? 200 : 503, "application/json",
	    (const unsigned char *)buf, (size_t)http_fmt_len(n, sizeof(buf)),
	    NULL);
}

int
http_serve(void *fcgx_request, const struct conf *c, unsigned long seq)
{
	struct http_req r;
	unsigned char *body = NULL;
	size_t len = 0;

	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_MONOTONIC, &r.start);
	r.fcgi = fcgx_request;
	r.conf = c;
	fastcgi_body_deadline(r.fcgi, c->body_timeout);
	r.cmp.req_type = r.cmp.rsp_type = -1;
	snprintf(r.rid, sizeof(r.rid), "%ld-%lu", (long)getpid(), seq);
	r.method = FCGX_GetParam("REQUEST_METHOD", r.fcgi->envp);
	r.uri = FCGX_GetParam("REQUEST_URI", r.fcgi->envp);
	if (r.uri == NULL)
		r.uri = FCGX_GetParam("SCRIPT_NAME", r.fcgi->envp);

	if (route_parse(r.uri, &r.route) != 0) {
		/* /api/v1/protocols/ is CMP's: a bad name there is no API */
		if (r.uri != NULL && strncmp(r.uri, "/api/v1/", 8) == 0 &&
		    strncmp(r.uri, "/api/v1/protocols/", 18) != 0 &&
		    r.method != NULL) {
			r.route.kind = ROUTE_API;
			http_api(&r);
			goto out;
		}
		http_send_text(&r, 404, "HTTP_NO_ROUTE", "no such route", NULL);
		goto out;
	}
	if (r.route.kind == ROUTE_HEALTH || r.route.kind == ROUTE_METRICS) {
		if (r.method == NULL || strcmp(r.method, "GET") != 0)
			http_send_text(&r, 405, "HTTP_METHOD", "only GET",
			    "Allow: GET\r\n");
		else if (r.route.kind == ROUTE_HEALTH)
			http_health(&r);
		else
			http_metrics(&r);
		goto out;
	}
	if (r.method == NULL || strcmp(r.method, "POST") != 0) {
		http_send_text(&r, 405, "HTTP_METHOD", "CMP requests are "
		    "POSTed", "Allow: POST\r\n");
		goto out;
	}
	if (!http_ctype_is(FCGX_GetParam("CONTENT_TYPE", r.fcgi->envp),
	    "application/pkixcmp")) {
		http_send_text(&r, 415, "HTTP_CONTENT_TYPE", "Content-Type "
		    "must be application/pkixcmp", NULL);
		goto out;
	}
	switch (http_read_body(&r, &body, &len)) {
	case FASTCGI_BODY_OK:
		break;
	case FASTCGI_BODY_TOO_LARGE:
		http_send_text(&r, 413, "HTTP_TOO_LARGE", "body too large",
		    NULL);
		goto out;
	case FASTCGI_BODY_BAD_LENGTH:
		http_send_text(&r, 400, "HTTP_BAD_LENGTH", "Content-Length is "
		    "not a number", NULL);
		goto out;
	case FASTCGI_BODY_SHORT:
		http_send_text(&r, 400, "HTTP_SHORT_BODY", "body shorter than "
		    "Content-Length", NULL);
		goto out;
	case FASTCGI_BODY_NOMEM:
		http_send_text(&r, 500, "HTTP_NOMEM", "out of memory", NULL);
		goto out;
	case FASTCGI_BODY_TIMEOUT:
		http_send_text(&r, 408, "HTTP_TIMEOUT", "the body did not "
		    "arrive in time", NULL);
		http_abandon(&r);
		goto out;
	}
	cmp_request_handle(&r.route, body, len, &r.cmp);
	r.outcome = cmp_error_def(r.cmp.fail)->name;
	if (r.cmp.der == NULL)
		http_send_text(&r, 500, "HTTP_INTERNAL", "internal error", NULL);
	else
		http_send(&r, r.cmp.http_status, "application/pkixcmp",
		    r.cmp.der, r.cmp.der_len, NULL);
 out:
	/* Whatever of the body is left is read (up to a cap) so that the
	 * web server is not cut off while it still sends. */
	if (!r.fcgi->detached)
		http_drain(&r);
	http_log(&r);
	metrics_request(r.route.kind, r.cmp.req_type, r.outcome,
	    util_elapsed_ms(&r.start));
	cmp_request_result_free(&r.cmp);
	free(body);
	return r.status;
}
