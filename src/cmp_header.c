/*
 * PKIHeader checks (RFC 9810 5.1.1, DESIGN "Validation order" step 2).
 * Pure functions of the message and the clock, so they are unit-tested
 * without a server.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/x509v3.h>

#include "cmpd.h"

/* Bodies that open a transaction: they carry no recipNonce. */
int
cmp_header_is_first_message(int body_type)
{
	switch (body_type) {
	case CMPD_BODY_IR:
	case CMPD_BODY_CR:
	case CMPD_BODY_P10CR:
	case CMPD_BODY_KUR:
	case CMPD_BODY_KRR:
	case CMPD_BODY_CCR:
	case CMPD_BODY_RR:
	case CMPD_BODY_GENM:
	case CMPD_BODY_NESTED:
		return 1;
	default:
		return 0;
	}
}

/* Bodies that answer one of ours and must echo our senderNonce. */
static int
cmp_header_needs_recip_nonce(int body_type)
{
	return body_type == CMPD_BODY_CERTCONF ||
	    body_type == CMPD_BODY_POLLREQ;
}

static enum cmp_fail
cmp_header_check_id(const ASN1_OCTET_STRING *s, enum cmp_fail missing,
    enum cmp_fail shrt, enum cmp_fail lng)
{
	if (s == NULL)
		return missing;
	if (ASN1_STRING_length(s) < CMPD_ID_MIN_LEN)
		return shrt;
	if (ASN1_STRING_length(s) > CMPD_ID_MAX_LEN)
		return lng;
	return CMPF_OK;
}

/*
 * Returns CMPF_OK or the first violation; arg receives the value for the
 * failure text's "%s" where it has one.
 */
enum cmp_fail
cmp_header_check(const CMPD_MSG *m, time_t now, long skew, char *arg,
    size_t arglen)
{
	const CMPD_HEADER *h = m->header;
	int type = cmp_msg_body_type(m);
	enum cmp_fail f;
	int64_t pvno;
	struct tm tm;
	time_t t;

	if (arglen > 0)
		*arg = '\0';
	/* cmp2000(2) and cmp2021(3) (RFC 9810 7) */
	if (!ASN1_INTEGER_get_int64(&pvno, h->pvno)) {
		snprintf(arg, arglen, "(not a small integer)");
		return CMPF_UNSUPPORTED_VERSION;
	}
	if (pvno != 2 && pvno != 3) {
		snprintf(arg, arglen, "%lld", (long long)pvno);
		return CMPF_UNSUPPORTED_VERSION;
	}
	if (h->sender == NULL || h->sender->type != GEN_DIRNAME)
		return CMPF_SENDER_NOT_DN;
	if ((f = cmp_header_check_id(h->transactionID, CMPF_TID_MISSING,
	    CMPF_TID_SHORT, CMPF_TID_LONG)) != CMPF_OK)
		return f;
	if ((f = cmp_header_check_id(h->senderNonce, CMPF_SENDER_NONCE_MISSING,
	    CMPF_SENDER_NONCE_SHORT, CMPF_SENDER_NONCE_LONG)) != CMPF_OK)
		return f;
	if (cmp_header_is_first_message(type) && h->recipNonce != NULL)
		return CMPF_RECIP_NONCE_UNEXPECTED;
	if (cmp_header_needs_recip_nonce(type) && h->recipNonce == NULL)
		return CMPF_RECIP_NONCE_MISSING;
	if (h->messageTime != NULL && skew > 0) {
		if (!ASN1_TIME_to_tm(h->messageTime, &tm)) {
			snprintf(arg, arglen, "%ld", skew);
			return CMPF_MESSAGE_TIME;
		}
		t = timegm(&tm);
		if (t < now - skew || t > now + skew) {
			snprintf(arg, arglen, "%ld", skew);
			return CMPF_MESSAGE_TIME;
		}
	}
	if (h->generalInfo != NULL &&
	    sk_CMPD_ITAV_num(h->generalInfo) > CMPD_GENERALINFO_MAX) {
		snprintf(arg, arglen, "%d", CMPD_GENERALINFO_MAX);
		return CMPF_GENERALINFO_CAP;
	}
	/* RFC 9810 5.1.3: protection and protectionAlg go together. */
	if (m->protection != NULL && h->protectionAlg == NULL)
		return CMPF_PROTECTION_ALG_MISSING;
	if (m->protection == NULL && h->protectionAlg != NULL)
		return CMPF_PROTECTION_MISSING_VALUE;
	return CMPF_OK;
}
