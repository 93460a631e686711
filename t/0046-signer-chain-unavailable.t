#!/bin/sh
# A signature-protected request whose signer sends no intermediates is
# validated with the CA's chain from the connector (RFC 9810 5.1.3.3).
# When that chain cannot be had now (the CA slower than the CMP Profile's
# syncBudget, or unreachable), no trust verdict is reached: the answer is
# systemUnavail, try again later (CMPF_SIGNER_CHAIN_UNAVAILABLE), not
# signerNotTrusted. A chain that fails for another reason is still
# signerNotTrusted, and once the CA answers again the request passes.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "log_level = info"
t_start_localca
t_second_localca slow "ca_delay_ms = 4000"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd slow)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
SIG=/api/v1/protocols/cmp/sig
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
dump() { "$top_builddir/t/cmptool" dump "$1" | sed -n "s/^$2=//p"; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

t_sig_profile any
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" > "$T/bundle.pem"
$CMPD --set-signing-credentials sig < "$T/bundle.pem" > /dev/null 2>&1 ||
	bail "--set-signing-credentials failed"
# the device vendor's root, and our own CA's root (not its issuing CA)
cat "$F/root.pem" "$CA/root.crt" > "$T/anchors.pem"
$CMPD --set-trust-anchors sig < "$T/anchors.pem" > /dev/null 2>&1 ||
	bail "--set-trust-anchors failed"

# client OUT CERT KEY SUBJ [args]: a signed cr; CERT alone in extraCerts
# (no -untrusted: the client sends no intermediates)
client() {
	timeout 60 openssl cmp -cmd cr -server "127.0.0.1:$HTTP_PORT" \
		-path $SIG -recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-cert "$2" -key "$3" -newkey "$T/dev.key" -subject "$4" \
		-trusted "$CA/root.crt" -certout "$T/out.crt" -unprotected_errors \
		"${@:5}" > "$1" 2>&1
}
outcome() { grep ' rid=' "$T/cmpd.log" | grep 'body=cr' | tail -n 1; }

# a certificate cmpd issued, under the CA's issuing certificate
ok "a device certificate from cmpd" client "$T/c0.out" "$F/ee.pem" "$F/ee.key" /CN=dev
cp "$T/out.crt" "$T/dev.crt"
ok "... issued by the intermediate, not the anchor" \
	openssl verify -CAfile "$CA/root.crt" -untrusted "$CA/ca.crt" "$T/dev.crt"

ok "signed with it, no intermediates sent: accepted (the CA's chain fills in)" \
	client "$T/c1.out" "$T/dev.crt" "$T/dev.key" /CN=dev-1 -reqout "$T/cr1.der"
is "$(dump "$T/cr1.der" extraCerts)" 1 "... the request carried the signer alone"

# The CA slower than the syncBudget: the chain fetch (and the CRL's) is
# cut at 1 s. A new connector URL is a new cache entry in every worker.
t_sql "UPDATE cmp_profile SET sync_budget = 1 WHERE name = 'sig'"
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/slow' WHERE name = 'localca'"
nok "the CA too slow for the chain: refused" \
	client "$T/c2.out" "$T/dev.crt" "$T/dev.key" /CN=dev-2
like "$(cat "$T/c2.out")" "systemUnavail" "... systemUnavail (try again)"
unlike "$(cat "$T/c2.out")" "signerNotTrusted" "... not signerNotTrusted"
like "$(cat "$T/c2.out")" "PN=sig \| the protection certificate cannot be validated now: the CA's certificate chain cannot be had, try again later" \
	"... the row's text"
like "$(outcome)" "outcome=CMPF_SIGNER_CHAIN_UNAVAILABLE" "... logged as CMPF_SIGNER_CHAIN_UNAVAILABLE"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=dev-2'")" 0 "... nothing issued"

# still a verdict where the chain is not what is missing: a signer
# under the anchor itself, expired
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/old.key" -out "$T/old.csr" -subj "/CN=expired" 2>/dev/null
openssl x509 -req -in "$T/old.csr" -CA "$CA/root.crt" -CAkey "$CA/root.key" \
	-CAcreateserial -days -1 -extfile "$T/signer.ext" -out "$T/old.crt" 2>/dev/null
nok "an expired signer while the CA is slow" \
	client "$T/c3.out" "$T/old.crt" "$T/old.key" /CN=dev-3
like "$(cat "$T/c3.out")" "signerNotTrusted" "... still signerNotTrusted"
like "$(cat "$T/c3.out")" "certificate has expired" "... for its expiry"
like "$(outcome)" "outcome=CMPF_SIGNER_NOT_TRUSTED" "... logged so"

# The CA unreachable (nothing listens on port 1), syncBudget as before
t_sql "UPDATE cmp_profile SET sync_budget = 5 WHERE name = 'sig'"
t_sql "UPDATE connector SET url = 'http://127.0.0.1:1/ca' WHERE name = 'localca'"
nok "the CA unreachable: refused" client "$T/c4.out" "$T/dev.crt" "$T/dev.key" /CN=dev-4
like "$(cat "$T/c4.out")" "systemUnavail" "... systemUnavail (try again)"
unlike "$(cat "$T/c4.out")" "signerNotTrusted" "... not signerNotTrusted"
like "$(outcome)" "outcome=CMPF_SIGNER_CHAIN_UNAVAILABLE" "... logged as CMPF_SIGNER_CHAIN_UNAVAILABLE"

# the CA back: the same request passes
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE name = 'localca'"
ok "the CA back: accepted" client "$T/c5.out" "$T/dev.crt" "$T/dev.key" /CN=dev-5
diag_file "$T/c5.out" 3

done_testing
