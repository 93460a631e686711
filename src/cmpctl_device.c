/*
 * cmpctl_device.c - a CMP Profile's device entries (per-device shared
 * secrets): list, show, add, delete, and a CSV import in one call. A
 * secret comes from a file or standard input, never the command line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

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
	if (strcmp(sub, "list") == 0) {
		if (argc > 4 || (argc == 4 && strncmp(argv[3], "state=", 6)))
			return CTL_USAGE;
		if (ctl_fmt(url, sizeof(url), "%s%s%s", path,
		    argc == 4 ? "?" : "", argc == 4 ? argv[3] : "") != 0)
			return CTL_FAIL;
		return ctl_do(x, "GET", url, NULL);
	}
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
