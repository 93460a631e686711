/*
 * The management API: route tables, role checks, and the small helpers
 * every handler uses to read a JSON body and to answer. Errors are JSON
 * {"message": …}: 400 malformed, 404 unknown object, 409 conflict, 422 a
 * rule of the reference refused it, 401/403 authentication.
 */
#include "config.h"

#include <stdarg.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "api.h"
#include "conn.h"
#include "jsoncheck.h"

static const struct {
	const struct api_route *routes;
	const size_t *n;
} tables[] = {
	{ api_cmp_profile_routes, &api_cmp_profile_nroutes },
	{ api_ra_cert_routes, &api_ra_cert_nroutes },
	{ api_device_routes, &api_device_nroutes },
	{ api_connector_routes, &api_connector_nroutes },
	{ api_authority_routes, &api_authority_nroutes },
	{ api_ra_profile_routes, &api_ra_profile_nroutes },
	{ api_inventory_routes, &api_inventory_nroutes },
	{ api_key_routes, &api_key_nroutes },
	{ api_audit_routes, &api_audit_nroutes },
};

const char *
api_role_name(enum api_role r)
{
	switch (r) {
	case API_ROLE_READ:
		return "read";
	case API_ROLE_ADMIN:
		return "admin";
	default:
		return "none";
	}
}

int
api_role_parse(const char *s, enum api_role *r)
{
	if (strcmp(s, "read") == 0)
		*r = API_ROLE_READ;
	else if (strcmp(s, "admin") == 0)
		*r = API_ROLE_ADMIN;
	else
		return -1;
	return 0;
}

static void
api_uuid_lower(char *u)
{
	for (; *u != '\0'; u++)
		if (*u >= 'A' && *u <= 'F')
			*u = (char)(*u - 'A' + 'a');
}

/*
 * Matches path against pattern segment by segment; a {name} segment takes
 * one URL-unreserved segment into c->param. 1 on a match.
 */
static int
api_match(const char *pattern, const char *path, struct api_call *c)
{
	const char *p = pattern, *s = path;
	size_t pl, sl;
	int np = 0;

	for (;;) {
		if (*p == '\0' || *s == '\0')
			return *p == '\0' && *s == '\0';
		if (*p != '/' || *s != '/')
			return 0;
		p++;
		s++;
		pl = strcspn(p, "/");
		sl = strcspn(s, "/");
		if (pl > 2 && p[0] == '{' && p[pl - 1] == '}') {
			if (np >= API_PARAMS_MAX || !route_name_valid(s, sl))
				return 0;
			memcpy(c->param[np], s, sl);
			c->param[np][sl] = '\0';
			/* UUIDs are stored in lower case */
			if (pl > 6 && strncmp(p + pl - 5, "Uuid}", 5) == 0 &&
			    api_uuid_valid(c->param[np]))
				api_uuid_lower(c->param[np]);
			np++;
		} else if (pl != sl || strncmp(p, s, pl) != 0) {
			return 0;
		}
		p += pl;
		s += sl;
	}
}

/*
 * A change runs in one transaction with its audit rows: a handler that
 * fails, an audit row that cannot be written or a commit that fails
 * leaves the database as it was. A deadlock (on Galera also another
 * node's commit that won a conflict) runs the handler again from the
 * start (db_txn), so the client sees its answer, not the conflict.
 */
struct api_change_arg {
	struct api_call *c;
	const struct api_route *rt;
	int	 audit_failed, unknown;
};

#define API_CHANGE_REFUSED	1	/* the handler's answer stands */

static int
api_change_run(void *arg)
{
	struct api_change_arg *x = arg;
	struct api_call *c = x->c;

	/* An earlier run's COMMIT lost its connection: it may have stored
	 * the change, and a handler cannot tell its own earlier commit (a
	 * second create would be refused as a duplicate): not again. */
	if (db_txn_commit_unknown()) {
		x->unknown = 1;
		return API_CHANGE_REFUSED;
	}
	/* nothing of a run that was rolled back */
	json_object_put(c->answer);
	c->answer = NULL;
	c->status = 0;
	(void)audit_take_failure();
	x->rt->fn(c);
	if ((x->audit_failed = audit_take_failure()) != 0 || c->status >= 300)
		return API_CHANGE_REFUSED;
	return DB_OK;
}

static int
api_change(struct api_call *c, const struct api_route *rt)
{
	struct api_change_arg x = { c, rt, 0, 0 };
	int r;

	r = db_txn(api_change_run, &x);
	/* committed, or perhaps: every worker reads profiles again */
	profile_cache_changed();
	if (x.unknown)
		return api_fail(c, 503, "the database connection was lost "
		    "while the change was committed: it may or may not be "
		    "stored; look before trying again");
	if (x.audit_failed)
		return api_fail(c, 500, "the change could not be audited; "
		    "nothing was changed");
	if (r == API_CHANGE_REFUSED)
		return c->status;
	if (r != DB_OK)	/* no transaction, or its COMMIT failed */
		return api_fail(c, 500, "database error; nothing was changed");
	return c->status;
}

int
api_dispatch(struct api_call *c)
{
	const struct api_route *rt;
	int path_known = 0;
	size_t t, i;

	c->status = 0;
	c->answer = NULL;
	if (c->path == NULL || c->method == NULL)
		return api_fail(c, 404, "no such resource");
	for (t = 0; t < NITEMS(tables); t++)
		for (i = 0; i < *tables[t].n; i++) {
			rt = &tables[t].routes[i];
			if (!api_match(rt->pattern, c->path, c))
				continue;
			path_known = 1;
			if (strcmp(rt->method, c->method) != 0)
				continue;
			if (c->role < rt->need)
				return api_fail(c, 403, "the %s role may not "
				    "do this", api_role_name(c->role));
			if (strcmp(rt->method, "GET") == 0)
				return rt->fn(c);
			return api_change(c, rt);
		}
	if (path_known)
		return api_fail(c, 405, "method %s is not allowed here",
		    c->method);
	return api_fail(c, 404, "no such resource");
}

/* Whether some route has this path (any method): unknown paths are 404
 * before authentication, as for the rest of the server. */
int
api_path_known(const char *path)
{
	struct api_call scratch;
	size_t t, i;

	for (t = 0; t < NITEMS(tables); t++)
		for (i = 0; i < *tables[t].n; i++)
			if (api_match(tables[t].routes[i].pattern, path,
			    &scratch))
				return 1;
	return 0;
}

/* The answer may hold a secret shown once (a new API key): wiped. */
void
api_call_free(struct api_call *c)
{
	api_json_free(c->answer);
	c->answer = NULL;
}

/* For cmpctl routes and the OpenAPI test: "METHOD /api/v1/path role". */
void
api_routes_print(void)
{
	size_t t, i;

	for (t = 0; t < NITEMS(tables); t++)
		for (i = 0; i < *tables[t].n; i++)
			printf("%s /api/v1%s %s\n", tables[t].routes[i].method,
			    tables[t].routes[i].pattern,
			    api_role_name(tables[t].routes[i].need));
}

/* c's actor as one field of a log line (util_log_field): a REMOTE_USER
 * may hold spaces, quotes and '='. Valid until the next call. */
const char *
api_actor(const struct api_call *c)
{
	static char buf[2 * API_ACTOR_MAX + 3];

	return util_log_field(c->actor, buf, sizeof(buf));
}

int
api_fail(struct api_call *c, int status, const char *fmt, ...)
{
	char msg[1024];
	json_object *o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_put(c->answer);
	c->answer = NULL;
	if ((o = json_object_new_object()) != NULL &&
	    json_object_object_add(o, "message",
	    json_object_new_string(msg)) == 0)
		c->answer = o;
	else
		json_object_put(o);
	c->status = status;
	return status;
}

/* Takes answer (NULL for none); a NULL after a failed allocation is 500. */
int
api_ok(struct api_call *c, int status, json_object *answer)
{
	json_object_put(c->answer);
	c->answer = answer;
	c->status = status;
	if (answer == NULL && status != 204)
		return api_fail(c, 500, "out of memory");
	return status;
}

int
api_db_fail(struct api_call *c)
{
	return api_fail(c, 500, "database error");
}

/*
 * A query parameter, URL-decoded, into buf: 1 when present, 0 when not,
 * -1 when too long or not decodable. As a form's values are encoded
 * (application/x-www-form-urlencoded, what a browser's URLSearchParams
 * writes), "+" is a space and "%2B" a plus sign.
 */
int
api_query(const struct api_call *c, const char *key, char *buf, size_t n)
{
	const char *q = c->query, *v, *end;
	size_t klen = strlen(key), i;
	char *dec, *raw;
	int len;

	while (q != NULL && *q != '\0') {
		end = q + strcspn(q, "&");
		if ((size_t)(end - q) > klen && strncmp(q, key, klen) == 0 &&
		    q[klen] == '=') {
			v = q + klen + 1;
			if (end - v > 3 * (long)n)
				return -1;
			/* curl_easy_unescape() reads a length of 0 as "up
			 * to the NUL": the rest of the query string. */
			if (end == v) {
				if (n == 0)
					return -1;
				buf[0] = '\0';
				return 1;
			}
			/* "+" a space before the %XX are decoded, so that
			 * one decoded from %2B stays a plus sign */
			if ((raw = OPENSSL_strndup(v, (size_t)(end - v))) ==
			    NULL)
				return -1;
			for (i = 0; raw[i] != '\0'; i++)
				if (raw[i] == '+')
					raw[i] = ' ';
			dec = curl_easy_unescape(NULL, raw, (int)(end - v), &len);
			OPENSSL_free(raw);
			if (dec == NULL || len < 0 || (size_t)len >= n ||
			    memchr(dec, '\0', (size_t)len) != NULL) {
				curl_free(dec);
				return -1;
			}
			memcpy(buf, dec, (size_t)len);
			buf[len] = '\0';
			curl_free(dec);
			return 1;
		}
		q = *end == '&' ? end + 1 : end;
	}
	return 0;
}

int
api_uuid_valid(const char *s)
{
	size_t i;

	if (strlen(s) != CMPD_UUID_LEN)
		return 0;
	for (i = 0; i < CMPD_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL ||
		    s[i] == '\0') {
			return 0;
		}
	}
	return 1;
}

/*
 * A UUID query parameter, lowercased into buf ("" when absent): 0, or
 * the status of the 400 answer set.
 */
int
api_query_uuid(struct api_call *c, const char *key,
    char buf[CMPD_UUID_LEN + 1])
{
	char tmp[CMPD_UUID_LEN + 2];
	size_t i;
	int r;

	buf[0] = '\0';
	if ((r = api_query(c, key, tmp, sizeof(tmp))) == 0 ||
	    (r > 0 && tmp[0] == '\0'))
		return 0;
	if (r < 0 || !api_uuid_valid(tmp))
		return api_fail(c, 400, "%s must be a UUID", key);
	for (i = 0; i <= CMPD_UUID_LEN; i++)
		buf[i] = (char)tolower((unsigned char)tmp[i]);
	return 0;
}

/*
 * after=, keyset paging: the page goes on after the entry the cursor
 * names, found by sql (the entry's time, one row) into at. A page
 * costs the same wherever it starts, where offset= reads and drops every
 * entry before it. 0, or the status of the answer set.
 */
int
api_after(struct api_call *c, long offset, const char *what,
    const char *sql, const struct db_arg *a, size_t na, char *at, size_t atlen)
{
	struct db_col col;
	int r;

	if (offset > 0)
		return api_fail(c, 400, "after and offset exclude each other");
	api_col_str(&col, at, atlen);
	if ((r = db_run(sql, a, na, &col, 1, NULL)) == DB_NOTFOUND)
		return api_fail(c, 400, "after names no %s", what);
	if (r != DB_OK)
		return api_db_fail(c);
	return 0;
}

/* The body's member key, or NULL (the body is an object or absent). */
static json_object *
api_member(struct api_call *c, const char *key)
{
	json_object *v;

	if (c->body == NULL || !json_object_is_type(c->body, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(c->body, key, &v))
		return NULL;
	return v;
}

/*
 * A string member: API_GOT (*out borrowed from the body), API_ABSENT (also
 * for JSON null), or API_BAD with a 400 answer set.
 */
enum api_get
api_get_str(struct api_call *c, const char *key, size_t max,
    const char **out)
{
	json_object *v = api_member(c, key);
	size_t len;

	*out = NULL;
	if (v == NULL || json_object_is_type(v, json_type_null))
		return API_ABSENT;
	if (!json_object_is_type(v, json_type_string)) {
		api_fail(c, 400, "%s must be a string", key);
		return API_BAD;
	}
	*out = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (len > max || strlen(*out) != len) {
		api_fail(c, 400, "%s is longer than %zu bytes or holds a NUL",
		    key, max);
		*out = NULL;
		return API_BAD;
	}
	return API_GOT;
}

enum api_get
api_get_bool(struct api_call *c, const char *key, int *out)
{
	json_object *v = api_member(c, key);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return API_ABSENT;
	if (!json_object_is_type(v, json_type_boolean)) {
		api_fail(c, 400, "%s must be true or false", key);
		return API_BAD;
	}
	*out = json_object_get_boolean(v);
	return API_GOT;
}

enum api_get
api_get_int(struct api_call *c, const char *key, long min, long max,
    long *out)
{
	json_object *v = api_member(c, key);
	int64_t i;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return API_ABSENT;
	if (!json_object_is_type(v, json_type_int)) {
		api_fail(c, 400, "%s must be an integer", key);
		return API_BAD;
	}
	i = json_object_get_int64(v);
	if (i < min || i > max) {
		api_fail(c, 400, "%s must be between %ld and %ld", key, min,
		    max);
		return API_BAD;
	}
	*out = (long)i;
	return API_GOT;
}

/* A member of the given JSON type, serialised into *text (free()). */
enum api_get
api_get_json(struct api_call *c, const char *key, json_type type,
    char **text)
{
	json_object *v = api_member(c, key);
	const char *s;

	*text = NULL;
	if (v == NULL || json_object_is_type(v, json_type_null))
		return API_ABSENT;
	if (!json_object_is_type(v, type)) {
		api_fail(c, 400, "%s must be a JSON %s", key,
		    json_type_to_name(type));
		return API_BAD;
	}
	s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL || (*text = strdup(s)) == NULL) {
		api_fail(c, 500, "out of memory");
		return API_BAD;
	}
	return API_GOT;
}

/* A JSON string, or JSON null for NULL and "". */
json_object *
api_json_str(const char *s)
{
	if (s == NULL || *s == '\0')
		return NULL;
	return json_object_new_string(s);
}

/*
 * A bulk body: a JSON array of UUID strings. NULL with a 400 answer set
 * otherwise; the array is borrowed from the body.
 */
json_object *
api_uuid_list(struct api_call *c)
{
	size_t i, n;
	json_object *v;

	if (c->body == NULL || !json_object_is_type(c->body, json_type_array)) {
		api_fail(c, 400, "the body must be a JSON array of UUIDs");
		return NULL;
	}
	n = json_object_array_length(c->body);
	if (n > API_LIST_MAX) {
		api_fail(c, 400, "at most %d UUIDs at once", API_LIST_MAX);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(c->body, i);
		if (!json_object_is_type(v, json_type_string) ||
		    !api_uuid_valid(json_object_get_string(v))) {
			api_fail(c, 400, "the body must be a JSON array of "
			    "UUIDs");
			return NULL;
		}
		/* UUIDs are stored in lower case (the string is the body's) */
		api_uuid_lower((char *)json_object_get_string(v));
	}
	return c->body;
}

void
api_col_str(struct db_col *col, char *buf, size_t n)
{
	memset(col, 0, sizeof(*col));
	col->type = DB_STR;
	col->buf = buf;
	col->n = n;
}

void
api_col_int(struct db_col *col)
{
	memset(col, 0, sizeof(*col));
	col->type = DB_INT;
}

/* Rows of a list query into a JSON array, one object per row. */
struct api_rows {
	json_object *list;
	json_object *(*json)(struct db_col *);
	int	 oom;
};

static int
api_row(struct db_col *col, size_t n, void *arg)
{
	struct api_rows *rows = arg;
	json_object *o;

	(void)n;
	if ((o = rows->json(col)) == NULL ||
	    json_object_array_add(rows->list, o) != 0) {
		json_object_put(o);
		rows->oom = 1;
		return 1;
	}
	return 0;
}

/* Answers 200 with the rows of sql (at most max), each made by json. */
int
api_list(struct api_call *c, const char *sql, const struct db_arg *a,
    size_t na, struct db_col *col, size_t ncol, size_t max,
    json_object *(*json)(struct db_col *))
{
	struct api_rows rows = { NULL, json, 0 };
	size_t n;
	int r;

	if ((rows.list = json_object_new_array()) == NULL)
		return api_fail(c, 500, "out of memory");
	r = db_query(sql, a, na, col, ncol, max, api_row, &rows, &n);
	if (r != DB_OK || rows.oom) {
		json_object_put(rows.list);
		return rows.oom ? api_fail(c, 500, "out of memory") :
		    api_db_fail(c);
	}
	return api_ok(c, 200, rows.list);
}

/*
 * Wipes a JSON value before it is freed: a body may hold secrets, and so
 * may the text json-c keeps of a serialised object (serialised again here
 * in its longest form, so that every byte of an earlier text is
 * overwritten, then wiped).
 */
void
api_json_wipe(json_object *o)
{
	const char *s;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		OPENSSL_cleanse((char *)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		return;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			api_json_wipe(v);
		}
		break;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			api_json_wipe(json_object_array_get_idx(o, i));
		break;
	default:
		return;
	}
	if ((s = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY)) != NULL)
		OPENSSL_cleanse((char *)s, strlen(s));
}

/* api_json_wipe, then json_object_put; NULL is fine. */
void
api_json_free(json_object *o)
{
	if (o == NULL)
		return;
	api_json_wipe(o);
	json_object_put(o);
}

/* JSON text stored in a column (attributes) back into an object. */
int
api_parse_json_text(const char *text, json_object **out)
{
	*out = NULL;
	if (text == NULL || *text == '\0')
		return 0;
	return jsoncheck_parse(text, strlen(text), API_JSON_DEPTH, out) ==
	    PARSE_OK ? 0 : -1;
}
