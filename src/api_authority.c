/*
 * The management API's authorities: an authority instance of a connector,
 * the parent of RA Profiles.
 */
#include "config.h"

#include <stdio.h>

#include "api.h"

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

/*
 * Another CA for an existing authority (its connector or authority
 * instance) only while no RA Profile of it has a request under way or a
 * certificate waiting for confirmation or owed a revocation: what the
 * sweep and pollReq ask about them goes to the authority as it is then,
 * and another CA would say it issued nothing (the certificate the first
 * one issued never recorded) or refuse the revocation (DESIGN invariant
 * 1). As deleting an RA Profile (api_ra_profile.c). Returns 0 when the
 * change may be made, else the answer's status.
 */
static int
authority_ca_change(struct api_call *c, const char *uuid, const char *name,
    const char *conn, const char *inst)
{
	static const char sql_same[] = "SELECT 1 FROM authority WHERE "
	    "uuid = ? AND connector_uuid = ? AND authority_instance_uuid = ?";
	static const char sql_owed[] = "SELECT r.name FROM ra_profile r "
	    "WHERE r.authority_uuid = ? AND (EXISTS (SELECT 1 FROM "
	    "cmp_transaction t WHERE t.ra_profile_uuid = r.uuid AND "
	    "t.state IN ('open', 'waiting', 'confirm_wait', 'issuing')) OR "
	    "EXISTS (SELECT 1 FROM certificate x WHERE x.ra_profile_uuid = "
	    "r.uuid AND x.status IN ('pending', 'revoke_pending'))) "
	    "ORDER BY r.name LIMIT 1";
	struct db_arg a[3] = { DB_ARG_STR(uuid), DB_ARG_STR(conn),
	    DB_ARG_STR(inst) };
	char ra[CMPD_NAME_BUF];
	struct db_col col[1];
	int r;

	if ((r = obj_exists(sql_same, a, 3)) < 0)
		return api_db_fail(c);
	if (r == 1)
		return 0;
	api_col_str(&col[0], ra, sizeof(ra));
	if ((r = db_run(sql_owed, a, 1, col, 1, NULL)) == DB_NOTFOUND)
		return 0;
	if (r != DB_OK)
		return api_db_fail(c);
	return api_fail(c, 409, "authority %s has requests or certificates its "
	    "CA must still answer for (RA Profile %s): its connectorUuid and "
	    "authorityInstanceUuid cannot change now", name, ra);
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
	static const char *const known[] = { "name", "connectorUuid",
	    "authorityInstanceUuid" };
	const char *name = NULL, *cu = NULL, *iu = NULL;
	char id[CMPD_UUID_LEN + 1], conn[CMPD_UUID_LEN + 1];
	char inst[CMPD_UUID_LEN + 1];
	json_object *d;
	int r;

	if (obj_body_only(c, known, NITEMS(known)) != 0)
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
	if (uuid != NULL && (obj_authority_find(c, uuid) != 0 ||
	    authority_ca_change(c, uuid, name, conn, inst) != 0))
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

const struct api_route api_authority_routes[] = {
	{ "GET", "/authorities", API_ROLE_READ, authority_list },
	{ "POST", "/authorities", API_ROLE_ADMIN, authority_post },
	{ "GET", "/authorities/{authorityUuid}", API_ROLE_READ,
	    authority_get },
	{ "PUT", "/authorities/{authorityUuid}", API_ROLE_ADMIN,
	    authority_put },
	{ "DELETE", "/authorities/{authorityUuid}", API_ROLE_ADMIN,
	    authority_delete },
};
const size_t api_authority_nroutes = NITEMS(api_authority_routes);
