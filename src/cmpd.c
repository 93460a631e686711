/*
 * cmpd - Certificate Management Protocol server, prefork FastCGI.
 *
 *   cmpd [-fnv] [-c file] [--migrate]
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "cmpd.h"

#define DEFAULT_CONF	SYSCONFDIR "/cmpd.conf"

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: cmpd [-fnv] [-c file] [--migrate]\n"
	    "  -c file    configuration file (default " DEFAULT_CONF ")\n"
	    "  -f         stay in the foreground, log to stderr\n"
	    "  -n         check the configuration and exit\n"
	    "  -v         print the version and exit\n"
	    "  --migrate  apply the database schema migrations and exit\n");
	exit(status);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "migrate", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = DEFAULT_CONF;
	int ch, foreground = 0, check_only = 0, migrate = 0, fd, r;
	struct conf c;
	char err[512];

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
	if (FCGX_Init() != 0)
		fatal("FCGX_Init failed");
	fd = master_listen(&c);
	if (!foreground) {
		if (daemon(0, 0) == -1)
			fatal("daemon: %m");
		log_init("cmpd", 0, c.log_facility);
	}
	r = master_run(&c, fd);
	conf_free(&c);
	return r;
}
