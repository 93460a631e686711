#!/bin/bash
# bench/run.sh -- `make bench`: the cmpd stack side by side with OpenSSL's
# mock CMP server (openssl cmp -port), both driven by t/cmpload with
# ir + certConf (RFC 9810 5.3.1, 5.3.18), PBM- and signature-protected.
#
#   make bench                      (from the build directory)
#   top_srcdir=.. top_builddir=. bash ../bench/run.sh
#
# Environment:
#   BENCH_SECONDS   length of one run (10)
#   BENCH_REPS      runs per server, protection and concurrency (3)
#   BENCH_C         concurrencies ("1 4 8 16")
#   BENCH_MODES     protections ("pbm sig")
#   BENCH_FILL      N > 0: afterwards fill the database with N certificates
#                   and transactions, and measure again (0)
#   BENCH_REPORT    the report is also written here (bench-report.txt)
#   BENCH_RAW       keep one line per run here (default: only in $T)
#   BENCH_PERF      FILE: record `perf record -a -g` (or BENCH_PERF_OPTS)
#                   into FILE during one extra C=4 run of the cmpd stack
#                   (not in the table), PBM or BENCH_PERF_MODE=sig;
#                   FILE.pids names the stack's processes (group pid...),
#                   for perf report --pid
#   BENCH_SOAK      N > 0: afterwards PBM at C=8 in runs of 10 s until
#                   cmpd answered N more requests (at most 30 min), and
#                   the workers' memory every N/10 of them (0)
#   BENCH_DB_EXTRA  more mariadbd options, split at spaces (to look, not to
#                   tune: "--general-log=1 --general-log-file=general.log"
#                   with KEEP_TMP=1 keeps every statement in $T/db)
#   BENCH_KEY_POOL, BENCH_CONN_CMPD, BENCH_CONN_MOCK, BENCH_LOG_LEVEL,
#   BENCH_WORKERS, BENCH_LOCALCA_WORKERS:
#                   see bench/lib.sh
#   CMPD_WRAP, LOCALCA_WRAP
#                   a command to start cmpd or cmp-localca under (t/lib.sh),
#                   to look, not to measure: "valgrind --tool=callgrind
#                   --callgrind-out-file=/tmp/cg.%p" with BENCH_WORKERS=1
#                   BENCH_C=1 counts every call of a worker (one file per
#                   process; callgrind_annotate --inclusive=yes)
#   KEEP_TMP=1      keep the stack's directory
#
# For each protection and concurrency, the R runs alternate between the
# servers (cmpd, mock, cmpd, mock, ...).  Per run: enrolments completed per
# second, latency percentiles of the completed ones (ir sent to pkiconf
# received), errors (enrolments that did not complete) and the CPU time of
# every server process (utime + stime from /proc/PID/stat, children reaped
# in the meantime included) before and after, divided by the completed
# enrolments.  The report shows the medians of the R runs and the ratio
# cmpd/mock.  The load generator runs on the same machine; its own CPU
# time while the clock runs (getrusage) is the last column, in no
# server's.
#
# The mock listens on every address (its -port takes a number only), so
# everything runs in a private network namespace (unshare -n) where only
# loopback exists; without one (not root) the mock is left out.  Every
# service is stopped at the end, whatever happens.

if [ -z "${BASH_VERSION-}" ]; then
	exec bash "$0" "$@"
fi
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$PWD}"
export top_srcdir top_builddir

if [ -z "${BENCH_NETNS-}" ]; then
	if command -v unshare > /dev/null 2>&1 && unshare -n true 2> /dev/null; then
		BENCH_NETNS=1 exec unshare -n bash "$0" "$@"
	fi
	BENCH_NETNS=0
fi
if [ "$BENCH_NETNS" = 1 ]; then
	ip link set lo up || { echo "bench: cannot bring up loopback" >&2; exit 1; }
fi

. "$top_srcdir/t/lib.sh"
. "$top_srcdir/bench/lib.sh"

SECS=${BENCH_SECONDS:-10}
REPS=${BENCH_REPS:-3}
CONCS=${BENCH_C:-1 4 8 16}
MODES=${BENCH_MODES:-pbm sig}
FILL=${BENCH_FILL:-0}
REPORT=${BENCH_REPORT:-bench-report.txt}
HZ=$(getconf CLK_TCK)

[ -x "$BENCH_LOAD" ] || { echo "bench: $BENCH_LOAD not built (make t/cmpload)" >&2; exit 1; }
note() { printf 'bench: %s\n' "$*" >&2; }

t_setup
# _t_exit wants a TAP plan; this is no test
_t_plan=skip
bench_exit() {
	local st=$?
	trap - EXIT INT TERM HUP
	t_stop_bg mock
	t_stop_bg localca
	t_stop_lighttpd
	t_stop_cmpd
	t_stop_db
	if [ "${KEEP_TMP-}" = 1 ]; then
		note "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$st"
}
trap bench_exit EXIT

SERVERS="cmpd mock"
[ "$BENCH_NETNS" = 1 ] || {
	SERVERS=cmpd
	note "no private network namespace (unshare -n needs root): the mock, which listens on every address, is left out"
}
note "starting the stack in $T"
bench_stack

# ------------------------------------------------------------ measuring
# bench_ticks: "group=ticks ..." for lighttpd, cmpd, mysqld, localca and
# mock: each one's process, its live descendants, and the children they
# reaped (cutime, cstime).
bench_ticks() {
	local lp=${BG_PID_localca-} mp=${BG_PID_mock-}
	cat /proc/[0-9]*/stat 2> /dev/null | awk -v roots="lighttpd=$LIGHTTPD_PID cmpd=$CMPD_PID mysqld=$DB_PID localca=${lp:-0} mock=${mp:-0}" '
	{
		pid = $1
		s = $0
		sub(/^.*\) /, "", s)
		split(s, f, " ")
		# after "pid (comm) ": state ppid ... utime(12) stime cutime cstime
		ppid[pid] = f[2]
		ticks[pid] = f[12] + f[13] + f[14] + f[15]
	}
	END {
		n = split(roots, r, " ")
		for (i = 1; i <= n; i++) {
			split(r[i], kv, "=")
			group[kv[2]] = kv[1]
			out[kv[1]] = 0
		}
		for (p in ticks) {
			for (q = p; q in ppid && !(q in group); q = ppid[q])
				;
			if (q in group && q != 0)
				out[group[q]] += ticks[p]
		}
		for (i = 1; i <= n; i++) {
			split(r[i], kv, "=")
			printf "%s=%d ", kv[1], out[kv[1]]
		}
		print ""
	}'
}

# bench_mem: "workers=N uss_kb=AVG/MAX rss_kb=AVG/MAX" over cmpd's workers
# (USS: Private_* of /proc/PID/smaps_rollup)
bench_mem() {
	local pid
	for pid in $(t_cmpd_workers); do
		awk '/^Rss:/ { r = $2 } /^Private_/ { u += $2 }
			END { print u, r }' "/proc/$pid/smaps_rollup" 2> /dev/null
	done | awk '{ n++; u += $1; r += $2; if ($1 > mu) mu = $1; if ($2 > mr) mr = $2 }
		END { printf "workers=%d uss_kb=%d/%d rss_kb=%d/%d (avg/max)\n",
			n, n ? u / n : 0, mu, n ? r / n : 0, mr }'
}

# bench_dbstat: "statements commits fsyncs" of the database so far
# (Questions, Com_commit, Innodb_data_fsyncs): every client's, cmpd's
# and cmp-localca's together
bench_dbstat() {
	t_sql "SELECT GROUP_CONCAT(variable_value ORDER BY FIELD(variable_name,
		'QUESTIONS', 'COM_COMMIT', 'INNODB_DATA_FSYNCS') SEPARATOR ' ')
		FROM information_schema.global_status WHERE variable_name IN
		('QUESTIONS', 'COM_COMMIT', 'INNODB_DATA_FSYNCS')" 2> /dev/null ||
		echo "0 0 0"
}

# bench_requests: the requests cmpd answered since it started (its
# /metrics, straight from its socket)
bench_requests() {
	t_fcgi "" /metrics GET "" > /dev/null 2>&1 || { echo 0; return; }
	awk '/^cmpd_requests_total[{ ]/ { s += $NF } END { printf "%d\n", s }' \
		"$T/resp.der"
}

# bench_soak N: PBM at C=8 until cmpd answered N more requests; the
# workers' memory at the start and after every N/10 requests, and how
# many workers max_requests replaced meanwhile
bench_soak() {
	local soak=$1 step r0 n=0 next k=0 t0=$SECONDS pids0 gone=0 pid
	step=$((soak / 10))
	[ "$step" -gt 0 ] || step=1
	next=$step
	r0=$(bench_requests)
	pids0=$(t_cmpd_workers)
	echo "soak: PBM at C = 8 until cmpd answered $soak requests (max_requests = $(sed -n 's/^max_requests = //p' "$T/cmpd.conf"))"
	echo "  requests=0 $(bench_mem)"
	while [ "$n" -lt "$soak" ] && [ $((SECONDS - t0)) -lt 1800 ]; do
		k=$((k + 1))
		bench_load cmpd pbm 8 10 "soak$k" > "$T/soak.out" 2>&1
		n=$(($(bench_requests) - r0))
		if [ "$n" -ge "$next" ] || [ "$n" -ge "$soak" ]; then
			echo "  requests=$n $(bench_mem)"
			next=$(((n / step + 1) * step))
		fi
	done
	for pid in $pids0; do
		[ -d "/proc/$pid" ] || gone=$((gone + 1))
	done
	echo "  $n requests in $((SECONDS - t0)) s; workers replaced meanwhile: $gone of $(echo "$pids0" | wc -w)"
}

# _kv FILE KEY: a value of cmpload's report
_kv() { sed -n "s/^$2=//p" "$1" | head -n 1; }

RAW=${BENCH_RAW:-$T/raw}
: > "$RAW"
# bench_run PHASE SERVER MODE C REP: one run, one line in $RAW:
# phase server mode c rep ok errors tps p50 p99 cpu_total lighttpd cmpd
# mysqld localca mock (CPU in ms per completed enrolment), then the
# database's statements, COMMITs and InnoDB fsyncs during the run, then
# the load generator's own CPU per completed enrolment
bench_run() {
	local phase=$1 server=$2 mode=$3 conc=$4 rep=$5 out=$T/load.out
	local before after db0 db1
	db0=$(bench_dbstat)
	before=$(bench_ticks)
	bench_load "$server" "$mode" "$conc" "$SECS" "b$phase-$mode-$conc-$rep" \
		> "$out" 2> "$T/load.err"
	after=$(bench_ticks)
	db1=$(bench_dbstat)
	local ok errors
	ok=$(_kv "$out" ok)
	errors=$(_kv "$out" errors)
	if [ -z "$ok" ]; then
		note "$server $mode C=$conc: cmpload failed: $(tail -n 3 "$T/load.err")"
		ok=0
		errors=-1
	fi
	awk -v b="$before" -v a="$after" -v ok="$ok" -v hz="$HZ" -v srv="$server" \
	    -v d0="$db0" -v d1="$db1" -v client="$(_kv "$out" client_cpu_ms)" \
	    -v head="$phase $server $mode $conc $rep $ok $errors $(_kv "$out" rate_per_s) $(_kv "$out" lat_p50_ms) $(_kv "$out" lat_p99_ms)" '
	BEGIN {
		n = split(b, x, " "); split(a, y, " ")
		split("lighttpd cmpd mysqld localca mock", names, " ")
		for (i = 1; i <= n; i++) {
			split(x[i], kb, "="); split(y[i], ka, "=")
			d[kb[1]] = ka[2] - kb[2]
		}
		tot = srv == "mock" ? d["mock"] : d["lighttpd"] + d["cmpd"] + d["mysqld"] + d["localca"]
		f = ok > 0 ? 1000 / hz / ok : 0
		line = head sprintf(" %.3f", tot * f)
		for (i = 1; i <= 5; i++)
			line = line sprintf(" %.3f", d[names[i]] * f)
		split(d0, s0, " "); split(d1, s1, " ")
		for (i = 1; i <= 3; i++)
			line = line sprintf(" %d", s1[i] - s0[i])
		print line sprintf(" %.3f", client + 0)
	}' >> "$RAW"
	note "$(tail -n 1 "$RAW" | awk '{ printf "%-6s %s %-4s C=%-2s rep %s: %s ok, %s errors, %s/s, p50 %s ms, p99 %s ms, CPU %s ms/enrolment", $1, $3, $2, $4, $5, $6, $7, $8, $9, $10, $11 }')"
}

# bench_matrix PHASE: every protection and concurrency, the servers in turn
bench_matrix() {
	local mode conc rep server
	for mode in $MODES; do
		case $SERVERS in *mock*) bench_mock_start "$mode" ;; esac
		for conc in $CONCS; do
			for rep in $(seq 1 "$REPS"); do
				for server in $SERVERS; do
					bench_run "$1" "$server" "$mode" "$conc" "$rep"
				done
			done
		done
	done
}

# bench_dbreport PHASE: database work per completed cmpd enrolment, over
# all of PHASE's cmpd runs of each protection
bench_dbreport() {
	awk -v phase="$1" '
	$1 == phase && $2 == "cmpd" && NF >= 19 {
		if (!($3 in ok)) order[++n] = $3
		ok[$3] += $6; q[$3] += $17; c[$3] += $18; f[$3] += $19
	}
	END {
		for (i = 1; i <= n; i++) {
			m = order[i]
			if (ok[m] > 0)
				printf "database per enrolment (%s, ir + certConf, cmpd and cmp-localca): %.1f statements, %.2f COMMITs, %.2f InnoDB fsyncs\n",
				    m, q[m] / ok[m], c[m] / ok[m], f[m] / ok[m]
		}
	}' "$RAW"
}

# bench_report PHASE: the medians of $RAW's runs of PHASE, and cmpd/mock
bench_report() {
	awk -v phase="$1" '
	function median(k, j,   n, a, i, t) {
		n = split(vals[k, j], a, " ")
		for (i = 2; i <= n; i++)
			for (t = i; t > 1 && a[t - 1] + 0 > a[t] + 0; t--) {
				tmp = a[t]; a[t] = a[t - 1]; a[t - 1] = tmp
			}
		return n == 0 ? 0 : n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function ratio(x, y) { return y > 0 ? sprintf("%.2f", x / y) : "-" }
	$1 == phase {
		k = $3 SUBSEP $4 SUBSEP $2
		if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
		errs[k] += $7
		for (j = 8; j <= 16; j++)
			vals[k, j] = vals[k, j] " " $j
		vals[k, 20] = vals[k, 20] " " $20
	}
	END {
		printf "| mode | C | server | tps | p50 ms | p99 ms | errors | CPU ms/enrolment | lighttpd | cmpd | mysqld | cmp-localca | client |\n"
		printf "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
		for (i = 1; i <= nk; i++) {
			k = order[i]
			split(k, p, SUBSEP)
			if (p[3] == "mock")
				continue
			row(k, p)
			m = p[1] SUBSEP p[2] SUBSEP "mock"
			if (m in seen) {
				row(m, p)
				printf "| %s | %s | **cmpd/mock** | %s | %s | %s | | %s | | | | | %s |\n",
				    p[1], p[2], ratio(median(k, 8), median(m, 8)),
				    ratio(median(k, 9), median(m, 9)),
				    ratio(median(k, 10), median(m, 10)),
				    ratio(median(k, 11), median(m, 11)),
				    ratio(median(k, 20), median(m, 20))
			}
		}
	}
	function row(k, p,   s) {
		split(k, s, SUBSEP)
		if (s[3] == "mock")
			printf "| %s | %s | mock | %.1f | %.1f | %.1f | %d | %.2f | | | | | %.2f |\n",
			    s[1], s[2], median(k, 8), median(k, 9), median(k, 10),
			    errs[k], median(k, 11), median(k, 20)
		else
			printf "| %s | %s | cmpd | %.1f | %.1f | %.1f | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
			    s[1], s[2], median(k, 8), median(k, 9), median(k, 10),
			    errs[k], median(k, 11), median(k, 12), median(k, 13),
			    median(k, 14), median(k, 15), median(k, 20)
	}' "$RAW"
}

# ------------------------------------------------------------- filling
# bench_fill N: N more certificates (cmpd's and cmp-localca's) and
# transactions, copies of the newest real ones with their unique columns
# made unique, in one INSERT ... SELECT per table and 100 000 rows, from
# MariaDB's sequence engine (seq_A_to_B).
bench_fill() {
	local n=$1 from to tbl cols col sel
	local -A expr
	for tbl in certificate cmp_transaction localca_certificate; do
		cols=$(t_sql "SELECT GROUP_CONCAT(column_name ORDER BY ordinal_position)
			FROM information_schema.columns WHERE table_schema = 'cmpd'
			AND table_name = '$tbl'")
		expr=()
		# uuid-shaped, unique per row and table
		local u="LOWER(CONCAT(LPAD(HEX(s.seq), 8, '0'), '-%s-4000-8000-', LPAD(HEX(s.seq), 12, '0')))"
		local when="NOW(6) - INTERVAL s.seq SECOND"
		case $tbl in
		certificate)
			expr[uuid]=$(printf "$u" f001)
			expr[serial_number]="CONCAT('F1', LPAD(HEX(s.seq), 14, '0'))"
			expr[subject_dn]="CONCAT('CN=fill-', s.seq)"
			expr[fingerprint]="UNHEX(SHA2(CONCAT('fill-cert-', s.seq), 256))"
			expr[connector_certificate_uuid]=$(printf "$u" f003)
			expr[created_at]=$when
			expr[updated_at]=$when ;;
		cmp_transaction)
			expr[transaction_id]="LEFT(UNHEX(SHA2(CONCAT('fill-tid-', s.seq), 256)), 16)"
			expr[certificate_uuid]=$(printf "$u" f001)
			expr[request_id]=$(printf "$u" f002)
			expr[request_digest]="UNHEX(SHA2(CONCAT('fill-req-', s.seq), 256))"
			expr[request_spki_sha256]="UNHEX(SHA2(CONCAT('fill-spki-', s.seq), 256))"
			expr[last_sender_nonce]="LEFT(UNHEX(SHA2(CONCAT('fill-nonce-', s.seq), 256)), 16)"
			expr[state]="'confirmed'"
			expr[created_at]=$when
			expr[updated_at]=$when ;;
		localca_certificate)
			expr[uuid]=$(printf "$u" f003)
			expr[serial_hex]="CONCAT('F1', LPAD(HEX(s.seq), 14, '0'))"
			expr[subject]="CONCAT('CN=fill-', s.seq)"
			expr[request_id]=$(printf "$u" f002)
			expr[request_sha256]="UNHEX(SHA2(CONCAT('fill-req-', s.seq), 256))"
			expr[created_at]="NOW() - INTERVAL s.seq SECOND" ;;
		esac
		sel=""
		for col in ${cols//,/ }; do
			sel+="${sel:+, }${expr[$col]:-t.$col}"
		done
		for ((from = 1; from <= n; from += 100000)); do
			to=$((from + 99999 > n ? n : from + 99999))
			# t_sql's 30 s are too short for 10^5 rows with a
			# quick start's buffer pool on a busy machine
			timeout 1800 mariadb --no-defaults -S "$DB_SOCK" \
				-u "$DB_ROOT_USER" cmpd -e "INSERT INTO $tbl ($cols)
				SELECT $sel FROM seq_${from}_to_${to} s,
				(SELECT * FROM $tbl ORDER BY created_at DESC LIMIT 1) t" ||
				bail "filling $tbl failed (rows $from to $to)"
		done
	done
}

# --------------------------------------------------------------- main
{
	echo "cmpd benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(openssl version)"
	echo "ir + certConf; $REPS x ${SECS} s per row (medians), concurrency C = client threads;"
	echo "cmpd: lighttpd -> cmpd ($BENCH_WORKERS workers, log_level $BENCH_LOG_LEVEL) -> MariaDB (durable commits), cmp-localca ($BENCH_LOCALCA_WORKERS workers, EC P-256 CA);"
	echo "mock: openssl cmp -port (one process, one connection at a time; its answers carry the certificates cmpd's carry);"
	echo "client: t/cmpload, $BENCH_KEY_POOL pre-made EC P-256 keys per thread;"
	echo "connections: cmpd $BENCH_CONN_CMPD, mock $BENCH_CONN_MOCK (keep-alive);"
	echo "CPU: ms of server CPU (utime+stime) per completed enrolment; client: the load generator's own, in no server's CPU"
} > "$T/head"

note "warming up"
for mode in $MODES; do
	case $SERVERS in *mock*) bench_mock_start "$mode" ;; esac
	for server in $SERVERS; do
		bench_load "$server" "$mode" 2 2 "warm-$mode" > "$T/warm.out" 2>&1
		[ "$(_kv "$T/warm.out" ok)" -gt 0 ] 2> /dev/null ||
			{ cat "$T/warm.out" >&2; bail "$server $mode: no enrolment in the warm-up"; }
	done
done
mem_start=$(bench_mem)

if [ -n "${BENCH_PERF-}" ]; then
	note "perf record into $BENCH_PERF during a C=4 ${BENCH_PERF_MODE:-pbm} run of cmpd"
	{
		echo "lighttpd $LIGHTTPD_PID"
		echo "cmpd $CMPD_PID" $(t_cmpd_workers)
		echo "mysqld $DB_PID"
		echo "localca ${BG_PID_localca-}"
		echo "mock ${BG_PID_mock-}"
	} > "$BENCH_PERF.pids"
	# shellcheck disable=SC2086 # options, split on purpose
	perf record ${BENCH_PERF_OPTS:--a -g} -o "$BENCH_PERF" -- sleep "$SECS" \
		> "$T/perf.log" 2>&1 &
	perf_pid=$!
	bench_load cmpd "${BENCH_PERF_MODE:-pbm}" 4 "$SECS" perf > "$T/perf.out" 2>&1
	wait "$perf_pid"
	note "perf run: $(grep -E '^(ok|rate_per_s)=' "$T/perf.out" | tr '\n' ' ')"
fi

bench_matrix 0
mem_end=$(bench_mem)
{
	cat "$T/head"
	echo "database: $(t_sql "SELECT COUNT(*) FROM certificate") certificates at the end"
	echo
	bench_report 0
	echo
	bench_dbreport 0
	echo "cmpd workers after warm-up: $mem_start"
	echo "cmpd workers after the runs: $mem_end"
} > "$T/report"
# this part now, in case the fill fails or takes too long
cat "$T/report"
cp "$T/report" "$REPORT" 2> /dev/null || true

SOAK=${BENCH_SOAK:-0}
if [ "$SOAK" -gt 0 ] 2> /dev/null; then
	note "soak: PBM at C=8 until cmpd answered $SOAK more requests"
	{ echo; bench_soak "$SOAK"; } > "$T/report.soak"
	cat "$T/report.soak"
	cat "$T/report.soak" >> "$REPORT" 2> /dev/null || true
fi

if [ "$FILL" -gt 0 ] 2> /dev/null; then
	note "filling the database with $FILL certificates and transactions"
	fill_t0=$SECONDS
	bench_fill "$FILL"
	fill_s=$((SECONDS - fill_t0))
	note "filled in $fill_s s"
	bench_matrix 1
	{
		echo
		echo "after filling: $(t_sql "SELECT COUNT(*) FROM certificate") certificates, $(t_sql "SELECT COUNT(*) FROM cmp_transaction") transactions, $(t_sql "SELECT COUNT(*) FROM localca_certificate") at cmp-localca (filled in $fill_s s)"
		echo
		bench_report 1
		echo
		bench_dbreport 1
		echo "cmpd workers after the runs: $(bench_mem)"
	} > "$T/report.fill"
	cat "$T/report.fill"
	cat "$T/report.fill" >> "$REPORT" 2> /dev/null || true
fi
