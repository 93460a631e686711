#!/bin/bash
# quickstart.sh -- build cmpd and run it locally with a demo CMP profile.
#
#   ./quickstart.sh         install missing packages, build in build/, start
#                           MariaDB, cmpd and lighttpd under ./run/, send one
#                           `openssl cmp` ir to the demo profile
#   CMPD_WEB=apache ./quickstart.sh
#                           the same behind Apache 2.4 instead of lighttpd
#   ./quickstart.sh stop    stop everything a previous run started
#   ./quickstart.sh clean   stop, then delete ./run/ (database included)
#
# Everything lives in ./run/: MariaDB data dir and socket, cmpd.conf, the
# cmpd socket, logs, pid files.  MariaDB listens on its Unix socket only,
# lighttpd on 127.0.0.1:${CMPD_HTTP_PORT:-8080}.  With CMPD_WEB=apache, a
# private Apache (run/apache.conf, not the system's apache2 service) takes
# that port and reaches cmpd over TCP on 127.0.0.1:${CMPD_FCGI_PORT:-9000}.
# The demo CA's connector API is never on that port: a small lighttpd of
# its own on 127.0.0.1:${CMPD_LOCALCA_PORT:-8081} serves it, and
# cmp-localca answers only cmpd (HTTP basic, a random password in
# run/localca.pw).  Run as root, cmpd's workers run as the system user
# ${CMPD_USER:-cmpd} (created if missing); in a checkout that user cannot
# enter (under /root), run/ is a link to /var/lib/cmpd-quickstart/<hash>.
# Running it again restarts everything cleanly and keeps the database.
#
# Environment: CMPD_HTTP_PORT (8080), CMPD_WEB (lighttpd or apache),
# CMPD_FCGI_PORT (9000), CMPD_LOCALCA_PORT (8081), CMPD_DEMO_SECRET
# (demo-secret), CMPD_USER (cmpd), JOBS (make -j, 2); for development:
# CMPD_BIN (default build/cmpd) and QS_NO_BUILD=1 (use CMPD_BIN as it is,
# skip autoreconf/configure/make).

set -eu

cd "$(dirname "$0")"
top=$PWD
run=$top/run
# run/ may be a link (see qs_run_dir): every path below is the real one
[ ! -L "$run" ] || run=$(readlink -f "$run")
PORT=${CMPD_HTTP_PORT:-8080}
WEB=${CMPD_WEB:-lighttpd}
FCGI_PORT=${CMPD_FCGI_PORT:-9000}
LOCALCA_PORT=${CMPD_LOCALCA_PORT:-8081}
SECRET=${CMPD_DEMO_SECRET:-demo-secret}
CMPD_USER=${CMPD_USER:-cmpd}
CMPD_BIN=${CMPD_BIN:-$top/build/cmpd}
CMPCTL_BIN=${CMPCTL_BIN:-$(dirname "$CMPD_BIN")/cmpctl}
JOBS=${JOBS:-2}
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

say() { printf '==> %s\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------ processes
# Each service's pid, as started by us, is in run/<name>.qs.pid.

# qs_alive NAME PROGRAM: the recorded process runs and is still PROGRAM
# (pids get reused).
qs_alive() {
	local pidf=$run/$1.qs.pid pid exe
	[ -s "$pidf" ] || return 1
	pid=$(cat "$pidf")
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	exe=${exe% (deleted)}
	[ "${exe##*/}" = "$2" ] || return 1
	[ "$(sed 's/.*) \(.\).*/\1/' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# qs_stop NAME PROGRAM [SECONDS]: SIGTERM, wait, SIGKILL.
qs_stop() {
	local pidf=$run/$1.qs.pid pid i
	if qs_alive "$1" "$2"; then
		pid=$(cat "$pidf")
		echo "stopping $1 (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 $((${3:-15} * 5))); do
			qs_alive "$1" "$2" || break
			sleep 0.2
		done
		if qs_alive "$1" "$2"; then
			echo "$1 ignored SIGTERM, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
			sleep 0.5
		fi
	fi
	rm -f "$pidf"
}

stop_all() {
	qs_stop apache apache2
	qs_stop lighttpd lighttpd
	qs_stop lighttpd-ca lighttpd
	qs_stop cmpd "${CMPD_BIN##*/}"
	qs_stop localca cmp-localca
	if qs_alive mariadb mariadbd; then
		# a clean shutdown first; qs_stop then only waits for the exit
		echo "stopping mariadb (pid $(cat "$run/mariadb.qs.pid"))"
		timeout 30 mariadb-admin --no-defaults -S "$run/mysql.sock" \
			-u "$(id -un)" shutdown > /dev/null 2>&1 || true
	fi
	qs_stop mariadb mariadbd 30
}

# wait_for SECONDS cmd...: poll every 0.2 s.
wait_for() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" > /dev/null 2>&1 && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

case ${1-} in
"") ;;
stop) stop_all; exit 0 ;;
clean) stop_all; rm -rf "$run"; [ ! -L "$top/run" ] || rm -f "$top/run"
	rmdir /var/lib/cmpd-quickstart 2> /dev/null || true
	echo "removed $run"; exit 0 ;;
-h|--help) sed -n '2,33s/^# \{0,1\}//p' "$0"; exit 0 ;;
*) die "unknown argument '$1' (try --help)" ;;
esac
case $WEB in
lighttpd|apache) ;;
*) die "CMPD_WEB must be lighttpd or apache, not '$WEB'" ;;
esac

# qs_user: as root, the system user CMPD_USER that cmpd's workers run as
# (cmpd refuses root without "user"), made once.
qs_user() {
	id "$CMPD_USER" > /dev/null 2>&1 && return 0
	say "creating the system user $CMPD_USER for cmpd's workers"
	useradd --system --home-dir /nonexistent --no-create-home \
		--shell /usr/sbin/nologin "$CMPD_USER" 2> /dev/null ||
		id "$CMPD_USER" > /dev/null 2>&1 ||
		die "cannot create the user $CMPD_USER (set CMPD_USER)"
}

# qs_run_dir: cmpd's workers must reach the sockets and files in run/.
# When CMPD_USER cannot enter the checkout (one under /root, mode 0700),
# run/ becomes a link to a directory of its own that it can reach,
# /var/lib/cmpd-quickstart/<hash of the checkout's path>.
qs_run_dir() {
	local real
	[ ! -e "$top/run" ] && [ ! -L "$top/run" ] || return 0
	runuser -u "$CMPD_USER" -- test -x "$top" && return 0
	real=/var/lib/cmpd-quickstart/$(printf '%s' "$top" | sha256sum | cut -c1-12)
	mkdir -p "$real"
	chmod 755 /var/lib/cmpd-quickstart "$real"
	ln -s "$real" "$top/run"
	run=$real
	say "$CMPD_USER cannot enter $top: run/ is a link to $real"
}

if [ "$(id -u)" = 0 ]; then
	qs_user
	qs_run_dir
fi
# A second run restarts from a clean slate (the database is kept).
mkdir -p "$run"
stop_all

# Unix socket paths are limited to 108 bytes.
[ ${#run} -le 90 ] || die "path $run is too long for Unix sockets; move the checkout"

# port_free PORT VARIABLE: nothing listens on 127.0.0.1:PORT
port_free() {
	if (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; then
		die "127.0.0.1:$1 is in use; set $2"
	fi
}
port_free "$PORT" CMPD_HTTP_PORT
port_free "$LOCALCA_PORT" CMPD_LOCALCA_PORT
[ "$LOCALCA_PORT" != "$PORT" ] ||
	die "CMPD_LOCALCA_PORT must differ from CMPD_HTTP_PORT"
# The demo CA's connector API: its own loopback port, never the CMP port
CONNECTOR_URL=http://127.0.0.1:$LOCALCA_PORT/localca
if [ "$WEB" = apache ]; then
	port_free "$FCGI_PORT" CMPD_FCGI_PORT
	# cmpd behind Apache, on TCP: Apache's processes run as www-data and
	# may not reach sockets in run/ (a checkout in /root)
	CMPD_LISTEN=127.0.0.1:$FCGI_PORT
else
	CMPD_LISTEN=$run/cmpd/cmpd.sock
fi

# ----------------------------------------------------------------- build
. "$top/contrib/deps.sh"
say "checking Debian packages"
deps_install || die "missing packages"

if [ "${QS_NO_BUILD-}" != 1 ]; then
	say "building in build/"
	if [ ! -x configure ] || [ configure.ac -nt configure ] ||
	   [ Makefile.am -nt Makefile.in ]; then
		autoreconf -fi
	fi
	mkdir -p build
	if [ ! -f build/Makefile ]; then
		(cd build && ../configure)
	fi
	make -C build -j"$JOBS"
fi
[ -x "$CMPD_BIN" ] || die "$CMPD_BIN not found"

# --------------------------------------------------------------- MariaDB
DB_SOCK=$run/mysql.sock
dbuser=$(id -un)
mkdir -p "$run/dbtmp"
# Durable commits (innodb_flush_log_at_trx_commit left at 1). The buffer
# pool holds the hot tables' keys (random transactionIDs, certificate
# UUIDs) of an inventory of 10^6 certificates, and the redo log is large
# enough that a checkpoint does not force page writes every few seconds
# (128 MiB and 96 MiB, MariaDB 10.11's defaults; 32 and 8 MiB made
# MariaDB's CPU per enrolment grow by 40 % at 10^6 rows). Neighbouring
# pages are not flushed along (they are written when they are dirty).
dbopts=(--no-defaults --datadir="$run/db" --tmpdir="$run/dbtmp"
	--innodb-buffer-pool-size=128M --innodb-log-file-size=96M
	--innodb-flush-neighbors=0 --innodb-use-native-aio=0 --skip-log-bin)
[ "$(id -u)" != 0 ] || dbopts+=(--user=root)

qs_sql() {
	timeout 30 mariadb --no-defaults -S "$DB_SOCK" -u "$dbuser" -N -B "$@"
}

if [ ! -d "$run/db/mysql" ]; then
	say "creating a MariaDB data directory in run/db"
	rm -rf "$run/db"
	timeout 120 mariadb-install-db "${dbopts[@]}" \
		--auth-root-authentication-method=socket --skip-test-db \
		> "$run/mariadb-install.log" 2>&1 ||
		{ tail -n 20 "$run/mariadb-install.log"; die "mariadb-install-db failed"; }
fi

say "starting MariaDB (socket run/mysql.sock)"
nohup mariadbd "${dbopts[@]}" --socket="$DB_SOCK" --skip-networking \
	--pid-file="$run/mariadb.pid" --log-error="$run/mariadb.log" \
	--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
	> /dev/null 2>&1 < /dev/null &
echo $! > "$run/mariadb.qs.pid"
wait_for 30 mariadb-admin --no-defaults -S "$DB_SOCK" -u "$dbuser" ping ||
	{ tail -n 20 "$run/mariadb.log"; die "MariaDB did not start"; }

if [ ! -s "$run/db.pw" ]; then
	(umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' > "$run/db.pw")
fi
# the SQL on stdin: a command line is every local user's to read
qs_sql <<EOF
CREATE DATABASE IF NOT EXISTS cmpd;
CREATE USER IF NOT EXISTS 'cmpd'@'localhost';
ALTER USER 'cmpd'@'localhost' IDENTIFIED BY '$(cat "$run/db.pw")';
GRANT ALL ON cmpd.* TO 'cmpd'@'localhost';
EOF

# ------------------------------------------------------------------ cmpd
# As root, cmpd's workers run as CMPD_USER (cmpd refuses root without
# "user"), a system user made once.  They read db.pw and secret.key after
# the switch (cmpd.conf too, on SIGHUP), and the master, as that user,
# removes its socket and pid file in run/cmpd/ when it stops.
mkdir -p "$run/cmpd"
[ -s "$run/secret.key" ] || (umask 077 && openssl rand -hex 32 > "$run/secret.key")
user_line=""
if [ "$(id -u)" = 0 ]; then
	user_line="user = $CMPD_USER"
	cmpd_group=$(id -gn "$CMPD_USER")
	chown "$CMPD_USER:$cmpd_group" "$run/cmpd"
fi
cat > "$run/cmpd.conf" <<EOF
# written by quickstart.sh; rewritten on every run
listen = $CMPD_LISTEN
# one worker more than may wait on the CA at once (connector_workers_max
# defaults to workers - 1): /health and the API stay answered. Eight, not
# four: a worker waits for MariaDB's fsync and for the CA most of an
# enrolment, and more of them in flight share each fsync (make bench, 8
# clients: 1.9 instead of 1.4 times the rate of one client)
workers = 8
max_requests = 10000
body_max = 262144
server_name = CN=cmpd
# debug for a closer look at each message (make bench, 8 clients: cmpd's
# CPU per enrolment +11 %, the rate -14 %)
log_level = info
pid_file = $run/cmpd/cmpd.pid
db_socket = $DB_SOCK
db_user = cmpd
db_password_file = $run/db.pw
db_name = cmpd
schema_dir = $top/schema
secret_key_file = $run/secret.key
$user_line
EOF
if [ -n "$user_line" ]; then
	chgrp "$cmpd_group" "$run/db.pw" "$run/secret.key" "$run/cmpd.conf"
	chmod 640 "$run/db.pw" "$run/secret.key" "$run/cmpd.conf"
	runuser -u "$CMPD_USER" -- test -r "$run/secret.key" -a -r "$run/db.pw" \
		-a -r "$run/cmpd.conf" ||
		die "user $CMPD_USER cannot read run/ ($run); ./quickstart.sh clean, then run it again"
fi

say "migrating the schema"
"$CMPD_BIN" -c "$run/cmpd.conf" --migrate

# qs_ctl ARGS...: cmpctl against this run's configuration, answers kept
# in run/cmpctl.log (they hold no secrets: the API never returns them).
qs_ctl() {
	"$CMPCTL_BIN" -c "$run/cmpd.conf" "$@" >> "$run/cmpctl.log" 2>&1 || {
		tail -n 5 "$run/cmpctl.log"
		die "cmpctl $1 $2 failed (run/cmpctl.log)"
	}
}

# qs_ensure KIND NAME [create-prefix --] FIELD...: creates the object, or
# on a later run edits it to the same fields (the script is idempotent).
qs_ensure() {
	local kind=$1 name=$2 prefix=()
	shift 2
	if [ "${2-}" = -- ]; then
		prefix=("$1")
		shift 2
	fi
	if "$CMPCTL_BIN" -c "$run/cmpd.conf" "$kind" show "$name" > /dev/null 2>&1; then
		qs_ctl "$kind" edit "$name" "$@"
	else
		qs_ctl "$kind" create "${prefix[@]}" "name=$name" "$@"
	fi
}

# qs_seed_demo: the demo objects the ir below goes to, made through the
# management API with cmpctl (no SQL): connector, authority, RA Profile
# demo-ra, CMP Profiles demo, demo-sig and demo-3gpp, and an admin API key.
qs_seed_demo() {
	say "setting up the demo objects with cmpctl (connector, authority, RA Profile demo-ra, CMP Profiles)"
	: > "$run/cmpctl.log"
	(umask 077
	printf '%s\n' "$SECRET" > "$run/demo-secret"
	# signingCredentials as the API takes them: the key and the chain, PEM
	python3 -c 'import json,sys
print(json.dumps({"privateKey": open(sys.argv[1]).read(),
    "certificateChain": "".join(open(f).read() for f in sys.argv[2:])}))' \
		"$run/pki/cmpd.key" "$run/pki/cmpd.crt" "$run/pki/localca/ca.crt" \
		"$run/pki/root.crt" > "$run/cmpd-signing.json")
	# The profiles do not trust each other's devices: demo-sig trusts the
	# vendor's device CA and the demo root (its own certificates, for kur
	# and rr), and a signer asks only for its own name there
	# (subjectPolicy signer), so a certificate bought on demo with the
	# shared secret buys nothing else; demo-3gpp trusts the vendor's
	# device CA only, and names the base stations it enrolls (any).
	cat "$run/pki/device-ca.crt" "$run/pki/root.crt" > "$run/anchors.pem"
	cat "$run/pki/device-ca.crt" > "$run/anchors-3gpp.pem"
	# cmp-localca's credentials, for cmpd only; plain http:// on
	# loopback, so the connector is marked insecure on purpose
	(umask 077
	printf '{"username":"cmpd","password":"%s"}\n' "$(cat "$run/localca.pw")" \
		> "$run/localca-cred.json")
	qs_ensure connector localca url="$CONNECTOR_URL" authType=basic \
		insecure:=true credentials:=@"$run/localca-cred.json"
	rm -f "$run/localca-cred.json"
	qs_ensure authority localca connectorUuid=localca \
		authorityInstanceUuid=6f1c2a4e-0000-4000-8000-0000000000c1
	qs_ensure raprofile demo-ra localca -- description="quick start RA Profile" enabled:=true
	qs_ctl raprofile enable demo-ra
	qs_ensure profile demo description="quick start CMP Profile" variant=v2 \
		requestProtectionMethod=sharedSecret responseProtectionMethod=sharedSecret \
		sharedSecret=@"$run/demo-secret" sharedSecretReference=demo raProfileUuid=demo-ra
	# demo-sig (v2) and demo-3gpp (v2_3gpp): signature both ways, answers
	# signed with run/pki/cmpd.crt; request signers chain to the demo
	# device CA (and, on demo-sig, for kur and rr, to the demo root)
	qs_ensure profile demo-sig description="quick start, signatures" variant=v2 \
		requestProtectionMethod=signature responseProtectionMethod=signature \
		signingCredentials:=@"$run/cmpd-signing.json" trustAnchors=@"$run/anchors.pem" \
		subjectPolicy=signer raProfileUuid=demo-ra
	qs_ensure profile demo-3gpp description="quick start, 3GPP TS 33.310" variant=v2_3gpp \
		requestProtectionMethod=signature responseProtectionMethod=signature \
		signingCredentials:=@"$run/cmpd-signing.json" trustAnchors=@"$run/anchors-3gpp.pem" \
		subjectPolicy=any raProfileUuid=demo-ra
	qs_ctl profile enable demo demo-sig demo-3gpp
	qs_ctl raprofile cmp-activate demo-ra demo
	rm -f "$run/cmpd-signing.json" "$run/demo-secret"
	# an admin API key for the user to try the management API with
	if [ ! -s "$run/admin-api-key" ]; then
		rm -f "$run/admin-api-key"
		# a key whose file is gone is of no use: make a new one
		"$CMPCTL_BIN" -c "$run/cmpd.conf" apikey delete quickstart-admin \
			> /dev/null 2>&1 || true
		qs_ctl apikey create quickstart-admin --role admin --out "$run/admin-api-key"
	fi
}

# qs_pki: the demo CA of cmp-localca in run/pki: a root (EC P-256) and an
# issuing CA (EC P-256) under it; run/pki/ca.crt holds both, the anchor
# that issued certificates verify against.
qs_pki() {
	local d=$run/pki
	[ -s "$d/localca/ca.key" ] && return 0
	say "creating the demo PKI in run/pki"
	mkdir -p "$d/localca"
	(umask 077
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/root.key" -out "$d/root.crt" -days 3650 \
		-subj "/O=cmpd demo/CN=Demo Root CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/localca/ca.key" -out "$d/localca/ca.csr" \
		-subj "/O=cmpd demo/CN=Demo Issuing CA" 2> /dev/null)
	printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' \
		> "$d/localca/ca.ext"
	openssl x509 -req -in "$d/localca/ca.csr" -CA "$d/root.crt" \
		-CAkey "$d/root.key" -CAcreateserial -days 1825 \
		-extfile "$d/localca/ca.ext" -out "$d/localca/ca.crt" 2> /dev/null ||
		die "could not create the demo CA"
	cp "$d/root.crt" "$d/localca/chain.pem"
	cat "$d/localca/ca.crt" "$d/root.crt" > "$d/ca.crt"
}
qs_pki

# qs_device_pki: a demo device vendor CA (device-ca.crt) with one device
# certificate (device.crt, device.key), and cmpd's response-signing
# certificate (cmpd.crt, cmpd.key) issued by the demo issuing CA.
qs_device_pki() {
	local d=$run/pki
	[ -s "$d/cmpd.key" ] && return 0
	say "creating the demo device CA and cmpd's signing certificate in run/pki"
	(umask 077
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/device-ca.key" -out "$d/device-ca.crt" -days 3650 \
		-subj "/O=demo vendor/CN=Demo Device CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2> /dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/device.key" -out "$d/device.csr" \
		-subj "/O=demo vendor/CN=demo-device-0001" 2> /dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/cmpd.key" -out "$d/cmpd.csr" \
		-subj "/O=cmpd demo/CN=cmpd" 2> /dev/null)
	printf 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nkeyUsage=critical,digitalSignature\n' \
		> "$d/signer.ext"
	openssl x509 -req -in "$d/device.csr" -CA "$d/device-ca.crt" \
		-CAkey "$d/device-ca.key" -CAcreateserial -days 3650 \
		-extfile "$d/signer.ext" -out "$d/device.crt" 2> /dev/null &&
	openssl x509 -req -in "$d/cmpd.csr" -CA "$d/localca/ca.crt" \
		-CAkey "$d/localca/ca.key" -CAcreateserial -days 825 \
		-extfile "$d/signer.ext" -out "$d/cmpd.crt" 2> /dev/null ||
		die "could not create the demo device PKI"
}
qs_device_pki
# the credential cmpd shows cmp-localca: random, mode 0600, as are the
# demo PKI's keys.  As root, cmp-localca reads it and the CA's key first,
# then runs as CMPD_USER too (it refuses root without "user"), its socket
# and pid file in run/cmpd/ as cmpd's: cmpd's workers read neither.
[ -s "$run/localca.pw" ] || (umask 077 && openssl rand -hex 24 > "$run/localca.pw")
find "$run/pki" -name '*.key' -exec chmod 600 {} +
cat > "$run/localca.conf" <<EOF
# written by quickstart.sh; rewritten on every run
listen = $run/cmpd/localca.sock
ca_dir = $run/pki/localca
validity_days = 365
db_socket = $DB_SOCK
db_user = cmpd
db_password_file = $run/db.pw
db_name = cmpd
log_level = info
pid_file = $run/cmpd/localca.pid
# only callers with this user and password (cmpd's connector)
auth_user = cmpd
auth_password_file = $run/localca.pw
$user_line
EOF
say "starting cmp-localca, the demo CA (log run/localca.log)"
rm -f "$run/cmpd/localca.sock"
nohup "$top/build/cmp-localca" -f -c "$run/localca.conf" >> "$run/localca.log" 2>&1 < /dev/null &
echo $! > "$run/localca.qs.pid"
wait_for 10 test -S "$run/cmpd/localca.sock" ||
	{ tail -n 20 "$run/localca.log"; die "cmp-localca did not start"; }

# The demo CA's connector API: a lighttpd of its own on a loopback port,
# with contrib/lighttpd/cmp-localca.conf; cmp-localca checks the password.
mkdir -p "$run/www"
cat > "$run/lighttpd-ca.conf" <<EOF
# written by quickstart.sh; rewritten on every run
server.document-root = "$run/www"
server.errorlog = "$run/lighttpd-ca-error.log"
server.pid-file = "$run/lighttpd-ca.pid"
server.upload-dirs = ( "$run" )
server.modules = ( "mod_accesslog" )
accesslog.filename = "$run/lighttpd-ca-access.log"
var.cmp_localca_socket = "$run/cmpd/localca.sock"
var.cmp_localca_port = $LOCALCA_PORT
include "$top/contrib/lighttpd/cmp-localca.conf"
EOF
say "starting lighttpd for the demo CA's connector API on 127.0.0.1:$LOCALCA_PORT"
nohup lighttpd -D -f "$run/lighttpd-ca.conf" >> "$run/lighttpd-ca-error.log" 2>&1 < /dev/null &
echo $! > "$run/lighttpd-ca.qs.pid"
wait_for 10 bash -c "exec 3<> /dev/tcp/127.0.0.1/$LOCALCA_PORT" ||
	{ tail -n 20 "$run/lighttpd-ca-error.log"; die "lighttpd did not start"; }
# anyone else who reaches that port gets 401
CA_API=$CONNECTOR_URL/v1/authorityProvider/authorities/6f1c2a4e-0000-4000-8000-0000000000c1/caCertificates
st=$(curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/json' -d '{}' "$CA_API") || true
[ "$st" = 401 ] || die "the demo CA answered $st without credentials, not 401"
qs_seed_demo

say "starting cmpd (log run/cmpd.log)"
rm -f "$run/cmpd/cmpd.sock"
nohup "$CMPD_BIN" -f -c "$run/cmpd.conf" >> "$run/cmpd.log" 2>&1 < /dev/null &
echo $! > "$run/cmpd.qs.pid"
if [ "$WEB" = apache ]; then
	wait_for 10 bash -c "exec 3<> /dev/tcp/127.0.0.1/$FCGI_PORT"
else
	wait_for 10 test -S "$run/cmpd/cmpd.sock"
fi || { tail -n 20 "$run/cmpd.log"; die "cmpd did not start"; }

# ----------------------------------------------------------- web console
# A copy in run/ (the web server's user may not enter the checkout),
# served below /console/ by contrib/*/cmpd.conf; fresh on every run.
rm -rf "$run/console"
cp -R "$top/console" "$run/console" && chmod -R u+w,a+rX "$run/console" ||
	die "cannot copy console/ to run/console"

# -------------------------------------------------------------- lighttpd
if [ "$WEB" = lighttpd ]; then
	cat > "$run/lighttpd.conf" <<EOF
# written by quickstart.sh; rewritten on every run
server.port = $PORT
server.bind = "127.0.0.1"
server.document-root = "$run/www"
server.errorlog = "$run/lighttpd-error.log"
server.pid-file = "$run/lighttpd.pid"
server.upload-dirs = ( "$run" )
server.modules = ( "mod_accesslog" )
accesslog.filename = "$run/lighttpd-access.log"
var.cmpd_socket = "$run/cmpd/cmpd.sock"
include "$top/contrib/lighttpd/cmpd.conf"
# the web console of this checkout (not an installed one)
\$HTTP["url"] =~ "^/console/" {
	alias.url := ( "/console/" => "$run/console/" )
}
EOF
	say "starting lighttpd on 127.0.0.1:$PORT"
	nohup lighttpd -D -f "$run/lighttpd.conf" >> "$run/lighttpd-error.log" 2>&1 < /dev/null &
	echo $! > "$run/lighttpd.qs.pid"
	wait_for 10 bash -c "exec 3<> /dev/tcp/127.0.0.1/$PORT" ||
		{ tail -n 20 "$run/lighttpd-error.log"; die "lighttpd did not start"; }
fi

# ---------------------------------------------------------------- Apache
# A private Apache with its own configuration in run/ (the system's apache2
# service is left alone), in front of cmpd with contrib/apache/cmpd.conf.
if [ "$WEB" = apache ]; then
	mods=/usr/lib/apache2/modules
	mkdir -p "$run/apache"
	{
	cat <<EOF
# written by quickstart.sh (CMPD_WEB=apache); rewritten on every run
ServerRoot "$run/apache"
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile "$run/apache.pid"
ErrorLog "$run/apache-error.log"
LogFormat "%h %l %u %t \"%r\" %>s %O" common
CustomLog "$run/apache-access.log" common
LogLevel warn
LoadModule mpm_event_module $mods/mod_mpm_event.so
LoadModule authz_core_module $mods/mod_authz_core.so
LoadModule authz_host_module $mods/mod_authz_host.so
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
LoadModule env_module $mods/mod_env.so
LoadModule alias_module $mods/mod_alias.so
LoadModule headers_module $mods/mod_headers.so
LoadModule mime_module $mods/mod_mime.so
LoadModule dir_module $mods/mod_dir.so
TypesConfig /dev/null
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 16
MaxSpareThreads 32
DocumentRoot "$run/www"
<Location "/">
	Require all denied
</Location>
# cmpd.conf: listen = 127.0.0.1:$FCGI_PORT
Define CMPD_TCP 127.0.0.1:$FCGI_PORT
Define CMPD_CONSOLE_DIR $run/console
Include "$top/contrib/apache/cmpd.conf"
<LocationMatch "^/(api/v1|\.well-known/cmp|console)/">
	Require all granted
</LocationMatch>
EOF
	# as root, Apache's children switch to an unprivileged user
	if [ "$(id -u)" = 0 ]; then
		if id www-data > /dev/null 2>&1; then
			printf 'User www-data\nGroup www-data\n'
		else
			printf 'User nobody\nGroup %s\n' "$(id -gn nobody)"
		fi
	fi
	} > "$run/apache.conf"
	apache2 -t -f "$run/apache.conf" > "$run/apache-check.log" 2>&1 ||
		{ cat "$run/apache-check.log"; die "Apache refused run/apache.conf"; }
	say "starting Apache on 127.0.0.1:$PORT (run/apache.conf)"
	nohup apache2 -D FOREGROUND -f "$run/apache.conf" >> "$run/apache-error.log" 2>&1 < /dev/null &
	echo $! > "$run/apache.qs.pid"
	wait_for 10 bash -c "exec 3<> /dev/tcp/127.0.0.1/$PORT" ||
		{ tail -n 20 "$run/apache-error.log"; die "Apache did not start"; }
	WEBLOG=run/apache-error.log
else
	WEBLOG=run/lighttpd-error.log
fi

# ------------------------------------------------------------------ demo
[ -s "$run/demo.key" ] ||
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$run/demo.key" 2> /dev/null
say "enrolling: openssl cmp -cmd ir to http://127.0.0.1:$PORT/api/v1/protocols/cmp/demo"
timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$PORT" \
	-path /api/v1/protocols/cmp/demo -ref demo -secret "pass:$SECRET" \
	-recipient /CN=cmpd -newkey "$run/demo.key" -subject /CN=demo-device \
	-out_trusted "$run/pki/root.crt" -certout "$run/demo.crt" \
	-unprotected_errors ||
	die "enrollment failed (run/cmpd.log, run/localca.log)"
openssl verify -CAfile "$run/pki/ca.crt" "$run/demo.crt" > /dev/null ||
	die "the demo certificate does not verify against run/pki/ca.crt"
say "enrolled run/demo.crt, verified against run/pki/ca.crt:"
openssl x509 -in "$run/demo.crt" -noout -subject -issuer -serial -enddate
# the CMP port does not lead to the CA's connector API
st=$(curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' \
	-H 'Content-Type: application/json' -d '{}' "http://127.0.0.1:$PORT/localca/v1/authorityProvider/authorities/6f1c2a4e-0000-4000-8000-0000000000c1/caCertificates") || true
case $st in
401|403|404) ;;
*) die "the CMP port answers $st for the connector API" ;;
esac

cat <<EOF

cmpd is running:
  CMP endpoint  http://127.0.0.1:$PORT/api/v1/protocols/cmp/demo
                (also /api/v1/protocols/cmp/raProfile/demo-ra and
                 /.well-known/cmp/p/demo)
  demo CA       run/pki/ca.crt (issuing CA + root), cmp-localca; its
                connector API on 127.0.0.1:$LOCALCA_PORT, for cmpd only
                (HTTP basic, password in run/localca.pw)
  cmpd workers  run as $(ps -o user= --ppid "$(cat "$run/cmpd.qs.pid")" | sort -u | paste -sd ' ')
  web server    $WEB on 127.0.0.1:$PORT
  logs          run/cmpd.log  run/localca.log  $WEBLOG  run/mariadb.log
  database      mariadb --no-defaults -S run/mysql.sock -u $dbuser cmpd
  management    http://127.0.0.1:$PORT/api/v1/ (doc/api.md, doc/openapi.json)
  admin API key $(cat "$run/admin-api-key")  (kept in run/admin-api-key)
  web console   http://127.0.0.1:$PORT/console/  (log in with the admin API key)

Try next:
  # the management API: the CMP Profiles, then the audit log
  curl -s -H "Authorization: Bearer \$(cat run/admin-api-key)" http://127.0.0.1:$PORT/api/v1/cmpProfiles
  curl -s -H "Authorization: Bearer \$(cat run/admin-api-key)" http://127.0.0.1:$PORT/api/v1/auditLogs
  # the same objects with cmpctl, straight against the database
  ${CMPCTL_BIN#$top/} -c run/cmpd.conf profile list
  ${CMPCTL_BIN#$top/} -c run/cmpd.conf profile show demo
  # the CMP URLs of demo-sig and an openssl cmp line for each operation
  ${CMPCTL_BIN#$top/} -c run/cmpd.conf profile show demo-sig --openssl --server http://127.0.0.1:$PORT
  # another certificate, one round trip (implicitConfirm)
  openssl cmp -cmd ir -server 127.0.0.1:$PORT -path /api/v1/protocols/cmp/demo \\
    -ref demo -secret pass:$SECRET -recipient /CN=cmpd -implicit_confirm \\
    -newkey run/demo.key -subject /CN=device-2 -certout run/device-2.crt
  # cr through the RA Profile route, with the CA certificates saved
  openssl cmp -cmd cr -server 127.0.0.1:$PORT -path /api/v1/protocols/cmp/raProfile/demo-ra \\
    -ref demo -secret pass:$SECRET -recipient /CN=cmpd \\
    -newkey run/demo.key -subject /CN=device-3 -certout run/device-3.crt
  openssl verify -CAfile run/pki/ca.crt run/device-3.crt
  # signature-protected ir with the demo device certificate (demo-sig), for
  # the device's own name (the profile's subjectPolicy is signer)
  openssl cmp -cmd ir -server 127.0.0.1:$PORT -path /api/v1/protocols/cmp/demo-sig \\
    -cert run/pki/device.crt -key run/pki/device.key -trusted run/pki/root.crt \\
    -recipient /CN=cmpd -newkey run/demo.key -certout run/sig-device.crt
  # key update of that certificate (kur), signed with it
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out run/new.key
  openssl cmp -cmd kur -server 127.0.0.1:$PORT -path /api/v1/protocols/cmp/demo-sig \\
    -cert run/sig-device.crt -key run/demo.key -trusted run/pki/root.crt \\
    -recipient /CN=cmpd -newkey run/new.key -certout run/sig-device-2.crt
  # revocation (rr), signed by the certificate itself, reason keyCompromise
  openssl cmp -cmd rr -server 127.0.0.1:$PORT -path /api/v1/protocols/cmp/demo-sig \\
    -cert run/sig-device-2.crt -key run/new.key -oldcert run/sig-device-2.crt \\
    -trusted run/pki/root.crt -recipient /CN=cmpd -revreason 1
  # 3GPP base station bootstrap (demo-3gpp): vendor certificate in, operator chain out
  openssl cmp -cmd ir -server 127.0.0.1:$PORT -path /api/v1/protocols/cmp/demo-3gpp \\
    -cert run/pki/device.crt -key run/pki/device.key -trusted run/pki/root.crt \\
    -recipient /CN=cmpd -newkey run/demo.key -subject /CN=bts-0001 -certout run/bts.crt \\
    -extracertsout run/bts-extracerts.pem -cacertsout run/bts-capubs.pem
  # a PKCS#10 request (p10cr), and the CA certificates by genm
  openssl req -new -key run/demo.key -subj /CN=device-4 -out run/device-4.csr
  openssl cmp -cmd p10cr -server 127.0.0.1:$PORT -path /api/v1/protocols/cmp/demo \\
    -ref demo -secret pass:$SECRET -recipient /CN=cmpd -csr run/device-4.csr \\
    -out_trusted run/pki/root.crt -certout run/device-4.crt
  openssl cmp -cmd genm -infotype caCerts -server 127.0.0.1:$PORT \\
    -path /api/v1/protocols/cmp/demo -ref demo -secret pass:$SECRET -recipient /CN=cmpd
  # a wrong secret is refused (badMessageCheck)
  openssl cmp -cmd ir -server 127.0.0.1:$PORT -path /api/v1/protocols/cmp/demo \\
    -ref demo -secret pass:wrong -recipient /CN=cmpd -unprotected_errors \\
    -newkey run/demo.key -subject /CN=x -certout run/x.crt
Stop it with:   ./quickstart.sh stop     (./quickstart.sh clean also deletes run/)
EOF
