/*
 * A CMP Profile's certificate request template (RFC 9483 4.3.3): the JSON
 * the management API stores, checked and turned into the
 * CertReqTemplateContent a genp carries (RFC 9810 5.3.19.16). One
 * function does both, so that what the API accepts is what genm sends.
 *
 *   {"subject": "CN=device,O=Example", "keyUsage": ["digitalSignature"],
 *    "extendedKeyUsage": ["clientAuth"], "keySpec": "EC:prime256v1"}
 *
 * Every member is optional. keySpec is EC:<curve>, RSA:<bits>, Ed25519
 * or Ed448: the key type becomes the control id-regCtrl-algId, an RSA
 * key's length id-regCtrl-rsaKeyLen.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "cmpd.h"
#include "cmp_itav.h"
#include "jsoncheck.h"

#define TMPL_USAGES_MAX	16
#define TMPL_RSA_MIN	2048
#define TMPL_RSA_MAX	16384

static const char *const tmpl_members[] = {
	"subject", "keyUsage", "extendedKeyUsage", "keySpec",
};

/* keyUsage bits by their RFC 5280 4.2.1.3 names (OpenSSL's config names) */
static const char *const tmpl_ku[] = {
	"digitalSignature", "nonRepudiation", "keyEncipherment",
	"dataEncipherment", "keyAgreement", "keyCertSign", "cRLSign",
	"encipherOnly", "decipherOnly",
};

/* keyUsage bit b's name (b < CMP_TMPL_KU_BITS). */
const char *
cmp_tmpl_ku_name(int b)
{
	return b >= 0 && (size_t)b < NITEMS(tmpl_ku) ? tmpl_ku[b] : "?";
}

/* A list of names as "a,b,c" for X509V3_EXT_nconf_nid; -1 with err. */
static int
tmpl_list(json_object *a, const char *what, int ku, char *buf, size_t n,
    char *err, size_t errlen)
{
	const char *s;
	size_t i, k, o = 0, cnt;
	ASN1_OBJECT *obj;

	if (!json_object_is_type(a, json_type_array) ||
	    (cnt = json_object_array_length(a)) == 0 ||
	    cnt > TMPL_USAGES_MAX) {
		snprintf(err, errlen, "certReqTemplate.%s must be an array of "
		    "1 to %d names", what, TMPL_USAGES_MAX);
		return -1;
	}
	buf[0] = '\0';
	for (i = 0; i < cnt; i++) {
		json_object *v = json_object_array_get_idx(a, i);

		if (!json_object_is_type(v, json_type_string) ||
		    (s = json_object_get_string(v))[0] == '\0' ||
		    strlen(s) > 64) {
			snprintf(err, errlen, "certReqTemplate.%s must be an "
			    "array of names", what);
			return -1;
		}
		if (ku) {
			for (k = 0; k < NITEMS(tmpl_ku); k++)
				if (strcmp(s, tmpl_ku[k]) == 0)
					break;
			if (k == NITEMS(tmpl_ku)) {
				snprintf(err, errlen, "certReqTemplate.keyUsage: "
				    "unknown usage %.64s", s);
				return -1;
			}
		} else {
			if (strchr(s, ',') != NULL ||
			    (obj = OBJ_txt2obj(s, 0)) == NULL) {
				ERR_clear_error();
				snprintf(err, errlen, "certReqTemplate."
				    "extendedKeyUsage: unknown purpose %.64s",
				    s);
				return -1;
			}
			ASN1_OBJECT_free(obj);
		}
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i > 0 ? "," : "",
		    s);
		if (o >= n) {
			snprintf(err, errlen, "certReqTemplate.%s is too long",
			    what);
			return -1;
		}
	}
	return 0;
}

static int
tmpl_add_ext(STACK_OF(X509_EXTENSION) **exts, int nid, const char *value)
{
	X509_EXTENSION *x;

	if ((x = X509V3_EXT_nconf_nid(NULL, NULL, nid, value)) == NULL)
		return -1;
	/* RFC 5280 4.2.1.3: keyUsage SHOULD be critical */
	if (nid == NID_key_usage)
		X509_EXTENSION_set_critical(x, 1);
	if (X509v3_add_ext(exts, x, -1) == NULL) {
		X509_EXTENSION_free(x);
		return -1;
	}
	X509_EXTENSION_free(x);
	return 0;
}

static int
tmpl_push_ctrl(CMPD_CERTREQTEMPLATE *t, const char *oid, ASN1_TYPE *v)
{
	CMPD_ATAV *a;

	if (v == NULL || (a = CMPD_ATAV_new()) == NULL) {
		ASN1_TYPE_free(v);
		return -1;
	}
	ASN1_OBJECT_free(a->type);
	ASN1_TYPE_free(a->value);
	a->value = v;
	if ((a->type = cmp_itav_oid(oid)) == NULL ||
	    (t->keySpec == NULL &&
	    (t->keySpec = sk_CMPD_ATAV_new_null()) == NULL) ||
	    !sk_CMPD_ATAV_push(t->keySpec, a)) {
		CMPD_ATAV_free(a);
		return -1;
	}
	return 0;
}

/* id-regCtrl-algId: the key's AlgorithmIdentifier, as an ANY */
static int
tmpl_algid(CMPD_CERTREQTEMPLATE *t, int alg_nid, int curve_nid)
{
	X509_ALGOR *alg = NULL;
	unsigned char *der = NULL;
	int len, r = -1;

	if ((alg = X509_ALGOR_new()) == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(alg_nid),
	    curve_nid != NID_undef ? V_ASN1_OBJECT : V_ASN1_UNDEF,
	    curve_nid != NID_undef ? OBJ_nid2obj(curve_nid) : NULL) ||
	    (len = i2d_X509_ALGOR(alg, &der)) <= 0)
		goto out;
	r = tmpl_push_ctrl(t, CMP_ITAV_OID_REGCTRL_ALGID,
	    cmp_itav_seq_value(der, len));
 out:
	OPENSSL_free(der);
	X509_ALGOR_free(alg);
	return r;
}

static int
tmpl_ec_curve(const char *name)
{
	EC_builtin_curve curves[128];
	size_t i, n;
	int nid;

	if ((nid = OBJ_txt2nid(name)) == NID_undef &&
	    (nid = EC_curve_nist2nid(name)) == NID_undef)
		return NID_undef;
	n = EC_get_builtin_curves(curves, NITEMS(curves));
	for (i = 0; i < n && i < NITEMS(curves); i++)
		if (curves[i].nid == nid)
			return nid;
	return NID_undef;
}

/*
 * keySpec s as the EVP_PKEY type it asks for (EVP_PKEY_EC, EVP_PKEY_RSA,
 * EVP_PKEY_ED25519, EVP_PKEY_ED448) and its parameter: an EC key's curve
 * (NID), an RSA key's length in bits, 0 for the others. 0, or
 * CMP_TMPL_KS_CURVE (unknown curve), CMP_TMPL_KS_RSA (length out of
 * range), CMP_TMPL_KS_FORM (none of these forms).
 */
int
cmp_tmpl_keyspec(const char *s, int *type, int *param)
{
	char *end;
	long n;

	*type = EVP_PKEY_NONE;
	*param = 0;
	if (strncmp(s, "EC:", 3) == 0) {
		if ((*param = tmpl_ec_curve(s + 3)) == NID_undef)
			return CMP_TMPL_KS_CURVE;
		*type = EVP_PKEY_EC;
		return 0;
	}
	if (strncmp(s, "RSA:", 4) == 0) {
		n = strtol(s + 4, &end, 10);
		if (s[4] < '0' || s[4] > '9' || *end != '\0' ||
		    n < TMPL_RSA_MIN || n > TMPL_RSA_MAX)
			return CMP_TMPL_KS_RSA;
		*type = EVP_PKEY_RSA;
		*param = (int)n;
		return 0;
	}
	if (strcmp(s, "Ed25519") == 0)
		*type = EVP_PKEY_ED25519;
	else if (strcmp(s, "Ed448") == 0)
		*type = EVP_PKEY_ED448;
	else
		return CMP_TMPL_KS_FORM;
	return 0;
}

static int
tmpl_keyspec(CMPD_CERTREQTEMPLATE *t, const char *s, char *err,
    size_t errlen)
{
	ASN1_INTEGER *bits = NULL;
	ASN1_TYPE *v;
	int type, param;

	switch (cmp_tmpl_keyspec(s, &type, &param)) {
	case 0:
		break;
	case CMP_TMPL_KS_CURVE:
		snprintf(err, errlen, "certReqTemplate.keySpec: unknown "
		    "curve %.64s", s + 3);
		return -1;
	case CMP_TMPL_KS_RSA:
		snprintf(err, errlen, "certReqTemplate.keySpec: RSA key "
		    "length must be %d to %d bits", TMPL_RSA_MIN,
		    TMPL_RSA_MAX);
		return -1;
	default:
		snprintf(err, errlen, "certReqTemplate.keySpec must be "
		    "EC:<curve>, RSA:<bits>, Ed25519 or Ed448");
		return -1;
	}
	if (type == EVP_PKEY_EC)
		return tmpl_algid(t, NID_X9_62_id_ecPublicKey, param) == 0 ?
		    0 : -2;
	if (type != EVP_PKEY_RSA)
		return tmpl_algid(t, type == EVP_PKEY_ED25519 ? NID_ED25519 :
		    NID_ED448, NID_undef) == 0 ? 0 : -2;
	/* RFC 9810 5.3.19.16: rsaKeyLen gives the length; the key type
	 * follows from it */
	if ((bits = ASN1_INTEGER_new()) == NULL ||
	    !ASN1_INTEGER_set(bits, param) ||
	    (v = ASN1_TYPE_new()) == NULL) {
		ASN1_INTEGER_free(bits);
		return -2;
	}
	ASN1_TYPE_set(v, V_ASN1_INTEGER, bits);
	return tmpl_push_ctrl(t, CMP_ITAV_OID_REGCTRL_RSAKEYLEN, v) == 0 ?
	    0 : -2;
}

/*
 * Checks the template o and, with der != NULL, encodes its
 * CertReqTemplateContent (OPENSSL_free). 0; -1 with err for a template
 * that breaks the rules; -2 out of memory.
 */
int
cmp_tmpl_build(json_object *o, unsigned char **der, int *len, char *err,
    size_t errlen)
{
	CMPD_CERTREQTEMPLATE *t = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	json_object *v;
	char list[TMPL_USAGES_MAX * 66];
	size_t i;
	int r = -2;

	if (der != NULL) {
		*der = NULL;
		*len = 0;
	}
	err[0] = '\0';
	if (!json_object_is_type(o, json_type_object)) {
		snprintf(err, errlen, "certReqTemplate must be an object "
		    "{subject, keyUsage, extendedKeyUsage, keySpec} or null");
		return -1;
	}
	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; i < NITEMS(tmpl_members); i++)
			if (strcmp(key, tmpl_members[i]) == 0)
				break;
		if (i == NITEMS(tmpl_members)) {
			snprintf(err, errlen, "certReqTemplate: unknown member "
			    "%.64s", key);
			return -1;
		}
	}
	if ((t = CMPD_CERTREQTEMPLATE_new()) == NULL)
		goto out;
	if (json_object_object_get_ex(o, "subject", &v)) {
		if (!json_object_is_type(v, json_type_string) ||
		    (t->certTemplate->subject =
		    cmp_msg_parse_name(json_object_get_string(v))) == NULL) {
			snprintf(err, errlen, "certReqTemplate.subject must be "
			    "a distinguished name such as \"CN=device,"
			    "O=Example\"");
			r = -1;
			goto out;
		}
	}
	if (json_object_object_get_ex(o, "keyUsage", &v)) {
		if (tmpl_list(v, "keyUsage", 1, list, sizeof(list), err,
		    errlen) != 0) {
			r = -1;
			goto out;
		}
		if (tmpl_add_ext(&exts, NID_key_usage, list) != 0)
			goto out;
	}
	if (json_object_object_get_ex(o, "extendedKeyUsage", &v)) {
		if (tmpl_list(v, "extendedKeyUsage", 0, list, sizeof(list), err,
		    errlen) != 0) {
			r = -1;
			goto out;
		}
		if (tmpl_add_ext(&exts, NID_ext_key_usage, list) != 0) {
			snprintf(err, errlen, "certReqTemplate."
			    "extendedKeyUsage: unknown purpose");
			r = -1;
			goto out;
		}
	}
	t->certTemplate->extensions = exts;
	exts = NULL;
	if (json_object_object_get_ex(o, "keySpec", &v)) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "certReqTemplate.keySpec must be "
			    "a string");
			r = -1;
			goto out;
		}
		if ((r = tmpl_keyspec(t, json_object_get_string(v), err,
		    errlen)) != 0)
			goto out;
		r = -2;
	}
	if (der != NULL &&
	    (*len = i2d_CMPD_CERTREQTEMPLATE(t, der)) <= 0) {
		*der = NULL;
		*len = 0;
		goto out;
	}
	r = 0;
 out:
	if (r == -2 && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	CMPD_CERTREQTEMPLATE_free(t);
	ERR_clear_error();
	return r;
}

/*
 * The stored template json ("" for none) as requests are held to it: its
 * keySpec into p's key_spec, key_type and key_param (cmp_tmpl_keyspec),
 * its keyUsage into tmpl_ku as bits (0: none listed; a list has one at
 * least), its extendedKeyUsage into tmpl_eku as dotted OIDs,
 * comma-separated ("": none listed). 0; -1, and none of them set, for a
 * template the API would not have taken: the checks of cmp_tmpl_build(),
 * on json-c's reading of it, which the genp is made of too.
 */
int
cmp_tmpl_profile(const char *json, struct profile *p)
{
	char list[TMPL_USAGES_MAX * 66], err[160], dotted[80], *tok, *save;
	json_object *o = NULL, *v;
	ASN1_OBJECT *obj;
	size_t k, o_len = 0, n = strlen(json);
	int len, r = -1;

	p->key_spec[0] = p->tmpl_eku[0] = '\0';
	p->key_type = EVP_PKEY_NONE;
	p->key_param = p->tmpl_ku = 0;
	if (n == 0)
		return 0;
	if (n > CMP_TMPL_JSON_MAX ||
	    jsoncheck_parse(json, n, 8, &o) != PARSE_OK ||
	    cmp_tmpl_build(o, NULL, NULL, err, sizeof(err)) != 0)
		goto out;
	if (json_object_object_get_ex(o, "keySpec", &v)) {
		if ((size_t)json_object_get_string_len(v) >=
		    sizeof(p->key_spec) ||
		    cmp_tmpl_keyspec(json_object_get_string(v), &p->key_type,
		    &p->key_param) != 0)
			goto out;
		snprintf(p->key_spec, sizeof(p->key_spec), "%s",
		    json_object_get_string(v));
	}
	if (json_object_object_get_ex(o, "keyUsage", &v)) {
		if (tmpl_list(v, "keyUsage", 1, list, sizeof(list), err,
		    sizeof(err)) != 0)
			goto out;
		for (tok = strtok_r(list, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			for (k = 0; k < NITEMS(tmpl_ku); k++)
				if (strcmp(tok, tmpl_ku[k]) == 0)
					p->tmpl_ku |= 1 << k;
	}
	if (json_object_object_get_ex(o, "extendedKeyUsage", &v)) {
		if (tmpl_list(v, "extendedKeyUsage", 0, list, sizeof(list), err,
		    sizeof(err)) != 0)
			goto out;
		for (tok = strtok_r(list, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			if ((obj = OBJ_txt2obj(tok, 0)) == NULL)
				goto out;
			len = OBJ_obj2txt(dotted, sizeof(dotted), obj, 1);
			ASN1_OBJECT_free(obj);
			if (len <= 0 || (size_t)len >= sizeof(dotted) ||
			    o_len + (size_t)len + 2 > sizeof(p->tmpl_eku))
				goto out;
			o_len += (size_t)snprintf(p->tmpl_eku + o_len,
			    sizeof(p->tmpl_eku) - o_len, "%s%s",
			    o_len > 0 ? "," : "", dotted);
		}
	}
	r = 0;
 out:
	if (r != 0) {
		p->key_spec[0] = p->tmpl_eku[0] = '\0';
		p->key_type = EVP_PKEY_NONE;
		p->key_param = p->tmpl_ku = 0;
	}
	json_object_put(o);
	ERR_clear_error();
	return r;
}
