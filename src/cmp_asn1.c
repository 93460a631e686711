/*
 * cmp_asn1.c - PKIXCMP-2023 (RFC 9810 appendix A) as OpenSSL ASN.1
 * templates, built only on libcrypto's public items.
 *
 * The module has EXPLICIT TAGS, so every [n] below is ASN1_EXP* unless the
 * type comes from the IMPLICIT CRMF module (RFC 4211): EncryptedKey.
 *
 * libcrypto rejects OPTIONAL or IMPLICIT on an item that is itself a bare
 * SEQUENCE OF template (X509_EXTENSIONS, OSSL_CRMF_MSGS,
 * ASN1_SEQUENCE_ANY), so optional or implicitly tagged SEQUENCE OF fields
 * are spelt out with the *_SEQUENCE_OF* macros over their element type.
 */

#include <limits.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/crypto.h>

#include "cmp_asn1.h"

/* InfoTypeAndValue, RFC 9810 5.3.19 */
ASN1_SEQUENCE(CMPD_ITAV) = {
	ASN1_SIMPLE(CMPD_ITAV, infoType, ASN1_OBJECT),
	ASN1_OPT(CMPD_ITAV, infoValue, ASN1_ANY)
} ASN1_SEQUENCE_END(CMPD_ITAV)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_ITAV)
IMPLEMENT_ASN1_DUP_FUNCTION(CMPD_ITAV)

/* PKIHeader, RFC 9810 5.1.1 */
ASN1_SEQUENCE(CMPD_HEADER) = {
	ASN1_SIMPLE(CMPD_HEADER, pvno, ASN1_INTEGER),
	ASN1_SIMPLE(CMPD_HEADER, sender, GENERAL_NAME),
	ASN1_SIMPLE(CMPD_HEADER, recipient, GENERAL_NAME),
	ASN1_EXP_OPT(CMPD_HEADER, messageTime, ASN1_GENERALIZEDTIME, 0),
	ASN1_EXP_OPT(CMPD_HEADER, protectionAlg, X509_ALGOR, 1),
	ASN1_EXP_OPT(CMPD_HEADER, senderKID, ASN1_OCTET_STRING, 2),
	ASN1_EXP_OPT(CMPD_HEADER, recipKID, ASN1_OCTET_STRING, 3),
	ASN1_EXP_OPT(CMPD_HEADER, transactionID, ASN1_OCTET_STRING, 4),
	ASN1_EXP_OPT(CMPD_HEADER, senderNonce, ASN1_OCTET_STRING, 5),
	ASN1_EXP_OPT(CMPD_HEADER, recipNonce, ASN1_OCTET_STRING, 6),
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_HEADER, freeText, ASN1_UTF8STRING, 7),
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_HEADER, generalInfo, CMPD_ITAV, 8)
} ASN1_SEQUENCE_END(CMPD_HEADER)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_HEADER)
IMPLEMENT_ASN1_DUP_FUNCTION(CMPD_HEADER)

/* PKIStatusInfo, RFC 9810 5.2.3 */
ASN1_SEQUENCE(CMPD_PKISI) = {
	ASN1_SIMPLE(CMPD_PKISI, status, ASN1_INTEGER),
	ASN1_SEQUENCE_OF_OPT(CMPD_PKISI, statusString, ASN1_UTF8STRING),
	ASN1_OPT(CMPD_PKISI, failInfo, ASN1_BIT_STRING)
} ASN1_SEQUENCE_END(CMPD_PKISI)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_PKISI)
IMPLEMENT_ASN1_DUP_FUNCTION(CMPD_PKISI)

/* ErrorMsgContent, RFC 9810 5.3.21 */
ASN1_SEQUENCE(CMPD_ERRORMSG) = {
	ASN1_SIMPLE(CMPD_ERRORMSG, pKIStatusInfo, CMPD_PKISI),
	ASN1_OPT(CMPD_ERRORMSG, errorCode, ASN1_INTEGER),
	ASN1_SEQUENCE_OF_OPT(CMPD_ERRORMSG, errorDetails, ASN1_UTF8STRING)
} ASN1_SEQUENCE_END(CMPD_ERRORMSG)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_ERRORMSG)

/*
 * EncryptedKey comes from the IMPLICIT CRMF module: envelopedData is
 * [0] IMPLICIT EnvelopedData, i.e. 0xA0 directly around the EnvelopedData
 * fields, which we keep as a SEQUENCE OF ANY (see cmp_asn1.h).
 */
ASN1_CHOICE(CMPD_ENCRYPTEDKEY) = {
	ASN1_SIMPLE(CMPD_ENCRYPTEDKEY, value.encryptedValue,
	    OSSL_CRMF_ENCRYPTEDVALUE),
	ASN1_IMP_SEQUENCE_OF(CMPD_ENCRYPTEDKEY, value.envelopedData,
	    ASN1_ANY, 0)
} ASN1_CHOICE_END(CMPD_ENCRYPTEDKEY)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_ENCRYPTEDKEY)

/* CertOrEncCert, RFC 9810 5.3.4 */
ASN1_CHOICE(CMPD_CERTORENCCERT) = {
	ASN1_EXP(CMPD_CERTORENCCERT, value.certificate, X509, 0),
	ASN1_EXP(CMPD_CERTORENCCERT, value.encryptedCert, CMPD_ENCRYPTEDKEY, 1)
} ASN1_CHOICE_END(CMPD_CERTORENCCERT)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CERTORENCCERT)

/* CertifiedKeyPair, RFC 9810 5.3.4 */
ASN1_SEQUENCE(CMPD_CERTIFIEDKEYPAIR) = {
	ASN1_SIMPLE(CMPD_CERTIFIEDKEYPAIR, certOrEncCert, CMPD_CERTORENCCERT),
	ASN1_EXP_OPT(CMPD_CERTIFIEDKEYPAIR, privateKey, CMPD_ENCRYPTEDKEY, 0),
	ASN1_EXP_OPT(CMPD_CERTIFIEDKEYPAIR, publicationInfo,
	    OSSL_CRMF_PKIPUBLICATIONINFO, 1)
} ASN1_SEQUENCE_END(CMPD_CERTIFIEDKEYPAIR)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CERTIFIEDKEYPAIR)

/* CertResponse, RFC 9810 5.3.4 */
ASN1_SEQUENCE(CMPD_CERTRESPONSE) = {
	ASN1_SIMPLE(CMPD_CERTRESPONSE, certReqId, ASN1_INTEGER),
	ASN1_SIMPLE(CMPD_CERTRESPONSE, status, CMPD_PKISI),
	ASN1_OPT(CMPD_CERTRESPONSE, certifiedKeyPair, CMPD_CERTIFIEDKEYPAIR),
	ASN1_OPT(CMPD_CERTRESPONSE, rspInfo, ASN1_OCTET_STRING)
} ASN1_SEQUENCE_END(CMPD_CERTRESPONSE)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CERTRESPONSE)

/* CertRepMessage, RFC 9810 5.3.4 */
ASN1_SEQUENCE(CMPD_CERTREPMSG) = {
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_CERTREPMSG, caPubs, X509, 1),
	ASN1_SEQUENCE_OF(CMPD_CERTREPMSG, response, CMPD_CERTRESPONSE)
} ASN1_SEQUENCE_END(CMPD_CERTREPMSG)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CERTREPMSG)

/* CertStatus, RFC 9810 5.3.18; hashAlg since RFC 9480 */
ASN1_SEQUENCE(CMPD_CERTSTATUS) = {
	ASN1_SIMPLE(CMPD_CERTSTATUS, certHash, ASN1_OCTET_STRING),
	ASN1_SIMPLE(CMPD_CERTSTATUS, certReqId, ASN1_INTEGER),
	ASN1_OPT(CMPD_CERTSTATUS, statusInfo, CMPD_PKISI),
	ASN1_EXP_OPT(CMPD_CERTSTATUS, hashAlg, X509_ALGOR, 0)
} ASN1_SEQUENCE_END(CMPD_CERTSTATUS)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CERTSTATUS)

/* RevDetails, RFC 9810 5.3.9 */
ASN1_SEQUENCE(CMPD_REVDETAILS) = {
	ASN1_SIMPLE(CMPD_REVDETAILS, certDetails, OSSL_CRMF_CERTTEMPLATE),
	ASN1_SEQUENCE_OF_OPT(CMPD_REVDETAILS, crlEntryDetails, X509_EXTENSION)
} ASN1_SEQUENCE_END(CMPD_REVDETAILS)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_REVDETAILS)
IMPLEMENT_ASN1_DUP_FUNCTION(CMPD_REVDETAILS)

/* RevRepContent, RFC 9810 5.3.10 */
ASN1_SEQUENCE(CMPD_REVREPCONTENT) = {
	ASN1_SEQUENCE_OF(CMPD_REVREPCONTENT, status, CMPD_PKISI),
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_REVREPCONTENT, revCerts,
	    OSSL_CRMF_CERTID, 0),
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_REVREPCONTENT, crls, X509_CRL, 1)
} ASN1_SEQUENCE_END(CMPD_REVREPCONTENT)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_REVREPCONTENT)

/* PollReqContent element, RFC 9810 5.3.22 */
ASN1_SEQUENCE(CMPD_POLLREQ) = {
	ASN1_SIMPLE(CMPD_POLLREQ, certReqId, ASN1_INTEGER)
} ASN1_SEQUENCE_END(CMPD_POLLREQ)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_POLLREQ)

/* PollRepContent element, RFC 9810 5.3.22 */
ASN1_SEQUENCE(CMPD_POLLREP) = {
	ASN1_SIMPLE(CMPD_POLLREP, certReqId, ASN1_INTEGER),
	ASN1_SIMPLE(CMPD_POLLREP, checkAfter, ASN1_INTEGER),
	ASN1_SEQUENCE_OF_OPT(CMPD_POLLREP, reason, ASN1_UTF8STRING)
} ASN1_SEQUENCE_END(CMPD_POLLREP)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_POLLREP)

/* CAKeyUpdAnnContent, RFC 9810 5.3.13 (the classic form only) */
ASN1_SEQUENCE(CMPD_CAKEYUPDANN) = {
	ASN1_SIMPLE(CMPD_CAKEYUPDANN, oldWithNew, X509),
	ASN1_SIMPLE(CMPD_CAKEYUPDANN, newWithOld, X509),
	ASN1_SIMPLE(CMPD_CAKEYUPDANN, newWithNew, X509)
} ASN1_SEQUENCE_END(CMPD_CAKEYUPDANN)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CAKEYUPDANN)

/* RevAnnContent, RFC 9810 5.3.15 */
ASN1_SEQUENCE(CMPD_REVANN) = {
	ASN1_SIMPLE(CMPD_REVANN, status, ASN1_INTEGER),
	ASN1_SIMPLE(CMPD_REVANN, certId, OSSL_CRMF_CERTID),
	ASN1_SIMPLE(CMPD_REVANN, willBeRevokedAt, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(CMPD_REVANN, badSinceDate, ASN1_GENERALIZEDTIME),
	ASN1_SEQUENCE_OF_OPT(CMPD_REVANN, crlDetails, X509_EXTENSION)
} ASN1_SEQUENCE_END(CMPD_REVANN)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_REVANN)

/* KeyRecRepContent, RFC 9810 5.3.8 */
ASN1_SEQUENCE(CMPD_KEYRECREP) = {
	ASN1_SIMPLE(CMPD_KEYRECREP, status, CMPD_PKISI),
	ASN1_EXP_OPT(CMPD_KEYRECREP, newSigCert, X509, 0),
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_KEYRECREP, caCerts, X509, 1),
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_KEYRECREP, keyPairHist,
	    CMPD_CERTIFIEDKEYPAIR, 2)
} ASN1_SEQUENCE_END(CMPD_KEYRECREP)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_KEYRECREP)

/*
 * Challenge, RFC 9810 5.2.8.3.  Unlike EncryptedKey this is defined in the
 * EXPLICIT module: encryptedRand is 0xA0 around a whole EnvelopedData.
 */
ASN1_SEQUENCE(CMPD_CHALLENGE) = {
	ASN1_OPT(CMPD_CHALLENGE, owf, X509_ALGOR),
	ASN1_SIMPLE(CMPD_CHALLENGE, witness, ASN1_OCTET_STRING),
	ASN1_SIMPLE(CMPD_CHALLENGE, challenge, ASN1_OCTET_STRING),
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_CHALLENGE, encryptedRand, ASN1_ANY, 0)
} ASN1_SEQUENCE_END(CMPD_CHALLENGE)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CHALLENGE)

/*
 * PKIBody, RFC 9810 5.1.2.  The template index is the CHOICE selector, so
 * the order must follow the tag numbers: type == tag == CMPD_BODY_*.
 */
ASN1_CHOICE(CMPD_BODY) = {
	ASN1_EXP(CMPD_BODY, value.ir, OSSL_CRMF_MSGS, 0),
	ASN1_EXP(CMPD_BODY, value.ip, CMPD_CERTREPMSG, 1),
	ASN1_EXP(CMPD_BODY, value.cr, OSSL_CRMF_MSGS, 2),
	ASN1_EXP(CMPD_BODY, value.cp, CMPD_CERTREPMSG, 3),
	ASN1_EXP(CMPD_BODY, value.p10cr, X509_REQ, 4),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.popdecc, CMPD_CHALLENGE, 5),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.popdecr, ASN1_INTEGER, 6),
	ASN1_EXP(CMPD_BODY, value.kur, OSSL_CRMF_MSGS, 7),
	ASN1_EXP(CMPD_BODY, value.kup, CMPD_CERTREPMSG, 8),
	ASN1_EXP(CMPD_BODY, value.krr, OSSL_CRMF_MSGS, 9),
	ASN1_EXP(CMPD_BODY, value.krp, CMPD_KEYRECREP, 10),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.rr, CMPD_REVDETAILS, 11),
	ASN1_EXP(CMPD_BODY, value.rp, CMPD_REVREPCONTENT, 12),
	ASN1_EXP(CMPD_BODY, value.ccr, OSSL_CRMF_MSGS, 13),
	ASN1_EXP(CMPD_BODY, value.ccp, CMPD_CERTREPMSG, 14),
	ASN1_EXP(CMPD_BODY, value.ckuann, CMPD_CAKEYUPDANN, 15),
	ASN1_EXP(CMPD_BODY, value.cann, X509, 16),
	ASN1_EXP(CMPD_BODY, value.rann, CMPD_REVANN, 17),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.crlann, X509_CRL, 18),
	ASN1_EXP(CMPD_BODY, value.pkiconf, ASN1_NULL, 19),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.nested, CMPD_MSG, 20),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.genm, CMPD_ITAV, 21),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.genp, CMPD_ITAV, 22),
	ASN1_EXP(CMPD_BODY, value.error, CMPD_ERRORMSG, 23),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.certConf, CMPD_CERTSTATUS, 24),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.pollReq, CMPD_POLLREQ, 25),
	ASN1_EXP_SEQUENCE_OF(CMPD_BODY, value.pollRep, CMPD_POLLREP, 26)
} ASN1_CHOICE_END(CMPD_BODY)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_BODY)

/* PKIMessage, RFC 9810 5.1 */
ASN1_SEQUENCE(CMPD_MSG) = {
	ASN1_SIMPLE(CMPD_MSG, header, CMPD_HEADER),
	ASN1_SIMPLE(CMPD_MSG, body, CMPD_BODY),
	ASN1_EXP_OPT(CMPD_MSG, protection, ASN1_BIT_STRING, 0),
	ASN1_EXP_SEQUENCE_OF_OPT(CMPD_MSG, extraCerts, X509, 1)
} ASN1_SEQUENCE_END(CMPD_MSG)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_MSG)
IMPLEMENT_ASN1_DUP_FUNCTION(CMPD_MSG)

/* ProtectedPart, RFC 9810 5.1.3 */
ASN1_SEQUENCE(CMPD_PROTECTEDPART) = {
	ASN1_SIMPLE(CMPD_PROTECTEDPART, header, CMPD_HEADER),
	ASN1_SIMPLE(CMPD_PROTECTEDPART, body, CMPD_BODY)
} ASN1_SEQUENCE_END(CMPD_PROTECTEDPART)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_PROTECTEDPART)

/* PBMParameter, RFC 4211 4.4 */
ASN1_SEQUENCE(CMPD_PBMPARAMETER) = {
	ASN1_SIMPLE(CMPD_PBMPARAMETER, salt, ASN1_OCTET_STRING),
	ASN1_SIMPLE(CMPD_PBMPARAMETER, owf, X509_ALGOR),
	ASN1_SIMPLE(CMPD_PBMPARAMETER, iterationCount, ASN1_INTEGER),
	ASN1_SIMPLE(CMPD_PBMPARAMETER, mac, X509_ALGOR)
} ASN1_SEQUENCE_END(CMPD_PBMPARAMETER)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_PBMPARAMETER)

/* OptionalValidity, RFC 4211 5 (Time is a CHOICE: EXPLICIT) */
ASN1_SEQUENCE(CMPD_OPTVALIDITY) = {
	ASN1_EXP_OPT(CMPD_OPTVALIDITY, notBefore, ASN1_TIME, 0),
	ASN1_EXP_OPT(CMPD_OPTVALIDITY, notAfter, ASN1_TIME, 1),
} ASN1_SEQUENCE_END(CMPD_OPTVALIDITY)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_OPTVALIDITY)

/* CertTemplate, RFC 4211 5 (IMPLICIT; issuer and subject are CHOICEs,
 * hence EXPLICIT) */
ASN1_SEQUENCE(CMPD_CERTTEMPLATE) = {
	ASN1_IMP_OPT(CMPD_CERTTEMPLATE, version, ASN1_INTEGER, 0),
	ASN1_IMP_OPT(CMPD_CERTTEMPLATE, serialNumber, ASN1_INTEGER, 1),
	ASN1_IMP_OPT(CMPD_CERTTEMPLATE, signingAlg, X509_ALGOR, 2),
	ASN1_EXP_OPT(CMPD_CERTTEMPLATE, issuer, X509_NAME, 3),
	ASN1_IMP_OPT(CMPD_CERTTEMPLATE, validity, CMPD_OPTVALIDITY, 4),
	ASN1_EXP_OPT(CMPD_CERTTEMPLATE, subject, X509_NAME, 5),
	ASN1_IMP_OPT(CMPD_CERTTEMPLATE, publicKey, X509_PUBKEY, 6),
	ASN1_IMP_OPT(CMPD_CERTTEMPLATE, issuerUID, ASN1_BIT_STRING, 7),
	ASN1_IMP_OPT(CMPD_CERTTEMPLATE, subjectUID, ASN1_BIT_STRING, 8),
	ASN1_IMP_SEQUENCE_OF_OPT(CMPD_CERTTEMPLATE, extensions, X509_EXTENSION,
	    9),
} ASN1_SEQUENCE_END(CMPD_CERTTEMPLATE)
IMPLEMENT_ASN1_FUNCTIONS(CMPD_CERTTEMPLATE)

/* Indexed by CMPD_BODY_*; spelt as the RFC's CHOICE alternatives */
static const char *const body_names[CMPD_BODY_MAX + 1] = {
	"ir", "ip", "cr", "cp", "p10cr", "popdecc", "popdecr", "kur", "kup",
	"krr", "krp", "rr", "rp", "ccr", "ccp", "ckuann", "cann", "rann",
	"crlann", "pkiconf", "nested", "genm", "genp", "error", "certConf",
	"pollReq", "pollRep"
};

/* Indexed by CMPD_FAIL_* (PKIFailureInfo bit numbers) */
static const char *const failinfo_names[CMPD_FAIL_MAX + 1] = {
	"badAlg", "badMessageCheck", "badRequest", "badTime", "badCertId",
	"badDataFormat", "wrongAuthority", "incorrectData",
	"missingTimeStamp", "badPOP", "certRevoked", "certConfirmed",
	"wrongIntegrity", "badRecipientNonce", "timeNotAvailable",
	"unacceptedPolicy", "unacceptedExtension", "addInfoNotAvailable",
	"badSenderNonce", "badCertTemplate", "signerNotTrusted",
	"transactionIdInUse", "unsupportedVersion", "notAuthorized",
	"systemUnavail", "systemFailure", "duplicateCertReq"
};

/* Indexed by CMPD_PKISTATUS_* */
static const char *const status_names[] = {
	"accepted", "grantedWithMods", "rejection", "waiting",
	"revocationWarning", "revocationNotification", "keyUpdateWarning"
};

const char *
cmp_asn1_body_name(int type)
{
	if (type < 0 || type > CMPD_BODY_MAX)
		return "unknown";
	return body_names[type];
}

int
cmp_asn1_body_type_from_name(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i <= CMPD_BODY_MAX; i++) {
		if (strcmp(name, body_names[i]) == 0)
			return i;
	}
	return -1;
}

const char *
cmp_asn1_failinfo_name(int bit)
{
	if (bit < 0 || bit > CMPD_FAIL_MAX)
		return "unknown";
	return failinfo_names[bit];
}

const char *
cmp_asn1_status_name(int status)
{
	if (status < 0 ||
	    (size_t)status >= sizeof(status_names) / sizeof(status_names[0]))
		return "unknown";
	return status_names[status];
}

/*
 * Decodes one PKIMessage that must fill der[0..len) exactly.  With
 * CMP_ASN1_STRICT_DER the re-encoding must also match the input: the
 * protection covers the DER of ProtectedPart (RFC 9810 5.1.3), which we
 * can only rebuild faithfully from a message that was DER to begin with.
 * On failure libcrypto's reason stays on its error queue for the caller.
 */
int
cmp_asn1_msg_decode(const unsigned char *der, size_t len, int flags,
    CMPD_MSG **msgp)
{
	CMPD_MSG *msg = NULL;
	const unsigned char *p;
	unsigned char *enc = NULL;
	int enclen, r = CMP_ASN1_ERR_INTERNAL;

	if (msgp == NULL)
		return CMP_ASN1_ERR_INTERNAL;
	*msgp = NULL;
	if (der == NULL || len == 0 || len > (size_t)LONG_MAX) {
		r = CMP_ASN1_ERR_LENGTH;
		goto out;
	}
	p = der;
	if ((msg = d2i_CMPD_MSG(NULL, &p, (long)len)) == NULL) {
		r = CMP_ASN1_ERR_PARSE;
		goto out;
	}
	if ((size_t)(p - der) != len) {
		r = CMP_ASN1_ERR_TRAILING;
		goto out;
	}
	if ((flags & CMP_ASN1_STRICT_DER) != 0) {
		if ((enclen = i2d_CMPD_MSG(msg, &enc)) <= 0) {
			r = CMP_ASN1_ERR_INTERNAL;
			goto out;
		}
		if ((size_t)enclen != len || memcmp(enc, der, len) != 0) {
			r = CMP_ASN1_ERR_NOT_DER;
			goto out;
		}
	}
	*msgp = msg;
	msg = NULL;
	r = CMP_ASN1_OK;
 out:
	OPENSSL_free(enc);
	CMPD_MSG_free(msg);
	return r;
}
