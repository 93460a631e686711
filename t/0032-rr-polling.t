#!/bin/sh
# Delayed delivery of an rr (RFC 9810 5.3.22, RFC 9483 4.4): a connector
# whose revoke answers 202 pending (cmp-localca with revoke_pending). The
# rr is answered with an error message of status waiting; the client
# (t/cmppoll, OpenSSL 3.0's client polls for certificates only) sends
# pollReq {certReqId -1}, gets pollRep with checkAfter until the CA has
# revoked, then the rp; the inventory says revoked. A pollReq from
# another requester or for another certReqId is refused; a client that
# stops polling leaves the revocation to the sweep; a CRL that lists the
# certificate being revoked does not refuse its pollReqs, one that lists a
# CA certificate of its chain does. The same for a genm whose CA answers
# later than the CMP Profile's syncBudget, and the release of a hold,
# which is not delayed.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info"
t_start_localca
t_second_localca rrpend "revoke_pending = 4"
# one that revokes at once but answers 6 s later: slower than the CMP
# Profile's synchronous budget
t_second_localca rrslow "revoke_delay_ms = 6000"
# and one whose CA certificates and CRL come 6 s late (genm)
t_second_localca caslow "ca_delay_ms = 6000"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd rrpend)" \
	"$(t_second_localca_lighttpd rrslow)" "$(t_second_localca_lighttpd caslow)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
P=/api/v1/protocols/cmp/rrpoll
URL=$HTTP_BASE$P
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
POLL=$top_builddir/t/cmppoll
dump() { "$top_builddir/t/cmptool" dump "$1" | sed -n "s/^$2=//p" | head -n 1; }
t_sql "
INSERT INTO connector (uuid, name, url, auth_type, auth_data_enc, insecure)
  SELECT '00000000-0000-4000-8000-0000000320c1', 'rrpend', '$CONNECTOR_BASE/rrpend', auth_type, NULL, 1
  FROM connector WHERE name = 'localca';
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-0000000320a1', 'rrpend', '00000000-0000-4000-8000-0000000320c1',
   '00000000-0000-4000-8000-00000000e0a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-000000032001', 'ra-rrpoll', 1, '00000000-0000-4000-8000-0000000320a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, subject_policy) VALUES
  ('00000000-0000-4000-8000-000000032101', 'rrpoll', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-000000032001', 'any')" || bail "seeding failed"
t_localca_cred | $CMPD --set-connector-credentials rrpend > "$T/secret.log" 2>&1 ||
	bail "--set-connector-credentials failed"
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" > "$T/bundle.pem"
$CMPD --set-signing-credentials rrpoll < "$T/bundle.pem" > "$T/secret.log" 2>&1 ||
	bail "--set-signing-credentials failed"
cat "$F/root.pem" "$CA/root.crt" > "$T/anchors.pem"
$CMPD --set-trust-anchors rrpoll < "$T/anchors.pem" > "$T/secret.log" 2>&1 ||
	bail "--set-trust-anchors failed"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

# enroll CN: a signed ir with the fixtures' device certificate -> $T/CN.crt
enroll() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path $P \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-cert "$F/ee.pem" -key "$F/ee.key" -trusted "$CA/root.crt" \
		-newkey "$T/dev.key" -subject "/CN=$1" -certout "$T/$1.crt" \
		> "$T/$1.out" 2>&1
}
# rrfile CN: an rr for $T/CN.crt signed by it, written, not sent to cmpd
# (the path names no profile), in $T/rr-CN.der
rrfile() {
	timeout 60 openssl cmp -cmd rr -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/nosuchprofile -recipient /CN=cmpd \
		-msg_timeout 20 -total_timeout 40 -cert "$T/$1.crt" -key "$T/dev.key" \
		-oldcert "$T/$1.crt" -revreason 1 -unprotected_errors \
		-reqout "$T/rr-$1.der" > "$T/rr-$1.out" 2>&1
	test -s "$T/rr-$1.der"
}
cstatus() { t_sql "SELECT CONCAT(status, '/', COALESCE(revocation_reason, '-')) FROM certificate WHERE subject_dn = 'CN=$1'"; }
tx() { t_sql "SELECT CONCAT(t.state, '/', t.cert_req_id) FROM cmp_transaction t JOIN certificate c
	ON c.uuid = t.certificate_uuid WHERE c.subject_dn = 'CN=$1' AND t.request_type = 11"; }

for cn in rr1 rr2 rr3; do
	ok "enrolled $cn" enroll $cn
	ok "rr for $cn written" rrfile $cn
done
is "$(dump "$T/rr-rr1.der" body)" rr "the request is an rr"

# --- rr waiting, pollRep with checkAfter, then the rp
ok "rr through a CA that revokes later: waiting, polled, rp accepted" \
	sh -c "CMPPOLL_PROBE_ID=0 '$POLL' '$URL' '$T/rr-rr1.der' '$T/rr1.crt' '$T/dev.key' '$CA/root.crt' 20 \
	> '$T/poll1.out' 2> '$T/poll1.err'"
diag_file "$T/poll1.err" 5
like "$(head -n 1 "$T/poll1.out")" "^waiting the certificate authority has not revoked the certificate yet" \
	"the rr is answered with an error message of status waiting"
like "$(sed -n 3p "$T/poll1.out")" "^pollRep certReqId=-1 checkAfter=1 " "pollReq -1 answered pollRep, checkAfter 1"
like "$(sed -n 3p "$T/poll1.out")" "has not revoked the certificate yet" "... with a reason"
like "$(grep '^probe' "$T/poll1.out")" "failInfo=badRequest PN=rrpoll | no certificate of this transaction waits for certReqId 0" \
	"pollReq for certReqId 0 refused (CMPF_POLL_NOT_WAITING): an rr's is -1"
ok "checkAfter grows" grep -q "^pollRep certReqId=-1 checkAfter=2 " "$T/poll1.out"
is "$(tail -n 1 "$T/poll1.out")" "rp status=0 revCerts=1" "the final answer is the rp, accepted"
is "$(cstatus rr1)" revoked/keyCompromise "the inventory says revoked, with the client's reason"
is "$(t_sql "SELECT CONCAT(status, '/', revocation_reason) FROM localca_certificate WHERE subject LIKE '%rr1%'")" \
	revoked/keyCompromise "the CA revoked it"
is "$(tx rr1)" confirmed/-1 "the rr's transaction row (certReqId -1) is settled"
ok "the transaction polled" test "$(t_sql "SELECT t.poll_count FROM cmp_transaction t JOIN certificate c
	ON c.uuid = t.certificate_uuid WHERE c.subject_dn = 'CN=rr1' AND t.request_type = 11")" -ge 1
like "$(cat "$T/cmpd.log")" "revocation pending at the CA; answered waiting" "logged"

# --- another requester's pollReq: notAuthorized; then the right one
ok "pollReq from another requester refused, the requester's own goes on" \
	sh -c "'$POLL' '$URL' '$T/rr-rr2.der' '$T/rr2.crt' '$T/dev.key' '$CA/root.crt' 20 \
	'$T/rr3.crt' '$T/dev.key' > '$T/poll2.out' 2> '$T/poll2.err'"
diag_file "$T/poll2.err" 5
like "$(grep '^other requester' "$T/poll2.out")" "failInfo=notAuthorized" \
	"another requester: notAuthorized (CMPF_NOT_REQUESTER)"
is "$(tail -n 1 "$T/poll2.out")" "rp status=0 revCerts=1" "the requester's own polls end in the rp"
is "$(cstatus rr2)" revoked/keyCompromise "rr2 revoked"
is "$(cstatus rr3)" issued/- "the other requester's certificate untouched"

# --- a client that stops polling
ok "rr written for a waiting check" rrfile rr3
"$POLL" "$URL" "$T/rr-rr3.der" "$T/rr3.crt" "$T/dev.key" "$CA/root.crt" 0 > "$T/poll3.out" 2> "$T/poll3.err"
is "$?" 1 "a client that stops after the waiting answer"
like "$(cat "$T/poll3.out")" "^waiting " "... was told waiting"
is "$(tx rr3)" waiting/-1 "the rr waits (certReqId -1)"
is "$(cstatus rr3)" revoke_pending/keyCompromise "the certificate is owed a revocation"
# --- the client stopped polling: the sweep settles the rr
sleep 5
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep-now > "$T/sweep.log" 2>&1
is "$(tx rr3)" expired/-1 "the sweep expires the abandoned rr"
is "$(cstatus rr3)" revoked/keyCompromise "... and revokes the certificate at the CA"
is "$(t_sql "SELECT status FROM localca_certificate WHERE subject LIKE '%rr3%'")" revoked "the CA says revoked"

# --- a CA slower than the synchronous budget: the worker does not wait
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/rrslow' WHERE uuid = '00000000-0000-4000-8000-0000000320c1';
	UPDATE cmp_profile SET sync_budget = 2 WHERE name = 'rrpoll'" || bail "switching to rrslow failed"
ok "enrolled rr4" enroll rr4
ok "rr for rr4 written" rrfile rr4
# the pollReqs carry the signer's chain, as openssl cmp -untrusted would:
# cmp-localca answers one call at a time, and while it sleeps in the
# revocation cmpd could not fetch the chain from it within the budget
ok "rr through a CA slower than syncBudget 2 s: waiting, polled, rp" \
	sh -c "CMPPOLL_UNTRUSTED='$CA/ca.crt' '$POLL' '$URL' '$T/rr-rr4.der' '$T/rr4.crt' '$T/dev.key' \
	'$CA/root.crt' 20 > '$T/poll4.out' 2> '$T/poll4.err'"
diag_file "$T/poll4.err" 5
like "$(head -n 1 "$T/poll4.out")" "^waiting " "the rr is answered waiting"
is "$(tail -n 1 "$T/poll4.out")" "rp status=0 revCerts=1" "the final answer is the rp, accepted"
ms=$(grep 'body=rr->error' "$T/cmpd.log" | tail -n 1 | sed -n 's/.* ms=\([0-9]*\).*/\1/p')
ok "the waiting answer came within the budget, not after the CA's 6 s (${ms:-?} ms)" \
	test "${ms:-9999}" -lt 5500
like "$(cat "$T/cmpd.log")" "revocation beyond the synchronous budget; answered waiting" "logged"
is "$(tx rr4)" confirmed/-1 "the rr's transaction is settled"
is "$(cstatus rr4)" revoked/keyCompromise "rr4 revoked, with the client's reason"

# --- releasing a hold (removeFromCRL) is not delayed delivery: a CA slower
# than the budget answers "try again later", and the retry finds it done
"$top_builddir/cmpctl" -c "$T/cmpd.conf" profile ra-add rrpoll "$F/ee.pem" revoke > "$T/ctl.out" 2>&1 ||
	{ diag_file "$T/ctl.out"; bail "ra-add failed"; }
ok "enrolled rr5" enroll rr5
release() {
	timeout 60 openssl cmp -cmd rr -server "127.0.0.1:$HTTP_PORT" -path $P \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 -cert "$F/ee.pem" -key "$F/ee.key" \
		-trusted "$CA/root.crt" -oldcert "$T/rr5.crt" -revreason "$1" -unprotected_errors \
		> "$T/rel.out" 2>&1
}
t_sql "UPDATE cmp_profile SET sync_budget = 10 WHERE name = 'rrpoll'"
ok "rr5 on hold (certificateHold), signed by an RA of the profile" release 6
is "$(cstatus rr5)" revoked/certificateHold "on hold"
t_sql "UPDATE cmp_profile SET sync_budget = 2 WHERE name = 'rrpoll'"
nok "its release through a CA slower than syncBudget" release 8
like "$(cat "$T/rel.out")" "systemUnavail" "systemUnavail"
like "$(cat "$T/rel.out")" "the CA has not taken the certificate off hold yet, try again later" "says so"
is "$(cstatus rr5)" revoked/certificateHold "cmpd still holds it on hold"
ca_is() { test "$(t_sql "SELECT status FROM localca_certificate WHERE subject LIKE '%$1%'")" = "$2"; }
t_wait 10 ca_is rr5 issued
is "$(t_sql "SELECT status FROM localca_certificate WHERE subject LIKE '%rr5%'")" issued "the CA released it meanwhile"
t_sql "UPDATE cmp_profile SET sync_budget = 10 WHERE name = 'rrpoll'"
ok "the client asks again: accepted" release 8
is "$(cstatus rr5)" issued/- "valid again in the inventory"

# --- a genm whose CA answers later than syncBudget: an error message with
# status waiting, pollRep, and the genp once the CA answers in time
genmfile() {	# genmfile OUT: a genm caCerts signed by the fixtures' device
	timeout 60 openssl cmp -cmd genm -infotype caCerts -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/nosuchprofile -recipient /CN=cmpd \
		-msg_timeout 20 -total_timeout 40 -cert "$F/ee.pem" -key "$F/ee.key" \
		-unprotected_errors -reqout "$1" > "$T/genm.out" 2>&1
	test -s "$1"
}
gtx() { t_sql "SELECT CONCAT(state, '/', cert_req_id) FROM cmp_transaction
	WHERE request_type = 21 ORDER BY created_at DESC LIMIT 1"; }
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/caslow' WHERE uuid = '00000000-0000-4000-8000-0000000320c1';
	UPDATE cmp_profile SET sync_budget = 2 WHERE name = 'rrpoll'" || bail "switching to caslow failed"
ok "genm caCerts written" genmfile "$T/genm1.der"
"$POLL" "$URL" "$T/genm1.der" "$F/ee.pem" "$F/ee.key" "$CA/root.crt" 20 > "$T/gpoll.out" 2> "$T/gpoll.err" &
gpid=$!
t_wait 30 grep -q '^pollRep' "$T/gpoll.out"
like "$(head -n 1 "$T/gpoll.out")" "^waiting the certificate authority has not answered yet" \
	"genm through a CA slower than syncBudget: waiting"
like "$(sed -n 2p "$T/gpoll.out")" "^pollRep certReqId=-1 checkAfter=1 the certificate authority has not answered yet" \
	"a pollReq while it is still slow: pollRep"
is "$(gtx)" waiting/-1 "the genm's row waits (certReqId -1)"
ms=$(grep 'body=genm->error' "$T/cmpd.log" | tail -n 1 | sed -n 's/.* ms=\([0-9]*\).*/\1/p')
ok "the waiting answer came within the budget, not after the CA's 6 s (${ms:-?} ms)" \
	test "${ms:-9999}" -lt 5500
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE uuid = '00000000-0000-4000-8000-0000000320c1'"
wait $gpid
is "$?" 0 "the client polled until the genp"
diag_file "$T/gpoll.err" 5
is "$(tail -n 1 "$T/gpoll.out")" "genp infoType=1.3.6.1.5.5.7.4.17 value=yes" \
	"the final answer: genp with the CA certificates"
is "$(gtx)" confirmed/-1 "the genm's row is settled"
# a client that stops polling: the sweep expires the row, nothing is owed
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/caslow' WHERE uuid = '00000000-0000-4000-8000-0000000320c1'"
ok "another genm caCerts written" genmfile "$T/genm2.der"
"$POLL" "$URL" "$T/genm2.der" "$F/ee.pem" "$F/ee.key" "$CA/root.crt" 0 > "$T/gpoll2.out" 2>&1
like "$(head -n 1 "$T/gpoll2.out")" "^waiting" "answered waiting; the client gives up"
is "$(gtx)" waiting/-1 "the row waits"
waiting_gauge() { curl -sS --noproxy "*" --max-time 10 "$HTTP_BASE/metrics" | grep -q "^cmpd_waiting_transactions $1\$"; }
ok "/metrics: a worker's sweep counts it waiting" t_wait 20 waiting_gauge 1
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep-now > "$T/sweep.log" 2>&1
is "$(gtx)" expired/-1 "the sweep expires it"
ok "/metrics: none waiting any more" t_wait 20 waiting_gauge 0

# --- the pollReq of a waiting rr is signed by the certificate being
# revoked: a CRL that lists that certificate does not refuse it, one that
# lists a CA certificate of its chain does
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/rrpend' WHERE uuid = '00000000-0000-4000-8000-0000000320c1'"
ok "enrolled rr6" enroll rr6
ok "rr for rr6 written" rrfile rr6
CMPPOLL_SAVE="$T/last6.der" "$POLL" "$URL" "$T/rr-rr6.der" "$T/rr6.crt" "$T/dev.key" \
	"$CA/root.crt" 0 > "$T/poll6.out" 2> "$T/poll6.err"
like "$(cat "$T/poll6.out")" "^waiting " "rr6 answered waiting; the client goes away"
t_crl "$CA/ca" "$T/rr6.crl" "$T/rr6.crt" && t_crl "$CA/root" "$T/ca.crl" "$CA/ca.crt" ||
	bail "the CRLs could not be made"
# anchors FILES...: the profile's trust anchors and CRLs, seen by the workers
anchors() {
	cat "$@" | $CMPD --set-trust-anchors rrpoll > "$T/set.out" 2>&1 || return 1
	sleep 2		# profile_cache
}
ok "anchors with a CRL of the issuing CA that lists rr6 and one of the root that lists the issuing CA" \
	anchors "$T/anchors.pem" "$T/rr6.crl" "$T/ca.crl"
like "$(cat "$T/set.out")" "2 trust anchors and 2 CRLs" "both CRLs taken"
CMPPOLL_RESUME="$T/last6.der" "$POLL" "$URL" "$T/rr-rr6.der" "$T/rr6.crt" "$T/dev.key" \
	"$CA/root.crt" 1 > "$T/poll6b.out" 2> "$T/poll6b.err"
diag_file "$T/poll6b.err" 5
like "$(cat "$T/poll6b.out")" "^error status=2 failInfo=signerNotTrusted PN=rrpoll \| a CA certificate of the protection certificate's chain is revoked" \
	"the client's pollReq: refused, its issuing CA is revoked in the root's CRL"
is "$(tx rr6)" waiting/-1 "the rr still waits"
ok "anchors with the issuing CA's CRL alone" anchors "$T/anchors.pem" "$T/rr6.crl"
ok "the client's pollReqs go on, though the CRL lists their signer: rp accepted" \
	sh -c "CMPPOLL_RESUME='$T/last6.der' '$POLL' '$URL' '$T/rr-rr6.der' '$T/rr6.crt' '$T/dev.key' \
	'$CA/root.crt' 20 > '$T/poll6c.out' 2> '$T/poll6c.err'"
diag_file "$T/poll6c.err" 5
is "$(tail -n 1 "$T/poll6c.out")" "rp status=0 revCerts=1" "the final answer is the rp"
is "$(cstatus rr6)" revoked/keyCompromise "rr6 revoked"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE uuid = '00000000-0000-4000-8000-0000000320c1'"
done_testing
