/*
 * chain_memo.c: the signer chains a worker validated, kept while
 * X509_verify_cert() would decide on the same inputs as it did.
 */
#ifndef CMPD_CHAIN_MEMO_H
#define CMPD_CHAIN_MEMO_H

#include <time.h>

#include <openssl/x509.h>

/* What X509_verify_cert() was given: the certificate to validate, the
 * untrusted certificates and the trust anchors to build its chain from,
 * and the CRLs to check it against (NULL stacks are empty ones). */
struct chain_memo_key {
	X509	*signer;
	STACK_OF(X509) *untrusted, *anchors;
	STACK_OF(X509_CRL) *crls;
};

STACK_OF(X509) *chain_memo_find(const struct chain_memo_key *, time_t now,
	    time_t *until);
void	 chain_memo_add(const struct chain_memo_key *, STACK_OF(X509) *chain,
	    time_t now);
void	 chain_memo_flush(void);

#endif
