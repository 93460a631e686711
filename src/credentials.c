/*
 * Credentials of CMP Profiles and connectors as cmpd stores them: PEM
 * parsed into keys and certificates, private keys and secrets sealed with
 * secret_key_file (secret.c) and bound to their row. Shared by the
 * command line (cmpd --set-*) and the management API.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cmpd.h"

/*
 * With no callback, OpenSSL asks for the passphrase of an encrypted key on
 * the controlling terminal and waits for it there (a worker of a cmpd run
 * in the foreground, cmpctl): refuse the key instead.
 */
static int
cred_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

/* An unencrypted private key, the first PEM block of pem: 0, or -1. */
int
cred_parse_key(const char *pem, size_t len, EVP_PKEY **key)
{
	BIO *mem;

	*key = NULL;
	if (len > PROFILE_SIGN_MAX * 2 ||
	    (mem = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return -1;
	*key = PEM_read_bio_PrivateKey(mem, NULL, cred_no_passphrase, NULL);
	BIO_free(mem);
	ERR_clear_error();
	return *key != NULL ? 0 : -1;
}

/*
 * Parses PEM: an unencrypted private key first when key is not NULL, then
 * certificates (at least one, at most CRED_CERTS_MAX; blocks of other
 * kinds, CRLs, are passed over). A certificate block that does not
 * decode refuses the whole: a chain or set of anchors cut short at it
 * would be taken without a word. 0, or -1 with a reason in err.
 */
int
cred_parse_pem(const char *pem, size_t len, EVP_PKEY **key,
    STACK_OF(X509) **certs, char *err, size_t errlen)
{
	BIO *mem = NULL;
	X509 *x;
	int r = -1;

	if (key != NULL)
		*key = NULL;
	*certs = NULL;
	if (len > PROFILE_SIGN_MAX * 2) {
		snprintf(err, errlen, "longer than %d bytes",
		    PROFILE_SIGN_MAX * 2);
		return -1;
	}
	if ((mem = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (*certs = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (key != NULL && (*key = PEM_read_bio_PrivateKey(mem, NULL,
	    cred_no_passphrase, NULL)) == NULL) {
		snprintf(err, errlen, "no unencrypted private key (PEM)");
		goto out;
	}
	ERR_clear_error();
	while ((x = PEM_read_bio_X509(mem, NULL, cred_no_passphrase,
	    NULL)) != NULL) {
		if (sk_X509_num(*certs) >= CRED_CERTS_MAX ||
		    !sk_X509_push(*certs, x)) {
			X509_free(x);
			snprintf(err, errlen, "more than %d certificates",
			    CRED_CERTS_MAX);
			goto out;
		}
	}
	/* the loop ends at the end of the PEM, or at a block that does not
	 * decode */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "certificate %d does not decode",
		    sk_X509_num(*certs) + 1);
		goto out;
	}
	if (sk_X509_num(*certs) == 0) {
		snprintf(err, errlen, "no certificate (PEM)");
		goto out;
	}
	r = 0;
 out:
	BIO_free(mem);
	ERR_clear_error();
	if (r != 0) {
		if (key != NULL) {
			EVP_PKEY_free(*key);
			*key = NULL;
		}
		sk_X509_pop_free(*certs, X509_free);
		*certs = NULL;
	}
	return r;
}

/* Concatenated DER of certificates [from, end); free() it. */
unsigned char *
cred_der_certs(STACK_OF(X509) *certs, int from, size_t *len)
{
	unsigned char *out = NULL, *p;
	size_t total = 0;
	int i, n;

	for (i = from; i < sk_X509_num(certs); i++) {
		if ((n = i2d_X509(sk_X509_value(certs, i), NULL)) <= 0)
			return NULL;
		total += (size_t)n;
	}
	if ((out = malloc(total + 1)) == NULL)
		return NULL;
	p = out;
	for (i = from; i < sk_X509_num(certs); i++)
		if (i2d_X509(sk_X509_value(certs, i), &p) <= 0) {
			free(out);
			return NULL;
		}
	*len = total;
	return out;
}

/* Bytes of DER of certificates [from, end): what a column will hold. */
size_t
cred_der_len(STACK_OF(X509) *certs, int from)
{
	size_t total = 0;
	int i, n;

	for (i = from; i < sk_X509_num(certs); i++)
		if ((n = i2d_X509(sk_X509_value(certs, i), NULL)) > 0)
			total += (size_t)n;
	return total;
}

/* Seals secret for table.column of row uuid and runs sql_set (blob, uuid). */
int
cred_store_sealed(const char *sql_set, const char *column, const char *uuid,
    const unsigned char *secret, size_t len)
{
	char aad[SECRET_AAD_MAX];
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	int r = -1;

	SECRET_AAD(aad, column, uuid);
	if (secret_seal(secret, len, aad, &blob, &bloblen) != 0)
		return -1;
	{
		struct db_arg a[2] = { DB_ARG_BLOB(blob, bloblen),
		    DB_ARG_STR(uuid) };

		r = db_run(sql_set, a, 2, NULL, 0, NULL) == DB_OK ? 0 : -1;
	}
	OPENSSL_free(blob);
	return r;
}

/*
 * The CMP Profile's signing key (sealed), certificate (the first of
 * certs) and chain (the rest). 0, or -1 with a reason in err.
 */
int
cred_store_signing(const char *uuid, EVP_PKEY *key, STACK_OF(X509) *certs,
    char *err, size_t errlen)
{
	static const char sql[] = "UPDATE cmp_profile SET "
	    "signing_key_enc = ?, signing_certificate = ?, signing_chain = ? "
	    "WHERE uuid = ?";
	char aad[SECRET_AAD_MAX];
	unsigned char *keyder = NULL, *blob = NULL, *cert = NULL, *chain = NULL;
	size_t bloblen = 0, chainlen = 0;
	int n = 0, nc, r = -1;

	if (X509_check_private_key(sk_X509_value(certs, 0), key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "the private key does not belong to the "
		    "first certificate");
		return -1;
	}
	snprintf(err, errlen, "cannot store the signing credentials");
	SECRET_AAD(aad, "cmp_profile.signing_key_enc", uuid);
	if ((n = i2d_PrivateKey(key, &keyder)) <= 0 ||
	    secret_seal(keyder, (size_t)n, aad, &blob, &bloblen) != 0 ||
	    (nc = i2d_X509(sk_X509_value(certs, 0), &cert)) <= 0 ||
	    (chain = cred_der_certs(certs, 1, &chainlen)) == NULL)
		goto out;
	{
		struct db_arg a[4] = { DB_ARG_BLOB(blob, bloblen),
		    DB_ARG_BLOB(cert, (size_t)nc),
		    DB_ARG_BLOB(chain, chainlen), DB_ARG_STR(uuid) };

		if (db_run(sql, a, 4, NULL, 0, NULL) != DB_OK)
			goto out;
	}
	r = 0;
 out:
	if (keyder != NULL)
		OPENSSL_clear_free(keyder, (size_t)n);
	OPENSSL_free(blob);
	OPENSSL_free(cert);
	free(chain);
	return r;
}

/*
 * The CRLs (PEM "X509 CRL" blocks) among the anchors' PEM; *crls is NULL
 * when there is none. 0, or -1 with a reason in err.
 */
int
cred_parse_crls(const char *pem, size_t len, STACK_OF(X509_CRL) **crls,
    char *err, size_t errlen)
{
	BIO *mem = NULL;
	X509_CRL *x;
	char why[80];
	int r = -1;

	*crls = NULL;
	if (len > PROFILE_SIGN_MAX * 2) {
		snprintf(err, errlen, "longer than %d bytes",
		    PROFILE_SIGN_MAX * 2);
		return -1;
	}
	if ((mem = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* PEM_read_bio_X509_CRL() passes over the certificates */
	ERR_clear_error();
	while ((x = PEM_read_bio_X509_CRL(mem, NULL, NULL, NULL)) != NULL) {
		if (!util_crl_complete(x, why, sizeof(why))) {
			X509_CRL_free(x);
			snprintf(err, errlen, "%s: only complete CRLs are "
			    "applied", why);
			goto out;
		}
		if ((*crls == NULL &&
		    (*crls = sk_X509_CRL_new_null()) == NULL) ||
		    sk_X509_CRL_num(*crls) >= CRED_CRLS_MAX ||
		    !sk_X509_CRL_push(*crls, x)) {
			X509_CRL_free(x);
			snprintf(err, errlen, "more than %d CRLs", CRED_CRLS_MAX);
			goto out;
		}
	}
	/* the end of the PEM, or a CRL block that does not decode: a
	 * revocation list must not be dropped unnoticed */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "a CRL does not decode");
		goto out;
	}
	r = 0;
 out:
	BIO_free(mem);
	ERR_clear_error();
	if (r != 0) {
		sk_X509_CRL_pop_free(*crls, X509_CRL_free);
		*crls = NULL;
	}
	return r;
}

/* Bytes of DER of the CRLs: what trust_crls will hold. */
size_t
cred_der_crls_len(STACK_OF(X509_CRL) *crls)
{
	size_t total = 0;
	int i, n;

	for (i = 0; i < sk_X509_CRL_num(crls); i++)
		if ((n = i2d_X509_CRL(sk_X509_CRL_value(crls, i), NULL)) > 0)
			total += (size_t)n;
	return total;
}

/* Concatenated DER of the CRLs; free() it. */
static unsigned char *
cred_der_crls(STACK_OF(X509_CRL) *crls, size_t *len)
{
	unsigned char *out, *p;
	size_t total = cred_der_crls_len(crls);
	int i;

	if ((out = malloc(total + 1)) == NULL)
		return NULL;
	p = out;
	for (i = 0; i < sk_X509_CRL_num(crls); i++)
		if (i2d_X509_CRL(sk_X509_CRL_value(crls, i), &p) <= 0) {
			free(out);
			return NULL;
		}
	*len = total;
	return out;
}

/*
 * The CMP Profile's trust anchors for request signers, and the CRLs
 * uploaded with them (NULL or none: the previous ones go too).
 */
int
cred_store_anchors(const char *uuid, STACK_OF(X509) *certs,
    STACK_OF(X509_CRL) *crls)
{
	static const char sql[] = "UPDATE cmp_profile SET trust_anchors = ?, "
	    "trust_crls = ? WHERE uuid = ?";
	unsigned char *der, *crl_der = NULL;
	size_t len = 0, crl_len = 0;
	int r = -1;

	if ((der = cred_der_certs(certs, 0, &len)) == NULL)
		return -1;
	if (sk_X509_CRL_num(crls) > 0 &&
	    (crl_der = cred_der_crls(crls, &crl_len)) == NULL)
		goto out;
	{
		struct db_arg a[3] = { DB_ARG_BLOB(der, len),
		    DB_ARG_BLOB(crl_der, crl_len), DB_ARG_STR(uuid) };
		struct db_arg none = DB_ARG_NULL;

		if (crl_der == NULL)
			a[1] = none;
		r = db_run(sql, a, 3, NULL, 0, NULL) == DB_OK ? 0 : -1;
	}
 out:
	free(der);
	free(crl_der);
	return r;
}
