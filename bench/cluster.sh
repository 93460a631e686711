#!/bin/bash
# bench/cluster.sh -- `make bench-cluster`: cmpd on one host against two
# hosts on the same three-node MariaDB Galera cluster (contrib/cluster,
# everything on 127.0.0.1), ir + certConf with PBM by t/cmpload at
# concurrency C: directly to host a ("one host"), then through HAProxy,
# which alternates every request between hosts a and b ("two hosts").
# The runs alternate, R repetitions each; the report gives medians of
# enrolments per second and latency, and the Galera conflicts cmpd
# retried (cmpd_db_retries_total{error="deadlock"} of both hosts) per
# 1000 enrolments.
#
#   make bench-cluster              (from the build directory)
#
# Environment: BENCH_SECONDS (10), BENCH_REPS (3), BENCH_C (8),
# BENCH_REPORT (bench-cluster-report.txt), KEEP_TMP=1 keeps the cluster's
# directory.  The cluster is stopped at the end, whatever happens.
if [ -z "${BASH_VERSION-}" ]; then
	exec bash "$0" "$@"
fi
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$PWD}"
SECS=${BENCH_SECONDS:-10}
REPS=${BENCH_REPS:-3}
CONC=${BENCH_C:-8}
REPORT=${BENCH_REPORT:-bench-cluster-report.txt}
LOAD=$top_builddir/t/cmpload
CLUSTER=$top_srcdir/contrib/cluster/cluster.sh

note() { printf 'bench-cluster: %s\n' "$*" >&2; }
die() { note "$*"; exit 1; }
[ -x "$LOAD" ] || die "$LOAD missing: make check builds it (make t/cmpload)"

CLUSTER_DIR=$(mktemp -d /tmp/cmpd-bench-cluster.XXXXXX) || die "mktemp failed"
chmod 711 "$CLUSTER_DIR"
CLUSTER_BUILDDIR=$top_builddir
export CLUSTER_DIR CLUSTER_BUILDDIR
stop() {
	"$CLUSTER" stop > "$CLUSTER_DIR/stop.log" 2>&1
	if [ "${KEEP_TMP-}" = 1 ]; then
		note "kept $CLUSTER_DIR"
	else
		rm -rf "$CLUSTER_DIR"
	fi
}
trap stop EXIT
trap 'exit 1' INT TERM
note "starting the cluster in $CLUSTER_DIR"
"$CLUSTER" start > "$CLUSTER_DIR/start.log" 2>&1 ||
	{ tail -n 30 "$CLUSTER_DIR/start.log" >&2; die "cluster.sh start failed"; }
. "$CLUSTER_DIR/cluster.env"
CMP=/api/v1/protocols/cmp/enroll

# deadlocks NAME: both hosts' cmpd_db_retries_total{error="deadlock"}
deadlocks() {
	local port sum=0 v
	for port in "$HOST_A_PORT" "$HOST_B_PORT"; do
		v=$(curl -sS --noproxy '*' --max-time 10 "http://127.0.0.1:$port/metrics" |
			awk '$1 == "cmpd_db_retries_total{error=\"deadlock\"}" { print $2 }')
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
# run WHICH URL REP: one cmpload run; one line "WHICH rate p50 p99 ok conflicts"
run() {
	local d0 d1 out=$CLUSTER_DIR/run-$1-$3.out
	d0=$(deadlocks)
	timeout $((SECS + 90)) "$LOAD" -u "$2$CMP" -s "$CLUSTER_SECRET" -r "$CLUSTER_REF" \
		--recipient CN=cmpd --subject-prefix "bench-$1-$3" -c "$CONC" -d "$SECS" \
		--msg-timeout 20 > "$out" 2>&1
	d1=$(deadlocks)
	echo "$1 $(sed -n 's/^rate_per_s=//p' "$out") $(sed -n 's/^lat_p50_ms=//p' "$out")" \
		"$(sed -n 's/^lat_p99_ms=//p' "$out") $(sed -n 's/^ok=//p' "$out") $((d1 - d0))"
}
note "warming up"
"$LOAD" -u "$CLUSTER_URL$CMP" -s "$CLUSTER_SECRET" -r "$CLUSTER_REF" --recipient CN=cmpd \
	--subject-prefix warm -c 2 -d 2 > "$CLUSTER_DIR/warm.out" 2>&1 ||
	{ cat "$CLUSTER_DIR/warm.out" >&2; die "no enrolment in the warm-up"; }
: > "$CLUSTER_DIR/runs"
for rep in $(seq 1 "$REPS"); do
	run one "http://127.0.0.1:$HOST_A_PORT" "$rep" | tee -a "$CLUSTER_DIR/runs" >&2
	run two "$CLUSTER_URL" "$rep" | tee -a "$CLUSTER_DIR/runs" >&2
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v w="$1" -v c="$2" '$1 == w { print $c }' "$CLUSTER_DIR/runs" | median; }
{
	echo "cmpd on a Galera cluster, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, all on 127.0.0.1"
	echo "three MariaDB Galera nodes, cmp-localca, cmpd hosts a and b (lighttpd + cmpd each), HAProxy;"
	echo "ir + certConf with PBM, C = $CONC, $REPS x $SECS s per row (medians); conflicts:"
	echo "Galera deadlocks cmpd retried (both hosts) per 1000 enrolments"
	echo
	echo "| hosts | tps | p50 ms | p99 ms | conflicts / 1000 |"
	echo "|---|---:|---:|---:|---:|"
	for w in one two; do
		ok=$(awk -v w="$w" '$1 == w { s += $5 } END { print s + 0 }' "$CLUSTER_DIR/runs")
		cf=$(awk -v w="$w" '$1 == w { s += $6 } END { print s + 0 }' "$CLUSTER_DIR/runs")
		printf '| %s | %s | %s | %s | %s |\n' "$([ $w = one ] && echo "1 (host a)" || echo "2 (HAProxy)")" \
			"$(col "$w" 2)" "$(col "$w" 3)" "$(col "$w" 4)" \
			"$(awk -v c="$cf" -v o="$ok" 'BEGIN { printf "%.2f", o ? 1000 * c / o : 0 }')"
	done
	echo
	echo "two hosts / one host (tps): $(awk -v a="$(col two 2)" -v b="$(col one 2)" 'BEGIN { printf "%.2f", b ? a / b : 0 }')"
} | tee "$REPORT"
