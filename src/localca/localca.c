/*
 * cmp-localca - the reference authority provider connector.
 *
 *   cmp-localca [-fnv] [-c file]
 *
 * Serves the CZERTAINLY authority provider connector API (JSON over HTTP,
 * through a web server's FastCGI) over a CA kept in files: issue, renew
 * and revoke certificates, hand out the CA certificates and a CRL. It is
 * the CA behind cmpd's quick start and end-to-end tests. One process,
 * one request at a time.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "localca.h"
#include "jsoncheck.h"

#ifdef SYSCONFDIR
#define LCA_DEFAULT_CONF	SYSCONFDIR "/cmp-localca.conf"
#else
#define LCA_DEFAULT_CONF	"/etc/cmp-localca.conf"
#endif

#define LCA_LISTEN_BACKLOG	64
#define LCA_JSON_DEPTH		16	/* the API nests 4 deep at most */
#define LCA_URI_MAX		1024
#define LCA_LOG_PATH_MAX	160
#define LCA_AUTHORITY_MAX	64
#define LCA_DRAIN_MAX		(64 * 1024 * 1024)
#define LCA_HEADER_NAME_MAX	128
#define LCA_SECRET_MAX		1024	/* a password or API key file */
#define LCA_AUTHZ_MAX		4096	/* the Authorization header */

/* ------------------------------------------------------ configuration */

static int lca_conf_exts(void *, const char *, char *, size_t);
static int lca_conf_uuid(void *, const char *, char *, size_t);
static int lca_conf_default(char **, const char *);

#define K(n, t, f, lo, hi)	{ n, t, offsetof(struct lca_conf, f), lo, hi, \
	NULL, 0 }
#define C(n, fn, f, str)	{ n, CONF_CUSTOM, offsetof(struct lca_conf, f), \
	0, 0, fn, str }
static const struct conf_key conf_keys[] = {
	K("listen", CONF_STR, listen, 0, 0),
	K("listen_mode", CONF_MODE, listen_mode, 0, 0777),
	K("ca_dir", CONF_PATH, ca_dir, 0, 0),
	K("validity_days", CONF_LONG, validity_days, 1, 36500),
	C("allowed_extensions", lca_conf_exts, allowed_ext, 0),
	K("db_socket", CONF_PATH, db_socket, 0, 0),
	K("db_host", CONF_STR, db_host, 0, 0),
	K("db_port", CONF_INT, db_port, 0, 65535),
	K("db_user", CONF_STR, db_user, 0, 0),
	K("db_password_file", CONF_PATH, db_password_file, 0, 0),
	K("db_name", CONF_STR, db_name, 0, 0),
	C("authority_uuid", lca_conf_uuid, authority_uuid, 1),
	K("log_level", CONF_LOGLEVEL, log_level, 0, 0),
	K("body_max", CONF_SIZE, body_max, 1024, LCA_BODY_MAX_LIMIT),
	K("pid_file", CONF_PATH, pid_file, 0, 0),
	K("issue_delay_ms", CONF_LONG, issue_delay_ms, 0, 600000),
	K("auth_user", CONF_STR, auth_user, 0, 0),
	K("auth_password_file", CONF_PATH, auth_password_file, 0, 0),
	K("api_key_file", CONF_PATH, api_key_file, 0, 0),
	K("api_key_header", CONF_STR, api_key_header, 0, 0),
	K("auth_remote_user", CONF_STR, auth_remote_user, 0, 0),
};
#undef K

static void
lca_conf_init(struct lca_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_mode = 0660;
	c->validity_days = 365;
	c->allowed_ext = LCA_EXT_ALL;
	c->db_port = 3306;
	c->log_level = LOG_LVL_INFO;
	c->body_max = LCA_BODY_MAX_DEFAULT;
}

static void
lca_conf_free(struct lca_conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	c->path = NULL;
	conf_free_strings(conf_keys, NITEMS(conf_keys), c);
}

static char *
lca_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* 8-4-4-4-12 hexadecimal digits (RFC 9562 4). */
static int
lca_uuid_valid(const char *s)
{
	size_t i;

	if (strlen(s) != LCA_UUID_LEN)
		return 0;
	for (i = 0; i < LCA_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* "subjectAltName, keyUsage": names of lca_ca.c's copyable list. */
static int
lca_conf_exts(void *dst, const char *v, char *err, size_t errlen)
{
	unsigned int *out = dst;
	char buf[256], *s, *tok, *save = NULL;
	unsigned int bits = 0, bit;

	if (strlen(v) >= sizeof(buf)) {
		snprintf(err, errlen, "allowed_extensions: too long");
		return -1;
	}
	memcpy(buf, v, strlen(v) + 1);
	for (s = buf; (tok = strtok_r(s, ",", &save)) != NULL; s = NULL) {
		tok = lca_trim(tok);
		if (*tok == '\0')
			continue;
		if ((bit = lca_ca_ext_bit(tok)) == 0) {
			snprintf(err, errlen, "allowed_extensions: unknown "
			    "extension \"%.64s\" (subjectAltName, keyUsage, "
			    "extendedKeyUsage)", tok);
			return -1;
		}
		bits |= bit;
	}
	*out = bits;
	return 0;
}

static int
lca_conf_uuid(void *dst, const char *v, char *err, size_t errlen)
{
	char *copy;

	if (!lca_uuid_valid(v)) {
		snprintf(err, errlen, "authority_uuid: not a UUID");
		return -1;
	}
	if ((copy = strdup(v)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(*(char **)dst);
	*(char **)dst = copy;
	return 0;
}

static int
lca_conf_default(char **dst, const char *v)
{
	if (*dst != NULL)
		return 0;
	return (*dst = strdup(v)) != NULL ? 0 : -1;
}

/*
 * The caller authentication keys: the connector API issues and revokes
 * certificates, so it never serves anonymous callers.
 */
static int
lca_conf_auth(struct lca_conf *c, char *err, size_t errlen)
{
	static const char token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~";
	size_t n;

	if ((c->auth_user == NULL) != (c->auth_password_file == NULL)) {
		snprintf(err, errlen, "auth_user and auth_password_file go "
		    "together");
		return -1;
	}
	/* RFC 7617 2: the user-id cannot contain a colon. */
	if (c->auth_user != NULL && (c->auth_user[0] == '\0' ||
	    strchr(c->auth_user, ':') != NULL)) {
		snprintf(err, errlen, "auth_user: empty or with a colon");
		return -1;
	}
	if (c->api_key_file != NULL &&
	    lca_conf_default(&c->api_key_header, "X-API-Key") != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (c->api_key_header != NULL) {
		n = strlen(c->api_key_header);
		/* RFC 9110 5.6.2 token */
		if (n == 0 || n > LCA_HEADER_NAME_MAX ||
		    strspn(c->api_key_header, token) != n) {
			snprintf(err, errlen, "api_key_header: not a header "
			    "name");
			return -1;
		}
		if (c->api_key_file == NULL) {
			snprintf(err, errlen, "api_key_header without "
			    "api_key_file");
			return -1;
		}
	}
	if (c->auth_remote_user != NULL && c->auth_remote_user[0] == '\0') {
		snprintf(err, errlen, "auth_remote_user: empty");
		return -1;
	}
	if (c->auth_user == NULL && c->api_key_file == NULL &&
	    c->auth_remote_user == NULL) {
		snprintf(err, errlen, "no caller authentication: set "
		    "auth_user and auth_password_file, api_key_file, or "
		    "auth_remote_user");
		return -1;
	}
	return 0;
}

/* Cross-field checks and string defaults. */
static int
lca_conf_finish(struct lca_conf *c, char *err, size_t errlen)
{
	if (lca_conf_default(&c->listen, "inherit") != 0 ||
	    lca_conf_default(&c->db_name, "cmpd") != 0 ||
	    lca_conf_default(&c->db_user, "cmpd") != 0 ||
	    (c->db_socket == NULL &&
	    lca_conf_default(&c->db_host, "localhost") != 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (strcmp(c->listen, "inherit") != 0 && c->listen[0] != '/') {
		snprintf(err, errlen, "listen: expected an absolute socket "
		    "path or inherit");
		return -1;
	}
	if (c->ca_dir == NULL) {
		snprintf(err, errlen, "ca_dir: missing");
		return -1;
	}
	return lca_conf_auth(c, err, errlen);
}

static int
lca_conf_load(const char *path, struct lca_conf *c, char *err, size_t errlen)
{
	char msg[512];
	int r = -1;

	lca_conf_init(c);
	if ((c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (conf_read(path, conf_keys, NITEMS(conf_keys), c, err, errlen) != 0)
		goto out;
	if (lca_conf_finish(c, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	r = 0;
 out:
	if (r != 0) {
		lca_conf_free(c);
		lca_conf_init(c);
	}
	return r;
}

/* ------------------------------------------------------------ errors */

int
lca_fail(struct lca_err *e, int http, const char *fmt, ...)
{
	va_list ap;

	e->http = http;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------- process, signals */

static volatile sig_atomic_t lca_stop;

static void
lca_on_signal(int sig)
{
	(void)sig;
	lca_stop = 1;
}

/*
 * After FCGX_Init, which installs libfcgi's own SIGTERM/SIGUSR1/SIGPIPE
 * handlers. SIGTERM and SIGINT stay blocked but while we wait for a
 * connection, so a request in flight is always finished.
 */
static void
lca_signals(sigset_t *stop_set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = lca_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* a web server that hung up */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(stop_set);
	sigaddset(stop_set, SIGTERM);
	sigaddset(stop_set, SIGINT);
	sigprocmask(SIG_BLOCK, stop_set, NULL);
}

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

/* A stale socket is replaced; a live one is another process'. */

/* Non-blocking: lca_wait() decides when to accept. */
static int
lca_listen(const struct lca_conf *c)
{
	socklen_t len = sizeof(int);
	int fd, type;

	if (strcmp(c->listen, "inherit") == 0) {
		fd = STDIN_FILENO;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_STREAM)
			fatal("listen = inherit, but fd 0 is not a stream "
			    "socket");
	} else
		fd = util_listen_unix(c->listen, c->listen_mode,
		    LCA_LISTEN_BACKLOG);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl: %s", strerror(errno));
	return fd;
}

/* ----------------------------------------------------- one request */

enum lca_route {
	LCA_ROUTE_NONE = 0,
	LCA_ROUTE_ISSUE,
	LCA_ROUTE_RENEW,
	LCA_ROUTE_REVOKE,
	LCA_ROUTE_CA_CERTS,
	LCA_ROUTE_CRL,
	LCA_ROUTE_LOOKUP,
};

struct lca_http {
	FCGX_Request *fcgi;
	const struct lca_conf *conf;
	const struct lca_ca *ca;
	const char *method;
	char	 path[LCA_LOG_PATH_MAX];	/* printable, for the log */
	enum lca_route route;
	char	 authority[LCA_AUTHORITY_MAX + 1];
	struct timespec start;
	int	 status;
	char	 detail[LCA_MSG_MAX + 64];	/* the log line's tail */
};

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

/* Reads the body, at most body_max bytes: 0, or the HTTP status. */
static int
lca_read_body(struct lca_http *h, unsigned char **body, size_t *len)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", h->fcgi->envp);
	size_t max = h->conf->body_max, want, got = 0;
	unsigned char *buf;
	long declared = -1;
	int n;

	*body = NULL;
	*len = 0;
	if (cl != NULL && *cl != '\0' &&
	    util_parse_long(cl, 0, 0x7fffffffL, &declared) != 0)
		return 400;
	if (declared > (long)max)
		return 413;
	/* One byte more than allowed tells an over-long body apart. */
	want = declared >= 0 ? (size_t)declared : max + 1;
	if ((buf = malloc(want + 1)) == NULL)
		return 500;
	while (got < want) {
		n = FCGX_GetStr((char *)buf + got, (int)(want - got),
		    h->fcgi->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got > max) {
		free(buf);
		return 413;
	}
	if (declared >= 0 && got < (size_t)declared) {
		free(buf);
		return 400;
	}
	buf[got] = '\0';
	*body = buf;
	*len = got;
	return 0;
}

static void
lca_drain(FCGX_Stream *in)
{
	char buf[8192];
	size_t total = 0;
	int n;

	while (total < LCA_DRAIN_MAX &&
	    (n = FCGX_GetStr(buf, sizeof(buf), in)) > 0)
		total += (size_t)n;
}

/* ------------------------------------------------------ JSON helpers */

/*
 * The body: one JSON object (RFC 8259), nothing but white space after
 * it; strict mode refuses anything else after the value.
 */
static int
lca_json_parse(const unsigned char *body, size_t len, json_object **out,
    struct lca_err *e)
{
	enum json_tokener_error jerr;
	json_tokener *tok;
	json_object *o;
	char why[160];
	int r = -1, c;

	*out = NULL;
	if ((tok = json_tokener_new_ex(LCA_JSON_DEPTH)) == NULL)
		return lca_fail(e, 500, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success) {
		lca_fail(e, 422, "malformed JSON: %s",
		    jerr == json_tokener_continue ? "unexpected end" :
		    json_tokener_error_desc(jerr));
		goto out;
	}
	/* what json-c accepts but reads otherwise than it was sent */
	if ((c = jsoncheck_text((const char *)body, len, LCA_JSON_DEPTH, why,
	    sizeof(why))) != JSONCHECK_OK) {
		if (c == JSONCHECK_ERR)
			lca_fail(e, 500, "out of memory");
		else
			lca_fail(e, 422, "malformed JSON: the body %s", why);
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		lca_fail(e, 422, "request body must be a JSON object");
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

/* An optional member that must be a list when present (null: absent). */
static int
lca_json_list(json_object *in, const char *key, struct lca_err *e)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(in, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return lca_fail(e, 422, "%s must be a list", key);
	return 0;
}

static int
lca_json_lists(json_object *in, const char *const *keys, size_t n,
    struct lca_err *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lca_json_list(in, keys[i], e) != 0)
			return -1;
	return 0;
}

/* A required string member without NUL characters. */
static int
lca_json_string(json_object *in, const char *key, const char **out,
    struct lca_err *e)
{
	json_object *v = NULL;
	const char *s;

	*out = NULL;
	if (!json_object_object_get_ex(in, key, &v) || v == NULL)
		return lca_fail(e, 422, "%s is required", key);
	if (!json_object_is_type(v, json_type_string))
		return lca_fail(e, 422, "%s must be a string", key);
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return lca_fail(e, 422, "%s contains a NUL character", key);
	*out = s;
	return 0;
}

/* Adds val under key, taking it; fails on a NULL val (no memory). */
static int
lca_json_add(json_object *o, const char *key, json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add(o, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

/*
 * Standard base64 (RFC 4648 4), line breaks allowed; decoded by
 * libcrypto. The alphabet check only keeps the decoder from stopping
 * early at a '-', its PEM end marker.
 */
static int
lca_b64_decode(const char *s, const char *what, unsigned char **out,
    size_t *outlen, struct lca_err *e)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n";
	EVP_ENCODE_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	size_t len = strlen(s);
	int n = 0, fin = 0, r = -1;

	*out = NULL;
	*outlen = 0;
	if (len == 0) {
		lca_fail(e, 422, "%s is empty", what);
		goto out;
	}
	if (strspn(s, alphabet) != len || len > INT_MAX) {
		lca_fail(e, 422, "%s is not valid base64", what);
		goto out;
	}
	if ((buf = malloc(len / 4 * 3 + 80)) == NULL ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)s,
	    (int)len) < 0 || EVP_DecodeFinal(ctx, buf + n, &fin) < 0) {
		lca_fail(e, 422, "%s is not valid base64", what);
		goto out;
	}
	if (n + fin == 0) {
		lca_fail(e, 422, "%s is empty", what);
		goto out;
	}
	*out = buf;
	*outlen = (size_t)(n + fin);
	buf = NULL;
	r = 0;
 out:
	EVP_ENCODE_CTX_free(ctx);
	free(buf);
	return r;
}

static json_object *
lca_b64_json(const unsigned char *der, int len)
{
	json_object *o;
	char *buf;
	int n;

	if (len <= 0 || (buf = malloc(4 * (((size_t)len + 2) / 3) + 1)) ==
	    NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)buf, der, len);
	o = json_object_new_string_len(buf, n);
	free(buf);
	return o;
}

/* {"certificateData": base64 DER} */
static json_object *
lca_cert_json(X509 *x)
{
	unsigned char *der = NULL;
	json_object *o;
	int len;

	if ((len = i2d_X509(x, &der)) <= 0 ||
	    (o = json_object_new_object()) == NULL) {
		OPENSSL_free(der);
		return NULL;
	}
	if (lca_json_add(o, "certificateData", lca_b64_json(der, len)) != 0) {
		json_object_put(o);
		o = NULL;
	}
	OPENSSL_free(der);
	return o;
}

/* A random (version 4) UUID, RFC 9562 5.4. */
static int
lca_uuid_new(char *buf, size_t n)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(buf, n, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* --------------------------------------------------------- handlers */

/*
 * A certificate this CA issued and recorded: its serial in serial_hex,
 * its state in *state.
 */
static int
lca_known_cert(struct lca_http *h, json_object *in, char *serial_hex,
    size_t n, enum lca_cert_state *state, struct lca_err *e)
{
	struct lca_cert_row row;
	unsigned char *der = NULL;
	const char *s;
	size_t len = 0;
	X509 *x = NULL;
	int rc, r = -1;

	if (lca_json_string(in, "certificate", &s, e) != 0 ||
	    lca_b64_decode(s, "certificate", &der, &len, e) != 0 ||
	    lca_ca_check_issued(h->ca, der, len, &x, e) != 0)
		goto out;
	memset(&row, 0, sizeof(row));
	if (lca_ca_describe(x, &row) != 0) {
		lca_fail(e, 422, "unknown certificate");
		goto out;
	}
	rc = lca_db_lookup(row.serial_hex, der, len, state);
	if (rc == LCA_DB_ERR) {
		lca_fail(e, 503, "database unavailable");
		goto out;
	}
	if (rc != LCA_DB_OK) {
		lca_fail(e, 422, "unknown certificate");
		goto out;
	}
	snprintf(serial_hex, n, "%s", row.serial_hex);
	r = 0;
 out:
	X509_free(x);
	free(der);
	return r;
}

#define LCA_REQUEST_ID_MAX	64

/*
 * The optional "requestId" of issue, renew and lookup: 1 to 64 letters,
 * digits and '-' (a UUID as cmpd sends it). *out NULL when absent.
 */
static int
lca_request_id(json_object *in, int required, const char **out,
    struct lca_err *e)
{
	json_object *v = NULL;
	const char *s;
	size_t n;

	*out = NULL;
	if (!json_object_object_get_ex(in, "requestId", &v) || v == NULL) {
		if (required)
			return lca_fail(e, 422, "requestId is required");
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return lca_fail(e, 422, "requestId must be a string");
	s = json_object_get_string(v);
	n = (size_t)json_object_get_string_len(v);
	if (n == 0 || n > LCA_REQUEST_ID_MAX || strlen(s) != n ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-") != n)
		return lca_fail(e, 422, "requestId must be 1 to %d letters, "
		    "digits or '-'", LCA_REQUEST_ID_MAX);
	*out = s;
	return 0;
}

/*
 * The answer for a certificate issued earlier for request_id, or
 * LCA_DB_NOTFOUND. sha256 (NULL: any) is the request's now: another
 * request under the same id is refused.
 */
static int
lca_issued_for(struct lca_http *h, const char *request_id,
    const unsigned char *sha256, json_object **out, struct lca_err *e)
{
	char uuid[LCA_UUID_LEN + 1];
	unsigned char *der = NULL, stored[32];
	size_t len = 0;
	json_object *o = NULL;
	int rc, r = -1;

	*out = NULL;
	rc = lca_db_by_request(request_id, uuid, &der, &len, stored);
	if (rc == LCA_DB_NOTFOUND)
		return LCA_DB_NOTFOUND;
	if (rc != LCA_DB_OK) {
		lca_fail(e, 503, "database unavailable");
		goto out;
	}
	if (sha256 != NULL && memcmp(sha256, stored, 32) != 0) {
		lca_fail(e, 422, "requestId was used for another request");
		goto out;
	}
	if ((o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "certificateData", lca_b64_json(der,
	    (int)len)) != 0 ||
	    lca_json_add(o, "uuid", json_object_new_string(uuid)) != 0 ||
	    lca_json_add(o, "meta", json_object_new_array()) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	snprintf(h->detail, sizeof(h->detail), " uuid=%s requestId=%s "
	    "issued_before", uuid, request_id);
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	free(der);
	return r;
}

/* Tests only (issue_delay_ms): a CA slower than its client's timeout. */
static void
lca_issue_delay(const struct lca_conf *c)
{
	struct timespec ts;

	if (c->issue_delay_ms <= 0)
		return;
	ts.tv_sec = c->issue_delay_ms / 1000;
	ts.tv_nsec = (c->issue_delay_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !lca_stop)
		;
}

/*
 * issue and renew: {request, format, requestId?, ...} -> {certificateData,
 * uuid, meta}. With a requestId a repeated request gets the certificate
 * issued for it the first time (idempotent issue).
 */
static int
lca_issue(struct lca_http *h, json_object *in, int renew, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "attributes",
	    "raProfileAttributes", "meta" };
	char old_serial[LCA_SERIAL_HEX_MAX + 1];
	enum lca_cert_state state;
	struct lca_cert_row row;
	enum lca_format fmt;
	unsigned char *req = NULL, *der = NULL;
	const char *req_s, *fmt_s, *rid;
	size_t req_len = 0;
	json_object *o = NULL;
	X509 *x = NULL;
	int len, rc, r = -1;

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0 ||
	    lca_json_string(in, "request", &req_s, e) != 0 ||
	    lca_json_string(in, "format", &fmt_s, e) != 0 ||
	    lca_request_id(in, 0, &rid, e) != 0)
		goto out;
	if (strcmp(fmt_s, "crmf") == 0)
		fmt = LCA_FMT_CRMF;
	else if (strcmp(fmt_s, "pkcs10") == 0)
		fmt = LCA_FMT_PKCS10;
	else {
		lca_fail(e, 422, "format must be crmf or pkcs10");
		goto out;
	}
	if (lca_b64_decode(req_s, "request", &req, &req_len, e) != 0)
		goto out;
	memset(&row, 0, sizeof(row));
	if (!EVP_Digest(req, req_len, row.request_sha256, NULL, EVP_sha256(),
	    NULL)) {
		lca_fail(e, 500, "cannot hash the request");
		goto out;
	}
	if (rid != NULL && (rc = lca_issued_for(h, rid, row.request_sha256,
	    out, e)) != LCA_DB_NOTFOUND) {
		r = rc;
		goto out;
	}
	/* renew: the old certificate is one of ours and still valid. */
	if (renew) {
		if (lca_known_cert(h, in, old_serial, sizeof(old_serial),
		    &state, e) != 0)
			goto out;
		if (state == LCA_STATE_REVOKED) {
			lca_fail(e, 422, "certificate is revoked");
			goto out;
		}
	}
	if (lca_ca_issue(h->ca, fmt, req, req_len, &x, e) != 0)
		goto out;
	row.request_id = rid;
	if ((len = i2d_X509(x, &der)) <= 0 || lca_ca_describe(x, &row) != 0 ||
	    lca_uuid_new(row.uuid, sizeof(row.uuid)) != 0) {
		lca_fail(e, 500, "cannot encode the certificate");
		goto out;
	}
	row.der = der;
	row.der_len = (size_t)len;
	/* Recorded before it is handed out: revoke must find it. */
	if ((rc = lca_db_insert(&row)) == LCA_DB_DUP) {
		/* The same request, issued meanwhile by another process:
		 * this certificate was never recorded nor handed out. */
		if ((rc = lca_issued_for(h, rid, row.request_sha256, out,
		    e)) == LCA_DB_NOTFOUND)
			lca_fail(e, 503, "database unavailable");
		r = rc == 0 ? 0 : -1;
		goto out;
	}
	if (rc != LCA_DB_OK) {
		lca_fail(e, 503, "database unavailable");
		goto out;
	}
	lca_issue_delay(h->conf);
	if ((o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "certificateData", lca_b64_json(der, len)) != 0 ||
	    lca_json_add(o, "uuid", json_object_new_string(row.uuid)) != 0 ||
	    lca_json_add(o, "meta", json_object_new_array()) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	snprintf(h->detail, sizeof(h->detail), " uuid=%s serial=%s%s%s%s%s",
	    row.uuid, row.serial_hex, renew ? " old_serial=" : "",
	    renew ? old_serial : "", rid != NULL ? " requestId=" : "",
	    rid != NULL ? rid : "");
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	OPENSSL_free(der);
	X509_free(x);
	free(req);
	return r;
}

static int
lca_h_issue(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	return lca_issue(h, in, 0, out, e);
}

static int
lca_h_renew(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	return lca_issue(h, in, 1, out, e);
}

/* {reason, certificate, ...} -> 200, empty body */
static int
lca_h_revoke(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "attributes",
	    "raProfileAttributes" };
	char serial[LCA_SERIAL_HEX_MAX + 1];
	enum lca_cert_state state;
	const char *reason_s, *reason;
	int rc;

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0 ||
	    lca_json_string(in, "reason", &reason_s, e) != 0)
		return -1;
	if ((reason = lca_ca_reason_name(reason_s)) == NULL)
		return lca_fail(e, 422, "reason must be one of unspecified, "
		    "keyCompromise, cACompromise, affiliationChanged, "
		    "superseded, cessationOfOperation, certificateHold, "
		    "privilegeWithdrawn, aACompromise");
	if (lca_known_cert(h, in, serial, sizeof(serial), &state, e) != 0)
		return -1;
	/* 409, not a 422 validation error: what was asked holds, and a
	 * client that retries a revocation can tell (doc/api.md). */
	if (state == LCA_STATE_REVOKED)
		return lca_fail(e, 409, "certificate already revoked");
	rc = lca_db_revoke(serial, reason, time(NULL));
	if (rc == LCA_DB_NOTFOUND)
		return lca_fail(e, 409, "certificate already revoked");
	if (rc != LCA_DB_OK)
		return lca_fail(e, 503, "database unavailable");
	snprintf(h->detail, sizeof(h->detail), " serial=%s reason=%s", serial,
	    reason);
	return 0;
}

/*
 * {requestId, raProfileAttributes} -> {requestId, found: true,
 * certificateData, uuid, meta} or {requestId, found: false}: what this
 * CA issued for an issue or renew request with that requestId.
 */
static int
lca_h_lookup(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "raProfileAttributes" };
	const char *rid;
	json_object *o = NULL;
	int rc, r = -1;

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0 ||
	    lca_request_id(in, 1, &rid, e) != 0)
		return -1;
	if ((rc = lca_issued_for(h, rid, NULL, &o, e)) == LCA_DB_NOTFOUND) {
		if ((o = json_object_new_object()) == NULL) {
			lca_fail(e, 500, "out of memory");
			goto out;
		}
		snprintf(h->detail, sizeof(h->detail), " requestId=%s "
		    "found=false", rid);
	} else if (rc != 0)
		goto out;
	if (lca_json_add(o, "requestId", json_object_new_string(rid)) != 0 ||
	    lca_json_add(o, "found", json_object_new_boolean(rc == 0)) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	return r;
}

/* {raProfileAttributes} -> {certificates: [{certificateData}...]} */
static int
lca_h_ca_certs(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "raProfileAttributes" };
	json_object *o = NULL, *list;
	int i, r = -1;

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0)
		return -1;
	if ((o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "certificates", json_object_new_array()) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	json_object_object_get_ex(o, "certificates", &list);
	/* The issuing CA first, then up to the root. */
	for (i = -1; i < sk_X509_num(h->ca->chain); i++) {
		json_object *c = lca_cert_json(i < 0 ? h->ca->cert :
		    sk_X509_value(h->ca->chain, i));

		if (c == NULL || json_object_array_add(list, c) != 0) {
			json_object_put(c);
			lca_fail(e, 500, "out of memory");
			goto out;
		}
	}
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	return r;
}

/* {delta, raProfileAttributes} -> {crlData} */
static int
lca_h_crl(struct lca_http *h, json_object *in, json_object **out,
    struct lca_err *e)
{
	static const char *const lists[] = { "raProfileAttributes" };
	unsigned char *der = NULL;
	json_object *o = NULL, *delta = NULL;
	X509_CRL *crl = NULL;
	int len, r = -1;

	*out = NULL;
	if (lca_json_lists(in, lists, NITEMS(lists), e) != 0)
		goto out;
	if (json_object_object_get_ex(in, "delta", &delta) && delta != NULL) {
		if (!json_object_is_type(delta, json_type_boolean)) {
			lca_fail(e, 422, "delta must be true or false");
			goto out;
		}
		if (json_object_get_boolean(delta)) {
			lca_fail(e, 422, "delta CRLs are not supported");
			goto out;
		}
	}
	if (lca_ca_crl(h->ca, &crl, e) != 0)
		goto out;
	if ((len = i2d_X509_CRL(crl, &der)) <= 0 ||
	    (o = json_object_new_object()) == NULL ||
	    lca_json_add(o, "crlData", lca_b64_json(der, len)) != 0) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	snprintf(h->detail, sizeof(h->detail), " revoked=%d",
	    sk_X509_REVOKED_num(X509_CRL_get_REVOKED(crl)));
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	OPENSSL_free(der);
	X509_CRL_free(crl);
	return r;
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
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
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
static int
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
	const char *uri, *m;
	size_t len = 0;
	int st;

	memset(&h, 0, sizeof(h));
	memset(&e, 0, sizeof(e));
	clock_gettime(CLOCK_MONOTONIC, &h.start);
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
	if ((st = lca_read_body(&h, &body, &len)) != 0) {
		lca_send_error(&h, st, st == 413 ? "request body too large" :
		    st == 400 ? "bad Content-Length" : "out of memory", NULL);
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
		lca_send_json(&h, 200, out, NULL);
	else
		lca_send(&h, 200, "", 0, NULL);
 out:
	/* Read what is left so the web server is not cut off mid-send. */
	lca_drain(rq->in);
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

/* ------------------------------------------------------------- main */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: cmp-localca [-fnv] [-c file]\n"
	    "  -c file  configuration file (default " LCA_DEFAULT_CONF ")\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and the CA files, then exit\n"
	    "  -v       print the version and exit\n");
	exit(status);
}

int
main(int argc, char *argv[])
{
	const char *conf_path = LCA_DEFAULT_CONF;
	struct lca_conf c;
	struct lca_ca ca;
	FCGX_Request rq;
	sigset_t stop_set;
	char err[1024];
	int ch, foreground = 0, check_only = 0, fd, rc, status = 0;

	while ((ch = getopt(argc, argv, "c:fnvh")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'v':
			printf("cmp-localca %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	/* Start-up errors go to stderr whatever the mode. */
	log_init("cmp-localca", 1, LOG_DAEMON);
	if (lca_conf_load(conf_path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "cmp-localca: %s\n", err);
		return 1;
	}
	log_set_level(c.log_level);
	if (lca_auth_load(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "cmp-localca: %s\n", err);
		lca_conf_free(&c);
		return 1;
	}
	if (lca_ca_load(&ca, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "cmp-localca: %s\n", err);
		lca_conf_free(&c);
		return 1;
	}
	if (check_only) {
		printf("cmp-localca: %s: configuration OK\n", conf_path);
		lca_ca_free(&ca);
		lca_conf_free(&c);
		return 0;
	}
	if (FCGX_Init() != 0)
		fatal("FCGX_Init failed");
	lca_signals(&stop_set);
	fd = lca_listen(&c);
	if (!foreground) {
		util_detach(fd);
		log_init("cmp-localca", 0, LOG_DAEMON);
	}
	if (util_write_pid(c.pid_file) != 0)
		fatal("cannot write the pid file");
	lca_db_configure(&c);
	if (FCGX_InitRequest(&rq, fd, 0) != 0)
		fatal("FCGX_InitRequest failed");
	log_info("cmp-localca %s listening on %s, CA %s", PACKAGE_VERSION,
	    c.listen, c.ca_dir);

	while (!lca_stop) {
		if (lca_wait(fd, &stop_set) != 0) {
			log_error("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (lca_stop)
			break;
		rc = FCGX_Accept_r(&rq);
		if (rc < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK ||
			    rc == -EINTR || rc == -ECONNABORTED)
				continue;
			log_error("FCGX_Accept_r: %s", strerror(-rc));
			status = 1;
			break;
		}
		lca_serve(&rq, &c, &ca);
		/* One request per connection: no connection pins us. */
		rq.keepConnection = 0;
		FCGX_Finish_r(&rq);
		ERR_clear_error();
	}
	FCGX_Free(&rq, 1);
	if (c.listen[0] == '/' && unlink(c.listen) == -1)
		log_warn("cannot remove %s: %s", c.listen, strerror(errno));
	if (c.pid_file != NULL && unlink(c.pid_file) == -1)
		log_warn("cannot remove %s: %s", c.pid_file, strerror(errno));
	log_info("stopped");
	lca_db_done();
	lca_ca_free(&ca);
	lca_conf_free(&c);
	return status;
}
