/*
 * sign_memo.c: the signing contexts a process built for its own keys,
 * one per key and digest; each signature starts from a copy.
 */
#ifndef CMPD_SIGN_MEMO_H
#define CMPD_SIGN_MEMO_H

#include <openssl/evp.h>

EVP_MD_CTX	*sign_memo_ctx(EVP_PKEY *, const EVP_MD *);
void		 sign_memo_flush(void);

#endif
