/*
 * API keys: 32 random bytes shown once as "cmpd_" + 64 hex digits; only
 * their SHA-256 is stored, so a database dump does not give access. The
 * role (read or admin) is the key's.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "api.h"

#define API_KEY_PREFIX		"cmpd_"
#define API_KEY_SHOWN		12	/* characters kept to tell keys apart */
#define API_KEY_NAME_MAX	64

static int
api_key_hash(const char *token, unsigned char out[32])
{
	unsigned int n = 0;

	return EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) ==
	    1 && n == 32 ? 0 : -1;
}

/*
 * 0 and the key's actor and role when token is a known, enabled key; -1
 * for any other key, -2 when the database cannot tell.
 */
int
api_auth_key(const char *token, char *actor, size_t n, enum api_role *role)
{
	static const char sql[] = "SELECT name, role FROM api_key "
	    "WHERE key_hash = ? AND enabled = 1";
	/* At most once a minute: a key that every request uses must not
	 * make its row a hot spot (on Galera, every write is certified on
	 * every node; concurrent ones to one row conflict). */
	static const char sql_used[] = "UPDATE api_key SET last_used_at = "
	    "CURRENT_TIMESTAMP(6) WHERE key_hash = ? AND (last_used_at IS "
	    "NULL OR last_used_at < CURRENT_TIMESTAMP(6) - INTERVAL 60 SECOND)";
	unsigned char h[32];
	char name[CMPD_NAME_BUF], rolename[8];
	struct db_arg a[1] = { DB_ARG_BLOB(h, sizeof(h)) };
	struct db_col col[2] = {
		{ DB_STR, name, sizeof(name), 0, 0, 0, 0 },
		{ DB_STR, rolename, sizeof(rolename), 0, 0, 0, 0 },
	};
	int rc;

	*role = API_ROLE_NONE;
	if (strlen(token) != API_TOKEN_LEN ||
	    strncmp(token, API_KEY_PREFIX, strlen(API_KEY_PREFIX)) != 0 ||
	    api_key_hash(token, h) != 0)
		return -1;
	if ((rc = db_run(sql, a, 1, col, 2, NULL)) != DB_OK)
		return rc == DB_NOTFOUND ? -1 : -2;
	if (api_role_parse(rolename, role) != 0)
		return -1;
	(void)db_run(sql_used, a, 1, NULL, 0, NULL);
	snprintf(actor, n, "apiKey:%s", name);
	return 0;
}

/*
 * Creates a key; token gets the only copy of it. A key's name is its
 * actor in audit rows and log lines ("apiKey:NAME"), so it stays a
 * deleted key's: API_KEY_NAME_USED while the audit keeps that key's
 * creation, else the two keys' rows would read as one caller's.
 */
int
api_key_create(const char *name, enum api_role role, const char *actor,
    char token[API_TOKEN_LEN + 1], char uuid[CMPD_UUID_LEN + 1])
{
	static const char sql[] = "INSERT INTO api_key (uuid, name, role, "
	    "key_hash, key_prefix) VALUES (?, ?, ?, ?, ?)";
	static const char sql_used[] = "SELECT 1 FROM audit "
	    "WHERE object_type = 'apiKey' AND action = 'create' AND "
	    "JSON_VALUE(detail, '$.name') = ? AND object_uuid NOT IN "
	    "(SELECT uuid FROM api_key) LIMIT 1";
	unsigned char rnd[32], h[32];
	char prefix[API_KEY_SHOWN + 1];
	json_object *d;
	int r;

	if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1 || util_uuid4(uuid) != 0)
		return DB_ERR;
	memcpy(token, API_KEY_PREFIX, strlen(API_KEY_PREFIX));
	util_hex(rnd, sizeof(rnd), token + strlen(API_KEY_PREFIX),
	    API_TOKEN_LEN + 1 - strlen(API_KEY_PREFIX));
	OPENSSL_cleanse(rnd, sizeof(rnd));
	memcpy(prefix, token, API_KEY_SHOWN);
	prefix[API_KEY_SHOWN] = '\0';
	if (api_key_hash(token, h) != 0)
		return DB_ERR;
	{
		struct db_arg a[5] = { DB_ARG_STR(uuid), DB_ARG_STR(name),
		    DB_ARG_STR(api_role_name(role)), DB_ARG_BLOB(h, sizeof(h)),
		    DB_ARG_STR(prefix) };
		struct db_arg u[1] = { DB_ARG_STR(name) };
		struct db_col one[1] = { { DB_INT, NULL, 0, 0, 0, 0, 0 } };

		if ((d = json_object_new_object()) != NULL) {
			json_object_object_add(d, "name",
			    json_object_new_string(name));
			json_object_object_add(d, "role",
			    json_object_new_string(api_role_name(role)));
		}
		/* the key and its audit row, or neither */
		if ((r = db_begin()) == DB_OK &&
		    (r = db_run(sql_used, u, 1, one, 1, NULL)) == DB_OK)
			r = API_KEY_NAME_USED;
		else if (r == DB_NOTFOUND &&
		    (r = db_run(sql, a, 5, NULL, 0, NULL)) == DB_OK &&
		    (d == NULL || audit_write(actor, "create", "apiKey", uuid,
		    d) != 0))
			r = DB_ERR;
		if (r == DB_OK)
			r = db_commit();
		else
			db_rollback();
		json_object_put(d);
		if (r != DB_OK) {
			OPENSSL_cleanse(token, API_TOKEN_LEN + 1);
			return r;
		}
	}
	return DB_OK;
}

/* The key's public part as the API shows it. */
static json_object *
api_key_json(struct db_col *c)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(c[0].buf));
	json_object_object_add(o, "name", json_object_new_string(c[1].buf));
	json_object_object_add(o, "role", json_object_new_string(c[2].buf));
	json_object_object_add(o, "keyPrefix",
	    json_object_new_string(c[3].buf));
	json_object_object_add(o, "enabled",
	    json_object_new_boolean(c[4].i != 0));
	json_object_object_add(o, "createdAt",
	    json_object_new_string(c[5].buf));
	json_object_object_add(o, "lastUsedAt", api_json_str(c[6].buf));
	return o;
}

#define API_KEY_COLS \
	"SELECT uuid, name, role, key_prefix, enabled, " \
	"DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"COALESCE(DATE_FORMAT(last_used_at, '%Y-%m-%dT%H:%i:%s.%fZ'), '') " \
	"FROM api_key "

struct api_key_buf {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF], role[8];
	char	 prefix[API_KEY_SHOWN + 1], created[40], used[40];
	struct db_col col[7];
};

static void
api_key_cols(struct api_key_buf *b)
{
	struct db_col col[7] = {
		{ DB_STR, b->uuid, sizeof(b->uuid), 0, 0, 0, 0 },
		{ DB_STR, b->name, sizeof(b->name), 0, 0, 0, 0 },
		{ DB_STR, b->role, sizeof(b->role), 0, 0, 0, 0 },
		{ DB_STR, b->prefix, sizeof(b->prefix), 0, 0, 0, 0 },
		{ DB_INT, NULL, 0, 0, 0, 0, 0 },
		{ DB_STR, b->created, sizeof(b->created), 0, 0, 0, 0 },
		{ DB_STR, b->used, sizeof(b->used), 0, 0, 0, 0 },
	};

	memcpy(b->col, col, sizeof(col));
}

/* GET /apiKeys */
static int
api_key_list(struct api_call *c)
{
	static const char sql[] = API_KEY_COLS "ORDER BY name LIMIT 1000";
	struct api_key_buf b;

	api_key_cols(&b);
	return api_list(c, sql, NULL, 0, b.col, 7, API_LIST_MAX, api_key_json);
}

/* POST /apiKeys {"name", "role"} -> 201 with "key", shown this once */
static int
api_key_post(struct api_call *c)
{
	static const char sql[] = API_KEY_COLS "WHERE uuid = ?";
	static const char *const known[] = { "name", "role" };
	char token[API_TOKEN_LEN + 1], uuid[CMPD_UUID_LEN + 1];
	const char *name = NULL, *rolename = NULL;
	enum api_role role;
	struct api_key_buf b;
	json_object *o;
	int r;

	if (obj_body_only(c, known, NITEMS(known)) != 0 ||
	    api_get_str(c, "name", CMPD_NAME_MAX, &name) == API_BAD ||
	    api_get_str(c, "role", 8, &rolename) == API_BAD)
		return c->status;
	if (name == NULL || *name == '\0')
		return api_fail(c, 422, "API key name cannot be empty");
	/* the name is the actor in log lines and audit rows */
	if (strlen(name) > API_KEY_NAME_MAX ||
	    !route_name_valid(name, strlen(name)))
		return api_fail(c, 422, "API key name can contain only "
		    "unreserved URI characters (letters, digits, '-', '.', '_', "
		    "'~'), at most %d", API_KEY_NAME_MAX);
	if (rolename == NULL || api_role_parse(rolename, &role) != 0)
		return api_fail(c, 422, "role must be read or admin");
	r = api_key_create(name, role, c->actor, token, uuid);
	if (r == DB_DUP)
		return api_fail(c, 409, "API key %s already exists", name);
	if (r == API_KEY_NAME_USED)
		return api_fail(c, 409, "API key name %s was a deleted key's: "
		    "the audit would not tell the two apart; choose another",
		    name);
	if (r != DB_OK)
		return api_db_fail(c);
	api_key_cols(&b);
	{
		struct db_arg a[1] = { DB_ARG_STR(uuid) };

		if (db_run(sql, a, 1, b.col, 7, NULL) != DB_OK) {
			OPENSSL_cleanse(token, sizeof(token));
			return api_db_fail(c);
		}
	}
	if ((o = api_key_json(b.col)) != NULL)
		json_object_object_add(o, "key", json_object_new_string(token));
	OPENSSL_cleanse(token, sizeof(token));
	return api_ok(c, 201, o);
}

/* DELETE /apiKeys/{apiKeyUuid}; its audit row names the key. */
static int
api_key_delete(struct api_call *c)
{
	static const char sql_name[] = "SELECT name FROM api_key "
	    "WHERE uuid = ? FOR UPDATE";
	static const char sql[] = "DELETE FROM api_key WHERE uuid = ?";
	struct db_arg a[1] = { DB_ARG_STR(c->param[0]) };
	char name[API_KEY_NAME_MAX + 1];
	struct db_col col[1] = { { DB_STR, name, sizeof(name), 0, 0, 0, 0 } };
	json_object *d = NULL;
	int r;

	if (db_begin() != DB_OK ||
	    ((r = db_run(sql_name, a, 1, col, 1, NULL)) != DB_OK &&
	    r != DB_NOTFOUND)) {
		db_rollback();
		return api_db_fail(c);
	}
	if (r == DB_NOTFOUND) {
		db_rollback();
		return api_fail(c, 404, "API key %s not found", c->param[0]);
	}
	if ((d = json_object_new_object()) != NULL)
		json_object_object_add(d, "name", json_object_new_string(name));
	if (d == NULL || db_run(sql, a, 1, NULL, 0, NULL) != DB_OK ||
	    audit_write(c->actor, "delete", "apiKey", c->param[0], d) != 0 ||
	    db_commit() != DB_OK) {
		json_object_put(d);
		db_rollback();
		return api_db_fail(c);
	}
	json_object_put(d);
	return api_ok(c, 204, NULL);
}

/*
 * GET /whoami: the caller as the API sees it, so that a client (the web
 * console) can tell which controls the role allows without trying them.
 * name is the actor without its kind ("apiKey:", "remoteUser:").
 */
static int
api_whoami(struct api_call *c)
{
	const char *colon = strchr(c->actor, ':');
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return api_fail(c, 500, "out of memory");
	json_object_object_add(o, "name",
	    json_object_new_string(colon != NULL ? colon + 1 : c->actor));
	json_object_object_add(o, "actor", json_object_new_string(c->actor));
	json_object_object_add(o, "role",
	    json_object_new_string(api_role_name(c->role)));
	return api_ok(c, 200, o);
}

const struct api_route api_key_routes[] = {
	{ "GET", "/whoami", API_ROLE_READ, api_whoami },
	{ "GET", "/apiKeys", API_ROLE_ADMIN, api_key_list },
	{ "POST", "/apiKeys", API_ROLE_ADMIN, api_key_post },
	{ "DELETE", "/apiKeys/{apiKeyUuid}", API_ROLE_ADMIN, api_key_delete },
};
const size_t api_key_nroutes = NITEMS(api_key_routes);
