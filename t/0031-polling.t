#!/bin/sh
# Delayed delivery (RFC 9810 5.3.22, RFC 9483 4.4). A connector that
# answers pending (cmp-localca with issue_pending): the ir is answered
# waiting, `openssl cmp` polls (pollReq -> pollRep with checkAfter) and
# gets the certificate, then certConf as usual. A connector slower than
# the CMP Profile's syncBudget turns into waiting too. Waiting
# transactions hold no worker: with 2 workers and 8 of them waiting, an
# ir on another profile completes at once. A pollReq from another
# requester, for an unknown transaction, for two certReqIds, or with the
# wrong nonce is refused; a connector without lookup ends the wait; a
# client that stops polling, or ends its request with an error message,
# is given up on by the sweep, which revokes what the CA issued; a
# pollReq 7 days after the transaction began is refused.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "workers = 2" "connector_workers_max = 2" \
	"connector_timeout = 10" "log_level = info"
t_start_localca
t_second_localca pending "issue_pending = 6"
t_second_localca slow "issue_delay_ms = 4000"
t_second_localca longpend "issue_pending = 300"
t_second_localca slowsign "sign_delay_ms = 4000" "workers = 2"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd pending)" \
	"$(t_second_localca_lighttpd slow)" "$(t_second_localca_lighttpd longpend)" \
	"$(t_second_localca_lighttpd slowsign)"
t_seed_enroll
plan_auto

t_profile_via poll "$CONNECTOR_BASE/pending" 1
t_profile_via slow "$CONNECTOR_BASE/slow" 2
t_profile_via slowsign "$CONNECTOR_BASE/slowsign" 5
# syncBudget through the management API (cmpctl and the console use it)
API_KEY=$(t_api_key poll-admin admin)
SLOW=00000000-0000-4000-8000-000000002101
is "$(t_api GET /cmpProfiles/$SLOW)" 200 "API: the slow profile"
is "$(t_json 'j["syncBudget"]')" 5 "... syncBudget 5 by default"
is "$(t_api PUT /cmpProfiles/$SLOW '{"syncBudget":0}')" 400 "API: syncBudget 0 refused"
like "$(t_json 'j["message"]')" "syncBudget" "... naming the field"
is "$(t_api PUT /cmpProfiles/$SLOW '{"syncBudget":301}')" 400 "API: syncBudget over 300 refused"
is "$(t_api PUT /cmpProfiles/$SLOW '{"syncBudget":1}')" 200 "API: syncBudget 1"
is "$(t_json 'j["syncBudget"]')" 1 "... shown"
is "$(t_sql "SELECT sync_budget FROM cmp_profile WHERE uuid = '$SLOW'")" 1 "... stored"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
# client PROFILE CN [args]: an ir; output in $T/CN.out, certificate $T/CN.crt
client() {
	local p=$1 cn=$2
	shift 2
	timeout 90 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path "/api/v1/protocols/cmp/$p" -recipient /CN=cmpd \
		-ref "dev-$cn" -secret "pass:$ENROLL_SECRET" -msg_timeout 20 \
		-total_timeout 60 -newkey "$T/dev.key" -subject "/CN=$cn" \
		-certout "$T/$cn.crt" -unprotected_errors "$@" > "$T/$cn.out" 2>&1
}
files() {	# files PREFIX: PREFIX1,PREFIX2,... (openssl cmp -reqout/-rspout)
	local i s=""
	for i in 1 2 3 4 5 6 7 8 9 10 11 12; do s="$s${s:+,}$1$i.der"; done
	echo "$s"
}
dump() { "$top_builddir/t/cmptool" dump "$1"; }
field() { dump "$1" | sed -n "s/^$2=//p" | head -n 1; }
tx() { t_sql "SELECT t.state FROM cmp_transaction t JOIN certificate c
	ON c.uuid = t.certificate_uuid WHERE c.subject_dn = 'CN=$1'"; }
elapsed() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" > /dev/null 2>&1
	t1=$(date +%s%N)
	echo "$(( (t1 - t0) / 1000000 ))"
}

# --- a CA that answers pending: ir waiting, pollRep, the certificate
ok "ir through a connector that answers pending: the certificate" \
	client poll dev1 -reqout "$(files "$T/q")" -rspout "$(files "$T/r")"
ok "... a certificate" openssl x509 -in "$T/dev1.crt" -noout
is "$(field "$T/r1.der" body)" ip "the first answer is an ip"
is "$(field "$T/r1.der" status)" waiting "... with PKIStatus waiting"
is "$(dump "$T/r1.der" | grep -c '^extraCert=')" 0 "... and no certificate"
is "$(field "$T/q2.der" body)" pollReq "the client polls"
is "$(field "$T/q2.der" certReqId)" 0 "... for certReqId 0"
is "$(field "$T/q2.der" recipNonce)" "$(field "$T/r1.der" senderNonce)" \
	"... echoing the ip's senderNonce"
is "$(field "$T/r2.der" body)" pollRep "answered pollRep"
is "$(field "$T/r2.der" certReqId)" 0 "... for certReqId 0"
is "$(field "$T/r2.der" checkAfter)" 1 "... checkAfter 1 (seconds)"
like "$(field "$T/r2.der" reason)" "has not issued the certificate yet" "... and a reason"
is "$(field "$T/r2.der" tid)" "$(field "$T/q1.der" tid)" "... in the same transaction"
last=$(ls "$T"/r*.der | sort -V | tail -n 2 | head -n 1)
is "$(field "$last" body)" ip "the last answer but one is the final ip"
is "$(field "$last" status)" accepted "... accepted"
is "$(field "$(ls "$T"/q*.der | sort -V | tail -n 1)" body)" certConf "then certConf"
is "$(field "$(ls "$T"/r*.der | sort -V | tail -n 1)" body)" pkiconf "... and pkiconf"
is "$(tx dev1)" confirmed "the transaction is confirmed"
ok "the transaction polled at least once" \
	test "$(t_sql "SELECT poll_count FROM cmp_transaction t JOIN certificate c
	  ON c.uuid = t.certificate_uuid WHERE c.subject_dn = 'CN=dev1'")" -ge 1
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=dev1'")" issued \
	"the certificate is issued in the inventory"

# --- kur through the pending CA: kup waiting, polled, the new certificate
CA=$T/ca
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, subject_policy) VALUES
  ('00000000-0000-4000-8000-00000000f131', 'sigpoll', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-000000001001', 'any')"
t_signer signer "/CN=cmpd signer" || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" > "$T/bundle.pem"
$CMPD --set-signing-credentials sigpoll < "$T/bundle.pem" > /dev/null 2>&1 ||
	bail "--set-signing-credentials failed"
$CMPD --set-trust-anchors sigpoll < "$CA/root.crt" > /dev/null 2>&1 ||
	bail "--set-trust-anchors failed"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/new.key" 2>/dev/null
rm -f "$T"/q*.der "$T"/r*.der
ok "kur through a connector that answers pending: the new certificate" \
	timeout 90 openssl cmp -cmd kur -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/sigpoll -recipient /CN=cmpd -msg_timeout 20 \
	-total_timeout 60 -cert "$T/dev1.crt" -key "$T/dev.key" -newkey "$T/new.key" \
	-untrusted "$CA/ca.crt" -trusted "$CA/root.crt" -certout "$T/kup.crt" \
	-unprotected_errors -reqout "$(files "$T/q")" -rspout "$(files "$T/r")"
is "$(field "$T/r1.der" body)" kup "the first answer is a kup"
is "$(field "$T/r1.der" status)" waiting "... waiting"
is "$(field "$T/r2.der" body)" pollRep "then pollRep"
is "$(openssl x509 -in "$T/kup.crt" -noout -subject)" "subject=CN = dev1" \
	"the updated certificate names the same subject"
is "$(tx dev1 | tr '\n' ' ')" "confirmed confirmed " "... confirmed, as the ir before"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=dev1' AND status = 'issued'")" 2 \
	"the inventory has both certificates"

# --- pollReqs that break the rules, made from the client's own pollReq
POLL=/api/v1/protocols/cmp/poll
EDIT="$top_builddir/t/cmptool edit"
rm -f "$T"/q*.der "$T"/r*.der
client poll dev2 -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" &
C2=$!
ok "a second client waits" t_wait 20 test -s "$T/q2.der"
# the CA holds its certificate back until these pollReqs are answered,
# however slowly they come (issue_pending counts from created_at)
hold() { t_sql "UPDATE localca_certificate SET created_at = NOW() $1 INTERVAL 1 HOUR
	WHERE subject = 'CN=dev2'"; }
hold +
is "$(t_sql "SELECT t.state FROM cmp_transaction t JOIN localca_certificate l
	ON l.request_id = t.request_id WHERE l.subject = 'CN=dev2'")" waiting \
	"... its transaction waiting, the CA's certificate held back"
send() {	# send FILE [PATH]: POSTs it to the poll profile (or PATH), the answer in $T/ans.der
	curl -sS --noproxy '*' --max-time 20 -H 'Content-Type: application/pkixcmp' \
		--data-binary "@$1" -o "$T/ans.der" "$HTTP_BASE${2:-$POLL}"
}
$EDIT "$T/q2.der" "$T/other.der" senderKID=6f74686572 "remac=$ENROLL_SECRET" ||
	bail "cmptool edit failed"
send "$T/other.der"
is "$(field "$T/ans.der" body)" error "a pollReq from another requester: an error"
is "$(field "$T/ans.der" failInfo)" notAuthorized "... notAuthorized"
like "$(field "$T/ans.der" text)" "only the requester of the transaction may continue it" \
	"... CMPF_NOT_REQUESTER"
$EDIT "$T/q2.der" "$T/unknown.der" tid=00112233445566778899aabbccddeeff \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/unknown.der"
is "$(field "$T/ans.der" failInfo)" badRequest "a pollReq for an unknown transaction: badRequest"
is "$(field "$T/ans.der" text)" "PN=poll | no transaction with this transactionID" \
	"... no transaction with this transactionID (CMPF_TX_UNKNOWN)"
$EDIT "$T/q2.der" "$T/two.der" duppoll=1 "remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/two.der"
is "$(field "$T/ans.der" text)" \
	"PN=poll | a pollReq must ask for exactly one certReqId (it has 2)" \
	"a pollReq for two certReqIds: CMPF_POLL_NOT_ONE"
$EDIT "$T/q2.der" "$T/nonce.der" recipNonce=00112233445566778899aabbccddeeff \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/nonce.der"
is "$(field "$T/ans.der" failInfo)" badRecipientNonce "a pollReq with another recipNonce: badRecipientNonce"
hold -
wait "$C2"
ok "the second client got its certificate all the same" openssl x509 -in "$T/dev2.crt" -noout
# the transaction is over: its pollReq again
send "$T/q2.der"
is "$(field "$T/ans.der" text)" "PN=poll | no certificate of this transaction waits for certReqId 0" \
	"a pollReq once the certificate was delivered: CMPF_POLL_NOT_WAITING"

# --- a connector slower than the syncBudget (1 s): waiting, then delivered
rm -f "$T"/q*.der "$T"/r*.der
ms=$(elapsed client slow dev3 -reqout "$(files "$T/q")" -rspout "$(files "$T/r")")
ok "ir through a CA slower than the syncBudget: the certificate" openssl x509 -in "$T/dev3.crt" -noout
is "$(field "$T/r1.der" status)" waiting "... after an ip waiting"
is "$(field "$T/r2.der" body)" pollRep "... and polling"
like "$(cat "$T/cmpd.log")" "beyond the synchronous budget: the client polls" "... logged"
is "$(tx dev3)" confirmed "... confirmed"
is "$(t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject = 'CN=dev3'")" 1 \
	"... one certificate at the CA"
# ... and one that records the certificate only after 4 s: the pollReqs
# before it ask without "final", the CA's "nothing yet" binds nothing,
# and the certificate it then records is delivered
t_sql "UPDATE cmp_profile SET sync_budget = 1 WHERE name = 'slowsign'"
rm -f "$T"/q*.der "$T"/r*.der
ok "ir through a CA that records after the syncBudget: the certificate" \
	client slowsign dev3s -reqout "$(files "$T/q")" -rspout "$(files "$T/r")"
is "$(field "$T/r1.der" status)" waiting "... after an ip waiting"
is "$(field "$T/r2.der" body)" pollRep "... and polling"
like "$(cat "$T/slowsign.log")" "found=false" "... while the CA had recorded nothing"
unlike "$(cat "$T/slowsign.log")" "found=false void|status=409" "... which voided nothing"
is "$(tx dev3s)" confirmed "... confirmed"

# --- waiting transactions hold no worker: 2 workers, 8 waiting, one ir
pids=""
for i in 1 2 3 4 5 6 7 8; do
	client poll w$i &
	pids="$pids $!"
done
waiting() { [ "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE state = 'waiting'")" -ge "$1" ]; }
ok "8 transactions wait" t_wait 30 waiting 8
is "$(t_api GET "/cmpTransactions?state=waiting")" 200 "API: the waiting transactions"
ok "... listed" test "$(t_json 'len(j)')" -ge 1
ms=$(elapsed client enroll other -ref "$ENROLL_REF")
ok "an ir on another profile completes meanwhile (${ms} ms)" test "$ms" -lt 5000
ok "... with its certificate" openssl x509 -in "$T/other.crt" -noout
ok "... while they still wait" waiting 4
rc=0
i=0
for p in $pids; do
	i=$((i + 1))
	wait "$p" || { rc=1; diag "client w$i failed:"; diag_file "$T/w$i.out" 15; }
done
is "$rc" 0 "the 8 waiting clients got their certificates"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn LIKE 'CN=w_' AND status = 'issued'")" 8 \
	"... all 8 issued"

# --- a connector without lookup: the wait ends with a final refusal
# that says what cmpd knows: the CA, its call cut at syncBudget, may have
# issued, and cmpd cannot ask it; the transaction is an operator's
# (unknown_at_ca, as the sweep would leave it), and a copy of the
# pollReq is not answered again (a request the client abandons after
# the first answer)
rm -f "$T"/q*.der "$T"/r*.der
client poll gone -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" -msg_timeout 2 -total_timeout 2
is "$(field "$T/r1.der" status)" waiting "a client that gives up after the ip waiting" ||
	diag_file "$T/gone.out"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/nolookup' WHERE name = 'poll'"
$EDIT "$T/q2.der" "$T/late.der" "remac=$ENROLL_SECRET" || bail "cmptool edit failed"
# its pollReq, answering the pollRep's nonce
field "$T/r2.der" senderNonce > /dev/null
$EDIT "$T/q2.der" "$T/late.der" "recipNonce=$(field "$T/r2.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/late.der"
is "$(field "$T/ans.der" body)" ip "a pollReq when the connector has no lookup: the final ip"
is "$(field "$T/ans.der" status)" rejection "... a rejection"
is "$(field "$T/ans.der" text)" "PN=poll | whether the certificate authority issued a certificate for this request cannot be asked (its connector has no lookup): an operator settles it; send a new request" \
	"... CMPF_POLL_CA_CANNOT_TELL"
GTX="transaction_id = UNHEX('$(field "$T/q1.der" tid)')"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE $GTX")" unknown_at_ca \
	"... the transaction unknown_at_ca, an operator's"
send "$T/late.der"
is "$(field "$T/ans.der" text)" "PN=poll | no certificate of this transaction waits for certReqId 0" \
	"... the same pollReq again: not waiting"

# --- a CA that says it issued nothing, once the call cut at syncBudget
# has surely ended: a final refusal, the transaction failed (the CA's
# record of the request taken from it: it never saw the request)
rm -f "$T"/q*.der "$T"/r*.der
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/pending' WHERE name = 'poll'"
client poll nothing -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" -msg_timeout 2 -total_timeout 2
is "$(field "$T/r2.der" body)" pollRep "a client that gives up after a pollRep" ||
	diag_file "$T/nothing.out"
NTX="transaction_id = UNHEX('$(field "$T/q1.der" tid)')"
t_sql "UPDATE localca_certificate SET request_id = NULL
  WHERE request_id = (SELECT request_id FROM cmp_transaction WHERE $NTX);
  UPDATE cmp_transaction SET issuing_at = issuing_at - INTERVAL 1 HOUR, next_check = NOW(6)
  WHERE $NTX"
$EDIT "$T/q2.der" "$T/nothing.der" "recipNonce=$(field "$T/r2.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/nothing.der"
is "$(field "$T/ans.der" status)" rejection "its pollReq, the CA with nothing for it: a rejection"
is "$(field "$T/ans.der" text)" "PN=poll | the certificate authority issued no certificate for this request" \
	"... CMPF_POLL_NOTHING_ISSUED"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE $NTX")" failed "... the transaction failed"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/pending' WHERE name = 'poll'"

# --- polling does not keep a transaction waiting for ever: 7 days after
# it began its deadline moves no more, and the sweep takes it over
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/longpend' WHERE name = 'poll'"
rm -f "$T"/q*.der "$T"/r*.der
client poll aged -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" -msg_timeout 2 -total_timeout 2
is "$(field "$T/r2.der" body)" pollRep "a client that gives up after a pollRep" || diag_file "$T/aged.out"
atx() { t_sql "SELECT $1 FROM cmp_transaction WHERE transaction_id = UNHEX('$(field "$T/q1.der" tid)')"; }
is "$(atx "deadline > NOW(6) + INTERVAL 500 SECOND")" 1 "its deadline: 600 s after the last answer"
t_sql "UPDATE cmp_transaction SET created_at = created_at - INTERVAL 7 DAY
	WHERE transaction_id = UNHEX('$(field "$T/q1.der" tid)')" || bail "ageing the transaction failed"
$EDIT "$T/q2.der" "$T/aged.der" "recipNonce=$(field "$T/r2.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
ARID=$(atx request_id)
aged_lookups() { grep 'path=[^ ]*/certificates/lookup ' "$T/longpend.log" | grep -c "requestId=$ARID "; }
n0=$(aged_lookups)
dl0=$(atx deadline)
send "$T/aged.der"
is "$(field "$T/ans.der" body)" error "a pollReq 7 days after the transaction began: refused"
like "$(field "$T/ans.der" text)" "PN=poll \| polling ends 7 days after the transaction began: the certificate authority is asked no more for it" \
	"... CMPF_POLL_ENDED"
is "$(aged_lookups)" "$n0" "... the CA not asked"
is "$(atx deadline)" "$dl0" "... its deadline not moved (never later than 7 days after the start)"
is "$(atx state)" waiting "... the transaction waiting for the sweep"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/pending' WHERE name = 'poll'"

# --- a pollReq before the checkAfter it was told: pollRep again, and the
# CA is not asked (each pollReq would cost a CA call otherwise)
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/longpend' WHERE name = 'poll'"
rm -f "$T"/q*.der "$T"/r*.der
client poll early -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" -msg_timeout 2 -total_timeout 2
is "$(field "$T/r2.der" body)" pollRep "another client that gives up after a pollRep" ||
	diag_file "$T/early.out"
ETX="transaction_id = UNHEX('$(field "$T/q1.der" tid)')"
# this transaction's lookups only: the sweep asks the same CA about the
# transactions given up above, whenever it runs
ERID=$(t_sql "SELECT request_id FROM cmp_transaction WHERE $ETX")
like "$ERID" '^[0-9a-f-]{36}$' "(its requestId, to count its lookups by)"
lookups() { grep 'path=[^ ]*/certificates/lookup ' "$T/longpend.log" | grep -c "requestId=$ERID "; }
# as if it had been told checkAfter 30
t_sql "UPDATE cmp_transaction SET next_check = NOW(6) + INTERVAL 30 SECOND WHERE $ETX"
n0=$(lookups)
polls0=$(t_sql "SELECT poll_count FROM cmp_transaction WHERE $ETX")
$EDIT "$T/q2.der" "$T/early.der" "recipNonce=$(field "$T/r2.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/early.der"
is "$(field "$T/ans.der" body)" pollRep "a pollReq 30 s before its checkAfter: pollRep"
is "$(lookups)" "$n0" "... the CA not asked"
like "$(grep 'checkAfter' "$T/cmpd.log" | tail -n 1)" "PN=poll: pollReq [0-9]+ s before its checkAfter; the CA not asked" \
	"... and logged"
like "$(field "$T/ans.der" checkAfter)" "^(1[5-9]|2[0-9])$" "... told the seconds it still has to wait"
is "$(t_sql "SELECT next_check > NOW(6) + INTERVAL 10 SECOND FROM cmp_transaction WHERE $ETX")" 1 \
	"... its next checkAfter not moved"
is "$(t_sql "SELECT poll_count FROM cmp_transaction WHERE $ETX")" "$polls0" \
	"... nor counted (a client that polls too often is still served)"
t_sql "UPDATE cmp_transaction SET next_check = NOW(6) WHERE $ETX"
$EDIT "$T/q2.der" "$T/intime.der" "recipNonce=$(field "$T/ans.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/intime.der"
is "$(field "$T/ans.der" body)" pollRep "the next pollReq in time: pollRep"
is "$(lookups)" "$((n0 + 1))" "... the CA asked"
# further ahead than any checkAfter cmpd tells: the database's clock went
# back (a change of time, a skewed Galera node); no verdict, the CA asked
t_sql "UPDATE cmp_transaction SET next_check = NOW(6) + INTERVAL 1 HOUR WHERE $ETX"
$EDIT "$T/q2.der" "$T/skew.der" "recipNonce=$(field "$T/ans.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/skew.der"
is "$(field "$T/ans.der" body)" pollRep "a next_check an hour ahead: pollRep"
is "$(lookups)" "$((n0 + 2))" "... the CA asked"
# the same pollReq twice at once (a captured copy racing its original):
# both read the row while another session holds its lock, and their
# writes then run one after the other. Only one answer may move the
# nonce on; the other is refused, so that the nonce its client holds is
# the one the transaction waits on.
# twice FILE COND: FILE posted twice at once while another session holds
# the row of cmp_transaction that COND names (8 s); the answers in
# FILE's name with 1 and 2 before .der
twice() {
	local pids
	t_sql "START TRANSACTION; SELECT 1 FROM cmp_transaction WHERE $2 FOR UPDATE;
	  DO SLEEP(8); COMMIT" > /dev/null &
	pids=$!
	sleep 1
	for i in 1 2; do
		curl -sS --noproxy '*' --max-time 20 -H 'Content-Type: application/pkixcmp' \
			--data-binary "@$1" -o "${1%.der}$i.der" "$HTTP_BASE$POLL" &
		pids="$pids $!"
	done
	wait $pids
}
t_sql "UPDATE cmp_transaction SET next_check = NOW(6) WHERE $ETX"
$EDIT "$T/q2.der" "$T/twice.der" "recipNonce=$(field "$T/ans.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
twice "$T/twice.der" "$ETX"
b1=$(field "$T/twice1.der" body)
b2=$(field "$T/twice2.der" body)
is "$(printf '%s\n' "$b1" "$b2" | sort | tr '\n' ' ')" "error pollRep " \
	"the same pollReq twice at once: one pollRep, one error"
[ "$b1" = pollRep ] && won=1 lost=2 || won=2 lost=1
is "$(field "$T/twice$lost.der" text)" "PN=poll | no certificate of this transaction waits for certReqId 0" \
	"... the other: CMPF_POLL_NOT_WAITING (not for the nonce it echoed)"
is "$(t_sql "SELECT HEX(last_sender_nonce) FROM cmp_transaction WHERE $ETX")" \
	"$(field "$T/twice$won.der" senderNonce | tr a-f A-F)" \
	"... the transaction waits on the pollRep's nonce"
$EDIT "$T/q2.der" "$T/after.der" "recipNonce=$(field "$T/twice$won.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/after.der"
is "$(field "$T/ans.der" body)" pollRep "... its client polls on"
t_sql "UPDATE cmp_transaction SET state = 'failed' WHERE $ETX"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/pending' WHERE name = 'poll'"

# --- the same again, one of the two answered pollRep (the CA still
# pending: the connector pointed at one that holds certificates back
# longer) and the later one the certificate: the first to write moves
# the nonce on, and the certificate waits for the pollReq that echoes
# it, not revoked, not delivered to the copy
rm -f "$T"/q*.der "$T"/r*.der
client poll race -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" -msg_timeout 2 -total_timeout 2
is "$(field "$T/r2.der" body)" pollRep "a client that gives up after a pollRep" ||
	diag_file "$T/race.out"
RTX="transaction_id = UNHEX('$(field "$T/q1.der" tid)')"
t_sql "UPDATE cmp_transaction SET next_check = NOW(6) WHERE $RTX"
$EDIT "$T/q2.der" "$T/race.der" "recipNonce=$(field "$T/r2.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
sleep 7		# the pending cmp-localca hands the certificate out now
t_sql "START TRANSACTION; SELECT 1 FROM cmp_transaction WHERE $RTX FOR UPDATE;
  DO SLEEP(8); COMMIT" > /dev/null &
pids=$!
sleep 1
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/longpend' WHERE name = 'poll'"
curl -sS --noproxy '*' --max-time 20 -H 'Content-Type: application/pkixcmp' \
	--data-binary "@$T/race.der" -o "$T/race1.der" "$HTTP_BASE$POLL" &
pids="$pids $!"
sleep 1
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/pending' WHERE name = 'poll'"
curl -sS --noproxy '*' --max-time 20 -H 'Content-Type: application/pkixcmp' \
	--data-binary "@$T/race.der" -o "$T/race2.der" "$HTTP_BASE$POLL" &
pids="$pids $!"
wait $pids
is "$(field "$T/race1.der" body)" pollRep "the first: pollRep (its CA still pending)"
is "$(field "$T/race2.der" body)" error "the second, its CA with the certificate: an error"
is "$(field "$T/race2.der" text)" "PN=poll | no certificate of this transaction waits for certReqId 0" \
	"... CMPF_POLL_NOT_WAITING"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE $RTX")" waiting "... the transaction still waiting"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=race'")" 0 \
	"... the certificate not recorded for revocation"
$EDIT "$T/q2.der" "$T/race3.der" "recipNonce=$(field "$T/race1.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/race3.der"
is "$(field "$T/ans.der" body)" ip "the pollReq that echoes the pollRep's nonce: the certificate"
is "$(field "$T/ans.der" status)" accepted "... accepted"
"$top_builddir/t/cmptool" certconf "$T/ans.der" "$T/race-conf.der" "$ENROLL_SECRET" ||
	bail "cmptool certconf failed"
send "$T/race-conf.der"
is "$(field "$T/ans.der" body)" pkiconf "... and its certConf confirms it"
is "$(t_sql "SELECT c.status FROM certificate c JOIN cmp_transaction t
  ON c.uuid = t.certificate_uuid WHERE t.$RTX")" issued "... issued in the inventory"

# --- the same pollReq twice at once, both given the certificate by the
# CA: the first to write records it and moves the row on; the other finds
# the certificate in the inventory already and the row no longer
# waiting, and is told so (not "the database is unavailable")
rm -f "$T"/q*.der "$T"/r*.der
client poll race2 -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" -msg_timeout 2 -total_timeout 2
is "$(field "$T/r2.der" body)" pollRep "another client that gives up after a pollRep" ||
	diag_file "$T/race2.out"
R2TX="transaction_id = UNHEX('$(field "$T/q1.der" tid)')"
$EDIT "$T/q2.der" "$T/race2.der" "recipNonce=$(field "$T/r2.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
sleep 7		# the pending cmp-localca hands the certificate out now
t_sql "UPDATE cmp_transaction SET next_check = NOW(6) WHERE $R2TX"
twice "$T/race2.der" "$R2TX"
b1=$(field "$T/race21.der" body)
b2=$(field "$T/race22.der" body)
is "$(printf '%s\n' "$b1" "$b2" | sort | tr '\n' ' ')" "error ip " \
	"both given the certificate: one ip, one error"
[ "$b1" = ip ] && lost=2 || lost=1
is "$(field "$T/race2$lost.der" text)" "PN=poll | no certificate of this transaction waits for certReqId 0" \
	"... the other: CMPF_POLL_NOT_WAITING, not the database unavailable"
is "$(t_sql "SELECT t.state FROM cmp_transaction t WHERE t.$R2TX")" confirm_wait \
	"... the transaction waits for the certConf of the one answered"

# --- a client that ends its waiting request with an error message (RFC
# 9810 5.3.21): the sweep takes it over at once, without waiting for the
# polling deadline, and revokes what the CA issues
rm -f "$T"/q*.der "$T"/r*.der
client poll ends -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" -msg_timeout 2 -total_timeout 2
ETID=$(field "$T/r1.der" tid)
etx() { t_sql "SELECT $1 FROM cmp_transaction WHERE transaction_id = UNHEX('$ETID')"; }
is "$(etx state)" waiting "a client that gives up while its request waits"
is "$(etx "deadline > NOW(6) + INTERVAL 500 SECOND")" 1 "... its deadline 600 s away"
# answering the last answer it was sent (the ip's, or a pollRep's)
"$top_builddir/t/cmptool" certconf "$(ls "$T"/r*.der | sort -V | tail -n 1)" "$T/err.der" \
	"$ENROLL_SECRET" error || bail "cmptool certconf failed"
$EDIT "$T/err.der" "$T/err.der" "recipNonce=$(etx "HEX(last_sender_nonce)")" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
$EDIT "$T/err.der" "$T/err-nonce.der" recipNonce=00112233445566778899aabbccddeeff \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/err-nonce.der"
is "$(field "$T/ans.der" failInfo)" badRecipientNonce \
	"its error message with another recipNonce: badRecipientNonce"
is "$(etx "deadline > NOW(6) + INTERVAL 500 SECOND")" 1 "... nothing changed"
# The CA hands the certificate out from now on: whichever sweep takes the
# request up first (a worker's, or the one run below) finds it issued. A
# worker's sweep that asked while the CA still held it back would leave
# the request to be asked about again a minute later.
t_sql "UPDATE localca_certificate SET created_at = NOW() - INTERVAL 1 HOUR WHERE subject = 'CN=ends'"
send "$T/err.der"
is "$(field "$T/ans.der" body)" pkiconf "its error message: pkiConf"
is "$(etx "deadline <= NOW(6)")" 1 "... the request is due for the sweep at once"
like "$(grep 'ended transaction' "$T/cmpd.log" | tail -n 1)" \
	"0 certificates rejected, 1 request waiting for the CA left to the sweep" "... and logged"
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > "$T/sweep-ends.log" 2>&1
is "$(etx state)" expired "the sweep settles it (expired)"
is "$(t_sql "SELECT status FROM localca_certificate WHERE subject = 'CN=ends'")" revoked \
	"... and revokes the CA's certificate"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=ends'")" revoked \
	"... recorded in the inventory as revoked"

# --- an rr's row is written before the rr is decided (its
# transactionID single-use from then on) and holds no nonce yet: nobody
# may poll for it. Made here as store_rr_begin writes it, for dev1's
# certificate, from another sender; the pollReq answers the nonce not
# sent (an empty recipNonce).
VU=$(t_sql "SELECT uuid FROM certificate WHERE subject_dn = 'CN=dev1' AND status = 'issued' LIMIT 1")
isnt "$VU" "" "dev1's certificate, issued"
RTID=00112233445566778899aabbccdd2001
t_sql "INSERT INTO cmp_transaction (transaction_id, position, cmp_profile_uuid, ra_profile_uuid,
	request_type, cert_req_id, state, certificate_uuid, issuing_at, request_id,
	requester_method, requester_kid, next_check, deadline)
  SELECT UNHEX('$RTID'), 0, cmp_profile_uuid, ra_profile_uuid, 11, -1, 'waiting', uuid, NOW(6),
	UUID(), 'sharedSecret', 'mallory', NOW(6) + INTERVAL 40 SECOND, NOW(6) + INTERVAL 40 SECOND
  FROM certificate WHERE uuid = '$VU'" || bail "the rr's row"
$EDIT "$T/q2.der" "$T/rr-poll.der" tid=$RTID pollid=-1 recipNonce=empty \
	"senderKID=$(printf mallory | od -An -tx1 | tr -d ' \n')" "remac=$ENROLL_SECRET" ||
	bail "cmptool edit failed"
send "$T/rr-poll.der"
is "$(field "$T/ans.der" body)" error "a pollReq for an rr not answered yet: an error"
is "$(field "$T/ans.der" text)" "PN=poll | no certificate of this transaction waits for certReqId -1" \
	"... nothing waits"
is "$(t_sql "SELECT status FROM certificate WHERE uuid = '$VU'")" issued "... the certificate stays issued"
is "$(t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject = 'CN=dev1' AND status = 'revoked'")" 0 \
	"... and valid at the CA"
t_sql "UPDATE cmp_transaction SET state = 'failed' WHERE transaction_id = UNHEX('$RTID')"

# --- a client that stops polling: the sweep settles it, the CA's
# certificate revoked
rm -f "$T"/q*.der "$T"/r*.der
client poll quit -msg_timeout 2 -total_timeout 2
is "$(t_sql "SELECT state FROM cmp_transaction t JOIN localca_certificate l
	ON l.request_id = t.request_id WHERE l.subject = 'CN=quit'")" waiting \
	"a client that stopped polling leaves a waiting transaction"
sleep 6	# issue_pending: the CA hands it out now
t_sql "UPDATE cmp_transaction SET deadline = NOW(6) - INTERVAL 1 SECOND WHERE state = 'waiting'"
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > "$T/sweep.log" 2>&1
is "$(t_sql "SELECT state FROM cmp_transaction t JOIN localca_certificate l
	ON l.request_id = t.request_id WHERE l.subject = 'CN=quit'")" expired \
	"the sweep settles it (expired)"
is "$(t_sql "SELECT status FROM localca_certificate WHERE subject = 'CN=quit'")" revoked \
	"... and revokes the CA's certificate"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=quit'")" revoked \
	"... recorded in the inventory as revoked"

# --- an ir of two CertReqMsgs through a CA slower than the syncBudget:
# the CA is asked for one after the other, and the second row's age
# counts from its own call. A sweep that takes up the second row during
# the first call (made here as old as a long first call would make it)
# finds nothing at the CA and fails it; its request is then not sent: a
# certificate the CA issued for it would be known to nobody.
is "$(t_api PUT /cmpProfiles/$SLOW '{"syncBudget":3}')" 200 "API: syncBudget 3"
MTID=00112233445566778899aabbccdd3001
"$top_builddir/t/cmptool" edit "$T_FIXTURES/ir-pbm.der" "$T/ir-two.der" tid=$MTID addreq=1 \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
curl -sS --noproxy '*' --max-time 40 -H 'Content-Type: application/pkixcmp' \
	--data-binary "@$T/ir-two.der" -o "$T/ip-two.der" "$HTTP_BASE/api/v1/protocols/cmp/slow" &
cpid=$!
mrow() { t_sql "SELECT $2 FROM cmp_transaction WHERE transaction_id = UNHEX('$MTID') AND position = $1"; }
at_ca() { t_sql "SELECT COUNT(*) FROM localca_certificate WHERE request_id = '$(mrow "$1" request_id)' AND status <> 'void'"; }
first_asked() { [ "$(at_ca 0)" = 1 ]; }
ok "the CA is asked for the first certificate" t_wait 10 first_asked
t_sql "UPDATE cmp_transaction SET issuing_at = issuing_at - INTERVAL 1 HOUR
	WHERE transaction_id = UNHEX('$MTID') AND position = 1"
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > "$T/sweep-two.log" 2>&1
is "$(mrow 1 state)" failed "the sweep finds nothing at the CA for the second: failed"
wait "$cpid"
is "$(field "$T/ip-two.der" body)" ip "the ir is answered"
like "$(grep 'not sent to the CA' "$T/cmpd.log")" "the sweep settled it meanwhile" \
	"... the second request not sent to the CA"
# (the CA records a request when it takes it up, before it sleeps: one
# sent was recorded before its call was cut and the ir answered)
is "$(at_ca 1)" 0 "... and the CA issued nothing for it"
is "$(t_sql "SELECT status FROM localca_certificate WHERE request_id = '$(mrow 1 request_id)'")" void \
	"... its requestId void at the CA, which the sweep's lookup found nothing for"
is "$(mrow 0 state)" waiting "the first waits for the client's pollReq"

# --- the syncBudget is the worker's for all its calls together: an ir of
# three CertReqMsgs through the CA slower than the budget (3 s) is
# answered after about one budget, each request waiting, not after three
BTID=00112233445566778899aabbccdd3002
"$top_builddir/t/cmptool" edit "$T_FIXTURES/ir-pbm.der" "$T/ir-three.der" tid=$BTID addreq=1 addreq=2 \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
t0=$(date +%s%N)
curl -sS --noproxy '*' --max-time 40 -H 'Content-Type: application/pkixcmp' \
	--data-binary "@$T/ir-three.der" -o "$T/ip-three.der" "$HTTP_BASE/api/v1/protocols/cmp/slow"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
is "$(field "$T/ip-three.der" body)" ip "an ir of three CertReqMsgs through the slow CA: ip"
ok "... after about one budget of 3 s, not three ($ms ms)" test "$ms" -lt 6000
is "$(t_sql "SELECT GROUP_CONCAT(state ORDER BY position) FROM cmp_transaction
	WHERE transaction_id = UNHEX('$BTID')")" "waiting,waiting,waiting" "... each of its requests waiting"

# --- an ir of two CertReqMsgs, both delivered later (RFC 9810 5.3.22):
# the transaction waits on one nonce, the senderNonce of the last answer
# whichever certReqId that answer was about. A pollReq for one request
# echoes the pollRep, ip or pkiConf of the other; so does a certConf.
t_profile_via several "$CONNECTOR_BASE/longpend" 3
SEV=/api/v1/protocols/cmp/several
rm -f "$T"/q*.der "$T"/r*.der
client several sev -reqout "$(files "$T/q")" -rspout "$(files "$T/r")" -msg_timeout 2 -total_timeout 2
is "$(field "$T/q2.der" body)" pollReq "a client of a CA that holds certificates back polls" ||
	diag_file "$T/sev.out"
STID=00112233445566778899aabbccdd4001
STX="transaction_id = UNHEX('$STID')"
$EDIT "$T/q1.der" "$T/sev-ir.der" tid=$STID addreq=1 "remac=$ENROLL_SECRET" ||
	bail "cmptool edit failed"
send "$T/sev-ir.der" $SEV
is "$(field "$T/ans.der" body)" ip "its ir again with two CertReqMsgs: ip"
is "$(dump "$T/ans.der" | grep -c '^status=waiting$')" 2 "... both requests waiting"
nonce=$(field "$T/ans.der" senderNonce)
# spoll ID NONCE: the pollReq for certReqId ID echoing NONCE, asking the
# CA (not before its checkAfter); the answer in $T/ans.der
spoll() {
	t_sql "UPDATE cmp_transaction SET next_check = NOW(6) WHERE $STX"
	$EDIT "$T/q2.der" "$T/sev-poll.der" tid=$STID "pollid=$1" "recipNonce=$2" \
		"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
	send "$T/sev-poll.der" $SEV
}
# release ID: the CA hands out the certificate of certReqId ID
release() {
	t_sql "UPDATE localca_certificate l JOIN cmp_transaction t ON t.request_id = l.request_id
	  SET l.created_at = NOW() - INTERVAL 1 HOUR WHERE t.$STX AND t.cert_req_id = $1"
}
spoll 0 "$nonce"
is "$(field "$T/ans.der" body)" pollRep "certReqId 0 polled: pollRep"
nonce=$(field "$T/ans.der" senderNonce)
spoll 1 "$nonce"
is "$(field "$T/ans.der" body)" pollRep "certReqId 1 polled, echoing that pollRep: pollRep" ||
	diag "$(field "$T/ans.der" text)"
old=$nonce
nonce=$(field "$T/ans.der" senderNonce)
release 0
spoll 0 "$nonce"
is "$(field "$T/ans.der" body)" ip "certReqId 0 polled again once the CA issued it: ip" ||
	diag "$(field "$T/ans.der" text)"
is "$(field "$T/ans.der" status)" accepted "... accepted"
is "$(field "$T/ans.der" certReqId)" 0 "... for certReqId 0"
cp "$T/ans.der" "$T/sev-ip0.der"
spoll 1 "$(field "$T/sev-ip0.der" senderNonce)"
is "$(field "$T/ans.der" body)" pollRep "certReqId 1 polled, echoing that ip: pollRep" ||
	diag "$(field "$T/ans.der" text)"
"$top_builddir/t/cmptool" certconf "$T/sev-ip0.der" "$T/sev-conf0.der" "$ENROLL_SECRET" ||
	bail "cmptool certconf failed"
$EDIT "$T/sev-conf0.der" "$T/sev-conf0.der" "recipNonce=$(field "$T/ans.der" senderNonce)" \
	"remac=$ENROLL_SECRET" || bail "cmptool edit failed"
send "$T/sev-conf0.der" $SEV
is "$(field "$T/ans.der" body)" pkiconf "the certConf of certReqId 0, echoing that pollRep: pkiConf" ||
	diag "$(field "$T/ans.der" text)"
nonce=$(field "$T/ans.der" senderNonce)
spoll 1 "$old"
is "$(field "$T/ans.der" failInfo)" badRecipientNonce \
	"certReqId 1 polled echoing an earlier answer of the transaction: badRecipientNonce"
release 1
spoll 1 "$nonce"
is "$(field "$T/ans.der" body)" ip "certReqId 1 polled, echoing the pkiConf: ip" ||
	diag "$(field "$T/ans.der" text)"
is "$(field "$T/ans.der" certReqId)" 1 "... for certReqId 1"
"$top_builddir/t/cmptool" certconf "$T/ans.der" "$T/sev-conf1.der" "$ENROLL_SECRET" ||
	bail "cmptool certconf failed"
send "$T/sev-conf1.der" $SEV
is "$(field "$T/ans.der" body)" pkiconf "... and its certConf: pkiConf"
is "$(t_sql "SELECT GROUP_CONCAT(CONCAT(t.cert_req_id, ':', t.state, ':', c.status)
	ORDER BY t.position) FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
	WHERE t.$STX")" "0:confirmed:issued,1:confirmed:issued" \
	"both confirmed, both issued in the inventory"

done_testing
