/*
 * conn.c - the client of a CA's authority-provider connector (HTTP + JSON).
 * One libcurl easy handle per worker process, kept for connection reuse.
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>

#include <openssl/x509.h>

struct conf;

enum conn_auth {
	CONN_AUTH_NONE,
	CONN_AUTH_BASIC,
	CONN_AUTH_CERTIFICATE,
	CONN_AUTH_APIKEY
};

struct conn_target {
	const char *url;		/* base URL, http:// or https:// */
	enum conn_auth auth;
	/*
	 * Decrypted credentials, a JSON object: basic {"username",
	 * "password"}; apiKey {"header", "key"}; certificate
	 * {"certificate": PEM, "privateKey": PEM}. NULL for CONN_AUTH_NONE.
	 * The caller owns and wipes it.
	 */
	const char *auth_json;
	const char *authority_uuid;	/* path segment, [0-9A-Za-z-] */
	const char *attributes_json;	/* JSON array, "attributes"; NULL: [] */
	const char *ra_attributes_json;	/* "raProfileAttributes"; NULL: [] */
};

enum conn_status {
	CONN_OK = 0,
	CONN_UNAVAILABLE,	/* no connection, timeout, TLS failure */
	CONN_REJECTED,		/* 4xx other than 404: the connector's text */
	CONN_NOT_FOUND,		/* 404 */
	CONN_FAILED,		/* 5xx, 3xx, bad 2xx body, reply too big */
};

#define CONN_MESSAGE_MAX	512
#define CONN_UUID_MAX		64

struct conn_result {
	enum conn_status status;
	long	 http_status;		/* 0: no HTTP answer */
	char	 message[CONN_MESSAGE_MAX]; /* printable ASCII, never secrets */
	X509	*certificate;		/* issue/renew: owned */
	char	 uuid[CONN_UUID_MAX];	/* issue/renew: "" if none was sent */
	STACK_OF(X509) *chain;		/* caCertificates, in order; owned */
};

/* Outcomes of reading JSON (a connector's reply, an API request body). */
#define PARSE_OK	0
#define PARSE_BAD	1	/* not one well-formed JSON value */
#define PARSE_ERR	(-1)	/* out of memory */
struct json_object;
int	conn_json_parse(const char *s, size_t len, int depth,
	    struct json_object **out);

int	conn_url_valid(const char *, size_t);
int	conn_header_name_valid(const char *, size_t);
int	conn_header_value_valid(const char *, size_t);

int	conn_init(const struct conf *);
void	conn_done(void);
void	conn_result_free(struct conn_result *);

/*
 * Each call overwrites *res (free what an earlier call left in it first).
 * 0: the connector's answer, or its absence, is classified in res->status;
 * -1: a local error (out of memory, bad arguments, not initialised);
 * res->status is then CONN_FAILED and res->message says why.
 * renew sends no "attributes" (the v2 renew request has none).
 */
int	conn_issue(const struct conn_target *, const unsigned char *req_der,
	    size_t req_len, const char *format, struct conn_result *);
int	conn_renew(const struct conn_target *, const unsigned char *req_der,
	    size_t req_len, const char *format, X509 *old_cert,
	    struct conn_result *);
int	conn_revoke(const struct conn_target *, X509 *cert, const char *reason,
	    struct conn_result *);
int	conn_ca_certificates(const struct conn_target *, struct conn_result *);
int	conn_probe(const char *url);

const char *conn_status_name(enum conn_status);

/* What a call does with the connector's answer, without the call. */
enum conn_reply {
	CONN_REPLY_ISSUE,
	CONN_REPLY_RENEW,
	CONN_REPLY_CA_CERTS
};
int	conn_parse_reply(enum conn_reply, long http_status, const char *body,
	    size_t len, struct conn_result *);

#endif
