#!/bin/sh
# Central key generation (RFC 9483 4.1.6): an ir, cr or kur without a
# public key and without POP has its key made by cmpd, on a CMP Profile with
# centralKeyGeneration only. The certificate is for that key; the key
# comes back in the CertResponse's privateKey (pvno 3): an
# AsymmetricKeyPackage in a SignedData signed with the profile's signing
# key, in an EnvelopedData to the requester only (the shared secret of a
# MAC'd request, the protection certificate's key of a signed one:
# PasswordRecipientInfo, KeyAgreeRecipientInfo for EC, KeyTransRecipientInfo
# for RSA). openssl cmp 3.0 cannot ask for it: t/cmpckg makes the request
# from one openssl cmp wrote, and opens the answer.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info" "profile_cache = 0"
t_start_localca
# one that answers every issue pending for 4 s (delayed delivery)
t_second_localca pending "issue_pending = 4"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd pending)"
t_seed_enroll
API_KEY=$(t_api_key admin admin)
plan_auto

F=$T_FIXTURES
CA=$T/ca
TOOL=$top_builddir/t/cmptool
CKG=$top_builddir/t/cmpckg
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
ENROLL=00000000-0000-4000-8000-00000000e101
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
# at_ca NAME: certificates cmp-localca issued for CN=NAME (its table is
# made with its first certificate)
at_ca() {
	if [ "$(t_sql "SELECT COUNT(*) FROM information_schema.tables WHERE
	    table_schema = DATABASE() AND table_name = 'localca_certificate'")" = 0 ]; then
		echo 0
	else
		t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject = 'CN=$1'"
	fi
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null ||
	bail "openssl genpkey failed"
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" > "$T/bundle.pem"

# mac NAME CMD PROFILE ALG: an ir or cr for CN=NAME as openssl cmp
# writes it (its mock server answers), made to ask for a key of ALG
# (cmpckg), MAC'd again, posted; the answer in $T/resp.der
mac() {
	local name=$1 cmd=$2 profile=$3 alg=$4 edit=${5:-}
	rm -f "$T/$name-raw.der"
	openssl cmp -config "" -use_mock_srv -batch -recipient /CN=cmpd \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
		-srv_ref "$ENROLL_REF" -srv_secret "pass:$ENROLL_SECRET" \
		-rsp_cert "$F/new.pem" -certout "$T/mock-cert.pem" \
		-reqout "$T/$name-raw.der,$T/mock-req2.der" -cmd "$cmd" \
		-newkey "$T/dev.key" -subject "/CN=$name" > "$T/client.out" 2>&1
	[ -s "$T/$name-raw.der" ] || bail "openssl cmp wrote no $cmd for $name"
	"$CKG" request "$T/$name-raw.der" "$T/$name-ckg.der" "$alg" &&
	"$TOOL" edit "$T/$name-ckg.der" "$T/$name.der" $edit remac="$ENROLL_SECRET" ||
		bail "cannot make the request for $name"
	t_post "$T/$name.der" "/api/v1/protocols/cmp/$profile"
}

# opened NAME CRED...: the answer's key opened (cmpckg key) into
# $T/NAME.key, its lines in $T/NAME.key.out
opened() {
	local name=$1
	shift
	"$CKG" key "$T/resp.der" "$T/$name.key" "$CA/root.crt" "$@" > "$T/$name.key.out" 2>&1
}
line() { sed -n "s/^$2=//p" "$T/$1.key.out"; }
# same_key NAME: the certificate of the answer is for the key in $T/NAME.key
same_key() {
	"$TOOL" cert "$T/resp.der" "$T/$1.crt" &&
	[ "$(openssl x509 -in "$T/$1.crt" -noout -pubkey)" = \
	  "$(openssl pkey -in "$T/$1.key" -pubout)" ]
}

# ------------------------------------------------ not offered: refused
is "$(mac ckg-off ir enroll none)" 200 "an ir without a key, centralKeyGeneration off: answered"
is "$(dump "$T/resp.der" status)/$(dump "$T/resp.der" failInfo)" rejection/badCertTemplate \
	"... refused, badCertTemplate"
like "$(dump "$T/resp.der" text)" \
	"PN=enroll \| the request has no public key: the CMP Profile does not generate keys \(centralKeyGeneration\)" \
	"... the row's text"
is "$(at_ca ckg-off)" 0 "... the CA was not asked"

# ------------------------------------- the API turns it on, and off again
is "$(t_api PUT /cmpProfiles/$ENROLL '{"centralKeyGeneration":true}')" 200 "API: centralKeyGeneration on"
is "$(t_json 'j["centralKeyGeneration"]')" true "... shown"
is "$(t_api PUT /cmpProfiles/$ENROLL '{"centralKeyGeneration":"yes"}')" 400 "API: not a boolean: 400"
is "$(t_api GET /cmpProfiles/$ENROLL)" 200 "API: read back"
is "$(t_json 'j["centralKeyGeneration"]')" true "... still on"

# no signing key to sign the key package with
is "$(mac ckg-nosig ir enroll none)" 200 "a profile without a signing key: answered"
is "$(dump "$T/resp.der" failInfo)" systemFailure "... systemFailure"
like "$(dump "$T/resp.der" text)" "a generated key is signed with the CMP Profile's signing key, and it has none" \
	"... the row's text"
is "$(at_ca ckg-nosig)" 0 "... the CA was not asked"
# an Ed25519 signing key: it signs the answers, but libcrypto 3.0's CMS
# cannot sign the key package with it; refused before a key is made
openssl req -new -newkey ed25519 -nodes -keyout "$T/ed.key" -out "$T/ed.csr" \
	-subj "/O=cmpd tests/CN=cmpd ed signer" 2>/dev/null &&
openssl x509 -req -in "$T/ed.csr" -CA "$CA/root.crt" -CAkey "$CA/root.key" \
	-CAcreateserial -days 30 -extfile "$T/signer.ext" -out "$T/ed.crt" 2>/dev/null ||
	bail "cannot make the Ed25519 signing certificate"
cat "$T/ed.key" "$T/ed.crt" "$CA/root.crt" > "$T/ed-bundle.pem"
ok "Ed25519 signing credentials" sh -c "$CMPD --set-signing-credentials enroll < '$T/ed-bundle.pem' > /dev/null 2>&1"
is "$(mac ckg-edsig ir enroll RSA)" 200 "an RSA key asked of a profile with an Ed25519 signer: answered"
is "$(dump "$T/resp.der" failInfo)" systemFailure "... systemFailure"
is "$(dump "$T/resp.der" text)" "PN=enroll | a generated key is signed with the CMP Profile's signing key, and CMS here cannot sign with one of type ED25519: central key generation needs an RSA or EC signing key" \
	"... the row's text (CMPF_CKG_SIGNER_KEY)"
is "$(at_ca ckg-edsig)" 0 "... the CA was not asked"
ok "the profile's signing credentials" sh -c "$CMPD --set-signing-credentials enroll < '$T/bundle.pem' > /dev/null 2>&1"

# ------------------------------------------------------ a MAC'd ir
is "$(mac ckg-1 ir enroll none)" 200 "an ir without a key: answered"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" status)" ip/accepted "... accepted"
is "$(at_ca ckg-1)" 1 "... issued"
ok "the key opens with the shared secret" opened ckg-1 "pass:$ENROLL_SECRET"
diag_file "$T/ckg-1.key.out" 20
is "$(line ckg-1 pvno)" 3 "... the answer is pvno 3 (cmp2021)"
is "$(line ckg-1 recipients)/$(line ckg-1 recipient)" 1/pwri "... to the requester alone: one PasswordRecipientInfo"
is "$(line ckg-1 envelopedContentType)" pkcs7-signedData "... the EnvelopedData holds a SignedData"
is "$(line ckg-1 verified)" yes "... which verifies"
is "$(line ckg-1 signer)" "/O=cmpd tests/CN=cmpd signer" "... signed with the profile's signing key"
is "$(line ckg-1 contentType)" 2.16.840.1.101.2.1.2.78.5 "... an AsymmetricKeyPackage (id-ct-KP-aKeyPackage)"
is "$(line ckg-1 key)" "EC 256" "... an EC P-256 key, the default"
ok "the certificate is for that key" same_key ckg-1
nok "the key does not open with another secret" opened ckg-1x "pass:not-the-secret"
is "$(line ckg-1x decrypted)" no "... not decrypted"
# the client confirms as any other
"$TOOL" certconf "$T/resp.der" "$T/cc.der" "$ENROLL_SECRET" || bail "cmptool certconf failed"
is "$(t_post "$T/cc.der" /api/v1/protocols/cmp/enroll)" 200 "certConf"
is "$(dump "$T/resp.der" body)" pkiconf "... pkiconf"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$(dump "$T/ckg-1.der" tid)')")" \
	confirmed "... the transaction confirmed"

# the key type the request names, or the template's keySpec
is "$(mac ckg-rsa cr enroll RSA)" 200 "a cr naming RSA"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" status)" cp/accepted "... accepted"
ok "... opens" opened ckg-rsa "pass:$ENROLL_SECRET"
is "$(line ckg-rsa key)" "RSA 2048" "... an RSA key of 2048 bits"
ok "... the certificate is for it" same_key ckg-rsa
# Ed448 (id-Ed448): made, its proof of possession signed with it and taken
is "$(mac ckg-ed448 ir enroll 1.3.101.113)" 200 "an ir naming Ed448"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" status)" ip/accepted "... accepted"
ok "... opens" opened ckg-ed448 "pass:$ENROLL_SECRET"
like "$(line ckg-ed448 key)" "^ED448" "... an Ed448 key"
ok "... the certificate is for it" same_key ckg-ed448
# one RSA key per message (a worker makes it while the client waits);
# EC keys for every CertReqMsg
is "$(mac ckg-rsa3 ir enroll RSA dupreq=2)" 200 "an ir of three CertReqMsgs, each naming RSA"
is "$(t_responses "$T/resp.der")" "0:accepted 1:rejection:badRequest 2:rejection:badRequest" \
	"... one key made, the other two refused"
like "$(dump "$T/resp.der" text)" "PN=enroll \| one RSA key is generated per message: ask for the others in messages of their own" \
	"... the row's text"
is "$(at_ca ckg-rsa3)" 1 "... the CA asked once"
ok "... the key opens" opened ckg-rsa3 "pass:$ENROLL_SECRET"
is "$(line ckg-rsa3 key)" "RSA 2048" "... an RSA key"
is "$(mac ckg-ec3 ir enroll EC dupreq=2)" 200 "an ir of three CertReqMsgs, each naming EC"
is "$(t_responses "$T/resp.der")" "0:accepted 1:accepted 2:accepted" "... three keys made"
is "$(at_ca ckg-ec3)" 3 "... three certificates"
is "$(t_api PUT /cmpProfiles/$ENROLL '{"certReqTemplate":{"keySpec":"EC:secp384r1"}}')" 200 \
	"API: keySpec EC:secp384r1"
is "$(mac ckg-384 ir enroll none)" 200 "an ir naming no type"
ok "... opens" opened ckg-384 "pass:$ENROLL_SECRET"
is "$(line ckg-384 key)" "EC 384" "... a key of the template's keySpec"
ok "... the certificate is for it" same_key ckg-384
is "$(mac ckg-p256 ir enroll EC)" 200 "an ir naming EC P-256 against keySpec P-384"
is "$(dump "$T/resp.der" failInfo)" badCertTemplate "... refused as any P-256 key is"
like "$(dump "$T/resp.der" text)" "does not meet the certReqTemplate's keySpec EC:secp384r1" "... keySpec"
is "$(t_api PUT /cmpProfiles/$ENROLL '{"certReqTemplate":null}')" 200 "API: no template"
is "$(mac ckg-odd ir enroll 1.2.3.4)" 200 "an ir naming an algorithm cmpd does not make"
is "$(dump "$T/resp.der" status)/$(dump "$T/resp.der" failInfo)" rejection/badAlg "... badAlg"
like "$(dump "$T/resp.der" text)" "PN=enroll \| no key is generated for 1.2.3.4" "... the row's text"
is "$(at_ca ckg-odd)" 0 "... the CA was not asked"

# ------------------------------- a signed cr: to the certificate's key
t_sig_profile any
ok "signing credentials of sig" sh -c "$CMPD --set-signing-credentials sig < '$T/bundle.pem' > /dev/null 2>&1"
cat "$F/root.pem" "$F/root-rsa.pem" "$CA/root.crt" > "$T/anchors.pem" 2>/dev/null ||
	cat "$F/root.pem" "$CA/root.crt" > "$T/anchors.pem"
ok "trust anchors of sig" sh -c "$CMPD --set-trust-anchors sig < '$T/anchors.pem' > /dev/null 2>&1"
t_sql "UPDATE cmp_profile SET central_key_generation = 1 WHERE name = 'sig'"
# signed_raw NAME CERT KEY: a cr for CN=NAME signed with CERT/KEY, as
# openssl cmp writes it, into $T/NAME-raw.der
signed_raw() {
	local name=$1 cert=$2 key=$3
	rm -f "$T/$name-raw.der"
	openssl cmp -config "" -use_mock_srv -batch -recipient /CN=cmpd \
		-cert "$cert" -key "$key" -srv_cert "$F/new.pem" -srv_key "$F/new.key" \
		-srv_trusted "$F/root.pem" -rsp_cert "$F/new.pem" -certout "$T/mock-cert.pem" \
		-reqout "$T/$name-raw.der,$T/mock-req2.der" -cmd cr \
		-newkey "$T/dev.key" -subject "/CN=$name" > "$T/client.out" 2>&1
	[ -s "$T/$name-raw.der" ] || { diag_file "$T/client.out" 10; bail "openssl cmp wrote no cr for $name"; }
}
# signed NAME CERT KEY: that cr made to ask for a key, signed again, posted
signed() {
	local name=$1 cert=$2 key=$3
	signed_raw "$name" "$cert" "$key"
	"$CKG" request "$T/$name-raw.der" "$T/$name-ckg.der" none &&
	"$TOOL" edit "$T/$name-ckg.der" "$T/$name.der" resign="$key" ||
		bail "cannot make the request for $name"
	t_post "$T/$name.der" /api/v1/protocols/cmp/sig
}
# ka_cert KEY ROOT ROOTKEY USAGE OUT: a protection certificate for KEY
# whose keyUsage also allows USAGE, the way the key comes back to it
ka_cert() {
	openssl req -new -key "$1" -subj "/O=cmpd tests/CN=$(basename "$5" .pem)" \
		-out "$T/ka.csr" 2>/dev/null &&
	printf 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, %s\n' \
		"$4" > "$T/ka.ext" &&
	openssl x509 -req -in "$T/ka.csr" -CA "$2" -CAkey "$3" -days 30 \
		-set_serial "0x$(openssl rand -hex 8)" -extfile "$T/ka.ext" -out "$5" 2>/dev/null
}
ka_cert "$F/ee.key" "$F/root.pem" "$F/root.key" keyAgreement "$T/ee-ka.pem" ||
	bail "cannot make the keyAgreement certificate"
# RFC 5280 4.2.1.3: not to a certificate whose keyUsage is signing only
is "$(signed ckg-ec-signonly "$F/ee.pem" "$F/ee.key")" 200 \
	"a cr signed with an EC certificate for digitalSignature only: answered"
is "$(dump "$T/resp.der" status)/$(dump "$T/resp.der" failInfo)" rejection/badRequest "... refused, badRequest"
is "$(dump "$T/resp.der" text)" \
	"PN=sig | a generated key cannot be encrypted to the protection certificate: its keyUsage does not allow keyAgreement" \
	"... the row's text"
is "$(at_ca ckg-ec-signonly)" 0 "... the CA was not asked"
is "$(signed ckg-ec "$T/ee-ka.pem" "$F/ee.key")" 200 "a cr signed with an EC certificate for keyAgreement too: answered"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" status)" cp/accepted "... accepted"
ok "... the key opens with the certificate's key" opened ckg-ec "$T/ee-ka.pem" "$F/ee.key"
diag_file "$T/ckg-ec.key.out" 20
is "$(line ckg-ec recipients)/$(line ckg-ec recipient)" 1/kari "... one KeyAgreeRecipientInfo (ECDH)"
is "$(line ckg-ec verified)" yes "... the SignedData verifies"
ok "... the certificate is for it" same_key ckg-ec
nok "... and not with another key" opened ckg-ecx "$F/new.pem" "$F/new.key"
if [ -s "$F/ee-rsa.pem" ] && [ -s "$F/root-rsa.pem" ]; then
	is "$(signed ckg-rsa-signonly "$F/ee-rsa.pem" "$F/ee-rsa.key")" 200 \
		"a cr signed with an RSA certificate for digitalSignature only"
	is "$(dump "$T/resp.der" status)/$(dump "$T/resp.der" failInfo)" rejection/badRequest \
		"... refused, badRequest"
	like "$(dump "$T/resp.der" text)" "its keyUsage does not allow keyEncipherment" "... the row's text"
	ka_cert "$F/ee-rsa.key" "$F/root-rsa.pem" "$F/root-rsa.key" keyEncipherment \
		"$T/ee-rsa-kt.pem" || bail "cannot make the keyEncipherment certificate"
	is "$(signed ckg-rsa-sig "$T/ee-rsa-kt.pem" "$F/ee-rsa.key")" 200 \
		"a cr signed with an RSA certificate for keyEncipherment too"
	is "$(dump "$T/resp.der" status)" accepted "... accepted"
	ok "... the key opens with the certificate's key" opened ckg-rsa-sig "$T/ee-rsa-kt.pem" "$F/ee-rsa.key"
	is "$(line ckg-rsa-sig recipients)/$(line ckg-rsa-sig recipient)" 1/ktri "... one KeyTransRecipientInfo (RSA-OAEP)"
	ok "... the certificate is for it" same_key ckg-rsa-sig
fi

# an Ed25519 protection certificate: no key can be encrypted to it
openssl req -new -newkey ed25519 -nodes -keyout "$T/ed.key" -out "$T/ed.csr" \
	-subj "/O=cmpd tests/CN=ed25519 device" 2>/dev/null &&
openssl x509 -req -in "$T/ed.csr" -CA "$CA/root.crt" -CAkey "$CA/root.key" \
	-CAcreateserial -days 30 -extfile "$T/signer.ext" -out "$T/ed.crt" 2>/dev/null ||
	bail "cannot make the Ed25519 certificate"
# (openssl cmp 3.0 does not sign with Ed25519: cmptool signs again)
signed_raw ckg-ed "$F/ee.pem" "$F/ee.key"
"$CKG" request "$T/ckg-ed-raw.der" "$T/ckg-ed-ckg.der" none &&
"$TOOL" edit "$T/ckg-ed-ckg.der" "$T/ckg-ed.der" signer="$T/ed.crt" \
	resign="$T/ed.key:none" || bail "cannot make the Ed25519 cr"
is "$(t_post "$T/ckg-ed.der" /api/v1/protocols/cmp/sig)" 200 "a cr signed with an Ed25519 certificate"
is "$(dump "$T/resp.der" status)/$(dump "$T/resp.der" failInfo)" rejection/badRequest "... refused, badRequest"
like "$(dump "$T/resp.der" text)" \
	"PN=sig \| a generated key cannot be encrypted to a ED25519 key: the protection certificate needs an RSA or EC key" \
	"... the row's text"
is "$(at_ca ckg-ed)" 0 "... the CA was not asked"

# ------------- a kur: to the key of the certificate it updates
# (RFC 9483 4.1.6 for ir, cr and kur), checked as any kur
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/old.key" 2>/dev/null ||
	bail "openssl genpkey failed"
ok "a certificate to update, from sig" timeout 60 openssl cmp -config "" -cmd cr \
	-server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/sig -recipient /CN=cmpd \
	-cert "$F/ee.pem" -key "$F/ee.key" -newkey "$T/old.key" -subject /CN=ckg-upd \
	-untrusted "$CA/ca.crt" -trusted "$CA/root.crt" -certout "$T/old.crt"
cat "$T/old.crt" "$CA/ca.crt" > "$T/old-chain.pem"
# kur_raw NAME [args]: a kur signed with old.crt, as openssl cmp writes it
kur_raw() {
	local name=$1
	shift
	rm -f "$T/$name-raw.der"
	openssl cmp -config "" -use_mock_srv -batch -recipient /CN=cmpd \
		-cert "$T/old.crt" -key "$T/old.key" -untrusted "$CA/ca.crt" \
		-srv_cert "$F/new.pem" -srv_key "$F/new.key" -srv_trusted "$CA/root.crt" \
		-rsp_cert "$F/new.pem" -certout "$T/mock-cert.pem" \
		-reqout "$T/$name-raw.der,$T/mock-req2.der" -cmd kur \
		-newkey "$T/dev.key" "$@" > "$T/client.out" 2>&1
	[ -s "$T/$name-raw.der" ] || { diag_file "$T/client.out" 10; bail "openssl cmp wrote no kur for $name"; }
	"$CKG" request "$T/$name-raw.der" "$T/$name-ckg.der" none &&
	"$TOOL" edit "$T/$name-ckg.der" "$T/$name.der" resign="$T/old.key" ||
		bail "cannot make the kur $name"
}
t_sql "UPDATE cmp_profile SET central_key_generation = 0 WHERE name = 'sig'"
kur_raw ckg-kur0
is "$(t_post "$T/ckg-kur0.der" /api/v1/protocols/cmp/sig)" 200 "a kur without a key, centralKeyGeneration off"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" failInfo)" kup/badCertTemplate "... refused, badCertTemplate"
like "$(dump "$T/resp.der" text)" "PN=sig \| the request has no public key: the CMP Profile does not generate keys" \
	"... the row's text"
t_sql "UPDATE cmp_profile SET central_key_generation = 1 WHERE name = 'sig'"
kur_raw ckg-kur
is "$(t_post "$T/ckg-kur.der" /api/v1/protocols/cmp/sig)" 200 "a kur without a key, centralKeyGeneration on"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" status)" kup/accepted "... accepted"
like "$(grep 'a key made for the request' "$T/cmpd.log" | tail -n 1)" \
	"PN=sig: certReqId 0: a key made for the request \(EC, 256 bits\)" "... a key made (logged)"
ok "... the key opens with the updated certificate's key" opened ckg-kur "$T/old.crt" "$T/old.key"
diag_file "$T/ckg-kur.key.out" 20
is "$(line ckg-kur recipients)/$(line ckg-kur recipient)" 1/kari "... one KeyAgreeRecipientInfo"
is "$(line ckg-kur verified)" yes "... the SignedData verifies"
ok "... the certificate is for the key made" same_key ckg-kur
is "$(openssl x509 -in "$T/ckg-kur.crt" -noout -subject)" "subject=CN = ckg-upd" "... the same subject"
isnt "$(openssl pkey -in "$T/ckg-kur.key" -pubout)" "$(openssl pkey -in "$T/old.key" -pubout)" \
	"... a new key"
nok "... which does not open with another key" opened ckg-kurx "$F/ee.pem" "$F/ee.key"
"$TOOL" certconf "$T/resp.der" "$T/cc.der" "sig:$T/old-chain.pem:$T/old.key" || bail "cmptool certconf failed"
is "$(t_post "$T/cc.der" /api/v1/protocols/cmp/sig)" 200 "its certConf, signed with the updated certificate"
is "$(dump "$T/resp.der" body)" pkiconf "... pkiconf"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=ckg-upd' AND status = 'issued'")" 2 \
	"... both certificates in the inventory"
# oldCertID still names the certificate to update; looked at before a
# key is made
made=$(grep -c 'a key made for the request' "$T/cmpd.log")
kur_raw ckg-kur-other -oldcert "$F/ee.pem"
is "$(t_post "$T/ckg-kur-other.der" /api/v1/protocols/cmp/sig)" 200 "a kur without a key naming another oldCertID"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" failInfo)" kup/badCertId "... refused, badCertId"
is "$(grep -c 'a key made for the request' "$T/cmpd.log")" "$made" "... before a key was made"
is "$(at_ca ckg-upd)" 2 "... the CA was not asked"

# -------------- a CA that answers later: the key is not kept to wait
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/pending' WHERE uuid = '00000000-0000-4000-8000-00000000e0c1'" ||
	bail "switching to the pending CA failed"
is "$(mac ckg-late ir enroll none)" 200 "an ir the CA answers pending"
is "$(dump "$T/resp.der" status)/$(dump "$T/resp.der" failInfo)" rejection/systemUnavail \
	"... refused, systemUnavail (no waiting)"
like "$(dump "$T/resp.der" text)" \
	"a generated key is delivered only at once: try again later" "... the row's text"
like "$(grep -F "outcome=" "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_CKG_LATE" "... logged by name"
late_tid=$(dump "$T/ckg-late.der" tid)
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$late_tid')")" issuing \
	"... its row left issuing, for the sweep"
sleep 5	# issue_pending: the CA has issued it now
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep-now > "$T/sweep.out" 2>&1
diag_file "$T/sweep.out" 5
is "$(t_sql "SELECT t.state, c.status FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
  WHERE t.transaction_id = UNHEX('$late_tid')" | tr '\t' ' ')" "expired revoked" \
	"... what the CA issued for it later is revoked by the sweep"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE uuid = '00000000-0000-4000-8000-00000000e0c1'"

# ------------------------------------------ off again: refused again
is "$(t_api PUT /cmpProfiles/$ENROLL '{"centralKeyGeneration":false}')" 200 "API: centralKeyGeneration off"
is "$(t_json 'j["centralKeyGeneration"]')" false "... shown"
is "$(mac ckg-off2 ir enroll none)" 200 "an ir without a key"
is "$(dump "$T/resp.der" failInfo)" badCertTemplate "... refused again"
like "$(grep -F "outcome=" "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_CKG_NOT_OFFERED" "... logged by name"

done_testing
