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

#include <openssl/evp.h>

#include "api.h"

#define AUDIT_MEMBER_MAX	1024	/* a member of a long detail kept */

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

/* {"truncated": true, "bytes": its length, "sha256": of it}: what stands
 * in for text too long to keep, and still tells which it was. */
static json_object *
audit_stand_in(const char *text)
{
	unsigned char md[32];
	char hex[65];
	size_t len = strlen(text);
	json_object *o;

	if (!EVP_Digest(text, len, md, NULL, EVP_sha256(), NULL) ||
	    (o = json_object_new_object()) == NULL)
		return NULL;
	util_hex(md, sizeof(md), hex, sizeof(hex));
	if (json_object_object_add(o, "truncated",
	    json_object_new_boolean(1)) != 0 ||
	    json_object_object_add(o, "bytes",
	    json_object_new_int64((int64_t)len)) != 0 ||
	    json_object_object_add(o, "sha256",
	    json_object_new_string(hex)) != 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/*
 * A detail over AUDIT_DETAIL_MAX: each member kept as it is while its
 * text is short, a long one as its stand-in; a detail still too long, or no
 * object, as the stand-in of all of it. The short members say what the
 * change was (a subject, a fingerprint, the permissions granted): one
 * member padded does not hide the others.
 */
static json_object *
audit_shorten(json_object *detail, const char *text)
{
	json_object *o, *v;
	const char *t;

	if (!json_object_is_type(detail, json_type_object) ||
	    (o = json_object_new_object()) == NULL)
		return audit_stand_in(text);
	json_object_object_foreach(detail, k, m) {
		t = json_object_to_json_string_ext(m,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (t == NULL || (v = strlen(t) < AUDIT_MEMBER_MAX ?
		    json_object_get(m) : audit_stand_in(t)) == NULL ||
		    json_object_object_add(o, k, v) != 0) {
			json_object_put(o);
			return NULL;
		}
	}
	t = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (t == NULL || strlen(t) >= AUDIT_DETAIL_MAX) {
		json_object_put(o);
		return audit_stand_in(text);
	}
	return o;
}

int
audit_write(const char *actor, const char *action, const char *object_type,
    const char *object_uuid, json_object *detail)
{
	static const char sql[] = "INSERT INTO audit (uuid, actor, action, "
	    "object_type, object_uuid, detail) VALUES (?, ?, ?, ?, ?, ?)";
	const char *text = NULL;
	char uuid[CMPD_UUID_LEN + 1];
	json_object *short_detail = NULL;
	int r = -1;
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
		if (text != NULL && strlen(text) >= AUDIT_DETAIL_MAX)
			text = (short_detail = audit_shorten(detail,
			    text)) == NULL ? NULL :
			    json_object_to_json_string_ext(short_detail,
			    JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE);
		if (text == NULL) {
			audit_failed = 1;
			goto out;
		}
		a[5].type = DB_STR;
		a[5].p = text;
		a[5].len = strlen(text);
	}
	if (db_run(sql, a, 6, NULL, 0, NULL) != DB_OK) {
		log_error("audit row for %s %s %s not written", action,
		    object_type, object_uuid != NULL ? object_uuid : "-");
		audit_failed = 1;
		goto out;
	}
	r = 0;
 out:
	json_object_put(short_detail);
	return r;
}
