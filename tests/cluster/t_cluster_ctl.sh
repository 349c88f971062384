#!/bin/bash
# t_cluster_ctl.sh - repguardctl cluster status, against two repguard
# daemons (nodes a and b, two databases) and one real redis-server with a
# password (on a unix socket of the test's own):
#   - status on each node: up at the server's address, both nodes seen
#     with a fresh heartbeat, outbox 0, the server a master; --json parses
#     and says the same; the password came from ClusterPasswordFile (the
#     server refuses everything without it, so a configuration read
#     without its secrets would fail here);
#   - heartbeats aged in Redis (HSET, instead of waiting): 5 s is not
#     stale, 60 s is, with its age; an unreadable heartbeat and a node
#     name with a control octet are shown (masked, escaped), not fatal;
#   - a stopped daemon: its own status says it is no longer written;
#   - Redis stopped: exit 2, the error, and the local part all the same
#     (text and JSON);
#   - without Cluster: exit 1 and "this relay runs alone"; no subcommand:
#     a usage error.
. "$TOP_SRCDIR/tests/lib/common.sh"

rg_milter_test
. "$TOP_SRCDIR/tests/lib/redis.sh"
redis_need
PW=Ctl-test-pw-4711
printf '%s\n' "$PW" >"$T_TMP/redis.pw"
chmod 600 "$T_TMP/redis.pw"
redis_start main || { echo "Bail out! redis-server did not start"; exit 1; }
RSOCK=$RS_SOCK
# the password once it answers (redis_start waits for a PING without one)
redis_cli "$RSOCK" CONFIG SET requirepass "$PW" >/dev/null ||
	{ echo "Bail out! cannot set the server's password"; exit 1; }
RS_RE=${RSOCK//./\\.}		# the socket's path in a regular expression
RPID=$RS_PID
rcli() { redis_cli "$RSOCK" -a "$PW" --no-auth-warning "$@"; }

# node N: its own socket, database, log and configuration
start_node() {
	rg_conf "$T_TMP/$1.conf" Socket "unix:$T_TMP/$1.sock" UMask 000 \
		DatabasePath "$T_TMP/db-$1" CommitInterval 5 Syslog no \
		InternalHosts 10.1.0.0/16 \
		Cluster "unix:$RSOCK" ClusterName t NodeName "$1" \
		ClusterPasswordFile "$T_TMP/redis.pw" ClusterTimeout 500ms
	rg_start "$T_TMP/$1.conf" "$T_TMP/$1.log" ||
		{ cat "$T_TMP/$1.log"; echo "Bail out! node $1 did not start"; exit 1; }
	eval "PID_$1=\$RG_PID"
}
rg_conf "$T_TMP/probe.conf" Socket "unix:$T_TMP/probe.sock" \
	DatabasePath "$T_TMP/db-probe" Syslog no Cluster "unix:$RSOCK"
"$REPGUARD" -n -c "$T_TMP/probe.conf" 2>&1 | grep -q 'built without hiredis' &&
	t_skip_all "this repguard was built without hiredis"
start_node a
start_node b

ctl() { _n=$1; shift; "$REPGUARDCTL" -c "$T_TMP/$_n.conf" "$@"; }

# t_lines TEXT RE NAME: Python's RE found in TEXT, ^ and $ at every line
t_lines() {
	if "$PY" -c 'import re, sys; sys.exit(re.search(sys.argv[2], sys.argv[1], re.M) is None)' "$1" "$2"
	then t_pass "$3"; else t_fail "$3" "text: $1" "does not match: $2"; fi
}

# js NODE EXPR [ARG...]: EXPR over d, the JSON of "cluster status --json"
# on NODE (ARGs in sys.argv[2:])
js() {
	ctl "$1" cluster status --json 2>/dev/null |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "${@:2}"
}

for n in a b; do
	t_wait_for 5 grep -q "cluster: up: node $n of cluster t" "$T_TMP/$n.log"
	t_ok $? "node $n: up"
done
# both heartbeats in, and each status record written since
t_wait_for 5 sh -c "[ \"\$($REDIS_CLI -s '$RSOCK' -a '$PW' --no-auth-warning HLEN t:nodes)\" = 2 ]"
t_ok $? "both nodes beat in Redis"
sleep 1.1

# --- status, text ---------------------------------------------------------------------------
for n in a b; do
	out=$(ctl $n cluster status 2>&1)
	t_is "$?" 0 "node $n: cluster status exits 0"
	t_lines "$out" "^cluster t, node $n, target unix:$RS_RE \\(with a password\\)$" \
		"node $n: the cluster, the node and the configured target"
	t_lines "$out" "^this node: up since [0-9T:Z-]+, at unix:$RS_RE\n  status: written [01] s ago" "node $n: up at the server's address, its status fresh"
	t_lines "$out" "^outbox: 0 entries, 0 bytes, 0 dropped" "node $n: outbox 0"
	t_lines "$out" "^redis: unix:$RS_RE, master with 0 replicas, stream [0-9]+ entries\n  epoch: [ab] [0-9]+$" \
		"node $n: Redis asked directly: its address, role, stream, epoch"
	t_lines "$out" "^  a +[0-2] s ago +0 +[0-9]+ +[0-9]+\n  b +[0-2] s ago +0 +[0-9]+ +[0-9]+$" "node $n: both nodes seen, fresh, outbox 0, not stale"
done

# --- status, JSON ---------------------------------------------------------------------------
t_is "$(js a 'sorted(d), sorted(d["local"]), sorted(d["outbox"]), sorted(d["redis"])')" \
	"(['cluster', 'local', 'node', 'outbox', 'redis', 'target'], ['address', 'age', 'applied', 'epoch', 'error', 'frames', 'lag_ms', 'pushed', 'reconnects', 'resyncs', 'rtt_us', 'since', 'stale', 'up', 'updated'], ['bytes', 'depth', 'dropped', 'resync'], ['address', 'epoch', 'nodes', 'replicas', 'role', 'stream_length'])" \
	"--json parses, with the expected keys"
t_is "$(js b 'd["cluster"], d["node"], d["target"] == "unix:" + sys.argv[2] + " (with a password)", d["local"]["up"], d["local"]["stale"], d["local"]["address"] == "unix:" + sys.argv[2], d["local"]["error"], d["outbox"]["depth"], d["outbox"]["dropped"]' "$RSOCK")" \
	"('t', 'b', True, True, False, True, None, 0, 0)" \
	"--json on b: its names, the target, up and fresh at the server, no error, outbox 0"
t_is "$(js b 'd["redis"]["address"] == "unix:" + sys.argv[2], d["redis"]["role"], d["redis"]["epoch"] == d["local"]["epoch"], sorted(d["redis"]["nodes"]), [(v["outbox"], v["stale"], 0 <= v["age"] <= 2) for k, v in sorted(d["redis"]["nodes"].items())]' "$RSOCK")" \
	"(True, 'master', True, ['a', 'b'], [(0, False, True), (0, False, True)])" \
	"--json on b: Redis's address, role and epoch (the one b saw); both nodes fresh"

# --- a stopped node goes stale --------------------------------------------------------------
kill "$PID_b"
wait "$PID_b" 2>/dev/null
t_untrack "$PID_b"
B_STOPPED=$(date +%s)
now=$(date +%s)
rcli HSET t:nodes b "$((now - 5)) 3 40 500" >/dev/null
t_is "$(js a '[d["redis"]["nodes"]["b"][k] for k in ("outbox", "lag_ms", "rtt_us", "stale")], 5 <= d["redis"]["nodes"]["b"]["age"] <= 6')" \
	"([3, 40, 500, False], True)" "b's heartbeat 5 s old: its numbers, not stale yet"
rcli HSET t:nodes b "$((now - 60)) 0 0 0" >/dev/null
t_is "$(js a 'd["redis"]["nodes"]["b"]["stale"], 60 <= d["redis"]["nodes"]["b"]["age"] <= 61, d["redis"]["nodes"]["a"]["stale"]')" \
	"(True, True, False)" "b's heartbeat 60 s old: stale, its age 60 s; a still fresh"
out=$(ctl a cluster status)
t_lines "$out" "^  b +6[01] s ago +0 +0 +0  stale$" "... the text marks b stale"
t_lines "$out" "^  a +[0-2] s ago +0 +[0-9]+ +[0-9]+$" "... and not a"

rcli HSET t:nodes junk "soon 0 0 0" >/dev/null
rcli HSET t:nodes "$(printf 'x\001y')" "$now 0 0 0" >/dev/null
out=$(ctl a cluster status)
t_is "$?" 0 "an unreadable heartbeat and a node name with a control octet: exit 0"
t_lines "$out" "^  junk +unreadable heartbeat \(not a number\)  stale" "... the heartbeat shown unreadable, stale"
t_lines "$out" "^  x\?y +[0-9]+ s ago" "... the name's control octet masked"
t_is "$(js a 'd["redis"]["nodes"]["junk"], d["redis"]["nodes"]["x\x01y"]["stale"]')" \
	"({'error': 'not a number', 'stale': True}, False)" "... and in JSON: the error; the name escaped, and it parses"
rcli HDEL t:nodes junk "$(printf 'x\001y')" >/dev/null

# --- the stopped daemon's own status: no longer written -------------------------------------
t_wait_for 8 sh -c "[ \$(date +%s) -ge $((B_STOPPED + 7)) ]"
out=$(ctl b cluster status)
t_lines "$out" "^this node: down since [0-9T:Z-]+\n  status: not written for [6-9] s: is the daemon running\?" \
	"b, stopped: down, and its status not written for over 5 s"
t_is "$(js b 'd["local"]["up"], d["local"]["stale"], d["local"]["age"] > 5')" \
	"(False, True, True)" "... the same in JSON"

# --- Redis stopped --------------------------------------------------------------------------
kill "$RPID"
wait "$RPID" 2>/dev/null
t_untrack "$RPID"
out=$(ctl a cluster status 2>&1)
t_is "$?" 2 "Redis stopped: cluster status exits 2"
t_lines "$out" "^redis: unavailable: redis unix:$RS_RE: " "... with the error"
t_lines "$out" "^this node: (up|down) since .*\n(  .*\n)*outbox: [0-9]+ entries" "... and the local part all the same"
ctl a cluster status --json >"$T_TMP/down.json" 2>/dev/null
t_is "$?" 2 "--json: exit 2 too"
t_is "$("$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(sorted(d["redis"]), d["redis"]["error"].startswith("redis unix:"), d["node"], "depth" in d["outbox"], d["local"] is not None)' "$T_TMP/down.json")" \
	"['error'] True a True True" "... it parses: the error, and the local part"

# --- without Cluster; a usage error ---------------------------------------------------------
rg_conf "$T_TMP/alone.conf" Socket "unix:$T_TMP/alone.sock" \
	DatabasePath "$T_TMP/db-alone" Syslog no
out=$("$REPGUARDCTL" -c "$T_TMP/alone.conf" cluster status 2>&1)
t_is "$?" 1 "without Cluster: exit 1"
t_is "$out" "repguardctl: no Cluster in $T_TMP/alone.conf: this relay runs alone" \
	"... saying this relay runs alone"
out=$(ctl a cluster 2>&1)
t_is "$?" 2 "cluster without status: a usage error"
t_lines "$out" "cluster: missing status" "... naming what is missing"

t_done
