#!/bin/sh
# GET /metrics and GET /health: a strict parse of the Prometheus text
# format; counters that move by exactly one enrolment and add up over both
# workers; counts that survive a worker killed with SIGKILL; /health ok,
# degraded with a dead connector, down (503) without the database while
# /metrics still answers; methods other than GET refused.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "connector_timeout = 2" "log_level = info"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
# Only the enroll profile's connector (cmp-localca) is listed by /health:
# the seeded test connector (port 9) never answers.
t_sql "UPDATE cmp_profile SET enabled = 0 WHERE name <> 'enroll'" ||
	bail "disabling the seeded profiles failed"
plan_auto

PROM=$T/prom.py
cat > "$PROM" <<'EOF'
# prom.py check FILE | prom.py sum FILE NAME [label=value...]
# A strict reader of the Prometheus text exposition format 0.0.4: any
# deviation is an error (exit 1, reason on stderr).
import math, re, sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*$')
TYPES = ('counter', 'gauge', 'histogram', 'summary', 'untyped')

def die(n, msg):
    sys.stderr.write('line %d: %s\n' % (n, msg))
    sys.exit(1)

def value(s, n):
    if s in ('+Inf', 'Inf'):
        return math.inf
    if s == '-Inf':
        return -math.inf
    if s == 'NaN':
        return math.nan
    if not re.match(r'[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$', s):
        die(n, 'bad value %r' % s)
    return float(s)

def labels(s, n):
    out, i = {}, 0
    while i < len(s):
        m = re.match(r'([^=]*)="', s[i:])
        if not m or not LABEL.match(m.group(1)) or m.group(1).startswith('__'):
            die(n, 'bad label name in %r' % s)
        k, i, v = m.group(1), i + m.end(), ''
        while True:
            if i >= len(s):
                die(n, 'unterminated label value')
            c = s[i]
            if c == '\\':
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    die(n, 'bad escape')
                v += {'n': '\n'}.get(s[i + 1], s[i + 1])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == '\n':
                die(n, 'newline in label value')
            else:
                v += c
                i += 1
        if k in out:
            die(n, 'label %s twice' % k)
        out[k] = v
        if i < len(s):
            if s[i] != ',':
                die(n, 'expected , after label %s' % k)
            i += 1
    return out

def family(name, types):
    for suf in ('_bucket', '_sum', '_count'):
        base = name[:-len(suf)] if name.endswith(suf) else None
        if base and types.get(base) in ('histogram', 'summary'):
            return base
    return name

def parse(path):
    data = open(path, 'rb').read()
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        die(0, 'not UTF-8')
    if not text.endswith('\n'):
        die(0, 'no newline at the end')
    helps, types, samples, seen, done, cur = {}, {}, [], set(), set(), None
    for n, line in enumerate(text[:-1].split('\n'), 1):
        if line == '':
            die(n, 'empty line')
        if line.startswith('#'):
            m = re.match(r'# (HELP|TYPE) (\S+) (.*)$', line)
            if not m or not NAME.match(m.group(2)):
                die(n, 'comment that is not HELP or TYPE: %r' % line)
            kind, name, rest = m.groups()
            table = helps if kind == 'HELP' else types
            if name in table:
                die(n, '%s for %s twice' % (kind, name))
            if kind == 'TYPE':
                if rest not in TYPES:
                    die(n, 'unknown type %r' % rest)
                if name in done or name == cur:
                    die(n, 'TYPE of %s after its samples' % name)
            elif rest == '':
                die(n, 'empty HELP')
            table[name] = rest
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$', line)
        if not m:
            die(n, 'not "name{labels} value": %r' % line)
        name, lab, val = m.group(1), labels(m.group(3) or '', n), value(m.group(4), n)
        fam = family(name, types)
        if fam not in helps or fam not in types:
            die(n, '%s has no HELP or no TYPE before it' % fam)
        if fam != cur:
            if fam in done:
                die(n, 'samples of %s are not together' % fam)
            if cur is not None:
                done.add(cur)
            cur = fam
        t = types[fam]
        if t == 'histogram' and name == fam:
            die(n, 'histogram %s: sample without suffix' % fam)
        if t == 'counter' and (val < 0 or math.isnan(val)):
            die(n, 'counter %s is %s' % (name, val))
        if (name.endswith('_bucket') and t == 'histogram') != ('le' in lab):
            die(n, 'le only on histogram buckets')
        key = (name, tuple(sorted(lab.items())))
        if key in seen:
            die(n, 'series twice: %r' % (key,))
        seen.add(key)
        samples.append((n, name, lab, val))
    check_histograms(types, samples)
    return samples

def check_histograms(types, samples):
    groups = {}
    for n, name, lab, val in samples:
        for suf in ('_bucket', '_sum', '_count'):
            base = name[:-len(suf)]
            if name.endswith(suf) and types.get(base) == 'histogram':
                rest = tuple(sorted((k, v) for k, v in lab.items() if k != 'le'))
                g = groups.setdefault((base, rest), {'b': [], 'n': n})
                if suf == '_bucket':
                    g['b'].append((value(lab['le'], n), val, n))
                else:
                    g[suf] = val
    for (base, rest), g in groups.items():
        where = '%s%s' % (base, dict(rest))
        if not g['b'] or '_sum' not in g or '_count' not in g:
            die(g['n'], '%s: buckets, _sum and _count are needed' % where)
        les = [le for le, _, _ in g['b']]
        if les != sorted(les) or len(set(les)) != len(les):
            die(g['n'], '%s: le not increasing' % where)
        if les[-1] != math.inf:
            die(g['n'], '%s: the last bucket is not +Inf' % where)
        prev = 0
        for le, v, n in g['b']:
            if v < prev:
                die(n, '%s: buckets not cumulative at le=%s' % (where, le))
            prev = v
        if g['b'][-1][1] != g['_count']:
            die(g['n'], '%s: +Inf bucket %s but _count %s' %
                (where, g['b'][-1][1], g['_count']))

samples = parse(sys.argv[2])
if sys.argv[1] == 'check':
    print('ok %d samples' % len(samples))
elif sys.argv[1] == 'sum':
    want = dict(a.split('=', 1) for a in sys.argv[4:])
    total = sum(val for _, name, lab, val in samples if name == sys.argv[3]
                and all(lab.get(k) == v for k, v in want.items()))
    print(int(total) if math.isfinite(total) and total == int(total) else repr(total))
EOF

# scrape FILE: GET /metrics straight from cmpd's socket into FILE
scrape() {
	local st
	st=$(t_fcgi "" /metrics GET "")
	cp "$T/resp.der" "$1"
	[ "$st" = 200 ]
}
check() { /usr/bin/python3 "$PROM" check "$1"; }
# m FILE NAME [label=value...]: the sum of the matching series (0 if none)
m() { /usr/bin/python3 "$PROM" sum "$@"; }
health() {
	t_fcgi "" /health GET ""
}
hj() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/resp.der" "$1"; }

# ------------------------------------------------------------ the parser
printf '# HELP a_total x\n# TYPE a_total counter\na_total{x="1"} 3\n' > "$T/good.txt"
ok "parser: a well-formed exposition passes" check "$T/good.txt"
bad() {	# bad NAME TEXT: the parser refuses it
	printf '%b' "$2" > "$T/bad.txt"
	nok "parser refuses $1" check "$T/bad.txt"
}
bad "a sample without TYPE" '# HELP a x\na 1\n'
bad "a sample without HELP" '# TYPE a gauge\na 1\n'
bad "a bad label name" '# HELP a x\n# TYPE a gauge\na{1x="y"} 1\n'
bad "an unquoted label value" '# HELP a x\n# TYPE a gauge\na{x=y} 1\n'
bad "a bad value" '# HELP a x\n# TYPE a gauge\na 1,5\n'
bad "two spaces" '# HELP a x\n# TYPE a gauge\na  1\n'
bad "a duplicate series" '# HELP a x\n# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n'
bad "a missing final newline" '# HELP a x\n# TYPE a gauge\na 1'
H='# HELP h x\n# TYPE h histogram\n'
bad "buckets that are not cumulative" \
	"$H"'h_bucket{le="1"} 5\nh_bucket{le="+Inf"} 4\nh_sum 1\nh_count 4\n'
bad "a histogram without +Inf" "$H"'h_bucket{le="1"} 5\nh_sum 1\nh_count 5\n'
bad "+Inf that is not _count" \
	"$H"'h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'
printf "$H"'h_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1.5\nh_count 2\n' > "$T/good.txt"
ok "parser: a consistent histogram passes" check "$T/good.txt"

# --------------------------------------------------------------- /metrics
ok "GET /metrics answers 200" scrape "$T/m0.txt"
is "$(t_header Content-Type)" "text/plain; version=0.0.4; charset=utf-8" \
	"Content-Type of the text format 0.0.4"
ok "the exposition parses strictly" check "$T/m0.txt"
for f in cmpd_up:gauge cmpd_start_time_seconds:gauge cmpd_workers_alive:gauge \
	cmpd_worker_restarts_total:counter cmpd_requests_total:counter \
	cmpd_request_duration_seconds:histogram cmpd_connector_calls_total:counter \
	cmpd_db_errors_total:counter cmpd_reconcile_total:counter \
	cmpd_revocations_total:counter; do
	like "$(cat "$T/m0.txt")" "# TYPE ${f%%:*} ${f#*:}" "${f%%:*} is a ${f#*:}"
done
is "$(m "$T/m0.txt" cmpd_up)" 1 "cmpd_up 1"
is "$(m "$T/m0.txt" cmpd_workers_alive)" 2 "two workers alive"
st=$(m "$T/m0.txt" cmpd_start_time_seconds)
ok "start time is recent" test "$st" -le "$(date +%s)" -a "$st" -gt "$(($(date +%s) - 600))"

# Several scrapes, until both workers have served some: the count of
# /metrics requests is every one of them, whichever worker answered. A
# connection wakes one idle worker, the first to wait (EPOLLEXCLUSIVE),
# so one after another the scrapes go to one worker; after ten, a
# connection that sends nothing holds the first idle worker (libfcgi
# waits up to 2 s for its first bytes) while the other serves.
hold() {
	/usr/bin/python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(1.5)' "$T/cmpd.sock" &
	holder=$!
	sleep 0.3
}
before=$(m "$T/m0.txt" cmpd_requests_total route=metrics outcome=METRICS_OK)
base_lines=$(grep -c ' rid=' "$T/cmpd.log")
n=0 holder=
while [ "$n" -lt 200 ]; do
	if [ "$n" -ge 10 ] && { [ -z "$holder" ] || ! kill -0 "$holder" 2> /dev/null; }; then
		hold
	fi
	scrape "$T/mx.txt" || break
	n=$((n + 1))
	pids=$(grep ' rid=' "$T/cmpd.log" | tail -n +"$((base_lines + 1))" |
		grep 'route=metrics' | sed 's/.* rid=\([0-9]*\)-.*/\1/' | sort -u | wc -l)
	[ "$n" -ge 10 ] && [ "$pids" -ge 2 ] && break
done
[ -z "$holder" ] || wait "$holder"
is "$pids" 2 "both workers served /metrics ($n scrapes)"
scrape "$T/m1.txt"
# the scrape that produced m1 is counted after its answer
is "$(m "$T/m1.txt" cmpd_requests_total route=metrics outcome=METRICS_OK)" \
	"$((before + n + 1))" "requests_total{route=metrics} counts all $((n + 1)) scrapes of both workers"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" \
	"route=metrics method=GET status=200 outcome=METRICS_OK ms=" "one log line per scrape"

# ------------------------------------------------------------ enrolment
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
R="route=cmpProfile"
ir0=$(m "$T/m1.txt" cmpd_requests_total $R body=ir outcome=CMPF_OK)
cc0=$(m "$T/m1.txt" cmpd_requests_total $R body=certConf outcome=CMPF_OK)
is0=$(m "$T/m1.txt" cmpd_connector_calls_total call=issue result=ok)
hc0=$(m "$T/m1.txt" cmpd_request_duration_seconds_count $R)
ok "ir + certConf with openssl cmp through lighttpd" \
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
	-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
	-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" -msg_timeout 20 \
	-newkey "$T/dev.key" -subject /CN=metrics-1 -certout "$T/dev.crt"
ok "metrics after the enrolment" scrape "$T/m2.txt"
ok "and they parse" check "$T/m2.txt"
is "$(m "$T/m2.txt" cmpd_requests_total $R body=ir outcome=CMPF_OK)" \
	"$((ir0 + 1))" "requests_total{body=ir,outcome=CMPF_OK} rose by 1"
is "$(m "$T/m2.txt" cmpd_requests_total $R body=certConf outcome=CMPF_OK)" \
	"$((cc0 + 1))" "requests_total{body=certConf,outcome=CMPF_OK} rose by 1"
is "$(m "$T/m2.txt" cmpd_connector_calls_total call=issue result=ok)" \
	"$((is0 + 1))" "connector_calls_total{call=issue,result=ok} rose by 1"
is "$(m "$T/m2.txt" cmpd_request_duration_seconds_count $R)" "$((hc0 + 2))" \
	"duration histogram of route=cmpProfile counts both requests"
ok "the histogram's _sum rose" python3 -c 'import sys; sys.exit(not float(sys.argv[2]) > float(sys.argv[1]))' \
	"$(m "$T/m1.txt" cmpd_request_duration_seconds_sum $R)" \
	"$(m "$T/m2.txt" cmpd_request_duration_seconds_sum $R)"
unlike "$(cat "$T/m2.txt")" 'enroll|metrics-1|/api/|127\.0\.0\.1' \
	"no profile name, subject, path or URL in the labels"
# a refused request has its own outcome
t_fcgi "$T_FIXTURES/ir-pbm.der" /api/v1/protocols/cmp/no-such-profile > /dev/null
scrape "$T/m3.txt"
is "$(m "$T/m3.txt" cmpd_requests_total $R body=ir outcome=CMPF_CMP_PROFILE_NOT_FOUND)" 1 \
	"an unknown profile counts as CMPF_CMP_PROFILE_NOT_FOUND, not by name"
t_fcgi "" /nowhere GET "" > /dev/null
scrape "$T/m3.txt"
is "$(m "$T/m3.txt" cmpd_requests_total route=none body=- outcome=HTTP_NO_ROUTE)" 1 \
	"an unknown path counts as route=none, HTTP_NO_ROUTE"

# ------------------------------------------------------ a killed worker
died0=$(m "$T/m3.txt" cmpd_worker_restarts_total reason=died)
victim=$(t_cmpd_workers 2>/dev/null | head -n 1)
ok "a worker to kill" test -n "$victim"
kill -KILL "$victim"
alive_again() {
	scrape "$T/m4.txt" && [ "$(m "$T/m4.txt" cmpd_workers_alive)" = 2 ] &&
		[ "$(m "$T/m4.txt" cmpd_worker_restarts_total reason=died)" = "$((died0 + 1))" ]
}
ok "after kill -9: restarts{reason=died} rose by 1, workers_alive back to 2" t_wait 10 alive_again
ok "metrics still parse" check "$T/m4.txt"
is "$(m "$T/m4.txt" cmpd_requests_total $R body=ir outcome=CMPF_OK)" "$((ir0 + 1))" \
	"the ir count survived the dead worker"
is "$(m "$T/m4.txt" cmpd_connector_calls_total call=issue result=ok)" "$((is0 + 1))" \
	"the connector count survived"
is "$(m "$T/m4.txt" cmpd_worker_restarts_total reason=recycled)" 0 "no recycling counted"
is "$(t_cmpd_workers 2>/dev/null | wc -l)" 2 "two worker processes"

# ---------------------------------------------------------------- /health
is "$(health)" 200 "GET /health: 200"
is "$(t_header Content-Type)" application/json "JSON"
is "$(hj 'j["status"]')" ok "status ok"
is "$(hj 'j["database"]')" ok "database ok"
is "$(hj 'j["connectors"]["checked"], j["connectors"]["reachable"]')" "(1, 1)" \
	"one connector checked, reachable"
unlike "$(cat "$T/resp.der")" 'http|127\.0\.0\.1|localca' "no URL or name in the answer"
is "$(hj 'sorted(j)')" "['connectors', 'database', 'databaseEndpoints', 'galera', 'status']" \
	"only the documented keys"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" \
	"route=health method=GET status=200 outcome=HEALTH_OK" "health logged"

t_sql "UPDATE connector SET url = 'http://127.0.0.1:1/x' WHERE name = 'localca'"
sleep 11	# past every worker's cached connector result
is "$(health)" 200 "dead connector: still 200"
is "$(hj 'j["status"]')" degraded "status degraded"
is "$(hj 'j["connectors"]["checked"], j["connectors"]["reachable"]')" "(1, 0)" \
	"one checked, none reachable"
health > /dev/null	# the other worker, maybe
degraded_at=$SECONDS
t_sql "UPDATE connector SET url = '$CONNECTOR_BASE/localca' WHERE name = 'localca'"

t_stop_db
is "$(health)" 503 "database stopped: 503"
is "$(hj 'j["status"], j["database"]')" "('down', 'unreachable')" "status down, database unreachable"
like "$(grep ' rid=' "$T/cmpd.log" | tail -n 1)" "status=503 outcome=HEALTH_DOWN" "down logged"
ok "/metrics answers without the database" scrape "$T/m5.txt"
ok "and parses" check "$T/m5.txt"
ok "db_errors_total counted the failures" test "$(m "$T/m5.txt" cmpd_db_errors_total)" -gt \
	"$(m "$T/m4.txt" cmpd_db_errors_total)"
is "$(m "$T/m5.txt" cmpd_requests_total route=health outcome=HEALTH_DOWN)" 1 \
	"requests_total{route=health,outcome=HEALTH_DOWN}"
t_start_db
# both workers' cached "degraded" must be older than 10 s
while [ "$SECONDS" -le "$((degraded_at + 11))" ]; do sleep 0.5; done
is "$(health)" 200 "database back: 200"
is "$(hj 'j["status"], j["connectors"]["reachable"]')" "('ok', 1)" "status ok again"
is "$(health)" 200 "and again (either worker)"
is "$(hj 'j["status"]')" ok "ok"

# Four more connectors that take the connection and never answer: all
# are probed at once, in under a second, not one after the other (2 s
# each before); a load balancer's check of 1 s or so still gets its
# answer, degraded.
cat > "$T/hang.py" << 'EOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', int(sys.argv[1])))
s.listen(64)
held = []
end = time.time() + 120
while time.time() < end:
    s.settimeout(max(0.1, end - time.time()))
    try:
        held.append(s.accept()[0])
    except socket.timeout:
        pass
EOF
HANG=$(_t_free_port) || bail "no free port"
t_bg hang /usr/bin/python3 "$T/hang.py" "$HANG"
t_wait 10 bash -c "echo > /dev/tcp/127.0.0.1/$HANG" || bail "the hanging listener did not start"
for k in 1 2 3 4; do
	t_sql "
INSERT INTO connector (uuid, name, url, auth_type, insecure) VALUES
  ('00000000-0000-4000-8000-0000000070c$k', 'hang$k', 'http://127.0.0.1:$HANG/$k', 'none', 1);
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-0000000070a$k', 'hang$k', '00000000-0000-4000-8000-0000000070c$k',
   '00000000-0000-4000-8000-00000000e0a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-00000007101$k', 'ra-hang$k', 1, '00000000-0000-4000-8000-0000000070a$k');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid) VALUES
  ('00000000-0000-4000-8000-00000007201$k', 'hang$k', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000007101$k');" || bail "seeding connector hang$k failed"
done
sleep 11	# past every worker's cached connector result
t0=$(date +%s%N)
is "$(health)" 200 "four connectors that hang: 200"
ms=$((($(date +%s%N) - t0) / 1000000))
is "$(hj 'j["status"], j["connectors"]["checked"], j["connectors"]["reachable"]')" \
	"('degraded', 5, 1)" "... degraded: five checked, one reachable"
ok "... answered in under a second and a half ($ms ms), the probes at once" test "$ms" -lt 1500
t_sql "UPDATE cmp_profile SET enabled = 0 WHERE name LIKE 'hang_'"
t_stop_bg hang

# ---------------------------------------------------------------- methods
is "$(t_fcgi "" /metrics POST "")" 405 "POST /metrics: 405"
is "$(t_header Allow)" GET "Allow: GET"
is "$(t_fcgi "" /health POST "")" 405 "POST /health: 405"
is "$(t_fcgi "" "/metrics?x=1" GET "")" 200 "a query string is ignored"
is "$(t_fcgi "" /metrics/x GET "")" 404 "/metrics/x is no route"
scrape "$T/m6.txt"
is "$(m "$T/m6.txt" cmpd_requests_total route=metrics outcome=HTTP_METHOD)" 1 \
	"the 405 is counted under route=metrics"
ok "final exposition parses" check "$T/m6.txt"

# through lighttpd and contrib/lighttpd/cmpd.conf (localhost may read them)
is "$(curl -sS --noproxy '*' -o "$T/web-metrics.txt" -w '%{http_code}' "$HTTP_BASE/metrics")" 200 \
	"/metrics through lighttpd"
ok "and it parses" /usr/bin/python3 "$PROM" check "$T/web-metrics.txt"
is "$(curl -sS --noproxy '*' -o /dev/null -w '%{http_code}' "$HTTP_BASE/health")" 200 \
	"/health through lighttpd"

# ------------------------------------------------------ the sweep's pace
# Four workers, each trying every second: a run that found nothing left
# rests the lease a second, so about one run a second, not four.
t_stop_cmpd
sed -i 's/^workers = .*/workers = 4/' "$T/cmpd.conf"
echo "sweep_interval = 1" >> "$T/cmpd.conf"
t_start_cmpd || bail "cmpd did not start again"
sleep 8
scrape "$T/m7.txt"
runs=$(m "$T/m7.txt" cmpd_sweep_runs_total)
ok "cmpd_sweep_runs_total: the sweep ran ($runs runs in 8 s)" test "$runs" -ge 3
ok "... at most once a second across the four workers (the lease rests a second)" test "$runs" -le 10
is "$(t_sql "SELECT CONCAT(holder = '', '/', until IS NOT NULL) FROM cmpd_lease WHERE name = 'sweep'")" 1/1 \
	"between runs the lease rests: no holder, an end"
t0=$SECONDS
like "$("$top_builddir/cmpd" -c "$T/cmpd.conf" --sweep 2>&1)" "^cmpd: [0-9]+ certificates? revoked" "cmpd --sweep takes a resting lease"
ok "... at once ($((SECONDS - t0)) s)" test $((SECONDS - t0)) -le 2
done_testing
