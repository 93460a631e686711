#!/bin/sh
# cmp-localca --init-ca: a new self-signed CA (EC P-256 by default, P-384,
# RSA) with the subject and validity asked for, an existing CA's key and
# chain imported, never over a CA that is there, nothing left behind by
# a refused import; and "user": started as root, cmp-localca binds, reads
# its CA key (root's only), then serves as that user, and removes its
# socket and pid file on SIGTERM.
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

LCA=$top_builddir/cmp-localca
[ -x "$LCA" ] || bail "$LCA not built"
(umask 077; openssl rand -hex 16 > "$T/lca.pw")

# conf FILE CA_DIR [lines...]
conf() {
	local f=$1 d=$2
	shift 2
	{
		echo "ca_dir = $d"
		echo "auth_user = cmpd"
		echo "auth_password_file = $T/lca.pw"
		printf '%s\n' "$@"
	} > "$f"
}
sums() { (cd "$1" && sha256sum ca.key ca.crt chain.pem 2>/dev/null); }
text() { openssl x509 -in "$1" -noout -text 2>/dev/null; }

# ------------------------------------------------- EC P-256 (default)
conf "$T/ec.conf" "$T/ec"
out=$("$LCA" -c "$T/ec.conf" --init-ca --subject "/O=cmpd tests/CN=Init EC CA" \
	--days 30 2>&1); rc=$?
is "$rc" 0 "--init-ca: a new EC CA"
like "$out" "CA written to $T/ec" "... says where"
ok "ca.key and ca.crt written" test -s "$T/ec/ca.key" -a -s "$T/ec/ca.crt"
ok "no chain.pem for a self-signed CA" test ! -e "$T/ec/chain.pem"
is "$(stat -c %a "$T/ec/ca.key")" 600 "ca.key mode 600 (no user set)"
is "$(openssl x509 -in "$T/ec/ca.crt" -noout -subject -nameopt compat)" \
	"subject=/O=cmpd tests/CN=Init EC CA" "the subject asked for"
like "$(text "$T/ec/ca.crt")" "NIST CURVE: P-256" "EC P-256 by default"
like "$(text "$T/ec/ca.crt")" "Signature Algorithm: ecdsa-with-SHA256" "signed with SHA-256"
like "$(text "$T/ec/ca.crt")" "Basic Constraints: critical.*CA:TRUE" "basicConstraints critical, CA:TRUE"
like "$(text "$T/ec/ca.crt" | tr '\n' ' ')" "Key Usage: critical +Certificate Sign, CRL Sign" \
	"keyUsage critical keyCertSign, cRLSign"
ok "self-signed: it verifies itself" openssl verify -CAfile "$T/ec/ca.crt" "$T/ec/ca.crt"
ok "valid for the next 29 days" openssl x509 -in "$T/ec/ca.crt" -noout -checkend $((29 * 86400))
nok "... and not for 31" openssl x509 -in "$T/ec/ca.crt" -noout -checkend $((31 * 86400))
ok "the key is the certificate's" sh -c "
	[ \"\$(openssl pkey -in '$T/ec/ca.key' -pubout)\" = \
	  \"\$(openssl x509 -in '$T/ec/ca.crt' -noout -pubkey)\" ]"
ok "cmp-localca -n accepts what --init-ca wrote" "$LCA" -n -c "$T/ec.conf"

# ------------------------------------------------- never over a CA
before=$(sums "$T/ec")
out=$("$LCA" -c "$T/ec.conf" --init-ca 2>&1); rc=$?
is "$rc" 1 "a second --init-ca: exit 1"
like "$out" "ca\.key exists: .* holds a CA already, not overwritten" "... saying why"
is "$(sums "$T/ec")" "$before" "... and the CA is unchanged"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/x.key" \
	-out "$T/x.crt" -subj /CN=x -days 1 -addext basicConstraints=critical,CA:TRUE \
	2>/dev/null || bail "openssl req"
cat "$T/x.crt" > "$T/x.chain"
out=$("$LCA" -c "$T/ec.conf" --init-ca --import-key "$T/x.key" --import-chain "$T/x.chain" 2>&1); rc=$?
is "$rc" 1 "an import over a CA: exit 1"
is "$(sums "$T/ec")" "$before" "... and the CA is unchanged"
mkdir -p "$T/half"
cp "$T/x.crt" "$T/half/chain.pem"
conf "$T/half.conf" "$T/half"
out=$("$LCA" -c "$T/half.conf" --init-ca 2>&1); rc=$?
is "$rc" 1 "a directory with only a chain.pem is refused too"
ok "... nothing written there" test ! -e "$T/half/ca.key" -a ! -e "$T/half/ca.crt"

# ------------------------------------------------- RSA, P-384
conf "$T/rsa.conf" "$T/rsa"
out=$("$LCA" -c "$T/rsa.conf" --init-ca --key-type rsa --bits 2048 2>&1); rc=$?
is "$rc" 0 "--init-ca --key-type rsa --bits 2048"
like "$(text "$T/rsa/ca.crt")" "Public-Key: \(2048 bit\)" "an RSA key of 2048 bits"
like "$(text "$T/rsa/ca.crt")" "rsaEncryption" "... RSA"
like "$(text "$T/rsa/ca.crt")" "Signature Algorithm: sha256WithRSAEncryption" "... signed with SHA-256"
is "$(openssl x509 -in "$T/rsa/ca.crt" -noout -subject -nameopt compat)" \
	"subject=/CN=cmp-localca CA" "default subject CN=cmp-localca CA"
ok "default validity: ten years" openssl x509 -in "$T/rsa/ca.crt" -noout -checkend $((3649 * 86400))
ok "cmp-localca -n accepts it" "$LCA" -n -c "$T/rsa.conf"
rm -rf "$T/rsa"
out=$("$LCA" -c "$T/rsa.conf" --init-ca --key-type rsa 2>&1); rc=$?
is "$rc" 0 "--key-type rsa without --bits"
like "$(text "$T/rsa/ca.crt")" "Public-Key: \(3072 bit\)" "... 3072 bits"
conf "$T/p384.conf" "$T/p384"
out=$("$LCA" -c "$T/p384.conf" --init-ca --curve P-384 --subject "CN=P-384 CA,O=cmpd tests" 2>&1); rc=$?
is "$rc" 0 "--init-ca --curve P-384"
like "$(text "$T/p384/ca.crt")" "NIST CURVE: P-384" "... P-384"
like "$(text "$T/p384/ca.crt")" "ecdsa-with-SHA384" "... signed with SHA-384"
is "$(openssl x509 -in "$T/p384/ca.crt" -noout -subject -nameopt compat)" \
	"subject=/O=cmpd tests/CN=P-384 CA" "an RFC 4514 subject, most significant RDN last"

# ------------------------------------------------- options refused
conf "$T/no.conf" "$T/no"
for args in "--key-type dsa" "--curve P-521" "--bits 1024" "--days 0" "--days 40000"; do
	# shellcheck disable=SC2086
	out=$("$LCA" -c "$T/no.conf" --init-ca $args 2>&1); rc=$?
	is "$rc" 2 "--init-ca $args: exit 2"
done
out=$("$LCA" -c "$T/no.conf" --key-type rsa 2>&1); rc=$?
is "$rc" 2 "--key-type without --init-ca: exit 2"
out=$("$LCA" -c "$T/no.conf" --init-ca --subject "no equals sign" 2>&1); rc=$?
is "$rc" 1 "a subject that is no name: exit 1"
like "$out" "--subject no equals sign: not a distinguished name" "... saying so"
out=$("$LCA" -c "$T/no.conf" --init-ca --import-key "$T/x.key" 2>&1); rc=$?
is "$rc" 1 "--import-key without --import-chain: exit 1"
like "$out" "go together" "... saying so"
ok "nothing was created" test ! -e "$T/no"

# ------------------------------------------------- import
# An EC root and an RSA issuing CA under it, as an operator brings them.
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' \
	> "$T/ca.ext"
{ openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/root.key" -out "$T/root.crt" -days 365 -subj "/O=cmpd tests/CN=Imported Root" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
  openssl req -newkey rsa:2048 -nodes -keyout "$T/ica.key" -out "$T/ica.csr" \
	-subj "/O=cmpd tests/CN=Imported Issuing CA" &&
  openssl x509 -req -in "$T/ica.csr" -CA "$T/root.crt" -CAkey "$T/root.key" \
	-CAcreateserial -days 200 -extfile "$T/ca.ext" -out "$T/ica.crt"; } \
	> "$T/openssl.log" 2>&1 || { diag_file "$T/openssl.log"; bail "import PKI"; }
cat "$T/ica.crt" "$T/root.crt" > "$T/import-chain.pem"
conf "$T/imp.conf" "$T/imp"
out=$("$LCA" -c "$T/imp.conf" --init-ca --import-key "$T/ica.key" \
	--import-chain "$T/import-chain.pem" 2>&1); rc=$?
is "$rc" 0 "--init-ca --import-key --import-chain"
like "$out" "chain: +1 certificate above it" "... reports the chain"
ok "ca.crt is the issuing CA's certificate" cmp "$T/imp/ca.crt" "$T/ica.crt"
ok "chain.pem is the root" cmp "$T/imp/chain.pem" "$T/root.crt"
is "$(openssl pkey -in "$T/imp/ca.key" -pubout)" "$(openssl pkey -in "$T/ica.key" -pubout)" \
	"ca.key is the imported key"
is "$(stat -c %a "$T/imp/ca.key")" 600 "ca.key mode 600"
ok "cmp-localca -n accepts it" "$LCA" -n -c "$T/imp.conf"
before=$(sums "$T/imp")
out=$("$LCA" -c "$T/imp.conf" --init-ca --import-key "$T/ica.key" \
	--import-chain "$T/import-chain.pem" 2>&1); rc=$?
is "$rc" 1 "the same import again: refused"
is "$(sums "$T/imp")" "$before" "... the CA unchanged"

# refused imports leave nothing behind
conf "$T/bad.conf" "$T/bad"
bad_import() {	# bad_import KEY CHAIN ERE DESC
	local out rc
	out=$("$LCA" -c "$T/bad.conf" --init-ca --import-key "$1" --import-chain "$2" 2>&1); rc=$?
	is "$rc" 1 "$4: exit 1"
	like "$out" "$3" "... $4 named"
	ok "... nothing left behind" test ! -e "$T/bad"
}
bad_import "$T/root.key" "$T/import-chain.pem" "does not match the first certificate" \
	"a key of another certificate"
{ cat "$T/ica.crt"; sed '3s/.*/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/' "$T/root.crt"; } > "$T/cut.pem"
bad_import "$T/ica.key" "$T/cut.pem" "cut\.pem: certificate 2 does not decode" \
	"a chain whose second certificate does not decode"
cat "$T/root.crt" "$T/ica.crt" > "$T/reversed.pem"
bad_import "$T/root.key" "$T/reversed.pem" "chain\.pem: certificate 1 did not issue the one before it" \
	"a chain in the wrong order"
openssl pkey -in "$T/ica.key" -aes256 -passout pass:secret -out "$T/enc.key" 2>/dev/null
bad_import "$T/enc.key" "$T/import-chain.pem" "not an unencrypted PEM private key" \
	"an encrypted key"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ee.key" \
	-out "$T/ee.crt" -subj /CN=not-a-ca -days 1 -addext basicConstraints=critical,CA:FALSE \
	2>/dev/null || bail "openssl req"
bad_import "$T/ee.key" "$T/ee.crt" "is not a CA certificate" "an end-entity certificate"
bad_import "$T/ica.key" "$T/nosuch.pem" "nosuch\.pem" "a missing chain file"

# ------------------------------------------------- user
# --init-ca with "user", as root: ca.key root's alone (0600), ca_dir
# root:<the user's group> (rootupdate/ is read as the user): cmp-localca
# reads the key as root before it becomes the user.
nobody_group=$(id -gn nobody)
conf "$T/usr.conf" "$T/usr" "user = nobody"
if [ "$(id -u)" = 0 ]; then
	out=$("$LCA" -c "$T/usr.conf" --init-ca --subject "/CN=User CA" 2>&1); rc=$?
	is "$rc" 0 "--init-ca with user = nobody"
	is "$(stat -c '%U:%G %a' "$T/usr/ca.key")" "root:root 600" \
		"ca.key root:root 0600: not the user's to read"
	is "$(stat -c '%U:%G' "$T/usr")" "root:$nobody_group" "ca_dir made root:$nobody_group"
	nok "... nobody cannot read the key" setpriv --reuid=nobody --regid="$(id -g nobody)" \
		--clear-groups cat "$T/usr/ca.key"
else
	skip "not root" 4
fi
conf "$T/nouser.conf" "$T/usr" "user = nosuch-user-cmpd"
out=$("$LCA" -n -c "$T/nouser.conf" 2>&1); rc=$?
is "$rc" 1 "-n: an unknown user is refused"
like "$out" "user nosuch-user-cmpd: unknown" "... named"

if [ "$(id -u)" != 0 ]; then
	skip "not root: the switch to user needs root" 16
	done_testing
	exit 0
fi
# The service: started as root, bound in a directory of the user's (as
# systemd's RuntimeDirectory=), the CA key root's alone.
t_start_db
chmod 711 "$T" "$T/usr"
chmod 644 "$T/db.pw"
mkdir -p "$T/run"
chown nobody "$T/run"
conf "$T/usr.conf" "$T/usr" "user = nobody" "listen = $T/run/localca.sock" \
	"pid_file = $T/run/localca.pid" "db_socket = $DB_SOCK" "db_user = cmpd" \
	"db_password_file = $T/db.pw" "db_name = cmpd" "validity_days = 5"
t_bg localca "$LCA" -f -c "$T/usr.conf"
t_wait 10 test -S "$T/run/localca.sock" || { diag_file "$T/localca.log"; bail "cmp-localca did not start"; }
t_wait 5 test -s "$T/run/localca.pid"
pid=$(cat "$T/run/localca.pid")
is "$pid" "$BG_PID_localca" "the pid file names the process"
t_wait 5 sh -c "grep -q '^Uid:[[:space:]]*$(id -u nobody)[[:space:]]' /proc/$pid/status"
is "$(awk '/^Uid:/ { print $2 "," $3 "," $4 }' "/proc/$pid/status")" \
	"$(id -u nobody),$(id -u nobody),$(id -u nobody)" "it runs as nobody (real, effective, saved uid)"
is "$(awk '/^Groups:/ { print $2 }' "/proc/$pid/status")" "$(id -g nobody)" \
	"with the user's group only"
is "$(stat -c %U "$T/run/localca.sock")" nobody "the socket is the user's"
# not dumpable: another process of the user (cmpd's workers, when they
# run as the same user) reads nothing of it, its key least of all
is "$(stat -c %U "/proc/$pid/mem")" root "its memory not the user's to read (not dumpable)"
nok "... as the user: /proc/PID/mem does not open" setpriv --reuid=nobody \
	--regid="$(id -g nobody)" --clear-groups dd if="/proc/$pid/mem" of=/dev/null bs=1 count=1

t_start_lighttpd "fastcgi.server += ( \"/localca/\" => (( \"socket\" => \"$T/run/localca.sock\", \"check-local\" => \"disable\" )) )"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/dev.key" \
	-subj "/CN=device-user" -outform DER -out "$T/dev.p10" 2>/dev/null || bail "openssl req"
printf '{"request":"%s","format":"pkcs10","attributes":[],"raProfileAttributes":[]}' \
	"$(base64 -w0 < "$T/dev.p10")" > "$T/issue.json"
st=$(curl -sS --noproxy '*' --max-time 30 -u "cmpd:$(cat "$T/lca.pw")" \
	-H 'Content-Type: application/json' --data-binary "@$T/issue.json" -o "$T/issue.out" \
	-w '%{http_code}' \
	"$HTTP_BASE/localca/v2/authorityProvider/authorities/00000000-0000-4000-8000-000000000001/certificates/issue")
is "$st" 200 "as nobody it issues with the key it read as root"
sed -n 's/.*"certificateData":"\([^"]*\)".*/\1/p' "$T/issue.out" | base64 -d |
	openssl x509 -inform DER -out "$T/dev.crt" 2>/dev/null
ok "... a certificate of the CA --init-ca made" openssl verify -CAfile "$T/usr/ca.crt" "$T/dev.crt"
t_stop_bg localca
ok "SIGTERM: the socket removed" test ! -e "$T/run/localca.sock"
ok "... and the pid file" test ! -e "$T/run/localca.pid"
nok "... without a warning" grep -q "cannot remove" "$T/localca.log"

# as root without "user": it does not serve (it parses what callers send
# and signs with the CA's key), unless told to
conf "$T/root.conf" "$T/usr" "listen = $T/root.sock" "db_socket = $DB_SOCK" \
	"db_user = cmpd" "db_password_file = $T/db.pw" "db_name = cmpd"
out=$(timeout 20 "$LCA" -f -c "$T/root.conf" 2>&1); rc=$?
is "$rc" 1 "as root without user: refused"
like "$out" "refusing to serve as root: set \"user\" in $T/root.conf to an unprivileged user of its own \\(e.g. user = cmp-localca\\)" \
	"... and says what to set"
ok "... nothing bound" test ! -e "$T/root.sock"
ok "-n as root without user: the configuration is fine" "$LCA" -n -c "$T/root.conf"
t_bg rootca "$LCA" -f -c "$T/root.conf" --allow-root
ok "with --allow-root it serves" t_wait 10 test -S "$T/root.sock"
t_stop_bg rootca
done_testing
