# contrib/deps.sh -- Debian packages needed to build, run, try and test cmpd.
# Sourced by test.sh and quickstart.sh (POSIX sh); not meant to be run.
#
#   . contrib/deps.sh
#   deps_install            # what an operator needs: build and run cmpd
#   deps_install all        # that and what the test suite needs (test.sh)
#
# Only what is missing is installed. DEPS_NO_INSTALL=1 only reports
# missing packages and fails. A caller may set DEPS_PACKAGES to a list of
# its own before calling deps_install.

# to build cmpd, cmpctl and cmp-localca (./configure && make)
DEPS_BUILD="build-essential autoconf automake libtool pkg-config
	libssl-dev libfcgi-dev libmariadb-dev libjson-c-dev libcurl4-openssl-dev"
# to run them: the database, both web servers, the clients of the
# README's commands and of quickstart.sh (openssl cmp, curl, python3)
DEPS_RUN="mariadb-server mariadb-client lighttpd lighttpd-mod-openssl
	apache2 openssl ca-certificates curl python3"
# the test suite only: cgi-fcgi and spawn-fcgi, the fuzz build (clang),
# the OpenAPI check, systemd-analyze, ss, the Debian package and lintian,
# headless Chromium for the web console's test (t/0044-console.t),
# faketime for a client whose clock is off (t/0006-openssl-cmp.t),
# strace for the calls that touch the socket's path (t/0041)
DEPS_TEST="libfcgi-bin spawn-fcgi clang python3-jsonschema
	openapi-specification systemd iproute2 dpkg-dev debhelper lintian
	chromium chromium-driver python3-selenium faketime strace"

DEPS_PACKAGES="$DEPS_BUILD $DEPS_RUN"

# deps_missing [all]: print the packages of DEPS_PACKAGES (and with
# "all", DEPS_TEST) that are not installed.
deps_missing() {
	_list=$DEPS_PACKAGES
	[ "${1-}" != all ] || _list="$DEPS_PACKAGES $DEPS_TEST"
	for _p in $_list; do
		case $(dpkg-query -W -f='${Status}' "$_p" 2>/dev/null) in
		"install ok installed") ;;
		*) printf '%s\n' "$_p" ;;
		esac
	done
}

# deps_install [all]: apt-get install the missing packages (apt-get update
# first, only when something is missing).  Needs root, or sudo.
deps_install() {
	if ! command -v dpkg-query > /dev/null 2>&1; then
		echo "deps: not a Debian system; install by hand: $DEPS_PACKAGES" >&2
		return 1
	fi
	_missing=$(deps_missing "${1-}" | tr '\n' ' ')
	if [ -z "$_missing" ]; then
		return 0
	fi
	echo "deps: missing packages: $_missing"
	if [ "${DEPS_NO_INSTALL-}" = 1 ]; then
		return 1
	fi
	if [ "$(id -u)" = 0 ]; then
		_sudo=""
	elif command -v sudo > /dev/null 2>&1; then
		_sudo=sudo
	else
		echo "deps: run as root (or install sudo) to install: $_missing" >&2
		return 1
	fi
	$_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		$_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $_missing ||
		{ echo "deps: apt-get failed" >&2; return 1; }
	_missing=$(deps_missing "${1-}" | tr '\n' ' ')
	if [ -n "$_missing" ]; then
		echo "deps: still missing after apt-get: $_missing" >&2
		return 1
	fi
	return 0
}
