#!/bin/sh
# The certificate profile a request names (RFC 9810 5.1.1.4, RFC 9483
# 3.1): certProfile in the header's generalInfo, one name per CertReqMsg.
# A name is offered when it is the CMP Profile's or its RA Profile's; any
# other refuses its request with badCertTemplate before the CA is asked.
# A value that does not decode, one given twice or more names than
# requests refuse the message. A certConf may carry it (OpenSSL's client
# sends its generalInfo with every message): not looked at.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

TOOL=$top_builddir/t/cmptool
GENM=$top_builddir/t/cmpgenm
API_KEY=$(t_api_key admin admin)
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
at_ca() { t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject = 'CN=$1'"; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null ||
	bail "openssl genpkey failed"

# send NAME CMD EDITS...: the CMD (ir, p10cr) for CN=NAME as openssl cmp
# writes it (its mock server answers), with cmptool's EDITS and MAC'd
# again, posted to the enroll profile; the answer in $T/resp.der, the
# request sent in $T/NAME.der
send() {
	local name=$1 cmd=$2 what
	shift 2
	rm -f "$T/$name-raw.der"
	if [ "$cmd" = p10cr ]; then
		openssl req -new -key "$T/dev.key" -subj "/CN=$name" -out "$T/$name.csr" 2>/dev/null ||
			bail "openssl req failed"
		what="-csr $T/$name.csr"
	else
		what="-newkey $T/dev.key -subject /CN=$name"
	fi
	# shellcheck disable=SC2086
	openssl cmp -config "" -use_mock_srv -batch -recipient /CN=cmpd \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
		-srv_ref "$ENROLL_REF" -srv_secret "pass:$ENROLL_SECRET" \
		-rsp_cert "$T_FIXTURES/new.pem" -certout "$T/mock-cert.pem" \
		-reqout "$T/$name-raw.der,$T/mock-req2.der" -cmd "$cmd" $what \
		> "$T/client.out" 2>&1
	# the mock's certificate is not for this key: the client refuses it,
	# after it wrote the request
	[ -s "$T/$name-raw.der" ] || bail "openssl cmp -use_mock_srv wrote no $cmd for $name"
	"$TOOL" edit "$T/$name-raw.der" "$T/$name.der" "$@" remac="$ENROLL_SECRET" ||
		bail "cmptool edit failed for $name"
	t_post "$T/$name.der" /api/v1/protocols/cmp/enroll
}
# refused NAME FAILINFO TEXT: the answer's one CertResponse refused
refused() {
	is "$(dump "$T/resp.der" status)" rejection "$1: rejection"
	is "$(dump "$T/resp.der" failInfo)" "$2" "... $2"
	like "$(dump "$T/resp.der" text)" "$3" "... the row's text"
	is "$(at_ca "$1")" 0 "... the CA was not asked"
}

# ---------------------------------------------- names this profile has
is "$(send cp-own ir certProfile=enroll)" 200 "ir naming the CMP Profile: answered"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" status)" ip/accepted "... accepted"
is "$(at_ca cp-own)" 1 "... issued"
cp "$T/resp.der" "$T/ip-own.der"
is "$(send cp-ra ir certProfile=ra-enroll)" 200 "ir naming its RA Profile"
is "$(dump "$T/resp.der" status)" accepted "... accepted"
is "$(send cp-none ir)" 200 "ir naming none"
is "$(dump "$T/resp.der" status)" accepted "... accepted"

# a certConf carrying a certProfile of its own is not looked at
"$TOOL" certconf "$T/ip-own.der" "$T/cc0.der" "$ENROLL_SECRET" || bail "cmptool certconf failed"
"$TOOL" edit "$T/cc0.der" "$T/cc.der" pbmfrom="$T/cp-own.der" certProfile=elsewhere \
	remac="$ENROLL_SECRET" || bail "cmptool edit failed"
is "$(t_post "$T/cc.der" /api/v1/protocols/cmp/enroll)" 200 "certConf with a certProfile"
is "$(dump "$T/resp.der" body)" pkiconf "... pkiconf"
is "$(t_sql "SELECT state FROM cmp_transaction WHERE transaction_id = UNHEX('$(dump "$T/cp-own.der" tid)')")" \
	confirmed "... the transaction confirmed"

# ---------------------------------------------------- any other name
is "$(send cp-other ir certProfile=tls-server)" 200 "ir naming another profile: answered"
is "$(dump "$T/resp.der" body)" ip "... in an ip"
refused cp-other badCertTemplate \
	"PN=enroll \| the request names certificate profile tls-server, which is not offered here"
like "$(grep -F "outcome=" "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_CERT_PROFILE_UNKNOWN" \
	"... logged by name"
is "$(send cp-case ir certProfile=Enroll)" 200 "names compare exactly"
refused cp-case badCertTemplate "certificate profile Enroll, which is not offered here"
is "$(send cp-odd ir "certProfile=a b")" 200 "a name no profile can have"
refused cp-odd badCertTemplate "certificate profile \\(no profile name\\), which"
is "$(send cp-p10 p10cr certProfile=tls-server)" 200 "p10cr naming another profile"
is "$(dump "$T/resp.der" body)" cp "... in a cp"
refused cp-p10 badCertTemplate "certificate profile tls-server, which is not offered here"
is "$(send cp-p10ok p10cr certProfile=enroll)" 200 "p10cr naming the CMP Profile"
is "$(dump "$T/resp.der" status)" accepted "... accepted"

# ------------------------------------- one name per CertReqMsg, in order
is "$(send cp-two ir addreq=1 certProfile=enroll,tls-server)" 200 "two CertReqMsgs, two names"
is "$("$TOOL" dump "$T/resp.der" | grep -c '^status=')" 2 "... two CertResponses"
is "$("$TOOL" dump "$T/resp.der" | sed -n 's/^status=//p' | tr '\n' ' ')" "accepted rejection " \
	"... the first accepted, the second (another profile) refused"
like "$("$TOOL" dump "$T/resp.der" | sed -n 's/^text=//p')" "certificate profile tls-server" \
	"... with the row's text"
is "$(send cp-first ir addreq=1 certProfile=tls-server)" 200 "two CertReqMsgs, one name"
is "$("$TOOL" dump "$T/resp.der" | sed -n 's/^status=//p' | tr '\n' ' ')" "rejection accepted " \
	"... the first refused, the second unnamed accepted"

# ------------------------------------------------- malformed values
is "$(send cp-many ir certProfile=enroll,enroll)" 200 "two names for one request"
refused cp-many badRequest "PN=enroll \| the certProfile of generalInfo names 2 profiles for 1 request"
is "$(send cp-twice ir certProfile=enroll certProfile=enroll)" 200 "certProfile given twice"
refused cp-twice badRequest "the certProfile of generalInfo is given twice"
is "$(send cp-int ir certProfileRaw=3003020101)" 200 "a SEQUENCE OF INTEGER"
refused cp-int badRequest "the certProfile of generalInfo is not a SEQUENCE OF UTF8String"
is "$(send cp-empty ir certProfileRaw=3000)" 200 "an empty SEQUENCE"
refused cp-empty badRequest "names 0 profiles for 1 request"
is "$(send cp-p10two p10cr certProfile=enroll,enroll)" 200 "two names for a p10cr"
refused cp-p10two badRequest "names 2 profiles for 1 request"

# ------------------------------- a genm asking for the certReqTemplate
is "$(t_api PUT /cmpProfiles/00000000-0000-4000-8000-00000000e101 '{"certReqTemplate":{"keySpec":"EC:prime256v1"}}')" 200 \
	"API: a certReqTemplate"
genm() {
	"$GENM" -port "$HTTP_PORT" -path /api/v1/protocols/cmp/enroll -secret "$ENROLL_SECRET" \
		-ref "$ENROLL_REF" -type certReqTemplate "$@" > "$T/genm.out" 2>&1
}
ok "genm certReqTemplate naming the CMP Profile" genm -profile enroll
like "$(cat "$T/genm.out")" "algId=id-ecPublicKey:prime256v1" "... the template"
ok "genm certReqTemplate naming the RA Profile" genm -profile ra-enroll
nok "genm certReqTemplate naming another profile" genm -profile tls-server
like "$(cat "$T/genm.out")" "badCertTemplate" "... badCertTemplate"
like "$(cat "$T/genm.out")" "certificate profile tls-server, which is not offered here" "... the row's text"
ok "genm caCerts naming another profile: not looked at" genm -profile tls-server -type caCerts

done_testing
