/*
 * conn_int.h - what the connector client's files share (conn.c the
 * transport, conn_check.c the settings checks, conn_api.c the connector
 * API's calls, conn_cert.c the certificates in its answers) and nobody
 * else needs. conn.h is the public interface.
 */
#ifndef CONN_INT_H
#define CONN_INT_H

#include <stddef.h>

#include <json.h>

#include "conn.h"

#define CONN_JSON_DEPTH		32	/* attributes nest a few levels */

/* Local outcomes of one HTTP exchange. */
#define CALL_ERR	(-1)	/* local error, nothing classified */
#define CALL_2XX	0	/* a 2xx answer whose body is for the caller */
#define CALL_DONE	1	/* classified already (no answer, or not 2xx) */

/* The reply body; one byte beyond max keeps it NUL-terminated. */
struct conn_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;
	int	 too_large;
	int	 oom;
};

/* conn_cert.c */
int	conn_b64_decode(const char *, size_t, unsigned char **out,
	    size_t *outlen);
int	conn_cert_data(json_object *, const char *what, int issued, X509 **,
	    struct conn_result *);

/* conn_check.c */
int	conn_uuid_valid(const char *);

/* conn.c */
void	conn_msg(struct conn_result *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	conn_classify_error(const struct conn_buf *, struct conn_result *);
int	conn_call(const struct conn_target *, const char *api,
	    const char *suffix, json_object *body, struct conn_buf *reply,
	    struct conn_result *);

#endif
