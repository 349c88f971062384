#!/bin/bash
# t_secrets.sh - the security review's points, checked on the running
# daemon and repguardctl (README, "Security"):
#   - privileges: started as root with UserID, repguard runs as that user
#     (real, effective, saved uid and gid) with no capabilities left;
#   - modes: with the default UMask 007 the socket is 770 and the database
#     files 660; with UMask 000 the database files are still not
#     world-readable or -writable (660), and repguard -n warns that the
#     socket is open to every local user;
#   - secrets: after messages signed and rewritten, a bounce taken in, a
#     reload and a round of repguardctl commands (senders, show, metrics,
#     limits, report, db check, dkim-record), no line of the daemon's log
#     and nothing repguardctl printed or wrote holds the return-path key
#     or any 24-character piece of the DKIM private key; a key file that
#     is no key (too short a secret, a PEM that does not parse) is refused
#     without its contents in the message;
#   - the group model: the database belongs to UserID and its group (660):
#     a user in that group may run repguardctl pause; a user outside it
#     gets "Permission denied" and changes nothing.
# Needs root, the user nobody and setpriv (else skipped).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

[ "$(id -u)" -eq 0 ] || t_skip_all "needs root (UserID, file owners)"
id nobody >/dev/null 2>&1 || t_skip_all "needs the user nobody"
command -v setpriv >/dev/null || t_skip_all "needs setpriv (util-linux)"
rg_milter_test
chmod 0711 "$T_TMP"
RUSER=nobody
RUID=$(id -u nobody)
RGROUP=$(id -gn nobody)
RGID=$(id -g nobody)
K=$T_TMP/keys
mkdir -p "$K" "$T_TMP/udb"
chown "$RUSER:$RGROUP" "$K" "$T_TMP/udb"
chmod 0700 "$K"
dkim_key "$K/dkim.pem"
rp_key "$K/rp.key"
chown "$RUSER" "$K/dkim.pem" "$K/rp.key"
RPSECRET=$(cat "$K/rp.key")
write_conf() {	# write_conf UMASK
	rg_conf "$CONF" Socket "unix:$SOCK" UMask "$1" DatabasePath "$T_TMP/udb" \
		CommitInterval 5 Syslog no UserID "$RUSER" InternalHosts 10.1.0.0/16 \
		Domain example.com Selector s1 KeyFile "$K/dkim.pem" \
		ReturnPathDomain bounce.example.com ReturnPathKeyFile "$K/rp.key" \
		BounceRules "$TOP_SRCDIR/contrib/bounce-rules"
	chmod 0644 "$CONF"
}
ctl() { "$REPGUARDCTL" -c "$CONF" "$@"; }

# --- privileges and modes -------------------------------------------------------
write_conf 007
"$REPGUARD" -n -c "$CONF" >"$T_TMP/n.out" 2>&1
t_is "$(cat "$T_TMP/n.out")" "$CONF: configuration OK" "UMask 007: repguard -n has no warning"
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
t_is "$(awk '/^Uid:/ { print $2, $3, $4 } /^Gid:/ { print $2, $3, $4 }' "/proc/$RG_PID/status" | paste -sd ' ')" \
	"$RUID $RUID $RUID $RGID $RGID $RGID" "the daemon runs as $RUSER (uid and gid: real, effective, saved)"
t_is "$(awk '/^CapEff:/ { print $2 }' "/proc/$RG_PID/status")" 0000000000000000 \
	"... with no capabilities left"
t_is "$(stat -c '%a' "$SOCK")" 770 "UMask 007: the socket is 770"
t_is "$(stat -c '%a %U' "$T_TMP/udb/data.mdb" "$T_TMP/udb/lock.mdb" | sort -u)" "660 $RUSER" \
	"UMask 007: the database files are 660, $RUSER's"

# --- traffic, a bounce, a reload, then everything repguardctl shows ----------------
"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" >"$T_TMP/rp.addr" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
for i in range(3):
    msg = mc.Message.from_bytes(b"From: <alice@example.com>\r\nSubject: t\r\n\r\nhello\r\n")
    res = mc.run_session(sys.argv[2], msg, mc.Envelope(client_ip="10.1.2.3",
        sender="alice@example.com", rcpts=["nobody@example.org"]))
print(res.sender.strip("<>"))
PYEOF
rp=$(cat "$T_TMP/rp.addr")
t_like "$rp" '^rp\+[0-9a-f]{46}@bounce\.example\.com$' "messages were signed and rewritten ($rp)"
report_for "$rp" postfix-dsn-5.1.1.eml "$T_TMP/dsn.eml"
"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$T_TMP/dsn.eml" "$rp" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
mc.run_session(sys.argv[2], mc.Message.from_bytes(open(sys.argv[3], "rb").read()),
    mc.Envelope(client_ip="192.0.2.1", sender="<>", rcpts=[sys.argv[4]]))
PYEOF
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
t_ok $? "a reload"
OUTS=$T_TMP/outs
mkdir -p "$OUTS"
ctl senders --json >"$OUTS/senders" 2>&1
ctl show alice@example.com --json >"$OUTS/show" 2>&1
ctl metrics >"$OUTS/metrics" 2>&1
ctl limits --json >"$OUTS/limits" 2>&1
ctl report --html "$OUTS/report.html" >"$OUTS/report.out" 2>&1
ctl db check >"$OUTS/dbcheck" 2>&1
ctl dkim-record "$K/dkim.pem" --domain example.com --selector s1 >"$OUTS/record" 2>&1
"$REPGUARD" -n -c "$CONF" >"$OUTS/n" 2>&1
t_like "$(cat "$OUTS/show")" '"hard' "repguardctl show has the bounce"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops"
cp "$LOG" "$OUTS/daemon.log"
# pieces: the rp key, and every 24-character piece of the PEM body
"$PY" - "$K/dkim.pem" "$RPSECRET" "$OUTS" >"$T_TMP/leaks" <<'PYEOF'
import os, sys
pem = "".join(l.strip() for l in open(sys.argv[1]) if not l.startswith("-----"))
pieces = {pem[i:i + 24] for i in range(0, len(pem) - 24, 8)}
pieces.add(sys.argv[2])
for f in sorted(os.listdir(sys.argv[3])):
    text = open(os.path.join(sys.argv[3], f), errors="replace").read()
    text = text.replace("\n", "").replace("\t", "").replace(" ", "")
    for p in pieces:
        if p in text:
            print("%s holds %s..." % (f, p[:8]))
            break
PYEOF
t_is "$(cat "$T_TMP/leaks")" "" "no secret in the log or in anything repguardctl printed or wrote ($(ls "$OUTS" | wc -l) files)"
t_is "$(ls "$OUTS" | wc -l)" 9 "... and every one of them was written"

# a key file that does not parse: refused without its contents
printf 'short-secret-0123\n' >"$K/bad.key"
chown "$RUSER" "$K/bad.key"; chmod 600 "$K/bad.key"
sed "s|^ReturnPathKeyFile .*|ReturnPathKeyFile $K/bad.key|" "$CONF" >"$CONF.bad"
out=$("$REPGUARD" -n -c "$CONF.bad" 2>&1); rc=$?
t_like "$rc $out" "^1 .*bad\\.key" "a return-path key too short to be one is refused, naming the file"
t_is "$(printf '%s' "$out" | grep -c 'short-secret')" 0 "... without its contents in the message"
printf -- '-----BEGIN PRIVATE KEY-----\nnot-a-key-but-a-secret-0123456789\n-----END PRIVATE KEY-----\n' >"$K/bad.key"
sed "s|^KeyFile .*|KeyFile $K/bad.key|" "$CONF" >"$CONF.bad"
out=$("$REPGUARD" -n -c "$CONF.bad" 2>&1); rc=$?
t_like "$rc $out" "^1 .*bad\\.key" "a DKIM key that does not parse is refused, naming the file"
t_is "$(printf '%s' "$out" | grep -c 'secret-0123456789')" 0 "... without its contents in the message"

# --- UMask 000: the database stays the daemon's -------------------------------------
write_conf 000
t_like "$("$REPGUARD" -n -c "$CONF" 2>&1)" "$CONF:[0-9]+: UMask 000 lets every local user write to the milter socket" \
	"UMask 000: repguard -n warns that the socket is open to every local user"
rm -rf "$T_TMP/udb"/*
rg_start "$CONF" "$LOG"
t_is "$(stat -c '%a' "$T_TMP/udb/data.mdb" "$T_TMP/udb/lock.mdb" | sort -u)" 660 \
	"UMask 000: the database files are still 660 (never others')"
t_like "$(cat "$LOG")" "UMask 000 lets every local user" "UMask 000: the daemon logs the warning"
rg_stop TERM

# --- the group model: repguardctl writes need write access to the database ---------
OTHERGID=65530		# a group of no one
[ "$OTHERGID" != "$RGID" ] || OTHERGID=65531
chmod 0770 "$T_TMP/udb"
out=$(setpriv --reuid=65533 --regid="$RGID" --clear-groups "$REPGUARDCTL" -c "$CONF" \
	pause grouped@example.com --reason "group member" 2>&1); rc=$?
t_is "$rc" 0 "a user in the database's group ($RGROUP) may pause a sender"
out=$(setpriv --reuid=65533 --regid="$OTHERGID" --clear-groups "$REPGUARDCTL" -c "$CONF" \
	pause outsider@example.com --reason "not a member" 2>&1); rc=$?
t_like "$rc $out" '^1 .*[Pp]ermission denied' "a user outside it gets Permission denied (exit 1)"
t_is "$(ctl show outsider@example.com --json 2>/dev/null | grep -c paused)" 0 "... and nothing changed"
t_like "$(ctl show grouped@example.com --json 2>/dev/null)" '"paused"' "the member's pause is there"
t_done
