/*
 * `cmpd -n`: what can be checked without starting. conf_load has parsed
 * the file; this checks, as the workers will run (after dropping to
 * `user`), that the user exists, that the files they read open, and that
 * the database answers with the configured credentials.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mysql.h>

#include "cmpd.h"

/* A secret any user may read (daemon_secret_modes()): said, not refused. */
static void
check_secret_mode(const char *what)
{
	fprintf(stderr, "cmpd: warning: %s\n", what);
}

/* One file the workers read: it must open for reading. */
static int
check_file(const char *key, const char *path, const char *who)
{
	int fd;

	if (path == NULL)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "cmpd: %s %s: %s (read as %s)\n", key, path,
		    strerror(errno), who);
		return -1;
	}
	close(fd);
	return 0;
}

/* In a child that became the workers' user: 0 when all is well. */
static int
check_as_worker(const struct conf *c, int with_db, const char *who)
{
	void *m = NULL;
	int bad = 0;

	/* the database's password: with the database (--no-db, before the
	 * database exists, checks neither) */
	if (with_db)
		bad |= check_file("db_password_file", c->db_password_file,
		    who);
	bad |= check_file("secret_key_file", c->secret_key_file, who);
	bad |= check_file("secret_key_file_previous",
	    c->secret_key_file_previous, who);
	/* read by libcurl at every https connector call */
	bad |= check_file("connector_ca_file", c->connector_ca_file, who);
	if (!bad && c->secret_key_file != NULL && secret_init(c) != 0) {
		fprintf(stderr, "cmpd: secret_key_file %s%s%s: not a key (64 "
		    "hex digits)\n", c->secret_key_file,
		    c->secret_key_file_previous != NULL ? " or " : "",
		    c->secret_key_file_previous != NULL ?
		    c->secret_key_file_previous : "");
		bad = 1;
	}
	if (!bad && with_db) {
		if (db_connect_once(c, (unsigned int)c->db_connect_timeout,
		    &m) != 0) {
			fprintf(stderr, "cmpd: the database does not answer "
			    "(db_host/db_socket, db_user, db_password_file, "
			    "db_name; -n --no-db skips this check)\n");
			bad = 1;
		} else
			mysql_close(m);
	}
	return bad ? -1 : 0;
}

int
check_run(const struct conf *c, int with_db, int allow_root)
{
	struct passwd *pw = NULL;
	const char *who;
	pid_t pid;
	int status;

	if (c->user != NULL && (pw = getpwnam(c->user)) == NULL) {
		fprintf(stderr, "cmpd: user %s: no such user\n", c->user);
		return -1;
	}
	if (c->listen_group != NULL && getgrnam(c->listen_group) == NULL) {
		fprintf(stderr, "cmpd: listen_group %s: no such group\n",
		    c->listen_group);
		return -1;
	}
	daemon_secret_modes(c, check_secret_mode);
	if (daemon_as_root(c->user) && !allow_root) {
		fprintf(stderr, "cmpd: user: %s; started as root, cmpd "
		    "refuses to run its workers as root (set user to an "
		    "unprivileged user, or start with --allow-root)\n",
		    c->user == NULL ? "not set" : "root (uid 0)");
		return -1;
	}
	who = pw != NULL && geteuid() == 0 ? c->user : "the current user";
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1) {
		fprintf(stderr, "cmpd: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* as master_drop_privileges() leaves the workers */
		if (pw != NULL && geteuid() == 0 &&
		    daemon_setids(pw->pw_uid, pw->pw_gid) == -1) {
			fprintf(stderr, "cmpd: cannot become %s: %s\n",
			    c->user, strerror(errno));
			_exit(1);
		}
		_exit(check_as_worker(c, with_db, who) == 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
