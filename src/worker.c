/*
 * A worker: accepts FastCGI requests one at a time and serves them until
 * told to stop or until it has served max_requests.
 *
 * Signals are blocked except while the worker waits in ppoll(), so a
 * SIGTERM never interrupts a request half-way: it is taken between
 * requests and the worker leaves after the one in flight.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <openssl/err.h>

#include "cmpd.h"

static volatile sig_atomic_t worker_stop;

static void
worker_on_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static void
worker_signals(sigset_t *wait_mask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);	/* the master reloads */
	sigaction(SIGPIPE, &sa, NULL);	/* a web server that hung up */
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, wait_mask);
	sigdelset(wait_mask, SIGTERM);
	sigdelset(wait_mask, SIGINT);
}

/*
 * Waits until fd is readable or a signal came. The listening socket is
 * non-blocking, so losing the accept race to another worker costs one
 * EAGAIN, never a blocked worker.
 */
static int
worker_wait(int fd, const sigset_t *wait_mask)
{
	struct pollfd pfd;
	int n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	n = ppoll(&pfd, 1, NULL, wait_mask);
	if (n < 0 && errno != EINTR)
		return -1;
	return 0;
}

void
worker_main(const struct conf *c, int listen_fd, int slot)
{
	FCGX_Request rq;
	sigset_t wait_mask;
	unsigned long served = 0;
	int rc, fd, status = 0;

	/* Leave with the master, whatever killed it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	worker_signals(&wait_mask);
	db_configure(c);
	cmp_server_init(c);
	if (FCGX_InitRequest(&rq, listen_fd, 0) != 0)
		fatal("FCGX_InitRequest failed");
	log_debug("worker %d ready", slot);

	while (!worker_stop) {
		/* A web server that keeps its FastCGI connection open sends
		 * the next request on it; otherwise wait for a new one. */
		fd = rq.ipcFd >= 0 ? rq.ipcFd : listen_fd;
		if (worker_wait(fd, &wait_mask) != 0) {
			log_error("poll: %s", strerror(errno));
			status = 1;
			break;
		}
		if (worker_stop)
			break;
		rc = FCGX_Accept_r(&rq);
		if (rc < 0) {
			if (rc == -EAGAIN || rc == -EWOULDBLOCK ||
			    rc == -EINTR)
				continue;
			log_error("FCGX_Accept_r: %s", strerror(-rc));
			status = 1;
			break;
		}
		http_serve(&rq, c, ++served);
		FCGX_Finish_r(&rq);
		ERR_clear_error();
		if (c->max_requests > 0 && served >= (unsigned long)c->max_requests) {
			log_info("worker %d recycled after %lu requests", slot,
			    served);
			break;
		}
	}
	FCGX_Free(&rq, 1);
	db_close();
	cmp_server_done();
	exit(status);
}
