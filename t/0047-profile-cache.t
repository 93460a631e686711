#!/bin/sh
# The workers' profile cache (profile_cache): an enrolment reads its CMP
# Profile once per worker, not per message; a change through the
# management API applies to the next request on every worker; a change in
# SQL, behind cmpd's back, within profile_cache seconds or at a reload;
# profile_cache = 0 reads every time.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "workers = 1" "profile_cache = 60"
t_start_localca
# a connector that keeps what it was sent, and refuses it
mkdir -p "$T/fake"
printf '#!/bin/sh\ncat > "%s/fake/request.json"\nenv | grep "^HTTP_" > "%s/fake/env"\nprintf "Status: 422\\r\\nContent-Type: application/json\\r\\n\\r\\n[\\"not today\\"]"\n' "$T" "$T" > "$T/fake/c422.sh"
chmod 755 "$T/fake/c422.sh"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_fake_cgi_lighttpd)"
t_seed_enroll
API_KEY=$(t_api_key cache-admin admin)
plan_auto

CMP=/api/v1/protocols/cmp/enroll
PROFILE=00000000-0000-4000-8000-00000000e101
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
n=0
# enrol [REF SECRET]: ir + certConf with PBM through lighttpd; output in
# $T/client.out
enrol() {
	n=$((n + 1))
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path "$CMP" -recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-ref "${1-$ENROLL_REF}" -secret "pass:${2-$ENROLL_SECRET}" \
		-newkey "$T/dev.key" -subject "/CN=cache-$n" \
		-certout "$T/cache-$n.crt" > "$T/client.out" 2>&1
}
# refused: an ir that cmpd refuses because the CMP Profile is disabled
# (unprotected, as the request could not be authenticated: the client
# sees "missing protection"; cmpd's log says why)
refused() {
	! enrol && grep ' rid=' "$T/cmpd.log" | tail -n 1 |
		grep -q "body=ir->ip .*outcome=CMPF_CMP_PROFILE_DISABLED"
}
# the profile's reads since the general log was (re)started
reads() {
	grep -c "Execute.*FROM cmp_profile c LEFT JOIN ra_profile r" \
		"$T/general.log" || true
}
log_on() {
	rm -f "$T/general.log"
	t_sql "SET GLOBAL general_log_file = '$T/general.log'; SET GLOBAL general_log = 1"
}
log_off() { t_sql "SET GLOBAL general_log = 0"; }
reload() {
	local old
	old=$(t_cmpd_workers)
	kill -HUP "$CMPD_PID"
	t_wait 20 sh -c 'for p in $1; do [ -d /proc/$p ] && exit 1; done; exit 0' - "$old"
}

# ----------------------------------------------------- one read per worker
log_on
ok "ir + certConf" enrol
ok "again" enrol
ok "and again" enrol
log_off
is "$(reads)" 1 "three enrolments (six messages) read the profile once"

# ------------------------------------------------ a change in SQL waits
t_sql "UPDATE cmp_profile SET enabled = 0 WHERE uuid = '$PROFILE'"
ok "disabled in SQL: the worker still serves the profile it read" enrol

# ------------------------------------------------ a change through the API
is "$(t_api PATCH "/cmpProfiles/$PROFILE/enable")" 204 "API: enable"
is "$(t_api PATCH "/cmpProfiles/$PROFILE/disable")" 204 "API: disable"
ok "disabled through the API: refused at once" refused
diag_file "$T/client.out" 3
is "$(t_api PATCH "/cmpProfiles/$PROFILE/enable")" 204 "API: enable again"
ok "enabled through the API: served at once" enrol
# a device entry: the cached row said the profile had none
is "$(t_api POST "/cmpProfiles/$PROFILE/devices" \
	'{"reference": "dev-cache-1", "secret": "device-secret-1"}')" 201 \
	"API: a device entry"
ok "its secret works at once" enrol dev-cache-1 device-secret-1
nok "a wrong secret for it is refused" enrol dev-cache-1 wrong

# ------------------------------------------------ a reload reads again
t_sql "UPDATE cmp_profile SET enabled = 0 WHERE uuid = '$PROFILE'"
ok "disabled in SQL, before the reload: served" enrol
ok "SIGHUP: new workers" reload
ok "after the reload: refused" refused

# ------------------------------ the connector's attributes and credentials
# come with the cached row: an ir served from the cache sends what the
# one before it read
ATTR='[{"uuid":"a0000000-0000-4000-8000-000000000001","name":"policy","contentType":"string","content":[{"reference":"r","data":"device"}],"version":"v2"}]'
RAATTR='[{"uuid":"a0000000-0000-4000-8000-000000000002","name":"endEntityProfile","contentType":"string","content":[{"data":"iot"}],"version":"v2"}]'
t_sql "UPDATE cmp_profile SET enabled = 1, issue_attributes = '$ATTR' WHERE uuid = '$PROFILE';
	UPDATE ra_profile SET attributes = '$RAATTR' WHERE name = 'ra-enroll';
	UPDATE connector SET url = '$CONNECTOR_BASE/fake/c422.sh', auth_type = 'apiKey' WHERE name = 'localca'"
printf '%s' '{"header": "X-API-Key", "key": "k3y-cached"}' |
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials localca > /dev/null
ok "SIGHUP: a new worker" reload
log_on
for how in read cached; do
	rm -f "$T/fake/request.json" "$T/fake/env"
	nok "$how: an ir the connector refuses" enrol
	like "$(cat "$T/fake/request.json")" '"attributes": *\[ *\{[^]]*"name": *"policy"' \
		"$how: the CMP Profile's issue attributes sent"
	like "$(cat "$T/fake/request.json")" '"raProfileAttributes": *\[ *\{[^]]*"name": *"endEntityProfile"' \
		"$how: the RA Profile's attributes sent"
	like "$(cat "$T/fake/env")" "HTTP_X_API_KEY=k3y-cached" "$how: the connector's credentials sent"
done
log_off
is "$(reads)" 1 "the profile read once"
t_sql "UPDATE cmp_profile SET issue_attributes = NULL WHERE uuid = '$PROFILE';
	UPDATE ra_profile SET attributes = NULL WHERE name = 'ra-enroll';
	UPDATE connector SET url = '$CONNECTOR_BASE/localca', auth_type = 'basic' WHERE name = 'localca'"
t_localca_cred | "$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials localca > /dev/null

# ------------------------------------------------ every worker
t_stop_cmpd
t_write_conf "workers = 2" "profile_cache = 60"
t_sql "UPDATE cmp_profile SET enabled = 1 WHERE uuid = '$PROFILE'"
t_start_cmpd || bail "cmpd did not start"
bad=0
for i in 1 2 3 4 5 6; do enrol || bad=$((bad + 1)); done
is "$bad" 0 "six enrolments on two workers"
is "$(t_api PATCH "/cmpProfiles/$PROFILE/disable")" 204 "API: disable"
bad=0
for i in 1 2 3 4 5 6; do refused || bad=$((bad + 1)); done
is "$bad" 0 "six ir after the API's disable: every worker refused them"

# ------------------------------------------------ the time limit
t_stop_cmpd
t_write_conf "workers = 1" "profile_cache = 4"
t_sql "UPDATE cmp_profile SET enabled = 1 WHERE uuid = '$PROFILE'"
t_start_cmpd || bail "cmpd did not start"
ok "profile_cache = 4: served" enrol
t_sql "UPDATE cmp_profile SET enabled = 0 WHERE uuid = '$PROFILE'"
ok "disabled in SQL: still served from the cache" enrol
sleep 4.2
ok "4 s later: refused" refused

# ------------------------------------------------ no cache
t_stop_cmpd
t_write_conf "workers = 1" "profile_cache = 0"
t_sql "UPDATE cmp_profile SET enabled = 1 WHERE uuid = '$PROFILE'"
t_start_cmpd || bail "cmpd did not start"
log_on
ok "profile_cache = 0: served" enrol
log_off
is "$(reads)" 2 "ir and certConf read the profile each"
t_sql "UPDATE cmp_profile SET enabled = 0 WHERE uuid = '$PROFILE'"
ok "disabled in SQL: refused at once" refused

ok "no sanitizer report in cmpd's log" sh -c '! grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$1"' - "$T/cmpd.log"
done_testing
