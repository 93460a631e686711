#!/bin/sh
# fuzz/run.sh -- `make fuzz`: build the fuzz targets with clang's libFuzzer
# and sanitizers (in fuzz-build/ of the build tree, apart from the normal
# build) and run each for FUZZ_SECONDS (default 60). Fails when a target
# finds a crash, a sanitizer report, a leak or a timeout.
#
# Environment (make passes them): srcdir builddir CLANG FUZZ_SECONDS
# FUZZ_ONLY (targets to run, default: all), FUZZ_WORKDIR (default fuzz-work),
# CFLAGS_EXTRA (pkg-config flags of the libraries), LIBS.
set -eu

srcdir=${srcdir:-.}
builddir=${builddir:-.}
CLANG=${CLANG:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_ONLY=${FUZZ_ONLY:-server conn api conf}
out=$builddir/fuzz-build
# Findings and the corpus grown while fuzzing live outside the source
# tree; copy what is worth keeping into fuzz/corpus/<target> by hand.
work=${FUZZ_WORKDIR:-$builddir/fuzz-work}

command -v "$CLANG" > /dev/null 2>&1 || {
	echo "fuzz: $CLANG not found (Debian package clang)" >&2
	exit 1
}
mkdir -p "$out/obj" "$work"

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CF="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $SAN \
	-I$builddir -I$srcdir/src -I$srcdir/fuzz \
	-DSYSCONFDIR=\"/etc\" -DPKGDATADIR=\"/usr/share/cmpd\" \
	-DFUZZ_SRCDIR=\"$srcdir\" ${CFLAGS_EXTRA:-}"

# Compiles $1 into $2 unless $2 is newer than $1 and every header.
cc1() {
	if [ -f "$2" ] && [ -z "$(find "$1" "$srcdir"/src/*.h "$srcdir"/fuzz/*.h \
	    "$builddir/config.h" -newer "$2" 2>/dev/null | head -1)" ]; then
		return 0
	fi
	echo "  CLANG    $1"
	# shellcheck disable=SC2086
	"$CLANG" $CF $3 -c "$1" -o "$2"
}

# libcmpd as in Makefile.am, less the programs' mains
objs=""
for f in "$srcdir"/src/*.c; do
	b=$(basename "$f" .c)
	case $b in main|cmpctl|cmpctl_*) continue ;; esac
	cc1 "$f" "$out/obj/$b.o" "-fsanitize=fuzzer-no-link"
	objs="$objs $out/obj/$b.o"
done
rm -f "$out/libcmpd-fuzz.a"
# shellcheck disable=SC2086
ar rcs "$out/libcmpd-fuzz.a" $objs
for f in fixture double_db double_conn; do
	cc1 "$srcdir/fuzz/$f.c" "$out/obj/fuzz-$f.o" "-fsanitize=fuzzer-no-link"
done

status=0
for t in $FUZZ_ONLY; do
	cc1 "$srcdir/fuzz/fuzz_$t.c" "$out/obj/fuzz_$t.o" \
	    "-fsanitize=fuzzer-no-link"
	extra="$out/obj/fuzz-fixture.o"
	case $t in
	server) extra="$extra $out/obj/fuzz-double_db.o $out/obj/fuzz-double_conn.o" ;;
	api) extra="$extra $out/obj/fuzz-double_db.o" ;;
	esac
	echo "  LINK     fuzz_$t"
	# shellcheck disable=SC2086
	"$CLANG" $SAN -fsanitize=fuzzer -o "$out/fuzz_$t" "$out/obj/fuzz_$t.o" \
	    $extra "$out/libcmpd-fuzz.a" ${LIBS:-}

	case $t in
	server) max_len=65536 ;;	# a PKIMessage with a few certificates
	api|conn) max_len=65536 ;;	# JSON with PEM in it
	conf) max_len=16384 ;;
	esac
	mkdir -p "$work/corpus-$t" "$work/findings-$t"
	echo "fuzz_$t: ${FUZZ_SECONDS}s, findings in $work/findings-$t"
	# -close_fd_mask=2: the code's error log lines cost time; libFuzzer
	# and the sanitizers still report on a copy of stderr.
	if ! top_srcdir=$srcdir "$out/fuzz_$t" -max_total_time="$FUZZ_SECONDS" \
	    -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
	    -close_fd_mask=2 -print_final_stats=1 \
	    -artifact_prefix="$work/findings-$t/" \
	    "$work/corpus-$t" "$srcdir/fuzz/corpus/$t" \
	    > "$work/fuzz_$t.log" 2>&1; then
		echo "fuzz_$t: FAILED, see $work/fuzz_$t.log" >&2
		tail -40 "$work/fuzz_$t.log" >&2
		status=1
	else
		grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units)' \
		    "$work/fuzz_$t.log" || true
	fi
done
exit $status
