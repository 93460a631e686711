#!/bin/sh
# Nothing the CA issued is lost (DESIGN invariant 1): each window between
# the connector call and the record of its certificate is provoked for
# real -- the worker killed with SIGKILL while cmp-localca is still busy,
# MariaDB stopped while the call is in flight, a CA slower than the
# connector timeout, the certificate row refused after issuance -- and
# `cmpd --sweep` finds what the CA issued by request id, records it and
# revokes it. Also: a connector without the lookup (unknown_at_ca), an
# already revoked certificate (revoked, not revoke_pending), back-off and
# the attempt cap of revocations, what the API and /metrics show, and the
# count "valid at the CA = issued in cmpd's inventory" at the end.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "connector_timeout = 3" "workers = 2"
t_start_localca
mkdir -p "$T/fake"
# A connector without the lookup: issue answers 500 after cmpd gave up,
# anything else (the lookup) 404.
cat > "$T/fake/nolookup.sh" <<'EOF'
#!/bin/sh
cat > /dev/null
case $PATH_INFO in
*/certificates/issue) sleep 5; printf 'Status: 500\r\nContent-Type: text/plain\r\n\r\nlate' ;;
*) printf 'Status: 404\r\nContent-Type: application/json\r\n\r\n{"message":"not found"}' ;;
esac
EOF
chmod 755 "$T/fake/nolookup.sh"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_fake_cgi_lighttpd)"
t_seed_enroll
API_KEY=$(t_api_key reader read)
plan_auto

CMP=/api/v1/protocols/cmp/enroll
SECRET="-ref $ENROLL_REF -secret pass:$ENROLL_SECRET"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

# client CN [args]: an ir through lighttpd; output in $T/client-CN.out
client() {
	local cn=$1
	shift
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path "$CMP" \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 $SECRET \
		-newkey "$T/dev.key" -subject "/CN=$cn" -certout "$T/$cn.crt" "$@" \
		> "$T/client-$cn.out" 2>&1
}
db() { mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" -N -B cmpd -e "$1"; }
ca_state() { t_sql "SELECT status FROM localca_certificate WHERE subject = 'CN=$1'"; }
ca_count() { t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject = 'CN=$1'"; }
cmpd_cert() { t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=$1'"; }
tx_of() {	# tx_of CN: the state of the transaction whose certificate has CN,
	# or of the one with the request id the CA issued it for
	t_sql "SELECT t.state FROM cmp_transaction t JOIN localca_certificate l
	  ON l.request_id = t.request_id WHERE l.subject = 'CN=$1'"
}
# A CA that takes its time after recording the certificate (tests only).
localca_delay() {
	t_stop_bg localca
	t_start_localca "issue_delay_ms = $1"
}
sweep() { "$top_builddir/cmpd" -c "$T/cmpd.conf" "${1:---sweep}" 2>&1 | tee -a "$T/sweep.log"; }
# Transactions left 'issuing' are the sweep's once older than the
# connector timeout and a margin: make them so.
age_issuing() {
	t_sql "UPDATE cmp_transaction SET issuing_at = issuing_at - INTERVAL 1 HOUR
	  WHERE state = 'issuing'"
}
ca_has() { [ "$(ca_count "$1")" = 1 ]; }

# --------------------------------------- the worker killed during the call
localca_delay 2500
client crash-1 &
cpid=$!
ok "cmp-localca issued crash-1 and is still busy" t_wait 15 ca_has crash-1
for w in $(t_cmpd_workers); do kill -KILL "$w"; done
wait "$cpid"
isnt "$?" 0 "the client got no certificate"
is "$(cmpd_cert crash-1)" "" "cmpd recorded nothing"
is "$(tx_of crash-1)" issuing "the transaction was written before the call: issuing"
like "$(t_sql "SELECT HEX(request_spki_sha256), issuing_at IS NOT NULL FROM cmp_transaction WHERE state = 'issuing'")" \
	"^$(openssl pkey -in "$T/dev.key" -pubout -outform DER | openssl dgst -sha256 -r | cut -c1-64 | tr a-f A-F)	1$" \
	"... with the SHA-256 of the request's public key and the time of the call"
is "$(ca_state crash-1)" issued "valid at the CA"
t_stop_cmpd
like "$(sweep)" "0 recorded" "a sweep within the connector timeout leaves it to its worker"
is "$(tx_of crash-1)" issuing "... still issuing"
age_issuing
like "$(sweep)" "1 certificate revoked, 0 failed; reconciled: 1 recorded" \
	"the sweep finds it at the CA, records and revokes it"
is "$(cmpd_cert crash-1)" revoked "crash-1 in cmpd's inventory, revoked"
is "$(ca_state crash-1)" revoked "revoked at the CA"
is "$(tx_of crash-1)" expired "transaction expired, not issuing"
is "$(t_sql "SELECT revocation_reason FROM localca_certificate WHERE subject = 'CN=crash-1'")" \
	cessationOfOperation "... with reason cessationOfOperation"
like "$(sweep)" "0 certificates revoked, 0 failed; reconciled: 0 recorded, 0 nothing issued" \
	"a second sweep has nothing left to do"
t_start_cmpd || bail "cmpd did not start again"

# ------------------------------- MariaDB stopped while the call is in flight
localca_delay 2500
client dbdown-1 &
cpid=$!
ok "cmp-localca issued dbdown-1" t_wait 15 ca_has dbdown-1
t_kill_db
wait "$cpid"
isnt "$?" 0 "the client got no certificate"
t_start_db
is "$(cmpd_cert dbdown-1)" "" "cmpd could record nothing"
is "$(tx_of dbdown-1)" issuing "the transaction stays issuing"
is "$(ca_state dbdown-1)" issued "valid at the CA (not revoked: the write may have committed)"
like "$(cat "$T/cmpd.log")" "storing the certificates failed and may have committed; left to the sweep" \
	"cmpd says so"
t_stop_cmpd
age_issuing
like "$(sweep)" "1 certificate revoked, 0 failed; reconciled: 1 recorded" "the sweep settles it"
like "$(tail -n 1 "$T/sweep.log")" "; left: 0 revoke_pending, " "... with no revocation left"
is "$(cmpd_cert dbdown-1)" revoked "dbdown-1 in the inventory, revoked"
is "$(ca_state dbdown-1)" revoked "revoked at the CA"
is "$(tx_of dbdown-1)" expired "transaction expired"
t_start_cmpd || bail "cmpd did not start again"

# ------------------------------------- the CA slower than connector_timeout
localca_delay 5000
nok "ir to a CA slower than connector_timeout" client slow-1 -unprotected_errors
like "$(cat "$T/client-slow-1.out")" "certificate authority is unavailable" "... systemUnavail"
ok "cmp-localca issued it all the same" t_wait 15 ca_has slow-1
is "$(tx_of slow-1)" issuing "the transaction stays issuing: the CA may have issued"
like "$(cat "$T/cmpd.log")" "requestId=[0-9a-f-]+ stays issuing until the sweep asks the CA" \
	"cmpd says it leaves it to the sweep"
sleep 3	# cmp-localca is done with its delay
t_stop_cmpd
like "$(sweep --sweep-now)" "reconciled: 1 recorded" \
	"cmpd --sweep-now does not wait for the connector timeout to pass: records it"
is "$(cmpd_cert slow-1)" revoked "slow-1 in the inventory, revoked"
is "$(ca_state slow-1)" revoked "revoked at the CA"
is "$(tx_of slow-1)" expired "transaction expired"

# A CA that did not answer one call in time is not called again in the
# same request: the other CertReqMsgs of the ir fail at once, not sent,
# instead of each waiting connector_timeout (3 s here) in turn.
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-00000000e102', 'fixture', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '1234')" || bail "seeding the fixture profile failed"
echo test-secret | "$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret fixture > /dev/null ||
	bail "--set-shared-secret failed"
TID=00112233445566778899aabbccdd0030
"$top_builddir/t/cmptool" edit "$T_FIXTURES/ir-pbm.der" "$T/ir3.der" tid=$TID addreq=1 addreq=2 \
	remac=test-secret || bail "cmptool edit failed"
t_start_cmpd || bail "cmpd did not start again"
t0=$(date +%s%N)
is "$(t_post "$T/ir3.der" /api/v1/protocols/cmp/fixture)" 200 "an ir of three CertReqMsgs to the slow CA: answered"
ms=$((($(date +%s%N) - t0) / 1000000))
ok "after one connector_timeout, not three (${ms} ms)" test "$ms" -lt 5500
is "$("$top_builddir/t/cmptool" dump "$T/resp.der" | sed -n 's/^failInfo=//p' | sort -u)" systemUnavail \
	"each CertReqMsg refused systemUnavail"
like "$(cat "$T/cmpd.log")" "connector call not made: an earlier call of this request got no answer in time" \
	"the later calls were not made"
is "$(t_sql "SELECT GROUP_CONCAT(CONCAT(position, ':', state) ORDER BY position SEPARATOR ' ')
  FROM cmp_transaction WHERE transaction_id = UNHEX('$TID')")" "0:issuing 1:failed 2:failed" \
	"the first stays issuing for the sweep, the two never asked fail"
ok "the CA issued the first" t_wait 15 ca_has test-new
sleep 1
is "$(ca_count test-new)" 1 "... and was asked for nothing more"
t_stop_cmpd
like "$(sweep --sweep-now)" "reconciled: 1 recorded" "the sweep records it"
is "$(cmpd_cert test-new)" revoked "... and revokes it"
localca_delay 0
t_start_cmpd || bail "cmpd did not start again"

# ------------------------------------ the CA issued nothing for a request id
t_stop_cmpd
t_sql "INSERT INTO cmp_transaction (transaction_id, cmp_profile_uuid, ra_profile_uuid,
    request_type, state, request_id, issuing_at) VALUES (UNHEX('00112233445566778899aabbccdd0020'),
    '00000000-0000-4000-8000-00000000e101', '00000000-0000-4000-8000-00000000e001', 0,
    'issuing', '6f7e8d9c-0000-4000-8000-000000000020', NOW(6) - INTERVAL 1 HOUR)"
like "$(sweep)" "reconciled: 0 recorded, 1 nothing issued" "a request the CA has nothing for"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE request_id = '6f7e8d9c-0000-4000-8000-000000000020'")" \
	failed "... fails"

# ---------------------------- the lease of a sweeper killed, waited for
# A sweeper killed while it held the lease keeps it until it runs out,
# up to connector_timeout + 20 s (23 s here): cmpd --sweep waits that
# long, and then still has all of its time.
t_sql "INSERT INTO cmp_transaction (transaction_id, cmp_profile_uuid, ra_profile_uuid,
    request_type, state, request_id, issuing_at) VALUES (UNHEX('00112233445566778899aabbccdd0021'),
    '00000000-0000-4000-8000-00000000e101', '00000000-0000-4000-8000-00000000e001', 0,
    'issuing', '6f7e8d9c-0000-4000-8000-000000000021', NOW(6) - INTERVAL 1 HOUR);
  UPDATE cmpd_lease SET holder = 'gone:1:0', until = NOW(6) + INTERVAL 22 SECOND
    WHERE name = 'sweep'"
t0=$SECONDS
like "$(sweep)" "reconciled: 0 recorded, 1 nothing issued" \
	"a sweep that waited for the lease of a sweeper killed settles what is due"
ok "... after the lease ran out ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -ge 21
is "$(t_sql "SELECT state FROM cmp_transaction WHERE request_id = '6f7e8d9c-0000-4000-8000-000000000021'")" \
	failed "... the transaction fails"
is "$(t_sql "SELECT holder FROM cmpd_lease WHERE name = 'sweep'")" "" "... and the lease is given back"

# ------------------------------------------ a worker's sweep and its limits
# A worker settles at most 20 items per run and says so when it stops at
# that; the next run settles the rest.
t_sql "INSERT INTO cmp_transaction (transaction_id, cmp_profile_uuid, ra_profile_uuid,
    request_type, state, request_id, issuing_at)
  SELECT UNHEX(CONCAT('00112233445566778899aabbccdd01', LPAD(HEX(seq), 2, '0'))),
    '00000000-0000-4000-8000-00000000e101', '00000000-0000-4000-8000-00000000e001', 0,
    'issuing', CONCAT('6f7e8d9c-0000-4000-8000-0000000001', LPAD(seq, 2, '0')),
    NOW(6) - INTERVAL 1 HOUR FROM seq_1_to_21"
batch_failed() {
	[ "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE state = 'failed' AND
	  request_id LIKE '6f7e8d9c-0000-4000-8000-0000000001%'")" = 21 ]
}
t_start_cmpd || bail "cmpd did not start again"
ok "21 transactions due: the workers' sweeps fail them all" t_wait 30 batch_failed
like "$(cat "$T/cmpd.log")" "sweep: stopped at its limits after 20 items and [0-9]+ ms; anything left waits for the next run" \
	"... the first run stops at its 20 and says so"
t_stop_cmpd

# ------------------------ the certificate row refused after issuance (DB up)
mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" cmpd <<'EOF' || bail "cannot create the trigger"
DELIMITER //
CREATE TRIGGER refuse_issued BEFORE INSERT ON certificate FOR EACH ROW
  IF NEW.subject_dn = 'CN=store-fail' AND NEW.status = 'issued' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused by the test';
  END IF//
DELIMITER ;
EOF
t_start_cmpd || bail "cmpd did not start again"
nok "ir whose certificate row is refused" client store-fail -unprotected_errors
is "$(cmpd_cert store-fail)" revoked "recorded as revoke_pending instead, and revoked at once"
is "$(ca_state store-fail)" revoked "revoked at the CA"
is "$(tx_of store-fail)" failed "transaction failed"
db "DROP TRIGGER refuse_issued"

# ---------- the transaction settled by someone else as its certificate is stored
# One worker, which stores a certificate first: the statement that stores
# one is prepared before the trigger below exists. The trigger expires
# the transaction in the very database transaction that stores its
# certificate, as a sweep that won the race would have: the transaction's
# row no longer moves on, so nothing of it is kept, and that is the
# statement's own finding, not a database error. (A trigger created after
# the statement was prepared fails the statement's next run once in
# MariaDB 10.11; cmpd prepares it again and runs it once more.)
t_stop_cmpd
sed -i 's/^workers = .*/workers = 1/' "$T/cmpd.conf"
t_start_cmpd || bail "cmpd did not start again"
ok "an ir before the trigger" client before-settle
mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" cmpd <<'EOF' || bail "cannot create the trigger"
DELIMITER //
CREATE TRIGGER settle_first BEFORE INSERT ON certificate FOR EACH ROW
  IF NEW.subject_dn = 'CN=settled-1' AND NEW.status = 'issued' THEN
    UPDATE cmp_transaction SET state = 'expired' WHERE state = 'issuing';
  END IF//
DELIMITER ;
EOF
: > "$T/cmpd.log"
nok "ir whose transaction is settled as its certificate is stored" client settled-1 -unprotected_errors
is "$(cmpd_cert settled-1)" revoked "recorded as revoke_pending instead, and revoked at once"
is "$(ca_state settled-1)" revoked "revoked at the CA"
is "$(tx_of settled-1)" failed "transaction failed, not expired: the settling rolled back with the rest"
nok "no database error logged for it" grep -E "error: .*(query|prepare): " "$T/cmpd.log"
like "$(cat "$T/cmpd.log")" "statement prepared again: Table '[a-z.]*cmp_transaction' doesn't exist" \
	"the statement prepared before the trigger was prepared again"
ok "the next ir stores its certificate" client after-settle
db "DROP TRIGGER settle_first"
t_stop_cmpd
sed -i 's/^workers = .*/workers = 2/' "$T/cmpd.conf"
t_start_cmpd || bail "cmpd did not start again"

# ------------------------------------------ a connector without the lookup
t_sql "INSERT INTO connector (uuid, name, url) VALUES
  ('00000000-0000-4000-8000-0000000fac01', 'nolookup', '$CONNECTOR_BASE/fake/nolookup.sh');
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-0000000fac02', 'nolookup', '00000000-0000-4000-8000-0000000fac01',
   '00000000-0000-4000-8000-0000000fac03');
UPDATE ra_profile SET authority_uuid = '00000000-0000-4000-8000-0000000fac02' WHERE name = 'ra-enroll'"
nok "ir through a connector without the lookup, which times out" client nolookup-1 -unprotected_errors
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE state = 'issuing'")" 1 "one transaction issuing"
t_stop_cmpd
age_issuing
out=$(sweep)
like "$out" "1 unknown at the CA" "the sweep cannot ask: unknown at the CA"
like "$out" "the connector has no certificate lookup; the CA may have issued a certificate cmpd does not know: state unknown_at_ca, check the CA" \
	"... and says so"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE state = 'unknown_at_ca'")" 1 \
	"transaction unknown_at_ca"
# the same through a worker's sweep, counted in /metrics
t_start_cmpd || bail "cmpd did not start again"
nok "another ir through it" client nolookup-2 -unprotected_errors
age_issuing
metrics_has() {
	curl -sS --noproxy '*' --max-time 10 "$HTTP_BASE/metrics" > "$T/metrics.txt" &&
		grep -q "$1" "$T/metrics.txt"
}
ok "a worker's sweep settles it" t_wait 20 metrics_has '^cmpd_unknown_at_ca_transactions 2$'
metrics=$(cat "$T/metrics.txt")
like "$metrics" 'cmpd_reconcile_total\{result="unknown_at_ca"\} 1' \
	"/metrics: cmpd_reconcile_total{result=unknown_at_ca}"
like "$metrics" 'cmpd_unknown_at_ca_transactions 2' "/metrics: the unknown_at_ca gauge"
like "$metrics" 'cmpd_connector_calls_total\{call="lookup",result="not_found"\} 1' \
	"/metrics: the lookup call"
is "$(t_api GET '/cmpTransactions?state=unknown_at_ca')" 200 "the API lists transactions unknown_at_ca"
is "$(t_json '[x["state"] for x in j]')" '["unknown_at_ca", "unknown_at_ca"]' "... both"
t_sql "UPDATE ra_profile SET authority_uuid = '00000000-0000-4000-8000-00000000e0a1' WHERE name = 'ra-enroll'"

# ---------------------------- already revoked at the CA: revoked, not pending
t_sql "UPDATE cmp_profile SET confirm_wait_time = 1 WHERE name = 'enroll'"
ok "ir never confirmed" client twice-1 -disable_confirm
t_stop_cmpd
b64=$(openssl x509 -in "$T/twice-1.crt" -outform DER | base64 -w0)
printf '{"reason":"keyCompromise","certificate":"%s"}' "$b64" > "$T/rv.json"
is "$(curl -sS --noproxy '*' --max-time 10 -u "$(t_localca_curl_auth)" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary "@$T/rv.json" "$CONNECTOR_BASE/localca/v2/authorityProvider/authorities/00000000-0000-4000-8000-00000000e0a2/certificates/revoke")" \
	200 "revoked at the CA behind cmpd's back"
sleep 2
like "$(sweep)" "1 certificate revoked, 0 failed" "the sweep's revocation answered 409: done"
is "$(cmpd_cert twice-1)" revoked "revoked in the inventory, not revoke_pending"
is "$(t_sql "SELECT revoke_attempts, revoke_error IS NULL FROM certificate WHERE subject_dn = 'CN=twice-1'")" \
	"1	1" "... after one attempt, no error kept"
is "$(t_sql "SELECT revocation_reason FROM localca_certificate WHERE subject = 'CN=twice-1'")" \
	keyCompromise "the CA's first revocation stands"
t_sql "UPDATE cmp_profile SET confirm_wait_time = 300 WHERE name = 'enroll'"

# ------------------------------- back-off and the attempt cap of revocations
t_start_cmpd || bail "cmpd did not start again"
ok "ir never confirmed, then the CA goes away" client backoff-1 -disable_confirm
t_stop_cmpd
t_sql "UPDATE connector SET url = 'http://127.0.0.1:9/' WHERE name = 'localca';
  UPDATE cmp_transaction SET deadline = NOW(6) - INTERVAL 1 SECOND WHERE state = 'confirm_wait'"
like "$(sweep)" "0 certificates revoked, 1 failed" "revocation fails"
delay() { t_sql "SELECT revoke_attempts, TIMESTAMPDIFF(SECOND, NOW(6), revoke_after) FROM certificate WHERE subject_dn = 'CN=backoff-1'"; }
like "$(delay)" "^1	(59|60)$" "first retry after 60 s"
like "$(t_sql "SELECT revoke_error FROM certificate WHERE subject_dn = 'CN=backoff-1'")" \
	"." "the error is kept"
t_start_cmpd || bail "cmpd did not start again"
uuid=$(t_sql "SELECT uuid FROM certificate WHERE subject_dn = 'CN=backoff-1'")
is "$(t_api GET "/certificates/$uuid")" 200 "the API shows the certificate"
is "$(t_json 'j["status"], j["revokeAttempts"]')" "('revoke_pending', 1)" \
	"... revoke_pending after 1 attempt"
like "$(t_json 'j["nextRevokeAttempt"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "... when the next one comes"
isnt "$(t_json 'j["lastRevokeError"]')" None "... and the last error"
t_stop_cmpd
like "$(sweep)" "0 certificates revoked, 0 failed" "a sweep within the back-off does not try"
like "$(tail -n 1 "$T/sweep.log")" "; left: 1 revoke_pending, [0-9]+ issuing, [0-9]+ unknown_at_ca, [0-9]+ waiting\$" \
	"... and says what is left: the certificate, revoke_pending"
like "$(sweep --sweep-now)" "0 certificates revoked, 1 failed" \
	"cmpd --sweep-now does not wait for the back-off"
like "$(delay)" "^2	(119|120)$" "... and tries once: the next retry after 120 s, doubling"
t_sql "UPDATE certificate SET revoke_attempts = 19, revoke_after = NOW(6) - INTERVAL 1 SECOND WHERE subject_dn = 'CN=backoff-1'"
like "$(sweep)" "failed 20 times, last: .*; it stays revoke_pending" "the last attempt fails"
like "$(delay)" "^20	(21599|21600)$" "back-off capped at 6 h"
t_sql "UPDATE certificate SET revoke_after = NOW(6) - INTERVAL 1 SECOND WHERE subject_dn = 'CN=backoff-1'"
like "$(sweep)" "0 certificates revoked, 0 failed" "no attempt after the cap"
is "$(cmpd_cert backoff-1)" revoke_pending "it stays visible as revoke_pending"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE name = 'localca';
  UPDATE certificate SET revoke_attempts = 0, revoke_after = NOW(6) - INTERVAL 1 SECOND WHERE subject_dn = 'CN=backoff-1'"
like "$(sweep)" "1 certificate revoked" "reset by an operator, it is revoked"

# ------------------------------------------------------- the three-way count
t_start_cmpd || bail "cmpd did not start again"
ok "an ir that goes well" client fine-1

# ----- the worker killed after a certConf rejected, before its CA revoked:
# the revocation was owed before the CA was asked, and the sweep makes it
cat > "$T/fake/hang.sh" <<EOF
#!/bin/sh
cat > /dev/null
touch '$T/fake/revoke-asked'
sleep 10
printf 'Status: 500\r\nContent-Type: text/plain\r\n\r\nlate'
EOF
chmod 755 "$T/fake/hang.sh"
ok "an ir whose certificate the client rejects" client reject-1 -disable_confirm -rspout "$T/rej-ip.der"
"$top_builddir/t/cmptool" certconf "$T/rej-ip.der" "$T/rej-cc.der" "$ENROLL_SECRET" reject ||
	bail "cmptool certconf failed"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/fake/hang.sh' WHERE name = 'localca'"
t_post "$T/rej-cc.der" $CMP > /dev/null 2>&1 &
ppid=$!
ok "the CA is asked to revoke the rejected certificate" t_wait 15 test -e "$T/fake/revoke-asked"
is "$(cmpd_cert reject-1)" revoke_pending "... which was owed a revocation before"
for w in $(t_cmpd_workers); do kill -KILL "$w"; done
wait "$ppid"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE name = 'localca'"
is "$(ca_state reject-1)" issued "the worker killed: valid at the CA"
is "$(cmpd_cert reject-1)" revoke_pending "... and owed a revocation in the inventory"
t_sql "UPDATE certificate SET revoke_after = NOW(6) - INTERVAL 1 SECOND WHERE subject_dn = 'CN=reject-1'"
like "$(sweep)" "1 certificate revoked" "the sweep revokes it"
is "$(ca_state reject-1)" revoked "... at the CA"
is "$(cmpd_cert reject-1)" rejected "... rejected in the inventory"
workers_back() { [ "$(t_cmpd_workers | wc -w)" -ge 2 ]; }
ok "the killed workers are replaced" t_wait 20 workers_back
is "$(t_sql "SELECT COUNT(*) FROM localca_certificate WHERE status = 'issued'")" \
	"$(t_sql "SELECT COUNT(*) FROM certificate WHERE status IN ('issued', 'pending')")" \
	"valid at the CA = issued in cmpd's inventory"
is "$(t_sql "SELECT COUNT(*) FROM localca_certificate l LEFT JOIN certificate c ON c.der = l.der WHERE c.uuid IS NULL AND l.status <> 'void'")" 0 \
	"every certificate the CA issued is in cmpd's inventory"
ok "... and the sweep's lookups that found nothing voided their requestIds" \
	[ "$(t_sql "SELECT COUNT(*) FROM localca_certificate WHERE status = 'void'")" -ge 1 ]
# ------------------- many transactions past confirmWaitTime: in batches
# 2 500 transactions overdue (their certificates revoked already, so that
# nothing is owed to a CA): one run expires them in database transactions
# of 1 000 at most.
t_sql "SET SESSION foreign_key_checks = 0;
INSERT INTO certificate (uuid, serial_number, issuer_dn, subject_dn, issuer_hash,
  not_before, not_after, fingerprint, der, status, revocation_reason)
SELECT CONCAT(LPAD(HEX(seq), 8, '0'), '-0000-4000-8000-e', LPAD(HEX(seq), 11, '0')),
  CONCAT('E0', LPAD(HEX(seq), 14, '0')), 'CN=Expiry CA', CONCAT('CN=expiry-', seq),
  UNHEX(SHA2('CN=Expiry CA', 256)), NOW(), NOW() + INTERVAL 1 YEAR,
  UNHEX(SHA2(CONCAT('expiry-', seq), 256)), 'x', 'revoked', 'superseded'
FROM seq_1_to_2500;
INSERT INTO cmp_transaction (transaction_id, position, cmp_profile_uuid, ra_profile_uuid,
  request_type, cert_req_id, certificate_uuid, state, deadline)
SELECT UNHEX(SHA2(CONCAT('expiry-', seq), 256)), 0, '00000000-0000-4000-8000-00000000e101',
  '00000000-0000-4000-8000-00000000e001', 0, 0,
  CONCAT(LPAD(HEX(seq), 8, '0'), '-0000-4000-8000-e', LPAD(HEX(seq), 11, '0')),
  'confirm_wait', NOW(6) - INTERVAL seq SECOND
FROM seq_1_to_2500" || bail "inserting the overdue transactions failed"
: > "$T/sweep.log"
like "$(sweep)" "0 certificates revoked" "one sweep run"
batches() { sed -n 's/.*sweep: \([0-9]*\) transactions\{0,1\} past confirmWaitTime expired.*/\1/p' "$T/sweep.log" | tr '\n' ' '; }
is "$(batches)" "1000 1000 500 " "... in three database transactions: 1000, 1000, 500"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id IN
  (SELECT UNHEX(SHA2(CONCAT('expiry-', seq), 256)) FROM seq_1_to_2500) AND state = 'expired'")" 2500 \
	"all 2500 expired"
is "$(t_sql "SELECT CONCAT(status, '/', revocation_reason, '/', COUNT(*)) FROM certificate
  WHERE issuer_dn = 'CN=Expiry CA' GROUP BY status, revocation_reason")" "revoked/superseded/2500" \
	"their certificates keep their revocation"

# ----- a sweep run with nothing overdue locks nothing: a certConf in
# flight holds its transaction's entry in the deadline index (as its
# UPDATE from confirm_wait does), and the sweep does not wait for it
t_sql "SET SESSION foreign_key_checks = 0;
INSERT INTO certificate (uuid, serial_number, issuer_dn, subject_dn, issuer_hash,
  not_before, not_after, fingerprint, der, status)
VALUES ('00000000-0000-4000-8000-f00000000001', 'F001', 'CN=Expiry CA', 'CN=in-flight',
  UNHEX(SHA2('CN=Expiry CA', 256)), NOW(), NOW() + INTERVAL 1 YEAR,
  UNHEX(SHA2('in-flight', 256)), 'x', 'issued');
INSERT INTO cmp_transaction (transaction_id, position, cmp_profile_uuid, ra_profile_uuid,
  request_type, cert_req_id, certificate_uuid, state, deadline)
VALUES (UNHEX(SHA2('in-flight', 256)), 0, '00000000-0000-4000-8000-00000000e101',
  '00000000-0000-4000-8000-00000000e001', 0, 0, '00000000-0000-4000-8000-f00000000001',
  'confirm_wait', NOW(6) + INTERVAL 1 HOUR)" || bail "inserting the waiting transaction failed"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE state = 'confirm_wait' AND deadline < NOW(6)")" 0 \
	"no transaction is overdue"
t_sql "START TRANSACTION;
  SELECT 1 FROM cmp_transaction FORCE INDEX (cmp_transaction_deadline)
    WHERE state = 'confirm_wait' AND deadline > NOW(6) FOR UPDATE;
  DO SLEEP(8); COMMIT" > /dev/null &
HOLD=$!
sleep 1
t0=$(date +%s%N)
sweep > /dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "a sweep run does not wait for the entries a certConf holds (${ms} ms)" [ "$ms" -lt 5000 ]
wait "$HOLD"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX(SHA2('in-flight', 256))")" \
	confirm_wait "... and leaves the waiting transaction as it is"

# ----- a waiting request whose issue call, cut at syncBudget, may still
# run at the CA: a lookup that finds nothing then does not end it (what
# the CA issues next would be no one's) until the call has surely ended.
# The workers do not sweep meanwhile (sweep_interval = 0): the request
# made due below is the one `cmpd --sweep` reports on, not taken up by a
# worker's own sweep first.
t_write_conf "message_time_skew = 0" "connector_timeout = 3" "workers = 2" "sweep_interval = 0"
t_start_cmpd || bail "cmpd did not start again"
cat > "$T/fake/inflight.sh" <<EOF
#!/bin/sh
body=\$(cat)
case \$PATH_INFO in
*/certificates/issue) sleep 8; printf 'Status: 500\r\nContent-Type: text/plain\r\n\r\nlate' ;;
*/certificates/lookup)
	rid=\$(printf '%s' "\$body" | sed -n 's/.*"requestId" *: *"\([^"]*\)".*/\1/p')
	printf 'Status: 200\r\nContent-Type: application/json\r\n\r\n{"requestId":"%s","found":false}' "\$rid" ;;
*) printf 'Status: 404\r\nContent-Type: application/json\r\n\r\n{"message":"not found"}' ;;
esac
EOF
chmod 755 "$T/fake/inflight.sh"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/fake/inflight.sh' WHERE name = 'localca';
  UPDATE cmp_profile SET sync_budget = 1 WHERE name = 'enroll'"
nok "an ir through a CA slower than syncBudget, the client gives up polling" \
	client inflight-1 -msg_timeout 3 -total_timeout 3
itx() { t_sql "SELECT $1 FROM cmp_transaction WHERE transaction_id = (SELECT transaction_id FROM cmp_transaction
  WHERE state = 'waiting' ORDER BY created_at DESC LIMIT 1)"; }
is "$(itx state)" waiting "... its request waits for the CA"
ITID=$(itx "HEX(transaction_id)")
itx() { t_sql "SELECT $1 FROM cmp_transaction WHERE transaction_id = UNHEX('$ITID')"; }
# as a client that stopped polling, or ended the request, is
t_sql "UPDATE cmp_transaction SET deadline = NOW(6) - INTERVAL 1 SECOND WHERE transaction_id = UNHEX('$ITID')"
like "$(sweep)" "1 to ask again" "the sweep: the CA says nothing issued, its call begun seconds ago"
is "$(itx state)/$(itx lookup_attempts)" waiting/1 "... the request still waiting, asked about once"
like "$(cat "$T/sweep.log")" "nothing issued yet for requestId=[0-9a-f-]*, whose call may still run at the CA" "... logged"
t_sql "UPDATE cmp_transaction SET issuing_at = issuing_at - INTERVAL 1 HOUR, lookup_after = NULL
  WHERE transaction_id = UNHEX('$ITID')"
like "$(sweep)" "1 nothing issued" "once the call has surely ended: nothing issued"
is "$(itx state)" failed "... the request failed"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE name = 'localca';
  UPDATE cmp_profile SET sync_budget = NULL WHERE name = 'enroll'"
t_write_conf "message_time_skew = 0" "connector_timeout = 3" "workers = 2"
t_start_cmpd || bail "cmpd did not start again"

# ---------------------------- the database's time zone: sessions in UTC
# A server (or another Galera node) whose time zone is ahead of the
# session's that wrote a deadline must not find it past: every session
# runs in UTC.
ok "an ir left unconfirmed" client tz-1 -disable_confirm
tztx() { t_sql "SELECT t.state FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
  WHERE c.subject_dn = 'CN=tz-1'"; }
is "$(tztx)" confirm_wait "... waits for its certConf (confirm_wait_time 300 s)"
t_sql "SET GLOBAL time_zone = '+05:00'" || bail "cannot set the server's time zone"
sweep > /dev/null
is "$(tztx)" confirm_wait "a sweep with the server's time zone 5 hours ahead: still waiting"
is "$(cmpd_cert tz-1)" issued "... its certificate issued"
t_sql "SET GLOBAL time_zone = 'SYSTEM'"

is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE state IN ('issuing', 'open')")" 0 \
	"no transaction left issuing or open"
nok "no sanitizer report from cmpd --sweep" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/sweep.log"
done_testing
