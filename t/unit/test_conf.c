/* conf.c: defaults, every key, and the errors an operator can make. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmpd.h"
#include "tap.h"

static char path[] = "/tmp/cmpd-test-conf-XXXXXX";

static int
load(const char *text, struct conf *c, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return conf_load(path, c, err, errlen);
}

static void
expect_error(const char *text, const char *want, const char *what)
{
	struct conf c;
	char err[512] = "";
	int r = load(text, &c, err, sizeof(err));

	ok(r != 0 && strstr(err, want) != NULL, "%s: error names \"%s\"",
	    what, want);
	if (r == 0 || strstr(err, want) == NULL)
		diag("got \"%s\"", err);
	conf_free(&c);
}

int
main(void)
{
	struct conf c;
	char err[512];
	int fd;

	fd = mkstemp(path);
	close(fd);

	is_int(load("# empty\n\n", &c, err, sizeof(err)), 0, "empty file loads");
	is_str(c.listen, "inherit", "default listen is inherit");
	is_int(c.workers, 2, "default workers");
	is_int((long long)c.body_max, 256 * 1024, "default body_max 256 KiB");
	is_int(c.body_timeout, 30, "default body_timeout 30 s");
	is_int(c.max_requests, 10000, "default max_requests");
	is_str(c.server_name, "CN=cmpd", "default server_name");
	is_int(c.message_time_skew, 300, "default skew");
	is_str(c.db_name, "cmpd", "default db_name");
	is_int(c.log_level, LOG_LVL_INFO, "default log level");
	conf_free(&c);

	is_int(load("listen = /tmp/x.sock\nworkers=7\n  max_requests = 0 \n"
	    "body_max = 1024\nserver_name = /CN=srv/O=Example\n"
	    "log_level = debug\nlog_facility = local3\nlisten_mode = 0600\n"
	    "db_socket = /tmp/db.sock\ndb_user = u\ndb_password_file = /p\n"
	    "db_name = n\ndb_port = 3307\ndb_host = h\n"
	    "db_connect_timeout = 9\nschema_dir = /s\npid_file = /pid\n"
	    "user = nobody\ngraceful_timeout = 4\nlisten_backlog = 5\n"
	    "message_time_skew = 0\n", &c, err, sizeof(err)), 0,
	    "every key loads");
	is_str(c.listen, "/tmp/x.sock", "listen");
	is_int(c.workers, 7, "workers");
	is_int(c.max_requests, 0, "max_requests");
	is_int((long long)c.body_max, 1024, "body_max");
	is_str(c.server_name, "/CN=srv/O=Example", "server_name");
	is_int(c.log_level, LOG_LVL_DEBUG, "log_level");
	is_int(c.listen_mode, 0600, "listen_mode is octal");
	is_str(c.db_socket, "/tmp/db.sock", "db_socket");
	is_int(c.db_port, 3307, "db_port");
	is_int(c.db_connect_timeout, 9, "db_connect_timeout");
	is_str(c.schema_dir, "/s", "schema_dir");
	is_int(c.graceful_timeout, 4, "graceful_timeout");
	is_int(c.message_time_skew, 0, "skew 0 disables");
	conf_free(&c);

	/* a # after a blank starts a comment; one inside a value does not */
	is_int(load("listen = /tmp/c.sock      # the web server connects here\n"
	    "workers = 8\t# two per core\nuser = nobody   #\n"
	    "server_name = CN=#1,O=x#y\n", &c, err, sizeof(err)), 0,
	    "trailing comments load");
	is_str(c.listen, "/tmp/c.sock", "a trailing comment is not the value");
	is_int(c.workers, 8, "after a tab too");
	is_str(c.user, "nobody", "an empty comment");
	is_str(c.server_name, "CN=#1,O=x#y", "a # without a blank before it "
	    "stays in the value");
	conf_free(&c);
	expect_error("workers = 8# two per core\n", "workers: expected an "
	    "integer", "a # right after the value is part of it");

	expect_error("lsten = x\n", "line 1: unknown key \"lsten\"", "typo");
	expect_error("\n\nworkers\n", "line 3: expected key = value",
	    "missing =");
	expect_error("workers = 0\n", "workers: expected an integer from 1",
	    "workers 0");
	expect_error("workers = two\n", "workers: expected an integer",
	    "workers not a number");
	expect_error("body_max = 99999999999\n", "body_max", "body_max too big");
	expect_error("body_timeout = 0\n", "body_timeout", "body_timeout 0");
	expect_error("log_level = loud\n", "log_level", "bad log level");
	expect_error("log_facility = kern9\n", "log_facility", "bad facility");
	expect_error("listen_mode = 999\n", "listen_mode", "bad mode");
	expect_error("server_name = nonsense\n", "server_name",
	    "server_name not a DN");
	expect_error("listen =\n", "listen: empty", "empty listen");
	ok(conf_load("/nonexistent/cmpd.conf", &c, err, sizeof(err)) != 0 &&
	    strstr(err, "cannot read") != NULL, "missing file is an error");
	conf_free(&c);

	unlink(path);
	return done_testing();
}
