/*
 * Each request of an ir, cr, kur or p10cr checked before the CA is asked
 * (cmp_enroll.c): how many a message holds and their certReqIds (RFC 9810
 * 5.3.4), a p10cr's CSR as a template, the template, central key
 * generation, the public key and its proof of possession (RFC 4211 4), a
 * kur's certificate to update (cmp_enroll_rules.c).
 */
#include "config.h"

#include <stdio.h>

#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "cmp_enroll_check.h"
#include "store.h"

/*
 * DER of a CertReqMessages holding only crm: what the CA is asked. The
 * stack borrows crm (encoding does not change it): a copy would decode
 * its public key again (OpenSSL 3.0 builds a decoder for every key).
 */
static int
enroll_one_request(const OSSL_CRMF_MSG *crm, unsigned char **der)
{
	OSSL_CRMF_MSGS *one;
	int n = -1;

	*der = NULL;
	if ((one = sk_OSSL_CRMF_MSG_new_null()) == NULL)
		return -1;
	if (sk_OSSL_CRMF_MSG_push(one, (OSSL_CRMF_MSG *)crm))
		n = i2d_OSSL_CRMF_MSGS(one, der);
	sk_OSSL_CRMF_MSG_free(one);
	return n;
}

/*
 * p10cr (RFC 9810 5.3.4, RFC 9483 4.1.4): the CSR's subject, extensions
 * and key as a certificate template, so that the checks of a CertReqMsg
 * apply unchanged. The CSR's signature is its proof of possession.
 */
static enum cmp_fail
enroll_csr_template(X509_REQ *csr, OSSL_CRMF_MSG **out, char *text,
    size_t textlen)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	const X509_ALGOR *alg;
	OSSL_CRMF_MSG *crm = NULL;
	unsigned char *kder = NULL;
	EVP_PKEY *key = NULL;
	enum cmp_fail f = CMPF_P10CR_BAD_POP;
	int n;

	*out = NULL;
	/* read in keyless_ctx(): the key is decoded here */
	if ((n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(csr), &kder)) <= 0 ||
	    (key = spki_decode(kder, (size_t)n)) == NULL)
		goto err;
	/* RFC 2986 4.2: signed with the key it asks a certificate for,
	 * by an algorithm a POP may use */
	X509_REQ_get0_signature(csr, NULL, &alg);
	if (!sigalg_ok(alg, text, textlen)) {
		f = CMPF_POP_ALG;
		goto err;
	}
	if (X509_REQ_verify(csr, key) <= 0)
		goto err;
	f = CMPF_INTERNAL;
	if ((crm = OSSL_CRMF_MSG_new()) == NULL ||
	    !OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm), key,
	    X509_REQ_get_subject_name(csr), NULL, NULL))
		goto err;
	if ((exts = X509_REQ_get_extensions(csr)) != NULL &&
	    sk_X509_EXTENSION_num(exts) > 0) {
		if (!OSSL_CRMF_MSG_set0_extensions(crm, exts))
			goto err;
		exts = NULL;
	}
	*out = crm;
	crm = NULL;
	f = CMPF_OK;
 err:
	ERR_clear_error();
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	OSSL_CRMF_MSG_free(crm);
	EVP_PKEY_free(key);
	OPENSSL_free(kder);
	return f;
}

/* The CMP Profile's certReqMax, or its variant's default. */
static int
enroll_max(const struct profile *p)
{
	/* TS 33.310 9.5: exactly one */
	if (p->variant == VARIANT_V2_3GPP)
		return 1;
	/* the API keeps certReqMax within CMPD_CERT_REQ_MAX; a row written
	 * in SQL may not (a certConf reads that many rows at most) */
	if (p->cert_req_max > CMPD_CERT_REQ_MAX)
		return CMPD_CERT_REQ_MAX;
	if (p->cert_req_max > 0)
		return p->cert_req_max;
	return CMPD_CERT_REQ_DEFAULT;
}

/*
 * cmp_enroll_check()'s steps from the public key on. key: the template's,
 * decoded once for its own checks and the POP (the request was read
 * without it, keyless_ctx()).
 */
static void
enroll_check_key(const CMPD_MSG *req, struct profile *p,
    struct enroll_item *it, const OSSL_CRMF_CERTTEMPLATE *tmpl,
    EVP_PKEY *key)
{
	int type = cmp_msg_body_type(req), perms = 0;
	enum popo_result pop;

	/* none, or one that does not decode or that anyone can sign with
	 * (spki_key_sound()): the POP fails below, and so does raVerified */
	if (key != NULL && (it->fail = cmp_pubkey_check(key, p, it->text,
	    sizeof(it->text))) != CMPF_OK)
		return;
	/* an RA with the enroll permission asks for anyone (RFC 9483
	 * 5.2.3; looked up only when the subject is not the signer's) */
	if ((it->fail = cmp_enroll_subject_check(req, tmpl, p, it->text,
	    sizeof(it->text))) == CMPF_SUBJECT_NOT_SIGNER &&
	    (perms = cmp_ra_perms(p)) != 0) {
		it->fail = perms < 0 ? CMPF_DB_UNAVAILABLE :
		    perms & RA_PERM_ENROLL ? CMPF_OK : it->fail;
		it->ra |= RA_PERM_ENROLL;
	}
	if (it->fail != CMPF_OK)
		return;
	/* RFC 4211 4: POP before anything is issued. raVerified only from
	 * an RA with that permission, which checked the POP itself (RFC
	 * 9483 5.2.3.2), only for a sound key (no POP proves possession of
	 * the others), never for kur: accepting it is tried only once
	 * the POP failed, so that only RA requests cost a look-up.
	 * A p10cr's POP, its CSR's signature, was verified already. */
	if (type != CMPD_BODY_P10CR && (pop = popo_verify(it->crm, key, 0,
	    it->text, sizeof(it->text))) != POPO_OK) {
		if (pop == POPO_BAD_ALG) {
			it->fail = CMPF_POP_ALG;
			return;
		}
		if (pop != POPO_RA_VERIFIED || key == NULL ||
		    type == CMPD_BODY_KUR ||
		    (perms = cmp_ra_perms(p)) <= 0 ||
		    !(perms & RA_PERM_RAVERIFIED)) {
			it->fail = perms < 0 ? CMPF_DB_UNAVAILABLE :
			    CMPF_BAD_POP;
			/* no key, no POP: central key generation asked of a
			 * profile that does not make keys (RFC 9483 4.1.6) */
			if (pop == POPO_MISSING && key == NULL &&
			    type != CMPD_BODY_P10CR && cmp_ckg_wanted(it->crm))
				it->fail = CMPF_CKG_NOT_OFFERED;
			return;
		}
		it->ra_verified = 1;
		it->ra |= RA_PERM_RAVERIFIED;
	}
	if (type == CMPD_BODY_KUR && (it->fail = cmp_enroll_kur_check(req,
	    it->crm, p, &it->old, &it->old_meta)) != CMPF_OK)
		return;
	if (type == CMPD_BODY_P10CR)
		it->n = i2d_X509_REQ(req->body->value.p10cr, &it->one);
	else
		it->n = enroll_one_request(it->crm, &it->one);
	it->fail = it->n > 0 ? CMPF_OK : CMPF_INTERNAL;
}

/*
 * The checks of one request's template that need no key (it->fail,
 * it->text): made before a key is made for it.
 */
static enum cmp_fail
enroll_check_template(const struct profile *p, struct enroll_item *it)
{
	const OSSL_CRMF_CERTTEMPLATE *tmpl;
	const X509_NAME *subject;
	enum cmp_fail f;

	tmpl = OSSL_CRMF_MSG_get0_tmpl(it->crm);
	subject = tmpl != NULL ? OSSL_CRMF_CERTTEMPLATE_get0_subject(tmpl) :
	    NULL;
	if (subject == NULL || X509_NAME_entry_count(subject) == 0)
		return CMPF_NO_SUBJECT;
	if (!cmp_exts_name_der(subject)) {
		snprintf(it->text, sizeof(it->text), "the subject");
		return CMPF_NAME_NOT_DER;
	}
	/* a certReqTemplate the API would not have taken: none passes */
	if (p->tmpl_bad)
		return CMPF_GENM_BAD_TEMPLATE;
	if ((f = store_template_fits(tmpl, it->text, sizeof(it->text))) !=
	    CMPF_OK)
		return f;
	return cmp_exts_check(OSSL_CRMF_CERTTEMPLATE_get0_extensions(tmpl), p,
	    it->text, sizeof(it->text));
}

/*
 * An ir, cr or kur asking for its key to be made (cmp_ckg.c), on a CMP
 * Profile that makes keys: the item's request becomes the one the CA is
 * asked with, the key's envelope waits for the answer. (Elsewhere such a
 * request fails its POP, and enroll_check_key() says why.) A kur's
 * certificate to update is looked at before a key is made for it, and
 * the kur checked as any other after (its oldCertID carried over, the
 * new key other than the certificate's).
 */
static enum cmp_fail
enroll_ckg(const CMPD_MSG *req, int type, struct profile *p,
    struct enroll_item *it)
{
	enum cmp_fail f;
	X509 *old = NULL;

	if (!p->ckg_allowed || type == CMPD_BODY_P10CR ||
	    !cmp_ckg_wanted(it->crm))
		return CMPF_OK;
	if (type == CMPD_BODY_KUR) {
		f = cmp_enroll_kur_check(req, it->crm, p, &old, NULL);
		X509_free(old);
		if (f != CMPF_OK)
			return f;
	}
	if ((f = cmp_ckg_request(it->crm, req, p, &it->own, &it->ckg,
	    it->text, sizeof(it->text))) == CMPF_OK)
		it->crm = it->own;
	return f;
}

/* How many requests a message may hold, before any is looked at. */
enum cmp_fail
cmp_enroll_count(const CMPD_MSG *req, const struct profile *p, int n,
    char *text, size_t textlen)
{
	if (n < 1)
		return CMPF_NO_CERT_REQUEST;
	/* TS 33.310 9.5 names ir, cr and kur only, with one CertReqMsg */
	if (cmp_msg_body_type(req) == CMPD_BODY_P10CR)
		return p->variant == VARIANT_V2_3GPP ? CMPF_P10CR_3GPP :
		    CMPF_OK;
	if (p->variant == VARIANT_V2_3GPP && n != 1)
		return CMPF_3GPP_ONE_REQUEST;
	/* Nothing is cut: more than allowed is refused as a whole. */
	if (n > enroll_max(p)) {
		snprintf(text, textlen, "%d", enroll_max(p));
		return CMPF_CERT_REQ_MAX;
	}
	return CMPF_OK;
}

/*
 * The message-wide rules on the requests themselves: certReqIds distinct
 * (RFC 9810 5.3.4: the answer names each by it); a p10cr's CSR as a
 * template. Fills items[].crm and .rid.
 */
enum cmp_fail
cmp_enroll_requests(const CMPD_MSG *req, OSSL_CRMF_MSGS *reqs,
    struct enroll_item *items, int n, char *text, size_t textlen)
{
	enum cmp_fail f;
	int i, j;

	if (cmp_msg_body_type(req) == CMPD_BODY_P10CR) {
		items[0].rid = -1;
		/* the CA reads the CSR itself: extensions only where the
		 * template made of it shows them all */
		if ((f = cmp_exts_csr_check(req->body->value.p10cr, text,
		    textlen)) != CMPF_OK)
			return f;
		return enroll_csr_template(req->body->value.p10cr,
		    &items[0].own, text, textlen);
	}
	for (i = 0; i < n; i++) {
		items[i].crm = sk_OSSL_CRMF_MSG_value(reqs, i);
		items[i].rid = OSSL_CRMF_MSG_get_certReqId(items[i].crm);
		for (j = 0; j < i; j++)
			if (items[j].rid == items[i].rid) {
				snprintf(text, textlen, "%ld", items[i].rid);
				return CMPF_CERT_REQ_ID_DUP;
			}
	}
	return CMPF_OK;
}

/*
 * The checks of request i before anything is asked of the CA
 * (it->fail, it->text): the certificate profile it names, its template,
 * a key made for it, then its public key and POP; and the DER the CA
 * will be asked with.
 */
void
cmp_enroll_check(const CMPD_MSG *req, struct profile *p,
    const STACK_OF(ASN1_UTF8STRING) *profiles, int i, struct enroll_item *it)
{
	const OSSL_CRMF_CERTTEMPLATE *tmpl;
	EVP_PKEY *key;

	if (it->own != NULL)
		it->crm = it->own;
	if ((it->fail = cmp_certprofile_offered(profiles, i, p, it->text,
	    sizeof(it->text))) != CMPF_OK ||
	    (it->fail = enroll_check_template(p, it)) != CMPF_OK ||
	    (it->fail = enroll_ckg(req, cmp_msg_body_type(req), p, it)) !=
	    CMPF_OK)
		return;
	tmpl = OSSL_CRMF_MSG_get0_tmpl(it->crm);
	key = spki_template_key(tmpl, NULL);
	enroll_check_key(req, p, it, tmpl, key);
	EVP_PKEY_free(key);
}
