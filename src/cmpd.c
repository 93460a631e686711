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
