#!/bin/sh
# cmpd and cmp-localca started as root with "user", their socket and pid
# file in the directory systemd made for the service (RuntimeDirectory=,
# root's, named in $RUNTIME_DIRECTORY): they hand that directory to the
# user before switching, so that they remove both when they stop. A
# directory systemd did not name for them is left alone (and then they
# cannot remove their files there, which they say). listen_group puts
# their sockets in the web server's group (0660).
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

[ "$(id -u)" = 0 ] || { skip_all "needs root: the switch to user"; }
t_start_db
t_write_conf "message_time_skew = 0" "user = nobody" "listen_mode = 0666"
t_migrate || bail "migration failed"
chmod 711 "$T"
chmod 644 "$T/db.pw" "$T/secret.key" "$T/cmpd.conf"
NOBODY=$(id -u nobody)

# conf DIR: cmpd.conf with the socket and pid file in DIR
conf() {
	t_write_conf "message_time_skew = 0" "user = nobody" "listen_mode = 0666" \
		"listen = $1/cmpd.sock" "pid_file = $1/cmpd.pid"
	chmod 644 "$T/cmpd.conf"
}
# has_children PID: PID has forked (cmpd's workers), asked again at each try
has_children() { test -n "$(ps -o pid= --ppid "$1")"; }
# run DIR [RUNTIME_DIRECTORY]: cmpd started as systemd would, then SIGTERM
run() {
	local pid log=$T/cmpd-${1##*/}.log
	conf "$1"
	if [ -n "${2-}" ]; then
		RUNTIME_DIRECTORY=$2 "$top_builddir/cmpd" -f -c "$T/cmpd.conf" > "$log" 2>&1 &
	else
		env -u RUNTIME_DIRECTORY "$top_builddir/cmpd" -f -c "$T/cmpd.conf" > "$log" 2>&1 &
	fi
	pid=$!
	t_wait 10 test -S "$1/cmpd.sock" || { diag_file "$log"; return 1; }
	t_wait 10 has_children "$pid"
	OWNER=$(stat -c %u "$1")
	_t_stop_pid "$pid" 15
}

mkdir -m 0755 "$T/rt" "$T/other" "$T/named-elsewhere"
ok "cmpd in systemd's RuntimeDirectory" run "$T/rt" "/run/x:$T/rt"
is "$OWNER" "$NOBODY" "the directory handed to the user"
ok "SIGTERM: the socket removed" test ! -e "$T/rt/cmpd.sock"
ok "... and the pid file" test ! -e "$T/rt/cmpd.pid"
nok "... without a warning" grep -q "cannot remove" "$T/cmpd-rt.log"

ok "cmpd in a directory systemd did not make for it" run "$T/other"
is "$OWNER" 0 "the directory stays root's"
like "$(cat "$T/cmpd-other.log")" "cannot remove $T/other/cmpd.pid" \
	"... so the user cannot remove its files there, and says so"
ok "RUNTIME_DIRECTORY naming another directory" run "$T/named-elsewhere" "$T/rt"
is "$OWNER" 0 "... leaves this one alone"

# listen_group: the socket in the web server's group, the user's. Its
# mode and owners are set by no call that would follow a link put at its
# path meanwhile (the directory may be the user's): the mode through the
# umask at bind, the owners with lchown (strace, following the workers)
WEBG=$(id -gn www-data 2>/dev/null || id -gn nobody)
mkdir -m 0755 "$T/grp"
t_write_conf "message_time_skew = 0" "user = nobody" "listen = $T/grp/cmpd.sock" \
	"listen_group = $WEBG"
chmod 644 "$T/cmpd.conf"
rm -f "$T/cmpd.pid"
strace -f -qq -e trace=chmod,fchmodat,chown,fchownat,lchown,umask -o "$T/grp.strace" \
	"$top_builddir/cmpd" -f -c "$T/cmpd.conf" > "$T/cmpd-grp.log" 2>&1 &
spid=$!
t_wait 10 test -S "$T/grp/cmpd.sock"
t_wait 10 test -s "$T/cmpd.pid"
pid=$(cat "$T/cmpd.pid")
t_wait 10 has_children "$pid"
is "$(stat -c '%a %U %G' "$T/grp/cmpd.sock")" "660 nobody $WEBG" \
	"listen_group: the socket 0660, the user's, in group $WEBG"
_t_stop_pid "$pid" 15
wait "$spid"
like "$(cat "$T/grp.strace")" "umask\\(0117\\)" "... its mode given at bind, through the umask"
sock_calls() { grep -F "\"$T/grp/cmpd.sock\"" "$T/grp.strace"; }
like "$(sock_calls)" "lchown\\(|AT_SYMLINK_NOFOLLOW" "... its owners with a call that follows no link"
is "$(sock_calls | grep -vE 'lchown\(|AT_SYMLINK_NOFOLLOW' | grep -c .)" 0 \
	"... and no call that would follow one names its path"
t_write_conf "message_time_skew = 0" "user = nobody" "listen_group = no-such-group-cmpd"
out=$("$top_builddir/cmpd" -n --no-db -c "$T/cmpd.conf" 2>&1); rc=$?
is "$rc" 1 "cmpd -n: an unknown listen_group is refused"
like "$out" "listen_group no-such-group-cmpd: no such group" "... named"

# cmp-localca, the same
t_make_ca
(umask 077; openssl rand -hex 16 > "$T/lca.pw")
mkdir -m 0755 "$T/lrt"
cat > "$T/localca.conf" <<EOF
listen = $T/lrt/localca.sock
pid_file = $T/lrt/localca.pid
user = nobody
ca_dir = $T/ca
auth_user = cmpd
auth_password_file = $T/lca.pw
db_socket = $DB_SOCK
db_password_file = $T/db.pw
EOF
RUNTIME_DIRECTORY=$T/lrt "$top_builddir/cmp-localca" -f -c "$T/localca.conf" > "$T/localca.log" 2>&1 &
pid=$!
t_wait 10 test -s "$T/lrt/localca.pid"
is "$(stat -c %u "$T/lrt")" "$NOBODY" "cmp-localca: the RuntimeDirectory handed to the user"
t_wait 5 sh -c "grep -q '^Uid:[[:space:]]*$NOBODY[[:space:]]' /proc/$pid/status"
is "$(awk '/^Uid:/ { print $3 }' "/proc/$pid/status" 2>/dev/null)" "$NOBODY" "... which it runs as"
_t_stop_pid "$pid" 15
ok "SIGTERM: socket and pid file removed" test ! -e "$T/lrt/localca.sock" -a ! -e "$T/lrt/localca.pid"
nok "... without a warning" grep -q "cannot remove" "$T/localca.log"

echo "listen_group = $WEBG" >> "$T/localca.conf"
"$top_builddir/cmp-localca" -f -c "$T/localca.conf" > "$T/localca2.log" 2>&1 &
pid=$!
t_wait 10 test -s "$T/lrt/localca.pid"
t_wait 5 sh -c "grep -q '^Uid:[[:space:]]*$NOBODY[[:space:]]' /proc/$pid/status"
is "$(stat -c '%a %U %G' "$T/lrt/localca.sock")" "660 nobody $WEBG" \
	"cmp-localca listen_group: the socket 0660, the user's, in group $WEBG"
_t_stop_pid "$pid" 15
sed -i "s/^listen_group = .*/listen_group = no-such-group-cmpd/" "$T/localca.conf"
out=$("$top_builddir/cmp-localca" -n -c "$T/localca.conf" 2>&1); rc=$?
is "$rc" 1 "cmp-localca -n: an unknown listen_group is refused"
like "$out" "listen_group no-such-group-cmpd: no such group" "... named"
done_testing
