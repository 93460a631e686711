/*
 * cmp-localca: JSON in and out (json-c) and base64 (libcrypto): the
 * request body's parser and the helpers the handlers build on.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <openssl/evp.h>

#include "jsoncheck.h"
#include "localca.h"

#define LCA_JSON_DEPTH		16	/* the API nests 4 deep at most */

/* ------------------------------------------------------ JSON helpers */

/*
 * The body: one JSON object (RFC 8259), nothing but white space after
 * it; strict mode refuses anything else after the value.
 */
int
lca_json_parse(const unsigned char *body, size_t len, json_object **out,
    struct lca_err *e)
{
	enum json_tokener_error jerr;
	json_tokener *tok;
	json_object *o;
	char why[160];
	int r = -1, c;

	*out = NULL;
	if ((tok = json_tokener_new_ex(LCA_JSON_DEPTH)) == NULL)
		return lca_fail(e, 500, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, (const char *)body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (o == NULL || jerr != json_tokener_success) {
		lca_fail(e, 422, "malformed JSON: %s",
		    jerr == json_tokener_continue ? "unexpected end" :
		    json_tokener_error_desc(jerr));
		goto out;
	}
	/* what json-c accepts but reads otherwise than it was sent */
	if ((c = jsoncheck_text((const char *)body, len, LCA_JSON_DEPTH, why,
	    sizeof(why))) != JSONCHECK_OK) {
		if (c == JSONCHECK_ERR)
			lca_fail(e, 500, "out of memory");
		else
			lca_fail(e, 422, "malformed JSON: the body %s", why);
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		lca_fail(e, 422, "request body must be a JSON object");
		goto out;
	}
	*out = o;
	o = NULL;
	r = 0;
 out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

/* An optional member that must be a list when present (null: absent). */
static int
lca_json_list(json_object *in, const char *key, struct lca_err *e)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(in, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return lca_fail(e, 422, "%s must be a list", key);
	return 0;
}

int
lca_json_lists(json_object *in, const char *const *keys, size_t n,
    struct lca_err *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (lca_json_list(in, keys[i], e) != 0)
			return -1;
	return 0;
}

/* A required string member without NUL characters. */
int
lca_json_string(json_object *in, const char *key, const char **out,
    struct lca_err *e)
{
	json_object *v = NULL;
	const char *s;

	*out = NULL;
	if (!json_object_object_get_ex(in, key, &v) || v == NULL)
		return lca_fail(e, 422, "%s is required", key);
	if (!json_object_is_type(v, json_type_string))
		return lca_fail(e, 422, "%s must be a string", key);
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return lca_fail(e, 422, "%s contains a NUL character", key);
	*out = s;
	return 0;
}

/* Adds val under key, taking it; fails on a NULL val (no memory). */
int
lca_json_add(json_object *o, const char *key, json_object *val)
{
	if (val == NULL)
		return -1;
	if (json_object_object_add(o, key, val) != 0) {
		json_object_put(val);
		return -1;
	}
	return 0;
}

/*
 * Standard base64 (RFC 4648 4), line breaks allowed; decoded by
 * libcrypto. The alphabet check only keeps the decoder from stopping
 * early at a '-', its PEM end marker.
 */
int
lca_b64_decode(const char *s, const char *what, unsigned char **out,
    size_t *outlen, struct lca_err *e)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n";
	EVP_ENCODE_CTX *ctx = NULL;
	unsigned char *buf = NULL;
	size_t len = strlen(s);
	int n = 0, fin = 0, r = -1;

	*out = NULL;
	*outlen = 0;
	if (len == 0) {
		lca_fail(e, 422, "%s is empty", what);
		goto out;
	}
	if (strspn(s, alphabet) != len || len > INT_MAX) {
		lca_fail(e, 422, "%s is not valid base64", what);
		goto out;
	}
	if ((buf = malloc(len / 4 * 3 + 80)) == NULL ||
	    (ctx = EVP_ENCODE_CTX_new()) == NULL) {
		lca_fail(e, 500, "out of memory");
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, buf, &n, (const unsigned char *)s,
	    (int)len) < 0 || EVP_DecodeFinal(ctx, buf + n, &fin) < 0) {
		lca_fail(e, 422, "%s is not valid base64", what);
		goto out;
	}
	if (n + fin == 0) {
		lca_fail(e, 422, "%s is empty", what);
		goto out;
	}
	*out = buf;
	*outlen = (size_t)(n + fin);
	buf = NULL;
	r = 0;
 out:
	EVP_ENCODE_CTX_free(ctx);
	free(buf);
	return r;
}

json_object *
lca_b64_json(const unsigned char *der, int len)
{
	json_object *o;
	char *buf;
	int n;

	if (len <= 0 || (buf = malloc(4 * (((size_t)len + 2) / 3) + 1)) ==
	    NULL)
		return NULL;
	n = EVP_EncodeBlock((unsigned char *)buf, der, len);
	o = json_object_new_string_len(buf, n);
	free(buf);
	return o;
}
