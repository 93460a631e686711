/*
 * What the inventory says of a signer's certificate chain (DESIGN
 * invariant 2: a certificate cmpd revoked never authenticates), for
 * every certificate of the chain in one statement: a chain of three was
 * three round trips per signed message.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpd.h"

/* Certificates looked up per statement; a longer chain takes more. */
#define STATUS_PAIRS	4
#define STATUS_SERIAL	65	/* the column's 64 hex digits and a NUL */

struct status_run {
	char	(*out)[STORE_STATUS_LEN];	/* the chain's, from 0 */
	size_t	 from, n;		/* this statement's part */
	unsigned char ih[STATUS_PAIRS][32];
	char	 serial[STATUS_PAIRS][STATUS_SERIAL];
	/* the row fetched */
	unsigned char row_ih[32];
	char	 row_serial[STATUS_SERIAL];
	char	 row_status[STORE_STATUS_LEN];
};

/* The inventory's key of x: SHA-256 of its issuer's DER name and its
 * serial in upper-case hex, as store_cert_insert() writes them. 1 when
 * the serial is longer than any cmpd stored. */
static int
status_key(X509 *x, unsigned char ih[32], char serial[STATUS_SERIAL])
{
	unsigned char *name_der = NULL;
	char *hex = NULL;
	BIGNUM *bn = NULL;
	int len, r = -1;

	if ((len = i2d_X509_NAME(X509_get_issuer_name(x), &name_der)) <= 0 ||
	    !EVP_Digest(name_der, (size_t)len, ih, NULL, EVP_sha256(), NULL) ||
	    (bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) ==
	    NULL || (hex = BN_bn2hex(bn)) == NULL)
		goto out;
	r = 1;
	if (strlen(hex) < STATUS_SERIAL) {
		snprintf(serial, STATUS_SERIAL, "%s", hex);
		r = 0;
	}
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	OPENSSL_free(name_der);
	return r;
}

static int
status_row(struct db_col *c, size_t nc, void *arg)
{
	struct status_run *s = arg;
	size_t i;

	(void)nc;
	if (c[0].len != 32)
		return 0;
	for (i = 0; i < s->n; i++)
		if (s->serial[i][0] != '\0' &&
		    memcmp(s->ih[i], s->row_ih, 32) == 0 &&
		    strcmp(s->serial[i], s->row_serial) == 0)
			snprintf(s->out[s->from + i], STORE_STATUS_LEN, "%s",
			    s->row_status);
	return 0;
}

/* Certificates from..from+n-1 of chain (n <= STATUS_PAIRS). */
static int
status_part(STACK_OF(X509) *chain, size_t from, size_t n,
    char (*out)[STORE_STATUS_LEN])
{
	/* unused pairs repeat the first: the statement stays one */
	static const char sql[] = "SELECT issuer_hash, serial_number, status "
	    "FROM certificate WHERE (issuer_hash = ? AND serial_number = ?) "
	    "OR (issuer_hash = ? AND serial_number = ?) "
	    "OR (issuer_hash = ? AND serial_number = ?) "
	    "OR (issuer_hash = ? AND serial_number = ?)";
	struct db_arg a[2 * STATUS_PAIRS];
	struct status_run *s;
	struct db_col c[3];
	size_t i, j, first = n, rows;
	int r = DB_ERR;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DB_ERR;
	s->out = out;
	s->from = from;
	s->n = n;
	for (i = 0; i < n; i++) {
		if ((r = status_key(sk_X509_value(chain, (int)(from + i)),
		    s->ih[i], s->serial[i])) < 0) {
			r = DB_ERR;
			goto out;
		}
		/* a serial longer than the column: none cmpd stored */
		if (r == 1)
			s->serial[i][0] = '\0';
		else if (first == n)
			first = i;
	}
	r = DB_OK;
	if (first == n)
		goto out;
	for (i = 0; i < STATUS_PAIRS; i++) {
		j = i < n && s->serial[i][0] != '\0' ? i : first;
		a[2 * i] = (struct db_arg)DB_ARG_BLOB(s->ih[j], 32);
		a[2 * i + 1] = (struct db_arg)DB_ARG_STR(s->serial[j]);
	}
	memset(c, 0, sizeof(c));
	c[0].type = DB_BLOB, c[0].buf = s->row_ih, c[0].n = sizeof(s->row_ih);
	c[1].type = DB_STR, c[1].buf = s->row_serial,
	    c[1].n = sizeof(s->row_serial);
	c[2].type = DB_STR, c[2].buf = s->row_status,
	    c[2].n = sizeof(s->row_status);
	r = db_query(sql, a, NITEMS(a), c, NITEMS(c), STATUS_PAIRS, status_row,
	    s, &rows);
 out:
	free(s);
	return r;
}

/*
 * The inventory's status of each certificate of chain (by issuer and
 * serial, whatever profile issued it) into status[i]; "" for those cmpd
 * never issued. DB_OK or DB_ERR.
 */
int
store_chain_status(STACK_OF(X509) *chain, char (*status)[STORE_STATUS_LEN])
{
	size_t i, n = (size_t)sk_X509_num(chain), k;
	int r;

	for (i = 0; i < n; i++)
		status[i][0] = '\0';
	for (i = 0; i < n; i += k) {
		k = n - i < STATUS_PAIRS ? n - i : STATUS_PAIRS;
		if ((r = status_part(chain, i, k, status)) != DB_OK)
			return r;
	}
	return DB_OK;
}
