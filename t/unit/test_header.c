/* cmp_header.c: every PKIHeader rule, on messages of the real client. */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "cmpd.h"
#include "fixture.h"
#include "tap.h"

static void
set_octets(ASN1_OCTET_STRING **s, size_t n)
{
	unsigned char buf[128];

	memset(buf, 0x5a, sizeof(buf));
	ASN1_OCTET_STRING_free(*s);
	*s = NULL;
	if (n == (size_t)-1)
		return;
	*s = ASN1_OCTET_STRING_new();
	ASN1_OCTET_STRING_set(*s, buf, (int)n);
}

static enum cmp_fail
check(const CMPD_MSG *m, long skew, char *arg)
{
	return cmp_header_check(m, time(NULL), skew, arg, 64);
}

int
main(void)
{
	CMPD_MSG *ir = fixture_msg("ir-pbm.der");
	CMPD_MSG *cc = fixture_msg("certConf-pbm.der");
	CMPD_MSG *m;
	char arg[64];
	int i;

	is_int(check(ir, 0, arg), CMPF_OK, "openssl cmp's ir passes");
	is_int(check(cc, 0, arg), CMPF_OK, "openssl cmp's certConf passes");

	m = CMPD_MSG_dup(ir);
	ASN1_INTEGER_set(m->header->pvno, 1);
	is_int(check(m, 0, arg), CMPF_UNSUPPORTED_VERSION, "pvno 1 refused");
	is_str(arg, "1", "text names version 1");
	ASN1_INTEGER_set(m->header->pvno, 3);
	is_int(check(m, 0, arg), CMPF_OK, "pvno 3 accepted");
	ASN1_INTEGER_set(m->header->pvno, 4);
	is_int(check(m, 0, arg), CMPF_UNSUPPORTED_VERSION, "pvno 4 refused");
	CMPD_MSG_free(m);

	m = CMPD_MSG_dup(ir);
	{
		ASN1_IA5STRING *u = ASN1_IA5STRING_new();

		ASN1_STRING_set(u, "urn:x", -1);
		GENERAL_NAME_free(m->header->sender);
		m->header->sender = GENERAL_NAME_new();
		GENERAL_NAME_set0_value(m->header->sender, GEN_URI, u);
	}
	is_int(check(m, 0, arg), CMPF_SENDER_NOT_DN, "URI sender refused");
	CMPD_MSG_free(m);

	m = CMPD_MSG_dup(ir);
	set_octets(&m->header->transactionID, (size_t)-1);
	is_int(check(m, 0, arg), CMPF_TID_MISSING, "no transactionID");
	set_octets(&m->header->transactionID, 15);
	is_int(check(m, 0, arg), CMPF_TID_SHORT, "15-byte transactionID");
	set_octets(&m->header->transactionID, 16);
	is_int(check(m, 0, arg), CMPF_OK, "16-byte transactionID");
	set_octets(&m->header->transactionID, 65);
	is_int(check(m, 0, arg), CMPF_TID_LONG, "65-byte transactionID");
	set_octets(&m->header->transactionID, 16);
	set_octets(&m->header->senderNonce, (size_t)-1);
	is_int(check(m, 0, arg), CMPF_SENDER_NONCE_MISSING, "no senderNonce");
	set_octets(&m->header->senderNonce, 8);
	is_int(check(m, 0, arg), CMPF_SENDER_NONCE_SHORT, "8-byte senderNonce");
	set_octets(&m->header->senderNonce, 100);
	is_int(check(m, 0, arg), CMPF_SENDER_NONCE_LONG, "100-byte senderNonce");
	set_octets(&m->header->senderNonce, 16);
	set_octets(&m->header->recipNonce, 16);
	is_int(check(m, 0, arg), CMPF_RECIP_NONCE_UNEXPECTED,
	    "recipNonce in an ir");
	CMPD_MSG_free(m);

	m = CMPD_MSG_dup(cc);
	set_octets(&m->header->recipNonce, (size_t)-1);
	is_int(check(m, 0, arg), CMPF_RECIP_NONCE_MISSING,
	    "certConf without recipNonce");
	CMPD_MSG_free(m);

	m = CMPD_MSG_dup(ir);
	ASN1_GENERALIZEDTIME_free(m->header->messageTime);
	m->header->messageTime = ASN1_GENERALIZEDTIME_adj(NULL, time(NULL), 0,
	    -400);
	is_int(check(m, 300, arg), CMPF_MESSAGE_TIME, "messageTime 400 s old");
	is_str(arg, "300", "text names the allowed skew");
	is_int(check(m, 0, arg), CMPF_OK, "skew 0 disables the check");
	ASN1_GENERALIZEDTIME_free(m->header->messageTime);
	m->header->messageTime = ASN1_GENERALIZEDTIME_adj(NULL, time(NULL), 0,
	    400);
	is_int(check(m, 300, arg), CMPF_MESSAGE_TIME, "messageTime 400 s ahead");
	ASN1_GENERALIZEDTIME_free(m->header->messageTime);
	m->header->messageTime = ASN1_GENERALIZEDTIME_adj(NULL, time(NULL), 0,
	    -100);
	is_int(check(m, 300, arg), CMPF_OK, "messageTime 100 s old is fine");
	ASN1_GENERALIZEDTIME_free(m->header->messageTime);
	m->header->messageTime = NULL;
	is_int(check(m, 300, arg), CMPF_OK, "messageTime is optional");

	ASN1_BIT_STRING_free(m->protection);
	m->protection = NULL;
	is_int(check(m, 0, arg), CMPF_PROTECTION_MISSING_VALUE,
	    "protectionAlg without protection");
	X509_ALGOR_free(m->header->protectionAlg);
	m->header->protectionAlg = NULL;
	is_int(check(m, 0, arg), CMPF_OK, "unprotected passes the header check");
	m->protection = ASN1_BIT_STRING_new();
	ASN1_BIT_STRING_set(m->protection, (unsigned char *)"x", 1);
	is_int(check(m, 0, arg), CMPF_PROTECTION_ALG_MISSING,
	    "protection without protectionAlg");
	CMPD_MSG_free(m);

	m = CMPD_MSG_dup(ir);
	if (m->header->generalInfo == NULL)
		m->header->generalInfo = sk_CMPD_ITAV_new_null();
	for (i = sk_CMPD_ITAV_num(m->header->generalInfo);
	    i <= CMPD_GENERALINFO_MAX; i++) {
		CMPD_ITAV *it = CMPD_ITAV_new();

		it->infoType = OBJ_nid2obj(NID_id_it_implicitConfirm);
		sk_CMPD_ITAV_push(m->header->generalInfo, it);
	}
	is_int(check(m, 0, arg), CMPF_GENERALINFO_CAP, "too many generalInfo");
	CMPD_MSG_free(m);

	ok(cmp_header_is_first_message(CMPD_BODY_IR) &&
	    cmp_header_is_first_message(CMPD_BODY_RR) &&
	    !cmp_header_is_first_message(CMPD_BODY_CERTCONF),
	    "first-message bodies");
	CMPD_MSG_free(ir);
	CMPD_MSG_free(cc);
	return done_testing();
}
