/*
 * Configuration file: "key = value" lines, '#' comments, blank lines.
 * Every key is documented in etc/cmpd.conf.sample; unknown keys are errors.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmpd.h"

#define CONF_LINE_MAX	4096
#define CONF_FILE_MAX	(64 * 1024)

/* api_remote_user = off | read | admin (enum api_role's order). */
static int
conf_remote_user(void *dst, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "off", "read", "admin" };
	int i = util_name_index(names, NITEMS(names), v, 0);

	if (i < 0) {
		snprintf(err, errlen, "api_remote_user must be off, read or "
		    "admin");
		return -1;
	}
	*(int *)dst = i;
	return 0;
}

/* api_plain_http = loopback | any */
static int
conf_plain_http(void *dst, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "loopback", "any" };
	int i = util_name_index(names, NITEMS(names), v, 0);

	if (i < 0) {
		snprintf(err, errlen, "api_plain_http must be loopback or any");
		return -1;
	}
	*(int *)dst = i;
	return 0;
}

#define K(n, t, f, lo, hi)	{ n, t, offsetof(struct conf, f), lo, hi, NULL, 0 }
static const struct conf_key keys[] = {
	K("listen", CONF_STR, listen, 0, 0),
	K("listen_mode", CONF_MODE, listen_mode, 0, 0777),
	K("listen_group", CONF_STR, listen_group, 0, 0),
	K("listen_backlog", CONF_INT, listen_backlog, 1, 65535),
	K("workers", CONF_INT, workers, 1, 256),
	K("max_requests", CONF_LONG, max_requests, 0, 1000000000L),
	K("graceful_timeout", CONF_INT, graceful_timeout, 1, 3600),
	K("body_max", CONF_SIZE, body_max, 1024, CMPD_BODY_MAX_LIMIT),
	K("body_timeout", CONF_INT, body_timeout, 1, 3600),
	K("user", CONF_STR, user, 0, 0),
	K("pid_file", CONF_PATH, pid_file, 0, 0),
	K("server_name", CONF_STR, server_name, 0, 0),
	K("message_time_skew", CONF_LONG, message_time_skew, 0, 86400L * 365),
	K("log_level", CONF_LOGLEVEL, log_level, 0, 0),
	K("log_facility", CONF_FACILITY, log_facility, 0, 0),
	K("log_file", CONF_PATH, log_file, 0, 0),
	K("db_host", CONF_STR, db_host, 0, 0),
	K("db_port", CONF_INT, db_port, 0, 65535),
	K("db_hosts", CONF_STR, db_hosts, 0, 0),
	K("db_socket", CONF_PATH, db_socket, 0, 0),
	K("db_user", CONF_STR, db_user, 0, 0),
	K("db_password_file", CONF_PATH, db_password_file, 0, 0),
	K("db_name", CONF_STR, db_name, 0, 0),
	K("db_connect_timeout", CONF_INT, db_connect_timeout, 1, 300),
	K("schema_dir", CONF_PATH, schema_dir, 0, 0),
	K("connector_connect_timeout", CONF_INT, connector_connect_timeout, 1, 300),
	K("connector_timeout", CONF_INT, connector_timeout, 1, 3600),
	K("connector_workers_max", CONF_INT, connector_workers_max, 0, 256),
	K("connector_reply_max", CONF_SIZE, connector_reply_max, 1024,
	    64L * 1024 * 1024),
	K("connector_ca_file", CONF_PATH, connector_ca_file, 0, 0),
	K("secret_key_file", CONF_PATH, secret_key_file, 0, 0),
	K("secret_key_file_previous", CONF_PATH, secret_key_file_previous, 0,
	    0),
	K("pbm_iterations_max", CONF_LONG, pbm_iterations_max, 1, 10000000L),
	K("confirm_wait_time", CONF_INT, confirm_wait_time, 1, 86400),
	K("sweep_interval", CONF_INT, sweep_interval, 0, 86400),
	K("device_mac_failures_max", CONF_INT, device_mac_failures_max, 1,
	    1000),
	K("device_lock_time", CONF_INT, device_lock_time, 0, 31536000),
	K("ca_crl_refresh", CONF_INT, ca_crl_refresh, 0, 86400),
	K("signer_security_level", CONF_INT, signer_security_level, 0, 5),
	K("key_security_level", CONF_INT, key_security_level, 0, 5),
	K("profile_cache", CONF_INT, profile_cache, 0, 3600),
	K("public_url", CONF_STR, public_url, 0, 0),
	{ "api_remote_user", CONF_CUSTOM, offsetof(struct conf,
	    api_remote_user), 0, 0, conf_remote_user, 0 },
	{ "api_plain_http", CONF_CUSTOM, offsetof(struct conf,
	    api_plain_http_any), 0, 0, conf_plain_http, 0 },
};
#undef K

static int
conf_set_str(char **dst, const char *v)
{
	char *s;

	if ((s = strdup(v)) == NULL)
		return -1;
	free(*dst);
	*dst = s;
	return 0;
}

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_mode = 0660;
	c->listen_backlog = 128;
	c->workers = 2;
	c->max_requests = 10000;
	c->graceful_timeout = 30;
	c->body_max = CMPD_BODY_MAX_DEFAULT;
	c->body_timeout = 30;
	c->message_time_skew = 300;
	c->log_level = LOG_LVL_INFO;
	c->log_facility = 3 << 3;	/* LOG_DAEMON */
	c->db_port = 3306;
	c->db_connect_timeout = 5;
	c->connector_connect_timeout = 5;
	c->connector_timeout = 30;
	c->connector_reply_max = 1024 * 1024;
	/* Checking a MAC costs one hash per iteration before the sender
	 * is known: 10000 is about 1.5 ms of CPU, 100000 about 15 ms. */
	c->pbm_iterations_max = 10000;
	c->confirm_wait_time = 300;
	c->sweep_interval = 5;
	c->device_mac_failures_max = 5;
	c->device_lock_time = 900;
	c->ca_crl_refresh = 300;
	/* 112 bits: RSA of 2048 bits and up, no SHA-1 signatures */
	c->signer_security_level = 2;
	c->key_security_level = 2;
	c->profile_cache = 1;
	/* Defaults that are strings are filled in by conf_load(). */
}

/* Frees the strings of a configuration described by keys. */
void
conf_free_strings(const struct conf_key *k, size_t n, void *base)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (k[i].type == CONF_STR || k[i].type == CONF_PATH ||
		    (k[i].type == CONF_CUSTOM && k[i].is_string)) {
			char **p = (char **)((char *)base + k[i].off);

			free(*p);
			*p = NULL;
		}
	}
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	c->path = NULL;
	conf_free_strings(keys, NITEMS(keys), c);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
conf_set(void *base, const struct conf_key *k, const char *v,
    char *err, size_t errlen)
{
	void *dst = (char *)base + k->off;
	long n;
	char *end;

	switch (k->type) {
	case CONF_CUSTOM:
		return k->custom(dst, v, err, errlen);
	case CONF_PATH:
		if (v[0] != '/') {
			snprintf(err, errlen, "%s: must be an absolute path",
			    k->name);
			return -1;
		}
		/* FALLTHROUGH */
	case CONF_STR:
		if (conf_set_str(dst, v) != 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	case CONF_MODE:
		errno = 0;
		n = strtol(v, &end, 8);
		if (errno != 0 || *v == '\0' || *end != '\0' || n < k->min ||
		    n > k->max)
			goto range;
		*(int *)dst = (int)n;
		return 0;
	case CONF_INT:
	case CONF_LONG:
	case CONF_SIZE:
		if (util_parse_long(v, k->min, k->max, &n) != 0)
			goto range;
		if (k->type == CONF_INT)
			*(int *)dst = (int)n;
		else if (k->type == CONF_LONG)
			*(long *)dst = n;
		else
			*(size_t *)dst = (size_t)n;
		return 0;
	case CONF_LOGLEVEL:
		if (log_level_parse(v, dst) != 0) {
			snprintf(err, errlen, "%s: expected error, warn, info "
			    "or debug", k->name);
			return -1;
		}
		return 0;
	case CONF_FACILITY:
		if (log_facility_parse(v, dst) != 0) {
			snprintf(err, errlen, "%s: unknown syslog facility",
			    k->name);
			return -1;
		}
		return 0;
	}
 range:
	if (k->type == CONF_MODE)
		snprintf(err, errlen, "%s: expected an octal mode up to 0777",
		    k->name);
	else
		snprintf(err, errlen, "%s: expected an integer from %ld to %ld",
		    k->name, k->min, k->max);
	return -1;
}

/* Parses the text of a configuration file; errors name the line. */
static int
conf_parse(char *text, const struct conf_key *keys_, size_t nkeys,
    void *base, char *err, size_t errlen)
{
	char *line, *next, *eq, *key, *val, *hash;
	char msg[256];
	int lineno = 0;
	size_t i;

	for (line = text; line != NULL; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strlen(line) > CONF_LINE_MAX) {
			snprintf(err, errlen, "line %d: too long", lineno);
			return -1;
		}
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			snprintf(err, errlen, "line %d: expected key = value",
			    lineno);
			return -1;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		/* "value   # comment": a # after a blank starts a comment */
		for (hash = val; (hash = strchr(hash, '#')) != NULL; hash++)
			if (hash > val && isspace((unsigned char)hash[-1])) {
				*hash = '\0';
				val = trim(val);
				break;
			}
		for (i = 0; i < nkeys; i++)
			if (strcmp(keys_[i].name, key) == 0)
				break;
		if (i == nkeys) {
			snprintf(err, errlen, "line %d: unknown key \"%.64s\"",
			    lineno, key);
			return -1;
		}
		if (conf_set(base, &keys_[i], val, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "line %d: %s", lineno, msg);
			return -1;
		}
	}
	return 0;
}

/*
 * The database endpoints: db_hosts (the nodes of a Galera cluster, tried
 * in turn), else db_host and db_port; none when db_socket is set.
 */
static int
conf_db_endpoints(struct conf *c, char *err, size_t errlen)
{
	return db_endpoints_conf(c->db_socket, c->db_hosts, c->db_host,
	    c->db_port, c->db_ep, &c->db_nep, err, errlen);
}

/* Cross-field checks and string defaults. */
static int
conf_finish(struct conf *c, char *err, size_t errlen)
{
	X509_NAME *name;

	if (c->listen == NULL && conf_set_str(&c->listen, "inherit") != 0)
		goto oom;
	if (c->server_name == NULL && conf_set_str(&c->server_name,
	    "CN=cmpd") != 0)
		goto oom;
	if (c->db_name == NULL && conf_set_str(&c->db_name, "cmpd") != 0)
		goto oom;
	if (c->db_user == NULL && conf_set_str(&c->db_user, "cmpd") != 0)
		goto oom;
	if (c->schema_dir == NULL && conf_set_str(&c->schema_dir,
	    PKGDATADIR "/schema") != 0)
		goto oom;
	if (c->db_socket == NULL && c->db_host == NULL &&
	    conf_set_str(&c->db_host, "localhost") != 0)
		goto oom;
	if (conf_db_endpoints(c, err, errlen) != 0)
		return -1;
	if ((name = cmp_msg_parse_name(c->server_name)) == NULL) {
		snprintf(err, errlen, "server_name: not a distinguished name "
		    "(e.g. CN=cmpd,O=Example)");
		return -1;
	}
	X509_NAME_free(name);
	if (*c->listen == '\0') {
		snprintf(err, errlen, "listen: empty");
		return -1;
	}
	/* (inherit and systemd: master_listen looks at the socket) */
	if (c->api_remote_user != 0 && *c->listen != '/' &&
	    strcmp(c->listen, "inherit") != 0 &&
	    strcmp(c->listen, "systemd") != 0) {
		snprintf(err, errlen, "%s", CONF_REMOTE_USER_TCP);
		return -1;
	}
	if (c->api_remote_user != 0 && *c->listen == '/' &&
	    (c->listen_mode & 0006) != 0) {
		snprintf(err, errlen, "api_remote_user needs a socket other "
		    "users cannot connect to (listen_mode %04o): whoever "
		    "can connect names the REMOTE_USER; use listen_group",
		    (unsigned)c->listen_mode);
		return -1;
	}
	if (c->secret_key_file_previous != NULL && c->secret_key_file == NULL) {
		snprintf(err, errlen, "secret_key_file_previous needs a "
		    "secret_key_file, the key that seals");
		return -1;
	}
	return 0;
 oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * Reads and parses the configuration file path into base, described by
 * keys (shared by cmpd and cmp-localca). Errors name the file and line.
 */
int
conf_read(const char *path, const struct conf_key *k, size_t n, void *base,
    char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	char msg[512];
	int r = -1;

	if (util_read_file(path, CONF_FILE_MAX, &buf, &len) != 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
		    errno == EFBIG ? "file too large" : strerror(errno));
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	if (conf_parse((char *)buf, k, n, base, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	r = 0;
 out:
	free(buf);
	return r;
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	char msg[512];
	int r = -1;

	conf_init(c);
	if ((c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (conf_read(path, keys, NITEMS(keys), c, err, errlen) != 0)
		goto out;
	if (conf_finish(c, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	r = 0;
 out:
	if (r != 0) {
		conf_free(c);
		conf_init(c);
	}
	return r;
}
