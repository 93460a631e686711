#!/bin/sh
# A device entry's lock ends by itself after device_lock_time: locked
# after device_mac_failures_max wrong MACs, the entry refuses even its
# right secret until then (the API shows when it ends; wrong MACs meanwhile
# do not make it longer), enrols after it, and the count of wrong MACs
# stays, so the next wrong MAC locks it again at once (one guess per
# lock); a right MAC clears the count. device_lock_time 0 locks for good,
# as locks taken before the setting existed (locked_until NULL) do.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "device_mac_failures_max = 2" "device_lock_time = 30"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
API_KEY=$(t_api_key admin admin)
plan_auto

DEV=00000000-0000-4000-8000-00000000d101
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection,
    response_protection, default_ra_profile_uuid) VALUES
  ('$DEV', 'dev', 1, 'sharedSecret', 'sharedSecret', '00000000-0000-4000-8000-00000000e001')" ||
	bail "seeding the device profile failed"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"lock-1","secret":"right-secret","uses":5}')" 201 \
	"API: a device entry"
# ir REF SECRET CN: an ir with that reference and secret
ir() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/dev -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 -newkey "$T/dev.key" -ref "$1" -secret "pass:$2" \
		-subject "/CN=$3" -unprotected_errors -certout "$T/out.crt" > "$T/client.out" 2>&1
}
state() { t_api GET "/cmpProfiles/$DEV/devices/lock-1" > /dev/null; t_json "j[\"$1\"]"; }

# a lock ends: as if device_lock_time had passed
lock_ends() { t_sql "UPDATE cmp_device SET locked_until = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND
  WHERE reference = 'lock-1' AND locked_until IS NOT NULL"; }

nok "a wrong MAC" ir lock-1 wrong-secret w1
is "$(state state)/$(state failedMacs)" active/1 "... counted, not locked yet"
is "$(state lockedUntil)" null "... no lock to end"
ok "the right secret" ir lock-1 right-secret r0
is "$(state state)/$(state failedMacs)" active/0 "... enrols and clears the count"
nok "a wrong MAC" ir lock-1 wrong-secret w1b
nok "a second wrong MAC" ir lock-1 wrong-secret w2
is "$(state state)/$(state failedMacs)" locked/2 "... locked at device_mac_failures_max (2)"
until=$(state lockedUntil)
like "$until" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T" "API: lockedUntil says when the lock ends"
is "$(t_sql "SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(6), locked_until) BETWEEN 20 AND 30
  FROM cmp_device WHERE reference = 'lock-1'")" 1 "... device_lock_time (30 s) from now"
before=$(t_sql "SELECT locked_until FROM cmp_device WHERE reference = 'lock-1'")
nok "the right secret while locked" ir lock-1 right-secret r1
like "$(cat "$T/client.out")" "message authentication failed" "... refused as any wrong MAC"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=r1'")" 0 "... nothing issued"
nok "a wrong MAC while locked" ir lock-1 wrong-secret w2b
is "$(t_sql "SELECT locked_until FROM cmp_device WHERE reference = 'lock-1'")/$(state failedMacs)" "$before/2" \
	"... neither counted nor making the lock longer"
lock_ends
is "$(state state)" active "the lock ended by itself"
is "$(state lockedUntil)" null "... lockedUntil null again"
ok "the right secret enrols after it" ir lock-1 right-secret r2
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=r2'")" 1 "... issued"
is "$(state failedMacs)" 0 "... the count cleared"
nok "a wrong MAC" ir lock-1 wrong-secret w3a
nok "a second one" ir lock-1 wrong-secret w3b
lock_ends
nok "after the lock ends, one more wrong MAC" ir lock-1 wrong-secret w3
is "$(state state)/$(state failedMacs)" locked/3 "... locks again at once: one guess per lock"
ok "cmpctl device unlock" "$top_builddir/cmpctl" -c "$T/cmpd.conf" device unlock dev lock-1
is "$(state state)/$(state failedMacs)/$(state lockedUntil)" active/0/null "... unlocked, the count cleared"
is "$(t_sql "SELECT locked_until IS NULL FROM cmp_device WHERE reference = 'lock-1'")" 1 "... locked_until cleared"

# a lock taken before the setting existed, or with device_lock_time 0
t_sql "UPDATE cmp_device SET locked = 1, failed_macs = 2, locked_until = NULL WHERE reference = 'lock-1'"
is "$(state state)/$(state lockedUntil)" locked/null "a lock without an end: locked, no lockedUntil"
nok "... the right secret refused" ir lock-1 right-secret r3
t_stop_cmpd
t_write_conf "message_time_skew = 0" "device_mac_failures_max = 2" "device_lock_time = 0"
t_start_cmpd
t_sql "UPDATE cmp_device SET locked = 0, failed_macs = 0 WHERE reference = 'lock-1'"
nok "device_lock_time 0: a wrong MAC" ir lock-1 wrong-secret w4
nok "... and another" ir lock-1 wrong-secret w5
is "$(state state)/$(state lockedUntil)" locked/null "... locked for good"
is "$(t_sql "SELECT locked_until IS NULL FROM cmp_device WHERE reference = 'lock-1'")" 1 "... no end stored"

done_testing
