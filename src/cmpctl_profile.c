/*
 * cmpctl_profile.c - CMP Profiles: the object commands, the RA Profile
 * behind one, its signing credentials and trust anchors, forced deletion.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "cmpctl.h"

/*
 * Splits PEM text into its private key blocks and the others (the
 * certificates), for PUT signingCredentials.
 */
static int
ctl_pem_split(const char *pem, json_object *body)
{
	const char *p = pem, *b, *e, *end;
	char *keys = NULL, *certs = NULL, *dst;
	size_t cap = strlen(pem) + 1, nk = 0, nc = 0, *np;
	int r = -1;

	if ((keys = calloc(1, cap)) == NULL || (certs = calloc(1, cap)) ==
	    NULL)
		goto out;
	while ((b = strstr(p, "-----BEGIN ")) != NULL) {
		if ((e = strstr(b, "-----END ")) == NULL)
			break;
		end = e + strcspn(e, "\n");
		if (*end == '\n')
			end++;
		/* the label is on the BEGIN line */
		if (memmem(b, strcspn(b, "\n"), "PRIVATE KEY", 11) != NULL) {
			dst = keys;
			np = &nk;
		} else {
			dst = certs;
			np = &nc;
		}
		memcpy(dst + *np, b, (size_t)(end - b));
		*np += (size_t)(end - b);
		p = end;
	}
	if (nk == 0 || nc == 0) {
		fprintf(stderr, "cmpctl: the PEM holds no %s\n", nk == 0 ?
		    "private key" : "certificate");
		goto out;
	}
	if (json_object_object_add(body, "privateKey",
	    json_object_new_string_len(keys, (int)nk)) != 0 ||
	    json_object_object_add(body, "certificateChain",
	    json_object_new_string_len(certs, (int)nc)) != 0)
		goto out;
	r = 0;
 out:
	if (keys != NULL)
		OPENSSL_clear_free(keys, cap);
	free(certs);
	return r;
}

/* profile signing P FILE [FILE]: the files (or -) are concatenated. */
static int
profile_signing(struct ctl *x, int argc, char **argv)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	char *all = NULL, *buf = NULL;
	json_object *body = NULL;
	size_t len, n = 0;
	int i, r = CTL_FAIL;

	if (ctl_item(x, &ctl_obj_profile, argv[0], path, sizeof(path), uuid) != 0)
		return CTL_FAIL;
	if ((all = calloc(1, CTL_FILE_MAX + 1)) == NULL)
		goto out;
	for (i = 1; i < argc; i++) {
		if (ctl_read(x, argv[i], &buf, &len) != 0)
			goto out;
		if (len > CTL_FILE_MAX - n) {
			fprintf(stderr, "cmpctl: more than %d bytes of PEM\n",
			    CTL_FILE_MAX);
			goto out;
		}
		memcpy(all + n, buf, len);
		n += len;
		ctl_buf_free(buf);
		buf = NULL;
	}
	if ((body = json_object_new_object()) == NULL ||
	    ctl_pem_split(all, body) != 0 ||
	    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
	    "/signingCredentials") != 0)
		goto out;
	r = ctl_do(x, "PUT", path, body);
 out:
	api_json_free(body);
	ctl_buf_free(buf);
	ctl_buf_free(all);
	return r;
}

static int
profile_anchors(struct ctl *x, const char *p, const char *file)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1], *buf = NULL;
	json_object *body = NULL;
	size_t len;
	int r = CTL_FAIL;

	if (ctl_item(x, &ctl_obj_profile, p, path, sizeof(path), uuid) != 0 ||
	    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
	    "/trustAnchors") != 0 ||
	    ctl_read(x, file, &buf, &len) != 0)
		goto out;
	if ((body = json_object_new_object()) == NULL ||
	    json_object_object_add(body, "certificates",
	    json_object_new_string_len(buf, (int)len)) != 0)
		goto out;
	r = ctl_do(x, "PUT", path, body);
 out:
	json_object_put(body);
	ctl_buf_free(buf);
	return r;
}

/*
 * profile ra-add P PEMFILE PERMS: one certificate on the RA list, PERMS
 * comma-separated (enroll,revoke,raVerified); the API checks them.
 * profile ra-update P ID PERMS (file NULL): the entry's permissions
 * replaced by PERMS.
 */
static int
profile_ra_add(struct ctl *x, const char *p, const char *file,
    const char *id, const char *perms)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1], *buf = NULL;
	char *list = NULL, *tok, *save = NULL;
	json_object *body = NULL, *arr;
	size_t len;
	int r = CTL_FAIL;

	if (ctl_item(x, &ctl_obj_profile, p, path, sizeof(path), uuid) != 0 ||
	    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
	    "/raCertificates%s%s", file == NULL ? "/" : "",
	    file == NULL ? id : "") != 0 ||
	    (file != NULL && ctl_read(x, file, &buf, &len) != 0))
		goto out;
	if ((body = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL ||
	    json_object_object_add(body, "permissions", arr) != 0 ||
	    (file != NULL && json_object_object_add(body, "certificate",
	    json_object_new_string_len(buf, (int)len)) != 0) ||
	    (list = strdup(perms)) == NULL)
		goto out;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		if (json_object_array_add(arr, json_object_new_string(tok)) !=
		    0)
			goto out;
	r = ctl_do(x, file != NULL ? "POST" : "PATCH", path, body);
 out:
	free(list);
	json_object_put(body);
	ctl_buf_free(buf);
	return r;
}

/*
 * profile delete P... --force: the bulk route, whose answer lists the
 * profiles it could not delete.
 */
static int
profile_delete_force(struct ctl *x, int argc, char **argv)
{
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	json_object *list = NULL, *answer = NULL, *e;
	size_t i, n;
	int status, r = CTL_FAIL;

	if ((list = json_object_new_array()) == NULL)
		return CTL_FAIL;
	for (i = 0; i < (size_t)argc; i++) {
		if (ctl_item(x, &ctl_obj_profile, argv[i], path, sizeof(path),
		    uuid) != 0)
			goto out;
		json_object_array_add(list, json_object_new_string(uuid));
	}
	status = ctl_call(x, "DELETE", "/cmpProfiles/delete/force", list,
	    &answer);
	if (!ctl_is_2xx(status)) {
		ctl_error(status, answer);
		goto out;
	}
	r = CTL_OK;
	n = json_object_is_type(answer, json_type_array) ?
	    json_object_array_length(answer) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(answer, i);
		fprintf(stderr, "cmpctl: %s: %s\n", ctl_str(e, "name") != NULL ?
		    ctl_str(e, "name") : "?", ctl_str(e, "message") != NULL ?
		    ctl_str(e, "message") : "not deleted");
		r = CTL_FAIL;
	}
 out:
	json_object_put(answer);
	json_object_put(list);
	return r;
}

int
cmd_profile(struct ctl *x, int argc, char **argv)
{
	const struct ctl_obj *o = &ctl_obj_profile;
	char path[CTL_PATH_MAX], uuid[CMPD_UUID_LEN + 1];
	char ra_path[CTL_PATH_MAX], ra_uuid[CMPD_UUID_LEN + 1];
	const char *sub = argc > 1 ? argv[1] : "";
	int i, force = 0, n = 0;

	if (strcmp(sub, "list") == 0 && argc == 2)
		return ctl_do(x, "GET", o->list, NULL);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "");
	if (strcmp(sub, "show") == 0 && argc == 4 &&
	    strcmp(argv[3], "--openssl") == 0)
		return ctl_profile_openssl(x, argv[2], NULL);
	if (strcmp(sub, "show") == 0 && argc == 6 &&
	    strcmp(argv[3], "--openssl") == 0 &&
	    strcmp(argv[4], "--server") == 0)
		return ctl_profile_openssl(x, argv[2], argv[5]);
	if (strcmp(sub, "show-anchors") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "/trustAnchors");
	if (strcmp(sub, "create") == 0 && argc >= 3)
		return ctl_profile_create(x, argc - 2, argv + 2);
	if (strcmp(sub, "edit") == 0 && argc >= 4)
		return ctl_obj_edit(x, o, argv[2], argc - 3, argv + 3);
	if ((strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0) &&
	    argc >= 3)
		return ctl_obj_each(x, o, "PATCH", strcmp(sub, "enable") == 0 ?
		    "/enable" : "/disable", argc - 2, argv + 2);
	if (strcmp(sub, "delete") == 0) {
		/* --force anywhere; the others are profiles */
		for (i = 2; i < argc; i++) {
			if (strcmp(argv[i], "--force") == 0)
				force = 1;
			else
				argv[2 + n++] = argv[i];
		}
		if (n == 0)
			return CTL_USAGE;
		if (force)
			return profile_delete_force(x, n, argv + 2);
		return ctl_obj_each(x, o, "DELETE", "", n, argv + 2);
	}
	if (strcmp(sub, "set-ra") == 0 && argc == 4) {
		if (ctl_item(x, o, argv[2], path, sizeof(path), uuid) != 0 ||
		    ctl_item(x, &ctl_obj_raprofile, argv[3], ra_path,
		    sizeof(ra_path), ra_uuid) != 0 ||
		    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
		    "/raProfiles/%s", ra_uuid) != 0)
			return CTL_FAIL;
		return ctl_do(x, "PATCH", path, NULL);
	}
	if (strcmp(sub, "signing") == 0 && (argc == 4 || argc == 5))
		return profile_signing(x, argc - 2, argv + 2);
	if (strcmp(sub, "anchors") == 0 && argc == 4)
		return profile_anchors(x, argv[2], argv[3]);
	if (strcmp(sub, "ra-list") == 0 && argc == 3)
		return ctl_obj_show(x, o, argv[2], "/raCertificates");
	if (strcmp(sub, "ra-add") == 0 && argc == 5)
		return profile_ra_add(x, argv[2], argv[3], NULL, argv[4]);
	if (strcmp(sub, "ra-update") == 0 && argc == 5)
		return profile_ra_add(x, argv[2], NULL, argv[3], argv[4]);
	if (strcmp(sub, "ra-delete") == 0 && argc == 4) {
		if (ctl_item(x, o, argv[2], path, sizeof(path), uuid) != 0 ||
		    ctl_fmt(path + strlen(path), sizeof(path) - strlen(path),
		    "/raCertificates/%s", argv[3]) != 0)
			return CTL_FAIL;
		return ctl_do(x, "DELETE", path, NULL);
	}
	return CTL_USAGE;
}
