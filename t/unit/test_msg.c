/* cmp_msg.c: strict decoding, the answers cmpd builds, names. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crmf.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "fixture.h"
#include "tap.h"

static int
octets_eq(const ASN1_OCTET_STRING *a, const ASN1_OCTET_STRING *b)
{
	return a != NULL && b != NULL && ASN1_OCTET_STRING_cmp(a, b) == 0;
}

int
main(void)
{
	unsigned char *der, *bad, *enc = NULL;
	CMPD_HEADER *hdr = NULL;
	CMPD_MSG *req, *m = NULL, *back = NULL;
	const struct cmp_fail_def *d = cmp_error_def(CMPF_TID_SHORT);
	X509_NAME *srv, *n;
	enum prot_method pm;
	size_t len, elen;
	long id;

	der = fixture_read("ir-pbm.der", &len);
	ok(cmp_msg_decode(der, len, &m, &hdr) == 0 && hdr == NULL,
	    "ir decodes");
	CMPD_MSG_free(m);
	m = NULL;

	/* trailing garbage */
	bad = malloc(len + 1);
	memcpy(bad, der, len);
	bad[len] = 0;
	ok(cmp_msg_decode(bad, len + 1, &m, &hdr) != 0 && m == NULL,
	    "trailing byte refused");
	ok(hdr != NULL, "header recovered for the error answer");
	CMPD_HEADER_free(hdr);
	hdr = NULL;
	/* truncated: the header is still whole */
	ok(cmp_msg_decode(der, len / 2 + 60, &m, &hdr) != 0, "truncated refused");
	ok(hdr != NULL && hdr->transactionID != NULL,
	    "header of a truncated message recovered");
	CMPD_HEADER_free(hdr);
	hdr = NULL;
	ok(cmp_msg_decode(der, 10, &m, &hdr) != 0 && hdr == NULL,
	    "10 bytes: nothing recovered");
	ok(cmp_msg_decode((const unsigned char *)"garbage", 7, &m, &hdr) != 0 &&
	    hdr == NULL, "garbage refused");
	ok(cmp_msg_decode(der, 0, &m, &hdr) != 0, "empty refused");
	/* BER: the outer SEQUENCE with indefinite length */
	{
		size_t hl = (der[1] & 0x80) ? 2 + (der[1] & 0x7f) : 2;
		size_t bl = len - hl + 4;
		unsigned char *ber = malloc(bl);

		ber[0] = 0x30;
		ber[1] = 0x80;
		memcpy(ber + 2, der + hl, len - hl);
		ber[bl - 2] = ber[bl - 1] = 0;
		ok(cmp_msg_decode(ber, bl, &m, &hdr) != 0 && m == NULL,
		    "BER (indefinite length) refused");
		CMPD_HEADER_free(hdr);
		hdr = NULL;
		free(ber);
	}
	free(bad);
	free(der);

	req = fixture_msg("ir-pbm.der");
	srv = cmp_msg_parse_name("CN=cmpd,O=Test");
	ok(srv != NULL && X509_NAME_entry_count(srv) == 2, "parse CN=,O=");

	m = cmp_msg_error_new(req->header, srv, d, "some text");
	ok(m != NULL && cmp_msg_body_type(m) == CMPD_BODY_ERROR, "error built");
	ok(cmp_msg_encode(m, &enc, &elen) == 0 &&
	    cmp_msg_decode(enc, elen, &back, NULL) == 0, "error round-trips");
	ok(octets_eq(back->header->transactionID, req->header->transactionID),
	    "transactionID echoed");
	ok(octets_eq(back->header->recipNonce, req->header->senderNonce),
	    "recipNonce = request senderNonce");
	ok(back->header->senderNonce != NULL &&
	    ASN1_STRING_length(back->header->senderNonce) == 16 &&
	    !octets_eq(back->header->senderNonce, req->header->senderNonce),
	    "fresh 16-byte senderNonce");
	is_int(ASN1_INTEGER_get(back->header->pvno), 2, "pvno echoed");
	ok(back->header->sender->type == GEN_DIRNAME &&
	    X509_NAME_cmp(back->header->sender->d.directoryName, srv) == 0,
	    "sender is the server name");
	ok(GENERAL_NAME_cmp(back->header->recipient, req->header->sender) == 0,
	    "recipient is the request's sender");
	ok(back->protection == NULL, "unprotected");
	{
		CMPD_ERRORMSG *e = back->body->value.error;

		is_int(ASN1_INTEGER_get(e->pKIStatusInfo->status), 2,
		    "status rejection");
		ok(ASN1_BIT_STRING_get_bit(e->pKIStatusInfo->failInfo,
		    CMPD_FAIL_BADREQUEST), "failInfo badRequest");
		is_int(ASN1_INTEGER_get(e->errorCode), CMPF_TID_SHORT,
		    "errorCode is the failure number");
		ok(sk_ASN1_UTF8STRING_num(e->pKIStatusInfo->statusString) == 1,
		    "one statusString");
	}
	CMPD_MSG_free(m);
	CMPD_MSG_free(back);
	OPENSSL_free(enc);
	back = NULL;
	enc = NULL;

	id = cmp_msg_first_cert_req_id(req);
	is_int(id, 0, "openssl cmp uses certReqId 0");
	m = cmp_msg_rejection_new(req->header, srv, CMPD_BODY_IP, id, d, NULL);
	ok(m != NULL && cmp_msg_encode(m, &enc, &elen) == 0 &&
	    cmp_msg_decode(enc, elen, &back, NULL) == 0, "ip rejection built");
	if (back != NULL) {
		CMPD_CERTRESPONSE *cr = sk_CMPD_CERTRESPONSE_value(
		    back->body->value.ip->response, 0);

		is_int(cmp_msg_body_type(back), CMPD_BODY_IP, "body ip");
		is_int(ASN1_INTEGER_get(cr->certReqId), 0, "certReqId echoed");
		ok(cr->certifiedKeyPair == NULL, "no certificate");
		ok(ASN1_BIT_STRING_get_bit(cr->status->failInfo,
		    CMPD_FAIL_BADREQUEST), "failInfo set");
	}
	CMPD_MSG_free(m);
	CMPD_MSG_free(back);
	OPENSSL_free(enc);

	/* nothing decoded at all: NULL-DN recipient, no tid */
	m = cmp_msg_error_new(NULL, srv, cmp_error_def(CMPF_BAD_DER), NULL);
	ok(m != NULL && m->header->transactionID == NULL &&
	    m->header->recipient->type == GEN_DIRNAME &&
	    X509_NAME_entry_count(m->header->recipient->d.directoryName) == 0,
	    "answer to nothing: NULL-DN recipient");
	CMPD_MSG_free(m);

	is_int(cmp_msg_rep_type(CMPD_BODY_IR), CMPD_BODY_IP, "ir -> ip");
	is_int(cmp_msg_rep_type(CMPD_BODY_CR), CMPD_BODY_CP, "cr -> cp");
	is_int(cmp_msg_rep_type(CMPD_BODY_KUR), CMPD_BODY_KUP, "kur -> kup");
	is_int(cmp_msg_rep_type(CMPD_BODY_P10CR), CMPD_BODY_CP, "p10cr -> cp");
	is_int(cmp_msg_rep_type(CMPD_BODY_RR), -1, "rr -> error");

	ok(cmp_msg_prot_method(req->header, &pm) == 0 &&
	    pm == PROT_SHARED_SECRET, "PBM is a shared-secret method");
	CMPD_MSG_free(req);
	req = fixture_msg("ir-sig.der");
	ok(cmp_msg_prot_method(req->header, &pm) == 0 && pm == PROT_SIGNATURE,
	    "ECDSA is a signature method");
	CMPD_MSG_free(req);
	req = fixture_msg("ir-sig-rsa.der");
	ok(cmp_msg_prot_method(req->header, &pm) == 0 && pm == PROT_SIGNATURE,
	    "RSA is a signature method");
	X509_ALGOR_set0(req->header->protectionAlg,
	    OBJ_txt2obj("1.2.3.4", 1), V_ASN1_UNDEF, NULL);
	ok(cmp_msg_prot_method(req->header, &pm) != 0, "unknown OID refused");
	CMPD_MSG_free(req);
	req = fixture_msg("ir-none.der");
	ok(cmp_msg_prot_method(req->header, &pm) == 0 && pm == PROT_NONE,
	    "unprotected");
	CMPD_MSG_free(req);

	n = cmp_msg_parse_name("/CN=a/O=b\\/c");
	ok(n != NULL && X509_NAME_entry_count(n) == 2, "slash form, escape");
	X509_NAME_free(n);
	ok(cmp_msg_parse_name("") == NULL, "empty name refused");
	ok(cmp_msg_parse_name("CN") == NULL, "no '=' refused");
	ok(cmp_msg_parse_name("XX=y") == NULL, "unknown attribute refused");
	X509_NAME_free(srv);
	return done_testing();
}
