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
#   - show and senders: alice sends through a and through b; show on
#     either node gives the cluster-wide figures of the hour and the day,
#     all nodes' and each node's, equal to what was sent (text and JSON);
#     senders --json gives each sender its own cluster-wide day (two
#     senders, one round trip); senders' text is unchanged;
#   - Redis stopped: show and senders exit 0 with the local figures and
#     say why the cluster's are missing;
#   - without Cluster: exit 1 and "this relay runs alone", and show has no
#     cluster figures; no subcommand: a usage error.
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

# --- show and senders: the cluster's figures -----------------------------------------------
# send NODE SENDER RCPTS: one message through the node's milter
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$T_TMP/$1.sock" "$2" "$3" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpt = sys.argv[2:5]
raw = b"From: <%s>\r\nTo: <%s>\r\nSubject: hi\r\n\r\nhello\r\n" % (sender.encode(), rcpt.split(",")[0].encode())
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip="10.1.2.3", sender=sender, rcpts=rcpt.split(",")))
print("%s %s" % (res.reply.stage, res.reply.action))
PYEOF
}
# sj NODE SENDER EXPR: EXPR over d, the JSON of "show SENDER --json" on NODE
sj() {
	ctl "$1" show "$2" --json 2>/dev/null |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}
export -f sj ctl
export PY T_TMP REPGUARDCTL

sent=$(send a alice@example.com r1@example.org,r2@example.org,r3@example.org
	send b alice@example.com r4@example.org,r5@example.org
	send b alice@example.com r6@example.org
	send a bob@example.com r7@example.org)
t_is "$(echo $sent)" "eom continue eom continue eom continue eom continue" \
	"alice sends 1 message to 3 recipients through a, 2 to 3 through b; bob 1 through a"
t_wait_for 5 bash -c '[ "$(sj a alice@example.com "d[\"cluster\"][\"day\"][\"messages\"]")" = 3 ] &&
	[ "$(sj b bob@example.com "d[\"cluster\"][\"day\"][\"messages\"]")" = 1 ]'
t_ok $? "both nodes' counts reach Redis"
t_is "$(sj a alice@example.com 'sorted(d["cluster"]), sorted(d["cluster"]["nodes"]), sorted(d["cluster"]["day"]) == sorted(["messages", "recipients", "hard", "soft", "policy", "policy_major", "complaints", "bulk", "blocked"])')" \
	"(['day', 'hour', 'nodes'], ['a', 'b'], True)" "show --json on a: a cluster object, hour, day, both nodes, every counter"
for w in hour day; do
	t_is "$(sj a alice@example.com "[d['cluster']['$w'][c] for c in ('messages', 'recipients', 'hard', 'complaints')], [d['cluster']['nodes'][n]['$w'][c] for n in 'ab' for c in ('messages', 'recipients')]")" \
		"([3, 6, 0, 0], [1, 3, 2, 3])" "alice's $w, cluster-wide: 3 messages to 6; node a 1 to 3, node b 2 to 3"
done
t_is "$(sj b alice@example.com 'd["messages_1h"], d["recipients_24h"], d["cluster"]["day"]["recipients"], d["cluster"]["nodes"]["a"]["day"]["recipients"]')" \
	"(3, 6, 6, 3)" "show --json on b: the local figures (b applied a's) and the same cluster figures"
out=$(ctl a show alice@example.com)
t_is "$?" 0 "show on a: exit 0"
t_lines "$out" "^cluster, every node's counts:\n  NODE +MSGS_1H +RCPTS_1H +HARD_1H +CMPL_1H +MSGS_24H +RCPTS_24H +HARD_24H +CMPL_24H\n  \\(all nodes\\) +3 +6 +0 +0 +3 +6 +0 +0\n  a +1 +3 +0 +0 +1 +3 +0 +0\n  b +2 +3 +0 +0 +2 +3 +0 +0$" \
	"show on a: the cluster section, all nodes then each"
t_lines "$out" "^messages, last hour: 3 \\(bulk 0\\)$" "... after the local figures"

js_senders() {
	ctl "$1" senders --json 2>/dev/null |
		"$PY" -c 'import json, sys; d = {s["sender"]: s for s in json.load(sys.stdin)}; print(eval(sys.argv[1]))' "$2"
}
t_is "$(js_senders b 'd["alice@example.com"]["cluster_24h"], d["bob@example.com"]["cluster_24h"]')" \
	"({'messages': 3, 'hard': 0, 'complaints': 0}, {'messages': 1, 'hard': 0, 'complaints': 0})" \
	"senders --json on b: each sender's own cluster-wide day"
t_is "$(ctl b senders | head -n 1)" \
	"$(printf '%-40s %-9s %8s %8s %9s %9s %7s %7s %7s' SENDER STATE MSGS_1H RCPTS_1H MSGS_24H RCPTS_24H HARD_S HARD_L CMPL_L)" \
	"senders without --json: the local listing as it was"

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

out=$(ctl a show alice@example.com 2>&1)
t_is "$?" 0 "Redis stopped: show exits 0"
t_lines "$out" "^messages, last hour: 3 \\(bulk 0\\)$" "... with the local figures"
t_lines "$out" "^cluster figures unavailable: redis unix:$RS_RE: " "... and why the cluster's are missing"
t_is "$(sj a alice@example.com 'd["messages_1h"], d["cluster"]["error"].startswith("redis unix:")')" \
	"(3, True)" "... in JSON too: \"cluster\": {\"error\": ...}"
out=$(ctl a senders --json 2>"$T_TMP/senders.err")
t_is "$?" 0 "senders --json with Redis stopped: exit 0"
t_is "$(printf '%s' "$out" | "$PY" -c 'import json, sys; print(sorted((s["sender"], s["messages_24h"], s["cluster_24h"]) for s in json.load(sys.stdin)))')" \
	"[('alice@example.com', 3, None), ('bob@example.com', 1, None)]" "... the local figures, cluster_24h null"
t_like "$(cat "$T_TMP/senders.err")" "^repguardctl: cluster figures unavailable: redis unix:" "... and why, on stderr"

# --- without Cluster; a usage error ---------------------------------------------------------
rg_conf "$T_TMP/alone.conf" Socket "unix:$T_TMP/alone.sock" \
	DatabasePath "$T_TMP/db-alone" Syslog no
out=$("$REPGUARDCTL" -c "$T_TMP/alone.conf" cluster status 2>&1)
t_is "$?" 1 "without Cluster: exit 1"
t_is "$out" "repguardctl: no Cluster in $T_TMP/alone.conf: this relay runs alone" \
	"... saying this relay runs alone"
"$REPGUARDCTL" -c "$T_TMP/alone.conf" pause zed@example.com >/dev/null
t_is "$("$REPGUARDCTL" -c "$T_TMP/alone.conf" show zed@example.com --json |
	"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["state"], "cluster" in d)')" \
	"paused False" "without Cluster: show has no cluster figures"
out=$(ctl a cluster 2>&1)
t_is "$?" 2 "cluster without status: a usage error"
t_lines "$out" "cluster: missing status" "... naming what is missing"

t_done
