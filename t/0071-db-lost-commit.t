#!/bin/sh
# The write that records an issued certificate commits, and its answer
# is lost with the connection while the database stays unreachable for a
# while: cmpd cannot tell whether the certificate is recorded. It answers
# the client with an error and leaves the certificate to the sweep
# instead of revoking it at once: revoked at the CA while the inventory
# holds it confirmed (implicitConfirm), the two would disagree for good;
# one that waits for its certConf is revoked at both past its deadline.
# Between cmpd and MariaDB runs a proxy of the MariaDB protocol that,
# once armed, lets the statement that stores an issued certificate run,
# drops its answer and the connection, and refuses connections for 3 s.
# Armed the other way, it drops the connection when the read of a
# transaction's rows is sent, before it runs: as any read on a connection
# lost meanwhile (a restarted server, a node gone, an idle connection
# closed), it is run again on a new one, and the certConf that made it
# is answered.
. "$top_srcdir/t/lib.sh"
t_setup
CONF=("message_time_skew = 0" "log_level = info" "workers = 2")
t_stack "${CONF[@]}"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
t_sql "UPDATE cmp_profile SET implicit_confirm_allowed = 1 WHERE name = 'enroll'" ||
	bail "seeding failed"
plan_auto

cat > "$T/proxy.py" << 'EOF'
import os, socket, struct, sys, threading, time
listen, target, arm, arm_read = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
down_until = [0.0]

def packets(buf):
    """complete packets at the start of buf: (seq, payload) list, rest"""
    out = []
    while len(buf) >= 4:
        n = buf[0] | buf[1] << 8 | buf[2] << 16
        if len(buf) < 4 + n:
            break
        out.append((buf[3], buf[4:4 + n]))
        buf = buf[4 + n:]
    return out, buf

def shut(*socks):
    for x in socks:
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def serve(c):
    s = socket.socket(socket.AF_UNIX)
    s.connect(target)
    # prepared statements by id: 'store' (an issued certificate's),
    # 'list' (a transaction's rows)
    st = {'prep': None, 'ids': {}, 'drop': False}
    def up():
        buf = b''
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                pk, buf = packets(buf + d)
                cut = False
                for seq, p in pk:
                    if seq == 0 and p[:1] == b'\x16':
                        st['prep'] = 'store' if p[1:].startswith(b'BEGIN NOT ATOMIC') and \
                            b'INSERT INTO certificate' in p else \
                            'list' if b'ORDER BY t.position' in p else None
                    if seq == 0 and p[:1] == b'\x17':
                        k = st['ids'].get(struct.unpack('<I', p[1:5])[0])
                        if k == 'store' and os.path.exists(arm):
                            os.unlink(arm)
                            st['drop'] = True
                        if k == 'list' and os.path.exists(arm_read):
                            os.unlink(arm_read)
                            cut = True
                if cut:
                    # not sent: the connection lost before the read ran
                    break
                s.sendall(d)
        except OSError:
            pass
        shut(c, s)
        s.close()
    threading.Thread(target=up, daemon=True).start()
    buf = b''
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            if st['drop']:
                # the statement ran and committed: its answer is lost
                down_until[0] = time.time() + 3
                break
            pk, buf = packets(buf + d)
            for seq, p in pk:
                if st['prep'] and seq == 1:
                    if p[:1] == b'\x00':
                        st['ids'][struct.unpack('<I', p[1:5])[0]] = st['prep']
                    st['prep'] = None
            c.sendall(d)
    except OSError:
        pass
    shut(c, s)
    c.close()
    s.close()

l = socket.socket(socket.AF_UNIX)
l.bind(listen)
l.listen(64)
while True:
    c, _ = l.accept()
    if time.time() < down_until[0]:
        c.close()
        continue
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
t_bg proxy python3 "$T/proxy.py" "$T/proxy.sock" "$DB_SOCK" "$T/armed" "$T/armed-read"
t_wait 10 test -S "$T/proxy.sock" || bail "the proxy did not start"
# cmpd through the proxy, cmp-localca straight to MariaDB
t_write_conf "${CONF[@]}" "db_socket = $T/proxy.sock"
t_start_cmpd || bail "cmpd did not start on the proxy"

CMP=/api/v1/protocols/cmp/enroll
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
client() {	# client OUT CN [args]: an ir
	local out=$1 cn=$2
	shift 2
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" -path "$CMP" \
		-recipient /CN=cmpd -ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
		-newkey "$T/dev.key" -subject "/CN=$cn" -certout "$T/$cn.crt" \
		-unprotected_errors -msg_timeout 30 \
		-total_timeout 50 "$@" > "$out" 2>&1
}
ca_state() {
	t_sql "SELECT l.status FROM localca_certificate l JOIN certificate c
	  ON c.der = l.der WHERE c.subject_dn = 'CN=$1'"
}
inv_state() { t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=$1'"; }
tx_state() {
	t_sql "SELECT t.state FROM cmp_transaction t JOIN certificate c
	  ON c.uuid = t.certificate_uuid WHERE c.subject_dn = 'CN=$1'"
}

ok "an ir through the proxy works" client "$T/c0.out" before -implicit_confirm
is "$(inv_state before)/$(tx_state before)" issued/confirmed "... confirmed implicitly"

touch "$T/armed"
nok "an ir whose stored certificate's answer is lost: no certificate" \
	client "$T/c1.out" lost -implicit_confirm
ok "... the proxy dropped that answer" test ! -e "$T/armed"
like "$(cat "$T/c1.out")" "systemUnavail|unavailable" "... an error: the database unavailable"
sleep 4		# the database reachable again
is "$(inv_state lost)/$(tx_state lost)" issued/confirmed \
	"the write had committed: recorded, confirmed implicitly"
is "$(ca_state lost)" issued "... and valid at the CA: the two agree"
like "$(cat "$T/cmpd.log")" "may have committed; left to the sweep" \
	"... the outcome unknown, left to the sweep"

# Without implicitConfirm: the transaction waits for a certConf that will
# not come; past its deadline the sweep revokes the certificate at both.
touch "$T/armed"
nok "an ir without implicitConfirm, its answer lost the same way" \
	client "$T/c3.out" lost2
sleep 4
is "$(inv_state lost2)/$(tx_state lost2)/$(ca_state lost2)" issued/confirm_wait/issued \
	"recorded, waiting for its certConf, valid at the CA"
t_sql "UPDATE cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid
  SET t.deadline = NOW(6) - INTERVAL 1 SECOND WHERE c.subject_dn = 'CN=lost2'"
sweep() { "$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep-now >> "$T/sweep.log" 2>&1; }
sweep
sweep
is "$(inv_state lost2)/$(tx_state lost2)/$(ca_state lost2)" revoked/expired/revoked \
	"past its deadline the sweep revokes it: revoked at both"
ok "an ir afterwards works" client "$T/c2.out" after

# The read of a transaction's rows on a connection lost before it ran:
# run again on a new connection. A certConf of two certificates makes it
# (one of a single certificate is settled by one UPDATE alone).
TOOL=$top_builddir/t/cmptool
field() { "$TOOL" dump "$1" | sed -n "s/^$2=//p" | head -n 1; }
post() {	# post FILE OUT
	curl -sS --noproxy '*' --max-time 40 -H 'Content-Type: application/pkixcmp' \
		--data-binary "@$1" -o "$2" "$HTTP_BASE$CMP"
}
client "$T/c4.out" two -reqout "$T/one.der" || diag_file "$T/c4.out"
TID=00112233445566778899aabbccdd7101
"$TOOL" edit "$T/one.der" "$T/two.der" tid=$TID addreq=1 "remac=$ENROLL_SECRET" ||
	bail "cmptool edit failed"
post "$T/two.der" "$T/two-ip.der"
is "$(field "$T/two-ip.der" body)" ip "an ir of two requests: ip"
is "$("$TOOL" dump "$T/two-ip.der" | grep -c '^status=accepted$')" 2 "... both accepted"
"$TOOL" certconf "$T/two-ip.der" "$T/two-conf.der" "$ENROLL_SECRET" || bail "cmptool certconf failed"
lost0=$(grep -c 'query: Lost connection' "$T/cmpd.log")
touch "$T/armed-read"
post "$T/two-conf.der" "$T/two-pkiconf.der"
ok "... the proxy dropped the connection at its rows' read" test ! -e "$T/armed-read"
is "$(field "$T/two-pkiconf.der" body)" pkiconf "its certConf is answered pkiConf all the same" ||
	diag "$(field "$T/two-pkiconf.der" text)"
is "$(grep -c 'query: Lost connection' "$T/cmpd.log")" $((lost0 + 1)) "... the lost connection logged once"
is "$(t_sql "SELECT GROUP_CONCAT(state) FROM cmp_transaction WHERE transaction_id = UNHEX('$TID')")" \
	confirmed,confirmed "... both confirmed"
done_testing
