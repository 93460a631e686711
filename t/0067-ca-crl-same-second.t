#!/bin/sh
# Two CRLs of the CA within one second: the revocation between them
# counts. A CA that revokes a certificate and issues its next CRL within
# the second gives two CRLs of the same thisUpdate; the later one is the
# one of the higher CRL number (RFC 5280 5.2.3). It is the one a worker
# keeps and the one stored for workers started while the CA cannot be
# reached, which would otherwise take the earlier CRL and let the revoked
# signer in. Here cmp-localca's clock stands still (libfaketime), so all
# its CRLs carry one thisUpdate.
. "$top_srcdir/t/lib.sh"
t_setup
# one worker, so that one cache is seen; it fetches the CRL again after
# a second
t_stack "message_time_skew = 0" "workers = 1" "ca_crl_refresh = 1" \
	"log_level = info"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null

# cmp-localca again, its clock stopped two seconds from now, after its CA
# certificates were made (the monotonic clock left running, for its
# waits; under ASan libfaketime comes before ASan's runtime, which then
# must not insist on coming first)
frozen_s=$(($(date +%s) + 2))
FROZEN=$(date -u -d "@$frozen_s" '+%Y-%m-%d %H:%M:%S')
fake=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1)
[ -n "$fake" ] || bail "libfaketime is missing: contrib/deps.sh installs it"
t_stop_bg localca
rm -f "$T/localca.sock"
t_bg localca env LD_PRELOAD="$fake" FAKETIME="$FROZEN" FAKETIME_DONT_FAKE_MONOTONIC=1 \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	"$top_builddir/cmp-localca" -f -c "$T/localca.conf" --allow-root
t_wait 10 test -S "$T/localca.sock" || { diag_file "$T/localca.log"; bail "cmp-localca did not start"; }
# what it issues is valid from that second on
while [ "$(date +%s)" -le "$frozen_s" ]; do sleep 0.2; done

t_sig_ready
genm() { t_genm_signed "$@"; }
# stored: the CRL stored for other workers, as text
stored() {
	t_sql "SELECT REPLACE(TO_BASE64(crl), CHAR(10), '') FROM ca_crl" | base64 -d |
		openssl crl -inform DER -noout -text
}

# outside: a certificate of the CA that cmpd never issued, straight from
# the connector API (only the CA's CRL knows it)
t_localca_issue outside "$T/dev.key"
serial=$(openssl x509 -in "$T/outside.crt" -noout -serial | sed 's/^serial=//')

ok "outside signs, valid at its CA" genm "$T/g1.out" "$T/outside.crt" "$T/dev.key"
is "$(t_sql "SELECT this_update FROM ca_crl")" "$FROZEN" "the CA's CRL stored, of the stopped clock's second"
n1=$(t_sql "SELECT crl_number FROM ca_crl")
like "$n1" '^[0-9]+$' "... with its CRL number"

t_localca_revoke "$T/outside.crt" keyCompromise
sleep 1.5
nok "outside, revoked at the CA: refused" genm "$T/g2.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g2.out")" "PN=sig \| the protection certificate is revoked" "... by the CA's next CRL"
is "$(t_sql "SELECT this_update FROM ca_crl")" "$FROZEN" "the next CRL has the same thisUpdate"
n2=$(t_sql "SELECT crl_number FROM ca_crl")
ok "... and is stored, of a higher CRL number ($n1, $n2)" test "${n2:-0}" -gt "$n1"
like "$(stored)" "Serial Number: $serial" "... the stored CRL lists outside"

# a worker started while the CA cannot be reached takes the stored CRL
t_stop_bg localca
t_start_cmpd || bail "cmpd did not start again"
nok "the CA down, cmpd restarted: outside still refused" genm "$T/g3.out" "$T/outside.crt" "$T/dev.key"
like "$(cat "$T/g3.out")" "PN=sig \| the protection certificate is revoked" "... by the stored CRL"

nok "no sanitizer report in cmp-localca's log" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/localca.log"
done_testing
