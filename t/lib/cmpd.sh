# t/lib/cmpd.sh -- cmpd under test: t_write_conf, t_migrate, t_stack,
# t_start_cmpd, t_stop_cmpd, t_cmpd_workers
# Part of t/lib.sh, which sources it: tests source t/lib.sh only.

# ================================================================= cmpd
CMPD_PID=""
CMPD_EXIT=""

# t_write_conf [ARG...]   write $T/cmpd.conf.  Each ARG is one of
#   "key = value"   replaces the default line for key, or is appended
#   "-key"          drops the default line for key
#   anything else   appended verbatim (to test the config parser)
t_write_conf() {
	local conf=$T/cmpd.conf arg key line found
	local lines=(
		"listen = $T/cmpd.sock"
		"workers = 2"
		"max_requests = 10000"
		"body_max = 262144"
		"server_name = CN=cmpd"
		"log_level = debug"
		"pid_file = $T/cmpd.pid"
		"db_socket = ${DB_SOCK:-$T/mysql.sock}"
		"db_user = cmpd"
		"db_password_file = $T/db.pw"
		"db_name = cmpd"
		"schema_dir = $top_srcdir/schema"
		"secret_key_file = $T/secret.key"
		# tests change profiles in SQL, behind cmpd's back: every
		# request reads them (t/0047-profile-cache.t tests the cache)
		"profile_cache = 0"
	)
	# Apache's children (www-data) connect to cmpd's socket
	[ "${T_WEB-}" != apache ] || lines+=("listen_mode = 0666")
	local i
	if [ ! -s "$T/secret.key" ]; then
		(umask 077; openssl rand -hex 32 > "$T/secret.key")
	fi
	for arg in "$@"; do
		if [[ $arg =~ ^-([A-Za-z0-9_]+)$ ]]; then
			key=${BASH_REMATCH[1]}
			for i in "${!lines[@]}"; do
				[[ ${lines[$i]} =~ ^${key}[[:space:]]*= ]] && unset 'lines[i]'
			done
			lines=("${lines[@]}")
			continue
		fi
		if [[ $arg =~ ^[[:space:]]*([A-Za-z0-9_]+)[[:space:]]*= ]]; then
			key=${BASH_REMATCH[1]}
			found=0
			for i in "${!lines[@]}"; do
				if [[ ${lines[$i]} =~ ^${key}[[:space:]]*= ]]; then
					lines[i]=$arg
					found=1
				fi
			done
			[ "$found" = 1 ] && continue
		fi
		lines+=("$arg")
	done
	{
		echo "# written by t/lib.sh t_write_conf"
		for line in "${lines[@]}"; do
			printf '%s\n' "$line"
		done
	} > "$conf"
}

# t_migrate: apply the schema (must exit 0).  Output in $T/migrate.log.
t_migrate() {
	timeout 60 "$top_builddir/cmpd" -c "$T/cmpd.conf" --migrate \
		> "$T/migrate.log" 2>&1 && return 0
	diag_file "$T/migrate.log"
	return 1
}

# t_stack [t_write_conf args...]: what most tests start with: a private
# MariaDB, $T/cmpd.conf, the schema, the test profiles of t/profiles.sql,
# and cmpd.
t_stack() {
	t_start_db || bail "MariaDB did not start"
	t_write_conf "$@"
	t_migrate || bail "migration failed"
	t_sql "$(cat "$top_srcdir/t/profiles.sql")" || bail "seeding the profiles failed"
	# the secret of the DER fixtures (t/fixtures/gen.sh)
	printf 'test-secret\n' |
		"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-shared-secret demo \
		> "$T/secret.log" 2>&1 || { diag_file "$T/secret.log"; bail "--set-shared-secret failed"; }
	t_start_cmpd || bail "cmpd did not start"
}

# t_start_cmpd [extra cmpd args]: cmpd in the foreground mode, in the
# background; output in $T/cmpd.log.  Non-zero (with the log as
# diagnostics) if the socket did not appear within 10 s.
t_start_cmpd() {
	[ -z "$CMPD_PID" ] || t_stop_cmpd
	rm -f "$T/cmpd.sock"
	# CI runs as root; tests of the user switch start cmpd themselves.
	# CMPD_WRAP: a command to run it under (bench/run.sh: a profiler)
	${CMPD_WRAP-} "$top_builddir/cmpd" -f -c "$T/cmpd.conf" --allow-root "$@" \
		>> "$T/cmpd.log" 2>&1 &
	CMPD_PID=$!
	CMPD_EXIT=""
	local deadline=$((SECONDS + 10))
	until [ -S "$T/cmpd.sock" ]; do
		if _t_gone "$CMPD_PID"; then
			wait "$CMPD_PID"
			CMPD_EXIT=$?
			CMPD_PID=""
			diag "cmpd exited with status $CMPD_EXIT during start-up"
			diag_file "$T/cmpd.log"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			diag "cmpd socket $T/cmpd.sock did not appear within 10 s"
			diag_file "$T/cmpd.log"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# t_stop_cmpd: SIGTERM, up to 15 s for a graceful exit, then SIGKILL.
# The exit status is left in CMPD_EXIT and returned.
t_stop_cmpd() {
	[ -n "$CMPD_PID" ] || return 0
	local rc=0
	_t_stop_pid "$CMPD_PID" 15 || rc=$?
	CMPD_EXIT=$rc
	CMPD_PID=""
	return "$rc"
}

# t_cmpd_workers: PIDs of cmpd's worker processes (children of CMPD_PID),
# one per line.
t_cmpd_workers() {
	[ -n "$CMPD_PID" ] || return 0
	local f line pid
	local -a fld
	for f in /proc/[0-9]*/stat; do
		read -r line 2>/dev/null < "$f" || continue
		# after "(comm) " come the state and the ppid
		read -r -a fld <<< "${line##*) }"
		if [ "${fld[1]-}" = "$CMPD_PID" ] && [ "${fld[0]}" != Z ]; then
			pid=${f#/proc/}
			echo "${pid%/stat}"
		fi
	done | sort -n
}
