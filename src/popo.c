/*
 * Proof of possession of a CRMF request (RFC 4211 4), checked with a key
 * the caller has decoded (spki_decode()), for cmpd (RFC 9810 5.2.8) and
 * cmp-localca alike. OSSL_CRMF_MSGS_verify_popo() takes the key from the
 * template's X509_PUBKEY, which a request read in keyless_ctx() does not
 * hold; the POP is read from the library's re-encoding of the request
 * (CMPD_CERTREQMSG), and the signature is checked over the CertRequest as
 * encoded.
 */
#include "config.h"

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "cmpd.h"

/*
 * crm's POP, with key the template's public key (NULL: none).
 * raVerified counts only with accept_ra_verified: an RA vouches for the
 * POP it checked (RFC 4211 4, RFC 9483 5.2.3.2). A signature by an
 * algorithm sigalg_ok() does not accept is POPO_BAD_ALG, its name in why.
 */
enum popo_result
popo_verify(const OSSL_CRMF_MSG *crm, EVP_PKEY *key, int accept_ra_verified,
    char *why, size_t whylen)
{
	CMPD_CERTREQMSG *m = NULL;
	CMPD_POPOSIGNINGKEY *sig;
	unsigned char *der = NULL;
	const unsigned char *p;
	enum popo_result r = POPO_BAD;
	int n;

	if (whylen > 0)
		why[0] = '\0';
	if ((n = i2d_OSSL_CRMF_MSG((OSSL_CRMF_MSG *)crm, &der)) <= 0)
		goto out;
	p = der;
	if ((m = d2i_CMPD_CERTREQMSG(NULL, &p, n)) == NULL)
		goto out;
	if (m->popo == NULL) {
		r = POPO_MISSING;
		goto out;
	}
	switch (m->popo->type) {
	case CMPD_POPO_RAVERIFIED:
		r = accept_ra_verified ? POPO_OK : POPO_RA_VERIFIED;
		break;
	case CMPD_POPO_SIGNATURE:
		sig = m->popo->value.signature;
		/*
		 * RFC 4211 4.1: with the subject and the public key in the
		 * template (both callers require them), poposkInput MUST be
		 * omitted and the signature is over the DER CertRequest.
		 */
		if (key == NULL || sig->poposkInput != NULL)
			break;
		if (!sigalg_ok(sig->algorithmIdentifier, why, whylen)) {
			r = POPO_BAD_ALG;
			break;
		}
		if (ASN1_item_verify_ex(ASN1_ITEM_rptr(ASN1_SEQUENCE),
		    sig->algorithmIdentifier, sig->signature, m->certReq, NULL,
		    key, NULL, NULL) == 1)
			r = POPO_OK;
		break;
	default:
		/* keyEncipherment, keyAgreement: indirect and challenge-
		 * response POP (RFC 4211 4.2, 4.3) are not offered */
		r = POPO_UNSUPPORTED;
		break;
	}
 out:
	ERR_clear_error();
	CMPD_CERTREQMSG_free(m);
	OPENSSL_free(der);
	return r;
}
