/*
 * Routing: the request URI decides which CMP Profile or RA Profile serves
 * the request (DESIGN "HTTP surface").
 */
#include "config.h"

#include <string.h>

#include "cmpd.h"

static const struct {
	const char *prefix;
	enum route_kind kind;
} routes[] = {
	/* Longest prefix first: raProfile/ is also a valid profile name. */
	{ "/api/v1/protocols/cmp/raProfile/", ROUTE_RA_PROFILE },
	{ "/api/v1/protocols/cmp/", ROUTE_CMP_PROFILE },
	{ "/.well-known/cmp/p/", ROUTE_CMP_PROFILE },	/* RFC 9811 3.3 */
};

/* Profile names use URL-unreserved characters only (RFC 3986 2.3). */
int
route_name_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > CMPD_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~'))
			return 0;
	}
	/* "." and ".." are path segments, not names. */
	if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return 0;
	return 1;
}

/*
 * Returns 0 and fills rt for a CMP route, /health or /metrics, -1
 * (rt->kind ROUTE_NONE) for any other path. The query string, if any, is
 * ignored.
 */
int
route_parse(const char *uri, struct route *rt)
{
	const char *name;
	size_t i, plen, n;

	memset(rt, 0, sizeof(*rt));
	rt->kind = ROUTE_NONE;
	if (uri == NULL)
		return -1;
	/* Outside /api/v1: the web server decides who may see them. */
	n = strcspn(uri, "?#");
	if (n == 7 && strncmp(uri, "/health", n) == 0) {
		rt->kind = ROUTE_HEALTH;
		return 0;
	}
	if (n == 8 && strncmp(uri, "/metrics", n) == 0) {
		rt->kind = ROUTE_METRICS;
		return 0;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		plen = strlen(routes[i].prefix);
		if (strncmp(uri, routes[i].prefix, plen) != 0)
			continue;
		name = uri + plen;
		n = strcspn(name, "?#");
		/* One trailing slash is tolerated, nothing deeper. */
		if (n > 0 && name[n - 1] == '/')
			n--;
		if (!route_name_valid(name, n))
			return -1;
		memcpy(rt->name, name, n);
		rt->name[n] = '\0';
		rt->kind = routes[i].kind;
		return 0;
	}
	return -1;
}

const char *
route_kind_name(enum route_kind k)
{
	switch (k) {
	case ROUTE_CMP_PROFILE:
		return "cmpProfile";
	case ROUTE_RA_PROFILE:
		return "raProfile";
	case ROUTE_API:
		return "api";
	case ROUTE_HEALTH:
		return "health";
	case ROUTE_METRICS:
		return "metrics";
	default:
		return "none";
	}
}
