/*
 * conn.c - the client of a CA's authority-provider connector (HTTP + JSON).
 * One libcurl easy handle per worker process, kept for connection reuse.
 */
#ifndef CONN_H
#define CONN_H

#include <stddef.h>

#include <openssl/x509.h>

#include "cmpd.h"

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
	int	 insecure;		/* basic/apiKey over http:// allowed */
	const char *authority_uuid;	/* path segment, [0-9A-Za-z-] */
	const char *attributes_json;	/* JSON array, "attributes"; NULL: [] */
	const char *ra_attributes_json;	/* "raProfileAttributes"; NULL: [] */
	/* issue/renew: the "requestId" member, a UUID the CA can be asked
	 * about later (conn_lookup); NULL: not sent */
	const char *request_id;
	/* issue/renew: "raVerified": true, cmpd accepted a raVerified
	 * proof of possession on an RA's word (RFC 4211 4) */
	int	 ra_verified;
	/* renew: "meta", what the connector gave with the certificate to
	 * renew (conn_result.meta, kept in the inventory); NULL: [] */
	const char *meta;
	/* milliseconds for the whole call, when shorter than
	 * connector_timeout (what is left of a CMP Profile's synchronous
	 * budget); 0: connector_timeout */
	long	 timeout_ms;
};

/* enum conn_status: cmpd.h (metrics.c counts the calls by it) */

#define CONN_MESSAGE_MAX	512
#define CONN_UUID_MAX		64

struct conn_result {
	enum conn_status status;
	long	 http_status;		/* 0: no HTTP answer */
	char	 message[CONN_MESSAGE_MAX]; /* printable ASCII, never secrets */
	X509	*certificate;		/* issue/renew: owned */
	char	 uuid[CONN_UUID_MAX];	/* issue/renew: "" if none was sent */
	/* issue/renew/lookup: the answer's "meta" (connector metadata of
	 * the certificate, sent back on its renewal) as JSON text; NULL
	 * when empty, not an array, or over CMPD_META_MAX; owned */
	char	*meta;
	STACK_OF(X509) *chain;		/* caCertificates, in order; owned */
	/* No byte of the request left cmpd (connection refused, name not
	 * resolved, TLS handshake failed): the connector cannot have acted. */
	int	 not_sent;
	/* revoke: the CA had revoked the certificate already; counts as
	 * CONN_OK (revocation is idempotent) */
	int	 already_revoked;
	/* the call ran out of time (the target's timeout) after sending */
	int	 timed_out;
};

int	conn_url_valid(const char *, size_t);
int	conn_url_is_http(const char *);
const char *conn_transport_refusal(const char *url, enum conn_auth,
	    int insecure);
int	conn_header_name_valid(const char *, size_t);
int	conn_header_value_valid(const char *, size_t);

int	conn_init(const struct conf *);
void	conn_done(void);
void	conn_request_begin(void);
void	conn_request_end(void);
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
/*
 * What did the CA issue for request_id (an earlier issue/renew's
 * "requestId")? CONN_OK with res->certificate (and res->uuid): that
 * certificate; CONN_OK without: nothing. CONN_NOT_FOUND: the connector
 * has no lookup (HTTP 404, 405 or 501). final: the caller settles the
 * request as one nothing was issued for on "nothing" ("final": true, so
 * that the connector may make the answer binding).
 */
int	conn_lookup(const struct conn_target *, const char *request_id,
	    int final, struct conn_result *);
int	conn_crl(const struct conn_target *, X509_CRL **, struct conn_result *);
/*
 * The root CA key update: CONN_OK with res->chain = [newWithNew,
 * newWithOld, oldWithNew], or without res->chain when there is none;
 * CONN_NOT_FOUND: the connector has no such call (no update either).
 */
int	conn_root_ca_update(const struct conn_target *, struct conn_result *);
int	conn_probe_all(char *const *urls, size_t n);

const char *conn_status_name(enum conn_status);

/*
 * A failed call the CA cannot have acted on: no byte of it left cmpd, or
 * the connector refused it (4xx, 404). Not a 400: the v2 API declares
 * 422 for what the CA refuses, and the EJBCA NG connector answers 400
 * for every failure of its CA, a time-out of the CA's web service after
 * the certificate was issued or revoked among them. A 400 is therefore
 * an outcome unknown, as a 5xx is. (Inline: the fuzz target's stand-in
 * for the connector client keeps the same rule.)
 */
static inline int
conn_refused(const struct conn_result *res)
{
	if (res->not_sent || res->status == CONN_NOT_FOUND ||
	    res->status == CONN_INSECURE || res->status == CONN_BUSY)
		return 1;
	return res->status == CONN_REJECTED && res->http_status != 400;
}

/* What a call does with the connector's answer, without the call. */
enum conn_reply {
	CONN_REPLY_ISSUE,
	CONN_REPLY_RENEW,
	CONN_REPLY_CA_CERTS
};
int	conn_parse_reply(enum conn_reply, long http_status, const char *body,
	    size_t len, struct conn_result *);

#endif
