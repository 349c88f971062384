#!/bin/bash
# policy.sh - the reputation engine's benchmark: repguard's policy path
# against the empty libmilter filter, with a full store; and what a lookup
# costs as the store grows.
#
#   tests/bench/policy.sh          (after make; a few minutes; not in make check)
#
# 1. Fills a store with BENCH_SENDERS known senders and BENCH_SUPPRESSED
#    suppressed addresses (tests/bench/lookup fill).
# 2. Runs, in BENCH_REPEAT interleaved rounds of BENCH_DURATION seconds each
#    (after 0.5 s of warm-up on the same connections), tests/bench/mload with
#    BENCH_CONC connections, 3 KB messages, the envelope spread over the known
#    senders and a million recipients (-F, -R; none of them suppressed, so
#    every RCPT is a lookup that misses, and every MAIL FROM one that hits),
#    against:
#      null       the empty libmilter filter (tests/bench/nullfilter), every
#                 step answered;
#      null-nr    the same answering only MAIL and end of message (-n);
#      null-rcpt  answering MAIL, RCPT and end of message (-r): what repguard
#                 answers while its suppression list is on (the default);
#      policy     repguard on that store without DKIM keys: sender state at
#                 MAIL FROM, the suppression list at RCPT, counting and the
#                 engine's judging in the tally's batches, the per-message
#                 log line;
#      policy-rp  the same with return-path rewriting (a token, an HMAC and a
#                 record per message);
#      policy-shape  policy with traffic shaping on: every message checked
#                 against its sender's class bucket and the relay's, every
#                 recipient against its domain's (DomainLimits "*": one bucket
#                 per domain), limits set so high that nothing is refused;
#                 the recipients spread over BENCH_DOMAINS domains (-D), so
#                 that there are BENCH_SENDERS sender buckets and
#                 BENCH_DOMAINS domain buckets.
#    Prints the median msgs/s of each, and policy's ratios to the floors.
#    BENCH_CURVE=no skips step 3.
# 3. tests/bench/lookup curve: ns per lookup (suppressed, not listed, known
#    sender) at BENCH_SIZES entries, and the ratio to the smallest.
#
# Environment (defaults): BENCH_DURATION [4] BENCH_REPEAT [3] BENCH_CONC [4]
#   BENCH_SENDERS [100000] BENCH_SUPPRESSED [1000000] BENCH_DOMAINS [10000]
#   BENCH_FILTERS ["null null-nr null-rcpt policy policy-rp policy-shape"]
#   BENCH_SIZES ["1000 10000 100000 1000000 10000000"] BENCH_CURVE_SENDERS
#   [1000000]  BENCH_OUT [a new /tmp/repguard-policy.XXXXXX, kept]
#   BUILD [build/plain]: where repguard, mload, nullfilter and lookup are
# Every process it starts is stopped by its pid, also on interruption.

set -u
umask 077
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$TOP/build/plain}
DURATION=${BENCH_DURATION:-4}
REPEAT=${BENCH_REPEAT:-3}
CONC=${BENCH_CONC:-4}
NSENDERS=${BENCH_SENDERS:-100000}
NSUPP=${BENCH_SUPPRESSED:-1000000}
NDOMAINS=${BENCH_DOMAINS:-10000}
FILTERS=${BENCH_FILTERS:-"null null-nr null-rcpt policy policy-rp policy-shape"}
SIZES=${BENCH_SIZES:-"1000 10000 100000 1000000 10000000"}
CURVE_SENDERS=${BENCH_CURVE_SENDERS:-1000000}
W=${BENCH_OUT:-$(mktemp -d /tmp/repguard-policy.XXXXXX)} || exit 1
mkdir -p "$W/logs" || exit 1
PID=""

die() { echo "policy.sh: $*" >&2; exit 1; }
stop() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=""
}
trap 'stop' EXIT INT TERM

make -C "$BUILD" repguard tests/bench/mload tests/bench/nullfilter \
	tests/bench/lookup >"$W/logs/make.log" 2>&1 || die "make failed ($W/logs/make.log)"
MLOAD=$BUILD/tests/bench/mload
printf 'From: <bench@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: policy benchmark\r\nMessage-ID: <b@example.com>\r\n\r\n' >"$W/msg.eml"
head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 76 | sed 's/$/\r/' >>"$W/msg.eml"
openssl rand -hex 32 >"$W/rp.key" && chmod 600 "$W/rp.key"

echo "==> filling the store: $NSENDERS senders, $NSUPP suppressed addresses"
t0=$(date +%s.%N)
"$BUILD/tests/bench/lookup" fill "$W/db" "$NSENDERS" "$NSUPP" || die "fill failed"
echo "    done in $(echo "$(date +%s.%N) - $t0" | bc) s; $(du -sh "$W/db" | cut -f1) on disk"

conf() {	# conf FILE [rp]
	{
		echo "Socket unix:$W/rg.sock"
		echo "UMask 000"
		echo "DatabasePath $W/db"
		echo "DatabaseMaxSize 8G"
		echo "InternalHosts 127.0.0.0/8"
		echo "Syslog no"
		echo "CommitInterval 10"
		echo "OnNoKey accept"
		[ "${2:-}" = rp ] && echo "ReturnPathDomain bounce.example.com" &&
			echo "ReturnPathKeyFile $W/rp.key"
		[ "${2:-}" = shape ] && echo "TransactionalLimit 1000000/1s" &&
			echo "BulkLimit 1000000/1s" && echo "RelayLimit 1000000000/1s" &&
			echo "DomainLimits $W/domain-limits"
	} >"$1"
}
echo "* 1000000/1s" >"$W/domain-limits"
conf "$W/policy.conf"
conf "$W/policy-rp.conf" rp
conf "$W/policy-shape.conf" shape

start() {	# start NAME
	rm -f "$W/rg.sock"
	case $1 in
	null) "$BUILD/tests/bench/nullfilter" "unix:$W/rg.sock" 2>>"$W/logs/null.log" & ;;
	null-nr) "$BUILD/tests/bench/nullfilter" -n "unix:$W/rg.sock" 2>>"$W/logs/null-nr.log" & ;;
	null-rcpt) "$BUILD/tests/bench/nullfilter" -r "unix:$W/rg.sock" 2>>"$W/logs/null-rcpt.log" & ;;
	*) "$BUILD/repguard" -f -c "$W/$1.conf" >>"$W/logs/$1.log" 2>&1 & ;;
	esac
	PID=$!
	for _ in $(seq 1 100); do [ -S "$W/rg.sock" ] && return 0; sleep 0.1; done
	die "$1 did not start"
}

: >"$W/results.txt"
for r in $(seq 1 "$REPEAT"); do
	for f in $FILTERS; do
		start "$f"
		sleep 0.3
		out=$("$MLOAD" -s "$W/rg.sock" -m "$W/msg.eml" -c "$CONC" -t "$DURATION" \
			-w 0.5 -F "$NSENDERS" -R 1000000 -D "$NDOMAINS" -f bench@example.com \
			-r rcpt@example.net -j 2>>"$W/logs/mload.log")
		# the filter's CPU time (clock ticks), start-up included
		ticks=$(awk '{print $14 + $15}' "/proc/$PID/stat" 2>/dev/null || echo 0)
		stop
		echo "$r $f $ticks $out" >>"$W/results.txt"
		printf '    round %d %-10s %s\n' "$r" "$f" "$(echo "$out" | python3 -c \
			'import json, sys; d = json.load(sys.stdin); print("%.0f msgs/s, %d failed" % (d["msgs_per_s"], d["failed"]))')"
	done
done

python3 - "$W/results.txt" <<'PYEOF'
import json, statistics, sys
import os
res = {}
rounds = {}
hz = os.sysconf("SC_CLK_TCK")
for line in open(sys.argv[1]):
    r, f, ticks, js = line.split(" ", 3)
    d = json.loads(js)
    n = d["ok"] + d.get("warmup_ok", 0)
    cpu_us = 1e6 * int(ticks) / hz / n if n else 0
    res.setdefault(f, []).append((d["msgs_per_s"], d.get("failed", 0), d.get("p50_ms"), d.get("p99_ms"), cpu_us))
    rounds.setdefault(r, {})[f] = d["msgs_per_s"]
print("==> msgs/s (median of %d rounds; failed messages in all rounds)" % len(next(iter(res.values()))))
med = {}
for f in ["null", "null-nr", "null-rcpt", "policy", "policy-rp", "policy-shape"]:
    if f not in res:
        continue
    v = sorted(res[f])
    m = v[len(v) // 2]
    med[f] = m[0]
    cpu = sorted(x[4] for x in v)[len(v) // 2]
    med[f + " cpu"] = cpu
    print("    %-12s %9.0f msgs/s   p50 %.3f ms  p99 %.3f ms  filter CPU %.1f us/msg  failed %d" % (f, m[0], m[2] or 0, m[3] or 0, cpu, sum(x[1] for x in v)))
def ratio(a, b, text):
    if a in med and b in med:
        print("    %-26s = %.3f %s" % ("%s / %s" % (a, b), med[a] / med[b], text))
print("==> ratios of the medians")
ratio("policy", "null", "(target >= 0.90)")
ratio("policy", "null-rcpt", "(the floor of repguard's negotiation)")
ratio("policy", "null-nr", "(RCPT not answered: Suppression off)")
ratio("policy-rp", "null", "")
ratio("policy-shape", "policy", "(traffic shaping: target >= 0.95)")
pr = sorted(x["policy-shape"] / x["policy"] for x in rounds.values()
            if "policy" in x and "policy-shape" in x)
if pr:
    print("    %-26s = %.3f (median of the %d rounds' own ratios)" % (
        "policy-shape / policy", pr[len(pr) // 2], len(pr)))
    print("    %-26s = %.3f (the filter's CPU per message, medians)" % (
        "cpu policy-shape / policy", med["policy-shape cpu"] / med["policy cpu"]))
PYEOF

if [ "${BENCH_CURVE:-yes}" != no ]; then
	echo "==> lookup cost as the store grows (a new store: $W/curve)"
	"$BUILD/tests/bench/lookup" curve "$W/curve" "$SIZES" "$CURVE_SENDERS" || die "curve failed"
fi
rm -rf "$W/curve" "$W/db"
echo "    results kept in $W"
