/*
 * cmppbmac1 - test client for PBMAC1 (RFC 9481 6.1.3, RFC 8018 7.1):
 * protects a PKIMessage with PBMAC1 and checks the PBMAC1 protection of
 * an answer, with its own key derivation and MAC (PKCS5_PBKDF2_HMAC and
 * HMAC()), so that cmpd's implementation (EVP_KDF, EVP_MAC) and this one
 * check each other. `openssl cmp` 3.0 has no PBMAC1.
 *
 *   cmppbmac1 protect IN OUT SECRET [iter=N] [prf=SHA256|SHA384|SHA512|
 *       SHA1] [mac=SHA256|SHA384|SHA512] [salt=OCTETS] [keylen=N]
 *                  IN (e.g. an ir written by `openssl cmp -reqout`)
 *                  PBMAC1-protected with SECRET, senderKID kept; prf SHA1
 *                  leaves the prf out (its default, hmacWithSHA1)
 *   cmppbmac1 verify RSP SECRET
 *                  prints body, PBMAC1 parameters and the salt; exit 0
 *                  when RSP's PBMAC1 MAC verifies with SECRET, 1 when it
 *                  does not or RSP is not PBMAC1-protected, 2 on errors
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "cmpd.h"

#define KEY_MAX	64

static const struct {
	const char *name;
	int	 hmac_nid;
} mds[] = {
	{ "SHA1", NID_hmacWithSHA1 },
	{ "SHA256", NID_hmacWithSHA256 },
	{ "SHA384", NID_hmacWithSHA384 },
	{ "SHA512", NID_hmacWithSHA512 },
};

static int
hmac_nid_of(const char *name)
{
	size_t i;

	for (i = 0; i < NITEMS(mds); i++)
		if (strcmp(mds[i].name, name) == 0)
			return mds[i].hmac_nid;
	fprintf(stderr, "unknown digest %s\n", name);
	exit(2);
}

static const EVP_MD *
md_of_hmac(int nid)
{
	switch (nid) {
	case NID_hmacWithSHA1:
		return EVP_sha1();
	case NID_hmacWithSHA256:
		return EVP_sha256();
	case NID_hmacWithSHA384:
		return EVP_sha384();
	case NID_hmacWithSHA512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

static CMPD_MSG *
read_msg(const char *path)
{
	const unsigned char *p;
	unsigned char *buf;
	CMPD_MSG *m;
	size_t len;

	if (util_read_file(path, CMPD_BODY_MAX_LIMIT, &buf, &len) != 0) {
		perror(path);
		exit(2);
	}
	p = buf;
	if ((m = d2i_CMPD_MSG(NULL, &p, (long)len)) == NULL) {
		fprintf(stderr, "%s: not a PKIMessage\n", path);
		exit(2);
	}
	free(buf);
	return m;
}

/* PBKDF2 then HMAC over DER(ProtectedPart), the libcrypto one-shots. */
static int
pbmac1(const CMPD_MSG *m, const char *secret, const unsigned char *salt,
    int saltlen, int iter, int keylen, const EVP_MD *prf, const EVP_MD *mac,
    unsigned char *out, unsigned int *outlen)
{
	CMPD_PROTECTEDPART pp;
	unsigned char key[KEY_MAX], *der = NULL;
	int n, r = -1;

	if (keylen <= 0 || keylen > KEY_MAX)
		return -1;
	pp.header = m->header;
	pp.body = m->body;
	if ((n = i2d_CMPD_PROTECTEDPART(&pp, &der)) <= 0)
		return -1;
	if (PKCS5_PBKDF2_HMAC(secret, (int)strlen(secret), salt, saltlen, iter,
	    prf, keylen, key) != 1)
		goto out;
	if (HMAC(mac, key, keylen, der, (size_t)n, out, outlen) == NULL)
		goto out;
	r = 0;
 out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_free(der);
	return r;
}

static int
protect(int argc, char **argv)
{
	CMPD_MSG *m = read_msg(argv[2]);
	CMPD_PBMAC1PARAM *pp = CMPD_PBMAC1PARAM_new();
	const char *secret = argv[4];
	int iter = 2000, saltlen = 16, keylen = -1, prf = NID_hmacWithSHA256;
	int mac = NID_hmacWithSHA256, n, i;
	ASN1_STRING *params = ASN1_STRING_new();
	PBKDF2PARAM *kdf;
	const unsigned char *p;
	unsigned char *der = NULL, out[EVP_MAX_MD_SIZE];
	unsigned int outlen;
	FILE *f;

	for (i = 5; i < argc; i++) {
		if (strncmp(argv[i], "iter=", 5) == 0)
			iter = atoi(argv[i] + 5);
		else if (strncmp(argv[i], "prf=", 4) == 0)
			prf = hmac_nid_of(argv[i] + 4);
		else if (strncmp(argv[i], "mac=", 4) == 0)
			mac = hmac_nid_of(argv[i] + 4);
		else if (strncmp(argv[i], "salt=", 5) == 0)
			saltlen = atoi(argv[i] + 5);
		else if (strncmp(argv[i], "keylen=", 7) == 0)
			keylen = atoi(argv[i] + 7);
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (keylen < 0)
		keylen = EVP_MD_get_size(md_of_hmac(mac));
	/* PKCS5_pbkdf2_set makes the random salt and leaves out a
	 * hmacWithSHA1 prf (its DEFAULT) */
	X509_ALGOR_free(pp->keyDerivationFunc);
	pp->keyDerivationFunc = PKCS5_pbkdf2_set(iter, NULL, saltlen, prf,
	    keylen);
	if (pp->keyDerivationFunc == NULL ||
	    !X509_ALGOR_set0(pp->messageAuthScheme, OBJ_nid2obj(mac),
	    V_ASN1_NULL, NULL) ||
	    (n = i2d_CMPD_PBMAC1PARAM(pp, &der)) <= 0 ||
	    !ASN1_STRING_set(params, der, n)) {
		fprintf(stderr, "cannot build PBMAC1 parameters\n");
		return 2;
	}
	X509_ALGOR_free(m->header->protectionAlg);
	m->header->protectionAlg = X509_ALGOR_new();
	X509_ALGOR_set0(m->header->protectionAlg, OBJ_nid2obj(NID_pbmac1),
	    V_ASN1_SEQUENCE, params);
	/* the salt back from the parameters just made */
	p = pp->keyDerivationFunc->parameter->value.sequence->data;
	kdf = d2i_PBKDF2PARAM(NULL, &p,
	    pp->keyDerivationFunc->parameter->value.sequence->length);
	if (kdf == NULL || pbmac1(m, secret,
	    kdf->salt->value.octet_string->data,
	    kdf->salt->value.octet_string->length, iter, keylen,
	    md_of_hmac(prf), md_of_hmac(mac), out, &outlen) != 0) {
		fprintf(stderr, "cannot compute the MAC\n");
		return 2;
	}
	ASN1_BIT_STRING_free(m->protection);
	m->protection = ASN1_BIT_STRING_new();
	ASN1_BIT_STRING_set(m->protection, out, (int)outlen);
	m->protection->flags &= ~0x07;
	m->protection->flags |= ASN1_STRING_FLAG_BITS_LEFT;
	OPENSSL_free(der);
	der = NULL;
	if ((n = i2d_CMPD_MSG(m, &der)) <= 0 ||
	    (f = fopen(argv[3], "wb")) == NULL ||
	    fwrite(der, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", argv[3]);
		return 2;
	}
	OPENSSL_free(der);
	PBKDF2PARAM_free(kdf);
	CMPD_PBMAC1PARAM_free(pp);
	CMPD_MSG_free(m);
	return 0;
}

static int
verify(char **argv)
{
	CMPD_MSG *m = read_msg(argv[2]);
	const char *secret = argv[3];
	const ASN1_OBJECT *oid;
	const void *pval;
	const ASN1_STRING *seq;
	const unsigned char *p;
	CMPD_PBMAC1PARAM *pp = NULL;
	PBKDF2PARAM *kdf = NULL;
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned int outlen;
	int ptype, prf, mac, keylen, i, r = 1;
	long iter;

	printf("body=%s\n", cmp_asn1_body_name(m->body->type));
	if (m->header->protectionAlg == NULL || m->protection == NULL) {
		printf("protectionAlg=none\n");
		goto out;
	}
	X509_ALGOR_get0(&oid, &ptype, &pval, m->header->protectionAlg);
	printf("protectionAlg=%s\n", OBJ_nid2sn(OBJ_obj2nid(oid)));
	if (OBJ_obj2nid(oid) != NID_pbmac1 || ptype != V_ASN1_SEQUENCE)
		goto out;
	seq = pval;
	p = seq->data;
	if ((pp = d2i_CMPD_PBMAC1PARAM(NULL, &p, seq->length)) == NULL ||
	    OBJ_obj2nid(pp->keyDerivationFunc->algorithm) != NID_id_pbkdf2 ||
	    pp->keyDerivationFunc->parameter == NULL ||
	    pp->keyDerivationFunc->parameter->type != V_ASN1_SEQUENCE) {
		printf("params=malformed\n");
		goto out;
	}
	seq = pp->keyDerivationFunc->parameter->value.sequence;
	p = seq->data;
	if ((kdf = d2i_PBKDF2PARAM(NULL, &p, seq->length)) == NULL ||
	    kdf->salt->type != V_ASN1_OCTET_STRING) {
		printf("params=malformed\n");
		goto out;
	}
	iter = ASN1_INTEGER_get(kdf->iter);
	prf = kdf->prf == NULL ? NID_hmacWithSHA1 :
	    OBJ_obj2nid(kdf->prf->algorithm);
	mac = OBJ_obj2nid(pp->messageAuthScheme->algorithm);
	keylen = kdf->keylength != NULL ?
	    (int)ASN1_INTEGER_get(kdf->keylength) : -1;
	printf("iterationCount=%ld\nprf=%s\nmac=%s\nkeyLength=%d\n"
	    "saltLength=%d\nsalt=", iter, OBJ_nid2sn(prf), OBJ_nid2sn(mac),
	    keylen, kdf->salt->value.octet_string->length);
	for (i = 0; i < kdf->salt->value.octet_string->length; i++)
		printf("%02x", kdf->salt->value.octet_string->data[i]);
	printf("\n");
	if (m->header->senderKID != NULL)
		printf("senderKID=%.*s\n", m->header->senderKID->length,
		    m->header->senderKID->data);
	if (keylen < 0 && md_of_hmac(mac) != NULL)
		keylen = EVP_MD_get_size(md_of_hmac(mac));
	if (md_of_hmac(prf) == NULL || md_of_hmac(mac) == NULL ||
	    pbmac1(m, secret, kdf->salt->value.octet_string->data,
	    kdf->salt->value.octet_string->length, (int)iter, keylen,
	    md_of_hmac(prf), md_of_hmac(mac), out, &outlen) != 0) {
		printf("compute=failed\n");
		goto out;
	}
	if ((unsigned int)m->protection->length != outlen ||
	    CRYPTO_memcmp(m->protection->data, out, outlen) != 0) {
		printf("verified=no\n");
		goto out;
	}
	printf("verified=yes\n");
	r = 0;
 out:
	/* before any exit-time report can cut the buffered output short */
	fflush(stdout);
	PBKDF2PARAM_free(kdf);
	CMPD_PBMAC1PARAM_free(pp);
	CMPD_MSG_free(m);
	return r;
}

int
main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "protect") == 0)
		return protect(argc, argv);
	if (argc == 4 && strcmp(argv[1], "verify") == 0)
		return verify(argv);
	fprintf(stderr, "usage: cmppbmac1 protect IN OUT SECRET [iter=N] "
	    "[prf=MD] [mac=MD] [salt=N] [keylen=N]\n"
	    "       cmppbmac1 verify RSP SECRET\n");
	return 2;
}
