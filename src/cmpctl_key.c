/*
 * cmpctl_key.c - the master key of secrets at rest: a new key, and the
 * rotation of every sealed value in the database to another key.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "cmpctl.h"

#define CTL_SEALED_MAX	16384		/* the widest *_enc column */

/* The columns that hold sealed values; the AAD is "table.column|uuid". */
static const struct ctl_sealed {
	const char *column;
	const char *sql_next;	/* the next row after uuid ?, locked */
	const char *sql_set;	/* (blob, uuid) */
} ctl_sealed[] = {
	{ "cmp_profile.shared_secret_enc",
	    "SELECT uuid, shared_secret_enc FROM cmp_profile WHERE "
	    "shared_secret_enc IS NOT NULL AND uuid > ? ORDER BY uuid "
	    "LIMIT 1 FOR UPDATE",
	    "UPDATE cmp_profile SET shared_secret_enc = ? WHERE uuid = ?" },
	{ "cmp_profile.signing_key_enc",
	    "SELECT uuid, signing_key_enc FROM cmp_profile WHERE "
	    "signing_key_enc IS NOT NULL AND uuid > ? ORDER BY uuid "
	    "LIMIT 1 FOR UPDATE",
	    "UPDATE cmp_profile SET signing_key_enc = ? WHERE uuid = ?" },
	{ "connector.auth_data_enc",
	    "SELECT uuid, auth_data_enc FROM connector WHERE "
	    "auth_data_enc IS NOT NULL AND uuid > ? ORDER BY uuid "
	    "LIMIT 1 FOR UPDATE",
	    "UPDATE connector SET auth_data_enc = ? WHERE uuid = ?" },
	{ "cmp_device.secret_enc",
	    "SELECT uuid, secret_enc FROM cmp_device WHERE uuid > ? "
	    "ORDER BY uuid LIMIT 1 FOR UPDATE",
	    "UPDATE cmp_device SET secret_enc = ? WHERE uuid = ?" },
};

/*
 * Re-seals every value of one column, a row at a time in UUID order (no
 * list of rows in memory, however many there are). *done counts the
 * values re-sealed, *kept those sealed with the new key already. With
 * per_row, each row is a transaction of its own: read locked, written,
 * committed (otherwise the caller's transaction holds them all).
 */
static int
ctl_rotate_column(const struct ctl_sealed *s, int per_row, long *done,
    long *kept)
{
	char prev[CMPD_UUID_LEN + 1] = "", uuid[CMPD_UUID_LEN + 1];
	char aad[SECRET_AAD_MAX];
	unsigned char *blob = NULL, *sealed = NULL;
	size_t sealed_len = 0;
	int rc, r = -1;

	if ((blob = malloc(CTL_SEALED_MAX)) == NULL)
		return -1;
	for (;;) {
		struct db_arg a[1] = { DB_ARG_STR(prev) };
		struct db_col c[2] = {
			{ DB_STR, uuid, sizeof(uuid), 0, 0, 0, 0 },
			{ DB_BLOB, blob, CTL_SEALED_MAX, 0, 0, 0, 0 },
		};

		if (per_row && db_begin() != DB_OK)
			goto out;
		if ((rc = db_run(s->sql_next, a, 1, c, 2, NULL)) ==
		    DB_NOTFOUND) {
			if (per_row)
				db_rollback();
			break;
		}
		if (rc != DB_OK || c[1].null)
			goto out;
		SECRET_AAD(aad, s->column, uuid);
		rc = secret_reseal(blob, c[1].len, aad, &sealed, &sealed_len);
		if (rc < 0) {
			fprintf(stderr, "cmpctl: %s of %s opens with neither "
			    "key\n", s->column, uuid);
			goto out;
		}
		if (rc == 0) {
			struct db_arg u[2] = {
			    DB_ARG_BLOB(sealed, sealed_len), DB_ARG_STR(uuid) };

			if (db_run(s->sql_set, u, 2, NULL, 0, NULL) != DB_OK)
				goto out;
		}
		if (per_row && db_commit() != DB_OK) {
			per_row = 0;	/* nothing left to roll back */
			goto out;
		}
		/* counted once it holds (per row: committed) */
		if (rc == 0)
			(*done)++;
		else
			(*kept)++;
		OPENSSL_free(sealed);
		sealed = NULL;
		memcpy(prev, uuid, sizeof(prev));
	}
	r = 0;
 out:
	if (r != 0 && per_row)
		db_rollback();
	OPENSSL_free(sealed);
	free(blob);
	return r;
}

/*
 * The audit row of a rotation from secret_key_file_previous that
 * re-sealed done values; complete 0: it stopped there (and is to be run
 * again). 0, or -1 when it could not be written.
 */
static int
key_rotate_audit(struct ctl *x, long done, int complete)
{
	json_object *detail;
	int r = -1;

	if ((detail = json_object_new_object()) == NULL ||
	    json_object_object_add(detail, "values",
	    json_object_new_int64(done)) != 0 ||
	    json_object_object_add(detail, "from",
	    json_object_new_string("secret_key_file_previous")) != 0 ||
	    (!complete && json_object_object_add(detail, "complete",
	    json_object_new_boolean(0)) != 0) ||
	    db_begin() != DB_OK)
		goto out;
	if (audit_write(x->actor, "rotate", "secretKey", NULL, detail) != 0 ||
	    db_commit() != DB_OK) {
		db_rollback();
		goto out;
	}
	r = 0;
 out:
	json_object_put(detail);
	return r;
}

/*
 * key rotate (no NEWFILE), with secret_key_file_previous set: cmpd's
 * workers seal with secret_key_file and open with either key, so every
 * value that still opens with the previous one is re-sealed with the
 * current one a row per transaction: no row stays locked while the
 * others are done, enrolments go on, and an interrupted rotation is run
 * again. Then one audit row; also when it stopped after re-sealing
 * some, which stay so.
 */
static int
key_rotate_previous(struct ctl *x)
{
	long done = 0, kept = 0;
	size_t i;
	int r = CTL_FAIL;

	if (x->conf.secret_key_file_previous == NULL) {
		fprintf(stderr, "cmpctl: %s sets no secret_key_file_previous: "
		    "name the key to rotate to (key rotate NEWFILE), or set "
		    "secret_key_file to the new key and "
		    "secret_key_file_previous to the old one\n", x->conf_path);
		return CTL_FAIL;
	}
	if (secret_reseal_init_previous() != 0)
		return CTL_FAIL;
	for (i = 0; i < NITEMS(ctl_sealed); i++)
		if (ctl_rotate_column(&ctl_sealed[i], 1, &done, &kept) != 0) {
			fprintf(stderr, "cmpctl: stopped after %ld value%s: "
			    "run the rotation again\n", done,
			    done == 1 ? "" : "s");
			if (done > 0 && key_rotate_audit(x, done, 0) != 0)
				fprintf(stderr, "cmpctl: the audit row of the "
				    "%ld value%s re-encrypted could not be "
				    "written\n", done, done == 1 ? "" : "s");
			goto out;
		}
	if (key_rotate_audit(x, done, 1) != 0) {
		fprintf(stderr, "cmpctl: %ld value%s re-encrypted with "
		    "secret_key_file %s, but the audit row of the rotation "
		    "could not be written: run the rotation again to write "
		    "it\n", done, done == 1 ? "" : "s",
		    x->conf.secret_key_file);
		goto out;
	}
	printf("cmpctl: %ld value%s re-encrypted with secret_key_file %s", done,
	    done == 1 ? "" : "s", x->conf.secret_key_file);
	if (kept > 0)
		printf(" (%ld had it already)", kept);
	printf("\ncmpctl: now remove secret_key_file_previous from %s and "
	    "send cmpd SIGHUP\n", x->conf_path);
	r = CTL_OK;
 out:
	secret_reseal_done();
	return r;
}

/*
 * key rotate NEWFILE: every sealed value re-sealed with the new key in one
 * transaction, with its audit row. Run it again after a failure: values
 * sealed with the new key already are left as they are.
 */
static int
key_rotate(struct ctl *x, const char *file)
{
	char abs_path[PATH_MAX], warn[PATH_MAX + 160];
	json_object *detail = NULL;
	long done = 0, kept = 0;
	size_t i;
	int rc, can = 1, began = 0, r = CTL_FAIL;

	if (!secret_available()) {
		fprintf(stderr, "cmpctl: %s sets no secret_key_file: there is "
		    "no key to rotate from\n", x->conf_path);
		return CTL_FAIL;
	}
	if (realpath(file, abs_path) == NULL) {
		fprintf(stderr, "cmpctl: %s: %s\n", file, strerror(errno));
		return CTL_FAIL;
	}
	/* 0640 to the workers' group, as secret_key_file: others never */
	if (daemon_secret_mode("the new key", file, warn, sizeof(warn)))
		fprintf(stderr, "cmpctl: warning: %s\n", warn);
	/* cmpd's workers load it after the reload that names it: a key they
	 * cannot read would stop them all, with the secrets sealed to it */
	if (x->conf.user != NULL &&
	    (can = daemon_user_can_read(x->conf.user, abs_path, &rc)) == 0) {
		fprintf(stderr, "cmpctl: %s: cmpd's workers (user %s) cannot "
		    "read it (%s): give it to that user's group with mode "
		    "0640, as secret_key_file; nothing changed\n", file,
		    x->conf.user, strerror(rc));
		return CTL_FAIL;
	}
	if (x->conf.user != NULL && can < 0)
		fprintf(stderr, "cmpctl: warning: whether cmpd's workers (user "
		    "%s) can read %s is not known here (run cmpctl as root): "
		    "cmpd refuses a reload to a key they cannot\n",
		    x->conf.user, file);
	if ((rc = secret_reseal_init(abs_path)) != 0) {
		fprintf(stderr, "cmpctl: %s: %s\n", file, rc == -2 ?
		    "this is the current key" : "no key (64 hex digits)");
		return CTL_FAIL;
	}
	if (db_begin() != DB_OK) {
		fprintf(stderr, "cmpctl: the database is not available\n");
		goto out;
	}
	began = 1;
	for (i = 0; i < NITEMS(ctl_sealed); i++)
		if (ctl_rotate_column(&ctl_sealed[i], 0, &done, &kept) != 0)
			goto out;
	if ((detail = json_object_new_object()) == NULL ||
	    json_object_object_add(detail, "values",
	    json_object_new_int64(done)) != 0 ||
	    audit_write(x->actor, "rotate", "secretKey", NULL, detail) != 0 ||
	    db_commit() != DB_OK)
		goto out;
	began = 0;
	printf("cmpctl: %ld value%s re-encrypted with the key in %s", done,
	    done == 1 ? "" : "s", abs_path);
	if (kept > 0)
		printf(" (%ld had it already)", kept);
	printf("\ncmpctl: now set \"secret_key_file = %s\" in %s and restart "
	    "cmpd or send it SIGHUP; until then it cannot open them\n",
	    abs_path, x->conf_path);
	r = CTL_OK;
 out:
	if (began) {
		db_rollback();
		fprintf(stderr, "cmpctl: nothing changed; values already "
		    "sealed with the new key, if any, stay so: run the "
		    "rotation again\n");
	}
	secret_reseal_done();
	json_object_put(detail);
	return r;
}

int
cmd_key(struct ctl *x, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (argc == 2 && strcmp(sub, "rotate") == 0)
		return key_rotate_previous(x);
	if (argc != 3)
		return CTL_USAGE;
	if (strcmp(sub, "create") == 0) {
		if (secret_key_create(argv[2]) != 0) {
			fprintf(stderr, "cmpctl: %s: %s\n", argv[2],
			    strerror(errno));
			return CTL_FAIL;
		}
		printf("cmpctl: new key written to %s\n", argv[2]);
		return CTL_OK;
	}
	if (strcmp(sub, "rotate") == 0) {
		/* needs the database: loaded here, not for "key create" */
		return key_rotate(x, argv[2]);
	}
	return CTL_USAGE;
}
