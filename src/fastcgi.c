/*
 * How a worker ends a FastCGI connection, for cmpd's workers and
 * cmp-localca's alike (one request per connection, FCGX_Finish_r).
 *
 * libfcgi closes a connection gracefully: it shuts down its sending side,
 * then waits up to 2 s for the web server to close first, so that a TCP
 * reset cannot destroy an answer still in flight. A unix-domain socket
 * has no reset: what was written stays readable after close. There a
 * connection with nothing left unread is closed at once, so that the
 * worker does not wait for the web server to get round to its close and
 * is not woken by it. Unread bytes keep the graceful close: closing over
 * them would report ECONNRESET to the web server.
 */
#include "config.h"

#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "fastcgi.h"

/* 1 when fd (the listening socket) is a unix-domain socket. */
int
fastcgi_is_unix(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	    ss.ss_family == AF_UNIX;
}

/*
 * Before FCGX_Finish_r of a request accepted on a unix-domain socket:
 * with nothing left unread, FCGX_Finish_r closes at once (a detached
 * request's connection is closed without the graceful wait).
 */
void
fastcgi_close_at_once(FCGX_Request *rq)
{
	int unread = -1;

	if (rq->ipcFd >= 0 && ioctl(rq->ipcFd, FIONREAD, &unread) == 0 &&
	    unread == 0)
		(void)FCGX_Detach(rq);
}
