/*
 * cmp-localca with workers = N > 1: the process that bound the socket
 * forks N workers, which accept on it each one request at a time, and
 * stays to keep them:
 *   - a worker that dies is started again, after a pause when it lived
 *     less than LCA_QUICK_DEATH_MS, so a crash loop cannot spin;
 *   - SIGTERM/SIGINT are passed on; every worker finishes its request
 *     and leaves, and one still there after LCA_STOP_WAIT_MS is killed;
 *   - SIGHUP/SIGUSR1 (log_file moved) are passed on.
 * Each worker opens its own database connection at its first request.
 * What workers share lives in the database, as for two cmp-localca on
 * one table: serials and UUIDs are random, a requestId is a unique key.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "localca.h"

#define LCA_QUICK_DEATH_MS	2000
#define LCA_RESPAWN_PAUSE_MS	1000
#define LCA_STOP_WAIT_MS	30000

struct lca_worker {
	pid_t	 pid;		/* 0: not running */
	long long started;	/* ms, lca_now() */
	long long start_at;	/* not running: start again from then */
	pid_t	 last;		/* the worker this one replaces; 0: none */
};

/* Milliseconds on the monotonic clock. */
static long long
lca_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * Forks one worker: 0 in it (the caller serves), 1 in the supervisor,
 * -1 when fork failed.
 */
static int
lca_worker_start(struct lca_worker *w, const sigset_t *worker_mask,
    pid_t supervisor)
{
	struct sigaction sa;
	pid_t pid;

	if ((pid = fork()) == -1) {
		log_error("fork: %s", strerror(errno));
		w->start_at = lca_now() + LCA_RESPAWN_PAUSE_MS;
		return -1;
	}
	if (pid == 0) {
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &sa, NULL);
		/* gone with the supervisor, after the request in flight */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != supervisor)
			lca_stop = 1;
		sigprocmask(SIG_SETMASK, worker_mask, NULL);
		return 0;
	}
	w->pid = pid;
	w->started = lca_now();
	if (w->last != 0)
		log_info("worker %ld started in place of %ld", (long)pid,
		    (long)w->last);
	else
		log_info("worker %ld started", (long)pid);
	return 1;
}

/* Reaps the workers that ended; schedules their restart unless stopping. */
static int
lca_reap(struct lca_worker *ws, int n, int stopping)
{
	struct lca_worker *w;
	pid_t pid;
	int i, st, left = 0;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (w = NULL, i = 0; i < n && w == NULL; i++)
			if (ws[i].pid == pid)
				w = &ws[i];
		if (w == NULL)
			continue;
		w->pid = 0;
		w->last = pid;
		if (stopping)
			continue;
		if (WIFSIGNALED(st))
			log_error("worker %ld killed by signal %d; starting "
			    "another", (long)pid, WTERMSIG(st));
		else
			log_warn("worker %ld exited with status %d; starting "
			    "another", (long)pid, WEXITSTATUS(st));
		w->start_at = lca_now() - w->started < LCA_QUICK_DEATH_MS ?
		    lca_now() + LCA_RESPAWN_PAUSE_MS : 0;
	}
	for (i = 0; i < n; i++)
		left += ws[i].pid != 0;
	return left;
}

static void
lca_signal_all(const struct lca_worker *ws, int n, int sig)
{
	int i;

	for (i = 0; i < n; i++)
		if (ws[i].pid != 0)
			kill(ws[i].pid, sig);
}

/* After a stop signal: pass it on, wait, kill the late. */
static void
lca_stop_all(struct lca_worker *ws, int n, const sigset_t *set)
{
	struct timespec tick = { 0, 100 * 1000000L };
	long long until = lca_now() + LCA_STOP_WAIT_MS;

	lca_signal_all(ws, n, SIGTERM);
	while (lca_reap(ws, n, 1) > 0) {
		if (lca_now() >= until) {
			log_warn("workers still busy after %d s: killed",
			    LCA_STOP_WAIT_MS / 1000);
			lca_signal_all(ws, n, SIGKILL);
			until = lca_now() + LCA_STOP_WAIT_MS;
		}
		(void)sigtimedwait(set, NULL, &tick);
	}
}

/* Waits for a signal, at most until the next worker is due to start. */
static int
lca_wait_signal(const struct lca_worker *ws, int n, const sigset_t *set)
{
	struct timespec t;
	long long due = -1, now = lca_now();
	int i;

	for (i = 0; i < n; i++)
		if (ws[i].pid == 0 && (due < 0 || ws[i].start_at < due))
			due = ws[i].start_at;
	if (due < 0)
		return sigwaitinfo(set, NULL);
	due = due > now ? due - now : 0;
	t.tv_sec = (time_t)(due / 1000);
	t.tv_nsec = (long)(due % 1000) * 1000000L;
	return sigtimedwait(set, NULL, &t);
}

int
lca_workers(int n)
{
	struct lca_worker *ws;
	sigset_t set, worker_mask;
	pid_t self = getpid();
	int i, sig;

	if ((ws = calloc((size_t)n, sizeof(*ws))) == NULL)
		fatal("out of memory");
	/* an inherited SIG_IGN would reap them unseen */
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &worker_mask);
	log_info("starting %d workers", n);
	for (;;) {
		for (i = 0; i < n; i++) {
			if (ws[i].pid != 0 || ws[i].start_at > lca_now())
				continue;
			if (lca_worker_start(&ws[i], &worker_mask, self) == 0) {
				free(ws);
				return 0;
			}
		}
		sig = lca_wait_signal(ws, n, &set);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP || sig == SIGUSR1) {
			log_reopen();
			log_info("log_file reopened");
			lca_signal_all(ws, n, sig);
		}
		(void)lca_reap(ws, n, 0);
	}
	log_info("stopping %d workers", n);
	lca_stop_all(ws, n, &set);
	free(ws);
	return 1;
}
