#!/bin/bash
# t_sender_login.sh - SenderLoginMap: an authenticated login may use only
# the envelope senders listed for it (Postfix's smtpd_sender_login_maps
# text format), through the milter protocol.
#
# alice may use alice@example.com, bob any address of example.org; others
# get 553 5.7.1 at MAIL FROM with a text naming sender and login, and a log
# line.  The null sender and unauthenticated (internal) clients are not
# checked.  A bad entry is reported by repguard -n at the map's own
# file:line, a missing map at the configuration's line; a reload with a
# changed map takes effect.
. "$TOP_SRCDIR/tests/lib/common.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || t_skip_all "$PY not installed"
t_tmpdir
SOCK=$T_TMP/rg.sock
CONF=$T_TMP/rg.conf
LOG=$T_TMP/rg.log
MAP=$T_TMP/sender_login
printf '%s\n' "# sender  logins" "alice@example.com  alice" "@example.org  bob" >"$MAP"

rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 SenderLoginMap "$MAP"

# mail IP LOGIN FROM: "CODE TEXT" of the MAIL FROM reply ("c" continue)
mail() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, ip, login, sender = sys.argv[2:6]
with mc.MilterClient(sock) as cl:
    cl.negotiate()
    cl.macros.update({"client_addr": ip})
    cl.connect("client.example", ip)
    if login != "-":
        cl.macros.update({"auth_type": "PLAIN", "auth_authen": login})
    r = cl.mail(sender)
    print(r.code, r.text)
PYEOF
}

"$REPGUARD" -n -c "$CONF" >/dev/null 2>&1
t_ok $? "repguard -n accepts the map"
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

t_is "$(mail 192.0.2.9 alice alice@example.com)" "c " "alice as alice@example.com: allowed"
t_is "$(mail 192.0.2.9 ALICE Alice@Example.COM)" "c " "case does not matter"
t_is "$(mail 192.0.2.9 bob someone@example.org)" "c " "bob as any address of example.org: allowed"
out=$(mail 192.0.2.9 alice bob@example.org)
t_like "$out" '^y 553 5\.7\.1 repguard: sender address <?bob@example\.org>? is not one login alice may use' \
	"alice as bob@example.org: 553 5.7.1 naming sender and login"
t_wait_for 3 grep -q "refused: login alice may not send as .*bob@example.org.* (SenderLoginMap)" "$LOG"
t_ok $? "... and a log line"
out=$(mail 192.0.2.9 carol carol@example.net)
t_like "$out" '^y 553 5\.7\.1 ' "a login the map does not name: refused"
t_is "$(mail 192.0.2.9 alice "<>")" "c " "the null sender is not checked"
t_is "$(mail 10.1.2.3 - anyone@example.net)" "c " "an unauthenticated internal client is not checked"

# reload with a changed map
printf '%s\n' "alice@example.com alice" "@example.org bob, alice" >"$MAP"
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
t_is "$(mail 192.0.2.9 alice bob@example.org)" "c " "after a reload the new map applies: alice may use example.org"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"

# errors
printf '%s\n' "ok@example.com a" "broken-line" >"$T_TMP/badmap"
rg_conf "$CONF" Socket "unix:$SOCK" DatabasePath "$T_TMP/db" Syslog no SenderLoginMap "$T_TMP/badmap"
out=$("$REPGUARD" -n -c "$CONF" 2>&1)
t_is "$?" 1 "a bad map entry: repguard -n fails"
t_like "$out" "^$T_TMP/badmap:2: expected user@domain, @domain or user@" "... at the map's file:line"
rg_conf "$CONF" Socket "unix:$SOCK" DatabasePath "$T_TMP/db" Syslog no SenderLoginMap "$T_TMP/nomap"
out=$("$REPGUARD" -n -c "$CONF" 2>&1)
t_like "$out" "^$CONF:4: SenderLoginMap: $T_TMP/nomap: cannot open" "a missing map: at the configuration's line"
t_done
