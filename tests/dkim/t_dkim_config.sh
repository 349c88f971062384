#!/bin/bash
# t_dkim_config.sh - DKIM key and table errors are configuration errors.
#
# Every bad key or table is reported by "repguard -n" as FILE:LINE: message
# (the line of the keyword, or of the KeyTable/SigningTable entry) with a
# non-zero exit; a weak RSA key is a warning; a reload (SIGHUP) with a bad
# key is refused and the old keys keep signing.
. "$TOP_SRCDIR/tests/lib/common.sh"

command -v openssl >/dev/null || t_skip_all "needs the openssl command"
t_tmpdir
K=$T_TMP/keys
mkdir -m 0700 "$K"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$K/rsa1024.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$K/ed.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/ec.pem" 2>/dev/null
echo "not a key at all" >"$K/garbage.pem"
chmod 600 "$K"/*.pem
cp "$K/rsa.pem" "$K/open.pem"; chmod 0644 "$K/open.pem"

CONF=$T_TMP/rg.conf
base() {	# base LINES...: a config whose lines 1-3 are fixed, then LINES
	printf '%s\n' "Socket unix:$T_TMP/rg.sock" "DatabasePath $T_TMP/db" \
	    "Syslog no" "$@" >"$CONF"
}
# check NAME EXIT-WANT ERE: run repguard -n, compare exit status and output
check() {
	_out=$("$REPGUARD" -n -c "$CONF" 2>&1)
	_rc=$?
	if [ "$_rc" -eq "$2" ] && printf '%s\n' "$_out" | grep -Eq -- "$3"; then
		t_pass "$1"
	else
		t_fail "$1" "exit $_rc (want $2)" "output: $_out" "want: $3"
	fi
}
C=$(printf '%s' "$CONF" | sed 's/[.[\*^$]/\\&/g')

base "Domain example.com" "Selector s1" "KeyFile $K/rsa.pem"
check "simple form with a good RSA key: configuration OK" 0 "configuration OK"
base "Domain example.com" "Selector e1" "KeyFile $K/ed.pem" "SignatureAlgorithm ed25519-sha256"
check "Ed25519 key with SignatureAlgorithm ed25519-sha256: OK" 0 "configuration OK"
base "Domain example.com" "Selector s1" "KeyFile $K/open.pem"
check "key readable by others: error at the KeyFile line" 1 "^$C:6: KeyFile: .*mode 0644 .*chmod 600"
base "Domain example.com" "Selector s1" "KeyFile $K/missing.pem"
check "missing key file: error at the KeyFile line" 1 "^$C:6: KeyFile: .*missing\\.pem.*(No such file|cannot)"
base "Domain example.com" "Selector s1" "KeyFile $K/garbage.pem"
check "a file that is not a key: error at the KeyFile line" 1 "^$C:6: KeyFile: .*garbage\\.pem"
base "Domain example.com" "Selector s1" "KeyFile $K/ec.pem"
check "an EC key (not RSA or Ed25519): refused" 1 "^$C:6: KeyFile: .*(EC|type)"
base "SignatureAlgorithm ed25519-sha256" "Domain example.com" "Selector s1" "KeyFile $K/rsa.pem"
check "RSA key with SignatureAlgorithm ed25519-sha256: error" 1 "^$C:7: key example\\.com is an RSA key but SignatureAlgorithm is ed25519-sha256"
base "Domain example.com" "Selector s1" "KeyFile $K/rsa.pem" "SignatureAlgorithm rsa-sha1"
check "SignatureAlgorithm rsa-sha1: refused" 1 "^$C:7: SignatureAlgorithm: rsa-sha1 is refused"
base "Domain example.com" "Selector s1" "KeyFile $K/rsa1024.pem"
check "RSA 1024-bit key: a warning, still OK" 0 "1024 bits.*2048 or more"
base "Domain example.com" "KeyFile $K/rsa.pem"
check "Domain and KeyFile without Selector: error" 1 "^$C:4: .*Selector is missing"
base "Canonicalization relaxed/fancy"
check "bad Canonicalization: error" 1 "^$C:4: Canonicalization: expected simple, relaxed"
base "Selector bad_selector!"
check "bad Selector: error" 1 "^$C:4: Selector: not a selector"

# KeyTable / SigningTable in OpenDKIM's syntax.
KT=$T_TMP/KeyTable
ST=$T_TMP/SigningTable
printf '%s\n' "# OpenDKIM KeyTable" \
    "rsa._domainkey.example.com example.com:rsa:$K/rsa.pem" \
    "ed._domainkey.example.com example.com:ed:$K/ed.pem" >"$KT"
printf '%s\n' "*@example.com rsa._domainkey.example.com" \
    "*@example.com ed._domainkey.example.com" >"$ST"
base "KeyTable file:$KT" "SigningTable refile:$ST" "MultipleSignatures yes"
check "KeyTable + refile SigningTable: OK" 0 "configuration OK"
printf '%s\n' "rsa._domainkey.example.com example.com:rsa:$K/rsa.pem" \
    "broken-line-without-value" >"$KT"
check "bad KeyTable line: error with the KeyTable's file and line" 1 "^$T_TMP/KeyTable:2: "
printf '%s\n' "rsa._domainkey.example.com example.com:rsa:$K/open.pem" >"$KT"
check "world-readable key in the KeyTable: error at its KeyTable line" 1 "^$T_TMP/KeyTable:1: key rsa\\._domainkey\\.example\\.com: .*mode 0644"
printf '%s\n' "rsa._domainkey.example.com example.com:rsa:$K/rsa.pem" >"$KT"
printf '%s\n' "*@example.com rsa._domainkey.example.com" "*@example.org nosuchkey" >"$ST"
check "SigningTable naming a key the KeyTable lacks: error at its line" 1 "^$T_TMP/SigningTable:2: key \"nosuchkey\" is not in the KeyTable"
base "KeyTable file:$KT" "SigningTable refile:$ST" "Domain example.com" "Selector s" "KeyFile $K/rsa.pem"
check "KeyTable and KeyFile together: error" 1 "exclude each other"
base "KeyTable file:$KT"
check "KeyTable without SigningTable: error" 1 "^$C:4: KeyTable and SigningTable go together"
printf '%s\n' "*@example.com rsa._domainkey.example.com" >"$ST"
base "KeyTable file:$KT" "SigningTable refile:$ST" "OnNoKey default"
check "OnNoKey default without DefaultKey: error" 1 "^$C:6: OnNoKey default needs DefaultKey"
base "KeyTable file:$KT" "SigningTable refile:$ST" "OnNoKey default" "DefaultKey nope"
check "DefaultKey not in the KeyTable: error" 1 "^$C:7: DefaultKey: \"nope\" is not in the KeyTable"
base "KeyTable refile:$KT" "SigningTable refile:$ST"
check "KeyTable given as refile: error" 1 "^$C:4: KeyTable: refile: is for the SigningTable"
base "KeyTable $T_TMP/KeyTable.db" "SigningTable refile:$ST"
check "a KeyTable path ending in .db (Berkeley DB to OpenDKIM): error" 1 "^$C:4: KeyTable: .*Berkeley DB"

# repguardctl does not need the keys (it may run as a user who cannot read them).
base "Domain example.com" "Selector s1" "KeyFile $K/missing.pem"
out=$("$REPGUARDCTL" -c "$CONF" senders 2>&1)
t_ok $? "repguardctl works with a configuration whose key it cannot read"

# A reload with a bad key is refused; the running keys keep signing.
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import dkim, nacl' 2>/dev/null; then
	cp "$K/rsa.pem" "$K/live.pem"; chmod 600 "$K/live.pem"
	printf '%s\n' "Socket unix:$T_TMP/rg.sock" "UMask 000" "DatabasePath $T_TMP/db" \
	    "Syslog no" "InternalHosts 10.1.0.0/16" "Domain example.com" "Selector s1" \
	    "KeyFile $K/live.pem" >"$CONF"
	printf 'v=DKIM1; k=rsa; p=%s\n' "$(openssl pkey -in "$K/rsa.pem" -pubout -outform DER | base64 -w0)" >"$T_TMP/s1.txt"
	printf 'From: a@example.com\r\nTo: b@example.net\r\nSubject: t\r\n\r\nbody\r\n' >"$T_TMP/msg"
	sign_ok() {	# sign_ok NAME: a message through the daemon verifies
		/usr/bin/python3 "$TOP_SRCDIR/tests/lib/milterclient.py" --socket "$T_TMP/rg.sock" \
		    --client-ip 10.1.2.3 --from '<a@example.com>' --rcpt '<b@example.net>' \
		    --message "$T_TMP/msg" --out "$T_TMP/out" >/dev/null 2>&1 &&
		/usr/bin/python3 "$TOP_SRCDIR/tests/dkim/verify.py" \
		    --key "s1._domainkey.example.com=$T_TMP/s1.txt" "$T_TMP/out" >"$T_TMP/verify.out" 2>&1
		t_ok $? "$1"
	}
	if rg_start "$CONF" "$T_TMP/rg.log"; then
		sign_ok "running daemon signs with the configured key"
		chmod 0644 "$K/live.pem"
		kill -HUP "$RG_PID"
		t_wait_for 5 grep -q "reload refused" "$T_TMP/rg.log"
		t_like "$(grep 'reload refused' "$T_TMP/rg.log" | head -n1)" \
		    "reload refused: $C:8: KeyFile: .*mode 0644" \
		    "SIGHUP with a world-readable key: reload refused with file:line"
		sign_ok "after the refused reload the old key still signs"
		rg_stop TERM
		t_is "$RG_STATUS" 0 "daemon stops cleanly"
	else
		t_fail "daemon started" "$(tail -n 5 "$T_TMP/rg.log")"
	fi
else
	echo "ok $((T_N + 1)) # SKIP reload test needs python3-dkim and python3-nacl"; T_N=$((T_N + 1))
fi

# Reloads run as UserID: a key that user does not own stops the start
# (and repguard -n), naming it; a key it owns starts and reloads fine.
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	NG=$(id -gn nobody)
	mkdir -p "$T_TMP/udb" && chown "nobody:$NG" "$T_TMP/udb"
	chmod 0711 "$K"
	cp "$K/rsa.pem" "$K/rootkey.pem"; chmod 600 "$K/rootkey.pem"
	printf '%s\n' "Socket unix:$T_TMP/ru.sock" "UMask 000" "DatabasePath $T_TMP/udb" \
	    "Syslog no" "UserID nobody" "Domain example.com" "Selector s1" \
	    "KeyFile $K/rootkey.pem" >"$CONF"
	chmod 0644 "$CONF"
	out=$("$REPGUARD" -f -c "$CONF" 2>&1); rc=$?
	t_like "$rc $out" "^1 .*rootkey\.pem: key example\.com is not owned by user nobody \(UserID\), who reads it again at each reload; chown nobody it" \
	    "UserID: a root-owned key stops the start (exit 1), naming it (reloads run as nobody)"
	out=$("$REPGUARD" -n -c "$CONF" 2>&1); rc=$?
	t_like "$rc $out" "^1 .*rootkey\.pem: key example\.com is not owned by user nobody" \
	    "UserID: ... and repguard -n says so"
	chown nobody "$K/rootkey.pem"
	: >"$T_TMP/ru.log"
	if rg_start "$CONF" "$T_TMP/ru.log"; then
		kill -HUP "$RG_PID"
		t_wait_for 15 grep -q "configuration reloaded\|reload refused" "$T_TMP/ru.log"
		t_like "$(cat "$T_TMP/ru.log")" "configuration reloaded" \
		    "UserID: a key owned by that user reloads (SIGHUP) without error"
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
