#!/bin/bash
# t_rep_milter.sh - the reputation engine in the running daemon, through
# the milter protocol (tests/lib/milterclient.py as the MTA), with no
# BounceRules configured: the built-in rules class the DSNs.
#
# alice sends a message to forty recipients; two come back as hard bounces:
#   - the first (2.5 %) puts her in warning, the second (5 %) pauses her at
#     once, logged with the numbers, committed with a history entry
#     (repguardctl show);
#   - her next MAIL FROM gets 451 4.7.1 saying why, the rate and since
#     when; bob's mail still flows; refused mail is not counted as sent;
#   - after the cool-down (4 s here) her next MAIL FROM finds her on
#     probation: ProbationLimit (2) messages go, the next gets 451;
#   - after a clean short window (10 s here) with enough mail to judge
#     (MinimumVolume 10 recipients) she is active again;
#   - PauseAction reject gives 550 5.7.1; quarantine accepts the message
#     and asks the MTA to hold it (SMFIR_QUARANTINE), not counted as sent.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

rg_milter_test
KEY=$T_TMP/rp.key
rp_key "$KEY"

write_conf() {	# write_conf PAUSE-ACTION [PROBATION-LIMIT]
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
		ReturnPathDomain bounce.example.com ReturnPathKeyFile "$KEY" \
		MinimumVolume 10 MinimumEvents 1 PauseCooldown 4s RateWindowShort 10s \
		RateWindowLong 1h ProbationLimit "${2:-2}" PauseAction "$1"
}

# send SENDER RCPTS [FILE] [IP]: one message (RCPTS: comma-separated); prints
# "STAGE ACTION|REPLY TEXT|CHGFROM ADDRESS|QUARANTINE"
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpt = sys.argv[2:5]
path = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
ip = sys.argv[6] if len(sys.argv) > 6 else "10.1.2.3"
raw = open(path, "rb").read() if path else \
    b"From: <%s>\r\nTo: <%s>\r\nSubject: hi\r\n\r\nhello\r\n" % (sender.encode(), rcpt.encode())
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip=ip, sender=sender, rcpts=rcpt.split(",")))
ch = [(m.name or b"").decode().strip("<>") for m in res.mods if m.code == "e"]
print("%s %s|%s|%s|%s" % (res.reply.stage, res.reply.action, res.reply.text or "",
                          ch[0] if ch else "", res.quarantine or ""))
PYEOF
}

# field KEY EXPR: a value from repguardctl show KEY --json (python expression on d)
field() {
	"$REPGUARDCTL" -c "$CONF" show "$1" --json 2>/dev/null |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

logged() { t_wait_for "${2:-3}" grep -qE "$1" "$LOG"; }

write_conf tempfail
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

# --- forty recipients, two hard bounces ---------------------------------------------------
rcpts=$(for i in $(seq 0 39); do printf 'rcpt%d@example.org,' "$i"; done)
IFS='|' read -r res _ RP _ <<<"$(send alice@example.com "${rcpts%,}")"
t_like "$res|$RP" '^eom continue\|rp\+[0-9a-f]{46}@bounce\.example\.com$' \
	"alice: a message to forty recipients leaves with a return-path token"
out=$(send bob@example.com friend@example.org)
sleep 0.2
t_is "$(field alice@example.com 'd["messages_1h"], d["recipients_1h"], d["state"]')" \
	"(1, 40, 'active')" "alice: 1 message, 40 recipients, active"

bounce() {	# bounce INDEX: a Postfix DSN (5.1.1) about recipient INDEX
	report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/dsn$1.eml" "rcpt$1@example.org"
	send "<>" "$RP" "$T_TMP/dsn$1.eml" 192.0.2.9 >/dev/null
}
bounce 3
logged "rcpt3@example.org 5.1.1 hard counted; 1 recorded"
t_ok $? "the first hard bounce is recorded"
logged "sender alice@example.com: active -> warning: hard-bounce rate 2\.50% \(1 of 40 recipients in (10s|1h)\) >= 2\.00%"
t_ok $? "1 of 40 (2.5 %): warning, logged with the numbers"
t_is "$(field alice@example.com 'd["state"], d["windows"]["long"]["hard"]')" "('warning', 1)" \
	"show: warning, the bounce counted in the long window"
bounce 7
logged "sender alice@example.com: warning -> paused: hard-bounce rate 5\.00% \(2 of 40 recipients in (10s|1h)\) >= 5\.00%; cool-down 4s"
t_ok $? "the second (5 %): paused, logged with the numbers that caused it"
t_is "$(field alice@example.com 'd["state"], d["manual"], d["cooldown"], d["paused_by"], d["paused_until"] - d["paused_at"], d["thresholds"]["pause_hard_rate"]')" \
	"('paused', False, 4, 'repguard', 4, 5.0)" "show: paused by the engine, not manual, cool-down 4 s"
t_is "$(field alice@example.com '[(h["from"], h["to"], h["by"]) for h in d["history"]]')" \
	"[('active', 'warning', 'repguard'), ('warning', 'paused', 'repguard')]" \
	"show: the history holds both changes"

# --- paused: her mail waits, bob's flows -------------------------------------------------
IFS='|' read -r res text _ <<<"$(send alice@example.com later@example.org)"
t_is "$res" "mail tempfail" "alice's next MAIL FROM: temporary failure"
t_like "$text" '^451 4\.7\.1 sender alice@example\.com is paused until [0-9T:-]+Z \(since [0-9T:-]+Z\): hard-bounce rate 5\.00%% \(2 of 40 recipients in' \
	"... 451 4.7.1 saying until and since when, why and the measured rate ('%' doubled on the milter wire)"
t_is "$(send bob@example.com friend@example.org | cut -d'|' -f1)" "eom continue" "bob's mail still flows"
sleep 0.2
t_is "$(field alice@example.com 'd["messages_1h"]')" 1 "the refused message is not counted as sent"

# --- cool-down over: probation with its limit --------------------------------------------
sleep 4
t_is "$(send alice@example.com p1@example.org | cut -d'|' -f1)" "eom continue" \
	"after the 4 s cool-down: her mail goes again"
logged "sender alice@example.com: paused -> probation: cool-down of 4s ended"
t_ok $? "... logged: paused -> probation"
t_is "$(field alice@example.com 'd["state"], d["thresholds"]["probation"], d["thresholds"]["pause_hard_rate"], d["thresholds"]["warn_complaint_rate"]')" \
	"('probation', True, 2.5, 0.04)" "show --json: on probation, the thresholds in force are halved (ProbationStrictness 50%)"
sleep 0.1
t_is "$(send alice@example.com p2@example.org | cut -d'|' -f1)" "eom continue" "probation: a second message goes"
sleep 0.1
IFS='|' read -r res text _ <<<"$(send alice@example.com p3@example.org)"
t_is "$res" "mail tempfail" "probation: the third within the window gets a temporary failure (ProbationLimit 2)"
t_like "$text" '^451 4\.7\.1 sender alice@example\.com is on probation: at most 2 messages per 10s' \
	"... saying so"

# --- a clean window with enough mail: active ---------------------------------------------
sleep 10
write_conf tempfail 0
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
t_is "$(send alice@example.com back@example.org | cut -d'|' -f1)" "eom continue" \
	"a short window on probation later (ProbationLimit 0 after a reload): her mail goes"
sleep 0.2
t_is "$(field alice@example.com 'd["state"]')" probation \
	"... but 3 recipients are too few to judge (MinimumVolume 10): still on probation"
rcpts=$(for i in $(seq 1 10); do printf 'again%d@example.org,' "$i"; done)
t_is "$(send alice@example.com "${rcpts%,}" | cut -d'|' -f1)" "eom continue" \
	"a clean message to ten more recipients"
logged "sender alice@example.com: probation -> active: probation passed: [0-9ms]+ and 1[0-9] recipients"
t_ok $? "... judged as it is counted: probation -> active, with the volume"
t_is "$(field alice@example.com 'd["state"], [h["to"] for h in d["history"]]')" \
	"('active', ['warning', 'paused', 'probation', 'active'])" "show: active, with the whole history"

# --- policy bounces, from a major receiver and from another ---------------------------
# (about a new message: bounces of mail from before probation are not judged again)
IFS='|' read -r res _ RP2 _ <<<"$(send alice@example.com rcpt5@gmail.com,rcpt6@example.org)"
sleep 0.2
policy_bounce() {	# policy_bounce RCPT: a DSN refusing RCPT for policy (5.7.1, blocked)
	report_for "$RP2" postfix-dsn-5.1.1.eml "$T_TMP/policy.eml" "$1"
	sed -i -e 's/5\.1\.1/5.7.1/g' -e 's/Recipient address rejected: User unknown/Message blocked by policy/' \
		-e 's/rejected: User unknown in local recipient table/rejected: blocked by policy/' \
		"$T_TMP/policy.eml"
	send "<>" "$RP2" "$T_TMP/policy.eml" 192.0.2.9 >/dev/null
}
policy_bounce rcpt5@gmail.com
logged "rcpt5@gmail\.com 5\.7\.1 policy counted; 1 recorded"
policy_bounce rcpt6@example.org
logged "rcpt6@example\.org 5\.7\.1 policy counted; 1 recorded"
t_is "$(field alice@example.com 'd["windows"]["long"]["policy"], d["windows"]["long"]["policy_major"], d["windows"]["long"]["blocked"], d["thresholds"]["warn_block_rate"]')" "(2, 1, 2, 10.0)" \
	"policy bounces are counted, those from MajorReceivers (gmail.com) apart, and as blocks of the relay (WarnBlockRate 10%)"

# --- PauseAction reject and quarantine -------------------------------------------------
"$REPGUARDCTL" -c "$CONF" pause carol@example.com --reason "by hand" >/dev/null
write_conf reject
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
IFS='|' read -r res text _ <<<"$(send carol@example.com x@example.org)"
t_is "$res" "mail reject" "PauseAction reject: refused at MAIL FROM"
t_like "$text" '^550 5\.7\.1 sender carol@example\.com is paused until resumed \(since [0-9T:-]+Z\): by hand$' \
	"... with 550 5.7.1 and the operator's reason"
: >"$LOG"
write_conf quarantine
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
IFS='|' read -r res text rp q <<<"$(send carol@example.com x@example.org)"
t_is "$res" "eom continue" "PauseAction quarantine: the message is accepted"
t_like "$q" '^repguard: sender carol@example\.com is paused until resumed \(since .*\): by hand$' \
	"... and the MTA is asked to hold it, saying why"
sleep 0.2
t_is "$(field carol@example.com 'd["messages_1h"]')" 0 "a held message is not counted as sent"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOG" 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon log"
else t_fail "no sanitizer reports in the daemon log" "$san"; fi
t_done
