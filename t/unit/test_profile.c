/* profile.c: the order of the profile checks on both routes, and names;
 * profile_row.c: a row copied and let go. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cmpd.h"
#include "tap.h"

static struct profile
good(void)
{
	struct profile p;

	memset(&p, 0, sizeof(p));
	p.cmp_found = p.cmp_enabled = 1;
	p.ra_found = p.ra_enabled = 1;
	p.req_prot = p.resp_prot = PROT_SHARED_SECRET;
	return p;
}

/* A row with attributes, copied: its own strings, nothing a request
 * opened or loaded. */
static void
row_copy(void)
{
	struct profile src, dst;
	char cred[] = "{\"key\": \"k\"}";
	int anything;

	memset(&src, 0, sizeof(src));
	src.cmp_found = 1;
	snprintf(src.cmp_name, sizeof(src.cmp_name), "%s", "enroll");
	src.confirm_wait_time = 300;
	src.issue_attrs = strdup("[{\"name\": \"policy\"}]");
	src.ra_attrs = strdup("[]");
	src.connector_cred = cred;
	src.connector_cred_size = sizeof(cred);
	src.sign_key = (EVP_PKEY *)&anything;
	src.signer_chain = (STACK_OF(X509) *)&anything;
	memcpy(src.secret, "s3cret", 6);
	src.secret_len = 6;
	src.has_secret = 1;

	ok(profile_row_copy(&dst, &src) == 0, "row copied");
	is_str(dst.cmp_name, "enroll", "... its columns");
	is_int(dst.confirm_wait_time, 300, "... its numbers");
	ok(dst.issue_attrs != NULL && dst.issue_attrs != src.issue_attrs &&
	    strcmp(dst.issue_attrs, src.issue_attrs) == 0,
	    "... its issue attributes, a string of its own");
	ok(dst.ra_attrs != NULL && dst.ra_attrs != src.ra_attrs &&
	    strcmp(dst.ra_attrs, "[]") == 0, "... its RA attributes");
	ok(dst.revoke_attrs == NULL, "... no revoke attributes: none");
	ok(dst.connector_cred == NULL && dst.connector_cred_size == 0,
	    "... not the opened credentials");
	ok(dst.sign_key == NULL && dst.signer_chain == NULL,
	    "... not what a request loaded");
	ok(dst.secret_len == 0 && !dst.has_secret && dst.secret[0] == 0,
	    "... not the opened secret");
	profile_row_free(&src);
	ok(src.issue_attrs == NULL && src.ra_attrs == NULL,
	    "the original's strings let go");
	is_str(dst.issue_attrs, "[{\"name\": \"policy\"}]",
	    "the copy's stay");
	profile_row_free(&dst);
	ok(dst.issue_attrs == NULL && dst.ra_attrs == NULL &&
	    dst.revoke_attrs == NULL, "the copy's let go");
	profile_row_free(&dst);
	ok(dst.issue_attrs == NULL, "let go again: nothing freed twice");
}

int
main(void)
{
	struct route cmp = { ROUTE_CMP_PROFILE, "c", LABEL_NONE },
	    ra = { ROUTE_RA_PROFILE, "r", LABEL_NONE };
	struct profile p;
	enum cmp_variant v;
	enum prot_method m;
	enum profile_ca_pubs cp;

	p = good();
	is_int(profile_check(&cmp, &p), CMPF_OK, "cmp route: all fine");
	is_int(profile_check(&ra, &p), CMPF_OK, "ra route: all fine");

	/* CMP Profile route: CMP first, then its default RA Profile */
	p = good();
	p.cmp_found = p.cmp_enabled = p.ra_found = p.ra_enabled = 0;
	is_int(profile_check(&cmp, &p), CMPF_CMP_PROFILE_NOT_FOUND,
	    "cmp route: not found comes first");
	p = good();
	p.cmp_enabled = p.ra_found = 0;
	is_int(profile_check(&cmp, &p), CMPF_CMP_PROFILE_DISABLED,
	    "cmp route: disabled before missing RA");
	p = good();
	p.ra_found = p.ra_enabled = 0;
	is_int(profile_check(&cmp, &p), CMPF_CMP_PROFILE_NO_RA,
	    "cmp route: no default RA Profile");
	p = good();
	p.ra_enabled = 0;
	is_int(profile_check(&cmp, &p), CMPF_RA_PROFILE_DISABLED,
	    "cmp route: default RA Profile disabled");

	/* RA Profile route: RA first, then its CMP Profile */
	p = good();
	p.ra_found = p.ra_enabled = p.cmp_found = 0;
	is_int(profile_check(&ra, &p), CMPF_RA_PROFILE_NOT_FOUND,
	    "ra route: not found comes first");
	p = good();
	p.ra_enabled = p.cmp_found = 0;
	is_int(profile_check(&ra, &p), CMPF_RA_PROFILE_DISABLED,
	    "ra route: disabled before missing CMP");
	p = good();
	p.cmp_found = p.cmp_enabled = 0;
	is_int(profile_check(&ra, &p), CMPF_RA_PROFILE_NO_CMP,
	    "ra route: CMP not enabled on the RA Profile");
	p = good();
	p.cmp_enabled = 0;
	is_int(profile_check(&ra, &p), CMPF_CMP_PROFILE_DISABLED,
	    "ra route: its CMP Profile disabled");

	/* signed answers need the signing certificate, then its chain */
	p = good();
	p.resp_prot = PROT_SIGNATURE;
	is_int(profile_check(&cmp, &p), CMPF_SIGNING_CERT_MISSING,
	    "signature: no certificate");
	p.has_signing_cert = 1;
	is_int(profile_check(&ra, &p), CMPF_SIGNING_CHAIN_MISSING,
	    "signature: no chain");
	p.has_signing_chain = 1;
	is_int(profile_check(&cmp, &p), CMPF_OK, "signature: complete");
	p.has_signing_cert = p.has_signing_chain = 0;
	p.cmp_enabled = 0;
	is_int(profile_check(&cmp, &p), CMPF_CMP_PROFILE_DISABLED,
	    "enabled checks come before credentials");

	/* the reference's protection rules per variant */
	p = good();
	p.req_prot = PROT_SIGNATURE;
	is_int(profile_check(&cmp, &p), CMPF_PROFILE_RULES,
	    "v2: signed request, MAC'd answer refused");
	p = good();
	p.resp_prot = PROT_SIGNATURE;
	p.has_signing_cert = p.has_signing_chain = 1;
	is_int(profile_check(&cmp, &p), CMPF_OK,
	    "v2: MAC'd request, signed answer allowed");
	p.variant = VARIANT_V2_3GPP;
	is_int(profile_check(&cmp, &p), CMPF_PROFILE_RULES,
	    "v2_3gpp: MAC'd request refused");
	p.req_prot = PROT_SIGNATURE;
	is_int(profile_check(&cmp, &p), CMPF_OK, "v2_3gpp: signatures both ways");

	ok(profile_variant_parse("v2_3gpp", &v) == 0 && v == VARIANT_V2_3GPP,
	    "variant v2_3gpp");
	ok(profile_variant_parse("V2", &v) != 0, "variants are case-sensitive");
	ok(profile_prot_parse("signature", &m) == 0 && m == PROT_SIGNATURE,
	    "method signature");
	ok(profile_prot_parse("none", &m) != 0, "none is not a profile method");
	is_str(profile_prot_name(PROT_SHARED_SECRET), "sharedSecret", "name");
	is_str(profile_prot_name((enum prot_method)9), "unknown", "bad name");
	ok(profile_ca_pubs_parse("sharedSecret", &cp) == 0 &&
	    cp == CAPUBS_SHARED_SECRET, "caPubs sharedSecret");
	ok(profile_ca_pubs_parse("always", &cp) == 0 && cp == CAPUBS_ALWAYS,
	    "caPubs always");
	ok(profile_ca_pubs_parse("never", &cp) == 0 && cp == CAPUBS_NEVER,
	    "caPubs never");
	ok(profile_ca_pubs_parse("Never", &cp) != 0 &&
	    profile_ca_pubs_parse("", &cp) != 0, "caPubs: nothing else");
	row_copy();
	return done_testing();
}
