#!/bin/sh
# A CA whose name is longer than cmpd's inventory holds (issuer_dn, 2048
# characters): its certificates cannot be recorded, so none is delivered
# and each is revoked at the CA: on the direct path, and by the sweep for
# one the CA issued after cmpd had stopped waiting for it.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "connector_timeout = 2" "sweep_interval = 0"
D=$T/calong
mkdir -p "$D"
subj="/O=cmpd tests"
for i in $(seq 1 40); do
	subj="$subj/OU=unit $i of a long organisational hierarchy, padded to length"
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$D/ca.key" -out "$D/ca.crt" -days 30 -subj "$subj/CN=Long CA" \
	-addext basicConstraints=critical,CA:TRUE \
	-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	cp "$D/ca.crt" "$D/chain.pem" || bail "the CA could not be made"
t_start_localca "ca_dir = $D"
t_second_localca slow "issue_delay_ms = 3500"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd slow)"
t_seed_enroll
plan_auto

n=$(openssl x509 -in "$D/ca.crt" -noout -subject -nameopt RFC2253 | wc -c)
ok "the CA's name is longer than the inventory holds ($n characters)" [ "$n" -gt 2100 ]
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
ir() {	# ir CN: an ir with the shared secret, output in $T/CN.out
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" -newkey "$T/dev.key" \
		-subject "/CN=$1" -certout "$T/$1.crt" -unprotected_errors \
		-msg_timeout 30 -total_timeout 50 > "$T/$1.out" 2>&1
}
ca_status() { t_sql "SELECT status FROM localca_certificate WHERE subject = 'CN=$1'"; }
tx_state() {	# tx_state CN: the state of the transaction the CA's certificate is of
	t_sql "SELECT state FROM cmp_transaction WHERE request_id =
		(SELECT request_id FROM localca_certificate WHERE subject = 'CN=$1')"
}
ca_has() { [ -n "$(ca_status "$1")" ]; }

# ---------------------------------------------------------- direct
nok "an ir: refused" ir direct
like "$(cat "$T/direct.out")" "the issued certificate is larger than cmpd stores" \
	"... CMPF_CERT_TOO_LARGE"
is "$(ca_status direct)" revoked "... and the CA's certificate revoked"
is "$(t_sql "SELECT COUNT(*) FROM certificate")" 0 "nothing in the inventory"

# ------------------------------------- issued after cmpd stopped waiting
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/slow' WHERE name = 'localca'"
nok "an ir through a CA slower than connector_timeout: refused" ir late
like "$(cat "$T/late.out")" "try again later" "... try later"
ok "the CA issued it meanwhile" t_wait 15 ca_has late
is "$(tx_state late)" issuing "... while the transaction waits for the sweep"
# the sweep takes it once older than connector_timeout and a margin
t_sql "UPDATE cmp_transaction SET issuing_at = issuing_at - INTERVAL 1 HOUR WHERE state = 'issuing'"
sweep() { "$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep > "$T/sweep.out" 2>&1; }
ok "the sweep runs" sweep
diag_file "$T/sweep.out" 5
is "$(ca_status late)" revoked "the sweep revoked the certificate it could not record"
is "$(tx_state late)" failed "... and settled its transaction"
like "$(t_sql "SELECT failure FROM cmp_transaction WHERE state = 'failed' AND request_id =
	(SELECT request_id FROM localca_certificate WHERE subject = 'CN=late')")" "too large to keep" \
	"... saying why"
ok "a second sweep" sweep
is "$(ca_status late)/$(tx_state late)" revoked/failed "... leaves it so"
is "$(t_sql "SELECT COUNT(*) FROM certificate")" 0 "nothing in the inventory"
done_testing
