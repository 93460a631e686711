#!/bin/sh
# A worker protects its MAC-protected answers with a key it derived for
# the same shared secret and parameters before, under the salt it drew
# for them (mac_memo.c): one worker, so that every answer meets what the
# one before left. `openssl cmp` verifies every answer with libcrypto's
# own PBM; another secret gets a salt and key of its own at once, and a
# new worker draws new ones.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "workers = 1" "profile_cache = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
n=0
# enrol SECRET: ir + certConf with PBM; the ip and the pkiConf in
# $T/ip-N.der and $T/conf-N.der, the client's output in $T/client.out
enrol() {
	n=$((n + 1))
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
		-msg_timeout 20 -total_timeout 40 \
		-ref "$ENROLL_REF" -secret "pass:$1" -newkey "$T/dev.key" \
		-subject "/CN=mac-$n" -certout "$T/mac-$n.crt" \
		-rspout "$T/ip-$n.der,$T/conf-$n.der" > "$T/client.out" 2>&1
}
# salt FILE: the salt of the PBMParameter in FILE's protectionAlg, in hex
salt() {
	openssl asn1parse -inform DER -in "$1" 2>/dev/null |
		sed -n '/:password based MAC$/,$p' |
		sed -n 's/.*OCTET STRING *\[HEX DUMP\]://p' | head -n 1
}
# taken: the answers whose MAC key was taken as derived before
taken() { grep -c "answer's MAC key as derived before" "$T/cmpd.log" || true; }
set_secret() {
	printf '%s\n' "$1" | $CMPD --set-shared-secret enroll > /dev/null 2>&1
}

# -------------------------------------------- one secret, one salt
ok "ir + certConf" enrol "$ENROLL_SECRET"
s1=$(salt "$T/ip-1.der")
is "${#s1}" 32 "the ip's PBM has a salt of 16 octets"
is "$(salt "$T/conf-1.der")" "$s1" "the pkiConf carries the same salt"
is "$(taken)" 1 "the ip's key derived, the pkiConf's taken"
ok "again" enrol "$ENROLL_SECRET"
is "$(salt "$T/ip-2.der")" "$s1" "the next ip: the same salt"
is "$(taken)" 3 "both answers took the key"

# -------------------------------------------- another secret
ok "the profile's secret changed" set_secret other-secret
nok "the old secret is refused" enrol "$ENROLL_SECRET"
like "$(cat "$T/client.out")" "badMessageCheck|wrong|MAC|protection" "the client says why"
t0=$(taken)
ok "the new secret enrols" enrol other-secret
s2=$(salt "$T/ip-$n.der")
is "${#s2}" 32 "its ip has a salt"
isnt "$s2" "$s1" "another salt than the old secret's"
is "$(salt "$T/conf-$n.der")" "$s2" "and its pkiConf the same as its ip"
is "$(taken)" $((t0 + 1)) "its ip derived a key, its pkiConf took it"

# -------------------------------------------- a new worker draws anew
ok "the old secret back" set_secret "$ENROLL_SECRET"
ok "enrols" enrol "$ENROLL_SECRET"
is "$(salt "$T/ip-$n.der")" "$s1" "the same secret within 300 s: its salt as before"
old=$(t_cmpd_workers)
# replaced: the old worker gone, a new one there
replaced() { [ ! -d "/proc/$old" ] && [ -n "$(t_cmpd_workers)" ]; }
kill -HUP "$CMPD_PID"
ok "the worker replaced at a reload" t_wait 20 replaced
ok "enrols with the new worker" enrol "$ENROLL_SECRET"
s3=$(salt "$T/ip-$n.der")
is "${#s3}" 32 "its ip has a salt"
isnt "$s3" "$s1" "a new worker: a new salt"
is "$(salt "$T/conf-$n.der")" "$s3" "kept for its pkiConf"

done_testing
