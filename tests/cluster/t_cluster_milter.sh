#!/bin/bash
# t_cluster_milter.sh - three repguard daemons, three databases, one real
# redis-server (on a unix socket of the test's own), driven through the
# milter protocol (tests/lib/milterclient.py as the MTA):
#   - alice's mail leaves through node A, its DSNs come back through node
#     B: B finds A's return-path record, counts the bounces against A's
#     sends and pauses her; A and C refuse her next MAIL FROM within 1 s;
#   - the recipient suppressed by a hard bounce on B is refused at RCPT on
#     A;
#   - an operator pause on C (repguardctl) holds on A, a resume on A
#     frees her on C;
#   - the same DSN sent to A and to B counts once, on every node and in
#     the cluster-wide counters kept in Redis (per node too);
#   - the cluster status record and the heartbeat say each node is up.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

rg_milter_test
. "$TOP_SRCDIR/tests/lib/redis.sh"
redis_need
KEY=$T_TMP/rp.key
rp_key "$KEY"
redis_start main || { echo "Bail out! redis-server did not start"; exit 1; }
RSOCK=$RS_SOCK

# node N: its own socket, database, log and configuration
start_node() {
	_n=$1
	rg_conf "$T_TMP/$_n.conf" Socket "unix:$T_TMP/$_n.sock" UMask 000 \
		DatabasePath "$T_TMP/db-$_n" CommitInterval 5 Syslog no \
		InternalHosts 10.1.0.0/16 ReturnPathDomain bounce.example.com \
		ReturnPathKeyFile "$KEY" MinimumVolume 10 MinimumEvents 1 \
		PauseCooldown 1h RateWindowShort 1h RateWindowLong 24h \
		Cluster "unix:$RSOCK" ClusterName t NodeName "$_n"
	rg_start "$T_TMP/$_n.conf" "$T_TMP/$_n.log" ||
		{ cat "$T_TMP/$_n.log"; echo "Bail out! node $_n did not start"; exit 1; }
	eval "PID_$_n=\$RG_PID"
}
start_node a
start_node b
start_node c

# send NODE SENDER RCPTS [FILE] [IP]: "STAGE ACTION|REPLY TEXT|CHGFROM"
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$T_TMP/$1.sock" "${@:2}" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpt = sys.argv[2:5]
path = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
ip = sys.argv[6] if len(sys.argv) > 6 else "10.1.2.3"
raw = open(path, "rb").read() if path else \
    b"From: <%s>\r\nTo: <%s>\r\nSubject: hi\r\n\r\nhello\r\n" % (sender.encode(), rcpt.split(",")[0].encode())
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip=ip, sender=sender, rcpts=rcpt.split(",")))
ch = [(m.name or b"").decode().strip("<>") for m in res.mods if m.code == "e"]
print("%s %s|%s|%s" % (res.reply.stage, res.reply.action, res.reply.text or "",
                       ch[0] if ch else ""))
PYEOF
}

ctl() { _n=$1; shift; "$REPGUARDCTL" -c "$T_TMP/$_n.conf" "$@"; }

# field NODE KEY EXPR: from repguardctl show KEY --json on that node
field() {
	ctl "$1" show "$2" --json 2>/dev/null |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}

# ms_until SECONDS CMD...: milliseconds until CMD succeeds, or "timeout"
ms_until() {
	_lim=$1; shift
	"$PY" - "$_lim" "$@" <<'PYEOF'
import subprocess, sys, time
lim = float(sys.argv[1]); cmd = sys.argv[2:]
t0 = time.monotonic()
while time.monotonic() - t0 < lim:
    if subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
        print(int((time.monotonic() - t0) * 1000)); sys.exit(0)
    time.sleep(0.02)
print("timeout")
PYEOF
}

# paused_on NODE SENDER: the node's database has the sender paused (what
# MAIL FROM reads; polled this way, the probes send no mail that counts)
paused_on() {
	"$REPGUARDCTL" -c "$T_TMP/$1.conf" show "$2" --json 2>/dev/null |
		"$PY" -c 'import json, sys; sys.exit(json.load(sys.stdin)["state"] != "paused")'
}
refused() {	# refused NODE SENDER: its next MAIL FROM gets 451 4.7.1
	send "$1" "$2" someone@example.net | grep -q '^mail tempfail|451 4\.7\.1'
}
export -f paused_on
export PY TOP_SRCDIR T_TMP REPGUARDCTL

for n in a b c; do
	t_wait_for 5 grep -q "cluster: up: node $n of cluster t" "$T_TMP/$n.log"
	t_ok $? "node $n: up, logged once with its name"
done

# --- alice sends through A, her bounces come back through B -------------------------------
rcpts=$(for i in $(seq 0 39); do printf 'rcpt%d@example.org,' "$i"; done)
IFS='|' read -r res _ RP <<<"$(send a alice@example.com "${rcpts%,}")"
t_like "$res|$RP" '^eom continue\|rp\+[0-9a-f]{46}@bounce\.example\.com$' \
	"A: alice's message to forty recipients leaves with a return-path token"
t_wait_for 3 sh -c "[ \"\$(\"$REPGUARDCTL\" -c $T_TMP/b.conf show alice@example.com --json 2>/dev/null | \"$PY\" -c 'import json,sys; print(json.load(sys.stdin)[\"recipients_1h\"])')\" = 40 ]"
t_ok $? "B counts alice's 40 recipients sent through A"
t_is "$(field c alice@example.com 'd["messages_1h"], d["recipients_1h"], d["state"]')" \
	"(1, 40, 'active')" "C too: 1 message, 40 recipients, active"

bounce() {	# bounce NODE INDEX: a Postfix DSN (5.1.1) about recipient INDEX
	report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/dsn$2.eml" "rcpt$2@example.org"
	send "$1" "<>" "$RP" "$T_TMP/dsn$2.eml" 192.0.2.9
}
out=$(bounce b 3)
t_like "$out" '^eom ' "B takes the first DSN"
t_wait_for 3 grep -q "rcpt3@example.org 5.1.1 hard counted; 1 recorded" "$T_TMP/b.log"
t_ok $? "B finds A's record and counts the bounce"
bounce b 7 >/dev/null
t_wait_for 3 grep -qE "sender alice@example.com: warning -> paused: hard-bounce rate 5\.00% \(2 of 40" "$T_TMP/b.log"
t_ok $? "B pauses alice on A's sends and its own bounces (2 of 40)"
ms=$(ms_until 5 bash -c 'paused_on a alice@example.com')
[ "$ms" != timeout ] && [ "$ms" -le 1000 ]
t_ok $? "A has alice paused within 1 s of the pause on B ($ms ms)"
refused a alice@example.com
t_ok $? "... and refuses her next MAIL FROM with 451 4.7.1"
ms=$(ms_until 5 bash -c 'paused_on c alice@example.com')
[ "$ms" != timeout ] && [ "$ms" -le 1000 ]
t_ok $? "C has her paused within 1 s too ($ms ms)"
refused c alice@example.com
t_ok $? "... and refuses her"
t_wait_for 3 grep -qE "cluster: sender alice@example.com (is paused \(from node b|warning -> paused on the cluster's counts \(hard-bounce rate 5\.00% \(2 of 40)" "$T_TMP/a.log"
t_ok $? "A logs the pause: B's, or its own on B's bounces (the same counts)"

# --- a recipient suppressed on B is refused at RCPT on A ----------------------------------
t_wait_for 3 sh -c "\"$REPGUARDCTL\" -c $T_TMP/a.conf suppressed | grep -q rcpt3@example.org"
t_ok $? "A lists rcpt3, suppressed by the hard bounce on B"
out=$(send a bob@example.com "rcpt3@example.org,fine@example.org")
t_like "$out" '^eom continue' "bob's message through A still goes ..."
grep -q "rcpt3@example.org" "$T_TMP/a.log" &&
	tail -n 5 "$T_TMP/a.log" | grep -qE "rcpt3@example.org.*(suppressed|refused)"
t_ok $? "... without rcpt3: refused at RCPT on A as suppressed"

# --- an operator pause on C holds on A; a resume on A frees on C --------------------------
ctl c pause carol@example.com --reason "held by ops" >/dev/null
t_ok $? "repguardctl on C pauses carol"
ms=$(ms_until 5 bash -c 'paused_on a carol@example.com')
[ "$ms" != timeout ] && [ "$ms" -le 1000 ]
t_ok $? "A has carol paused within 1 s of the pause on C ($ms ms)"
refused a carol@example.com
t_ok $? "... and refuses her mail"
t_is "$(field a carol@example.com 'd["state"], d["manual"], d["reason"]')" \
	"('paused', True, 'held by ops')" "A shows the operator's pause with its reason"
sleep 1.1		# the resume must be a later change than the pause
ctl a resume carol@example.com >/dev/null
ms=$(ms_until 5 bash -c '! paused_on c carol@example.com')
[ "$ms" != timeout ] && [ "$ms" -le 1000 ]
t_ok $? "a resume on A frees carol on C within 1 s ($ms ms)"
send c carol@example.com x@example.net | grep -q '^eom continue'
t_ok $? "... her mail goes through C again"

# --- the same DSN through two MXs counts once ---------------------------------------------
IFS='|' read -r _ _ RP <<<"$(send a dave@example.com "d1@example.org,d2@example.org,d3@example.org")"
sleep 0.5
report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/dd.eml" "d2@example.org"
send a "<>" "$RP" "$T_TMP/dd.eml" 192.0.2.9 >/dev/null
send b "<>" "$RP" "$T_TMP/dd.eml" 192.0.2.9 >/dev/null
sleep 1
for n in a b c; do
	t_is "$(field $n dave@example.com 'd["windows"]["long"]["hard"]')" 1 \
		"node $n: the DSN that reached A and B counts once"
done
hour=$(( $(date +%s) / 3600 * 3600 ))
t_is "$(redis_cli "$RSOCK" HGET "t:{s:dave@example.com}:h:$hour" hard)" 1 \
	"Redis: dave's cluster-wide hard count is 1"
t_is "$(redis_cli "$RSOCK" HGET "t:{s:alice@example.com}:h:$hour" recipients)|$(redis_cli "$RSOCK" HGET "t:{s:alice@example.com}:h:$hour" hard)" \
	"40|2" "Redis: alice's cluster-wide figures: 40 recipients, 2 hard bounces (refused mail not counted)"
t_is "$(redis_cli "$RSOCK" HGET "t:{s:alice@example.com}:h:$hour" a/recipients)|$(redis_cli "$RSOCK" HGET "t:{s:alice@example.com}:h:$hour" b/hard)" \
	"40|2" "... per node: A sent them, B got the bounces"

# --- a node that joins later reads what the stream still holds ----------------------------
start_node d
t_wait_for 5 sh -c "[ \"\$(\"$REPGUARDCTL\" -c $T_TMP/d.conf show alice@example.com --json 2>/dev/null | \"$PY\" -c 'import json,sys; d=json.load(sys.stdin); print(d[\"recipients_1h\"], d[\"state\"])')\" = '40 paused' ]"
t_ok $? "node d, started now, counts alice's 40 recipients and has her paused (from the stream)"
report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/dd2.eml" "d3@example.org"
send d "<>" "$RP" "$T_TMP/dd2.eml" 192.0.2.9 >/dev/null
t_wait_for 3 grep -q "d3@example.org 5.1.1 hard counted; 1 recorded" "$T_TMP/d.log"
t_ok $? "... and finds A's return-path records: a DSN through d is counted"

# --- status and heartbeat -----------------------------------------------------------------
t_is "$(redis_cli "$RSOCK" HLEN t:nodes)" 4 "the nodes hash holds the four nodes"
sleep 1.2
for n in a b c d; do
	t_like "$(ctl $n metrics 2>/dev/null | grep '^repguard_cluster_up ')" ' 1$' \
		"node $n: metrics say repguard_cluster_up 1"
done

rg_stop_check "the nodes stop cleanly: no sanitizer report in their logs" "$PID_a" "$PID_b" "$PID_c" "$PID_d"

t_done
