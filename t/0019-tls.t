#!/bin/sh
# cmpd behind HTTPS, with the shipped web server files:
#  - lighttpd + contrib/lighttpd/cmpd-tls.conf: openssl cmp -tls_used
#    enrolment (ir + certConf), a client that does not trust the server's
#    CA fails; the management API with a client certificate as REMOTE_USER
#    (api_remote_user = admin), refused without one, CMP open without one;
#  - Apache + contrib/apache/cmpd-site.conf (mod_ssl) in front of a cmpd
#    on TCP (the CMPD_TCP variant of contrib/apache/cmpd.conf): the same
#    enrolment, the same management API rules;
#  - lighttpd + contrib/lighttpd/cmpd-spawn.conf: lighttpd starts cmpd
#    (bin-path, listen = inherit), an enrolment works, stopping lighttpd
#    stops that cmpd.
. "$top_srcdir/t/lib.sh"
t_setup
[ -e /usr/lib/lighttpd/mod_openssl.so ] ||
	bail "lighttpd has no mod_openssl (Debian: lighttpd-mod-openssl, contrib/deps.sh)"
# Apache's children (www-data) reach the socket by its group: with
# api_remote_user, cmpd refuses a socket every user may connect to
t_stack "message_time_skew = 0" "api_remote_user = admin" \
	"listen_group = $(id -gn www-data)"
t_start_localca
# X-Forwarded-For from 127.0.0.1 stands for a client on another host
T_TLS=1 t_start_lighttpd "$(t_localca_lighttpd)" 'server.modules += ( "mod_extforward" )' \
	'extforward.forwarder = ( "127.0.0.1" => "trust" )'
t_seed_enroll
plan_auto

TLS=$T/tls
CMP=/api/v1/protocols/cmp/enroll
CP=00000000-0000-4000-8000-00000000e101   # CMP Profile "enroll"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

# enrol PORT SUBJECT [openssl cmp args]: ir + certConf to 127.0.0.1:PORT;
# output in $T/client.out, the certificate in $T/<CN>.crt
enrol() {
	local port=$1 cn=$2
	shift 2
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$port" -path "$CMP" \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" -recipient /CN=cmpd \
		-msg_timeout 20 -total_timeout 40 -newkey "$T/dev.key" \
		-subject "/CN=$cn" -certout "$T/$cn.crt" "$@" > "$T/client.out" 2>&1
}
tx_state() { t_sql "SELECT state FROM cmp_transaction ORDER BY created_at DESC LIMIT 1"; }
issued() { t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=$1'"; }

# api BASE METHOD PATH [curl args]: the management API over HTTPS, trusting
# the TLS test CA; prints the HTTP status (000: no HTTP answer)
api() {
	local base=$1 method=$2 path=$3
	shift 3
	rm -f "$T/api.json"
	curl -sS --noproxy '*' --max-time 30 --cacert "$TLS/ca.crt" -X "$method" \
		-o "$T/api.json" -w '%{http_code}' "$@" "$base/api/v1$path" 2>> "$T/curl.err"
}
CERT=(--cert "$TLS/client.crt" --key "$TLS/client.key")
OTHER=(--cert "$TLS/other-client.crt" --key "$TLS/other-client.key")
KEY=$(t_api_key tls-admin admin)

# ---------------------------------------------------------- lighttpd
ok "lighttpd: ir + certConf over TLS (openssl cmp -tls_used), no client certificate" \
	enrol "$TLS_PORT" tls-lighttpd -tls_used -tls_trusted "$TLS/ca.crt"
diag_file "$T/client.out" 5
ok "the certificate verifies to the test root" \
	openssl verify -CAfile "$T/ca/root.crt" -untrusted "$T/ca/ca.crt" "$T/tls-lighttpd.crt"
is "$(tx_state)" confirmed "the certConf came through TLS too"
nok "a client that does not trust the server's CA fails" \
	enrol "$TLS_PORT" tls-untrusted -tls_used -tls_trusted "$TLS/other-ca.crt"
like "$(cat "$T/client.out")" "certificate verify failed|ssl|SSL|TLS" "a TLS verification error"
is "$(issued tls-untrusted)" 0 "and nothing was issued"
nok "plain HTTP to the TLS port fails" enrol "$TLS_PORT" tls-plain
ok "CMP through the plain-HTTP port still works" enrol "$HTTP_PORT" tls-plainport

is "$(api "$TLS_BASE" GET /cmpProfiles "${CERT[@]}")" 200 \
	"lighttpd: management API with a client certificate, no API key: 200"
like "$(cat "$T/api.json" 2>/dev/null)" '"name": *"enroll"' "the CMP Profiles"
is "$(api "$TLS_BASE" PATCH "/cmpProfiles/$CP/enable" "${CERT[@]}")" 204 \
	"api_remote_user = admin: the certificate may change things"
is "$(t_sql "SELECT actor FROM audit WHERE object_uuid = '$CP' ORDER BY at DESC, uuid DESC LIMIT 1")" \
	remoteUser:api-admin "audited as the certificate's CN"
is "$(api "$TLS_BASE" GET /cmpProfiles)" 401 "without a client certificate: refused (401)"
is "$(api "$TLS_BASE" GET /cmpProfiles -H "Authorization: Bearer $KEY")" 401 \
	"an API key alone is not enough on the TLS site"
is "$(api "$TLS_BASE" GET /cmpProfiles -H "Authorization: Bearer $KEY" "${CERT[@]}")" 200 \
	"an API key with a client certificate works"
isnt "$(api "$TLS_BASE" GET /cmpProfiles "${OTHER[@]}")" 200 \
	"a client certificate of another CA: refused"
isnt "$(api "$TLS_BASE" GET /cmpProfiles -H "REMOTE_USER: api-admin" -H "Remote-User: api-admin")" 200 \
	"a REMOTE_USER header is no login"
is "$(api "$TLS_BASE" POST "${CMP#/api/v1}" -H 'Content-Type: application/pkixcmp' \
	--data-binary "@$T_FIXTURES/ir-pbm.der")" 200 \
	"POST to /api/v1/protocols/cmp/... without a client certificate reaches cmpd"
is "$(curl -s -o /dev/null -w '%{http_code}' "$HTTP_BASE/api/v1/cmpProfiles")" 401 \
	"plain-HTTP port: no certificate, no key: cmpd's own 401"
FAR=(-H 'X-Forwarded-For: 192.0.2.10')
is "$(api "$TLS_BASE" GET /cmpProfiles "${FAR[@]}" -H "Authorization: Bearer $KEY" "${CERT[@]}")" 200 \
	"an API key over TLS from another host: 200"
is "$(curl -s -o /dev/null -w '%{http_code}' "${FAR[@]}" -H "Authorization: Bearer $KEY" \
	"$HTTP_BASE/api/v1/cmpProfiles")" 403 "over the plain-HTTP port from another host: 403"
like "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS/ca.crt" "$TLS_BASE/health")" \
	'^(200|404|503)$' "/health from 127.0.0.1 reaches cmpd"

# ------------------------------------------------------------ Apache
# Apache in front of the Unix socket of the cmpd above (api_remote_user =
# admin: the web server's REMOTE_USER is trusted only over a Unix socket);
# X-Forwarded-For from 127.0.0.1 stands for a client on another host
# (mod_remoteip)
LIGHTTPD_TLS_BASE=$TLS_BASE
T_TLS=1 t_start_apache "LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so" \
	"RemoteIPHeader X-Forwarded-For" "RemoteIPInternalProxy 127.0.0.1"
ok "Apache: ir + certConf over TLS (openssl cmp -tls_used)" \
	enrol "$TLS_PORT" tls-apache -tls_used -tls_trusted "$TLS/ca.crt"
diag_file "$T/client.out" 5
is "$(tx_state)" confirmed "confirmed"
like "$(cat "$T/cmpd_ssl_access.log")" "\"POST $CMP HTTP/1.[01]\" 200" \
	"through Apache's TLS site"
nok "a client that does not trust the server's CA fails" \
	enrol "$TLS_PORT" tls-apache-untrusted -tls_used -tls_trusted "$TLS/other-ca.crt"
is "$(api "$TLS_BASE" GET /cmpProfiles "${CERT[@]}")" 200 \
	"Apache: management API with a client certificate, no API key: 200"
is "$(api "$TLS_BASE" GET /cmpProfiles "${FAR[@]}" "${CERT[@]}")" 200 \
	"... from another host too: Apache passes HTTPS=on through mod_proxy_fcgi"
ok "... which Apache took for the client's address" \
	grep -qE '^192\.0\.2\.10 .*"GET /api/v1/cmpProfiles HTTP/1.[01]" 200' "$T/cmpd_ssl_access.log"
is "$(api "$TLS_BASE" PATCH "/cmpProfiles/$CP/disable" "${CERT[@]}")" 204 \
	"the certificate may change things"
is "$(t_sql "SELECT actor FROM audit WHERE object_uuid = '$CP' ORDER BY at DESC, uuid DESC LIMIT 1")" \
	remoteUser:api-admin "audited as the certificate's CN (SSLUserName)"
t_sql "UPDATE cmp_profile SET enabled = 1 WHERE uuid = '$CP'"
is "$(api "$TLS_BASE" GET /cmpProfiles)" 403 "without a client certificate: refused (403)"
isnt "$(api "$TLS_BASE" GET /cmpProfiles "${OTHER[@]}")" 200 \
	"a client certificate of another CA: refused"
is "$(api "$TLS_BASE" POST "${CMP#/api/v1}" -H 'Content-Type: application/pkixcmp' \
	--data-binary "@$T_FIXTURES/ir-pbm.der")" 200 \
	"POST to /api/v1/protocols/cmp/... without a client certificate reaches cmpd"
is "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS/ca.crt" "$TLS_BASE/index.html")" 403 \
	"nothing else is served"
like "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLS/ca.crt" "$TLS_BASE/health")" \
	'^(200|404|503)$' "/health from 127.0.0.1 reaches cmpd"
t_stop_apache

# a second cmpd on TCP, for contrib/apache/cmpd.conf's CMPD_TCP variant:
# api_remote_user stays off there (FastCGI authenticates no caller: any
# local user can connect to the port and name a REMOTE_USER), API keys
# work. (A port found free may be taken by a parallel test before cmpd
# binds it: then another one, as _t_start_web does.)
sed -e 's|^listen = .*|listen = 127.0.0.1:9|' "$T/cmpd.conf" > "$T/cmpd-tcp.conf"
like "$("$top_builddir/cmpd" -n --no-db -c "$T/cmpd-tcp.conf" 2>&1)" \
	"api_remote_user needs a Unix socket to listen on" \
	"cmpd -n: api_remote_user with a TCP listen is refused"
sed -e 's|^listen_group = .*|listen_mode = 0666|' "$T/cmpd.conf" > "$T/cmpd-666.conf"
like "$("$top_builddir/cmpd" -n --no-db -c "$T/cmpd-666.conf" 2>&1)" \
	"api_remote_user needs a socket other users cannot connect to \\(listen_mode 0666\\)" \
	"... as with a Unix socket every user may connect to"
for try in 1 2 3 4 5; do
	TCP_PORT=$(_t_free_port) || bail "no free port"
	sed -e "s|^listen = .*|listen = 127.0.0.1:$TCP_PORT|" -e "s|^pid_file = .*|pid_file = $T/cmpd-tcp.pid|" \
		-e "s|^api_remote_user = .*|api_remote_user = off|" "$T/cmpd.conf" > "$T/cmpd-tcp.conf"
	t_bg cmpd_tcp "$top_builddir/cmpd" -f -c "$T/cmpd-tcp.conf" --allow-root
	t_wait 10 _t_port_open "$TCP_PORT" && break
	grep -q "Address already in use" "$T/cmpd_tcp.log" || break
	t_stop_bg cmpd_tcp
done
_t_port_open "$TCP_PORT" || bail "cmpd on TCP did not start"
T_TLS=1 t_start_apache "Define CMPD_TCP 127.0.0.1:$TCP_PORT"
ok "Apache, cmpd on TCP: ir + certConf over TLS" \
	enrol "$TLS_PORT" tls-apache-tcp -tls_used -tls_trusted "$TLS/ca.crt"
diag_file "$T/client.out" 5
ok "served by the cmpd on TCP" grep -q "route=cmp.*status=200" "$T/cmpd_tcp.log"
is "$(api "$TLS_BASE" GET /cmpProfiles "${CERT[@]}")" 401 \
	"... its management API does not take the client certificate's REMOTE_USER (401)"
is "$(api "$TLS_BASE" GET /cmpProfiles -H "Authorization: Bearer $KEY" "${CERT[@]}")" 200 \
	"... an API key (with the client certificate Apache asks for): 200"
# a reload cannot turn it on either
sed -i 's|^api_remote_user = .*|api_remote_user = admin|' "$T/cmpd-tcp.conf"
kill -HUP "$BG_PID_cmpd_tcp"
ok "SIGHUP with api_remote_user on the TCP cmpd: the reload refused" \
	t_wait 10 grep -q "reload refused, keeping the running configuration: .*api_remote_user needs a Unix socket" \
	"$T/cmpd_tcp.log"
is "$(api "$TLS_BASE" GET /cmpProfiles "${CERT[@]}")" 401 "... REMOTE_USER still not trusted"
t_stop_apache
t_stop_bg cmpd_tcp
nok "no sanitizer report in the TCP cmpd's log" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/cmpd_tcp.log"
# a TCP socket handed over (spawn-fcgi, listen = inherit): refused at start
sed -e 's|^listen = .*|listen = inherit|' -e "s|^pid_file = .*|pid_file = $T/cmpd-sp.pid|" \
	"$T/cmpd.conf" > "$T/cmpd-sp.conf"
SP_PORT=$(_t_free_port) || bail "no free port"
out=$(timeout 20 spawn-fcgi -n -a 127.0.0.1 -p "$SP_PORT" -- \
	"$top_builddir/cmpd" -f -c "$T/cmpd-sp.conf" --allow-root 2>&1)
like "$out" "api_remote_user needs a Unix socket to listen on" \
	"api_remote_user with a TCP socket handed over: refused at start"

# ------------------------------------------- lighttpd starts cmpd (bin-path)
# spawn_conf PORT: lighttpd listening on PORT, starting cmpd itself
spawn_conf() {
	sed -e "s|^listen = .*|listen = inherit|" -e "s|^pid_file = .*|pid_file = $T/cmpd-spawn.pid|" \
		"$T/cmpd.conf" > "$T/cmpd-spawn.conf"
	cat > "$T/lighttpd-spawn.conf" <<EOF
server.port = $1
server.bind = "127.0.0.1"
server.document-root = "$T/www"
server.errorlog = "$T/lighttpd-spawn-error.log"
server.modules = ( "mod_accesslog" )
accesslog.filename = "$T/lighttpd-spawn-access.log"
var.cmpd_command = "$top_builddir/cmpd -c $T/cmpd-spawn.conf -f --allow-root"
var.cmpd_socket = "$T/spawn.sock"
include "$top_srcdir/contrib/lighttpd/cmpd-spawn.conf"
\$HTTP["url"] =~ "^/console/" {
	alias.url := ( "/console/" => "$(t_console_dir)/" )
}
EOF
}
# (a port found free may be taken by a parallel test before lighttpd binds
# it: then another one)
for try in 1 2 3 4 5; do
	SPAWN_PORT=$(_t_free_port) || bail "no free port"
	spawn_conf "$SPAWN_PORT"
	[ "$try" != 1 ] || ok "lighttpd accepts contrib/lighttpd/cmpd-spawn.conf" \
		lighttpd -tt -f "$T/lighttpd-spawn.conf"
	t_bg lighttpd_spawn lighttpd -D -f "$T/lighttpd-spawn.conf"
	t_wait 10 t_listens "$BG_PID_lighttpd_spawn" "$SPAWN_PORT" && break
	t_stop_bg lighttpd_spawn
	t_wait 10 sh -c "! pgrep -f -- '-c $T/cmpd-spawn.conf' > /dev/null"
done
t_listens "$BG_PID_lighttpd_spawn" "$SPAWN_PORT" || bail "lighttpd (bin-path) did not start"
# cmpd processes started with that configuration: pids, one a line
spawned() {
	local f pid
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		tr '\0' ' ' 2>/dev/null < "$f" | grep -q -- "-c $T/cmpd-spawn.conf" && echo "$pid"
	done
	return 0
}
t_wait 10 sh -c "grep -q 'listening on inherit' '$T/lighttpd_spawn.log'"
# the master forks its workers after it logs that line: wait for them (a
# slow, sanitised start may take a moment), then count
spawned_count() { [ "$(spawned | grep -c .)" = 3 ]; }
t_wait 20 spawned_count
pids=$(spawned)
is "$(echo "$pids" | grep -c .)" 3 "lighttpd started one cmpd master and its 2 workers"
like "$(cat "$T/lighttpd_spawn.log")" "listening on inherit" "cmpd took the socket on fd 0"
ok "an enrolment through the spawned cmpd" enrol "$SPAWN_PORT" spawned
diag_file "$T/client.out" 5
is "$(tx_state)" confirmed "confirmed"
like "$(curl -sS --noproxy '*' -D - -o /dev/null "http://127.0.0.1:$SPAWN_PORT/console/" | tr -d '\r')" \
	"200 OK.*Content-Security-Policy: default-src 'self'; script-src 'self'.*frame-ancestors 'none'" \
	"cmpd-spawn.conf serves the web console with its Content-Security-Policy"
t_stop_bg lighttpd_spawn
t_wait 20 sh -c "! ps -o pid= -p '$(echo $pids | tr ' ' ',')' > /dev/null"
is "$(spawned | grep -c .)" 0 "stopping lighttpd stopped cmpd (no cmpd process left)"
nok "no sanitizer report in the spawned cmpd's log" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/lighttpd_spawn.log"
done_testing
