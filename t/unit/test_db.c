/* db_endpoint.c: the db_hosts list, endpoint names, and which errors
 * make a database transaction run again. */
#include "config.h"

#include <string.h>

#include <mysqld_error.h>
#include <errmsg.h>

#include "cmpd.h"
#include "tap.h"

static void
parses(const char *list, size_t want_n, const char *first, int port,
    const char *last, int last_port)
{
	struct db_endpoint ep[DB_HOSTS_MAX];
	char err[256] = "";
	size_t n = 99;
	int rc;

	rc = db_hosts_parse(list, 3306, ep, DB_HOSTS_MAX, &n, err, sizeof(err));
	ok(rc == 0 && n == want_n && strcmp(ep[0].host, first) == 0 &&
	    ep[0].port == port && strcmp(ep[n - 1].host, last) == 0 &&
	    ep[n - 1].port == last_port, "\"%s\": %zu endpoints, %s:%d .. "
	    "%s:%d", list, want_n, first, port, last, last_port);
	if (rc != 0)
		diag("%s", err);
}

static void
refuses(const char *list, const char *why)
{
	struct db_endpoint ep[DB_HOSTS_MAX];
	char err[256] = "";
	size_t n;

	ok(db_hosts_parse(list, 3306, ep, DB_HOSTS_MAX, &n, err,
	    sizeof(err)) != 0 && strstr(err, why) != NULL,
	    "\"%s\" refused: %s", list, err);
}

int
main(void)
{
	struct db_endpoint ep[DB_HOSTS_MAX];
	struct db_login l;
	char name[DB_HOST_MAX + 16];

	parses("127.0.0.1", 1, "127.0.0.1", 3306, "127.0.0.1", 3306);
	parses("127.0.0.1:3307", 1, "127.0.0.1", 3307, "127.0.0.1", 3307);
	parses("127.0.0.1:3306, 127.0.0.1:3307,127.0.0.1:3308", 3,
	    "127.0.0.1", 3306, "127.0.0.1", 3308);
	parses("db1.example, db2.example:3310", 2, "db1.example", 3306,
	    "db2.example", 3310);
	parses("[::1]:3307, ::1", 2, "::1", 3307, "::1", 3306);
	parses(" a , b ,", 2, "a", 3306, "b", 3306);
	refuses("", "no endpoint");
	refuses(" , ", "no endpoint");
	refuses("a:0", "not host[:port]");
	refuses("a:65536", "not host[:port]");
	refuses("a:33x6", "not host[:port]");
	refuses("a:", "not host[:port]");
	refuses("[::1]x", "not host[:port]");
	refuses("[::1", "not host[:port]");
	refuses("a\"b", "not host[:port]");
	refuses("a,b,c,d,e,f,g,h,i", "more than 8 endpoints");

	memset(&l, 0, sizeof(l));
	memset(ep, 0, sizeof(ep));
	snprintf(ep[0].host, sizeof(ep[0].host), "127.0.0.1");
	ep[0].port = 3307;
	snprintf(ep[1].host, sizeof(ep[1].host), "::1");
	ep[1].port = 3306;
	l.ep = ep;
	l.n = 2;
	db_endpoint_name(&l, 0, name, sizeof(name));
	is_str(name, "127.0.0.1:3307", "endpoint name host:port");
	db_endpoint_name(&l, 1, name, sizeof(name));
	is_str(name, "[::1]:3306", "endpoint name [v6]:port");
	l.n = 0;
	l.socket = "/run/mysqld/mysqld.sock";
	db_endpoint_name(&l, 0, name, sizeof(name));
	is_str(name, "/run/mysqld/mysqld.sock", "endpoint name: the socket");

	/* MariaDB Galera: a certification conflict is reported as 1213 */
	is_int(db_retry_class(ER_LOCK_DEADLOCK), DB_RETRY_DEADLOCK,
	    "1213 deadlock: run again");
	is_int(db_retry_class(ER_LOCK_WAIT_TIMEOUT), DB_RETRY_LOCK_WAIT,
	    "1205 lock wait timeout: run again");
	is_int(db_retry_class(CR_SERVER_GONE_ERROR), DB_RETRY_LOST,
	    "2006 server gone: run again on a new connection");
	is_int(db_retry_class(CR_SERVER_LOST), DB_RETRY_LOST,
	    "2013 lost during query: run again on a new connection");
	is_int(db_retry_class(ER_CONNECTION_KILLED), DB_RETRY_LOST,
	    "1927 connection killed: run again on a new connection");
	is_int(db_retry_class(ER_UNKNOWN_COM_ERROR), DB_RETRY_LOST,
	    "1047 Galera node not ready: run again on another node");
	is_int(db_retry_class(ER_DUP_ENTRY), DB_RETRY_NO,
	    "1062 duplicate key: not run again (transactionIdInUse)");
	is_int(db_retry_class(ER_PARSE_ERROR), DB_RETRY_NO,
	    "1064 syntax error: not run again");
	is_int(db_retry_class(0), DB_RETRY_NO, "no error: not run again");
	is_str(db_retry_name(DB_RETRY_DEADLOCK), "deadlock", "label deadlock");
	is_str(db_retry_name(DB_RETRY_LOCK_WAIT), "lock_wait_timeout",
	    "label lock_wait_timeout");
	is_str(db_retry_name(DB_RETRY_LOST), "connection_lost",
	    "label connection_lost");
	return done_testing();
}
