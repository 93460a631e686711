#!/bin/sh
# README.md's deployment from source ("1b. cmpd itself, from source, step
# by step") run as written: its blocks are the files of doc/deploy/, which
# this test first compares with README.md, then runs in one shell, in
# order, as root: the build from a copy of the source tree with a prefix
# in a temporary directory, make install, the system users (nobody and
# daemon here: no user is created on this machine), cmpd, cmp-localca
# with a CA made by --init-ca and a database of its own, the web server from the installed contrib/ files (lighttpd
# here, Apache in t/0039-deploy-apache.t), the objects made with cmpctl,
# a certificate enrolled and then revoked with openssl cmp. Only the
# variables of doc/deploy/00-env.sh differ from a real host's: paths in
# the temporary directory, a private MariaDB on a high port, free ports
# on 127.0.0.1.
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

# Not the jobserver or the flags of a make check this test may run under.
unset MAKEFLAGS MFLAGS MAKELEVEL
: "${DEPLOY_WEB:=lighttpd}"
D=$top_srcdir/doc/deploy
STEPS="00-env.sh 10-build.sh 20-system.sh 30-cmpd.sh 40-localca.sh
	50-$DEPLOY_WEB.sh 60-objects.sh 70-enroll.sh 80-revoke.sh"

# ---------------------------------------------- README.md and doc/deploy
# Each file follows a marker "<!-- deploy: doc/deploy/NAME -->" in
# README.md as the fenced sh block right after it, byte for byte.
readme_block() {
	awk -v m="<!-- deploy: doc/deploy/$1 -->" '
		$0 == m { found = 1; next }
		found == 1 && $0 == "```sh" { found = 2; next }
		found == 1 { exit 1 }
		found == 2 && $0 == "```" { exit 0 }
		found == 2 { print }' "$top_srcdir/README.md"
}
for f in "$D"/*.sh; do
	n=${f##*/}
	readme_block "$n" > "$T/readme-$n" 2>/dev/null
	ok "README.md shows doc/deploy/$n as it is" cmp "$T/readme-$n" "$f"
done
is "$(grep -c '^<!-- deploy: doc/deploy/' "$top_srcdir/README.md")" "$(ls "$D"/*.sh | wc -l)" \
	"README.md includes every file of doc/deploy, once"

# Every block of README.md with an openssl cmp -ref says what -ref is
# (the senderKID) in the 15 lines before or after it.
unexplained=$(python3 - "$top_srcdir/README.md" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i, bad = 0, []
while i < len(lines):
    if lines[i].startswith("```"):
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        block = "\n".join(lines[i:j])
        if "openssl cmp" in block and "-ref" in block:
            near = "\n".join(lines[max(0, i - 15):i] + lines[j:j + 15])
            if "senderKID" not in near:
                bad.append(str(i + 1))
        i = j
    i += 1
print(" ".join(bad))
PY
)
is "$unexplained" "" "README.md explains -ref (the senderKID) next to each openssl cmp -ref"

[ "$(id -u)" = 0 ] || { skip "needs root (the blocks are root's)" 1; done_testing; exit 0; }

# ------------------------------------------------- a copy of the tree
S=$T/src
t_copy_source "$S"

# ------------------------------------------------------- the variables
# The user the services run as and the web server's must reach $T.
chmod 711 "$T"
T_DB_PORT=auto
t_start_db
# a bare server, as apt installs it: the blocks make the database and user
t_sql "DROP DATABASE cmpd; DROP USER cmpd@localhost" || bail "cannot empty the database server"
HTTP_PORT=$(_t_free_port) || bail "no free port"
LOCALCA_PORT=$(_t_free_port) || bail "no free port"
while [ "$LOCALCA_PORT" = "$HTTP_PORT" ] || [ "$LOCALCA_PORT" = "$T_DB_PORT" ]; do
	LOCALCA_PORT=$(_t_free_port)
done
cat > "$T/vars.sh" <<EOF
PREFIX=$T/prefix
ETC=$T/etc
RUN=$T/run
LOG=$T/log
LOCALCA_RUN=$T/run-localca
LOCALCA_LOG=$T/log-localca
CA_DIR=$T/lib/cmp-localca/ca
DB_SOCKET=$DB_SOCK
HTTP_ADDR=127.0.0.1
HTTP_PORT=$HTTP_PORT
LOCALCA_PORT=$LOCALCA_PORT
CMPD_USER=nobody
LOCALCA_USER=daemon
WEB_USER=$(id -un www-data 2>/dev/null || echo nobody)
EOF
. "$T/vars.sh"
mkdir -p "$T/work"

# The daemons the blocks start, by their pid files.
deploy_stop() {
	local f
	for f in "$RUN"/apache "$RUN"/lighttpd "$RUN"/lighttpd-localca \
	    "$RUN"/cmpd "$LOCALCA_RUN"/cmp-localca; do
		[ -s "$f.pid" ] && _t_stop_pid "$(cat "$f.pid")" 15
	done
	return 0
}
trap 'st=$?; deploy_stop; (exit $st); _t_exit' EXIT

# ------------------------------------------------------ the blocks
# One bash, as an administrator's: the variables set, then each file
# sourced in turn from where README.md runs it (the build in the source
# tree, the rest in a working directory); "step NAME done" after each.
# mariadb as the blocks call it, its command lines logged: a password
# there would be every local user's to read (/proc/PID/cmdline)
mkdir -p "$T/argv-bin"
cat > "$T/argv-bin/mariadb" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >> '$T/mariadb-argv.log'
exec $(command -v mariadb) "\$@"
EOF
chmod 755 "$T/argv-bin/mariadb"
{
	echo "set -e"
	echo "set -a; . '$T/vars.sh'; set +a"
	echo "PATH='$T/argv-bin':\$PATH"
	for n in $STEPS; do
		case $n in
		10-*) echo "cd '$S'" ;;
		20-*) echo "cd '$T/work'" ;;
		esac
		echo "echo '>>> $n'"
		echo ". '$D/$n'"
		echo "echo 'step $n done'"
	done
} > "$T/deploy.sh"
t0=$SECONDS
timeout 1500 bash "$T/deploy.sh" > "$T/deploy.log" 2>&1
rc=$?
diag "the deployment took $((SECONDS - t0)) s (exit $rc)"
for n in $STEPS; do
	if grep -qx "step $n done" "$T/deploy.log"; then
		pass "doc/deploy/$n runs"
	else
		fail "doc/deploy/$n runs"
		diag_file "$T/deploy.log" 40
		for f in "$LOG"/*.log "$LOCALCA_LOG"/*.log; do diag_file "$f" 20; done
		break
	fi
done
is "$rc" 0 "the whole deployment: exit 0"
ok "the blocks called mariadb" test -s "$T/mariadb-argv.log"
nok "... never with cmpd's database password on its command line" \
	grep -qF "$(cat "$ETC/db.password")" "$T/mariadb-argv.log"

# ------------------------------------------------------- what it made
ok "installed under the prefix" test -x "$PREFIX/sbin/cmpd" -a -x "$PREFIX/sbin/cmp-localca" \
	-a -x "$PREFIX/bin/cmpctl"
ok "the contrib/ files the web server read" test -s "$PREFIX/share/doc/cmpd/contrib/$DEPLOY_WEB/cmpd.conf"
pid=$(cat "$RUN/cmpd.pid" 2>/dev/null)
ok "cmpd runs" test -n "$pid" -a -d "/proc/$pid"
is "$(ps -o user= --ppid "$pid" 2>/dev/null | sort -u | tr -d ' ')" nobody "its workers as CMPD_USER"
pid=$(cat "$LOCALCA_RUN/cmp-localca.pid" 2>/dev/null)
is "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')" daemon "cmp-localca runs as LOCALCA_USER"
is "$(stat -c '%a %U' "$CA_DIR/ca.key" 2>/dev/null)" "600 root" "the CA's key is root's alone"
nok "... CMPD_USER cannot read it" setpriv --reuid=nobody --regid="$(id -g nobody)" \
	--clear-groups cat "$CA_DIR/ca.key"
is "$(stat -c %U "/proc/$pid/mem" 2>/dev/null)" root "... nor cmp-localca's memory (not dumpable)"
# The CA's records in a database of its own: cmpd's account (its password
# is CMPD_USER's to read) has no right on them; MariaDB lets in the CA's
# account only from a process of LOCALCA_USER.
as_cmpd_db() {
	timeout 30 mariadb --no-defaults -S "$DB_SOCK" -u cmpd -p"$(cat "$ETC/db.password")" \
		-N -B cmpd -e "$1"
}
is "$(t_sql "SELECT COUNT(*) > 0 FROM cmp_localca.localca_certificate")" 1 \
	"the CA keeps its records in cmp_localca"
nok "... not in cmpd's database" t_sql "SELECT 1 FROM cmpd.localca_certificate LIMIT 1"
like "$(as_cmpd_db "SELECT COUNT(*) FROM certificate" 2>&1)" '^[0-9]+$' \
	"cmpd's account reads its own database"
like "$(as_cmpd_db "UPDATE cmp_localca.localca_certificate SET status = 'issued'" 2>&1)" \
	"denied" "... but cannot change the CA's records"
like "$(as_cmpd_db "SELECT COUNT(*) FROM cmp_localca.localca_certificate" 2>&1)" \
	"denied" "... nor read them"
like "$(timeout 30 setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	mariadb --no-defaults -S "$DB_SOCK" -u daemon -N -B cmp_localca -e "SELECT 1" 2>&1)" \
	"denied" "CMPD_USER cannot log in as the CA's account"
nok "no password file for the CA's account" grep -q "db_password" "$ETC/cmp-localca.conf"
case $DEPLOY_WEB in
lighttpd) web=lighttpd ;;
apache) web=apache2 ;;
esac
like "$(ss -Htlnp "sport = :$HTTP_PORT" 2>/dev/null)" "\"$web\"" "$web answers on HTTP_PORT"
like "$(ss -Htlnp "sport = :$LOCALCA_PORT" 2>/dev/null)" "127\.0\.0\.1:$LOCALCA_PORT .*\"$web\"" \
	"$web serves cmp-localca on 127.0.0.1:LOCALCA_PORT"
st=$(curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{}' "http://127.0.0.1:$LOCALCA_PORT/localca/v1/authorityProvider/authorities/00000000-0000-4000-8000-000000000001/caCertificates")
is "$st" 401 "cmp-localca's API without the credential: 401"
st=$(curl -s --noproxy '*' --max-time 10 -o "$T/profiles.json" -w '%{http_code}' \
	-H "Authorization: Bearer $(cat "$ETC/admin-api-key")" "http://127.0.0.1:$HTTP_PORT/api/v1/cmpProfiles")
is "$st" 200 "the management API with the admin key, through $web"
like "$(cat "$T/profiles.json")" '"name":"devices-sig"' "... lists the profiles"

# the certificate: enrolled, then revoked (cmpd's inventory, the CA)
ok "device.crt enrolled by openssl cmp" openssl verify -CAfile "$CA_DIR/ca.crt" "$T/work/device.crt"
serial=$(openssl x509 -in "$T/work/device.crt" -noout -serial 2>/dev/null | cut -d= -f2)
like "$(grep -A3 'cmd rr' "$T/deploy.log"; cat "$T/deploy.log")" "revocation accepted|received RP" \
	"openssl cmp reports the revocation"
is "$(t_sql "SELECT status FROM certificate WHERE UPPER(serial_number) = UPPER('$serial')")" revoked \
	"revoked in cmpd's inventory"
is "$(t_sql "SELECT CONCAT(status, '/', revocation_reason) FROM cmp_localca.localca_certificate WHERE UPPER(serial_hex) = UPPER('$serial')")" \
	revoked/keyCompromise "and at the CA, with the reason given"

web_group=$(id -gn "$WEB_USER")
is "$(stat -c '%a %U %G' "$RUN/cmpd.sock" 2>/dev/null)" "660 nobody $web_group" \
	"cmpd.sock: 0660, CMPD_USER's, in the web server's group (listen_group)"
is "$(stat -c '%a %U %G' "$LOCALCA_RUN/cmp-localca.sock" 2>/dev/null)" "660 daemon $web_group" \
	"cmp-localca.sock: 0660, LOCALCA_USER's, in the web server's group"

# stopped, the services leave nothing behind in RUN (it is theirs)
deploy_stop
for f in "$RUN"/cmpd.sock "$RUN"/cmpd.pid "$LOCALCA_RUN"/cmp-localca.sock \
    "$LOCALCA_RUN"/cmp-localca.pid; do
	ok "stopped: ${f##*/} removed" test ! -e "$f"
done
nok "no \"cannot remove\" in the logs" grep -h "cannot remove" "$LOG/cmpd.log" \
	"$LOCALCA_LOG/cmp-localca.log"
done_testing
