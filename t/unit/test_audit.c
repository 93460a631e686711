/*
 * audit.c: the detail an audit row keeps. One over the cap keeps its
 * short members as they are and stands in for each long one with its
 * length and SHA-256, so that a member padded past the cap does not
 * hide what the others say; a detail that is still too long, or no
 * object, is the stand-in of all of it. db_run() is this file's: it
 * keeps the detail the row would have had.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>

#include "api.h"
#include "tap.h"

static char *row_detail;	/* the last row's detail, or NULL */
static int refuse;		/* db_run fails */

int
db_run(const char *sql, const struct db_arg *a, size_t nargs,
    struct db_col *cols, size_t ncols, unsigned long long *affected)
{
	(void)sql;
	(void)cols;
	(void)ncols;
	(void)affected;
	free(row_detail);
	row_detail = NULL;
	if (nargs == 6 && a[5].type == DB_STR)
		row_detail = strndup(a[5].p, a[5].len);
	return refuse ? DB_ERR : DB_OK;
}

/* The stand-in of o's text, as the row should have it, into want. */
static void
stand_in(json_object *o, char *want, size_t n)
{
	const char *t = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	unsigned char md[32];
	char hex[65];

	EVP_Digest(t, strlen(t), md, NULL, EVP_sha256(), NULL);
	util_hex(md, sizeof(md), hex, sizeof(hex));
	snprintf(want, n, "{\"truncated\":true,\"bytes\":%zu,"
	    "\"sha256\":\"%s\"}", strlen(t), hex);
}

/* d, written: the row's detail is the stand-in of all of it. */
static void
written_whole(json_object *d, const char *desc)
{
	char want[256];

	stand_in(d, want, sizeof(want));
	ok(audit_write("apiKey:t", "update", "cmpProfile", "u", d) == 0,
	    "%s: written", desc);
	is_str(row_detail != NULL ? row_detail : "", want,
	    "... as the stand-in of all of it");
	json_object_put(d);
}

/* A member's value in the kept detail, as JSON text ("" if none). */
static const char *
member(json_object *d, const char *k)
{
	json_object *v;

	if (d == NULL || !json_object_object_get_ex(d, k, &v))
		return "";
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

int
main(void)
{
	json_object *d, *perms, *kept, *big = NULL;
	char want[256];
	int i;

	/* a short detail: as it is */
	d = json_object_new_object();
	json_object_object_add(d, "subject", json_object_new_string("CN=ra"));
	ok(audit_write("apiKey:t", "addRaCertificate", "cmpProfile", "u", d) ==
	    0 && row_detail != NULL, "a short detail is written");
	is_str(row_detail, "{\"subject\":\"CN=ra\"}", "... as it is");
	json_object_put(d);

	/* one member padded past the cap: the others kept */
	d = json_object_new_object();
	perms = json_object_new_array();
	json_object_array_add(perms, json_object_new_string("raVerified"));
	for (i = 0; i < 9000; i++)
		json_object_array_add(perms, json_object_new_string("enroll"));
	json_object_object_add(d, "subject",
	    json_object_new_string("/CN=shadow RA"));
	json_object_object_add(d, "fingerprint",
	    json_object_new_string("ab12"));
	json_object_object_add(d, "permissions", perms);
	stand_in(perms, want, sizeof(want));
	ok(audit_write("apiKey:t", "addRaCertificate", "cmpProfile", "u", d) ==
	    0 && row_detail != NULL, "a detail over the cap is written");
	ok(row_detail != NULL && strlen(row_detail) < AUDIT_DETAIL_MAX,
	    "... under the cap (%zu bytes)", row_detail != NULL ?
	    strlen(row_detail) : 0);
	kept = row_detail != NULL ? json_tokener_parse(row_detail) : NULL;
	is_str(member(kept, "subject"), "\"\\/CN=shadow RA\"",
	    "... the subject kept");
	is_str(member(kept, "fingerprint"), "\"ab12\"",
	    "... the fingerprint kept");
	is_str(member(kept, "permissions"), want,
	    "... the long member as its length and SHA-256");
	json_object_put(kept);
	json_object_put(d);

	/* many short members, too long together: the stand-in of all */
	d = json_object_new_object();
	for (i = 0; i < 100; i++) {
		char k[16], v[901];

		snprintf(k, sizeof(k), "m%d", i);
		memset(v, 'x', 900);
		v[900] = '\0';
		json_object_object_add(d, k, json_object_new_string(v));
	}
	written_whole(d, "100 members of 900 bytes");

	/* no object: the stand-in of all */
	big = json_object_new_array();
	for (i = 0; i < 12000; i++)
		json_object_array_add(big, json_object_new_string("enroll"));
	written_whole(big, "a long array, no object");

	/* a row that cannot be written: the change is to be undone */
	refuse = 1;
	(void)audit_take_failure();
	d = json_object_new_object();
	ok(audit_write("apiKey:t", "update", "cmpProfile", "u", d) != 0,
	    "a row the database refuses: audit_write fails");
	ok(audit_take_failure() == 1, "... and the failure is kept for "
	    "api_dispatch");
	json_object_put(d);
	free(row_detail);
	return done_testing();
}
