#!/bin/sh
# More requests for the CA than places among connector_workers_max: the
# workers wait in line. The one that waited longest gets the next free
# place, before any request that came after it, so none is answered "the
# CA is busy" while the line drains within the half second a place is
# waited for; /metrics shows the workers that wait.
. "$top_srcdir/t/lib.sh"
t_setup
# One place, six clients: five wait behind each call the CA answers
# after 30 ms. In line, the last waits five calls, well below 500 ms; by
# chance (whoever looks first when a place frees), some wait longer.
t_stack "workers = 8" "connector_workers_max = 1" "log_level = info"
t_start_localca "issue_delay_ms = 30"
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

CMP=/api/v1/protocols/cmp/enroll
LOAD=$top_builddir/t/cmpload
[ -x "$LOAD" ] || bail "$LOAD not built"
metric() {	# metric NAME: its value in a fresh scrape
	curl -sS --noproxy '*' --max-time 10 "$HTTP_BASE/metrics" |
		awk -v n="$1" '$1 == n { print $2 }'
}
kv() { sed -n "s/^$1=//p" "$T/load.out"; }
waiting_is() { [ "$(metric cmpd_connector_waiting_workers)" = "$1" ]; }
# while the six run: some wait in line
waiting_seen() {
	n=$(metric cmpd_connector_waiting_workers)
	[ -n "$n" ] && [ "$n" -ge 1 ]
}

is "$(metric cmpd_connector_workers_max)" 1 "connector_workers_max 1"
is "$(metric cmpd_connector_waiting_workers)" 0 "no worker waits for a place"

"$LOAD" -u "http://127.0.0.1:$HTTP_PORT$CMP" -s "$ENROLL_SECRET" \
	-r "$ENROLL_REF" -c 6 -d 6 --key-pool 2 --connection thread \
	--unprotected-errors > "$T/load.out" 2> "$T/load.err" &
LOAD_PID=$!
ok "/metrics shows workers waiting for the place" t_wait 5 waiting_seen
busy=$(metric cmpd_connector_busy_workers)
ok "... and one in a call at most ($busy)" [ "$busy" -le 1 ]
wait "$LOAD_PID"
is "$?" 0 "cmpload ran"
diag_file "$T/load.err" 5
n=$(kv ok)
ok "the six clients enrolled ($n)" [ "${n:-0}" -ge 20 ]
lat=$(kv lat_max_ms)
ok "... some waited for the place ($lat ms), more than two calls" \
	awk -v l="$lat" 'BEGIN { exit !(l >= 60) }'
is "$(kv errors)" 0 "... none was refused"
is "$(grep -c 'outcome=CMPF_CA_BUSY' "$T/cmpd.log")" 0 \
	"... no answer 'the CA is busy'"
is "$(metric cmpd_connector_busy_refused_total)" 0 \
	"... none counted as refused"
ok "no worker waits afterwards" t_wait 10 waiting_is 0
is "$(metric cmpd_connector_busy_workers)" 0 "... and none is in a call"
done_testing
