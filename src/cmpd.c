/*
 * cmpd - Certificate Management Protocol server, prefork FastCGI.
 *
 *   cmpd [-fnv] [-c file] [--migrate]
 */
#include "config.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <openssl/crypto.h>

#include "cmpd.h"
#include "conn.h"

#define DEFAULT_CONF	SYSCONFDIR "/cmpd.conf"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: cmpd [-fnv] [-c file] [--migrate | --sweep |\n"
	    "            --set-shared-secret name]\n"
	    "  -c file    configuration file (default " DEFAULT_CONF ")\n"
	    "  -f         stay in the foreground, log to stderr\n"
	    "  -n         check the configuration and exit\n"
	    "  -v         print the version and exit\n"
	    "  --migrate  apply the database schema migrations and exit\n"
	    "  --set-shared-secret name\n"
	    "             store the first line of standard input, encrypted with\n"
	    "             secret_key_file, as CMP Profile name's shared secret\n"
	    "  --sweep    revoke certificates not confirmed in time, and exit\n");
	exit(status);
}

/*
 * Detaches from the terminal. fd 0 stays when it is the inherited
 * listening socket; the rest goes to /dev/null. Paths in the configuration
 * are absolute (conf.c), so the chdir("/") changes nothing they name.
 */
static void
detach(int listen_fd)
{
	int fd;

	if (daemon(0, 1) == -1)
		fatal("daemon: %m");
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null: %m");
	if (listen_fd != STDIN_FILENO)
		dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * Stores a CMP Profile's shared secret, sealed with secret_key_file and
 * bound to the profile's uuid. The secret comes from standard input (never
 * the command line, which other users can read in /proc).
 */
static int
cmpd_set_shared_secret(const struct conf *c, const char *name)
{
	static const char sql_uuid[] = "SELECT uuid FROM cmp_profile "
	    "WHERE name = ?";
	static const char sql_set[] = "UPDATE cmp_profile SET "
	    "shared_secret_enc = ? WHERE uuid = ?";
	char line[PROFILE_SECRET_MAX + 2], uuid[CMPD_UUID_LEN + 1];
	char aad[SECRET_AAD_MAX];
	ssize_t got;
	unsigned char *blob = NULL;
	size_t n, bloblen = 0;
	struct db_arg qa[1] = { DB_ARG_STR(name) };
	struct db_col col = { DB_STR, uuid, sizeof(uuid), 0, 0, 0, 0 };
	int r = -1;

	if (secret_init(c) != 0 || !secret_available()) {
		fprintf(stderr, "cmpd: secret_key_file is needed to store "
		    "secrets\n");
		return -1;
	}
	/* read(2), not stdio: no copy left in a buffer we cannot wipe */
	n = 0;
	while (n < sizeof(line) - 1 &&
	    (got = read(STDIN_FILENO, line + n, sizeof(line) - 1 - n)) > 0)
		n += (size_t)got;
	line[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "cmpd: no secret on standard input\n");
		goto out;
	}
	n = strcspn(line, "\r\n");
	if (line[n] == '\0' && n == sizeof(line) - 1) {
		fprintf(stderr, "cmpd: secret longer than %d bytes\n",
		    PROFILE_SECRET_MAX);
		goto out;
	}
	line[n] = '\0';
	if (n == 0) {
		/* The reference's rule for sharedSecret profiles. */
		fprintf(stderr, "cmpd: Shared secret cannot be empty\n");
		goto out;
	}
	db_configure(c);
	if (db_run(sql_uuid, qa, 1, &col, 1, NULL) != DB_OK) {
		fprintf(stderr, "cmpd: CMP Profile %s not found\n", name);
		goto out;
	}
	SECRET_AAD(aad, "cmp_profile.shared_secret_enc", uuid);
	if (secret_seal((unsigned char *)line, n, aad, &blob, &bloblen) != 0)
		goto out;
	{
		struct db_arg sa[2] = { DB_ARG_BLOB(blob, bloblen),
		    DB_ARG_STR(uuid) };

		if (db_run(sql_set, sa, 2, NULL, 0, NULL) != DB_OK)
			goto out;
	}
	printf("cmpd: shared secret of CMP Profile %s stored\n", name);
	r = 0;
 out:
	OPENSSL_cleanse(line, sizeof(line));
	OPENSSL_free(blob);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = DEFAULT_CONF, *secret_profile = NULL;
	int ch, foreground = 0, check_only = 0, migrate = 0, sweep = 0, fd, r;
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
		case 'W':
			sweep = 1;
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
		printf("cmpd: %s: configuration OK\n", conf_path);
		conf_free(&c);
		return 0;
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
		r = cmp_sweep(1000);
		if (r >= 0)
			printf("cmpd: %d unconfirmed certificate%s revoked\n", r,
			    r == 1 ? "" : "s");
		conn_done();
		db_close();
		conf_free(&c);
		return r < 0 ? 1 : 0;
	}
	if (secret_profile != NULL) {
		r = cmpd_set_shared_secret(&c, secret_profile);
		conf_free(&c);
		return r == 0 ? 0 : 1;
	}
	if (FCGX_Init() != 0)
		fatal("FCGX_Init failed");
	/* FCGX_Init installs libfcgi's own handlers for SIGTERM and SIGUSR1
	 * (its accept loop's shutdown flag); cmpd has its own life cycle. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	fd = master_listen(&c);
	if (!foreground) {
		detach(fd);
		log_init("cmpd", 0, c.log_facility);
	}
	r = master_run(&c, fd);
	conf_free(&c);
	return r;
}
