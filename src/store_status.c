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
#include "store.h"

struct status_run {
	char	(*out)[STORE_STATUS_LEN];	/* the chain's, from 0 */
	size_t	 from, n;		/* this statement's part */
	struct store_chain_keys k;
	/* the row fetched */
	unsigned char row_ih[32];
	char	 row_serial[STORE_SERIAL_LEN];
	char	 row_status[STORE_STATUS_LEN];
};

/* The inventory's key of x: SHA-256 of its issuer's DER name and its
 * serial in upper-case hex, as store_cert_insert() writes them. 1 when
 * the serial is longer than any cmpd stored. */
static int
status_key(X509 *x, unsigned char ih[32], char serial[STORE_SERIAL_LEN])
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
	if (strlen(hex) < STORE_SERIAL_LEN) {
		snprintf(serial, STORE_SERIAL_LEN, "%s", hex);
		r = 0;
	}
 out:
	OPENSSL_free(hex);
	BN_free(bn);
	OPENSSL_free(name_der);
	return r;
}

/*
 * The keys of chain[from .. from+n-1] (n <= STORE_STATUS_PAIRS) into k,
 * own[i] set for those cmpd could have stored; the other pairs repeat
 * the first of those, so that the statement stays one. Returns how many
 * are cmpd's to look up, -1 on error.
 */
static int
status_keys(STACK_OF(X509) *chain, size_t from, size_t n,
    struct store_chain_keys *k)
{
	size_t i, first = n;
	int r;

	memset(k, 0, sizeof(*k));
	for (i = 0; i < n; i++) {
		if ((r = status_key(sk_X509_value(chain, (int)(from + i)),
		    k->ih[i], k->serial[i])) < 0)
			return -1;
		/* a serial longer than the column: none cmpd stored */
		if (r == 0) {
			k->own[i] = 1;
			if (first == n)
				first = i;
		}
	}
	if (first == n)
		return 0;
	for (i = 0, r = 0; i < STORE_STATUS_PAIRS; i++) {
		if (k->own[i]) {
			r++;
			continue;
		}
		memcpy(k->ih[i], k->ih[first], sizeof(k->ih[i]));
		memcpy(k->serial[i], k->serial[first], sizeof(k->serial[i]));
	}
	return r;
}

/* The statement's arguments: STORE_CHAIN_PAIRS_SQL's pairs in order. */
void
store_chain_args(const struct store_chain_keys *k, struct db_arg *a)
{
	size_t i;

	for (i = 0; i < STORE_STATUS_PAIRS; i++) {
		a[2 * i] = (struct db_arg)DB_ARG_BLOB(k->ih[i], 32);
		a[2 * i + 1] = (struct db_arg)DB_ARG_STR(k->serial[i]);
	}
}

/*
 * The look-up folded into another statement (store_confirm_one): the
 * keys of the whole chain. 0: k filled; 1: not in one statement (a
 * chain longer than STORE_STATUS_PAIRS, or none of it could be cmpd's:
 * store_chain_status() then tells, without a statement in the second
 * case); -1 on error.
 */
int
store_chain_keys(STACK_OF(X509) *chain, struct store_chain_keys *k)
{
	int n = sk_X509_num(chain), r;

	if (n < 1 || n > STORE_STATUS_PAIRS)
		return 1;
	if ((r = status_keys(chain, 0, (size_t)n, k)) < 0)
		return -1;
	return r == 0 ? 1 : 0;
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
		if (s->k.own[i] && memcmp(s->k.ih[i], s->row_ih, 32) == 0 &&
		    strcmp(s->k.serial[i], s->row_serial) == 0)
			snprintf(s->out[s->from + i], STORE_STATUS_LEN, "%s",
			    s->row_status);
	return 0;
}

/*
 * Certificates from..from+n-1 of chain (n <= STORE_STATUS_PAIRS). An
 * issued certificate whose transaction waits for its certConf reads
 * "unconfirmed": asked by a second statement, only when the first found
 * an issued one (a signer cmpd did not issue costs nothing more).
 */
static int
status_part(STACK_OF(X509) *chain, size_t from, size_t n,
    char (*out)[STORE_STATUS_LEN])
{
	static const char sql[] = "SELECT issuer_hash, serial_number, status "
	    "FROM certificate " STORE_CERT_KEY " WHERE " STORE_CHAIN_PAIRS_SQL;
	static const char sql_unconfirmed[] = "SELECT c.issuer_hash, "
	    "c.serial_number, 'unconfirmed' FROM certificate c "
	    STORE_CERT_KEY " JOIN cmp_transaction t ON t.certificate_uuid = "
	    "c.uuid WHERE c.status = 'issued' AND t.state = 'confirm_wait' "
	    "AND " STORE_CHAIN_PAIRS_SQL;
	size_t i;
	struct db_arg a[2 * STORE_STATUS_PAIRS];
	struct status_run *s;
	struct db_col c[3];
	size_t rows;
	int r = DB_ERR;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return DB_ERR;
	s->out = out;
	s->from = from;
	s->n = n;
	if ((r = status_keys(chain, from, n, &s->k)) <= 0) {
		r = r < 0 ? DB_ERR : DB_OK;
		goto out;
	}
	store_chain_args(&s->k, a);
	memset(c, 0, sizeof(c));
	c[0].type = DB_BLOB, c[0].buf = s->row_ih, c[0].n = sizeof(s->row_ih);
	c[1].type = DB_STR, c[1].buf = s->row_serial,
	    c[1].n = sizeof(s->row_serial);
	c[2].type = DB_STR, c[2].buf = s->row_status,
	    c[2].n = sizeof(s->row_status);
	r = db_query(sql, a, NITEMS(a), c, NITEMS(c), STORE_STATUS_PAIRS,
	    status_row, s, &rows);
	for (i = 0; r == DB_OK && i < n; i++)
		if (strcmp(out[from + i], "issued") == 0) {
			r = db_query(sql_unconfirmed, a, NITEMS(a), c,
			    NITEMS(c), STORE_STATUS_PAIRS, status_row, s,
			    &rows);
			break;
		}
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
		k = n - i < STORE_STATUS_PAIRS ? n - i : STORE_STATUS_PAIRS;
		if ((r = status_part(chain, i, k, status)) != DB_OK)
			return r;
	}
	return DB_OK;
}

/*
 * Whether the inventory holds a certificate issued under x's issuer name
 * (by its SHA-256, as store_cert_insert() writes it): DB_OK, DB_NOTFOUND
 * or DB_ERR.
 */
int
store_issuer_seen(X509 *x)
{
	static const char sql[] = "SELECT 1 FROM certificate " STORE_CERT_KEY
	    " WHERE issuer_hash = ? LIMIT 1";
	unsigned char ih[32];
	char serial[STORE_SERIAL_LEN];
	struct db_arg a[1] = { DB_ARG_BLOB(ih, sizeof(ih)) };
	struct db_col c[1];

	if (status_key(x, ih, serial) < 0)
		return DB_ERR;
	memset(c, 0, sizeof(c));
	c[0].type = DB_INT;
	return db_run(sql, a, NITEMS(a), c, NITEMS(c), NULL);
}
