/*
 * The signature algorithms cmpd and cmp-localca accept from a client
 * (RFC 9481 3): on a signed message's protection (RFC 9810 5.1.3.3), on a
 * CertReqMsg's proof of possession (RFC 4211 4.1) and on a PKCS#10
 * request (RFC 2986 4.2, a p10cr's proof of possession). RSA PKCS#1 v1.5
 * and RSASSA-PSS with SHA-2, ECDSA with SHA-2, Ed25519 and Ed448 (RFC
 * 9481 3.3). libcrypto itself
 * verifies SHA-1 and MD5 signatures too, at every security level.
 */
#include "config.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cmpd.h"

static const int sigalg_nids[] = {
	NID_sha256WithRSAEncryption, NID_sha384WithRSAEncryption,
	NID_sha512WithRSAEncryption, NID_rsassaPss, NID_ecdsa_with_SHA256,
	NID_ecdsa_with_SHA384, NID_ecdsa_with_SHA512, NID_ED25519, NID_ED448,
};

/*
 * RSASSA-PSS parameters (RFC 4055 3.1) as RFC 9481 2.1.2 profiles them:
 * SHA-256, SHA-384 or SHA-512, MGF1 with the same hash, a salt at least
 * as long as the hash, trailer 1. libcrypto verifies with whatever hash
 * the parameters name, SHA-1 and MD5 included, and absent parameters mean
 * SHA-1 (RFC 4055 3.1). 1 acceptable, 0 not.
 */
static int
sigalg_pss_ok(const X509_ALGOR *alg)
{
	static const int hashes[] = { NID_sha256, NID_sha384, NID_sha512 };
	RSA_PSS_PARAMS *pss = NULL;
	X509_ALGOR *mgf_md = NULL;
	const EVP_MD *md;
	int nid, r = 0;

	if (alg->parameter == NULL ||
	    alg->parameter->type != V_ASN1_SEQUENCE ||
	    (pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
	    alg->parameter)) == NULL)
		goto out;
	if (pss->hashAlgorithm == NULL || pss->maskGenAlgorithm == NULL ||
	    pss->saltLength == NULL)
		goto out;		/* SHA-1, MGF1 with SHA-1, 20 */
	nid = OBJ_obj2nid(pss->hashAlgorithm->algorithm);
	if (!util_nid_in(nid, hashes, NITEMS(hashes)) ||
	    (md = EVP_get_digestbynid(nid)) == NULL ||
	    OBJ_obj2nid(pss->maskGenAlgorithm->algorithm) != NID_mgf1 ||
	    pss->maskGenAlgorithm->parameter == NULL ||
	    pss->maskGenAlgorithm->parameter->type != V_ASN1_SEQUENCE ||
	    (mgf_md = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(X509_ALGOR),
	    pss->maskGenAlgorithm->parameter)) == NULL ||
	    OBJ_obj2nid(mgf_md->algorithm) != nid ||
	    ASN1_INTEGER_get(pss->saltLength) < EVP_MD_get_size(md) ||
	    (pss->trailerField != NULL &&
	    ASN1_INTEGER_get(pss->trailerField) != 1))
		goto out;
	r = 1;
 out:
	X509_ALGOR_free(mgf_md);
	RSA_PSS_PARAMS_free(pss);
	ERR_clear_error();
	return r;
}

/*
 * 1 when a signature made with alg is accepted; 0 when not, with the
 * algorithm, or what its parameters lack, in why (for the answer's text).
 */
int
sigalg_ok(const X509_ALGOR *alg, char *why, size_t whylen)
{
	int nid;

	if (whylen > 0)
		why[0] = '\0';
	if (alg == NULL || alg->algorithm == NULL) {
		snprintf(why, whylen, "none");
		return 0;
	}
	nid = OBJ_obj2nid(alg->algorithm);
	if (!util_nid_in(nid, sigalg_nids, NITEMS(sigalg_nids))) {
		OBJ_obj2txt(why, (int)whylen, alg->algorithm, 0);
		return 0;
	}
	if (nid == NID_rsassaPss && !sigalg_pss_ok(alg)) {
		snprintf(why, whylen, "RSASSA-PSS other than with SHA-2, MGF1 "
		    "of the same hash and a salt of its length");
		return 0;
	}
	return 1;
}
