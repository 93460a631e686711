/*
 * The certificates an answer carries besides the ones it delivers
 * (RFC 9483 4.1.1, RFC 9810 5.3.2): the issuing chain of every
 * certificate of an ip, cp or kup in extraCerts, without its root, so
 * that a client that trusts only the root can validate the new
 * certificate; caPubs, the root(s) of that chain, only in an ip and only
 * where the CMP Profile lets a client take its trust from the answer.
 * Signature protection later puts the signing certificate and its chain
 * in front of extraCerts (cmp_protect_sig, RFC 9810 5.1.3.3).
 */
#include "config.h"

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"

/*
 * Whether the ip to req may carry caPubs (the CMP Profile's caPubs).
 * sharedSecret: only when the request proved the shared secret, which
 * then authenticates the root (RFC 9483 4.1.1); for the v2_3gpp variant
 * the vendor certificate plays that part: a base station has no operator
 * root before its first ip (TS 33.310 9.5).
 */
int
cmp_chain_ca_pubs_allowed(const CMPD_MSG *req, const struct profile *p)
{
	enum prot_method m;

	if (cmp_msg_body_type(req) != CMPD_BODY_IR)
		return 0;
	if (p->ca_pubs == CAPUBS_ALWAYS)
		return 1;
	if (p->ca_pubs == CAPUBS_NEVER)
		return 0;
	if (p->variant == VARIANT_V2_3GPP)
		return 1;
	return cmp_msg_prot_method(req->header, &m) == 0 &&
	    m == PROT_SHARED_SECRET;
}

/* The certificate of certs that issued x (names, key identifiers). */
static X509 *
chain_issuer(X509 *x, STACK_OF(X509) *certs)
{
	X509 *c;
	int i;

	for (i = 0; i < sk_X509_num(certs); i++) {
		c = sk_X509_value(certs, i);
		if (X509_cmp(c, x) != 0 && X509_check_issued(c, x) == X509_V_OK)
			return c;
	}
	return NULL;
}

/* x once in *sk (reference counted). */
static int
chain_add(STACK_OF(X509) **sk, X509 *x)
{
	if (*sk == NULL && (*sk = sk_X509_new_null()) == NULL)
		return -1;
	return X509_add_cert(*sk, x, X509_ADD_FLAG_UP_REF |
	    X509_ADD_FLAG_NO_DUP) == 1 ? 0 : -1;
}

/*
 * cert's issuing chain out of ca_chain (the connector's caCertificates,
 * in any order): the intermediates to extraCerts, the root to caPubs
 * when capubs is set. The 3GPP variant keeps the root in extraCerts
 * too: TS 33.310 9.5 bootstraps the operator root from the ip, and
 * clients (OpenSSL's permit_ta_in_extracerts_for_ir) look for it there.
 */
static int
chain_one(CMPD_MSG *rsp, CMPD_CERTREPMSG *rep, const struct profile *p,
    X509 *cert, STACK_OF(X509) *ca_chain, int capubs)
{
	X509 *cur = cert, *iss;
	int n;

	for (n = 0; n < sk_X509_num(ca_chain); n++) {
		if ((iss = chain_issuer(cur, ca_chain)) == NULL)
			break;
		if (X509_self_signed(iss, 0) == 1) {
			if (capubs && chain_add(&rep->caPubs, iss) != 0)
				return -1;
			if (p->variant == VARIANT_V2_3GPP &&
			    chain_add(&rsp->extraCerts, iss) != 0)
				return -1;
			return 0;
		}
		if (chain_add(&rsp->extraCerts, iss) != 0)
			return -1;
		cur = iss;
	}
	if (n == 0)
		log_warn("PN=%s: the CA's caCertificates hold no issuer of "
		    "the new certificate; answered without its chain",
		    p->cmp_name);
	return 0;
}

/*
 * Whether the CA's certificate for a request was issued by one of the
 * CA certificates its connector gives (caCertificates): a connector
 * that asked another CA than the RA Profile's, or an answer changed on
 * its way, gives a certificate the chain cmpd serves does not vouch for.
 * Names and key identifiers (X509_check_issued), not the signature: the
 * CA's certificates come the same way as its answer. ca_chain NULL or
 * empty (the connector did not tell): 1, nothing to tell by.
 */
int
cmp_chain_issued(X509 *cert, STACK_OF(X509) *ca_chain)
{
	return sk_X509_num(ca_chain) <= 0 ||
	    chain_issuer(cert, ca_chain) != NULL;
}

/*
 * Adds to an ip, cp or kup the chains of the certificates it delivers.
 * ca_chain NULL (the connector did not tell): the answer goes without.
 */
int
cmp_chain_answer(CMPD_MSG *rsp, const CMPD_MSG *req, const struct profile *p,
    STACK_OF(X509) *ca_chain)
{
	CMPD_CERTREPMSG *rep;
	CMPD_CERTRESPONSE *cr;
	int i, type = cmp_msg_body_type(rsp), capubs;

	if (type != CMPD_BODY_IP && type != CMPD_BODY_CP &&
	    type != CMPD_BODY_KUP)
		return 0;
	if (ca_chain == NULL || (rep = rsp->body->value.ip) == NULL)
		return 0;
	capubs = type == CMPD_BODY_IP && cmp_chain_ca_pubs_allowed(req, p);
	for (i = 0; i < sk_CMPD_CERTRESPONSE_num(rep->response); i++) {
		cr = sk_CMPD_CERTRESPONSE_value(rep->response, i);
		if (cr->certifiedKeyPair == NULL ||
		    cr->certifiedKeyPair->certOrEncCert->type !=
		    CMPD_CERTORENCCERT_CERTIFICATE)
			continue;
		if (chain_one(rsp, rep, p,
		    cr->certifiedKeyPair->certOrEncCert->value.certificate,
		    ca_chain, capubs) != 0)
			return -1;
	}
	return 0;
}
