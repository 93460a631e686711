#!/bin/sh
# A signer's chain must meet signer_security_level (OpenSSL's auth_level;
# 2 by default: 112 bits of security): a key too small anywhere in it, or
# a certificate of it signed with SHA-1, is signerNotTrusted, for it could
# be forged. A lower level lets a legacy PKI in. Nor may any key of the
# chain be one anyone can sign for (RSA with e = 1), whatever the level.
# cmpd's own key signs its answers with a digest as strong as it.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

CA=$T/ca
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
t_sig_profile
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" |
	$CMPD --set-signing-credentials sig > /dev/null 2>&1 ||
	bail "--set-signing-credentials failed"

# A vendor's PKI: root (EC P-256), under it leaves and an intermediate
# whose certificate is signed with SHA-1.
V=$T/vendor
mkdir -p "$V"
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$V/ca.ext"
printf 'keyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$V/ee.ext"
# cert NAME SUBJECT ISSUER EXT DIGEST KEYALG [KEYOPT]
cert() {
	openssl req -new -newkey "$6" ${7:+-pkeyopt "$7"} -nodes -keyout "$V/$1.key" \
		-out "$V/$1.csr" -subj "$2" 2>/dev/null &&
	openssl x509 -req -in "$V/$1.csr" -CA "$V/$3.crt" -CAkey "$V/$3.key" \
		-CAcreateserial -days 30 -extfile "$V/$4.ext" "-$5" -out "$V/$1.crt" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$V/root.key" \
	-out "$V/root.crt" -subj "/O=vendor/CN=vendor root" -days 30 \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
	2>/dev/null || bail "vendor root"
cert good "/O=vendor/CN=good" root ee sha256 ec ec_paramgen_curve:P-256 || bail "good"
cert rsa1024 "/O=vendor/CN=rsa1024" root ee sha256 rsa:1024 || bail "rsa1024"
cert rsa2048 "/O=vendor/CN=rsa2048" root ee sha256 rsa:2048 || bail "rsa2048"
cert sha1ca "/O=vendor/CN=sha1 CA" root ca sha1 ec ec_paramgen_curve:P-256 || bail "sha1ca"
cert undersha1 "/O=vendor/CN=under sha1" sha1ca ee sha256 ec ec_paramgen_curve:P-256 || bail "undersha1"
# an RSA key with e = 1, certified by the vendor's root: anyone who has
# the certificate can sign for it (the signature is the padded digest)
t_rsa_e1_key "$V/e1.key"
openssl req -new -key "$V/e1.key" -subj "/O=vendor/CN=e1" -out "$V/e1.csr" 2>/dev/null &&
	openssl x509 -req -in "$V/e1.csr" -CA "$V/root.crt" -CAkey "$V/root.key" \
	-CAcreateserial -days 30 -extfile "$V/ee.ext" -sha256 -out "$V/e1.crt" 2>/dev/null || bail "e1"
# keys whose signatures cost a worker far more than a standard key's: an
# RSA exponent over 2^256 (FIPS 186-4 B.3.1), a curve over a binary field
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-pkeyopt rsa_keygen_pubexp:0x20000000000000000000000000000000000000000000000000000000000000001 \
	-out "$V/bige.key" 2>/dev/null &&
	openssl req -new -key "$V/bige.key" -subj "/O=vendor/CN=bige" -out "$V/bige.csr" 2>/dev/null &&
	openssl x509 -req -in "$V/bige.csr" -CA "$V/root.crt" -CAkey "$V/root.key" \
	-CAcreateserial -days 30 -extfile "$V/ee.ext" -sha256 -out "$V/bige.crt" 2>/dev/null || bail "bige"
cert sect "/O=vendor/CN=sect" root ee sha256 ec ec_paramgen_curve:sect283k1 || bail "sect"
# a compressed point on P-224, whose square root costs a millisecond: not
# decoded before the sender is known; uncompressed, the same curve passes
openssl ecparam -genkey -name secp224r1 -noout 2>/dev/null |
	openssl ec -conv_form compressed -out "$V/p224c.key" 2>/dev/null &&
	openssl req -new -key "$V/p224c.key" -subj "/O=vendor/CN=p224c" -out "$V/p224c.csr" 2>/dev/null &&
	openssl x509 -req -in "$V/p224c.csr" -CA "$V/root.crt" -CAkey "$V/root.key" \
	-CAcreateserial -days 30 -extfile "$V/ee.ext" -sha256 -out "$V/p224c.crt" 2>/dev/null || bail "p224c"
cert p224 "/O=vendor/CN=p224" root ee sha256 ec ec_paramgen_curve:P-224 || bail "p224"
cat "$V/root.crt" "$CA/root.crt" | $CMPD --set-trust-anchors sig > /dev/null 2>&1 ||
	bail "--set-trust-anchors failed"

# genm OUT NAME: a genm (signKeyPairTypes) signed with vendor certificate NAME
genm() {
	timeout 60 openssl cmp -cmd genm -infotype signKeyPairTypes \
		-server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/sig \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-cert "$V/$2.crt" -key "$V/$2.key" -untrusted "$V/sha1ca.crt" \
		-trusted "$CA/root.crt" -unprotected_errors > "$1" 2>&1
}

ok "an EC P-256 signer" genm "$T/g1.out" good
ok "an RSA-2048 signer" genm "$T/g2.out" rsa2048
nok "an RSA-1024 signer: refused" genm "$T/g3.out" rsa1024
like "$(cat "$T/g3.out")" "signerNotTrusted" "... signerNotTrusted"
like "$(cat "$T/g3.out")" "PN=sig \| the protection certificate is not trusted: EE certificate key too weak" \
	"... for its key"
nok "a signer under a CA certificate signed with SHA-1: refused" genm "$T/g4.out" undersha1
like "$(cat "$T/g4.out")" "signerNotTrusted" "... signerNotTrusted"
like "$(cat "$T/g4.out")" "CA signature digest algorithm too weak" "... for the SHA-1 signature"
nok "a signer whose RSA key has e = 1: refused" genm "$T/g4e.out" e1
like "$(cat "$T/g4e.out")" "PN=sig \| the protection certificate is not trusted: its public key is not sound" \
	"... signerNotTrusted, for its key"
COSTLY="PN=sig \| the protection certificate is not trusted: its public key is not one cmpd verifies with"
nok "a signer whose RSA exponent is over 2^256: refused" genm "$T/g4b.out" bige
like "$(cat "$T/g4b.out")" "$COSTLY" "... before its signature is verified"
nok "a signer on a binary curve (sect283k1): refused" genm "$T/g4s.out" sect
like "$(cat "$T/g4s.out")" "$COSTLY" "... likewise"
like "$(openssl x509 -in "$V/p224c.crt" -noout -text)" "pub:[[:space:]]+0[23]:" \
	"the P-224 certificate holds a compressed point"
nok "a signer with a compressed P-224 point: refused" genm "$T/g4c.out" p224c
like "$(cat "$T/g4c.out")" \
	"PN=sig \| the protection certificate is not trusted: its public key is not one cmpd decodes" \
	"... its key not decoded"
ok "a P-224 signer with an uncompressed point passes" genm "$T/g4u.out" p224

# a legacy PKI let in on purpose
t_write_conf "message_time_skew = 0" "log_level = info" "signer_security_level = 0"
t_start_cmpd || bail "cmpd did not start again"
ok "signer_security_level = 0: the RSA-1024 signer" genm "$T/g5.out" rsa1024
ok "... and the one under SHA-1" genm "$T/g6.out" undersha1
nok "... not the one with e = 1" genm "$T/g6e.out" e1
t_write_conf "message_time_skew = 0" "log_level = info" "signer_security_level = 3"
t_start_cmpd || bail "cmpd did not start again"
nok "signer_security_level = 3 (128 bits): the RSA-2048 signer refused" genm "$T/g7.out" rsa2048
like "$(cat "$T/g7.out")" "EE certificate key too weak" "... for its key"
ok "... the EC P-256 one not" genm "$T/g8.out" good

# The profile's own signing key: its answers signed with a digest as
# strong as the key (RFC 9481): SHA-384 for P-384, SHA-512 for P-521,
# none for Ed448 (EdDSA hashes by itself). The client checks each answer.
# own NAME ALG [KEYOPT]: the profile's signing key of ALG, under the test root
own() {
	openssl req -new -newkey "$2" ${3:+-pkeyopt "$3"} -nodes -keyout "$T/own-$1.key" \
		-out "$T/own-$1.csr" -subj "/O=cmpd tests/CN=cmpd $1" 2>/dev/null &&
	openssl x509 -req -in "$T/own-$1.csr" -CA "$CA/root.crt" -CAkey "$CA/root.key" \
		-CAcreateserial -days 30 -extfile "$T/signer.ext" -out "$T/own-$1.crt" 2>/dev/null &&
	cat "$T/own-$1.key" "$T/own-$1.crt" "$CA/root.crt" |
		$CMPD --set-signing-credentials sig > /dev/null 2>&1
}
# answered NAME: a genm signed by good, its answer in $T/own-NAME.der; the
# answer's protectionAlg (the first signature algorithm of the message)
answered() {
	rm -f "$T/own-$1.der"
	timeout 60 openssl cmp -cmd genm -infotype signKeyPairTypes \
		-server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/sig \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-cert "$V/good.crt" -key "$V/good.key" -trusted "$CA/root.crt" \
		-rspout "$T/own-$1.der" > "$T/own-$1.out" 2>&1 &&
	openssl asn1parse -inform DER -in "$T/own-$1.der" |
		grep -m 1 -o 'ecdsa-with-SHA[0-9]*\|ED448\|ED25519'
}
own p384 ec ec_paramgen_curve:P-384 || bail "the P-384 signing key"
is "$(answered p384)" ecdsa-with-SHA384 "a P-384 signing key: answers signed with SHA-384"
own p521 ec ec_paramgen_curve:P-521 || bail "the P-521 signing key"
is "$(answered p521)" ecdsa-with-SHA512 "a P-521 signing key: answers signed with SHA-512"
own ed448 ed448 || bail "the Ed448 signing key"
is "$(answered ed448)" ED448 "an Ed448 signing key: answers signed with Ed448"
own ed25519 ed25519 || bail "the Ed25519 signing key"
is "$(answered ed25519)" ED25519 "an Ed25519 signing key: answers signed with Ed25519"

done_testing
