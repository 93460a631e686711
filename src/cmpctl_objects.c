/*
 * cmpctl_objects.c - connectors, authorities and RA Profiles (below their
 * authority), with the CMP protocol of an RA Profile.
 */
#include "config.h"

#include <string.h>

#include <json-c/json.h>

#include "cmpctl.h"

/* connector and authority: the same five commands */
static int
ctl_plain_obj(struct ctl *x, const struct ctl_obj *o, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "list") == 0 && argc == 2)
		return ctl_do(x, "GET", o->list, NULL);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "");
	if (strcmp(sub, "create") == 0 && argc >= 3)
		return ctl_obj_create(x, o->list, argc - 2, argv + 2);
	if (strcmp(sub, "edit") == 0 && argc >= 4)
		return ctl_obj_edit(x, o, argv[2], argc - 3, argv + 3);
	if (strcmp(sub, "delete") == 0 && argc >= 3)
		return ctl_obj_each(x, o, "DELETE", "", argc - 2, argv + 2);
	return CTL_USAGE;
}

int
cmd_connector(struct ctl *x, int argc, char **argv)
{
	return ctl_plain_obj(x, &ctl_obj_connector, argc, argv);
}

int
cmd_authority(struct ctl *x, int argc, char **argv)
{
	return ctl_plain_obj(x, &ctl_obj_authority, argc, argv);
}

int
cmd_raprofile(struct ctl *x, int argc, char **argv)
{
	const struct ctl_obj *o = &ctl_obj_raprofile;
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	char cpath[CTL_PATH_MAX], cuuid[CMPD_UUID_LEN + 1];
	const char *sub = argc > 1 ? argv[1] : "";
	json_object *body = NULL;
	int r = CTL_FAIL;

	if (strcmp(sub, "list") == 0 && argc == 2)
		return ctl_do(x, "GET", o->list, NULL);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "");
	if (strcmp(sub, "cmp-show") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "/protocols/cmp");
	if (strcmp(sub, "create") == 0 && argc >= 4) {
		if (ctl_item(x, &ctl_obj_authority, argv[2], path, sizeof(path),
		    uuid) != 0 ||
		    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
		    "/raProfiles") != 0)
			return CTL_FAIL;
		return ctl_obj_create(x, path, argc - 3, argv + 3);
	}
	if (strcmp(sub, "edit") == 0 && argc >= 4)
		return ctl_obj_edit(x, o, argv[2], argc - 3, argv + 3);
	if ((strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0) &&
	    argc >= 3)
		return ctl_obj_each(x, o, "PATCH", strcmp(sub, "enable") == 0 ?
		    "/enable" : "/disable", argc - 2, argv + 2);
	if (strcmp(sub, "delete") == 0 && argc >= 3)
		return ctl_obj_each(x, o, "DELETE", "", argc - 2, argv + 2);
	if (strcmp(sub, "cmp-deactivate") == 0 && argc == 3)
		return ctl_obj_each(x, o, "PATCH", "/protocols/cmp/deactivate",
		    1, argv + 2);
	if (strcmp(sub, "cmp-activate") != 0 || argc < 4)
		return CTL_USAGE;
	if (ctl_item(x, o, argv[2], path, sizeof(path), uuid) != 0 ||
	    ctl_item(x, &ctl_obj_profile, argv[3], cpath, sizeof(cpath),
	    cuuid) != 0 ||
	    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
	    "/protocols/cmp/activate/%s", cuuid) != 0)
		return CTL_FAIL;
	/* the body is optional */
	if (argc > 4 && ((body = json_object_new_object()) == NULL ||
	    ctl_fields(x, argc - 4, argv + 4, body) != 0))
		goto out;
	r = ctl_do(x, "PATCH", path, body);
 out:
	api_json_free(body);
	return r;
}
