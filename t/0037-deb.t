#!/bin/sh
# The Debian packages (debian/): dpkg-buildpackage -us -uc -b builds cmpd
# and cmp-localca from a copy of the source tree, lintian finds neither
# error nor warning in them, and they install into a copy-on-write copy of
# this machine's root (overlayfs in a private mount namespace, chroot), so
# that this machine's users, /etc and dpkg database stay as they are.
# There the first installation creates the system user cmpd,
# /etc/cmpd/cmpd.conf (root:cmpd, 0640) that cmpd -n accepts, also as
# the user cmpd, and the master key (root:cmpd, 0640); nothing is enabled;
# cmp-localca checks a CA set up after its manual.  An administrator's
# edit of cmpd.conf and the master key survive a reinstallation and an
# upgrade, which migrates a schema left behind when the database answers
# and says what to run when it does not; purge removes cmpd.conf and
# keeps the key.
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

# Not the jobserver or the flags of a make check this test may run under.
unset MAKEFLAGS MFLAGS MAKELEVEL
START=$SECONDS

[ "$(id -u)" = 0 ] ||
	skip_all "needs root: the packages are installed into an overlay of / (mount, chroot)"
for c in dpkg-buildpackage dpkg-checkbuilddeps unshare chroot; do
	command -v "$c" > /dev/null 2>&1 || {
		. "$top_srcdir/contrib/deps.sh"
		deps_install all > "$T/deps.log" 2>&1
		break
	}
done

# ------------------------------------------------- a copy of the tree
# The tree as it is checked out (git), or as a release tarball unpacked
# (make distcheck), without build directories.
S=$T/src
t_copy_source "$S"
ok "debian/ is in the copy of the source tree" test -x "$S/debian/rules"

if ! (cd "$S" && dpkg-checkbuilddeps) > "$T/builddeps.log" 2>&1 ||
   ! command -v lintian > /dev/null 2>&1; then
	. "$top_srcdir/contrib/deps.sh"
	deps_install all > "$T/deps.log" 2>&1
	(cd "$S" && dpkg-checkbuilddeps) > "$T/builddeps.log" 2>&1 ||
		skip_all "the build dependencies cannot be installed: $(tr '\n' ' ' < "$T/builddeps.log")"
	command -v lintian > /dev/null 2>&1 ||
		skip_all "lintian cannot be installed (contrib/deps.sh)"
fi

V=$(cd "$S" && dpkg-parsechangelog -S Version)
ARCH=$(dpkg --print-architecture)
like "$V" "^[0-9]" "debian/changelog has a version ($V)"

# ----------------------------------------------------------- build
t0=$SECONDS
# (without the variables make check exports for its tests)
if (cd "$S" && env -u srcdir -u top_srcdir -u top_builddir \
	DEB_BUILD_OPTIONS=parallel=2 timeout 1200 \
	dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b"
else
	fail "dpkg-buildpackage -us -uc -b"
	diag_file "$T/build.log" 60
fi
diag "dpkg-buildpackage took $((SECONDS - t0)) s (with the unit tests)"
DEBS="$T/cmpd_${V}_$ARCH.deb $T/cmp-localca_${V}_$ARCH.deb"
for d in $DEBS; do
	ok "${d##*/} built" test -s "$d"
done
like "$(grep -E '^# (PASS|FAIL):' "$T/build.log" | tr '\n' ' ')" \
	'^# PASS: +[1-9][0-9]* # FAIL: +0 $' "the unit tests ran in the build and passed"
ok "the build left the worktree alone" test ! -e "$top_srcdir/debian/tmp"

# contents DEB: its paths, one a line, in $T/DEB.list
contents() {
	dpkg-deb -c "$T/$1.deb" | awk '{ print $6 }' | sed 's|^\./|/|' > "$T/$1.list"
}
contents "cmpd_${V}_$ARCH"
for f in /usr/sbin/cmpd /usr/bin/cmpctl /etc/cmpd/cmpd.conf \
	/lib/systemd/system/cmpd.service /lib/systemd/system/cmpd.socket \
	/lib/systemd/system/cmpd.service.d/listen-systemd.conf \
	/usr/share/man/man8/cmpd.8.gz /usr/share/man/man1/cmpctl.1.gz \
	/usr/share/man/man5/cmpd.conf.5.gz \
	/usr/share/doc/cmpd/examples/cmpd.conf.sample \
	/usr/share/cmpd/contrib/apache/cmpd.conf \
	/usr/share/cmpd/contrib/lighttpd/cmpd.conf \
	/usr/share/cmpd/console/index.html /usr/share/cmpd/console/js/main.js; do
	ok "cmpd has $f" grep -qxF "$f" "$T/cmpd_${V}_$ARCH.list"
done
nok "cmpd has no cmp-localca program" grep -qxF /usr/sbin/cmp-localca \
	"$T/cmpd_${V}_$ARCH.list"
contents "cmp-localca_${V}_$ARCH"
for f in /usr/sbin/cmp-localca /usr/share/man/man8/cmp-localca.8.gz \
	/lib/systemd/system/cmp-localca.service \
	/lib/systemd/system/cmp-localca.socket \
	/usr/share/doc/cmp-localca/examples/cmp-localca.conf.sample; do
	ok "cmp-localca has $f" grep -qxF "$f" "$T/cmp-localca_${V}_$ARCH.list"
done
is "$(dpkg-deb -f "$T/cmpd_${V}_$ARCH.deb" Depends | grep -o 'libmariadb[0-9]*')" \
	libmariadb3 "cmpd depends on the MariaDB client library it links"

# ----------------------------------------------------------- lintian
# (as root it says it would rather not run as root: not a finding)
t0=$SECONDS
out=$(timeout 600 lintian --fail-on error,warning $DEBS 2>&1)
rc=$?
is "$rc" 0 "lintian --fail-on error,warning: exit 0"
is "$(printf '%s\n' "$out" | grep -E '^[EW]: ')" "" "lintian: no error, no warning"
printf '%s\n' "$out" | grep -E '^[A-Z]: ' | diag
diag "lintian took $((SECONDS - t0)) s"

# ------------------------------------------ a copy-on-write root
R=$T/root
mkdir -p "$R/upper" "$R/work" "$R/m" "$R/upper/debs"
cp $DEBS "$R/upper/debs/"

# in_root SCRIPT: sh -c SCRIPT chrooted into / seen through an overlay
# whose changes go to $R/upper, in a mount namespace of its own (gone with
# the command); /run is empty there, so that no service of this machine
# is started, stopped or reloaded.
in_root() {
	timeout 300 unshare --mount --propagation private sh -c '
		set -e
		R=$1
		mount -t overlay overlay \
			-o "lowerdir=/,upperdir=$R/upper,workdir=$R/work" "$R/m"
		mount --rbind /dev "$R/m/dev"
		mount -t proc proc "$R/m/proc"
		mount -t tmpfs tmpfs "$R/m/run"
		exec chroot "$R/m" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			DEBIAN_FRONTEND=noninteractive sh -c "$2"' sh "$R" "$1"
}

# this machine's own cmpd user and /etc/cmpd, to see that they stay
host_state() {
	getent passwd cmpd; getent group cmpd
	ls -lan /etc/cmpd 2>&1
	dpkg-query -W -f='${Status} ${Version}\n' cmpd cmp-localca 2>&1
	dpkg-statoverride --list '/etc/cmpd*' 2>&1
}
HOST_BEFORE=$(host_state)

if ! out=$(in_root 'test -d /debs' 2>&1); then
	skip "no overlay of / here (mount -t overlay in a mount namespace): $out" 1
	done_testing
	exit 0
fi
pass "an overlay of / to install into"

# A first installation: the overlay without what this machine may have
# of cmpd (its package, user, group, /etc/cmpd, statoverrides).
in_root '
	dpkg --purge cmp-localca cmpd > /dev/null 2>&1 || true
	for f in /etc/passwd /etc/group /etc/shadow /etc/gshadow; do
		[ ! -f $f ] || sed -i "/^cmpd:/d" $f
	done
	sed -i "/ cmpd /d" /var/lib/dpkg/statoverride
	rm -rf /etc/cmpd
	printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
' > "$T/prepare.log" 2>&1
ok "no user cmpd before the installation" in_root '! getent passwd cmpd'

if in_root "dpkg -i /debs/cmpd_${V}_$ARCH.deb /debs/cmp-localca_${V}_$ARCH.deb" \
	> "$T/install.log" 2>&1; then
	pass "dpkg -i cmpd cmp-localca (first installation)"
else
	fail "dpkg -i cmpd cmp-localca (first installation)"
	diag_file "$T/install.log" 40
fi
is "$(in_root "dpkg-query -W -f='\${db:Status-Abbrev}\${Version} ' cmpd cmp-localca")" \
	"ii $V ii $V " "both installed and configured"

pw=$(in_root 'getent passwd cmpd')
like "$pw" "^cmpd:x:[0-9]+:[0-9]+:[^:]*:/nonexistent:/usr/sbin/nologin\$" \
	"postinst made the user cmpd (home /nonexistent, no shell)"
uid=$(printf '%s' "$pw" | cut -d: -f3)
ok "cmpd is a system user (uid $uid < 1000)" test "${uid:-1000}" -lt 1000
like "$(in_root 'id -gn cmpd')" "^cmpd\$" "its group is cmpd"
like "$(in_root 'getent passwd cmp-localca')" \
	"^cmp-localca:x:[0-9]+:[0-9]+:[^:]*:/nonexistent:/usr/sbin/nologin\$" \
	"cmp-localca's postinst made the user cmp-localca (home /nonexistent, no shell)"
like "$(in_root 'id -Gn cmp-localca')" "^cmp-localca\$" "... in its own group only, not cmpd's"

st() { in_root "stat -c '%U:%G %a' $1"; }
is "$(st /etc/cmpd)" "root:cmpd 750" "/etc/cmpd: root:cmpd, 0750"
is "$(st /etc/cmpd/cmpd.conf)" "root:cmpd 640" "/etc/cmpd/cmpd.conf: root:cmpd, 0640"
is "$(st /etc/cmpd/secret.key)" "root:cmpd 640" "/etc/cmpd/secret.key: root:cmpd, 0640"
KEY=$(in_root 'cat /etc/cmpd/secret.key')
like "$KEY" '^[0-9a-f]{64}$' "the master key: 64 hex digits"
is "$(in_root 'dpkg-statoverride --list /etc/cmpd/cmpd.conf')" \
	"root cmpd 640 /etc/cmpd/cmpd.conf" \
	"a statoverride keeps cmpd.conf root:cmpd 0640 for later versions"

# no database yet (the administrator makes it): -n --no-db
out=$(in_root 'cmpd -n --no-db -c /etc/cmpd/cmpd.conf' 2>&1)
like "$out" "configuration OK" "cmpd -n --no-db -c /etc/cmpd/cmpd.conf: the installed configuration is valid"
out=$(in_root 'cmpd -n --no-db' 2>&1)
like "$out" "/etc/cmpd/cmpd.conf: configuration OK" "cmpd's default configuration is /etc/cmpd/cmpd.conf"
out=$(in_root 'setpriv --reuid=cmpd --regid=cmpd --init-groups cmpd -n --no-db -c /etc/cmpd/cmpd.conf' 2>&1)
like "$out" "configuration OK" "the user cmpd can read it (what a reload does)"
out=$(in_root 'cmpd -n -c /etc/cmpd/cmpd.conf' 2>&1)
like "$out" "db_password_file /etc/cmpd/db.password: No such file or directory" \
	"cmpd -n with the database: the password file is yet to be made"
like "$(in_root 'cmpd -v')" "^cmpd ${V%%[+~-]*}" "the installed cmpd runs"
like "$(in_root 'cmpctl --help 2>&1 || true')" "key" "the installed cmpctl runs"

for f in "$top_srcdir"/schema/*.sql; do
	is "$(in_root "md5sum < /usr/share/cmpd/schema/${f##*/}")" \
		"$(md5sum < "$f")" "schema ${f##*/} in /usr/share/cmpd/schema"
done
is "$(in_root 'md5sum < /usr/share/doc/cmpd/contrib/apache/cmpd.conf')" \
	"$(md5sum < "$top_srcdir/contrib/apache/cmpd.conf")" \
	"the web server configurations also as README names them (/usr/share/doc/cmpd/contrib)"

is "$(in_root 'grep ^ExecStart= /lib/systemd/system/cmpd.service')" \
	"ExecStart=/usr/sbin/cmpd -f -c /etc/cmpd/cmpd.conf" \
	"cmpd.service runs /usr/sbin/cmpd with /etc/cmpd/cmpd.conf"
is "$(in_root 'grep ^ExecStart= /lib/systemd/system/cmp-localca.service')" \
	"ExecStart=/usr/sbin/cmp-localca -f -c /etc/cmpd/cmp-localca.conf" \
	"cmp-localca.service runs /usr/sbin/cmp-localca with /etc/cmpd/cmp-localca.conf"
is "$(in_root 'find /etc/systemd/system -name "cmpd.*" -o -name "cmp-localca.*"')" "" \
	"no unit enabled: nothing starts before the database is set up"
# the units as installed, with the package's drop-in (cmpd.service
# requires cmpd.socket, which the packaged "listen = systemd" needs)
if in_root 'command -v systemd-analyze' > /dev/null 2>&1; then
	out=$(in_root 'cd /lib/systemd/system && systemd-analyze verify --man=no \
		cmpd.service cmpd.socket cmp-localca.service cmp-localca.socket' 2>&1)
	is "$?:$out" "0:" "systemd-analyze verify: the installed units load without a word"
else
	skip "systemd-analyze is not installed (package systemd)"
fi

# cmp-localca: a CA after cmp-localca(8), checked by cmp-localca -n as
# its unit starts it: as root, which alone reads the key and the
# credential, then switches to "user = cmp-localca"
is "$(in_root 'grep -c "^User=" /lib/systemd/system/cmp-localca.service')" 0 \
	"cmp-localca.service starts it as root (it switches to user itself)"
out=$(in_root '
	set -e
	install -d -o root -g cmpd -m 0750 /etc/cmpd/ca
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout /etc/cmpd/ca/ca.key -out /etc/cmpd/ca/ca.crt \
		-subj /CN=deb-test-ca -days 30 \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>&1
	chmod 0600 /etc/cmpd/ca/ca.key
	(umask 077 && openssl rand -hex 16 > /etc/cmpd/localca.pw)
	printf "%s\n" "ca_dir = /etc/cmpd/ca" "user = cmp-localca" "auth_user = cmpd" \
		"auth_password_file = /etc/cmpd/localca.pw" > /etc/cmpd/cmp-localca.conf
	cmp-localca -n
' 2>&1)
rc=$?
is "$rc" 0 "cmp-localca -n (as root) accepts /etc/cmpd/cmp-localca.conf and its CA"
[ "$rc" = 0 ] || diag "$out"

# ------------------- README, "1a. ... from the Debian package"
# The README's commands for the database, as written (but apt install and
# systemctl), against a MariaDB of the overlay's own: a new data
# directory, its socket /run/mysqld/mysqld.sock only (/run is the
# overlay's).  Then cmpd from the package's cmpd.conf, started the way
# cmpd.socket starts it (the socket on fd 3, LISTEN_PID/LISTEN_FDS): its
# workers, as the user cmpd, reach the database with the password file
# and open the master key for the API key the README made.
sed -n '/^### 1a\./,/^### 1b\./p' "$top_srcdir/README.md" |
	awk '/^```sh$/ { n++; in_sh = 1; next } /^```$/ { in_sh = 0; next }
		in_sh && (n == 2 || n == 3)' | grep -vE '^(apt|systemctl) ' > "$R/upper/readme.sh"
like "$(cat "$R/upper/readme.sh")" "cmpd --migrate" \
	"README 1a: the commands after the installation ($(grep -c . "$R/upper/readme.sh") lines)"
cat > "$R/upper/activate.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(16)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
    s.close()
os.set_inheritable(3, True)
env = dict(os.environ, LISTEN_PID=str(os.getpid()), LISTEN_FDS="1",
           LISTEN_FDNAMES="cmpd.socket")
os.execve(sys.argv[2], sys.argv[2:], env)
PY
cat > "$R/upper/first-start.sh" <<'SH'
set -e
trap 'exit 143' TERM
trap 'kill $CMPD $DB 2> /dev/null || true; wait' EXIT
DB_ARGS="--no-defaults --user=root --datadir=/var/lib/cmpd-t-db
	--tmpdir=/var/lib/cmpd-t-tmp --innodb-buffer-pool-size=16M
	--innodb-log-file-size=4M --innodb-use-native-aio=0 --skip-log-bin"
mkdir -p /var/lib/cmpd-t-db /var/lib/cmpd-t-tmp /run/mysqld /run/cmpd
timeout 60 mariadb-install-db $DB_ARGS --auth-root-authentication-method=socket \
	--skip-test-db > /var/log/cmpd-t-install-db.log 2>&1
mariadbd $DB_ARGS --socket=/run/mysqld/mysqld.sock --skip-networking \
	--log-error=/var/log/cmpd-t-mariadb.log &
DB=$!
echo "$DB" >> /pids
for i in $(seq 1 150); do
	mariadb-admin --connect-timeout=2 ping > /dev/null 2>&1 && break
	sleep 0.2
done
echo "== README 1a"
bash -ex /readme.sh 2>&1
echo "== cmp-localca's account"
setpriv --reuid=cmp-localca --regid=cmp-localca --init-groups \
	mariadb -N -u cmp-localca cmp_localca -e "SELECT CURRENT_USER()" 2>&1
echo "== cmpd's account on it"
mariadb -N -u cmpd -p"$(cat /etc/cmpd/db.password)" cmp_localca \
	-e "SELECT 1" 2>&1 || true
# a CA that kept its records in cmpd's database: moved as README 1a says
mariadb cmpd -e "CREATE TABLE localca_certificate (serial_hex VARCHAR(64));
  INSERT INTO localca_certificate VALUES ('0A1B')"
mariadb -e "RENAME TABLE cmpd.localca_certificate TO cmp_localca.localca_certificate"
echo "== moved"
setpriv --reuid=cmp-localca --regid=cmp-localca --init-groups \
	mariadb -N -u cmp-localca cmp_localca -e "SELECT serial_hex FROM localca_certificate" 2>&1
mariadb -e "DROP TABLE cmp_localca.localca_certificate"
echo "== cmpd"
python3 /activate.py /run/cmpd/cmpd.sock /usr/sbin/cmpd -f -c /etc/cmpd/cmpd.conf \
	> /var/log/cmpd-t.log 2>&1 &
CMPD=$!
echo "$CMPD" >> /pids
fcgi() {	# fcgi PATH [AUTHORIZATION]: the answer's header and body
	env -i REQUEST_METHOD=GET REQUEST_URI="$1" SCRIPT_NAME="$1" \
		SERVER_NAME=127.0.0.1 SERVER_PORT=80 SERVER_PROTOCOL=HTTP/1.1 \
		GATEWAY_INTERFACE=CGI/1.1 REMOTE_ADDR=127.0.0.1 \
		${2:+HTTP_AUTHORIZATION="$2"} \
		timeout 10 cgi-fcgi -bind -connect /run/cmpd/cmpd.sock < /dev/null
}
for i in $(seq 1 50); do
	fcgi /health 2> /dev/null | grep -q '"database":"ok"' && break
	sleep 0.2
done
echo "== /health"; fcgi /health | tr -d '\r'; echo
echo "== /api/v1/cmpProfiles"
fcgi /api/v1/cmpProfiles "Bearer $(cat /root/cmpd-admin-key)" | tr -d '\r'; echo
echo "== workers"
ps -o user= --ppid "$CMPD" | sort -u
kill -TERM "$CMPD"; wait "$CMPD" || true; CMPD=
mariadb-admin shutdown; wait "$DB" || true; DB=
echo "== done"
SH
: > "$R/upper/pids"
in_root 'bash /first-start.sh' > "$T/first-start.log" 2>&1
rc=$?
# whatever the script left running, stopped here (a pid of ours, by name)
for pid in $(cat "$R/upper/pids" 2>/dev/null); do
	case $(readlink "/proc/$pid/exe" 2>/dev/null) in
	*/mariadbd|*/cmpd) kill -KILL "$pid" 2>/dev/null ;;
	esac
done
is "$rc" 0 "README 1a's commands, cmpd's start and stop in the overlay: exit 0"
out=$(cat "$T/first-start.log")
like "$out" "schema at version [0-9]+" "cmpd --migrate created the schema"
like "$out" "== cmp-localca's account
cmp-localca@localhost" "README 1a: the user cmp-localca reaches its database, by the user it runs as"
like "$out" "== cmpd's account on it
[^=]*Access denied for user 'cmpd'" "... which cmpd's account cannot"
like "$out" "== moved
0A1B" "records kept in cmpd's database move along (README 1a), read by cmp-localca's account"
like "$out" '"keyFile":"/root/cmpd-admin-key"' "cmpctl apikey create made the admin key"
like "$out" '== /health
Status: 200[^=]*"status":"ok","database":"ok"' \
	"cmpd from the packaged cmpd.conf: /health 200, the database ok"
like "$out" '== /api/v1/cmpProfiles
Status: 200' "the management API answers the README's admin key (master key and database)"
like "$out" '== workers
cmpd
== done' "cmpd's workers run as the user cmpd"
[ "$rc" = 0 ] && [[ $out == *"== done"* ]] || diag "$out"

# ------------------------------ the administrator's edit survives
in_root 'echo "# edited by the administrator" >> /etc/cmpd/cmpd.conf'
SUM=$(in_root 'md5sum < /etc/cmpd/cmpd.conf')

# and cmp-localca.conf running it as cmpd, as the manual once said: the
# reinstallation says that a user of its own keeps them apart
in_root "sed -i 's/^user = .*/user = cmpd/' /etc/cmpd/cmp-localca.conf"
if in_root "dpkg -i /debs/cmpd_${V}_$ARCH.deb /debs/cmp-localca_${V}_$ARCH.deb" \
	> "$T/reinstall.log" 2>&1; then
	pass "dpkg -i cmpd cmp-localca again (the same version)"
else
	fail "dpkg -i cmpd cmp-localca again (the same version)"
	diag_file "$T/reinstall.log" 40
fi
is "$(in_root 'md5sum < /etc/cmpd/cmpd.conf')" "$SUM" "reinstalled: the edited cmpd.conf is kept"
is "$(in_root 'cat /etc/cmpd/secret.key')" "$KEY" "reinstalled: the master key is the same"

# An upgrade: both packages again as version V+t1 (repacked, the same
# files, the same default cmpd.conf)
V2=$V+t1
for p in cmpd cmp-localca; do
	rm -rf "$T/re"
	dpkg-deb -R "$T/${p}_${V}_$ARCH.deb" "$T/re"
	sed -i -e "s/^Version: .*/Version: $V2/" \
		-e "s/(= $V)/(= $V2)/" "$T/re/DEBIAN/control"
	dpkg-deb --root-owner-group -b "$T/re" "$R/upper/debs/${p}_${V2}_$ARCH.deb" \
		> /dev/null
done
# With the database up and its schema one version behind the package's
# (the newest row of schema_version gone: that migration runs again, as
# the files are written to), the upgrade migrates it.
last=$(cd "$top_srcdir/schema" && ls [0-9][0-9][0-9][0-9]-*.sql | tail -n 1)
lastv=$(echo "$last" | sed 's/-.*//; s/^0*//')
cat > "$R/upper/upgrade.sh" <<SH
set -e
trap 'kill \$DB 2> /dev/null || true; wait' EXIT
DB_ARGS="--no-defaults --user=root --datadir=/var/lib/cmpd-t-db
	--tmpdir=/var/lib/cmpd-t-tmp --innodb-buffer-pool-size=16M
	--innodb-log-file-size=4M --innodb-use-native-aio=0 --skip-log-bin"
mkdir -p /run/mysqld
mariadbd \$DB_ARGS --socket=/run/mysqld/mysqld.sock --skip-networking \
	--log-error=/var/log/cmpd-t-mariadb-upgrade.log &
DB=\$!
echo "\$DB" >> /pids
for i in \$(seq 1 150); do
	mariadb-admin --connect-timeout=2 ping > /dev/null 2>&1 && break
	sleep 0.2
done
mariadb cmpd -e "DELETE FROM schema_version ORDER BY version DESC LIMIT 1"
echo "== before \$(mariadb -N cmpd -e 'SELECT MAX(version) FROM schema_version')"
dpkg -i /debs/cmpd_${V2}_$ARCH.deb /debs/cmp-localca_${V2}_$ARCH.deb 2>&1
echo "== after \$(mariadb -N cmpd -e 'SELECT MAX(version) FROM schema_version')"
mariadb-admin shutdown; wait \$DB || true; DB=
SH
# and cmp-localca.conf as a version whose unit ran it as User=cmpd
# left it, without "user": the upgrade says to add it
in_root "sed -i '/^user = /d' /etc/cmpd/cmp-localca.conf"
: > "$R/upper/pids"
if in_root 'bash /upgrade.sh' > "$T/upgrade.log" 2>&1; then
	pass "dpkg -i: upgrade to $V2"
else
	fail "dpkg -i: upgrade to $V2"
	diag_file "$T/upgrade.log" 40
fi
for pid in $(cat "$R/upper/pids" 2>/dev/null); do
	case $(readlink "/proc/$pid/exe" 2>/dev/null) in
	*/mariadbd) kill -KILL "$pid" 2>/dev/null ;;
	esac
done
like "$(cat "$T/upgrade.log")" "== before $((lastv - 1))" "before it, the schema one version behind ($((lastv - 1)))"
like "$(cat "$T/upgrade.log")" "applied migration $last" "the upgrade ran cmpd --migrate: $last applied"
like "$(cat "$T/upgrade.log")" "== after $lastv" "... the schema at the package's version ($lastv)"
like "$(cat "$T/upgrade.log")" 'cmp-localca: add "user = cmp-localca" to /etc/cmpd/cmp-localca.conf' \
	"cmp-localca's upgrade: a configuration without user is named, with what to add"
like "$(cat "$T/reinstall.log")" "cmp-localca: /etc/cmpd/cmp-localca.conf runs it as cmpd, the user of cmpd's workers; the user cmp-localca and a database of its own keep them apart" \
	"a configuration that runs cmp-localca as cmpd is named on reinstallation"
like "$(cat "$T/reinstall.log")" "the database did not answer: run cmpd --migrate once it does" \
	"a reinstallation without the database: says what to run, and is configured"
is "$(in_root "dpkg-query -W -f='\${db:Status-Abbrev}\${Version} ' cmpd cmp-localca")" \
	"ii $V2 ii $V2 " "both upgraded and configured"
is "$(in_root 'md5sum < /etc/cmpd/cmpd.conf')" "$SUM" "upgraded: the edited cmpd.conf is kept"
like "$(in_root 'tail -n 1 /etc/cmpd/cmpd.conf')" "^# edited by the administrator\$" \
	"with the administrator's line"
is "$(in_root 'cat /etc/cmpd/secret.key')" "$KEY" "upgraded: the master key is the same"
is "$(st /etc/cmpd/cmpd.conf)" "root:cmpd 640" "upgraded: cmpd.conf still root:cmpd, 0640"
like "$(in_root 'cmpd -n --no-db -c /etc/cmpd/cmpd.conf' 2>&1)" "configuration OK" \
	"upgraded: cmpd -n accepts it"
ok "upgraded: no second user or group cmpd" \
	in_root 'test "$(grep -c "^cmpd:" /etc/passwd):$(grep -c "^cmpd:" /etc/group)" = 1:1'

# ----------------------------------------------------------- purge
if in_root 'dpkg --purge cmp-localca cmpd' > "$T/purge.log" 2>&1; then
	pass "dpkg --purge cmp-localca cmpd"
else
	fail "dpkg --purge cmp-localca cmpd"
	diag_file "$T/purge.log" 40
fi
ok "purged: cmpd.conf is gone" in_root '! test -e /etc/cmpd/cmpd.conf'
is "$(in_root 'dpkg-statoverride --list "/etc/cmpd*"')" "" "purged: no statoverride left"
is "$(in_root 'cat /etc/cmpd/secret.key')" "$KEY" \
	"purged: the master key is kept (the database it opens may still be there)"
ok "purged: no cmpd program left" in_root '! test -e /usr/sbin/cmpd'

is "$(host_state)" "$HOST_BEFORE" "this machine's cmpd user, /etc/cmpd and packages are as they were"
diag "the whole test took $((SECONDS - START)) s"

done_testing
