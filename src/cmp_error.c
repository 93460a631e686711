/*
 * The one place that maps every failure cmpd detects to its CMP answer:
 * PKIStatus, PKIFailureInfo bit (RFC 9810 5.2.3), statusString text and
 * HTTP status. doc/errors.md is the same table for operators; t/unit/
 * test_error.c keeps both in step.
 *
 * Texts never carry secrets or internal paths. "%s" arguments are filled
 * in by the caller (a profile name, a body type, a version number).
 * Profile texts are the reference platform's, prefixed "PN=<name> | ".
 */
#include "config.h"

#include <string.h>

#include "cmp_asn1.h"
#include "cmp_error.h"

#define REJ	CMPD_PKISTATUS_REJECTION
#define D(f, bit, http, text)	{ f, #f, REJ, CMPD_FAIL_##bit, http, text }

static const struct cmp_fail_def defs[CMPF__COUNT] = {
	{ CMPF_OK, "CMPF_OK", CMPD_PKISTATUS_ACCEPTED, -1, 200, "" },
	D(CMPF_BAD_DER, BADDATAFORMAT, 400,
	    "message is not a DER-encoded PKIMessage"),
	D(CMPF_EXTRACERTS_CAP, BADREQUEST, 200,
	    "too many extraCerts (at most %s)"),
	/* The reference answers systemFailure for all profile checks. */
	D(CMPF_CMP_PROFILE_NOT_FOUND, SYSTEMFAILURE, 200,
	    "PN=%s | Requested CMP Profile not found"),
	D(CMPF_CMP_PROFILE_DISABLED, SYSTEMFAILURE, 200,
	    "PN=%s | CMP Profile is not enabled"),
	D(CMPF_CMP_PROFILE_NO_RA, SYSTEMFAILURE, 200,
	    "PN=%s | CMP Profile does not contain associated RA Profile"),
	D(CMPF_RA_PROFILE_NOT_FOUND, SYSTEMFAILURE, 200,
	    "PN=%s | Requested RA Profile not found"),
	D(CMPF_RA_PROFILE_DISABLED, SYSTEMFAILURE, 200,
	    "PN=%s | RA Profile is not enabled"),
	D(CMPF_RA_PROFILE_NO_CMP, SYSTEMFAILURE, 200,
	    "PN=%s | RA Profile does not contain associated CMP Profile"),
	D(CMPF_SIGNING_CERT_MISSING, SYSTEMFAILURE, 200,
	    "PN=%s | CMP profile does not have any associated CA certificate"),
	D(CMPF_SIGNING_CHAIN_MISSING, SYSTEMFAILURE, 200,
	    "PN=%s | CMP Profile does not have associated CA certificate chain"),
	D(CMPF_UNSUPPORTED_VERSION, UNSUPPORTEDVERSION, 200,
	    "version %s not supported"),
	D(CMPF_SENDER_NOT_DN, BADREQUEST, 200,
	    "sender must be a directoryName"),
	D(CMPF_TID_MISSING, ADDINFONOTAVAILABLE, 200,
	    "mandatory field 'transactionID' is missing"),
	D(CMPF_TID_SHORT, BADREQUEST, 200,
	    "transactionID's value is too short"),
	D(CMPF_TID_LONG, BADREQUEST, 200,
	    "transactionID's value is too long"),
	D(CMPF_SENDER_NONCE_MISSING, ADDINFONOTAVAILABLE, 200,
	    "mandatory field 'senderNonce' is missing"),
	D(CMPF_SENDER_NONCE_SHORT, BADSENDERNONCE, 200,
	    "senderNonce's value is too short"),
	D(CMPF_SENDER_NONCE_LONG, BADSENDERNONCE, 200,
	    "senderNonce's value is too long"),
	D(CMPF_RECIP_NONCE_UNEXPECTED, BADRECIPIENTNONCE, 200,
	    "recipNonce must be absent in the first message of a transaction"),
	D(CMPF_RECIP_NONCE_MISSING, BADRECIPIENTNONCE, 200,
	    "mandatory field 'recipNonce' is missing"),
	D(CMPF_MESSAGE_TIME, BADTIME, 200,
	    "messageTime is more than %s seconds away from the server's time"),
	D(CMPF_GENERALINFO_CAP, BADREQUEST, 200,
	    "too many generalInfo entries (at most %s)"),
	D(CMPF_PROTECTION_ALG_MISSING, BADMESSAGECHECK, 200,
	    "protection present without protectionAlg"),
	D(CMPF_PROTECTION_MISSING_VALUE, BADMESSAGECHECK, 200,
	    "protectionAlg present without protection"),
	D(CMPF_UNPROTECTED, NOTAUTHORIZED, 200,
	    "PN=%s | unprotected requests are not accepted"),
	D(CMPF_PROTECTION_MISMATCH, WRONGINTEGRITY, 200,
	    "PN=%s | message protection does not match the profile's request "
	    "protection method (%s)"),
	D(CMPF_PROTECTION_ALG_UNKNOWN, BADALG, 200,
	    "protection algorithm %s not supported"),
	D(CMPF_BODY_NOT_IMPLEMENTED, BADREQUEST, 200,
	    "PN=%s | %s is not implemented yet"),
	D(CMPF_BODY_UNSUPPORTED, BADREQUEST, 200,
	    "%s is not supported"),
	D(CMPF_DB_UNAVAILABLE, SYSTEMUNAVAIL, 200,
	    "database unavailable, try again later"),
	D(CMPF_INTERNAL, SYSTEMFAILURE, 200,
	    "internal error"),
	D(CMPF_PBM_PARAMS, BADALG, 200,
	    "PBM parameters not accepted: %s"),
	D(CMPF_SENDER_KID_MISSING, BADMESSAGECHECK, 200,
	    "PN=%s | senderKID is required with MAC protection"),
	D(CMPF_MAC_MISMATCH, BADMESSAGECHECK, 200,
	    "PN=%s | message authentication failed"),
	D(CMPF_NO_SECRET, SYSTEMFAILURE, 200,
	    "PN=%s | CMP Profile has no usable shared secret"),
	D(CMPF_NO_CERT_REQUEST, BADREQUEST, 200,
	    "PN=%s | the request holds no CertReqMsg"),
	D(CMPF_NO_SUBJECT, BADCERTTEMPLATE, 200,
	    "PN=%s | the certificate template has no subject"),
	D(CMPF_BAD_POP, BADPOP, 200,
	    "PN=%s | proof of possession failed"),
	D(CMPF_TID_IN_USE, TRANSACTIONIDINUSE, 200,
	    "PN=%s | transactionID already in use"),
	D(CMPF_CA_UNAVAILABLE, SYSTEMUNAVAIL, 200,
	    "PN=%s | the certificate authority is unavailable, try again later"),
	D(CMPF_CA_REJECTED, BADCERTTEMPLATE, 200,
	    "PN=%s | the certificate authority refused the request: %s"),
	D(CMPF_CA_FAILED, SYSTEMFAILURE, 200,
	    "PN=%s | the certificate authority failed"),
	D(CMPF_TX_UNKNOWN, BADREQUEST, 200,
	    "PN=%s | no transaction with this transactionID"),
	D(CMPF_BAD_RECIP_NONCE, BADRECIPIENTNONCE, 200,
	    "PN=%s | recipNonce is not the senderNonce cmpd sent"),
	D(CMPF_ALREADY_CONFIRMED, CERTCONFIRMED, 200,
	    "PN=%s | the certificate was confirmed already"),
	D(CMPF_TX_NOT_WAITING, BADREQUEST, 200,
	    "PN=%s | the transaction is not waiting for a certConf"),
	D(CMPF_BAD_CERT_HASH, BADCERTID, 200,
	    "PN=%s | certConf does not match the issued certificate"),
	D(CMPF_CONFIRM_TOO_LATE, BADTIME, 200,
	    "PN=%s | certConf came after confirmWaitTime"),
	D(CMPF_CERT_TOO_LARGE, SYSTEMFAILURE, 200,
	    "PN=%s | the issued certificate is larger than cmpd stores"),
	D(CMPF_NO_SIGNER_CERT, BADMESSAGECHECK, 200,
	    "PN=%s | the protection certificate is missing from extraCerts"),
	D(CMPF_SIGNATURE_INVALID, BADMESSAGECHECK, 200,
	    "PN=%s | the message signature does not verify"),
	D(CMPF_SIGNER_MISMATCH, BADMESSAGECHECK, 200,
	    "PN=%s | sender, senderKID or key usage do not fit the protection "
	    "certificate"),
	D(CMPF_SIGNER_NOT_TRUSTED, SIGNERNOTTRUSTED, 200,
	    "PN=%s | the protection certificate is not trusted: %s"),
	D(CMPF_BAD_SIGNING_DATA, SYSTEMFAILURE, 200,
	    "PN=%s | the CMP Profile's signing credentials or trust anchors "
	    "are unusable"),
	D(CMPF_RR_NOT_ONE, BADREQUEST, 200,
	    "PN=%s | rr must name exactly one certificate"),
	D(CMPF_RR_NO_CERT_ID, BADCERTID, 200,
	    "PN=%s | rr must name the certificate's issuer and serialNumber"),
	D(CMPF_RR_BAD_REASON, BADREQUEST, 200,
	    "PN=%s | unsupported revocation reasonCode"),
	D(CMPF_RR_UNKNOWN_CERT, BADCERTID, 200,
	    "PN=%s | no such certificate issued through this RA Profile"),
	D(CMPF_RR_NOT_AUTHORIZED, NOTAUTHORIZED, 200,
	    "PN=%s | a revocation must be signed with the certificate to revoke"),
	D(CMPF_RR_REVOKED, CERTREVOKED, 200,
	    "PN=%s | the certificate is revoked already"),
	D(CMPF_KUR_NOT_SIGNED, NOTAUTHORIZED, 200,
	    "PN=%s | kur must be signed with the certificate to update"),
	D(CMPF_KUR_UNKNOWN_CERT, BADCERTID, 200,
	    "PN=%s | the certificate to update was not issued through this RA "
	    "Profile"),
	D(CMPF_KUR_OLDCERTID, BADCERTID, 200,
	    "PN=%s | oldCertID does not name the protection certificate"),
	D(CMPF_KUR_SAME_KEY, BADCERTTEMPLATE, 200,
	    "PN=%s | the new key must differ from the old one"),
	D(CMPF_3GPP_ONE_REQUEST, BADREQUEST, 200,
	    "PN=%s | a 3GPP request holds exactly one CertReqMsg"),
	D(CMPF_PROFILE_RULES, SYSTEMFAILURE, 200,
	    "PN=%s | the CMP Profile's protection methods break its variant's "
	    "rules"),
	/* RFC 9110 15.6: a 5xx is the server's failure, not the request's;
	 * the client may try again later. */
	D(CMPF_CA_SERVER_ERROR, SYSTEMUNAVAIL, 200,
	    "PN=%s | the certificate authority failed (HTTP %s), try again "
	    "later"),
	D(CMPF_TEMPLATE_TOO_LARGE, BADCERTTEMPLATE, 200,
	    "PN=%s | the certificate template's %s"),
	/* DESIGN invariant 2: revoked and foreign credentials */
	D(CMPF_SIGNER_REVOKED, CERTREVOKED, 200,
	    "PN=%s | the protection certificate is revoked"),
	D(CMPF_SIGNER_CA_REVOKED, SIGNERNOTTRUSTED, 200,
	    "PN=%s | a CA certificate of the protection certificate's chain is "
	    "revoked"),
	D(CMPF_NOT_REQUESTER, NOTAUTHORIZED, 200,
	    "PN=%s | only the requester of the transaction may continue it "
	    "(the same protection certificate, or the same shared secret and "
	    "senderKID)"),
	D(CMPF_SUBJECT_NOT_SIGNER, BADCERTTEMPLATE, 200,
	    "PN=%s | the requested %s must be the protection certificate's "
	    "(the CMP Profile's subjectPolicy is signer)"),
	D(CMPF_CONNECTOR_INSECURE, SYSTEMFAILURE, 200,
	    "PN=%s | the CA was not asked: the connector's credentials would "
	    "cross plain http://"),
	D(CMPF_CA_BUSY, SYSTEMUNAVAIL, 200,
	    "PN=%s | the CA is busy, retry later"),
	D(CMPF_PBM_LEGACY, BADALG, 200,
	    "PN=%s | PBM with SHA-1 as owf is accepted only where the CMP "
	    "Profile allows legacyPbm"),
	D(CMPF_LABEL_MISMATCH, BADREQUEST, 200,
	    "PN=%s | the message does not fit the URL's operation label: %s"),
	/* RFC 9810 5.3.1: several CertReqMsgs, each answered by certReqId */
	D(CMPF_CERT_REQ_MAX, BADREQUEST, 200,
	    "PN=%s | more CertReqMsgs than the CMP Profile allows in one "
	    "request (certReqMax %s)"),
	D(CMPF_CERT_REQ_ID_DUP, BADREQUEST, 200,
	    "PN=%s | certReqId %s is used by more than one CertReqMsg"),
	/* RFC 9810 5.3.4, RFC 9483 4.1.4 */
	D(CMPF_P10CR_BAD_POP, BADPOP, 200,
	    "PN=%s | the PKCS#10 request's signature does not verify with its "
	    "public key"),
	D(CMPF_P10CR_3GPP, BADREQUEST, 200,
	    "PN=%s | p10cr is not part of the 3GPP variant (TS 33.310 uses ir, "
	    "cr and kur)"),
	/* genm, RFC 9483 4.3 */
	D(CMPF_GENM_NOT_ONE, BADREQUEST, 200,
	    "PN=%s | a genm must carry exactly one InfoTypeAndValue "
	    "(it has %s)"),
	D(CMPF_GENM_BAD_VALUE, BADDATAFORMAT, 200,
	    "PN=%s | the value of the genm's %s cannot be decoded"),
	D(CMPF_GENM_CA_UNAVAILABLE, SYSTEMUNAVAIL, 200,
	    "PN=%s | the CA's %s cannot be had now, try again later"),
	D(CMPF_GENM_BAD_TEMPLATE, SYSTEMFAILURE, 200,
	    "PN=%s | the CMP Profile's certReqTemplate is unusable"),
	D(CMPF_NESTED_NO_SIGNING, SYSTEMFAILURE, 200,
	    "PN=%s | the CMP Profile has no signing credentials to answer "
	    "a nested message"),
	D(CMPF_NESTED_NOT_SIGNED, NOTAUTHORIZED, 200,
	    "PN=%s | a nested message must be signed by a registration "
	    "authority"),
	D(CMPF_RA_NOT_LISTED, SIGNERNOTTRUSTED, 200,
	    "PN=%s | the signer is not a registration authority of the CMP "
	    "Profile"),
	D(CMPF_NESTED_COUNT, BADREQUEST, 200,
	    "PN=%s | a nested message carries 1 to %s messages"),
	D(CMPF_NESTED_DEPTH, BADREQUEST, 200,
	    "PN=%s | a nested message inside a nested message is refused"),
	D(CMPF_RA_NOT_PERMITTED, NOTAUTHORIZED, 200,
	    "PN=%s | the registration authority may not %s on behalf of "
	    "others"),
	D(CMPF_POLL_NOT_ONE, BADREQUEST, 200,
	    "PN=%s | a pollReq must ask for exactly one certReqId (it has %s)"),
	D(CMPF_POLL_NOT_WAITING, BADREQUEST, 200,
	    "PN=%s | no certificate of this transaction waits for certReqId "
	    "%s"),
	D(CMPF_POLL_NOTHING_ISSUED, SYSTEMFAILURE, 200,
	    "PN=%s | the certificate authority issued no certificate for "
	    "this request"),
	D(CMPF_DEVICE_TEMPLATE, BADCERTTEMPLATE, 200,
	    "PN=%s | the requested %s does not match the device entry's"),
	D(CMPF_RR_NOT_ON_HOLD, BADREQUEST, 200,
	    "PN=%s | removeFromCRL: the certificate is not on hold"),
	D(CMPF_RR_RELEASE_LATER, SYSTEMUNAVAIL, 200,
	    "PN=%s | the CA has not taken the certificate off hold yet, "
	    "try again later"),
	/* the CA too slow or unreachable: no verdict on the signer */
	D(CMPF_SIGNER_CHAIN_UNAVAILABLE, SYSTEMUNAVAIL, 200,
	    "PN=%s | the protection certificate cannot be validated now: "
	    "the CA's certificate chain cannot be had, try again later"),
	D(CMPF_CERT_KEY_MISMATCH, SYSTEMFAILURE, 200,
	    "PN=%s | the certificate authority issued a certificate for "
	    "another public key; it was not delivered"),
	/* revoke_pending: the sweep revokes it (a revocation asked
	 * before whose outcome is not known, or a rejected certificate) */
	D(CMPF_RR_UNDER_WAY, CERTREVOKED, 200,
	    "PN=%s | the certificate's revocation is under way"),
	/* the CA's CRL past its nextUpdate, or the CA down before one */
	D(CMPF_SIGNER_CRL_UNAVAILABLE, SYSTEMUNAVAIL, 200,
	    "PN=%s | the protection certificate cannot be validated now: "
	    "no current CRL of the CA can be had, try again later"),
	D(CMPF_TEMPLATE_CA_POWER, BADCERTTEMPLATE, 200,
	    "PN=%s | the request asks for %s, a power of the CA; refused"),
	D(CMPF_P10CR_EXTENSIONS, BADCERTTEMPLATE, 200,
	    "PN=%s | the PKCS#10 request has %s; its extensions go in one "
	    "extensionRequest attribute"),
	D(CMPF_NESTED_CERT_REQS, BADREQUEST, 200,
	    "PN=%s | the messages of a nested message ask for at most %s "
	    "certificates in all"),
	D(CMPF_KEY_WEAK, BADCERTTEMPLATE, 200,
	    "PN=%s | the public key is too weak: %s"),
	D(CMPF_KEY_SPEC, BADCERTTEMPLATE, 200,
	    "PN=%s | the public key does not meet the certReqTemplate's "
	    "keySpec %s"),
	D(CMPF_TEMPLATE_NOT_OFFERED, BADCERTTEMPLATE, 200,
	    "PN=%s | the request asks for %s, which the CMP Profile's "
	    "certReqTemplate does not offer"),
	D(CMPF_CERT_PROFILE_BAD, BADREQUEST, 200,
	    "PN=%s | the certProfile of generalInfo %s"),
	D(CMPF_CERT_PROFILE_UNKNOWN, BADCERTTEMPLATE, 200,
	    "PN=%s | the request names certificate profile %s, which is not "
	    "offered here"),
	D(CMPF_CKG_NOT_OFFERED, BADCERTTEMPLATE, 200,
	    "PN=%s | the request has no public key: the CMP Profile does not "
	    "generate keys (centralKeyGeneration)"),
	D(CMPF_CKG_KEY, BADALG, 200,
	    "PN=%s | no key is generated for %s"),
	D(CMPF_CKG_NO_SIGNER, SYSTEMFAILURE, 200,
	    "PN=%s | a generated key is signed with the CMP Profile's signing "
	    "key, and it has none"),
	D(CMPF_CKG_RECIPIENT, BADREQUEST, 200,
	    "PN=%s | a generated key cannot be encrypted to a %s key: the "
	    "protection certificate needs an RSA or EC key"),
	D(CMPF_CKG_LATE, SYSTEMUNAVAIL, 200,
	    "PN=%s | the certificate authority did not issue within the "
	    "synchronous budget, and a generated key is delivered only at "
	    "once: try again later"),
	D(CMPF_CKG_RSA_MANY, BADREQUEST, 200,
	    "PN=%s | one RSA key is generated per message: ask for the "
	    "others in messages of their own"),
	D(CMPF_POLL_ENDED, BADREQUEST, 200,
	    "PN=%s | polling ends %s days after the transaction began: the "
	    "certificate authority is asked no more for it; send a new "
	    "request"),
	D(CMPF_EXTENSION_NOT_ONE, BADCERTTEMPLATE, 200,
	    "PN=%s | extension %s is not one DER-encoded value: the "
	    "certificate authority could read it otherwise than cmpd"),
	D(CMPF_P10CR_ATTRIBUTE, BADCERTTEMPLATE, 200,
	    "PN=%s | the PKCS#10 request has attribute %s: of its "
	    "attributes only extensionRequest and challengePassword go to "
	    "the certificate authority"),
	D(CMPF_RA_WITHDRAWN, NOTAUTHORIZED, 200,
	    "PN=%s | the registration authority that began the transaction "
	    "may no longer do so: taken off the CMP Profile's list, or its "
	    "permissions reduced"),
	/* not revoke_pending's answer: the connector's certificate is not
	 * its own CA's (cmp_chain_issued) */
	D(CMPF_CERT_ISSUER_MISMATCH, SYSTEMFAILURE, 200,
	    "PN=%s | the certificate authority answered with a certificate "
	    "that none of its CA certificates issued; it was not delivered"),
	D(CMPF_SIGNER_UNCONFIRMED, NOTAUTHORIZED, 200,
	    "PN=%s | the protection certificate waits for its certConf: it "
	    "signs nothing before it is confirmed"),
	/* a CertReqMsg's POP or a p10cr's CSR (sigalg.c) */
	D(CMPF_POP_ALG, BADALG, 200,
	    "PN=%s | the proof of possession is signed with %s, which is not "
	    "accepted (RFC 9481 3: RSA or ECDSA with SHA-2, RSASSA-PSS, "
	    "Ed25519, Ed448)"),
	/* cmp_ckg.c: libcrypto 3.0's CMS signs with no EdDSA key */
	D(CMPF_CKG_SIGNER_KEY, SYSTEMFAILURE, 200,
	    "PN=%s | a generated key is signed with the CMP Profile's signing "
	    "key, and CMS here cannot sign with one of type %s: central key "
	    "generation needs an RSA or EC signing key"),
	/* cmp_exts_name_der(): libcrypto writes a name out as it came */
	D(CMPF_NAME_NOT_DER, BADCERTTEMPLATE, 200,
	    "PN=%s | %s is not DER-encoded (RFC 5280 4.1): the certificate "
	    "authority would sign it as it came, a name strict readers "
	    "refuse"),
	/* cmp_poll.c: a waiting request whose connector cannot look up */
	D(CMPF_POLL_CA_CANNOT_TELL, SYSTEMFAILURE, 200,
	    "PN=%s | whether the certificate authority issued a certificate "
	    "for this request cannot be asked (its connector has no lookup): "
	    "an operator settles it; send a new request"),
	D(CMPF_CKG_RECIPIENT_USAGE, BADREQUEST, 200,
	    "PN=%s | a generated key cannot be encrypted to the protection "
	    "certificate: its keyUsage does not allow %s"),
};

#undef D
#undef REJ

const struct cmp_fail_def *
cmp_error_def(enum cmp_fail f)
{
	if ((int)f < 0 || f >= CMPF__COUNT)
		f = CMPF_INTERNAL;
	return &defs[f];
}

/*
 * Fills the text's "%s" slots, in order, with a1 and a2 (absent ones as
 * "?"). Not printf: the format comes from the table, the arguments may
 * come from a request, and nothing else in them is interpreted.
 */
void
cmp_error_format(enum cmp_fail f, char *buf, size_t n, const char *a1,
    const char *a2)
{
	const char *t = cmp_error_def(f)->text, *arg;
	const char *args[2] = { a1, a2 };
	size_t o = 0, k = 0, l;

	if (n == 0)
		return;
	while (*t != '\0' && o + 1 < n) {
		if (t[0] == '%' && t[1] == 's') {
			arg = k < 2 && args[k] != NULL ? args[k] : "?";
			k++;
			l = strlen(arg);
			if (l > n - 1 - o)
				l = n - 1 - o;
			memcpy(buf + o, arg, l);
			o += l;
			t += 2;
			continue;
		}
		buf[o++] = *t++;
	}
	buf[o] = '\0';
}
