#!/bin/sh
# Several CertReqMsgs in one ir (RFC 9810 5.3.1): each checked and issued
# on its own, one CertResponse per certReqId, a certConf that confirms or
# rejects each, the CMP Profile's certReqMax; and the client's error
# message (RFC 9483 3.6.4), which ends its transaction.
. "$top_srcdir/t/lib.sh"
t_setup
# workers do not sweep (sweep_interval = 0): what `cmpd --sweep-now`
# finds below is not taken by a worker's own sweep first
t_stack "message_time_skew = 0" "sweep_interval = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CMP=/api/v1/protocols/cmp/enroll
FIX=/api/v1/protocols/cmp/fixture
FIXP=00000000-0000-4000-8000-00000000e102
TOOL=$top_builddir/t/cmptool
API_KEY=$(t_api_key multi-admin admin)
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
rows() {
	t_sql "SELECT GROUP_CONCAT(CONCAT(position, ':', cert_req_id, ':', state) ORDER BY position SEPARATOR ' ')
	  FROM cmp_transaction WHERE transaction_id = UNHEX('$1')"
}
cert_of() {
	t_sql "SELECT c.status FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
	  WHERE t.transaction_id = UNHEX('$1') AND t.position = $2"
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

# the captured ir of t/fixtures, MAC'd with the fixture profile's secret
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('$FIXP', 'fixture', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '1234')"
echo test-secret | "$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret fixture > /dev/null

# ------------------------------------------- three CertReqMsgs, one bad
TID1=00112233445566778899aabbccdd1001
"$TOOL" edit "$F/ir-pbm.der" "$T/ir3.der" tid=$TID1 addreq=1 addreq=2 badpop=1 \
	remac=test-secret
is "$(t_post "$T/ir3.der" $FIX)" 200 "ir with three CertReqMsgs: answered"
is "$(dump "$T/resp.der" body)" ip "an ip"
is "$(dump "$T/resp.der" responses)" 3 "three CertResponses"
is "$(t_responses "$T/resp.der")" "0:rejection:badPOP 1:accepted 2:accepted" \
	"the bad POP rejected, the other two accepted, by certReqId"
like "$(dump "$T/resp.der" text)" "PN=fixture \\| proof of possession failed" \
	"the rejection has its own text"
is "$(dump "$T/resp.der" protected)" 1 "protected"
is "$(rows $TID1)" "0:1:confirm_wait 1:2:confirm_wait" \
	"one transaction row per certificate asked for, each waiting"
is "$(t_sql "SELECT COUNT(DISTINCT request_id) FROM cmp_transaction WHERE transaction_id = UNHEX('$TID1')")" 2 \
	"each with its own requestId"
cp "$T/resp.der" "$T/ip3.der"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "body=ir->ip .*outcome=CMPF_OK" "ir logged"

"$TOOL" certconf "$T/ip3.der" "$T/cc3.der" test-secret
is "$(dump "$T/cc3.der" body)" certConf "certConf made"
is "$(t_post "$T/cc3.der" $FIX)" 200 "certConf for both: answered"
is "$(dump "$T/resp.der" body)" pkiconf "certConf for both: pkiConf"
is "$(rows $TID1)" "0:1:confirmed 1:2:confirmed" "both rows confirmed"
is "$(cert_of $TID1 0) $(cert_of $TID1 1)" "issued issued" "both certificates issued"
t_post "$T/cc3.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" certConfirmed "the same certConf again: certConfirmed"

# a replay of the message, or its transactionID in another: refused whole
t_post "$T/ir3.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" transactionIdInUse "replay: transactionIdInUse"
"$TOOL" edit "$F/ir-pbm.der" "$T/ir-reuse.der" tid=$TID1 remac=test-secret
t_post "$T/ir-reuse.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" transactionIdInUse "its transactionID in another ir: transactionIdInUse"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id = UNHEX('$TID1')")" 2 \
	"no row added"

# ---------------------------------------- a certConf that rejects one
TID2=00112233445566778899aabbccdd1002
"$TOOL" edit "$F/ir-pbm.der" "$T/ir2.der" tid=$TID2 addreq=7 remac=test-secret
t_post "$T/ir2.der" $FIX > /dev/null
is "$(t_responses "$T/resp.der")" "0:accepted 7:accepted" "two accepted"
cp "$T/resp.der" "$T/ip2.der"
"$TOOL" certconf "$T/ip2.der" "$T/cc2-badhash.der" test-secret badhash
t_post "$T/cc2-badhash.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" badCertId "a wrong hash refuses the certConf"
is "$(rows $TID2)" "0:0:confirm_wait 1:7:confirm_wait" "nothing settled"
"$TOOL" certconf "$T/ip2.der" "$T/cc2.der" test-secret rejectlast
t_post "$T/cc2.der" $FIX > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "certConf rejecting the second: pkiConf"
is "$(rows $TID2)" "0:0:confirmed 1:7:rejected" "first confirmed, second rejected"
is "$(cert_of $TID2 0) $(cert_of $TID2 1)" "issued rejected" "the rejected one revoked"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE revoke_error IS NOT NULL")" 0 \
	"the CA revoked it (no revocation left to retry)"

# a certConf that leaves one out rejects it (RFC 9810 5.3.18)
TID3=00112233445566778899aabbccdd1003
"$TOOL" edit "$F/ir-pbm.der" "$T/ir4.der" tid=$TID3 addreq=1 remac=test-secret
t_post "$T/ir4.der" $FIX > /dev/null
cp "$T/resp.der" "$T/ip4.der"
# the certConf of a single-certificate answer, on this transaction
"$TOOL" edit "$F/ir-pbm.der" "$T/ir5.der" tid=00112233445566778899aabbccdd1004 remac=test-secret
t_post "$T/ir5.der" $FIX > /dev/null
cp "$T/resp.der" "$T/ip5.der"
"$TOOL" certconf "$T/ip5.der" "$T/cc5.der" test-secret
"$TOOL" edit "$T/cc5.der" "$T/cc4.der" tid=$TID3 recipNonce=$(dump "$T/ip4.der" senderNonce) \
	remac=test-secret
t_post "$T/cc4.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" badCertId "a CertStatus for a certificate of another transaction: badCertId"
"$TOOL" certconf "$T/ip4.der" "$T/cc4-empty.der" test-secret empty
t_post "$T/cc4-empty.der" $FIX > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "certConf without CertStatus: pkiConf"
is "$(rows $TID3)" "0:0:rejected 1:1:rejected" "both rejected"
# one that accepts the first certificate only: the second is rejected
# (the certConf of a transaction of one certificate, which this one
# resembles, is settled by one UPDATE of its row: not here)
TID4=00112233445566778899aabbccdd100b
"$TOOL" edit "$F/ir-pbm.der" "$T/ir11.der" tid=$TID4 addreq=1 remac=test-secret
t_post "$T/ir11.der" $FIX > /dev/null
cp "$T/resp.der" "$T/ip11.der"
is "$(t_sql "SELECT GROUP_CONCAT(tx_rows) FROM cmp_transaction WHERE transaction_id = UNHEX('$TID4')")" "2,2" \
	"each row knows its transaction has two"
"$TOOL" certconf "$T/ip11.der" "$T/cc11.der" test-secret firstonly
t_post "$T/cc11.der" $FIX > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "certConf for the first only: pkiConf"
is "$(rows $TID4)" "0:0:confirmed 1:1:rejected" "the first confirmed, the second rejected"
is "$(cert_of $TID4 0) $(cert_of $TID4 1)" "issued rejected" "the second revoked"

# one of the certificates past its deadline (delivered by an earlier
# answer, say): the certConf comes too late for it, and for the whole
# of it (the sweep owns that certificate), whichever row it looks at
TID5=00112233445566778899aabbccdd100c
"$TOOL" edit "$F/ir-pbm.der" "$T/ir12.der" tid=$TID5 addreq=1 remac=test-secret
t_post "$T/ir12.der" $FIX > /dev/null
cp "$T/resp.der" "$T/ip12.der"
t_sql "UPDATE cmp_transaction SET deadline = NOW(6) - INTERVAL 1 SECOND
  WHERE transaction_id = UNHEX('$TID5') AND position = 0"
"$TOOL" certconf "$T/ip12.der" "$T/cc12.der" test-secret
t_post "$T/cc12.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" badTime "a certConf for two, the first past its deadline: badTime"
is "$(rows $TID5)" "0:0:confirm_wait 1:1:confirm_wait" "... neither confirmed"
# once the sweep expired it, a CertStatus naming it is still too late
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > /dev/null 2>&1
is "$(rows $TID5 | cut -d ' ' -f 1)" "0:0:expired" "the sweep expires the first"
t_post "$T/cc12.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" badTime "... the same certConf again: badTime, not badCertId"

# implicitConfirm applies to every certificate of the message
t_sql "UPDATE cmp_profile SET implicit_confirm_allowed = 1 WHERE uuid = '$FIXP'"
TIDI=00112233445566778899aabbccdd100a
"$TOOL" edit "$F/ir-pbm-implicit.der" "$T/ir-impl.der" tid=$TIDI addreq=1 remac=test-secret
t_post "$T/ir-impl.der" $FIX > /dev/null
is "$(t_responses "$T/resp.der")" "0:accepted 1:accepted" "implicitConfirm: two accepted"
is "$(dump "$T/resp.der" generalInfo)" id-it-implicitConfirm "implicitConfirm granted"
is "$(rows $TIDI)" "0:0:confirmed 1:1:confirmed" "both confirmed without a certConf"
t_sql "UPDATE cmp_profile SET implicit_confirm_allowed = 0 WHERE uuid = '$FIXP'"

# ------------------------------------------------- the profile's limit
is "$(t_api GET /cmpProfiles/$FIXP)" 200 "API: profile read"
is "$(t_json 'j["certReqMax"]')" 10 "certReqMax 10 by default"
is "$(t_api PUT /cmpProfiles/$FIXP '{"certReqMax":0}')" 400 "API: certReqMax 0 refused"
like "$(t_json 'j["message"]')" "certReqMax" "and says which field"
is "$(t_api PUT /cmpProfiles/$FIXP '{"certReqMax":21}')" 400 "API: certReqMax over 20 refused"
is "$(t_api PUT /cmpProfiles/$FIXP '{"certReqMax":"2"}')" 400 "API: certReqMax must be a number"
is "$(t_api PUT /cmpProfiles/$FIXP '{"certReqMax":2}')" 200 "API: certReqMax 2"
is "$(t_json 'j["certReqMax"]')" 2 "shown"
is "$(t_sql "SELECT cert_req_max FROM cmp_profile WHERE uuid = '$FIXP'")" 2 "stored"
is "$(t_api PUT /cmpProfiles/$FIXP '{"confirmWaitTime":300}')" 200 "API: another field changed"
is "$(t_json 'j["certReqMax"]')" 2 "certReqMax kept"
TID4=00112233445566778899aabbccdd1005
"$TOOL" edit "$F/ir-pbm.der" "$T/ir-over.der" tid=$TID4 addreq=1 addreq=2 remac=test-secret
t_post "$T/ir-over.der" $FIX > /dev/null
is "$(dump "$T/resp.der" responses)" 1 "over the limit: one CertResponse"
is "$(dump "$T/resp.der" failInfo)" badRequest "over the limit: badRequest"
is "$(dump "$T/resp.der" text)" \
	"PN=fixture | more CertReqMsgs than the CMP Profile allows in one request (certReqMax 2)" \
	"CMPF_CERT_REQ_MAX names the limit"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id = UNHEX('$TID4')")" 0 \
	"nothing stored, nothing issued"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_CERT_REQ_MAX" "logged"
ok "cmpctl sets it too" "$top_builddir/cmpctl" -c "$T/cmpd.conf" profile edit fixture certReqMax:=3
is "$(t_sql "SELECT cert_req_max FROM cmp_profile WHERE uuid = '$FIXP'")" 3 "cmpctl: stored"
t_post "$T/ir-over.der" $FIX > /dev/null
is "$(t_responses "$T/resp.der")" "0:accepted 1:accepted 2:accepted" "three allowed now"
# a certReqMax over 20 written in SQL (the API refuses it): 20 at most
t_sql "UPDATE cmp_profile SET cert_req_max = 50 WHERE uuid = '$FIXP'"
"$TOOL" edit "$F/ir-pbm.der" "$T/ir-21.der" tid=00112233445566778899aabbccdd1009 \
	$(for i in $(seq 1 20); do printf 'addreq=%d ' "$i"; done) remac=test-secret
t_post "$T/ir-21.der" $FIX > /dev/null
is "$(dump "$T/resp.der" text)" \
	"PN=fixture | more CertReqMsgs than the CMP Profile allows in one request (certReqMax 20)" \
	"21 CertReqMsgs with certReqMax 50 in SQL: refused, certReqMax 20"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id = UNHEX('00112233445566778899aabbccdd1009')")" 0 \
	"... nothing stored"
t_sql "UPDATE cmp_profile SET cert_req_max = 3 WHERE uuid = '$FIXP'"

# duplicate certReqIds
"$TOOL" edit "$F/ir-pbm.der" "$T/ir-dup.der" tid=00112233445566778899aabbccdd1006 addreq=0 \
	remac=test-secret
t_post "$T/ir-dup.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" badRequest "duplicate certReqId: badRequest"
is "$(dump "$T/resp.der" text)" "PN=fixture | certReqId 0 is used by more than one CertReqMsg" \
	"CMPF_CERT_REQ_ID_DUP"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id = UNHEX('00112233445566778899aabbccdd1006')")" 0 \
	"nothing stored"

# all rejected: every CertResponse says why, nothing stored
"$TOOL" edit "$F/ir-pbm.der" "$T/ir-allbad.der" tid=00112233445566778899aabbccdd1007 \
	nosubject=1 addreq=1 remac=test-secret
t_post "$T/ir-allbad.der" $FIX > /dev/null
is "$(t_responses "$T/resp.der")" "0:rejection:badCertTemplate 1:rejection:badCertTemplate" \
	"no subject in either: both rejected"

# ------------------------------------------------ the listing and sweep
is "$(t_api GET "/cmpTransactions?cmpProfileUuid=$FIXP&limit=100")" 200 "API: transactions listed"
is "$(t_json "sorted(str(x['position'])+':'+str(x['certReqId']) for x in j if x['transactionId']=='$TID1')")" \
	'["0:1", "1:2"]' "one entry per certificate, with position and certReqId"
is "$(t_api GET /cmpTransactions/$TID1)" 200 "API: the transaction by ID"
is "$(t_json 'j["position"]')" 0 "its first entry"
# a certificate asked for and never recorded (a crash between the CA and
# the record): the sweep finds it by its own requestId
TID5=00112233445566778899aabbccdd1008
"$TOOL" edit "$F/ir-pbm.der" "$T/ir-crash.der" tid=$TID5 addreq=1 remac=test-secret
t_post "$T/ir-crash.der" $FIX > /dev/null
is "$(t_responses "$T/resp.der")" "0:accepted 1:accepted" "two issued"
t_sql "UPDATE cmp_transaction SET state = 'issuing', certificate_uuid = NULL,
  issuing_at = NOW(6) - INTERVAL 1 HOUR WHERE transaction_id = UNHEX('$TID5') AND position = 1"
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep-now > "$T/sweep.out" 2>&1
like "$(cat "$T/sweep.out")" "reconciled: 1 recorded" "the sweep asks the CA about it"
is "$(rows $TID5)" "0:0:confirm_wait 1:1:expired" \
	"the sweep settles the one left issuing, by position"

# --------------------------------------------- the client's error message
ok "ir for a certificate the client then gives up on" sh -c "timeout 60 openssl cmp -cmd ir \
	-server 127.0.0.1:$HTTP_PORT -path $CMP -recipient /CN=cmpd -ref $ENROLL_REF \
	-secret pass:$ENROLL_SECRET -disable_confirm -newkey '$T/dev.key' -subject /CN=gives-up \
	-certout '$T/gu.crt' -rspout '$T/gu-ip.der' > '$T/client.out' 2>&1"
GUTID=$(dump "$T/gu-ip.der" tid)
is "$(rows $GUTID)" "0:0:confirm_wait" "waiting for a certConf"
"$TOOL" certconf "$T/gu-ip.der" "$T/err.der" "$ENROLL_SECRET" error
is "$(dump "$T/err.der" body)" error "error message made"
is "$(t_post "$T/err.der" $CMP)" 200 "error message: answered"
is "$(dump "$T/resp.der" body)" pkiconf "error message: pkiConf"
is "$(dump "$T/resp.der" protected)" 1 "pkiConf protected"
is "$(rows $GUTID)" "0:0:rejected" "the transaction ended"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "body=error->pkiconf .*outcome=CMPF_OK" \
	"error message logged"
CU=$(t_sql "SELECT certificate_uuid FROM cmp_transaction WHERE transaction_id = UNHEX('$GUTID')")
is "$(t_api GET /certificates/$CU)" 200 "inventory: the certificate"
is "$(t_json 'j["status"]')" rejected "inventory: revoked as rejected"
t_post "$T/err.der" $CMP > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "an ended transaction ended again: pkiConf"
ok "the certConf after it is refused" "$TOOL" certconf "$T/gu-ip.der" "$T/cc-gu.der" "$ENROLL_SECRET"
t_post "$T/cc-gu.der" $CMP > /dev/null
is "$(dump "$T/resp.der" text)" "PN=enroll | the transaction is not waiting for a certConf" \
	"certConf after the error: not waiting"
# an error message ends both certificates of a two-certificate ir
TID6=00112233445566778899aabbccdd1009
"$TOOL" edit "$F/ir-pbm.der" "$T/ir6.der" tid=$TID6 addreq=1 remac=test-secret
t_post "$T/ir6.der" $FIX > /dev/null
cp "$T/resp.der" "$T/ip6.der"
"$TOOL" certconf "$T/ip6.der" "$T/err6.der" test-secret error
# only the requester may end it: the same secret under another senderKID
t_sql "UPDATE cmp_profile SET shared_secret_reference = NULL WHERE uuid = '$FIXP'"
"$TOOL" edit "$T/err6.der" "$T/err6-other.der" senderKID=abcdef remac=test-secret
t_post "$T/err6-other.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" notAuthorized "error from another sender: notAuthorized"
like "$(dump "$T/resp.der" text)" "only the requester of the transaction may continue it" "and says so"
is "$(rows $TID6)" "0:0:confirm_wait 1:1:confirm_wait" "nothing ended"
# it answers the ip: without the ip's senderNonce as its recipNonce, refused
t_sql "UPDATE cmp_profile SET shared_secret_reference = '1234' WHERE uuid = '$FIXP'"
"$TOOL" edit "$T/err6.der" "$T/err6-nononce.der" recipNonce=none remac=test-secret
t_post "$T/err6-nononce.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" badRecipientNonce "error without recipNonce: badRecipientNonce"
"$TOOL" edit "$T/err6.der" "$T/err6-badnonce.der" recipNonce=00112233445566778899aabbccddeeff remac=test-secret
t_post "$T/err6-badnonce.der" $FIX > /dev/null
is "$(dump "$T/resp.der" failInfo)" badRecipientNonce "error with another recipNonce: badRecipientNonce"
is "$(rows $TID6)" "0:0:confirm_wait 1:1:confirm_wait" "nothing ended"
t_post "$T/err6.der" $FIX > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "error for two certificates: pkiConf"
is "$(rows $TID6)" "0:0:rejected 1:1:rejected" "both rows ended"
is "$(cert_of $TID6 0) $(cert_of $TID6 1)" "rejected rejected" "both certificates revoked"
# unknown transaction
"$TOOL" edit "$T/err6.der" "$T/err-unknown.der" tid=00112233445566778899aabbccdd10ff \
	remac=test-secret
t_post "$T/err-unknown.der" $FIX > /dev/null
is "$(dump "$T/resp.der" body)" error "error for an unknown transaction: error"
is "$(dump "$T/resp.der" text)" "PN=fixture | no transaction with this transactionID" \
	"and says so"

nok "no worker died" grep -q "killed by signal" "$T/cmpd.log"
done_testing
