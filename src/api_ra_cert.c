/*
 * The RA list of a CMP Profile (cmp_ra.c): GET, POST and DELETE under
 * /cmpProfiles/{uuid}/raCertificates. An entry is one certificate, an
 * RA's own or the CA of several RAs, with what a signer it matches may
 * do: enroll, revoke, raVerified (RFC 9483 5.2, 5.3.1, 5.3.2).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api.h"
#include "api_cmp.h"
#include "store.h"

static const char *const perm_names[] = { "enroll", "revoke", "raVerified" };

enum { RC_UUID, RC_CERT, RC_FP, RC_SUBJECT, RC_ENROLL, RC_REVOKE, RC_RAV,
	RC_CREATED, RC_NCOLS };

struct rc_row {
	char	 uuid[CMPD_UUID_LEN + 1], fp[65], subject[STORE_DN_BUF];
	char	 created[OBJ_TS_BUF];
	unsigned char cert[STORE_CERT_MAX];
	struct db_col col[RC_NCOLS];
};

static json_object *
rc_json(struct db_col *col)
{
	const unsigned char *p = col[RC_CERT].buf;
	json_object *o, *perms;
	X509 *x;

	if ((o = json_object_new_object()) == NULL ||
	    (perms = json_object_new_array()) == NULL) {
		json_object_put(o);
		return NULL;
	}
	json_object_object_add(o, "uuid", json_object_new_string(
	    col[RC_UUID].buf));
	if ((x = d2i_X509(NULL, &p, (long)col[RC_CERT].len)) != NULL) {
		json_object_object_add(o, "certificate", obj_pem_cert(x));
		X509_free(x);
	}
	json_object_object_add(o, "subject", json_object_new_string(
	    col[RC_SUBJECT].buf));
	json_object_object_add(o, "fingerprint", json_object_new_string(
	    col[RC_FP].buf));
	if (col[RC_ENROLL].i)
		json_object_array_add(perms, json_object_new_string("enroll"));
	if (col[RC_REVOKE].i)
		json_object_array_add(perms, json_object_new_string("revoke"));
	if (col[RC_RAV].i)
		json_object_array_add(perms,
		    json_object_new_string("raVerified"));
	json_object_object_add(o, "permissions", perms);
	json_object_object_add(o, "createdAt", json_object_new_string(
	    col[RC_CREATED].buf));
	return o;
}

#define RC_SELECT "SELECT uuid, certificate, fingerprint, subject_dn, " \
	"perm_enroll, perm_revoke, perm_ra_verified, " \
	OBJ_TS("created_at") " FROM ra_certificate "

static struct rc_row *
rc_row_new(void)
{
	struct rc_row *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->col[RC_UUID] = (struct db_col){ .type = DB_STR, .buf = r->uuid,
	    .n = sizeof(r->uuid) };
	r->col[RC_CERT] = (struct db_col){ .type = DB_BLOB, .buf = r->cert,
	    .n = sizeof(r->cert) };
	r->col[RC_FP] = (struct db_col){ .type = DB_STR, .buf = r->fp,
	    .n = sizeof(r->fp) };
	r->col[RC_SUBJECT] = (struct db_col){ .type = DB_STR,
	    .buf = r->subject, .n = sizeof(r->subject) };
	r->col[RC_ENROLL].type = r->col[RC_REVOKE].type =
	    r->col[RC_RAV].type = DB_INT;
	r->col[RC_CREATED] = (struct db_col){ .type = DB_STR,
	    .buf = r->created, .n = sizeof(r->created) };
	return r;
}

/* The CMP Profile of the path exists (404 otherwise). */
static int
rc_profile(struct api_call *c)
{
	struct cp_row *r;

	if (obj_param_uuid(c, 0, "cmpProfileUuid") != 0 ||
	    cpr_load(c, c->param[0], &r) != 0)
		return -1;
	free(r);
	return 0;
}

/* GET /cmpProfiles/{uuid}/raCertificates */
static int
rc_list(struct api_call *c)
{
	struct rc_row *r;
	struct db_arg a[1];
	int rc;

	if (rc_profile(c) != 0)
		return c->status;
	if ((r = rc_row_new()) == NULL)
		return api_fail(c, 500, "out of memory");
	a[0] = (struct db_arg)DB_ARG_STR(c->param[0]);
	rc = api_list(c, RC_SELECT "WHERE cmp_profile_uuid = ? "
	    "ORDER BY created_at, uuid", a, 1, r->col, RC_NCOLS, CMP_RA_MAX,
	    rc_json);
	free(r);
	return rc;
}

/* permissions: a non-empty array of known names, each once, as
 * RA_PERM_* bits. */
static int
rc_perms(struct api_call *c, int *bits)
{
	json_object *v = NULL, *e;
	size_t i, n;
	int k;

	*bits = 0;
	if (c->body != NULL)
		json_object_object_get_ex(c->body, "permissions", &v);
	if (v == NULL || !json_object_is_type(v, json_type_array))
		return api_fail(c, 422, "permissions: an array of enroll, "
		    "revoke, raVerified");
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string) ||
		    (k = util_name_index(perm_names, NITEMS(perm_names),
		    json_object_get_string(e), 0)) < 0)
			return api_fail(c, 422, "permissions: unknown "
			    "permission %.64s (enroll, revoke, raVerified)",
			    json_object_is_type(e, json_type_string) ?
			    json_object_get_string(e) : "(not a string)");
		if (*bits & (1 << k))
			return api_fail(c, 422, "permissions: %s listed twice",
			    perm_names[k]);
		*bits |= 1 << k;
	}
	if (*bits == 0)
		return api_fail(c, 422, "permissions: at least one of enroll, "
		    "revoke, raVerified");
	return 0;
}

/* POST /cmpProfiles/{uuid}/raCertificates {certificate, permissions} */
static int
rc_create(struct api_call *c)
{
	static const char sql[] = "INSERT INTO ra_certificate (uuid, "
	    "cmp_profile_uuid, certificate, fingerprint, subject_dn, "
	    "perm_enroll, perm_revoke, perm_ra_verified) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	static const char *const known[] = { "certificate", "permissions" };
	STACK_OF(X509) *certs = NULL;
	unsigned char *der = NULL;
	const char *pem = NULL;
	json_object *d = NULL;
	struct db_col cnt[1];
	struct rc_row *row = NULL;
	char uuid[CMPD_UUID_LEN + 1], fp[65], subject[STORE_DN_BUF];
	char err[128], *name = NULL;
	X509 *x;
	int bits, len, r;

	if (rc_profile(c) != 0 || obj_body_only(c, known, NITEMS(known)) != 0)
		goto out;
	if (api_get_str(c, "certificate", STORE_CERT_MAX * 2, &pem) == API_BAD)
		goto out;
	if (pem == NULL || cred_parse_pem(pem, strlen(pem), NULL, &certs, err,
	    sizeof(err)) != 0) {
		api_fail(c, 422, "certificate: %s", pem == NULL ?
		    "no certificate (PEM)" : err);
		goto out;
	}
	if (sk_X509_num(certs) != 1) {
		api_fail(c, 422, "certificate: exactly one certificate, not %d",
		    sk_X509_num(certs));
		goto out;
	}
	x = sk_X509_value(certs, 0);
	if ((len = i2d_X509(x, &der)) <= 0 || len > STORE_CERT_MAX) {
		api_fail(c, 422, "certificate: more than %d bytes",
		    STORE_CERT_MAX);
		goto out;
	}
	if (rc_perms(c, &bits) != 0)
		goto out;
	if ((name = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0)) ==
	    NULL || strlen(name) > STORE_DN_MAX) {
		api_fail(c, 422, "certificate: the subject is too long");
		goto out;
	}
	snprintf(subject, sizeof(subject), "%s", name);
	memset(cnt, 0, sizeof(cnt));
	cnt[0].type = DB_INT;
	{
		struct db_arg a[1] = { DB_ARG_STR(c->param[0]) };

		if (db_run("SELECT COUNT(*) FROM ra_certificate "
		    "WHERE cmp_profile_uuid = ?", a, 1, cnt, 1, NULL) !=
		    DB_OK) {
			api_db_fail(c);
			goto out;
		}
	}
	if (cnt[0].i >= CMP_RA_MAX) {
		api_fail(c, 422, "the CMP Profile has %d RA certificates "
		    "already, the most it may have", CMP_RA_MAX);
		goto out;
	}
	if (cmp_ra_fingerprint(x, fp) != 0 || util_uuid4(uuid) != 0) {
		api_fail(c, 500, "out of memory");
		goto out;
	}
	if ((d = json_object_new_object()) != NULL) {
		json_object_object_add(d, "cmpProfileUuid",
		    json_object_new_string(c->param[0]));
		json_object_object_add(d, "subject",
		    json_object_new_string(subject));
		json_object_object_add(d, "fingerprint",
		    json_object_new_string(fp));
		json_object_object_add(d, "permissions",
		    json_object_get(json_object_object_get(c->body,
		    "permissions")));
	}
	{
		struct db_arg a[8] = { DB_ARG_STR(uuid), DB_ARG_STR(c->param[0]),
		    DB_ARG_BLOB(der, (unsigned long)len), DB_ARG_STR(fp),
		    DB_ARG_STR(subject), DB_ARG_INT((bits & 1) != 0),
		    DB_ARG_INT((bits & 2) != 0), DB_ARG_INT((bits & 4) != 0) };

		if (db_begin() != DB_OK) {
			api_db_fail(c);
			goto out;
		}
		r = db_run(sql, a, 8, NULL, 0, NULL);
		if (r == DB_DUP) {
			db_rollback();
			api_fail(c, 409, "certificate: already on the RA list "
			    "of this CMP Profile");
			goto out;
		}
		if (r != DB_OK || audit_write(c->actor, "addRaCertificate",
		    "cmpProfile", c->param[0], d) != 0 ||
		    db_commit() != DB_OK) {
			db_rollback();
			api_db_fail(c);
			goto out;
		}
	}
	if ((row = rc_row_new()) == NULL) {
		api_fail(c, 500, "out of memory");
		goto out;
	}
	{
		struct db_arg a[1] = { DB_ARG_STR(uuid) };

		if (db_run(RC_SELECT "WHERE uuid = ?", a, 1, row->col,
		    RC_NCOLS, NULL) != DB_OK) {
			api_db_fail(c);
			goto out;
		}
	}
	api_ok(c, 201, rc_json(row->col));
 out:
	free(row);
	OPENSSL_free(name);
	OPENSSL_free(der);
	json_object_put(d);
	sk_X509_pop_free(certs, X509_free);
	return c->status;
}

/*
 * PATCH /cmpProfiles/{uuid}/raCertificates/{raCertificateUuid}
 * {permissions}: the entry's permissions replaced, checked as on create;
 * its certificate stays. Requests are authorised when they come, so the
 * next message of the RA sees the new permissions.
 */
static int
rc_update(struct api_call *c)
{
	static const char sql[] = "UPDATE ra_certificate SET perm_enroll = ?, "
	    "perm_revoke = ?, perm_ra_verified = ? WHERE uuid = ? AND "
	    "cmp_profile_uuid = ?";
	static const char *const known[] = { "permissions" };
	struct rc_row *row = NULL;
	json_object *d = NULL;
	struct db_col col[1];
	int bits, r;

	if (rc_profile(c) != 0 ||
	    obj_param_uuid(c, 1, "raCertificateUuid") != 0 ||
	    obj_body_only(c, known, NITEMS(known)) != 0)
		return c->status;
	if (rc_perms(c, &bits) != 0)
		return c->status;
	if ((d = json_object_new_object()) == NULL ||
	    (row = rc_row_new()) == NULL) {
		json_object_put(d);
		return api_fail(c, 500, "out of memory");
	}
	json_object_object_add(d, "raCertificateUuid",
	    json_object_new_string(c->param[1]));
	json_object_object_add(d, "permissions", json_object_get(
	    json_object_object_get(c->body, "permissions")));
	memset(col, 0, sizeof(col));
	col[0].type = DB_INT;
	if (db_begin() != DB_OK)
		goto fail;
	{
		/* the row locked, then changed: 0 rows matched is 404, not
		 * "unchanged" (the same permissions again) */
		struct db_arg a[2] = { DB_ARG_STR(c->param[1]),
		    DB_ARG_STR(c->param[0]) };

		r = db_run("SELECT 1 FROM ra_certificate WHERE uuid = ? AND "
		    "cmp_profile_uuid = ? FOR UPDATE", a, 2, col, 1, NULL);
	}
	if (r == DB_NOTFOUND) {
		db_rollback();
		json_object_put(d);
		free(row);
		return api_fail(c, 404, "RA certificate %s not found",
		    c->param[1]);
	}
	{
		struct db_arg a[5] = { DB_ARG_INT((bits & 1) != 0),
		    DB_ARG_INT((bits & 2) != 0), DB_ARG_INT((bits & 4) != 0),
		    DB_ARG_STR(c->param[1]), DB_ARG_STR(c->param[0]) };

		if (r != DB_OK || db_run(sql, a, 5, NULL, 0, NULL) != DB_OK ||
		    audit_write(c->actor, "updateRaCertificate", "cmpProfile",
		    c->param[0], d) != 0 || db_commit() != DB_OK)
			goto fail;
	}
	json_object_put(d);
	d = NULL;
	log_info("CMP Profile %s: RA certificate %s permissions changed by %s",
	    c->param[0], c->param[1], api_actor(c));
	{
		struct db_arg a[1] = { DB_ARG_STR(c->param[1]) };

		if (db_run(RC_SELECT "WHERE uuid = ?", a, 1, row->col,
		    RC_NCOLS, NULL) != DB_OK) {
			free(row);
			return api_db_fail(c);
		}
	}
	api_ok(c, 200, rc_json(row->col));
	free(row);
	return c->status;
 fail:
	db_rollback();
	json_object_put(d);
	free(row);
	return api_db_fail(c);
}

/* DELETE /cmpProfiles/{uuid}/raCertificates/{raCertificateUuid} */
static int
rc_delete(struct api_call *c)
{
	unsigned long long n = 0;
	json_object *d;

	if (rc_profile(c) != 0 ||
	    obj_param_uuid(c, 1, "raCertificateUuid") != 0)
		return c->status;
	if ((d = json_object_new_object()) != NULL)
		json_object_object_add(d, "raCertificateUuid",
		    json_object_new_string(c->param[1]));
	{
		struct db_arg a[2] = { DB_ARG_STR(c->param[1]),
		    DB_ARG_STR(c->param[0]) };

		if (db_begin() != DB_OK ||
		    db_run("DELETE FROM ra_certificate WHERE uuid = ? AND "
		    "cmp_profile_uuid = ?", a, 2, NULL, 0, &n) != DB_OK) {
			db_rollback();
			json_object_put(d);
			return api_db_fail(c);
		}
	}
	if (n == 0) {
		db_rollback();
		json_object_put(d);
		return api_fail(c, 404, "RA certificate %s not found",
		    c->param[1]);
	}
	if (audit_write(c->actor, "deleteRaCertificate", "cmpProfile",
	    c->param[0], d) != 0 || db_commit() != DB_OK) {
		db_rollback();
		json_object_put(d);
		return api_db_fail(c);
	}
	json_object_put(d);
	return api_ok(c, 204, NULL);
}

const struct api_route api_ra_cert_routes[] = {
	{ "GET", "/cmpProfiles/{cmpProfileUuid}/raCertificates",
	    API_ROLE_READ, rc_list },
	{ "POST", "/cmpProfiles/{cmpProfileUuid}/raCertificates",
	    API_ROLE_ADMIN, rc_create },
	{ "PATCH",
	    "/cmpProfiles/{cmpProfileUuid}/raCertificates/{raCertificateUuid}",
	    API_ROLE_ADMIN, rc_update },
	{ "DELETE",
	    "/cmpProfiles/{cmpProfileUuid}/raCertificates/{raCertificateUuid}",
	    API_ROLE_ADMIN, rc_delete },
};
const size_t api_ra_cert_nroutes = NITEMS(api_ra_cert_routes);
