/*
 * key_memo.c: the contexts a process set up for the keys it signs with
 * and verifies under, one per key (and digest); each use starts from a
 * copy.
 */
#ifndef CMPD_KEY_MEMO_H
#define CMPD_KEY_MEMO_H

#include <openssl/evp.h>

EVP_MD_CTX	*key_memo_sign_ctx(EVP_PKEY *, const EVP_MD *);
EVP_MD_CTX	*key_memo_verify_ctx(EVP_PKEY *);
void		 key_memo_ctx_free(EVP_MD_CTX *);
void		 key_memo_flush(void);

#endif
