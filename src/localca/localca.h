/*
 * cmp-localca - the reference authority provider connector: the
 * CZERTAINLY connector REST API (JSON over FastCGI) over a CA kept in
 * files, with what it issued in MariaDB.
 *
 * Request path, by file; each calls only the ones below it:
 *   localca.c  main: options, configuration, start-up
 *   lca_http.c FastCGI loop, caller authentication, routing, answers
 *   lca_api.c  the handlers: issue, renew, revoke, lookup, CA
 *              certificates, CRL
 *   lca_ca.c   CA key and certificates, requests, issuing
 *   lca_crl.c  CRLs, revocation reasons
 *   lca_root.c root CA key rollover, the rootCaKeyUpdate call
 *   lca_init.c --init-ca: a new CA directory, made or imported
 *   lca_db.c   MariaDB: the localca_certificate table
 *   lca_json.c JSON in/out, base64
 *   lca_util.c request failures, the stop flag
 */
#ifndef LOCALCA_H
#define LOCALCA_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <fcgiapp.h>
#include <json.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpd.h"

#define LCA_BODY_MAX_DEFAULT	(1024 * 1024)
#define LCA_WORKERS_MAX		64
#define LCA_BODY_MAX_LIMIT	(16 * 1024 * 1024)
#define LCA_UUID_LEN		36
#define LCA_SERIAL_LEN		16	/* octets of the serials we make */
#define LCA_SERIAL_HEX_MAX	64	/* column size: 32 octets */
#define LCA_SUBJECT_MAX		2048	/* column size */
#define LCA_REASON_MAX		32	/* column size */
#define LCA_MSG_MAX		256
#define LCA_LOG_PATH_MAX	160
#define LCA_AUTHORITY_MAX	64
#define LCA_HEADER_NAME_MAX	128	/* api_key_header */

/* Extensions a request may carry into its certificate. */
#define LCA_EXT_SAN		0x01
#define LCA_EXT_KU		0x02
#define LCA_EXT_EKU		0x04
#define LCA_EXT_ALL		(LCA_EXT_SAN | LCA_EXT_KU | LCA_EXT_EKU)

struct lca_conf {
	char	*path;
	char	*listen;		/* unix path or "inherit" */
	int	 listen_mode;
	char	*listen_group;		/* socket group; NULL: user's */
	char	*ca_dir;
	long	 validity_days;
	long	 crl_period;		/* seconds from thisUpdate to nextUpdate */
	unsigned int allowed_ext;	/* LCA_EXT_* */
	char	*db_socket;
	char	*db_host;
	int	 db_port;
	char	*db_hosts;		/* "host[:port], ...": db_ep */
	struct db_endpoint db_ep[DB_HOSTS_MAX];
	size_t	 db_nep;		/* 0: db_socket */
	char	*db_user;
	char	*db_password_file;
	char	*db_name;
	char	*authority_uuid;	/* NULL: serve any */
	enum log_level log_level;
	size_t	 body_max;
	int	 body_timeout;		/* seconds for a request's body */
	char	*pid_file;
	char	*log_file;		/* NULL: stderr or syslog */
	long	 issue_delay_ms;	/* tests only: a slow CA */
	long	 sign_delay_ms;		/* tests only: slow before recording */
	long	 revoke_delay_ms;	/* tests only: a slow revocation */
	long	 ca_delay_ms;		/* tests only: slow CA certificates,
					 * CRL and root update */
	/* seconds a certificate issued for a requestId stays pending:
	 * issue/renew answer 202, lookup {found: false, pending: true} */
	long	 issue_pending;
	/* tests only: connectors other than this one, as cmpd meets them */
	int	 cert_form;		/* LCA_FORM_*: issued certificateData */
	int	 issue_fail_status;	/* 4xx/5xx after issuing; 0: none */
	/* seconds a revocation stays pending: revoke answers 202 until
	 * then, counted from the first call for the certificate */
	long	 revoke_pending;
	/* caller authentication: at least one of the three is required */
	char	*auth_user;		/* HTTP basic, with auth_password_file */
	char	*auth_password_file;
	char	*api_key_file;		/* an API key in api_key_header */
	char	*api_key_header;
	char	*auth_remote_user;	/* REMOTE_USER the web server set */
	char	*user;			/* run as this user after binding */
	int	 workers;		/* >1: that many, kept by this one */
};

/* --init-ca: a new CA, or an existing one imported (lca_init.c). */
struct lca_init_opts {
	const char *key_type;		/* "ec" or "rsa" */
	const char *curve;		/* EC: "P-256" or "P-384" */
	long	 rsa_bits;		/* RSA: 2048 .. 8192 */
	const char *subject;		/* "CN=...,O=..." or "/O=.../CN=..." */
	long	 days;			/* validity of the CA certificate */
	const char *import_key;		/* both or neither */
	const char *import_chain;
};

/*
 * Why a request failed: the HTTP status (422 validation, 500 internal,
 * 503 database) and the message the client gets.
 */
struct lca_err {
	int	 http;
	char	 msg[LCA_MSG_MAX];
};

struct lca_ca;			/* lca_ca.c */

/* lca_http.c */
enum lca_route {
	LCA_ROUTE_NONE = 0,
	LCA_ROUTE_ISSUE,
	LCA_ROUTE_RENEW,
	LCA_ROUTE_REVOKE,
	LCA_ROUTE_CA_CERTS,
	LCA_ROUTE_CRL,
	LCA_ROUTE_LOOKUP,
	LCA_ROUTE_ROOT_UPDATE,
};

/* One request, as the loop and its handler share it. */
struct lca_http {
	FCGX_Request *fcgi;
	const struct lca_conf *conf;
	const struct lca_ca *ca;
	const char *method;
	char	 path[LCA_LOG_PATH_MAX];	/* printable, for the log */
	enum lca_route route;
	char	 authority[LCA_AUTHORITY_MAX + 1];
	struct timespec start;
	int	 status;
	int	 reply_status;		/* a handler's 2xx other than 200 */
	char	 detail[LCA_MSG_MAX + 64];	/* the log line's tail */
};

int	lca_auth_load(const struct lca_conf *, char *err, size_t errlen);
int	lca_loop(FCGX_Request *, int fd, const sigset_t *stop_set,
	    const struct lca_conf *, const struct lca_ca *);

/* lca_workers.c: 0 in a worker, 1 in the supervisor once all have stopped */
int	lca_workers(int n);

/* lca_api.c: one handler per route */
void	lca_delay(long ms);
int	lca_h_issue(struct lca_http *, json_object *in, json_object **out,
	    struct lca_err *);
int	lca_h_renew(struct lca_http *, json_object *in, json_object **out,
	    struct lca_err *);
int	lca_h_revoke(struct lca_http *, json_object *in, json_object **out,
	    struct lca_err *);
int	lca_h_lookup(struct lca_http *, json_object *in, json_object **out,
	    struct lca_err *);
int	lca_h_ca_certs(struct lca_http *, json_object *in, json_object **out,
	    struct lca_err *);
int	lca_h_crl(struct lca_http *, json_object *in, json_object **out,
	    struct lca_err *);

/* lca_root.c: a root CA key rollover and the call that hands it out */
int	lca_h_root_update(struct lca_http *, json_object *in,
	    json_object **out, struct lca_err *);
int	lca_root_rollover(const struct lca_conf *, const struct lca_ca *,
	    const char *old_root_key, char *err, size_t errlen);
X509	*lca_root_cert(const X509_NAME *name, EVP_PKEY *pub, X509 *issuer,
	    EVP_PKEY *sign_key, const EVP_MD *md, time_t from, time_t to);
int	lca_root_write(const char *dir, const char *file, X509 *x,
	    EVP_PKEY *key, char *err, size_t errlen);

/* lca_init.c */
int	lca_init_ca(const struct lca_conf *, const struct lca_init_opts *,
	    char *err, size_t errlen);


/* lca_ca.c */
enum lca_format { LCA_FMT_CRMF, LCA_FMT_PKCS10 };
/* certificate_form: base64 DER, base64 PKCS#7 with the chain, PEM */
enum { LCA_FORM_DER = 0, LCA_FORM_PKCS7, LCA_FORM_PEM };

struct lca_ca {
	EVP_PKEY *key;
	X509	*cert;
	STACK_OF(X509) *chain;		/* above cert, up to the root */
	const EVP_MD *md;
	ASN1_OCTET_STRING *keyid;	/* for authorityKeyIdentifier */
	time_t	 not_before, not_after;
	long	 validity_days;
	long	 crl_period;		/* seconds from thisUpdate to nextUpdate */
	unsigned int allowed_ext;
};

/* What the table keeps of an issued certificate. */
struct lca_cert_row {
	char	 uuid[LCA_UUID_LEN + 1];
	char	 serial_hex[LCA_SERIAL_HEX_MAX + 1];
	char	 subject[LCA_SUBJECT_MAX + 1];
	time_t	 not_before;
	time_t	 not_after;
	const unsigned char *der;
	size_t	 der_len;
	const char *request_id;		/* NULL: none */
	unsigned char request_sha256[32];
};

int	lca_ca_load(struct lca_ca *, const struct lca_conf *, char *err,
	    size_t errlen);
void	lca_ca_free(struct lca_ca *);
int	lca_ca_issue(const struct lca_ca *, enum lca_format,
	    const unsigned char *der, size_t len, int ra_verified, X509 **out,
	    struct lca_err *);
int	lca_ca_check_issued(const struct lca_ca *, const unsigned char *der,
	    size_t len, X509 **out, struct lca_err *);
int	lca_ca_describe(const X509 *, struct lca_cert_row *);
unsigned int lca_ca_ext_bit(const char *name);
const char *lca_ssl_reason(void);

/* lca_crl.c */
int	lca_ca_crl(const struct lca_ca *, X509_CRL **out, struct lca_err *);
const char *lca_ca_reason_name(const char *name);

/* lca_db.c */
#define LCA_DB_OK	0
#define LCA_DB_NOTFOUND	1
#define LCA_DB_ERR	(-1)
#define LCA_DB_CB_FAILED 2
#define LCA_DB_DUP	3	/* request_id taken meanwhile */
#define LCA_DB_VOID	4	/* request_id found unissued by a lookup */
/* HELD: revoked with reason certificateHold, which removeFromCRL lifts */
enum lca_cert_state { LCA_STATE_ISSUED, LCA_STATE_REVOKED, LCA_STATE_HELD };
typedef int (*lca_db_revoked_cb)(void *arg, const char *serial_hex,
    time_t revoked_at, const char *reason, const unsigned char *der,
    size_t len);

void	lca_db_configure(const struct lca_conf *);
void	lca_db_close(void);
void	lca_db_done(void);
int	lca_db_insert(const struct lca_cert_row *);
int	lca_db_lookup(const char *serial_hex, const unsigned char *der,
	    size_t len, enum lca_cert_state *);
int	lca_db_revoke(const char *serial_hex, const char *reason, time_t when);
int	lca_db_release(const char *serial_hex);
int	lca_db_void(const char *request_id);
int	lca_db_by_request(const char *request_id, time_t *created,
	    char uuid[LCA_UUID_LEN + 1],
	    unsigned char **der, size_t *der_len, unsigned char sha256[32]);
int	lca_db_revoked(uint64_t floor, time_t expired_before,
	    uint64_t *number, lca_db_revoked_cb, void *arg);

/* lca_json.c */
int	lca_json_parse(const unsigned char *body, size_t len,
	    json_object **out, struct lca_err *);
int	lca_json_lists(json_object *in, const char *const *keys, size_t n,
	    struct lca_err *);
int	lca_json_string(json_object *in, const char *key, const char **out,
	    struct lca_err *);
int	lca_json_add(json_object *o, const char *key, json_object *val);
int	lca_b64_decode(const char *s, const char *what, unsigned char **out,
	    size_t *outlen, struct lca_err *);
json_object *lca_b64_json(const unsigned char *der, int len);

/* lca_util.c */
extern volatile sig_atomic_t lca_stop;
extern volatile sig_atomic_t lca_reopen;	/* SIGHUP, SIGUSR1: log_file */

int	lca_fail(struct lca_err *, int http, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
