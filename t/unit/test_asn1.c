/*
 * Unit test for cmp_asn1.c: the RFC 9810 ASN.1 module.
 *
 *  (a) every t/fixtures/<body>-*.der (captured from real clients) decodes,
 *      is consumed entirely, re-encodes byte for byte, has the body type
 *      its name says;
 *  (b) a message of every body type 0..26 built in memory round-trips;
 *  (c) CertStatus.hashAlg (RFC 9480/9810) round-trips;
 *  (d) garbage, truncation, trailing bytes, BER and deep nesting are
 *      rejected without crashing or leaking.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* asprintf, memmem */
#endif

#include <sys/types.h>

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
#include "tap.h"

#define MAX_FIXTURE	(1024 * 1024)
#define FIXED_TIME	((time_t)1700000000)	/* 2023-11-14, reproducible */
#define NEST_DEEP	100

static EVP_PKEY		*key;
static X509		*cert;
static X509_CRL		*crl;
static X509_REQ		*req;
static X509_NAME	*ca_name;
static unsigned char	*envdata_der;		/* plain EnvelopedData DER */
static int		 envdata_len;

/* ---- small DER helpers for hand-made encodings ---- */

struct dbuf {
	unsigned char	*p;
	size_t		 len;
};

static int
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
static int
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
static int
der_hdrlen(size_t len)
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

static int
setup(void)
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

static void
teardown(void)
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

static X509_ALGOR *
algor_md(const EVP_MD *md)
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

static CMPD_CERTIFIEDKEYPAIR *
make_ckp(int encrypted, int with_key)
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
		resp->certifiedKeyPair = make_ckp(0, 0);
		rep->caPubs = cert_stack();
		if (rep->caPubs == NULL)
			goto err;
		break;
	case 1:		/* encrypted cert and key (RFC 9810 5.3.4) */
		resp->status = make_pkisi(CMPD_PKISTATUS_ACCEPTED, -1, NULL);
		resp->certifiedKeyPair = make_ckp(1, 1);
		break;
	case 2:		/* legacy EncryptedValue key, rspInfo */
		resp->status = make_pkisi(CMPD_PKISTATUS_GRANTEDWITHMODS, -1,
		    "modified");
		resp->certifiedKeyPair = make_ckp(0, 1);
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

static CMPD_HEADER *
make_header(void)
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

static CMPD_MSG *make_msg(int);

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
		    (ch->owf = algor_md(EVP_sha256())) == NULL ||
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
		    (ckp = make_ckp(0, 1)) == NULL ||
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
		    (inner = make_msg(CMPD_BODY_IR)) == NULL ||
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

static CMPD_MSG *
make_msg(int type)
{
	static const unsigned char sig[] = "not really a signature";
	CMPD_MSG *m;

	if ((m = CMPD_MSG_new()) == NULL)
		return NULL;
	CMPD_HEADER_free(m->header);
	if ((m->header = make_header()) == NULL ||
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

/* ---- checks ---- */

/* i2d, d2i, i2d again; the result is returned decoded in *outp. */
static int
roundtrip(const CMPD_MSG *m, const char *what, CMPD_MSG **outp)
{
	unsigned char *der1 = NULL, *der2 = NULL;
	const unsigned char *p;
	CMPD_MSG *m2 = NULL;
	int len1, len2 = -1, good = 0;

	*outp = NULL;
	if ((len1 = i2d_CMPD_MSG(m, &der1)) <= 0) {
		ok(0, "%s: encodes", what);
		goto out;
	}
	p = der1;
	if ((m2 = d2i_CMPD_MSG(NULL, &p, len1)) == NULL) {
		ok(0, "%s: decodes", what);
		goto out;
	}
	len2 = i2d_CMPD_MSG(m2, &der2);
	good = p == der1 + len1 && len2 == len1 &&
	    memcmp(der1, der2, len1) == 0;
	ok(good, "%s: %d bytes round-trip", what, len1);
 out:
	OPENSSL_free(der1);
	OPENSSL_free(der2);
	if (good)
		*outp = m2;
	else
		CMPD_MSG_free(m2);
	return good;
}

static int
read_file(const char *path, unsigned char **bufp, size_t *lenp)
{
	FILE *f;
	unsigned char *buf = NULL;
	size_t len = 0, n;
	int r = -1;

	*bufp = NULL;
	*lenp = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if ((buf = malloc(MAX_FIXTURE)) == NULL)
		goto out;
	while ((n = fread(buf + len, 1, MAX_FIXTURE - len, f)) > 0)
		len += n;
	if (ferror(f) || len == MAX_FIXTURE)
		goto out;
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	r = 0;
 out:
	free(buf);
	fclose(f);
	return r;
}

static int
is_der_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 &&
	    strcmp(d->d_name + n - 4, ".der") == 0;
}

/* (a) */
static void
test_fixtures(void)
{
	struct dirent **ents = NULL;
	const char *top;
	char dir[PATH_MAX], prefix[64];
	int i, n, want;

	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";
	snprintf(dir, sizeof(dir), "%s/t/fixtures", top);
	if ((n = scandir(dir, &ents, is_der_name, alphasort)) < 0) {
		ok(0, "fixtures: cannot read %s", dir);
		return;
	}
	ok(n >= 5, "fixtures: %d in %s (need at least 5)", n, dir);
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		unsigned char *buf = NULL, *der = NULL;
		const unsigned char *p;
		CMPD_MSG *m = NULL;
		char *path = NULL;
		size_t len, plen;
		int dlen;

		if (asprintf(&path, "%s/%s", dir, name) == -1) {
			path = NULL;
			ok(0, "%s: path", name);
			goto next;
		}
		plen = strcspn(name, "-.");
		if (plen >= sizeof(prefix))
			plen = sizeof(prefix) - 1;
		memcpy(prefix, name, plen);
		prefix[plen] = '\0';
		want = cmp_asn1_body_type_from_name(prefix);
		ok(want >= 0, "%s: prefix \"%s\" is a body name", name, prefix);

		if (read_file(path, &buf, &len) != 0) {
			ok(0, "%s: readable", name);
			goto next;
		}
		p = buf;
		m = d2i_CMPD_MSG(NULL, &p, (long)len);
		if (!ok(m != NULL, "%s: decodes as PKIMessage", name))
			goto next;
		ok(p == buf + len, "%s: all %zu bytes consumed", name, len);
		dlen = i2d_CMPD_MSG(m, &der);
		ok(dlen == (int)len && memcmp(der, buf, len) == 0,
		    "%s: re-encodes byte for byte", name);
		is_int(m->body->type, want, "%s: body type %s", name,
		    cmp_asn1_body_name(m->body->type));
		CMPD_MSG_free(m);
		m = NULL;
		is_int(cmp_asn1_msg_decode(buf, len, CMP_ASN1_STRICT_DER, &m),
		    CMP_ASN1_OK, "%s: strict decode", name);
 next:
		ERR_clear_error();
		CMPD_MSG_free(m);
		OPENSSL_free(der);
		free(buf);
		free(path);
		free(ents[i]);
	}
	free(ents);
}

/*
 * libcrypto 3.0's own (opaque) OSSL_CMP_MSG must read our encoding to the
 * same DER: an independent check of the tagging.
 */
static int
libcrypto_agrees(const CMPD_MSG *m)
{
	unsigned char *der = NULL, *der2 = NULL;
	const unsigned char *p;
	OSSL_CMP_MSG *om = NULL;
	int len, len2 = -1, same;

	if ((len = i2d_CMPD_MSG(m, &der)) > 0) {
		p = der;
		if ((om = d2i_OSSL_CMP_MSG(NULL, &p, len)) != NULL &&
		    p == der + len)
			len2 = i2d_OSSL_CMP_MSG(om, &der2);
	}
	same = len > 0 && len2 == len && memcmp(der, der2, len) == 0;
	ERR_clear_error();
	OSSL_CMP_MSG_free(om);
	OPENSSL_free(der);
	OPENSSL_free(der2);
	return same;
}

/* (b) */
static void
test_all_bodies(void)
{
	CMPD_MSG *m, *m2, *d;
	int type;
	char what[64];

	for (type = 0; type <= CMPD_BODY_MAX; type++) {
		snprintf(what, sizeof(what), "body %d (%s)", type,
		    cmp_asn1_body_name(type));
		if ((m = make_msg(type)) == NULL) {
			ok(0, "%s: built", what);
			ERR_clear_error();
			continue;
		}
		if (roundtrip(m, what, &m2)) {
			is_int(m2->body->type, type, "%s: type kept", what);
			d = CMPD_MSG_dup(m2);
			ok(d != NULL && d->body->type == type,
			    "%s: CMPD_MSG_dup", what);
			CMPD_MSG_free(d);
			CMPD_MSG_free(m2);
		}
		/* cp and popdecc carry EnvelopedData, which 3.0 lacks */
		if (type != CMPD_BODY_CP && type != CMPD_BODY_POPDECC)
			ok(libcrypto_agrees(m),
			    "%s: libcrypto's OSSL_CMP_MSG reads the same DER",
			    what);
		CMPD_MSG_free(m);
	}
}

/* Checks the EnvelopedData representations (see cmp_asn1.h) decode back. */
static void
test_envelopeddata(void)
{
	CMPD_MSG *m = NULL, *m2 = NULL;
	CMPD_CERTIFIEDKEYPAIR *ckp;
	CMPD_CHALLENGE *ch;
	unsigned char *der = NULL;
	int len, hl;

	if ((m = make_msg(CMPD_BODY_CP)) == NULL ||
	    !roundtrip(m, "cp with envelopedData", &m2)) {
		ok(0, "cp with envelopedData built");
		goto out;
	}
	ckp = sk_CMPD_CERTRESPONSE_value(m2->body->value.cp->response, 0)->
	    certifiedKeyPair;
	is_int(ckp->certOrEncCert->type, CMPD_CERTORENCCERT_ENCRYPTEDCERT,
	    "cp: certOrEncCert is encryptedCert");
	is_int(ckp->certOrEncCert->value.encryptedCert->type,
	    CMPD_ENCRYPTEDKEY_ENVELOPEDDATA, "cp: encryptedCert is envelopedData");
	is_int(ckp->privateKey->type, CMPD_ENCRYPTEDKEY_ENVELOPEDDATA,
	    "cp: privateKey is envelopedData");
	len = i2d_ASN1_SEQUENCE_ANY(
	    ckp->certOrEncCert->value.encryptedCert->value.envelopedData, &der);
	ok(len == envdata_len && memcmp(der, envdata_der, len) == 0,
	    "cp: envelopedData converts back to the CMS EnvelopedData DER");
	OPENSSL_free(der);
	der = NULL;
	CMPD_MSG_free(m);
	CMPD_MSG_free(m2);
	m = m2 = NULL;

	/* IMPLICIT [0] in EncryptedKey: the EnvelopedData with 0x30 -> 0xA0 */
	if ((ckp = make_ckp(1, 0)) == NULL ||
	    (len = i2d_CMPD_ENCRYPTEDKEY(ckp->certOrEncCert->value.encryptedCert,
	    &der)) <= 2) {
		ok(0, "EncryptedKey encodes");
		CMPD_CERTIFIEDKEYPAIR_free(ckp);
		goto out;
	}
	ok(len == envdata_len && der[0] == 0xa0 &&
	    memcmp(der + 1, envdata_der + 1, len - 1) == 0,
	    "EncryptedKey.envelopedData is IMPLICIT [0] (RFC 4211)");
	OPENSSL_free(der);
	der = NULL;
	CMPD_CERTIFIEDKEYPAIR_free(ckp);

	/* EXPLICIT [0] in Challenge: 0xA0 then the EnvelopedData SEQUENCE */
	if ((m = make_msg(CMPD_BODY_POPDECC)) == NULL ||
	    !roundtrip(m, "popdecc with encryptedRand", &m2)) {
		ok(0, "popdecc built");
		goto out;
	}
	ch = sk_CMPD_CHALLENGE_value(m2->body->value.popdecc, 0);
	len = i2d_CMPD_CHALLENGE(ch, &der);
	hl = der_hdrlen(envdata_len);
	ok(len > envdata_len + hl && der[len - envdata_len - hl] == 0xa0 &&
	    memcmp(der + len - envdata_len, envdata_der, envdata_len) == 0,
	    "Challenge.encryptedRand is EXPLICIT [0] around EnvelopedData");
 out:
	ERR_clear_error();
	OPENSSL_free(der);
	CMPD_MSG_free(m);
	CMPD_MSG_free(m2);
}

/* (c) */
static void
test_certstatus_hashalg(void)
{
	static const unsigned char sha256_oid[] = {
		0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01
	};
	CMPD_MSG *m = NULL, *m2 = NULL;
	CMPD_CERTSTATUS *cs, *cs2 = NULL;
	unsigned char *der = NULL, *hit;
	const unsigned char *p;
	int len;

	if ((m = make_msg(CMPD_BODY_CERTCONF)) == NULL) {
		ok(0, "certConf built");
		goto out;
	}
	cs = sk_CMPD_CERTSTATUS_value(m->body->value.certConf, 0);
	if ((cs->hashAlg = algor_md(EVP_sha256())) == NULL) {
		ok(0, "hashAlg set");
		goto out;
	}
	if (!roundtrip(m, "certConf with hashAlg", &m2))
		goto out;
	cs = sk_CMPD_CERTSTATUS_value(m2->body->value.certConf, 0);
	ok(cs->hashAlg != NULL &&
	    OBJ_obj2nid(cs->hashAlg->algorithm) == NID_sha256,
	    "certConf: hashAlg sha256 decoded");
	ok(cs->statusInfo != NULL, "certConf: statusInfo kept");

	len = i2d_CMPD_CERTSTATUS(cs, &der);
	hit = len > 0 ? memmem(der, len, sha256_oid, sizeof(sha256_oid)) :
	    NULL;
	ok(hit != NULL && hit - der >= 4 && hit[-4] == 0xa0 &&
	    hit[-2] == 0x30, "CertStatus: hashAlg is EXPLICIT [0]");
	p = der;
	cs2 = d2i_CMPD_CERTSTATUS(NULL, &p, len);
	ok(cs2 != NULL && p == der + len && cs2->hashAlg != NULL,
	    "CertStatus: standalone d2i");
	CMPD_CERTSTATUS_free(cs2);
	cs2 = NULL;

	/* and without it, as sent by OpenSSL 3.0 */
	X509_ALGOR_free(cs->hashAlg);
	cs->hashAlg = NULL;
	OPENSSL_free(der);
	der = NULL;
	len = i2d_CMPD_CERTSTATUS(cs, &der);
	p = der;
	cs2 = d2i_CMPD_CERTSTATUS(NULL, &p, len);
	ok(cs2 != NULL && cs2->hashAlg == NULL,
	    "CertStatus: hashAlg absent decodes as NULL");
 out:
	ERR_clear_error();
	CMPD_CERTSTATUS_free(cs2);
	OPENSSL_free(der);
	CMPD_MSG_free(m);
	CMPD_MSG_free(m2);
}

/* Wraps inner in NEST_DEEP (or depth) layers of PKIMessage/nested. */
static int
build_nested(const unsigned char *inner, size_t innerlen,
    const unsigned char *hdr, size_t hdrlen, int depth, struct dbuf *out)
{
	struct dbuf cur = { NULL, 0 }, seq, body, msg;
	int i, r = -1;

	if (dbuf_add(&cur, inner, innerlen) != 0)
		return -1;
	for (i = 0; i < depth; i++) {
		seq.p = body.p = msg.p = NULL;
		seq.len = body.len = msg.len = 0;
		if (dbuf_tlv(&seq, 0x30, cur.p, cur.len) != 0 ||  /* PKIMessages */
		    dbuf_add(&body, hdr, hdrlen) != 0 ||
		    dbuf_tlv(&body, 0xb4, seq.p, seq.len) != 0 || /* [20] */
		    dbuf_tlv(&msg, 0x30, body.p, body.len) != 0) {
			free(seq.p);
			free(body.p);
			free(msg.p);
			goto out;
		}
		free(seq.p);
		free(body.p);
		free(cur.p);
		cur = msg;
	}
	*out = cur;
	cur.p = NULL;
	r = 0;
 out:
	free(cur.p);
	return r;
}

/* (d) */
static void
test_bad_input(void)
{
	static const unsigned char garbage[] = "this is not a PKIMessage";
	CMPD_MSG *m = NULL, *d = NULL;
	CMPD_HEADER *h = NULL;
	unsigned char *der = NULL, *hdr = NULL, *big = NULL;
	const unsigned char *p;
	struct dbuf nest = { NULL, 0 }, ber = { NULL, 0 };
	uint32_t rnd = 0x12345678;
	size_t i, j, rlen;
	unsigned char rbuf[256];
	int len, hdrlen, bad, maxok;

	p = garbage;
	ok(d2i_CMPD_MSG(NULL, &p, sizeof(garbage)) == NULL,
	    "garbage: rejected");
	is_int(cmp_asn1_msg_decode(garbage, sizeof(garbage), 0, &d),
	    CMP_ASN1_ERR_PARSE, "garbage: cmp_asn1_msg_decode says parse error");
	ok(d == NULL, "garbage: no message returned");
	is_int(cmp_asn1_msg_decode(garbage, 0, 0, &d), CMP_ASN1_ERR_LENGTH,
	    "empty input: length error");
	is_int(cmp_asn1_msg_decode(NULL, 10, 0, &d), CMP_ASN1_ERR_LENGTH,
	    "NULL input: length error");

	/* pseudo-random bytes, some starting like a SEQUENCE */
	bad = 0;
	for (i = 0; i < 2000; i++) {
		rnd = rnd * 1103515245 + 12345;
		rlen = 1 + (rnd >> 8) % sizeof(rbuf);
		for (j = 0; j < rlen; j++) {
			rnd = rnd * 1103515245 + 12345;
			rbuf[j] = rnd >> 24;
		}
		if (i % 2 == 0) {
			rbuf[0] = 0x30;
			if (rlen > 1)
				rbuf[1] = 0x80 | (rbuf[1] & 0x03);
		}
		if (cmp_asn1_msg_decode(rbuf, rlen, 0, &d) == CMP_ASN1_OK) {
			bad++;
			CMPD_MSG_free(d);
			d = NULL;
		}
	}
	is_int(bad, 0, "random bytes: 2000 buffers rejected");
	ERR_clear_error();

	if ((m = make_msg(CMPD_BODY_IP)) == NULL ||
	    (len = i2d_CMPD_MSG(m, &der)) <= 0) {
		ok(0, "ip message for truncation built");
		goto out;
	}

	/* every proper prefix must fail */
	bad = 0;
	for (i = 0; i < (size_t)len; i++) {
		p = der;
		if ((d = d2i_CMPD_MSG(NULL, &p, (long)i)) != NULL) {
			bad++;
			CMPD_MSG_free(d);
			d = NULL;
		}
	}
	is_int(bad, 0, "truncated: all %d prefixes rejected", len);
	ERR_clear_error();

	/* trailing bytes after a complete message */
	if ((big = malloc(len * 2)) == NULL)
		goto out;
	memcpy(big, der, len);
	memcpy(big + len, der, len);
	is_int(cmp_asn1_msg_decode(big, len + 1, 0, &d), CMP_ASN1_ERR_TRAILING,
	    "trailing byte: rejected");
	ok(d == NULL, "trailing byte: no message returned");
	is_int(cmp_asn1_msg_decode(big, len * 2, 0, &d), CMP_ASN1_ERR_TRAILING,
	    "second message appended: rejected");
	is_int(cmp_asn1_msg_decode(big, len, CMP_ASN1_STRICT_DER, &d),
	    CMP_ASN1_OK, "exact length: accepted");
	CMPD_MSG_free(d);
	d = NULL;

	/* BER: indefinite-length outer SEQUENCE */
	{
		const unsigned char *q = der;
		long clen;
		int tag, cls;

		if (ASN1_get_object(&q, &clen, &tag, &cls, len) & 0x80)
			goto out;
		if (dbuf_add(&ber, "\x30\x80", 2) != 0 ||
		    dbuf_add(&ber, q, clen) != 0 ||
		    dbuf_add(&ber, "\x00\x00", 2) != 0)
			goto out;
	}
	is_int(cmp_asn1_msg_decode(ber.p, ber.len, 0, &d), CMP_ASN1_OK,
	    "BER indefinite length: accepted when not strict");
	CMPD_MSG_free(d);
	d = NULL;
	is_int(cmp_asn1_msg_decode(ber.p, ber.len, CMP_ASN1_STRICT_DER, &d),
	    CMP_ASN1_ERR_NOT_DER, "BER indefinite length: rejected when strict");
	ok(d == NULL, "BER: no message returned");
	ERR_clear_error();

	/* deep nesting: PKIMessage -> nested -> PKIMessage ... */
	OPENSSL_free(der);
	der = NULL;
	CMPD_MSG_free(m);
	if ((m = make_msg(CMPD_BODY_PKICONF)) == NULL ||
	    (len = i2d_CMPD_MSG(m, &der)) <= 0 ||
	    (h = make_header()) == NULL ||
	    (hdrlen = i2d_CMPD_HEADER(h, &hdr)) <= 0 ||
	    build_nested(der, len, hdr, hdrlen, NEST_DEEP, &nest) != 0) {
		ok(0, "nested message built");
		goto out;
	}
	p = nest.p;
	d = d2i_CMPD_MSG(NULL, &p, (long)nest.len);
	ok(d == NULL, "nested %d levels (%zu bytes): rejected", NEST_DEEP,
	    nest.len);
	CMPD_MSG_free(d);
	d = NULL;
	is_int(cmp_asn1_msg_decode(nest.p, nest.len, 0, &d), CMP_ASN1_ERR_PARSE,
	    "nested %d levels: parse error", NEST_DEEP);
	free(nest.p);
	nest.p = NULL;
	ERR_clear_error();

	/* shallow nesting still works; find where libcrypto stops */
	maxok = -1;
	for (i = 0; i <= 40; i++) {
		if (build_nested(der, len, hdr, hdrlen, (int)i, &nest) != 0)
			break;
		if (cmp_asn1_msg_decode(nest.p, nest.len, CMP_ASN1_STRICT_DER,
		    &d) == CMP_ASN1_OK)
			maxok = (int)i;
		CMPD_MSG_free(d);
		d = NULL;
		free(nest.p);
		nest.p = NULL;
	}
	ERR_clear_error();
	diag("libcrypto decodes up to %d nested levels", maxok);
	ok(maxok >= 3 && maxok < 40, "nesting: up to %d levels decode", maxok);
 out:
	ERR_clear_error();
	free(nest.p);
	free(ber.p);
	free(big);
	OPENSSL_free(hdr);
	OPENSSL_free(der);
	CMPD_HEADER_free(h);
	CMPD_MSG_free(d);
	CMPD_MSG_free(m);
}

static void
test_names(void)
{
	int i, good = 1;

	for (i = 0; i <= CMPD_BODY_MAX; i++) {
		if (cmp_asn1_body_type_from_name(cmp_asn1_body_name(i)) != i)
			good = 0;
	}
	ok(good, "body names: all %d map back to their type", CMPD_BODY_MAX + 1);
	is_str(cmp_asn1_body_name(CMPD_BODY_IR), "ir", "body name 0");
	is_str(cmp_asn1_body_name(CMPD_BODY_P10CR), "p10cr", "body name 4");
	is_str(cmp_asn1_body_name(CMPD_BODY_CERTCONF), "certConf",
	    "body name 24");
	is_str(cmp_asn1_body_name(CMPD_BODY_POLLREP), "pollRep",
	    "body name 26");
	is_str(cmp_asn1_body_name(27), "unknown", "body name 27");
	is_str(cmp_asn1_body_name(-1), "unknown", "body name -1");
	is_int(cmp_asn1_body_type_from_name("certconf"), -1,
	    "body names are case sensitive");
	is_int(cmp_asn1_body_type_from_name("bogus"), -1, "unknown name");
	is_int(cmp_asn1_body_type_from_name(NULL), -1, "NULL name");

	is_str(cmp_asn1_failinfo_name(CMPD_FAIL_BADALG), "badAlg", "failinfo 0");
	is_str(cmp_asn1_failinfo_name(CMPD_FAIL_BADREQUEST), "badRequest",
	    "failinfo 2");
	is_str(cmp_asn1_failinfo_name(CMPD_FAIL_TRANSACTIONIDINUSE),
	    "transactionIdInUse", "failinfo 21");
	is_str(cmp_asn1_failinfo_name(CMPD_FAIL_DUPLICATECERTREQ),
	    "duplicateCertReq", "failinfo 26");
	is_str(cmp_asn1_failinfo_name(27), "unknown", "failinfo 27");

	is_str(cmp_asn1_status_name(CMPD_PKISTATUS_ACCEPTED), "accepted",
	    "status 0");
	is_str(cmp_asn1_status_name(CMPD_PKISTATUS_WAITING), "waiting",
	    "status 3");
	is_str(cmp_asn1_status_name(CMPD_PKISTATUS_KEYUPDATEWARNING),
	    "keyUpdateWarning", "status 6");
	is_str(cmp_asn1_status_name(7), "unknown", "status 7");
	is_str(cmp_asn1_status_name(-1), "unknown", "status -1");
}

int
main(void)
{
	if (!ok(setup() == 0, "test credentials created")) {
		teardown();
		return done_testing();
	}
	test_names();
	test_fixtures();
	test_all_bodies();
	test_envelopeddata();
	test_certstatus_hashalg();
	test_bad_input();
	teardown();
	return done_testing();
}
