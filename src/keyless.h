/*
 * keyless.c: decoding without decoding public keys. libcrypto 3.0 decodes
 * the key of every SubjectPublicKeyInfo a d2i meets, through a decoder
 * chain built for that one key; a structure decoded in keyless_ctx()
 * keeps its SubjectPublicKeyInfos as fields, and spki_decode() (spki.c)
 * decodes a key where one is needed.
 */
#ifndef CMPD_KEYLESS_H
#define CMPD_KEYLESS_H

#include <openssl/crypto.h>
#include <openssl/x509.h>

OSSL_LIB_CTX *keyless_ctx(void);
X509	*keyless_x509_d2i(const unsigned char **, long);
void	 keyless_done(void);

#endif
