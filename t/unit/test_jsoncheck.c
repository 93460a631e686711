/*
 * jsoncheck.c and jsoncheck_parse_why(): duplicate member names,
 * unpaired surrogate escapes and tokens RFC 8259 does not have are found
 * wherever they are, and nothing else is refused; text that is not UTF-8 is refused by json-c's flag.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "cmpd.h"
#include "conn.h"
#include "tap.h"
#include "jsoncheck.h"

static int
check(const char *s, char *why, size_t n)
{
	return jsoncheck_text(s, strlen(s), 16, why, n);
}

static int
parse(const char *s, size_t len, char *why, size_t n)
{
	json_object *o = NULL;
	int r = jsoncheck_parse_why(s, len, 16, &o, why, n);

	json_object_put(o);
	return r;
}

int
main(void)
{
	static const char *const good[] = {
		"{}", "[]", "\"x\"", "1", "{\"a\":1,\"b\":2}",
		"{\"a\":{\"a\":1},\"b\":{\"a\":2}}",	/* same name, other objects */
		"[{\"a\":1},{\"a\":1}]",		/* array elements */
		"{\"a\":\"a\",\"b\":\"a\"}",		/* values may repeat */
		"{\"a\":[\"b\",\"b\"],\"b\":1}",	/* strings that are not names */
		"{\"k\\\"\":1,\"k\":2}",		/* an escaped quote in a name */
		"{\"a\\\\\":1,\"a\":2}",		/* an escaped backslash */
		"\"\\ud83d\\ude00\"",			/* a surrogate pair */
		"{\"\\ud83d\\ude00\":1,\"\\ud83d\\ude01\":2}",
		"\"\\u00e9\\uffff\\u0041\"",
		"{\"a\" : 1 , \"b\"\t:\r2}",
		"\"\\\\ud800\"",			/* a backslash, then text */
		"[true,false,null]", "0", "-0", "[-0.5e+10,1E5,2e-3,10.25]",
		" { \"a\" : [ 1 , 2 ] } ",
		"\"'NaN' {} [] 1.\"",			/* anything in a string */
	};
	static const struct {
		const char *s;
		int want;
		const char *why;
	} bad[] = {
		{ "{\"a\":1,\"a\":2}", JSONCHECK_DUP_MEMBER,
		    "names member \"a\" twice (byte 7)" },
		{ "{\"a\":1,\"\\u0061\":2}", JSONCHECK_DUP_MEMBER,
		    "names member \"a\" twice (byte 7)" },
		{ "[1,{\"x\":{\"y\":1,\"y\" :2}}]", JSONCHECK_DUP_MEMBER,
		    "names member \"y\" twice (byte 15)" },
		{ "{\"a\":{},\"b\":[],\"a\":null}", JSONCHECK_DUP_MEMBER,
		    "names member \"a\" twice (byte 15)" },
		{ "\"\\ud800\"", JSONCHECK_SURROGATE,
		    "holds a \\u escape that is half a surrogate pair (byte 1)" },
		{ "\"\\udc00\"", JSONCHECK_SURROGATE,
		    "holds a \\u escape that is half a surrogate pair (byte 1)" },
		{ "{\"n\":\"ab\\uD800x\"}", JSONCHECK_SURROGATE,
		    "holds a \\u escape that is half a surrogate pair (byte 8)" },
		{ "\"\\ud800\\u0041\"", JSONCHECK_SURROGATE,
		    "holds a \\u escape that is half a surrogate pair (byte 1)" },
		{ "\"\\ud800\\ud800\"", JSONCHECK_SURROGATE,
		    "holds a \\u escape that is half a surrogate pair (byte 1)" },
		{ "{\"\\udfff\":1}", JSONCHECK_SURROGATE,
		    "holds a \\u escape that is half a surrogate pair (byte 2)" },
		/* what json-c's strict mode takes and RFC 8259 does not */
		{ "{\"role\":\"read\",'role':\"admin\"}", JSONCHECK_TOKEN,
		    "holds 'role', which is not JSON (byte 15)" },
		{ "{'a\"':1,\"x\":{\"a\":1,\"a\":2}}", JSONCHECK_TOKEN,
		    "holds 'a, which is not JSON (byte 1)" },
		{ "[NaN]", JSONCHECK_TOKEN,
		    "holds NaN, which is not JSON (byte 1)" },
		{ "{\"a\":Infinity}", JSONCHECK_TOKEN,
		    "holds Infinity, which is not JSON (byte 5)" },
		{ "[-Infinity]", JSONCHECK_TOKEN,
		    "holds -Infinity, which is not JSON (byte 1)" },
		{ "[1.]", JSONCHECK_TOKEN,
		    "holds 1., which is not JSON (byte 1)" },
	};
	/* refused here too, should json-c ever take them */
	static const char *const tokens[] = {
		"[.5]", "[01]", "[+1]", "[1e]", "[1e+]", "[tru]", "[nulll]",
		"[0x10]", "['x']", "[-]", "[1.5.5]",
	};
	char why[160];
	size_t i;

	for (i = 0; i < NITEMS(good); i++)
		is_int(check(good[i], why, sizeof(why)), JSONCHECK_OK,
		    "accepted: %s", good[i]);
	for (i = 0; i < NITEMS(bad); i++) {
		is_int(check(bad[i].s, why, sizeof(why)), bad[i].want,
		    "refused: %s", bad[i].s);
		is_str(why, bad[i].why, "why: %s", bad[i].s);
		is_int(parse(bad[i].s, strlen(bad[i].s), why, sizeof(why)),
		    PARSE_BAD, "jsoncheck_parse_why refuses %s", bad[i].s);
		is_str(why, bad[i].why, "with the same text");
	}
	for (i = 0; i < NITEMS(tokens); i++)
		is_int(check(tokens[i], why, sizeof(why)), JSONCHECK_TOKEN,
		    "refused: %s", tokens[i]);
	is_int(check("{\"a\":1,\"a\":2}", NULL, 0), JSONCHECK_DUP_MEMBER,
	    "why may be NULL");

	/* RFC 8259 8.1: UTF-8 only */
	is_int(parse("{\"a\":\"\xc3\xa9\"}", 10, why, sizeof(why)), PARSE_OK,
	    "UTF-8 accepted");
	is_int(parse("{\"a\":\"\xc3(\"}", 9, why, sizeof(why)), PARSE_BAD,
	    "broken UTF-8 refused");
	is_str(why, "is not UTF-8 (byte 7)", "with its position");
	is_int(parse("{\"a\":\"\xff\"}", 8, why, sizeof(why)), PARSE_BAD,
	    "byte 0xff refused");
	is_int(parse("[1] x", 5, why, sizeof(why)), PARSE_BAD,
	    "trailing text still refused");
	is_str(why, "is not one JSON value", "as not one JSON value");
	is_int(parse("{\"a\":1}", 7, why, sizeof(why)), PARSE_OK,
	    "plain object accepted");
	return done_testing();
}
