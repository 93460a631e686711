#!/bin/sh
# cmp-localca's /certificates/lookup, behind a real lighttpd on a real
# MariaDB.  With "final": true (cmpd about to settle the transaction as
# one the CA issued nothing for) its "found": false is binding: the
# request id is then void, an issue or renew for it that comes later
# (its INSERT held by a partition, sent again) is refused and issues
# nothing, a second lookup says the same, and an INSERT of a certificate
# for it not yet committed when the lookup comes is waited for and
# found, not missed.  Without "final" (a pollReq while the issue call
# may still be working) "found": false is only what the table holds
# now, and the issue that comes after still issues.
. "$top_srcdir/t/lib.sh"
t_setup
t_start_db
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
plan_auto

AUTH=4f2b8c1e-7d3a-4e5f-9a6b-0c1d2e3f4a5b
V2=/localca/v2/authorityProvider/authorities/$AUTH/certificates

# api PATH BODYFILE: the status on stdout, the body in $T/resp.json
api() {
	rm -f "$T/resp.json"
	curl -sS --noproxy '*' --max-time 60 -X POST \
		-H 'Content-Type: application/json' -H 'Expect:' \
		--data-binary "@$2" -u "$(t_localca_curl_auth)" \
		-o "$T/resp.json" -w '%{http_code}\n' "$HTTP_BASE$1"
}
body() { cat "$T/resp.json" 2>/dev/null; }
field() { sed -n 's/.*"'"$1"'":"\([^"]*\)".*/\1/p' "$T/resp.json"; }
# lookup_body REQUEST_ID [FINAL]: FINAL true by default
lookup_body() {
	printf '{"requestId":"%s","raProfileAttributes":[],"final":%s}' "$1" "${2-true}" > "$T/lk.json"
}
# issue_body OUT NAME [extra JSON members]: a PKCS#10 request for CN=NAME
issue_body() {
	openssl req -new -key "$T/ee.key" -subj "/CN=$2" -outform DER \
		-out "$T/$2.p10" 2> /dev/null || bail "openssl req"
	printf '{"request":"%s","format":"pkcs10","attributes":[],"raProfileAttributes":[]%s}' \
		"$(base64 -w0 < "$T/$2.p10")" "${3-}" > "$1"
}
rows() { t_sql "SELECT COUNT(*) FROM localca_certificate WHERE request_id = '$1'"; }
issued() { t_sql "SELECT COUNT(*) FROM localca_certificate WHERE request_id = '$1' AND status <> 'void'"; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	-out "$T/ee.key" 2> /dev/null || bail "key"

# ------------------- not final: an answer of the moment, nothing voided
RID0=early-0001
lookup_body "$RID0" false
is "$(api "$V2/lookup" "$T/lk.json")" 200 "a lookup without final of a requestId not issued yet: 200"
is "$(body)" "{\"requestId\":\"$RID0\",\"found\":false}" "... found false"
is "$(rows "$RID0")" 0 "... nothing recorded for it"
issue_body "$T/early.json" early ",\"requestId\":\"$RID0\""
is "$(api "$V2/issue" "$T/early.json")" 200 "the issue that comes after still issues"
is "$(issued "$RID0")" 1 "... its certificate recorded"
is "$(api "$V2/lookup" "$T/lk.json")" 200 "the lookup again"
like "$(body)" '"found":true' "... finds it"
printf '{"requestId":"x-1","raProfileAttributes":[],"final":"yes"}' > "$T/bad.json"
is "$(api "$V2/lookup" "$T/bad.json")" 422 "final not a boolean: 422"

# ------------------------------------------- nothing issued, for good
RID=void-0001
lookup_body "$RID"
is "$(api "$V2/lookup" "$T/lk.json")" 200 "lookup of a requestId never issued: 200"
is "$(body)" "{\"requestId\":\"$RID\",\"found\":false}" "... found false"
is "$(rows "$RID")" 1 "... the requestId is recorded as void"
is "$(t_sql "SELECT status, subject, LENGTH(der), request_sha256 IS NULL,
	serial_hex LIKE 'void-%' FROM localca_certificate WHERE request_id = '$RID'")" \
	"$(printf 'void\t\t0\t1\t1')" "... a row with no certificate and no serial"
is "$(api "$V2/lookup" "$T/lk.json")" 200 "the same lookup again: 200"
is "$(body)" "{\"requestId\":\"$RID\",\"found\":false}" "... found false again"
is "$(rows "$RID")" 1 "... still one row"
issue_body "$T/late.json" late ",\"requestId\":\"$RID\""
is "$(api "$V2/issue" "$T/late.json")" 409 "an issue for it that comes after: 409"
like "$(body)" 'requestId was looked up and found unissued' "... $(body)"
is "$(issued "$RID")" 0 "... nothing issued for it"
like "$(cat "$T/localca.log")" "status=409 outcome=conflict" "... logged as a conflict"

# A renew under a void requestId is refused the same way; the
# certificate it renews is issued under a requestId of its own.
issue_body "$T/first.json" first ',"requestId":"first-0001"'
is "$(api "$V2/issue" "$T/first.json")" 200 "an issue with another requestId: 200"
old=$(field certificateData)
RID2=void-0002
lookup_body "$RID2"
is "$(api "$V2/lookup" "$T/lk.json")" 200 "lookup of a second requestId: 200"
like "$(body)" '"found":false' "... found false"
issue_body "$T/renew.json" renewed ",\"requestId\":\"$RID2\",\"certificate\":\"$old\""
is "$(api "$V2/renew" "$T/renew.json")" 409 "a renew under the void requestId: 409"
is "$(issued "$RID2")" 0 "... nothing issued for it"
issue_body "$T/plain.json" plain
is "$(api "$V2/issue" "$T/plain.json")" 200 "an issue without requestId still issues"

# ------------------------------- an INSERT not yet committed is found
# A certificate row for RID3 inserted and held uncommitted for a few
# seconds, as an issue whose commit is still on its way: the lookup
# waits for it and finds it, instead of answering found false at once.
RID3=inflight-0001
held_insert() {	# held_insert REQUEST_ID SERIAL COMMIT|ROLLBACK
	t_sql "START TRANSACTION;
		INSERT INTO localca_certificate (uuid, serial_hex, subject,
			not_before, not_after, der, status, request_id,
			request_sha256)
		VALUES (UUID(), '$2', 'CN=in-flight', NOW(), NOW() + INTERVAL 1 DAY,
			X'3003020101', 'issued', '$1', UNHEX(SHA2('$1', 256)));
		DO SLEEP(3); $3" > "$T/held.out" 2>&1
}
row_held() {
	[ "$(t_sql "SELECT COUNT(*) FROM information_schema.INNODB_TRX
		WHERE trx_rows_modified > 0")" -ge 1 ]
}
held_insert "$RID3" 0a0b0c01 COMMIT &
held=$!
ok "a certificate's INSERT is held uncommitted" t_wait 10 row_held
lookup_body "$RID3"
t0=$(date +%s%N)
is "$(api "$V2/lookup" "$T/lk.json")" 200 "lookup while it is held: 200"
t1=$(date +%s%N)
like "$(body)" '"found":true' "... found, once it is committed"
is "$(field certificateData)" "MAMCAQE=" "... the held row's certificate"
ok "... the lookup waited for the commit" [ $(((t1 - t0) / 1000000)) -ge 1000 ]
wait "$held"
is "$(rows "$RID3")" 1 "... one row for it, the certificate's"

RID4=inflight-0002
held_insert "$RID4" 0a0b0c02 ROLLBACK &
held=$!
ok "another INSERT held, to be rolled back" t_wait 10 row_held
lookup_body "$RID4"
is "$(api "$V2/lookup" "$T/lk.json")" 200 "lookup while it is held: 200"
is "$(body)" "{\"requestId\":\"$RID4\",\"found\":false}" "... found false once it is rolled back"
wait "$held"
is "$(t_sql "SELECT status FROM localca_certificate WHERE request_id = '$RID4'")" void \
	"... and the requestId void"

# ----------------------------------------- an older table is upgraded
t_sql "DELETE FROM localca_certificate WHERE status = 'void';
	ALTER TABLE localca_certificate MODIFY status ENUM('issued','revoked')
	NOT NULL DEFAULT 'issued'" > /dev/null
t_restart_db
RID5=void-0005
lookup_body "$RID5"
is "$(api "$V2/lookup" "$T/lk.json")" 200 "on a table without 'void', after a new connection: 200"
is "$(body)" "{\"requestId\":\"$RID5\",\"found\":false}" "... found false"
like "$(t_sql "SELECT COLUMN_TYPE FROM information_schema.COLUMNS
	WHERE TABLE_NAME = 'localca_certificate' AND COLUMN_NAME = 'status'")" \
	"'void'" "... the column was given the value"
is "$(rows "$RID5")" 1 "... and the requestId recorded"

done_testing
