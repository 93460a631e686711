# t/lib/pki.sh -- the test PKI and the profiles that use it: t_sig_profile,
# t_signer, t_rsa_e1_key, t_vendor_ca, t_tls_material, t_make_ca, cmp-localca
# (t_start_localca and its lighttpd), t_seed_enroll
# Part of t/lib.sh, which sources it: tests source t/lib.sh only.

# t_rsa_e1_key OUT: an RSA private key with e = d = dP = dQ = 1 (a real
# modulus and primes) into OUT, PEM. libcrypto signs with it (each
# signature is the padded digest itself), and verifies such signatures:
# a key anyone can sign with.
t_rsa_e1_key() {
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.base" 2>/dev/null ||
		bail "t_rsa_e1_key: genpkey failed"
	t_rsa_e1_hex() {
		openssl rsa -in "$1.base" -text -noout 2>/dev/null | awk -v f="$2:" '
			$0 ~ "^" f { on = 1; next } on && /^[a-zA-Z]/ { on = 0 }
			on { gsub(/[ :]/, ""); printf "%s", $0 }'
	}
	printf '%s\n' "asn1 = SEQUENCE:rsa" "[rsa]" "version = INTEGER:0" \
		"n = INTEGER:0x$(t_rsa_e1_hex "$1" modulus)" "e = INTEGER:1" "d = INTEGER:1" \
		"p = INTEGER:0x$(t_rsa_e1_hex "$1" prime1)" "q = INTEGER:0x$(t_rsa_e1_hex "$1" prime2)" \
		"dp = INTEGER:1" "dq = INTEGER:1" "qinv = INTEGER:0x$(t_rsa_e1_hex "$1" coefficient)" \
		> "$1.cnf"
	openssl asn1parse -genconf "$1.cnf" -out "$1.der" -noout > /dev/null &&
		openssl pkey -inform DER -in "$1.der" -out "$1" 2> /dev/null ||
		bail "t_rsa_e1_key: the key could not be built"
	rm -f "$1.base" "$1.cnf" "$1.der"
}

# t_sig_profile [POLICY]: CMP Profile "sig", signature both ways, on the
# demo RA Profile of t/profiles.sql; subjectPolicy POLICY (signer, the
# default, or any).  Its signing credentials and anchors are the test's.
t_sig_profile() {
	t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection,
    response_protection, default_ra_profile_uuid, subject_policy) VALUES
  ('00000000-0000-4000-8000-00000000f101', 'sig', 1, 'signature', 'signature',
   '00000000-0000-4000-8000-00000000e001', '${1:-signer}')" ||
		bail "inserting CMP Profile sig failed"
}

# t_sig_ready: CMP Profile sig (t_sig_profile), with cmpd's signing
# credentials (t_signer, under the test CA's root) and as trust anchors
# the fixtures' device vendor root and the test CA's root.
t_sig_ready() {
	local cmpd="$top_builddir/cmpd -c $T/cmpd.conf"
	t_sig_profile
	t_signer || bail "cannot make the signing certificate"
	cat "$T/signer.key" "$T/signer.crt" "$T/ca/root.crt" |
		$cmpd --set-signing-credentials sig > /dev/null 2>&1 ||
		bail "--set-signing-credentials failed"
	cat "$T_FIXTURES/root.pem" "$T/ca/root.crt" |
		$cmpd --set-trust-anchors sig > /dev/null 2>&1 ||
		bail "--set-trust-anchors failed"
}

# t_genm_signed OUT CERT KEY [CHAIN]: a genm (signKeyPairTypes, which asks
# the CA nothing) to CMP Profile sig signed with CERT (its issuing CA's
# certificate CHAIN sent with it, the test CA's by default); openssl
# cmp's output in OUT
t_genm_signed() {
	timeout 60 openssl cmp -cmd genm -infotype signKeyPairTypes \
		-server "127.0.0.1:$HTTP_PORT" -path /api/v1/protocols/cmp/sig \
		-recipient /CN=cmpd -msg_timeout 20 -total_timeout 40 \
		-cert "$2" -key "$3" -untrusted "${4:-$T/ca/ca.crt}" -trusted "$T/ca/root.crt" \
		-unprotected_errors > "$1" 2>&1
}

# t_localca_issue NAME KEY: a certificate of the test CA for CN=NAME and
# KEY straight from cmp-localca's connector API, not through cmpd (so not
# in its inventory: only the CA's CRL knows it), into $T/NAME.crt
t_localca_issue() {
	local lca=$CONNECTOR_BASE/localca/v2/authorityProvider/authorities/00000000-0000-4000-8000-00000000e0a2/certificates
	openssl req -new -key "$2" -subj "/CN=$1" -outform DER -out "$T/$1.csr" 2>/dev/null &&
	curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" \
		-H 'Content-Type: application/json' -o "$T/$1.issue.json" --data-binary \
		"{\"request\":\"$(base64 -w0 "$T/$1.csr")\",\"format\":\"pkcs10\"}" "$lca/issue" &&
	python3 -c 'import json,sys,base64; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["certificateData"]))' \
		"$T/$1.issue.json" | openssl x509 -inform DER -out "$T/$1.crt" ||
		bail "cmp-localca did not issue a certificate for CN=$1"
}

# t_fake_cgi_lighttpd: the lighttpd lines that run $T/fake/*.sh as CGI
# scripts below /fake/ (for t_start_lighttpd)
t_fake_cgi_lighttpd() {
	printf '%s\n' 'server.modules += ( "mod_cgi", "mod_alias" )' \
		"alias.url += ( \"/fake/\" => \"$T/fake/\" )" \
		'$HTTP["url"] =~ "^/fake/" { cgi.assign = ( ".sh" => "/bin/sh" ) }'
}

# t_fake_ca: $T/fake/ca.sh, a connector (CGI, t_fake_cgi_lighttpd) that
# answers crl and caCertificates with the files $T/fake/crl.json and
# chain.json the test writes; 503 to every call while $T/fake/down
# exists, and to caCertificates while $T/fake/chain-down does
t_fake_ca() {
	mkdir -p "$T/fake"
	cat > "$T/fake/ca.sh" <<EOS
#!/bin/sh
cat > /dev/null
unavailable() {
	printf 'Status: 503\r\nContent-Type: application/json\r\n\r\n{"message":"down"}'
	exit 0
}
[ ! -e '$T/fake/down' ] || unavailable
case \$PATH_INFO in
*/crl) f='$T/fake/crl.json' ;;
*/caCertificates) [ ! -e '$T/fake/chain-down' ] || unavailable
	f='$T/fake/chain.json' ;;
*) printf 'Status: 404\r\nContent-Type: application/json\r\n\r\n{"message":"not found"}'; exit 0 ;;
esac
printf 'Status: 200\r\nContent-Type: application/json\r\n\r\n'
cat "\$f"
EOS
	chmod 755 "$T/fake/ca.sh"
}

# t_localca_revoke CERT REASON: CERT (PEM) revoked at cmp-localca through
# its connector API, not through cmpd
t_localca_revoke() {
	curl -sS --noproxy '*' --max-time 30 -u "$(t_localca_curl_auth)" \
		-H 'Content-Type: application/json' -o /dev/null --data-binary \
		"{\"certificate\":\"$(openssl x509 -in "$1" -outform DER | base64 -w0)\",\"reason\":\"$2\"}" \
		"$CONNECTOR_BASE/localca/v2/authorityProvider/authorities/00000000-0000-4000-8000-00000000e0a2/certificates/revoke"
}

# ================================================================== TLS
# t_signer [NAME [SUBJECT [ISSUER]]]: a signing key and certificate for
# cmpd (EC P-256, digitalSignature) under the test CA's root, or ISSUER
# ca for its issuing CA ($T/ca): $T/NAME.key and $T/NAME.crt (NAME:
# signer; SUBJECT: /O=cmpd tests/CN=cmpd signer).
# $T/signer.ext keeps the extensions, for more certificates like it.
t_signer() {
	local n=${1:-signer} subj=${2:-/O=cmpd tests/CN=cmpd signer} iss=${3:-root}
	printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nkeyUsage=critical,digitalSignature\n' \
		> "$T/signer.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$n.key" -out "$T/$n.csr" -subj "$subj" 2>/dev/null &&
	openssl x509 -req -in "$T/$n.csr" -CA "$T/ca/$iss.crt" -CAkey "$T/ca/$iss.key" \
		-CAcreateserial -days 30 -extfile "$T/signer.ext" -out "$T/$n.crt" 2>/dev/null
}

# t_vendor_ca DIR SUBJECT: a device vendor's root CA in DIR, apart from
# the test CA: DIR/root.crt and root.key (EC P-256, 30 days, subject
# SUBJECT) and DIR/ca.cnf with its database for openssl ca: -in CSR
# issues (digitalSignature, as a device's signing certificate; -days or
# -enddate), -revoke and -gencrl (CRLs for 30 days) revoke.
t_vendor_ca() {
	local d=$1
	mkdir -p "$d"
	: > "$d/index.txt"
	echo 1000 > "$d/serial"
	echo 01 > "$d/crlnumber"
	cat > "$d/ca.cnf" <<EOF
[ ca ]
default_ca = vca
[ vca ]
database = $d/index.txt
new_certs_dir = $d
serial = $d/serial
certificate = $d/root.crt
private_key = $d/root.key
crlnumber = $d/crlnumber
default_md = sha256
default_crl_days = 30
policy = any
unique_subject = no
x509_extensions = ee
[ any ]
commonName = supplied
[ ee ]
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
keyUsage = critical,digitalSignature
EOF
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/root.key" -out "$d/root.crt" -days 30 -subj "$2" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# t_crl ISSUER OUT CERT...: a CRL (PEM, 30 days) in OUT, signed by
# ISSUER.key for ISSUER.crt, that lists each CERT as revoked.
t_crl() {
	local issuer=$1 out=$2 d c
	shift 2
	d=$(mktemp -d "$T/crl.XXXXXX") || return 1
	: > "$d/index.txt"
	echo 01 > "$d/crlnumber"
	cat > "$d/ca.cnf" <<EOF
[ ca ]
default_ca = crl
[ crl ]
database = $d/index.txt
certificate = $issuer.crt
private_key = $issuer.key
crlnumber = $d/crlnumber
default_md = sha256
default_crl_days = 30
EOF
	for c in "$@"; do
		openssl ca -config "$d/ca.cnf" -revoke "$c" > "$d/log" 2>&1 ||
			return 1
	done
	openssl ca -config "$d/ca.cnf" -gencrl -out "$out" > "$d/log" 2>&1
}

# t_tls_material: a TLS PKI in $T/tls, apart from the CMP test CA:
#   ca.crt/ca.key           "TLS Test CA" (EC P-256): issues the rest, and
#                           is the CA of client certificates the web
#                           servers accept
#   server.crt/server.key   CN=127.0.0.1, SAN IP:127.0.0.1, serverAuth;
#                           server.pem = certificate + CA
#   client.crt/client.key   CN=api-admin, clientAuth
#   other-ca.crt, other-client.crt/.key   an unrelated CA and a client
#                           certificate of it (CN=intruder)
t_tls_material() {
	local d=$T/tls
	mkdir -p "$d"
	_t_tls_ca() {
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/$1.key" -out "$d/$1.crt" -days 30 -subj "$2" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
	}
	# _t_tls_leaf NAME CA SUBJECT EXTFILE-LINES
	_t_tls_leaf() {
		printf '%b' "$4" > "$d/$1.ext"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/$1.key" -out "$d/$1.csr" -subj "$3" 2>/dev/null &&
		openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.crt" -CAkey "$d/$2.key" \
			-CAcreateserial -days 30 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
	}
	_t_tls_ca ca "/O=cmpd tests/CN=TLS Test CA" &&
	_t_tls_ca other-ca "/O=elsewhere/CN=Other CA" &&
	_t_tls_leaf server ca "/O=cmpd tests/CN=127.0.0.1" \
		'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' &&
	_t_tls_leaf client ca "/O=cmpd tests/CN=api-admin" \
		'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' &&
	_t_tls_leaf other-client other-ca "/O=elsewhere/CN=intruder" \
		'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' &&
	cat "$d/server.crt" "$d/ca.crt" > "$d/server.pem" ||
		bail "t_tls_material: openssl failed"
	# Apache's children read nothing here (keys are loaded as root), but
	# keep the keys private anyway.
	chmod 600 "$d"/*.key
}

# ============================================================ the CA side
# t_make_ca: a test PKI in $T/ca: root.crt/root.key (EC P-256) and the
# issuing CA ca.crt/ca.key (RSA 2048) signed by it; chain.pem = the root.
t_make_ca() {
	local d=$T/ca
	mkdir -p "$d"
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$d/ca.ext"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/root.key" -out "$d/root.crt" -days 3650 \
		-subj "/O=cmpd tests/CN=Test Root CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	openssl req -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.csr" \
		-subj "/O=cmpd tests/CN=Test Issuing CA" 2>/dev/null &&
	openssl x509 -req -in "$d/ca.csr" -CA "$d/root.crt" -CAkey "$d/root.key" \
		-CAcreateserial -days 1825 -extfile "$d/ca.ext" -out "$d/ca.crt" 2>/dev/null &&
	cp "$d/root.crt" "$d/chain.pem" || bail "t_make_ca: openssl failed"
}

# t_start_localca [extra config lines]: cmp-localca on $T/localca.sock
# with $T/ca (made if missing) and the test database.  Put it behind
# lighttpd with: t_start_lighttpd "$(t_localca_lighttpd)"
# Its callers authenticate with HTTP basic: user $LOCALCA_USER, password
# in $T/localca.pw (random, mode 600); t_localca_cred prints the
# connector credentials JSON for them, t_localca_curl_auth curl's -u.
# LOCALCA_WRAP: a command to run it under (bench/run.sh: a profiler).
LOCALCA_USER=cmpd
t_localca_password() {
	if [ ! -s "$T/localca.pw" ]; then
		(umask 077; openssl rand -hex 24 > "$T/localca.pw")
	fi
	cat "$T/localca.pw"
}
t_localca_cred() {
	printf '{"username":"%s","password":"%s"}\n' "$LOCALCA_USER" \
		"$(t_localca_password)"
}
t_localca_curl_auth() {
	printf '%s:%s' "$LOCALCA_USER" "$(t_localca_password)"
}
t_start_localca() {
	[ -f "$T/ca/ca.key" ] || t_make_ca
	t_localca_password > /dev/null
	{
		echo "listen = $T/localca.sock"
		echo "ca_dir = $T/ca"
		echo "validity_days = 30"
		echo "db_socket = $DB_SOCK"
		echo "db_user = cmpd"
		echo "db_password_file = $T/db.pw"
		echo "db_name = cmpd"
		echo "log_level = info"
		echo "auth_user = $LOCALCA_USER"
		echo "auth_password_file = $T/localca.pw"
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$T/localca.conf"
	rm -f "$T/localca.sock"
	# CI runs as root; tests of the user switch start it themselves
	t_bg localca ${LOCALCA_WRAP-} "$top_builddir/cmp-localca" -f -c "$T/localca.conf" \
		--allow-root
	t_wait 10 test -S "$T/localca.sock" || {
		diag_file "$T/localca.log"
		bail "cmp-localca did not start"
	}
}
t_localca_lighttpd() {
	printf 'fastcgi.server += ( "/localca/" => (( "socket" => "%s", "check-local" => "disable" )) )\n' \
		"$T/localca.sock"
}
# t_second_localca NAME LINES...: another cmp-localca on the same CA and
# table, on its own socket $T/NAME.sock, with configuration LINES added
# (e.g. one that answers pending); t_second_localca_lighttpd NAME: the
# lighttpd line that serves it under /NAME/ (for t_start_lighttpd).
t_second_localca() {
	local name=$1 sock=$T/$1.sock
	shift
	{
		grep -v '^listen' "$T/localca.conf"
		echo "listen = $sock"
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$T/$name.conf"
	rm -f "$sock"
	t_bg "$name" "$top_builddir/cmp-localca" -f -c "$T/$name.conf" --allow-root
	t_wait 10 test -S "$sock" || { diag_file "$T/$name.log"; bail "$name did not start"; }
}
t_second_localca_lighttpd() {
	printf 'fastcgi.server += ( "/%s/" => (( "socket" => "%s", "check-local" => "disable" )) )\n' \
		"$1" "$T/$1.sock"
}

# t_seed_enroll: after t_start_lighttpd, a connector to cmp-localca
# through it (HTTP basic with cmp-localca's credentials; plain http:// on
# loopback, so marked insecure), an authority, RA Profile "ra-enroll" and
# CMP Profile "enroll" (shared secret both ways, secret $ENROLL_SECRET,
# reference $ENROLL_REF), CMP enabled on the RA Profile too.
ENROLL_SECRET=enroll-secret
ENROLL_REF=enroll-ref
t_seed_enroll() {
	t_sql "
INSERT INTO connector (uuid, name, url, auth_type, insecure) VALUES
  ('00000000-0000-4000-8000-00000000e0c1', 'localca', '$CONNECTOR_BASE/localca', 'basic', 1);
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-00000000e0a1', 'localca', '00000000-0000-4000-8000-00000000e0c1',
   '00000000-0000-4000-8000-00000000e0a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-00000000e001', 'ra-enroll', 1, '00000000-0000-4000-8000-00000000e0a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-00000000e101', 'enroll', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '$ENROLL_REF');
UPDATE ra_profile SET cmp_profile_uuid = '00000000-0000-4000-8000-00000000e101'
  WHERE name = 'ra-enroll';" || bail "seeding the enrollment profiles failed"
	printf '%s\n' "$ENROLL_SECRET" |
		"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret enroll \
		> "$T/secret.log" 2>&1 || { diag_file "$T/secret.log"; bail "--set-shared-secret failed"; }
	t_localca_cred |
		"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials localca \
		> "$T/secret.log" 2>&1 || { diag_file "$T/secret.log"; bail "--set-connector-credentials failed"; }
}

# t_profile_via NAME URL K: after t_seed_enroll, CMP Profile NAME (shared
# secret both ways, $ENROLL_SECRET, no senderKID reference: any senderKID
# with the secret) on RA Profile ra-NAME, through a connector to URL with
# cmp-localca's credentials; K (a hex digit or two) makes the UUIDs.
t_profile_via() {
	local n=$1 url=$2 k=$3
	t_sql "
INSERT INTO connector (uuid, name, url, auth_type, auth_data_enc, insecure)
  SELECT '00000000-0000-4000-8000-00000000${k}0c1', '$n', '$url', auth_type, NULL, 1
  FROM connector WHERE name = 'localca';
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-00000000${k}0a1', '$n', '00000000-0000-4000-8000-00000000${k}0c1',
   '00000000-0000-4000-8000-00000000e0a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-00000000${k}001', 'ra-$n', 1, '00000000-0000-4000-8000-00000000${k}0a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid) VALUES
  ('00000000-0000-4000-8000-00000000${k}101', '$n', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000${k}001');" || bail "seeding profile $n failed"
	printf '%s\n' "$ENROLL_SECRET" |
		"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret "$n" \
		> "$T/secret.log" 2>&1 || bail "--set-shared-secret $n failed"
	t_localca_cred |
		"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-connector-credentials "$n" \
		> "$T/secret.log" 2>&1 || bail "--set-connector-credentials $n failed"
}
