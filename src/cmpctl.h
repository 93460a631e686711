/*
 * cmpctl.h - what the files of cmpctl share. cmpctl.c holds main() and the
 * table of commands; each cmpctl_*.c file holds the commands of one kind
 * of object, its cmd_ functions called from that table only; all of them
 * call down into cmpctl_util.c (the ctl_ helpers: the in-process API call,
 * fields, printing), which calls none of them.
 */
#ifndef CMPCTL_H
#define CMPCTL_H

#include <stddef.h>

#include <json-c/json.h>

#include "api.h"

#define CTL_FILE_MAX	(1024 * 1024)	/* one @file, or standard input */
#define CTL_PATH_MAX	4096		/* path and query of one call */

/* exit statuses */
#define CTL_OK		0
#define CTL_FAIL	1	/* the call failed: non-2xx, or a local error */
#define CTL_USAGE	2	/* main() prints the command's usage */

struct ctl {
	const char *conf_path;
	struct conf conf;
	int	 have_conf, have_db;
	int	 stdin_used;		/* "-" and "@-" can be read once */
	char	 actor[API_ACTOR_MAX];
};

/* Fields an edit keeps from the object's detail: body key <- detail. */
struct ctl_carry {
	const char *key;
	const char *from;
	const char *sub;	/* a member of from, or NULL */
};

struct ctl_obj {
	const char *what;	/* in messages */
	const char *list;	/* the collection */
	const struct ctl_carry *carry;
	int	 nested;	/* an RA Profile: below its authority */
};

/* cmpctl_util.c */
extern const struct ctl_obj ctl_obj_profile;
extern const struct ctl_obj ctl_obj_connector;
extern const struct ctl_obj ctl_obj_authority;
extern const struct ctl_obj ctl_obj_raprofile;
int	ctl_fmt(char *buf, size_t n, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	ctl_buf_free(char *buf);
int	ctl_read(struct ctl *x, const char *name, char **out, size_t *outlen);
const char *ctl_str(json_object *o, const char *key);
int	ctl_is_2xx(int status);
int	ctl_call(struct ctl *x, const char *method, const char *path,
	    json_object *body, json_object **answer);
void	ctl_error(int status, json_object *answer);
int	ctl_report(int status, json_object *answer);
int	ctl_do(struct ctl *x, const char *method, const char *path,
	    json_object *body);
int	ctl_item(struct ctl *x, const struct ctl_obj *o, const char *arg,
	    char *path, size_t n, char uuid[CMPD_UUID_LEN + 1]);
int	ctl_is_secret_key(const char *key);
int	ctl_fields(struct ctl *x, int argc, char **argv, json_object *body);
int	ctl_obj_show(struct ctl *x, const struct ctl_obj *o, const char *arg,
	    const char *suffix);
int	ctl_obj_create(struct ctl *x, const char *coll, int argc, char **argv);
int	ctl_obj_edit(struct ctl *x, const struct ctl_obj *o, const char *arg,
	    int argc, char **argv);
int	ctl_obj_each(struct ctl *x, const struct ctl_obj *o,
	    const char *method, const char *suffix, int argc, char **argv);

/* cmpctl_api.c: routes, api */
int	cmd_routes(struct ctl *, int, char **);
int	cmd_api(struct ctl *, int, char **);

/* cmpctl_apikey.c */
int	cmd_apikey(struct ctl *, int, char **);

/* cmpctl_profile.c */
int	cmd_profile(struct ctl *, int, char **);
/* cmpctl_profile_show.c */
int	ctl_profile_create(struct ctl *, int argc, char **argv);
int	ctl_profile_openssl(struct ctl *, const char *profile,
	    const char *server);

/* cmpctl_objects.c: connectors, authorities, RA Profiles */
int	cmd_connector(struct ctl *, int, char **);
int	cmd_authority(struct ctl *, int, char **);
int	cmd_raprofile(struct ctl *, int, char **);

/* cmpctl_query.c: certificates, CMP transactions, the audit log */
int	cmd_certificates(struct ctl *, int, char **);
int	cmd_transactions(struct ctl *, int, char **);
int	cmd_audit(struct ctl *, int, char **);

/* cmpctl_device.c: a CMP Profile's device entries */
int	cmd_device(struct ctl *, int, char **);

/* cmpctl_key.c: the master key of secrets at rest */
int	cmd_key(struct ctl *, int, char **);

#endif /* CMPCTL_H */
