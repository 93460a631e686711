/*
 * api_cmp.h - what the /cmpProfiles files share: the cmp_profile row as
 * the API reads it and the body of a POST or PUT. api_cmp_profile.c
 * (the profile object and the route table) uses api_cmp_credentials.c
 * (signing credentials, trust anchors, CRLs, shared secret) and
 * api_cmp_template.c (the certReqTemplate), all use api_cmp_rules.c
 * (loading a row, reading and checking a body); api_cmp_rules.c calls
 * api_cmp_template.c only to read the template member of a body.
 */
#ifndef API_CMP_H
#define API_CMP_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "api.h"

#define CP_DESCR_MAX	1024	/* cmp_profile.description */
#define CP_SECRET_SET	"(set)"	/* what audit rows say instead of a secret */

/* Columns of CP_SELECT, in order. */
enum {
	CP_UUID, CP_NAME, CP_DESCR, CP_ENABLED, CP_VARIANT, CP_REQ, CP_RESP,
	CP_HAS_SECRET, CP_REF, CP_CERT, CP_ANCHORS, CP_IATTRS, CP_RATTRS,
	CP_IMPLICIT, CP_WAIT, CP_RA_UUID, CP_RA_NAME, CP_RA_ENABLED, CP_INST,
	CP_CREATED, CP_UPDATED, CP_SUBJECT_POLICY, CP_CRLS, CP_CA_PUBS,
	CP_LEGACY_PBM, CP_REQ_MAX, CP_SYNC_BUDGET, CP_FALLBACK, CP_CKG,
	CP_NCOLS
};

/* One cmp_profile row with its default RA Profile, as the API shows it. */
struct cp_row {
	char	 uuid[CMPD_UUID_LEN + 1], name[CMPD_NAME_BUF];
	char	 descr[4 * CP_DESCR_MAX + 1], variant[16], req[16], resp[16];
	char	 ref[4 * 128 + 1], ra_uuid[CMPD_UUID_LEN + 1];
	char	 ra_name[CMPD_NAME_BUF], inst[CMPD_UUID_LEN + 1];
	char	 created[40], updated[40], subject_policy[16];
	char	 ca_pubs[16];
	unsigned char cert[PROFILE_SIGN_MAX], anchors[PROFILE_SIGN_MAX];
	unsigned char crls[PROFILE_SIGN_MAX];
	char	 iattrs[PROFILE_ATTRS_MAX], rattrs[PROFILE_ATTRS_MAX];
	struct db_col col[CP_NCOLS];
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
	"c.subject_policy, " crls ", c.ca_pubs, c.legacy_pbm, " \
	/* certReqMax as in effect: 1 for 3GPP, 10 (CMPD_CERT_REQ_DEFAULT) \
	 * when unset */ \
	"IF(c.variant = 'v2_3gpp', 1, COALESCE(c.cert_req_max, 10)), " \
	/* syncBudget as in effect: 5 (CMPD_SYNC_BUDGET_DEFAULT) when unset */ \
	"COALESCE(c.sync_budget, 5), " \
	"c.secret_fallback, c.central_key_generation " \
	"FROM cmp_profile c " \
	"LEFT JOIN ra_profile r ON r.uuid = c.default_ra_profile_uuid " \
	"LEFT JOIN authority a ON a.uuid = r.authority_uuid "
/* the detail reads the certificates, a list does not need them */
#define CP_SELECT	CP_SELECT_COLS("c.signing_certificate", "c.trust_anchors", \
	"c.trust_crls")
#define CP_SELECT_LIST	CP_SELECT_COLS("NULL", "NULL", "NULL")

/* What a POST or PUT asks for; NULL/-1 where the body says nothing. */
struct cp_input {
	const char *name, *descr, *variant, *req, *resp, *secret, *ref;
	const char *ra_uuid, *sign_key, *sign_chain, *anchors;
	const char *subject_policy;
	const char *ca_pubs;
	char	*iattrs, *rattrs;	/* JSON text, free() */
	char	*tmpl;			/* certReqTemplate JSON, free() */
	int	 has_tmpl;		/* given: tmpl, or NULL to clear */
	int	 has_descr, has_ref, has_ra, has_signing;
	int	 implicit;		/* -1: not given */
	int	 legacy_pbm;		/* -1: not given */
	int	 fallback;		/* profileSecretFallback; -1 */
	int	 ckg;			/* centralKeyGeneration; -1 */
	long	 wait;			/* -1: not given */
	long	 req_max;		/* certReqMax; -1: not given */
	long	 sync_budget;		/* syncBudget; -1: not given */
	/* parsed */
	EVP_PKEY *key;
	STACK_OF(X509) *chain, *anchor_certs;
	STACK_OF(X509_CRL) *anchor_crls;
};

/* api_cmp_rules.c */
struct cp_row *cpr_row_new(void);
int	cpr_load(struct api_call *, const char *uuid, struct cp_row **out);
void	cpr_input_free(struct cp_input *);
int	cpr_input_read(struct api_call *, struct cp_input *);
int	cpr_parse_signing(struct api_call *, struct cp_input *);
int	cpr_validate(struct api_call *, struct cp_input *,
	    const struct cp_row *old);
json_object *cpr_audit_detail(const struct api_call *,
	    const struct cp_input *);

/* api_cmp_template.c */
int	cpt_read(struct api_call *, struct cp_input *);
int	cpt_store(struct api_call *, const struct cp_input *,
	    const char *uuid);
json_object *cpt_json(const char *uuid);

/* api_cmp_credentials.c */
json_object *cpc_cert_json(X509 *);
STACK_OF(X509) *cpc_der_certs(const unsigned char *der, size_t len);
int	cpc_store_credentials(struct api_call *, struct cp_input *,
	    const char *uuid);
int	cpc_put_signing(struct api_call *);
int	cpc_put_anchors(struct api_call *);
int	cpc_get_anchors(struct api_call *);
int	cpc_signing_certs(struct api_call *);

#endif
