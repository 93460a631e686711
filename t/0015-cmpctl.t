#!/bin/sh
# cmpctl, the administrator's command line: every command's --help; migrate
# twice; API keys made by cmpctl work over HTTP with their role, are stored
# hashed only and written 0600 with --out; CMP Profiles, connectors,
# authorities and RA Profiles managed with httpie-style fields, secrets
# from files only; every change audited as cmpctl:USER; the master key
# created 0600 without overwriting, and rotated: enrolment works with the
# new key, no longer with the old one.
. "$top_srcdir/t/lib.sh"
t_setup
t_stack "message_time_skew = 0"
t_start_localca
t_start_lighttpd "$(t_localca_lighttpd)" || bail "lighttpd did not start"
t_seed_enroll
plan_auto

F=$T_FIXTURES
ME=$(id -un)
ACTOR=cmpctl:$ME
# ctl ARGS...: cmpctl against the test stack; stdout in $T/out, stderr in
# $T/err; returns cmpctl's exit status
ctl() {
	local rc=0
	"$top_builddir/cmpctl" -c "$T/cmpd.conf" "$@" > "$T/out" 2> "$T/err" || rc=$?
	cat "$T/err" >> "$T/err.all"	# for the sanitizer check at the end
	return "$rc"
}
# j EXPR: a value of the JSON cmpctl printed (python3 expression on j)
j() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); v='"$1"'; print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)' "$T/out"
}
mode() { stat -c %a "$1"; }
audits() {	# audits ACTION TYPE: rows by cmpctl
	t_sql "SELECT COUNT(*) FROM audit WHERE actor = '$ACTOR' AND action = '$1' AND object_type = '$2'"
}

# ---------------------------------------------------------------- help
ok "cmpctl --help exits 0" ctl --help
like "$(cat "$T/out")" "usage: cmpctl .*commands" "cmpctl --help lists the commands"
for c in migrate routes api apikey profile connector authority raprofile \
	certificates transactions audit key; do
	ok "cmpctl $c --help exits 0" ctl "$c" --help
	like "$(cat "$T/out")" "usage: cmpctl $c" "cmpctl $c --help shows its usage"
	like "$(cat "$T/out")" "^usage: cmpctl" "cmpctl $c --help: the usage on stdout"
done
ctl --help
for c in migrate routes api apikey profile connector authority raprofile \
	certificates transactions audit key; do
	like "$(cat "$T/out")" "  $c " "cmpctl --help names $c"
done
ok "help profile is profile --help" ctl help profile
like "$(cat "$T/out")" "cmpctl profile set-ra P RA" "help profile shows the profile commands"
ok "a subcommand's --help too" ctl profile create --help
nok "an unknown command fails" ctl frobnicate
like "$(cat "$T/err")" "no command frobnicate" "and says so"
ctl profile; is "$?" 2 "a command without its arguments exits 2"
like "$(cat "$T/err")" "usage: cmpctl profile" "with the usage on stderr"
nok "a missing configuration file fails" \
	"$top_builddir/cmpctl" -c "$T/nosuch.conf" apikey list

# ------------------------------------------------------------- migrate
before=$(t_sql "SELECT COUNT(*) FROM schema_version")
ok "cmpctl migrate" ctl migrate
ok "cmpctl migrate again (idempotent)" ctl migrate
is "$(t_sql "SELECT COUNT(*) FROM schema_version")" "$before" "no migration applied twice"

# -------------------------------------------------------------- routes
ok "cmpctl routes" ctl routes
like "$(cat "$T/out")" "GET /api/v1/auditLogs read" "routes: one line per route with its role"
like "$(cat "$T/out")" "POST /api/v1/apiKeys admin" "routes: admin routes"

# ----------------------------------------------------------------- api
ok "api GET /auditLogs" ctl api GET /auditLogs
is "$(j 'type(j).__name__')" list "prints the JSON answer"
ok "api takes /api/v1/... and a query" ctl api get '/api/v1/auditLogs?limit=1'
nok "api GET of an unknown path fails" ctl api GET /nosuch
like "$(cat "$T/err")" "^cmpctl: no such resource \(404\)" "with the message on stderr"
is "$(cat "$T/out")" "" "and nothing on stdout"
nok "api with a body that is not JSON" ctl api POST /apiKeys '{'
like "$(cat "$T/err")" "^cmpctl: the body is not one JSON value" "which it says"
nok "api with a member twice" ctl api POST /apiKeys '{"name": "twice-1", "role": "read", "name": "twice-2"}'
like "$(cat "$T/err")" '^cmpctl: the body names member "name" twice \(byte 36\)' "which it names"
is "$(t_sql "SELECT COUNT(*) FROM api_key WHERE name LIKE 'twice-%'")" 0 "and no key was made"
printf '{"name": "from-stdin", "role": "read"}' > "$T/body.json"
ok "api POST with the body from a file" ctl api POST /apiKeys "@$T/body.json"
like "$(j 'j["key"]')" "^cmpd_[0-9a-f]{64}$" "the answer holds the new key"
ok "api DELETE with the body from stdin (ignored)" \
	sh -c "printf '{}' | '$top_builddir/cmpctl' -c '$T/cmpd.conf' api DELETE /apiKeys/$(j 'j["uuid"]') -"

# -------------------------------------------------------------- apikey
ok "apikey create admin" ctl apikey create ctl-admin --role admin
ADMIN_KEY=$(j 'j["key"]')
like "$ADMIN_KEY" "^cmpd_[0-9a-f]{64}$" "the key is printed once"
is "$(j 'j["role"]')" admin "with its role"
is "$(t_api GET /auditLogs "" "$ADMIN_KEY")" 200 "the admin key reads over HTTP"
is "$(t_api POST /apiKeys '{"name":"via-http","role":"read"}' "$ADMIN_KEY")" 201 \
	"the admin key writes over HTTP"
is "$(t_sql "SELECT COUNT(*) FROM api_key WHERE key_hash = UNHEX(SHA2('$ADMIN_KEY', 256))")" 1 \
	"the key's SHA-256 is stored"
if command -v mariadb-dump > /dev/null 2>&1; then
	mariadb-dump --no-defaults -S "$DB_SOCK" -u "$DB_ROOT_USER" --skip-extended-insert \
		cmpd > "$T/dump.sql" 2> /dev/null
	ok "the database dump is there" test -s "$T/dump.sql"
	nok "the key itself is in no table" grep -q "${ADMIN_KEY#cmpd_}" "$T/dump.sql"
else
	skip "no mariadb-dump" 2
fi

ok "apikey create --out" ctl apikey create ctl-read --role read --out "$T/read.key"
is "$(mode "$T/read.key")" 600 "the key file has mode 0600"
READ_KEY=$(cat "$T/read.key")
like "$READ_KEY" "^cmpd_[0-9a-f]{64}$" "it holds the key"
unlike "$(cat "$T/out")" "${READ_KEY#cmpd_}" "the key is not printed"
is "$(j 'j.get("key")')" null "the answer shows no key"
is "$(j 'j["keyFile"]')" "$T/read.key" "but where it went"
is "$(t_api GET /auditLogs "" "$READ_KEY")" 200 "the read key reads over HTTP"
is "$(t_api POST /apiKeys '{"name":"x","role":"read"}' "$READ_KEY")" 403 \
	"the read key may not POST"
n=$(t_sql "SELECT COUNT(*) FROM api_key")
nok "apikey create --out refuses an existing file" \
	ctl apikey create ctl-read2 --role read --out "$T/read.key"
is "$(t_sql "SELECT COUNT(*) FROM api_key")" "$n" "and makes no key then"
is "$(cat "$T/read.key")" "$READ_KEY" "the file is left alone"
ctl apikey create bad --role root; is "$?" 2 "apikey create --role root is a usage error"
ctl apikey create nameless-role; is "$?" 2 "apikey create without --role too"

ok "apikey list" ctl apikey list
like "$(j '[k["name"] for k in j]')" '"ctl-admin".*"ctl-read"' "lists both keys"
unlike "$(cat "$T/out")" "${ADMIN_KEY#cmpd_}|${READ_KEY#cmpd_}" "never a key"
ok "apikey delete by name" ctl apikey delete ctl-read
is "$(t_api GET /auditLogs "" "$READ_KEY")" 401 "the deleted key no longer works"
nok "apikey delete of an unknown name" ctl apikey delete ctl-read
like "$(cat "$T/err")" "no API key named ctl-read" "says so"
is "$(audits create apiKey)" 3 "three apiKey creations audited as $ACTOR"
is "$(audits delete apiKey)" 2 "two deletions audited as $ACTOR"

# ------------------------------------------------------------ profiles
printf 'profile-secret\n' > "$T/p.secret"
nok "an inline sharedSecret is refused" ctl profile create name=t-inline variant=v2 \
	requestProtectionMethod=sharedSecret responseProtectionMethod=sharedSecret \
	sharedSecret=profile-secret
like "$(cat "$T/err")" "sharedSecret must come from a file" "with the reason"
is "$(t_sql "SELECT COUNT(*) FROM cmp_profile WHERE name = 't-inline'")" 0 "and nothing made"
# (the first argument without "=" is the name: profile create NAME FIELD...)
nok "a field without = is refused" ctl profile create name=t-bare variant=v2 bogus
is "$(t_sql "SELECT COUNT(*) FROM cmp_profile WHERE name = 't-bare'")" 0 "... and nothing made"
ok "profile create with fields" ctl profile create name=t-prof variant=v2 \
	description="made by cmpctl" requestProtectionMethod=sharedSecret \
	responseProtectionMethod=sharedSecret sharedSecret=@"$T/p.secret" \
	sharedSecretReference=t-ref raProfileUuid=ra-on implicitConfirmAllowed:=true \
	confirmWaitTime:=300 'issueCertificateAttributes:=[]'
is "$(j 'j["name"]')" t-prof "answer: the profile"
PROF=$(j 'j["uuid"]')
is "$(j 'j["raProfile"]["name"]')" ra-on "raProfileUuid given by name"
is "$(j 'j["hasSharedSecret"]')" true "the secret from the file is set"
is "$(j 'j["implicitConfirmAllowed"]') $(j 'j["confirmWaitTime"]')" "true 300" \
	"key:=json fields are JSON"
unlike "$(cat "$T/out")" profile-secret "the secret is not shown"
ok "profile list" ctl profile list
like "$(j '[p["name"] for p in j]')" '"t-prof"' "lists it"
ok "profile show by name" ctl profile show t-prof
is "$(j 'j["uuid"]')" "$PROF" "finds it"
ok "profile show by UUID" ctl profile show "$PROF"
is "$(j 'j["name"]')" t-prof "finds it too"
nok "profile show of an unknown name" ctl profile show nosuch
like "$(cat "$T/err")" "no CMP Profile named nosuch" "says so"

ok "profile edit one field" ctl profile edit t-prof description=edited
is "$(j 'j["description"]')" edited "the field changes"
is "$(j 'j["raProfile"]["name"]') $(j 'j["variant"]') $(j 'j["sharedSecretReference"]') $(j 'j["confirmWaitTime"]')" \
	"ra-on v2 t-ref 300" "the others stay"
is "$(j 'j["hasSharedSecret"]')" true "so does the secret"
# only that field is sent: a field another administrator changed between
# cmpctl's read and its write is not put back (the audit row names what
# the PUT held)
is "$(t_sql "SELECT JSON_KEYS(detail) FROM audit WHERE object_type = 'cmpProfile' AND action = 'update'
  ORDER BY at DESC LIMIT 1")" '["description"]' "... and the PUT held only it"
printf 'secret-two' | ctl profile edit t-prof sharedSecret=@-
is "$?" 0 "profile edit with the secret from stdin"
is "$(j 'j["hasSharedSecret"]')" true "still has a secret"
ok "profile enable" ctl profile enable t-prof
ctl profile show t-prof
is "$(j 'j["enabled"]')" true "enabled"
ok "profile disable" ctl profile disable t-prof
ctl profile show t-prof
is "$(j 'j["enabled"]')" false "disabled"
ok "profile set-ra" ctl profile set-ra t-prof ra-off
ctl profile show t-prof
is "$(j 'j["raProfile"]["name"]')" ra-off "default RA Profile set by name"
ok "profile edit with key:=null" ctl profile edit t-prof raProfileUuid:=null
is "$(j 'j["raProfile"]')" null "clears the default RA Profile"
ok "profile anchors" ctl profile anchors t-prof "$F/root.pem"
ok "profile show-anchors" ctl profile show-anchors t-prof
is "$(j 'len(j["certificates"])')" 1 "one anchor"
# a damaged second certificate refuses the whole, not the anchors cut
# short at it
{ cat "$F/root.pem"; sed '3s/.*/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/' "$F/srv.pem"; } > "$T/anchors-bad.pem"
nok "profile anchors with a damaged second certificate" ctl profile anchors t-prof "$T/anchors-bad.pem"
like "$(cat "$T/err")" "certificate 2 does not decode" "says which"
ok "profile show-anchors" ctl profile show-anchors t-prof
is "$(j 'len(j["certificates"])')" 1 "the anchors as they were"
cat "$F/srv.key" "$F/srv.pem" "$F/root.pem" > "$T/signing.pem"
ok "profile signing from one PEM file" ctl profile signing t-prof "$T/signing.pem"
ctl profile show t-prof
like "$(j 'j["signingCertificate"]["subject"]')" "cmpd" "the signing certificate is set"
is "$(t_sql "SELECT signing_key_enc IS NOT NULL FROM cmp_profile WHERE uuid = '$PROF'")" 1 \
	"the signing key is stored sealed"
nok "profile signing without a key" ctl profile signing t-prof "$F/srv.pem"
like "$(cat "$T/err")" "no private key" "says so"
ok "profile create, a second one" ctl profile create name=t-prof2 variant=v2 \
	requestProtectionMethod=sharedSecret responseProtectionMethod=sharedSecret \
	sharedSecret=@"$T/p.secret"
ok "profile enable of two" ctl profile enable t-prof t-prof2
is "$(t_sql "SELECT GROUP_CONCAT(enabled) FROM cmp_profile WHERE name IN ('t-prof', 't-prof2')")" \
	"1,1" "both enabled"
ok "profile disable of two" ctl profile disable t-prof t-prof2
ok "profile delete" ctl profile delete t-prof2
is "$(t_sql "SELECT COUNT(*) FROM cmp_profile WHERE name = 't-prof2'")" 0 "gone"

# --------------------------------------- connectors, authorities, RA Profiles
printf '{"username": "u", "password": "connector-password"}' > "$T/cred.json"
nok "inline credentials are refused" ctl connector create name=c2 \
	url=http://127.0.0.1:9/ authType=basic 'credentials:={"username":"u","password":"p"}'
nok "credentials to an http:// url need insecure" ctl connector create name=c2 \
	url=http://127.0.0.1:9/ authType=basic credentials:=@"$T/cred.json"
like "$(cat "$T/err" 2>/dev/null; cat "$T/out")" "mark the connector insecure" \
	"and cmpctl says so"
ok "connector create, credentials from a file" ctl connector create name=c2 \
	url=http://127.0.0.1:9/ authType=basic insecure:=true credentials:=@"$T/cred.json"
is "$(j 'j["insecure"]')" true "marked insecure"
is "$(j 'j["hasCredentials"]')" true "the credentials are set"
unlike "$(cat "$T/out")" connector-password "and not shown"
nok "connector edit of the url alone" ctl connector edit c2 url=http://127.0.0.1:10/
like "$(cat "$T/err" 2>/dev/null; cat "$T/out")" "credentials must be sent again" \
	"a new url needs the credentials again"
ok "connector edit" ctl connector edit c2 url=http://127.0.0.1:10/ credentials:=@"$T/cred.json"
is "$(j 'j["url"]') $(j 'j["authType"]') $(j 'j["hasCredentials"]') $(j 'j["insecure"]')" \
	"http://127.0.0.1:10/ basic true true" "the url changes, the rest stays (insecure too)"
ok "connector list" ctl connector list
ok "connector show" ctl connector show c2
ok "authority create, connector by name" ctl authority create name=a2 connectorUuid=c2 \
	authorityInstanceUuid=00000000-0000-4000-8000-0000000000f2
is "$(j 'j["connector"]["name"]')" c2 "uses the connector"
ok "authority edit" ctl authority edit a2 name=a2b
is "$(j 'j["name"]') $(j 'j["connector"]["name"]')" "a2b c2" "renamed, connector kept"
ok "authority list" ctl authority list
ok "authority show" ctl authority show a2b
ok "raprofile create below an authority" ctl raprofile create a2b name=r2 \
	description=test 'attributes:=[]'
is "$(j 'j["authorityName"]')" a2b "below it"
ok "raprofile list" ctl raprofile list
like "$(j '[r["name"] for r in j]')" '"r2"' "lists it"
ok "raprofile show" ctl raprofile show r2
ok "raprofile enable" ctl raprofile enable r2
ctl raprofile show r2
is "$(j 'j["enabled"]')" true "enabled"
ok "raprofile edit" ctl raprofile edit r2 description=edited
is "$(j 'j["description"]') $(j 'j["enabled"]')" "edited true" "description changed, enabled kept"
ok "raprofile cmp-activate" ctl raprofile cmp-activate r2 t-prof
ok "raprofile cmp-show" ctl raprofile cmp-show r2
is "$(j 'j["cmpProfile"]["name"]')" t-prof "the CMP Profile is active"
like "$(j 'j["cmpUrl"]')" "/api/v1/protocols/cmp/raProfile/r2$" "with its URL"
ok "raprofile cmp-deactivate" ctl raprofile cmp-deactivate r2
ctl raprofile cmp-show r2
is "$(j 'j["cmpProfile"]')" null "no CMP Profile any more"
ok "raprofile disable" ctl raprofile disable r2

# ---------------------------------------------------------- inventory
ok "certificates" ctl certificates status=issued limit=10
is "$(j 'type(j).__name__')" list "a list"
nok "certificates with a bad argument" ctl certificates 'sub ject=x'
nok "certificates after= a certificate there is not" ctl certificates after=00000000-0000-4000-8000-0000000000ff
like "$(cat "$T/err" "$T/out")" "after names no certificate" "... the API's refusal"
ok "transactions" ctl transactions state=confirmed
is "$(j 'type(j).__name__')" list "a list"
ok "audit with a query" ctl audit "actor=$ACTOR" objectType=cmpProfile
like "$(j 'sorted(set(a["actor"] for a in j))')" "^\[\"$ACTOR\"\]$" "audit rows by $ACTOR only"
like "$(j 'sorted(set(a["action"] for a in j))')" '"create"' "profile changes are audited"
unlike "$(t_sql "SELECT detail FROM audit")" "profile-secret|secret-two|connector-password" \
	"no secret in the audit log"

# ---------------------------------------------------------- master key
ok "key create" ctl key create "$T/new.key"
is "$(mode "$T/new.key")" 600 "mode 0600"
# the file's contents and its name in the directory reach the disk
# (LeakSanitizer does not run under ptrace)
mkdir "$T/keydir"
ok "key create under strace" env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -y -e trace=fsync -o "$T/kc.strace" \
	"$top_builddir/cmpctl" -c "$T/cmpd.conf" key create "$T/keydir/k.key"
like "$(cat "$T/kc.strace")" "fsync\\([0-9]+<$T/keydir/k\\.key>\\) = 0" "... the file synced"
like "$(cat "$T/kc.strace")" "fsync\\([0-9]+<$T/keydir>\\) = 0" "... and its directory"
like "$(cat "$T/new.key")" "^[0-9a-f]{64}$" "64 hex digits"
NEWKEY=$(cat "$T/new.key")
nok "key create refuses an existing file" ctl key create "$T/new.key"
is "$(cat "$T/new.key")" "$NEWKEY" "and leaves it alone"
nok "key rotate to the current key is refused" ctl key rotate "$T/secret.key"
printf 'nothex\n' > "$T/bad.key"
nok "key rotate to a file that is no key" ctl key rotate "$T/bad.key"
# with "user" set (as the package's cmpd.conf): a key its workers cannot
# read, as key create made it as root, is refused before anything changes;
# their user's group with mode 0640 passes this check
if [ "$(id -u)" = 0 ] && id nobody > /dev/null 2>&1; then
	sed 's/^user = .*//' "$T/cmpd.conf" > "$T/user.conf"
	echo "user = nobody" >> "$T/user.conf"
	mkdir -m 711 "$T/keys"
	chmod 711 "$T"
	ok "key create, as root" ctl key create "$T/keys/root.key"
	nok "key rotate to a key the workers' user cannot read" \
		"$top_builddir/cmpctl" -c "$T/user.conf" key rotate "$T/keys/root.key"
	like "$("$top_builddir/cmpctl" -c "$T/user.conf" key rotate "$T/keys/root.key" 2>&1)" \
		"root\.key: cmpd's workers \(user nobody\) cannot read it \(Permission denied\).*nothing changed" \
		"... says so"
	is "$(t_sql "SELECT COUNT(*) FROM audit WHERE action = 'rotate'")" 0 "... nothing rotated"
	# (the current key again, which is refused after this check)
	cp "$T/secret.key" "$T/keys/current.key"
	chgrp "$(id -gn nobody)" "$T/keys/current.key"
	chmod 640 "$T/keys/current.key"
	out=$("$top_builddir/cmpctl" -c "$T/user.conf" key rotate "$T/keys/current.key" 2>&1)
	like "$out" "current\.key: this is the current key" "... one of its group, mode 0640, passes"
	unlike "$out" "warning" "... without a warning (0640 is how it is meant to be)"
	chmod 644 "$T/keys/current.key"
	like "$("$top_builddir/cmpctl" -c "$T/user.conf" key rotate "$T/keys/current.key" 2>&1)" \
		"warning: .*current\.key can be read or written by any user \(mode 0644\)" \
		"... mode 0644: a warning"
fi

# openssl cmp ir against CMP Profile enroll (PBM), output in $T/client.out
enroll() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
		-ref "$ENROLL_REF" -secret "pass:$ENROLL_SECRET" \
		-newkey "$F/new.key" -subject "/CN=rotated-$1" -certout "$T/rot-$1.crt" \
		-unprotected_errors -msg_timeout 20 -total_timeout 40 \
		> "$T/client.out" 2>&1
}
ok "enrolment works before the rotation" enroll 1
# a device entry of the enroll profile, its own secret sealed too
printf 'device-secret' > "$T/device.secret"
ok "device add" ctl device add enroll reference=dev-rot secret=@"$T/device.secret" uses:=5
# device N: openssl cmp ir with the device entry's secret
device() {
	timeout 60 openssl cmp -cmd ir -server "127.0.0.1:$HTTP_PORT" \
		-path /api/v1/protocols/cmp/enroll -recipient /CN=cmpd \
		-ref dev-rot -secret pass:device-secret \
		-newkey "$F/new.key" -subject "/CN=device-$1" -certout "$T/dev-$1.crt" \
		-unprotected_errors -msg_timeout 20 -total_timeout 40 \
		> "$T/client.out" 2>&1
}
ok "the device enrols before the rotation" device 1
sealed="SELECT COUNT(shared_secret_enc) + COUNT(signing_key_enc) FROM cmp_profile"
N=$(( $(t_sql "$sealed") + $(t_sql "SELECT COUNT(auth_data_enc) FROM connector") +
	$(t_sql "SELECT COUNT(*) FROM cmp_device") ))
is "$N" 7 "seven sealed values (demo, enroll, t-prof secret and key, c2, localca, the device)"
old_dev=$(t_sql "SELECT HEX(secret_enc) FROM cmp_device WHERE reference = 'dev-rot'")
old_blob=$(t_sql "SELECT HEX(shared_secret_enc) FROM cmp_profile WHERE name = 'enroll'")
ok "key rotate" ctl key rotate "$T/new.key"
like "$(cat "$T/out")" "^cmpctl: $N values re-encrypted" "counts the values"
like "$(cat "$T/out")" "secret_key_file = $T/new.key" "tells what to configure"
unlike "$(cat "$T/out" "$T/err")" "$NEWKEY|$(cat "$T/secret.key")|test-secret|$ENROLL_SECRET" \
	"prints no key or secret"
isnt "$(t_sql "SELECT HEX(shared_secret_enc) FROM cmp_profile WHERE name = 'enroll'")" \
	"$old_blob" "the sealed value changed"
isnt "$(t_sql "SELECT HEX(secret_enc) FROM cmp_device WHERE reference = 'dev-rot'")" \
	"$old_dev" "the device entry's too"
is "$(t_sql "SELECT actor, action, object_type, detail FROM audit WHERE action = 'rotate'")" \
	"$ACTOR	rotate	secretKey	{\"values\":$N}" "one audit row for the rotation"
ok "key rotate again: nothing left to do" ctl key rotate "$T/new.key"
like "$(cat "$T/out")" "^cmpctl: 0 values re-encrypted .*\($N had it already\)" \
	"values sealed with the new key already are kept"

# cmpd with the old key: the secrets no longer open
t_start_cmpd || bail "cmpd did not restart"
nok "enrolment fails with the old key" enroll 2
like "$(cat "$T/client.out")" "PN=enroll \\| (no usable shared secret|message authentication failed)" \
	"the secret does not open (beside a device entry: no MAC verifies)"
t_write_conf "message_time_skew = 0" "secret_key_file = $T/new.key"
t_start_cmpd || bail "cmpd did not start with the new key"
ok "enrolment works with the new key" enroll 3
ok "the device enrols with the new key" device 2
ok "the certificate was issued" openssl x509 -in "$T/rot-3.crt" -noout
ok "cmpctl with the new key reads the profile" ctl profile show enroll
is "$(j 'j["hasSharedSecret"]')" true "which has its secret"
ok "cmpctl with the new key sets a secret" sh -c \
	"printf 'enroll-secret\n' | '$top_builddir/cmpctl' -c '$T/cmpd.conf' profile edit enroll sharedSecret=@- > /dev/null"
ok "enrolment still works" enroll 4

# ------------------- a rotation with no time when secrets do not open
# secret_key_file the new key and secret_key_file_previous the one in use:
# cmpd seals with the new one and opens with either; key rotate (without
# NEWFILE) re-seals what the previous one sealed, a row per transaction;
# then the previous one goes.
reload() {	# reload: SIGHUP, and wait until the new workers serve
	local n
	n=$(grep -c "configuration reloaded" "$T/cmpd.log")
	kill -HUP "$CMPD_PID"
	t_wait 10 sh -c "[ \$(grep -c 'configuration reloaded' '$T/cmpd.log') -gt $n ]" &&
	sleep 1
}
ok "key create (a third key)" ctl key create "$T/third.key"
t_write_conf "message_time_skew = 0" "secret_key_file = $T/third.key" \
	"secret_key_file_previous = $T/new.key"
ok "cmpd -n: the previous key as well" "$top_builddir/cmpd" -n --allow-root -c "$T/cmpd.conf"
ok "reload: the third key seals, the previous one still opens" reload
ok "... enrolment works (its secret sealed with the previous key)" enroll 5
ok "... so does the device" device 3
ok "... a secret set now" sh -c \
	"printf 'enroll-secret\n' | '$top_builddir/cmpctl' -c '$T/cmpd.conf' profile edit enroll sharedSecret=@- > /dev/null"
ok "... is sealed with the third key, and opens" enroll 6
# a value that opens with neither key (first of the device secrets, the
# last column) stops the rotation: what it re-sealed before stays so, and
# an audit row says how far it came
BROKEN=00000000-0000-4000-8000-000000000000
t_sql "CREATE TEMPORARY TABLE d AS SELECT * FROM cmp_device LIMIT 1;
  UPDATE d SET uuid = '$BROKEN', reference = 'broken', secret_enc = UNHEX('00');
  INSERT INTO cmp_device SELECT * FROM d" || bail "cannot add the broken device entry"
rotations() { t_sql "SELECT COUNT(*) FROM audit WHERE action = 'rotate'"; }
r0=$(rotations)
nok "key rotate stops at a value that opens with neither key" ctl key rotate
like "$(cat "$T/err")" "cmp_device.secret_enc of $BROKEN opens with neither key" "... names it"
like "$(cat "$T/err")" "stopped after [1-9][0-9]* values?: run the rotation again" "... says how far it came"
D=$(sed -n 's/.*stopped after \([0-9]*\) value.*/\1/p' "$T/err")
is "$(rotations)" "$((r0 + 1))" "... one audit row"
is "$(t_sql "SELECT detail FROM audit WHERE action = 'rotate' ORDER BY at DESC LIMIT 1")" \
	"{\"values\":$D,\"from\":\"secret_key_file_previous\",\"complete\":false}" \
	"... with the values re-encrypted, not complete"
ok "... enrolment works meanwhile" enroll 6b
t_sql "DELETE FROM cmp_device WHERE uuid = '$BROKEN'"
ok "key rotate, from the previous key" ctl key rotate
like "$(cat "$T/out")" "^cmpctl: $((N - 1 - D)) values? re-encrypted with secret_key_file $T/third\\.key \\($((1 + D)) had it already\\)" \
	"counts the values (the secret set meanwhile and those of the stopped run had it)"
like "$(cat "$T/out")" "now remove secret_key_file_previous" "tells what to do next"
is "$(t_sql "SELECT detail FROM audit WHERE action = 'rotate' ORDER BY at DESC LIMIT 1")" \
	"{\"values\":$((N - 1 - D)),\"from\":\"secret_key_file_previous\"}" "one audit row"
ok "... enrolment works" enroll 7
# its audit row refused (a trigger here): said, not a silent failure
t_sql "DELIMITER //
CREATE TRIGGER refuse_rotate BEFORE INSERT ON audit FOR EACH ROW
  IF NEW.action = 'rotate' THEN SIGNAL SQLSTATE '45000'
  SET MESSAGE_TEXT = 'refused by the test'; END IF //" || bail "cannot create the trigger"
nok "key rotate when its audit row cannot be written: fails" ctl key rotate
like "$(cat "$T/err")" "0 values re-encrypted with secret_key_file $T/third\\.key, but the audit row of the rotation could not be written: run the rotation again" \
	"... and says so"
t_sql "DROP TRIGGER refuse_rotate"
t_write_conf "message_time_skew = 0" "secret_key_file = $T/third.key"
ok "reload without the previous key" reload
ok "... enrolment works" enroll 8
ok "... so does the device" device 4
nok "key rotate without NEWFILE nor a previous key" ctl key rotate
like "$(cat "$T/err")" "sets no secret_key_file_previous" "... says what is missing"
t_write_conf "message_time_skew = 0" "secret_key_file_previous = $T/new.key" "-secret_key_file"
nok "cmpd -n: a previous key without a current one" "$top_builddir/cmpd" -n --allow-root -c "$T/cmpd.conf"
t_write_conf "message_time_skew = 0" "secret_key_file = $T/third.key"

# ------------------------------------------------------------ clean-up
ok "raprofile delete" ctl raprofile delete r2
ok "authority delete" ctl authority delete a2b
ok "connector delete" ctl connector delete c2
ok "profile delete --force" ctl profile delete t-prof --force
is "$(t_sql "SELECT COUNT(*) FROM cmp_profile WHERE name = 't-prof'")" 0 "gone"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE actor = '$ACTOR' AND action = 'delete'
	AND object_type IN ('connector', 'authority', 'raProfile', 'cmpProfile')")" 5 \
	"deletions audited as $ACTOR"
is "$(t_sql "SELECT COUNT(*) FROM audit WHERE actor LIKE 'cmpctl:%' AND actor <> '$ACTOR'")" 0 \
	"no other cmpctl actor"
nok "no sanitizer report from cmpctl" \
	grep -qE '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' "$T/err.all"

done_testing
