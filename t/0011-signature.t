#!/bin/sh
# Signature protection both ways (RFC 9810 5.1.3.3): requests signed by a
# device certificate that chains to the profile's trust anchors, answers
# signed with the profile's signing key; enrollment through cmp-localca.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
SIG=/api/v1/protocols/cmp/sig
TOOL=$top_builddir/t/cmptool
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

# subjectPolicy any: vendor-certified devices enroll under new names here
# (t/0021-signer.t tests the default, signer)
t_sig_profile any

# cmpd's signing certificate, under the test root
t_signer || bail "cannot make the signing certificate"

out=$($CMPD --set-signing-credentials sig < "$T/signer.crt" 2>&1)
like "$out" "no unencrypted private key" "signing credentials need the key"
cat "$T/ca/ca.key" "$T/signer.crt" > "$T/wrong.pem"
out=$($CMPD --set-signing-credentials sig < "$T/wrong.pem" 2>&1)
like "$out" "does not belong to the first certificate" "key and certificate must match"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" > "$T/bundle.pem"
ok "--set-signing-credentials" sh -c "$CMPD --set-signing-credentials sig < '$T/bundle.pem'"
is "$(t_sql "SELECT INSTR(signing_key_enc, 'PRIVATE') = 0 AND LENGTH(signing_chain) > 0 FROM cmp_profile WHERE name = 'sig'")" 1 \
	"key sealed, chain stored"
# anchors: the device vendor's root, and our own CA's for certificates
# it issued (revocation, key update)
cat "$F/root.pem" "$CA/root.crt" > "$T/anchors.pem"
ok "--set-trust-anchors" sh -c "$CMPD --set-trust-anchors sig < '$T/anchors.pem'"

# client SUBJ ARGS...: a signed ir with the fixtures' device certificate
client() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path $SIG -recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-newkey "$T/dev.key" -subject "$1" -certout "$T/out.crt" "${@:2}" \
		> "$T/client.out" 2>&1
}
DEV="-cert $F/ee.pem -key $F/ee.key -trusted $CA/root.crt"

ok "signed ir, signed answer, signed certConf" client /CN=sig-1 $DEV \
	-reqout "$T/ir1.der,$T/cc1.der" -rspout "$T/ip1.der,$T/conf1.der"
diag_file "$T/client.out" 3
ok "certificate verifies" openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/out.crt"
is "$(dump "$T/ip1.der" protected)" 1 "ip signed"
is "$(dump "$T/ip1.der" sender)" "CN=cmpd signer,O=cmpd tests" "ip sender = signing certificate's subject"
is "$(dump "$T/ip1.der" extraCerts)" 2 \
	"extraCerts: signing certificate and the issuing CA; the root left out (RFC 9483 3.3, 4.1.1)"
is "$(dump "$T/conf1.der" body)" pkiconf "certConf answered"
is "$(t_sql "SELECT state FROM cmp_transaction ORDER BY created_at DESC LIMIT 1")" confirmed "confirmed"

ok "signed cr" sh -c "timeout 60 openssl cmp -cmd cr -server 127.0.0.1:$HTTP_PORT -path $SIG \
	-recipient /CN=cmpd $DEV -newkey '$T/dev.key' -subject /CN=sig-cr -certout '$T/cr.crt' \
	> '$T/client.out' 2>&1"
ok "cr certificate verifies" openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/cr.crt"

# ---------------------------------------------------------------- rr
# rr CERT KEY OLDCERT [args]: a revocation request signed with CERT/KEY
rr() {
	timeout 60 openssl cmp -cmd rr -server "127.0.0.1:$HTTP_PORT" \
		-path $SIG -recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-cert "$1" -key "$2" -oldcert "$3" -untrusted "$CA/ca.crt" \
		-trusted "$CA/root.crt" -unprotected_errors "${@:4}" \
		> "$T/client.out" 2>&1
}
for n in 2 3; do
	client /CN=sig-$n $DEV -newkey "$T/dev.key" > /dev/null
	cp "$T/out.crt" "$T/sig$n.crt"
done
ok "rr signed by the certificate itself" rr "$T/sig2.crt" "$T/dev.key" "$T/sig2.crt" \
	-revreason 1 -rspout "$T/rp2.der"
is "$(dump "$T/rp2.der" body)" rp "answered with rp"
is "$(t_sql "SELECT CONCAT(status, '/', revocation_reason) FROM certificate WHERE subject_dn = 'CN=sig-2'")" \
	revoked/keyCompromise "revoked with the client's reason"
is "$(t_sql "SELECT CONCAT(status, '/', revocation_reason) FROM localca_certificate WHERE subject LIKE '%sig-2%'")" \
	revoked/keyCompromise "and so at the CA"
nok "a second rr" rr "$T/sig2.crt" "$T/dev.key" "$T/sig2.crt" -revreason 1
like "$(cat "$T/client.out")" "certRevoked" "second rr: certRevoked"
# refused as a revoked signer before the rr handler's own check
# (CMPF_RR_REVOKED, left as a guard against a revocation in between)
like "$(cat "$T/client.out")" "PN=sig \| the protection certificate is revoked" "second rr: text"
nok "rr for another device's certificate" rr "$T/sig3.crt" "$T/dev.key" "$T/sig2.crt"
like "$(cat "$T/client.out")" "certRevoked|notAuthorized" "someone else's: refused"
nok "rr for a certificate signed by another one" rr "$T/sig2.crt" "$T/dev.key" "$T/sig3.crt"
nok "rr for a certificate not issued here" rr "$F/ee.pem" "$F/ee.key" "$F/ee.pem"
like "$(cat "$T/client.out")" "badCertId" "unknown certificate: badCertId"
like "$(cat "$T/client.out")" "no such certificate issued through this RA Profile" "unknown: text"
nok "rr signed by a third certificate" rr "$F/ee.pem" "$F/ee.key" "$T/sig3.crt"
like "$(cat "$T/client.out")" "notAuthorized" "not the certificate itself: notAuthorized"
like "$(cat "$T/client.out")" "a revocation must be signed with the certificate to revoke" "and says so"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=sig-3'")" issued \
	"the certificate stays valid"
nok "unprotected rr" rr "$T/sig3.crt" "$T/dev.key" "$T/sig3.crt" -unprotected_requests
like "$(cat "$T/client.out")" "notAuthorized" "unprotected rr: notAuthorized"

# every CRLReason but 7 (unused); the connector records what it got
names=(unspecified keyCompromise cACompromise affiliationChanged superseded \
	cessationOfOperation certificateHold - removeFromCRL privilegeWithdrawn aACompromise)
for reason in 0 1 2 3 4 5 6 8 9 10; do
	client /CN=reason-$reason $DEV > /dev/null
	cp "$T/out.crt" "$T/reason.crt"
	if [ "$reason" = 8 ]; then
		# removeFromCRL lifts a hold; a valid certificate has none
		nok "rr with reason 8 (removeFromCRL) of a valid certificate" rr "$T/reason.crt" \
			"$T/dev.key" "$T/reason.crt" -revreason 8
		like "$(cat "$T/client.out")" "badRequest" "reason 8: badRequest"
		like "$(cat "$T/client.out")" "removeFromCRL: the certificate is not on hold" "reason 8: text"
		is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=reason-8'")" issued \
			"reason 8: still valid"
		continue
	fi
	ok "rr with reason $reason" rr "$T/reason.crt" "$T/dev.key" "$T/reason.crt" -revreason $reason
	is "$(t_sql "SELECT revocation_reason FROM localca_certificate WHERE subject LIKE '%reason-$reason'")" \
		"${names[$reason]}" "the connector got ${names[$reason]}"
done

# a certificate on hold cannot sign its own release: its signature is a
# revoked one (an RA releases it, t/0029-ra.t)
client /CN=held $DEV > /dev/null
cp "$T/out.crt" "$T/held.crt"
ok "rr with reason 6 (certificateHold)" rr "$T/held.crt" "$T/dev.key" "$T/held.crt" -revreason 6
nok "its release, signed by itself" rr "$T/held.crt" "$T/dev.key" "$T/held.crt" -revreason 8
like "$(cat "$T/client.out")" "certRevoked" "refused: the signer is revoked (on hold)"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=held'")" revoked "still on hold"

# another RA Profile's certificate
t_sql "INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-00000000f001', 'ra-second', 1, '00000000-0000-4000-8000-00000000e0a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid) VALUES
  ('00000000-0000-4000-8000-00000000f103', 'sig-second', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-00000000f001')"
$CMPD --set-signing-credentials sig-second < "$T/bundle.pem" > /dev/null
$CMPD --set-trust-anchors sig-second < "$T/anchors.pem" > /dev/null
SIG_SAVE=$SIG
SIG=/api/v1/protocols/cmp/sig-second
nok "rr of a certificate of another RA Profile" rr "$T/sig3.crt" "$T/dev.key" "$T/sig3.crt"
like "$(cat "$T/client.out")" "badCertId" "another RA Profile's: badCertId"
SIG=$SIG_SAVE

# --------------------------------------------------------------- kur
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/new.key" 2>/dev/null
# kur CERT KEY NEWKEY [args]: a key update signed with the certificate
kur() {
	timeout 60 openssl cmp -cmd kur -server "127.0.0.1:$HTTP_PORT" \
		-path "${KUR_PATH:-$SIG}" -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 -cert "$1" -key "$2" -newkey "$3" \
		-untrusted "$CA/ca.crt" -trusted "$CA/root.crt" \
		-certout "$T/kup.crt" -unprotected_errors "${@:4}" > "$T/client.out" 2>&1
}
ok "kur signed with the certificate to update" kur "$T/sig3.crt" "$T/dev.key" "$T/new.key" \
	-rspout "$T/kup.der,$T/kconf.der"
is "$(dump "$T/kup.der" body)" kup "answered with kup"
is "$(dump "$T/kconf.der" body)" pkiconf "and its certConf"
ok "the new certificate verifies" openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/kup.crt"
is "$(openssl x509 -in "$T/kup.crt" -noout -subject)" "subject=CN = sig-3" "same subject"
isnt "$(openssl x509 -in "$T/kup.crt" -noout -pubkey)" "$(openssl x509 -in "$T/sig3.crt" -noout -pubkey)" \
	"new key"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=sig-3' AND status = 'issued'")" 2 \
	"both in the inventory"
sig3_serial=$(openssl x509 -in "$T/sig3.crt" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')
like "$(t_sql "SELECT connector_meta FROM certificate WHERE serial_number = UPPER('$sig3_serial')")" \
	"\"localcaSerial\".*\"data\":\"$sig3_serial\"" "the connector's meta kept with the certificate"
like "$(cat "$T/localca.log")" "old_serial=$sig3_serial meta=old" \
	"... and sent back with its renewal (kur)"
nok "kur keeping the old key" kur "$T/kup.crt" "$T/new.key" "$T/new.key"
like "$(cat "$T/client.out")" "badCertTemplate" "same key: badCertTemplate"
like "$(cat "$T/client.out")" "the new key must differ from the old one" "and says so"
# the old RSA key labelled RSASSA-PSS (RFC 4055 1.2): the same modulus and
# exponent, which libcrypto reads as a key of another type
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa.key" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$T/rsa.key" -outform DER -out "$T/rsa.p8" &&
python3 - "$T/rsa.p8" "$T/pss.p8" <<'EOP' && openssl pkey -inform DER -in "$T/pss.p8" -out "$T/pss.key" ||
import sys
d = bytearray(open(sys.argv[1], "rb").read())
rsa = bytes.fromhex("300d06092a864886f70d0101010500")	# rsaEncryption, NULL
pss = bytes.fromhex("300b06092a864886f70d01010a")		# id-RSASSA-PSS
assert d.count(rsa) == 1 and d[:2] == b"\x30\x82"
d = d.replace(rsa, pss)
d[2:4] = (int.from_bytes(d[2:4], "big") - 2).to_bytes(2, "big")
open(sys.argv[2], "wb").write(d)
EOP
	bail "cannot label the RSA key RSASSA-PSS"
ok "an RSA certificate to update" client /CN=sig-rsa $DEV -newkey "$T/rsa.key" -certout "$T/rsa.crt"
like "$(openssl pkey -in "$T/pss.key" -noout -text 2>&1 | head -n 1)" "Private-Key: \(2048 bit" \
	"its key labelled RSASSA-PSS reads"
nok "kur keeping the old RSA key, labelled RSASSA-PSS" kur "$T/rsa.crt" "$T/rsa.key" "$T/pss.key"
like "$(cat "$T/client.out")" "the new key must differ from the old one" "... refused: the same key"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=sig-rsa'")" 1 "... nothing issued"
nok "kur of a revoked certificate" kur "$T/sig2.crt" "$T/dev.key" "$T/new.key"
like "$(cat "$T/client.out")" "certRevoked" "revoked: certRevoked"
nok "kur of a certificate not issued here" kur "$F/ee.pem" "$F/ee.key" "$T/new.key"
like "$(cat "$T/client.out")" "badCertId" "foreign: badCertId"
like "$(cat "$T/client.out")" "the certificate to update was not issued through this RA Profile" \
	"foreign: text"
nok "kur signed by another certificate" kur "$T/sig3.crt" "$T/dev.key" "$T/new.key" \
	-oldcert "$T/cr.crt"
like "$(cat "$T/client.out")" "badCertId" "kur signed by another certificate: badCertId"
like "$(cat "$T/client.out")" "oldCertID does not name the protection certificate" "and says so"
nok "MAC-protected kur" sh -c "timeout 60 openssl cmp -cmd kur -server 127.0.0.1:$HTTP_PORT \
	-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd -ref $ENROLL_REF \
	-secret pass:$ENROLL_SECRET -oldcert '$T/kup.crt' -newkey '$T/dev.key' \
	-certout '$T/x.crt' -unprotected_errors > '$T/client.out' 2>&1"
like "$(cat "$T/client.out")" "notAuthorized" "MAC kur: notAuthorized"
like "$(cat "$T/client.out")" "kur must be signed with the certificate to update" "and says so"

# ------------------------------------------------- 3GPP (TS 33.310 9.5)
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, variant, request_protection,
    response_protection, default_ra_profile_uuid, subject_policy) VALUES
  ('00000000-0000-4000-8000-00000000f102', 'bts', 1, 'v2_3gpp', 'signature', 'signature',
   '00000000-0000-4000-8000-00000000e001', 'any')"
$CMPD --set-signing-credentials bts < "$T/bundle.pem" > /dev/null
$CMPD --set-trust-anchors bts < "$F/root.pem" > /dev/null
ok "3GPP: ir signed with the vendor certificate" sh -c "timeout 60 openssl cmp -cmd ir \
	-server 127.0.0.1:$HTTP_PORT -path /api/v1/protocols/cmp/bts -recipient /CN=cmpd \
	-cert '$F/ee.pem' -key '$F/ee.key' -trusted '$CA/root.crt' -newkey '$T/dev.key' \
	-subject /CN=bts-1 -certout '$T/bts.crt' -extracertsout '$T/bts-extra.pem' \
	-cacertsout '$T/bts-capubs.pem' -rspout '$T/bts-ip.der' > '$T/client.out' 2>&1"
diag_file "$T/client.out" 3
ok "3GPP: operator certificate verifies" openssl verify -CAfile "$CA/root.crt" \
	-untrusted "$CA/ca.crt" "$T/bts.crt"
is "$(dump "$T/bts-ip.der" extraCerts)" 3 "extraCerts: signer, issuing CA, operator root (once each)"
ok "extraCerts hold the issuing CA" grep -q "$(sed -n 2p "$CA/ca.crt")" "$T/bts-extra.pem"
is "$(grep -c 'BEGIN CERTIFICATE' "$T/bts-capubs.pem")" 1 "caPubs: the operator root"
ok "caPubs: the operator root itself" grep -q "$(sed -n 2p "$CA/root.crt")" "$T/bts-capubs.pem"
# the device's next certificate: kur with the operator certificate (the
# operator root is an anchor of the profile too)
cat "$F/root.pem" "$CA/root.crt" | $CMPD --set-trust-anchors bts > /dev/null
KUR_PATH=/api/v1/protocols/cmp/bts
ok "3GPP: kur with the operator certificate" kur "$T/bts.crt" "$T/dev.key" "$T/new.key"
unset KUR_PATH

# refusals
expect() {
	local desc=$1 fi=$2 text=$3
	shift 3
	nok "$desc: refused" client /CN=refused -unprotected_errors "$@"
	like "$(cat "$T/client.out")" "$fi" "$desc: $fi"
	like "$(cat "$T/client.out")" "$text" "$desc: text"
}
expect "signer from another CA" signerNotTrusted \
	"PN=sig \\| the protection certificate is not trusted" \
	-cert "$F/ee-rsa.pem" -key "$F/ee-rsa.key" -trusted "$CA/root.crt"
expect "SHA-1 signature" badAlg "protection algorithm .*not supported" $DEV -digest sha1
expect "MAC on a signature profile" wrongIntegrity \
	"request protection method \\(signature\\)" -ref x -secret pass:x
"$TOOL" edit "$T/ir1.der" "$T/ir-changed.der" tid=00112233445566778899aabbccddeeff
is "$(t_post "$T/ir-changed.der" $SIG)" 200 "changed signed message: answered"
is "$(dump "$T/resp.der" failInfo)" badMessageCheck "changed signed message: badMessageCheck"
is "$(dump "$T/resp.der" text)" "PN=sig | the message signature does not verify" "and says so"
# signed all the same: the profile signs its answers (t/0025-chain.t)
is "$(dump "$T/resp.der" protected)" 1 "answer to an unauthenticated request signed"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=refused'")" 0 \
	"nothing issued for refused requests"

# RSASSA-PSS (RFC 9481 2.1.2), made by cmptool (openssl cmp 3.0 signs
# with PKCS#1 v1.5 only): with SHA-256 or SHA-384 an ip; with SHA-1 or
# MD5, whose signatures libcrypto verifies, refused for the parameters
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -subj "/CN=rsa device" \
	-out "$T/rsa.csr" 2>/dev/null &&
openssl x509 -req -in "$T/rsa.csr" -CA "$CA/root.crt" -CAkey "$CA/root.key" -days 30 \
	-extfile "$T/signer.ext" -out "$T/rsa.crt" 2>/dev/null || bail "no RSA device certificate"
ok "an ir signed with an RSA key (PKCS#1 v1.5)" client /CN=pss-1 -cert "$T/rsa.crt" \
	-key "$T/rsa.key" -trusted "$CA/root.crt" -reqout "$T/rsa-ir.der"
pss() {	# pss DIGEST: rsa-ir.der signed again with RSASSA-PSS, posted
	"$TOOL" edit "$T/rsa-ir.der" "$T/pss-$1.der" tid="$(openssl rand -hex 16)" \
		senderNonce="$(openssl rand -hex 16)" resign="$T/rsa.key:$1:pss" &&
	t_post "$T/pss-$1.der" $SIG > /dev/null
}
for md in SHA256 SHA384; do
	pss $md
	like "$(openssl asn1parse -inform DER -in "$T/pss-$md.der" | head -n 40)" "rsassaPss" \
		"RSASSA-PSS with $md: its protectionAlg"
	is "$(dump "$T/resp.der" body)" ip "... an ip"
done
for md in SHA1 MD5; do
	pss $md
	is "$(dump "$T/resp.der" failInfo)" badAlg "RSASSA-PSS with $md: badAlg"
	like "$(dump "$T/resp.der" text)" "RSASSA-PSS other than with SHA-2" "... and says so"
done

# an expired signer
openssl req -new -key "$F/ee.key" -subj "/CN=expired device" -out "$T/old.csr" 2>/dev/null
openssl x509 -req -in "$T/old.csr" -CA "$F/root.pem" -CAkey "$F/root.key" -days -1 \
	-extfile "$T/signer.ext" -out "$T/expired.crt" 2>/dev/null
expect "expired signer" signerNotTrusted "certificate has expired" \
	-cert "$T/expired.crt" -key "$F/ee.key" -trusted "$CA/root.crt"
# senderKID that is not the signer's subjectKeyIdentifier, signed again
"$TOOL" edit "$T/ir1.der" "$T/ir-kid.der" tid=00112233445566778899aabbccddee01 \
	senderKID=0102030405060708090a0b0c0d0e0f1011121314 resign="$F/ee.key"
t_post "$T/ir-kid.der" $SIG > /dev/null
is "$(dump "$T/resp.der" failInfo)" badMessageCheck "senderKID mismatch: badMessageCheck"
is "$(dump "$T/resp.der" text)" \
	"PN=sig | sender, senderKID or key usage do not fit the protection certificate" "and says so"
# the same message signed again but unchanged passes the signature check
"$TOOL" edit "$T/ir1.der" "$T/ir-resigned.der" tid=00112233445566778899aabbccddee02 \
	messageTime=0 resign="$F/ee.key"
t_post "$T/ir-resigned.der" $SIG > /dev/null
is "$(dump "$T/resp.der" body)" ip "a correctly re-signed ir is answered with an ip"
# a signed message without its protection certificate
"$TOOL" edit "$T/ir1.der" "$T/ir-nocert.der" tid=00112233445566778899aabbccddee04 \
	extraCerts=0 resign="$F/ee.key"
t_post "$T/ir-nocert.der" $SIG > /dev/null
is "$(dump "$T/resp.der" text)" "PN=sig | the protection certificate is missing from extraCerts" \
	"no protection certificate: text"
# a sender that is not the signer's subject
"$TOOL" edit "$T/ir1.der" "$T/ir-sender.der" tid=00112233445566778899aabbccddee05 \
	sender=uri resign="$F/ee.key"
t_post "$T/ir-sender.der" $SIG > /dev/null
like "$(dump "$T/resp.der" failInfo)" "badRequest|badMessageCheck" "sender not a DN: refused"
# rr with two RevDetails, and one without serialNumber
# (for a certificate not issued here: nothing is revoked, cr.crt stays a
# valid signer for the edited copies)
rr "$T/cr.crt" "$T/dev.key" "$F/ee.pem" -reqout "$T/rr-ok.der" -revreason 0 > /dev/null
"$TOOL" edit "$T/rr-ok.der" "$T/rr-two.der" tid=00112233445566778899aabbccddee06 \
	duprr=1 resign="$T/dev.key"
t_post "$T/rr-two.der" $SIG > /dev/null
is "$(dump "$T/resp.der" text)" "PN=sig | rr must name exactly one certificate" "two RevDetails: text"
is "$(dump "$T/resp.der" failInfo)" badRequest "two RevDetails: badRequest"
"$TOOL" edit "$T/rr-ok.der" "$T/rr-noserial.der" tid=00112233445566778899aabbccddee07 \
	rrnoserial=1 resign="$T/dev.key"
t_post "$T/rr-noserial.der" $SIG > /dev/null
is "$(dump "$T/resp.der" failInfo)" badCertId "rr without serialNumber: badCertId"
is "$(dump "$T/resp.der" text)" "PN=sig | rr must name the certificate's issuer and serialNumber" \
	"rr without serialNumber: text"

# 3GPP: two CertReqMsgs
"$TOOL" edit "$T/ir1.der" "$T/ir-two.der" tid=00112233445566778899aabbccddee03 \
	dupreq=1 resign="$F/ee.key"
t_post "$T/ir-two.der" /api/v1/protocols/cmp/bts > /dev/null
is "$(dump "$T/resp.der" failInfo)" badRequest "3GPP ir with two CertReqMsgs: badRequest"
is "$(dump "$T/resp.der" text)" "PN=bts | a 3GPP request holds exactly one CertReqMsg" "and says so"

# 3GPP bootstrap: what the ip delivered is enough to trust the operator
# side: its signer and the new certificate chain to the root in extraCerts
# (openssl cmp 3.0's app has no -permit_ta_in_extracerts_for_ir, so the
# chain is checked with openssl verify on the saved extraCerts)
awk '/BEGIN CERT/ { n++ } { print > ("'"$T"'/bts-x" n ".pem") }' "$T/bts-extra.pem"
ok "the ip's signer chains to the root the ip delivered" \
	openssl verify -CAfile "$T/bts-extra.pem" "$T/bts-x1.pem"
ok "the new operator certificate too" \
	openssl verify -CAfile "$T/bts-extra.pem" "$T/bts.crt"
# and the client itself, trusting only the vendor root, takes the operator
# root from the ip's extraCerts (OSSL_CMP_OPT_PERMIT_TA_IN_EXTRACERTS_FOR_IR;
# t/cmp3gpp.c says why it asks for implicitConfirm)
cmp3gpp() {
	timeout 60 "$top_builddir/t/cmp3gpp" "$HTTP_PORT" /api/v1/protocols/cmp/bts \
		"$F/root.pem" "$F/ee.pem" "$F/ee.key" "$T/dev.key" "$@" > "$T/client.out" 2>&1
}
nok "3GPP control: the same client without the 3GPP option refuses the ip" \
	cmp3gpp bts-plain "$T/plain.crt" plain
like "$(cat "$T/client.out")" "no suitable sender cert" "because nothing it trusts signed it"
ok "3GPP bootstrap: a client trusting only the vendor root accepts the ip" \
	cmp3gpp bts-2 "$T/bts2.crt"
diag_file "$T/client.out" 10
ok "the certificate it got verifies against the operator root" \
	openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/bts2.crt"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=bts-2'")" issued \
	"stored as issued (implicitConfirm)"

# without trust anchors nobody is trusted
t_sql "UPDATE cmp_profile SET trust_anchors = NULL WHERE name = 'sig'"
expect "no trust anchors" signerNotTrusted \
	"PN=sig \\| the protection certificate is not trusted: the CMP Profile has no trust anchors" $DEV
done_testing
