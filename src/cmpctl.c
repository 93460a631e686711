/*
 * cmpctl - the administrator's command line.
 *
 * cmpctl does not speak HTTP: it loads cmpd's configuration and runs the
 * management API (api.c) in-process against the database, with the admin
 * role and the actor "cmpctl:USER", so that a change made here is checked
 * and audited exactly like one made through /api/v1. Fields of a body are
 * given as httpie does: key=value, key:=json, key=@file. Secrets only ever
 * come from files or standard input: every local user can read a process'
 * command line in /proc/PID/cmdline.
 *
 *   cmpctl [-c file] command [arguments]
 *
 * This file holds main() and the table of commands; the commands live in
 * cmpctl_*.c, one file per kind of object (cmpctl.h).
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmpctl.h"
#include "conn.h"

#define DEFAULT_CONF	SYSCONFDIR "/cmpd.conf"

/* what a command needs before it runs */
enum ctl_need { NEED_NOTHING, NEED_CONF, NEED_DB };

/* ------------------------------------------------------------ commands */

static int
cmd_migrate(struct ctl *x, int argc, char **argv)
{
	(void)argv;
	if (argc != 1)
		return CTL_USAGE;
	if (migrate_run(&x->conf) != 0)
		return CTL_FAIL;
	printf("cmpctl: the schema of %s is up to date\n", x->conf.db_name);
	return CTL_OK;
}

/* ------------------------------------------------------------- main */

static const struct ctl_cmd {
	const char *name;
	enum ctl_need need;
	int	(*fn)(struct ctl *, int, char **);
	const char *summary;
	const char *usage;
} ctl_cmds[] = {
	{ "migrate", NEED_CONF, cmd_migrate,
	    "apply the database schema migrations",
	    "usage: cmpctl migrate\n"
	    "  Applies the schema migrations in schema_dir (cmpd --migrate).\n" },
	{ "routes", NEED_NOTHING, cmd_routes,
	    "print the routes of the management API",
	    "usage: cmpctl routes\n"
	    "  Prints \"METHOD /api/v1/PATH ROLE\" for every route.\n" },
	{ "api", NEED_DB, cmd_api,
	    "call one route of the management API",
	    "usage: cmpctl api METHOD PATH [BODY]\n"
	    "  PATH is below /api/v1 and may carry ?query; BODY is JSON text,\n"
	    "  @FILE, or - for standard input.\n" },
	{ "apikey", NEED_DB, cmd_apikey,
	    "create, list and delete API keys",
	    "usage: cmpctl apikey create NAME --role read|admin [--out FILE]\n"
	    "       cmpctl apikey list\n"
	    "       cmpctl apikey delete KEY...\n"
	    "  The key is shown once: printed, or with --out written to a new\n"
	    "  FILE of mode 0600 instead. KEY is a UUID or a name.\n" },
	{ "profile", NEED_DB, cmd_profile,
	    "manage CMP Profiles",
	    "usage: cmpctl profile list\n"
	    "       cmpctl profile show P\n"
	    "       cmpctl profile show P --openssl [--server URL]\n"
	    "       cmpctl profile create [NAME] FIELD...\n"
	    "           [--signing-key FILE --signing-chain FILE]\n"
	    "           [--trust-anchors FILE]\n"
	    "       cmpctl profile edit P FIELD...\n"
	    "       cmpctl profile enable|disable P...\n"
	    "       cmpctl profile delete P... [--force]\n"
	    "       cmpctl profile set-ra P RA\n"
	    "       cmpctl profile signing P PEMFILE [PEMFILE]\n"
	    "       cmpctl profile anchors P PEMFILE\n"
	    "       cmpctl profile show-anchors P\n"
	    "       cmpctl profile ra-list P\n"
	    "       cmpctl profile ra-add P PEMFILE PERMISSION[,PERMISSION...]\n"
	    "       cmpctl profile ra-update P ID PERMISSION[,PERMISSION...]\n"
	    "       cmpctl profile ra-delete P ID\n"
	    "  P is a CMP Profile, RA an RA Profile, by UUID or name. FIELD is\n"
	    "  key=value, key:=json, key=@file or key:=@file (@- is standard\n"
	    "  input); sharedSecret and signingCredentials only from files.\n"
	    "  signing: the private key and the certificate chain, PEM.\n"
	    "  create --signing-key, --signing-chain: the signing credentials\n"
	    "  from PEM files, and signature protection both ways unless the\n"
	    "  fields set it; --trust-anchors: the request signers' anchors.\n"
	    "  show --openssl: the CMP URLs and an openssl cmp command line\n"
	    "  per operation, for the server at URL (public_url, or\n"
	    "  http://127.0.0.1).\n"
	    "  ra-add: an RA's certificate (or its CA's), PEM, and what it may\n"
	    "  do: enroll, revoke, raVerified. ra-update: those permissions\n"
	    "  replace the entry's.\n" },
	{ "device", NEED_DB, cmd_device,
	    "manage a CMP Profile's device entries (per-device secrets)",
	    "usage: cmpctl device list P [state=active|used|expired|locked]\n"
	    "                            [after=REF] [limit=N]\n"
	    "       cmpctl device show P REF\n"
	    "       cmpctl device add P reference=REF secret=@FILE FIELD...\n"
	    "       cmpctl device update P REF FIELD...\n"
	    "       cmpctl device unlock P REF\n"
	    "       cmpctl device delete P REF...\n"
	    "       cmpctl device import P FILE.csv\n"
	    "  P is a CMP Profile by UUID or name, REF a device's reference\n"
	    "  (the senderKID it sends). FIELD: subject, san, notAfter, uses;\n"
	    "  update also secret=@FILE, unlock:=true, and key:=null clears a\n"
	    "  constraint. list: at most limit (1000) entries after REF.\n"
	    "  The CSV's header line names its columns: reference,secret and\n"
	    "  any of subject,san,notAfter,uses.\n" },
	{ "connector", NEED_DB, cmd_connector,
	    "manage connectors",
	    "usage: cmpctl connector list\n"
	    "       cmpctl connector show C\n"
	    "       cmpctl connector create FIELD...\n"
	    "       cmpctl connector edit C FIELD...\n"
	    "       cmpctl connector delete C...\n"
	    "  credentials only from a file: credentials:=@FILE.\n" },
	{ "authority", NEED_DB, cmd_authority,
	    "manage authorities",
	    "usage: cmpctl authority list\n"
	    "       cmpctl authority show A\n"
	    "       cmpctl authority create FIELD...\n"
	    "       cmpctl authority edit A FIELD...\n"
	    "       cmpctl authority delete A...\n" },
	{ "raprofile", NEED_DB, cmd_raprofile,
	    "manage RA Profiles and their CMP protocol",
	    "usage: cmpctl raprofile list\n"
	    "       cmpctl raprofile show RA\n"
	    "       cmpctl raprofile create AUTHORITY FIELD...\n"
	    "       cmpctl raprofile edit RA FIELD...\n"
	    "       cmpctl raprofile enable|disable RA...\n"
	    "       cmpctl raprofile delete RA...\n"
	    "       cmpctl raprofile cmp-show RA\n"
	    "       cmpctl raprofile cmp-activate RA P [FIELD...]\n"
	    "       cmpctl raprofile cmp-deactivate RA\n" },
	{ "certificates", NEED_DB, cmd_certificates,
	    "list certificates, or show one",
	    "usage: cmpctl certificates [KEY=VALUE...]\n"
	    "       cmpctl certificates UUID\n"
	    "  KEY: cmpProfileUuid raProfileUuid status serialNumber subject\n"
	    "  limit offset after.\n" },
	{ "transactions", NEED_DB, cmd_transactions,
	    "list CMP transactions, or show one",
	    "usage: cmpctl transactions [KEY=VALUE...]\n"
	    "       cmpctl transactions TRANSACTIONID\n"
	    "  KEY: state cmpProfileUuid limit offset after afterPosition.\n" },
	{ "audit", NEED_DB, cmd_audit,
	    "list the audit log",
	    "usage: cmpctl audit [KEY=VALUE...]\n"
	    "  KEY: objectType objectUuid actor limit offset after.\n" },
	{ "key", NEED_NOTHING, cmd_key,
	    "create or rotate the master key of secrets at rest",
	    "usage: cmpctl key create FILE\n"
	    "       cmpctl key rotate NEWFILE\n"
	    "       cmpctl key rotate\n"
	    "  create writes a new key to FILE (mode 0600), never over a file.\n"
	    "  rotate re-encrypts every secret in the database with the key\n"
	    "  in NEWFILE; then set secret_key_file = NEWFILE.\n"
	    "  Without NEWFILE: every secret that opens with\n"
	    "  secret_key_file_previous, with secret_key_file, while cmpd\n"
	    "  opens both; then remove secret_key_file_previous.\n" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: cmpctl [-c file] command [arguments]\n"
	    "  -c file    cmpd's configuration (default " DEFAULT_CONF ")\n"
	    "  -v         print the version and exit\n"
	    "commands (cmpctl command --help for more):\n");
	for (i = 0; i < NITEMS(ctl_cmds); i++)
		fprintf(f, "  %-13s%s\n", ctl_cmds[i].name,
		    ctl_cmds[i].summary);
}

/* What a command needs: the configuration, the database, the key. */
static int
ctl_load(struct ctl *x, enum ctl_need need)
{
	char err[512];

	if (need >= NEED_CONF && !x->have_conf) {
		if (conf_load(x->conf_path, &x->conf, err, sizeof(err)) != 0) {
			fprintf(stderr, "cmpctl: %s\n", err);
			return -1;
		}
		x->have_conf = 1;
		/* what the API checks a template's keySpec against */
		cmp_pubkey_level(x->conf.key_security_level);
		/* warnings and errors: the answer is what the user wants */
		log_set_level(x->conf.log_level < LOG_LVL_WARN ?
		    x->conf.log_level : LOG_LVL_WARN);
	}
	if (need >= NEED_DB && !x->have_db) {
		db_configure(&x->conf);
		x->have_db = 1;
		if (secret_init(&x->conf) != 0) {
			fprintf(stderr, "cmpctl: cannot load secret_key_file "
			    "%s\n", x->conf.secret_key_file);
			return -1;
		}
		if (conn_init(&x->conf) != 0) {
			fprintf(stderr, "cmpctl: cannot set up the connector "
			    "client\n");
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const struct ctl_cmd *cmd = NULL;
	struct passwd *pw;
	struct ctl x;
	size_t i;
	int ch, r;

	memset(&x, 0, sizeof(x));
	x.conf_path = DEFAULT_CONF;
	/* "+": options end at the command */
	while ((ch = getopt_long(argc, argv, "+c:hv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			x.conf_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return CTL_OK;
		case 'v':
			printf("cmpctl %s\n", CMPD_VERSION);
			return CTL_OK;
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return CTL_USAGE;
	}
	if (strcmp(argv[0], "help") == 0) {
		if (argc == 1) {
			usage(stdout);
			return CTL_OK;
		}
		argv[0] = argv[1];
		argv[1] = (char *)"--help";
		argc = 2;
	}
	for (i = 0; i < NITEMS(ctl_cmds); i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			cmd = &ctl_cmds[i];
	if (cmd == NULL) {
		fprintf(stderr, "cmpctl: no command %s\n", argv[0]);
		usage(stderr);
		return CTL_USAGE;
	}
	for (ch = 1; ch < argc; ch++)
		if (strcmp(argv[ch], "--help") == 0 ||
		    strcmp(argv[ch], "-h") == 0) {
			fputs(cmd->usage, stdout);
			return CTL_OK;
		}

	log_init("cmpctl", 1, 0);
	log_set_level(LOG_LVL_WARN);
	if ((pw = getpwuid(getuid())) != NULL)
		snprintf(x.actor, sizeof(x.actor), "cmpctl:%s", pw->pw_name);
	else
		snprintf(x.actor, sizeof(x.actor), "cmpctl:%lu",
		    (unsigned long)getuid());
	/* key rotate needs the database, key create nothing */
	if (ctl_load(&x, cmd->fn == cmd_key && argc > 1 &&
	    strcmp(argv[1], "rotate") == 0 ? NEED_DB : cmd->need) != 0)
		r = CTL_FAIL;
	else
		r = cmd->fn(&x, argc, argv);
	if (r == CTL_USAGE)
		fputs(cmd->usage, stderr);
	if (x.have_db) {
		conn_done();
		db_close();
	}
	secret_reseal_done();
	if (x.have_conf)
		conf_free(&x.conf);
	return r;
}
