/*
 * cmpd - internal interfaces, grouped by the file that implements them.
 *
 * Request path, by file:
 *   main.c       options, start-up (cmpd's main())
 *   master.c     bind, fork workers, respawn, signals
 *   worker.c     accept loop, one request's life time
 *   http.c       FastCGI request: method, content type, body, response
 *   route.c      URL -> CMP route + profile name (+ RFC 9811 label)
 *   metrics.c    counters for GET /metrics, shared by all workers
 *   cmp_msg.c    decode / encode PKIMessages, build answers
 *   cmp_header.c header checks (RFC 9810 5.1.1)
 *   cmp_protect.c PBM and PBMAC1 protection, both ways; the requester
 *   cmp_protect_sig.c signature protection, both ways
 *   sigalg.c     the signature algorithms a client may sign with
 *   profile.c    CMP Profile / RA Profile resolution
 *   cmp_request.c a request's PKIMessage: decode, resolve, one or nested
 *   cmp_nested.c nested messages from an RA: unwrapped, answered wrapped
 *   cmp_server.c one message's steps: header, protection, body, answer
 *   cmp_signer.c a signer's standing in the inventory (revoked or not)
 *   cmp_ra.c     a CMP Profile's registration authorities (RA list)
 *   cmp_ca.c     the RA Profile's CA: connector target, chain and CRL cached
 *   cmp_chain.c  an answer's chains: issuing chain in extraCerts, caPubs
 *   cmp_enroll.c ir, cr, kur: what is asked stored, the CA asked, the answer
 *   cmp_enroll_check.c each request checked before the CA is asked
 *   cmp_enroll_rules.c who may ask for which certificate (kur, signer)
 *   cmp_confirm.c certConf, from the requester only
 *   cmp_poll.c   pollReq: delayed delivery, the CA asked again
 *   cmp_device.c per-device shared secrets: MAC key, constraints, uses
 *   cmp_revoke.c rr
 *   cmp_genm.c   genm: CA certificates, root CA update, template, CRLs
 *   cmp_itav.c   the genm/genp values as ASN.1 types
 *   cmp_tmpl.c   a CMP Profile's certificate request template
 *   cmp_exts.c   the CA's own powers, which no request may ask for, and
 *                usages the certReqTemplate does not offer
 *   cmp_pubkey.c the public key a certificate is asked for
 *   cmp_certprofile.c the certificate profile a request names
 *   cmp_ckg.c    central key generation: the key made, sent back wrapped
 *   cmp_sweep.c  unconfirmed certificates, crashes reconciled, revocations owed
 *   store_tx.c   a transaction's rows in MariaDB (store.h)
 *   store.c      the certificates issued, in MariaDB (store.h)
 *   conn.c       the CA's connector API (conn.h): the HTTP transport
 *   conn_check.c connector settings checks, shared with the management API
 *   conn_api.c   the connector API's calls: request bodies, reply parsing
 *   conn_cert.c  certificates in a connector's answers: DER, PKCS#7, PEM
 *   api_ra_cert.c the RA list of a CMP Profile in the management API
 *   cmp_error.c  every failure cmpd detects -> failInfo, text, HTTP status
 *   db.c         MariaDB connection and prepared statements
 *   migrate.c    schema migrations
 */
#ifndef CMPD_H
#define CMPD_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include "cmp_asn1.h"
#include "cmp_error.h"

#define CMPD_VERSION		PACKAGE_VERSION

/* Hard caps on what comes from outside (CONVENTIONS 5). */
#define CMPD_BODY_MAX_DEFAULT	(256 * 1024)
#define CMPD_BODY_MAX_LIMIT	(16 * 1024 * 1024)
#define CMPD_NAME_MAX		255	/* profile names, DB VARCHAR(255) */
#define CMPD_NAME_BUF		(4 * CMPD_NAME_MAX + 1) /* utf8mb4 bytes + NUL */
#define CMPD_EXTRACERTS_MAX	16
#define CMPD_GENERALINFO_MAX	32
/* CertReqMsgs in one ir/cr/kur: the CMP Profile's certReqMax is at most
 * this (RFC 9810 5.3.1 sets no limit; each one is a connector call). */
#define CMPD_CERT_REQ_MAX	20
#define CMPD_CERT_REQ_DEFAULT	10	/* certReqMax unset (but 1 for 3GPP) */
#define CMPD_ID_MIN_LEN		16	/* transactionID, senderNonce */
#define CMPD_ID_MAX_LEN		64	/* DB column size */
#define CMPD_UUID_LEN		36
#define CMPD_META_MAX		8192	/* a certificate's connector meta, JSON */
/* Delayed delivery (RFC 9810 5.3.22): the CMP Profile's syncBudget when
 * unset, its cap, and what a waiting client is told (checkAfter) */
#define CMPD_SYNC_BUDGET_DEFAULT	5	/* seconds */
#define CMPD_SYNC_BUDGET_MAX		300
#define CMPD_CHECK_AFTER		1	/* seconds */
/* a waiting client that has not polled for this long is given up on */
#define CMPD_POLL_ABANDON		600	/* seconds */
/* nor does polling keep a transaction waiting longer than this after it
 * began: then the sweep asks the CA (a CA's approval may take days) */
#define CMPD_WAIT_LIFETIME		(7 * 86400)	/* seconds */
/* A connector call ends within connector_timeout and its outcome is
 * recorded at once: what is younger than connector_timeout and this
 * margin may still be in a worker's hands, and the sweep leaves it. */
#define CMPD_CALL_MARGIN		10	/* seconds */

/* log.c */
enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
void	log_init(const char *ident, int foreground, int facility);
int	log_open_file(const char *path);
void	log_reopen(void);
void	log_set_level(enum log_level);
enum log_level log_get_level(void);
int	log_level_parse(const char *, enum log_level *);
int	log_facility_parse(const char *, int *);
void	log_msg(enum log_level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
#define log_error(...)	log_msg(LOG_LVL_ERROR, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, NULL, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __func__, __VA_ARGS__)

/* conf.c */
/* A MariaDB server (db_endpoint.c); several: the nodes of a cluster. */
#define DB_HOSTS_MAX	8
#define DB_HOST_MAX	255
struct db_endpoint {
	char	 host[DB_HOST_MAX + 1];
	int	 port;
};

struct conf {
	char	*path;
	char	*listen;		/* unix path, host:port, "inherit", "systemd" */
	int	 listen_mode;		/* unix socket permissions */
	char	*listen_group;		/* unix socket group; NULL: user's */
	int	 listen_backlog;
	int	 workers;
	long	 max_requests;
	int	 graceful_timeout;	/* seconds */
	size_t	 body_max;
	int	 body_timeout;		/* s for a request's body, in all */
	char	*user;			/* drop privileges after bind */
	char	*pid_file;
	char	*server_name;		/* sender DN of our answers */
	long	 message_time_skew;	/* seconds, 0 disables the check */
	enum log_level log_level;
	int	 log_facility;
	char	*log_file;		/* NULL: stderr or syslog */
	char	*db_host;
	int	 db_port;
	char	*db_hosts;		/* "host[:port], ...": db_ep */
	struct db_endpoint db_ep[DB_HOSTS_MAX];
	size_t	 db_nep;		/* 0: db_socket */
	char	*db_socket;
	char	*db_user;
	char	*db_password_file;
	char	*db_name;
	int	 db_connect_timeout;
	char	*schema_dir;
	int	 connector_connect_timeout;	/* seconds */
	int	 connector_timeout;		/* seconds, whole call */
	int	 connector_workers_max;	/* 0: workers - 1, at least 1 */
	size_t	 connector_reply_max;		/* bytes */
	char	*connector_ca_file;		/* TLS anchors; NULL: system */
	char	*secret_key_file;	/* key that encrypts secrets at rest */
	char	*secret_key_file_previous; /* one that still opens them */
	long	 pbm_iterations_max;
	int	 confirm_wait_time;	/* seconds, when the profile has none */
	int	 sweep_interval;	/* seconds; 0: only `cmpd --sweep` */
	int	 device_mac_failures_max;	/* wrong MACs that lock an entry */
	int	 device_lock_time;	/* seconds a lock lasts; 0: for good */
	int	 ca_crl_refresh;	/* seconds; 0: no CA CRLs for signers */
	int	 signer_security_level;	/* OpenSSL's auth_level for signers */
	int	 key_security_level;	/* the same scale, for requested keys */
	int	 profile_cache;		/* seconds; 0: every request reads */
	char	*public_url;		/* "https://host": cmpUrl in API answers */
	int	 api_remote_user;	/* enum api_role given to REMOTE_USER */
	int	 api_plain_http_any;	/* API over plain HTTP from any client */
};
/* api_remote_user (not off) with a listening socket that is not a Unix
 * socket: FastCGI has no caller authentication, so whoever can connect
 * to a TCP port (any local user, on loopback) names the REMOTE_USER. */
#define CONF_REMOTE_USER_TCP "api_remote_user needs a Unix socket to " \
	"listen on (a path, or one handed over): whoever can connect to a " \
	"TCP port names the REMOTE_USER"
/* Table-driven "key = value" files, shared with cmp-localca. */
enum conf_type {
	CONF_STR, CONF_PATH /* absolute */, CONF_INT, CONF_LONG, CONF_SIZE,
	CONF_MODE /* octal */, CONF_LOGLEVEL, CONF_FACILITY, CONF_CUSTOM
};
struct conf_key {
	const char *name;
	enum conf_type type;
	size_t	 off;		/* of the field in the configuration */
	long	 min, max;	/* numbers */
	int	(*custom)(void *dst, const char *v, char *err, size_t errlen);
	int	 is_string;	/* CONF_CUSTOM: the field is a char * */
};
int	conf_read(const char *path, const struct conf_key *, size_t n,
	    void *base, char *err, size_t errlen);
void	conf_free_strings(const struct conf_key *, size_t n, void *base);
int	conf_load(const char *path, struct conf *, char *err, size_t errlen);
void	conf_init(struct conf *);
void	conf_free(struct conf *);

/* util.c */
void	util_hex(const unsigned char *, size_t, char *out, size_t outlen);
const char *util_log_field(const char *v, char *buf, size_t n);
int	util_open_write(const char *path, mode_t mode, int trunc);
const char *util_open_write_error(int err);
int	util_read_file(const char *path, size_t max, unsigned char **buf,
	    size_t *len);
double	util_elapsed_ms(const struct timespec *start);
int	util_parse_long(const char *, long min, long max, long *out);
int	util_name_index(const char *const *names, size_t n, const char *s,
	    int icase);
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
int	util_uuid4(char out[37]);
int	util_uuid7(char out[37]);
STACK_OF(X509_CRL) *util_crls_up_ref(const STACK_OF(X509_CRL) *);
int	util_crl_complete(const X509_CRL *, char *, size_t);
int	util_nid_in(int nid, const int *list, size_t n);
int	util_names_within(const GENERAL_NAMES *, const GENERAL_NAMES *);

/* daemon.c */
int	daemon_listen_unix(const char *path, int mode, int backlog);
int	daemon_fd_is_unix(int fd);
void	daemon_detach(int listen_fd);
int	daemon_write_pid(const char *path);
int	daemon_own_runtime_dir(const char *path, uid_t, gid_t);
void	daemon_become_user(const char *user, const char *listen,
	    int keep_group, const char *pid_file);
void	daemon_socket_group(const char *path, const char *group);
int	daemon_user_can_read(const char *user, const char *path, int *err);
int	daemon_as_root(const char *user);
int	daemon_fd_unix_mode(int fd);
int	daemon_secret_mode(const char *key, const char *path, char *buf,
	    size_t n);
void	daemon_secret_modes(const struct conf *, void (*say)(const char *));
int	daemon_setids(uid_t, gid_t);

/* route.c */
enum route_kind {
	ROUTE_NONE = 0,		/* unknown path: 404 */
	/* /api/v1/protocols/cmp/{name}, /.well-known/cmp/p/{name} */
	ROUTE_CMP_PROFILE,
	ROUTE_RA_PROFILE,	/* /api/v1/protocols/cmp/raProfile/{name} */
	ROUTE_API,		/* the management API, /api/v1/... */
	ROUTE_HEALTH,		/* GET /health */
	ROUTE_METRICS,		/* GET /metrics */
	ROUTE__COUNT
};
/* RFC 9811 3.3 operation labels, RFC 9483 6.1 Table 1 */
enum route_label {
	LABEL_NONE = 0,
	LABEL_INITIALIZATION,
	LABEL_CERTIFICATION,
	LABEL_KEYUPDATE,
	LABEL_PKCS10,
	LABEL_REVOCATION,
	LABEL_GETCACERTS,
	LABEL_GETROOTUPDATE,
	LABEL_GETCERTREQTEMPLATE,
	LABEL_GETCRLS,
	LABEL_NESTED,
	LABEL__COUNT
};
struct route {
	enum route_kind kind;
	char	name[CMPD_NAME_MAX + 1];
	enum route_label label;		/* /.well-known/cmp/p/{name}/{label} */
};
int	route_parse(const char *uri, struct route *);
int	route_name_valid(const char *, size_t);
const char *route_kind_name(enum route_kind);
const char *route_label_name(enum route_label);
enum cmp_fail route_label_check(const struct route *, int body_type,
	    char *arg, size_t arglen);

/* profile.c */
enum cmp_variant { VARIANT_V2 = 0, VARIANT_V2_3GPP, VARIANT_V3 };
enum prot_method { PROT_NONE = 0, PROT_SHARED_SECRET, PROT_SIGNATURE };
#define PROFILE_SECRET_MAX	256
#define PROFILE_ATTRS_MAX	16384	/* JSON attribute arrays */
/* a certReqTemplate's extendedKeyUsage as dotted OIDs: 16 of at most 64
 * characters (what the API takes), commas, NUL */
#define PROFILE_EKU_MAX		(16 * 65)
#define PROFILE_URL_MAX		1024
#define PROFILE_SIGN_MAX	65536	/* key, certificate, chain, anchors */
enum profile_ca_pubs {
	CAPUBS_SHARED_SECRET = 0,	/* MAC-protected ir (3GPP: signed) */
	CAPUBS_ALWAYS,
	CAPUBS_NEVER
};
struct profile {
	int	 cmp_found;
	char	 cmp_uuid[CMPD_UUID_LEN + 1];
	char	 cmp_version[32];	/* updated_at: caches' key */
	char	 cmp_name[CMPD_NAME_BUF];
	int	 cmp_enabled;
	enum cmp_variant variant;
	enum prot_method req_prot;
	enum prot_method resp_prot;
	int	 has_signing_cert;
	int	 has_signing_chain;
	int	 implicit_confirm_allowed;
	int	 confirm_wait_time;		/* seconds */
	/* the shared secret, decrypted; wiped by profile_clear() */
	int	 has_secret;
	unsigned char secret[PROFILE_SECRET_MAX];
	size_t	 secret_len;
	char	 secret_ref[129];		/* "" = any senderKID */
	int	 ra_found;
	char	 ra_uuid[CMPD_UUID_LEN + 1];
	char	 ra_name[CMPD_NAME_BUF];
	int	 ra_enabled;
	/* what the connector call needs. The attribute arrays (JSON text,
	 * under PROFILE_ATTRS_MAX bytes) and the credentials are allocated
	 * to their length, NULL when empty, and freed by profile_clear():
	 * every request copies the struct from the worker's cache. */
	char	*issue_attrs;
	char	*revoke_attrs;
	char	*ra_attrs;
	char	 authority_instance[CMPD_UUID_LEN + 1];
	char	 connector_uuid[CMPD_UUID_LEN + 1];
	char	 connector_url[PROFILE_URL_MAX + 1];
	char	 connector_auth[16];		/* none basic certificate apiKey */
	char	*connector_cred;		/* decrypted; wiped */
	size_t	 connector_cred_size;		/* its allocation */
	int	 connector_insecure;	/* credentials over http:// allowed */
	/* signature protection (profile_load_signing); freed by
	 * profile_clear() */
	EVP_PKEY *sign_key;
	X509	*sign_cert;
	STACK_OF(X509) *sign_chain;
	STACK_OF(X509) *anchors;	/* for request signers */
	STACK_OF(X509_CRL) *crls;	/* uploaded with the anchors */
	int	 signing_loaded;
	/* subjectPolicy: a signed ir/cr/kur may ask for any subject, or
	 * only for its protection certificate's (the default) */
	int	 subject_any;
	/* caPubs: which ip carries the root(s) of the issuing chain */
	enum profile_ca_pubs ca_pubs;
	/* legacyPbm: PBM with SHA-1 as owf accepted (RFC 9481 4.1.1 has
	 * SHA-2 only) */
	int	 legacy_pbm;
	/* certReqMax: CertReqMsgs in one ir/cr/kur; 0 = the default */
	int	 cert_req_max;
	/* the certReqTemplate (RFC 9483 4.3.3) as requests are held to it
	 * (cmp_tmpl_profile): keySpec ("" and EVP_PKEY_NONE: any key), the
	 * keyUsage bits (0: any) and extendedKeyUsage OIDs ("": any) it
	 * offers; tmpl_bad: a template the API would not have taken
	 * (written in SQL), and nothing is enrolled */
	char	 key_spec[48];
	int	 key_type;
	int	 key_param;
	int	 tmpl_ku;
	char	 tmpl_eku[PROFILE_EKU_MAX];
	int	 tmpl_bad;
	/* the verified signer of the message being handled (signer first)
	 * and what it may do as an RA (cmp_ra.c); freed by profile_clear() */
	STACK_OF(X509) *signer_chain;
	/* its inventory look-up left to the certConf's UPDATE (cmp_confirm,
	 * cmp_signer_lookup) */
	int	 signer_pending;
	/* no current CRL of its CA could be had: an rr may revoke the
	 * signer's own certificate, nothing else (cmp_server_sig_check) */
	int	 signer_crl_missing;
	int	 ra_perms;		/* RA_PERM_* */
	int	 ra_looked_up;
	/* syncBudget: seconds a worker waits on an issue or renew call
	 * before the request turns into delayed delivery; 0 = the default */
	int	 sync_budget;
	/* centralKeyGeneration: a request without a public key has one
	 * generated for it (cmp_ckg.c, RFC 9483 4.1.6) */
	int	 ckg_allowed;
	/* per-device secrets (cmp_device.c): profileSecretFallback lets the
	 * profile's secret authenticate a senderKID that selects no device
	 * entry; device is the entry the request's MAC verified with (its
	 * secret then replaced secret above, to MAC the answers) */
	int	 secret_fallback;
	int	 has_devices;
	char	 device_uuid[CMPD_UUID_LEN + 1];	/* "" = none */
	int	 device_spent;	/* uses this request spent (one per
				 * certificate asked for) */
	int	 ckg_rsa_keys;	/* RSA keys generated for this request, a
				 * nested batch's inner messages too (one
				 * allowed, cmp_ckg.c) */
};
enum cmp_fail profile_check(const struct route *, const struct profile *);
enum cmp_fail profile_resolve(const struct route *, struct profile *);
void	profile_clear(struct profile *);
int	profile_load_connector(const char *ra_uuid, const char *cmp_uuid,
	    struct profile *);
int	profile_load_signing(struct profile *);
enum cmp_fail profile_signing_get(struct profile *);
void	profile_done(void);
#define PROFILE_BAD_DATA	3
STACK_OF(X509) *profile_der_certs(const unsigned char *, size_t);
int	profile_variant_parse(const char *, enum cmp_variant *);
int	profile_prot_parse(const char *, enum prot_method *);
const char *profile_prot_name(enum prot_method);
int	profile_ca_pubs_parse(const char *, enum profile_ca_pubs *);
STACK_OF(X509_CRL) *profile_der_crls(const unsigned char *, size_t);

/* profile_row.c: a row as read, copied (the request's, the cache's) */
int	profile_row_copy(struct profile *, const struct profile *);
void	profile_row_free(struct profile *);

/* profile_cache.c: the rows profile_resolve() read, per worker */
struct profile_sealed {		/* the row's encrypted columns, as read */
	unsigned char secret[PROFILE_SECRET_MAX + 64];
	size_t	 secret_len;		/* 0: none */
	unsigned char cred[PROFILE_ATTRS_MAX + 64];
	size_t	 cred_len;
};
int	profile_cache_map(void);
void	profile_cache_init(const struct conf *);
void	profile_cache_changed(void);
unsigned long profile_cache_generation(void);
int	profile_cache_get(const struct route *, struct profile *,
	    const struct profile_sealed **);
void	profile_cache_put(const struct route *, const struct profile *,
	    const struct profile_sealed *, unsigned long gen);
void	profile_cache_flush(void);

/* cmp_ra.c: registration authorities of a CMP Profile */
#define RA_PERM_ENROLL		0x01	/* ir/cr/p10cr for any subject */
#define RA_PERM_REVOKE		0x02	/* rr of any certificate */
#define RA_PERM_RAVERIFIED	0x04	/* raVerified POP (RFC 4211 4) */
#define RA_PERM_LISTED		0x08	/* on the list at all */
#define CMP_RA_MAX		100	/* entries per CMP Profile */
int	cmp_ra_fingerprint(X509 *, char out[65]);
int	cmp_ra_chain_perms(const struct profile *, STACK_OF(X509) *chain);
int	cmp_ra_perms(struct profile *);

/* db.c */
int	db_configure(const struct conf *);
void	db_close(void);
int	db_connect_once(const struct conf *, unsigned int io_timeout,
	    void **mysql);
#define DB_OK		0
#define DB_NOTFOUND	1
#define DB_DUP		2	/* a unique key exists already */
#define DB_ERR		(-1)
#define DB_ARGS_MAX	40	/* parameters or result columns */
enum db_type { DB_STR, DB_BLOB, DB_INT, DB_NULL };
struct db_arg {			/* a statement parameter */
	enum db_type type;
	const void *p;		/* DB_STR, DB_BLOB */
	unsigned long len;
	long long i;		/* DB_INT */
};
#define DB_ARG_STR(s)	{ DB_STR, (s), strlen(s), 0 }
#define DB_ARG_BLOB(p, n) { DB_BLOB, (p), (n), 0 }
#define DB_ARG_OCTETS(s)	DB_ARG_BLOB(ASN1_STRING_get0_data(s), \
	(unsigned long)ASN1_STRING_length(s))
#define DB_ARG_INT(v)	{ DB_INT, NULL, 0, (v) }
#define DB_ARG_NULL	{ DB_NULL, NULL, 0, 0 }
struct db_col {			/* a result column */
	enum db_type type;	/* DB_STR (NUL-terminated), DB_BLOB, DB_INT */
	void	*buf;
	size_t	 n;		/* capacity of buf */
	unsigned long len;	/* fetched length */
	long long i;
	char	 null, err;
};
int	db_is_lost(unsigned int mysql_errno);
int	db_run(const char *sql, const struct db_arg *, size_t nargs,
	    struct db_col *, size_t ncols, unsigned long long *affected);
int	db_query(const char *sql, const struct db_arg *, size_t nargs,
	    struct db_col *, size_t ncols, size_t max,
	    int (*fn)(struct db_col *, size_t, void *), void *arg,
	    size_t *nrows);
int	db_begin(void);
int	db_commit(void);
void	db_rollback(void);
#define DB_TXN_ATTEMPTS	4	/* runs of one transaction at most */
#define DB_BACKOFF_MS	10	/* before the second; doubled after */
int	db_txn(int (*fn)(void *), void *arg);
int	db_txn1(int (*fn)(void *), void *arg);
int	db_txn_commit_unknown(void);
int	db_txn_depth(void);
struct db_login;
const struct db_login *db_login_get(void);
size_t	db_endpoint_current(int *connected, int *galera);
void	db_probe(const unsigned char *want, unsigned char *up, size_t n,
	    long ms);

/* db_endpoint.c */
struct db_login {		/* where and as whom to connect */
	const struct db_endpoint *ep;
	size_t	 n;		/* 0: the socket (or localhost) */
	const char *socket, *user, *password_file, *name;
	int	 connect_timeout;
};
enum db_retry {			/* why a transaction runs again */
	DB_RETRY_NO, DB_RETRY_DEADLOCK, DB_RETRY_LOCK_WAIT, DB_RETRY_LOST,
	DB_RETRY__COUNT
};
int	db_hosts_parse(const char *list, int default_port,
	    struct db_endpoint *, size_t max, size_t *n, char *err,
	    size_t errlen);
int	db_endpoints_conf(const char *socket, const char *hosts,
	    const char *host, int port, struct db_endpoint *, size_t *n,
	    char *err, size_t errlen);
void	db_endpoint_name(const struct db_login *, size_t i, char *buf,
	    size_t n);
enum db_retry db_retry_class(unsigned int mysql_errno);
const char *db_retry_name(enum db_retry);
void	db_backoff(int attempt);
#define DB_LEASE_HOLDER_MAX	128	/* cmpd_lease.holder */
void	db_lease_holder(char *buf, size_t n);
int	db_open(const struct db_login *, unsigned int io_timeout, size_t *cur,
	    int *failed, unsigned char *up, int *galera, void **mysql);
int	db_open_password(const struct db_login *, char **pw, size_t *size);

/* db_probe.c */
void	db_probe_all(const struct db_login *, size_t n,
	    const unsigned char *want, unsigned char *up, long ms);
#define DB_LOCK_WAIT_MARGIN	5	/* s: locks waited for below io_timeout */

/* migrate.c */
int	migrate_run(const struct conf *);
int	migrate_check(const struct conf *);

/* credentials.c */
#define CRED_CERTS_MAX	16	/* certificates in one PEM upload */
int	cred_parse_pem(const char *pem, size_t len, EVP_PKEY **key,
	    STACK_OF(X509) **certs, char *err, size_t errlen);
int	cred_parse_key(const char *pem, size_t len, EVP_PKEY **key);
unsigned char *cred_der_certs(STACK_OF(X509) *, int from, size_t *len);
size_t	cred_der_len(STACK_OF(X509) *, int from);
int	cred_store_sealed(const char *sql_set, const char *column,
	    const char *uuid, const unsigned char *secret, size_t len);
int	cred_store_signing(const char *uuid, EVP_PKEY *, STACK_OF(X509) *,
	    char *err, size_t errlen);
#define CRED_CRLS_MAX	16	/* CRLs in one trust-anchor upload */
int	cred_parse_crls(const char *pem, size_t len, STACK_OF(X509_CRL) **,
	    char *err, size_t errlen);
size_t	cred_der_crls_len(STACK_OF(X509_CRL) *);
int	cred_store_anchors(const char *uuid, STACK_OF(X509) *,
	    STACK_OF(X509_CRL) *);

/* cmp_msg.c */
int	cmp_msg_decode(const unsigned char *der, size_t len, CMPD_MSG **msg,
	    CMPD_HEADER **hdr_only);
int	cmp_msg_encode(const CMPD_MSG *, unsigned char **der, size_t *len);
int	cmp_msg_body_type(const CMPD_MSG *);
long	cmp_msg_first_cert_req_id(const CMPD_MSG *);
int	cmp_msg_rep_type(int req_type);
CMPD_PKISI *cmp_msg_pkisi_new(int status, int failbit, const char *text);
CMPD_MSG *cmp_msg_response_new(const CMPD_HEADER *req, const X509_NAME *sender,
	    int body_type);
CMPD_MSG *cmp_msg_error_new(const CMPD_HEADER *req, const X509_NAME *sender,
	    const struct cmp_fail_def *, const char *text);
CMPD_MSG *cmp_msg_waiting_new(const CMPD_HEADER *req,
	    const X509_NAME *sender, const char *text);
CMPD_MSG *cmp_msg_rejection_new(const CMPD_HEADER *req,
	    const X509_NAME *sender, int rep_type, long cert_req_id,
	    const struct cmp_fail_def *, const char *text);
X509_NAME *cmp_msg_parse_name(const char *);
int	cmp_msg_prot_method(const CMPD_HEADER *, enum prot_method *);

/* secret.c */
int	secret_init(const struct conf *);
int	secret_key_check(const char *path);
int	secret_reseal_init_previous(void);

/* spki.c */
EVP_PKEY *spki_decode(const unsigned char *der, size_t len);
int	 spki_key_sound(const EVP_PKEY *);
int	 spki_key_cheap(const EVP_PKEY *);
int	 spki_key_eq(const EVP_PKEY *, const EVP_PKEY *);
EVP_PKEY *spki_template_key(const OSSL_CRMF_CERTTEMPLATE *, CMPD_SPKI **);
unsigned char *spki_template_der(const OSSL_CRMF_CERTTEMPLATE *, size_t *);
int	spki_cert_has_key(X509 *, const unsigned char sha256[32],
	    const unsigned char *spki, size_t len);
void	spki_done(void);

/* popo.c */
enum popo_result {
	POPO_OK,
	POPO_BAD,		/* no key, poposkInput, a wrong signature */
	POPO_MISSING,
	POPO_RA_VERIFIED,	/* raVerified, not accepted here */
	POPO_UNSUPPORTED,	/* keyEncipherment, keyAgreement */
	POPO_BAD_ALG		/* signed with an algorithm not accepted */
};
enum popo_result popo_verify(const OSSL_CRMF_MSG *, EVP_PKEY *key,
	    int accept_ra_verified, char *why, size_t whylen);

/* sigalg.c */
int	sigalg_ok(const X509_ALGOR *, char *why, size_t whylen);

/* check.c */
int	check_run(const struct conf *, int with_db, int allow_root);
int	secret_available(void);
int	secret_seal(const unsigned char *, size_t, const char *aad,
	    unsigned char **out, size_t *outlen);
int	secret_open(const unsigned char *blob, size_t len, const char *aad,
	    unsigned char *pt, size_t cap, size_t *ptlen);
int	secret_key_create(const char *path);
int	secret_reseal_init(const char *path);
int	secret_reseal(const unsigned char *blob, size_t len, const char *aad,
	    unsigned char **out, size_t *outlen);
void	secret_reseal_done(void);
/* The AAD of a sealed column: "table.column|uuid". */
#define SECRET_AAD_MAX		96
#define SECRET_AAD(buf, col, uuid) \
	snprintf((buf), SECRET_AAD_MAX, "%s|%s", (col), (uuid))

/* cmp_protect.c */
enum cmp_fail cmp_protect_pbm_verify(const CMPD_MSG *,
	    const unsigned char *secret, size_t slen, const char *reference,
	    long max_iter, int legacy, char *arg, size_t arglen);
int	cmp_protect_pbm(CMPD_MSG *rsp, const CMPD_MSG *req,
	    const unsigned char *secret, size_t slen, long max_iter,
	    int legacy);
#define CMP_REQUESTER_KID_MAX	128	/* cmp_transaction.requester_kid */
struct cmp_requester {
	enum prot_method method;
	unsigned char cert_hash[32];	/* signature: SHA-256 of the cert */
	unsigned char kid[CMP_REQUESTER_KID_MAX];	/* MAC: senderKID */
	size_t	 kid_len;
	/* MAC: the device entry whose secret verified it, "" for the
	 * CMP Profile's; device_known 0: not recorded (a row from before
	 * schema 33), the senderKID alone counts */
	char	 device[CMPD_UUID_LEN + 1];
	int	 device_known;
	int	 ra;	/* the RA_PERM_* the request began on (enrolment) */
};
int	cmp_protect_requester(const CMPD_MSG *, const struct profile *,
	    struct cmp_requester *);
int	cmp_protect_requester_eq(const struct cmp_requester *,
	    const struct cmp_requester *);
/* cmp_protect_sig.c */
#define CMP_SIG_LEAF_REVOKED_OK	0x01	/* cmp_protect_sig_verify flags */
void	cmp_protect_sig_level(int);
enum cmp_fail cmp_protect_sig_verify(const CMPD_MSG *,
	    STACK_OF(X509) *anchors, STACK_OF(X509_CRL) *crls,
	    STACK_OF(X509) *known, int known_down, int flags,
	    STACK_OF(X509) **chain, char *arg, size_t arglen);
int	cmp_protect_sig(CMPD_MSG *rsp, EVP_PKEY *key, X509 *cert,
	    STACK_OF(X509) *chain);

struct store_tx;		/* store.h */

/* cmp_revoke.c */
CMPD_MSG *cmp_revoke(const CMPD_MSG *req, struct profile *,
	    const X509_NAME *srv, int verified_by_sig, enum cmp_fail *,
	    char *arg, size_t arglen);
CMPD_MSG *cmp_revoke_poll(const CMPD_MSG *req, struct profile *,
	    const X509_NAME *srv, struct store_tx *, enum cmp_fail *,
	    char *arg, size_t arglen);

/* cmp_genm.c */
CMPD_MSG *cmp_genm(const CMPD_MSG *req, const struct profile *,
	    const X509_NAME *srv, enum cmp_fail *, char *arg, size_t arglen);
CMPD_MSG *cmp_genm_poll(const CMPD_MSG *req, const struct profile *,
	    const X509_NAME *srv, const struct store_tx *, enum cmp_fail *,
	    char *arg, size_t arglen);

/* cmp_exts.c */
enum cmp_fail cmp_exts_check(const STACK_OF(X509_EXTENSION) *,
	    const struct profile *, char *arg, size_t arglen);
enum cmp_fail cmp_exts_csr_check(const X509_REQ *, char *arg, size_t arglen);
int	cmp_exts_name_der(const X509_NAME *);
/* cmp_pubkey.c */
void	cmp_pubkey_level(int);
int	cmp_pubkey_level_bits(void);
int	cmp_pubkey_spec_bits(int type, int param);
enum cmp_fail cmp_pubkey_check(const EVP_PKEY *, const struct profile *, char *arg,
	    size_t arglen);
/* cmp_enroll_rules.c */
enum cmp_fail cmp_enroll_kur_check(const CMPD_MSG *, const OSSL_CRMF_MSG *,
	    const struct profile *, X509 **old, char **meta);
enum cmp_fail cmp_enroll_subject_check(const CMPD_MSG *,
	    const OSSL_CRMF_CERTTEMPLATE *, const struct profile *, char *text,
	    size_t textlen);
/* cmp_ckg.c */
int	cmp_ckg_wanted(const OSSL_CRMF_MSG *);
enum cmp_fail cmp_ckg_request(const OSSL_CRMF_MSG *, const CMPD_MSG *,
	    struct profile *, OSSL_CRMF_MSG **own, CMPD_ENCRYPTEDKEY **,
	    char *arg, size_t arglen);
/* cmp_certprofile.c */
enum cmp_fail cmp_certprofile_get(const CMPD_HEADER *, int nreq,
	    STACK_OF(ASN1_UTF8STRING) **, char *arg, size_t arglen);
enum cmp_fail cmp_certprofile_offered(const STACK_OF(ASN1_UTF8STRING) *,
	    int i, const struct profile *, char *arg, size_t arglen);
/* cmp_tmpl.c */
struct json_object;
#define CMP_TMPL_JSON_MAX	4096	/* cmp_profile.cert_req_template */
int	cmp_tmpl_build(struct json_object *, unsigned char **der, int *len,
	    char *err, size_t errlen);
#define CMP_TMPL_KS_CURVE	1
#define CMP_TMPL_KS_RSA		2
#define CMP_TMPL_KS_FORM	3
int	cmp_tmpl_keyspec(const char *, int *type, int *param);
int	cmp_tmpl_profile(const char *json, struct profile *);
#define CMP_TMPL_KU_BITS	9	/* RFC 5280 4.2.1.3 */
const char *cmp_tmpl_ku_name(int bit);

/* cmp_ca.c */
struct conn_target;
struct conn_result;
void	cmp_ca_init(const struct conf *);
void	cmp_ca_done(void);
void	cmp_ca_target(const struct profile *, int revoke,
	    struct conn_target *);
enum cmp_fail cmp_ca_conn_fail(const struct conn_result *, char *arg,
	    size_t arglen);
void	cmp_ca_request_begin(void);
long	cmp_ca_budget_ms(const struct profile *);
int	cmp_ca_settle_s(void);
int	cmp_ca_too_late(const struct profile *, const struct conn_result *);
int	cmp_ca_cut(const struct profile *, const struct conn_result *);
STACK_OF(X509) *cmp_ca_chain(const struct profile *, int *late, int *down);
struct ca_crl_state {
	int	 late;		/* the CA ran past the syncBudget */
	int	 missing;	/* it has a CRL, none current can be had now */
	const X509_NAME *issuer; /* of its last CRL, or NULL */
};
X509_CRL *cmp_ca_crl(const struct profile *, struct ca_crl_state *);

/* cmp_chain.c */
int	cmp_chain_ca_pubs_allowed(const CMPD_MSG *req, const struct profile *);
int	cmp_chain_issued(X509 *cert, STACK_OF(X509) *ca_chain);
int	cmp_chain_answer(CMPD_MSG *rsp, const CMPD_MSG *req,
	    const struct profile *, STACK_OF(X509) *ca_chain);

/* cmp_enroll.c */
CMPD_MSG *cmp_enroll(const CMPD_MSG *req, const unsigned char *der,
	    size_t len, struct profile *, const X509_NAME *srv,
	    const struct conf *, const char *pn, enum cmp_fail *, char *text,
	    size_t textlen);
void	cmp_enroll_serial(X509 *, char *buf, size_t n);
int	cmp_enroll_general_info(CMPD_HEADER *, int implicit, int wait);

/* cmp_poll.c */
CMPD_MSG *cmp_poll(const CMPD_MSG *req, struct profile *,
	    const X509_NAME *srv, const struct conf *, enum cmp_fail *,
	    char *arg, size_t arglen);

/* cmp_confirm.c */
CMPD_MSG *cmp_confirm(const CMPD_MSG *req, struct profile *,
	    const X509_NAME *srv, enum cmp_fail *);
CMPD_MSG *cmp_confirm_error(const CMPD_MSG *req, struct profile *,
	    const X509_NAME *srv, enum cmp_fail *);
enum cmp_fail cmp_requester_check(const CMPD_MSG *req, const struct profile *,
	    const struct store_tx *first);

/* cmp_device.c */
#define CMP_DEVICE_CONSTRAINT_MAX	1024	/* cmp_device.subject, san */
enum cmp_fail cmp_device_verify(const CMPD_MSG *req, struct profile *,
	    const struct conf *, int mac_only, char *arg, size_t arglen);
void	cmp_device_refund(struct profile *);
void	cmp_device_settle(void);
GENERAL_NAMES *cmp_device_san_parse(const char *);
/* An entry's state, as the API shows it: locked first, then used, expired */
/* a lock ends at locked_until, or lasts (NULL; schema 0030) */
#define CMP_DEVICE_LOCKED_SQL \
	"(d.locked AND (d.locked_until IS NULL OR " \
	"d.locked_until > UTC_TIMESTAMP(6)))"
#define CMP_DEVICE_STATE_SQL \
	"CASE WHEN " CMP_DEVICE_LOCKED_SQL " THEN 'locked' " \
	"WHEN d.uses_left <= 0 THEN 'used' " \
	"WHEN d.not_after IS NOT NULL AND d.not_after < UTC_TIMESTAMP(6) " \
	"THEN 'expired' ELSE 'active' END"

/* cmp_sweep.c */
struct sweep_stats {
	int	 revoked;	/* revoke_pending certificates revoked */
	int	 revoke_failed;	/* revocations that failed (retried later) */
	int	 recorded;	/* the CA had issued: recorded, revoke_pending */
	int	 nothing;	/* the CA had issued nothing: failed */
	int	 unknown;	/* the CA cannot be asked: unknown_at_ca */
	int	 retry;		/* the CA did not answer: asked again later */
	/* what is left for later runs, counted at the end of this one
	 * (left_known 0: not counted, the database did not answer) */
	int	 left_known;
	long long left_revoke;	/* certificates revoke_pending */
	long long left_issuing;	/* transactions issuing */
	long long left_unknown;	/* transactions unknown_at_ca */
	long long left_waiting;	/* transactions waiting (polling) */
};
int	cmp_sweep(const struct conf *, int max, int lock_wait,
	    int issuing_age, struct sweep_stats *);

/* cmp_header.c */
int	cmp_header_is_first_message(int body_type);
enum cmp_fail cmp_header_check(const CMPD_MSG *, time_t now, long skew,
	    char *arg, size_t arglen);

/* cmp_server.c */
void	cmp_server_init(const struct conf *);
void	cmp_server_done(void);
const X509_NAME *cmp_server_name(void);
const struct conf *cmp_server_conf(void);
enum cmp_fail cmp_server_sig_check(const CMPD_MSG *, struct profile *,
	    int defer, char *arg, size_t arglen);
enum cmp_fail cmp_server_check(const CMPD_MSG *, struct profile *,
	    int defer, char *arg, size_t arglen, int *verified);
CMPD_MSG *cmp_server_body(const struct route *, const CMPD_MSG *req,
	    const unsigned char *der, size_t len, struct profile *,
	    enum cmp_fail *, char *arg, size_t arglen);
CMPD_MSG *cmp_server_answer(const struct route *, const CMPD_MSG *req,
	    const CMPD_HEADER *hdr, struct profile *, CMPD_MSG *rsp,
	    enum cmp_fail, const char *arg, int resolved, int verified);

/* cmp_signer.c */
enum cmp_fail cmp_signer_revoked(const CMPD_MSG *, STACK_OF(X509) *chain);
enum cmp_fail cmp_signer_lookup(const CMPD_MSG *, struct profile *);

/* cmp_nested.c */
#define CMPD_NESTED_MAX	10	/* inner messages of one nested */
enum cmp_fail cmp_nested_check(const CMPD_MSG *, struct profile *,
	    const struct conf *, char *arg, size_t arglen, int *verified);
CMPD_MSG *cmp_nested(const struct route *, CMPD_MSG *req, struct profile *,
	    enum cmp_fail *, char *arg, size_t arglen);

/* cmp_request.c */
struct cmp_result {
	int	 http_status;
	unsigned char *der;	/* the answer, owned by the caller */
	size_t	 der_len;
	int	 req_type;	/* body type of the request, -1 if unknown */
	int	 rsp_type;
	enum cmp_fail fail;
	char	 tid_hex[2 * CMPD_ID_MAX_LEN + 1];
	char	 profile[CMPD_NAME_MAX + 1];
};
void	cmp_request_handle(const struct route *, const unsigned char *der,
	    size_t len, struct cmp_result *);
void	cmp_request_result_free(struct cmp_result *);

/* http.c */
struct http_req;
int	http_serve(void *fcgx_request, const struct conf *, unsigned long seq);

/* worker.c */
void	worker_main(const struct conf *, int listen_fd, int slot)
	    __attribute__((noreturn));
void	worker_signals(sigset_t *stop_set);
int	worker_wait(int fd, const sigset_t *stop_set, int timeout_ms);
int	worker_stopping(void);

/* conn.c (conn.h): how a connector call ended; metrics.c counts them */
enum conn_status {
	CONN_OK = 0,
	CONN_UNAVAILABLE,	/* no connection, timeout, TLS failure, 5xx */
	CONN_REJECTED,		/* 4xx other than 404: the connector's text */
	CONN_NOT_FOUND,		/* 404 */
	CONN_FAILED,		/* 1xx, 3xx, bad 2xx body, reply too big */
	/* refused before any connection, nothing was sent: */
	CONN_INSECURE,		/* credentials would cross plain http:// */
	CONN_BUSY,		/* connector_workers_max workers in calls */
	/* issue/renew answered 202, or lookup {found: false, pending:
	 * true}: the CA works on it; ask again with conn_lookup */
	CONN_PENDING,
};

/* metrics.c: counters shared by all workers, for GET /metrics */
enum metrics_call {
	METRICS_CALL_ISSUE, METRICS_CALL_RENEW, METRICS_CALL_REVOKE,
	METRICS_CALL_CA_CERTS, METRICS_CALL_LOOKUP, METRICS_CALL_CRL,
	METRICS_CALL_ROOT_UPDATE, METRICS_CALL__COUNT
};
/* The sweep's reconciliation of transactions left 'issuing'. */
enum metrics_recon {
	METRICS_RECON_RECORDED,		/* the CA issued: recorded, revoked */
	METRICS_RECON_NOTHING,		/* the CA issued nothing: failed */
	METRICS_RECON_UNKNOWN,		/* cannot ask the CA: unknown_at_ca */
	METRICS_RECON_RETRY,		/* the CA did not answer: later */
	METRICS_RECON__COUNT
};
/* Revocations cmpd starts itself (undelivered, rejected, unconfirmed). */
enum metrics_revocation {
	METRICS_REV_REVOKED,
	METRICS_REV_ALREADY,		/* the CA had revoked it: done too */
	METRICS_REV_FAILED,		/* retried later */
	METRICS_REV_GAVE_UP,		/* attempt cap reached: stays pending */
	METRICS_REV__COUNT
};
int	metrics_init(void);
void	metrics_reconcile(enum metrics_recon);
void	metrics_revocation(enum metrics_revocation);
void	metrics_sweep_run(void);
void	metrics_backlog(long long revoke_pending, long long issuing,
	    long long unknown_at_ca, long long waiting);
void	metrics_request(enum route_kind, int body_type, const char *outcome,
	    double ms);
void	metrics_connector(enum metrics_call, enum conn_status);
void	metrics_db_error(void);
void	metrics_db_retry(int db_retry);
void	metrics_db_failover(unsigned int n);
void	metrics_db_reconnect(void);
void	metrics_db_endpoint(size_t i, int up);
void	metrics_db_endpoints_reset(void);
void	metrics_worker_restart(int recycled);
void	metrics_workers_alive(int);
#define METRICS_CONN_SLOTS	1024	/* workers, retired ones included */
void	metrics_conn_cap(int);
void	metrics_conn_slot(int);
void	metrics_conn_clear(int);
int	metrics_conn_enter(void);
int	metrics_conn_enter_wait(int wait_ms);
#define METRICS_CONN_WAIT_MS	500	/* for a place held by a quick call */
#define METRICS_CONN_STEP_MS	2	/* a waiter looks again after */
void	metrics_conn_leave(void);
char	*metrics_render(const struct conf *, size_t *len);

/* master.c */
int	master_listen(const struct conf *);
int	master_run(struct conf *, int listen_fd, int allow_root);

#endif
