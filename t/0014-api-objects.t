#!/bin/sh
# Management API: connectors, authorities, RA Profiles, CMP on
# an RA Profile, and the read-only inventory (certificates, CMP
# transactions), through lighttpd. Every refusal the contract names, 403
# for a read-only key on every change, an audit row for every change,
# and connector credentials nowhere but sealed in the database.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack
# cmp-localca takes the credentials the connectors made below send: the
# basic password they end with, and the API key
(umask 077; printf 'SECRET-PW-basic-2\n' > "$T/localca.pw"
printf 'SECRET-KEY-apikey\n' > "$T/lca.key")
t_start_localca "api_key_file = $T/lca.key" "api_key_header = X-Connector-Key"
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
plan_auto

API_KEY=$(t_api_key api-admin admin)
RO_KEY=$(t_api_key api-reader read)
TS_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
NOUUID=00000000-0000-4000-8000-00000000dead
ENROLL_CMP=00000000-0000-4000-8000-00000000e101

# api METHOD PATH [JSON] [KEY]: t_api, every answer kept in $T/answers
api() {
	local st
	st=$(t_api "$@")
	{ cat "$T/api.json" 2>/dev/null; echo; } >> "$T/answers"
	printf '%s\n' "$st"
}
# json: python3 -c 'json.dumps(...)' of an expression, for bodies
json() { python3 -c 'import json,sys; print(json.dumps('"$1"'))' "${@:2}"; }
naudit() { t_sql "SELECT COUNT(*) FROM audit"; }
# last_audit ACTION TYPE UUID DESC: the newest audit row is this change
last_audit() {
	is "$(t_sql "SELECT action, object_type, object_uuid, actor FROM audit ORDER BY at DESC, uuid DESC LIMIT 1")" \
		"$1	$2	$3	apiKey:api-admin" "$4: audit row"
}

# ============================================================ connectors
is "$(api GET /connectors '' -)" 401 "no key: 401"
is "$(api GET /connectors)" 200 "GET /connectors"
is "$(t_json '[c["name"] for c in j]')" '["localca", "test-connector"]' "the seeded connectors, by name"
is "$(api GET /connectors '' "$RO_KEY")" 200 "a read key may list"

a0=$(naudit)
is "$(api POST /connectors "{\"name\":\"conn-none\",\"url\":\"$HTTP_BASE/localca\"}")" 201 \
	"POST /connectors (authType none)"
CN=$(t_json 'j["uuid"]')
like "$CN" "$UUID_RE" "uuid is a lowercase UUID"
is "$(t_json 'j["name"]')" conn-none "name"
is "$(t_json 'j["url"]')" "$HTTP_BASE/localca" "url"
is "$(t_json 'j["authType"]')" none "authType defaults to none"
is "$(t_json 'j["hasCredentials"]')" false "hasCredentials false"
like "$(t_json 'j["createdAt"]')" "$TS_RE" "createdAt is a timestamp"
like "$(t_json 'j["updatedAt"]')" "$TS_RE" "updatedAt is a timestamp"
is "$(t_json 'sorted(j)')" '["authType", "createdAt", "hasCredentials", "insecure", "name", "updatedAt", "url", "uuid"]' \
	"connector fields as documented"
last_audit create connector "$CN" "connector created"
like "$(t_sql "SELECT detail FROM audit ORDER BY at DESC, uuid DESC LIMIT 1")" '"authType": ?"none"' \
	"audit detail names the authType"

# refusals write nothing
a0=$(naudit)
is "$(api POST /connectors "{\"name\":\"conn-none\",\"url\":\"$HTTP_BASE/x\"}")" 409 "duplicate name: 409"
like "$(t_json 'j["message"]')" "already exists" "409 says why"
is "$(api POST /connectors '{"url":"http://127.0.0.1/"}')" 422 "no name: 422"
is "$(api POST /connectors '{"name":"","url":"http://127.0.0.1/"}')" 422 "empty name: 422"
is "$(api POST /connectors '{"name":"c","url":"ftp://127.0.0.1/"}')" 422 "ftp url: 422"
is "$(api POST /connectors '{"name":"c","url":"http://127.0.0.1/?q=1"}')" 422 "url with a query: 422"
is "$(api POST /connectors '{"name":"c","url":"http://u:SECRET-BAD-0@127.0.0.1/"}')" 422 \
	"url with user:password@: 422 (credentials are sealed, never in the url)"
like "$(t_json 'j["message"]')" "without user information" "422 says why"
is "$(api POST /connectors '{"name":"c","url":"https://u@127.0.0.1:9/"}')" 422 "url with user@: 422"
is "$(api POST /connectors '{"name":"c","url":"http://127.0.0.1/","authtype":"none"}')" 400 \
	"a misspelt member: 400"
is "$(t_json 'j["message"]')" "unknown field authtype" "400 names it"
is "$(api POST /connectors '{"name":"c"}')" 422 "no url: 422"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"kerberos"}')" 422 "unknown authType: 422"
is "$(api POST /connectors '{"name":5,"url":"http://h/"}')" 400 "name not a string: 400"
is "$(api POST /connectors '["c"]')" 400 "body not an object: 400"
is "$(api POST /connectors '{"name":"c","url":"http://h/"')" 400 "body not JSON: 400"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"basic"}')" 422 \
	"basic without credentials: 422"
is "$(api POST /connectors '{"name":"c","url":"http://h/","credentials":{"username":"u","password":"p"}}')" 422 \
	"credentials with authType none: 422"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"basic","credentials":{"username":"a:b","password":"SECRET-BAD-1"}}')" 422 \
	"basic username with a colon: 422"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"basic","credentials":{"username":"u"}}')" 422 \
	"basic without password: 422"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"basic","credentials":{"username":"u","password":"SECRET-BAD-2","x":1}}')" 422 \
	"basic with an unknown member: 422"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"basic","credentials":"u:p"}')" 400 \
	"credentials not an object: 400"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"apiKey","credentials":{"header":"Host","key":"SECRET-BAD-3"}}')" 422 \
	"apiKey on a header cmpd sets: 422"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"apiKey","credentials":{"header":"X Key","key":"SECRET-BAD-4"}}')" 422 \
	"apiKey header not a token: 422"
is "$(api POST /connectors '{"name":"c","url":"http://h/","authType":"certificate","credentials":{"certificate":"junk","privateKey":"SECRET-BAD-5"}}')" 422 \
	"certificate credentials that are not PEM: 422"
# a client certificate and key, and a key of another pair
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-keyout "$T/client.key" -out "$T/client.crt" -subj /CN=connector-client 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/other.key" 2>/dev/null
body=$(json '{"name":"c","url":"http://h/","authType":"certificate","credentials":{"certificate":open(sys.argv[1]).read(),"privateKey":open(sys.argv[2]).read()}}' \
	"$T/client.crt" "$T/other.key")
is "$(api POST /connectors "$body")" 422 "certificate with a key of another pair: 422"
like "$(t_json 'j["message"]')" "does not belong" "422 says why"
is "$(naudit)" "$a0" "no audit row for a refused change"
is "$(t_sql "SELECT COUNT(*) FROM connector WHERE name = 'c'")" 0 "nothing stored"

# credentials over plain http:// only when the connector says so
a0=$(naudit)
is "$(api POST /connectors "{\"name\":\"c\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\",\"credentials\":{\"username\":\"cmpd\",\"password\":\"SECRET-PW-x\"}}")" 400 \
	"basic credentials to an http:// url without insecure: 400"
is "$(t_json 'j["message"]')" \
	"credentials would be sent over plain http://: use an https:// url, or mark the connector insecure" \
	"400 says why and what to do"
is "$(api POST /connectors "{\"name\":\"c\",\"url\":\"http://127.0.0.1:9/\",\"insecure\":false,\"authType\":\"apiKey\",\"credentials\":{\"header\":\"X-K\",\"key\":\"SECRET-K-x\"}}")" 400 \
	"an API key to a loopback http:// url, insecure false: 400 (no silent exception)"
is "$(api POST /connectors "{\"name\":\"c\",\"url\":\"HTTP://127.0.0.1:9/\",\"authType\":\"apiKey\",\"credentials\":{\"header\":\"X-K\",\"key\":\"SECRET-K-x\"}}")" 400 \
	"HTTP:// in capitals is plain http too"
body=$(json '{"name":"c","url":"http://127.0.0.1:9/","insecure":True,"authType":"certificate","credentials":{"certificate":open(sys.argv[1]).read(),"privateKey":open(sys.argv[2]).read()}}' \
	"$T/client.crt" "$T/client.key")
is "$(api POST /connectors "$body")" 400 "certificate authentication over http://, even insecure: 400"
is "$(t_json 'j["message"]')" "certificate authentication needs an https:// url" "... says why"
is "$(api POST /connectors '{"name":"c","url":"http://h/","insecure":"yes"}')" 400 "insecure not a boolean: 400"
is "$(naudit)" "$a0" "no audit row for the refusals"
is "$(t_sql "SELECT COUNT(*) FROM connector WHERE name = 'c'")" 0 "nothing stored"

is "$(api POST /connectors "{\"insecure\":true,\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\",\"credentials\":{\"username\":\"cmpd\",\"password\":\"SECRET-PW-basic\"}}")" 201 \
	"POST basic with credentials"
CB=$(t_json 'j["uuid"]')
is "$(t_json 'j["insecure"]')" true "insecure true, as sent"
is "$(t_json 'j["hasCredentials"]')" true "hasCredentials true"
is "$(t_json 'j["authType"]')" basic "authType basic"
unlike "$(cat "$T/api.json")" "SECRET|password|credentials" "the answer has no credentials"
last_audit create connector "$CB" "basic connector created"
is "$(t_sql "SELECT JSON_VALUE(detail, '\$.credentials') FROM audit ORDER BY at DESC, uuid DESC LIMIT 1")" "(set)" \
	"audit records (set) for the credentials"
is "$(t_sql "SELECT COUNT(*) FROM connector WHERE uuid = '$CB' AND auth_data_enc IS NOT NULL AND LOCATE('SECRET', auth_data_enc) = 0")" 1 \
	"credentials stored sealed"

is "$(api POST /connectors "{\"insecure\":true,\"name\":\"conn-apikey\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"apiKey\",\"credentials\":{\"header\":\"X-Connector-Key\",\"key\":\"SECRET-KEY-apikey\"}}")" 201 \
	"POST apiKey with credentials"
CK=$(t_json 'j["uuid"]')
is "$(t_json 'j["hasCredentials"]')" true "apiKey: hasCredentials true"
body=$(json '{"name":"conn-cert","url":"https://127.0.0.1:9/","authType":"certificate","credentials":{"certificate":open(sys.argv[1]).read(),"privateKey":open(sys.argv[2]).read()}}' \
	"$T/client.crt" "$T/client.key")
is "$(api POST /connectors "$body")" 201 "POST certificate with credentials"
CC=$(t_json 'j["uuid"]')
is "$(t_json 'j["authType"]')" certificate "authType certificate"
is "$(t_json 'j["insecure"]')" false "https://: insecure false by default"
unlike "$(cat "$T/api.json")" "PRIVATE KEY" "no key in the answer"

is "$(api GET "/connectors/$CB")" 200 "GET /connectors/{uuid}"
is "$(t_json 'j["name"]')" conn-basic "the right connector"
is "$(t_json 'j["hasCredentials"]')" true "hasCredentials read back"
is "$(api GET "/connectors/$CB" '' "$RO_KEY")" 200 "a read key may read one"
is "$(api GET "/connectors/$NOUUID")" 404 "unknown connector: 404"
is "$(api GET /connectors/not-a-uuid)" 400 "malformed connector UUID: 400"
is "$(api GET "/connectors/$(echo "$CB" | tr a-f A-F)")" 200 "upper-case UUID found too"
is "$(api GET /connectors)" 200 "list again"
is "$(t_json 'len(j)')" 6 "six connectors"

# PUT: credentials kept when not given, for the same type and url; a new
# url needs them again (they must not follow the connector elsewhere)
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca/\",\"authType\":\"basic\"}")" 422 \
	"PUT to another url without credentials: 422"
is "$(t_json 'j["message"]')" "credentials must be sent again when the url changes" "and says so"
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-basic2\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\"}")" 200 \
	"PUT without credentials keeps them"
is "$(t_json 'j["hasCredentials"]')" true "still has credentials"
is "$(t_json 'j["name"]')" conn-basic2 "name changed"
last_audit update connector "$CB" "connector updated"
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\"}")" 200 \
	"and back"
is "$(t_sql "SELECT JSON_EXISTS(detail, '\$.credentials') FROM audit ORDER BY at DESC, uuid DESC LIMIT 1")" 0 \
	"no credentials in that audit row"
a0=$(naudit)
is "$(api PUT "/connectors/$CB" "{\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\"}")" 400 \
	"PUT without insecure (a PUT replaces it: false) on http:// with credentials: 400"
is "$(api GET "/connectors/$CB")" 200 "and the connector is as it was"
is "$(t_json '[j["insecure"], j["hasCredentials"]]')" '[true, true]' "... still insecure, with credentials"
is "$(api PUT "/connectors/$CB" "{\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"apiKey\"}")" 422 \
	"PUT to another authType without credentials: 422"
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-none\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\"}")" 409 \
	"PUT to a taken name: 409"
is "$(api PUT "/connectors/$NOUUID" "{\"name\":\"x\",\"url\":\"$HTTP_BASE/localca\"}")" 404 "PUT unknown: 404"
is "$(api PUT "/connectors/$CB" '{"name":"conn-basic"}')" 422 "PUT without url: 422"
cred_before=$(t_sql "SELECT HEX(auth_data_enc) FROM connector WHERE uuid = '$CB'")
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\",\"credential\":{\"username\":\"cmpd\",\"password\":\"SECRET-PW-typo\"}}")" 400 \
	"PUT with the credentials misspelt: 400, not the old credentials kept"
is "$(t_json 'j["message"]')" "unknown field credential" "400 names it"
is "$(t_sql "SELECT HEX(auth_data_enc) FROM connector WHERE uuid = '$CB'")" "$cred_before" "the credentials as they were"
is "$(naudit)" "$a0" "no audit rows for refused PUTs"
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\",\"credentials\":{\"username\":\"cmpd\",\"password\":\"SECRET-PW-basic-2\"}}")" 200 \
	"PUT with new credentials"
is "$(t_sql "SELECT JSON_VALUE(detail, '\$.credentials') FROM audit ORDER BY at DESC, uuid DESC LIMIT 1")" "(set)" \
	"audit records (set)"
# A deadlock runs the change again on the same body, credentials included:
# a trigger fails the first UPDATE with 1213 (its flag in a table that
# does not roll back).
mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" cmpd <<'EOF' || bail "cannot create the trigger"
CREATE TABLE deadlock_once (n INT) ENGINE = Aria;
INSERT INTO deadlock_once VALUES (0);
DELIMITER //
CREATE TRIGGER deadlock_once BEFORE UPDATE ON connector FOR EACH ROW
  IF NEW.name = 'conn-retry' AND (SELECT n FROM deadlock_once) = 0 THEN
    UPDATE deadlock_once SET n = 1;
    SIGNAL SQLSTATE '40001' SET MYSQL_ERRNO = 1213, MESSAGE_TEXT = 'deadlock made by the test';
  END IF//
DELIMITER ;
EOF
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-retry\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\",\"credentials\":{\"username\":\"cmpd\",\"password\":\"SECRET-PW-basic-2\"}}")" 200 \
	"PUT with credentials that meets a deadlock: run again, 200"
is "$(t_sql "SELECT n FROM deadlock_once")" 1 "... the deadlock happened"
is "$(t_json '[j["name"], j["hasCredentials"]]')" '["conn-retry", true]' "... stored with its credentials"
t_sql "DROP TRIGGER deadlock_once; DROP TABLE deadlock_once" || bail "cannot drop the trigger"
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\"}")" 200 \
	"and its name back"
is "$(api PUT "/connectors/$CC" '{"name":"conn-cert","url":"https://127.0.0.1:9/","authType":"none"}')" 200 \
	"PUT to authType none"
is "$(t_json '[j["authType"], j["hasCredentials"]]')" '["none", false]' "credentials dropped"
is "$(t_sql "SELECT auth_data_enc IS NULL FROM connector WHERE uuid = '$CC'")" 1 "and gone from the row"

# =========================================================== authorities
INST=0f0e0d0c-0b0a-4909-8807-060504030201
a0=$(naudit)
is "$(api POST /authorities "{\"name\":\"auth-basic\",\"connectorUuid\":\"$CB\",\"authorityInstanceUuid\":\"$INST\"}")" 201 \
	"POST /authorities"
AB=$(t_json 'j["uuid"]')
like "$AB" "$UUID_RE" "authority uuid"
is "$(t_json 'j["connector"]')" "{\"uuid\": \"$CB\", \"name\": \"conn-basic\"}" "connector {uuid, name}"
is "$(t_json 'j["authorityInstanceUuid"]')" "$INST" "authorityInstanceUuid"
is "$(t_json 'sorted(j)')" '["authorityInstanceUuid", "connector", "createdAt", "name", "updatedAt", "uuid"]' \
	"authority fields as documented"
last_audit create authority "$AB" "authority created"
is "$(api POST /authorities "{\"name\":\"auth-apikey\",\"connectorUuid\":\"$CK\",\"authorityInstanceUuid\":\"$INST\"}")" 201 \
	"a second authority"
AK=$(t_json 'j["uuid"]')
is "$(api POST /authorities "{\"name\":\"auth-x\",\"connectorUuid\":\"$CN\",\"authorityInstanceUuid\":\"$INST\"}")" 201 \
	"a third authority"
AX=$(t_json 'j["uuid"]')
a0=$(naudit)
is "$(api POST /authorities "{\"name\":\"auth-basic\",\"connectorUuid\":\"$CB\",\"authorityInstanceUuid\":\"$INST\"}")" 409 \
	"duplicate authority name: 409"
is "$(api POST /authorities "{\"name\":\"auth-y\",\"connectorUuid\":\"$NOUUID\",\"authorityInstanceUuid\":\"$INST\"}")" 404 \
	"unknown connector: 404"
like "$(t_json 'j["message"]')" "connector .* not found" "404 names the connector"
is "$(api POST /authorities "{\"name\":\"auth-y\",\"connectorUuid\":\"nope\",\"authorityInstanceUuid\":\"$INST\"}")" 422 \
	"connectorUuid not a UUID: 422"
is "$(api POST /authorities "{\"name\":\"auth-y\",\"connectorUuid\":\"$CB\"}")" 422 \
	"no authorityInstanceUuid: 422"
is "$(api POST /authorities "{\"connectorUuid\":\"$CB\",\"authorityInstanceUuid\":\"$INST\"}")" 422 "no name: 422"
is "$(api POST /authorities '[]')" 400 "body not an object: 400"
is "$(api POST /authorities "{\"name\":\"auth-y\",\"connectorUuid\":\"$CB\",\"authorityInstanceUuid\":\"$INST\",\"connector\":1}")" 400 \
	"an unknown member: 400"
is "$(naudit)" "$a0" "no audit rows for refused POSTs"
is "$(api GET /authorities)" 200 "GET /authorities"
is "$(t_json '[a["name"] for a in j]')" '["auth-apikey", "auth-basic", "auth-x", "localca", "test-authority"]' \
	"all authorities, by name"
is "$(api GET "/authorities/$AB" '' "$RO_KEY")" 200 "GET /authorities/{uuid} with a read key"
is "$(t_json 'j["name"]')" auth-basic "the right authority"
is "$(api GET "/authorities/$NOUUID")" 404 "unknown authority: 404"
is "$(api PUT "/authorities/$AX" "{\"name\":\"auth-x2\",\"connectorUuid\":\"$CC\",\"authorityInstanceUuid\":\"$INST\"}")" 200 \
	"PUT /authorities/{uuid}"
is "$(t_json '[j["name"], j["connector"]["name"]]')" '["auth-x2", "conn-cert"]' "renamed, other connector"
last_audit update authority "$AX" "authority updated"
is "$(api PUT "/authorities/$AX" "{\"name\":\"auth-basic\",\"connectorUuid\":\"$CC\",\"authorityInstanceUuid\":\"$INST\"}")" 409 \
	"PUT to a taken name: 409"
is "$(api PUT "/authorities/$AX" "{\"name\":\"auth-x2\",\"connectorUuid\":\"$NOUUID\",\"authorityInstanceUuid\":\"$INST\"}")" 404 \
	"PUT to an unknown connector: 404"
is "$(api PUT "/authorities/$NOUUID" "{\"name\":\"auth-z\",\"connectorUuid\":\"$CC\",\"authorityInstanceUuid\":\"$INST\"}")" 404 \
	"PUT unknown authority: 404"

is "$(api DELETE "/connectors/$CC")" 409 "DELETE a connector an authority uses: 409"
like "$(t_json 'j["message"]')" "used by an authority" "409 says why"

# =========================================================== RA Profiles
a0=$(naudit)
is "$(api POST "/authorities/$AB/raProfiles" '{"name":"ra-api","description":"made by the API","attributes":[{"name":"ttl","content":[{"data":30}]}]}')" 201 \
	"POST /authorities/{uuid}/raProfiles"
RB=$(t_json 'j["uuid"]')
like "$RB" "$UUID_RE" "RA Profile uuid"
is "$(t_json 'j["enabled"]')" false "created disabled"
is "$(t_json '[j["authorityUuid"], j["authorityName"], j["authorityInstanceUuid"]]')" \
	"[\"$AB\", \"auth-basic\", \"$INST\"]" "its authority"
is "$(t_json 'j["description"]')" "made by the API" "description"
is "$(t_json 'j["attributes"][0]["name"]')" ttl "attributes"
is "$(t_json 'j["cmpProfile"]')" null "no CMP Profile"
is "$(t_json 'sorted(j)')" '["attributes", "authorityInstanceUuid", "authorityName", "authorityUuid", "cmpProfile", "createdAt", "description", "enabled", "name", "updatedAt", "uuid"]' \
	"raProfile fields as documented"
last_audit create raProfile "$RB" "RA Profile created"
is "$(api POST "/authorities/$AK/raProfiles" '{"name":"ra-api-key","enabled":true}')" 201 \
	"an enabled RA Profile on the apiKey connector"
RK=$(t_json 'j["uuid"]')
is "$(t_json 'j["enabled"]')" true "enabled as asked"
is "$(t_json '[j["description"], j["attributes"]]')" '[null, []]' "no description, no attributes"
is "$(api POST "/authorities/$AX/raProfiles" '{"name":"ra-spare"}')" 201 "a spare RA Profile"
RX=$(t_json 'j["uuid"]')
a0=$(naudit)
is "$(api POST "/authorities/$AB/raProfiles" '{"name":"ra on"}')" 422 "name that is no path segment: 422"
is "$(api POST "/authorities/$AB/raProfiles" '{"name":"ra-typo","enable":true}')" 400 "an unknown member: 400"
is "$(api POST "/authorities/$AB/raProfiles" '{"name":".."}')" 422 "name ..: 422"
is "$(api POST "/authorities/$AB/raProfiles" '{"description":"x"}')" 422 "no name: 422"
is "$(api POST "/authorities/$AB/raProfiles" '{"name":"ra-on"}')" 409 "duplicate name: 409"
is "$(api POST "/authorities/$AB/raProfiles" '{"name":"ra-z","attributes":{"a":1}}')" 400 "attributes not an array: 400"
is "$(api POST "/authorities/$AB/raProfiles" '{"name":"ra-z","enabled":"yes"}')" 400 "enabled not a boolean: 400"
is "$(api POST "/authorities/$NOUUID/raProfiles" '{"name":"ra-z"}')" 404 "unknown authority: 404"
is "$(naudit)" "$a0" "no audit rows for refused POSTs"

is "$(api GET /raProfiles)" 200 "GET /raProfiles"
is "$(t_json '[r["name"] for r in j]')" \
	'["ra-api", "ra-api-key", "ra-cmpoff", "ra-enroll", "ra-nocmp", "ra-off", "ra-on", "ra-sig", "ra-spare"]' \
	"all RA Profiles, of all authorities"
is "$(api GET "/authorities/$AB/raProfiles" '' "$RO_KEY")" 200 "GET /authorities/{uuid}/raProfiles"
is "$(t_json '[r["name"] for r in j]')" '["ra-api"]' "only that authority's"
is "$(api GET "/authorities/$NOUUID/raProfiles")" 404 "unknown authority: 404"
is "$(api GET "/authorities/$AB/raProfiles/$RB")" 200 "GET one RA Profile"
is "$(t_json 'j["name"]')" ra-api "the right one"
is "$(api GET "/authorities/$AK/raProfiles/$RB")" 404 "under another authority: 404"
is "$(api GET "/authorities/$AB/raProfiles/$NOUUID")" 404 "unknown RA Profile: 404"

is "$(api PUT "/authorities/$AB/raProfiles/$RB" '{"name":"ra-api","description":"changed","attributes":[]}')" 200 \
	"PUT an RA Profile"
is "$(t_json '[j["description"], j["attributes"], j["enabled"]]')" '["changed", [], false]' \
	"changed; enabled kept"
last_audit update raProfile "$RB" "RA Profile updated"
is "$(api PUT "/authorities/$AB/raProfiles/$RB" '{"name":"ra-on"}')" 422 "PUT with another name: 422"
is "$(t_json 'j["message"]')" "the name of an RA Profile cannot be changed (it is in the devices' URL)" \
	"an RA Profile is not renamed"
is "$(api PUT "/authorities/$AB/raProfiles/$RB" '{"enabled":false}')" 200 "PUT of one field"
is "$(t_json '[j["name"], j["description"], j["attributes"]]')" '["ra-api", "changed", []]' \
	"keeps the fields it does not name"
is "$(api PUT "/authorities/$AK/raProfiles/$RB" '{"name":"ra-api"}')" 404 "PUT under another authority: 404"

is "$(api PATCH "/authorities/$AB/raProfiles/$RB/enable")" 204 "enable"
last_audit enable raProfile "$RB" "enable"
api GET "/authorities/$AB/raProfiles/$RB" > /dev/null
is "$(t_json 'j["enabled"]')" true "enabled"
is "$(api PATCH "/authorities/$AB/raProfiles/$RX/disable")" 404 "disable under another authority: 404"
is "$(api PATCH "/authorities/$AX/raProfiles/$RX/enable")" 204 "enable the spare"
is "$(api PATCH "/authorities/$AX/raProfiles/$RX/disable")" 204 "disable the spare"
last_audit disable raProfile "$RX" "disable"
is "$(t_sql "SELECT enabled FROM ra_profile WHERE uuid = '$RX'")" 0 "disabled"

# ------------------------------------------------ CMP on an RA Profile
is "$(api GET "/authorities/$AB/raProfiles/$RB/protocols/cmp" '' "$RO_KEY")" 200 "GET protocols/cmp"
is "$(t_json '[j["uuid"], j["name"], j["cmpAvailable"], j["cmpUrl"], j["cmpProfile"]]')" \
	"[\"$RB\", \"ra-api\", false, null, null]" "CMP not available yet"
is "$(t_json 'sorted(j)')" '["cmpAvailable", "cmpProfile", "cmpUrl", "issueCertificateAttributes", "name", "revokeCertificateAttributes", "uuid"]' \
	"raProfileCmp fields as documented"
a0=$(naudit)
is "$(api PATCH "/authorities/$AB/raProfiles/$RB/protocols/cmp/activate/$NOUUID")" 404 \
	"activate with an unknown CMP Profile: 404"
like "$(t_json 'j["message"]')" "CMP Profile" "404 names the CMP Profile"
is "$(api PATCH "/authorities/$AB/raProfiles/$RB/protocols/cmp/activate/$ENROLL_CMP" '{"issueCertificateAttributes":"x"}')" 400 \
	"attributes not an array: 400"
is "$(api PATCH "/authorities/$AB/raProfiles/$NOUUID/protocols/cmp/activate/$ENROLL_CMP")" 404 \
	"activate on an unknown RA Profile: 404"
is "$(naudit)" "$a0" "no audit rows for refused activations"
is "$(api PATCH "/authorities/$AB/raProfiles/$RB/protocols/cmp/activate/$ENROLL_CMP" '{"issueCertificateAttributes":[{"name":"i","content":[]}],"revokeCertificateAttributes":[]}')" 200 \
	"activate CMP with the enroll CMP Profile"
is "$(t_json '[j["cmpAvailable"], j["cmpUrl"]]')" \
	"[true, \"$HTTP_BASE/api/v1/protocols/cmp/raProfile/ra-api\"]" "available, with its cmpUrl"
is "$(t_json 'j["cmpProfile"]')" "{\"uuid\": \"$ENROLL_CMP\", \"name\": \"enroll\"}" "cmpProfile {uuid, name}"
is "$(t_json '[j["issueCertificateAttributes"][0]["name"], j["revokeCertificateAttributes"]]')" '["i", []]' \
	"attributes stored"
last_audit activate raProfile "$RB" "activate"
is "$(t_sql "SELECT cmp_profile_uuid FROM ra_profile WHERE uuid = '$RB'")" "$ENROLL_CMP" "ra_profile.cmp_profile_uuid set"
api GET "/authorities/$AB/raProfiles/$RB" > /dev/null
is "$(t_json 'j["cmpProfile"]["name"]')" enroll "the RA Profile shows its CMP Profile"
is "$(api PATCH "/authorities/$AK/raProfiles/$RK/protocols/cmp/activate/$ENROLL_CMP")" 200 \
	"activate without a body"
is "$(t_json '[j["issueCertificateAttributes"], j["revokeCertificateAttributes"]]')" '[[], []]' \
	"no attributes"

# The runtime uses what the API stored: CMP through the RA-profile route,
# the connector's sealed credentials opened by the worker.
client() {
	local path=$1
	shift
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" "$@" > "$T/client.out" 2>&1
}
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
ok "ir through the RA Profile made by the API (basic credentials)" \
	client /api/v1/protocols/cmp/raProfile/ra-api -newkey "$T/dev.key" \
	-subject /CN=api-dev-1 -certout "$T/dev1.crt" || diag_file "$T/client.out" 5
ok "ir through the apiKey connector" \
	client /api/v1/protocols/cmp/raProfile/ra-api-key -newkey "$T/dev.key" \
	-subject /CN=api-dev-2 -certout "$T/dev2.crt" || diag_file "$T/client.out" 5
unlike "$(cat "$T/cmpd.log")" "do not open" "credentials opened by the runtime"

is "$(api PATCH "/authorities/$AK/raProfiles/$RK/protocols/cmp/deactivate")" 204 "deactivate"
last_audit deactivate raProfile "$RK" "deactivate"
api GET "/authorities/$AK/raProfiles/$RK/protocols/cmp" > /dev/null
is "$(t_json '[j["cmpAvailable"], j["cmpUrl"], j["cmpProfile"]]')" '[false, null, null]' "not available any more"
is "$(t_sql "SELECT CONCAT_WS(',', cmp_profile_uuid, cmp_issue_attributes, cmp_revoke_attributes) FROM ra_profile WHERE uuid = '$RK'")" \
	"" "columns cleared"
nok "no CMP through a deactivated RA Profile" \
	client /api/v1/protocols/cmp/raProfile/ra-api-key -newkey "$T/dev.key" -subject /CN=api-dev-3

# deletes
is "$(api DELETE "/authorities/$AB")" 409 "DELETE an authority an RA Profile uses: 409"
like "$(t_json 'j["message"]')" "used by an RA Profile" "409 says why"
is "$(api DELETE "/authorities/00000000-0000-4000-8000-0000000000a1/raProfiles/00000000-0000-4000-8000-000000000001")" 409 \
	"DELETE the default RA Profile of a CMP Profile: 409"
like "$(t_json 'j["message"]')" "default RA Profile of CMP Profile" "409 names it"
is "$(api DELETE "/authorities/$AB/raProfiles/$RX")" 404 "DELETE under another authority: 404"
is "$(api DELETE "/authorities/$AX/raProfiles/$RX")" 204 "DELETE an RA Profile"
last_audit delete raProfile "$RX" "RA Profile deleted"
is "$(api DELETE "/authorities/$AX/raProfiles/$RX")" 404 "again: 404"
is "$(api DELETE "/authorities/$AX")" 204 "DELETE an authority"
last_audit delete authority "$AX" "authority deleted"
is "$(api DELETE "/authorities/$AX")" 404 "again: 404"
is "$(api DELETE "/connectors/$CC")" 204 "DELETE a connector"
last_audit delete connector "$CC" "connector deleted"
is "$(api DELETE "/connectors/$CC")" 404 "again: 404"

# ============================================================ inventory
serial1=$(openssl x509 -in "$T/dev1.crt" -noout -serial | cut -d= -f2)
is "$(api GET /certificates '' "$RO_KEY")" 200 "GET /certificates"
is "$(t_json 'len(j)')" 2 "two certificates"
is "$(t_json '[c["subject"] for c in j]')" '["CN=api-dev-2", "CN=api-dev-1"]' "newest first"
is "$(t_json 'sorted(j[0])')" '["cmpProfileUuid", "createdAt", "fingerprint", "issuer", "lastRevokeError", "nextRevokeAttempt", "notAfter", "notBefore", "raProfileUuid", "revocationReason", "revokeAttempts", "serialNumber", "status", "subject", "updatedAt", "uuid"]' \
	"certificate fields as documented"
is "$(api GET "/certificates?raProfileUuid=$RB")" 200 "filter by raProfileUuid"
is "$(t_json '[c["subject"] for c in j]')" '["CN=api-dev-1"]' "that RA Profile's"
C1=$(t_json 'j[0]["uuid"]')
is "$(t_json '[j[0]["status"], j[0]["serialNumber"], j[0]["raProfileUuid"], j[0]["cmpProfileUuid"], j[0]["revocationReason"]]')" \
	"[\"issued\", \"$serial1\", \"$RB\", \"$ENROLL_CMP\", null]" "status, serial, profiles"
like "$(t_json 'j[0]["notBefore"]')" "$TS_RE" "notBefore is a timestamp"
like "$(t_json 'j[0]["notAfter"]')" "$TS_RE" "notAfter is a timestamp"
fp=$(openssl x509 -in "$T/dev1.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
is "$(t_json 'j[0]["fingerprint"]')" "$fp" "fingerprint: SHA-256, lowercase hex"
like "$(t_json 'j[0]["issuer"]')" "Test Issuing CA" "issuer"
is "$(api GET "/certificates?serialNumber=$(echo "$serial1" | tr A-F a-f)")" 200 "filter by serialNumber"
is "$(t_json '[c["uuid"] for c in j]')" "[\"$C1\"]" "found by serial, any case"
is "$(api GET "/certificates?subject=CN%3Dapi-dev-2")" 200 "filter by subject"
is "$(t_json '[c["subject"] for c in j]')" '["CN=api-dev-2"]' "subject starts with"
is "$(api GET "/certificates?subject=CN%3Dapi-dev-")" 200 "filter by a shorter prefix"
is "$(t_json 'sorted(c["subject"] for c in j)')" '["CN=api-dev-1", "CN=api-dev-2"]' "both start with it"
is "$(api GET "/certificates?subject=api-dev-2")" 200 "filter by the middle of a subject"
is "$(t_json 'j')" '[]' "a prefix search: the middle matches nothing"
# a subject with a space, searched as a browser's URLSearchParams (the
# console's) writes it: "+" for a space, "%2B" for a plus sign (a row of
# its own, gone again)
SP=0000000b-0000-4000-8000-00000000000b
t_sql "CREATE TEMPORARY TABLE x AS SELECT * FROM certificate WHERE uuid = '$C1';
  UPDATE x SET uuid = '$SP', serial_number = 'AB5', subject_dn = 'O=api tests+OU=a b,CN=api-sp';
  INSERT INTO certificate SELECT * FROM x" || bail "cannot add the row"
is "$(api GET "/certificates?subject=O%3Dapi+tests")" 200 "filter by a subject with a space, sent as +"
is "$(t_json '[c["uuid"] for c in j]')" "[\"$SP\"]" "... found"
is "$(api GET "/certificates?subject=O%3Dapi%20tests%2BOU%3Da+b")" 200 "%2B a plus sign, + a space"
is "$(t_json '[c["uuid"] for c in j]')" "[\"$SP\"]" "... found"
t_sql "DELETE FROM certificate WHERE uuid = '$SP'"
is "$(api GET "/certificates?status=issued&cmpProfileUuid=$ENROLL_CMP&limit=1")" 200 "status, cmpProfileUuid, limit"
is "$(t_json 'len(j)')" 1 "limit=1: one"
is "$(api GET "/certificates?status=issued&limit=1&offset=1")" 200 "offset"
is "$(t_json '[c["subject"] for c in j]')" '["CN=api-dev-1"]' "offset=1: the older one"
# after=: the page after a certificate (keyset paging)
is "$(api GET "/certificates?status=issued&limit=1")" 200 "the first page of one"
first=$(t_json 'j[0]["uuid"]')
is "$(api GET "/certificates?status=issued&limit=1&after=$first")" 200 "after= the first"
is "$(t_json '[c["subject"] for c in j]')" '["CN=api-dev-1"]' "... the older one, as offset=1"
last=$(t_json 'j[0]["uuid"]')
is "$(api GET "/certificates?status=issued&after=$(echo "$last" | tr a-f A-F)")" 200 "after= the last (upper case)"
is "$(t_json 'j')" '[]' "... nothing after it"
is "$(api GET "/certificates?after=$first&offset=1")" 400 "after= and offset=: 400"
like "$(t_json 'j["message"]')" "after and offset exclude each other" "... saying so"
is "$(api GET "/certificates?after=$NOUUID")" 400 "after= no certificate: 400"
like "$(t_json 'j["message"]')" "after names no certificate" "... saying so"
is "$(api GET "/certificates?after=nope")" 400 "after= not a UUID: 400"
# two certificates of the same microsecond: by uuid, and after= the one
# goes on with the other
t_sql "SET SESSION foreign_key_checks = 0;
INSERT INTO certificate (uuid, serial_number, issuer_dn, subject_dn, issuer_hash, not_before,
    not_after, fingerprint, der, status, created_at) VALUES
  ('0000000a-0000-4000-8000-00000000000b', 'EE0B', 'CN=x', 'CN=tie-b', UNHEX(SHA2('x', 256)),
   NOW(), NOW(), UNHEX(SHA2('tie-b', 256)), 'x', 'issued', '2099-01-01 00:00:05'),
  ('0000000a-0000-4000-8000-00000000000a', 'EE0A', 'CN=x', 'CN=tie-a', UNHEX(SHA2('x', 256)),
   NOW(), NOW(), UNHEX(SHA2('tie-a', 256)), 'x', 'issued', '2099-01-01 00:00:05')"
is "$(api GET "/certificates?limit=1")" 200 "two certificates of one microsecond"
is "$(t_json '[c["subject"] for c in j]')" '["CN=tie-a"]' "... the first by uuid"
is "$(api GET "/certificates?limit=1&after=0000000a-0000-4000-8000-00000000000a")" 200 "... after= it"
is "$(t_json '[c["subject"] for c in j]')" '["CN=tie-b"]' "... the other, of the same microsecond"
t_sql "DELETE FROM certificate WHERE uuid LIKE '0000000a-%'"
is "$(api GET "/certificates?status=revoked")" 200 "status=revoked"
is "$(t_json 'j')" '[]' "none revoked"
is "$(api GET "/certificates?status=bogus")" 400 "unknown status: 400"
is "$(api GET "/certificates?limit=0")" 400 "limit=0: 400"
is "$(api GET "/certificates?limit=1001")" 400 "limit=1001: 400"
is "$(api GET "/certificates?offset=-1")" 400 "offset=-1: 400"
is "$(api GET "/certificates?cmpProfileUuid=nope")" 400 "cmpProfileUuid not a UUID: 400"
is "$(api GET "/certificates?serialNumber=xyz")" 400 "serialNumber not hex: 400"
is "$(api GET "/certificates/$C1" '' "$RO_KEY")" 200 "GET /certificates/{uuid}"
is "$(t_json 'j["certificateData"]')" "$(openssl x509 -in "$T/dev1.crt" -outform DER | base64 -w0)" \
	"certificateData: base64 DER of the issued certificate"
is "$(t_json 'j["subject"]')" CN=api-dev-1 "with the summary fields"
is "$(api GET "/certificates/$NOUUID")" 404 "unknown certificate: 404"
is "$(api GET /certificates/nope)" 400 "malformed certificate UUID: 400"

is "$(api GET /cmpTransactions '' "$RO_KEY")" 200 "GET /cmpTransactions"
is "$(t_json 'len(j)')" 2 "two transactions (the refused ir opened none)"
is "$(t_json 'sorted(j[0])')" '["certReqId", "certificateUuid", "cmpProfileUuid", "createdAt", "deadline", "failure", "implicitConfirm", "position", "raProfileUuid", "requestType", "state", "transactionId", "updatedAt"]' \
	"transaction fields as documented"
is "$(api GET "/cmpTransactions?state=confirmed&cmpProfileUuid=$ENROLL_CMP")" 200 "filter by state and cmpProfileUuid"
is "$(t_json 'len(j)')" 2 "two confirmed"
TID=$(t_json '[t["transactionId"] for t in j if t["certificateUuid"] == "'"$C1"'"][0]')
like "$TID" '^[0-9a-f]{32,128}$' "transactionId in lowercase hex"
is "$(api GET "/cmpTransactions/$TID")" 200 "GET /cmpTransactions/{hex}"
is "$(t_json '[j["requestType"], j["certReqId"], j["state"], j["certificateUuid"], j["raProfileUuid"], j["cmpProfileUuid"], j["implicitConfirm"]]')" \
	"[\"ir\", 0, \"confirmed\", \"$C1\", \"$RB\", \"$ENROLL_CMP\", false]" "its fields"
like "$(t_json 'j["createdAt"]')" "$TS_RE" "createdAt is a timestamp"
is "$(api GET "/cmpTransactions/$(echo "$TID" | tr a-f A-F)")" 200 "upper-case hex found too"
is "$(api GET /cmpTransactions/00112233445566778899aabbccddeeff)" 404 "unknown transaction: 404"
is "$(api GET /cmpTransactions/abc)" 400 "odd length: 400"
is "$(api GET /cmpTransactions/zz112233445566778899aabbccddeeff)" 400 "not hex: 400"
is "$(api GET "/cmpTransactions?state=bogus")" 400 "unknown state: 400"
is "$(api GET "/cmpTransactions?state=confirmed&limit=1")" 200 "limit"
is "$(t_json 'len(j)')" 1 "limit=1: one"
# newest first by createdAt, rows of the same microsecond by their
# transactionId, descending. Four rows (in the future, so first), written
# in another order than their times, two of the same microsecond.
t_sql "INSERT INTO cmp_transaction (transaction_id, position, cmp_profile_uuid,
    request_type, state, created_at) VALUES
  (UNHEX('0000000000000000000000000000ee0c'), 0, '$ENROLL_CMP', 0, 'expired', '2099-01-01 00:00:01'),
  (UNHEX('0000000000000000000000000000ee0a'), 0, '$ENROLL_CMP', 0, 'expired', '2099-01-01 00:00:03'),
  (UNHEX('0000000000000000000000000000ee0d'), 0, '$ENROLL_CMP', 0, 'expired', '2099-01-01 00:00:01'),
  (UNHEX('0000000000000000000000000000ee0b'), 0, '$ENROLL_CMP', 0, 'expired', '2099-01-01 00:00:02')"
tails='[t["transactionId"][-4:] for t in j]'
is "$(api GET "/cmpTransactions?limit=4")" 200 "transactions written out of their time order"
is "$(t_json "$tails")" '["ee0a", "ee0b", "ee0d", "ee0c"]' \
	"... newest first by createdAt, the same microsecond by transactionId"
is "$(api GET "/cmpTransactions?limit=2&offset=2")" 200 "... the second page"
is "$(t_json "$tails")" '["ee0d", "ee0c"]' "... continues where the first ended"
is "$(api GET "/cmpTransactions?state=expired&cmpProfileUuid=$ENROLL_CMP")" 200 "... filtered"
is "$(t_json "$tails")" '["ee0a", "ee0b", "ee0d", "ee0c"]' "... in the same order"
# after=: the page after an entry, the same microsecond's too
is "$(api GET "/cmpTransactions?limit=2&after=0000000000000000000000000000ee0b")" 200 "after= an entry"
is "$(t_json "$tails")" '["ee0d", "ee0c"]' "... continues as offset=2"
is "$(api GET "/cmpTransactions?limit=1&after=0000000000000000000000000000EE0D")" 200 \
	"after= the first of two of the same microsecond"
is "$(t_json "$tails")" '["ee0c"]' "... the other one follows"
is "$(api GET "/cmpTransactions?state=expired&cmpProfileUuid=$ENROLL_CMP&after=0000000000000000000000000000ee0a")" 200 \
	"after=, filtered"
is "$(t_json "$tails")" '["ee0b", "ee0d", "ee0c"]' "... in the same order"
# one transaction of three entries: position 2, 1, 0 in the list
t_sql "INSERT INTO cmp_transaction (transaction_id, position, cmp_profile_uuid,
    request_type, state, created_at) VALUES
  (UNHEX('0000000000000000000000000000ee0e'), 0, '$ENROLL_CMP', 0, 'expired', '2099-01-01 00:00:04'),
  (UNHEX('0000000000000000000000000000ee0e'), 1, '$ENROLL_CMP', 0, 'expired', '2099-01-01 00:00:04'),
  (UNHEX('0000000000000000000000000000ee0e'), 2, '$ENROLL_CMP', 0, 'expired', '2099-01-01 00:00:04')"
pos='[t["transactionId"][-4:] + "/" + str(t["position"]) for t in j]'
is "$(api GET "/cmpTransactions?limit=3")" 200 "a transaction of three entries"
is "$(t_json "$pos")" '["ee0e/2", "ee0e/1", "ee0e/0"]' "... its positions descending"
is "$(api GET "/cmpTransactions?limit=3&after=0000000000000000000000000000ee0e&afterPosition=2")" 200 \
	"after= with afterPosition="
is "$(t_json "$pos")" '["ee0e/1", "ee0e/0", "ee0a/0"]' "... goes on within the transaction"
is "$(api GET "/cmpTransactions?limit=1&after=0000000000000000000000000000ee0e")" 200 \
	"after= without afterPosition: after the transaction's last entry"
is "$(t_json "$pos")" '["ee0a/0"]' "... the next transaction"
is "$(api GET "/cmpTransactions?after=0000000000000000000000000000ee0e&afterPosition=7")" 400 \
	"afterPosition= of no entry: 400"
like "$(t_json 'j["message"]')" "after names no CMP transaction entry" "... saying so"
is "$(api GET "/cmpTransactions?afterPosition=1")" 400 "afterPosition= without after=: 400"
is "$(api GET "/cmpTransactions?after=ee0&limit=1")" 400 "after= of odd length: 400"
like "$(t_json 'j["message"]')" "after must be 1 to 64 bytes in hex" "... saying so"
is "$(api GET "/cmpTransactions?after=0000000000000000000000000000ee0a&offset=1")" 400 "after= and offset=: 400"
t_sql "DELETE FROM cmp_transaction WHERE transaction_id = UNHEX('0000000000000000000000000000ee0e')"
t_sql "DELETE FROM cmp_transaction WHERE transaction_id IN (UNHEX('0000000000000000000000000000ee0a'),
  UNHEX('0000000000000000000000000000ee0b'), UNHEX('0000000000000000000000000000ee0c'),
  UNHEX('0000000000000000000000000000ee0d'))"
is "$(api POST /certificates '{}')" 405 "the inventory is read-only: 405"

# ================================================== read-only key: 403
a0=$(naudit)
ro() {
	is "$(api "$1" "$2" "${3-}" "$RO_KEY")" 403 "read key: $1 $2 is 403"
}
ro POST /connectors '{"name":"ro","url":"http://h/"}'
ro PUT "/connectors/$CB" '{"name":"ro","url":"http://h/"}'
ro DELETE "/connectors/$CN"
ro POST /authorities "{\"name\":\"ro\",\"connectorUuid\":\"$CN\",\"authorityInstanceUuid\":\"$INST\"}"
ro PUT "/authorities/$AB" "{\"name\":\"ro\",\"connectorUuid\":\"$CN\",\"authorityInstanceUuid\":\"$INST\"}"
ro DELETE "/authorities/$AK"
ro POST "/authorities/$AB/raProfiles" '{"name":"ro"}'
ro PUT "/authorities/$AB/raProfiles/$RB" '{"name":"ro"}'
ro DELETE "/authorities/$AK/raProfiles/$RK"
ro PATCH "/authorities/$AB/raProfiles/$RB/enable"
ro PATCH "/authorities/$AB/raProfiles/$RB/disable"
ro PATCH "/authorities/$AB/raProfiles/$RB/protocols/cmp/activate/$ENROLL_CMP"
ro PATCH "/authorities/$AB/raProfiles/$RB/protocols/cmp/deactivate"
is "$(naudit)" "$a0" "no audit rows for refused changes"
is "$(t_sql "SELECT CONCAT(name, enabled, cmp_profile_uuid) FROM ra_profile WHERE uuid = '$RB'")" \
	"ra-api1$ENROLL_CMP" "nothing changed"

# ============================================== caps, no secret_key_file
a0=$(naudit)
big=$(head -c 17000 /dev/zero | tr '\0' 'S')
is "$(api PUT "/connectors/$CB" "{\"insecure\":true,\"name\":\"conn-basic\",\"url\":\"$HTTP_BASE/localca\",\"authType\":\"basic\",\"credentials\":{\"username\":\"cmpd\",\"password\":\"SECRET-$big\"}}")" 422 \
	"credentials longer than the runtime reads: 422"
like "$(t_json 'j["message"]')" "longer than 16354 bytes" "422 says the cap"
is "$(api PATCH /connectors '{}')" 405 "PATCH /connectors: 405"
t_stop_cmpd
t_write_conf "-secret_key_file"
t_start_cmpd || bail "cmpd did not start without secret_key_file"
is "$(api POST /connectors '{"name":"c-nokey","url":"http://h/","authType":"basic","credentials":{"username":"u","password":"SECRET-nokey"}}')" 422 \
	"no secret_key_file: credentials refused"
like "$(t_json 'j["message"]')" "secret_key_file" "422 says why"
is "$(api POST /connectors '{"name":"c-nokey","url":"http://h/"}')" 201 \
	"no secret_key_file: a connector without credentials is fine"
is "$(naudit)" "$((a0 + 1))" "one audit row: the connector made"

# ======================================== credentials never shown
SECRETS='SECRET-|BEGIN PRIVATE KEY|BEGIN EC PRIVATE KEY'
nok "no credential in any API answer" grep -Eq "$SECRETS" "$T/answers"
ok "answers were kept" test -s "$T/answers"
nok "no credential in cmpd's log" grep -Eq "$SECRETS|X-Connector-Key" "$T/cmpd.log"
t_sql "SELECT CONCAT_WS(' ', actor, action, object_type, object_uuid, detail) FROM audit" > "$T/audit.txt"
nok "no credential in the audit table" grep -Eq "$SECRETS" "$T/audit.txt"
is "$(t_sql "SELECT COUNT(*) FROM connector WHERE LOCATE('SECRET', auth_data_enc) > 0 OR LOCATE('PRIVATE', auth_data_enc) > 0")" 0 \
	"no credential in clear in the connector table"
# every change (create/update/delete/enable/disable/activate/deactivate)
# above left its row; the tally per object type
is "$(t_sql "SELECT object_type, COUNT(*) FROM audit WHERE actor = 'apiKey:api-admin' GROUP BY object_type ORDER BY object_type" | tr '\t\n' ':,')" \
	"authority:5,connector:12,raProfile:12," "audit rows per object type (one for the change a deadlock ran twice)"

done_testing
