/*
 * Audit: every change made through the management API (or cmpctl) leaves
 * a row: who, when, what object, what changed. Secret values never reach
 * it: handlers record that a secret was set, not the secret. The rows are
 * read back by GET /auditLogs (api_audit.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

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
	static const char sql[] = "INSERT INTO audit (uuid, actor, action, "
	    "object_type, object_uuid, detail) VALUES (?, ?, ?, ?, ?, ?)";
	const char *text = NULL;
	char big[64], uuid[CMPD_UUID_LEN + 1];
	struct db_arg a[6] = { { DB_STR, uuid, CMPD_UUID_LEN, 0 },
	    DB_ARG_STR(actor), DB_ARG_STR(action), DB_ARG_STR(object_type),
	    DB_ARG_NULL, DB_ARG_NULL };

	/* the row's key: time-ordered, made here, not by the database
	 * (schema 0027; no AUTO_INCREMENT on a cluster) */
	if (util_uuid7(uuid) != 0) {
		audit_failed = 1;
		return -1;
	}
	if (object_uuid != NULL && *object_uuid != '\0') {
		a[4].type = DB_STR;
		a[4].p = object_uuid;
		a[4].len = strlen(object_uuid);
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
		a[5].type = DB_STR;
		a[5].p = text;
		a[5].len = strlen(text);
	}
	if (db_run(sql, a, 6, NULL, 0, NULL) != DB_OK) {
		log_error("audit row for %s %s %s not written", action,
		    object_type, object_uuid != NULL ? object_uuid : "-");
		audit_failed = 1;
		return -1;
	}
	return 0;
}
