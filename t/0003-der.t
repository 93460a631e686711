#!/bin/sh
# Bodies that are not one DER PKIMessage: HTTP 400 with an unprotected CMP
# error (badDataFormat), the header echoed where it could be decoded, and
# the worker unharmed.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
plan_auto

IR=$T_FIXTURES/genm-pbm.der
CMP=/api/v1/protocols/cmp
dump() { "$top_builddir/t/cmptool" dump "$1" | sed -n "s/^$2=//p"; }
req_tid=$(dump "$IR" tid)
req_nonce=$(dump "$IR" senderNonce)
size=$(wc -c < "$IR")
# length of the outer SEQUENCE's tag and length octets
b1=$(od -An -tu1 -j1 -N1 "$IR" | tr -d ' ')
if [ "$b1" -lt 128 ]; then outer=2; else outer=$((2 + b1 - 128)); fi

# bad FILE DESC [echo]: 400 + badDataFormat error; with echo, the request's
# transactionID and senderNonce come back
bad() {
	is "$(t_fcgi "$1" $CMP/demo)" 400 "$2: HTTP 400"
	is "$(t_header Content-Type)" application/pkixcmp "$2: CMP error body"
	is "$(dump "$T/resp.der" body)" error "$2: error body"
	is "$(dump "$T/resp.der" failInfo)" badDataFormat "$2: badDataFormat"
	is "$(dump "$T/resp.der" text)" "message is not a DER-encoded PKIMessage" \
		"$2: text"
	is "$(dump "$T/resp.der" sender)" "CN=cmpd" "$2: sender is server_name"
	if [ "${3-}" = echo ]; then
		is "$(dump "$T/resp.der" tid)" "$req_tid" "$2: transactionID echoed"
		is "$(dump "$T/resp.der" recipNonce)" "$req_nonce" \
			"$2: recipNonce = request senderNonce"
	else
		is "$(dump "$T/resp.der" tid)" "" "$2: no transactionID to echo"
	fi
}

printf 'this is not DER at all' > "$T/garbage"
bad "$T/garbage" "text"
head -c 2000 /dev/urandom > "$T/random"
bad "$T/random" "random bytes"
printf '\x30\x00' > "$T/emptyseq"
bad "$T/emptyseq" "empty SEQUENCE"
head -c 3 "$IR" > "$T/t3"
bad "$T/t3" "first 3 bytes"
head -c $((size - 1)) "$IR" > "$T/t1"
bad "$T/t1" "last byte missing" echo
head -c $((size - 30)) "$IR" > "$T/thalf"
bad "$T/thalf" "cut in the protection" echo
{ cat "$IR"; printf '\x00'; } > "$T/trail"
bad "$T/trail" "one trailing byte" echo
cat "$IR" "$IR" > "$T/twice"
bad "$T/twice" "two messages" echo
# BER: the outer SEQUENCE with an indefinite length
{ printf '\x30\x80'; tail -c +$((outer + 1)) "$IR"; printf '\x00\x00'; } > "$T/ber"
bad "$T/ber" "indefinite length (BER)" echo
# a length field far beyond the body
{ printf '\x30\x84\x7f\xff\xff\xff'; tail -c +$((outer + 1)) "$IR"; } > "$T/biglen"
bad "$T/biglen" "length 2 GiB" echo
# 10 000 nested SEQUENCEs
for _ in $(seq 1 100); do printf '\x30\x80'; done > "$T/deep1"
for _ in $(seq 1 100); do cat "$T/deep1"; done > "$T/deep"
bad "$T/deep" "10 000 nested SEQUENCEs"

# the header decodes, the body is no PKIBody ([30] with a NULL): the header
# is echoed
line=$(openssl asn1parse -inform DER -in "$IR" | sed -n 2p)
off=${line%%:*}
hl=$(printf '%s\n' "$line" | sed -n 's/.*hl= *\([0-9]*\) *l= *\([0-9]*\).*/\1 \2/p')
hlen=$(( ${hl% *} + ${hl#* } ))
tail -c +$((off + 1)) "$IR" | head -c "$hlen" > "$T/hdr"
total=$((hlen + 4))
{
	printf '\x30\x82'
	printf "\\x$(printf %02x $((total / 256)))\\x$(printf %02x $((total % 256)))"
	cat "$T/hdr"
	printf '\xbe\x02\x05\x00'
} > "$T/badbody"
bad "$T/badbody" "header fine, body [30]" echo
ok "cmpd alive after all of it" kill -0 "$CMPD_PID"
is "$(t_fcgi "$IR" $CMP/demo)" 200 "and a good request is still answered"
is "$(dump "$T/resp.der" body)" genp "with the right answer"
nok "no worker died" grep -q "killed by signal" "$T/cmpd.log"
done_testing
