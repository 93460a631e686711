#!/bin/sh
# PKIHeader rules (RFC 9810 5.1.1) and the protection checks through the
# whole request path, on edited copies of openssl cmp's own requests.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 300"
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

expect ir-pbm.der "pvno 5" ip unsupportedVersion "version 5 not supported" \
	messageTime=0 pvno=5
is "$(dump "$T/resp.der" pvno)" 3 "answer to pvno 5 uses pvno 3, the highest cmpd speaks (RFC 9810 7)"
expect ir-pbm.der "pvno 1" ip unsupportedVersion "version 1 not supported" \
	messageTime=0 pvno=1
is "$(dump "$T/resp.der" pvno)" 2 "answer to pvno 1 uses pvno 2, the lowest"
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
done_testing
