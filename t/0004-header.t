#!/bin/sh
# PKIHeader rules (RFC 9810 5.1.1) and the protection checks through the
# whole request path, on edited copies of openssl cmp's own requests.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 300" "body_max = 4194304"
plan_auto

F=$T_FIXTURES
CMP=/api/v1/protocols/cmp/demo
TOOL=$top_builddir/t/cmptool
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }

# expect SRC DESC BODY FAILINFO TEXT EDIT...: the edited request answered so
expect() {
	local src=$1 desc=$2 body=$3 fi=$4 text=$5
	shift 5
	"$TOOL" edit "$F/$src" "$T/req.der" "$@" || bail "cmptool edit $*"
	is "$(t_fcgi "$T/req.der" $CMP)" 200 "$desc: HTTP 200"
	is "$(dump "$T/resp.der" body)" "$body" "$desc: body $body"
	is "$(dump "$T/resp.der" failInfo)" "$fi" "$desc: failInfo $fi"
	is "$(dump "$T/resp.der" text)" "$text" "$desc: text"
}
S=remac=test-secret
T15=000102030405060708090a0b0c0d0e
T16=000102030405060708090a0b0c0d0e0f

expect genm-pbm.der "fresh messageTime" genp "" "" messageTime=0 $S
is "$(dump "$T/resp.der" pvno)" 2 "pvno 2 echoed"
is "$(dump "$T/resp.der" tid)" "$(dump "$T/req.der" tid)" "transactionID echoed"
is "$(dump "$T/resp.der" recipNonce)" "$(dump "$T/req.der" senderNonce)" \
	"recipNonce = request senderNonce"
is "$(dump "$T/resp.der" senderNonce_len)" 16 "16-byte senderNonce"
isnt "$(dump "$T/resp.der" senderNonce)" "$(dump "$T/req.der" senderNonce)" \
	"senderNonce is fresh"
is "$(dump "$T/resp.der" recipient)" "$(dump "$T/req.der" sender)" \
	"recipient is the request's sender"
is "$(dump "$T/resp.der" protected)" 1 "answer protected with the shared secret"
expect genm-pbm.der "messageTime absent" genp "" "" messageTime=none $S
expect genm-pbm.der "pvno 3" genp "" "" messageTime=0 pvno=3 $S
is "$(dump "$T/resp.der" pvno)" 3 "pvno 3 echoed"

# RFC 9810 7: an ErrorMsg with unsupportedVersion, whatever the request,
# in the highest (or lowest) version cmpd speaks
expect ir-pbm.der "pvno 5" error unsupportedVersion "version 5 not supported" \
	messageTime=0 pvno=5
is "$(dump "$T/resp.der" pvno)" 3 "answer to pvno 5 uses pvno 3, the highest cmpd speaks (RFC 9810 7)"
expect ir-pbm.der "pvno 1" error unsupportedVersion "version 1 not supported" \
	messageTime=0 pvno=1
is "$(dump "$T/resp.der" pvno)" 2 "answer to pvno 1 uses pvno 2, the lowest"
expect genm-pbm.der "pvno 1 on a genm" error unsupportedVersion "version 1 not supported" \
	messageTime=0 pvno=1
expect ir-pbm.der "URI sender" ip badRequest "sender must be a directoryName" \
	messageTime=0 sender=uri
expect ir-pbm.der "no transactionID" ip addInfoNotAvailable \
	"mandatory field 'transactionID' is missing" messageTime=0 tid=none
expect ir-pbm.der "15-byte transactionID" ip badRequest \
	"transactionID's value is too short" messageTime=0 tid=$T15
expect genm-pbm.der "16-byte transactionID" genp "" "" \
	messageTime=0 tid=$T16 $S
expect ir-pbm.der "no senderNonce" ip addInfoNotAvailable \
	"mandatory field 'senderNonce' is missing" messageTime=0 senderNonce=none
expect ir-pbm.der "15-byte senderNonce" ip badSenderNonce \
	"senderNonce's value is too short" messageTime=0 senderNonce=$T15
T65=$(printf '%0130d' 7)
expect ir-pbm.der "65-byte senderNonce" ip badSenderNonce \
	"senderNonce's value is too long" messageTime=0 senderNonce=$T65
is "$(dump "$T/resp.der" recipNonce)" "$T65" "... echoed as the refusal's recipNonce"
expect ir-pbm.der "65-byte transactionID" ip badRequest \
	"transactionID's value is too long" messageTime=0 tid=$T65
is "$(dump "$T/resp.der" tid)" "$T65" "... echoed in the refusal"
expect ir-pbm.der "recipNonce in an ir" ip badRecipientNonce \
	"recipNonce must be absent in the first message of a transaction" \
	messageTime=0 recipNonce=$T16
expect genm-pbm.der "recipNonce in an rr" error badRecipientNonce \
	"recipNonce must be absent in the first message of a transaction" \
	messageTime=0 recipNonce=$T16
expect certConf-pbm.der "certConf without recipNonce" error badRecipientNonce \
	"mandatory field 'recipNonce' is missing" messageTime=0 recipNonce=none
expect ir-pbm.der "messageTime an hour ago" ip badTime \
	"messageTime is more than 300 seconds away from the server's time" \
	messageTime=-3600
expect ir-pbm.der "messageTime in an hour" ip badTime \
	"messageTime is more than 300 seconds away from the server's time" \
	messageTime=3600
is "$(dump "$T/resp.der" protected)" 0 "... unprotected: its MAC is broken"
expect ir-pbm.der "messageTime in an hour, MAC'd again" ip badTime \
	"messageTime is more than 300 seconds away from the server's time" \
	messageTime=3600 $S
is "$(dump "$T/resp.der" protected)" 1 "... MAC'd: the request's MAC verified"
expect genm-pbm.der "messageTime 200 s ago" genp "" "" messageTime=-200 $S
expect genm-pbm.der "a changed message without a new MAC" error badMessageCheck \
	"PN=demo | message authentication failed" messageTime=0

# protection
expect ir-pbm.der "unprotected" ip notAuthorized \
	"PN=demo | unprotected requests are not accepted" \
	messageTime=0 protection=none protectionAlg=none
expect genm-pbm.der "unprotected genm" error notAuthorized \
	"PN=demo | unprotected requests are not accepted" \
	messageTime=0 protection=none protectionAlg=none
expect ir-pbm.der "protectionAlg without protection" ip badMessageCheck \
	"protectionAlg present without protection" messageTime=0 protection=none
expect ir-none.der "protection without protectionAlg" ip badMessageCheck \
	"protection present without protectionAlg" messageTime=0 \
	protection=x
expect ir-pbm.der "unknown protection algorithm" ip badAlg \
	"protection algorithm 1.2.3.4 not supported" messageTime=0 \
	protectionAlg=1.2.3.4
expect ir-sig.der "16 extraCerts" ip wrongIntegrity "PN=demo | message protection does not match the profile's request protection method (sharedSecret)" \
	messageTime=0 extraCerts=16
expect ir-sig.der "17 extraCerts" ip badRequest "too many extraCerts (at most 16)" \
	messageTime=0 extraCerts=17

# Certificates whose EC keys carry explicit parameters (RFC 5480 2.1.1:
# not in PKIX) on a 656-bit prime field whose p - 1 has 2^645 as a
# factor: libcrypto, building such a curve, takes a modular square root
# of about a tenth of a second per point. extraCerts are read before any
# check, so their keys are not built: 300 such certificates (about 200
# kB) are refused at once as too many, and 16 get the answer 16 other
# certificates get.
cat > "$T/explicit.py" << 'EOF'
import sys
from der import T, INT, OID, SEQ
def prime(n):
    return all(pow(a, n - 1, n) == 1 for a in (2, 3, 5, 7, 11, 13))
def on_curve_x(x, p, a, b):	# y^2 = x^3 + ax + b has a root
    while pow((x**3 + a * x + b) % p, (p - 1) // 2, p) != 1:
        x += 1
    return x
if len(sys.argv) > 4 and sys.argv[4] == 'p224':
    # a named curve, the key a compressed point: P-224's p - 1 has 2^96
    # as a factor, its square root takes libcrypto about half a millisecond
    p = 2**224 - 2**96 + 1
    b = 0xb4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4
    kx = on_curve_x(1000, p, -3, b)
    spki = SEQ(SEQ(OID('1.2.840.10045.2.1'), OID('1.3.132.0.33')),
               T(0x03, b'\x00\x02' + kx.to_bytes(28, 'big')))
else:
    k = 1025
    while not prime(k * 2**645 + 1):
        k += 2
    p = k * 2**645 + 1
    nb = (p.bit_length() + 7) // 8
    b = 5
    gx, kx = on_curve_x(2, p, 1, b), on_curve_x(1000, p, 1, b)
    params = SEQ(INT(1), SEQ(OID('1.2.840.10045.1.1'), INT(p)),
                 SEQ(T(0x04, (1).to_bytes(nb, 'big')), T(0x04, b.to_bytes(nb, 'big'))),
                 T(0x04, b'\x02' + gx.to_bytes(nb, 'big')), INT(p), INT(1))
    spki = SEQ(SEQ(OID('1.2.840.10045.2.1'), params),
               T(0x03, b'\x00\x02' + kx.to_bytes(nb, 'big')))
name = SEQ(T(0x31, SEQ(OID('2.5.4.3'), T(0x0c, b'explicit'))))
alg = SEQ(OID('1.2.840.10045.4.3.2'))
def cert(serial):
    tbs = SEQ(T(0xa0, INT(2)), INT(serial), alg, name,
              SEQ(T(0x17, b'250101000000Z'), T(0x17, b'350101000000Z')), name, spki)
    return SEQ(tbs, alg, T(0x03, b'\x00' + SEQ(INT(1), INT(1))))
def tlv(d, i):			# the element at i: tag, content start, end
    n, j = d[i + 1], i + 2
    if n & 0x80:
        n, j = int.from_bytes(d[j:j + (n & 0x7f)], 'big'), j + (n & 0x7f)
    return d[i], j, j + n
msg = open(sys.argv[1], 'rb').read()
_, i, end = tlv(msg, 0)
parts = []			# header, body, protection: as they are
while i < end:
    tag, _, e = tlv(msg, i)
    if tag != 0xa1:
        parts.append(msg[i:e])
    i = e
certs = b''.join(cert(1000 + n) for n in range(int(sys.argv[3])))
open(sys.argv[2], 'wb').write(SEQ(*parts, T(0xa1, SEQ(certs))))
EOF
"$TOOL" edit "$F/ir-sig.der" "$T/base.der" messageTime=0 || bail "cmptool edit"
export PYTHONPATH=$top_srcdir/t/lib
/usr/bin/python3 "$T/explicit.py" "$T/base.der" "$T/explicit-300.der" 300 ||
	bail "the certificates with explicit parameters"
diag "300 certificates with explicit EC parameters: $(wc -c < "$T/explicit-300.der") bytes"
is "$(t_fcgi "$T/explicit-300.der" $CMP)" 200 "300 extraCerts with explicit EC parameters: answered"
is "$(dump "$T/resp.der" text)" "too many extraCerts (at most 16)" "... too many"
/usr/bin/python3 "$T/explicit.py" "$T/base.der" "$T/explicit-16.der" 16 ||
	bail "the certificates with explicit parameters"
is "$(t_fcgi "$T/explicit-16.der" $CMP)" 200 "16 of them: answered"
is "$(dump "$T/resp.der" failInfo)" wrongIntegrity "... as 16 other certificates are"

# Certificates of P-224 keys as compressed points, each with a serial of
# its own (so that no certificate cache helps): a key costs libcrypto a
# square root, about a millisecond with its decoder. Only the keys of as
# many certificates as a message may carry are decoded: 12 000 of them
# (about 2 MB) cost the worker a small part of what 12 000
# keys would (12 s and more), and are refused as too many.
workers_cpu() {	# clock ticks of the workers so far
	for pid in $(t_cmpd_workers); do
		cut -d ' ' -f 14,15 "/proc/$pid/stat"
	done | awk '{ t += $1 + $2 } END { print t + 0 }'
}
/usr/bin/python3 "$T/explicit.py" "$T/base.der" "$T/p224-many.der" 12000 p224 ||
	bail "the P-224 certificates"
diag "12 000 certificates of P-224 keys: $(wc -c < "$T/p224-many.der") bytes"
cpu0=$(workers_cpu)
is "$(t_fcgi "$T/p224-many.der" $CMP)" 200 "12 000 extraCerts of compressed P-224 keys: answered"
cpu=$(( $(workers_cpu) - cpu0 ))
is "$(dump "$T/resp.der" text)" "too many extraCerts (at most 16)" "... too many"
ok "... for $cpu clock ticks of the workers' CPU time, below 400 (4 s)" [ "$cpu" -lt 400 ]
/usr/bin/python3 "$T/explicit.py" "$T/base.der" "$T/p224-16.der" 16 p224 ||
	bail "the P-224 certificates"
is "$(t_fcgi "$T/p224-16.der" $CMP)" 200 "16 of them: answered"
is "$(dump "$T/resp.der" failInfo)" wrongIntegrity "... as 16 other certificates are"
done_testing
