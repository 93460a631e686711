/*
 * fuzz_api.c - a management API request as http.c hands it to api.c:
 * the JSON body parsed by jsoncheck_parse(), then api_dispatch() with the
 * admin role, against double_db.c: a lookup by anything but a name finds
 * a row of plausible values (fuzz_db_guess), a name is free, writes
 * succeed. A '!' before the method empties the database.
 *
 * Input: "[!]METHOD /path[?query]\n" (the path below /api/v1), then the
 * body.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "conn.h"
#include "fuzz.h"
#include "jsoncheck.h"

#define FUZZ_LINE_MAX	1024

static struct conf conf;
static int empty;

static int
row_any(const char *sql, const struct db_arg *a, size_t na, struct db_col *c,
    size_t nc, unsigned long long *aff)
{
	if (nc == 0)
		return DB_OK;
	if (empty || strstr(sql, "name = ?") != NULL)
		return DB_NOTFOUND;
	return fuzz_db_guess(sql, a, na, c, nc, aff);
}

static const struct fuzz_db_rule rules[] = {
	{ "", row_any },
};

static void
fuzz_api_done(void)
{
	conf_free(&conf);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	conf_init(&conf);
	if ((conf.server_name = strdup("CN=cmpd")) == NULL)
		abort();
	fuzz_secret_init(&conf);
	fuzz_db_rules(rules, NITEMS(rules));
	atexit(fuzz_api_done);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct api_call c;
	char line[FUZZ_LINE_MAX], *sp, *q, *body = NULL;
	const uint8_t *nl;
	size_t n, blen;
	int rc;

	if ((nl = memchr(data, '\n', size)) == NULL ||
	    (n = (size_t)(nl - data)) >= sizeof(line))
		return 0;
	memcpy(line, data, n);
	line[n] = '\0';
	if (strlen(line) != n || (sp = strchr(line, ' ')) == NULL)
		return 0;
	*sp++ = '\0';
	memset(&c, 0, sizeof(c));
	c.conf = &conf;
	empty = line[0] == '!';
	c.method = line + empty;
	if ((q = strchr(sp, '?')) != NULL)
		*q++ = '\0';
	c.path = sp;
	c.query = q;
	c.base_url = "https://cmpd.example";
	snprintf(c.actor, sizeof(c.actor), "fuzz");
	c.role = API_ROLE_ADMIN;
	if (!api_path_known(c.path)) {
		api_fail(&c, 404, "no such resource");
		goto answer;
	}
	blen = size - n - 1;
	if (blen > 0) {
		/* http.c's reading: a NUL after the body */
		if ((body = malloc(blen + 1)) == NULL)
			abort();
		memcpy(body, nl + 1, blen);
		body[blen] = '\0';
		if ((rc = jsoncheck_parse(body, blen, API_JSON_DEPTH,
		    &c.body)) != PARSE_OK) {
			api_fail(&c, rc == PARSE_ERR ? 500 : 400, "the body "
			    "is not one JSON value");
			goto answer;
		}
	}
	api_dispatch(&c);
 answer:
	if (c.status < 100 || c.status > 599)
		abort();
	if (c.answer != NULL &&
	    json_object_to_json_string_ext(c.answer, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE) == NULL)
		abort();
	log_debug("%s %s: %d %s", c.method, c.path, c.status,
	    c.answer != NULL ? json_object_to_json_string(c.answer) : "");
	if (fuzz_db_in_tx() != 0)
		abort();	/* a change left its transaction open */
	api_json_free(c.body);
	api_call_free(&c);
	free(body);
	return 0;
}
