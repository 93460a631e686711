/*
 * The store: what cmpd keeps in MariaDB of transactions (store_tx.c,
 * store_wait.c), the certificates issued (store.c) and their status as
 * a signer's chain is looked up (store_status.c), the CAs' CRLs
 * (store_crl.c).
 */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>

#include <openssl/crmf.h>
#include <openssl/x509.h>

#include "cmpd.h"

/* store.c: a statement that must change one row; a DATETIME's text */
int	store_run1(const char *sql, const struct db_arg *, size_t n);
#define STORE_TIME_LEN	20	/* "YYYY-MM-DD HH:MM:SS" and its NUL */
int	store_time_str(const ASN1_TIME *, char *buf, size_t n);

/* store_crl.c: the last CRL each CA gave */
ASN1_INTEGER *store_crl_number(const X509_CRL *);
int	store_crl_put(const char *key, const X509_CRL *);
X509_CRL *store_crl_get(const char *key, size_t max);

/* store_tx.c (transaction rows), store.c (certificates) */
#define STORE_CERT_MAX	65536
/* a request's SubjectPublicKeyInfo kept with its row (request_spki) at
 * most: an RSA key of 16 384 bits takes 2 000 bytes */
#define STORE_SPKI_MAX	4096
#define STORE_DN_MAX	2048	/* certificate.issuer_dn, subject_dn */
#define STORE_CERT_HASH_MAX	64	/* cmp_transaction.cert_hash */
#define STORE_DN_BUF	(4 * STORE_DN_MAX + 1)	/* utf8mb4 bytes + NUL */
#define STORE_TOO_LONG	3	/* store_issued: a name the columns cannot hold */
/* The index that a statement on a transaction's row by its key
 * (transaction_id, position) names after the table: a WHERE that also
 * names a state, a certificate or a profile would have the range
 * optimizer weigh their indexes at every execution (a dive into each
 * B-tree), and with few rows in that state choose the state's index. */
#define STORE_TX_KEY	"FORCE INDEX (cmp_transaction_tid_pos)"
struct store_tx {
	char	 state[16];
	unsigned char nonce[CMPD_ID_MAX_LEN];
	size_t	 nonce_len;
	long long cert_req_id;
	char	 cmp_uuid[CMPD_UUID_LEN + 1];
	char	 cert_uuid[CMPD_UUID_LEN + 1];
	char	 ra_uuid[CMPD_UUID_LEN + 1];
	int	 overdue;		/* past its confirmation deadline */
	int	 pos;			/* its place in the transaction */
	char	 request_id[CMPD_UUID_LEN + 1];	/* "" if none */
	int	 request_type;		/* body type of the request */
	long long age;			/* seconds since the CA was asked */
	int	 implicit;		/* implicitConfirm granted */
	int	 poll_count;		/* pollReqs answered while waiting */
	/* whole seconds until the checkAfter it was told (next_check);
	 * 0: due */
	int	 check_in;
	long long lived;		/* seconds since the transaction began */
	/* who began the transaction (store_tx_begin); has_requester 0: none
	 * recorded, a transaction older than the record */
	struct cmp_requester requester;
	int	 has_requester;
	/* SHA-256 of the requested key's SPKI DER (has_spki 0: none) */
	unsigned char spki[32];
	int	 has_spki;
	/* the issued certificate's DER (NULL: none), decoded only when
	 * asked (store_tx_cert) */
	unsigned char *der;
	size_t	 der_len;
	X509	*cert;
	int	 revoke_owed;		/* rejected now: the CA to be asked */
};
/* One certificate asked of the CA in a transaction (store_tx_begin). */
struct store_req {
	long	 cert_req_id;
	char	 request_id[CMPD_UUID_LEN + 1];
	unsigned char spki[32];		/* SHA-256 of the SPKI DER */
	int	 has_spki;
	unsigned char *spki_der;	/* the SPKI DER as sent (or NULL) */
	size_t	 spki_len;
};
/* The revocation reason of certificates their client never got or did
 * not accept. */
#define STORE_REASON_UNDELIVERED	"cessationOfOperation"
int	store_tx_begin(const CMPD_MSG *, const struct profile *,
	    const unsigned char digest[32], const struct store_req *, size_t n,
	    const struct cmp_requester *);
int	store_tx_set_state(const ASN1_OCTET_STRING *tid, int pos,
	    const char *state);
int	store_tx_reissue(const ASN1_OCTET_STRING *tid, int pos);
int	store_tx_cert_has_key(const unsigned char *tid, size_t tid_len,
	    int pos, const unsigned char sha256[32], X509 *);
int	store_tx_begun(const ASN1_OCTET_STRING *tid, const char *request_id);
int	store_tx_failure(const unsigned char *tid, size_t tid_len, int pos,
	    const char *text);
int	store_tx_poll_early(const ASN1_OCTET_STRING *tid, int pos,
	    const ASN1_OCTET_STRING *echoed, const ASN1_OCTET_STRING *sent,
	    int abandon);
int	store_tx_wait(const ASN1_OCTET_STRING *tid, int pos,
	    const ASN1_OCTET_STRING *echoed, const ASN1_OCTET_STRING *sent,
	    int check_after, int abandon, int implicit);
int	store_tx_abandon(const ASN1_OCTET_STRING *tid, int pos);
int	store_tx_nonce_rest(const ASN1_OCTET_STRING *tid, int pos,
	    const ASN1_OCTET_STRING *echoed, const ASN1_OCTET_STRING *sent);
int	store_issued(const ASN1_OCTET_STRING *tid, int pos, X509 *cert,
	    const struct profile *, const char *conn_cert_uuid,
	    const char *conn_meta, const ASN1_OCTET_STRING *echoed,
	    const ASN1_OCTET_STRING *sent_nonce, int implicit, int wait,
	    char cert_uuid[37]);
int	store_unrecorded(const ASN1_OCTET_STRING *tid, int pos, X509 *cert,
	    const struct profile *, const char *conn_cert_uuid,
	    char cert_uuid[37]);
int	store_reconciled(const unsigned char *tid, size_t tid_len, int pos,
	    X509 *cert, const char *ra_uuid, const char *cmp_uuid,
	    const char *conn_cert_uuid, char cert_uuid[37]);
int	store_tx_wrote(const unsigned char *tid, size_t tid_len, int pos,
	    const ASN1_OCTET_STRING *nonce, char cert_uuid[37]);
int	store_tx_settle(const unsigned char *tid, size_t tid_len, int pos,
	    const char *state);
int	store_tx_list(const ASN1_OCTET_STRING *tid, struct store_tx *,
	    size_t max, size_t *n);
void	store_tx_free(struct store_tx *, size_t n);
X509	*store_tx_cert(struct store_tx *);
struct store_chain_keys;	/* below, store_status.c */
int	store_confirm_one(const ASN1_OCTET_STRING *tid, long long cert_req_id,
	    const ASN1_OCTET_STRING *cert_hash,
	    const ASN1_OCTET_STRING *recip_nonce, const char *cmp_uuid,
	    const struct cmp_requester *, const struct store_chain_keys *signer,
	    const ASN1_OCTET_STRING *sent_nonce);

/* store_status.c */
#define STORE_STATUS_LEN	16	/* certificate.status, NUL included */
#define STORE_SERIAL_LEN	65	/* certificate.serial_number, NUL included */
/* A chain's certificates looked up per statement, by issuer and serial
 * (a longer chain takes more statements); the statuses that bar a
 * certificate from authenticating (DESIGN invariant 2). */
#define STORE_STATUS_PAIRS	4
#define STORE_CHAIN_PAIRS_SQL "(issuer_hash, serial_number) IN " \
	"((?, ?), (?, ?), (?, ?), (?, ?))"
/* The index that a read of the certificate table by those pairs names:
 * its unique key, so that the range optimizer does not weigh the indexes
 * on status and serial at every execution (each weighed index costs a
 * dive into its B-tree). */
#define STORE_CERT_KEY	"FORCE INDEX (certificate_issuer_serial)"
#define STORE_BARRED_SQL "('revoked', 'revoke_pending', 'rejected')"
struct store_chain_keys {
	unsigned char ih[STORE_STATUS_PAIRS][32];	/* SHA-256 of issuer */
	char	 serial[STORE_STATUS_PAIRS][STORE_SERIAL_LEN];
	int	 own[STORE_STATUS_PAIRS];	/* the chain's, not a repeat */
};
int	store_chain_status(STACK_OF(X509) *,
	    char (*status)[STORE_STATUS_LEN]);
int	store_chain_keys(STACK_OF(X509) *, struct store_chain_keys *);
int	store_issuer_seen(X509 *);
void	store_chain_args(const struct store_chain_keys *, struct db_arg *);
int	store_confirm(const ASN1_OCTET_STRING *tid, int pos,
	    const char *cert_uuid, int accepted,
	    const ASN1_OCTET_STRING *sent_nonce, int due_s, int *owed);
int	store_revoke_later(const char *cert_uuid, const char *final);
int	store_revoke_result(const char *cert_uuid, const char *reason,
	    const char *error);
struct store_cert {
	char	 uuid[CMPD_UUID_LEN + 1];
	char	 status[16];
	char	 reason[32];	/* revocation_reason; "" for none */
	char	 meta[CMPD_META_MAX + 1];	/* connector_meta; "" for none */
	X509	*cert;
};
int	store_cert_find(const X509_NAME *issuer, const ASN1_INTEGER *serial,
	    const char *ra_uuid, struct store_cert *);
int	store_revoke_intent(const char *cert_uuid, const char *reason,
	    const char *from_status, const char *from_reason, int due_s);
int	store_revoke_undo(const char *cert_uuid, const char *reason,
	    const char *to_status, const char *to_reason);
int	store_cert_released(const char *cert_uuid);

/* store_wait.c */
int	store_genm_wait(const CMPD_MSG *req, const struct profile *,
	    const struct cmp_requester *, const unsigned char *itav,
	    size_t itav_len, const ASN1_OCTET_STRING *sent, int check_after,
	    int abandon);
int	store_genm_itav(const ASN1_OCTET_STRING *tid, unsigned char *buf,
	    size_t n, size_t *len);
int	store_rr_begin(const CMPD_MSG *req, const struct profile *,
	    const struct cmp_requester *, const char *cert_uuid, int due_s);
int	store_rr_wait(const ASN1_OCTET_STRING *tid, const char *cert_uuid,
	    const char *reason, const ASN1_OCTET_STRING *sent,
	    int check_after, int abandon);
int	store_tx_rr_waiting(const ASN1_OCTET_STRING *tid, X509 *);
int	store_cert_state(const char *cert_uuid, char *status, size_t slen,
	    char *reason, size_t rlen);
enum cmp_fail store_template_fits(const OSSL_CRMF_CERTTEMPLATE *,
	    char *arg, size_t arglen);

#endif /* STORE_H */
