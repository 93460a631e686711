#!/bin/sh
# The CA's CRL (the connector's crl call) speaks for every signer whose
# chain holds a certificate the CA issued. It is kept through failed
# fetches until its nextUpdate, and stored for workers started since, so a
# CA that cannot be reached does not make its revocations forgotten, nor
# refuse every signer after a restart; when no current one can be had, such a
# signer gets systemUnavail, try again later
# (CMPF_SIGNER_CRL_UNAVAILABLE): its revocation status is undetermined
# (RFC 5280 6.3.3), though it may still ask to revoke its own
# certificate. Signers of other CAs go on; a connector that publishes no
# CRL changes nothing. The requests here are mostly signed genm
# (signKeyPairTypes), which ask the CA nothing themselves.
. "$top_srcdir/t/lib.sh"
t_setup
# one worker, so that one cache is seen; it fetches the CRL again after
# a second
t_stack "message_time_skew = 0" "workers = 1" "ca_crl_refresh = 1" \
	"log_level = info"
t_start_localca
# the same CA, its CRLs due after 2 s
t_second_localca short "crl_period = 2"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd short)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CA=$T/ca
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

t_sig_ready
genm() { t_genm_signed "$@"; }
connector() { t_sql "UPDATE connector SET url = '$1' WHERE name = 'localca'"; }
UNAVAILABLE="PN=sig | the protection certificate cannot be validated now: no current CRL of the CA can be had, try again later"

# dev: a certificate cmpd had the CA issue (in the inventory)
timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd -ref "$ENROLL_REF" \
	-secret "pass:$ENROLL_SECRET" -newkey "$T/dev.key" -subject /CN=dev \
	-certout "$T/dev.crt" > "$T/ir.out" 2>&1 || { diag_file "$T/ir.out"; bail "ir failed"; }
timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd -ref "$ENROLL_REF" \
	-secret "pass:$ENROLL_SECRET" -newkey "$T/dev.key" -subject /CN=dev2 \
	-certout "$T/dev2.crt" > "$T/ir.out" 2>&1 || { diag_file "$T/ir.out"; bail "ir failed"; }
# outside: a certificate of the CA that cmpd never issued, straight from
# the connector API (not in the inventory: only the CA's CRL knows it)
LCA=$CONNECTOR_BASE/localca/v2/authorityProvider/authorities/00000000-0000-4000-8000-00000000e0a2/certificates
t_localca_issue outside "$T/dev.key"
curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" -H 'Content-Type: application/json' \
	-o "$T/issue2.json" --data-binary \
	"{\"request\":\"$(base64 -w0 "$T/outside.csr")\",\"format\":\"pkcs10\"}" "$LCA/issue"

ok "dev signs" genm "$T/g1.out" "$T/dev.crt" "$T/dev.key"
ok "the vendor's device signs" genm "$T/g2.out" "$F/ee.pem" "$F/ee.key"
ok "outside signs, valid at its CA" genm "$T/g3.out" "$T/outside.crt" "$T/dev.key"
t_localca_revoke "$T/outside.crt" keyCompromise
sleep 1.5
nok "outside, revoked at the CA: refused" genm "$T/g4.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g4.out")" "PN=sig \| the protection certificate is revoked" "... by the CA's CRL"

# outside2: revoked at the CA after this worker's last CRL; the CA's next
# CRL reaches the database (as another node's worker would store it),
# not this worker, before the CA goes down
python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["certificateData"]))' \
	"$T/issue2.json" | openssl x509 -inform DER -out "$T/outside2.crt" ||
	bail "the connector did not issue outside2"
ok "outside2 signs, valid at its CA" genm "$T/g4b.out" "$T/outside2.crt" "$T/dev.key"
sleep 1.1
t_localca_revoke "$T/outside2.crt" keyCompromise
curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" -H 'Content-Type: application/json' \
	-o "$T/crl2.json" --data-binary '{"delta": false}' "${LCA%/v2/*}/v1/authorityProvider/authorities/00000000-0000-4000-8000-00000000e0a2/crl"
python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["crlData"]))' \
	"$T/crl2.json" > "$T/crl2.der" || bail "no CRL from the connector"
crl_time() {	# crl_time lastupdate|nextupdate: as a DATETIME
	date -u -d "$(openssl crl -inform DER -in "$T/crl2.der" -noout -"$1" | sed 's/^[^=]*=//')" '+%F %T'
}
t_sql "UPDATE ca_crl SET crl = FROM_BASE64('$(base64 -w0 "$T/crl2.der")'),
	this_update = '$(crl_time lastupdate)', next_update = '$(crl_time nextupdate)'"

# ------------------------------------------ the CA down, its CRL current
t_stop_bg localca
sleep 1.5
nok "the CA down: outside2 refused, by the later CRL stored" \
	genm "$T/g4c.out" "$T/outside2.crt" "$T/dev.key"
like "$(cat "$T/g4c.out")" "PN=sig \| the protection certificate is revoked" \
	"... revoked (this worker's own CRL did not list it)"
nok "the CA down: outside still refused" genm "$T/g5.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g5.out")" "PN=sig \| the protection certificate is revoked" \
	"... by the CRL the CA gave last"
like "$(cat "$T/cmpd.log")" "connector crl: .*signers checked with the CA's last CRL" \
	"... which the log says"
ok "... dev still signs" genm "$T/g6.out" "$T/dev.crt" "$T/dev.key"
# a worker started since, while the CA is still down: the CRL the CA gave
# last, as any worker stored it
is "$(t_sql "SELECT COUNT(*) FROM ca_crl WHERE next_update > UTC_TIMESTAMP()")" 1 \
	"the CA's CRL stored, current"
t_start_cmpd || bail "cmpd did not start again"
nok "cmpd restarted, the CA still down: outside refused" \
	genm "$T/g5b.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g5b.out")" "PN=sig \| the protection certificate is revoked" \
	"... by the CRL the CA gave last, stored"
ok "... dev signs" genm "$T/g6b.out" "$T/dev.crt" "$T/dev.key"

# ------------------------------- the CA down after its CRL came due
connector "$CONNECTOR_BASE/short"
ok "a CA whose CRLs are due after 2 s: dev signs" genm "$T/g7.out" "$T/dev.crt" "$T/dev.key"
t_stop_bg short
sleep 3
nok "that CA down, its CRL past nextUpdate: dev refused" genm "$T/g8.out" "$T/dev.crt" "$T/dev.key"
like "$(cat "$T/g8.out")" "systemUnavail" "... systemUnavail (try again later)"
like "$(cat "$T/g8.out")" "$(printf '%s' "$UNAVAILABLE" | sed 's/|/\\|/')" "... the row's text"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_SIGNER_CRL_UNAVAILABLE" \
	"... logged as CMPF_SIGNER_CRL_UNAVAILABLE"
ok "... the vendor's device, not under that CA, still signs" \
	genm "$T/g9.out" "$F/ee.pem" "$F/ee.key"

# ------------------------------------- a connector that publishes none
# (lighttpd serves nothing there: 404 to every call)
connector "$CONNECTOR_BASE/none"
ok "a connector without CRLs: dev signs" genm "$T/g10.out" "$T/dev.crt" "$T/dev.key"

# ---------------------------- the CA unreachable before any CRL came
connector "http://127.0.0.1:1/ca"
nok "no CRL ever had, the CA unreachable: dev refused" genm "$T/g11.out" "$T/dev.crt" "$T/dev.key"
like "$(cat "$T/g11.out")" "$(printf '%s' "$UNAVAILABLE" | sed 's/|/\\|/')" "... the row's text"
nok "... outside too: cmpd stored certificates of its CA (the CA's chain unknown)" \
	genm "$T/g12.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g12.out")" "$(printf '%s' "$UNAVAILABLE" | sed 's/|/\\|/')" "... the row's text"
ok "... the vendor's device, of a CA cmpd never stored a certificate of, signs" \
	genm "$T/g13.out" "$F/ee.pem" "$F/ee.key"
# rr: a signer may still ask to revoke its own certificate (the CA
# cannot be reached, so it is not revoked now), nothing else
rr() {	# rr OUT CERT: an rr for CERT signed by dev (the request in OUT.der)
	timeout 60 openssl cmp -cmd rr -oldcert "$2" -revreason 1 -reqout "$1.der" \
		-server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/sig \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-cert "$T/dev.crt" -key "$T/dev.key" -untrusted "$CA/ca.crt" -trusted "$CA/root.crt" \
		-unprotected_errors > "$1" 2>&1
}
nok "dev's rr for itself: to the CA (which cannot be reached)" rr "$T/r1.out" "$T/dev.crt"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "body=rr.*outcome=CMPF_CA_UNAVAILABLE" \
	"... past the signer check, to the CA"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=dev'")" issued \
	"... dev stays issued (the request never reached the CA)"
nok "dev's rr for another certificate cmpd issued: refused" rr "$T/r2.out" "$T/dev2.crt"
like "$(cat "$T/r2.out")" "$(printf '%s' "$UNAVAILABLE" | sed 's/|/\\|/')" "... the row's text"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=dev2'")" issued "... dev2 stays issued"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id =
	UNHEX('$("$top_builddir/t/cmptool" dump "$T/r2.out.der" | sed -n 's/^tid=//p')')")" 1 \
	"... its transactionID used up (sent again later, it would not act)"

# -------------------------------------------------- the CA back
t_start_localca
connector "$CONNECTOR_BASE/localca"
sleep 1.5
ok "the CA back: dev signs" genm "$T/g15.out" "$T/dev.crt" "$T/dev.key"
nok "... outside refused as revoked" genm "$T/g16.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g16.out")" "PN=sig \| the protection certificate is revoked" "... by the CA's CRL"

done_testing
