/*
 * Start-up of a server process, shared by cmpd and cmp-localca: its
 * listening Unix socket, detaching from the terminal, the pid file.
 * Failures here are fatal: nothing has been served yet.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmpd.h"

/*
 * A listening Unix socket at path (shared with cmp-localca). A stale
 * socket of an earlier run is replaced; a live one belongs to a running
 * server, and anything else is not ours to remove.
 */
int
daemon_listen_unix(const char *path, int mode, int backlog)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rc, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fatal("listen %s: path too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket: %s", strerror(errno));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			fatal("listen %s: exists and is not a socket", path);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			fatal("listen %s: another process is listening there",
			    path);
		unlink(path);
	}
	/* The mode from the start, through the umask: a chmod(path) after
	 * the bind would follow whatever link the directory's owner (often
	 * the user the workers become) put there meanwhile. */
	old = umask(~(mode_t)mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	saved = errno;
	umask(old);
	if (rc == -1)
		fatal("bind %s: %s", path, strerror(saved));
	if (listen(fd, backlog) == -1)
		fatal("listen %s: %s", path, strerror(errno));
	return fd;
}

/* Whether fd is a Unix socket (1), another one (0). */
int
daemon_fd_is_unix(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}

/*
 * The mode of the file a Unix socket fd is bound to (0 .. 07777), or -1
 * when it has none (unnamed, abstract: anyone in the network namespace
 * may connect) or it cannot be looked at.
 */
int
daemon_fd_unix_mode(int fd)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	char path[sizeof(sun.sun_path) + 1];
	size_t n;
	struct stat st;

	memset(&sun, 0, sizeof(sun));
	if (getsockname(fd, (struct sockaddr *)&sun, &len) != 0 ||
	    sun.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) ||
	    sun.sun_path[0] == '\0')
		return -1;
	n = len - offsetof(struct sockaddr_un, sun_path);
	if (n > sizeof(sun.sun_path))
		n = sizeof(sun.sun_path);
	memcpy(path, sun.sun_path, n);
	path[n] = '\0';
	if (stat(path, &st) != 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/*
 * Detaches from the terminal (daemon mode of cmpd and cmp-localca). fd 0
 * stays when it is the inherited listening socket; the rest goes to
 * /dev/null. Configured paths are absolute, so chdir("/") changes nothing
 * they name.
 */
void
daemon_detach(int listen_fd)
{
	int fd;

	if (daemon(0, 1) == -1)
		fatal("daemon: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null: %s", strerror(errno));
	if (listen_fd != STDIN_FILENO)
		dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Writes this process' id to path (a regular file of one name only,
 * util_open_write); 0 when path is NULL. */
int
daemon_write_pid(const char *path)
{
	FILE *f;
	int fd;

	if (path == NULL)
		return 0;
	if ((fd = util_open_write(path, 0644, 1)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		log_error("pid_file %s: %s", path,
		    util_open_write_error(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

/*
 * Hands the directory of path to uid:gid when systemd made it for this
 * service (RuntimeDirectory=, named in $RUNTIME_DIRECTORY, a colon-
 * separated list) and it is still root's: a server that binds as root
 * and then runs as "user" can then remove its socket and pid file there
 * when it stops. Any other directory is left as it is. Called as root,
 * before the switch; 0 also when there is nothing to do.
 */
int
daemon_own_runtime_dir(const char *path, uid_t uid, gid_t gid)
{
	char buf[PATH_MAX], list[4096], *dir, *tok, *save = NULL;
	const char *env = getenv("RUNTIME_DIRECTORY");
	struct stat st;

	if (path == NULL || path[0] != '/' || env == NULL ||
	    strlen(path) >= sizeof(buf) || strlen(env) >= sizeof(list))
		return 0;
	memcpy(buf, path, strlen(path) + 1);
	dir = dirname(buf);
	memcpy(list, env, strlen(env) + 1);
	for (tok = strtok_r(list, ":", &save); tok != NULL;
	    tok = strtok_r(NULL, ":", &save)) {
		if (strcmp(tok, dir) != 0)
			continue;
		if (lstat(dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != 0)
			return 0;
		if (lchown(dir, uid, gid) == -1) {
			log_warn("chown %s: %s", dir, strerror(errno));
			return -1;
		}
		return 0;
	}
	return 0;
}

/*
 * This process as uid with group gid only, as the workers run (no
 * supplementary groups). 0, or -1 with errno.
 */
int
daemon_setids(uid_t uid, gid_t gid)
{
	return setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1 ? -1 : 0;
}

/*
 * Runs as user from now on (called as root, after binding): the Unix
 * socket listen (when it is one) becomes the user's, in the user's group
 * unless keep_group (listen_group chose one), the directories systemd
 * made for the socket and pid_file become removable by the user
 * (daemon_own_runtime_dir), and root cannot be regained. Exits on any
 * failure: a server must not go on with privileges it meant to drop.
 */
void
daemon_become_user(const char *user, const char *listen, int keep_group,
    const char *pid_file)
{
	struct passwd *pw;

	if ((pw = getpwnam(user)) == NULL)
		fatal("user %s: unknown", user);
	/* lchown: a link put where the socket was is not followed */
	if (listen[0] == '/' && lchown(listen, pw->pw_uid,
	    keep_group ? (gid_t)-1 : pw->pw_gid) == -1)
		fatal("chown %s: %s", listen, strerror(errno));
	if (listen[0] == '/')
		daemon_own_runtime_dir(listen, pw->pw_uid, pw->pw_gid);
	daemon_own_runtime_dir(pid_file, pw->pw_uid, pw->pw_gid);
	if (daemon_setids(pw->pw_uid, pw->pw_gid) == -1)
		fatal("cannot drop privileges to %s: %s", user,
		    strerror(errno));
	if (pw->pw_uid != 0 && setuid(0) != -1)
		fatal("could regain root after switching to %s", user);
}

/*
 * What is said of a file of secrets (key names it: secret_key_file, ...)
 * at path that any user may read or write, into buf: 1; 0 when none may
 * (or it cannot be looked at). The workers need it as their user or
 * group (mode 0640, cmpd.conf(5)); others never.
 */
int
daemon_secret_mode(const char *key, const char *path, char *buf, size_t n)
{
	struct stat st;

	if (path == NULL || stat(path, &st) != 0 || (st.st_mode & 007) == 0)
		return 0;
	snprintf(buf, n, "%s %s can be read or written by any user (mode "
	    "%04o): give it mode 0640, owned by root and the workers' group",
	    key, path, (unsigned int)st.st_mode & 07777);
	return 1;
}

/*
 * The files of c that hold secrets (the master key, the one before it,
 * the database's password) that any user may read or write, each said
 * (daemon_secret_mode()) to say.
 */
void
daemon_secret_modes(const struct conf *c, void (*say)(const char *what))
{
	const char *keys[] = { "secret_key_file", "secret_key_file_previous",
	    "db_password_file" };
	const char *paths[] = { c->secret_key_file,
	    c->secret_key_file_previous, c->db_password_file };
	char what[PATH_MAX + 160];
	size_t i;

	for (i = 0; i < NITEMS(paths); i++)
		if (daemon_secret_mode(keys[i], paths[i], what, sizeof(what)))
			say(what);
}

/*
 * Would the workers run as root: started as root, and user (the
 * configuration's "user") unset, or a user of uid 0 (root, or another
 * name for it)? An unknown user is not root (daemon_become_user()
 * refuses it).
 */
int
daemon_as_root(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	return user == NULL || ((pw = getpwnam(user)) != NULL &&
	    pw->pw_uid == 0);
}

/*
 * Can user read path as the workers run, with its uid and primary group
 * only (daemon_become_user())? 1 yes; 0 no, the errno of its open(2) in
 * *err; -1 cannot tell (no such user, or this process is neither root
 * nor that user).
 */
int
daemon_user_can_read(const char *user, const char *path, int *err)
{
	struct passwd *pw;
	pid_t pid;
	int fd, status;

	*err = 0;
	if ((pw = getpwnam(user)) == NULL)
		return -1;
	if (geteuid() == pw->pw_uid) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			*err = errno;
			return 0;
		}
		close(fd);
		return 1;
	}
	if (geteuid() != 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (daemon_setids(pw->pw_uid, pw->pw_gid) == -1)
			_exit(255);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			_exit(errno > 0 && errno < 255 ? errno : EACCES);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 255)
		return -1;
	*err = WEXITSTATUS(status);
	return *err == 0;
}

/*
 * Gives the Unix socket at path to group (listen_group), so that a web
 * server of that group may connect with listen_mode 0660 and nobody else;
 * nothing when group is NULL. Fatal at start-up, like the bind.
 */
void
daemon_socket_group(const char *path, const char *group)
{
	struct group *gr;

	if (group == NULL)
		return;
	if ((gr = getgrnam(group)) == NULL)
		fatal("listen_group %s: no such group", group);
	if (lchown(path, (uid_t)-1, gr->gr_gid) == -1)
		fatal("chown %s to group %s: %s", path, group,
		    strerror(errno));
}
