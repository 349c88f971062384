#!/bin/bash
# t_sign_auth.sh - signing authorisation through the milter protocol: a
# relay signing for a.example and b.example signs a message for a domain
# only when its sender may use it; every signature checked by python3-dkim.
#
# SigningAuthorization: "@a.example alice", "@b.example bob, 10.2.0.0/16".
#   - OnUnauthorizedFrom reject (the default): alice's From: boss@b.example
#     gets 550 5.7.1 naming b.example and alice, and a log line with both;
#     her own mail is signed d=a.example, bob's d=b.example; a client of
#     10.2.0.0/16 without a login is signed for b.example, an internal
#     client of another network is refused; a From: without a key
#     (OnNoKey accept) passes unsigned, never refused; with the null
#     sender the From: still decides (and mail with the null sender and no
#     login, the MTA's own bounces, goes unsigned, never refused); of two From: addresses the first
#     chooses the key (and only it is signed).
#   - tempfail: 451 4.7.1; sign-relay-domain: one signature, d=relay.example
#     (DefaultKey), none for b.example, and none at all for a From: in the
#     relay's own domain; accept-unsigned: no signature.
#   - FromAlignment reject with accept-unsigned: the unsigned forged From:
#     is refused; with no authorisation configured (the old, open relay)
#     repguard signs it d=b.example, and FromAlignment reject still refuses
#     it: the signature repguard added is not the sender's proof.
#   - SenderLoginMap alone authorises signing too.
#   - repguard -n: the open two-domain relay gets a warning; a bad
#     SigningAuthorization line is an error at its file:line;
#     sign-relay-domain without a fixed-domain DefaultKey is an error at its
#     line.
. "$TOP_SRCDIR/tests/lib/common.sh"

PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import dkim, nacl' 2>/dev/null || t_skip_all "needs python3-dkim and python3-nacl"
command -v openssl >/dev/null || t_skip_all "needs openssl"
MC=$TOP_SRCDIR/tests/lib/milterclient.py
VF=$TOP_SRCDIR/tests/dkim/verify.py
t_tmpdir
K=$T_TMP/keys
mkdir -m 0700 "$K"
VKEYS=()
for d in a b relay; do
	openssl genpkey -algorithm ED25519 -out "$K/$d.pem" 2>/dev/null
	chmod 600 "$K/$d.pem"
	printf 'v=DKIM1; k=ed25519; p=%s\n' "$(openssl pkey -in "$K/$d.pem" -pubout -outform DER |
	    tail -c 32 | base64 -w0)" >"$K/$d.txt"
	VKEYS+=(--key "s$d._domainkey.$d.example=$K/$d.txt")
done
printf '%s\n' "ka a.example:sa:$K/a.pem" "kb b.example:sb:$K/b.pem" \
    "relay relay.example:srelay:$K/relay.pem" >"$T_TMP/KeyTable"
printf '%s\n' "*@a.example ka" "*@b.example kb" "*@relay.example relay" >"$T_TMP/SigningTable"
AUTH=$T_TMP/signing-auth
printf '%s\n' "# address     logins and client networks" "@a.example    alice" \
    "@b.example    bob, 10.2.0.0/16" >"$AUTH"

CONF=$T_TMP/rg.conf
SOCK=$T_TMP/rg.sock
TABLES=(KeyTable "file:$T_TMP/KeyTable" SigningTable "refile:$T_TMP/SigningTable" DefaultKey relay)
start() {	# start NAME KEY VALUE...: a fresh daemon with these extra lines
	[ -n "${RG_PID:-}" ] && rg_stop TERM
	_name=$1; shift
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" Syslog no \
	    InternalHosts "10.1.0.0/16, 10.2.0.0/16" "${TABLES[@]}" "$@"
	LOG=$T_TMP/rg.$_name.log
	rg_start "$CONF" "$LOG" || { echo "Bail out! repguard did not start ($_name): $(tail -n 5 "$LOG")"; exit 1; }
}
# send LOGIN IP ENVELOPE FROM-HEADER: one message; sets REPLY and OUT
send() {
	OUT=$T_TMP/out.$T_N.$RANDOM
	_auth=()
	[ "$1" != - ] && _auth=(--auth "$1")
	{ printf 'From: %s\r\nTo: to@example.net\r\nSubject: sign auth\r\n' "$4"
	  printf 'Date: Mon, 07 Dec 2026 16:00:00 +0000\r\nMessage-ID: <%s@a.example>\r\n' "$RANDOM"
	  printf '\r\nbody line\r\n'; } >"$OUT.in"
	REPLY=$("$PY" "$MC" --socket "$SOCK" --client-ip "$2" "${_auth[@]}" --from "$3" \
	    --rcpt '<to@example.net>' --message "$OUT.in" --out "$OUT" 2>&1)
}
verify() { "$PY" "$VF" "${VKEYS[@]}" "$@" "$OUT" 2>&1; }
# signed DESC D: the last message went on, with exactly one signature, d=D, that passes
signed() {
	_v=$(verify --expect 1)
	if [ "$REPLY" = "eom: continue" ] && printf '%s\n' "$_v" | grep -q "^0 d=$2 .*result=pass"; then
		t_pass "$1"
	else
		t_fail "$1" "reply: $REPLY" "$_v"
	fi
}
# unsigned DESC: the last message went on without a signature
unsigned() {
	_v=$(verify --expect 0)
	_rc=$?
	if [ "$REPLY" = "eom: continue" ] && [ "$_rc" -eq 0 ] && ! grep -qi '^DKIM-Signature:' "$OUT"; then
		t_pass "$1"
	else
		t_fail "$1" "reply: $REPLY" "$_v"
	fi
}

FORGED='The Boss <boss@b.example>'

# --- OnUnauthorizedFrom reject (default) ---------------------------------------
start reject SigningAuthorization "$AUTH"
send alice 192.0.2.9 alice@a.example "$FORGED"
t_is "$REPLY" "eom: reject 550 5.7.1 repguard: login alice may not send as b.example" \
    "alice, From: boss@b.example: 550 5.7.1 naming the From: domain and the login"
t_wait_for 3 grep -q "login alice (client 192.0.2.9) may not be signed for b.example (boss@b.example): refused (OnUnauthorizedFrom reject)" "$LOG"
t_ok $? "... logged with the login, the client, the domain and the address"
t_is "$(grep -c 'signed d=b.example' "$LOG")" 0 "... and nothing was signed for b.example"
send alice 192.0.2.9 alice@a.example "Alice <alice@a.example>"
signed "alice's own From: alice@a.example: signed d=a.example, verifies" 'a\.example'
send alice 192.0.2.9 alice@a.example "<news@a.example>"
signed "alice, any address of a.example (@a.example): signed d=a.example" 'a\.example'
send bob 192.0.2.10 bob@b.example "$FORGED"
signed "bob's From: boss@b.example: signed d=b.example, verifies" 'b\.example'
send - 10.2.3.4 news@b.example "<news@b.example>"
signed "a client of 10.2.0.0/16 (listed for b.example), no login: signed d=b.example" 'b\.example'
send - 10.1.2.3 news@b.example "<news@b.example>"
t_is "$REPLY" "eom: reject 550 5.7.1 repguard: client 10.1.2.3 may not send as b.example" \
    "an internal client of another network, no login: refused, naming the client"
send - 10.2.3.4 news@b.example "<news@a.example>"
t_like "$REPLY" "^eom: reject 550 5\\.7\\.1 repguard: client 10\\.2\\.3\\.4 may not send as a\\.example" \
    "b.example's network may not be signed for a.example"
send alice 192.0.2.9 alice@a.example "<alice@elsewhere.example>"
unsigned "alice, From: a domain without a key (OnNoKey accept): unsigned, not refused"
send alice 192.0.2.9 "<>" "<alice@a.example>"
signed "null sender, From: alice@a.example: the From: decides, signed d=a.example" 'a\.example'
send alice 192.0.2.9 "<>" "$FORGED"
t_like "$REPLY" "^eom: reject 550 5\\.7\\.1 " "null sender, From: boss@b.example: refused"
send - 10.1.2.3 "<>" "MAILER-DAEMON@b.example (Mail Delivery System)"
unsigned "null sender without a login (the MTA's own bounce), not authorised for b.example: unsigned, never refused"
send alice 192.0.2.9 alice@a.example "alice@a.example, boss@b.example"
signed "two From: addresses: the first (a.example) chooses; only d=a.example is signed" 'a\.example'
send bob 192.0.2.10 bob@b.example "<x@news.b.example>"
unsigned "From: a subdomain (news.b.example), no key for it: unsigned"

# --- tempfail ----------------------------------------------------------------------
start tempfail SigningAuthorization "$AUTH" OnUnauthorizedFrom tempfail
send alice 192.0.2.9 alice@a.example "$FORGED"
t_is "$REPLY" "eom: tempfail 451 4.7.1 repguard: login alice may not send as b.example" \
    "OnUnauthorizedFrom tempfail: 451 4.7.1"
send bob 192.0.2.10 bob@b.example "$FORGED"
signed "... bob is still signed for b.example" 'b\.example'

# --- sign-relay-domain ---------------------------------------------------------------
start relay SigningAuthorization "$AUTH" OnUnauthorizedFrom sign-relay-domain
send alice 192.0.2.9 alice@a.example "$FORGED"
signed "sign-relay-domain: alice's forged From: is signed d=relay.example only" 'relay\.example'
t_is "$(grep -c 'DKIM-Signature:.*d=b.example\|d=b\.example;' "$OUT")" 0 "... with no signature for b.example"
t_wait_for 3 grep -q "signed as the relay's domain relay.example instead (OnUnauthorizedFrom sign-relay-domain)" "$LOG"
t_ok $? "... and the log says so"
send alice 192.0.2.9 alice@a.example "<ops@relay.example>"
unsigned "sign-relay-domain, From: ops@relay.example (the relay's own domain): no signature at all"
send alice 192.0.2.9 alice@a.example "Alice <alice@a.example>"
signed "... alice's own mail is still signed d=a.example" 'a\.example'

# --- accept-unsigned, and FromAlignment ---------------------------------------------------
start unsigned SigningAuthorization "$AUTH" OnUnauthorizedFrom accept-unsigned
send alice 192.0.2.9 alice@a.example "$FORGED"
unsigned "accept-unsigned: alice's forged From: passes unsigned"
t_wait_for 3 grep -q "may not be signed for b.example (boss@b.example): not signed (OnUnauthorizedFrom accept-unsigned)" "$LOG"
t_ok $? "... and the log says so"
start unsigned-align SigningAuthorization "$AUTH" OnUnauthorizedFrom accept-unsigned \
    FromAlignment reject
send alice 192.0.2.9 alice@a.example "$FORGED"
t_like "$REPLY" "^eom: reject 550 5\\.7\\.1 repguard: the From: domain does not align" \
    "accept-unsigned with FromAlignment reject: the forged From: does not align: 550 5.7.1"
start open FromAlignment reject
send alice 192.0.2.9 alice@a.example "$FORGED"
t_like "$REPLY" "^eom: reject 550 5\\.7\\.1 repguard: the From: domain does not align" \
    "no authorisation configured, FromAlignment reject: repguard's own d=b.example does not align the forged From:"
send alice 192.0.2.9 bounces@a.example "<alice@a.example>"
signed "... the open relay still signs (From: aligned with the envelope)" 'a\.example'

# --- SenderLoginMap authorises signing too -----------------------------------------------
printf '%s\n' "@a.example alice" "@b.example bob" >"$T_TMP/sender-login"
start loginmap SenderLoginMap "$T_TMP/sender-login"
send alice 192.0.2.9 alice@a.example "$FORGED"
t_like "$REPLY" "^eom: reject 550 5\\.7\\.1 repguard: login alice may not send as b\\.example" \
    "SenderLoginMap without SigningAuthorization: alice's forged From: refused"
send bob 192.0.2.10 bob@b.example "$FORGED"
signed "... bob signed d=b.example" 'b\.example'
rg_stop TERM
RG_PID=
t_is "$(cat "$T_TMP"/rg.*.log | grep -Ec 'panic|fatal|runtime error|AddressSanitizer')" 0 \
    "no panic, fatal or sanitizer report"

# --- repguard -n --------------------------------------------------------------------------
rg_conf "$CONF" Socket "unix:$SOCK" DatabasePath "$T_TMP/db" Syslog no "${TABLES[@]}"
out=$("$REPGUARD" -n -c "$CONF" 2>&1)
t_ok $? "repguard -n: an open relay signing for several domains is accepted"
t_like "$out" "signing for a\\.example, b\\.example, relay\\.example without SigningAuthorization or SenderLoginMap: every client may be signed for every one of these domains" \
    "... with a warning naming the domains"
rg_conf "$CONF" Socket "unix:$SOCK" DatabasePath "$T_TMP/db" Syslog no "${TABLES[@]}" \
    SigningAuthorization "$AUTH"
t_is "$("$REPGUARD" -n -c "$CONF" 2>&1 | grep -c 'without SigningAuthorization')" 0 \
    "... no warning once SigningAuthorization is given"
printf '%s\n' "@a.example alice" "@b.example bob 10.2.0.0/33" >"$T_TMP/bad-auth"
rg_conf "$CONF" Socket "unix:$SOCK" DatabasePath "$T_TMP/db" Syslog no "${TABLES[@]}" \
    SigningAuthorization "$T_TMP/bad-auth"
out=$("$REPGUARD" -n -c "$CONF" 2>&1)
t_is "$?" 1 "a bad network in SigningAuthorization: repguard -n fails"
t_like "$out" "^$T_TMP/bad-auth:2: .*10\\.2\\.0\\.0/33" "... at the file's own line"
rg_conf "$CONF" Socket "unix:$SOCK" DatabasePath "$T_TMP/db" Syslog no \
    KeyTable "file:$T_TMP/KeyTable" SigningTable "refile:$T_TMP/SigningTable" \
    SigningAuthorization "$AUTH" OnUnauthorizedFrom sign-relay-domain
out=$("$REPGUARD" -n -c "$CONF" 2>&1)
t_is "$?" 1 "sign-relay-domain without DefaultKey: repguard -n fails"
t_like "$out" "^$CONF:7: OnUnauthorizedFrom sign-relay-domain needs the relay's own key" \
    "... at the keyword's line"
rg_conf "$CONF" Socket "unix:$SOCK" DatabasePath "$T_TMP/db" Syslog no "${TABLES[@]}" \
    OnUnauthorizedFrom bounce
t_like "$("$REPGUARD" -n -c "$CONF" 2>&1)" "^$CONF:7: OnUnauthorizedFrom: expected reject, tempfail, sign-relay-domain or accept-unsigned" \
    "an unknown OnUnauthorizedFrom value: error at its line"
t_done
