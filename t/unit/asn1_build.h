/*
 * Messages of every PKIBody type built in memory for the ASN.1 unit test,
 * and DER helpers for hand-made encodings (asn1_build.c).
 */
#ifndef CMPD_ASN1_BUILD_H
#define CMPD_ASN1_BUILD_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmp_asn1.h"

/* a growing DER buffer (freed with OPENSSL_free) */
struct dbuf {
	unsigned char	*p;
	size_t		 len;
};

int	 dbuf_add(struct dbuf *, const void *, size_t);
int	 dbuf_tlv(struct dbuf *, unsigned char, const void *, size_t);
int	 dbuf_hdrlen(size_t);

int	 build_setup(void);
void	 build_teardown(void);
int	 build_envdata(const unsigned char **);
X509_ALGOR *build_algor_md(const EVP_MD *);
CMPD_CERTIFIEDKEYPAIR *build_ckp(int, int);
CMPD_HEADER *build_header(void);
CMPD_MSG *build_msg(int);

#endif
