/*
 * PKIMessage decoding, encoding and the answers cmpd builds (RFC 9810 5.1).
 * The ASN.1 types themselves are in cmp_asn1.c.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "cert_cache.h"

#define CMP_NONCE_LEN	16	/* RFC 9810 5.1.1: 128 bits */

/*
 * The tag of der's body (RFC 9810 5.1: the element after the header), -1
 * when the outer SEQUENCE or the header cannot be read. Read by the tags
 * and lengths alone, before anything is decoded.
 */
static int
cmp_msg_body_tag(const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end;
	long l;
	int tag, xclass, r = -1;

	if (len > INT_MAX)
		return -1;
	ERR_set_mark();
	if ((ASN1_get_object(&p, &l, &tag, &xclass, (long)len) & 0x81) != 0)
		goto out;
	end = p + l;
	if ((ASN1_get_object(&p, &l, &tag, &xclass, end - p) & 0x81) != 0)
		goto out;
	p += l;				/* the header */
	if (p < end &&
	    (ASN1_get_object(&p, &l, &tag, &xclass, end - p) & 0x80) == 0 &&
	    xclass == V_ASN1_CONTEXT_SPECIFIC)
		r = tag;
 out:
	ERR_pop_to_mark();
	return r;
}

/*
 * Strict DER decode (cmp_asn1_msg_decode): the whole input must be one
 * PKIMessage that encodes back to the same bytes. Protection is computed
 * over DER (RFC 9810 5.1.3), and accepting BER would let two encodings of
 * one message exist. Returns 0 or a CMP_ASN1_ERR_* code.
 * Not covered: OpenSSL re-emits the received bytes of X509 and X509_NAME
 * values (extraCerts, the sender's name), so BER inside those passes;
 * protection checks must therefore work on the received bytes (and the
 * names a certificate would carry are checked apart: cmp_exts_name_der).
 * On failure, *hdr_only gets the header if that much could be decoded, so
 * the error answer can still echo transactionID and nonces.
 * OpenSSL bounds the nesting depth (ASN1_MAX_CONSTRUCTED_NEST); the caller
 * bounds the length.
 */
int
cmp_msg_decode(const unsigned char *der, size_t len, CMPD_MSG **msg,
    CMPD_HEADER **hdr_only)
{
	const unsigned char *p = der;
	long plen;
	int r, tag, xclass, ret, nested;

	if (hdr_only != NULL)
		*hdr_only = NULL;
	/* extraCerts: the keys of as many as a message within the limits
	 * may carry are decoded, the others' not; such a message is refused
	 * for their number once it is read (cmp_request.c, cmp_nested.c).
	 * A nested message's inner ones come first in its encoding and wait
	 * until the RA's signature is verified (cmp_nested.c): none is
	 * decoded with its key, and the outer ones are read again with
	 * theirs. */
	nested = cmp_msg_body_tag(der, len) == CMPD_BODY_NESTED;
	cert_cache_budget(nested ? 0 : CMPD_EXTRACERTS_MAX);
	r = cmp_asn1_msg_decode(der, len, CMP_ASN1_STRICT_DER, msg);
	cert_cache_budget(-1);
	if (r == CMP_ASN1_OK && nested &&
	    cert_cache_rekey((*msg)->extraCerts, CMPD_EXTRACERTS_MAX) != 0) {
		CMPD_MSG_free(*msg);
		*msg = NULL;
		r = CMP_ASN1_ERR_PARSE;
	}
	if (r == CMP_ASN1_OK || hdr_only == NULL || len == 0 || len > INT_MAX)
		goto out;
	/* The outer SEQUENCE may be truncated or its body broken: the header
	 * is its first element and may still be whole. */
	ret = ASN1_get_object(&p, &plen, &tag, &xclass, (long)len);
	if ((ret & 0x80) != 0 && p == der)
		goto out;
	if (!(ret & V_ASN1_CONSTRUCTED) || tag != V_ASN1_SEQUENCE ||
	    xclass != V_ASN1_UNIVERSAL)
		goto out;
	*hdr_only = d2i_CMPD_HEADER(NULL, &p, (long)(len - (size_t)(p - der)));
 out:
	ERR_clear_error();
	return r;
}

int
cmp_msg_encode(const CMPD_MSG *m, unsigned char **der, size_t *len)
{
	unsigned char *out = NULL;
	int n;

	*der = NULL;
	*len = 0;
	if ((n = i2d_CMPD_MSG(m, &out)) <= 0)
		return -1;
	*der = out;
	*len = (size_t)n;
	return 0;
}

int
cmp_msg_body_type(const CMPD_MSG *m)
{
	if (m == NULL || m->body == NULL)
		return -1;
	return m->body->type;
}

static OSSL_CRMF_MSGS *
cmp_msg_crmf(const CMPD_MSG *m)
{
	switch (cmp_msg_body_type(m)) {
	case CMPD_BODY_IR:
		return m->body->value.ir;
	case CMPD_BODY_CR:
		return m->body->value.cr;
	case CMPD_BODY_KUR:
		return m->body->value.kur;
	case CMPD_BODY_KRR:
		return m->body->value.krr;
	case CMPD_BODY_CCR:
		return m->body->value.ccr;
	default:
		return NULL;
	}
}

/* certReqId of the first CertReqMsg; -1 for p10cr (RFC 9810 5.3.4) or none. */
long
cmp_msg_first_cert_req_id(const CMPD_MSG *m)
{
	OSSL_CRMF_MSGS *reqs = cmp_msg_crmf(m);

	if (reqs == NULL || sk_OSSL_CRMF_MSG_num(reqs) < 1)
		return -1;
	return OSSL_CRMF_MSG_get_certReqId(sk_OSSL_CRMF_MSG_value(reqs, 0));
}

/* The CertRepMessage body that answers a certificate request body. */
int
cmp_msg_rep_type(int req_type)
{
	switch (req_type) {
	case CMPD_BODY_IR:
		return CMPD_BODY_IP;
	case CMPD_BODY_CR:
	case CMPD_BODY_P10CR:
		return CMPD_BODY_CP;
	case CMPD_BODY_KUR:
		return CMPD_BODY_KUP;
	case CMPD_BODY_CCR:
		return CMPD_BODY_CCP;
	default:
		return -1;
	}
}

static STACK_OF(ASN1_UTF8STRING) *
cmp_msg_free_text(const char *text)
{
	STACK_OF(ASN1_UTF8STRING) *sk = NULL;
	ASN1_UTF8STRING *s = NULL;

	if ((sk = sk_ASN1_UTF8STRING_new_null()) == NULL ||
	    (s = ASN1_UTF8STRING_new()) == NULL ||
	    !ASN1_STRING_set(s, text, -1) || !sk_ASN1_UTF8STRING_push(sk, s)) {
		ASN1_UTF8STRING_free(s);
		sk_ASN1_UTF8STRING_pop_free(sk, ASN1_UTF8STRING_free);
		return NULL;
	}
	return sk;
}

/* PKIStatusInfo; failbit < 0 leaves failInfo out, text NULL statusString. */
CMPD_PKISI *
cmp_msg_pkisi_new(int status, int failbit, const char *text)
{
	CMPD_PKISI *si;

	if ((si = CMPD_PKISI_new()) == NULL)
		return NULL;
	if (!ASN1_INTEGER_set(si->status, status))
		goto err;
	if (text != NULL && *text != '\0' &&
	    (si->statusString = cmp_msg_free_text(text)) == NULL)
		goto err;
	if (failbit >= 0) {
		if ((si->failInfo = ASN1_BIT_STRING_new()) == NULL ||
		    !ASN1_BIT_STRING_set_bit(si->failInfo, failbit, 1))
			goto err;
	}
	return si;
 err:
	CMPD_PKISI_free(si);
	return NULL;
}

/*
 * A transactionID or nonce echoed in an answer (RFC 9810 5.1.1), also the
 * one refused for its length (longer than cmpd keeps: CMPD_ID_MAX_LEN),
 * so that the client can match the refusal; none longer than this.
 */
#define CMP_ECHO_MAX	256

static ASN1_OCTET_STRING *
cmp_msg_octets_dup(const ASN1_OCTET_STRING *s)
{
	if (s == NULL || ASN1_STRING_length(s) < 1 ||
	    ASN1_STRING_length(s) > CMP_ECHO_MAX)
		return NULL;
	return ASN1_OCTET_STRING_dup(s);
}

/*
 * A response header for req (which may be NULL when nothing of the request
 * could be decoded): pvno echoed, sender = our name, recipient = the
 * request's sender, transactionID echoed, recipNonce = the request's
 * senderNonce, fresh senderNonce (RFC 9810 5.1.1). A pvno cmpd does not
 * speak is answered with the nearest it does: 3 above, 2 below (RFC 9810
 * 7).
 */
CMPD_MSG *
cmp_msg_response_new(const CMPD_HEADER *req, const X509_NAME *sender,
    int body_type)
{
	unsigned char nonce[CMP_NONCE_LEN];
	CMPD_MSG *m = NULL;
	CMPD_HEADER *h;
	int64_t pvno = 2, v;

	if ((m = CMPD_MSG_new()) == NULL)
		goto err;
	h = m->header;
	if (req != NULL && ASN1_INTEGER_get_int64(&v, req->pvno))
		pvno = v >= 3 ? 3 : 2;
	if (!ASN1_INTEGER_set_int64(h->pvno, pvno))
		goto err;
	GENERAL_NAME_set0_value(h->sender, GEN_DIRNAME, X509_NAME_dup(sender));
	if (h->sender->d.directoryName == NULL)
		goto err;
	if (req != NULL && req->sender != NULL &&
	    req->sender->type == GEN_DIRNAME) {
		GENERAL_NAME_free(h->recipient);
		if ((h->recipient = GENERAL_NAME_dup(req->sender)) == NULL)
			goto err;
	} else {
		/* NULL-DN: the sender is unknown (RFC 9810 5.1.1). */
		GENERAL_NAME_set0_value(h->recipient, GEN_DIRNAME,
		    X509_NAME_new());
		if (h->recipient->d.directoryName == NULL)
			goto err;
	}
	if ((h->messageTime = ASN1_GENERALIZEDTIME_set(NULL,
	    time(NULL))) == NULL)
		goto err;
	if (req != NULL) {
		h->transactionID = cmp_msg_octets_dup(req->transactionID);
		h->recipNonce = cmp_msg_octets_dup(req->senderNonce);
	}
	if (RAND_bytes(nonce, sizeof(nonce)) != 1 ||
	    (h->senderNonce = ASN1_OCTET_STRING_new()) == NULL ||
	    !ASN1_OCTET_STRING_set(h->senderNonce, nonce, sizeof(nonce)))
		goto err;
	m->body->type = body_type;
	return m;
 err:
	CMPD_MSG_free(m);
	return NULL;
}

static void
cmp_msg_fail_text(const struct cmp_fail_def *d, const char *text,
    char *buf, size_t n)
{
	if (text == NULL)
		cmp_error_format(d->fail, buf, n, NULL, NULL);
	else
		snprintf(buf, n, "%s", text);
}

/* An error body (RFC 9810 5.3.21) for failure d, statusString text. */
CMPD_MSG *
cmp_msg_error_new(const CMPD_HEADER *req, const X509_NAME *sender,
    const struct cmp_fail_def *d, const char *text)
{
	char buf[CMP_TEXT_MAX];
	CMPD_ERRORMSG *e;
	CMPD_MSG *m;

	cmp_msg_fail_text(d, text, buf, sizeof(buf));
	if ((m = cmp_msg_response_new(req, sender, CMPD_BODY_ERROR)) == NULL)
		return NULL;
	if ((e = m->body->value.error = CMPD_ERRORMSG_new()) == NULL)
		goto err;
	CMPD_PKISI_free(e->pKIStatusInfo);
	if ((e->pKIStatusInfo = cmp_msg_pkisi_new(d->status, d->failbit,
	    buf)) == NULL)
		goto err;
	/* errorCode: cmpd's failure number, stable (doc/errors.md). */
	if ((e->errorCode = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set(e->errorCode, (long)d->fail))
		goto err;
	if ((e->errorDetails = cmp_msg_free_text(d->name)) == NULL)
		goto err;
	return m;
 err:
	CMPD_MSG_free(m);
	return NULL;
}

/*
 * An error body whose PKIStatus is waiting (RFC 9810 5.3.22): how a
 * request other than ir/cr/kur/p10cr is put on hold; the client polls.
 */
CMPD_MSG *
cmp_msg_waiting_new(const CMPD_HEADER *req, const X509_NAME *sender,
    const char *text)
{
	CMPD_ERRORMSG *e;
	CMPD_MSG *m;

	if ((m = cmp_msg_response_new(req, sender, CMPD_BODY_ERROR)) == NULL)
		return NULL;
	if ((e = m->body->value.error = CMPD_ERRORMSG_new()) == NULL)
		goto err;
	CMPD_PKISI_free(e->pKIStatusInfo);
	if ((e->pKIStatusInfo = cmp_msg_pkisi_new(CMPD_PKISTATUS_WAITING, -1,
	    text)) == NULL)
		goto err;
	return m;
 err:
	CMPD_MSG_free(m);
	return NULL;
}

/* ip/cp/kup/ccp with one rejected CertResponse (RFC 9810 5.3.4). */
CMPD_MSG *
cmp_msg_rejection_new(const CMPD_HEADER *req, const X509_NAME *sender,
    int rep_type, long cert_req_id, const struct cmp_fail_def *d,
    const char *text)
{
	char buf[CMP_TEXT_MAX];
	CMPD_CERTREPMSG *rep;
	CMPD_CERTRESPONSE *cr = NULL;
	CMPD_MSG *m;

	cmp_msg_fail_text(d, text, buf, sizeof(buf));
	if ((m = cmp_msg_response_new(req, sender, rep_type)) == NULL)
		return NULL;
	if ((rep = CMPD_CERTREPMSG_new()) == NULL)
		goto err;
	/* ip, cp, kup and ccp share one union slot type. */
	m->body->value.ip = rep;
	if ((cr = CMPD_CERTRESPONSE_new()) == NULL ||
	    !ASN1_INTEGER_set(cr->certReqId, cert_req_id))
		goto err;
	CMPD_PKISI_free(cr->status);
	if ((cr->status = cmp_msg_pkisi_new(d->status, d->failbit,
	    buf)) == NULL)
		goto err;
	if (!sk_CMPD_CERTRESPONSE_push(rep->response, cr))
		goto err;
	return m;
 err:
	CMPD_CERTRESPONSE_free(cr);
	CMPD_MSG_free(m);
	return NULL;
}

/*
 * Parses a distinguished name written "CN=cmpd,O=Example" (RFC 4514 order:
 * the most significant RDN last) or "/O=Example/CN=cmpd" (openssl -subj
 * order: the most significant first). Both examples are the same name.
 * A backslash escapes the next character.
 */
X509_NAME *
cmp_msg_parse_name(const char *s)
{
	char type[64], value[256];
	X509_NAME *name = NULL;
	char sep = ',';
	size_t tl, vl;
	int in_value;

	if (s == NULL || *s == '\0')
		return NULL;
	if (*s == '/') {
		sep = '/';
		s++;
	}
	if ((name = X509_NAME_new()) == NULL)
		return NULL;
	while (*s != '\0') {
		tl = vl = 0;
		in_value = 0;
		while (*s == ' ')
			s++;
		for (; *s != '\0' && *s != sep; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			else if (!in_value && *s == '=') {
				in_value = 1;
				continue;
			}
			if (!in_value && tl < sizeof(type) - 1)
				type[tl++] = *s;
			else if (in_value && vl < sizeof(value) - 1)
				value[vl++] = *s;
			else
				goto err;
		}
		if (*s == sep)
			s++;
		type[tl] = value[vl] = '\0';
		if (!in_value || tl == 0 || vl == 0)
			goto err;
		if (!X509_NAME_add_entry_by_txt(name, type, MBSTRING_UTF8,
		    (const unsigned char *)value, -1, sep == ',' ? 0 : -1, 0))
			goto err;
	}
	if (X509_NAME_entry_count(name) == 0)
		goto err;
	return name;
 err:
	X509_NAME_free(name);
	ERR_clear_error();
	return NULL;
}

/*
 * Which protection the message claims (RFC 9810 5.1.3): a MAC from a shared
 * secret (PBM, PBMAC1) or a signature. -1 for any other algorithm.
 */
int
cmp_msg_prot_method(const CMPD_HEADER *h, enum prot_method *out)
{
	const ASN1_OBJECT *oid;
	int nid, md, pk;

	*out = PROT_NONE;
	if (h->protectionAlg == NULL)
		return 0;
	X509_ALGOR_get0(&oid, NULL, NULL, h->protectionAlg);
	nid = OBJ_obj2nid(oid);
	if (nid == NID_id_PasswordBasedMAC || nid == NID_pbmac1) {
		*out = PROT_SHARED_SECRET;
		return 0;
	}
	if (nid != NID_undef && OBJ_find_sigid_algs(nid, &md, &pk)) {
		*out = PROT_SIGNATURE;
		return 0;
	}
	return -1;
}
