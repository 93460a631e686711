#!/bin/sh
# cmp-localca, the reference authority provider connector, behind a real
# lighttpd: issue from CRMF (openssl cmp) and PKCS#10 (openssl req)
# requests, renew, revoke, CRL and CA certificates over a two-level CA
# made here, the records in MariaDB, and the unhappy paths: bad proof of
# possession, bad JSON and base64, unknown certificates, wrong paths and
# methods, oversized bodies, a database that went away, configuration
# errors, SIGTERM.
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

LCA=$top_builddir/cmp-localca
# CI runs as root: the services below with --allow-root (no "user";
# t/0038-localca-init.t tests the switch to one)
[ -x "$LCA" ] || bail "$LCA not built"
AUTH=4f2b8c1e-7d3a-4e5f-9a6b-0c1d2e3f4a5b
OTHER=00000000-1111-4222-8333-444444444444

# ------------------------------------------------------------- the CA
# EC P-256 root, RSA-2048 issuing CA under it; chain.pem = the root.
mkdir -p "$T/ca" "$T/badca"
cat > "$T/ext.cnf" <<'EOF'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ica]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ee]
basicConstraints = critical, CA:FALSE
EOF
q() { "$@" > "$T/openssl.log" 2>&1 || { cat "$T/openssl.log" >&2; return 1; }; }
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$T/root.key" || bail "root key"
q openssl req -x509 -new -key "$T/root.key" -subj "/CN=localca Test Root" \
	-days 3650 -sha256 -config "$T/ext.cnf" -extensions root \
	-out "$T/root.pem" || bail "root certificate"
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$T/ca/ca.key" || bail "issuing CA key"
q openssl req -new -key "$T/ca/ca.key" -subj "/O=cmpd tests/CN=localca Issuing CA" \
	-out "$T/ica.csr" || bail "issuing CA request"
# valid from an hour ago: the certificates it issues may start 5 minutes
# back (a CA made seconds ago caps them at its own notBefore, below)
q faketime '1 hour ago' openssl x509 -req -in "$T/ica.csr" -CA "$T/root.pem" -CAkey "$T/root.key" \
	-set_serial 2 -days 1825 -sha256 -extfile "$T/ext.cnf" -extensions ica \
	-out "$T/ca/ca.crt" || bail "issuing CA certificate"
cp "$T/root.pem" "$T/ca/chain.pem"
# A CA directory whose key belongs to another certificate.
cp "$T/root.key" "$T/badca/ca.key"
cp "$T/ca/ca.crt" "$T/badca/ca.crt"
# One with an encrypted key, one whose chain.pem did not issue ca.crt.
mkdir -p "$T/encca" "$T/badchain" "$T/ca384"
q openssl pkey -in "$T/ca/ca.key" -aes256 -passout pass:secret \
	-out "$T/encca/ca.key" || bail "encrypted key"
cp "$T/ca/ca.crt" "$T/encca/ca.crt"
cp "$T/ca/ca.key" "$T/ca/ca.crt" "$T/badchain/"
cp "$T_FIXTURES/root.pem" "$T/badchain/chain.pem"
# An EC P-384 root as the CA (no chain.pem), for SHA-384 signatures.
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
	-out "$T/ca384/ca.key" || bail "P-384 key"
q openssl req -x509 -new -key "$T/ca384/ca.key" -subj "/CN=localca P-384 Root" \
	-days 400 -sha384 -config "$T/ext.cnf" -extensions root \
	-out "$T/ca384/ca.crt" || bail "P-384 certificate"

write_conf() {	# write_conf FILE [extra lines...]
	local f=$1
	shift
	{
		echo "# written by t/0010-localca.t"
		echo "listen = $T/localca.sock"
		echo "ca_dir = $T/ca"
		echo "validity_days = 30"
		echo "authority_uuid = $AUTH"
		echo "db_socket = $T/mysql.sock"
		echo "db_user = cmpd"
		echo "db_password_file = $T/db.pw"
		echo "db_name = cmpd"
		echo "log_level = debug"
		echo "body_max = 65536"
		echo "pid_file = $T/localca.pid"
		echo "auth_user = cmpd"
		echo "auth_password_file = $T/lca.pw"
		printf '%s\n' "$@"
	} > "$f"
}
# the callers' credentials: HTTP basic cmpd:<lca.pw>, or the API key
(umask 077; openssl rand -hex 16 > "$T/lca.pw"; openssl rand -hex 24 > "$T/lca.key")
LCA_PW=$(cat "$T/lca.pw")
LCA_KEY=$(cat "$T/lca.key")

# ------------------------------------------------------ configuration
write_conf "$T/localca.conf"
ok "-n accepts the configuration" "$LCA" -n -c "$T/localca.conf"
unlike "$("$LCA" -n -c "$T/localca.conf" 2>&1)" "warning" "... its secrets of mode 0600: no warning"
# a secret any user may read is named, not refused
chmod 644 "$T/ca/ca.key" "$T/lca.pw"
out=$("$LCA" -n -c "$T/localca.conf" 2>&1)
like "$out" "warning: the CA's key $T/ca/ca\.key can be read or written by any user \(mode 0644\)" \
	"the CA's key of mode 0644: a warning"
like "$out" "warning: auth_password_file $T/lca\.pw can be read or written by any user" "... the callers' password's too"
like "$out" "configuration OK" "... and still OK"
# and at its start, in its log (looked at while it is still root)
sed -e "s|^listen = .*|listen = $T/warn.sock|" -e "s|^pid_file = .*|pid_file = $T/warn.pid|" \
	"$T/localca.conf" > "$T/warn.conf"
"$LCA" -f -c "$T/warn.conf" --allow-root > "$T/warn.log" 2>&1 &
wpid=$!
ok "cmp-localca starts with them" t_wait 10 grep -q "listening on" "$T/warn.log"
kill "$wpid"
wait "$wpid"
like "$(cat "$T/warn.log")" "the CA's key $T/ca/ca\.key can be read or written by any user \(mode 0644\)" \
	"... and says so in its log"
chmod 600 "$T/ca/ca.key" "$T/lca.pw"
# Every key of the sample, commented out or not, with our CA directory.
sed -E -e 's/^#([a-z_]+ = )/\1/' -e "s|^ca_dir = .*|ca_dir = $T/ca|" \
	-e "s|^auth_password_file = .*|auth_password_file = $T/lca.pw|" \
	-e "s|^api_key_file = .*|api_key_file = $T/lca.key|" \
	-e "s|^user = .*|user = nobody|" \
	"$top_srcdir/etc/cmp-localca.conf.sample" > "$T/sample.conf"
ok "-n accepts the sample configuration with every key set" \
	"$LCA" -n -c "$T/sample.conf"
write_conf "$T/bad.conf" "colour = blue"
out=$("$LCA" -n -c "$T/bad.conf" 2>&1)
is "$?" 1 "-n: an unknown key is an error"
like "$out" 'line [0-9]+: unknown key "colour"' "... naming the line and key"
write_conf "$T/bad.conf" "allowed_extensions = subjectAltName, nameConstraints"
out=$("$LCA" -n -c "$T/bad.conf" 2>&1)
like "$out" 'unknown extension "nameConstraints"' "-n: unknown allowed_extensions name refused"
write_conf "$T/bad.conf" "ca_dir = relative/ca"
out=$("$LCA" -n -c "$T/bad.conf" 2>&1)
like "$out" 'ca_dir: must be an absolute path' "-n: relative ca_dir refused"
write_conf "$T/bad.conf" "authority_uuid = not-a-uuid"
out=$("$LCA" -n -c "$T/bad.conf" 2>&1)
like "$out" 'authority_uuid: not a UUID' "-n: malformed authority_uuid refused"
write_conf "$T/bad.conf" "validity_days = 0"
nok "-n: validity_days 0 refused" "$LCA" -n -c "$T/bad.conf"
# caller authentication is not optional
write_conf "$T/bad.conf"
sed -i '/^auth_/d' "$T/bad.conf"
out=$("$LCA" -n -c "$T/bad.conf" 2>&1)
is "$?" 1 "-n: no caller authentication configured is an error"
like "$out" 'no caller authentication: set auth_user and auth_password_file, api_key_file, or auth_remote_user' \
	"... saying which keys to set"
write_conf "$T/bad.conf"
sed -i '/^auth_password_file/d' "$T/bad.conf"
like "$("$LCA" -n -c "$T/bad.conf" 2>&1)" 'auth_user and auth_password_file go together' \
	"-n: auth_user without its password file refused"
write_conf "$T/bad.conf" "auth_password_file = $T/nonexistent.pw"
like "$("$LCA" -n -c "$T/bad.conf" 2>&1)" 'nonexistent\.pw: cannot read' \
	"-n: a password file that cannot be read is fatal"
: > "$T/empty.pw"
write_conf "$T/bad.conf" "auth_password_file = $T/empty.pw"
like "$("$LCA" -n -c "$T/bad.conf" 2>&1)" 'empty\.pw: the first line is empty' \
	"-n: an empty password refused"
write_conf "$T/bad.conf" "api_key_header = X-API-Key"
like "$("$LCA" -n -c "$T/bad.conf" 2>&1)" 'api_key_header without api_key_file' \
	"-n: api_key_header alone refused"
write_conf "$T/bad.conf" "api_key_file = $T/lca.key" "api_key_header = X API Key"
like "$("$LCA" -n -c "$T/bad.conf" 2>&1)" 'api_key_header: not a header name' \
	"-n: a header name with spaces refused"
write_conf "$T/bad.conf" "ca_dir = $T/badca"
out=$("$LCA" -f -c "$T/bad.conf" 2>&1)
is "$?" 1 "a key that does not match ca.crt is fatal"
like "$out" 'ca\.key does not match .*ca\.crt' "... with a clear message"
write_conf "$T/bad.conf" "ca_dir = $T/nonexistent"
out=$("$LCA" -f -c "$T/bad.conf" 2>&1)
like "$out" 'nonexistent/ca\.key: No such file' "a missing ca.key is fatal"
write_conf "$T/bad.conf" "ca_dir = $T/encca"
out=$(timeout 10 "$LCA" -n -c "$T/bad.conf" 2>&1 < /dev/null)
like "$out" 'ca\.key: not an unencrypted PEM private key' \
	"an encrypted ca.key is refused without asking for a passphrase"
write_conf "$T/bad.conf" "ca_dir = $T/badchain"
out=$("$LCA" -n -c "$T/bad.conf" 2>&1)
like "$out" 'chain\.pem: certificate 1 did not issue the one before it' \
	"a chain.pem that did not issue ca.crt is refused"

# ------------------------------------------------------------ services
t_start_db
t_bg localca "$LCA" -f -c "$T/localca.conf" --allow-root
t_wait 10 test -S "$T/localca.sock" || bail "cmp-localca did not start"
t_start_lighttpd 'fastcgi.server += ( "/localca/" => (( "socket" => "'"$T"'/localca.sock", "check-local" => "disable" )) )'
V2=/localca/v2/authorityProvider/authorities/$AUTH/certificates
V1=/localca/v1/authorityProvider/authorities/$AUTH

out=$("$LCA" -f -c "$T/localca.conf" --allow-root 2>&1)
like "$out" 'another process is listening' "a second instance refuses the live socket"
{ cat "$T/localca.conf"; echo "user = root"; } > "$T/root.conf"
out=$(timeout -k 5 20 "$LCA" -f -c "$T/root.conf" 2>&1)
like "$out" 'refusing to serve as root' "user = root: refused without --allow-root"

# api PATH [BODYFILE] [METHOD]: status on stdout; $T/resp.json, $T/resp.hdr
# With the callers' credentials, or the curl arguments in the array
# LCA_CREDS when it is set.
api() {
	local data=() auth=(-u "cmpd:$LCA_PW")
	[ -z "${2-}" ] || data=(--data-binary "@$2")
	[ -z "${LCA_CREDS+set}" ] || auth=("${LCA_CREDS[@]}")
	rm -f "$T/resp.json" "$T/resp.hdr"
	curl -sS --noproxy '*' --max-time 30 -X "${3-POST}" \
		-H 'Content-Type: application/json' -H 'Expect:' "${data[@]}" \
		"${auth[@]}" -D "$T/resp.hdr" -o "$T/resp.json" -w '%{http_code}\n' \
		"$HTTP_BASE$1"
}
body() { cat "$T/resp.json" 2>/dev/null; }
hdr() {	# hdr NAME: a response header's value
	awk -v n="$1" 'BEGIN { n = tolower(n) } { sub(/\r$/, "") }
		tolower(substr($0, 1, length(n) + 1)) == n ":" {
			v = substr($0, length(n) + 2); sub(/^[ \t]+/, "", v); print v; exit }' \
		"$T/resp.hdr"
}
field() {	# field NAME: a string member of the (flat) JSON answer
	sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p' "$T/resp.json"
}
b64() { base64 -w0 < "$1"; }
der2pem() { base64 -d | openssl x509 -inform DER -out "$1"; }
# req_body OUT REQUEST_DER FORMAT [extra JSON members]
req_body() {
	printf '{"request":"%s","format":"%s","attributes":[],"raProfileAttributes":[]%s}' \
		"$(b64 "$2")" "$3" "${4-}" > "$1"
}
# crmf_of PKIMESSAGE OUT: the CertReqMessages of an ir (body [0])
crmf_of() {
	local off
	off=$(openssl asn1parse -inform DER -in "$1" |
		awk -F: 'hit { print $1 + 0; exit } /d=1 .*cont \[ 0 \]/ { hit = 1 }')
	[ -n "$off" ] && openssl asn1parse -inform DER -in "$1" -strparse "$off" \
		-noout -out "$2"
}
# corrupt IN OUT: flip the lowest bit of the last byte (a signature's)
corrupt() {
	local n last
	n=$(wc -c < "$1")
	head -c "$((n - 1))" "$1" > "$2"
	last=$(tail -c 1 "$1" | od -An -tu1 | tr -d ' ')
	printf "\\$(printf '%03o' "$((last ^ 1))")" >> "$2"
}
sql() { t_sql "$1" 2>&1; }
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f'; }

# --------------------------------------------------- requests to send
# CRMF from openssl cmp (its in-process mock server takes the messages;
# only the requests matter here), with SANs, and without POP / raVerified.
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ee.key"
cmp_ir() {	# cmp_ir OUT.der KEY POPO [openssl cmp args...]
	local out=$1 key=$2 popo=$3
	shift 3
	openssl cmp -config "" -use_mock_srv -batch -cmd ir \
		-ref 1234 -secret pass:localca -recipient /CN=localca \
		-srv_ref 1234 -srv_secret pass:localca \
		-rsp_cert "$T_FIXTURES/new.pem" -certout "$T/mock-cert.pem" \
		-newkey "$key" -popo "$popo" -reqout "$out,$T/mock-req2.der" \
		"$@" > "$T/cmp.log" 2>&1
	[ -s "$out" ]
}
cmp_ir "$T/ir-san.der" "$T/ee.key" 1 -subject "/CN=lca-ee/O=cmpd tests" \
	-sans "ee.example.org 192.0.2.7" || bail "openssl cmp: no ir"
cmp_ir "$T/ir-ravrf.der" "$T/ee.key" 0 -subject "/CN=lca-ee" || bail "no raVerified ir"
cmp_ir "$T/ir-nopop.der" "$T/ee.key" -1 -subject "/CN=lca-ee" || bail "no POP-less ir"
cmp_ir "$T/ir-nosubj.der" "$T/ee.key" 1 || bail "no subject-less ir"
cmp_ir "$T/ir-sha1.der" "$T/ee.key" 1 -subject "/CN=lca-sha1" -digest sha1 || bail "no SHA-1 ir"
for f in ir-san ir-ravrf ir-nopop ir-nosubj ir-sha1; do
	crmf_of "$T/$f.der" "$T/$f.crmf" || bail "cannot extract the CertReqMessages of $f"
done
crmf_of "$T_FIXTURES/ir-pbm.der" "$T/fixture.crmf" || bail "fixture ir-pbm.der"
corrupt "$T/ir-san.crmf" "$T/ir-badpop.crmf"
# PKCS#10 from openssl req: RSA key, asks for SAN, KU, EKU and CA:TRUE.
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/p10.key"
q openssl req -new -key "$T/p10.key" -subj "/CN=lca-p10" \
	-addext "subjectAltName=DNS:p10.example.org" \
	-addext "keyUsage=critical,digitalSignature,keyEncipherment" \
	-addext "extendedKeyUsage=clientAuth" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-outform DER -out "$T/p10.der" || bail "openssl req"
corrupt "$T/p10.der" "$T/p10-badsig.der"
q openssl req -new -key "$T/p10.key" -sha1 -subj "/CN=lca-sha1" -outform DER \
	-out "$T/p10-sha1.der" || bail "openssl req, SHA-1"
q openssl req -new -key "$T/p10.key" -subj "/" -outform DER \
	-out "$T/p10-nosubj.der" || bail "openssl req, empty subject"
q openssl req -new -key "$T/p10.key" -subj "/CN=lca-cacert" \
	-addext "keyUsage=critical,digitalSignature,keyCertSign" -outform DER \
	-out "$T/p10-certsign.der" || bail "openssl req, keyCertSign"
q openssl req -new -key "$T/p10.key" -subj "/CN=lca-ocsp" \
	-addext "extendedKeyUsage=clientAuth,OCSPSigning" -outform DER \
	-out "$T/p10-ocsp.der" || bail "openssl req, OCSPSigning"
q openssl req -new -key "$T/p10.key" -subj "/CN=lca-cmcca" \
	-addext "extendedKeyUsage=clientAuth,1.3.6.1.5.5.7.3.27" -outform DER \
	-out "$T/p10-cmcca.der" || bail "openssl req, cmcCA"
q openssl req -new -key "$T/p10.key" -subj "/CN=lca-anyeku" \
	-addext "extendedKeyUsage=anyExtendedKeyUsage" -outform DER \
	-out "$T/p10-anyeku.der" || bail "openssl req, anyExtendedKeyUsage"
# an EC key with explicit parameters (RFC 5480 2.1.1 forbids them: they
# could describe a generator chosen for another's point), and DSA
q openssl ecparam -name prime256v1 -genkey -noout -out "$T/ecx.key" &&
q openssl ec -in "$T/ecx.key" -param_enc explicit -out "$T/ecx-explicit.key" &&
q openssl req -new -key "$T/ecx-explicit.key" -subj "/CN=lca-explicit" -outform DER \
	-out "$T/p10-explicit.der" || bail "openssl req, explicit EC parameters"
q openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 \
	-pkeyopt dsa_paramgen_q_bits:224 -out "$T/dsa.param" &&
q openssl genpkey -paramfile "$T/dsa.param" -out "$T/dsa.key" &&
q openssl req -new -key "$T/dsa.key" -subj "/CN=lca-dsa" -sha256 -outform DER \
	-out "$T/p10-dsa.der" || bail "openssl req, DSA"

# ------------------------------------------------------ issue (CRMF)
req_body "$T/issue.json" "$T/ir-san.crmf" crmf
is "$(api "$V2/issue" "$T/issue.json")" 200 "issue from openssl cmp's CRMF: 200"
is "$(hdr Content-Type)" application/json "... Content-Type application/json"
is "$(hdr Content-Length)" "$(wc -c < "$T/resp.json")" "... Content-Length is the body's"
like "$(body)" '"meta":\[\{"name":"localcaSerial","type":"meta","contentType":"string","content":\[\{"data":"[0-9a-f]{32}"\}\]\}\]' \
	"... meta: its serial, as a metadata attribute"
uuid1=$(field uuid)
like "$uuid1" '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	"... uuid is a version 7 (time-ordered) UUID"
field certificateData | der2pem "$T/ee.pem"
ok "... the certificate verifies up to the root" \
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/ca/ca.crt" "$T/ee.pem"
is "$(openssl x509 -in "$T/ee.pem" -noout -subject -nameopt RFC2253)" \
	"subject=O=cmpd tests,CN=lca-ee" "... subject from the template"
like "$(openssl x509 -in "$T/ee.pem" -noout -ext subjectAltName)" \
	'DNS:ee\.example\.org, IP Address:192\.0\.2\.7' "... subjectAltName from the template"
is "$(openssl x509 -in "$T/ee.pem" -noout -pubkey)" \
	"$(openssl pkey -in "$T/ee.key" -pubout)" "... public key from the template"
serial1=$(serial_of "$T/ee.pem")
like "$serial1" '^[0-7][0-9a-f]{31}$' "... serial is 16 octets, positive"
bc=$(openssl x509 -in "$T/ee.pem" -noout -ext basicConstraints)
like "$bc" 'critical.*CA:FALSE' "... basicConstraints critical CA:FALSE"
ski=$(openssl x509 -in "$T/ee.pem" -noout -ext subjectKeyIdentifier | tail -n 1)
like "$ski" '[0-9A-F]{2}(:[0-9A-F]{2}){19}' "... has a subjectKeyIdentifier"
ca_ski=$(openssl x509 -in "$T/ca/ca.crt" -noout -ext subjectKeyIdentifier | tail -n 1 | tr -d ' ')
aki=$(openssl x509 -in "$T/ee.pem" -noout -ext authorityKeyIdentifier | tail -n 1 | tr -d ' ')
is "${aki#keyid:}" "$ca_ski" "... authorityKeyIdentifier is the CA's key id"
is "$(openssl x509 -in "$T/ee.pem" -noout -text | sed -n 's/.*Signature Algorithm: //p' | head -n 1)" \
	sha256WithRSAEncryption "... signed with SHA-256 by the RSA CA"
ok "... valid 29 days from now" openssl x509 -in "$T/ee.pem" -noout -checkend $((29 * 86400))
nok "... but not 31 (validity_days = 30)" openssl x509 -in "$T/ee.pem" -noout -checkend $((31 * 86400))
nb=$(date -d "$(openssl x509 -in "$T/ee.pem" -noout -startdate | cut -d= -f2)" +%s)
ago=$(($(date +%s) - nb))
ok "... notBefore 5 minutes ago for clock skew ($ago s)" \
	[ "$ago" -ge 295 ] && [ "$ago" -le 330 ]
is "$(sql "SELECT uuid, status, subject, revocation_reason IS NULL FROM localca_certificate WHERE serial_hex = '$serial1'")" \
	"$uuid1	issued	O=cmpd tests,CN=lca-ee	1" "... recorded in localca_certificate"
ee_b64=$(openssl x509 -in "$T/ee.pem" -outform DER | base64 -w0)
is "$(sql "SELECT der = FROM_BASE64('$ee_b64') FROM localca_certificate WHERE uuid = '$uuid1'")" \
	1 "... with its DER"

req_body "$T/fixture.json" "$T/fixture.crmf" crmf
is "$(api "$V2/issue" "$T/fixture.json")" 200 "issue from the ir-pbm.der fixture's CertReqMessages"
field certificateData | der2pem "$T/fixture.pem"
is "$(openssl x509 -in "$T/fixture.pem" -noout -subject -nameopt RFC2253)" \
	"subject=CN=test-new" "... subject CN=test-new"
serial_fx=$(serial_of "$T/fixture.pem")
isnt "$serial_fx" "$serial1" "... another serial"

# --------------------------------------------------- issue (PKCS#10)
req_body "$T/p10.json" "$T/p10.der" pkcs10
is "$(api "$V2/issue" "$T/p10.json")" 200 "issue from openssl req's PKCS#10: 200"
field certificateData | der2pem "$T/p10.pem"
ok "... verifies up to the root" \
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/ca/ca.crt" "$T/p10.pem"
is "$(openssl x509 -in "$T/p10.pem" -noout -subject -nameopt RFC2253)" \
	"subject=CN=lca-p10" "... subject from the CSR"
like "$(openssl x509 -in "$T/p10.pem" -noout -ext subjectAltName)" \
	'DNS:p10\.example\.org' "... subjectAltName from the CSR"
like "$(openssl x509 -in "$T/p10.pem" -noout -ext keyUsage)" \
	'critical.*Digital Signature, Key Encipherment' "... keyUsage from the CSR, critical"
like "$(openssl x509 -in "$T/p10.pem" -noout -ext extendedKeyUsage)" \
	'TLS Web Client Authentication' "... extendedKeyUsage from the CSR"
like "$(openssl x509 -in "$T/p10.pem" -noout -ext basicConstraints)" \
	'critical.*CA:FALSE' "... CA:FALSE although the CSR asked for CA:TRUE"
serial_p10=$(serial_of "$T/p10.pem")
like "$serial_p10" '^[0-7][0-9a-f]{31}$' "... serial is 16 octets"
is "$(sql "SELECT status FROM localca_certificate WHERE serial_hex = '$serial_p10'")" \
	issued "... recorded"

# ------------------------------------------------ issue: unhappy paths
rows_before=$(sql "SELECT COUNT(*) FROM localca_certificate")
expect422() {	# expect422 DESC PATH BODYFILE ERE
	local st
	st=$(api "$2" "$3")
	is "$st" 422 "$1: 422"
	like "$(body)" "$4" "... $(body)"
}
req_body "$T/x.json" "$T/ir-badpop.crmf" crmf
expect422 "CRMF with a corrupted POP signature" "$V2/issue" "$T/x.json" \
	'^\["proof of possession failed"\]$'
req_body "$T/x.json" "$T/ir-nopop.crmf" crmf
expect422 "CRMF without POP" "$V2/issue" "$T/x.json" '^\["proof of possession is missing"\]$'
req_body "$T/x.json" "$T/ir-ravrf.crmf" crmf
expect422 "CRMF with raVerified POP" "$V2/issue" "$T/x.json" \
	'^\["raVerified proof of possession is not accepted"\]$'
req_body "$T/x.json" "$T/ir-nosubj.crmf" crmf
expect422 "CRMF without subject" "$V2/issue" "$T/x.json" '^\["subject is missing in the request"\]$'
req_body "$T/x.json" "$T/p10-badsig.der" pkcs10
expect422 "PKCS#10 with a corrupted signature" "$V2/issue" "$T/x.json" \
	'^\["proof of possession failed"\]$'
# RFC 9481 3: a signature that verifies, by an algorithm not accepted
req_body "$T/x.json" "$T/ir-sha1.crmf" crmf
expect422 "CRMF with a POP signed with SHA-1" "$V2/issue" "$T/x.json" \
	'^\["proof of possession signed with an algorithm not accepted: ecdsa-with-SHA1"\]$'
req_body "$T/x.json" "$T/p10-sha1.der" pkcs10
expect422 "PKCS#10 signed with SHA-1" "$V2/issue" "$T/x.json" \
	'^\["PKCS#10 request signed with an algorithm not accepted: sha1WithRSAEncryption"\]$'
is "$(t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject = 'CN=lca-sha1'")" 0 \
	"... neither issued"
req_body "$T/x.json" "$T/p10-nosubj.der" pkcs10
expect422 "PKCS#10 with an empty subject" "$V2/issue" "$T/x.json" '^\["subject is missing in the request"\]$'
req_body "$T/x.json" "$T/p10-certsign.der" pkcs10
expect422 "PKCS#10 asking for keyCertSign" "$V2/issue" "$T/x.json" 'keyCertSign'
# RFC 6960 4.2.2.2: it would be the CA's OCSP responder
req_body "$T/x.json" "$T/p10-ocsp.der" pkcs10
expect422 "PKCS#10 asking for extendedKeyUsage OCSPSigning" "$V2/issue" "$T/x.json" \
	'^\["extendedKeyUsage OCSPSigning is not allowed: it would answer OCSP for all of the CA.s certificates"\]$'
for w in cmcca anyeku; do
	req_body "$T/x.json" "$T/p10-$w.der" pkcs10
	expect422 "PKCS#10 asking for extendedKeyUsage $w" "$V2/issue" "$T/x.json" \
		'^\["extendedKeyUsage cmcCA and anyExtendedKeyUsage are not allowed in an end-entity certificate"\]$'
done
req_body "$T/x.json" "$T/p10-explicit.der" pkcs10
expect422 "PKCS#10 of an EC key with explicit parameters" "$V2/issue" "$T/x.json" \
	'^\["public key is missing in the request or of an unsupported type"\]$'
req_body "$T/x.json" "$T/p10-dsa.der" pkcs10
expect422 "PKCS#10 of a DSA key" "$V2/issue" "$T/x.json" \
	'^\["public key is missing in the request or of an unsupported type"\]$'
is "$(t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject IN ('CN=lca-explicit', 'CN=lca-dsa')")" 0 \
	"... neither issued"
req_body "$T/x.json" "$T/p10.der" crmf
expect422 "PKCS#10 sent as crmf" "$V2/issue" "$T/x.json" '^\["request is not a DER CertReqMessages"\]$'
req_body "$T/x.json" "$T/ir-san.crmf" pkcs10
expect422 "CRMF sent as pkcs10" "$V2/issue" "$T/x.json" '^\["request is not a DER PKCS#10 request"\]$'
{ cat "$T/ir-san.crmf"; printf 'x'; } > "$T/trailing.der"
req_body "$T/x.json" "$T/trailing.der" crmf
expect422 "trailing bytes after the DER" "$V2/issue" "$T/x.json" 'trailing data'
req_body "$T/x.json" "$T/ir-san.crmf" pem
expect422 "unknown format" "$V2/issue" "$T/x.json" '^\["format must be crmf or pkcs10"\]$'
printf 'this is not JSON' > "$T/x.json"
expect422 "garbage instead of JSON" "$V2/issue" "$T/x.json" '^\["malformed JSON: '
printf '{"request": "AAAA", "format": "crmf"' > "$T/x.json"
expect422 "truncated JSON" "$V2/issue" "$T/x.json" '^\["malformed JSON: '
printf '{"request": "AAAA", "format": "crmf"} {}' > "$T/x.json"
expect422 "JSON with data after the object" "$V2/issue" "$T/x.json" '^\["malformed JSON: '
printf '{"format": "crmf"}\r\n\n' > "$T/x.json"
expect422 "JSON followed by line breaks is parsed" "$V2/issue" "$T/x.json" \
	'^\["request is required"\]$'
printf '{"format": "crmf", "format": "pkcs10"}' > "$T/x.json"
expect422 "a member twice" "$V2/issue" "$T/x.json" \
	'^\["malformed JSON: the body names member \\"format\\" twice \(byte 19\)"\]$'
printf '{"format": "crmf\\udc00"}' > "$T/x.json"
expect422 "half a surrogate pair" "$V2/issue" "$T/x.json" \
	'^\["malformed JSON: the body holds a \\\\u escape that is half a surrogate pair \(byte 16\)"\]$'
printf '["request"]' > "$T/x.json"
expect422 "a JSON list as the body" "$V2/issue" "$T/x.json" '^\["request body must be a JSON object"\]$'
: > "$T/x.json"
expect422 "an empty body" "$V2/issue" "$T/x.json" '^\["malformed JSON: '
printf '%s' "$(printf '[%.0s' $(seq 1 100))" > "$T/x.json"
expect422 "JSON nested too deep" "$V2/issue" "$T/x.json" '^\["malformed JSON: '
printf '{"format": "crmf", "attributes": []}' > "$T/x.json"
expect422 "missing request" "$V2/issue" "$T/x.json" '^\["request is required"\]$'
printf '{"request": null, "format": "crmf"}' > "$T/x.json"
expect422 "null request" "$V2/issue" "$T/x.json" '^\["request is required"\]$'
printf '{"request": 42, "format": "crmf"}' > "$T/x.json"
expect422 "numeric request" "$V2/issue" "$T/x.json" '^\["request must be a string"\]$'
printf '{"request": "%s"}' "$(b64 "$T/ir-san.crmf")" > "$T/x.json"
expect422 "missing format" "$V2/issue" "$T/x.json" '^\["format is required"\]$'
printf '{"request": "not*base64!", "format": "crmf"}' > "$T/x.json"
expect422 "bad base64" "$V2/issue" "$T/x.json" '^\["request is not valid base64"\]$'
printf '{"request": "QUJD-", "format": "crmf"}' > "$T/x.json"
expect422 "base64 with a PEM end marker" "$V2/issue" "$T/x.json" '^\["request is not valid base64"\]$'
printf '{"request": "QUJDRA", "format": "crmf"}' > "$T/x.json"
expect422 "base64 cut short" "$V2/issue" "$T/x.json" '^\["request is not valid base64"\]$'
printf '{"request": "", "format": "crmf"}' > "$T/x.json"
expect422 "empty request" "$V2/issue" "$T/x.json" '^\["request is empty"\]$'
printf '{"request": "QUJDRA==", "format": "crmf"}' > "$T/x.json"
expect422 "base64 of no DER" "$V2/issue" "$T/x.json" '^\["request is not a DER CertReqMessages"\]$'
printf '{"request":"%s","format":"crmf","attributes":[],"raProfileAttributes":{}}' \
	"$(b64 "$T/ir-san.crmf")" > "$T/x.json"
expect422 "raProfileAttributes not a list" "$V2/issue" "$T/x.json" \
	'^\["raProfileAttributes must be a list"\]$'
is "$(sql "SELECT COUNT(*) FROM localca_certificate")" "$rows_before" \
	"refused requests left no rows"

# ------------------------------------------------------------- renew
cmp_ir "$T/ir-renew.der" "$T/p10.key" 1 -subject "/CN=lca-ee/O=cmpd tests" ||
	bail "openssl cmp: no renewal ir"
crmf_of "$T/ir-renew.der" "$T/renew.crmf" || bail "renewal CertReqMessages"
old_pem_b64=$ee_b64
req_body "$T/renew.json" "$T/renew.crmf" crmf ",\"certificate\":\"$old_pem_b64\",\"meta\":[]"
is "$(api "$V2/renew" "$T/renew.json")" 200 "renew an issued certificate: 200"
field certificateData | der2pem "$T/renewed.pem"
ok "... the new certificate verifies" \
	openssl verify -CAfile "$T/root.pem" -untrusted "$T/ca/ca.crt" "$T/renewed.pem"
serial_rn=$(serial_of "$T/renewed.pem")
isnt "$serial_rn" "$serial1" "... with a new serial"
is "$(openssl x509 -in "$T/renewed.pem" -noout -pubkey)" \
	"$(openssl pkey -in "$T/p10.key" -pubout)" "... and the new key"
is "$(sql "SELECT status FROM localca_certificate WHERE serial_hex = '$serial_rn'")" \
	issued "... recorded"
like "$(cat "$T/localca.log")" "serial=$serial_rn old_serial=$serial1 meta=none" \
	"... its log line says the meta named nothing"
req_body "$T/renew2.json" "$T/renew.crmf" crmf ",\"certificate\":\"$old_pem_b64\",\"meta\":[{\"name\":\"localcaSerial\",\"content\":[{\"data\":\"$serial1\"}]}]"
is "$(api "$V2/renew" "$T/renew2.json")" 200 "renew with the meta its issue gave"
like "$(cat "$T/localca.log")" "old_serial=$serial1 meta=old" "... which names the certificate renewed"
req_body "$T/x.json" "$T/renew.crmf" crmf
expect422 "renew without the old certificate" "$V2/renew" "$T/x.json" \
	'^\["certificate is required"\]$'
req_body "$T/x.json" "$T/renew.crmf" crmf ",\"certificate\":\"$(openssl x509 -in "$T/root.pem" -outform DER | base64 -w0)\""
expect422 "renew of a certificate of another CA" "$V2/renew" "$T/x.json" \
	'^\["certificate was not issued by this authority"\]$'
req_body "$T/x.json" "$T/ir-badpop.crmf" crmf ",\"certificate\":\"$old_pem_b64\""
expect422 "renew with a bad POP" "$V2/renew" "$T/x.json" '^\["proof of possession failed"\]$'

# ------------------------------------------------------------ revoke
revoke_body() {	# revoke_body OUT PEM REASON
	printf '{"reason":"%s","certificate":"%s","attributes":[],"raProfileAttributes":[]}' \
		"$3" "$(openssl x509 -in "$2" -outform DER | base64 -w0)" > "$1"
}
revoke_body "$T/rv.json" "$T/ee.pem" keyCompromise
is "$(api "$V2/revoke" "$T/rv.json")" 200 "revoke with reason keyCompromise: 200"
is "$(hdr Content-Length)" 0 "... with an empty body"
is "$(hdr Content-Type)" application/json "... Content-Type application/json"
is "$(sql "SELECT status, revocation_reason, revoked_at IS NOT NULL FROM localca_certificate WHERE serial_hex = '$serial1'")" \
	"revoked	keyCompromise	1" "... recorded as revoked, keyCompromise"
is "$(api "$V2/revoke" "$T/rv.json")" 409 "revoking it again: 409, revocation is idempotent"
is "$(body)" '{"message":"certificate already revoked"}' "... certificate already revoked"
is "$(sql "SELECT revocation_reason FROM localca_certificate WHERE serial_hex = '$serial1'")" \
	keyCompromise "... the first revocation stands"
req_body "$T/x.json" "$T/renew.crmf" crmf ",\"certificate\":\"$old_pem_b64\""
expect422 "renew of a revoked certificate" "$V2/renew" "$T/x.json" '^\["certificate is revoked"\]$'
revoke_body "$T/x.json" "$T/fixture.pem" stolen
expect422 "an unknown reason" "$V2/revoke" "$T/x.json" '^\["reason must be one of '
printf '{"certificate":"%s"}' "$(openssl x509 -in "$T/fixture.pem" -outform DER | base64 -w0)" > "$T/x.json"
expect422 "no reason" "$V2/revoke" "$T/x.json" '^\["reason is required"\]$'
revoke_body "$T/x.json" "$T/root.pem" keyCompromise
expect422 "revoke of another CA's certificate" "$V2/revoke" "$T/x.json" \
	'^\["certificate was not issued by this authority"\]$'
# Signed by our CA key, but not through cmp-localca: not in the table.
q openssl x509 -req -in "$T/ica.csr" -CA "$T/ca/ca.crt" -CAkey "$T/ca/ca.key" \
	-set_serial 77 -days 1 -extfile "$T/ext.cnf" -extensions ee \
	-out "$T/stray.pem" || bail "stray certificate"
revoke_body "$T/x.json" "$T/stray.pem" keyCompromise
expect422 "revoke of a certificate not in the table" "$V2/revoke" "$T/x.json" \
	'^\["unknown certificate"\]$'
printf '{"reason":"keyCompromise","certificate":"%s"}' "$(b64 "$T/ir-san.crmf")" > "$T/x.json"
expect422 "revoke of something that is no certificate" "$V2/revoke" "$T/x.json" \
	'^\["certificate is not a DER certificate"\]$'
revoke_body "$T/rv2.json" "$T/fixture.pem" superseded
is "$(api "$V2/revoke" "$T/rv2.json")" 200 "revoke another with reason superseded"
revoke_body "$T/rv3.json" "$T/p10.pem" unspecified
is "$(api "$V2/revoke" "$T/rv3.json")" 200 "revoke a third with reason unspecified"

# --------------------------------------------------------------- CRL
printf '{"delta": false, "raProfileAttributes": []}' > "$T/crl.json"
is "$(api "$V1/crl" "$T/crl.json")" 200 "CRL: 200"
field crlData | base64 -d > "$T/crl.der"
ok "... signed by the issuing CA" \
	openssl crl -inform DER -in "$T/crl.der" -CAfile "$T/ca/ca.crt" -noout
crl=$(openssl crl -inform DER -in "$T/crl.der" -noout -text)
up() { printf '%s' "$1" | tr 'a-f' 'A-F'; }
crl_reason() {	# crl_reason SERIAL: its entry's reason code, "-" for none
	printf '%s\n' "$crl" | awk -v s="Serial Number: $(up "$1")" '
		index($0, s) { hit = 1; r = "-"; next }
		hit && /Serial Number:|Signature Algorithm:/ { exit }
		hit && want { gsub(/^[ \t]+|[ \t]+$/, ""); r = $0; want = 0 }
		hit && /CRL Reason Code/ { want = 1 }
		END { if (hit) print r }'
}
is "$(crl_reason "$serial1")" "Key Compromise" "... lists the first with reason keyCompromise"
is "$(crl_reason "$serial_fx")" "Superseded" "... the second with reason superseded"
is "$(crl_reason "$serial_p10")" "-" "... the third without reasonCode (unspecified, RFC 5280 5.3.1)"
unlike "$crl" "$(up "$serial_rn")" "... not the certificate still valid"
like "$crl" 'X509v3 CRL Number' "... has a CRL number"
like "$crl" 'X509v3 Authority Key Identifier' "... and an authorityKeyIdentifier"
like "$crl" 'Next Update' "... and a nextUpdate"
ok "... verify with the CRL rejects the revoked certificate" \
	sh -c "openssl crl -inform DER -in '$T/crl.der' -out '$T/crl.pem' &&
	! openssl verify -crl_check -CRLfile '$T/crl.pem' -CAfile '$T/root.pem' \
	-untrusted '$T/ca/ca.crt' '$T/ee.pem' > '$T/v.out' 2>&1 &&
	grep -q 'certificate revoked' '$T/v.out'"
ok "... and accepts the renewed one" \
	openssl verify -crl_check -CRLfile "$T/crl.pem" -CAfile "$T/root.pem" \
	-untrusted "$T/ca/ca.crt" "$T/renewed.pem"
# RFC 5280 5.2.3: a CRL made after a revocation has a higher number than
# one made before it, also within the same second (a client keeps the CRL
# of the highest number). The revocation here: a reason changed in the
# table, put back after.
crl_get() { api "$V1/crl" "$T/crl.json" > /dev/null && field crlData | base64 -d > "$1"; }
crl_field() { openssl crl -inform DER -in "$1" -noout "-$2" | sed 's/^[^=]*=//'; }
same=0
for try in 1 2 3 4 5 6 7 8; do
	crl_get "$T/crl-a.der"
	sql "UPDATE localca_certificate SET revocation_reason = 'affiliationChanged'
		WHERE serial_hex = '$serial_fx'" > /dev/null
	crl_get "$T/crl-b.der"
	sql "UPDATE localca_certificate SET revocation_reason = 'superseded'
		WHERE serial_hex = '$serial_fx'" > /dev/null
	if [ "$(crl_field "$T/crl-a.der" lastupdate)" = "$(crl_field "$T/crl-b.der" lastupdate)" ]; then
		same=1
		break
	fi
done
ok "two CRLs of one second, a revocation between them (try $try)" test "$same" = 1
ok "... differ" sh -c "! cmp -s '$T/crl-a.der' '$T/crl-b.der'"
na=$(crl_field "$T/crl-a.der" crlnumber)
nb=$(crl_field "$T/crl-b.der" crlnumber)
ok "... and the later one has the higher CRL number ($na, $nb)" \
	test "$((16#${nb#0x}))" -gt "$((16#${na#0x}))"
# A CRL that waits for its number (another session holds its row) lists
# what was revoked while it waited, and is dated when it has them: not
# before any revocation it lists (RFC 5280 5.1.2.4), nor before a CRL of
# a lower number. The revocation: the valid certificate's row, put back
# after.
t_sql "START TRANSACTION; SELECT last_number FROM localca_crl_number WHERE id = 1 FOR UPDATE;
	DO SLEEP(3); COMMIT" > /dev/null &
holder=$!
sleep 0.5
crl_get "$T/crl-w.der" &
getter=$!
sleep 1.5
sql "UPDATE localca_certificate SET status = 'revoked', revocation_reason = 'keyCompromise',
	revoked_at = NOW(6) WHERE serial_hex = '$serial_rn'" > /dev/null
wait "$getter" "$holder"
sql "UPDATE localca_certificate SET status = 'issued', revocation_reason = NULL, revoked_at = NULL
	WHERE serial_hex = '$serial_rn'" > /dev/null
crl=$(openssl crl -inform DER -in "$T/crl-w.der" -noout -text)
like "$crl" "$(up "$serial_rn")" "a CRL that waited for its number lists what was revoked meanwhile"
rdate=$(printf '%s\n' "$crl" | grep -A1 "Serial Number: $(up "$serial_rn")" |
	sed -n 's/.*Revocation Date: //p')
ok "... and is not dated before it ($(crl_field "$T/crl-w.der" lastupdate); revoked $rdate)" \
	test "$(date -d "$(crl_field "$T/crl-w.der" lastupdate)" +%s)" -ge "$(date -d "$rdate" +%s)"
# RFC 5280 3.3: an entry goes once a CRL issued after its certificate
# expired listed it; here a crl_period (a day) after the expiry. The
# table's not_after changed for the test, put back after.
na1=$(sql "SELECT not_after FROM localca_certificate WHERE serial_hex = '$serial1'")
nafx=$(sql "SELECT not_after FROM localca_certificate WHERE serial_hex = '$serial_fx'")
sql "UPDATE localca_certificate SET not_after = UTC_TIMESTAMP() - INTERVAL 2 DAY
	WHERE serial_hex = '$serial1'" > /dev/null
sql "UPDATE localca_certificate SET not_after = UTC_TIMESTAMP() - INTERVAL 1 HOUR
	WHERE serial_hex = '$serial_fx'" > /dev/null
crl_get "$T/crl-x.der"
sql "UPDATE localca_certificate SET not_after = '$na1' WHERE serial_hex = '$serial1'" > /dev/null
sql "UPDATE localca_certificate SET not_after = '$nafx' WHERE serial_hex = '$serial_fx'" > /dev/null
crl=$(openssl crl -inform DER -in "$T/crl-x.der" -noout -text)
unlike "$crl" "$(up "$serial1")" "a certificate expired two days ago: off the CRL"
like "$crl" "$(up "$serial_fx")" "one expired an hour ago: still listed"
# a revoked certificate whose row does not decode: no CRL rather than
# one that leaves it out (and so says it is valid)
fxder=$(t_sql "SELECT HEX(der) FROM localca_certificate WHERE serial_hex = '$serial_fx'")
sql "UPDATE localca_certificate SET der = SUBSTRING(der, 1, 40) WHERE serial_hex = '$serial_fx'" > /dev/null
is "$(api "$V1/crl" "$T/crl.json")" 500 "CRL with a revoked certificate's row broken: 500"
like "$(body)" "cannot build the CRL" "... cannot build the CRL"
like "$(cat "$T/localca.log")" "crl: revoked certificate [0-9a-fA-F]* does not decode; no CRL without it" "... logged"
sql "UPDATE localca_certificate SET der = UNHEX('$fxder') WHERE serial_hex = '$serial_fx'" > /dev/null
printf '{"raProfileAttributes": []}' > "$T/x.json"
is "$(api "$V1/crl" "$T/x.json")" 200 "CRL without delta: 200"
printf '{"delta": true}' > "$T/x.json"
expect422 "delta CRL" "$V1/crl" "$T/x.json" '^\["delta CRLs are not supported"\]$'
printf '{"delta": "no"}' > "$T/x.json"
expect422 "delta not a boolean" "$V1/crl" "$T/x.json" '^\["delta must be true or false"\]$'

# ------------------------------------------------------ CA certificates
printf '{"raProfileAttributes": []}' > "$T/cac.json"
is "$(api "$V1/caCertificates" "$T/cac.json")" 200 "caCertificates: 200"
grep -o '"certificateData":"[^"]*"' "$T/resp.json" | sed 's/.*:"\(.*\)"/\1/' > "$T/cacerts.txt"
is "$(wc -l < "$T/cacerts.txt")" 2 "... two certificates"
is "$(sed -n 1p "$T/cacerts.txt")" "$(openssl x509 -in "$T/ca/ca.crt" -outform DER | base64 -w0)" \
	"... the issuing CA first"
is "$(sed -n 2p "$T/cacerts.txt")" "$(openssl x509 -in "$T/root.pem" -outform DER | base64 -w0)" \
	"... then the root"

# ------------------------------------------------ caller authentication
n_issued() { sql "SELECT COUNT(*) FROM localca_certificate"; }
n0=$(n_issued)
LCA_CREDS=(-H "Authorization:")
is "$(api "$V2/issue" "$T/issue.json")" 401 "issue without credentials: 401"
is "$(hdr WWW-Authenticate)" 'Basic realm="cmp-localca", charset="UTF-8"' \
	"... with a WWW-Authenticate challenge"
is "$(body)" '{"message":"authentication required"}' "... authentication required"
is "$(n_issued)" "$n0" "... and nothing issued"
is "$(api "$V1/caCertificates" "$T/cac.json")" 401 "caCertificates without credentials: 401"
is "$(api "$V2/frobnicate" "$T/cac.json")" 401 "unknown path without credentials: 401 (nothing told)"
LCA_CREDS=(-u "cmpd:wrong-$LCA_PW")
is "$(api "$V2/issue" "$T/issue.json")" 401 "a wrong password: 401"
LCA_CREDS=(-u "other:$LCA_PW")
is "$(api "$V2/issue" "$T/issue.json")" 401 "a wrong user: 401"
LCA_CREDS=(-u "cmpd:${LCA_PW%?}")
is "$(api "$V2/issue" "$T/issue.json")" 401 "a password one character short: 401"
LCA_CREDS=(-H "Authorization: Bearer $LCA_PW")
is "$(api "$V2/issue" "$T/issue.json")" 401 "the password as a bearer token: 401"
LCA_CREDS=(-H "Authorization: Basic !!!!")
is "$(api "$V2/issue" "$T/issue.json")" 401 "basic credentials that are not base64: 401"
LCA_CREDS=(-H "X-API-Key: $LCA_PW")
is "$(api "$V2/issue" "$T/issue.json")" 401 "no API key is configured: the header is not looked at"
is "$(n_issued)" "$n0" "nothing issued for any of them"
unset LCA_CREDS
is "$(api "$V1/caCertificates" "$T/cac.json")" 200 "with the credentials: served"
like "$(cat "$T/localca.log")" 'status=401 outcome=unauthorized msg="authentication required"' \
	"refusals logged as unauthorized"
nok "the password is not logged" grep -q -- "$LCA_PW" "$T/localca.log"

# --------------------------------------------------- HTTP unhappy paths
is "$(api "$V2/frobnicate" "$T/cac.json")" 404 "unknown path: 404"
is "$(body)" '{"message":"not found"}' "... {\"message\": \"not found\"}"
is "$(hdr Content-Type)" application/json "... as JSON"
is "$(api "/localca/v1/authorityProvider/authorities/$AUTH/certificates/issue" "$T/issue.json")" \
	404 "issue under /v1/: 404"
is "$(api "/localca/v2/authorityProvider/authorities/$AUTH/caCertificates" "$T/cac.json")" \
	404 "caCertificates under /v2/: 404"
is "$(api "/localca/v2/authorityProvider/authorities/$OTHER/certificates/issue" "$T/issue.json")" \
	404 "another authority UUID: 404"
is "$(body)" '{"message":"unknown authority"}' "... unknown authority"
is "$(api "/localca/v2/authorityProvider/authorities/$AUTH/certificates/issue/" "$T/issue.json")" \
	404 "trailing slash: 404"
is "$(api "$V1/caCertificates?x=1" "$T/cac.json")" 200 "a query string is ignored"
is "$(api "$V1/caCertificates" "" GET)" 405 "GET: 405"
is "$(hdr Allow)" POST "... Allow: POST"
is "$(body)" '{"message":"method not allowed"}' "... {\"message\": ...}"
is "$(api "$V2/issue" "" PUT)" 405 "PUT: 405"
head -c 70000 /dev/zero | tr '\0' ' ' > "$T/big.json"
is "$(api "$V2/issue" "$T/big.json")" 413 "a body over body_max: 413"
is "$(body)" '{"message":"request body too large"}' "... request body too large"
is "$(api "$V1/caCertificates" "$T/cac.json")" 200 "still serving after the 413"

# ------------------------------------------------- database outage
t_stop_db
is "$(api "$V2/issue" "$T/issue.json")" 503 "database down: issue answers 503"
is "$(body)" '{"message":"database unavailable"}' "... database unavailable"
is "$(api "$V2/revoke" "$T/rv2.json")" 503 "... revoke 503"
is "$(api "$V1/crl" "$T/crl.json")" 503 "... crl 503"
is "$(api "$V1/caCertificates" "$T/cac.json")" 200 "... caCertificates needs no database"
req_body "$T/x.json" "$T/ir-badpop.crmf" crmf
is "$(api "$V2/issue" "$T/x.json")" 422 "... and a bad request is still a 422"
t_start_db
is "$(api "$V2/issue" "$T/issue.json")" 200 "database back: issue works again"
t_restart_db
is "$(api "$V2/issue" "$T/p10.json")" 200 "after a database restart the lost connection is replaced"
is "$(sql "SELECT COUNT(*) FROM localca_certificate WHERE status = 'issued'")" 4 \
	"four certificates issued and not revoked (two by renew)"

# ------------------------------------ requestId: idempotent issue, lookup
RID=0b7c3f6e-1d2a-4c5b-8e9f-a0b1c2d3e4f5
req_body "$T/rid.json" "$T/ir-san.crmf" crmf ",\"requestId\":\"$RID\""
is "$(api "$V2/issue" "$T/rid.json")" 200 "issue with a requestId: 200"
rid_uuid=$(field uuid)
rid_cert=$(field certificateData)
is "$(api "$V2/issue" "$T/rid.json")" 200 "the same request again: 200"
is "$(field uuid)" "$rid_uuid" "... the same uuid"
is "$(field certificateData)" "$rid_cert" "... the same certificate: not issued twice"
is "$(sql "SELECT COUNT(*) FROM localca_certificate WHERE request_id = '$RID'")" 1 \
	"... one row for the requestId"
like "$(cat "$T/localca.log")" "uuid=$rid_uuid requestId=$RID issued_before" \
	"... logged as issued before"
req_body "$T/x.json" "$T/p10.der" pkcs10 ",\"requestId\":\"$RID\""
expect422 "another request under the same requestId" "$V2/issue" "$T/x.json" \
	'^\["requestId was used for another request"\]$'
# The same, each time on a connection MariaDB dropped meanwhile: the
# INSERT runs again on a new one and meets the first request's row, which
# is not its own lost write.
kill_lca_conns() {
	local id
	for id in $(sql "SELECT id FROM information_schema.processlist WHERE user = 'cmpd'"); do
		sql "KILL CONNECTION $id" > /dev/null 2>&1
	done
}
kill_lca_conns
is "$(api "$V2/issue" "$T/rid.json")" 200 "the same request on a lost connection: 200"
is "$(field uuid)" "$rid_uuid" "... the same uuid"
is "$(field certificateData)" "$rid_cert" "... the same certificate: none issued unrecorded"
kill_lca_conns
expect422 "another request under the same requestId, on a lost connection" "$V2/issue" "$T/x.json" \
	'^\["requestId was used for another request"\]$'
is "$(sql "SELECT COUNT(*) FROM localca_certificate WHERE request_id = '$RID'")" 1 \
	"... one row for the requestId still"
like "$(cat "$T/localca.log")" "MariaDB connection lost" "... the lost connection logged"
req_body "$T/x.json" "$T/p10.der" pkcs10 ',"requestId":"a b"'
expect422 "a requestId with a space" "$V2/issue" "$T/x.json" \
	'^\["requestId must be 1 to 64 letters, digits or '"'-'"'"\]$'
req_body "$T/x.json" "$T/p10.der" pkcs10 ',"requestId":7'
expect422 "a numeric requestId" "$V2/issue" "$T/x.json" '^\["requestId must be a string"\]$'
printf '{"requestId":"%s","raProfileAttributes":[]}' "$RID" > "$T/x.json"
is "$(api "$V2/lookup" "$T/x.json")" 200 "lookup of the requestId: 200"
is "$(field requestId)" "$RID" "... names the requestId"
like "$(body)" '"found":true' "... found"
is "$(field uuid)" "$rid_uuid" "... the certificate's uuid"
is "$(field certificateData)" "$rid_cert" "... and the certificate"
printf '{"requestId":"%s"}' "$OTHER" > "$T/x.json"
is "$(api "$V2/lookup" "$T/x.json")" 200 "lookup of a requestId never seen: 200"
is "$(body)" "{\"requestId\":\"$OTHER\",\"found\":false}" "... found false"
printf '{}' > "$T/x.json"
expect422 "lookup without requestId" "$V2/lookup" "$T/x.json" '^\["requestId is required"\]$'
# A table of an earlier version, without the columns, is brought up to
# date when the connection opens again.
sql "ALTER TABLE localca_certificate DROP INDEX localca_certificate_request_id,
	DROP COLUMN request_id, DROP COLUMN request_sha256" > /dev/null
t_restart_db
is "$(api "$V2/issue" "$T/rid.json")" 200 "an older table is upgraded on the next connection"
is "$(sql "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_NAME = 'localca_certificate' AND COLUMN_NAME IN ('request_id', 'request_sha256')")" 2 \
	"... with request_id and request_sha256"
is "$(api "$V2/issue" "$T/rid.json")" 200 "... and the requestId works again"
is "$(sql "SELECT COUNT(*) FROM localca_certificate WHERE request_id = '$RID'")" 1 \
	"... one row for it"

# --------------------------------------------------------- log, stop
like "$(cat "$T/localca.log")" 'method=POST path=/localca/v2/authorityProvider/authorities/[^ ]+/certificates/issue status=200 outcome=ok uuid=[^ ]+ serial=[0-9a-f]{32} ms=' \
	"one log line per request: method, path, status, outcome, ms"
like "$(cat "$T/localca.log")" 'status=422 outcome=invalid msg="proof of possession failed"' \
	"... refusals with their message"
t_stop_bg localca
is "$?" 0 "SIGTERM: exits 0"
ok "... and removes its socket" test ! -e "$T/localca.sock"
ok "... and its pid file" test ! -e "$T/localca.pid"
nok "no sanitizer report in cmp-localca's log" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/localca.log"

# ----------------------------------- CRL numbers across cmp-localcas
# RFC 5280 5.2.3 across the processes on one table: a cmp-localca whose
# clock runs an hour ahead (a node whose time went wrong) makes a CRL;
# then a certificate is revoked, and one of the right time makes the next
# CRL. A client keeps the CRL of the highest number: it must be the one
# that lists the revocation.
# (libfaketime preloaded, not the faketime command, which would stay
# between t_stop_bg and cmp-localca; under ASan it comes before ASan's
# runtime, which then must not insist on coming first)
fake=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)
t_bg localca_ahead env LD_PRELOAD="$fake" FAKETIME=+1h \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	"$LCA" -f -c "$T/localca.conf" --allow-root
t_wait 10 test -S "$T/localca.sock" || bail "cmp-localca did not start an hour ahead"
crl_get "$T/crl-ahead.der"
la=$(date -u -d "$(crl_field "$T/crl-ahead.der" lastupdate)" +%s)
ok "a CRL from a cmp-localca an hour ahead" test "$la" -gt "$(($(date +%s) + 3000))"
t_stop_bg localca_ahead
t_bg localca_now "$LCA" -f -c "$T/localca.conf" --allow-root
t_wait 10 test -S "$T/localca.sock" || bail "cmp-localca did not start again"
revoke_body "$T/rv-rn.json" "$T/renewed.pem" keyCompromise
is "$(api "$V2/revoke" "$T/rv-rn.json")" 200 "then a revocation"
crl_get "$T/crl-now.der"
like "$(openssl crl -inform DER -in "$T/crl-now.der" -noout -text)" "$(up "$serial_rn")" \
	"... which the next CRL lists"
na=$(crl_field "$T/crl-ahead.der" crlnumber)
nb=$(crl_field "$T/crl-now.der" crlnumber)
ok "... under the higher CRL number ($na, $nb)" \
	test "$((16#${nb#0x}))" -gt "$((16#${na#0x}))"
is "$(sql "SELECT COUNT(*) FROM localca_crl_number")" 1 "the last number given is one row"
t_stop_bg localca_now
nok "no sanitizer report in the two instances' logs" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' \
	"$T/localca_ahead.log" "$T/localca_now.log"

# ------- a P-384 root CA, allowed_extensions, the CA's validity cap
write_conf "$T/localca2.conf" "ca_dir = $T/ca384" "allowed_extensions = keyUsage" \
	"validity_days = 36500"
sed -i '/^authority_uuid/d; 0,/^ca_dir/{/^ca_dir/d}' "$T/localca2.conf"
t_bg localca2 "$LCA" -f -c "$T/localca2.conf" --allow-root
t_wait 10 test -S "$T/localca.sock" || bail "cmp-localca did not start again"
V2O=/localca/v2/authorityProvider/authorities/$OTHER/certificates
is "$(api "$V2O/issue" "$T/p10.json")" 200 "without authority_uuid any authority is served"
field certificateData | der2pem "$T/p10b.pem"
ok "... issued by the P-384 root" openssl verify -CAfile "$T/ca384/ca.crt" "$T/p10b.pem"
is "$(openssl x509 -in "$T/p10b.pem" -noout -text | sed -n 's/.*Signature Algorithm: //p' | head -n 1)" \
	ecdsa-with-SHA384 "... signed with SHA-384"
like "$(openssl x509 -in "$T/p10b.pem" -noout -ext keyUsage)" 'Digital Signature' \
	"allowed_extensions = keyUsage: keyUsage copied"
is "$(openssl x509 -in "$T/p10b.pem" -noout -ext subjectAltName,extendedKeyUsage 2>/dev/null)" "" \
	"... subjectAltName and extendedKeyUsage not"
is "$(openssl x509 -in "$T/p10b.pem" -noout -enddate)" \
	"$(openssl x509 -in "$T/ca384/ca.crt" -noout -enddate)" \
	"validity_days beyond the CA's notAfter: capped at it"
start() { date -u -d "$(openssl x509 -in "$1" -noout -startdate | sed 's/^notBefore=//')" +%s; }
ok "... and notBefore at the CA's own, made seconds ago, not 5 minutes before ($(start "$T/p10b.pem") >= $(start "$T/ca384/ca.crt"))" \
	test "$(start "$T/p10b.pem")" -ge "$(start "$T/ca384/ca.crt")"
is "$(api "/localca/v1/authorityProvider/authorities/$OTHER/caCertificates" "$T/cac.json")" \
	200 "caCertificates of a root CA"
is "$(grep -o certificateData "$T/resp.json" | wc -l)" 1 "... is that one certificate"
printf '{"delta":false}' > "$T/x.json"
is "$(api "/localca/v1/authorityProvider/authorities/$OTHER/crl" "$T/x.json")" 200 \
	"a CRL from the P-384 CA"
field crlData | base64 -d > "$T/crl384.der"
ok "... verifies with its certificate" \
	openssl crl -inform DER -in "$T/crl384.der" -CAfile "$T/ca384/ca.crt" -noout
unlike "$(openssl crl -inform DER -in "$T/crl384.der" -noout -text)" 'Serial Number' \
	"... and lists none of the other CA's revocations in the same table"
kill -KILL "$BG_PID_localca2"
t_wait 10 _t_gone "$BG_PID_localca2"
t_stop_bg localca2
ok "a killed instance leaves a stale socket" test -S "$T/localca.sock"
t_bg localca3 "$LCA" -f -c "$T/localca.conf" --allow-root
t_wait 10 grep -q listening "$T/localca3.log"
is "$(api "$V1/caCertificates" "$T/cac.json")" 200 "the next instance replaces the stale socket"

# fcgi SOCKET PATH BODYFILE [DELAY]: POST straight over FastCGI, the body
# sent DELAY seconds late; the raw answer in $T/fcgi.raw
fcgi() {
	(sleep "${4-0}"; cat "$3") | timeout 30 env -i PATH="$PATH" \
		GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
		REQUEST_METHOD=POST REQUEST_URI="$2" SCRIPT_NAME="$2" \
		HTTP_AUTHORIZATION="Basic $(printf 'cmpd:%s' "$LCA_PW" | base64 -w0)" \
		CONTENT_TYPE=application/json CONTENT_LENGTH="$(wc -c < "$3")" \
		cgi-fcgi -bind -connect "$1" > "$T/fcgi.raw"
}
# SIGTERM while a request is in flight (accepted, its body still on the
# way): it is answered, then the exit.
nfd() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
more_fds() { [ "$(nfd "$1")" -gt "$2" ]; }
fds=$(nfd "$BG_PID_localca3")
fcgi "$T/localca.sock" "$V1/caCertificates" "$T/cac.json" 2 &
fcgi_pid=$!
t_wait 10 more_fds "$BG_PID_localca3" "$fds"
kill -TERM "$BG_PID_localca3"
wait "$fcgi_pid"
is "$(t_split_response "$T/fcgi.raw")" 200 "SIGTERM during a request: the request is answered"
like "$(cat "$T/resp.der")" '^\{"certificates":\[' "... in full"
t_stop_bg localca3
is "$?" 0 "... then it exits 0"
nok "no sanitizer report in that instance's log" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/localca3.log"

# fcgi_as SOCKET PATH BODYFILE [VAR=value...]: POST over FastCGI with
# exactly the given extra parameters (credentials); prints the status
fcgi_as() {
	local sock=$1 path=$2 file=$3
	shift 3
	timeout 30 env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 \
		SERVER_PROTOCOL=HTTP/1.1 REQUEST_METHOD=POST REQUEST_URI="$path" \
		SCRIPT_NAME="$path" CONTENT_TYPE=application/json \
		CONTENT_LENGTH="$(wc -c < "$file")" "$@" \
		cgi-fcgi -bind -connect "$sock" < "$file" > "$T/fcgi.raw"
	t_split_response "$T/fcgi.raw"
}
# An API key in a header of our choosing, and REMOTE_USER: each only
# when configured.
write_conf "$T/localca4.conf" "listen = $T/lca4.sock" "pid_file = $T/lca4.pid" \
	"api_key_file = $T/lca.key" "api_key_header = X-CA-Key" \
	"auth_remote_user = cmpd-frontend"
sed -i '/^auth_user/d; /^auth_password_file/d' "$T/localca4.conf"
t_bg localca4 "$LCA" -f -c "$T/localca4.conf" --allow-root
t_wait 10 test -S "$T/lca4.sock" || bail "cmp-localca with an API key did not start"
CAC=$V1/caCertificates
is "$(fcgi_as "$T/lca4.sock" "$CAC" "$T/cac.json")" 401 "API key instance: nothing sent, 401"
is "$(t_header WWW-Authenticate)" 'ApiKey realm="cmp-localca", header="X-CA-Key"' \
	"... its challenge names the header"
is "$(fcgi_as "$T/lca4.sock" "$CAC" "$T/cac.json" HTTP_X_CA_KEY="$LCA_KEY")" 200 \
	"the API key in X-CA-Key: served"
like "$(cat "$T/resp.der")" '^\{"certificates":\[' "... the CA certificates"
is "$(fcgi_as "$T/lca4.sock" "$CAC" "$T/cac.json" HTTP_X_CA_KEY="x$LCA_KEY")" 401 \
	"a wrong API key: 401"
is "$(fcgi_as "$T/lca4.sock" "$CAC" "$T/cac.json" HTTP_X_API_KEY="$LCA_KEY")" 401 \
	"the key in another header: 401"
is "$(fcgi_as "$T/lca4.sock" "$CAC" "$T/cac.json" \
	HTTP_AUTHORIZATION="Basic $(printf 'cmpd:%s' "$LCA_PW" | base64 -w0)")" 401 \
	"basic credentials where none are configured: 401"
is "$(fcgi_as "$T/lca4.sock" "$CAC" "$T/cac.json" REMOTE_USER=cmpd-frontend)" 200 \
	"REMOTE_USER as configured (auth_remote_user): served"
is "$(fcgi_as "$T/lca4.sock" "$CAC" "$T/cac.json" REMOTE_USER=someone)" 401 \
	"another REMOTE_USER: 401"
nok "the API key is not logged" grep -q -- "$LCA_KEY" "$T/localca4.log"
t_stop_bg localca4
# FastCGI authenticates no caller: auth_remote_user only on a socket no
# other user can connect to
write_conf "$T/bad.conf" "auth_remote_user = cmpd-frontend" "listen_mode = 0666"
like "$("$LCA" -n -c "$T/bad.conf" 2>&1)" \
	"auth_remote_user needs a socket other users cannot connect to \\(listen_mode 0666\\)" \
	"-n: auth_remote_user with a socket every user may connect to: refused"
write_conf "$T/bad.conf" "auth_remote_user = cmpd-frontend" "listen = inherit"
SP_PORT=$(_t_free_port) || bail "no free port"
like "$(timeout 20 spawn-fcgi -n -a 127.0.0.1 -p "$SP_PORT" -- "$LCA" -f -c "$T/bad.conf" \
	--allow-root 2>&1)" "auth_remote_user needs a Unix socket to listen on" \
	"auth_remote_user with a TCP socket handed over: refused at start"
# a Unix socket handed over that any user may connect to (spawn-fcgi -M
# 0666, systemd's SocketMode default): refused too; 0660 with a group is
# the way
like "$(timeout 20 spawn-fcgi -n -s "$T/sp.sock" -M 0666 -- "$LCA" -f -c "$T/bad.conf" \
	--allow-root 2>&1)" "auth_remote_user needs a socket other users cannot connect to; the one handed over has mode 0666" \
	"auth_remote_user with a Unix socket handed over that any user may connect to: refused at start"
rm -f "$T/sp.sock"
timeout 3 spawn-fcgi -n -s "$T/sp.sock" -M 0660 -- "$LCA" -f -c "$T/bad.conf" --allow-root \
	> "$T/sp.log" 2>&1
is "$?" 124 "... one of mode 0660 served (until stopped)" || diag_file "$T/sp.log"
rm -f "$T/sp.sock"

# listen = inherit: the socket on fd 0, as cgi-fcgi -start (or spawn-fcgi,
# or lighttpd's bin-path) hands it over.
write_conf "$T/inherit.conf" "listen = inherit" "pid_file = $T/inherit.pid"
printf '#!/bin/sh\nexec "%s" -f -c "%s" --allow-root 2>> "%s"\n' "$LCA" "$T/inherit.conf" \
	"$T/inherit.log" > "$T/inherit.sh"
chmod +x "$T/inherit.sh"
ok "cgi-fcgi -start spawns cmp-localca on an inherited socket" \
	cgi-fcgi -start -connect "$T/inherit.sock" "$T/inherit.sh"
t_wait 10 test -s "$T/inherit.pid"
inherit_pid=$(cat "$T/inherit.pid" 2>/dev/null)
# Not our child: registered so that the exit trap stops it, too.
BG_PID_inherit=$inherit_pid
_t_bg_names="inherit $_t_bg_names"
fcgi "$T/inherit.sock" "$V1/caCertificates" "$T/cac.json"
is "$(t_split_response "$T/fcgi.raw")" 200 "listen = inherit: served"
is "$(t_header Content-Type)" application/json "... as JSON"
is "$(fcgi_as "$T/inherit.sock" "$V1/caCertificates" "$T/cac.json" REMOTE_USER=cmpd)" 401 \
	"REMOTE_USER without auth_remote_user: not trusted, 401"
kill -TERM "$inherit_pid" 2>/dev/null
ok "... and stopped by SIGTERM" t_wait 10 _t_gone "$inherit_pid"
ok "... cleanly" grep -q 'info: stopped' "$T/inherit.log"
nok "no sanitizer report in its log" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/inherit.log"

done_testing
