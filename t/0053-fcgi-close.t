#!/bin/sh
# How a worker, cmpd's or cmp-localca's, ends a FastCGI connection on a
# unix-domain socket. With nothing left unread it closes at once: it does
# not wait for the web server to close first (libfcgi's graceful close
# waits up to 2 s, which guards TCP against a reset; a unix socket has
# none), so the worker is free for the next request. Bytes the web server
# sent beyond the request keep the graceful close; the answer arrives
# whole either way. A body trickled in (as Apache's mod_proxy_fcgi passes
# on what its client sends) ends after body_timeout, for a body read and
# for one refused unread, with either worker: 408, the connection closed,
# the worker free for the next request. Where libfcgi reads on its own (a
# request's head, records that carry nothing of the body, its graceful
# close), a peer that stalls or trickles holds the worker for a few
# seconds at most, not for as long as it keeps at it.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "workers = 1" "body_timeout = 2"
plan_auto

IR=$T_FIXTURES/genm-pbm.der
CMP=/api/v1/protocols/cmp/demo

# fcgi.py SOCKET FILE PATH EXTRA [HOLD]: one FastCGI request (a POST of
# FILE to PATH, EXTRA bytes of FastCGI records of an unknown type after
# it); reads the answer to its FCGI_END_REQUEST and then to EOF, without
# closing; then writes to the socket. Prints "status=N end=1 eof=1
# write=ok|closed", then holds its end open for HOLD seconds.
cat > "$T/fcgi.py" << 'EOF'
import socket, struct, sys, time

def rec(t, body, rid=1):
    return struct.pack('>BBHHBB', 1, t, rid, len(body), 0, 0) + body

def nv(k, v):
    def ln(n):
        if n < 128:
            return struct.pack('B', n)
        return struct.pack('>I', n | 1 << 31)
    return ln(len(k)) + ln(len(v)) + k + v

sock_path, path, extra = sys.argv[1], sys.argv[3], int(sys.argv[4])
body = open(sys.argv[2], 'rb').read()
params = b''.join(nv(k.encode(), v.encode()) for k, v in [
    ('REQUEST_METHOD', 'POST'), ('REQUEST_URI', path), ('SCRIPT_NAME', path),
    ('CONTENT_TYPE', 'application/pkixcmp'),
    ('CONTENT_LENGTH', str(len(body))), ('SERVER_PROTOCOL', 'HTTP/1.1'),
    ('REMOTE_ADDR', '127.0.0.1'), ('SERVER_NAME', '127.0.0.1')])
msg = rec(1, struct.pack('>HB5x', 1, 0)) + rec(4, params) + rec(4, b'')
msg += rec(5, body) + rec(5, b'')
while extra > 0:		# FCGI_UNKNOWN_TYPE records, never read
    n = min(extra, 60000)
    msg += rec(11, b'\0' * n, 0)
    extra -= n
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sock_path)
s.sendall(msg)
buf, out, end = b'', b'', 0
while not end:
    d = s.recv(65536)
    if not d:
        break
    buf += d
    while len(buf) >= 8:
        _, t, _, cl, pl, _ = struct.unpack('>BBHHBB', buf[:8])
        if len(buf) < 8 + cl + pl:
            break
        if t == 6:
            out += buf[8:8 + cl]
        elif t == 3:
            end = 1
        buf = buf[8 + cl + pl:]
status = out.split(b'\r\n', 1)[0].decode(errors='replace').split()
code = status[1] if len(status) > 1 else '?'
eof = int(s.recv(1) == b'') if end else 0
try:
    s.send(b'\1\13\0\0\0\0\0\0')
    time.sleep(0.2)
    s.send(b'\1\13\0\0\0\0\0\0')
    w = 'ok'
except (BrokenPipeError, ConnectionResetError):
    w = 'closed'
print('status=%s end=%d eof=%d write=%s' % (code, end, eof, w), flush=True)
time.sleep(float(sys.argv[5]) if len(sys.argv) > 5 else 0)
EOF

# The client holds its end for 3 s after the answer, a web server slow to
# close; the one worker serves the next request meanwhile (with a graceful
# close it waited those 3 s, or libfcgi's 2 s).
timeout 30 /usr/bin/python3 "$T/fcgi.py" "$T/cmpd.sock" "$IR" "$CMP" 0 3 \
	> "$T/held.out" &
holder=$!
deadline=$((SECONDS + 15))
until [ -s "$T/held.out" ] || [ "$SECONDS" -ge "$deadline" ]; do
	sleep 0.05
done
r=$(cat "$T/held.out")
diag "request read to its end: $r"
like "$r" "status=200 end=1 eof=1" "the answer arrives whole, then EOF"
like "$r" "write=closed" "the worker closed its end at once"
start=$(date +%s%N)
is "$(t_fcgi "$IR" "$CMP")" 200 "the next request is answered"
diag "next request answered after $((($(date +%s%N) - start) / 1000000)) ms"
wait "$holder"

# 200 kB beyond the request: unread when the answer is written.
r=$(timeout 30 /usr/bin/python3 "$T/fcgi.py" "$T/cmpd.sock" "$IR" "$CMP" 200000)
diag "request with bytes beyond it: $r"
like "$r" "status=200 end=1 eof=1" \
	"with unread bytes too, the answer arrives whole"
is "$(t_fcgi "$IR" "$CMP")" 200 "and the worker serves the next request"
is "$(grep -c 'rid=' "$T/cmpd.log")" 4 "four requests logged"
unlike "$(cat "$T/cmpd.log")" "FCGX_Accept_r|exited|killed" \
	"the worker kept running"

# trickle.py SOCKET PATH [AUTHORIZATION]: a request of a 100-byte body
# whose bytes come one by one, one every 0.25 s, for 15 s at most; reads
# whatever comes back meanwhile. Prints "status=N closed_ms=M": the
# answer's status (? for none) and when the worker closed the connection
# (or 15000 when it did not).
cat > "$T/trickle.py" << 'EOF'
import select, socket, struct, sys, time

def rec(t, body, rid=1):
    return struct.pack('>BBHHBB', 1, t, rid, len(body), 0, 0) + body

def nv(k, v):
    return struct.pack('BB', len(k), len(v)) + k + v

sock_path, path = sys.argv[1], sys.argv[2]
env = [('REQUEST_METHOD', 'POST'), ('REQUEST_URI', path), ('SCRIPT_NAME', path),
       ('CONTENT_TYPE', 'application/pkixcmp'), ('CONTENT_LENGTH', '100'),
       ('SERVER_PROTOCOL', 'HTTP/1.1'), ('REMOTE_ADDR', '127.0.0.1'),
       ('SERVER_NAME', '127.0.0.1')]
if len(sys.argv) > 3:
    env.append(('HTTP_AUTHORIZATION', sys.argv[3]))
params = b''.join(nv(k.encode(), v.encode()) for k, v in env)
s = socket.socket(socket.AF_UNIX)
s.connect(sock_path)
start = time.time()
s.sendall(rec(1, struct.pack('>HB5x', 1, 0)) + rec(4, params) + rec(4, b'') +
          rec(5, b'0'))
buf, out, closed = b'', b'', None
while time.time() - start < 15:
    r, _, _ = select.select([s], [], [], 0.25)
    try:
        if r:
            d = s.recv(65536)
            if not d:
                closed = time.time()
                break
            buf += d
            continue
        s.send(rec(5, b'0'))
    except OSError:
        closed = time.time()
        break
while len(buf) >= 8:
    _, t, _, cl, pl, _ = struct.unpack('>BBHHBB', buf[:8])
    if t == 6:
        out += buf[8:8 + cl]
    buf = buf[8 + cl + pl:]
status = out.split(b'\r\n', 1)[0].decode(errors='replace').split()
print('status=%s closed_ms=%d' % (status[1] if len(status) > 1 else '?',
      ((closed or time.time()) - start) * 1000), flush=True)
EOF
closed_ms() { echo "$1" | sed -n 's/.*closed_ms=\([0-9]*\).*/\1/p'; }

r=$(timeout 30 /usr/bin/python3 "$T/trickle.py" "$T/cmpd.sock" "$CMP")
diag "cmpd, a trickled body: $r"
ok "cmpd: a trickled body ends after body_timeout (2 s), not the 15 s it is sent for" \
	test "$(closed_ms "$r")" -lt 6000
like "$(grep 'outcome=HTTP_TIMEOUT' "$T/cmpd.log" | tail -n 1)" "status=408" "... answered 408"
like "$(cat "$T/cmpd.log")" "the body did not arrive within body_timeout \(2 s\); connection closed" \
	"... the connection closed"
is "$(t_fcgi "$IR" "$CMP")" 200 "... and the one worker serves the next request"

# cmp-localca, asked without credentials: 401, and the same close.
t_start_localca "body_timeout = 2" || bail "cmp-localca did not start"
LCA=/localca/v2/authorityProvider/authorities/x/certificates/issue
r=$(timeout 30 /usr/bin/python3 "$T/fcgi.py" "$T/localca.sock" "$IR" "$LCA" 0)
diag "cmp-localca: $r"
like "$r" "status=401 end=1 eof=1" "cmp-localca: the answer arrives whole"
like "$r" "write=closed" "cmp-localca closed its end at once"
r=$(timeout 30 /usr/bin/python3 "$T/fcgi.py" "$T/localca.sock" "$IR" "$LCA" \
	200000)
diag "cmp-localca, bytes beyond the request: $r"
like "$r" "status=401 end=1 eof=1" "cmp-localca: with unread bytes too"
r=$(timeout 30 /usr/bin/python3 "$T/fcgi.py" "$T/localca.sock" "$IR" "$LCA" 0)
like "$r" "status=401 end=1 eof=1 write=closed" \
	"cmp-localca answers the next request"

# cmp-localca: a trickled body of a caller with credentials (read), and of
# one without (refused unread, then drained)
LCA_AUTH="Basic $(printf '%s' "$(t_localca_curl_auth)" | base64 -w0)"
r=$(timeout 30 /usr/bin/python3 "$T/trickle.py" "$T/localca.sock" "$LCA" "$LCA_AUTH")
diag "cmp-localca, a trickled body: $r"
ok "cmp-localca: a trickled body ends after body_timeout (2 s)" test "$(closed_ms "$r")" -lt 6000
like "$(grep 'status=408' "$T/localca.log" | tail -n 1)" 'outcome=timeout msg="the body did not arrive in time"' \
	"... answered 408"
r=$(timeout 30 /usr/bin/python3 "$T/trickle.py" "$T/localca.sock" "$LCA")
diag "cmp-localca, a trickled body without credentials: $r"
ok "cmp-localca: a trickled body refused unread ends after body_timeout too" \
	test "$(closed_ms "$r")" -lt 6000
is "$(grep -c 'the body did not arrive within body_timeout (2 s); connection closed' "$T/localca.log")" 2 \
	"... both logged"
r=$(timeout 30 /usr/bin/python3 "$T/fcgi.py" "$T/localca.sock" "$IR" "$LCA" 0)
like "$r" "status=401 end=1 eof=1" "cmp-localca's one worker answers the next request"
unlike "$(cat "$T/localca.log")" "exited|killed|signal" "cmp-localca's worker kept running"

# peer.py MODE SOCKET BODY SECONDS: a FastCGI peer that, for SECONDS
#   head:  sends one byte of a BEGIN_REQUEST, then nothing;
#   skip:  sends a request of a 100-byte body, then a record of another
#          request id every second (nothing of the body);
#   after: sends a whole request (BODY) and 200 kB beyond it, then a
#          record of an unknown type every second after the answer, also
#          once the worker shut its sending side down (libfcgi's graceful
#          close reads on meanwhile).
# Prints "closed_ms=M": when the worker closed (SECONDS when it did not).
cat > "$T/peer.py" << 'EOF'
import socket, struct, sys, time

def rec(t, body, rid=1):
    return struct.pack('>BBHHBB', 1, t, rid, len(body), 0, 0) + body

def nv(k, v):
    return struct.pack('BB', len(k), len(v)) + k + v

mode, sock_path, dur = sys.argv[1], sys.argv[2], float(sys.argv[4])
body = open(sys.argv[3], 'rb').read()
path = '/api/v1/protocols/cmp/demo'
length = str(len(body)) if mode == 'after' else '100'
params = b''.join(nv(k.encode(), v.encode()) for k, v in [
    ('REQUEST_METHOD', 'POST'), ('REQUEST_URI', path), ('SCRIPT_NAME', path),
    ('CONTENT_TYPE', 'application/pkixcmp'), ('CONTENT_LENGTH', length),
    ('REMOTE_ADDR', '127.0.0.1')])
head = rec(1, struct.pack('>HB5x', 1, 0)) + rec(4, params) + rec(4, b'')
s = socket.socket(socket.AF_UNIX)
s.connect(sock_path)
start, closed = time.time(), None
if mode == 'head':
    s.send(head[:1])
elif mode == 'skip':
    s.sendall(head)
else:
    s.sendall(head + rec(5, body) + rec(5, b'') +
              b''.join(rec(11, b'\0' * 50000, 0) for i in range(4)))
s.settimeout(0.05)
while closed is None and time.time() - start < dur:
    try:
        if s.recv(65536) == b'' and mode != 'after':
            closed = time.time()
            break
    except socket.timeout:
        pass
    except OSError:
        closed = time.time()
        break
    try:
        if mode == 'skip':
            s.send(rec(5, b'x', rid=2))
        elif mode == 'after':
            s.send(rec(11, b'\0' * 8, 0))
    except OSError:
        closed = time.time()
        break
    time.sleep(1)
print('closed_ms=%d' % (((closed or time.time()) - start) * 1000), flush=True)
EOF
# stalled MODE: peer.py MODE runs for 15 s; meanwhile a request to the one
# worker: "STATUS MS", its answer's status and how long it took
stalled() {
	local pid t0 st
	timeout 30 /usr/bin/python3 "$T/peer.py" "$1" "$T/cmpd.sock" "$IR" 15 > "$T/peer-$1.out" &
	pid=$!
	sleep 1
	t0=$(date +%s%N)
	st=$(t_fcgi "$IR" "$CMP")
	echo "$st $((($(date +%s%N) - t0) / 1000000))"
	wait "$pid"
}
r=$(stalled head)
diag "a request while a peer stalls in its head: $r"
ok "a peer that stalls in its request's head holds the worker for seconds, not 15 ($r)" \
	test "${r%% *}" = 200 -a "${r#* }" -lt 9000
r=$(timeout 30 /usr/bin/python3 "$T/peer.py" skip "$T/cmpd.sock" "$IR" 15)
diag "records of another request id, one a second: $r"
ok "records that carry nothing of the body end after body_timeout too" \
	test "$(closed_ms "$r")" -lt 6000
r=$(stalled after)
diag "a request while a peer keeps sending after its answer: $r"
ok "libfcgi's graceful close ends after seconds, not 15 ($r)" \
	test "${r%% *}" = 200 -a "${r#* }" -lt 9000
unlike "$(cat "$T/cmpd.log")" "exited|killed|signal" "the worker kept running"

done_testing
