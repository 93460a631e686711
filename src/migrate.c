/*
 * Schema migrations: schema/NNNN-name.sql files applied in order, each
 * recorded in schema_version. `cmpd --migrate` runs them; several hosts
 * may run it at once: the 'migrate' lease (a row of cmpd_lease taken by a
 * conditional UPDATE) serialises them. Not GET_LOCK: on a Galera cluster
 * a named lock is local to one node, and two hosts migrating through two
 * nodes would both get it; a row is certified cluster-wide, so of two
 * concurrent takers one fails and waits.
 *
 * The files are trusted (they ship with cmpd); each statement in them is
 * still run as a prepared statement, as everything cmpd sends.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "cmpd.h"

#define MIGRATE_FILE_MAX	(1024 * 1024)
#define MIGRATE_FILES_MAX	1000
#define MIGRATE_LEASE		600	/* seconds, renewed after each file */
#define MIGRATE_LEASE_RENEW	10	/* and this often while one runs */
#define MIGRATE_LEASE_WAIT	60	/* seconds for another to finish */

/* As schema/0017-lease.sql: the lease exists before any migration. */
static const char migrate_lease_table[] =
    "CREATE TABLE IF NOT EXISTS cmpd_lease ("
    "name VARCHAR(32) NOT NULL PRIMARY KEY, "
    "holder VARCHAR(128) NOT NULL DEFAULT '', "
    "until DATETIME(6) NULL"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
static const char migrate_lease_row[] =
    "INSERT IGNORE INTO cmpd_lease (name) VALUES ('migrate')";
/* Free, given up on (until passed), or ours already (a renewal). */
static const char migrate_lease_take[] = "UPDATE cmpd_lease SET "
    "holder = ?, until = NOW(6) + INTERVAL ? SECOND WHERE name = 'migrate' "
    "AND (holder = ? OR until IS NULL OR until < NOW(6))";
static const char migrate_lease_free[] = "UPDATE cmpd_lease SET "
    "holder = '', until = NULL WHERE name = 'migrate' AND holder = ?";

static int
migrate_exec(MYSQL *m, const char *sql, size_t len)
{
	MYSQL_STMT *st;
	int r = -1;

	if ((st = mysql_stmt_init(m)) == NULL)
		return -1;
	if (mysql_stmt_prepare(st, sql, len) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		log_error("%s", mysql_stmt_error(st));
		goto out;
	}
	/* Drain a result set, if a statement answers one. */
	if (mysql_stmt_field_count(st) > 0) {
		mysql_stmt_store_result(st);
		mysql_stmt_free_result(st);
	}
	r = 0;
 out:
	mysql_stmt_close(st);
	return r;
}

/* One of the lease's UPDATEs: 1 when it changed the row, 0 when not
 * (held by another; a conflict with another node's taker), -1. */
static int
migrate_lease(MYSQL *m, const char *sql, const char *holder, int seconds)
{
	unsigned long hlen = strlen(holder);
	long long secs = seconds;
	unsigned int err;
	MYSQL_STMT *st;
	MYSQL_BIND b[3];
	int r = -1;

	if ((st = mysql_stmt_init(m)) == NULL)
		return -1;
	memset(b, 0, sizeof(b));
	b[0].buffer_type = MYSQL_TYPE_STRING;
	b[0].buffer = (void *)holder;
	b[0].buffer_length = hlen;
	b[0].length = &hlen;
	b[1].buffer_type = MYSQL_TYPE_LONGLONG;
	b[1].buffer = &secs;
	b[2] = b[0];	/* the statements use the first one, or all three */
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		err = mysql_stmt_errno(st);
		if (err == ER_LOCK_DEADLOCK || err == ER_LOCK_WAIT_TIMEOUT)
			r = 0;
		else
			log_error("%s", mysql_stmt_error(st));
		goto out;
	}
	r = mysql_stmt_affected_rows(st) == 1;
 out:
	mysql_stmt_close(st);
	return r;
}

/* Takes the 'migrate' lease, waiting up to MIGRATE_LEASE_WAIT seconds
 * for another host's run. 0 or -1. */
static int
migrate_lease_get(MYSQL *m, const char *holder)
{
	static const struct timespec step = { 0, 500 * 1000000L };
	struct timespec start;
	int r;

	if (migrate_exec(m, migrate_lease_table,
	    sizeof(migrate_lease_table) - 1) != 0 ||
	    migrate_exec(m, migrate_lease_row,
	    sizeof(migrate_lease_row) - 1) != 0)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((r = migrate_lease(m, migrate_lease_take, holder,
	    MIGRATE_LEASE)) == 0) {
		if (util_elapsed_ms(&start) >= MIGRATE_LEASE_WAIT * 1000L)
			break;
		nanosleep(&step, NULL);
	}
	return r == 1 ? 0 : -1;
}

/* SELECT of one integer; -1 on error or NULL. */
static long
migrate_query_int(MYSQL *m, const char *sql)
{
	MYSQL_STMT *st;
	MYSQL_BIND b;
	long long v = 0;
	my_bool is_null = 0;
	long r = -1;

	if ((st = mysql_stmt_init(m)) == NULL)
		return -1;
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_LONGLONG;
	b.buffer = &v;
	b.is_null = &is_null;
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    mysql_stmt_execute(st) != 0 || mysql_stmt_bind_result(st, &b) != 0) {
		log_error("%s", mysql_stmt_error(st));
		goto out;
	}
	if (mysql_stmt_fetch(st) == 0 && !is_null)
		r = (long)v;
 out:
	mysql_stmt_close(st);
	return r;
}

static int
migrate_record(MYSQL *m, long version, const char *name)
{
	static const char sql[] =
	    "INSERT INTO schema_version (version, name) VALUES (?, ?)";
	unsigned long nlen = strlen(name);
	long long v = version;
	MYSQL_STMT *st;
	MYSQL_BIND b[2];
	int r = -1;

	if ((st = mysql_stmt_init(m)) == NULL)
		return -1;
	memset(b, 0, sizeof(b));
	b[0].buffer_type = MYSQL_TYPE_LONGLONG;
	b[0].buffer = &v;
	b[1].buffer_type = MYSQL_TYPE_STRING;
	b[1].buffer = (void *)name;
	b[1].buffer_length = nlen;
	b[1].length = &nlen;
	if (mysql_stmt_prepare(st, sql, sizeof(sql) - 1) != 0 ||
	    mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		log_error("%s", mysql_stmt_error(st));
		goto out;
	}
	r = 0;
 out:
	mysql_stmt_close(st);
	return r;
}

/*
 * Runs the statements of one file: each ends with ';' at the end of a
 * line; lines starting with "--" are comments.
 */
static int
migrate_file(MYSQL *m, const char *path)
{
	unsigned char *buf = NULL;
	char *p, *line, *next, *stmt;
	size_t len, slen = 0;
	int r = -1, n = 0;

	if (util_read_file(path, MIGRATE_FILE_MAX, &buf, &len) != 0) {
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((stmt = malloc(len + 1)) == NULL)
		goto out;
	for (line = (char *)buf; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		p = line + strspn(line, " \t\r");
		if (*p == '\0' || strncmp(p, "--", 2) == 0)
			continue;
		len = strlen(line);
		while (len > 0 && (line[len - 1] == ' ' ||
		    line[len - 1] == '\t' || line[len - 1] == '\r'))
			len--;
		memcpy(stmt + slen, line, len);
		slen += len;
		stmt[slen++] = '\n';
		if (len > 0 && line[len - 1] == ';') {
			slen -= 2;	/* the ';' and '\n' */
			if (migrate_exec(m, stmt, slen) != 0) {
				log_error("%s: statement %d failed", path,
				    n + 1);
				goto out;
			}
			n++;
			slen = 0;
		}
	}
	if (slen > 0) {
		log_error("%s: last statement lacks its ';'", path);
		goto out;
	}
	r = 0;
 out:
	free(stmt);
	free(buf);
	return r;
}

static int
migrate_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Migration files are NNNN-name.sql; returns NNNN or -1. */
static long
migrate_version_of(const char *name)
{
	size_t n = strlen(name);
	long v;
	char num[5];

	if (n < 10 || strcmp(name + n - 4, ".sql") != 0 || name[4] != '-')
		return -1;
	memcpy(num, name, 4);
	num[4] = '\0';
	if (strspn(num, "0123456789") != 4 ||
	    util_parse_long(num, 1, 9999, &v) != 0)
		return -1;
	return v;
}

/*
 * One file may run longer than the lease (a large table rebuilt): while it
 * runs, a child renews the lease every MIGRATE_LEASE_RENEW seconds on a
 * connection of its own, so that another host's cmpd --migrate does not
 * take it and run the same file beside this one. It is killed (SIGKILL:
 * nothing of it needs cleaning up, and no inherited disposition or mask
 * keeps it) after the file and when this process dies
 * (PR_SET_PDEATHSIG); a renewal refused (another holder, a conflict) is
 * tried again at the next tick. Should it stop, the lease lasts
 * MIGRATE_LEASE from its last renewal, as without it. Its pid, or -1.
 */
static pid_t
migrate_keeper_start(const struct conf *c, const char *holder)
{
	static const struct timespec every = { MIGRATE_LEASE_RENEW, 0 };
	pid_t pid, parent = getpid();
	void *mv = NULL;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) != 0)
		return pid;
	/* the parent's connection is the parent's: never used here, and
	 * _exit() leaves it alone */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent || db_connect_once(c, 0, &mv) != 0)
		_exit(1);
	for (;;) {
		nanosleep(&every, NULL);
		switch (migrate_lease(mv, migrate_lease_take, holder,
		    MIGRATE_LEASE)) {
		case 1:
			break;
		case 0:
			log_warn("the migration lease was not renewed while a "
			    "file runs (held by another, or a conflict)");
			break;
		default:
			_exit(1);	/* its connection is gone */
		}
	}
}

static void
migrate_keeper_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

int
migrate_run(const struct conf *c)
{
	static const char version_table[] =
	    "CREATE TABLE IF NOT EXISTS schema_version ("
	    "version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, "
	    "applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) "
	    "ENGINE=InnoDB";
	char *names[MIGRATE_FILES_MAX], path[4096];
	char holder[DB_LEASE_HOLDER_MAX];
	struct dirent *de;
	DIR *dir = NULL;
	void *mv = NULL;
	MYSQL *m;
	size_t i, n = 0;
	long current, v;
	pid_t keeper;
	int r = -1, locked = 0, applied = 0, ok;

	if (db_connect_once(c, 0, &mv) != 0)
		return -1;
	m = mv;
	if ((dir = opendir(c->schema_dir)) == NULL) {
		log_error("schema_dir %s: %s", c->schema_dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		if (migrate_version_of(de->d_name) < 0)
			continue;
		if (n == MIGRATE_FILES_MAX) {
			log_error("schema_dir %s: more than %d migrations",
			    c->schema_dir, MIGRATE_FILES_MAX);
			goto out;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			log_error("out of memory");
			goto out;
		}
		n++;
	}
	if (n == 0) {
		log_error("schema_dir %s: no NNNN-name.sql files",
		    c->schema_dir);
		goto out;
	}
	qsort(names, n, sizeof(names[0]), migrate_name_cmp);
	for (i = 1; i < n; i++) {
		if (migrate_version_of(names[i]) ==
		    migrate_version_of(names[i - 1])) {
			log_error("schema_dir %s: %s and %s have the same "
			    "version", c->schema_dir, names[i - 1], names[i]);
			goto out;
		}
	}
	db_lease_holder(holder, sizeof(holder));
	if (migrate_lease_get(m, holder) != 0) {
		log_error("could not take the migration lease (cmpd_lease "
		    "'migrate'): another cmpd --migrate runs");
		goto out;
	}
	locked = 1;
	if (migrate_exec(m, version_table, sizeof(version_table) - 1) != 0)
		goto out;
	current = migrate_query_int(m,
	    "SELECT COALESCE(MAX(version), 0) FROM schema_version");
	if (current < 0)
		goto out;
	for (i = 0; i < n; i++) {
		v = migrate_version_of(names[i]);
		if (v <= current)
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->schema_dir, names[i]);
		/* DDL commits implicitly in MariaDB: a failed file leaves
		 * its earlier statements applied and unrecorded, and a file
		 * may run whole and stay unrecorded; so every statement of
		 * every file tolerates its own effect already there (IF [NOT]
		 * EXISTS, t/0001 runs each file twice). */
		keeper = migrate_keeper_start(c, holder);
		ok = migrate_file(m, path) == 0;
		migrate_keeper_stop(keeper);
		if (!ok || migrate_record(m, v, names[i]) != 0)
			goto out;
		log_info("applied migration %s", names[i]);
		applied++;
		current = v;
		if (migrate_lease(m, migrate_lease_take, holder,
		    MIGRATE_LEASE) != 1) {
			log_error("lost the migration lease");
			goto out;
		}
	}
	log_info("schema at version %ld (%d migration%s applied)", current,
	    applied, applied == 1 ? "" : "s");
	r = 0;
 out:
	if (locked)
		migrate_lease(m, migrate_lease_free, holder, 0);
	for (i = 0; i < n; i++)
		free(names[i]);
	if (dir != NULL)
		closedir(dir);
	mysql_close(m);
	return r;
}

/* The newest version among schema_dir's NNNN-name.sql files: 0 if there
 * is none, -1 if the directory cannot be read. */
static long
migrate_shipped(const struct conf *c)
{
	struct dirent *de;
	DIR *dir;
	long v, max = 0;

	if ((dir = opendir(c->schema_dir)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		if ((v = migrate_version_of(de->d_name)) > max)
			max = v;
	closedir(dir);
	return max;
}

/*
 * Before the workers start: the database's schema must be at the version
 * of the newest migration in schema_dir at least. A cmpd upgraded before
 * `cmpd --migrate` ran would otherwise fail every request that writes a
 * column of a newer version. 0: it is, or it cannot be told (no database
 * yet: the workers wait for it as ever; logged), or it is newer (a
 * warning); -1: it is older (logged with what to run).
 */
int
migrate_check(const struct conf *c)
{
	void *mv = NULL;
	MYSQL *m;
	long shipped, current;

	if ((shipped = migrate_shipped(c)) <= 0) {
		log_warn("schema_dir %s: no migrations to compare the "
		    "database's schema with", c->schema_dir);
		return 0;
	}
	if (db_connect_once(c, (unsigned int)c->db_connect_timeout,
	    &mv) != 0) {
		log_warn("the database does not answer: its schema version is "
		    "not checked (this cmpd needs version %ld)", shipped);
		return 0;
	}
	m = mv;
	/* no schema_version yet: nothing migrated (version 0) */
	current = migrate_query_int(m, "SELECT COUNT(*) FROM "
	    "information_schema.tables WHERE table_schema = DATABASE() AND "
	    "table_name = 'schema_version'");
	if (current > 0)
		current = migrate_query_int(m,
		    "SELECT COALESCE(MAX(version), 0) FROM schema_version");
	mysql_close(m);
	if (current < 0) {
		log_warn("the database's schema version cannot be read: not "
		    "checked (this cmpd needs version %ld)", shipped);
		return 0;
	}
	if (current < shipped) {
		log_error("the database's schema is at version %ld, this cmpd "
		    "needs version %ld (schema_dir %s): run cmpd --migrate, "
		    "then start cmpd", current, shipped, c->schema_dir);
		return -1;
	}
	/* Beside a newer cmpd, while a cluster is upgraded node by node, or
	 * after a downgrade: this one runs, and may not write what a newer
	 * version's schema wants (e.g. audit rows without their uuid). */
	if (current > shipped)
		log_warn("the database's schema is at version %ld, newer than "
		    "this cmpd's (version %ld, schema_dir %s): what a newer "
		    "version changed may fail here; upgrade this cmpd",
		    current, shipped, c->schema_dir);
	return 0;
}
