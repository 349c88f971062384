#!/bin/bash
# t_cluster_limits.sh - a rate limit held across three nodes, through the
# milter protocol, with one real redis-server:
#   - TransactionalLimit 60/1m (burst 60), three nodes hammered at once
#     for one sender: together they let through at most 60, what the
#     rule refills meanwhile and the stated bound (3 nodes x a lease of
#     5 tokens = 15), not 3 x 60; and at least 60 less the bound;
#   - Redis away: each node falls back to its share (60 / 3 nodes seen)
#     and the three together stay within the rule.
. "$TOP_SRCDIR/tests/lib/common.sh"

rg_milter_test
. "$TOP_SRCDIR/tests/lib/redis.sh"
redis_need
redis_start main || { echo "Bail out! redis-server did not start"; exit 1; }
RSOCK=$RS_SOCK
RPID=$RS_PID

for n in a b c; do
	rg_conf "$T_TMP/$n.conf" Socket "unix:$T_TMP/$n.sock" UMask 000 \
		DatabasePath "$T_TMP/db-$n" CommitInterval 5 Syslog no \
		InternalHosts 10.1.0.0/16 TransactionalLimit 60/1m \
		Cluster "unix:$RSOCK" ClusterName l NodeName "$n"
	rg_start "$T_TMP/$n.conf" "$T_TMP/$n.log" ||
		{ cat "$T_TMP/$n.log"; echo "Bail out! node $n did not start"; exit 1; }
	eval "PID_$n=\$RG_PID"
done
for n in a b c; do
	t_wait_for 5 grep -q "cluster: up: node $n " "$T_TMP/$n.log"
	t_ok $? "node $n up"
done
sleep 1.2	# a heartbeat each: every node counts three

js() { "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
hammer() {	# hammer TAG SENDER: 60 messages on each node at once, 2 ms apart
	_t0=$(date +%s%N)
	for n in a b c; do
		"$PY" "$TOP_SRCDIR/tests/cluster/clusterload.py" "$TOP_SRCDIR/tests/lib" \
			"$T_TMP/$1-$n.json" 60 "$T_TMP/$n.sock" "$2" 1 2 &
		eval "L_$n=\$!"
		t_track "$(eval echo "\$L_$n")"
	done
	for n in a b c; do
		wait "$(eval echo "\$L_$n")"
		t_untrack "$(eval echo "\$L_$n")"
	done
	ELAPSED_MS=$(( ($(date +%s%N) - _t0) / 1000000 ))
	TOTAL=0
	for n in a b c; do
		eval "GOT_$n=$(js "$T_TMP/$1-$n.json" 'd["accepted"]')"
		TOTAL=$((TOTAL + $(eval echo "\$GOT_$n")))
	done
}

# --- Redis up: leases from the cluster's bucket ------------------------------------------
hammer up lim@example.com
refill=$(( 60 * ELAPSED_MS / 60000 + 1 ))
bound=15
t_ok "$([ "$TOTAL" -le $((60 + refill + bound)) ]; echo $?)" \
	"three nodes, 180 tries in ${ELAPSED_MS} ms: $TOTAL let through (a $GOT_a, b $GOT_b, c $GOT_c), at most 60 + $refill refilled + $bound (the bound), not 180"
t_ok "$([ "$TOTAL" -ge $((60 - bound)) ]; echo $?)" \
	"... and at least 60 - $bound: the leases do not starve the cluster"
t_like "$(js "$T_TMP/up-a.json" 'd["texts"][0] if d["texts"] else ""')" '4\.7\.[0-9] ' \
	"a message over the limit gets a temporary failure: $(js "$T_TMP/up-a.json" 'd["texts"][0][:80] if d["texts"] else ""')"
t_like "$(redis_cli "$RSOCK" HGET "l:{b:sender:lim@example.com:transactional}" milli 2>/dev/null || true)" '^-?[0-9]+$' \
	"the bucket lives in Redis, hash-tagged by its name"

# --- Redis away: each node its share ----------------------------------------------------------
kill -KILL "$RPID"; t_untrack "$RPID"
for n in a b c; do
	t_wait_for 5 grep -q "cluster: down" "$T_TMP/$n.log"
done
hammer down share@example.com
refill=$(( 60 * ELAPSED_MS / 60000 + 1 ))
t_ok "$([ "$TOTAL" -le $((60 + refill)) ]; echo $?)" \
	"Redis away: $TOTAL let through in ${ELAPSED_MS} ms (a $GOT_a, b $GOT_b, c $GOT_c): each node its share of 60, together at most 60 + $refill"
ok=0
for n in a b c; do
	[ "$(eval echo "\$GOT_$n")" -le $((20 + refill)) ] || ok=1
done
t_ok $ok "... no node more than its share (20 + $refill)"
t_ok "$([ "$TOTAL" -ge 45 ]; echo $?)" "... and the shares add up to about the rule ($TOTAL)"

rg_stop_check "the nodes stop cleanly: no sanitizer report in their logs" "$PID_a" "$PID_b" "$PID_c"

t_done
