/*
 * GET /auditLogs: the audit rows (audit.c writes them), newest first,
 * filtered by object, object type and actor.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

static json_object *
api_audit_json(struct db_col *c)
{
	json_object *o, *detail = NULL;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(c[0].buf));
	json_object_object_add(o, "at", json_object_new_string(c[1].buf));
	json_object_object_add(o, "actor", json_object_new_string(c[2].buf));
	json_object_object_add(o, "action", json_object_new_string(c[3].buf));
	json_object_object_add(o, "objectType",
	    json_object_new_string(c[4].buf));
	json_object_object_add(o, "objectUuid", api_json_str(c[5].buf));
	if (api_parse_json_text(c[6].buf, &detail) != 0)
		detail = NULL;
	json_object_object_add(o, "detail", detail);
	return o;
}

/*
 * GET /auditLogs?objectType=&objectUuid=&actor=&limit=&offset=&after=.
 * after= (an audit row's uuid) goes on after that row in the list's
 * order (keyset paging, as the inventory's lists): a range of audit_at
 * (at, and the key after it).
 */
static int
api_audit_list(struct api_call *c)
{
	static const char sql[] = "SELECT uuid, DATE_FORMAT(at, "
	    "'%Y-%m-%dT%H:%i:%s.%fZ'), actor, action, object_type, "
	    "COALESCE(object_uuid, ''), COALESCE(detail, '') FROM audit "
	    "WHERE (? = '' OR object_type = ?) AND (? = '' OR object_uuid = ?) "
	    "AND (? = '' OR actor = ?) "
	    "AND (? = '' OR (at <= ? AND (at < ? OR uuid < ?))) "
	    "ORDER BY at DESC, uuid DESC LIMIT ? OFFSET ?";
	static const char sql_at[] = "SELECT DATE_FORMAT(at, "
	    "'%Y-%m-%d %H:%i:%s.%f') FROM audit WHERE uuid = ?";
	char type[65] = "", uuid[CMPD_UUID_LEN + 1] = "", actor[API_ACTOR_MAX] = "";
	char after[CMPD_UUID_LEN + 1], after_at[40] = "1970-01-01 00:00:00";
	char at[40], act[65], otype[65], ouuid[CMPD_UUID_LEN + 1], num[24];
	char row[CMPD_UUID_LEN + 1];
	char who[API_ACTOR_MAX];
	char *detail = NULL;
	long limit = 100, offset = 0;
	int r;

	if (api_query(c, "objectType", type, sizeof(type)) < 0 ||
	    api_query(c, "objectUuid", uuid, sizeof(uuid)) < 0 ||
	    api_query(c, "actor", actor, sizeof(actor)) < 0)
		return api_fail(c, 400, "a query parameter is too long");
	if ((r = api_query(c, "limit", num, sizeof(num))) < 0 ||
	    (r > 0 && util_parse_long(num, 1, API_LIST_MAX, &limit) != 0))
		return api_fail(c, 400, "limit must be 1 to %d", API_LIST_MAX);
	if ((r = api_query(c, "offset", num, sizeof(num))) < 0 ||
	    (r > 0 && util_parse_long(num, 0, 1000000000L, &offset) != 0))
		return api_fail(c, 400, "offset must be a number");
	if (api_query_uuid(c, "after", after) != 0)
		return c->status;
	if (after[0] != '\0') {
		struct db_arg a[1] = { DB_ARG_STR(after) };

		if (api_after(c, offset, "audit row", sql_at, a, 1, after_at,
		    sizeof(after_at)) != 0)
			return c->status;
	}
	if ((detail = malloc(AUDIT_DETAIL_MAX)) == NULL)
		return api_fail(c, 500, "out of memory");
	{
		struct db_arg a[12] = { DB_ARG_STR(type), DB_ARG_STR(type),
		    DB_ARG_STR(uuid), DB_ARG_STR(uuid), DB_ARG_STR(actor),
		    DB_ARG_STR(actor), DB_ARG_STR(after), DB_ARG_STR(after_at),
		    DB_ARG_STR(after_at), DB_ARG_STR(after), DB_ARG_INT(limit),
		    DB_ARG_INT(offset) };
		struct db_col col[7] = {
			{ DB_STR, row, sizeof(row), 0, 0, 0, 0 },
			{ DB_STR, at, sizeof(at), 0, 0, 0, 0 },
			{ DB_STR, who, sizeof(who), 0, 0, 0, 0 },
			{ DB_STR, act, sizeof(act), 0, 0, 0, 0 },
			{ DB_STR, otype, sizeof(otype), 0, 0, 0, 0 },
			{ DB_STR, ouuid, sizeof(ouuid), 0, 0, 0, 0 },
			{ DB_STR, detail, AUDIT_DETAIL_MAX, 0, 0, 0, 0 },
		};

		r = api_list(c, sql, a, NITEMS(a), col, 7, (size_t)limit,
		    api_audit_json);
	}
	free(detail);
	return r;
}

const struct api_route api_audit_routes[] = {
	{ "GET", "/auditLogs", API_ROLE_READ, api_audit_list },
};
const size_t api_audit_nroutes = NITEMS(api_audit_routes);
