/*
 * /api/v1/cmpProfiles/{uuid}/devices: a CMP Profile's device entries
 * (per-device shared secrets, cmp_device.c). Secrets are write-only,
 * sealed at rest like the profile's, and audit rows say "(set)". A CSV
 * import is one database transaction: all rows or none.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "api_cmp.h"

#define DEV_REF_MAX	128	/* cmp_device.reference */
#define DEV_USES_MAX	1000000
#define DEV_IMPORT_MAX	100000	/* rows in one CSV import */
#define DEV_CSV_MAX	(16 * 1024 * 1024)

/* One entry as a POST or a CSV row gives it. */
struct dev_in {
	const char *ref, *secret, *subject, *san, *not_after;
	long	 uses;
};

enum { D_UUID, D_REF, D_SUBJ, D_SAN, D_NA, D_MAX, D_LEFT, D_FAILED,
	D_STATE, D_LAST, D_CREATED, D_UPDATED, D_UNTIL, D_NCOLS };

#define DEV_SELECT(state) \
	"SELECT d.uuid, d.reference, d.subject, d.san, " \
	"DATE_FORMAT(d.not_after, '%Y-%m-%dT%H:%i:%sZ'), d.uses_max, " \
	"d.uses_left, d.failed_macs, " state " AS state, " \
	OBJ_TS("d.last_used_at") ", " OBJ_TS("d.created_at") ", " \
	OBJ_TS("d.updated_at") ", IF(" CMP_DEVICE_LOCKED_SQL ", " \
	OBJ_TS("d.locked_until") ", NULL) FROM cmp_device d "

struct dev_row {
	char	 uuid[CMPD_UUID_LEN + 1], ref[4 * DEV_REF_MAX + 1];
	char	 subj[4 * CMP_DEVICE_CONSTRAINT_MAX + 1];
	char	 san[4 * CMP_DEVICE_CONSTRAINT_MAX + 1];
	char	 na[OBJ_TS_BUF], state[16], last[OBJ_TS_BUF];
	char	 created[OBJ_TS_BUF], updated[OBJ_TS_BUF], until[OBJ_TS_BUF];
	struct db_col col[D_NCOLS];
};

static void
dev_row_cols(struct dev_row *r)
{
	api_col_str(&r->col[D_UUID], r->uuid, sizeof(r->uuid));
	api_col_str(&r->col[D_REF], r->ref, sizeof(r->ref));
	api_col_str(&r->col[D_SUBJ], r->subj, sizeof(r->subj));
	api_col_str(&r->col[D_SAN], r->san, sizeof(r->san));
	api_col_str(&r->col[D_NA], r->na, sizeof(r->na));
	api_col_int(&r->col[D_MAX]);
	api_col_int(&r->col[D_LEFT]);
	api_col_int(&r->col[D_FAILED]);
	api_col_str(&r->col[D_STATE], r->state, sizeof(r->state));
	api_col_str(&r->col[D_LAST], r->last, sizeof(r->last));
	api_col_str(&r->col[D_CREATED], r->created, sizeof(r->created));
	api_col_str(&r->col[D_UPDATED], r->updated, sizeof(r->updated));
	api_col_str(&r->col[D_UNTIL], r->until, sizeof(r->until));
}

static json_object *
dev_str(const struct db_col *c)
{
	return c->null ? NULL : json_object_new_string(c->buf);
}

/* The entry as the API shows it: never its secret. */
static json_object *
dev_json(struct db_col *c)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", dev_str(&c[D_UUID]));
	json_object_object_add(o, "reference", dev_str(&c[D_REF]));
	json_object_object_add(o, "subject", dev_str(&c[D_SUBJ]));
	json_object_object_add(o, "san", dev_str(&c[D_SAN]));
	json_object_object_add(o, "notAfter", dev_str(&c[D_NA]));
	json_object_object_add(o, "uses", json_object_new_int((int)c[D_MAX].i));
	json_object_object_add(o, "usesLeft",
	    json_object_new_int((int)c[D_LEFT].i));
	json_object_object_add(o, "failedMacs",
	    json_object_new_int((int)c[D_FAILED].i));
	json_object_object_add(o, "state", dev_str(&c[D_STATE]));
	/* null while not locked, and for a lock an operator ends */
	json_object_object_add(o, "lockedUntil", dev_str(&c[D_UNTIL]));
	json_object_object_add(o, "lastUsedAt", dev_str(&c[D_LAST]));
	json_object_object_add(o, "createdAt", dev_str(&c[D_CREATED]));
	json_object_object_add(o, "updatedAt", dev_str(&c[D_UPDATED]));
	return o;
}

/* Path parameter 0 is an existing CMP Profile; 0, or the answer set. */
static int
dev_profile(struct api_call *c)
{
	static const char sql[] = "SELECT 1 FROM cmp_profile WHERE uuid = ?";
	struct db_arg a[1];
	int r;

	if (obj_param_uuid(c, 0, "cmpProfileUuid") != 0)
		return -1;
	a[0] = (struct db_arg)DB_ARG_STR(c->param[0]);
	if ((r = obj_exists(sql, a, 1)) < 0)
		return api_db_fail(c), -1;
	if (r == 0)
		return api_fail(c, 404, "CMP Profile %s not found",
		    c->param[0]), -1;
	return 0;
}

/* A reference: 1..128 URL-unreserved characters (it is a path segment). */
static int
dev_ref_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= DEV_REF_MAX && route_name_valid(s, n);
}

/* "YYYY-MM-DDThh:mm:ssZ" (UTC), a day the calendar has: MariaDB's
 * STR_TO_DATE makes NULL of 06-31 or a 02-29 outside leap years, and a
 * NULL notAfter is no limit at all. */
static int
dev_time_valid(const char *s)
{
	int y, mo, d, h, mi, se;
	struct tm tm, back;
	time_t t;
	char z;

	if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c",
	    &y, &mo, &d, &h, &mi, &se, &z) != 7 || z != 'Z' ||
	    y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
		return 0;
	/* timegm() carries a day past the month's end into the next
	 * month: a day that comes back as given is in the calendar */
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &back) == NULL)
		return 0;
	return back.tm_mday == d && back.tm_mon == mo - 1;
}

#define DEV_SECRET_TEXT	"secret must be 1 to 256 bytes"

/* The checks of the constraints and uses; NULL if fine, else what is wrong. */
static const char *
dev_check_rest(const struct dev_in *in)
{
	X509_NAME *n;
	GENERAL_NAMES *g;

	if (in->subject != NULL && *in->subject != '\0') {
		if (strlen(in->subject) > CMP_DEVICE_CONSTRAINT_MAX ||
		    (n = cmp_msg_parse_name(in->subject)) == NULL)
			return "subject is not a distinguished name";
		X509_NAME_free(n);
	}
	if (in->san != NULL && *in->san != '\0') {
		if (strlen(in->san) > CMP_DEVICE_CONSTRAINT_MAX ||
		    (g = cmp_device_san_parse(in->san)) == NULL)
			return "san must be a list of DNS:, IP:, email: or "
			    "URI: names separated by commas";
		GENERAL_NAMES_free(g);
	}
	if (in->not_after != NULL && *in->not_after != '\0' &&
	    !dev_time_valid(in->not_after))
		return "notAfter must be YYYY-MM-DDThh:mm:ssZ";
	if (in->uses < 1 || in->uses > DEV_USES_MAX)
		return "uses must be 1 to 1000000";
	return NULL;
}

/* The checks of an entry; NULL if fine, else what is wrong. */
static const char *
dev_check(const struct dev_in *in)
{
	if (in->ref == NULL || !dev_ref_valid(in->ref))
		return "reference must be 1 to 128 characters of "
		    "A-Z a-z 0-9 - . _ ~";
	if (in->secret == NULL || *in->secret == '\0' ||
	    strlen(in->secret) > PROFILE_SECRET_MAX)
		return DEV_SECRET_TEXT;
	return dev_check_rest(in);
}

/* Inserts one checked entry (inside a transaction); DB_* code. */
static int
dev_insert(const char *profile, const struct dev_in *in, char *uuid)
{
	static const char sql[] = "INSERT INTO cmp_device (uuid, "
	    "cmp_profile_uuid, reference, secret_enc, subject, san, "
	    "not_after, uses_max, uses_left) VALUES (?, ?, ?, ?, ?, ?, "
	    "STR_TO_DATE(?, '%Y-%m-%dT%H:%i:%sZ'), ?, ?)";
	unsigned char *sealed = NULL;
	size_t slen = 0;
	char aad[SECRET_AAD_MAX];
	int r;

	if (util_uuid4(uuid) != 0)
		return DB_ERR;
	SECRET_AAD(aad, "cmp_device.secret_enc", uuid);
	if (secret_seal((const unsigned char *)in->secret, strlen(in->secret),
	    aad, &sealed, &slen) != 0)
		return DB_ERR;
	{
		struct db_arg a[9] = { DB_ARG_STR(uuid), DB_ARG_STR(profile),
		    DB_ARG_STR(in->ref), DB_ARG_BLOB(sealed, slen),
		    obj_arg_opt_str(in->subject), obj_arg_opt_str(in->san),
		    obj_arg_opt_str(in->not_after), DB_ARG_INT(in->uses),
		    DB_ARG_INT(in->uses) };

		r = db_run(sql, a, 9, NULL, 0, NULL);
	}
	OPENSSL_free(sealed);
	return r;
}

/*
 * GET /cmpProfiles/{uuid}/devices[?state=S][&after=R][&limit=N]: at most
 * limit entries (default and most API_LIST_MAX) by reference, those after
 * the reference R only: keyset paging on the unique (cmp_profile_uuid,
 * reference) index, so that a page costs the same wherever it starts.
 * "" sorts before every reference (1 character at least), so that the
 * first page is the same range scan. The profile is bounded by >= and <=
 * rather than =: with = MariaDB (10.11) takes ref access on the profile
 * prefix and reads its entries from the first one on, filtering them by
 * reference; the bounds leave it the range (profile, R) .. (profile, max)
 * of both key parts, read in index order (hence ORDER BY both) up to the
 * limit. t/0030-devices.t checks the plan.
 */
static int
dev_list(struct api_call *c)
{
	static const char sql[] = DEV_SELECT(CMP_DEVICE_STATE_SQL)
	    "WHERE d.cmp_profile_uuid >= ? AND d.cmp_profile_uuid <= ? AND "
	    "d.reference > ? AND (? = '' OR " CMP_DEVICE_STATE_SQL " = ?) "
	    "ORDER BY d.cmp_profile_uuid, d.reference LIMIT ?";
	struct dev_row *r;
	char state[16], after[DEV_REF_MAX + 1], lim[16];
	long limit = API_LIST_MAX;
	int q, rc;

	if (dev_profile(c) != 0)
		return c->status;
	if ((q = api_query(c, "state", state, sizeof(state))) < 0)
		return api_fail(c, 400, "state is too long");
	if (q == 0)
		state[0] = '\0';
	if ((q = api_query(c, "after", after, sizeof(after))) < 0 ||
	    (q == 1 && !dev_ref_valid(after)))
		return api_fail(c, 422, "after must be a reference: 1 to 128 "
		    "characters of A-Z a-z 0-9 - . _ ~");
	if (q == 0)
		after[0] = '\0';
	if ((q = api_query(c, "limit", lim, sizeof(lim))) < 0 || (q == 1 &&
	    util_parse_long(lim, 1, API_LIST_MAX, &limit) != 0))
		return api_fail(c, 422, "limit must be 1 to %d",
		    API_LIST_MAX);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return api_fail(c, 500, "out of memory");
	dev_row_cols(r);
	{
		struct db_arg a[6] = { DB_ARG_STR(c->param[0]),
		    DB_ARG_STR(c->param[0]), DB_ARG_STR(after),
		    DB_ARG_STR(state), DB_ARG_STR(state), DB_ARG_INT(limit) };

		rc = api_list(c, sql, a, 6, r->col, D_NCOLS, (size_t)limit,
		    dev_json);
	}
	free(r);
	return rc;
}

/* One entry by its reference: 0, or the answer (404) set. */
static int
dev_answer(struct api_call *c, int status)
{
	static const char sql[] = DEV_SELECT(CMP_DEVICE_STATE_SQL)
	    "WHERE d.cmp_profile_uuid = ? AND d.reference = ?";
	struct dev_row *r;
	int rc;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return api_fail(c, 500, "out of memory");
	dev_row_cols(r);
	{
		struct db_arg a[2] = { DB_ARG_STR(c->param[0]),
		    DB_ARG_STR(c->param[1]) };

		rc = db_run(sql, a, 2, r->col, D_NCOLS, NULL);
	}
	if (rc == DB_OK)
		api_ok(c, status, dev_json(r->col));
	else if (rc == DB_NOTFOUND)
		api_fail(c, 404, "device %s not found", c->param[1]);
	else
		api_db_fail(c);
	free(r);
	return c->status;
}

/* GET /cmpProfiles/{uuid}/devices/{reference} */
static int
dev_get(struct api_call *c)
{
	if (dev_profile(c) != 0)
		return c->status;
	return dev_answer(c, 200);
}

static json_object *
dev_audit(const struct dev_in *in)
{
	json_object *d;

	if ((d = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(d, "reference", json_object_new_string(in->ref));
	json_object_object_add(d, "secret",
	    json_object_new_string(CP_SECRET_SET));
	if (in->subject != NULL)
		json_object_object_add(d, "subject",
		    json_object_new_string(in->subject));
	if (in->san != NULL)
		json_object_object_add(d, "san",
		    json_object_new_string(in->san));
	if (in->not_after != NULL)
		json_object_object_add(d, "notAfter",
		    json_object_new_string(in->not_after));
	json_object_object_add(d, "uses", json_object_new_int((int)in->uses));
	return d;
}

/* POST /cmpProfiles/{uuid}/devices */
static int
dev_create(struct api_call *c)
{
	static const char *const known[] = { "reference", "secret",
	    "subject", "san", "notAfter", "uses" };
	struct dev_in in;
	char uuid[CMPD_UUID_LEN + 1];
	const char *why;
	json_object *d = NULL;
	int rc;

	memset(&in, 0, sizeof(in));
	in.uses = 1;
	if (dev_profile(c) != 0 || obj_body_only(c, known, NITEMS(known)) != 0)
		return c->status;
	if (api_get_str(c, "reference", DEV_REF_MAX, &in.ref) == API_BAD ||
	    api_get_str(c, "secret", PROFILE_SECRET_MAX, &in.secret) ==
	    API_BAD ||
	    api_get_str(c, "subject", CMP_DEVICE_CONSTRAINT_MAX,
	    &in.subject) == API_BAD ||
	    api_get_str(c, "san", CMP_DEVICE_CONSTRAINT_MAX, &in.san) ==
	    API_BAD ||
	    api_get_str(c, "notAfter", 32, &in.not_after) == API_BAD ||
	    api_get_int(c, "uses", 1, DEV_USES_MAX, &in.uses) == API_BAD)
		return c->status;
	if ((why = dev_check(&in)) != NULL)
		return api_fail(c, 422, "%s", why);
	if (db_begin() != DB_OK)
		return api_db_fail(c);
	rc = dev_insert(c->param[0], &in, uuid);
	if (rc == DB_DUP) {
		db_rollback();
		return api_fail(c, 409, "device %s already exists", in.ref);
	}
	if (rc != DB_OK || (d = dev_audit(&in)) == NULL ||
	    audit_write(c->actor, "create", "cmpDevice", uuid, d) != 0 ||
	    db_commit() != DB_OK) {
		db_rollback();
		json_object_put(d);
		return api_db_fail(c);
	}
	json_object_put(d);
	log_info("CMP Profile %s: device %s added by %s", c->param[0], in.ref,
	    api_actor(c));
	snprintf(c->param[1], sizeof(c->param[1]), "%s", in.ref);
	return dev_answer(c, 201);
}

/* What a PATCH gives: each member absent, a value, or null (cleared). */
struct dev_patch {
	struct dev_in in;
	int	 has_secret, has_subject, has_san, has_na, has_uses, unlock;
};

/* A member of the body that is JSON null. */
static int
dev_null(const struct api_call *c, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(c->body, key, &v) && v == NULL;
}

/* A constraint member: absent, a string or null ("" is null too). */
static int
dev_patch_str(struct api_call *c, const char *key, size_t max,
    const char **out, int *has)
{
	enum api_get g;

	if ((g = api_get_str(c, key, max, out)) == API_BAD)
		return -1;
	*has = g == API_GOT || dev_null(c, key);
	return 0;
}

static json_object *
dev_patch_audit(const struct dev_patch *p, const char *ref)
{
	json_object *d;

	if ((d = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(d, "reference", json_object_new_string(ref));
	if (p->has_secret)
		json_object_object_add(d, "secret",
		    json_object_new_string(CP_SECRET_SET));
	if (p->has_subject)
		json_object_object_add(d, "subject",
		    api_json_str(p->in.subject));
	if (p->has_san)
		json_object_object_add(d, "san", api_json_str(p->in.san));
	if (p->has_na)
		json_object_object_add(d, "notAfter",
		    api_json_str(p->in.not_after));
	if (p->has_uses)
		json_object_object_add(d, "uses",
		    json_object_new_int((int)p->in.uses));
	if (p->unlock)
		json_object_object_add(d, "unlock",
		    json_object_new_boolean(1));
	return d;
}

/*
 * The members of a PATCH body, checked as on create: 0, or the answer
 * set.
 */
static int
dev_patch_parse(struct api_call *c, struct dev_patch *p)
{
	static const char *const known[] = { "secret", "subject", "san",
	    "notAfter", "uses", "unlock" };
	const char *why;
	enum api_get g;
	int unlock = 0;

	memset(p, 0, sizeof(*p));
	p->in.uses = 1;
	if (obj_body_only(c, known, NITEMS(known)) != 0)
		return c->status;
	if ((g = api_get_str(c, "secret", PROFILE_SECRET_MAX,
	    &p->in.secret)) == API_BAD)
		return -1;
	/* a secret cannot be cleared: null is not a secret */
	if ((g == API_GOT && *p->in.secret == '\0') || dev_null(c, "secret"))
		return api_fail(c, 422, "%s", DEV_SECRET_TEXT);
	p->has_secret = g == API_GOT;
	if (dev_patch_str(c, "subject", CMP_DEVICE_CONSTRAINT_MAX,
	    &p->in.subject, &p->has_subject) != 0 ||
	    dev_patch_str(c, "san", CMP_DEVICE_CONSTRAINT_MAX, &p->in.san,
	    &p->has_san) != 0 ||
	    dev_patch_str(c, "notAfter", 32, &p->in.not_after,
	    &p->has_na) != 0 ||
	    (g = api_get_int(c, "uses", 1, DEV_USES_MAX, &p->in.uses)) ==
	    API_BAD || api_get_bool(c, "unlock", &unlock) == API_BAD)
		return -1;
	p->has_uses = g == API_GOT;
	p->unlock = unlock;
	if ((why = dev_check_rest(&p->in)) != NULL)
		return api_fail(c, 422, "%s", why);
	if (!p->has_secret && !p->has_subject && !p->has_san && !p->has_na &&
	    !p->has_uses && !p->unlock)
		return api_fail(c, 422, "nothing to change: give secret, "
		    "subject, san, notAfter, uses or unlock");
	return 0;
}

/*
 * Opens a change's database transaction and finds the entry the path
 * names, locked: 0 with its uuid, or the answer's status (404 for none)
 * with the transaction rolled back.
 */
static int
dev_begin_find(struct api_call *c, char uuid[CMPD_UUID_LEN + 1])
{
	static const char sql[] = "SELECT uuid FROM cmp_device WHERE "
	    "cmp_profile_uuid = ? AND reference = ? FOR UPDATE";
	struct db_arg a[2] = { DB_ARG_STR(c->param[0]),
	    DB_ARG_STR(c->param[1]) };
	struct db_col col[1];
	int r;

	api_col_str(&col[0], uuid, CMPD_UUID_LEN + 1);
	if (db_begin() != DB_OK)
		return api_db_fail(c);
	if ((r = db_run(sql, a, 2, col, 1, NULL)) == DB_OK)
		return 0;
	db_rollback();
	if (r == DB_NOTFOUND)
		return api_fail(c, 404, "device %s not found", c->param[1]);
	return api_db_fail(c);
}

/*
 * PATCH /cmpProfiles/{uuid}/devices/{reference} {secret, subject, san,
 * notAfter, uses, unlock}: the members given change, the others stay.
 * uses is the new number of enrolments allowed in all; the uses left are
 * that minus those already spent, at least 0 (re-provisioning a used
 * single-use entry with uses 2 gives it one more). unlock: true clears
 * the lock and the count of wrong MACs.
 */
static int
dev_update(struct api_call *c)
{
	/* MariaDB assigns left to right: uses_left is computed from the
	 * old uses_max before uses_max changes. */
	static const char sql_upd[] = "UPDATE cmp_device SET "
	    "secret_enc = IF(?, ?, secret_enc), subject = IF(?, ?, subject), "
	    "san = IF(?, ?, san), not_after = IF(?, "
	    "STR_TO_DATE(?, '%Y-%m-%dT%H:%i:%sZ'), not_after), "
	    "uses_left = IF(?, GREATEST(0, ? - (uses_max - uses_left)), "
	    "uses_left), uses_max = IF(?, ?, uses_max), "
	    "failed_macs = IF(?, 0, failed_macs), locked = IF(?, 0, locked), "
	    "locked_until = IF(?, NULL, locked_until) WHERE uuid = ?";
	struct dev_patch p;
	char uuid[CMPD_UUID_LEN + 1], aad[SECRET_AAD_MAX];
	unsigned char *sealed = NULL;
	size_t slen = 0;
	json_object *d = NULL;

	if (dev_profile(c) != 0 || dev_patch_parse(c, &p) != 0)
		return c->status;
	if (dev_begin_find(c, uuid) != 0)
		return c->status;
	if (p.has_secret) {
		SECRET_AAD(aad, "cmp_device.secret_enc", uuid);
		if (secret_seal((const unsigned char *)p.in.secret,
		    strlen(p.in.secret), aad, &sealed, &slen) != 0)
			goto fail;
	}
	if ((d = dev_patch_audit(&p, c->param[1])) == NULL)
		goto fail;
	{
		struct db_arg a[16] = { DB_ARG_INT(p.has_secret),
		    DB_ARG_BLOB(sealed, slen), DB_ARG_INT(p.has_subject),
		    obj_arg_opt_str(p.in.subject), DB_ARG_INT(p.has_san),
		    obj_arg_opt_str(p.in.san), DB_ARG_INT(p.has_na),
		    obj_arg_opt_str(p.in.not_after), DB_ARG_INT(p.has_uses),
		    DB_ARG_INT(p.in.uses), DB_ARG_INT(p.has_uses),
		    DB_ARG_INT(p.in.uses), DB_ARG_INT(p.unlock),
		    DB_ARG_INT(p.unlock), DB_ARG_INT(p.unlock),
		    DB_ARG_STR(uuid) };

		if (!p.has_secret)
			a[1] = (struct db_arg)DB_ARG_NULL;
		if (db_run(sql_upd, a, NITEMS(a), NULL, 0, NULL) != DB_OK ||
		    audit_write(c->actor, "updateDevice", "cmpDevice", uuid,
		    d) != 0 || db_commit() != DB_OK)
			goto fail;
	}
	OPENSSL_free(sealed);
	json_object_put(d);
	log_info("CMP Profile %s: device %s updated by %s%s", c->param[0],
	    c->param[1], api_actor(c), p.unlock ? " (unlocked)" : "");
	return dev_answer(c, 200);
 fail:
	db_rollback();
	OPENSSL_free(sealed);
	json_object_put(d);
	return api_db_fail(c);
}

/* DELETE /cmpProfiles/{uuid}/devices/{reference} */
static int
dev_delete(struct api_call *c)
{
	static const char sql_del[] = "DELETE FROM cmp_device WHERE uuid = ?";
	char uuid[CMPD_UUID_LEN + 1];
	json_object *d;

	if (dev_profile(c) != 0 || dev_begin_find(c, uuid) != 0)
		return c->status;
	d = json_object_new_object();
	if (d != NULL)
		json_object_object_add(d, "reference",
		    json_object_new_string(c->param[1]));
	{
		struct db_arg a[1] = { DB_ARG_STR(uuid) };

		if (d == NULL ||
		    db_run(sql_del, a, 1, NULL, 0, NULL) != DB_OK ||
		    audit_write(c->actor, "delete", "cmpDevice", uuid, d) !=
		    0 || db_commit() != DB_OK) {
			db_rollback();
			json_object_put(d);
			return api_db_fail(c);
		}
	}
	json_object_put(d);
	log_info("CMP Profile %s: device %s deleted by %s", c->param[0],
	    c->param[1], api_actor(c));
	return api_ok(c, 204, NULL);
}

/*
 * One CSV field at *p (RFC 4180: optionally in double quotes, "" for a
 * quote inside), NUL-terminated in place; *p moves past its separator.
 * Returns the separator that ended it (',' '\n' or '\0'), -1 if malformed.
 */
static int
dev_csv_field(char **p, char **out)
{
	char *s = *p, *w;
	int end;

	if (*s == '"') {
		w = *out = ++s;
		for (;;) {
			if (*s == '\0')
				return -1;
			if (*s == '"' && s[1] == '"') {
				*w++ = '"';
				s += 2;
				continue;
			}
			if (*s == '"')
				break;
			*w++ = *s++;
		}
		s++;
		if (*s == '\r')
			s++;
		if (*s != ',' && *s != '\n' && *s != '\0')
			return -1;
		*w = '\0';
	} else {
		*out = s;
		s += strcspn(s, ",\n");
		if (s > *out && s[-1] == '\r')
			s[-1] = '\0';
	}
	end = *s;
	if (*s != '\0')
		*s++ = '\0';
	*p = s;
	return end;
}

#define DEV_CSV_COLS	6
static const char *const dev_csv_cols[DEV_CSV_COLS] = { "reference",
	"secret", "subject", "san", "notAfter", "uses" };

/*
 * POST /cmpProfiles/{uuid}/devices/import {"csv": "..."}: the header
 * line names the columns (reference and secret required; subject, san,
 * notAfter, uses optional, in any order). One transaction: any bad row
 * refuses the whole file, with its line number.
 */
static int
dev_import(struct api_call *c)
{
	static const char *const known[] = { "csv" };
	const char *csv0, *why;
	char *csv = NULL, *p, *f[DEV_CSV_COLS], *fld, uuid[CMPD_UUID_LEN + 1];
	int col[DEV_CSV_COLS], ncol = 0, i, e, line = 1, rc;
	long n = 0;
	struct dev_in in;
	struct timespec t0;
	json_object *d = NULL, *o;
	size_t len;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (dev_profile(c) != 0 || obj_body_only(c, known, NITEMS(known)) != 0)
		return c->status;
	if (api_get_str(c, "csv", DEV_CSV_MAX, &csv0) != API_GOT)
		return c->status != 0 ? c->status :
		    api_fail(c, 400, "csv is required");
	len = strlen(csv0);
	if ((csv = malloc(len + 1)) == NULL)
		return api_fail(c, 500, "out of memory");
	memcpy(csv, csv0, len + 1);
	p = csv;
	/* the header line */
	do {
		if ((e = dev_csv_field(&p, &fld)) < 0 || ncol == DEV_CSV_COLS ||
		    (col[ncol] = util_name_index(dev_csv_cols, DEV_CSV_COLS,
		    fld, 0)) < 0) {
			rc = api_fail(c, 422, "line 1: the header names the "
			    "columns reference,secret[,subject][,san]"
			    "[,notAfter][,uses]");
			goto out;
		}
		for (i = 0; i < ncol; i++)
			if (col[i] == col[ncol]) {
				rc = api_fail(c, 422, "line 1: %s twice", fld);
				goto out;
			}
		ncol++;
	} while (e == ',');
	if (db_begin() != DB_OK) {
		rc = api_db_fail(c);
		goto out;
	}
	while (*p != '\0') {
		line++;
		if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;
			continue;
		}
		if (n == DEV_IMPORT_MAX) {
			db_rollback();
			rc = api_fail(c, 422, "more than %d devices",
			    DEV_IMPORT_MAX);
			goto out;
		}
		memset(f, 0, sizeof(f));
		for (i = 0; i < ncol; i++) {
			if ((e = dev_csv_field(&p, &fld)) < 0 ||
			    (e != ',' && i < ncol - 1) ||
			    (e == ',' && i == ncol - 1)) {
				db_rollback();
				rc = api_fail(c, 422, "line %d: not %d "
				    "fields", line, ncol);
				goto out;
			}
			f[col[i]] = fld;
		}
		memset(&in, 0, sizeof(in));
		in.ref = f[0];
		in.secret = f[1];
		in.subject = f[2];
		in.san = f[3];
		in.not_after = f[4];
		in.uses = 1;
		if (f[5] != NULL && *f[5] != '\0' &&
		    util_parse_long(f[5], 1, DEV_USES_MAX, &in.uses) != 0)
			in.uses = 0;
		if ((why = dev_check(&in)) != NULL) {
			db_rollback();
			rc = api_fail(c, 422, "line %d: %s", line, why);
			goto out;
		}
		if ((rc = dev_insert(c->param[0], &in, uuid)) == DB_DUP) {
			db_rollback();
			rc = api_fail(c, 409, "line %d: device %s already "
			    "exists", line, in.ref);
			goto out;
		}
		if (rc != DB_OK) {
			db_rollback();
			rc = api_db_fail(c);
			goto out;
		}
		n++;
	}
	/* one audit row for the file: the count, no secrets */
	if ((d = json_object_new_object()) == NULL) {
		db_rollback();
		rc = api_fail(c, 500, "out of memory");
		goto out;
	}
	json_object_object_add(d, "imported", json_object_new_int64(n));
	if (audit_write(c->actor, "import", "cmpDevice", c->param[0], d) != 0 ||
	    db_commit() != DB_OK) {
		db_rollback();
		rc = api_db_fail(c);
		goto out;
	}
	log_info("CMP Profile %s: %ld devices imported by %s in %.0f ms",
	    c->param[0], n, api_actor(c), util_elapsed_ms(&t0));
	if ((o = json_object_new_object()) == NULL) {
		rc = api_fail(c, 500, "out of memory");
		goto out;
	}
	json_object_object_add(o, "imported", json_object_new_int64(n));
	json_object_object_add(o, "durationMs",
	    json_object_new_double(util_elapsed_ms(&t0)));
	rc = api_ok(c, 201, o);
 out:
	json_object_put(d);
	if (csv != NULL)
		OPENSSL_clear_free(csv, len + 1);
	return rc;
}

const struct api_route api_device_routes[] = {
	{ "GET", "/cmpProfiles/{cmpProfileUuid}/devices", API_ROLE_READ,
	    dev_list },
	{ "POST", "/cmpProfiles/{cmpProfileUuid}/devices", API_ROLE_ADMIN,
	    dev_create },
	{ "POST", "/cmpProfiles/{cmpProfileUuid}/devices/import",
	    API_ROLE_ADMIN, dev_import },
	{ "GET", "/cmpProfiles/{cmpProfileUuid}/devices/{reference}",
	    API_ROLE_READ, dev_get },
	{ "PATCH", "/cmpProfiles/{cmpProfileUuid}/devices/{reference}",
	    API_ROLE_ADMIN, dev_update },
	{ "DELETE", "/cmpProfiles/{cmpProfileUuid}/devices/{reference}",
	    API_ROLE_ADMIN, dev_delete },
};
const size_t api_device_nroutes = NITEMS(api_device_routes);
