/*
 * The certificates a CMP transaction leaves in MariaDB: the inventory's
 * rows, written with their transaction's row in one database transaction
 * when the CA answers (store_issued), when a certificate cannot be
 * delivered (store_unrecorded) or when the sweep finds one at the CA
 * (store_reconciled), and their revocation state. The transaction rows
 * themselves are store_tx.c's. Everything an answer depends on is stored
 * before the answer is sent (DESIGN "Processes and request path").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/crmf.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "store.h"

/*
 * A statement that settles one row: DB_OK when it changed exactly one,
 * DB_NOTFOUND when it changed none (the row is gone, or no longer in the
 * state the WHERE names), else db_run's failure.
 */
int
store_run1(const char *sql, const struct db_arg *a, size_t n)
{
	unsigned long long changed = 0;
	int r;

	if ((r = db_run(sql, a, n, NULL, 0, &changed)) != DB_OK)
		return r;
	return changed == 1 ? DB_OK : DB_NOTFOUND;
}

/* The status and revocation reason of an inventory certificate. */
int
store_cert_state(const char *cert_uuid, char *status, size_t slen,
    char *reason, size_t rlen)
{
	static const char sql[] = "SELECT status, "
	    "COALESCE(revocation_reason, 'unspecified') FROM certificate "
	    "WHERE uuid = ?";
	struct db_arg a[1] = { DB_ARG_STR(cert_uuid) };
	struct db_col c[2];

	memset(c, 0, sizeof(c));
	c[0].type = DB_STR, c[0].buf = status, c[0].n = slen;
	c[1].type = DB_STR, c[1].buf = reason, c[1].n = rlen;
	return db_run(sql, a, 1, c, 2, NULL);
}

/* "YYYY-MM-DD HH:MM:SS" of an ASN1_TIME, for DATETIME columns. */
int
store_time_str(const ASN1_TIME *t, char *buf, size_t n)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm))
		return -1;
	return strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm) > 0 ? 0 : -1;
}

/*
 * The RFC 2253 text of a name, as the inventory keeps it, in a memory BIO
 * to BIO_free: *text (not NUL-terminated) is *len bytes, *chars
 * characters of UTF-8 (what a VARCHAR counts). NULL when out of memory.
 */
static BIO *
name_text(const X509_NAME *name, const char **text, long *len, long *chars)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long l, i, c = 0;

	if (b == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0 ||
	    (l = BIO_get_mem_data(b, &p)) < 0) {
		BIO_free(b);
		return NULL;
	}
	for (i = 0; i < l; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			c++;
	*text = p != NULL ? p : "";
	*len = l;
	*chars = c;
	return b;
}

/*
 * The RFC 2253 text of a name into buf. 1 if it is longer than the
 * inventory's columns (STORE_DN_MAX characters) or buf: a cut name would
 * be another name. -1 when out of memory.
 */
static int
name_str(const X509_NAME *name, char *buf, size_t n)
{
	const char *text;
	long len, chars;
	BIO *b;
	int r = -1;

	buf[0] = '\0';
	if ((b = name_text(name, &text, &len, &chars)) == NULL)
		return -1;
	r = 1;
	if (chars <= STORE_DN_MAX && (size_t)len < n) {
		memcpy(buf, text, (size_t)len);
		buf[len] = '\0';
		r = 0;
	}
	BIO_free(b);
	return r;
}

/*
 * Whether what a CA copies from a certificate template into the
 * certificate fits the inventory: the subject's RFC 2253 text in
 * subject_dn, and subject plus subjectAltName in the STORE_CERT_MAX bytes
 * kept of a certificate. Asked before the CA is: a certificate the
 * inventory cannot hold must not be issued (DESIGN invariant 1).
 * CMPF_OK, CMPF_TEMPLATE_TOO_LARGE with arg saying what, or CMPF_INTERNAL.
 */
enum cmp_fail
store_template_fits(const OSSL_CRMF_CERTTEMPLATE *tmpl, char *arg,
    size_t arglen)
{
	const X509_NAME *subject = OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl);
	const STACK_OF(X509_EXTENSION) *exts =
	    OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl);
	const char *text;
	long len, chars, total = 0;
	int i = -1, n;
	BIO *b;

	if (subject != NULL) {
		if ((b = name_text(subject, &text, &len, &chars)) == NULL)
			return CMPF_INTERNAL;
		BIO_free(b);
		if (chars > STORE_DN_MAX) {
			snprintf(arg, arglen, "subject is %ld characters as "
			    "RFC 2253 text, more than the %d the inventory "
			    "holds", chars, STORE_DN_MAX);
			return CMPF_TEMPLATE_TOO_LARGE;
		}
		if ((n = i2d_X509_NAME(subject, NULL)) < 0)
			return CMPF_INTERNAL;
		total = n;
	}
	while ((i = X509v3_get_ext_by_NID(exts, NID_subject_alt_name,
	    i)) >= 0) {
		if ((n = i2d_X509_EXTENSION(X509v3_get_ext(exts, i), NULL)) < 0)
			return CMPF_INTERNAL;
		if (total + n > STORE_CERT_MAX) {
			snprintf(arg, arglen, "subjectAltName is %d bytes; with "
			    "the subject that is more than the %d bytes the "
			    "inventory holds of a certificate", n,
			    STORE_CERT_MAX);
			return CMPF_TEMPLATE_TOO_LARGE;
		}
		total += n;
	}
	return CMPF_OK;
}

/* The inventory's row of a certificate (18 parameters). */
#define STORE_CERT_INSERT "INSERT INTO certificate (uuid, serial_number, " \
	"issuer_dn, subject_dn, issuer_hash, not_before, not_after, " \
	"fingerprint, der, status, ra_profile_uuid, cmp_profile_uuid, " \
	"connector_certificate_uuid, connector_meta, revoke_final, " \
	"revocation_reason, revoke_after) VALUES " \
	"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), ?, " \
	"NULLIF(?, ''), " \
	"IF(? = 'revoke_pending', 'revoked', NULL), " \
	"IF(? = 'revoke_pending', ?, NULL), " \
	"IF(? = 'revoke_pending', NOW(6), NULL))"
#define STORE_CERT_NARGS	18

/* A transaction's row once its certificate is stored (9 parameters):
 * only one still 'issuing', or 'waiting' on the nonce the pollReq echoed
 * (store_tx_wait), moves. cert_hash: what a certConf without hashAlg
 * must carry (store_confirm_one). */
#define STORE_TX_ISSUED "UPDATE cmp_transaction " STORE_TX_KEY " " \
	"SET certificate_uuid = ?, last_sender_nonce = ?, state = ?, " \
	"implicit_confirm = ?, deadline = NOW(6) + INTERVAL ? SECOND, " \
	"cert_hash = ? " \
	"WHERE transaction_id = ? AND position = ? AND " \
	"(state = 'issuing' OR (state = 'waiting' AND " \
	"last_sender_nonce = ?))"
#define STORE_TX_NARGS		9

/* What STORE_CERT_INSERT binds of a certificate, and the buffers its
 * parameters point into (cert_row_clear frees them). */
struct cert_row {
	unsigned char *der, *name_der, fp[32], ih[32];
	char	 serial[80], issuer[STORE_DN_BUF], subject[STORE_DN_BUF];
	char	 nb[32], na[32];
	struct db_arg a[STORE_CERT_NARGS];
};

static void
cert_row_clear(struct cert_row *row)
{
	OPENSSL_free(row->der);
	OPENSSL_free(row->name_der);
	row->der = row->name_der = NULL;
}

/*
 * The inventory's row of cert, as 'issued' or as 'revoke_pending' (due
 * now, then 'revoked') when pending, under a new time-ordered uuid
 * (certificate grows with every enrolment) in cert_uuid. DB_OK, DB_ERR,
 * or STORE_TOO_LONG: the issuer's or subject's name is longer than the
 * inventory's columns (it is not cut to fit). What cannot be read back
 * (certConf, the sweep) is not stored.
 */
static int
cert_row_make(struct cert_row *row, X509 *cert, const char *ra_uuid,
    const char *cmp_uuid, const char *conn_cert_uuid, const char *conn_meta,
    int pending, char cert_uuid[37])
{
	const char *status = pending ? "revoke_pending" : "issued";
	unsigned int fplen = 0;
	char *hex = NULL;
	BIGNUM *bn = NULL;
	int n, nn, nr, r = DB_ERR;

	row->der = row->name_der = NULL;
	if (util_uuid7(cert_uuid) != 0 ||
	    (n = i2d_X509(cert, &row->der)) <= 0 || n > STORE_CERT_MAX ||
	    (nn = i2d_X509_NAME(X509_get_issuer_name(cert),
	    &row->name_der)) <= 0 ||
	    !EVP_Digest(row->name_der, (size_t)nn, row->ih, NULL, EVP_sha256(),
	    NULL) ||
	    !X509_digest(cert, EVP_sha256(), row->fp, &fplen) ||
	    (bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) ==
	    NULL || (hex = BN_bn2hex(bn)) == NULL ||
	    store_time_str(X509_get0_notBefore(cert), row->nb,
	    sizeof(row->nb)) != 0 ||
	    store_time_str(X509_get0_notAfter(cert), row->na,
	    sizeof(row->na)) != 0)
		goto out;
	snprintf(row->serial, sizeof(row->serial), "%s", hex);
	if ((nr = name_str(X509_get_issuer_name(cert), row->issuer,
	    sizeof(row->issuer))) == 0)
		nr = name_str(X509_get_subject_name(cert), row->subject,
		    sizeof(row->subject));
	if (nr != 0) {
		if (nr > 0) {
			log_error("issuer or subject longer than the "
			    "inventory holds");
			r = STORE_TOO_LONG;
		}
		goto out;
	}
	{
		struct db_arg a[STORE_CERT_NARGS] = {
			DB_ARG_STR(cert_uuid), DB_ARG_STR(row->serial),
			DB_ARG_STR(row->issuer), DB_ARG_STR(row->subject),
			DB_ARG_BLOB(row->ih, 32), DB_ARG_STR(row->nb),
			DB_ARG_STR(row->na), DB_ARG_BLOB(row->fp, 32),
			DB_ARG_BLOB(row->der, (unsigned long)n),
			DB_ARG_STR(status),
			DB_ARG_STR(ra_uuid != NULL ? ra_uuid : ""),
			DB_ARG_STR(cmp_uuid != NULL ? cmp_uuid : ""),
			DB_ARG_STR(conn_cert_uuid),
			DB_ARG_STR(conn_meta != NULL ? conn_meta : ""),
			DB_ARG_STR(status), DB_ARG_STR(status),
			DB_ARG_STR(STORE_REASON_UNDELIVERED),
			DB_ARG_STR(status),
		};

		memcpy(row->a, a, sizeof(a));
	}
	r = DB_OK;
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	if (r != DB_OK)
		cert_row_clear(row);
	return r;
}

/*
 * Inserts cert into the inventory (cert_row_make), inside the caller's
 * database transaction. DB_DUP: the inventory has it already.
 */
static int
store_cert_insert(X509 *cert, const char *ra_uuid, const char *cmp_uuid,
    const char *conn_cert_uuid, const char *conn_meta, int pending,
    char cert_uuid[37])
{
	static const char sql_cert[] = STORE_CERT_INSERT;
	struct cert_row row;
	int r;

	if ((r = cert_row_make(&row, cert, ra_uuid, cmp_uuid, conn_cert_uuid,
	    conn_meta, pending, cert_uuid)) != DB_OK)
		return r;
	r = db_run(sql_cert, row.a, STORE_CERT_NARGS, NULL, 0, NULL);
	cert_row_clear(&row);
	return r;
}

/*
 * Records the issued certificate and moves the transaction on, in one
 * database transaction: confirmed (implicitConfirm) or waiting for a
 * certConf until now + wait seconds. sent_nonce is the senderNonce of the
 * answer about to be sent: the certConf must echo it. Only a transaction
 * still 'issuing' moves: one the sweep settled meanwhile is not the
 * caller's any more (DB_NOTFOUND).
 */
struct issued_arg {
	const ASN1_OCTET_STRING *tid, *echoed, *sent_nonce;
	int	 pos, implicit, wait;
	X509	*cert;
	const struct profile *p;
	const char *conn_cert_uuid, *conn_meta;
	char	*cert_uuid;
	ASN1_OCTET_STRING *cert_hash;	/* NULL: not known, not stored */
};

/* The transaction's parameters of STORE_TX_ISSUED into a. */
static void
issued_tx_args(const struct issued_arg *x, struct db_arg a[STORE_TX_NARGS])
{
	struct db_arg ta[STORE_TX_NARGS] = {
		DB_ARG_STR(x->cert_uuid), DB_ARG_OCTETS(x->sent_nonce),
		DB_ARG_STR(x->implicit ? "confirmed" : "confirm_wait"),
		DB_ARG_INT(x->implicit), DB_ARG_INT(x->wait),
		DB_ARG_NULL,
		DB_ARG_OCTETS(x->tid), DB_ARG_INT(x->pos), DB_ARG_NULL,
	};

	if (x->cert_hash != NULL) {
		struct db_arg h = DB_ARG_OCTETS(x->cert_hash);

		ta[5] = h;
	}
	if (x->echoed != NULL) {
		struct db_arg e = DB_ARG_OCTETS(x->echoed);

		ta[8] = e;
	}
	memcpy(a, ta, sizeof(ta));
}

/*
 * After a connection lost during COMMIT (db_txn runs the transaction
 * again): DB_OK when row (tid, pos) already holds what this run was to
 * write, i.e. last_sender_nonce is nonce, a fresh random value of this
 * answer; cert_uuid (if not NULL) gets its certificate. A transaction
 * row's, but here: store_tx.c and store_wait.c, which sit above this
 * file, use it as well as store_issued.
 */
int
store_tx_wrote(const unsigned char *tid, size_t tid_len, int pos,
    const ASN1_OCTET_STRING *nonce, char cert_uuid[37])
{
	static const char sql[] = "SELECT COALESCE(certificate_uuid, '') "
	    "FROM cmp_transaction WHERE transaction_id = ? AND position = ? "
	    "AND last_sender_nonce = ?";
	struct db_arg a[3] = { DB_ARG_BLOB(tid, tid_len), DB_ARG_INT(pos),
	    DB_ARG_OCTETS(nonce) };
	char buf[CMPD_UUID_LEN + 1];
	struct db_col c[1];
	int r;

	memset(c, 0, sizeof(c));
	c[0].type = DB_STR, c[0].buf = buf, c[0].n = sizeof(buf);
	if ((r = db_run(sql, a, NITEMS(a), c, 1, NULL)) == DB_OK &&
	    cert_uuid != NULL)
		snprintf(cert_uuid, CMPD_UUID_LEN + 1, "%s", buf);
	return r;
}

/* After r (DB_DUP or DB_NOTFOUND) from a run: the certificate is known
 * already, or the row moved on. By this very answer, when a run's COMMIT
 * committed but its answer was lost? Else r as it is. */
static int
issued_recognise(const struct issued_arg *x, int r)
{
	if ((r == DB_DUP || r == DB_NOTFOUND) &&
	    store_tx_wrote(ASN1_STRING_get0_data(x->tid),
	    (size_t)ASN1_STRING_length(x->tid), x->pos, x->sent_nonce,
	    x->cert_uuid) == DB_OK)
		return DB_OK;
	return r;
}

/* Inside a database transaction: the certificate's row, then the
 * transaction's. */
static int
store_issued_run(void *arg)
{
	static const char sql_tx[] = STORE_TX_ISSUED;
	const struct issued_arg *x = arg;
	struct db_arg ta[STORE_TX_NARGS];
	unsigned long long changed = 0;
	int r;

	r = store_cert_insert(x->cert, x->p->ra_uuid, x->p->cmp_uuid,
	    x->conn_cert_uuid, x->conn_meta, 0, x->cert_uuid);
	if (r == DB_OK) {
		issued_tx_args(x, ta);
		if (db_run(sql_tx, ta, STORE_TX_NARGS, NULL, 0, &changed) !=
		    DB_OK)
			return DB_ERR;
		if (changed == 1)
			return DB_OK;
		r = DB_NOTFOUND;
	}
	return issued_recognise(x, r);
}

/*
 * Outside any database transaction: both rows in one round trip, a
 * compound statement that runs its own transaction (START TRANSACTION to
 * COMMIT; any error rolls it back and is the statement's). A transaction
 * that is no longer 'issuing' or 'waiting' signals ER_SIGNAL_NOT_FOUND
 * (1643), which db_run() reports as DB_NOTFOUND. A deadlock runs it
 * again (db_run), a lost connection runs it again and recognises its own
 * commit (db_txn1, issued_recognise).
 */
static int
store_issued_one_run(void *arg)
{
	static const char sql[] = "BEGIN NOT ATOMIC "
	    "DECLARE EXIT HANDLER FOR SQLEXCEPTION "
	    "BEGIN ROLLBACK; RESIGNAL; END; "
	    "START TRANSACTION; "
	    STORE_CERT_INSERT "; "
	    STORE_TX_ISSUED "; "
	    "IF ROW_COUNT() <> 1 THEN SIGNAL SQLSTATE '45000' "
	    "SET MYSQL_ERRNO = 1643, "
	    "MESSAGE_TEXT = 'transaction not issuing'; END IF; "
	    "COMMIT; END";
	const struct issued_arg *x = arg;
	struct db_arg a[STORE_CERT_NARGS + STORE_TX_NARGS];
	struct cert_row row;
	int r;

	if ((r = cert_row_make(&row, x->cert, x->p->ra_uuid, x->p->cmp_uuid,
	    x->conn_cert_uuid, x->conn_meta, 0, x->cert_uuid)) != DB_OK)
		return r;
	memcpy(a, row.a, sizeof(row.a));
	issued_tx_args(x, a + STORE_CERT_NARGS);
	r = db_run(sql, a, NITEMS(a), NULL, 0, NULL);
	cert_row_clear(&row);
	return r == DB_OK ? DB_OK : issued_recognise(x, r);
}

/*
 * Alone, the certificate and its transaction's row in one round trip
 * (store_issued_one_run); inside the caller's database transaction (the
 * answer's other certificates), in two statements of it. echoed: the
 * nonce a pollReq echoed, which a waiting row must still wait on (NULL:
 * a direct answer, its row 'issuing'). DB_NOTFOUND: the row moved on;
 * DB_DUP: the inventory holds the certificate already (recorded by
 * another answer to the same pollReq, or by the sweep).
 */
int
store_issued(const ASN1_OCTET_STRING *tid, int pos, X509 *cert,
    const struct profile *p, const char *conn_cert_uuid,
    const char *conn_meta, const ASN1_OCTET_STRING *echoed,
    const ASN1_OCTET_STRING *sent_nonce, int implicit, int wait,
    char cert_uuid[37])
{
	struct issued_arg x = { tid, echoed, sent_nonce, pos, implicit, wait,
	    cert, p, conn_cert_uuid, conn_meta, cert_uuid, NULL };
	int r;

	/* RFC 9810 5.3.18: the hash of the certificate's signature
	 * algorithm, or SHA-256 when it names none or a weak one; a
	 * certificate it cannot tell is confirmed the long way */
	if (!implicit && (x.cert_hash = X509_digest_sig(cert, NULL,
	    NULL)) != NULL && ASN1_STRING_length(x.cert_hash) >
	    STORE_CERT_HASH_MAX) {
		ASN1_OCTET_STRING_free(x.cert_hash);
		x.cert_hash = NULL;
	}
	if (db_txn_depth() == 0)
		r = db_txn1(store_issued_one_run, &x);
	else
		r = db_txn(store_issued_run, &x);
	ASN1_OCTET_STRING_free(x.cert_hash);
	return r;
}

struct unrecorded_arg {
	const unsigned char *tid;
	size_t	 tid_len;
	int	 pos;
	X509	*cert;
	const char *ra_uuid, *cmp_uuid, *conn_cert_uuid;
	char	*cert_uuid;
	int	 expire;	/* the sweep: 'expired', and only from issuing */
};

static int
store_unrecorded_run(void *arg)
{
	static const char sql_fail[] = "UPDATE cmp_transaction " STORE_TX_KEY " SET "
	    "certificate_uuid = ?, state = 'failed' "
	    "WHERE transaction_id = ? AND position = ? AND "
	    "state IN ('issuing', 'waiting')";
	static const char sql_expire[] = "UPDATE cmp_transaction " STORE_TX_KEY " SET "
	    "certificate_uuid = NULLIF(?, ''), state = 'expired' "
	    "WHERE transaction_id = ? AND position = ? AND "
	    "state IN ('issuing', 'waiting')";
	const struct unrecorded_arg *x = arg;
	unsigned long long changed = 0;
	int r;

	/* revoked, never renewed: no meta kept */
	r = store_cert_insert(x->cert, x->ra_uuid, x->cmp_uuid,
	    x->conn_cert_uuid, NULL, 1, x->cert_uuid);
	if (r == DB_DUP) {
		/* Known already (its worker, the sweep, or this run before
		 * a lost COMMIT answer recorded it). */
		x->cert_uuid[0] = '\0';
		if (!x->expire)
			return DB_OK;
	} else if (r != DB_OK)
		return r;
	{
		struct db_arg ta[3] = { DB_ARG_STR(x->cert_uuid),
		    DB_ARG_BLOB(x->tid, x->tid_len), DB_ARG_INT(x->pos) };

		if (db_run(x->expire ? sql_expire : sql_fail, ta, NITEMS(ta),
		    NULL, 0, &changed) != DB_OK)
			return DB_ERR;
	}
	return !x->expire || changed == 1 ? DB_OK : DB_NOTFOUND;
}

/*
 * A certificate the CA issued for transaction tid that its client will
 * not get: into the inventory as 'revoke_pending' (the sweep revokes it
 * unless the caller manages now), the transaction 'failed' (settled) if
 * it was still 'issuing'. Also when the sweep settled the transaction
 * meanwhile: the certificate is valid at the CA and must be known.
 * *cert_uuid "" when the inventory had it already.
 */
int
store_unrecorded(const ASN1_OCTET_STRING *tid, int pos, X509 *cert,
    const struct profile *p, const char *conn_cert_uuid, char cert_uuid[37])
{
	struct unrecorded_arg x = { ASN1_STRING_get0_data(tid),
	    (size_t)ASN1_STRING_length(tid), pos, cert, p->ra_uuid,
	    p->cmp_uuid, conn_cert_uuid, cert_uuid, 0 };

	return db_txn(store_unrecorded_run, &x);
}

/*
 * The sweep found what the CA issued for a transaction left 'issuing':
 * the certificate goes into the inventory as 'revoke_pending' (its client
 * never got it), the transaction becomes 'expired'. DB_NOTFOUND: the
 * transaction was settled meanwhile by its worker.
 */
int
store_reconciled(const unsigned char *tid, size_t tid_len, int pos, X509 *cert,
    const char *ra_uuid, const char *cmp_uuid, const char *conn_cert_uuid,
    char cert_uuid[37])
{
	struct unrecorded_arg x = { tid, tid_len, pos, cert, ra_uuid,
	    cmp_uuid, conn_cert_uuid, cert_uuid, 1 };

	return db_txn(store_unrecorded_run, &x);
}

/*
 * A certificate whose revocation failed: the sweep retries it, then sets
 * its status to final ("rejected" or "revoked").
 */
int
store_revoke_later(const char *cert_uuid, const char *final)
{
	static const char sql[] = "UPDATE certificate SET "
	    "status = 'revoke_pending', revoke_final = ?, "
	    "revocation_reason = 'cessationOfOperation', "
	    "revoke_after = NOW(6) + INTERVAL 60 SECOND WHERE uuid = ?";
	struct db_arg a[2] = { DB_ARG_STR(final), DB_ARG_STR(cert_uuid) };

	return db_run(sql, a, NITEMS(a), NULL, 0, NULL);
}

/*
 * The outcome of a revocation of a 'revoke_pending' certificate with
 * this reason: done (error NULL: it takes its final status) or failed
 * with this error, kept for operators (the sweep retries). Done counts
 * only for the reason the CA was given: one owed meanwhile for another
 * (a hold's call answered after a rejected enrolment turned it into a
 * revocation for good) is left to the sweep, which asks for that one.
 */
int
store_revoke_result(const char *cert_uuid, const char *reason,
    const char *error)
{
	static const char sql_done[] = "UPDATE certificate SET "
	    "status = COALESCE(revoke_final, 'revoked'), revoke_error = NULL "
	    "WHERE uuid = ? AND status = 'revoke_pending' AND "
	    "COALESCE(revocation_reason, '') = ?";
	static const char sql_fail[] = "UPDATE certificate SET "
	    "revoke_error = LEFT(?, 512) WHERE uuid = ?";

	if (error == NULL) {
		struct db_arg a[2] = { DB_ARG_STR(cert_uuid),
		    DB_ARG_STR(reason) };

		return db_run(sql_done, a, 2, NULL, 0, NULL);
	} else {
		struct db_arg a[2] = { DB_ARG_STR(error[0] != '\0' ? error :
		    "failed"), DB_ARG_STR(cert_uuid) };

		return db_run(sql_fail, a, 2, NULL, 0, NULL);
	}
}

/*
 * The inventory's certificate with this issuer and serial, issued through
 * RA Profile ra_uuid (never another's: the reference searched them all),
 * and the connector's meta for it.
 */
int
store_cert_find(const X509_NAME *issuer, const ASN1_INTEGER *serial,
    const char *ra_uuid, struct store_cert *sc)
{
	static const char sql[] = "SELECT uuid, status, "
	    "COALESCE(revocation_reason, ''), der, "
	    "COALESCE(connector_meta, '') FROM certificate "
	    "WHERE issuer_hash = ? AND serial_number = ? AND "
	    "ra_profile_uuid = ?";
	static unsigned char der[STORE_CERT_MAX];
	unsigned char *name_der = NULL, ih[32];
	const unsigned char *q = der;
	char serial_hex[80];
	struct db_col c[5];
	char *hex = NULL;
	BIGNUM *bn = NULL;
	int n, r = DB_ERR;

	memset(sc, 0, sizeof(*sc));
	if ((n = i2d_X509_NAME(issuer, &name_der)) <= 0 ||
	    !EVP_Digest(name_der, (size_t)n, ih, NULL, EVP_sha256(), NULL) ||
	    (bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL)
		goto out;
	snprintf(serial_hex, sizeof(serial_hex), "%s", hex);
	memset(c, 0, sizeof(c));
	c[0].type = DB_STR, c[0].buf = sc->uuid, c[0].n = sizeof(sc->uuid);
	c[1].type = DB_STR, c[1].buf = sc->status, c[1].n = sizeof(sc->status);
	c[2].type = DB_STR, c[2].buf = sc->reason, c[2].n = sizeof(sc->reason);
	c[3].type = DB_BLOB, c[3].buf = der, c[3].n = sizeof(der);
	c[4].type = DB_STR, c[4].buf = sc->meta, c[4].n = sizeof(sc->meta);
	{
		struct db_arg a[3] = { DB_ARG_BLOB(ih, 32),
		    DB_ARG_STR(serial_hex), DB_ARG_STR(ra_uuid) };

		if ((r = db_run(sql, a, 3, c, 5, NULL)) != DB_OK)
			goto out;
	}
	if ((sc->cert = d2i_X509(NULL, &q, (long)c[3].len)) == NULL)
		r = DB_ERR;
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	OPENSSL_free(name_der);
	return r;
}

/*
 * An rr's revocation, written before its CA is asked (DESIGN invariant
 * 1): the certificate becomes 'revoke_pending' with the client's reason,
 * due after due_s seconds (when the call has surely ended: the sweep
 * does not ask the CA beside it), and authenticates no more (invariant
 * 2). Only from the status and reason the caller read (reason "" for
 * none): DB_NOTFOUND when another request changed them meanwhile.
 */
int
store_revoke_intent(const char *cert_uuid, const char *reason,
    const char *from_status, const char *from_reason, int due_s)
{
	static const char sql[] = "UPDATE certificate SET "
	    "status = 'revoke_pending', revoke_final = 'revoked', "
	    "revocation_reason = ?, revoke_after = NOW(6) + INTERVAL ? SECOND, "
	    "revoke_attempts = 0, revoke_error = NULL "
	    "WHERE uuid = ? AND status = ? AND "
	    "COALESCE(revocation_reason, '') = ?";
	struct db_arg a[5] = { DB_ARG_STR(reason), DB_ARG_INT(due_s),
	    DB_ARG_STR(cert_uuid), DB_ARG_STR(from_status),
	    DB_ARG_STR(from_reason) };

	return store_run1(sql, a, NITEMS(a));
}

/*
 * The rr's CA refused the revocation or never got the request: the
 * certificate takes back the status and reason it had (reason "" for
 * none). Not once a sweep has taken the revocation up (it then goes on
 * as any revocation owed), nor once its enrolment was rejected or
 * expired during the call: the rejection and the sweep's confirm
 * deadline found a revocation under way and owed none of their own, so
 * the rr's stays owed (DESIGN invariant 1); DB_NOTFOUND then.
 */
int
store_revoke_undo(const char *cert_uuid, const char *reason,
    const char *to_status, const char *to_reason)
{
	static const char sql[] = "UPDATE certificate c SET c.status = ?, "
	    "c.revocation_reason = NULLIF(?, ''), c.revoke_final = NULL, "
	    "c.revoke_after = NULL, c.revoke_error = NULL "
	    "WHERE c.uuid = ? AND c.status = 'revoke_pending' AND "
	    "c.revocation_reason = ? AND c.revoke_attempts = 0 AND "
	    "NOT EXISTS (SELECT 1 FROM cmp_transaction t WHERE "
	    "t.certificate_uuid = c.uuid AND t.cert_req_id >= 0 AND "
	    "t.state IN ('rejected', 'expired'))";
	struct db_arg a[4] = { DB_ARG_STR(to_status), DB_ARG_STR(to_reason),
	    DB_ARG_STR(cert_uuid), DB_ARG_STR(reason) };

	return store_run1(sql, a, NITEMS(a));
}

/* The CA took the certificate off hold (removeFromCRL): valid again.
 * DB_NOTFOUND: no longer on hold in the inventory (revoked for good
 * meanwhile, or released by another request). */
int
store_cert_released(const char *cert_uuid)
{
	static const char sql[] = "UPDATE certificate SET status = 'issued', "
	    "revocation_reason = NULL WHERE uuid = ? AND status = 'revoked' "
	    "AND revocation_reason = 'certificateHold'";
	struct db_arg a[1] = { DB_ARG_STR(cert_uuid) };

	return store_run1(sql, a, 1);
}
