#!/bin/sh
# The management API through lighttpd with curl: the whole life
# of a CMP Profile from an empty database to its force delete, enrolling
# with openssl cmp on the way; every validation rule of the reference;
# authentication and roles; secrets that never come back out.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "public_url = https://pki.example"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
plan_auto

ADMIN=$(t_api_key admin admin)
READ=$(t_api_key reader read)
API_KEY=$ADMIN
SECRET=Zq8-life-secret-never-shown
INST=00000000-0000-4000-8000-00000000e0a2
ALL=$T/all-answers.json
: > "$ALL"
# api METHOD PATH [JSON] [KEY]: t_api, keeping every answer for the
# secret check at the end
api() {
	local st
	st=$(t_api "$@")
	[ -f "$T/api.json" ] && cat "$T/api.json" >> "$ALL"
	printf '%s\n' "$st"
}
uuid() { t_json 'j["uuid"]'; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
# enrol PATH SUBJECT [args]: ir + certConf with the profile's secret
enrol() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path "$1" \
		-recipient /CN=cmpd -ref life-ref -secret "pass:$SECRET" \
		-newkey "$T/dev.key" -subject "$2" -certout "$T/out.crt" \
		-msg_timeout 20 -total_timeout 40 -unprotected_errors "${@:3}" \
		> "$T/client.out" 2>&1
}

# ------------------------------------------------------------ objects
is "$(api POST /connectors "{\"name\":\"localca\",\"url\":\"$CONNECTOR_BASE/localca\",\"authType\":\"basic\",\"insecure\":true,\"credentials\":$(t_localca_cred)}")" \
	201 "connector created"
CONN=$(uuid)
is "$(api POST /authorities "{\"name\":\"localca\",\"connectorUuid\":\"$CONN\",\"authorityInstanceUuid\":\"$INST\"}")" \
	201 "authority created"
AUTH=$(uuid)
is "$(api POST "/authorities/$AUTH/raProfiles" '{"name":"ra-a","enabled":true}')" 201 "RA Profile ra-a"
RA_A=$(uuid)
is "$(api POST "/authorities/$AUTH/raProfiles" '{"name":"ra-b","enabled":true}')" 201 "RA Profile ra-b"
RA_B=$(uuid)

is "$(api POST /cmpProfiles "{\"name\":\"life\",\"description\":\"lifecycle\",\"variant\":\"v2\",
	\"requestProtectionMethod\":\"sharedSecret\",\"responseProtectionMethod\":\"sharedSecret\",
	\"sharedSecret\":\"$SECRET\",\"sharedSecretReference\":\"life-ref\",\"raProfileUuid\":\"$RA_A\",
	\"issueCertificateAttributes\":[],\"confirmWaitTime\":120}")" 201 "CMP Profile created"
CP=$(uuid)
is "$(t_json 'j["enabled"]')" false "created disabled, as in the reference"
is "$(t_json 'j["cmpUrl"]')" "https://pki.example/api/v1/protocols/cmp/life" "cmpUrl from public_url"
is "$(t_json 'j["raProfile"]["name"]')" ra-a "default RA Profile"
is "$(t_json 'j["raProfile"]["authorityInstanceUuid"]')" "$INST" "with its authority instance"
is "$(t_json 'j["hasSharedSecret"]')" true "hasSharedSecret"
is "$(t_json '"sharedSecret" in j')" false "the secret is not in the answer"
is "$(t_json 'j["confirmWaitTime"]')" 120 "confirmWaitTime"
is "$(t_json 'j["requestProtectionMethod"] + "/" + j["responseProtectionMethod"]')" \
	sharedSecret/sharedSecret "protection methods"

nok "enrol while disabled" enrol /api/v1/protocols/cmp/life /CN=life-0
like "$(cat "$T/client.out")" "PN=life \\| CMP Profile is not enabled" "refused: CMP Profile is not enabled"
is "$(api PATCH "/cmpProfiles/$CP/enable")" 204 "enable"
ok "enrol once enabled" enrol /api/v1/protocols/cmp/life /CN=life-1
diag_file "$T/client.out" 3
ok "the certificate verifies" openssl verify -CAfile "$T/ca/root.crt" -untrusted "$T/ca/ca.crt" "$T/out.crt"
is "$(t_sql "SELECT r.name FROM certificate c JOIN ra_profile r ON r.uuid = c.ra_profile_uuid WHERE subject_dn = 'CN=life-1'")" \
	ra-a "issued through the default RA Profile"

# CMP on the RA Profiles (the RA-profile route)
is "$(api PATCH "/authorities/$AUTH/raProfiles/$RA_A/protocols/cmp/activate/$CP" '{"issueCertificateAttributes":[]}')" \
	200 "activate CMP on ra-a"
is "$(t_json 'j["cmpAvailable"]')" true "ra-a: cmpAvailable"
is "$(t_json 'j["cmpUrl"]')" "https://pki.example/api/v1/protocols/cmp/raProfile/ra-a" "ra-a: cmpUrl"
is "$(api PATCH "/authorities/$AUTH/raProfiles/$RA_B/protocols/cmp/activate/$CP")" 200 "activate CMP on ra-b"
ok "enrol through raProfile/ra-a" enrol /api/v1/protocols/cmp/raProfile/ra-a /CN=life-a

# a different default RA Profile
is "$(api PATCH "/cmpProfiles/$CP/raProfiles/$RA_B")" 204 "set default RA Profile ra-b"
is "$(api GET "/cmpProfiles/$CP")" 200 "get"
is "$(t_json 'j["raProfile"]["name"]')" ra-b "default RA Profile is ra-b"
ok "enrol through the new default" enrol /api/v1/protocols/cmp/life /CN=life-2
is "$(t_sql "SELECT r.name FROM certificate c JOIN ra_profile r ON r.uuid = c.ra_profile_uuid WHERE subject_dn = 'CN=life-2'")" \
	ra-b "issued through ra-b"
is "$(api PATCH "/cmpProfiles/$CP/raProfiles/00000000-0000-4000-8000-0000000000ff")" 404 "unknown RA Profile: 404"

# deactivate CMP on ra-a
is "$(api PATCH "/authorities/$AUTH/raProfiles/$RA_A/protocols/cmp/deactivate")" 204 "deactivate CMP on ra-a"
is "$(api GET "/authorities/$AUTH/raProfiles/$RA_A/protocols/cmp")" 200 "ra-a CMP state"
is "$(t_json 'j["cmpAvailable"]')" false "ra-a: CMP no longer available"
nok "enrol through raProfile/ra-a after deactivation" enrol /api/v1/protocols/cmp/raProfile/ra-a /CN=life-x
like "$(cat "$T/client.out")" "RA Profile does not contain associated CMP Profile" "refused with the reference's text"

# the authority's CA (its connector, its instance) does not change while
# that CA must still answer for something: a request the sweep may ask
# it about, a certificate to revoke through it (another CA would say it
# issued nothing, or refuse the revocation); its name does
AJSON() { printf '{"name":"%s","connectorUuid":"%s","authorityInstanceUuid":"%s"}' "$@"; }
read -r AN ACONN AINST <<EOF
$(t_sql "SELECT name, connector_uuid, authority_instance_uuid FROM authority WHERE uuid = '$AUTH'")
EOF
OTHER_INST=00000000-0000-4000-8000-0000000000aa
MOVED="authority $AN has requests or certificates its CA must still answer for (RA Profile ra-b): its connectorUuid and authorityInstanceUuid cannot change now"
t_sql "UPDATE cmp_transaction SET state = 'waiting', deadline = NOW(6) + INTERVAL 1 DAY
	WHERE ra_profile_uuid = '$RA_B' AND state = 'confirmed' ORDER BY created_at LIMIT 1"
is "$(api PUT "/authorities/$AUTH" "$(AJSON "$AN" "$ACONN" "$OTHER_INST")")" 409 \
	"another CA for the authority while a request waits for it: 409"
is "$(t_json 'j["message"]')" "$MOVED" "... saying why"
is "$(t_sql "SELECT authority_instance_uuid FROM authority WHERE uuid = '$AUTH'")" "$AINST" "... unchanged"
is "$(api PUT "/authorities/$AUTH" "$(AJSON "$AN-renamed" "$ACONN" "$AINST")")" 200 "a new name meanwhile: 200"
t_sql "UPDATE cmp_transaction SET state = 'confirmed' WHERE ra_profile_uuid = '$RA_B' AND state = 'waiting'"
CU=$(t_sql "SELECT uuid FROM certificate WHERE ra_profile_uuid = '$RA_B' AND status = 'issued' LIMIT 1")
t_sql "UPDATE certificate SET status = 'revoke_pending', revoke_after = NOW(6) + INTERVAL 1 DAY WHERE uuid = '$CU'"
is "$(api PUT "/authorities/$AUTH" "$(AJSON "$AN" "$ACONN" "$OTHER_INST")")" 409 \
	"... or while a certificate is owed its revocation through it: 409"
is "$(t_json 'j["message"]')" "$MOVED" "... saying why"
t_sql "UPDATE certificate SET status = 'issued', revoke_after = NULL WHERE uuid = '$CU'"
is "$(api PUT "/authorities/$AUTH" "$(AJSON "$AN" "$ACONN" "$OTHER_INST")")" 200 "nothing owed: another instance, 200"
is "$(api PUT "/authorities/$AUTH" "$(AJSON "$AN" "$ACONN" "$AINST")")" 200 "... and back"

# a second profile for the bulk calls
# a second profile for the bulk calls
is "$(api POST /cmpProfiles "{\"name\":\"life2\",\"variant\":\"v2\",\"requestProtectionMethod\":\"sharedSecret\",
	\"responseProtectionMethod\":\"sharedSecret\",\"sharedSecret\":\"$SECRET\",\"raProfileUuid\":\"$RA_A\"}")" \
	201 "second profile"
CP2=$(uuid)
is "$(api PATCH /cmpProfiles/enable "[\"$CP2\"]")" 204 "bulk enable"
is "$(api GET /cmpProfiles)" 200 "list"
is "$(t_json '[p["name"] + ":" + str(p["enabled"]) for p in j if p["name"].startswith("life")]')" \
	'["life:True", "life2:True"]' "both listed, enabled"
is "$(t_json 'sorted(j[0].keys())')" \
	'["cmpUrl", "description", "enabled", "name", "raProfile", "uuid", "variant"]' "list items: the reference's summary fields"
is "$(api PATCH /cmpProfiles/disable "[\"$CP\",\"$CP2\"]")" 204 "bulk disable"
is "$(api GET /cmpProfiles)" 200 "list again"
is "$(t_json '[p["enabled"] for p in j if p["name"].startswith("life")]')" '[false, false]' "both disabled"
nok "enrol after bulk disable" enrol /api/v1/protocols/cmp/life /CN=life-3
like "$(cat "$T/client.out")" "CMP Profile is not enabled" "refused again"
is "$(api PATCH /cmpProfiles/disable "[\"$CP\",\"00000000-0000-4000-8000-0000000000ff\"]")" 404 \
	"bulk call with an unknown UUID: 404"

# delete refused while attached, then force
is "$(api DELETE "/cmpProfiles/$CP")" 409 "delete refused while attached"
is "$(t_json 'j["message"]')" "Cannot remove as there are associated RA Profiles (1): ra-b" \
	"the reference's text"
is "$(api DELETE /cmpProfiles/delete "[\"$CP\"]")" 200 "bulk delete answers"
is "$(t_json '[(m["uuid"], m["name"], m["message"]) for m in j]')" \
	"[[\"$CP\", \"life\", \"Cannot remove as there are associated RA Profiles (1): ra-b\"]]" \
	"bulk delete: the refusal per profile"
# not even forced while it owes a revocation or a transaction is under
# way: the sweep revokes with the profile's revoke attributes
OWED="CMP Profile life has certificates waiting for confirmation or revocation"
CU=$(t_sql "SELECT uuid FROM certificate WHERE cmp_profile_uuid = '$CP' AND status = 'issued' LIMIT 1")
t_sql "UPDATE certificate SET status = 'revoke_pending', revoke_after = NOW(6) + INTERVAL 1 DAY WHERE uuid = '$CU'"
is "$(api DELETE /cmpProfiles/delete/force "[\"$CP\"]")" 200 "force delete with a revocation owed answers"
is "$(t_json '[(m["name"], m["message"]) for m in j]')" "[[\"life\", \"$OWED\"]]" "... and refuses: the revocation is owed"
is "$(api GET "/cmpProfiles/$CP")" 200 "... the profile is kept"
is "$(api GET "/authorities/$AUTH/raProfiles/$RA_B/protocols/cmp")" 200 "ra-b CMP state"
is "$(t_json 'j["cmpAvailable"]')" true "... ra-b still attached"
t_sql "UPDATE certificate SET status = 'issued', revoke_after = NULL WHERE uuid = '$CU'"
t_sql "UPDATE cmp_transaction SET state = 'waiting', deadline = NOW(6) + INTERVAL 1 DAY
	WHERE cmp_profile_uuid = '$CP' AND state = 'confirmed' ORDER BY created_at LIMIT 1"
is "$(api DELETE /cmpProfiles/delete/force "[\"$CP\"]")" 200 "force delete with a transaction waiting answers"
is "$(t_json '[m["message"] for m in j]')" "[\"$OWED\"]" "... and refuses: the transaction is under way"
t_sql "UPDATE cmp_transaction SET state = 'confirmed' WHERE cmp_profile_uuid = '$CP' AND state = 'waiting'"
TX=$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE cmp_profile_uuid = '$CP'")
is "$(api DELETE /cmpProfiles/delete/force "[\"$CP\"]")" 200 "force delete"
is "$(t_json 'j')" "[]" "nothing refused"
is "$(api GET "/cmpProfiles/$CP")" 404 "gone"
is "$(api GET "/authorities/$AUTH/raProfiles/$RA_B/protocols/cmp")" 200 "ra-b CMP state"
is "$(t_json 'j["cmpAvailable"]')" false "ra-b detached"
isnt "$TX" 0 "the profile had transactions"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE cmp_profile_uuid IS NULL")" "$TX" \
	"its transactions are kept"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn LIKE 'CN=life-%'")" 3 "its certificates are kept"
is "$(api DELETE "/cmpProfiles/$CP2")" 204 "a disabled, unattached profile is deleted"

# ------------------------------------------------- validation rules
# create JSON: a valid sharedSecret profile, with fields replaced
body() {
	python3 -c 'import json,sys
b={"name":"val","variant":"v2","requestProtectionMethod":"sharedSecret",
   "responseProtectionMethod":"sharedSecret","sharedSecret":"s"}
for a in sys.argv[1:]:
    k,v=a.split("=",1)
    if v=="DEL": b.pop(k,None)
    else: b[k]=json.loads(v)
print(json.dumps(b))' "$@"
}
refuse() {
	local desc=$1 status=$2 msg=$3
	shift 3
	is "$(api POST /cmpProfiles "$(body "$@")")" "$status" "$desc: $status"
	is "$(t_json 'j["message"]')" "$msg" "$desc: message"
}
refuse "empty name" 422 "CMP Profile name cannot be empty" 'name=""'
refuse "name with a space" 422 \
	"CMP Profile name can contain only unreserved URI characters (letters, digits, '-', '.', '_', '~')" \
	'name="a b"'
refuse "unknown variant" 422 "variant must be v2, v2_3gpp or v3" 'variant="v4"'
refuse "unknown method" 422 "requestProtectionMethod must be sharedSecret or signature" \
	'requestProtectionMethod="none"'
refuse "v2_3gpp with shared secrets" 422 \
	"Variant v2_3gpp requires signature protection of requests and responses" 'variant="v2_3gpp"'
refuse "signed request, MAC'd answer" 422 \
	"A signature-protected request requires a signature-protected response" \
	'requestProtectionMethod="signature"'
refuse "no shared secret" 422 "Shared secret cannot be empty" sharedSecret=DEL
refuse "empty shared secret" 422 "Shared secret cannot be empty" 'sharedSecret=""'
refuse "signed answers without signing certificate" 422 "Signing certificate cannot be empty" \
	'responseProtectionMethod="signature"'
refuse "unknown RA Profile" 404 "RA Profile 00000000-0000-4000-8000-0000000000ff not found" \
	'raProfileUuid="00000000-0000-4000-8000-0000000000ff"'
refuse "a number for a string" 400 "description must be a string" 'description=5'
refuse "attributes not an array" 400 "issueCertificateAttributes must be a JSON array" \
	'issueCertificateAttributes={}'
refuse "confirmWaitTime out of range" 400 "confirmWaitTime must be between 1 and 86400" 'confirmWaitTime=0'
is "$(api POST /cmpProfiles "$(body name='"dup"')")" 201 "profile dup"
DUP=$(uuid)
refuse "duplicate name" 409 "CMP Profile dup already exists" 'name="dup"'
is "$(api PUT "/cmpProfiles/$DUP" '{"name":"other"}')" 422 "rename refused"
is "$(api PUT "/cmpProfiles/$DUP" '{"sharedSecret":""}')" 422 "edit to an empty secret refused"
is "$(t_json 'j["message"]')" "Shared secret cannot be empty" "edit: the reference's text"
is "$(api PUT "/cmpProfiles/$DUP" '{"description":"edited","implicitConfirmAllowed":false}')" 200 "edit keeps the rest"
is "$(t_json 'j["description"] + " " + str(j["implicitConfirmAllowed"]) + " " + str(j["hasSharedSecret"])')" \
	"edited False True" "edited fields changed, the secret kept"
is "$(api PATCH "/cmpProfiles/$DUP/enable")" 204 "enable dup"
is "$(api DELETE "/cmpProfiles/$DUP")" 409 "an enabled profile is not deleted"
is "$(t_json 'j["message"]')" "CMP Profile dup is enabled; disable it before removing it" "and says so"
is "$(api GET /cmpProfiles/00000000-0000-4000-8000-0000000000ff)" 404 "unknown profile: 404"
is "$(api POST /cmpProfiles '{"name":')" 400 "broken JSON: 400"
is "$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
	-H 'Content-Type: text/plain' --data-binary '{}' "$HTTP_BASE/api/v1/cmpProfiles")" 415 "not JSON: 415"
is "$(api POST /cmpProfiles '[1]')" 400 "an array for a profile: 400"
refuse "a misspelt secret" 400 "unknown field sharedsecret" sharedSecret=DEL 'sharedsecret="s"'
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE detail LIKE '%sharedsecret%'")" 0 \
	"and it is not audited either"
# more anchors than a profile holds (64 KiB of DER): refused, not stored
sans=$(python3 -c 'print(",".join("DNS:host-%04d.anchors.example" % i for i in range(250)))')
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/big.key" \
	-out "$T/big.crt" -days 1 -subj /CN=big -addext "subjectAltName=$sans" 2>/dev/null
for i in $(seq 1 12); do cat "$T/big.crt"; done > "$T/many.pem"
refuse "65 KiB of trust anchors" 422 "trustAnchors: more than 65536 bytes" \
	"trustAnchors=$(python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$T/many.pem")"
is "$(api POST /apiKeys '{"name":"two words","role":"read"}')" 422 "an API key name with a space: 422"
# a change whose audit row cannot be written is not made
T0=$(t_sql "SELECT NOW(6)")
t_sql "ALTER TABLE audit ADD CONSTRAINT t_no_audit CHECK (object_type <> 'cmpProfile' OR at <= '$T0')"
is "$(api POST /cmpProfiles "$(body name='"unaudited"')")" 500 "audit row refused: 500"
is "$(t_json 'j["message"]')" "the change could not be audited; nothing was changed" "and says so"
is "$(t_sql "SELECT COUNT(*) FROM cmp_profile WHERE name = 'unaudited'")" 0 "the profile was not created"
is "$(api PATCH "/cmpProfiles/$DUP/disable")" 500 "nor is a profile disabled without its audit row"
is "$(t_sql "SELECT enabled FROM cmp_profile WHERE uuid = '$DUP'")" 1 "it stays enabled"
t_sql "ALTER TABLE audit DROP CONSTRAINT t_no_audit"
is "$(api PATCH /cmpProfiles/enable '["x"]')" 400 "bulk body of non-UUIDs: 400"
is "$(api GET /nothing)" 404 "unknown route: 404"
is "$(api POST "/cmpProfiles/$DUP/enable" '{}')" 405 "wrong method: 405"

# ------------------------------------- signing credentials, anchors
t_signer || bail "cannot make the signing certificate"
jstr() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
cat "$T/signer.crt" "$T/ca/root.crt" > "$T/chain.pem"
is "$(api POST /cmpProfiles "{\"name\":\"sig\",\"variant\":\"v2\",\"requestProtectionMethod\":\"signature\",
	\"responseProtectionMethod\":\"signature\",\"raProfileUuid\":\"$RA_A\",
	\"signingCredentials\":{\"privateKey\":$(jstr "$T/dev.key"),\"certificateChain\":$(jstr "$T/chain.pem")}}")" \
	422 "a key that is not the certificate's"
is "$(t_json 'j["message"]')" \
	"signingCredentials: the private key does not belong to the first certificate" "and says so"
# a member signingCredentials does not have is refused like one at the top
# level, not dropped unseen
is "$(api POST /cmpProfiles "{\"name\":\"sig\",\"variant\":\"v2\",\"requestProtectionMethod\":\"signature\",
	\"responseProtectionMethod\":\"signature\",\"raProfileUuid\":\"$RA_A\",
	\"signingCredentials\":{\"privateKey\":$(jstr "$T/signer.key"),\"certificateChain\":$(jstr "$T/chain.pem"),
	\"passphrase\":\"s3cret\"},\"trustAnchors\":$(jstr "$T_FIXTURES/root.pem"),\"subjectPolicy\":\"any\"}")" \
	400 "signingCredentials with a member it does not have"
is "$(t_json 'j["message"]')" "unknown field signingCredentials.passphrase" "... named"
is "$(t_sql "SELECT COUNT(*) FROM cmp_profile WHERE name = 'sig'")" 0 "... nothing stored"
is "$(api POST /cmpProfiles "{\"name\":\"sig\",\"variant\":\"v2\",\"requestProtectionMethod\":\"signature\",
	\"responseProtectionMethod\":\"signature\",\"raProfileUuid\":\"$RA_A\",
	\"signingCredentials\":{\"privateKey\":$(jstr "$T/signer.key"),\"certificateChain\":$(jstr "$T/chain.pem")},
	\"trustAnchors\":$(jstr "$T_FIXTURES/root.pem"),\"subjectPolicy\":\"any\"}")" 201 \
	"signature profile with credentials"
SIGP=$(uuid)
# the vendor's device enrolls under a new name: subjectPolicy any
is "$(t_json 'j["subjectPolicy"]')" any "subjectPolicy given at creation"
is "$(t_json 'j["signingCertificate"]["subject"]')" "CN=cmpd signer,O=cmpd tests" "signing certificate shown"
is "$(t_json 'j["trustAnchorCount"]')" 1 "one trust anchor"
is "$(api GET "/cmpProfiles/$SIGP/trustAnchors")" 200 "anchors readable"
like "$(t_json 'j["certificates"][0]')" "BEGIN CERTIFICATE" "as PEM"
is "$(api GET /cmpProfiles/signingCertificates)" 200 "signingCertificates"
is "$(t_json '[s["cmpProfileName"] for s in j]')" '["sig"]' "lists the profile that signs"
is "$(api PATCH "/cmpProfiles/$SIGP/enable")" 204 "enable sig"
ok "signed enrolment with credentials set through the API" sh -c "timeout 60 openssl cmp -cmd ir \
	-server 127.0.0.1:$HTTP_PORT -path /api/v1/protocols/cmp/sig -recipient /CN=cmpd \
	-cert '$T_FIXTURES/ee.pem' -key '$T_FIXTURES/ee.key' -trusted '$T/ca/root.crt' \
	-newkey '$T/dev.key' -subject /CN=life-sig -certout '$T/sig.crt' > '$T/client.out' 2>&1"
diag_file "$T/client.out" 3
cat "$T/signer.key" "$T/signer.crt" > "$T/nochain.pem"
is "$(api PUT "/cmpProfiles/$SIGP/signingCredentials" "{\"privateKey\":$(jstr "$T/signer.key"),\"certificateChain\":$(jstr "$T/chain.pem")}")" \
	204 "signing credentials replaced"
is "$(api PUT "/cmpProfiles/$SIGP/trustAnchors" '{"certificates":"no PEM here"}')" 422 "anchors without PEM: 422"
is "$(api PUT "/cmpProfiles/$SIGP/trustAnchors" "{\"certificates\":$(jstr "$T/chain.pem")}")" 204 "anchors replaced"
is "$(api GET "/cmpProfiles/$SIGP")" 200 "get sig"
is "$(t_json 'j["trustAnchorCount"]')" 2 "two anchors now"
is "$(t_sql "SELECT INSTR(signing_key_enc, 'PRIVATE') FROM cmp_profile WHERE uuid = '$SIGP'")" 0 \
	"the key is sealed in the database"

# ------------------------------------------------------ keys, roles
ROUTES=$("$top_builddir/cmpctl" routes 2>/dev/null)
isnt "$(printf '%s\n' "$ROUTES" | grep -c .)" 0 "cmpctl routes lists the routes"
Z=00000000-0000-4000-8000-0000000000ff
n_401=0 n_403=0 n_routes=0 bad=""
while read -r method path role; do
	[ -n "$method" ] || continue
	p=$(printf '%s' "${path#/api/v1}" | sed "s/{[A-Za-z]*}/$Z/g")
	n_routes=$((n_routes + 1))
	b='{}'
	[ "$method" = GET ] && b=""
	st=$(t_api "$method" "$p" "$b" -)
	[ "$st" = 401 ] && n_401=$((n_401 + 1)) || bad="$bad $method:$p:$st"
	if [ "$role" = admin ]; then
		st=$(t_api "$method" "$p" "$b" "$READ")
		[ "$st" = 403 ] && n_403=$((n_403 + 1)) || bad="$bad read:$method:$p:$st"
	fi
done <<EOF
$ROUTES
EOF
is "$n_401" "$n_routes" "no route answers without a key ($n_routes routes)"
is "$bad" "" "every admin route refuses a read key"
isnt "$n_403" 0 "admin routes tried with the read key: $n_403"
is "$(t_api GET /cmpProfiles "" "$READ")" 200 "a read key reads"
is "$(t_api GET /cmpProfiles "" cmpd_0000000000000000000000000000000000000000000000000000000000000000)" \
	401 "an unknown key: 401"
is "$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' -H "X-API-Key: $READ" \
	"$HTTP_BASE/api/v1/cmpProfiles")" 200 "X-API-Key works too"
is "$(api POST /apiKeys '{"name":"ci","role":"read"}')" 201 "an API key made through the API"
NEWKEY=$(t_json 'j["key"]')
like "$NEWKEY" "^cmpd_[0-9a-f]{64}$" "shown once"
is "$(t_api GET /cmpProfiles "" "$NEWKEY")" 200 "and it works"
is "$(t_sql "SELECT COUNT(*) FROM api_key WHERE HEX(key_hash) = UPPER(SHA2('$NEWKEY', 256))")" 1 "stored as its hash"
is "$(api GET /apiKeys)" 200 "keys listed"
unlike "$(cat "$T/api.json")" "$NEWKEY" "without the keys"
# a key's name is its actor in audit rows: a deleted key's stays its own
ci_uuid=$(t_sql "SELECT uuid FROM api_key WHERE name = 'ci'")
is "$(api DELETE "/apiKeys/$ci_uuid")" 204 "a key deleted"
is "$(t_api GET /cmpProfiles "" "$NEWKEY")" 401 "... no longer works"
is "$(t_sql "SELECT JSON_VALUE(detail, '\$.name') FROM audit
	WHERE action = 'delete' AND object_uuid = '$ci_uuid'")" ci "... its audit row names it"
is "$(api POST /apiKeys '{"name":"ci","role":"admin"}')" 409 \
	"a new key under the deleted key's name: 409"
like "$(t_json 'j["message"]')" "API key name ci was a deleted key's: the audit would not tell the two apart" \
	"... saying why"
is "$(api POST /apiKeys '{"name":"ci-2","role":"read"}')" 201 "under another name: 201"
is "$(api DELETE "/apiKeys/$ci_uuid")" 404 "the deleted key again: 404"

# ------------------------------------------------ secrets, audit
is "$(api GET /auditLogs?objectType=cmpProfile\&limit=1000)" 200 "audit log"
like "$(t_json '" ".join(sorted(set(a["action"] for a in j)))')" \
	"create delete disable enable setDefaultRaProfile setSigningCredentials setTrustAnchors update" \
	"every kind of change is audited"
is "$(t_json '[a["actor"] for a in j if a["objectUuid"] == "'"$CP"'"][0]')" "apiKey:admin" "with the key's name"
is "$(t_json '[a["detail"]["sharedSecret"] for a in j if a["action"] == "create" and a["objectUuid"] == "'"$CP"'"][0]')" \
	"(set)" "a secret is audited as (set)"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE detail LIKE '%$SECRET%' OR detail LIKE '%PRIVATE KEY%'")" 0 \
	"no secret in any audit row"
unlike "$(cat "$ALL")" "$SECRET" "no secret in any API answer"
unlike "$(cat "$ALL")" "PRIVATE KEY" "no private key in any API answer"
unlike "$(cat "$T/cmpd.log" "$T"/lighttpd-*.log)" "$SECRET" "no secret in the logs"
unlike "$(cat "$T/cmpd.log")" "$ADMIN" "no API key in cmpd's log"
is "$(t_sql "SELECT COUNT(*) FROM cmp_profile WHERE INSTR(shared_secret_enc, '$SECRET') > 0")" 0 \
	"secrets are sealed in the database"
like "$(grep 'route=api' "$T/cmpd.log" | tail -1)" \
	"route=api method=GET path=/api/v1/auditLogs status=200 actor=apiKey:admin outcome=API_OK" \
	"API requests are logged with the caller"
# after=: keyset paging, the same rows as offset=
api GET /auditLogs?objectType=cmpProfile\&limit=1000 > /dev/null
all=$(t_json '[a["uuid"] for a in j]')
third=$(t_json 'j[2]["uuid"]')
is "$(api GET "/auditLogs?objectType=cmpProfile&limit=3&offset=3")" 200 "audit log, a page by offset"
by_offset=$(t_json '[a["uuid"] for a in j]')
is "$(api GET "/auditLogs?objectType=cmpProfile&limit=3&after=$(echo "$third" | tr a-f A-F)")" 200 \
	"audit log, the page after a row"
is "$(t_json '[a["uuid"] for a in j]')" "$by_offset" "... the rows offset=3 gives"
is "$(python3 -c 'import json,sys; print(len(json.loads(sys.argv[1])))' "$all")" \
	"$(t_sql "SELECT COUNT(*) FROM audit WHERE object_type = 'cmpProfile'")" "(the first page held every row)"
is "$(api GET "/auditLogs?after=$third&offset=1")" 400 "after= and offset=: 400"
is "$(api GET "/auditLogs?after=00000000-0000-4000-8000-0000000000ff")" 400 "after= no row: 400"
like "$(t_json 'j["message"]')" "after names no audit row" "... saying so"
is "$(api GET "/auditLogs?after=nope")" 400 "after= not a UUID: 400"
# two rows of the same microsecond: the greater uuid first, after= it the other
t_sql "INSERT INTO audit (uuid, at, actor, action, object_type) VALUES
  ('0000000a-0000-7000-8000-00000000000a', '2099-01-01 00:00:05', 'tie', 'tie', 'tie'),
  ('0000000a-0000-7000-8000-00000000000b', '2099-01-01 00:00:05', 'tie', 'tie', 'tie')"
is "$(api GET "/auditLogs?limit=1")" 200 "two audit rows of one microsecond"
is "$(t_json '[a["uuid"] for a in j]')" '["0000000a-0000-7000-8000-00000000000b"]' "... the greater uuid first"
is "$(api GET "/auditLogs?limit=1&after=0000000a-0000-7000-8000-00000000000b")" 200 "... after= it"
is "$(t_json '[a["uuid"] for a in j]')" '["0000000a-0000-7000-8000-00000000000a"]' "... the other"
t_sql "DELETE FROM audit WHERE actor = 'tie'"

# ------------------------------------------------------------- whoami
# the caller and its role, for the web console
is "$(api GET /whoami)" 200 "GET /whoami with the admin key"
is "$(t_json '[j["name"], j["actor"], j["role"]]')" '["admin", "apiKey:admin", "admin"]' \
	"whoami: the admin key's name, actor and role"
is "$(t_json 'sorted(j)')" '["actor", "name", "role"]' "whoami: the documented fields"
is "$(api GET /whoami "" "$READ")" 200 "GET /whoami with the read key"
is "$(t_json '[j["name"], j["role"]]')" '["reader", "read"]' "whoami: the read key's name and role"
is "$(api GET /whoami "" -)" 401 "whoami without a key: 401"
is "$(api GET /whoami "" cmpd_0000000000000000000000000000000000000000000000000000000000000000)" 401 \
	"whoami with an unknown key: 401"
is "$(api POST /whoami '{}')" 405 "whoami is GET only"

# ------------------------------------------ REMOTE_USER from the web server
# lighttpd does basic auth for /api/v1/cmpProfiles; cmpd trusts the user
# it names only when api_remote_user says so, with that role.
printf 'alice:alice-pw\nmallory outcome=API_FORGED status=299:m-pw\n' > "$T/users"
t_stop_lighttpd
t_start_lighttpd "$(t_localca_lighttpd)" \
	'server.modules := ( "mod_accesslog", "mod_auth", "mod_authn_file", "mod_fastcgi" )' \
	'auth.backend = "plain"' "auth.backend.plain.userfile = \"$T/users\"" \
	'auth.require = ( "/api/v1/cmpProfiles" => ( "method" => "basic", "realm" => "cmpd", "require" => "valid-user" ), "/api/v1/whoami" => ( "method" => "basic", "realm" => "cmpd", "require" => "valid-user" ) )'
basic() { # basic METHOD PATH [JSON] [USER:PW]: prints the status
	local args=(-sS --noproxy '*' -o "$T/api.json" -w '%{http_code}' -X "$1")
	[ -z "${3-}" ] || args+=(-H 'Content-Type: application/json' --data-binary "$3")
	[ -z "${4-}" ] || args+=(-u "$4")
	curl "${args[@]}" "$HTTP_BASE/api/v1$2"
}
is "$(basic GET /cmpProfiles)" 401 "the web server asks for its login"
is "$(basic GET /cmpProfiles "" alice:alice-pw)" 401 "api_remote_user = off: REMOTE_USER is not trusted"
like "$(t_json 'j["message"]')" "API key" "cmpd asks for a key"
t_write_conf "message_time_skew = 0" "public_url = https://pki.example" "api_remote_user = read"
t_start_cmpd || bail "cmpd did not restart"
is "$(basic GET /cmpProfiles "" alice:alice-pw)" 200 "api_remote_user = read: alice reads"
is "$(basic POST /cmpProfiles "$(body name='"by-alice"')" alice:alice-pw)" 403 "but may not change"
t_write_conf "message_time_skew = 0" "public_url = https://pki.example" "api_remote_user = admin"
t_start_cmpd || bail "cmpd did not restart"
is "$(basic POST /cmpProfiles "$(body name='"by-alice"')" alice:alice-pw)" 201 "api_remote_user = admin: alice creates"
is "$(t_sql "SELECT actor FROM audit WHERE action = 'create' AND object_type = 'cmpProfile' ORDER BY at DESC, uuid DESC LIMIT 1")" \
	remoteUser:alice "audited as the web server's user"
is "$(basic GET /whoami "" alice:alice-pw)" 200 "whoami as the web server's user"
is "$(t_json '[j["name"], j["actor"], j["role"]]')" '["alice", "remoteUser:alice", "admin"]' \
	"whoami: REMOTE_USER's name and the api_remote_user role"
is "$(t_api GET /auditLogs "" "$READ")" 200 "API keys still work beside it (where the web server asks no login)"
# a user name with spaces and '=' is one quoted field of the log line
is "$(basic GET /whoami "" "mallory outcome=API_FORGED status=299:m-pw")" 200 "whoami as a user with spaces in the name"
ok "the log line quotes it" grep -qF 'status=200 actor="remoteUser:mallory outcome=API_FORGED status=299" outcome=API_OK' "$T/cmpd.log"
nok "... so it forges no field" grep -q ' outcome=API_FORGED status=299 outcome' "$T/cmpd.log"
is "$(basic POST /cmpProfiles "$(body name='"by-mallory"')" "mallory outcome=API_FORGED status=299:m-pw")" 201 \
	"a CMP Profile created by that user"
ok "... the line that says by whom quotes the name too" \
	grep -qF 'created by "remoteUser:mallory outcome=API_FORGED status=299"' "$T/cmpd.log"

# ---------------------------------------- API keys over plain HTTP
# A key travels in the request: over plain HTTP only from this host.
# lighttpd takes X-Forwarded-For from 127.0.0.1 as the client's address
# (mod_extforward), so a request can stand for one from another host
# without leaving this one.
t_write_conf "message_time_skew = 0" "public_url = https://pki.example"
t_start_cmpd || bail "cmpd did not restart"
t_stop_lighttpd
t_start_lighttpd "$(t_localca_lighttpd)" 'server.modules += ( "mod_extforward" )' \
	'extforward.forwarder = ( "127.0.0.1" => "trust" )' \
	'extforward.headers = ( "X-Forwarded-For", "X-Forwarded-Proto" )'
far() { # far PATH [curl args]: GET with the admin key, as from 192.0.2.10
	local path=$1
	shift
	curl -sS --noproxy '*' -o "$T/api.json" -w '%{http_code}' \
		-H "Authorization: Bearer $ADMIN" -H 'X-Forwarded-For: 192.0.2.10' "$@" \
		"$HTTP_BASE/api/v1$path"
}
is "$(far /cmpProfiles)" 403 "an API key over plain HTTP from another host: 403"
like "$(t_json 'j["message"]')" "answers over https:// only, or over plain http:// to this host" \
	"... saying why"
ok "... logged as refused, with no actor: the key was not looked at" \
	grep -qE 'path=/api/v1/cmpProfiles status=403 actor=- outcome=API_REFUSED' "$T/cmpd.log"
is "$(far /whoami -H 'X-Forwarded-For: ::1')" 200 "from ::1: served"
ok "... which lighttpd took for the client's address (so cmpd saw ::1)" \
	t_wait 10 grep -qE '^::1 .*GET /api/v1/whoami' "$T/lighttpd-access.log"
is "$(far /whoami -H 'X-Forwarded-Proto: https')" 200 \
	"from a proxy that ended TLS and says so (X-Forwarded-Proto: https): served"
is "$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' -H 'X-Forwarded-For: 192.0.2.10' \
	-H 'Content-Type: application/pkixcmp' --data-binary "@$T_FIXTURES/ir-pbm.der" \
	"$HTTP_BASE/api/v1/protocols/cmp/enroll")" 200 \
	"CMP over plain HTTP from another host: served (its messages carry their own protection)"
t_write_conf "message_time_skew = 0" "public_url = https://pki.example" "api_plain_http = any"
t_start_cmpd || bail "cmpd did not restart"
is "$(far /whoami)" 200 "api_plain_http = any: served from any host"
t_write_conf "message_time_skew = 0" "api_plain_http = everyone"
like "$("$top_builddir/cmpd" -n -c "$T/cmpd.conf" 2>&1)" "api_plain_http must be loopback or any" \
	"api_plain_http: another value refused"
done_testing
