#!/bin/bash
# test.sh -- build cmpd twice and run every test; what CI runs (.ci/run).
#
#   ./test.sh              build/ (-Werror) + make check + make distcheck,
#                          then build-asan/ (-Werror, ASan+UBSan) + make check
#   ./test.sh --no-asan    only the first build
#   ./test.sh --asan-only  only the second one
#   ./test.sh --no-distcheck  skip make distcheck
#
# Missing Debian packages (to build and run, and the test-only ones) are
# installed first (contrib/deps.sh: deps_install all).  Builds are out of
# tree.  distcheck's check and the ASan+UBSan pass leave out tests the
# first pass ran (DISTCHECK_TESTS, SKIP_ASAN below).  Exit status
# is non-zero if any build or test failed; the first failing build stops
# the run and its test-suite.log is printed.
# Environment: JOBS (make -j for the builds, default 2), CHECK_JOBS (make -j
# for the tests and distcheck, default 4), DEPS_NO_INSTALL=1 (see deps.sh).

set -u

cd "$(dirname "$0")" || exit 1
top=$PWD
asan=1
plain=1
distcheck=1
JOBS=${JOBS:-2}
# The tests wait mostly on services, timeouts and each other's sleeps, not
# on the CPU: at -j2 on two cores more than half of the machine was idle
# during the checks.  Four at once keeps it busy (the slowest start first,
# Makefile.am SLOW_TESTS); ports are taken race-free (t/lib.sh).
CHECK_JOBS=${CHECK_JOBS:-4}
# Tests the later passes leave out (t/lib.sh CMPD_TESTS_SKIP); the main
# pass runs them all, from the git checkout's own tree, which it must
# leave as it found it (no test writes into the source tree).  distcheck
# proves that the release tarball holds every file git tracks (but
# DIST_NOT_SHIPPED) and that its tree, read-only, builds with -Werror,
# installs and runs the unit tests, the fuzz targets' corpora and the
# end-to-end tests of DISTCHECK_TESTS (configuration, HTTP, openssl cmp
# through lighttpd and Apache, an enrolment through cmp-localca with its
# chain, the API description, make install); the rest ran on the same
# files in the main pass.
# ASan+UBSan watch cmpd's own code: they leave out what runs none of it
# (the packages' builds, the benchmark's timing, the dependency and
# licence checks, the EXPLAIN of the SQL), the Apache variants of tests
# whose cmpd code paths the lighttpd variant already takes (0008-apache
# keeps Apache's FastCGI requests under the sanitizers), and the web
# console in Chromium, whose every API route the API and cmpctl tests
# take under them, and the Galera cluster on one machine (three MariaDB
# nodes, HAProxy, two cmpd hosts: the longest test of the pass, mostly
# the database's CPU), whose cmpd code paths (endpoint failover, a
# statement or transaction run again after a lost connection, a lock
# wait or a deadlock) t/0034 and t/0014 take under them with one
# MariaDB.  Each pass's summary gives every test's seconds.
DIST_NOT_SHIPPED=".gitignore m4/.keep"
DISTCHECK_TESTS="0001-config 0002-http 0006-openssl-cmp 0008-apache 0016-openapi 0018-install 0025-chain"
SKIP_DISTCHECK=$(for t in t/*.t; do
	t=${t#t/}
	t=${t%.t}
	case " $DISTCHECK_TESTS " in *" $t "*) ;; *) printf '%s ' "$t" ;; esac
done)
SKIP_ASAN="0035-cluster 0009-enroll-apache 0011-signature-apache 0025-chain-apache 0026-multi-apache 0026-p10cr-apache 0027-genm-apache 0028-pbmac1-apache 0031-polling-apache 0032-rr-polling-apache 0036-bench-smoke 0037-deb 0039-deploy 0039-deploy-apache 0042-deps 0043-licence 0044-console 0044-console-apache 0045-explain"

usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; }

for arg in "$@"; do
	case $arg in
	--no-asan) asan=0 ;;
	--asan-only) plain=0 ;;
	--no-distcheck) distcheck=0 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "test.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
	esac
done

# say TEXT: a heading, with the time of day and the seconds since the start
say() { printf '\n==> %s  [%s, %d s]\n' "$*" "$(date +%T)" "$SECONDS"; }

# ------------------------------------------------- leftover processes
# make check runs as its own process group (job control on); whatever a
# test leaves behind in that group is stopped when the run ends, and only
# that: nothing else on the machine is touched.
set -m
check_pgid=""

# group_alive PGID: some process of the group is still running (zombies,
# which nobody may reap in a container, do not count).
group_alive() {
	local f line
	local -a fld
	for f in /proc/[0-9]*/stat; do
		read -r line < "$f" 2>/dev/null || continue
		# after "(comm) ": state ppid pgrp ...
		read -r -a fld <<< "${line##*) }"
		[ "${fld[2]-}" = "$1" ] && [ "${fld[0]}" != Z ] && return 0
	done
	return 1
}

stop_group() {
	local pg=$1 i
	[ -n "$pg" ] || return 0
	group_alive "$pg" || return 0
	echo "test.sh: stopping processes left in process group $pg"
	kill -TERM -- "-$pg" 2>/dev/null
	for i in $(seq 1 50); do
		group_alive "$pg" || return 0
		sleep 0.2
	done
	kill -KILL -- "-$pg" 2>/dev/null
}

on_signal() {
	stop_group "$check_pgid"
	exit 130
}
trap on_signal INT TERM HUP

# ------------------------------------------------------------ reports
# summarize BUILDDIR: one line per test program, then automake's totals.
summarize() {
	local b=$1 trs name res pass fail skip other born secs
	say "$b: results (seconds each: from its .log's birth to its .trs)"
	while IFS= read -r trs; do
		name=${trs#"$b"/}
		name=${name%.trs}
		res=$(sed -n 's/^:global-test-result: //p' "$trs")
		pass=$(grep -c '^:test-result: PASS' "$trs")
		fail=$(grep -c -E '^:test-result: (FAIL|XPASS|ERROR)' "$trs")
		skip=$(grep -c '^:test-result: SKIP' "$trs")
		other=$(grep -c '^:test-result: XFAIL' "$trs")
		born=$(stat -c %W "${trs%.trs}.log" 2>/dev/null || echo 0)
		case $born in
		''|0|-|*[!0-9]*) secs="?" ;;
		*) secs=$(($(stat -c %Y "$trs") - born)) ;;
		esac
		printf '  %-5s %-28s %4d pass %3d fail %3d skip %4ss%s\n' \
			"${res:-?}" "$name" "$pass" "$fail" "$skip" "$secs" \
			"$([ "$other" = 0 ] || echo " $other xfail")"
	done < <(find "$b" -name '*.trs' | sort)
	if [ -f "$b/check.out" ]; then
		sed -n '/^# TOTAL:/,/^# ERROR:/p' "$b/check.out" | sed 's/^/  /'
	fi
}

# failures DIR: one line per failed check under DIR (its .log files), so
# that the last lines of a failed run name what failed.
failures() {
	local d=$1 log
	[ -d "$d" ] || return 0
	while IFS= read -r log; do
		grep -E '^(not ok|Bail out!)' "$log" | grep -v '# TODO' |
			sed "s|^|  ${log#"$top"/}: |"
	done < <(grep -l -E '^:test-result: (FAIL|XPASS|ERROR)' -r "$d" \
		--include='*.trs' 2>/dev/null | sed 's/\.trs$/.log/' | sort)
}
failed=""

# build DIR CONFIGURE-ARGS...: configure, make, make check.  0 = all passed.
build() {
	local b=$1 rc
	shift
	say "$b: configure $*"
	mkdir -p "$top/$b"
	(cd "$top/$b" && ../configure "$@" > configure.out 2>&1) || {
		tail -n 40 "$top/$b/configure.out"
		echo "test.sh: configure failed in $b (full output: $b/configure.out, $b/config.log)"
		return 1
	}
	say "$b: make -j$JOBS"
	make -C "$top/$b" -j"$JOBS" || {
		echo "test.sh: build failed in $b"
		return 1
	}
	say "$b: make -j$CHECK_JOBS check"
	rm -f "$top/$b/test-suite.log"
	(set -o pipefail; cd "$top/$b" &&
		make -j"$CHECK_JOBS" check AM_COLOR_TESTS=no 2>&1 | tee check.out) < /dev/null &
	check_pgid=$!
	wait "$check_pgid"
	rc=$?
	stop_group "$check_pgid"
	check_pgid=""
	summarize "$b"
	if [ "$rc" != 0 ]; then
		say "$b: FAILED -- test-suite.log follows"
		cat "$top/$b/test-suite.log" 2>/dev/null ||
			echo "(no test-suite.log: make check did not get to run the tests)"
		failed="$failed $top/$b"
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- main
. "$top/contrib/deps.sh"
say "checking Debian packages"
deps_install all || exit 1

say "autoreconf -fi"
autoreconf -fi || { echo "test.sh: autoreconf failed"; exit 1; }

# in_git: the source tree is a git checkout (not an unpacked tarball)
in_git() { [ -d "$top/.git" ] && command -v git > /dev/null 2>&1; }

# tree_state: what git says of the source tree (nothing outside git)
tree_state() {
	in_git || return 0
	git -C "$top" status --porcelain --untracked-files=all 2>/dev/null
}

# dist_missing TARBALL: the files git tracks that the tarball lacks, but
# DIST_NOT_SHIPPED.
dist_missing() {
	comm -23 <(git -C "$top" ls-files | sort) \
		<(tar tzf "$1" | sed 's|^[^/]*/||' | grep -v '/$' | sort) |
		grep -vxF -f <(printf '%s\n' $DIST_NOT_SHIPPED)
}

status=0
if [ "$plain" = 1 ]; then
	before=$(tree_state)
	build build --enable-werror || status=1
	if [ "$(tree_state)" != "$before" ]; then
		say "the tests changed the source tree (git status):"
		diff <(printf '%s\n' "$before") <(tree_state)
		failed="$failed $top/build"
		status=1
	fi
fi

# The release tarball builds and passes its tests from a read-only source
# tree (automake's distcheck).
if [ "$status" = 0 ] && [ "$plain" = 1 ] && [ "$distcheck" = 1 ]; then
	say "build: make -j$CHECK_JOBS distcheck"
	# its check leaves out the slowest tests the main pass ran
	(cd "$top/build" && CMPD_TESTS_SKIP="$SKIP_DISTCHECK" \
		make -j"$CHECK_JOBS" distcheck \
		DISTCHECK_CONFIGURE_FLAGS=--enable-werror AM_COLOR_TESTS=no \
		> distcheck.out 2>&1) < /dev/null
	if [ "$?" = 0 ]; then
		grep -A2 'archives ready' "$top/build/distcheck.out"
		missing=$(in_git && for f in "$top"/build/cmpd-*.tar.gz; do
			dist_missing "$f"; done)
		if ! in_git; then
			echo "not a git checkout: the tarball's completeness is not checked"
		elif [ -n "$missing" ]; then
			say "the release tarball lacks files git tracks (Makefile.am EXTRA_DIST):"
			printf '  %s\n' $missing
			status=1
		else
			echo "the release tarball holds every file git tracks but: $DIST_NOT_SHIPPED"
		fi
	else
		tail -n 60 "$top/build/distcheck.out"
		# the release tree's own test-suite.log, if it got to the tests
		for f in "$top"/build/cmpd-*/_build/sub/test-suite.log; do
			[ -f "$f" ] || continue
			say "distcheck: ${f#"$top"/} follows"
			cat "$f"
			failed="$failed ${f%/test-suite.log}"
		done
		echo "test.sh: make distcheck failed (build/distcheck.out)"
		status=1
	fi
fi

if [ "$status" = 0 ] && [ "$asan" = 1 ]; then
	export ASAN_OPTIONS=detect_leaks=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	# tests whose programs the sanitizers would not see (the packages'
	# own build, the benchmark's timing)
	export CMPD_TESTS_SKIP="$SKIP_ASAN"
	build build-asan --enable-werror --enable-asan || status=1
fi

if [ "$status" = 0 ]; then
	say "all builds and tests passed"
else
	say "FAILED"
	for d in $failed; do
		echo "failed checks in ${d#"$top"/}:"
		failures "$d"
	done
fi
exit "$status"
