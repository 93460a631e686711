#!/bin/sh
# Two cmpd hosts over a three-node MariaDB Galera cluster, behind HAProxy
# (contrib/cluster/cluster.sh), all on 127.0.0.1 (DESIGN: any worker, any
# host):
#  - ir on one host, its certConf on the other, through HAProxy's round
#    robin, 50 times: every one ends in pkiconf, nothing left open on any
#    node;
#  - the same transactionID sent to both hosts at once: one issues, the
#    other answers transactionIdInUse;
#  - load at C=8 through HAProxy while a Galera node is killed (SIGKILL)
#    and rejoins by IST, and while a cmpd host is killed and HAProxy routes
#    around it; then the three-way count: every certificate a client
#    received is stored by cmpd and valid at the CA, valid at the CA =
#    issued in cmpd's inventory, and the three nodes hold the same rows.
. "$top_srcdir/t/lib.sh"
t_setup
CL_SH=$top_srcdir/contrib/cluster/cluster.sh
cl() { bash "$CL_SH" "$@"; }
LOAD=$top_builddir/t/cmpload
TOOL=$top_builddir/t/cmptool

# Galera, HAProxy and the SST method come as Debian packages; install
# them like contrib/deps.sh installs the build dependencies.
. "$top_srcdir/contrib/deps.sh"
DEPS_PACKAGES="galera-4 haproxy rsync iproute2"
if ! deps_install > "$T/deps.log" 2>&1; then
	diag_file "$T/deps.log" 10
	skip_all "galera-4 and haproxy are not installed and apt-get could not install them"
fi
[ -r /usr/lib/galera/libgalera_smm.so ] ||
	skip_all "no Galera provider /usr/lib/galera/libgalera_smm.so (galera-4)"

# As root the nodes run as MariaDB's user (cluster.sh), who must reach
# their directories under $T.
chmod 711 "$T"
CLUSTER_DIR=$T/c
CLUSTER_BUILDDIR=$top_builddir
CLUSTER_TIMEOUT=180
export CLUSTER_DIR CLUSTER_BUILDDIR CLUSTER_TIMEOUT

# Everything cluster.sh started stops at exit, before lib.sh's own
# clean-up removes $T; on failure its logs come first.
_cl_exit() {
	local st=$? f
	if [ -d "$CLUSTER_DIR" ]; then
		if [ "$st" != 0 ] || [ "$_t_failed" != 0 ]; then
			for f in a/cmpd.log b/cmpd.log ca/localca.log haproxy/haproxy.log \
			    n1/mariadb.log n2/mariadb.log n3/mariadb.log migrate.log; do
				diag_file "$CLUSTER_DIR/$f" 40
			done
		fi
		cl stop > "$T/cluster-stop.log" 2>&1 || diag_file "$T/cluster-stop.log"
	fi
	(exit "$st")
	_t_exit
}
trap _cl_exit EXIT

# The cluster's 50 ports are of a range no other test takes (t/lib.sh):
# a joiner's SST port is bound only while it joins.  Here another
# process holds n2's SST port until n2's first state transfer has failed
# for it: cluster.sh starts n2 again, and it joins.
first_port=$(t_free_port_block) || bail "no 50 free ports in 20000-20999"
sst2=$((first_port + 32))
cat > "$T/hold.py" <<'EOF'
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
open(sys.argv[3], "w").close()
deadline = time.time() + 300
while time.time() < deadline:
    try:
        with open(sys.argv[2], "rb") as f:
            if b"Failed to prepare for 'rsync' SST" in f.read():
                break
    except OSError:
        pass
    time.sleep(0.2)
EOF
t_bg hold python3 "$T/hold.py" "$sst2" "$CLUSTER_DIR/n2/mariadb.log" "$T/held"
t_wait 10 test -e "$T/held" || bail "could not take port $sst2"
if ! CLUSTER_PORT=$first_port timeout 600 bash "$CL_SH" start > "$T/cluster-start.log" 2>&1; then
	diag_file "$T/cluster-start.log" 60
	bail "contrib/cluster/cluster.sh start failed"
fi
. "$CLUSTER_DIR/cluster.env"
plan_auto
is "$P" "$first_port" "the cluster took the ports it was given"
ok "n2's SST port was held: cluster.sh started n2 again" \
	grep -q "n2: its state transfer did not begin (SST port $sst2" "$T/cluster-start.log"
ok "the holder let go once n2's state transfer failed" t_wait 10 _t_gone "$BG_PID_hold"
diag "$(grep -E 'db_host|Synced' "$T/cluster-start.log")"
is "$DB_HOSTS" 1 "the cmpd hosts know db_hosts"
ok "host a lists every Galera node" grep -q "^db_hosts = .*$NODE1_PORT.*$NODE2_PORT.*$NODE3_PORT" \
	"$CLUSTER_DIR/a/cmpd.conf"

# nq N SQL: as root on node N, database cmpd, reads causal (they see every
# write the cluster committed before)
nq() {
	timeout 60 mariadb --no-defaults -S "$CLUSTER_DIR/n$1/mysql.sock" -u root \
		-N -B cmpd -e "SET SESSION wsrep_sync_wait = 1; $2"
}
wsrep() {
	timeout 30 mariadb --no-defaults -S "$CLUSTER_DIR/n$1/mysql.sock" -u root \
		-N -B -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2
}
synced() { [ "$(wsrep "$1" wsrep_local_state_comment)" = Synced ]; }
size_is() { [ "$(wsrep "$1" wsrep_cluster_size)" = "$2" ]; }
size3() { size_is "$1" 3; }
ha_state() {	# ha_state HOST: its state in HAProxy's backend cmpd
	curl -s --noproxy '*' --max-time 5 "$STATS_URL;csv" |
		awk -F, -v h="$1" '$1 == "cmpd" && $2 == h { print $18 }'
}
ha_is() { [ "$(ha_state "$1")" = "$2" ]; }
# field FILE KEY: a key=value of cmpload's report (0 when absent)
field() { local v; v=$(sed -n "s/^$2=//p" "$1"); echo "${v:-0}"; }

CMP=/api/v1/protocols/cmp/enroll
for n in 1 2 3; do
	is "$(wsrep "$n" wsrep_cluster_size)" 3 "n$n: wsrep_cluster_size 3"
	is "$(wsrep "$n" wsrep_local_state_comment)" Synced "n$n: Synced"
done
ok "HAProxy sees host a UP" t_wait 30 ha_is a UP
ok "HAProxy sees host b UP" t_wait 30 ha_is b UP

# ------------------------------------- ir on one host, certConf on the other
# One client, one message at a time: HAProxy's round robin sends the ir
# to one host and its certConf to the other, every time.
timeout 300 "$LOAD" -u "$CLUSTER_URL$CMP" -s "$CLUSTER_SECRET" -r "$CLUSTER_REF" \
	--recipient CN=cmpd -c 1 -n 50 -d 240 --msg-timeout 20 \
	-o "$T/split.certs" > "$T/split.out" 2>&1
is "$(field "$T/split.out" ok)" 50 "50 enrolments through HAProxy end in pkiconf"
is "$(field "$T/split.out" certconf_failed)" 0 "no certConf failed"
# tids HOST BODY: transactionIDs of the enroll profile's BODY on HOST
tids() {
	sed -n "s/.* route=cmpProfile\/enroll .* body=$2->[a-z]* tid=\([0-9a-f]*\) outcome=CMPF_OK.*/\1/p" \
		"$CLUSTER_DIR/$1/cmpd.log" | sort -u
}
for h in a b; do tids $h ir > "$T/ir.$h"; tids $h certConf > "$T/cc.$h"; done
cross=$(( $(comm -12 "$T/ir.a" "$T/cc.b" | wc -l) + $(comm -12 "$T/ir.b" "$T/cc.a" | wc -l) ))
same=$(( $(comm -12 "$T/ir.a" "$T/cc.a" | wc -l) + $(comm -12 "$T/ir.b" "$T/cc.b" | wc -l) ))
diag "ir on a: $(wc -l < "$T/ir.a"), on b: $(wc -l < "$T/ir.b");" \
	"certConf on a: $(wc -l < "$T/cc.a"), on b: $(wc -l < "$T/cc.b")"
is "$cross" 50 "each of the 50: ir answered by one host, certConf by the other"
is "$same" 0 "no ir and certConf on the same host"
for n in 1 2 3; do
	is "$(nq "$n" "SELECT COUNT(*) FROM cmp_transaction WHERE state NOT IN ('confirmed')")" 0 \
		"n$n: no transaction left open (all confirmed)"
	is "$(nq "$n" "SELECT COUNT(*) FROM cmp_transaction WHERE state = 'confirmed'")" 50 \
		"n$n: 50 confirmed transactions"
	is "$(nq "$n" "SELECT COUNT(*) FROM certificate WHERE status = 'issued'")" 50 \
		"n$n: 50 issued certificates"
done

# ------------------------------- one transactionID at both hosts at once
# The ir fixture with a fresh transactionID (MAC'd again with its secret)
# to host a and host b directly, both in flight together.
nq 1 "INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-00000000e102', 'fixture', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '1234')" || bail "inserting CMP Profile fixture failed"
printf 'test-secret\n' | "$CMPD_BIN" -c "$CLUSTER_DIR/a/cmpd.conf" --set-shared-secret fixture \
	> "$T/secret.log" 2>&1 || { diag_file "$T/secret.log"; bail "--set-shared-secret failed"; }
# Unconfirmed certificates (these, and a certConf lost with a host below)
# are revoked by the sweep after 10 s.
nq 1 "UPDATE cmp_profile SET confirm_wait_time = 10" || bail "UPDATE cmp_profile failed"
post() {	# post FILE PORT OUT
	curl -sS --noproxy '*' --max-time 60 -H 'Content-Type: application/pkixcmp' \
		-H 'Expect:' --data-binary "@$1" -o "$3" -w '%{http_code}\n' \
		"http://127.0.0.1:$2/api/v1/protocols/cmp/fixture"
}
outcome() {	# outcome RESP: "accepted" or the failInfo
	local d
	d=$("$TOOL" dump "$1" 2>/dev/null)
	case $d in
	*"status=accepted"*) echo accepted ;;
	*) printf '%s\n' "$d" | sed -n 's/^failInfo=//p' | head -n 1 ;;
	esac
}
ROUNDS=30
good=0 one_won=0 tids_ok=0
# (void rows: requestIds a lookup found nothing for, no certificates)
ca_before=$(nq 1 "SELECT COUNT(*) FROM localca_certificate WHERE status <> 'void'")
for i in $(seq 1 $ROUNDS); do
	tid=$(openssl rand -hex 16)
	"$TOOL" edit "$T_FIXTURES/ir-pbm.der" "$T/dup$i.der" tid="$tid" \
		messageTime=+0 remac=test-secret || bail "cmptool edit failed"
	post "$T/dup$i.der" "$HOST_A_PORT" "$T/dup$i.a" > "$T/dup$i.a.st" &
	pa=$!
	post "$T/dup$i.der" "$HOST_B_PORT" "$T/dup$i.b" > "$T/dup$i.b.st" &
	pb=$!
	wait "$pa" "$pb"
	oa=$(outcome "$T/dup$i.a")
	ob=$(outcome "$T/dup$i.b")
	diag "round $i: host a $(cat "$T/dup$i.a.st") ${oa:-?}, host b $(cat "$T/dup$i.b.st") ${ob:-?}"
	# anything but the two expected answers: what the hosts logged of it
	case "$oa" in accepted|transactionIdInUse) ;; *) grep -h "$tid\|error\|warn" "$CLUSTER_DIR/a/cmpd.log" | tail -n 8 | diag ;; esac
	case "$ob" in accepted|transactionIdInUse) ;; *) grep -h "$tid\|error\|warn" "$CLUSTER_DIR/b/cmpd.log" | tail -n 8 | diag ;; esac
	case "$oa/$ob" in
	accepted/transactionIdInUse|transactionIdInUse/accepted) good=$((good + 1)) ;;
	esac
	case "$oa/$ob" in
	accepted/accepted) ;;
	accepted/*|*/accepted) one_won=$((one_won + 1)) ;;
	esac
	[ "$(nq 1 "SELECT COUNT(*) FROM cmp_transaction WHERE transaction_id = UNHEX('$tid')")" = 1 ] &&
		tids_ok=$((tids_ok + 1))
done
is "$one_won" $ROUNDS "same transactionID at both hosts: exactly one issues, $ROUNDS times"
# The loser's own INSERT may have run before the winner's commit reached
# its node: Galera aborts it (a deadlock at its next command), it runs
# again and then sees the winner's row.
is "$good" $ROUNDS "and the other answers transactionIdInUse, $ROUNDS times"
is "$tids_ok" $ROUNDS "one transaction row per transactionID"
is "$(( $(nq 1 "SELECT COUNT(*) FROM localca_certificate WHERE status <> 'void'") - ca_before ))" $ROUNDS \
	"the CA was asked once per transactionID (no loser issued and revoked)"

# --------------------------- one management API change at both hosts
# The same CMP Profile edited through host a and host b at once: the
# later commit loses Galera's certification (a deadlock), and cmpd runs
# the whole change again; the client sees 200, never the conflict.
API_KEY=cmpd_$(openssl rand -hex 32)
nq 1 "INSERT INTO api_key (uuid, name, role, key_hash, key_prefix)
  VALUES (UUID(), 'cluster-admin', 'admin', UNHEX(SHA2('$API_KEY', 256)), LEFT('$API_KEY', 12))" ||
	bail "inserting an API key failed"
put_desc() {	# put_desc PORT TEXT: the HTTP status of the edit
	curl -sS --noproxy '*' --max-time 60 -X PUT -o /dev/null -w '%{http_code}\n' \
		-H "Authorization: Bearer $API_KEY" -H 'Content-Type: application/json' \
		-H 'Expect:' --data-binary "{\"description\":\"$2\"}" \
		"http://127.0.0.1:$1/api/v1/cmpProfiles/00000000-0000-4000-8000-00000000e102"
}
retries() {	# the deadlocks run again, as host $1's /metrics counts them
	curl -s --noproxy '*' --max-time 10 "http://127.0.0.1:$1/metrics" |
		sed -n 's/^cmpd_db_retries_total{error="deadlock"} //p'
}
API_ROUNDS=20
r_before=$(( $(retries "$HOST_A_PORT") + $(retries "$HOST_B_PORT") ))
api_ok=0
for i in $(seq 1 $API_ROUNDS); do
	put_desc "$HOST_A_PORT" "edited on a, round $i" > "$T/put$i.a" &
	pa=$!
	put_desc "$HOST_B_PORT" "edited on b, round $i" > "$T/put$i.b" &
	pb=$!
	wait "$pa" "$pb"
	[ "$(cat "$T/put$i.a")/$(cat "$T/put$i.b")" = 200/200 ] && api_ok=$((api_ok + 1)) ||
		diag "API round $i: host a $(cat "$T/put$i.a"), host b $(cat "$T/put$i.b")"
done
r_after=$(( $(retries "$HOST_A_PORT") + $(retries "$HOST_B_PORT") ))
diag "API edits at both hosts: deadlocks run again: $((r_after - r_before))"
is "$api_ok" $API_ROUNDS "the same profile edited at both hosts at once: 200 at both, $API_ROUNDS times"
like "$(nq 2 "SELECT description FROM cmp_profile WHERE name = 'fixture'")" "edited on ., round $API_ROUNDS" \
	"the last round's edit stands, on every node alike"
if ! is "$(nq 3 "SELECT COUNT(*) FROM audit WHERE actor LIKE '%cluster-admin%'")" $((2 * API_ROUNDS)) \
	"one audit row per edit, none from a run that was rolled back"; then
	nq 3 "SELECT uuid, at, detail FROM audit WHERE actor LIKE '%cluster-admin%' ORDER BY at, uuid" | diag
	for h in a b; do
		grep -h "cmpProfiles/\|error\|warn" "$CLUSTER_DIR/$h/cmpd.log" | tail -n 60 | sed "s/^/$h: /" | diag
	done
fi

# ------------------------------------ load while a node and a host die
# load NAME SECONDS: cmpload at C=8 through HAProxy in the background, for
# SECONDS at most (load_stop ends it sooner)
load() {
	"$LOAD" -u "$CLUSTER_URL$CMP" -s "$CLUSTER_SECRET" -r "$CLUSTER_REF" \
		--recipient CN=cmpd --subject-prefix "$1" -c 8 -d "$2" \
		--msg-timeout 20 --retry-delay 200 --unprotected-errors \
		-o "$T/$1.certs" > "$T/$1.out" 2>&1 &
	LOAD_PID=$!
}
load_wait() {	# bounded: the run ends within -d plus twice --msg-timeout
	local deadline=$((SECONDS + 120))
	while ! _t_gone "$LOAD_PID" && [ "$SECONDS" -lt "$deadline" ]; do
		sleep 0.5
	done
	_t_gone "$LOAD_PID" || { kill -KILL "$LOAD_PID"; diag "cmpload did not finish"; }
	wait "$LOAD_PID"
}
# load_stop: the load ends once each client's enrolment in flight has
# (cmpload on SIGTERM), then its report
load_stop() {
	kill -TERM "$LOAD_PID" 2>/dev/null
	load_wait
}
report() {	# report NAME: one line of cmpload's counts
	diag "$1: $(grep -E '^(attempts|ok|delivered|certconf_failed|rejected|transport|invalid|fail\.[A-Za-z]+)=' \
		"$T/$1.out" | tr '\n' ' ')"
}

# phase 1: n2 (host b's node) killed, then back; it catches up by IST;
# the load goes on for a few seconds after
load p1 180
t0=$SECONDS
sleep 3
ok "n2 killed (SIGKILL) under load" cl node-kill 2
ok "n1 and n3 go on as a cluster of 2" t_wait 60 size_is 1 2
sleep 3
ok "n2 restarted under load, Synced" cl node-start 2
like "$(cat "$CLUSTER_DIR/n2/mariadb.log")" "Receiving IST" "n2 caught up by IST"
for n in 1 2 3; do
	ok "n$n: cluster size 3 again" t_wait 60 size3 "$n"
done
sleep 3
load_stop
diag "phase 1 took $((SECONDS - t0)) s"
report p1
ok "phase 1: enrolments went on" test "$(field "$T/p1.out" ok)" -gt 0

# phase 2: host b killed (lighttpd, cmpd and its workers), HAProxy
# takes it out and sends everything to host a
load p2 90
t0=$SECONDS
sleep 3
ok "host b killed (SIGKILL) under load" cl host-kill b
ok "HAProxy marks host b DOWN" t_wait 30 ha_is b DOWN
sleep 3
load_stop
diag "phase 2 took $((SECONDS - t0)) s"
report p2
ok "phase 2: enrolments went on" test "$(field "$T/p2.out" ok)" -gt 0

# phase 3: settled, host a alone on a cluster of three: no error at all
load p3 6
load_wait
report p3
ok "phase 3: enrolments went on" test "$(field "$T/p3.out" ok)" -gt 0
is "$(( $(field "$T/p3.out" transport) + $(field "$T/p3.out" rejected) + $(field "$T/p3.out" invalid) ))" 0 \
	"phase 3: no error once the faults are over"
ok "host b back" cl host-start b
ok "HAProxy marks host b UP again" t_wait 30 ha_is b UP

# ------------------------------------------------- the three-way count
# Unconfirmed certificates revoked, what a lost node or host left issuing
# or waiting looked up at the CA (no client is in flight any more).
sleep 11
ok "cmpd --sweep-now settles the rest" timeout 120 "$CMPD_BIN" -c "$CLUSTER_DIR/a/cmpd.conf" --sweep-now
timeout 120 "$CMPD_BIN" -c "$CLUSTER_DIR/a/cmpd.conf" --sweep-now > "$T/sweep2.log" 2>&1
diag "sweep: $(cat "$T/sweep2.log")"
cat "$T/split.certs" "$T"/p[123].certs > "$T/all.certs"
# inlist CONFIRMED-ONLY: the delivered certificates' fingerprints as SQL
inlist() {
	awk -v c="$1" 'c == 0 || $3 == 1 { printf "%s0x%s", (n++ ? "," : ""), $1 }
		END { if (!n) printf "NULL" }' "$T/all.certs"
}
delivered=$(wc -l < "$T/all.certs")
delivered_ok=$(awk '$3 == 1' "$T/all.certs" | wc -l)
client_ok=0
for f in split p1 p2 p3; do client_ok=$((client_ok + $(field "$T/$f.out" ok))); done
ca_valid=$(nq 1 "SELECT COUNT(*) FROM localca_certificate WHERE status = 'issued'")
ca_all=$(nq 1 "SELECT COUNT(*) FROM localca_certificate WHERE status <> 'void'")
stored_valid=$(nq 1 "SELECT COUNT(*) FROM certificate WHERE status = 'issued'")
stored_all=$(nq 1 "SELECT COUNT(*) FROM certificate")
found=$(printf 'SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM certificate c JOIN localca_certificate l ON l.serial_hex = LOWER(c.serial_number) WHERE c.status = %s AND l.status = %s AND c.fingerprint IN (%s);\n' \
	"'issued'" "'issued'" "$(inlist 1)" |
	timeout 60 mariadb --no-defaults -S "$CLUSTER_DIR/n2/mysql.sock" -u root -N -B cmpd)
found_any=$(printf 'SET SESSION wsrep_sync_wait = 1; SELECT COUNT(*) FROM certificate WHERE fingerprint IN (%s);\n' \
	"$(inlist 0)" |
	timeout 60 mariadb --no-defaults -S "$CLUSTER_DIR/n3/mysql.sock" -u root -N -B cmpd)
diag "delivered to clients: $delivered (confirmed with pkiconf: $delivered_ok, cmpload ok: $client_ok)"
diag "stored by cmpd: $stored_valid issued of $stored_all; valid at the CA: $ca_valid of $ca_all issued"
diag "delivered and confirmed, found issued in cmpd and at the CA: $found; delivered, found in cmpd: $found_any"
ok "clients received certificates" test "$delivered_ok" -gt 0
if ! is "$found" "$delivered_ok" "every confirmed certificate a client received is stored and valid at the CA"; then
	printf 'SET SESSION wsrep_sync_wait = 1; SELECT c.serial_number, c.subject_dn, c.status, l.status, c.updated_at, t.state, t.updated_at, LOWER(HEX(t.transaction_id)), t.created_at, t.deadline FROM certificate c LEFT JOIN localca_certificate l ON l.serial_hex = LOWER(c.serial_number) LEFT JOIN cmp_transaction t ON t.certificate_uuid = c.uuid WHERE c.fingerprint IN (%s) AND (c.status <> %s OR l.status IS NULL OR l.status <> %s);\n' \
		"$(inlist 1)" "'issued'" "'issued'" |
		timeout 60 mariadb --no-defaults -S "$CLUSTER_DIR/n1/mysql.sock" -u root -B -N cmpd > "$T/lost.rows"
	diag < "$T/lost.rows"
	# what each host logged of those transactions
	for tid in $(awk '{ print $8 }' "$T/lost.rows"); do
		for h in a b; do
			grep -h "$tid" "$CLUSTER_DIR/$h/cmpd.log" | sed "s/^/$h: /" | diag
		done
	done
fi
is "$found_any" "$delivered" "every certificate a client received is in cmpd's inventory"
is "$stored_valid" "$ca_valid" "stored (issued) = valid at the CA"
is "$stored_all" "$ca_all" "every certificate the CA issued is in cmpd's inventory"
is "$(nq 1 "SELECT COUNT(*) FROM localca_certificate l LEFT JOIN certificate c ON LOWER(c.serial_number) = l.serial_hex WHERE c.uuid IS NULL AND l.status <> 'void'")" 0 \
	"no certificate of the CA missing from cmpd's inventory" ||
	nq 1 "SELECT l.serial_hex, l.subject, l.status, l.request_id, l.created_at,
	    (SELECT COUNT(*) FROM cmp_transaction t WHERE t.request_id = l.request_id)
	  FROM localca_certificate l LEFT JOIN certificate c ON LOWER(c.serial_number) = l.serial_hex
	  WHERE c.uuid IS NULL AND l.status <> 'void'" | diag
ok "delivered and confirmed <= stored" test "$delivered_ok" -le "$stored_valid"
is "$(nq 1 "SELECT COUNT(*) FROM cmp_transaction WHERE state IN ('issuing', 'open', 'waiting') OR (state = 'confirm_wait' AND deadline < NOW(6))")" 0 \
	"no transaction left issuing, open, waiting, or unconfirmed past its deadline"
is "$(nq 1 "SELECT COUNT(*) FROM certificate WHERE status IN ('pending', 'revoke_pending')")" 0 \
	"no certificate left pending or revoke_pending"
# the three nodes hold the same rows
sums() {
	timeout 60 mariadb --no-defaults -S "$CLUSTER_DIR/n$1/mysql.sock" -u root -N -B cmpd \
		-e "SET SESSION wsrep_sync_wait = 1; CHECKSUM TABLE certificate, cmp_transaction, localca_certificate EXTENDED" |
		cut -f2 | tr '\n' ' '
}
s1=$(sums 1)
is "$(sums 2)" "$s1" "n2 holds the same certificates and transactions as n1"
is "$(sums 3)" "$s1" "n3 holds the same certificates and transactions as n1"
done_testing
