/*
 * cert_cache.c: CMPCertificate (RFC 9810 5.1.1) as an ASN.1 item whose
 * decoding goes through a per-process cache of decoded certificates.
 */
#ifndef CMPD_CERT_CACHE_H
#define CMPD_CERT_CACHE_H

#include <stddef.h>

#include <openssl/asn1t.h>
#include <openssl/x509.h>

DECLARE_ASN1_ITEM(CMPD_CERT)

X509	*cert_cache_d2i(const unsigned char *der, size_t len);
void	 cert_cache_budget(int n);
int	 cert_cache_rekey(STACK_OF(X509) *, int max);
void	 cert_cache_flush(void);

#endif
