/*
 * MariaDB access. Each worker owns one connection, opened lazily after fork
 * and opened again when the server went away; every statement is a
 * prepared statement, prepared once per connection (CONVENTIONS 6).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>

#include "cmpd.h"

#define DB_PASSWORD_MAX	1024
#define DB_IO_TIMEOUT	30	/* seconds a worker waits for one answer */

enum db_stmt_id {
	ST_PROFILE_BY_CMP,
	ST_PROFILE_BY_RA,
	ST__COUNT
};

/* Both profile queries return the same columns, in this order. */
#define PROFILE_COLUMNS \
	"c.uuid, c.name, c.enabled, c.variant, c.request_protection, " \
	"c.response_protection, " \
	"c.signing_certificate IS NOT NULL AND LENGTH(c.signing_certificate) > 0, " \
	"c.signing_chain IS NOT NULL AND LENGTH(c.signing_chain) > 0, " \
	"r.uuid, r.name, r.enabled"

static const char *stmt_sql[ST__COUNT] = {
	[ST_PROFILE_BY_CMP] = "SELECT " PROFILE_COLUMNS " FROM cmp_profile c "
	    "LEFT JOIN ra_profile r ON r.uuid = c.default_ra_profile_uuid "
	    "WHERE c.name = ?",
	[ST_PROFILE_BY_RA] = "SELECT " PROFILE_COLUMNS " FROM ra_profile r "
	    "LEFT JOIN cmp_profile c ON c.uuid = r.cmp_profile_uuid "
	    "WHERE r.name = ?",
};

static const struct conf *db_conf;
static MYSQL *db;
static MYSQL_STMT *stmts[ST__COUNT];

int
db_configure(const struct conf *c)
{
	db_conf = c;
	return 0;
}

void
db_close(void)
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

/* Errors after which the connection is gone and a new one may succeed. */
static int
db_is_lost(unsigned int err)
{
	switch (err) {
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_LOST_EXTENDED:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case CR_STMT_CLOSED:
		return 1;
	default:
		return 0;
	}
}

/* The whole file is read; *size is what to wipe afterwards. */
static int
db_read_password(const struct conf *c, char **pw, size_t *size)
{
	unsigned char *buf = NULL;
	size_t len;

	*pw = NULL;
	*size = 0;
	if (c->db_password_file == NULL)
		return 0;
	if (util_read_file(c->db_password_file, DB_PASSWORD_MAX, &buf,
	    &len) != 0) {
		log_error("db_password_file %s: %s", c->db_password_file,
		    strerror(errno));
		return -1;
	}
	/* The first line is the password. */
	buf[strcspn((char *)buf, "\r\n")] = '\0';
	*pw = (char *)buf;
	*size = len;
	return 0;
}

/*
 * Opens a new connection with the configured parameters; io_timeout 0
 * waits as long as the server takes (migrations: a long ALTER TABLE).
 */
int
db_connect_once(const struct conf *c, unsigned int io_timeout, void **out)
{
	unsigned int timeout = (unsigned int)c->db_connect_timeout;
	char *pw = NULL;
	size_t pw_size = 0;
	MYSQL *m;
	int r = -1;

	*out = NULL;
	if ((m = mysql_init(NULL)) == NULL)
		return -1;
	mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (io_timeout > 0) {
		mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
		mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	}
	mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	if (db_read_password(c, &pw, &pw_size) != 0)
		goto out;
	if (mysql_real_connect(m, c->db_socket != NULL ? NULL : c->db_host,
	    c->db_user, pw, c->db_name, (unsigned int)c->db_port,
	    c->db_socket, 0) == NULL) {
		log_error("cannot connect to MariaDB: %s", mysql_error(m));
		goto out;
	}
	*out = m;
	m = NULL;
	r = 0;
 out:
	if (pw != NULL) {
		OPENSSL_cleanse(pw, pw_size);
		free(pw);
	}
	if (m != NULL)
		mysql_close(m);
	return r;
}

static MYSQL_STMT *
db_stmt(enum db_stmt_id id)
{
	MYSQL_STMT *st;
	void *m;

	if (db == NULL) {
		if (db_conf == NULL ||
		    db_connect_once(db_conf, DB_IO_TIMEOUT, &m) != 0)
			return NULL;
		db = m;
	}
	if (stmts[id] != NULL)
		return stmts[id];
	if ((st = mysql_stmt_init(db)) == NULL)
		return NULL;
	if (mysql_stmt_prepare(st, stmt_sql[id], strlen(stmt_sql[id])) != 0) {
		log_error("prepare: %s", mysql_stmt_error(st));
		if (db_is_lost(mysql_stmt_errno(st)))
			db_close();
		mysql_stmt_close(st);
		return NULL;
	}
	stmts[id] = st;
	return st;
}

/*
 * One result column: strings are fetched into buf (NUL-terminated after
 * the fetch), TINYINTs into tiny.
 */
struct db_col {
	char	*buf;		/* NULL: a TINYINT column */
	size_t	 n;
	unsigned long len;
	signed char tiny;
	my_bool	 null, err;
};

static void
db_bind_cols(MYSQL_BIND *b, struct db_col *c, size_t n)
{
	size_t i;

	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		if (c[i].buf != NULL) {
			b[i].buffer_type = MYSQL_TYPE_STRING;
			b[i].buffer = c[i].buf;
			b[i].buffer_length = c[i].n - 1;
			b[i].length = &c[i].len;
		} else {
			b[i].buffer_type = MYSQL_TYPE_TINY;
			b[i].buffer = &c[i].tiny;
		}
		b[i].is_null = &c[i].null;
		b[i].error = &c[i].err;
	}
}

/* Terminates fetched strings; NULL columns become "". */
static void
db_finish_cols(struct db_col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i].buf == NULL)
			continue;
		if (c[i].null || c[i].len >= c[i].n)
			c[i].buf[0] = '\0';
		else
			c[i].buf[c[i].len] = '\0';
	}
}

/*
 * Executes statement id with one string parameter and fetches at most one
 * row into cols. A connection that was open and turns out lost (the server
 * restarted) is reopened and the statement tried once more; a connection
 * that cannot be opened is not retried within the request. Only reads
 * use this: a write must not be repeated blindly.
 * DB_OK, DB_NOTFOUND, or DB_ERR when the database cannot answer.
 */
static int
db_query_row(enum db_stmt_id id, const char *param, struct db_col *cols,
    size_t ncols)
{
	MYSQL_BIND pb[1], rb[16];
	unsigned long plen = strlen(param);
	MYSQL_STMT *st;
	int attempt, rc, was_open;

	if (ncols > sizeof(rb) / sizeof(rb[0]))
		return DB_ERR;
	for (attempt = 0; attempt < 2; attempt++) {
		was_open = db != NULL;
		if ((st = db_stmt(id)) == NULL) {
			if (was_open && db == NULL)
				continue;	/* lost while preparing */
			return DB_ERR;
		}
		memset(pb, 0, sizeof(pb));
		pb[0].buffer_type = MYSQL_TYPE_STRING;
		pb[0].buffer = (void *)param;
		pb[0].buffer_length = plen;
		pb[0].length = &plen;
		db_bind_cols(rb, cols, ncols);
		if (mysql_stmt_bind_param(st, pb) != 0 ||
		    mysql_stmt_execute(st) != 0 ||
		    mysql_stmt_bind_result(st, rb) != 0) {
			log_error("query: %s", mysql_stmt_error(st));
			if (db_is_lost(mysql_stmt_errno(st))) {
				db_close();
				continue;
			}
			mysql_stmt_reset(st);
			return DB_ERR;
		}
		rc = mysql_stmt_fetch(st);
		if (rc != 0 && rc != MYSQL_NO_DATA)
			/* MYSQL_DATA_TRUNCATED: larger than the schema allows. */
			log_error("fetch: %s", rc == MYSQL_DATA_TRUNCATED ?
			    "value larger than its buffer" : mysql_stmt_error(st));
		mysql_stmt_free_result(st);
		mysql_stmt_reset(st);
		if (rc == MYSQL_NO_DATA)
			return DB_NOTFOUND;
		if (rc != 0)
			return DB_ERR;
		db_finish_cols(cols, ncols);
		return DB_OK;
	}
	return DB_ERR;
}

static int
db_profile_query(enum db_stmt_id id, const char *name, struct profile *p)
{
	char variant[16], reqp[16], respp[16];
	struct db_col c[11];
	int r;

	memset(c, 0, sizeof(c));
	c[0].buf = p->cmp_uuid, c[0].n = sizeof(p->cmp_uuid);
	c[1].buf = p->cmp_name, c[1].n = sizeof(p->cmp_name);
	c[3].buf = variant, c[3].n = sizeof(variant);
	c[4].buf = reqp, c[4].n = sizeof(reqp);
	c[5].buf = respp, c[5].n = sizeof(respp);
	c[8].buf = p->ra_uuid, c[8].n = sizeof(p->ra_uuid);
	c[9].buf = p->ra_name, c[9].n = sizeof(p->ra_name);
	if ((r = db_query_row(id, name, c, 11)) != DB_OK)
		return r;
	/* A NULL uuid is the LEFT JOIN's missing side. */
	p->cmp_found = !c[0].null;
	p->ra_found = !c[8].null;
	if (p->cmp_found) {
		p->cmp_enabled = !c[2].null && c[2].tiny != 0;
		if (profile_variant_parse(variant, &p->variant) != 0 ||
		    profile_prot_parse(reqp, &p->req_prot) != 0 ||
		    profile_prot_parse(respp, &p->resp_prot) != 0) {
			log_error("CMP Profile %s: unknown enum value", name);
			return DB_ERR;
		}
		p->has_signing_cert = !c[6].null && c[6].tiny != 0;
		p->has_signing_chain = !c[7].null && c[7].tiny != 0;
	}
	if (p->ra_found)
		p->ra_enabled = !c[10].null && c[10].tiny != 0;
	return DB_OK;
}

int
db_profile_by_cmp_name(const char *name, struct profile *p)
{
	return db_profile_query(ST_PROFILE_BY_CMP, name, p);
}

int
db_profile_by_ra_name(const char *name, struct profile *p)
{
	return db_profile_query(ST_PROFILE_BY_RA, name, p);
}
