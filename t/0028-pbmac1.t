#!/bin/sh
# MAC-based protection beyond PBM and the RFC 9811 operation labels, end
# to end through lighttpd, cmpd and cmp-localca:
#  - PBMAC1 (RFC 9481 6.1.3): an ir written by `openssl cmp -reqout` and
#    PBMAC1-protected by t/cmppbmac1 (PKCS5_PBKDF2_HMAC + HMAC) is
#    answered with a PBMAC1-protected ip (cmpd's own salt) that the client
#    verifies with its own code; certConf with PBMAC1 gets a PBMAC1
#    pkiconf; wrong secret, iterations over the cap or under the minimum,
#    and a SHA-1 prf are refused;
#  - PBM with SHA-1 as owf: refused by default, accepted where the CMP
#    Profile sets legacyPbm; openssl cmp's default PBM (owf SHA-256, mac
#    HMAC-SHA1) works on every profile;
#  - /.well-known/cmp/p/{profile}/{label}: RFC 9483's labels answered by
#    the profile, an unknown label 404, a message of another operation
#    refused.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

CA=$T/ca
TOOL=$top_builddir/t/cmptool
P1=$top_builddir/t/cmppbmac1
API_KEY=$(t_api_key admin admin)
ENROLL_UUID=00000000-0000-4000-8000-00000000e101
WK=/.well-known/cmp/p/enroll
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
p1() { "$P1" verify "$1" "$2" | sed -n "s/^$3=//p"; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

# client CMD PATH ARGS...: openssl cmp against our lighttpd; output in
# $T/client.out
client() {
	local cmd=$1 path=$2
	shift 2
	timeout 60 openssl cmp -cmd "$cmd" -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 -ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
		"$@" > "$T/client.out" 2>&1
}
# fresh IN OUT [EDITS]: IN with a new transactionID, senderNonce and
# messageTime, so that one captured request starts many transactions
fresh() {
	local in=$1 out=$2
	shift 2
	"$TOOL" edit "$in" "$out" tid="$(openssl rand -hex 16)" \
		senderNonce="$(openssl rand -hex 16)" messageTime=0 "$@"
}
tx_state() { t_sql "SELECT state FROM cmp_transaction ORDER BY created_at DESC LIMIT 1"; }

# ------------------------------------------------ labels, openssl cmp
# the request openssl cmp writes, captured where cmpd knows no label:
# the answer is 404, the request is on disk
nok "an unknown label is no route" client ir "$WK/enrollment" \
	-newkey "$T/dev.key" -subject "/CN=captured" -certout "$T/none.crt" \
	-reqout "$T/ir-base.der"
ok "openssl cmp wrote its ir" [ -s "$T/ir-base.der" ]
is "$(t_post "$T/ir-base.der" "$WK/enrollment")" 404 "unknown label: HTTP 404"
is "$(t_post "$T/ir-base.der" "$WK/initialization/x")" 404 "deeper than a label: HTTP 404"
is "$(t_post "$T/ir-base.der" /api/v1/protocols/cmp/enroll/initialization)" 404 \
	"no labels on the /api/v1 route: HTTP 404"
# what openssl cmp 3.0 sends by default: owf SHA-256, 500 iterations,
# mac HMAC-SHA1 (the reason HMAC-SHA1 stays accepted)
asn=$(openssl asn1parse -inform DER -in "$T/ir-base.der")
like "$asn" "password based MAC" "openssl cmp's default: PBM"
like "$asn" "OBJECT +:sha256" "owf SHA-256"
like "$asn" "OBJECT +:hmac-sha1" "mac HMAC-SHA1"

ok "ir under initialization" client ir "$WK/initialization" \
	-newkey "$T/dev.key" -subject "/CN=label-ir" -certout "$T/label-ir.crt"
diag_file "$T/client.out" 5
ok "its certificate verifies" \
	openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/label-ir.crt"
is "$(tx_state)" confirmed "certConf under the same label: confirmed"
ok "cr under certification" client cr "$WK/certification" \
	-newkey "$T/dev.key" -subject "/CN=label-cr" -certout "$T/label-cr.crt"
ok "HMAC-SHA-256 as PBM's mac (openssl cmp -mac)" client ir "$WK/initialization" \
	-mac hmacWithSHA256 -newkey "$T/dev.key" -subject "/CN=label-mac" \
	-certout "$T/label-mac.crt"
# an rr passes the label and reaches the profile's rr handler, which
# wants it signed by the certificate's owner (not MAC-protected)
nok "rr under revocation" client rr "$WK/revocation" -oldcert "$T/label-cr.crt"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "body=rr->error .*outcome=CMPF_RR_NOT_AUTHORIZED" \
	"rr under revocation: past the label, to the rr handler"
nok "cr under initialization is refused" client cr "$WK/initialization" \
	-newkey "$T/dev.key" -subject "/CN=label-wrong" -certout "$T/label-wrong.crt"
like "$(cat "$T/client.out")" "the message does not fit the URL's operation label: cr sent to initialization" \
	"CMPF_LABEL_MISMATCH named to the client"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "route=cmpProfile/enroll/initialization method=POST status=200 body=cr->cp .*outcome=CMPF_LABEL_MISMATCH" \
	"logged with the label, as CMPF_LABEL_MISMATCH"
fresh "$T/ir-base.der" "$T/ir-rev.der" remac="$ENROLL_SECRET"
is "$(t_post "$T/ir-rev.der" "$WK/revocation")" 200 "an ir under revocation: a CMP answer"
is "$(dump "$T/resp.der" text)" "PN=enroll | the message does not fit the URL's operation label: ir sent to revocation" \
	"refused with the label's name"
is "$(dump "$T/resp.der" failInfo)" badRequest "failInfo badRequest"
is "$(p1 "$T/resp.der" x protectionAlg)" id-PasswordBasedMAC \
	"the refusal is protected (PBM, as the request)"
fresh "$T/ir-base.der" "$T/ir-gen.der" remac="$ENROLL_SECRET"
is "$(t_post "$T/ir-gen.der" "$WK/getcacerts")" 200 "an ir under getcacerts: refused"
is "$(dump "$T/resp.der" text)" "PN=enroll | the message does not fit the URL's operation label: ir sent to getcacerts" \
	"genm labels take genm only"
for l in keyupdate pkcs10 getrootupdate getcertreqtemplate getcrls nested; do
	fresh "$T/ir-base.der" "$T/ir-l.der" remac="$ENROLL_SECRET"
	is "$(t_post "$T/ir-l.der" "$WK/$l")" 200 "label $l is routed to the profile"
	like "$(dump "$T/resp.der" text)" "^PN=enroll \| the message does not fit the URL's operation label: ir sent to $l" \
		"and answered by it"
done

# ---------------------------------------------------------- PBMAC1
fresh "$T/ir-base.der" "$T/ir1.der"
ok "PBMAC1-protect an ir" "$P1" protect "$T/ir1.der" "$T/ir1-p1.der" "$ENROLL_SECRET"
is "$(p1 "$T/ir1-p1.der" "$ENROLL_SECRET" verified)" yes "the client's own MAC checks out"
is "$(t_post "$T/ir1-p1.der" "$WK/initialization")" 200 "PBMAC1 ir: HTTP 200"
is "$(dump "$T/resp.der" body)" ip "answered with an ip"
is "$(dump "$T/resp.der" status)" accepted "accepted"
cp "$T/resp.der" "$T/ip1.der"
"$P1" verify "$T/ip1.der" "$ENROLL_SECRET" > "$T/ip1.txt"
ok "the ip's PBMAC1 verifies with the secret (client's code)" \
	"$P1" verify "$T/ip1.der" "$ENROLL_SECRET"
diag_file "$T/ip1.txt" 12
is "$(sed -n 's/^protectionAlg=//p' "$T/ip1.txt")" PBMAC1 "answer protected with PBMAC1"
is "$(sed -n 's/^prf=//p' "$T/ip1.txt")" hmacWithSHA256 "the request's prf"
is "$(sed -n 's/^mac=//p' "$T/ip1.txt")" hmacWithSHA256 "the request's MAC"
is "$(sed -n 's/^iterationCount=//p' "$T/ip1.txt")" 2000 "the request's iteration count"
is "$(sed -n 's/^saltLength=//p' "$T/ip1.txt")" 16 "16-octet salt"
isnt "$(sed -n 's/^salt=//p' "$T/ip1.txt")" "$(p1 "$T/ir1-p1.der" x salt)" "a fresh salt"
is "$(sed -n 's/^senderKID=//p' "$T/ip1.txt")" "$ENROLL_REF" "senderKID echoed"
nok "and not with another secret" "$P1" verify "$T/ip1.der" wrong-secret
"$TOOL" cert "$T/ip1.der" "$T/p1.crt"
ok "the PBMAC1-enrolled certificate verifies" \
	openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/p1.crt"
is "$(tx_state)" confirm_wait "waiting for certConf"
"$TOOL" certconf "$T/ip1.der" "$T/cc1.der" "$ENROLL_SECRET"
ok "certConf PBMAC1-protected by the client" \
	"$P1" protect "$T/cc1.der" "$T/cc1-p1.der" "$ENROLL_SECRET" prf=SHA512 mac=SHA384 iter=1500
is "$(t_post "$T/cc1-p1.der" "$WK/initialization")" 200 "certConf: HTTP 200"
is "$(dump "$T/resp.der" body)" pkiconf "pkiconf"
ok "the pkiconf's PBMAC1 verifies" "$P1" verify "$T/resp.der" "$ENROLL_SECRET"
is "$(p1 "$T/resp.der" "$ENROLL_SECRET" prf)" hmacWithSHA512 "with the certConf's prf"
is "$(p1 "$T/resp.der" "$ENROLL_SECRET" mac)" hmacWithSHA384 "and MAC"
is "$(tx_state)" confirmed "transaction confirmed"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "body=certConf->pkiconf .*outcome=CMPF_OK" \
	"certConf logged"

# on the CMP Profile route too, SHA-384 throughout, keyLength 48
fresh "$T/ir-base.der" "$T/ir2.der"
"$P1" protect "$T/ir2.der" "$T/ir2-p1.der" "$ENROLL_SECRET" prf=SHA384 mac=SHA384 keylen=48
is "$(t_post "$T/ir2-p1.der" /api/v1/protocols/cmp/enroll)" 200 "PBMAC1 on the CMP Profile route"
is "$(dump "$T/resp.der" status)" accepted "accepted"
ok "answer verifies" "$P1" verify "$T/resp.der" "$ENROLL_SECRET"
is "$(p1 "$T/resp.der" x keyLength)" 48 "the request's keyLength"

# refusals
fresh "$T/ir-base.der" "$T/ir3.der"
"$P1" protect "$T/ir3.der" "$T/ir3-p1.der" wrong-secret
is "$(t_post "$T/ir3-p1.der" "$WK")" 200 "wrong secret: a CMP answer"
is "$(dump "$T/resp.der" text)" "PN=enroll | message authentication failed" "CMPF_MAC_MISMATCH"
is "$(dump "$T/resp.der" failInfo)" badMessageCheck "failInfo badMessageCheck"
is "$(dump "$T/resp.der" protected)" 0 "unauthenticated: answer unprotected"

fresh "$T/ir-base.der" "$T/ir4.der"
"$P1" protect "$T/ir4.der" "$T/ir4-p1.der" "$ENROLL_SECRET" iter=10001
is "$(t_post "$T/ir4-p1.der" "$WK")" 200 "iterations over pbm_iterations_max"
is "$(dump "$T/resp.der" text)" "PBM parameters not accepted: iterationCount 10001 not in 1000..10000" \
	"refused (CMPF_PBM_PARAMS) before any PBKDF2"
is "$(dump "$T/resp.der" failInfo)" badAlg "failInfo badAlg"
fresh "$T/ir-base.der" "$T/ir5.der"
"$P1" protect "$T/ir5.der" "$T/ir5-p1.der" "$ENROLL_SECRET" iter=999
t_post "$T/ir5-p1.der" "$WK" > /dev/null
is "$(dump "$T/resp.der" text)" "PBM parameters not accepted: iterationCount 999 not in 1000..10000" \
	"under RFC 8018's minimum: refused"
fresh "$T/ir-base.der" "$T/ir6.der"
"$P1" protect "$T/ir6.der" "$T/ir6-p1.der" "$ENROLL_SECRET" prf=SHA1
t_post "$T/ir6-p1.der" "$WK" > /dev/null
is "$(dump "$T/resp.der" text)" "PBM parameters not accepted: PBMAC1 prf hmacWithSHA1, messageAuthScheme hmacWithSHA256" \
	"HMAC-SHA1 as PBKDF2's prf: refused"
fresh "$T/ir-base.der" "$T/ir7.der"
"$P1" protect "$T/ir7.der" "$T/ir7-p1.der" "$ENROLL_SECRET" salt=4
t_post "$T/ir7-p1.der" "$WK" > /dev/null
like "$(dump "$T/resp.der" text)" "PBMAC1 salt not an OCTET STRING of 8..64 octets" \
	"a 4-octet salt: refused"
fresh "$T/ir-base.der" "$T/ir8.der"
"$P1" protect "$T/ir8.der" "$T/ir8-p1.der" "$ENROLL_SECRET" keylen=8
t_post "$T/ir8-p1.der" "$WK" > /dev/null
like "$(dump "$T/resp.der" text)" "PBMAC1 keyLength 8 not in 16..64" "an 8-octet key: refused"
# 64 octets of key from an HMAC-SHA256 prf: PBKDF2 runs twice, and the cap
# counts both runs
fresh "$T/ir-base.der" "$T/ir9.der"
"$P1" protect "$T/ir9.der" "$T/ir9-p1.der" "$ENROLL_SECRET" keylen=64 iter=5001
t_post "$T/ir9-p1.der" "$WK" > /dev/null
like "$(dump "$T/resp.der" text)" \
	"iterationCount 5001 for a keyLength of 2 blocks of the prf's output: over 10000" \
	"keyLength of two prf blocks: twice the iterations count against the cap"
fresh "$T/ir-base.der" "$T/ir10.der"
"$P1" protect "$T/ir10.der" "$T/ir10-p1.der" "$ENROLL_SECRET" keylen=64 iter=5000
t_post "$T/ir10-p1.der" "$WK" > /dev/null
is "$(dump "$T/resp.der" status)" accepted "... and within it, accepted"

# ------------------------------------------------ PBM with SHA-1 as owf
fresh "$T/ir-base.der" "$T/sha1a.der" owf=SHA1 remac="$ENROLL_SECRET"
like "$(openssl asn1parse -inform DER -in "$T/sha1a.der")" "OBJECT +:sha1" "a request with SHA-1 as owf"
is "$(t_post "$T/sha1a.der" "$WK")" 200 "SHA-1 owf: a CMP answer"
is "$(dump "$T/resp.der" text)" "PN=enroll | PBM with SHA-1 as owf is accepted only where the CMP Profile allows legacyPbm" \
	"refused by default (CMPF_PBM_LEGACY)"
is "$(dump "$T/resp.der" failInfo)" badAlg "failInfo badAlg"
is "$(t_api GET "/cmpProfiles/$ENROLL_UUID")" 200 "API: the profile"
is "$(t_json 'j["legacyPbm"]')" false "API: legacyPbm false by default"
is "$(t_api PUT "/cmpProfiles/$ENROLL_UUID" '{"legacyPbm":"yes"}')" 400 "API: legacyPbm must be a boolean"
is "$(t_api PUT "/cmpProfiles/$ENROLL_UUID" '{"legacyPbm":true}')" 200 "API: legacyPbm true"
is "$(t_json 'j["legacyPbm"]')" true "API: shown"
is "$(t_sql "SELECT legacy_pbm FROM cmp_profile WHERE uuid = '$ENROLL_UUID'")" 1 "stored"
fresh "$T/ir-base.der" "$T/sha1b.der" owf=SHA1 remac="$ENROLL_SECRET"
is "$(t_post "$T/sha1b.der" "$WK")" 200 "SHA-1 owf with legacyPbm"
is "$(dump "$T/resp.der" body)" ip "an ip"
is "$(dump "$T/resp.der" status)" accepted "accepted"
like "$(openssl asn1parse -inform DER -in "$T/resp.der")" "OBJECT +:sha1" "answered with the request's owf"
ok "cmpctl turns it off" "$top_builddir/cmpctl" -c "$T/cmpd.conf" profile edit enroll legacyPbm:=false
is "$(t_sql "SELECT legacy_pbm FROM cmp_profile WHERE uuid = '$ENROLL_UUID'")" 0 "cmpctl: stored"
fresh "$T/ir-base.der" "$T/sha1c.der" owf=SHA1 remac="$ENROLL_SECRET"
t_post "$T/sha1c.der" "$WK" > /dev/null
is "$(dump "$T/resp.der" text)" "PN=enroll | PBM with SHA-1 as owf is accepted only where the CMP Profile allows legacyPbm" \
	"refused again"
ok "openssl cmp's default PBM still works" client ir "$WK" \
	-newkey "$T/dev.key" -subject "/CN=default-pbm" -certout "$T/default.crt"
fresh "$T/ir-base.der" "$T/md5.der" remac="$ENROLL_SECRET" owf=MD5
t_post "$T/md5.der" "$WK" > /dev/null
is "$(dump "$T/resp.der" text)" "PBM parameters not accepted: owf MD5, mac HMAC-SHA1" \
	"other owfs: CMPF_PBM_PARAMS"

# the workers' leak checks run when they exit
t_stop_cmpd
nok "no sanitizer report in cmpd's log" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/cmpd.log"
done_testing
