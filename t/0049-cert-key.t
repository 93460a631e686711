#!/bin/sh
# The CA's certificate must carry the key the request asked for. A
# connector that mixes up two requests is played by a proxy in front of
# the real cmp-localca that hands the CA an earlier request's CRMF in
# place of the current one: the CA then really issues a certificate for
# the earlier request's key (and subject). cmpd does not deliver it, and
# revokes it at the CA: at once on a direct answer (ir), through the
# sweep on delayed delivery (pollReq). The earlier request's own
# certificate stays valid. A CA that encodes the requested key otherwise
# (the proxy re-issues its certificate with the EC point compressed) is
# not taken for one that mixed up keys, on either path, nor in the sweep;
# and when the database fails as such a certificate comes for a pollReq,
# it is neither delivered nor taken for another key's. A certificate of
# the request's key that another CA issued is not delivered either, on
# either path.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "workers = 2" "log_level = info"
t_start_localca
t_second_localca pending "issue_pending = 2"
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_second_localca_lighttpd pending)"
t_seed_enroll
plan_auto

CMP=/api/v1/protocols/cmp/enroll
POLL=/api/v1/protocols/cmp/poll
SECRET="-ref $ENROLL_REF -secret pass:$ENROLL_SECRET"

# The proxy: every request forwarded to lighttpd as it came; the first
# issue request's CRMF kept, and put into every later issue request while
# $T/swap exists. While $T/recode exists, each certificate the CA answers
# with is issued again by the CA's key for the same key, its EC point
# compressed (SubjectPublicKeyInfo of 59 bytes, not 91). When $T/dbfault
# exists, the first answer that carries an issued certificate (not the CA
# certificates cmpd refreshes now and then) runs it (sh) before it goes
# back to cmpd, once. It takes a port the kernel picks and names
# it in a file.
t_bg swapper python3 -c '
import base64, http.server, json, os, subprocess, sys, tempfile
import urllib.error, urllib.request
upstream, portfile, state = sys.argv[1], sys.argv[2], sys.argv[3]
ca = os.path.join(state, "ca")
def ossl(*args, data=None):
    return subprocess.run(("openssl",) + args, input=data, check=True,
                          capture_output=True, timeout=20).stdout
def recode(der, cadir=ca):
    with tempfile.TemporaryDirectory(dir=state) as d:
        f = lambda n: os.path.join(d, n)
        with open(f("in.der"), "wb") as o:
            o.write(der)
        spki = ossl("pkey", "-pubin", "-outform", "DER", data=ossl("x509",
            "-inform", "DER", "-in", f("in.der"), "-noout", "-pubkey"))
        x, y = spki[-64:-32], spki[-32:]
        bits = bytes([0x03, 0x22, 0x00, 2 + (y[-1] & 1)]) + x
        alg = spki[2:2 + 2 + spki[3]]
        body = alg + bits
        with open(f("key.der"), "wb") as o:
            o.write(bytes([0x30, len(body)]) + body)
        ossl("pkey", "-pubin", "-inform", "DER", "-in", f("key.der"),
             "-out", f("key.pem"))
        subj = ossl("x509", "-inform", "DER", "-in", f("in.der"), "-noout",
                    "-subject", "-nameopt", "compat").decode().strip()
        serial = ossl("x509", "-inform", "DER", "-in", f("in.der"), "-noout",
                      "-serial").decode().strip().split("=")[1]
        ossl("req", "-new", "-newkey", "ec", "-pkeyopt",
             "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("any.key"),
             "-subj", subj.split("=", 1)[1].strip(), "-out", f("req.pem"))
        return ossl("x509", "-req", "-in", f("req.pem"), "-CA",
                    os.path.join(cadir, "ca.crt"), "-CAkey",
                    os.path.join(cadir, "ca.key"), "-force_pubkey", f("key.pem"),
                    "-set_serial", "0x" + serial, "-days", "30",
                    "-outform", "DER")
def issued(data):
    """an answer with the certificate the CA issued (not its CA chain)"""
    try:
        j = json.loads(data)
    except ValueError:
        return False
    return isinstance(j, dict) and "certificateData" in j
def recoded(data, cadir=ca):
    if not issued(data):
        return data
    j = json.loads(data)
    j["certificateData"] = base64.b64encode(
        recode(base64.b64decode(j["certificateData"]), cadir)).decode()
    with open(os.path.join(state, "recoded"), "a") as o:
        o.write(j.get("uuid", "") + "\n")
    return json.dumps(j).encode()
class H(http.server.BaseHTTPRequestHandler):
    def relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/certificates/issue"):
            j = json.loads(body)
            kept = os.path.join(state, "kept")
            if not os.path.exists(kept):
                with open(kept, "w") as f:
                    f.write(j["request"])
            elif os.path.exists(os.path.join(state, "swap")):
                with open(kept) as f:
                    j["request"] = f.read()
                with open(os.path.join(state, "swapped"), "a") as f:
                    f.write(j.get("requestId", "") + "\n")
                body = json.dumps(j).encode()
        req = urllib.request.Request(upstream + self.path, data=body or None,
                                     method=self.command)
        for h in ("Authorization", "Content-Type", "Accept"):
            if self.headers.get(h):
                req.add_header(h, self.headers[h])
        try:
            r = urllib.request.urlopen(req, timeout=20)
            status, data, ctype = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type")
        foreign = os.path.join(state, "foreign")
        if status == 200 and os.path.exists(os.path.join(foreign, "on")):
            data = recoded(data, foreign)
        elif status == 200 and os.path.exists(os.path.join(state, "recode")):
            data = recoded(data)
        fault = os.path.join(state, "dbfault")
        if status == 200 and issued(data) and os.path.exists(fault):
            subprocess.run(("sh", fault), check=True, timeout=30)
            os.remove(fault)
        self.send_response(status)
        self.send_header("Content-Type", ctype or "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_DELETE = relay
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.server_address[1])
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
' "$CONNECTOR_BASE" "$T/swapper.port" "$T"
t_wait 10 test -s "$T/swapper.port" || bail "the proxy did not start"
PROXY=http://127.0.0.1:$(cat "$T/swapper.port")

# Before any request (the workers keep a profile once read): the enroll
# profile's connector through the proxy, and a profile "poll" whose CA
# answers pending through it.
t_sql "UPDATE connector SET url = '$PROXY/localca' WHERE name = 'localca';
INSERT INTO connector (uuid, name, url, auth_type, auth_data_enc, insecure)
  SELECT '00000000-0000-4000-8000-0000000010c1', 'pending', '$PROXY/pending',
    auth_type, NULL, 1 FROM connector WHERE name = 'localca';
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-0000000010a1', 'pending', '00000000-0000-4000-8000-0000000010c1',
   '00000000-0000-4000-8000-00000000e0a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-000000001001', 'ra-poll', 1, '00000000-0000-4000-8000-0000000010a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-000000001101', 'poll', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-000000001001', '$ENROLL_REF');" ||
	bail "pointing the connectors at the proxy failed"
printf '%s\n' "$ENROLL_SECRET" |
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret poll \
	> "$T/secret.log" 2>&1 || bail "--set-shared-secret poll failed"
t_localca_cred |
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials pending \
	> "$T/secret.log" 2>&1 || bail "--set-connector-credentials pending failed"

# client CMD PATH ARGS...: openssl cmp against lighttpd; output in
# $T/client.out
client() {
	local cmd=$1 path=$2
	shift 2
	timeout 60 openssl cmp -cmd "$cmd" -server "127.0.0.1:$HTTP_PORT" \
		-path "$path" -recipient /CN=cmpd -msg_timeout 20 \
		-total_timeout 40 -unprotected_errors $SECRET "$@" \
		> "$T/client.out" 2>&1
}
serial() { openssl x509 -in "$1" -noout -serial | cut -d= -f2; }
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
tx() { t_sql "SELECT $1 FROM cmp_transaction WHERE request_id = '$2'"; }
for k in a b c; do
	newkey "$T/$k.key" || bail "key $k"
done

# the proxy passes requests through as they are
ok "ir through the proxy: issued" client ir $CMP -newkey "$T/a.key" \
	-subject /CN=key-a -certout "$T/a.crt"
diag_file "$T/client.out" 5
ok "... the proxy kept its CRMF" test -s "$T/kept"
is "$(openssl x509 -in "$T/a.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" \
	"$(openssl pkey -in "$T/a.key" -pubout -outform DER | sha256sum)" \
	"... for key a"
A_SERIAL=$(serial "$T/a.crt")

# mixed_up DESC PATH PN KEY N: an ir for key KEY (subject CN=key-KEY) on
# PATH, the N-th the proxy swapped, is refused and its transaction failed;
# RID is its requestId
mixed_up() {
	local desc=$1 path=$2 pn=$3 k=$4 n=$5
	nok "$desc: refused" client ir "$path" -newkey "$T/$k.key" \
		-subject "/CN=key-$k" -certout "$T/$k.crt"
	diag_file "$T/client.out" 5
	like "$(cat "$T/client.out")" "systemFailure" "... systemFailure"
	like "$(cat "$T/client.out")" \
		"PN=$pn \| the certificate authority issued a certificate for another public key; it was not delivered" \
		"... the text says why"
	ok "... no certificate written" test ! -e "$T/$k.crt"
	RID=$(sed -n "${n}p" "$T/swapped")
	ok "... the proxy swapped the request ($RID)" test -n "$RID"
	like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_CERT_KEY_MISMATCH" \
		"... logged as CMPF_CERT_KEY_MISMATCH"
	is "$(tx state "$RID")" failed "... the transaction failed"
	is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=key-$k'")" 0 \
		"nothing issued for key $k"
}

# ------------------------------------------------ a direct answer (ir)
touch "$T/swap"
mixed_up "ir for key b, the CA issues for key a" $CMP enroll b 1
like "$(grep "requestId=$RID" "$T/cmpd.log")" "certificate [0-9A-F]+ is for another public key than the request's; not delivered" \
	"... logged with the requestId and the serial"
like "$(tx failure "$RID")" "another public key; not delivered, revoked at the CA" \
	"... the transaction says why"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=key-a'")" 2 \
	"the inventory holds the CA's second certificate for key a"
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=key-a' AND serial_number <> '$A_SERIAL'")" \
	revoked "... revoked"
is "$(t_sql "SELECT status FROM localca_certificate WHERE subject LIKE '%key-a%' AND serial_hex <> '$A_SERIAL'")" \
	revoked "... at the CA too"
is "$(t_sql "SELECT status FROM certificate WHERE serial_number = '$A_SERIAL'")" issued \
	"key a's own certificate stays valid"
is "$(t_sql "SELECT status FROM localca_certificate WHERE serial_hex = '$A_SERIAL'")" issued \
	"... at the CA too"

# ------------------------------------------- delayed delivery (pollReq)
mixed_up "ir for key c, pending, the CA issues for key a, polled" $POLL poll c 2
like "$(cat "$T/client.out")" "received polling response|pollRep" "... after polling"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "body=pollReq" "... answering a pollReq"
like "$(grep "requestId=$RID" "$T/cmpd.log")" "certificate [0-9A-F]+ is for another public key than the request's; not delivered" \
	"... logged with the requestId and the serial"
like "$(tx failure "$RID")" "another public key; not delivered" "... the transaction says why"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=key-a'")" 3 \
	"the inventory holds the CA's third certificate for key a"
revoked_at_ca() {
	[ "$(t_sql "SELECT COUNT(*) FROM localca_certificate WHERE subject LIKE '%key-a%' AND status = 'revoked'")" = 2 ]
}
ok "... the sweep revokes it at the CA" t_wait 30 revoked_at_ca
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=key-a' AND status = 'revoked'")" 2 \
	"... and in the inventory"
is "$(t_sql "SELECT status FROM certificate WHERE serial_number = '$A_SERIAL'")" issued \
	"key a's own certificate still valid"

# without the swap, both paths deliver again
rm -f "$T/swap"
ok "ir for key b without the swap: issued" client ir $CMP -newkey "$T/b.key" \
	-subject /CN=key-b -certout "$T/b.crt"
ok "pending ir for key c without the swap: issued after polling" client ir $POLL \
	-newkey "$T/c.key" -subject /CN=key-c -certout "$T/c.crt"
is "$(openssl x509 -in "$T/c.crt" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum)" \
	"$(openssl pkey -in "$T/c.key" -pubout -outform DER | sha256sum)" \
	"... for key c"

# ------------------------------- the same key, encoded otherwise by the CA
# spki_len FILE: the length of certificate FILE's SubjectPublicKeyInfo
# DER (EC P-256: 91 bytes, 59 with the point compressed)
spki_len() { openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | wc -c; }
for k in d e; do
	newkey "$T/$k.key" || bail "key $k"
done
touch "$T/recode"
ok "ir for key d, the CA encodes the key otherwise: issued" client ir $CMP \
	-newkey "$T/d.key" -subject /CN=key-d -certout "$T/d.crt"
diag_file "$T/client.out" 5
is "$(spki_len "$T/d.crt" 2>/dev/null)" 59 "... the certificate's key compressed (the proxy re-issued it)"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=key-d' AND status = 'issued'")" 1 \
	"... in the inventory, valid"
ok "pending ir for key e, the CA encodes the key otherwise: issued after polling" \
	client ir $POLL -newkey "$T/e.key" -subject /CN=key-e -certout "$T/e.crt"
diag_file "$T/client.out" 5
like "$(cat "$T/client.out")" "received polling response|pollRep" "... after polling"
is "$(spki_len "$T/e.crt" 2>/dev/null)" 59 "... the certificate's key compressed (the proxy re-issued it)"
RID=$(t_sql "SELECT t.request_id FROM cmp_transaction t JOIN certificate c ON c.uuid = t.certificate_uuid WHERE c.subject_dn = 'CN=key-e'")
is "$(tx state "$RID")" confirmed "... its transaction confirmed"
is "$(tx "LENGTH(request_spki)" "$RID")" 91 "... which keeps the key as the request sent it"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=key-e' AND status = 'issued'")" 1 \
	"... in the inventory, valid"
nok "nothing logged as for another key since" grep -E "requestId=$RID.*another public key" "$T/cmpd.log"

# The database fails just as the CA's certificate, encoded otherwise,
# comes for a pollReq: cmpd cannot read the key the request kept, so it
# cannot tell whether the certificate is the request's. Not delivered,
# not taken for another key's: systemUnavail, the transaction still
# waiting. (The fault: the column renamed under cmpd, by the proxy, before
# it answers; renamed back below.)
rename_spki() {
	t_sql "SET SESSION lock_wait_timeout = 10;
	  ALTER TABLE cmp_transaction RENAME COLUMN $1 TO $2"
}
newkey "$T/f.key" || bail "key f"
cat > "$T/dbfault" <<EOF
exec timeout 30 mariadb --no-defaults -S '$DB_SOCK' -u '$DB_ROOT_USER' cmpd -e \
  "SET SESSION lock_wait_timeout = 10;
   ALTER TABLE cmp_transaction RENAME COLUMN request_spki TO request_spki_gone"
EOF
nok "pending ir for key f, the database fails as the certificate comes: not issued" \
	client ir $POLL -newkey "$T/f.key" -subject /CN=key-f -certout "$T/f.crt"
diag_file "$T/client.out" 5
ok "... the proxy broke the database then" test ! -e "$T/dbfault"
ok "... and cmpd could not read the request's key" \
	grep -q "Unknown column 'request_spki'" "$T/cmpd.log"
ok "the column back" rename_spki request_spki_gone request_spki
like "$(cat "$T/client.out")" "systemUnavail" "... systemUnavail"
like "$(cat "$T/client.out")" "database unavailable, try again later" "... the text says why"
ok "... no certificate written" test ! -e "$T/f.crt"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "body=pollReq.*outcome=CMPF_DB_UNAVAILABLE" \
	"... logged as CMPF_DB_UNAVAILABLE, answering a pollReq"
RID=$(t_sql "SELECT request_id FROM cmp_transaction WHERE state = 'waiting'
  AND cmp_profile_uuid = '00000000-0000-4000-8000-000000001101'")
ok "... its transaction still waiting ($RID)" test -n "$RID"
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=key-f'")" 0 \
	"... nothing recorded for it"
nok "... not taken for another key" grep -E "requestId=$RID.*another public key" "$T/cmpd.log"

# The client gone, the sweep finds the CA's certificate, still encoded
# otherwise: the client's key, so no warning; never delivered, so
# recorded to be revoked (DESIGN invariant 1).
"$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep-now > "$T/sweep.out" 2>&1
diag_file "$T/sweep.out" 5
like "$(cat "$T/sweep.out" "$T/cmpd.log")" "certificate [0-9A-F]+ of requestId=$RID was never delivered" \
	"the sweep records the CA's certificate as never delivered"
nok "... without a warning of another key" \
	grep -E "of requestId=$RID has another public key" "$T/sweep.out" "$T/cmpd.log"
is "$(tx state "$RID")" expired "... its transaction expired"
# (its revocation then fails here: the CA does not know the proxy's
# re-issued certificate)
is "$(t_sql "SELECT status FROM certificate WHERE subject_dn = 'CN=key-f'")" revoke_pending \
	"... the certificate in the inventory, to be revoked"
rm -f "$T/recode"

# ------------------------------- a certificate none of the CA's issued
# The proxy re-issues the CA's certificate, for the same key and
# subject, with another CA's key (a connector that asked another CA than
# the RA Profile's, or an answer changed on its way): the chain cmpd
# serves does not vouch for it. Not delivered, on either path; recorded
# to be revoked through the connector.
mkdir -p "$T/foreign"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
	-subj "/CN=Another CA" -keyout "$T/foreign/ca.key" -out "$T/foreign/ca.crt" \
	2> /dev/null || bail "cannot make another CA"
touch "$T/foreign/on"
for k in g h; do
	newkey "$T/$k.key" || bail "key $k"
done
ISSUER="the certificate authority answered with a certificate that none of its CA certificates issued"
# foreign DESC PATH PN KEY
foreign() {
	local desc=$1 path=$2 pn=$3 k=$4
	nok "$desc: refused" client ir "$path" -newkey "$T/$k.key" \
		-subject "/CN=key-$k" -certout "$T/$k.crt"
	diag_file "$T/client.out" 5
	like "$(cat "$T/client.out")" "systemFailure" "... systemFailure"
	like "$(cat "$T/client.out")" "PN=$pn \| $ISSUER; it was not delivered" "... the text says why"
	ok "... no certificate written" test ! -e "$T/$k.crt"
	like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "outcome=CMPF_CERT_ISSUER_MISMATCH" \
		"... logged as CMPF_CERT_ISSUER_MISMATCH"
	RID=$(t_sql "SELECT request_id FROM cmp_transaction WHERE state = 'failed' AND failure LIKE '%none of its CA%'
	  ORDER BY created_at DESC LIMIT 1")
	like "$(grep "requestId=$RID" "$T/cmpd.log")" "certificate [0-9A-F]+ is issued by none of the CA's certificates; not delivered" \
		"... logged with the requestId and the serial"
	is "$(t_sql "SELECT CONCAT(status, ' ', issuer_dn) FROM certificate WHERE subject_dn = 'CN=key-$k'")" \
		"revoke_pending CN=Another CA" "... the other CA's certificate recorded, to be revoked"
}
foreign "ir, the CA's certificate re-issued by another CA" $CMP enroll g
foreign "pending ir, polled, the CA's certificate re-issued by another CA" $POLL poll h
like "$(cat "$T/client.out")" "received polling response|pollRep" "... after polling"
rm -f "$T/foreign/on"
ok "cmpd still runs" kill -0 "$CMPD_PID"

done_testing
