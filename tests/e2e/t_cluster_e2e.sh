#!/bin/bash
# t_cluster_e2e.sh - two relays, one cluster, end to end: two private
# Postfix instances (tests/lib/postfix.sh, pf_use a / b), each with its own
# repguard (own database and socket, the same return-path key and domain,
# Cluster on one redis-server of the test's own: tests/lib/redis.sh):
#   - relay A is the submission side: alice's message to twenty recipients
#     leaves through it with a return-path token and reaches the smtp-sink;
#   - relay B is the MX of bounce.example.com (relay_domains; it relays
#     nothing else for an outside client): the receiver's DSNs for three of
#     the recipients, made from tests/bounce/corpus/postfix-dsn-5.1.1.eml
#     with the token read from what the sink received, come to B from an
#     outside address; B's repguard finds A's return-path record through
#     the cluster, counts each bounce against the sends A made and pauses
#     her (MinimumVolume 20: 3 of 20 >= 5 %);
#   - A has her paused within a few seconds: her next message through A
#     gets 451 4.7.1 at MAIL FROM, while bob's still reaches the sink.
# Needs root, postfix, smtp-sink, swaks, /usr/bin/python3 and redis-server
# (else skipped); REPGUARD_SKIP_E2E=1 skips it too.

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

pf_require
t_tmpdir
. "$TOP_SRCDIR/tests/lib/redis.sh"
redis_need
# both libraries set an EXIT trap: keep both (Postfix first, then the pids)
trap 'pf_cleanup; redis_resume_all; t_cleanup' EXIT

KEY=$T_TMP/rp.key
INTERNAL=10.1.2.3	# alice's and bob's submission client (InternalHosts)
OUTSIDE=192.0.2.9	# the receiver's MTA, sending its DSNs to B
rp_key "$KEY"
redis_start main || { echo "Bail out! redis-server did not start"; exit 1; }
RSOCK=$RS_SOCK

# --- the bed: two repguard nodes, two Postfix relays, one sink -----------------------------
start_node() {	# start_node a|b: relay-N's repguard on $T_TMP/N.sock
	_n=$1
	rg_conf "$T_TMP/$_n.conf" Socket "unix:$T_TMP/$_n.sock" UMask 000 \
		DatabasePath "$T_TMP/db-$_n" CommitInterval 10 Syslog no \
		InternalHosts 10.1.0.0/16 ReturnPathDomain bounce.example.com \
		ReturnPathKeyFile "$KEY" BounceForward no \
		MinimumVolume 20 PauseCooldown 1h RateWindowShort 1h RateWindowLong 24h \
		Cluster "unix:$RSOCK" ClusterName e2e NodeName "relay-$_n"
	"$REPGUARD" -n -c "$T_TMP/$_n.conf" >"$T_TMP/check-$_n.out" 2>&1 &&
		rg_start "$T_TMP/$_n.conf" "$T_TMP/$_n.log"
	t_ok $? "relay-$_n's repguard started"
	eval "PID_$_n=\$RG_PID"
	t_wait_for 5 grep -q "cluster: up: node relay-$_n of cluster e2e" "$T_TMP/$_n.log"
	t_ok $? "relay-$_n's repguard is up in cluster e2e"
}
start_node a
start_node b

pf_use a
PF_MILTER=unix:$T_TMP/a.sock
pf_setup && pf_start
t_ok $? "relay A (submission, milter relay-a) listens on 127.0.0.1:$PF_PORT"
sink_start
t_ok $? "smtp-sink (the receiver) listens on 127.0.0.1:$SINK_PORT"

pf_use b
PF_MILTER=unix:$T_TMP/b.sock
pf_setup &&
	postconf -c "$PF_DIR" -e "relay_domains = bounce.example.com" \
	    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination" &&
	pf_start
t_ok $? "relay B (MX of bounce.example.com, milter relay-b) listens on 127.0.0.1:$PF_PORT"
[ "$T_FAILED" -eq 0 ] || {
	for f in "$T_TMP"/check-?.out "$T_TMP"/?.log "$T_TMP"/postfix-?.log; do
		[ -f "$f" ] && tail -n 10 "$f" | sed "s|^|# ${f##*/}: |"
	done
	echo "Bail out! the test bed did not start"
	exit 1
}

# send via a|b ID FROM TO [pf_send options]: one message through relay A or B
send() {
	pf_use "$1"
	_id=$2 _from=$3 _to=$4; shift 4
	printf 'From: <%s>\nSubject: cluster e2e %s\nX-Test-Id: %s\n\nhello %s\n' \
		"$_from" "$_id" "$_id" "$_id" >"$T_TMP/msg.$_id"
	pf_send --name "$_id" "$@" --from "$_from" --to "$_to" --data "@$T_TMP/msg.$_id"
}
field() {	# field a|b KEY EXPR: from repguardctl show KEY --json on that node
	"$REPGUARDCTL" -c "$T_TMP/$1.conf" show "$2" --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}
paused_on() { [ "$(field "$1" "$2" 'd["state"]')" = paused ]; }
counted_on() { [ "$(field "$1" "$2" 'd["recipients_1h"]')" = "$3" ]; }

# --- alice's message leaves through A ------------------------------------------------------
rcpts=$(for i in $(seq 1 20); do printf 'user%d@example.org,' "$i"; done)
send a a1 alice@example.com "${rcpts%,}" --addr "$INTERNAL"
t_ok $? "A: alice's message to twenty recipients is accepted"
sink_wait 1 20
t_ok $? "... and the receiver (smtp-sink) gets it"
dump=$(sink_grep '^X-Test-Id: a1$' | head -n 1)
RP=$(sed -n 's/^X-Mail-Args: <\?\(rp+[0-9a-f]\{46\}@bounce\.example\.com\)>\?.*/\1/p' "$dump" 2>/dev/null | head -n 1)
t_like "$RP" '^rp\+[0-9a-f]{46}@bounce\.example\.com$' \
	"the receiver saw the return-path rp+TOKEN@bounce.example.com"
t_is "$(grep -h '^X-Rcpt-Args:' "$dump" 2>/dev/null | wc -l)" 20 "... for all twenty recipients"
t_wait_for 5 counted_on b alice@example.com 20
t_ok $? "B counts the 20 recipients alice sent through A (the cluster)"

# --- the receiver's DSNs come back through B, the MX of the bounce domain -------------------
send b r1 mallory@example.net someone@example.org --addr "$OUTSIDE"
t_is "$?|$(pf_reply RCPT)" "24|554 5.7.1 <someone@example.org>: Relay access denied" \
	"B is an MX, not a relay: an outside client's mail for example.org is refused at RCPT"
pf_use b
n=0
for i in 3 7 11; do
	n=$((n + 1))
	report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/dsn$i.eml" "user$i@example.org"
	pf_send --name "dsn$i" --addr "$OUTSIDE" --from '<>' --to "$RP" \
		--data "@$T_TMP/dsn$i.eml"
	t_ok $? "B accepts the receiver's DSN $n (user$i@example.org, 5.1.1) from $OUTSIDE"
	t_wait_for 5 grep -q "dsn report to $RP for sender alice@example.com (record found): user$i@example.org 5.1.1 hard counted; 1 recorded" "$T_TMP/b.log"
	t_ok $? "... B's repguard finds A's record and counts it: hard, for alice@example.com"
done
t_wait_for 5 grep -qE "sender alice@example\.com: (active|warning) -> paused: hard-bounce rate 15\.00% \(3 of 20 recipients" "$T_TMP/b.log"
t_ok $? "B pauses alice on A's sends and its own bounces (3 of 20)"
paused_on b alice@example.com
t_ok $? "B: repguardctl show alice@example.com: paused"
t_wait_for 5 paused_on a alice@example.com
t_ok $? "A: repguardctl show alice@example.com: paused within 5 s"
t_wait_for 3 grep -qE "cluster: sender alice@example\.com (is paused \(from node relay-b|(active|warning) -> paused on the cluster's counts \(hard-bounce rate 15\.00% \(3 of 20)" "$T_TMP/a.log"
t_ok $? "A logs the pause: B's, or its own on the cluster's counts (the same)"
pf_use b
t_is "$(pf_log "milter-discard: END-OF-MESSAGE from unknown\[${OUTSIDE//./\\.}\]: milter triggers DISCARD action; from=<> to=<${RP//+/\\+}>" | wc -l)" 3 \
	"B's Postfix discarded the three DSNs on repguard's word (BounceForward no)"
sleep 1
t_is "$(sink_grep '^X-Rcpt-Args: <rp\+' | wc -l)" 0 "... none reached the sink"

# --- A refuses alice's next message, bob's still goes --------------------------------------
send a a2 alice@example.com friend@example.org --addr "$INTERNAL"
t_is "$?" 23 "A: alice's next message is refused at MAIL FROM (swaks status 23)"
t_like "$(pf_reply MAIL)" '^451 4\.7\.1 sender alice@example\.com is paused until ' \
	"... with 451 4.7.1, a temporary failure, saying until when"
send a b1 bob@example.com friend@example.org --addr "$INTERNAL"
t_ok $? "A: bob's message is accepted while alice is paused"
t_wait_for 10 sink_grep '^X-Test-Id: b1$' >/dev/null
t_ok $? "... and reaches the receiver"
t_is "$(sink_grep '^X-Test-Id: a2$' | wc -l)" 0 "nothing of alice's refused message reached the receiver"

# --- the end ----------------------------------------------------------------------------
for n in a b; do
	_p=PID_$n
	RG_PID=${!_p}
	rg_stop
	t_is "$RG_STATUS" 0 "relay-$n's repguard stops with status 0"
done
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$T_TMP/a.log" "$T_TMP/b.log" 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemons' logs"
else t_fail "no sanitizer reports in the daemons' logs" "$san"; fi
t_done
