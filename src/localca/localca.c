/*
 * cmp-localca - the reference authority provider connector.
 *
 *   cmp-localca [-fnv] [-c file]
 *   cmp-localca [-c file] --init-ca [options]
 *
 * Serves the CZERTAINLY authority provider connector API (JSON over HTTP,
 * through a web server's FastCGI) over a CA kept in files: issue, renew
 * and revoke certificates, hand out the CA certificates and a CRL. It is
 * the CA behind cmpd's quick start and end-to-end tests. One process,
 * one request at a time, or (workers = N) N such processes kept by the
 * first (lca_workers.c).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "key_memo.h"
#include "keyless.h"
#include "localca.h"

#ifdef SYSCONFDIR
#define LCA_DEFAULT_CONF	SYSCONFDIR "/cmp-localca.conf"
#else
#define LCA_DEFAULT_CONF	"/etc/cmp-localca.conf"
#endif

#define LCA_LISTEN_BACKLOG	64

/* ------------------------------------------------------ configuration */

static int lca_conf_exts(void *, const char *, char *, size_t);
static int lca_conf_uuid(void *, const char *, char *, size_t);
static int lca_conf_form(void *, const char *, char *, size_t);
static int lca_conf_default(char **, const char *);

#define K(n, t, f, lo, hi)	{ n, t, offsetof(struct lca_conf, f), lo, hi, \
	NULL, 0 }
#define C(n, fn, f, str)	{ n, CONF_CUSTOM, offsetof(struct lca_conf, f), \
	0, 0, fn, str }
static const struct conf_key conf_keys[] = {
	K("listen", CONF_STR, listen, 0, 0),
	K("listen_mode", CONF_MODE, listen_mode, 0, 0777),
	K("listen_group", CONF_STR, listen_group, 0, 0),
	K("ca_dir", CONF_PATH, ca_dir, 0, 0),
	K("validity_days", CONF_LONG, validity_days, 1, 36500),
	K("crl_period", CONF_LONG, crl_period, 1, 2678400),
	C("allowed_extensions", lca_conf_exts, allowed_ext, 0),
	K("db_socket", CONF_PATH, db_socket, 0, 0),
	K("db_host", CONF_STR, db_host, 0, 0),
	K("db_port", CONF_INT, db_port, 0, 65535),
	K("db_hosts", CONF_STR, db_hosts, 0, 0),
	K("db_user", CONF_STR, db_user, 0, 0),
	K("db_password_file", CONF_PATH, db_password_file, 0, 0),
	K("db_name", CONF_STR, db_name, 0, 0),
	C("authority_uuid", lca_conf_uuid, authority_uuid, 1),
	K("log_level", CONF_LOGLEVEL, log_level, 0, 0),
	K("body_max", CONF_SIZE, body_max, 1024, LCA_BODY_MAX_LIMIT),
	K("body_timeout", CONF_INT, body_timeout, 1, 3600),
	K("pid_file", CONF_PATH, pid_file, 0, 0),
	K("log_file", CONF_PATH, log_file, 0, 0),
	K("issue_delay_ms", CONF_LONG, issue_delay_ms, 0, 600000),
	K("sign_delay_ms", CONF_LONG, sign_delay_ms, 0, 600000),
	K("revoke_delay_ms", CONF_LONG, revoke_delay_ms, 0, 600000),
	K("ca_delay_ms", CONF_LONG, ca_delay_ms, 0, 600000),
	K("issue_pending", CONF_LONG, issue_pending, 0, 86400),
	C("certificate_form", lca_conf_form, cert_form, 0),
	K("issue_fail_status", CONF_INT, issue_fail_status, 0, 599),
	K("revoke_pending", CONF_LONG, revoke_pending, 0, 86400),
	K("auth_user", CONF_STR, auth_user, 0, 0),
	K("auth_password_file", CONF_PATH, auth_password_file, 0, 0),
	K("api_key_file", CONF_PATH, api_key_file, 0, 0),
	K("api_key_header", CONF_STR, api_key_header, 0, 0),
	K("auth_remote_user", CONF_STR, auth_remote_user, 0, 0),
	K("user", CONF_STR, user, 0, 0),
	K("workers", CONF_INT, workers, 1, LCA_WORKERS_MAX),
};
#undef K

static void
lca_conf_init(struct lca_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_mode = 0660;
	c->validity_days = 365;
	c->crl_period = 86400;
	c->allowed_ext = LCA_EXT_ALL;
	c->db_port = 3306;
	c->log_level = LOG_LVL_INFO;
	c->body_max = LCA_BODY_MAX_DEFAULT;
	c->body_timeout = 30;
	c->workers = 1;
}

static void
lca_conf_free(struct lca_conf *c)
{
	if (c == NULL)
		return;
	free(c->path);
	c->path = NULL;
	conf_free_strings(conf_keys, NITEMS(conf_keys), c);
}

static char *
lca_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* 8-4-4-4-12 hexadecimal digits (RFC 9562 4). */
static int
lca_uuid_valid(const char *s)
{
	size_t i;

	if (strlen(s) != LCA_UUID_LEN)
		return 0;
	for (i = 0; i < LCA_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* "subjectAltName, keyUsage": names of lca_ca.c's copyable list. */
static int
lca_conf_exts(void *dst, const char *v, char *err, size_t errlen)
{
	unsigned int *out = dst;
	char buf[256], *s, *tok, *save = NULL;
	unsigned int bits = 0, bit;

	if (strlen(v) >= sizeof(buf)) {
		snprintf(err, errlen, "allowed_extensions: too long");
		return -1;
	}
	memcpy(buf, v, strlen(v) + 1);
	for (s = buf; (tok = strtok_r(s, ",", &save)) != NULL; s = NULL) {
		tok = lca_trim(tok);
		if (*tok == '\0')
			continue;
		if ((bit = lca_ca_ext_bit(tok)) == 0) {
			snprintf(err, errlen, "allowed_extensions: unknown "
			    "extension \"%.64s\" (subjectAltName, keyUsage, "
			    "extendedKeyUsage)", tok);
			return -1;
		}
		bits |= bit;
	}
	*out = bits;
	return 0;
}

/* Tests only: how certificateData carries an issued certificate. */
static int
lca_conf_form(void *dst, const char *v, char *err, size_t errlen)
{
	int *out = dst;

	if (strcmp(v, "der") == 0)
		*out = LCA_FORM_DER;
	else if (strcmp(v, "pkcs7") == 0)
		*out = LCA_FORM_PKCS7;
	else if (strcmp(v, "pem") == 0)
		*out = LCA_FORM_PEM;
	else {
		snprintf(err, errlen, "certificate_form: der, pkcs7 or pem");
		return -1;
	}
	return 0;
}

static int
lca_conf_uuid(void *dst, const char *v, char *err, size_t errlen)
{
	char *copy;

	if (!lca_uuid_valid(v)) {
		snprintf(err, errlen, "authority_uuid: not a UUID");
		return -1;
	}
	if ((copy = strdup(v)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(*(char **)dst);
	*(char **)dst = copy;
	return 0;
}

static int
lca_conf_default(char **dst, const char *v)
{
	if (*dst != NULL)
		return 0;
	return (*dst = strdup(v)) != NULL ? 0 : -1;
}

/*
 * The caller authentication keys: the connector API issues and revokes
 * certificates, so it never serves anonymous callers.
 */
static int
lca_conf_auth(struct lca_conf *c, char *err, size_t errlen)
{
	static const char token[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~";
	size_t n;

	if ((c->auth_user == NULL) != (c->auth_password_file == NULL)) {
		snprintf(err, errlen, "auth_user and auth_password_file go "
		    "together");
		return -1;
	}
	/* RFC 7617 2: the user-id cannot contain a colon. */
	if (c->auth_user != NULL && (c->auth_user[0] == '\0' ||
	    strchr(c->auth_user, ':') != NULL)) {
		snprintf(err, errlen, "auth_user: empty or with a colon");
		return -1;
	}
	if (c->api_key_file != NULL &&
	    lca_conf_default(&c->api_key_header, "X-API-Key") != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (c->api_key_header != NULL) {
		n = strlen(c->api_key_header);
		/* RFC 9110 5.6.2 token */
		if (n == 0 || n > LCA_HEADER_NAME_MAX ||
		    strspn(c->api_key_header, token) != n) {
			snprintf(err, errlen, "api_key_header: not a header "
			    "name");
			return -1;
		}
		if (c->api_key_file == NULL) {
			snprintf(err, errlen, "api_key_header without "
			    "api_key_file");
			return -1;
		}
	}
	if (c->auth_remote_user != NULL && c->auth_remote_user[0] == '\0') {
		snprintf(err, errlen, "auth_remote_user: empty");
		return -1;
	}
	/* FastCGI authenticates no caller (a TCP socket handed over:
	 * lca_listen) */
	if (c->auth_remote_user != NULL && c->listen[0] == '/' &&
	    (c->listen_mode & 0006) != 0) {
		snprintf(err, errlen, "auth_remote_user needs a socket other "
		    "users cannot connect to (listen_mode %04o): whoever can "
		    "connect names the REMOTE_USER; use listen_group",
		    (unsigned)c->listen_mode);
		return -1;
	}
	if (c->auth_user == NULL && c->api_key_file == NULL &&
	    c->auth_remote_user == NULL) {
		snprintf(err, errlen, "no caller authentication: set "
		    "auth_user and auth_password_file, api_key_file, or "
		    "auth_remote_user");
		return -1;
	}
	return 0;
}

/* The database endpoints, as cmpd's (conf.c): db_hosts, else db_host
 * and db_port; none when db_socket is set. */
static int
lca_conf_db(struct lca_conf *c, char *err, size_t errlen)
{
	return db_endpoints_conf(c->db_socket, c->db_hosts, c->db_host,
	    c->db_port, c->db_ep, &c->db_nep, err, errlen);
}

/* Cross-field checks and string defaults. */
static int
lca_conf_finish(struct lca_conf *c, char *err, size_t errlen)
{
	if (lca_conf_default(&c->listen, "inherit") != 0 ||
	    lca_conf_default(&c->db_name, "cmpd") != 0 ||
	    lca_conf_default(&c->db_user, "cmpd") != 0 ||
	    (c->db_socket == NULL &&
	    lca_conf_default(&c->db_host, "localhost") != 0)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (lca_conf_db(c, err, errlen) != 0)
		return -1;
	if (strcmp(c->listen, "inherit") != 0 && c->listen[0] != '/') {
		snprintf(err, errlen, "listen: expected an absolute socket "
		    "path or inherit");
		return -1;
	}
	if (c->ca_dir == NULL) {
		snprintf(err, errlen, "ca_dir: missing");
		return -1;
	}
	if (c->issue_fail_status != 0 && c->issue_fail_status < 400) {
		snprintf(err, errlen, "issue_fail_status: 0, or 400 .. 599");
		return -1;
	}
	return lca_conf_auth(c, err, errlen);
}

static int
lca_conf_load(const char *path, struct lca_conf *c, char *err, size_t errlen)
{
	char msg[512];
	int r = -1;

	lca_conf_init(c);
	if ((c->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (conf_read(path, conf_keys, NITEMS(conf_keys), c, err, errlen) != 0)
		goto out;
	if (lca_conf_finish(c, msg, sizeof(msg)) != 0) {
		snprintf(err, errlen, "%s: %s", path, msg);
		goto out;
	}
	r = 0;
 out:
	if (r != 0) {
		lca_conf_free(c);
		lca_conf_init(c);
	}
	return r;
}

/* ------------------------------------------------- process, signals */

static void
lca_on_signal(int sig)
{
	if (sig == SIGHUP || sig == SIGUSR1)
		lca_reopen = 1;
	else
		lca_stop = 1;
}

/*
 * After FCGX_Init, which installs libfcgi's own SIGTERM/SIGUSR1/SIGPIPE
 * handlers. SIGTERM and SIGINT stay blocked but while we wait for a
 * connection, so a request in flight is always finished.
 */
static void
lca_signals(sigset_t *stop_set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = lca_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* logrotate moved log_file: opened again between requests */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);	/* a web server that hung up */
	sigemptyset(stop_set);
	sigaddset(stop_set, SIGTERM);
	sigaddset(stop_set, SIGINT);
	sigprocmask(SIG_BLOCK, stop_set, NULL);
}

/* A stale socket is replaced; a live one is another process'. */

/* Non-blocking: lca_wait() decides when to accept. */
static int
lca_listen(const struct lca_conf *c)
{
	socklen_t len = sizeof(int);
	int fd, type, mode = 0;

	if (strcmp(c->listen, "inherit") == 0) {
		fd = STDIN_FILENO;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1 ||
		    type != SOCK_STREAM)
			fatal("listen = inherit, but fd 0 is not a stream "
			    "socket");
	} else {
		fd = daemon_listen_unix(c->listen, c->listen_mode,
		    LCA_LISTEN_BACKLOG);
		daemon_socket_group(c->listen, c->listen_group);
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("fcntl: %s", strerror(errno));
	/* FastCGI authenticates no caller: whoever can connect to a TCP
	 * port handed over names the REMOTE_USER */
	if (c->auth_remote_user != NULL && !daemon_fd_is_unix(fd))
		fatal("auth_remote_user needs a Unix socket to listen on: "
		    "whoever can connect to a TCP port names the REMOTE_USER");
	/* nor a Unix socket handed over that any user may connect to
	 * (connect(2) needs write permission; one made here is checked
	 * by its listen_mode) */
	if (c->auth_remote_user != NULL && c->listen[0] != '/' &&
	    ((mode = daemon_fd_unix_mode(fd)) < 0 || (mode & 0002) != 0)) {
		if (mode < 0)
			fatal("auth_remote_user needs a socket other users "
			    "cannot connect to; the one handed over has no "
			    "file whose mode says so");
		fatal("auth_remote_user needs a socket other users cannot "
		    "connect to; the one handed over has mode %04o "
		    "(SocketMode=0660 and a group)", (unsigned)mode);
	}
	return fd;
}

/*
 * Binds first, as root if need be, then leaves root (as cmpd's master
 * does): the socket is handed to the user, the CA key and the callers'
 * credentials were read already (ca.key may be root's alone). The
 * database is reached as that user (its password, if any, read at each
 * connection; or unix_socket, by the user itself).
 */
static void
lca_drop_privileges(const struct lca_conf *c)
{
	if (geteuid() != 0)
		return;
	if (c->user == NULL) {
		log_warn("running as root: set \"user\" in %s to an "
		    "unprivileged user of its own (e.g. user = cmp-localca)",
		    c->path);
		return;
	}
	daemon_become_user(c->user, c->listen, c->listen_group != NULL,
	    c->pid_file);
	/* The CA's key is in this process's memory now: not for other
	 * processes of the user (cmpd's workers, when they share it) to
	 * read through ptrace or /proc/PID/mem. The switch of user did this
	 * unless fs.suid_dumpable says otherwise. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		fatal("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
}

/* ------------------------------------------------------------- --init-ca */

enum {
	OPT_INIT_CA = 256, OPT_KEY_TYPE, OPT_CURVE, OPT_BITS, OPT_SUBJECT,
	OPT_DAYS, OPT_IMPORT_KEY, OPT_IMPORT_CHAIN, OPT_ALLOW_ROOT,
};

static const struct option lca_long_opts[] = {
	{ "init-ca", no_argument, NULL, OPT_INIT_CA },
	{ "key-type", required_argument, NULL, OPT_KEY_TYPE },
	{ "curve", required_argument, NULL, OPT_CURVE },
	{ "bits", required_argument, NULL, OPT_BITS },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "import-key", required_argument, NULL, OPT_IMPORT_KEY },
	{ "import-chain", required_argument, NULL, OPT_IMPORT_CHAIN },
	{ "allow-root", no_argument, NULL, OPT_ALLOW_ROOT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void __attribute__((noreturn))
lca_init_usage(const char *msg)
{
	fprintf(stderr, "cmp-localca: %s\n", msg);
	exit(2);
}

static void
lca_init_opt(struct lca_init_opts *o, int ch, const char *v)
{
	switch (ch) {
	case OPT_KEY_TYPE:
		if (strcmp(v, "ec") != 0 && strcmp(v, "rsa") != 0)
			lca_init_usage("--key-type: ec or rsa");
		o->key_type = v;
		break;
	case OPT_CURVE:
		if (strcmp(v, "P-256") != 0 && strcmp(v, "P-384") != 0)
			lca_init_usage("--curve: P-256 or P-384");
		o->curve = v;
		break;
	case OPT_BITS:
		if (util_parse_long(v, 2048, 8192, &o->rsa_bits) != 0)
			lca_init_usage("--bits: 2048 .. 8192");
		break;
	case OPT_SUBJECT:
		o->subject = v;
		break;
	case OPT_DAYS:
		if (util_parse_long(v, 1, 36500, &o->days) != 0)
			lca_init_usage("--days: 1 .. 36500");
		break;
	case OPT_IMPORT_KEY:
		o->import_key = v;
		break;
	case OPT_IMPORT_CHAIN:
		o->import_chain = v;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------- main */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: cmp-localca [-fnv] [-c file] [-R old-root-key] "
	    "[--allow-root]\n"
	    "       cmp-localca [-c file] --init-ca [--key-type ec|rsa]\n"
	    "           [--curve P-256|P-384] [--bits N] [--subject DN]\n"
	    "           [--days N]\n"
	    "       cmp-localca [-c file] --init-ca --import-key FILE\n"
	    "           --import-chain FILE\n"
	    "  -c file  configuration file (default " LCA_DEFAULT_CONF ")\n"
	    "  -f       stay in the foreground, log to stderr\n"
	    "  -n       check the configuration and the CA files, then exit\n"
	    "  -R key   roll the root CA over (key: the root's private key),\n"
	    "           writing ca_dir/rootupdate/, then exit\n"
	    "  -v       print the version and exit\n"
	    "  --allow-root  serve as root when \"user\" is not set (do "
	    "not)\n"
	    "  --init-ca  write a new CA into ca_dir (never over one), then\n"
	    "           exit: a self-signed one (default EC P-256, RSA 3072\n"
	    "           with --key-type rsa; subject \"CN=cmp-localca CA\",\n"
	    "           3650 days), or the key and chain imported (the CA's\n"
	    "           certificate first, up to the root)\n");
	exit(status);
}

/*
 * The files of c that hold secrets (the CA's key, the callers'
 * credentials, the database's password) that any user may read or
 * write, each said (daemon_secret_mode()) to say: named, not refused.
 */
static void
lca_secret_modes(const struct lca_conf *c, void (*say)(const char *))
{
	char key[PATH_MAX], what[PATH_MAX + 160];
	const char *keys[] = { "the CA's key", "auth_password_file",
	    "api_key_file", "db_password_file" };
	const char *paths[] = { key, c->auth_password_file, c->api_key_file,
	    c->db_password_file };
	size_t i;

	if (snprintf(key, sizeof(key), "%s/ca.key", c->ca_dir) >=
	    (int)sizeof(key))
		paths[0] = NULL;
	for (i = 0; i < NITEMS(paths); i++)
		if (daemon_secret_mode(keys[i], paths[i], what, sizeof(what)))
			say(what);
}

static void
lca_secret_stderr(const char *what)
{
	fprintf(stderr, "cmp-localca: warning: %s\n", what);
}

static void
lca_secret_log(const char *what)
{
	log_warn("%s", what);
}

int
main(int argc, char *argv[])
{
	const char *conf_path = LCA_DEFAULT_CONF, *rollover_key = NULL;
	struct lca_conf c;
	struct lca_ca ca;
	FCGX_Request rq;
	sigset_t stop_set;
	char err[1024];
	struct lca_init_opts init = {
		.key_type = "ec", .curve = "P-256", .rsa_bits = 3072,
		.subject = "CN=cmp-localca CA", .days = 3650,
	};
	int ch, foreground = 0, check_only = 0, init_ca = 0, init_opts = 0;
	int allow_root = 0;
	int fd, worker, status = 0;

	while ((ch = getopt_long(argc, argv, "c:fnR:vh", lca_long_opts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_INIT_CA:
			init_ca = 1;
			break;
		case OPT_ALLOW_ROOT:
			allow_root = 1;
			break;
		case OPT_KEY_TYPE:
		case OPT_CURVE:
		case OPT_BITS:
		case OPT_SUBJECT:
		case OPT_DAYS:
		case OPT_IMPORT_KEY:
		case OPT_IMPORT_CHAIN:
			lca_init_opt(&init, ch, optarg);
			init_opts = 1;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'R':
			rollover_key = optarg;
			break;
		case 'v':
			printf("cmp-localca %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (init_opts && !init_ca)
		lca_init_usage("--key-type, --curve, --bits, --subject, --days "
		    "and --import-* go with --init-ca");
	if (init_ca && (check_only || rollover_key != NULL || foreground))
		lca_init_usage("--init-ca goes with -c only");

	/* Start-up errors go to stderr whatever the mode. */
	log_init("cmp-localca", 1, LOG_DAEMON);
	if (lca_conf_load(conf_path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "cmp-localca: %s\n", err);
		return 1;
	}
	log_set_level(c.log_level);
	if (init_ca) {
		status = lca_init_ca(&c, &init, err, sizeof(err));
		if (status != 0)
			fprintf(stderr, "cmp-localca: %s\n", err);
		lca_conf_free(&c);
		return status != 0;
	}
	if (c.listen_group != NULL && getgrnam(c.listen_group) == NULL) {
		fprintf(stderr, "cmp-localca: %s: listen_group %s: no such "
		    "group\n", conf_path, c.listen_group);
		lca_conf_free(&c);
		return 1;
	}
	if (c.user != NULL && getpwnam(c.user) == NULL) {
		fprintf(stderr, "cmp-localca: %s: user %s: unknown\n",
		    conf_path, c.user);
		lca_conf_free(&c);
		return 1;
	}
	if (lca_auth_load(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "cmp-localca: %s\n", err);
		lca_conf_free(&c);
		return 1;
	}
	if (lca_ca_load(&ca, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "cmp-localca: %s\n", err);
		lca_conf_free(&c);
		return 1;
	}
	if (rollover_key != NULL) {
		status = lca_root_rollover(&c, &ca, rollover_key, err,
		    sizeof(err));
		if (status != 0)
			fprintf(stderr, "cmp-localca: %s\n", err);
		else
			printf("cmp-localca: root rolled over: %s/rootupdate\n",
			    c.ca_dir);
		lca_ca_free(&ca);
		lca_conf_free(&c);
		return status != 0;
	}
	if (check_only) {
		lca_secret_modes(&c, lca_secret_stderr);
		printf("cmp-localca: %s: configuration OK\n", conf_path);
		lca_ca_free(&ca);
		lca_conf_free(&c);
		return 0;
	}
	/* It parses what callers send and signs with the CA's key: never
	 * as root by accident (as cmpd's workers). */
	if (daemon_as_root(c.user) && !allow_root) {
		fprintf(stderr, "cmp-localca: refusing to serve as root: set "
		    "\"user\" in %s to an unprivileged user of its own (e.g. "
		    "user = cmp-localca), or start cmp-localca with "
		    "--allow-root\n",
		    conf_path);
		lca_ca_free(&ca);
		lca_conf_free(&c);
		return 1;
	}
	if (c.log_file != NULL && log_open_file(c.log_file) != 0) {
		fprintf(stderr, "cmp-localca: log_file %s: %s\n", c.log_file,
		    util_open_write_error(errno));
		lca_ca_free(&ca);
		lca_conf_free(&c);
		return 1;
	}
	/* blocked from before FCGX_Init, whose handler would only set
	 * libfcgi's shutdown flag, until cmp-localca's own are in place */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGINT);
	sigprocmask(SIG_BLOCK, &stop_set, NULL);
	if (FCGX_Init() != 0)
		fatal("FCGX_Init failed");
	lca_signals(&stop_set);
	fd = lca_listen(&c);
	if (!foreground) {
		daemon_detach(fd);
		log_init("cmp-localca", 0, LOG_DAEMON);
	}
	if (daemon_write_pid(c.pid_file) != 0)
		fatal("cannot write the pid file");
	/* still root, who may look into a ca_dir that is root's alone */
	lca_secret_modes(&c, lca_secret_log);
	lca_drop_privileges(&c);
	lca_db_configure(&c);
	if (FCGX_InitRequest(&rq, fd, 0) != 0)
		fatal("FCGX_InitRequest failed");
	log_info("cmp-localca %s listening on %s, CA %s", PACKAGE_VERSION,
	    c.listen, c.ca_dir);
	/* workers > 1: this process keeps them and serves none itself */
	worker = c.workers > 1 && lca_workers(c.workers) == 0;
	if (c.workers <= 1 || worker)
		status = lca_loop(&rq, fd, &stop_set, &c, &ca);
	FCGX_Free(&rq, 1);
	if (!worker) {
		if (c.listen[0] == '/' && unlink(c.listen) == -1)
			log_warn("cannot remove %s: %s", c.listen,
			    strerror(errno));
		if (c.pid_file != NULL && unlink(c.pid_file) == -1)
			log_warn("cannot remove %s: %s", c.pid_file,
			    strerror(errno));
		log_info("stopped");
	}
	lca_db_done();
	spki_done();
	key_memo_flush();
	lca_ca_free(&ca);
	lca_conf_free(&c);
	keyless_done();
	return status;
}
