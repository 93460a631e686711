#!/bin/sh
# Connectors other than cmp-localca, as cmpd meets them (cmp-localca's
# tests-only settings play them):
#   - the issued certificate as base64 of a PKCS#7 holding it and the CA's
#     chain (EJBCA's PKCS7WITHCHAIN, as the EJBCA NG connector passes it
#     on), or as PEM text of it and the chain: `openssl cmp` gets the
#     certificate the CA issued, and cmpd's inventory holds the same;
#   - an issue answered 400 after the CA issued and recorded the
#     certificate (the EJBCA NG connector's answer to a time-out of its
#     CA): the client gets the CA's text, the transaction stays issuing,
#     and the sweep finds the certificate, records it and revokes it at
#     the CA (DESIGN invariant 1).
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "workers = 2" "log_level = info"
t_start_localca
t_second_localca p7 "certificate_form = pkcs7"
t_second_localca pem "certificate_form = pem"
t_second_localca fail400 "issue_fail_status = 400"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd p7)" \
	"$(t_second_localca_lighttpd pem)" "$(t_second_localca_lighttpd fail400)"
t_seed_enroll
t_profile_via p7 "$CONNECTOR_BASE/p7" 1
t_profile_via pem "$CONNECTOR_BASE/pem" 2
t_profile_via fail400 "$CONNECTOR_BASE/fail400" 3
plan_auto

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
# client PROFILE CN: an ir; output in $T/CN.out, certificate $T/CN.crt
client() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path "/api/v1/protocols/cmp/$1" -recipient /CN=cmpd \
		-ref "dev-$2" -secret "pass:$ENROLL_SECRET" -msg_timeout 20 \
		-total_timeout 40 -newkey "$T/dev.key" -subject "/CN=$2" \
		-certout "$T/$2.crt" -unprotected_errors > "$T/$2.out" 2>&1
}
ca_state() { t_sql "SELECT status FROM localca_certificate WHERE subject = 'CN=$1'"; }
ca_sha() { t_sql "SELECT SHA2(der, 256) FROM localca_certificate WHERE subject = 'CN=$1'"; }
cmpd_cert() { t_sql "SELECT CONCAT(status, ' ', SHA2(der, 256)) FROM certificate WHERE subject_dn = 'CN=$1'"; }
got_sha() { openssl x509 -in "$T/$1.crt" -outform DER | openssl dgst -sha256 -r | cut -c1-64; }
tx_of() {
	t_sql "SELECT t.state FROM cmp_transaction t JOIN localca_certificate l
	  ON l.request_id = t.request_id WHERE l.subject = 'CN=$1'"
}

# ------------------------------------------- the certificate in other forms
for form in p7 pem; do
	ok "$form: ir through a connector that answers so" client "$form" "dev-$form"
	diag_file "$T/dev-$form.out" 5
	is "$(got_sha "dev-$form")" "$(ca_sha "dev-$form")" \
		"$form: the client got the certificate the CA issued, not a CA's"
	is "$(cmpd_cert "dev-$form")" "issued $(ca_sha "dev-$form")" \
		"$form: the inventory holds it, issued"
	is "$(tx_of "dev-$form")" confirmed "$form: the transaction confirmed"
done
like "$(cat "$T/p7.log")" "uuid=" "cmp-localca (pkcs7) answered the issue"

# ------------------------------------- a 400 after the CA issued
nok "fail400: the client gets no certificate" client fail400 dev-400
like "$(cat "$T/dev-400.out")" "the CA did not answer in time" \
	"... but the connector's text"
is "$(ca_state dev-400)" issued "the CA issued it all the same"
is "$(tx_of dev-400)" issuing "the transaction stays issuing: a 400 does not say the CA did nothing"
like "$(cat "$T/cmpd.log")" "requestId=[0-9a-f-]+ stays issuing until the sweep asks the CA" \
	"cmpd says it leaves it to the sweep"
t_stop_cmpd
like "$("$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep-now 2>&1)" "reconciled: 1 recorded" \
	"the sweep finds it at the CA and records it"
is "$(cmpd_cert dev-400)" "revoked $(ca_sha dev-400)" "in the inventory, revoked: its client never got it"
is "$(ca_state dev-400)" revoked "revoked at the CA"
is "$(tx_of dev-400)" expired "the transaction expired"
nok "no worker died" grep -q "killed by signal" "$T/cmpd.log"

# the tests-only settings are checked as any other
for bad in "certificate_form = x509" "issue_fail_status = 200"; do
	{ cat "$T/localca.conf"; echo "$bad"; } > "$T/bad.conf"
	like "$("$top_builddir/cmp-localca" -n -c "$T/bad.conf" 2>&1)" "${bad%% *}: " \
		"cmp-localca refuses $bad"
done
done_testing
