#!/bin/sh
# p10cr (RFC 9810 5.3.4, RFC 9483 4.1.4): a PKCS#10 CSR instead of a
# CertReqMsg. Its signature is the proof of possession; subject,
# extensions and key come from it; the CA is asked with format pkcs10; the
# cp answers certReqId -1 and the certConf confirms certReqId -1.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
CMP=/api/v1/protocols/cmp/enroll
TOOL=$top_builddir/t/cmptool
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
API_KEY=$(t_api_key p10cr-read read)
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
SECRET="-ref $ENROLL_REF -secret pass:$ENROLL_SECRET"
client() {
	local path=$1
	shift
	timeout 60 openssl cmp -cmd p10cr -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 "$@" > "$T/client.out" 2>&1
}
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/p10.key" -subj "/O=cmpd tests/CN=p10-device" \
	-addext "subjectAltName=DNS:p10-device.example" -out "$T/p10.csr" 2>/dev/null

ok "p10cr with a CSR" client $CMP $SECRET -csr "$T/p10.csr" -certout "$T/p10.crt" \
	-reqout "$T/p10cr.der,$T/cc.der" -rspout "$T/cp.der,$T/conf.der"
diag_file "$T/client.out" 5
is "$(dump "$T/p10cr.der" body)" p10cr "the client sent a p10cr"
is "$(dump "$T/cp.der" body)" cp "answered with a cp"
is "$(dump "$T/cp.der" certReqId)" -1 "certReqId -1"
is "$(dump "$T/cp.der" status)" accepted "accepted"
is "$(dump "$T/conf.der" body)" pkiconf "certConf confirmed it"
ok "certificate verifies to the test root" \
	openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/p10.crt"
like "$(openssl x509 -in "$T/p10.crt" -noout -subject)" "CN = p10-device" "subject from the CSR"
like "$(openssl x509 -in "$T/p10.crt" -noout -ext subjectAltName)" "DNS:p10-device.example" \
	"subjectAltName from the CSR"
is "$(openssl x509 -in "$T/p10.crt" -noout -pubkey)" \
	"$(openssl pkey -in "$T/p10.key" -pubout)" "the CSR's key certified"
TID=$(dump "$T/cp.der" tid)
is "$(t_sql "SELECT CONCAT(request_type, ':', cert_req_id, ':', state) FROM cmp_transaction
  WHERE transaction_id = UNHEX('$TID')")" "4:-1:confirmed" "transaction: p10cr, certReqId -1, confirmed"
CU=$(t_sql "SELECT certificate_uuid FROM cmp_transaction WHERE transaction_id = UNHEX('$TID')")
is "$(t_api GET /certificates/$CU)" 200 "inventory: the certificate"
is "$(t_json 'j["status"]')" issued "inventory: issued"
like "$(t_json 'j["subject"]')" "CN=p10-device" "inventory: its subject"
is "$(t_api GET /cmpTransactions/$TID)" 200 "API: the transaction"
is "$(t_json 'j["requestType"]')" p10cr "API: requestType p10cr"
is "$(t_json 'j["certReqId"]')" -1 "API: certReqId -1"

# implicitConfirm, and a certConf that rejects it
t_sql "UPDATE cmp_profile SET implicit_confirm_allowed = 1 WHERE name = 'enroll'"
ok "p10cr with implicitConfirm" client $CMP $SECRET -csr "$T/p10.csr" -implicit_confirm \
	-certout "$T/p10i.crt" -rspout "$T/cpi.der"
is "$(dump "$T/cpi.der" generalInfo)" id-it-implicitConfirm "implicitConfirm granted"
ok "p10cr, certConf left to us" client $CMP $SECRET -csr "$T/p10.csr" -disable_confirm \
	-certout "$T/p10r.crt" -rspout "$T/cpr.der"
"$TOOL" certconf "$T/cpr.der" "$T/ccr.der" "$ENROLL_SECRET" reject
is "$(dump "$T/ccr.der" body)" certConf "a rejecting certConf for certReqId -1"
t_post "$T/ccr.der" $CMP > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "rejected: pkiConf"
is "$(t_sql "SELECT c.status FROM certificate c JOIN cmp_transaction t ON c.uuid = t.certificate_uuid
  WHERE t.transaction_id = UNHEX('$(dump "$T/cpr.der" tid)')")" rejected "and revoked"

# a CSR whose signature does not verify: badPOP
openssl req -in "$T/p10.csr" -outform DER -out "$T/p10.csr.der"
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[-1]^=1; open(sys.argv[2],"wb").write(d)' \
	"$T/p10.csr.der" "$T/bad.csr.der"
openssl req -inform DER -in "$T/bad.csr.der" -out "$T/bad.csr" 2>/dev/null
like "$(openssl req -in "$T/bad.csr" -verify -noout 2>&1)" "verify failure" \
	"openssl req sees the broken signature"
# refused_csr NAME FAILINFO TEXT: p10cr of $T/NAME.csr refused with a cp
# of FAILINFO and TEXT (the answer in $T/cp-NAME.der), the CA not asked
refused_csr() {
	nok "p10cr of $1.csr: refused" client $CMP $SECRET -csr "$T/$1.csr" \
		-certout "$T/$1.crt" -rspout "$T/cp-$1.der"
	diag_file "$T/client.out" 5
	is "$(dump "$T/cp-$1.der" body)" cp "... a cp"
	is "$(dump "$T/cp-$1.der" certReqId)" -1 "... certReqId -1"
	is "$(dump "$T/cp-$1.der" failInfo)" "$2" "... $2"
	is "$(dump "$T/cp-$1.der" text)" "$3" "... the row's text"
	is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id = UNHEX('$(dump "$T/cp-$1.der" tid)')")" 0 \
		"... nothing asked of the CA"
}
refused_csr bad badPOP \
	"PN=enroll | the PKCS#10 request's signature does not verify with its public key"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn LIKE '%p10-device%'")" 3 \
	"three certificates for the three good CSRs only"

# a CSR signed with SHA-1: its proof of possession by an algorithm RFC
# 9481 3 does not list, refused before the CA is asked
openssl req -new -key "$T/p10.key" -sha1 -subj "/CN=p10-sha1" -out "$T/sha1.csr" 2>/dev/null
like "$(openssl req -in "$T/sha1.csr" -noout -text)" "ecdsa-with-SHA1" "a CSR signed with SHA-1"
ok "openssl req verifies it" openssl req -in "$T/sha1.csr" -verify -noout
refused_csr sha1 badAlg \
	"PN=enroll | the proof of possession is signed with ecdsa-with-SHA1, which is not accepted (RFC 9481 3: RSA or ECDSA with SHA-2, RSASSA-PSS, Ed25519, Ed448)"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn LIKE '%p10-sha1%'")" 0 \
	"nothing issued"

# a CSR without a subject
openssl req -new -key "$T/p10.key" -subj "/" -out "$T/nosubj.csr" 2>/dev/null
nok "p10cr with an empty subject: refused" client $CMP $SECRET -csr "$T/nosubj.csr" \
	-rspout "$T/cp-ns.der"
is "$(dump "$T/cp-ns.der" failInfo)" badCertTemplate "no subject: badCertTemplate"

# ------------------------------------------------- 3GPP (TS 33.310 9.5)
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, variant, request_protection,
    response_protection, default_ra_profile_uuid, subject_policy) VALUES
  ('00000000-0000-4000-8000-00000000f102', 'bts', 1, 'v2_3gpp', 'signature', 'signature',
   '00000000-0000-4000-8000-00000000e001', 'any')"
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" > "$T/bundle.pem"
$CMPD --set-signing-credentials bts < "$T/bundle.pem" > /dev/null
$CMPD --set-trust-anchors bts < "$F/root.pem" > /dev/null
# cmpd's own --set-* are audited as the API's changes are
audit_of() { t_sql "SELECT CONCAT(actor, ' ', detail) FROM audit WHERE action = '$1'
  AND object_type = '$2' AND object_uuid = '$3' ORDER BY at DESC LIMIT 1"; }
BTS=00000000-0000-4000-8000-00000000f102
ME=cmpd:$(id -un)
is "$(audit_of setSigningCredentials cmpProfile $BTS)" \
	"$ME {\"signingCredentials\":\"(set)\",\"certificates\":2}" "--set-signing-credentials: audited"
is "$(audit_of setTrustAnchors cmpProfile $BTS)" "$ME {\"certificates\":1,\"crls\":0}" \
	"--set-trust-anchors: audited"
is "$(audit_of update cmpProfile "$(t_sql "SELECT uuid FROM cmp_profile WHERE name = 'enroll'")")" \
	"$ME {\"sharedSecret\":\"(set)\"}" "--set-shared-secret (the set-up's): audited"
is "$(audit_of update connector "$(t_sql "SELECT uuid FROM connector WHERE name = 'localca'")")" \
	"$ME {\"credentials\":\"(set)\"}" "--set-connector-credentials (the set-up's): audited"
unlike "$(t_sql "SELECT detail FROM audit")" "$ENROLL_SECRET|BEGIN" "... no secret, no key in the audit log"
openssl req -new -key "$T/p10.key" -subj "/CN=bts-p10" -out "$T/bts.csr" 2>/dev/null
nok "3GPP: p10cr refused" client /api/v1/protocols/cmp/bts -cert "$F/ee.pem" -key "$F/ee.key" \
	-trusted "$CA/root.crt" -csr "$T/bts.csr" -rspout "$T/cp-bts.der"
diag_file "$T/client.out" 5
is "$(dump "$T/cp-bts.der" failInfo)" badRequest "3GPP p10cr: badRequest"
is "$(dump "$T/cp-bts.der" text)" \
	"PN=bts | p10cr is not part of the 3GPP variant (TS 33.310 uses ir, cr and kur)" \
	"CMPF_P10CR_3GPP"
is "$(dump "$T/cp-bts.der" protected)" 1 "signed"
is "$(t_api GET /cmpProfiles/00000000-0000-4000-8000-00000000f102)" 200 "API: the 3GPP profile"
is "$(t_json 'j["certReqMax"]')" 1 "3GPP: certReqMax 1"
ADMIN=$(t_api_key p10cr-admin admin)
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000f102 '{"certReqMax":2}' "$ADMIN")" 422 \
	"3GPP: certReqMax over 1 refused"
is "$(t_json 'j["message"]')" "certReqMax must be 1 for the v2_3gpp variant" "and says so"

# TS 33.310 9.5.2: a base station may order extraCerts as it likes; the
# protection certificate is the one of the sender's name (RFC 9810 puts
# it first, and so does every other variant)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/bts.key" 2>/dev/null
timeout 60 openssl cmp -cmd ir -server 127.0.0.1:1 -path /api/v1/protocols/cmp/bts \
	-recipient /CN=cmpd -msg_timeout 5 -total_timeout 5 -cert "$F/ee.pem" -key "$F/ee.key" \
	-extracerts "$F/root.pem" -newkey "$T/bts.key" -subject "/CN=bts-order" \
	-certout "$T/junk.crt" -reqout "$T/ir-bts.der" > "$T/client.out" 2>&1
[ -s "$T/ir-bts.der" ] || { diag_file "$T/client.out"; bail "openssl cmp -reqout made no ir"; }
"$TOOL" edit "$T/ir-bts.der" "$T/ir-btsr.der" extraCertsReversed=1
is "$("$TOOL" dump "$T/ir-btsr.der" | sed -n 's/^extraCert=//p' | tr '\n' '/')" \
	"CN=cmpd Test Root CA/CN=test-ee/" "an ir whose extraCerts begin with the vendor root"
is "$(t_post "$T/ir-btsr.der" /api/v1/protocols/cmp/bts)" 200 "... posted to the 3GPP profile"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" status)" ip/accepted \
	"... enrolled: the base station's certificate found by its name"
"$TOOL" edit "$T/ir-btsr.der" "$T/ir-btsr2.der" tid="$(openssl rand -hex 16)"
t_sql "UPDATE cmp_profile SET variant = 'v2' WHERE name = 'bts'"
t_post "$T/ir-btsr2.der" /api/v1/protocols/cmp/bts > /dev/null
is "$(dump "$T/resp.der" failInfo)" badMessageCheck "... on the v2 variant: the first one signs, or nothing"
t_sql "UPDATE cmp_profile SET variant = 'v2_3gpp' WHERE name = 'bts'"

nok "no worker died" grep -q "killed by signal" "$T/cmpd.log"
done_testing
