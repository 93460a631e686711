/*
 * cmpctl - the administrator's command line.
 *
 * cmpctl does not speak HTTP: it loads cmpd's configuration and runs the
 * management API (api.c) in-process against the database, with the admin
 * role and the actor "cmpctl:USER", so that a change made here is checked
 * and audited exactly like one made through /api/v1. Fields of a body are
 * given as httpie does: key=value, key:=json, key=@file. Secrets only ever
 * come from files or standard input: every local user can read a process'
 * command line in /proc/PID/cmdline.
 *
 *   cmpctl [-c file] command [arguments]
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>

#include "api.h"
#include "conn.h"
#include "jsoncheck.h"

#define DEFAULT_CONF	SYSCONFDIR "/cmpd.conf"
#define CTL_FILE_MAX	(1024 * 1024)	/* one @file, or standard input */
#define CTL_PATH_MAX	4096		/* path and query of one call */
#define CTL_SEALED_MAX	16384		/* the widest *_enc column */

/* exit statuses */
#define CTL_OK		0
#define CTL_FAIL	1	/* the call failed: non-2xx, or a local error */
#define CTL_USAGE	2	/* main() prints the command's usage */

/* what a command needs before it runs */
enum ctl_need { NEED_NOTHING, NEED_CONF, NEED_DB };

struct ctl {
	const char *conf_path;
	struct conf conf;
	int	 have_conf, have_db;
	int	 stdin_used;		/* "-" and "@-" can be read once */
	char	 actor[API_ACTOR_MAX];
};

/* Fields an edit keeps from the object's detail: body key <- detail. */
struct ctl_carry {
	const char *key;
	const char *from;
	const char *sub;	/* a member of from, or NULL */
};

struct ctl_obj {
	const char *what;	/* in messages */
	const char *list;	/* the collection */
	const struct ctl_carry *carry;
	int	 nested;	/* an RA Profile: below its authority */
};

static const struct ctl_carry profile_carry[] = {
	{ "name", "name", NULL },
	{ "description", "description", NULL },
	{ "variant", "variant", NULL },
	{ "requestProtectionMethod", "requestProtectionMethod", NULL },
	{ "responseProtectionMethod", "responseProtectionMethod", NULL },
	{ "sharedSecretReference", "sharedSecretReference", NULL },
	{ "raProfileUuid", "raProfile", "uuid" },
	{ "issueCertificateAttributes", "issueCertificateAttributes", NULL },
	{ "revokeCertificateAttributes", "revokeCertificateAttributes", NULL },
	{ "implicitConfirmAllowed", "implicitConfirmAllowed", NULL },
	{ "confirmWaitTime", "confirmWaitTime", NULL },
	{ "subjectPolicy", "subjectPolicy", NULL },
	{ NULL, NULL, NULL },
};
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
static const struct ctl_carry raprofile_carry[] = {
	{ "name", "name", NULL },
	{ "description", "description", NULL },
	{ "enabled", "enabled", NULL },
	{ "attributes", "attributes", NULL },
	{ NULL, NULL, NULL },
};

static const struct ctl_obj obj_profile = {
	"CMP Profile", "/cmpProfiles", profile_carry, 0 };
static const struct ctl_obj obj_connector = {
	"connector", "/connectors", connector_carry, 0 };
static const struct ctl_obj obj_authority = {
	"authority", "/authorities", authority_carry, 0 };
static const struct ctl_obj obj_raprofile = {
	"RA Profile", "/raProfiles", raprofile_carry, 1 };
static const struct ctl_obj obj_apikey = {
	"API key", "/apiKeys", NULL, 0 };

/* Refused unless they come from a file or standard input. */
static const char *const ctl_secret_keys[] = {
	"sharedSecret", "credentials", "signingCredentials", "privateKey",
};

/* Fields that name another object: a name is turned into its UUID. */
static const struct {
	const char *key;
	const struct ctl_obj *obj;
} ctl_refs[] = {
	{ "connectorUuid", &obj_connector },
	{ "authorityUuid", &obj_authority },
	{ "raProfileUuid", &obj_raprofile },
};

/* ------------------------------------------------------------ helpers */

static int
ctl_fmt(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf that fails (with a message) rather than truncate */
static int
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

static void
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
static int
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

static const char *
ctl_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
ctl_is_2xx(int status)
{
	return status >= 200 && status < 300;
}

/* ------------------------------------------------------ the API call */

/*
 * One call of the management API, in-process. The HTTP status; *answer
 * (json_object_put) gets the answer, NULL for none.
 */
static int
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
static void
ctl_error(int status, json_object *answer)
{
	const char *msg = ctl_str(answer, "message");

	if (msg != NULL)
		fprintf(stderr, "cmpctl: %s (%d)\n", msg, status);
	else if (status != 414)	/* 414: ctl_call said why already */
		fprintf(stderr, "cmpctl: the call failed (%d)\n", status);
}

/* Prints a 2xx answer as JSON, or the failure; the exit status. */
static int
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
static int
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
static int
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

static int
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
static int
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

static int
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
static int
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
 * PUT of the object's current fields with the given ones over them, so
 * that an edit changes only what it names.
 */
static int
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
static int
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

/* ------------------------------------------------------------ commands */

static int
cmd_migrate(struct ctl *x, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return CTL_USAGE;
	if (migrate_run(&x->conf) != 0)
		return CTL_FAIL;
	printf("cmpctl: the schema of %s is up to date\n", x->conf.db_name);
	return CTL_OK;
}

static int
cmd_routes(struct ctl *x, int argc, char **argv)
{
	(void)x;
	(void)argv;
	if (argc != 1)
		return CTL_USAGE;
	api_routes_print();
	return CTL_OK;
}

/* Whether a JSON body holds a member that is a secret, at any depth. */
static int
ctl_has_secret(json_object *o)
{
	size_t i, n;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (ctl_has_secret(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v) {
		if (ctl_is_secret_key(k) || ctl_has_secret(v))
			return 1;
	}
	return 0;
}

static int
cmd_api(struct ctl *x, int argc, char **argv)
{
	char method[8], *buf = NULL, why[160];
	const char *path, *text;
	json_object *body = NULL;
	size_t i, len;
	int r = CTL_FAIL;

	if (argc != 3 && argc != 4)
		return CTL_USAGE;
	len = strlen(argv[1]);
	if (len == 0 || len >= sizeof(method))
		return CTL_USAGE;
	for (i = 0; i <= len; i++)
		method[i] = (char)toupper((unsigned char)argv[1][i]);
	path = argv[2];
	if (strncmp(path, "/api/v1/", 8) == 0)
		path += 7;
	if (*path != '/') {
		fprintf(stderr, "cmpctl: the path starts with /\n");
		return CTL_USAGE;
	}
	if (argc == 4) {
		text = argv[3];
		if (strcmp(text, "-") == 0 || *text == '@') {
			if (ctl_read(x, *text == '@' ? text + 1 : text, &buf,
			    &len) != 0)
				goto out;
			text = buf;
		} else {
			len = strlen(text);
		}
		if (jsoncheck_parse_why(text, len, API_JSON_DEPTH, &body, why,
		    sizeof(why)) != PARSE_OK) {
			fprintf(stderr, "cmpctl: the body %s\n", why);
			goto out;
		}
		/* as for fields: secrets never on the command line */
		if (buf == NULL && ctl_has_secret(body)) {
			fprintf(stderr, "cmpctl: a body with secrets comes "
			    "from a file (@FILE) or standard input (-): the "
			    "command line is readable in /proc/PID/cmdline\n");
			goto out;
		}
	}
	r = ctl_do(x, method, path, body);
 out:
	api_json_free(body);
	ctl_buf_free(buf);
	return r;
}

/*
 * "--name VALUE" or "--name=VALUE" at argv[*i]: 1 and *val, 0 when argv[*i]
 * is something else, -1 when the value is missing.
 */
static int
ctl_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "cmpctl: %s needs a value\n", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

/* The key and a line end to fd, on disk before the answer is printed. */
static int
ctl_write_key(int fd, const char *key)
{
	size_t len = strlen(key), off = 0;
	ssize_t w;

	if (fchmod(fd, 0600) == -1)
		return -1;
	while (off <= len) {
		w = off < len ? write(fd, key + off, len - off) :
		    write(fd, "\n", 1);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return fsync(fd);
}

/*
 * apikey create: the key is in the answer once. With --out it goes to a
 * new file of mode 0600 instead of stdout; the file is made before the
 * key, so that no key is made that cannot be written.
 */
static int
apikey_create(struct ctl *x, int argc, char **argv)
{
	const char *name = NULL, *role = NULL, *out = NULL, *key, *uuid;
	json_object *body = NULL, *answer = NULL;
	enum api_role rl;
	int i, o, fd = -1, rc, err = 0, status, r = CTL_FAIL;

	for (i = 0; i < argc; i++) {
		if ((o = ctl_opt(argc, argv, &i, "--role", &role)) == 0)
			o = ctl_opt(argc, argv, &i, "--out", &out);
		if (o < 0)
			return CTL_USAGE;
		if (o > 0)
			continue;
		if (name != NULL || argv[i][0] == '-')
			return CTL_USAGE;
		name = argv[i];
	}
	if (name == NULL || role == NULL)
		return CTL_USAGE;
	if (api_role_parse(role, &rl) != 0) {
		fprintf(stderr, "cmpctl: --role is read or admin\n");
		return CTL_USAGE;
	}
	if (out != NULL && (fd = open(out, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "cmpctl: %s: %s\n", out, strerror(errno));
		return CTL_FAIL;
	}
	if ((body = json_object_new_object()) == NULL ||
	    json_object_object_add(body, "name",
	    json_object_new_string(name)) != 0 ||
	    json_object_object_add(body, "role",
	    json_object_new_string(role)) != 0)
		goto out;
	status = ctl_call(x, "POST", "/apiKeys", body, &answer);
	if (!ctl_is_2xx(status)) {
		ctl_error(status, answer);
		goto out;
	}
	if (out == NULL) {
		r = ctl_report(status, answer);
		goto out;
	}
	if ((key = ctl_str(answer, "key")) == NULL) {
		fprintf(stderr, "cmpctl: the answer holds no key\n");
		goto out;
	}
	if ((rc = ctl_write_key(fd, key)) != 0)
		err = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	fd = -1;
	if (rc != 0) {
		uuid = ctl_str(answer, "uuid");
		fprintf(stderr, "cmpctl: %s: %s; delete the key %s, it is "
		    "lost\n", out, strerror(err), uuid != NULL ? uuid : "");
		unlink(out);
		goto out;
	}
	/* json-c frees a member without wiping it */
	OPENSSL_cleanse((char *)key, strlen(key));
	json_object_object_del(answer, "key");
	json_object_object_add(answer, "keyFile", json_object_new_string(out));
	r = ctl_report(status, answer);
 out:
	if (fd != -1) {
		close(fd);
		unlink(out);
	}
	api_json_free(answer);
	json_object_put(body);
	return r;
}

static int
cmd_apikey(struct ctl *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "create") == 0)
		return apikey_create(x, argc - 2, argv + 2);
	if (strcmp(sub, "list") == 0 && argc == 2)
		return ctl_do(x, "GET", "/apiKeys", NULL);
	if (strcmp(sub, "delete") == 0 && argc >= 3)
		return ctl_obj_each(x, &obj_apikey, "DELETE", "", argc - 2,
		    argv + 2);
	return CTL_USAGE;
}

/*
 * Splits PEM text into its private key blocks and the others (the
 * certificates), for PUT signingCredentials.
 */
static int
ctl_pem_split(const char *pem, json_object *body)
{
	const char *p = pem, *b, *e, *end;
	char *keys = NULL, *certs = NULL, *dst;
	size_t cap = strlen(pem) + 1, nk = 0, nc = 0, *np;
	int r = -1;

	if ((keys = calloc(1, cap)) == NULL || (certs = calloc(1, cap)) ==
	    NULL)
		goto out;
	while ((b = strstr(p, "-----BEGIN ")) != NULL) {
		if ((e = strstr(b, "-----END ")) == NULL)
			break;
		end = e + strcspn(e, "\n");
		if (*end == '\n')
			end++;
		/* the label is on the BEGIN line */
		if (memmem(b, strcspn(b, "\n"), "PRIVATE KEY", 11) != NULL) {
			dst = keys;
			np = &nk;
		} else {
			dst = certs;
			np = &nc;
		}
		memcpy(dst + *np, b, (size_t)(end - b));
		*np += (size_t)(end - b);
		p = end;
	}
	if (nk == 0 || nc == 0) {
		fprintf(stderr, "cmpctl: the PEM holds no %s\n", nk == 0 ?
		    "private key" : "certificate");
		goto out;
	}
	if (json_object_object_add(body, "privateKey",
	    json_object_new_string_len(keys, (int)nk)) != 0 ||
	    json_object_object_add(body, "certificateChain",
	    json_object_new_string_len(certs, (int)nc)) != 0)
		goto out;
	r = 0;
 out:
	if (keys != NULL)
		OPENSSL_clear_free(keys, cap);
	free(certs);
	return r;
}

/* profile signing P FILE [FILE]: the files (or -) are concatenated. */
static int
profile_signing(struct ctl *x, int argc, char **argv)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	char *all = NULL, *buf = NULL;
	json_object *body = NULL;
	size_t len, n = 0;
	int i, r = CTL_FAIL;

	if (ctl_item(x, &obj_profile, argv[0], path, sizeof(path), uuid) != 0)
		return CTL_FAIL;
	if ((all = calloc(1, CTL_FILE_MAX + 1)) == NULL)
		goto out;
	for (i = 1; i < argc; i++) {
		if (ctl_read(x, argv[i], &buf, &len) != 0)
			goto out;
		if (len > CTL_FILE_MAX - n) {
			fprintf(stderr, "cmpctl: more than %d bytes of PEM\n",
			    CTL_FILE_MAX);
			goto out;
		}
		memcpy(all + n, buf, len);
		n += len;
		ctl_buf_free(buf);
		buf = NULL;
	}
	if ((body = json_object_new_object()) == NULL ||
	    ctl_pem_split(all, body) != 0 ||
	    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
	    "/signingCredentials") != 0)
		goto out;
	r = ctl_do(x, "PUT", path, body);
 out:
	api_json_free(body);
	ctl_buf_free(buf);
	ctl_buf_free(all);
	return r;
}

static int
profile_anchors(struct ctl *x, const char *p, const char *file)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1], *buf = NULL;
	json_object *body = NULL;
	size_t len;
	int r = CTL_FAIL;

	if (ctl_item(x, &obj_profile, p, path, sizeof(path), uuid) != 0 ||
	    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
	    "/trustAnchors") != 0 ||
	    ctl_read(x, file, &buf, &len) != 0)
		goto out;
	if ((body = json_object_new_object()) == NULL ||
	    json_object_object_add(body, "certificates",
	    json_object_new_string_len(buf, (int)len)) != 0)
		goto out;
	r = ctl_do(x, "PUT", path, body);
 out:
	json_object_put(body);
	ctl_buf_free(buf);
	return r;
}

/*
 * profile delete P... --force: the bulk route, whose answer lists the
 * profiles it could not delete.
 */
static int
profile_delete_force(struct ctl *x, int argc, char **argv)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	json_object *list = NULL, *answer = NULL, *e;
	size_t i, n;
	int status, r = CTL_FAIL;

	if ((list = json_object_new_array()) == NULL)
		return CTL_FAIL;
	for (i = 0; i < (size_t)argc; i++) {
		if (ctl_item(x, &obj_profile, argv[i], path, sizeof(path),
		    uuid) != 0)
			goto out;
		json_object_array_add(list, json_object_new_string(uuid));
	}
	status = ctl_call(x, "DELETE", "/cmpProfiles/delete/force", list,
	    &answer);
	if (!ctl_is_2xx(status)) {
		ctl_error(status, answer);
		goto out;
	}
	r = CTL_OK;
	n = json_object_is_type(answer, json_type_array) ?
	    json_object_array_length(answer) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(answer, i);
		fprintf(stderr, "cmpctl: %s: %s\n", ctl_str(e, "name") != NULL ?
		    ctl_str(e, "name") : "?", ctl_str(e, "message") != NULL ?
		    ctl_str(e, "message") : "not deleted");
		r = CTL_FAIL;
	}
 out:
	json_object_put(answer);
	json_object_put(list);
	return r;
}

static int
cmd_profile(struct ctl *x, int argc, char **argv)
{
	const struct ctl_obj *o = &obj_profile;
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	char ra_path[CTL_PATH_MAX], ra_uuid[CMPD_UUID_LEN + 1];
	const char *sub = argc > 1 ? argv[1] : "";
	int i, force = 0, n = 0;

	if (strcmp(sub, "list") == 0 && argc == 2)
		return ctl_do(x, "GET", o->list, NULL);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "");
	if (strcmp(sub, "show-anchors") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "/trustAnchors");
	if (strcmp(sub, "create") == 0 && argc >= 3)
		return ctl_obj_create(x, o->list, argc - 2, argv + 2);
	if (strcmp(sub, "edit") == 0 && argc >= 4)
		return ctl_obj_edit(x, o, argv[2], argc - 3, argv + 3);
	if ((strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0) &&
	    argc >= 3)
		return ctl_obj_each(x, o, "PATCH", strcmp(sub, "enable") == 0 ?
		    "/enable" : "/disable", argc - 2, argv + 2);
	if (strcmp(sub, "delete") == 0) {
		/* --force anywhere; the others are profiles */
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--force") == 0)
				force = 1;
			else
				argv[2 + n++] = argv[i];
		}
		if (n == 0)
			return CTL_USAGE;
		if (force)
			return profile_delete_force(x, n, argv + 2);
		return ctl_obj_each(x, o, "DELETE", "", n, argv + 2);
	}
	if (strcmp(sub, "set-ra") == 0 && argc == 4) {
		if (ctl_item(x, o, argv[2], path, sizeof(path), uuid) != 0 ||
		    ctl_item(x, &obj_raprofile, argv[3], ra_path,
		    sizeof(ra_path), ra_uuid) != 0 ||
		    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
		    "/raProfiles/%s", ra_uuid) != 0)
			return CTL_FAIL;
		return ctl_do(x, "PATCH", path, NULL);
	}
	if (strcmp(sub, "signing") == 0 && (argc == 4 || argc == 5))
		return profile_signing(x, argc - 2, argv + 2);
	if (strcmp(sub, "anchors") == 0 && argc == 4)
		return profile_anchors(x, argv[2], argv[3]);
	return CTL_USAGE;
}

/* connector and authority: the same five commands */
static int
ctl_plain_obj(struct ctl *x, const struct ctl_obj *o, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "list") == 0 && argc == 2)
		return ctl_do(x, "GET", o->list, NULL);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "");
	if (strcmp(sub, "create") == 0 && argc >= 3)
		return ctl_obj_create(x, o->list, argc - 2, argv + 2);
	if (strcmp(sub, "edit") == 0 && argc >= 4)
		return ctl_obj_edit(x, o, argv[2], argc - 3, argv + 3);
	if (strcmp(sub, "delete") == 0 && argc >= 3)
		return ctl_obj_each(x, o, "DELETE", "", argc - 2, argv + 2);
	return CTL_USAGE;
}

static int
cmd_connector(struct ctl *x, int argc, char **argv)
{
	return ctl_plain_obj(x, &obj_connector, argc, argv);
}

static int
cmd_authority(struct ctl *x, int argc, char **argv)
{
	return ctl_plain_obj(x, &obj_authority, argc, argv);
}

static int
cmd_raprofile(struct ctl *x, int argc, char **argv)
{
	const struct ctl_obj *o = &obj_raprofile;
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	char cpath[CTL_PATH_MAX], cuuid[CMPD_UUID_LEN + 1];
	const char *sub = argc > 1 ? argv[1] : "";
	json_object *body = NULL;
	int r = CTL_FAIL;

	if (strcmp(sub, "list") == 0 && argc == 2)
		return ctl_do(x, "GET", o->list, NULL);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "");
	if (strcmp(sub, "cmp-show") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "/protocols/cmp");
	if (strcmp(sub, "create") == 0 && argc >= 4) {
		if (ctl_item(x, &obj_authority, argv[2], path, sizeof(path),
		    uuid) != 0 ||
		    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
		    "/raProfiles") != 0)
			return CTL_FAIL;
		return ctl_obj_create(x, path, argc - 3, argv + 3);
	}
	if (strcmp(sub, "edit") == 0 && argc >= 4)
		return ctl_obj_edit(x, o, argv[2], argc - 3, argv + 3);
	if ((strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0) &&
	    argc >= 3)
		return ctl_obj_each(x, o, "PATCH", strcmp(sub, "enable") == 0 ?
		    "/enable" : "/disable", argc - 2, argv + 2);
	if (strcmp(sub, "delete") == 0 && argc >= 3)
		return ctl_obj_each(x, o, "DELETE", "", argc - 2, argv + 2);
	if (strcmp(sub, "cmp-deactivate") == 0 && argc == 3)
		return ctl_obj_each(x, o, "PATCH", "/protocols/cmp/deactivate",
		    1, argv + 2);
	if (strcmp(sub, "cmp-activate") != 0 || argc < 4)
		return CTL_USAGE;
	if (ctl_item(x, o, argv[2], path, sizeof(path), uuid) != 0 ||
	    ctl_item(x, &obj_profile, argv[3], cpath, sizeof(cpath),
	    cuuid) != 0 ||
	    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
	    "/protocols/cmp/activate/%s", cuuid) != 0)
		return CTL_FAIL;
	/* the body is optional */
	if (argc > 4 && ((body = json_object_new_object()) == NULL ||
	    ctl_fields(x, argc - 4, argv + 4, body) != 0))
		goto out;
	r = ctl_do(x, "PATCH", path, body);
 out:
	api_json_free(body);
	return r;
}

/*
 * GET of a collection with key=value arguments as its query, or of one
 * member when the only argument is an id.
 */
static int
ctl_query(struct ctl *x, const char *coll, int with_id, int argc,
    char **argv)
{
	char path[CTL_PATH_MAX], *esc;
	const char *eq;
	size_t len;
	int i, r;

	if (ctl_fmt(path, sizeof(path), "%s", coll) != 0)
		return CTL_FAIL;
	if (with_id && argc == 2 && strchr(argv[1], '=') == NULL) {
		if (argv[1][0] == '\0' || strcspn(argv[1], "/?&#%") !=
		    strlen(argv[1]))
			return CTL_USAGE;
		if (ctl_fmt(path, sizeof(path), "%s/%s", coll, argv[1]) != 0)
			return CTL_FAIL;
		return ctl_do(x, "GET", path, NULL);
	}
	for (i = 1; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i] ||
		    strspn(argv[i], "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		    (size_t)(eq - argv[i])) {
			fprintf(stderr, "cmpctl: %s: not key=value\n",
			    argv[i]);
			return CTL_USAGE;
		}
		if ((esc = curl_easy_escape(NULL, eq + 1, 0)) == NULL)
			return CTL_FAIL;
		len = strlen(path);
		r = ctl_fmt(path + len, sizeof(path) - len, "%c%.*s=%s",
		    i == 1 ? '?' : '&', (int)(eq - argv[i]), argv[i], esc);
		curl_free(esc);
		if (r != 0)
			return CTL_FAIL;
	}
	return ctl_do(x, "GET", path, NULL);
}

static int
cmd_certificates(struct ctl *x, int argc, char **argv)
{
	return ctl_query(x, "/certificates", 1, argc, argv);
}

static int
cmd_transactions(struct ctl *x, int argc, char **argv)
{
	return ctl_query(x, "/cmpTransactions", 1, argc, argv);
}

static int
cmd_audit(struct ctl *x, int argc, char **argv)
{
	return ctl_query(x, "/auditLogs", 0, argc, argv);
}

/* The columns that hold sealed values; the AAD is "table.column|uuid". */
static const struct ctl_sealed {
	const char *column;
	const char *sql_next;	/* the next row after uuid ?, locked */
	const char *sql_set;	/* (blob, uuid) */
} ctl_sealed[] = {
	{ "cmp_profile.shared_secret_enc",
	    "SELECT uuid, shared_secret_enc FROM cmp_profile WHERE "
	    "shared_secret_enc IS NOT NULL AND uuid > ? ORDER BY uuid "
	    "LIMIT 1 FOR UPDATE",
	    "UPDATE cmp_profile SET shared_secret_enc = ? WHERE uuid = ?" },
	{ "cmp_profile.signing_key_enc",
	    "SELECT uuid, signing_key_enc FROM cmp_profile WHERE "
	    "signing_key_enc IS NOT NULL AND uuid > ? ORDER BY uuid "
	    "LIMIT 1 FOR UPDATE",
	    "UPDATE cmp_profile SET signing_key_enc = ? WHERE uuid = ?" },
	{ "connector.auth_data_enc",
	    "SELECT uuid, auth_data_enc FROM connector WHERE "
	    "auth_data_enc IS NOT NULL AND uuid > ? ORDER BY uuid "
	    "LIMIT 1 FOR UPDATE",
	    "UPDATE connector SET auth_data_enc = ? WHERE uuid = ?" },
};

/*
 * Re-seals every value of one column, a row at a time in UUID order (no
 * list of rows in memory, however many there are). *done counts the
 * values re-sealed, *kept those sealed with the new key already.
 */
static int
ctl_rotate_column(const struct ctl_sealed *s, long *done, long *kept)
{
	char prev[CMPD_UUID_LEN + 1] = "", uuid[CMPD_UUID_LEN + 1];
	char aad[SECRET_AAD_MAX];
	unsigned char *blob = NULL, *sealed = NULL;
	size_t sealed_len = 0;
	int rc, r = -1;

	if ((blob = malloc(CTL_SEALED_MAX)) == NULL)
		return -1;
	for (;;) {
		struct db_arg a[1] = { DB_ARG_STR(prev) };
		struct db_col c[2] = {
			{ DB_STR, uuid, sizeof(uuid), 0, 0, 0, 0 },
			{ DB_BLOB, blob, CTL_SEALED_MAX, 0, 0, 0, 0 },
		};

		if ((rc = db_run(s->sql_next, a, 1, c, 2, NULL)) ==
		    DB_NOTFOUND)
			break;
		if (rc != DB_OK || c[1].null)
			goto out;
		SECRET_AAD(aad, s->column, uuid);
		rc = secret_reseal(blob, c[1].len, aad, &sealed, &sealed_len);
		if (rc < 0) {
			fprintf(stderr, "cmpctl: %s of %s opens with neither "
			    "key\n", s->column, uuid);
			goto out;
		}
		if (rc == 0) {
			struct db_arg u[2] = {
			    DB_ARG_BLOB(sealed, sealed_len), DB_ARG_STR(uuid) };

			if (db_run(s->sql_set, u, 2, NULL, 0, NULL) != DB_OK)
				goto out;
			(*done)++;
		} else {
			(*kept)++;
		}
		OPENSSL_free(sealed);
		sealed = NULL;
		memcpy(prev, uuid, sizeof(prev));
	}
	r = 0;
 out:
	OPENSSL_free(sealed);
	free(blob);
	return r;
}

/*
 * key rotate NEWFILE: every sealed value re-sealed with the new key in one
 * transaction, with its audit row. Run it again after a failure: values
 * sealed with the new key already are left as they are.
 */
static int
key_rotate(struct ctl *x, const char *file)
{
	char abs_path[PATH_MAX];
	json_object *detail = NULL;
	struct stat st;
	long done = 0, kept = 0;
	size_t i;
	int rc, began = 0, r = CTL_FAIL;

	if (!secret_available()) {
		fprintf(stderr, "cmpctl: %s sets no secret_key_file: there is "
		    "no key to rotate from\n", x->conf_path);
		return CTL_FAIL;
	}
	if (realpath(file, abs_path) == NULL) {
		fprintf(stderr, "cmpctl: %s: %s\n", file, strerror(errno));
		return CTL_FAIL;
	}
	if (stat(abs_path, &st) == 0 && (st.st_mode & 077) != 0)
		fprintf(stderr, "cmpctl: warning: %s can be read by others "
		    "than its owner\n", file);
	if ((rc = secret_reseal_init(abs_path)) != 0) {
		fprintf(stderr, "cmpctl: %s: %s\n", file, rc == -2 ?
		    "this is the current key" : "no key (64 hex digits)");
		return CTL_FAIL;
	}
	if (db_begin() != DB_OK) {
		fprintf(stderr, "cmpctl: the database is not available\n");
		goto out;
	}
	began = 1;
	for (i = 0; i < NITEMS(ctl_sealed); i++)
		if (ctl_rotate_column(&ctl_sealed[i], &done, &kept) != 0)
			goto out;
	if ((detail = json_object_new_object()) == NULL ||
	    json_object_object_add(detail, "values",
	    json_object_new_int64(done)) != 0 ||
	    audit_write(x->actor, "rotate", "secretKey", NULL, detail) != 0 ||
	    db_commit() != DB_OK)
		goto out;
	began = 0;
	printf("cmpctl: %ld value%s re-encrypted with the key in %s", done,
	    done == 1 ? "" : "s", abs_path);
	if (kept > 0)
		printf(" (%ld had it already)", kept);
	printf("\ncmpctl: now set \"secret_key_file = %s\" in %s and restart "
	    "cmpd or send it SIGHUP; until then it cannot open them\n",
	    abs_path, x->conf_path);
	r = CTL_OK;
 out:
	if (began) {
		db_rollback();
		fprintf(stderr, "cmpctl: nothing changed; values already "
		    "sealed with the new key, if any, stay so: run the "
		    "rotation again\n");
	}
	secret_reseal_done();
	json_object_put(detail);
	return r;
}

static int
cmd_key(struct ctl *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (argc != 3)
		return CTL_USAGE;
	if (strcmp(sub, "create") == 0) {
		if (secret_key_create(argv[2]) != 0) {
			fprintf(stderr, "cmpctl: %s: %s\n", argv[2],
			    strerror(errno));
			return CTL_FAIL;
		}
		printf("cmpctl: new key written to %s\n", argv[2]);
		return CTL_OK;
	}
	if (strcmp(sub, "rotate") == 0) {
		/* needs the database: loaded here, not for "key create" */
		return key_rotate(x, argv[2]);
	}
	return CTL_USAGE;
}

/* ------------------------------------------------------------- main */

static const struct ctl_cmd {
	const char *name;
	enum ctl_need need;
	int	(*fn)(struct ctl *, int, char **);
	const char *summary;
	const char *usage;
} ctl_cmds[] = {
	{ "migrate", NEED_CONF, cmd_migrate,
	    "apply the database schema migrations",
	    "usage: cmpctl migrate\n"
	    "  Applies the schema migrations in schema_dir (cmpd --migrate).\n" },
	{ "routes", NEED_NOTHING, cmd_routes,
	    "print the routes of the management API",
	    "usage: cmpctl routes\n"
	    "  Prints \"METHOD /api/v1/PATH ROLE\" for every route.\n" },
	{ "api", NEED_DB, cmd_api,
	    "call one route of the management API",
	    "usage: cmpctl api METHOD PATH [BODY]\n"
	    "  PATH is below /api/v1 and may carry ?query; BODY is JSON text,\n"
	    "  @FILE, or - for standard input.\n" },
	{ "apikey", NEED_DB, cmd_apikey,
	    "create, list and delete API keys",
	    "usage: cmpctl apikey create NAME --role read|admin [--out FILE]\n"
	    "       cmpctl apikey list\n"
	    "       cmpctl apikey delete KEY...\n"
	    "  The key is shown once: printed, or with --out written to a new\n"
	    "  FILE of mode 0600 instead. KEY is a UUID or a name.\n" },
	{ "profile", NEED_DB, cmd_profile,
	    "manage CMP Profiles",
	    "usage: cmpctl profile list\n"
	    "       cmpctl profile show P\n"
	    "       cmpctl profile create FIELD...\n"
	    "       cmpctl profile edit P FIELD...\n"
	    "       cmpctl profile enable|disable P...\n"
	    "       cmpctl profile delete P... [--force]\n"
	    "       cmpctl profile set-ra P RA\n"
	    "       cmpctl profile signing P PEMFILE [PEMFILE]\n"
	    "       cmpctl profile anchors P PEMFILE\n"
	    "       cmpctl profile show-anchors P\n"
	    "  P is a CMP Profile, RA an RA Profile, by UUID or name. FIELD is\n"
	    "  key=value, key:=json, key=@file or key:=@file (@- is standard\n"
	    "  input); sharedSecret and signingCredentials only from files.\n"
	    "  signing: the private key and the certificate chain, PEM.\n" },
	{ "connector", NEED_DB, cmd_connector,
	    "manage connectors",
	    "usage: cmpctl connector list\n"
	    "       cmpctl connector show C\n"
	    "       cmpctl connector create FIELD...\n"
	    "       cmpctl connector edit C FIELD...\n"
	    "       cmpctl connector delete C...\n"
	    "  credentials only from a file: credentials:=@FILE.\n" },
	{ "authority", NEED_DB, cmd_authority,
	    "manage authorities",
	    "usage: cmpctl authority list\n"
	    "       cmpctl authority show A\n"
	    "       cmpctl authority create FIELD...\n"
	    "       cmpctl authority edit A FIELD...\n"
	    "       cmpctl authority delete A...\n" },
	{ "raprofile", NEED_DB, cmd_raprofile,
	    "manage RA Profiles and their CMP protocol",
	    "usage: cmpctl raprofile list\n"
	    "       cmpctl raprofile show RA\n"
	    "       cmpctl raprofile create AUTHORITY FIELD...\n"
	    "       cmpctl raprofile edit RA FIELD...\n"
	    "       cmpctl raprofile enable|disable RA...\n"
	    "       cmpctl raprofile delete RA...\n"
	    "       cmpctl raprofile cmp-show RA\n"
	    "       cmpctl raprofile cmp-activate RA P [FIELD...]\n"
	    "       cmpctl raprofile cmp-deactivate RA\n" },
	{ "certificates", NEED_DB, cmd_certificates,
	    "list certificates, or show one",
	    "usage: cmpctl certificates [KEY=VALUE...]\n"
	    "       cmpctl certificates UUID\n"
	    "  KEY: cmpProfileUuid raProfileUuid status serialNumber subject\n"
	    "  limit offset.\n" },
	{ "transactions", NEED_DB, cmd_transactions,
	    "list CMP transactions, or show one",
	    "usage: cmpctl transactions [KEY=VALUE...]\n"
	    "       cmpctl transactions TRANSACTIONID\n"
	    "  KEY: state cmpProfileUuid limit offset.\n" },
	{ "audit", NEED_DB, cmd_audit,
	    "list the audit log",
	    "usage: cmpctl audit [KEY=VALUE...]\n"
	    "  KEY: objectType objectUuid actor limit offset.\n" },
	{ "key", NEED_NOTHING, cmd_key,
	    "create or rotate the master key of secrets at rest",
	    "usage: cmpctl key create FILE\n"
	    "       cmpctl key rotate NEWFILE\n"
	    "  create writes a new key to FILE (mode 0600), never over a file.\n"
	    "  rotate re-encrypts every secret in the database with the key\n"
	    "  in NEWFILE; then set secret_key_file = NEWFILE.\n" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: cmpctl [-c file] command [arguments]\n"
	    "  -c file    cmpd's configuration (default " DEFAULT_CONF ")\n"
	    "  -v         print the version and exit\n"
	    "commands (cmpctl command --help for more):\n");
	for (i = 0; i < NITEMS(ctl_cmds); i++)
		fprintf(f, "  %-13s%s\n", ctl_cmds[i].name,
		    ctl_cmds[i].summary);
}

/* What a command needs: the configuration, the database, the key. */
static int
ctl_load(struct ctl *x, enum ctl_need need)
{
	char err[512];

	if (need >= NEED_CONF && !x->have_conf) {
		if (conf_load(x->conf_path, &x->conf, err, sizeof(err)) != 0) {
			fprintf(stderr, "cmpctl: %s\n", err);
			return -1;
		}
		x->have_conf = 1;
		/* warnings and errors: the answer is what the user wants */
		log_set_level(x->conf.log_level < LOG_LVL_WARN ?
		    x->conf.log_level : LOG_LVL_WARN);
	}
	if (need >= NEED_DB && !x->have_db) {
		db_configure(&x->conf);
		x->have_db = 1;
		if (secret_init(&x->conf) != 0) {
			fprintf(stderr, "cmpctl: cannot load secret_key_file "
			    "%s\n", x->conf.secret_key_file);
			return -1;
		}
		if (conn_init(&x->conf) != 0) {
			fprintf(stderr, "cmpctl: cannot set up the connector "
			    "client\n");
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = NULL;
	struct passwd *pw;
	struct ctl x;
	size_t i;
	int ch, r;

	memset(&x, 0, sizeof(x));
	x.conf_path = DEFAULT_CONF;
	/* "+": options end at the command */
	while ((ch = getopt_long(argc, argv, "+c:hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			x.conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'v':
			printf("cmpctl %s\n", CMPD_VERSION);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			usage(stdout);
			return CTL_OK;
		}
		argv[0] = argv[1];
		argv[1] = (char *)"--help";
		argc = 2;
	}
	for (i = 0; i < NITEMS(ctl_cmds); i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			cmd = &ctl_cmds[i];
	if (cmd == NULL) {
		fprintf(stderr, "cmpctl: no command %s\n", argv[0]);
		usage(stderr);
		return CTL_USAGE;
	}
	for (ch = 1; ch < argc; ch++)
		if (strcmp(argv[ch], "--help") == 0 ||
		    strcmp(argv[ch], "-h") == 0) {
			fputs(cmd->usage, stdout);
			return CTL_OK;
		}

	log_init("cmpctl", 1, 0);
	log_set_level(LOG_LVL_WARN);
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(x.actor, sizeof(x.actor), "cmpctl:%s", pw->pw_name);
	else
		snprintf(x.actor, sizeof(x.actor), "cmpctl:%lu",
		    (unsigned long)getuid());
	/* key rotate needs the database, key create nothing */
	if (ctl_load(&x, cmd->fn == cmd_key && argc > 1 &&
	    strcmp(argv[1], "rotate") == 0 ? NEED_DB : cmd->need) != 0)
		r = CTL_FAIL;
	else
		r = cmd->fn(&x, argc, argv);
	if (r == CTL_USAGE)
		fputs(cmd->usage, stderr);
	if (x.have_db) {
		conn_done();
		db_close();
	}
	secret_reseal_done();
	if (x.have_conf)
		conf_free(&x.conf);
	return r;
}
