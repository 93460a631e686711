# t/lib.sh -- shell library for cmpd's TAP tests (t/NNNN-topic.t).
#
# A test starts like this and sources nothing before it:
#
#   . "$top_srcdir/t/lib.sh"      # re-executes the test under bash if needed
#   t_setup                       # private $T, cleanup trap
#   t_start_db; t_write_conf; t_migrate; t_start_cmpd
#   plan 3                        # or plan_auto ... done_testing
#   st=$(t_fcgi "$top_srcdir/t/fixtures/ir-pbm.der" /api/v1/protocols/cmp/demo)
#   is "$st" 200 "ir answered"
#   ok "answer is DER" openssl asn1parse -inform DER -in "$T/resp.der"
#
# make check runs the tests with top_srcdir and top_builddir set (absolute);
# run one by hand with
#   top_srcdir=$PWD top_builddir=$PWD/build bash t/0002-http.t
# KEEP_TMP=1 keeps $T (its path is printed); T_VERBOSE=1 echoes the output of
# commands run by ok/nok as diagnostics even when they succeed.
#
# Exit status: 0 when every test ran (failures are reported by "not ok"
# lines, which make check counts), non-zero for a wrong or missing plan,
# a bail-out or a signal.  On any failure the logs in $T (cmpd, migrate,
# lighttpd, MariaDB, t_bg services) are printed as "#" diagnostics.
#
# Every wait is bounded; every service listens on a Unix socket in $T or on
# 127.0.0.1 only, and is stopped by the exit trap.
#
# TAP      plan N | plan_auto + done_testing; ok/nok "desc" cmd...;
#          is/isnt GOT WANT "desc"; like/unlike GOT ERE "desc"; pass/fail;
#          skip "why" [n]; skip_all "why"; bail "why"; diag; diag_file F [n]
# setup    t_setup ($T, trap); t_wait SECS cmd...; t_bg NAME cmd... /
#          t_stop_bg NAME (helper services, pid in BG_PID_NAME)
# MariaDB  t_start_db, t_stop_db, t_restart_db, t_kill_db, t_sql "SQL"
#          (DB_SOCK, DB_ROOT_USER, $T/db.pw)
# cmpd     t_write_conf [overrides], t_migrate, t_start_cmpd, t_stop_cmpd
#          (CMPD_PID, CMPD_EXIT), t_cmpd_workers
# API      t_api_key NAME ROLE; t_api METHOD PATH [JSON] [KEY]; t_json EXPR
# HTTP     t_start_lighttpd [lines], t_stop_lighttpd (HTTP_PORT, HTTP_BASE);
#          t_console_dir (the web console both servers serve at /console/);
#          t_post FILE PATH [ctype]; t_fcgi FILE PATH [method] [ctype];
#          t_header NAME; t_split_response RAW.  Responses: $T/resp.der,
#          $T/resp.hdr.  Fixtures: $T_FIXTURES (t/fixtures, see its README).
# Apache   t_start_apache [lines before the include], t_stop_apache
# TLS      t_tls_material ($T/tls: CA, server and client certificates);
#          T_TLS=1 before t_start_lighttpd / t_start_apache adds HTTPS
#          (TLS_PORT, TLS_BASE; see there)

# automake runs tests as "$(SHELL) test.t", which is dash on Debian.  This
# library is bash; start the test again under bash before anything happens.
if [ -z "${BASH_VERSION-}" ]; then
	exec bash "$0" "$@"
fi

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

# Find daemons in sbin even for users whose PATH lacks it.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH
# Never send test traffic through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

T_FIXTURES=$top_srcdir/t/fixtures

# Built with --enable-asan?  (Some measurements mean nothing under ASan.)
T_ASAN=0
if ldd "$top_builddir/cmpd" 2>/dev/null | grep -q libasan; then
	T_ASAN=1
fi

# ================================================================== TAP
_t_n=0          # tests run
_t_failed=0     # tests failed
_t_plan=""      # number, or "auto" for done_testing
_t_done=0       # done_testing printed the plan

plan() {
	_t_plan=$1
	echo "1..$1"
}

plan_auto() {
	_t_plan=auto
}

done_testing() {
	# cmpd's sanitizer reports (ASan build) appear when its processes
	# exit: stop it first, then every test file checks its log.
	if [ "$_t_plan" = auto ] && [ "$_t_done" = 0 ] && [ -n "${T-}" ] &&
	   [ -f "$T/cmpd.log" ]; then
		t_stop_cmpd
		nok "no sanitizer report in cmpd's log" \
			grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/cmpd.log"
	fi
	if [ "$_t_plan" = auto ] && [ "$_t_done" = 0 ] &&
	   [ "${T_WEB-}" = apache ]; then
		ok "the CMP requests went through Apache" \
			grep -q '^POST /api/v1/protocols/cmp/.* 200$' "$T/apache-access.log"
	fi
	if [ "$_t_plan" = auto ] && [ "$_t_done" = 0 ]; then
		echo "1..$_t_n"
		_t_done=1
	fi
}

# diag "line"...  or  cmd | diag   TAP diagnostics
diag() {
	if [ "$#" -eq 0 ]; then
		sed 's/^/# /'
	else
		printf '%s\n' "$@" | sed 's/^/# /'
	fi
}

# diag_file FILE [max-lines]: a file's tail as diagnostics.
diag_file() {
	[ -s "$1" ] || return 0
	diag "---- ${1##*/} (last ${2:-50} lines)"
	tail -n "${2:-50}" "$1" | LC_ALL=C tr -c '\n\t -~' '?' | diag
}

# A description must stay one line and must not look like a directive.
_t_desc() {
	local d=${1//$'\n'/ }
	printf '%s' "${d//#/\\#}"
}

pass() {
	_t_n=$((_t_n + 1))
	echo "ok $_t_n - $(_t_desc "${1-}")"
}

fail() {
	_t_n=$((_t_n + 1))
	_t_failed=$((_t_failed + 1))
	echo "not ok $_t_n - $(_t_desc "${1-}")"
	return 1
}

# ok "desc" cmd args...   passes if cmd exits 0 (runs in this shell, so
#                         functions such as t_start_cmpd may be tested)
# nok "desc" cmd args...  passes if cmd exits non-zero
_t_run() {
	local want=$1 desc=$2 out rc=0
	shift 2
	out=${T:-${TMPDIR:-/tmp}}/.t_out.$$
	"$@" > "$out" 2>&1 || rc=$?
	if { [ "$want" = 0 ] && [ "$rc" = 0 ]; } ||
	   { [ "$want" != 0 ] && [ "$rc" != 0 ]; }; then
		pass "$desc"
		[ -z "${T_VERBOSE-}" ] || diag < "$out"
		rm -f "$out"
		return 0
	fi
	fail "$desc"
	diag "  command: $*" "  exit status: $rc (wanted $([ "$want" = 0 ] && echo 0 || echo non-zero))"
	if [ -s "$out" ]; then
		diag "  output (last 20 lines):"
		tail -n 20 "$out" | LC_ALL=C tr -c '\n\t -~' '?' | sed 's/^/    /' | diag
	fi
	rm -f "$out"
	return 1
}

ok()  { _t_run 0 "$@"; }
nok() { _t_run 1 "$@"; }

# is GOT WANT "desc"   string equality
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
		return 0
	fi
	fail "$3"
	diag "       got: '$1'" "  expected: '$2'"
	return 1
}

isnt() {
	if [ "$1" != "$2" ]; then
		pass "$3"
		return 0
	fi
	fail "$3"
	diag "       got: '$1'" "  expected anything else"
	return 1
}

# like GOT REGEX "desc"   bash extended regex ([[ =~ ]]), unanchored;
# "." also matches newlines, ^ and $ anchor the whole string.
like() {
	if [[ $1 =~ $2 ]]; then
		pass "$3"
		return 0
	fi
	fail "$3"
	diag "                  '$1'" "  doesn't match: '$2'"
	return 1
}

unlike() {
	if ! [[ $1 =~ $2 ]]; then
		pass "$3"
		return 0
	fi
	fail "$3"
	diag "                  '$1'" "  matches: '$2'"
	return 1
}

# skip "reason" [count]   reports count (default 1) skipped tests
skip() {
	local i
	for i in $(seq 1 "${2:-1}"); do
		_t_n=$((_t_n + 1))
		echo "ok $_t_n # SKIP $1"
	done
}

# skip_all "reason"   only when the test cannot possibly run here
skip_all() {
	echo "1..0 # SKIP $1"
	_t_plan=skip
	exit 0
}

bail() {
	echo "Bail out! $*"
	_t_bailed=1
	exit 255
}

# CMPD_TESTS_SKIP="0035-cluster 0037-deb ...": these tests skip, saying
# so. test.sh sets it for its later passes (distcheck, ASan+UBSan): they
# leave out what its main pass ran and they would add nothing to (a
# second Galera cluster, the Debian package built once more).
_t_name=${0##*/}
_t_name=${_t_name%.t}
case " ${CMPD_TESTS_SKIP-} " in
*" $_t_name "*) skip_all "$_t_name runs in test.sh's main pass (CMPD_TESTS_SKIP)" ;;
esac

# t_wait SECONDS cmd args...   retry cmd every 0.1 s until it succeeds;
# non-zero if it never did.
t_wait() {
	local deadline=$((SECONDS + $1))
	shift
	while :; do
		"$@" > /dev/null 2>&1 && return 0
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# ================================================================ setup
_t_bailed=0
_t_bg_names=""   # services started with t_bg, in start order

t_setup() {
	local base=${TMPDIR:-/tmp}
	# Unix socket paths are limited to 108 bytes: stay short.
	if [ ${#base} -gt 40 ]; then
		base=/tmp
	fi
	T=$(mktemp -d "$base/cmpd.XXXXXX") || bail "cannot create a temp dir in $base"
	export T
	trap _t_exit EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

_t_exit() {
	local st=$? rc=0 name
	trap - EXIT INT TERM HUP
	# The verdict comes from the TAP stream, not from whatever command ran
	# last; only bail-outs and signals keep their own status.
	case $st in 255|129|130|143) rc=$st ;; esac
	if [ "$_t_plan" = auto ] && [ "$_t_done" = 0 ] && [ "$_t_bailed" = 0 ]; then
		diag "done_testing was not called (test script died?)"
		rc=1
	elif [ -z "$_t_plan" ] && [ "$_t_bailed" = 0 ]; then
		diag "no plan: call plan N or plan_auto/done_testing"
		rc=1
	elif [ "$_t_plan" != auto ] && [ "$_t_plan" != skip ] &&
	     [ "$_t_plan" != "$_t_n" ] && [ "$_t_bailed" = 0 ]; then
		diag "planned $_t_plan tests but ran $_t_n"
		rc=1
	fi
	# Failed tests are already reported as "not ok": a non-zero exit would
	# make tap-driver add a misleading ERROR ("exited with status 1").
	if { [ "$rc" != 0 ] || [ "$_t_failed" != 0 ]; } && [ -n "${T-}" ] && [ -d "$T" ]; then
		diag_file "$T/cmpd.log" 200
		diag_file "$T/migrate.log" 50
		diag_file "$T/lighttpd-error.log" 50
		diag_file "$T/apache-error.log" 50
		diag_file "$T/cmpd_ssl_error.log" 50
		diag_file "$T/mariadb.log" 50
		for name in $_t_bg_names; do
			diag_file "$T/$name.log" 50
		done
	fi
	# Stop in reverse order of dependency.
	for name in $_t_bg_names; do
		t_stop_bg "$name"
	done
	t_stop_lighttpd
	t_stop_apache
	t_stop_cmpd
	t_stop_db
	if [ -n "${T-}" ] && [ -d "$T" ]; then
		if [ "${KEEP_TMP-}" = 1 ]; then
			diag "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit "$rc"
}

# -------------------------------------------------------- process helpers
# _t_gone PID: true once PID has exited (a zombie counts as exited).
_t_gone() {
	local state
	[ -r "/proc/$1/stat" ] || return 0
	state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$state" ] || [ "$state" = Z ] || [ "$state" = X ]
}

# _t_stop_pid PID SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
# Returns the process' exit status when it is our child, else 0.
_t_stop_pid() {
	local pid=$1 rc=0
	[ -n "$pid" ] || return 0
	if ! _t_gone "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! t_wait "$2" _t_gone "$pid"; then
			diag "pid $pid ignored SIGTERM for $2 s, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null
			t_wait 5 _t_gone "$pid"
		fi
	fi
	wait "$pid" 2>/dev/null || rc=$?
	return "$rc"
}

# t_bg NAME cmd args...   start a helper service in the background, output
# in $T/NAME.log, pid in the variable BG_PID_NAME; stopped at exit.
t_bg() {
	local name=$1
	shift
	# the name becomes part of a variable name
	[[ $name =~ ^[A-Za-z0-9_]+$ ]] || bail "t_bg: '$name' is not a valid NAME (letters, digits, _)"
	"$@" > "$T/$name.log" 2>&1 &
	printf -v "BG_PID_$name" '%s' "$!"
	_t_bg_names="$name $_t_bg_names"
}

t_stop_bg() {
	local var="BG_PID_$1"
	[ -n "${!var-}" ] || return 0
	_t_stop_pid "${!var}" 10
	local rc=$?
	printf -v "$var" '%s' ""
	return "$rc"
}

# ============================================================== MariaDB
DB_SOCK=""
DB_PID=""
DB_ROOT_USER=$(id -un)   # install-db's unix_socket account for this OS user

_t_db_args() {
	local user=()
	[ "$(id -u)" != 0 ] || user=(--user=root)
	# A private tmpdir: two bootstraps sharing /tmp (make -j2 check) can
	# remove each other's temporary tables and fail or crash.
	mkdir -p "$T/dbtmp"
	# --no-defaults must come first: ignore /etc/mysql entirely.
	_t_db_argv=(--no-defaults "${user[@]}" --datadir="$T/db" --tmpdir="$T/dbtmp"
		--innodb-buffer-pool-size=16M --innodb-log-file-size=4M
		--innodb-temp-data-file-path=ibtmp1:4M:autoextend --innodb-use-native-aio=0
		--innodb-flush-log-at-trx-commit=2 --skip-log-bin)
}

_t_db_ping() {
	mariadb-admin --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" \
		--connect-timeout=2 ping
}

# t_start_db: private MariaDB in $T/db, Unix socket $T/mysql.sock only
# (with T_DB_PORT set: also TCP on 127.0.0.1:$T_DB_PORT; T_DB_PORT=auto
# takes a free port, and another one if a test running alongside binds it
# first, and sets T_DB_PORT to the port MariaDB listens on).
# First call creates the data dir, database cmpd and user cmpd@localhost
# (random password in $T/db.pw, mode 600); later calls (t_restart_db) reuse it.
t_start_db() {
	local try
	[ "${T_DB_PORT-}" = auto ] || { _t_start_db; return; }
	for try in 1 2 3 4 5; do
		T_DB_PORT=$(_t_free_port) || bail "no free port for MariaDB"
		_t_db_port_lost=0
		_t_start_db && return 0
		[ "$_t_db_port_lost" = 1 ] || break
		diag "port $T_DB_PORT was taken before MariaDB bound it; another one"
	done
	bail "MariaDB did not start"
}
_t_start_db() {
	local pw net=(--skip-networking)
	[ -z "${T_DB_PORT-}" ] || net=(--port="$T_DB_PORT" --bind-address=127.0.0.1)
	[ -n "${T-}" ] || bail "t_start_db before t_setup"
	[ -z "$DB_PID" ] || return 0
	DB_SOCK=$T/mysql.sock
	export DB_SOCK
	_t_db_args
	if [ ! -d "$T/db/mysql" ]; then
		timeout 60 mariadb-install-db "${_t_db_argv[@]}" \
			--auth-root-authentication-method=socket --skip-test-db \
			> "$T/mariadb-install.log" 2>&1 || {
			diag_file "$T/mariadb-install.log"
			bail "mariadb-install-db failed"
		}
	fi
	mariadbd "${_t_db_argv[@]}" --socket="$DB_SOCK" "${net[@]}" \
		--pid-file="$T/mariadb.pid" --log-error="$T/mariadb.log" \
		--max-connections=200 \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
		> "$T/mariadb.out" 2>&1 &
	DB_PID=$!
	local deadline=$((SECONDS + 30))
	until _t_db_ping > /dev/null 2>&1; do
		if [ "${T_DB_PORT-}" ] && _t_gone "$DB_PID" &&
			grep -q "Bind on TCP/IP port" "$T/mariadb.log" 2>/dev/null; then
			# a port found free was taken before the bind: the caller
			# (T_DB_PORT=auto) tries another
			wait "$DB_PID" 2>/dev/null
			DB_PID=""
			_t_db_port_lost=1
			: > "$T/mariadb.log"
			return 1
		fi
		if _t_gone "$DB_PID" || [ "$SECONDS" -ge "$deadline" ]; then
			diag_file "$T/mariadb.log"
			diag_file "$T/mariadb.out"
			bail "MariaDB did not start within 30 s"
		fi
		sleep 0.1
	done
	if [ ! -f "$T/db.pw" ]; then
		pw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
		(umask 077 && printf '%s' "$pw" > "$T/db.pw")
		mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" -e "
			CREATE DATABASE cmpd;
			CREATE USER 'cmpd'@'localhost' IDENTIFIED BY '$pw';
			GRANT ALL ON cmpd.* TO 'cmpd'@'localhost';" ||
			bail "cannot create database cmpd"
	fi
	return 0
}

# t_stop_db: clean shutdown (bounded), SIGKILL as a last resort.
t_stop_db() {
	[ -n "$DB_PID" ] || return 0
	if ! _t_gone "$DB_PID"; then
		timeout 30 mariadb-admin --no-defaults -S "$DB_SOCK" \
			-u "$DB_ROOT_USER" shutdown > /dev/null 2>&1
		t_wait 30 _t_gone "$DB_PID"
	fi
	_t_stop_pid "$DB_PID" 10
	DB_PID=""
	return 0
}

t_restart_db() {
	t_stop_db
	t_start_db
}

# t_kill_db: crash MariaDB (SIGKILL) for fault-injection tests.
t_kill_db() {
	[ -n "$DB_PID" ] || return 0
	kill -KILL "$DB_PID" 2>/dev/null
	t_wait 10 _t_gone "$DB_PID"
	wait "$DB_PID" 2>/dev/null
	DB_PID=""
	return 0
}

# t_sql "SQL"   run SQL as the database superuser on database cmpd; prints
# the result rows tab-separated, no column names.
t_sql() {
	timeout 30 mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" \
		-N -B cmpd -e "$1"
}

# ================================================================= cmpd
CMPD_PID=""
CMPD_EXIT=""

# t_write_conf [ARG...]   write $T/cmpd.conf.  Each ARG is one of
#   "key = value"   replaces the default line for key, or is appended
#   "-key"          drops the default line for key
#   anything else   appended verbatim (to test the config parser)
t_write_conf() {
	local conf=$T/cmpd.conf arg key line found
	local lines=(
		"listen = $T/cmpd.sock"
		"workers = 2"
		"max_requests = 10000"
		"body_max = 262144"
		"server_name = CN=cmpd"
		"log_level = debug"
		"pid_file = $T/cmpd.pid"
		"db_socket = ${DB_SOCK:-$T/mysql.sock}"
		"db_user = cmpd"
		"db_password_file = $T/db.pw"
		"db_name = cmpd"
		"schema_dir = $top_srcdir/schema"
		"secret_key_file = $T/secret.key"
		# tests change profiles in SQL, behind cmpd's back: every
		# request reads them (t/0047-profile-cache.t tests the cache)
		"profile_cache = 0"
	)
	# Apache's children (www-data) connect to cmpd's socket
	[ "${T_WEB-}" != apache ] || lines+=("listen_mode = 0666")
	local i
	if [ ! -s "$T/secret.key" ]; then
		(umask 077; openssl rand -hex 32 > "$T/secret.key")
	fi
	for arg in "$@"; do
		if [[ $arg =~ ^-([A-Za-z0-9_]+)$ ]]; then
			key=${BASH_REMATCH[1]}
			for i in "${!lines[@]}"; do
				[[ ${lines[$i]} =~ ^${key}[[:space:]]*= ]] && unset 'lines[i]'
			done
			lines=("${lines[@]}")
			continue
		fi
		if [[ $arg =~ ^[[:space:]]*([A-Za-z0-9_]+)[[:space:]]*= ]]; then
			key=${BASH_REMATCH[1]}
			found=0
			for i in "${!lines[@]}"; do
				if [[ ${lines[$i]} =~ ^${key}[[:space:]]*= ]]; then
					lines[i]=$arg
					found=1
				fi
			done
			[ "$found" = 1 ] && continue
		fi
		lines+=("$arg")
	done
	{
		echo "# written by t/lib.sh t_write_conf"
		for line in "${lines[@]}"; do
			printf '%s\n' "$line"
		done
	} > "$conf"
}

# t_migrate: apply the schema (must exit 0).  Output in $T/migrate.log.
t_migrate() {
	timeout 60 "$top_builddir/cmpd" -c "$T/cmpd.conf" --migrate \
		> "$T/migrate.log" 2>&1 && return 0
	diag_file "$T/migrate.log"
	return 1
}

# t_stack [t_write_conf args...]: what most tests start with: a private
# MariaDB, $T/cmpd.conf, the schema, the test profiles of t/profiles.sql,
# and cmpd.
t_stack() {
	t_start_db || bail "MariaDB did not start"
	t_write_conf "$@"
	t_migrate || bail "migration failed"
	t_sql "$(cat "$top_srcdir/t/profiles.sql")" || bail "seeding the profiles failed"
	# the secret of the DER fixtures (t/fixtures/gen.sh)
	printf 'test-secret\n' |
		"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret demo \
		> "$T/secret.log" 2>&1 || { diag_file "$T/secret.log"; bail "--set-shared-secret failed"; }
	t_start_cmpd || bail "cmpd did not start"
}

# t_start_cmpd [extra cmpd args]: cmpd in the foreground mode, in the
# background; output in $T/cmpd.log.  Non-zero (with the log as
# diagnostics) if the socket did not appear within 10 s.
t_start_cmpd() {
	[ -z "$CMPD_PID" ] || t_stop_cmpd
	rm -f "$T/cmpd.sock"
	# CI runs as root; tests of the user switch start cmpd themselves.
	# CMPD_WRAP: a command to run it under (bench/run.sh: a profiler)
	${CMPD_WRAP-} "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root "$@" \
		>> "$T/cmpd.log" 2>&1 &
	CMPD_PID=$!
	CMPD_EXIT=""
	local deadline=$((SECONDS + 10))
	until [ -S "$T/cmpd.sock" ]; do
		if _t_gone "$CMPD_PID"; then
			wait "$CMPD_PID"
			CMPD_EXIT=$?
			CMPD_PID=""
			diag "cmpd exited with status $CMPD_EXIT during start-up"
			diag_file "$T/cmpd.log"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			diag "cmpd socket $T/cmpd.sock did not appear within 10 s"
			diag_file "$T/cmpd.log"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# t_stop_cmpd: SIGTERM, up to 15 s for a graceful exit, then SIGKILL.
# The exit status is left in CMPD_EXIT and returned.
t_stop_cmpd() {
	[ -n "$CMPD_PID" ] || return 0
	local rc=0
	_t_stop_pid "$CMPD_PID" 15 || rc=$?
	CMPD_EXIT=$rc
	CMPD_PID=""
	return "$rc"
}

# t_cmpd_workers: PIDs of cmpd's worker processes (children of CMPD_PID),
# one per line.
t_cmpd_workers() {
	[ -n "$CMPD_PID" ] || return 0
	local f line pid
	local -a fld
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null < "$f" || continue
		# after "(comm) " come the state and the ppid
		read -r -a fld <<< "${line##*) }"
		if [ "${fld[1]-}" = "$CMPD_PID" ] && [ "${fld[0]}" != Z ]; then
			pid=${f#/proc/}
			echo "${pid%/stat}"
		fi
	done | sort -n
}

# ============================================================= lighttpd
LIGHTTPD_PID=""
HTTP_PORT=""
HTTP_BASE=""

# _t_port_free PORT: nothing listens on 127.0.0.1:PORT
_t_port_free() {
	if command -v ss > /dev/null 2>&1; then
		[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ] || return 1
	fi
	! (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

_t_port_open() {
	(exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

# t_listens PID PORT: process PID listens on TCP port PORT (not some other
# process that took the port first).
t_listens() {
	if ! command -v ss > /dev/null 2>&1; then
		! _t_gone "$1" && _t_port_open "$2"
		return
	fi
	ss -Hltnp "sport = :$2" 2> /dev/null | grep -q "pid=$1,"
}

# _t_start_web NAME PIDVAR: starts web server NAME on a free port of
# 127.0.0.1 with the helpers _t_NAME_conf PORT (writes its configuration),
# _t_NAME_run (execs it in the foreground: the background subshell becomes
# the server, so PIDVAR is the server's pid) and _t_NAME_check (validates
# the configuration). Retries other ports after a lost race; sets PIDVAR,
# HTTP_PORT and HTTP_BASE.  A _t_NAME_conf that opens a second port sets
# _t_web_port2 to it; the server counts as started once both are open.
_t_web_port2=""
_t_ports_open() {
	_t_port_open "$1" && { [ -z "$_t_web_port2" ] || _t_port_open "$_t_web_port2"; }
}
# _t_random_port: a port from 21000 up to the kernel's ephemeral range
# (ip_local_port_range), never in it: an outgoing connection could take
# the port of a service while it is down, and the service (a database
# node brought back under load) could not bind it again.  20000-20999
# are t_free_port_block's alone.
_t_random_port() {
	local low rest
	read -r low rest < /proc/sys/net/ipv4/ip_local_port_range 2> /dev/null ||
		low=32768
	[ "$low" -gt 22000 ] 2> /dev/null || low=60000
	echo $((21000 + RANDOM % (low - 21000)))
}
# t_free_port_block: prints P, the first of 50 consecutive ports of
# 127.0.0.1 in 20000-20999 that are all free now (the Galera cluster's
# nodes, contrib/cluster/cluster.sh CLUSTER_PORT).  No other port a test
# takes lies there: a node's SST and IST ports are bound only while it
# joins, and a test running alongside could otherwise take one between.
t_free_port_block() {
	local p i try ok
	for try in $(seq 1 40); do
		p=$((20000 + (RANDOM % 20) * 50))
		ok=1
		for i in $(seq 0 49); do
			_t_port_free $((p + i)) || { ok=0; break; }
		done
		if [ "$ok" = 1 ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
# _t_free_port: prints a port of 127.0.0.1 that is free now.
_t_free_port() {
	local port try
	for try in $(seq 1 50); do
		port=$(_t_random_port)
		if _t_port_free "$port"; then
			echo "$port"
			return 0
		fi
	done
	return 1
}
_t_start_web() {
	local name=$1 pidvar=$2 try port pid deadline
	for try in 1 2 3 4 5 6 7 8; do
		port=$(_t_random_port)
		_t_port_free "$port" || continue
		_t_web_port2=""
		"_t_${name}_conf" "$port"
		"_t_${name}_run" >> "$T/$name-error.log" 2>&1 &
		pid=$!
		printf -v "$pidvar" '%s' "$pid"
		deadline=$((SECONDS + 10))
		while ! _t_ports_open "$port"; do
			if _t_gone "$pid" || [ "$SECONDS" -ge "$deadline" ]; then
				break
			fi
			sleep 0.05
		done
		# listening itself, not beside whoever took the port first
		if t_listens "$pid" "$port" &&
			{ [ -z "$_t_web_port2" ] || t_listens "$pid" "$_t_web_port2"; }; then
			HTTP_PORT=$port
			HTTP_BASE=http://127.0.0.1:$port
			export HTTP_PORT HTTP_BASE
			return 0
		fi
		# lost a race for the port, or a config error: retry or give up
		_t_stop_pid "$pid" 5
		printf -v "$pidvar" '%s' ""
		"_t_${name}_check" > /dev/null 2>&1 || break
	done
	diag_file "$T/$name-error.log"
	bail "$name did not start"
}

# t_console_dir: prints $T/console, a copy of the source tree's console/
# (made on the first call) that both web servers serve below /console/;
# a copy, so that Apache's children (www-data) can read it wherever the
# tree is, writable by us (distcheck's source tree is read-only).
t_console_dir() {
	if [ ! -f "$T/console/index.html" ]; then
		rm -rf "$T/console"
		cp -R "$top_srcdir/console" "$T/console" &&
			chmod -R u+w,a+rX "$T/console" || bail "t_console_dir: cannot copy console/"
	fi
	printf '%s\n' "$T/console"
}

# t_start_lighttpd [extra config lines...]: lighttpd on a free port of
# 127.0.0.1 in front of $T/cmpd.sock, with contrib/lighttpd/cmpd.conf.
# Extra lines go after the include; to change a setting the include already
# made, use lighttpd's ":=" operator.  Exports HTTP_PORT and HTTP_BASE.
_t_lighttpd_extra=()
_t_lighttpd_conf() {
	local line
	{
		echo "# written by t/lib.sh t_start_lighttpd"
		echo "server.port = $1"
		echo "server.bind = \"127.0.0.1\""
		echo "server.document-root = \"$T/www\""
		echo "server.errorlog = \"$T/lighttpd-error.log\""
		echo "server.pid-file = \"$T/lighttpd.pid\""
		echo "server.upload-dirs = ( \"$T\" )"
		echo "server.modules = ( \"mod_accesslog\" )"
		echo "accesslog.filename = \"$T/lighttpd-access.log\""
		echo "var.cmpd_socket = \"$T/cmpd.sock\""
		echo "include \"$top_srcdir/contrib/lighttpd/cmpd.conf\""
		# the web console of this tree (t_console_dir), not an installed one
		echo "\$HTTP[\"url\"] =~ \"^/console/\" {"
		echo "	alias.url := ( \"/console/\" => \"$(t_console_dir)/\" )"
		echo "}"
		if [ "${T_TLS-}" = 1 ]; then
			_t_web_port2=$(_t_free_port) || bail "no free port for TLS"
			TLS_PORT=$_t_web_port2
			echo "var.cmpd_tls_socket = \"127.0.0.1:$TLS_PORT\""
			echo "var.cmpd_tls_pemfile = \"$T/tls/server.pem\""
			echo "var.cmpd_tls_privkey = \"$T/tls/server.key\""
			echo "var.cmpd_tls_client_ca = \"$T/tls/ca.crt\""
			echo "include \"$top_srcdir/contrib/lighttpd/cmpd-tls.conf\""
		fi
		for line in "${_t_lighttpd_extra[@]}"; do
			printf '%s\n' "$line"
		done
	} > "$T/lighttpd.conf"
}
_t_lighttpd_run() { exec lighttpd -D -f "$T/lighttpd.conf"; }
_t_lighttpd_check() { lighttpd -tt -f "$T/lighttpd.conf"; }

# With T_WEB=apache, lighttpd stays the connectors' side (cmp-localca, the
# fake CGI connectors) and Apache is started in front of cmpd: HTTP_BASE is
# then Apache's, CONNECTOR_BASE lighttpd's.  The wrappers
# t/*-apache.t run a test so.
# With T_TLS=1 (and t_tls_material), lighttpd also serves HTTPS on
# 127.0.0.1:$TLS_PORT (TLS_BASE) with contrib/lighttpd/cmpd-tls.conf:
# $T/tls/server.pem, client certificates of $T/tls/ca.crt for the
# management API.
t_start_lighttpd() {
	[ -z "$LIGHTTPD_PID" ] || t_stop_lighttpd
	mkdir -p "$T/www"
	_t_lighttpd_extra=("$@")
	if [ "${T_TLS-}" = 1 ]; then
		[ -s "$T/tls/server.pem" ] || t_tls_material
	fi
	_t_start_web lighttpd LIGHTTPD_PID
	CONNECTOR_BASE=$HTTP_BASE
	export CONNECTOR_BASE
	if [ "${T_TLS-}" = 1 ]; then
		TLS_BASE=https://127.0.0.1:$TLS_PORT
		export TLS_PORT TLS_BASE
	fi
	if [ "${T_WEB-}" = apache ]; then
		t_start_apache
	fi
}

t_stop_lighttpd() {
	[ -n "$LIGHTTPD_PID" ] || return 0
	_t_stop_pid "$LIGHTTPD_PID" 10
	LIGHTTPD_PID=""
	return 0
}

# =============================================================== Apache
APACHE_PID=""

# t_start_apache: Apache 2.4 (event MPM, mod_proxy_fcgi) on a free port of
# 127.0.0.1 in front of $T/cmpd.sock, with contrib/apache/cmpd.conf.
# Apache's children run as www-data: $T becomes traversable (0711) and
# cmpd's socket must be world-connectable (listen_mode = 0666 in tests).
# Sets HTTP_PORT and HTTP_BASE like t_start_lighttpd.  Arguments are
# configuration lines that go before the include (e.g. "Define CMPD_TCP
# 127.0.0.1:PORT").  With T_TLS=1 (and t_tls_material) it serves HTTPS
# instead, with contrib/apache/cmpd-site.conf (mod_ssl; server.pem,
# client certificates of $T/tls/ca.crt for the management API): HTTP_BASE
# and TLS_BASE are then https://127.0.0.1:PORT.
_t_apache_extra=()
_t_apache_conf() {
	local mods=/usr/lib/apache2/modules line
	cat > "$T/apache.conf" <<-EOF
	# written by t/lib.sh t_start_apache
	ServerRoot "$T/apache"
	ServerName 127.0.0.1
	Listen 127.0.0.1:$1
	PidFile "$T/apache.pid"
	ErrorLog "$T/apache-error.log"
	CustomLog "$T/apache-access.log" "%m %U %>s"
	LogLevel warn
	LoadModule mpm_event_module $mods/mod_mpm_event.so
	LoadModule authz_core_module $mods/mod_authz_core.so
	LoadModule proxy_module $mods/mod_proxy.so
	LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
	LoadModule env_module $mods/mod_env.so
	LoadModule authz_host_module $mods/mod_authz_host.so
	User $_t_apache_user
	Group $(id -gn "$_t_apache_user")
	StartServers 1
	ServerLimit 2
	ThreadsPerChild 8
	MaxRequestWorkers 16
	LoadModule alias_module $mods/mod_alias.so
	LoadModule headers_module $mods/mod_headers.so
	LoadModule mime_module $mods/mod_mime.so
	LoadModule dir_module $mods/mod_dir.so
	# the console's types come from contrib/apache/cmpd.conf (AddType)
	TypesConfig /dev/null
	DocumentRoot "$T/www"
	Define CMPD_SOCKET $T/cmpd.sock
	Define CMPD_CONSOLE_DIR $(t_console_dir)
	EOF
	for line in "${_t_apache_extra[@]}"; do
		printf '%s\n' "$line" >> "$T/apache.conf"
	done
	if [ "${T_TLS-}" = 1 ]; then
		cat >> "$T/apache.conf" <<-EOF
		LoadModule ssl_module $mods/mod_ssl.so
		LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
		SSLSessionCache "shmcb:$T/apache/ssl_scache(512000)"
		LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
		Define CMPD_HTTPS_PORT $1
		Define CMPD_SERVER_NAME 127.0.0.1
		Define CMPD_TLS_CERT $T/tls/server.pem
		Define CMPD_TLS_KEY $T/tls/server.key
		Define CMPD_CLIENT_CA $T/tls/ca.crt
		Define CMPD_INCLUDE $top_srcdir/contrib/apache/cmpd.conf
		Define APACHE_LOG_DIR $T
		Include "$top_srcdir/contrib/apache/cmpd-site.conf"
		EOF
	else
		echo "Include \"$top_srcdir/contrib/apache/cmpd.conf\"" >> "$T/apache.conf"
	fi
}
_t_apache_run() { exec apache2 -D FOREGROUND -f "$T/apache.conf"; }
_t_apache_check() { apache2 -t -f "$T/apache.conf"; }

t_start_apache() {
	[ -z "$APACHE_PID" ] || t_stop_apache
	_t_apache_user=www-data
	id "$_t_apache_user" > /dev/null 2>&1 || _t_apache_user=nobody
	mkdir -p "$T/www" "$T/apache"
	chmod 711 "$T"
	_t_apache_extra=("$@")
	if [ "${T_TLS-}" = 1 ]; then
		[ -s "$T/tls/server.pem" ] || t_tls_material
	fi
	_t_start_web apache APACHE_PID
	if [ "${T_TLS-}" = 1 ]; then
		HTTP_BASE=https://127.0.0.1:$HTTP_PORT
		TLS_PORT=$HTTP_PORT
		TLS_BASE=$HTTP_BASE
		export HTTP_BASE TLS_PORT TLS_BASE
	fi
}

t_stop_apache() {
	[ -n "$APACHE_PID" ] || return 0
	_t_stop_pid "$APACHE_PID" 10
	APACHE_PID=""
	return 0
}

# t_sig_profile [POLICY]: CMP Profile "sig", signature both ways, on the
# demo RA Profile of t/profiles.sql; subjectPolicy POLICY (signer, the
# default, or any).  Its signing credentials and anchors are the test's.
t_sig_profile() {
	t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection,
    response_protection, default_ra_profile_uuid, subject_policy) VALUES
  ('00000000-0000-4000-8000-00000000f101', 'sig', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-00000000e001', '${1:-signer}')" ||
		bail "inserting CMP Profile sig failed"
}

# ================================================================== TLS
# t_signer [NAME [SUBJECT [ISSUER]]]: a signing key and certificate for
# cmpd (EC P-256, digitalSignature) under the test CA's root, or ISSUER
# ca for its issuing CA ($T/ca): $T/NAME.key and $T/NAME.crt (NAME:
# signer; SUBJECT: /O=cmpd tests/CN=cmpd signer).
# $T/signer.ext keeps the extensions, for more certificates like it.
t_signer() {
	local n=${1:-signer} subj=${2:-/O=cmpd tests/CN=cmpd signer} iss=${3:-root}
	printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nkeyUsage=critical,digitalSignature\n' \
		> "$T/signer.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$n.key" -out "$T/$n.csr" -subj "$subj" 2>/dev/null &&
	openssl x509 -req -in "$T/$n.csr" -CA "$T/ca/$iss.crt" -CAkey "$T/ca/$iss.key" \
		-CAcreateserial -days 30 -extfile "$T/signer.ext" -out "$T/$n.crt" 2>/dev/null
}

# t_tls_material: a TLS PKI in $T/tls, apart from the CMP test CA:
#   ca.crt/ca.key           "TLS Test CA" (EC P-256): issues the rest, and
#                           is the CA of client certificates the web
#                           servers accept
#   server.crt/server.key   CN=127.0.0.1, SAN IP:127.0.0.1, serverAuth;
#                           server.pem = certificate + CA
#   client.crt/client.key   CN=api-admin, clientAuth
#   other-ca.crt, other-client.crt/.key   an unrelated CA and a client
#                           certificate of it (CN=intruder)
t_tls_material() {
	local d=$T/tls
	mkdir -p "$d"
	_t_tls_ca() {
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/$1.key" -out "$d/$1.crt" -days 30 -subj "$2" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	}
	# _t_tls_leaf NAME CA SUBJECT EXTFILE-LINES
	_t_tls_leaf() {
		printf '%b' "$4" > "$d/$1.ext"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/$1.key" -out "$d/$1.csr" -subj "$3" 2>/dev/null &&
		openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.crt" -CAkey "$d/$2.key" \
			-CAcreateserial -days 30 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
	}
	_t_tls_ca ca "/O=cmpd tests/CN=TLS Test CA" &&
	_t_tls_ca other-ca "/O=elsewhere/CN=Other CA" &&
	_t_tls_leaf server ca "/O=cmpd tests/CN=127.0.0.1" \
		'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' &&
	_t_tls_leaf client ca "/O=cmpd tests/CN=api-admin" \
		'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' &&
	_t_tls_leaf other-client other-ca "/O=elsewhere/CN=intruder" \
		'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' &&
	cat "$d/server.crt" "$d/ca.crt" > "$d/server.pem" ||
		bail "t_tls_material: openssl failed"
	# Apache's children read nothing here (keys are loaded as root), but
	# keep the keys private anyway.
	chmod 600 "$d"/*.key
}

# ============================================================ the CA side
# t_make_ca: a test PKI in $T/ca: root.crt/root.key (EC P-256) and the
# issuing CA ca.crt/ca.key (RSA 2048) signed by it; chain.pem = the root.
t_make_ca() {
	local d=$T/ca
	mkdir -p "$d"
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$d/ca.ext"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/root.key" -out "$d/root.crt" -days 3650 \
		-subj "/O=cmpd tests/CN=Test Root CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.csr" \
		-subj "/O=cmpd tests/CN=Test Issuing CA" 2>/dev/null &&
	openssl x509 -req -in "$d/ca.csr" -CA "$d/root.crt" -CAkey "$d/root.key" \
		-CAcreateserial -days 1825 -extfile "$d/ca.ext" -out "$d/ca.crt" 2>/dev/null &&
	cp "$d/root.crt" "$d/chain.pem" || bail "t_make_ca: openssl failed"
}

# t_start_localca [extra config lines]: cmp-localca on $T/localca.sock
# with $T/ca (made if missing) and the test database.  Put it behind
# lighttpd with: t_start_lighttpd "$(t_localca_lighttpd)"
# Its callers authenticate with HTTP basic: user $LOCALCA_USER, password
# in $T/localca.pw (random, mode 600); t_localca_cred prints the
# connector credentials JSON for them, t_localca_curl_auth curl's -u.
# LOCALCA_WRAP: a command to run it under (bench/run.sh: a profiler).
LOCALCA_USER=cmpd
t_localca_password() {
	if [ ! -s "$T/localca.pw" ]; then
		(umask 077; openssl rand -hex 24 > "$T/localca.pw")
	fi
	cat "$T/localca.pw"
}
t_localca_cred() {
	printf '{"username":"%s","password":"%s"}\n' "$LOCALCA_USER" \
		"$(t_localca_password)"
}
t_localca_curl_auth() {
	printf '%s:%s' "$LOCALCA_USER" "$(t_localca_password)"
}
t_start_localca() {
	[ -f "$T/ca/ca.key" ] || t_make_ca
	t_localca_password > /dev/null
	{
		echo "listen = $T/localca.sock"
		echo "ca_dir = $T/ca"
		echo "validity_days = 30"
		echo "db_socket = $DB_SOCK"
		echo "db_user = cmpd"
		echo "db_password_file = $T/db.pw"
		echo "db_name = cmpd"
		echo "log_level = info"
		echo "auth_user = $LOCALCA_USER"
		echo "auth_password_file = $T/localca.pw"
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$T/localca.conf"
	rm -f "$T/localca.sock"
	# CI runs as root; tests of the user switch start it themselves
	t_bg localca ${LOCALCA_WRAP-} "$top_builddir/cmp-localca" -f -c "$T/localca.conf" \
		--allow-root
	t_wait 10 test -S "$T/localca.sock" || {
		diag_file "$T/localca.log"
		bail "cmp-localca did not start"
	}
}
t_localca_lighttpd() {
	printf 'fastcgi.server += ( "/localca/" => (( "socket" => "%s", "check-local" => "disable" )) )\n' \
		"$T/localca.sock"
}
# t_second_localca NAME LINES...: another cmp-localca on the same CA and
# table, on its own socket $T/NAME.sock, with configuration LINES added
# (e.g. one that answers pending); t_second_localca_lighttpd NAME: the
# lighttpd line that serves it under /NAME/ (for t_start_lighttpd).
t_second_localca() {
	local name=$1 sock=$T/$1.sock
	shift
	{
		grep -v '^listen' "$T/localca.conf"
		echo "listen = $sock"
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$T/$name.conf"
	rm -f "$sock"
	t_bg "$name" "$top_builddir/cmp-localca" -f -c "$T/$name.conf" --allow-root
	t_wait 10 test -S "$sock" || { diag_file "$T/$name.log"; bail "$name did not start"; }
}
t_second_localca_lighttpd() {
	printf 'fastcgi.server += ( "/%s/" => (( "socket" => "%s", "check-local" => "disable" )) )\n' \
		"$1" "$T/$1.sock"
}

# t_seed_enroll: after t_start_lighttpd, a connector to cmp-localca
# through it (HTTP basic with cmp-localca's credentials; plain http:// on
# loopback, so marked insecure), an authority, RA Profile "ra-enroll" and
# CMP Profile "enroll" (shared secret both ways, secret $ENROLL_SECRET,
# reference $ENROLL_REF), CMP enabled on the RA Profile too.
ENROLL_SECRET=enroll-secret
ENROLL_REF=enroll-ref
t_seed_enroll() {
	t_sql "
INSERT INTO connector (uuid, name, url, auth_type, insecure) VALUES
  ('00000000-0000-4000-8000-00000000e0c1', 'localca', '$CONNECTOR_BASE/localca', 'basic', 1);
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-00000000e0a1', 'localca', '00000000-0000-4000-8000-00000000e0c1',
   '00000000-0000-4000-8000-00000000e0a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-00000000e001', 'ra-enroll', 1, '00000000-0000-4000-8000-00000000e0a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-00000000e101', 'enroll', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '$ENROLL_REF');
UPDATE ra_profile SET cmp_profile_uuid = '00000000-0000-4000-8000-00000000e101'
  WHERE name = 'ra-enroll';" || bail "seeding the enrollment profiles failed"
	printf '%s\n' "$ENROLL_SECRET" |
		"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret enroll \
		> "$T/secret.log" 2>&1 || { diag_file "$T/secret.log"; bail "--set-shared-secret failed"; }
	t_localca_cred |
		"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials localca \
		> "$T/secret.log" 2>&1 || { diag_file "$T/secret.log"; bail "--set-connector-credentials failed"; }
}

# t_copy_source DIR: the source tree as a checkout has it (its tracked and
# untracked files, nothing ignored; or, outside git, the tree without build
# directories) copied to DIR, writable (make distcheck's tree is
# read-only): for tests that build a tree of their own.
t_copy_source() {
	local S=$1
	mkdir -p "$S"
	if git -C "$top_srcdir" rev-parse --show-toplevel > /dev/null 2>&1 &&
	   [ "$(cd "$(git -C "$top_srcdir" rev-parse --show-toplevel)" && pwd -P)" = \
	     "$(cd "$top_srcdir" && pwd -P)" ]; then
		(cd "$top_srcdir" && git ls-files -co --exclude-standard -z |
			tar --null -cf - -T -) | tar -xf - -C "$S"
	else
		(cd "$top_srcdir" && tar -cf - --exclude=./_build --exclude=./_inst \
			--exclude='./build' --exclude='./build-*' --exclude=./run \
			--exclude=./autom4te.cache .) | tar -xf - -C "$S"
	fi
	chmod -R u+w "$S"
}

# t_api_key NAME ROLE: an API key (read|admin) made straight in the
# database, as cmpctl would make it; prints the key.
t_api_key() {
	local key
	key=cmpd_$(openssl rand -hex 32)
	t_sql "INSERT INTO api_key (uuid, name, role, key_hash, key_prefix)
	  VALUES (UUID(), '$1', '$2', UNHEX(SHA2('$key', 256)), LEFT('$key', 12))" ||
		bail "t_api_key: insert failed"
	printf '%s\n' "$key"
}

# t_api METHOD PATH [JSON] [KEY]: the management API through the web
# server ($HTTP_BASE/api/v1PATH) with API key KEY (default $API_KEY; "-"
# for none).  Prints the HTTP status; the body is left in $T/api.json.
t_api() {
	local method=$1 path=$2 body=${3-} key=${4-${API_KEY-}}
	local args=(-sS --noproxy '*' --max-time 30 -X "$method" -o "$T/api.json"
		-w '%{http_code}\n' -H 'Expect:')
	[ "$key" = - ] || args+=(-H "Authorization: Bearer $key")
	[ -z "$body" ] || args+=(-H 'Content-Type: application/json' --data-binary "$body")
	rm -f "$T/api.json"
	curl "${args[@]}" "$HTTP_BASE/api/v1$path"
}

# t_json EXPR: a value of $T/api.json (python3 expression on j).
t_json() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v='"$1"'; print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$T/api.json"
}

# ============================================================ requests
# Both leave the response body in $T/resp.der and the headers in
# $T/resp.hdr, print the HTTP status, and fail only when no answer came.

# t_post FILE PATH [content-type]   through lighttpd ($HTTP_BASE)
t_post() {
	local ctype=${3-application/pkixcmp}
	rm -f "$T/resp.der" "$T/resp.hdr"
	curl -sS --noproxy '*' --max-time 30 \
		-H "Content-Type: $ctype" -H 'Expect:' \
		--data-binary "@$1" -D "$T/resp.hdr" -o "$T/resp.der" \
		-w '%{http_code}\n' "$HTTP_BASE$2"
}

# t_fcgi FILE PATH [method] [content-type]   straight to cmpd's FastCGI
# socket with cgi-fcgi, as lighttpd would (clean environment).  FILE may
# be /dev/null or "" for no body.
t_fcgi() {
	local file=$1 path=$2 method=${3-POST} ctype=${4-application/pkixcmp}
	local len=0 raw=$T/resp.raw
	[ -z "$file" ] && file=/dev/null
	[ "$file" = /dev/null ] || len=$(wc -c < "$file")
	rm -f "$T/resp.der" "$T/resp.hdr" "$raw"
	timeout 30 env -i PATH="$PATH" \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_SOFTWARE=t_fcgi \
		SERVER_PROTOCOL=HTTP/1.1 SERVER_NAME=127.0.0.1 SERVER_ADDR=127.0.0.1 \
		SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 REMOTE_PORT=40000 \
		REQUEST_METHOD="$method" REQUEST_URI="$path" \
		SCRIPT_NAME="${path%%\?*}" QUERY_STRING="$([[ $path == *\?* ]] && echo "${path#*\?}")" \
		CONTENT_TYPE="$ctype" CONTENT_LENGTH="$len" \
		cgi-fcgi -bind -connect "$T/cmpd.sock" < "$file" > "$raw" || {
		diag "t_fcgi: cgi-fcgi failed (exit $?)"
		return 1
	}
	t_split_response "$raw"
}

# t_split_response RAW: split CGI-style output (headers, empty line, body)
# into $T/resp.hdr and $T/resp.der, byte-exact; print the Status (200 if
# there is no Status header).  The header ends at the first empty line,
# "\r\n" or "\n".
t_split_response() {
	local raw=$1 line off st
	line=$(LC_ALL=C grep -abU -m 1 -E $'^\r?$' "$raw")
	if [ -n "$line" ]; then
		off=${line%%:*}
		line=${line#*:}
		head -c "$off" "$raw" > "$T/resp.hdr"
		tail -c +"$((off + ${#line} + 2))" "$raw" > "$T/resp.der"
	else
		cp "$raw" "$T/resp.hdr"
		: > "$T/resp.der"
	fi
	st=$(LC_ALL=C sed -n 's/^[Ss][Tt][Aa][Tt][Uu][Ss]:[[:space:]]*\([0-9][0-9][0-9]\).*/\1/p' \
		"$T/resp.hdr" | head -n 1)
	echo "${st:-200}"
}

# t_header NAME   value of a response header from the last t_post/t_fcgi
t_header() {
	LC_ALL=C awk -v n="$1" 'BEGIN { n = tolower(n) }
		{ sub(/\r$/, "") }
		tolower(substr($0, 1, length(n) + 1)) == n ":" {
			v = substr($0, length(n) + 2); sub(/^[ \t]+/, "", v); print v; exit
		}' "$T/resp.hdr"
}
