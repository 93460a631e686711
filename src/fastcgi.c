/*
 * How a worker reads a FastCGI request's body, and ends the request and
 * its connection, for cmpd's workers and cmp-localca's alike.
 *
 * A body has a time limit in all (DESIGN invariant 5): a web server that
 * passes the body on as its client sends it (Apache's mod_proxy_fcgi)
 * would otherwise hold the worker for as long as a client trickles it.
 * Each read of the connection waits at most that long (SO_RCVTIMEO, set
 * once per request); between reads the time since the body's reading
 * began is checked. Out of time, the caller answers (408 for a body it
 * wanted) and closes the connection a second later without reading the
 * rest (fastcgi_abandon; FCGX_Detach: no graceful close either, which
 * would read on as long as the web server sends).
 *
 * libfcgi also reads on its own, where no check of cmpd's runs between
 * its reads: the request's BEGIN_REQUEST and params (FCGX_Accept_r, before
 * any SO_RCVTIMEO can be set), records that carry nothing of the body
 * (its fill loop reads on through another request id's records, padding,
 * a header sent a byte at a time), and its graceful close. A peer that
 * stalls there, or trickles such records, would hold the worker for
 * good. A watchdog bounds each of these steps: armed, a timer sends
 * SIGALRM at the step's deadline and then every FASTCGI_WATCH_AGAIN_MS,
 * so that any read, select or write of the connection that blocks past
 * it fails with EINTR (the handler does nothing and is installed without
 * SA_RESTART); disarmed as soon as libfcgi returns, so nothing else a
 * worker does is interrupted. A peer that floods records without pause
 * never blocks a read, and is bounded by nothing but its own sending.
 *
 * One request per connection: a connection the web server keeps open
 * (FCGI_KEEP_CONN) would pin the worker while other clients wait for it.
 *
 * libfcgi closes a connection gracefully: it shuts down its sending side,
 * then waits up to 2 s for the web server to close first, so that a TCP
 * reset cannot destroy an answer still in flight. A unix-domain socket
 * has no reset: what was written stays readable after close. There a
 * connection with nothing left unread is closed at once (a detached
 * request's connection is closed without the wait), so that the worker
 * does not wait for the web server to get round to its close and is not
 * woken by it. Unread bytes keep the graceful close: closing over them
 * would report ECONNRESET to the web server.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cmpd.h"
#include "fastcgi.h"

/* BEGIN_REQUEST and params: a web server sends them as it connects */
#define FASTCGI_HEAD_MS		5000
/* the answer's flush and libfcgi's graceful close (2 s of quiet) */
#define FASTCGI_CLOSE_MS	5000
/* past a deadline, SIGALRM again this often */
#define FASTCGI_WATCH_AGAIN_MS	100

static void
fastcgi_on_alarm(int sig)
{
	(void)sig;
}

/* Arms the watchdog for ms milliseconds from now, or disarms it (0). */
static void
fastcgi_watch(long ms)
{
	static int handler;
	struct sigaction sa;
	struct itimerval it;

	if (!handler) {
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = fastcgi_on_alarm;	/* no SA_RESTART */
		if (sigaction(SIGALRM, &sa, NULL) != 0)
			return;
		handler = 1;
	}
	memset(&it, 0, sizeof(it));
	if (ms > 0) {
		it.it_value.tv_sec = ms / 1000;
		it.it_value.tv_usec = (ms % 1000) * 1000;
		it.it_interval.tv_usec = FASTCGI_WATCH_AGAIN_MS * 1000;
	}
	(void)setitimer(ITIMER_REAL, &it, NULL);
}

/* FCGX_Accept_r, its reads of BEGIN_REQUEST and params bounded. */
int
fastcgi_accept(FCGX_Request *rq)
{
	int rc;

	fastcgi_watch(FASTCGI_HEAD_MS);
	rc = FCGX_Accept_r(rq);
	fastcgi_watch(0);
	return rc;
}

/* Each read of the request's connection waits at most seconds. */
void
fastcgi_body_deadline(FCGX_Request *rq, int seconds)
{
	struct timeval tv;

	tv.tv_sec = seconds;
	tv.tv_usec = 0;
	(void)setsockopt(rq->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* 1 when reading the body is past its time: a read timed out, or
 * seconds have passed since since. */
static int
fastcgi_late(FCGX_Request *rq, const struct timespec *since, int seconds)
{
	int e = FCGX_GetError(rq->in);

	return e == EAGAIN || e == EWOULDBLOCK || e == EINTR ||
	    util_elapsed_ms(since) >= seconds * 1000.0;
}

/* At most n bytes of the body: those of the record at hand, or, when it
 * is used up, the first byte of the next one (one read of the
 * connection at most, so that the time is checked between reads). */
static int
fastcgi_get(FCGX_Stream *in, char *buf, size_t n)
{
	size_t avail = (size_t)(in->stop - in->rdNext);

	if (avail == 0)
		avail = 1;
	return FCGX_GetStr(buf, (int)(n < avail ? n : avail), in);
}

/*
 * Reads the body, at most max bytes, within seconds. On FASTCGI_BODY_OK
 * *body holds *len bytes and a NUL after them (the caller frees it).
 */
enum fastcgi_body
fastcgi_read_body(FCGX_Request *rq, size_t max, int seconds,
    unsigned char **body, size_t *len)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", rq->envp);
	struct timespec since;
	size_t want, got = 0;
	unsigned char *buf;
	long declared = -1;
	int n;

	*body = NULL;
	*len = 0;
	if (cl != NULL && *cl != '\0' &&
	    util_parse_long(cl, 0, 0x7fffffffL, &declared) != 0)
		return FASTCGI_BODY_BAD_LENGTH;
	if (declared > (long)max)
		return FASTCGI_BODY_TOO_LARGE;
	/* One byte more than allowed tells an over-long body apart. */
	want = declared >= 0 ? (size_t)declared : max + 1;
	if ((buf = malloc(want + 1)) == NULL)
		return FASTCGI_BODY_NOMEM;
	clock_gettime(CLOCK_MONOTONIC, &since);
	fastcgi_watch(seconds * 1000L);
	while (got < want) {
		n = fastcgi_get(rq->in, (char *)buf + got, want - got);
		if (fastcgi_late(rq, &since, seconds)) {
			fastcgi_watch(0);
			free(buf);
			return FASTCGI_BODY_TIMEOUT;
		}
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	fastcgi_watch(0);
	if (got > max) {
		free(buf);
		return FASTCGI_BODY_TOO_LARGE;
	}
	if (declared >= 0 && got < (size_t)declared) {
		free(buf);
		return FASTCGI_BODY_SHORT;
	}
	buf[got] = '\0';
	*body = buf;
	*len = got;
	return FASTCGI_BODY_OK;
}

/*
 * Reads and drops what is left of the body, up to max bytes, so that the
 * web server is not cut off while it still sends: 0, or -1 when that
 * took seconds (the caller then closes the connection with FCGX_Detach).
 */
int
fastcgi_drain(FCGX_Request *rq, size_t max, int seconds)
{
	struct timespec since;
	char buf[8192];
	size_t total = 0;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &since);
	fastcgi_watch(seconds * 1000L);
	while (total < max) {
		n = fastcgi_get(rq->in, buf, sizeof(buf));
		if (fastcgi_late(rq, &since, seconds)) {
			fastcgi_watch(0);
			return -1;
		}
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	fastcgi_watch(0);
	return 0;
}

/*
 * Out of time for the body: the answer written so far goes out, the
 * connection is read and dropped for up to ms more, then closed without
 * libfcgi's graceful close (FCGX_Detach), the rest of the body unread.
 * A web server that passes the body on as it comes (Apache's
 * mod_proxy_fcgi) writes on meanwhile and takes the answer to its
 * client; a connection closed at once fails its next write first, and it
 * answers 503 instead. The reads bypass libfcgi, whose stream is closed
 * after the read that timed out.
 */
void
fastcgi_abandon(FCGX_Request *rq, int ms)
{
	struct timespec since;
	struct pollfd pfd;
	char buf[8192];
	double left;

	(void)FCGX_FFlush(rq->out);
	clock_gettime(CLOCK_MONOTONIC, &since);
	pfd.fd = rq->ipcFd;
	pfd.events = POLLIN;
	while (rq->ipcFd >= 0 && (left = ms - util_elapsed_ms(&since)) > 0) {
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)left + 1) <= 0 ||
		    read(rq->ipcFd, buf, sizeof(buf)) <= 0)
			break;
	}
	(void)FCGX_Detach(rq);
}

/* 1 when fd is a unix-domain socket. */
static int
fastcgi_is_unix(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}

/* FCGX_Finish_r, the connection closed as above. */
void
fastcgi_finish(FCGX_Request *rq)
{
	static int listen_fd = -1, listen_unix;
	int unread = -1;

	if (rq->listen_sock != listen_fd) {
		listen_fd = rq->listen_sock;
		listen_unix = fastcgi_is_unix(listen_fd);
	}
	rq->keepConnection = 0;
	if (listen_unix && rq->ipcFd >= 0 &&
	    ioctl(rq->ipcFd, FIONREAD, &unread) == 0 && unread == 0)
		(void)FCGX_Detach(rq);
	/* the graceful close reads on for as long as the peer sends */
	fastcgi_watch(FASTCGI_CLOSE_MS);
	FCGX_Finish_r(rq);
	fastcgi_watch(0);
}
