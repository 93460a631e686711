/*
 * The last CRL each CA gave, in MariaDB (table ca_crl). cmp_ca.c keeps
 * it in each worker's memory through failed fetches until its nextUpdate;
 * a worker that has none, because it started while the CA cannot be
 * reached (a reload, a worker replaced after max_requests, another node
 * of a cluster), takes it from here rather than checking signers without
 * the CA's revocations or refusing them all. A row is keyed by the
 * SHA-256 of cmp_ca.c's cache key (RA Profile, connector, authority
 * instance, connector URL, the RA Profile's attributes), and only ever
 * moves to a later CRL, whichever worker writes first: one of another
 * issuer (another CA behind the connector now), a later thisUpdate, or
 * the same with a higher CRL number (a CA that revokes and issues its
 * next CRL within the second).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "store.h"

/*
 * crl's CRL number (RFC 5280 5.2.3: non-negative, at most 20 octets,
 * increasing with each CRL of its issuer), or NULL for none, or one
 * outside those bounds, which is then not compared.
 */
ASN1_INTEGER *
store_crl_number(const X509_CRL *crl)
{
	ASN1_INTEGER *n;

	if ((n = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL)) !=
	    NULL && (ASN1_STRING_type(n) != V_ASN1_INTEGER ||
	    ASN1_STRING_length(n) > 20)) {
		ASN1_INTEGER_free(n);
		n = NULL;
	}
	ERR_clear_error();
	return n;
}

/* nextUpdate is optional in X.509 (RFC 5280 5.1.2.5 requires it): a CRL
 * without one stays current, as cmp_ca.c treats it */
int
store_crl_put(const char *key, const X509_CRL *crl)
{
	/* Later: of another issuer (another CA behind the connector), or
	 * a later thisUpdate, or the same with a higher CRL number. Decided
	 * once, on the row as it was (assignments run left to right). */
	static const char sql[] = "INSERT INTO ca_crl (crl_key, this_update, "
	    "next_update, crl_number, issuer_sha256, crl) "
	    "VALUES (UNHEX(SHA2(?, 256)), ?, ?, ?, ?, ?) "
	    "ON DUPLICATE KEY UPDATE "
	    "crl = IF(@cmpd_crl_later := "
	    "(VALUES(issuer_sha256) <> issuer_sha256 OR "
	    "VALUES(this_update) > this_update OR "
	    "(VALUES(this_update) = this_update AND "
	    "VALUES(crl_number) > crl_number)), VALUES(crl), crl), "
	    "next_update = IF(@cmpd_crl_later, VALUES(next_update), "
	    "next_update), "
	    "crl_number = IF(@cmpd_crl_later, VALUES(crl_number), "
	    "crl_number), "
	    "issuer_sha256 = IF(@cmpd_crl_later, VALUES(issuer_sha256), "
	    "issuer_sha256), "
	    "this_update = IF(@cmpd_crl_later, VALUES(this_update), "
	    "this_update)";
	const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
	char this_s[STORE_TIME_LEN], next_s[STORE_TIME_LEN];
	unsigned char issuer[SHA256_DIGEST_LENGTH];
	unsigned int ilen = 0;
	struct db_arg a[6] = { DB_ARG_STR(key), DB_ARG_NULL, DB_ARG_NULL,
	    DB_ARG_NULL, DB_ARG_NULL, DB_ARG_NULL };
	ASN1_INTEGER *num = store_crl_number(crl);
	BIGNUM *bn = NULL;
	unsigned char *der = NULL;
	char *num_s = NULL;
	int n, r = DB_ERR;

	if (store_time_str(X509_CRL_get0_lastUpdate(crl), this_s,
	    sizeof(this_s)) != 0 || (next != NULL &&
	    store_time_str(next, next_s, sizeof(next_s)) != 0) ||
	    !X509_NAME_digest(X509_CRL_get_issuer(crl), EVP_sha256(), issuer,
	    &ilen) || ilen != sizeof(issuer) ||
	    (n = i2d_X509_CRL((X509_CRL *)crl, &der)) <= 0)
		goto out;
	if (num != NULL && ((bn = ASN1_INTEGER_to_BN(num, NULL)) == NULL ||
	    (num_s = BN_bn2dec(bn)) == NULL))
		goto out;
	a[1] = (struct db_arg)DB_ARG_STR(this_s);
	if (next != NULL)
		a[2] = (struct db_arg)DB_ARG_STR(next_s);
	if (num_s != NULL)
		a[3] = (struct db_arg)DB_ARG_STR(num_s);
	a[4] = (struct db_arg)DB_ARG_BLOB(issuer, sizeof(issuer));
	a[5] = (struct db_arg)DB_ARG_BLOB(der, (unsigned long)n);
	r = db_run(sql, a, NITEMS(a), NULL, 0, NULL);
 out:
	OPENSSL_free(num_s);
	BN_free(bn);
	ASN1_INTEGER_free(num);
	OPENSSL_free(der);
	return r;
}

/*
 * The CA's last CRL kept under key, if it is current (before its
 * nextUpdate, by the database's clock), at most max bytes; NULL if
 * there is none, or it cannot be read.
 */
X509_CRL *
store_crl_get(const char *key, size_t max)
{
	static const char sql[] = "SELECT crl FROM ca_crl "
	    "WHERE crl_key = UNHEX(SHA2(?, 256)) "
	    "AND (next_update IS NULL OR next_update > UTC_TIMESTAMP(6))";
	struct db_arg a[1] = { DB_ARG_STR(key) };
	struct db_col c[1];
	const unsigned char *p;
	unsigned char *buf;
	X509_CRL *crl = NULL;

	if ((buf = malloc(max)) == NULL)
		return NULL;
	memset(c, 0, sizeof(c));
	c[0].type = DB_BLOB;
	c[0].buf = buf;
	c[0].n = max;
	if (db_run(sql, a, 1, c, 1, NULL) == DB_OK && !c[0].null &&
	    c[0].len <= max) {
		p = buf;
		if ((crl = d2i_X509_CRL(NULL, &p, (long)c[0].len)) != NULL &&
		    p != buf + c[0].len) {
			X509_CRL_free(crl);
			crl = NULL;
		}
	}
	free(buf);
	return crl;
}
