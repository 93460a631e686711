/*
 * cmp_error.c: every failure has a definition, and doc/errors.md lists
 * each one with the same failInfo, so the operator's table cannot drift.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpd.h"
#include "tap.h"

int
main(void)
{
	char path[4096], text[CMP_TEXT_MAX], want[256];
	const char *top = getenv("top_srcdir");
	unsigned char *doc = NULL;
	size_t len;
	int f;

	snprintf(path, sizeof(path), "%s/doc/errors.md", top ? top : ".");
	ok(util_read_file(path, 1024 * 1024, &doc, &len) == 0,
	    "doc/errors.md readable");
	for (f = 0; f < CMPF__COUNT; f++) {
		const struct cmp_fail_def *d = cmp_error_def((enum cmp_fail)f);

		ok(d->fail == (enum cmp_fail)f, "%s at its index", d->name);
		if (f == CMPF_OK)
			continue;
		ok(d->status == CMPD_PKISTATUS_REJECTION && d->failbit >= 0 &&
		    d->failbit <= CMPD_FAIL_DUPLICATECERTREQ &&
		    (d->http == 200 || d->http == 400),
		    "%s: rejection, a failInfo bit, HTTP 200/400", d->name);
		snprintf(want, sizeof(want), "| %d | `%s` | %s |", f, d->name,
		    cmp_asn1_failinfo_name(d->failbit));
		ok(doc != NULL && strstr((char *)doc, want) != NULL,
		    "doc/errors.md has \"%s\"", want);
	}
	cmp_error_format(CMPF_CMP_PROFILE_NOT_FOUND, text, sizeof(text), "x",
	    NULL);
	is_str(text, "PN=x | Requested CMP Profile not found", "format one arg");
	cmp_error_format(CMPF_PROTECTION_MISMATCH, text, sizeof(text), "p",
	    "signature");
	is_str(text, "PN=p | message protection does not match the profile's "
	    "request protection method (signature)", "format two args");
	cmp_error_format(CMPF_CMP_PROFILE_NOT_FOUND, text, sizeof(text), "%s%n",
	    NULL);
	is_str(text, "PN=%s%n | Requested CMP Profile not found",
	    "arguments are not interpreted");
	cmp_error_format(CMPF_CMP_PROFILE_NOT_FOUND, text, 8, "abcdefgh", NULL);
	is_str(text, "PN=abcd", "truncated to the buffer");
	is_int(cmp_error_def((enum cmp_fail)9999)->fail, CMPF_INTERNAL,
	    "out of range maps to internal");
	free(doc);
	return done_testing();
}
