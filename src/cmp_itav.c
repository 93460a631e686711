/*
 * cmp_itav.c - the genm/genp values of RFC 9483 4.3 (RFC 9810 5.3.19 and
 * appendix A) as OpenSSL ASN.1 templates, and the helpers that move them
 * in and out of an InfoTypeAndValue's ANY.
 */
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/objects.h>

#include "cmp_itav.h"

/* RootCaKeyUpdateContent (EXPLICIT module) */
ASN1_SEQUENCE(CMPD_ROOTCAKEYUPDATE) = {
	ASN1_SIMPLE(CMPD_ROOTCAKEYUPDATE, newWithNew, X509),
	ASN1_EXP_OPT(CMPD_ROOTCAKEYUPDATE, newWithOld, X509, 0),
	ASN1_EXP_OPT(CMPD_ROOTCAKEYUPDATE, oldWithNew, X509, 1)
} ASN1_SEQUENCE_END(CMPD_ROOTCAKEYUPDATE)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_ROOTCAKEYUPDATE)

/* AttributeTypeAndValue, RFC 4211 6 */
ASN1_SEQUENCE(CMPD_ATAV) = {
	ASN1_SIMPLE(CMPD_ATAV, type, ASN1_OBJECT),
	ASN1_SIMPLE(CMPD_ATAV, value, ASN1_ANY)
} ASN1_SEQUENCE_END(CMPD_ATAV)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_ATAV)

/* CertReqTemplateContent: keySpec is Controls, a SEQUENCE OF */
ASN1_SEQUENCE(CMPD_CERTREQTEMPLATE) = {
	ASN1_SIMPLE(CMPD_CERTREQTEMPLATE, certTemplate, CMPD_CERTTEMPLATE),
	ASN1_SEQUENCE_OF_OPT(CMPD_CERTREQTEMPLATE, keySpec, CMPD_ATAV)
} ASN1_SEQUENCE_END(CMPD_CERTREQTEMPLATE)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CERTREQTEMPLATE)

/* CRLSource: both alternatives EXPLICIT (DistributionPointName is a
 * CHOICE itself) */
ASN1_CHOICE(CMPD_CRLSOURCE) = {
	ASN1_EXP(CMPD_CRLSOURCE, value.dpn, DIST_POINT_NAME, 0),
	ASN1_EXP_SEQUENCE_OF(CMPD_CRLSOURCE, value.issuer, GENERAL_NAME, 1)
} ASN1_CHOICE_END(CMPD_CRLSOURCE)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CRLSOURCE)

ASN1_SEQUENCE(CMPD_CRLSTATUS) = {
	ASN1_SIMPLE(CMPD_CRLSTATUS, source, CMPD_CRLSOURCE),
	ASN1_OPT(CMPD_CRLSTATUS, thisUpdate, ASN1_TIME)
} ASN1_SEQUENCE_END(CMPD_CRLSTATUS)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CRLSTATUS)
IMPLEMENT_ASN1_DUP_FUNCTION(CMPD_CRLSTATUS)

ASN1_ITEM_TEMPLATE(CMPD_CRLSTATUSLIST) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, CMPD_CRLSTATUSLIST,
	    CMPD_CRLSTATUS)
ASN1_ITEM_TEMPLATE_END(CMPD_CRLSTATUSLIST)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CRLSTATUSLIST)

ASN1_ITEM_TEMPLATE(CMPD_CERTSEQ) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, CMPD_CERTSEQ, X509)
ASN1_ITEM_TEMPLATE_END(CMPD_CERTSEQ)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CERTSEQ)

ASN1_ITEM_TEMPLATE(CMPD_CRLSEQ) =
	ASN1_EX_TEMPLATE_TYPE(ASN1_TFLG_SEQUENCE_OF, 0, CMPD_CRLSEQ, X509_CRL)
ASN1_ITEM_TEMPLATE_END(CMPD_CRLSEQ)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CRLSEQ)

/* OpenSSL 3.0 has no NIDs for these: the OID from its numeric form. */
ASN1_OBJECT *
cmp_itav_oid(const char *numeric)
{
	return OBJ_txt2obj(numeric, 1);
}

int
cmp_itav_is(const ASN1_OBJECT *o, const char *numeric)
{
	char buf[80];

	if (o == NULL || OBJ_obj2txt(buf, sizeof(buf), o, 1) <= 0)
		return 0;
	return strcmp(buf, numeric) == 0;
}

/* An ANY holding the SEQUENCE der[0..len) (tag and length included). */
ASN1_TYPE *
cmp_itav_seq_value(const unsigned char *der, int len)
{
	ASN1_STRING *s = NULL;
	ASN1_TYPE *t = NULL;

	if ((t = ASN1_TYPE_new()) == NULL ||
	    (s = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL ||
	    !ASN1_STRING_set(s, der, len)) {
		ASN1_STRING_free(s);
		ASN1_TYPE_free(t);
		return NULL;
	}
	ASN1_TYPE_set(t, V_ASN1_SEQUENCE, s);
	return t;
}

/* The DER of a SEQUENCE held in an ANY: 0, or -1 for another type. */
int
cmp_itav_value_der(const ASN1_TYPE *t, const unsigned char **der, long *len)
{
	if (t == NULL || t->type != V_ASN1_SEQUENCE ||
	    t->value.sequence == NULL)
		return -1;
	*der = ASN1_STRING_get0_data(t->value.sequence);
	*len = ASN1_STRING_length(t->value.sequence);
	return 0;
}
