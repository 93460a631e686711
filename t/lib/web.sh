# t/lib/web.sh -- the web servers in front of cmpd: free ports,
# t_start_lighttpd / t_stop_lighttpd, t_start_apache / t_stop_apache
# Part of t/lib.sh, which sources it: tests source t/lib.sh only.

# ============================================================= lighttpd
LIGHTTPD_PID=""
HTTP_PORT=""
HTTP_BASE=""

# _t_port_free PORT: nothing listens on 127.0.0.1:PORT
_t_port_free() {
	if command -v ss > /dev/null 2>&1; then
		[ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ] || return 1
	fi
	! (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

_t_port_open() {
	(exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

# t_listens PID PORT: process PID listens on TCP port PORT (not some other
# process that took the port first).
t_listens() {
	if ! command -v ss > /dev/null 2>&1; then
		! _t_gone "$1" && _t_port_open "$2"
		return
	fi
	ss -Hltnp "sport = :$2" 2> /dev/null | grep -q "pid=$1,"
}

# _t_start_web NAME PIDVAR: starts web server NAME on a free port of
# 127.0.0.1 with the helpers _t_NAME_conf PORT (writes its configuration),
# _t_NAME_run (execs it in the foreground: the background subshell becomes
# the server, so PIDVAR is the server's pid) and _t_NAME_check (validates
# the configuration). Retries other ports after a lost race; sets PIDVAR,
# HTTP_PORT and HTTP_BASE.  A _t_NAME_conf that opens a second port sets
# _t_web_port2 to it; the server counts as started once both are open.
_t_web_port2=""
_t_ports_open() {
	_t_port_open "$1" && { [ -z "$_t_web_port2" ] || _t_port_open "$_t_web_port2"; }
}
# _t_random_port: a port from 21000 up to the kernel's ephemeral range
# (ip_local_port_range), never in it: an outgoing connection could take
# the port of a service while it is down, and the service (a database
# node brought back under load) could not bind it again.  20000-20999
# are t_free_port_block's alone.
_t_random_port() {
	local low rest
	read -r low rest < /proc/sys/net/ipv4/ip_local_port_range 2> /dev/null ||
		low=32768
	[ "$low" -gt 22000 ] 2> /dev/null || low=60000
	echo $((21000 + RANDOM % (low - 21000)))
}
# t_free_port_block: prints P, the first of 50 consecutive ports of
# 127.0.0.1 in 20000-20999 that are all free now (the Galera cluster's
# nodes, contrib/cluster/cluster.sh CLUSTER_PORT).  No other port a test
# takes lies there: a node's SST and IST ports are bound only while it
# joins, and a test running alongside could otherwise take one between.
t_free_port_block() {
	local p i try ok
	for try in $(seq 1 40); do
		p=$((20000 + (RANDOM % 20) * 50))
		ok=1
		for i in $(seq 0 49); do
			_t_port_free $((p + i)) || { ok=0; break; }
		done
		if [ "$ok" = 1 ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
# _t_free_port: prints a port of 127.0.0.1 that is free now.
_t_free_port() {
	local port try
	for try in $(seq 1 50); do
		port=$(_t_random_port)
		if _t_port_free "$port"; then
			echo "$port"
			return 0
		fi
	done
	return 1
}
_t_start_web() {
	local name=$1 pidvar=$2 try port pid deadline
	for try in 1 2 3 4 5 6 7 8; do
		port=$(_t_random_port)
		_t_port_free "$port" || continue
		_t_web_port2=""
		"_t_${name}_conf" "$port"
		"_t_${name}_run" >> "$T/$name-error.log" 2>&1 &
		pid=$!
		printf -v "$pidvar" '%s' "$pid"
		deadline=$((SECONDS + 10))
		while ! _t_ports_open "$port"; do
			if _t_gone "$pid" || [ "$SECONDS" -ge "$deadline" ]; then
				break
			fi
			sleep 0.05
		done
		# listening itself, not beside whoever took the port first
		if t_listens "$pid" "$port" &&
			{ [ -z "$_t_web_port2" ] || t_listens "$pid" "$_t_web_port2"; }; then
			HTTP_PORT=$port
			HTTP_BASE=http://127.0.0.1:$port
			export HTTP_PORT HTTP_BASE
			return 0
		fi
		# lost a race for the port, or a config error: retry or give up
		_t_stop_pid "$pid" 5
		printf -v "$pidvar" '%s' ""
		"_t_${name}_check" > /dev/null 2>&1 || break
	done
	diag_file "$T/$name-error.log"
	bail "$name did not start"
}

# t_console_dir: prints $T/console, a copy of the source tree's console/
# (made on the first call) that both web servers serve below /console/;
# a copy, so that Apache's children (www-data) can read it wherever the
# tree is, writable by us (distcheck's source tree is read-only).
t_console_dir() {
	if [ ! -f "$T/console/index.html" ]; then
		rm -rf "$T/console"
		cp -R "$top_srcdir/console" "$T/console" &&
			chmod -R u+w,a+rX "$T/console" || bail "t_console_dir: cannot copy console/"
	fi
	printf '%s\n' "$T/console"
}

# t_start_lighttpd [extra config lines...]: lighttpd on a free port of
# 127.0.0.1 in front of $T/cmpd.sock, with contrib/lighttpd/cmpd.conf.
# Extra lines go after the include; to change a setting the include already
# made, use lighttpd's ":=" operator.  Exports HTTP_PORT and HTTP_BASE.
_t_lighttpd_extra=()
_t_lighttpd_conf() {
	local line
	{
		echo "# written by t/lib.sh t_start_lighttpd"
		echo "server.port = $1"
		echo "server.bind = \"127.0.0.1\""
		echo "server.document-root = \"$T/www\""
		echo "server.errorlog = \"$T/lighttpd-error.log\""
		echo "server.pid-file = \"$T/lighttpd.pid\""
		echo "server.upload-dirs = ( \"$T\" )"
		echo "server.modules = ( \"mod_accesslog\" )"
		echo "accesslog.filename = \"$T/lighttpd-access.log\""
		echo "var.cmpd_socket = \"$T/cmpd.sock\""
		echo "include \"$top_srcdir/contrib/lighttpd/cmpd.conf\""
		# the web console of this tree (t_console_dir), not an installed one
		echo "\$HTTP[\"url\"] =~ \"^/console/\" {"
		echo "	alias.url := ( \"/console/\" => \"$(t_console_dir)/\" )"
		echo "}"
		if [ "${T_TLS-}" = 1 ]; then
			_t_web_port2=$(_t_free_port) || bail "no free port for TLS"
			TLS_PORT=$_t_web_port2
			echo "var.cmpd_tls_socket = \"127.0.0.1:$TLS_PORT\""
			echo "var.cmpd_tls_pemfile = \"$T/tls/server.pem\""
			echo "var.cmpd_tls_privkey = \"$T/tls/server.key\""
			echo "var.cmpd_tls_client_ca = \"$T/tls/ca.crt\""
			echo "include \"$top_srcdir/contrib/lighttpd/cmpd-tls.conf\""
		fi
		for line in "${_t_lighttpd_extra[@]}"; do
			printf '%s\n' "$line"
		done
	} > "$T/lighttpd.conf"
}
_t_lighttpd_run() { exec lighttpd -D -f "$T/lighttpd.conf"; }
_t_lighttpd_check() { lighttpd -tt -f "$T/lighttpd.conf"; }

# With T_WEB=apache, lighttpd stays the connectors' side (cmp-localca, the
# fake CGI connectors) and Apache is started in front of cmpd: HTTP_BASE is
# then Apache's, CONNECTOR_BASE lighttpd's.  The wrappers
# t/*-apache.t run a test so.
# With T_TLS=1 (and t_tls_material), lighttpd also serves HTTPS on
# 127.0.0.1:$TLS_PORT (TLS_BASE) with contrib/lighttpd/cmpd-tls.conf:
# $T/tls/server.pem, client certificates of $T/tls/ca.crt for the
# management API.
t_start_lighttpd() {
	[ -z "$LIGHTTPD_PID" ] || t_stop_lighttpd
	mkdir -p "$T/www"
	_t_lighttpd_extra=("$@")
	if [ "${T_TLS-}" = 1 ]; then
		[ -s "$T/tls/server.pem" ] || t_tls_material
	fi
	_t_start_web lighttpd LIGHTTPD_PID
	CONNECTOR_BASE=$HTTP_BASE
	export CONNECTOR_BASE
	if [ "${T_TLS-}" = 1 ]; then
		TLS_BASE=https://127.0.0.1:$TLS_PORT
		export TLS_PORT TLS_BASE
	fi
	if [ "${T_WEB-}" = apache ]; then
		t_start_apache
	fi
}

t_stop_lighttpd() {
	[ -n "$LIGHTTPD_PID" ] || return 0
	_t_stop_pid "$LIGHTTPD_PID" 10
	LIGHTTPD_PID=""
	return 0
}

# =============================================================== Apache
APACHE_PID=""

# t_start_apache: Apache 2.4 (event MPM, mod_proxy_fcgi) on a free port of
# 127.0.0.1 in front of $T/cmpd.sock, with contrib/apache/cmpd.conf.
# Apache's children run as www-data: $T becomes traversable (0711) and
# cmpd's socket must be world-connectable (listen_mode = 0666 in tests).
# Sets HTTP_PORT and HTTP_BASE like t_start_lighttpd.  Arguments are
# configuration lines that go before the include (e.g. "Define CMPD_TCP
# 127.0.0.1:PORT").  With T_TLS=1 (and t_tls_material) it serves HTTPS
# instead, with contrib/apache/cmpd-site.conf (mod_ssl; server.pem,
# client certificates of $T/tls/ca.crt for the management API): HTTP_BASE
# and TLS_BASE are then https://127.0.0.1:PORT.
_t_apache_extra=()
_t_apache_conf() {
	local mods=/usr/lib/apache2/modules line
	cat > "$T/apache.conf" <<-EOF
	# written by t/lib.sh t_start_apache
	ServerRoot "$T/apache"
	ServerName 127.0.0.1
	Listen 127.0.0.1:$1
	PidFile "$T/apache.pid"
	ErrorLog "$T/apache-error.log"
	CustomLog "$T/apache-access.log" "%m %U %>s"
	LogLevel warn
	LoadModule mpm_event_module $mods/mod_mpm_event.so
	LoadModule authz_core_module $mods/mod_authz_core.so
	LoadModule proxy_module $mods/mod_proxy.so
	LoadModule proxy_fcgi_module $mods/mod_proxy_fcgi.so
	LoadModule env_module $mods/mod_env.so
	LoadModule authz_host_module $mods/mod_authz_host.so
	User $_t_apache_user
	Group $(id -gn "$_t_apache_user")
	StartServers 1
	ServerLimit 2
	ThreadsPerChild 8
	MaxRequestWorkers 16
	LoadModule alias_module $mods/mod_alias.so
	LoadModule headers_module $mods/mod_headers.so
	LoadModule mime_module $mods/mod_mime.so
	LoadModule dir_module $mods/mod_dir.so
	# the console's types come from contrib/apache/cmpd.conf (AddType)
	TypesConfig /dev/null
	DocumentRoot "$T/www"
	Define CMPD_SOCKET $T/cmpd.sock
	Define CMPD_CONSOLE_DIR $(t_console_dir)
	EOF
	for line in "${_t_apache_extra[@]}"; do
		printf '%s\n' "$line" >> "$T/apache.conf"
	done
	if [ "${T_TLS-}" = 1 ]; then
		cat >> "$T/apache.conf" <<-EOF
		LoadModule ssl_module $mods/mod_ssl.so
		LoadModule socache_shmcb_module $mods/mod_socache_shmcb.so
		SSLSessionCache "shmcb:$T/apache/ssl_scache(512000)"
		LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
		Define CMPD_HTTPS_PORT $1
		Define CMPD_SERVER_NAME 127.0.0.1
		Define CMPD_TLS_CERT $T/tls/server.pem
		Define CMPD_TLS_KEY $T/tls/server.key
		Define CMPD_CLIENT_CA $T/tls/ca.crt
		Define CMPD_INCLUDE $top_srcdir/contrib/apache/cmpd.conf
		Define APACHE_LOG_DIR $T
		Include "$top_srcdir/contrib/apache/cmpd-site.conf"
		EOF
	else
		echo "Include \"$top_srcdir/contrib/apache/cmpd.conf\"" >> "$T/apache.conf"
	fi
}
_t_apache_run() { exec apache2 -D FOREGROUND -f "$T/apache.conf"; }
_t_apache_check() { apache2 -t -f "$T/apache.conf"; }

t_start_apache() {
	[ -z "$APACHE_PID" ] || t_stop_apache
	_t_apache_user=www-data
	id "$_t_apache_user" > /dev/null 2>&1 || _t_apache_user=nobody
	mkdir -p "$T/www" "$T/apache"
	chmod 711 "$T"
	_t_apache_extra=("$@")
	if [ "${T_TLS-}" = 1 ]; then
		[ -s "$T/tls/server.pem" ] || t_tls_material
	fi
	_t_start_web apache APACHE_PID
	if [ "${T_TLS-}" = 1 ]; then
		HTTP_BASE=https://127.0.0.1:$HTTP_PORT
		TLS_PORT=$HTTP_PORT
		TLS_BASE=$HTTP_BASE
		export HTTP_BASE TLS_PORT TLS_BASE
	fi
}

t_stop_apache() {
	[ -n "$APACHE_PID" ] || return 0
	_t_stop_pid "$APACHE_PID" 10
	APACHE_PID=""
	return 0
}
