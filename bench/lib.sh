# bench/lib.sh -- the benchmark's stack, sourced after t/lib.sh by
# bench/run.sh and t/0036-bench-smoke.t.
#
#   bench_stack         the quick start's stack in $T: a private MariaDB with
#                       the quick start's (durable) settings, cmp-localca
#                       with an EC issuing CA, cmpd (BENCH_WORKERS) behind
#                       lighttpd, CMP Profile "enroll" (shared secret both
#                       ways) and "sig" (signature both ways, trust anchor
#                       the fixtures' device root)
#   bench_mock_start MODE
#                       OpenSSL's mock CMP server (openssl cmp -port) on
#                       MOCK_PORT for MODE (pbm|sig), its answers carrying
#                       the certificates cmpd's carry in that mode
#   bench_load SERVER MODE C SECONDS PREFIX [cmpload args]
#                       t/cmpload against SERVER (cmpd|mock) in MODE
#                       (pbm|sig) with C clients; its key=value report on
#                       stdout
#
# Keys: every client thread makes BENCH_KEY_POOL (16) EC P-256 keys before
# the clock starts and enrols them in turn, so key generation is not
# measured.  Connections: one keep-alive connection per client thread to
# cmpd (BENCH_CONN_CMPD, default thread); one per enrolment to the mock
# (BENCH_CONN_MOCK, default enrolment), which serves one connection at a
# time and closes it after each transaction.  cmpd: BENCH_WORKERS workers
# (8, as the quick start), BENCH_LOG_LEVEL (info); cmp-localca:
# BENCH_LOCALCA_WORKERS workers (1, as the quick start).

BENCH_KEY_POOL=${BENCH_KEY_POOL:-16}
BENCH_CONN_CMPD=${BENCH_CONN_CMPD:-thread}
BENCH_CONN_MOCK=${BENCH_CONN_MOCK:-enrolment}
BENCH_LOG_LEVEL=${BENCH_LOG_LEVEL:-info}
BENCH_WORKERS=${BENCH_WORKERS:-8}
BENCH_LOCALCA_WORKERS=${BENCH_LOCALCA_WORKERS:-1}
BENCH_LOAD=$top_builddir/t/cmpload
MOCK_REF=mock-ref
MOCK_SECRET=mock-secret

# MariaDB as the quick start runs it (quickstart.sh's dbopts): durable
# commits (innodb_flush_log_at_trx_commit left at its default, 1), binary
# log off, a 128 MiB buffer pool and a 96 MiB redo log (MariaDB 10.11's
# defaults), no flushing of neighbouring pages; then BENCH_DB_EXTRA
# (bench/run.sh).  Replaces t/lib.sh's test settings.
_t_db_args() {
	local user=()
	[ "$(id -u)" != 0 ] || user=(--user=root)
	mkdir -p "$T/dbtmp"
	# shellcheck disable=SC2206 # BENCH_DB_EXTRA: options, split on purpose
	_t_db_argv=(--no-defaults "${user[@]}" --datadir="$T/db" --tmpdir="$T/dbtmp"
		--innodb-buffer-pool-size=128M --innodb-log-file-size=96M
		--innodb-flush-neighbors=0 --innodb-use-native-aio=0 --skip-log-bin ${BENCH_DB_EXTRA-})
}

# _bench_cert NAME ISSUER SUBJECT [CA]: an EC P-256 key NAME.key and its
# certificate NAME.crt in $T/ca, issued by ISSUER (root or ca); CA=ca
# makes a CA certificate.
_bench_cert() {
	local d=$T/ca ext
	if [ "${4-}" = ca ]; then
		ext='basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n'
	else
		ext='keyUsage=critical,digitalSignature\n'
	fi
	printf "${ext}subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n" > "$d/$1.ext"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$1.key" -out "$d/$1.csr" -subj "$3" 2>/dev/null &&
	openssl x509 -req -in "$d/$1.csr" -CA "$d/$2.crt" -CAkey "$d/$2.key" \
		-CAcreateserial -days 30 -extfile "$d/$1.ext" -out "$d/$1.crt" 2>/dev/null
}

# bench_pki: as the quick start's, an EC root and an EC issuing CA for
# cmp-localca; cmpd's and the mock's signing certificates and the
# certificate the mock hands out under the issuing CA.  Clients trust
# $T/ca/root.crt.
bench_pki() {
	local d=$T/ca
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/root.key" -out "$d/root.crt" -days 30 \
		-subj "/O=cmpd bench/CN=Bench Root CA" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null &&
	_bench_cert ca root "/O=cmpd bench/CN=Bench Issuing CA" ca &&
	_bench_cert signer ca "/O=cmpd bench/CN=cmpd" &&
	_bench_cert mock ca "/O=cmpd bench/CN=mock" &&
	_bench_cert mock-ee ca "/O=cmpd bench/CN=mock-ee" &&
	cp "$d/root.crt" "$d/chain.pem" || bail "bench_pki: openssl failed"
}

bench_stack() {
	bench_pki
	t_stack "workers = $BENCH_WORKERS" "log_level = $BENCH_LOG_LEVEL" \
		-profile_cache
	t_start_localca "workers = $BENCH_LOCALCA_WORKERS"
	t_start_lighttpd "$(t_localca_lighttpd)"
	t_seed_enroll
	# signature both ways; device certificates of the fixtures' root
	# enrol under any name (the clients' subjects differ from the signer's)
	t_sql "INSERT INTO cmp_profile (uuid, name, enabled, request_protection,
	    response_protection, default_ra_profile_uuid, subject_policy) VALUES
	  ('00000000-0000-4000-8000-00000000b101', 'sig', 1, 'signature', 'signature',
	   '00000000-0000-4000-8000-00000000e001', 'any')" ||
		bail "seeding CMP Profile sig failed"
	cat "$T/ca/signer.key" "$T/ca/signer.crt" "$T/ca/ca.crt" "$T/ca/root.crt" \
		> "$T/signer.pem"
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-signing-credentials sig \
		< "$T/signer.pem" > "$T/secret.log" 2>&1 &&
	"$top_builddir/cmpd" -c "$T/cmpd.conf" --set-trust-anchors sig \
		< "$T_FIXTURES/root.pem" >> "$T/secret.log" 2>&1 ||
		{ diag_file "$T/secret.log"; bail "signing credentials of sig"; }
	rm -f "$T/signer.pem"
}

# bench_mock_start MODE: the mock on a free port (MOCK_PORT), in place
# of one already running.  It listens on every address (-port takes a
# number only): run.sh runs it inside a private network namespace, where
# only loopback exists.  Its answers carry what cmpd's carry, so that the
# client decodes and checks as many certificates for either server: the
# issuing CA in the ip's extraCerts, the root in caPubs after a MAC
# (the CMP Profile's caPubs default), and when signed the signing
# certificate and the issuing CA (its chain short of the root, RFC 9483
# 3.3; the mock takes it from -srv_untrusted).
MOCK_PORT=""
bench_mock_start() {
	local try capubs=()
	[ "$1" != pbm ] || capubs=(-rsp_capubs "$T/ca/root.crt")
	t_stop_bg mock
	for try in 1 2 3 4 5; do
		MOCK_PORT=$(_t_free_port) || bail "no free port for the mock"
		t_bg mock openssl cmp -port "$MOCK_PORT" \
			-srv_ref "$MOCK_REF" -srv_secret "pass:$MOCK_SECRET" \
			-srv_cert "$T/ca/mock.crt" -srv_key "$T/ca/mock.key" \
			-srv_untrusted "$T/ca/ca.crt" \
			-srv_trusted "$T_FIXTURES/root.pem" \
			-rsp_cert "$T/ca/mock-ee.crt" -rsp_extracerts "$T/ca/ca.crt" \
			"${capubs[@]}"
		t_wait 10 _t_port_open "$MOCK_PORT" && return 0
		t_stop_bg mock
	done
	diag_file "$T/mock.log"
	bail "the mock server did not start"
}

# bench_load SERVER MODE C SECONDS PREFIX [cmpload args...]
bench_load() {
	local server=$1 mode=$2 conc=$3 secs=$4 prefix=$5 url conn
	local args=()
	shift 5
	if [ "$server" = cmpd ]; then
		conn=$BENCH_CONN_CMPD
		if [ "$mode" = pbm ]; then
			url=$HTTP_BASE/api/v1/protocols/cmp/enroll
			args=(-s "$ENROLL_SECRET" -r "$ENROLL_REF")
		else
			url=$HTTP_BASE/api/v1/protocols/cmp/sig
		fi
	else
		# the mock answers every request with mock-ee.crt, whatever the
		# key asked for: confirm it all the same
		conn=$BENCH_CONN_MOCK
		url=http://127.0.0.1:$MOCK_PORT/pkix/
		args=(--accept-any-cert)
		[ "$mode" != pbm ] || args+=(-s "$MOCK_SECRET" -r "$MOCK_REF")
	fi
	[ "$mode" = pbm ] ||
		args+=(--cert "$T_FIXTURES/ee.pem" --key "$T_FIXTURES/ee.key"
			--trusted "$T/ca/root.crt")
	timeout $((secs + 60)) "$BENCH_LOAD" -u "$url" -c "$conc" -d "$secs" \
		--recipient cmpd --subject-prefix "$prefix" --connection "$conn" \
		--key-pool "$BENCH_KEY_POOL" --msg-timeout 10 "${args[@]}" "$@"
}
