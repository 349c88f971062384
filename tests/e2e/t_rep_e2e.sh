#!/bin/bash
# t_rep_e2e.sh - a sender pausing itself with a stale list, through a real
# Postfix (tests/lib/postfix.sh), and coming back.  No BounceRules is
# configured: the built-in rules class the DSNs.
#
# alice mails a list where DEAD_SHARE (one in five) of the addresses are
# dead: Postfix routes dead.example to a second smtp-sink that rejects
# every recipient with 550 5.1.1, and its DSNs come back through repguard
# (non_smtpd_milters, internal_mail_filter_classes = bounce).  Each
# message goes to five recipients; repguard judges her as her mail is
# counted and as the bounces come in (MinimumVolume 20):
#   (a) she is not paused before 20 of her recipients have been sent;
#       then she is, automatically, and her next message gets 451 4.7.1
#       at the SMTP client, naming the measured rate;
#   (b) bob's mail keeps flowing while she is paused;
#   (c) after the cool-down (6 s here) her next message goes and she is on
#       probation; after a clean short window (10 s here) and enough mail to
#       judge (MinimumVolume) she is active;
#   (d) the addresses that bounced are on the suppression list: her next
#       message to the old list has them refused at RCPT (550 5.1.1) while
#       the others are delivered.
# Needs root, postfix, smtp-sink, swaks and /usr/bin/python3 (else skipped).

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"

pf_require

t_tmpdir
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/repguard.sock
RGLOG=$T_TMP/repguard.log
KEY=$T_TMP/rp.key
INTERNAL=10.1.2.3
LIST_SIZE=5		# recipients per message
DEAD_SHARE=1		# of them at the rejecting sink
openssl rand -hex 32 >"$KEY"
chmod 600 "$KEY"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	InternalHosts 10.1.0.0/16 CommitInterval 10 Syslog no \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$KEY" \
	BounceForward no \
	MinimumVolume 20 PauseCooldown 6s RateWindowShort 10s RateWindowLong 1h \
	ProbationLimit 0

# send ID FROM: one message to LIST_SIZE recipients, DEAD_SHARE of them dead
n_sent=0
send() {
	_id=$1 _from=$2 _to=""
	for _i in $(seq 1 "$LIST_SIZE"); do
		if [ "$_i" -le "$DEAD_SHARE" ]; then _to="$_to,gone$_id.$_i@dead.example"
		else _to="$_to,user$_id.$_i@live.example"; fi
	done
	printf 'From: <%s>\nSubject: list %s\nX-Test-Id: %s\n\nissue %s\n' \
		"$_from" "$_id" "$_id" "$_id" >"$T_TMP/msg.$_id"
	pf_send --name "$_id" --addr "$INTERNAL" --from "$_from" --to "${_to#,}" \
		--data "@$T_TMP/msg.$_id"
}
field() {	# field KEY EXPR: from repguardctl show KEY --json
	"$REPGUARDCTL" -c "$CONF" show "$1" --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}
recorded() { [ "$(grep -c "hard counted; 1 recorded" "$RGLOG")" -ge "$1" ]; }

"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "repguard -n accepts the configuration"
pf_setup
echo "internal_mail_filter_classes = bounce" >>"$PF_DIR/main.cf"
dead_domain dead.example
t_ok $? "the rejecting smtp-sink for dead.example listens on 127.0.0.1:$DEAD_PORT"
pf_bed "$CONF" "$RGLOG"

# --- (a) paused after the minimum volume -----------------------------------------------
accepted=0
refused=""
for m in 1 2 3 4 5 6 7 8; do
	if send "a$m" alice@example.com; then
		accepted=$m
		# let its DSN come back and be judged before the next message
		t_wait_for 20 recorded "$m" || break
	else
		refused=a$m
		break
	fi
done
t_is "$accepted" 4 "(a) alice: four messages (20 recipients, MinimumVolume) go before she is paused"
t_is "$refused" a5 "(a) ... her fifth is refused"
t_like "$(pf_reply MAIL)" '^451 4\.7\.1 sender alice@example\.com is paused until [0-9T:-]+Z \(since [0-9T:-]+Z\): hard-bounce rate [0-9.]+% \([0-9]+ of 20 recipients in' \
	"(a) the SMTP client gets 451 4.7.1 with until, since, the rate and the volume"
t_like "$(grep "sender alice@example.com: .*-> paused" "$RGLOG")" \
	'sender alice@example\.com: (active|warning) -> paused: hard-bounce rate (15|20)\.00% \((3|4) of 20 recipients in (10s|1h)\) >= 5\.00%; cool-down 6s' \
	"(a) repguard logged the pause with the numbers"
t_is "$(field alice@example.com 'd["state"], d["paused_by"], d["history"][-1]["to"]')" \
	"('paused', 'repguard', 'paused')" "(a) repguardctl show: paused by repguard, in the history"
t_is "$(sink_grep "^X-Test-Id: a5" | wc -l)" 0 "(a) nothing of the refused message reached the sink"

# --- (b) others keep flowing --------------------------------------------------------------
printf 'From: <bob@example.com>\nSubject: hi\nX-Test-Id: b1\n\nhi\n' >"$T_TMP/msg.b1"
pf_send --name b1 --addr "$INTERNAL" --from bob@example.com --to friend@live.example \
	--data "@$T_TMP/msg.b1"
t_ok $? "(b) bob's message is accepted while alice is paused"
t_wait_for 20 sink_grep '^X-Test-Id: b1' >/dev/null
t_ok $? "(b) ... and delivered"

# --- (c) cool-down, probation, active -----------------------------------------------------
DEAD_SHARE=0
sleep 6
send c1 alice@example.com
t_ok $? "(c) after the 6 s cool-down her (clean) message is accepted"
t_wait_for 5 grep -q "sender alice@example.com: paused -> probation: cool-down of 6s ended" "$RGLOG"
t_ok $? "(c) ... she is on probation"
t_wait_for 20 sink_grep '^X-Test-Id: c1' >/dev/null
t_ok $? "(c) ... and it is delivered"
sleep 10
LIST_SIZE=20
send c2 alice@example.com
t_ok $? "(c) a clean window later her next message, to 20 recipients (MinimumVolume), is accepted"
t_wait_for 5 grep -q "sender alice@example.com: probation -> active: probation passed" "$RGLOG"
t_ok $? "(c) ... and she is active again"
t_is "$(field alice@example.com 'd["state"], [h["to"] for h in d["history"]][-3:]')" \
	"('active', ['paused', 'probation', 'active'])" "(c) repguardctl show: active, the history ends paused, probation, active"

# --- (d) the dead addresses are suppressed ---------------------------------------------------
DEAD_SHARE=1 LIST_SIZE=5
sink_clear
send a1 alice@example.com
t_ok $? "(d) her message to the first list again is accepted (for the live addresses)"
t_is "$(pf_reply RCPT | grep -c '^550 5\.1\.1 repguard: gonea1\.1@dead\.example is on the suppression list since .*: it bounced (hard)')" 1 \
	"(d) the address that bounced is refused at RCPT with 550 5.1.1, saying why"
t_wait_for 20 sink_grep '^X-Test-Id: a1' >/dev/null
t_is "$(sink_grep '^X-Test-Id: a1' | xargs grep -h '^X-Rcpt-Args:' | cut -d' ' -f2 | sort | tr '\n' ' ')" \
	"<usera1.2@live.example> <usera1.3@live.example> <usera1.4@live.example> <usera1.5@live.example> " \
	"(d) the four live addresses got it"
sleep 1
t_is "$(grep -c 'status=bounced' "$PF_LOG")" 4 "(d) no new bounce: the suppressed address was never tried"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$RGLOG" 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon log"
else t_fail "no sanitizer reports in the daemon log" "$san"; fi
t_done
