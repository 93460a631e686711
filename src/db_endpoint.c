/*
 * Database endpoints: several MariaDB servers (the nodes of a Galera
 * cluster, each taking reads and writes) tried in turn, and the errors
 * after which a whole database transaction is run again. Shared by cmpd
 * and cmp-localca.
 *
 * Galera (MariaDB "Galera Cluster Known Limitations"): a transaction may
 * fail at commit with a certification conflict, reported as a deadlock
 * (1213), and is then run again as a whole; a node outside the primary
 * component answers 1047 and is left for the next one; replication is
 * asynchronous in applying, so a read that must see another node's
 * commit (a certConf after its ip) waits for it with wsrep_sync_wait.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cmpd.h"

#define DB_PASSWORD_MAX	1024

static const char *const db_retry_names[DB_RETRY__COUNT] = {
	[DB_RETRY_NO] = "none",
	[DB_RETRY_DEADLOCK] = "deadlock",
	[DB_RETRY_LOCK_WAIT] = "lock_wait_timeout",
	[DB_RETRY_LOST] = "connection_lost",
};

/*
 * A configuration's database endpoints (cmpd's and cmp-localca's keys):
 * db_hosts (the nodes of a Galera cluster, tried in turn), else db_host
 * and port; none when socket is set (it wins, as over db_host). 0, or
 * -1 with err naming the key.
 */
int
db_endpoints_conf(const char *socket, const char *hosts, const char *host,
    int port, struct db_endpoint *ep, size_t *n, char *err, size_t errlen)
{
	char msg[256];

	*n = 0;
	if (socket != NULL)
		return 0;
	if (db_hosts_parse(hosts != NULL ? hosts : host, port, ep,
	    hosts != NULL ? DB_HOSTS_MAX : 1, n, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", hosts != NULL ? "db_hosts" :
		    "db_host", msg);
		return -1;
	}
	return 0;
}

/*
 * "host[:port], host[:port], ..." into ep (at most max); an IPv6 address
 * with a port is written [addr]:port. 0, or -1 with err.
 */
int
db_hosts_parse(const char *list, int default_port, struct db_endpoint *ep,
    size_t max, size_t *n, char *err, size_t errlen)
{
	const char *p = list, *start, *end, *colon, *hend;
	char num[8];
	size_t len, hlen;
	long port;

	*n = 0;
	while (*p != '\0') {
		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		start = p;
		end = p + strcspn(p, " \t,");
		len = (size_t)(end - p);
		if (*n == max) {
			snprintf(err, errlen, "more than %zu endpoints", max);
			return -1;
		}
		port = default_port;
		if (*p == '[') {
			if ((hend = memchr(p, ']', len)) == NULL)
				goto bad;
			colon = hend + 1 < end && hend[1] == ':' ? hend + 1 :
			    NULL;
			if (hend + 1 != end && colon == NULL)
				goto bad;
			p++;
		} else {
			colon = memchr(p, ':', len);
			if (colon != NULL && memchr(colon + 1, ':',
			    (size_t)(end - colon - 1)) != NULL)
				colon = NULL;	/* a bare IPv6 address */
			hend = colon != NULL ? colon : end;
		}
		hlen = (size_t)(hend - p);
		/* a name or an address: nothing to escape in logs or labels */
		if (hlen == 0 || hlen > DB_HOST_MAX || strspn(p, "abcdefghijklm"
		    "nopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:%") <
		    hlen)
			goto bad;
		if (colon != NULL) {
			if ((size_t)(end - colon - 1) >= sizeof(num) ||
			    end == colon + 1)
				goto bad;
			memcpy(num, colon + 1, (size_t)(end - colon - 1));
			num[end - colon - 1] = '\0';
			if (strspn(num, "0123456789") != strlen(num) ||
			    util_parse_long(num, 1, 65535, &port) != 0)
				goto bad;
		}
		memcpy(ep[*n].host, p, hlen);
		ep[*n].host[hlen] = '\0';
		ep[*n].port = (int)port;
		(*n)++;
		p = end;
	}
	if (*n == 0) {
		snprintf(err, errlen, "no endpoint");
		return -1;
	}
	return 0;
 bad:
	snprintf(err, errlen, "not host[:port]: \"%.*s\"", (int)len, start);
	return -1;
}

/* "host:port" (or "[v6]:port", or the socket path) of endpoint i. */
void
db_endpoint_name(const struct db_login *l, size_t i, char *buf, size_t n)
{
	if (l->n == 0)
		snprintf(buf, n, "%s", l->socket != NULL ? l->socket :
		    "localhost");
	else if (strchr(l->ep[i].host, ':') != NULL)
		snprintf(buf, n, "[%s]:%d", l->ep[i].host, l->ep[i].port);
	else
		snprintf(buf, n, "%s:%d", l->ep[i].host, l->ep[i].port);
}

enum db_retry
db_retry_class(unsigned int err)
{
	switch (err) {
	case ER_LOCK_DEADLOCK:	/* Galera: a certification conflict too */
		return DB_RETRY_DEADLOCK;
	case ER_LOCK_WAIT_TIMEOUT:
		return DB_RETRY_LOCK_WAIT;
	default:
		return db_is_lost(err) ? DB_RETRY_LOST : DB_RETRY_NO;
	}
}

const char *
db_retry_name(enum db_retry r)
{
	return (unsigned)r < DB_RETRY__COUNT ? db_retry_names[r] : "none";
}

/*
 * Before attempt number attempt (1, 2, ...) of a transaction: sleeps
 * DB_BACKOFF_MS << (attempt - 1) plus as much jitter at most, so that two
 * workers that conflicted do not meet again at once.
 */
void
db_backoff(int attempt)
{
	unsigned int base, jitter = 0;
	struct timespec ts;

	if (attempt < 1)
		return;
	base = DB_BACKOFF_MS << (attempt > 6 ? 5 : attempt - 1);
	if (RAND_bytes((unsigned char *)&jitter, sizeof(jitter)) != 1)
		jitter = 0;
	base += jitter % (base + 1);
	ts.tv_sec = base / 1000;
	ts.tv_nsec = (long)(base % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* One value of a SELECT (first column, first row) as text; -1 on error
 * with *err the server's error number. */
static int
db_open_value(MYSQL *m, const char *sql, char *buf, size_t n,
    unsigned int *err)
{
	MYSQL_STMT *st;
	MYSQL_BIND b;
	unsigned long len = 0;
	my_bool is_null = 0;
	int r = -1;

	*err = 0;
	buf[0] = '\0';
	if ((st = mysql_stmt_init(m)) == NULL)
		return -1;
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_STRING;
	b.buffer = buf;
	b.buffer_length = n - 1;
	b.length = &len;
	b.is_null = &is_null;
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    mysql_stmt_execute(st) != 0 ||
	    (mysql_stmt_field_count(st) > 0 &&
	    (mysql_stmt_bind_result(st, &b) != 0 ||
	    mysql_stmt_fetch(st) == 1))) {
		*err = mysql_stmt_errno(st);
		goto out;
	}
	buf[len < n ? len : n - 1] = '\0';
	if (is_null)
		buf[0] = '\0';
	r = 0;
 out:
	mysql_stmt_close(st);
	return r;
}

/*
 * A new connection, asked whether it is a Galera node: 1 (causal reads
 * set for the session), 0 (a plain server), -1 (a node that may not be
 * used now: not synced with the primary component).
 */
static int
db_open_galera(MYSQL *m, const char *name)
{
	static const char sql_on[] = "SELECT @@wsrep_on";
	static const char sql_ready[] = "SELECT VARIABLE_VALUE FROM "
	    "information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = "
	    "'WSREP_READY'";
	/* 1: every read of the session first waits until this node applied
	 * what the cluster committed before it (causal reads). Set per
	 * session: follow-up messages (certConf, pollReq, rr, kur) read the
	 * state another node may have just written, and cmpd's reads are
	 * few and small. */
	static const char sql_wait[] = "SET SESSION wsrep_sync_wait = 1";
	char v[32];
	unsigned int err;

	if (db_open_value(m, sql_on, v, sizeof(v), &err) != 0)
		/* ER_UNKNOWN_COM_ERROR: a node out of the primary
		 * component; any other: no wsrep variables at all */
		return err == ER_UNKNOWN_COM_ERROR ? -1 : 0;
	if (strcmp(v, "1") != 0 && strcasecmp(v, "ON") != 0)
		return 0;
	if (db_open_value(m, sql_ready, v, sizeof(v), &err) != 0 ||
	    strcasecmp(v, "ON") != 0) {
		log_warn("MariaDB %s: Galera node not ready (wsrep_ready=%s)",
		    name, v[0] != '\0' ? v : "?");
		return -1;
	}
	if (db_open_value(m, sql_wait, v, sizeof(v), &err) != 0) {
		log_warn("MariaDB %s: cannot set wsrep_sync_wait (error %u)",
		    name, err);
		return -1;
	}
	return 1;
}

/*
 * Every session in UTC: deadlines, leases and back-offs are written with
 * NOW() by one session and compared with NOW() by another (a worker's
 * and the sweep's, on another Galera node perhaps), and the API gives
 * times as UTC. In the server's time zone a node ahead of another (or a
 * change to summer time) would find every deadline past.
 *
 * With io_timeout (the seconds an answer is waited for), no lock is
 * waited for longer than DB_LOCK_WAIT_MARGIN seconds less: a row lock
 * (innodb_lock_wait_timeout, 50 s by default) or a table's metadata lock
 * (lock_wait_timeout, a year), say behind a migration's ALTER. A longer
 * wait ended as a lost connection while the statement ran on and could
 * commit after its caller had given it up; a lock wait timeout is an
 * answer, the statement rolled back. The server's lower settings stay.
 */
static int
db_open_session(MYSQL *m, const char *name, unsigned int io_timeout)
{
	char sql[192], v[8];
	unsigned int err, w;

	if (io_timeout > DB_LOCK_WAIT_MARGIN) {
		w = io_timeout - DB_LOCK_WAIT_MARGIN;
		snprintf(sql, sizeof(sql), "SET time_zone = '+00:00', "
		    "innodb_lock_wait_timeout = "
		    "LEAST(@@GLOBAL.innodb_lock_wait_timeout, %u), "
		    "lock_wait_timeout = LEAST(@@GLOBAL.lock_wait_timeout, %u)",
		    w, w);
	} else
		snprintf(sql, sizeof(sql), "SET time_zone = '+00:00'");
	if (db_open_value(m, sql, v, sizeof(v), &err) != 0) {
		log_warn("MariaDB %s: cannot set the session's time zone and "
		    "lock waits (error %u)", name, err);
		return -1;
	}
	return 0;
}

/* Reads the password file (its first line); *size is what to wipe. */
int
db_open_password(const struct db_login *l, char **pw, size_t *size)
{
	unsigned char *buf = NULL;
	size_t len;

	*pw = NULL;
	*size = 0;
	if (l->password_file == NULL)
		return 0;
	if (util_read_file(l->password_file, DB_PASSWORD_MAX, &buf,
	    &len) != 0) {
		log_error("db_password_file %s: %s", l->password_file,
		    strerror(errno));
		return -1;
	}
	buf[strcspn((char *)buf, "\r\n")] = '\0';
	*pw = (char *)buf;
	*size = len;
	return 0;
}

/*
 * Opens a connection to the first endpoint that answers, starting at
 * *cur and going round the list once; *cur becomes the one that
 * answered, *failed how many did not before it. up (may be NULL) gets
 * per endpoint 1 (answered), 2 (did not), 0 (not tried). io_timeout 0
 * waits as long as the server takes (migrations). *galera: 1 on a Galera
 * node (causal reads set).
 */
int
db_open(const struct db_login *l, unsigned int io_timeout, size_t *cur,
    int *failed, unsigned char *up, int *galera, void **out)
{
	unsigned int timeout = (unsigned int)l->connect_timeout;
	size_t n = l->n > 0 ? l->n : 1, k, i = 0;
	char *pw = NULL, name[DB_HOST_MAX + 16];
	size_t pw_size = 0;
	MYSQL *m = NULL;
	int g, r = -1;

	*out = NULL;
	*failed = 0;
	*galera = 0;
	if (up != NULL)
		memset(up, 0, n);
	if (*cur >= n)
		*cur = 0;
	if (db_open_password(l, &pw, &pw_size) != 0)
		return -1;
	for (k = 0; k < n; k++) {
		i = (*cur + k) % n;
		db_endpoint_name(l, i, name, sizeof(name));
		if ((m = mysql_init(NULL)) == NULL)
			goto out;
		mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
		if (io_timeout > 0) {
			mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
			mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
		}
		mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
		if (mysql_real_connect(m, l->n == 0 ? NULL : l->ep[i].host,
		    l->user, pw, l->name, l->n == 0 ? 0 :
		    (unsigned int)l->ep[i].port, l->n == 0 ? l->socket : NULL,
		    0) == NULL) {
			log_error("cannot connect to MariaDB %s: %s", name,
			    mysql_error(m));
		} else if ((g = db_open_galera(m, name)) >= 0 &&
		    db_open_session(m, name, io_timeout) == 0) {
			*galera = g;
			break;
		}
		mysql_close(m);
		m = NULL;
		if (up != NULL)
			up[i] = 2;
		(*failed)++;
	}
	if (m == NULL)
		goto out;
	if (up != NULL)
		up[i] = 1;
	if (*failed > 0)
		log_warn("MariaDB: using %s (%d endpoint%s did not answer)",
		    name, *failed, *failed == 1 ? "" : "s");
	*cur = i;
	*out = m;
	r = 0;
 out:
	if (pw != NULL) {
		OPENSSL_cleanse(pw, pw_size);
		free(pw);
	}
	return r;
}

/*
 * Who holds a lease (cmpd_lease, schema/0017): "host:pid:random", unique
 * among the processes of all hosts, and telling an operator who it is.
 */
void
db_lease_holder(char *buf, size_t n)
{
	char host[64];
	unsigned int rnd = 0;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = 0;
	snprintf(buf, n, "%s:%ld:%08x", host, (long)getpid(), rnd);
}
