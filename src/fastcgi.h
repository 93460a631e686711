/*
 * fastcgi.c: how cmpd's and cmp-localca's workers end a FastCGI request
 * and its connection.
 */
#ifndef CMPD_FASTCGI_H
#define CMPD_FASTCGI_H

#include <fcgiapp.h>

void	fastcgi_finish(FCGX_Request *);

#endif
