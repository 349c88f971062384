#!/bin/bash
# cluster.sh - the cluster's benchmark: three repguard nodes on this
# machine sharing one Redis, each driven at the same time.  What it costs
# the policy path, how many round trips to Redis a message takes, and how
# fast an operator's pause reaches another node.
#
#   tests/bench/cluster.sh         (after make; about two minutes with the
#                                   defaults; not in make check)
#
# 1. Fills one store with BENCH_SENDERS known senders and BENCH_SUPPRESSED
#    suppressed addresses (tests/bench/lookup fill; smaller than
#    policy.sh's, to keep the run short: the store's size is policy.sh's
#    subject, not this one's); every node of every run starts on a fresh
#    copy of it.  One redis-server on a unix socket of the run's own,
#    flushed before each clustered start.
# 2. Throughput, in BENCH_REPEAT interleaved rounds of BENCH_DURATION
#    seconds (after 0.5 s of warm-up), the policy path as policy.sh's
#    "policy" (no DKIM keys, CommitInterval 10), tests/bench/mload with
#    BENCH_CONC connections per node and policy.sh's envelope:
#      single    one node without Cluster, one mload;
#      three     three nodes without Cluster, three mloads at once;
#      cluster   three nodes with Cluster (ClusterName bench, NodeName
#                a, b, c; driven once every node is up and the state each
#                published on joining has been applied everywhere), three
#                mloads at once.
#    Per configuration: the median over the rounds of the msgs/s per node
#    (the mean of the nodes in a round) and of the slowest node, the CPU
#    per message of a node and of Redis; and cluster/single (what the
#    issue names: >= 0.90) and cluster/three (the cluster's own cost on
#    this machine, where three daemons, three load generators and Redis
#    share its cores).  After each clustered run, whether a node's link
#    went down meanwhile ("cluster: down" in its log) and its outbox: a
#    node that is down decides alone and sends nothing, so that run
#    leaves part of the cluster's cost out (said in the table, with "!!").
# 3. Round trips: three clustered nodes, each driven with mload -P
#    BENCH_RATE (default 1000 msgs/s per node) for BENCH_DURATION s;
#    repguard_cluster_roundtrips_total (repguardctl metrics: the status
#    record, written once a second; read just after it changed) before and
#    after, against the messages each mload completed.  Also printed with
#    the idle rate (measured for 3 s before the load) taken off for the
#    seconds the reading window is longer than the load.
# 4. Pause propagation, on the same three nodes, idle and under the same
#    -P load: BENCH_PAUSES senders paused one at a time on node a
#    (repguardctl -c a.conf pause), after a random 0-100 ms gap (so that
#    a pause does not always meet node a's cluster thread at the same
#    point of its wait); for each, the time from just before the pause
#    command starts until
#      show   repguardctl -c c.conf show SENDER --json, called in a loop,
#             says "paused" (the end of that call; the resolution is one
#             call, printed);
#      log    node c's log says "cluster: sender SENDER is paused (from
#             node a", which it writes once the change is committed to its
#             store (a thread reads the log every 0.5 ms).
#    Nothing is subtracted: both include starting repguardctl on a.
#    p50, p99 and max in ms.  Node a's cluster thread finds the pause in
#    its outbox when its blocked XREAD returns: at another node's frame,
#    or at the end of its wait, which Redis ends at its next timer tick
#    (hz, printed; 10 by default: about 100 ms).
# 5. One table of every figure; raw results kept in BENCH_OUT.
#
# Environment (defaults): BENCH_DURATION [4] BENCH_REPEAT [3] BENCH_CONC [4]
#   BENCH_SENDERS [10000] BENCH_SUPPRESSED [100000] BENCH_RATE [1000]
#   BENCH_PAUSES [50] BENCH_PAUSE_UNDER ["idle load"]
#   BENCH_OUT [a new /tmp/repguard-cluster.XXXXXX, kept]
#   BUILD [build/plain]: where repguard, repguardctl, mload and lookup are
#   REDIS_SERVER [/usr/bin/redis-server] REDIS_CLI [/usr/bin/redis-cli]
#   BENCH_REDIS_ARGS [none]: more arguments for redis-server ("--hz 100":
#   its timers, among them a blocked XREAD's end, run ten times as often)
# Every process it starts is stopped by its pid, also on interruption.

set -u
umask 077
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/build/plain}
DURATION=${BENCH_DURATION:-4}
REPEAT=${BENCH_REPEAT:-3}
CONC=${BENCH_CONC:-4}
NSENDERS=${BENCH_SENDERS:-10000}
NSUPP=${BENCH_SUPPRESSED:-100000}
RATE=${BENCH_RATE:-1000}
NPAUSES=${BENCH_PAUSES:-50}
PAUSE_UNDER=${BENCH_PAUSE_UNDER:-"idle load"}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_CLI=${REDIS_CLI:-/usr/bin/redis-cli}
W=${BENCH_OUT:-$(mktemp -d /tmp/repguard-cluster.XXXXXX)} || exit 1
mkdir -p "$W/logs" "$W/raw" "$W/run" || exit 1
NODES="a b c"
NODE_PIDS=""		# "name:pid ..."
declare -A LOGMARK	# name: its log's lines before its last start
LOAD_PIDS=""
PAUSE_PID=""
REDIS_PID=""
T_START=$(date +%s.%N)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)

die() { echo "cluster.sh: $*" >&2; exit 1; }

stop_pid() {	# stop_pid PID: TERM, up to 10 s, then KILL
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
stop_loads() {
	for p in $LOAD_PIDS; do stop_pid "$p"; done
	LOAD_PIDS=""
}
stop_nodes() {	# all at once (their cluster threads push what is left)
	for np in $NODE_PIDS; do kill -TERM "${np#*:}" 2>/dev/null; done
	for np in $NODE_PIDS; do stop_pid "${np#*:}"; done
	NODE_PIDS=""
}
cleanup() {
	[ -n "$PAUSE_PID" ] && stop_pid "$PAUSE_PID"
	PAUSE_PID=""
	stop_loads
	stop_nodes
	[ -n "$REDIS_PID" ] && stop_pid "$REDIS_PID"
	REDIS_PID=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{ [ -x "$REDIS_SERVER" ] && [ -x "$REDIS_CLI" ]; } ||
	die "needs $REDIS_SERVER and $REDIS_CLI (apt-get install redis-server)"
make -C "$BUILD" repguard repguardctl tests/bench/mload tests/bench/lookup \
	>"$W/logs/make.log" 2>&1 || die "make failed ($W/logs/make.log)"
REPGUARD=$BUILD/repguard
CTL=$BUILD/repguardctl
MLOAD=$BUILD/tests/bench/mload
printf 'From: <bench@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: cluster benchmark\r\nMessage-ID: <b@example.com>\r\n\r\n' >"$W/msg.eml"
head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 76 | sed 's/$/\r/' >>"$W/msg.eml"

echo "==> filling the store: $NSENDERS senders, $NSUPP suppressed addresses" \
	"(policy.sh fills 100000 and 1000000)"
t0=$(date +%s.%N)
"$BUILD/tests/bench/lookup" fill "$W/db" "$NSENDERS" "$NSUPP" \
	>"$W/logs/fill.log" 2>&1 || die "fill failed ($W/logs/fill.log)"
echo "    done in $(echo "$(date +%s.%N) - $t0" | bc) s; $(du -sh "$W/db" | cut -f1) on disk"

# --- Redis ---------------------------------------------------------------
RSOCK=$W/redis/redis.sock
mkdir -p "$W/redis"
# shellcheck disable=SC2086
"$REDIS_SERVER" --port 0 --unixsocket "$RSOCK" --unixsocketperm 700 \
	--dir "$W/redis" --logfile "$W/redis/redis.log" --save '' \
	--appendonly no --daemonize no ${BENCH_REDIS_ARGS:-} >>"$W/logs/redis.out" 2>&1 &
REDIS_PID=$!
rcli() { "$REDIS_CLI" -s "$RSOCK" "$@"; }
for _ in $(seq 1 100); do [ "$(rcli PING 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(rcli PING 2>/dev/null)" = PONG ] || die "redis-server did not start"
REDIS_HZ=$(rcli CONFIG GET hz | tail -n 1)

# --- nodes ----------------------------------------------------------------
conf() {	# conf NAME plain|cluster
	{
		echo "Socket unix:$W/run/$1.sock"
		echo "UMask 000"
		echo "DatabasePath $W/run/db-$1"
		echo "DatabaseMaxSize 1G"
		echo "InternalHosts 127.0.0.0/8"
		echo "Syslog no"
		echo "CommitInterval 10"
		echo "OnNoKey accept"
		if [ "$2" = cluster ]; then
			echo "Cluster unix:$RSOCK"
			echo "ClusterName bench"
			echo "NodeName $1"
		fi
	} >"$W/run/$1.conf"
}

metric() {	# metric NAME METRIC: its value from repguardctl metrics
	"$CTL" -c "$W/run/$1.conf" metrics 2>/dev/null |
		awk -v m="$2" '$1 == m { print $2 }'
}
pid_of() {
	for np in $NODE_PIDS; do [ "${np%%:*}" = "$1" ] && echo "${np#*:}"; done
}
ticks() {	# ticks PID: its CPU time in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# start_nodes plain|cluster NAME...: fresh stores, started, ready (and,
# clustered, up with every node's joining state applied everywhere)
start_nodes() {
	_mode=$1; shift
	[ "$_mode" = cluster ] && { rcli FLUSHALL >/dev/null || die "FLUSHALL failed"; }
	for n in "$@"; do
		rm -rf "$W/run/db-$n" "$W/run/$n.sock"
		cp -r "$W/db" "$W/run/db-$n" || die "cannot copy the store"
		conf "$n" "$_mode"
		LOGMARK[$n]=$( { wc -l <"$W/logs/$n.log"; } 2>/dev/null || echo 0)
		"$REPGUARD" -f -c "$W/run/$n.conf" >>"$W/logs/$n.log" 2>&1 &
		NODE_PIDS="$NODE_PIDS $n:$!"
	done
	for n in "$@"; do
		for _ in $(seq 1 100); do [ -S "$W/run/$n.sock" ] && break; sleep 0.1; done
		[ -S "$W/run/$n.sock" ] || die "node $n did not start ($W/logs/$n.log)"
	done
	[ "$_mode" = cluster ] || return 0
	settle "$@"
}

# settle NAME...: every node has applied what every other sent before it
# (on joining, each publishes its whole state: the store's suppressions;
# the node that joins last takes the others' from the snapshot).  The
# stream is read in order: a sender paused on a node after that, seen
# paused on every other node, says they are past it.
paused_on() {	# paused_on NAME SENDER
	"$CTL" -c "$W/run/$1.conf" show "$2" --json 2>/dev/null |
		python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)["state"] != "paused")' 2>/dev/null
}
settle() {
	local t0 n m mark
	t0=$(date +%s)
	for n in "$@"; do
		"$CTL" -c "$W/run/$n.conf" pause "settle.$n@bench.example" \
			>/dev/null 2>>"$W/logs/settle.log" || die "cannot pause on node $n"
	done
	for n in "$@"; do
		mark=settle.$n@bench.example
		for m in "$@"; do
			[ "$m" = "$n" ] && continue
			until paused_on "$m" "$mark"; do
				[ $(( $(date +%s) - t0 )) -lt 60 ] ||
					die "the cluster did not settle in 60 s ($mark not on node $m)"
				sleep 0.1
			done
		done
	done
	echo "$(( $(date +%s) - t0 )) s to settle" >>"$W/logs/settle.log"
}

# health TAG NAME...: how the clustered nodes' link stood through a run:
# "NAME UP OUTBOX SENT DOWNS" to $W/raw/TAG.health (DOWNS: the times the
# node logged "cluster: down" since it started; UP and OUTBOX now).
# Prints the nodes that went down, if any.
health() {
	local tag=$1 n up ob se downs said=""
	shift
	: >"$W/raw/$tag.health"
	for n in "$@"; do
		up=$(metric "$n" repguard_cluster_up)
		ob=$(metric "$n" repguard_cluster_outbox_entries)
		se=$(metric "$n" repguard_cluster_changes_sent_total)
		downs=$(tail -n +"$(( LOGMARK[$n] + 1 ))" "$W/logs/$n.log" |
			grep -c 'cluster: down')
		echo "$n ${up:-?} ${ob:-?} ${se:-?} $downs" >>"$W/raw/$tag.health"
		[ "$downs" -gt 0 ] && said="$said $n (down ${downs}x, now up ${up:-?}, outbox ${ob:-?})"
	done
	[ -z "$said" ] || echo "    $tag: the cluster link went down on:$said"
}

# drive TAG SECONDS WARMUP RATE NAME...: one mload per node, all at once;
# writes $W/raw/TAG.NAME.json and, per node, its and Redis's CPU ticks
# over the run to $W/raw/TAG.cpu
drive() {
	_tag=$1 _secs=$2 _warm=$3 _rate=$4; shift 4
	_pace=""
	[ "$_rate" != 0 ] && _pace="-P $_rate"
	: >"$W/raw/$_tag.cpu"
	declare -A _t0
	for n in "$@"; do _t0[$n]=$(ticks "$(pid_of "$n")"); done
	_r0=$(ticks "$REDIS_PID")
	for n in "$@"; do
		# shellcheck disable=SC2086
		"$MLOAD" -s "$W/run/$n.sock" -m "$W/msg.eml" -c "$CONC" -t "$_secs" \
			-w "$_warm" $_pace -F "$NSENDERS" -R 1000000 -D 10000 \
			-f bench@example.com -r rcpt@example.net -j \
			>"$W/raw/$_tag.$n.json" 2>>"$W/logs/mload.log" &
		LOAD_PIDS="$LOAD_PIDS $!"
	done
	for p in $LOAD_PIDS; do wait "$p"; done
	LOAD_PIDS=""
	for n in "$@"; do
		echo "$n $(( $(ticks "$(pid_of "$n")") - ${_t0[$n]} )) $(( $(ticks "$REDIS_PID") - _r0 ))" \
			>>"$W/raw/$_tag.cpu"
	done
}

# --- 1. throughput ---------------------------------------------------------
echo "==> throughput: $REPEAT interleaved rounds of $DURATION s," \
	"$CONC connections per node"
: >"$W/throughput.txt"
for r in $(seq 1 "$REPEAT"); do
	for cfg in single three cluster; do
		case $cfg in
		single) names="x"; mode=plain ;;
		three) names=$NODES; mode=plain ;;
		cluster) names=$NODES; mode=cluster ;;
		esac
		# shellcheck disable=SC2086
		start_nodes "$mode" $names
		sleep 0.3
		# shellcheck disable=SC2086
		drive "t$r.$cfg" "$DURATION" 0.5 0 $names
		# shellcheck disable=SC2086
		[ "$mode" = cluster ] && health "t$r.$cfg" $names
		stop_nodes
		for n in $names; do
			echo "$r $cfg $n $(awk -v n="$n" '$1 == n { print $2, $3 }' \
				"$W/raw/t$r.$cfg.cpu") $(cat "$W/raw/t$r.$cfg.$n.json")" \
				>>"$W/throughput.txt"
		done
		python3 - "$W/throughput.txt" "$r" "$cfg" <<'PYEOF'
import json, sys
v = []
for line in open(sys.argv[1]):
    r, cfg, n, t, rt, js = line.split(" ", 5)
    if r == sys.argv[2] and cfg == sys.argv[3]:
        d = json.loads(js)
        v.append("%s %.0f%s" % (n, d["msgs_per_s"], " (%d failed)" % d["failed"] if d["failed"] else ""))
print("    round %s %-8s %s msgs/s" % (sys.argv[2], sys.argv[3], ", ".join(v)))
PYEOF
	done
done

# --- 2. round trips at RATE msgs/s per node ------------------------------
echo "==> round trips to Redis: three clustered nodes at $RATE msgs/s each, $DURATION s"
# shellcheck disable=SC2086
start_nodes cluster $NODES

# rt_tick NAME: wait for the node's next status write; "VALUE SECONDS"
rt_tick() {
	_v0=$(metric "$1" repguard_cluster_roundtrips_total)
	for _ in $(seq 1 200); do
		_v=$(metric "$1" repguard_cluster_roundtrips_total)
		[ "$_v" != "$_v0" ] && { echo "$_v $(date +%s.%N)"; return 0; }
		sleep 0.01
	done
	echo "$_v0 $(date +%s.%N)"
}
rt_all() {	# rt_all FILE: rt_tick of every node, at once, "NAME VALUE SECONDS"
	: >"$1"
	for n in $NODES; do
		{ echo "$n $(rt_tick "$n")" >"$1.$n"; } &
		LOAD_PIDS="$LOAD_PIDS $!"
	done
	for p in $LOAD_PIDS; do wait "$p"; done
	LOAD_PIDS=""
	for n in $NODES; do cat "$1.$n" >>"$1"; rm -f "$1.$n"; done
}
rt_all "$W/raw/rt.idle0"
sleep 3
rt_all "$W/raw/rt.idle1"
rt_all "$W/raw/rt.before"
# shellcheck disable=SC2086
drive rt "$DURATION" 0 "$RATE" $NODES
# shellcheck disable=SC2086
health rt $NODES
rt_all "$W/raw/rt.after"
for n in $NODES; do
	echo "$n $(metric "$n" repguard_cluster_changes_sent_total) $(metric "$n" repguard_cluster_changes_applied_total)"
done >"$W/raw/rt.changes"

# --- 3. pause propagation -------------------------------------------------
cat >"$W/pause.py" <<'PYEOF'
# pause.py CTL ACONF CCONF CLOG N TAG OUT: pause N senders on a, one at a
# time; for each the ms until c's show says paused, and until c's log says so
import json, os, random, re, subprocess, sys, threading, time
ctl, aconf, cconf, clog, n, tag, out = sys.argv[1:8]
n = int(n)
seen = {}			# sender -> monotonic time c's log named it
stop = False
pat = re.compile(r"cluster: sender (\S+) is paused \(from node a")

def watch():
    with open(clog, "rb") as f:
        f.seek(0, 2)
        buf = b""
        while not stop:
            chunk = f.read()
            if not chunk:
                time.sleep(0.0005)
                continue
            now = time.monotonic()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for ln in lines:
                m = pat.search(ln.decode("utf-8", "replace"))
                if m and m.group(1) not in seen:
                    seen[m.group(1)] = now

th = threading.Thread(target=watch, daemon=True)
th.start()
time.sleep(0.05)
random.seed(1)
res = []
with open(out, "w") as fo:
    for i in range(n):
        time.sleep(random.uniform(0, 0.1))
        s = "p%d.%s@example.com" % (i, tag)
        t0 = time.monotonic()
        rc = subprocess.run([ctl, "-c", aconf, "pause", s], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode
        tcmd = time.monotonic() - t0
        show = None
        calls = []
        while rc == 0 and time.monotonic() - t0 < 5:
            a = time.monotonic()
            p = subprocess.run([ctl, "-c", cconf, "show", s, "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            b = time.monotonic()
            calls.append(b - a)
            try:
                if p.returncode == 0 and json.loads(p.stdout)["state"] == "paused":
                    show = b - t0
                    break
            except ValueError:
                pass
        for _ in range(200):		# the log line: at most 0.2 s more
            if s in seen:
                break
            time.sleep(0.001)
        log = seen[s] - t0 if s in seen else None
        calls.sort()
        fo.write(json.dumps({"sender": s, "rc": rc, "cmd_ms": 1e3 * tcmd,
                             "show_ms": None if show is None else 1e3 * show,
                             "log_ms": None if log is None else 1e3 * log,
                             "calls": len(calls),
                             "call_ms": 1e3 * calls[len(calls) // 2] if calls else None}) + "\n")
stop = True
PYEOF

for under in $PAUSE_UNDER; do
	echo "==> pause propagation a -> c, $NPAUSES senders, $under"
	if [ "$under" = load ]; then
		for n in $NODES; do
			"$MLOAD" -s "$W/run/$n.sock" -m "$W/msg.eml" -c "$CONC" -t 600 \
				-P "$RATE" -F "$NSENDERS" -R 1000000 -D 10000 \
				-f bench@example.com -r rcpt@example.net -j \
				>"$W/raw/pause-load.$n.json" 2>>"$W/logs/mload.log" &
			LOAD_PIDS="$LOAD_PIDS $!"
		done
		sleep 1
	fi
	python3 "$W/pause.py" "$CTL" "$W/run/a.conf" "$W/run/c.conf" "$W/logs/c.log" \
		"$NPAUSES" "$under$$" "$W/raw/pause-$under.txt" 2>>"$W/logs/pause.log" &
	PAUSE_PID=$!
	wait "$PAUSE_PID" || die "pause.py failed ($W/logs/pause.log)"
	PAUSE_PID=""
	# shellcheck disable=SC2086
	health "pause-$under" $NODES
	stop_loads
done
stop_nodes

# --- 4. the table -----------------------------------------------------------
python3 - "$W" "$NODES" "$RATE" "$DURATION" "$PAUSE_UNDER" "$CONC" "$NSENDERS" \
	"$NSUPP" "$LOADAVG_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$REDIS_HZ" \
	<<'PYEOF' | tee "$W/table.txt"
import json, os, sys
W, nodes, rate, dur, under, conc, nsend, nsupp, la0, la1, hz_redis = sys.argv[1:12]
nodes = nodes.split()
hz = os.sysconf("SC_CLK_TCK")
def med(v):
    v = sorted(v)
    return v[len(v) // 2] if v else float("nan")
def health(tag):
    """(node-runs, went down, outboxes at the end) of raw/TAG*.health"""
    runs, down, ob = 0, 0, []
    for f in sorted(os.listdir(os.path.join(W, "raw"))):
        if f.endswith(".health") and (f.startswith(tag) or f[f.index(".") + 1:].startswith(tag)):
            for line in open(os.path.join(W, "raw", f)):
                n, up, o, se, downs = line.split()
                runs += 1
                down += int(downs) > 0 or up != "1"
                ob.append(int(o) if o.isdigit() else -1)
    return runs, down, ob
def say_health(tag, what):
    runs, down, ob = health(tag)
    if not runs:
        return
    if down:
        print("    !! %s: the cluster link went down (\"no reply within\" ClusterTimeout) on %d of %d"
              % (what, down, runs))
        print("       node-runs; outbox at the end: max %d entries.  A node that is down decides on its" % max(ob))
        print("       own state and sends nothing: the figure above then leaves part of the cluster's cost out.")
    else:
        print("    %s: the cluster link stayed up on every node (%d node-runs); outbox at the end <= %d"
              % (what, runs, max(ob)))
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p * len(v)))] if v else float("nan")

# throughput
rounds = {}
for line in open(os.path.join(W, "throughput.txt")):
    r, cfg, n, t, rt, js = line.split(" ", 5)
    d = json.loads(js)
    rounds.setdefault(cfg, {}).setdefault(r, []).append((d, int(t), int(rt)))
row = {}
for cfg, rs in rounds.items():
    per, slow, cpu, rcpu, fail = [], [], [], [], 0
    for r, v in rs.items():
        per.append(sum(d["msgs_per_s"] for d, _, _ in v) / len(v))
        slow.append(min(d["msgs_per_s"] for d, _, _ in v))
        msgs = sum(d["ok"] + d.get("warmup_ok", 0) for d, _, _ in v)
        cpu.append(1e6 * sum(t for _, t, _ in v) / hz / msgs if msgs else 0)
        rcpu.append(1e6 * v[0][2] / hz / msgs if msgs else 0)
        fail += sum(d["failed"] for d, _, _ in v)
    row[cfg] = (med(per), med(slow), med(cpu), med(rcpu), fail, len(rs))
ratio_rounds = {}
for pair in (("cluster", "single"), ("cluster", "three")):
    v = []
    for r in rounds.get(pair[0], {}):
        if r in rounds.get(pair[1], {}):
            a = sum(d["msgs_per_s"] for d, _, _ in rounds[pair[0]][r]) / len(rounds[pair[0]][r])
            b = sum(d["msgs_per_s"] for d, _, _ in rounds[pair[1]][r]) / len(rounds[pair[1]][r])
            v.append(a / b)
    ratio_rounds[pair] = med(v)

print()
print("==> cluster benchmark (store: %s senders, %s suppressed; %s connections per node)" % (nsend, nsupp, conc))
print("  %d cores; load average %s at the start, %s at the end; Redis hz %s" % (os.cpu_count(), la0, la1, hz_redis))
print("  throughput, policy path, median of %d interleaved rounds of %s s" % (row["single"][5], dur))
print("    %-34s %9s %9s %11s %11s %7s" % ("", "msgs/s", "slowest", "node CPU", "Redis CPU", "failed"))
print("    %-34s %9s %9s %11s %11s %7s" % ("", "per node", "node", "us/msg", "us/msg", ""))
desc = {"single": "(a) single: one node, no Cluster",
        "three": "(b) three: three nodes, no Cluster",
        "cluster": "(c) cluster: three nodes, one Redis"}
for cfg in ("single", "three", "cluster"):
    if cfg in row:
        m, s, c, rc, f, _ = row[cfg]
        print("    %-34s %9.0f %9.0f %11.1f %11s %7d" % (desc[cfg], m, s, c,
              "%.1f" % rc if cfg == "cluster" else "-", f))
a, b, c = (row.get(k, (float("nan"),))[0] for k in ("single", "three", "cluster"))
print("    (c)/(a) = %.3f   the issue's figure (target >= 0.90); round ratios' median %.3f" % (c / a, ratio_rounds[("cluster", "single")]))
print("    (c)/(b) = %.3f   the cluster's own cost on this machine; round ratios' median %.3f" % (c / b, ratio_rounds[("cluster", "three")]))
print("    (b)/(a) = %.3f   what sharing this machine's %d cores among three daemons, three" % (b / a, os.cpu_count()))
print("                      load generators (and in (c) Redis) costs by itself")
say_health("cluster", "(c)")

# round trips
def rt_file(name):
    out = {}
    for line in open(os.path.join(W, "raw", name)):
        n, v, t = line.split()
        out[n] = (int(v), float(t))
    return out
i0, i1, b0, b1 = (rt_file("rt." + k) for k in ("idle0", "idle1", "before", "after"))
print("  Redis round trips per message at %s msgs/s per node (-P), %s s" % (rate, dur))
print("    %-6s %9s %9s %11s %11s %12s %10s" % ("node", "msgs/s", "messages", "round trips", "per msg", "idle-corr.", "idle RT/s"))
tm, trt, tcorr = 0, 0, 0.0
for n in nodes:
    d = json.load(open(os.path.join(W, "raw", "rt.%s.json" % n)))
    msgs = d["ok"] + d.get("warmup_ok", 0)
    idle = (i1[n][0] - i0[n][0]) / (i1[n][1] - i0[n][1])
    rt = b1[n][0] - b0[n][0]
    extra = max(0.0, (b1[n][1] - b0[n][1]) - d["seconds"])
    corr = rt - idle * extra
    tm += msgs; trt += rt; tcorr += corr
    print("    %-6s %9.0f %9d %11d %11.3f %12.3f %10.1f" % (n, d["msgs_per_s"], msgs, rt,
          rt / msgs if msgs else float("nan"), corr / msgs if msgs else float("nan"), idle))
print("    %-6s %9s %9d %11d %11.3f %12.3f   (target <= 0.2)" % ("all", "", tm, trt,
      trt / tm if tm else float("nan"), tcorr / tm if tm else float("nan")))
print("    (idle: a blocked XREAD ends at Redis's next timer tick, hz %s, plus one heartbeat a second)" % hz_redis)
say_health("rt", "this run")

# pauses
print("  pause propagation, node a -> node c (ms from just before 'repguardctl pause' on a)")
print("    %-6s %4s %8s %8s %8s %8s %8s   %s" % ("", "n", "p50", "p99", "max", "min", "missed", "(resolution)"))
for u in under.split():
    p = os.path.join(W, "raw", "pause-%s.txt" % u)
    if not os.path.exists(p):
        continue
    rs = [json.loads(l) for l in open(p)]
    show = [r["show_ms"] for r in rs if r["show_ms"] is not None]
    log = [r["log_ms"] for r in rs if r["log_ms"] is not None]
    call = med([r["call_ms"] for r in rs if r["call_ms"] is not None])
    cmd = med([r["cmd_ms"] for r in rs])
    for what, v, res in (("show", show, "one show call: %.1f ms; the pause command itself: %.1f ms" % (call, cmd)),
                         ("log", log, "0.5 ms")):
        print("    %-10s %4d %8.1f %8.1f %8.1f %8.1f %7d   (%s)" % (
            "%s %s" % (u, what), len(v), pct(v, 0.5), pct(v, 0.99),
            max(v) if v else float("nan"), min(v) if v else float("nan"), len(rs) - len(v), res))
    say_health("pause-%s" % u, "pauses, %s" % u)
PYEOF
echo "    ran $(printf '%.0f' "$(echo "$(date +%s.%N) - $T_START" | bc)") s; results kept in $W"
rm -rf "$W/db" "$W/run"/db-*
