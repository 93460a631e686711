#!/bin/sh
# General messages (genm -> genp, RFC 9483 4.3) end to end: lighttpd ->
# cmpd -> cmp-localca. t/cmpgenm (libcrypto's client, the values decoded
# with cmpd's templates) asks for the CA certificates, a root CA key
# update (before and after a rollover in cmp-localca), the CMP Profile's
# certificate request template (set through the management API) and the
# CA's CRL; `openssl cmp` asks for what its 3.0 version can. One worker,
# so that its cached CRL is the one compared.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "workers = 1"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
API_KEY=$(t_api_key admin admin)
plan_auto

F=$T_FIXTURES
CA=$T/ca
CMP=/api/v1/protocols/cmp/enroll
ENROLL=00000000-0000-4000-8000-00000000e101
MAC="-secret $ENROLL_SECRET -ref $ENROLL_REF"
# genm ARGS...: t/cmpgenm against our lighttpd; output in $T/genm.out,
# libcrypto's errors in $T/genm.err
genm() {
	timeout 60 "$top_builddir/t/cmpgenm" -port "$HTTP_PORT" "$@" \
		> "$T/genm.out" 2> "$T/genm.err"
}
val() { sed -n "s/^$1=//p" "$T/genm.out" | head -n 1; }
fp() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 |
		sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}
last_log() { grep ' rid=' "$T/cmpd.log" | tail -n 1; }

# ------------------------------------------------------------ caCerts
ok "caCerts: genp" genm -path $CMP $MAC -type caCerts -out "$T/cacerts.pem"
diag_file "$T/genm.err" 5
is "$(val itavs)" 1 "caCerts: one InfoTypeAndValue"
is "$(val infoType)" 1.3.6.1.5.5.7.4.17 "caCerts: answered as caCerts"
is "$(val certs)" 2 "caCerts: issuing CA and root"
is "$(sed -n 's/^fp=//p' "$T/genm.out" | tr '\n' ' ')" \
	"$(fp "$CA/ca.crt") $(fp "$CA/root.crt") " \
	"caCerts: the CA chain of cmp-localca's files, in order"
like "$(last_log)" "body=genm->genp .*outcome=CMPF_OK" "genm logged"

# -------------------------------------------------- unknown info types
ok "unknown infoType: genp" genm -path $CMP $MAC -type 1.3.6.1.5.5.7.4.99
is "$(val infoType)" 1.3.6.1.5.5.7.4.99 "unknown infoType: the same type"
is "$(val value)" absent "unknown infoType: no value"

# openssl cmp 3.0 sends caCerts and certReqTemplate (but cannot save their
# values) and older types, and checks the protected genp
client() {
	timeout 60 openssl cmp -cmd genm -server "127.0.0.1:$HTTP_PORT" \
		-path $CMP -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 $MAC "$@" > "$T/client.out" 2>&1
}
ok "openssl cmp -infotype signKeyPairTypes" client \
	-infotype signKeyPairTypes -rspout "$T/genp.der"
diag_file "$T/client.out" 5
is "$("$top_builddir/t/cmptool" dump "$T/genp.der" | sed -n 's/^body=//p')" \
	genp "openssl cmp: a genp"
is "$("$top_builddir/t/cmptool" dump "$T/genp.der" | sed -n 's/^protected=//p')" \
	1 "openssl cmp: the genp is MAC-protected"
ok "openssl cmp -infotype caCerts" client -infotype caCerts
like "$(cat "$T/client.out")" "genp contains ITAV of type: id-it-caCerts" \
	"openssl cmp: caCerts answered"
ok "openssl cmp -infotype certReqTemplate" client -infotype certReqTemplate
like "$(cat "$T/client.out")" "genp contains ITAV of type: id-it-certReqTemplate" \
	"openssl cmp: certReqTemplate answered"

# exactly one InfoTypeAndValue (RFC 9483 4.3)
client -rspout "$T/err0.der"
like "$(cat "$T/client.out")" \
	"PN=enroll \| a genm must carry exactly one InfoTypeAndValue \(it has 0\)" \
	"openssl cmp: an empty genm is refused (CMPF_GENM_NOT_ONE)"
is "$("$top_builddir/t/cmptool" dump "$T/err0.der" | sed -n 's/^failInfo=//p')" \
	badRequest "empty genm: badRequest"
genm -path $CMP $MAC -type caCerts -two
like "$(cat "$T/genm.out" "$T/genm.err")" \
	"a genm must carry exactly one InfoTypeAndValue \(it has 2\)" \
	"two InfoTypeAndValues are refused"
like "$(last_log)" "body=genm->error .*outcome=CMPF_GENM_NOT_ONE" \
	"refusal logged"

# ---------------------------------------------------- certReqTemplate
ok "certReqTemplate without one: genp" genm -path $CMP $MAC \
	-type certReqTemplate
is "$(val infoType)" 1.3.6.1.5.5.7.4.19 "certReqTemplate: the same type"
is "$(val value)" absent "no template: no value"

TMPL='{"subject":"CN=device,O=Example","keyUsage":["digitalSignature","keyEncipherment"],"extendedKeyUsage":["clientAuth"],"keySpec":"EC:prime256v1"}'
is "$(t_api PUT /cmpProfiles/$ENROLL "{\"certReqTemplate\":$TMPL}")" 200 \
	"API: certReqTemplate set"
is "$(t_json 'j["certReqTemplate"]["keySpec"]')" EC:prime256v1 \
	"API: the template is shown"
is "$(t_api GET /cmpProfiles/$ENROLL)" 200 "API: profile read"
is "$(t_json 'j["certReqTemplate"]["subject"]')" CN=device,O=Example \
	"API: the template is stored"
ok "cmpctl shows it" sh -c "'$top_builddir/cmpctl' -c '$T/cmpd.conf' profile show enroll > '$T/ctl.out' 2>&1"
like "$(cat "$T/ctl.out")" '"keySpec": *"EC:prime256v1"' "cmpctl: keySpec"
ok "certReqTemplate: genp" genm -path $CMP $MAC -type certReqTemplate
diag_file "$T/genm.err" 5
is "$(val value)" present "template: a value"
is "$(val decoded)" 1 "template: a CertReqTemplateContent"
is "$(val subject)" "CN=device,O=Example" "template: subject"
like "$(cat "$T/genm.out")" \
	"ext=X509v3 Key Usage\(critical\):Digital Signature, Key Encipherment" \
	"template: keyUsage, critical"
like "$(cat "$T/genm.out")" \
	"ext=X509v3 Extended Key Usage:TLS Web Client Authentication" \
	"template: extendedKeyUsage"
is "$(val publicKey)" 0 "template: no publicKey"
is "$(val algId)" id-ecPublicKey:prime256v1 "template: keySpec id-regCtrl-algId"

is "$(t_api PUT /cmpProfiles/$ENROLL '{"certReqTemplate":{"keySpec":"RSA:3072"}}')" \
	200 "API: an RSA template"
genm -path $CMP $MAC -type certReqTemplate
is "$(val rsaKeyLen)" 3072 "template: keySpec id-regCtrl-rsaKeyLen"
is "$(val subject)" "" "template: no subject"

# checked with clear texts
bad() {
	is "$(t_api PUT /cmpProfiles/$ENROLL "{\"certReqTemplate\":$1}")" 422 \
		"API: $2 refused"
	is "$(t_json 'j["message"] if isinstance(j, dict) else j[0]')" "$3" \
		"API: $2: text"
}
bad '{"keySpec":"DSA:1024"}' "an unknown key type" \
	"certReqTemplate.keySpec must be EC:<curve>, RSA:<bits>, Ed25519 or Ed448"
bad '{"keySpec":"RSA:1024"}' "a short RSA key" \
	"certReqTemplate.keySpec: RSA key length must be 2048 to 16384 bits"
bad '{"keySpec":"EC:nosuchcurve"}' "an unknown curve" \
	"certReqTemplate.keySpec: unknown curve nosuchcurve"
bad '{"subject":"no name"}' "a bad subject" \
	'certReqTemplate.subject must be a distinguished name such as "CN=device,O=Example"'
bad '{"keyUsage":["flying"]}' "an unknown key usage" \
	"certReqTemplate.keyUsage: unknown usage flying"
bad '{"extendedKeyUsage":["nosuchpurpose"]}' "an unknown purpose" \
	"certReqTemplate.extendedKeyUsage: unknown purpose nosuchpurpose"
bad '{"keyUsage":[]}' "an empty list" \
	"certReqTemplate.keyUsage must be an array of 1 to 16 names"
bad '{"validity":30}' "an unknown member" \
	"certReqTemplate: unknown member validity"
bad '"EC:prime256v1"' "a string" \
	"certReqTemplate must be an object {subject, keyUsage, extendedKeyUsage, keySpec} or null"
long=$(python3 -c 'print(",".join("OU=" + "x" * 250 for _ in range(17)))')
bad "{\"subject\":\"$long\"}" "a template over 4096 bytes" \
	"certReqTemplate is longer than 4096 bytes"
genm -path $CMP $MAC -type certReqTemplate
is "$(val rsaKeyLen)" 3072 "a refused change leaves the template"
ok "cmpctl profile edit" sh -c "'$top_builddir/cmpctl' -c '$T/cmpd.conf' profile edit enroll \
	'certReqTemplate:={\"keySpec\":\"Ed25519\",\"subject\":\"CN=ctl\"}' > '$T/ctl.out' 2>&1"
diag_file "$T/ctl.out" 5
genm -path $CMP $MAC -type certReqTemplate
is "$(val algId)" ED25519 "cmpctl's template: Ed25519"
is "$(val subject)" CN=ctl "cmpctl's template: subject"

# a template the database holds but cmpd cannot use
t_sql "UPDATE cmp_profile SET cert_req_template = '{\"keySpec\":\"DSA:1\"}' WHERE uuid = '$ENROLL'"
genm -path $CMP $MAC -type certReqTemplate
like "$(cat "$T/genm.out" "$T/genm.err")" \
	"PN=enroll \| the CMP Profile's certReqTemplate is unusable" \
	"a broken stored template is an error (CMPF_GENM_BAD_TEMPLATE)"
is "$(t_api PUT /cmpProfiles/$ENROLL '{"certReqTemplate":null}')" 200 \
	"API: null clears the template"
is "$(t_json 'j["certReqTemplate"]')" null "API: no template"
genm -path $CMP $MAC -type certReqTemplate
is "$(val value)" absent "cleared: no value"

# ------------------------------------------------------ crlStatusList
ok "crlStatusList: genp" genm -path $CMP $MAC -type crlStatusList \
	-crlca "$CA/ca.crt" -out "$T/crl.pem"
diag_file "$T/genm.err" 5
is "$(val infoType)" 1.3.6.1.5.5.7.4.23 "crlStatusList: answered as crls"
is "$(val crls)" 1 "crls: one CRL"
is "$(val crl_issuer)" "CN=Test Issuing CA,O=cmpd tests" "crls: the CA's"
ok "crls: the CRL verifies with the CA's key" \
	openssl crl -in "$T/crl.pem" -noout -CAfile "$CA/ca.crt"
# the same CRL, fetched from cmp-localca directly, has the same issuer
ok "the client's thisUpdate current: genp" genm -path $CMP $MAC \
	-type crlStatusList -crl "$T/crl.pem"
is "$(val infoType)" 1.3.6.1.5.5.7.4.23 "current CRL: crls type"
is "$(val value)" absent "current CRL: no value"
genm -path $CMP $MAC -type crlStatusList -crlca "$CA/ca.crt" \
	-thisupdate 20200101000000Z
is "$(val crls)" 1 "an older thisUpdate: the CRL"
genm -path $CMP $MAC -type crlStatusList -crlca "$CA/root.crt"
is "$(val value)" absent "another issuer's CRL: no value"
genm -path $CMP $MAC -type crlStatusList
like "$(cat "$T/genm.out" "$T/genm.err")" \
	"PN=enroll \| the value of the genm's crlStatusList cannot be decoded" \
	"crlStatusList without a value (CMPF_GENM_BAD_VALUE)"
ok "16 CRLStatus: genp" genm -path $CMP $MAC -type crlStatusList \
	-crlca "$CA/ca.crt" -crlcount 16
is "$(val crls)" 1 "16 CRLStatus: the CRL once"
genm -path $CMP $MAC -type crlStatusList -crlca "$CA/ca.crt" -crlcount 17
like "$(cat "$T/genm.out" "$T/genm.err")" \
	"the value of the genm's crlStatusList cannot be decoded" \
	"17 CRLStatus: over the cap"

# ------------------------------------------------- rootCaKeyUpdate
ok "rootCaCert before a rollover: genp" genm -path $CMP $MAC \
	-type rootCaCert -old "$CA/root.crt"
is "$(val infoType)" 1.3.6.1.5.5.7.4.18 "rootCaCert: answered as rootCaKeyUpdate"
is "$(val value)" absent "no rollover: no value"

ok "cmp-localca -R rolls the root over" sh -c "'$top_builddir/cmp-localca' \
	-c '$T/localca.conf' -R '$CA/root.key' > '$T/roll.out' 2>&1"
diag_file "$T/roll.out"
ok "new root key, new root and both links written" test -s "$CA/rootupdate/newroot.key" \
	-a -s "$CA/rootupdate/newwithnew.pem" -a -s "$CA/rootupdate/newwithold.pem" \
	-a -s "$CA/rootupdate/oldwithnew.pem"
is "$(stat -c %a "$CA/rootupdate/newroot.key")" 600 "the new root key is private"
is "$(stat -c '%a %g' "$CA/rootupdate")" "750 $(stat -c %g "$CA")" \
	"rootupdate/ is the group's of the CA directory (the service's)"
t_mode=$(stat -c %a "$T")
chmod 0711 "$T"	# the test's directory passable, as /etc/cmp-localca is
ok "... whose members read the links there" setpriv --reuid=65534 --regid="$(stat -c %g "$CA")" \
	--clear-groups cat "$CA/rootupdate/newwithnew.pem" "$CA/rootupdate/newwithold.pem"
nok "... not the new root's key" setpriv --reuid=65534 --regid="$(stat -c %g "$CA")" \
	--clear-groups cat "$CA/rootupdate/newroot.key"
chmod "$t_mode" "$T"
is "$(openssl x509 -in "$CA/rootupdate/newwithnew.pem" -noout -subject)" \
	"$(openssl x509 -in "$CA/root.crt" -noout -subject)" "the new root keeps the name"
ok "newWithOld verifies with the old root" openssl verify -CAfile "$CA/root.crt" \
	-partial_chain "$CA/rootupdate/newwithold.pem"
ok "a second rollover is refused" sh -c "! '$top_builddir/cmp-localca' \
	-c '$T/localca.conf' -R '$CA/root.key' > '$T/roll2.out' 2>&1"
like "$(cat "$T/roll2.out")" "rolled over already" "second rollover: the reason"

ok "rootCaCert after the rollover: genp" genm -path $CMP $MAC \
	-type rootCaCert -old "$CA/root.crt" -out "$T/newroot.pem"
diag_file "$T/genm.err" 5
is "$(val infoType)" 1.3.6.1.5.5.7.4.18 "rootCaKeyUpdate type"
is "$(val value)" present "rolled over: a value"
is "$(val newWithNew)" "$(fp "$CA/rootupdate/newwithnew.pem")" \
	"newWithNew is cmp-localca's new root"
is "$(val newWithNew_self_signed)" 1 "newWithNew is self-signed"
is "$(val newWithOld_by_old)" 1 "newWithOld is signed by the old root"
is "$(val oldWithNew_by_new)" 1 "oldWithNew is signed by the new root"
genm -path $CMP $MAC -type rootCaCert
is "$(val value)" present "without the client's root: the update"
genm -path $CMP $MAC -type rootCaCert -old "$CA/rootupdate/newwithnew.pem"
is "$(val value)" absent "a client with the new root: no value"
genm -path $CMP $MAC -type rootCaCert -old "$F/root.pem"
is "$(val value)" absent "a client with another root: no value"
# oldWithNew is optional (RFC 9483 4.3.2): a CA that leaves it out
mv "$CA/rootupdate/oldwithnew.pem" "$T/oldwithnew.pem"
ok "rootCaCert, the CA without oldWithNew: genp" genm -path $CMP $MAC \
	-type rootCaCert -old "$CA/root.crt"
is "$(val value)/$(val newWithOld_by_old)/$(val oldWithNew)" present/1/0 \
	"... the update, with newWithOld and without oldWithNew"
mv "$T/oldwithnew.pem" "$CA/rootupdate/oldwithnew.pem"
# a rollover that does not hold together (RFC 9810 4.4.1) is the CA's
# fault: not passed on, the client told to try later, the log says why
cp "$CA/rootupdate/newwithnew.pem" "$T/newwithnew.pem"
cp "$F/root.pem" "$CA/rootupdate/newwithnew.pem"
genm -path $CMP $MAC -type rootCaCert -old "$CA/root.crt"
like "$(cat "$T/genm.out" "$T/genm.err")" \
	"PN=enroll \| the CA's root CA key update cannot be had now, try again later" \
	"a newWithNew the links do not certify: try later"
like "$(cat "$T/cmpd.log")" \
	"PN=enroll connector rootCaKeyUpdate: newWithOld does not certify newWithNew's name and key; not passed on" \
	"... logged"
cp "$T/newwithnew.pem" "$CA/rootupdate/newwithnew.pem"
cp "$CA/rootupdate/oldwithnew.pem" "$T/oldwithnew.pem"
cp "$CA/root.crt" "$CA/rootupdate/oldwithnew.pem"
genm -path $CMP $MAC -type rootCaCert -old "$CA/root.crt"
like "$(cat "$T/genm.out" "$T/genm.err")" "the CA's root CA key update cannot be had now" \
	"an oldWithNew the new key did not sign: try later"
like "$(cat "$T/cmpd.log")" "rootCaKeyUpdate: oldWithNew is not signed with newWithNew's key" \
	"... logged"
cp "$T/oldwithnew.pem" "$CA/rootupdate/oldwithnew.pem"
genm -path $CMP $MAC -type rootCaCert -old "$CA/root.crt"
is "$(val value)/$(val newWithOld_by_old)/$(val oldWithNew_by_new)" present/1/1 \
	"the files put back: the update again"
# both calls counted in /metrics (one worker: all of them in its count)
curl -sS --noproxy '*' --max-time 10 "$HTTP_BASE/metrics" > "$T/metrics.txt"
like "$(cat "$T/metrics.txt")" 'cmpd_connector_calls_total\{call="crl",result="ok"\} [1-9]' \
	"/metrics counts the CRL fetches"
like "$(cat "$T/metrics.txt")" 'cmpd_connector_calls_total\{call="rootCaKeyUpdate",result="ok"\} [1-9]' \
	"/metrics counts the root CA key update calls"

# the CA cannot be asked
t_stop_bg localca
genm -path $CMP $MAC -type rootCaCert -old "$CA/root.crt"
like "$(cat "$T/genm.out" "$T/genm.err")" \
	"PN=enroll \| the CA's root CA key update cannot be had now, try again later" \
	"CA down: try later (CMPF_GENM_CA_UNAVAILABLE)"
t_start_localca
# a connector without the call (404) has no update; one that cannot give
# the CA certificates is an error
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/nowhere' WHERE name = 'localca'"
ok "rootCaCert, connector without rootCaKeyUpdate: genp" genm -path $CMP $MAC \
	-type rootCaCert -old "$CA/root.crt"
is "$(val infoType)" 1.3.6.1.5.5.7.4.18 "no call: rootCaKeyUpdate type"
is "$(val value)" absent "no call: no update"
genm -path $CMP $MAC -type caCerts
like "$(cat "$T/genm.out" "$T/genm.err")" \
	"PN=enroll \| the CA's certificates cannot be had now, try again later" \
	"caCerts the connector cannot give: an error"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE name = 'localca'"
# credentials over plain http:// without the connector's consent: not asked
t_sql "UPDATE connector SET insecure = 0 WHERE name = 'localca'"
genm -path $CMP $MAC -type rootCaCert -old "$CA/root.crt"
like "$(cat "$T/genm.out" "$T/genm.err")" \
	"PN=enroll \| the CA was not asked: the connector's credentials would cross plain http://" \
	"an insecure connector is not asked for the root CA key update"
t_sql "UPDATE connector SET insecure = 1 WHERE name = 'localca'"

# ---------------------------------------------- signature protection
t_sig_profile
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" > "$T/bundle.pem"
ok "signing credentials" sh -c "'$top_builddir/cmpd' -c '$T/cmpd.conf' --set-signing-credentials sig < '$T/bundle.pem' > /dev/null 2>&1"
ok "trust anchors" sh -c "'$top_builddir/cmpd' -c '$T/cmpd.conf' --set-trust-anchors sig < '$F/root.pem' > /dev/null 2>&1"
ok "signed caCerts genm, signed genp" genm -path /api/v1/protocols/cmp/sig \
	-cert "$F/ee.pem" -key "$F/ee.key" -trusted "$CA/root.crt" -type caCerts
diag_file "$T/genm.err" 5
is "$(sed -n 's/^fp=//p' "$T/genm.out" | tr '\n' ' ')" \
	"$(fp "$CA/ca.crt") $(fp "$CA/root.crt") " "signed: the CA chain"
ok "signed unknown type" genm -path /api/v1/protocols/cmp/sig \
	-cert "$F/ee.pem" -key "$F/ee.key" -trusted "$CA/root.crt" -type 1.2.3.4
is "$(val infoType)" 1.2.3.4 "signed: the same type"
done_testing
