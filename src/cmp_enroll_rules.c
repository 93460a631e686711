/*
 * Who may ask for which certificate, checked before the CA is asked
 * (cmp_enroll.c): a kur updates its own protection certificate (RFC 9810
 * 5.3.5), and under subjectPolicy signer a signed request asks for its
 * signer's name only.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crmf.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "store.h"

/* The template's public key equals the certificate's (kur: RFC 9810 5.3.5
 * asks for a new key), whatever label an RSA key came with. */
static int
enroll_same_key(const OSSL_CRMF_CERTTEMPLATE *tmpl, X509 *old)
{
	EVP_PKEY *k;
	int same;

	if ((k = spki_template_key(tmpl, NULL)) == NULL)
		return 0;
	same = spki_key_eq(k, X509_get0_pubkey(old));
	EVP_PKEY_free(k);
	return same;
}

/*
 * kur (RFC 9810 5.3.5): the protection certificate is the certificate to
 * update. It must be in this RA Profile's inventory and still valid, the
 * oldCertID control, when present, must name it, and the new key must
 * differ. *old gets the inventory's copy; *meta (when meta is not NULL)
 * what its connector gave with it, to send back with the renewal (NULL:
 * none).
 */
enum cmp_fail
cmp_enroll_kur_check(const CMPD_MSG *req, const OSSL_CRMF_MSG *crm,
    const struct profile *p, X509 **old, char **meta)
{
	const OSSL_CRMF_CERTID *oid;
	struct store_cert sc;
	X509 *signer;
	int r;

	*old = NULL;
	if (meta != NULL)
		*meta = NULL;
	if (req->extraCerts == NULL || sk_X509_num(req->extraCerts) < 1)
		return CMPF_KUR_NOT_SIGNED;
	signer = sk_X509_value(req->extraCerts, 0);
	if ((r = store_cert_find(X509_get_issuer_name(signer),
	    X509_get0_serialNumber(signer), p->ra_uuid, &sc)) == DB_ERR)
		return CMPF_DB_UNAVAILABLE;
	if (r == DB_NOTFOUND || X509_cmp(signer, sc.cert) != 0) {
		X509_free(sc.cert);
		return CMPF_KUR_UNKNOWN_CERT;
	}
	if (strcmp(sc.status, "issued") != 0) {
		X509_free(sc.cert);
		return CMPF_RR_REVOKED;
	}
	if ((oid = OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm)) != NULL &&
	    (X509_NAME_cmp(OSSL_CRMF_CERTID_get0_issuer(oid),
	    X509_get_issuer_name(sc.cert)) != 0 ||
	    ASN1_INTEGER_cmp(OSSL_CRMF_CERTID_get0_serialNumber(oid),
	    X509_get0_serialNumber(sc.cert)) != 0)) {
		X509_free(sc.cert);
		return CMPF_KUR_OLDCERTID;
	}
	if (enroll_same_key(OSSL_CRMF_MSG_get0_tmpl(crm), sc.cert)) {
		X509_free(sc.cert);
		return CMPF_KUR_SAME_KEY;
	}
	if (meta != NULL && sc.meta[0] != '\0' &&
	    (*meta = strdup(sc.meta)) == NULL) {
		X509_free(sc.cert);
		return CMPF_INTERNAL;
	}
	*old = sc.cert;
	return CMPF_OK;
}

/*
 * subjectPolicy signer: a request signed with a certificate asks for that
 * certificate's name only, its subject and, when the template names one,
 * its subjectAltName; otherwise a certificate bought on one profile would
 * buy certificates for anyone on every profile that trusts its CA.
 * MAC-protected requests and profiles with subjectPolicy any pass.
 */
enum cmp_fail
cmp_enroll_subject_check(const CMPD_MSG *req, const OSSL_CRMF_CERTTEMPLATE *tmpl,
    const struct profile *p, char *text, size_t textlen)
{
	const X509_EXTENSIONS *exts;
	GENERAL_NAMES *want = NULL, *have = NULL;
	enum prot_method m;
	X509 *signer;
	int ok, crit = -1;

	if (p->subject_any || cmp_msg_prot_method(req->header, &m) != 0 ||
	    m != PROT_SIGNATURE)
		return CMPF_OK;
	/* cmp_server_validate() verified extraCerts[0] as the signer */
	if (req->extraCerts == NULL || sk_X509_num(req->extraCerts) < 1)
		return CMPF_NO_SIGNER_CERT;
	signer = sk_X509_value(req->extraCerts, 0);
	if (X509_NAME_cmp(OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl),
	    X509_get_subject_name(signer)) != 0) {
		snprintf(text, textlen, "subject");
		return CMPF_SUBJECT_NOT_SIGNER;
	}
	exts = OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl);
	if (exts == NULL || X509v3_get_ext_by_NID(exts, NID_subject_alt_name,
	    -1) < 0)
		return CMPF_OK;
	want = X509V3_get_d2i(exts, NID_subject_alt_name, &crit, NULL);
	have = X509_get_ext_d2i(signer, NID_subject_alt_name, NULL, NULL);
	/* as many names, each one of the signer's */
	ok = want != NULL && have != NULL && sk_GENERAL_NAME_num(want) ==
	    sk_GENERAL_NAME_num(have) && util_names_within(want, have);
	GENERAL_NAMES_free(want);
	GENERAL_NAMES_free(have);
	if (!ok) {
		snprintf(text, textlen, "subjectAltName");
		return CMPF_SUBJECT_NOT_SIGNER;
	}
	return CMPF_OK;
}
