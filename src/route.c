/*
 * Routing: the request URI decides which CMP Profile or RA Profile serves
 * the request (DESIGN "HTTP surface"), and on the RFC 9811 form which
 * operation it is for.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmpd.h"

static const struct {
	const char *prefix;
	enum route_kind kind;
	int	 labels;	/* a /{label} segment may follow the name */
} routes[] = {
	/* Longest prefix first: raProfile/ is also a valid profile name. */
	{ "/api/v1/protocols/cmp/raProfile/", ROUTE_RA_PROFILE, 0 },
	{ "/api/v1/protocols/cmp/", ROUTE_CMP_PROFILE, 0 },
	{ "/.well-known/cmp/p/", ROUTE_CMP_PROFILE, 1 },	/* RFC 9811 3.3 */
};

/*
 * RFC 9483 6.1 Table 1 (the IANA "CMP Well-Known URI Path Segments" for
 * HTTP) and the first message of a transaction each one carries.
 */
static const struct {
	const char *name;
	int	 body;
} labels[LABEL__COUNT] = {
	[LABEL_NONE] = { "", -1 },
	[LABEL_INITIALIZATION] = { "initialization", CMPD_BODY_IR },
	[LABEL_CERTIFICATION] = { "certification", CMPD_BODY_CR },
	[LABEL_KEYUPDATE] = { "keyupdate", CMPD_BODY_KUR },
	[LABEL_PKCS10] = { "pkcs10", CMPD_BODY_P10CR },
	[LABEL_REVOCATION] = { "revocation", CMPD_BODY_RR },
	[LABEL_GETCACERTS] = { "getcacerts", CMPD_BODY_GENM },
	[LABEL_GETROOTUPDATE] = { "getrootupdate", CMPD_BODY_GENM },
	[LABEL_GETCERTREQTEMPLATE] = { "getcertreqtemplate", CMPD_BODY_GENM },
	[LABEL_GETCRLS] = { "getcrls", CMPD_BODY_GENM },
	[LABEL_NESTED] = { "nested", CMPD_BODY_NESTED },
};

static enum route_label
route_label_find(const char *s, size_t n)
{
	int i;

	for (i = LABEL_NONE + 1; i < LABEL__COUNT; i++)
		if (strlen(labels[i].name) == n &&
		    strncmp(labels[i].name, s, n) == 0)
			return (enum route_label)i;
	return LABEL_NONE;
}

const char *
route_label_name(enum route_label l)
{
	return l > LABEL_NONE && l < LABEL__COUNT ? labels[l].name : "";
}

/*
 * Whether a message fits the route's operation label. A client sends a
 * whole transaction to one URL: certConf follows an enrollment, pollReq
 * and error may follow any first message. Without a label, anything.
 */
enum cmp_fail
route_label_check(const struct route *rt, int body_type, char *arg,
    size_t arglen)
{
	enum route_label l = rt->label;

	if (l <= LABEL_NONE || l >= LABEL__COUNT ||
	    body_type == labels[l].body ||
	    body_type == CMPD_BODY_POLLREQ || body_type == CMPD_BODY_ERROR)
		return CMPF_OK;
	if (body_type == CMPD_BODY_CERTCONF &&
	    (l == LABEL_INITIALIZATION || l == LABEL_CERTIFICATION ||
	    l == LABEL_KEYUPDATE || l == LABEL_PKCS10))
		return CMPF_OK;
	snprintf(arg, arglen, "%s sent to %s", cmp_asn1_body_name(body_type),
	    labels[l].name);
	return CMPF_LABEL_MISMATCH;
}

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
 * ignored. A CMP route is a prefix, one name and at most one trailing
 * slash; on the RFC 9811 form, /.well-known/cmp/p/{name}/{label}, one of
 * RFC 9483's operation labels may follow the name.
 */
int
route_parse(const char *uri, struct route *rt)
{
	const char *name, *slash;
	size_t i, plen, n, nlen;
	enum route_label label = LABEL_NONE;

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
		nlen = n;
		if (routes[i].labels &&
		    (slash = memchr(name, '/', n)) != NULL) {
			nlen = (size_t)(slash - name);
			if ((label = route_label_find(slash + 1,
			    n - nlen - 1)) == LABEL_NONE)
				return -1;
		}
		if (!route_name_valid(name, nlen))
			return -1;
		memcpy(rt->name, name, nlen);
		rt->name[nlen] = '\0';
		rt->kind = routes[i].kind;
		rt->label = label;
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
