/*
 * Audit: every change made through the management API (or cmpctl) leaves
 * a row: who, when, what object, what changed. Secret values never reach
 * it: handlers record that a secret was set, not the secret.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* audit.detail as the list reads it back; a larger detail is replaced by
 * its size (handlers keep details small: counts, not certificates) */
#define AUDIT_DETAIL_MAX	(64 * 1024)

/* Set when a row could not be written: api_dispatch() then undoes the
 * change it belongs to (every change is audited, or not made). */
static int audit_failed;

int
audit_take_failure(void)
{
	int f = audit_failed;

	audit_failed = 0;
	return f;
}

int
audit_write(const char *actor, const char *action, const char *object_type,
    const char *object_uuid, json_object *detail)
{
	static const char sql[] = "INSERT INTO audit (actor, action, "
	    "object_type, object_uuid, detail) VALUES (?, ?, ?, ?, ?)";
	const char *text = NULL;
	char big[64];
	struct db_arg a[5] = { DB_ARG_STR(actor), DB_ARG_STR(action),
	    DB_ARG_STR(object_type), DB_ARG_NULL, DB_ARG_NULL };

	if (object_uuid != NULL && *object_uuid != '\0') {
		a[3].type = DB_STR;
		a[3].p = object_uuid;
		a[3].len = strlen(object_uuid);
	}
	if (detail != NULL) {
		text = json_object_to_json_string_ext(detail,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (text == NULL) {
			audit_failed = 1;
			return -1;
		}
		if (strlen(text) >= AUDIT_DETAIL_MAX) {
			snprintf(big, sizeof(big), "{\"truncated\":true,"
			    "\"bytes\":%zu}", strlen(text));
			text = big;
		}
		a[4].type = DB_STR;
		a[4].p = text;
		a[4].len = strlen(text);
	}
	if (db_run(sql, a, 5, NULL, 0, NULL) != DB_OK) {
		log_error("audit row for %s %s %s not written", action,
		    object_type, object_uuid != NULL ? object_uuid : "-");
		audit_failed = 1;
		return -1;
	}
	return 0;
}

static json_object *
audit_json(struct db_col *c)
{
	json_object *o, *detail = NULL;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(c[0].i));
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

/* GET /auditLogs?objectType=&objectUuid=&actor=&limit=&offset= */
static int
audit_list(struct api_call *c)
{
	static const char sql[] = "SELECT id, DATE_FORMAT(at, "
	    "'%Y-%m-%dT%H:%i:%s.%fZ'), actor, action, object_type, "
	    "COALESCE(object_uuid, ''), COALESCE(detail, '') FROM audit "
	    "WHERE (? = '' OR object_type = ?) AND (? = '' OR object_uuid = ?) "
	    "AND (? = '' OR actor = ?) ORDER BY id DESC LIMIT ? OFFSET ?";
	char type[65] = "", uuid[CMPD_UUID_LEN + 1] = "", actor[API_ACTOR_MAX] = "";
	char at[40], act[65], otype[65], ouuid[CMPD_UUID_LEN + 1], num[24];
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
	if ((detail = malloc(AUDIT_DETAIL_MAX)) == NULL)
		return api_fail(c, 500, "out of memory");
	{
		struct db_arg a[8] = { DB_ARG_STR(type), DB_ARG_STR(type),
		    DB_ARG_STR(uuid), DB_ARG_STR(uuid), DB_ARG_STR(actor),
		    DB_ARG_STR(actor), DB_ARG_INT(limit), DB_ARG_INT(offset) };
		struct db_col col[7] = {
			{ DB_INT, NULL, 0, 0, 0, 0, 0 },
			{ DB_STR, at, sizeof(at), 0, 0, 0, 0 },
			{ DB_STR, who, sizeof(who), 0, 0, 0, 0 },
			{ DB_STR, act, sizeof(act), 0, 0, 0, 0 },
			{ DB_STR, otype, sizeof(otype), 0, 0, 0, 0 },
			{ DB_STR, ouuid, sizeof(ouuid), 0, 0, 0, 0 },
			{ DB_STR, detail, AUDIT_DETAIL_MAX, 0, 0, 0, 0 },
		};

		r = api_list(c, sql, a, 8, col, 7, (size_t)limit, audit_json);
	}
	free(detail);
	return r;
}

const struct api_route audit_routes[] = {
	{ "GET", "/auditLogs", API_ROLE_READ, audit_list },
};
const size_t audit_nroutes = NITEMS(audit_routes);
