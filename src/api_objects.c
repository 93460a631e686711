/*
 * The management API's connectors, authorities and RA Profiles, and CMP
 * on an RA Profile (the RA-profile route). Connector credentials are
 * write-only: sealed with secret_key_file into connector.auth_data_enc,
 * answered only as hasCredentials, audited as "(set)" (issue 5).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api.h"
#include "conn.h"

#define OBJ_TS(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"
#define OBJ_TS_BUF	40
#define OBJ_URL_MAX	1024	/* connector.url VARCHAR(1024) */
#define OBJ_URL_BUF	(4 * OBJ_URL_MAX + 1)
#define OBJ_DESC_MAX	1024	/* ra_profile.description */
#define OBJ_DESC_BUF	(4 * OBJ_DESC_MAX + 1)
/* the runtime's buffer, and what VARBINARY(16384) holds once sealed
 * (secret.c adds a version byte, a 12-byte nonce and a 16-byte tag) */
#define OBJ_CRED_MAX	(PROFILE_ATTRS_MAX - 1 - 29)

/* ------------------------------------------------------------ helpers */

/* Body of a POST or PUT: a JSON object. */
static int
obj_body(struct api_call *c)
{
	if (c->body == NULL || !json_object_is_type(c->body, json_type_object))
		return api_fail(c, 400, "the body must be a JSON object");
	return 0;
}

/* A UUID, lowercased into out (the columns compare case-sensitively). */
static int
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
static int
obj_param_uuid(struct api_call *c, int i, const char *what)
{
	char u[CMPD_UUID_LEN + 1];

	if (obj_uuid_norm(c->param[i], u) != 0)
		return api_fail(c, 400, "%s is not a UUID", what);
	memcpy(c->param[i], u, sizeof(u));
	return 0;
}

/* A name: not empty, no control characters (it shows up in lists). */
static int
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
static json_object *
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
static json_object *
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
static enum api_get
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
static int
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


/* ---------------------------------------------------------- connectors */

static const char *const conn_auth_types[] = {
	"none", "basic", "certificate", "apiKey",
};

/* A certificate PEM and an unencrypted private key PEM that belong together. */
static int
connector_pem_valid(const char *cert, size_t clen, const char *key,
    size_t klen, char *err, size_t errlen)
{
	STACK_OF(X509) *certs = NULL;
	EVP_PKEY *pkey = NULL;
	int r = -1;

	if (cred_parse_pem(cert, clen, NULL, &certs, err, errlen) != 0)
		goto out;
	if (cred_parse_key(key, klen, &pkey) != 0) {
		snprintf(err, errlen, "privateKey: no unencrypted private key "
		    "(PEM)");
		goto out;
	}
	if (X509_check_private_key(sk_X509_value(certs, 0), pkey) != 1) {
		snprintf(err, errlen, "privateKey does not belong to the "
		    "certificate");
		goto out;
	}
	r = 0;
 out:
	ERR_clear_error();
	EVP_PKEY_free(pkey);
	sk_X509_pop_free(certs, X509_free);
	return r;
}

/*
 * The credentials member for authType auth, checked as conn.c will read
 * it, copied into *out (a fresh object of just the known members). 0, or
 * the status of the answer set.
 */
static int
connector_cred_check(struct api_call *c, const char *auth, json_object *cred,
    json_object **out)
{
	static const char *const keys_basic[] = { "username", "password" };
	static const char *const keys_apikey[] = { "header", "key" };
	static const char *const keys_cert[] = { "certificate", "privateKey" };
	const char *const *keys;
	const char *v[2];
	size_t len[2], i;
	json_object *m, *o = NULL;
	json_object_iter it;
	char err[256];

	*out = NULL;
	if (!json_object_is_type(cred, json_type_object))
		return api_fail(c, 400, "credentials must be a JSON object");
	if (strcmp(auth, "basic") == 0)
		keys = keys_basic;
	else if (strcmp(auth, "apiKey") == 0)
		keys = keys_apikey;
	else
		keys = keys_cert;
	json_object_object_foreachC(cred, it) {
		if (strcmp(it.key, keys[0]) != 0 && strcmp(it.key, keys[1]) != 0)
			return api_fail(c, 422, "credentials for authType %s "
			    "take %s and %s only", auth, keys[0], keys[1]);
	}
	for (i = 0; i < 2; i++) {
		if (!json_object_object_get_ex(cred, keys[i], &m) ||
		    !json_object_is_type(m, json_type_string))
			return api_fail(c, 422, "credentials for authType %s "
			    "need %s (a string)", auth, keys[i]);
		v[i] = json_object_get_string(m);
		len[i] = (size_t)json_object_get_string_len(m);
		if (strlen(v[i]) != len[i])
			return api_fail(c, 422, "credentials: %s holds a NUL",
			    keys[i]);
	}
	if (keys == keys_basic) {
		/* RFC 7617 2: the user-id cannot contain a colon. */
		if (len[0] == 0 || strchr(v[0], ':') != NULL)
			return api_fail(c, 422, "credentials: username must "
			    "not be empty nor contain a colon");
	} else if (keys == keys_apikey) {
		if (!conn_header_name_valid(v[0], len[0]))
			return api_fail(c, 422, "credentials: header is not a "
			    "usable header name");
		if (!conn_header_value_valid(v[1], len[1]))
			return api_fail(c, 422, "credentials: key is empty, "
			    "too long or holds control characters");
	} else if (connector_pem_valid(v[0], len[0], v[1], len[1], err,
	    sizeof(err)) != 0)
		return api_fail(c, 422, "credentials: %s", err);
	if ((o = json_object_new_object()) == NULL)
		return api_fail(c, 500, "out of memory");
	for (i = 0; i < 2; i++)
		json_object_object_add(o, keys[i],
		    json_object_new_string_len(v[i], (int)len[i]));
	*out = o;
	return 0;
}

/* Seals cred as connector uuid's auth_data_enc. */
static int
connector_cred_store(struct api_call *c, const char *uuid, json_object *cred)
{
	static const char sql[] = "UPDATE connector SET auth_data_enc = ? "
	    "WHERE uuid = ?";
	const char *text;
	size_t len;
	int r;

	text = json_object_to_json_string_ext(cred, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL)
		return api_fail(c, 500, "out of memory");
	len = strlen(text);
	if (len > OBJ_CRED_MAX)
		r = api_fail(c, 422, "credentials are longer than %d bytes",
		    OBJ_CRED_MAX);
	else if (cred_store_sealed(sql, "connector.auth_data_enc", uuid,
	    (const unsigned char *)text, len) != 0)
		r = api_fail(c, 500, "cannot store the credentials");
	else
		r = 0;
	OPENSSL_cleanse((char *)text, len);
	return r;
}

#define CONNECTOR_COLS \
	"SELECT uuid, name, url, auth_type, auth_data_enc IS NOT NULL, " \
	OBJ_TS("created_at") ", " OBJ_TS("updated_at") ", insecure " \
	"FROM connector "
#define CONNECTOR_NCOLS	8

struct connector_buf {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF];
	char	 url[OBJ_URL_BUF], auth[16];
	char	 created[OBJ_TS_BUF], updated[OBJ_TS_BUF];
	struct db_col col[CONNECTOR_NCOLS];
};

static void
connector_cols(struct connector_buf *b)
{
	api_col_str(&b->col[0], b->uuid, sizeof(b->uuid));
	api_col_str(&b->col[1], b->name, sizeof(b->name));
	api_col_str(&b->col[2], b->url, sizeof(b->url));
	api_col_str(&b->col[3], b->auth, sizeof(b->auth));
	api_col_int(&b->col[4]);
	api_col_str(&b->col[5], b->created, sizeof(b->created));
	api_col_str(&b->col[6], b->updated, sizeof(b->updated));
	api_col_int(&b->col[7]);
}

static json_object *
connector_json(struct db_col *col)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(col[0].buf));
	json_object_object_add(o, "name", json_object_new_string(col[1].buf));
	json_object_object_add(o, "url", json_object_new_string(col[2].buf));
	json_object_object_add(o, "authType",
	    json_object_new_string(col[3].buf));
	json_object_object_add(o, "hasCredentials",
	    json_object_new_boolean(col[4].i != 0));
	json_object_object_add(o, "insecure",
	    json_object_new_boolean(col[7].i != 0));
	json_object_object_add(o, "createdAt",
	    json_object_new_string(col[5].buf));
	json_object_object_add(o, "updatedAt",
	    json_object_new_string(col[6].buf));
	return o;
}

/* Answers connector uuid with status. */
static int
connector_answer(struct api_call *c, const char *uuid, int status)
{
	static const char sql[] = CONNECTOR_COLS "WHERE uuid = ?";
	struct db_arg a[1] = { DB_ARG_STR(uuid) };
	struct connector_buf b;
	int r;

	connector_cols(&b);
	if ((r = db_run(sql, a, 1, b.col, CONNECTOR_NCOLS, NULL)) ==
	    DB_NOTFOUND)
		return api_fail(c, 404, "connector %s not found", uuid);
	if (r != DB_OK)
		return api_db_fail(c);
	return api_ok(c, status, connector_json(b.col));
}

/* GET /connectors */
static int
connector_list(struct api_call *c)
{
	static const char sql[] = CONNECTOR_COLS "ORDER BY name LIMIT 1000";
	struct connector_buf b;

	connector_cols(&b);
	return api_list(c, sql, NULL, 0, b.col, CONNECTOR_NCOLS, API_LIST_MAX,
	    connector_json);
}

/* GET /connectors/{connectorUuid} */
static int
connector_get(struct api_call *c)
{
	if (obj_param_uuid(c, 0, "connectorUuid") != 0)
		return c->status;
	return connector_answer(c, c->param[0], 200);
}

/* enum conn_auth of an authType the API accepted. */
static enum conn_auth
connector_auth_of(const char *auth)
{
	if (strcmp(auth, "basic") == 0)
		return CONN_AUTH_BASIC;
	if (strcmp(auth, "certificate") == 0)
		return CONN_AUTH_CERTIFICATE;
	if (strcmp(auth, "apiKey") == 0)
		return CONN_AUTH_APIKEY;
	return CONN_AUTH_NONE;
}

/*
 * POST and PUT: {name*, url*, authType, credentials, insecure}. uuid is
 * the connector to change, NULL to create one.
 */
static int
connector_write(struct api_call *c, const char *uuid)
{
	static const char sql_cur[] = "SELECT auth_type, "
	    "auth_data_enc IS NOT NULL, url FROM connector WHERE uuid = ?";
	static const char sql_ins[] = "INSERT INTO connector (uuid, name, "
	    "url, auth_type, insecure) VALUES (?, ?, ?, ?, ?)";
	static const char sql_upd[] = "UPDATE connector SET name = ?, "
	    "url = ?, auth_type = ?, insecure = ? WHERE uuid = ?";
	static const char sql_upd_none[] = "UPDATE connector SET name = ?, "
	    "url = ?, auth_type = ?, insecure = ?, auth_data_enc = NULL "
	    "WHERE uuid = ?";
	const char *why;
	const char *name = NULL, *url = NULL, *auth = "none";
	char id[CMPD_UUID_LEN + 1], cur_auth[16] = "", cur_url[OBJ_URL_BUF] = "";
	json_object *cred = NULL, *clean = NULL, *d = NULL;
	struct db_col col[3];
	int r, in_tx = 0, cur_has = 0, insecure = 0;

	if (obj_body(c) != 0)
		return c->status;
	if (api_get_str(c, "name", CMPD_NAME_MAX, &name) == API_BAD ||
	    api_get_str(c, "url", OBJ_URL_MAX, &url) == API_BAD ||
	    api_get_str(c, "authType", 16, &auth) == API_BAD ||
	    api_get_bool(c, "insecure", &insecure) == API_BAD)
		goto out;
	if (auth == NULL)
		auth = "none";
	if (!obj_name_valid(name)) {
		api_fail(c, 422, "connector name cannot be empty");
		goto out;
	}
	if (url == NULL || !conn_url_valid(url, strlen(url))) {
		api_fail(c, 422, "url must be an http:// or https:// URL "
		    "without query or fragment, at most %d bytes", OBJ_URL_MAX);
		goto out;
	}
	if (util_name_index(conn_auth_types, NITEMS(conn_auth_types), auth,
	    0) < 0) {
		api_fail(c, 422, "authType must be none, basic, certificate "
		    "or apiKey");
		goto out;
	}
	if (uuid != NULL) {
		struct db_arg a[1] = { DB_ARG_STR(uuid) };

		api_col_str(&col[0], cur_auth, sizeof(cur_auth));
		api_col_int(&col[1]);
		api_col_str(&col[2], cur_url, sizeof(cur_url));
		if ((r = db_run(sql_cur, a, 1, col, 3, NULL)) == DB_NOTFOUND) {
			api_fail(c, 404, "connector %s not found", uuid);
			goto out;
		}
		if (r != DB_OK) {
			api_db_fail(c);
			goto out;
		}
		cur_has = col[1].i != 0;
	}
	(void)json_object_object_get_ex(c->body, "credentials", &cred);
	if (cred != NULL && json_object_is_type(cred, json_type_null))
		cred = NULL;
	if (strcmp(auth, "none") == 0) {
		if (cred != NULL) {
			api_fail(c, 422, "credentials are not used with "
			    "authType none");
			goto out;
		}
	} else if (cred != NULL) {
		if (connector_cred_check(c, auth, cred, &clean) != 0)
			goto out;
		if (!secret_available()) {
			api_fail(c, 422, "cmpd has no secret_key_file: "
			    "connector credentials cannot be stored");
			goto out;
		}
	} else if (uuid == NULL || !cur_has || strcmp(cur_auth, auth) != 0) {
		/* Credentials of another type are kept only for that type. */
		api_fail(c, 422, "authType %s needs credentials", auth);
		goto out;
	} else if (strcmp(cur_url, url) != 0) {
		/* kept credentials must not follow the connector elsewhere */
		api_fail(c, 422, "credentials must be sent again when the url "
		    "changes");
		goto out;
	}

	/* conn.c refuses such a call anyway: say so now (400). */
	if ((why = conn_transport_refusal(url, connector_auth_of(auth),
	    insecure)) != NULL) {
		api_fail(c, 400, "%s", why);
		goto out;
	}

	if (uuid == NULL) {
		if (util_uuid4(id) != 0) {
			api_fail(c, 500, "no random UUID");
			goto out;
		}
	} else
		snprintf(id, sizeof(id), "%s", uuid);
	if (db_begin() != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	in_tx = 1;
	if (uuid == NULL) {
		struct db_arg a[5] = { DB_ARG_STR(id), DB_ARG_STR(name),
		    DB_ARG_STR(url), DB_ARG_STR(auth), DB_ARG_INT(insecure) };

		r = db_run(sql_ins, a, 5, NULL, 0, NULL);
	} else {
		struct db_arg a[5] = { DB_ARG_STR(name), DB_ARG_STR(url),
		    DB_ARG_STR(auth), DB_ARG_INT(insecure), DB_ARG_STR(id) };

		r = db_run(strcmp(auth, "none") == 0 ? sql_upd_none : sql_upd,
		    a, 5, NULL, 0, NULL);
	}
	if (r == DB_DUP) {
		api_fail(c, 409, "connector %s already exists", name);
		goto out;
	}
	if (r != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	if (clean != NULL && connector_cred_store(c, id, clean) != 0)
		goto out;
	if (db_commit() != DB_OK) {
		in_tx = 0;
		api_db_fail(c);
		goto out;
	}
	in_tx = 0;
	if ((d = json_object_new_object()) != NULL) {
		json_object_object_add(d, "name", json_object_new_string(name));
		json_object_object_add(d, "url", json_object_new_string(url));
		json_object_object_add(d, "authType",
		    json_object_new_string(auth));
		json_object_object_add(d, "insecure",
		    json_object_new_boolean(insecure));
		if (clean != NULL)
			json_object_object_add(d, "credentials",
			    json_object_new_string("(set)"));
	}
	audit_write(c->actor, uuid == NULL ? "create" : "update", "connector",
	    id, d);
	connector_answer(c, id, uuid == NULL ? 201 : 200);
 out:
	if (in_tx)
		db_rollback();
	json_object_put(d);
	api_json_wipe(clean);
	json_object_put(clean);
	/* The request body is freed by http.c; its secrets go now. */
	api_json_wipe(cred);
	return c->status;
}

/* POST /connectors */
static int
connector_post(struct api_call *c)
{
	return connector_write(c, NULL);
}

/* PUT /connectors/{connectorUuid} */
static int
connector_put(struct api_call *c)
{
	if (obj_param_uuid(c, 0, "connectorUuid") != 0)
		return c->status;
	return connector_write(c, c->param[0]);
}

/*
 * DELETE of an object that others may still use: 409 while sql_used finds
 * a user, 404 when sql_delete removes nothing, else 204 and an audit row.
 */
static int
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

/* DELETE /connectors/{connectorUuid} */
static int
connector_delete(struct api_call *c)
{
	static const char sql_used[] = "SELECT 1 FROM authority "
	    "WHERE connector_uuid = ? LIMIT 1";
	static const char sql[] = "DELETE FROM connector WHERE uuid = ?";

	if (obj_param_uuid(c, 0, "connectorUuid") != 0)
		return c->status;
	return obj_delete_unused(c, sql_used, sql, "connector",
	    "an authority", "connector");
}

/* --------------------------------------------------------- authorities */

#define AUTHORITY_COLS \
	"SELECT a.uuid, a.name, a.connector_uuid, n.name, " \
	"a.authority_instance_uuid, " OBJ_TS("a.created_at") ", " \
	OBJ_TS("a.updated_at") " FROM authority a " \
	"JOIN connector n ON n.uuid = a.connector_uuid "

struct authority_buf {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF];
	char	 conn_uuid[CMPD_UUID_LEN + 1], conn_name[CMPD_NAME_BUF];
	char	 instance[CMPD_UUID_LEN + 1];
	char	 created[OBJ_TS_BUF], updated[OBJ_TS_BUF];
	struct db_col col[7];
};

static void
authority_cols(struct authority_buf *b)
{
	api_col_str(&b->col[0], b->uuid, sizeof(b->uuid));
	api_col_str(&b->col[1], b->name, sizeof(b->name));
	api_col_str(&b->col[2], b->conn_uuid, sizeof(b->conn_uuid));
	api_col_str(&b->col[3], b->conn_name, sizeof(b->conn_name));
	api_col_str(&b->col[4], b->instance, sizeof(b->instance));
	api_col_str(&b->col[5], b->created, sizeof(b->created));
	api_col_str(&b->col[6], b->updated, sizeof(b->updated));
}

static json_object *
authority_json(struct db_col *col)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(col[0].buf));
	json_object_object_add(o, "name", json_object_new_string(col[1].buf));
	json_object_object_add(o, "connector", obj_ref(col[2].buf,
	    col[3].buf));
	json_object_object_add(o, "authorityInstanceUuid",
	    json_object_new_string(col[4].buf));
	json_object_object_add(o, "createdAt",
	    json_object_new_string(col[5].buf));
	json_object_object_add(o, "updatedAt",
	    json_object_new_string(col[6].buf));
	return o;
}

static int
authority_answer(struct api_call *c, const char *uuid, int status)
{
	static const char sql[] = AUTHORITY_COLS "WHERE a.uuid = ?";
	struct db_arg a[1] = { DB_ARG_STR(uuid) };
	struct authority_buf b;
	int r;

	authority_cols(&b);
	if ((r = db_run(sql, a, 1, b.col, 7, NULL)) == DB_NOTFOUND)
		return api_fail(c, 404, "authority %s not found", uuid);
	if (r != DB_OK)
		return api_db_fail(c);
	return api_ok(c, status, authority_json(b.col));
}

/* Whether authority uuid exists; 0, or the status of the answer set. */
static int
authority_find(struct api_call *c, const char *uuid)
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

/* GET /authorities */
static int
authority_list(struct api_call *c)
{
	static const char sql[] = AUTHORITY_COLS "ORDER BY a.name LIMIT 1000";
	struct authority_buf b;

	authority_cols(&b);
	return api_list(c, sql, NULL, 0, b.col, 7, API_LIST_MAX, authority_json);
}

/* GET /authorities/{authorityUuid} */
static int
authority_get(struct api_call *c)
{
	if (obj_param_uuid(c, 0, "authorityUuid") != 0)
		return c->status;
	return authority_answer(c, c->param[0], 200);
}

/* POST and PUT: {name*, connectorUuid*, authorityInstanceUuid*}. */
static int
authority_write(struct api_call *c, const char *uuid)
{
	static const char sql_conn[] = "SELECT 1 FROM connector "
	    "WHERE uuid = ?";
	static const char sql_ins[] = "INSERT INTO authority (uuid, name, "
	    "connector_uuid, authority_instance_uuid) VALUES (?, ?, ?, ?)";
	static const char sql_upd[] = "UPDATE authority SET name = ?, "
	    "connector_uuid = ?, authority_instance_uuid = ? WHERE uuid = ?";
	const char *name = NULL, *cu = NULL, *iu = NULL;
	char id[CMPD_UUID_LEN + 1], conn[CMPD_UUID_LEN + 1];
	char inst[CMPD_UUID_LEN + 1];
	json_object *d;
	int r;

	if (obj_body(c) != 0)
		return c->status;
	if (api_get_str(c, "name", CMPD_NAME_MAX, &name) == API_BAD ||
	    api_get_str(c, "connectorUuid", 64, &cu) == API_BAD ||
	    api_get_str(c, "authorityInstanceUuid", 64, &iu) == API_BAD)
		return c->status;
	if (!obj_name_valid(name))
		return api_fail(c, 422, "authority name cannot be empty");
	if (obj_uuid_norm(cu, conn) != 0)
		return api_fail(c, 422, "connectorUuid must be a UUID");
	if (obj_uuid_norm(iu, inst) != 0)
		return api_fail(c, 422, "authorityInstanceUuid must be a UUID");
	if (uuid != NULL && authority_find(c, uuid) != 0)
		return c->status;
	{
		struct db_arg a[1] = { DB_ARG_STR(conn) };

		if ((r = obj_exists(sql_conn, a, 1)) < 0)
			return api_db_fail(c);
		if (r == 0)
			return api_fail(c, 404, "connector %s not found", conn);
	}
	if (uuid == NULL && util_uuid4(id) != 0)
		return api_fail(c, 500, "no random UUID");
	if (uuid != NULL)
		snprintf(id, sizeof(id), "%s", uuid);
	if (uuid == NULL) {
		struct db_arg a[4] = { DB_ARG_STR(id), DB_ARG_STR(name),
		    DB_ARG_STR(conn), DB_ARG_STR(inst) };

		r = db_run(sql_ins, a, 4, NULL, 0, NULL);
	} else {
		struct db_arg a[4] = { DB_ARG_STR(name), DB_ARG_STR(conn),
		    DB_ARG_STR(inst), DB_ARG_STR(id) };

		r = db_run(sql_upd, a, 4, NULL, 0, NULL);
	}
	if (r == DB_DUP)
		return api_fail(c, 409, "authority %s already exists", name);
	if (r != DB_OK)
		return api_db_fail(c);
	if ((d = json_object_new_object()) != NULL) {
		json_object_object_add(d, "name", json_object_new_string(name));
		json_object_object_add(d, "connectorUuid",
		    json_object_new_string(conn));
		json_object_object_add(d, "authorityInstanceUuid",
		    json_object_new_string(inst));
	}
	audit_write(c->actor, uuid == NULL ? "create" : "update", "authority",
	    id, d);
	json_object_put(d);
	return authority_answer(c, id, uuid == NULL ? 201 : 200);
}

/* POST /authorities */
static int
authority_post(struct api_call *c)
{
	return authority_write(c, NULL);
}

/* PUT /authorities/{authorityUuid} */
static int
authority_put(struct api_call *c)
{
	if (obj_param_uuid(c, 0, "authorityUuid") != 0)
		return c->status;
	return authority_write(c, c->param[0]);
}

/* DELETE /authorities/{authorityUuid} */
static int
authority_delete(struct api_call *c)
{
	static const char sql_used[] = "SELECT 1 FROM ra_profile "
	    "WHERE authority_uuid = ? LIMIT 1";
	static const char sql[] = "DELETE FROM authority WHERE uuid = ?";

	if (obj_param_uuid(c, 0, "authorityUuid") != 0)
		return c->status;
	return obj_delete_unused(c, sql_used, sql, "authority",
	    "an RA Profile", "authority");
}

/* -------------------------------------------------------- RA Profiles */

#define RA_COLS \
	"SELECT r.uuid, r.name, r.description, r.enabled, r.authority_uuid, " \
	"a.name, a.authority_instance_uuid, r.attributes, " \
	"r.cmp_profile_uuid, p.name, " OBJ_TS("r.created_at") ", " \
	OBJ_TS("r.updated_at") " FROM ra_profile r " \
	"LEFT JOIN authority a ON a.uuid = r.authority_uuid " \
	"LEFT JOIN cmp_profile p ON p.uuid = r.cmp_profile_uuid "
#define RA_NCOLS	12

/* Large: attributes; allocated, not on the stack. */
struct ra_buf {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF];
	char	 desc[OBJ_DESC_BUF], auth_uuid[CMPD_UUID_LEN + 1];
	char	 auth_name[CMPD_NAME_BUF], instance[CMPD_UUID_LEN + 1];
	char	 attrs[PROFILE_ATTRS_MAX];
	char	 cmp_uuid[CMPD_UUID_LEN + 1], cmp_name[CMPD_NAME_BUF];
	char	 created[OBJ_TS_BUF], updated[OBJ_TS_BUF];
	struct db_col col[RA_NCOLS];
};

static struct ra_buf *
ra_buf_new(void)
{
	struct ra_buf *b;

	if ((b = malloc(sizeof(*b))) == NULL)
		return NULL;
	api_col_str(&b->col[0], b->uuid, sizeof(b->uuid));
	api_col_str(&b->col[1], b->name, sizeof(b->name));
	api_col_str(&b->col[2], b->desc, sizeof(b->desc));
	api_col_int(&b->col[3]);
	api_col_str(&b->col[4], b->auth_uuid, sizeof(b->auth_uuid));
	api_col_str(&b->col[5], b->auth_name, sizeof(b->auth_name));
	api_col_str(&b->col[6], b->instance, sizeof(b->instance));
	api_col_str(&b->col[7], b->attrs, sizeof(b->attrs));
	api_col_str(&b->col[8], b->cmp_uuid, sizeof(b->cmp_uuid));
	api_col_str(&b->col[9], b->cmp_name, sizeof(b->cmp_name));
	api_col_str(&b->col[10], b->created, sizeof(b->created));
	api_col_str(&b->col[11], b->updated, sizeof(b->updated));
	return b;
}

static json_object *
ra_json(struct db_col *col)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(col[0].buf));
	json_object_object_add(o, "name", json_object_new_string(col[1].buf));
	json_object_object_add(o, "description", api_json_str(col[2].buf));
	json_object_object_add(o, "enabled",
	    json_object_new_boolean(col[3].i != 0));
	json_object_object_add(o, "authorityUuid", api_json_str(col[4].buf));
	json_object_object_add(o, "authorityName", api_json_str(col[5].buf));
	json_object_object_add(o, "authorityInstanceUuid",
	    api_json_str(col[6].buf));
	json_object_object_add(o, "attributes", obj_json_array(col[7].buf));
	json_object_object_add(o, "cmpProfile", obj_ref(col[8].buf,
	    col[9].buf));
	json_object_object_add(o, "createdAt",
	    json_object_new_string(col[10].buf));
	json_object_object_add(o, "updatedAt",
	    json_object_new_string(col[11].buf));
	return o;
}

/*
 * Loads RA Profile ra of authority auth into b: 0, or the status of the
 * answer set (404 when it is not that authority's).
 */
static int
ra_load(struct api_call *c, const char *auth, const char *ra,
    struct ra_buf *b)
{
	static const char sql[] = RA_COLS
	    "WHERE r.uuid = ? AND r.authority_uuid = ?";
	struct db_arg a[2] = { DB_ARG_STR(ra), DB_ARG_STR(auth) };
	int r;

	if ((r = db_run(sql, a, 2, b->col, RA_NCOLS, NULL)) == DB_NOTFOUND)
		return api_fail(c, 404, "RA Profile %s of authority %s not "
		    "found", ra, auth);
	if (r != DB_OK)
		return api_db_fail(c);
	return 0;
}

/* The path's {authorityUuid} and {raProfileUuid}. */
static int
ra_params(struct api_call *c)
{
	if (obj_param_uuid(c, 0, "authorityUuid") != 0 ||
	    obj_param_uuid(c, 1, "raProfileUuid") != 0)
		return c->status;
	return 0;
}

static int
ra_answer(struct api_call *c, const char *auth, const char *ra, int status)
{
	struct ra_buf *b;

	if ((b = ra_buf_new()) == NULL)
		return api_fail(c, 500, "out of memory");
	if (ra_load(c, auth, ra, b) == 0)
		api_ok(c, status, ra_json(b->col));
	free(b);
	return c->status;
}

/* GET /raProfiles, GET /authorities/{authorityUuid}/raProfiles */
static int
ra_list(struct api_call *c)
{
	static const char sql_all[] = RA_COLS "ORDER BY r.name LIMIT 1000";
	static const char sql_auth[] = RA_COLS "WHERE r.authority_uuid = ? "
	    "ORDER BY r.name LIMIT 1000";
	struct ra_buf *b;
	int by_auth = strcmp(c->path, "/raProfiles") != 0;

	if (by_auth && (obj_param_uuid(c, 0, "authorityUuid") != 0 ||
	    authority_find(c, c->param[0]) != 0))
		return c->status;
	if ((b = ra_buf_new()) == NULL)
		return api_fail(c, 500, "out of memory");
	if (by_auth) {
		struct db_arg a[1] = { DB_ARG_STR(c->param[0]) };

		api_list(c, sql_auth, a, 1, b->col, RA_NCOLS, API_LIST_MAX, ra_json);
	} else
		api_list(c, sql_all, NULL, 0, b->col, RA_NCOLS, API_LIST_MAX, ra_json);
	free(b);
	return c->status;
}

/* GET /authorities/{authorityUuid}/raProfiles/{raProfileUuid} */
static int
ra_get(struct api_call *c)
{
	if (ra_params(c) != 0)
		return c->status;
	return ra_answer(c, c->param[0], c->param[1], 200);
}

/*
 * POST and PUT: {name*, description, enabled, attributes}. ra is the RA
 * Profile to change, NULL to create one. enabled defaults to false on
 * create and to the current value on change (it has routes of its own).
 */
static int
ra_write(struct api_call *c, const char *ra)
{
	static const char sql_ins[] = "INSERT INTO ra_profile (uuid, name, "
	    "description, enabled, authority_uuid, attributes) "
	    "VALUES (?, ?, ?, ?, ?, ?)";
	static const char sql_upd[] = "UPDATE ra_profile SET name = ?, "
	    "description = ?, enabled = ?, attributes = ? WHERE uuid = ?";
	const char *auth = c->param[0], *name = NULL, *desc = NULL;
	char id[CMPD_UUID_LEN + 1], *attrs = NULL;
	struct ra_buf *b = NULL;
	json_object *d = NULL;
	int enabled = 0, r;

	if (obj_body(c) != 0)
		return c->status;
	if (api_get_str(c, "name", CMPD_NAME_MAX, &name) == API_BAD ||
	    api_get_str(c, "description", OBJ_DESC_MAX, &desc) == API_BAD ||
	    api_get_bool(c, "enabled", &enabled) == API_BAD ||
	    obj_get_array(c, "attributes", &attrs) == API_BAD)
		goto out;
	if (authority_find(c, auth) != 0)
		goto out;
	if (ra != NULL) {
		if ((b = ra_buf_new()) == NULL) {
			api_fail(c, 500, "out of memory");
			goto out;
		}
		if (ra_load(c, auth, ra, b) != 0)
			goto out;
		/* a PUT keeps what it does not name; the name is in the
		 * devices' URL (the RA-profile CMP route): it stays */
		if (name != NULL && strcmp(name, b->name) != 0) {
			api_fail(c, 422, "the name of an RA Profile cannot be "
			    "changed (it is in the devices' URL)");
			goto out;
		}
		name = b->name;
		if (api_get_bool(c, "enabled", &enabled) == API_ABSENT)
			enabled = b->col[3].i != 0;
		if (!json_object_object_get_ex(c->body, "description", NULL))
			desc = b->desc;
		if (!json_object_object_get_ex(c->body, "attributes", NULL) &&
		    b->attrs[0] != '\0' && (attrs = strdup(b->attrs)) == NULL) {
			api_fail(c, 500, "out of memory");
			goto out;
		}
	}
	/* The name is a path segment of the RA-profile CMP route. */
	if (name == NULL || !route_name_valid(name, strlen(name))) {
		api_fail(c, 422, "RA Profile name must be 1 to %d of "
		    "A-Z a-z 0-9 - . _ ~", CMPD_NAME_MAX);
		goto out;
	}
	{
		struct db_arg a[6] = { DB_ARG_NULL, DB_ARG_STR(name),
		    DB_ARG_NULL, DB_ARG_INT(enabled), DB_ARG_STR(auth),
		    DB_ARG_NULL };

		if (desc != NULL && *desc != '\0') {
			a[2].type = DB_STR;
			a[2].p = desc;
			a[2].len = strlen(desc);
		}
		if (attrs != NULL) {
			a[5].type = DB_STR;
			a[5].p = attrs;
			a[5].len = strlen(attrs);
		}
		if (ra == NULL) {
			if (util_uuid4(id) != 0) {
				api_fail(c, 500, "no random UUID");
				goto out;
			}
			a[0].type = DB_STR;
			a[0].p = id;
			a[0].len = strlen(id);
			r = db_run(sql_ins, a, 6, NULL, 0, NULL);
		} else {
			struct db_arg u[5] = { a[1], a[2], a[3], a[5],
			    DB_ARG_STR(ra) };

			snprintf(id, sizeof(id), "%s", ra);
			r = db_run(sql_upd, u, 5, NULL, 0, NULL);
		}
	}
	if (r == DB_DUP) {
		api_fail(c, 409, "RA Profile %s already exists", name);
		goto out;
	}
	if (r != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	if ((d = json_object_new_object()) != NULL) {
		json_object_object_add(d, "name", json_object_new_string(name));
		json_object_object_add(d, "description", api_json_str(desc));
		json_object_object_add(d, "enabled",
		    json_object_new_boolean(enabled));
		json_object_object_add(d, "authorityUuid",
		    json_object_new_string(auth));
		json_object_object_add(d, "attributes",
		    obj_json_array(attrs));
	}
	audit_write(c->actor, ra == NULL ? "create" : "update", "raProfile",
	    id, d);
	ra_answer(c, auth, id, ra == NULL ? 201 : 200);
 out:
	json_object_put(d);
	free(attrs);
	free(b);
	return c->status;
}

/* POST /authorities/{authorityUuid}/raProfiles */
static int
ra_post(struct api_call *c)
{
	if (obj_param_uuid(c, 0, "authorityUuid") != 0)
		return c->status;
	return ra_write(c, NULL);
}

/* PUT /authorities/{authorityUuid}/raProfiles/{raProfileUuid} */
static int
ra_put(struct api_call *c)
{
	if (ra_params(c) != 0)
		return c->status;
	return ra_write(c, c->param[1]);
}

/* Whether RA Profile ra of authority auth exists; 0 or the status set. */
static int
ra_find(struct api_call *c, const char *auth, const char *ra)
{
	static const char sql[] = "SELECT 1 FROM ra_profile "
	    "WHERE uuid = ? AND authority_uuid = ?";
	struct db_arg a[2] = { DB_ARG_STR(ra), DB_ARG_STR(auth) };
	int r;

	if ((r = obj_exists(sql, a, 2)) < 0)
		return api_db_fail(c);
	if (r == 0)
		return api_fail(c, 404, "RA Profile %s of authority %s not "
		    "found", ra, auth);
	return 0;
}

/* DELETE /authorities/{authorityUuid}/raProfiles/{raProfileUuid} */
static int
ra_delete(struct api_call *c)
{
	static const char sql_used[] = "SELECT name FROM cmp_profile "
	    "WHERE default_ra_profile_uuid = ? ORDER BY name LIMIT 1";
	static const char sql[] = "DELETE FROM ra_profile WHERE uuid = ? "
	    "AND authority_uuid = ?";
	static const char sql_pending[] = "SELECT 1 FROM certificate "
	    "WHERE ra_profile_uuid = ? AND status IN ('pending', "
	    "'revoke_pending') UNION SELECT 1 FROM cmp_transaction "
	    "WHERE ra_profile_uuid = ? AND state IN ('open', 'waiting', "
	    "'confirm_wait', 'issuing') LIMIT 1";
	char cmp[CMPD_NAME_BUF];
	struct db_col col[1];
	unsigned long long n = 0;
	int r;

	if (ra_params(c) != 0 || ra_find(c, c->param[0], c->param[1]) != 0)
		return c->status;
	{
		/* the sweep revokes through the RA Profile: it must stay */
		struct db_arg a[2] = { DB_ARG_STR(c->param[1]),
		    DB_ARG_STR(c->param[1]) };

		api_col_int(&col[0]);
		if ((r = db_run(sql_pending, a, 2, col, 1, NULL)) == DB_OK)
			return api_fail(c, 409, "RA Profile %s has certificates "
			    "waiting for confirmation or revocation",
			    c->param[1]);
		if (r != DB_NOTFOUND)
			return api_db_fail(c);
	}
	{
		struct db_arg a[1] = { DB_ARG_STR(c->param[1]) };

		api_col_str(&col[0], cmp, sizeof(cmp));
		if ((r = db_run(sql_used, a, 1, col, 1, NULL)) == DB_OK)
			return api_fail(c, 409, "RA Profile %s is the default "
			    "RA Profile of CMP Profile %s", c->param[1], cmp);
		if (r != DB_NOTFOUND)
			return api_db_fail(c);
	}
	{
		struct db_arg a[2] = { DB_ARG_STR(c->param[1]),
		    DB_ARG_STR(c->param[0]) };

		if (db_run(sql, a, 2, NULL, 0, &n) != DB_OK)
			return api_db_fail(c);
	}
	if (n == 0)
		return api_fail(c, 404, "RA Profile %s not found", c->param[1]);
	audit_write(c->actor, "delete", "raProfile", c->param[1], NULL);
	return api_ok(c, 204, NULL);
}

/* PATCH .../raProfiles/{raProfileUuid}/enable and /disable */
static int
ra_set_enabled(struct api_call *c, int on)
{
	static const char sql[] = "UPDATE ra_profile SET enabled = ? "
	    "WHERE uuid = ? AND authority_uuid = ?";

	if (ra_params(c) != 0 || ra_find(c, c->param[0], c->param[1]) != 0)
		return c->status;
	{
		struct db_arg a[3] = { DB_ARG_INT(on), DB_ARG_STR(c->param[1]),
		    DB_ARG_STR(c->param[0]) };

		if (db_run(sql, a, 3, NULL, 0, NULL) != DB_OK)
			return api_db_fail(c);
	}
	audit_write(c->actor, on ? "enable" : "disable", "raProfile",
	    c->param[1], NULL);
	return api_ok(c, 204, NULL);
}

static int
ra_enable(struct api_call *c)
{
	return ra_set_enabled(c, 1);
}

static int
ra_disable(struct api_call *c)
{
	return ra_set_enabled(c, 0);
}

/* ------------------------------------------- CMP on an RA Profile */

#define RA_CMP_PATH	"/api/v1/protocols/cmp/raProfile/"

/* Large: two attribute arrays; allocated. */
struct ra_cmp_buf {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF];
	char	 cmp_uuid[CMPD_UUID_LEN + 1], cmp_name[CMPD_NAME_BUF];
	char	 issue[PROFILE_ATTRS_MAX], revoke[PROFILE_ATTRS_MAX];
	struct db_col col[6];
};

/* Answers raProfileCmp of RA Profile ra of authority auth. */
static int
ra_cmp_answer(struct api_call *c, const char *auth, const char *ra,
    int status)
{
	static const char sql[] = "SELECT r.uuid, r.name, r.cmp_profile_uuid, "
	    "p.name, r.cmp_issue_attributes, r.cmp_revoke_attributes "
	    "FROM ra_profile r "
	    "LEFT JOIN cmp_profile p ON p.uuid = r.cmp_profile_uuid "
	    "WHERE r.uuid = ? AND r.authority_uuid = ?";
	struct db_arg a[2] = { DB_ARG_STR(ra), DB_ARG_STR(auth) };
	const char *base = c->base_url != NULL ? c->base_url : "";
	struct ra_cmp_buf *b;
	json_object *o = NULL, *url = NULL;
	char *u = NULL;
	size_t n;
	int r, avail;

	if ((b = malloc(sizeof(*b))) == NULL)
		return api_fail(c, 500, "out of memory");
	api_col_str(&b->col[0], b->uuid, sizeof(b->uuid));
	api_col_str(&b->col[1], b->name, sizeof(b->name));
	api_col_str(&b->col[2], b->cmp_uuid, sizeof(b->cmp_uuid));
	api_col_str(&b->col[3], b->cmp_name, sizeof(b->cmp_name));
	api_col_str(&b->col[4], b->issue, sizeof(b->issue));
	api_col_str(&b->col[5], b->revoke, sizeof(b->revoke));
	if ((r = db_run(sql, a, 2, b->col, 6, NULL)) == DB_NOTFOUND) {
		api_fail(c, 404, "RA Profile %s of authority %s not found",
		    ra, auth);
		goto out;
	}
	if (r != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	avail = b->cmp_uuid[0] != '\0';
	if (avail) {
		n = strlen(base) + strlen(RA_CMP_PATH) + strlen(b->name) + 1;
		if ((u = malloc(n)) == NULL) {
			api_fail(c, 500, "out of memory");
			goto out;
		}
		snprintf(u, n, "%s%s%s", base, RA_CMP_PATH, b->name);
		url = json_object_new_string(u);
	}
	if ((o = json_object_new_object()) == NULL) {
		json_object_put(url);
		api_fail(c, 500, "out of memory");
		goto out;
	}
	json_object_object_add(o, "uuid", json_object_new_string(b->uuid));
	json_object_object_add(o, "name", json_object_new_string(b->name));
	json_object_object_add(o, "cmpAvailable",
	    json_object_new_boolean(avail));
	json_object_object_add(o, "cmpUrl", url);
	json_object_object_add(o, "cmpProfile", obj_ref(b->cmp_uuid,
	    b->cmp_name));
	json_object_object_add(o, "issueCertificateAttributes",
	    obj_json_array(b->issue));
	json_object_object_add(o, "revokeCertificateAttributes",
	    obj_json_array(b->revoke));
	api_ok(c, status, o);
 out:
	free(u);
	free(b);
	return c->status;
}

/* GET .../raProfiles/{raProfileUuid}/protocols/cmp */
static int
ra_cmp_get(struct api_call *c)
{
	if (ra_params(c) != 0)
		return c->status;
	return ra_cmp_answer(c, c->param[0], c->param[1], 200);
}

/*
 * PATCH .../protocols/cmp/activate/{cmpProfileUuid}, body optional:
 * {issueCertificateAttributes, revokeCertificateAttributes}. Absent
 * attributes are stored as NULL: the sweep then falls back to the CMP
 * Profile's revoke attributes (profile_load_connector).
 */
static int
ra_cmp_activate(struct api_call *c)
{
	static const char sql_cmp[] = "SELECT name FROM cmp_profile "
	    "WHERE uuid = ?";
	static const char sql[] = "UPDATE ra_profile SET cmp_profile_uuid = ?, "
	    "cmp_issue_attributes = ?, cmp_revoke_attributes = ? "
	    "WHERE uuid = ? AND authority_uuid = ?";
	char *issue = NULL, *revoke = NULL, cmp_name[CMPD_NAME_BUF];
	const char *cmp = c->param[2];
	struct db_col col[1];
	json_object *d = NULL;
	int r;

	if (ra_params(c) != 0 || obj_param_uuid(c, 2, "cmpProfileUuid") != 0)
		return c->status;
	if (c->body != NULL && !json_object_is_type(c->body, json_type_object))
		return api_fail(c, 400, "the body must be a JSON object");
	if (obj_get_array(c, "issueCertificateAttributes", &issue) == API_BAD ||
	    obj_get_array(c, "revokeCertificateAttributes", &revoke) ==
	    API_BAD)
		goto out;
	if (ra_find(c, c->param[0], c->param[1]) != 0)
		goto out;
	{
		struct db_arg a[1] = { DB_ARG_STR(cmp) };

		api_col_str(&col[0], cmp_name, sizeof(cmp_name));
		if ((r = db_run(sql_cmp, a, 1, col, 1, NULL)) == DB_NOTFOUND) {
			api_fail(c, 404, "CMP Profile %s not found", cmp);
			goto out;
		}
		if (r != DB_OK) {
			api_db_fail(c);
			goto out;
		}
	}
	{
		struct db_arg a[5] = { DB_ARG_STR(cmp), DB_ARG_NULL,
		    DB_ARG_NULL, DB_ARG_STR(c->param[1]),
		    DB_ARG_STR(c->param[0]) };

		if (issue != NULL) {
			a[1].type = DB_STR;
			a[1].p = issue;
			a[1].len = strlen(issue);
		}
		if (revoke != NULL) {
			a[2].type = DB_STR;
			a[2].p = revoke;
			a[2].len = strlen(revoke);
		}
		if (db_run(sql, a, 5, NULL, 0, NULL) != DB_OK) {
			api_db_fail(c);
			goto out;
		}
	}
	if ((d = json_object_new_object()) != NULL) {
		json_object_object_add(d, "cmpProfileUuid",
		    json_object_new_string(cmp));
		json_object_object_add(d, "cmpProfileName",
		    json_object_new_string(cmp_name));
		json_object_object_add(d, "issueCertificateAttributes",
		    obj_json_array(issue));
		json_object_object_add(d, "revokeCertificateAttributes",
		    obj_json_array(revoke));
	}
	audit_write(c->actor, "activate", "raProfile", c->param[1], d);
	ra_cmp_answer(c, c->param[0], c->param[1], 200);
 out:
	json_object_put(d);
	free(issue);
	free(revoke);
	return c->status;
}

/* PATCH .../protocols/cmp/deactivate */
static int
ra_cmp_deactivate(struct api_call *c)
{
	static const char sql[] = "UPDATE ra_profile SET "
	    "cmp_profile_uuid = NULL, cmp_issue_attributes = NULL, "
	    "cmp_revoke_attributes = NULL WHERE uuid = ? AND authority_uuid = ?";

	if (ra_params(c) != 0 || ra_find(c, c->param[0], c->param[1]) != 0)
		return c->status;
	{
		struct db_arg a[2] = { DB_ARG_STR(c->param[1]),
		    DB_ARG_STR(c->param[0]) };

		if (db_run(sql, a, 2, NULL, 0, NULL) != DB_OK)
			return api_db_fail(c);
	}
	audit_write(c->actor, "deactivate", "raProfile", c->param[1], NULL);
	return api_ok(c, 204, NULL);
}

#define RA_PATH	"/authorities/{authorityUuid}/raProfiles/{raProfileUuid}"

const struct api_route api_object_routes[] = {
	{ "GET", "/connectors", API_ROLE_READ, connector_list },
	{ "POST", "/connectors", API_ROLE_ADMIN, connector_post },
	{ "GET", "/connectors/{connectorUuid}", API_ROLE_READ, connector_get },
	{ "PUT", "/connectors/{connectorUuid}", API_ROLE_ADMIN, connector_put },
	{ "DELETE", "/connectors/{connectorUuid}", API_ROLE_ADMIN,
	    connector_delete },
	{ "GET", "/authorities", API_ROLE_READ, authority_list },
	{ "POST", "/authorities", API_ROLE_ADMIN, authority_post },
	{ "GET", "/authorities/{authorityUuid}", API_ROLE_READ,
	    authority_get },
	{ "PUT", "/authorities/{authorityUuid}", API_ROLE_ADMIN,
	    authority_put },
	{ "DELETE", "/authorities/{authorityUuid}", API_ROLE_ADMIN,
	    authority_delete },
	{ "GET", "/raProfiles", API_ROLE_READ, ra_list },
	{ "GET", "/authorities/{authorityUuid}/raProfiles", API_ROLE_READ,
	    ra_list },
	{ "POST", "/authorities/{authorityUuid}/raProfiles", API_ROLE_ADMIN,
	    ra_post },
	{ "GET", RA_PATH, API_ROLE_READ, ra_get },
	{ "PUT", RA_PATH, API_ROLE_ADMIN, ra_put },
	{ "DELETE", RA_PATH, API_ROLE_ADMIN, ra_delete },
	{ "PATCH", RA_PATH "/enable", API_ROLE_ADMIN, ra_enable },
	{ "PATCH", RA_PATH "/disable", API_ROLE_ADMIN, ra_disable },
	{ "GET", RA_PATH "/protocols/cmp", API_ROLE_READ, ra_cmp_get },
	{ "PATCH", RA_PATH "/protocols/cmp/activate/{cmpProfileUuid}",
	    API_ROLE_ADMIN, ra_cmp_activate },
	{ "PATCH", RA_PATH "/protocols/cmp/deactivate", API_ROLE_ADMIN,
	    ra_cmp_deactivate },
};
const size_t api_object_nroutes = NITEMS(api_object_routes);
