/*
 * cmptool - test helper: prints a PKIMessage as stable key=value lines, or
 * writes an edited copy of one (to make requests that break one rule).
 *
 *   cmptool dump FILE
 *   cmptool cert FILE OUT      the certificate of an ip/cp/kup, PEM
 *   cmptool certconf RSP OUT SECRET [badhash|badid|badnonce|reject|
 *                              rejectlast|firstonly|empty|error|shake|
 *                              shakealg]
 *                              a certConf answering every certificate of
 *                              RSP (ip/cp), MAC'd with SECRET and RSP's PBM
 *                              parameters, or signed when SECRET is
 *                              sig:CERTFILE:KEYFILE (PEM); badid names
 *                              each by its certReqId + 1; rejectlast
 *                              rejects the last one only; firstonly
 *                              answers the first one only; error sends an
 *                              error message instead; certHash is SHA-256
 *                              of the certificate, SHAKE256 of 512 bits
 *                              with shake (as RFC 9481 3.3 has it for an
 *                              Ed448 signature), and so with hashAlg
 *                              id-shake256 and pvno 3 with shakealg
 *   cmptool edit IN OUT EDIT...
 *     pvno=N  tid=HEX|none  senderNonce=HEX|none|empty
 *     recipNonce=HEX|none|empty
 *     messageTime=+-SECONDS|none  protection=none|TEXT  protectionAlg=none|OID
 *     sender=uri  extraCerts=N (N copies of the first extraCert or of a
 *     fresh certificate)  extraCertsReversed=1 (in the reverse order)  badpop=1 (corrupts the first CertReqMsg's POP
 *     signature)  senderKID=HEX  dupreq=N (N more copies of the first
 *     CertReqMsg, certReqIds 1 to N)  noreq=1 (no CertReqMsg)  nosubject=1
 *     (an empty template subject)  addreq=ID (one more CertReqMsg,
 *     certReqId ID, the first one's subject, a fresh P-256 key and its
 *     POP)  rrnoserial=1 (rr without serialNumber)  rrreason=N (the
 *     reasonCode of the first RevDetails)  rrreasonalso=N (a second
 *     reasonCode extension in it)  duprr=1 (a
 *     second RevDetails)  duppoll=1 (a second pollReq entry)  pollid=N
 *     (the first pollReq entry's certReqId)
 *     certProfile=NAME[,NAME...] (one more generalInfo certProfile with
 *     these names, RFC 9810 5.1.1.4)  certProfileRaw=HEX (one with this
 *     DER as its value)
 *     nested=1 (the message wrapped in a nested body)  ccr=1 (an ir as a ccr)  iter=N (the PBM iterationCount; with remac)
 *     owf=DIGEST (PBM's owf, e.g. SHA1; with remac)
 *     remac=SECRET (last: PBM-protects the
 *     result again)  resign=KEYFILE[:DIGEST[:pss]] (last: signs it
 *     again, SHA-256 unless DIGEST names another, none for EdDSA; pss:
 *     RSASSA-PSS)  signer=CERTFILE (extraCerts that certificate alone,
 *     sender its subject, no senderKID)
 *     pbmfrom=FILE (protectionAlg, senderKID and sender of FILE, a
 *     MAC'd message: then remac= MACs with its parameters)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crmf.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "cmp_itav.h"

static unsigned char *
read_all(const char *path, size_t *len)
{
	unsigned char *buf;

	if (util_read_file(path, CMPD_BODY_MAX_LIMIT, &buf, len) != 0) {
		perror(path);
		exit(2);
	}
	return buf;
}

static void
print_hex(const char *key, const ASN1_OCTET_STRING *s)
{
	char hex[2 * 256 + 1];	/* what cmpd echoes at most */

	if (s == NULL)
		return;
	util_hex(ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s),
	    hex, sizeof(hex));
	printf("%s=%s\n%s_len=%d\n", key, hex, key, ASN1_STRING_length(s));
}

static void
print_name(const char *key, const GENERAL_NAME *gn)
{
	BIO *b;
	char *p;
	long n;

	if (gn == NULL)
		return;
	if (gn->type != GEN_DIRNAME) {
		printf("%s=(type %d)\n", key, gn->type);
		return;
	}
	b = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(b, gn->d.directoryName, 0, XN_FLAG_RFC2253);
	n = BIO_get_mem_data(b, &p);
	printf("%s=%.*s\n", key, (int)n, p);
	BIO_free(b);
}

/* One line per certificate: KEY=subject (RFC 2253), in order. */
static void
print_certs(const char *key, const STACK_OF(X509) *sk)
{
	BIO *b;
	char *p;
	long n;
	int i;

	for (i = 0; i < sk_X509_num(sk); i++) {
		b = BIO_new(BIO_s_mem());
		X509_NAME_print_ex(b, X509_get_subject_name(sk_X509_value(sk,
		    i)), 0, XN_FLAG_RFC2253);
		n = BIO_get_mem_data(b, &p);
		printf("%s=%.*s\n", key, (int)n, p);
		BIO_free(b);
	}
}

static void
print_text(const char *key, const STACK_OF(ASN1_UTF8STRING) *sk)
{
	int i;

	for (i = 0; i < sk_ASN1_UTF8STRING_num(sk); i++) {
		const ASN1_UTF8STRING *s = sk_ASN1_UTF8STRING_value(sk, i);

		printf("%s=%.*s\n", key, ASN1_STRING_length(s),
		    (const char *)ASN1_STRING_get0_data(s));
	}
}

static void
print_pkisi(const CMPD_PKISI *si)
{
	int bit, first = 1;

	printf("status=%s\n", cmp_asn1_status_name((int)ASN1_INTEGER_get(
	    si->status)));
	if (si->failInfo != NULL) {
		printf("failInfo=");
		for (bit = 0; bit <= CMPD_FAIL_DUPLICATECERTREQ; bit++) {
			if (ASN1_BIT_STRING_get_bit(si->failInfo, bit)) {
				printf("%s%s", first ? "" : ",",
				    cmp_asn1_failinfo_name(bit));
				first = 0;
			}
		}
		printf("\n");
	}
	print_text("text", si->statusString);
}

static int
dump(const char *path)
{
	CMPD_HEADER *hdr = NULL;
	CMPD_MSG *m = NULL;
	const CMPD_HEADER *h;
	unsigned char *der;
	size_t len;
	int type, i;

	der = read_all(path, &len);
	if (cmp_msg_decode(der, len, &m, &hdr) != 0) {
		printf("decode=failed\n");
		free(der);
		CMPD_HEADER_free(hdr);
		return 1;
	}
	h = m->header;
	type = cmp_msg_body_type(m);
	printf("body=%s\n", cmp_asn1_body_name(type));
	printf("pvno=%ld\n", ASN1_INTEGER_get(h->pvno));
	print_name("sender", h->sender);
	print_name("recipient", h->recipient);
	print_hex("tid", h->transactionID);
	print_hex("senderNonce", h->senderNonce);
	print_hex("recipNonce", h->recipNonce);
	printf("messageTime=%s\n", h->messageTime != NULL ? "present" : "absent");
	printf("protected=%d\n", m->protection != NULL);
	for (i = 0; i < sk_CMPD_ITAV_num(h->generalInfo); i++)
		printf("generalInfo=%s\n", OBJ_nid2sn(OBJ_obj2nid(
		    sk_CMPD_ITAV_value(h->generalInfo, i)->infoType)));
	printf("extraCerts=%d\n", m->extraCerts != NULL ?
	    sk_X509_num(m->extraCerts) : 0);
	print_certs("extraCert", m->extraCerts);
	if (type == CMPD_BODY_ERROR) {
		print_pkisi(m->body->value.error->pKIStatusInfo);
		if (m->body->value.error->errorCode != NULL)
			printf("errorCode=%ld\n", ASN1_INTEGER_get(
			    m->body->value.error->errorCode));
		print_text("errorDetails", m->body->value.error->errorDetails);
	} else if (type == CMPD_BODY_IP || type == CMPD_BODY_CP ||
	    type == CMPD_BODY_KUP || type == CMPD_BODY_CCP) {
		const CMPD_CERTREPMSG *rep = m->body->value.ip;

		printf("responses=%d\n", sk_CMPD_CERTRESPONSE_num(rep->response));
		printf("caPubs=%d\n", rep->caPubs != NULL ?
		    sk_X509_num(rep->caPubs) : 0);
		print_certs("caPub", rep->caPubs);
		for (i = 0; i < sk_CMPD_CERTRESPONSE_num(rep->response); i++) {
			const CMPD_CERTRESPONSE *r =
			    sk_CMPD_CERTRESPONSE_value(rep->response, i);

			printf("certReqId=%ld\n", ASN1_INTEGER_get(r->certReqId));
			print_pkisi(r->status);
		}
	} else if (type == CMPD_BODY_POLLREQ) {
		for (i = 0; i < sk_CMPD_POLLREQ_num(m->body->value.pollReq); i++)
			printf("certReqId=%ld\n", ASN1_INTEGER_get(
			    sk_CMPD_POLLREQ_value(m->body->value.pollReq,
			    i)->certReqId));
	} else if (type == CMPD_BODY_POLLREP) {
		for (i = 0; i < sk_CMPD_POLLREP_num(m->body->value.pollRep);
		    i++) {
			const CMPD_POLLREP *r =
			    sk_CMPD_POLLREP_value(m->body->value.pollRep, i);

			printf("certReqId=%ld\n", ASN1_INTEGER_get(r->certReqId));
			printf("checkAfter=%ld\n", ASN1_INTEGER_get(
			    r->checkAfter));
			print_text("reason", r->reason);
		}
	}
	CMPD_MSG_free(m);
	free(der);
	return 0;
}

static ASN1_OCTET_STRING *
hex_octets(const char *hex)
{
	ASN1_OCTET_STRING *s;
	unsigned char *b;
	long n;

	if (strcmp(hex, "none") == 0)
		return NULL;
	if (strcmp(hex, "empty") == 0)
		return ASN1_OCTET_STRING_new();
	if ((b = OPENSSL_hexstr2buf(hex, &n)) == NULL) {
		fprintf(stderr, "bad hex %s\n", hex);
		exit(2);
	}
	s = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(s, b, (int)n);
	OPENSSL_free(b);
	return s;
}

static X509 *
any_cert(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = cmp_msg_parse_name("CN=filler");

	X509_set_version(x, 2);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	X509_NAME_free(n);
	EVP_PKEY_free(k);
	return x;
}

/*
 * Flips the last byte of the first CertReqMsg: with no regInfo that is
 * the last byte of its POP signature, which then no longer verifies.
 */
static void
corrupt_pop(CMPD_MSG *m)
{
	OSSL_CRMF_MSGS *reqs = m->body->value.ir;
	OSSL_CRMF_MSG *crm, *bad;
	unsigned char *der = NULL;
	const unsigned char *p;
	int n;

	crm = sk_OSSL_CRMF_MSG_value(reqs, 0);
	if ((n = i2d_OSSL_CRMF_MSG(crm, &der)) <= 0) {
		fprintf(stderr, "badpop: no CertReqMsg\n");
		exit(2);
	}
	der[n - 1] ^= 0x01;
	p = der;
	if ((bad = d2i_OSSL_CRMF_MSG(NULL, &p, n)) == NULL) {
		fprintf(stderr, "badpop: corrupted CertReqMsg does not parse\n");
		exit(2);
	}
	sk_OSSL_CRMF_MSG_set(reqs, 0, bad);
	OSSL_CRMF_MSG_free(crm);
	OPENSSL_free(der);
}

/* A reasonCode extension in the first RevDetails of rr m (flags: how
 * X509V3_add1_i2d adds it). */
static void
rr_reason(CMPD_MSG *m, long v, unsigned long flags)
{
	CMPD_REVDETAILS *rd = sk_CMPD_REVDETAILS_value(m->body->value.rr, 0);
	ASN1_ENUMERATED *code = ASN1_ENUMERATED_new();

	ASN1_ENUMERATED_set(code, v);
	X509V3_add1_i2d(&rd->crlEntryDetails, NID_crl_reason, code, 0, flags);
	ASN1_ENUMERATED_free(code);
}

/*
 * Appends a CertReqMsg: certReqId id, the first template's subject, a
 * fresh P-256 key, and a signature POP with it (RFC 4211 4.1).
 */
static void
add_request(CMPD_MSG *m, long id)
{
	OSSL_CRMF_MSGS *reqs = m->body->value.ir;
	const OSSL_CRMF_CERTTEMPLATE *first;
	OSSL_CRMF_MSG *crm;
	EVP_PKEY *key;

	first = OSSL_CRMF_MSG_get0_tmpl(sk_OSSL_CRMF_MSG_value(reqs, 0));
	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (crm = OSSL_CRMF_MSG_new()) == NULL ||
	    !OSSL_CRMF_MSG_set_certReqId(crm, (int)id) ||
	    !OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(crm), key,
	    OSSL_CRMF_CERTTEMPLATE_get0_subject(first), NULL, NULL) ||
	    !OSSL_CRMF_MSG_create_popo(OSSL_CRMF_POPO_SIGNATURE, crm, key,
	    EVP_sha256(), NULL, NULL) ||
	    !sk_OSSL_CRMF_MSG_push(reqs, crm)) {
		fprintf(stderr, "addreq failed\n");
		exit(2);
	}
	EVP_PKEY_free(key);
}

/* One more certProfile in generalInfo: the names of the comma-separated
 * list v, or (raw) the DER whose hex v is. */
static void
add_cert_profile(CMPD_MSG *m, const char *v, int raw)
{
	CMPD_CERTPROFILE *names = sk_ASN1_UTF8STRING_new_null();
	ASN1_OCTET_STRING *bytes = NULL;
	unsigned char *der = NULL;
	char buf[1024], *tok, *save = NULL;
	CMPD_ITAV *itav = CMPD_ITAV_new();
	ASN1_UTF8STRING *s;
	int len;

	if (raw) {
		bytes = hex_octets(v);
		itav->infoValue = cmp_itav_seq_value(
		    ASN1_STRING_get0_data(bytes), ASN1_STRING_length(bytes));
	} else {
		snprintf(buf, sizeof(buf), "%s", v);
		for (tok = strtok_r(buf, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			s = ASN1_UTF8STRING_new();
			ASN1_STRING_set(s, tok, -1);
			sk_ASN1_UTF8STRING_push(names, s);
		}
		len = i2d_CMPD_CERTPROFILE(names, &der);
		itav->infoValue = cmp_itav_seq_value(der, len);
	}
	itav->infoType = cmp_itav_oid(CMP_ITAV_OID_CERTPROFILE);
	if (itav->infoValue == NULL || itav->infoType == NULL) {
		fprintf(stderr, "certProfile failed\n");
		exit(2);
	}
	if (m->header->generalInfo == NULL)
		m->header->generalInfo = sk_CMPD_ITAV_new_null();
	sk_CMPD_ITAV_push(m->header->generalInfo, itav);
	ASN1_OCTET_STRING_free(bytes);
	OPENSSL_free(der);
	CMPD_CERTPROFILE_free(names);
}

static CMPD_MSG *load_msg(const char *);

static void
edit_one(CMPD_MSG *m, const char *e)
{
	CMPD_HEADER *h = m->header;
	const char *v = strchr(e, '=');
	size_t kl;
	long n;
	int i;

	if (v == NULL) {
		fprintf(stderr, "edit %s: expected key=value\n", e);
		exit(2);
	}
	kl = (size_t)(v++ - e);
#define KEY(k)	(kl == strlen(k) && strncmp(e, k, kl) == 0)
	if (KEY("pvno")) {
		ASN1_INTEGER_set(h->pvno, atol(v));
	} else if (KEY("tid")) {
		ASN1_OCTET_STRING_free(h->transactionID);
		h->transactionID = hex_octets(v);
	} else if (KEY("senderNonce")) {
		ASN1_OCTET_STRING_free(h->senderNonce);
		h->senderNonce = hex_octets(v);
	} else if (KEY("recipNonce")) {
		ASN1_OCTET_STRING_free(h->recipNonce);
		h->recipNonce = hex_octets(v);
	} else if (KEY("messageTime")) {
		ASN1_GENERALIZEDTIME_free(h->messageTime);
		h->messageTime = NULL;
		if (strcmp(v, "none") != 0)
			h->messageTime = ASN1_GENERALIZEDTIME_adj(NULL,
			    time(NULL), 0, atol(v));
	} else if (KEY("protection")) {
		ASN1_BIT_STRING_free(m->protection);
		m->protection = NULL;
		if (strcmp(v, "none") != 0) {
			m->protection = ASN1_BIT_STRING_new();
			ASN1_BIT_STRING_set(m->protection,
			    (unsigned char *)v, (int)strlen(v));
		}
	} else if (KEY("protectionAlg")) {
		X509_ALGOR_free(h->protectionAlg);
		h->protectionAlg = NULL;
		if (strcmp(v, "none") != 0) {
			h->protectionAlg = X509_ALGOR_new();
			X509_ALGOR_set0(h->protectionAlg, OBJ_txt2obj(v, 1),
			    V_ASN1_UNDEF, NULL);
		}
	} else if (KEY("sender") && strcmp(v, "uri") == 0) {
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		ASN1_STRING_set(s, "urn:x:y", -1);
		GENERAL_NAME_free(h->sender);
		h->sender = GENERAL_NAME_new();
		GENERAL_NAME_set0_value(h->sender, GEN_URI, s);
	} else if (KEY("extraCertsReversed")) {
		STACK_OF(X509) *r = sk_X509_new_null();

		while (sk_X509_num(m->extraCerts) > 0)
			sk_X509_push(r, sk_X509_pop(m->extraCerts));
		sk_X509_free(m->extraCerts);
		m->extraCerts = r;
	} else if (KEY("extraCerts")) {
		X509 *x;

		n = atol(v);
		if (m->extraCerts == NULL)
			m->extraCerts = sk_X509_new_null();
		x = sk_X509_num(m->extraCerts) > 0 ?
		    X509_dup(sk_X509_value(m->extraCerts, 0)) : any_cert();
		while (sk_X509_num(m->extraCerts) > 0)
			X509_free(sk_X509_pop(m->extraCerts));
		for (i = 0; i < n; i++)
			sk_X509_push(m->extraCerts, X509_dup(x));
		X509_free(x);
	} else if (KEY("signer")) {
		/* extraCerts the certificate of FILE alone, sender its
		 * subject, no senderKID: for resign= with its key */
		BIO *b = BIO_new_file(v, "r");
		X509 *x = b == NULL ? NULL : PEM_read_bio_X509(b, NULL, NULL,
		    NULL);

		BIO_free(b);
		if (x == NULL) {
			fprintf(stderr, "signer: cannot read %s\n", v);
			exit(2);
		}
		sk_X509_pop_free(m->extraCerts, X509_free);
		m->extraCerts = sk_X509_new_null();
		sk_X509_push(m->extraCerts, x);
		GENERAL_NAME_free(h->sender);
		h->sender = GENERAL_NAME_new();
		GENERAL_NAME_set0_value(h->sender, GEN_DIRNAME,
		    X509_NAME_dup(X509_get_subject_name(x)));
		ASN1_OCTET_STRING_free(h->senderKID);
		h->senderKID = NULL;
	} else if (KEY("senderKID")) {
		ASN1_OCTET_STRING_free(h->senderKID);
		h->senderKID = hex_octets(v);
	} else if (KEY("pbmfrom")) {
		/* protectionAlg, senderKID and sender of a MAC'd message,
		 * for remac= */
		CMPD_MSG *src = load_msg(v);

		X509_ALGOR_free(h->protectionAlg);
		h->protectionAlg = X509_ALGOR_dup(src->header->protectionAlg);
		ASN1_OCTET_STRING_free(h->senderKID);
		h->senderKID = ASN1_OCTET_STRING_dup(src->header->senderKID);
		GENERAL_NAME_free(h->sender);
		h->sender = GENERAL_NAME_dup(src->header->sender);
		CMPD_MSG_free(src);
	} else if (KEY("nosubject")) {
		/* an empty subject in the first CertReqMsg's template */
		X509_NAME *empty = X509_NAME_new();

		OSSL_CRMF_CERTTEMPLATE_fill(OSSL_CRMF_MSG_get0_tmpl(
		    sk_OSSL_CRMF_MSG_value(m->body->value.ir, 0)), NULL, empty,
		    NULL, NULL);
		X509_NAME_free(empty);
	} else if (KEY("rrnoserial")) {
		/* certDetails with the issuer only */
		CMPD_REVDETAILS *rd = sk_CMPD_REVDETAILS_value(m->body->value.rr,
		    0);
		OSSL_CRMF_CERTTEMPLATE *t = OSSL_CRMF_CERTTEMPLATE_new();

		OSSL_CRMF_CERTTEMPLATE_fill(t, NULL, NULL,
		    OSSL_CRMF_CERTTEMPLATE_get0_issuer(rd->certDetails), NULL);
		OSSL_CRMF_CERTTEMPLATE_free(rd->certDetails);
		rd->certDetails = t;
	} else if (KEY("noreq")) {
		/* an ir/cr/kur without any CertReqMsg */
		while (sk_OSSL_CRMF_MSG_num(m->body->value.ir) > 0)
			OSSL_CRMF_MSG_free(sk_OSSL_CRMF_MSG_pop(
			    m->body->value.ir));
	} else if (KEY("rrreason") || KEY("rrreasonalso")) {
		/* the first RevDetails' reasonCode, any value, even one RFC
		 * 5280 5.3.1 does not define; "also": one more after it */
		rr_reason(m, atol(v), KEY("rrreason") ? X509V3_ADD_REPLACE :
		    X509V3_ADD_APPEND);
	} else if (KEY("duprr")) {
		sk_CMPD_REVDETAILS_push(m->body->value.rr, CMPD_REVDETAILS_dup(
		    sk_CMPD_REVDETAILS_value(m->body->value.rr, 0)));
	} else if (KEY("addreq")) {
		add_request(m, atol(v));
	} else if (KEY("ccr")) {
		/* the ir's CertReqMessages as a ccr (RFC 9810 5.3.11) */
		m->body->type = CMPD_BODY_CCR;
	} else if (KEY("nested")) {
		/* the message as the one inner message of a nested body */
		STACK_OF(CMPD_MSG) *in = sk_CMPD_MSG_new_null();
		CMPD_BODY *b = CMPD_BODY_new();

		sk_CMPD_MSG_push(in, CMPD_MSG_dup(m));
		b->type = CMPD_BODY_NESTED;
		b->value.nested = in;
		CMPD_BODY_free(m->body);
		m->body = b;
	} else if (KEY("duppoll")) {
		/* a pollReq asking for a second certReqId too */
		CMPD_POLLREQ *pr = CMPD_POLLREQ_new();

		ASN1_INTEGER_set(pr->certReqId, 1);
		sk_CMPD_POLLREQ_push(m->body->value.pollReq, pr);
	} else if (KEY("pollid")) {
		/* the first pollReq entry's certReqId */
		ASN1_INTEGER_set(sk_CMPD_POLLREQ_value(m->body->value.pollReq,
		    0)->certReqId, atol(v));
	} else if (KEY("certProfile") || KEY("certProfileRaw")) {
		add_cert_profile(m, v, KEY("certProfileRaw"));
	} else if (KEY("dupreq")) {
		OSSL_CRMF_MSG *copy;
		int id, copies = atoi(v);

		for (id = 1; id <= copies; id++) {
			copy = OSSL_CRMF_MSG_dup(sk_OSSL_CRMF_MSG_value(
			    m->body->value.ir, 0));
			OSSL_CRMF_MSG_set_certReqId(copy, id);
			sk_OSSL_CRMF_MSG_push(m->body->value.ir, copy);
		}
	} else if (KEY("resign")) {
		CMPD_PROTECTEDPART pp;
		EVP_PKEY *key;
		EVP_MD_CTX *sctx = NULL;
		EVP_PKEY_CTX *pctx;
		char path[512], *colon, *dig = NULL;
		const EVP_MD *md = EVP_sha256();
		int pss = 0, ok;
		BIO *b;

		/* KEYFILE[:DIGEST[:pss]] */
		snprintf(path, sizeof(path), "%s", v);
		if ((colon = strchr(path, ':')) != NULL) {
			*colon = '\0';
			dig = colon + 1;
			if ((colon = strchr(dig, ':')) != NULL) {
				*colon = '\0';
				pss = strcmp(colon + 1, "pss") == 0;
			}
			/* none: EdDSA signs the message itself */
			if (strcmp(dig, "none") == 0)
				md = NULL;
			else if ((md = EVP_get_digestbyname(dig)) == NULL) {
				fprintf(stderr, "resign: no digest %s\n", dig);
				exit(2);
			}
		}
		b = BIO_new_file(path, "r");
		if (b == NULL || (key = PEM_read_bio_PrivateKey(b, NULL, NULL,
		    NULL)) == NULL) {
			fprintf(stderr, "resign: cannot read key %s\n", path);
			exit(2);
		}
		BIO_free(b);
		pp.header = h;
		pp.body = m->body;
		/* pss: RSASSA-PSS with an rsaEncryption key, salt of the
		 * digest's length */
		if (pss)
			ok = (sctx = EVP_MD_CTX_new()) != NULL &&
			    EVP_DigestSignInit(sctx, &pctx, md, NULL, key) ==
			    1 && EVP_PKEY_CTX_set_rsa_padding(pctx,
			    RSA_PKCS1_PSS_PADDING) > 0 &&
			    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
			    RSA_PSS_SALTLEN_DIGEST) > 0 &&
			    ASN1_item_sign_ctx(ASN1_ITEM_rptr(CMPD_PROTECTEDPART),
			    h->protectionAlg, NULL, m->protection, &pp,
			    sctx) > 0;
		else
			ok = ASN1_item_sign(ASN1_ITEM_rptr(CMPD_PROTECTEDPART),
			    h->protectionAlg, NULL, m->protection, &pp, key,
			    md) > 0;
		EVP_MD_CTX_free(sctx);
		if (!ok) {
			fprintf(stderr, "resign failed\n");
			exit(2);
		}
		EVP_PKEY_free(key);
	} else if (KEY("iter") || KEY("owf")) {
		/* the PBM iterationCount or owf (a digest name); remac=
		 * after it MACs with them */
		const ASN1_OBJECT *oid;
		const void *pval;
		const ASN1_STRING *seq;
		const unsigned char *p;
		unsigned char *der = NULL;
		CMPD_PBMPARAMETER *pbm;
		ASN1_STRING *params;
		int ptype, dl;

		X509_ALGOR_get0(&oid, &ptype, &pval, h->protectionAlg);
		if (ptype != V_ASN1_SEQUENCE || (seq = pval) == NULL) {
			fprintf(stderr, "iter: no PBM parameters\n");
			exit(2);
		}
		p = ASN1_STRING_get0_data(seq);
		if ((pbm = d2i_CMPD_PBMPARAMETER(NULL, &p,
		    ASN1_STRING_length(seq))) == NULL) {
			fprintf(stderr, "iter: bad PBM parameters\n");
			exit(2);
		}
		if (KEY("iter"))
			ASN1_INTEGER_set(pbm->iterationCount, atol(v));
		else if (OBJ_sn2nid(v) == NID_undef ||
		    !X509_ALGOR_set0(pbm->owf, OBJ_nid2obj(OBJ_sn2nid(v)),
		    V_ASN1_UNDEF, NULL)) {
			fprintf(stderr, "owf: unknown digest %s\n", v);
			exit(2);
		}
		dl = i2d_CMPD_PBMPARAMETER(pbm, &der);
		params = ASN1_STRING_new();
		ASN1_STRING_set(params, der, dl);
		X509_ALGOR_set0(h->protectionAlg,
		    OBJ_nid2obj(NID_id_PasswordBasedMAC), V_ASN1_SEQUENCE,
		    params);
		OPENSSL_free(der);
		CMPD_PBMPARAMETER_free(pbm);
	} else if (KEY("badpop")) {
		corrupt_pop(m);
	} else if (KEY("remac")) {
		CMPD_MSG *params = CMPD_MSG_dup(m);

		if (cmp_protect_pbm(m, params, (const unsigned char *)v,
		    strlen(v), 10000000L, 1) != 0) {
			fprintf(stderr, "remac failed\n");
			exit(2);
		}
		/* the request's own senderKID stays */
		CMPD_MSG_free(params);
	} else {
		fprintf(stderr, "unknown edit %s\n", e);
		exit(2);
	}
#undef KEY
}

static int
edit(const char *in, const char *out, int n, char **edits)
{
	unsigned char *der, *enc = NULL;
	CMPD_MSG *m = NULL;
	size_t len;
	FILE *f;
	int i, r = 1;

	der = read_all(in, &len);
	if (cmp_msg_decode(der, len, &m, NULL) != 0) {
		fprintf(stderr, "%s: not a PKIMessage\n", in);
		goto out;
	}
	for (i = 0; i < n; i++)
		edit_one(m, edits[i]);
	if (cmp_msg_encode(m, &enc, &len) != 0 ||
	    (f = fopen(out, "wb")) == NULL)
		goto out;
	fwrite(enc, 1, len, f);
	r = fclose(f) == 0 ? 0 : 1;
 out:
	OPENSSL_free(enc);
	CMPD_MSG_free(m);
	free(der);
	return r;
}

static const CMPD_CERTRESPONSE *
first_response(const CMPD_MSG *m)
{
	int t = cmp_msg_body_type(m);

	if (t != CMPD_BODY_IP && t != CMPD_BODY_CP && t != CMPD_BODY_KUP)
		return NULL;
	return sk_CMPD_CERTRESPONSE_value(m->body->value.ip->response, 0);
}

static X509 *
issued_cert(const CMPD_MSG *m)
{
	const CMPD_CERTRESPONSE *r = first_response(m);

	if (r == NULL || r->certifiedKeyPair == NULL ||
	    r->certifiedKeyPair->certOrEncCert->type !=
	    CMPD_CERTORENCCERT_CERTIFICATE)
		return NULL;
	return r->certifiedKeyPair->certOrEncCert->value.certificate;
}

static CMPD_MSG *
load_msg(const char *path)
{
	unsigned char *der;
	CMPD_MSG *m = NULL;
	size_t len;

	der = read_all(path, &len);
	if (cmp_msg_decode(der, len, &m, NULL) != 0) {
		fprintf(stderr, "%s: not a PKIMessage\n", path);
		exit(2);
	}
	free(der);
	return m;
}

static int
write_msg(const CMPD_MSG *m, const char *out)
{
	unsigned char *enc = NULL;
	size_t len;
	FILE *f;
	int r = 1;

	if (cmp_msg_encode(m, &enc, &len) == 0 &&
	    (f = fopen(out, "wb")) != NULL) {
		fwrite(enc, 1, len, f);
		r = fclose(f) == 0 ? 0 : 1;
	}
	OPENSSL_free(enc);
	return r;
}

static int
cert(const char *in, const char *out)
{
	CMPD_MSG *m = load_msg(in);
	X509 *x = issued_cert(m);
	FILE *f;
	int r = 1;

	if (x != NULL && (f = fopen(out, "w")) != NULL) {
		PEM_write_X509(f, x);
		r = fclose(f) == 0 ? 0 : 1;
	}
	CMPD_MSG_free(m);
	return r;
}

/*
 * Signs m with "CERTFILE:KEYFILE" (PEM; CERTFILE holds the signer and
 * then its chain): sender, senderKID, extraCerts.
 */
static int
certconf_sign(CMPD_MSG *m, const char *spec)
{
	char certf[1024];
	const char *colon = strchr(spec, ':');
	STACK_OF(X509) *chain = sk_X509_new_null();
	EVP_PKEY *key = NULL;
	X509 *x = NULL, *c;
	BIO *b;
	int r = -1;

	if (chain == NULL || colon == NULL ||
	    (size_t)(colon - spec) >= sizeof(certf))
		goto out;
	snprintf(certf, sizeof(certf), "%.*s", (int)(colon - spec), spec);
	if ((b = BIO_new_file(certf, "r")) != NULL) {
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		while ((c = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
			sk_X509_push(chain, c);
		BIO_free(b);
	}
	if ((b = BIO_new_file(colon + 1, "r")) != NULL) {
		key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (x != NULL && key != NULL)
		r = cmp_protect_sig(m, key, x, chain);
 out:
	sk_X509_pop_free(chain, X509_free);
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}

/* SHAKE256 of x's DER, 512 bits (RFC 9481 2.2). */
static int
shake512(X509 *x, unsigned char *md, unsigned int *mdlen)
{
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int len, r = -1;

	if (ctx != NULL && (len = i2d_X509(x, &der)) > 0 &&
	    EVP_DigestInit_ex(ctx, EVP_shake256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, der, (size_t)len) == 1 &&
	    EVP_DigestFinalXOF(ctx, md, 64) == 1) {
		*mdlen = 64;
		r = 0;
	}
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return r;
}

/*
 * A certConf for the certificate in rsp, as openssl cmp would send it:
 * MAC'd with SECRET and rsp's PBM parameters, or signed ("sig:CERT:KEY").
 */
static int
certconf(const char *in, const char *out, const char *secret,
    const char *how)
{
	CMPD_MSG *rsp = load_msg(in), *cc;
	CMPD_CERTSTATUS *cs;
	unsigned char md[EVP_MAX_MD_SIZE], nonce[16];
	unsigned int mdlen;
	STACK_OF(CMPD_CERTRESPONSE) *resps;
	const CMPD_CERTRESPONSE *cr;
	int r, i, t, last = -1;
	X509 *x;

	t = cmp_msg_body_type(rsp);
	/* an error message may answer any message, a pollRep or an ip
	 * that says waiting too */
	if (strcmp(how, "error") == 0)
		resps = NULL;
	else if (t != CMPD_BODY_IP && t != CMPD_BODY_CP &&
	    t != CMPD_BODY_KUP) {
		fprintf(stderr, "%s: no certificate\n", in);
		return 2;
	} else
		resps = rsp->body->value.ip->response;
	for (i = 0; i < sk_CMPD_CERTRESPONSE_num(resps); i++)
		if ((cr = sk_CMPD_CERTRESPONSE_value(resps, i))->
		    certifiedKeyPair != NULL)
			last = i;
	if (last < 0 && resps != NULL) {
		fprintf(stderr, "%s: no certificate\n", in);
		return 2;
	}
	cc = CMPD_MSG_new();
	ASN1_INTEGER_set(cc->header->pvno, 2);
	GENERAL_NAME_set0_value(cc->header->sender, GEN_DIRNAME,
	    cmp_msg_parse_name("CN=cmptool"));
	GENERAL_NAME_free(cc->header->recipient);
	cc->header->recipient = GENERAL_NAME_dup(rsp->header->sender);
	cc->header->messageTime = ASN1_GENERALIZEDTIME_set(NULL, time(NULL));
	cc->header->transactionID =
	    ASN1_OCTET_STRING_dup(rsp->header->transactionID);
	RAND_bytes(nonce, sizeof(nonce));
	cc->header->senderNonce = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(cc->header->senderNonce, nonce, sizeof(nonce));
	if (strcmp(how, "badnonce") == 0) {
		cc->header->recipNonce = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(cc->header->recipNonce, nonce,
		    sizeof(nonce));
	} else
		cc->header->recipNonce =
		    ASN1_OCTET_STRING_dup(rsp->header->senderNonce);
	if (strcmp(how, "error") == 0) {
		/* RFC 9483 3.6.4: the client gives up on the transaction */
		cc->body->type = CMPD_BODY_ERROR;
		cc->body->value.error = CMPD_ERRORMSG_new();
		CMPD_PKISI_free(cc->body->value.error->pKIStatusInfo);
		cc->body->value.error->pKIStatusInfo = cmp_msg_pkisi_new(
		    CMPD_PKISTATUS_REJECTION, CMPD_FAIL_BADCERTTEMPLATE,
		    "the client gives up");
	} else {
		cc->body->type = CMPD_BODY_CERTCONF;
		cc->body->value.certConf = sk_CMPD_CERTSTATUS_new_null();
	}
	/* one CertStatus per certificate of the answer (RFC 9810 5.3.18) */
	for (i = 0; cc->body->type == CMPD_BODY_CERTCONF &&
	    i < sk_CMPD_CERTRESPONSE_num(resps); i++) {
		cr = sk_CMPD_CERTRESPONSE_value(resps, i);
		if (cr->certifiedKeyPair == NULL || cr->certifiedKeyPair->
		    certOrEncCert->type != CMPD_CERTORENCCERT_CERTIFICATE)
			continue;
		x = cr->certifiedKeyPair->certOrEncCert->value.certificate;
		if (strncmp(how, "shake", 5) == 0) {
			if (shake512(x, md, &mdlen) != 0)
				return 2;
		} else
			X509_digest(x, EVP_sha256(), md, &mdlen);
		if (strcmp(how, "badhash") == 0)
			md[0] ^= 1;
		cs = CMPD_CERTSTATUS_new();
		ASN1_OCTET_STRING_set(cs->certHash, md, (int)mdlen);
		if (strcmp(how, "shakealg") == 0) {
			ASN1_INTEGER_set(cc->header->pvno, 3);
			cs->hashAlg = X509_ALGOR_new();
			X509_ALGOR_set0(cs->hashAlg, OBJ_nid2obj(NID_shake256),
			    V_ASN1_UNDEF, NULL);
		}
		ASN1_INTEGER_set(cs->certReqId, ASN1_INTEGER_get(
		    cr->certReqId) + (strcmp(how, "badid") == 0));
		if (strcmp(how, "reject") == 0 ||
		    (strcmp(how, "rejectlast") == 0 && i == last))
			cs->statusInfo = cmp_msg_pkisi_new(
			    CMPD_PKISTATUS_REJECTION,
			    CMPD_FAIL_BADCERTTEMPLATE, "not what I asked for");
		if (strcmp(how, "empty") == 0 ||
		    (strcmp(how, "firstonly") == 0 &&
		    sk_CMPD_CERTSTATUS_num(cc->body->value.certConf) > 0))
			CMPD_CERTSTATUS_free(cs);
		else
			sk_CMPD_CERTSTATUS_push(cc->body->value.certConf, cs);
	}
	if (strncmp(secret, "sig:", 4) == 0) {
		if (certconf_sign(cc, secret + 4) != 0) {
			fprintf(stderr, "certconf: cannot sign\n");
			return 2;
		}
	} else if (cmp_protect_pbm(cc, rsp, (const unsigned char *)secret,
	    strlen(secret), 10000000L, 1) != 0) {
		fprintf(stderr, "certconf: cannot protect\n");
		return 2;
	}
	r = write_msg(cc, out);
	CMPD_MSG_free(cc);
	CMPD_MSG_free(rsp);
	return r;
}

int
main(int argc, char *argv[])
{
	if (argc == 3 && strcmp(argv[1], "dump") == 0)
		return dump(argv[2]);
	if (argc >= 4 && strcmp(argv[1], "edit") == 0)
		return edit(argv[2], argv[3], argc - 4, argv + 4);
	if (argc == 4 && strcmp(argv[1], "cert") == 0)
		return cert(argv[2], argv[3]);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "certconf") == 0)
		return certconf(argv[2], argv[3], argv[4],
		    argc == 6 ? argv[5] : "ok");
	fprintf(stderr, "usage: cmptool dump FILE | cert FILE OUT | "
	    "certconf RSP OUT SECRET [badhash|badid|badnonce|reject|"
	    "rejectlast|firstonly|empty|error|shake|shakealg] | "
	    "edit IN OUT key=value...\n");
	return 2;
}
