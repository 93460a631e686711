/*
 * MariaDB access. Each worker owns one connection, opened lazily after fork
 * and opened again when the server went away; every statement is a
 * prepared statement, prepared once per connection (CONVENTIONS 6).
 * With several endpoints (db_hosts: the nodes of a Galera cluster) a
 * connection lost or refused moves on to the next one (db_endpoint.c),
 * and db_txn() runs a transaction again after a deadlock, a lock wait
 * timeout or a lost node (DESIGN invariant 4).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "cmpd.h"

#define DB_IO_TIMEOUT	30	/* seconds a worker waits for one answer */

/* Prepared statements of this connection, found by their SQL text. */
#define DB_STMTS_MAX	192
static struct {
	const char *sql;	/* a string constant: compared by address */
	MYSQL_STMT *st;
} stmts[DB_STMTS_MAX];
static size_t nstmts;

static struct db_login db_login;
static int db_configured;
static MYSQL *db;
static size_t db_cur;		/* the endpoint of db, or to try first */
static int db_galera;		/* db is a Galera node */
static int db_was_lost;		/* the last connection was lost */
static size_t db_lost_ep;	/* ... on this endpoint */
static unsigned int db_err;	/* error of the last failed call */
/*
 * Inside db_begin() .. db_commit(): a connection lost there took the
 * transaction's writes with it; nothing may run on a new connection (it
 * would autocommit the rest) until the caller rolls back.
 */
static int db_in_tx, db_tx_lost, db_tx_failed;	/* depth, flags */
/* db_txn: a COMMIT of an earlier run lost its connection (may have
 * committed) */
static int db_commit_unknown;

static void
db_login_of(const struct conf *c, struct db_login *l)
{
	memset(l, 0, sizeof(*l));
	l->ep = c->db_ep;
	l->n = c->db_nep;
	l->socket = c->db_socket;
	l->user = c->db_user;
	l->password_file = c->db_password_file;
	l->name = c->db_name;
	l->connect_timeout = c->db_connect_timeout;
}

int
db_configure(const struct conf *c)
{
	db_login_of(c, &db_login);
	db_configured = 1;
	db_cur = 0;
	return 0;
}

const struct db_login *
db_login_get(void)
{
	return db_configured ? &db_login : NULL;
}

/* lost: the server went away (counted when the next one opens). */
static void
db_drop(int lost)
{
	size_t i;

	if (db_in_tx)
		db_tx_lost = 1;
	for (i = 0; i < nstmts; i++)
		mysql_stmt_close(stmts[i].st);
	nstmts = 0;
	if (db != NULL) {
		mysql_close(db);
		if (lost) {
			/* the next connection starts at the next endpoint */
			db_was_lost = 1;
			db_lost_ep = db_cur;
			metrics_db_endpoint(db_cur, 0);
			if (db_login.n > 1)
				db_cur = (db_cur + 1) % db_login.n;
		}
	}
	db = NULL;
	db_galera = 0;
}

void
db_close(void)
{
	db_drop(0);
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
	/* A Galera node that left the primary component answers every
	 * query so ("WSREP has not yet prepared node for application
	 * use"): another node can serve. */
	case ER_UNKNOWN_COM_ERROR:
		return 1;
	default:
		return 0;
	}
}

/*
 * Opens a new connection with the configured parameters (the first of
 * its endpoints that answers); io_timeout 0 waits as long as the server
 * takes (migrations: a long ALTER TABLE).
 */
int
db_connect_once(const struct conf *c, unsigned int io_timeout, void **out)
{
	struct db_login l;
	size_t cur = 0;
	int failed, galera;

	db_login_of(c, &l);
	return db_open(&l, io_timeout, &cur, &failed, NULL, &galera, out);
}

/* The worker's connection, opened when there is none. */
static int
db_connect(void)
{
	unsigned char up[DB_HOSTS_MAX];
	size_t i, n;
	int failed;
	void *m;

	if (db != NULL)
		return 0;
	if (!db_configured)
		return -1;
	n = db_login.n > 0 ? db_login.n : 1;
	if (db_open(&db_login, DB_IO_TIMEOUT, &db_cur, &failed, up,
	    &db_galera, &m) != 0) {
		for (i = 0; i < n; i++)
			if (up[i] != 0)
				metrics_db_endpoint(i, 0);
		metrics_db_error();
		return -1;
	}
	for (i = 0; i < n; i++)
		if (up[i] != 0)
			metrics_db_endpoint(i, up[i] == 1);
	/* another endpoint than the one lost counts as a failover too */
	if (db_was_lost && db_cur != db_lost_ep)
		failed++;
	if (failed > 0)
		metrics_db_failover((unsigned int)failed);
	if (db_was_lost)
		metrics_db_reconnect();
	db_was_lost = 0;
	db = m;
	return 0;
}

/* The endpoint in use (or to be tried first); *connected whether a
 * connection is open, *galera whether it is a Galera node. */
size_t
db_endpoint_current(int *connected, int *galera)
{
	*connected = db != NULL;
	*galera = db_galera;
	return db_cur;
}

/* GET /health: which of the first n endpoints with want[i] set answer
 * now: up[i] 1, or 2; all at once, within ms in all (db_probe.c). */
void
db_probe(const unsigned char *want, unsigned char *up, size_t n, long ms)
{
	size_t i;

	if (n > (db_login.n > 0 ? db_login.n : 1))
		n = db_login.n > 0 ? db_login.n : 1;
	if (!db_configured) {
		for (i = 0; i < n; i++)
			if (want[i])
				up[i] = 2;
		return;
	}
	db_probe_all(&db_login, n, want, up, ms);
	for (i = 0; i < n; i++)
		if (want[i])
			metrics_db_endpoint(i, up[i] == 1);
}

static MYSQL_STMT *
db_stmt(const char *sql)
{
	MYSQL_STMT *st;
	size_t i;

	if (db_connect() != 0) {
		/* every endpoint was tried: nothing to run again on */
		db_err = 0;
		return NULL;
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
		db_err = mysql_stmt_errno(st);
		mysql_stmt_close(st);
		if (db_is_lost(db_err))
			db_drop(1);
		/* Galera's abort of the transaction may come here: the
		 * transaction is gone, whatever the caller makes of this. */
		else if (db_in_tx && db_retry_class(db_err) != DB_RETRY_NO)
			db_tx_failed = 1;
		return NULL;
	}
	stmts[nstmts].sql = sql;
	stmts[nstmts].st = st;
	nstmts++;
	return st;
}

/* Closes the prepared statement of sql, if there is one: the next
 * db_stmt(sql) prepares it again. */
static void
db_stmt_forget(const char *sql)
{
	size_t i;

	for (i = 0; i < nstmts; i++)
		if (stmts[i].sql == sql) {
			mysql_stmt_close(stmts[i].st);
			stmts[i] = stmts[--nstmts];
			return;
		}
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
 * Inside a transaction, before a statement and after one that succeeded:
 * is the transaction still there? Galera may abort it while the client sits
 * between two commands, and a PREPARE that comes next can let the server
 * clean it up without reporting the deadlock: the statements after it
 * then run, and the COMMIT commits, outside any transaction (seen: a
 * PREPARE that reported the deadlock, the next PREPARE and EXECUTE fine,
 * the EXECUTE's write autocommitted). The status the server sent with its
 * last answer says whether a transaction is open (SERVER_STATUS_IN_TRANS);
 * when it is not, the transaction counts as failed by a deadlock and
 * db_txn() runs it again. No round trip. DB_OK or DB_ERR.
 */
static int
db_tx_check(void)
{
	unsigned int status = 0;

	if (db_in_tx == 0 || db == NULL)
		return DB_OK;
	if (mariadb_get_infov(db, MARIADB_CONNECTION_SERVER_STATUS,
	    &status) != 0 || (status & SERVER_STATUS_IN_TRANS) != 0)
		return DB_OK;
	log_error("the server ended the transaction without an error "
	    "(a Galera conflict); rolled back");
	metrics_db_error();
	db_err = ER_LOCK_DEADLOCK;
	db_tx_failed = 1;
	return DB_ERR;
}

/* Before attempt number attempt (1, 2, ...) of what, run again for why:
 * the log line, the counter and the back-off. */
static void
db_retry_pause(const char *what, enum db_retry why, int attempt)
{
	log_warn("%s: %s; run again (attempt %d of %d)", what,
	    db_retry_name(why), attempt + 1, DB_TXN_ATTEMPTS);
	metrics_db_retry(why);
	db_backoff(attempt);
}

/*
 * Runs one statement. With ncols > 0 it is a read and fetches at most one
 * row into cols: DB_OK or DB_NOTFOUND. Otherwise *affected (if not NULL)
 * gets the number of rows changed: DB_OK, DB_DUP for a duplicate key, or
 * DB_NOTFOUND when the statement signalled so itself (a compound
 * statement whose rows are not as it expects: SIGNAL with MYSQL_ERRNO
 * 1643, ER_SIGNAL_NOT_FOUND; a trigger's plain SIGNAL stays an error).
 * Outside a transaction, a statement that hit a deadlock or a lock wait
 * timeout was rolled back as a whole and runs again (DB_TXN_ATTEMPTS in
 * all, after a lock wait timeout once only: it has waited
 * innodb_lock_wait_timeout already); a read whose established connection
 * turns out lost (the server restarted, the node left) is tried once more
 * on a new one, maybe on the next endpoint. A write is never run again
 * after a lost connection (it may have committed), and a connection that
 * cannot be opened is not retried within the request. Inside a
 * transaction nothing runs again here: db_txn() runs the whole of it
 * again.
 *
 * Galera aborts a local transaction when another node's commit wins a
 * conflict with it, and reports the deadlock once: at the end of the
 * statement running then (after its rows), or on the client's next
 * command. Nothing here may let that report go unread, or the COMMIT
 * after it commits an empty transaction and says success for writes that
 * were rolled back: a read takes its whole result and the status after
 * it (mysql_stmt_store_result) before it looks at the first row, and a
 * statement is never followed by mysql_stmt_reset(), a command whose
 * answer nobody reads (the next execute starts afresh by itself).
 */
int
db_run(const char *sql, const struct db_arg *args, size_t nargs,
    struct db_col *cols, size_t ncols, unsigned long long *affected)
{
	MYSQL_BIND pb[DB_ARGS_MAX], rb[DB_ARGS_MAX];
	unsigned long lens[DB_ARGS_MAX];
	MYSQL_STMT *st;
	enum db_retry why;
	unsigned int err;
	int attempt, rc, was_open, lost_retried = 0, lock_waited = 0;
	int reprepared = 0;

	if (nargs > DB_ARGS_MAX || ncols > DB_ARGS_MAX) {
		log_error("a statement with more than %d parameters or "
		    "columns", DB_ARGS_MAX);
		return DB_ERR;
	}
	/* A transaction that failed is rolled back whole: nothing more of
	 * it runs, least of all outside it, in autocommit. */
	if (db_tx_lost || (db_in_tx && db_tx_failed))
		return DB_ERR;
	for (attempt = 0; attempt < DB_TXN_ATTEMPTS && !db_tx_lost;
	    attempt++) {
		was_open = db != NULL;
		if ((st = db_stmt(sql)) == NULL) {
			if (was_open && db == NULL && ncols > 0 &&
			    !db_in_tx && !lost_retried) {
				lost_retried = 1;	/* lost while preparing */
				metrics_db_retry(DB_RETRY_LOST);
				continue;
			}
			return DB_ERR;
		}
		/* not a write outside the transaction it belongs to */
		if (db_tx_check() != DB_OK)
			return DB_ERR;
		db_bind_args(pb, args, lens, nargs);
		db_bind_cols(rb, cols, ncols);
		if ((nargs > 0 && mysql_stmt_bind_param(st, pb) != 0) ||
		    mysql_stmt_execute(st) != 0 ||
		    (ncols > 0 && (mysql_stmt_bind_result(st, rb) != 0 ||
		    mysql_stmt_store_result(st) != 0))) {
			err = db_err = mysql_stmt_errno(st);
			if (err == ER_DUP_ENTRY) {
				mysql_stmt_free_result(st);
				return DB_DUP;
			}
			/* the statement's own "not found" signal (MYSQL_ERRNO
			 * ER_SIGNAL_NOT_FOUND): what it was to change is not
			 * there, and it rolled back */
			if (err == ER_SIGNAL_NOT_FOUND && ncols == 0) {
				mysql_stmt_free_result(st);
				return DB_NOTFOUND;
			}
			/*
			 * A trigger created since a compound statement was
			 * prepared fails its next run (MariaDB 10.11) with
			 * ER_NO_SUCH_TABLE for a table the trigger uses,
			 * before anything of it ran: prepared again, it runs
			 * once more.
			 */
			if (err == ER_NO_SUCH_TABLE && !reprepared) {
				reprepared = 1;
				log_warn("statement prepared again: %s",
				    mysql_stmt_error(st));
				mysql_stmt_free_result(st);
				db_stmt_forget(sql);
				continue;
			}
			log_error("query: %s", mysql_stmt_error(st));
			metrics_db_error();
			why = db_retry_class(err);
			if (why == DB_RETRY_LOST) {
				db_drop(1);
				if (ncols > 0 && was_open && !lost_retried) {
					lost_retried = 1;
					metrics_db_retry(why);
					continue;
				}
				return DB_ERR;
			}
			mysql_stmt_free_result(st);
			if (why == DB_RETRY_NO)
				return DB_ERR;
			if (db_in_tx) {
				/* The server rolled back the transaction (or
				 * the statement): only all of it again. */
				db_tx_failed = 1;
				return DB_ERR;
			}
			if (attempt + 1 >= DB_TXN_ATTEMPTS ||
			    (why == DB_RETRY_LOCK_WAIT && lock_waited++ > 0))
				return DB_ERR;
			db_retry_pause("database statement", why, attempt + 1);
			continue;
		}
		if (ncols == 0) {
			if (affected != NULL)
				*affected = mysql_stmt_affected_rows(st);
			return db_tx_check();
		}
		rc = mysql_stmt_fetch(st);
		if (rc != 0 && rc != MYSQL_NO_DATA)
			/* MYSQL_DATA_TRUNCATED: larger than the schema allows. */
			log_error("fetch: %s", rc == MYSQL_DATA_TRUNCATED ?
			    "value larger than its buffer" : mysql_stmt_error(st));
		/* reads the rows left, if any: the connection is ready */
		mysql_stmt_free_result(st);
		if (rc == MYSQL_NO_DATA)
			return DB_NOTFOUND;
		if (rc != 0) {
			metrics_db_error();
			return DB_ERR;
		}
		db_finish_cols(cols, ncols);
		return db_tx_check();
	}
	return DB_ERR;
}

/*
 * Runs a read and hands each row to fn (at most max rows; fn returning
 * non-zero stops early). DB_OK with *nrows set, or DB_ERR. As in
 * db_run(), a read whose established connection turns out lost outside a
 * transaction is tried once more on a new one: the result is taken whole
 * before fn sees its first row, so fn has seen nothing of the lost one.
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
	int rc, r = DB_ERR, was_open, lost_retried = 0;

	*nrows = 0;
	if (nargs > DB_ARGS_MAX || ncols > DB_ARGS_MAX || ncols == 0) {
		log_error("a query with more than %d parameters or columns, "
		    "or none", DB_ARGS_MAX);
		return DB_ERR;
	}
	if (db_tx_lost || (db_in_tx && db_tx_failed))
		return DB_ERR;
 again:
	was_open = db != NULL;
	if ((st = db_stmt(sql)) == NULL) {
		if (was_open && db == NULL && !db_in_tx && !lost_retried) {
			lost_retried = 1;	/* lost while preparing */
			metrics_db_retry(DB_RETRY_LOST);
			goto again;
		}
		return DB_ERR;
	}
	if (db_tx_check() != DB_OK)
		return DB_ERR;
	db_bind_args(pb, args, lens, nargs);
	db_bind_cols(rb, cols, ncols);
	if ((nargs > 0 && mysql_stmt_bind_param(st, pb) != 0) ||
	    mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, rb) != 0 ||
	    mysql_stmt_store_result(st) != 0) {
		log_error("query: %s", mysql_stmt_error(st));
		metrics_db_error();
		db_err = mysql_stmt_errno(st);
		if (db_is_lost(db_err)) {
			db_drop(1);
			if (was_open && !db_in_tx && !lost_retried) {
				lost_retried = 1;
				metrics_db_retry(DB_RETRY_LOST);
				goto again;
			}
		} else
			mysql_stmt_free_result(st);
		if (db_in_tx && db_retry_class(db_err) != DB_RETRY_NO)
			db_tx_failed = 1;
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
	r = db_tx_check();
 out:
	mysql_stmt_free_result(st);
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
	/* One round trip (autocommit stays on; COMMIT or ROLLBACK ends it),
	 * not SET autocommit before and after. */
	if (mysql_real_query(db, "START TRANSACTION", 17) != 0) {
		db_err = mysql_errno(db);
		log_error("begin: %s", mysql_error(db));
		metrics_db_error();
		if (db_is_lost(db_err))
			db_drop(1);
		return DB_ERR;
	}
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
	if (db_tx_check() != DB_OK) {
		db_rollback();
		return DB_ERR;
	}
	r = mysql_commit(db) == 0 ? DB_OK : DB_ERR;
	db_in_tx = 0;
	if (r != DB_OK) {
		/* Galera: a certification conflict fails here (1213). */
		db_err = mysql_errno(db);
		log_error("commit: %s", mysql_error(db));
		metrics_db_error();
		if (db_is_lost(db_err)) {
			db_commit_unknown = 1;
			db_drop(1);
			return r;
		}
		mysql_rollback(db);
	}
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
	if (mysql_rollback(db) != 0) {
		if (db_is_lost(mysql_errno(db)))
			db_drop(1);
	}
}

/*
 * Runs fn(arg) in one database transaction: committed when fn returns 0
 * (DB_OK), rolled back otherwise. A deadlock (on Galera also a conflict
 * with another node's commit), a lock wait timeout or a lost connection
 * rolls it back, and fn runs again on a new start, after a jittered
 * back-off, DB_TXN_ATTEMPTS times in all (after a lock wait timeout once
 * only: each run waited innodb_lock_wait_timeout); a lost connection
 * moves on to the next endpoint. fn must therefore read what it decides
 * on within the transaction, and keep nothing from a failed run. A
 * connection lost during COMMIT leaves its outcome unknown: fn runs again
 * and must recognise its own earlier commit (callers compare the
 * transactionID's row with the nonce or request id they wrote). Nested in
 * an outer transaction, fn runs once and the outer one is run again.
 * Returns DB_OK, fn's non-zero result, or DB_ERR.
 */
int
db_txn(int (*fn)(void *), void *arg)
{
	enum db_retry why = DB_RETRY_NO;
	int attempt, r = DB_ERR, lock_waited = 0;

	if (db_in_tx > 0) {
		if (db_begin() != DB_OK) {
			db_rollback();
			return DB_ERR;
		}
		if ((r = fn(arg)) != DB_OK) {
			db_rollback();
			return r;
		}
		return db_commit();
	}
	db_commit_unknown = 0;
	for (attempt = 0; attempt < DB_TXN_ATTEMPTS; attempt++) {
		if (attempt > 0)
			db_retry_pause("database transaction", why, attempt);
		db_err = 0;
		if (db_begin() != DB_OK) {
			r = DB_ERR;
			db_rollback();
		} else if ((r = fn(arg)) != DB_OK) {
			db_rollback();
		} else if ((r = db_commit()) == DB_OK) {
			return DB_OK;
		}
		if ((why = db_retry_class(db_err)) == DB_RETRY_NO)
			return r;
		/* it has waited innodb_lock_wait_timeout already */
		if (why == DB_RETRY_LOCK_WAIT && lock_waited++ > 0)
			break;
	}
	log_error("database transaction: %s %d times; given up",
	    db_retry_name(why), DB_TXN_ATTEMPTS);
	return r;
}

/*
 * As db_txn() for an fn that writes with one statement (reads before or
 * after it only to recognise its own earlier write): outside a
 * transaction the statement commits by itself (autocommit), without the
 * START TRANSACTION and COMMIT round trips, and as durably. db_run()
 * runs it again after a deadlock or a lock wait timeout (the server
 * rolled the statement back); a connection lost while it ran leaves its
 * outcome unknown, as a lost COMMIT does in db_txn(): fn runs again, on a
 * new connection, and must recognise its own write, which every db_txn()
 * fn must anyway. Nested in a transaction it is db_txn().
 */
int
db_txn1(int (*fn)(void *), void *arg)
{
	int attempt, r = DB_ERR;

	if (db_in_tx > 0)
		return db_txn(fn, arg);
	db_commit_unknown = 0;
	for (attempt = 0; attempt < DB_TXN_ATTEMPTS; attempt++) {
		if (attempt > 0)
			db_retry_pause("database write", DB_RETRY_LOST,
			    attempt);
		db_err = 0;
		db_tx_lost = db_tx_failed = 0;
		if ((r = fn(arg)) == DB_OK)
			return DB_OK;
		if (db_retry_class(db_err) != DB_RETRY_LOST)
			return r;
		db_commit_unknown = 1;
	}
	log_error("database write: %s %d times; given up",
	    db_retry_name(DB_RETRY_LOST), DB_TXN_ATTEMPTS);
	return r;
}

/* How deep in database transactions the caller is: 0 outside any. */
int
db_txn_depth(void)
{
	return db_in_tx;
}

/* Within a db_txn run: did the COMMIT of an earlier run lose its
 * connection, so that it may have committed? */
int
db_txn_commit_unknown(void)
{
	return db_commit_unknown;
}
