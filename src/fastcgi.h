/*
 * fastcgi.c: how cmpd's and cmp-localca's workers read a FastCGI
 * request's body, and end the request and its connection.
 */
#ifndef CMPD_FASTCGI_H
#define CMPD_FASTCGI_H

#include <stddef.h>

#include <fcgiapp.h>

/* Why fastcgi_read_body() refused a body (the HTTP status it calls for). */
enum fastcgi_body {
	FASTCGI_BODY_OK = 0,
	FASTCGI_BODY_TOO_LARGE,		/* 413: over the limit */
	FASTCGI_BODY_BAD_LENGTH,	/* 400: CONTENT_LENGTH not a number */
	FASTCGI_BODY_SHORT,		/* 400: fewer bytes than CONTENT_LENGTH */
	FASTCGI_BODY_NOMEM,		/* 500 */
	FASTCGI_BODY_TIMEOUT,		/* 408: not all there in time */
};

int	fastcgi_accept(FCGX_Request *);
void	fastcgi_body_deadline(FCGX_Request *, int);
enum fastcgi_body fastcgi_read_body(FCGX_Request *, size_t, int,
	    unsigned char **, size_t *);
int	fastcgi_drain(FCGX_Request *, size_t, int);
void	fastcgi_abandon(FCGX_Request *, int);
void	fastcgi_finish(FCGX_Request *);

#endif
