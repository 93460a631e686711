/*
 * CMP Profile and RA Profile resolution (DESIGN "Validation order" step 1),
 * with the reference platform's checks, in its order.
 */
#include "config.h"

#include <string.h>

#include "cmpd.h"

/* Indexed by enum cmp_variant and enum prot_method; the schema's ENUMs. */
static const char *const variant_names[] = { "v2", "v2_3gpp", "v3" };
static const char *const prot_names[] = { "none", "sharedSecret", "signature" };

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
	/* Signed answers need our signing certificate and its chain. */
	if (p->resp_prot == PROT_SIGNATURE) {
		if (!p->has_signing_cert)
			return CMPF_SIGNING_CERT_MISSING;
		if (!p->has_signing_chain)
			return CMPF_SIGNING_CHAIN_MISSING;
	}
	return CMPF_OK;
}

enum cmp_fail
profile_resolve(const struct route *rt, struct profile *p)
{
	int r;

	memset(p, 0, sizeof(*p));
	if (rt->kind == ROUTE_CMP_PROFILE)
		r = db_profile_by_cmp_name(rt->name, p);
	else
		r = db_profile_by_ra_name(rt->name, p);
	if (r == DB_ERR)
		return CMPF_DB_UNAVAILABLE;
	return profile_check(rt, p);
}
