/*
 * A CMP Profile as the API reads it (the stored row) and as a POST or
 * PUT gives it (the body), and the reference's rules between the two:
 * the protection matrix and its texts, the names, the credentials a
 * protection method needs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "api_cmp.h"

struct cp_row *
cpr_row_new(void)
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
			S(CP_CA_PUBS, ca_pubs),
			I(CP_LEGACY_PBM),
			I(CP_REQ_MAX),
			I(CP_SYNC_BUDGET),
			I(CP_FALLBACK),
			I(CP_CKG),
		};
#undef S
#undef B
#undef I
		for (i = 0; i < CP_NCOLS; i++)
			r->col[i] = col[i];
	}
	return r;
}

/* Loads the profile c->param[0] into *out: 0, or an answer set. */
int
cpr_load(struct api_call *c, const char *uuid, struct cp_row **out)
{
	static const char sql[] = CP_SELECT "WHERE c.uuid = ?";
	struct db_arg a[1] = { DB_ARG_STR(uuid) };
	struct cp_row *r;
	int rc;

	*out = NULL;
	if ((r = cpr_row_new()) == NULL)
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

void
cpr_input_free(struct cp_input *in)
{
	free(in->iattrs);
	free(in->rattrs);
	free(in->tmpl);
	EVP_PKEY_free(in->key);
	sk_X509_pop_free(in->chain, X509_free);
	sk_X509_pop_free(in->anchor_certs, X509_free);
	sk_X509_CRL_pop_free(in->anchor_crls, X509_CRL_free);
}

/* The members a POST or PUT may hold; secrets are audited as "(set)". */
static const struct {
	const char *name;
	int	 secret;
} cpr_fields[] = {
	{ "name", 0 }, { "description", 0 }, { "variant", 0 },
	{ "requestProtectionMethod", 0 }, { "responseProtectionMethod", 0 },
	{ "sharedSecret", 1 }, { "sharedSecretReference", 0 },
	{ "raProfileUuid", 0 }, { "issueCertificateAttributes", 0 },
	{ "revokeCertificateAttributes", 0 }, { "implicitConfirmAllowed", 0 },
	{ "confirmWaitTime", 0 }, { "signingCredentials", 1 },
	{ "trustAnchors", 0 }, { "subjectPolicy", 0 }, { "caPubs", 0 },
	{ "legacyPbm", 0 }, { "centralKeyGeneration", 0 },
	{ "profileSecretFallback", 0 },
	{ "certReqMax", 0 },
	{ "syncBudget", 0 },
	{ "certReqTemplate", 0 },
};

/* The index of a known member, or -1. */
static int
cpr_field(const char *k)
{
	size_t i;

	for (i = 0; i < NITEMS(cpr_fields); i++)
		if (strcmp(k, cpr_fields[i].name) == 0)
			return (int)i;
	return -1;
}

/* Reads the body's members; 0, or a 400 set. */
int
cpr_input_read(struct api_call *c, struct cp_input *in)
{
	json_object *sc;
	enum api_get g;

	memset(in, 0, sizeof(*in));
	in->implicit = -1;
	in->legacy_pbm = -1;
	in->fallback = -1;
	in->ckg = -1;
	in->wait = -1;
	in->req_max = -1;
	in->sync_budget = -1;
	if (c->body == NULL || !json_object_is_type(c->body, json_type_object))
		return api_fail(c, 400, "the body must be a JSON object");
	/* a misspelt secret must not pass unnoticed (nor into the audit) */
	json_object_object_foreach(c->body, key, val) {
		(void)val;
		if (cpr_field(key) < 0)
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
	    api_get_bool(c, "legacyPbm", &in->legacy_pbm) == API_BAD ||
	    api_get_bool(c, "profileSecretFallback", &in->fallback) ==
	    API_BAD ||
	    api_get_bool(c, "centralKeyGeneration", &in->ckg) == API_BAD ||
	    api_get_int(c, "confirmWaitTime", 1, 86400, &in->wait) == API_BAD ||
	    api_get_int(c, "certReqMax", 1, CMPD_CERT_REQ_MAX, &in->req_max) ==
	    API_BAD ||
	    api_get_int(c, "syncBudget", 1, CMPD_SYNC_BUDGET_MAX,
	    &in->sync_budget) == API_BAD ||
	    api_get_str(c, "trustAnchors", PROFILE_SIGN_MAX * 2,
	    &in->anchors) == API_BAD ||
	    api_get_str(c, "subjectPolicy", 16, &in->subject_policy) ==
	    API_BAD ||
	    api_get_str(c, "caPubs", 16, &in->ca_pubs) == API_BAD)
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
		/* like the top level's: nothing given is dropped unseen */
		json_object_object_foreach(sc, skey, sval) {
			(void)sval;
			if (strcmp(skey, "privateKey") != 0 &&
			    strcmp(skey, "certificateChain") != 0)
				return api_fail(c, 400, "unknown field "
				    "signingCredentials.%.64s", skey);
		}
		if (api_get_str(&sub, "privateKey", PROFILE_SIGN_MAX,
		    &in->sign_key) == API_BAD ||
		    api_get_str(&sub, "certificateChain", PROFILE_SIGN_MAX,
		    &in->sign_chain) == API_BAD) {
			c->answer = sub.answer;
			return c->status = sub.status;
		}
		in->has_signing = 1;
	}
	return cpt_read(c, in) != 0 ? c->status : 0;
}

/* privateKey and certificateChain, parsed; 0 or a 422 set. */
int
cpr_parse_signing(struct api_call *c, struct cp_input *in)
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
int
cpr_validate(struct api_call *c, struct cp_input *in, const struct cp_row *old)
{
	static const char sql_ra[] = "SELECT uuid FROM ra_profile WHERE uuid = ?";
	const char *variant = in->variant, *req = in->req, *resp = in->resp;
	enum cmp_variant v;
	enum prot_method rq, rs;
	enum profile_ca_pubs cp;
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
	/* TS 33.310 9.5: one CertReqMsg per request */
	if (v == VARIANT_V2_3GPP && in->req_max > 1)
		return api_fail(c, 422, "certReqMax must be 1 for the v2_3gpp "
		    "variant");
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
	if (in->has_signing && cpr_parse_signing(c, in) != 0)
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
	if (in->ca_pubs != NULL &&
	    profile_ca_pubs_parse(in->ca_pubs, &cp) != 0)
		return api_fail(c, 422, "caPubs must be sharedSecret, always "
		    "or never");
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
 * cpr_input_read), secrets as "(set)", trust anchors as their number.
 */
json_object *
cpr_audit_detail(const struct api_call *c, const struct cp_input *in)
{
	json_object *d;
	int i;

	if ((d = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_foreach(c->body, k, v) {
		if ((i = cpr_field(k)) < 0)
			continue;
		if (cpr_fields[i].secret)
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
