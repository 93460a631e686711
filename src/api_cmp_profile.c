/*
 * /api/v1/cmpProfiles: the reference's Core CMP API for CMP Profiles
 * (shared/reference/czertainly-cmp-facts.md): list, get, create, edit,
 * delete, enable/disable, the default RA Profile, and the one table of
 * the /cmpProfiles routes. The credentials cmpd keeps per profile are in
 * api_cmp_credentials.c, the validation rules and texts in
 * api_cmp_rules.c. Secrets are write-only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "api_cmp.h"

static json_object *
cp_attrs(const char *text)
{
	json_object *o = NULL;

	if (api_parse_json_text(text, &o) != 0 || o == NULL)
		return json_object_new_array();
	return o;
}

static json_object *
cp_url(const struct api_call *c, const char *route, const char *name)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s/api/v1/protocols/cmp/%s%s",
	    c->base_url != NULL ? c->base_url : "", route, name);
	return json_object_new_string(buf);
}

/* The summary (list) or the detail of a row. */
static json_object *
cp_json(const struct api_call *c, const struct cp_row *r, int detail)
{
	const struct db_col *col = r->col;
	json_object *o, *ra = NULL, *sig = NULL;
	STACK_OF(X509) *certs;
	STACK_OF(X509_CRL) *crls;
	const unsigned char *p;
	X509 *x;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(r->uuid));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "description", api_json_str(r->descr));
	json_object_object_add(o, "enabled",
	    json_object_new_boolean(col[CP_ENABLED].i != 0));
	json_object_object_add(o, "variant", json_object_new_string(r->variant));
	if (r->ra_uuid[0] != '\0' && (ra = json_object_new_object()) != NULL) {
		json_object_object_add(ra, "uuid",
		    json_object_new_string(r->ra_uuid));
		json_object_object_add(ra, "name",
		    json_object_new_string(r->ra_name));
		json_object_object_add(ra, "enabled",
		    json_object_new_boolean(col[CP_RA_ENABLED].i != 0));
		json_object_object_add(ra, "authorityInstanceUuid",
		    api_json_str(r->inst));
	}
	json_object_object_add(o, "raProfile", ra);
	json_object_object_add(o, "cmpUrl", cp_url(c, "", r->name));
	if (!detail)
		return o;
	json_object_object_add(o, "requestProtectionMethod",
	    json_object_new_string(r->req));
	json_object_object_add(o, "responseProtectionMethod",
	    json_object_new_string(r->resp));
	json_object_object_add(o, "sharedSecretReference", api_json_str(r->ref));
	json_object_object_add(o, "hasSharedSecret",
	    json_object_new_boolean(col[CP_HAS_SECRET].i != 0));
	p = r->cert;
	if (!col[CP_CERT].null && col[CP_CERT].len > 0 &&
	    (x = d2i_X509(NULL, &p, (long)col[CP_CERT].len)) != NULL) {
		sig = cpc_cert_json(x);
		X509_free(x);
	}
	json_object_object_add(o, "signingCertificate", sig);
	certs = col[CP_ANCHORS].null ? NULL :
	    cpc_der_certs(r->anchors, col[CP_ANCHORS].len);
	json_object_object_add(o, "trustAnchorCount",
	    json_object_new_int(certs != NULL ? sk_X509_num(certs) : 0));
	sk_X509_pop_free(certs, X509_free);
	crls = col[CP_CRLS].null || col[CP_CRLS].len == 0 ? NULL :
	    profile_der_crls(r->crls, col[CP_CRLS].len);
	json_object_object_add(o, "trustAnchorCrlCount",
	    json_object_new_int(crls != NULL ? sk_X509_CRL_num(crls) : 0));
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	json_object_object_add(o, "issueCertificateAttributes",
	    cp_attrs(r->iattrs));
	json_object_object_add(o, "revokeCertificateAttributes",
	    cp_attrs(r->rattrs));
	json_object_object_add(o, "implicitConfirmAllowed",
	    json_object_new_boolean(col[CP_IMPLICIT].i != 0));
	json_object_object_add(o, "confirmWaitTime",
	    json_object_new_int((int)col[CP_WAIT].i));
	json_object_object_add(o, "subjectPolicy",
	    json_object_new_string(r->subject_policy));
	json_object_object_add(o, "caPubs", json_object_new_string(r->ca_pubs));
	json_object_object_add(o, "legacyPbm",
	    json_object_new_boolean(col[CP_LEGACY_PBM].i != 0));
	json_object_object_add(o, "profileSecretFallback",
	    json_object_new_boolean(col[CP_FALLBACK].i != 0));
	json_object_object_add(o, "centralKeyGeneration",
	    json_object_new_boolean(col[CP_CKG].i != 0));
	json_object_object_add(o, "certReqMax",
	    json_object_new_int((int)col[CP_REQ_MAX].i));
	json_object_object_add(o, "syncBudget",
	    json_object_new_int((int)col[CP_SYNC_BUDGET].i));
	json_object_object_add(o, "certReqTemplate", cpt_json(r->uuid));
	json_object_object_add(o, "createdAt", json_object_new_string(r->created));
	json_object_object_add(o, "updatedAt", json_object_new_string(r->updated));
	return o;
}

struct cp_list {
	const struct api_call *c;
	const struct cp_row *row;	/* where db_query() fetches to */
	json_object *list;
	int	 oom;
};

static int
cp_list_row(struct db_col *col, size_t n, void *arg)
{
	struct cp_list *l = arg;
	json_object *o;

	(void)col;
	(void)n;
	if ((o = cp_json(l->c, l->row, 0)) == NULL ||
	    json_object_array_add(l->list, o) != 0) {
		json_object_put(o);
		l->oom = 1;
		return 1;
	}
	return 0;
}

/* GET /cmpProfiles */
static int
cp_list(struct api_call *c)
{
	static const char sql[] = CP_SELECT_LIST "ORDER BY c.name";
	struct cp_list l = { c, NULL, NULL, 0 };
	struct cp_row *r;
	size_t n;
	int rc;

	if ((l.row = r = cpr_row_new()) == NULL ||
	    (l.list = json_object_new_array()) == NULL) {
		free(r);
		return api_fail(c, 500, "out of memory");
	}
	rc = db_query(sql, NULL, 0, r->col, CP_NCOLS, API_LIST_MAX,
	    cp_list_row, &l, &n);
	free(r);
	if (rc != DB_OK || l.oom) {
		json_object_put(l.list);
		return l.oom ? api_fail(c, 500, "out of memory") :
		    api_db_fail(c);
	}
	return api_ok(c, 200, l.list);
}

static int
cp_answer(struct api_call *c, const char *uuid, int status)
{
	struct cp_row *r;
	json_object *o;

	if (cpr_load(c, uuid, &r) != 0)
		return c->status;
	o = cp_json(c, r, 1);
	free(r);
	return api_ok(c, status, o);
}

/* GET /cmpProfiles/{uuid} */
static int
cp_get(struct api_call *c)
{
	return cp_answer(c, c->param[0], 200);
}

/* POST /cmpProfiles: created disabled, as in the reference. */
static int
cp_create(struct api_call *c)
{
	static const char sql[] = "INSERT INTO cmp_profile (uuid, name, "
	    "description, enabled, variant, request_protection, "
	    "response_protection, shared_secret_reference, "
	    "default_ra_profile_uuid, issue_attributes, revoke_attributes, "
	    "implicit_confirm_allowed, confirm_wait_time, subject_policy, "
	    "ca_pubs, legacy_pbm, cert_req_max, sync_budget, secret_fallback, "
	    "central_key_generation) "
	    "VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "NULLIF(?, -1), NULLIF(?, -1), ?, ?)";
	struct cp_input in;
	char uuid[CMPD_UUID_LEN + 1];
	json_object *d = NULL;
	int rc;

	if (cpr_input_read(c, &in) != 0 || cpr_validate(c, &in, NULL) != 0)
		goto out;
	if (util_uuid4(uuid) != 0) {
		api_fail(c, 500, "no random numbers");
		goto out;
	}
	if (db_begin() != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	{
		struct db_arg a[19] = { DB_ARG_STR(uuid), DB_ARG_STR(in.name),
		    obj_arg_opt_str(in.descr), DB_ARG_STR(in.variant),
		    DB_ARG_STR(in.req), DB_ARG_STR(in.resp), obj_arg_opt_str(in.ref),
		    obj_arg_opt_str(in.ra_uuid), obj_arg_opt_str(in.iattrs),
		    obj_arg_opt_str(in.rattrs),
		    DB_ARG_INT(in.implicit != 0),
		    DB_ARG_INT(in.wait > 0 ? in.wait : c->conf->confirm_wait_time),
		    DB_ARG_STR(in.subject_policy != NULL ? in.subject_policy :
		    "signer"),
		    DB_ARG_STR(in.ca_pubs != NULL ? in.ca_pubs :
		    "sharedSecret"), DB_ARG_INT(in.legacy_pbm > 0),
		    DB_ARG_INT(in.req_max), DB_ARG_INT(in.sync_budget),
		    DB_ARG_INT(in.fallback != 0), DB_ARG_INT(in.ckg > 0) };

		rc = db_run(sql, a, NITEMS(a), NULL, 0, NULL);
	}
	if (rc == DB_DUP) {
		db_rollback();
		api_fail(c, 409, "CMP Profile %s already exists", in.name);
		goto out;
	}
	if (rc != DB_OK || cpc_store_credentials(c, &in, uuid) != 0 ||
	    cpt_store(c, &in, uuid) != 0 ||
	    (d = cpr_audit_detail(c, &in)) == NULL ||
	    audit_write(c->actor, "create", "cmpProfile", uuid, d) != 0 ||
	    db_commit() != DB_OK) {
		db_rollback();
		if (c->status == 0)
			api_db_fail(c);
		goto out;
	}
	log_info("CMP Profile %s (%s) created by %s", in.name, uuid,
	    api_actor(c));
	cp_answer(c, uuid, 201);
 out:
	json_object_put(d);
	cpr_input_free(&in);
	return c->status;
}

/* PUT /cmpProfiles/{uuid}: what the body leaves out stays. */
static int
cp_edit(struct api_call *c)
{
	static const char sql[] = "UPDATE cmp_profile SET description = ?, "
	    "variant = ?, request_protection = ?, response_protection = ?, "
	    "shared_secret_reference = ?, default_ra_profile_uuid = ?, "
	    "issue_attributes = ?, revoke_attributes = ?, "
	    "implicit_confirm_allowed = ?, confirm_wait_time = ?, "
	    "subject_policy = ?, ca_pubs = ?, legacy_pbm = ?, "
	    "secret_fallback = ?, central_key_generation = ?, "
	    "cert_req_max = IF(? = -1, cert_req_max, ?), "
	    "sync_budget = IF(? = -1, sync_budget, ?) WHERE uuid = ?";
	struct cp_row *old = NULL;
	struct cp_input in;
	json_object *d = NULL;
	int rc;

	memset(&in, 0, sizeof(in));
	if (cpr_load(c, c->param[0], &old) != 0 ||
	    cpr_input_read(c, &in) != 0 || cpr_validate(c, &in, old) != 0)
		goto out;
	if (db_begin() != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	{
		struct db_arg a[20] = {
			obj_arg_opt_str(in.has_descr ? in.descr : old->descr),
			DB_ARG_STR(in.variant != NULL ? in.variant : old->variant),
			DB_ARG_STR(in.req != NULL ? in.req : old->req),
			DB_ARG_STR(in.resp != NULL ? in.resp : old->resp),
			obj_arg_opt_str(in.has_ref ? in.ref : old->ref),
			obj_arg_opt_str(in.has_ra ? in.ra_uuid : old->ra_uuid),
			obj_arg_opt_str(in.iattrs != NULL ? in.iattrs : old->iattrs),
			obj_arg_opt_str(in.rattrs != NULL ? in.rattrs : old->rattrs),
			DB_ARG_INT(in.implicit >= 0 ? in.implicit :
			    old->col[CP_IMPLICIT].i != 0),
			DB_ARG_INT(in.wait > 0 ? in.wait : old->col[CP_WAIT].i),
			DB_ARG_STR(in.subject_policy != NULL ?
			    in.subject_policy : old->subject_policy),
			DB_ARG_STR(in.ca_pubs != NULL ? in.ca_pubs :
			    old->ca_pubs),
			DB_ARG_INT(in.legacy_pbm >= 0 ? in.legacy_pbm :
			    old->col[CP_LEGACY_PBM].i != 0),
			DB_ARG_INT(in.fallback >= 0 ? in.fallback :
			    old->col[CP_FALLBACK].i != 0),
			DB_ARG_INT(in.ckg >= 0 ? in.ckg :
			    old->col[CP_CKG].i != 0),
			DB_ARG_INT(in.req_max), DB_ARG_INT(in.req_max),
			DB_ARG_INT(in.sync_budget), DB_ARG_INT(in.sync_budget),
			DB_ARG_STR(old->uuid),
		};

		rc = db_run(sql, a, NITEMS(a), NULL, 0, NULL);
	}
	if (rc != DB_OK || cpc_store_credentials(c, &in, old->uuid) != 0 ||
	    cpt_store(c, &in, old->uuid) != 0 ||
	    (d = cpr_audit_detail(c, &in)) == NULL ||
	    audit_write(c->actor, "update", "cmpProfile", old->uuid, d) != 0 ||
	    db_commit() != DB_OK) {
		db_rollback();
		if (c->status == 0)
			api_db_fail(c);
		goto out;
	}
	cp_answer(c, old->uuid, 200);
 out:
	json_object_put(d);
	cpr_input_free(&in);
	free(old);
	return c->status;
}

/* Names of the RA Profiles that enabled CMP with profile uuid. */
static int
cp_ra_names_row(struct db_col *col, size_t n, void *arg)
{
	char *buf = arg;
	size_t len = strlen(buf);

	(void)n;
	snprintf(buf + len, 1024 - len, "%s%s", len > 0 ? ", " : "",
	    (const char *)col[0].buf);
	return 0;
}

/*
 * Deletes one profile: 0 when gone, else an HTTP status with msg (the
 * reference's texts). force detaches RA Profiles and ignores "enabled",
 * never a transaction or revocation still under way: the sweep revokes
 * with the profile's revoke attributes (profile_load_connector), which
 * the delete and the detach would take away. The profile's row is locked
 * first, so that no transaction of it begins (its foreign key waits)
 * between the check and the delete.
 */
static int
cp_delete_one(const char *uuid, int force, const char *actor, char *name,
    size_t namelen, char *msg, size_t msglen)
{
	static const char sql_get[] = "SELECT name, enabled FROM cmp_profile "
	    "WHERE uuid = ? FOR UPDATE";
	static const char sql_pending[] = "SELECT 1 FROM certificate "
	    "WHERE cmp_profile_uuid = ? AND status IN ('pending', "
	    "'revoke_pending') UNION SELECT 1 FROM cmp_transaction "
	    "WHERE cmp_profile_uuid = ? AND state IN ('open', 'waiting', "
	    "'confirm_wait', 'issuing') LIMIT 1";
	static const char sql_ras[] = "SELECT name FROM ra_profile "
	    "WHERE cmp_profile_uuid = ? ORDER BY name";
	static const char sql_detach[] = "UPDATE ra_profile SET "
	    "cmp_profile_uuid = NULL, cmp_issue_attributes = NULL, "
	    "cmp_revoke_attributes = NULL WHERE cmp_profile_uuid = ?";
	static const char sql_del[] = "DELETE FROM cmp_profile WHERE uuid = ?";
	char rname[CMPD_NAME_BUF], names[1024] = "";
	struct db_arg a[1] = { DB_ARG_STR(uuid) };
	struct db_col col[2] = {
		{ DB_STR, name, namelen, 0, 0, 0, 0 },
		{ DB_INT, NULL, 0, 0, 0, 0, 0 },
	};
	struct db_col rcol[1] = { { DB_STR, rname, sizeof(rname), 0, 0, 0, 0 } };
	json_object *d;
	size_t n = 0;
	int rc;

	name[0] = '\0';
	if ((rc = db_run(sql_get, a, 1, col, 2, NULL)) != DB_OK) {
		snprintf(msg, msglen, rc == DB_NOTFOUND ? "CMP Profile %s not "
		    "found" : "database error", uuid);
		return rc == DB_NOTFOUND ? 404 : 500;
	}
	if (db_query(sql_ras, a, 1, rcol, 1, 100, cp_ra_names_row, names,
	    &n) != DB_OK) {
		snprintf(msg, msglen, "database error");
		return 500;
	}
	if (!force && n > 0) {
		snprintf(msg, msglen, "Cannot remove as there are associated "
		    "RA Profiles (%zu): %s", n, names);
		return 409;
	}
	if (!force && col[1].i != 0) {
		snprintf(msg, msglen, "CMP Profile %s is enabled; disable it "
		    "before removing it", name);
		return 409;
	}
	{
		struct db_arg pa[2] = { DB_ARG_STR(uuid), DB_ARG_STR(uuid) };
		struct db_col pcol[1] = { { DB_INT, NULL, 0, 0, 0, 0, 0 } };

		if ((rc = db_run(sql_pending, pa, 2, pcol, 1, NULL)) == DB_OK) {
			snprintf(msg, msglen, "CMP Profile %s has certificates "
			    "waiting for confirmation or revocation", name);
			return 409;
		}
		if (rc != DB_NOTFOUND) {
			snprintf(msg, msglen, "database error");
			return 500;
		}
	}
	if ((d = json_object_new_object()) != NULL) {
		json_object_object_add(d, "name", json_object_new_string(name));
		if (force)
			json_object_object_add(d, "force",
			    json_object_new_boolean(1));
		if (n > 0)
			json_object_object_add(d, "detachedRaProfiles",
			    json_object_new_string(names));
	}
	rc = db_begin() == DB_OK &&
	    db_run(sql_detach, a, 1, NULL, 0, NULL) == DB_OK &&
	    db_run(sql_del, a, 1, NULL, 0, NULL) == DB_OK &&
	    d != NULL && audit_write(actor, "delete", "cmpProfile", uuid, d) ==
	    0 && db_commit() == DB_OK;
	json_object_put(d);
	if (!rc) {
		db_rollback();
		snprintf(msg, msglen, "database error");
		return 500;
	}
	{
		char who[2 * API_ACTOR_MAX + 3];

		log_info("CMP Profile %s (%s) deleted by %s%s", name, uuid,
		    util_log_field(actor, who, sizeof(who)),
		    force ? " (force)" : "");
	}
	return 0;
}

/* DELETE /cmpProfiles/{uuid} */
static int
cp_delete(struct api_call *c)
{
	char name[CMPD_NAME_BUF], msg[1200];
	int st;

	if ((st = cp_delete_one(c->param[0], 0, c->actor, name, sizeof(name),
	    msg, sizeof(msg))) != 0)
		return api_fail(c, st, "%s", msg);
	return api_ok(c, 204, NULL);
}

/* DELETE /cmpProfiles/delete and /delete/force: [{uuid, name, message}]. */
static int
cp_bulk_delete_mode(struct api_call *c, int force)
{
	json_object *ids, *out, *m;
	char name[CMPD_NAME_BUF], msg[1200];
	const char *uuid;
	size_t i;

	if ((ids = api_uuid_list(c)) == NULL)
		return c->status;
	if ((out = json_object_new_array()) == NULL)
		return api_fail(c, 500, "out of memory");
	for (i = 0; i < json_object_array_length(ids); i++) {
		uuid = json_object_get_string(json_object_array_get_idx(ids, i));
		if (cp_delete_one(uuid, force, c->actor, name, sizeof(name), msg,
		    sizeof(msg)) == 0)
			continue;
		if ((m = json_object_new_object()) == NULL)
			break;
		json_object_object_add(m, "uuid", json_object_new_string(uuid));
		json_object_object_add(m, "name", api_json_str(name));
		json_object_object_add(m, "message", json_object_new_string(msg));
		json_object_array_add(out, m);
	}
	return api_ok(c, 200, out);
}

static int
cp_bulk_delete(struct api_call *c)
{
	return cp_bulk_delete_mode(c, 0);
}

static int
cp_bulk_force_delete(struct api_call *c)
{
	return cp_bulk_delete_mode(c, 1);
}

/* Enables or disables the listed profiles, all or none. */
static int
cp_set_enabled(struct api_call *c, json_object *ids, int enabled)
{
	static const char sql_get[] = "SELECT uuid FROM cmp_profile "
	    "WHERE uuid = ?";
	static const char sql[] = "UPDATE cmp_profile SET enabled = ? "
	    "WHERE uuid = ?";
	char found[CMPD_UUID_LEN + 1];
	struct db_col col = { DB_STR, found, sizeof(found), 0, 0, 0, 0 };
	const char *uuid;
	size_t i;
	int rc;

	if (db_begin() != DB_OK)
		return api_db_fail(c);
	for (i = 0; i < json_object_array_length(ids); i++) {
		uuid = json_object_get_string(json_object_array_get_idx(ids, i));
		{
			struct db_arg g[1] = { DB_ARG_STR(uuid) };
			struct db_arg a[2] = { DB_ARG_INT(enabled),
			    DB_ARG_STR(uuid) };

			if ((rc = db_run(sql_get, g, 1, &col, 1, NULL)) !=
			    DB_OK) {
				db_rollback();
				return rc == DB_NOTFOUND ? api_fail(c, 404,
				    "CMP Profile %s not found", uuid) :
				    api_db_fail(c);
			}
			if (db_run(sql, a, 2, NULL, 0, NULL) != DB_OK ||
			    audit_write(c->actor, enabled ? "enable" :
			    "disable", "cmpProfile", uuid, NULL) != 0) {
				db_rollback();
				return api_db_fail(c);
			}
		}
	}
	if (db_commit() != DB_OK)
		return api_db_fail(c);
	return api_ok(c, 204, NULL);
}

/* A one-UUID list for the single-profile routes. */
static int
cp_enable_one(struct api_call *c, int enabled)
{
	json_object *ids;
	int r;

	if ((ids = json_object_new_array()) == NULL ||
	    json_object_array_add(ids, json_object_new_string(c->param[0])) !=
	    0) {
		json_object_put(ids);
		return api_fail(c, 500, "out of memory");
	}
	r = cp_set_enabled(c, ids, enabled);
	json_object_put(ids);
	return r;
}

static int
cp_enable(struct api_call *c)
{
	return cp_enable_one(c, 1);
}

static int
cp_disable(struct api_call *c)
{
	return cp_enable_one(c, 0);
}

static int
cp_bulk_enable(struct api_call *c)
{
	json_object *ids = api_uuid_list(c);

	return ids == NULL ? c->status : cp_set_enabled(c, ids, 1);
}

static int
cp_bulk_disable(struct api_call *c)
{
	json_object *ids = api_uuid_list(c);

	return ids == NULL ? c->status : cp_set_enabled(c, ids, 0);
}

/* PATCH /cmpProfiles/{uuid}/raProfiles/{raProfileUuid}: the default. */
static int
cp_set_ra(struct api_call *c)
{
	static const char sql_ra[] = "SELECT name FROM ra_profile WHERE uuid = ?";
	static const char sql[] = "UPDATE cmp_profile SET "
	    "default_ra_profile_uuid = ? WHERE uuid = ?";
	char name[CMPD_NAME_BUF];
	struct db_arg g[1] = { DB_ARG_STR(c->param[1]) };
	struct db_arg a[2] = { DB_ARG_STR(c->param[1]), DB_ARG_STR(c->param[0]) };
	struct db_col col = { DB_STR, name, sizeof(name), 0, 0, 0, 0 };
	struct cp_row *r;
	json_object *d;
	int rc;

	if (cpr_load(c, c->param[0], &r) != 0)
		return c->status;
	free(r);
	if ((rc = db_run(sql_ra, g, 1, &col, 1, NULL)) != DB_OK)
		return rc == DB_NOTFOUND ? api_fail(c, 404, "RA Profile %s not "
		    "found", c->param[1]) : api_db_fail(c);
	if ((d = json_object_new_object()) == NULL)
		return api_fail(c, 500, "out of memory");
	json_object_object_add(d, "raProfileUuid",
	    json_object_new_string(c->param[1]));
	json_object_object_add(d, "raProfileName", json_object_new_string(name));
	rc = db_begin() == DB_OK && db_run(sql, a, 2, NULL, 0, NULL) == DB_OK &&
	    audit_write(c->actor, "setDefaultRaProfile", "cmpProfile",
	    c->param[0], d) == 0 && db_commit() == DB_OK;
	json_object_put(d);
	if (!rc) {
		db_rollback();
		return api_db_fail(c);
	}
	return api_ok(c, 204, NULL);
}

const struct api_route api_cmp_profile_routes[] = {
	{ "GET", "/cmpProfiles", API_ROLE_READ, cp_list },
	{ "POST", "/cmpProfiles", API_ROLE_ADMIN, cp_create },
	{ "GET", "/cmpProfiles/signingCertificates", API_ROLE_READ,
	    cpc_signing_certs },
	{ "DELETE", "/cmpProfiles/delete", API_ROLE_ADMIN, cp_bulk_delete },
	{ "DELETE", "/cmpProfiles/delete/force", API_ROLE_ADMIN,
	    cp_bulk_force_delete },
	{ "PATCH", "/cmpProfiles/enable", API_ROLE_ADMIN, cp_bulk_enable },
	{ "PATCH", "/cmpProfiles/disable", API_ROLE_ADMIN, cp_bulk_disable },
	{ "GET", "/cmpProfiles/{cmpProfileUuid}", API_ROLE_READ, cp_get },
	{ "PUT", "/cmpProfiles/{cmpProfileUuid}", API_ROLE_ADMIN, cp_edit },
	{ "DELETE", "/cmpProfiles/{cmpProfileUuid}", API_ROLE_ADMIN,
	    cp_delete },
	{ "PATCH", "/cmpProfiles/{cmpProfileUuid}/enable", API_ROLE_ADMIN,
	    cp_enable },
	{ "PATCH", "/cmpProfiles/{cmpProfileUuid}/disable", API_ROLE_ADMIN,
	    cp_disable },
	{ "PATCH", "/cmpProfiles/{cmpProfileUuid}/raProfiles/{raProfileUuid}",
	    API_ROLE_ADMIN, cp_set_ra },
	{ "PUT", "/cmpProfiles/{cmpProfileUuid}/signingCredentials",
	    API_ROLE_ADMIN, cpc_put_signing },
	{ "GET", "/cmpProfiles/{cmpProfileUuid}/trustAnchors", API_ROLE_READ,
	    cpc_get_anchors },
	{ "PUT", "/cmpProfiles/{cmpProfileUuid}/trustAnchors", API_ROLE_ADMIN,
	    cpc_put_anchors },
};
const size_t api_cmp_profile_nroutes = NITEMS(api_cmp_profile_routes);
