/*
 * What a certificate request may not ask the CA for in its extensions:
 * the powers of the CA itself. A device or an RA that got a certificate
 * with basicConstraints cA (RFC 5280 4.2.1.9), keyCertSign or cRLSign
 * (4.2.1.3), nameConstraints (4.2.1.10, for CA certificates only) or
 * id-kp-OCSPSigning (RFC 6960 4.2.2.2: a delegated responder answers
 * for every certificate of the CA) could issue certificates, CRLs or
 * OCSP answers that every relying party of the CA trusts. Whether the CA
 * would honour them is up to its own profile; cmpd does not pass such a
 * request on at all, whatever the CA. (cmp-localca, for the requests it
 * is given directly, refuses keyCertSign, cRLSign and OCSPSigning, and
 * copies neither basicConstraints nor nameConstraints.)
 *
 * The same powers in the forms older readers still take: the X.509 v2
 * draft's basicConstraints (2.5.29.10), keyAttributes (2.5.29.2) and
 * keyUsageRestriction (2.5.29.4), which Windows CryptoAPI reads when
 * the current ones are absent or before them, and Netscape's nsCertType
 * with its sslCA, emailCA or objCA bit.
 *
 * Nor an extendedKeyUsage that makes its holder an authority towards
 * other CMP entities, unless the CMP Profile's certReqTemplate lists it
 * (a profile that enrols RAs): id-kp-cmcCA, id-kp-cmcRA and
 * id-kp-cmcArchive (RFC 6402 2.10; by the first two RFC 9483 3.1 and 5
 * tell a PKI management entity), id-kp-cmKGA (RFC 9480 2.2, the key
 * generation authority a client takes a centrally generated key from),
 * Microsoft's Certificate Request Agent (1.3.6.1.4.1.311.20.2.1: an
 * enrolment agent asks a Windows CA for certificates in others' names),
 * and anyExtendedKeyUsage (RFC 5280 4.2.1.12), which some relying
 * parties take for any of them.
 *
 * Nor, where the CMP Profile's certReqTemplate lists keyUsage or
 * extendedKeyUsage (RFC 9483 4.3.3), a usage it does not offer.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "cmpd.h"

/* Is item one of the comma-separated list? */
static int
exts_listed(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p;

	for (p = list; (p = strstr(p, item)) != NULL; p += n)
		if ((p == list || p[-1] == ',') &&
		    (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The extendedKeyUsage purposes of other CMP entities' authority (above),
 * dotted, each with its name. */
static const char *const exts_eku_authority[][2] = {
	{ "1.3.6.1.5.5.7.3.27", "cmcCA" },
	{ "1.3.6.1.5.5.7.3.28", "cmcRA" },
	{ "1.3.6.1.5.5.7.3.29", "cmcArchive" },
	{ "1.3.6.1.5.5.7.3.32", "cmKGA" },
	{ "1.3.6.1.4.1.311.20.2.1", "Certificate Request Agent" },
	{ "2.5.29.37.0", "anyExtendedKeyUsage" },
};

/* The older forms of the CA's powers (above), refused whatever their
 * value, dotted, each with its name. */
static const char *const exts_old_powers[][2] = {
	{ "2.5.29.2", "keyAttributes (2.5.29.2)" },
	{ "2.5.29.4", "keyUsageRestriction (2.5.29.4)" },
	{ "2.5.29.10", "basicConstraints of X.509 v2 (2.5.29.10)" },
};

/* An authority purpose of eku that p's certReqTemplate does not list by
 * its OID, named into arg: 1; else 0. */
static int
exts_eku_authority_asked(const EXTENDED_KEY_USAGE *eku,
    const struct profile *p, char *arg, size_t arglen)
{
	char dotted[80];
	size_t k;
	int i;

	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		if (OBJ_obj2txt(dotted, sizeof(dotted),
		    sk_ASN1_OBJECT_value(eku, i), 1) <= 0)
			continue;
		for (k = 0; k < NITEMS(exts_eku_authority); k++)
			if (strcmp(dotted, exts_eku_authority[k][0]) == 0 &&
			    (p == NULL || !exts_listed(p->tmpl_eku, dotted))) {
				snprintf(arg, arglen, "extendedKeyUsage %s",
				    exts_eku_authority[k][1]);
				return 1;
			}
	}
	return 0;
}

/*
 * Is x, of a type libcrypto knows, one value that decodes, with nothing
 * after it, in DER? libcrypto reads the first value and ignores what
 * follows, but the CA is given the extension's bytes as they came, and a
 * reader that takes the second (basicConstraints 30 00 30 03 01 01 ff:
 * cA false, then true) would see what cmpd never checked. Nor does it
 * read every encoding as it is: the padding bits of a BIT STRING are
 * cleared (keyUsage 03 02 03 fe holds keyCertSign and cRLSign in bits a
 * careless reader takes), so the value must encode again to the same
 * bytes (RFC 5280 4.2: extensions are DER). Types libcrypto does not know
 * pass as they are: 1.
 */
static int
exts_one_value(const X509_EXTENSION *x)
{
	const X509V3_EXT_METHOD *m = X509V3_EXT_get((X509_EXTENSION *)x);
	const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(
	    (X509_EXTENSION *)x);
	const unsigned char *q = ASN1_STRING_get0_data(data);
	unsigned char *der = NULL;
	ASN1_VALUE *v;
	int n = ASN1_STRING_length(data), one;

	if (m == NULL || m->it == NULL)
		return 1;
	v = ASN1_item_d2i(NULL, &q, n, ASN1_ITEM_ptr(m->it));
	one = v != NULL && q == ASN1_STRING_get0_data(data) + n &&
	    ASN1_item_i2d(v, &der, ASN1_ITEM_ptr(m->it)) == n &&
	    memcmp(der, ASN1_STRING_get0_data(data), (size_t)n) == 0;
	OPENSSL_free(der);
	ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
	return one;
}

/*
 * Is name DER (RFC 5280 4.1: the certificate's names are)? libcrypto
 * keeps a name's bytes as they came and writes them out so, also those
 * of a name read from BER (a length in more octets than it needs, an
 * RDN's values out of DER's order): the CA would sign them as they came.
 * Built again from its attributes, the name is encoded anew.
 */
int
cmp_exts_name_der(const X509_NAME *name)
{
	const X509_NAME_ENTRY *e;
	X509_NAME *again;
	unsigned char *a = NULL, *b = NULL;
	int i, la, lb, set = -1, der = 0;

	if ((again = X509_NAME_new()) == NULL)
		return 0;
	for (i = 0; i < X509_NAME_entry_count(name); i++) {
		e = X509_NAME_get_entry(name, i);
		/* -1: into the RDN of the one before; 0: an RDN of its own */
		if (!X509_NAME_add_entry(again, e, -1,
		    X509_NAME_ENTRY_set(e) == set ? -1 : 0))
			goto out;
		set = X509_NAME_ENTRY_set(e);
	}
	la = i2d_X509_NAME(name, &a);
	lb = i2d_X509_NAME(again, &b);
	der = la > 0 && la == lb && memcmp(a, b, (size_t)la) == 0;
 out:
	OPENSSL_free(a);
	OPENSSL_free(b);
	X509_NAME_free(again);
	ERR_clear_error();
	return der;
}

/* Every directoryName of a subjectAltName DER? 0 for one that is not, or
 * an extension that does not decode. */
static int
exts_san_der(const X509_EXTENSION *x)
{
	GENERAL_NAMES *gns;
	GENERAL_NAME *gn;
	int i, der;

	if ((gns = X509V3_EXT_d2i((X509_EXTENSION *)x)) == NULL)
		return 0;
	for (der = 1, i = 0; der && i < sk_GENERAL_NAME_num(gns); i++) {
		gn = sk_GENERAL_NAME_value(gns, i);
		if (gn->type == GEN_DIRNAME)
			der = cmp_exts_name_der(gn->d.directoryName);
	}
	GENERAL_NAMES_free(gns);
	return der;
}

/* x of an older form of a CA power (exts_old_powers), named into arg: 1. */
static int
exts_old_power(const X509_EXTENSION *x, char *arg, size_t arglen)
{
	char dotted[80];
	size_t k;

	if (OBJ_obj2txt(dotted, sizeof(dotted),
	    X509_EXTENSION_get_object((X509_EXTENSION *)x), 1) <= 0)
		return 0;
	for (k = 0; k < NITEMS(exts_old_powers); k++)
		if (strcmp(dotted, exts_old_powers[k][0]) == 0) {
			snprintf(arg, arglen, "%s", exts_old_powers[k][1]);
			return 1;
		}
	return 0;
}

/* szOID_APPLICATION_CERT_POLICIES, which libcrypto has no NID for. */
static const ASN1_OBJECT *
exts_ms_app_policies(void)
{
	static ASN1_OBJECT *o;

	if (o == NULL)
		o = OBJ_txt2obj("1.3.6.1.4.1.311.21.10", 1);
	return o;
}

/* The keyUsage bits of ku are all among those p's certReqTemplate offers
 * (any, when it names none); else the first other named into arg. */
static int
exts_ku_offered(const ASN1_BIT_STRING *ku, const struct profile *p,
    char *arg, size_t arglen)
{
	int b;

	if (p == NULL || p->tmpl_ku == 0)
		return 1;
	for (b = 0; b < ASN1_STRING_length(ku) * 8; b++)
		if (ASN1_BIT_STRING_get_bit(ku, b) && (b >= CMP_TMPL_KU_BITS ||
		    !(p->tmpl_ku & (1 << b)))) {
			if (b < CMP_TMPL_KU_BITS)
				snprintf(arg, arglen, "keyUsage %s",
				    cmp_tmpl_ku_name(b));
			else
				snprintf(arg, arglen, "keyUsage bit %d", b);
			return 0;
		}
	return 1;
}

/* The same for extendedKeyUsage: its purposes all among the template's,
 * or the template names anyExtendedKeyUsage or none. */
static int
exts_eku_offered(const EXTENDED_KEY_USAGE *eku, const struct profile *p,
    char *arg, size_t arglen)
{
	const ASN1_OBJECT *o;
	char dotted[80];
	int i, nid;

	if (p == NULL || p->tmpl_eku[0] == '\0' ||
	    exts_listed(p->tmpl_eku, "2.5.29.37.0"))
		return 1;
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		o = sk_ASN1_OBJECT_value(eku, i);
		if (OBJ_obj2txt(dotted, sizeof(dotted), o, 1) <= 0)
			dotted[0] = '\0';
		if (dotted[0] != '\0' && (size_t)strlen(dotted) <
		    sizeof(dotted) - 1 && exts_listed(p->tmpl_eku, dotted))
			continue;
		nid = OBJ_obj2nid(o);
		snprintf(arg, arglen, "extendedKeyUsage %s", nid != NID_undef ?
		    OBJ_nid2sn(nid) : dotted[0] != '\0' ? dotted : "?");
		return 0;
	}
	return 1;
}

/*
 * The extension of exts (a template's or a CSR's, may be NULL) that asks
 * for a power of the CA, named into arg: CMPF_TEMPLATE_CA_POWER; one of
 * those types that does not decode: the same (the CA's reading of it is
 * unknown). A keyUsage or extendedKeyUsage beyond what p's (may be NULL)
 * certReqTemplate offers (RFC 9483 4.3.3): CMPF_TEMPLATE_NOT_OFFERED.
 * CMPF_OK otherwise.
 */
enum cmp_fail
cmp_exts_check(const STACK_OF(X509_EXTENSION) *exts,
    const struct profile *p, char *arg, size_t arglen)
{
	BASIC_CONSTRAINTS *bc = NULL;
	ASN1_BIT_STRING *ku = NULL;
	EXTENDED_KEY_USAGE *eku = NULL;
	enum cmp_fail f = CMPF_TEMPLATE_CA_POWER;
	int i, n;

	arg[0] = '\0';
	for (i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *x = sk_X509_EXTENSION_value(exts, i);

		if (!exts_one_value(x)) {
			n = OBJ_obj2nid(X509_EXTENSION_get_object(x));
			snprintf(arg, arglen, "%s", OBJ_nid2sn(n));
			f = CMPF_EXTENSION_NOT_ONE;
			goto out;
		}
		switch (OBJ_obj2nid(X509_EXTENSION_get_object(x))) {
		case NID_basic_constraints:
			if ((bc = X509V3_EXT_d2i(x)) == NULL || bc->ca) {
				snprintf(arg, arglen, "basicConstraints cA");
				goto out;
			}
			BASIC_CONSTRAINTS_free(bc);
			bc = NULL;
			break;
		case NID_key_usage:
			if ((ku = X509V3_EXT_d2i(x)) == NULL ||
			    ASN1_BIT_STRING_get_bit(ku, 5) ||
			    ASN1_BIT_STRING_get_bit(ku, 6)) {
				snprintf(arg, arglen,
				    "keyUsage keyCertSign or cRLSign");
				goto out;
			}
			if (!exts_ku_offered(ku, p, arg, arglen)) {
				f = CMPF_TEMPLATE_NOT_OFFERED;
				goto out;
			}
			ASN1_BIT_STRING_free(ku);
			ku = NULL;
			break;
		case NID_name_constraints:
			snprintf(arg, arglen, "nameConstraints");
			goto out;
		case NID_ext_key_usage:
			if ((eku = X509V3_EXT_d2i(x)) == NULL) {
				snprintf(arg, arglen, "extendedKeyUsage");
				goto out;
			}
			for (n = 0; n < sk_ASN1_OBJECT_num(eku); n++)
				if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, n)) ==
				    NID_OCSP_sign) {
					snprintf(arg, arglen,
					    "extendedKeyUsage OCSPSigning");
					goto out;
				}
			if (exts_eku_authority_asked(eku, p, arg, arglen))
				goto out;
			if (!exts_eku_offered(eku, p, arg, arglen)) {
				f = CMPF_TEMPLATE_NOT_OFFERED;
				goto out;
			}
			EXTENDED_KEY_USAGE_free(eku);
			eku = NULL;
			break;
		case NID_subject_alt_name:
			if (!exts_san_der(x)) {
				snprintf(arg, arglen, "a directoryName of "
				    "subjectAltName");
				f = CMPF_NAME_NOT_DER;
				goto out;
			}
			break;
		case NID_netscape_cert_type:
			if ((ku = X509V3_EXT_d2i(x)) == NULL ||
			    ASN1_BIT_STRING_get_bit(ku, 5) ||
			    ASN1_BIT_STRING_get_bit(ku, 6) ||
			    ASN1_BIT_STRING_get_bit(ku, 7)) {
				snprintf(arg, arglen,
				    "nsCertType sslCA, emailCA or objCA");
				goto out;
			}
			ASN1_BIT_STRING_free(ku);
			ku = NULL;
			break;
		default:
			if (exts_old_power(x, arg, arglen))
				goto out;
			/* Microsoft's application policies, which Windows
			 * CAs and clients read as extendedKeyUsage: a way
			 * round the checks above, and no template offers
			 * them */
			if (OBJ_cmp(X509_EXTENSION_get_object(x),
			    exts_ms_app_policies()) == 0) {
				snprintf(arg, arglen, "Microsoft application "
				    "policies (1.3.6.1.4.1.311.21.10)");
				f = CMPF_TEMPLATE_NOT_OFFERED;
				goto out;
			}
			break;
		}
	}
	f = CMPF_OK;
 out:
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	EXTENDED_KEY_USAGE_free(eku);
	ERR_clear_error();
	return f;
}

/*
 * A PKCS#10 request's extensions (RFC 2986 4.1, RFC 2985 5.4.2) as the CA
 * may read them: the request is passed on as it came, and libcrypto's
 * X509_REQ_get_extensions(), which the template is made with, reads only
 * the first extensionRequest attribute's first value and no Microsoft
 * msExtReq. So there must be at most one extensionRequest, of one value
 * that decodes, and no msExtReq: CMPF_P10CR_EXTENSIONS otherwise, what
 * was found in arg. Of the other attributes only challengePassword (RFC
 * 2985 5.4.1) goes to the CA; any other is CMPF_P10CR_ATTRIBUTE.
 */
enum cmp_fail
cmp_exts_csr_check(const X509_REQ *csr, char *arg, size_t arglen)
{
	STACK_OF(X509_EXTENSION) *exts;
	X509_ATTRIBUTE *at;
	int i, n = 0;

	arg[0] = '\0';
	for (i = 0; i < X509_REQ_get_attr_count(csr); i++) {
		at = X509_REQ_get_attr(csr, i);
		switch (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(at))) {
		case NID_ms_ext_req:
			snprintf(arg, arglen, "an msExtReq attribute");
			return CMPF_P10CR_EXTENSIONS;
		case NID_ext_req:
			if (++n > 1 || X509_ATTRIBUTE_count(at) != 1) {
				snprintf(arg, arglen, "more than one "
				    "extensionRequest");
				return CMPF_P10CR_EXTENSIONS;
			}
			break;
		case NID_pkcs9_challengePassword:
			break;
		default:
			/* the CA reads the request itself: an attribute
			 * cmpd does not check could ask it for anything (a
			 * Windows CA's enrollmentNameValuePair names
			 * subjectAltNames and templates) */
			OBJ_obj2txt(arg, (int)arglen,
			    X509_ATTRIBUTE_get0_object(at), 0);
			return CMPF_P10CR_ATTRIBUTE;
		}
	}
	if (n == 0)
		return CMPF_OK;
	if ((exts = X509_REQ_get_extensions((X509_REQ *)csr)) == NULL) {
		ERR_clear_error();
		snprintf(arg, arglen, "an extensionRequest that does not "
		    "decode");
		return CMPF_P10CR_EXTENSIONS;
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return CMPF_OK;
}
