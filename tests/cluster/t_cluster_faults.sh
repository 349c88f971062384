#!/bin/bash
# t_cluster_faults.sh - two repguard nodes and one real redis-server, and
# what happens to them when Redis fails:
#   - killed (SIGKILL) under load, then started again (its append-only
#     file, fsync always, as README advises): no message refused
#     (ClusterOnDown local), "down" and "up" logged once each, the outbox
#     drained, and the cluster-wide counts in Redis and in each node's
#     database equal what was sent, however the load was split;
#   - stopped (SIGSTOP: a partition): MAIL FROM latency stays within the
#     milter's budget, no message refused; a DSN through B about mail A
#     sent meanwhile is deferred (451 4.3.0, its record has not reached
#     B), then counted once Redis is back; an operator's pause on B made
#     during the partition reaches A after it;
#   - flushed (FLUSHALL): both nodes notice (the epoch), publish their
#     pauses and suppressions again, and a node started afterwards
#     learns them from the snapshot;
#   - ClusterOnDown tempfail: with Redis gone, new mail gets 451 4.3.0.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

rg_milter_test
. "$TOP_SRCDIR/tests/lib/redis.sh"
redis_need
KEY=$T_TMP/rp.key
rp_key "$KEY"

# Redis at a fixed socket and directory, so that it can be started again
RDIR=$T_TMP/redis
RSOCK=$RDIR/redis.sock
mkdir -p "$RDIR"
redis_up() {
	redis_run "$RDIR" "$REDIS_SERVER" --port 0 --unixsocket "$RSOCK" \
	    --unixsocketperm 700 --dir "$RDIR" --logfile "$RDIR/redis.log" \
	    --save '' --appendonly yes --appendfsync always --daemonize no
	RPID=$RS_PID
	t_wait_for 10 redis_answers "$RSOCK"
}
redis_up || { echo "Bail out! redis-server did not start"; exit 1; }

start_node() {	# start_node NAME [KEYWORD VALUE...]
	_n=$1; shift
	rg_conf "$T_TMP/$_n.conf" Socket "unix:$T_TMP/$_n.sock" UMask 000 \
		DatabasePath "$T_TMP/db-$_n" CommitInterval 5 Syslog no \
		InternalHosts 10.1.0.0/16 ReturnPathDomain bounce.example.com \
		ReturnPathKeyFile "$KEY" MinimumVolume 1000 \
		Cluster "unix:$RSOCK" ClusterName f NodeName "$_n" "$@"
	rg_start "$T_TMP/$_n.conf" "$T_TMP/$_n.log" ||
		{ cat "$T_TMP/$_n.log"; echo "Bail out! node $_n did not start"; exit 1; }
	eval "PID_$_n=\$RG_PID"
	t_wait_for 5 grep -q "cluster: up: node $_n " "$T_TMP/$_n.log"
}
start_node a
start_node b

ctl() { _n=$1; shift; "$REPGUARDCTL" -c "$T_TMP/$_n.conf" "$@"; }
load() {	# load OUT N SOCKS SENDERS [RCPTS] [PAUSE_MS]
	"$PY" "$TOP_SRCDIR/tests/cluster/clusterload.py" "$TOP_SRCDIR/tests/lib" "$@"
}
js() {		# js FILE EXPR: a value of a JSON file
	"$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
field() {	# field NODE SENDER EXPR: from repguardctl show --json
	ctl "$1" show "$2" --json 2>/dev/null |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}
outbox() {	# outbox NODE: entries waiting
	ctl "$1" metrics 2>/dev/null | awk '$1 == "repguard_cluster_outbox_entries" { print $2 }'
}
drained() { [ "$(outbox a)" = 0 ] && [ "$(outbox b)" = 0 ]; }
hour=$(( $(date +%s) / 3600 * 3600 ))
rsum() {	# rsum FIELD SENDER...: summed over the senders' hour hashes
	_f=$1; shift; _t=0
	for _s in "$@"; do
		_v=$(redis_cli "$RSOCK" HGET "f:{s:$_s}:h:$hour" "$_f")
		_t=$((_t + ${_v:-0}))
	done
	echo "$_t"
}
send() {	# send NODE SENDER RCPT [FILE] [IP]: "STAGE ACTION|TEXT"
	"$PY" - "$TOP_SRCDIR/tests/lib" "$T_TMP/$1.sock" "${@:2}" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpt = sys.argv[2:5]
path = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
ip = sys.argv[6] if len(sys.argv) > 6 else "10.1.2.3"
raw = open(path, "rb").read() if path else \
    b"From: <%s>\r\nTo: <%s>\r\nSubject: hi\r\n\r\nhello\r\n" % (sender.encode(), rcpt.encode())
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip=ip, sender=sender, rcpts=[rcpt]))
ch = [(m.name or b"").decode().strip("<>") for m in res.mods if m.code == "e"]
print("%s %s|%s|%s" % (res.reply.stage, res.reply.action, res.reply.text or "",
                       ch[0] if ch else ""))
PYEOF
}
SENDERS=s0@example.com,s1@example.com,s2@example.com,s3@example.com,s4@example.com

# --- Redis killed under load, started again ------------------------------------------------
load "$T_TMP/l1.json" 300 "$T_TMP/a.sock,$T_TMP/b.sock,$T_TMP/a.sock" "$SENDERS" 2 5 &
LOADPID=$!
t_track $LOADPID
sleep 0.6
kill -KILL "$RPID"
t_untrack "$RPID"
t_wait_for 5 grep -q "cluster: down" "$T_TMP/a.log"
t_ok $? "A: Redis killed under load: down, logged"
sleep 1
redis_up
t_ok $? "Redis started again (its append-only file kept what it had taken)"
wait $LOADPID
t_untrack $LOADPID
t_is "$(js "$T_TMP/l1.json" 'd["sent"], d["refused"]')" "(300, 0)" \
	"300 messages through A and B while Redis died and came back: none refused (ClusterOnDown local)"
t_ok "$(js "$T_TMP/l1.json" 'int(d["max_ms"] >= 1000)')" \
	"... the slowest milter session $(js "$T_TMP/l1.json" 'd["max_ms"]') ms (p50 $(js "$T_TMP/l1.json" 'd["p50_ms"]') ms): within the 1 s budget"
t_wait_for 10 drained
t_ok $? "both outboxes drained after Redis came back"
for n in a b; do
	t_is "$(grep -c 'cluster: down' "$T_TMP/$n.log")|$(grep -c 'cluster: up' "$T_TMP/$n.log")" "1|2" \
		"node $n: one 'down' and one 'up' again for the outage (each change logged once)"
done
S=$(echo "$SENDERS" | tr , ' ')
# the last tally batches may reach the outbox after it was seen empty:
# wait for the count, then check that it stays (nothing counted twice)
for _ in $(seq 1 100); do [ "$(rsum messages $S)" -ge 300 ] && break; sleep 0.1; done
sleep 1
t_is "$(rsum messages $S)|$(rsum recipients $S)" "300|600" \
	"Redis: the cluster-wide counts equal what was sent (300 messages, 600 recipients)"
t_is "$(rsum a/messages $S)|$(rsum b/messages $S)" \
	"$(js "$T_TMP/l1.json" 'd["by_node"]["'"$T_TMP"'/a.sock"]')|$(js "$T_TMP/l1.json" 'd["by_node"]["'"$T_TMP"'/b.sock"]')" \
	"Redis: per node, what each node took"
ok=0
for s in $S; do
	for n in a b; do
		[ "$(field $n $s 'd["messages_1h"]')" = 60 ] || ok=1
	done
done
t_ok $ok "each node's database counts each sender's 60 messages, whichever node took them (applied once)"

# --- Redis stopped (a partition) ----------------------------------------------------------
redis_pause "$RPID"
load "$T_TMP/l2.json" 30 "$T_TMP/a.sock" p0@example.com 1
t_is "$(js "$T_TMP/l2.json" 'd["refused"]')" 0 "Redis stopped: 30 messages through A, none refused"
t_ok "$(js "$T_TMP/l2.json" 'int(d["max_ms"] >= 1000)')" \
	"... MAIL FROM to end of message at most $(js "$T_TMP/l2.json" 'd["max_ms"]') ms (p50 $(js "$T_TMP/l2.json" 'd["p50_ms"]') ms): the mail path does not wait for Redis"
IFS='|' read -r res _ RP <<<"$(send a q@example.com gone@example.org)"
report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/q.eml" "gone@example.org"
IFS='|' read -r res text _ <<<"$(send b "<>" "$RP" "$T_TMP/q.eml" 192.0.2.9)"
t_is "$res" "eom tempfail" "a DSN through B about mail A sent during the partition: deferred"
t_like "$text" '^451 4\.3\.0 ' "... 451 4.3.0: B does not know the message yet, the MX will try again"
ctl b pause held@example.com --reason "partition test" >/dev/null
redis_resume "$RPID"
t_wait_for 10 drained
t_ok $? "Redis back: both outboxes drained"
t_wait_for 5 sh -c "[ \"\$(\"$REPGUARDCTL\" -c $T_TMP/a.conf show held@example.com --json 2>/dev/null | \"$PY\" -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = paused ]"
t_ok $? "the pause made on B during the partition holds on A"
IFS='|' read -r res _ <<<"$(send b "<>" "$RP" "$T_TMP/q.eml" 192.0.2.9)"
t_like "$res" '^eom ' "the DSN tried again through B is taken"
t_wait_for 3 grep -q "gone@example.org 5.1.1 hard counted; 1 recorded" "$T_TMP/b.log"
t_ok $? "... and counted, now that A's record is there"
t_is "$(field a p0@example.com 'd["messages_1h"]')|$(field b p0@example.com 'd["messages_1h"]')" "30|30" \
	"the 30 messages of the partition are counted on both nodes"

# --- Redis flushed: the nodes publish their state again ------------------------------------
ctl b suppress kept@example.org --reason manual >/dev/null
t_wait_for 5 sh -c "\"$REPGUARDCTL\" -c $T_TMP/a.conf suppressed | grep -q kept@example.org"
t_ok $? "a suppression made on B is on A"
redis_cli "$RSOCK" FLUSHALL >/dev/null
t_wait_for 5 grep -q "its data changed (epoch gone)" "$T_TMP/a.log"
t_ok $? "A notices the flush (the epoch is gone)"
t_wait_for 5 sh -c "[ \"\$(\"$REDIS_CLI\" -s $RSOCK HEXISTS f:states held@example.com)\" = 1 ]"
t_ok $? "the pause is in Redis's snapshot again"
t_wait_for 5 sh -c "\"$REDIS_CLI\" -s $RSOCK HKEYS f:suppress | grep -q kept@example.org"
t_ok $? "... and the suppression"
start_node c
t_wait_for 5 sh -c "[ \"\$(\"$REPGUARDCTL\" -c $T_TMP/c.conf show held@example.com --json 2>/dev/null | \"$PY\" -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = paused ]"
t_ok $? "a node started after the flush learns the pause"
t_wait_for 5 sh -c "\"$REPGUARDCTL\" -c $T_TMP/c.conf suppressed | grep -q kept@example.org"
t_ok $? "... and the suppression"

# --- the stream trimmed past what a node had read: the snapshot ------------------------------
kill -TERM "$PID_b"; wait "$PID_b" 2>/dev/null; t_untrack "$PID_b"
ctl a pause trimmed@example.com --reason "while b was away" >/dev/null
t_wait_for 5 sh -c "[ \"\$(\"$REDIS_CLI\" -s $RSOCK HEXISTS f:states trimmed@example.com)\" = 1 ]"
redis_cli "$RSOCK" XTRIM f:stream MAXLEN 0 >/dev/null
start_node b
t_wait_for 5 grep -q "the stream no longer holds all this node has not read: caught up from the snapshot" "$T_TMP/b.log"
t_ok $? "b, back after the stream was trimmed past its position, catches up from the snapshot"
t_is "$(field b trimmed@example.com 'd["state"], d["reason"]')" "('paused', 'while b was away')" \
	"... and has the pause made while it was away"

# --- ClusterOnDown tempfail -----------------------------------------------------------------
kill -TERM "$PID_c"; wait "$PID_c" 2>/dev/null; t_untrack "$PID_c"
start_node t ClusterOnDown tempfail
t_like "$(send t u@example.com x@example.org | cut -d'|' -f1)" '^eom continue' \
	"ClusterOnDown tempfail, Redis up: mail goes"
kill -KILL "$RPID"; t_untrack "$RPID"
t_wait_for 5 grep -q "cluster: down" "$T_TMP/t.log"
IFS='|' read -r res text _ <<<"$(send t u@example.com x@example.org)"
t_is "$res" "mail tempfail" "Redis gone: new mail gets a temporary failure at MAIL FROM"
t_like "$text" '^451 4\.3\.0 repguard: the cluster' "... 451 4.3.0 saying why"
t_like "$(send a u@example.com x@example.org | cut -d'|' -f1)" '^eom continue' \
	"... while a node with ClusterOnDown local goes on"

rg_stop_check "the nodes stop cleanly: no sanitizer report in their logs" "$PID_a" "$PID_b" "$PID_t"

t_done
