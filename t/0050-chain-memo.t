#!/bin/sh
# A worker takes a signer's chain as it validated it before only on the
# very same inputs, and only until something in them expires or comes
# due (chain_memo.c): one worker, so that every message meets what the
# one before left. A repeated signer skips the chain validation, and is
# still refused at once when its CRL, the trust anchors or its own
# validity say so, or when cmpd's inventory has it revoked.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "workers = 1" "message_time_skew = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

CA=$T/ca
CMPD="$top_builddir/cmpd -c $T/cmpd.conf"
t_sig_profile any
t_signer || bail "cannot make the signing certificate"
cat "$T/signer.key" "$T/signer.crt" "$CA/root.crt" | $CMPD --set-signing-credentials sig > /dev/null

# A device vendor's CA (openssl ca, so that it can revoke and set an
# end date to the second): v1 and v2 for 30 days
V=$T/vca
t_vendor_ca "$V" "/CN=Vendor Root" || bail "the vendor CA could not be made"
# vcert NAME [ENDDATE]
vcert() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$V/$1.key" -out "$V/$1.csr" -subj "/CN=$1" 2>/dev/null &&
	if [ -n "${2-}" ]; then set -- "$1" -enddate "$2"; else set -- "$1" -days 30; fi
	openssl ca -batch -config "$V/ca.cnf" -in "$V/$1.csr" -out "$V/$1.crt" \
		-notext "$2" "$3" > /dev/null 2>&1
}
vcert v1 && vcert v2 || bail "the vendor CA could not issue"
cat "$V/root.crt" "$CA/root.crt" > "$T/anchors.pem"
$CMPD --set-trust-anchors sig < "$T/anchors.pem" > /dev/null || bail "--set-trust-anchors failed"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/new.key" 2>/dev/null

# cr CERT KEY: a signed cr; output in $T/client.out
cr() {
	timeout 60 openssl cmp -cmd cr -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/sig -recipient /CN=cmpd \
		-msg_timeout 20 -total_timeout 40 -cert "$1" -key "$2" \
		-trusted "$CA/root.crt" -untrusted "$CA/ca.crt" -newkey "$T/new.key" \
		-subject /CN=memo -certout "$T/out.crt" -unprotected_errors \
		> "$T/client.out" 2>&1
}
# taken: the messages whose signer chain was taken as validated before
taken() { grep -c "signer chain as validated before" "$T/cmpd.log" || true; }
# last_outcome: the outcome of the last request cmpd logged
last_outcome() { grep ' rid=' "$T/cmpd.log" | tail -n 1 | sed -n 's/.*outcome=\([A-Z_]*\).*/\1/p'; }

# --------------------------------------------- the same signer again
ok "a cr signed with v1" cr "$V/v1.crt" "$V/v1.key"
is "$(taken)" 1 "its ir validated the chain, its certConf took it as it was"
ok "again" cr "$V/v1.crt" "$V/v1.key"
is "$(taken)" 3 "the second cr: both messages took it"
ok "a cr signed with v2" cr "$V/v2.crt" "$V/v2.key"
is "$(taken)" 4 "another signer: validated once more"

# ------------------------------------------- a CRL that revokes v1
openssl ca -config "$V/ca.cnf" -revoke "$V/v1.crt" -crl_reason keyCompromise > /dev/null 2>&1 &&
	openssl ca -config "$V/ca.cnf" -gencrl -out "$V/root.crl" > /dev/null 2>&1 ||
	bail "openssl ca could not make the CRL"
cat "$V/root.crt" "$V/root.crl" "$CA/root.crt" > "$T/anchors-crl.pem"
ok "anchors with the CRL" sh -c "$CMPD --set-trust-anchors sig < '$T/anchors-crl.pem' > /dev/null"
n=$(taken)
nok "v1 after its CRL" cr "$V/v1.crt" "$V/v1.key"
like "$(cat "$T/client.out")" "certRevoked" "refused certRevoked"
is "$(last_outcome)" CMPF_SIGNER_REVOKED "cmpd: signer revoked"
is "$(taken)" "$n" "the chain validated again, not taken"
ok "v2, not in the CRL, still signs" cr "$V/v2.crt" "$V/v2.key"
is "$(taken)" $((n + 1)) "validated with the CRL, then taken by its certConf"

# ------------------------------------------- anchors without the vendor
ok "v2 once more" cr "$V/v2.crt" "$V/v2.key"
ok "anchors without the vendor's root" sh -c "$CMPD --set-trust-anchors sig < '$CA/root.crt' > /dev/null"
nok "v2 after its root left the anchors" cr "$V/v2.crt" "$V/v2.key"
is "$(last_outcome)" CMPF_SIGNER_NOT_TRUSTED "cmpd: signer not trusted"
ok "the vendor's root back" sh -c "$CMPD --set-trust-anchors sig < '$T/anchors.pem' > /dev/null"
ok "v2 signs again" cr "$V/v2.crt" "$V/v2.key"

# -------------------------------------------- a signer that expires
end=$(($(date +%s) + 12))
vcert v3 "$(date -u -d "@$end" +%Y%m%d%H%M%SZ)" || bail "the vendor CA could not issue v3"
n=$(taken)
ok "v3, valid for 12 s more" cr "$V/v3.crt" "$V/v3.key"
is "$(taken)" $((n + 1)) "its certConf took the chain"
grep "signer chain as validated before" "$T/cmpd.log" | tail -n 1 > "$T/memo.line"
left=$(sed -n 's/.*for \([0-9]*\) s more.*/\1/p' "$T/memo.line")
ok "kept until v3's notAfter, not longer (${left:-?} s)" test -n "$left" -a "${left:-99}" -le 12
while [ "$(date +%s)" -le "$end" ]; do sleep 1; done
n=$(taken)
nok "v3 once expired" cr "$V/v3.crt" "$V/v3.key"
is "$(last_outcome)" CMPF_SIGNER_NOT_TRUSTED "cmpd: signer not trusted"
like "$(cat "$T/client.out")" "certificate has expired" "because it expired"
is "$(taken)" "$n" "not taken once expired"

# ------------------------------------------- revoked in the inventory
# dev-1 bought with the shared secret; its chain is cmpd's CA's
timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
	-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" -msg_timeout 20 \
	-total_timeout 40 -newkey "$T/new.key" -subject /CN=dev-1 \
	-certout "$T/dev1.crt" > "$T/client.out" 2>&1 || bail "enrolling dev-1 failed"
ok "a cr signed with dev-1" cr "$T/dev1.crt" "$T/new.key"
t_sql "UPDATE certificate SET status = 'revoked', revocation_reason = 'keyCompromise'
	WHERE subject_dn = 'CN=dev-1'"
n=$(taken)
nok "dev-1 once revoked in the inventory" cr "$T/dev1.crt" "$T/new.key"
is "$(last_outcome)" CMPF_SIGNER_REVOKED "cmpd: signer revoked"
is "$(taken)" $((n + 1)) "though its chain was taken as validated"

done_testing
