/*
 * The credentials cmpd keeps per CMP Profile: the signing key and chain
 * it protects answers with, the trust anchors (and their CRLs) for
 * request signers, the shared secret; what the API tells about the
 * certificates (never a key). Secrets are write-only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "api_cmp.h"

/* "YYYY-MM-DDTHH:MM:SSZ" of an ASN1_TIME. */
static json_object *
cpc_time(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[32];

	if (ASN1_TIME_to_tm(t, &tm) != 1 ||
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return NULL;
	return json_object_new_string(buf);
}

static json_object *
cpc_name(const X509_NAME *n)
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
json_object *
cpc_cert_json(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	unsigned int n = 0;
	json_object *o;

	if ((o = json_object_new_object()) == NULL)
		return NULL;
	json_object_object_add(o, "subject",
	    cpc_name(X509_get_subject_name(x)));
	json_object_object_add(o, "issuer", cpc_name(X509_get_issuer_name(x)));
	util_hex(sn->data, (size_t)sn->length, hex, sizeof(hex));
	json_object_object_add(o, "serialNumber", json_object_new_string(hex));
	json_object_object_add(o, "notBefore",
	    cpc_time(X509_get0_notBefore(x)));
	json_object_object_add(o, "notAfter", cpc_time(X509_get0_notAfter(x)));
	if (X509_digest(x, EVP_sha256(), md, &n) == 1) {
		util_hex(md, n, hex, sizeof(hex));
		json_object_object_add(o, "fingerprint",
		    json_object_new_string(hex));
	}
	return o;
}

/* The certificates of concatenated DER; NULL when none decodes. */
STACK_OF(X509) *
cpc_der_certs(const unsigned char *der, size_t len)
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

/* Secrets and certificates of the input, for profile uuid. */
int
cpc_store_credentials(struct api_call *c, struct cp_input *in,
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

/* PUT /cmpProfiles/{uuid}/signingCredentials {privateKey, certificateChain} */
int
cpc_put_signing(struct api_call *c)
{
	static const char *const known[] = { "privateKey",
	    "certificateChain" };
	struct cp_input in;
	struct cp_row *r = NULL;
	json_object *d = NULL;

	memset(&in, 0, sizeof(in));
	if (cpr_load(c, c->param[0], &r) != 0)
		goto out;
	if (c->body == NULL || !json_object_is_type(c->body, json_type_object)) {
		api_fail(c, 400, "the body must be {privateKey, "
		    "certificateChain}");
		goto out;
	}
	if (obj_body_only(c, known, NITEMS(known)) != 0)
		goto out;
	if (api_get_str(c, "privateKey", PROFILE_SIGN_MAX, &in.sign_key) ==
	    API_BAD || api_get_str(c, "certificateChain", PROFILE_SIGN_MAX,
	    &in.sign_chain) == API_BAD || cpr_parse_signing(c, &in) != 0)
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
	if (db_begin() != DB_OK ||
	    cpc_store_credentials(c, &in, r->uuid) != 0 ||
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
	cpr_input_free(&in);
	free(r);
	return c->status;
}

/* PUT /cmpProfiles/{uuid}/trustAnchors {certificates: PEM} */
int
cpc_put_anchors(struct api_call *c)
{
	static const char *const known[] = { "certificates" };
	struct cp_row *r = NULL;
	const char *pem = NULL;
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	json_object *d = NULL;
	char err[128];

	if (cpr_load(c, c->param[0], &r) != 0 ||
	    obj_body_only(c, known, NITEMS(known)) != 0)
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

/* GET /cmpProfiles/{uuid}/trustAnchors */
int
cpc_get_anchors(struct api_call *c)
{
	struct cp_row *r;
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	json_object *o, *list = NULL, *crl_list;
	int i;

	if (cpr_load(c, c->param[0], &r) != 0)
		return c->status;
	if (!r->col[CP_ANCHORS].null)
		certs = cpc_der_certs(r->anchors, r->col[CP_ANCHORS].len);
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
		json_object *pem = obj_pem_crl(sk_X509_CRL_value(crls, i));

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
		json_object *pem = obj_pem_cert(sk_X509_value(certs, i));

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

struct cpc_sig_buf {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF];
	unsigned char cert[PROFILE_SIGN_MAX];
	json_object *list;
	int	 oom;
};

static int
cpc_sig_row(struct db_col *col, size_t n, void *arg)
{
	struct cpc_sig_buf *b = arg;
	const unsigned char *p = b->cert;
	json_object *o;
	X509 *x;

	(void)n;
	if ((x = d2i_X509(NULL, &p, (long)col[2].len)) == NULL)
		return 0;
	o = cpc_cert_json(x);
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
int
cpc_signing_certs(struct api_call *c)
{
	static const char sql[] = "SELECT uuid, name, signing_certificate "
	    "FROM cmp_profile WHERE signing_certificate IS NOT NULL "
	    "ORDER BY name";
	struct cpc_sig_buf *b;
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

		rc = db_query(sql, NULL, 0, col, 3, API_LIST_MAX, cpc_sig_row,
		    b, &n);
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
