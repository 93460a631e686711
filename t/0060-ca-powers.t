#!/bin/sh
# No request is passed on to the CA that asks for a power of the CA:
# basicConstraints cA, keyUsage keyCertSign or cRLSign, nameConstraints,
# extendedKeyUsage OCSPSigning; nor, unless the CMP Profile's
# certReqTemplate offers it, an extendedKeyUsage by which CMP peers
# recognise an authority (cmcCA, cmcRA, cmKGA, anyExtendedKeyUsage).
# Such an ir (the extension in its
# template) or p10cr (in its CSR) is badCertTemplate, and the CA never
# sees it; so is a CSR whose extensions stand where the template made of
# it would not show them. What an end entity may ask for still passes.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
cat > "$T/exts.cnf" <<'EOF'
[ca]
basicConstraints = critical,CA:TRUE
[certsign]
keyUsage = critical,digitalSignature,keyCertSign
[crlsign]
keyUsage = critical,cRLSign
[names]
nameConstraints = critical,permitted;DNS:example.com
[ocsp]
extendedKeyUsage = OCSPSigning
[cmcca]
extendedKeyUsage = clientAuth,1.3.6.1.5.5.7.3.27
[cmcra]
extendedKeyUsage = clientAuth,1.3.6.1.5.5.7.3.28
[cmkga]
extendedKeyUsage = 1.3.6.1.5.5.7.3.32
[anyeku]
extendedKeyUsage = anyExtendedKeyUsage
[archive]
extendedKeyUsage = clientAuth,1.3.6.1.5.5.7.3.29
[agent]
extendedKeyUsage = clientAuth,1.3.6.1.4.1.311.20.2.1
[oldbc]
2.5.29.10 = critical,DER:30:04:03:02:07:80
[keyattr]
2.5.29.2 = DER:30:04:03:02:00:04
[kurestr]
2.5.29.4 = DER:30:04:03:02:02:04
[nsca]
nsCertType = client,sslCA
[bitpad]
keyUsage = critical,DER:03:02:03:fe
[berbc]
basicConstraints = critical,DER:30:81:00
[twobc]
basicConstraints = critical,DER:30:00:30:03:01:01:ff
[apppol]
1.3.6.1.4.1.311.21.10 = DER:30:0c:30:0a:06:08:2b:06:01:05:05:07:03:01
[sandir]
subjectAltName = DER:30:16:a4:14:30:12:31:10:30:0e:06:03:55:04:03:0c:81:06:6e:6f:6e:64:65:72
[ee]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth,serverAuth
EOF
# cmp OUT ARGS...: openssl cmp on the shared-secret profile
cmp() {
	local out=$1
	shift
	timeout 60 openssl cmp -config "$T/exts.cnf" -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd -ref "$ENROLL_REF" \
		-secret "pass:$ENROLL_SECRET" -msg_timeout 20 -total_timeout 40 \
		-certout "$T/out.crt" -unprotected_errors "$@" > "$out" 2>&1
}
at_ca() { t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject = 'CN=$1'"; }
# refused_ir SECTION WHAT TEXT OUTCOME: an ir for CN=ir-SECTION with the
# extensions of SECTION is refused, badCertTemplate with TEXT, the CA not
# asked, logged as OUTCOME
refused_ir() {
	nok "an ir $2: refused" \
		cmp "$T/$1.out" -cmd ir -newkey "$T/dev.key" -subject "/CN=ir-$1" -reqexts "$1"
	like "$(cat "$T/$1.out")" "badCertTemplate" "... badCertTemplate"
	like "$(cat "$T/$1.out")" "$3" "... the row's text"
	is "$(at_ca "ir-$1")" 0 "... the CA was not asked"
	like "$(grep 'body=ir' "$T/cmpd.log" | tail -n 1)" "outcome=$4" "logged as $4"
}

ok "an ir with an end entity's extensions" cmp "$T/ee.out" -cmd ir -newkey "$T/dev.key" \
	-subject /CN=ir-ee -reqexts ee
is "$(at_ca ir-ee)" 1 "... issued"

for s in ca:"basicConstraints cA" certsign:"keyUsage keyCertSign or cRLSign" \
	crlsign:"keyUsage keyCertSign or cRLSign" names:nameConstraints \
	ocsp:"extendedKeyUsage OCSPSigning" cmcca:"extendedKeyUsage cmcCA" \
	cmcra:"extendedKeyUsage cmcRA" cmkga:"extendedKeyUsage cmKGA" \
	anyeku:"extendedKeyUsage anyExtendedKeyUsage" \
	archive:"extendedKeyUsage cmcArchive" \
	agent:"extendedKeyUsage Certificate Request Agent" \
	oldbc:"basicConstraints of X.509 v2 (2.5.29.10)" \
	keyattr:"keyAttributes (2.5.29.2)" kurestr:"keyUsageRestriction (2.5.29.4)" \
	nsca:"nsCertType sslCA, emailCA or objCA"; do
	sect=${s%%:*} what=${s#*:}
	re=$(printf '%s' "$what" | sed 's/[][\.*^$|()+?{}]/\\&/g')
	nok "an ir whose template asks for $what: refused" \
		cmp "$T/$sect.out" -cmd ir -newkey "$T/dev.key" -subject "/CN=ir-$sect" -reqexts "$sect"
	like "$(cat "$T/$sect.out")" "badCertTemplate" "... badCertTemplate"
	like "$(cat "$T/$sect.out")" "PN=enroll \| the request asks for $re, a power of the CA; refused" \
		"... the row's text"
	is "$(at_ca "ir-$sect")" 0 "... the CA was not asked"
done
like "$(grep 'body=ir' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_TEMPLATE_CA_POWER" \
	"logged as CMPF_TEMPLATE_CA_POWER"

# an extension of two values: libcrypto reads the first (cA false), a CA
# that reads the second gets cA true
refused_ir twobc "whose basicConstraints holds a second value after the first" \
	"PN=enroll \| extension basicConstraints is not one DER-encoded value: the certificate authority could read it otherwise than cmpd" \
	CMPF_EXTENSION_NOT_ONE
openssl req -new -key "$T/dev.key" -subj /CN=p10-twobc \
	-addext basicConstraints=critical,DER:30:00:30:03:01:01:ff -out "$T/twobc.csr" 2>/dev/null ||
	bail "openssl req failed"
nok "a p10cr whose CSR's basicConstraints holds two values: refused" \
	cmp "$T/p10-twobc.out" -cmd p10cr -csr "$T/twobc.csr"
like "$(cat "$T/p10-twobc.out")" "extension basicConstraints is not one DER-encoded value" "... the row's text"
is "$(at_ca p10-twobc)" 0 "... the CA was not asked"
# not DER: keyUsage with its padding bits set (libcrypto clears them: no
# keyCertSign, cRLSign for a reader that takes the byte as it is), and
# basicConstraints with a length in the long form
for s in bitpad:keyUsage berbc:basicConstraints; do
	sect=${s%%:*} what=${s#*:}
	nok "an ir whose $what is not in DER ($sect): refused" \
		cmp "$T/$sect.out" -cmd ir -newkey "$T/dev.key" -subject "/CN=ir-$sect" -reqexts "$sect"
	like "$(cat "$T/$sect.out")" "PN=enroll \| extension $what is not one DER-encoded value" \
		"... the row's text"
	is "$(at_ca "ir-$sect")" 0 "... the CA was not asked"
done

# Microsoft's application policies (Windows CAs read them as
# extendedKeyUsage), and CSR attributes other than extensionRequest and
# challengePassword (a Windows CA's enrollmentNameValuePair names SANs)
nok "an ir asking for Microsoft application policies: refused" \
	cmp "$T/apppol.out" -cmd ir -newkey "$T/dev.key" -subject /CN=ir-apppol -reqexts apppol
like "$(cat "$T/apppol.out")" "the request asks for Microsoft application policies \(1\.3\.6\.1\.4\.1\.311\.21\.10\), which the CMP Profile's certReqTemplate does not offer" \
	"... the row's text"
is "$(at_ca ir-apppol)" 0 "... the CA was not asked"
printf '[req]\ndistinguished_name = dn\nattributes = attrs\nprompt = no\n[dn]\nCN = %s\n[attrs]\n%s\n' \
	p10-nvp "1.3.6.1.4.1.311.13.2.1 = SAN:upn=administrator@example.com" > "$T/nvp.cnf"
openssl req -new -key "$T/dev.key" -config "$T/nvp.cnf" -out "$T/nvp.csr" 2>/dev/null ||
	bail "openssl req failed"
nok "a p10cr with an enrollmentNameValuePair attribute: refused" cmp "$T/p10-nvp.out" -cmd p10cr -csr "$T/nvp.csr"
like "$(cat "$T/p10-nvp.out")" "PN=enroll \| the PKCS#10 request has attribute 1\.3\.6\.1\.4\.1\.311\.13\.2\.1: of its attributes only extensionRequest and challengePassword go to the certificate authority" \
	"... the row's text"
is "$(at_ca p10-nvp)" 0 "... the CA was not asked"
printf '[req]\ndistinguished_name = dn\nattributes = attrs\nprompt = no\n[dn]\nCN = %s\n[attrs]\n%s\n' \
	p10-cpw "challengePassword = a password" > "$T/cpw.cnf"
openssl req -new -key "$T/dev.key" -config "$T/cpw.cnf" -out "$T/cpw.csr" 2>/dev/null ||
	bail "openssl req failed"
ok "a p10cr with a challengePassword attribute: issued" cmp "$T/p10-cpw.out" -cmd p10cr -csr "$T/cpw.csr"
is "$(at_ca p10-cpw)" 1 "... by the CA"

# an authority's purpose where the CMP Profile offers it (one that enrols
# RAs): cmcRA passes cmpd and the CA
API_KEY=$(t_api_key admin admin)
ENROLL=00000000-0000-4000-8000-00000000e101
is "$(t_api PUT /cmpProfiles/$ENROLL '{"certReqTemplate":{"extendedKeyUsage":["clientAuth","cmcRA"]}}')" 200 \
	"API: a certReqTemplate offering clientAuth and cmcRA"
ok "an ir asking for cmcRA, offered: issued" \
	cmp "$T/cmcra2.out" -cmd ir -newkey "$T/dev.key" -subject /CN=ir-cmcra2 -reqexts cmcra
like "$(openssl x509 -in "$T/out.crt" -noout -ext extendedKeyUsage)" "1\.3\.6\.1\.5\.5\.7\.3\.28|CMC Registration Authority" \
	"... the certificate has it"
nok "an ir asking for cmKGA, not offered: refused" \
	cmp "$T/cmkga2.out" -cmd ir -newkey "$T/dev.key" -subject /CN=ir-cmkga2 -reqexts cmkga
like "$(cat "$T/cmkga2.out")" "the request asks for extendedKeyUsage cmKGA, a power of the CA" "... the row's text"
is "$(t_api PUT /cmpProfiles/$ENROLL '{"certReqTemplate":null}')" 200 "API: no template"

# p10cr: the same extensions in the CSR
openssl req -new -key "$T/dev.key" -subj /CN=p10-ca -addext basicConstraints=critical,CA:TRUE \
	-out "$T/ca.csr" 2>/dev/null || bail "openssl req failed"
nok "a p10cr whose CSR asks for basicConstraints cA: refused" \
	cmp "$T/p10-ca.out" -cmd p10cr -csr "$T/ca.csr"
like "$(cat "$T/p10-ca.out")" "the request asks for basicConstraints cA, a power of the CA" "... the row's text"
is "$(at_ca p10-ca)" 0 "... the CA was not asked"
# extensions where the template made of the CSR would not show them:
# a Microsoft msExtReq beside the extensionRequest, or an
# extensionRequest that does not decode (libcrypto builds no CSR with
# two extensionRequest attributes)
printf '[req]\ndistinguished_name = dn\nattributes = attrs\nprompt = no\n[dn]\nCN = %s\n[attrs]\n%s\n' \
	p10-ms "1.3.6.1.4.1.311.2.1.14 = basicConstraints elsewhere" > "$T/ms.cnf"
openssl req -new -key "$T/dev.key" -config "$T/ms.cnf" -addext keyUsage=critical,digitalSignature \
	-out "$T/ms.csr" 2>/dev/null || bail "openssl req failed"
nok "a p10cr with an msExtReq attribute: refused" cmp "$T/p10-ms.out" -cmd p10cr -csr "$T/ms.csr"
like "$(cat "$T/p10-ms.out")" "PN=enroll \| the PKCS#10 request has an msExtReq attribute; its extensions go in one extensionRequest attribute" \
	"... the row's text"
is "$(at_ca p10-ms)" 0 "... the CA was not asked"
printf '[req]\ndistinguished_name = dn\nattributes = attrs\nprompt = no\n[dn]\nCN = %s\n[attrs]\n%s\n' \
	p10-bad "extReq = not a sequence" > "$T/bad.cnf"
openssl req -new -key "$T/dev.key" -config "$T/bad.cnf" -out "$T/bad.csr" 2>/dev/null ||
	bail "openssl req failed"
nok "a p10cr whose extensionRequest does not decode: refused" cmp "$T/p10-bad.out" -cmd p10cr -csr "$T/bad.csr"
like "$(cat "$T/p10-bad.out")" "the PKCS#10 request has an extensionRequest that does not decode" \
	"... the row's text"
is "$(at_ca p10-bad)" 0 "... the CA was not asked"
like "$(grep 'body=p10cr' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_P10CR_EXTENSIONS" \
	"logged as CMPF_P10CR_EXTENSIONS"
openssl req -new -key "$T/dev.key" -subj /CN=p10-ee -addext basicConstraints=critical,CA:FALSE \
	-addext keyUsage=critical,digitalSignature -out "$T/ee.csr" 2>/dev/null || bail "openssl req failed"
ok "a p10cr for an end entity" cmp "$T/p10-ee.out" -cmd p10cr -csr "$T/ee.csr"
is "$(at_ca p10-ee)" 1 "... issued"

# Names not in DER: libcrypto writes a name out with the bytes it came
# with, so a CA would sign it so. A subjectAltName's directoryName with a
# length in the long form (CN=nonder), and a p10cr whose CSR's subject has
# one (signed over those bytes, as a client could).
ok "an ir whose subject has an RDN of two values (DER sorts them): issued" \
	cmp "$T/mv.out" -cmd ir -newkey "$T/dev.key" -subject "/CN=ir-mv+O=aaa/OU=x"
refused_ir sandir "whose subjectAltName's directoryName is not in DER" \
	"PN=enroll \| a directoryName of subjectAltName is not DER-encoded \(RFC 5280 4.1\): the certificate authority would sign it as it came, a name strict readers refuse" \
	CMPF_NAME_NOT_DER
openssl pkey -in "$T/dev.key" -pubout -outform DER -out "$T/dev.spki" 2>/dev/null ||
	bail "openssl pkey failed"
cat > "$T/csr.py" << 'PY'
import base64, subprocess, sys
from der import T, SEQ
key, spki, cri_file, out = sys.argv[1:5]
value = b'p10-nonder'
cn = b'\x0c\x81' + bytes([len(value)]) + value	# the long form
name = SEQ(T(0x31, SEQ(bytes.fromhex('0603550403'), cn)))
cri = SEQ(bytes.fromhex('020100'), name, open(spki, 'rb').read(), b'\xa0\x00')
open(cri_file, 'wb').write(cri)
sig = subprocess.run(['openssl', 'dgst', '-sha256', '-sign', key, cri_file],
                     check=True, capture_output=True).stdout
csr = SEQ(cri, SEQ(bytes.fromhex('06082a8648ce3d040302')), T(0x03, b'\x00' + sig))
b64 = base64.encodebytes(csr).decode()
open(out, 'w').write('-----BEGIN CERTIFICATE REQUEST-----\n' + b64 +
                     '-----END CERTIFICATE REQUEST-----\n')
PY
PYTHONPATH=$top_srcdir/t/lib python3 "$T/csr.py" "$T/dev.key" "$T/dev.spki" "$T/nonder.cri" "$T/nonder.csr" ||
	bail "the CSR with a subject not in DER"
ok "... the CSR verifies (its signature is over the bytes as they are)" \
	openssl req -in "$T/nonder.csr" -verify -noout
nok "a p10cr whose CSR's subject is not in DER: refused" \
	cmp "$T/p10-nonder.out" -cmd p10cr -csr "$T/nonder.csr"
like "$(cat "$T/p10-nonder.out")" "PN=enroll \| the subject is not DER-encoded" "... the row's text"
is "$(at_ca p10-nonder)" 0 "... the CA was not asked"

done_testing
