/*
 * A worker: accepts FastCGI requests one at a time and serves them until
 * told to stop or until it has served max_requests.
 *
 * SIGTERM and SIGINT are blocked except while the worker waits in ppoll(),
 * so a signal never interrupts a request half-way: it is taken between
 * requests and the worker leaves after the one in flight.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <openssl/err.h>

#include "cmpd.h"
#include "conn.h"
#include "cert_cache.h"
#include "chain_memo.h"
#include "fastcgi.h"
#include "key_memo.h"
#include "keyless.h"
#include "mac_memo.h"

/* Housekeeping of the per-worker memos (mac_memo): an idle worker wakes
 * for it at least this often, and for its sweep when that is due. */
#define TICK_MS			5000
#define SWEEP_BATCH		20

static volatile sig_atomic_t worker_stop;

static void
worker_on_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

int
worker_stopping(void)
{
	return worker_stop != 0;
}

/*
 * The master forks with its signals blocked; the handlers are in place
 * before anything is unblocked, so no signal reaches libfcgi's handlers or
 * the master's dispositions.
 */
void
worker_signals(sigset_t *stop_set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = worker_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);	/* the master reloads */
	sigaction(SIGPIPE, &sa, NULL);	/* a web server that hung up */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);

	sigemptyset(stop_set);
	sigaddset(stop_set, SIGTERM);
	sigaddset(stop_set, SIGINT);
	sigprocmask(SIG_SETMASK, stop_set, NULL);
}

/*
 * The worker's own epoll instance with the listening socket in it,
 * EPOLLEXCLUSIVE: a new connection wakes one of the idle workers, not all
 * of them (each woken for nothing costs two context switches and an
 * EAGAIN, every idle worker for every request when load is light). -1
 * when the kernel refuses (before Linux 4.5): then ppoll(), which wakes
 * them all.
 */
static int
worker_epoll(int fd)
{
	static int epfd = -1, epfd_for = -1, refused;
	struct epoll_event ev;

	if (epfd >= 0 && epfd_for == fd)
		return epfd;
	if (refused)
		return -1;
	if (epfd >= 0)
		close(epfd);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		log_warn("epoll for the listening socket: %s; every idle "
		    "worker wakes for each request", strerror(errno));
		if (epfd >= 0)
			close(epfd);
		epfd = -1;
		refused = 1;
		return -1;
	}
	epfd_for = fd;
	return epfd;
}

/*
 * Waits until the listening socket is readable or a stop signal came.
 * epoll_pwait() and ppoll() that find the socket readable return without
 * running a pending handler (Linux restores the mask first), so pending
 * stop signals are also taken here explicitly: under steady load the
 * socket is always readable. The socket is non-blocking, so losing the
 * accept race to another worker costs one EAGAIN, never a blocked
 * worker.
 */
int
worker_wait(int fd, const sigset_t *stop_set, int timeout_ms)
{
	static const struct timespec zero = { 0, 0 };
	struct epoll_event ev;
	struct timespec ts;
	struct pollfd pfd;
	sigset_t none;
	int epfd, r;

	sigemptyset(&none);
	if ((epfd = worker_epoll(fd)) >= 0)
		r = epoll_pwait(epfd, &ev, 1, timeout_ms, &none);
	else {
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		r = ppoll(&pfd, 1, timeout_ms < 0 ? NULL : &ts, &none);
	}
	if (r < 0 && errno != EINTR)
		return -1;
	if (sigtimedwait(stop_set, NULL, &zero) > 0)
		worker_stop = 1;
	return 0;
}

/* Milliseconds until the tick or the sweep is due, the sooner. */
static int
worker_timeout(const struct timespec *last_tick,
    const struct timespec *last_sweep, long sweep_ms)
{
	double ms = TICK_MS - util_elapsed_ms(last_tick), sweep;

	if (sweep_ms > 0 && (sweep = sweep_ms - util_elapsed_ms(last_sweep)) <
	    ms)
		ms = sweep;
	/* rounded up: a wake-up a hair early would find nothing due */
	return ms <= 0 ? 0 : (int)ms + 1;
}

void
worker_main(const struct conf *c, int listen_fd, int slot)
{
	FCGX_Request rq;
	struct timespec last_sweep, last_tick;
	sigset_t stop_set;
	long sweep_ms;
	unsigned long served = 0;
	int rc, status = 0;

	worker_signals(&stop_set);
	/* Leave with the master, whatever killed it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		exit(0);
	db_configure(c);
	cmp_server_init(c);
	cmp_ca_init(c);
	profile_cache_init(c);
	if (secret_init(c) != 0)
		fatal("cannot load secret_key_file");
	if (conn_init(c) != 0)
		fatal("cannot set up the connector client");
	if (FCGX_InitRequest(&rq, listen_fd, 0) != 0)
		fatal("FCGX_InitRequest failed");
	log_debug("worker %d ready", slot);

	clock_gettime(CLOCK_MONOTONIC, &last_sweep);
	last_tick = last_sweep;
	sweep_ms = c->sweep_interval * 1000L;
	while (!worker_stop) {
		/* Unconfirmed certificates past their deadline are revoked
		 * by whichever worker gets there (cmp_sweep), also when no
		 * request comes; sweep_interval 0 leaves it to
		 * `cmpd --sweep`. */
		if (sweep_ms > 0 && util_elapsed_ms(&last_sweep) >= sweep_ms) {
			if (cmp_sweep(c, SWEEP_BATCH, 0, -1, NULL) < 0)
				log_warn("sweep: database unavailable");
			clock_gettime(CLOCK_MONOTONIC, &last_sweep);
		}
		if (util_elapsed_ms(&last_tick) >= TICK_MS) {
			mac_memo_expire(time(NULL));
			clock_gettime(CLOCK_MONOTONIC, &last_tick);
		}
		if (worker_wait(listen_fd, &stop_set, worker_timeout(&last_tick,
		    &last_sweep, sweep_ms)) != 0) {
			log_error("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (worker_stop)
			break;
		/* After a timeout this is one EAGAIN, as after a lost race. */
		rc = fastcgi_accept(&rq);
		if (rc < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK) {
				log_debug("worker %d: woken, no connection "
				    "to accept", slot);
				continue;
			}
			if (rc == -EINTR || rc == -ECONNABORTED)
				continue;
			log_error("FCGX_Accept_r: %s", strerror(-rc));
			status = 1;
			break;
		}
		http_serve(&rq, c, ++served);
		conn_request_end();
		fastcgi_finish(&rq);	/* and its connection */
		cmp_device_settle();	/* what waited for the answer to leave */
		ERR_clear_error();
		if (c->max_requests > 0 &&
		    served >= (unsigned long)c->max_requests) {
			log_info("worker %d recycled after %lu requests", slot,
			    served);
			break;
		}
	}
	FCGX_Free(&rq, 1);
	cmp_ca_done();
	profile_done();
	spki_done();
	cert_cache_flush();
	chain_memo_flush();
	mac_memo_flush();
	key_memo_flush();
	conn_done();
	db_close();
	cmp_server_done();
	keyless_done();
	exit(status);
}
