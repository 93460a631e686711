#!/bin/bash
# contrib/cluster/cluster.sh -- cmpd on several hosts over a MariaDB Galera
# cluster, all on this one machine and on 127.0.0.1 only: for trying the
# scale-out layout and for the cluster tests (t/0035-cluster.t).
#
#   contrib/cluster/cluster.sh start | stop | status
#   contrib/cluster/cluster.sh node-kill N | node-start N     (N = 1, 2, 3)
#   contrib/cluster/cluster.sh host-kill H | host-start H     (H = a, b)
#
# start brings up, under $CLUSTER_DIR (default: a new /tmp/cmpd-cluster.*
# directory, printed):
#
#   n1 n2 n3   three MariaDB Galera nodes (galera-4), each with its own data
#              directory, SQL port, group communication port (gcomm://),
#              IST port and SST port; n1 bootstraps the cluster
#              (--wsrep-new-cluster), n2 and n3 join it by SST (rsync;
#              a joiner whose SST could not begin is started again)
#   ca         cmp-localca, the demo CA, behind a lighttpd of its own
#   a b        two cmpd hosts: each its own run directory, cmpd (master and
#              workers) and lighttpd in front of it
#   haproxy    HTTP, round robin per request over a and b, with /health
#              checks; the address clients use
#
# and writes $CLUSTER_DIR/cluster.env (ports, paths, the demo profile's
# secret) for scripts: `. $CLUSTER_DIR/cluster.env`.  The database, the
# user cmpd and the schema are made as by quickstart.sh: `cmpd --migrate`
# through host a.  CMP Profile "enroll" (shared secret both ways, reference
# $CLUSTER_REF, secret $CLUSTER_SECRET) issues through cmp-localca.
#
# Each cmpd host gets every Galera node with db_hosts when the installed
# cmpd knows that key (probed with `cmpd -n`), host a in the order n1 n2
# n3, host b n2 n3 n1; otherwise host a uses n1 and host b n2 through
# db_host/db_port.  cmp-localca likewise lists n3 n1 n2, or uses n3 alone.
#
# stop stops everything start recorded in $CLUSTER_DIR/pids (also after a
# failed start) and keeps the directory; remove it by hand.  Every wait is
# bounded (CLUSTER_TIMEOUT seconds for each step, default 180), every
# process listens on 127.0.0.1 or a Unix socket under $CLUSTER_DIR.
#
# Environment:
#   CLUSTER_DIR       where everything lives (Unix socket paths must stay
#                     short: keep it under ~60 characters)
#   CLUSTER_BUILDDIR  where cmpd and cmp-localca were built (default:
#                     ./build of this source tree, else the tree itself,
#                     else $PATH)
#   CLUSTER_PORT      first of 50 consecutive free ports used (default:
#                     a free range found between 20000 and 60000)
#   CLUSTER_WORKERS   cmpd workers per host (default 3)
#   CLUSTER_CMPD_CONF extra lines for both cmpd.conf files
#   CLUSTER_TIMEOUT   seconds for each bounded wait (default 180)
#   CLUSTER_SECRET, CLUSTER_REF   the demo profile's shared secret and
#                     reference (default enroll-secret, enroll-ref)
#   DEPS_NO_INSTALL=1 do not apt-get missing packages (contrib/deps.sh)
#
# Ports, from CLUSTER_PORT = P: node N has SQL P+N, gcomm P+10+N, IST
# P+20+N, SST P+30+N; HAProxy P+40, host a P+41, host b P+42, the CA's
# lighttpd P+43, HAProxy's statistics page P+44.
set -u

src=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

TIMEOUT=${CLUSTER_TIMEOUT:-180}
SECRET=${CLUSTER_SECRET:-enroll-secret}
REF=${CLUSTER_REF:-enroll-ref}
WORKERS=${CLUSTER_WORKERS:-3}
GALERA=/usr/lib/galera/libgalera_smm.so
NODES="1 2 3"
HOSTS="a b"
# As root, the nodes run as MariaDB's system user: the rsync daemon that
# receives an SST runs as the node's user, and as root it would switch to
# "nobody", who may not write the data directory.
DB_USER=""
if [ "$(id -u)" = 0 ]; then
	DB_USER=mysql
	id "$DB_USER" > /dev/null 2>&1 || DB_USER=root
fi

say() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: error: %s\n' "$*" >&2; exit 1; }

# tail_log FILE: the end of a log, for an error message
tail_log() { [ -s "$1" ] && { echo "---- $1" >&2; tail -n 25 "$1" >&2; }; return 0; }

# wait_for SECONDS cmd...: retry every 0.2 s; non-zero if it never worked
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" > /dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.2
	done
}

alive() {	# alive PID: running, not a zombie
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
gone() { ! alive "$1"; }

port_open() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
port_free() {
	if command -v ss > /dev/null 2>&1; then
		[ -z "$(ss -Htan "sport = :$1" 2>/dev/null)" ] || return 1
	fi
	! port_open "$1"
}

# ----------------------------------------------------------- pid records
# pidfile NAME: $CLUSTER_DIR/pids/NAME.pid holds the pid of what start
# launched under that name (node1..3, localca, lighttpd-ca, cmpd-a, ...).
pidof_rec() { cat "$CLUSTER_DIR/pids/$1.pid" 2>/dev/null; }

# launch NAME LOG cmd...: cmd in the background, detached from this
# script (it outlives it), output appended to LOG, pid recorded.
launch() {
	local name=$1 log=$2
	shift 2
	mkdir -p "$CLUSTER_DIR/pids"
	nohup "$@" >> "$log" 2>&1 < /dev/null &
	echo $! > "$CLUSTER_DIR/pids/$name.pid"
}

# halt NAME [SECONDS]: SIGTERM the recorded pid, wait, then SIGKILL.
halt() {
	local pid
	pid=$(pidof_rec "$1")
	[ -n "$pid" ] || return 0
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! wait_for "${2:-15}" gone "$pid"; then
			say "$1 (pid $pid) ignored SIGTERM, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null
			wait_for 10 gone "$pid"
		fi
	fi
	rm -f "$CLUSTER_DIR/pids/$1.pid"
}

# --------------------------------------------------------------- settings
load_env() {
	[ -n "${CLUSTER_DIR-}" ] || die "CLUSTER_DIR is not set"
	[ -s "$CLUSTER_DIR/cluster.env" ] || die "no cluster in $CLUSTER_DIR (cluster.env missing)"
	# shellcheck disable=SC1091
	. "$CLUSTER_DIR/cluster.env"
}

find_bins() {
	local d
	for d in "${CLUSTER_BUILDDIR-}" "$src/build" "$src"; do
		if [ -n "$d" ] && [ -x "$d/cmpd" ] && [ -x "$d/cmp-localca" ]; then
			CMPD_BIN=$d/cmpd
			LOCALCA_BIN=$d/cmp-localca
			return 0
		fi
	done
	CMPD_BIN=$(command -v cmpd) && LOCALCA_BIN=$(command -v cmp-localca) ||
		die "cmpd and cmp-localca not found: build them or set CLUSTER_BUILDDIR"
}

# Below the kernel's ephemeral range (ip_local_port_range): a node that is
# down must find its port free again, not taken by an outgoing connection.
pick_ports() {
	local p i try ok low rest
	if [ -n "${CLUSTER_PORT-}" ]; then
		P=$CLUSTER_PORT
		return 0
	fi
	read -r low rest < /proc/sys/net/ipv4/ip_local_port_range 2> /dev/null ||
		low=32768
	[ "$low" -gt 21000 ] 2> /dev/null || low=60000
	for try in $(seq 1 40); do
		p=$((20000 + (RANDOM % ((low - 20000) / 50 - 1)) * 50))
		ok=1
		for i in $(seq 0 49); do
			port_free $((p + i)) || { ok=0; break; }
		done
		if [ "$ok" = 1 ]; then
			P=$p
			return 0
		fi
	done
	die "no range of 50 free ports found on 127.0.0.1"
}

sql_port() { echo $((P + $1)); }
node_sock() { echo "$CLUSTER_DIR/n$1/mysql.sock"; }

# nsql N ARGS...: the mariadb client as root (unix_socket) on node N
nsql() {
	local n=$1
	shift
	timeout 30 mariadb --no-defaults -S "$(node_sock "$n")" -u root -N -B "$@"
}
wsrep_var() { nsql "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2; }
node_synced() {
	[ "$(wsrep_var "$1" wsrep_local_state_comment)" = Synced ] &&
	[ "$(wsrep_var "$1" wsrep_ready)" = ON ]
}
cluster_size_is() { [ "$(wsrep_var "$1" wsrep_cluster_size)" = "$2" ]; }

# ---------------------------------------------------------------- Galera
node_conf() {	# node_conf N: the node's option file
	local n=$1 d=$CLUSTER_DIR/n$1 user=""
	[ -z "$DB_USER" ] || user="user = $DB_USER"
	cat > "$d/my.cnf" <<-EOF
	# written by contrib/cluster/cluster.sh
	[mysqld]
	$user
	datadir = $d/data
	tmpdir = $d/tmp
	socket = $d/mysql.sock
	pid-file = $d/mariadb.pid
	log-error = $d/mariadb.log
	bind-address = 127.0.0.1
	port = $(sql_port "$n")
	skip-name-resolve
	max-connections = 300
	character-set-server = utf8mb4
	collation-server = utf8mb4_general_ci
	innodb-buffer-pool-size = 64M
	innodb-log-file-size = 16M
	innodb-use-native-aio = 0
	# a crashed node loses nothing committed: the others have it, and it
	# catches up by IST or SST when it joins again
	innodb-flush-log-at-trx-commit = 2
	# what Galera needs
	binlog-format = ROW
	default-storage-engine = InnoDB
	innodb-autoinc-lock-mode = 2
	wsrep-on = ON
	wsrep-provider = $GALERA
	wsrep-cluster-name = cmpd-cluster
	wsrep-cluster-address = gcomm://127.0.0.1:$((P + 11)),127.0.0.1:$((P + 12)),127.0.0.1:$((P + 13))
	wsrep-node-name = n$n
	wsrep-node-address = 127.0.0.1:$((P + 10 + n))
	wsrep-node-incoming-address = 127.0.0.1:$(sql_port "$n")
	wsrep-sst-method = rsync
	wsrep-sst-receive-address = 127.0.0.1:$((P + 30 + n))
	wsrep-slave-threads = 2
	wsrep-provider-options = "gmcast.listen_addr=tcp://127.0.0.1:$((P + 10 + n));ist.recv_addr=127.0.0.1:$((P + 20 + n));gcache.size=128M;evs.suspect_timeout=PT5S;evs.inactive_timeout=PT10S;pc.wait_prim_timeout=PT60S"
	EOF
}

# node_start N [--wsrep-new-cluster]: start node N and wait until it is
# Synced (a joiner first gets the data by SST or IST).  A joiner whose
# state transfer could not even begin (its SST port taken by another
# process: the rsync daemon dies at once, and mariadbd with it) is
# started again, at most 3 times, 5 s apart.
node_start() {
	local n=$1 d=$CLUSTER_DIR/n$1 pid try size sst=$((P + 30 + $1)) busy
	shift
	pid=$(pidof_rec "node$n")
	if [ -n "$pid" ] && alive "$pid"; then
		return 0
	fi
	mkdir -p "$d/data" "$d/tmp"
	[ -z "$DB_USER" ] || chown -R "$DB_USER:" "$d"
	for try in 1 2 3; do
		size=$(stat -c %s "$d/mariadb.log" 2>/dev/null || echo 0)
		rm -f "$d/mysql.sock"
		launch "node$n" "$d/mariadb.out" mariadbd --defaults-file="$d/my.cnf" "$@"
		node_wait "$n" && return 0
		if [ "$try" -lt 3 ] && [ "${1-}" != --wsrep-new-cluster ] &&
		    tail -c +$((size + 1)) "$d/mariadb.log" 2>/dev/null |
		    grep -q "Failed to prepare for '.*' SST"; then
			busy="in use"
			! port_free "$sst" || busy="free now"
			say "Galera node n$n: its state transfer did not begin" \
			    "(SST port $sst $busy); starting it again"
			sleep 5
			continue
		fi
		tail_log "$d/mariadb.log"
		die "Galera node n$n exited during start-up ($d/mariadb.log)"
	done
}

# node_wait N: wait until node N is Synced; non-zero if its mariadbd
# exited first (dies when it is not Synced within TIMEOUT)
node_wait() {
	local n=$1 d=$CLUSTER_DIR/n$1 pid
	pid=$(pidof_rec "node$n")
	local deadline=$((SECONDS + TIMEOUT))
	until node_synced "$n"; do
		gone "$pid" && return 1
		if [ "$SECONDS" -ge "$deadline" ]; then
			tail_log "$d/mariadb.log"
			die "Galera node n$n not Synced within $TIMEOUT s ($d/mariadb.log)"
		fi
		sleep 0.5
	done
}

node_stop() {
	local n=$1 pid
	pid=$(pidof_rec "node$n")
	[ -n "$pid" ] || return 0
	if alive "$pid"; then
		timeout 60 mariadb-admin --no-defaults -S "$(node_sock "$n")" -u root \
			shutdown > /dev/null 2>&1
		wait_for 60 gone "$pid"
	fi
	halt "node$n" 10
}

# node_kill N: SIGKILL node N's mariadbd (a crashed database host)
node_kill() {
	local pid
	pid=$(pidof_rec "node$1")
	[ -n "$pid" ] || die "node n$1 was not started here"
	kill -KILL "$pid" 2>/dev/null
	wait_for 10 gone "$pid" || die "node n$1 (pid $pid) did not die"
	rm -f "$CLUSTER_DIR/pids/node$1.pid"
}

galera_start() {
	local n fresh=0
	for n in $NODES; do
		mkdir -p "$CLUSTER_DIR/n$n/data" "$CLUSTER_DIR/n$n/tmp"
		node_conf "$n"
		[ -z "$DB_USER" ] || chown -R "$DB_USER:" "$CLUSTER_DIR/n$n"
	done
	if [ ! -d "$CLUSTER_DIR/n1/data/mysql" ]; then
		fresh=1
		say "creating the data directory of n1"
		# wsrep off while the system tables are made
		timeout "$TIMEOUT" mariadb-install-db --defaults-file="$CLUSTER_DIR/n1/my.cnf" \
			--wsrep-on=OFF --auth-root-authentication-method=socket \
			--skip-test-db > "$CLUSTER_DIR/n1/install.log" 2>&1 || {
			tail_log "$CLUSTER_DIR/n1/install.log"
			die "mariadb-install-db failed"
		}
	else
		# restarted after `stop`: n1 was shut down last and may
		# bootstrap the cluster again
		sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' \
			"$CLUSTER_DIR/n1/data/grastate.dat" 2>/dev/null
	fi
	say "starting Galera node n1 (bootstrap, SQL port $(sql_port 1))"
	node_start 1 --wsrep-new-cluster
	if [ "$fresh" = 1 ]; then
		[ -s "$CLUSTER_DIR/db.pw" ] ||
			(umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' > "$CLUSTER_DIR/db.pw")
		local pw
		pw=$(cat "$CLUSTER_DIR/db.pw")
		# the SQL on stdin: a command line is every local user's
		nsql 1 <<-EOF ||
			CREATE DATABASE IF NOT EXISTS cmpd;
			CREATE USER IF NOT EXISTS 'cmpd'@'127.0.0.1' IDENTIFIED BY '$pw';
			CREATE USER IF NOT EXISTS 'cmpd'@'localhost' IDENTIFIED BY '$pw';
			GRANT ALL ON cmpd.* TO 'cmpd'@'127.0.0.1';
			GRANT ALL ON cmpd.* TO 'cmpd'@'localhost';
		EOF
			die "cannot create the database cmpd and its user"
	fi
	# one joiner at a time: each SST has n1 as the donor
	for n in 2 3; do
		say "starting Galera node n$n (joins by SST/IST, SQL port $(sql_port "$n"))"
		node_start "$n"
	done
	wait_for "$TIMEOUT" cluster_size_is 1 3 ||
		die "wsrep_cluster_size is not 3 on n1"
	say "Galera cluster of 3 nodes Synced"
}

# ------------------------------------------------------------------- CA
make_ca() {
	local d=$CLUSTER_DIR/ca
	[ -s "$d/ca.key" ] && return 0
	mkdir -p "$d"
	printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$d/ca.ext"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/root.key" -out "$d/root.crt" -days 3650 \
		-subj "/O=cmpd cluster/CN=Cluster Root CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.csr" \
		-subj "/O=cmpd cluster/CN=Cluster Issuing CA" 2>/dev/null &&
	openssl x509 -req -in "$d/ca.csr" -CA "$d/root.crt" -CAkey "$d/root.key" \
		-CAcreateserial -days 1825 -extfile "$d/ca.ext" -out "$d/ca.crt" 2>/dev/null &&
	cp "$d/root.crt" "$d/chain.pem" || die "openssl could not make the demo CA"
	chmod 600 "$d"/*.key
}

localca_start() {
	local d=$CLUSTER_DIR/ca
	make_ca
	[ -s "$CLUSTER_DIR/localca.pw" ] ||
		(umask 077 && openssl rand -hex 24 > "$CLUSTER_DIR/localca.pw")
	# n3 first, or n3 alone when cmp-localca has no db_hosts
	local db
	for db in "db_hosts = 127.0.0.1:$(sql_port 3), 127.0.0.1:$(sql_port 1), 127.0.0.1:$(sql_port 2)" \
	    "db_host = 127.0.0.1"; do
		cat > "$d/localca.conf" <<-EOF
		# written by contrib/cluster/cluster.sh
		listen = $d/localca.sock
		ca_dir = $d
		validity_days = 30
		$db
		db_port = $(sql_port 3)
		db_user = cmpd
		db_password_file = $CLUSTER_DIR/db.pw
		db_name = cmpd
		log_level = info
		auth_user = cmpd
		auth_password_file = $CLUSTER_DIR/localca.pw
		EOF
		"$LOCALCA_BIN" -n -c "$d/localca.conf" > "$d/check.log" 2>&1 && break
	done
	"$LOCALCA_BIN" -n -c "$d/localca.conf" > "$d/check.log" 2>&1 || {
		tail_log "$d/check.log"
		die "cmp-localca refused its configuration"
	}
	rm -f "$d/localca.sock"
	# as root without "user", as cmpd below: a demo on loopback
	local root=""
	[ "$(id -u)" != 0 ] || root=--allow-root
	# shellcheck disable=SC2086 # empty or one word
	launch localca "$d/localca.log" "$LOCALCA_BIN" -f -c "$d/localca.conf" $root
	wait_for 30 test -S "$d/localca.sock" || {
		tail_log "$d/localca.log"
		die "cmp-localca did not start"
	}
	mkdir -p "$d/www"
	cat > "$d/lighttpd.conf" <<-EOF
	# written by contrib/cluster/cluster.sh
	server.document-root = "$d/www"
	server.errorlog = "$d/lighttpd-error.log"
	server.upload-dirs = ( "$d" )
	var.cmp_localca_socket = "$d/localca.sock"
	var.cmp_localca_port = $((P + 43))
	include "$src/contrib/lighttpd/cmp-localca.conf"
	EOF
	launch lighttpd-ca "$d/lighttpd-error.log" lighttpd -D -f "$d/lighttpd.conf"
	wait_for 30 port_open $((P + 43)) || {
		tail_log "$d/lighttpd-error.log"
		die "the CA's lighttpd did not start"
	}
}

# ------------------------------------------------------------ cmpd hosts
# db_lines HOST: the database part of the host's cmpd.conf
db_lines() {
	local order
	case $1 in a) order="1 2 3" ;; *) order="2 3 1" ;; esac
	if [ "$DB_HOSTS" = 1 ]; then
		local n list=""
		for n in $order; do
			list="$list${list:+, }127.0.0.1:$(sql_port "$n")"
		done
		echo "db_hosts = $list"
	else
		echo "db_host = 127.0.0.1"
		echo "db_port = $(sql_port "${order%% *}")"
	fi
}

# probe_db_hosts: does this cmpd accept db_hosts?  (cmpd -n on a config
# that has it; --no-db and --allow-root came with db_hosts, an older cmpd
# refuses them as it refuses the key)
probe_db_hosts() {
	local f=$CLUSTER_DIR/probe.conf
	printf 'listen = %s/probe.sock\ndb_hosts = 127.0.0.1:%s, 127.0.0.1:%s\n' \
		"$CLUSTER_DIR" "$(sql_port 1)" "$(sql_port 2)" > "$f"
	if "$CMPD_BIN" -n --no-db --allow-root -c "$f" > "$CLUSTER_DIR/probe.log" 2>&1; then
		DB_HOSTS=1
	else
		DB_HOSTS=0
	fi
	rm -f "$f"
}

host_conf() {	# host_conf H
	local h=$1 d=$CLUSTER_DIR/$1
	mkdir -p "$d/www"
	{
		echo "# written by contrib/cluster/cluster.sh"
		echo "listen = $d/cmpd.sock"
		echo "workers = $WORKERS"
		echo "max_requests = 10000"
		echo "server_name = CN=cmpd"
		echo "log_level = info"
		echo "pid_file = $d/cmpd.pid"
		db_lines "$h"
		echo "db_user = cmpd"
		echo "db_password_file = $CLUSTER_DIR/db.pw"
		echo "db_name = cmpd"
		echo "db_connect_timeout = 3"
		echo "connector_timeout = 20"
		echo "schema_dir = $src/schema"
		# one key for both hosts: each decrypts what the other stored
		echo "secret_key_file = $CLUSTER_DIR/secret.key"
		[ -z "${CLUSTER_CMPD_CONF-}" ] || printf '%s\n' "$CLUSTER_CMPD_CONF"
	} > "$d/cmpd.conf"
	cat > "$d/lighttpd.conf" <<-EOF
	# written by contrib/cluster/cluster.sh
	server.port = $(host_port "$h")
	server.bind = "127.0.0.1"
	server.document-root = "$d/www"
	server.errorlog = "$d/lighttpd-error.log"
	server.upload-dirs = ( "$d" )
	server.modules = ( "mod_accesslog" )
	accesslog.filename = "$d/lighttpd-access.log"
	var.cmpd_socket = "$d/cmpd.sock"
	include "$src/contrib/lighttpd/cmpd.conf"
	EOF
}

host_port() { case $1 in a) echo $((P + 41)) ;; *) echo $((P + 42)) ;; esac; }

host_start() {	# host_start H: cmpd and its lighttpd
	local h=$1 d=$CLUSTER_DIR/$1 pid root=""
	case $h in a|b) ;; *) die "no host '$h' (a or b)" ;; esac
	[ "$(id -u)" != 0 ] || root=--allow-root
	pid=$(pidof_rec "cmpd-$h")
	if [ -z "$pid" ] || gone "$pid"; then
		rm -f "$d/cmpd.sock"
		launch "cmpd-$h" "$d/cmpd.log" "$CMPD_BIN" -f -c "$d/cmpd.conf" $root
		pid=$(pidof_rec "cmpd-$h")
		local deadline=$((SECONDS + 30))
		until [ -S "$d/cmpd.sock" ]; do
			if gone "$pid" || [ "$SECONDS" -ge "$deadline" ]; then
				tail_log "$d/cmpd.log"
				die "cmpd of host $h did not start ($d/cmpd.log)"
			fi
			sleep 0.1
		done
	fi
	pid=$(pidof_rec "lighttpd-$h")
	if [ -z "$pid" ] || gone "$pid"; then
		launch "lighttpd-$h" "$d/lighttpd-error.log" lighttpd -D -f "$d/lighttpd.conf"
		wait_for 30 port_open "$(host_port "$h")" || {
			tail_log "$d/lighttpd-error.log"
			die "lighttpd of host $h did not start"
		}
	fi
}

# host_kill H: SIGKILL the host's lighttpd, cmpd master and workers (a
# crashed machine)
host_kill() {
	local h=$1 name pid w
	for name in "lighttpd-$h" "cmpd-$h"; do
		pid=$(pidof_rec "$name")
		[ -n "$pid" ] || continue
		if [ "$name" = "cmpd-$h" ]; then
			for w in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
				kill -KILL "$w" 2>/dev/null
			done
		fi
		kill -KILL "$pid" 2>/dev/null
		wait_for 10 gone "$pid"
		rm -f "$CLUSTER_DIR/pids/$name.pid"
	done
}

host_stop() {
	halt "lighttpd-$1" 10
	halt "cmpd-$1" 20
}

# seed: the demo CMP Profile "enroll" (as t/lib.sh t_seed_enroll does),
# through n1; the secrets go in with cmpd itself (encrypted at rest)
seed() {
	local n
	n=$(nsql 1 cmpd -e "SELECT COUNT(*) FROM cmp_profile WHERE name = 'enroll'") ||
		die "cannot read cmp_profile on n1"
	[ "$n" = 0 ] || return 0
	nsql 1 cmpd -e "
INSERT INTO connector (uuid, name, url, auth_type, insecure) VALUES
  ('00000000-0000-4000-8000-00000000e0c1', 'localca', 'http://127.0.0.1:$((P + 43))/localca', 'basic', 1);
INSERT INTO authority (uuid, name, connector_uuid, authority_instance_uuid) VALUES
  ('00000000-0000-4000-8000-00000000e0a1', 'localca', '00000000-0000-4000-8000-00000000e0c1',
   '00000000-0000-4000-8000-00000000e0a2');
INSERT INTO ra_profile (uuid, name, enabled, authority_uuid) VALUES
  ('00000000-0000-4000-8000-00000000e001', 'ra-enroll', 1, '00000000-0000-4000-8000-00000000e0a1');
INSERT INTO cmp_profile (uuid, name, enabled, request_protection, response_protection,
    default_ra_profile_uuid, shared_secret_reference) VALUES
  ('00000000-0000-4000-8000-00000000e101', 'enroll', 1, 'sharedSecret', 'sharedSecret',
   '00000000-0000-4000-8000-00000000e001', '$REF');
UPDATE ra_profile SET cmp_profile_uuid = '00000000-0000-4000-8000-00000000e101'
  WHERE name = 'ra-enroll';" || die "seeding the demo profile failed"
	printf '%s\n' "$SECRET" |
		"$CMPD_BIN" -c "$CLUSTER_DIR/a/cmpd.conf" --set-shared-secret enroll \
		> "$CLUSTER_DIR/seed.log" 2>&1 || { tail_log "$CLUSTER_DIR/seed.log"; die "--set-shared-secret failed"; }
	printf '{"username":"cmpd","password":"%s"}\n' "$(cat "$CLUSTER_DIR/localca.pw")" |
		"$CMPD_BIN" -c "$CLUSTER_DIR/a/cmpd.conf" --set-connector-credentials localca \
		>> "$CLUSTER_DIR/seed.log" 2>&1 || { tail_log "$CLUSTER_DIR/seed.log"; die "--set-connector-credentials failed"; }
}

# --------------------------------------------------------------- HAProxy
haproxy_start() {
	local d=$CLUSTER_DIR/haproxy
	mkdir -p "$d"
	cat > "$d/haproxy.cfg" <<-EOF
	# written by contrib/cluster/cluster.sh
	global
	    maxconn 512
	    stats socket $d/haproxy.sock mode 600 level admin

	defaults
	    mode http
	    log global
	    timeout connect 2s
	    timeout client 60s
	    timeout server 60s
	    # close the server side after each answer, so that every request
	    # is balanced on its own: an ir may go to one host, its certConf
	    # to the other
	    option http-server-close
	    http-reuse never
	    # a refused or failed connection goes to the other host
	    retries 2
	    option redispatch 1

	frontend cmp
	    bind 127.0.0.1:$((P + 40))
	    default_backend cmpd

	backend cmpd
	    balance roundrobin
	    # cmpd's /health: 200 while its database answers
	    option httpchk GET /health
	    http-check expect status 200
	    # its connector probes take up to 0.8 s: a check is not cut
	    # at inter (1 s) while a CA hangs
	    timeout check 3s
	    default-server inter 1s fall 2 rise 2
	    server a 127.0.0.1:$((P + 41)) check
	    server b 127.0.0.1:$((P + 42)) check

	frontend stats
	    bind 127.0.0.1:$((P + 44))
	    stats enable
	    stats uri /
	    stats refresh 5s
	EOF
	haproxy -c -f "$d/haproxy.cfg" > "$d/check.log" 2>&1 || {
		tail_log "$d/check.log"
		die "HAProxy refused its configuration"
	}
	# -db: in the foreground (its pid is the one recorded)
	launch haproxy "$d/haproxy.log" haproxy -db -f "$d/haproxy.cfg"
	wait_for 30 port_open $((P + 40)) || {
		tail_log "$d/haproxy.log"
		die "HAProxy did not start"
	}
}

# haproxy_up H: HAProxy has server H of backend cmpd UP
haproxy_up() {
	curl -s --max-time 5 "http://127.0.0.1:$((P + 44))/;csv" |
		grep -q "^cmpd,$1,.*,UP,"
}

# ----------------------------------------------------------------- start
write_env() {
	cat > "$CLUSTER_DIR/cluster.env" <<-EOF
	# written by contrib/cluster/cluster.sh start
	CLUSTER_DIR=$CLUSTER_DIR
	P=$P
	CLUSTER_URL=http://127.0.0.1:$((P + 40))
	HAPROXY_PORT=$((P + 40))
	HOST_A_PORT=$((P + 41))
	HOST_B_PORT=$((P + 42))
	CA_PORT=$((P + 43))
	STATS_URL=http://127.0.0.1:$((P + 44))/
	NODE1_PORT=$(sql_port 1)
	NODE2_PORT=$(sql_port 2)
	NODE3_PORT=$(sql_port 3)
	CMPD_BIN=$CMPD_BIN
	LOCALCA_BIN=$LOCALCA_BIN
	DB_HOSTS=$DB_HOSTS
	CLUSTER_SECRET=$SECRET
	CLUSTER_REF=$REF
	EOF
}

deps() {
	# galera-4 comes with mariadb-server; rsync is the SST method
	[ -r "$src/contrib/deps.sh" ] || return 0
	# shellcheck disable=SC1091
	. "$src/contrib/deps.sh"
	DEPS_PACKAGES="mariadb-server mariadb-client galera-4 rsync iproute2 haproxy lighttpd curl openssl"
	deps_install || die "missing packages (see above)"
	[ -r "$GALERA" ] || die "$GALERA missing (Debian package galera-4)"
}

cmd_start() {
	if [ -z "${CLUSTER_DIR-}" ]; then
		CLUSTER_DIR=$(mktemp -d /tmp/cmpd-cluster.XXXXXX) && chmod 711 "$CLUSTER_DIR" || die "mktemp failed"
	fi
	mkdir -p "$CLUSTER_DIR" || die "cannot create $CLUSTER_DIR"
	CLUSTER_DIR=$(cd "$CLUSTER_DIR" && pwd)
	export CLUSTER_DIR
	[ ${#CLUSTER_DIR} -le 70 ] || die "CLUSTER_DIR $CLUSTER_DIR is too long for Unix socket paths"
	if [ -n "$DB_USER" ] && [ "$DB_USER" != root ]; then
		# the nodes' user reaches its directories
		runuser -u "$DB_USER" -- test -x "$CLUSTER_DIR" ||
			die "user $DB_USER cannot enter $CLUSTER_DIR: make it and its parents mode 711"
	fi
	local f
	for f in "$CLUSTER_DIR"/pids/*.pid; do
		[ -e "$f" ] || continue
		if alive "$(cat "$f")"; then
			die "a cluster runs in $CLUSTER_DIR already (${f##*/}); stop it first"
		fi
	done
	deps
	find_bins
	if [ -s "$CLUSTER_DIR/cluster.env" ]; then
		# started before: same ports
		P=$(sed -n 's/^P=//p' "$CLUSTER_DIR/cluster.env")
	else
		pick_ports
	fi
	[ -s "$CLUSTER_DIR/secret.key" ] ||
		(umask 077 && openssl rand -hex 32 > "$CLUSTER_DIR/secret.key")
	say "directory $CLUSTER_DIR, ports $P..$((P + 49))"
	probe_db_hosts
	write_env
	galera_start
	host_conf a
	host_conf b
	if [ "$DB_HOSTS" = 1 ]; then
		say "cmpd accepts db_hosts: each host lists all three nodes"
	else
		say "cmpd has no db_hosts: host a uses n1, host b n2 (db_host/db_port)"
	fi
	timeout "$TIMEOUT" "$CMPD_BIN" -c "$CLUSTER_DIR/a/cmpd.conf" --migrate \
		> "$CLUSTER_DIR/migrate.log" 2>&1 || {
		tail_log "$CLUSTER_DIR/migrate.log"
		die "cmpd --migrate failed"
	}
	localca_start
	seed
	host_start a
	host_start b
	haproxy_start
	wait_for 60 haproxy_up a && wait_for 60 haproxy_up b || {
		tail_log "$CLUSTER_DIR/haproxy/haproxy.log"
		die "HAProxy does not see both hosts healthy (see $STATS_URL)"
	}
	say "ready: CMP at http://127.0.0.1:$((P + 40))/api/v1/protocols/cmp/enroll" \
		"(reference $REF, secret $SECRET)"
	say "settings in $CLUSTER_DIR/cluster.env; stop with CLUSTER_DIR=$CLUSTER_DIR $0 stop"
}

cmd_stop() {
	[ -n "${CLUSTER_DIR-}" ] || die "CLUSTER_DIR is not set"
	[ -d "$CLUSTER_DIR/pids" ] || return 0
	P=$(sed -n 's/^P=//p' "$CLUSTER_DIR/cluster.env" 2>/dev/null)
	halt haproxy 10
	host_stop a
	host_stop b
	halt lighttpd-ca 10
	halt localca 10
	# n1 last: it can bootstrap the cluster again (start after stop)
	node_stop 3
	node_stop 2
	node_stop 1
	say "stopped (data kept in $CLUSTER_DIR)"
}

cmd_status() {
	local name pid n rc=0
	load_env
	for f in "$CLUSTER_DIR"/pids/*.pid; do
		[ -e "$f" ] || continue
		name=${f##*/}
		name=${name%.pid}
		pid=$(cat "$f")
		if alive "$pid"; then
			printf '%-12s pid %-8s running\n' "$name" "$pid"
		else
			printf '%-12s pid %-8s gone\n' "$name" "$pid"
			rc=1
		fi
	done
	for n in $NODES; do
		printf 'n%s  port %s  size=%s  state=%s\n' "$n" "$(sql_port "$n")" \
			"$(wsrep_var "$n" wsrep_cluster_size)" \
			"$(wsrep_var "$n" wsrep_local_state_comment)"
	done
	for n in $HOSTS; do
		if haproxy_up "$n"; then
			echo "haproxy: host $n UP"
		else
			echo "haproxy: host $n not UP"
		fi
	done
	return "$rc"
}

case ${1-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
node-kill) load_env; node_kill "${2:?node number}" ;;
node-start) load_env; node_start "${2:?node number}" ;;
host-kill) load_env; host_kill "${2:?host a or b}" ;;
host-start) load_env; host_start "${2:?host a or b}" ;;
*)
	echo "usage: $0 start|stop|status|node-kill N|node-start N|host-kill H|host-start H" >&2
	exit 2
	;;
esac
