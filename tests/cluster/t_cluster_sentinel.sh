#!/bin/bash
# t_cluster_sentinel.sh - two repguard nodes find their Redis through a
# sentinel (Cluster sentinel://...), a master with one replica; a
# failover (SENTINEL FAILOVER) in the middle of a load:
#   - no message refused, each node logs that it is up again at the new
#     master's address, without a restart;
#   - counting goes on and loses nothing: the new master counts every
#     message sent, before, during and after the failover (a push is
#     taken only once a replica has it: WAIT), and each node's database
#     counts them all.
. "$TOP_SRCDIR/tests/lib/common.sh"

rg_milter_test
. "$TOP_SRCDIR/tests/lib/redis.sh"
redis_need
[ -x "$REDIS_SENTINEL" ] || t_skip_all "redis-sentinel not installed"
KEY=$T_TMP/rp.key
rp_key "$KEY"

redis_start m || { echo "Bail out! master did not start"; exit 1; }
MPORT=$RS_PORT
redis_start_replica r "$MPORT" || { echo "Bail out! replica did not start"; exit 1; }
RPORT=$RS_PORT
sentinel_start s mymaster "$MPORT" || { echo "Bail out! sentinel did not start"; exit 1; }
SPORT=$RS_PORT

for n in a b; do
	rg_conf "$T_TMP/$n.conf" Socket "unix:$T_TMP/$n.sock" UMask 000 \
		DatabasePath "$T_TMP/db-$n" CommitInterval 5 Syslog no \
		InternalHosts 10.1.0.0/16 MinimumVolume 1000 \
		Cluster "sentinel://127.0.0.1:$SPORT/mymaster" ClusterName s \
		NodeName "$n" ClusterTimeout 200ms
	rg_start "$T_TMP/$n.conf" "$T_TMP/$n.log" ||
		{ cat "$T_TMP/$n.log"; echo "Bail out! node $n did not start"; exit 1; }
	eval "PID_$n=\$RG_PID"
	t_wait_for 5 grep -q "cluster: up: node $n of cluster s, at 127.0.0.1:$MPORT" "$T_TMP/$n.log"
	t_ok $? "node $n: up through the sentinel, at the master 127.0.0.1:$MPORT"
done

ctl() { _n=$1; shift; "$REPGUARDCTL" -c "$T_TMP/$_n.conf" "$@"; }
js() { "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
outbox() { ctl "$1" metrics 2>/dev/null | awk '$1 == "repguard_cluster_outbox_entries" { print $2 }'; }
drained() { [ "$(outbox a)" = 0 ] && [ "$(outbox b)" = 0 ]; }

"$PY" "$TOP_SRCDIR/tests/cluster/clusterload.py" "$TOP_SRCDIR/tests/lib" "$T_TMP/l.json" \
	200 "$T_TMP/a.sock,$T_TMP/b.sock" f0@example.com,f1@example.com,f2@example.com,f3@example.com 1 15 &
LOADPID=$!
t_track $LOADPID
sleep 1
redis_cli "$SPORT" SENTINEL FAILOVER mymaster >/dev/null
t_wait_for 15 sh -c "\"$REDIS_CLI\" -p $SPORT SENTINEL get-master-addr-by-name mymaster | grep -qx $RPORT"
t_ok $? "the sentinel names the replica 127.0.0.1:$RPORT as master"
wait $LOADPID
t_untrack $LOADPID
t_is "$(js "$T_TMP/l.json" 'd["sent"], d["refused"]')" "(200, 0)" \
	"200 messages through both nodes across the failover: none refused"
for n in a b; do
	t_wait_for 15 grep -q "cluster: up: node $n of cluster s, at 127.0.0.1:$RPORT" "$T_TMP/$n.log"
	t_ok $? "node $n: up again at the new master, without a restart"
done
t_wait_for 15 drained
t_ok $? "both outboxes drained"
hour=$(( $(date +%s) / 3600 * 3600 ))
total=0
for s in f0 f1 f2 f3; do
	v=$(redis_cli "$RPORT" HGET "s:{s:$s@example.com}:h:$hour" messages)
	total=$((total + ${v:-0}))
done
t_is "$total" 200 "the new master counts all 200 messages: none lost in the failover"
[ "$total" = 200 ] || for s in f0 f1 f2 f3; do
	echo "# $s: $(redis_cli "$RPORT" HGETALL "s:{s:$s@example.com}:h:$hour" | paste -sd' ')"
	echo "# seq: $(redis_cli "$RPORT" HGETALL "s:{s:$s@example.com}:seq" | paste -sd' ')"
done
ok=0
for n in a b; do
	for s in f0 f1 f2 f3; do
		v=$(ctl $n show "$s@example.com" --json 2>/dev/null |
		    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["messages_1h"])')
		[ "$v" = 50 ] || { ok=1; echo "# node $n $s: $v"; }
	done
done
t_ok $ok "each node's database counts each sender's 50 messages"

rg_stop_check "the nodes stop cleanly: no sanitizer report in their logs" "$PID_a" "$PID_b"

t_done
