/*
 * The management API's RA Profiles of an authority, and CMP on an RA
 * Profile (the RA-profile route).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

#define OBJ_DESC_MAX	1024	/* ra_profile.description */
#define OBJ_DESC_BUF	(4 * OBJ_DESC_MAX + 1)

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
	    obj_authority_find(c, c->param[0]) != 0))
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
	static const char *const known[] = { "name", "description",
	    "enabled", "attributes" };
	const char *auth = c->param[0], *name = NULL, *desc = NULL;
	char id[CMPD_UUID_LEN + 1], *attrs = NULL;
	struct ra_buf *b = NULL;
	json_object *d = NULL;
	int enabled = 0, r;

	if (obj_body_only(c, known, NITEMS(known)) != 0)
		return c->status;
	if (api_get_str(c, "name", CMPD_NAME_MAX, &name) == API_BAD ||
	    api_get_str(c, "description", OBJ_DESC_MAX, &desc) == API_BAD ||
	    api_get_bool(c, "enabled", &enabled) == API_BAD ||
	    obj_get_array(c, "attributes", &attrs) == API_BAD)
		goto out;
	if (obj_authority_find(c, auth) != 0)
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
	static const char *const known[] = { "issueCertificateAttributes",
	    "revokeCertificateAttributes" };
	char *issue = NULL, *revoke = NULL, cmp_name[CMPD_NAME_BUF];
	const char *cmp = c->param[2];
	struct db_col col[1];
	json_object *d = NULL;
	int r;

	if (ra_params(c) != 0 || obj_param_uuid(c, 2, "cmpProfileUuid") != 0)
		return c->status;
	/* no body: no attributes */
	if (c->body != NULL && obj_body_only(c, known, NITEMS(known)) != 0)
		return c->status;
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

const struct api_route api_ra_profile_routes[] = {
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
const size_t api_ra_profile_nroutes = NITEMS(api_ra_profile_routes);
