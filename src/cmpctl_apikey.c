/*
 * cmpctl_apikey.c - API keys: create (the key shown once, or written to a
 * new file of mode 0600), list, delete.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "cmpctl.h"

static const struct ctl_obj obj_apikey = {
	"API key", "/apiKeys", NULL, 0 };

/*
 * "--name VALUE" or "--name=VALUE" at argv[*i]: 1 and *val, 0 when argv[*i]
 * is something else, -1 when the value is missing.
 */
static int
ctl_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "cmpctl: %s needs a value\n", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

/* The key and a line end to fd, on disk before the answer is printed. */
static int
ctl_write_key(int fd, const char *key)
{
	size_t len = strlen(key), off = 0;
	ssize_t w;

	if (fchmod(fd, 0600) == -1)
		return -1;
	while (off <= len) {
		w = off < len ? write(fd, key + off, len - off) :
		    write(fd, "\n", 1);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return fsync(fd);
}

/*
 * apikey create: the key is in the answer once. With --out it goes to a
 * new file of mode 0600 instead of stdout; the file is made before the
 * key, so that no key is made that cannot be written.
 */
static int
apikey_create(struct ctl *x, int argc, char **argv)
{
	const char *name = NULL, *role = NULL, *out = NULL, *key, *uuid;
	json_object *body = NULL, *answer = NULL;
	enum api_role rl;
	int i, o, fd = -1, rc, err = 0, status, r = CTL_FAIL;

	for (i = 0; i < argc; i++) {
		if ((o = ctl_opt(argc, argv, &i, "--role", &role)) == 0)
			o = ctl_opt(argc, argv, &i, "--out", &out);
		if (o < 0)
			return CTL_USAGE;
		if (o > 0)
			continue;
		if (name != NULL || argv[i][0] == '-')
			return CTL_USAGE;
		name = argv[i];
	}
	if (name == NULL || role == NULL)
		return CTL_USAGE;
	if (api_role_parse(role, &rl) != 0) {
		fprintf(stderr, "cmpctl: --role is read or admin\n");
		return CTL_USAGE;
	}
	if (out != NULL && (fd = open(out, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "cmpctl: %s: %s\n", out, strerror(errno));
		return CTL_FAIL;
	}
	if ((body = json_object_new_object()) == NULL ||
	    json_object_object_add(body, "name",
	    json_object_new_string(name)) != 0 ||
	    json_object_object_add(body, "role",
	    json_object_new_string(role)) != 0)
		goto out;
	status = ctl_call(x, "POST", "/apiKeys", body, &answer);
	if (!ctl_is_2xx(status)) {
		ctl_error(status, answer);
		goto out;
	}
	if (out == NULL) {
		r = ctl_report(status, answer);
		goto out;
	}
	if ((key = ctl_str(answer, "key")) == NULL) {
		fprintf(stderr, "cmpctl: the answer holds no key\n");
		goto out;
	}
	if ((rc = ctl_write_key(fd, key)) != 0)
		err = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		err = errno;
	}
	fd = -1;
	if (rc != 0) {
		uuid = ctl_str(answer, "uuid");
		fprintf(stderr, "cmpctl: %s: %s; delete the key %s, it is "
		    "lost\n", out, strerror(err), uuid != NULL ? uuid : "");
		unlink(out);
		goto out;
	}
	/* json-c frees a member without wiping it */
	OPENSSL_cleanse((char *)key, strlen(key));
	json_object_object_del(answer, "key");
	json_object_object_add(answer, "keyFile", json_object_new_string(out));
	r = ctl_report(status, answer);
 out:
	if (fd != -1) {
		close(fd);
		unlink(out);
	}
	api_json_free(answer);
	json_object_put(body);
	return r;
}

int
cmd_apikey(struct ctl *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "create") == 0)
		return apikey_create(x, argc - 2, argv + 2);
	if (strcmp(sub, "list") == 0 && argc == 2)
		return ctl_do(x, "GET", "/apiKeys", NULL);
	if (strcmp(sub, "delete") == 0 && argc >= 3)
		return ctl_obj_each(x, &obj_apikey, "DELETE", "", argc - 2,
		    argv + 2);
	return CTL_USAGE;
}
