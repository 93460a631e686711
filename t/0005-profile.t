#!/bin/sh
# Profile resolution on every route, with the reference's texts, straight
# over FastCGI: for each check, the decoded answer's body type, failInfo
# and statusString.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
plan_auto

F=$T_FIXTURES
CMP=/api/v1/protocols/cmp
RA=/api/v1/protocols/cmp/raProfile

# expect FIXTURE PATH BODY FAILINFO TEXT
expect() {
	local st dump
	st=$(t_fcgi "$F/$1" "$2")
	dump=$("$top_builddir/t/cmptool" dump "$T/resp.der")
	is "$st" 200 "$1 to $2: HTTP 200"
	is "$(printf '%s\n' "$dump" | sed -n 's/^body=//p')" "$3" \
		"$1 to $2: body $3"
	is "$(printf '%s\n' "$dump" | sed -n 's/^failInfo=//p')" "$4" \
		"$1 to $2: failInfo $4"
	is "$(printf '%s\n' "$dump" | sed -n 's/^text=//p')" "$5" \
		"$1 to $2: text"
}

# CMP Profile route, in the reference's order of checks
expect ir-pbm.der $CMP/nosuch ip systemFailure \
	"PN=nosuch | Requested CMP Profile not found"
expect ir-pbm.der $CMP/cmp-off ip systemFailure \
	"PN=cmp-off | CMP Profile is not enabled"
expect ir-pbm.der $CMP/cmp-nora ip systemFailure \
	"PN=cmp-nora | CMP Profile does not contain associated RA Profile"
expect ir-pbm.der $CMP/cmp-raoff ip systemFailure \
	"PN=cmp-raoff | RA Profile is not enabled"
expect ir-pbm.der $CMP/cmp-sig-nocert ip systemFailure \
	"PN=cmp-sig-nocert | CMP profile does not have any associated CA certificate"
expect ir-pbm.der $CMP/cmp-sig-nochain ip systemFailure \
	"PN=cmp-sig-nochain | CMP Profile does not have associated CA certificate chain"
# the RFC 9811 form resolves the same way
expect ir-pbm.der /.well-known/cmp/p/nosuch ip systemFailure \
	"PN=nosuch | Requested CMP Profile not found"
expect ir-pbm.der /.well-known/cmp/p/cmp-off ip systemFailure \
	"PN=cmp-off | CMP Profile is not enabled"

# RA Profile route
expect ir-pbm.der $RA/nosuch ip systemFailure \
	"PN=nosuch | Requested RA Profile not found"
expect ir-pbm.der $RA/ra-off ip systemFailure \
	"PN=ra-off | RA Profile is not enabled"
expect ir-pbm.der $RA/ra-nocmp ip systemFailure \
	"PN=ra-nocmp | RA Profile does not contain associated CMP Profile"
expect ir-pbm.der $RA/ra-cmpoff ip systemFailure \
	"PN=ra-cmpoff | CMP Profile is not enabled"

# the answer type follows the request: cp for cr and p10cr, kup for kur,
# an error body for everything else
expect cr-pbm.der $CMP/nosuch cp systemFailure \
	"PN=nosuch | Requested CMP Profile not found"
expect p10cr-pbm.der $RA/nosuch cp systemFailure \
	"PN=nosuch | Requested RA Profile not found"
expect kur-sig.der $CMP/cmp-off kup systemFailure \
	"PN=cmp-off | CMP Profile is not enabled"
expect genm-pbm.der $CMP/nosuch error systemFailure \
	"PN=nosuch | Requested CMP Profile not found"
expect genm-pbm.der $RA/ra-off error systemFailure \
	"PN=ra-off | RA Profile is not enabled"
expect certConf-pbm.der $CMP/cmp-nora error systemFailure \
	"PN=cmp-nora | CMP Profile does not contain associated RA Profile"

# a valid, enabled profile: the genm (signKeyPairTypes, a type cmpd
# does not serve) is answered; bodies of later features are refused
expect genm-pbm.der $CMP/demo genp "" ""
expect genm-pbm.der $RA/ra-on genp "" ""
expect genm-pbm.der /.well-known/cmp/p/demo genp "" ""
expect pollReq-pbm.der $CMP/demo error badRequest \
	"PN=demo | no transaction with this transactionID"
expect certConf-pbm.der $CMP/demo error badRequest \
	"PN=demo | no transaction with this transactionID"
"$top_builddir/t/cmptool" edit "$F/ir-pbm.der" "$T/ccr.der" ccr=1 \
	remac=test-secret || bail "cmptool edit ccr failed"
is "$(t_fcgi "$T/ccr.der" $CMP/demo)" 200 "ccr: HTTP 200"
is "$("$top_builddir/t/cmptool" dump "$T/resp.der" | sed -n 's/^text=//p')" \
	"PN=demo | ccr is not implemented yet" "ccr: not implemented yet"
expect ir-sig.der $CMP/cmp-sig ip systemFailure \
	"PN=cmp-sig | the CMP Profile's signing credentials or trust anchors are unusable"
expect ir-sig.der $RA/ra-sig ip systemFailure \
	"PN=ra-sig | the CMP Profile's signing credentials or trust anchors are unusable"
# bodies a server never accepts
expect ip-pbm.der $CMP/demo error badRequest "ip is not supported"
expect pkiconf-pbm.der $CMP/demo error badRequest "pkiconf is not supported"

# protection must be there and match the profile's method
expect ir-none.der $CMP/demo ip notAuthorized \
	"PN=demo | unprotected requests are not accepted"
expect ir-sig.der $CMP/demo ip wrongIntegrity \
	"PN=demo | message protection does not match the profile's request protection method (sharedSecret)"
expect ir-pbm.der $CMP/cmp-sig ip wrongIntegrity \
	"PN=cmp-sig | message protection does not match the profile's request protection method (signature)"

# a profile whose protection methods break its variant's rules
t_sql "UPDATE cmp_profile SET variant = 'v2_3gpp' WHERE name = 'demo'"
expect genm-pbm.der $CMP/demo error systemFailure \
	"PN=demo | the CMP Profile's protection methods break its variant's rules"
t_sql "UPDATE cmp_profile SET variant = 'v2' WHERE name = 'demo'"

# a change in the database is seen by the next request
t_sql "UPDATE cmp_profile SET enabled = 0 WHERE name = 'demo'"
expect genm-pbm.der $CMP/demo error systemFailure "PN=demo | CMP Profile is not enabled"
t_sql "UPDATE cmp_profile SET enabled = 1 WHERE name = 'demo'"

# names are utf8mb4 in the database: 255 characters can be 1020 bytes
long=$(printf 'ü%.0s' $(seq 1 255))
t_sql "UPDATE ra_profile SET name = '$long' WHERE name = 'ra-on'"
expect genm-pbm.der $CMP/demo genp "" ""
t_sql "UPDATE ra_profile SET name = 'ra-on' WHERE name = '$long'"

# every answer was logged with its outcome
like "$(cat "$T/cmpd.log")" "route=cmpProfile/nosuch method=POST status=200 body=ir->ip tid=[0-9a-f]{32} outcome=CMPF_CMP_PROFILE_NOT_FOUND" \
	"request log line"

# the database goes away and comes back: the worker reconnects
t_restart_db || bail "MariaDB did not restart"
expect genm-pbm.der $CMP/demo genp "" ""
expect genm-pbm.der $CMP/demo genp "" ""
t_stop_db
expect genm-pbm.der $CMP/demo error systemUnavail "database unavailable, try again later"
ok "cmpd still running without its database" kill -0 "$CMPD_PID"
t_start_db || bail "MariaDB did not start again"
expect genm-pbm.der $CMP/demo genp "" ""
done_testing
