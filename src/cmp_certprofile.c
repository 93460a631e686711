/*
 * The certificate profile a request names (RFC 9810 5.1.1.4, RFC 9483
 * 3.1): id-it-certProfile in the header's generalInfo, a SEQUENCE OF
 * UTF8String whose names stand for the message's requests in their order
 * (the CertReqMsgs of an ir, cr or kur; a p10cr's CSR; a genm's
 * certReqTemplate). Fewer names than requests leave the rest unnamed.
 *
 * cmpd serves one profile per URL. A name is offered when it is the CMP
 * Profile's or its RA Profile's (the CA side's certificate profile); any
 * other refuses its request with badCertTemplate before the CA is asked,
 * so that no device gets a certificate of another profile than the one
 * it asked for. A value that does not decode, an empty one, one given
 * twice, or more names than requests refuse the message (badRequest).
 * Other messages (certConf, pollReq, rr) may carry it too: OpenSSL's
 * client puts its generalInfo into every message of a transaction, so
 * there it is not looked at.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "cmpd.h"
#include "cmp_itav.h"

/*
 * The names of the header's certProfile into *out (NULL: none given),
 * for a message of nreq requests. CMPF_OK, or CMPF_CERT_PROFILE_BAD with
 * arg saying why.
 */
enum cmp_fail
cmp_certprofile_get(const CMPD_HEADER *h, int nreq,
    STACK_OF(ASN1_UTF8STRING) **out, char *arg, size_t arglen)
{
	const CMPD_ITAV *itav, *found = NULL;
	const unsigned char *der, *p;
	CMPD_CERTPROFILE *names;
	long len;
	int i;

	*out = NULL;
	for (i = 0; i < sk_CMPD_ITAV_num(h->generalInfo); i++) {
		itav = sk_CMPD_ITAV_value(h->generalInfo, i);
		if (!cmp_itav_is(itav->infoType, CMP_ITAV_OID_CERTPROFILE))
			continue;
		if (found != NULL) {
			snprintf(arg, arglen, "is given twice");
			return CMPF_CERT_PROFILE_BAD;
		}
		found = itav;
	}
	if (found == NULL)
		return CMPF_OK;
	names = NULL;
	if (cmp_itav_value_der(found->infoValue, &der, &len) == 0) {
		p = der;
		names = d2i_CMPD_CERTPROFILE(NULL, &p, len);
		if (names != NULL && p != der + len) {
			CMPD_CERTPROFILE_free(names);
			names = NULL;
		}
	}
	if (names == NULL) {
		ERR_clear_error();
		snprintf(arg, arglen, "is not a SEQUENCE OF UTF8String");
		return CMPF_CERT_PROFILE_BAD;
	}
	if (sk_ASN1_UTF8STRING_num(names) < 1 ||
	    sk_ASN1_UTF8STRING_num(names) > nreq) {
		snprintf(arg, arglen, "names %d profile%s for %d request%s",
		    sk_ASN1_UTF8STRING_num(names),
		    sk_ASN1_UTF8STRING_num(names) == 1 ? "" : "s", nreq,
		    nreq == 1 ? "" : "s");
		CMPD_CERTPROFILE_free(names);
		return CMPF_CERT_PROFILE_BAD;
	}
	*out = names;
	return CMPF_OK;
}

static int
certprofile_is(const ASN1_UTF8STRING *s, const char *name)
{
	size_t n = strlen(name);

	return n > 0 && (size_t)ASN1_STRING_length(s) == n &&
	    memcmp(ASN1_STRING_get0_data(s), name, n) == 0;
}

/*
 * Whether the i-th request's name, if it has one, is offered here:
 * CMPF_OK, or CMPF_CERT_PROFILE_UNKNOWN with the name in arg (when it
 * could be a profile name at all).
 */
enum cmp_fail
cmp_certprofile_offered(const STACK_OF(ASN1_UTF8STRING) *names, int i,
    const struct profile *p, char *arg, size_t arglen)
{
	const ASN1_UTF8STRING *s;

	if (i >= sk_ASN1_UTF8STRING_num(names))
		return CMPF_OK;
	s = sk_ASN1_UTF8STRING_value(names, i);
	if (certprofile_is(s, p->cmp_name) ||
	    (p->ra_found && certprofile_is(s, p->ra_name)))
		return CMPF_OK;
	if (route_name_valid((const char *)ASN1_STRING_get0_data(s),
	    (size_t)ASN1_STRING_length(s)))
		snprintf(arg, arglen, "%.*s", ASN1_STRING_length(s),
		    (const char *)ASN1_STRING_get0_data(s));
	else
		snprintf(arg, arglen, "(no profile name)");
	return CMPF_CERT_PROFILE_UNKNOWN;
}
