/*
 * cmp_itav.h - the InfoTypeAndValue values of general messages (genm,
 * genp) that RFC 9483 4.3 profiles, as OpenSSL template types, and
 * their OIDs (RFC 9810 5.3.19 and appendix A; OpenSSL 3.0 has no NID
 * for most of them, so they are made from the numeric OID).
 *
 * The PKIXCMP module has EXPLICIT TAGS; CertTemplate and Controls come
 * from the IMPLICIT CRMF module (RFC 4211).
 */
#ifndef CMPD_CMP_ITAV_H
#define CMPD_CMP_ITAV_H

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cmp_asn1.h"

/* id-it (1.3.6.1.5.5.7.4) types of RFC 9810 appendix A */
#define CMP_ITAV_OID_CACERTS		"1.3.6.1.5.5.7.4.17"
#define CMP_ITAV_OID_ROOTCAKEYUPDATE	"1.3.6.1.5.5.7.4.18"
#define CMP_ITAV_OID_CERTREQTEMPLATE	"1.3.6.1.5.5.7.4.19"
#define CMP_ITAV_OID_ROOTCACERT		"1.3.6.1.5.5.7.4.20"
#define CMP_ITAV_OID_CERTPROFILE	"1.3.6.1.5.5.7.4.21"
#define CMP_ITAV_OID_CRLSTATUSLIST	"1.3.6.1.5.5.7.4.22"
#define CMP_ITAV_OID_CRLS		"1.3.6.1.5.5.7.4.23"
/* id-regCtrl (1.3.6.1.5.5.7.5.1) controls of RFC 9810 5.3.19.16 */
#define CMP_ITAV_OID_REGCTRL_ALGID	"1.3.6.1.5.5.7.5.1.11"
#define CMP_ITAV_OID_REGCTRL_RSAKEYLEN	"1.3.6.1.5.5.7.5.1.12"

/* RootCaKeyUpdateContent, RFC 9810 5.3.19.15 */
typedef struct cmpd_rootcakeyupdate_st {
	X509	*newWithNew;
	X509	*newWithOld;		/* [0] OPTIONAL */
	X509	*oldWithNew;		/* [1] OPTIONAL */
} CMPD_ROOTCAKEYUPDATE;
DECLARE_ASN1_FUNCTIONS(CMPD_ROOTCAKEYUPDATE)

/* AttributeTypeAndValue, RFC 4211 6 (an element of Controls) */
typedef struct cmpd_atav_st {
	ASN1_OBJECT *type;
	ASN1_TYPE *value;
} CMPD_ATAV;
DECLARE_ASN1_FUNCTIONS(CMPD_ATAV)
DEFINE_STACK_OF(CMPD_ATAV)

/* CertReqTemplateContent, RFC 9810 5.3.19.16 */
typedef struct cmpd_certreqtemplate_st {
	CMPD_CERTTEMPLATE *certTemplate;
	STACK_OF(CMPD_ATAV) *keySpec;	/* Controls OPTIONAL */
} CMPD_CERTREQTEMPLATE;
DECLARE_ASN1_FUNCTIONS(CMPD_CERTREQTEMPLATE)

/* CRLSource, RFC 9810 5.3.19.17 */
#define CMPD_CRLSOURCE_DPN	0
#define CMPD_CRLSOURCE_ISSUER	1
typedef struct cmpd_crlsource_st {
	int type;
	union {
		DIST_POINT_NAME	*dpn;		/* [0] */
		GENERAL_NAMES	*issuer;	/* [1] */
	} value;
} CMPD_CRLSOURCE;
DECLARE_ASN1_FUNCTIONS(CMPD_CRLSOURCE)

/* CRLStatus, RFC 9810 5.3.19.17 */
typedef struct cmpd_crlstatus_st {
	CMPD_CRLSOURCE *source;
	ASN1_TIME *thisUpdate;		/* OPTIONAL */
} CMPD_CRLSTATUS;
DECLARE_ASN1_FUNCTIONS(CMPD_CRLSTATUS)
DECLARE_ASN1_DUP_FUNCTION(CMPD_CRLSTATUS)
DEFINE_STACK_OF(CMPD_CRLSTATUS)

/* CRLStatusListValue ::= SEQUENCE SIZE (1..MAX) OF CRLStatus */
typedef STACK_OF(CMPD_CRLSTATUS) CMPD_CRLSTATUSLIST;
DECLARE_ASN1_FUNCTIONS(CMPD_CRLSTATUSLIST)

/* CaCertsValue ::= SEQUENCE SIZE (1..MAX) OF CMPCertificate */
typedef STACK_OF(X509) CMPD_CERTSEQ;
DECLARE_ASN1_FUNCTIONS(CMPD_CERTSEQ)

/* CRLsValue ::= SEQUENCE SIZE (1..MAX) OF CertificateList */
typedef STACK_OF(X509_CRL) CMPD_CRLSEQ;
DECLARE_ASN1_FUNCTIONS(CMPD_CRLSEQ)

/* CertProfileValue ::= SEQUENCE SIZE (1..MAX) OF UTF8String (5.1.1.4) */
typedef STACK_OF(ASN1_UTF8STRING) CMPD_CERTPROFILE;
DECLARE_ASN1_FUNCTIONS(CMPD_CERTPROFILE)

/* AsymmetricKeyPackage ::= SEQUENCE SIZE (1..MAX) OF OneAsymmetricKey
 * (RFC 5958 2; version 1 is a PKCS#8 PrivateKeyInfo): a centrally
 * generated key, RFC 9483 4.1.6 */
DEFINE_STACK_OF(PKCS8_PRIV_KEY_INFO)
typedef STACK_OF(PKCS8_PRIV_KEY_INFO) CMPD_AKEYPACKAGE;
DECLARE_ASN1_FUNCTIONS(CMPD_AKEYPACKAGE)
#define CMP_OID_AKEYPACKAGE		"2.16.840.1.101.2.1.2.78.5"

/* cmp_itav.c */
ASN1_OBJECT *cmp_itav_oid(const char *numeric);
int	cmp_itav_is(const ASN1_OBJECT *, const char *numeric);
ASN1_TYPE *cmp_itav_seq_value(const unsigned char *der, int len);
int	cmp_itav_value_der(const ASN1_TYPE *, const unsigned char **der,
	    long *len);

#endif /* CMPD_CMP_ITAV_H */
