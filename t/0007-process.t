#!/bin/sh
# The prefork master: a worker killed under load is respawned and nothing
# after it fails; worker memory stays flat; SIGTERM lets a request in flight
# finish; SIGHUP puts a new configuration in force without dropping
# requests; max_requests recycles workers; a crash loop backs off; the
# listening socket may be TCP or inherited on fd 0.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info"
t_start_lighttpd || bail "lighttpd did not start"
plan_auto

IR=$T_FIXTURES/genm-pbm.der
CMP=/api/v1/protocols/cmp/demo
TOOL=$top_builddir/t/cmptool
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null; }
wait_workers() {	# wait_workers N: until cmpd has N live workers
	local n=$1 deadline=$((SECONDS + 10))
	while [ "$(t_cmpd_workers | wc -l)" != "$n" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# load N OUT: N sequential POSTs of IR through lighttpd (t_post_seq)
load() { t_post_seq "$1" "$2" "$IR" "$CMP"; }
lines() { wc -l < "$1" 2>/dev/null || echo 0; }
# requests cmpd has logged so far (curl buffers its own output)
served() { grep -c ' rid=' "$T/cmpd.log"; }

# ---------------------------------------------------------------- kill -9
wait_workers 2 || bail "two workers did not start"
# Warm up caches, connections and allocator, of both workers: two clients
# at once (one after another, the first idle worker would serve them all).
load 150 "$T/warm" &
warm_pid=$!
load 150 "$T/warm2"
wait "$warm_pid"
is "$(cat "$T/warm" "$T/warm2" | grep -cx 200)" 300 \
	"warm-up: 300 requests answered"
set -- $(t_cmpd_workers)
victim=$1 survivor=$2
diag "warm-up requests per worker: $(grep -c " rid=$1-" "$T/cmpd.log"), $(
	grep -c " rid=$2-" "$T/cmpd.log")"
rss_before=$(rss "$survivor")

# enough requests that the kill lands while they run, even on a busy
# machine where the poll below is slow
N=3000
base=$(served)
load "$N" "$T/codes" &
load_pid=$!
# A tight poll on cmpd's log (curl buffers its own output): the whole load
# takes a few seconds.
deadline=$((SECONDS + 30))
while [ "$(($(served) - base))" -lt 300 ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.002
done
kill -KILL "$victim"
at=$(($(served) - base))
wait "$load_pid"
after=$(lines "$T/codes")
diag "worker $victim killed after $at of $N requests"
is "$after" "$N" "$N requests answered"
ok "the kill came mid-way" [ "$at" -lt "$N" ]
failed=$(grep -cvx 200 "$T/codes")
ok "at most the request in flight failed ($failed)" [ "$failed" -le 1 ]
first_bad=$(grep -nvx 200 "$T/codes" | head -n 1 | cut -d: -f1)
if [ -n "$first_bad" ]; then
	is "$(tail -n +"$((first_bad + 1))" "$T/codes" | grep -cvx 200)" 0 \
		"every request after the failed one succeeded"
else
	pass "no request failed at all"
fi
ok "victim is gone" _t_gone "$victim"
ok "respawned: two workers again" wait_workers 2
like "$(cat "$T/cmpd.log")" "worker [01] \\(pid $victim\\) killed by signal 9; respawn in [0-9]+ ms" \
	"master logged the death"
rss_after=$(rss "$survivor")
diag "surviving worker $survivor RSS: ${rss_before} kB after the warm-up, ${rss_after} kB after the $N requests"
# Under ASan the allocator's quarantine and shadow memory grow by design;
# there LeakSanitizer at every worker's exit is the check (done_testing).
if [ "$T_ASAN" = 0 ]; then
	ok "surviving worker's RSS flat (grew $((rss_after - rss_before)) kB <= 256 kB)" \
		[ "$((rss_after - rss_before))" -le 256 ]
else
	skip "RSS is not meaningful under ASan; LeakSanitizer checks the workers" 1
fi
is "$(t_fcgi "$IR" $CMP)" 200 "new worker answers"
is "$(dump "$T/resp.der" body)" genp \
	"with the right answer"

# ------------------------------------------------- SIGTERM during a request
# A table lock makes the profile lookup of the next request wait.
t_bg lock mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" cmpd -e \
	"LOCK TABLES cmp_profile WRITE, ra_profile WRITE; SELECT SLEEP(3); UNLOCK TABLES;"
sleep 0.5
(env -i PATH="$PATH" REQUEST_METHOD=POST REQUEST_URI=$CMP \
	CONTENT_TYPE=application/pkixcmp CONTENT_LENGTH="$(wc -c < "$IR")" \
	timeout 30 cgi-fcgi -bind -connect "$T/cmpd.sock" < "$IR" > "$T/slow.out") &
slow=$!
sleep 0.5
start=$SECONDS
kill -TERM "$CMPD_PID"
sleep 1
ok "master still waits for the request in flight" kill -0 "$CMPD_PID"
wait "$slow"
ok "the request in flight got its answer" grep -q "Content-Type: application/pkixcmp" "$T/slow.out"
LC_ALL=C sed '1,/^\r$/d' "$T/slow.out" > "$T/slow.der"
is "$(dump "$T/slow.der" body)" genp \
	"and it is the right answer"
t_wait 15 _t_gone "$CMPD_PID"
wait "$CMPD_PID"
is "$?" 0 "cmpd exited 0 after SIGTERM"
CMPD_PID=""
ok "socket removed at exit" [ ! -e "$T/cmpd.sock" ]
ok "pid file removed at exit" [ ! -e "$T/cmpd.pid" ]
t_stop_bg lock

# --------------------------------------------------------------- SIGHUP
# Six clients on one worker keep the listening socket readable all the
# time: the old worker must still notice SIGTERM and leave by itself, not
# be killed after graceful_timeout.
t_write_conf "message_time_skew = 0" "log_level = info" "graceful_timeout = 5" \
	"workers = 1"
t_start_cmpd || bail "cmpd did not restart"
wait_workers 1 || bail "worker did not start"
old=$(t_cmpd_workers | tr '\n' ' ')
t_fcgi "$IR" $CMP > /dev/null
is "$(dump "$T/resp.der" sender)" "CN=cmpd" "sender before reload"
base=$(served)
lpids=""
for i in 1 2 3 4 5 6; do
	load 600 "$T/hup$i" &
	lpids="$lpids $!"
done
deadline=$((SECONDS + 30))
while [ "$(($(served) - base))" -lt 500 ] && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 0.002
done
t_write_conf "message_time_skew = 0" "log_level = info" "graceful_timeout = 5" \
	"server_name = CN=cmpd reloaded,O=Test" "workers = 3" "listen_mode = 0600"
kill -HUP "$CMPD_PID"
at=$(($(served) - base))
wait $lpids
diag "SIGHUP after $at of 3600 requests"
ok "the reload came mid-way" [ "$at" -lt 3000 ]
is "$(cat "$T"/hup[1-6] | grep -cx 200)" 3600 \
	"3600 requests from 6 clients across the reload, none dropped"
ok "three workers after reload" wait_workers 3
new=$(t_cmpd_workers | tr '\n' ' ')
for pid in $old; do
	ok "old worker $pid left" _t_gone "$pid"
done
nok "no old worker had to be killed" grep -q "did not finish in time" "$T/cmpd.log"
t_fcgi "$IR" $CMP > /dev/null
is "$(dump "$T/resp.der" sender)" "CN=cmpd reloaded,O=Test" "new server_name in force"
like "$(cat "$T/cmpd.log")" "listen_mode changed: takes effect on restart" \
	"a changed listen_mode: the warning that the socket keeps its mode"
like "$(cat "$T/cmpd.log")" "configuration reloaded" "reload logged"

# a stray SIGUSR1 (libfcgi's shutdown signal) changes nothing
set -- $new
kill -USR1 "$1"
sleep 0.2
ok "worker survives SIGUSR1" kill -0 "$1"
load 30 "$T/usr1"
is "$(grep -cx 200 "$T/usr1")" 30 "and all workers keep serving"

t_write_conf "message_time_skew = 0" "workerz = 1"
new=$(t_cmpd_workers | tr '\n' ' ')
kill -HUP "$CMPD_PID"
t_wait 5 grep -q "reload refused" "$T/cmpd.log"
like "$(cat "$T/cmpd.log")" 'reload refused, keeping the running configuration: .*unknown key "workerz"' \
	"broken configuration refused"
is "$(t_cmpd_workers | tr '\n' ' ')" "$new" "workers untouched"
t_fcgi "$IR" $CMP > /dev/null
is "$(dump "$T/resp.der" sender)" "CN=cmpd reloaded,O=Test" "old configuration still in force"
t_stop_cmpd
is "$CMPD_EXIT" 0 "stopped cleanly"

# ----------------------------------------------------------- max_requests
t_write_conf "message_time_skew = 0" "workers = 1" "max_requests = 20"
t_start_cmpd || bail "cmpd did not start"
load 50 "$T/recycle"
is "$(grep -cx 200 "$T/recycle")" 50 "50 requests with max_requests 20"
is "$(grep -c 'recycled after 20 requests' "$T/cmpd.log")" 2 "worker recycled twice"

# ----------------------------------------------------- crash-loop back-off
mark=$(wc -l < "$T/cmpd.log")
since() { tail -n +"$((mark + 1))" "$T/cmpd.log"; }
for i in 1 2 3; do
	wait_workers 1 || break
	kill -KILL "$(t_cmpd_workers)"
	sleep 0.05
done
t_wait 5 sh -c "tail -n +$((mark + 1)) '$T/cmpd.log' | grep -q 'respawn in 400 ms'"
like "$(since)" "killed by signal 9; respawn in 100 ms" "first quick death: 100 ms"
like "$(since)" "killed by signal 9; respawn in 200 ms" "second: 200 ms"
like "$(since)" "killed by signal 9; respawn in 400 ms" "third: 400 ms"
ok "worker back after the back-off" wait_workers 1
is "$(t_fcgi "$IR" $CMP)" 200 "and serving"
t_stop_cmpd

# ------------------------------------------------------ one socket, one cmpd
t_start_cmpd || bail "cmpd did not start"
out=$(timeout 10 "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root 2>&1); rc=$?
isnt "$rc" 0 "a second cmpd on a live socket refuses to start"
like "$out" "another process is listening there" "and says why"
is "$(t_fcgi "$IR" $CMP)" 200 "the first one still serves"
t_stop_cmpd

# ---------------------------------------- a parent that ignores SIGCHLD
# Ignored signals survive exec; the master must still see its workers die.
bash -c 'trap "" CHLD; exec "$0" -f -c "$1" --allow-root' "$top_builddir/cmpd" "$T/cmpd.conf" \
	>> "$T/cmpd.log" 2>&1 &
CMPD_PID=$!
t_wait 10 test -S "$T/cmpd.sock"
wait_workers 1 || diag "no worker"
victim=$(t_cmpd_workers)
kill -KILL "$victim"
t_wait 5 sh -c "grep -q '(pid $victim) killed by signal 9' '$T/cmpd.log'"
like "$(cat "$T/cmpd.log")" "\\(pid $victim\\) killed by signal 9" \
	"with SIGCHLD ignored by its parent, the master sees a worker die"
ok "and respawns it" wait_workers 1
t_stop_cmpd
is "$CMPD_EXIT" 0 "and still stops cleanly"

# ------------------------------------------------ TCP and inherited sockets
lpid=$LIGHTTPD_PID
t_stop_lighttpd
ok "lighttpd itself stopped (not just a shell around it)" _t_gone "$lpid"
nok "no lighttpd of this test left" pgrep -f "$T/lighttpd.conf"
port=$(_t_random_port)
while ! _t_port_free "$port"; do port=$((port + 1)); done
t_write_conf "message_time_skew = 0" "listen = 127.0.0.1:$port"
"$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root >> "$T/cmpd.log" 2>&1 &
CMPD_PID=$!
t_wait 10 _t_port_open "$port"
st=$(env -i PATH="$PATH" REQUEST_METHOD=POST REQUEST_URI=$CMP \
	CONTENT_TYPE=application/pkixcmp CONTENT_LENGTH="$(wc -c < "$IR")" \
	cgi-fcgi -bind -connect "127.0.0.1:$port" < "$IR" | tr -d '\r' | sed -n 's/^Status: //p')
like "$st" "^200" "listen = 127.0.0.1:PORT serves"
t_stop_cmpd

t_write_conf "message_time_skew = 0" "listen = inherit"
rm -f "$T/cmpd.sock"
spawn-fcgi -n -s "$T/cmpd.sock" -- "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root \
	>> "$T/cmpd.log" 2>&1 &
CMPD_PID=$!
t_wait 10 test -S "$T/cmpd.sock"
is "$(t_fcgi "$IR" $CMP)" 200 "listen = inherit under spawn-fcgi serves"
is "$(dump "$T/resp.der" body)" genp "with the right answer"
t_stop_cmpd
is "$CMPD_EXIT" 0 "inherited-socket cmpd stops cleanly"

# api_remote_user trusts whoever connects to name the REMOTE_USER: not on
# an inherited socket any user may connect to (as conf.c refuses such a
# listen_mode for a socket cmpd makes)
t_write_conf "message_time_skew = 0" "listen = inherit" "api_remote_user = read"
rm -f "$T/cmpd.sock"
out=$(timeout -k 5 20 spawn-fcgi -n -s "$T/cmpd.sock" -M 0666 -- "$top_builddir/cmpd" -f \
	-c "$T/cmpd.conf" --allow-root 2>&1); rc=$?
is "$rc" 1 "api_remote_user on an inherited socket of mode 0666: cmpd does not start"
like "$out" "api_remote_user needs a socket other users cannot connect to; the one handed over has mode 0666" \
	"... and says why"
rm -f "$T/cmpd.sock"
spawn-fcgi -n -s "$T/cmpd.sock" -M 0660 -- "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root \
	>> "$T/cmpd.log" 2>&1 &
CMPD_PID=$!
t_wait 10 test -S "$T/cmpd.sock"
is "$(t_fcgi "$IR" $CMP)" 200 "... of mode 0660: it serves"
t_stop_cmpd

# ------------------------------------------------ root without "user"
# The workers parse what any client sends: as root only when asked for.
if [ "$(id -u)" = 0 ]; then
	t_write_conf "message_time_skew = 0" "listen_mode = 0666"
	rm -f "$T/cmpd.sock" "$T/cmpd.pid"
	out=$(timeout 10 "$top_builddir/cmpd" -f -c "$T/cmpd.conf" 2>&1); rc=$?
	is "$rc" 1 "as root without user and without --allow-root: exit 1"
	like "$out" "refusing to run the workers as root: set \"user\" in .*cmpd\.conf to an unprivileged user .*or start cmpd with --allow-root" \
		"... with a clear message"
	ok "... before binding anything" test ! -e "$T/cmpd.sock"
	ok "... or writing its pid file" test ! -e "$T/cmpd.pid"
	out=$(timeout 10 "$top_builddir/cmpd" -c "$T/cmpd.conf" 2>&1); rc=$?
	is "$rc" 1 "the same without -f (no daemon left behind)"
	like "$(timeout 10 "$top_builddir/cmpd" --help)" "--allow-root" "--help names --allow-root"
	t_start_cmpd || bail "cmpd --allow-root did not start"
	for pid in $(t_cmpd_workers); do
		is "$(ps -o user= -p "$pid" | tr -d ' ')" root "with --allow-root worker $pid runs as root"
	done
	t_stop_cmpd
else
	skip "not root: the refusal needs root" 8
fi

# ------------------------------------------------ daemon mode, user switch
# Without -f cmpd detaches and logs to syslog; the pid file finds it.
# As root with "user = nobody" the workers run as nobody after the bind.
# It is started with a relative -c path: SIGHUP must still find the file
# after the daemon's chdir("/").
chmod 711 "$T"
chmod 644 "$T/db.pw" "$T/secret.key"
t_write_conf "message_time_skew = 0" "user = nobody" "listen_mode = 0666"
chmod 644 "$T/cmpd.conf"
rm -f "$T/cmpd.pid"
ok "cmpd without -f returns after detaching" \
	sh -c "cd '$T' && timeout 10 '$top_builddir/cmpd' -c cmpd.conf"
t_wait 10 test -s "$T/cmpd.pid"
daemon_pid=$(cat "$T/cmpd.pid" 2>/dev/null)
ok "pid file written" [ -n "$daemon_pid" ]
t_wait 10 test -S "$T/cmpd.sock"
is "$(t_fcgi "$IR" $CMP)" 200 "daemon serves"
is "$(dump "$T/resp.der" body)" genp \
	"with the right answer (the password file read as nobody)"
CMPD_PID=$daemon_pid
workers=$(t_cmpd_workers)
ok "daemon has workers" [ -n "$workers" ]
nobody_uid=$(id -u nobody)
for pid in $workers; do
	is "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "$nobody_uid" \
		"worker $pid runs as nobody"
	is "$(ps -o user= -p "$pid" | tr -d ' ')" nobody "ps -o user= of worker $pid: nobody"
done
t_write_conf "message_time_skew = 0" "user = nobody" "listen_mode = 0666" \
	"server_name = CN=daemon reloaded"
chmod 644 "$T/cmpd.conf"
kill -HUP "$daemon_pid"
deadline=$((SECONDS + 10))
until [ "$(t_fcgi "$IR" $CMP)" = 200 ] &&
	[ "$(dump "$T/resp.der" sender)" = "CN=daemon reloaded" ] ||
	[ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.2
done
is "$(dump "$T/resp.der" sender)" "CN=daemon reloaded" \
	"SIGHUP re-reads a relative -c path after chdir(\"/\")"
kill -TERM "$daemon_pid"
ok "daemon stops on SIGTERM" t_wait 15 _t_gone "$daemon_pid"
CMPD_PID=""

# A reload to a secret_key_file the workers' user cannot read (a new key
# made by root, mode 0600, as after a key rotation): refused, and the
# workers of the running configuration stay, rather than every new worker
# failing to load it and nothing served.
t_write_conf "message_time_skew = 0" "user = nobody" "listen_mode = 0666"
chmod 644 "$T/cmpd.conf"
t_start_cmpd || bail "cmpd did not start as nobody"
is "$(t_fcgi "$IR" $CMP)" 200 "cmpd as nobody serves"
(umask 077; openssl rand -hex 32 > "$T/root-only.key")
t_write_conf "message_time_skew = 0" "user = nobody" "listen_mode = 0666" \
	"server_name = CN=unreadable key" "-secret_key_file" "secret_key_file = $T/root-only.key"
chmod 644 "$T/cmpd.conf"
before=$(t_cmpd_workers | tr '\n' ' ')
kill -HUP "$CMPD_PID"
t_wait 10 grep -q "reload refused" "$T/cmpd.log"
like "$(grep 'reload refused' "$T/cmpd.log" | tail -n 1)" \
	"secret_key_file .*root-only\.key cannot be loaded by the workers' user" \
	"a reload to a key the workers cannot read: refused, and why"
sleep 1
is "$(t_fcgi "$IR" $CMP)" 200 "... the workers still serve"
is "$(dump "$T/resp.der" sender)" "CN=cmpd" "... in the running configuration"
is "$(t_cmpd_workers | tr '\n' ' ')" "$before" "... the same workers"
nok "... no worker failed to load a key" grep -q "cannot load secret_key_file" "$T/cmpd.log"
t_stop_cmpd

# spawn-fcgi hands over the socket on fd 0 and cmpd daemonizes: fd 0 must
# stay the socket
t_write_conf "message_time_skew = 0" "listen = inherit" "listen_mode = 0666"
rm -f "$T/cmpd.sock" "$T/cmpd.pid"
ok "spawn-fcgi + daemon cmpd" spawn-fcgi -s "$T/cmpd.sock" -- "$top_builddir/cmpd" -c "$T/cmpd.conf" --allow-root
t_wait 10 test -s "$T/cmpd.pid"
daemon_pid=$(cat "$T/cmpd.pid" 2>/dev/null)
is "$(t_fcgi "$IR" $CMP)" 200 "inherited socket survives daemonizing"
[ -n "$daemon_pid" ] && kill -TERM "$daemon_pid"
ok "and stops on SIGTERM" t_wait 15 _t_gone "$daemon_pid"
done_testing
