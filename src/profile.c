/*
 * CMP Profile and RA Profile resolution (DESIGN "Validation order" step 1),
 * with the reference platform's checks, in its order.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cmpd.h"

/* Indexed by enum cmp_variant and enum prot_method; the schema's ENUMs. */
static const char *const variant_names[] = { "v2", "v2_3gpp", "v3" };
static const char *const prot_names[] = { "none", "sharedSecret", "signature" };
/* Indexed by enum profile_ca_pubs; the schema's ENUM (cmp_profile.ca_pubs). */
static const char *const ca_pubs_names[] = { "sharedSecret", "always",
	"never" };

int
profile_variant_parse(const char *s, enum cmp_variant *out)
{
	int i;

	if ((i = util_name_index(variant_names, NITEMS(variant_names), s,
	    0)) < 0)
		return -1;
	*out = (enum cmp_variant)i;
	return 0;
}

/* "none" is not a method a profile can name. */
int
profile_prot_parse(const char *s, enum prot_method *out)
{
	int i;

	if ((i = util_name_index(prot_names, NITEMS(prot_names), s, 0)) < 1)
		return -1;
	*out = (enum prot_method)i;
	return 0;
}

int
profile_ca_pubs_parse(const char *s, enum profile_ca_pubs *out)
{
	int i;

	if ((i = util_name_index(ca_pubs_names, NITEMS(ca_pubs_names), s,
	    0)) < 0)
		return -1;
	*out = (enum profile_ca_pubs)i;
	return 0;
}

const char *
profile_prot_name(enum prot_method m)
{
	if ((size_t)m >= NITEMS(prot_names))
		return "unknown";
	return prot_names[m];
}

/* The checks on what the database returned, separate so they are testable. */
enum cmp_fail
profile_check(const struct route *rt, const struct profile *p)
{
	if (rt->kind == ROUTE_CMP_PROFILE) {
		if (!p->cmp_found)
			return CMPF_CMP_PROFILE_NOT_FOUND;
		if (!p->cmp_enabled)
			return CMPF_CMP_PROFILE_DISABLED;
		if (!p->ra_found)
			return CMPF_CMP_PROFILE_NO_RA;
		if (!p->ra_enabled)
			return CMPF_RA_PROFILE_DISABLED;
	} else {
		if (!p->ra_found)
			return CMPF_RA_PROFILE_NOT_FOUND;
		if (!p->ra_enabled)
			return CMPF_RA_PROFILE_DISABLED;
		if (!p->cmp_found)
			return CMPF_RA_PROFILE_NO_CMP;
		if (!p->cmp_enabled)
			return CMPF_CMP_PROFILE_DISABLED;
	}
	/* The reference's rules: v2 answers a signed request with a signed
	 * answer, and MACs an answer only to a MAC'd request; v2_3gpp signs
	 * both ways. */
	if ((p->variant == VARIANT_V2_3GPP && (p->req_prot != PROT_SIGNATURE ||
	    p->resp_prot != PROT_SIGNATURE)) ||
	    (p->req_prot == PROT_SIGNATURE && p->resp_prot != PROT_SIGNATURE) ||
	    (p->resp_prot == PROT_SHARED_SECRET &&
	    p->req_prot != PROT_SHARED_SECRET))
		return CMPF_PROFILE_RULES;
	/* Signed answers need our signing certificate and its chain. */
	if (p->resp_prot == PROT_SIGNATURE) {
		if (!p->has_signing_cert)
			return CMPF_SIGNING_CERT_MISSING;
		if (!p->has_signing_chain)
			return CMPF_SIGNING_CHAIN_MISSING;
	}
	return CMPF_OK;
}

/* Both routes read the same columns; only the join and the source of
 * the CMP issue and revoke attributes differ. */
#define PROFILE_SELECT(attrs, rattrs) \
	"SELECT c.uuid, c.name, c.enabled, c.variant, c.request_protection, " \
	"c.response_protection, " \
	"COALESCE(LENGTH(c.signing_certificate), 0) > 0, " \
	"COALESCE(LENGTH(c.signing_chain), 0) > 0, " \
	"r.uuid, r.name, r.enabled, c.shared_secret_enc, " \
	"c.shared_secret_reference, c.implicit_confirm_allowed, " \
	"c.confirm_wait_time, " attrs ", r.attributes, " rattrs ", " \
	"a.authority_instance_uuid, n.uuid, n.url, n.auth_type, " \
	"n.auth_data_enc, c.updated_at, c.subject_policy = 'any', n.insecure, " \
	"c.ca_pubs, c.legacy_pbm, COALESCE(c.cert_req_max, 0), " \
	"COALESCE(c.sync_budget, 0), c.central_key_generation, " \
	"LEFT(CAST(c.cert_req_template AS BINARY), 4097), " \
	"c.secret_fallback, EXISTS (SELECT 1 FROM cmp_device d " \
	"WHERE d.cmp_profile_uuid = c.uuid) "
#define PROFILE_JOIN \
	"LEFT JOIN authority a ON a.uuid = r.authority_uuid " \
	"LEFT JOIN connector n ON n.uuid = a.connector_uuid "

static const char sql_by_cmp[] = PROFILE_SELECT("c.issue_attributes",
    "c.revoke_attributes")
    "FROM cmp_profile c "
    "LEFT JOIN ra_profile r ON r.uuid = c.default_ra_profile_uuid "
    PROFILE_JOIN "WHERE c.name = ?";
static const char sql_by_ra[] = PROFILE_SELECT("r.cmp_issue_attributes",
    "r.cmp_revoke_attributes")
    "FROM ra_profile r "
    "LEFT JOIN cmp_profile c ON c.uuid = r.cmp_profile_uuid "
    PROFILE_JOIN "WHERE r.name = ?";

enum {
	C_CMP_UUID, C_CMP_NAME, C_CMP_ENABLED, C_VARIANT, C_REQ_PROT,
	C_RESP_PROT, C_HAS_SIGN_CERT, C_HAS_SIGN_CHAIN, C_RA_UUID, C_RA_NAME,
	C_RA_ENABLED, C_SECRET, C_SECRET_REF, C_IMPLICIT, C_CONFIRM_WAIT,
	C_ISSUE_ATTRS, C_RA_ATTRS, C_REVOKE_ATTRS, C_AUTHORITY, C_CONN_UUID,
	C_CONN_URL,
	C_CONN_AUTH, C_CONN_CRED, C_CMP_VERSION, C_SUBJECT_ANY, C_CONN_INSECURE,
	C_CA_PUBS, C_LEGACY_PBM,
	C_CERT_REQ_MAX,
	C_SYNC_BUDGET, C_CKG,
	C_TMPL,
	C_FALLBACK, C_HAS_DEVICES,
	C__COUNT
};

static void
col_str(struct db_col *c, char *buf, size_t n)
{
	c->type = DB_STR;
	c->buf = buf;
	c->n = n;
}

static void
col_blob(struct db_col *c, unsigned char *buf, size_t n)
{
	c->type = DB_BLOB;
	c->buf = buf;
	c->n = n;
}

/* The attribute arrays' columns are read here, then kept to their
 * length (col_keep). */
struct attrs_read {
	char	 issue[PROFILE_ATTRS_MAX];
	char	 ra[PROFILE_ATTRS_MAX];
	char	 revoke[PROFILE_ATTRS_MAX];
	/* the certReqTemplate: CMP_TMPL_JSON_MAX, one more to tell a
	 * longer one (written in SQL) */
	char	 tmpl[CMP_TMPL_JSON_MAX + 2];
};

/* A string column as read (db_run: "" when NULL) into *out, allocated
 * to its length; NULL when empty. -1: out of memory. */
static int
col_keep(const char *buf, char **out)
{
	*out = NULL;
	if (buf[0] == '\0')
		return 0;
	return (*out = strdup(buf)) != NULL ? 0 : -1;
}

/*
 * The row of rt's profiles into p, its encrypted columns into s, still
 * sealed. DB_OK (found or not: p's cmp_found and ra_found tell), or
 * DB_ERR (also for an enum value this version does not know).
 */
static int
profile_read(const struct route *rt, struct profile *p,
    struct profile_sealed *s, struct attrs_read *t)
{
	char variant[16], reqp[16], respp[16], ca_pubs[16];
	struct db_col c[C__COUNT];
	struct db_arg a[1] = { DB_ARG_STR(rt->name) };
	int r;

	memset(c, 0, sizeof(c));
	col_str(&c[C_CMP_UUID], p->cmp_uuid, sizeof(p->cmp_uuid));
	col_str(&c[C_CMP_NAME], p->cmp_name, sizeof(p->cmp_name));
	c[C_CMP_ENABLED].type = DB_INT;
	col_str(&c[C_VARIANT], variant, sizeof(variant));
	col_str(&c[C_REQ_PROT], reqp, sizeof(reqp));
	col_str(&c[C_RESP_PROT], respp, sizeof(respp));
	c[C_HAS_SIGN_CERT].type = DB_INT;
	c[C_HAS_SIGN_CHAIN].type = DB_INT;
	col_str(&c[C_RA_UUID], p->ra_uuid, sizeof(p->ra_uuid));
	col_str(&c[C_RA_NAME], p->ra_name, sizeof(p->ra_name));
	c[C_RA_ENABLED].type = DB_INT;
	col_blob(&c[C_SECRET], s->secret, sizeof(s->secret));
	col_str(&c[C_SECRET_REF], p->secret_ref, sizeof(p->secret_ref));
	c[C_IMPLICIT].type = DB_INT;
	c[C_CONFIRM_WAIT].type = DB_INT;
	col_str(&c[C_ISSUE_ATTRS], t->issue, sizeof(t->issue));
	col_str(&c[C_RA_ATTRS], t->ra, sizeof(t->ra));
	col_str(&c[C_REVOKE_ATTRS], t->revoke, sizeof(t->revoke));
	col_str(&c[C_AUTHORITY], p->authority_instance,
	    sizeof(p->authority_instance));
	col_str(&c[C_CONN_UUID], p->connector_uuid, sizeof(p->connector_uuid));
	col_str(&c[C_CONN_URL], p->connector_url, sizeof(p->connector_url));
	col_str(&c[C_CONN_AUTH], p->connector_auth, sizeof(p->connector_auth));
	col_blob(&c[C_CONN_CRED], s->cred, sizeof(s->cred));
	col_str(&c[C_CMP_VERSION], p->cmp_version, sizeof(p->cmp_version));
	c[C_SUBJECT_ANY].type = DB_INT;
	c[C_CONN_INSECURE].type = DB_INT;
	col_str(&c[C_CA_PUBS], ca_pubs, sizeof(ca_pubs));
	c[C_LEGACY_PBM].type = DB_INT;
	c[C_CERT_REQ_MAX].type = DB_INT;
	c[C_SYNC_BUDGET].type = DB_INT;
	c[C_CKG].type = DB_INT;
	col_str(&c[C_TMPL], t->tmpl, sizeof(t->tmpl));
	c[C_FALLBACK].type = DB_INT;
	c[C_HAS_DEVICES].type = DB_INT;

	r = db_run(rt->kind == ROUTE_CMP_PROFILE ? sql_by_cmp : sql_by_ra, a,
	    1, c, C__COUNT, NULL);
	if (r == DB_ERR)
		return DB_ERR;
	if (r == DB_OK) {
		/* A NULL uuid is the LEFT JOIN's missing side. */
		p->cmp_found = !c[C_CMP_UUID].null;
		p->ra_found = !c[C_RA_UUID].null;
		if (col_keep(t->issue, &p->issue_attrs) != 0 ||
		    col_keep(t->ra, &p->ra_attrs) != 0 ||
		    col_keep(t->revoke, &p->revoke_attrs) != 0)
			return DB_ERR;
	}
	if (p->cmp_found) {
		p->cmp_enabled = c[C_CMP_ENABLED].i != 0;
		if (profile_variant_parse(variant, &p->variant) != 0 ||
		    profile_prot_parse(reqp, &p->req_prot) != 0 ||
		    profile_prot_parse(respp, &p->resp_prot) != 0) {
			log_error("CMP Profile %s: unknown enum value", rt->name);
			return DB_ERR;
		}
		p->has_signing_cert = c[C_HAS_SIGN_CERT].i != 0;
		p->has_signing_chain = c[C_HAS_SIGN_CHAIN].i != 0;
		p->implicit_confirm_allowed = c[C_IMPLICIT].i != 0;
		p->confirm_wait_time = (int)c[C_CONFIRM_WAIT].i;
		p->subject_any = c[C_SUBJECT_ANY].i != 0;
		/* unreadable: the default */
		if (c[C_CA_PUBS].null ||
		    profile_ca_pubs_parse(ca_pubs, &p->ca_pubs) != 0)
			p->ca_pubs = CAPUBS_SHARED_SECRET;
		p->legacy_pbm = c[C_LEGACY_PBM].i != 0;
		p->cert_req_max = (int)c[C_CERT_REQ_MAX].i;
		p->sync_budget = (int)c[C_SYNC_BUDGET].i;
		p->ckg_allowed = c[C_CKG].i != 0;
		/* what the API would not have taken (a row written in SQL):
		 * the profile enrols nothing (cmp_enroll.c) */
		if (cmp_tmpl_profile(t->tmpl, p) != 0)
			p->tmpl_bad = 1;
		p->secret_fallback = c[C_FALLBACK].i != 0;
		p->has_devices = c[C_HAS_DEVICES].i != 0;
		s->secret_len = c[C_SECRET].null ? 0 : c[C_SECRET].len;
	}
	if (p->ra_found) {
		p->ra_enabled = c[C_RA_ENABLED].i != 0;
		p->connector_insecure = c[C_CONN_INSECURE].i != 0;
		s->cred_len = c[C_CONN_CRED].null ? 0 : c[C_CONN_CRED].len;
	}
	return DB_OK;
}

/*
 * Opens a sealed column into out (the row's uuid is the AAD); an empty
 * one leaves out empty. -1 if it does not open.
 */
static int
profile_unseal(const unsigned char *sealed, size_t n, const char *column,
    const char *uuid, unsigned char *out, size_t cap, size_t *len)
{
	char aad[SECRET_AAD_MAX];

	*len = 0;
	if (n == 0)
		return 0;
	SECRET_AAD(aad, column, uuid);
	return secret_open(sealed, n, aad, out, cap, len);
}

/* The same for an encrypted column as read; NULL leaves out empty. */
static int
profile_open(const struct db_col *c, const char *column, const char *uuid,
    unsigned char *out, size_t cap, size_t *len)
{
	return profile_unseal(c->buf, c->null ? 0 : c->len, column, uuid, out,
	    cap, len);
}

/* The connector's credentials (sealed, n bytes, as read) into
 * p->connector_cred, allocated to hold them (the plaintext is shorter);
 * none leaves it NULL. -1 if they do not open. */
static int
profile_open_cred(struct profile *p, const unsigned char *sealed, size_t n)
{
	size_t size, len;
	int r;

	if (n == 0)
		return 0;
	size = n < PROFILE_ATTRS_MAX ? n : PROFILE_ATTRS_MAX;
	if ((p->connector_cred = malloc(size)) == NULL)
		return -1;
	p->connector_cred_size = size;
	r = profile_unseal(sealed, n, "connector.auth_data_enc",
	    p->connector_uuid, (unsigned char *)p->connector_cred, size - 1,
	    &len);
	if (r != 0 || len == 0) {
		OPENSSL_clear_free(p->connector_cred, size);
		p->connector_cred = NULL;
		p->connector_cred_size = 0;
		return r;
	}
	p->connector_cred[len] = '\0';
	return 0;
}

/* The shared secret and the connector's credentials, for this request. */
static void
profile_open_sealed(struct profile *p, const struct profile_sealed *s)
{
	if (p->cmp_found) {
		if (profile_unseal(s->secret, s->secret_len,
		    "cmp_profile.shared_secret_enc", p->cmp_uuid, p->secret,
		    sizeof(p->secret), &p->secret_len) != 0)
			log_error("CMP Profile %s: shared secret does not "
			    "open with secret_key_file", p->cmp_name);
		else
			p->has_secret = p->secret_len > 0;
	}
	if (p->ra_found && profile_open_cred(p, s->cred, s->cred_len) != 0)
		log_error("connector %s: credentials do not open with "
		    "secret_key_file", p->connector_uuid);
}

/* Step 1: rt's profiles, from the worker's cache (profile_cache.c) or
 * the database, with the reference's checks. */
enum cmp_fail
profile_resolve(const struct route *rt, struct profile *p)
{
	const struct profile_sealed *cached;
	struct profile_sealed *s;
	struct attrs_read *t;
	unsigned long gen;
	enum cmp_fail f = CMPF_DB_UNAVAILABLE;

	/* read before the row: a change committed meanwhile makes the
	 * entry stale at once */
	gen = profile_cache_generation();
	/* a hit: the row copied into p, its sealed columns opened where
	 * the cache keeps them (no copy of them made and wiped) */
	if (profile_cache_get(rt, p, &cached) == 0) {
		profile_open_sealed(p, cached);
		return profile_check(rt, p);
	}
	memset(p, 0, sizeof(*p));
	/* Large (the credentials' and attributes' columns): not on the
	 * stack. */
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (t = malloc(sizeof(*t))) == NULL) {
		free(s);
		return CMPF_INTERNAL;
	}
	if (profile_read(rt, p, s, t) == DB_OK) {
		profile_cache_put(rt, p, s, gen);
		profile_open_sealed(p, s);
		f = profile_check(rt, p);
	}
	OPENSSL_clear_free(s, sizeof(*s));
	free(t);
	return f;
}

/*
 * What a connector call for RA Profile ra_uuid needs, outside a request
 * (the confirmation sweep): attributes, authority, connector.
 */
int
profile_load_connector(const char *ra_uuid, const char *cmp_uuid,
    struct profile *p)
{
	static const char sql[] = "SELECT r.uuid, r.attributes, "
	    "a.authority_instance_uuid, n.uuid, n.url, n.auth_type, "
	    "n.auth_data_enc, COALESCE(r.cmp_revoke_attributes, "
	    "(SELECT c.revoke_attributes FROM cmp_profile c WHERE c.uuid = ?)), "
	    "n.insecure FROM ra_profile r "
	    "JOIN authority a ON a.uuid = r.authority_uuid "
	    "JOIN connector n ON n.uuid = a.connector_uuid WHERE r.uuid = ?";
	unsigned char cred_enc[PROFILE_ATTRS_MAX + 64];
	struct db_arg a[2] = { DB_ARG_STR(cmp_uuid), DB_ARG_STR(ra_uuid) };
	struct db_col c[9];
	struct attrs_read *t;
	int r;

	memset(p, 0, sizeof(*p));
	memset(c, 0, sizeof(c));
	if ((t = malloc(sizeof(*t))) == NULL)
		return DB_ERR;
	col_str(&c[0], p->ra_uuid, sizeof(p->ra_uuid));
	col_str(&c[1], t->ra, sizeof(t->ra));
	col_str(&c[2], p->authority_instance, sizeof(p->authority_instance));
	col_str(&c[3], p->connector_uuid, sizeof(p->connector_uuid));
	col_str(&c[4], p->connector_url, sizeof(p->connector_url));
	col_str(&c[5], p->connector_auth, sizeof(p->connector_auth));
	col_blob(&c[6], cred_enc, sizeof(cred_enc));
	col_str(&c[7], t->revoke, sizeof(t->revoke));
	c[8].type = DB_INT;
	if ((r = db_run(sql, a, NITEMS(a), c, NITEMS(c), NULL)) == DB_OK) {
		p->ra_found = 1;
		p->connector_insecure = c[8].i != 0;
		if (col_keep(t->ra, &p->ra_attrs) != 0 ||
		    col_keep(t->revoke, &p->revoke_attrs) != 0 ||
		    profile_open_cred(p, cred_enc, c[6].null ? 0 : c[6].len) !=
		    0)
			r = DB_ERR;
	}
	OPENSSL_cleanse(cred_enc, sizeof(cred_enc));
	free(t);
	return r;
}

/* Certificates stored as concatenated DER (MEDIUMBLOB columns). */
STACK_OF(X509) *
profile_der_certs(const unsigned char *der, size_t len)
{
	STACK_OF(X509) *sk;
	const unsigned char *q = der, *end = der + len;
	X509 *x;

	if ((sk = sk_X509_new_null()) == NULL)
		return NULL;
	while (q < end) {
		if ((x = d2i_X509(NULL, &q, end - q)) == NULL ||
		    !sk_X509_push(sk, x)) {
			X509_free(x);
			sk_X509_pop_free(sk, X509_free);
			return NULL;
		}
	}
	return sk;
}

/* CRLs stored as concatenated DER (cmp_profile.trust_crls). */
STACK_OF(X509_CRL) *
profile_der_crls(const unsigned char *der, size_t len)
{
	STACK_OF(X509_CRL) *sk;
	const unsigned char *q = der, *end = der + len;
	X509_CRL *x;

	if ((sk = sk_X509_CRL_new_null()) == NULL)
		return NULL;
	while (q < end) {
		if ((x = d2i_X509_CRL(NULL, &q, end - q)) == NULL ||
		    !sk_X509_CRL_push(sk, x)) {
			X509_CRL_free(x);
			sk_X509_CRL_pop_free(sk, X509_CRL_free);
			return NULL;
		}
	}
	return sk;
}

/*
 * Signing material decoded once per worker and CMP Profile, kept while
 * the row's updated_at (every change of the row moves it) stays the same.
 */
#define SIGNING_CACHE_MAX	8
static struct signing_cache {
	char	 uuid[CMPD_UUID_LEN + 1];
	char	 version[32];
	EVP_PKEY *key;
	X509	*cert;
	STACK_OF(X509) *chain, *anchors;
	STACK_OF(X509_CRL) *crls;
} signing_cache[SIGNING_CACHE_MAX];
static unsigned int signing_cache_next;

static void
signing_cache_clear(struct signing_cache *e)
{
	EVP_PKEY_free(e->key);
	X509_free(e->cert);
	sk_X509_pop_free(e->chain, X509_free);
	sk_X509_pop_free(e->anchors, X509_free);
	sk_X509_CRL_pop_free(e->crls, X509_CRL_free);
	memset(e, 0, sizeof(*e));
}

void
profile_done(void)
{
	size_t i;

	for (i = 0; i < SIGNING_CACHE_MAX; i++)
		signing_cache_clear(&signing_cache[i]);
	profile_cache_flush();
}

/* Gives p references to e's material; 0, or -1 if out of memory. */
static int
signing_cache_lend(const struct signing_cache *e, struct profile *p)
{
	if ((e->key != NULL && !EVP_PKEY_up_ref(e->key)) ||
	    (e->cert != NULL && !X509_up_ref(e->cert)))
		return -1;
	p->sign_key = e->key;
	p->sign_cert = e->cert;
	if ((e->chain != NULL &&
	    (p->sign_chain = X509_chain_up_ref(e->chain)) == NULL) ||
	    (e->anchors != NULL &&
	    (p->anchors = X509_chain_up_ref(e->anchors)) == NULL) ||
	    (e->crls != NULL && (p->crls = util_crls_up_ref(e->crls)) == NULL))
		return -1;
	return 0;
}

static int profile_read_signing(struct profile *);
static void profile_signing_free(struct profile *);

/* The cache entry takes references to what p loaded. */
static int
signing_cache_lend_back(struct signing_cache *e, const struct profile *p)
{
	if ((p->sign_key != NULL && !EVP_PKEY_up_ref(p->sign_key)) ||
	    (p->sign_cert != NULL && !X509_up_ref(p->sign_cert)))
		return -1;
	e->key = p->sign_key;
	e->cert = p->sign_cert;
	if ((p->sign_chain != NULL &&
	    (e->chain = X509_chain_up_ref(p->sign_chain)) == NULL) ||
	    (p->anchors != NULL &&
	    (e->anchors = X509_chain_up_ref(p->anchors)) == NULL) ||
	    (p->crls != NULL && (e->crls = util_crls_up_ref(p->crls)) == NULL))
		return -1;
	return 0;
}

/*
 * What signature protection needs, for a profile that uses it: the
 * signing key (sealed), its certificate and chain, and the trust anchors
 * for request signers; from the worker's cache while the profile did not
 * change. DB_OK, DB_ERR, or PROFILE_BAD_DATA for what does not decode.
 */
int
profile_load_signing(struct profile *p)
{
	struct signing_cache *e;
	size_t i;
	int r;

	for (i = 0; i < SIGNING_CACHE_MAX; i++) {
		e = &signing_cache[i];
		if (strcmp(e->uuid, p->cmp_uuid) != 0)
			continue;
		if (strcmp(e->version, p->cmp_version) == 0 &&
		    p->cmp_version[0] != '\0')
			return signing_cache_lend(e, p) == 0 ? DB_OK : DB_ERR;
		signing_cache_clear(e);
	}
	if ((r = profile_read_signing(p)) != DB_OK)
		return r;
	e = &signing_cache[signing_cache_next++ % SIGNING_CACHE_MAX];
	signing_cache_clear(e);
	snprintf(e->uuid, sizeof(e->uuid), "%s", p->cmp_uuid);
	snprintf(e->version, sizeof(e->version), "%s", p->cmp_version);
	/* the cache keeps its own references */
	if (signing_cache_lend_back(e, p) != 0)
		signing_cache_clear(e);
	return DB_OK;
}

/* The profile's signing material, read once per request when needed:
 * CMPF_OK, or what to answer. */
enum cmp_fail
profile_signing_get(struct profile *p)
{
	int r;

	if (p->signing_loaded)
		return CMPF_OK;
	if ((r = profile_load_signing(p)) == DB_ERR)
		return CMPF_DB_UNAVAILABLE;
	if (r != DB_OK)
		return CMPF_BAD_SIGNING_DATA;
	p->signing_loaded = 1;
	return CMPF_OK;
}

/* The database side of profile_load_signing(): a second query, so
 * MAC-only profiles never read these columns. */
static int
profile_read_signing(struct profile *p)
{
	static const char sql[] = "SELECT signing_key_enc, signing_certificate, "
	    "signing_chain, trust_anchors, trust_crls FROM cmp_profile "
	    "WHERE uuid = ?";
	static unsigned char key_enc[PROFILE_SIGN_MAX], cert[PROFILE_SIGN_MAX],
	    chain[PROFILE_SIGN_MAX], anchors[PROFILE_SIGN_MAX],
	    crls[PROFILE_SIGN_MAX];
	unsigned char key[PROFILE_SIGN_MAX];
	struct db_arg a[1] = { DB_ARG_STR(p->cmp_uuid) };
	struct db_col c[5];
	const unsigned char *q;
	size_t keylen = 0;
	char why[80];
	int i, r;

	memset(c, 0, sizeof(c));
	col_blob(&c[0], key_enc, sizeof(key_enc));
	col_blob(&c[1], cert, sizeof(cert));
	col_blob(&c[2], chain, sizeof(chain));
	col_blob(&c[3], anchors, sizeof(anchors));
	col_blob(&c[4], crls, sizeof(crls));
	if ((r = db_run(sql, a, 1, c, NITEMS(c), NULL)) != DB_OK)
		return r == DB_ERR ? DB_ERR : PROFILE_BAD_DATA;
	r = PROFILE_BAD_DATA;
	if (!c[3].null && c[3].len > 0 &&
	    (p->anchors = profile_der_certs(anchors, c[3].len)) == NULL) {
		log_error("CMP Profile %s: bad trust_anchors", p->cmp_name);
		goto out;
	}
	if (!c[4].null && c[4].len > 0 &&
	    (p->crls = profile_der_crls(crls, c[4].len)) == NULL) {
		log_error("CMP Profile %s: bad trust_crls", p->cmp_name);
		goto out;
	}
	/* stored before cmpd refused them at upload (credentials.c) */
	for (i = 0; i < sk_X509_CRL_num(p->crls); i++)
		if (!util_crl_complete(sk_X509_CRL_value(p->crls, i), why,
		    sizeof(why))) {
			log_error("CMP Profile %s: trust_crls hold %s; upload "
			    "its trust anchors again", p->cmp_name, why);
			goto out;
		}
	if (!c[2].null && c[2].len > 0 &&
	    (p->sign_chain = profile_der_certs(chain, c[2].len)) == NULL) {
		log_error("CMP Profile %s: bad signing_chain", p->cmp_name);
		goto out;
	}
	if (!c[1].null && c[1].len > 0) {
		q = cert;
		if ((p->sign_cert = d2i_X509(NULL, &q, (long)c[1].len)) ==
		    NULL) {
			log_error("CMP Profile %s: bad signing_certificate",
			    p->cmp_name);
			goto out;
		}
	}
	if (profile_open(&c[0], "cmp_profile.signing_key_enc", p->cmp_uuid,
	    key, sizeof(key), &keylen) != 0) {
		log_error("CMP Profile %s: signing key does not open with "
		    "secret_key_file", p->cmp_name);
		goto out;
	}
	if (keylen > 0) {
		q = key;
		if ((p->sign_key = d2i_AutoPrivateKey(NULL, &q,
		    (long)keylen)) == NULL) {
			log_error("CMP Profile %s: bad signing key",
			    p->cmp_name);
			goto out;
		}
	}
	r = DB_OK;
 out:
	/* nothing half read stays: a second try (the error's answer is
	 * signed too) reads it all again */
	if (r != DB_OK)
		profile_signing_free(p);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(key_enc, sizeof(key_enc));
	return r;
}

/* The signing material and trust anchors of p, dropped. */
static void
profile_signing_free(struct profile *p)
{
	EVP_PKEY_free(p->sign_key);
	X509_free(p->sign_cert);
	sk_X509_pop_free(p->sign_chain, X509_free);
	sk_X509_pop_free(p->anchors, X509_free);
	sk_X509_CRL_pop_free(p->crls, X509_CRL_free);
	p->crls = NULL;
	p->sign_key = NULL;
	p->sign_cert = NULL;
	p->sign_chain = p->anchors = NULL;
}

/* Wipes the decrypted secrets (CONVENTIONS 7). */
void
profile_clear(struct profile *p)
{
	profile_signing_free(p);
	sk_X509_pop_free(p->signer_chain, X509_free);
	p->signer_chain = NULL;
	p->ra_looked_up = p->ra_perms = 0;
	p->signer_crl_missing = 0;
	OPENSSL_cleanse(p->secret, sizeof(p->secret));
	OPENSSL_clear_free(p->connector_cred, p->connector_cred_size);
	p->connector_cred = NULL;
	p->connector_cred_size = 0;
	p->secret_len = 0;
	p->has_secret = 0;
	profile_row_free(p);
}
