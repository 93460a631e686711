#!/bin/sh
# contrib/deps.sh: the operator's packages (build and run) apart from the
# test suite's; deps_install installs the first, deps_install all both
# (test.sh), quickstart.sh asks for the operator's only; every name is
# a Debian package; debian/control's build dependencies are among them.
. "$top_srcdir/t/lib.sh"
t_setup
plan_auto

. "$top_srcdir/contrib/deps.sh"
words() { printf '%s\n' $1 | sort -u; }
words "$DEPS_BUILD $DEPS_RUN" > "$T/operator"
words "$DEPS_TEST" > "$T/test"
is "$(comm -12 "$T/operator" "$T/test" | tr '\n' ' ')" "" "no package in both sets"
for p in lintian clang python3-jsonschema spawn-fcgi libfcgi-bin; do
	nok "$p is not an operator's package" grep -qx "$p" "$T/operator"
done
for p in libssl-dev libfcgi-dev libmariadb-dev libjson-c-dev libcurl4-openssl-dev \
	mariadb-server lighttpd apache2 openssl; do
	ok "$p is an operator's package" grep -qx "$p" "$T/operator"
done
is "$(words "$DEPS_PACKAGES")" "$(cat "$T/operator")" "DEPS_PACKAGES: the operator's set"

# deps_missing with every package missing (dpkg-query answers nothing)
dpkg-query() { return 1; }
is "$(deps_missing | sort -u)" "$(cat "$T/operator")" "deps_missing: the operator's packages"
is "$(deps_missing all | sort -u)" "$(sort -u "$T/operator" "$T/test")" \
	"deps_missing all: and the test suite's"
out=$(DEPS_NO_INSTALL=1 deps_install 2>&1); rc=$?
is "$rc" 1 "DEPS_NO_INSTALL=1: missing packages fail"
unlike "$out" "lintian" "... deps_install names no test package"
out=$(DEPS_NO_INSTALL=1 deps_install all 2>&1)
like "$out" "lintian" "... deps_install all does"
unset -f dpkg-query

ok "test.sh installs both sets" grep -q '^deps_install all ' "$top_srcdir/test.sh"
ok "quickstart.sh the operator's" grep -q '^deps_install || ' "$top_srcdir/quickstart.sh"

# debian/control's Build-Depends (but debhelper-compat) are listed
sed -n '/^Build-Depends:/,/^[A-Z]/p' "$top_srcdir/debian/control" |
	sed -e 's/^Build-Depends://' -e '/^[A-Z]/d' | tr ',' '\n' |
	sed -e 's/(.*)//' -e 's/[[:space:]]//g' -e '/^$/d' -e '/^debhelper-compat$/d' > "$T/bdeps"
ok "debian/control names build dependencies" test -s "$T/bdeps"
missing=$(sort -u "$T/operator" "$T/test" | comm -13 - <(sort -u "$T/bdeps") | tr '\n' ' ')
is "$missing" "" "every Build-Depends of debian/control is in contrib/deps.sh"

# every name is a package apt knows (when its lists are there): one
# apt-cache for all (it reads its whole cache at each start), its
# stanzas' names against the list
if apt-cache show openssl > /dev/null 2>&1; then
	sort -u "$T/operator" "$T/test" > "$T/all"
	# shellcheck disable=SC2046 # package names, split on purpose
	apt-cache show --no-all-versions $(cat "$T/all") 2> /dev/null |
		sed -n 's/^Package: //p' | sort -u > "$T/known"
	unknown=$(comm -23 "$T/all" "$T/known" | tr '\n' ' ')
	is "${unknown% }" "" "apt knows every package of contrib/deps.sh"
else
	skip "no apt lists on this machine" 1
fi
done_testing
