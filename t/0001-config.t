#!/bin/sh
# cmpd -n, the errors an operator can make in the configuration, and the
# schema migrations (applied once, recorded, re-runnable).
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto
CMPD=$top_builddir/cmpd

ok "cmpd -n accepts the sample configuration (without the database)" \
	"$CMPD" -n --no-db --allow-root -c "$top_srcdir/etc/cmpd.conf.sample"
t_start_db || bail "MariaDB did not start"
t_write_conf
ok "cmpd -n accepts the test configuration" "$CMPD" -n --allow-root -c "$T/cmpd.conf"
like "$("$CMPD" -n --allow-root -c "$T/cmpd.conf")" "configuration OK$" "and says so"

# what -n checks beyond the syntax, as the workers will run
chk() { chk_out=$("$CMPD" -n "$@" -c "$T/cmpd.conf" 2>&1); }
nok "as root without user" chk
like "$chk_out" "user: not set; started as root" "says the workers would run as root"
# user = root, or another name for uid 0, is no way round it
t_write_conf "user = root"
nok "as root with user = root" chk
like "$chk_out" "user: root \(uid 0\); started as root" "... says so"
ok "... --allow-root lets it" chk --allow-root
out=$(timeout -k 5 20 "$CMPD" -f -c "$T/cmpd.conf" 2>&1); rc=$?
is "$rc" 1 "cmpd with user = root does not start"
like "$out" "refusing to run the workers as root" "... and says why"
t_write_conf "user = nosuchuser-cmpd"
nok "a user that does not exist" chk
like "$chk_out" "user nosuchuser-cmpd: no such user" "names it"
chmod 0711 "$T"
chmod 0600 "$T/db.pw"
t_write_conf "user = nobody"
nok "db_password_file the user cannot read" chk
like "$chk_out" "db_password_file $T/db.pw: Permission denied \(read as nobody\)" "names file and user"
unlike "$chk_out" "warning" "secrets of mode 0600: no warning"
chmod 0644 "$T/db.pw" "$T/secret.key"
printf 'no CA here\n' > "$T/private-ca.pem"
chmod 0600 "$T/private-ca.pem"
t_write_conf "user = nobody" "connector_ca_file = $T/private-ca.pem"
nok "a connector_ca_file the user cannot read" chk
like "$chk_out" "connector_ca_file $T/private-ca.pem: Permission denied \(read as nobody\)" \
	"names file and user"
like "$chk_out" "warning: db_password_file $T/db.pw can be read or written by any user \(mode 0644\)" \
	"a secret any user may read: warned"
like "$chk_out" "warning: secret_key_file $T/secret.key can be read or written by any user \(mode 0644\)" \
	"... each of them"
t_write_conf "user = nobody" "secret_key_file = $T/nosuch.key"
nok "a missing secret_key_file" chk
like "$chk_out" "secret_key_file $T/nosuch.key: No such file or directory" "names it"
echo "not hex" > "$T/junk.key"
t_write_conf "secret_key_file = $T/junk.key"
nok "a secret_key_file that holds no key" chk --allow-root
like "$chk_out" "secret_key_file $T/junk.key: not a key" "says so"
t_write_conf "db_socket = $T/nosuch.sock"
nok "a database that does not answer" chk --allow-root
like "$chk_out" "the database does not answer" "says so"
ok "--no-db skips it" chk --allow-root --no-db
like "$chk_out" "configuration OK \(database not tried\)" "and says so"
t_write_conf "user = nobody   # the workers' user"
ok "all of it as the workers' user, a trailing comment in the file" chk
chmod 0600 "$T/db.pw" "$T/secret.key"
chmod 0700 "$T"
t_write_conf

t_write_conf "workerz = 3"
out=$("$CMPD" -n --allow-root -c "$T/cmpd.conf" 2>&1); rc=$?
isnt "$rc" 0 "unknown key: non-zero exit"
like "$out" 'unknown key "workerz"' "unknown key: named"
t_write_conf "workers = 0"
out=$("$CMPD" -n --allow-root -c "$T/cmpd.conf" 2>&1)
like "$out" "workers: expected an integer from 1 to 256" "workers out of range"
t_write_conf "connector_workers_max = 257"
out=$("$CMPD" -n --allow-root -c "$T/cmpd.conf" 2>&1)
like "$out" "connector_workers_max: expected an integer from 0 to 256" \
	"connector_workers_max out of range"
t_write_conf "connector_workers_max = 3"
ok "connector_workers_max = 3 accepted" "$CMPD" -n --allow-root -c "$T/cmpd.conf"
t_write_conf "server_name = no-equals-sign"
out=$("$CMPD" -n --allow-root -c "$T/cmpd.conf" 2>&1)
like "$out" "server_name: not a distinguished name" "bad server_name"
for key in pid_file db_password_file db_socket schema_dir; do
	t_write_conf "$key = relative/path"
	out=$("$CMPD" -n --allow-root -c "$T/cmpd.conf" 2>&1)
	like "$out" "$key: must be an absolute path" "relative $key refused"
done
out=$("$CMPD" -n -c "$T/nonexistent.conf" 2>&1)
like "$out" "cannot read" "missing file"
nok "no arguments after the options" "$CMPD" -n -c "$T/cmpd.conf" extra
like "$("$CMPD" -v)" "^cmpd [0-9]" "cmpd -v prints the version"
like "$("$CMPD" --help)" "--migrate" "--help lists --migrate"

# every key of the sample is documented in cmpd.conf(5)
for key in $(sed -n 's/^#\{0,1\}\([a-z_]*\) = .*/\1/p' "$top_srcdir/etc/cmpd.conf.sample" | sort -u); do
	ok "man page documents $key" grep -q "$key" "$top_srcdir/doc/cmpd.conf.5.in"
done

# migrations: the shipped ones, then later ones added to a copy
# (numbers may have gaps: each change takes the number it was given)
shipped=$(ls "$top_srcdir"/schema/[0-9][0-9][0-9][0-9]-*.sql | wc -l)
all=$(cd "$top_srcdir/schema" && ls [0-9][0-9][0-9][0-9]-*.sql | sed 's/-.*//; s/^0*//' | paste -sd,)
last=${all##*,}
next=$(printf '%04d' $((last + 1)))
after=$(printf '%04d' $((last + 2)))
t_write_conf
ok "first migration" t_migrate
like "$(cat "$T/migrate.log")" "applied migration 0001-initial.sql" \
	"migration 0001 applied"
is "$(t_sql "SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_version")" "$all" \
	"schema_version records $all"
for table in connector authority ra_profile cmp_profile certificate cmp_transaction audit; do
	is "$(t_sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'cmpd' AND table_name = '$table'")" 1 \
		"table $table exists"
done
ok "second migration run" t_migrate
like "$(cat "$T/migrate.log")" "0 migrations applied" "nothing applied twice"
is "$(t_sql "SELECT COUNT(*) FROM schema_version")" "$shipped" "still $shipped version rows"

# a later migration file is picked up, in order
mkdir "$T/schema"
cp "$top_srcdir"/schema/*.sql "$T/schema/"
printf 'CREATE TABLE t_extra (id INT PRIMARY KEY);\n-- comment\nINSERT INTO t_extra VALUES (1);\n' \
	> "$T/schema/$next-extra.sql"
t_write_conf "schema_dir = $T/schema"
ok "migration $next" t_migrate
is "$(t_sql "SELECT GROUP_CONCAT(version ORDER BY version) FROM schema_version")" "$all,$((last + 1))" \
	"versions $all,$((last + 1)) recorded"
is "$(t_sql "SELECT id FROM t_extra")" 1 "$next's statements ran"

# a broken migration fails loudly and is not recorded
printf 'CREATE TABLE t_bad (id INT PRIMARY KEY);\nTHIS IS NOT SQL;\n' > "$T/schema/$after-bad.sql"
nok "broken migration fails" t_migrate
like "$(cat "$T/migrate.log")" "$after-bad.sql: statement 2 failed" "failure names file and statement"
is "$(t_sql "SELECT MAX(version) FROM schema_version")" $((last + 1)) "$after not recorded"
rm "$T/schema/$after-bad.sql"
printf 'DO 1;\n' > "$T/schema/$after-a.sql"
printf 'DO 2;\n' > "$T/schema/$after-b.sql"
nok "two files with one version fail" t_migrate
like "$(cat "$T/migrate.log")" "$after-a.sql and $after-b.sql have the same version" \
	"and name both"

# cmpd starts only on a schema at least as new as its schema_dir's
# newest file (an upgrade before cmpd --migrate), and tells what to run
rm -f "$T/schema/$after-a.sql" "$T/schema/$after-b.sql"
printf 'DO 3;\n' > "$T/schema/$after-later.sql"
: > "$T/cmpd.log"
nok "schema behind schema_dir: cmpd does not start" t_start_cmpd
like "$(cat "$T/cmpd.log")" "the database's schema is at version $((last + 1)), this cmpd needs version $((last + 2)) \\(schema_dir $T/schema\\): run cmpd --migrate" \
	"... the log says which versions and what to run"
like "$(cat "$T/cmpd.log")" "run cmpd --migrate first" "... and so does standard error"
nok "... nothing bound" test -e "$T/cmpd.sock"
ok "cmpd --migrate" t_migrate
ok "then cmpd starts" t_start_cmpd
ok "... and stops" t_stop_cmpd
# a newer schema than schema_dir's (an older cmpd beside an upgraded one)
rm -f "$T/schema/$after-later.sql"
: > "$T/cmpd.log"
ok "schema ahead of schema_dir: cmpd starts" t_start_cmpd
like "$(cat "$T/cmpd.log")" "warn: .*the database's schema is at version $((last + 2)), newer than this cmpd's \\(version $((last + 1))" \
	"... and warns that it runs beside a newer version"
t_stop_cmpd
# the database down: cmpd starts all the same and says it did not check
t_stop_db
: > "$T/cmpd.log"
ok "database down: cmpd starts" t_start_cmpd
like "$(cat "$T/cmpd.log")" "the database does not answer: its schema version is not checked" \
	"... and says the schema was not checked"
t_stop_cmpd
t_start_db

# Each migration runs again whole after it ran but was not recorded (a
# crash or a lost connection between its last statement and its row in
# schema_version, or halfway: each statement tolerates its own effect
# already there). On a database of its own, file by file: apply up to N,
# forget N, apply N again. The schema ends as the one migrated once.
t_sql "CREATE DATABASE cmpd_rerun; GRANT ALL ON cmpd_rerun.* TO 'cmpd'@'localhost'" ||
	bail "cannot create the database cmpd_rerun"
mkdir "$T/rerun"
t_write_conf "db_name = cmpd_rerun" "schema_dir = $T/rerun"
rerun_bad=""
for f in $(cd "$top_srcdir/schema" && ls [0-9][0-9][0-9][0-9]-*.sql); do
	v=$(printf '%s' "$f" | sed 's/-.*//; s/^0*//')
	cp "$top_srcdir/schema/$f" "$T/rerun/"
	if ! t_migrate; then
		rerun_bad="$rerun_bad $f(first)"
		break
	fi
	t_sql "DELETE FROM cmpd_rerun.schema_version WHERE version = $v"
	if ! t_migrate || ! grep -q "applied migration $f" "$T/migrate.log"; then
		diag_file "$T/migrate.log" 5
		rerun_bad="$rerun_bad $f"
	fi
done
is "$rerun_bad" "" "every migration runs again after it ran unrecorded"
is "$(t_sql "SELECT GROUP_CONCAT(version ORDER BY version) FROM cmpd_rerun.schema_version")" "$all" \
	"... each recorded once"
# schema: columns, indexes, foreign keys (what SHOW CREATE TABLE orders
# as it was made aside)
schema_of() {
	t_sql "SELECT table_name, column_name, column_type, is_nullable, COALESCE(column_default, '-')
	    FROM information_schema.columns WHERE table_schema = '$1' AND table_name NOT IN ('t_extra', 't_bad')
	    ORDER BY table_name, ordinal_position;
	  SELECT table_name, index_name, non_unique, seq_in_index, column_name, COALESCE(collation, '-')
	    FROM information_schema.statistics WHERE table_schema = '$1' AND table_name NOT IN ('t_extra', 't_bad')
	    ORDER BY table_name, index_name, seq_in_index;
	  SELECT constraint_name, table_name, referenced_table_name, update_rule, delete_rule
	    FROM information_schema.referential_constraints WHERE constraint_schema = '$1'
	    ORDER BY constraint_name"
}
schema_of cmpd > "$T/schema-once.txt"
schema_of cmpd_rerun > "$T/schema-rerun.txt"
ok "... and the schema is the one migrated once" cmp -s "$T/schema-once.txt" "$T/schema-rerun.txt" ||
	diff "$T/schema-once.txt" "$T/schema-rerun.txt" | head -n 20 | diag
# A file that runs long (a large table rebuilt) keeps the migration lease
# renewed while it runs (every 10 s), so that another host does not take
# it and run the same file beside it.
printf 'DO SLEEP(13);\n' > "$T/rerun/$next-slow.sql"
t_migrate > /dev/null 2>&1 &
slow=$!
sleep 2
u1=$(t_sql "SELECT until FROM cmpd_rerun.cmpd_lease WHERE name = 'migrate'")
sleep 10
moved=$(t_sql "SELECT TIMESTAMPDIFF(SECOND, '$u1', until) FROM cmpd_rerun.cmpd_lease WHERE name = 'migrate'")
wait "$slow"
is "$?" 0 "a migration of 13 s"
ok "... its lease renewed while it ran (until moved ${moved:-?} s)" test "${moved:-0}" -ge 5
# the renewing child ends with the file, whatever cmpd --migrate was
# started with (SIGTERM ignored here): nothing waits for it, none stays
printf 'DO SLEEP(2);\n' > "$T/rerun/$after-short.sql"
ok "a migration started with SIGTERM ignored ends" timeout -k 5 30 sh -c \
	"trap '' TERM; exec '$top_builddir/cmpd' -c '$T/cmpd.conf' --migrate > '$T/migrate-ign.log' 2>&1"
nok "... and leaves no process behind" pgrep -f "cmpd -c $T/cmpd.conf --migrate"
pkill -9 -f "cmpd -c $T/cmpd.conf --migrate"
t_write_conf

# a reload asked while cmpd starts (a service manager's, as soon as it
# runs) does not end it: here the database does not answer (a listener on
# loopback that never speaks) for 3 s, cmpd is sent SIGHUP meanwhile,
# starts without the database (as it does) and then reloads
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
c = s.accept()[0]; open(sys.argv[1], "w").write("connected\n"); time.sleep(20)' \
	"$T/silent.conn" > "$T/silent.port" &
silent=$!
t_wait 5 test -s "$T/silent.port"
t_write_conf "-db_socket" "db_host = 127.0.0.1" "db_port = $(cat "$T/silent.port")" \
	"db_connect_timeout = 3"
chmod 0644 "$T/secret.key"	# and a key any user may read
timeout -k 5 30 "$CMPD" -f --allow-root -c "$T/cmpd.conf" > "$T/hup.out" 2>&1 &
starting=$!
t_wait 10 test -s "$T/silent.conn"	# cmpd waits for the database now
kill -HUP "$starting"
ok "SIGHUP while cmpd waits for the database at its start: it starts" \
	t_wait 15 grep -q "listening on $T/cmpd.sock" "$T/hup.out"
ok "... and then reloads" t_wait 10 grep -q "configuration reloaded" "$T/hup.out"
is "$(grep -c "warn: .*secret_key_file $T/secret.key can be read or written by any user (mode 0644)" "$T/hup.out")" 2 \
	"... a secret any user may read logged at the start and at the reload"
kill -TERM "$starting"
wait "$starting"
is "$?" 0 "... and stops when asked"
kill "$silent" 2> /dev/null
chmod 0600 "$T/secret.key"
t_write_conf

# wrong database password
echo wrong > "$T/bad.pw"
t_write_conf "db_password_file = $T/bad.pw"
nok "wrong password: migrate fails" t_migrate
like "$(cat "$T/migrate.log")" "cannot connect to MariaDB" "wrong password: said so"
nok "password never logged" grep -q wrong "$T/migrate.log"
done_testing
