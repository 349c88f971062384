#!/bin/bash
# sustained.sh - repguard under 70 % of its peak load for half an hour:
# does anything drift?
#
#   tests/bench/sustained.sh [SECONDS]      (after make; default 1800 s;
#                                            not part of make check)
#
# repguard signs (RSA-2048), rewrites return-paths, counts and judges every
# sender, and takes bounces back:
#   1. peak: tests/bench/mload, 4 connections, 1,000 senders, unpaced, for
#      20 s after 5 s of warm-up: PEAK msgs/s;
#   2. then SECONDS of mixed traffic, in intervals of SUSTAINED_INTERVAL
#      seconds (default 30): mload paced at SUSTAINED_LOAD (0.7) x PEAK
#      (-P), and beside it tests/bench/bouncer.py: 5 outbound messages a
#      second from "bad" senders whose bounces come back (DSNs through the
#      milter, to their rewritten return-paths), so that the reputation
#      engine pauses one bad sender after another; and, every minute, an
#      operator's pause and resume (repguardctl).  Return-path records
#      are kept for ReturnPathExpiry (1 h, its least): the database grows by
#      them for the first hour and is reclaimed after (run 5400 s or more
#      to see it level off, or use SUSTAINED_SPEED);
#   3. per interval: msgs/s, p50 and p99 latency (mload), the daemon's
#      anonymous resident memory (RssAnon: heap and stacks; the database's
#      mapped pages are counted below) and heap (repguard_heap_bytes), the database
#      file's size and the pages in use (repguard_db_used_bytes), senders
#      paused, bounces taken: a table, also written to SUSTAINED_OUT
#      (default build/sustained.csv);
#   4. the verdict: the intervals after the warm-up (the first 20 %) are
#      split in halves; each figure's median in the second half against
#      the first: flat when msgs/s stays within 5 % of the target, p99
#      within 50 %, memory within 10 % (or 8 MiB); the pages in use grow
#      by the same amount per message in both halves (within 20 %: no
#      record kept that should not be), and, once past ReturnPathExpiry
#      (with a fifth of it to spare), the pages in use stay within 10 %.
#
# Environment: REPGUARD, REPGUARDCTL, MLOAD (default: the build in
# build/plain), SUSTAINED_INTERVAL, SUSTAINED_LOAD, SUSTAINED_OUT, and
# SUSTAINED_SPEED=N: the daemon's clock runs N times as fast (libfaketime,
# "+0 xN"), so that the hour return-path records live passes in 60/N
# minutes and the run shows them reclaimed; everything else in the daemon
# that goes by the clock (counting windows, pauses, housekeeping each
# minute) goes N times as fast too.  The table's times are real ones.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 2
B=$ROOT/build/plain
REPGUARD=${REPGUARD:-$B/repguard}
REPGUARDCTL=${REPGUARDCTL:-$B/repguardctl}
MLOAD=${MLOAD:-$B/tests/bench/mload}
SECONDS_TOTAL=${1:-1800}
INTERVAL=${SUSTAINED_INTERVAL:-30}
LOAD=${SUSTAINED_LOAD:-0.7}
OUT=${SUSTAINED_OUT:-$ROOT/build/sustained.csv}
SPEED=${SUSTAINED_SPEED:-1}
FAKE=()
if [ "$SPEED" != 1 ]; then
	FT=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT\.so\.1$' | head -n 1)
	[ -n "$FT" ] || { echo "sustained.sh: SUSTAINED_SPEED needs libfaketime (apt-get install libfaketime)" >&2; exit 2; }
	FAKE=(env LD_PRELOAD="$FT" FAKETIME="+0 x$SPEED")
fi
PY=/usr/bin/python3
for p in "$REPGUARD" "$REPGUARDCTL" "$MLOAD"; do
	[ -x "$p" ] || { echo "sustained.sh: $p is not built (make; make check TESTS=)" >&2; exit 2; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/repguard-sustained.XXXXXX") || exit 2
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SOCK=$T/rg.sock
MPORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
( umask 077
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/dkim.pem"
  openssl rand -hex 32 >"$T/rp.key" ) >/dev/null 2>&1 || exit 2
cat >"$T/rg.conf" <<CONF
Socket unix:$SOCK
UMask 000
DatabasePath $T/db
CommitInterval 10
Syslog no
InternalHosts 127.0.0.0/8
Domain example.com
Selector s1
KeyFile $T/dkim.pem
ReturnPathDomain bounce.example.com
ReturnPathKeyFile $T/rp.key
ReturnPathExpiry 1h
BounceRules $ROOT/contrib/bounce-rules
MinimumVolume 20
MinimumEvents 3
PauseCooldown 5m
ProbationLimit 100000
MetricsListen 127.0.0.1:$MPORT
CONF
"${FAKE[@]}" "$REPGUARD" -f -c "$T/rg.conf" >"$T/rg.log" 2>&1 &
RG=$!
PIDS+=("$RG")
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && break
	kill -0 "$RG" 2>/dev/null || { cat "$T/rg.log"; exit 1; }
	sleep 0.1
done
printf 'From: <bench@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: sustained load\r\nMessage-ID: <bench@example.com>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n' >"$T/msg.eml"
for i in $(seq 1 40); do
	printf 'Line %02d of a message of about three kilobytes, as applications send them; ok.\r\n' "$i" >>"$T/msg.eml"
done

jget() { $PY -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' "$1" "$2"; }
metric() {	# metric EXPR: a python expression over m (name{labels} -> value)
	$PY - "$MPORT" "$1" <<'PYEOF'
import re, sys, urllib.request
m = {}
try:
    text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read().decode()
except OSError:
    print("nan"); sys.exit(0)
for l in text.splitlines():
    x = re.match(r"^([a-z_]+(\{[^}]*\})?) ([0-9.e+-]+)$", l)
    if x:
        m[x.group(1)] = float(x.group(3))
print(eval(sys.argv[2]))
PYEOF
}

echo "==> peak: 4 connections, unpaced, 20 s after 5 s of warm-up"
peak_json=$("$MLOAD" -s "$SOCK" -m "$T/msg.eml" -c 4 -t 20 -w 5 -F 1000 -R 5000 -j 2>/dev/null)
PEAK=$(jget "$peak_json" msgs_per_s)
RATE=$($PY -c "print(round($PEAK * $LOAD, 1))")
echo "    peak $PEAK msgs/s (p50 $(jget "$peak_json" p50_ms) ms, p99 $(jget "$peak_json" p99_ms) ms); target $RATE msgs/s ($LOAD of it)"

STOP=$T/stop
$PY "$ROOT/tests/bench/bouncer.py" "$ROOT/tests/lib" "$SOCK" \
	"$ROOT/tests/bounce/corpus/postfix-dsn-5.1.1.eml" 5 "$STOP" >"$T/bouncer.out" 2>&1 &
PIDS+=($!)
( n=0
  while [ ! -e "$STOP" ]; do
	sleep 30; n=$((n + 1))
	if [ $((n % 2)) -eq 1 ]; then
		"$REPGUARDCTL" -c "$T/rg.conf" pause bench7@example.com --reason "operator check" >/dev/null 2>&1
	else
		"$REPGUARDCTL" -c "$T/rg.conf" resume bench7@example.com >/dev/null 2>&1
	fi
  done ) &
PIDS+=($!)

fast=""
[ "$SPEED" != 1 ] && fast=" (the daemon's clock runs $SPEED times as fast)"
echo "==> $SECONDS_TOTAL s of mixed traffic, a line every $INTERVAL s$fast"
mkdir -p "$(dirname "$OUT")" || exit 2
echo "t_s,msgs_per_s,p50_ms,p99_ms,failed,rss_mb,heap_mb,db_file_mb,db_used_mb,paused,bounces" >"$OUT"
printf '%6s %9s %7s %7s %6s %7s %7s %8s %8s %6s %7s\n' t msgs/s p50_ms p99_ms failed rss_MB heap_MB dbfile_MB dbused_MB paused bounces
start=$(date +%s)
elapsed=0
while [ "$elapsed" -lt "$SECONDS_TOTAL" ]; do
	j=$("$MLOAD" -s "$SOCK" -m "$T/msg.eml" -c 4 -t "$INTERVAL" -P "$RATE" -F 1000 -R 5000 -j 2>/dev/null)
	elapsed=$(( $(date +%s) - start ))
	rss=$(awk '/^RssAnon:/ { printf "%.1f", $2 / 1024 }' "/proc/$RG/status")
	heap=$(metric "round(m['repguard_heap_bytes'] / 1048576, 2)")
	used=$(metric "round(m['repguard_db_used_bytes'] / 1048576, 2)")
	paused=$(metric "int(m.get('repguard_senders{state=\"paused\"}', 0))")
	bounces=$(metric "int(sum(v for k, v in m.items() if k.startswith('repguard_bounces_total')))")
	file=$($PY -c 'import os, sys; print(round(os.path.getsize(sys.argv[1]) / 1048576, 2))' "$T/db/data.mdb")
	line="$elapsed,$(jget "$j" msgs_per_s),$(jget "$j" p50_ms),$(jget "$j" p99_ms),$(jget "$j" failed),$rss,$heap,$file,$used,$paused,$bounces"
	echo "$line" >>"$OUT"
	echo "$line" | awk -F, '{ printf "%6s %9s %7s %7s %6s %7s %7s %8s %8s %6s %7s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }'
done
touch "$STOP"
sleep 1
echo "    bounces generator: $(cat "$T/bouncer.out" 2>/dev/null | tail -n 1)"
kill -0 "$RG" 2>/dev/null && echo "    repguard still running" || echo "    repguard DIED"

$PY - "$OUT" "$RATE" "$SPEED" <<'PYEOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
rate, speed = float(sys.argv[2]), float(sys.argv[3])
warm = max(1, len(rows) // 5)
rest = rows[warm:]
if len(rest) < 2:
    print("too few intervals for a verdict"); sys.exit(0)
a, b = rest[:len(rest) // 2], rest[len(rest) // 2:]
def med(rs, k):
    return statistics.median(float(r[k]) for r in rs)
print("==> after the warm-up (%d of %d intervals), first half -> second half (medians):" % (len(rest), len(rows)))
verdicts = []
def show(k, label, ok):
    x, y = med(a, k), med(b, k)
    ch = (y - x) / x * 100 if x else 0.0
    verdicts.append(ok(x, y))
    print("    %-22s %10.2f -> %10.2f  (%+.1f %%)  %s" % (label, x, y, ch, "flat" if ok(x, y) else "DRIFTS"))
show("msgs_per_s", "msgs/s", lambda x, y: abs(y - rate) <= 0.05 * rate)
show("p50_ms", "p50 latency ms", lambda x, y: y <= x * 1.5 + 0.05)
show("p99_ms", "p99 latency ms", lambda x, y: y <= x * 1.5 + 0.5)
show("rss_mb", "resident (anon) MB", lambda x, y: y - x <= max(0.1 * x, 8))
show("heap_mb", "heap MB", lambda x, y: y - x <= max(0.1 * x, 8))
t_a, t_b = float(a[-1]["t_s"]) - float(a[0]["t_s"]), float(b[-1]["t_s"]) - float(b[0]["t_s"])
def per_msg(rs, span):
    n = sum(float(r["msgs_per_s"]) for r in rs[1:]) * (span / max(1, len(rs) - 1))
    return (float(rs[-1]["db_used_mb"]) - float(rs[0]["db_used_mb"])) * 1048576 / max(1.0, n)
past = [r for r in rows if float(r["t_s"]) * speed > 3600 * 1.2]
if len(past) >= 4:
    pa, pb = past[:len(past) // 2], past[len(past) // 2:]
    x, y = med(pa, "db_used_mb"), med(pb, "db_used_mb")
    ok = y - x <= 0.1 * x + 1
    verdicts.append(ok)
    print("    %-22s %10.2f -> %10.2f  (%+.1f %%; the %d intervals past ReturnPathExpiry, halves)  %s" % (
        "database in use MB", x, y, (y - x) / x * 100 if x else 0.0, len(past), "flat" if ok else "DRIFTS"))
else:
    ga, gb = per_msg(a, t_a), per_msg(b, t_b)
    ok = gb <= ga * 1.2 + 5
    verdicts.append(ok)
    print("    %-22s %10.1f -> %10.1f  bytes a message (return-path records, kept 1 h)  %s" % (
        "database growth", ga, gb, "steady" if ok else "DRIFTS"))
print("    database file MB     %10.2f -> %10.2f  (the map grows by doubling; pages in use above)" % (med(a, "db_file_mb"), med(b, "db_file_mb")))
print("    failed messages in all: %d; senders paused at the end: %s; bounces taken: %s" % (
    sum(int(r["failed"]) for r in rows), rows[-1]["paused"], rows[-1]["bounces"]))
print("==> %s" % ("flat after the warm-up" if all(verdicts) else "NOT flat: see DRIFTS above"))
PYEOF
