#!/bin/sh
# Registration authorities (RFC 9483 5.2, 5.3.1, 5.3.2): a CMP Profile's
# RA list (management API), nested messages from an RA (one message and a
# batch) answered in a nested cmpd signs, raVerified proof of possession
# from an RA only, enrolment and revocation on an RA's behalf, an RA's
# permissions changed in place, a device entry's ir inside a nested, and
# the OpenSSL test suite's revocations signed by a dedicated signer.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
t_start_localca
# one that answers an issue pending for 8 s (delayed delivery)
t_second_localca rapend "issue_pending = 8"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd rapend)"
t_seed_enroll
plan_auto

CA=$T/ca
TOOL=$top_builddir/t/cmptool
RA=$top_builddir/t/cmpra
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
API_KEY=$(t_api_key admin admin)
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
jstr() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# "ra": devices MAC their requests, answers are signed; "sig": signatures
# both ways (for requests an RA signs directly). Both issue on ra-enroll.
RAP=00000000-0000-4000-8000-00000000f291
SIGP=00000000-0000-4000-8000-00000000f292
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('$RAP', 'ra', 1, 'sharedSecret', 'signature', '00000000-0000-4000-8000-00000000e001', '$ENROLL_REF'),
  ('$SIGP', 'sig', 1, 'signature', 'signature', '00000000-0000-4000-8000-00000000e001', NULL)"
printf '%s\n' "$ENROLL_SECRET" | $CMPD --set-shared-secret ra > /dev/null 2>&1 ||
	bail "--set-shared-secret ra failed"

# certificates under the test root: cmpd's signer, the RA, an RA that is
# on no list, the dedicated signer of OpenSSL's revocation tests
printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nkeyUsage=critical,digitalSignature\n' > "$T/signer.ext"
mkcert() {	# mkcert NAME SUBJECT [EXTFILE]: $T/NAME.crt and .key
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$1.key" -out "$T/$1.csr" -subj "$2" 2>/dev/null &&
	openssl x509 -req -in "$T/$1.csr" -CA "$CA/root.crt" -CAkey "$CA/root.key" \
		-CAcreateserial -days 30 -extfile "${3:-$T/signer.ext}" -out "$T/$1.crt" 2>/dev/null
}
mkcert signer "/O=cmpd tests/CN=cmpd signer" && mkcert ra "/O=cmpd tests/CN=cmpd RA" &&
	mkcert rogue "/O=cmpd tests/CN=rogue RA" && mkcert rronly "/O=cmpd tests/CN=revoking RA" &&
	mkcert rrsigner "/O=cmpd tests/CN=rr signer" || bail "test certificates"
for p in ra sig; do
	cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" | $CMPD --set-signing-credentials $p > /dev/null &&
	$CMPD --set-trust-anchors $p < "$CA/root.crt" > /dev/null || bail "credentials of $p"
done

# ------------------------------------------------------ the RA list (API)
RAPATH=/cmpProfiles/$RAP/raCertificates
is "$(t_api GET "$RAPATH")" 200 "API: the RA list of a profile"
is "$(t_json 'len(j)')" 0 "empty at first"
is "$(t_api POST "$RAPATH" '{"permissions":["enroll"]}')" 422 "API: no certificate"
is "$(t_json 'j["message"]')" "certificate: no certificate (PEM)" "says so"
is "$(t_api POST "$RAPATH" "{\"certificate\":$(jstr "$T/ra.crt"),\"permissions\":[\"enroll\",\"fly\"]}")" 422 \
	"API: an unknown permission"
is "$(t_json 'j["message"]')" "permissions: unknown permission fly (enroll, revoke, raVerified)" "says so"
is "$(t_api POST "$RAPATH" "{\"certificate\":$(jstr "$T/ra.crt"),\"permissions\":[]}")" 422 \
	"API: no permission"
is "$(t_json 'j["message"]')" "permissions: at least one of enroll, revoke, raVerified" "says so"
# A name listed again and again: the audit row, which records the list,
# would grow past its cap and say nothing of the grant.
python3 -c 'import json, sys; print(json.dumps({"certificate": open(sys.argv[1]).read(),
	"permissions": ["raVerified"] + ["enroll"] * 9000}))' "$T/ra.crt" > "$T/padded.json"
is "$(t_api POST "$RAPATH" "$(cat "$T/padded.json")")" 422 "API: a permission listed twice (9000 times)"
is "$(t_json 'j["message"]')" "permissions: enroll listed twice" "says so"
is "$(t_sql "SELECT COUNT(*) FROM ra_certificate")" 0 "... nothing added"
cat "$T/ra.crt" "$T/rogue.crt" > "$T/two.pem"
is "$(t_api POST "$RAPATH" "{\"certificate\":$(jstr "$T/two.pem"),\"permissions\":[\"enroll\"]}")" 422 \
	"API: two certificates"
is "$(t_json 'j["message"]')" "certificate: exactly one certificate, not 2" "says so"
is "$(t_api POST "/cmpProfiles/00000000-0000-4000-8000-0000000000ff/raCertificates" \
	"{\"certificate\":$(jstr "$T/ra.crt"),\"permissions\":[\"enroll\"]}")" 404 "API: unknown CMP Profile"
is "$(t_api POST "$RAPATH" "{\"certificate\":$(jstr "$T/ra.crt"),\"permissions\":[\"enroll\",\"revoke\",\"raVerified\"]}")" 201 \
	"API: the RA added with every permission"
is "$(t_json 'j["permissions"]')" '["enroll", "revoke", "raVerified"]' "its permissions"
is "$(t_json 'j["subject"]')" "/O=cmpd tests/CN=cmpd RA" "its subject"
RA_ID=$(t_json 'j["uuid"]')
is "$(t_api POST "$RAPATH" "{\"certificate\":$(jstr "$T/ra.crt"),\"permissions\":[\"enroll\"]}")" 409 \
	"API: the same certificate twice"
is "$(t_json 'j["message"]')" "certificate: already on the RA list of this CMP Profile" "says so"
is "$(t_api POST "$RAPATH" "{\"certificate\":$(jstr "$T/rronly.crt"),\"permissions\":[\"revoke\"]}")" 201 \
	"API: an RA that may revoke only"
is "$(t_api GET "$RAPATH")" 200 "API: the list"
is "$(t_json 'len(j)')" 2 "two entries"
like "$(t_json 'j[0]["certificate"]')" "BEGIN CERTIFICATE" "as PEM"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE action = 'addRaCertificate'")" 2 "audited"
is "$(t_api DELETE "$RAPATH/00000000-0000-4000-8000-0000000000ee")" 404 "API: delete an unknown entry"
is "$(t_api GET "$RAPATH" "" -)" 401 "API: the list needs a key"

# ------------------------------------- requests made by openssl cmp
# req OUT [args]: an ir's DER as openssl cmp makes it, MAC'd with the
# enrollment secret, kept with -reqout (OpenSSL's mock server answers it)
req() {
	local out=$1
	shift
	openssl cmp -config "" -use_mock_srv -batch -recipient /CN=cmpd \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
		-srv_ref "$ENROLL_REF" -srv_secret "pass:$ENROLL_SECRET" \
		-rsp_cert "$T_FIXTURES/new.pem" -certout "$T/mock-cert.pem" \
		-reqout "$out,$T/mock-req2.der" "$@" > "$T/client.out" 2>&1
	[ -s "$out" ]
}
mac() { echo -ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET"; }
newkey "$T/dev.key"
for n in 1 2 3 4; do
	req "$T/ir$n.der" -cmd ir -newkey "$T/dev.key" -subject "/CN=ra-dev-$n" ||
		bail "openssl cmp -reqout made no ir"
done
# post FILE PROFILE: the answer in $T/resp.der
post() { t_post "$1" "/api/v1/protocols/cmp/$2"; }

# ------------------------------------------ one device ir through the RA
ok "wrap a device's MAC'd ir in a nested signed by the RA" \
	"$RA" wrap "$T/n1.der" "$T/ra.key" "$T/ra.crt" "$T/ir1.der"
is "$(post "$T/n1.der" ra)" 200 "the nested answered"
ok "the answer is a nested signed by cmpd" "$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/a1"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/a1" > "$T/unwrap.out"
like "$(cat "$T/unwrap.out")" "signer=/O=cmpd tests/CN=cmpd signer" "signed with the profile's key"
like "$(cat "$T/unwrap.out")" "inner=1" "one answer inside"
is "$(dump "$T/a1-1.der" body)" ip "the inner answer is an ip"
is "$(dump "$T/a1-1.der" status)" accepted "accepted"
ok "its certificate" "$TOOL" cert "$T/a1-1.der" "$T/dev1.crt"
is "$(openssl x509 -in "$T/dev1.crt" -noout -subject)" "subject=CN = ra-dev-1" "for the device's name"
tid1=$(dump "$T/ir1.der" tid)
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid1')")" confirm_wait \
	"the device's transaction waits for its certConf"
# the device's own MAC made the request: the device confirms, here
# directly (not through the RA)
# certconf IP OUT: the device's certConf, MAC'd as its ir1 was
certconf() {
	"$TOOL" certconf "$1" "$T/cc-sig.der" "sig:$T/ra.crt:$T/ra.key" &&
	"$TOOL" edit "$T/cc-sig.der" "$2" pbmfrom="$T/ir1.der" remac="$ENROLL_SECRET"
}
ok "the device's certConf" certconf "$T/a1-1.der" "$T/cc1.der"
is "$(post "$T/cc1.der" ra)" 200 "sent directly"
is "$(dump "$T/resp.der" body)" pkiconf "pkiconf"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid1')")" confirmed \
	"confirmed"

# --------------------------------------------------- a batch of three
ok "three irs in one nested" "$RA" wrap "$T/n3.der" "$T/ra.key" "$T/ra.crt" \
	"$T/ir2.der" "$T/ir3.der" "$T/ir4.der"
is "$(post "$T/n3.der" ra)" 200 "the batch answered"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/a3" > "$T/unwrap.out"
like "$(cat "$T/unwrap.out")" "inner=3" "three answers in one nested"
for n in 1 2 3; do
	is "$(dump "$T/a3-$n.der" body)/$(dump "$T/a3-$n.der" status)" ip/accepted "answer $n: ip, accepted"
	"$TOOL" cert "$T/a3-$n.der" "$T/b$n.crt"
	is "$(openssl x509 -in "$T/b$n.crt" -noout -subject)" "subject=CN = ra-dev-$((n + 1))" \
		"answer $n in the batch's order"
done
# the certConf of the second one through the RA, still the device's MAC
certconf "$T/a3-2.der" "$T/cc3.der"
"$RA" wrap "$T/nc3.der" "$T/ra.key" "$T/ra.crt" "$T/cc3.der"
is "$(post "$T/nc3.der" ra)" 200 "a device's certConf wrapped by the RA"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/c3" > /dev/null
is "$(dump "$T/c3-1.der" body)" pkiconf "pkiconf inside the nested"

# ----------------------------------------------- RAs that may not
ok "a nested signed by an RA on no list" "$RA" wrap "$T/nr.der" "$T/rogue.key" "$T/rogue.crt" "$T/ir1.der"
is "$(post "$T/nr.der" ra)" 200 "answered"
is "$(dump "$T/resp.der" body)" error "an error, not a nested"
is "$(dump "$T/resp.der" failInfo)" signerNotTrusted "signerNotTrusted"
is "$(dump "$T/resp.der" text)" "PN=ra | the signer is not a registration authority of the CMP Profile" \
	"CMPF_RA_NOT_LISTED"
is "$(post "$T/n1.der" enroll)" 200 "a nested to a profile without signing credentials"
is "$(dump "$T/resp.der" text)" "PN=enroll | the CMP Profile has no signing credentials to answer a nested message" \
	"CMPF_NESTED_NO_SIGNING"
"$TOOL" edit "$T/n1.der" "$T/nmac.der" pbmfrom="$T/ir1.der" remac="$ENROLL_SECRET"
is "$(post "$T/nmac.der" ra)" 200 "a MAC'd nested"
is "$(dump "$T/resp.der" text)" "PN=ra | a nested message must be signed by a registration authority" \
	"CMPF_NESTED_NOT_SIGNED"
set --
for n in 1 2 3 4 5 6 7 8 9 10 11; do set -- "$@" "$T/ir1.der"; done
"$RA" wrap "$T/n11.der" "$T/ra.key" "$T/ra.crt" "$@"
is "$(post "$T/n11.der" ra)" 200 "eleven messages in one nested"
is "$(dump "$T/resp.der" text)" "PN=ra | a nested message carries 1 to 10 messages" "CMPF_NESTED_COUNT"
# 7 irs of 3 certificates each: 21 CA calls, more than one message may ask
# (each its own transaction: without the cap, the CA would be asked 21 times)
set --
for n in 1 2 3 4 5 6 7; do
	"$TOOL" edit "$T/ir1.der" "$T/ir1x3-$n.der" addreq=1 addreq=2 tid="$(openssl rand -hex 16)" \
		remac="$ENROLL_SECRET" || bail "cmptool edit failed"
	set -- "$@" "$T/ir1x3-$n.der"
done
"$RA" wrap "$T/n21.der" "$T/ra.key" "$T/ra.crt" "$@"
calls=$(grep -c '/issue ' "$T/localca.log")
is "$(post "$T/n21.der" ra)" 200 "seven irs of three certificates each in one nested"
is "$(dump "$T/resp.der" text)" \
	"PN=ra | the messages of a nested message ask for at most 20 certificates in all" \
	"CMPF_NESTED_CERT_REQS"
is "$(grep -c '/issue ' "$T/localca.log")" "$calls" "... the CA not asked"
"$RA" wrap "$T/deep.der" "$T/ra.key" "$T/ra.crt" "$T/n1.der"
is "$(post "$T/deep.der" ra)" 200 "a nested in a nested"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/d" > /dev/null
is "$(dump "$T/d-1.der" text)" "PN=ra | a nested message inside a nested message is refused" \
	"CMPF_NESTED_DEPTH, as the inner answer"

# ------------------------------------ raVerified and on the RA's behalf
newkey "$T/rv.key"
req "$T/rvd0.der" -cmd ir -popo 0 -newkey "$T/rv.key" -subject "/CN=ra-verified" ||
	bail "no raVerified ir"
"$TOOL" edit "$T/rvd0.der" "$T/rv.der" protection=none protectionAlg=none
"$RA" wrap "$T/nrv.der" "$T/ra.key" "$T/ra.crt" "$T/rv.der"
is "$(post "$T/nrv.der" ra)" 200 "an unprotected raVerified ir from the RA"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/rv" > /dev/null
is "$(dump "$T/rv-1.der" body)/$(dump "$T/rv-1.der" status)" ip/accepted "enrolled on the RA's authority"
"$TOOL" cert "$T/rv-1.der" "$T/rv.crt"
is "$(openssl x509 -in "$T/rv.crt" -noout -subject)" "subject=CN = ra-verified" \
	"for a name that is not the RA's"
# the RA asked: the RA confirms (an unprotected certConf in its nested)
"$TOOL" certconf "$T/rv-1.der" "$T/ccrv.der" "sig:$T/ra.crt:$T/ra.key"
"$TOOL" edit "$T/ccrv.der" "$T/ccrv-u.der" protection=none protectionAlg=none
"$RA" wrap "$T/nccrv.der" "$T/ra.key" "$T/ra.crt" "$T/ccrv-u.der"
is "$(post "$T/nccrv.der" ra)" 200 "the RA's certConf"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/ccrv" > /dev/null
is "$(dump "$T/ccrv-1.der" body)" pkiconf "confirmed"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$(dump "$T/rv.der" tid)')")" \
	confirmed "the RA's transaction confirmed"
# the same raVerified request from the device itself (its MAC)
"$TOOL" edit "$T/rvd0.der" "$T/rvd.der" tid="$(openssl rand -hex 16)" senderNonce="$(openssl rand -hex 16)" \
	remac="$ENROLL_SECRET"
is "$(post "$T/rvd.der" ra)" 200 "raVerified directly from a device"
is "$(dump "$T/resp.der" failInfo)" badPOP "badPOP"
is "$(dump "$T/resp.der" text)" "PN=ra | proof of possession failed" "CMPF_BAD_POP"
# ... and as the device MAC'd it, in the RA's nested: raVerified is the
# device's own claim, for no RA replaced its POP (RFC 9483 5.2.3.2)
"$TOOL" edit "$T/rvd0.der" "$T/rvd2.der" tid="$(openssl rand -hex 16)" senderNonce="$(openssl rand -hex 16)" \
	remac="$ENROLL_SECRET"
"$RA" wrap "$T/nrvd.der" "$T/ra.key" "$T/ra.crt" "$T/rvd2.der"
is "$(post "$T/nrvd.der" ra)" 200 "a device's MAC'd raVerified ir in the RA's nested"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/rvd" > /dev/null
is "$(dump "$T/rvd-1.der" body)/$(dump "$T/rvd-1.der" status)/$(dump "$T/rvd-1.der" failInfo)" \
	ip/rejection/badPOP \
	"... badPOP, though the RA may vouch for POPs"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=ra-verified'")" 1 \
	"... no second certificate for it"
# an RA that may revoke only cannot enrol on its own authority
"$TOOL" edit "$T/rv.der" "$T/rv2.der" tid="$(openssl rand -hex 16)" senderNonce="$(openssl rand -hex 16)"
"$RA" wrap "$T/nro.der" "$T/rronly.key" "$T/rronly.crt" "$T/rv2.der"
is "$(post "$T/nro.der" ra)" 200 "an ir on the authority of an RA without enroll"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/ro" > /dev/null
is "$(dump "$T/ro-1.der" text)" "PN=ra | the registration authority may not enroll on behalf of others" \
	"CMPF_RA_NOT_PERMITTED"

# ------------------------------------------------ revocation by the RA
SPATH=/cmpProfiles/$SIGP/raCertificates
rr() {	# rr CERT KEY OLDCERT REASON: signed with CERT on sig
	timeout 60 openssl cmp -cmd rr -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/sig -recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-cert "$1" -key "$2" -oldcert "$3" -revreason "$4" -trusted "$CA/root.crt" \
		-unprotected_errors > "$T/client.out" 2>&1
}
status() { t_sql "SELECT status FROM certificate WHERE subject_dn = '$1' ORDER BY created_at DESC LIMIT 1"; }
nok "an rr signed by the RA before it is on sig's list" rr "$T/ra.crt" "$T/ra.key" "$T/dev1.crt" 1
is "$(status CN=ra-dev-1)" issued "not revoked"
is "$(t_api POST "$SPATH" "{\"certificate\":$(jstr "$T/ra.crt"),\"permissions\":[\"revoke\"]}")" 201 \
	"API: the RA on sig's list, revoke"
ok "an rr signed by the RA" rr "$T/ra.crt" "$T/ra.key" "$T/dev1.crt" 1
is "$(status CN=ra-dev-1)" revoked "the device's certificate revoked in the inventory"

# ------------------- a device's own signed ir in the RA's nested on sig:
# the inner certificate's key is read once the RA's signature verified
mkcert sdev "/O=cmpd tests/CN=ra-signed-dev" || bail "the signing device's certificate"
timeout 60 openssl cmp -config "" -use_mock_srv -batch -recipient /CN=cmpd \
	-cert "$T/sdev.crt" -key "$T/sdev.key" -trusted "$CA/root.crt" \
	-srv_cert "$T/signer.crt" -srv_key "$T/signer.key" -srv_trusted "$CA/root.crt" \
	-rsp_cert "$T_FIXTURES/new.pem" -certout "$T/mock-cert.pem" -cmd ir -newkey "$T/dev.key" -subject "/O=cmpd tests/CN=ra-signed-dev" \
	-reqout "$T/irsig.der,$T/mock-req2.der" > "$T/client.out" 2>&1
[ -s "$T/irsig.der" ] || { diag_file "$T/client.out"; bail "openssl cmp -reqout made no signed ir"; }
"$RA" wrap "$T/nsig.der" "$T/ra.key" "$T/ra.crt" "$T/irsig.der"
is "$(post "$T/nsig.der" sig)" 200 "a device's signed ir in the RA's nested"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/sd" > /dev/null
is "$(dump "$T/sd-1.der" body)/$(dump "$T/sd-1.der" status)" ip/accepted \
	"enrolled: its own signature verified with its certificate's key"

# ---------- OpenSSL's test_commands.csv rr rows with a dedicated signer
# (test/recipes/80-test_cmp_http_data: "get certificate for revocation"
# by cr, then rr of it with -revreason, signed by signer.crt)
mac_ir() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/enroll \
		-recipient /CN=cmpd $(mac) -msg_timeout 20 -total_timeout 40 -newkey "$T/dev.key" \
		-subject "$1" -certout "$2" > "$T/client.out" 2>&1
}
mac_ir /CN=test-rr-0 "$T/rr0.crt" || bail "no certificate for revocation"
nok "rr with a signer on no list" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rr0.crt" 0
like "$(cat "$T/client.out")" "notAuthorized" "refused notAuthorized"
is "$(status CN=test-rr-0)" issued "not revoked"
is "$(t_api POST "$SPATH" "{\"certificate\":$(jstr "$T/rrsigner.crt"),\"permissions\":[\"revoke\"]}")" 201 \
	"API: the dedicated signer on the list"
ok "revreason unspecified (0)" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rr0.crt" 0
is "$(status CN=test-rr-0)" revoked "revoked"
for r in 1 2 3 4 5 6 9 10; do
	mac_ir "/CN=test-rr-$r" "$T/rr$r.crt" || bail "no certificate for revocation $r"
	ok "revreason $r" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rr$r.crt" "$r"
	is "$(status "CN=test-rr-$r")" revoked "revoked ($r)"
	if [ "$r" = 6 ]; then
		# the csv's next row: removeFromCRL of the certificate just put on hold
		ok "revreason removeFromCRL (8)" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rr6.crt" 8
		is "$(status CN=test-rr-6)" issued "off hold: issued again in the inventory"
		is "$(t_sql "SELECT CONCAT(status, '/', COALESCE(revocation_reason, '-')) FROM localca_certificate
			WHERE subject LIKE '%test-rr-6'")" issued/- "and at the CA"
		nok "removeFromCRL again" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rr6.crt" 8
		like "$(cat "$T/client.out")" "removeFromCRL: the certificate is not on hold" "not on hold any more"
		ok "on hold again" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rr6.crt" 6
		nok "on hold twice" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rr6.crt" 6
		like "$(cat "$T/client.out")" "the certificate is revoked already" "says so"
		ok "a certificate on hold revoked for good" rr "$T/rrsigner.crt" "$T/rrsigner.key" \
			"$T/rr6.crt" 1
		is "$(t_sql "SELECT CONCAT(status, '/', revocation_reason) FROM certificate
			WHERE subject_dn = 'CN=test-rr-6'")" revoked/keyCompromise "revoked, keyCompromise"
		is "$(t_sql "SELECT revocation_reason FROM localca_certificate
			WHERE subject LIKE '%test-rr-6'")" keyCompromise "at the CA too"
		nok "removeFromCRL of a certificate revoked for good" rr "$T/rrsigner.crt" \
			"$T/rrsigner.key" "$T/rr6.crt" 8
		like "$(cat "$T/client.out")" "removeFromCRL: the certificate is not on hold" "refused"
	fi
done
# on hold here, revoked for good at the CA behind cmpd's back (the
# platform, another RA): the CA's 409 to the release is a refusal
mac_ir /CN=test-rr-held "$T/rrh.crt" || bail "no certificate to hold"
ok "on hold" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rrh.crt" 6
printf '{"reason":"keyCompromise","certificate":"%s"}' \
	"$(openssl x509 -in "$T/rrh.crt" -outform DER | base64 -w0)" > "$T/rvh.json"
is "$(curl -sS --noproxy '*' --max-time 10 -u "$(t_localca_curl_auth)" -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/json' --data-binary "@$T/rvh.json" \
	"$CONNECTOR_BASE/localca/v2/authorityProvider/authorities/00000000-0000-4000-8000-00000000e0a2/certificates/revoke")" \
	200 "revoked for good at the CA only"
nok "its release" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rrh.crt" 8
like "$(cat "$T/client.out")" "the certificate authority refused the request: certificate is not on hold" \
	"... refused with the CA's reason"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=test-rr-held'")" revoked \
	"... and still revoked in the inventory"
nok "revreason 7 (invalid)" rr "$T/rrsigner.crt" "$T/rrsigner.key" "$T/rr0.crt" 7

# --------------------------------------- cmpctl, and an RA signing directly
ctl() { "$top_builddir/cmpctl" -c "$T/cmpd.conf" "$@" > "$T/out" 2> "$T/err"; }
# ra_uuid [SUBJECT]: the uuid of the entry in the last ra-list whose
# subject ends so (default: the RA certificate's)
ra_uuid() {
	python3 -c 'import json,sys; print([e["uuid"] for e in json.load(open(sys.argv[1])) if e["subject"].endswith(sys.argv[2])][0])' \
		"$T/out" "${1:-CN=cmpd RA}"
}
ok "cmpctl profile ra-list" ctl profile ra-list sig
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$T/out")" 2 "two entries on sig"
ra_sig=$(ra_uuid)
ok "cmpctl profile ra-delete" ctl profile ra-delete sig "$ra_sig"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE action = 'deleteRaCertificate'")" 1 "audited"
nok "cmpctl profile ra-add with an unknown permission" ctl profile ra-add sig "$T/ra.crt" enroll,fly
like "$(cat "$T/err")" "unknown permission fly" "says so"
newkey "$T/new.key"
cr_as() {	# cr_as NAME SUBJECT [args]: a cr on sig signed with $T/NAME.crt
	local name=$1 subj=$2
	shift 2
	timeout 60 openssl cmp -cmd cr -server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/sig \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 -cert "$T/$name.crt" -key "$T/$name.key" \
		-untrusted "$CA/ca.crt" -trusted "$CA/root.crt" -newkey "$T/new.key" -subject "$subj" \
		-certout "$T/out.crt" -unprotected_errors "$@" > "$T/client.out" 2>&1
}
cr() { cr_as ra "$@"; }	# cr SUBJECT [args]: signed by the RA
nok "a cr for another name, signed by an RA that may not enrol" cr /CN=on-behalf
like "$(cat "$T/client.out")" "badCertTemplate" "refused by subjectPolicy signer"
ok "cmpctl profile ra-add" ctl profile ra-add sig "$T/ra.crt" enroll,revoke,raVerified
ok "the same cr once the RA may enrol" cr /CN=on-behalf
is "$(openssl x509 -in "$T/out.crt" -noout -subject)" "subject=CN = on-behalf" "issued for the name asked"
ok "a cr with raVerified signed by the RA directly" cr /CN=on-behalf-rv -popo 0
is "$(openssl x509 -in "$T/out.crt" -noout -subject)" "subject=CN = on-behalf-rv" "issued"
# What an RA began on its authority ends with it: taken off the list
# between its cr and its certConf, it confirms nothing (as inside a
# nested), and the certificate stays unconfirmed (the sweep revokes it)
ok "a cr for another name, its certConf held back" \
	cr /CN=ra-gone -disable_confirm -rspout "$T/ra-gone.der"
ctl profile ra-list sig
ra_sig=$(ra_uuid)
ok "the RA taken off sig's list" ctl profile ra-delete sig "$ra_sig"
ok "its certConf, signed as its cr" \
	"$TOOL" certconf "$T/ra-gone.der" "$T/cc-gone.der" "sig:$T/ra.crt:$T/ra.key"
is "$(post "$T/cc-gone.der" sig)" 200 "... sent"
is "$(dump "$T/resp.der" body)" error "... answered with an error"
like "$(grep -F 'body=certConf' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_RA_WITHDRAWN" \
	"... CMPF_RA_WITHDRAWN"
is "$(t_sql "SELECT t.state FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
	WHERE c.subject_dn = 'CN=ra-gone'")" confirm_wait "... the certificate not confirmed"
is "$(t_sql "SELECT ra_authority FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
	WHERE c.subject_dn = 'CN=on-behalf-rv'")" 5 \
	"a transaction records what the RA began it on (enroll, raVerified)"
ok "the RA back on the list" ctl profile ra-add sig "$T/ra.crt" enroll,revoke,raVerified
# A CA certificate on the list stands for the RAs it certifies, marked so
# (extendedKeyUsage cmcRA, RFC 6402), not for every device it issued to
{ cat "$T/signer.ext"; echo 'extendedKeyUsage=clientAuth'; } > "$T/device.ext"
{ cat "$T/signer.ext"; echo 'extendedKeyUsage=clientAuth,1.3.6.1.5.5.7.3.28'; } > "$T/cmcra.ext"
mkcert under-dev "/O=cmpd tests/CN=device under the root" "$T/device.ext" &&
	mkcert under-ra "/O=cmpd tests/CN=RA under the root" "$T/cmcra.ext" ||
	bail "certificates under the root"
ok "the root CA on sig's list, enroll" ctl profile ra-add sig "$CA/root.crt" enroll
nok "a device under it (no cmcRA) asks for another name" cr_as under-dev /CN=by-a-device
like "$(cat "$T/client.out")" "badCertTemplate" "... refused as before (subjectPolicy signer)"
ok "an RA under it (extendedKeyUsage cmcRA) does" cr_as under-ra /CN=by-an-ra
is "$(openssl x509 -in "$T/out.crt" -noout -subject)" "subject=CN = by-an-ra" "... issued"
ctl profile ra-list sig
ok "the root off the list again" ctl profile ra-delete sig "$(ra_uuid "CN=Test Root CA")"
# an RA vouches for a POP, which proves nothing for a key anyone can sign with
t_rsa_e1_key "$T/e1.key"
rv_e1() {
	timeout 60 openssl cmp -cmd cr -server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/sig \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 -cert "$T/ra.crt" -key "$T/ra.key" \
		-untrusted "$CA/ca.crt" -trusted "$CA/root.crt" -newkey "$T/e1.key" -subject /CN=rv-e1 -certout "$T/e1.crt" \
		-popo 0 -unprotected_errors > "$T/client.out" 2>&1
}
nok "a raVerified cr for an RSA key of exponent 1: refused" rv_e1
like "$(cat "$T/client.out")" "badPOP" "... badPOP"
like "$(grep -F 'body=cr' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_BAD_POP" \
	"... before the CA was asked"
mac_ir /CN=kur-dev "$T/kur.crt" || bail "no certificate to update"
nok "a kur with raVerified from the RA" timeout 60 openssl cmp -cmd kur -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/sig -recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
	-cert "$T/ra.crt" -key "$T/ra.key" -oldcert "$T/kur.crt" -untrusted "$CA/ca.crt" \
	-trusted "$CA/root.crt" -newkey "$T/new.key" -popo 0 -unprotected_errors
is "$(status CN=kur-dev)" issued "never raVerified for kur: nothing renewed"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=kur-dev'")" 1 "no new certificate"

# ------------------------------------ permissions changed in place
ctl profile ra-list sig
ra_sig=$(ra_uuid)
is "$(t_api PATCH "$SPATH/$ra_sig" '{"permissions":["enroll"]}' "$(t_api_key reader read)")" 403 \
	"API: the read role cannot change permissions"
is "$(t_api PATCH "$SPATH/$ra_sig" '{"permissions":["enroll"]}')" 200 "API: the RA may enroll only"
is "$(t_json 'j["permissions"]')" '["enroll"]' "its permissions in the answer"
is "$(t_json 'j["subject"]')" "/O=cmpd tests/CN=cmpd RA" "the same certificate"
mac_ir /CN=patch-rr-1 "$T/prr1.crt" && mac_ir /CN=patch-rr-2 "$T/prr2.crt" ||
	bail "no certificates for revocation"
nok "an rr on behalf by the RA that may enroll only" rr "$T/ra.crt" "$T/ra.key" "$T/prr1.crt" 1
like "$(cat "$T/client.out")" "notAuthorized" "refused notAuthorized"
is "$(status CN=patch-rr-1)" issued "not revoked"
ok "cmpctl profile ra-update: enroll,revoke" ctl profile ra-update sig "$ra_sig" enroll,revoke
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["permissions"])' "$T/out")" \
	"['enroll', 'revoke']" "cmpctl shows the new permissions"
ok "the same rr once the RA may revoke" rr "$T/ra.crt" "$T/ra.key" "$T/prr1.crt" 1
is "$(status CN=patch-rr-1)" revoked "revoked"
is "$(t_api PATCH "$SPATH/$ra_sig" '{"permissions":["enroll"]}')" 200 "API: enroll only again"
nok "an rr by the RA refused again" rr "$T/ra.crt" "$T/ra.key" "$T/prr2.crt" 1
like "$(cat "$T/client.out")" "notAuthorized" "refused notAuthorized again"
is "$(status CN=patch-rr-2)" issued "not revoked"
is "$(t_api PATCH "$SPATH/$ra_sig" '{"permissions":["enroll","fly"]}')" 422 "API PATCH: an unknown permission"
is "$(t_json 'j["message"]')" "permissions: unknown permission fly (enroll, revoke, raVerified)" "says so"
is "$(t_api PATCH "$SPATH/$ra_sig" '{"permissions":[]}')" 422 "API PATCH: no permission"
is "$(t_json 'j["message"]')" "permissions: at least one of enroll, revoke, raVerified" "says so"
is "$(t_api PATCH "$SPATH/$ra_sig" '{}')" 422 "API PATCH: no permissions member"
is "$(t_json 'j["message"]')" "permissions: an array of enroll, revoke, raVerified" "says so"
is "$(t_api PATCH "$SPATH/$ra_sig" "{\"permissions\":[\"enroll\"],\"certificate\":$(jstr "$T/rogue.crt")}")" 400 \
	"API PATCH: a certificate (it cannot change)"
is "$(t_json 'j["message"]')" "unknown field certificate" "says so"
is "$(t_api PATCH "$SPATH/00000000-0000-4000-8000-0000000000ee" '{"permissions":["enroll"]}')" 404 \
	"API PATCH: an unknown entry"
is "$(t_json 'j["message"]')" "RA certificate 00000000-0000-4000-8000-0000000000ee not found" "says so"
is "$(t_api PATCH "$RAPATH/$ra_sig" '{"permissions":["enroll"]}')" 404 "API PATCH: the entry of another profile"
is "$(t_api GET "$SPATH")" 200 "API: sig's list"
is "$(t_json '[e["permissions"] for e in j if e["uuid"] == "'"$ra_sig"'"]')" '[["enroll"]]' \
	"unchanged by the refusals"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE action = 'updateRaCertificate'")" 3 \
	"each change audited (updateRaCertificate)"
like "$(t_sql "SELECT detail FROM audit WHERE action = 'updateRaCertificate' LIMIT 1 OFFSET 1")" \
	'"permissions": *\[ *"enroll", *"revoke" *\]' "with the new permissions"

# ------------------------------- an unprotected rr in the RA's nested
"$TOOL" cert "$T/a3-3.der" "$T/dev4.crt"
req "$T/rr-mac.der" -cmd rr -oldcert "$T/dev4.crt" -revreason 4 || bail "no rr"
# reasonCodes the client refuses to send: 7 (unused) and 11 (undefined);
# and two of them, the client's 4 and a removeFromCRL (RFC 9483 4.2:
# exactly one)
for r in rrreason=7 rrreason=11 rrreasonalso=8; do
	"$TOOL" edit "$T/rr-mac.der" "$T/rr-u.der" protection=none protectionAlg=none $r
	"$RA" wrap "$T/nrr.der" "$T/rronly.key" "$T/rronly.crt" "$T/rr-u.der"
	is "$(post "$T/nrr.der" ra)" 200 "an rr with reasonCode $r in the RA's nested"
	"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/rr" > /dev/null
	is "$(dump "$T/rr-1.der" failInfo)" badRequest "reasonCode $r: badRequest"
	like "$(dump "$T/rr-1.der" text)" "unsupported revocation reasonCode" "reasonCode $r: says so"
done
is "$(status CN=ra-dev-4)" issued "nothing revoked"
"$TOOL" edit "$T/rr-mac.der" "$T/rr-u.der" protection=none protectionAlg=none
"$RA" wrap "$T/nrr.der" "$T/rronly.key" "$T/rronly.crt" "$T/rr-u.der"
is "$(post "$T/nrr.der" ra)" 200 "an rr on the authority of the RA that may revoke only"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/rr" > /dev/null
is "$(dump "$T/rr-1.der" body)" rp "an rp"
is "$(dump "$T/rr-1.der" failInfo)" "" "no failure"
is "$(status CN=ra-dev-4)" revoked "the device's certificate revoked"
# ------------------------------- a device entry's ir inside an RA's nested
# the inner ir carries the device's own MAC (its entry's secret, senderKID
# its reference): checked with the entry as if it came alone
is "$(t_api POST "/cmpProfiles/$RAP/devices" \
	'{"reference":"nd-1","secret":"nested-dev-secret","subject":"/CN=nested-dev-1"}')" 201 \
	"API: a single-use device entry on ra"
devreq() {	# devreq OUT REF SECRET SUBJECT: an ir MAC'd as openssl cmp makes it
	openssl cmp -config "" -use_mock_srv -batch -recipient /CN=cmpd \
		-ref "$2" -secret "pass:$3" -srv_ref "$2" -srv_secret "pass:$3" \
		-rsp_cert "$T_FIXTURES/new.pem" -certout "$T/mock-cert.pem" -reqout "$1,$T/mock-req2.der" \
		-cmd ir -newkey "$T/dev.key" -subject "$4" > "$T/client.out" 2>&1
	[ -s "$1" ]
}
devreq "$T/nd1.der" nd-1 nested-dev-secret /CN=nested-dev-1 &&
	devreq "$T/nd2.der" nd-1 nested-dev-secret /CN=nested-dev-1 || bail "openssl cmp -reqout made no device ir"
ok "the inner ir names the entry (senderKID nd-1)" env LC_ALL=C grep -q nd-1 "$T/nd1.der"
"$RA" wrap "$T/nnd1.der" "$T/ra.key" "$T/ra.crt" "$T/nd1.der"
is "$(post "$T/nnd1.der" ra)" 200 "the device's ir in the RA's nested"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/nd1" > /dev/null
is "$(dump "$T/nd1-1.der" body)/$(dump "$T/nd1-1.der" status)" ip/accepted "enrolled"
"$TOOL" cert "$T/nd1-1.der" "$T/nd1.crt"
is "$(openssl x509 -in "$T/nd1.crt" -noout -subject)" "subject=CN = nested-dev-1" "for the entry's subject"
is "$(t_api GET "/cmpProfiles/$RAP/devices/nd-1")" 200 "API: the entry"
is "$(t_json '[j["state"], j["usesLeft"]]')" '["used", 0]' "its one use spent"
# the device confirms with its entry's secret (a follow-up: whatever the uses)
"$TOOL" certconf "$T/nd1-1.der" "$T/ndcc-sig.der" "sig:$T/ra.crt:$T/ra.key" &&
	"$TOOL" edit "$T/ndcc-sig.der" "$T/ndcc.der" pbmfrom="$T/nd1.der" remac=nested-dev-secret
is "$(post "$T/ndcc.der" ra)" 200 "the device's certConf"
is "$(dump "$T/resp.der" body)" pkiconf "pkiconf"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$(dump "$T/nd1.der" tid)')")" \
	confirmed "the device's transaction confirmed"
"$RA" wrap "$T/nnd2.der" "$T/ra.key" "$T/ra.crt" "$T/nd2.der"
is "$(post "$T/nnd2.der" ra)" 200 "a second ir of the single-use entry in a nested"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/nd2" > /dev/null
is "$(dump "$T/nd2-1.der" body)/$(dump "$T/nd2-1.der" status)" ip/rejection "the inner answer: rejected"
is "$(dump "$T/nd2-1.der" failInfo)" badMessageCheck "badMessageCheck"
is "$(dump "$T/nd2-1.der" text)" "PN=ra | message authentication failed" "the one device text"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=nested-dev-1'")" 1 "one certificate only"
like "$(cat "$T/cmpd.log")" "MAC refused: device entry [0-9a-f-]* is used" "logged: the entry is used"
# a batch: a second device's ir, an ir MAC'd with the profile's secret,
# and one under a reference without an entry MAC'd with the second
# device's secret: each checked with its own secret, none with another's
is "$(t_api POST "/cmpProfiles/$RAP/devices" '{"reference":"nd-2","secret":"second-dev-secret"}')" 201 \
	"API: a second device entry on ra"
devreq "$T/nd3.der" nd-2 second-dev-secret /CN=nested-dev-2 &&
	req "$T/ir5.der" -cmd ir -newkey "$T/dev.key" -subject /CN=ra-dev-5 &&
	devreq "$T/nd4.der" nd-nobody second-dev-secret /CN=nested-dev-x || bail "no batch requests"
"$RA" wrap "$T/nb.der" "$T/ra.key" "$T/ra.crt" "$T/nd3.der" "$T/nd4.der" "$T/ir5.der"
is "$(post "$T/nb.der" ra)" 200 "the batch answered"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/nb" > "$T/unwrap.out"
like "$(cat "$T/unwrap.out")" "inner=3" "three answers"
is "$(dump "$T/nb-1.der" body)/$(dump "$T/nb-1.der" status)" ip/accepted "the device's ir: accepted"
is "$(dump "$T/nb-2.der" body)/$(dump "$T/nb-2.der" status)" ip/rejection \
	"an unknown reference with that device's secret after it: rejected"
is "$(dump "$T/nb-2.der" text)" "PN=ra | message authentication failed" "the one device text"
is "$(dump "$T/nb-3.der" body)/$(dump "$T/nb-3.der" status)" ip/accepted \
	"the profile secret's ir after them: accepted"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=nested-dev-x'")" 0 "nothing issued for it"

# ------------------------- delayed delivery of an ir on the RA's authority
# its answer waits; the RA polls with unprotected pollReqs in its nested
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/rapend' WHERE uuid = '00000000-0000-4000-8000-00000000e0c1'" ||
	bail "switching to rapend failed"
sleep 2	# profile_cache
newkey "$T/pw.key"
req "$T/pw0.der" -cmd ir -popo 0 -newkey "$T/pw.key" -subject "/CN=ra-waits" || bail "no raVerified ir"
"$TOOL" edit "$T/pw0.der" "$T/pw.der" protection=none protectionAlg=none
"$RA" wrap "$T/npw.der" "$T/ra.key" "$T/ra.crt" "$T/pw.der"
is "$(post "$T/npw.der" ra)" 200 "an unprotected ir from the RA, to a CA that answers pending"
"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/pw" > /dev/null
is "$(dump "$T/pw-1.der" body)/$(dump "$T/pw-1.der" status)" ip/waiting "answered waiting"
# rapoll N LAST: the RA's unprotected pollReq answering LAST, in a nested
rapoll() {
	"$TOOL" edit "$T_FIXTURES/pollReq-pbm.der" "$T/poll$1.der" tid="$(dump "$T/pw.der" tid)" \
		senderNonce="$(openssl rand -hex 16)" recipNonce="$(dump "$2" senderNonce)" \
		messageTime=0 protection=none protectionAlg=none &&
	"$RA" wrap "$T/npoll$1.der" "$T/ra.key" "$T/ra.crt" "$T/poll$1.der" &&
	[ "$(post "$T/npoll$1.der" ra)" = 200 ] &&
	"$RA" unwrap "$T/resp.der" "$CA/root.crt" "$T/pr$1" > /dev/null
}
ok "the RA's pollReq sent" rapoll 1 "$T/pw-1.der"
is "$(dump "$T/pr1-1.der" body)" pollRep "answered pollRep, not refused"
# it polls on, each pollReq answering the answer before, until the CA
# has issued (8 s after the ir; 20 pollReqs at most)
n=1
while [ "$(dump "$T/pr$n-1.der" body)" = pollRep ] && [ "$n" -lt 20 ]; do
	sleep 1
	rapoll $((n + 1)) "$T/pr$n-1.der" || break
	n=$((n + 1))
done
is "$(dump "$T/pr$n-1.der" body)/$(dump "$T/pr$n-1.der" status)" ip/accepted \
	"the certificate delivered (pollReq $n)"
"$TOOL" cert "$T/pr$n-1.der" "$T/pw.crt"
is "$(openssl x509 -in "$T/pw.crt" -noout -subject)" "subject=CN = ra-waits" "for the name asked"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE uuid = '00000000-0000-4000-8000-00000000e0c1'"

is "$(t_api DELETE "$RAPATH/$RA_ID")" 204 "API: the RA off ra's list"
is "$(post "$T/n1.der" ra)" 200 "its nested now"
is "$(dump "$T/resp.der" failInfo)" signerNotTrusted "signerNotTrusted once off the list"
like "$(cat "$T/cmpd.log")" "PN=ra nested: ir from the RA answered tid=$tid1 outcome=CMPF_OK" "inner messages logged"
like "$(cat "$T/cmpd.log")" "nested: nested from the RA answered tid=[0-9a-f]* outcome=CMPF_NESTED_DEPTH" \
	"with their failure"
done_testing
