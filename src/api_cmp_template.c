/*
 * A CMP Profile's certReqTemplate (RFC 9483 4.3.3) in the management
 * API: read and checked from a POST or PUT body (cmp_tmpl.c builds the
 * same CertReqTemplateContent genm answers with, so what is accepted
 * here can be sent), stored, and shown in the profile's detail.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "api_cmp.h"

/*
 * A keySpec weaker than key_security_level: no key would meet both, and
 * every request of the profile would be refused (CMPF_KEY_WEAK). 0, or
 * the 422 set.
 */
static int
cpt_weak_spec(struct api_call *c, json_object *tmpl)
{
	json_object *v;
	int type, param, bits;

	if (!json_object_object_get_ex(tmpl, "keySpec", &v) ||
	    cmp_tmpl_keyspec(json_object_get_string(v), &type, &param) != 0 ||
	    (bits = cmp_pubkey_spec_bits(type, param)) < 0 ||
	    bits >= cmp_pubkey_level_bits())
		return 0;
	return api_fail(c, 422, "certReqTemplate.keySpec %.48s has %d bits of "
	    "security, less than the %d key_security_level asks for: no key "
	    "would be accepted", json_object_get_string(v), bits,
	    cmp_pubkey_level_bits());
}

/* "certReqTemplate": an object sets it, null clears it; 0 or 4xx set. */
int
cpt_read(struct api_call *c, struct cp_input *in)
{
	json_object *v;
	const char *s;
	char err[160];
	int rc;

	if (!json_object_object_get_ex(c->body, "certReqTemplate", &v))
		return 0;
	in->has_tmpl = 1;
	if (v == NULL || json_object_is_type(v, json_type_null))
		return 0;
	s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		return api_fail(c, 500, "out of memory");
	/* what the column and genm's buffer hold */
	if (strlen(s) > CMP_TMPL_JSON_MAX)
		return api_fail(c, 422, "certReqTemplate is longer than %d "
		    "bytes", CMP_TMPL_JSON_MAX);
	if ((rc = cmp_tmpl_build(v, NULL, NULL, err, sizeof(err))) == -1)
		return api_fail(c, 422, "%s", err);
	if (rc == 0 && cpt_weak_spec(c, v) != 0)
		return -1;
	if (rc != 0 || (in->tmpl = strdup(s)) == NULL)
		return api_fail(c, 500, "out of memory");
	return 0;
}

/* Stores what cpt_read() read, inside the caller's transaction. */
int
cpt_store(struct api_call *c, const struct cp_input *in, const char *uuid)
{
	static const char sql[] = "UPDATE cmp_profile SET "
	    "cert_req_template = ? WHERE uuid = ?";
	struct db_arg a[2] = { DB_ARG_NULL, DB_ARG_STR(uuid) };

	if (!in->has_tmpl)
		return 0;
	if (in->tmpl != NULL) {
		a[0].type = DB_STR;
		a[0].p = in->tmpl;
		a[0].len = strlen(in->tmpl);
	}
	if (db_run(sql, a, 2, NULL, 0, NULL) != DB_OK)
		return api_db_fail(c);
	return 0;
}

/* The stored template as JSON, or JSON null (none, or unreadable). */
json_object *
cpt_json(const char *uuid)
{
	static const char sql[] = "SELECT COALESCE(cert_req_template, '') "
	    "FROM cmp_profile WHERE uuid = ?";
	char text[CMP_TMPL_JSON_MAX + 1];
	struct db_arg a[1] = { DB_ARG_STR(uuid) };
	struct db_col col = { DB_STR, text, sizeof(text), 0, 0, 0, 0 };
	json_object *o = NULL;

	if (db_run(sql, a, 1, &col, 1, NULL) != DB_OK || text[0] == '\0' ||
	    api_parse_json_text(text, &o) != 0)
		return NULL;
	return o;
}
