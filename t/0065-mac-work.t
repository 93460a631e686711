#!/bin/sh
# A MAC refused costs the same work whichever reference (senderKID) it
# names: a device entry's, the CMP Profile's own, or one that exists
# nowhere (the profile's secret is then the fallback, or a dummy key), so
# that the time of a refusal tells no one which references exist.
# Measured as the CPU time of cmpd's worker over N requests whose PBM asks
# for 100 000 iterations: each refusal computes the MAC, where skipping
# it takes a small fraction of that. And a PBM asking for more than the
# 100 000 iterations libcrypto computes is refused for its parameters,
# whatever pbm_iterations_max, not as a wrong MAC.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "pbm_iterations_max = 1000000" "workers = 1" \
	"device_mac_failures_max = 1000"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)"
t_seed_enroll
API_KEY=$(t_api_key admin admin)
plan_auto

F=$T_FIXTURES
TOOL=$top_builddir/t/cmptool
ENROLL=00000000-0000-4000-8000-00000000e101
N=30
dump() { "$TOOL" dump "$1" | sed -n "s/^$2=//p"; }
is "$(t_api POST "/cmpProfiles/$ENROLL/devices" '{"reference":"dev-1","secret":"device-secret","uses":5}')" 201 \
	"API: a device entry on the profile"
is "$(t_api GET "/cmpProfiles/$ENROLL")" 200 "API: the profile"
is "$(t_json 'j["profileSecretFallback"]')" true "... its own secret the fallback"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
openssl cmp -config "" -use_mock_srv -batch -recipient /CN=cmpd \
	-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
	-srv_ref "$ENROLL_REF" -srv_secret "pass:$ENROLL_SECRET" \
	-rsp_cert "$F/new.pem" -certout "$T/mock-cert.pem" \
	-reqout "$T/ir.der,$T/mock-req2.der" -cmd ir \
	-newkey "$T/dev.key" -subject "/CN=work" > "$T/client.out" 2>&1
[ -s "$T/ir.der" ] || bail "openssl cmp wrote no ir"
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# PBM iterations beyond what libcrypto computes: refused for them
# (its MAC left as it was: libcrypto makes none of that many)
"$TOOL" edit "$T/ir.der" "$T/many.der" senderKID="$(hex "$ENROLL_REF")" iter=100001 ||
	bail "cannot make the request"
is "$(t_post "$T/many.der" /api/v1/protocols/cmp/enroll)" 200 "a PBM of 100 001 iterations, pbm_iterations_max 1 000 000"
like "$(dump "$T/resp.der" text)" "iterationCount 100001 not in 100\\.\\.100000" \
	"... refused for its parameters, libcrypto's bound named"
"$TOOL" edit "$T/ir.der" "$T/most.der" senderKID="$(hex "$ENROLL_REF")" iter=100000 \
	remac="$ENROLL_SECRET" || bail "cannot make the request"
is "$(t_post "$T/most.der" /api/v1/protocols/cmp/enroll)" 200 "100 000 iterations, the right secret"
is "$(dump "$T/resp.der" body)/$(dump "$T/resp.der" status)" ip/accepted "... enrols"

# ticks: CPU time (utime + stime, clock ticks) of cmpd's workers so far
ticks() {
	local pid sum=0 line
	local -a f
	for pid in $(t_cmpd_workers); do
		read -r line < "/proc/$pid/stat" || continue
		read -r -a f <<< "${line##*) }"
		sum=$((sum + f[11] + f[12]))
	done
	echo "$sum"
}
# work NAME KID: CPU ticks of N irs with senderKID KID and a wrong secret,
# each asking for 100 000 PBM iterations; -1 unless each was refused as a
# wrong MAC
work() {
	local name=$1 kid=$2 before after i
	for i in $(seq 1 $N); do
		"$TOOL" edit "$T/ir.der" "$T/$name-$i.der" tid="$(openssl rand -hex 16)" \
			senderKID="$(hex "$kid")" iter=100000 remac=not-the-secret ||
			bail "cannot make the request for $name"
	done
	before=$(ticks)
	for i in $(seq 1 $N); do
		t_post "$T/$name-$i.der" /api/v1/protocols/cmp/enroll > /dev/null
		if [ "$(dump "$T/resp.der" text)" != "PN=enroll | message authentication failed" ]; then
			echo -1
			return
		fi
	done
	after=$(ticks)
	echo $((after - before))
}
dev=$(work device dev-1)
prof=$(work profile "$ENROLL_REF")
none=$(work none no-such-device)
diag "CPU ticks of $N refusals: a device entry's reference $dev, the profile's $prof, one of nothing $none"
ok "a device entry's reference: refused, after the MAC work" test "$dev" -ge 5
ok "the profile's reference: the same work" test "$prof" -ge $((dev / 2))
ok "a reference of nothing (the profile's secret the fallback): the same work" test "$none" -ge $((dev / 2))
is "$(t_api PUT "/cmpProfiles/$ENROLL" '{"profileSecretFallback":false}')" 200 "API: no fallback"
none=$(work none-nofb no-such-device)
diag "without the fallback: $none"
ok "a reference of nothing, no fallback (a dummy key): the same work" test "$none" -ge $((dev / 2))
is "$(t_sql "SELECT COUNT(*) FROM certificate WHERE subject_dn = 'CN=work'")" 1 "one certificate issued, by the right secret"
done_testing
