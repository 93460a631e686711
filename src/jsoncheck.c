/*
 * jsoncheck.c - JSON from outside (management API bodies, connector
 * replies, cmp-localca's requests): parsed by json-c with its strict
 * flags, then checked for two things json-c accepts and cmpd must
 * refuse, because what json-c hands over then differs from what was sent:
 * - a member name twice in one object (RFC 8259 4): json-c keeps the
 *   last value, so a check of one value and the use of another can part;
 * - a \uD800..\uDFFF escape that is not half of a surrogate pair
 *   (RFC 8259 7, 8.2): json-c stores U+FFFD instead;
 * - what json-c's strict mode still takes outside strings and RFC 8259
 *   does not: 'single-quoted' names and strings (whose duplicates this
 *   check would not see), NaN, Infinity, 1. and the like (which json-c
 *   writes back as text that is not JSON). Every token outside a string
 *   must be a structural character, whitespace, true, false, null or a
 *   number of RFC 8259 6.
 * This is not a parser: it runs over text json-c has parsed already, so
 * it only follows where strings start and end and which containers are
 * open. Member names are decoded by json-c too, so "a" and "\u0061" are
 * the same name.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "cmpd.h"
#include "jsoncheck.h"

/* The value of 4 hex digits at s, or -1. */
static long
jsoncheck_hex4(const char *s)
{
	long v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A \u escape at s[i] (len bytes in all): its value, or -1. */
static long
jsoncheck_escape(const char *s, size_t len, size_t i)
{
	if (i + 6 > len || s[i] != '\\' || s[i + 1] != 'u')
		return -1;
	return jsoncheck_hex4(s + i + 2);
}

/* Is s[0..n) true, false, null or a number (RFC 8259 3, 6)? */
static int
jsoncheck_scalar(const char *s, size_t n)
{
	size_t i = 0, d;

	if ((n == 4 && memcmp(s, "true", 4) == 0) ||
	    (n == 5 && memcmp(s, "false", 5) == 0) ||
	    (n == 4 && memcmp(s, "null", 4) == 0))
		return 1;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return 0;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == n;
}

/* A member name for a message: printable ASCII, at most 64 bytes. */
static void
jsoncheck_name(char *out, size_t n, const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i < 64 && i + 1 < n; i++)
		out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	out[i] = '\0';
}

/*
 * Checks len bytes of JSON text that json-c parsed with at most depth
 * levels. JSONCHECK_OK, JSONCHECK_DUP_MEMBER, JSONCHECK_SURROGATE or
 * JSONCHECK_TOKEN with why (may be NULL) saying where, JSONCHECK_ERR when
 * out of memory.
 */
int
jsoncheck_text(const char *s, size_t len, int depth, char *why,
    size_t whylen)
{
	json_object **sets = NULL, *key = NULL;
	struct json_tokener *tok = NULL;
	char name[65];
	size_t i = 0, j, start, cap = depth > 0 ? (size_t)depth + 1 : 1;
	size_t top = 0;		/* open containers */
	long v;
	int r = JSONCHECK_ERR;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	/* One member-name set per open object, NULL for an array. */
	if ((sets = calloc(cap, sizeof(*sets))) == NULL ||
	    (tok = json_tokener_new_ex(1)) == NULL)
		goto out;
	while (i < len) {
		switch (s[i]) {
		case '{':
		case '[':
			if (top == cap)	/* deeper than json-c allowed */
				goto out;
			if (s[i] == '{' &&
			    (sets[top] = json_object_new_object()) == NULL)
				goto out;
			top++;
			i++;
			continue;
		case '}':
		case ']':
			if (top > 0) {
				top--;
				json_object_put(sets[top]);
				sets[top] = NULL;
			}
			i++;
			continue;
		case '"':
			break;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
		case ':':
		case ',':
			i++;
			continue;
		default:
			for (start = i; i < len && strchr("{}[]:,\" \t\r\n",
			    s[i]) == NULL; i++)
				;
			if (jsoncheck_scalar(s + start, i - start))
				continue;
			if (why != NULL) {
				jsoncheck_name(name, sizeof(name) < i - start +
				    1 ? sizeof(name) : i - start + 1, s + start);
				snprintf(why, whylen, "holds %s, which is not "
				    "JSON (byte %zu)", name, start);
			}
			r = JSONCHECK_TOKEN;
			goto out;
		}
		/* a string: find its end, look at each \u escape */
		start = i++;
		while (i < len && s[i] != '"') {
			if (s[i] != '\\') {
				i++;
				continue;
			}
			if (i + 1 < len && s[i + 1] != 'u') {
				i += 2;
				continue;
			}
			v = jsoncheck_escape(s, len, i);
			if (v >= 0xd800 && v <= 0xdbff) {
				v = jsoncheck_escape(s, len, i + 6);
				if (v >= 0xdc00 && v <= 0xdfff) {
					i += 12;
					continue;
				}
			} else if (v >= 0 && (v < 0xdc00 || v > 0xdfff)) {
				i += 6;
				continue;
			}
			if (why != NULL)
				snprintf(why, whylen, "holds a \\u escape that "
				    "is half a surrogate pair (byte %zu)", i);
			r = JSONCHECK_SURROGATE;
			goto out;
		}
		i++;
		/* a member name is a string followed by ':' */
		for (j = i; j < len && strchr(" \t\r\n", s[j]) != NULL; j++)
			;
		if (j >= len || s[j] != ':' || top == 0 || sets[top - 1] ==
		    NULL)
			continue;
		json_tokener_reset(tok);
		key = json_tokener_parse_ex(tok, s + start, (int)(i - start));
		if (key == NULL || !json_object_is_type(key, json_type_string))
			goto out;
		/* json-c keys are C strings: names that differ only after a
		 * U+0000 are one member to json-c, and so here. */
		if (json_object_object_get_ex(sets[top - 1],
		    json_object_get_string(key), NULL)) {
			if (why != NULL) {
				jsoncheck_name(name, sizeof(name),
				    json_object_get_string(key));
				snprintf(why, whylen, "names member \"%s\" twice "
				    "(byte %zu)", name, start);
			}
			r = JSONCHECK_DUP_MEMBER;
			goto out;
		}
		if (json_object_object_add(sets[top - 1],
		    json_object_get_string(key), NULL) != 0)
			goto out;
		json_object_put(key);
		key = NULL;
	}
	r = JSONCHECK_OK;
 out:
	json_object_put(key);
	if (sets != NULL)
		for (j = 0; j < cap; j++)
			json_object_put(sets[j]);
	free(sets);
	json_tokener_free(tok);
	return r;
}

/*
 * Parses len bytes of JSON; s[len] must be the NUL that ends the input.
 * The whole input must be one value: a NUL inside or anything but
 * whitespace after it is refused; so are text that is not UTF-8 (RFC 8259
 * 8.1), a member name twice in one object and an unpaired surrogate
 * escape (below). PARSE_OK with *out, PARSE_BAD with why (may be
 * NULL) saying what is wrong ("is not ..."), or PARSE_ERR.
 */
int
jsoncheck_parse_why(const char *s, size_t len, int depth, json_object **out,
    char *why, size_t whylen)
{
	struct json_tokener *tok = NULL;
	json_object *o = NULL;
	size_t end;
	int r = PARSE_ERR, c;

	*out = NULL;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "is not one JSON value");
	if (len >= INT_MAX) {
		r = PARSE_BAD;
		goto out;
	}
	if ((tok = json_tokener_new_ex(depth)) == NULL)
		goto out;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	/* With the NUL, a top-level number is complete too. */
	o = json_tokener_parse_ex(tok, s, (int)len + 1);
	r = PARSE_BAD;
	if (json_tokener_get_error(tok) == json_tokener_error_parse_utf8_string) {
		if (why != NULL)
			snprintf(why, whylen, "is not UTF-8 (byte %zu)",
			    json_tokener_get_parse_end(tok));
		goto out;
	}
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success)
		goto out;
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\r\n", s[end]) == NULL || s[end] == '\0')
			goto out;
	if ((c = jsoncheck_text(s, len, depth, why, whylen)) != JSONCHECK_OK) {
		r = c == JSONCHECK_ERR ? PARSE_ERR : PARSE_BAD;
		goto out;
	}
	*out = o;
	o = NULL;
	r = PARSE_OK;
 out:
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

int
jsoncheck_parse(const char *s, size_t len, int depth, json_object **out)
{
	return jsoncheck_parse_why(s, len, depth, out, NULL, 0);
}
