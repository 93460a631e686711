/* route.c: the three CMP routes, RFC 9811 operation labels, and
 * everything that is not one. */
#include "config.h"

#include <string.h>

#include "cmpd.h"
#include "tap.h"

static void
route_is(const char *uri, int want_rc, enum route_kind kind, const char *name)
{
	struct route rt;
	int rc = route_parse(uri, &rt);

	ok(rc == want_rc && rt.kind == kind &&
	    (name == NULL || strcmp(rt.name, name) == 0),
	    "%s -> %s %s", uri ? uri : "(null)", route_kind_name(kind),
	    name ? name : "");
}

static void
label_is(const char *uri, int want_rc, const char *name,
    enum route_label label)
{
	struct route rt;
	int rc = route_parse(uri, &rt);

	ok(rc == want_rc && (rc != 0 || (rt.kind == ROUTE_CMP_PROFILE &&
	    strcmp(rt.name, name) == 0 && rt.label == label)),
	    "%s -> %s label %s", uri, rc == 0 ? name : "404",
	    route_label_name(label));
}

static void
fits(enum route_label label, int body, enum cmp_fail want)
{
	struct route rt;
	char arg[128] = "";

	memset(&rt, 0, sizeof(rt));
	rt.kind = ROUTE_CMP_PROFILE;
	rt.label = label;
	is_int(route_label_check(&rt, body, arg, sizeof(arg)), want,
	    "%s under '%s'%s%s", cmp_asn1_body_name(body),
	    route_label_name(label), arg[0] ? ": " : "", arg);
}

int
main(void)
{
	static const char *const all[] = { "initialization", "certification",
	    "keyupdate", "pkcs10", "revocation", "getcacerts",
	    "getrootupdate", "getcertreqtemplate", "getcrls", "nested" };
	char longname[400], uri[200];
	struct route rt;
	size_t i;

	route_is("/api/v1/protocols/cmp/demo", 0, ROUTE_CMP_PROFILE, "demo");
	route_is("/api/v1/protocols/cmp/demo/", 0, ROUTE_CMP_PROFILE, "demo");
	route_is("/api/v1/protocols/cmp/demo?x=1", 0, ROUTE_CMP_PROFILE, "demo");
	route_is("/api/v1/protocols/cmp/a-b.c_d~e9", 0, ROUTE_CMP_PROFILE,
	    "a-b.c_d~e9");
	route_is("/api/v1/protocols/cmp/raProfile/ra1", 0, ROUTE_RA_PROFILE,
	    "ra1");
	route_is("/.well-known/cmp/p/demo", 0, ROUTE_CMP_PROFILE, "demo");
	route_is("/api/v1/protocols/cmp/raProfile", 0, ROUTE_CMP_PROFILE,
	    "raProfile");
	route_is("/api/v1/protocols/cmp/", -1, ROUTE_NONE, NULL);
	route_is("/api/v1/protocols/cmp/raProfile/", -1, ROUTE_NONE, NULL);
	route_is("/api/v1/protocols/cmp/a/b", -1, ROUTE_NONE, NULL);
	route_is("/api/v1/protocols/cmp/a%20b", -1, ROUTE_NONE, NULL);
	route_is("/api/v1/protocols/cmp/..", -1, ROUTE_NONE, NULL);
	route_is("/api/v1/protocols/cmp/sp ace", -1, ROUTE_NONE, NULL);
	route_is("/.well-known/cmp", -1, ROUTE_NONE, NULL);
	route_is("/api/v1/cmpProfiles", -1, ROUTE_NONE, NULL);
	route_is("/health", 0, ROUTE_HEALTH, NULL);
	route_is("/health?x=1", 0, ROUTE_HEALTH, NULL);
	route_is("/metrics", 0, ROUTE_METRICS, NULL);
	route_is("/metrics/x", -1, ROUTE_NONE, NULL);
	route_is("/healthz", -1, ROUTE_NONE, NULL);
	route_is("/", -1, ROUTE_NONE, NULL);
	route_is(NULL, -1, ROUTE_NONE, NULL);

	/* RFC 9811 3.3: /.well-known/cmp/p/{name}/{label}, the labels of
	 * RFC 9483 6.1 Table 1, the same profile */
	for (i = 0; i < NITEMS(all); i++) {
		snprintf(uri, sizeof(uri), "/.well-known/cmp/p/demo/%s", all[i]);
		ok(route_parse(uri, &rt) == 0 && rt.kind == ROUTE_CMP_PROFILE &&
		    strcmp(rt.name, "demo") == 0 &&
		    strcmp(route_label_name(rt.label), all[i]) == 0,
		    "%s -> demo, label %s", uri, all[i]);
	}
	label_is("/.well-known/cmp/p/demo", 0, "demo", LABEL_NONE);
	label_is("/.well-known/cmp/p/demo/", 0, "demo", LABEL_NONE);
	label_is("/.well-known/cmp/p/demo/initialization/", 0, "demo",
	    LABEL_INITIALIZATION);
	label_is("/.well-known/cmp/p/demo/pkcs10?x=1", 0, "demo",
	    LABEL_PKCS10);
	label_is("/.well-known/cmp/p/demo/unknown", -1, NULL, LABEL_NONE);
	label_is("/.well-known/cmp/p/demo/Initialization", -1, NULL,
	    LABEL_NONE);
	label_is("/.well-known/cmp/p/demo/ir", -1, NULL, LABEL_NONE);
	label_is("/.well-known/cmp/p/demo//", -1, NULL, LABEL_NONE);
	label_is("/.well-known/cmp/p/demo/initialization/x", -1, NULL,
	    LABEL_NONE);
	label_is("/.well-known/cmp/p//initialization", -1, NULL, LABEL_NONE);
	label_is("/.well-known/cmp/p/initialization", 0, "initialization",
	    LABEL_NONE);
	/* no profile: cmpd has no default profile to serve it */
	label_is("/.well-known/cmp/initialization", -1, NULL, LABEL_NONE);
	/* the management-style routes take one name segment, no label */
	route_is("/api/v1/protocols/cmp/demo/initialization", -1, ROUTE_NONE,
	    NULL);
	route_is("/api/v1/protocols/cmp/raProfile/ra1/initialization", -1,
	    ROUTE_NONE, NULL);
	route_is("/api/v1/protocols/cmp/raProfile/initialization", 0,
	    ROUTE_RA_PROFILE, "initialization");

	/* the first message must be the label's; follow-ups pass */
	fits(LABEL_NONE, CMPD_BODY_RR, CMPF_OK);
	fits(LABEL_INITIALIZATION, CMPD_BODY_IR, CMPF_OK);
	fits(LABEL_INITIALIZATION, CMPD_BODY_CR, CMPF_LABEL_MISMATCH);
	fits(LABEL_INITIALIZATION, CMPD_BODY_CERTCONF, CMPF_OK);
	fits(LABEL_INITIALIZATION, CMPD_BODY_POLLREQ, CMPF_OK);
	fits(LABEL_INITIALIZATION, CMPD_BODY_ERROR, CMPF_OK);
	fits(LABEL_CERTIFICATION, CMPD_BODY_CR, CMPF_OK);
	fits(LABEL_CERTIFICATION, CMPD_BODY_IR, CMPF_LABEL_MISMATCH);
	fits(LABEL_KEYUPDATE, CMPD_BODY_KUR, CMPF_OK);
	fits(LABEL_KEYUPDATE, CMPD_BODY_CERTCONF, CMPF_OK);
	fits(LABEL_PKCS10, CMPD_BODY_P10CR, CMPF_OK);
	fits(LABEL_PKCS10, CMPD_BODY_CERTCONF, CMPF_OK);
	fits(LABEL_REVOCATION, CMPD_BODY_RR, CMPF_OK);
	fits(LABEL_REVOCATION, CMPD_BODY_CERTCONF, CMPF_LABEL_MISMATCH);
	fits(LABEL_REVOCATION, CMPD_BODY_IR, CMPF_LABEL_MISMATCH);
	fits(LABEL_GETCACERTS, CMPD_BODY_GENM, CMPF_OK);
	fits(LABEL_GETROOTUPDATE, CMPD_BODY_GENM, CMPF_OK);
	fits(LABEL_GETCERTREQTEMPLATE, CMPD_BODY_GENM, CMPF_OK);
	fits(LABEL_GETCRLS, CMPD_BODY_GENM, CMPF_OK);
	fits(LABEL_GETCRLS, CMPD_BODY_RR, CMPF_LABEL_MISMATCH);
	fits(LABEL_NESTED, CMPD_BODY_NESTED, CMPF_OK);
	fits(LABEL_NESTED, CMPD_BODY_IR, CMPF_LABEL_MISMATCH);

	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "/.well-known/cmp/p/", 19);
	longname[19 + CMPD_NAME_MAX] = '\0';
	route_is(longname, 0, ROUTE_CMP_PROFILE, NULL);
	longname[19 + CMPD_NAME_MAX] = 'a';
	longname[19 + CMPD_NAME_MAX + 1] = '\0';
	route_is(longname, -1, ROUTE_NONE, NULL);
	return done_testing();
}
