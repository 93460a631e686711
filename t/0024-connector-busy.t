#!/bin/sh
# A CA that hangs does not take every worker: connector_workers_max
# (default workers - 1) caps the workers in connector calls; a CMP
# request beyond it is answered at once, systemUnavail "the CA is busy,
# retry later", while /health, /metrics and the management API are still
# answered. A worker killed in the middle of a call leaks no place, and
# everything works again once the CA does.
. "$top_srcdir/t/lib.sh"
t_setup
# three workers: two may wait on the CA, one stays free
t_stack "message_time_skew = 0" "workers = 3" "connector_timeout = 8" \
	"log_level = info"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
# calls run to connector_timeout here: a syncBudget as long turns no slow
# call into delayed delivery (t/0031-polling.t tests that)
t_sql "UPDATE cmp_profile SET sync_budget = 8 WHERE name = 'enroll'"
plan_auto

API_KEY=$(t_api_key api-reader read)
CMP=/api/v1/protocols/cmp/enroll
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
# client OUT NAME: an ir for CN=NAME with the enroll profile's secret,
# output in OUT, the certificate in $T/NAME.crt
client() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path "$CMP" \
		-recipient /CN=cmpd -ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
		-newkey "$T/dev.key" -subject "/CN=$2" -certout "$T/$2.crt" \
		-unprotected_errors -msg_timeout 30 -total_timeout 50 > "$1" 2>&1
}
metric() {	# metric NAME: its value in a fresh scrape
	curl -sS --noproxy '*' --max-time 10 "$HTTP_BASE/metrics" |
		awk -v n="$1" '$1 == n { print $2 }'
}
busy_is() { [ "$(metric cmpd_connector_busy_workers)" = "$1" ]; }
# elapsed CMD...: runs CMD, prints the seconds it took (3 decimals)
elapsed() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" > /dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 ))"
}
within() { [ "$1" -lt "$2" ]; }	# within MS LIMIT_MS

ok "an ir works while the CA answers" client "$T/c0.out" before
is "$(metric cmpd_connector_workers_max)" 2 "connector_workers_max: workers - 1 = 2"
is "$(metric cmpd_connector_busy_workers)" 0 "no worker in a connector call"

# A CA that accepts connections and never answers. It takes a port the
# kernel picks and names it in a file (a port chosen before the bind could
# be taken meanwhile by a test running alongside).
t_bg hang python3 -c '
import os, socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$T/hang.port"
t_wait 10 test -s "$T/hang.port" || bail "the hanging listener did not start"
HANG_PORT=$(cat "$T/hang.port")
t_wait 10 _t_port_open "$HANG_PORT" || bail "the hanging listener does not accept"
t_sql "UPDATE connector SET url = 'http://127.0.0.1:$HANG_PORT/ca' WHERE name = 'localca'"

# two requests wait on the CA: every place is taken
client "$T/c1.out" wait-1 &
W1=$!
client "$T/c2.out" wait-2 &
W2=$!
ok "two workers are in connector calls" t_wait 10 busy_is 2
# the next CMP request (the third worker) is answered at once
ms=$(elapsed client "$T/c3.out" extra)
ok "the extra CMP request is answered within 3 s (${ms} ms), not after connector_timeout" \
	within "$ms" 3000
like "$(cat "$T/c3.out")" "systemUnavail" "... systemUnavail"
like "$(cat "$T/c3.out")" "PN=enroll \| the CA is busy, retry later" "... the CA is busy, retry later"
like "$(grep ' rid=' "$T/cmpd.log" | grep 'body=ir' | tail -n 1)" "outcome=CMPF_CA_BUSY" \
	"... logged as CMPF_CA_BUSY"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=extra'")" 0 \
	"... nothing issued for it"

# health, metrics and the API still answer while the two wait
ms=$(elapsed curl -sS --noproxy '*' --max-time 20 -o "$T/health.json" "$HTTP_BASE/health")
ok "GET /health answered within 5 s (${ms} ms)" within "$ms" 5000
like "$(cat "$T/health.json")" '"database":"ok"' "... with the database ok"
like "$(cat "$T/health.json")" '"status":"degraded"' "... and the hanging CA counted as unreachable"
ms=$(elapsed t_api GET /connectors)
ok "GET /api/v1/connectors answered within 3 s (${ms} ms)" within "$ms" 3000
is "$(t_api GET /connectors)" 200 "... with 200"
is "$(metric cmpd_connector_busy_workers)" 2 "... while both still wait on the CA"
ok "the first waiting client is still waiting" kill -0 "$W1"
ok "the second too" kill -0 "$W2"
ok "the refusal is counted" test "$(metric cmpd_connector_busy_refused_total)" -ge 1

# after connector_timeout the two get their answer and the places are free
wait "$W1"
wait "$W2"
like "$(cat "$T/c1.out")" "the certificate authority is unavailable, try again later" \
	"the waiting requests end with the CA unavailable"
ok "no worker in a connector call any more" t_wait 10 busy_is 0

# A worker killed with -9 inside a call leaves no place behind.
client "$T/c4.out" wait-4 &
W4=$!
client "$T/c5.out" wait-5 &
W5=$!
ok "two workers in connector calls again" t_wait 10 busy_is 2
for pid in $(t_cmpd_workers); do
	kill -KILL "$pid"
done
wait "$W4" "$W5" 2>/dev/null
ok "the workers are back" t_wait 15 sh -c "[ \$(ps --ppid $CMPD_PID -o pid= | wc -l) -eq 3 ]"
ok "their places were freed by the master" t_wait 10 busy_is 0
ms=$(elapsed client "$T/c6.out" after-kill)
ok "a request after the kill waits on the CA (${ms} ms), it is not refused as busy" \
	within 5000 "$ms"
unlike "$(cat "$T/c6.out")" "the CA is busy" "... no busy answer"

# the CA answers again: everything works
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE name = 'localca'"
ok "an ir works again" client "$T/c7.out" recovered
ok "... its certificate verifies" openssl verify -CAfile "$T/ca/root.crt" \
	-untrusted "$T/ca/ca.crt" "$T/recovered.crt"
# (a worker's sweep may be asking the CA about the calls that timed out)
ok "no place held" t_wait 20 busy_is 0
done_testing
