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

/* Prepared statements of this connection, found by their SQL text. */
#define DB_STMTS_MAX	192
static struct {
	const char *sql;	/* a string constant: compared by address */
	MYSQL_STMT *st;
} stmts[DB_STMTS_MAX];
static size_t nstmts;

static const struct conf *db_conf;
static MYSQL *db;
/*
 * Inside db_begin() .. db_commit(): a connection lost there took the
 * transaction's writes with it; nothing may run on a new connection (it
 * would autocommit the rest) until the caller rolls back.
 */
static int db_in_tx, db_tx_lost, db_tx_failed;	/* depth, flags */

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

	if (db_in_tx)
		db_tx_lost = 1;
	for (i = 0; i < nstmts; i++)
		mysql_stmt_close(stmts[i].st);
	nstmts = 0;
	if (db != NULL)
		mysql_close(db);
	db = NULL;
}

/* Errors after which the connection is gone and a new one may succeed
 * (shared with cmp-localca). */
int
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
db_stmt(const char *sql)
{
	MYSQL_STMT *st;
	size_t i;
	void *m;

	if (db == NULL) {
		if (db_conf == NULL ||
		    db_connect_once(db_conf, DB_IO_TIMEOUT, &m) != 0) {
			metrics_db_error();
			return NULL;
		}
		db = m;
	}
	for (i = 0; i < nstmts; i++)
		if (stmts[i].sql == sql)
			return stmts[i].st;
	if (nstmts == DB_STMTS_MAX) {
		log_error("more than %d statements", DB_STMTS_MAX);
		return NULL;
	}
	if ((st = mysql_stmt_init(db)) == NULL)
		return NULL;
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		log_error("prepare: %s", mysql_stmt_error(st));
		metrics_db_error();
		mysql_stmt_close(st);
		if (db_is_lost(mysql_errno(db)))
			db_close();
		return NULL;
	}
	stmts[nstmts].sql = sql;
	stmts[nstmts].st = st;
	nstmts++;
	return st;
}

static enum enum_field_types
db_field_type(enum db_type t)
{
	switch (t) {
	case DB_STR:
		return MYSQL_TYPE_STRING;
	case DB_BLOB:
		return MYSQL_TYPE_BLOB;
	case DB_INT:
		return MYSQL_TYPE_LONGLONG;
	default:
		return MYSQL_TYPE_NULL;
	}
}

static void
db_bind_args(MYSQL_BIND *b, const struct db_arg *a, unsigned long *lens,
    size_t n)
{
	size_t i;

	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		b[i].buffer_type = db_field_type(a[i].type);
		if (a[i].type == DB_INT) {
			b[i].buffer = (void *)&a[i].i;
		} else if (a[i].type != DB_NULL) {
			lens[i] = a[i].len;
			b[i].buffer = (void *)a[i].p;
			b[i].buffer_length = a[i].len;
			b[i].length = &lens[i];
		}
	}
}

static void
db_bind_cols(MYSQL_BIND *b, struct db_col *c, size_t n)
{
	size_t i;

	memset(b, 0, n * sizeof(*b));
	for (i = 0; i < n; i++) {
		c[i].null = c[i].err = 0;
		c[i].len = 0;
		b[i].buffer_type = db_field_type(c[i].type);
		if (c[i].type == DB_INT) {
			b[i].buffer = &c[i].i;
		} else {
			/* strings keep a byte for their NUL */
			b[i].buffer = c[i].buf;
			b[i].buffer_length = c[i].type == DB_STR ? c[i].n - 1 :
			    c[i].n;
			b[i].length = &c[i].len;
		}
		b[i].is_null = (my_bool *)&c[i].null;
		b[i].error = (my_bool *)&c[i].err;
	}
}

/* Terminates fetched strings; NULL columns become "" (or 0). */
static void
db_finish_cols(struct db_col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i].type == DB_INT && c[i].null)
			c[i].i = 0;
		if (c[i].type != DB_STR)
			continue;
		if (c[i].null || c[i].len >= c[i].n)
			((char *)c[i].buf)[0] = '\0';
		else
			((char *)c[i].buf)[c[i].len] = '\0';
	}
}

/*
 * Runs one statement. With ncols > 0 it is a read and fetches at most one
 * row into cols: DB_OK or DB_NOTFOUND. Otherwise *affected (if not NULL)
 * gets the number of rows changed: DB_OK, or DB_DUP for a duplicate key.
 * A read whose established connection turns out lost (the server
 * restarted) is tried once more on a new one; a write never is, and a
 * connection that cannot be opened is not retried within the request.
 */
int
db_run(const char *sql, const struct db_arg *args, size_t nargs,
    struct db_col *cols, size_t ncols, unsigned long long *affected)
{
	MYSQL_BIND pb[DB_ARGS_MAX], rb[DB_ARGS_MAX];
	unsigned long lens[DB_ARGS_MAX];
	MYSQL_STMT *st;
	unsigned int err;
	int attempt, rc, was_open;

	if (nargs > DB_ARGS_MAX || ncols > DB_ARGS_MAX || db_tx_lost)
		return DB_ERR;
	for (attempt = 0; attempt < 2 && !db_tx_lost; attempt++) {
		was_open = db != NULL;
		if ((st = db_stmt(sql)) == NULL) {
			if (was_open && db == NULL && ncols > 0)
				continue;	/* lost while preparing */
			return DB_ERR;
		}
		db_bind_args(pb, args, lens, nargs);
		db_bind_cols(rb, cols, ncols);
		if ((nargs > 0 && mysql_stmt_bind_param(st, pb) != 0) ||
		    mysql_stmt_execute(st) != 0 ||
		    (ncols > 0 && mysql_stmt_bind_result(st, rb) != 0)) {
			err = mysql_stmt_errno(st);
			if (err == ER_DUP_ENTRY) {
				mysql_stmt_reset(st);
				return DB_DUP;
			}
			log_error("query: %s", mysql_stmt_error(st));
			metrics_db_error();
			if (db_is_lost(err)) {
				db_close();
				if (ncols > 0 && was_open)
					continue;
				return DB_ERR;
			}
			mysql_stmt_reset(st);
			return DB_ERR;
		}
		if (ncols == 0) {
			if (affected != NULL)
				*affected = mysql_stmt_affected_rows(st);
			mysql_stmt_reset(st);
			return DB_OK;
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
		if (rc != 0) {
			metrics_db_error();
			return DB_ERR;
		}
		db_finish_cols(cols, ncols);
		return DB_OK;
	}
	return DB_ERR;
}

/*
 * Runs a read and hands each row to fn (at most max rows; fn returning
 * non-zero stops early). DB_OK with *nrows set, or DB_ERR. A lost
 * connection is not retried here: list answers are cheap to ask again.
 */
int
db_query(const char *sql, const struct db_arg *args, size_t nargs,
    struct db_col *cols, size_t ncols, size_t max,
    int (*fn)(struct db_col *, size_t, void *), void *arg, size_t *nrows)
{
	MYSQL_BIND pb[DB_ARGS_MAX], rb[DB_ARGS_MAX];
	unsigned long lens[DB_ARGS_MAX];
	MYSQL_STMT *st;
	size_t n = 0;
	int rc, r = DB_ERR;

	*nrows = 0;
	if (nargs > DB_ARGS_MAX || ncols > DB_ARGS_MAX || ncols == 0 ||
	    db_tx_lost)
		return DB_ERR;
	if ((st = db_stmt(sql)) == NULL)
		return DB_ERR;
	db_bind_args(pb, args, lens, nargs);
	db_bind_cols(rb, cols, ncols);
	if ((nargs > 0 && mysql_stmt_bind_param(st, pb) != 0) ||
	    mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, rb) != 0) {
		log_error("query: %s", mysql_stmt_error(st));
		metrics_db_error();
		if (db_is_lost(mysql_stmt_errno(st)))
			db_close();
		else
			mysql_stmt_reset(st);
		return DB_ERR;
	}
	while (n < max && (rc = mysql_stmt_fetch(st)) != MYSQL_NO_DATA) {
		if (rc != 0) {
			log_error("fetch: %s", rc == MYSQL_DATA_TRUNCATED ?
			    "value larger than its buffer" :
			    mysql_stmt_error(st));
			metrics_db_error();
			goto out;
		}
		db_finish_cols(cols, ncols);
		n++;
		if (fn(cols, ncols, arg) != 0)
			break;
		db_bind_cols(rb, cols, ncols);
		if (mysql_stmt_bind_result(st, rb) != 0)
			goto out;
	}
	*nrows = n;
	r = DB_OK;
 out:
	mysql_stmt_free_result(st);
	mysql_stmt_reset(st);
	return r;
}

/*
 * Transactions of several statements (autocommit otherwise). They nest:
 * the management API runs every change in one (api_dispatch) around the
 * handler's own; an inner rollback makes the outer commit fail.
 */
int
db_begin(void)
{
	if (db_in_tx > 0) {
		db_in_tx++;
		return db_tx_lost || db == NULL ? DB_ERR : DB_OK;
	}
	db_tx_lost = db_tx_failed = 0;
	if (db == NULL && db_stmt("SELECT 1") == NULL)
		return DB_ERR;
	if (mysql_autocommit(db, 0) != 0)
		return DB_ERR;
	db_in_tx = 1;
	return DB_OK;
}

int
db_commit(void)
{
	int r;

	if (db_in_tx > 1) {
		db_in_tx--;
		return db_tx_failed || db_tx_lost ? DB_ERR : DB_OK;
	}
	if (db == NULL || db_tx_lost || db_tx_failed) {
		if (db_tx_failed && !db_tx_lost)
			log_error("commit: a part of the transaction failed; "
			    "rolled back");
		else
			log_error("commit: the connection was lost in the "
			    "transaction");
		db_rollback();
		return DB_ERR;
	}
	r = mysql_commit(db) == 0 ? DB_OK : DB_ERR;
	if (r != DB_OK) {
		log_error("commit: %s", mysql_error(db));
		metrics_db_error();
	}
	mysql_autocommit(db, 1);
	db_in_tx = 0;
	return r;
}

void
db_rollback(void)
{
	if (db_in_tx > 1) {
		db_in_tx--;
		db_tx_failed = 1;
		return;
	}
	db_in_tx = db_tx_lost = db_tx_failed = 0;
	if (db == NULL)
		return;
	mysql_rollback(db);
	mysql_autocommit(db, 1);
}
