/*
 * api.c - the management API (JSON below /api/v1). One call is described by
 * struct api_call, whoever made it: http.c for a FastCGI request, cmpctl
 * for a command run on the host. Handlers live in api_*.c, one file per
 * kind of object, each with a table of its routes.
 */
#ifndef API_H
#define API_H

#include <stddef.h>

#include <json-c/json.h>

#include "cmpd.h"

#define API_PARAMS_MAX	3	/* {x} segments in one route */
#define API_ACTOR_MAX	160
#define API_JSON_DEPTH	16	/* of a request body */
#define API_LIST_MAX	1000	/* rows in one list answer */

enum api_role {
	API_ROLE_NONE = 0,
	API_ROLE_READ,		/* GET only */
	API_ROLE_ADMIN,		/* everything */
};

struct api_call {
	const struct conf *conf;
	const char *method;	/* GET POST PUT PATCH DELETE */
	const char *path;	/* below /api/v1: "/cmpProfiles/..." */
	const char *query;	/* after '?', or NULL */
	json_object *body;	/* the request's JSON, or NULL */
	const char *base_url;	/* "https://host" for cmpUrl, or "" */
	char	 actor[API_ACTOR_MAX];	/* "apiKey:NAME", "cmpctl:USER" … */
	enum api_role role;
	char	 param[API_PARAMS_MAX][CMPD_NAME_MAX + 1];
	/* the answer */
	int	 status;
	json_object *answer;	/* owned; NULL: no body (204) */
};

struct api_route {
	const char *method;
	const char *pattern;	/* "/cmpProfiles/{cmpProfileUuid}/enable" */
	enum api_role need;
	int	(*fn)(struct api_call *);
};

/* api.c */
int	api_dispatch(struct api_call *);
int	api_path_known(const char *path);
void	api_call_free(struct api_call *);
void	api_routes_print(void);
const char *api_actor(const struct api_call *);
int	api_fail(struct api_call *, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	api_ok(struct api_call *, int status, json_object *answer);
int	api_query(const struct api_call *, const char *key, char *buf,
	    size_t n);
int	api_uuid_valid(const char *);
int	api_query_uuid(struct api_call *, const char *key,
	    char buf[CMPD_UUID_LEN + 1]);
int	api_after(struct api_call *, long offset, const char *what,
	    const char *sql, const struct db_arg *, size_t nargs, char *at,
	    size_t atlen);
enum api_get { API_ABSENT = 0, API_GOT = 1, API_BAD = -1 };
enum api_get api_get_str(struct api_call *, const char *key, size_t max,
	    const char **out);
enum api_get api_get_bool(struct api_call *, const char *key, int *out);
enum api_get api_get_int(struct api_call *, const char *key, long min,
	    long max, long *out);
enum api_get api_get_json(struct api_call *, const char *key,
	    json_type type, char **text);
json_object *api_json_str(const char *);
json_object *api_uuid_list(struct api_call *);
int	api_parse_json_text(const char *text, json_object **out);
void	api_json_wipe(json_object *);
void	api_json_free(json_object *);
int	api_db_fail(struct api_call *);
void	api_col_str(struct db_col *, char *buf, size_t n);
void	api_col_int(struct db_col *);
int	api_list(struct api_call *, const char *sql, const struct db_arg *,
	    size_t nargs, struct db_col *, size_t ncols, size_t max,
	    json_object *(*json)(struct db_col *));
const char *api_role_name(enum api_role);
int	api_role_parse(const char *, enum api_role *);

/* api_auth.c */
#define API_TOKEN_LEN	69	/* "cmpd_" + 64 hex digits */
#define API_KEY_NAME_USED 3	/* api_key_create: a deleted key's name */
int	api_auth_key(const char *token, char *actor, size_t n,
	    enum api_role *role);
int	api_key_create(const char *name, enum api_role, const char *actor,
	    char token[API_TOKEN_LEN + 1], char uuid[CMPD_UUID_LEN + 1]);
extern const struct api_route api_key_routes[];
extern const size_t api_key_nroutes;

/* audit.c */
int	audit_take_failure(void);
int	audit_write(const char *actor, const char *action,
	    const char *object_type, const char *object_uuid,
	    json_object *detail);
/* audit.detail as the list reads it back; a larger detail is replaced by
 * its size (handlers keep details small: counts, not certificates) */
#define AUDIT_DETAIL_MAX	(64 * 1024)

/* api_audit.c */
extern const struct api_route api_audit_routes[];
extern const size_t api_audit_nroutes;

/* api_cmp_profile.c (its own parts: api_cmp.h) */
extern const struct api_route api_cmp_profile_routes[];
extern const size_t api_cmp_profile_nroutes;
/* api_ra_cert.c */
extern const struct api_route api_ra_cert_routes[];
extern const size_t api_ra_cert_nroutes;

/* api_obj.c: what connectors, authorities and RA Profiles share */
#define OBJ_TS(col)	"DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%s.%fZ')"
#define OBJ_TS_BUF	40
int	obj_body(struct api_call *);
int	obj_body_only(struct api_call *, const char *const *names, size_t n);
int	obj_uuid_norm(const char *in, char out[CMPD_UUID_LEN + 1]);
int	obj_param_uuid(struct api_call *, int i, const char *what);
int	obj_name_valid(const char *);
json_object *obj_json_array(const char *text);
json_object *obj_ref(const char *uuid, const char *name);
json_object *obj_pem_cert(X509 *);
struct db_arg obj_arg_opt_str(const char *);
json_object *obj_pem_crl(X509_CRL *);
enum api_get obj_get_array(struct api_call *, const char *key, char **text);
int	obj_exists(const char *sql, const struct db_arg *, size_t na);
int	obj_delete_unused(struct api_call *, const char *sql_used,
	    const char *sql_delete, const char *what, const char *used_by,
	    const char *audit_type);
int	obj_authority_find(struct api_call *, const char *uuid);

/* api_device.c: a CMP Profile's device entries (per-device secrets) */
extern const struct api_route api_device_routes[];
extern const size_t api_device_nroutes;

/* api_connector.c */
extern const struct api_route api_connector_routes[];
extern const size_t api_connector_nroutes;

/* api_authority.c */
extern const struct api_route api_authority_routes[];
extern const size_t api_authority_nroutes;

/* api_ra_profile.c: RA Profiles, CMP on an RA Profile */
extern const struct api_route api_ra_profile_routes[];
extern const size_t api_ra_profile_nroutes;

/* api_inventory.c: certificates, CMP transactions */
extern const struct api_route api_inventory_routes[];
extern const size_t api_inventory_nroutes;

#endif
