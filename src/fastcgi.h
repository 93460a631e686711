/*
 * fastcgi.c: how cmpd's and cmp-localca's workers end a FastCGI
 * connection.
 */
#ifndef CMPD_FASTCGI_H
#define CMPD_FASTCGI_H

#include <fcgiapp.h>

int	fastcgi_is_unix(int fd);
void	fastcgi_close_at_once(FCGX_Request *);

#endif
