/*
 * fuzz.h - what the fuzz targets, their test doubles and replay.c share.
 *
 * Each fuzz_<target>.c defines LLVMFuzzerInitialize() and
 * LLVMFuzzerTestOneInput(). Linked with libFuzzer (make fuzz) they are
 * fuzzed; linked with replay.c (make check) every file of the target's
 * corpus is run once, under whatever sanitizers the build has.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpd.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fixture.c: files of the source tree (t/fixtures), fatal if missing */
const char *fuzz_srcdir(void);
void	fuzz_read(const char *rel, unsigned char **buf, size_t *len);
X509	*fuzz_cert(const char *rel);
EVP_PKEY *fuzz_key(const char *rel);
unsigned char *fuzz_der(X509 *, size_t *len);
void	fuzz_quiet(void);
void	fuzz_secret_init(struct conf *);

/*
 * double_db.c: db.c's functions over rules instead of MariaDB. A rule
 * answers every statement whose SQL contains sql_part (first match
 * wins); without one, a read finds nothing and a write changes one row.
 * fn fills cols (reads) and returns DB_OK, DB_NOTFOUND, DB_DUP or DB_ERR.
 */
struct fuzz_db_rule {
	const char *sql_part;
	int	(*fn)(const char *sql, const struct db_arg *, size_t nargs,
		    struct db_col *, size_t ncols, unsigned long long *affected);
};
void	fuzz_db_rules(const struct fuzz_db_rule *, size_t n);
void	fuzz_db_fail(int);	/* 1: every statement fails (DB_ERR) */
int	fuzz_db_str(struct db_col *, const char *);
int	fuzz_db_blob(struct db_col *, const unsigned char *, size_t);
void	fuzz_db_int(struct db_col *, long long);
void	fuzz_db_null(struct db_col *);
int	fuzz_db_in_tx(void);	/* transaction depth: 0 after each input */
/* A row of plausible values, guessed from each column's SQL text. */
int	fuzz_db_guess(const char *sql, const struct db_arg *, size_t nargs,
	    struct db_col *, size_t ncols, unsigned long long *affected);

/*
 * double_conn.c: conn.c's functions without HTTP. Issue and renew sign
 * the request's public key with t/fixtures/root.key; status picks the
 * classification every call answers with (CONN_OK by default).
 */
void	fuzz_conn_init(void);
void	fuzz_conn_status(int status);
void	fuzz_conn_done(void);

#endif
