#!/bin/sh
# The benchmark's tools keep working: t/cmpload over keep-alive
# connections, PBM- and signature-protected ir + certConf against the
# benchmark's stack (bench/lib.sh), and a very short `make bench`
# (bench/run.sh) whose report must hold a row per server and protection,
# and a second table after BENCH_FILL; BENCH_SOAK's memory lines.
. "$top_srcdir/t/lib.sh"
. "$top_srcdir/bench/lib.sh"
t_setup
[ -x "$BENCH_LOAD" ] || bail "$BENCH_LOAD not built"
bench_stack
plan_auto

for mode in pbm sig; do
	bench_load cmpd "$mode" 2 1 "smoke-$mode" > "$T/$mode.out" 2> "$T/$mode.err"
	is "$?" 0 "$mode: cmpload ran"
	out=$(cat "$T/$mode.out")
	like "$out" $'(^|\n)ok=[1-9][0-9]*\n' "$mode: enrolments completed"
	like "$out" $'(^|\n)errors=0\n' "$mode: no errors"
	ok=$(sed -n 's/^ok=//p' "$T/$mode.out")
	cpu=$(sed -n 's/^client_cpu_ms=//p' "$T/$mode.out")
	ok "$mode: the load generator's own CPU per enrolment (${cpu:-none} ms)" \
		awk -v c="${cpu:-0}" 'BEGIN { exit !(c > 0) }'
	conns=$(sed -n 's/^connections=//p' "$T/$mode.out")
	# two threads, one connection each unless the server closed one
	ok "$mode: the connections were kept alive ($conns for $ok enrolments)" \
		test "${conns:-0}" -ge 2 -a "${conns:-0}" -lt "$((ok * 2))"
	is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction t JOIN certificate c
		ON c.uuid = t.certificate_uuid WHERE c.subject_dn LIKE 'CN=smoke-$mode-%'
		AND t.state = 'confirmed'")" "$ok" "$mode: cmpd confirmed every one"
	diag_file "$T/$mode.err" 5
done
out=$(bench_load cmpd pbm 1 1 smoke-wrong -s wrong --unprotected-errors)
like "$out" $'(^|\n)errors=[1-9][0-9]*\n' "refused enrolments count as errors"
# SIGTERM ends a run before its -d: the clients finish the enrolment in
# flight (each one confirmed), then the report
term_started() {
	[ "$(t_sql "SELECT COUNT(*) > 0 FROM certificate
		WHERE subject_dn LIKE 'CN=smoke-term-%'")" = 1 ]
}
bench_load cmpd pbm 2 60 smoke-term > "$T/term.out" 2>&1 &
term_pid=$!
# once it has enrolled (not while it is still making its keys)
t_wait 30 term_started
sleep 1
# to bench_load's timeout(1), which passes it on to cmpload
pkill -TERM -P "$term_pid" -x timeout
t_wait 20 _t_gone "$term_pid"
wait "$term_pid"
is "$?" 0 "SIGTERM: cmpload ends (exit 0)"
term_ok=$(sed -n 's/^ok=//p' "$T/term.out")
ok "SIGTERM: enrolments before it (${term_ok:-none})" test "${term_ok:-0}" -gt 0
term_s=$(sed -n 's/^elapsed_s=//p' "$T/term.out")
ok "SIGTERM: the run ended at it (${term_s:-no} s), not at -d 60" \
	awk -v e="${term_s:-0}" 'BEGIN { exit !(e > 0 && e < 30) }'
like "$(cat "$T/term.out")" $'(^|\n)errors=0\n' "SIGTERM: no enrolment cut short"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction t JOIN certificate c
	ON c.uuid = t.certificate_uuid WHERE c.subject_dn LIKE 'CN=smoke-term-%'
	AND t.state = 'confirmed'")" "$term_ok" "SIGTERM: cmpd confirmed every one"
t_stop_lighttpd
t_stop_bg localca
t_stop_cmpd
t_stop_db

# run.sh with everything at its smallest, and a small fill
BENCH_SECONDS=1 BENCH_REPS=1 BENCH_C=1 BENCH_FILL=1000 BENCH_SOAK=500 \
	BENCH_REPORT=$T/report.txt timeout 300 bash "$top_srcdir/bench/run.sh" \
	> "$T/bench.out" 2> "$T/bench.err"
is "$?" 0 "bench/run.sh ran"
diag_file "$T/bench.err" 20
report=$(cat "$T/report.txt" 2> /dev/null)
row='\| [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| 0 \| [0-9.]+ \|'
for mode in pbm sig; do
	like "$report" "\| $mode \| 1 \| cmpd $row" "report: cmpd $mode, no errors"
	cpu=$(grep "^| $mode | 1 | cmpd |" "$T/report.txt" | head -n 1 | awk -F'|' '{ print $(NF - 1) }')
	ok "report: the client's CPU per cmpd $mode enrolment, last column ($cpu)" \
		awk -v c="${cpu:-0}" 'BEGIN { exit !(c > 0) }'
done
if unshare -n true 2> /dev/null; then
	for mode in pbm sig; do
		like "$report" "\| $mode \| 1 \| mock $row" "report: mock $mode, no errors"
		like "$report" "\| $mode \| 1 \| \*\*cmpd/mock\*\* \| [0-9.]+ \|" \
			"report: ratio $mode"
	done
else
	skip "no private network namespace here (unshare -n): run.sh leaves the mock out" 4
fi
like "$report" $'\nafter filling: [0-9]+ certificates, [0-9]+ transactions' "report: after the fill"
n=$(sed -n 's/^after filling: \([0-9]*\) certificates.*/\1/p' "$T/report.txt")
ok "the fill added 1000 certificates ($n)" test "${n:-0}" -gt 1000
is "$(grep -c '^| pbm | 1 | cmpd |' "$T/report.txt")" 2 "a table before and after the fill"
like "$report" 'cmpd workers after the runs: workers=8 uss_kb=[1-9]' "report: worker memory"
like "$report" $'\nsoak: PBM at C = 8 until cmpd answered 500 requests' "report: the soak"
n=$(sed -n 's/^  requests=\([0-9]*\) workers=8 uss_kb=[1-9].*/\1/p' "$T/report.txt" | tail -n 1)
ok "the soak's last line: at least 500 requests ($n), the workers' memory" \
	test "${n:-0}" -ge 500
like "$report" $'\n  [0-9]+ requests in [0-9]+ s; workers replaced meanwhile: [0-9]+ of 8' \
	"report: the soak's requests, time and replaced workers"
is "$(cat "$T/bench.out")" "$report" "the report on stdout too"
done_testing
