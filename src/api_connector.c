/*
 * The management API's connectors. Connector credentials are write-only:
 * sealed with secret_key_file into connector.auth_data_enc, answered only
 * as hasCredentials, audited as "(set)".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api.h"
#include "conn.h"

#define OBJ_URL_MAX	1024	/* connector.url VARCHAR(1024) */
#define OBJ_URL_BUF	(4 * OBJ_URL_MAX + 1)
/* the runtime's buffer, and what VARBINARY(16384) holds once sealed
 * (secret.c adds a version byte, a 12-byte nonce and a 16-byte tag) */
#define OBJ_CRED_MAX	(PROFILE_ATTRS_MAX - 1 - 29)

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
	static const char *const known[] = { "name", "url", "authType",
	    "insecure", "credentials" };
	const char *why;
	const char *name = NULL, *url = NULL, *auth = "none";
	char id[CMPD_UUID_LEN + 1], cur_auth[16] = "", cur_url[OBJ_URL_BUF] = "";
	json_object *cred = NULL, *clean = NULL, *d = NULL;
	struct db_col col[3];
	int r, in_tx = 0, cur_has = 0, insecure = 0;

	if (obj_body_only(c, known, NITEMS(known)) != 0)
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
		    "without user information, query or fragment, at most %d "
		    "bytes", OBJ_URL_MAX);
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
	/* cred is the request body's: a deadlock runs this handler again
	 * on it (api_change), and its owner wipes it when the request ends
	 * (http.c, cmpctl_api.c: api_json_free). */
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

const struct api_route api_connector_routes[] = {
	{ "GET", "/connectors", API_ROLE_READ, connector_list },
	{ "POST", "/connectors", API_ROLE_ADMIN, connector_post },
	{ "GET", "/connectors/{connectorUuid}", API_ROLE_READ, connector_get },
	{ "PUT", "/connectors/{connectorUuid}", API_ROLE_ADMIN, connector_put },
	{ "DELETE", "/connectors/{connectorUuid}", API_ROLE_ADMIN,
	    connector_delete },
};
const size_t api_connector_nroutes = NITEMS(api_connector_routes);
