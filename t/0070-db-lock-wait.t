#!/bin/sh
# A statement kept waiting for a lock longer than cmpd waits for an
# answer (30 s): the server ends the wait as a lock wait timeout, the
# statement rolled back, before cmpd would give the connection up as
# lost, leaving the statement to run on (and maybe commit) on the server
# while the worker reconnects, on Galera to another node. Here the
# certConf's row is held for 40 s with MariaDB's default
# innodb_lock_wait_timeout (50 s): the first wait ends at 25 s, the one
# run again gets the row, and the answer says what the database holds.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
TOOL=$top_builddir/t/cmptool
FIX=/api/v1/protocols/cmp/fixture
TID=00112233445566778899aabbccdd7001
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
tx_state() {
	t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$TID')"
}

# the fixtures' ir: its sender's reference and secret
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-00000000e102', 'fixture', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '1234')" || bail "seeding failed"
echo test-secret | "$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret fixture > /dev/null ||
	bail "--set-shared-secret failed"

is "$(t_sql "SELECT @@GLOBAL.innodb_lock_wait_timeout")" 50 \
	"the server waits 50 s for a row lock (MariaDB's default)"
"$TOOL" edit "$F/ir-pbm.der" "$T/ir.der" tid=$TID remac=test-secret ||
	bail "cmptool edit failed"
is "$(t_post "$T/ir.der" $FIX)" 200 "an ir"
cp "$T/resp.der" "$T/ip.der"
is "$(dump "$T/ip.der" status)" accepted "... its certificate issued"
"$TOOL" certconf "$T/ip.der" "$T/cc.der" test-secret || bail "cmptool certconf failed"
is "$(tx_state)" confirm_wait "the transaction waits for its certConf"

# another session holds the transaction's row for 40 s
timeout 90 mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" -N -B cmpd -e "
  START TRANSACTION;
  SELECT 1 FROM cmp_transaction WHERE transaction_id = UNHEX('$TID') FOR UPDATE;
  DO SLEEP(40); COMMIT" > /dev/null &
HOLD=$!
sleep 1
t0=$(date +%s)
curl -sS --noproxy '*' --max-time 80 -H 'Content-Type: application/pkixcmp' \
	-H 'Expect:' --data-binary "@$T/cc.der" -o "$T/cc-ans.der" "$HTTP_BASE$FIX"
s=$(( $(date +%s) - t0 ))
diag "the certConf was answered after $s s"
wait "$HOLD"
state=$(tx_state)
body=$(dump "$T/cc-ans.der" body)
agrees() { [ "$1" = pkiconf/confirmed ] || [ "$1" = error/confirm_wait ]; }
ok "the answer ($body) says what the database holds ($state)" agrees "$body/$state"
like "$(cat "$T/cmpd.log")" "Lock wait timeout exceeded" \
	"cmpd's wait ended as a lock wait timeout"
unlike "$(cat "$T/cmpd.log")" "Lost connection|gone away|connection_lost|reconnect" \
	"... not as a lost connection"
metric() {	# metric NAME: its value in a fresh scrape
	curl -sS --noproxy '*' --max-time 10 "$HTTP_BASE/metrics" |
		awk -v n="$1" '$1 == n { print $2 }'
}
is "$(metric 'cmpd_db_retries_total{error="connection_lost"}')" 0 \
	"... none counted in /metrics"
is "$(metric 'cmpd_db_retries_total{error="lock_wait_timeout"}')" 1 \
	"... a lock wait run again, counted"
done_testing
