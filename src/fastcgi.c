/*
 * How a worker ends a FastCGI request and its connection, for cmpd's
 * workers and cmp-localca's alike.
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

#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "fastcgi.h"

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
	FCGX_Finish_r(rq);
}
