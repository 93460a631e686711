#!/bin/sh
# The database as a cluster would treat it, on the one private MariaDB
# (here over TCP): db_hosts whose first endpoint is a closed port still
# enrols, for cmpd and cmp-localca (a failover, counted in /metrics and
# shown by /health); connections killed between requests are opened again
# and the next request succeeds (reconnects and retries counted); a
# transaction that waits on a row lock longer than innodb_lock_wait_timeout
# is run again as a whole and succeeds; the sweep and --migrate take a
# lease row instead of GET_LOCK: two at once both finish, one held by
# another holder is waited for until it ends; a malformed db_hosts is
# refused.
. "$top_srcdir/t/lib.sh"
t_setup
T_DB_PORT=auto
t_start_db || bail "MariaDB did not start"
CLOSED=$(_t_free_port) || bail "no free port"
# the cmpd account over TCP too (cmpd@localhost is the socket's)
t_sql "CREATE USER 'cmpd'@'127.0.0.1' IDENTIFIED BY '$(cat "$T/db.pw")';
	GRANT ALL ON cmpd.* TO 'cmpd'@'127.0.0.1';" || bail "cannot create cmpd@127.0.0.1"
HOSTS="127.0.0.1:$CLOSED, 127.0.0.1:$T_DB_PORT"
t_stack "-db_socket" "db_hosts = $HOSTS" "workers = 2" \
	"message_time_skew = 0" "connector_timeout = 10"
t_start_localca
# cmp-localca through the same list: its first endpoint closed
sed -i '/^db_socket/d' "$T/localca.conf"
echo "db_hosts = $HOSTS" >> "$T/localca.conf"
t_stop_bg localca
rm -f "$T/localca.sock"
t_bg localca "$top_builddir/cmp-localca" -f -c "$T/localca.conf" --allow-root
t_wait 10 test -S "$T/localca.sock" || { diag_file "$T/localca.log"; bail "cmp-localca did not start"; }
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
# enrol CN: an ir with certConf through lighttpd; $T/CN.crt
enrol() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" -msg_timeout 30 \
		-total_timeout 50 -newkey "$T/dev.key" -subject "/CN=$1" \
		-certout "$T/$1.crt" -unprotected_errors > "$T/$1.out" 2>&1 || {
		diag_file "$T/$1.out"
		return 1
	}
}
tx_state() { t_sql "SELECT t.state FROM cmp_transaction t JOIN certificate c
	ON c.uuid = t.certificate_uuid WHERE c.subject_dn = 'CN=$1'"; }
scrape() {
	[ "$(t_fcgi "" /metrics GET "")" = 200 ] && cp "$T/resp.der" "$T/metrics.txt"
}
# metric NAME [LABELS]: the value of one series of the last scrape (0 if none)
metric() {
	awk -v n="$1${2:+\{$2\}}" '$1 == n { v = $2 } END { print v + 0 }' "$T/metrics.txt"
}
hj() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,bool) else v)' "$T/resp.der" "$1"; }

# ------------------------------------------------------ configuration
{ cat "$T/cmpd.conf"; echo "db_socket = $DB_SOCK"; } > "$T/sock.conf"
ok "cmpd -n: db_socket with db_hosts (the socket wins)" "$top_builddir/cmpd" -n --allow-root -c "$T/sock.conf"
sed "s/^db_hosts = .*/db_hosts = 127.0.0.1:99999/" "$T/cmpd.conf" > "$T/bad.conf"
nok "cmpd -n: a port out of range refused" "$top_builddir/cmpd" -n -c "$T/bad.conf"
"$top_builddir/cmpd" -n -c "$T/bad.conf" > "$T/n.log" 2>&1
like "$(cat "$T/n.log")" 'db_hosts: not host\[:port\]: "127.0.0.1:99999"' "... naming the entry"
ok "cmpd -n accepts the list" "$top_builddir/cmpd" -n --allow-root -c "$T/cmpd.conf"
like "$(cat "$T/migrate.log")" "cannot connect to MariaDB 127.0.0.1:$CLOSED" \
	"--migrate: the closed endpoint tried first"
like "$(cat "$T/migrate.log")" "using 127.0.0.1:$T_DB_PORT" "... then the next one used"

# ------------------------------------------------------------ failover
ok "ir through db_hosts with a closed first endpoint" enrol failover
is "$(tx_state failover)" confirmed "... stored and confirmed"
like "$(cat "$T/localca.log")" "cannot connect to MariaDB 127.0.0.1:$CLOSED" \
	"cmp-localca tried the closed endpoint"
like "$(cat "$T/localca.log")" "using 127.0.0.1:$T_DB_PORT" "... and used the next"
is "$(t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject LIKE '%CN=failover%'")" 1 \
	"cmp-localca recorded the certificate"
ok "GET /metrics" scrape
ok "cmpd_db_failovers_total counted ($(metric cmpd_db_failovers_total))" \
	test "$(metric cmpd_db_failovers_total)" -ge 1
is "$(metric cmpd_db_endpoint_up "endpoint=\"127.0.0.1:$CLOSED\"")" 0 "closed endpoint: up 0"
is "$(metric cmpd_db_endpoint_up "endpoint=\"127.0.0.1:$T_DB_PORT\"")" 1 "open endpoint: up 1"
for e in deadlock lock_wait_timeout connection_lost; do
	like "$(cat "$T/metrics.txt")" "cmpd_db_retries_total\{error=\"$e\"\} [0-9]" \
		"cmpd_db_retries_total{error=\"$e\"} exported"
done
like "$(cat "$T/metrics.txt")" "cmpd_db_errors_total [0-9]" "cmpd_db_errors_total kept"
is "$(t_fcgi "" /health GET "")" 200 "GET /health 200"
is "$(hj 'j["database"]')" ok "... database ok"
is "$(hj 'len(j["databaseEndpoints"])')" 2 "... two endpoints listed"
is "$(hj 'j["databaseEndpoints"][0]["endpoint"]')" "127.0.0.1:$CLOSED" "... the closed one first"
is "$(hj 'j["databaseEndpoints"][0]["status"]')" down "... down"
is "$(hj 'j["databaseEndpoints"][0]["current"]')" false "... not current"
is "$(hj 'j["databaseEndpoints"][1]["status"]')" up "... the open one up"
is "$(hj 'j["databaseEndpoints"][1]["current"]')" true "... and current"
is "$(hj 'j["galera"]')" false "... not a Galera node"

# ------------------------------------------------- a connection killed
scrape
rc0=$(metric cmpd_db_reconnects_total)
lost0=$(metric cmpd_db_retries_total 'error="connection_lost"')
ids=$(t_sql "SELECT id FROM information_schema.PROCESSLIST WHERE user = 'cmpd'")
ok "cmpd and cmp-localca hold connections" test -n "$ids"
# killed, until none is left (a worker or the sweep may connect anew
# in between)
kill_all() {
	local id
	for id in $(t_sql "SELECT id FROM information_schema.PROCESSLIST WHERE user = 'cmpd'"); do
		t_sql "KILL CONNECTION $id" || true
	done
	[ "$(t_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE user = 'cmpd'")" = 0 ]
}
ok "all of them killed" t_wait 10 kill_all
ok "ir after the connections were killed" enrol killed
is "$(tx_state killed)" confirmed "... stored and confirmed"
# Counted: a read on a killed connection is retried on a new one. A
# worker's own sweep (every 5 s) may have reconnected before a request
# came, so kill and read again, a few times at most.
lost_counted() {
	local i id
	for i in 1 2 3 4 5; do
		scrape
		[ "$(metric cmpd_db_reconnects_total)" -gt "$rc0" ] &&
			[ "$(metric cmpd_db_retries_total 'error="connection_lost"')" -gt "$lost0" ] &&
			return 0
		for id in $(t_sql "SELECT id FROM information_schema.PROCESSLIST WHERE user = 'cmpd'"); do
			t_sql "KILL CONNECTION $id" || true
		done
		t_fcgi "" /health GET "" > /dev/null
	done
	return 1
}
ok "cmpd_db_reconnects_total and cmpd_db_retries_total{error=\"connection_lost\"} counted" lost_counted
diag "reconnects $rc0 -> $(metric cmpd_db_reconnects_total), connection_lost retries $lost0 -> $(metric cmpd_db_retries_total 'error="connection_lost"')"

# ------------------------------------ a transaction run again (1205)
# Every row and gap of cmp_transaction locked for 4.5 s: the ir's first
# write (its row insert, one statement in autocommit) waits 3 s, fails
# with ER_LOCK_WAIT_TIMEOUT, and db_run runs it once more, which gets the
# lock when it is given up (the ir may start up to 1.5 s late).
t_sql "SET GLOBAL innodb_lock_wait_timeout = 3" || bail "cannot set innodb_lock_wait_timeout"
t_stop_cmpd
t_start_cmpd || bail "cmpd did not start again"
scrape
lw0=$(metric cmpd_db_retries_total 'error="lock_wait_timeout"')
t_sql "BEGIN; SELECT COUNT(*) FROM cmp_transaction FOR UPDATE; DO SLEEP(4.5); COMMIT;" \
	> /dev/null 2>&1 &
locker=$!
locked() { [ "$(t_sql "SELECT COUNT(*) FROM information_schema.INNODB_TRX
	WHERE trx_rows_locked > 0")" -ge 1 ]; }
ok "a client holds the locks" t_wait 5 locked
ok "ir while cmp_transaction is locked for 4.5 s" enrol locked
wait "$locker"
is "$(tx_state locked)" confirmed "... stored and confirmed"
scrape
ok "cmpd_db_retries_total{error=\"lock_wait_timeout\"} counted" \
	test "$(metric cmpd_db_retries_total 'error="lock_wait_timeout"')" -gt "$lw0"
like "$(cat "$T/cmpd.log")" "database (transaction|statement): lock_wait_timeout; run again" \
	"the run again is logged"
t_sql "SET GLOBAL innodb_lock_wait_timeout = 50"

# -------------------------------------------------------- the leases
is "$(t_sql "SELECT COUNT(*) FROM cmpd_lease WHERE name IN ('sweep', 'migrate')")" 2 \
	"lease rows sweep and migrate"
is "$(t_sql "SELECT COUNT(*) FROM schema_version WHERE version = 17")" 1 "migration 0017 recorded"
sweep() { timeout 60 "$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > "$T/sweep$1.log" 2>&1; }
# the workers sweep too, every 5 s: what follows is about these sweepers'
# lease alone
t_stop_cmpd
sweep 1 & s1=$!
sweep 2 & s2=$!
ok "two cmpd --sweep at once: the first finishes" wait "$s1"
ok "... and the second" wait "$s2"
is "$(t_sql "SELECT CONCAT(holder, '|', until > NOW(6) AND until <= NOW(6) + INTERVAL 5 SECOND) FROM cmpd_lease WHERE name = 'sweep'")" \
	"|1" "... the lease given back, resting sweep_interval (5 s)"
# held by another sweeper for 2 s more: waited for, then taken
t_sql "UPDATE cmpd_lease SET holder = 'elsewhere:1:0', until = NOW(6) + INTERVAL 2 SECOND
	WHERE name = 'sweep'"
t0=$(date +%s%N)
ok "cmpd --sweep waits for a lease another holds" sweep 3
ms=$((($(date +%s%N) - t0) / 1000000))
ok "... until it ended (${ms} ms)" test "$ms" -ge 1500
is "$(t_sql "SELECT holder FROM cmpd_lease WHERE name = 'sweep'")" "" "... then gave it back"
t_start_cmpd || bail "cmpd did not start again"
# a worker does not sweep while another holds the lease
t_sql "UPDATE cmpd_lease SET holder = 'elsewhere:1:0', until = NOW(6) + INTERVAL 1 HOUR
	WHERE name = 'sweep'"
logsize=$(wc -c < "$T/cmpd.log")
sleep 6	# the workers try to sweep every 5 s
is "$(t_sql "SELECT holder FROM cmpd_lease WHERE name = 'sweep'")" "elsewhere:1:0" \
	"a lease held for an hour: the workers leave it to its holder"
unlike "$(tail -c +$((logsize + 1)) "$T/cmpd.log")" "sweep: database unavailable" \
	"... without an error"
t_sql "UPDATE cmpd_lease SET holder = '', until = NULL WHERE name = 'sweep'"
migrate() { timeout 60 "$top_builddir/cmpd" -c "$T/cmpd.conf" --migrate > "$T/migrate$1.log" 2>&1; }
migrate 1 & m1=$!
migrate 2 & m2=$!
ok "two cmpd --migrate at once: the first finishes" wait "$m1"
ok "... and the second" wait "$m2"
is "$(t_sql "SELECT holder FROM cmpd_lease WHERE name = 'migrate'")" "" "... the lease given back"
unlike "$(grep -h GET_LOCK "$top_srcdir"/src/*.c "$top_srcdir"/schema/*.sql)" "GET_LOCK\(" \
	"no GET_LOCK left in the code"

# ---------------------------------------- every table has a primary key
is "$(t_sql "SELECT COUNT(*) FROM information_schema.TABLES t WHERE t.table_schema = 'cmpd'
	AND t.table_type = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM
	information_schema.TABLE_CONSTRAINTS c WHERE c.table_schema = t.table_schema
	AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')")" 0 \
	"every table has a primary key (Galera replicates rows by it)"

done_testing
