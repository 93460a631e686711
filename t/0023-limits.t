#!/bin/sh
# Limits on what comes from outside: the PBM iteration cap, certificate
# templates the inventory cannot hold (refused before the CA is asked),
# JSON bodies json-c would accept but misread (bad UTF-8, a member twice,
# half a surrogate pair), and the inventory's subject search on its index.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

F=$T_FIXTURES
CMP=/api/v1/protocols/cmp/enroll
TOOL=$top_builddir/t/cmptool
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
API_KEY=$(t_api_key limits-admin admin)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
SECRET="-ref $ENROLL_REF -secret pass:$ENROLL_SECRET"
client() {
	local cmd=$1 path=$2
	shift 2
	timeout 60 openssl cmp -cmd "$cmd" -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 "$@" > "$T/client.out" 2>&1
}
ca_count() { t_sql "SELECT COUNT(*) FROM localca_certificate"; }
inv_count() { t_sql "SELECT COUNT(*) FROM certificate"; }
tx_count() { t_sql "SELECT COUNT(*) FROM cmp_transaction"; }

# ------------------------------------------------------------- PBM cap
# The fixture's secret on a profile behind cmp-localca; cmptool sets the
# iterationCount and MACs the request again with it.
t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-00000000e102', 'fixture', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '1234')"
echo test-secret | "$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret fixture > /dev/null
# iter N TID: the fixture ir with N iterations, posted
iter() {
	"$TOOL" edit "$F/ir-pbm.der" "$T/iter.der" "tid=$2" "iter=$1" remac=test-secret &&
	t_post "$T/iter.der" /api/v1/protocols/cmp/fixture > /dev/null
}
ok "10001 iterations posted" iter 10001 0011223344556677889900000000a001
is "$(dump "$T/resp.der" failInfo)" badAlg "10001 iterations: badAlg by default"
is "$(dump "$T/resp.der" text)" "PBM parameters not accepted: iterationCount 10001 not in 100..10000" \
	"10001 iterations: the PBM parameter text"
ok "10000 iterations posted" iter 10000 0011223344556677889900000000a002
is "$(dump "$T/resp.der" status)" accepted "10000 iterations: issued"
is "$(dump "$T/resp.der" protected)" 1 "and answered under the MAC"
# the cap is still a setting
t_stop_cmpd
t_write_conf "message_time_skew = 0" "pbm_iterations_max = 20000"
t_start_cmpd || bail "cmpd did not restart"
ok "10001 iterations posted again" iter 10001 0011223344556677889900000000a003
is "$(dump "$T/resp.der" status)" accepted "with pbm_iterations_max = 20000: issued"
ok "20001 iterations posted" iter 20001 0011223344556677889900000000a004
is "$(dump "$T/resp.der" text)" "PBM parameters not accepted: iterationCount 20001 not in 100..20000" \
	"20001 iterations: over the raised cap"
t_stop_cmpd
t_write_conf "message_time_skew = 0"
t_start_cmpd || bail "cmpd did not restart"

# ------------------------------------------ templates the inventory cannot hold
# expect DESC TEXT client-args...: refused with badCertTemplate and TEXT,
# nothing issued at the CA, nothing stored
expect() {
	local desc=$1 text=$2 ca inv tx
	shift 2
	ca=$(ca_count) inv=$(inv_count) tx=$(tx_count)
	nok "$desc: refused" client ir $CMP $SECRET -newkey "$T/dev.key" \
		-certout "$T/refused.crt" "$@"
	like "$(cat "$T/client.out")" badCertTemplate "$desc: badCertTemplate"
	like "$(cat "$T/client.out")" "$(printf '%s' "$text" | sed 's/[][\.*^$|()+?{}]/\\&/g')" \
		"$desc: text"
	is "$(ca_count)" "$ca" "$desc: nothing issued at the CA"
	is "$(inv_count)" "$inv" "$desc: nothing in the inventory"
	is "$(tx_count)" "$tx" "$desc: no transaction stored"
}
# openssl caps CN at 64 characters (RFC 5280 ub-common-name); name has room
long=$(head -c 5000 /dev/zero | tr '\0' a)
expect "subject of 5000 characters" \
	"PN=enroll | the certificate template's subject is 5012 characters as RFC 2253 text, more than the 2048 the inventory holds" \
	-subject "/CN=dev/name=$long"
rdns=$(for i in $(seq 1 300); do printf '/CN=rdn-%03d' "$i"; done)
expect "subject of 300 RDNs" \
	"PN=enroll | the certificate template's subject is 3299 characters as RFC 2253 text, more than the 2048 the inventory holds" \
	-subject "$rdns"
sans=$(for i in $(seq 1 1500); do printf 'host-%04d.a-rather-long-domain-name.example ' "$i"; done)
expect "subjectAltName over 64 KiB" \
	"the certificate template's subjectAltName is" -subject /CN=many-sans -sans "$sans"
like "$(cat "$T/client.out")" "more than the 65536 bytes the inventory holds of a certificate" \
	"subjectAltName: the cap named"
# what fits is issued and stored whole
fits=$(head -c 2036 /dev/zero | tr '\0' b)
ok "subject of 2048 characters: issued" client ir $CMP $SECRET -newkey "$T/dev.key" \
	-certout "$T/fits.crt" -subject "/CN=dev/name=$fits"
diag_file "$T/client.out" 5
is "$(t_sql "SELECT CHAR_LENGTH(subject_dn) FROM certificate WHERE subject_dn LIKE 'name=bbb%'")" 2048 \
	"stored whole: 2048 characters"
is "$(t_sql "SELECT subject_dn = 'name=$fits,CN=dev' FROM certificate WHERE subject_dn LIKE 'name=bbb%'")" 1 \
	"and as RFC 2253 text"

# an issuer name longer than the inventory holds: the certificate is not
# stored cut to fit, it is not delivered, and the CA revokes it
cp -r "$T/ca" "$T/ca-orig"
longca=$(head -c 2100 /dev/zero | tr '\0' c)
openssl req -newkey rsa:2048 -nodes -keyout "$T/ca/ca.key" -out "$T/ca/ca.csr" \
	-subj "/O=cmpd tests/CN=Long Issuing CA/name=$longca" 2>/dev/null &&
openssl x509 -req -in "$T/ca/ca.csr" -CA "$T/ca/root.crt" -CAkey "$T/ca/root.key" \
	-CAcreateserial -days 30 -extfile "$T/ca/ca.ext" -out "$T/ca/ca.crt" 2>/dev/null ||
	bail "the long-named CA was not made"
t_stop_bg localca
t_start_localca
inv=$(inv_count)
nok "ir under an issuer of 2100 characters: refused" client ir $CMP $SECRET \
	-newkey "$T/dev.key" -certout "$T/refused.crt" -subject /CN=long-issuer
like "$(cat "$T/client.out")" systemFailure "long issuer: systemFailure"
like "$(cat "$T/client.out")" "PN=enroll | the issued certificate is larger than cmpd stores" \
	"long issuer: text"
is "$(inv_count)" "$inv" "long issuer: nothing in the inventory, not even cut"
is "$(t_sql "SELECT status FROM localca_certificate WHERE subject LIKE '%long-issuer%'")" revoked \
	"long issuer: revoked at the CA"
like "$(cat "$T/cmpd.log")" "issuer or subject longer than the inventory holds" "and logged"
rm -rf "$T/ca"
mv "$T/ca-orig" "$T/ca"
t_stop_bg localca
t_start_localca

# ------------------------------------------------------ JSON bodies
CONNS=$(t_sql "SELECT COUNT(*) FROM connector")
AUDITS=$(t_sql "SELECT COUNT(*) FROM audit")
# post BODY-FILE: POST /connectors with the raw bytes of a file
post() {
	curl -sS --noproxy '*' --max-time 30 -X POST -o "$T/api.json" -w '%{http_code}\n' \
		-H 'Expect:' -H "Authorization: Bearer $API_KEY" \
		-H 'Content-Type: application/json' --data-binary "@$1" \
		"$HTTP_BASE/api/v1/connectors"
}
printf '{"name":"bad-utf8-\377","url":"%s/localca"}' "$HTTP_BASE" > "$T/b1.json"
is "$(post "$T/b1.json")" 400 "a body that is not UTF-8: 400"
is "$(t_json 'j["message"]')" "the body is not UTF-8 (byte 18)" "message names the position"
printf '{"name":"dup-1","url":"%s/localca","name":"dup-2"}' "$HTTP_BASE" > "$T/b2.json"
is "$(post "$T/b2.json")" 400 "a member twice: 400"
like "$(t_json 'j["message"]')" '^the body names member "name" twice \(byte [0-9]+\)$' \
	"message names the member"
printf '{"name":"dup-3","url":"%s/localca","\\u006eame":"dup-4"}' "$HTTP_BASE" > "$T/b3.json"
is "$(post "$T/b3.json")" 400 "a member twice, once escaped: 400"
like "$(t_json 'j["message"]')" 'names member "name" twice' "the same member"
printf '{"name":"sur-1","url":"%s/localca\\ud800"}' "$HTTP_BASE" > "$T/b4.json"
is "$(post "$T/b4.json")" 400 "a lone high surrogate: 400"
like "$(t_json 'j["message"]')" '^the body holds a \\u escape that is half a surrogate pair \(byte [0-9]+\)$' \
	"message names the surrogate and the position"
printf '{"name":"sur-2","url":"%s/\\udc00localca"}' "$HTTP_BASE" > "$T/b5.json"
is "$(post "$T/b5.json")" 400 "a lone low surrogate: 400"
# what json-c's strict mode still takes: a name in single quotes (there
# a second "name" the duplicate check would not see), NaN
printf '{"name":"sq-1","url":"%s/localca",'"'"'name'"'"':"sq-2"}' "$HTTP_BASE" > "$T/b7.json"
is "$(post "$T/b7.json")" 400 "a member name in single quotes: 400"
like "$(t_json 'j["message"]')" "^the body holds 'name', which is not JSON \\(byte [0-9]+\\)\$" \
	"message names the token and the position"
printf '{"name":"nan-1","url":"%s/localca","description":NaN}' "$HTTP_BASE" > "$T/b8.json"
is "$(post "$T/b8.json")" 400 "NaN: 400"
like "$(t_json 'j["message"]')" "^the body holds NaN, which is not JSON" "message names it"
is "$(t_sql "SELECT COUNT(*) FROM connector")" "$CONNS" "no connector stored"
is "$(t_sql "SELECT COUNT(*) FROM audit")" "$AUDITS" "nothing audited"
is "$(t_sql "SELECT COUNT(*) FROM connector WHERE name LIKE 'dup-%' OR name LIKE 'sur-%' OR name LIKE 'bad-utf8%' OR name LIKE 'sq-%' OR name LIKE 'nan-%'")" 0 \
	"none of them under any name"
printf '{"name":"good-1","url":"%s/localca"}' "$HTTP_BASE" > "$T/b6.json"
is "$(post "$T/b6.json")" 201 "a clean body still works"

# ------------------------------------------- inventory: subject search
# 30000 generated rows, and a few whose subjects hold LIKE's wildcards
t_sql "INSERT INTO certificate (uuid, serial_number, issuer_dn, subject_dn, issuer_hash,
    not_before, not_after, fingerprint, der, status)
  SELECT UUID(), LPAD(HEX(seq), 8, '0'), 'CN=Load CA', CONCAT('CN=gen-', LPAD(seq, 5, '0'), ',O=Load'),
    UNHEX(SHA2('load', 256)), '2026-01-01', '2027-01-01', UNHEX(SHA2(CONCAT('gen', seq), 256)),
    x'00', 'issued'
  FROM seq_1_to_30000" || bail "generating rows failed"
t_sql "INSERT INTO certificate (uuid, serial_number, issuer_dn, subject_dn, issuer_hash,
    not_before, not_after, fingerprint, der, status) VALUES
  (UUID(), 'F1', 'CN=Load CA', 'CN=pct%x', UNHEX(SHA2('load', 256)), '2026-01-01', '2027-01-01', UNHEX(SHA2('w1', 256)), x'00', 'issued'),
  (UUID(), 'F2', 'CN=Load CA', 'CN=pctAx', UNHEX(SHA2('load', 256)), '2026-01-01', '2027-01-01', UNHEX(SHA2('w2', 256)), x'00', 'issued'),
  (UUID(), 'F3', 'CN=Load CA', 'CN=und_y', UNHEX(SHA2('load', 256)), '2026-01-01', '2027-01-01', UNHEX(SHA2('w3', 256)), x'00', 'issued'),
  (UUID(), 'F4', 'CN=Load CA', 'CN=undBy', UNHEX(SHA2('load', 256)), '2026-01-01', '2027-01-01', UNHEX(SHA2('w4', 256)), x'00', 'issued'),
  (UUID(), 'F5', 'CN=Load CA', 'CN=bang!z', UNHEX(SHA2('load', 256)), '2026-01-01', '2027-01-01', UNHEX(SHA2('w5', 256)), x'00', 'issued'),
  (UUID(), 'F6', 'CN=Load CA', 'CN=bangz', UNHEX(SHA2('load', 256)), '2026-01-01', '2027-01-01', UNHEX(SHA2('w6', 256)), x'00', 'issued')"
t_sql "ANALYZE TABLE certificate" > /dev/null
is "$(t_api GET "/certificates?subject=CN%3Dgen-0001&limit=1000")" 200 "search by a prefix"
is "$(t_json 'sorted(c["subject"] for c in j)')" \
	"$(python3 -c 'import json; print(json.dumps(["CN=gen-%05d,O=Load" % i for i in range(10, 20)]))')" \
	"the ten subjects that start with it"
is "$(t_api GET "/certificates?subject=CN%3Dgen-12345%2CO%3DLoad")" 200 "search by a whole subject"
is "$(t_json '[c["subject"] for c in j]')" '["CN=gen-12345,O=Load"]' "that one"
is "$(t_api GET "/certificates?subject=gen-12345")" 200 "search by the middle"
is "$(t_json 'j')" '[]' "finds nothing: a prefix search"
is "$(t_api GET "/certificates?subject=cn%3Dgen-12345")" 200 "search in another case"
is "$(t_json 'j')" '[]' "finds nothing: case-sensitive"
is "$(t_api GET "/certificates?subject=CN%3Dpct%25")" 200 "a '%' in the search"
is "$(t_json '[c["subject"] for c in j]')" '["CN=pct%x"]' "matches only a '%'"
is "$(t_api GET "/certificates?subject=CN%3Dund_")" 200 "a '_' in the search"
is "$(t_json '[c["subject"] for c in j]')" '["CN=und_y"]' "matches only a '_'"
is "$(t_api GET "/certificates?subject=CN%3Dbang%21")" 200 "the escape character in the search"
is "$(t_json '[c["subject"] for c in j]')" '["CN=bang!z"]' "matches only itself"
is "$(t_api GET "/certificates?subject=&limit=5")" 200 "an empty search"
is "$(t_json 'len(j)')" 5 "lists everything"

# EXPLAIN the very statement the API ran, taken from the general log
# (MariaDB writes a statement's values into the log only when the log was
# on as it was prepared: fresh workers prepare it anew)
t_sql "SET GLOBAL log_output = 'TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log = 1"
t_stop_cmpd
t_start_cmpd || bail "cmpd did not restart"
is "$(t_api GET "/certificates?subject=CN%3Dgen-2000")" 200 "a search, logged"
t_sql "SET GLOBAL general_log = 0"
t_sql "SELECT CONVERT(argument USING utf8mb4) FROM mysql.general_log
  WHERE command_type = 'Execute' AND argument LIKE '%FROM certificate%subject_dn LIKE%'
  ORDER BY event_time DESC LIMIT 1" > "$T/query.sql"
like "$(cat "$T/query.sql")" "subject_dn LIKE 'CN=gen-2000%'" "the API's statement, with its pattern"
t_sql "EXPLAIN $(cat "$T/query.sql")" > "$T/explain.out"
diag_file "$T/explain.out"
is "$(awk -F'\t' '{ print $6 }' "$T/explain.out")" certificate_subject \
	"EXPLAIN: the subject index is used"
like "$(awk -F'\t' '{ print $4 }' "$T/explain.out")" '^range$' "EXPLAIN: as a range"
like "$(t_sql "SHOW INDEX FROM certificate WHERE Key_name = 'certificate_subject'" | awk -F'\t' '{ print $5, $8 }')" \
	'^subject_dn 768$' "the index: the first 768 characters of subject_dn"

nok "no worker died" grep -q "killed by signal" "$T/cmpd.log"
done_testing
