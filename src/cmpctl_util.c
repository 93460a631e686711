/*
 * cmpctl_util.c - the ctl_ helpers of cmpctl: the objects the commands
 * name, one in-process call of the management API and its printing, the
 * lookup of an object by UUID or name, httpie-style fields, and the
 * commands every kind of object has (show, create, edit, one call each).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "cmpctl.h"
#include "jsoncheck.h"

/* ------------------------------------------------------------ objects */

/* What an edit carries over from the object: the fields a PUT of a
 * connector or an authority needs. A CMP Profile's or an RA Profile's
 * PUT keeps what it does not name, so their edits send only what they
 * change (carried, a value another administrator changed meanwhile
 * would be put back). */
static const struct ctl_carry connector_carry[] = {
	{ "name", "name", NULL },
	{ "url", "url", NULL },
	{ "authType", "authType", NULL },
	{ "insecure", "insecure", NULL },
	{ NULL, NULL, NULL },
};
static const struct ctl_carry authority_carry[] = {
	{ "name", "name", NULL },
	{ "connectorUuid", "connector", "uuid" },
	{ "authorityInstanceUuid", "authorityInstanceUuid", NULL },
	{ NULL, NULL, NULL },
};

const struct ctl_obj ctl_obj_profile = {
	"CMP Profile", "/cmpProfiles", NULL, 0 };
const struct ctl_obj ctl_obj_connector = {
	"connector", "/connectors", connector_carry, 0 };
const struct ctl_obj ctl_obj_authority = {
	"authority", "/authorities", authority_carry, 0 };
const struct ctl_obj ctl_obj_raprofile = {
	"RA Profile", "/raProfiles", NULL, 1 };

/* Refused unless they come from a file or standard input. */
static const char *const ctl_secret_keys[] = {
	"sharedSecret", "credentials", "signingCredentials", "privateKey",
	"secret",
};

/* Fields that name another object: a name is turned into its UUID. */
static const struct {
	const char *key;
	const struct ctl_obj *obj;
} ctl_refs[] = {
	{ "connectorUuid", &ctl_obj_connector },
	{ "authorityUuid", &ctl_obj_authority },
	{ "raProfileUuid", &ctl_obj_raprofile },
};

/* ------------------------------------------------------------ helpers */

/* snprintf that fails (with a message) rather than truncate */
int
ctl_fmt(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= n) {
		fprintf(stderr, "cmpctl: path longer than %zu bytes\n", n - 1);
		return -1;
	}
	return 0;
}

void
ctl_buf_free(char *buf)
{
	if (buf != NULL)
		OPENSSL_clear_free(buf, CTL_FILE_MAX + 1);
}

/*
 * Reads a file, or standard input for "-", into *out (NUL-terminated,
 * ctl_buf_free()). read(2), not stdio: no copy of a secret is left in a
 * buffer that cannot be wiped.
 */
int
ctl_read(struct ctl *x, const char *name, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t got;
	int fd = -1, r = -1;

	*out = NULL;
	*outlen = 0;
	if (strcmp(name, "-") == 0) {
		if (x->stdin_used) {
			fprintf(stderr, "cmpctl: standard input can be read "
			    "only once\n");
			return -1;
		}
		x->stdin_used = 1;
		fd = STDIN_FILENO;
	} else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "cmpctl: %s: %s\n", name, strerror(errno));
		return -1;
	}
	if ((buf = malloc(CTL_FILE_MAX + 1)) == NULL) {
		fprintf(stderr, "cmpctl: out of memory\n");
		goto out;
	}
	for (;;) {
		got = read(fd, buf + n, CTL_FILE_MAX + 1 - n);
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			fprintf(stderr, "cmpctl: %s: %s\n", name,
			    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > CTL_FILE_MAX) {
			fprintf(stderr, "cmpctl: %s: longer than %d bytes\n",
			    name, CTL_FILE_MAX);
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	buf = NULL;
	r = 0;
 out:
	if (fd != -1 && fd != STDIN_FILENO)
		close(fd);
	ctl_buf_free(buf);
	return r;
}

const char *
ctl_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
ctl_is_2xx(int status)
{
	return status >= 200 && status < 300;
}

/* ------------------------------------------------------ the API call */

/*
 * One call of the management API, in-process. The HTTP status; *answer
 * (json_object_put) gets the answer, NULL for none.
 */
int
ctl_call(struct ctl *x, const char *method, const char *path,
    json_object *body, json_object **answer)
{
	struct api_call c;
	char buf[CTL_PATH_MAX];
	char *q;

	*answer = NULL;
	if (ctl_fmt(buf, sizeof(buf), "%s", path) != 0)
		return 414;
	memset(&c, 0, sizeof(c));
	if ((q = strchr(buf, '?')) != NULL)
		*q++ = '\0';
	c.conf = &x->conf;
	c.method = method;
	c.path = buf;
	c.query = q;
	c.body = body;
	c.base_url = x->conf.public_url != NULL ? x->conf.public_url : "";
	memcpy(c.actor, x->actor, sizeof(c.actor));
	c.role = API_ROLE_ADMIN;
	api_dispatch(&c);
	*answer = c.answer;
	return c.status;
}

/* The message of a failed call on stderr. */
void
ctl_error(int status, json_object *answer)
{
	const char *msg = ctl_str(answer, "message");

	if (msg != NULL)
		fprintf(stderr, "cmpctl: %s (%d)\n", msg, status);
	else if (status != 414)	/* 414: ctl_call said why already */
		fprintf(stderr, "cmpctl: the call failed (%d)\n", status);
}

/* Prints a 2xx answer as JSON, or the failure; the exit status. */
int
ctl_report(int status, json_object *answer)
{
	if (!ctl_is_2xx(status)) {
		ctl_error(status, answer);
		return CTL_FAIL;
	}
	if (answer != NULL)
		printf("%s\n", json_object_to_json_string_ext(answer,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	return CTL_OK;
}

/* A call whose answer is printed. */
int
ctl_do(struct ctl *x, const char *method, const char *path, json_object *body)
{
	json_object *answer = NULL;
	int status, r;

	/* two statements: the order of a call's arguments is unspecified */
	status = ctl_call(x, method, path, body, &answer);
	r = ctl_report(status, answer);
	api_json_free(answer);
	return r;
}

/* GET of a list; 0 and *list (json_object_put), or -1 with a message. */
static int
ctl_get_list(struct ctl *x, const char *path, json_object **list)
{
	int status;

	status = ctl_call(x, "GET", path, NULL, list);
	if (ctl_is_2xx(status) && json_object_is_type(*list,
	    json_type_array))
		return 0;
	if (ctl_is_2xx(status))
		fprintf(stderr, "cmpctl: GET %s: not a list\n", path);
	else
		ctl_error(status, *list);
	json_object_put(*list);
	*list = NULL;
	return -1;
}

/*
 * The object arg names, by UUID or by name: its UUID, and its path in the
 * API. An RA Profile lives below its authority, which the list of all RA
 * Profiles tells; other objects named by UUID need no lookup.
 */
int
ctl_item(struct ctl *x, const struct ctl_obj *o, const char *arg,
    char *path, size_t n, char uuid[CMPD_UUID_LEN + 1])
{
	json_object *list = NULL, *e, *hit = NULL;
	const char *u, *a = NULL;
	size_t i, len, nhit = 0;
	int by_uuid = api_uuid_valid(arg), r = -1;

	if (by_uuid && !o->nested) {
		for (i = 0; i <= CMPD_UUID_LEN; i++)
			uuid[i] = (char)tolower((unsigned char)arg[i]);
		return ctl_fmt(path, n, "%s/%s", o->list, uuid);
	}
	if (ctl_get_list(x, o->list, &list) != 0)
		return -1;
	len = json_object_array_length(list);
	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(list, i);
		if ((u = ctl_str(e, by_uuid ? "uuid" : "name")) == NULL)
			continue;
		if (by_uuid ? strcasecmp(u, arg) == 0 : strcmp(u, arg) == 0) {
			hit = e;
			nhit++;
		}
	}
	if (nhit == 0) {
		fprintf(stderr, "cmpctl: no %s %s%s\n", o->what,
		    by_uuid ? "" : "named ", arg);
		goto out;
	}
	if (nhit > 1) {
		fprintf(stderr, "cmpctl: %zu of the %ss are named %s: give "
		    "the UUID\n", nhit, o->what, arg);
		goto out;
	}
	u = ctl_str(hit, "uuid");
	if (o->nested)
		a = ctl_str(hit, "authorityUuid");
	if (u == NULL || !api_uuid_valid(u) ||
	    (o->nested && (a == NULL || !api_uuid_valid(a)))) {
		fprintf(stderr, "cmpctl: %s %s: the list has no UUID of it\n",
		    o->what, arg);
		goto out;
	}
	memcpy(uuid, u, CMPD_UUID_LEN + 1);
	if (o->nested)
		r = ctl_fmt(path, n, "/authorities/%s/raProfiles/%s", a, uuid);
	else
		r = ctl_fmt(path, n, "%s/%s", o->list, uuid);
 out:
	json_object_put(list);
	return r;
}

/* ------------------------------------------------------------ fields */

int
ctl_is_secret_key(const char *key)
{
	size_t i;

	for (i = 0; i < NITEMS(ctl_secret_keys); i++)
		if (strcmp(key, ctl_secret_keys[i]) == 0)
			return 1;
	return 0;
}

/* A field that names an object: its UUID as a JSON string, or NULL. */
static json_object *
ctl_ref(struct ctl *x, const char *key, const char *val)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	size_t i;

	for (i = 0; i < NITEMS(ctl_refs); i++)
		if (strcmp(key, ctl_refs[i].key) == 0)
			break;
	if (i == NITEMS(ctl_refs) || api_uuid_valid(val) || *val == '\0')
		return json_object_new_string(val);
	if (ctl_item(x, ctl_refs[i].obj, val, path, sizeof(path), uuid) != 0)
		return NULL;
	return json_object_new_string(uuid);
}

/* "null", maybe with white space around it */
static int
ctl_is_null(const char *s)
{
	s += strspn(s, " \t\r\n");
	if (strncmp(s, "null", 4) != 0)
		return 0;
	s += 4;
	return s[strspn(s, " \t\r\n")] == '\0';
}

/*
 * Adds httpie-style fields to the JSON object body:
 *   key=value    a string
 *   key:=json    a raw JSON value (true, 300, [...], {...})
 *   key=@file    the file's contents as a string ("@-": standard input);
 *                a file of one line loses its line end
 *   key:=@file   the file's contents as raw JSON
 * Fields that name an object (connectorUuid, authorityUuid,
 * raProfileUuid) may give its name.
 */
int
ctl_fields(struct ctl *x, int argc, char **argv, json_object *body)
{
	json_object *v;
	const char *sep, *val;
	char *key = NULL, *buf = NULL, why[160];
	size_t len, klen;
	int i, raw, r = -1;

	for (i = 0; i < argc; i++) {
		v = NULL;
		if ((sep = strchr(argv[i], '=')) == NULL) {
			fprintf(stderr, "cmpctl: %s: not key=value, key:=json "
			    "or key=@file\n", argv[i]);
			goto out;
		}
		raw = sep > argv[i] && sep[-1] == ':';
		klen = (size_t)(sep - argv[i]) - (size_t)raw;
		if (klen == 0) {
			fprintf(stderr, "cmpctl: %s: no key\n", argv[i]);
			goto out;
		}
		if ((key = strndup(argv[i], klen)) == NULL)
			goto out;
		val = sep + 1;
		if (*val != '@' && ctl_is_secret_key(key)) {
			fprintf(stderr, "cmpctl: %s must come from a file or "
			    "standard input (%s=@FILE or %s=@-): every local "
			    "user can read a command line\n", key, key, key);
			goto out;
		}
		if (*val == '@') {
			if (ctl_read(x, val + 1, &buf, &len) != 0)
				goto out;
			val = buf;
			/* "printf 'secret\n' > file" means "secret" */
			if (!raw && len > 0 && buf[len - 1] == '\n' &&
			    memchr(buf, '\n', len - 1) == NULL) {
				buf[--len] = '\0';
				if (len > 0 && buf[len - 1] == '\r')
					buf[--len] = '\0';
			}
		} else {
			len = strlen(val);
		}
		if (raw) {
			/* jsoncheck_parse takes no bare null; key:=null clears */
			if (jsoncheck_parse_why(val, len, API_JSON_DEPTH, &v,
			    why, sizeof(why)) != PARSE_OK &&
			    !ctl_is_null(val)) {
				fprintf(stderr, "cmpctl: %s %s\n", key, why);
				goto out;
			}
		} else if (memchr(val, '\0', len) != NULL) {
			fprintf(stderr, "cmpctl: %s: holds a NUL byte\n", key);
			goto out;
		} else if ((v = ctl_ref(x, key, val)) == NULL) {
			goto out;
		}
		json_object_object_add(body, key, v);
		free(key);
		key = NULL;
		ctl_buf_free(buf);
		buf = NULL;
	}
	r = 0;
 out:
	free(key);
	ctl_buf_free(buf);
	return r;
}

/* ---------------------------------------------------- generic objects */

int
ctl_obj_show(struct ctl *x, const struct ctl_obj *o, const char *arg,
    const char *suffix)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	size_t len;

	if (ctl_item(x, o, arg, path, sizeof(path), uuid) != 0)
		return CTL_FAIL;
	len = strlen(path);
	if (ctl_fmt(path + len, sizeof(path) - len, "%s", suffix) != 0)
		return CTL_FAIL;
	return ctl_do(x, "GET", path, NULL);
}

/* POST of fields to a collection. */
int
ctl_obj_create(struct ctl *x, const char *coll, int argc, char **argv)
{
	json_object *body;
	int r = CTL_FAIL;

	if ((body = json_object_new_object()) == NULL)
		return CTL_FAIL;
	if (ctl_fields(x, argc, argv, body) == 0)
		r = ctl_do(x, "POST", coll, body);
	api_json_free(body);
	return r;
}

/*
 * PUT of the given fields, over the object's current ones it must carry
 * (o->carry), so that an edit changes only what it names.
 */
int
ctl_obj_edit(struct ctl *x, const struct ctl_obj *o, const char *arg,
    int argc, char **argv)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	json_object *changes = NULL, *detail = NULL, *body = NULL, *v;
	const struct ctl_carry *cc;
	int status, r = CTL_FAIL;

	if ((changes = json_object_new_object()) == NULL ||
	    (body = json_object_new_object()) == NULL)
		goto out;
	if (ctl_fields(x, argc, argv, changes) != 0 ||
	    ctl_item(x, o, arg, path, sizeof(path), uuid) != 0)
		goto out;
	status = ctl_call(x, "GET", path, NULL, &detail);
	if (!ctl_is_2xx(status) || detail == NULL) {
		ctl_error(status, detail);
		goto out;
	}
	for (cc = o->carry; cc != NULL && cc->key != NULL; cc++) {
		if (!json_object_object_get_ex(detail, cc->from, &v) ||
		    (cc->sub != NULL &&
		    !json_object_object_get_ex(v, cc->sub, &v)) ||
		    json_object_is_type(v, json_type_null))
			continue;
		json_object_object_add(body, cc->key, json_object_get(v));
	}
	{
		json_object_object_foreach(changes, k, cv)
			json_object_object_add(body, k, json_object_get(cv));
	}
	r = ctl_do(x, "PUT", path, body);
 out:
	api_json_free(changes);
	json_object_put(body);
	json_object_put(detail);
	return r;
}

/* One call per object named: METHOD item+suffix. */
int
ctl_obj_each(struct ctl *x, const struct ctl_obj *o, const char *method,
    const char *suffix, int argc, char **argv)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	size_t len;
	int i, r = CTL_OK;

	for (i = 0; i < argc; i++) {
		if (ctl_item(x, o, argv[i], path, sizeof(path), uuid) != 0) {
			r = CTL_FAIL;
			continue;
		}
		len = strlen(path);
		if (ctl_fmt(path + len, sizeof(path) - len, "%s", suffix) !=
		    0 || ctl_do(x, method, path, NULL) != CTL_OK)
			r = CTL_FAIL;
	}
	return r;
}
