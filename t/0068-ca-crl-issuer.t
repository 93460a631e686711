#!/bin/sh
# Another CA behind the connector: its chain and its CRL count at once.
# The CA's chain and CRL are kept per worker, and its last CRL stored for
# workers started while the CA cannot be reached. When the CA behind an
# RA Profile changes, through the RA Profile's attributes (they go with
# every connector call) or behind the same connector URL, the former CA's
# chain and CRL must not stand in for the new one's: a CRL of another
# issuer replaces the one kept, whatever their times, and is stored; a
# CRL not signed by the chain kept has the chain asked for again. Else a
# certificate the new CA revoked would still sign. A CGI script of
# lighttpd stands for the connector, answering the chain and CRL given
# in files (503 while $T/fake/down exists, for the chain while
# $T/fake/chain-down does); one worker, so that one cache is seen.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0" "workers = 1" "ca_crl_refresh = 1" \
	"log_level = info"
t_start_localca
t_fake_ca
t_start_lighttpd "$(t_localca_lighttpd)" "$(t_fake_cgi_lighttpd)"
t_seed_enroll
plan_auto

CA=$T/ca
RA=00000000-0000-4000-8000-00000000e001
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/dev.key" 2>/dev/null
t_sig_ready
connector() { t_sql "UPDATE connector SET url = '$1' WHERE name = 'localca'"; }
attributes() { t_sql "UPDATE ra_profile SET attributes = $1 WHERE uuid = '$RA'"; }
# genm OUT CERT CHAIN: a genm signed with CERT, its CA's certificate CHAIN
genm() { t_genm_signed "$1" "$2" "$T/dev.key" "$3"; }
# ca_certs: the subject of the first certificate of genm caCerts (RFC
# 9483 4.3.1: the CA's chain as cmpd keeps it), MAC-protected
ca_certs() {
	rm -f "$T/cacerts.pem"
	timeout 60 "$top_builddir/t/cmpgenm" -port "$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -secret "$ENROLL_SECRET" \
		-ref "$ENROLL_REF" -type caCerts -out "$T/cacerts.pem" \
		> "$T/genm.out" 2> "$T/genm.err" &&
	openssl x509 -in "$T/cacerts.pem" -noout -subject -nameopt compat | sed 's/^subject=//'
}
# json_chain OUT CERT...: the connector's caCertificates answer
json_chain() {
	local out=$1 c sep=''
	shift
	{
		printf '{"certificates":['
		for c in "$@"; do
			printf '%s{"certificateData":"%s","format":"X.509"}' "$sep" \
				"$(openssl x509 -in "$c" -outform DER | base64 -w0)"
			sep=,
		done
		printf ']}'
	} > "$out"
}
json_crl() {	# json_crl OUT CRL.pem: the connector's crl answer
	printf '{"crlData":"%s"}' "$(openssl crl -in "$2" -outform DER | base64 -w0)" > "$1"
}
# crl_of DIR OUT [LASTUPDATE]: the CRL of the CA in DIR (ca.key, ca.crt,
# its index of revocations), issued at LASTUPDATE (default now), valid
# a day
crl_of() {
	[ -f "$1/ca.cnf" ] || {
		: > "$1/index.txt"
		printf '1000\n' > "$1/crlnumber"
		printf '[ca]\ndefault_ca = d\n[d]\ndatabase = %s\ncrlnumber = %s\ndefault_md = sha256\n' \
			"$1/index.txt" "$1/crlnumber" > "$1/ca.cnf"
	}
	openssl ca -config "$1/ca.cnf" -gencrl -keyfile "$1/ca.key" -cert "$1/ca.crt" \
		-crl_lastupdate "${3:-$(date -u +%Y%m%d%H%M%SZ)}" \
		-crl_nextupdate "$(date -u -d '+1 day' +%Y%m%d%H%M%SZ)" -out "$2" > "$1/gencrl.log" 2>&1 ||
		{ diag_file "$1/gencrl.log"; bail "cannot make the CRL of $1"; }
}
stored() {	# stored: the CRL stored for workers that have none, as text
	t_sql "SELECT REPLACE(TO_BASE64(crl), CHAR(10), '') FROM ca_crl" | base64 -d |
		openssl crl -inform DER -noout -text
}

# ---------------------------------------------------------------- CA 1
# outside1: a certificate of cmp-localca's CA, not through cmpd
t_localca_issue outside1 "$T/dev.key"
LCA1=$CONNECTOR_BASE/localca/v1/authorityProvider/authorities/00000000-0000-4000-8000-00000000e0a2
curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" -H 'Content-Type: application/json' \
	-o "$T/crl1.json" --data-binary '{"delta": false}' "$LCA1/crl"
json_chain "$T/fake/chain.json" "$CA/ca.crt" "$CA/root.crt"
cp "$T/crl1.json" "$T/fake/crl.json"
connector "$HTTP_BASE/fake/ca.sh"
ok "CA 1: outside1 signs" genm "$T/g1.out" "$T/outside1.crt" "$CA/ca.crt"
CA1=$(openssl x509 -in "$CA/ca.crt" -noout -subject -nameopt compat | sed 's/^subject=//')
is "$(ca_certs)" "$CA1" "CA 1: caCerts names CA 1"
# CA 1 revokes outside1
t_localca_revoke "$T/outside1.crt" keyCompromise
curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" -H 'Content-Type: application/json' \
	-o "$T/fake/crl.json" --data-binary '{"delta": false}' "$LCA1/crl"
cp "$T/fake/crl.json" "$T/crl1b.json"
sleep 1.5
nok "CA 1 revoked outside1: refused" genm "$T/g1b.out" "$T/outside1.crt" "$CA/ca.crt"


# ---------------------------------------- CA 2, another CA under the root
C2=$T/ca2
mkdir -p "$C2"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C2/ca.key" \
	-out "$C2/ca.csr" -subj "/O=cmpd tests/CN=Test Issuing CA 2" 2>/dev/null &&
openssl x509 -req -in "$C2/ca.csr" -CA "$CA/root.crt" -CAkey "$CA/root.key" -CAcreateserial \
	-days 100 -extfile "$CA/ca.ext" -out "$C2/ca.crt" 2>/dev/null || bail "cannot make CA 2"
openssl req -new -key "$T/dev.key" -subj /CN=outside2 -out "$T/outside2.csr" 2>/dev/null &&
openssl x509 -req -in "$T/outside2.csr" -CA "$C2/ca.crt" -CAkey "$C2/ca.key" -CAcreateserial \
	-days 30 -extfile "$T/signer.ext" -out "$T/outside2.crt" 2>/dev/null || bail "cannot make outside2"
crl_of "$C2" "$C2/crl0.pem"
openssl ca -config "$C2/ca.cnf" -keyfile "$C2/ca.key" -cert "$C2/ca.crt" -revoke "$T/outside2.crt" \
	-crl_reason keyCompromise > "$C2/revoke.log" 2>&1 || { diag_file "$C2/revoke.log"; bail "cannot revoke outside2"; }
# CA 2's current CRL, issued an hour ago: before CA 1's
crl_of "$C2" "$C2/crl.pem" "$(date -u -d '-1 hour' +%Y%m%d%H%M%SZ)"
serial2=$(openssl x509 -in "$T/outside2.crt" -noout -serial | sed 's/^serial=//')
like "$(openssl crl -in "$C2/crl.pem" -noout -text)" "Serial Number: $serial2" "CA 2's CRL lists outside2"
CA2=$(openssl x509 -in "$C2/ca.crt" -noout -subject -nameopt compat | sed 's/^subject=//')

# the RA Profile's attributes name CA 2: its chain at once (a new key of
# the caches), not CA 1's kept for minutes
json_chain "$T/fake/chain.json" "$C2/ca.crt" "$CA/root.crt"
attributes "'[{\"name\":\"ca\",\"content\":[{\"data\":\"two\"}]}]'"
is "$(ca_certs)" "$CA2" "other RA Profile attributes: caCerts names CA 2 at once"
attributes NULL
is "$(ca_certs)" "$CA1" "... and CA 1 again with the former attributes (its chain kept)"
json_chain "$T/fake/chain.json" "$CA/ca.crt" "$CA/root.crt"

# a CRL no certificate of the chain signed, and the chain cannot be had:
# not taken (nothing vouches for it), CA 1's stays
R=$T/rogue
mkdir -p "$R"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$R/ca.key" \
	-out "$R/ca.crt" -days 30 -subj /CN=Rogue -addext keyUsage=critical,keyCertSign,cRLSign \
	2>/dev/null || bail "cannot make the rogue CA"
crl_of "$R" "$R/crl.pem"
json_crl "$T/fake/crl.json" "$R/crl.pem"
: > "$T/fake/chain-down"
sleep 1.5
nok "a CRL the chain did not sign, the chain down: outside1 still refused" \
	genm "$T/g1c.out" "$T/outside1.crt" "$CA/ca.crt"
like "$(cat "$T/g1c.out")" "PN=sig \| the protection certificate is revoked" "... by CA 1's CRL, kept"
like "$(cat "$T/cmpd.log")" "the CRL it gave is not taken: not signed by the chain kept, and the chain cannot be had" \
	"... the log says why the CRL is not taken"
unlike "$(stored)" "Issuer: .*Rogue" "... nor stored"
rm -f "$T/fake/chain-down"
cp "$T/crl1b.json" "$T/fake/crl.json"
sleep 5	# a chain that could not be had is asked for again after 5 s
is "$(ca_certs)" "$CA1" "... the chain asked for again names CA 1"

# CA 2 behind the same connector and attributes: its CRL is not signed by
# the chain kept (CA 1's), which is asked for again; and being of another
# issuer it replaces CA 1's, though issued before it
json_chain "$T/fake/chain.json" "$C2/ca.crt" "$CA/root.crt"
json_crl "$T/fake/crl.json" "$C2/crl.pem"
sleep 1.5
nok "CA 2 behind the same connector: outside2, revoked in its CRL, refused" \
	genm "$T/g2.out" "$T/outside2.crt" "$C2/ca.crt"
like "$(cat "$T/g2.out")" "PN=sig \| the protection certificate is revoked" "... as revoked"
like "$(cat "$T/cmpd.log")" "PN=sig: the CA's CRL has another issuer now" "... the log says the CRL's issuer changed"
is "$(t_sql "SELECT COUNT(*) FROM ca_crl")" 1 "one CRL stored"
like "$(stored)" "Issuer: .*CN *= *Test Issuing CA 2" "... CA 2's, though issued before CA 1's"
like "$(stored)" "Serial Number: $serial2" "... which lists outside2"
is "$(ca_certs)" "$CA2" "caCerts names CA 2"

# a worker started while the CA cannot be reached takes the stored CRL
: > "$T/fake/down"
t_start_cmpd || bail "cmpd did not start again"
nok "the CA down, cmpd restarted: outside2 refused" genm "$T/g3.out" "$T/outside2.crt" "$C2/ca.crt"
like "$(cat "$T/g3.out")" "PN=sig \| the protection certificate is revoked" "... by the stored CRL"

# the CA still down, another worker (here: of another node) stored a CRL
# of another issuer, CA 1's again: the one to hold while this worker
# cannot ask
crl1b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["crlData"])' "$T/crl1b.json")
t_sql "UPDATE ca_crl SET crl = FROM_BASE64('$crl1b'), issuer_sha256 = NULL" ||
	bail "cannot store CA 1's CRL"
sleep 1.5
nok "the CA down, CA 1's CRL stored by another: outside1 refused" \
	genm "$T/g4.out" "$T/outside1.crt" "$CA/ca.crt"
like "$(cat "$T/g4.out")" "PN=sig \| the protection certificate is revoked" "... by that CRL"
done_testing
