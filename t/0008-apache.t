#!/bin/sh
# The same CMP surface through Apache 2.4 with mod_proxy_fcgi and
# contrib/apache/cmpd.conf: routes, statuses, headers, keep-alive, and the
# real openssl cmp client.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "listen_mode = 0666" "body_timeout = 2"
t_start_apache || bail "Apache did not start"
plan_auto

F=$T_FIXTURES
IR=$F/genm-pbm.der
CMP=/api/v1/protocols/cmp
dump() { "$top_builddir/t/cmptool" dump "$1" | sed -n "s/^$2=//p"; }

is "$(t_post "$IR" $CMP/demo)" 200 "CMP answer is 200"
is "$(t_header Content-Type)" application/pkixcmp "content type"
is "$(t_header Content-Length)" "$(wc -c < "$T/resp.der")" "Content-Length matches"
nok "not chunked" grep -qi '^Transfer-Encoding' "$T/resp.hdr"
is "$(dump "$T/resp.der" body)" genp "decoded answer"
like "$(grep "rid=" "$T/cmpd.log" | tail -n 1)" "route=cmpProfile/demo method=POST" \
	"cmpd saw the route through mod_proxy_fcgi"
for path in /health /metrics; do
	curl -sS --noproxy '*' -D "$T/resp.hdr" -o "$T/resp.body" "$HTTP_BASE$path"
	is "$(t_header Content-Length)" "$(wc -c < "$T/resp.body")" "$path: Content-Length matches"
	nok "$path: not chunked" grep -qi '^Transfer-Encoding' "$T/resp.hdr"
done
is "$(t_post "$IR" $CMP/raProfile/ra-off)" 200 "RA Profile route"
is "$(dump "$T/resp.der" text)" "PN=ra-off | RA Profile is not enabled" "RA Profile text"
is "$(t_post "$IR" /.well-known/cmp/p/nosuch)" 200 "RFC 9811 route"
is "$(dump "$T/resp.der" text)" "PN=nosuch | Requested CMP Profile not found" "RFC 9811 text"
is "$(t_post "$IR" $CMP/demo?x=1)" 200 "query string ignored"
is "$(t_post "$IR" /api/v1/nothing)" 404 "unknown path 404"
is "$(t_post "$IR" $CMP/demo text/plain)" 415 "wrong content type 415"
head -c 300000 /dev/urandom > "$T/big"
is "$(t_post "$T/big" $CMP/demo)" 413 "body over body_max 413 (from cmpd)"
head -c 2000000 /dev/urandom > "$T/huge"
is "$(t_post "$T/huge" $CMP/demo)" 413 "body over 1 MiB 413 (from Apache)"
printf 'garbage' > "$T/garbage"
is "$(t_post "$T/garbage" $CMP/demo)" 400 "undecodable DER 400"
is "$(dump "$T/resp.der" failInfo)" badDataFormat "with a CMP error body"
st=$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' "$HTTP_BASE$CMP/demo")
is "$st" 405 "GET 405"

curl -sS --noproxy '*' -v -H 'Content-Type: application/pkixcmp' \
	--data-binary "@$IR" -o /dev/null "$HTTP_BASE$CMP/demo" \
	--next -H 'Content-Type: application/pkixcmp' --data-binary "@$IR" \
	-o /dev/null "$HTTP_BASE$CMP/demo" > "$T/ka.log" 2>&1
like "$(cat "$T/ka.log")" "Re-using existing connection" "keep-alive honoured"
is "$(grep -c '< HTTP/1.1 200' "$T/ka.log")" 2 "both answered 200"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/new.key" 2>/dev/null
nok "openssl cmp ir to an unknown profile fails" \
	sh -c "timeout 60 openssl cmp -cmd ir -server 127.0.0.1:$HTTP_PORT \
	-path $CMP/nosuch -ref x -secret pass:x -recipient /CN=cmpd \
	-newkey $T/new.key -subject /CN=t -certout $T/out.crt \
	-unprotected_errors > $T/client.out 2>&1"
like "$(cat "$T/client.out")" 'PN=nosuch \| Requested CMP Profile not found' \
	"openssl cmp prints the text through Apache"
# the management API through Apache: the key in Authorization reaches cmpd
# (CGIPassAuth On in contrib/apache/cmpd.conf), X-API-Key as well
API_KEY=$(t_api_key apache-read read)
is "$(t_api GET /cmpProfiles)" 200 "API key as Authorization: Bearer passes Apache"
like "$(t_json '[p["name"] for p in j]')" '"demo"' "the API answers through Apache"
is "$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' -H "X-API-Key: $API_KEY" \
	"$HTTP_BASE/api/v1/cmpProfiles")" 200 "X-API-Key passes Apache"
is "$(t_api GET /cmpProfiles "" -)" 401 "no key: 401 through Apache"

# A client that trickles its body: Apache passes it on as it comes, so a
# worker would wait on it for as long as the client sends (here a byte
# every 0.25 s for 10 s of a body of 100). body_timeout (2 s) ends it:
# 408, the connection closed, the worker free again; the same for the
# management API, which refuses an unauthenticated body unread. The
# connection is read for a second more before it is closed, so that
# Apache, which writes on, reads the answer and gives the client the 408
# (closed at once, Apache's next write failed and it answered 503).
trickle() {	# trickle PATH: in the background, its status line in $T/trickle.out
	python3 - "$HTTP_PORT" "$1" > "$T/trickle.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pkixcmp\r\n"
           "Content-Length: 100\r\n\r\n0" % sys.argv[2]).encode())
try:
    for i in range(40):
        time.sleep(0.25)
        s.sendall(b"0")
    s.settimeout(5)
    print(s.recv(200).decode(errors="replace").split("\r\n")[0])
except OSError as e:
    print("closed:", e)
EOF
	trickle_pid=$!
}
abandoned() { [ "$(grep -c 'did not arrive within body_timeout' "$T/cmpd.log")" -ge "$1" ]; }
t0=$(date +%s%N)
trickle $CMP/demo
ok "a trickled CMP body ends within body_timeout" t_wait 8 abandoned 1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "... after about 2 s, not the 10 s the client sends for ($ms ms)" test "$ms" -lt 6000
like "$(grep 'outcome=HTTP_TIMEOUT' "$T/cmpd.log" | tail -n 1)" "status=408" "... answered 408"
like "$(cat "$T/cmpd.log")" "the body did not arrive within body_timeout \(2 s\); connection closed" \
	"... logged"
is "$(t_post "$IR" $CMP/demo)" 200 "the next CMP request is answered"
wait "$trickle_pid"
is "$(cat "$T/trickle.out")" "HTTP/1.1 408 Request Timeout" "... the client is answered 408, not 503"
trickle /api/v1/cmpProfiles
ok "a trickled API body refused unread ends within body_timeout too" t_wait 8 abandoned 2
wait "$trickle_pid"
is "$(cat "$T/trickle.out")" "HTTP/1.1 401 Unauthorized" "... the client is answered 401, not 503"
nok "no worker died" grep -q "killed by signal" "$T/cmpd.log"
done_testing
