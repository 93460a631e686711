#!/bin/sh
# log_file: cmpd and cmp-localca log to a file of their own (appended),
# which SIGUSR1 opens again after logrotate moved it; cmpd's master then
# replaces its workers, so their lines follow to the new file. A
# log_file that cannot be opened stops the start with the reason.
. "$top_srcdir/t/lib.sh"
t_setup
mkdir -p "$T/logs"
t_stack "log_level = info" "log_file = $T/logs/cmpd.log"
t_start_localca
t_second_localca logloca "log_file = $T/logs/localca.log"
t_start_lighttpd "$(t_localca_lighttpd)"
plan_auto

health() { curl -sS --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' "$HTTP_BASE/health"; }
lines() { grep -c "route=health method=GET status=200" "$1" 2>/dev/null || true; }

ok "cmpd wrote to log_file" grep -q "listening on" "$T/logs/cmpd.log"
is "$(health)" 200 "/health answers"
ok "the request's line is in log_file" t_wait 10 grep -q "route=health method=GET status=200" "$T/logs/cmpd.log"
nok "and not on stderr" grep -q "route=health" "$T/cmpd.log"

# logrotate: move the file, then SIGUSR1
mv "$T/logs/cmpd.log" "$T/logs/cmpd.log.1"
before=$(lines "$T/logs/cmpd.log.1")
ok "SIGUSR1 to the master" kill -USR1 "$CMPD_PID"
ok "the master opened log_file again" t_wait 10 grep -q "log_file reopened" "$T/logs/cmpd.log"
workers_at_least() { test "$(t_cmpd_workers 2>/dev/null | wc -w)" -ge "$1"; }
t_wait 10 workers_at_least 2
for i in 1 2 3 4 5 6; do health > /dev/null; done
ok "new requests are logged to the new file" t_wait 10 grep -q "route=health method=GET status=200" "$T/logs/cmpd.log"
is "$(lines "$T/logs/cmpd.log.1")" "$before" "the moved file gets no new request lines"
is "$(health)" 200 "no request was lost to the switch"

# cmp-localca: its own log_file, reopened the same way
ok "cmp-localca wrote to its log_file" grep -q "listening on" "$T/logs/localca.log"
mv "$T/logs/localca.log" "$T/logs/localca.log.1"
ok "SIGUSR1 to cmp-localca" kill -USR1 "$BG_PID_logloca"
ok "cmp-localca opened log_file again" t_wait 10 grep -q "log_file reopened" "$T/logs/localca.log"

# a log_file that cannot be opened: refused at start, with the reason
t_write_conf "log_file = $T/nosuchdir/cmpd.log"
nok "cmpd does not start" timeout 20 "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root
out=$(timeout 20 "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root 2>&1)
like "$out" "log_file $T/nosuchdir/cmpd.log: No such file or directory" "and says why"
grep -v '^log_file' "$T/logloca.conf" > "$T/badloca.conf"
echo "log_file = $T/nosuchdir/localca.log" >> "$T/badloca.conf"
sed -i "s|^listen = .*|listen = $T/badloca.sock|" "$T/badloca.conf"
out=$(timeout 20 "$top_builddir/cmp-localca" -f -c "$T/badloca.conf" --allow-root 2>&1)
like "$out" "log_file $T/nosuchdir/localca.log: No such file or directory" "cmp-localca too"

# log_file and pid_file are written while still root, in directories the
# unprivileged user may own: a link it put there to one of root's files
# (symbolic or hard), or a FIFO, is refused, and that file left alone
printf 'root only\n' > "$T/victim"
chmod 600 "$T/victim"
cmpd_says() { timeout 20 "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root 2>&1; }
ln -s "$T/victim" "$T/logs/link.log"
t_write_conf "log_file = $T/logs/link.log"
like "$(cmpd_says)" "log_file $T/logs/link.log: a symbolic link: refused" \
	"a log_file that is a symbolic link: refused"
ln "$T/victim" "$T/logs/hard.log"
t_write_conf "log_file = $T/logs/hard.log"
like "$(cmpd_says)" "log_file $T/logs/hard.log: not a regular file of one name: refused" \
	"... a hard link to another file: refused"
mkfifo "$T/logs/fifo.log"
t_write_conf "log_file = $T/logs/fifo.log"
like "$(cmpd_says)" "log_file $T/logs/fifo.log: not a regular file of one name: refused" \
	"... a FIFO: refused, without waiting for a reader"
ln -s "$T/victim" "$T/logs/link.pid"
t_write_conf "listen = $T/other.sock" "pid_file = $T/logs/link.pid"
like "$(cmpd_says)" "pid_file $T/logs/link.pid: a symbolic link: refused" \
	"a pid_file that is a symbolic link: refused"
sed -i "s|^log_file = .*|log_file = $T/logs/link.log|" "$T/badloca.conf"
like "$(timeout 20 "$top_builddir/cmp-localca" -f -c "$T/badloca.conf" --allow-root 2>&1)" \
	"log_file $T/logs/link.log: a symbolic link: refused" "cmp-localca too"
is "$(cat "$T/victim")" "root only" "the file they lead to is untouched"
is "$(stat -c %a "$T/victim")" 600 "... and keeps its mode"
# logrotate's reopen: a link put in place of the moved file is refused
# too, and lines go on to the file open before
mv "$T/logs/cmpd.log" "$T/logs/cmpd.log.2"
ln -s "$T/victim" "$T/logs/cmpd.log"
ok "SIGUSR1 with a symbolic link where log_file was" kill -USR1 "$CMPD_PID"
ok "... not reopened, said in the file open before" t_wait 10 \
	grep -q "cannot reopen log_file $T/logs/cmpd.log: a symbolic link: refused" "$T/logs/cmpd.log.2"
is "$(cat "$T/victim")" "root only" "... and the file it leads to untouched"
done_testing
