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
#          t_header NAME; t_split_response RAW; t_responses FILE (an
#          ip's CertResponses on one line).  Responses: $T/resp.der,
#          $T/resp.hdr.  Fixtures: $T_FIXTURES (t/fixtures, see its README).
# Apache   t_start_apache [lines before the include], t_stop_apache
# TLS      t_tls_material ($T/tls: CA, server and client certificates);
#          T_TLS=1 before t_start_lighttpd / t_start_apache adds HTTPS
#          (TLS_PORT, TLS_BASE; see there)
#
# TAP and setup are here; the rest is in parts this file sources:
# t/lib/db.sh (MariaDB), t/lib/cmpd.sh (cmpd), t/lib/web.sh (ports,
# lighttpd, Apache), t/lib/pki.sh (TLS, the test CA, cmp-localca, the
# seeded profiles) and t/lib/request.sh (API, requests).

# automake runs tests as "$(SHELL) test.t", which is dash on Debian.  This
# library is bash; start the test again under bash before anything happens.
if [ -z "${BASH_VERSION-}" ]; then
	exec bash "$0" "$@"
fi

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

# The tests run Debian's programs (contrib/deps.sh installs them), found
# first whatever the caller's PATH puts before them: a version manager's
# python3 shim, say, costs some thirty processes a call and lacks
# Debian's python3 modules.  Daemons are found in sbin too.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
# Never send test traffic through a proxy.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

T_FIXTURES=$top_srcdir/t/fixtures

# Built with --enable-asan?  (Some measurements mean nothing under ASan.)
T_ASAN=0
if ldd "$top_builddir/cmpd" 2>/dev/null | grep -q libasan; then
	T_ASAN=1
fi

# The library's parts, one per object under test (t/lib/*.sh).
for _t_part in db cmpd web pki request; do
	. "$top_srcdir/t/lib/$_t_part.sh"
done
unset _t_part

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
