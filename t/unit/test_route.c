/* route.c: the three CMP routes and everything that is not one. */
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

int
main(void)
{
	char longname[400];

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

	memset(longname, 'a', sizeof(longname));
	memcpy(longname, "/.well-known/cmp/p/", 19);
	longname[19 + CMPD_NAME_MAX] = '\0';
	route_is(longname, 0, ROUTE_CMP_PROFILE, NULL);
	longname[19 + CMPD_NAME_MAX] = 'a';
	longname[19 + CMPD_NAME_MAX + 1] = '\0';
	route_is(longname, -1, ROUTE_NONE, NULL);
	return done_testing();
}
