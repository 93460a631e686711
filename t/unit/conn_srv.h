/*
 * A scripted connector for the connector client's unit test
 * (conn_srv.c).
 */
#ifndef CMPD_CONN_SRV_H
#define CMPD_CONN_SRV_H

#include <stddef.h>
#include <sys/types.h>

#include <json.h>
#include <openssl/ssl.h>

struct canned {
	int	 status;
	const char *body;	/* NULL: empty */
	size_t	 body_len;	/* 0: strlen(body) */
	int	 delay_ms;	/* before the answer */
	int	 no_length;	/* no Content-Length: the body ends at close */
};

struct srv {
	pid_t	 pid;
	int	 port;
	int	 base;		/* number of its first request record */
	int	 nreq;		/* number of the next record to read */
};

/* One request as the connector recorded it. */
struct rec {
	char	*raw;		/* whole file */
	int	 conn;
	char	 peer[256];
	char	*line;		/* request line */
	char	*headers;	/* from the first header to the blank line */
	char	*body;
	json_object *json;
};

int	 srv_init(void);
const char *srv_dir(void);
void	 srv_done(void);
int	 srv_start(struct srv *, const struct canned *, size_t, SSL_CTX *);
void	 srv_stop(struct srv *);

void	 rec_free(struct rec *);
int	 rec_next(struct srv *, struct rec *);
const char *rec_header(const struct rec *, const char *, char *, size_t);
const char *rec_str(const struct rec *, const char *);
json_object *rec_member(const struct rec *, const char *);

#endif
