#!/bin/bash
# t_retpath_config.sh - return-path settings and key files are checked when
# the configuration is loaded.
#
# "repguard -n" must accept a good setting and report every bad one as
# FILE:LINE: message with a non-zero exit: a key file others can read, a
# missing one, a secret shorter than 32 octets, a relative path, a domain
# without keys, keys or senders without a domain, a bad prefix (a
# character MTAs change, or one so long the local part would pass 64
# octets), a bad sender entry, an expiry out of range, a bad bounce rule (at
# the rules file's line) or a missing rules file.
. "$TOP_SRCDIR/tests/lib/common.sh"

command -v openssl >/dev/null || t_skip_all "needs the openssl command"
t_tmpdir
K=$T_TMP/keys
mkdir -m 0700 "$K"
openssl rand -hex 32 >"$K/rp1.key"
openssl rand -hex 32 >"$K/rp2.key"
printf 'short secret\n' >"$K/short.key"
chmod 600 "$K"/*.key
cp "$K/rp1.key" "$K/open.key"; chmod 0644 "$K/open.key"

CONF=$T_TMP/rg.conf
base() {	# base LINES...: lines 1-3 fixed, then LINES (line 4 on)
	printf '%s\n' "Socket unix:$T_TMP/rg.sock" "DatabasePath $T_TMP/db" \
	    "Syslog no" "$@" >"$CONF"
}
check() {	# check NAME EXIT-WANT ERE
	_out=$("$REPGUARD" -n -c "$CONF" 2>&1)
	_rc=$?
	if [ "$_rc" -eq "$2" ] && printf '%s\n' "$_out" | grep -Eq -- "$3"; then
		t_pass "$1"
	else
		t_fail "$1" "exit $_rc (want $2)" "output: $_out" "want: $3"
	fi
}
C=$(printf '%s' "$CONF" | sed 's/[.[\*^$]/\\&/g')

base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key"
check "domain and one key: OK" 0 "configuration OK"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp2.key, $K/rp1.key" \
    "ReturnPathPrefix bounces" "ReturnPathExpiry 7d" "ReturnPathSenders alice@example.com example.org"
check "two keys, prefix, expiry, senders: OK" 0 "configuration OK"
base
check "no return-path settings at all: OK (rewriting off)" 0 "configuration OK"

base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/open.key"
check "key file readable by others: error at its line" 1 "^$C:5: ReturnPathKeyFile: .*open\\.key: mode 0644 .*chmod 600"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/missing.key"
check "missing key file: error at its line" 1 "^$C:5: ReturnPathKeyFile: .*missing\\.key: cannot open"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/short.key"
check "a secret shorter than 32 octets: error" 1 "^$C:5: ReturnPathKeyFile: .*short\\.key: secret shorter than 32 octets"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile keys/rp1.key"
check "a relative key path: error" 1 "^$C:5: ReturnPathKeyFile: keys/rp1\\.key: expected an absolute path"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key $K/open.key"
check "one bad key among two: error" 1 "^$C:5: ReturnPathKeyFile: .*open\\.key: mode 0644"
base "ReturnPathDomain bounce.example.com"
check "a domain without keys: error at the domain's line" 1 "^$C:4: ReturnPathDomain: needs ReturnPathKeyFile"
base "ReturnPathKeyFile $K/rp1.key"
check "keys without a domain: error" 1 "^$C:4: ReturnPathKeyFile: no ReturnPathDomain"
base "ReturnPathSenders example.com"
check "senders without a domain: error" 1 "^$C:4: ReturnPathSenders: no ReturnPathDomain"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key" "ReturnPathPrefix bounce+x"
check "'+' in the prefix: error" 1 "^$C:6: ReturnPathPrefix: \"bounce\\+x\": prefix may only hold"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key" "ReturnPathPrefix abcdefghijklmnopqr"
check "an 18-character prefix (local part over 64): error" 1 "^$C:6: ReturnPathPrefix: .*longer than 17"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key" "ReturnPathSenders bad@@example.com"
check "a sender entry that is no address: error" 1 "^$C:6: ReturnPathSenders: not an address"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key" "ReturnPathExpiry 10m"
check "expiry under an hour: error" 1 "^$C:6: ReturnPathExpiry: expected a duration from 1h to 366d"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key" "ReturnPathExpiry soon"
check "expiry that is no duration: error" 1 "^$C:6: ReturnPathExpiry: .*\"soon\""
base "ReturnPathDomain not_a_domain!" "ReturnPathKeyFile $K/rp1.key"
check "a bad domain: error" 1 "^$C:4: ReturnPathDomain: not a domain name"

# the bounce rules, read with the configuration when reports are taken in
printf '%s\n' "hard status ^5\\.1\\.1\$" "sometimes status 5" >"$T_TMP/rules"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key" "BounceRules $T_TMP/rules"
check "a bad bounce rule: error at the rules file's line" 1 "^$T_TMP/rules:2: unknown reason \"sometimes\""
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key" "BounceRules $T_TMP/norules"
check "a missing BounceRules file: error at the configuration's line" 1 "^$C:6: BounceRules: .*norules: cannot open"
base "ReturnPathDomain bounce.example.com" "ReturnPathKeyFile $K/rp1.key" "BounceRules $TOP_SRCDIR/contrib/bounce-rules"
check "the shipped rules: OK" 0 "configuration OK"

# Reloads run as UserID: a key file that user does not own stops the start
# (and repguard -n), naming it; one it owns starts and reloads.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -p "$T_TMP/udb" && chown "nobody:$(id -gn nobody)" "$T_TMP/udb"
	chmod 0711 "$T_TMP" "$K"
	printf '%s\n' "Socket unix:$T_TMP/ru.sock" "UMask 000" "DatabasePath $T_TMP/udb" \
	    "Syslog no" "UserID nobody" "ReturnPathDomain bounce.example.com" \
	    "ReturnPathKeyFile $K/rp1.key" "BounceRules $TOP_SRCDIR/contrib/bounce-rules" >"$CONF"
	chmod 0644 "$CONF"
	out=$("$REPGUARD" -f -c "$CONF" 2>&1); rc=$?
	t_like "$rc $out" "^1 .*rp1\.key: ReturnPathKeyFile is not owned by user nobody \(UserID\), who reads it again at each reload; chown nobody it" \
	    "UserID: a root-owned return-path key stops the start (exit 1), naming it"
	out=$("$REPGUARD" -n -c "$CONF" 2>&1); rc=$?
	t_like "$rc $out" "^1 .*rp1\.key: ReturnPathKeyFile is not owned by user nobody" \
	    "UserID: ... and repguard -n says so"
	chown nobody "$K/rp1.key"
	: >"$T_TMP/ru.log"
	if rg_start "$CONF" "$T_TMP/ru.log"; then
		kill -HUP "$RG_PID"
		t_wait_for 5 grep -q "configuration reloaded\|reload refused" "$T_TMP/ru.log"
		t_like "$(cat "$T_TMP/ru.log")" "configuration reloaded" \
		    "UserID: a return-path key owned by that user reloads without error"
		t_is "$(grep -c 'not owned by user' "$T_TMP/ru.log")" 0 \
		    "UserID: no warning for a key that user owns"
		rg_stop TERM
	else
		t_fail "daemon with UserID started" "$(tail -n 5 "$T_TMP/ru.log")"
	fi
else
	echo "ok $((T_N + 1)) # SKIP UserID key tests need root"; T_N=$((T_N + 1))
fi
t_done
