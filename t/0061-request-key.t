#!/bin/sh
# The public key a certificate is asked for is checked before the CA is:
# a key under key_security_level (RSA 1024, EC P-192 by default, in an ir,
# a cr or a p10cr) is badCertTemplate, and so is a key other than the CMP
# Profile's certReqTemplate asks for in keySpec (another curve, an RSA key
# too short), or a keyUsage or extendedKeyUsage it does not offer. The CA
# never sees them. At level 0 the CA judges the key's strength.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info" "profile_cache = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
API_KEY=$(t_api_key admin admin)
plan_auto

key() { openssl genpkey "$@" 2>/dev/null || bail "openssl genpkey $* failed"; }
key -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/p256.key"
key -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/p384.key"
key -algorithm EC -pkeyopt ec_paramgen_curve:prime192v1 -out "$T/p192.key"
key -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/rsa1024.key"
key -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/rsa2048.key"
# cmp OUT ARGS...: openssl cmp on the shared-secret profile
cmp() {
	local out=$1
	shift
	timeout 60 openssl cmp -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd -ref "$ENROLL_REF" \
		-secret "pass:$ENROLL_SECRET" -msg_timeout 20 -total_timeout 40 \
		-certout "$T/out.crt" -unprotected_errors "$@" > "$out" 2>&1
}
at_ca() { t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject = 'CN=$1'"; }
# refused NAME OUTCOME TEXT ARGS...: an ir (or what ARGS say) refused
# with TEXT, the CA not asked
refused() {
	local name=$1 outcome=$2 text=$3
	shift 3
	nok "$name: refused" cmp "$T/$name.out" -subject "/CN=$name" "$@"
	like "$(cat "$T/$name.out")" "badCertTemplate" "... badCertTemplate"
	like "$(cat "$T/$name.out")" "$text" "... the row's text"
	like "$(grep -F "outcome=" "$T/cmpd.log" | tail -n 1)" "outcome=$outcome" \
		"... logged as $outcome"
	is "$(at_ca "$name")" 0 "... the CA was not asked"
}

ok "an ir for an EC P-256 key" cmp "$T/ok.out" -cmd ir -newkey "$T/p256.key" -subject /CN=k-p256
is "$(at_ca k-p256)" 1 "... issued"
ok "an ir for an RSA 2048 key" cmp "$T/ok.out" -cmd ir -newkey "$T/rsa2048.key" -subject /CN=k-rsa2048
is "$(at_ca k-rsa2048)" 1 "... issued"

refused k-rsa1024 CMPF_KEY_WEAK \
	"PN=enroll \| the public key is too weak: RSA of 1024 bits has 80 bits of security, less than 112" \
	-cmd ir -newkey "$T/rsa1024.key"
refused k-p192 CMPF_KEY_WEAK \
	"the public key is too weak: EC of 192 bits has 80 bits of security, less than 112" \
	-cmd cr -newkey "$T/p192.key"
openssl req -new -key "$T/rsa1024.key" -subj /CN=k-p10 -out "$T/weak.csr" 2>/dev/null ||
	bail "openssl req failed"
nok "a p10cr for an RSA 1024 key: refused" cmp "$T/k-p10.out" -cmd p10cr -csr "$T/weak.csr"
like "$(cat "$T/k-p10.out")" "the public key is too weak: RSA of 1024 bits" "... the row's text"
is "$(at_ca k-p10)" 0 "... the CA was not asked"

# keySpec, set through the API, read by the next request
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 '{"certReqTemplate":{"keySpec":"EC:secp384r1"}}')" 200 \
	"API: certReqTemplate keySpec EC:secp384r1"
refused k-spec CMPF_KEY_SPEC \
	"PN=enroll \| the public key does not meet the certReqTemplate's keySpec EC:secp384r1" \
	-cmd ir -newkey "$T/p256.key"
ok "an ir for a P-384 key fits it" cmp "$T/ok.out" -cmd ir -newkey "$T/p384.key" -subject /CN=k-p384
is "$(at_ca k-p384)" 1 "... issued"
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 '{"certReqTemplate":{"keySpec":"RSA:3072"}}')" 200 \
	"API: keySpec RSA:3072"
refused k-short CMPF_KEY_SPEC "the certReqTemplate's keySpec RSA:3072" \
	-cmd ir -newkey "$T/rsa2048.key"

# keyUsage and extendedKeyUsage: no more than the template offers
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 \
	'{"certReqTemplate":{"keyUsage":["digitalSignature"],"extendedKeyUsage":["clientAuth","1.3.6.1.5.5.7.3.10"]}}')" \
	200 "API: certReqTemplate keyUsage and extendedKeyUsage"
cat > "$T/exts.cnf" <<'EOF2'
[client]
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[server]
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth,serverAuth
EOF2
ok "an ir within the template's usages" \
	cmp "$T/ok.out" -config "$T/exts.cnf" -reqexts client -cmd ir -newkey "$T/p256.key" -subject /CN=k-client
is "$(at_ca k-client)" 1 "... issued"
refused k-server CMPF_TEMPLATE_NOT_OFFERED \
	"PN=enroll \| the request asks for extendedKeyUsage serverAuth, which the CMP Profile's certReqTemplate does not offer" \
	-config "$T/exts.cnf" -reqexts server -cmd ir -newkey "$T/p256.key"
openssl req -new -key "$T/rsa2048.key" -subj /CN=k-p10-ku -addext keyUsage=critical,digitalSignature,keyEncipherment \
	-out "$T/ku.csr" 2>/dev/null || bail "openssl req failed"
nok "a p10cr asking for keyEncipherment: refused" cmp "$T/k-p10-ku.out" -cmd p10cr -csr "$T/ku.csr"
like "$(cat "$T/k-p10-ku.out")" "the request asks for keyUsage keyEncipherment, which the CMP Profile's certReqTemplate does not offer" \
	"... the row's text"
is "$(at_ca k-p10-ku)" 0 "... the CA was not asked"

# templates the API would not take, written in SQL: nothing is enrolled
unusable() {	# unusable NAME WHAT TEMPLATE: an ir under TEMPLATE refused
	t_sql "UPDATE cmp_profile SET cert_req_template = '$3' WHERE name = 'enroll'"
	nok "$2, written in SQL: the ir is refused" \
		cmp "$T/$1.out" -cmd ir -newkey "$T/p256.key" -subject "/CN=$1"
	like "$(cat "$T/$1.out")" "PN=enroll \| the CMP Profile's certReqTemplate is unusable" \
		"... the row's text"
	is "$(at_ca "$1")" 0 "... the CA was not asked"
}
unusable k-bad-spec "an unknown curve" '{"keySpec": "EC:nosuch"}'
unusable k-bad-ku "an unknown keyUsage" '{"keyUsage": ["fly"]}'
# (MariaDB's JSON functions would read no keySpec there)
unusable k-bad-json "a template that is not JSON" '{"keySpec": "EC:secp384r1"'
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 '{"certReqTemplate":null}')" 200 "API: template removed"
ok "without a template, any usage" \
	cmp "$T/ok.out" -config "$T/exts.cnf" -reqexts server -cmd ir -newkey "$T/p256.key" -subject /CN=k-any
is "$(at_ca k-any)" 1 "... issued"

# key_security_level 0 leaves the key's strength to the CA
t_write_conf "message_time_skew = 0" "log_level = info" "profile_cache = 0" "key_security_level = 0"
t_start_cmpd || bail "cmpd did not start again"
nok "key_security_level 0: an ir for an RSA 1024 key goes to the CA" \
	cmp "$T/k-legacy.out" -cmd ir -newkey "$T/rsa1024.key" -subject /CN=k-legacy
like "$(cat "$T/k-legacy.out")" "the certificate authority refused the request: public key is too weak" \
	"... which refuses it itself"

# a keySpec weaker than key_security_level: no key would meet both
t_write_conf "message_time_skew = 0" "log_level = info" "profile_cache = 0" "key_security_level = 3"
t_start_cmpd || bail "cmpd did not start again"
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 '{"certReqTemplate":{"keySpec":"RSA:2048"}}')" 422 \
	"key_security_level 3: API refuses keySpec RSA:2048"
is "$(t_json 'j["message"]')" \
	"certReqTemplate.keySpec RSA:2048 has 112 bits of security, less than the 128 key_security_level asks for: no key would be accepted" \
	"... and says why"
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 '{"certReqTemplate":{"keySpec":"EC:secp224r1"}}')" 422 \
	"... and EC:secp224r1"
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 '{"certReqTemplate":{"keySpec":"RSA:3072"}}')" 200 \
	"... takes RSA:3072"
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 '{"certReqTemplate":{"keySpec":"EC:prime256v1"}}')" 200 \
	"... and EC:prime256v1"

done_testing
