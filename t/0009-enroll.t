#!/bin/sh
# Enrollment end to end: openssl cmp -> lighttpd -> cmpd -> MariaDB and,
# through the connector API, cmp-localca; PBM both ways; certConf and
# implicitConfirm; the confirmation sweep; every refusal the issue names.
. "$top_srcdir/t/lib.sh"
t_setup
# Workers do not sweep here (sweep_interval = 0) but where the test says:
# what `cmpd --sweep` finds is not taken by a worker first.
CONF_ARGS=("message_time_skew = 0" "connector_timeout = 2")
t_stack "${CONF_ARGS[@]}" "sweep_interval = 0"
t_start_localca
mkdir -p "$T/fake"
# fake connectors for the answers cmp-localca does not give: 422, 5xx,
# 3xx, a broken 2xx, slow
printf '#!/bin/sh\ncat > "%s/fake/last-request.json"\nenv | grep "^HTTP_" > "%s/fake/last-env"\nprintf "Status: 422\\r\\nContent-Type: application/json\\r\\n\\r\\n[\\"subject not allowed by policy\\", \\"second reason\\"]"\n' "$T" "$T" > "$T/fake/c422.sh"
printf '#!/bin/sh\nprintf "Status: 500\\r\\nContent-Type: text/plain\\r\\n\\r\\nboom"\n' > "$T/fake/c500.sh"
printf '#!/bin/sh\nsleep 5\nprintf "Status: 500\\r\\n\\r\\n"\n' > "$T/fake/slow.sh"
printf '#!/bin/sh\nprintf "Status: 503\\r\\nContent-Type: application/json\\r\\n\\r\\n{\\"message\\": \\"db at /srv/ca down\\"}"\n' > "$T/fake/c503.sh"
printf '#!/bin/sh\nprintf "Status: 302\\r\\nLocation: http://127.0.0.1:9/\\r\\n\\r\\n"\n' > "$T/fake/c302.sh"
printf '#!/bin/sh\nprintf "Status: 200\\r\\nContent-Type: application/json\\r\\n\\r\\n{\\"certificateData\\": 42"\n' > "$T/fake/c200bad.sh"
chmod 755 "$T"/fake/*.sh
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_fake_cgi_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
CMP=/api/v1/protocols/cmp/enroll
RA=/api/v1/protocols/cmp/raProfile/ra-enroll
TOOL=$top_builddir/t/cmptool
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
SECRET="-ref $ENROLL_REF -secret pass:$ENROLL_SECRET"

# client CMD PATH ARGS...: openssl cmp against our lighttpd; output in
# $T/client.out
client() {
	local cmd=$1 path=$2
	shift 2
	timeout 60 openssl cmp -cmd "$cmd" -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 "$@" > "$T/client.out" 2>&1
}
cert_status() {
	t_sql "SELECT status FROM certificate WHERE serial_number = '$(openssl x509 -in "$1" -noout -serial | cut -d= -f2)'"
}
tx_state() { t_sql "SELECT state FROM cmp_transaction ORDER BY created_at DESC LIMIT 1"; }

# ---------------------------------------------------------------- ir
ok "ir with PBM on the CMP Profile route" client ir $CMP $SECRET \
	-newkey "$T/dev.key" -subject "/CN=device-1" -certout "$T/dev1.crt" \
	-cacertsout "$T/capubs.pem" -sans "device-1.example"
diag_file "$T/client.out" 5
ok "certificate verifies to the test root" \
	openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/dev1.crt"
like "$(openssl x509 -in "$T/dev1.crt" -noout -subject -issuer)" \
	"subject=CN = device-1.*issuer=O = cmpd tests, CN = Test Issuing CA" \
	"subject as requested, issued by the issuing CA"
like "$(openssl x509 -in "$T/dev1.crt" -noout -ext subjectAltName)" \
	"DNS:device-1.example" "SAN copied by the CA's policy"
like "$(cat "$T/capubs.pem")" "BEGIN CERTIFICATE" "caPubs delivered"
# trust anchors only (RFC 9483 4.1.1); t/0025-chain.t tests the rest
is "$(grep -c 'BEGIN CERTIFICATE' "$T/capubs.pem")" 1 "caPubs: the root alone"
is "$(openssl x509 -in "$T/capubs.pem" -noout -fingerprint -sha256)" \
	"$(openssl x509 -in "$CA/root.crt" -noout -fingerprint -sha256)" "caPubs: the test root"
is "$(cert_status "$T/dev1.crt")" issued "certificate row stored"
is "$(tx_state)" confirmed "transaction confirmed after certConf"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 2 | head -n 1)" "body=ir->ip .*outcome=CMPF_OK" "ir logged"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "body=certConf->pkiconf .*outcome=CMPF_OK" \
	"certConf logged"

ok "ir on the RA Profile route" client ir $RA $SECRET \
	-newkey "$T/dev.key" -subject "/CN=device-ra" -certout "$T/devra.crt"
ok "ir on the RFC 9811 route" client ir /.well-known/cmp/p/enroll $SECRET \
	-newkey "$T/dev.key" -subject "/CN=device-wk" -certout "$T/devwk.crt"
ok "cr on the CMP Profile route" client cr $CMP $SECRET \
	-newkey "$T/dev.key" -subject "/CN=device-cr" -certout "$T/devcr.crt"
for c in devra devwk devcr; do
	ok "$c verifies" openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/$c.crt"
done
# Ed448 (RFC 9481 3.3): its proof of possession is taken by cmpd and by
# the CA
openssl genpkey -algorithm ED448 -out "$T/ed448.key" 2>/dev/null || bail "Ed448 key"
ok "ir for an Ed448 key" client ir $CMP $SECRET \
	-newkey "$T/ed448.key" -subject "/CN=device-ed448" -certout "$T/ded448.crt"
diag_file "$T/client.out" 5
is "$(openssl x509 -in "$T/ded448.crt" -noout -pubkey 2>/dev/null)" \
	"$(openssl pkey -in "$T/ed448.key" -pubout)" "... the certificate is for the Ed448 key"
ok "cr with PBM on the RA Profile route" client cr $RA $SECRET \
	-newkey "$T/dev.key" -subject "/CN=device-2" -certout "$T/dev2.crt"
ok "cr certificate verifies" \
	openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/dev2.crt"
is "$(tx_state)" confirmed "cr transaction confirmed"

# ----------------------------------------------------- implicitConfirm
before=$(grep -c ' rid=' "$T/cmpd.log")
ok "ir with implicitConfirm" client ir $CMP $SECRET -implicit_confirm \
	-newkey "$T/dev.key" -subject "/CN=device-3" -certout "$T/dev3.crt" \
	-rspout "$T/ip3.der"
like "$("$TOOL" dump "$T/ip3.der")" "generalInfo=id-it-implicitConfirm" \
	"implicitConfirm granted in the ip's generalInfo"
is "$(($(grep -c ' rid=' "$T/cmpd.log") - before))" 1 "one round trip"
is "$(tx_state)" confirmed "confirmed without certConf"
is "$(t_sql "SELECT implicit_confirm FROM cmp_transaction ORDER BY created_at DESC LIMIT 1")" 1 \
	"implicitConfirm recorded"
t_sql "UPDATE cmp_profile SET implicit_confirm_allowed = 0 WHERE name = 'enroll'"
before=$(grep -c ' rid=' "$T/cmpd.log")
ok "ir asking implicitConfirm on a profile that does not grant it" \
	client ir $CMP $SECRET -implicit_confirm -newkey "$T/dev.key" \
	-subject "/CN=device-4" -certout "$T/dev4.crt"
is "$(($(grep -c ' rid=' "$T/cmpd.log") - before))" 2 "ir and certConf"
t_sql "UPDATE cmp_profile SET implicit_confirm_allowed = 1 WHERE name = 'enroll'"

# ------------------------------------------ never confirmed: the sweep
t_sql "UPDATE cmp_profile SET confirm_wait_time = 1 WHERE name = 'enroll'"
ok "ir whose certificate the client never confirms" client ir $CMP $SECRET \
	-disable_confirm -newkey "$T/dev.key" -subject "/CN=device-5" -certout "$T/dev5.crt" \
	-rspout "$T/ip5.der"
like "$("$TOOL" dump "$T/ip5.der")" "generalInfo=id-it-confirmWaitTime" \
	"confirmWaitTime stated in the ip's generalInfo"
unlike "$("$TOOL" dump "$T/ip5.der")" "generalInfo=id-it-implicitConfirm" "no implicitConfirm"
is "$(tx_state)" confirm_wait "waiting for a certConf"
sleep 2
is "$(tx_state)" confirm_wait "past its deadline, left to cmpd --sweep (sweep_interval = 0)"
like "$("$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep 2>&1)" "1 certificate revoked" \
	"the sweep revokes it"
is "$(cert_status "$T/dev5.crt")" revoked "certificate revoked in the inventory"
is "$(tx_state)" expired "transaction expired"
is "$(t_sql "SELECT status FROM localca_certificate WHERE serial_hex = '$(openssl x509 -in "$T/dev5.crt" -noout -serial | cut -d= -f2)'")" revoked \
	"and at the CA"
t_write_conf "${CONF_ARGS[@]}" "sweep_interval = 1"
t_start_cmpd || bail "cmpd did not restart"
ok "a worker sweeps by itself" client ir $CMP $SECRET -disable_confirm \
	-newkey "$T/dev.key" -subject "/CN=device-6" -certout "$T/dev6.crt"
t_wait 15 sh -c "[ \"\$(mariadb --no-defaults -S '$DB_SOCK' -u '$DB_ROOT_USER' -N -B cmpd -e \"SELECT status FROM certificate WHERE subject_dn = 'CN=device-6'\")\" = revoked ]"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=device-6'")" revoked \
	"revoked within the sweep interval"
t_write_conf "${CONF_ARGS[@]}" "sweep_interval = 0"
t_start_cmpd || bail "cmpd did not restart"
# revoked through the management API while its certConf is awaited: when
# the transaction expires, a revocation for good and its reason stand; a
# hold (reversible) becomes a revocation for good, as never confirmed
ADMIN=$(t_api_key sweep-admin admin)
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
for dev in 7r:keyCompromise 8h:certificateHold; do
	ok "ir whose certificate gets ${dev#*:} before it is confirmed" client ir $CMP \
		$SECRET -disable_confirm -newkey "$T/dev.key" -subject "/CN=device-${dev%:*}" \
		-certout "$T/dev${dev%:*}.crt"
	cu=$(t_sql "SELECT uuid FROM certificate WHERE subject_dn = 'CN=device-${dev%:*}'")
	is "$(t_api POST "/certificates/$cu/revoke" "{\"reason\":\"${dev#*:}\"}" "$ADMIN")" 202 \
		"${dev#*:} through the API"
done
sleep 2
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > /dev/null 2>&1
for dev in 7r:keyCompromise 8h:cessationOfOperation; do
	cu=$(t_sql "SELECT uuid FROM certificate WHERE subject_dn = 'CN=device-${dev%:*}'")
	is "$(t_sql "SELECT state FROM cmp_transaction WHERE certificate_uuid = '$cu'")" expired \
		"device-${dev%:*}: its transaction expired"
	is "$(t_sql "SELECT CONCAT(status, ' ', revocation_reason) FROM certificate WHERE uuid = '$cu'")" \
		"revoked ${dev#*:}" "device-${dev%:*}: revoked, ${dev#*:}, in the inventory"
	is "$(t_sql "SELECT CONCAT(status, ' ', revocation_reason) FROM localca_certificate
	  WHERE serial_hex = '$(serial_of "$T/dev${dev%:*}.crt")'")" \
		"revoked ${dev#*:}" "device-${dev%:*}: and at the CA"
done
t_sql "UPDATE cmp_profile SET confirm_wait_time = 300 WHERE name = 'enroll'"

# ------------------------------------------------ refused requests
# expect DESC FAILINFO TEXT client-args...
expect() {
	local desc=$1 fi=$2 text=$3
	shift 3
	nok "$desc: refused" client "$@"
	like "$(cat "$T/client.out")" "$fi" "$desc: $fi"
	like "$(cat "$T/client.out")" "$(printf '%s' "$text" | sed 's/[][\.*^$|()+?{}]/\\&/g')" \
		"$desc: text"
}
IR="ir $CMP -newkey $T/dev.key -subject /CN=refused -certout $T/refused.crt -unprotected_errors"
expect "wrong secret" badMessageCheck "PN=enroll | message authentication failed" \
	$IR -ref $ENROLL_REF -secret pass:wrong
expect "wrong senderKID" badMessageCheck "PN=enroll | message authentication failed" \
	$IR -ref other -secret pass:$ENROLL_SECRET
expect "unprotected ir" notAuthorized "PN=enroll | unprotected requests are not accepted" \
	$IR -unprotected_requests
expect "signature-protected ir" wrongIntegrity \
	"PN=enroll | message protection does not match the profile's request protection method (sharedSecret)" \
	$IR -cert "$F/ee.pem" -key "$F/ee.key"
expect "raVerified POP" badPOP "PN=enroll | proof of possession failed" \
	$IR $SECRET -popo 0
# -digest signs the POP and is PBM's owf: SHA-1 as owf needs legacyPbm,
# which the POP does not get (RFC 9481 3)
t_sql "UPDATE cmp_profile SET legacy_pbm = 1 WHERE name = 'enroll'"
expect "POP signed with SHA-1" badAlg \
	"PN=enroll | the proof of possession is signed with ecdsa-with-SHA1, which is not accepted (RFC 9481 3: RSA or ECDSA with SHA-2, RSASSA-PSS, Ed25519, Ed448)" \
	$IR $SECRET -digest sha1
t_sql "UPDATE cmp_profile SET legacy_pbm = 0 WHERE name = 'enroll'"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=refused'")" 0 \
	"nothing issued for refused requests"

# a broken POP signature, under a valid MAC (the fixture's secret)
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-00000000e102', 'fixture', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '1234')"
echo test-secret | "$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret fixture > /dev/null
"$TOOL" edit "$F/ir-pbm.der" "$T/badpop.der" badpop=1 remac=test-secret
is "$(t_post "$T/badpop.der" /api/v1/protocols/cmp/fixture)" 200 "bad POP: answered"
is "$(dump "$T/resp.der" failInfo)" badPOP "bad POP signature: badPOP"
is "$(dump "$T/resp.der" protected)" 1 "refusal protected with the profile's secret"

# replay: the same ir twice issues once
is "$(t_post "$F/ir-pbm.der" /api/v1/protocols/cmp/fixture)" 200 "fixture ir"
is "$(dump "$T/resp.der" status)" accepted "issued"
cp "$T/resp.der" "$T/ip.der"
is "$(t_post "$F/ir-pbm.der" /api/v1/protocols/cmp/fixture)" 200 "same ir again"
is "$(dump "$T/resp.der" failInfo)" transactionIdInUse "replay: transactionIdInUse"
is "$(dump "$T/resp.der" text)" "PN=fixture | transactionID already in use" "replay: text"
subj=$(openssl x509 -in "$F/new.pem" -noout -subject 2>/dev/null | sed 's/^subject=//')
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid WHERE t.cmp_profile_uuid = '00000000-0000-4000-8000-00000000e102'")" 1 \
	"one certificate for the replayed transaction"

# certConf: wrong hash, wrong recipNonce, then the right one, then again
"$TOOL" certconf "$T/ip.der" "$T/cc-badhash.der" test-secret badhash
is "$(t_post "$T/cc-badhash.der" /api/v1/protocols/cmp/fixture)" 200 "certConf, wrong hash"
is "$(dump "$T/resp.der" body)" error "wrong hash: error"
is "$(dump "$T/resp.der" failInfo)" badCertId "wrong hash: badCertId"
is "$(dump "$T/resp.der" text)" "PN=fixture | certConf does not match the issued certificate" \
	"wrong hash: text"
"$TOOL" certconf "$T/ip.der" "$T/cc-badnonce.der" test-secret badnonce
t_post "$T/cc-badnonce.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" badRecipientNonce "wrong recipNonce: badRecipientNonce"
is "$(dump "$T/resp.der" text)" "PN=fixture | recipNonce is not the senderNonce cmpd sent" \
	"wrong recipNonce: text"
"$TOOL" certconf "$T/ip.der" "$T/cc.der" test-secret
t_post "$T/cc.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "right certConf: pkiconf"
is "$(dump "$T/resp.der" protected)" 1 "pkiconf protected"
is "$(tx_state)" confirmed "confirmed"
t_post "$T/cc.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" certConfirmed "second certConf: certConfirmed"
is "$(dump "$T/resp.der" text)" "PN=fixture | the certificate was confirmed already" \
	"second certConf: text"
"$TOOL" certconf "$T/ip.der" "$T/cc-other.der" test-secret
"$TOOL" edit "$T/cc-other.der" "$T/cc-unknown.der" tid=00112233445566778899aabbccddeeff remac=test-secret
t_post "$T/cc-unknown.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" text)" "PN=fixture | no transaction with this transactionID" \
	"certConf of an unknown transaction: error"

# The common certConf (one certificate, accepted, no hashAlg) is checked
# and settled by one UPDATE: the row keeps the certHash such a certConf
# carries (the hash of the certificate's signature, SHA-256 here). Every
# refusal above went the long way: the rows read, the certificate hashed.
is "$(t_sql "SELECT LOWER(HEX(t.cert_hash)) = SHA2(c.der, 256) FROM cmp_transaction t
  JOIN certificate c ON c.uuid = t.certificate_uuid WHERE t.cmp_profile_uuid =
  '00000000-0000-4000-8000-00000000e102' AND t.position = 0")" 1 \
	"the row keeps the certificate's certHash"
is "$(t_sql "SELECT tx_rows FROM cmp_transaction WHERE cmp_profile_uuid =
  '00000000-0000-4000-8000-00000000e102' AND position = 0")" 1 \
	"and that its transaction has one row"
# fixture_tx HEX NAME: the fixture ir under transactionID HEX, answered;
# its ip in $T/NAME-ip.der, a certConf accepting it in $T/NAME-cc.der
fixture_tx() {
	"$TOOL" edit "$F/ir-pbm.der" "$T/$2-ir.der" tid=$1 remac=test-secret
	t_post "$T/$2-ir.der" /api/v1/protocols/cmp/fixture > /dev/null
	cp "$T/resp.der" "$T/$2-ip.der"
	"$TOOL" certconf "$T/$2-ip.der" "$T/$2-cc.der" test-secret
}
# statements LIKE: how many the database ran, among those logged since
# log_on, that start so
log_on() { t_sql "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1"; }
statements() {
	t_sql "SELECT COUNT(*) FROM mysql.general_log WHERE command_type = 'Execute'
	  AND CONVERT(argument USING utf8mb4) LIKE '$1%'"
}
# the one-statement confirmation, by its SET (_ for its quotes): the sweep's
# expiry of a transaction starts alike
CONFIRM_ONE="UPDATE cmp_transaction t FORCE INDEX (cmp_transaction_tid_pos) SET t.state = _confirmed_"
tx_of() { t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$1')"; }
fixture_tx 00112233445566778899aabbccdd0101 one
is "$(dump "$T/one-ip.der" status)" accepted "another fixture ir: issued"
log_on
t_post "$T/one-cc.der" /api/v1/protocols/cmp/fixture > /dev/null
t_sql "SET GLOBAL general_log = 0"
is "$(dump "$T/resp.der" body)" pkiconf "certConf in one statement: pkiconf"
is "$(tx_of 00112233445566778899aabbccdd0101)" confirmed "certConf in one statement: confirmed"
is "$(statements "$CONFIRM_ONE")" 1 \
	"certConf in one statement: one UPDATE"
is "$(statements 'SELECT t.state')" 0 "certConf in one statement: the rows not read"
t_post "$T/one-cc.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" certConfirmed "and again: certConfirmed"
# a row without the hash, or without its count of rows (written before
# either was kept): the UPDATE changes nothing, the row is read and
# confirmed; and a row whose hash is not the certificate's: read, and the
# certificate's own hash decides
for old in cert_hash:0102:old tx_rows:0109:norows; do
	set -- $(echo "$old" | tr : ' ')
	tid=00112233445566778899aabbccdd$2
	fixture_tx $tid $3
	t_sql "UPDATE cmp_transaction SET $1 = NULL WHERE transaction_id = UNHEX('$tid')"
	log_on
	t_post "$T/$3-cc.der" /api/v1/protocols/cmp/fixture > /dev/null
	t_sql "SET GLOBAL general_log = 0"
	is "$(dump "$T/resp.der" body)" pkiconf "a row without $1: pkiconf"
	is "$(tx_of $tid)" confirmed "a row without $1: confirmed"
	is "$(statements "$CONFIRM_ONE") $(statements 'SELECT t.state')" "1 1" \
		"a row without $1: the UPDATE changed nothing, the row was read"
done
fixture_tx 00112233445566778899aabbccdd0103 odd
t_sql "UPDATE cmp_transaction SET cert_hash = UNHEX(SHA2('other', 256)) WHERE transaction_id = UNHEX('00112233445566778899aabbccdd0103')"
t_post "$T/odd-cc.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "a row with another hash: pkiconf"
is "$(tx_of 00112233445566778899aabbccdd0103)" confirmed "a row with another hash: confirmed"
# and the checks the UPDATE makes, one at a time: each refused as above
# (another requester's accepting certConf: t/0021-signer.t)
fixture_tx 00112233445566778899aabbccdd0104 chk
"$TOOL" certconf "$T/chk-ip.der" "$T/chk-badhash.der" test-secret badhash
t_post "$T/chk-badhash.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" badCertId "one-row transaction, wrong hash: badCertId"
"$TOOL" certconf "$T/chk-ip.der" "$T/chk-badid.der" test-secret badid
t_post "$T/chk-badid.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" badCertId "one-row transaction, another certReqId: badCertId"
"$TOOL" certconf "$T/chk-ip.der" "$T/chk-badnonce.der" test-secret badnonce
t_post "$T/chk-badnonce.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" badRecipientNonce \
	"one-row transaction, wrong recipNonce: badRecipientNonce"
t_post "$T/chk-cc.der" /api/v1/protocols/cmp/demo > /dev/null
is "$(dump "$T/resp.der" text)" "PN=demo | no transaction with this transactionID" \
	"one-row transaction, on another profile's route (the same secret): unknown there"
is "$(tx_of 00112233445566778899aabbccdd0104)" confirm_wait "and still waiting"
t_sql "UPDATE cmp_transaction SET deadline = NOW(6) - INTERVAL 1 SECOND WHERE transaction_id = UNHEX('00112233445566778899aabbccdd0104')"
t_post "$T/chk-cc.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" badTime "one-row transaction, past its deadline: badTime"
# not settled by the certConf
is "$(tx_of 00112233445566778899aabbccdd0104)" confirm_wait \
	"past its deadline: left to the sweep"
# a certificate revoked through the management API while its certConf is
# awaited stays revoked when the certConf accepts it, by one statement
# and the long way (a row without the hash)
API_KEY=$(t_api_key certconf-admin admin)
for how in one long; do
	tid=00112233445566778899aabbccdd01$([ $how = one ] && echo 05 || echo 06)
	fixture_tx $tid rev-$how
	[ $how = one ] ||
		t_sql "UPDATE cmp_transaction SET cert_hash = NULL WHERE transaction_id = UNHEX('$tid')"
	cu=$(t_sql "SELECT certificate_uuid FROM cmp_transaction WHERE transaction_id = UNHEX('$tid')")
	is "$(t_api POST "/certificates/$cu/revoke" '{"reason":"keyCompromise"}')" 202 \
		"$how: revoked through the API while its certConf is awaited"
	t_post "$T/rev-$how-cc.der" /api/v1/protocols/cmp/fixture > /dev/null
	is "$(dump "$T/resp.der" body)" pkiconf "$how: its certConf is answered"
	is "$(tx_of $tid)" confirmed "$how: the transaction confirmed"
	like "$(t_sql "SELECT status FROM certificate WHERE uuid = '$cu'")" "^(revoke_pending|revoked)$" \
		"$how: the certificate stays revoked"
done
# ... and when the certConf rejects it: the operator's revocation and its
# reason stand, not cessationOfOperation in their place; a hold (which
# could be released) gives way to the rejection, revoked for good, and
# so does its reason in the inventory
for dev in 07:keyCompromise:revoked:keyCompromise \
    08:certificateHold:rejected:cessationOfOperation; do
	set -- $(echo "$dev" | tr : ' ')
	tid=00112233445566778899aabbccdd01$1
	fixture_tx $tid rej-$1
	"$TOOL" certconf "$T/rej-$1-ip.der" "$T/rej-$1-cc.der" test-secret reject
	cu=$(t_sql "SELECT certificate_uuid FROM cmp_transaction WHERE transaction_id = UNHEX('$tid')")
	is "$(t_api POST "/certificates/$cu/revoke" "{\"reason\":\"$2\"}")" 202 \
		"$2 through the API, then a certConf that rejects"
	t_post "$T/rej-$1-cc.der" /api/v1/protocols/cmp/fixture > /dev/null
	is "$(dump "$T/resp.der" body)" pkiconf "$2: the rejection is answered"
	is "$(tx_of $tid)" rejected "$2: the transaction rejected"
	sleep 2
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > /dev/null 2>&1
	is "$(t_sql "SELECT CONCAT(status, ' ', revocation_reason) FROM certificate WHERE uuid = '$cu'")" \
		"$3 $4" "$2: $3, $4, in the inventory"
	sn=$(t_sql "SELECT serial_number FROM certificate WHERE uuid = '$cu'")
	is "$(t_sql "SELECT CONCAT(status, ' ', revocation_reason) FROM localca_certificate
	  WHERE serial_hex = '$sn'")" "revoked $4" "$2: revoked $4 at the CA"
done
is "$(t_sql "SELECT revocation_reason FROM certificate c JOIN cmp_transaction t
  ON t.certificate_uuid = c.uuid WHERE t.transaction_id = UNHEX('00112233445566778899aabbccdd0107')")" \
	keyCompromise "keyCompromise: the inventory keeps its reason"

# an ir with no CertReqMsg; a profile without a usable secret
"$TOOL" edit "$F/ir-pbm.der" "$T/noreq.der" tid=00112233445566778899aabbccdd0001 noreq=1 \
	remac=test-secret
t_post "$T/noreq.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" badRequest "no CertReqMsg: badRequest"
is "$(dump "$T/resp.der" text)" "PN=fixture | the request holds no CertReqMsg" "no CertReqMsg: text"
"$TOOL" edit "$F/ir-pbm.der" "$T/nosubj.der" tid=00112233445566778899aabbccdd0003 nosubject=1 \
	remac=test-secret
t_post "$T/nosubj.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" badCertTemplate "no subject: badCertTemplate"
is "$(dump "$T/resp.der" text)" "PN=fixture | the certificate template has no subject" "no subject: text"
t_sql "UPDATE cmp_profile SET shared_secret_enc = NULL WHERE name = 'fixture'"
t_post "$F/ir-pbm.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" text)" "PN=fixture | CMP Profile has no usable shared secret" \
	"no secret: systemFailure text"
is "$(dump "$T/resp.der" failInfo)" systemFailure "no secret: systemFailure"
echo test-secret | "$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret fixture > /dev/null
# a certConf for a transaction whose issuance failed
set_connector_url() { t_sql "UPDATE connector SET url = '$1' WHERE name = 'localca'"; }
set_connector_url "http://127.0.0.1:9/"
"$TOOL" edit "$F/ir-pbm.der" "$T/ir-fail.der" tid=00112233445566778899aabbccdd0002 \
	remac=test-secret
t_post "$T/ir-fail.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" failInfo)" systemUnavail "CA down: systemUnavail"
set_connector_url "$CONNECTOR_BASE/localca"
"$TOOL" edit "$T/cc.der" "$T/cc-failed.der" tid=00112233445566778899aabbccdd0002 \
	recipNonce=$(dump "$T/resp.der" senderNonce) remac=test-secret
t_post "$T/cc-failed.der" /api/v1/protocols/cmp/fixture > /dev/null
is "$(dump "$T/resp.der" text)" "PN=fixture | the transaction is not waiting for a certConf" \
	"certConf of a failed transaction: text"

# a rejecting certConf revokes
ok "ir for a certificate the client then rejects" client ir $CMP $SECRET \
	-disable_confirm -newkey "$T/dev.key" -subject "/CN=device-7" \
	-certout "$T/dev7.crt" -rspout "$T/ip7.der"
is "$(tx_state)" confirm_wait "waiting"
"$TOOL" certconf "$T/ip7.der" "$T/cc7.der" "$ENROLL_SECRET" reject
t_post "$T/cc7.der" $CMP > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "rejecting certConf: pkiconf"
is "$(tx_state)" rejected "transaction rejected"
is "$(cert_status "$T/dev7.crt")" rejected "certificate marked rejected"
is "$(t_sql "SELECT status FROM localca_certificate WHERE serial_hex = '$(openssl x509 -in "$T/dev7.crt" -noout -serial | cut -d= -f2)'")" revoked \
	"and revoked at the CA"

# a rejecting certConf on another route still revokes through the RA
# Profile that issued the certificate
t_sql "INSERT INTO connector (uuid, name, url) VALUES
  ('00000000-0000-4000-8000-00000000e0c9', 'broken', 'http://127.0.0.1:9/');
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-00000000e0a9', 'broken', '00000000-0000-4000-8000-00000000e0c9',
   '00000000-0000-4000-8000-00000000e0aa');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid, cmp_profile_uuid) VALUES
  ('00000000-0000-4000-8000-00000000e009', 'ra-other', 1, '00000000-0000-4000-8000-00000000e0a9',
   '00000000-0000-4000-8000-00000000e101')"
ok "ir for a certificate rejected through another route" client ir $CMP $SECRET \
	-disable_confirm -newkey "$T/dev.key" -subject "/CN=device-9" \
	-certout "$T/dev9.crt" -rspout "$T/ip9.der"
"$TOOL" certconf "$T/ip9.der" "$T/cc9.der" "$ENROLL_SECRET" reject
t_post "$T/cc9.der" /api/v1/protocols/cmp/raProfile/ra-other > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "rejecting certConf via ra-other: pkiconf"
is "$(t_sql "SELECT status FROM localca_certificate WHERE serial_hex = '$(openssl x509 -in "$T/dev9.crt" -noout -serial | cut -d= -f2)'")" revoked \
	"revoked at the CA that issued it"

# an empty certConf rejects (RFC 9810 5.3.18)
ok "ir for a certificate the client rejects wholesale" client ir $CMP $SECRET \
	-disable_confirm -newkey "$T/dev.key" -subject "/CN=device-10" \
	-certout "$T/dev10.crt" -rspout "$T/ip10.der"
"$TOOL" certconf "$T/ip10.der" "$T/cc10.der" "$ENROLL_SECRET" empty
t_post "$T/cc10.der" $CMP > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "empty certConf: pkiconf"
is "$(cert_status "$T/dev10.crt")" rejected "empty certConf: certificate rejected"

# a certConf after confirmWaitTime is refused: the sweep owns it
t_sql "UPDATE cmp_profile SET confirm_wait_time = 1 WHERE name = 'enroll'"
ok "ir confirmed too late" client ir $CMP $SECRET -disable_confirm \
	-newkey "$T/dev.key" -subject "/CN=device-11" -certout "$T/dev11.crt" -rspout "$T/ip11.der"
sleep 2
"$TOOL" certconf "$T/ip11.der" "$T/cc11.der" "$ENROLL_SECRET"
t_post "$T/cc11.der" $CMP > /dev/null
like "$(dump "$T/resp.der" text)" "certConf came after confirmWaitTime" \
	"late certConf refused: $(dump "$T/resp.der" text)"
t_sql "UPDATE cmp_profile SET confirm_wait_time = 300 WHERE name = 'enroll'"

# a certificate too large to keep is not delivered, and revoked (a
# subjectAltName just under the template check's cap, t/0023-limits.t)
sans=$(seq -f 'host-%04g.example.com' 1 2840 | paste -sd, -)
expect "certificate over 64 KiB" systemFailure \
	"PN=enroll | the issued certificate is larger than cmpd stores" \
	ir $CMP -newkey "$T/dev.key" -subject /CN=huge -certout "$T/huge.crt" \
	-unprotected_errors -sans "$sans" $SECRET
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=huge'")" 0 "not stored"
is "$(t_sql "SELECT status FROM localca_certificate WHERE subject LIKE '%huge%'")" revoked \
	"revoked at the CA"

# a rejecting certConf while the CA is down: revoked later by the sweep
set_connector() { t_sql "UPDATE connector SET url = '$1' WHERE name = 'localca'"; }
ok "ir for a certificate rejected while the CA is down" client ir $CMP $SECRET \
	-disable_confirm -newkey "$T/dev.key" -subject "/CN=device-12" \
	-certout "$T/dev12.crt" -rspout "$T/ip12.der"
set_connector "http://127.0.0.1:9/"
"$TOOL" certconf "$T/ip12.der" "$T/cc12.der" "$ENROLL_SECRET" reject
t_post "$T/cc12.der" $CMP > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "rejecting certConf answered while the CA is down"
is "$(cert_status "$T/dev12.crt")" revoke_pending "revocation pending"
set_connector "$CONNECTOR_BASE/localca"
t_sql "UPDATE certificate SET revoke_after = NOW(6) - INTERVAL 1 SECOND WHERE status = 'revoke_pending'"
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > /dev/null
t_wait 10 sh -c "[ \"\$(mariadb --no-defaults -S '$DB_SOCK' -u '$DB_ROOT_USER' -N -B cmpd -e \"SELECT status FROM certificate WHERE subject_dn = 'CN=device-12'\")\" = rejected ]"
is "$(cert_status "$T/dev12.crt")" rejected "the sweep revoked it once the CA was back"
is "$(t_sql "SELECT status FROM localca_certificate WHERE serial_hex = '$(openssl x509 -in "$T/dev12.crt" -noout -serial | cut -d= -f2)'")" revoked \
	"and it is revoked at the CA"

# --------------------------------------------------- connector trouble
t_sql "UPDATE connector SET auth_type = 'none', auth_data_enc = NULL WHERE name = 'localca'"
set_connector "$CONNECTOR_BASE/fake/c422.sh"
ATTR='[{"uuid":"a0000000-0000-4000-8000-000000000001","name":"policy","contentType":"string","content":[{"reference":"r","data":"device"}],"version":"v2"}]'
RAATTR='[{"uuid":"a0000000-0000-4000-8000-000000000002","name":"endEntityProfile","contentType":"string","content":[{"data":"iot"}],"version":"v2"}]'
t_sql "UPDATE cmp_profile SET issue_attributes = '$ATTR' WHERE name = 'enroll';
	UPDATE ra_profile SET attributes = '$RAATTR' WHERE name = 'ra-enroll'"
expect "connector answers 422" badCertTemplate \
	"PN=enroll | the certificate authority refused the request: subject not allowed by policy; second reason" \
	$IR $SECRET
is "$(API_KEY=$(t_api_key enroll-reader read) t_api GET '/cmpTransactions?state=failed&limit=1')" 200 \
	"the failed transaction through the API"
is "$(t_json 'j[0]["failure"]')" \
	"PN=enroll | the certificate authority refused the request: subject not allowed by policy; second reason" \
	"its failure: the text the client was given"
like "$(cat "$T/fake/last-request.json")" '"format": *"crmf"' "issue call: format crmf"
like "$(cat "$T/fake/last-request.json")" '"attributes": *\[ *\{[^]]*"name": *"policy"' \
	"issue call carries the CMP Profile's issue attributes"
like "$(cat "$T/fake/last-request.json")" '"raProfileAttributes": *\[ *\{[^]]*"name": *"endEntityProfile"' \
	"issue call carries the RA Profile's attributes"
t_sql "UPDATE cmp_profile SET issue_attributes = NULL WHERE name = 'enroll';
	UPDATE ra_profile SET attributes = NULL WHERE name = 'ra-enroll'"
nok "no auth header without credentials" grep -qi "HTTP_AUTHORIZATION\|HTTP_X_API_KEY" "$T/fake/last-env"

# connector credentials: stored encrypted, sent as configured
t_sql "UPDATE connector SET auth_type = 'apiKey' WHERE name = 'localca'"
ok "--set-connector-credentials" sh -c "printf '%s' '{\"header\": \"X-API-Key\", \"key\": \"k3y-s3cret\"}' |
	'$top_builddir/cmpd' -c '$T/cmpd.conf' --set-connector-credentials localca"
is "$(t_sql "SELECT INSTR(auth_data_enc, 'k3y-s3cret') FROM connector WHERE name = 'localca'")" 0 \
	"credentials not stored in clear"
nok "credentials that are not JSON are refused" sh -c "echo nonsense |
	'$top_builddir/cmpd' -c '$T/cmpd.conf' --set-connector-credentials localca"
nok "credentials of an unknown connector are refused" sh -c "echo '{}' |
	'$top_builddir/cmpd' -c '$T/cmpd.conf' --set-connector-credentials nosuch"
nok "a request with an apiKey connector" client ir $CMP $SECRET -newkey "$T/dev.key" \
	-subject /CN=refused -certout "$T/refused.crt" -unprotected_errors
like "$(cat "$T/fake/last-env")" "HTTP_X_API_KEY=k3y-s3cret" "apiKey header sent"
t_sql "UPDATE connector SET auth_type = 'basic' WHERE name = 'localca'"
printf '%s' '{"username": "cmpd", "password": "pa55"}' |
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials localca > /dev/null
nok "a request with a basic-auth connector" client ir $CMP $SECRET -newkey "$T/dev.key" \
	-subject /CN=refused -certout "$T/refused.crt" -unprotected_errors
like "$(cat "$T/fake/last-env")" "HTTP_AUTHORIZATION=Basic Y21wZDpwYTU1" "basic auth sent"
unlike "$(cat "$T/fake/last-env")" "HTTP_X_API_KEY" "and no apiKey header any more"
# credentials go over plain http:// only to a connector marked insecure
rm -f "$T/fake/last-env" "$T/fake/last-request.json"
t_sql "UPDATE connector SET insecure = 0 WHERE name = 'localca'"
INSECURE_TEXT="PN=enroll | the CA was not asked: the connector's credentials would cross plain http://"
expect "basic credentials to an http:// connector not marked insecure" systemFailure \
	"$INSECURE_TEXT" $IR $SECRET
ok "... the connector was not called" test ! -e "$T/fake/last-env"
like "$(grep 'connector call to authority' "$T/cmpd.log" | tail -n 1)" \
	"warn: .*connector call to authority [0-9a-f-]+ not made: credentials would be sent over plain http://" \
	"... and cmpd's log says why"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_CONNECTOR_INSECURE" \
	"... outcome logged"
t_sql "UPDATE connector SET auth_type = 'apiKey' WHERE name = 'localca'"
printf '%s' '{"header": "X-API-Key", "key": "k3y-s3cret"}' |
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials localca > /dev/null
expect "an API key to an http:// connector not marked insecure" systemFailure \
	"$INSECURE_TEXT" $IR $SECRET
ok "... not called either" test ! -e "$T/fake/last-env"
t_sql "UPDATE connector SET auth_type = 'certificate', insecure = 1 WHERE name = 'localca'"
printf '%s' '{"certificate": "PEM", "privateKey": "PEM"}' |
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials localca > /dev/null
expect "certificate authentication over http://, even marked insecure" systemFailure \
	"$INSECURE_TEXT" $IR $SECRET
ok "... not called" test ! -e "$T/fake/last-env"
like "$(grep 'not made' "$T/cmpd.log" | tail -n 1)" \
	"not made: certificate authentication needs an https:// url" "... logged with its reason"
nok "no secret in cmpd's log" grep -q "k3y-s3cret\|pa55" "$T/cmpd.log"
t_sql "UPDATE connector SET auth_type = 'none', auth_data_enc = NULL WHERE name = 'localca'"
set_connector "$CONNECTOR_BASE/fake/c500.sh"
# a 5xx is the CA's failure of the moment: try again later (RFC 9110 15.6)
expect "connector answers 500" systemUnavail \
	"PN=enroll | the certificate authority failed (HTTP 500), try again later" $IR $SECRET
set_connector "$CONNECTOR_BASE/fake/c503.sh"
expect "connector answers 503" systemUnavail \
	"PN=enroll | the certificate authority failed (HTTP 503), try again later" $IR $SECRET
nok "a 5xx body is not sent to the client" grep -q "/srv/ca" "$T/client.out"
like "$(grep 'connector issue' "$T/cmpd.log" | tail -n 1)" "unavailable \(HTTP 503\): HTTP 503: db at /srv/ca down" \
	"but logged"
# what does not pass by trying again stays systemFailure
set_connector "$CONNECTOR_BASE/fake/c302.sh"
expect "connector answers 302" systemFailure "PN=enroll | the certificate authority failed" \
	$IR $SECRET
unlike "$(cat "$T/client.out")" "try again later" "302: not to be tried again"
set_connector "$CONNECTOR_BASE/fake/c200bad.sh"
expect "connector answers a broken 200" systemFailure "PN=enroll | the certificate authority failed" \
	$IR $SECRET
unlike "$(cat "$T/client.out")" "try again later" "broken 200: not to be tried again"
set_connector "$CONNECTOR_BASE/fake/slow.sh"
expect "connector too slow" systemUnavail \
	"PN=enroll | the certificate authority is unavailable, try again later" $IR $SECRET
set_connector "http://127.0.0.1:9/"
expect "connector down" systemUnavail \
	"PN=enroll | the certificate authority is unavailable, try again later" $IR $SECRET
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=refused'")" 0 \
	"nothing half-stored"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE state = 'open'")" 0 \
	"no transaction left open"
nok "no connector address in the answers" grep -q "127.0.0.1:9" "$T/client.out"
set_connector "$CONNECTOR_BASE/localca"
# cmp-localca answers only callers with its credentials
expect "cmp-localca without credentials" badCertTemplate \
	"PN=enroll | the certificate authority refused the request: authentication required" \
	$IR $SECRET
t_sql "UPDATE connector SET auth_type = 'basic', insecure = 1 WHERE name = 'localca'"
t_localca_cred | "$top_builddir/cmpd" -c "$T/cmpd.conf" \
	--set-connector-credentials localca > /dev/null
ok "and it works again" client ir $CMP $SECRET -newkey "$T/dev.key" \
	-subject "/CN=device-8" -certout "$T/dev8.crt"
nok "no worker died" grep -q "killed by signal" "$T/cmpd.log"
done_testing
