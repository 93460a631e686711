/*
 * The master: binds the FastCGI socket (or inherits it: fd 0 from spawn-fcgi,
 * fd 3 from a systemd .socket unit), forks the workers, respawns the ones
 * that die, and turns signals into life-cycle events:
 *   SIGTERM/SIGINT  stop accepting, let in-flight requests finish
 *                   (graceful_timeout), exit 0;
 *   SIGHUP          re-read the configuration; new workers start before the
 *                   old ones are told to leave after their request, so no
 *                   request is dropped.
 *   SIGUSR1         open log_file again (logrotate); the workers are
 *                   replaced the same way.
 * A worker that dies soon after its start is respawned with a growing delay
 * so a crash loop cannot spin.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "cmpd.h"

#define RESPAWN_QUICK_MS	2000	/* a death this soon counts as a crash */
#define RESPAWN_DELAY_MIN_MS	100
#define RESPAWN_DELAY_MAX_MS	10000

struct child {
	pid_t	 pid;
	int	 slot;		/* -1: retired (reload or stop) */
	int	 conn_idx;	/* its connector busy flag, -1: none */
	int	 termed;	/* retired and sent SIGTERM */
	struct timespec started;
	struct timespec kill_at;	/* retired: SIGKILL after this */
};

struct slot {
	pid_t	 pid;		/* 0: empty */
	int	 crashes;	/* consecutive quick deaths */
	struct timespec not_before;
};

static struct child *children;
static size_t nchildren, children_cap;
static struct slot *slots;
static int nslots;
/* Which child holds each connector busy flag (metrics.c); 0: free. */
static pid_t conn_owner[METRICS_CONN_SLOTS];
/* the listening socket is a Unix one (api_remote_user needs it) */
static int master_listen_unix;
/* the socket handed over (inherit, systemd) lets other users connect,
 * by its file's mode (-1: it has none) */
static int master_listen_open, master_listen_mode = -1;

/* Why api_remote_user is refused on the socket handed over: its mode. */
static const char *
master_open_why(int mode)
{
	static char why[160];

	if (mode < 0)
		snprintf(why, sizeof(why), "api_remote_user needs a socket "
		    "other users cannot connect to; the one handed over has no "
		    "file whose mode says so");
	else
		snprintf(why, sizeof(why), "api_remote_user needs a socket "
		    "other users cannot connect to; the one handed over has "
		    "mode %04o (SocketMode=0660 and a group)", mode);
	return why;
}

static void
ts_add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static int
master_listen_tcp(const struct conf *c)
{
	struct addrinfo hints, *res = NULL;
	char host[256], *port;
	const char *h = c->listen;
	size_t hl;
	int fd, on = 1, e;

	/* host:port or [v6]:port */
	if (*h == '[') {
		h++;
		if ((port = strstr(h, "]:")) == NULL)
			fatal("listen %s: expected [address]:port", c->listen);
		hl = (size_t)(port - h);
		port += 2;
	} else {
		if ((port = strrchr(h, ':')) == NULL || port == h)
			fatal("listen %s: expected a path, host:port, "
			    "inherit or systemd", c->listen);
		hl = (size_t)(port - h);
		port++;
	}
	if (hl >= sizeof(host))
		fatal("listen %s: host too long", c->listen);
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		fatal("listen %s: %s", c->listen, gai_strerror(e));
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol)) == -1)
		fatal("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1)
		fatal("bind %s: %s", c->listen, strerror(errno));
	freeaddrinfo(res);
	if (listen(fd, c->listen_backlog) == -1)
		fatal("listen %s: %s", c->listen, strerror(errno));
	return fd;
}

#define SD_LISTEN_FDS_START	3	/* sd_listen_fds(3) */

/*
 * "systemd": the socket of a .socket unit, passed as sd_listen_fds(3)
 * describes (without libsystemd): fd 3, valid only when LISTEN_PID names
 * this process. The variables are removed so that no process started later
 * takes them for its own.
 */
static int
master_listen_systemd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int fd = SD_LISTEN_FDS_START, val;
	socklen_t len = sizeof(val);
	long n;

	if (pid == NULL || fds == NULL)
		fatal("listen = systemd, but LISTEN_PID and LISTEN_FDS are "
		    "not set: start cmpd through cmpd.socket (systemd socket "
		    "activation), or set listen to a socket path");
	if (util_parse_long(pid, 1, LONG_MAX, &n) != 0 || n != (long)getpid())
		fatal("listen = systemd, but LISTEN_PID=%.32s is not this "
		    "process (%ld)", pid, (long)getpid());
	if (util_parse_long(fds, 0, 1024, &n) != 0 || n != 1)
		fatal("listen = systemd takes exactly one socket, but "
		    "LISTEN_FDS=%.32s", fds);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &val, &len) == -1 ||
	    val != SOCK_STREAM)
		fatal("listen = systemd, but fd 3 is not a stream socket");
	/* Accept=yes would pass one connection, not the listener. */
	len = sizeof(val);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &val, &len) == -1 ||
	    val == 0)
		fatal("listen = systemd, but fd 3 is not listening (the "
		    ".socket unit needs Accept=no)");
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		fatal("fcntl: %s", strerror(errno));
	return fd;
}

/*
 * The listening socket, non-blocking (see worker.c). "inherit" takes fd 0,
 * as spawn-fcgi and lighttpd's bin-path hand it over; "systemd" fd 3.
 */
int
master_listen(const struct conf *c)
{
	int fd, type;
	socklen_t len = sizeof(type);

	if (strcmp(c->listen, "inherit") == 0) {
		fd = 0;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_STREAM)
			fatal("listen = inherit, but fd 0 is not a stream "
			    "socket");
	} else if (strcmp(c->listen, "systemd") == 0) {
		fd = master_listen_systemd();
	} else {
		if (c->listen[0] == '/') {
			fd = daemon_listen_unix(c->listen, c->listen_mode,
			    c->listen_backlog);
			daemon_socket_group(c->listen, c->listen_group);
		}
		else
			fd = master_listen_tcp(c);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl: %s", strerror(errno));
	/* a socket handed over (inherit, systemd) may be TCP too, or one
	 * any user may connect to: connect(2) needs write permission
	 * (conf.c checks listen_mode of a socket cmpd makes itself) */
	master_listen_unix = daemon_fd_is_unix(fd);
	if (c->listen[0] != '/' && master_listen_unix) {
		master_listen_mode = daemon_fd_unix_mode(fd);
		master_listen_open = master_listen_mode < 0 ||
		    (master_listen_mode & 0002) != 0;
	}
	if (c->api_remote_user != 0 && !master_listen_unix)
		fatal("%s", CONF_REMOTE_USER_TCP);
	if (c->api_remote_user != 0 && master_listen_open)
		fatal("%s", master_open_why(master_listen_mode));
	return fd;
}

/*
 * Binds first, as root if need be, then leaves root (OpenBSD httpd).
 * Workers parse what clients send: as root, only when asked for
 * (--allow-root).
 */
static void
master_drop_privileges(const struct conf *c, int allow_root)
{
	if (daemon_as_root(c->user) && !allow_root)
		fatal("refusing to run the workers as root: set \"user\" in "
		    "%s to an unprivileged user (e.g. user = cmpd), or start "
		    "cmpd with --allow-root", c->path);
	if (c->user == NULL || geteuid() != 0)
		return;
	/* socket and pid file removable at the stop (master_run) */
	daemon_become_user(c->user, c->listen, c->listen_group != NULL,
	    c->pid_file);
}

/* The connector workers cap of c: connector_workers_max, or workers - 1. */
static int
master_conn_cap(const struct conf *c)
{
	int n = c->connector_workers_max > 0 ? c->connector_workers_max :
	    c->workers - 1;

	return n > 0 ? n : 1;
}

static int
master_conn_index(void)
{
	int i;

	for (i = 0; i < METRICS_CONN_SLOTS; i++)
		if (conn_owner[i] == 0)
			return i;
	return -1;
}

static struct child *
master_add_child(pid_t pid, int slot)
{
	struct child *n;

	if (nchildren == children_cap) {
		children_cap = children_cap ? 2 * children_cap : 16;
		if ((n = reallocarray(children, children_cap,
		    sizeof(*n))) == NULL)
			fatal("out of memory");
		children = n;
	}
	n = &children[nchildren++];
	memset(n, 0, sizeof(*n));
	n->pid = pid;
	n->slot = slot;
	n->conn_idx = -1;
	clock_gettime(CLOCK_MONOTONIC, &n->started);
	return n;
}

static void
master_spawn(struct conf *c, int fd, int slot)
{
	int idx = master_conn_index();
	pid_t pid;

	if (idx < 0)
		log_warn("no free connector busy flag: worker %d makes no "
		    "connector calls", slot);
	else
		/* before the fork: the child may set it at once */
		metrics_conn_clear(idx);
	if ((pid = fork()) == -1) {
		log_error("fork: %s", strerror(errno));
		clock_gettime(CLOCK_MONOTONIC, &slots[slot].not_before);
		ts_add_ms(&slots[slot].not_before, RESPAWN_DELAY_MAX_MS);
		return;
	}
	if (pid == 0) {
		metrics_conn_slot(idx);
		/* Signals stay blocked until worker_main() has its handlers. */
		worker_main(c, fd, slot);
	}
	slots[slot].pid = pid;
	master_add_child(pid, slot)->conn_idx = idx;
	if (idx >= 0)
		conn_owner[idx] = pid;
	log_debug("worker %d started, pid %ld", slot, (long)pid);
}

/* 0, then 100 ms doubling per consecutive quick death, at most 10 s. */
static long
master_backoff_ms(int crashes)
{
	long delay = RESPAWN_DELAY_MIN_MS;
	int k;

	if (crashes <= 0)
		return 0;
	for (k = 1; k < crashes && delay < RESPAWN_DELAY_MAX_MS; k++)
		delay *= 2;
	return delay < RESPAWN_DELAY_MAX_MS ? delay : RESPAWN_DELAY_MAX_MS;
}

static void
master_reap(void)
{
	struct timespec now;
	struct child *ch;
	struct slot *s;
	double ran_ms;
	long delay;
	pid_t pid;
	size_t i;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (i = 0; i < nchildren; i++)
			if (children[i].pid == pid)
				break;
		if (i == nchildren)
			continue;
		ch = &children[i];
		ran_ms = util_elapsed_ms(&ch->started);
		/* Killed inside a connector call: its place is free again. */
		if (ch->conn_idx >= 0) {
			metrics_conn_clear(ch->conn_idx);
			conn_owner[ch->conn_idx] = 0;
		}
		if (ch->slot >= 0 && ch->slot < nslots &&
		    slots[ch->slot].pid == pid) {
			s = &slots[ch->slot];
			s->pid = 0;
			clock_gettime(CLOCK_MONOTONIC, &now);
			s->not_before = now;
			metrics_worker_restart(WIFEXITED(st) &&
			    WEXITSTATUS(st) == 0);
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
				/* recycled after max_requests */
				s->crashes = 0;
			} else {
				if (ran_ms < RESPAWN_QUICK_MS)
					s->crashes++;
				else
					s->crashes = 0;
				delay = master_backoff_ms(s->crashes);
				ts_add_ms(&s->not_before, delay);
				if (WIFSIGNALED(st))
					log_warn("worker %d (pid %ld) killed "
					    "by signal %d; respawn in %ld ms",
					    ch->slot, (long)pid, WTERMSIG(st),
					    delay);
				else
					log_warn("worker %d (pid %ld) exited "
					    "with %d; respawn in %ld ms",
					    ch->slot, (long)pid,
					    WEXITSTATUS(st), delay);
			}
		}
		children[i] = children[--nchildren];
	}
}

/* Retires every current worker; master_term_retired() tells them. */
static void
master_retire_all(int graceful_timeout)
{
	struct timespec now;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < nchildren; i++) {
		if (children[i].slot >= 0) {
			children[i].slot = -1;
			children[i].kill_at = now;
			ts_add_ms(&children[i].kill_at,
			    (long)graceful_timeout * 1000);
		}
	}
}

/* Retired workers leave after their current request (SIGTERM). */
static void
master_term_retired(void)
{
	size_t i;

	for (i = 0; i < nchildren; i++) {
		if (children[i].slot < 0 && !children[i].termed) {
			kill(children[i].pid, SIGTERM);
			children[i].termed = 1;
		}
	}
}

/* SIGKILLs draining workers past their deadline. */
static void
master_kill_late(void)
{
	struct timespec now;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (i = 0; i < nchildren; i++) {
		if (children[i].slot < 0 &&
		    ts_before(&children[i].kill_at, &now)) {
			log_warn("worker pid %ld did not finish in time; "
			    "killing it", (long)children[i].pid);
			kill(children[i].pid, SIGKILL);
			children[i].kill_at.tv_sec += 3600;
		}
	}
}

static void
master_resize_slots(int n)
{
	struct slot *s;

	if ((s = calloc((size_t)n, sizeof(*s))) == NULL)
		fatal("out of memory");
	free(slots);
	slots = s;
	nslots = n;
}

/* Moves *old into *new (freeing new's), warning when they differ. */
static void
master_keep_str(char **new, char **old, const char *key)
{
	if ((*new == NULL) != (*old == NULL) ||
	    (*new != NULL && strcmp(*new, *old) != 0))
		log_warn("%s changed: takes effect on restart", key);
	free(*new);
	*new = *old;
	*old = NULL;
}

static void
master_keep_int(int *new, int old, const char *key)
{
	if (*new != old)
		log_warn("%s changed: takes effect on restart", key);
	*new = old;
}

/* The key file of c the master, as the workers' user, cannot load
 * (secret_key_check()), and which it is; NULL when they all load. */
static const char *
master_key_unloadable(const struct conf *c, const char **what)
{
	if (c->secret_key_file != NULL &&
	    secret_key_check(c->secret_key_file) != 0) {
		*what = "secret_key_file";
		return c->secret_key_file;
	}
	if (c->secret_key_file_previous != NULL &&
	    secret_key_check(c->secret_key_file_previous) != 0) {
		*what = "secret_key_file_previous";
		return c->secret_key_file_previous;
	}
	return NULL;
}

/* A secret any user may read (daemon_secret_modes()): logged. */
static void
master_secret_mode(const char *what)
{
	log_warn("%s", what);
}

/* Whether a and b name the same database endpoints in the same order. */
static int
master_db_same(const struct conf *a, const struct conf *b)
{
	size_t i;

	if (a->db_nep != b->db_nep)
		return 0;
	if (a->db_nep == 0)
		return (a->db_socket == NULL) == (b->db_socket == NULL) &&
		    (a->db_socket == NULL ||
		    strcmp(a->db_socket, b->db_socket) == 0);
	for (i = 0; i < a->db_nep; i++)
		if (strcmp(a->db_ep[i].host, b->db_ep[i].host) != 0 ||
		    a->db_ep[i].port != b->db_ep[i].port)
			return 0;
	return 1;
}

/* SIGHUP: a valid new configuration replaces the old, else nothing changes. */
static int
master_reload(struct conf *c)
{
	char err[512];
	const char *key, *what;
	struct conf nc;

	if (conf_load(c->path, &nc, err, sizeof(err)) != 0) {
		log_error("reload refused, keeping the running configuration: "
		    "%s", err);
		return -1;
	}
	if (nc.api_remote_user != 0 && !master_listen_unix) {
		log_error("reload refused, keeping the running configuration: "
		    "%s", CONF_REMOTE_USER_TCP);
		conf_free(&nc);
		return -1;
	}
	if (nc.api_remote_user != 0 && master_listen_open) {
		log_error("reload refused, keeping the running configuration: "
		    "%s", master_open_why(master_listen_mode));
		conf_free(&nc);
		return -1;
	}
	/* Every new worker loads them at its start, as the master's user: a
	 * key it cannot load (a key rotated to, still root's alone) would
	 * leave no worker serving anything. */
	if ((key = master_key_unloadable(&nc, &what)) != NULL) {
		log_error("reload refused, keeping the running configuration: "
		    "%s %s cannot be loaded by the workers' user (its owner "
		    "or group that user, mode 0640 at most)", what, key);
		conf_free(&nc);
		return -1;
	}
	/* What was done at start-up stays as it is until a restart: the
	 * listening socket, the pid file, the user, where logs go. */
	master_keep_str(&nc.listen, &c->listen, "listen");
	master_keep_str(&nc.listen_group, &c->listen_group, "listen_group");
	master_keep_str(&nc.pid_file, &c->pid_file, "pid_file");
	master_keep_str(&nc.user, &c->user, "user");
	master_keep_str(&nc.log_file, &c->log_file, "log_file");
	master_keep_int(&nc.log_facility, c->log_facility, "log_facility");
	master_keep_int(&nc.listen_mode, c->listen_mode, "listen_mode");
	master_keep_int(&nc.listen_backlog, c->listen_backlog,
	    "listen_backlog");
	/* cmpd_db_endpoint_up is kept by position in the list */
	if (!master_db_same(c, &nc))
		metrics_db_endpoints_reset();
	conf_free(c);
	*c = nc;
	log_set_level(c->log_level);
	log_info("configuration reloaded from %s", c->path);
	daemon_secret_modes(c, master_secret_mode);
	return 0;
}

int
master_run(struct conf *c, int fd, int allow_root)
{
	struct timespec now, wait, next;
	sigset_t set;
	siginfo_t info;
	int i, sig, alive, stopping = 0;

	/* The pid file is written while still root: its directory is
	 * usually root's. */
	if (daemon_write_pid(c->pid_file) != 0)
		return 1;
	daemon_secret_modes(c, master_secret_mode);
	master_drop_privileges(c, allow_root);
	/* An inherited SIG_IGN would let the kernel reap workers unseen. */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	/* main() blocked SIGHUP and SIGUSR1 while it started: one sent
	 * meanwhile is taken now */
	signal(SIGUSR1, SIG_DFL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	master_resize_slots(c->workers);
	/* Before the first fork: every worker inherits the counters. */
	if (metrics_init() != 0)
		fatal("cannot map the metrics counters: %s", strerror(errno));
	if (profile_cache_map() != 0)
		fatal("cannot map the profile cache's generation: %s",
		    strerror(errno));
	metrics_conn_cap(master_conn_cap(c));
	log_info("cmpd %s listening on %s with %d worker%s", CMPD_VERSION,
	    c->listen, c->workers, c->workers == 1 ? "" : "s");

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		next = now;
		ts_add_ms(&next, 1000);
		for (i = 0; i < nslots && !stopping; i++) {
			if (slots[i].pid != 0)
				continue;
			if (!ts_before(&now, &slots[i].not_before))
				master_spawn(c, fd, i);
			else if (ts_before(&slots[i].not_before, &next))
				next = slots[i].not_before;
		}
		for (i = 0, alive = 0; i < nslots; i++)
			alive += slots[i].pid != 0;
		metrics_workers_alive(alive);
		/* After a reload the new workers exist before this. */
		master_term_retired();
		master_kill_late();
		if (stopping && nchildren == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		wait.tv_sec = next.tv_sec - now.tv_sec;
		wait.tv_nsec = next.tv_nsec - now.tv_nsec;
		if (wait.tv_nsec < 0) {
			wait.tv_sec--;
			wait.tv_nsec += 1000000000L;
		}
		if (wait.tv_sec < 0)
			wait.tv_sec = wait.tv_nsec = 0;
		sig = sigtimedwait(&set, &info, &wait);
		switch (sig) {
		case SIGCHLD:
			master_reap();
			break;
		case SIGUSR1:
			/* logrotate moved log_file: the master opens it
			 * again, new workers inherit it, the old ones leave
			 * after their request */
			if (stopping || c->log_file == NULL)
				break;
			log_reopen();
			log_info("log_file reopened");
			master_retire_all(c->graceful_timeout);
			master_resize_slots(c->workers);
			break;
		case SIGHUP:
			if (stopping || master_reload(c) != 0)
				break;
			log_reopen();
			master_retire_all(c->graceful_timeout);
			master_resize_slots(c->workers);
			metrics_conn_cap(master_conn_cap(c));
			break;
		case SIGTERM:
		case SIGINT:
			if (!stopping)
				log_info("stopping: waiting up to %d s for "
				    "requests in flight", c->graceful_timeout);
			stopping = 1;
			master_retire_all(c->graceful_timeout);
			break;
		default:
			break;
		}
	}
	/* After a switch to "user", these may be root's to remove. */
	if (c->listen[0] == '/' && unlink(c->listen) == -1)
		log_warn("cannot remove %s: %s", c->listen, strerror(errno));
	if (c->pid_file != NULL && unlink(c->pid_file) == -1)
		log_warn("cannot remove %s: %s", c->pid_file, strerror(errno));
	free(slots);
	free(children);
	log_info("stopped");
	return 0;
}
