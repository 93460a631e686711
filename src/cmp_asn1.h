/*
 * cmp_asn1.h - the PKIXCMP ASN.1 module of RFC 9810 (appendix A) as
 * OpenSSL template types.
 *
 * The module uses EXPLICIT TAGS; the CRMF types it imports (CertTemplate,
 * CertReqMessages, CertId, EncryptedValue, EncryptedKey, PKIPublicationInfo)
 * come from the IMPLICIT TAGS module of RFC 4211.  Struct fields carry the
 * RFC's field names.  Ownership follows OpenSSL: every pointer in a
 * structure is owned by it and freed by the type's _free().
 */
#ifndef CMPD_CMP_ASN1_H
#define CMPD_CMP_ASN1_H

#include <stddef.h>

#include <openssl/asn1.h>
#include <openssl/crmf.h>
#include <openssl/safestack.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* PKIHeader.pvno, RFC 9810 5.1.1 */
#define CMPD_PVNO_CMP1999		1
#define CMPD_PVNO_CMP2000		2
#define CMPD_PVNO_CMP2021		3

/* PKIBody alternatives; equal to the CHOICE tag numbers (RFC 9810 5.1.2) */
#define CMPD_BODY_IR			0
#define CMPD_BODY_IP			1
#define CMPD_BODY_CR			2
#define CMPD_BODY_CP			3
#define CMPD_BODY_P10CR			4
#define CMPD_BODY_POPDECC		5
#define CMPD_BODY_POPDECR		6
#define CMPD_BODY_KUR			7
#define CMPD_BODY_KUP			8
#define CMPD_BODY_KRR			9
#define CMPD_BODY_KRP			10
#define CMPD_BODY_RR			11
#define CMPD_BODY_RP			12
#define CMPD_BODY_CCR			13
#define CMPD_BODY_CCP			14
#define CMPD_BODY_CKUANN		15
#define CMPD_BODY_CANN			16
#define CMPD_BODY_RANN			17
#define CMPD_BODY_CRLANN		18
#define CMPD_BODY_PKICONF		19
#define CMPD_BODY_NESTED		20
#define CMPD_BODY_GENM			21
#define CMPD_BODY_GENP			22
#define CMPD_BODY_ERROR			23
#define CMPD_BODY_CERTCONF		24
#define CMPD_BODY_POLLREQ		25
#define CMPD_BODY_POLLREP		26
#define CMPD_BODY_MAX			26

/* PKIStatus, RFC 9810 5.2.3 */
#define CMPD_PKISTATUS_ACCEPTED			0
#define CMPD_PKISTATUS_GRANTEDWITHMODS		1
#define CMPD_PKISTATUS_REJECTION		2
#define CMPD_PKISTATUS_WAITING			3
#define CMPD_PKISTATUS_REVOCATIONWARNING	4
#define CMPD_PKISTATUS_REVOCATIONNOTIFICATION	5
#define CMPD_PKISTATUS_KEYUPDATEWARNING		6

/* PKIFailureInfo bit numbers, RFC 9810 5.2.3 */
#define CMPD_FAIL_BADALG			0
#define CMPD_FAIL_BADMESSAGECHECK		1
#define CMPD_FAIL_BADREQUEST			2
#define CMPD_FAIL_BADTIME			3
#define CMPD_FAIL_BADCERTID			4
#define CMPD_FAIL_BADDATAFORMAT			5
#define CMPD_FAIL_WRONGAUTHORITY		6
#define CMPD_FAIL_INCORRECTDATA			7
#define CMPD_FAIL_MISSINGTIMESTAMP		8
#define CMPD_FAIL_BADPOP			9
#define CMPD_FAIL_CERTREVOKED			10
#define CMPD_FAIL_CERTCONFIRMED			11
#define CMPD_FAIL_WRONGINTEGRITY		12
#define CMPD_FAIL_BADRECIPIENTNONCE		13
#define CMPD_FAIL_TIMENOTAVAILABLE		14
#define CMPD_FAIL_UNACCEPTEDPOLICY		15
#define CMPD_FAIL_UNACCEPTEDEXTENSION		16
#define CMPD_FAIL_ADDINFONOTAVAILABLE		17
#define CMPD_FAIL_BADSENDERNONCE		18
#define CMPD_FAIL_BADCERTTEMPLATE		19
#define CMPD_FAIL_SIGNERNOTTRUSTED		20
#define CMPD_FAIL_TRANSACTIONIDINUSE		21
#define CMPD_FAIL_UNSUPPORTEDVERSION		22
#define CMPD_FAIL_NOTAUTHORIZED			23
#define CMPD_FAIL_SYSTEMUNAVAIL			24
#define CMPD_FAIL_SYSTEMFAILURE			25
#define CMPD_FAIL_DUPLICATECERTREQ		26
#define CMPD_FAIL_MAX				26

/* CertOrEncCert alternatives */
#define CMPD_CERTORENCCERT_CERTIFICATE		0
#define CMPD_CERTORENCCERT_ENCRYPTEDCERT	1

/* EncryptedKey alternatives */
#define CMPD_ENCRYPTEDKEY_ENCRYPTEDVALUE	0
#define CMPD_ENCRYPTEDKEY_ENVELOPEDDATA		1

/* cmp_asn1_msg_decode() flags */
#define CMP_ASN1_STRICT_DER		0x01	/* re-encoding must match */

/* cmp_asn1_msg_decode() results */
#define CMP_ASN1_OK			0
#define CMP_ASN1_ERR_PARSE		-1	/* not a PKIMessage */
#define CMP_ASN1_ERR_TRAILING		-2	/* bytes after the message */
#define CMP_ASN1_ERR_NOT_DER		-3	/* BER, or not canonical */
#define CMP_ASN1_ERR_LENGTH		-4	/* empty or too long */
#define CMP_ASN1_ERR_INTERNAL		-5	/* allocation failure */

typedef struct cmpd_msg_st CMPD_MSG;
typedef struct cmpd_protectedpart_st CMPD_PROTECTEDPART;
typedef struct cmpd_header_st CMPD_HEADER;
typedef struct cmpd_body_st CMPD_BODY;
typedef struct cmpd_itav_st CMPD_ITAV;
typedef struct cmpd_pkisi_st CMPD_PKISI;
typedef struct cmpd_errormsg_st CMPD_ERRORMSG;
typedef struct cmpd_certrepmsg_st CMPD_CERTREPMSG;
typedef struct cmpd_certresponse_st CMPD_CERTRESPONSE;
typedef struct cmpd_certifiedkeypair_st CMPD_CERTIFIEDKEYPAIR;
typedef struct cmpd_certorenccert_st CMPD_CERTORENCCERT;
typedef struct cmpd_encryptedkey_st CMPD_ENCRYPTEDKEY;
typedef struct cmpd_certstatus_st CMPD_CERTSTATUS;
typedef struct cmpd_revdetails_st CMPD_REVDETAILS;
typedef struct cmpd_revrepcontent_st CMPD_REVREPCONTENT;
typedef struct cmpd_pollreq_st CMPD_POLLREQ;
typedef struct cmpd_pollrep_st CMPD_POLLREP;
typedef struct cmpd_cakeyupdann_st CMPD_CAKEYUPDANN;
typedef struct cmpd_revann_st CMPD_REVANN;
typedef struct cmpd_keyrecrep_st CMPD_KEYRECREP;
typedef struct cmpd_challenge_st CMPD_CHALLENGE;

DEFINE_STACK_OF(CMPD_MSG)
DEFINE_STACK_OF(CMPD_PROTECTEDPART)
DEFINE_STACK_OF(CMPD_HEADER)
DEFINE_STACK_OF(CMPD_BODY)
DEFINE_STACK_OF(CMPD_ITAV)
DEFINE_STACK_OF(CMPD_PKISI)
DEFINE_STACK_OF(CMPD_ERRORMSG)
DEFINE_STACK_OF(CMPD_CERTREPMSG)
DEFINE_STACK_OF(CMPD_CERTRESPONSE)
DEFINE_STACK_OF(CMPD_CERTIFIEDKEYPAIR)
DEFINE_STACK_OF(CMPD_CERTORENCCERT)
DEFINE_STACK_OF(CMPD_ENCRYPTEDKEY)
DEFINE_STACK_OF(CMPD_CERTSTATUS)
DEFINE_STACK_OF(CMPD_REVDETAILS)
DEFINE_STACK_OF(CMPD_REVREPCONTENT)
DEFINE_STACK_OF(CMPD_POLLREQ)
DEFINE_STACK_OF(CMPD_POLLREP)
DEFINE_STACK_OF(CMPD_CAKEYUPDANN)
DEFINE_STACK_OF(CMPD_REVANN)
DEFINE_STACK_OF(CMPD_KEYRECREP)
DEFINE_STACK_OF(CMPD_CHALLENGE)

/* InfoTypeAndValue, RFC 9810 5.3.19 */
struct cmpd_itav_st {
	ASN1_OBJECT		*infoType;
	ASN1_TYPE		*infoValue;		/* OPTIONAL */
};

/* PKIHeader, RFC 9810 5.1.1 */
struct cmpd_header_st {
	ASN1_INTEGER		*pvno;
	GENERAL_NAME		*sender;
	GENERAL_NAME		*recipient;
	ASN1_GENERALIZEDTIME	*messageTime;		/* [0] OPTIONAL */
	X509_ALGOR		*protectionAlg;		/* [1] OPTIONAL */
	ASN1_OCTET_STRING	*senderKID;		/* [2] OPTIONAL */
	ASN1_OCTET_STRING	*recipKID;		/* [3] OPTIONAL */
	ASN1_OCTET_STRING	*transactionID;		/* [4] OPTIONAL */
	ASN1_OCTET_STRING	*senderNonce;		/* [5] OPTIONAL */
	ASN1_OCTET_STRING	*recipNonce;		/* [6] OPTIONAL */
	STACK_OF(ASN1_UTF8STRING) *freeText;		/* [7] OPTIONAL */
	STACK_OF(CMPD_ITAV)	*generalInfo;		/* [8] OPTIONAL */
};

/* PKIStatusInfo, RFC 9810 5.2.3 */
struct cmpd_pkisi_st {
	ASN1_INTEGER		*status;
	STACK_OF(ASN1_UTF8STRING) *statusString;	/* OPTIONAL */
	ASN1_BIT_STRING		*failInfo;		/* OPTIONAL */
};

/* ErrorMsgContent, RFC 9810 5.3.21 */
struct cmpd_errormsg_st {
	CMPD_PKISI		*pKIStatusInfo;
	ASN1_INTEGER		*errorCode;		/* OPTIONAL */
	STACK_OF(ASN1_UTF8STRING) *errorDetails;	/* OPTIONAL */
};

/*
 * EncryptedKey (RFC 4211 2.1 as amended by RFC 9810 5.2.2; IMPLICIT tags).
 * libcrypto 3.0 has no public EnvelopedData item, so envelopedData is kept
 * as the SEQUENCE OF its top-level elements, each an ASN1_TYPE (INTEGER
 * version, raw SET/SEQUENCE/[n] elements).  This re-encodes byte for byte;
 * i2d_ASN1_SEQUENCE_ANY() of the stack yields the plain (0x30-tagged)
 * EnvelopedData DER and d2i_ASN1_SEQUENCE_ANY() converts back.
 */
struct cmpd_encryptedkey_st {
	int type;
	union {
		OSSL_CRMF_ENCRYPTEDVALUE *encryptedValue;
		ASN1_SEQUENCE_ANY	*envelopedData;		/* [0] */
	} value;
};

/* CertOrEncCert, RFC 9810 5.3.4 */
struct cmpd_certorenccert_st {
	int type;
	union {
		X509			*certificate;		/* [0] */
		CMPD_ENCRYPTEDKEY	*encryptedCert;		/* [1] */
	} value;
};

/* CertifiedKeyPair, RFC 9810 5.3.4 */
struct cmpd_certifiedkeypair_st {
	CMPD_CERTORENCCERT	*certOrEncCert;
	CMPD_ENCRYPTEDKEY	*privateKey;		/* [0] OPTIONAL */
	OSSL_CRMF_PKIPUBLICATIONINFO *publicationInfo;	/* [1] OPTIONAL */
};

/* CertResponse, RFC 9810 5.3.4 */
struct cmpd_certresponse_st {
	ASN1_INTEGER		*certReqId;
	CMPD_PKISI		*status;
	CMPD_CERTIFIEDKEYPAIR	*certifiedKeyPair;	/* OPTIONAL */
	ASN1_OCTET_STRING	*rspInfo;		/* OPTIONAL */
};

/* CertRepMessage, RFC 9810 5.3.4 */
struct cmpd_certrepmsg_st {
	STACK_OF(X509)		*caPubs;		/* [1] OPTIONAL */
	STACK_OF(CMPD_CERTRESPONSE) *response;
};

/* CertStatus, RFC 9810 5.3.18 (hashAlg added by RFC 9480) */
struct cmpd_certstatus_st {
	ASN1_OCTET_STRING	*certHash;
	ASN1_INTEGER		*certReqId;
	CMPD_PKISI		*statusInfo;		/* OPTIONAL */
	X509_ALGOR		*hashAlg;		/* [0] OPTIONAL */
};

/* RevDetails, RFC 9810 5.3.9 */
struct cmpd_revdetails_st {
	OSSL_CRMF_CERTTEMPLATE	*certDetails;
	X509_EXTENSIONS		*crlEntryDetails;	/* OPTIONAL */
};

/* RevRepContent, RFC 9810 5.3.10 */
struct cmpd_revrepcontent_st {
	STACK_OF(CMPD_PKISI)	*status;
	STACK_OF(OSSL_CRMF_CERTID) *revCerts;		/* [0] OPTIONAL */
	STACK_OF(X509_CRL)	*crls;			/* [1] OPTIONAL */
};

/* PollReqContent element, RFC 9810 5.3.22 */
struct cmpd_pollreq_st {
	ASN1_INTEGER		*certReqId;
};

/* PollRepContent element, RFC 9810 5.3.22 */
struct cmpd_pollrep_st {
	ASN1_INTEGER		*certReqId;
	ASN1_INTEGER		*checkAfter;
	STACK_OF(ASN1_UTF8STRING) *reason;		/* OPTIONAL */
};

/* CAKeyUpdAnnContent, RFC 9810 5.3.13 */
struct cmpd_cakeyupdann_st {
	X509			*oldWithNew;
	X509			*newWithOld;
	X509			*newWithNew;
};

/* RevAnnContent, RFC 9810 5.3.15 */
struct cmpd_revann_st {
	ASN1_INTEGER		*status;
	OSSL_CRMF_CERTID	*certId;
	ASN1_GENERALIZEDTIME	*willBeRevokedAt;
	ASN1_GENERALIZEDTIME	*badSinceDate;
	X509_EXTENSIONS		*crlDetails;		/* OPTIONAL */
};

/* KeyRecRepContent, RFC 9810 5.3.8 */
struct cmpd_keyrecrep_st {
	CMPD_PKISI		*status;
	X509			*newSigCert;		/* [0] OPTIONAL */
	STACK_OF(X509)		*caCerts;		/* [1] OPTIONAL */
	STACK_OF(CMPD_CERTIFIEDKEYPAIR) *keyPairHist;	/* [2] OPTIONAL */
};

/*
 * Challenge, RFC 9810 5.2.8.3.  encryptedRand is defined in the EXPLICIT
 * module: [0] wraps a whole EnvelopedData SEQUENCE, kept like
 * EncryptedKey.envelopedData above.
 */
struct cmpd_challenge_st {
	X509_ALGOR		*owf;			/* OPTIONAL */
	ASN1_OCTET_STRING	*witness;
	ASN1_OCTET_STRING	*challenge;
	ASN1_SEQUENCE_ANY	*encryptedRand;		/* [0] OPTIONAL */
};

/* PKIBody, RFC 9810 5.1.2; type is one of CMPD_BODY_* */
struct cmpd_body_st {
	int type;
	union {
		OSSL_CRMF_MSGS		*ir;		/* [0] */
		CMPD_CERTREPMSG		*ip;		/* [1] */
		OSSL_CRMF_MSGS		*cr;		/* [2] */
		CMPD_CERTREPMSG		*cp;		/* [3] */
		X509_REQ		*p10cr;		/* [4] */
		STACK_OF(CMPD_CHALLENGE) *popdecc;	/* [5] */
		STACK_OF(ASN1_INTEGER)	*popdecr;	/* [6] */
		OSSL_CRMF_MSGS		*kur;		/* [7] */
		CMPD_CERTREPMSG		*kup;		/* [8] */
		OSSL_CRMF_MSGS		*krr;		/* [9] */
		CMPD_KEYRECREP		*krp;		/* [10] */
		STACK_OF(CMPD_REVDETAILS) *rr;		/* [11] */
		CMPD_REVREPCONTENT	*rp;		/* [12] */
		OSSL_CRMF_MSGS		*ccr;		/* [13] */
		CMPD_CERTREPMSG		*ccp;		/* [14] */
		CMPD_CAKEYUPDANN	*ckuann;	/* [15] */
		X509			*cann;		/* [16] */
		CMPD_REVANN		*rann;		/* [17] */
		STACK_OF(X509_CRL)	*crlann;	/* [18] */
		ASN1_NULL		*pkiconf;	/* [19] */
		STACK_OF(CMPD_MSG)	*nested;	/* [20] */
		STACK_OF(CMPD_ITAV)	*genm;		/* [21] */
		STACK_OF(CMPD_ITAV)	*genp;		/* [22] */
		CMPD_ERRORMSG		*error;		/* [23] */
		STACK_OF(CMPD_CERTSTATUS) *certConf;	/* [24] */
		STACK_OF(CMPD_POLLREQ)	*pollReq;	/* [25] */
		STACK_OF(CMPD_POLLREP)	*pollRep;	/* [26] */
	} value;
};

/* PKIMessage, RFC 9810 5.1 */
struct cmpd_msg_st {
	CMPD_HEADER		*header;
	CMPD_BODY		*body;
	ASN1_BIT_STRING		*protection;		/* [0] OPTIONAL */
	STACK_OF(X509)		*extraCerts;		/* [1] OPTIONAL */
};

/* ProtectedPart, RFC 9810 5.1.3: the input to the protection */
struct cmpd_protectedpart_st {
	CMPD_HEADER		*header;
	CMPD_BODY		*body;
};

/*
 * PBMParameter (RFC 4211 4.4), read to check its fields against cmpd's
 * limits: libcrypto's OSSL_CRMF_PBMPARAMETER has no getters in 3.0.
 */
typedef struct cmpd_pbmparameter_st {
	ASN1_OCTET_STRING	*salt;
	X509_ALGOR		*owf;
	ASN1_INTEGER		*iterationCount;
	X509_ALGOR		*mac;
} CMPD_PBMPARAMETER;
DECLARE_ASN1_FUNCTIONS(CMPD_PBMPARAMETER)

/*
 * PBMAC1-params (RFC 8018 A.5, used by RFC 9481 6.1.3): libcrypto 3.0
 * has PBKDF2PARAM for the key derivation's parameters, no PBMAC1 type.
 */
typedef struct cmpd_pbmac1param_st {
	X509_ALGOR		*keyDerivationFunc;
	X509_ALGOR		*messageAuthScheme;
} CMPD_PBMAC1PARAM;
DECLARE_ASN1_FUNCTIONS(CMPD_PBMAC1PARAM)

/*
 * SubjectPublicKeyInfo (RFC 5280 4.1.2.7) as its two fields: decoding it
 * decodes no key (spki_decode() does, when a key is needed).
 */
typedef struct cmpd_spki_st {
	X509_ALGOR		*algorithm;
	ASN1_BIT_STRING		*subjectPublicKey;
} CMPD_SPKI;
DECLARE_ASN1_FUNCTIONS(CMPD_SPKI)

/*
 * CertTemplate (RFC 4211 5, IMPLICIT TAGS), read to get its publicKey
 * (cmpd's kur check, cmp-localca's issuance): libcrypto 3.0 has no
 * OSSL_CRMF_CERTTEMPLATE_get0_publicKey. Decoded from the library's own
 * re-encoding of a template, never encoded.
 */
typedef struct cmpd_optvalidity_st {
	ASN1_TIME		*notBefore;
	ASN1_TIME		*notAfter;
} CMPD_OPTVALIDITY;
DECLARE_ASN1_FUNCTIONS(CMPD_OPTVALIDITY)

typedef struct cmpd_certtemplate_st {
	ASN1_INTEGER		*version;
	ASN1_INTEGER		*serialNumber;
	X509_ALGOR		*signingAlg;
	X509_NAME		*issuer;
	CMPD_OPTVALIDITY	*validity;
	X509_NAME		*subject;
	CMPD_SPKI		*publicKey;
	ASN1_BIT_STRING		*issuerUID;
	ASN1_BIT_STRING		*subjectUID;
	STACK_OF(X509_EXTENSION) *extensions;
} CMPD_CERTTEMPLATE;
DECLARE_ASN1_FUNCTIONS(CMPD_CERTTEMPLATE)

/*
 * The same CertTemplate with its publicKey kept as encoded (the [6]
 * IMPLICIT SubjectPublicKeyInfo, tag and length included), and a
 * Certificate (RFC 5280 4.1) with its tbsCertificate kept as encoded:
 * read where only the bytes or the signature algorithm matter, because
 * libcrypto 3.0 builds a decoder for every public key it decodes.
 */
typedef struct cmpd_tmplkey_st {
	ASN1_INTEGER		*version;
	ASN1_INTEGER		*serialNumber;
	X509_ALGOR		*signingAlg;
	X509_NAME		*issuer;
	CMPD_OPTVALIDITY	*validity;
	X509_NAME		*subject;
	ASN1_STRING		*publicKey;
	ASN1_BIT_STRING		*issuerUID;
	ASN1_BIT_STRING		*subjectUID;
	STACK_OF(X509_EXTENSION) *extensions;
} CMPD_TMPLKEY;
DECLARE_ASN1_FUNCTIONS(CMPD_TMPLKEY)

typedef struct cmpd_certsig_st {
	ASN1_STRING		*tbsCertificate;
	X509_ALGOR		*signatureAlgorithm;
	ASN1_BIT_STRING		*signature;
} CMPD_CERTSIG;
DECLARE_ASN1_FUNCTIONS(CMPD_CERTSIG)

/*
 * CertReqMsg (RFC 4211 3) with its certReq kept as encoded, and its
 * ProofOfPossession (RFC 4211 4, IMPLICIT TAGS; POPOPrivKey is a CHOICE,
 * so [2] and [3] are explicit): read by popo_verify() from the library's
 * re-encoding of an OSSL_CRMF_MSG, whose POP 3.0 has no accessor for.
 * Never encoded.
 */
typedef struct cmpd_poposigningkey_st {
	ASN1_STRING		*poposkInput;	/* [0], as encoded */
	X509_ALGOR		*algorithmIdentifier;
	ASN1_BIT_STRING		*signature;
} CMPD_POPOSIGNINGKEY;
DECLARE_ASN1_FUNCTIONS(CMPD_POPOSIGNINGKEY)

#define CMPD_POPO_RAVERIFIED	0
#define CMPD_POPO_SIGNATURE	1
#define CMPD_POPO_KEYENC	2
#define CMPD_POPO_KEYAGREE	3

typedef struct cmpd_popo_st {
	int			 type;
	union {
		ASN1_NULL		*raVerified;
		CMPD_POPOSIGNINGKEY	*signature;
		ASN1_TYPE		*keyEncipherment;
		ASN1_TYPE		*keyAgreement;
	} value;
} CMPD_POPO;
DECLARE_ASN1_FUNCTIONS(CMPD_POPO)

typedef struct cmpd_certreqmsg_st {
	ASN1_STRING		*certReq;	/* CertRequest, as encoded */
	CMPD_POPO		*popo;
	ASN1_STRING		*regInfo;	/* as encoded */
} CMPD_CERTREQMSG;
DECLARE_ASN1_FUNCTIONS(CMPD_CERTREQMSG)

DECLARE_ASN1_FUNCTIONS(CMPD_MSG)
DECLARE_ASN1_DUP_FUNCTION(CMPD_MSG)
DECLARE_ASN1_FUNCTIONS(CMPD_PROTECTEDPART)
DECLARE_ASN1_FUNCTIONS(CMPD_HEADER)
DECLARE_ASN1_DUP_FUNCTION(CMPD_HEADER)
DECLARE_ASN1_FUNCTIONS(CMPD_BODY)
DECLARE_ASN1_FUNCTIONS(CMPD_ITAV)
DECLARE_ASN1_DUP_FUNCTION(CMPD_ITAV)
DECLARE_ASN1_FUNCTIONS(CMPD_PKISI)
DECLARE_ASN1_DUP_FUNCTION(CMPD_PKISI)
DECLARE_ASN1_FUNCTIONS(CMPD_ERRORMSG)
DECLARE_ASN1_FUNCTIONS(CMPD_CERTREPMSG)
DECLARE_ASN1_FUNCTIONS(CMPD_CERTRESPONSE)
DECLARE_ASN1_FUNCTIONS(CMPD_CERTIFIEDKEYPAIR)
DECLARE_ASN1_FUNCTIONS(CMPD_CERTORENCCERT)
DECLARE_ASN1_FUNCTIONS(CMPD_ENCRYPTEDKEY)
DECLARE_ASN1_FUNCTIONS(CMPD_CERTSTATUS)
DECLARE_ASN1_FUNCTIONS(CMPD_REVDETAILS)
DECLARE_ASN1_DUP_FUNCTION(CMPD_REVDETAILS)
DECLARE_ASN1_FUNCTIONS(CMPD_REVREPCONTENT)
DECLARE_ASN1_FUNCTIONS(CMPD_POLLREQ)
DECLARE_ASN1_FUNCTIONS(CMPD_POLLREP)
DECLARE_ASN1_FUNCTIONS(CMPD_CAKEYUPDANN)
DECLARE_ASN1_FUNCTIONS(CMPD_REVANN)
DECLARE_ASN1_FUNCTIONS(CMPD_KEYRECREP)
DECLARE_ASN1_FUNCTIONS(CMPD_CHALLENGE)

/* cmp_asn1.c */
const char	*cmp_asn1_body_name(int);
int		 cmp_asn1_body_type_from_name(const char *);
const char	*cmp_asn1_failinfo_name(int);
const char	*cmp_asn1_status_name(int);
int		 cmp_asn1_msg_decode(const unsigned char *, size_t, int,
		    CMPD_MSG **);

#endif /* CMPD_CMP_ASN1_H */
