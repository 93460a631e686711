#!/bin/sh
# Certificates signed with Ed448 (cmp-localca on an Ed448 CA key): the
# certConf's certHash is SHAKE256 of 512 bits (RFC 9481 3.3), also when
# hashAlg names id-shake256 (pvno 3), and the first 256 bits of it, as
# OpenSSL 3.0's client sends; another hash is refused.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
D=$T/ca448
mkdir -p "$D"
openssl req -x509 -newkey ed448 -nodes -keyout "$D/ca.key" -out "$D/ca.crt" -days 30 \
	-subj "/O=cmpd tests/CN=Ed448 CA" -addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	cp "$D/ca.crt" "$D/chain.pem" || bail "the Ed448 CA could not be made"
t_start_localca "ca_dir = $D"
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

CMP=/api/v1/protocols/cmp/enroll
TOOL=$top_builddir/t/cmptool
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
state() { t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$1')"; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
# ir CN [args]: an ir with the shared secret, the ip in $T/CN-ip.der
ir() {
	local cn=$1
	shift
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path $CMP \
		-recipient /CN=cmpd -ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
		-newkey "$T/dev.key" -subject "/CN=$cn" -certout "$T/$cn.crt" \
		-rspout "$T/$cn-ip.der" "$@" > "$T/$cn.out" 2>&1
}

ok "openssl cmp enrols with certConf (its certHash: 256 bits of SHAKE256)" ir ed448-1
diag_file "$T/ed448-1.out" 5
like "$(openssl x509 -in "$T/ed448-1.crt" -noout -text)" "Signature Algorithm: ED448" \
	"the certificate is signed with Ed448"
is "$(state "$(dump "$T/ed448-1-ip.der" tid)")" confirmed "confirmed"

# certConf IP HOW: made by cmptool, answered into $T/resp.der
certconf() {
	"$TOOL" certconf "$1" "$T/cc.der" "$ENROLL_SECRET" "$2" &&
	[ "$(t_post "$T/cc.der" $CMP)" = 200 ]
}
for how in shake shakealg; do
	ok "ir for ed448-$how, its certConf left to cmptool" ir "ed448-$how" -disable_confirm
	tid=$(dump "$T/ed448-$how-ip.der" tid)
	is "$(state "$tid")" confirm_wait "waiting for the certConf"
	ok "certConf sent ($how)" certconf "$T/ed448-$how-ip.der" "$how"
	like "$(openssl asn1parse -inform DER -in "$T/cc.der")" "l= *64 prim: OCTET STRING" \
		"... its certHash of 64 bytes"
	is "$(dump "$T/resp.der" body)" pkiconf "certHash of 512 bits ($how): pkiConf"
	is "$(state "$tid")" confirmed "... confirmed"
done
ok "ir for ed448-sha, its certConf left to cmptool" ir ed448-sha -disable_confirm
tid=$(dump "$T/ed448-sha-ip.der" tid)
ok "certConf with SHA-256 of the certificate sent" certconf "$T/ed448-sha-ip.der" ok
is "$(dump "$T/resp.der" failInfo)" badCertId "another hash of 256 bits: badCertId"
is "$(state "$tid")" confirm_wait "... nothing confirmed"
done_testing
