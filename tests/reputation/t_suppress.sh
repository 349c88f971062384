#!/bin/bash
# t_suppress.sh - the suppression list in the running daemon, through the
# milter protocol (tests/lib/milterclient.py as the MTA), and repguardctl's
# suppress, unsuppress, suppressed, import and export.
#
#   - a hard bounce puts the recipient on the list; the next message to it
#     and another recipient: the suppressed one is refused at RCPT with
#     550 5.1.1, the other goes, and only it is counted;
#   - a receiver's block (a blocklist, SPF) is policy and suppresses
#     nobody;
#   - reclassify: a site rule that made a policy answer hard is removed;
#     reclassify (after a dry run) lifts that entry and no other, and the
#     stored event gets its new reason; suppressed --source bounce shows
#     the stored status, reason and diagnostic;
#   - a complaint: 550 5.7.1; an operator's entry (suppress) likewise,
#     until unsuppress;
#   - Suppression sender: a bounce suppresses the recipient for that
#     sender only;
#   - an entry that expires (SuppressHardBounceFor) stops refusing;
#   - import checks the whole file first (a bad line: FILE:LINE, nothing
#     imported); export writes what import reads back.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

rg_milter_test
KEY=$T_TMP/rp.key
rp_key "$KEY"

write_conf() {	# write_conf SUPPRESSION HARD-FOR [RULES]
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
		ReturnPathDomain bounce.example.com ReturnPathKeyFile "$KEY" \
		BounceRules "${3:-$TOP_SRCDIR/contrib/bounce-rules}" Reputation no \
		Suppression "$1" SuppressHardBounceFor "$2"
}

# send SENDER RCPTS [FILE] [IP]: prints "STAGE ACTION|CHGFROM|RCPT REPLIES"
# (RCPTS comma-separated; RCPT REPLIES: "code text" per recipient, ';'-joined)
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpts = sys.argv[2:5]
path = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
ip = sys.argv[6] if len(sys.argv) > 6 else "10.1.2.3"
raw = open(path, "rb").read() if path else \
    b"From: <%s>\r\nSubject: hi\r\n\r\nhello\r\n" % sender.encode()
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip=ip, sender=sender, rcpts=rcpts.split(",")))
ch = [(m.name or b"").decode().strip("<>") for m in res.mods if m.code == "e"]
rr = ";".join("%s %s" % (r.code, r.text or "") for r in res.rcpt_replies)
print("%s %s|%s|%s" % (res.reply.stage, res.reply.action, ch[0] if ch else "", rr))
PYEOF
}
# report TOKEN-ADDRESS CORPUS-FILE RCPT: a report about RCPT to the token
report() {
	report_for "$1" "$2" "$T_TMP/report.eml" "$3"
	send "<>" "$1" "$T_TMP/report.eml" 192.0.2.9 >/dev/null
}
field() {	# field KEY EXPR: from repguardctl show KEY --json
	"$REPGUARDCTL" -c "$CONF" show "$1" --json 2>/dev/null |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}
logged() { t_wait_for 3 grep -qE "$1" "$LOG"; }

write_conf global 90d
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

# --- a hard bounce ------------------------------------------------------------------------
IFS='|' read -r res RP rr <<<"$(send alice@example.com dead@example.org,live@example.org)"
t_is "$res" "eom continue" "alice's first message to dead@ and live@ goes"
sleep 0.2
report "$RP" postfix-dsn-5.1.1.eml dead@example.org
logged "dead@example\.org 5\.1\.1 hard counted; 1 recorded"
t_ok $? "the DSN for dead@example.org is recorded as hard"
IFS='|' read -r res _ rr <<<"$(send alice@example.com Dead@Example.ORG,live@example.org)"
t_is "$res" "eom continue" "her next message to Dead@Example.ORG and live@ still goes"
t_like "$rr" '^y 550 5\.1\.1 repguard: dead@example\.org is on the suppression list since [0-9T:-]+Z: it bounced \(hard\);c $' \
	"... dead@ refused alone at RCPT with 550 5.1.1 (any case), live@ accepted"
logged "sender=alice@example\.com rcpt=dead@example\.org: suppressed \(hard-bounce, since [0-9T:-]+Z, dsn report, status 5\.1\.1, message [^ ]+ from alice@example\.com\): refused"
t_ok $? "... logged with the reason and where it came from"
sleep 0.2
t_is "$(field alice@example.com 'd["recipients_1h"]')" 3 "the refused recipient is not counted (2 + 1)"
t_is "$(send bob@example.com dead@example.org | cut -d'|' -f3)" \
	"y 550 5.1.1 repguard: dead@example.org is on the suppression list since $(
	"$REPGUARDCTL" -c "$CONF" export | sed -n 's/^dead@example\.org,hard-bounce,,\([^,]*\),.*/\1/p'): it bounced (hard)" \
	"Suppression global: bob cannot mail it either (the reply names the date export gives)"
t_like "$("$REPGUARDCTL" -c "$CONF" suppressed)" '^dead@example\.org +hard-bounce +\(global\) +[0-9T:-]+Z +[0-9T:-]+Z +dsn report' \
	"repguardctl suppressed lists it, global, with its expiry"

# --- a receiver's block never suppresses --------------------------------------------------
# the same DSN, but the receiver refused the relay (a blocklist) or its SPF:
# the address may be fine, so nothing goes on the list
IFS='|' read -r res RPB rr <<<"$(send alice@example.com blocker@example.org,spfcheck@example.org)"
sleep 0.2
report_for "$RPB" postfix-dsn-5.1.1.eml "$T_TMP/block.eml" blocker@example.org
sed -i -e 's/5\.1\.1/5.7.1/g' \
	-e 's/Recipient address$/Service unavailable; client [192.0.2.25] blocked/' \
	-e 's/rejected: User unknown in local recipient table/using zen.spamhaus.org/' "$T_TMP/block.eml"
send "<>" "$RPB" "$T_TMP/block.eml" 192.0.2.9 >/dev/null
logged "blocker@example\.org 5\.7\.1 policy counted; 1 recorded"
t_ok $? "a DSN: 5.7.1 blocked using a blocklist: recorded as policy"
report_for "$RPB" postfix-dsn-5.1.1.eml "$T_TMP/spf.eml" spfcheck@example.org
sed -i -e 's/5\.1\.1/5.7.23/g' \
	-e 's/Recipient address$/The message was rejected because of Sender/' \
	-e 's/rejected: User unknown in local recipient table/Policy Framework violation/' "$T_TMP/spf.eml"
send "<>" "$RPB" "$T_TMP/spf.eml" 192.0.2.9 >/dev/null
logged "spfcheck@example\.org 5\.7\.23 policy counted; 1 recorded"
t_ok $? "a DSN: 5.7.23 SPF: recorded as policy"
t_is "$(send alice@example.com blocker@example.org,spfcheck@example.org | cut -d'|' -f3)" "c ;c " \
	"... neither address is suppressed: her next message to both goes"
t_is "$("$REPGUARDCTL" -c "$CONF" suppressed --json | "$PY" -c 'import json, sys; print(sorted(e["address"] for e in json.load(sys.stdin)))')" \
	"['dead@example.org']" "... the list holds only the address that does not exist"

# --- rules that change: reclassify ---------------------------------------------------------
# a site rule that took "Access denied" for a dead address suppresses one;
# once the rule is gone, reclassify lifts it and nothing else
printf '%s\n' "hard diagnostic access denied" >"$T_TMP/site-rules"
write_conf global 90d "$T_TMP/site-rules"
kill -HUP "$RG_PID"
t_wait_for 5 test "$(grep -c "configuration reloaded" "$LOG")" -ge 1
IFS='|' read -r res RPW rr <<<"$(send alice@example.com wrongly@example.org)"
sleep 0.2
report_for "$RPW" postfix-dsn-5.1.1.eml "$T_TMP/denied.eml" wrongly@example.org
sed -i -e 's/5\.1\.1/5.7.1/g' -e 's/rejected: User unknown in local recipient table/rejected: Access denied/' "$T_TMP/denied.eml"
send "<>" "$RPW" "$T_TMP/denied.eml" 192.0.2.9 >/dev/null
logged "wrongly@example\.org 5\.7\.1 hard counted; 1 recorded"
t_ok $? "a site rule calls 5.7.1 Access denied hard: recorded as hard"
t_is "$("$REPGUARDCTL" -c "$CONF" suppressed --source bounce --json | "$PY" -c 'import json, sys
for e in json.load(sys.stdin):
    if e["address"] == "wrongly@example.org": print(e["status"], e["bounce_reason"], e["diagnostic"])')" \
	"5.7.1 user-unknown 550 5.7.1 <wrongly@example.org>: Recipient address rejected: Access denied" \
	"suppressed --source bounce --json: the entry's stored status, reason and diagnostic"
"$REPGUARDCTL" -c "$CONF" suppress manual2@example.org >/dev/null
write_conf global 90d
kill -HUP "$RG_PID"
t_wait_for 5 test "$(grep -c "configuration reloaded" "$LOG")" -ge 2
out=$("$REPGUARDCTL" -c "$CONF" reclassify --dry-run)
t_like "$out" "^would lift wrongly@example\.org: 5\.7\.1, now policy-other \(policy\)" \
	"reclassify --dry-run, the site rule gone: it would lift that entry"
t_like "$("$REPGUARDCTL" -c "$CONF" suppressed)" "wrongly@example\.org" "... and lifted nothing"
out=$("$REPGUARDCTL" -c "$CONF" reclassify)
t_like "$out" "^lifted wrongly@example\.org: 5\.7\.1, now policy-other \(policy\)
1 suppression lifted, [0-9]+ kept; 1 of [0-9]+ events reclassified" "reclassify: lifted, counted, its event reclassified"
t_is "$("$REPGUARDCTL" -c "$CONF" suppressed --json | "$PY" -c 'import json, sys; print(sorted(e["address"] for e in json.load(sys.stdin)))')" \
	"['dead@example.org', 'manual2@example.org']" "... the user-unknown entry and the operator's stay"
t_is "$("$REPGUARDCTL" -c "$CONF" suppressed --source bounce --json | "$PY" -c 'import json, sys; print(sorted(e["address"] for e in json.load(sys.stdin)))')" \
	"['dead@example.org']" "suppressed --source bounce: only what reports made"
"$REPGUARDCTL" -c "$CONF" unsuppress manual2@example.org >/dev/null

# --- a complaint, an operator's entry -------------------------------------------------------
# a complaint counts for a recipient of the message its token names
IFS='|' read -r res RPA rr <<<"$(send alice@example.com angry@example.org)"
sleep 0.2
report "$RPA" arf-abuse.eml angry@example.org
logged "angry@example\.org - complaint counted; 1 recorded"
t_ok $? "an ARF complaint from angry@example.org is recorded"
t_like "$(send alice@example.com angry@example.org | cut -d'|' -f3)" \
	'^y 550 5\.7\.1 repguard: angry@example\.org is on the suppression list since [^:]+:[^:]+:[^:]+: its owner complained$' \
	"the complainer: 550 5.7.1"
t_like "$("$REPGUARDCTL" -c "$CONF" suppressed --json | "$PY" -c 'import json,sys; print([(e["address"], e["reason"], e["expires"]) for e in json.load(sys.stdin) if e["address"] == "angry@example.org"])')" \
	"^\[\('angry@example\.org', 'complaint', None\)\]$" "suppressed --json: a complaint never expires (SuppressComplaintFor 0)"
out=$("$REPGUARDCTL" -c "$CONF" suppress Manual@Example.ORG --reason manual)
t_is "$out" "suppressed manual@example.org (manual) until never" "repguardctl suppress: canonical address, never expires"
t_like "$(send alice@example.com manual@example.org | cut -d'|' -f3)" '^y 550 5\.7\.1 .*listed by the operator$' \
	"an operator's entry: 550 5.7.1"
t_is "$("$REPGUARDCTL" -c "$CONF" unsuppress manual@example.org)" "unsuppressed manual@example.org" "repguardctl unsuppress"
t_is "$(send alice@example.com manual@example.org | cut -d'|' -f3)" "c " "... then it is accepted again"
t_is "$("$REPGUARDCTL" -c "$CONF" unsuppress manual@example.org)" "manual@example.org was not suppressed" \
	"unsuppress again: was not suppressed (exit 0)"

# --- per sender, and expiry ------------------------------------------------------------------
write_conf sender 2s
kill -HUP "$RG_PID"
t_wait_for 5 test "$(grep -c "configuration reloaded" "$LOG")" -ge 3
IFS='|' read -r res RP2 rr <<<"$(send carol@example.com gone@example.org)"
sleep 0.2
report "$RP2" postfix-dsn-5.1.1.eml gone@example.org
logged "gone@example\.org 5\.1\.1 hard counted; 1 recorded"
t_like "$(send carol@example.com gone@example.org,x@example.org | cut -d'|' -f3)" '^y 550 5\.1\.1 .*;c $' \
	"Suppression sender: refused for carol, whose mail bounced"
t_is "$(send dave@example.com gone@example.org | cut -d'|' -f3)" "c " "... but not for dave"
t_like "$("$REPGUARDCTL" -c "$CONF" suppressed --for carol@example.com)" '^gone@example\.org +hard-bounce +carol@example\.com ' \
	"suppressed --for carol@example.com lists it in her scope"
sleep 2
t_is "$(send carol@example.com gone@example.org | cut -d'|' -f3)" "c " \
	"SuppressHardBounceFor 2s: after it the entry no longer refuses"

# --- import and export ------------------------------------------------------------------------
printf '# a list from the old system\none@example.net\ntwo@example.net,complaint\nbad@@example.net\n3@example.net,soft\n' >"$T_TMP/list.csv"
out=$("$REPGUARDCTL" -c "$CONF" import "$T_TMP/list.csv" 2>&1)
rc=$?
t_is "$rc" 1 "import of a file with bad lines: exit 1"
t_like "$out" "$T_TMP/list\.csv:4: bad address \"bad@@example\.net\"" "... naming FILE:LINE of the bad address"
t_like "$out" "$T_TMP/list\.csv:5: bad reason \"soft\"" "... and of the bad reason"
t_is "$("$REPGUARDCTL" -c "$CONF" suppressed | grep -c example.net)" 0 "... and nothing was imported"
sed -i '4,5d' "$T_TMP/list.csv"
t_is "$("$REPGUARDCTL" -c "$CONF" import "$T_TMP/list.csv" --for Erin@Example.COM)" "imported 2 entries" \
	"import with --for: 2 entries"
t_like "$(send erin@example.com two@example.net | cut -d'|' -f3)" '^y 550 5\.7\.1 ' "an imported entry refuses"
"$REPGUARDCTL" -c "$CONF" export >"$T_TMP/export.csv"
t_is "$(head -n 1 "$T_TMP/export.csv")" "address,reason,scope,since,expires,source" "export: a CSV header"
t_like "$(grep '^two@example.net,' "$T_TMP/export.csv")" '^two@example\.net,complaint,erin@example\.com,[0-9T:-]+Z,never,imported by operator ' \
	"export: address, reason, scope, since, expires, source"
n=$(grep -c . "$T_TMP/export.csv")
mkdir "$T_TMP/db2"
sed -i "s|^DatabasePath .*|DatabasePath $T_TMP/db2|" "$CONF"
t_is "$("$REPGUARDCTL" -c "$CONF" import "$T_TMP/export.csv")" "imported $((n - 1)) entries" \
	"export read back by import into an empty database"
"$REPGUARDCTL" -c "$CONF" export >"$T_TMP/export2.csv"
t_is "$(sort "$T_TMP/export2.csv" | md5sum)" "$(sort "$T_TMP/export.csv" | md5sum)" \
	"... and exported again: the same list, line for line"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOG" 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon log"
else t_fail "no sanitizer reports in the daemon log" "$san"; fi
t_done
