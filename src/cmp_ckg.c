/*
 * Central key generation (RFC 9483 4.1.6, RFC 9810 5.3.4): an ir, cr or
 * kur whose CertReqMsg carries no public key, or one of no bits whose
 * algorithm names the type wanted, and no proof of possession, asks the
 * server for the key pair. Only a CMP Profile with centralKeyGeneration
 * does so.
 *
 * The key: of the type the request's algorithm names (an EC curve, RSA,
 * Ed25519, Ed448), else of the certReqTemplate's keySpec, else EC P-256
 * (P-384, P-521 for key_security_level 4, 5); RSA of keySpec's length,
 * else of 2048 bits (3072 at level 3), never over 4096, and one RSA key
 * per message (a nested batch is one): a worker makes it while the
 * client waits, a second or more for 4096 bits, where an EC key takes a
 * fraction of a millisecond. The CA is asked with a new
 * CertReqMsg: the request's certReqId, subject, validity and extensions,
 * a kur's oldCertID control, the generated public key and a POP signed
 * with it, so that it takes the request as any other (the request's
 * other controls and regInfo are not carried over). A kur's key goes to
 * the certificate it updates, which signed it. A p10cr carries a key of
 * its own.
 *
 * The private key goes back in the CertResponse's privateKey (RFC 9810
 * 5.3.4, envelopedData, pvno 3): an AsymmetricKeyPackage (RFC 5958) of
 * one OneAsymmetricKey, in a SignedData (eContentType
 * id-ct-KP-aKeyPackage) signed with the CMP Profile's signing key, in
 * an EnvelopedData (AES-256-CBC) to the requester only:
 *
 *   - a MAC-protected request: PasswordRecipientInfo (RFC 3211) with
 *     the shared secret that verified its MAC: PBKDF2 as libcrypto 3.0
 *     makes it (HMAC-SHA1 as PRF), id-alg-PWRI-KEK with AES-256-CBC;
 *   - a signed request: to its protection certificate's key,
 *     KeyTransRecipientInfo with RSAES-OAEP, SHA-256 (RFC 9481 4.2), or
 *     KeyAgreeRecipientInfo with ECDH ephemeral-static and the SHA-256
 *     KDF (RFC 9481 4.1).
 *
 * The key is generated, wrapped and dropped within the request; nothing
 * of it is stored. It cannot be delivered later: a CA that answers
 * pending or beyond syncBudget fails the request (the sweep revokes what
 * the CA issues for it).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/crmf.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "cmp_itav.h"

#define CKG_PWRI_ITER		10000

/* The template's SubjectPublicKeyInfo as sent, NULL for none. */
static CMPD_SPKI *
ckg_template_spki(const OSSL_CRMF_MSG *crm, CMPD_CERTTEMPLATE **tmpl)
{
	unsigned char *der = NULL;
	const unsigned char *q;
	int n;

	*tmpl = NULL;
	if ((n = i2d_OSSL_CRMF_CERTTEMPLATE(OSSL_CRMF_MSG_get0_tmpl(crm),
	    &der)) <= 0)
		return NULL;
	q = der;
	*tmpl = d2i_CMPD_CERTTEMPLATE(NULL, &q, n);
	OPENSSL_free(der);
	return *tmpl != NULL ? (*tmpl)->publicKey : NULL;
}

/* 1: crm asks for its key to be made: no public key, or one of no bits,
 * and no POP (RFC 9483 4.1.6). */
int
cmp_ckg_wanted(const OSSL_CRMF_MSG *crm)
{
	CMPD_CERTREQMSG *m = NULL;
	CMPD_CERTTEMPLATE *t = NULL;
	CMPD_SPKI *spki;
	unsigned char *der = NULL;
	const unsigned char *q;
	int n, wanted = 0;

	spki = ckg_template_spki(crm, &t);
	if (t == NULL || (spki != NULL &&
	    ASN1_STRING_length(spki->subjectPublicKey) > 0))
		goto out;
	/* RFC 9483 4.1.6: popo absent */
	if ((n = i2d_OSSL_CRMF_MSG((OSSL_CRMF_MSG *)crm, &der)) <= 0)
		goto out;
	q = der;
	if ((m = d2i_CMPD_CERTREQMSG(NULL, &q, n)) != NULL && m->popo == NULL)
		wanted = 1;
 out:
	ERR_clear_error();
	CMPD_CERTREQMSG_free(m);
	CMPD_CERTTEMPLATE_free(t);
	OPENSSL_free(der);
	return wanted;
}

/* The RSA length and EC curve key_security_level asks for at least
 * (NIST SP 800-57: 112 bits 2048, 128 bits 3072, 192 bits 7680). */
static int
ckg_rsa_bits(void)
{
	int bits = cmp_pubkey_level_bits();

	return bits <= 112 ? 2048 : bits <= 128 ? 3072 : bits <= 192 ? 7680 :
	    15360;
}

static int
ckg_ec_curve(void)
{
	int bits = cmp_pubkey_level_bits();

	return bits <= 128 ? NID_X9_62_prime256v1 : bits <= 192 ?
	    NID_secp384r1 : NID_secp521r1;
}

/*
 * The type and parameter of the key to make (EVP_PKEY_* and a curve NID
 * or RSA length): the request's algorithm, keySpec, the default. 0, or
 * -1 with what cannot be made named into arg.
 */
static int
ckg_choose(const CMPD_SPKI *spki, const struct profile *p, int *type,
    int *param, char *arg, size_t arglen)
{
	const ASN1_OBJECT *oid;
	const void *pval;
	int ptype, nid;

	if (spki == NULL || spki->algorithm == NULL) {
		if (p->key_type != EVP_PKEY_NONE) {
			*type = p->key_type;
			*param = p->key_param;
		} else {
			*type = EVP_PKEY_EC;
			*param = ckg_ec_curve();
		}
		return 0;
	}
	X509_ALGOR_get0(&oid, &ptype, &pval, spki->algorithm);
	switch ((nid = OBJ_obj2nid(oid))) {
	case NID_X9_62_id_ecPublicKey:
		*type = EVP_PKEY_EC;
		if (ptype != V_ASN1_OBJECT ||
		    (*param = OBJ_obj2nid(pval)) == NID_undef ||
		    EC_curve_nid2nist(*param) == NULL) {
			snprintf(arg, arglen, "an EC key without a NIST curve");
			return -1;
		}
		return 0;
	case NID_rsaEncryption:
		*type = EVP_PKEY_RSA;
		*param = p->key_type == EVP_PKEY_RSA ? p->key_param :
		    ckg_rsa_bits();
		return 0;
	case NID_ED25519:
	case NID_ED448:
		*type = nid == NID_ED25519 ? EVP_PKEY_ED25519 :
		    EVP_PKEY_ED448;
		*param = 0;
		return 0;
	default:
		OBJ_obj2txt(arg, (int)arglen, oid, 0);
		return -1;
	}
}

static EVP_PKEY *
ckg_generate(int type, int param)
{
	switch (type) {
	case EVP_PKEY_EC:
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", OBJ_nid2sn(param));
	case EVP_PKEY_RSA:
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)param);
	case EVP_PKEY_ED25519:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	case EVP_PKEY_ED448:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
	default:
		return NULL;
	}
}

/* The CertReqMsg the CA is asked with: the request's, with key and its
 * POP (RFC 4211 4.1: signature over the CertRequest, so made last). */
static OSSL_CRMF_MSG *
ckg_crm(const OSSL_CRMF_MSG *crm, const CMPD_CERTTEMPLATE *t, EVP_PKEY *key)
{
	OSSL_CRMF_MSG *m;
	OSSL_CRMF_CERTID *old;
	X509_EXTENSIONS *exts = NULL;
	ASN1_TIME *nb = NULL, *na = NULL;
	const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_base_id(key) == EVP_PKEY_ED448 ? NULL : EVP_sha256();

	if ((m = OSSL_CRMF_MSG_new()) == NULL ||
	    !OSSL_CRMF_MSG_set_certReqId(m,
	    OSSL_CRMF_MSG_get_certReqId(crm)) ||
	    !OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(m), key,
	    t->subject, t->issuer, NULL))
		goto err;
	if (t->validity != NULL) {
		if ((t->validity->notBefore != NULL &&
		    (nb = ASN1_TIME_dup(t->validity->notBefore)) == NULL) ||
		    (t->validity->notAfter != NULL &&
		    (na = ASN1_TIME_dup(t->validity->notAfter)) == NULL) ||
		    !OSSL_CRMF_MSG_set0_validity(m, nb, na)) {
			ASN1_TIME_free(nb);
			ASN1_TIME_free(na);
			goto err;
		}
	}
	if (t->extensions != NULL &&
	    ((exts = sk_X509_EXTENSION_deep_copy(t->extensions,
	    X509_EXTENSION_dup, X509_EXTENSION_free)) == NULL ||
	    !OSSL_CRMF_MSG_set0_extensions(m, exts))) {
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		goto err;
	}
	/* a kur's (RFC 4211 6.5): the certificate to update, as it was
	 * named, for cmp_enroll_kur_check() */
	if ((old = OSSL_CRMF_MSG_get0_regCtrl_oldCertID(crm)) != NULL &&
	    !OSSL_CRMF_MSG_set1_regCtrl_oldCertID(m, old))
		goto err;
	if (!OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_SIGNATURE, m, key, md,
	    NULL, NULL))
		goto err;
	return m;
 err:
	OSSL_CRMF_MSG_free(m);
	return NULL;
}

/* The content of a ContentInfo's DER ([0] EXPLICIT, RFC 5652 3). */
static int
ckg_content(const unsigned char *ci, long len, const unsigned char **in,
    long *inlen)
{
	const unsigned char *q = ci;
	long l;
	int tag, xclass;

	/* SEQUENCE { contentType OID, [0] { content } } */
	if ((ASN1_get_object(&q, &l, &tag, &xclass, len) & 0x80) ||
	    tag != V_ASN1_SEQUENCE)
		return -1;
	if ((ASN1_get_object(&q, &l, &tag, &xclass, ci + len - q) & 0x80) ||
	    tag != V_ASN1_OBJECT)
		return -1;
	q += l;
	if ((ASN1_get_object(&q, &l, &tag, &xclass, ci + len - q) & 0x80) ||
	    tag != 0 || xclass != V_ASN1_CONTEXT_SPECIFIC ||
	    q + l != ci + len)
		return -1;
	*in = q;
	*inlen = l;
	return 0;
}

/* The DER of a CMS structure's content (SignedData, EnvelopedData);
 * what held the key in clear is wiped. */
static unsigned char *
ckg_cms_der(const CMS_ContentInfo *cms, long *len)
{
	unsigned char *der = NULL, *out = NULL;
	const unsigned char *in;
	int n;

	if ((n = i2d_CMS_ContentInfo(cms, &der)) > 0 &&
	    ckg_content(der, n, &in, len) == 0)
		out = OPENSSL_memdup(in, (size_t)*len);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	return out;
}

/* SignedData of the key's AsymmetricKeyPackage, signed by the profile. */
static unsigned char *
ckg_signed(EVP_PKEY *key, const struct profile *p, long *len)
{
	CMPD_AKEYPACKAGE *pkg = NULL;
	PKCS8_PRIV_KEY_INFO *p8;
	ASN1_OCTET_STRING **pos;
	CMS_ContentInfo *cms = NULL;
	ASN1_OBJECT *ct = NULL;
	unsigned char *der = NULL, *out = NULL;
	BIO *in = NULL;
	int n = 0, i, flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;

	if ((pkg = sk_PKCS8_PRIV_KEY_INFO_new_null()) == NULL ||
	    (p8 = EVP_PKEY2PKCS8(key)) == NULL)
		goto out;
	if (!sk_PKCS8_PRIV_KEY_INFO_push(pkg, p8)) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		goto out;
	}
	if ((n = i2d_CMPD_AKEYPACKAGE(pkg, &der)) <= 0 ||
	    (in = BIO_new_mem_buf(der, n)) == NULL ||
	    (ct = OBJ_txt2obj(CMP_OID_AKEYPACKAGE, 1)) == NULL ||
	    (cms = CMS_sign(NULL, NULL, NULL, NULL, flags)) == NULL ||
	    !CMS_set1_eContentType(cms, ct) ||
	    CMS_add1_signer(cms, p->sign_cert, p->sign_key, EVP_sha256(),
	    flags) == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(p->sign_chain); i++)
		if (!CMS_add1_cert(cms, sk_X509_value(p->sign_chain, i)))
			goto out;
	if (!CMS_final(cms, in, NULL, flags))
		goto out;
	out = ckg_cms_der(cms, len);
 out:
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)n);
	/* the package in clear, as the SignedData's eContent */
	if (cms != NULL && (pos = CMS_get0_content(cms)) != NULL &&
	    *pos != NULL)
		OPENSSL_cleanse((*pos)->data, (size_t)(*pos)->length);
	sk_PKCS8_PRIV_KEY_INFO_pop_free(pkg, PKCS8_PRIV_KEY_INFO_free);
	ASN1_OBJECT_free(ct);
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return out;
}

/*
 * The EnvelopedData of sd to the requester: its shared secret (secret,
 * n bytes), or its protection certificate. NULL on failure.
 */
static unsigned char *
ckg_enveloped(const unsigned char *sd, long sdlen,
    const unsigned char *secret, size_t n, X509 *rcpt, long *len)
{
	CMS_ContentInfo *cms = NULL;
	CMS_RecipientInfo *ri;
	EVP_PKEY_CTX *pctx;
	unsigned char *pass = NULL, *out = NULL;
	BIO *in = NULL;
	int flags = CMS_BINARY | CMS_PARTIAL | CMS_KEY_PARAM, base;

	/* the encrypted content inside (CMS_encrypt() does so too) */
	if ((in = BIO_new_mem_buf(sd, (int)sdlen)) == NULL ||
	    (cms = CMS_EnvelopedData_create(EVP_aes_256_cbc())) == NULL ||
	    !CMS_set_detached(cms, 0) ||
	    !CMS_set1_eContentType(cms, OBJ_nid2obj(NID_pkcs7_signed)))
		goto out;
	if (rcpt == NULL) {
		/* the password is set once the recipient is in: the CMS
		 * owns it (and wipes it) from then on */
		if ((ri = CMS_add0_recipient_password(cms, CKG_PWRI_ITER,
		    NID_id_alg_PWRI_KEK, NID_id_pbkdf2, NULL, 0,
		    EVP_aes_256_cbc())) == NULL ||
		    (pass = OPENSSL_memdup(secret, n)) == NULL)
			goto out;
		if (!CMS_RecipientInfo_set0_password(ri, pass,
		    (ossl_ssize_t)n)) {
			OPENSSL_clear_free(pass, n);
			goto out;
		}
	} else {
		if ((ri = CMS_add1_recipient_cert(cms, rcpt, flags)) == NULL ||
		    (pctx = CMS_RecipientInfo_get0_pkey_ctx(ri)) == NULL)
			goto out;
		base = EVP_PKEY_get_base_id(X509_get0_pubkey(rcpt));
		/* RFC 9481 4.2: RSAES-OAEP, SHA-256 and MGF1 with it */
		if (base == EVP_PKEY_RSA && (EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_OAEP_PADDING) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0))
			goto out;
		if (base == EVP_PKEY_EC &&
		    EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) <= 0)
			goto out;
	}
	if (!CMS_final(cms, in, NULL, flags))
		goto out;
	out = ckg_cms_der(cms, len);
 out:
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return out;
}

/*
 * What a key for req needs before it is made: the profile's signing key,
 * of a type libcrypto 3.0's CMS signs with (RSA, RSASSA-PSS or EC: it
 * makes no EdDSA SignedData, RFC 8419), and a requester it can be
 * encrypted to, its protection certificate (*rcpt) or the shared secret
 * (*rcpt NULL). CMPF_OK, or the failure with arg.
 */
static enum cmp_fail
ckg_ready(const CMPD_MSG *req, struct profile *p, X509 **rcpt, char *arg,
    size_t arglen)
{
	enum prot_method m;
	enum cmp_fail f;
	int base;

	*rcpt = NULL;
	if (!p->has_signing_cert)
		return CMPF_CKG_NO_SIGNER;
	if ((f = profile_signing_get(p)) != CMPF_OK)
		return f;
	if (p->sign_key == NULL || p->sign_cert == NULL)
		return CMPF_CKG_NO_SIGNER;
	base = EVP_PKEY_get_base_id(p->sign_key);
	if (base != EVP_PKEY_RSA && base != EVP_PKEY_RSA_PSS &&
	    base != EVP_PKEY_EC) {
		snprintf(arg, arglen, "%s", OBJ_nid2sn(base));
		return CMPF_CKG_SIGNER_KEY;
	}
	if (cmp_msg_prot_method(req->header, &m) != 0)
		return CMPF_INTERNAL;
	if (m != PROT_SIGNATURE)
		return p->has_secret ? CMPF_OK : CMPF_INTERNAL;
	if ((*rcpt = sk_X509_value(p->signer_chain, 0)) == NULL)
		return CMPF_INTERNAL;
	base = EVP_PKEY_get_base_id(X509_get0_pubkey(*rcpt));
	if (base != EVP_PKEY_RSA && base != EVP_PKEY_EC) {
		snprintf(arg, arglen, "%s", OBJ_nid2sn(base));
		return CMPF_CKG_RECIPIENT;
	}
	/* RFC 5280 4.2.1.3: a key restricted by keyUsage is used for nothing
	 * else; the key goes to an EC key by key agreement (ECDH), to an
	 * RSA key by key transport. libcrypto's CMS does not look. */
	if ((X509_get_extension_flags(*rcpt) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(*rcpt) & (base == EVP_PKEY_EC ?
	    KU_KEY_AGREEMENT : KU_KEY_ENCIPHERMENT))) {
		snprintf(arg, arglen, "%s", base == EVP_PKEY_EC ?
		    "keyAgreement" : "keyEncipherment");
		*rcpt = NULL;
		return CMPF_CKG_RECIPIENT_USAGE;
	}
	return CMPF_OK;
}

/*
 * The EncryptedKey of the answer for key, to rcpt or the profile's
 * shared secret (ckg_ready()): CMPF_OK with *out, or the failure.
 */
static enum cmp_fail
ckg_envelope(EVP_PKEY *key, struct profile *p, X509 *rcpt,
    CMPD_ENCRYPTEDKEY **out)
{
	unsigned char *sd = NULL, *env = NULL;
	const unsigned char *q;
	CMPD_ENCRYPTEDKEY *ek = NULL;
	enum cmp_fail f = CMPF_INTERNAL;
	long sdlen = 0, envlen = 0;

	*out = NULL;
	if ((sd = ckg_signed(key, p, &sdlen)) == NULL ||
	    (env = ckg_enveloped(sd, sdlen, p->secret, p->secret_len, rcpt,
	    &envlen)) == NULL || (ek = CMPD_ENCRYPTEDKEY_new()) == NULL)
		goto out;
	/* [0] IMPLICIT EnvelopedData: its fields, in the CHOICE's arm */
	q = env;
	ek->type = CMPD_ENCRYPTEDKEY_ENVELOPEDDATA;
	if ((ek->value.envelopedData = d2i_ASN1_SEQUENCE_ANY(NULL, &q,
	    envlen)) == NULL || q != env + envlen)
		goto out;
	*out = ek;
	ek = NULL;
	f = CMPF_OK;
 out:
	if (sd != NULL)
		OPENSSL_clear_free(sd, (size_t)sdlen);
	OPENSSL_free(env);
	CMPD_ENCRYPTEDKEY_free(ek);
	ERR_clear_error();
	return f;
}

/*
 * A key for crm (cmp_ckg_wanted()): *own, the CertReqMsg to ask the CA
 * with, and *ek, the private key for the answer. CMPF_OK, or the
 * failure with arg.
 */
enum cmp_fail
cmp_ckg_request(const OSSL_CRMF_MSG *crm, const CMPD_MSG *req,
    struct profile *p, OSSL_CRMF_MSG **own, CMPD_ENCRYPTEDKEY **ek,
    char *arg, size_t arglen)
{
	CMPD_CERTTEMPLATE *t = NULL;
	CMPD_SPKI *spki;
	EVP_PKEY *key = NULL;
	X509 *rcpt;
	enum cmp_fail f;
	int type, param;

	*own = NULL;
	*ek = NULL;
	/* the cheap refusals before a key is made */
	if ((f = ckg_ready(req, p, &rcpt, arg, arglen)) != CMPF_OK)
		return f;
	spki = ckg_template_spki(crm, &t);
	if (t == NULL) {
		f = CMPF_INTERNAL;
		goto out;
	}
	if (ckg_choose(spki, p, &type, &param, arg, arglen) != 0) {
		f = CMPF_CKG_KEY;
		goto out;
	}
	if (type == EVP_PKEY_RSA && param > 4096) {
		snprintf(arg, arglen, "RSA of %d bits", param);
		f = CMPF_CKG_KEY;
		goto out;
	}
	if (type == EVP_PKEY_RSA && p->ckg_rsa_keys++ > 0) {
		f = CMPF_CKG_RSA_MANY;
		goto out;
	}
	f = CMPF_INTERNAL;
	if ((key = ckg_generate(type, param)) == NULL ||
	    (*own = ckg_crm(crm, t, key)) == NULL)
		goto out;
	log_info("PN=%s: certReqId %d: a key made for the request (%s, %d "
	    "bits)", p->cmp_name, OSSL_CRMF_MSG_get_certReqId(crm),
	    EVP_PKEY_get0_type_name(key), EVP_PKEY_get_bits(key));
	if ((f = ckg_envelope(key, p, rcpt, ek)) != CMPF_OK) {
		OSSL_CRMF_MSG_free(*own);
		*own = NULL;
	}
 out:
	EVP_PKEY_free(key);
	CMPD_CERTTEMPLATE_free(t);
	ERR_clear_error();
	return f;
}
