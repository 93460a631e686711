/*
 * What the management API and the connector client both check about a
 * connector's settings: its base URL, the transport its credentials may
 * take, an API key header, the authority UUID path segment. Pure
 * functions, no libcurl.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cmpd.h"
#include "conn.h"
#include "conn_int.h"

#define CONN_URL_MAX		2048	/* configured base URL */
#define CONN_UUID_SEG_MAX	64	/* authority UUID path segment */
#define CONN_HEADER_NAME_MAX	128
#define CONN_HEADER_VALUE_MAX	8192

/* Headers that cmpd or libcurl set: an API key header must not clash. */
static const char *const conn_reserved_headers[] = {
	"Accept", "Connection", "Content-Length", "Content-Type", "Expect",
	"Host", "Transfer-Encoding",
};

/* RFC 9110 5.6.2 token, not one of the headers cmpd sets itself
 * (shared with the management API, which checks credentials up front). */
int
conn_header_name_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CONN_HEADER_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) &&
		    strchr("!#$%&'*+-.^_`|~", s[i]) == NULL)
			return 0;
	for (i = 0; i < NITEMS(conn_reserved_headers); i++)
		if (strcasecmp(s, conn_reserved_headers[i]) == 0)
			return 0;
	return 1;
}

/* RFC 9110 5.5 field value; empty would make libcurl drop the header. */
int
conn_header_value_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > CONN_HEADER_VALUE_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return 0;
	}
	return 1;
}

/* A connector base URL conn.c can use (shared with the management API). */
int
conn_url_valid(const char *url, size_t len)
{
	size_t i;

	if (len == 0 || len > CONN_URL_MAX)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0 &&
	    strncasecmp(url, "https://", 8) != 0)
		return 0;
	/* The API path is appended: a query or fragment would swallow it. */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)url[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '?' || ch == '#')
			return 0;
	}
	/* No user:password@ before the host: credentials are sealed in the
	 * connector's credentials, never in a URL the API shows, the audit
	 * keeps and libcurl would send as Basic over any transport. */
	for (i = url[4] == ':' ? 7 : 8; i < len && url[i] != '/'; i++)
		if (url[i] == '@')
			return 0;
	return 1;
}

/* A URL that names plain HTTP (the scheme is case-insensitive). */
int
conn_url_is_http(const char *url)
{
	return url != NULL && strncasecmp(url, "http://", 7) == 0;
}

/*
 * Why a connector's credentials may not go to url, or NULL when they may
 * (shared with the management API, which refuses such a connector up
 * front). Basic credentials and API keys are readable by anyone on the
 * path of plain HTTP: only a connector an administrator marked insecure
 * sends them so, loopback included. A client certificate is a TLS
 * credential: without TLS there is nothing to present it in.
 */
const char *
conn_transport_refusal(const char *url, enum conn_auth auth, int insecure)
{
	if (auth == CONN_AUTH_NONE || !conn_url_is_http(url))
		return NULL;
	if (auth == CONN_AUTH_CERTIFICATE)
		return "certificate authentication needs an https:// url";
	if (!insecure)
		return "credentials would be sent over plain http://: use an "
		    "https:// url, or mark the connector insecure";
	return NULL;
}

int
conn_uuid_valid(const char *s)
{
	size_t i, len;

	if (s == NULL || (len = strlen(s)) == 0 || len > CONN_UUID_SEG_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}
