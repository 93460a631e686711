#!/bin/sh
# A revoked or foreign credential never authenticates (DESIGN invariant 2):
# signers revoked in cmpd's inventory (openssl cmp -cmd rr) or in a CRL
# uploaded with the trust anchors are refused, a certConf must come from
# the transaction's requester, and a signed request asks only for its
# signer's name unless the CMP Profile's subjectPolicy is any.
. "$top_srcdir/t/lib.sh"
t_setup
# each worker fetches the CA's CRL again after a second
t_stack "message_time_skew = 0" "ca_crl_refresh = 1"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
TOOL=$top_builddir/t/cmptool
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
API_KEY=$(t_api_key admin admin)
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
newkey "$T/new.key"

# "sig": signature both ways, the default subjectPolicy (signer); anchors
# are set below
SIGP=00000000-0000-4000-8000-00000000f201
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid) VALUES
  ('$SIGP', 'sig', 1, 'signature', 'signature', '00000000-0000-4000-8000-00000000e001')"
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" | $CMPD --set-signing-credentials sig > /dev/null

# A device vendor's PKI with a CRL: root vroot; v1 (revoked in the CRL),
# v2 (good) and the intermediate vint (revoked in the CRL) under it; v3
# under vint.
V=$T/vca
t_vendor_ca "$V" "/O=vendor/CN=Vendor Root" || bail "the vendor CA could not be made"
# vcert NAME ISSUER EXTFILE
vcert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$V/$1.key" -out "$V/$1.csr" -subj "/O=vendor/CN=$1" 2>/dev/null &&
	openssl x509 -req -in "$V/$1.csr" -CA "$V/$2.crt" -CAkey "$V/$2.key" \
		-CAcreateserial -days 30 -extfile "$3" -out "$V/$1.crt" 2>/dev/null
}
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$V/ca.ext"
vcert v1 root "$T/signer.ext" && vcert v2 root "$T/signer.ext" &&
	vcert vint root "$V/ca.ext" && vcert v3 vint "$T/signer.ext" ||
	bail "the vendor PKI could not be made"

cat "$V/root.crt" "$CA/root.crt" > "$T/anchors.pem"
ok "anchors without CRLs" sh -c "$CMPD --set-trust-anchors sig < '$T/anchors.pem' > '$T/set.out'"
like "$(cat "$T/set.out")" "2 trust anchors and 0 CRLs" "none found"

# cr CERT KEY [args]: a signed cr on $P (default sig) with a new key,
# the signer's own subject unless -subject is given
cr() {
	timeout 60 openssl cmp -cmd cr -server "127.0.0.1:$HTTP_PORT" \
		-path "/api/v1/protocols/cmp/${P:-sig}" -recipient /CN=cmpd \
		-msg_timeout 20 -total_timeout 40 -cert "$1" -key "$2" \
		-untrusted "$CA/ca.crt,$V/vint.crt" -trusted "$CA/root.crt" \
		-newkey "$T/new.key" -certout "$T/out.crt" -unprotected_errors "${@:3}" \
		> "$T/client.out" 2>&1
}
# mac_ir SUBJECT OUT [args]: a certificate bought with the shared secret
mac_ir() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" -msg_timeout 20 \
		-total_timeout 40 -newkey "$T/dev.key" -subject "$1" -certout "$2" \
		"${@:3}" > "$T/client.out" 2>&1
}
newkey "$T/dev.key"
for n in 1 2 3 4; do
	mac_ir "/CN=dev-$n" "$T/dev$n.crt" || bail "enrolling dev-$n on the MAC profile failed"
done
client_out() { cat "$T/client.out"; }

# --------------------------------------- revoked in cmpd's inventory
ok "a cr signed with dev-1 before its revocation" cr "$T/dev1.crt" "$T/dev.key"
is "$(openssl x509 -in "$T/out.crt" -noout -subject)" "subject=CN = dev-1" "for its own name"
ok "rr of dev-1, signed with it" timeout 60 openssl cmp -cmd rr -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/sig -recipient /CN=cmpd -cert "$T/dev1.crt" -key "$T/dev.key" \
	-oldcert "$T/dev1.crt" -untrusted "$CA/ca.crt" -trusted "$CA/root.crt" -revreason 1
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=dev-1' ORDER BY created_at LIMIT 1")" \
	revoked "dev-1 revoked in the inventory"
count_dev1=$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=dev-1'")
nok "a cr signed with the revoked dev-1" cr "$T/dev1.crt" "$T/dev.key"
like "$(client_out)" "certRevoked" "refused certRevoked"
like "$(client_out)" "PN=sig \| the protection certificate is revoked" "and says so"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=dev-1'")" "$count_dev1" \
	"nothing issued for it"
# a certificate the sweep is about to revoke counts as revoked
t_sql "UPDATE certificate SET status = 'revoke_pending' WHERE subject_dn = 'CN=dev-4'"
nok "a cr signed with a certificate in revoke_pending" cr "$T/dev4.crt" "$T/dev.key"
like "$(client_out)" "PN=sig \| the protection certificate is revoked" "revoke_pending: refused"
t_sql "UPDATE certificate SET status = 'issued' WHERE subject_dn = 'CN=dev-4'"

# ----------------------------------------------- revoked in a CRL only
ok "v1, before any CRL" cr "$V/v1.crt" "$V/v1.key"
ok "v3 under vint, before any CRL" cr "$V/v3.crt" "$V/v3.key"
openssl ca -config "$V/ca.cnf" -revoke "$V/v1.crt" -crl_reason keyCompromise > /dev/null 2>&1 &&
openssl ca -config "$V/ca.cnf" -revoke "$V/vint.crt" > /dev/null 2>&1 &&
openssl ca -config "$V/ca.cnf" -gencrl -out "$V/root.crl" > /dev/null 2>&1 ||
	bail "openssl ca could not make the CRL"
cat "$V/root.crt" "$V/root.crl" "$CA/root.crt" > "$T/anchors-crl.pem"
ok "anchors with a CRL (cmpd --set-trust-anchors)" \
	sh -c "$CMPD --set-trust-anchors sig < '$T/anchors-crl.pem' > '$T/set.out'"
like "$(cat "$T/set.out")" "2 trust anchors and 1 CRL " "the CRL found"
nok "a cr signed with v1, revoked in the CRL only" cr "$V/v1.crt" "$V/v1.key"
like "$(client_out)" "certRevoked" "CRL: certRevoked"
like "$(client_out)" "PN=sig \| the protection certificate is revoked" "CRL: text"
nok "a cr signed with v3, whose CA vint is revoked in the CRL" cr "$V/v3.crt" "$V/v3.key"
like "$(client_out)" "signerNotTrusted" "revoked CA: signerNotTrusted"
like "$(client_out)" "a CA certificate of the protection certificate's chain is revoked" \
	"revoked CA: text"
ok "v2, not in the CRL, still signs" cr "$V/v2.crt" "$V/v2.key"
ok "certificates of a CA without an uploaded CRL still sign" cr "$T/dev2.crt" "$T/dev.key"

# ------------------------------- revoked at the CA only (its own CRL)
# a certificate of cmpd's CA that cmpd never issued: straight from the
# connector API, then revoked there
LCA=$CONNECTOR_BASE/localca/v2/authorityProvider/authorities/00000000-0000-4000-8000-00000000e0a2/certificates
openssl req -new -key "$T/dev.key" -subj /CN=outside -outform DER -out "$T/outside.csr" 2>/dev/null
curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" -H 'Content-Type: application/json' -o "$T/issue.json" \
	--data-binary "{\"request\":\"$(base64 -w0 "$T/outside.csr")\",\"format\":\"pkcs10\"}" "$LCA/issue"
python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["certificateData"]))' \
	"$T/issue.json" | openssl x509 -inform DER -out "$T/outside.crt" ||
	bail "the connector did not issue"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=outside'")" 0 \
	"not in cmpd's inventory"
ok "a signer cmpd never issued, valid at its CA" cr "$T/outside.crt" "$T/dev.key"
curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" -H 'Content-Type: application/json' -o /dev/null \
	--data-binary "{\"certificate\":\"$(openssl x509 -in "$T/outside.crt" -outform DER | base64 -w0)\",\"reason\":\"keyCompromise\"}" \
	"$LCA/revoke"
outside_uuid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uuid"])' "$T/issue.json")
is "$(t_sql "SELECT status FROM localca_certificate WHERE uuid = '$outside_uuid'")" revoked \
	"revoked at the CA"
sleep 1.5
nok "refused once the CA's CRL lists it" cr "$T/outside.crt" "$T/dev.key"
like "$(client_out)" "PN=sig \| the protection certificate is revoked" "the CA's CRL: certRevoked"
like "$(cat "$T/localca.log")" "/crl status=200" "the CRL came from the connector"

# the same through the management API: the CRL goes with the anchors
jstr() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
is "$(t_api PUT "/cmpProfiles/$SIGP/trustAnchors" "{\"certificates\":$(jstr "$T/anchors.pem")}")" 204 \
	"API: anchors without the CRL"
is "$(t_api GET "/cmpProfiles/$SIGP/trustAnchors")" 200 "API: anchors read"
is "$(t_json 'len(j["crls"])')" 0 "API: no CRL"
ok "v1 signs again without the CRL" cr "$V/v1.crt" "$V/v1.key"
is "$(t_api PUT "/cmpProfiles/$SIGP/trustAnchors" "{\"certificates\":$(jstr "$T/anchors-crl.pem")}")" 204 \
	"API: anchors with the CRL"
is "$(t_api GET "/cmpProfiles/$SIGP/trustAnchors")" 200 "API: anchors read"
is "$(t_json 'len(j["crls"])')" 1 "API: one CRL"
like "$(t_json 'j["crls"][0]')" "BEGIN X509 CRL" "API: as PEM"
is "$(t_api GET "/cmpProfiles/$SIGP")" 200 "API: profile read"
is "$(t_json 'j["trustAnchorCrlCount"]')" 1 "API: trustAnchorCrlCount"
is "$(t_json 'j["subjectPolicy"]')" signer "API: subjectPolicy signer by default"
nok "v1 refused again" cr "$V/v1.crt" "$V/v1.key"
like "$(client_out)" "certRevoked" "API-uploaded CRL: certRevoked"
printf -- '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n' > "$T/bad.crl"
cat "$T/anchors.pem" "$T/bad.crl" > "$T/anchors-bad.pem"
is "$(t_api PUT "/cmpProfiles/$SIGP/trustAnchors" "{\"certificates\":$(jstr "$T/anchors-bad.pem")}")" 422 \
	"API: a CRL that does not decode is refused"
is "$(t_json 'j["message"]')" "certificates: a CRL does not decode" "API: and says so"
nok "cmpd --set-trust-anchors refuses it too" sh -c "$CMPD --set-trust-anchors sig < '$T/anchors-bad.pem'"
is "$(t_api GET "/cmpProfiles/$SIGP/trustAnchors")" 200 "API: anchors read"
is "$(t_json 'len(j["crls"])')" 1 "the CRL stored before stays"
t_api PUT "/cmpProfiles/$SIGP/trustAnchors" "{\"certificates\":$(jstr "$T/anchors-crl.pem")}" > /dev/null

# Complete CRLs only (RFC 5280 5.2.4, 5.2.5): libcrypto reads a delta CRL
# as the whole list (an empty delta, later than the CRL that revokes v1,
# would let v1 sign again), and passes over a CRL partitioned by reasons
# or an indirect one, as if the vendor had published none.
# vcrl NAME EXTENSION: a CRL of the vendor root with that extension
vcrl() {
	cp "$V/ca.cnf" "$V/crlext.cnf"
	printf '[ x ]\n%s\n' "$2" >> "$V/crlext.cnf"
	openssl ca -config "$V/crlext.cnf" -gencrl -crlexts x -out "$V/$1.crl" > /dev/null 2>&1
}
sleep 1	# later than the CRL that revokes v1
vcrl delta "deltaCRL = critical, DER:02:01:01" &&
	vcrl reasons "issuingDistributionPoint = critical, DER:30:04:83:02:06:40" &&
	vcrl indirect "issuingDistributionPoint = critical, DER:30:03:84:01:FF" ||
	bail "openssl ca could not make the CRLs"
for k in "delta:a delta CRL" "reasons:a CRL of some reasons only (onlySomeReasons)" \
	"indirect:an indirect CRL"; do
	n=${k%%:*} why=${k#*:}
	cat "$V/root.crt" "$V/root.crl" "$V/$n.crl" "$CA/root.crt" > "$T/anchors-$n.pem"
	is "$(t_api PUT "/cmpProfiles/$SIGP/trustAnchors" "{\"certificates\":$(jstr "$T/anchors-$n.pem")}")" 422 \
		"API: anchors with $why refused"
	is "$(t_json 'j["message"]')" "certificates: $why: only complete CRLs are applied" "... and says so"
	nok "... cmpd --set-trust-anchors too" sh -c "$CMPD --set-trust-anchors sig < '$T/anchors-$n.pem'"
done
nok "v1 still refused" cr "$V/v1.crt" "$V/v1.key"
like "$(client_out)" "certRevoked" "... certRevoked"
# one stored before cmpd refused them: the profile's signers refused
# until its anchors are uploaded again
t_sql "UPDATE cmp_profile SET trust_crls = CONCAT(trust_crls,
	FROM_BASE64('$(openssl crl -in "$V/delta.crl" -outform DER | base64 -w0)')) WHERE uuid = '$SIGP'"
nok "a delta CRL found stored: v2 refused" cr "$V/v2.crt" "$V/v2.key"
like "$(cat "$T/cmpd.log")" "CMP Profile sig: trust_crls hold a delta CRL; upload its trust anchors again" \
	"... and logged"
t_api PUT "/cmpProfiles/$SIGP/trustAnchors" "{\"certificates\":$(jstr "$T/anchors-crl.pem")}" > /dev/null
ok "v2 signs once they are" cr "$V/v2.crt" "$V/v2.key"

# ------------------------------------ certConf from the requester only
# dev-2 asks, and leaves the transaction waiting for its certConf
ok "dev-2: a cr without certConf" cr "$T/dev2.crt" "$T/dev.key" -disable_confirm \
	-rspout "$T/cp2.der"
tid2=$(dump "$T/cp2.der" tid)
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid2')")" confirm_wait \
	"waiting for dev-2's certConf"
new2=$(t_sql "SELECT uuid FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
	WHERE t.transaction_id = UNHEX('$tid2')")
# dev-3, trusted as well, knows the transactionID and the nonce
cat "$T/dev3.crt" "$CA/ca.crt" > "$T/dev3-chain.pem"
cat "$T/dev2.crt" "$CA/ca.crt" > "$T/dev2-chain.pem"
"$TOOL" certconf "$T/cp2.der" "$T/cc-other.der" "sig:$T/dev3-chain.pem:$T/dev.key" reject
is "$(t_post "$T/cc-other.der" /api/v1/protocols/cmp/sig)" 200 "another device's certConf: answered"
is "$(dump "$T/resp.der" body)" error "with an error"
is "$(dump "$T/resp.der" failInfo)" notAuthorized "notAuthorized"
is "$(dump "$T/resp.der" text)" \
	"PN=sig | only the requester of the transaction may continue it (the same protection certificate, or the same shared secret and senderKID)" \
	"and says so"
is "$(t_sql "SELECT status FROM certificate WHERE uuid = '$new2'")" issued \
	"dev-2's new certificate stays issued"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid2')")" confirm_wait \
	"the transaction still waits"
# nor may dev-3 confirm it (the certConf a one-statement confirmation takes)
"$TOOL" certconf "$T/cp2.der" "$T/cc-other-ok.der" "sig:$T/dev3-chain.pem:$T/dev.key"
t_post "$T/cc-other-ok.der" /api/v1/protocols/cmp/sig > /dev/null
is "$(dump "$T/resp.der" failInfo)" notAuthorized "another device's accepting certConf: notAuthorized"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid2')")" confirm_wait \
	"the transaction still waits for dev-2"
# dev-2's own certConf still works
"$TOOL" certconf "$T/cp2.der" "$T/cc-own.der" "sig:$T/dev2-chain.pem:$T/dev.key"
t_post "$T/cc-own.der" /api/v1/protocols/cmp/sig > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "the requester's certConf: pkiconf"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid2')")" confirmed \
	"confirmed"
is "$(t_sql "SELECT status FROM certificate WHERE uuid = '$new2'")" issued "and issued"

# ------------------------------ an unconfirmed certificate signs nothing
# A certificate that waits for its certConf, and that the sweep revokes
# if none comes in time (or if the requester may no longer confirm it),
# signs no request before it is confirmed: not one for another
# certificate of its subject, which would outlive it.
ok "dev-4: a cr without certConf" cr "$T/dev4.crt" "$T/dev.key" -disable_confirm \
	-rspout "$T/cp4.der"
cp "$T/out.crt" "$T/dev4-new.crt"
tid4=$(dump "$T/cp4.der" tid)
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid4')")" confirm_wait \
	"its new certificate waits for the certConf"
count_dev4=$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=dev-4'")
nok "a cr signed with that unconfirmed certificate" cr "$T/dev4-new.crt" "$T/new.key"
like "$(client_out)" "notAuthorized" "refused notAuthorized"
like "$(client_out)" "PN=sig \| the protection certificate waits for its certConf" "and says so"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_SIGNER_UNCONFIRMED" \
	"logged as CMPF_SIGNER_UNCONFIRMED"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=dev-4'")" "$count_dev4" \
	"nothing issued for it"
cat "$T/dev4.crt" "$CA/ca.crt" > "$T/dev4-chain.pem"
"$TOOL" certconf "$T/cp4.der" "$T/cc4.der" "sig:$T/dev4-chain.pem:$T/dev.key"
t_post "$T/cc4.der" /api/v1/protocols/cmp/sig > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "dev-4's certConf: pkiconf"
ok "confirmed, the certificate signs a cr" cr "$T/dev4-new.crt" "$T/new.key"

# ------------------------- a signer revoked while its certConf is awaited
# The certConf's look-up in the inventory rides on the UPDATE that
# confirms; a signer (or a CA of its chain) barred since the cr is still
# refused as the protection's step refuses it, and nothing is confirmed.
# inv_key CERT: the inventory's key of CERT, "issuer_hash_hex serial_hex"
inv_key() {
	python3 - "$1" <<'PY'
import hashlib, ssl, sys
der = ssl.PEM_cert_to_DER_cert(open(sys.argv[1]).read())
def tlv(i):
    n = der[i + 1]; s = i + 2
    if n & 0x80:
        s += n & 0x7f; n = int.from_bytes(der[i + 2:s], 'big')
    return s, s + n                   # content start, end
tbs = tlv(tlv(0)[0])[0]               # Certificate, tbsCertificate
fields, i = [], tbs
while len(fields) < 4:
    fields.append((der[i], i, tlv(i))); i = tlv(i)[1]
if fields[0][0] == 0xa0:              # version present
    fields.pop(0)
serial = int.from_bytes(der[fields[0][2][0]:fields[0][2][1]], 'big')
issuer = der[fields[2][1]:fields[2][2][1]]
hexs = '%X' % serial                 # whole octets, as BN_bn2hex writes it
print(hashlib.sha256(issuer).hexdigest(), hexs.zfill(len(hexs) + len(hexs) % 2))
PY
}
set -- $(inv_key "$T/dev3.crt")
dev3_where="issuer_hash = UNHEX('$1') AND serial_number = '$2'"
is "$(t_sql "SELECT subject_dn FROM certificate WHERE $dev3_where")" CN=dev-3 \
	"dev-3's certificate found by its issuer and serial"
ok "dev-3: a cr without certConf" cr "$T/dev3.crt" "$T/dev.key" -disable_confirm \
	-rspout "$T/cp3.der"
tid3=$(dump "$T/cp3.der" tid)
new3=$(t_sql "SELECT uuid FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
	WHERE t.transaction_id = UNHEX('$tid3')")
"$TOOL" certconf "$T/cp3.der" "$T/cc3.der" "sig:$T/dev3-chain.pem:$T/dev.key"
t_sql "UPDATE certificate SET status = 'revoked' WHERE $dev3_where"
t_post "$T/cc3.der" /api/v1/protocols/cmp/sig > /dev/null
is "$(dump "$T/resp.der" body)" error "dev-3 revoked meanwhile: its accepting certConf refused"
is "$(dump "$T/resp.der" failInfo)" certRevoked "certRevoked"
is "$(dump "$T/resp.der" text)" "PN=sig | the protection certificate is revoked" "and says so"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid3')")" confirm_wait \
	"the transaction still waits"
is "$(t_sql "SELECT status FROM certificate WHERE uuid = '$new3'")" issued \
	"the new certificate is left to the deadline"
# refused before the body (a label the certConf does not belong to): the
# signer is still looked up first
t_post "$T/cc3.der" /.well-known/cmp/p/sig/revocation > /dev/null
is "$(dump "$T/resp.der" failInfo)" certRevoked "the same under the revocation label: certRevoked"
# a CA of its chain barred in the inventory
set -- $(inv_key "$CA/ca.crt")
t_sql "UPDATE certificate SET status = 'issued' WHERE $dev3_where"
t_sql "INSERT INTO certificate (uuid, serial_number, issuer_dn, subject_dn, issuer_hash,
    not_before, not_after, fingerprint, der, status) VALUES
  ('00000000-0000-4000-8000-00000000ca01', '$2', 'CN=root', 'CN=the test CA', UNHEX('$1'),
   '2026-01-01', '2036-01-01', UNHEX(SHA2('ca01', 256)), x'00', 'revoked')"
t_post "$T/cc3.der" /api/v1/protocols/cmp/sig > /dev/null
is "$(dump "$T/resp.der" failInfo)" signerNotTrusted "its CA barred meanwhile: signerNotTrusted"
is "$(dump "$T/resp.der" text)" \
	"PN=sig | a CA certificate of the protection certificate's chain is revoked" "and says so"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid3')")" confirm_wait \
	"the transaction still waits"
t_sql "DELETE FROM certificate WHERE uuid = '00000000-0000-4000-8000-00000000ca01'"
# neither barred: one UPDATE confirms, and no look-up of its own
log_on() { t_sql "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1"; }
statements() {
	t_sql "SELECT COUNT(*) FROM mysql.general_log WHERE command_type = 'Execute'
	  AND CONVERT(argument USING utf8mb4) LIKE '$1%'"
}
# the one-statement confirmation, by its SET (_ for its quotes): the sweep's
# expiry of a transaction starts alike
CONFIRM_ONE="UPDATE cmp_transaction t FORCE INDEX (cmp_transaction_tid_pos) SET t.state = _confirmed_"
log_on
t_post "$T/cc3.der" /api/v1/protocols/cmp/sig > /dev/null
t_sql "SET GLOBAL general_log = 0"
is "$(dump "$T/resp.der" body)" pkiconf "dev-3 in good standing again: pkiconf"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$tid3')")" confirmed \
	"confirmed"
is "$(statements "$CONFIRM_ONE")" 1 "by one UPDATE"
is "$(statements 'SELECT issuer_hash, serial_number, status')" 0 \
	"which looked the signer up itself"

# MAC: the same secret under another senderKID is someone else
t_sql "UPDATE cmp_profile SET shared_secret_reference = NULL WHERE name = 'enroll'"
timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/enroll \
	-recipient /CN=cmpd -ref device-a -secret "pass:$ENROLL_SECRET" -newkey "$T/dev.key" \
	-subject /CN=mac-a -disable_confirm -rspout "$T/ip-a.der" -certout "$T/mac-a.crt" \
	> "$T/client.out" 2>&1
is "$(dump "$T/ip-a.der" body)" ip "MAC: device-a's ir answered, certConf left out"
"$TOOL" certconf "$T/ip-a.der" "$T/cc-a.der" "$ENROLL_SECRET" reject
"$TOOL" edit "$T/cc-a.der" "$T/cc-b.der" senderKID=6465766963652d62 remac="$ENROLL_SECRET"
t_post "$T/cc-b.der" /api/v1/protocols/cmp/enroll > /dev/null
is "$(dump "$T/resp.der" failInfo)" notAuthorized "MAC under another senderKID: notAuthorized"
"$TOOL" certconf "$T/ip-a.der" "$T/cc-a-ok.der" "$ENROLL_SECRET"
"$TOOL" edit "$T/cc-a-ok.der" "$T/cc-b-ok.der" senderKID=6465766963652d62 remac="$ENROLL_SECRET"
t_post "$T/cc-b-ok.der" /api/v1/protocols/cmp/enroll > /dev/null
is "$(dump "$T/resp.der" failInfo)" notAuthorized \
	"MAC under another senderKID, accepting: notAuthorized"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=mac-a'")" issued \
	"device-a's certificate stays issued"
t_post "$T/cc-a.der" /api/v1/protocols/cmp/enroll > /dev/null
is "$(dump "$T/resp.der" body)" pkiconf "device-a's own certConf (a rejection): pkiconf"
like "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=mac-a'")" "rejected|revoke_pending" \
	"and its rejection revokes the certificate"
t_sql "UPDATE cmp_profile SET shared_secret_reference = '$ENROLL_REF' WHERE name = 'enroll'"

# ---------------------------------------------------- subjectPolicy
nok "a certificate bought with the secret signs for another subject" \
	cr "$T/dev3.crt" "$T/dev.key" -subject "/O=vendor/CN=v2"
like "$(client_out)" "badCertTemplate" "another subject: badCertTemplate"
like "$(client_out)" "PN=sig \| the requested subject must be the protection certificate's \(the CMP Profile's subjectPolicy is signer\)" \
	"another subject: text"
nok "its own subject with a subjectAltName it does not have" \
	cr "$T/dev3.crt" "$T/dev.key" -subject /CN=dev-3 -sans dev-3.example
like "$(client_out)" "the requested subjectAltName must be the protection certificate's" \
	"subjectAltName: text"
nok "a vendor certificate asks for another name" cr "$V/v2.crt" "$V/v2.key" -subject /CN=bts-9
ok "its own name, the default" cr "$T/dev3.crt" "$T/dev.key"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=bts-9'")" 0 \
	"nothing issued for a refused name"
is "$(t_api PUT "/cmpProfiles/$SIGP" '{"subjectPolicy":"whoever"}')" 422 "API: subjectPolicy checked"
is "$(t_json 'j["message"]')" "subjectPolicy must be signer or any" "API: and says so"
is "$(t_api PUT "/cmpProfiles/$SIGP" '{"subjectPolicy":"any"}')" 200 "API: subjectPolicy any"
is "$(t_json 'j["subjectPolicy"]')" any "API: shown"
ok "with any, the anchors trusting its CA, it may" \
	cr "$T/dev3.crt" "$T/dev.key" -subject /CN=someone-else
is "$(openssl x509 -in "$T/out.crt" -noout -subject)" "subject=CN = someone-else" "for that name"
is "$(t_api PUT "/cmpProfiles/$SIGP" '{"subjectPolicy":"signer"}')" 200 "API: back to signer"
ok "cmpctl sets it too" "$top_builddir/cmpctl" -c "$T/cmpd.conf" profile edit sig subjectPolicy=any
is "$(t_sql "SELECT subject_policy FROM cmp_profile WHERE uuid = '$SIGP'")" any "cmpctl: stored"

# anchors decide who may sign at all: a profile trusting the vendor only
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, variant, request_protection, response_protection,
    default_ra_profile_uuid, subject_policy) VALUES
  ('00000000-0000-4000-8000-00000000f202', 'bts', 1, 'v2_3gpp', 'signature', 'signature',
   '00000000-0000-4000-8000-00000000e001', 'any')"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" | $CMPD --set-signing-credentials bts > /dev/null
$CMPD --set-trust-anchors bts < "$V/root.crt" > /dev/null
P=bts nok "a certificate of cmpd's CA on a vendor-only profile" \
	cr "$T/dev3.crt" "$T/dev.key" -subject "/O=vendor/CN=v2"
like "$(client_out)" "signerNotTrusted" "not trusted there"
P=bts ok "the vendor's device certificate is" cr "$V/v2.crt" "$V/v2.key" -subject /CN=bts-1
done_testing
