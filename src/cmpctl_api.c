/*
 * cmpctl_api.c - the management API itself: its routes, and one call of
 * any route with a JSON body.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cmpctl.h"
#include "jsoncheck.h"

int
cmd_routes(struct ctl *x, int argc, char **argv)
{
	(void)x;
	(void)argv;
	if (argc != 1)
		return CTL_USAGE;
	api_routes_print();
	return CTL_OK;
}

/* Whether a JSON body holds a member that is a secret, at any depth. */
static int
ctl_has_secret(json_object *o)
{
	size_t i, n;

	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (ctl_has_secret(json_object_array_get_idx(o, i)))
				return 1;
		return 0;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, k, v) {
		if (ctl_is_secret_key(k) || ctl_has_secret(v))
			return 1;
	}
	return 0;
}

int
cmd_api(struct ctl *x, int argc, char **argv)
{
	char method[8], *buf = NULL, why[160];
	const char *path, *text;
	json_object *body = NULL;
	size_t i, len;
	int r = CTL_FAIL;

	if (argc != 3 && argc != 4)
		return CTL_USAGE;
	len = strlen(argv[1]);
	if (len == 0 || len >= sizeof(method))
		return CTL_USAGE;
	for (i = 0; i <= len; i++)
		method[i] = (char)toupper((unsigned char)argv[1][i]);
	path = argv[2];
	if (strncmp(path, "/api/v1/", 8) == 0)
		path += 7;
	if (*path != '/') {
		fprintf(stderr, "cmpctl: the path starts with /\n");
		return CTL_USAGE;
	}
	if (argc == 4) {
		text = argv[3];
		if (strcmp(text, "-") == 0 || *text == '@') {
			if (ctl_read(x, *text == '@' ? text + 1 : text, &buf,
			    &len) != 0)
				goto out;
			text = buf;
		} else {
			len = strlen(text);
		}
		if (jsoncheck_parse_why(text, len, API_JSON_DEPTH, &body, why,
		    sizeof(why)) != PARSE_OK) {
			fprintf(stderr, "cmpctl: the body %s\n", why);
			goto out;
		}
		/* as for fields: secrets never on the command line */
		if (buf == NULL && ctl_has_secret(body)) {
			fprintf(stderr, "cmpctl: a body with secrets comes "
			    "from a file (@FILE) or standard input (-): the "
			    "command line is readable in /proc/PID/cmdline\n");
			goto out;
		}
	}
	r = ctl_do(x, method, path, body);
 out:
	api_json_free(body);
	ctl_buf_free(buf);
	return r;
}
