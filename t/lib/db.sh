# t/lib/db.sh -- a private MariaDB for a test: t_start_db, t_stop_db,
# t_restart_db, t_kill_db, t_sql
# Part of t/lib.sh, which sources it: tests source t/lib.sh only.

# ============================================================== MariaDB
DB_SOCK=""
DB_PID=""
DB_ROOT_USER=$(id -un)   # install-db's unix_socket account for this OS user

_t_db_args() {
	local user=()
	[ "$(id -u)" != 0 ] || user=(--user=root)
	# A private tmpdir: two bootstraps sharing /tmp (make -j2 check) can
	# remove each other's temporary tables and fail or crash.
	mkdir -p "$T/dbtmp"
	# --no-defaults must come first: ignore /etc/mysql entirely.
	_t_db_argv=(--no-defaults "${user[@]}" --datadir="$T/db" --tmpdir="$T/dbtmp"
		--innodb-buffer-pool-size=16M --innodb-log-file-size=4M
		--innodb-temp-data-file-path=ibtmp1:4M:autoextend --innodb-use-native-aio=0
		--innodb-flush-log-at-trx-commit=2 --skip-log-bin)
}

_t_db_ping() {
	mariadb-admin --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" \
		--connect-timeout=2 ping
}

# t_start_db: private MariaDB in $T/db, Unix socket $T/mysql.sock only
# (with T_DB_PORT set: also TCP on 127.0.0.1:$T_DB_PORT; T_DB_PORT=auto
# takes a free port, and another one if a test running alongside binds it
# first, and sets T_DB_PORT to the port MariaDB listens on).
# First call creates the data dir, database cmpd and user cmpd@localhost
# (random password in $T/db.pw, mode 600); later calls (t_restart_db) reuse it.
t_start_db() {
	local try
	[ "${T_DB_PORT-}" = auto ] || { _t_start_db; return; }
	for try in 1 2 3 4 5; do
		T_DB_PORT=$(_t_free_port) || bail "no free port for MariaDB"
		_t_db_port_lost=0
		_t_start_db && return 0
		[ "$_t_db_port_lost" = 1 ] || break
		diag "port $T_DB_PORT was taken before MariaDB bound it; another one"
	done
	bail "MariaDB did not start"
}
_t_start_db() {
	local pw net=(--skip-networking)
	[ -z "${T_DB_PORT-}" ] || net=(--port="$T_DB_PORT" --bind-address=127.0.0.1)
	[ -n "${T-}" ] || bail "t_start_db before t_setup"
	[ -z "$DB_PID" ] || return 0
	DB_SOCK=$T/mysql.sock
	export DB_SOCK
	_t_db_args
	if [ ! -d "$T/db/mysql" ]; then
		timeout 60 mariadb-install-db "${_t_db_argv[@]}" \
			--auth-root-authentication-method=socket --skip-test-db \
			> "$T/mariadb-install.log" 2>&1 || {
			diag_file "$T/mariadb-install.log"
			bail "mariadb-install-db failed"
		}
	fi
	mariadbd "${_t_db_argv[@]}" --socket="$DB_SOCK" "${net[@]}" \
		--pid-file="$T/mariadb.pid" --log-error="$T/mariadb.log" \
		--max-connections=200 \
		--character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
		> "$T/mariadb.out" 2>&1 &
	DB_PID=$!
	local deadline=$((SECONDS + 30))
	until _t_db_ping > /dev/null 2>&1; do
		if [ "${T_DB_PORT-}" ] && _t_gone "$DB_PID" &&
			grep -q "Bind on TCP/IP port" "$T/mariadb.log" 2>/dev/null; then
			# a port found free was taken before the bind: the caller
			# (T_DB_PORT=auto) tries another
			wait "$DB_PID" 2>/dev/null
			DB_PID=""
			_t_db_port_lost=1
			: > "$T/mariadb.log"
			return 1
		fi
		if _t_gone "$DB_PID" || [ "$SECONDS" -ge "$deadline" ]; then
			diag_file "$T/mariadb.log"
			diag_file "$T/mariadb.out"
			bail "MariaDB did not start within 30 s"
		fi
		sleep 0.1
	done
	if [ ! -f "$T/db.pw" ]; then
		pw=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
		(umask 077 && printf '%s' "$pw" > "$T/db.pw")
		mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" <<-EOF ||
			CREATE DATABASE cmpd;
			CREATE USER 'cmpd'@'localhost' IDENTIFIED BY '$pw';
			GRANT ALL ON cmpd.* TO 'cmpd'@'localhost';
		EOF
			bail "cannot create database cmpd"
	fi
	return 0
}

# t_stop_db: clean shutdown (bounded), SIGKILL as a last resort.
t_stop_db() {
	[ -n "$DB_PID" ] || return 0
	if ! _t_gone "$DB_PID"; then
		timeout 30 mariadb-admin --no-defaults -S "$DB_SOCK" \
			-u "$DB_ROOT_USER" shutdown > /dev/null 2>&1
		t_wait 30 _t_gone "$DB_PID"
	fi
	_t_stop_pid "$DB_PID" 10
	DB_PID=""
	return 0
}

t_restart_db() {
	t_stop_db
	t_start_db
}

# t_kill_db: crash MariaDB (SIGKILL) for fault-injection tests.
t_kill_db() {
	[ -n "$DB_PID" ] || return 0
	kill -KILL "$DB_PID" 2>/dev/null
	t_wait 10 _t_gone "$DB_PID"
	wait "$DB_PID" 2>/dev/null
	DB_PID=""
	return 0
}

# t_sql "SQL"   run SQL as the database superuser on database cmpd; prints
# the result rows tab-separated, no column names.
t_sql() {
	timeout 30 mariadb --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" \
		-N -B cmpd -e "$1"
}
