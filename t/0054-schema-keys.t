#!/bin/sh
# Keys that no node hands out. No table of cmpd's has an AUTO_INCREMENT
# column: on a Galera cluster each node counts for itself, and any worker
# on any host writes. An installation migrated from the schema that had
# two (versions up to 25: cmp_transaction.id, audit.id) keeps every row,
# each with a key of its own, in the order it had; the API lists them
# with the rows written afterwards.
. "$top_srcdir/t/lib.sh"
t_setup
t_start_db || bail "MariaDB did not start"
plan_auto

# --------------------------------------- the schema before version 26
mkdir "$T/schema-25"
for f in "$top_srcdir"/schema/[0-9][0-9][0-9][0-9]-*.sql; do
	v=${f##*/}
	[ "$((10#${v%%-*}))" -le 25 ] && cp "$f" "$T/schema-25/"
done
t_write_conf "schema_dir = $T/schema-25"
ok "migrated to version 25" t_migrate
is "$(t_sql "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'cmpd'
  AND extra LIKE '%auto_increment%'")" 2 "version 25 had two AUTO_INCREMENT columns"
# two audit rows of the same microsecond, written in this order; two
# transactions, one of two certificates
t_sql "INSERT INTO audit (at, actor, action, object_type) VALUES
  ('2026-01-02 03:04:05.000001', 'apiKey:a', 'create', 'cmpProfile'),
  ('2026-01-02 03:04:05.000001', 'apiKey:a', 'update', 'cmpProfile'),
  ('2026-01-02 03:04:06.5', 'apiKey:b', 'delete', 'connector');
INSERT INTO cmp_transaction (transaction_id, position, request_type, state, created_at) VALUES
  (UNHEX('aa02'), 0, 0, 'expired', '2026-01-02 03:04:07'),
  (UNHEX('aa01'), 0, 0, 'confirmed', '2026-01-02 03:04:05'),
  (UNHEX('aa01'), 1, 0, 'confirmed', '2026-01-02 03:04:05')" ||
	bail "writing the old rows failed"

# --------------------------------------------------------- the upgrade
t_write_conf
ok "migrated to the shipped schema" t_migrate
like "$(cat "$T/migrate.log")" "applied migration 0026-tx-key.sql" "... 0026 applied"
like "$(cat "$T/migrate.log")" "applied migration 0027-audit-key.sql" "... 0027 applied"
is "$(t_sql "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'cmpd'
  AND extra LIKE '%auto_increment%'")" 0 "no AUTO_INCREMENT column in any table"
pk() {
	t_sql "SELECT GROUP_CONCAT(column_name ORDER BY seq_in_index)
	  FROM information_schema.statistics WHERE table_schema = 'cmpd'
	  AND table_name = '$1' AND index_name = 'PRIMARY'"
}
is "$(pk cmp_transaction)" "created_at,transaction_id,position" \
	"cmp_transaction: keyed by (created_at, transaction_id, position)"
is "$(pk audit)" uuid "audit: keyed by uuid"

is "$(t_sql "SELECT GROUP_CONCAT(CONCAT(LOWER(HEX(transaction_id)), '/', position, '/', state)
  ORDER BY created_at, transaction_id, position) FROM cmp_transaction")" \
	"aa01/0/confirmed,aa01/1/confirmed,aa02/0/expired" "every transaction row kept"
is "$(t_sql "SELECT COUNT(*), COUNT(DISTINCT uuid) FROM audit")" "3	3" \
	"every audit row kept, each with its own uuid"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE uuid RLIKE
  '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\$'")" 3 \
	"... UUIDs of version 7 (RFC 9562 5.7)"
# 2026-01-02 03:04:06.5 is 1767323046500 ms after 1970-01-01: 0x19b7ca99264
is "$(t_sql "SELECT LEFT(uuid, 13) FROM audit WHERE action = 'delete'")" "019b7ca9-9264" \
	"... beginning with the row's time in milliseconds"
like "$(t_sql "SELECT GROUP_CONCAT(action ORDER BY uuid) FROM audit")" "^(create,update|update,create),delete\$" \
	"... in the rows' time order"
# a package's upgrade runs its newest migration again (t/0037-deb): both
# run twice leave the same rows, keys and indexes
keys() {
	t_sql "SELECT GROUP_CONCAT(uuid ORDER BY uuid) FROM audit;
	  SELECT GROUP_CONCAT(CONCAT(index_name, ':', column_name) ORDER BY index_name, seq_in_index)
	  FROM information_schema.statistics WHERE table_schema = 'cmpd'
	  AND table_name IN ('audit', 'cmp_transaction')"
}
before=$(keys)
t_sql "DELETE FROM schema_version WHERE version >= 26"
ok "0026 and 0027 once more" t_migrate
like "$(cat "$T/migrate.log")" "applied migration 0027-audit-key.sql" "... both applied again"
is "$(keys)" "$before" "... the same keys and indexes as after the first run"
is "$(t_sql "SELECT COUNT(*) FROM cmp_transaction")" 3 "... every transaction row still there"

# the transaction's key still refuses a transactionID twice (the check
# behind transactionIdInUse), whatever the time
nok "a transaction's (transaction_id, position) stays unique" t_sql \
	"INSERT INTO cmp_transaction (transaction_id, position, request_type) VALUES (UNHEX('aa02'), 0, 0)"

# ---------------------------------------------- rows written afterwards
t_sql "$(cat "$top_srcdir/t/profiles.sql")" || bail "seeding the profiles failed"
t_start_cmpd || bail "cmpd did not start"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
API_KEY=$(t_api_key schema-admin admin)
is "$(t_api POST /apiKeys '{"name":"later","role":"read"}')" 201 "an API key made through the API"
is "$(t_api GET /auditLogs)" 200 "the audit log"
is "$(t_json '" ".join(a["action"] + ":" + a["objectType"] for a in j)')" \
	"create:apiKey update:connector update:cmpProfile delete:connector update:cmpProfile create:cmpProfile" \
	"... the new rows first (the API key, the set-up's cmpd --set-*), then the migrated ones, newest first"
is "$(t_json 'sum(1 for a in j if len(a["uuid"]) == 36 and a["uuid"][14] == "7")')" 6 \
	"... each with its uuid"
is "$(t_json '"id" in j[0]')" false "... and no id"
like "$(t_sql "SELECT uuid FROM audit WHERE object_type = 'apiKey'")" \
	'^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' \
	"cmpd writes a version 7 uuid"

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
ok "an enrolment after the upgrade (openssl cmp, ir + certConf)" \
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
	-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" -newkey "$T/dev.key" \
	-subject /CN=after-upgrade -certout "$T/dev.crt" -msg_timeout 20 -total_timeout 40
is "$(t_api GET "/cmpTransactions?limit=10")" 200 "the transaction list"
is "$(t_json '[t["transactionId"][-4:] + "/" + str(t["position"]) for t in j][1:]')" \
	'["aa02/0", "aa01/1", "aa01/0"]' "... the new transaction first, then the migrated rows"
is "$(t_json 'j[0]["state"]')" confirmed "... the new one confirmed"

done_testing
