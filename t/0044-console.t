#!/bin/sh
# The web console (console/, served at /console/ by contrib/lighttpd/cmpd.conf;
# t/0044-console-apache.t: by contrib/apache/cmpd.conf) against the real
# stack, in headless Chromium driven by chromedriver and Selenium
# (t/console.py, Debian's /usr/bin/python3 with python3-selenium):
#
#  - curl: the Content-Security-Policy (same origin only, no inline script
#    or style, never in a frame) and nosniff on /console/ and its files,
#    the JavaScript and CSS types, no reference to another origin in the
#    files; the API's revocation route (roles, refusals, audit);
#  - the browser: log in with an admin key; a CMP Profile created on the
#    RA Profile of cmp-localca, with the API's text for an empty secret
#    next to the field, the secret then from a file; enabled; openssl cmp
#    enrols through it; the certificate in the inventory (subject, serial,
#    state) and the enrolment on the dashboard; revoked with keyCompromise
#    and seen revoked; a refused delete shows the API's message; a new
#    API key shown once; a read key sees no write controls; a wrong key
#    stays on the login page with the API's 401 text. Every control has a
#    label; nothing scrolls sideways at 360 px; a slow call shows the
#    progress bar. It fails on any request of the page to another origin
#    (CDP Network events of Chrome's performance log), any CSP violation
#    or script error.
#
# Screenshots of each page at 1280 and 360 px: $top_builddir/t/console-shots/
# (console-shots-apache/ for Apache).
. "$top_srcdir/t/lib.sh"
t_setup
PY=/usr/bin/python3
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
for need in "$CHROMIUM" "$CHROMEDRIVER" "$PY"; do
	[ -x "$need" ] || bail "$need is missing: contrib/deps.sh installs chromium, chromium-driver, python3-selenium"
done
"$PY" -c 'import selenium' 2> /dev/null ||
	bail "python3-selenium is missing: contrib/deps.sh installs it"

t_stack "message_time_skew = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

ADMIN=$(t_api_key console-admin admin)
READ=$(t_api_key console-reader read)
API_KEY=$ADMIN
WEB=${T_WEB:-lighttpd}
SHOTS=$top_builddir/t/console-shots
[ "$WEB" = lighttpd ] || SHOTS=$SHOTS-$WEB
rm -rf "$SHOTS"

# ------------------------------------------------------- headers (curl)
CSP_WANT="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
# head PATH: the response headers of GET PATH, in $T/h; prints the status
head() {
	curl -sS --noproxy '*' --max-time 10 -D "$T/h" -o "$T/body" -w '%{http_code}' "$HTTP_BASE$1"
}
hval() { # hval NAME: a header of $T/h
	awk -v n="$1" 'BEGIN { n = tolower(n) } { sub(/\r$/, "") }
		tolower(substr($0, 1, length(n) + 1)) == n ":" { v = substr($0, length(n) + 2); sub(/^ +/, "", v); print v; exit }' "$T/h"
}
for p in /console/ /console/index.html /console/js/main.js /console/console.css /console/no-such-file; do
	st=$(head "$p")
	case $p in
	*no-such*) is "$st" 404 "$WEB: GET $p: 404" ;;
	*) is "$st" 200 "$WEB: GET $p: 200" ;;
	esac
	is "$(hval Content-Security-Policy)" "$CSP_WANT" "$WEB: $p: the strict Content-Security-Policy"
	is "$(hval X-Content-Type-Options)" nosniff "$WEB: $p: X-Content-Type-Options nosniff"
	is "$(hval X-Frame-Options)" DENY "$WEB: $p: X-Frame-Options DENY"
	case $p in
	*.js) like "$(hval Content-Type)" '^text/javascript' "$WEB: $p: text/javascript (ES modules need it)" ;;
	*.css) like "$(hval Content-Type)" '^text/css' "$WEB: $p: text/css" ;;
	*/|*.html) like "$(hval Content-Type)" '^text/html' "$WEB: $p: text/html"
		ok "$WEB: $p is the console" grep -q 'js/main.js' "$T/body" ;;
	esac
done
st=$(head /api/v1/whoami)
is "$(hval Content-Security-Policy)" "default-src 'none'; frame-ancestors 'none'" \
	"$WEB: the API's answers carry cmpd's own CSP, not the console's"
# the files: no inline script or style, nothing from elsewhere
C=$top_srcdir/console
nok "no inline <script> or <style>, no style= attribute in console/" \
	grep -rnE '<script>|<script[^>]*>[^<]|<style|style=' "$C"
nok "no script writes HTML or styles (innerHTML, .style, eval)" \
	grep -rnE 'innerHTML|outerHTML *=|insertAdjacentHTML|\.style\b|eval\(|new Function' "$C/js"
nok "no reference to another origin in console/ (src, href, import, url(), fetch)" \
	grep -rnE '(src|href)=["'"'"']?(https?:)?//|import .*(https?:)?//|url\((https?:)?//|fetch\(["'"'"'`]https?:' "$C"
ok "only the session's key is kept: sessionStorage, never localStorage or cookies" \
	bash -c "grep -rq sessionStorage '$C/js' && ! grep -rnE 'localStorage|document\.cookie|indexedDB' '$C/js'"

# --------------------------------------- the API's revocation (curl)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
enrol() { # enrol SUBJECT REF SECRET PROFILE CERT
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path "/api/v1/protocols/cmp/$4" \
		-recipient /CN=cmpd -ref "$2" -secret "pass:$3" -newkey "$T/dev.key" -subject "$1" \
		-certout "$5" -msg_timeout 20 -total_timeout 40 -unprotected_errors > "$T/client.out" 2>&1
}
ok "an enrolment to revoke through the API" enrol /CN=api-revoke "$ENROLL_REF" "$ENROLL_SECRET" enroll "$T/api.crt"
CU=$(t_sql "SELECT uuid FROM certificate WHERE subject_dn = 'CN=api-revoke'")
is "$(t_api POST "/certificates/$CU/revoke" '{"reason":"keyCompromise"}' "$READ")" 403 "revoke: a read key may not"
is "$(t_api POST "/certificates/$CU/revoke" '{"reason":"removeFromCRL"}')" 422 "revoke: removeFromCRL is no reason to revoke"
like "$(t_json 'j["message"]')" '^reason must be one of unspecified, keyCompromise' "revoke: the reasons named"
is "$(t_api POST "/certificates/$CU/revoke" '{}')" 422 "revoke: a reason is needed"
is "$(t_api POST "/certificates/$CU/revoke" '{"reason":"keyCompromise","force":true}')" 400 "revoke: unknown member: 400"
is "$(t_api POST "/certificates/00000000-0000-4000-8000-00000000dead/revoke" '{"reason":"keyCompromise"}')" 404 \
	"revoke: an unknown certificate: 404"
is "$(t_api POST "/certificates/$CU/revoke" '{"reason":"superseded"}')" 202 "revoke: 202"
is "$(t_json '[j["status"], j["revocationReason"]]')" '["revoke_pending", "superseded"]' \
	"revoke: revoke_pending with the reason, for the sweep"
is "$(t_sql "SELECT action, object_type, object_uuid, actor FROM audit ORDER BY at DESC, uuid DESC LIMIT 1")" \
	"revoke	certificate	$CU	apiKey:console-admin" "revoke: audited"
t_wait 30 bash -c "[ \"\$(mariadb --no-defaults -S '$DB_SOCK' -u '$DB_ROOT_USER' -N -B cmpd -e \"SELECT status FROM certificate WHERE uuid = '$CU'\")\" = revoked ]"
is "$(t_sql "SELECT status, revocation_reason FROM certificate WHERE uuid = '$CU'")" "revoked	superseded" \
	"revoke: a worker's sweep revoked it at the CA"
is "$(t_api POST "/certificates/$CU/revoke" '{"reason":"keyCompromise"}')" 409 "revoke: a revoked certificate: 409"
like "$(t_json 'j["message"]')" '^the certificate is revoked, superseded: only an issued certificate' "revoke: 409 says why"
ok "another enrolment" enrol /CN=api-nora "$ENROLL_REF" "$ENROLL_SECRET" enroll "$T/nora.crt"
CN2=$(t_sql "SELECT uuid FROM certificate WHERE subject_dn = 'CN=api-nora'")
t_sql "UPDATE certificate SET ra_profile_uuid = NULL WHERE uuid = '$CN2'"
is "$(t_api POST "/certificates/$CN2/revoke" '{"reason":"keyCompromise"}')" 409 "revoke: no RA Profile to revoke through: 409"
is "$(t_json 'j["message"]')" "the certificate has no RA Profile to revoke it through" "revoke: says so"
is "$(t_sql "SELECT status FROM certificate WHERE uuid = '$CN2'")" issued "revoke: and changes nothing"
# a hold, then a hold again (refused, the CA not asked), then for good
cert_is() { # cert_is UUID "STATUS<TAB>REASON"
	[ "$(t_sql "SELECT status, revocation_reason FROM certificate WHERE uuid = '$1'")" = "$2" ]
}
ok "an enrolment to hold" enrol /CN=api-hold "$ENROLL_REF" "$ENROLL_SECRET" enroll "$T/hold.crt"
CH=$(t_sql "SELECT uuid FROM certificate WHERE subject_dn = 'CN=api-hold'")
is "$(t_api POST "/certificates/$CH/revoke" '{"reason":"certificateHold"}')" 202 "hold: 202"
ok "hold: a worker's sweep put it on hold at the CA" t_wait 30 cert_is "$CH" "revoked	certificateHold"
is "$(t_sql "SELECT status, revocation_reason FROM localca_certificate WHERE subject LIKE '%api-hold'")" \
	"revoked	certificateHold" "hold: on hold at the CA"
AUDITS=$(t_sql "SELECT COUNT(*) FROM audit")
ca_revokes() { grep -c 'certificates/revoke ' "$T/localca.log"; }
CA_REVOKES=$(ca_revokes)
is "$(t_api POST "/certificates/$CH/revoke" '{"reason":"certificateHold"}')" 409 "hold again: 409"
is "$(t_json 'j["message"]')" "the certificate is already on hold" "hold again: says so"
is "$(t_sql "SELECT status, revocation_reason FROM certificate WHERE uuid = '$CH'")" \
	"revoked	certificateHold" "hold again: still on hold, not revoke_pending for the sweep"
is "$(t_sql "SELECT COUNT(*) FROM audit")" "$AUDITS" "hold again: nothing audited"
is "$(t_api POST "/certificates/$CH/revoke" '{"reason":"keyCompromise"}')" 202 "held, then keyCompromise: 202"
ok "held, then keyCompromise: revoked for good" t_wait 30 cert_is "$CH" "revoked	keyCompromise"
is "$(t_sql "SELECT status, revocation_reason FROM localca_certificate WHERE subject LIKE '%api-hold'")" \
	"revoked	keyCompromise" "held, then keyCompromise: so at the CA"
is "$(( $(ca_revokes) - CA_REVOKES ))" 1 "the CA was asked once since the hold: keyCompromise, not the hold again"

# one refused CMP request, for the failures on the dashboard
is "$(t_post "$T_FIXTURES/ir-pbm.der" /api/v1/protocols/cmp/cmp-off)" 200 "an ir to a disabled CMP Profile"
like "$(curl -sS --noproxy '*' "$HTTP_BASE/metrics")" 'cmpd_cmp_failures_total\{failInfo="systemFailure"\} 1' \
	"/metrics counts it by its failInfo (systemFailure)"

# one failed transaction, for the transactions page: a CA that is not there
# (404 at the connector's URL) fails the issue
is "$(t_api POST /connectors "{\"name\":\"nowhere\",\"url\":\"$CONNECTOR_BASE/nowhere\"}")" 201 "a connector to nowhere"
NC=$(t_json 'j["uuid"]')
is "$(t_api POST /authorities "{\"name\":\"nowhere\",\"connectorUuid\":\"$NC\",\"authorityInstanceUuid\":\"00000000-0000-4000-8000-0000000000ff\"}")" 201 \
	"an authority there"
NA=$(t_json 'j["uuid"]')
is "$(t_api POST "/authorities/$NA/raProfiles" '{"name":"ra-nowhere","enabled":true}')" 201 "an RA Profile on it"
NR=$(t_json 'j["uuid"]')
is "$(t_api POST /cmpProfiles "{\"name\":\"nowhere\",\"variant\":\"v2\",\"requestProtectionMethod\":\"sharedSecret\",\"responseProtectionMethod\":\"sharedSecret\",\"sharedSecret\":\"nowhere-secret\",\"sharedSecretReference\":\"nowhere-ref\",\"raProfileUuid\":\"$NR\"}")" 201 \
	"a CMP Profile on it"
NP=$(t_json 'j["uuid"]')
is "$(t_api PATCH "/cmpProfiles/$NP/enable")" 204 "enabled"
nok "an ir through it fails" enrol /CN=nowhere-1 nowhere-ref nowhere-secret nowhere "$T/nowhere.crt"
is "$(t_api GET '/cmpTransactions?state=failed&limit=1')" 200 "the failed transaction"
TEXT_TXFAIL=$(t_json 'j[0]["failure"]')
like "$TEXT_TXFAIL" '^PN=nowhere \| the certificate authority' "its failure text: what the client was told"
like "$(cat "$T/client.out")" "$(printf '%s' "$TEXT_TXFAIL" | sed 's/[][\.|$(){}?+*^]/\\&/g')" "the client got that text"

# ------------------------------------------------------------ browser
# the texts the API gives, which the console must show as they are
is "$(t_api GET /whoami '' cmpd_0000000000000000000000000000000000000000000000000000000000000000)" 401 "a wrong key: 401"
TEXT401=$(t_json 'j["message"]')
is "$(t_api POST /cmpProfiles '{"name":"console-probe","variant":"v2","requestProtectionMethod":"sharedSecret","responseProtectionMethod":"sharedSecret","sharedSecret":"","raProfileUuid":"00000000-0000-4000-8000-00000000e001"}')" 422 \
	"an empty secret: 422"
TEXT_SECRET=$(t_json 'j["message"]')
is "$(t_api DELETE /cmpProfiles/00000000-0000-4000-8000-00000000e101)" 409 "deleting CMP Profile enroll is refused"
TEXT_DELETE=$(t_json 'j["message"]')
printf 'console-secret\n' > "$T/console-secret.txt"
cat > "$T/enrol.sh" <<EOS
exec timeout 60 openssl cmp -cmd ir -server 127.0.0.1:$HTTP_PORT -path /api/v1/protocols/cmp/console-cmp \\
	-recipient /CN=cmpd -ref console-ref -secret pass:console-secret -newkey $T/dev.key \\
	-subject /CN=console-device-1 -certout $T/console.crt -msg_timeout 20 -total_timeout 40 -unprotected_errors
EOS

# 105 certificates for the inventory's pages (CN=console-page-001 the
# newest), older than anything the browser enrols
t_sql "SET SESSION foreign_key_checks = 0;
INSERT INTO certificate (uuid, serial_number, issuer_dn, subject_dn, issuer_hash, not_before,
    not_after, fingerprint, der, status, created_at)
SELECT LOWER(CONCAT('0000', LPAD(HEX(seq), 4, '0'), '-0000-4000-8000-00000000c0de')),
  CONCAT('C0DE', LPAD(HEX(seq), 4, '0')), 'CN=x', CONCAT('CN=console-page-', LPAD(seq, 3, '0')),
  UNHEX(SHA2('x', 256)), NOW(), NOW() + INTERVAL 1 DAY, UNHEX(SHA2(CONCAT('page-', seq), 256)), 'x',
  'issued', NOW(6) - INTERVAL 1 DAY - INTERVAL seq SECOND FROM seq_1_to_105" ||
	bail "the page certificates could not be written"
# and 105 transactions of one expired request each (tid ...c0de0001 the
# newest), older than anything the browser does
t_sql "INSERT INTO cmp_transaction (transaction_id, position, request_type, state, created_at)
SELECT UNHEX(CONCAT('0000c0de', LPAD(HEX(seq), 8, '0'))), 0, 0, 'expired',
  NOW(6) - INTERVAL 1 DAY - INTERVAL seq SECOND FROM seq_1_to_105" ||
	bail "the page transactions could not be written"
mkdir -p "$T/browser"
CONSOLE_BASE=$HTTP_BASE CONSOLE_TMP=$T/browser CONSOLE_SHOTS=$SHOTS \
CONSOLE_ADMIN_KEY=$ADMIN CONSOLE_READ_KEY=$READ \
CONSOLE_WRONG_KEY=cmpd_0000000000000000000000000000000000000000000000000000000000000000 \
CONSOLE_401_TEXT=$TEXT401 CONSOLE_TX_FAILURE=$TEXT_TXFAIL CONSOLE_EMPTY_SECRET_TEXT=$TEXT_SECRET CONSOLE_DELETE_TEXT=$TEXT_DELETE \
CONSOLE_RA_LABEL="ra-enroll (localca)" CONSOLE_REF=console-ref \
CONSOLE_SECRET_FILE=$T/console-secret.txt CONSOLE_ANCHORS_FILE=$T/ca/root.crt CONSOLE_ENROL=$T/enrol.sh CONSOLE_CERT=$T/console.crt \
CONSOLE_LIGHT=${CONSOLE_LIGHT-} CHROMIUM=$CHROMIUM CHROMEDRIVER=$CHROMEDRIVER \
	timeout 600 "$PY" "$top_srcdir/t/console.py" > "$T/browser.out" 2> "$T/browser.err"
rc=$?
while IFS= read -r line; do
	case $line in
	"PASS "*) pass "$WEB, browser: ${line#PASS }" ;;
	"FAIL "*) fail "$WEB, browser: ${line#FAIL }"
		diag "  ${line#* | }" ;;
	esac
done < "$T/browser.out"
is "$rc" 0 "$WEB: the browser script ran to its end and found nothing wrong"
[ "$rc" = 0 ] || diag_file "$T/browser.err" 40

# chromium and chromedriver are gone (driver.quit); anything left of them
# (their paths are in this test's temp dir) is stopped here
if [ -s "$T/browser/chromedriver.pid" ]; then
	kill "$(cat "$T/browser/chromedriver.pid")" 2> /dev/null
fi
# ([-]: the pattern does not match the shell that runs pgrep)
pkill -f -- "[-]-user-data-dir=$T/browser/chrome-profile" 2> /dev/null
t_wait 10 bash -c "! pgrep -f -- '[-]-user-data-dir=$T/browser/chrome-profile'"
ok "no chromium left running" bash -c "! pgrep -f -- '[-]-user-data-dir=$T/browser/chrome-profile'"

# what the browser did, seen by the database
is "$(t_sql "SELECT enabled FROM cmp_profile WHERE name = 'console-cmp'")" 1 "the profile made in the browser is enabled"
is "$(t_sql "SELECT c.status, c.revocation_reason FROM certificate c WHERE c.subject_dn = 'CN=console-device-1'")" \
	"revoked	keyCompromise" "the certificate enrolled through it is revoked, keyCompromise"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE actor = 'apiKey:console-admin' AND action = 'revoke'")" 4 \
	"every revocation audited (three through the API, one in the browser), not the refused hold"
for f in login dashboard cmp-profiles cmp-profile certificates; do
	ok "screenshots of $f at 1280 and 360 px" test -s "$SHOTS/$f-1280.png" -a -s "$SHOTS/$f-360.png"
done
done_testing
