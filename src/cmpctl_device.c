/*
 * cmpctl_device.c - a CMP Profile's device entries (per-device shared
 * secrets): list (a page at a time), show, add, update, unlock, delete,
 * and a CSV import in one call. A secret comes from a file or standard
 * input, never the command line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "cmpctl.h"

/* "/cmpProfiles/UUID/devices" of the profile P. */
static int
device_path(struct ctl *x, const char *p, char *path, size_t n)
{
	char uuid[CMPD_UUID_LEN + 1];
	size_t len;

	if (ctl_item(x, &ctl_obj_profile, p, path, n, uuid) != 0)
		return -1;
	len = strlen(path);
	return ctl_fmt(path + len, n - len, "/devices");
}

static int
device_import(struct ctl *x, const char *path, const char *file)
{
	char url[CTL_PATH_MAX], *csv = NULL;
	json_object *body = NULL;
	size_t len;
	int r = CTL_FAIL;

	if (ctl_fmt(url, sizeof(url), "%s/import", path) != 0 ||
	    ctl_read(x, file, &csv, &len) != 0)
		goto out;
	if ((body = json_object_new_object()) == NULL ||
	    json_object_object_add(body, "csv",
	    json_object_new_string_len(csv, (int)len)) != 0)
		goto out;
	r = ctl_do(x, "POST", url, body);
 out:
	api_json_free(body);
	ctl_buf_free(csv);
	return r;
}

/*
 * device list P [state=S] [after=REF] [limit=N]: the words are the query,
 * in any order, each at most once; the API checks their values.
 */
static int
device_list(struct ctl *x, const char *path, int argc, char **argv)
{
	static const char *const keys[] = { "state=", "after=", "limit=" };
	char url[CTL_PATH_MAX], *v;
	size_t len;
	int i, k, r, seen = 0;

	if (ctl_fmt(url, sizeof(url), "%s", path) != 0)
		return CTL_FAIL;
	for (i = 0; i < argc; i++) {
		for (k = 0; k < (int)NITEMS(keys); k++)
			if (strncmp(argv[i], keys[k], strlen(keys[k])) == 0)
				break;
		if (k == (int)NITEMS(keys) || (seen & (1 << k)))
			return CTL_USAGE;
		seen |= 1 << k;
		len = strlen(url);
		/* the value URL-encoded: "limit=1&x" stays one value */
		if ((v = curl_easy_escape(NULL, argv[i] + strlen(keys[k]),
		    0)) == NULL)
			return CTL_FAIL;
		r = ctl_fmt(url + len, sizeof(url) - len, "%s%s%s",
		    i == 0 ? "?" : "&", keys[k], v);
		curl_free(v);
		if (r != 0)
			return CTL_FAIL;
	}
	return ctl_do(x, "GET", url, NULL);
}

int
cmd_device(struct ctl *x, int argc, char **argv)
{
	char path[CTL_PATH_MAX], url[CTL_PATH_MAX];
	json_object *body = NULL;
	const char *sub;
	int i, r;

	if (argc < 3)
		return CTL_USAGE;
	sub = argv[1];
	if (device_path(x, argv[2], path, sizeof(path)) != 0)
		return CTL_FAIL;
	if (strcmp(sub, "list") == 0)
		return device_list(x, path, argc - 3, argv + 3);
	if (strcmp(sub, "show") == 0) {
		if (argc != 4 || ctl_fmt(url, sizeof(url), "%s/%s", path,
		    argv[3]) != 0)
			return argc != 4 ? CTL_USAGE : CTL_FAIL;
		return ctl_do(x, "GET", url, NULL);
	}
	if (strcmp(sub, "delete") == 0) {
		if (argc < 4)
			return CTL_USAGE;
		for (r = CTL_OK, i = 3; i < argc; i++) {
			if (ctl_fmt(url, sizeof(url), "%s/%s", path,
			    argv[i]) != 0 || ctl_do(x, "DELETE", url, NULL) !=
			    CTL_OK)
				r = CTL_FAIL;
		}
		return r;
	}
	if (strcmp(sub, "import") == 0) {
		if (argc != 4)
			return CTL_USAGE;
		return device_import(x, path, argv[3]);
	}
	if (strcmp(sub, "update") == 0 || strcmp(sub, "unlock") == 0) {
		if (argc < 4 || (strcmp(sub, "unlock") == 0 && argc != 4) ||
		    (strcmp(sub, "update") == 0 && argc < 5))
			return CTL_USAGE;
		if (ctl_fmt(url, sizeof(url), "%s/%s", path, argv[3]) != 0 ||
		    (body = json_object_new_object()) == NULL)
			return CTL_FAIL;
		if (strcmp(sub, "unlock") == 0)
			r = json_object_object_add(body, "unlock",
			    json_object_new_boolean(1)) == 0 ? 0 : -1;
		else
			r = ctl_fields(x, argc - 4, argv + 4, body);
		r = r == 0 ? ctl_do(x, "PATCH", url, body) : CTL_FAIL;
		api_json_free(body);
		return r;
	}
	if (strcmp(sub, "add") == 0) {
		if ((body = json_object_new_object()) == NULL ||
		    ctl_fields(x, argc - 3, argv + 3, body) != 0) {
			api_json_free(body);
			return CTL_FAIL;
		}
		r = ctl_do(x, "POST", path, body);
		api_json_free(body);
		return r;
	}
	return CTL_USAGE;
}
