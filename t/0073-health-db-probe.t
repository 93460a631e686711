#!/bin/sh
# GET /health with database endpoints that a partition cut off: cmpd on
# the private MariaDB over TCP, its db_hosts followed by the same
# MariaDB through a TCP relay, two endpoints that take a TCP connection
# and never say a word (a node behind a network that drops its packets
# looks the same to a client) and one closed port.  /health probes the
# endpoints other than its own all at once within a bound of under a
# second, not one connect timeout after the other: it answers 200 in
# well under the 3 s a load balancer's check gets, the relayed MariaDB
# up (a login and its question answered), the silent and the closed
# endpoints down, in /health and in /metrics; the results are kept, so
# the next check does not wait again; a reload with another list starts
# cmpd_db_endpoint_up over.
. "$top_srcdir/t/lib.sh"
t_setup
T_DB_PORT=auto
t_start_db || bail "MariaDB did not start"
t_sql "CREATE USER 'cmpd'@'127.0.0.1' IDENTIFIED BY '$(cat "$T/db.pw")';
	GRANT ALL ON cmpd.* TO 'cmpd'@'127.0.0.1';" || bail "cannot create cmpd@127.0.0.1"
# silent NAME: a listener that takes connections (the kernel completes
# them) and never answers; its port in $T/NAME.port
silent() {
	t_bg "$1" python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
time.sleep(600)' "$T/$1.port"
	t_wait 10 test -s "$T/$1.port" || bail "$1: no listener"
}
silent hung1
silent hung2
H1=$(cat "$T/hung1.port")
H2=$(cat "$T/hung2.port")
# a relay to the MariaDB: a second endpoint that answers
t_bg relay python3 -c '
import socket, sys, threading
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for x in (a, b):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
while True:
    c = s.accept()[0]
    u = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    for a, b in ((c, u), (u, c)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()' \
	"$T/relay.port" "$T_DB_PORT"
t_wait 10 test -s "$T/relay.port" || bail "no relay"
R=$(cat "$T/relay.port")
CLOSED=$(_t_free_port) || bail "no free port"
t_stack "-db_socket" \
	"db_hosts = 127.0.0.1:$T_DB_PORT, 127.0.0.1:$R, 127.0.0.1:$H1, 127.0.0.1:$H2, 127.0.0.1:$CLOSED" \
	"workers = 1"
plan_auto

hj() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(json.dumps(v) if isinstance(v,bool) else v)' "$T/resp.der" "$1"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

t0=$(date +%s%N)
is "$(t_fcgi "" /health GET "")" 200 "GET /health: 200 while its own endpoint answers"
ms=$(ms_since "$t0")
ok "... in under 2 s with two silent endpoints (${ms} ms)" [ "$ms" -lt 2000 ]
is "$(hj 'j["database"]')" ok "... database ok"
is "$(hj 'len(j["databaseEndpoints"])')" 5 "... five endpoints listed"
is "$(hj '" ".join(e["status"] for e in j["databaseEndpoints"])')" "up up down down down" \
	"... its own and the relayed MariaDB up; the silent and the closed ones down"
is "$(hj '" ".join(str(e["current"]).lower() for e in j["databaseEndpoints"])')" \
	"true false false false false" "... the first current"
like "$(cat "$T/cmpd.log")" "MariaDB 127.0.0.1:$H1: health probe: no answer within 800 ms" \
	"... a silent one logged as such"
like "$(cat "$T/cmpd.log")" "MariaDB 127.0.0.1:$CLOSED: health probe: Can't connect" \
	"... the closed one with the client library's error"
# the silent listeners saw the probes: their connections are gone again
conns() { ss -Htn state established "( sport = :$H1 or sport = :$H2 )" | wc -l; }
ok "... their probe connections closed again" t_wait 5 eval '[ "$(conns)" = 0 ]'

t0=$(date +%s%N)
is "$(t_fcgi "" /health GET "")" 200 "GET /health again: 200"
ms=$(ms_since "$t0")
ok "... from the kept results, at once (${ms} ms)" [ "$ms" -lt 500 ]
is "$(hj '" ".join(e["status"] for e in j["databaseEndpoints"])')" "up up down down down" \
	"... the same statuses"

is "$(t_fcgi "" /metrics GET "")" 200 "GET /metrics"
cp "$T/resp.der" "$T/metrics.txt"
metric() { awk -v n="cmpd_db_endpoint_up{endpoint=\"$1\"}" '$1 == n { print $2 }' "$T/metrics.txt"; }
is "$(metric "127.0.0.1:$H1") $(metric "127.0.0.1:$H2") $(metric "127.0.0.1:$CLOSED")" "0 0 0" \
	"cmpd_db_endpoint_up 0 for the silent and the closed endpoints"
is "$(metric "127.0.0.1:$R")" 1 "... 1 for the relayed MariaDB"

# A reload with another list: the values were kept by position, so the
# closed port, now second where the relay was, is "never tried" (absent)
# until it is, not up.
sed -i "s/^db_hosts = .*/db_hosts = 127.0.0.1:$T_DB_PORT, 127.0.0.1:$CLOSED/" "$T/cmpd.conf"
reloads=$(grep -c "configuration reloaded" "$T/cmpd.log")
kill -HUP "$CMPD_PID"
reloaded() { [ "$(grep -c "configuration reloaded" "$T/cmpd.log")" -gt "$reloads" ]; }
ok "reloaded with db_hosts of two endpoints" t_wait 10 reloaded
ok "... a new worker serves" t_wait 10 eval '[ "$(t_fcgi "" /metrics GET "")" = 200 ]'
cp "$T/resp.der" "$T/metrics.txt"
is "$(metric "127.0.0.1:$CLOSED")" "" "cmpd_db_endpoint_up: the closed port not reported yet"
is "$(grep '^cmpd_db_endpoint_up{' "$T/metrics.txt" | grep -vc "127.0.0.1:$T_DB_PORT\"")" 0 \
	"... nor any other but the one in use"
is "$(t_fcgi "" /health GET "")" 200 "GET /health"
is "$(hj '" ".join(e["status"] for e in j["databaseEndpoints"])')" "up down" "... the closed port probed: down"
is "$(t_fcgi "" /metrics GET "")" 200 "GET /metrics"
cp "$T/resp.der" "$T/metrics.txt"
is "$(metric "127.0.0.1:$CLOSED")" 0 "... and now reported 0"
done_testing
