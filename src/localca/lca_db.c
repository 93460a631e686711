/*
 * MariaDB: the table of what cmp-localca issued and revoked. One
 * connection, opened on first use and again after the server went away,
 * to the first of the configured endpoints that answers (db_hosts: the
 * nodes of a Galera cluster; a lost one is left for the next); the table
 * is created when a connection opens. Prepared statements only
 * (CONVENTIONS 6); times are UTC, bound from C.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>

#include "localca.h"

#define LCA_DB_CONNECT_TIMEOUT	5	/* seconds */
#define LCA_DB_IO_TIMEOUT	30	/* seconds for one answer */

enum lca_stmt_id {
	ST_CREATE,
	ST_INSERT,
	ST_BY_REQUEST,
	ST_VOID,
	ST_LOOKUP,
	ST_REVOKE,
	ST_RELEASE,
	ST_REVOKED,
	ST_CRL_NEXT,
	ST_CRL_NUMBER,
	ST__COUNT
};

static const char *const stmt_sql[ST__COUNT] = {
	[ST_CREATE] = "CREATE TABLE IF NOT EXISTS localca_certificate ("
	    "uuid CHAR(36) NOT NULL PRIMARY KEY, "
	    "serial_hex VARCHAR(64) NOT NULL, "
	    "subject VARCHAR(2048) NOT NULL, "
	    "not_before DATETIME NOT NULL, "
	    "not_after DATETIME NOT NULL, "
	    "der MEDIUMBLOB NOT NULL, "
	    "status ENUM('issued','revoked','void') NOT NULL "
	    "DEFAULT 'issued', "
	    "revocation_reason VARCHAR(32) NULL, "
	    "revoked_at DATETIME NULL, "
	    "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, "
	    "UNIQUE KEY localca_certificate_serial (serial_hex), "
	    "KEY localca_certificate_status (status)"
	    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
	[ST_INSERT] = "INSERT INTO localca_certificate (uuid, serial_hex, "
	    "subject, not_before, not_after, der, status, created_at, "
	    "request_id, request_sha256) "
	    "VALUES (?, ?, ?, ?, ?, ?, 'issued', ?, NULLIF(?, ''), ?)",
	[ST_BY_REQUEST] = "SELECT uuid, der, request_sha256, created_at, "
	    "status = 'void' FROM localca_certificate WHERE request_id = ?",
	/* a request id nothing was issued for, made so for good: no
	 * certificate, no serial (its serial_hex is not hex) */
	[ST_VOID] = "INSERT INTO localca_certificate (uuid, serial_hex, "
	    "subject, not_before, not_after, der, status, created_at, "
	    "request_id) VALUES (?, CONCAT('void-', ?), '', ?, ?, '', "
	    "'void', ?, ?)",
	[ST_LOOKUP] = "SELECT IF(status = 'revoked' AND revocation_reason = "
	    "'certificateHold', 'held', status), der FROM localca_certificate "
	    "WHERE serial_hex = ?",
	/* a certificate on hold may still be revoked for good (RFC 5280
	 * 5.3.1: certificateHold is the one reversible reason); it keeps
	 * the date of its hold, since when the CA has not vouched for it
	 * (assignments run left to right: status is changed last) */
	[ST_REVOKE] = "UPDATE localca_certificate SET "
	    "revocation_reason = ?, "
	    "revoked_at = IF(status = 'revoked', revoked_at, ?), "
	    "status = 'revoked' "
	    "WHERE serial_hex = ? AND (status = 'issued' OR "
	    "revocation_reason = 'certificateHold')",
	[ST_RELEASE] = "UPDATE localca_certificate SET status = 'issued', "
	    "revocation_reason = NULL, revoked_at = NULL "
	    "WHERE serial_hex = ? AND status = 'revoked' AND "
	    "revocation_reason = 'certificateHold'",
	[ST_REVOKED] = "SELECT serial_hex, revoked_at, revocation_reason, der "
	    "FROM localca_certificate WHERE status = 'revoked' AND "
	    "not_after >= ?",
	/* the next CRL number: above the last one given, and not below the
	 * floor bound (the time in microseconds, as numbers were before
	 * the table kept them); the row stays locked until the CRL's rows
	 * are read */
	[ST_CRL_NEXT] = "UPDATE localca_crl_number SET "
	    "last_number = GREATEST(last_number + 1, ?) WHERE id = 1",
	[ST_CRL_NUMBER] = "SELECT last_number FROM localca_crl_number "
	    "WHERE id = 1",
};

/*
 * The table's changes since its first version, in order. Each one may
 * run again (IF NOT EXISTS): every connection applies them all after
 * ST_CREATE, so that an older table is brought up to date.
 *   1. request_id: the client's id of an issue or renew request (the
 *      connector API's optional "requestId"), unique: a repeated request
 *      gets the certificate issued for it, and /certificates/lookup finds
 *      it; request_sha256 tells a repetition from another request that
 *      reuses the id.
 *   2. localca_crl_number: the last CRL number given, one row. A CRL's
 *      number and the revocations it lists are taken under that row's
 *      lock, so that of two CRLs the higher number lists every
 *      revocation the other does, whichever process (or node) made them
 *      and whatever its clock says (RFC 5280 5.2.3).
 *   3. status 'void': a request id that /certificates/lookup found
 *      nothing for (lca_db_void). The column is changed only when it
 *      lacks the value: an ALTER on every connection would wait for
 *      every open transaction on the table.
 */
static const char *const upgrade_sql[] = {
	"ALTER TABLE localca_certificate ADD COLUMN IF NOT EXISTS "
	    "request_id VARCHAR(64) NULL",
	"ALTER TABLE localca_certificate ADD COLUMN IF NOT EXISTS "
	    "request_sha256 BINARY(32) NULL",
	"CREATE UNIQUE INDEX IF NOT EXISTS localca_certificate_request_id "
	    "ON localca_certificate (request_id)",
	"CREATE TABLE IF NOT EXISTS localca_crl_number ("
	    "id TINYINT UNSIGNED NOT NULL PRIMARY KEY, "
	    "last_number BIGINT UNSIGNED NOT NULL"
	    ") ENGINE=InnoDB",
	"INSERT IGNORE INTO localca_crl_number (id, last_number) VALUES (1, 0)",
	"BEGIN NOT ATOMIC "
	    "IF (SELECT COLUMN_TYPE FROM information_schema.COLUMNS "
	    "WHERE TABLE_SCHEMA = DATABASE() AND "
	    "TABLE_NAME = 'localca_certificate' AND COLUMN_NAME = 'status') "
	    "NOT LIKE '%''void''%' THEN "
	    "ALTER TABLE localca_certificate MODIFY status "
	    "ENUM('issued','revoked','void') NOT NULL DEFAULT 'issued'; "
	    "END IF; END",
};

static const struct lca_conf *db_conf;
static struct db_login db_login;
static size_t db_cur;		/* the endpoint in use, or to try first */
static MYSQL *db;
static MYSQL_STMT *stmts[ST__COUNT];
static int db_in_tx;	/* inside lca_db_revoked's transaction */

void
lca_db_configure(const struct lca_conf *c)
{
	db_conf = c;
	memset(&db_login, 0, sizeof(db_login));
	db_login.ep = c->db_ep;
	db_login.n = c->db_nep;
	db_login.socket = c->db_socket;
	db_login.user = c->db_user;
	db_login.password_file = c->db_password_file;
	db_login.name = c->db_name;
	db_login.connect_timeout = LCA_DB_CONNECT_TIMEOUT;
	db_cur = 0;
}

void
lca_db_close(void)
{
	size_t i;

	for (i = 0; i < ST__COUNT; i++) {
		if (stmts[i] != NULL)
			mysql_stmt_close(stmts[i]);
		stmts[i] = NULL;
	}
	if (db != NULL)
		mysql_close(db);
	db = NULL;
}

/* The connection went away: the next one starts at the next endpoint. */
static void
lca_db_lost(void)
{
	lca_db_close();
	if (db_login.n > 1)
		db_cur = (db_cur + 1) % db_login.n;
}

/* At exit: also what the client library keeps for itself. */
void
lca_db_done(void)
{
	lca_db_close();
	mysql_library_end();
}


static void
lca_db_time(time_t t, MYSQL_TIME *mt)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	memset(mt, 0, sizeof(*mt));
	mt->year = (unsigned int)tm.tm_year + 1900;
	mt->month = (unsigned int)tm.tm_mon + 1;
	mt->day = (unsigned int)tm.tm_mday;
	mt->hour = (unsigned int)tm.tm_hour;
	mt->minute = (unsigned int)tm.tm_min;
	mt->second = (unsigned int)tm.tm_sec;
	mt->time_type = MYSQL_TIMESTAMP_DATETIME;
}

static time_t
lca_db_time_of(const MYSQL_TIME *mt)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)mt->year - 1900;
	tm.tm_mon = (int)mt->month - 1;
	tm.tm_mday = (int)mt->day;
	tm.tm_hour = (int)mt->hour;
	tm.tm_min = (int)mt->minute;
	tm.tm_sec = (int)mt->second;
	return timegm(&tm);
}

/* Opens the connection and makes sure the table exists. */
static int
lca_db_connect(void)
{
	MYSQL_STMT *st = NULL;
	MYSQL *m = NULL;
	void *mv;
	size_t i;
	int failed, galera, r = -1;

	if (db_conf == NULL || db_open(&db_login, LCA_DB_IO_TIMEOUT, &db_cur,
	    &failed, NULL, &galera, &mv) != 0)
		goto out;
	m = mv;
	if ((st = mysql_stmt_init(m)) == NULL ||
	    mysql_stmt_prepare(st, stmt_sql[ST_CREATE],
	    strlen(stmt_sql[ST_CREATE])) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		log_error("cannot create table localca_certificate: %s",
		    st != NULL ? mysql_stmt_error(st) : mysql_error(m));
		goto out;
	}
	for (i = 0; i < sizeof(upgrade_sql) / sizeof(upgrade_sql[0]); i++) {
		if (mysql_stmt_prepare(st, upgrade_sql[i],
		    strlen(upgrade_sql[i])) != 0 ||
		    mysql_stmt_execute(st) != 0) {
			log_error("cannot upgrade table localca_certificate "
			    "(step %zu): %s", i + 1, mysql_stmt_error(st));
			goto out;
		}
	}
	db = m;
	m = NULL;
	r = 0;
 out:
	if (st != NULL)
		mysql_stmt_close(st);
	if (m != NULL)
		mysql_close(m);
	return r;
}

static MYSQL_STMT *
lca_db_stmt(enum lca_stmt_id id)
{
	MYSQL_STMT *st;

	if (db == NULL && lca_db_connect() != 0)
		return NULL;
	if (stmts[id] != NULL)
		return stmts[id];
	if ((st = mysql_stmt_init(db)) == NULL)
		return NULL;
	if (mysql_stmt_prepare(st, stmt_sql[id], strlen(stmt_sql[id])) != 0) {
		log_error("prepare: %s", mysql_stmt_error(st));
		if (db_is_lost(mysql_stmt_errno(st)))
			lca_db_lost();
		mysql_stmt_close(st);
		return NULL;
	}
	stmts[id] = st;
	return st;
}

/*
 * Executes statement id with params bound. A connection found lost is
 * opened again (maybe to the next endpoint) and the statement run once
 * more, as is one a deadlock rolled back; *retried tells the caller
 * of the first, since a write may then have happened already. *sqlerr is the
 * error of the last attempt (0: none). NULL when it did not run. Inside
 * a database transaction nothing runs again: the transaction went with
 * the connection, or the deadlock rolled it back, and the caller fails.
 */
static MYSQL_STMT *
lca_db_exec(enum lca_stmt_id id, MYSQL_BIND *params, int *retried,
    unsigned int *sqlerr)
{
	MYSQL_STMT *st;
	unsigned int err;
	int attempt;

	*retried = 0;
	*sqlerr = 0;
	for (attempt = 0; attempt < 2; attempt++) {
		if ((st = lca_db_stmt(id)) == NULL) {
			if (attempt == 0 && db == NULL && !db_in_tx) {
				*retried = 1;	/* lost while preparing */
				continue;
			}
			return NULL;
		}
		if ((params == NULL ||
		    mysql_stmt_bind_param(st, params) == 0) &&
		    mysql_stmt_execute(st) == 0)
			return st;
		err = *sqlerr = mysql_stmt_errno(st);
		if (db_is_lost(err)) {
			log_warn("MariaDB connection lost: %s",
			    mysql_stmt_error(st));
			lca_db_lost();
			*retried = 1;	/* a write may have gone through */
			if (db_in_tx)	/* the transaction is gone with it */
				return NULL;
			continue;
		}
		if (err != ER_DUP_ENTRY)
			log_error("execute: %s", mysql_stmt_error(st));
		mysql_stmt_free_result(st);
		/* One statement (autocommit) that a deadlock or lock wait
		 * (on Galera: another node's commit) rolled back whole. */
		if (attempt == 0 && !db_in_tx &&
		    (db_retry_class(err) == DB_RETRY_DEADLOCK ||
		    db_retry_class(err) == DB_RETRY_LOCK_WAIT)) {
			db_backoff(1);
			continue;
		}
		return NULL;
	}
	return NULL;
}

static void
lca_bind_str(MYSQL_BIND *b, const char *s, unsigned long *len)
{
	*len = strlen(s);
	b->buffer_type = MYSQL_TYPE_STRING;
	b->buffer = (void *)s;
	b->buffer_length = *len;
	b->length = len;
}

static void
lca_bind_time(MYSQL_BIND *b, MYSQL_TIME *t)
{
	b->buffer_type = MYSQL_TYPE_DATETIME;
	b->buffer = t;
	b->buffer_length = sizeof(*t);
}

/*
 * After an INSERT run again met a duplicate: LCA_DB_OK when the row is
 * this certificate's own (the first attempt's write went through),
 * LCA_DB_DUP when the request id's row is another certificate's.
 * Without a request id the duplicate can only be its own: its uuid and
 * serial are new.
 */
static int
lca_db_own_row(const struct lca_cert_row *row)
{
	char uuid[LCA_UUID_LEN + 1];
	unsigned char *der = NULL, sha256[32];
	size_t len = 0;
	time_t created;
	int rc;

	if (row->request_id == NULL)
		return LCA_DB_OK;
	rc = lca_db_by_request(row->request_id, &created, uuid, &der, &len,
	    sha256);
	free(der);
	if (rc == LCA_DB_OK)
		return strcmp(uuid, row->uuid) == 0 ? LCA_DB_OK : LCA_DB_DUP;
	return rc == LCA_DB_VOID ? LCA_DB_DUP : LCA_DB_ERR;
}

int
lca_db_insert(const struct lca_cert_row *row)
{
	MYSQL_BIND pb[9];
	MYSQL_TIME nb, na, now;
	unsigned long lens[9];
	unsigned int err;
	MYSQL_STMT *st;
	int retried;

	memset(pb, 0, sizeof(pb));
	lca_db_time(row->not_before, &nb);
	lca_db_time(row->not_after, &na);
	lca_db_time(time(NULL), &now);
	lca_bind_str(&pb[0], row->uuid, &lens[0]);
	lca_bind_str(&pb[1], row->serial_hex, &lens[1]);
	lca_bind_str(&pb[2], row->subject, &lens[2]);
	lca_bind_time(&pb[3], &nb);
	lca_bind_time(&pb[4], &na);
	lens[5] = row->der_len;
	pb[5].buffer_type = MYSQL_TYPE_BLOB;
	pb[5].buffer = (void *)row->der;
	pb[5].buffer_length = row->der_len;
	pb[5].length = &lens[5];
	lca_bind_time(&pb[6], &now);
	lca_bind_str(&pb[7], row->request_id != NULL ? row->request_id : "",
	    &lens[7]);
	lens[8] = sizeof(row->request_sha256);
	pb[8].buffer_type = MYSQL_TYPE_BLOB;
	pb[8].buffer = (void *)row->request_sha256;
	pb[8].buffer_length = sizeof(row->request_sha256);
	pb[8].length = &lens[8];
	if ((st = lca_db_exec(ST_INSERT, pb, &retried, &err)) != NULL)
		return LCA_DB_OK;
	/* Run again on a new connection and met a row: this one's own
	 * write, the attempt before the loss gone through, or the row of
	 * the request id's first request (a repeated request, or another
	 * one under its id), which this certificate must not pass for. */
	if (retried && err == ER_DUP_ENTRY)
		return lca_db_own_row(row);
	/* Another process issued for the same request id first. */
	if (err == ER_DUP_ENTRY && row->request_id != NULL)
		return LCA_DB_DUP;
	if (err == ER_DUP_ENTRY)
		log_error("serial %s or uuid %s already in the table",
		    row->serial_hex, row->uuid);
	return LCA_DB_ERR;
}

/*
 * Makes request_id one that nothing is issued for, ever: a row that an
 * INSERT of a certificate for it still on its way (a connection that
 * went away with it, a partition that holds it) meets as a duplicate,
 * so that it fails, and that /certificates/lookup then finds. One
 * already there (the certificate's, or another lookup's void) or made
 * meanwhile: LCA_DB_DUP; the unique key waits for an INSERT of the
 * request id not yet committed and decides between the two.
 */
int
lca_db_void(const char *request_id)
{
	char uuid[LCA_UUID_LEN + 1];
	MYSQL_BIND pb[6];
	MYSQL_TIME now;
	unsigned long lens[6];
	unsigned int err;
	int retried;

	if (util_uuid7(uuid) != 0)
		return LCA_DB_ERR;
	memset(pb, 0, sizeof(pb));
	lca_db_time(time(NULL), &now);
	lca_bind_str(&pb[0], uuid, &lens[0]);
	lca_bind_str(&pb[1], uuid, &lens[1]);
	lca_bind_time(&pb[2], &now);
	lca_bind_time(&pb[3], &now);
	lca_bind_time(&pb[4], &now);
	lca_bind_str(&pb[5], request_id, &lens[5]);
	if (lca_db_exec(ST_VOID, pb, &retried, &err) != NULL)
		return LCA_DB_OK;
	/* Run again on a new connection: the first may have gone
	 * through; the caller reads the row either way. */
	return err == ER_DUP_ENTRY ? LCA_DB_DUP : LCA_DB_ERR;
}

/*
 * The state of the certificate with this serial whose DER is der; a row
 * with other DER is another certificate: LCA_DB_NOTFOUND.
 */
int
lca_db_lookup(const char *serial_hex, const unsigned char *der, size_t len,
    enum lca_cert_state *state)
{
	MYSQL_BIND pb[1], rb[2];
	unsigned long plen, slen = 0, dlen = 0;
	unsigned char *buf = NULL;
	my_bool snull = 0, dnull = 0, serr = 0, derr = 0;
	unsigned int err;
	char status[16];
	MYSQL_STMT *st;
	int rc, retried, r = LCA_DB_ERR;

	if ((buf = malloc(len + 1)) == NULL)
		return LCA_DB_ERR;
	memset(pb, 0, sizeof(pb));
	lca_bind_str(&pb[0], serial_hex, &plen);
	if ((st = lca_db_exec(ST_LOOKUP, pb, &retried, &err)) == NULL)
		goto out;
	memset(rb, 0, sizeof(rb));
	rb[0].buffer_type = MYSQL_TYPE_STRING;
	rb[0].buffer = status;
	rb[0].buffer_length = sizeof(status) - 1;
	rb[0].length = &slen;
	rb[0].is_null = &snull;
	rb[0].error = &serr;
	rb[1].buffer_type = MYSQL_TYPE_BLOB;
	rb[1].buffer = buf;
	rb[1].buffer_length = len + 1;
	rb[1].length = &dlen;
	rb[1].is_null = &dnull;
	rb[1].error = &derr;
	if (mysql_stmt_bind_result(st, rb) != 0) {
		log_error("bind: %s", mysql_stmt_error(st));
		goto reset;
	}
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA) {
		r = LCA_DB_NOTFOUND;
		goto reset;
	}
	/* Truncated: the stored DER is longer, so it is another one. */
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		log_error("fetch: %s", mysql_stmt_error(st));
		if (db_is_lost(mysql_stmt_errno(st))) {
			lca_db_lost();
			goto out;
		}
		goto reset;
	}
	if (snull || dnull || dlen != len || memcmp(buf, der, len) != 0) {
		r = LCA_DB_NOTFOUND;
		goto reset;
	}
	status[slen < sizeof(status) ? slen : sizeof(status) - 1] = '\0';
	*state = strcmp(status, "revoked") == 0 ? LCA_STATE_REVOKED :
	    strcmp(status, "held") == 0 ? LCA_STATE_HELD : LCA_STATE_ISSUED;
	r = LCA_DB_OK;
 reset:
	mysql_stmt_free_result(st);
 out:
	free(buf);
	return r;
}

/*
 * The certificate issued for request_id: its uuid, its DER (*der, to
 * free) and the SHA-256 of the request it was issued for. LCA_DB_VOID:
 * none, and none ever will be (lca_db_void).
 */
int
lca_db_by_request(const char *request_id, time_t *created,
    char uuid[LCA_UUID_LEN + 1],
    unsigned char **der, size_t *der_len, unsigned char sha256[32])
{
	MYSQL_BIND pb[1], rb[5], db_der;
	MYSQL_TIME at;
	my_bool atnull = 0, vnull = 0;
	int isvoid = 0;
	unsigned long plen, ulen = 0, dlen = 0, hlen = 0;
	my_bool unull = 0, dnull = 0, hnull = 0, uerr = 0, herr = 0;
	unsigned char *buf = NULL;
	unsigned int err;
	MYSQL_STMT *st;
	int rc, retried, r = LCA_DB_ERR;

	*der = NULL;
	*der_len = 0;
	memset(pb, 0, sizeof(pb));
	lca_bind_str(&pb[0], request_id, &plen);
	if ((st = lca_db_exec(ST_BY_REQUEST, pb, &retried, &err)) == NULL)
		return LCA_DB_ERR;
	memset(rb, 0, sizeof(rb));
	rb[0].buffer_type = MYSQL_TYPE_STRING;
	rb[0].buffer = uuid;
	rb[0].buffer_length = LCA_UUID_LEN + 1;
	rb[0].length = &ulen;
	rb[0].is_null = &unull;
	rb[0].error = &uerr;
	/* The DER's length first; the value by mysql_stmt_fetch_column. */
	rb[1].buffer_type = MYSQL_TYPE_BLOB;
	rb[1].length = &dlen;
	rb[1].is_null = &dnull;
	rb[2].buffer_type = MYSQL_TYPE_BLOB;
	rb[2].buffer = sha256;
	rb[2].buffer_length = 32;
	rb[2].length = &hlen;
	rb[2].is_null = &hnull;
	rb[2].error = &herr;
	memset(&at, 0, sizeof(at));
	rb[3].buffer_type = MYSQL_TYPE_DATETIME;
	rb[3].buffer = &at;
	rb[3].is_null = &atnull;
	rb[4].buffer_type = MYSQL_TYPE_LONG;
	rb[4].buffer = &isvoid;
	rb[4].is_null = &vnull;
	if (mysql_stmt_bind_result(st, rb) != 0) {
		log_error("bind: %s", mysql_stmt_error(st));
		goto reset;
	}
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA) {
		r = LCA_DB_NOTFOUND;
		goto reset;
	}
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		log_error("fetch: %s", mysql_stmt_error(st));
		if (db_is_lost(mysql_stmt_errno(st))) {
			lca_db_lost();
			return LCA_DB_ERR;
		}
		goto reset;
	}
	if (!vnull && isvoid) {
		r = LCA_DB_VOID;
		goto reset;
	}
	if (unull || uerr || ulen != LCA_UUID_LEN || dnull || dlen == 0 ||
	    hnull || herr || hlen != 32) {
		log_error("request %s: unexpected row", request_id);
		goto reset;
	}
	uuid[LCA_UUID_LEN] = '\0';
	if (created != NULL)
		*created = atnull ? 0 : lca_db_time_of(&at);
	if ((buf = malloc(dlen)) == NULL)
		goto reset;
	memset(&db_der, 0, sizeof(db_der));
	db_der.buffer_type = MYSQL_TYPE_BLOB;
	db_der.buffer = buf;
	db_der.buffer_length = dlen;
	if (mysql_stmt_fetch_column(st, &db_der, 1, 0) != 0) {
		log_error("fetch: %s", mysql_stmt_error(st));
		goto reset;
	}
	*der = buf;
	*der_len = dlen;
	buf = NULL;
	r = LCA_DB_OK;
 reset:
	free(buf);
	mysql_stmt_free_result(st);
	return r;
}

/*
 * An UPDATE of one certificate's state: LCA_DB_OK when it changed it,
 * LCA_DB_NOTFOUND when its condition did not hold. After a lost
 * connection the first try may have been the one that changed it: the
 * change stands either way.
 */
static int
lca_db_update_one(enum lca_stmt_id id, MYSQL_BIND *pb)
{
	unsigned int err;
	my_ulonglong n;
	MYSQL_STMT *st;
	int retried;

	if ((st = lca_db_exec(id, pb, &retried, &err)) == NULL)
		return LCA_DB_ERR;
	n = mysql_stmt_affected_rows(st);
	if (n == 1)
		return LCA_DB_OK;
	return retried ? LCA_DB_OK : LCA_DB_NOTFOUND;
}

/*
 * Marks an issued certificate revoked. LCA_DB_NOTFOUND: it was not in
 * state issued (revoked meanwhile).
 */
int
lca_db_revoke(const char *serial_hex, const char *reason, time_t when)
{
	MYSQL_BIND pb[3];
	MYSQL_TIME at;
	unsigned long lens[3];

	memset(pb, 0, sizeof(pb));
	lca_db_time(when, &at);
	lca_bind_str(&pb[0], reason, &lens[0]);
	lca_bind_time(&pb[1], &at);
	lca_bind_str(&pb[2], serial_hex, &lens[2]);
	return lca_db_update_one(ST_REVOKE, pb);
}

/*
 * Takes a certificate off hold: valid again, off the next CRL (RFC 5280
 * 5.3.1 removeFromCRL). LCA_DB_NOTFOUND when it is not on hold.
 */
int
lca_db_release(const char *serial_hex)
{
	MYSQL_BIND pb[1];
	unsigned long lens[1];

	memset(pb, 0, sizeof(pb));
	lca_bind_str(&pb[0], serial_hex, &lens[0]);
	return lca_db_update_one(ST_RELEASE, pb);
}

/*
 * The next CRL number, above the last one given and not below floor, its
 * row locked until the transaction ends.
 */
static int
lca_db_crl_number(uint64_t floor, uint64_t *number)
{
	MYSQL_BIND pb[1], rb[1];
	unsigned long long v = floor, got = 0;
	my_bool null = 0;
	unsigned int err;
	MYSQL_STMT *st;
	int retried, r = LCA_DB_ERR;

	memset(pb, 0, sizeof(pb));
	pb[0].buffer_type = MYSQL_TYPE_LONGLONG;
	pb[0].buffer = &v;
	pb[0].is_unsigned = 1;
	if ((st = lca_db_exec(ST_CRL_NEXT, pb, &retried, &err)) == NULL)
		return LCA_DB_ERR;
	if (mysql_stmt_affected_rows(st) != 1) {
		log_error("crl: table localca_crl_number has no row 1");
		return LCA_DB_ERR;
	}
	if ((st = lca_db_exec(ST_CRL_NUMBER, NULL, &retried, &err)) == NULL)
		return LCA_DB_ERR;
	memset(rb, 0, sizeof(rb));
	rb[0].buffer_type = MYSQL_TYPE_LONGLONG;
	rb[0].buffer = &got;
	rb[0].is_unsigned = 1;
	rb[0].is_null = &null;
	if (mysql_stmt_bind_result(st, rb) != 0 ||
	    mysql_stmt_fetch(st) != 0 || null) {
		log_error("crl number: %s", mysql_stmt_error(st));
		if (db_is_lost(mysql_stmt_errno(st)))
			lca_db_lost();
		else
			mysql_stmt_free_result(st);
		return LCA_DB_ERR;
	}
	*number = got;
	r = LCA_DB_OK;
	mysql_stmt_free_result(st);
	return r;
}

/*
 * Calls cb for every revoked certificate. LCA_DB_CB_FAILED when cb
 * failed, LCA_DB_ERR when the database did.
 */
static int
lca_db_revoked_rows(time_t expired_before, lca_db_revoked_cb cb, void *arg)
{
	MYSQL_BIND pb[1], rb[4], db_der;
	MYSQL_TIME at, from;
	char serial[LCA_SERIAL_HEX_MAX + 1], reason[LCA_REASON_MAX + 1];
	unsigned long slen = 0, rlen = 0, dlen = 0;
	my_bool snull = 0, tnull = 0, rnull = 0, dnull = 0, serr = 0, rerr = 0;
	unsigned char *der = NULL;
	unsigned int err;
	MYSQL_STMT *st;
	int rc, retried, r = LCA_DB_ERR;

	lca_db_time(expired_before, &from);
	memset(pb, 0, sizeof(pb));
	pb[0].buffer_type = MYSQL_TYPE_DATETIME;
	pb[0].buffer = &from;
	pb[0].buffer_length = sizeof(from);
	if ((st = lca_db_exec(ST_REVOKED, pb, &retried, &err)) == NULL)
		return LCA_DB_ERR;
	memset(rb, 0, sizeof(rb));
	rb[0].buffer_type = MYSQL_TYPE_STRING;
	rb[0].buffer = serial;
	rb[0].buffer_length = sizeof(serial);
	rb[0].length = &slen;
	rb[0].is_null = &snull;
	rb[0].error = &serr;
	rb[1].buffer_type = MYSQL_TYPE_DATETIME;
	rb[1].buffer = &at;
	rb[1].buffer_length = sizeof(at);
	rb[1].is_null = &tnull;
	rb[2].buffer_type = MYSQL_TYPE_STRING;
	rb[2].buffer = reason;
	rb[2].buffer_length = sizeof(reason);
	rb[2].length = &rlen;
	rb[2].is_null = &rnull;
	rb[2].error = &rerr;
	/* The DER's length first; the value by mysql_stmt_fetch_column. */
	rb[3].buffer_type = MYSQL_TYPE_BLOB;
	rb[3].length = &dlen;
	rb[3].is_null = &dnull;
	/* Buffered: a failing callback leaves no rows pending. */
	if (mysql_stmt_bind_result(st, rb) != 0 ||
	    mysql_stmt_store_result(st) != 0) {
		log_error("revoked: %s", mysql_stmt_error(st));
		if (db_is_lost(mysql_stmt_errno(st))) {
			lca_db_lost();
			return LCA_DB_ERR;
		}
		goto out;
	}
	/* The columns fit their buffers by the schema; a CRL that left a
	 * row out would be wrong, so anything odd fails it. */
	while ((rc = mysql_stmt_fetch(st)) == 0 ||
	    rc == MYSQL_DATA_TRUNCATED) {
		if (snull || tnull || dnull || serr || rerr || dlen == 0 ||
		    slen >= sizeof(serial) || rlen >= sizeof(reason)) {
			log_error("revoked: unexpected row");
			goto out;
		}
		serial[slen] = '\0';
		reason[rnull ? 0 : rlen] = '\0';
		if ((der = malloc(dlen)) == NULL)
			goto out;
		memset(&db_der, 0, sizeof(db_der));
		db_der.buffer_type = MYSQL_TYPE_BLOB;
		db_der.buffer = der;
		db_der.buffer_length = dlen;
		if (mysql_stmt_fetch_column(st, &db_der, 3, 0) != 0) {
			log_error("revoked: %s", mysql_stmt_error(st));
			goto out;
		}
		if (cb(arg, serial, lca_db_time_of(&at), reason, der,
		    dlen) != 0) {
			r = LCA_DB_CB_FAILED;
			goto out;
		}
		free(der);
		der = NULL;
	}
	if (rc != MYSQL_NO_DATA) {
		log_error("fetch: %s", mysql_stmt_error(st));
		goto out;
	}
	r = LCA_DB_OK;
 out:
	free(der);
	mysql_stmt_free_result(st);
	return r;
}

/*
 * A CRL's number and its revocations (cb for each), in one database
 * transaction: the number's row stays locked while the revocations are
 * read, so that a CRL of a higher number lists every revocation one of a
 * lower number does (RFC 5280 5.2.3), whichever cmp-localca made it. A
 * Galera node that made one at the same time on another node fails its
 * COMMIT: LCA_DB_ERR, and the caller is answered 503 to ask again.
 * LCA_DB_CB_FAILED when cb failed. Certificates that expired before
 * expired_before are left out (RFC 5280 3.3: an entry may go once a CRL
 * issued after the certificate's expiry listed it): a CRL, and the time
 * its number's row stays locked, grow with the certificates revoked
 * and valid, not with all ever revoked.
 */
int
lca_db_revoked(uint64_t floor, time_t expired_before, uint64_t *number,
    lca_db_revoked_cb cb, void *arg)
{
	int attempt, r;

	for (attempt = 0; ; attempt++) {
		if (lca_db_stmt(ST_CRL_NEXT) == NULL)	/* connected */
			return LCA_DB_ERR;
		if (mysql_query(db, "START TRANSACTION") == 0)
			break;
		log_error("crl: %s", mysql_error(db));
		if (!db_is_lost(mysql_errno(db)))
			return LCA_DB_ERR;
		lca_db_lost();	/* nothing done yet: once more */
		if (attempt > 0)
			return LCA_DB_ERR;
	}
	db_in_tx = 1;
	if ((r = lca_db_crl_number(floor, number)) == LCA_DB_OK)
		r = lca_db_revoked_rows(expired_before, cb, arg);
	db_in_tx = 0;
	if (db == NULL)		/* lost: the transaction went with it */
		return LCA_DB_ERR;
	if (r == LCA_DB_OK && mysql_commit(db) != 0) {
		log_error("crl: commit: %s", mysql_error(db));
		r = LCA_DB_ERR;
		if (db_is_lost(mysql_errno(db))) {
			lca_db_lost();
			return r;
		}
	}
	if (r != LCA_DB_OK)
		mysql_rollback(db);
	return r;
}
