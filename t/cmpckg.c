/*
 * cmpckg - test client for central key generation (RFC 9483 4.1.6), which
 * the client of OpenSSL 3.0 cannot ask for:
 *
 *   cmpckg request IN OUT none|EC|RSA|OID
 *       IN's first CertReqMsg (an ir, cr or kur written by `openssl cmp
 *       -reqout`) asks for a key: no POP, and no public key (none) or one
 *       of no bits of that algorithm (EC: on P-256); a kur's oldCertID
 *       stays, its other controls and regInfo go. Protect OUT again
 *       with `cmptool edit OUT OUT2 remac=...` or resign=.
 *   cmpckg key RSP OUT TRUSTED pass:SECRET | CERT KEY
 *       the first CertResponse's privateKey: the EnvelopedData decrypted
 *       with the shared secret or the protection certificate's key, the
 *       SignedData verified (its signer chaining to TRUSTED), its
 *       AsymmetricKeyPackage's key written to OUT (PEM). Prints pvno=,
 *       recipients= (their number), recipient= (the first: pwri, ktri,
 *       kari), signer=, contentType=, key= lines;
 *       exit 0 when all of it holds, 1 otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/cms.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cmpd.h"
#include "cmp_itav.h"

/* A CertReqMsg of a certReqId and a template only (no POP, no
 * regInfo), of cmpd's mirror types, for libcrypto to read back. */
typedef struct {
	ASN1_INTEGER *id;
	CMPD_CERTTEMPLATE *tmpl;
} TOOL_CERTREQ;
typedef struct {
	TOOL_CERTREQ *req;
} TOOL_CRM;
/* ContentInfo (RFC 5652 3) of a content given as DER */
typedef struct {
	ASN1_OBJECT *type;
	ASN1_TYPE *content;
} TOOL_CI;
DECLARE_ASN1_FUNCTIONS(TOOL_CERTREQ)
DECLARE_ASN1_FUNCTIONS(TOOL_CRM)
DECLARE_ASN1_FUNCTIONS(TOOL_CI)

ASN1_SEQUENCE(TOOL_CERTREQ) = {
	ASN1_SIMPLE(TOOL_CERTREQ, id, ASN1_INTEGER),
	ASN1_SIMPLE(TOOL_CERTREQ, tmpl, CMPD_CERTTEMPLATE)
} ASN1_SEQUENCE_END(TOOL_CERTREQ)
IMPLEMENT_ASN1_FUNCTIONS(TOOL_CERTREQ)
ASN1_SEQUENCE(TOOL_CRM) = {
	ASN1_SIMPLE(TOOL_CRM, req, TOOL_CERTREQ)
} ASN1_SEQUENCE_END(TOOL_CRM)
IMPLEMENT_ASN1_FUNCTIONS(TOOL_CRM)
ASN1_SEQUENCE(TOOL_CI) = {
	ASN1_SIMPLE(TOOL_CI, type, ASN1_OBJECT),
	ASN1_EXP(TOOL_CI, content, ASN1_ANY, 0)
} ASN1_SEQUENCE_END(TOOL_CI)
IMPLEMENT_ASN1_FUNCTIONS(TOOL_CI)

static void
die(const char *what)
{
	fprintf(stderr, "cmpckg: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(2);
}

static unsigned char *
slurp(const char *path, long *len)
{
	unsigned char *buf;
	FILE *f = fopen(path, "rb");

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (*len = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)*len)) == NULL ||
	    fread(buf, 1, (size_t)*len, f) != (size_t)*len)
		die(path);
	fclose(f);
	return buf;
}

static CMPD_MSG *
load(const char *path)
{
	CMPD_MSG *m = NULL;
	unsigned char *der;
	long len;

	der = slurp(path, &len);
	if (cmp_msg_decode(der, (size_t)len, &m, NULL) != 0)
		die("not a PKIMessage");
	free(der);
	return m;
}

static int
request(const char *in, const char *out, const char *alg)
{
	CMPD_MSG *m = load(in);
	STACK_OF(OSSL_CRMF_MSG) *reqs = m->body->value.ir;
	OSSL_CRMF_MSG *old = sk_OSSL_CRMF_MSG_value(reqs, 0), *crm;
	TOOL_CRM *t = TOOL_CRM_new();
	unsigned char *der = NULL;
	const unsigned char *q;
	CMPD_SPKI *k;
	size_t len;
	FILE *f;
	int n;

	if (old == NULL || t == NULL)
		die("no CertReqMsg");
	n = i2d_OSSL_CRMF_CERTTEMPLATE(OSSL_CRMF_MSG_get0_tmpl(old), &der);
	q = der;
	CMPD_CERTTEMPLATE_free(t->req->tmpl);
	if ((t->req->tmpl = d2i_CMPD_CERTTEMPLATE(NULL, &q, n)) == NULL)
		die("no template");
	OPENSSL_free(der);
	der = NULL;
	ASN1_INTEGER_set(t->req->id, OSSL_CRMF_MSG_get_certReqId(old));
	CMPD_SPKI_free(t->req->tmpl->publicKey);
	t->req->tmpl->publicKey = NULL;
	if (strcmp(alg, "none") != 0) {
		k = CMPD_SPKI_new();
		if (strcmp(alg, "EC") == 0)
			X509_ALGOR_set0(k->algorithm,
			    OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
			    V_ASN1_OBJECT, OBJ_nid2obj(NID_X9_62_prime256v1));
		else if (strcmp(alg, "RSA") == 0)
			X509_ALGOR_set0(k->algorithm,
			    OBJ_nid2obj(NID_rsaEncryption), V_ASN1_NULL, NULL);
		else
			X509_ALGOR_set0(k->algorithm, OBJ_txt2obj(alg, 0),
			    V_ASN1_UNDEF, NULL);
		t->req->tmpl->publicKey = k;
	}
	n = i2d_TOOL_CRM(t, &der);
	q = der;
	if (n <= 0 || (crm = d2i_OSSL_CRMF_MSG(NULL, &q, n)) == NULL)
		die("the request does not encode");
	/* a kur's certificate to update (RFC 4211 6.5), as it was named */
	if (OSSL_CRMF_MSG_get0_regCtrl_oldCertID(old) != NULL &&
	    !OSSL_CRMF_MSG_set1_regCtrl_oldCertID(crm,
	    OSSL_CRMF_MSG_get0_regCtrl_oldCertID(old)))
		die("oldCertID");
	sk_OSSL_CRMF_MSG_set(reqs, 0, crm);	/* returns crm */
	OSSL_CRMF_MSG_free(old);
	OPENSSL_free(der);
	der = NULL;
	TOOL_CRM_free(t);
	if (cmp_msg_encode(m, &der, &len) != 0 || (f = fopen(out, "wb")) == NULL ||
	    fwrite(der, 1, len, f) != len || fclose(f) != 0)
		die(out);
	OPENSSL_free(der);
	CMPD_MSG_free(m);
	return 0;
}

/* A CMS structure from its type and its content's DER. */
static CMS_ContentInfo *
cms_of(int nid, const unsigned char *der, int len)
{
	TOOL_CI *ci = TOOL_CI_new();
	unsigned char *enc = NULL;
	const unsigned char *q;
	CMS_ContentInfo *cms;
	int n;

	ASN1_OBJECT_free(ci->type);
	ci->type = OBJ_nid2obj(nid);
	ASN1_TYPE_free(ci->content);
	if ((ci->content = cmp_itav_seq_value(der, len)) == NULL ||
	    (n = i2d_TOOL_CI(ci, &enc)) <= 0)
		die("ContentInfo");
	q = enc;
	cms = d2i_CMS_ContentInfo(NULL, &q, n);
	OPENSSL_free(enc);
	TOOL_CI_free(ci);
	return cms;
}

static int
key(int argc, char **argv)
{
	const char *rsp = argv[0], *out = argv[1], *trusted = argv[2];
	CMPD_MSG *m = load(rsp);
	const CMPD_CERTRESPONSE *cr;
	const CMPD_ENCRYPTEDKEY *ek;
	CMS_ContentInfo *env, *sd;
	STACK_OF(CMS_RecipientInfo) *ris;
	STACK_OF(X509) *signers;
	X509_STORE *store = X509_STORE_new();
	X509 *cert = NULL, *rcert = NULL;
	EVP_PKEY *pkey = NULL, *got;
	BIO *b, *plain = BIO_new(BIO_s_mem()), *content = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	const unsigned char *q;
	char buf[256];
	BUF_MEM *bm;
	CMPD_AKEYPACKAGE *akp;
	FILE *f;
	int n, type;
	static const char *const ri_names[] = { "ktri", "kari", "kekri",
	    "pwri", "ori" };

	printf("pvno=%ld\n", ASN1_INTEGER_get(m->header->pvno));
	if ((cr = sk_CMPD_CERTRESPONSE_value(m->body->value.ip->response,
	    0)) == NULL || cr->certifiedKeyPair == NULL ||
	    (ek = cr->certifiedKeyPair->privateKey) == NULL ||
	    ek->type != CMPD_ENCRYPTEDKEY_ENVELOPEDDATA) {
		printf("privateKey=absent\n");
		return 1;
	}
	if ((n = i2d_ASN1_SEQUENCE_ANY(ek->value.envelopedData, &der)) <= 0 ||
	    (env = cms_of(NID_pkcs7_enveloped, der, n)) == NULL)
		die("EnvelopedData");
	OPENSSL_free(der);
	der = NULL;
	ris = CMS_get0_RecipientInfos(env);
	printf("recipients=%d\n", sk_CMS_RecipientInfo_num(ris));
	type = CMS_RecipientInfo_type(sk_CMS_RecipientInfo_value(ris, 0));
	printf("recipient=%s\n", type >= 0 && type < 5 ? ri_names[type] : "?");
	if (argc == 4 && strncmp(argv[3], "pass:", 5) == 0) {
		if (!CMS_decrypt_set1_password(env,
		    (unsigned char *)argv[3] + 5, (ossl_ssize_t)strlen(argv[3] + 5)) ||
		    !CMS_decrypt(env, NULL, NULL, NULL, plain, CMS_BINARY)) {
			printf("decrypted=no\n");
			ERR_print_errors_fp(stderr);
			return 1;
		}
	} else if (argc == 5) {
		if ((b = BIO_new_file(argv[3], "r")) == NULL ||
		    (rcert = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
			die(argv[3]);
		BIO_free(b);
		if ((b = BIO_new_file(argv[4], "r")) == NULL ||
		    (pkey = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL)
			die(argv[4]);
		BIO_free(b);
		if (!CMS_decrypt(env, pkey, rcert, NULL, plain, CMS_BINARY)) {
			printf("decrypted=no\n");
			ERR_print_errors_fp(stderr);
			return 1;
		}
	} else
		die("pass:SECRET or CERT KEY");
	printf("decrypted=yes\n");
	printf("envelopedContentType=%s\n",
	    OBJ_nid2sn(OBJ_obj2nid(CMS_get0_eContentType(env))));
	BIO_get_mem_ptr(plain, &bm);
	if ((sd = cms_of(NID_pkcs7_signed, (unsigned char *)bm->data,
	    (int)bm->length)) == NULL)
		die("SignedData");
	if ((b = BIO_new_file(trusted, "r")) == NULL)
		die(trusted);
	while ((cert = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(store, cert);
		X509_free(cert);
	}
	ERR_clear_error();
	BIO_free(b);
	X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
	if (!CMS_verify(sd, NULL, store, NULL, content, CMS_BINARY)) {
		printf("verified=no\n");
		ERR_print_errors_fp(stderr);
		return 1;
	}
	printf("verified=yes\n");
	signers = CMS_get0_signers(sd);
	X509_NAME_oneline(X509_get_subject_name(sk_X509_value(signers, 0)),
	    buf, sizeof(buf));
	printf("signer=%s\n", buf);
	sk_X509_free(signers);
	OBJ_obj2txt(buf, sizeof(buf), CMS_get0_eContentType(sd), 1);
	printf("contentType=%s\n", buf);
	BIO_get_mem_ptr(content, &bm);
	q = (unsigned char *)bm->data;
	if ((akp = d2i_CMPD_AKEYPACKAGE(NULL, &q, (long)bm->length)) == NULL ||
	    sk_PKCS8_PRIV_KEY_INFO_num(akp) != 1 ||
	    (got = EVP_PKCS82PKEY(sk_PKCS8_PRIV_KEY_INFO_value(akp, 0))) ==
	    NULL)
		die("AsymmetricKeyPackage");
	printf("key=%s %d\n", EVP_PKEY_get0_type_name(got), EVP_PKEY_get_bits(got));
	if ((f = fopen(out, "w")) == NULL ||
	    !PEM_write_PrivateKey(f, got, NULL, NULL, 0, NULL, NULL) ||
	    fclose(f) != 0)
		die(out);
	sk_PKCS8_PRIV_KEY_INFO_pop_free(akp, PKCS8_PRIV_KEY_INFO_free);
	EVP_PKEY_free(got);
	EVP_PKEY_free(pkey);
	X509_free(rcert);
	X509_STORE_free(store);
	CMS_ContentInfo_free(sd);
	CMS_ContentInfo_free(env);
	BIO_free(plain);
	BIO_free(content);
	CMPD_MSG_free(m);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 5 && strcmp(argv[1], "request") == 0)
		return request(argv[2], argv[3], argv[4]);
	if ((argc == 6 || argc == 7) && strcmp(argv[1], "key") == 0)
		return key(argc - 2, argv + 2);
	fprintf(stderr, "usage: cmpckg request IN OUT none|EC|RSA|OID | "
	    "key RSP OUT TRUSTED pass:SECRET|CERT KEY\n");
	return 2;
}
