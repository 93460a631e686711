#!/bin/sh
# cmpctl for whole profiles: a signature-protected CMP Profile created in
# one command from PEM files (signing key, signing chain, trust anchors),
# and `cmpctl profile show P --openssl`, whose openssl cmp command lines
# are run here as printed (ir, cr, p10cr, genm, kur, rr on the signature
# profile; ir, p10cr, genm on a shared-secret one) against the real stack.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
ctl() { "$top_builddir/cmpctl" -c "$T/cmpd.conf" "$@"; }
json() {	# json FILE EXPR: a value of the JSON in FILE (python3 on j)
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print('"$2"')' "$1"
}

# cmpd's signing certificate under the test root; the anchors: the device
# vendor's root (the fixtures' ee.pem) and the test root (for kur and rr
# of what the profile issued)
t_signer cmpd-sign || bail "cannot make the signing certificate"
cat "$T/cmpd-sign.crt" "$CA/root.crt" > "$T/cmpd-chain.pem"
cat "$F/root.pem" "$CA/root.crt" > "$T/anchors.pem"

# ------------------------------------------------------------ create
ok "profile create NAME ... --signing-key --signing-chain --trust-anchors" \
	sh -c "'$top_builddir/cmpctl' -c '$T/cmpd.conf' profile create devices \
	description='signed both ways' raProfileUuid=ra-enroll subjectPolicy=any \
	--signing-key '$T/cmpd-sign.key' --signing-chain '$T/cmpd-chain.pem' \
	--trust-anchors '$T/anchors.pem' > '$T/create.json' 2>&1"
diag_file "$T/create.json" 5
ctl profile show devices > "$T/show.json" 2>&1
is "$(json "$T/show.json" 'j["requestProtectionMethod"], j["responseProtectionMethod"]')" \
	"signature signature" "signature protection both ways by default"
is "$(json "$T/show.json" 'j["signingCertificate"]["subject"]')" "CN=cmpd signer,O=cmpd tests" \
	"the signing certificate from --signing-chain"
is "$(json "$T/show.json" 'j["trustAnchorCount"]')" 2 "the trust anchors from --trust-anchors"
is "$(json "$T/show.json" 'j["variant"], j["raProfile"]["name"]')" "v2 ra-enroll" \
	"variant v2 by default, the RA Profile by name"
is "$(t_sql "SELECT INSTR(signing_key_enc, 'PRIVATE') = 0 FROM cmp_profile WHERE name = 'devices'")" 1 \
	"the key sealed at rest"
ok "profile enable" ctl profile enable devices

out=$(ctl profile create half --signing-key "$T/cmpd-sign.key" 2>&1); rc=$?
is "$rc" 1 "--signing-key without --signing-chain: exit 1"
like "$out" "go together" "... saying so"
out=$(ctl profile create wrongkey raProfileUuid=ra-enroll --signing-key "$CA/ca.key" \
	--signing-chain "$T/cmpd-chain.pem" 2>&1); rc=$?
is "$rc" 1 "a key of another certificate: exit 1"
like "$out" "signingCredentials" "... the API's message"
out=$(ctl profile create resp-only raProfileUuid=ra-enroll requestProtectionMethod=sharedSecret \
	sharedSecretReference=r1 sharedSecret=@"$T/db.pw" \
	--signing-key "$T/cmpd-sign.key" --signing-chain "$T/cmpd-chain.pem" 2>&1); rc=$?
is "$rc" 0 "a field overrides the protection --signing-key implies"
ctl profile show resp-only > "$T/show2.json" 2>&1
is "$(json "$T/show2.json" 'j["requestProtectionMethod"], j["responseProtectionMethod"]')" \
	"sharedSecret signature" "... MAC requests, signed answers"
out=$(ctl profile create x --signing-kee k 2>&1); rc=$?
is "$rc" 2 "an unknown option: usage, exit 2"

# ------------------------------------------------------- show --openssl
ctl profile show devices --openssl --server "$HTTP_BASE" > "$T/sig.txt" 2>&1
is "$?" 0 "profile show --openssl"
like "$(cat "$T/sig.txt")" "$HTTP_BASE/api/v1/protocols/cmp/devices" "names the CMP URL"
like "$(cat "$T/sig.txt")" "$HTTP_BASE/\.well-known/cmp/p/devices" "... and the RFC 9811 one"
for op in ir cr p10cr genm kur rr; do
	is "$(grep -c "^openssl cmp -cmd $op " "$T/sig.txt")" 1 "one openssl cmp line for $op"
done

# run LABEL OP FILE: the line of FILE for OP, run in $T/dev as printed
mkdir -p "$T/dev"
run() {
	local line
	line=$(grep "^openssl cmp -cmd $2 " "$3")
	[ -n "$line" ] || { diag "no line for $2"; return 1; }
	(cd "$T/dev" && timeout 60 sh -c "$line -msg_timeout 20 -total_timeout 40" \
		> "$T/dev/$1.out" 2>&1) || { diag_file "$T/dev/$1.out" 10; return 1; }
}
# the files the legend names
cp "$F/ee.pem" "$T/dev/signer.crt"
cp "$F/ee.key" "$T/dev/signer.key"
cp "$CA/root.crt" "$T/dev/trusted.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev/device.key" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev/device-new.key" 2>/dev/null
openssl req -new -key "$T/dev/device.key" -subj /CN=device-1 -out "$T/dev/device.csr" 2>/dev/null

ok "ir as printed" run sig-ir ir "$T/sig.txt"
ok "... device.crt issued by the CA" openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/dev/device.crt"
ok "cr as printed" run sig-cr cr "$T/sig.txt"
ok "p10cr as printed" run sig-p10cr p10cr "$T/sig.txt"
is "$(openssl x509 -in "$T/dev/device-p10.crt" -noout -subject 2>/dev/null)" "subject=CN = device-1" \
	"... the CSR's subject"
ok "genm as printed" run sig-genm genm "$T/sig.txt"
ok "kur as printed" run sig-kur kur "$T/sig.txt"
isnt "$(openssl x509 -in "$T/dev/device-new.crt" -noout -pubkey 2>/dev/null)" \
	"$(openssl x509 -in "$T/dev/device.crt" -noout -pubkey)" "... a certificate for the new key"
serial=$(openssl x509 -in "$T/dev/device.crt" -noout -serial | cut -d= -f2)
ok "rr as printed" run sig-rr rr "$T/sig.txt"
is "$(t_sql "SELECT status FROM certificate WHERE UPPER(serial_number) = UPPER('$serial')")" revoked \
	"... device.crt revoked in cmpd's inventory"
is "$(t_sql "SELECT status FROM localca_certificate WHERE UPPER(serial_hex) = UPPER('$serial')")" revoked \
	"... and at the CA"

# a shared-secret profile: the reference, the secret from secret.txt
ctl profile show enroll --openssl --server "$HTTP_BASE" > "$T/pbm.txt" 2>&1
is "$?" 0 "profile show --openssl of a shared-secret profile"
like "$(grep '^openssl cmp -cmd ir ' "$T/pbm.txt")" " -ref $ENROLL_REF -secret file:secret.txt " \
	"-ref is the profile's reference"
like "$(cat "$T/pbm.txt")" "-ref $ENROLL_REF is its reference, the senderKID" "... explained"
is "$(grep -c '^openssl cmp -cmd \(kur\|rr\) ' "$T/pbm.txt")" 0 "no kur or rr line there"
like "$(cat "$T/pbm.txt")" "kur and rr are signed with the certificate concerned" "... saying why"
rm -f "$T/dev/device.crt"
printf '%s\n' "$ENROLL_SECRET" > "$T/dev/secret.txt"
ok "ir as printed (shared secret)" run pbm-ir ir "$T/pbm.txt"
is "$(openssl x509 -in "$T/dev/device.crt" -noout -subject 2>/dev/null)" "subject=CN = device-1" \
	"... device.crt for /CN=device-1"
ok "p10cr as printed (shared secret)" run pbm-p10cr p10cr "$T/pbm.txt"
ok "genm as printed (shared secret)" run pbm-genm genm "$T/pbm.txt"

out=$(ctl profile show enroll --openssl --server ftp://x 2>&1); rc=$?
is "$rc" 1 "--server ftp://: refused"
ctl profile show enroll --openssl --server https://pki.example.org > "$T/tls.txt" 2>&1
like "$(grep '^openssl cmp -cmd ir ' "$T/tls.txt")" \
	"-server pki.example.org:443 -tls_used -tls_trusted tls-ca.pem " "https: port 443 and TLS"

# The lines are for a shell: nothing from the database or --server
# becomes a command of its own.
out=$(ctl profile show enroll --openssl --server 'http://pki.example.org;touch x' 2>&1); rc=$?
is "$rc" 1 "--server with ; in the host: refused"
t_sql "UPDATE cmp_profile SET shared_secret_reference = CONCAT('ref', CHAR(10), 'touch pwned') WHERE name = 'enroll'" ||
	bail "UPDATE cmp_profile failed"
ctl profile show enroll --openssl --server "$HTTP_BASE" > "$T/nl.txt" 2>&1
nok "a reference with a newline: no line of the output starts a command but openssl" \
	grep -v -E '^(#|openssl cmp |  |$)' "$T/nl.txt"
like "$(grep '^openssl cmp -cmd ir ' "$T/nl.txt")" " -ref REFERENCE " "... -ref REFERENCE stands for it"
like "$(cat "$T/nl.txt")" 'holds a control character: -ref REFERENCE stands for it \("ref\?touch pwned"\)' \
	"... and a comment says why"
done_testing
