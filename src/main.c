/*
 * cmpd - Certificate Management Protocol server, prefork FastCGI.
 *
 *   cmpd [-fnv] [-c file] [--allow-root] [--migrate]
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <json.h>
#include <pwd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/crypto.h>

#include "api.h"
#include "cmpd.h"
#include "conn.h"

#define DEFAULT_CONF	SYSCONFDIR "/cmpd.conf"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: cmpd [-fnv] [-c file] [--allow-root] [--no-db]\n"
	    "            [--migrate | --sweep |\n"
	    "            --sweep-now |\n"
	    "            --set-shared-secret name |\n"
	    "            --set-connector-credentials name |\n"
	    "            --set-signing-credentials name | --set-trust-anchors name]\n"
	    "  -c file    configuration file (default " DEFAULT_CONF ")\n"
	    "  -f         stay in the foreground, log to stderr\n"
	    "  -n         check the configuration and exit: the user, the\n"
	    "             files the workers read (as that user), the database\n"
	    "  --no-db    with -n: do not try the database\n"
	    "  -v         print the version and exit\n"
	    "  --allow-root\n"
	    "             let the workers run as root when the configuration\n"
	    "             names no \"user\" (otherwise refused)\n"
	    "  --migrate  apply the database schema migrations and exit\n"
	    "  --set-shared-secret name\n"
	    "             store the first line of standard input, encrypted with\n"
	    "             secret_key_file, as CMP Profile name's shared secret\n"
	    "  --set-connector-credentials name\n"
	    "             store standard input, a JSON object, encrypted as\n"
	    "             connector name's credentials\n"
	    "  --set-signing-credentials name\n"
	    "             store standard input, PEM: private key, signing\n"
	    "             certificate, its chain; the key encrypted\n"
	    "  --set-trust-anchors name\n"
	    "             store standard input, PEM certificates, as the anchors\n"
	    "             of signature-protected requests\n"
	    "  --sweep    reconcile with the CAs, revoke what must be, print\n"
	    "             what it did and what is left, and exit\n"
	    "  --sweep-now\n"
	    "             as --sweep, also asking about calls younger than\n"
	    "             connector_timeout (when no worker runs anywhere)\n");
	exit(status);
}

/* A column that holds a secret, sealed with secret_key_file. */
struct sealed_column {
	const char *what;	/* for messages */
	const char *sql_uuid;	/* name -> uuid */
	const char *sql_set;	/* (blob, uuid) */
	const char *column;	/* the AAD's table.column */
	size_t	 max;
	int	 json;		/* a JSON object; else the first line */
	const char *audit_type, *audit_field;	/* as the API audits it */
};

static const struct sealed_column shared_secret_col = {
	"CMP Profile", "SELECT uuid FROM cmp_profile WHERE name = ?",
	"UPDATE cmp_profile SET shared_secret_enc = ? WHERE uuid = ?",
	"cmp_profile.shared_secret_enc", PROFILE_SECRET_MAX, 0,
	"cmpProfile", "sharedSecret",
};
static const struct sealed_column connector_cred_col = {
	"connector", "SELECT uuid FROM connector WHERE name = ?",
	"UPDATE connector SET auth_data_enc = ? WHERE uuid = ?",
	"connector.auth_data_enc", PROFILE_ATTRS_MAX - 1, 1,
	"connector", "credentials",
};

/*
 * A change from the command line is audited as the API's are (doc/api.md:
 * every change, in its database transaction), its actor "cmpd:USER":
 * the audit row written and the transaction db_begin() opened committed.
 * detail is freed. 0, or -1 with nothing changed.
 */
static int
cmpd_commit_audited(const char *action, const char *type, const char *uuid,
    json_object *detail)
{
	struct passwd *pw = getpwuid(getuid());
	char actor[64];
	int r = 0;

	if (pw != NULL)
		snprintf(actor, sizeof(actor), "cmpd:%s", pw->pw_name);
	else
		snprintf(actor, sizeof(actor), "cmpd:%lu",
		    (unsigned long)getuid());
	if (detail == NULL || audit_write(actor, action, type, uuid,
	    detail) != 0 || db_commit() != DB_OK) {
		db_rollback();
		fprintf(stderr, "cmpd: the change could not be audited; "
		    "nothing was changed\n");
		r = -1;
	}
	json_object_put(detail);
	return r;
}

/* o with field: v added; NULL (both freed) when either is NULL or it
 * cannot be added. */
static json_object *
cmpd_detail(json_object *o, const char *field, json_object *v)
{
	if (o != NULL && v != NULL &&
	    json_object_object_add(o, field, v) == 0)
		return o;
	json_object_put(v);
	json_object_put(o);
	return NULL;
}

/* The secret as sc wants it: the first line, or a JSON object. */
static int
cmpd_secret_text(const struct sealed_column *sc, char *buf, size_t *n)
{
	struct json_tokener *tok;
	json_object *o;
	int ok;

	if (!sc->json) {
		*n = strcspn(buf, "\r\n");
		buf[*n] = '\0';
		if (*n == 0) {
			/* The reference's rule for sharedSecret profiles. */
			fprintf(stderr, "cmpd: Shared secret cannot be empty\n");
			return -1;
		}
		return 0;
	}
	if ((tok = json_tokener_new_ex(4)) == NULL)
		return -1;
	o = json_tokener_parse_ex(tok, buf, (int)*n);
	ok = o != NULL && json_object_is_type(o, json_type_object) &&
	    json_tokener_get_error(tok) == json_tokener_success;
	json_object_put(o);
	json_tokener_free(tok);
	if (!ok)
		fprintf(stderr, "cmpd: %s credentials must be one JSON object "
		    "(basic {\"username\",\"password\"}, apiKey {\"header\","
		    "\"key\"}, certificate {\"certificate\",\"privateKey\"})\n",
		    sc->what);
	return ok ? 0 : -1;
}

/*
 * Stores a secret for the row named name, sealed with secret_key_file and
 * bound to the row's column and uuid. The secret comes from standard input
 * (never the command line, which other users can read in /proc).
 */
static int
cmpd_store_sealed(const struct conf *c, const struct sealed_column *sc,
    const char *name)
{
	char uuid[CMPD_UUID_LEN + 1], *buf = NULL;
	size_t n = 0, cap = sc->max + 2;
	struct db_arg qa[1] = { DB_ARG_STR(name) };
	struct db_col col = { DB_STR, uuid, sizeof(uuid), 0, 0, 0, 0 };
	ssize_t got;
	int r = -1;

	if (secret_init(c) != 0 || !secret_available()) {
		fprintf(stderr, "cmpd: secret_key_file is needed to store "
		    "secrets\n");
		return -1;
	}
	if ((buf = malloc(cap)) == NULL)
		return -1;
	/* read(2), not stdio: no copy left in a buffer we cannot wipe */
	while (n < cap - 1 &&
	    (got = read(STDIN_FILENO, buf + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "cmpd: nothing on standard input\n");
		goto out;
	}
	if (n > sc->max && (sc->json || strcspn(buf, "\r\n") > sc->max)) {
		fprintf(stderr, "cmpd: longer than %zu bytes\n", sc->max);
		goto out;
	}
	if (cmpd_secret_text(sc, buf, &n) != 0)
		goto out;
	db_configure(c);
	if (db_run(sc->sql_uuid, qa, 1, &col, 1, NULL) != DB_OK) {
		fprintf(stderr, "cmpd: %s %s not found\n", sc->what, name);
		goto out;
	}
	if (db_begin() != DB_OK)
		goto out;
	if (cred_store_sealed(sc->sql_set, sc->column, uuid,
	    (unsigned char *)buf, n) != 0) {
		db_rollback();
		goto out;
	}
	if (cmpd_commit_audited("update", sc->audit_type, uuid,
	    cmpd_detail(json_object_new_object(), sc->audit_field,
	    json_object_new_string("(set)"))) != 0)
		goto out;
	printf("cmpd: secret of %s %s stored\n", sc->what, name);
	r = 0;
 out:
	OPENSSL_clear_free(buf, cap);
	db_close();
	return r;
}

/*
 * Reads PEM from standard input: a private key (with_key), certificates,
 * and, when crls is not NULL, the CRLs among them.
 */
static int
cmpd_read_pem(int with_key, EVP_PKEY **key, STACK_OF(X509) **certs,
    STACK_OF(X509_CRL) **crls)
{
	unsigned char *buf = NULL;
	size_t n = 0, cap = PROFILE_SIGN_MAX * 2;
	char err[128];
	ssize_t got;
	int r;

	*key = NULL;
	*certs = NULL;
	/* read(2) into a buffer that is wiped afterwards (the key) */
	if ((buf = malloc(cap)) == NULL)
		return -1;
	while (n < cap && (got = read(STDIN_FILENO, buf + n, cap - n)) > 0)
		n += (size_t)got;
	r = cred_parse_pem((const char *)buf, n, with_key ? key : NULL, certs,
	    err, sizeof(err));
	if (r == 0 && crls != NULL && (r = cred_parse_crls((const char *)buf,
	    n, crls, err, sizeof(err))) != 0) {
		sk_X509_pop_free(*certs, X509_free);
		*certs = NULL;
	}
	if (r != 0)
		fprintf(stderr, "cmpd: standard input: %s\n", err);
	OPENSSL_clear_free(buf, cap);
	return r;
}

/*
 * --set-signing-credentials: PEM key, signing certificate, its chain; the
 * key is sealed. --set-trust-anchors: PEM certificates that request
 * signers must chain to.
 */
static int
cmpd_set_signing(const struct conf *c, const char *name, int anchors_only)
{
	static const char sql_uuid[] = "SELECT uuid FROM cmp_profile "
	    "WHERE name = ?";
	char uuid[CMPD_UUID_LEN + 1], err[128];
	struct db_arg qa[1] = { DB_ARG_STR(name) };
	struct db_col col = { DB_STR, uuid, sizeof(uuid), 0, 0, 0, 0 };
	STACK_OF(X509) *certs = NULL;
	STACK_OF(X509_CRL) *crls = NULL;
	EVP_PKEY *key = NULL;
	int r = -1, ncrl;

	if (!anchors_only && (secret_init(c) != 0 || !secret_available())) {
		fprintf(stderr, "cmpd: secret_key_file is needed to store "
		    "secrets\n");
		return -1;
	}
	if (cmpd_read_pem(!anchors_only, &key, &certs,
	    anchors_only ? &crls : NULL) != 0)
		goto out;
	db_configure(c);
	if (db_run(sql_uuid, qa, 1, &col, 1, NULL) != DB_OK) {
		fprintf(stderr, "cmpd: CMP Profile %s not found\n", name);
		goto out;
	}
	if (anchors_only) {
		if (cred_der_len(certs, 0) > PROFILE_SIGN_MAX ||
		    cred_der_crls_len(crls) > PROFILE_SIGN_MAX) {
			fprintf(stderr, "cmpd: more than %d bytes of "
			    "certificates or CRLs\n", PROFILE_SIGN_MAX);
			goto out;
		}
		ncrl = crls != NULL ? sk_X509_CRL_num(crls) : 0;
		if (db_begin() != DB_OK)
			goto out;
		if (cred_store_anchors(uuid, certs, crls) != 0) {
			db_rollback();
			goto out;
		}
		if (cmpd_commit_audited("setTrustAnchors", "cmpProfile", uuid,
		    cmpd_detail(cmpd_detail(json_object_new_object(),
		    "certificates", json_object_new_int(sk_X509_num(certs))),
		    "crls", json_object_new_int(ncrl))) != 0)
			goto out;
		printf("cmpd: %d trust anchor%s and %d CRL%s of CMP Profile "
		    "%s stored\n", sk_X509_num(certs),
		    sk_X509_num(certs) == 1 ? "" : "s", ncrl,
		    ncrl == 1 ? "" : "s", name);
		r = 0;
		goto out;
	}
	if (db_begin() != DB_OK)
		goto out;
	if (cred_store_signing(uuid, key, certs, err, sizeof(err)) != 0) {
		db_rollback();
		fprintf(stderr, "cmpd: %s\n", err);
		goto out;
	}
	if (cmpd_commit_audited("setSigningCredentials", "cmpProfile", uuid,
	    cmpd_detail(cmpd_detail(json_object_new_object(),
	    "signingCredentials", json_object_new_string("(set)")),
	    "certificates", json_object_new_int(sk_X509_num(certs)))) != 0)
		goto out;
	printf("cmpd: signing key, certificate and %d chain certificate%s of "
	    "CMP Profile %s stored\n", sk_X509_num(certs) - 1,
	    sk_X509_num(certs) == 2 ? "" : "s", name);
	r = 0;
 out:
	EVP_PKEY_free(key);
	sk_X509_pop_free(certs, X509_free);
	sk_X509_CRL_pop_free(crls, X509_CRL_free);
	db_close();
	return r;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "migrate", no_argument, NULL, 'M' },
		{ "set-shared-secret", required_argument, NULL, 'S' },
		{ "sweep", no_argument, NULL, 'W' },
		{ "sweep-now", no_argument, NULL, 'N' },
		{ "set-connector-credentials", required_argument, NULL, 'K' },
		{ "set-signing-credentials", required_argument, NULL, 'G' },
		{ "set-trust-anchors", required_argument, NULL, 'A' },
		{ "allow-root", no_argument, NULL, 'R' },
		{ "no-db", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = DEFAULT_CONF, *secret_profile = NULL;
	const char *cred_connector = NULL, *signing_profile = NULL;
	const char *anchors_profile = NULL;
	struct sweep_stats st;
	int sweep_age = -1;
	int ch, foreground = 0, check_only = 0, migrate = 0, sweep = 0, fd, r;
	int allow_root = 0, with_db = 1;
	char err[512], abs_path[PATH_MAX];
	struct conf c;

	while ((ch = getopt_long(argc, argv, "c:fnvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'v':
			printf("cmpd %s\n", CMPD_VERSION);
			return 0;
		case 'M':
			migrate = 1;
			break;
		case 'S':
			secret_profile = optarg;
			break;
		case 'N':
			sweep_age = 0;
			/* FALLTHROUGH */
		case 'W':
			sweep = 1;
			break;
		case 'K':
			cred_connector = optarg;
			break;
		case 'G':
			signing_profile = optarg;
			break;
		case 'A':
			anchors_profile = optarg;
			break;
		case 'R':
			allow_root = 1;
			break;
		case 'D':
			with_db = 0;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	/* Start-up errors go to stderr whatever the mode. */
	log_init("cmpd", 1, 0);
	/* SIGHUP re-reads the file after the daemon's chdir("/"). */
	if (realpath(conf_path, abs_path) != NULL)
		conf_path = abs_path;
	if (conf_load(conf_path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "cmpd: %s\n", err);
		return 1;
	}
	log_set_level(c.log_level);
	if (check_only) {
		r = check_run(&c, with_db, allow_root);
		if (r == 0)
			printf("cmpd: %s: configuration OK%s\n", conf_path,
			    with_db ? "" : " (database not tried)");
		conf_free(&c);
		return r == 0 ? 0 : 1;
	}
	if (migrate) {
		r = migrate_run(&c);
		conf_free(&c);
		return r == 0 ? 0 : 1;
	}
	if (sweep) {
		/* The workers sweep too; this is for cron and tests. */
		db_configure(&c);
		if (secret_init(&c) != 0 || conn_init(&c) != 0)
			return 1;
		/* Waits for a worker's sweep to end (or for the lease of
		 * one killed to run out), then does its own. */
		r = cmp_sweep(&c, 1000, -1, sweep_age, &st);
		if (r >= 0) {
			printf("cmpd: %d certificate%s revoked, %d failed; "
			    "reconciled: %d recorded, %d nothing issued, "
			    "%d unknown at the CA, %d to ask again", r,
			    r == 1 ? "" : "s", st.revoke_failed, st.recorded,
			    st.nothing, st.unknown, st.retry);
			/* what a cron job's mail should show: work left */
			if (st.left_known)
				printf("; left: %lld revoke_pending, %lld "
				    "issuing, %lld unknown_at_ca, %lld waiting",
				    st.left_revoke, st.left_issuing,
				    st.left_unknown, st.left_waiting);
			printf("\n");
		} else
			fprintf(stderr, "cmpd: sweep failed: database "
			    "unavailable, or another sweep still running\n");
		conn_done();
		db_close();
		conf_free(&c);
		return r < 0 ? 1 : 0;
	}
	if (signing_profile != NULL || anchors_profile != NULL) {
		r = cmpd_set_signing(&c, signing_profile != NULL ?
		    signing_profile : anchors_profile, signing_profile == NULL);
		conf_free(&c);
		return r == 0 ? 0 : 1;
	}
	if (cred_connector != NULL) {
		r = cmpd_store_sealed(&c, &connector_cred_col, cred_connector);
		conf_free(&c);
		return r == 0 ? 0 : 1;
	}
	if (secret_profile != NULL) {
		r = cmpd_store_sealed(&c, &shared_secret_col, secret_profile);
		conf_free(&c);
		return r == 0 ? 0 : 1;
	}
	/* The server from here on. A reload (SIGHUP, whose default would
	 * end cmpd: a service manager may send it as soon as cmpd runs,
	 * while it still waits for the database) or a log file reopen
	 * (SIGUSR1) asked while it starts waits, blocked, for the master,
	 * which takes both (master_run). */
	{
		sigset_t later;

		sigemptyset(&later);
		sigaddset(&later, SIGHUP);
		sigaddset(&later, SIGUSR1);
		sigprocmask(SIG_BLOCK, &later, NULL);
	}
	/* Before anything is bound or written: the workers parse what
	 * any client sends, and must not do so as root by accident. */
	if (daemon_as_root(c.user) && !allow_root) {
		fprintf(stderr, "cmpd: refusing to run the workers as root: set "
		    "\"user\" in %s to an unprivileged user (e.g. user = cmpd), "
		    "or start cmpd with --allow-root\n", conf_path);
		conf_free(&c);
		return 1;
	}
	if (c.log_file != NULL && log_open_file(c.log_file) != 0) {
		fprintf(stderr, "cmpd: log_file %s: %s\n", c.log_file,
		    util_open_write_error(errno));
		conf_free(&c);
		return 1;
	}
	/* Not on a schema older than this cmpd's (an upgrade before
	 * cmpd --migrate ran): its requests would fail. */
	if (migrate_check(&c) != 0) {
		fprintf(stderr, "cmpd: the database's schema is older than "
		    "this cmpd: run cmpd --migrate first (the log says more)\n");
		conf_free(&c);
		return 1;
	}
	/* FCGX_Init installs libfcgi's own handlers for SIGTERM and SIGUSR1
	 * (its accept loop's shutdown flag); cmpd has its own life cycle.
	 * A SIGTERM meanwhile would only set that flag, and every worker
	 * would then spin in an accept that never accepts: it waits,
	 * blocked, until the default is back, and ends cmpd then. SIGUSR1
	 * stays blocked (above) until the master takes it. */
	{
		sigset_t term, before;

		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigprocmask(SIG_BLOCK, &term, &before);
		if (FCGX_Init() != 0)
			fatal("FCGX_Init failed");
		signal(SIGTERM, SIG_DFL);
		signal(SIGUSR1, SIG_DFL);
		signal(SIGPIPE, SIG_IGN);
		sigprocmask(SIG_SETMASK, &before, NULL);
	}
	fd = master_listen(&c);
	if (!foreground) {
		daemon_detach(fd);
		log_init("cmpd", 0, c.log_facility);
	}
	r = master_run(&c, fd, allow_root);
	conf_free(&c);
	return r;
}
