# contrib/deps.sh -- Debian packages needed to build, test and try cmpd.
# Sourced by test.sh and quickstart.sh (POSIX sh); not meant to be run.
#
#   . contrib/deps.sh
#   deps_install            # installs what is missing, nothing else
#
# DEPS_NO_INSTALL=1 only reports missing packages and fails.
# chromium, chromium-driver and python3-selenium: the web console's test
# (t/0038-console.t) drives headless Chromium.

DEPS_PACKAGES="build-essential autoconf automake libtool pkg-config
	libssl-dev libfcgi-dev libfcgi-bin libmariadb-dev
	mariadb-server mariadb-client libjson-c-dev libcurl4-openssl-dev clang
	lighttpd lighttpd-mod-openssl apache2 spawn-fcgi curl openssl ca-certificates
	python3 python3-jsonschema openapi-specification systemd iproute2
	dpkg-dev debhelper lintian
	chromium chromium-driver python3-selenium"

# deps_missing: print the packages of DEPS_PACKAGES that are not installed.
deps_missing() {
	for _p in $DEPS_PACKAGES; do
		case $(dpkg-query -W -f='${Status}' "$_p" 2>/dev/null) in
		"install ok installed") ;;
		*) printf '%s\n' "$_p" ;;
		esac
	done
}

# deps_install: apt-get install the missing packages (apt-get update first,
# only when something is missing).  Needs root, or sudo.
deps_install() {
	if ! command -v dpkg-query > /dev/null 2>&1; then
		echo "deps: not a Debian system; install by hand: $DEPS_PACKAGES" >&2
		return 1
	fi
	_missing=$(deps_missing | tr '\n' ' ')
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
	_missing=$(deps_missing | tr '\n' ' ')
	if [ -n "$_missing" ]; then
		echo "deps: still missing after apt-get: $_missing" >&2
		return 1
	fi
	return 0
}
