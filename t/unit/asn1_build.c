/*
 * Builds, for the ASN.1 unit test (test_asn1.c), a message of every
 * PKIBody type 0..26 (RFC 9810 5.1.2) in memory with fixed contents: the
 * credentials they carry (an EC key, a certificate, a CRL, a PKCS#10
 * request, an EnvelopedData) are made once by build_setup(); and small
 * DER helpers for hand-made encodings.
 */

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cmp.h>
#include <openssl/cms.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmp_asn1.h"
#include "asn1_build.h"

#define FIXED_TIME	((time_t)1700000000)	/* 2023-11-14, reproducible */

static EVP_PKEY		*key;
static X509		*cert;
static X509_CRL		*crl;
static X509_REQ		*req;
static X509_NAME	*ca_name;
static unsigned char	*envdata_der;		/* plain EnvelopedData DER */
static int		 envdata_len;

/* ---- small DER helpers for hand-made encodings ---- */

int
dbuf_add(struct dbuf *b, const void *data, size_t len)
{
	unsigned char *np;

	if ((np = realloc(b->p, b->len + len + 1)) == NULL)
		return -1;
	b->p = np;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

/* Appends tag, DER length, then content. */
int
dbuf_tlv(struct dbuf *b, unsigned char tag, const void *data, size_t len)
{
	unsigned char hdr[8];
	size_t n = 0, i, l;
	int bytes = 0;

	hdr[n++] = tag;
	if (len < 0x80)
		hdr[n++] = (unsigned char)len;
	else {
		for (l = len; l > 0; l >>= 8)
			bytes++;
		hdr[n++] = 0x80 | bytes;
		for (i = bytes; i > 0; i--)
			hdr[n++] = (len >> (8 * (i - 1))) & 0xff;
	}
	if (dbuf_add(b, hdr, n) != 0)
		return -1;
	return dbuf_add(b, data, len);
}

/* Length of a DER tag-and-length header for content of len bytes. */
int
dbuf_hdrlen(size_t len)
{
	int n = 2;

	if (len >= 0x80)
		for (; len > 0; len >>= 8)
			n++;
	return n;
}

/* ---- test credentials ---- */

static X509_NAME *
make_name(const char *cn)
{
	X509_NAME *n;

	if ((n = X509_NAME_new()) == NULL)
		return NULL;
	if (!X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

static GENERAL_NAME *
make_dirname(const char *cn)
{
	GENERAL_NAME *gn;
	X509_NAME *n;

	if ((n = make_name(cn)) == NULL)
		return NULL;
	if ((gn = GENERAL_NAME_new()) == NULL) {
		X509_NAME_free(n);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, n);
	return gn;
}

/* EnvelopedData for the test cert, via a CMS ContentInfo. */
static int
make_envdata(void)
{
	STACK_OF(X509) *rcpts = NULL;
	CMS_ContentInfo *ci = NULL;
	ASN1_SEQUENCE_ANY *outer = NULL;
	ASN1_TYPE *content;
	BIO *in = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	long len;
	int derlen, tag, cls, r = -1;

	if ((rcpts = sk_X509_new_null()) == NULL ||
	    !sk_X509_push(rcpts, cert) ||
	    (in = BIO_new_mem_buf("private key", -1)) == NULL ||
	    (ci = CMS_encrypt(rcpts, in, EVP_aes_128_cbc(),
	    CMS_BINARY)) == NULL ||
	    (derlen = i2d_CMS_ContentInfo(ci, &der)) <= 0)
		goto out;
	/* ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content } */
	p = der;
	if ((outer = d2i_ASN1_SEQUENCE_ANY(NULL, &p, derlen)) == NULL ||
	    sk_ASN1_TYPE_num(outer) != 2)
		goto out;
	content = sk_ASN1_TYPE_value(outer, 1);
	if (content->type != V_ASN1_OTHER)
		goto out;
	p = content->value.asn1_string->data;
	if (ASN1_get_object(&p, &len, &tag, &cls,
	    content->value.asn1_string->length) & 0x80)
		goto out;
	if ((envdata_der = OPENSSL_memdup(p, len)) == NULL)
		goto out;
	envdata_len = (int)len;
	r = 0;
 out:
	OPENSSL_free(der);
	sk_ASN1_TYPE_pop_free(outer, ASN1_TYPE_free);
	CMS_ContentInfo_free(ci);
	BIO_free(in);
	sk_X509_free(rcpts);
	return r;
}

int
build_setup(void)
{
	X509_NAME *subj = NULL;
	X509_REVOKED *rev = NULL;
	ASN1_TIME *t = NULL;
	int r = -1;

	if ((key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (ca_name = make_name("cmpd test CA")) == NULL ||
	    (subj = make_name("cmpd test EE")) == NULL)
		goto out;

	if ((cert = X509_new()) == NULL ||
	    !X509_set_version(cert, 2) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242) ||
	    !X509_set_issuer_name(cert, ca_name) ||
	    !X509_set_subject_name(cert, subj) ||
	    X509_time_adj_ex(X509_getm_notBefore(cert), 0, 0,
	    &(time_t){FIXED_TIME}) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), 365, 0,
	    &(time_t){FIXED_TIME}) == NULL ||
	    !X509_set_pubkey(cert, key) ||
	    !X509_sign(cert, key, EVP_sha256()))
		goto out;

	if ((t = ASN1_TIME_set(NULL, FIXED_TIME)) == NULL ||
	    (crl = X509_CRL_new()) == NULL ||
	    !X509_CRL_set_version(crl, 1) ||
	    !X509_CRL_set_issuer_name(crl, ca_name) ||
	    !X509_CRL_set1_lastUpdate(crl, t) ||
	    (rev = X509_REVOKED_new()) == NULL ||
	    !X509_REVOKED_set_serialNumber(rev, X509_get_serialNumber(cert)) ||
	    !X509_REVOKED_set_revocationDate(rev, t) ||
	    !X509_CRL_add0_revoked(crl, rev))
		goto out;
	rev = NULL;
	if (!X509_CRL_sort(crl) || !X509_CRL_sign(crl, key, EVP_sha256()))
		goto out;

	if ((req = X509_REQ_new()) == NULL ||
	    !X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, subj) ||
	    !X509_REQ_set_pubkey(req, key) ||
	    !X509_REQ_sign(req, key, EVP_sha256()))
		goto out;

	if (make_envdata() != 0)
		goto out;
	r = 0;
 out:
	X509_REVOKED_free(rev);
	ASN1_TIME_free(t);
	X509_NAME_free(subj);
	return r;
}

void
build_teardown(void)
{
	OPENSSL_free(envdata_der);
	X509_NAME_free(ca_name);
	X509_REQ_free(req);
	X509_CRL_free(crl);
	X509_free(cert);
	EVP_PKEY_free(key);
}

/* ---- building blocks ---- */

static ASN1_OCTET_STRING *
octets(unsigned char fill, int len)
{
	ASN1_OCTET_STRING *os;
	unsigned char buf[64];

	if (len > (int)sizeof(buf))
		return NULL;
	memset(buf, fill, len);
	if ((os = ASN1_OCTET_STRING_new()) == NULL)
		return NULL;
	if (!ASN1_OCTET_STRING_set(os, buf, len)) {
		ASN1_OCTET_STRING_free(os);
		return NULL;
	}
	return os;
}

static STACK_OF(ASN1_UTF8STRING) *
freetext(const char *s)
{
	STACK_OF(ASN1_UTF8STRING) *sk;
	ASN1_UTF8STRING *u;

	if ((sk = sk_ASN1_UTF8STRING_new_null()) == NULL)
		return NULL;
	if ((u = ASN1_UTF8STRING_new()) == NULL ||
	    !ASN1_STRING_set(u, s, -1) ||
	    !sk_ASN1_UTF8STRING_push(sk, u)) {
		ASN1_UTF8STRING_free(u);
		sk_ASN1_UTF8STRING_free(sk);
		return NULL;
	}
	return sk;
}

static X509 *
cert_ref(void)
{
	X509_up_ref(cert);
	return cert;
}

static STACK_OF(X509) *
cert_stack(void)
{
	STACK_OF(X509) *sk;

	if ((sk = sk_X509_new_null()) == NULL)
		return NULL;
	if (!sk_X509_push(sk, cert_ref())) {
		X509_free(cert);
		sk_X509_free(sk);
		return NULL;
	}
	return sk;
}

X509_ALGOR *
build_algor_md(const EVP_MD *md)
{
	X509_ALGOR *a;

	if ((a = X509_ALGOR_new()) != NULL)
		X509_ALGOR_set_md(a, md);
	return a;
}

static CMPD_PKISI *
make_pkisi(int status, int failbit, const char *text)
{
	CMPD_PKISI *si;

	if ((si = CMPD_PKISI_new()) == NULL)
		return NULL;
	if (!ASN1_INTEGER_set(si->status, status))
		goto err;
	if (failbit >= 0) {
		if ((si->failInfo = ASN1_BIT_STRING_new()) == NULL ||
		    !ASN1_BIT_STRING_set_bit(si->failInfo, failbit, 1))
			goto err;
	}
	if (text != NULL && (si->statusString = freetext(text)) == NULL)
		goto err;
	return si;
 err:
	CMPD_PKISI_free(si);
	return NULL;
}

static ASN1_SEQUENCE_ANY *
make_envdata_any(void)
{
	const unsigned char *p = envdata_der;

	return d2i_ASN1_SEQUENCE_ANY(NULL, &p, envdata_len);
}

/* EncryptedValue has no public setters: decode a hand-made one. */
static OSSL_CRMF_ENCRYPTEDVALUE *
make_encvalue(void)
{
	static const unsigned char aes128cbc[] = {
		0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02
	};
	static const unsigned char key_bits[] = { 0x00, 0xde, 0xad, 0xbe, 0xef };
	static const unsigned char val_bits[] = { 0x00, 0xca, 0xfe, 0xba, 0xbe };
	struct dbuf alg = { NULL, 0 }, body = { NULL, 0 }, all = { NULL, 0 };
	OSSL_CRMF_ENCRYPTEDVALUE *ev = NULL;
	unsigned char iv[16];
	const unsigned char *p;

	memset(iv, 0x11, sizeof(iv));
	if (dbuf_add(&alg, aes128cbc, sizeof(aes128cbc)) != 0 ||
	    dbuf_tlv(&alg, 0x04, iv, sizeof(iv)) != 0 ||
	    dbuf_tlv(&body, 0xa1, alg.p, alg.len) != 0 ||	/* symmAlg */
	    dbuf_tlv(&body, 0x82, key_bits, sizeof(key_bits)) != 0 ||
	    dbuf_tlv(&body, 0x03, val_bits, sizeof(val_bits)) != 0 ||
	    dbuf_tlv(&all, 0x30, body.p, body.len) != 0)
		goto out;
	p = all.p;
	ev = d2i_OSSL_CRMF_ENCRYPTEDVALUE(NULL, &p, (long)all.len);
 out:
	free(alg.p);
	free(body.p);
	free(all.p);
	return ev;
}

static CMPD_ENCRYPTEDKEY *
make_enckey(int type)
{
	CMPD_ENCRYPTEDKEY *ek;

	if ((ek = CMPD_ENCRYPTEDKEY_new()) == NULL)
		return NULL;
	ek->type = type;
	if (type == CMPD_ENCRYPTEDKEY_ENVELOPEDDATA) {
		if ((ek->value.envelopedData = make_envdata_any()) == NULL)
			goto err;
	} else {
		if ((ek->value.encryptedValue = make_encvalue()) == NULL)
			goto err;
	}
	return ek;
 err:
	ek->type = -1;
	CMPD_ENCRYPTEDKEY_free(ek);
	return NULL;
}

static OSSL_CRMF_MSGS *
make_crmf(void)
{
	OSSL_CRMF_MSGS *msgs = NULL;
	OSSL_CRMF_MSG *crm = NULL;
	X509_NAME *subj = NULL;

	if ((msgs = sk_OSSL_CRMF_MSG_new_null()) == NULL ||
	    (crm = OSSL_CRMF_MSG_new()) == NULL ||
	    (subj = make_name("cmpd test EE")) == NULL ||
	    !OSSL_CRMF_MSG_set_certReqId(crm, 0) ||
	    !OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm), key,
	    subj, NULL, NULL) ||
	    !OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_SIGNATURE, crm, key,
	    EVP_sha256(), NULL, NULL) ||
	    !sk_OSSL_CRMF_MSG_push(msgs, crm))
		goto err;
	X509_NAME_free(subj);
	return msgs;
 err:
	X509_NAME_free(subj);
	OSSL_CRMF_MSG_free(crm);
	sk_OSSL_CRMF_MSG_free(msgs);
	return NULL;
}

CMPD_CERTIFIEDKEYPAIR *
build_ckp(int encrypted, int with_key)
{
	CMPD_CERTIFIEDKEYPAIR *ckp;
	CMPD_CERTORENCCERT *coe;

	if ((ckp = CMPD_CERTIFIEDKEYPAIR_new()) == NULL)
		return NULL;
	coe = ckp->certOrEncCert;
	if (encrypted) {
		coe->type = CMPD_CERTORENCCERT_ENCRYPTEDCERT;
		coe->value.encryptedCert =
		    make_enckey(CMPD_ENCRYPTEDKEY_ENVELOPEDDATA);
		if (coe->value.encryptedCert == NULL)
			goto err;
	} else {
		coe->type = CMPD_CERTORENCCERT_CERTIFICATE;
		coe->value.certificate = cert_ref();
	}
	if (with_key) {
		/* RFC 9810 5.3.4: envelopedData; the legacy form otherwise */
		ckp->privateKey = make_enckey(encrypted ?
		    CMPD_ENCRYPTEDKEY_ENVELOPEDDATA :
		    CMPD_ENCRYPTEDKEY_ENCRYPTEDVALUE);
		if (ckp->privateKey == NULL)
			goto err;
		if ((ckp->publicationInfo =
		    OSSL_CRMF_PKIPUBLICATIONINFO_new()) == NULL ||
		    !OSSL_CRMF_MSG_set_PKIPublicationInfo_action(
		    ckp->publicationInfo, OSSL_CRMF_PUB_ACTION_DONTPUBLISH))
			goto err;
	}
	return ckp;
 err:
	CMPD_CERTIFIEDKEYPAIR_free(ckp);
	return NULL;
}

static CMPD_CERTREPMSG *
make_certrep(int variant)
{
	CMPD_CERTREPMSG *rep = NULL;
	CMPD_CERTRESPONSE *resp = NULL;

	if ((rep = CMPD_CERTREPMSG_new()) == NULL ||
	    (resp = CMPD_CERTRESPONSE_new()) == NULL ||
	    !ASN1_INTEGER_set(resp->certReqId, 0))
		goto err;
	CMPD_PKISI_free(resp->status);
	switch (variant) {
	case 0:		/* plain certificate, caPubs */
		resp->status = make_pkisi(CMPD_PKISTATUS_ACCEPTED, -1, NULL);
		resp->certifiedKeyPair = build_ckp(0, 0);
		rep->caPubs = cert_stack();
		if (rep->caPubs == NULL)
			goto err;
		break;
	case 1:		/* encrypted cert and key (RFC 9810 5.3.4) */
		resp->status = make_pkisi(CMPD_PKISTATUS_ACCEPTED, -1, NULL);
		resp->certifiedKeyPair = build_ckp(1, 1);
		break;
	case 2:		/* legacy EncryptedValue key, rspInfo */
		resp->status = make_pkisi(CMPD_PKISTATUS_GRANTEDWITHMODS, -1,
		    "modified");
		resp->certifiedKeyPair = build_ckp(0, 1);
		if ((resp->rspInfo = octets(0x42, 4)) == NULL)
			goto err;
		break;
	default:	/* rejection */
		resp->status = make_pkisi(CMPD_PKISTATUS_REJECTION,
		    CMPD_FAIL_BADCERTTEMPLATE, "no");
		break;
	}
	if (resp->status == NULL ||
	    (variant <= 2 && resp->certifiedKeyPair == NULL) ||
	    !sk_CMPD_CERTRESPONSE_push(rep->response, resp))
		goto err;
	return rep;
 err:
	CMPD_CERTRESPONSE_free(resp);
	CMPD_CERTREPMSG_free(rep);
	return NULL;
}

static X509_EXTENSIONS *
make_reason_ext(void)
{
	X509_EXTENSIONS *exts = NULL;
	ASN1_ENUMERATED *e;

	if ((e = ASN1_ENUMERATED_new()) == NULL)
		return NULL;
	if (!ASN1_ENUMERATED_set(e, 1) ||	/* keyCompromise */
	    X509V3_add1_i2d(&exts, NID_crl_reason, e, 0,
	    X509V3_ADD_DEFAULT) != 1) {
		sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
		exts = NULL;
	}
	ASN1_ENUMERATED_free(e);
	return exts;
}

static OSSL_CRMF_CERTID *
make_certid(void)
{
	return OSSL_CRMF_CERTID_gen(ca_name, X509_get0_serialNumber(cert));
}

static CMPD_ITAV *
make_itav(int nid, int with_value)
{
	/* SEQUENCE OF AlgorithmIdentifier { ecdsa-with-SHA256 } */
	static const unsigned char algs[] = {
		0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
		0x3d, 0x04, 0x03, 0x02
	};
	CMPD_ITAV *itav;
	ASN1_STRING *s = NULL;

	if ((itav = CMPD_ITAV_new()) == NULL)
		return NULL;
	ASN1_OBJECT_free(itav->infoType);
	itav->infoType = OBJ_nid2obj(nid);
	if (with_value) {
		if ((itav->infoValue = ASN1_TYPE_new()) == NULL ||
		    (s = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL ||
		    !ASN1_STRING_set(s, algs, sizeof(algs))) {
			ASN1_STRING_free(s);
			CMPD_ITAV_free(itav);
			return NULL;
		}
		ASN1_TYPE_set(itav->infoValue, V_ASN1_SEQUENCE, s);
	}
	return itav;
}

CMPD_HEADER *
build_header(void)
{
	CMPD_HEADER *h;
	CMPD_ITAV *itav = NULL;

	if ((h = CMPD_HEADER_new()) == NULL)
		return NULL;
	GENERAL_NAME_free(h->sender);
	GENERAL_NAME_free(h->recipient);
	h->sender = make_dirname("cmpd test client");
	h->recipient = make_dirname("cmpd test CA");
	if (!ASN1_INTEGER_set(h->pvno, CMPD_PVNO_CMP2000) ||
	    h->sender == NULL || h->recipient == NULL ||
	    (h->messageTime = ASN1_GENERALIZEDTIME_set(NULL,
	    FIXED_TIME)) == NULL ||
	    (h->protectionAlg = X509_ALGOR_new()) == NULL ||
	    !X509_ALGOR_set0(h->protectionAlg,
	    OBJ_nid2obj(NID_ecdsa_with_SHA256), V_ASN1_UNDEF, NULL) ||
	    (h->senderKID = octets('k', 8)) == NULL ||
	    (h->transactionID = octets(0xa5, 16)) == NULL ||
	    (h->senderNonce = octets(0x5a, 16)) == NULL ||
	    (h->recipNonce = octets(0x3c, 16)) == NULL ||
	    (h->freeText = freetext("hello")) == NULL ||
	    (h->generalInfo = sk_CMPD_ITAV_new_null()) == NULL ||
	    (itav = make_itav(NID_id_it_implicitConfirm, 0)) == NULL ||
	    !sk_CMPD_ITAV_push(h->generalInfo, itav)) {
		CMPD_ITAV_free(itav);
		CMPD_HEADER_free(h);
		return NULL;
	}
	return h;
}

/* Fills body->value for the given type; returns 0 on success. */
static int
fill_body(CMPD_BODY *b, int type)
{
	CMPD_CHALLENGE *ch = NULL;
	CMPD_REVDETAILS *rd = NULL;
	CMPD_CERTSTATUS *cs = NULL;
	CMPD_POLLREQ *preq = NULL;
	CMPD_POLLREP *prep = NULL;
	CMPD_ITAV *itav = NULL;
	CMPD_MSG *inner = NULL;
	CMPD_CERTIFIEDKEYPAIR *ckp = NULL;
	OSSL_CRMF_CERTID *cid = NULL;
	CMPD_PKISI *si = NULL;
	ASN1_INTEGER *ai = NULL;
	int ok = 0;

	b->type = type;
	switch (type) {
	case CMPD_BODY_IR:
	case CMPD_BODY_CR:
	case CMPD_BODY_KUR:
	case CMPD_BODY_KRR:
	case CMPD_BODY_CCR:
		/* all five share the member type; ir stands for each */
		ok = (b->value.ir = make_crmf()) != NULL;
		break;
	case CMPD_BODY_IP:
	case CMPD_BODY_CP:
	case CMPD_BODY_KUP:
	case CMPD_BODY_CCP:
		ok = (b->value.ip = make_certrep(type == CMPD_BODY_IP ? 0 :
		    type == CMPD_BODY_CP ? 1 : type == CMPD_BODY_KUP ?
		    2 : 3)) != NULL;
		break;
	case CMPD_BODY_P10CR:
		ok = (b->value.p10cr = X509_REQ_dup(req)) != NULL;
		break;
	case CMPD_BODY_POPDECC:
		if ((b->value.popdecc = sk_CMPD_CHALLENGE_new_null()) == NULL ||
		    (ch = CMPD_CHALLENGE_new()) == NULL ||
		    (ch->owf = build_algor_md(EVP_sha256())) == NULL ||
		    !ASN1_OCTET_STRING_set(ch->witness,
		    (const unsigned char *)"witness-witness-witness-witness!",
		    32) ||
		    !ASN1_OCTET_STRING_set(ch->challenge,
		    (const unsigned char *)"challenge", 9) ||
		    (ch->encryptedRand = make_envdata_any()) == NULL ||
		    !sk_CMPD_CHALLENGE_push(b->value.popdecc, ch))
			break;
		ch = NULL;
		ok = 1;
		break;
	case CMPD_BODY_POPDECR:
		if ((b->value.popdecr = sk_ASN1_INTEGER_new_null()) == NULL ||
		    (ai = ASN1_INTEGER_new()) == NULL ||
		    !ASN1_INTEGER_set(ai, 12345) ||
		    !sk_ASN1_INTEGER_push(b->value.popdecr, ai))
			break;
		ai = NULL;
		ok = 1;
		break;
	case CMPD_BODY_KRP:
		if ((b->value.krp = CMPD_KEYRECREP_new()) == NULL)
			break;
		CMPD_PKISI_free(b->value.krp->status);
		if ((b->value.krp->status = make_pkisi(CMPD_PKISTATUS_ACCEPTED,
		    -1, NULL)) == NULL ||
		    (b->value.krp->caCerts = cert_stack()) == NULL ||
		    (b->value.krp->keyPairHist =
		    sk_CMPD_CERTIFIEDKEYPAIR_new_null()) == NULL ||
		    (ckp = build_ckp(0, 1)) == NULL ||
		    !sk_CMPD_CERTIFIEDKEYPAIR_push(b->value.krp->keyPairHist,
		    ckp))
			break;
		ckp = NULL;
		b->value.krp->newSigCert = cert_ref();
		ok = 1;
		break;
	case CMPD_BODY_RR:
		if ((b->value.rr = sk_CMPD_REVDETAILS_new_null()) == NULL ||
		    (rd = CMPD_REVDETAILS_new()) == NULL ||
		    !OSSL_CRMF_CERTTEMPLATE_fill(rd->certDetails, NULL, NULL,
		    ca_name, X509_get0_serialNumber(cert)) ||
		    (rd->crlEntryDetails = make_reason_ext()) == NULL ||
		    !sk_CMPD_REVDETAILS_push(b->value.rr, rd))
			break;
		rd = NULL;
		ok = 1;
		break;
	case CMPD_BODY_RP:
		if ((b->value.rp = CMPD_REVREPCONTENT_new()) == NULL ||
		    (si = make_pkisi(CMPD_PKISTATUS_ACCEPTED, -1,
		    NULL)) == NULL ||
		    !sk_CMPD_PKISI_push(b->value.rp->status, si))
			break;
		si = NULL;
		if ((b->value.rp->revCerts =
		    sk_OSSL_CRMF_CERTID_new_null()) == NULL ||
		    (cid = make_certid()) == NULL ||
		    !sk_OSSL_CRMF_CERTID_push(b->value.rp->revCerts, cid))
			break;
		cid = NULL;
		if ((b->value.rp->crls = sk_X509_CRL_new_null()) == NULL ||
		    !sk_X509_CRL_push(b->value.rp->crls, crl))
			break;
		X509_CRL_up_ref(crl);
		ok = 1;
		break;
	case CMPD_BODY_CKUANN:
		if ((b->value.ckuann = CMPD_CAKEYUPDANN_new()) == NULL)
			break;
		X509_free(b->value.ckuann->oldWithNew);
		X509_free(b->value.ckuann->newWithOld);
		X509_free(b->value.ckuann->newWithNew);
		b->value.ckuann->oldWithNew = cert_ref();
		b->value.ckuann->newWithOld = cert_ref();
		b->value.ckuann->newWithNew = cert_ref();
		ok = 1;
		break;
	case CMPD_BODY_CANN:
		b->value.cann = cert_ref();
		ok = 1;
		break;
	case CMPD_BODY_RANN:
		if ((b->value.rann = CMPD_REVANN_new()) == NULL)
			break;
		OSSL_CRMF_CERTID_free(b->value.rann->certId);
		if ((b->value.rann->certId = make_certid()) == NULL ||
		    !ASN1_INTEGER_set(b->value.rann->status,
		    CMPD_PKISTATUS_REVOCATIONWARNING) ||
		    !ASN1_GENERALIZEDTIME_set(b->value.rann->willBeRevokedAt,
		    FIXED_TIME + 86400) ||
		    !ASN1_GENERALIZEDTIME_set(b->value.rann->badSinceDate,
		    FIXED_TIME) ||
		    (b->value.rann->crlDetails = make_reason_ext()) == NULL)
			break;
		ok = 1;
		break;
	case CMPD_BODY_CRLANN:
		if ((b->value.crlann = sk_X509_CRL_new_null()) == NULL ||
		    !sk_X509_CRL_push(b->value.crlann, crl))
			break;
		X509_CRL_up_ref(crl);
		ok = 1;
		break;
	case CMPD_BODY_PKICONF:
		ok = (b->value.pkiconf = ASN1_NULL_new()) != NULL;
		break;
	case CMPD_BODY_NESTED:
		if ((b->value.nested = sk_CMPD_MSG_new_null()) == NULL ||
		    (inner = build_msg(CMPD_BODY_IR)) == NULL ||
		    !sk_CMPD_MSG_push(b->value.nested, inner))
			break;
		inner = NULL;
		ok = 1;
		break;
	case CMPD_BODY_GENM:
	case CMPD_BODY_GENP:
		if ((b->value.genm = sk_CMPD_ITAV_new_null()) == NULL ||
		    (itav = make_itav(NID_id_it_signKeyPairTypes,
		    type == CMPD_BODY_GENP)) == NULL ||
		    !sk_CMPD_ITAV_push(b->value.genm, itav))
			break;
		itav = NULL;
		ok = 1;
		break;
	case CMPD_BODY_ERROR:
		if ((b->value.error = CMPD_ERRORMSG_new()) == NULL)
			break;
		CMPD_PKISI_free(b->value.error->pKIStatusInfo);
		if ((b->value.error->pKIStatusInfo = make_pkisi(
		    CMPD_PKISTATUS_REJECTION, CMPD_FAIL_BADREQUEST,
		    "bad request")) == NULL ||
		    (b->value.error->errorCode = ASN1_INTEGER_new()) == NULL ||
		    !ASN1_INTEGER_set(b->value.error->errorCode, 42) ||
		    (b->value.error->errorDetails = freetext("details")) == NULL)
			break;
		ok = 1;
		break;
	case CMPD_BODY_CERTCONF:
		if ((b->value.certConf = sk_CMPD_CERTSTATUS_new_null()) == NULL ||
		    (cs = CMPD_CERTSTATUS_new()) == NULL ||
		    !ASN1_OCTET_STRING_set(cs->certHash,
		    (const unsigned char *)"0123456789abcdef0123456789abcdef",
		    32) ||
		    !ASN1_INTEGER_set(cs->certReqId, 0) ||
		    (cs->statusInfo = make_pkisi(CMPD_PKISTATUS_ACCEPTED, -1,
		    NULL)) == NULL ||
		    !sk_CMPD_CERTSTATUS_push(b->value.certConf, cs))
			break;
		cs = NULL;
		ok = 1;
		break;
	case CMPD_BODY_POLLREQ:
		if ((b->value.pollReq = sk_CMPD_POLLREQ_new_null()) == NULL ||
		    (preq = CMPD_POLLREQ_new()) == NULL ||
		    !ASN1_INTEGER_set(preq->certReqId, 0) ||
		    !sk_CMPD_POLLREQ_push(b->value.pollReq, preq))
			break;
		preq = NULL;
		ok = 1;
		break;
	case CMPD_BODY_POLLREP:
		if ((b->value.pollRep = sk_CMPD_POLLREP_new_null()) == NULL ||
		    (prep = CMPD_POLLREP_new()) == NULL ||
		    !ASN1_INTEGER_set(prep->certReqId, 0) ||
		    !ASN1_INTEGER_set(prep->checkAfter, 60) ||
		    (prep->reason = freetext("later")) == NULL ||
		    !sk_CMPD_POLLREP_push(b->value.pollRep, prep))
			break;
		prep = NULL;
		ok = 1;
		break;
	}
	CMPD_CHALLENGE_free(ch);
	CMPD_REVDETAILS_free(rd);
	CMPD_CERTSTATUS_free(cs);
	CMPD_POLLREQ_free(preq);
	CMPD_POLLREP_free(prep);
	CMPD_ITAV_free(itav);
	CMPD_MSG_free(inner);
	CMPD_CERTIFIEDKEYPAIR_free(ckp);
	OSSL_CRMF_CERTID_free(cid);
	CMPD_PKISI_free(si);
	ASN1_INTEGER_free(ai);
	return ok ? 0 : -1;
}

CMPD_MSG *
build_msg(int type)
{
	static const unsigned char sig[] = "not really a signature";
	CMPD_MSG *m;

	if ((m = CMPD_MSG_new()) == NULL)
		return NULL;
	CMPD_HEADER_free(m->header);
	if ((m->header = build_header()) == NULL ||
	    fill_body(m->body, type) != 0 ||
	    (m->protection = ASN1_BIT_STRING_new()) == NULL ||
	    !ASN1_BIT_STRING_set(m->protection, (unsigned char *)sig,
	    sizeof(sig) - 1) ||
	    (m->extraCerts = cert_stack()) == NULL) {
		CMPD_MSG_free(m);
		return NULL;
	}
	return m;
}

/* The plain EnvelopedData DER that the built messages carry, its length
 * returned. */
int
build_envdata(const unsigned char **der)
{
	*der = envdata_der;
	return envdata_len;
}
