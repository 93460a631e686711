/*
 * double_db.c - a test double of src/db.c for the fuzz targets.
 *
 * It defines every external symbol of db.o, so that the linker never
 * takes db.o out of libcmpd.a. When db.c gains a function that the code
 * under test calls, db.o is pulled in after all and the link fails with
 * "multiple definition": add the function here.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"

static const struct fuzz_db_rule *rules;
static size_t nrules;
static int failing;
static int in_tx, tx_failed;

void
fuzz_db_rules(const struct fuzz_db_rule *r, size_t n)
{
	rules = r;
	nrules = n;
}

void
fuzz_db_fail(int on)
{
	failing = on;
}

int
fuzz_db_in_tx(void)
{
	return in_tx;
}

/* Column setters with db.c's semantics: a value too big is an error. */
int
fuzz_db_str(struct db_col *c, const char *s)
{
	size_t len = strlen(s);

	c->null = 0;
	if (c->type != DB_STR || c->buf == NULL || len >= c->n)
		return DB_ERR;
	memcpy(c->buf, s, len + 1);
	c->len = len;
	return DB_OK;
}

int
fuzz_db_blob(struct db_col *c, const unsigned char *p, size_t len)
{
	c->null = 0;
	if (c->type != DB_BLOB || c->buf == NULL || len > c->n)
		return DB_ERR;
	memcpy(c->buf, p, len);
	c->len = len;
	return DB_OK;
}

void
fuzz_db_int(struct db_col *c, long long v)
{
	c->null = 0;
	c->i = v;
}

void
fuzz_db_null(struct db_col *c)
{
	c->null = 1;
	c->len = 0;
	c->i = 0;
	if (c->type == DB_STR && c->buf != NULL && c->n > 0)
		((char *)c->buf)[0] = '\0';
}

/* What a column of this name holds; the first match wins. */
static const struct {
	const char *part;
	const char *value;
} guesses[] = {
	{ "DATE_FORMAT", "2026-12-01T00:00:00.000000Z" },
	{ "uuid", "00000000-0000-4000-8000-000000000001" },
	{ "variant", "v2" },
	{ "protection", "sharedSecret" },
	{ "auth_type", "none" },
	{ "url", "http://127.0.0.1:9" },
	{ "attributes", "[]" },
	{ "role", "admin" },
	{ "status", "issued" },
	{ "state", "confirm_wait" },
	{ "reason", "keyCompromise" },
	{ "serial", "1001" },
	{ "name", "fuzz" },
};

/*
 * Fills each column from its expression in the SELECT list (split at the
 * commas outside parentheses): ints 1, strings by guesses[], blobs NULL.
 */
int
fuzz_db_guess(const char *sql, const struct db_arg *args, size_t nargs,
    struct db_col *cols, size_t ncols, unsigned long long *affected)
{
	const char *p, *start;
	char expr[256];
	size_t i = 0, k, n;
	int depth = 0;

	if (strncmp(sql, "SELECT ", 7) != 0)
		return DB_OK;
	for (p = start = sql + 7; *p != '\0' && i < ncols; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		else if (*p == '\'')
			for (p++; *p != '\0' && *p != '\''; p++)
				;
		if (*p == '\0')
			break;
		if (depth != 0 || (*p != ',' && strncmp(p, " FROM ", 6) != 0))
			continue;
		n = (size_t)(p - start) < sizeof(expr) ? (size_t)(p - start) :
		    sizeof(expr) - 1;
		memcpy(expr, start, n);
		expr[n] = '\0';
		if (cols[i].type == DB_INT)
			fuzz_db_int(&cols[i], 1);
		else if (cols[i].type == DB_STR) {
			for (k = 0; k < NITEMS(guesses); k++)
				if (strstr(expr, guesses[k].part) != NULL)
					break;
			if (fuzz_db_str(&cols[i], k < NITEMS(guesses) ?
			    guesses[k].value : "x") != DB_OK)
				fuzz_db_null(&cols[i]);
		}
		i++;
		if (*p != ',')
			break;
		start = p + 1;
	}
	return DB_OK;
}

static const struct fuzz_db_rule *
rule_for(const char *sql)
{
	size_t i;

	for (i = 0; i < nrules; i++)
		if (strstr(sql, rules[i].sql_part) != NULL)
			return &rules[i];
	return NULL;
}

/* Every column NULL, as MariaDB hands over a row before filling it. */
static void
cols_reset(struct db_col *cols, size_t ncols)
{
	size_t i;

	for (i = 0; i < ncols; i++)
		fuzz_db_null(&cols[i]);
}

int
db_configure(const struct conf *c)
{
	return 0;
}

void
db_close(void)
{
}

int
db_connect_once(const struct conf *c, unsigned int io_timeout, void **out)
{
	*out = NULL;
	return -1;
}

int
db_is_lost(unsigned int err)
{
	return 0;
}

int
db_run(const char *sql, const struct db_arg *args, size_t nargs,
    struct db_col *cols, size_t ncols, unsigned long long *affected)
{
	const struct fuzz_db_rule *r;
	unsigned long long n = 1;
	int rc;

	if (nargs > DB_ARGS_MAX || ncols > DB_ARGS_MAX)
		return DB_ERR;
	if (failing) {
		if (in_tx)
			tx_failed = 1;
		return DB_ERR;
	}
	cols_reset(cols, ncols);
	if ((r = rule_for(sql)) == NULL)
		rc = ncols > 0 ? DB_NOTFOUND : DB_OK;
	else
		rc = r->fn(sql, args, nargs, cols, ncols, &n);
	if (rc == DB_OK && ncols == 0 && affected != NULL)
		*affected = n;
	return rc;
}

/* A rule's answer is one row; nothing else lists more. */
int
db_query(const char *sql, const struct db_arg *args, size_t nargs,
    struct db_col *cols, size_t ncols, size_t max,
    int (*fn)(struct db_col *, size_t, void *), void *arg, size_t *nrows)
{
	const struct fuzz_db_rule *r;
	unsigned long long n = 0;

	*nrows = 0;
	if (nargs > DB_ARGS_MAX || ncols > DB_ARGS_MAX || ncols == 0 ||
	    failing)
		return DB_ERR;
	cols_reset(cols, ncols);
	if ((r = rule_for(sql)) == NULL || max == 0)
		return DB_OK;
	switch (r->fn(sql, args, nargs, cols, ncols, &n)) {
	case DB_OK:
		*nrows = 1;
		fn(cols, ncols, arg);
		return DB_OK;
	case DB_NOTFOUND:
		return DB_OK;
	default:
		return DB_ERR;
	}
}

/* Nested as db.c nests them: an inner rollback fails the outer commit. */
int
db_begin(void)
{
	if (failing)
		return DB_ERR;
	if (in_tx++ == 0)
		tx_failed = 0;
	return DB_OK;
}

int
db_commit(void)
{
	if (in_tx == 0)
		return DB_ERR;
	in_tx--;
	return tx_failed ? DB_ERR : DB_OK;
}

void
db_rollback(void)
{
	if (in_tx == 0)
		return;
	if (--in_tx > 0)
		tx_failed = 1;
}

/* Runs fn once: the double has no deadlocks to run it again after. */
int
db_txn(int (*fn)(void *), void *arg)
{
	int r;

	if (db_begin() != DB_OK)
		return DB_ERR;
	if ((r = fn(arg)) != DB_OK) {
		db_rollback();
		return r;
	}
	return db_commit();
}

const struct db_login *
db_login_get(void)
{
	return NULL;
}

size_t
db_endpoint_current(int *connected, int *galera)
{
	*connected = *galera = 0;
	return 0;
}

void
db_probe(const unsigned char *want, unsigned char *up, size_t n, long ms)
{
	size_t i;

	(void)ms;
	for (i = 0; i < n; i++)
		if (want[i])
			up[i] = 2;
}

int
db_txn1(int (*fn)(void *), void *arg)
{
	return db_txn(fn, arg);
}

int
db_txn_commit_unknown(void)
{
	return 0;
}

int
db_txn_depth(void)
{
	return in_tx;
}
