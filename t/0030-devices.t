#!/bin/sh
# Per-device shared secrets: a CMP Profile's device entries, imported in
# bulk from CSV (API and cmpctl), each enrolling with its own secret via
# openssl cmp -ref/-secret; single use (also under two concurrent
# requests), wrong secret, expiry, lock after device_mac_failures_max
# wrong MACs and unknown references all refused with the one wrong-MAC
# text; subject and subjectAltName constraints; profileSecretFallback;
# the list a page at a time; entries edited in place (uses, unlock, a new
# secret, notAfter, constraints); secrets never in API answers, logs or
# audit rows. A use spent by a request refused after its MAC (another
# operation's label) is given back; a transaction's follow-ups come with
# the secret that began it only.
. "$top_srcdir/t/lib.sh"
t_setup
# Both workers may be in a CA call at once: the 1000-device run below
# tests the devices' secrets, not the connector gate (t/0024), whose
# default here (workers - 1, waiting 500 ms for a place) answered one
# enrolment systemUnavail in an ASan build on a loaded machine.
t_stack "message_time_skew = 0" "device_mac_failures_max = 3" \
	"connector_workers_max = 2"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

CA=$T/ca
CTL="$top_builddir/cmpctl -c $T/cmpd.conf"
API_KEY=$(t_api_key admin admin)
DEV=00000000-0000-4000-8000-00000000d101
DEV2=00000000-0000-4000-8000-00000000d102
ENR=00000000-0000-4000-8000-00000000e101
# "dev" and "dev2": MAC both ways, no profile-wide secret
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection,
    response_protection, default_ra_profile_uuid) VALUES
  ('$DEV', 'dev', 1, 'sharedSecret', 'sharedSecret', '00000000-0000-4000-8000-00000000e001'),
  ('$DEV2', 'dev2', 1, 'sharedSecret', 'sharedSecret', '00000000-0000-4000-8000-00000000e001')" ||
	bail "seeding the device profiles failed"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

client() {
	local path=$1
	shift
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 -newkey "$T/dev.key" "$@" > "$T/client.out" 2>&1
}
MACFAIL="message authentication failed"
# refused DESC PROFILE ARGS...: refused with the one wrong-MAC answer
refused() {
	local desc=$1 pn=$2
	shift 2
	nok "$desc: refused" client /api/v1/protocols/cmp/$pn -unprotected_errors \
		-certout "$T/refused.crt" "$@"
	like "$(cat "$T/client.out")" "badMessageCheck" "$desc: badMessageCheck"
	like "$(cat "$T/client.out")" "PN=$pn \| $MACFAIL" "$desc: the one text"
	like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_MAC_MISMATCH" \
		"$desc: CMPF_MAC_MISMATCH"
}
state() { t_api GET "/cmpProfiles/$1/devices/$2" > /dev/null; t_json 'j["state"]'; }

# ------------------------------------------------ 1000 entries, API import
# secrets: 24 hex digits each; every entry bound to its own subject
python3 - "$T" <<'EOF'
import os, sys
t = sys.argv[1]
for name in ("dev", "dev2"):
    with open(f"{t}/{name}.csv", "w") as f:
        f.write("reference,secret,subject,uses\n")
        for i in range(1, 1001):
            f.write(f"{name}-{i:04d},{os.urandom(12).hex()},/CN={name}-{i:04d},\n")
EOF
python3 -c 'import json,sys; print(json.dumps({"csv": open(sys.argv[1]).read()}))' \
	"$T/dev.csv" > "$T/import.json"
is "$(curl -sS --noproxy '*' --max-time 60 -X POST -o "$T/api.json" -w '%{http_code}\n' \
	-H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' -H 'Expect:' \
	--data-binary "@$T/import.json" "$HTTP_BASE/api/v1/cmpProfiles/$DEV/devices/import")" 201 \
	"API: 1000 entries imported from CSV"
is "$(t_json 'j["imported"]')" 1000 "API: the answer counts 1000"
diag "API import of 1000 entries: $(t_json 'j["durationMs"]') ms in cmpd"
ok "API: the import took less than 10 s" \
	python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["durationMs"] >= 10000)' "$T/api.json"
is "$(t_sql "SELECT COUNT(*) FROM cmp_device WHERE cmp_profile_uuid = '$DEV'")" 1000 "1000 rows stored"
is "$(t_sql "SELECT COUNT(*) FROM cmp_device WHERE cmp_profile_uuid = '$DEV' AND
	(secret_enc LIKE CONCAT('%', SUBSTRING_INDEX(SUBSTRING_INDEX('$(sed -n 2p "$T/dev.csv")', ',', 2), ',', -1), '%'))")" 0 \
	"secrets sealed at rest (no plaintext in the column)"
is "$(t_api GET "/cmpProfiles/$DEV/devices")" 200 "API: list"
is "$(t_json 'len(j)')" 1000 "API: 1000 entries listed"
is "$(t_json 'sorted(set(d["state"] for d in j))')" '["active"]' "API: all active"
is "$(t_json '[d["uses"] for d in j if d["usesLeft"] != 1]')" '[]' "API: single use by default"
is "$(t_json '[k for d in j for k in d if "secret" in k.lower()]')" '[]' "API: no secret member"
cut -d, -f2 "$T/dev.csv" | tail -n +2 > "$T/secrets.txt"
nok "API: no secret in the list" grep -qFf "$T/secrets.txt" "$T/api.json"

# ------------------------------------------------ 1000 entries, cmpctl import
t0=$(date +%s%N)
ok "cmpctl: 1000 entries imported from CSV" $CTL device import dev2 "$T/dev2.csv"
diag "cmpctl import of 1000 entries: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
is "$($CTL device list dev2 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1000 \
	"cmpctl: 1000 entries listed"
ok "cmpctl: show" $CTL device show dev2 dev2-0500
like "$($CTL device show dev2 dev2-0500)" '"state": *"active"' "cmpctl: show has the state"

# import is all or nothing: a duplicate on the last line leaves nothing
printf 'reference,secret\nnew-1,s1\nnew-2,s2\ndev-0001,s3\n' > "$T/dup.csv"
nok "import with a duplicate: refused" $CTL device import dev "$T/dup.csv"
like "$($CTL device import dev "$T/dup.csv" 2>&1)" "line 4: device dev-0001 already exists" \
	"and the line is named"
is "$(t_sql "SELECT COUNT(*) FROM cmp_device WHERE reference LIKE 'new-%'")" 0 "nothing of it stored"
printf 'reference,secret,notAfter\nbad-1,s1,tomorrow\n' > "$T/bad.csv"
like "$($CTL device import dev "$T/bad.csv" 2>&1)" "line 2: notAfter must be YYYY-MM-DDThh:mm:ssZ" \
	"a bad notAfter is refused"

# quoted fields (RFC 4180), columns in another order
printf 'uses,san,reference,secret\n2,"DNS:q.example,IP:192.0.2.7",quoted-1,"se,""cret"\n' > "$T/quoted.csv"
ok "import with quoted fields" $CTL device import dev "$T/quoted.csv"
is "$(t_api GET "/cmpProfiles/$DEV/devices/quoted-1")" 200 "API: show"
is "$(t_json '[j["san"], j["uses"], j["usesLeft"], j["subject"]]')" \
	'["DNS:q.example,IP:192.0.2.7", 2, 2, null]' "API: the quoted san and uses as imported"

# ------------------------------------------------ a page at a time
# keyset paging: limit entries whose reference sorts after "after"
page_refs() { t_json '[d["reference"] for d in j]'; }
is "$(t_api GET "/cmpProfiles/$DEV/devices?limit=3")" 200 "API: limit"
is "$(page_refs)" '["dev-0001", "dev-0002", "dev-0003"]' "API: the first 3 by reference"
is "$(t_api GET "/cmpProfiles/$DEV/devices?after=dev-0998&limit=5")" 200 "API: after"
is "$(page_refs)" '["dev-0999", "dev-1000", "quoted-1"]' "API: those after the reference, at most limit"
is "$(t_api GET "/cmpProfiles/$DEV/devices?after=quoted-1")" 200 "API: after the last one"
is "$(t_json 'len(j)')" 0 "API: an empty page"
is "$(t_api GET "/cmpProfiles/$DEV/devices?state=active&after=dev-0500&limit=2")" 200 \
	"API: state, after and limit together"
is "$(page_refs)" '["dev-0501", "dev-0502"]' "API: the page of that state"
# every entry once over pages of 400: 1001 = 400 + 400 + 201
after= n=0 pages=
while :; do
	t_api GET "/cmpProfiles/$DEV/devices?limit=400${after:+&after=$after}" > /dev/null
	k=$(t_json 'len(j)')
	[ "$k" = 0 ] && break
	pages="$pages $k"
	n=$((n + k))
	after=$(t_json 'j[-1]["reference"]')
	[ "$n" -gt 2000 ] && break
done
is "$pages" " 400 400 201" "API: three pages of at most 400"
is "$n" 1001 "API: all 1001 entries paged through"
is "$(t_api GET "/cmpProfiles/$DEV/devices?limit=0")" 422 "API: limit 0 refused"
is "$(t_json 'j["message"]')" "limit must be 1 to 1000" "says so"
is "$(t_api GET "/cmpProfiles/$DEV/devices?limit=1001")" 422 "API: limit 1001 refused"
is "$(t_json 'j["message"]')" "limit must be 1 to 1000" "says so"
is "$(t_api GET "/cmpProfiles/$DEV/devices?limit=ten")" 422 "API: a limit that is no number refused"
is "$(t_api GET "/cmpProfiles/$DEV/devices?after=a%2Fb")" 422 "API: an after that is no reference refused"
is "$(t_json 'j["message"]')" "after must be a reference: 1 to 128 characters of A-Z a-z 0-9 - . _ ~" "says so"
is "$(t_api GET "/cmpProfiles/$DEV/devices?after=")" 422 "API: an empty after refused"
is "$($CTL device list dev after=dev-0990 limit=3 | python3 -c 'import json,sys; print([d["reference"] for d in json.load(sys.stdin)])')" \
	"['dev-0991', 'dev-0992', 'dev-0993']" "cmpctl: device list after= limit="
like "$($CTL device list dev limit=0 2>&1)" "limit must be 1 to 1000" "cmpctl: the API's refusal shown"
nok "cmpctl: an unknown list word" $CTL device list dev first=3
# the page is a range scan of the unique (cmp_profile_uuid, reference)
# index from (profile, after) on, in its order, stopping at the limit: no
# sort, no reading of the entries before "after" (the list's own query)
PAGE_SQL="SELECT d.uuid, d.reference, d.subject, d.uses_left, CASE WHEN (d.locked AND (d.locked_until IS NULL OR d.locked_until > UTC_TIMESTAMP(6))) THEN 'locked'
	WHEN d.uses_left <= 0 THEN 'used' WHEN d.not_after IS NOT NULL AND d.not_after < UTC_TIMESTAMP(6)
	THEN 'expired' ELSE 'active' END AS state FROM cmp_device d
	WHERE d.cmp_profile_uuid >= '$DEV' AND d.cmp_profile_uuid <= '$DEV' AND d.reference > 'dev-0500'
	AND ('' = '' OR CASE WHEN (d.locked AND (d.locked_until IS NULL OR d.locked_until > UTC_TIMESTAMP(6))) THEN 'locked' WHEN d.uses_left <= 0 THEN 'used' ELSE 'active' END = '')
	ORDER BY d.cmp_profile_uuid, d.reference LIMIT 5"
t_sql "EXPLAIN $PAGE_SQL" > "$T/explain.txt"
diag "EXPLAIN: $(tr '\t\n' '  ' < "$T/explain.txt")"
is "$(cut -f6 "$T/explain.txt")" cmp_device_ref "EXPLAIN: the (cmp_profile_uuid, reference) index"
is "$(cut -f4,7 "$T/explain.txt" | tr '\t' ' ')" "range 658" "EXPLAIN: a range of both key parts"
nok "EXPLAIN: no filesort" grep -q filesort "$T/explain.txt"
t_sql "FLUSH STATUS; $PAGE_SQL; SHOW SESSION STATUS WHERE Variable_name IN
	('Handler_read_key', 'Handler_read_next', 'Handler_icp_attempts')" > "$T/handler.txt"
diag "a page of 5 after dev-0500: $(grep Handler "$T/handler.txt" | tr '\t\n' '= ')"
is "$(awk '$1 == "Handler_read_next" || $1 == "Handler_icp_attempts" { n += $2 } END { print (n < 20) }' \
	"$T/handler.txt")" 1 "a page of 5 in the middle reads about 5 index entries, not the 500 before it"

# ------------------------------------------------ every device of dev2 enrols once
# libcrypto's CMP client (t/cmpload), one enrolment per CSV line: each
# device with its own reference, secret and bound subject, certConf included
t0=$(date +%s%N)
"$top_builddir/t/cmpload" -c 4 -d 600 --msg-timeout 60 \
	-u "$HTTP_BASE/api/v1/protocols/cmp/dev2" --devices "$T/dev2.csv" \
	--recipient cmpd -o "$T/dev2.certs" > "$T/dev2.load"
is "$?" 0 "cmpload: the 1000 devices of dev2 enrol, each with its own secret"
diag "1000 device enrolments: $(( ($(date +%s%N) - t0) / 1000000 )) ms; $(tr '\n' ' ' < "$T/dev2.load")"
is "$(sed -n 's/^ok=//p' "$T/dev2.load")" 1000 "cmpload: 1000 enrolments confirmed"
is "$(wc -l < "$T/dev2.certs")" 1000 "1000 certificates delivered"
is "$(t_sql "SELECT COUNT(DISTINCT c.subject_dn) FROM cmp_transaction t
	JOIN certificate c ON c.uuid = t.certificate_uuid
	WHERE t.cmp_profile_uuid = '$DEV2' AND t.state = 'confirmed'")" 1000 \
	"1000 confirmed transactions, one per device subject"
is "$(t_api GET "/cmpProfiles/$DEV2/devices")" 200 "API: dev2's list"
is "$(t_json 'sorted(set(d["state"] for d in j))')" '["used"]' "API: every dev2 entry is used"
"$top_builddir/t/cmpload" -c 2 -d 120 --msg-timeout 60 --unprotected-errors \
	-u "$HTTP_BASE/api/v1/protocols/cmp/dev2" --devices "$T/dev2.csv" -n 20 \
	--recipient cmpd > "$T/dev2-again.load"
diag "second round: $(tr '\n' ' ' < "$T/dev2-again.load")"
is "$(sed -n 's/^ok=//p' "$T/dev2-again.load")" 0 "a second round: no device enrols again"
is "$(sed -n 's/^fail.badMessageCheck=//p' "$T/dev2-again.load")" 20 \
	"... each refused with badMessageCheck"

# ------------------------------------------------ a sample enrols once each
n=0
for i in $(seq 1 53 1000); do
	ref=$(printf 'dev-%04d' "$i")
	sec=$(sed -n "$((i + 1))p" "$T/dev.csv" | cut -d, -f2)
	client /api/v1/protocols/cmp/dev -ref "$ref" -secret "pass:$sec" \
		-subject "/CN=$ref" -certout "$T/$ref.crt" && n=$((n + 1))
done
is "$n" 19 "19 devices spread over the file enrolled with their own secrets"
ok "a device certificate verifies" openssl verify -CAfile "$CA/root.crt" \
	-untrusted "$CA/ca.crt" "$T/dev-0054.crt"
like "$(openssl x509 -in "$T/dev-0054.crt" -noout -subject)" "CN *= *dev-0054" "subject as bound"
# certConf verified with the device's secret after its entry was used
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
	WHERE c.subject_dn LIKE 'CN=dev-%' AND t.state = 'confirmed'")" 19 "all 19 confirmed by certConf"
is "$(t_api GET "/cmpProfiles/$DEV/devices?state=used")" 200 "API: list by state"
is "$(t_json 'len(j)')" 19 "API: 19 used"
is "$(state $DEV dev-0054)" used "API: the entry shows used"
is "$(t_json 'j["usesLeft"]')" 0 "API: no use left"
like "$(t_json 'j["lastUsedAt"]')" "^20" "API: last use recorded"

# ------------------------------------------------ refusals, one text
S2=$(sed -n 3p "$T/dev.csv" | cut -d, -f2)	# dev-0002
S54=$(sed -n 55p "$T/dev.csv" | cut -d, -f2)	# dev-0054
refused "second enrolment with a used entry" dev -ref dev-0054 -secret "pass:$S54" -subject /CN=dev-0054
refused "wrong secret" dev -ref dev-0002 -secret pass:wrong -subject /CN=dev-0002
is "$(state $DEV dev-0002)" active "one wrong MAC does not lock"
is "$(t_json 'j["failedMacs"]')" 1 "but is counted"
# counted once the answer has left: a reference without an entry writes
# nothing, and a write before the answer would tell by its time which
# references exist. With the entry's row held by another session for 8
# s, a wrong MAC is answered within 4 s, and counted once the row is free.
D2="cmp_device d JOIN cmp_profile p ON p.uuid = d.cmp_profile_uuid
  WHERE p.name = 'dev' AND d.reference = 'dev-0002'"
failed_is() { [ "$(t_sql "SELECT d.failed_macs FROM $D2")" = "$1" ]; }
t_sql "START TRANSACTION; SELECT 1 FROM $D2 FOR UPDATE; DO SLEEP(8); COMMIT" > /dev/null &
lockpid=$!
sleep 1
nok "a wrong MAC while the entry's row is held elsewhere: refused" \
	client /api/v1/protocols/cmp/dev -ref dev-0002 -secret pass:wrong-held \
	-subject /CN=dev-0002 -certout "$T/refused.crt" -unprotected_errors -msg_timeout 4
like "$(cat "$T/client.out")" "$MACFAIL" "... answered before its count is written"
wait $lockpid
t_wait 10 failed_is 2
is "$(t_sql "SELECT d.failed_macs FROM $D2")" 2 "... and counted once the row is free"
refused "unknown reference (no profile secret)" dev -ref nobody -secret pass:whatever -subject /CN=nobody
refused "a reference no entry can have" dev -ref "dev 0003" -secret pass:whatever -subject /CN=nobody
nok "no senderKID at all: refused" client /api/v1/protocols/cmp/dev -unprotected_errors \
	-certout "$T/refused.crt" -secret pass:whatever -subject /CN=nobody
like "$(cat "$T/client.out")" "PN=dev \| senderKID is required with MAC protection" \
	"no senderKID at all: as before devices"
is "$(t_api POST "/cmpProfiles/$DEV/devices" \
	'{"reference":"old-1","secret":"old-secret","notAfter":"2020-01-01T00:00:00Z"}')" 201 "API: add an expired entry"
is "$(t_json 'j["state"]')" expired "API: shown expired"
refused "expired entry, right secret" dev -ref old-1 -secret pass:old-secret -subject /CN=x
# locked after device_mac_failures_max (3) wrong MACs
for k in 2 3; do
	client /api/v1/protocols/cmp/dev -ref dev-0002 -secret pass:wrong$k -subject /CN=dev-0002 \
		-certout "$T/refused.crt"
done
is "$(state $DEV dev-0002)" locked "locked after 3 wrong MACs"
is "$(t_json 'j["failedMacs"]')" 3 "3 counted"
refused "locked entry, right secret" dev -ref dev-0002 -secret "pass:$S2" -subject /CN=dev-0002

# ------------------------------------------------ constraints
S3=$(sed -n 4p "$T/dev.csv" | cut -d, -f2)	# dev-0003
nok "subject mismatch: refused" client /api/v1/protocols/cmp/dev -ref dev-0003 \
	-secret "pass:$S3" -subject /CN=someone-else -certout "$T/refused.crt"
like "$(cat "$T/client.out")" "badCertTemplate" "subject mismatch: badCertTemplate"
like "$(cat "$T/client.out")" "PN=dev \| the requested subject does not match the device entry's" \
	"subject mismatch: CMPF_DEVICE_TEMPLATE text"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_DEVICE_TEMPLATE" "logged"
is "$(state $DEV dev-0003)" active "the entry keeps its use"
nok "the right subject and a subjectAltName the entry does not name: refused" \
	client /api/v1/protocols/cmp/dev -ref dev-0003 -secret "pass:$S3" -subject /CN=dev-0003 \
	-sans www.example.com -certout "$T/refused.crt"
like "$(cat "$T/client.out")" "PN=dev \| the requested subjectAltName does not match the device entry's" \
	"... an entry with a subject and no san allows no subjectAltName"
is "$(state $DEV dev-0003)" active "the entry keeps its use"
ok "the right subject enrols" client /api/v1/protocols/cmp/dev -ref dev-0003 \
	-secret "pass:$S3" -subject /CN=dev-0003 -certout "$T/d3.crt"

printf 'san-secret' > "$T/san.secret"
ok "cmpctl: add an entry with a SAN constraint" $CTL device add dev reference=san-1 \
	secret=@"$T/san.secret" subject=/CN=san-1 'san=DNS:a.example,DNS:b.example' uses:=2
nok "cmpctl: a secret on the command line is refused" $CTL device add dev reference=san-2 secret=cleartext
nok "SAN missing one name: refused" client /api/v1/protocols/cmp/dev -ref san-1 \
	-secret pass:san-secret -subject /CN=san-1 -sans a.example -certout "$T/refused.crt"
like "$(cat "$T/client.out")" "the requested subjectAltName does not match the device entry's" \
	"SAN mismatch: CMPF_DEVICE_TEMPLATE text"
ok "the same SAN set, other order: enrols" client /api/v1/protocols/cmp/dev -ref san-1 \
	-secret pass:san-secret -subject /CN=san-1 -sans "b.example a.example" -certout "$T/san1.crt"
is "$(state $DEV san-1)" active "uses 2: still active after one"
ok "second use" client /api/v1/protocols/cmp/dev -ref san-1 \
	-secret pass:san-secret -subject /CN=san-1 -sans "a.example b.example" -certout "$T/san2.crt"
is "$(state $DEV san-1)" used "used after two"

# ------------------------------------------------ two concurrent requests
S5=$(sed -n 6p "$T/dev.csv" | cut -d, -f2)	# dev-0005
for k in a b; do
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/dev -recipient /CN=cmpd -msg_timeout 20 \
		-newkey "$T/dev.key" -ref dev-0005 -secret "pass:$S5" -subject /CN=dev-0005 \
		-certout "$T/conc-$k.crt" > "$T/conc-$k.out" 2>&1 &
	eval "conc_$k=\$!"
done
wait "$conc_a" "$conc_b"
is "$(ls "$T"/conc-*.crt 2>/dev/null | wc -l)" 1 "two concurrent requests, one entry: one certificate"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=dev-0005'")" 1 "one issued"

# ------------------------------------------------ one use per certificate
# an ir of two CertReqMsgs asks for two certificates: a single-use entry
# is refused (its use kept), one with two uses issues both and is used
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"multi-1","secret":"multi-secret"}')" 201 \
	"API: a single-use entry without constraints"
multi() {	# multi TID: an ir of two CertReqMsgs from multi-1, its answer's dump
	"$top_builddir/t/cmptool" edit "$T_FIXTURES/ir-pbm.der" "$T/ir-multi.der" tid="$1" addreq=1 \
		"senderKID=$(printf multi-1 | od -An -tx1 | tr -d ' \n')" remac=multi-secret ||
		bail "cmptool edit failed"
	t_post "$T/ir-multi.der" /api/v1/protocols/cmp/dev > /dev/null
	"$top_builddir/t/cmptool" dump "$T/resp.der"
}
like "$(multi 00112233445566778899aabbccdd4001)" "failInfo=badMessageCheck" \
	"two certificates asked of a single-use entry: refused"
is "$(t_api GET "/cmpProfiles/$DEV/devices/multi-1")" 200 "API: the entry"
is "$(t_json '[j["usesLeft"], j["state"]]')" '[1, "active"]' "... its use kept"
# a header refused (an ir with a recipNonce): answered under the entry's
# MAC, which verified, and the entry's use kept
"$top_builddir/t/cmptool" edit "$T_FIXTURES/ir-pbm.der" "$T/ir-rn.der" tid=00112233445566778899aabbccdd4003 \
	recipNonce=00112233445566778899aabbccdd4003 \
	"senderKID=$(printf multi-1 | od -An -tx1 | tr -d ' \n')" remac=multi-secret || bail "cmptool edit failed"
t_post "$T/ir-rn.der" /api/v1/protocols/cmp/dev > /dev/null
like "$("$top_builddir/t/cmptool" dump "$T/resp.der")" "failInfo=badRecipientNonce" \
	"an ir with a recipNonce, MAC'd with the entry's secret: refused"
like "$("$top_builddir/t/cmptool" dump "$T/resp.der")" "protected=1" "... under a MAC"
is "$(t_api GET "/cmpProfiles/$DEV/devices/multi-1")" 200 "API: the entry"
is "$(t_json '[j["usesLeft"], j["state"]]')" '[1, "active"]' "... its use kept"
is "$(t_api PATCH "/cmpProfiles/$DEV/devices/multi-1" '{"uses":2}')" 200 "API: two uses"
like "$(multi 00112233445566778899aabbccdd4002)" "body=ip" "the same ir with two uses left: ip"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id = UNHEX('00112233445566778899aabbccdd4002')
	AND certificate_uuid IS NOT NULL")" 2 "... two certificates issued"
is "$(t_api GET "/cmpProfiles/$DEV/devices/multi-1")" 200 "API: the entry"
is "$(t_json '[j["usesLeft"], j["state"]]')" '[0, "used"]' "... both uses spent"

# an ir sent to another operation's label (RFC 9811 3.3): refused once
# its MAC verified, and the entry's use kept
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"lbl-1","secret":"lbl-secret"}')" 201 \
	"API: a single-use entry"
nok "an ir to /certification: refused" client /.well-known/cmp/p/dev/certification \
	-unprotected_errors -ref lbl-1 -secret pass:lbl-secret -subject /CN=lbl-1 -certout "$T/lbl.crt"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_LABEL_MISMATCH" "... as sent to another label"
is "$(t_api GET "/cmpProfiles/$DEV/devices/lbl-1")" 200 "API: the entry"
is "$(t_json '[j["usesLeft"], j["state"]]')" '[1, "active"]' "... its use kept"
ok "the same to /initialization: enrolled" client /.well-known/cmp/p/dev/initialization \
	-ref lbl-1 -secret pass:lbl-secret -subject /CN=lbl-1 -certout "$T/lbl.crt"

# ------------------------------------------------ profileSecretFallback
SECRET_ENR="-ref $ENROLL_REF -secret pass:$ENROLL_SECRET"
is "$(t_api GET "/cmpProfiles/$ENR")" 200 "API: profile"
is "$(t_json 'j["profileSecretFallback"]')" true "profileSecretFallback true by default"
printf 'enr-dev-secret' > "$T/enr.secret"
ok "cmpctl: a device entry on the profile with a secret" $CTL device add enroll \
	reference=enr-dev secret=@"$T/enr.secret"
ok "profile secret still works beside devices" client /api/v1/protocols/cmp/enroll \
	$SECRET_ENR -subject /CN=fallback-1 -certout "$T/fb1.crt"
ok "the device entry works on that profile" client /api/v1/protocols/cmp/enroll \
	-ref enr-dev -secret pass:enr-dev-secret -subject /CN=enr-dev -certout "$T/ed.crt"
refused "the profile's secret under a device's reference" enroll -ref enr-dev \
	-secret "pass:$ENROLL_SECRET" -subject /CN=x
is "$(t_api PUT "/cmpProfiles/$ENR" '{"profileSecretFallback":false}')" 200 "API: fallback off"
is "$(t_json 'j["profileSecretFallback"]')" false "API: shown"
refused "profile secret, fallback off" enroll $SECRET_ENR -subject /CN=fallback-2
ok "cmpctl sets it back" $CTL profile edit enroll profileSecretFallback:=true
ok "profile secret, fallback on again" client /api/v1/protocols/cmp/enroll \
	$SECRET_ENR -subject /CN=fallback-3 -certout "$T/fb3.crt"

# ------------------------------------------------ edit in place (PATCH)
PD=/cmpProfiles/$DEV/devices
RO_KEY=$(t_api_key reader2 read)
# uses: the new total; usesLeft = uses - enrolments made, at least 0
is "$(t_api PATCH "$PD/dev-0054" '{"uses":2}')" 200 "API: a used single-use entry given uses 2"
is "$(t_json '[j["uses"], j["usesLeft"], j["state"]]')" '[2, 1, "active"]' "one use left, active"
ok "and it enrols again" client /api/v1/protocols/cmp/dev -ref dev-0054 -secret "pass:$S54" \
	-subject /CN=dev-0054 -certout "$T/d54b.crt"
is "$(state $DEV dev-0054)" used "used again after that"
is "$(t_api PATCH "$PD/quoted-1" '{"uses":5}')" 200 "API: an unused entry given uses 5"
is "$(t_json '[j["uses"], j["usesLeft"]]')" '[5, 5]' "5 left"
is "$(t_api PATCH "$PD/san-1" '{"uses":1}')" 200 "API: fewer uses than made (2 made, uses 1)"
is "$(t_json '[j["uses"], j["usesLeft"], j["state"]]')" '[1, 0, "used"]' "none left, not below 0"
# unlock
is "$(t_api PATCH "$PD/dev-0002" '{"unlock":true}' "$RO_KEY")" 403 "API: the read role cannot PATCH"
is "$(state $DEV dev-0002)" locked "still locked"
ok "cmpctl device unlock" $CTL device unlock dev dev-0002
is "$(state $DEV dev-0002)" active "unlocked: active"
is "$(t_json 'j["failedMacs"]')" 0 "the wrong MACs forgotten"
ok "the unlocked entry enrols" client /api/v1/protocols/cmp/dev -ref dev-0002 -secret "pass:$S2" \
	-subject /CN=dev-0002 -certout "$T/d2.crt"
# a new secret
S4=$(sed -n 5p "$T/dev.csv" | cut -d, -f2)	# dev-0004
printf 'renewed-secret-4\n' > "$T/new4.secret"
ok "cmpctl device update: a new secret" $CTL device update dev dev-0004 secret=@"$T/new4.secret"
refused "the old secret after the change" dev -ref dev-0004 -secret "pass:$S4" -subject /CN=dev-0004
ok "the new secret enrols" client /api/v1/protocols/cmp/dev -ref dev-0004 \
	-secret pass:renewed-secret-4 -subject /CN=dev-0004 -certout "$T/d4.crt"
like "$(t_sql "SELECT detail FROM audit WHERE action = 'updateDevice' AND detail LIKE '%dev-0004%'")" \
	'"secret": *"\(set\)"' "audit says (set) for the new secret"
# notAfter: in the past = expired; null = never
S6=$(sed -n 7p "$T/dev.csv" | cut -d, -f2)	# dev-0006
is "$(t_api PATCH "$PD/dev-0006" '{"notAfter":"2021-06-30T00:00:00Z"}')" 200 "API: notAfter in the past"
is "$(t_json '[j["notAfter"], j["state"]]')" '["2021-06-30T00:00:00Z", "expired"]' "expired"
refused "an entry expired by PATCH" dev -ref dev-0006 -secret "pass:$S6" -subject /CN=dev-0006
is "$(t_api PATCH "$PD/dev-0006" '{"notAfter":null}')" 200 "API: notAfter null"
is "$(t_json '[j["notAfter"], j["state"]]')" '[null, "active"]' "no expiry: active again"
# a constraint cleared, another set, with cmpctl
S7=$(sed -n 8p "$T/dev.csv" | cut -d, -f2)	# dev-0007
ok "cmpctl device update: subject:=null san=..." $CTL device update dev dev-0007 subject:=null \
	san=DNS:seven.example
is "$(t_api GET "$PD/dev-0007")" 200 "API: show"
is "$(t_json '[j["subject"], j["san"]]')" '[null, "DNS:seven.example"]' "subject cleared, san set"
nok "the new san constraint holds" client /api/v1/protocols/cmp/dev -ref dev-0007 -secret "pass:$S7" \
	-subject /CN=another-name -certout "$T/refused.crt"
like "$(cat "$T/client.out")" "the requested subjectAltName does not match the device entry's" \
	"refused by the san"
ok "any subject with that san" client /api/v1/protocols/cmp/dev -ref dev-0007 -secret "pass:$S7" \
	-subject /CN=another-name -sans seven.example -certout "$T/d7.crt"
# refusals: the texts of create
patch_refused() {	# patch_refused DESC BODY STATUS MESSAGE [REF]
	is "$(t_api PATCH "$PD/${5-dev-0008}" "$2")" "$3" "API PATCH: $1 refused"
	is "$(t_json 'j["message"]')" "$4" "API PATCH: $1: says so"
}
patch_refused "an empty body" '{}' 422 "nothing to change: give secret, subject, san, notAfter, uses or unlock"
patch_refused "unlock false alone" '{"unlock":false}' 422 \
	"nothing to change: give secret, subject, san, notAfter, uses or unlock"
patch_refused "an empty secret" '{"secret":""}' 422 "secret must be 1 to 256 bytes"
patch_refused "a null secret" '{"secret":null}' 422 "secret must be 1 to 256 bytes"
patch_refused "a bad san" '{"san":"FOO:bar"}' 422 \
	"san must be a list of DNS:, IP:, email: or URI: names separated by commas"
patch_refused "a bad subject" '{"subject":"no name"}' 422 "subject is not a distinguished name"
patch_refused "a bad notAfter" '{"notAfter":"tomorrow"}' 422 "notAfter must be YYYY-MM-DDThh:mm:ssZ"
# a day the calendar lacks would be no limit at all (MariaDB's STR_TO_DATE
# makes NULL of it)
patch_refused "notAfter on 31 June" '{"notAfter":"2026-06-31T00:00:00Z"}' 422 \
	"notAfter must be YYYY-MM-DDThh:mm:ssZ"
patch_refused "notAfter on 29 February of a common year" '{"notAfter":"2027-02-29T12:00:00Z"}' 422 \
	"notAfter must be YYYY-MM-DDThh:mm:ssZ"
is "$(t_sql "SELECT COALESCE(not_after, 'none') FROM cmp_device WHERE reference = 'dev-0008'")" none \
	"... the entry's notAfter as it was"
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"leap-1","secret":"x","notAfter":"2028-02-29T23:59:59Z"}')" \
	201 "API POST: notAfter on 29 February of a leap year"
is "$(t_json 'j["notAfter"]')" 2028-02-29T23:59:59Z "... kept"
printf 'reference,secret,notAfter\nbad-2,s1,2026-04-31T00:00:00Z\n' > "$T/bad-day.csv"
like "$($CTL device import dev "$T/bad-day.csv" 2>&1)" "line 2: notAfter must be YYYY-MM-DDThh:mm:ssZ" \
	"CSV: notAfter on 31 April refused"
is "$(t_sql "SELECT COUNT(*) FROM cmp_device WHERE reference = 'bad-2'")" 0 "... nothing stored"
patch_refused "uses 0" '{"uses":0}' 400 "uses must be between 1 and 1000000"
patch_refused "a reference" '{"reference":"other"}' 400 "unknown field reference"
patch_refused "unlock not a boolean" '{"unlock":"yes"}' 400 "unlock must be true or false"
patch_refused "a body that is no object" '[1]' 400 "the body must be a JSON object"
patch_refused "an unknown entry" '{"uses":2}' 404 "device nobody not found" nobody
is "$(t_api PATCH "/cmpProfiles/00000000-0000-4000-8000-0000000000ff/devices/dev-0008" '{"uses":2}')" 404 \
	"API PATCH: an unknown CMP Profile"
is "$(t_json 'j["message"]')" "CMP Profile 00000000-0000-4000-8000-0000000000ff not found" "says so"
is "$(t_api GET "$PD/dev-0008")" 200 "API: the refused entry"
is "$(t_json '[j["uses"], j["usesLeft"], j["subject"], j["san"], j["notAfter"]]')" \
	'[1, 1, "/CN=dev-0008", null, null]' "unchanged by the refusals"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE object_type = 'cmpDevice' AND action = 'updateDevice'")" 9 \
	"each change audited (action updateDevice)"
like "$(t_sql "SELECT detail FROM audit WHERE action = 'updateDevice' AND detail LIKE '%dev-0002%'")" \
	'"unlock": *true' "the unlock audited"
# ------------------------------------------------ follow-ups: the same credential
# A transaction begun with a device entry's secret is continued with that
# entry's secret only: not with the profile's secret under the entry's
# reference once the entry is gone (enroll here without a
# sharedSecretReference: its secret goes with any senderKID), nor with
# the secret of an entry made anew under that reference; and one begun
# with the profile's secret not by an entry made later under its
# senderKID. Each would confirm, reject or collect a certificate the
# device was issued.
is "$(t_api PUT "/cmpProfiles/$ENR" '{"sharedSecretReference":null}')" 200 \
	"API: enroll's secret with any senderKID"
hexkid() { printf %s "$1" | od -An -tx1 | tr -d ' \n'; }
# ir_by TID REF SECRET: an ir to enroll under senderKID REF, MAC'd with
# SECRET; prints its answer's body, which stays in $T/ip-TID.der
ir_by() {
	"$top_builddir/t/cmptool" edit "$T_FIXTURES/ir-pbm.der" "$T/ir-fu.der" tid="$1" \
		"senderKID=$(hexkid "$2")" remac="$3" || bail "cmptool edit failed"
	t_post "$T/ir-fu.der" /api/v1/protocols/cmp/enroll > /dev/null
	cp "$T/resp.der" "$T/ip-$1.der"
	"$top_builddir/t/cmptool" dump "$T/resp.der" | grep '^body='
}
# cc_by TID SECRET [error]: that answer's certConf (or error), MAC'd with
# SECRET under the ir's senderKID; prints the dump of cmpd's answer
cc_by() {
	"$top_builddir/t/cmptool" certconf "$T/ip-$1.der" "$T/cc-$1.der" "$2" ${3:+"$3"} ||
		bail "cmptool certconf failed"
	t_post "$T/cc-$1.der" /api/v1/protocols/cmp/enroll > /dev/null
	"$top_builddir/t/cmptool" dump "$T/resp.der"
}
txstate() { t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$1')"; }
NOTREQ="only the requester of the transaction may continue it"
TX1=00112233445566778899aabbccdd5001
TX2=00112233445566778899aabbccdd5002
TX3=00112233445566778899aabbccdd5003
TX4=00112233445566778899aabbccdd5004
TX5=00112233445566778899aabbccdd5005
fu_add() {	# fu_add REF SECRET
	is "$(t_api POST "/cmpProfiles/$ENR/devices" "{\"reference\":\"$1\",\"secret\":\"$2\"}")" 201 \
		"API: entry $1"
}
fu_add fu-1 fu-secret-1
is "$(ir_by $TX1 fu-1 fu-secret-1)" body=ip "entry fu-1: ip"
is "$(t_api DELETE "/cmpProfiles/$ENR/devices/fu-1")" 204 "API: fu-1 deleted"
like "$(cc_by $TX1 "$ENROLL_SECRET")" "$NOTREQ" \
	"fu-1 gone: the profile's secret under fu-1 does not confirm its certificate"
like "$(cc_by $TX1 "$ENROLL_SECRET" error)" "$NOTREQ" "... nor ends its transaction"
is "$(txstate $TX1)" confirm_wait "... which still waits for fu-1's certConf"
fu_add fu-2 fu-secret-2
is "$(ir_by $TX2 fu-2 fu-secret-2)" body=ip "entry fu-2: ip"
is "$(t_api DELETE "/cmpProfiles/$ENR/devices/fu-2")" 204 "API: fu-2 deleted"
fu_add fu-2 fu-secret-2b
like "$(cc_by $TX2 fu-secret-2b)" "$NOTREQ" \
	"a new entry under fu-2's reference does not confirm the old one's certificate"
like "$(cc_by $TX2 fu-secret-2b error)" "$NOTREQ" "... nor ends its transaction"
is "$(txstate $TX2)" confirm_wait "... which still waits"
is "$(ir_by $TX3 fu-3 "$ENROLL_SECRET")" body=ip "the profile's secret under senderKID fu-3: ip"
fu_add fu-3 fu-secret-3
like "$(cc_by $TX3 fu-secret-3)" "$NOTREQ" \
	"an entry made later under fu-3 does not confirm that certificate"
is "$(txstate $TX3)" confirm_wait "... which still waits"
fu_add fu-4 fu-secret-4
is "$(ir_by $TX4 fu-4 fu-secret-4)" body=ip "entry fu-4: ip"
like "$(cc_by $TX4 fu-secret-4)" "body=pkiconf" "fu-4's certConf with its secret: pkiConf"
is "$(txstate $TX4)" confirmed "... confirmed"
is "$(ir_by $TX5 fu-5 "$ENROLL_SECRET")" body=ip "the profile's secret under senderKID fu-5: ip"
like "$(cc_by $TX5 "$ENROLL_SECRET")" "body=pkiconf" "its certConf with the profile's secret: pkiConf"
is "$(txstate $TX5)" confirmed "... confirmed"
is "$(t_api PUT "/cmpProfiles/$ENR" "{\"sharedSecretReference\":\"$ENROLL_REF\"}")" 200 \
	"API: enroll's reference back"

printf '%s\n' renewed-secret-4 >> "$T/secrets.txt"

# ------------------------------------------------ API checks and delete
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"a/b","secret":"x"}')" 422 "bad reference refused"
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"dev-0001","secret":"x"}')" 409 "duplicate refused"
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"x1","secret":"x","san":"FOO:bar"}')" 422 "bad SAN refused"
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"x1","secret":"x","subject":"/CN=a","uses":0}')" 400 "uses 0 refused"
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"x1","sekret":"x"}')" 400 "unknown member refused"
is "$(t_api GET "/cmpProfiles/$DEV/devices/nobody")" 404 "unknown entry: 404"
is "$(t_api POST "/cmpProfiles/$DEV/devices" '{"reference":"x1","secret":"x"}' "$(t_api_key reader read)")" 403 \
	"read role cannot add"
ok "cmpctl: delete" $CTL device delete dev dev-0999
is "$(t_api GET "/cmpProfiles/$DEV/devices/dev-0999")" 404 "deleted"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE object_type = 'cmpDevice' AND action = 'delete'")" 3 \
	"each delete audited (fu-1, fu-2, dev-0999)"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE object_type = 'cmpDevice' AND action = 'import'")" 3 \
	"each import audited once"
like "$(t_sql "SELECT detail FROM audit WHERE object_type = 'cmpDevice' AND action = 'create' LIMIT 1")" \
	'"secret": *"\(set\)"' "audit says (set)"

# ------------------------------------------------ no secret anywhere
t_sql "SELECT detail FROM audit" > "$T/audit.txt"
printf '%s\n' san-secret enr-dev-secret old-secret >> "$T/secrets.txt"
$CTL device list dev > "$T/ctl-list.json"
nok "no secret in the audit log" grep -qFf "$T/secrets.txt" "$T/audit.txt"
nok "no secret in cmpd's log" grep -qFf "$T/secrets.txt" "$T/cmpd.log"
nok "no secret in cmpctl's list" grep -qFf "$T/secrets.txt" "$T/ctl-list.json"
nok "no secret in the web server's logs" sh -c "cat '$T'/*lighttpd*.log 2>/dev/null | grep -qFf '$T/secrets.txt'"
done_testing
