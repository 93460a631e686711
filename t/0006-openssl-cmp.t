#!/bin/sh
# The real client: openssl cmp through lighttpd gets each profile check's
# text, for ir, cr, p10cr, kur, rr and genm, on both routes.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack
t_start_lighttpd || bail "lighttpd did not start"
plan_auto

F=$T_FIXTURES
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/new.key" 2>/dev/null

# client PATH CMD [extra args]: runs openssl cmp, output in $T/client.out,
# returns its exit status
client() {
	local path=$1 cmd=$2
	shift 2
	timeout 60 openssl cmp -cmd "$cmd" -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -unprotected_errors \
		-msg_timeout 20 -total_timeout 30 "$@" > "$T/client.out" 2>&1
}
PBM="-ref x -secret pass:x"
SIG="-cert $F/ee.pem -key $F/ee.key -trusted $F/root.pem"

# expect DESC PATH TEXT FAILINFO CMD ARGS...: the client fails and prints
# the server's text and failInfo
expect() {
	local desc=$1 path=$2 text=$3 fi=$4
	shift 4
	nok "$desc: openssl cmp exits non-zero" client "$path" "$@"
	like "$(cat "$T/client.out")" "$(printf '%s' "$text" | sed 's/[][\.*^$|()+?{}]/\\&/g')" \
		"$desc: client prints the text"
	like "$(cat "$T/client.out")" "$fi" "$desc: client prints $fi"
}

CMP=/api/v1/protocols/cmp
RA=/api/v1/protocols/cmp/raProfile
# openssl cmp 3.0.19 wants -certout before it sends an enrollment request
OUT="-certout $T/out.crt"
IR="ir -newkey $T/new.key -subject /CN=t $OUT"

# the first enrolment command cmpd answered, with the port and -certout
expect "ir, unknown CMP Profile" $CMP/nosuch \
	"PN=nosuch | Requested CMP Profile not found" systemFailure $IR $PBM
expect "ir, CMP Profile disabled" $CMP/cmp-off \
	"PN=cmp-off | CMP Profile is not enabled" systemFailure $IR $PBM
expect "ir, CMP Profile without RA Profile" $CMP/cmp-nora \
	"PN=cmp-nora | CMP Profile does not contain associated RA Profile" \
	systemFailure $IR $PBM
expect "ir, default RA Profile disabled" $CMP/cmp-raoff \
	"PN=cmp-raoff | RA Profile is not enabled" systemFailure $IR $PBM
expect "ir, no signing certificate" $CMP/cmp-sig-nocert \
	"PN=cmp-sig-nocert | CMP profile does not have any associated CA certificate" \
	systemFailure $IR $SIG
expect "ir, no signing chain" $CMP/cmp-sig-nochain \
	"PN=cmp-sig-nochain | CMP Profile does not have associated CA certificate chain" \
	systemFailure $IR $SIG
expect "ir, unknown RA Profile" $RA/nosuch \
	"PN=nosuch | Requested RA Profile not found" systemFailure $IR $PBM
expect "ir, RA Profile disabled" $RA/ra-off \
	"PN=ra-off | RA Profile is not enabled" systemFailure $IR $PBM
expect "ir, RA Profile without CMP" $RA/ra-nocmp \
	"PN=ra-nocmp | RA Profile does not contain associated CMP Profile" \
	systemFailure $IR $PBM
expect "ir, RA Profile's CMP Profile disabled" $RA/ra-cmpoff \
	"PN=ra-cmpoff | CMP Profile is not enabled" systemFailure $IR $PBM
expect "ir, RFC 9811 path" /.well-known/cmp/p/nosuch \
	"PN=nosuch | Requested CMP Profile not found" systemFailure $IR $PBM

# other request types
expect "cr" $CMP/nosuch "PN=nosuch | Requested CMP Profile not found" \
	systemFailure cr -newkey "$T/new.key" -subject /CN=t $OUT $PBM
expect "p10cr" $RA/nosuch "PN=nosuch | Requested RA Profile not found" \
	systemFailure p10cr -csr "$F/new.csr" $OUT $PBM
expect "kur" $CMP/cmp-off "PN=cmp-off | CMP Profile is not enabled" \
	systemFailure kur -newkey "$T/new.key" -oldcert "$F/ee.pem" $OUT $SIG
expect "rr" $CMP/nosuch "PN=nosuch | Requested CMP Profile not found" \
	systemFailure rr -oldcert "$F/ee.pem" $PBM
expect "genm" $RA/ra-off "PN=ra-off | RA Profile is not enabled" \
	systemFailure genm $PBM

# valid profiles, for now
expect "ir with a wrong secret" $CMP/demo \
	"PN=demo | message authentication failed" badMessageCheck $IR $PBM
GOOD="-ref x -secret pass:test-secret"
expect "ir whose CA is down" $CMP/demo \
	"PN=demo | the certificate authority is unavailable, try again later" \
	systemUnavail $IR $GOOD
expect "rr for a certificate this RA Profile never issued" $RA/ra-on \
	"PN=ra-on | no such certificate issued through this RA Profile" badCertId \
	rr -oldcert "$F/ee.pem" $GOOD
expect "genm without an InfoTypeAndValue" $RA/ra-on \
	"PN=ra-on | a genm must carry exactly one InfoTypeAndValue (it has 0)" \
	badRequest genm $GOOD
expect "unprotected ir" $CMP/demo \
	"PN=demo | unprotected requests are not accepted" notAuthorized $IR \
	-unprotected_requests
expect "signature-protected ir on a shared-secret profile" $CMP/demo \
	"PN=demo | message protection does not match the profile's request protection method (sharedSecret)" \
	wrongIntegrity $IR $SIG

# A device whose clock is an hour behind: the header's refusal (badTime)
# is MAC'd with the secret the request proved it knows, so the client
# takes it without -unprotected_errors and can tell what is wrong.
command -v faketime > /dev/null || bail "faketime is missing: contrib/deps.sh installs it"
late() {
	timeout 60 faketime -f -1h openssl cmp -cmd "$1" -server "127.0.0.1:$HTTP_PORT" \
		-path "$CMP/demo" -recipient /CN=cmpd -msg_timeout 20 -total_timeout 30 \
		$GOOD $2 > "$T/client.out" 2>&1
}
for cmd in ir genm; do
	args=; [ "$cmd" = ir ] && args="-newkey $T/new.key -subject /CN=t $OUT"
	nok "$cmd from a clock an hour behind: refused" late "$cmd" "$args"
	like "$(cat "$T/client.out")" "badTime" "... the client reads badTime"
	like "$(cat "$T/client.out")" "messageTime is more than 300 seconds away from the server's time" \
		"... and the text"
	unlike "$(cat "$T/client.out")" "missing protection|unprotected" \
		"... from an answer MAC'd for it"
done
GOOD="-ref x -secret pass:wrong"
nok "the same with a wrong secret" late genm
like "$(cat "$T/client.out")" "missing protection|unprotected" \
	"... gets an unprotected error, which the client refuses"
done_testing
