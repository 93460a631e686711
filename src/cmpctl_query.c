/*
 * cmpctl_query.c - what cmpd has recorded, read only: certificates, CMP
 * transactions, the audit log.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "cmpctl.h"

/*
 * GET of a collection with key=value arguments as its query, or of one
 * member when the only argument is an id.
 */
static int
ctl_query(struct ctl *x, const char *coll, int with_id, int argc,
    char **argv)
{
	char path[CTL_PATH_MAX], *esc;
	const char *eq;
	size_t len;
	int i, r;

	if (ctl_fmt(path, sizeof(path), "%s", coll) != 0)
		return CTL_FAIL;
	if (with_id && argc == 2 && strchr(argv[1], '=') == NULL) {
		if (argv[1][0] == '\0' || strcspn(argv[1], "/?&#%") !=
		    strlen(argv[1]))
			return CTL_USAGE;
		if (ctl_fmt(path, sizeof(path), "%s/%s", coll, argv[1]) != 0)
			return CTL_FAIL;
		return ctl_do(x, "GET", path, NULL);
	}
	for (i = 1; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i] ||
		    strspn(argv[i], "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		    (size_t)(eq - argv[i])) {
			fprintf(stderr, "cmpctl: %s: not key=value\n",
			    argv[i]);
			return CTL_USAGE;
		}
		if ((esc = curl_easy_escape(NULL, eq + 1, 0)) == NULL)
			return CTL_FAIL;
		len = strlen(path);
		r = ctl_fmt(path + len, sizeof(path) - len, "%c%.*s=%s",
		    i == 1 ? '?' : '&', (int)(eq - argv[i]), argv[i], esc);
		curl_free(esc);
		if (r != 0)
			return CTL_FAIL;
	}
	return ctl_do(x, "GET", path, NULL);
}

int
cmd_certificates(struct ctl *x, int argc, char **argv)
{
	return ctl_query(x, "/certificates", 1, argc, argv);
}

int
cmd_transactions(struct ctl *x, int argc, char **argv)
{
	return ctl_query(x, "/cmpTransactions", 1, argc, argv);
}

int
cmd_audit(struct ctl *x, int argc, char **argv)
{
	return ctl_query(x, "/auditLogs", 0, argc, argv);
}
