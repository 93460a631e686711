/*
 * /api/v1/cmpProfiles: the reference's Core CMP API for CMP Profiles
 * (shared/reference/czertainly-cmp-facts.md), with its validation rules
 * and texts, plus the credentials cmpd keeps per profile (signing key and
 * chain, trust anchors for request signers). Secrets are write-only.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api.h"

#define CP_DESCR_MAX	1024	/* cmp_profile.description */
#define CP_SECRET_SET	"(set)"	/* what audit rows say instead of a secret */

/* One cmp_profile row with its default RA Profile, as the API shows it. */
struct cp_row {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF];
	char	 descr[4 * CP_DESCR_MAX + 1], variant[16], req[16], resp[16];
	char	 ref[4 * 128 + 1], ra_uuid[CMPD_UUID_LEN + 1];
	char	 ra_name[CMPD_NAME_BUF], inst[CMPD_UUID_LEN + 1];
	char	 created[40], updated[40], subject_policy[16];
	unsigned char cert[PROFILE_SIGN_MAX], anchors[PROFILE_SIGN_MAX];
	unsigned char crls[PROFILE_SIGN_MAX];
	char	 iattrs[PROFILE_ATTRS_MAX], rattrs[PROFILE_ATTRS_MAX];
	struct db_col col[23];
};
enum {
	CP_UUID, CP_NAME, CP_DESCR, CP_ENABLED, CP_VARIANT, CP_REQ, CP_RESP,
	CP_HAS_SECRET, CP_REF, CP_CERT, CP_ANCHORS, CP_IATTRS, CP_RATTRS,
	CP_IMPLICIT, CP_WAIT, CP_RA_UUID, CP_RA_NAME, CP_RA_ENABLED, CP_INST,
	CP_CREATED, CP_UPDATED, CP_SUBJECT_POLICY, CP_CRLS, CP_NCOLS
};

#define CP_SELECT_COLS(cert, anchors, crls) \
	"SELECT c.uuid, c.name, COALESCE(c.description, ''), c.enabled, " \
	"c.variant, c.request_protection, c.response_protection, " \
	"c.shared_secret_enc IS NOT NULL, " \
	"COALESCE(c.shared_secret_reference, ''), " cert ", " anchors ", " \
	"COALESCE(c.issue_attributes, ''), " \
	"COALESCE(c.revoke_attributes, ''), c.implicit_confirm_allowed, " \
	"c.confirm_wait_time, COALESCE(r.uuid, ''), COALESCE(r.name, ''), " \
	"COALESCE(r.enabled, 0), COALESCE(a.authority_instance_uuid, ''), " \
	"DATE_FORMAT(c.created_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"DATE_FORMAT(c.updated_at, '%Y-%m-%dT%H:%i:%s.%fZ'), " \
	"c.subject_policy, " crls " " \
	"FROM cmp_profile c " \
	"LEFT JOIN ra_profile r ON r.uuid = c.default_ra_profile_uuid " \
	"LEFT JOIN authority a ON a.uuid = r.authority_uuid "
/* the detail reads the certificates, a list does not need them */
#define CP_SELECT	CP_SELECT_COLS("c.signing_certificate", "c.trust_anchors", \
	"c.trust_crls")
#define CP_SELECT_LIST	CP_SELECT_COLS("NULL", "NULL", "NULL")

static struct cp_row *
cp_row_new(void)
{
	struct cp_row *r;
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
#define S(i, f)	{ DB_STR, r->f, sizeof(r->f), 0, 0, 0, 0 }
#define B(i, f)	{ DB_BLOB, r->f, sizeof(r->f), 0, 0, 0, 0 }
#define I(i)	{ DB_INT, NULL, 0, 0, 0, 0, 0 }
	{
		struct db_col col[CP_NCOLS] = {
			S(CP_UUID, uuid), S(CP_NAME, name), S(CP_DESCR, descr),
			I(CP_ENABLED), S(CP_VARIANT, variant), S(CP_REQ, req),
			S(CP_RESP, resp), I(CP_HAS_SECRET), S(CP_REF, ref),
			B(CP_CERT, cert), B(CP_ANCHORS, anchors),
			S(CP_IATTRS, iattrs), S(CP_RATTRS, rattrs),
			I(CP_IMPLICIT), I(CP_WAIT), S(CP_RA_UUID, ra_uuid),
			S(CP_RA_NAME, ra_name), I(CP_RA_ENABLED),
			S(CP_INST, inst), S(CP_CREATED, created),
			S(CP_UPDATED, updated),
			S(CP_SUBJECT_POLICY, subject_policy), B(CP_CRLS, crls),
		};
#undef S
#undef B
#undef I
		for (i = 0; i < CP_NCOLS; i++)
			r->col[i] = col[i];
	}
	return r;
}

/* "YYYY-MM-DDTHH:MM:SSZ" of an ASN1_TIME. */
static json_object *
cp_time(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[32];

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return json_object_new_string(buf);
}

static json_object *
cp_name(const X509_NAME *n)
{
	json_object *o = NULL;
	BIO *b;
	char *p;
	long len;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) >= 0)
		o = json_object_new_string_len(p, (int)len);
	BIO_free(b);
	return o;
}

/* What the API tells about a certificate (never a key). */
static json_object *
cp_cert_json(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	unsigned int n = 0;
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "subject", cp_name(X509_get_subject_name(x)));
	json_object_object_add(o, "issuer", cp_name(X509_get_issuer_name(x)));
	util_hex(sn->data, (size_t)sn->length, hex, sizeof(hex));
	json_object_object_add(o, "serialNumber", json_object_new_string(hex));
	json_object_object_add(o, "notBefore", cp_time(X509_get0_notBefore(x)));
	json_object_object_add(o, "notAfter", cp_time(X509_get0_notAfter(x)));
	if (X509_digest(x, EVP_sha256(), md, &n) == 1) {
		util_hex(md, n, hex, sizeof(hex));
		json_object_object_add(o, "fingerprint",
		    json_object_new_string(hex));
	}
	return o;
}

/* The certificates of concatenated DER; NULL when none decodes. */
static STACK_OF(X509) *
cp_der_certs(const unsigned char *der, size_t len)
{
	STACK_OF(X509) *sk;
	const unsigned char *p = der, *end = der + len;
	X509 *x;

	if ((sk = sk_X509_new_null()) == NULL)
		return NULL;
	while (p < end && (x = d2i_X509(NULL, &p, (long)(end - p))) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			break;
		}
	return sk;
}

static json_object *
cp_attrs(const char *text)
{
	json_object *o = NULL;

	if (api_parse_json_text(text, &o) != 0 || o == NULL)
		return json_object_new_array();
	return o;
}

static json_object *
cp_url(const struct api_call *c, const char *route, const char *name)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s/api/v1/protocols/cmp/%s%s",
	    c->base_url != NULL ? c->base_url : "", route, name);
	return json_object_new_string(buf);
}

/* The summary (list) or the detail of a row. */
static json_object *
cp_json(const struct api_call *c, const struct cp_row *r, int detail)
{
	const struct db_col *col = r->col;
	json_object *o, *ra = NULL, *sig = NULL;
	STACK_OF(X509) *certs;
	STACK_OF(X509_CRL) *crls;
	const unsigned char *p;
	X509 *x;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "uuid", json_object_new_string(r->uuid));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "description", api_json_str(r->descr));
	json_object_object_add(o, "enabled",
	    json_object_new_boolean(col[CP_ENABLED].i != 0));
	json_object_object_add(o, "variant", json_object_new_string(r->variant));
	if (r->ra_uuid[0] != '\0' && (ra = json_object_new_object()) != NULL) {
		json_object_object_add(ra, "uuid",
		    json_object_new_string(r->ra_uuid));
		json_object_object_add(ra, "name",
		    json_object_new_string(r->ra_name));
		json_object_object_add(ra, "enabled",
		    json_object_new_boolean(col[CP_RA_ENABLED].i != 0));
		json_object_object_add(ra, "authorityInstanceUuid",
		    api_json_str(r->inst));
	}
	json_object_object_add(o, "raProfile", ra);
	json_object_object_add(o, "cmpUrl", cp_url(c, "", r->name));
	if (!detail)
		return o;
	json_object_object_add(o, "requestProtectionMethod",
	    json_object_new_string(r->req));
	json_object_object_add(o, "responseProtectionMethod",
	    json_object_new_string(r->resp));
	json_object_object_add(o, "sharedSecretReference", api_json_str(r->ref));
	json_object_object_add(o, "hasSharedSecret",
	    json_object_new_boolean(col[CP_HAS_SECRET].i != 0));
	p = r->cert;
	if (!col[CP_CERT].null && col[CP_CERT].len > 0 &&
	    (x = d2i_X509(NULL, &p, (long)col[CP_CERT].len)) != NULL) {
		sig = cp_cert_json(x);
		X509_free(x);
	}
	json_object_object_add(o, "signingCertificate", sig);
	certs = col[CP_ANCHORS].null ? NULL :
	    cp_der_certs(r->anchors, col[CP_ANCHORS].len);
	json_object_object_add(o, "trustAnchorCount",
	    json_object_new_int(certs != NULL ? sk_X509_num(certs) : 0));
	sk_X509_pop_free(certs, X509_free);
	crls = col[CP_CRLS].null || col[CP_CRLS].len == 0 ? NULL :
	    profile_der_crls(r->crls, col[CP_CRLS].len);
	json_object_object_add(o, "trustAnchorCrlCount",
	    json_object_new_int(crls != NULL ? sk_X509_CRL_num(crls) : 0));
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	json_object_object_add(o, "issueCertificateAttributes",
	    cp_attrs(r->iattrs));
	json_object_object_add(o, "revokeCertificateAttributes",
	    cp_attrs(r->rattrs));
	json_object_object_add(o, "implicitConfirmAllowed",
	    json_object_new_boolean(col[CP_IMPLICIT].i != 0));
	json_object_object_add(o, "confirmWaitTime",
	    json_object_new_int((int)col[CP_WAIT].i));
	json_object_object_add(o, "subjectPolicy",
	    json_object_new_string(r->subject_policy));
	json_object_object_add(o, "createdAt", json_object_new_string(r->created));
	json_object_object_add(o, "updatedAt", json_object_new_string(r->updated));
	return o;
}

/* Loads the profile c->param[0] into *out: 0, or an answer set. */
static int
cp_load(struct api_call *c, const char *uuid, struct cp_row **out)
{
	static const char sql[] = CP_SELECT "WHERE c.uuid = ?";
	struct db_arg a[1] = { DB_ARG_STR(uuid) };
	struct cp_row *r;
	int rc;

	*out = NULL;
	if ((r = cp_row_new()) == NULL)
		return api_fail(c, 500, "out of memory");
	rc = db_run(sql, a, 1, r->col, CP_NCOLS, NULL);
	if (rc != DB_OK) {
		free(r);
		if (rc == DB_NOTFOUND)
			return api_fail(c, 404, "CMP Profile %s not found",
			    uuid);
		return api_db_fail(c);
	}
	*out = r;
	return 0;
}

struct cp_list {
	const struct api_call *c;
	const struct cp_row *row;	/* where db_query() fetches to */
	json_object *list;
	int	 oom;
};

static int
cp_list_row(struct db_col *col, size_t n, void *arg)
{
	struct cp_list *l = arg;
	json_object *o;

	(void)col;
	(void)n;
	if ((o = cp_json(l->c, l->row, 0)) == NULL ||
	    json_object_array_add(l->list, o) != 0) {
		json_object_put(o);
		l->oom = 1;
		return 1;
	}
	return 0;
}

/* GET /cmpProfiles */
static int
cp_list(struct api_call *c)
{
	static const char sql[] = CP_SELECT_LIST "ORDER BY c.name";
	struct cp_list l = { c, NULL, NULL, 0 };
	struct cp_row *r;
	size_t n;
	int rc;

	if ((l.row = r = cp_row_new()) == NULL ||
	    (l.list = json_object_new_array()) == NULL) {
		free(r);
		return api_fail(c, 500, "out of memory");
	}
	rc = db_query(sql, NULL, 0, r->col, CP_NCOLS, API_LIST_MAX,
	    cp_list_row, &l, &n);
	free(r);
	if (rc != DB_OK || l.oom) {
		json_object_put(l.list);
		return l.oom ? api_fail(c, 500, "out of memory") :
		    api_db_fail(c);
	}
	return api_ok(c, 200, l.list);
}

static int
cp_answer(struct api_call *c, const char *uuid, int status)
{
	struct cp_row *r;
	json_object *o;

	if (cp_load(c, uuid, &r) != 0)
		return c->status;
	o = cp_json(c, r, 1);
	free(r);
	return api_ok(c, status, o);
}

/* GET /cmpProfiles/{uuid} */
static int
cp_get(struct api_call *c)
{
	return cp_answer(c, c->param[0], 200);
}

/* What a POST or PUT asks for; NULL/-1 where the body says nothing. */
struct cp_input {
	const char *name, *descr, *variant, *req, *resp, *secret, *ref;
	const char *ra_uuid, *sign_key, *sign_chain, *anchors;
	const char *subject_policy;
	char	*iattrs, *rattrs;	/* JSON text, free() */
	int	 has_descr, has_ref, has_ra, has_signing;
	int	 implicit;		/* -1: not given */
	long	 wait;			/* -1: not given */
	/* parsed */
	EVP_PKEY *key;
	STACK_OF(X509) *chain, *anchor_certs;
	STACK_OF(X509_CRL) *anchor_crls;
};

static void
cp_input_free(struct cp_input *in)
{
	free(in->iattrs);
	free(in->rattrs);
	EVP_PKEY_free(in->key);
	sk_X509_pop_free(in->chain, X509_free);
	sk_X509_pop_free(in->anchor_certs, X509_free);
	sk_X509_CRL_pop_free(in->anchor_crls, X509_CRL_free);
}

/* The members a POST or PUT may hold; secrets are audited as "(set)". */
static const struct {
	const char *name;
	int	 secret;
} cp_fields[] = {
	{ "name", 0 }, { "description", 0 }, { "variant", 0 },
	{ "requestProtectionMethod", 0 }, { "responseProtectionMethod", 0 },
	{ "sharedSecret", 1 }, { "sharedSecretReference", 0 },
	{ "raProfileUuid", 0 }, { "issueCertificateAttributes", 0 },
	{ "revokeCertificateAttributes", 0 }, { "implicitConfirmAllowed", 0 },
	{ "confirmWaitTime", 0 }, { "signingCredentials", 1 },
	{ "trustAnchors", 0 }, { "subjectPolicy", 0 },
};

/* The index of a known member, or -1. */
static int
cp_field(const char *k)
{
	size_t i;

	for (i = 0; i < NITEMS(cp_fields); i++)
		if (strcmp(k, cp_fields[i].name) == 0)
			return (int)i;
	return -1;
}

/* Reads the body's members; 0, or a 400 set. */
static int
cp_input_read(struct api_call *c, struct cp_input *in)
{
	json_object *sc;
	enum api_get g;

	memset(in, 0, sizeof(*in));
	in->implicit = -1;
	in->wait = -1;
	if (c->body == NULL || !json_object_is_type(c->body, json_type_object))
		return api_fail(c, 400, "the body must be a JSON object");
	/* a misspelt secret must not pass unnoticed (nor into the audit) */
	json_object_object_foreach(c->body, key, val) {
		(void)val;
		if (cp_field(key) < 0)
			return api_fail(c, 400, "unknown field %.64s", key);
	}
	if (api_get_str(c, "name", CMPD_NAME_MAX, &in->name) == API_BAD ||
	    (g = api_get_str(c, "description", CP_DESCR_MAX,
	    &in->descr)) == API_BAD)
		return c->status;
	in->has_descr = g == API_GOT;
	if (api_get_str(c, "variant", 16, &in->variant) == API_BAD ||
	    api_get_str(c, "requestProtectionMethod", 16, &in->req) ==
	    API_BAD ||
	    api_get_str(c, "responseProtectionMethod", 16, &in->resp) ==
	    API_BAD ||
	    api_get_str(c, "sharedSecret", PROFILE_SECRET_MAX, &in->secret) ==
	    API_BAD)
		return c->status;
	if ((g = api_get_str(c, "sharedSecretReference", 128, &in->ref)) ==
	    API_BAD)
		return c->status;
	in->has_ref = g == API_GOT ||
	    json_object_object_get_ex(c->body, "sharedSecretReference", NULL);
	if ((g = api_get_str(c, "raProfileUuid", CMPD_UUID_LEN,
	    &in->ra_uuid)) == API_BAD)
		return c->status;
	in->has_ra = g == API_GOT ||
	    json_object_object_get_ex(c->body, "raProfileUuid", NULL);
	if (api_get_json(c, "issueCertificateAttributes", json_type_array,
	    &in->iattrs) == API_BAD ||
	    api_get_json(c, "revokeCertificateAttributes", json_type_array,
	    &in->rattrs) == API_BAD)
		return c->status;
	if ((in->iattrs != NULL && strlen(in->iattrs) >= PROFILE_ATTRS_MAX) ||
	    (in->rattrs != NULL && strlen(in->rattrs) >= PROFILE_ATTRS_MAX))
		return api_fail(c, 400, "attributes longer than %d bytes",
		    PROFILE_ATTRS_MAX - 1);
	if (api_get_bool(c, "implicitConfirmAllowed", &in->implicit) ==
	    API_BAD ||
	    api_get_int(c, "confirmWaitTime", 1, 86400, &in->wait) == API_BAD ||
	    api_get_str(c, "trustAnchors", PROFILE_SIGN_MAX * 2,
	    &in->anchors) == API_BAD ||
	    api_get_str(c, "subjectPolicy", 16, &in->subject_policy) ==
	    API_BAD)
		return c->status;
	if (json_object_object_get_ex(c->body, "signingCredentials", &sc) &&
	    !json_object_is_type(sc, json_type_null)) {
		struct api_call sub = *c;

		/* the same getters, one level down */
		sub.body = sc;
		sub.answer = NULL;
		if (!json_object_is_type(sc, json_type_object))
			return api_fail(c, 400, "signingCredentials must be "
			    "an object {privateKey, certificateChain}");
		if (api_get_str(&sub, "privateKey", PROFILE_SIGN_MAX,
		    &in->sign_key) == API_BAD ||
		    api_get_str(&sub, "certificateChain", PROFILE_SIGN_MAX,
		    &in->sign_chain) == API_BAD) {
			c->answer = sub.answer;
			return c->status = sub.status;
		}
		in->has_signing = 1;
	}
	return 0;
}

/* privateKey and certificateChain, parsed; 0 or a 422 set. */
static int
cp_parse_signing(struct api_call *c, struct cp_input *in)
{
	char err[128], *pem;
	size_t kl, cl;
	int r;

	if (in->sign_key == NULL || in->sign_chain == NULL ||
	    *in->sign_key == '\0' || *in->sign_chain == '\0')
		return api_fail(c, 422, "Signing certificate cannot be empty");
	kl = strlen(in->sign_key);
	cl = strlen(in->sign_chain);
	if ((pem = malloc(kl + cl + 2)) == NULL)
		return api_fail(c, 500, "out of memory");
	memcpy(pem, in->sign_key, kl);
	pem[kl] = '\n';
	memcpy(pem + kl + 1, in->sign_chain, cl + 1);
	r = cred_parse_pem(pem, kl + cl + 1, &in->key, &in->chain, err,
	    sizeof(err));
	OPENSSL_clear_free(pem, kl + cl + 2);
	if (r != 0)
		return api_fail(c, 422, "signingCredentials: %s", err);
	if (X509_check_private_key(sk_X509_value(in->chain, 0), in->key) != 1) {
		ERR_clear_error();
		return api_fail(c, 422, "signingCredentials: the private key "
		    "does not belong to the first certificate");
	}
	/* what the columns and the readers' buffers hold */
	if (cred_der_len(in->chain, 0) > PROFILE_SIGN_MAX)
		return api_fail(c, 422, "signingCredentials: more than %d "
		    "bytes of certificates", PROFILE_SIGN_MAX);
	return 0;
}

/*
 * The reference's rules on the merged profile (old = the stored one, NULL
 * on create). 0, or an answer set.
 */
static int
cp_validate(struct api_call *c, struct cp_input *in, const struct cp_row *old)
{
	static const char sql_ra[] = "SELECT uuid FROM ra_profile WHERE uuid = ?";
	const char *variant = in->variant, *req = in->req, *resp = in->resp;
	enum cmp_variant v;
	enum prot_method rq, rs;
	int has_secret, has_signing;
	char err[128];

	if (old == NULL) {
		if (in->name == NULL || *in->name == '\0')
			return api_fail(c, 422, "CMP Profile name cannot be "
			    "empty");
		if (!route_name_valid(in->name, strlen(in->name)))
			return api_fail(c, 422, "CMP Profile name can contain "
			    "only unreserved URI characters (letters, digits, "
			    "'-', '.', '_', '~')");
	} else {
		if (in->name != NULL && strcmp(in->name, old->name) != 0)
			return api_fail(c, 422, "the name of a CMP Profile "
			    "cannot be changed (it is in the devices' URL)");
		if (variant == NULL)
			variant = old->variant;
		if (req == NULL)
			req = old->req;
		if (resp == NULL)
			resp = old->resp;
	}
	if (variant == NULL || profile_variant_parse(variant, &v) != 0)
		return api_fail(c, 422, "variant must be v2, v2_3gpp or v3");
	if (req == NULL || profile_prot_parse(req, &rq) != 0)
		return api_fail(c, 422, "requestProtectionMethod must be "
		    "sharedSecret or signature");
	if (resp == NULL || profile_prot_parse(resp, &rs) != 0)
		return api_fail(c, 422, "responseProtectionMethod must be "
		    "sharedSecret or signature");
	/*
	 * the reference's protection matrix, as profile_check() enforces it;
	 * "a sharedSecret response needs a sharedSecret request" is the same
	 * rule as the second one below (signature request, MAC'd answer)
	 */
	if (v == VARIANT_V2_3GPP && (rq != PROT_SIGNATURE ||
	    rs != PROT_SIGNATURE))
		return api_fail(c, 422, "Variant v2_3gpp requires signature "
		    "protection of requests and responses");
	if (rq == PROT_SIGNATURE && rs != PROT_SIGNATURE)
		return api_fail(c, 422, "A signature-protected request requires "
		    "a signature-protected response");
	has_secret = (in->secret != NULL && *in->secret != '\0') ||
	    (in->secret == NULL && old != NULL &&
	    old->col[CP_HAS_SECRET].i != 0);
	if ((rq == PROT_SHARED_SECRET || rs == PROT_SHARED_SECRET) &&
	    !has_secret)
		return api_fail(c, 422, "Shared secret cannot be empty");
	has_signing = in->has_signing || (old != NULL &&
	    !old->col[CP_CERT].null && old->col[CP_CERT].len > 0);
	if (rs == PROT_SIGNATURE && !has_signing)
		return api_fail(c, 422, "Signing certificate cannot be empty");
	if (in->has_signing && cp_parse_signing(c, in) != 0)
		return c->status;
	if (in->anchors != NULL && cred_parse_pem(in->anchors,
	    strlen(in->anchors), NULL, &in->anchor_certs, err,
	    sizeof(err)) != 0)
		return api_fail(c, 422, "trustAnchors: %s", err);
	if (in->anchor_certs != NULL &&
	    cred_der_len(in->anchor_certs, 0) > PROFILE_SIGN_MAX)
		return api_fail(c, 422, "trustAnchors: more than %d bytes",
		    PROFILE_SIGN_MAX);
	if (in->anchors != NULL && cred_parse_crls(in->anchors,
	    strlen(in->anchors), &in->anchor_crls, err, sizeof(err)) != 0)
		return api_fail(c, 422, "trustAnchors: %s", err);
	if (cred_der_crls_len(in->anchor_crls) > PROFILE_SIGN_MAX)
		return api_fail(c, 422, "trustAnchors: CRLs of more than %d "
		    "bytes", PROFILE_SIGN_MAX);
	if (in->subject_policy != NULL &&
	    strcmp(in->subject_policy, "signer") != 0 &&
	    strcmp(in->subject_policy, "any") != 0)
		return api_fail(c, 422, "subjectPolicy must be signer or any");
	if (((in->secret != NULL && *in->secret != '\0') || in->has_signing) &&
	    !secret_available())
		return api_fail(c, 422, "cmpd has no secret_key_file: secrets "
		    "cannot be stored");
	if (in->ra_uuid != NULL) {
		char found[CMPD_UUID_LEN + 1];
		struct db_arg a[1] = { DB_ARG_STR(in->ra_uuid) };
		struct db_col col = { DB_STR, found, sizeof(found), 0, 0, 0,
		    0 };
		int rc = db_run(sql_ra, a, 1, &col, 1, NULL);

		if (rc == DB_NOTFOUND)
			return api_fail(c, 404, "RA Profile %s not found",
			    in->ra_uuid);
		if (rc != DB_OK)
			return api_db_fail(c);
	}
	return 0;
}

/*
 * The audit detail of a POST/PUT: the fields given (all known, see
 * cp_input_read), secrets as "(set)", trust anchors as their number.
 */
static json_object *
cp_audit_detail(const struct api_call *c, const struct cp_input *in)
{
	json_object *d;
	int i;

	if ((d = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_foreach(c->body, k, v) {
		if ((i = cp_field(k)) < 0)
			continue;
		if (cp_fields[i].secret)
			json_object_object_add(d, k,
			    json_object_new_string(CP_SECRET_SET));
		else if (strcmp(k, "trustAnchors") == 0)
			json_object_object_add(d, k, json_object_new_int(
			    sk_X509_num(in->anchor_certs)));
		else
			json_object_object_add(d, k, json_object_get(v));
	}
	return d;
}

/* Secrets and certificates of the input, for profile uuid. */
static int
cp_store_credentials(struct api_call *c, struct cp_input *in,
    const char *uuid)
{
	static const char sql_secret[] = "UPDATE cmp_profile SET "
	    "shared_secret_enc = ? WHERE uuid = ?";
	char err[128];

	if (in->secret != NULL && *in->secret != '\0' &&
	    cred_store_sealed(sql_secret, "cmp_profile.shared_secret_enc", uuid,
	    (const unsigned char *)in->secret, strlen(in->secret)) != 0)
		return api_fail(c, 500, "cannot store the shared secret");
	if (in->key != NULL &&
	    cred_store_signing(uuid, in->key, in->chain, err, sizeof(err)) != 0)
		return api_fail(c, 500, "%s", err);
	if (in->anchor_certs != NULL &&
	    cred_store_anchors(uuid, in->anchor_certs, in->anchor_crls) != 0)
		return api_fail(c, 500, "cannot store the trust anchors");
	return 0;
}

/* A DB argument for an optional string: NULL for NULL and "". */
static struct db_arg
cp_arg(const char *s)
{
	struct db_arg a = DB_ARG_NULL;

	if (s != NULL && *s != '\0') {
		a.type = DB_STR;
		a.p = s;
		a.len = strlen(s);
	}
	return a;
}

/* POST /cmpProfiles: created disabled, as in the reference. */
static int
cp_create(struct api_call *c)
{
	static const char sql[] = "INSERT INTO cmp_profile (uuid, name, "
	    "description, enabled, variant, request_protection, "
	    "response_protection, shared_secret_reference, "
	    "default_ra_profile_uuid, issue_attributes, revoke_attributes, "
	    "implicit_confirm_allowed, confirm_wait_time, subject_policy) "
	    "VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	struct cp_input in;
	char uuid[CMPD_UUID_LEN + 1];
	json_object *d = NULL;
	int rc;

	if (cp_input_read(c, &in) != 0 || cp_validate(c, &in, NULL) != 0)
		goto out;
	if (util_uuid4(uuid) != 0) {
		api_fail(c, 500, "no random numbers");
		goto out;
	}
	if (db_begin() != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	{
		struct db_arg a[13] = { DB_ARG_STR(uuid), DB_ARG_STR(in.name),
		    cp_arg(in.descr), DB_ARG_STR(in.variant),
		    DB_ARG_STR(in.req), DB_ARG_STR(in.resp), cp_arg(in.ref),
		    cp_arg(in.ra_uuid), cp_arg(in.iattrs), cp_arg(in.rattrs),
		    DB_ARG_INT(in.implicit != 0),
		    DB_ARG_INT(in.wait > 0 ? in.wait : c->conf->confirm_wait_time),
		    DB_ARG_STR(in.subject_policy != NULL ? in.subject_policy :
		    "signer") };

		rc = db_run(sql, a, 13, NULL, 0, NULL);
	}
	if (rc == DB_DUP) {
		db_rollback();
		api_fail(c, 409, "CMP Profile %s already exists", in.name);
		goto out;
	}
	if (rc != DB_OK || cp_store_credentials(c, &in, uuid) != 0 ||
	    (d = cp_audit_detail(c, &in)) == NULL ||
	    audit_write(c->actor, "create", "cmpProfile", uuid, d) != 0 ||
	    db_commit() != DB_OK) {
		db_rollback();
		if (c->status == 0)
			api_db_fail(c);
		goto out;
	}
	log_info("CMP Profile %s (%s) created by %s", in.name, uuid, c->actor);
	cp_answer(c, uuid, 201);
 out:
	json_object_put(d);
	cp_input_free(&in);
	return c->status;
}

/* PUT /cmpProfiles/{uuid}: what the body leaves out stays. */
static int
cp_edit(struct api_call *c)
{
	static const char sql[] = "UPDATE cmp_profile SET description = ?, "
	    "variant = ?, request_protection = ?, response_protection = ?, "
	    "shared_secret_reference = ?, default_ra_profile_uuid = ?, "
	    "issue_attributes = ?, revoke_attributes = ?, "
	    "implicit_confirm_allowed = ?, confirm_wait_time = ?, "
	    "subject_policy = ? WHERE uuid = ?";
	struct cp_row *old = NULL;
	struct cp_input in;
	json_object *d = NULL;
	int rc;

	memset(&in, 0, sizeof(in));
	if (cp_load(c, c->param[0], &old) != 0 ||
	    cp_input_read(c, &in) != 0 || cp_validate(c, &in, old) != 0)
		goto out;
	if (db_begin() != DB_OK) {
		api_db_fail(c);
		goto out;
	}
	{
		struct db_arg a[12] = {
			cp_arg(in.has_descr ? in.descr : old->descr),
			DB_ARG_STR(in.variant != NULL ? in.variant : old->variant),
			DB_ARG_STR(in.req != NULL ? in.req : old->req),
			DB_ARG_STR(in.resp != NULL ? in.resp : old->resp),
			cp_arg(in.has_ref ? in.ref : old->ref),
			cp_arg(in.has_ra ? in.ra_uuid : old->ra_uuid),
			cp_arg(in.iattrs != NULL ? in.iattrs : old->iattrs),
			cp_arg(in.rattrs != NULL ? in.rattrs : old->rattrs),
			DB_ARG_INT(in.implicit >= 0 ? in.implicit :
			    old->col[CP_IMPLICIT].i != 0),
			DB_ARG_INT(in.wait > 0 ? in.wait : old->col[CP_WAIT].i),
			DB_ARG_STR(in.subject_policy != NULL ?
			    in.subject_policy : old->subject_policy),
			DB_ARG_STR(old->uuid),
		};

		rc = db_run(sql, a, 12, NULL, 0, NULL);
	}
	if (rc != DB_OK || cp_store_credentials(c, &in, old->uuid) != 0 ||
	    (d = cp_audit_detail(c, &in)) == NULL ||
	    audit_write(c->actor, "update", "cmpProfile", old->uuid, d) != 0 ||
	    db_commit() != DB_OK) {
		db_rollback();
		if (c->status == 0)
			api_db_fail(c);
		goto out;
	}
	cp_answer(c, old->uuid, 200);
 out:
	json_object_put(d);
	cp_input_free(&in);
	free(old);
	return c->status;
}

/* Names of the RA Profiles that enabled CMP with profile uuid. */
static int
cp_ra_names_row(struct db_col *col, size_t n, void *arg)
{
	char *buf = arg;
	size_t len = strlen(buf);

	(void)n;
	snprintf(buf + len, 1024 - len, "%s%s", len > 0 ? ", " : "",
	    (const char *)col[0].buf);
	return 0;
}

/*
 * Deletes one profile: 0 when gone, else an HTTP status with msg (the
 * reference's texts). force detaches RA Profiles and ignores "enabled".
 */
static int
cp_delete_one(const char *uuid, int force, const char *actor, char *name,
    size_t namelen, char *msg, size_t msglen)
{
	static const char sql_get[] = "SELECT name, enabled FROM cmp_profile "
	    "WHERE uuid = ?";
	static const char sql_ras[] = "SELECT name FROM ra_profile "
	    "WHERE cmp_profile_uuid = ? ORDER BY name";
	static const char sql_detach[] = "UPDATE ra_profile SET "
	    "cmp_profile_uuid = NULL, cmp_issue_attributes = NULL, "
	    "cmp_revoke_attributes = NULL WHERE cmp_profile_uuid = ?";
	static const char sql_del[] = "DELETE FROM cmp_profile WHERE uuid = ?";
	char rname[CMPD_NAME_BUF], names[1024] = "";
	struct db_arg a[1] = { DB_ARG_STR(uuid) };
	struct db_col col[2] = {
		{ DB_STR, name, namelen, 0, 0, 0, 0 },
		{ DB_INT, NULL, 0, 0, 0, 0, 0 },
	};
	struct db_col rcol[1] = { { DB_STR, rname, sizeof(rname), 0, 0, 0, 0 } };
	json_object *d;
	size_t n = 0;
	int rc;

	name[0] = '\0';
	if ((rc = db_run(sql_get, a, 1, col, 2, NULL)) != DB_OK) {
		snprintf(msg, msglen, rc == DB_NOTFOUND ? "CMP Profile %s not "
		    "found" : "database error", uuid);
		return rc == DB_NOTFOUND ? 404 : 500;
	}
	if (db_query(sql_ras, a, 1, rcol, 1, 100, cp_ra_names_row, names,
	    &n) != DB_OK) {
		snprintf(msg, msglen, "database error");
		return 500;
	}
	if (!force && n > 0) {
		snprintf(msg, msglen, "Cannot remove as there are associated "
		    "RA Profiles (%zu): %s", n, names);
		return 409;
	}
	if (!force && col[1].i != 0) {
		snprintf(msg, msglen, "CMP Profile %s is enabled; disable it "
		    "before removing it", name);
		return 409;
	}
	if ((d = json_object_new_object()) != NULL) {
		json_object_object_add(d, "name", json_object_new_string(name));
		if (force)
			json_object_object_add(d, "force",
			    json_object_new_boolean(1));
		if (n > 0)
			json_object_object_add(d, "detachedRaProfiles",
			    json_object_new_string(names));
	}
	rc = db_begin() == DB_OK &&
	    db_run(sql_detach, a, 1, NULL, 0, NULL) == DB_OK &&
	    db_run(sql_del, a, 1, NULL, 0, NULL) == DB_OK &&
	    d != NULL && audit_write(actor, "delete", "cmpProfile", uuid, d) ==
	    0 && db_commit() == DB_OK;
	json_object_put(d);
	if (!rc) {
		db_rollback();
		snprintf(msg, msglen, "database error");
		return 500;
	}
	log_info("CMP Profile %s (%s) deleted by %s%s", name, uuid, actor,
	    force ? " (force)" : "");
	return 0;
}

/* DELETE /cmpProfiles/{uuid} */
static int
cp_delete(struct api_call *c)
{
	char name[CMPD_NAME_BUF], msg[1200];
	int st;

	if ((st = cp_delete_one(c->param[0], 0, c->actor, name, sizeof(name),
	    msg, sizeof(msg))) != 0)
		return api_fail(c, st, "%s", msg);
	return api_ok(c, 204, NULL);
}

/* DELETE /cmpProfiles/delete and /delete/force: [{uuid, name, message}]. */
static int
cp_bulk_delete_mode(struct api_call *c, int force)
{
	json_object *ids, *out, *m;
	char name[CMPD_NAME_BUF], msg[1200];
	const char *uuid;
	size_t i;

	if ((ids = api_uuid_list(c)) == NULL)
		return c->status;
	if ((out = json_object_new_array()) == NULL)
		return api_fail(c, 500, "out of memory");
	for (i = 0; i < json_object_array_length(ids); i++) {
		uuid = json_object_get_string(json_object_array_get_idx(ids, i));
		if (cp_delete_one(uuid, force, c->actor, name, sizeof(name), msg,
		    sizeof(msg)) == 0)
			continue;
		if ((m = json_object_new_object()) == NULL)
			break;
		json_object_object_add(m, "uuid", json_object_new_string(uuid));
		json_object_object_add(m, "name", api_json_str(name));
		json_object_object_add(m, "message", json_object_new_string(msg));
		json_object_array_add(out, m);
	}
	return api_ok(c, 200, out);
}

static int
cp_bulk_delete(struct api_call *c)
{
	return cp_bulk_delete_mode(c, 0);
}

static int
cp_bulk_force_delete(struct api_call *c)
{
	return cp_bulk_delete_mode(c, 1);
}

/* Enables or disables the listed profiles, all or none. */
static int
cp_set_enabled(struct api_call *c, json_object *ids, int enabled)
{
	static const char sql_get[] = "SELECT uuid FROM cmp_profile "
	    "WHERE uuid = ?";
	static const char sql[] = "UPDATE cmp_profile SET enabled = ? "
	    "WHERE uuid = ?";
	char found[CMPD_UUID_LEN + 1];
	struct db_col col = { DB_STR, found, sizeof(found), 0, 0, 0, 0 };
	const char *uuid;
	size_t i;
	int rc;

	if (db_begin() != DB_OK)
		return api_db_fail(c);
	for (i = 0; i < json_object_array_length(ids); i++) {
		uuid = json_object_get_string(json_object_array_get_idx(ids, i));
		{
			struct db_arg g[1] = { DB_ARG_STR(uuid) };
			struct db_arg a[2] = { DB_ARG_INT(enabled),
			    DB_ARG_STR(uuid) };

			if ((rc = db_run(sql_get, g, 1, &col, 1, NULL)) !=
			    DB_OK) {
				db_rollback();
				return rc == DB_NOTFOUND ? api_fail(c, 404,
				    "CMP Profile %s not found", uuid) :
				    api_db_fail(c);
			}
			if (db_run(sql, a, 2, NULL, 0, NULL) != DB_OK ||
			    audit_write(c->actor, enabled ? "enable" :
			    "disable", "cmpProfile", uuid, NULL) != 0) {
				db_rollback();
				return api_db_fail(c);
			}
		}
	}
	if (db_commit() != DB_OK)
		return api_db_fail(c);
	return api_ok(c, 204, NULL);
}

/* A one-UUID list for the single-profile routes. */
static int
cp_enable_one(struct api_call *c, int enabled)
{
	json_object *ids;
	int r;

	if ((ids = json_object_new_array()) == NULL ||
	    json_object_array_add(ids, json_object_new_string(c->param[0])) !=
	    0) {
		json_object_put(ids);
		return api_fail(c, 500, "out of memory");
	}
	r = cp_set_enabled(c, ids, enabled);
	json_object_put(ids);
	return r;
}

static int
cp_enable(struct api_call *c)
{
	return cp_enable_one(c, 1);
}

static int
cp_disable(struct api_call *c)
{
	return cp_enable_one(c, 0);
}

static int
cp_bulk_enable(struct api_call *c)
{
	json_object *ids = api_uuid_list(c);

	return ids == NULL ? c->status : cp_set_enabled(c, ids, 1);
}

static int
cp_bulk_disable(struct api_call *c)
{
	json_object *ids = api_uuid_list(c);

	return ids == NULL ? c->status : cp_set_enabled(c, ids, 0);
}

/* PATCH /cmpProfiles/{uuid}/raProfiles/{raProfileUuid}: the default. */
static int
cp_set_ra(struct api_call *c)
{
	static const char sql_ra[] = "SELECT name FROM ra_profile WHERE uuid = ?";
	static const char sql[] = "UPDATE cmp_profile SET "
	    "default_ra_profile_uuid = ? WHERE uuid = ?";
	char name[CMPD_NAME_BUF];
	struct db_arg g[1] = { DB_ARG_STR(c->param[1]) };
	struct db_arg a[2] = { DB_ARG_STR(c->param[1]), DB_ARG_STR(c->param[0]) };
	struct db_col col = { DB_STR, name, sizeof(name), 0, 0, 0, 0 };
	struct cp_row *r;
	json_object *d;
	int rc;

	if (cp_load(c, c->param[0], &r) != 0)
		return c->status;
	free(r);
	if ((rc = db_run(sql_ra, g, 1, &col, 1, NULL)) != DB_OK)
		return rc == DB_NOTFOUND ? api_fail(c, 404, "RA Profile %s not "
		    "found", c->param[1]) : api_db_fail(c);
	if ((d = json_object_new_object()) == NULL)
		return api_fail(c, 500, "out of memory");
	json_object_object_add(d, "raProfileUuid",
	    json_object_new_string(c->param[1]));
	json_object_object_add(d, "raProfileName", json_object_new_string(name));
	rc = db_begin() == DB_OK && db_run(sql, a, 2, NULL, 0, NULL) == DB_OK &&
	    audit_write(c->actor, "setDefaultRaProfile", "cmpProfile",
	    c->param[0], d) == 0 && db_commit() == DB_OK;
	json_object_put(d);
	if (!rc) {
		db_rollback();
		return api_db_fail(c);
	}
	return api_ok(c, 204, NULL);
}

/* PUT /cmpProfiles/{uuid}/signingCredentials {privateKey, certificateChain} */
static int
cp_put_signing(struct api_call *c)
{
	struct cp_input in;
	struct cp_row *r = NULL;
	json_object *d = NULL;

	memset(&in, 0, sizeof(in));
	if (cp_load(c, c->param[0], &r) != 0)
		goto out;
	if (c->body == NULL || !json_object_is_type(c->body, json_type_object)) {
		api_fail(c, 400, "the body must be {privateKey, "
		    "certificateChain}");
		goto out;
	}
	if (api_get_str(c, "privateKey", PROFILE_SIGN_MAX, &in.sign_key) ==
	    API_BAD || api_get_str(c, "certificateChain", PROFILE_SIGN_MAX,
	    &in.sign_chain) == API_BAD || cp_parse_signing(c, &in) != 0)
		goto out;
	if (!secret_available()) {
		api_fail(c, 422, "cmpd has no secret_key_file: secrets cannot "
		    "be stored");
		goto out;
	}
	if ((d = json_object_new_object()) == NULL) {
		api_fail(c, 500, "out of memory");
		goto out;
	}
	json_object_object_add(d, "signingCredentials",
	    json_object_new_string(CP_SECRET_SET));
	json_object_object_add(d, "certificates",
	    json_object_new_int(sk_X509_num(in.chain)));
	if (db_begin() != DB_OK || cp_store_credentials(c, &in, r->uuid) != 0 ||
	    audit_write(c->actor, "setSigningCredentials", "cmpProfile",
	    r->uuid, d) != 0 || db_commit() != DB_OK) {
		db_rollback();
		if (c->status == 0)
			api_db_fail(c);
		goto out;
	}
	api_ok(c, 204, NULL);
 out:
	json_object_put(d);
	cp_input_free(&in);
	free(r);
	return c->status;
}

/* PUT /cmpProfiles/{uuid}/trustAnchors {certificates: PEM} */
static int
cp_put_anchors(struct api_call *c)
{
	struct cp_row *r = NULL;
	const char *pem = NULL;
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	json_object *d = NULL;
	char err[128];

	if (cp_load(c, c->param[0], &r) != 0)
		goto out;
	if (api_get_str(c, "certificates", PROFILE_SIGN_MAX * 2, &pem) ==
	    API_BAD)
		goto out;
	if (pem == NULL || cred_parse_pem(pem, strlen(pem), NULL, &certs, err,
	    sizeof(err)) != 0) {
		api_fail(c, 422, "certificates: %s", pem == NULL ?
		    "no certificate (PEM)" : err);
		goto out;
	}
	if (cred_der_len(certs, 0) > PROFILE_SIGN_MAX) {
		api_fail(c, 422, "certificates: more than %d bytes",
		    PROFILE_SIGN_MAX);
		goto out;
	}
	/* CRLs come in the same PEM as the anchors they belong to */
	if (cred_parse_crls(pem, strlen(pem), &crls, err, sizeof(err)) != 0) {
		api_fail(c, 422, "certificates: %s", err);
		goto out;
	}
	if (cred_der_crls_len(crls) > PROFILE_SIGN_MAX) {
		api_fail(c, 422, "certificates: CRLs of more than %d bytes",
		    PROFILE_SIGN_MAX);
		goto out;
	}
	if ((d = json_object_new_object()) != NULL) {
		json_object_object_add(d, "certificates",
		    json_object_new_int(sk_X509_num(certs)));
		json_object_object_add(d, "crls",
		    json_object_new_int(sk_X509_CRL_num(crls)));
	}
	if (db_begin() != DB_OK ||
	    cred_store_anchors(r->uuid, certs, crls) != 0 ||
	    audit_write(c->actor, "setTrustAnchors", "cmpProfile", r->uuid,
	    d) != 0 || db_commit() != DB_OK) {
		db_rollback();
		api_db_fail(c);
		goto out;
	}
	api_ok(c, 204, NULL);
 out:
	json_object_put(d);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	free(r);
	return c->status;
}

/* PEM text of one CRL. */
static json_object *
cp_crl_pem(X509_CRL *x)
{
	json_object *o = NULL;
	BIO *b;
	char *p;
	long len;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_X509_CRL(b, x) == 1 &&
	    (len = BIO_get_mem_data(b, &p)) > 0)
		o = json_object_new_string_len(p, (int)len);
	BIO_free(b);
	return o;
}

/* PEM text of one certificate. */
static json_object *
cp_pem(X509 *x)
{
	json_object *o = NULL;
	BIO *b;
	char *p;
	long len;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_X509(b, x) == 1 &&
	    (len = BIO_get_mem_data(b, &p)) > 0)
		o = json_object_new_string_len(p, (int)len);
	BIO_free(b);
	return o;
}

/* GET /cmpProfiles/{uuid}/trustAnchors */
static int
cp_get_anchors(struct api_call *c)
{
	struct cp_row *r;
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	json_object *o, *list = NULL, *crl_list;
	int i;

	if (cp_load(c, c->param[0], &r) != 0)
		return c->status;
	if (!r->col[CP_ANCHORS].null)
		certs = cp_der_certs(r->anchors, r->col[CP_ANCHORS].len);
	if (!r->col[CP_CRLS].null && r->col[CP_CRLS].len > 0)
		crls = profile_der_crls(r->crls, r->col[CP_CRLS].len);
	free(r);
	if ((o = json_object_new_object()) == NULL ||
	    (list = json_object_new_array()) == NULL ||
	    (crl_list = json_object_new_array()) == NULL) {
		json_object_put(o);
		json_object_put(list);
		sk_X509_pop_free(certs, X509_free);
		sk_X509_CRL_pop_free(crls, X509_CRL_free);
		return api_fail(c, 500, "out of memory");
	}
	json_object_object_add(o, "crls", crl_list);
	for (i = 0; i < sk_X509_CRL_num(crls); i++) {
		json_object *pem = cp_crl_pem(sk_X509_CRL_value(crls, i));

		if (pem == NULL || json_object_array_add(crl_list, pem) != 0) {
			json_object_put(pem);
			json_object_put(list);
			json_object_put(o);
			sk_X509_pop_free(certs, X509_free);
			sk_X509_CRL_pop_free(crls, X509_CRL_free);
			return api_fail(c, 500, "out of memory");
		}
	}
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	for (i = 0; i < sk_X509_num(certs); i++) {
		json_object *pem = cp_pem(sk_X509_value(certs, i));

		if (pem == NULL || json_object_array_add(list, pem) != 0) {
			json_object_put(pem);
			json_object_put(list);
			json_object_put(o);
			sk_X509_pop_free(certs, X509_free);
			return api_fail(c, 500, "out of memory");
		}
	}
	sk_X509_pop_free(certs, X509_free);
	json_object_object_add(o, "certificates", list);
	return api_ok(c, 200, o);
}

struct cp_sig_buf {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF];
	unsigned char cert[PROFILE_SIGN_MAX];
	json_object *list;
	int	 oom;
};

static int
cp_sig_row(struct db_col *col, size_t n, void *arg)
{
	struct cp_sig_buf *b = arg;
	const unsigned char *p = b->cert;
	json_object *o;
	X509 *x;

	(void)n;
	if ((x = d2i_X509(NULL, &p, (long)col[2].len)) == NULL)
		return 0;
	o = cp_cert_json(x);
	X509_free(x);
	if (o == NULL) {
		b->oom = 1;
		return 1;
	}
	json_object_object_add(o, "cmpProfileUuid",
	    json_object_new_string(b->uuid));
	json_object_object_add(o, "cmpProfileName",
	    json_object_new_string(b->name));
	if (json_object_array_add(b->list, o) != 0) {
		json_object_put(o);
		b->oom = 1;
		return 1;
	}
	return 0;
}

/* GET /cmpProfiles/signingCertificates: the certificates cmpd signs with. */
static int
cp_signing_certs(struct api_call *c)
{
	static const char sql[] = "SELECT uuid, name, signing_certificate "
	    "FROM cmp_profile WHERE signing_certificate IS NOT NULL "
	    "ORDER BY name";
	struct cp_sig_buf *b;
	json_object *list;
	size_t n;
	int rc;

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (b->list = json_object_new_array()) == NULL) {
		free(b);
		return api_fail(c, 500, "out of memory");
	}
	{
		struct db_col col[3] = {
			{ DB_STR, b->uuid, sizeof(b->uuid), 0, 0, 0, 0 },
			{ DB_STR, b->name, sizeof(b->name), 0, 0, 0, 0 },
			{ DB_BLOB, b->cert, sizeof(b->cert), 0, 0, 0, 0 },
		};

		rc = db_query(sql, NULL, 0, col, 3, API_LIST_MAX, cp_sig_row, b,
		    &n);
	}
	list = b->list;
	if (rc != DB_OK || b->oom) {
		rc = b->oom;
		free(b);
		json_object_put(list);
		return rc ? api_fail(c, 500, "out of memory") : api_db_fail(c);
	}
	free(b);
	return api_ok(c, 200, list);
}

const struct api_route api_cmp_profile_routes[] = {
	{ "GET", "/cmpProfiles", API_ROLE_READ, cp_list },
	{ "POST", "/cmpProfiles", API_ROLE_ADMIN, cp_create },
	{ "GET", "/cmpProfiles/signingCertificates", API_ROLE_READ,
	    cp_signing_certs },
	{ "DELETE", "/cmpProfiles/delete", API_ROLE_ADMIN, cp_bulk_delete },
	{ "DELETE", "/cmpProfiles/delete/force", API_ROLE_ADMIN,
	    cp_bulk_force_delete },
	{ "PATCH", "/cmpProfiles/enable", API_ROLE_ADMIN, cp_bulk_enable },
	{ "PATCH", "/cmpProfiles/disable", API_ROLE_ADMIN, cp_bulk_disable },
	{ "GET", "/cmpProfiles/{cmpProfileUuid}", API_ROLE_READ, cp_get },
	{ "PUT", "/cmpProfiles/{cmpProfileUuid}", API_ROLE_ADMIN, cp_edit },
	{ "DELETE", "/cmpProfiles/{cmpProfileUuid}", API_ROLE_ADMIN,
	    cp_delete },
	{ "PATCH", "/cmpProfiles/{cmpProfileUuid}/enable", API_ROLE_ADMIN,
	    cp_enable },
	{ "PATCH", "/cmpProfiles/{cmpProfileUuid}/disable", API_ROLE_ADMIN,
	    cp_disable },
	{ "PATCH", "/cmpProfiles/{cmpProfileUuid}/raProfiles/{raProfileUuid}",
	    API_ROLE_ADMIN, cp_set_ra },
	{ "PUT", "/cmpProfiles/{cmpProfileUuid}/signingCredentials",
	    API_ROLE_ADMIN, cp_put_signing },
	{ "GET", "/cmpProfiles/{cmpProfileUuid}/trustAnchors", API_ROLE_READ,
	    cp_get_anchors },
	{ "PUT", "/cmpProfiles/{cmpProfileUuid}/trustAnchors", API_ROLE_ADMIN,
	    cp_put_anchors },
};
const size_t api_cmp_profile_nroutes = NITEMS(api_cmp_profile_routes);
