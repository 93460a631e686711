#!/bin/sh
# cmp-localca with workers = 3 behind a real lighttpd and cmpd: three
# processes accept on the one socket and share the load; enrolments
# running side by side all get certificates with distinct serials; a
# worker that is killed is replaced, after a pause when it died soon
# after its start; SIGUSR1 reopens log_file in every worker; SIGTERM
# lets the request in flight finish, then every process leaves and the
# socket and pid file are removed.
. "$top_srcdir/t/lib.sh"
t_setup
# Every cmpd worker may be in a connector call: this test is about the
# CA's workers, and under a slow (sanitized) build the first calls can
# take long enough that cmpd's own cap would answer "busy".
t_stack "workers = 4" "connector_workers_max = 4" "log_level = info"
t_start_localca "workers = 3" "log_file = $T/lca-file.log" \
	"pid_file = $T/localca.pid"
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

CMP=/api/v1/protocols/cmp/enroll
LOAD=$top_builddir/t/cmpload
[ -x "$LOAD" ] || bail "$LOAD not built"
SUP=$BG_PID_localca
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$T/dev.key" 2>/dev/null || bail "device key"

workers() { ps --ppid "$SUP" -o pid= | tr -d ' ' | sort; }
nworkers_is() { [ "$(workers | wc -l)" -eq "$1" ]; }
# client OUT NAME: an ir for CN=NAME, the certificate in $T/NAME.crt
client() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path "$CMP" -recipient /CN=cmpd -ref "$ENROLL_REF" \
		-secret "pass:$ENROLL_SECRET" -newkey "$T/dev.key" \
		-subject "/CN=$2" -certout "$T/$2.crt" -unprotected_errors \
		-msg_timeout 30 -total_timeout 50 > "$1" 2>&1
}
served_by() {	# the workers that logged an issuance in FILE
	grep 'method=POST path=[^ ]*/certificates/issue status=200' "$1" |
		sed 's/.*cmp-localca\[\([0-9]*\)\].*/\1/' | sort -u
}
issued_in() {	# the issuances FILE logged
	grep -c 'method=POST path=[^ ]*/certificates/issue status=200' "$1"
}
issuing() {	# a transaction waits on the CA
	[ "$(t_sql "SELECT COUNT(*) FROM cmp_transaction
		WHERE state = 'issuing'")" != 0 ]
}

ok "three workers under the first process" t_wait 10 nworkers_is 3
for w in 0 65 two; do
	sed "s/^workers = .*/workers = $w/" "$T/localca.conf" > "$T/bad.conf"
	nok "workers = $w is refused" "$top_builddir/cmp-localca" -n -c "$T/bad.conf"
done
like "$("$top_builddir/cmp-localca" -n -c "$T/bad.conf" 2>&1)" "workers" \
	"... naming the key"
is "$(cat "$T/localca.pid")" "$SUP" "the pid file names the supervisor"
like "$(cat "$T/lca-file.log")" "starting 3 workers" "the supervisor says so"

# ---------------------------------------------------------------- load
"$LOAD" -u "http://127.0.0.1:$HTTP_PORT$CMP" -s "$ENROLL_SECRET" \
	-r "$ENROLL_REF" -c 6 -n 60 -d 120 > "$T/load.out" 2> "$T/load.err"
diag_file "$T/load.err" 5
ok "60 enrolments by 6 clients side by side" \
	grep -q '^ok=60$' "$T/load.out"
is "$(grep '^errors=' "$T/load.out")" "errors=0" "... none failed"
is "$(t_sql "SELECT COUNT(DISTINCT serial_hex) FROM localca_certificate")" \
	"$(t_sql "SELECT COUNT(*) FROM localca_certificate")" \
	"every certificate has its own serial"
ok "at least 60 certificates issued" \
	[ "$(t_sql "SELECT COUNT(*) FROM localca_certificate")" -ge 60 ]
n=$(served_by "$T/lca-file.log" | wc -l)
ok "more than one worker served them ($n)" [ "$n" -ge 2 ]

# ---------------------------------------------------- a worker is killed
old=$(workers | head -n 1)
kill -KILL "$old"
ok "a killed worker is replaced" t_wait 10 sh -c \
	"[ \$(ps --ppid $SUP -o pid= | wc -l) -eq 3 ] && ! ps --ppid $SUP -o pid= | grep -qw $old"
like "$(cat "$T/lca-file.log")" "worker $old killed by signal 9; starting another" \
	"... and the supervisor logs it"
ok "an ir works after it" client "$T/c1.out" after-kill
ok "... its certificate verifies" openssl verify -CAfile "$T/ca/root.crt" \
	-untrusted "$T/ca/ca.crt" "$T/after-kill.crt"

# One that dies within 2 s of its start is replaced after a pause.  The
# supervisor's own log lines time it (ms), whatever the load on the test.
LOG=$T/lca-file.log
at() {	# the time of day (s) of the first line of LOG that holds TEXT
	grep -m 1 -F -- "$1" "$LOG" | awk '{ split(substr($1, 12, 12), t, ":")
		print t[1] * 3600 + t[2] * 60 + t[3] }'
}
since() {	# seconds from the line holding TEXT1 to the one holding TEXT2
	awk -v a="$(at "$1")" -v b="$(at "$2")" 'BEGIN {
		if (a == "" || b == "") exit 1
		d = b - a; if (d < -43200) d += 86400; printf "%.3f\n", d }'
}
next_of() {	# the worker started in place of worker PID
	sed -n "s/.* worker \([0-9]*\) started in place of $1\$/\1/p" "$LOG" |
		head -n 1
}
holds() {	# D TEST: a number D was measured and D TEST holds ("< 2")
	awk -v d="$1" "BEGIN { exit !(d != \"\" && d $2) }"
}
is_young() { holds "$1" "< 2"; }
# killed as soon as the log names it; under a load that delays this past
# its first 2 s, once more
for try in 1 2 3; do
	victim=$(workers | head -n 1)
	kill -KILL "$victim"
	t_wait 10 grep -q " started in place of $victim\$" "$LOG"
	young=$(next_of "$victim")
	[ -n "$young" ] || break
	kill -KILL "$young"
	t_wait 10 grep -q "worker $young killed" "$LOG"
	life=$(since "worker $young started" "worker $young killed")
	! is_young "$life" || break
	t_wait 10 nworkers_is 3
done
ok "a new worker came" [ -n "$young" ]
ok "it died young: $life s after its start" is_young "$life"
ok "... and is replaced, but after the pause" \
	t_wait 10 grep -q " started in place of $young\$" "$LOG"
pause=$(since "worker $young killed" "worker $(next_of "$young") started")
ok "the pause: $pause s from its death to the next start (1 s)" \
	holds "$pause" ">= 0.95"
ok "three workers again" t_wait 10 nworkers_is 3
# one that ran for longer is replaced at once
sleep 2.5
victim=$(workers | head -n 1)
kill -KILL "$victim"
ok "a worker that ran for more than 2 s is replaced" \
	t_wait 10 grep -q " started in place of $victim\$" "$LOG"
life=$(since "worker $victim started" "worker $victim killed")
ok "it ran for $life s" holds "$life" ">= 2"
again=$(since "worker $victim killed" "worker $(next_of "$victim") started")
ok "... and was replaced at once: $again s after its death" \
	holds "$again" "< 0.9"

# ------------------------------------------------------- log_file moved
mv "$T/lca-file.log" "$T/lca-file.log.1"
kill -USR1 "$SUP"
ok "SIGUSR1: the supervisor opens log_file again" \
	t_wait 10 grep -q "log_file reopened" "$T/lca-file.log"
# every worker has its own log_file descriptor: one issuance each
sleep 1
old_n=$(issued_in "$T/lca-file.log.1")
pids=
for i in 1 2 3 4 5 6; do
	client "$T/r$i.out" reopen-$i &
	pids="$pids $!"
done
for p in $pids; do wait "$p"; done
ok "six issuances after it are logged in the new file" \
	t_wait 10 sh -c "[ \$(grep -c 'certificates/issue status=200' '$T/lca-file.log') -ge 6 ]"
is "$(issued_in "$T/lca-file.log.1")" "$old_n" "... none in the old one"

# ------------------------------------------- SIGTERM with a slow request
# a request held 3 s in the CA when SIGTERM comes
t_stop_bg localca
t_start_localca "workers = 2" "issue_delay_ms = 3000" \
	"log_file = $T/lca-slow.log" "pid_file = $T/localca.pid"
SUP=$BG_PID_localca
ok "two workers" t_wait 10 nworkers_is 2
kids=$(workers)
client "$T/slow.out" slow &
SLOW=$!
ok "the request waits in the CA" t_wait 20 issuing
sleep 1
kill -TERM "$SUP"
wait "$SLOW"
is "$?" 0 "the request in flight got its certificate"
ok "... which verifies" openssl verify -CAfile "$T/ca/root.crt" \
	-untrusted "$T/ca/ca.crt" "$T/slow.crt"
ok "the supervisor leaves" t_wait 15 _t_gone "$SUP"
for k in $kids; do
	ok "worker $k leaves" t_wait 5 _t_gone "$k"
done
ok "the socket is removed" t_wait 5 sh -c "[ ! -e '$T/localca.sock' ]"
ok "the pid file is removed" [ ! -e "$T/localca.pid" ]
like "$(cat "$T/lca-slow.log")" "stopping 2 workers" "the supervisor logs the stop"
done_testing
