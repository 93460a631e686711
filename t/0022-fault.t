#!/bin/sh
# Faults under load (DESIGN invariant 1, "the CA and cmpd agree"): t/cmpload
# enrols with ir + certConf through lighttpd, cmpd (3 workers) and
# cmp-localca while one part after another crashes:
#   kill-worker  kill -9 of a cmpd worker, about every second;
#   kill-db      kill -9 of MariaDB, down for a few seconds, restarted on the
#                same data directory and socket (the workers held for 0.2 s
#                around the kill, so that it lands while some of them wait
#                for the CA);
#   freeze-ca    SIGSTOP of cmp-localca for longer than connector_timeout
#                (2 s here), then SIGCONT;
#   kill-ca      kill -9 of cmp-localca, restarted a few seconds later (its
#                table locked for 0.6 s around the kill, so that it lands
#                between what the CA sent to MariaDB and its answer);
#   kill-master  kill -9 of cmpd's master (its workers get SIGTERM), a new
#                cmpd started a second later.
# After each one cmpload's requests are over, cmpd is stopped (a graceful
# stop finishes what a worker holds), the clock is advanced (every time at
# which something falls due moves an hour back: deadlines, back-offs, when
# a request went to the CA) and `cmpd --sweep` runs until it reports
# nothing more to do (at most 20 runs, the clock advanced before each).
# Then, for the certificates of that scenario (each has its own subject
# prefix), compared as sets of SHA-256 fingerprints:
#   - the certificates valid at the CA (localca_certificate, status issued)
#     are exactly those cmpd holds as issued or pending (certificate);
#   - every certificate cmpload received is in cmpd's inventory, and every
#     one whose certConf was answered is valid at both;
#   - no transaction of the scenario is left open, issuing or
#     confirm_wait (after the hour they all are past their deadline), and
#     no certificate revoke_pending that the CA still holds valid.
# The counts are printed: "# scenario NAME: ca_valid=... inventory=...
# delivered=... lost=...".  The assertions are about consistency, not
# throughput: a slow machine makes fewer requests, not a failure.
#
# Longer by hand (each scenario's load, and faults repeated through it):
#   FAULT_SECONDS=40 make check TESTS=t/0022-fault.t
# or, from the source tree, one scenario at a time:
#   FAULT_SECONDS=60 FAULT_SCENARIOS=kill-db KEEP_TMP=1 \
#     top_srcdir=$PWD top_builddir=$PWD/build bash t/0022-fault.t
# FAULT_CONC sets cmpload's concurrency (default 4).  Under ASan the
# defaults are smaller (10 s, 3 clients).
. "$top_srcdir/t/lib.sh"
t_setup

if [ "$T_ASAN" = 1 ]; then
	: "${FAULT_SECONDS:=10}" "${FAULT_CONC:=3}"
else
	: "${FAULT_SECONDS:=12}" "${FAULT_CONC:=4}"
fi
: "${FAULT_SCENARIOS:=kill-worker kill-db freeze-ca kill-ca kill-master}"
# the longest fault (freeze-ca) needs 2 + 4 s, then load after it
[ "$FAULT_SECONDS" -ge 8 ] 2>/dev/null || bail "FAULT_SECONDS must be 8 or more"
CONNECTOR_TIMEOUT=2

t_stack "workers = 3" "log_level = info" "graceful_timeout = 10" \
	"connector_timeout = $CONNECTOR_TIMEOUT" "connector_connect_timeout = 2" \
	"db_connect_timeout = 2"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
# certificates not confirmed within 10 s are revoked by the sweep
t_sql "UPDATE cmp_profile SET confirm_wait_time = 10 WHERE name = 'enroll'"
plan_auto

LOAD=$top_builddir/t/cmpload
[ -x "$LOAD" ] || bail "$LOAD not built"
URL=$HTTP_BASE/api/v1/protocols/cmp/enroll
diag "load: ${FAULT_SECONDS} s per scenario, ${FAULT_CONC} clients, ASan=$T_ASAN"

ok "cmpload enrols against the healthy stack" \
	"$LOAD" -c 2 -n 4 -d 30 -u "$URL" -s "$ENROLL_SECRET" -r "$ENROLL_REF" \
	--recipient cmpd --subject-prefix warmup -o "$T/warmup.certs"
is "$(wc -l < "$T/warmup.certs")" 4 "four certificates delivered"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE status = 'issued' AND subject_dn LIKE 'CN=warmup-%'")" \
	4 "... and held as issued by cmpd"

# cmpload's own counts
"$LOAD" -c 1 -n 2 -d 30 -u "$URL" -s wrong -r "$ENROLL_REF" --recipient cmpd \
	--unprotected-errors --subject-prefix refused > "$T/refused.load" 2>&1
out=$(cat "$T/refused.load")
like "$out" $'(^|\n)ok=0\n.*(^|\n)rejected=2\n.*(^|\n)fail\\.badMessageCheck=2\n' \
	"cmpload counts refusals by failInfo"
like "$out" $'(^|\n)lat_p50_ms=[0-9.]+\n.*(^|\n)lat_p99_ms=[0-9.]+\n' "... and prints latencies"
"$LOAD" -c 1 -n 2 -d 30 -u "http://127.0.0.1:9/nothing" -s x -r y \
	--msg-timeout 5 > "$T/down.load" 2>&1
like "$(cat "$T/down.load")" $'(^|\n)transport=2\n' "... and requests nobody answered"
"$LOAD" -u "https://127.0.0.1:9/" -s x -r y > /dev/null 2>&1
is "$?" 1 "cmpload refuses a URL it cannot serve"
"$LOAD" -c 0 -u "$URL" -s x -r y > /dev/null 2>&1
is "$?" 2 "... and a bad option"

# ------------------------------------------------------------ helpers
_lca_n=0
ca_pid() { local v="BG_PID_$LCA_NAME"; printf '%s' "${!v-}"; }
LCA_NAME=localca

# ca_restart: a new cmp-localca on the same socket and database
ca_restart() {
	_lca_n=$((_lca_n + 1))
	LCA_NAME=localca_r$_lca_n
	t_bg "$LCA_NAME" "$top_builddir/cmp-localca" -f -c "$T/localca.conf" --allow-root
	t_wait 15 grep -q listening "$T/$LCA_NAME.log" ||
		bail "cmp-localca did not start again"
}

# one of the workers, at random
worker() { t_cmpd_workers | shuf -n 1; }

# fault_loop DOWN GAP INJECT RECOVER: while the load runs, INJECT, wait
# DOWN seconds, RECOVER; the first time after 2 s, again GAP seconds after
# each recovery while the load lasts long enough.
fault_loop() {
	local down=$1 gap=$2 inject=$3 recover=$4 end=$((SECONDS + FAULT_SECONDS))
	sleep 2
	while :; do
		"$inject"
		sleep "$down"
		"$recover"
		FAULTS=$((FAULTS + 1))
		[ $((SECONDS + gap + down + 2)) -le "$end" ] || break
		sleep "$gap"
	done
}

# kill-worker: one worker every second
kill_worker_loop() {
	local end=$((SECONDS + FAULT_SECONDS - 1)) pid
	sleep 1
	while [ "$SECONDS" -lt "$end" ]; do
		pid=$(worker)
		if [ -n "$pid" ]; then
			kill -KILL "$pid" 2>/dev/null && FAULTS=$((FAULTS + 1))
		fi
		sleep 1
	done
}
# The workers are held (SIGSTOP) for 0.2 s while MariaDB dies: whatever the
# CA answers them meanwhile, they can only try to store once it is gone.
db_down() {
	local w
	w=$(t_cmpd_workers)
	[ -z "$w" ] || kill -STOP $w
	sleep 0.2
	t_kill_db
	[ -z "$w" ] || kill -CONT $w
}
db_up() { t_start_db; }
# kill-master: the workers learn of it (SIGTERM on the parent's death) and
# finish what they hold; a new cmpd takes over the socket
master_kill() {
	kill -KILL "$CMPD_PID"
	t_wait 10 _t_gone "$CMPD_PID"
	wait "$CMPD_PID" 2>/dev/null
	CMPD_PID=""
}
master_start() { t_start_cmpd || bail "cmpd did not start again"; }
ca_freeze() { kill -STOP "$(ca_pid)"; }
ca_thaw() { kill -CONT "$(ca_pid)"; }
# The CA's table is locked for 0.6 s and the CA killed 0.3 s in: the kill
# lands while it waits to record certificates it has signed, and what it
# had sent to MariaDB is recorded once the lock goes, as after a crash
# between the CA's commit and its answer.
ca_kill() {
	local lock
	t_sql "LOCK TABLES localca_certificate WRITE; SELECT SLEEP(0.6);
	  UNLOCK TABLES" > /dev/null &
	lock=$!
	sleep 0.3
	kill -KILL "$(ca_pid)"
	t_wait 10 _t_gone "$(ca_pid)"
	t_stop_bg "$LCA_NAME"
	wait "$lock"
}

# advance_clock: as if an hour had passed since anything happened: every
# column of cmp_transaction and certificate that says when something is
# due (deadlines, retry and back-off times, when a request went to the CA)
# moves an hour back, so that a sweep now has no reason to wait.  cmpd is
# stopped and the load is over: nothing is in flight any more.
DUE_COLUMNS="deadline created_at issuing_at lookup_after revoke_after"
advance_clock() {
	local tab col set sql=""
	for tab in cmp_transaction certificate; do
		set=""
		for col in $(t_sql "SELECT COLUMN_NAME FROM information_schema.COLUMNS
		    WHERE TABLE_SCHEMA = 'cmpd' AND TABLE_NAME = '$tab'") ; do
			case " $DUE_COLUMNS " in
			*" $col "*) set="${set:+$set, }$col = $col - INTERVAL 1 HOUR" ;;
			esac
		done
		[ -z "$set" ] || sql="$sql UPDATE $tab SET $set;"
	done
	[ -n "$sql" ] && t_sql "$sql"
}

# sweep_until_done: cmpd --sweep until a run reports only zeros on its
# standard output, the clock advanced before each run.  The runs' reports
# are in $T/sweep.out, their logs in $T/sweep.log.
sweep_until_done() {
	local i out
	: > "$T/sweep.out"
	for i in $(seq 1 20); do
		advance_clock || return 1
		out=$(timeout 120 "$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep \
			2>> "$T/sweep.log") || { echo "run $i failed: $out" >> "$T/sweep.out"; return 1; }
		echo "run $i: $out" >> "$T/sweep.out"
		# done when what it did names no non-zero count (what is
		# left for later runs is the check's to judge)
		[[ ${out%%; left:*} =~ (^|[^0-9])[1-9][0-9]* ]] || return 0
	done
	return 1
}

# q OUT SQL: the rows of SQL, sorted, into OUT; a failed query is
# counted in QERR (a query that did not run must not pass as "no rows")
q() {
	local rows
	if rows=$(t_sql "$2"); then
		printf '%s\n' "$rows" | sed '/^$/d' | sort > "$1"
	else
		QERR=$((QERR + 1))
		: > "$1"
	fi
}
# count FILE: its lines
count() { wc -l < "$1" | tr -d ' '; }
# serials FILE: the CA's serials of the fingerprints in FILE (at most 10)
serials() {
	local fp
	head -n 10 "$1" | while read -r fp; do
		[[ $fp =~ ^[0-9a-f]{64}$ ]] || continue
		t_sql "SELECT CONCAT(serial_hex, ' ', subject, ' ', status)
		  FROM localca_certificate WHERE SHA2(der, 256) = '$fp'"
	done
}

# since_tx0: SQL true for the rows of cmp_transaction written after row
# TX0 ("HEX position", empty: all of them), in the table's key order.
# Not by a time: advance_clock moves every row's created_at back alike.
since_tx0() {
	if [ -z "$TX0" ]; then
		echo TRUE
		return
	fi
	echo "(created_at, transaction_id, position) > (SELECT created_at,
	  transaction_id, position FROM cmp_transaction
	  WHERE transaction_id = UNHEX('${TX0% *}') AND position = ${TX0#* })"
}

# check NAME PREFIX: the contract, after the sweep
check() {
	local name=$1 p=$2 d=$T/$1
	mkdir -p "$d"
	QERR=0
	# fingerprints (SHA-256 of the DER, lower-case hex)
	q "$d/ca-valid" "SELECT LOWER(SHA2(der, 256)) FROM localca_certificate
	  WHERE status = 'issued' AND subject LIKE 'CN=$p-%'"
	q "$d/held" "SELECT LOWER(HEX(fingerprint)) FROM certificate
	  WHERE status IN ('issued', 'pending') AND subject_dn LIKE 'CN=$p-%'"
	q "$d/inventory" "SELECT LOWER(HEX(fingerprint)) FROM certificate
	  WHERE subject_dn LIKE 'CN=$p-%'"
	awk '{ print $1 }' "$T/$p.certs" | sort > "$d/delivered"
	awk '$3 == 1 { print $1 }' "$T/$p.certs" | sort > "$d/confirmed"
	comm -23 "$d/ca-valid" "$d/held" > "$d/lost"
	comm -13 "$d/ca-valid" "$d/held" > "$d/held-not-valid"
	comm -23 "$d/delivered" "$d/inventory" > "$d/not-stored"
	comm -23 "$d/confirmed" "$d/held" > "$d/confirmed-not-held"
	comm -23 "$d/confirmed" "$d/ca-valid" > "$d/confirmed-not-valid"
	# an hour has passed for all of them: each is past its deadline
	q "$d/overdue" "SELECT CONCAT(HEX(transaction_id), ' ', state)
	  FROM cmp_transaction WHERE $(since_tx0) AND
	    state IN ('open', 'issuing', 'confirm_wait')"
	q "$d/revoke-pending" "SELECT CONCAT(c.serial_number, ' ', c.subject_dn)
	  FROM certificate c JOIN localca_certificate l
	    ON l.der = c.der AND l.status = 'issued'
	  WHERE c.status = 'revoke_pending' AND c.subject_dn LIKE 'CN=$p-%'"
	is "$QERR" 0 "$name: the database answered every query of the check"
	diag "$name: transactions by state: $(t_sql "SELECT CONCAT(state, '=', COUNT(*))
	  FROM cmp_transaction WHERE $(since_tx0) GROUP BY state ORDER BY state" |
	  tr '\n' ' ')"
	diag "scenario $name: ca_valid=$(count "$d/ca-valid") inventory=$(count "$d/held") delivered=$(count "$d/delivered") confirmed=$(count "$d/confirmed") lost=$(count "$d/lost") held_not_valid=$(count "$d/held-not-valid") not_stored=$(count "$d/not-stored") overdue=$(count "$d/overdue") revoke_pending_valid=$(count "$d/revoke-pending") faults=$FAULTS"
	is "$(count "$d/lost")" 0 "$name: every certificate valid at the CA is held by cmpd" ||
		serials "$d/lost" | sed 's/^/  valid at the CA only: /' | diag
	is "$(count "$d/held-not-valid")" 0 "$name: every certificate cmpd holds is valid at the CA" ||
		serials "$d/held-not-valid" | sed 's/^/  held by cmpd only: /' | diag
	is "$(count "$d/not-stored")" 0 "$name: every certificate delivered is in cmpd's inventory"
	is "$(count "$d/confirmed-not-held")$(count "$d/confirmed-not-valid")" 00 \
		"$name: every certificate confirmed is valid at the CA and issued in cmpd"
	is "$(count "$d/overdue")" 0 "$name: no transaction left open, issuing or confirm_wait" ||
		{ head -n 5 "$d/overdue"; echo "the sweep's last lines:";
		  tail -n 10 "$T/sweep.log"; } | diag
	is "$(count "$d/revoke-pending")" 0 "$name: no revocation pending that the CA has not done" ||
		head -n 5 "$d/revoke-pending" | diag
}

# scenario NAME PREFIX FAULT-COMMAND...: load, the fault beside it, then
# the sweep and the check
scenario() {
	local name=$1 p=$2 lpid
	shift 2
	FAULTS=0
	# this scenario's transactions come after the newest row before it
	TX0=$(t_sql "SELECT CONCAT(HEX(transaction_id), ' ', position)
	  FROM cmp_transaction ORDER BY created_at DESC, transaction_id DESC,
	  position DESC LIMIT 1") || bail "cannot read cmp_transaction"
	# in the background, stopped by the exit trap if the test dies
	t_bg "load_$p" "$LOAD" -c "$FAULT_CONC" -d "$FAULT_SECONDS" -u "$URL" \
		-s "$ENROLL_SECRET" -r "$ENROLL_REF" --recipient cmpd \
		--msg-timeout 10 --retry-delay 100 --unprotected-errors \
		--subject-prefix "$p" -o "$T/$p.certs"
	lpid=BG_PID_load_$p
	lpid=${!lpid}
	"$@"
	# cmpload starts nothing after FAULT_SECONDS and gives up on a
	# request after 20 s
	t_wait 60 _t_gone "$lpid" || diag "cmpload still running after 60 s"
	t_stop_bg "load_$p"
	is "$?" 0 "$name: cmpload ran"
	ok "$name: $FAULTS faults injected" [ "$FAULTS" -ge 1 ]
	diag "$name load: $(grep -E '^(attempts|ok|delivered|certconf_failed|rejected|transport|invalid|fail\.|err\.|rate_per_s|lat_p50_ms|lat_p99_ms)' "$T/load_$p.log" | tr '\n' ' ')"
	ok "$name: the stack was under load" grep -qE '^delivered=[1-9]' "$T/load_$p.log"
	# what a worker still holds is finished by a graceful stop
	t_stop_cmpd
	[ -n "$DB_PID" ] || t_start_db
	ok "$name: cmpd --sweep until nothing is left (at most 20 runs)" \
		sweep_until_done
	diag < "$T/sweep.out"
	check "$name" "$p"
	t_start_cmpd || bail "cmpd did not start again"
}

for s in $FAULT_SCENARIOS; do
	case $s in
	kill-worker) scenario kill-worker kw kill_worker_loop ;;
	kill-db) scenario kill-db kdb fault_loop 2 2 db_down db_up ;;
	freeze-ca) scenario freeze-ca fca fault_loop $((CONNECTOR_TIMEOUT + 2)) 4 ca_freeze ca_thaw ;;
	kill-ca) scenario kill-ca kca fault_loop 3 3 ca_kill ca_restart ;;
	kill-master) scenario kill-master km fault_loop 1 4 master_kill master_start ;;
	*) bail "unknown scenario $s" ;;
	esac
done

# cmpd answered throughout: the workers killed were replaced
three_workers() { [ "$(t_cmpd_workers | wc -l)" = 3 ]; }
ok "three workers at the end" t_wait 10 three_workers
done_testing
