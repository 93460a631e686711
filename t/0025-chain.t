#!/bin/sh
# Answers a client can validate with nothing but the root (RFC 9483
# 4.1.1): ip, cp and kup carry the issuing chain of the new certificate
# in extraCerts (after the signing certificate and its chain when signed),
# caPubs holds only the root and only where the CMP Profile's caPubs
# allows; request signers whose certificate cmpd issued need not send the
# issuing CA (cmpd offers the CA's chain from the connector as
# intermediates, trust still from the profile's anchors only); and a
# profile that signs its answers signs its errors too, also to requests
# it could not authenticate, while a MAC answers only a proven secret.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "connector_timeout = 5"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
TOOL=$top_builddir/t/cmptool
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
API_KEY=$(t_api_key admin admin)
PBM=/api/v1/protocols/cmp/enroll
SIG=/api/v1/protocols/cmp/sig
ENROLLP=00000000-0000-4000-8000-00000000e101
SIGP=00000000-0000-4000-8000-00000000f501
SECRET="-ref $ENROLL_REF -secret pass:$ENROLL_SECRET"
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
fp() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
# fps FILE: the SHA-256 fingerprints of every certificate of a PEM file
fps() {
	awk -v d="$T/split" '/BEGIN CERT/ { n++ } n { print > (d "." n ".pem") }' "$1"
	for f in "$T"/split.*.pem; do
		[ -f "$f" ] && fp "$f"
	done
	rm -f "$T"/split.*.pem
}
subjects() { "$TOOL" dump "$1" | sed -n "s/^$2=//p" | tr '\n' ';'; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/new.key" 2>/dev/null
ROOT_FP=$(fp "$CA/root.crt")
CA_FP=$(fp "$CA/ca.crt")

# "sig": signature both ways; cmpd's signing certificate under the test
# root; anchors the device vendor's root and our own root, never the
# issuing CA
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, subject_policy) VALUES
  ('$SIGP', 'sig', 1, 'signature', 'signature', '00000000-0000-4000-8000-00000000e001', 'any')"
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" | $CMPD --set-signing-credentials sig > /dev/null
cat "$F/root.pem" "$CA/root.crt" | $CMPD --set-trust-anchors sig > /dev/null
SIGNER_FP=$(fp "$T/signer.crt")

# client CMD PATH ARGS...: openssl cmp; output in $T/client.out; the
# certificate in $T/last.crt unless ARGS say -certout
client() {
	local cmd=$1 path=$2 out=()
	shift 2
	[ "$cmd" = rr ] || out=(-certout "$T/last.crt")
	rm -f "$T/extra.pem" "$T/capubs.pem"
	timeout 60 openssl cmp -cmd "$cmd" -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 "${out[@]}" "$@" > "$T/client.out" 2>&1
}
tx_state() { t_sql "SELECT state FROM cmp_transaction ORDER BY created_at DESC LIMIT 1"; }
VENDOR="-cert $F/ee.pem -key $F/ee.key -trusted $CA/root.crt"

# ------------------------------------------- PBM: ir and cr, root only
ok "PBM ir, the new certificate validated with the root only" client ir $PBM $SECRET \
	-newkey "$T/dev.key" -subject /CN=chain-ir -certout "$T/ir.crt" \
	-out_trusted "$CA/root.crt" -extracertsout "$T/extra.pem" \
	-cacertsout "$T/capubs.pem" -rspout "$T/ip.der,$T/conf.der"
diag_file "$T/client.out" 5
is "$(tx_state)" confirmed "PBM ir: confirmed"
is "$(fps "$T/capubs.pem")" "$ROOT_FP" "PBM ir: caPubs holds the root alone"
is "$(fps "$T/extra.pem")" "$CA_FP" "PBM ir: extraCerts hold the issuing CA, without the root"
is "$(dump "$T/ip.der" caPubs)" 1 "PBM ir: one caPubs certificate in the ip"
is "$(subjects "$T/ip.der" extraCert)" "CN=Test Issuing CA,O=cmpd tests;" \
	"PBM ir: the ip's extraCerts by subject"
is "$(dump "$T/ip.der" protected)" 1 "PBM ir: ip MAC-protected"

ok "PBM cr, root only" client cr $PBM $SECRET -newkey "$T/dev.key" \
	-subject /CN=chain-cr -certout "$T/cr.crt" -out_trusted "$CA/root.crt" \
	-extracertsout "$T/extra.pem" -rspout "$T/cp.der,$T/conf.der"
is "$(tx_state)" confirmed "PBM cr: confirmed"
is "$(dump "$T/cp.der" body)" cp "PBM cr: answered with cp"
is "$(dump "$T/cp.der" caPubs)" 0 "PBM cr: no caPubs in a cp"
is "$(fps "$T/extra.pem")" "$CA_FP" "PBM cr: extraCerts hold the issuing CA"

# the same client, trusting another root for the new certificate, refuses
# it: -out_trusted is checked
nok "PBM ir with another root as -out_trusted: refused by the client" client ir $PBM $SECRET \
	-newkey "$T/dev.key" -subject /CN=chain-wrong -out_trusted "$F/root.pem"
like "$(cat "$T/client.out")" "rejecting newly enrolled cert with subject: /CN=chain-wrong" \
	"the client says why"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=chain-wrong'")" rejected \
	"the certificate the client rejected is marked rejected"

# -------------------------------------------- signature: ir, cr, kur, rr
ok "signed ir, root only" client ir $SIG $VENDOR -newkey "$T/dev.key" \
	-subject /CN=chain-sig -certout "$T/sig.crt" -out_trusted "$CA/root.crt" \
	-extracertsout "$T/extra.pem" -cacertsout "$T/capubs.pem" -rspout "$T/sip.der,$T/sconf.der"
diag_file "$T/client.out" 5
is "$(tx_state)" confirmed "signed ir: confirmed"
is "$(fps "$T/extra.pem" | tr '\n' ' ')" "$SIGNER_FP $CA_FP " \
	"signed ir: extraCerts = signing certificate, the issuing CA; the self-signed root of the signer's chain left out (RFC 9483 3.3)"
is "$(dump "$T/sconf.der" extraCerts)" 1 "signed pkiConf: extraCerts = the signing certificate alone"
is "$(dump "$T/sip.der" caPubs)" 0 "signed ir: no caPubs (caPubs sharedSecret, the default)"
nok "signed ir: no caPubs file" test -s "$T/capubs.pem"
# a signing certificate under the issuing CA: its chain without the root
SIG2P=00000000-0000-4000-8000-00000000f502
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, subject_policy) VALUES
  ('$SIG2P', 'sig2', 1, 'signature', 'signature', '00000000-0000-4000-8000-00000000e001', 'any')"
t_signer signer2 "/O=cmpd tests/CN=cmpd signer 2" ca ||
	bail "cannot make the second signing certificate"
cat "$T/signer2.key" "$T/signer2.crt" "$CA/ca.crt" "$CA/root.crt" |
	$CMPD --set-signing-credentials sig2 > /dev/null
cat "$F/root.pem" "$CA/root.crt" | $CMPD --set-trust-anchors sig2 > /dev/null
ok "signed ir, signer under the issuing CA" client ir /api/v1/protocols/cmp/sig2 $VENDOR \
	-newkey "$T/dev.key" -subject /CN=chain-sig2 -out_trusted "$CA/root.crt" \
	-extracertsout "$T/extra.pem" -rspout "$T/s2ip.der,$T/s2conf.der"
diag_file "$T/client.out" 5
is "$(fps "$T/extra.pem" | tr '\n' ' ')" "$(fp "$T/signer2.crt") $CA_FP " \
	"signer under the issuing CA: extraCerts = signing certificate, the issuing CA once, no root"
is "$(dump "$T/s2conf.der" extraCerts)" 2 "its pkiConf: the signing certificate and the issuing CA"
ok "signed cr, root only" client cr $SIG $VENDOR -newkey "$T/dev.key" \
	-subject /CN=chain-sig-cr -certout "$T/sigcr.crt" -out_trusted "$CA/root.crt"
is "$(tx_state)" confirmed "signed cr: confirmed"

# kur and rr signed with a certificate cmpd issued, without -untrusted:
# the issuing CA comes from the connector
ok "kur signed with a certificate cmpd issued, -trusted root only" client kur $SIG \
	-cert "$T/sig.crt" -key "$T/dev.key" -trusted "$CA/root.crt" -newkey "$T/new.key" \
	-certout "$T/kup.crt" -out_trusted "$CA/root.crt" -extracertsout "$T/extra.pem" \
	-rspout "$T/kup.der,$T/kconf.der"
diag_file "$T/client.out" 5
is "$(dump "$T/kup.der" body)" kup "kur: answered with kup"
is "$(fps "$T/extra.pem" | tail -n 1)" "$CA_FP" "kup: extraCerts end with the issuing CA"
is "$(dump "$T/kup.der" caPubs)" 0 "kup: no caPubs"
is "$(tx_state)" confirmed "kur: confirmed"
ok "rr signed with a certificate cmpd issued, -trusted root only" client rr $SIG \
	-cert "$T/kup.crt" -key "$T/new.key" -trusted "$CA/root.crt" -oldcert "$T/kup.crt" \
	-revreason 4
is "$(t_sql "SELECT status FROM certificate WHERE serial_number = '$(openssl x509 -in "$T/kup.crt" -noout -serial | cut -d= -f2)'")" \
	revoked "rr: revoked"

# The CA's chain cannot be fetched: validation goes on with what the
# client sent; a chain that then lacks an issuer is no verdict (the CA's
# chain may hold it): systemUnavail, try again, not signerNotTrusted.
# "sig-dead": an RA Profile whose connector does not answer.
t_sql "INSERT INTO connector (uuid, name, url, auth_type, insecure) VALUES
  ('00000000-0000-4000-8000-00000000f5c1', 'dead', 'http://127.0.0.1:9', 'none', 1);
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-00000000f5a1', 'dead', '00000000-0000-4000-8000-00000000f5c1',
   '00000000-0000-4000-8000-00000000f5a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-00000000f502', 'ra-dead', 1, '00000000-0000-4000-8000-00000000f5a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid) VALUES
  ('00000000-0000-4000-8000-00000000f503', 'sig-dead', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-00000000f502')"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" | $CMPD --set-signing-credentials sig-dead > /dev/null
$CMPD --set-trust-anchors sig-dead < "$CA/root.crt" > /dev/null
nok "no CA chain, no -untrusted: refused" client rr /api/v1/protocols/cmp/sig-dead \
	-cert "$T/sigcr.crt" -key "$T/dev.key" -trusted "$CA/root.crt" -oldcert "$T/sigcr.crt"
like "$(cat "$T/client.out")" "systemUnavail" "no CA chain: systemUnavail (try again)"
like "$(cat "$T/client.out")" "the CA's certificate chain cannot be had, try again later" "no CA chain: says why"
nok "no CA chain, with -untrusted: the chain validates (then refused by the rr handler)" client rr \
	/api/v1/protocols/cmp/sig-dead -cert "$T/sigcr.crt" -key "$T/dev.key" \
	-trusted "$CA/root.crt" -untrusted "$CA/ca.crt" -oldcert "$T/sigcr.crt"
like "$(cat "$T/client.out")" "PN=sig-dead \| no such certificate issued through this RA Profile" \
	"no CA chain: the client's extraCerts were enough"
# (an rr for its own certificate is the one request a signer may make
# while its CA's CRL cannot be had: t/0058)
nok "no CA chain, with -untrusted, a cr: refused" client cr /api/v1/protocols/cmp/sig-dead \
	-cert "$T/sigcr.crt" -key "$T/dev.key" -trusted "$CA/root.crt" -untrusted "$CA/ca.crt" \
	-newkey "$T/dev.key" -subject /CN=dead-cr
like "$(cat "$T/client.out")" "no current CRL of the CA can be had, try again later" \
	"... for want of the CA's CRL, not of its chain"
like "$(grep 'sig-dead connector caCertificates' "$T/cmpd.log" | head -n 1)" \
	"answers without the issuing chain, signers with their own extraCerts" \
	"the failed fetch is logged"

# ------------------------------------------------ errors, signed or not
# an unknown CA's signer: the error is signed, openssl cmp takes it
# without -unprotected_errors and shows the reason
nok "signer of an unknown CA: refused" client ir $SIG -cert "$F/ee-rsa.pem" \
	-key "$F/ee-rsa.key" -trusted "$CA/root.crt" -newkey "$T/dev.key" \
	-subject /CN=chain-refused -rspout "$T/err.der"
like "$(cat "$T/client.out")" "signerNotTrusted" "unknown CA: failInfo shown"
like "$(cat "$T/client.out")" "PN=sig \| the protection certificate is not trusted" \
	"unknown CA: the text shown"
unlike "$(cat "$T/client.out")" "missing protection|unprotected" "unknown CA: the client took the answer"
is "$(dump "$T/err.der" protected)" 1 "unknown CA: the answer is signed"
is "$(dump "$T/err.der" sender)" "CN=cmpd signer,O=cmpd tests" "unknown CA: by cmpd's signing certificate"
# a MAC on the signature profile, and a header error: signed too
nok "MAC on the signature profile: refused" client ir $SIG -ref x -secret pass:x \
	-trusted "$CA/root.crt" -newkey "$T/dev.key" -subject /CN=chain-refused
like "$(cat "$T/client.out")" "wrongIntegrity" "wrong protection: failInfo shown"
like "$(cat "$T/client.out")" "request protection method \(signature\)" "wrong protection: text shown"
client ir $SIG $VENDOR -newkey "$T/dev.key" -subject /CN=chain-h \
	-reqout "$T/sir.der" -certout "$T/h.crt" > /dev/null
"$TOOL" edit "$T/sir.der" "$T/sir-short.der" tid=0011
is "$(t_post "$T/sir-short.der" $SIG)" 200 "short transactionID: answered"
is "$(dump "$T/resp.der" text)" "transactionID's value is too short" "short transactionID: text"
is "$(dump "$T/resp.der" protected)" 1 "short transactionID: answer signed"
# an unknown profile has no key to sign with
is "$(t_post "$T/sir-short.der" /api/v1/protocols/cmp/nosuch)" 200 "unknown profile: answered"
is "$(dump "$T/resp.der" protected)" 0 "unknown profile: unprotected"
# a wrong shared secret: never MAC'd with a secret the request did not
# prove (the PBM profile does not sign)
nok "wrong shared secret: refused" client ir $PBM -ref "$ENROLL_REF" -secret pass:wrong \
	-newkey "$T/dev.key" -subject /CN=chain-refused -rspout "$T/err.der"
like "$(cat "$T/client.out")" "missing protection|unprotected|protection" \
	"wrong secret: the client refuses the unprotected answer"
is "$(dump "$T/err.der" protected)" 0 "wrong secret: the answer is unprotected"
is "$(dump "$T/err.der" text)" "PN=enroll | message authentication failed" "wrong secret: text"
nok "with -unprotected_errors: refused" client ir $PBM -ref "$ENROLL_REF" \
	-secret pass:wrong -newkey "$T/dev.key" -subject /CN=chain-refused -unprotected_errors
like "$(cat "$T/client.out")" "message authentication failed" "with -unprotected_errors: text shown"

# ------------------------------------------------ the caPubs setting
t_api GET "/cmpProfiles/$ENROLLP" > /dev/null
is "$(t_json 'j["caPubs"]')" sharedSecret "API: caPubs sharedSecret by default"
is "$(t_api PUT "/cmpProfiles/$ENROLLP" '{"caPubs":"sometimes"}')" 422 "API: caPubs checked"
is "$(t_json 'j["message"]')" "caPubs must be sharedSecret, always or never" "API: and says so"
is "$(t_api PUT "/cmpProfiles/$ENROLLP" '{"caPubs":7}')" 400 "API: caPubs must be a string"
is "$(t_api PUT "/cmpProfiles/$SIGP" '{"caPubs":"always"}')" 200 "API: caPubs always"
is "$(t_json 'j["caPubs"]')" always "API: shown"
ok "signed ir with caPubs always" client ir $SIG $VENDOR -newkey "$T/dev.key" \
	-subject /CN=chain-always -out_trusted "$CA/root.crt" -cacertsout "$T/capubs.pem" \
	-rspout "$T/aip.der,$T/aconf.der"
is "$(fps "$T/capubs.pem")" "$ROOT_FP" "caPubs always: the root alone, to a signed ir"
ok "signed cr with caPubs always" client cr $SIG $VENDOR -newkey "$T/dev.key" \
	-subject /CN=chain-always-cr -rspout "$T/acp.der,$T/aconf.der"
is "$(dump "$T/acp.der" caPubs)" 0 "caPubs always: still none in a cp"
ok "cmpctl sets caPubs" "$top_builddir/cmpctl" -c "$T/cmpd.conf" profile edit enroll caPubs=never
is "$(t_sql "SELECT ca_pubs FROM cmp_profile WHERE uuid = '$ENROLLP'")" never "cmpctl: stored"
"$top_builddir/cmpctl" -c "$T/cmpd.conf" profile show enroll > "$T/show.json"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["caPubs"])' "$T/show.json")" \
	never "cmpctl shows it"
ok "PBM ir with caPubs never" client ir $PBM $SECRET -newkey "$T/dev.key" \
	-subject /CN=chain-never -out_trusted "$CA/root.crt" -extracertsout "$T/extra.pem" \
	-rspout "$T/nip.der,$T/nconf.der"
is "$(dump "$T/nip.der" caPubs)" 0 "caPubs never: none to a MAC-protected ir"
is "$(fps "$T/extra.pem")" "$CA_FP" "caPubs never: the issuing chain all the same"
is "$(t_api PUT "/cmpProfiles/$ENROLLP" '{"caPubs":"sharedSecret"}')" 200 "API: back to sharedSecret"
ok "PBM ir with caPubs sharedSecret" client ir $PBM $SECRET -newkey "$T/dev.key" \
	-subject /CN=chain-shared -rspout "$T/pip.der,$T/pconf.der"
is "$(dump "$T/pip.der" caPubs)" 1 "caPubs sharedSecret: the root to a MAC-protected ir"
is "$(t_api PUT "/cmpProfiles/$SIGP" '{"caPubs":"sharedSecret"}')" 200 "API: sig back to sharedSecret"
ok "signed ir with caPubs sharedSecret" client ir $SIG $VENDOR -newkey "$T/dev.key" \
	-subject /CN=chain-shared-sig -rspout "$T/qip.der,$T/qconf.der"
is "$(dump "$T/qip.der" caPubs)" 0 "caPubs sharedSecret: none to a signed ir"
done_testing
