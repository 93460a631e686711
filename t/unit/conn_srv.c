/*
 * A scripted connector for the connector client's unit test
 * (test_conn.c): a forked child on 127.0.0.1 that answers canned HTTP/1.1
 * responses in order and records every request (with the number of the
 * TCP connection it came on) in a file of a temporary directory, which
 * the parent reads after each call (rec_next()).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn_srv.h"

#define SRV_MAX_CONNS	8
#define SRV_REQ_MAX	(1024 * 1024)
#define SRV_LIFETIME	60	/* seconds: no child outlives a hung test */

/* Server k numbers its request records from k * SRV_SEQ_SPAN. */
#define SRV_SEQ_SPAN	1000

struct peer {
	int	 fd;
	SSL	*ssl;
	int	 id;		/* connection number, from 1 */
};

static char tmpdir[64];
static int srv_count;

/* Makes the directory of the records; 0 or -1. */
int
srv_init(void)
{
	return mkdtemp(strcpy(tmpdir, "/tmp/test_conn.XXXXXX")) == NULL ?
	    -1 : 0;
}

/* The directory of the records, for the test's own files too. */
const char *
srv_dir(void)
{
	return tmpdir;
}

/* Removes the directory (empty once every server stopped). */
void
srv_done(void)
{
	rmdir(tmpdir);
}

/* ---- the test connector (child side) ---- */

static ssize_t
peer_read(struct peer *p, char *buf, size_t n)
{
	int r;

	if (p->ssl == NULL)
		return read(p->fd, buf, n);
	r = SSL_read(p->ssl, buf, (int)n);
	return r > 0 ? r : (SSL_get_error(p->ssl, r) == SSL_ERROR_ZERO_RETURN ?
	    0 : -1);
}

static void
peer_write(struct peer *p, const char *buf, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (p->ssl != NULL)
			w = SSL_write(p->ssl, buf, (int)n);
		else
			w = write(p->fd, buf, n);
		if (w <= 0)
			return;
		buf += w;
		n -= (size_t)w;
	}
}

static void
peer_close(struct peer *p)
{
	if (p->ssl != NULL) {
		SSL_shutdown(p->ssl);
		SSL_free(p->ssl);
	}
	close(p->fd);
	p->fd = -1;
	p->ssl = NULL;
}

/* One whole request (headers and Content-Length body); NULL at EOF. */
static char *
srv_read_request(struct peer *p, size_t *len)
{
	char *buf, *hend, *cl;
	size_t n = 0, need = 0;
	ssize_t r;

	if ((buf = malloc(SRV_REQ_MAX + 1)) == NULL)
		return NULL;
	for (;;) {
		buf[n] = '\0';
		if ((hend = strstr(buf, "\r\n\r\n")) != NULL) {
			if (need == 0) {
				need = (size_t)(hend + 4 - buf);
				cl = strcasestr(buf, "\r\nContent-Length:");
				if (cl != NULL && cl < hend)
					need += strtoul(cl + 17, NULL, 10);
			}
			if (n >= need)
				break;
		}
		if (n == SRV_REQ_MAX ||
		    (r = peer_read(p, buf + n, SRV_REQ_MAX - n)) <= 0) {
			free(buf);
			return NULL;
		}
		n += (size_t)r;
	}
	*len = n;
	return buf;
}

static void
srv_record(int seq, struct peer *p, const char *req, size_t len)
{
	char path[128], peer_name[256] = "-";
	X509 *pc;
	FILE *f;

	if (p->ssl != NULL && (pc = SSL_get1_peer_certificate(p->ssl)) !=
	    NULL) {
		X509_NAME_oneline(X509_get_subject_name(pc), peer_name,
		    sizeof(peer_name));
		X509_free(pc);
	}
	snprintf(path, sizeof(path), "%s/req.%d", tmpdir, seq);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "conn=%d peer=%s\n", p->id, peer_name);
	fwrite(req, 1, len, f);
	fclose(f);
}

static void
srv_answer(struct peer *p, const struct canned *c)
{
	size_t blen = c->body == NULL ? 0 :
	    c->body_len != 0 ? c->body_len : strlen(c->body);
	char head[256];

	if (c->delay_ms > 0)
		usleep((useconds_t)c->delay_ms * 1000);
	if (c->no_length)
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n"
		    "Content-Type: application/json\r\nConnection: close\r\n"
		    "\r\n", c->status);
	else
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\n"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		    "\r\n", c->status, blen);
	peer_write(p, head, strlen(head));
	if (blen > 0)
		peer_write(p, c->body, blen);
}

static void __attribute__((noreturn))
srv_child(int lfd, const struct canned *script, size_t n, SSL_CTX *tls,
    int seq)
{
	static const struct canned exhausted = { 500, "[\"script exhausted\"]",
	    0, 0, 0 };
	struct peer conns[SRV_MAX_CONNS];
	struct pollfd pfd[SRV_MAX_CONNS + 1];
	struct timeval tv = { 5, 0 };
	size_t served = 0, len, i, np;
	int nconn = 0, fd;
	char *req;

	signal(SIGPIPE, SIG_IGN);
	alarm(SRV_LIFETIME);
	for (i = 0; i < SRV_MAX_CONNS; i++)
		conns[i].fd = -1;
	for (;;) {
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0, np = 1; i < SRV_MAX_CONNS; i++) {
			pfd[np].fd = conns[i].fd;
			pfd[np].events = POLLIN;
			np++;
		}
		if (poll(pfd, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (pfd[0].revents & POLLIN) {
			if ((fd = accept(lfd, NULL, NULL)) < 0)
				continue;
			nconn++;
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
			    sizeof(tv));
			for (i = 0; i < SRV_MAX_CONNS && conns[i].fd >= 0; i++)
				;
			if (i == SRV_MAX_CONNS) {
				close(fd);
				continue;
			}
			conns[i].fd = fd;
			conns[i].ssl = NULL;
			conns[i].id = nconn;
			if (tls != NULL) {
				conns[i].ssl = SSL_new(tls);
				SSL_set_fd(conns[i].ssl, fd);
				if (SSL_accept(conns[i].ssl) != 1)
					peer_close(&conns[i]);
			}
		}
		for (i = 0; i < SRV_MAX_CONNS; i++) {
			if (conns[i].fd < 0 ||
			    !(pfd[i + 1].revents & (POLLIN | POLLHUP)) ||
			    pfd[i + 1].fd != conns[i].fd)
				continue;
			if ((req = srv_read_request(&conns[i], &len)) == NULL) {
				peer_close(&conns[i]);
				continue;
			}
			srv_record(seq++, &conns[i], req, len);
			free(req);
			srv_answer(&conns[i], served < n ? &script[served] :
			    &exhausted);
			if (served < n && script[served].no_length)
				peer_close(&conns[i]);
			served++;
		}
	}
}

/* Listens before the fork: the parent may connect as soon as it returns. */
int
srv_start(struct srv *s, const struct canned *script, size_t n, SSL_CTX *tls)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int lfd;

	memset(s, 0, sizeof(*s));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &sl) != 0)
		return -1;
	s->port = ntohs(sa.sin_port);
	s->base = s->nreq = ++srv_count * SRV_SEQ_SPAN;
	fflush(stdout);
	if ((s->pid = fork()) < 0)
		return -1;
	if (s->pid == 0)
		srv_child(lfd, script, n, tls, s->base);
	close(lfd);
	return 0;
}

void
srv_stop(struct srv *s)
{
	char path[128];
	int i;

	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
	/* The records no check read. */
	for (i = s->base; i < s->base + SRV_SEQ_SPAN; i++) {
		snprintf(path, sizeof(path), "%s/req.%d", tmpdir, i);
		unlink(path);
	}
}

/* ---- reading the records (parent side) ---- */

void
rec_free(struct rec *r)
{
	free(r->raw);
	json_object_put(r->json);
	memset(r, 0, sizeof(*r));
}

/* The next request the current server recorded; 0 if there was one. */
int
rec_next(struct srv *s, struct rec *r)
{
	char path[128], *p, *e;
	FILE *f;
	long n;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/req.%d", tmpdir, s->nreq);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	r->raw = calloc(1, (size_t)n + 1);
	if (r->raw == NULL || fread(r->raw, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	unlink(path);
	s->nreq++;
	if (sscanf(r->raw, "conn=%d peer=%255[^\n]", &r->conn, r->peer) != 2)
		return -1;
	p = strchr(r->raw, '\n') + 1;
	if ((e = strstr(p, "\r\n")) == NULL)
		return -1;
	*e = '\0';
	r->line = p;
	r->headers = e + 2;
	if ((e = strstr(r->headers, "\r\n\r\n")) == NULL)
		return -1;
	e[2] = '\0';
	r->body = e + 4;
	r->json = json_tokener_parse(r->body);
	return 0;
}

/* The value of a header (first match, case-insensitive), in buf. */
const char *
rec_header(const struct rec *r, const char *name, char *buf, size_t n)
{
	const char *p = r->headers, *e;
	size_t nl = strlen(name);

	while (p != NULL && *p != '\0') {
		e = strstr(p, "\r\n");
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			p += nl + 1;
			while (*p == ' ')
				p++;
			snprintf(buf, n, "%.*s", (int)(e - p), p);
			return buf;
		}
		p = e != NULL ? e + 2 : NULL;
	}
	return NULL;
}

const char *
rec_str(const struct rec *r, const char *key)
{
	json_object *v;

	if (r->json == NULL || !json_object_object_get_ex(r->json, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

json_object *
rec_member(const struct rec *r, const char *key)
{
	json_object *v;

	if (r->json == NULL || !json_object_object_get_ex(r->json, key, &v))
		return NULL;
	return v;
}
