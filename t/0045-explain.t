#!/bin/sh
# The sweep's and the inventory's queries use an index, whatever the
# tables hold: each statement, taken from its C source as the worker
# prepares it, is EXPLAINed as a prepared statement with the parameters a
# worker binds, against 10^5 certificates and transactions (most of them
# settled, as in a long-running installation), and no table of its plan
# may be read in full (type ALL), by a full scan of an index (type
# index), or without a key. The one index read accepted is a list's page
# with nothing to filter: the index read in the list's order and stopped
# by LIMIT (no "Using where", at most LIMIT + OFFSET rows). Pages far down a list
# (an OFFSET beyond a few per cent of the table) are left to MariaDB's
# cost model: there a sort of the table may cost less than as many index
# look-ups.
. "$top_srcdir/t/lib.sh"
t_setup
t_start_db
t_write_conf
t_migrate || bail "migrate failed"
plan_auto

N=100000
# c_sql FILE FUNCTION VARIABLE: the SQL text of `static const char
# VARIABLE[]` in FUNCTION, its string literals joined; macros (the column
# lists) are left out
c_sql() {
	awk -v fn="$2" -v var="$3" '
	$0 ~ "^" fn "\\(" { infn = 1 }
	infn && $0 ~ "static const char " var "\\[\\] =" { on = 1 }
	on {
		s = $0
		while (match(s, /"([^"\\]|\\.)*"/)) {
			out = out substr(s, RSTART + 1, RLENGTH - 2)
			s = substr(s, RSTART + RLENGTH)
		}
		if ($0 ~ /;[ \t]*$/) { print out; exit }
	}' "$top_srcdir/src/$1"
}

# c_sqlx FILE FUNCTION VARIABLE: as c_sql, with the macros it names
# expanded (string macros defined in FILE or in src/*.h, as the compiler
# joins them); c_sqlx FILE - MACRO: the macro's own text. A name it cannot
# expand prints "unexpanded: NAME", which no EXPLAIN accepts.
c_sqlx() {
	awk -v fn="$2" -v var="$3" -v target="$top_srcdir/src/$1" '
	# the literals of s joined, the macros among them expanded
	function expand(s, depth,   out, t, n) {
		out = ""
		while (s != "") {
			if (match(s, /^[ \t\\]+/)) {
				s = substr(s, RLENGTH + 1)
				continue
			}
			if (match(s, /^"([^"\\]|\\.)*"/))
				out = out substr(s, 2, RLENGTH - 2)
			else if (match(s, /^[A-Za-z_][A-Za-z0-9_]*/)) {
				t = substr(s, 1, RLENGTH)
				if (!(t in def) || depth > 8)
					return "unexpanded: " t
				n = RLENGTH	# the expansion matches too
				out = out expand(def[t], depth + 1)
				RLENGTH = n
			} else
				break	# the initializer ends (;)
			s = substr(s, RLENGTH + 1)
		}
		return out
	}
	FNR == 1 { indef = ""; infn = 0 }
	indef != "" {
		def[indef] = def[indef] " " $0
		if ($0 !~ /\\[ \t]*$/)
			indef = ""
		next
	}
	/^#define [A-Za-z_][A-Za-z0-9_]*[ \t]+"/ {
		body = $0
		sub(/^#define [A-Za-z_][A-Za-z0-9_]*/, "", body)
		def[$2] = body
		if ($0 ~ /\\[ \t]*$/)
			indef = $2
		next
	}
	FILENAME == target && $0 ~ "^" fn "\\(" { infn = 1 }
	infn && !on && $0 ~ "static const char " var "\\[\\] =" {
		on = 1
		text = $0
		sub(/^.*\[\] =/, "", text)
		if ($0 ~ /;[ \t]*$/) { found = text; on = 0; infn = 0 }
		next
	}
	on {
		text = text " " $0
		if ($0 ~ /;[ \t]*$/) { found = text; on = 0; infn = 0 }
	}
	END {
		if (fn == "-")
			found = var
		print expand(found, 0)
	}' "$top_srcdir"/src/*.h "$top_srcdir/src/$1"
}

# fill: N certificates and N transactions; one in 200 of them still in
# a state the sweep looks for. t_sql's 30 s can be too short for this on
# a busy machine.
fill_sql() {
	timeout 600 mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" \
		-N -B cmpd -e "$1"
}
fill_sql "SET SESSION foreign_key_checks = 0;
INSERT INTO certificate (uuid, serial_number, issuer_dn, subject_dn,
  issuer_hash, not_before, not_after, fingerprint, der, status,
  ra_profile_uuid, cmp_profile_uuid, revoke_after, created_at)
SELECT LOWER(CONCAT(LPAD(HEX(seq), 8, '0'), '-0000-4000-8000-', LPAD(HEX(seq), 12, '0'))),
  CONCAT('5E', LPAD(HEX(seq), 14, '0')), 'CN=Explain CA',
  CONCAT('CN=explain-', seq, ',O=cmpd'), UNHEX(SHA2('CN=Explain CA', 256)),
  NOW(), NOW() + INTERVAL 1 YEAR, UNHEX(SHA2(CONCAT('fp-', seq), 256)), 'x',
  IF(seq % 200 = 0, 'revoke_pending', 'issued'),
  CONCAT('00000000-0000-4000-8000-0000000000', LPAD(seq % 10, 2, '0')),
  CONCAT('00000000-0000-4000-8000-0000000001', LPAD(seq % 10, 2, '0')),
  IF(seq % 200 = 0, NOW(6) - INTERVAL 1 HOUR, NULL),
  NOW(6) - INTERVAL seq SECOND
FROM seq_1_to_$N;
INSERT INTO cmp_transaction (transaction_id, position, cmp_profile_uuid,
  ra_profile_uuid, request_type, cert_req_id, certificate_uuid, state,
  deadline, request_id, issuing_at, created_at)
SELECT UNHEX(SHA2(CONCAT('tid-', seq), 256)), 0,
  CONCAT('00000000-0000-4000-8000-0000000001', LPAD(seq % 10, 2, '0')),
  CONCAT('00000000-0000-4000-8000-0000000000', LPAD(seq % 10, 2, '0')),
  0, 0, LOWER(CONCAT(LPAD(HEX(seq), 8, '0'), '-0000-4000-8000-', LPAD(HEX(seq), 12, '0'))),
  ELT(1 + IF(seq % 200 = 0, seq / 200 % 4, 4), 'issuing', 'waiting',
    'confirm_wait', 'open', 'confirmed'),
  NOW(6) + INTERVAL 1 MINUTE,
  LOWER(CONCAT(LPAD(HEX(seq), 8, '0'), '-0000-4000-8000-f', LPAD(HEX(seq), 11, '0'))),
  NOW(6) - INTERVAL seq SECOND, NOW(6) - INTERVAL seq SECOND
FROM seq_1_to_$N;
ANALYZE TABLE certificate, cmp_transaction" > "$T/fill.log" 2>&1 ||
	{ st=$?; diag_file "$T/fill.log"; bail "filling the tables failed (status $st)"; }
is "$(t_sql "SELECT (SELECT COUNT(*) FROM certificate), (SELECT COUNT(*) FROM cmp_transaction)")" \
	"$N	$N" "$N certificates and transactions"

# uses_index [--page N] NAME SQL [VALUE...]: EXPLAIN SQL, prepared, with
# the values bound to its parameters in order; every row of the plan has
# a key, and none is a full scan of the table (ALL) or of an index
# (index). With --page N (LIMIT + OFFSET of a list), an index read of at
# most N rows that filters nothing is accepted: LIMIT stops it. The plan
# is left in LAST_PLAN.
LAST_PLAN=
uses_index() {
	local page=0
	if [ "$1" = --page ]; then
		page=$2
		shift 2
	fi
	local name=$1 sql=$2 v sets="" using="" i=0 plan
	shift 2
	for v in "$@"; do
		i=$((i + 1))
		sets+="SET @p$i = $v; "
		using+="${using:+, }@p$i"
	done
	plan=$(t_sql "$sets PREPARE s FROM '$(printf '%s' "EXPLAIN $sql" |
		sed "s/'/''/g")'; EXECUTE s${using:+ USING $using}" 2>&1)
	LAST_PLAN=$plan
	diag "$name:"
	printf '%s\n' "$plan" | while IFS= read -r l; do diag "  $l"; done
	# id select_type table type possible_keys key key_len ref rows Extra
	if [ -z "$plan" ] || printf '%s\n' "$plan" | grep -q '^ERROR'; then
		fail "$name: EXPLAIN failed"
		return
	fi
	# a plan that reads no table, or stops at an impossible WHERE (the
	# values bound match no row), tells nothing either
	if printf '%s\n' "$plan" | awk -F '\t' -v page="$page" '
		$10 ~ /Impossible WHERE/ { bad = 1 }
		$3 == "NULL" && $4 == "NULL" { next }	# no table (a constant)
		{ tables++ }
		$4 == "ALL" || $6 == "NULL" { bad = 1 }
		$4 == "index" && !(page > 0 && $9 != "NULL" && $9 + 0 <= page + 0 &&
		    $10 !~ /Using where/) { bad = 1 }
		END { exit !(bad || tables == 0) }'; then
		fail "$name: a table or an index read in full"
	else
		pass "$name: every table read through an index, none in full"
	fi
}

# plan_keys TABLE: the key LAST_PLAN reads TABLE (its name or alias) by
plan_keys() {
	printf '%s\n' "$LAST_PLAN" | awk -F '\t' -v t="$1" '$3 == t { print $6 }'
}

# the statements as the workers prepare them
sql=$(c_sql cmp_sweep.c sweep_reconcile_one sql_due)
like "$sql" "^SELECT transaction_id, .*ORDER BY COALESCE" "sweep: the reconcile query found"
# issuing_age 60, not forced; WAITING rows due; rr, genm (11, 21)
uses_index "sweep: reconcile, due rows" "$sql" 60 60 0 0 "'2000-01-01'" 11 21
uses_index "sweep: reconcile, forced" "$sql" 0 0 1 1 "NOW(6)" 11 21
sql=$(c_sql cmp_sweep.c sweep_reconcile_one sql_claim)
uses_index "sweep: reconcile claim" "$(printf '%s' "$sql")" 30 3600 "UNHEX(SHA2('tid-200', 256))" 0 40 0 0 \
	"'2000-01-01'"
sql=$(c_sql cmp_sweep.c sweep_revoke_one sql_due)
like "$sql" "^SELECT c.uuid, c.der, .*revoke_pending" "sweep: the revocation query found"
uses_index "sweep: revocations due" "$sql" 0 "'2000-01-01'" 20
uses_index "sweep: revocations due, forced" "$sql" 1 "NOW(6)" 20
# the expiry's batch cutoff and its two UPDATEs (the parameters: the
# run's start and the batch's offset; the reason, the cutoff)
for v in sql_cut sql_cert sql_tx; do
	sql=$(c_sql cmp_sweep.c sweep_expire_run $v)
	isnt "$sql" "" "sweep: expiry $v found"
	case $v in
	sql_cut)
		uses_index "sweep: expiry $v" "$sql" "NOW(6)" 999 ;;
	sql_cert)
		uses_index "sweep: expiry $v" "$sql" "'cessationOfOperation'" "NOW(6)" ;;
	sql_tx)
		uses_index "sweep: expiry $v" "$sql" "NOW(6)" ;;
	esac
done
# the expiry of waiting rr and genm: whether one is due, then the UPDATE
for v in sql_due sql_expire; do
	sql=$(c_sql cmp_sweep.c sweep_rr_expire $v)
	isnt "$sql" "" "sweep: rr expiry $v found"
	case $v in
	sql_due)
		uses_index "sweep: rr expiry $v" "$sql" 11 21 0 ;;
	sql_expire)
		uses_index "sweep: rr expiry $v" "$sql" 11 21 0 1000 ;;
	esac
done
sql=$(c_sql cmp_sweep.c cmp_sweep sql_backlog)
isnt "$sql" "" "sweep: sql_backlog found"
uses_index "sweep: sql_backlog" "$sql"

# the enrolment's own statements, each run for every enrolment: a
# transaction's rows by its transactionID, its certificate by its uuid, a
# signer's chain by issuer and serial. The values are those of row 400
# (its transaction 'confirm_wait') and of the certificates after it (a
# chain in good standing), so that each plan reads real rows (uses_index
# refuses an impossible WHERE).
tid="UNHEX(SHA2('tid-400', 256))"
cuuid="'00000190-0000-4000-8000-000000000190'"
cmp="'00000000-0000-4000-8000-000000000100'"
ih="UNHEX(SHA2('CN=Explain CA', 256))"
pairs=("$ih" "'5E00000000000191'" "$ih" "'5E00000000000192'"
	"$ih" "'5E00000000000193'" "$ih" "'5E00000000000194'")
sql=$(c_sqlx store.c store_issued_run sql_tx)
like "$sql" "^UPDATE cmp_transaction FORCE INDEX \\(cmp_transaction_tid_pos\\) SET certificate_uuid = \\?, .* WHERE transaction_id = \\? AND position = \\?" \
	"enrolment: the issued row's UPDATE found (STORE_TX_ISSUED)"
uses_index "enrolment: the transaction's row once issued" "$sql" \
	"$cuuid" "'n'" "'confirm_wait'" 0 60 "'h'" "$tid" 0 "'n0'"
is "$(plan_keys cmp_transaction)" cmp_transaction_tid_pos "... by the transaction's key"
issued_sql=$sql
for f in store_tx_wait store_tx_poll_early; do
	sql=$(c_sqlx store_wait.c $f sql)
	like "$sql" "last_sender_nonce IN \\(\\?, \\?\\)" "pollReq: $f's UPDATE found"
	if [ $f = store_tx_wait ]; then
		uses_index "pollReq: the waiting row's UPDATE ($f)" "$sql" \
			"'n'" 5 300 604800 0 "$tid" 0 "'n0'" "'n'"
	else
		uses_index "pollReq: the waiting row's UPDATE ($f)" "$sql" \
			"'n'" 300 604800 "$tid" 0 "'n0'" "'n'"
	fi
	is "$(plan_keys cmp_transaction)" cmp_transaction_tid_pos "... by the transaction's key"
done
sql=$(c_sqlx store_wait.c store_tx_nonce_rest sql)
like "$sql" "WHERE transaction_id = \\? AND position <> \\?" "pollReq, certConf: the other rows' nonce UPDATE found"
uses_index "pollReq, certConf: the nonce of a transaction's other rows" "$sql" \
	"'n'" "$tid" 1 "'n0'" "'n'"
is "$(plan_keys cmp_transaction)" cmp_transaction_tid_pos "... by the transaction's key"
sql=$(c_sqlx store_tx.c store_tx_list sql)
like "$sql" "WHERE t.transaction_id = \\? ORDER BY t.position" "certConf: the rows' read found"
uses_index "certConf, pollReq: a transaction's rows and certificates" "$sql" "$tid"
for v in sql_ok sql_rej; do
	sql=$(c_sqlx store_tx.c store_confirm_run $v)
	uses_index "certConf: the settlement of one row ($v)" "$sql" "'n'" "$tid" 0 "$cuuid"
done
sql=$(c_sqlx store_tx.c store_confirm_run sql_owe)
uses_index "certConf: the rejected certificate's revocation owed" "$sql" \
	"'cessationOfOperation'" 40 "$cuuid"
sql=$(c_sqlx store_tx.c store_confirm_one_run sql)
like "$sql" "^UPDATE cmp_transaction t FORCE INDEX \\(cmp_transaction_tid_pos\\) SET .* WHERE t.transaction_id = \\? AND t.position = 0 AND t.tx_rows = 1 " \
	"certConf: the one-statement UPDATE found (CONFIRM_ONE_SQL)"
unlike "$sql" "JOIN|FROM cmp_transaction" \
	"... of the one table, which no subquery reads again (MariaDB would copy it to temporary tables)"
set -- "'n'" "$tid" "$cmp" "'shared_secret'" "'h'" "'kid'" "''" 0 "'h'" "'n'"
uses_index "certConf in one statement" "$sql" "$@"
is "$(plan_keys t)" cmp_transaction_tid_pos "... by the transaction's key"
confirm_sql=$sql
sql=$(c_sqlx store_tx.c store_confirm_one_run sql_signed)
like "$sql" "AND NOT EXISTS \\(SELECT 1 FROM certificate r FORCE INDEX \\(certificate_issuer_serial\\) WHERE r.status IN \\('revoked', 'revoke_pending', 'rejected'\\) AND \\(issuer_hash, serial_number\\) IN \\(\\(\\?, \\?\\), " \
	"certConf: its signed form found (STORE_BARRED_SQL, STORE_CHAIN_PAIRS_SQL)"
uses_index "certConf in one statement, signed" "$sql" "$@" "${pairs[@]}"
is "$(plan_keys t) $(plan_keys r)" "cmp_transaction_tid_pos certificate_issuer_serial" \
	"... the transaction by its key, the chain by issuer and serial"
sql=$(c_sqlx store_status.c status_part sql)
like "$sql" "^SELECT issuer_hash, serial_number, status FROM certificate FORCE INDEX \\(certificate_issuer_serial\\) WHERE \\(issuer_hash, serial_number\\) IN " \
	"a signer's chain: the look-up found"
uses_index "a signer's chain in the inventory" "$sql" "${pairs[@]}"
like "$LAST_PLAN" "range" "... a range of the index, pair by pair"
is "$(plan_keys certificate)" certificate_issuer_serial "... by issuer and serial"
sql=$(c_sqlx store_status.c status_part sql_unconfirmed)
like "$sql" "^SELECT c.issuer_hash, c.serial_number, 'unconfirmed' FROM certificate c FORCE INDEX \\(certificate_issuer_serial\\) JOIN cmp_transaction t ON t.certificate_uuid = c.uuid WHERE .* \\(issuer_hash, serial_number\\) IN " \
	"an issued signer waiting for its certConf: the look-up found"
uses_index "an issued signer waiting for its certConf" "$sql" "${pairs[@]}"
is "$(plan_keys c) $(plan_keys t)" "certificate_issuer_serial cmp_transaction_certificate" \
	"... by issuer and serial, the transaction by its key to the certificate"

# inventory: GET /certificates (CERT_COLS names the columns)
sql="SELECT uuid, serial_number, subject_dn, status $(c_sql api_inventory.c cert_list sql)"
like "$sql" "FROM certificate WHERE .*ORDER BY created_at DESC" "inventory: the certificate list found"
e="''"
# after= absent: its flag empty, the cursor's time never compared
none=("$e" "'1970-01-01 00:00:00'" "'1970-01-01 00:00:00'" "$e")
uses_index --page 100 "inventory: certificates, first page" "$sql" $e $e $e $e $e $e $e $e $e "'%'" "${none[@]}" 100 0
uses_index --page 1100 "inventory: certificates, a later page" "$sql" $e $e $e $e $e $e $e $e $e "'%'" "${none[@]}" 100 1000
uses_index "inventory: certificates of a status" "$sql" $e $e $e $e \
	"'revoke_pending'" "'revoke_pending'" $e $e $e "'%'" "${none[@]}" 100 0
uses_index "inventory: certificates of a CMP Profile" "$sql" \
	"'00000000-0000-4000-8000-000000000103'" "'00000000-0000-4000-8000-000000000103'" \
	$e $e $e $e $e $e $e "'%'" "${none[@]}" 100 0
unlike "$LAST_PLAN" "filesort" "... in the list's order, through the profile's index"
uses_index "inventory: certificates of an RA Profile" "$sql" $e $e \
	"'00000000-0000-4000-8000-000000000003'" "'00000000-0000-4000-8000-000000000003'" \
	$e $e $e $e $e "'%'" "${none[@]}" 100 0
unlike "$LAST_PLAN" "filesort" "... in the list's order, through the profile's index"
uses_index "inventory: certificate by serial number" "$sql" $e $e $e $e $e $e \
	"'5E000000000000C8'" "'5E000000000000C8'" $e "'%'" "${none[@]}" 100 0
uses_index "inventory: certificates by subject" "$sql" $e $e $e $e $e $e $e $e \
	"'CN=explain-42,'" "'CN=explain-42,%'" "${none[@]}" 100 0
# after=: the page after a certificate deep in the list is a range of the
# list's index, not a read of every entry before it
cu="'0000c350-0000-4000-8000-00000000c350'"
cat="(SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') FROM certificate WHERE uuid = $cu)"
uses_index "inventory: certificates after one deep in the list" "$sql" $e $e $e $e $e $e $e $e $e "'%'" \
	"$cu" "$cat" "$cat" "$cu" 100 0
like "$LAST_PLAN" "	range	" "... a range of the index"
unlike "$LAST_PLAN" "filesort" "... in the list's order"
uses_index "inventory: certificates of a CMP Profile after one" "$sql" \
	"'00000000-0000-4000-8000-000000000100'" "'00000000-0000-4000-8000-000000000100'" \
	$e $e $e $e $e $e $e "'%'" "$cu" "$cat" "$cat" "$cu" 100 0
like "$LAST_PLAN" "	range	" "... a range of the profile's index"
unlike "$LAST_PLAN" "filesort" "... in the list's order"
sql="SELECT uuid $(c_sql api_inventory.c cert_get sql)"
uses_index "inventory: one certificate" "$sql" "'00000001-0000-4000-8000-000000000001'"

# inventory: GET /cmpTransactions (TX_COLS ends in FROM cmp_transaction)
sql="SELECT transaction_id, state FROM cmp_transaction $(c_sql api_inventory.c tx_list sql)"
like "$sql" "WHERE .*ORDER BY" "inventory: the transaction list found"
txnone=("$e" "'1970-01-01 00:00:00'" "'1970-01-01 00:00:00'" "$e" "$e" 0)
uses_index --page 100 "inventory: transactions, first page" "$sql" $e $e $e $e "${txnone[@]}" 100 0
# newest first by the table's key (created_at, transaction_id, position;
# schema 0026), read backwards in that order, not sorted
like "$sql" "ORDER BY created_at DESC, transaction_id DESC, position DESC" "inventory: transactions in time order"
is "$(plan_keys cmp_transaction)" PRIMARY "... through the table's key"
unlike "$LAST_PLAN" "filesort" "... without a sort"
uses_index "inventory: transactions of a state" "$sql" "'issuing'" "'issuing'" $e $e "${txnone[@]}" 100 0
uses_index "inventory: transactions of a CMP Profile" "$sql" $e $e \
	"'00000000-0000-4000-8000-000000000103'" "'00000000-0000-4000-8000-000000000103'" "${txnone[@]}" 100 0
unlike "$LAST_PLAN" "filesort" "... in the list's order, through the profile's index"
tu="UNHEX(SHA2('tid-50000', 256))"
tat="(SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') FROM cmp_transaction WHERE transaction_id = $tu)"
uses_index "inventory: transactions after one deep in the list" "$sql" $e $e $e $e \
	"'x'" "$tat" "$tat" "$tu" "$tu" 0 100 0
like "$LAST_PLAN" "	range	" "... a range of the key"
unlike "$LAST_PLAN" "filesort" "... in the list's order"
uses_index "inventory: transactions of a CMP Profile after one" "$sql" $e $e \
	"'00000000-0000-4000-8000-000000000100'" "'00000000-0000-4000-8000-000000000100'" \
	"'x'" "$tat" "$tat" "$tu" "$tu" 0 100 0
# MariaDB 10.11 estimates a range of a descending key part as the whole
# profile, and between equal estimates takes ref: the profile's entries
# newer than the cursor are skipped in the index (its condition pushed
# down), without reading their rows
is "$(plan_keys cmp_transaction)" cmp_transaction_cmp_profile_created "... through the profile's index"
like "$LAST_PLAN" "Using index condition" "... the cursor checked in the index"
unlike "$LAST_PLAN" "filesort" "... in the list's order"
sql="SELECT transaction_id, state FROM cmp_transaction $(c_sql api_inventory.c tx_get sql)"
uses_index "inventory: one transaction" "$sql" "UNHEX(SHA2('tid-7', 256))"

# GET /auditLogs?actor=: one actor's rows through its index, newest first
# (2 000 rows of 20 actors); one that wrote none reads none
fill_sql "INSERT INTO audit (uuid, at, actor, action, object_type)
SELECT LOWER(CONCAT(LPAD(HEX(seq), 8, '0'), '-0000-7000-8000-', LPAD(HEX(seq), 12, '0'))),
  NOW(6) - INTERVAL seq SECOND, CONCAT('apiKey:k', seq % 20), 'update', 'cmpProfile'
FROM seq_1_to_2000;
ANALYZE TABLE audit" > "$T/fill.log" 2>&1 || bail "filling the audit table failed"
sql=$(c_sql api_audit.c api_audit_list sql)
like "$sql" "FROM audit WHERE .*actor = \\?.*ORDER BY at DESC" "audit: the list found"
none=("$e" "$e" "$e" "$e")
for who in "'apiKey:k7'" "'apiKey:nobody'"; do
	uses_index "audit: the rows of actor $who" "$sql" $e $e $e $e "$who" "$who" "$e" \
		"'1970-01-01 00:00:00'" "'1970-01-01 00:00:00'" "$e" 100 0
	is "$(plan_keys audit)" audit_actor_at "... through the actor's index"
	unlike "$LAST_PLAN" "filesort" "... in the list's order"
done

# A small installation with no transaction waiting: the range optimizer
# finds the state's index (state, ...) as narrow as the transaction's key
# and would read the row through it; the UPDATEs of an enrolment name
# the transaction's key.
t_sql "SET @newest = (SELECT MAX(created_at) FROM cmp_transaction WHERE transaction_id <> $tid);
DELETE FROM cmp_transaction WHERE created_at < @newest - INTERVAL 500 SECOND AND transaction_id <> $tid;
UPDATE cmp_transaction SET state = 'confirmed' WHERE state <> 'confirmed';
ANALYZE TABLE cmp_transaction" > /dev/null
uses_index "no transaction waiting: the issued row's UPDATE" "$issued_sql" \
	"$cuuid" "'n'" "'confirm_wait'" 0 60 "'h'" "$tid" 0 "'n0'"
is "$(plan_keys cmp_transaction)" cmp_transaction_tid_pos "... by the transaction's key"
uses_index "no transaction waiting: certConf in one statement" "$confirm_sql" \
	"'n'" "$tid" "$cmp" "'shared_secret'" "'h'" "'kid'" "''" 0 "'h'" "'n'"
is "$(plan_keys t)" cmp_transaction_tid_pos "... by the transaction's key"

done_testing
