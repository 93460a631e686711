/*
 * What the management API's connectors, authorities and RA Profiles
 * share: path and body checks, JSON of a column, the existence checks
 * and the refusal to delete an object still in use.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "api.h"

/* A memory BIO's text as a JSON string (NULL: nothing was written). */
static json_object *
obj_bio_string(BIO *b, int written)
{
	json_object *o = NULL;
	char *p;
	long len;

	if (written == 1 && (len = BIO_get_mem_data(b, &p)) > 0)
		o = json_object_new_string_len(p, (int)len);
	BIO_free(b);
	return o;
}

/* PEM text of a certificate, as the API shows it. */
json_object *
obj_pem_cert(X509 *x)
{
	BIO *b;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	return obj_bio_string(b, PEM_write_bio_X509(b, x));
}

/* PEM text of a CRL. */
json_object *
obj_pem_crl(X509_CRL *x)
{
	BIO *b;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	return obj_bio_string(b, PEM_write_bio_X509_CRL(b, x));
}

/* Body of a POST or PUT: a JSON object. */
int
obj_body(struct api_call *c)
{
	if (c->body == NULL || !json_object_is_type(c->body, json_type_object))
		return api_fail(c, 400, "the body must be a JSON object");
	return 0;
}

/*
 * A body that is a JSON object whose members are all among names: 400
 * "unknown field X" otherwise, so that a misspelt member, a secret's
 * above all, is neither ignored nor audited (doc/api.md).
 */
int
obj_body_only(struct api_call *c, const char *const *names, size_t n)
{
	if (obj_body(c) != 0)
		return c->status;
	json_object_object_foreach(c->body, key, val) {
		(void)val;
		if (util_name_index(names, n, key, 0) < 0)
			return api_fail(c, 400, "unknown field %.64s", key);
	}
	return 0;
}

/* A UUID, lowercased into out (the columns compare case-sensitively). */
int
obj_uuid_norm(const char *in, char out[CMPD_UUID_LEN + 1])
{
	size_t i;

	if (in == NULL || !api_uuid_valid(in))
		return -1;
	for (i = 0; i < CMPD_UUID_LEN; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[CMPD_UUID_LEN] = '\0';
	return 0;
}

/* Path parameter i must be a UUID; lowercased in place. */
int
obj_param_uuid(struct api_call *c, int i, const char *what)
{
	char u[CMPD_UUID_LEN + 1];

	if (obj_uuid_norm(c->param[i], u) != 0)
		return api_fail(c, 400, "%s is not a UUID", what);
	memcpy(c->param[i], u, sizeof(u));
	return 0;
}

/* A name: not empty, no control characters (it shows up in lists). */
int
obj_name_valid(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* A JSON text column (attributes) as JSON; [] when empty or unreadable. */
json_object *
obj_json_array(const char *text)
{
	json_object *o = NULL;

	if (api_parse_json_text(text, &o) != 0 || o == NULL) {
		json_object_put(o);
		return json_object_new_array();
	}
	return o;
}

/* {uuid, name}, or JSON null when uuid is empty. */
json_object *
obj_ref(const char *uuid, const char *name)
{
	json_object *o;

	if (uuid == NULL || *uuid == '\0')
		return NULL;
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(uuid));
	json_object_object_add(o, "name", json_object_new_string(name));
	return o;
}

/* A member of a body that must be a JSON array, capped at max bytes. */
enum api_get
obj_get_array(struct api_call *c, const char *key, char **text)
{
	enum api_get g;

	if ((g = api_get_json(c, key, json_type_array, text)) != API_GOT)
		return g;
	if (strlen(*text) > PROFILE_ATTRS_MAX - 1) {
		free(*text);
		*text = NULL;
		api_fail(c, 422, "%s is longer than %d bytes", key,
		    PROFILE_ATTRS_MAX - 1);
		return API_BAD;
	}
	return API_GOT;
}

/* Whether one row exists: 1, 0, or -1 on a database error. */
int
obj_exists(const char *sql, const struct db_arg *a, size_t na)
{
	struct db_col col[1];
	int r;

	api_col_int(&col[0]);
	r = db_run(sql, a, na, col, 1, NULL);
	if (r == DB_OK)
		return 1;
	return r == DB_NOTFOUND ? 0 : -1;
}

/*
 * DELETE of an object that others may still use: 409 while sql_used finds
 * a user, 404 when sql_delete removes nothing, else 204 and an audit row.
 */
int
obj_delete_unused(struct api_call *c, const char *sql_used,
    const char *sql_delete, const char *what, const char *used_by,
    const char *audit_type)
{
	struct db_arg a[1] = { DB_ARG_STR(c->param[0]) };
	unsigned long long n = 0;
	int r;

	if ((r = obj_exists(sql_used, a, 1)) < 0)
		return api_db_fail(c);
	if (r > 0)
		return api_fail(c, 409, "%s %s is used by %s", what,
		    c->param[0], used_by);
	if (db_run(sql_delete, a, 1, NULL, 0, &n) != DB_OK)
		return api_db_fail(c);
	if (n == 0)
		return api_fail(c, 404, "%s %s not found", what, c->param[0]);
	audit_write(c->actor, "delete", audit_type, c->param[0], NULL);
	return api_ok(c, 204, NULL);
}

/* Whether authority uuid exists; 0, or the status of the answer set. */
int
obj_authority_find(struct api_call *c, const char *uuid)
{
	static const char sql[] = "SELECT 1 FROM authority WHERE uuid = ?";
	struct db_arg a[1] = { DB_ARG_STR(uuid) };
	int r;

	if ((r = obj_exists(sql, a, 1)) < 0)
		return api_db_fail(c);
	if (r == 0)
		return api_fail(c, 404, "authority %s not found", uuid);
	return 0;
}

/* A statement argument for an optional string: NULL for NULL and "". */
struct db_arg
obj_arg_opt_str(const char *s)
{
	struct db_arg a = DB_ARG_NULL;

	if (s != NULL && *s != '\0') {
		a.type = DB_STR;
		a.p = s;
		a.len = strlen(s);
	}
	return a;
}
