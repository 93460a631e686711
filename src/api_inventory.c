/*
 * The management API's inventory: the certificates cmpd issued and the
 * CMP transactions that asked for them. Rows are written by the CMP path
 * (store_tx.c, store.c); the one change made here is an operator's
 * revocation, which hands the certificate to the sweep (cmp_sweep.c) as
 * revoke_pending.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "api.h"
#include "store.h"

#define INV_TS(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"
#define INV_TS_BUF	40
#define INV_DN_BUF	(4 * 2048 + 1)	/* issuer_dn, subject_dn */
#define INV_LIMIT_DEFAULT	100
#define INV_OFFSET_MAX	1000000000L
/* the cursor's created_at when after= is absent (never compared) */
#define INV_AT_NONE	"1970-01-01 00:00:00"
#define INV_AT_SQL(t)	"SELECT DATE_FORMAT(created_at, " \
	"'%Y-%m-%d %H:%i:%s.%f') FROM " t " WHERE "

static const char *const cert_states[] = {
	"pending", "issued", "rejected", "revoked", "revoke_pending",
};

static const char *const tx_states[] = {
	"open", "waiting", "confirm_wait", "confirmed", "rejected", "failed",
	"expired", "issuing", "unknown_at_ca",
};

/* limit= and offset=: 0, or the status of the 400 answer set. */
static int
inv_paging(struct api_call *c, long *limit, long *offset)
{
	char num[24];
	int r;

	*limit = INV_LIMIT_DEFAULT;
	*offset = 0;
	if ((r = api_query(c, "limit", num, sizeof(num))) < 0 ||
	    (r > 0 && util_parse_long(num, 1, API_LIST_MAX, limit) != 0))
		return api_fail(c, 400, "limit must be 1 to %d", API_LIST_MAX);
	if ((r = api_query(c, "offset", num, sizeof(num))) < 0 ||
	    (r > 0 && util_parse_long(num, 0, INV_OFFSET_MAX, offset) != 0))
		return api_fail(c, 400, "offset must be 0 to %ld",
		    INV_OFFSET_MAX);
	return 0;
}

/* An enumerated query parameter ("" when absent). */
static int
inv_query_enum(struct api_call *c, const char *key,
    const char *const *names, size_t n, char *buf, size_t len)
{
	int r;

	buf[0] = '\0';
	if ((r = api_query(c, key, buf, len)) == 0)
		return 0;
	if (r < 0 || (buf[0] != '\0' && util_name_index(names, n, buf, 0) < 0))
		return api_fail(c, 400, "%s is not a known value", key);
	return 0;
}

/* -------------------------------------------------------- certificates */

#define CERT_COLS \
	"SELECT uuid, serial_number, subject_dn, issuer_dn, " \
	INV_TS("not_before") ", " INV_TS("not_after") ", " \
	"LOWER(HEX(fingerprint)), status, revocation_reason, " \
	"ra_profile_uuid, cmp_profile_uuid, " INV_TS("created_at") ", " \
	INV_TS("updated_at") ", revoke_attempts, " \
	"IF(status = 'revoke_pending', " INV_TS("revoke_after") ", NULL), " \
	"revoke_error "
#define CERT_NCOLS	16

/* Large: two DNs, and the DER for one certificate; allocated. */
struct cert_buf {
	char	 uuid[CMPD_UUID_LEN + 1], serial[80];
	char	 subject[INV_DN_BUF], issuer[INV_DN_BUF];
	char	 nb[INV_TS_BUF], na[INV_TS_BUF], fp[65], status[16];
	char	 reason[33], ra[CMPD_UUID_LEN + 1], cmp[CMPD_UUID_LEN + 1];
	char	 created[INV_TS_BUF], updated[INV_TS_BUF];
	char	 next_revoke[INV_TS_BUF], revoke_error[4 * 512 + 1];
	unsigned char der[STORE_CERT_MAX];
	struct db_col col[CERT_NCOLS + 1];
};

static struct cert_buf *
cert_buf_new(void)
{
	struct cert_buf *b;

	if ((b = malloc(sizeof(*b))) == NULL)
		return NULL;
	api_col_str(&b->col[0], b->uuid, sizeof(b->uuid));
	api_col_str(&b->col[1], b->serial, sizeof(b->serial));
	api_col_str(&b->col[2], b->subject, sizeof(b->subject));
	api_col_str(&b->col[3], b->issuer, sizeof(b->issuer));
	api_col_str(&b->col[4], b->nb, sizeof(b->nb));
	api_col_str(&b->col[5], b->na, sizeof(b->na));
	api_col_str(&b->col[6], b->fp, sizeof(b->fp));
	api_col_str(&b->col[7], b->status, sizeof(b->status));
	api_col_str(&b->col[8], b->reason, sizeof(b->reason));
	api_col_str(&b->col[9], b->ra, sizeof(b->ra));
	api_col_str(&b->col[10], b->cmp, sizeof(b->cmp));
	api_col_str(&b->col[11], b->created, sizeof(b->created));
	api_col_str(&b->col[12], b->updated, sizeof(b->updated));
	api_col_int(&b->col[13]);
	api_col_str(&b->col[14], b->next_revoke, sizeof(b->next_revoke));
	api_col_str(&b->col[15], b->revoke_error, sizeof(b->revoke_error));
	memset(&b->col[16], 0, sizeof(b->col[16]));
	b->col[16].type = DB_BLOB;
	b->col[16].buf = b->der;
	b->col[16].n = sizeof(b->der);
	return b;
}

static json_object *
cert_json(struct db_col *col)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(col[0].buf));
	json_object_object_add(o, "serialNumber",
	    json_object_new_string(col[1].buf));
	json_object_object_add(o, "subject",
	    json_object_new_string(col[2].buf));
	json_object_object_add(o, "issuer",
	    json_object_new_string(col[3].buf));
	json_object_object_add(o, "notBefore",
	    json_object_new_string(col[4].buf));
	json_object_object_add(o, "notAfter",
	    json_object_new_string(col[5].buf));
	json_object_object_add(o, "fingerprint",
	    json_object_new_string(col[6].buf));
	json_object_object_add(o, "status",
	    json_object_new_string(col[7].buf));
	json_object_object_add(o, "revocationReason", api_json_str(col[8].buf));
	json_object_object_add(o, "raProfileUuid", api_json_str(col[9].buf));
	json_object_object_add(o, "cmpProfileUuid", api_json_str(col[10].buf));
	json_object_object_add(o, "createdAt",
	    json_object_new_string(col[11].buf));
	json_object_object_add(o, "updatedAt",
	    json_object_new_string(col[12].buf));
	/* revocations cmpd owes the CA: attempts, next one, last error */
	json_object_object_add(o, "revokeAttempts",
	    json_object_new_int64(col[13].i));
	json_object_object_add(o, "nextRevokeAttempt",
	    api_json_str(col[14].null ? "" : col[14].buf));
	json_object_object_add(o, "lastRevokeError",
	    api_json_str(col[15].null ? "" : col[15].buf));
	return o;
}

/*
 * subject as a LIKE pattern for the DNs that start with it: '%', '_' and
 * the escape character '!' stand for themselves. out holds 2 * n + 2.
 */
static void
inv_prefix_pattern(const char *subject, char *out)
{
	size_t o = 0;

	for (; *subject != '\0'; subject++) {
		if (*subject == '%' || *subject == '_' || *subject == '!')
			out[o++] = '!';
		out[o++] = *subject;
	}
	out[o++] = '%';
	out[o] = '\0';
}

/*
 * GET /certificates?cmpProfileUuid=&raProfileUuid=&status=&serialNumber=
 * &subject=&limit=&offset=&after=. serialNumber is hex (any case);
 * subject is the start of the subject DN (RFC 2253 text, case-sensitive):
 * a prefix search the certificate_subject index serves (schema 0008).
 * after= (a certificate's uuid) goes on after that certificate in the
 * list's order: a range of the index the list is read through.
 */
static int
cert_list(struct api_call *c)
{
	static const char sql[] = CERT_COLS "FROM certificate "
	    "WHERE (? = '' OR cmp_profile_uuid = ?) "
	    "AND (? = '' OR ra_profile_uuid = ?) "
	    "AND (? = '' OR status = ?) "
	    "AND (? = '' OR serial_number = ?) "
	    "AND (? = '' OR subject_dn LIKE ? ESCAPE '!') "
	    "AND (? = '' OR (created_at <= ? AND "
	    "(created_at < ? OR uuid > ?))) "
	    "ORDER BY created_at DESC, uuid LIMIT ? OFFSET ?";
	static const char sql_at[] = INV_AT_SQL("certificate") "uuid = ?";
	char cmp[CMPD_UUID_LEN + 1], ra[CMPD_UUID_LEN + 1], status[16];
	char serial[80], subject[2049], pattern[2 * sizeof(subject) + 2];
	char after[CMPD_UUID_LEN + 1], at[INV_TS_BUF] = INV_AT_NONE;
	struct cert_buf *b;
	long limit, offset;
	size_t i;
	int r;

	if (inv_paging(c, &limit, &offset) != 0 ||
	    api_query_uuid(c, "cmpProfileUuid", cmp) != 0 ||
	    api_query_uuid(c, "raProfileUuid", ra) != 0 ||
	    inv_query_enum(c, "status", cert_states, NITEMS(cert_states),
	    status, sizeof(status)) != 0 ||
	    api_query_uuid(c, "after", after) != 0)
		return c->status;
	if (after[0] != '\0') {
		struct db_arg a[1] = { DB_ARG_STR(after) };

		if (api_after(c, offset, "certificate", sql_at, a, 1, at, sizeof(at)) != 0)
			return c->status;
	}
	if ((r = api_query(c, "serialNumber", serial, sizeof(serial))) < 0)
		return api_fail(c, 400, "serialNumber is too long");
	if (r == 0)
		serial[0] = '\0';
	/* store.c keeps BN_bn2hex()'s upper case. */
	for (i = 0; serial[i] != '\0'; i++) {
		if (!isxdigit((unsigned char)serial[i]))
			return api_fail(c, 400, "serialNumber must be hex");
		serial[i] = (char)toupper((unsigned char)serial[i]);
	}
	if ((r = api_query(c, "subject", subject, sizeof(subject))) < 0)
		return api_fail(c, 400, "subject is too long");
	if (r == 0)
		subject[0] = '\0';
	inv_prefix_pattern(subject, pattern);
	if ((b = cert_buf_new()) == NULL)
		return api_fail(c, 500, "out of memory");
	{
		/* no subject: no LIKE '%' left for MariaDB to check on
		 * every row of the page */
		struct db_arg a[16] = { DB_ARG_STR(cmp), DB_ARG_STR(cmp),
		    DB_ARG_STR(ra), DB_ARG_STR(ra), DB_ARG_STR(status),
		    DB_ARG_STR(status), DB_ARG_STR(serial), DB_ARG_STR(serial),
		    DB_ARG_STR(subject), DB_ARG_STR(pattern),
		    DB_ARG_STR(after), DB_ARG_STR(at), DB_ARG_STR(at),
		    DB_ARG_STR(after), DB_ARG_INT(limit), DB_ARG_INT(offset) };

		api_list(c, sql, a, NITEMS(a), b->col, CERT_NCOLS,
		    (size_t)limit, cert_json);
	}
	free(b);
	return c->status;
}

/* GET /certificates/{certificateUuid}: + certificateData, base64 DER */
static int
cert_get(struct api_call *c)
{
	static const char sql[] = CERT_COLS ", der FROM certificate "
	    "WHERE uuid = ?";
	char uuid[CMPD_UUID_LEN + 1], *b64 = NULL;
	struct cert_buf *b = NULL;
	json_object *o;
	size_t i;
	int r;

	if (!api_uuid_valid(c->param[0]))
		return api_fail(c, 400, "certificateUuid is not a UUID");
	for (i = 0; i <= CMPD_UUID_LEN; i++)
		uuid[i] = (char)tolower((unsigned char)c->param[0][i]);
	if ((b = cert_buf_new()) == NULL)
		return api_fail(c, 500, "out of memory");
	{
		struct db_arg a[1] = { DB_ARG_STR(uuid) };

		r = db_run(sql, a, 1, b->col, CERT_NCOLS + 1, NULL);
	}
	if (r == DB_NOTFOUND) {
		api_fail(c, 404, "certificate %s not found", uuid);
		goto out;
	}
	if (r != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	/* 4 characters per 3 bytes, and the NUL. */
	if ((b64 = malloc(4 * ((b->col[CERT_NCOLS].len + 2) / 3) + 1)) == NULL ||
	    (o = cert_json(b->col)) == NULL) {
		api_fail(c, 500, "out of memory");
		goto out;
	}
	EVP_EncodeBlock((unsigned char *)b64, b->der,
	    (int)b->col[CERT_NCOLS].len);
	json_object_object_add(o, "certificateData",
	    json_object_new_string(b64));
	api_ok(c, 200, o);
 out:
	free(b64);
	free(b);
	return c->status;
}

/* CRLReason names (RFC 5280 5.3.1) an operator may revoke with; not
 * removeFromCRL, which revokes nothing (a client's rr releases a hold). */
static const char *const cert_revoke_reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold",
	"privilegeWithdrawn", "aACompromise",
};

/*
 * POST /certificates/{certificateUuid}/revoke {"reason"} -> 202: the
 * certificate becomes revoke_pending, due now, and the next sweep of any
 * worker revokes it at its CA (within seconds; retried with back-off as
 * every revocation, lastRevokeError shows why not). The CA is not called
 * here: this runs inside the change's database transaction, which must
 * never be held across a connector call (DESIGN, invariant 1).
 * An issued certificate, or one revoked on hold (certificateHold, which
 * may be revoked again for good), may be revoked; a held one not on hold
 * again (409, nothing changed).
 */
static int
cert_revoke(struct api_call *c)
{
	static const char sql_state[] = "SELECT status, "
	    "COALESCE(revocation_reason, ''), ra_profile_uuid IS NULL "
	    "FROM certificate WHERE uuid = ? FOR UPDATE";
	static const char sql_set[] = "UPDATE certificate SET "
	    "status = 'revoke_pending', revoke_final = 'revoked', "
	    "revocation_reason = ?, revoke_after = NOW(6), "
	    "revoke_attempts = 0, revoke_error = NULL WHERE uuid = ?";
	static const char *const known[] = { "reason" };
	char uuid[CMPD_UUID_LEN + 1], status[16], old[33];
	const char *reason = NULL;
	json_object *d;
	size_t i;
	int r, no_ra = 0;

	if (!api_uuid_valid(c->param[0]))
		return api_fail(c, 400, "certificateUuid is not a UUID");
	for (i = 0; i <= CMPD_UUID_LEN; i++)
		uuid[i] = (char)tolower((unsigned char)c->param[0][i]);
	if (obj_body_only(c, known, NITEMS(known)) != 0 ||
	    api_get_str(c, "reason", 32, &reason) == API_BAD)
		return c->status;
	if (reason == NULL || util_name_index(cert_revoke_reasons,
	    NITEMS(cert_revoke_reasons), reason, 0) < 0)
		return api_fail(c, 422, "reason must be one of unspecified, "
		    "keyCompromise, cACompromise, affiliationChanged, "
		    "superseded, cessationOfOperation, certificateHold, "
		    "privilegeWithdrawn, aACompromise");
	{
		struct db_arg a[1] = { DB_ARG_STR(uuid) };
		struct db_col col[3];

		api_col_str(&col[0], status, sizeof(status));
		api_col_str(&col[1], old, sizeof(old));
		api_col_int(&col[2]);
		r = db_run(sql_state, a, 1, col, 3, NULL);
		no_ra = col[2].i != 0;
	}
	if (r == DB_NOTFOUND)
		return api_fail(c, 404, "certificate %s not found", uuid);
	if (r != DB_OK)
		return api_db_fail(c);
	/* a hold on a held certificate would ask the CA for nothing */
	if (strcmp(status, "revoked") == 0 &&
	    strcmp(old, "certificateHold") == 0 &&
	    strcmp(reason, "certificateHold") == 0)
		return api_fail(c, 409, "the certificate is already on hold");
	if (strcmp(status, "issued") != 0 && !(strcmp(status, "revoked") ==
	    0 && strcmp(old, "certificateHold") == 0))
		return api_fail(c, 409, "the certificate is %s%s%s: only an "
		    "issued certificate, or one on hold, can be revoked", status,
		    old[0] != '\0' ? ", " : "", old);
	/* the sweep revokes through the RA Profile's connector */
	if (no_ra)
		return api_fail(c, 409, "the certificate has no RA Profile to "
		    "revoke it through");
	{
		struct db_arg a[2] = { DB_ARG_STR(reason), DB_ARG_STR(uuid) };

		if (db_run(sql_set, a, 2, NULL, 0, NULL) != DB_OK)
			return api_db_fail(c);
	}
	if ((d = json_object_new_object()) != NULL)
		json_object_object_add(d, "reason",
		    json_object_new_string(reason));
	r = audit_write(c->actor, "revoke", "certificate", uuid, d);
	json_object_put(d);
	if (r != 0)
		return api_db_fail(c);
	return cert_get(c) == 200 ? (c->status = 202) : c->status;
}

/* ----------------------------------------------------- transactions */

#define TX_COLS \
	"SELECT LOWER(HEX(transaction_id)), cmp_profile_uuid, " \
	"ra_profile_uuid, request_type, cert_req_id, certificate_uuid, " \
	"state, implicit_confirm, " INV_TS("deadline") ", " \
	INV_TS("created_at") ", " INV_TS("updated_at") ", position, " \
	"failure FROM cmp_transaction "
#define TX_NCOLS	13

struct tx_buf {
	char	 tid[2 * CMPD_ID_MAX_LEN + 1], cmp[CMPD_UUID_LEN + 1];
	char	 ra[CMPD_UUID_LEN + 1], cert[CMPD_UUID_LEN + 1], state[16];
	char	 deadline[INV_TS_BUF], created[INV_TS_BUF];
	char	 updated[INV_TS_BUF], failure[4 * 512 + 1];
	struct db_col col[TX_NCOLS];
};

static void
tx_cols(struct tx_buf *b)
{
	api_col_str(&b->col[0], b->tid, sizeof(b->tid));
	api_col_str(&b->col[1], b->cmp, sizeof(b->cmp));
	api_col_str(&b->col[2], b->ra, sizeof(b->ra));
	api_col_int(&b->col[3]);
	api_col_int(&b->col[4]);
	api_col_str(&b->col[5], b->cert, sizeof(b->cert));
	api_col_str(&b->col[6], b->state, sizeof(b->state));
	api_col_int(&b->col[7]);
	api_col_str(&b->col[8], b->deadline, sizeof(b->deadline));
	api_col_str(&b->col[9], b->created, sizeof(b->created));
	api_col_str(&b->col[10], b->updated, sizeof(b->updated));
	api_col_int(&b->col[11]);
	api_col_str(&b->col[12], b->failure, sizeof(b->failure));
}

static json_object *
tx_json(struct db_col *col)
{
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "transactionId",
	    json_object_new_string(col[0].buf));
	/* one entry per certificate asked for in the transaction */
	json_object_object_add(o, "position",
	    json_object_new_int((int)col[11].i));
	json_object_object_add(o, "cmpProfileUuid", api_json_str(col[1].buf));
	json_object_object_add(o, "raProfileUuid", api_json_str(col[2].buf));
	json_object_object_add(o, "requestType",
	    json_object_new_string(cmp_asn1_body_name((int)col[3].i)));
	json_object_object_add(o, "certReqId", col[4].null ? NULL :
	    json_object_new_int64(col[4].i));
	json_object_object_add(o, "certificateUuid", api_json_str(col[5].buf));
	json_object_object_add(o, "state", json_object_new_string(col[6].buf));
	json_object_object_add(o, "implicitConfirm",
	    json_object_new_boolean(col[7].i != 0));
	json_object_object_add(o, "deadline", api_json_str(col[8].buf));
	json_object_object_add(o, "createdAt",
	    json_object_new_string(col[9].buf));
	json_object_object_add(o, "updatedAt",
	    json_object_new_string(col[10].buf));
	/* why it failed, as its client was told (null unless failed) */
	json_object_object_add(o, "failure",
	    api_json_str(col[12].null ? "" : col[12].buf));
	return o;
}

static int
inv_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * A transactionId in hex (what) into tid, *len bytes: 0, or the status
 * of the 400 answer set.
 */
static int
inv_tid(struct api_call *c, const char *what, const char *h,
    unsigned char tid[CMPD_ID_MAX_LEN], size_t *len)
{
	size_t i, n = strlen(h);
	int hi, lo;

	/* RFC 9810 5.1.1: any length; cmpd stores at most 64 bytes. */
	if (n == 0 || n % 2 != 0 || n > 2 * CMPD_ID_MAX_LEN)
		return api_fail(c, 400, "%s must be 1 to %d bytes in hex",
		    what, CMPD_ID_MAX_LEN);
	for (i = 0; i < n / 2; i++) {
		if ((hi = inv_hexval(h[2 * i])) < 0 ||
		    (lo = inv_hexval(h[2 * i + 1])) < 0)
			return api_fail(c, 400, "%s must be hex", what);
		tid[i] = (unsigned char)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/*
 * GET /cmpTransactions?state=&cmpProfileUuid=&limit=&offset=&after=
 * &afterPosition=, newest first: the table's key (created_at,
 * transaction_id, position) read backwards, or a profile's part of
 * cmp_transaction_cmp_profile_created (schema 0026); the key makes the
 * order unique. after= (a transactionId in hex) with afterPosition= (its
 * entry's position, default 0, the last of its entries in this order)
 * goes on after that entry: a range of the same key.
 */
static int
tx_list(struct api_call *c)
{
	static const char sql[] = TX_COLS
	    "WHERE (? = '' OR state = ?) AND (? = '' OR cmp_profile_uuid = ?) "
	    "AND (? = '' OR (created_at <= ? AND (created_at < ? OR "
	    "transaction_id < ? OR (transaction_id = ? AND position < ?)))) "
	    "ORDER BY created_at DESC, transaction_id DESC, position DESC "
	    "LIMIT ? OFFSET ?";
	static const char sql_at[] = INV_AT_SQL("cmp_transaction")
	    "transaction_id = ? AND position = ?";
	char state[16], cmp[CMPD_UUID_LEN + 1], after[2 * CMPD_ID_MAX_LEN + 2];
	char at[INV_TS_BUF] = INV_AT_NONE, num[24];
	unsigned char tid[CMPD_ID_MAX_LEN];
	size_t tlen = 0;
	struct tx_buf b;
	long limit, offset, pos = 0;
	int r;

	if (inv_paging(c, &limit, &offset) != 0 ||
	    inv_query_enum(c, "state", tx_states, NITEMS(tx_states), state,
	    sizeof(state)) != 0 ||
	    api_query_uuid(c, "cmpProfileUuid", cmp) != 0)
		return c->status;
	if ((r = api_query(c, "after", after, sizeof(after))) < 0)
		return api_fail(c, 400, "after must be 1 to %d bytes in hex",
		    CMPD_ID_MAX_LEN);
	if (r == 0)
		after[0] = '\0';
	if ((r = api_query(c, "afterPosition", num, sizeof(num))) < 0 ||
	    (r > 0 && (after[0] == '\0' ||
	    util_parse_long(num, 0, CMPD_CERT_REQ_MAX, &pos) != 0)))
		return api_fail(c, 400, "afterPosition must be 0 to %d, with "
		    "after", CMPD_CERT_REQ_MAX);
	if (after[0] != '\0') {
		if (inv_tid(c, "after", after, tid, &tlen) != 0)
			return c->status;
		{
			struct db_arg a[2] = { DB_ARG_BLOB(tid, tlen),
			    DB_ARG_INT(pos) };

			if (api_after(c, offset, "CMP transaction entry",
			    sql_at, a, 2, at, sizeof(at)) != 0)
				return c->status;
		}
	}
	tx_cols(&b);
	{
		struct db_arg a[12] = { DB_ARG_STR(state), DB_ARG_STR(state),
		    DB_ARG_STR(cmp), DB_ARG_STR(cmp), DB_ARG_STR(after),
		    DB_ARG_STR(at), DB_ARG_STR(at), DB_ARG_BLOB(tid, tlen),
		    DB_ARG_BLOB(tid, tlen), DB_ARG_INT(pos), DB_ARG_INT(limit),
		    DB_ARG_INT(offset) };

		return api_list(c, sql, a, 12, b.col, TX_NCOLS,
		    (size_t)limit, tx_json);
	}
}

/* GET /cmpTransactions/{transactionId}, the ID in hex */
static int
tx_get(struct api_call *c)
{
	static const char sql[] = TX_COLS "WHERE transaction_id = ? "
	    "ORDER BY position LIMIT 1";
	const char *h = c->param[0];
	unsigned char tid[CMPD_ID_MAX_LEN];
	size_t len;
	struct tx_buf b;
	int r;

	if (inv_tid(c, "transactionId", h, tid, &len) != 0)
		return c->status;
	tx_cols(&b);
	{
		struct db_arg a[1] = { DB_ARG_BLOB(tid, len) };

		r = db_run(sql, a, 1, b.col, TX_NCOLS, NULL);
	}
	if (r == DB_NOTFOUND)
		return api_fail(c, 404, "CMP transaction %s not found", h);
	if (r != DB_OK)
		return api_db_fail(c);
	return api_ok(c, 200, tx_json(b.col));
}

const struct api_route api_inventory_routes[] = {
	{ "GET", "/certificates", API_ROLE_READ, cert_list },
	{ "GET", "/certificates/{certificateUuid}", API_ROLE_READ, cert_get },
	{ "POST", "/certificates/{certificateUuid}/revoke", API_ROLE_ADMIN,
	    cert_revoke },
	{ "GET", "/cmpTransactions", API_ROLE_READ, tx_list },
	{ "GET", "/cmpTransactions/{transactionId}", API_ROLE_READ, tx_get },
};
const size_t api_inventory_nroutes = NITEMS(api_inventory_routes);
