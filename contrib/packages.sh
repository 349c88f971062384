# shellcheck shell=bash
# packages.sh - the Debian packages repguard's scripts need, and installing
# the missing ones.  Sourced by contrib/test.sh and contrib/demo.sh, so
# that both install the same way: the demo PACKAGES, the test suite
# PACKAGES and TEST_PACKAGES.
#
#   pkg_missing [P...]	prints the packages of P... (default: PACKAGES)
#			not installed
#   pkg_install LOG P...	apt-get update + install of P... (non-interactive;
#			Postfix without a system mail configuration), output
#			in LOG; exit status of the install

# build: compiler, autotools, the eight libraries (libpsl with Debian's
# public suffix list for organisational domains; libmicrohttpd for the
# metrics listener; libspf2 for the doctor's SPF check; hiredis for Cluster,
# optional to configure but always installed here so that the tests build
# the link to Redis); tests and the demo: a real Postfix and
# its tools, swaks, miltertest, python3-dkim (+ nacl for Ed25519) as the
# independent verifier, OpenDKIM's tools and daemon (key tests, benchmark),
# dnsmasq as a DNS server the return-path checks and the doctor can ask,
# libfaketime to run the daemon days ahead (expiry of return-path records),
# chromium to render the HTML report headless; m4 and the libraries
# Sendmail's binary needs (Sendmail itself: pkg_sendmail).
PACKAGES=(build-essential autoconf automake libtool pkg-config
	libmilter-dev libopendkim-dev libssl-dev liblmdb-dev lmdb-utils
	libpsl-dev publicsuffix libmicrohttpd-dev libspf2-dev libhiredis-dev
	postfix swaks python3 python3-dkim python3-nacl miltertest groff-base
	ca-certificates opendkim opendkim-tools dnsmasq-base faketime chromium
	m4 libdb5.3 liblockfile1 libwrap0 libnsl2 libsasl2-2 libldap-2.5-0)

# The test suite only: a private Redis, replica and sentinel for the Redis
# link's tests (tests/lib/redis.sh; they skip without them), each on ports
# and sockets of its own (where an init system runs, the package also
# starts Debian's instance on 127.0.0.1:6379; no test uses it).  The demo
# does not install these: it runs one relay, which needs no Redis.
TEST_PACKAGES=(redis-server redis-sentinel redis-tools)

pkg_missing() {
	local p
	[ $# -gt 0 ] || set -- "${PACKAGES[@]}"
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || printf '%s\n' "$p"
	done
}

pkg_install() {
	local log=$1
	shift
	if printf '%s\n' "$@" | grep -qx postfix; then
		# no questions, and no system mail configuration: the scripts
		# run private Postfix instances of their own
		echo "postfix postfix/main_mailer_type select No configuration" |
			debconf-set-selections
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update >"$log" 2>&1 ||
		echo "apt-get update failed; trying the install anyway" >>"$log"
	apt-get install -y "$@" >>"$log" 2>&1
}

# pkg_sendmail DIR LOG: Debian's Sendmail (sendmail-bin, -base, -cf),
# unpacked into DIR for the Sendmail end-to-end test.  Sendmail and Postfix
# both provide mail-transport-agent and conflict as installed packages, so
# Sendmail's are fetched with apt-get download and unpacked, not installed;
# its libraries are in PACKAGES.  Status 0 if DIR holds the binary.
pkg_sendmail() {
	local dir=$1 log=$2 tmp d
	[ -x "$dir/usr/libexec/sendmail/sendmail" ] && return 0
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/repguard-sendmail.XXXXXX") || return 1
	if ! (cd "$tmp" && apt-get download sendmail-bin sendmail-base \
	    sendmail-cf) >"$log" 2>&1; then
		rm -rf "$tmp"
		return 1
	fi
	mkdir -p "$dir" || return 1
	for d in "$tmp"/*.deb; do
		dpkg-deb -x "$d" "$dir" >>"$log" 2>&1 || { rm -rf "$tmp"; return 1; }
	done
	rm -rf "$tmp"
	[ -x "$dir/usr/libexec/sendmail/sendmail" ]
}
