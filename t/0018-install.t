#!/bin/sh
# make install puts every file where the configured directories say: the
# programs, man pages, samples, schema, documentation and systemd units
# (with the configured paths in them, accepted by systemd-analyze verify);
# cmpd started the way systemd starts it from cmpd.socket ("listen =
# systemd": the socket on fd 3, LISTEN_PID/LISTEN_FDS) serves and reloads,
# and refuses to start without a socket from systemd.
# (The switch to "user =" is tested by t/0007-process.t.)
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

# Not the jobserver or the flags of a make check this test may run under.
unset MAKEFLAGS MFLAGS MAKELEVEL

# mkvar NAME: the value of make variable NAME in the build tree, expanded
# (sbindir is ${exec_prefix}/sbin in the Makefile).
mkvar() {
	printf '_t_var:\n\t@echo $(%s)\n' "$1" |
		make -s --no-print-directory -C "$top_builddir" -f Makefile -f - _t_var
}

D=$T/inst
if make -C "$top_builddir" install DESTDIR="$D" > "$T/install.log" 2>&1; then
	pass "make install DESTDIR=..."
else
	fail "make install DESTDIR=..."
	diag_file "$T/install.log" 40
fi

bindir=$(mkvar bindir)
sbindir=$(mkvar sbindir)
sysconfdir=$(mkvar sysconfdir)
pkgdatadir=$(mkvar pkgdatadir)
mandir=$(mkvar mandir)
docdir=$(mkvar docdir)
unitdir=$(mkvar systemdsystemunitdir)
like "$sbindir" "^/" "make tells the configured sbindir ($sbindir)"

# ------------------------------------------------------------ the files
for f in "$sbindir/cmpd" "$sbindir/cmp-localca" "$bindir/cmpctl"; do
	ok "${f##*/} installed executable in ${f%/*}" test -f "$D$f" -a -x "$D$f"
done
ok "the installed cmpd runs" "$D$sbindir/cmpd" -v

for f in cmpd.conf.sample cmp-localca.conf.sample; do
	ok "$f installed in $sysconfdir" cmp "$top_srcdir/etc/$f" "$D$sysconfdir/$f"
done
ok "the installed cmpd.conf.sample is a valid configuration" \
	"$D$sbindir/cmpd" -n --no-db --allow-root -c "$D$sysconfdir/cmpd.conf.sample"

# every migration of the source tree, so that a new one is not forgotten
for f in "$top_srcdir"/schema/*.sql; do
	ok "schema ${f##*/} installed" cmp "$f" "$D$pkgdatadir/schema/${f##*/}"
done
# every file of the web console (contrib/*/cmpd.conf serve it from there)
for f in $(cd "$top_srcdir" && find console -type f | sort); do
	ok "$f installed in $pkgdatadir" cmp "$top_srcdir/$f" "$D$pkgdatadir/$f"
done

for f in man8/cmpd.8 man8/cmp-localca.8 man1/cmpctl.1 man5/cmpd.conf.5; do
	ok "man page ${f#*/} installed" test -s "$D$mandir/$f"
	nok "${f#*/} names the configured paths, no @dir@" grep -n '@[a-z]*dir@' "$D$mandir/$f"
done
ok "cmpd.conf(5) names the configured file" grep -qF "$sysconfdir/cmpd.conf" "$D$mandir/man5/cmpd.conf.5"
# the pid file the man pages signal is the one the sample names
pidf=$(sed -n 's/^#*pid_file = //p' "$top_srcdir/etc/cmpd.conf.sample")
ok "the sample names a pid file" test -n "$pidf"
for f in man8/cmpd.8 man1/cmpctl.1; do
	nok "${f#*/}: no pid file but the sample's ($pidf)" \
		sh -c 'grep -o "/run/[^ )\"]*\.pid" "$1" | grep -v -x -F "$2"' - "$D$mandir/$f" "$pidf"
done
# groff's warnings (-ww): what man(1) would show garbled. Not the break
# class ("cannot adjust line"): whether a line that names a configured path
# can be justified depends on the prefix's length, and a distcheck's runs to
# 60 characters; such a line is ragged, not garbled.
if command -v groff > /dev/null 2>&1; then
	for f in man8/cmpd.8 man8/cmp-localca.8 man1/cmpctl.1 man5/cmpd.conf.5; do
		out=$(LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -Wbreak -z "$D$mandir/$f" 2>&1)
		is "$out" "" "groff -ww: no warnings in ${f#*/}"
	done
else
	skip "groff is not installed" 4
fi

for f in README.md doc/api.md doc/openapi.json doc/errors.md doc/benchmark.md; do
	ok "${f##*/} installed in $docdir" cmp "$top_srcdir/$f" "$D$docdir/${f##*/}"
done
# every web server configuration of the source tree
for f in "$top_srcdir"/contrib/apache/* "$top_srcdir"/contrib/lighttpd/*; do
	[ -f "$f" ] || continue
	rel=contrib/${f#"$top_srcdir"/contrib/}
	ok "$rel installed in $docdir" cmp "$f" "$D$docdir/$rel"
done

# ------------------------------------------------------- systemd units
# the unit directory moves with --prefix (the distribution's with /usr)
mkdir -p "$T/cfg"
(cd "$T/cfg" && "$top_srcdir/configure" -q --prefix=/opt/cmpd-test > configure.out 2>&1)
is "$(sed -n 's/^systemdsystemunitdir = //p' "$T/cfg/Makefile")" '${prefix}/lib/systemd/system' \
	"--prefix=/opt/cmpd-test: units under the prefix"
UNITS="cmpd.service cmpd.socket cmp-localca.service cmp-localca.socket"
if [ -z "$unitdir" ]; then
	skip "configured --without-systemdsystemunitdir" 17
else
	mkdir -p "$T/units"
	for u in $UNITS; do
		f=$D$unitdir/$u
		ok "$u installed in $unitdir" test -s "$f"
		nok "$u: every @dir@ replaced" grep -n '@[a-z_]*@' "$f"
		# for systemd-analyze: the programs as installed under DESTDIR
		sed "s|$sbindir/|$D$sbindir/|g" "$f" > "$T/units/$u" 2>/dev/null
	done
	like "$(grep '^ExecStart=' "$D$unitdir/cmpd.service" 2>/dev/null)" \
		"^ExecStart=$sbindir/cmpd -f -c $sysconfdir/cmpd.conf\$" \
		"cmpd.service runs the configured cmpd in the foreground"
	like "$(grep '^ExecStart=' "$D$unitdir/cmp-localca.service" 2>/dev/null)" \
		"^ExecStart=$sbindir/cmp-localca -f -c $sysconfdir/cmp-localca.conf\$" \
		"cmp-localca.service runs the configured cmp-localca"
	# with workers = N the first process passes SIGTERM on and waits up
	# to 30 s for its workers: systemd must signal it alone, and wait longer
	is "$(grep -E '^(KillMode|TimeoutStopSec)=' "$D$unitdir/cmp-localca.service" 2>/dev/null | tr '\n' ' ')" \
		"KillMode=mixed TimeoutStopSec=45 " \
		"cmp-localca.service: SIGTERM to the first process alone, time for its workers"
	# the man pages that Documentation= names are the installed ones
	# (checked here rather than by systemd-analyze, which runs man(1))
	docs=$(sed -n 's/^Documentation=//p' "$D$unitdir"/*.service "$D$unitdir"/*.socket 2>/dev/null |
		tr ' ' '\n' | sort -u)
	missing=""
	for m in $docs; do
		[[ $m =~ ^man:([^()]+)\(([0-9])\)$ ]] || { missing="$missing $m"; continue; }
		[ -s "$D$mandir/man${BASH_REMATCH[2]}/${BASH_REMATCH[1]}.${BASH_REMATCH[2]}" ] ||
			missing="$missing $m"
	done
	is "${missing# }" "" "Documentation= of the units names installed man pages"
	# Debian's package systemd has it; test.sh installs it (contrib/deps.sh)
	if command -v systemd-analyze > /dev/null 2>&1; then
		out=$(cd "$T/units" && systemd-analyze verify --man=no $UNITS 2>&1)
		rc=$?
		is "$rc:$out" "0:" "systemd-analyze verify: the units load without a word"
	else
		fail "systemd-analyze verify (systemd-analyze is not installed: package systemd)"
	fi
	# ProtectSystem=strict makes all but what a unit names read-only: the
	# directories doc/deploy puts pid_file and log_file in must be among
	# them, or the service exits at its start (cannot open its log)
	env_default() { sed -n "s|^$1=\${$1:-\([^}]*\)}.*|\1|p" "$top_srcdir/doc/deploy/00-env.sh"; }
	writable() {	# writable UNIT: the paths it can write
		sed -n 's/^ReadWritePaths=//p; s|^RuntimeDirectory=|/run/|p; s|^LogsDirectory=|/var/log/|p' \
			"$D$unitdir/$1" | tr ' ' '\n'
	}
	for pair in cmpd.service:RUN cmpd.service:LOG cmp-localca.service:LOCALCA_RUN \
		cmp-localca.service:LOCALCA_LOG; do
		u=${pair%%:*} v=${pair#*:}
		dir=$(env_default "$v")
		ok "$u can write $dir ($v of doc/deploy), under ProtectSystem=strict" \
			grep -qxF "$dir" <(writable "$u")
	done
fi

# ------------------------------------------------ socket activation
IR=$T_FIXTURES/genm-pbm.der
CMP=/api/v1/protocols/cmp/demo
TOOL=$top_builddir/t/cmptool
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }

t_stack "message_time_skew = 0"
t_stop_cmpd

# What systemd does for cmpd.socket: bind and listen, put the socket on
# fd 3 (SD_LISTEN_FDS_START), set LISTEN_PID to the pid the service will
# have and LISTEN_FDS=1, exec the service (exec keeps the pid).
SD_ACTIVATE='
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
    s.close()
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_PID=str(os.getpid()), LISTEN_FDS="1",
           LISTEN_FDNAMES="cmpd.socket")
os.execve(sys.argv[2], sys.argv[2:], env)
'
t_write_conf "message_time_skew = 0" "listen = systemd"
ok "cmpd -n accepts listen = systemd" "$top_builddir/cmpd" -n --allow-root -c "$T/cmpd.conf"
rm -f "$T/cmpd.sock"
python3 -c "$SD_ACTIVATE" "$T/cmpd.sock" "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root \
	>> "$T/cmpd.log" 2>&1 &
CMPD_PID=$!
t_wait 10 test -S "$T/cmpd.sock"
# the socket exists before cmpd runs: the kernel queues the connection
is "$(t_fcgi "$IR" $CMP)" 200 "listen = systemd: a CMP request through the socket on fd 3"
is "$(dump "$T/resp.der" body)" genp \
	"with the right answer"
like "$(readlink "/proc/$CMPD_PID/exe")" "/cmpd\$" "the activated process is cmpd itself"
like "$(cat "$T/cmpd.log")" "listening on systemd with 2 workers" "cmpd says where it listens"
ok "it has workers" test -n "$(t_cmpd_workers 2>/dev/null)"

# ExecReload: SIGHUP; the new workers get the same inherited socket
t_write_conf "message_time_skew = 0" "listen = systemd" "server_name = CN=reloaded"
kill -HUP "$CMPD_PID"
deadline=$((SECONDS + 10))
until { [ "$(t_fcgi "$IR" $CMP)" = 200 ] &&
	[ "$(dump "$T/resp.der" sender)" = "CN=reloaded" ]; } ||
	[ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.2
done
is "$(dump "$T/resp.der" sender)" "CN=reloaded" "SIGHUP reloads with the systemd socket"

t_stop_cmpd
is "$CMPD_EXIT" 0 "SIGTERM stops it cleanly"
ok "the socket is systemd's: cmpd leaves it in place" test -S "$T/cmpd.sock"
rm -f "$T/cmpd.sock"

# Without systemd's variables (or with wrong ones) cmpd refuses to start
# and says why; it must not hang or take some other fd 3.
start_fails() {	# start_fails ENV-ASSIGNMENTS...: output of a failed start
	local rc=0 out
	out=$(timeout 10 env -u LISTEN_PID -u LISTEN_FDS -u LISTEN_FDNAMES "$@" \
		"$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root 2>&1 3</dev/null) || rc=$?
	echo "rc=$rc $out"
}
out=$(start_fails)
like "$out" "^rc=1 .*listen = systemd, but LISTEN_PID and LISTEN_FDS are not set" \
	"no LISTEN_PID/LISTEN_FDS: a clear error, exit 1"
out=$(start_fails LISTEN_PID=1 LISTEN_FDS=1)
like "$out" "^rc=1 .*LISTEN_PID=1 is not this process" \
	"LISTEN_PID of another process: refused"
out=$(timeout 10 sh -c 'export LISTEN_PID=$$ LISTEN_FDS=2; exec "$0" "$@" 3</dev/null' \
	"$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root 2>&1; echo "rc=$?")
like "$out" "exactly one socket, but LISTEN_FDS=2.*rc=1" "two sockets: refused"
out=$(timeout 10 sh -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" "$@" 3</dev/null' \
	"$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root 2>&1; echo "rc=$?")
like "$out" "fd 3 is not a stream socket.*rc=1" "fd 3 not a socket: refused"
ok "nothing was created at the socket path" test ! -e "$T/cmpd.sock"

done_testing
