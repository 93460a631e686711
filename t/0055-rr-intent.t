#!/bin/sh
# An rr's revocation is written before the CA is asked (DESIGN invariants
# 1 and 2): while the call runs the certificate is 'revoke_pending' and
# signs nothing more; a worker killed during the call leaves it so, and
# the sweep revokes it. A CA that may have revoked (5xx) leaves it owed
# to the sweep, and the client's second rr hears that the revocation is
# under way; a CA that refused (404) or that the request never reached
# gives the certificate back its status, a hold included, unless its
# enrolment was rejected (or expired) during the call. Every rr's
# transactionID is single-use, whatever it was answered: a captured hold,
# release or refused rr sent again is transactionIdInUse. A release the
# CA made and the database could not record is not answered accepted;
# the client's next release records it. A hold the CA answered after the
# certificate came to be owed a revocation for good (its enrolment
# rejected meanwhile) leaves that owed to the sweep.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info" "connector_timeout = 15"
# (it knows one authority: an RA Profile of another gets 404)
t_start_localca "authority_uuid = 00000000-0000-4000-8000-00000000e0a2"
# a CA that revokes at once and answers 6 s later
t_second_localca rrslow "revoke_delay_ms = 6000"
# lighttpd answers 503 for /gone/: its FastCGI server does not run
GONE="fastcgi.server += ( \"/gone/\" => (( \"socket\" => \"$T/gone.sock\", \"check-local\" => \"disable\" )) )"
# a CA that refuses every revocation (404), 4 s after it was asked
mkdir -p "$T/fake"
cat > "$T/fake/refuse.sh" <<EOF
#!/bin/sh
cat > /dev/null
echo "\$PATH_INFO" >> '$T/fake/asked'
case \$PATH_INFO in */revoke) touch '$T/fake/revoke-asked'; sleep 4 ;; esac
printf 'Status: 404\r\nContent-Type: application/json\r\n\r\n{"message":"unknown certificate"}'
EOF
chmod 755 "$T/fake/refuse.sh"
# a web server's page where the connector should be: 200, HTML
cat > "$T/fake/page.sh" <<'EOF'
#!/bin/sh
cat > /dev/null
printf 'Status: 200\r\nContent-Type: text/html\r\n\r\n<html><body>It works!</body></html>'
EOF
chmod 755 "$T/fake/page.sh"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd rrslow)" "$GONE" "$(t_fake_cgi_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
P=/api/v1/protocols/cmp/rrint
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
CONN=00000000-0000-4000-8000-0000000550c1
AUTH=00000000-0000-4000-8000-0000000550a1
# synchronous: syncBudget 15 s is connector_timeout, no delayed delivery
t_sql "
INSERT INTO connector (uuid, name, url, auth_type, auth_data_enc, insecure)
  SELECT '$CONN', 'rrint', '$CONNECTOR_BASE/localca', auth_type, NULL, 1
  FROM connector WHERE name = 'localca';
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('$AUTH', 'rrint', '$CONN', '00000000-0000-4000-8000-00000000e0a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-000000055001', 'ra-rrint', 1, '$AUTH');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, subject_policy, sync_budget) VALUES
  ('00000000-0000-4000-8000-000000055101', 'rrint', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-000000055001', 'any', 15)" || bail "seeding failed"
t_localca_cred | $CMPD --set-connector-credentials rrint > "$T/secret.log" 2>&1 ||
	bail "--set-connector-credentials failed"
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" > "$T/bundle.pem"
$CMPD --set-signing-credentials rrint < "$T/bundle.pem" > "$T/secret.log" 2>&1 ||
	bail "--set-signing-credentials failed"
cat "$F/root.pem" "$CA/root.crt" > "$T/anchors.pem"
$CMPD --set-trust-anchors rrint < "$T/anchors.pem" > "$T/secret.log" 2>&1 ||
	bail "--set-trust-anchors failed"
# the fixtures' device certificate is also an RA of the profile that may revoke
"$top_builddir/cmpctl" -c "$T/cmpd.conf" profile ra-add rrint "$F/ee.pem" revoke > "$T/ctl.out" 2>&1 ||
	{ diag_file "$T/ctl.out"; bail "ra-add failed"; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

cmp() {	# cmp OUT openssl-cmp-args...: through lighttpd to CMP Profile rrint
	local out=$1
	shift
	timeout 60 openssl cmp -server "127.0.0.1:$HTTP_PORT" -path $P \
		-recipient /CN=cmpd -msg_timeout 30 -total_timeout 40 \
		-trusted "$CA/root.crt" -unprotected_errors "$@" > "$out" 2>&1
}
# enroll CN: a signed ir with the fixtures' device certificate -> $T/CN.crt
enroll() {
	cmp "$T/$1.out" -cmd ir -cert "$F/ee.pem" -key "$F/ee.key" \
		-newkey "$T/dev.key" -subject "/CN=$1" -certout "$T/$1.crt"
}
# rr CN [REASON [args]]: an rr for $T/CN.crt signed by it (its CA
# certificate in extraCerts: a CA busy revoking cannot be asked for the
# chain)
rr() {
	local cn=$1 reason=${2:-1}
	shift
	[ $# -eq 0 ] || shift
	cmp "$T/rr-$cn.out" -cmd rr -cert "$T/$cn.crt" -key "$T/dev.key" \
		-untrusted "$CA/ca.crt" -oldcert "$T/$cn.crt" -revreason "$reason" "$@"
}
# rr_ra CN REASON [args]: the same, signed by the RA
rr_ra() {
	local cn=$1 reason=$2
	shift 2
	cmp "$T/rr-$cn.out" -cmd rr -cert "$F/ee.pem" -key "$F/ee.key" \
		-oldcert "$T/$cn.crt" -revreason "$reason" "$@"
}
# replay FILE: POSTs a request captured before; the answer's dump
replay() {
	curl -sS --noproxy '*' --max-time 20 -H 'Content-Type: application/pkixcmp' \
		--data-binary "@$1" -o "$T/replay.der" "$HTTP_BASE$P" &&
	"$top_builddir/t/cmptool" dump "$T/replay.der"
}
cstatus() { t_sql "SELECT CONCAT(status, '/', COALESCE(revocation_reason, '-')) FROM certificate WHERE subject_dn = 'CN=$1'"; }
castatus() { t_sql "SELECT status FROM localca_certificate WHERE subject = 'CN=$1'"; }
ca_is() { test "$(castatus "$1")" = "$2"; }
connector() { t_sql "UPDATE connector SET url = '$1' WHERE uuid = '$CONN'" || bail "switching the connector failed"; }
sweep() { $CMPD --sweep-now > "$T/sweep.log" 2>&1; }

for cn in c1 c2 c3 c4 c5; do
	ok "enrolled $cn" enroll $cn
done
is "$(cstatus c1)" issued/- "c1 issued"

# --- the worker dies while the CA revokes: the certificate was owed first
connector "$CONNECTOR_BASE/rrslow"
rr c1 &
rrpid=$!
ok "the CA has revoked c1 and sleeps before it answers" t_wait 20 ca_is c1 revoked
is "$(cstatus c1)" revoke_pending/keyCompromise \
	"meanwhile the inventory has it owed a revocation, with the client's reason"
nok "an ir signed with c1 during the call is refused" \
	cmp "$T/ir-c1.out" -cmd ir -cert "$T/c1.crt" -key "$T/dev.key" -untrusted "$CA/ca.crt" \
	-newkey "$T/dev.key" -subject /CN=c1-again -certout "$T/c1-again.crt"
like "$(cat "$T/ir-c1.out")" "certRevoked" "... certRevoked"
like "$(cat "$T/ir-c1.out")" "the protection certificate is revoked" "... the signer is revoked"
old=$(t_cmpd_workers)
for w in $old; do kill -KILL "$w" 2> /dev/null; done
wait $rrpid
isnt "$?" 0 "the client of the killed worker got no rp"
# replaced: workers run again, none of those killed
replaced() {
	local now o
	now=" $(t_cmpd_workers | tr '\n' ' ')"
	[ "$now" != " " ] || return 1
	for o in $old; do
		case $now in *" $o "*) return 1 ;; esac
	done
}
ok "the master started new workers" t_wait 10 replaced
is "$(cstatus c1)" revoke_pending/keyCompromise "after the worker's death c1 is still owed its revocation"
connector "$CONNECTOR_BASE/localca"
ok "cmpd --sweep-now" sweep
diag_file "$T/sweep.log" 3
is "$(cstatus c1)" revoked/keyCompromise "the sweep settled it: revoked, with the client's reason"
like "$(cat "$T/sweep.log")" "cmpd: 1 certificate revoked" "the sweep says it revoked one"
like "$(cat "$T/sweep.log")" "revoked \\(it was already\\)" "... which the CA had revoked already"

# --- the CA answers 5xx: it may have revoked, the sweep makes sure
connector "$HTTP_BASE/gone"
nok "rr for c2 through a CA answering 503" rr c2
like "$(cat "$T/rr-c2.out")" "systemUnavail" "systemUnavail"
is "$(cstatus c2)" revoke_pending/keyCompromise "c2 stays owed its revocation"
is "$(castatus c2)" issued "the CA has not revoked it"
like "$(cat "$T/cmpd.log")" "certificate [0-9a-f-]*: the CA may have revoked it; it stays revoke_pending" "logged"
nok "c2 signs its second rr: refused" rr c2
like "$(cat "$T/rr-c2.out")" "the protection certificate is revoked" "... its signer is revoked"
nok "the RA's rr for c2" rr_ra c2 1
like "$(cat "$T/rr-c2.out")" "certRevoked" "certRevoked"
like "$(cat "$T/rr-c2.out")" "the certificate's revocation is under way" "the revocation is under way"
connector "$CONNECTOR_BASE/localca"
ok "cmpd --sweep-now" sweep
is "$(cstatus c2)" revoked/keyCompromise "the sweep revoked c2"
is "$(castatus c2)" revoked "the CA says revoked"

# --- the request never reached the CA: nothing changes
port=$(_t_free_port) || bail "no free port"
connector "http://127.0.0.1:$port/localca"
nok "rr for c3 through a CA nobody listens for" rr c3
like "$(cat "$T/rr-c3.out")" "systemUnavail" "systemUnavail"
is "$(cstatus c3)" issued/- "c3 issued, as before"
connector "$CONNECTOR_BASE/localca"
ok "the rr again, the CA up: accepted" rr c3 1 -reqout "$T/rr-c3.der"
is "$(cstatus c3)" revoked/keyCompromise "c3 revoked"
is "$(castatus c3)" revoked "the CA says revoked"
is "$(t_sql "SELECT CONCAT(state, '/', cert_req_id) FROM cmp_transaction
  WHERE transaction_id = UNHEX('$("$top_builddir/t/cmptool" dump "$T/rr-c3.der" | sed -n 's/^tid=//p')')")" \
	confirmed/-1 "the rr's transaction row: confirmed, certReqId -1"

# --- the CA refuses (404, an authority it does not know): nothing changes
t_sql "UPDATE authority SET authority_instance_uuid = '00000000-0000-4000-8000-0000000550ff' WHERE uuid = '$AUTH'"
nok "rr for c4 refused by the CA (404)" rr c4 1 -reqout "$T/rr-c4.der"
is "$(cstatus c4)" issued/- "c4 issued, as before"
t_sql "UPDATE authority SET authority_instance_uuid = '00000000-0000-4000-8000-00000000e0a2' WHERE uuid = '$AUTH'"
ok "c4 still signs: an ir with it" \
	cmp "$T/ir-c4.out" -cmd ir -cert "$T/c4.crt" -key "$T/dev.key" -untrusted "$CA/ca.crt" \
	-newkey "$T/dev.key" -subject /CN=c4-again -certout "$T/c4-again.crt"
like "$(replay "$T/rr-c4.der")" "failInfo=transactionIdInUse" \
	"the refused rr replayed, the CA willing now: transactionIdInUse"
is "$(cstatus c4)" issued/- "c4 still issued"

# --- a hold and its release: neither can be replayed
ok "c5 on hold (certificateHold), by the RA" rr_ra c5 6 -reqout "$T/hold.der"
is "$(cstatus c5)" revoked/certificateHold "c5 on hold"
nok "a second hold, refused" rr_ra c5 6 -reqout "$T/hold2.der"
like "$(cat "$T/rr-c5.out")" "the certificate is revoked already" "... revoked already"
ok "c5 released (removeFromCRL), by the RA" rr_ra c5 8 -reqout "$T/release.der"
is "$(cstatus c5)" issued/- "c5 valid again"
like "$(replay "$T/hold.der")" "failInfo=transactionIdInUse" "the hold replayed: transactionIdInUse"
like "$(replay "$T/hold2.der")" "failInfo=transactionIdInUse" "the refused hold replayed: transactionIdInUse"
is "$(cstatus c5)" issued/- "c5 still valid"
ok "c5 on hold again, a new rr" rr_ra c5 6
like "$(replay "$T/release.der")" "failInfo=transactionIdInUse" "the release replayed: transactionIdInUse"
is "$(cstatus c5)" revoked/certificateHold "c5 still on hold"
is "$(t_sql "SELECT CONCAT(status, '/', revocation_reason) FROM localca_certificate WHERE subject = 'CN=c5'")" \
	revoked/certificateHold "the CA holds it too"

# --- a hold revoked for good, refused by the CA: still on hold
t_sql "UPDATE authority SET authority_instance_uuid = '00000000-0000-4000-8000-0000000550ff' WHERE uuid = '$AUTH'"
nok "c5 revoked for good, refused by the CA" rr_ra c5 1
is "$(cstatus c5)" revoked/certificateHold "c5 back on hold, its reason kept"
is "$(t_sql "SELECT CONCAT(COALESCE(revoke_after, '-'), '/', revoke_attempts) FROM certificate WHERE subject_dn = 'CN=c5'")" \
	"-/0" "nothing owed for the sweep"
t_sql "UPDATE authority SET authority_instance_uuid = '00000000-0000-4000-8000-00000000e0a2' WHERE uuid = '$AUTH'"
# (as if the hold had begun an hour ago)
t_sql "UPDATE localca_certificate SET revoked_at = revoked_at - INTERVAL 1 HOUR WHERE subject = 'CN=c5'"
held_at=$(t_sql "SELECT revoked_at FROM localca_certificate WHERE subject = 'CN=c5'")
ok "c5 revoked for good, the CA willing" rr_ra c5 1
is "$(cstatus c5)" revoked/keyCompromise "c5 revoked, keyCompromise"
is "$(t_sql "SELECT CONCAT(revocation_reason, ' ', revoked_at) FROM localca_certificate WHERE subject = 'CN=c5'")" \
	"keyCompromise $held_at" "... the CA keeps the date of the hold, since when it has not vouched for c5"

# --- the enrolment rejected while the CA refused its rr: still owed. The
# certConf's rejection found a revocation under way and owed none of its
# own; the refusal must not make the certificate valid again.
ok "c6 enrolled, its certificate not confirmed" \
	cmp "$T/c6.out" -cmd ir -cert "$F/ee.pem" -key "$F/ee.key" -newkey "$T/dev.key" \
	-subject /CN=c6 -certout "$T/c6.crt" -disable_confirm -rspout "$T/c6-ip.der"
c6_tx() { t_sql "SELECT t.state FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
  WHERE c.subject_dn = 'CN=c6' AND t.cert_req_id >= 0"; }
is "$(c6_tx)" confirm_wait "... its transaction waits for the certConf"
"$top_builddir/t/cmptool" certconf "$T/c6-ip.der" "$T/c6-cc.der" "sig:$F/ee.pem:$F/ee.key" reject ||
	bail "cannot make c6's certConf"
connector "$HTTP_BASE/fake/refuse.sh"
rr_ra c6 1 &
rrpid=$!
ok "the CA is asked to revoke c6" t_wait 20 test -e "$T/fake/revoke-asked"
is "$(cstatus c6)" revoke_pending/keyCompromise "c6 owed its revocation during the call"
like "$(replay "$T/c6-cc.der")" "body=pkiconf" "meanwhile its requester rejects it (certConf): pkiConf"
is "$(c6_tx)" rejected "c6's enrolment rejected"
wait $rrpid
isnt "$?" 0 "the CA refused the rr"
is "$(cstatus c6)" revoke_pending/keyCompromise "c6 still owed its revocation, not issued again"
connector "$CONNECTOR_BASE/localca"
ok "cmpd --sweep-now" sweep
is "$(cstatus c6)" revoked/keyCompromise "the sweep revoked c6"
is "$(castatus c6)" revoked "the CA says revoked"

# --- a release the CA made and the database could not record: not
# answered accepted, the certificate held revoked meanwhile; the
# client's next release (the CA's answer the same) records it
ok "enrolled c7" enroll c7
ok "c7 on hold, by the RA" rr_ra c7 6
t_sql "DELIMITER //
CREATE TRIGGER c7_no_release BEFORE UPDATE ON certificate FOR EACH ROW
IF OLD.subject_dn = 'CN=c7' AND OLD.status = 'revoked' AND NEW.status = 'issued' THEN
  SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'the test refuses this write';
END IF //
DELIMITER ;" || bail "cannot make the trigger"
nok "c7's release, the database refusing to record it" rr_ra c7 8
like "$(cat "$T/rr-c7.out")" "systemUnavail" "... systemUnavail, not accepted"
is "$(castatus c7)" issued "... the CA released it"
is "$(cstatus c7)" revoked/certificateHold "... the inventory holds it revoked meanwhile"
like "$(cat "$T/cmpd.log")" "off hold at the CA but not marked so; the client's next release marks it" "... logged"
t_sql "DROP TRIGGER c7_no_release" || bail "cannot drop the trigger"
ok "the release again: accepted" rr_ra c7 8
is "$(cstatus c7)" issued/- "... c7 valid in the inventory too"

# --- a release while the API revokes the certificate for good: the CA
# releases it, the API's revocation follows; the release is not
# answered accepted
ok "enrolled c10" enroll c10
ok "c10 on hold, by the RA" rr_ra c10 6
ADMIN=$(t_api_key rr-admin admin)
connector "$CONNECTOR_BASE/rrslow"
rr_ra c10 8 &
rrpid=$!
ok "the CA has released c10 and sleeps before it answers" t_wait 20 ca_is c10 issued
C10=$(t_sql "SELECT uuid FROM certificate WHERE subject_dn = 'CN=c10'")
is "$(t_api POST "/certificates/$C10/revoke" '{"reason":"keyCompromise"}' "$ADMIN")" 202 \
	"meanwhile the API revokes c10 for good"
wait $rrpid
is "$?" 1 "c10's release: refused"
like "$(cat "$T/rr-c10.out")" "PN=[^ ]* \| removeFromCRL: the certificate is not on hold" \
	"... not on hold (CMPF_RR_NOT_ON_HOLD), not accepted"
like "$(cat "$T/cmpd.log")" "released at the CA, but revoked for good in the inventory meanwhile" "... logged"
connector "$CONNECTOR_BASE/localca"
ok "cmpd --sweep-now" sweep
is "$(cstatus c10)/$(castatus c10)" revoked/keyCompromise/revoked "the API's revocation reached the CA"

# --- a 200 that is no connector's answer (a page where the connector
# should be): not taken for a revocation, which stays owed
ok "enrolled c8" enroll c8
connector "$HTTP_BASE/fake/page.sh"
nok "rr for c8, answered 200 with an HTML page" rr_ra c8 1
is "$(cstatus c8)" revoke_pending/keyCompromise "c8 still owed its revocation"
is "$(castatus c8)" issued "... the CA never revoked it"
like "$(cat "$T/cmpd.log")" "revoke reply \(HTTP 200\) is neither empty nor JSON: not taken for a revocation" "... logged"
connector "$CONNECTOR_BASE/localca"
ok "cmpd --sweep-now" sweep
is "$(cstatus c8)/$(castatus c8)" revoked/keyCompromise/revoked "the sweep revoked c8 at the CA"

# --- a hold the CA made while the certConf rejected the enrolment: the
# rejection's own revocation failed (the CA answering 503 then), so the
# certificate is owed a revocation for good, which the hold's answer
# must not mark done
ok "c9 enrolled, its certificate not confirmed" \
	cmp "$T/c9.out" -cmd ir -cert "$F/ee.pem" -key "$F/ee.key" -newkey "$T/dev.key" \
	-subject /CN=c9 -certout "$T/c9.crt" -disable_confirm -rspout "$T/c9-ip.der"
"$top_builddir/t/cmptool" certconf "$T/c9-ip.der" "$T/c9-cc.der" "sig:$F/ee.pem:$F/ee.key" reject ||
	bail "cannot make c9's certConf"
connector "$CONNECTOR_BASE/rrslow"
rr_ra c9 6 &
rrpid=$!
ok "the CA has put c9 on hold and sleeps before it answers" t_wait 20 ca_is c9 revoked
connector "$HTTP_BASE/gone"
like "$(replay "$T/c9-cc.der")" "body=pkiconf" "meanwhile its requester rejects it (certConf): pkiConf"
is "$(cstatus c9)" revoke_pending/cessationOfOperation \
	"... its revocation for good (503 from the CA) owed to the sweep"
wait $rrpid
is "$?" 0 "the hold answered: accepted"
is "$(cstatus c9)" revoke_pending/cessationOfOperation \
	"c9 still owed its revocation for good, not marked done by the hold's answer"
is "$(t_sql "SELECT revocation_reason FROM localca_certificate WHERE subject = 'CN=c9'")" certificateHold \
	"... the CA only holds it"
connector "$CONNECTOR_BASE/localca"
ok "cmpd --sweep-now" sweep
is "$(cstatus c9)" rejected/cessationOfOperation "the sweep revoked c9 for good"
is "$(t_sql "SELECT CONCAT(status, '/', revocation_reason) FROM localca_certificate WHERE subject = 'CN=c9'")" \
	revoked/cessationOfOperation "... at the CA too"

ok "cmpd --sweep-now" sweep
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE status = 'revoke_pending'")" 0 "nothing owed in the end"
done_testing
