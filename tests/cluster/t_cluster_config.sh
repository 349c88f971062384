#!/bin/bash
# t_cluster_config.sh - the Cluster keywords, checked by "repguard -n".
#
# Good settings pass ("configuration OK", exit 0, nothing else printed):
# every keyword at once with an ACL user's password file, a password alone,
# a unix socket, sentinels; a file without any Cluster keyword prints
# nothing new.  Each bad value is "FILE:LINE: Keyword: message" with exit 1:
# rediss:// (no TLS in Debian 12's hiredis, and what to do instead), a
# password written into the URL (refused, never printed), a URL that is
# none of the forms, a bad port, ClusterName and NodeName outside their
# characters, ClusterTimeout out of 1ms..10s or a bare number (seconds),
# ClusterOnDown not local or tempfail, a password file that others can
# read (mode 0644), that is missing, empty, or holds a third word (never
# quoted).  Cluster keywords without Cluster are warnings at their lines.
# As root with UserID: a password file that user does not own is named.
# A build without hiredis refuses Cluster, saying so (the rest skipped).
. "$TOP_SRCDIR/tests/lib/common.sh"

t_tmpdir
CONF=$T_TMP/rg.conf
K=$T_TMP/keys
mkdir -m 0700 "$K"
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

base "Cluster redis://127.0.0.1:6379"
if "$REPGUARD" -n -c "$CONF" 2>&1 | grep -q 'built without hiredis'; then
	check "a build without hiredis refuses Cluster, saying so" 1 \
	    "^$C:4: Cluster: this repguard was built without hiredis \(Debian package libhiredis-dev\): Cluster is not available$"
	echo "ok $((T_N + 1)) # SKIP the other Cluster checks need hiredis"
	T_N=$((T_N + 1))
	t_done
fi

printf 'alice Alice-pw-1234\n' >"$K/alice.pw"
printf 'Default-pw-77\n' >"$K/default.pw"
printf 'alice Alice-pw-1234\n' >"$K/open.pw"
: >"$K/empty.pw"
printf 'alice Alice-pw-1234 Third-word-99\n' >"$K/three.pw"
chmod 600 "$K"/*.pw
chmod 644 "$K/open.pw"

# --- good ---------------------------------------------------------------------
base "Cluster redis://redis.example.com:6390/2" "ClusterName relays-eu.1" \
    "NodeName mx1.example.com" "ClusterPasswordFile $K/alice.pw" \
    "ClusterTimeout 250ms" "ClusterOnDown tempfail"
check "every Cluster keyword, an ACL user's password file: OK" 0 "^$C: configuration OK$"
t_is "$_out" "$CONF: configuration OK" "... and nothing else printed"
base "Cluster unix:/run/redis/redis.sock?db=1" "ClusterPasswordFile $K/default.pw"
check "a unix socket and a password alone: OK" 0 "^$C: configuration OK$"
base "Cluster sentinel://10.0.0.1,10.0.0.2:26380,[::1]/mymaster" "ClusterTimeout 1s"
check "three sentinels, a timeout of 1s: OK" 0 "^$C: configuration OK$"
base "Cluster redis://[::1]" "ClusterTimeout 10s"
check "IPv6, the longest timeout: OK" 0 "^$C: configuration OK$"
base
check "no Cluster keyword: OK" 0 "^$C: configuration OK$"
t_is "$_out" "$CONF: configuration OK" "without Cluster nothing else is printed"

# --- the URL --------------------------------------------------------------------
base "Cluster rediss://redis.example.com:6380"
check "rediss:// refused: no TLS in Debian 12's hiredis" 1 \
    "^$C:4: Cluster: rediss:// \(TLS\) is refused: Debian 12's hiredis has no TLS"
check "... and the text says how else to protect the link" 1 \
    "a unix socket, a private network, or a TLS tunnel \(stunnel, spiped\)"
base "Cluster redis://alice:Url-secret-55@127.0.0.1:6379"
check "a password in the URL: refused, pointing to ClusterPasswordFile" 1 \
    "^$C:4: Cluster: a user or password in the URL is refused .*ClusterPasswordFile"
t_is "$(printf '%s' "$_out" | grep -c 'Url-secret-55')" 0 "... and never printed"
base "Cluster 127.0.0.1:6379"
check "a URL of none of the forms" 1 "^$C:4: Cluster: expected redis://HOST\[:PORT\]\[/DB\], unix:/PATH"
base "Cluster redis://127.0.0.1:99999"
check "a bad port" 1 "^$C:4: Cluster: bad port \"99999\" \(1 to 65535\)"
base "Cluster sentinel://s1"
check "sentinels without a master's name" 1 "^$C:4: Cluster: expected /MASTER"

# --- names, timeout, on-down ----------------------------------------------------
base "Cluster redis://h" "ClusterName relays eu"
check "a ClusterName with a space" 1 "^$C:5: ClusterName: expected 1 to 64 letters, digits"
base "Cluster redis://h" "NodeName mx1/eu"
check "a NodeName with a '/'" 1 "^$C:5: NodeName: expected 1 to 64 letters, digits"
base "Cluster redis://h" "ClusterTimeout 0ms"
check "ClusterTimeout 0ms" 1 "^$C:5: ClusterTimeout: expected a duration from 1ms to 10s"
base "Cluster redis://h" "ClusterTimeout 11s"
check "ClusterTimeout 11s" 1 "^$C:5: ClusterTimeout: expected a duration from 1ms to 10s"
base "Cluster redis://h" "ClusterTimeout 50"
check "ClusterTimeout 50: a number alone is seconds" 1 \
    "^$C:5: ClusterTimeout: .*got \"50\" \(a number alone is seconds\)"
base "Cluster redis://h" "ClusterTimeout 5ms1s"
check "ClusterTimeout with ms not last" 1 "^$C:5: ClusterTimeout: milliseconds must come last"
base "Cluster redis://h" "ClusterOnDown accept"
check "ClusterOnDown accept" 1 "^$C:5: ClusterOnDown: expected local or tempfail, got \"accept\""

# --- the password file ----------------------------------------------------------
base "Cluster redis://h" "ClusterPasswordFile $K/open.pw"
check "a password file others can read: refused" 1 \
    "^$C:5: ClusterPasswordFile: .*open\.pw: mode 0644 lets group and others read it; chmod 600"
base "Cluster redis://h" "ClusterPasswordFile $K/missing.pw"
check "a missing password file" 1 "^$C:5: ClusterPasswordFile: .*missing\.pw: cannot open"
base "Cluster redis://h" "ClusterPasswordFile $K/empty.pw"
check "an empty password file" 1 "^$C:5: ClusterPasswordFile: .*empty\.pw: empty"
base "Cluster redis://h" "ClusterPasswordFile $K/three.pw"
check "a third word in the password file" 1 \
    "^$C:5: ClusterPasswordFile: .*three\.pw: more than two words"
t_is "$(printf '%s' "$_out" | grep -Ec 'Alice-pw|Third-word')" 0 \
    "... the file's words are never printed"
base "Cluster redis://h" "ClusterPasswordFile keys/alice.pw"
check "a relative password file" 1 "^$C:5: ClusterPasswordFile: expected an absolute path"

# --- all at once; and without Cluster ---------------------------------------------
base "Cluster rediss://h" "ClusterName a*b" "ClusterTimeout 20s" "ClusterOnDown x"
check "every error of a file, each at its line (4)" 1 "^$C:4: Cluster: rediss://"
check "every error of a file, each at its line (7)" 1 "^$C:7: ClusterOnDown: "
base "ClusterName eu" "NodeName mx1" "ClusterTimeout 1s"
check "Cluster keywords without Cluster: a warning at each line" 0 \
    "^$C:4: ClusterName has no effect without Cluster$"
check "... the last one too, and the file is OK" 0 "^$C:6: ClusterTimeout has no effect without Cluster$"

# --- UserID: reloads read the password file again as that user --------------------
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	base "Cluster redis://h" "ClusterPasswordFile $K/alice.pw" "UserID nobody"
	check "UserID: a root-owned password file is named" 1 \
	    "^$C:5: ClusterPasswordFile: .*alice\.pw is not owned by user nobody \(UserID\), who reads it again at each reload; chown nobody it"
	chown nobody "$K/alice.pw"
	check "UserID: one that user owns: OK" 0 "^$C: configuration OK$"
else
	echo "ok $((T_N + 1)) # SKIP UserID checks need root and the user nobody"
	T_N=$((T_N + 1))
fi
t_done
