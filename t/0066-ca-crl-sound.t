#!/bin/sh
# The CA's CRL (the connector's crl call) is taken only when it is the
# CA's: signed by a certificate of the CA's chain, and not issued in the
# future. A CRL of the CA's name under another key (OpenSSL passes over
# it, and would take the CA as having no CRL: its revoked signers would
# pass), or one issued tomorrow (OpenSSL refuses every signer under a
# CRL not yet valid, and, later than anything the CA gives after, it
# would be kept until its nextUpdate) is not taken: the CRL kept stays,
# and the log says why. Nor does an older CRL (a CA replica behind the
# others) replace a later one another worker stored.
. "$top_srcdir/t/lib.sh"
t_setup
# one worker, so that one cache is seen; it fetches the CRL again after
# a second
t_stack "message_time_skew = 0" "workers = 1" "ca_crl_refresh = 1" \
	"log_level = info"
t_start_localca
# a connector that gives the chain and the CRL of files the test writes
t_fake_ca
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_fake_cgi_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
t_sig_ready
genm() { t_genm_signed "$@"; }
connector() { t_sql "UPDATE connector SET url = '$1' WHERE name = 'localca'"; }
AUTH=00000000-0000-4000-8000-00000000e0a2
LCA=$CONNECTOR_BASE/localca/v2/authorityProvider/authorities/$AUTH/certificates
LCA1=$CONNECTOR_BASE/localca/v1/authorityProvider/authorities/$AUTH
lca() {	# lca URL BODY OUT: a call to the real connector
	curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" \
		-H 'Content-Type: application/json' -o "$3" --data-binary "$2" "$1"
}
# dev: a certificate the CA issued through cmpd; outside: one straight
# from the connector (not in the inventory: only the CA's CRL knows it)
timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd -ref "$ENROLL_REF" \
	-secret "pass:$ENROLL_SECRET" -newkey "$T/dev.key" -subject /CN=dev \
	-certout "$T/dev.crt" > "$T/ir.out" 2>&1 || { diag_file "$T/ir.out"; bail "ir failed"; }
t_localca_issue outside "$T/dev.key"
ok "outside signs, valid at its CA" genm "$T/g1.out" "$T/outside.crt" "$T/dev.key"
t_localca_revoke "$T/outside.crt" keyCompromise
sleep 1.5
nok "outside, revoked at the CA: refused" genm "$T/g2.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g2.out")" "PN=sig \| the protection certificate is revoked" "... by the CA's CRL"

# the fake connector: the CA's chain and CRL as the connector gives them,
# then CRLs made here (openssl ca -gencrl), each later than the CA's
lca "$LCA1/caCertificates" '{}' "$T/fake/chain.json"
grep -q certificateData "$T/fake/chain.json" || bail "no chain from the connector"
lca "$LCA1/crl" '{"delta": false}' "$T/fake/crl.json"
grep -q crlData "$T/fake/crl.json" || bail "no CRL from the connector"
cp "$T/fake/crl.json" "$T/crl-first.json"
connector "$HTTP_BASE/fake/ca.sh"
sleep 1.5
nok "the CA's CRL through the fake connector: outside refused" genm "$T/g2b.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g2b.out")" "PN=sig \| the protection certificate is revoked" "... revoked"
mkdir -p "$T/crlca"
: > "$T/crlca/index.txt"
printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\n' \
	"$T/crlca/index.txt" "$T/crlca/crlnumber" > "$T/crlca/ca.cnf"
# gencrl KEY CERT OUT [options]: an empty CRL, as JSON for the connector
gencrl() {
	local key=$1 cert=$2 out=$3
	shift 3
	printf '1000\n' > "$T/crlca/crlnumber"
	openssl ca -config "$T/crlca/ca.cnf" -gencrl -keyfile "$key" -cert "$cert" \
		-crldays 1 "$@" -out "$T/crlca/crl.pem" > "$T/crlca/gencrl.log" 2>&1 &&
	printf '{"crlData":"%s"}' "$(openssl crl -in "$T/crlca/crl.pem" -outform DER | base64 -w0)" > "$out"
}
subject=$(openssl x509 -in "$CA/ca.crt" -noout -subject -nameopt compat | sed 's/^subject=//')
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.key" 2>/dev/null
openssl req -x509 -new -key "$T/other.key" -subj "$subject" -days 30 -out "$T/other.crt" 2>/dev/null ||
	bail "cannot make the other key's certificate"
is "$(openssl x509 -in "$T/other.crt" -noout -subject)" "$(openssl x509 -in "$CA/ca.crt" -noout -subject)" \
	"a certificate of the CA's name and another key"
sleep 1.1
gencrl "$T/other.key" "$T/other.crt" "$T/fake/crl.json" || { diag_file "$T/crlca/gencrl.log"; bail "gencrl failed"; }
sleep 1.5
nok "the connector gives a CRL of the CA's name under another key: outside still refused" \
	genm "$T/g3.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g3.out")" "PN=sig \| the protection certificate is revoked" "... by the CRL kept"
like "$(cat "$T/cmpd.log")" "connector crl: .*the CRL it gave is not taken: it is not signed by a certificate of the CA's chain; signers checked with the CA's last CRL" \
	"... the other CRL not taken, logged"
ok "... dev still signs" genm "$T/g4.out" "$T/dev.crt" "$T/dev.key"

# a CRL of the CA's own key, issued tomorrow
gencrl "$CA/ca.key" "$CA/ca.crt" "$T/fake/crl.json" \
	-crl_lastupdate "$(date -u -d '+1 day' +%Y%m%d%H%M%SZ)" \
	-crl_nextupdate "$(date -u -d '+3 days' +%Y%m%d%H%M%SZ)" ||
	{ diag_file "$T/crlca/gencrl.log"; bail "gencrl failed"; }
sleep 1.5
ok "the connector gives a CRL issued tomorrow: dev signs" genm "$T/g5.out" "$T/dev.crt" "$T/dev.key"
diag_file "$T/g5.out" 3
nok "... outside still refused" genm "$T/g6.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/cmpd.log")" "the CRL it gave is not taken: its thisUpdate lies in the future" \
	"... the CRL from the future not taken, logged"
is "$(t_sql "SELECT COUNT(*) FROM ca_crl WHERE this_update > UTC_TIMESTAMP() + INTERVAL 1 HOUR")" 0 \
	"... nor stored for the other workers"

# a delta CRL of the CA's own key, empty and later than the one kept:
# libcrypto would read it as the whole list, and outside would sign again
printf '[ delta ]\ndeltaCRL = critical, DER:02:01:01\n' >> "$T/crlca/ca.cnf"
sleep 1.1
gencrl "$CA/ca.key" "$CA/ca.crt" "$T/fake/crl.json" -crlexts delta ||
	{ diag_file "$T/crlca/gencrl.log"; bail "gencrl failed"; }
sleep 1.5
nok "the connector gives an empty delta CRL: outside still refused" \
	genm "$T/g5d.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g5d.out")" "PN=sig \| the protection certificate is revoked" "... by the CRL kept"
like "$(cat "$T/cmpd.log")" "the CRL it gave is not taken: a delta CRL" "... the delta CRL not taken, logged"

# a CA replica behind the others gives an older CRL, current still, while
# a later one is stored (another worker's, another node's): the later one
# is taken. outside2 is revoked in the later one only.
openssl req -new -key "$T/dev.key" -subj /CN=outside2 -outform DER -out "$T/outside2.csr" 2>/dev/null
lca "$LCA/issue" "{\"request\":\"$(base64 -w0 "$T/outside2.csr")\",\"format\":\"pkcs10\"}" "$T/issue2.json"
python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["certificateData"]))' \
	"$T/issue2.json" | openssl x509 -inform DER -out "$T/outside2.crt" || bail "the connector did not issue outside2"
cp "$T/crl-first.json" "$T/fake/crl.json"
sleep 1.5
ok "outside2 signs, valid at its CA" genm "$T/g7.out" "$T/outside2.crt" "$T/dev.key"
sleep 1.1
t_localca_revoke "$T/outside2.crt" keyCompromise
lca "$LCA1/crl" '{"delta": false}' "$T/crl-later.json"
python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["crlData"]))' \
	"$T/crl-later.json" > "$T/crl-later.der" || bail "no later CRL from the connector"
crl_time() { date -u -d "$(openssl crl -inform DER -in "$T/crl-later.der" -noout -"$1" | sed 's/^[^=]*=//')" '+%F %T'; }
t_sql "UPDATE ca_crl SET crl = FROM_BASE64('$(base64 -w0 "$T/crl-later.der")'),
	this_update = '$(crl_time lastupdate)', next_update = '$(crl_time nextupdate)'"
sleep 1.5
nok "the connector gives the older CRL, a later one is stored: outside2 refused" \
	genm "$T/g8.out" "$T/outside2.crt" "$T/dev.key"
like "$(cat "$T/g8.out")" "PN=sig \| the protection certificate is revoked" "... revoked, by the stored CRL"
ok "... dev still signs" genm "$T/g9.out" "$T/dev.crt" "$T/dev.key"
done_testing
