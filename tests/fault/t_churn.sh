#!/bin/bash
# t_churn.sh - connections dropped mid-message, aborts, broken packets and
# thousands of short connections leak nothing.
#
# repguard (signing, return-path rewriting, reputation) takes rounds of
# tests/fault/churn.py: 8 kinds of sessions an MTA or a broken peer makes
# (closed before negotiating, after connect, mid-body, aborts between and
# inside messages, whole messages closed without quit, an unreasonable
# packet length, half a packet, an unknown command), 8 at a time.  After a
# warm-up of 4,000, six rounds of 4,000 each; after each (once the
# daemon is idle) its open file descriptors, threads and resident memory
# are read from /proc, and the bytes its heap holds (repguard_heap_bytes,
# mallinfo2) from its metrics listener:
#   - descriptors and threads are back to exactly what they were after the
#     warm-up;
#   - the heap does not grow round after round: the median of the growth
#     of rounds 2 to 6 is under 64 KiB (16 octets a connection) and their
#     sum under 1 MiB.  Seen: tens of KiB up or down most rounds, and now
#     and then a jump of 100-500 KiB (a queue or a table reaching a new
#     high-water mark after a burst) that later rounds do not repeat; a
#     leak grows every round;
#   - anonymous resident memory (heap and stacks, not the database's
#     mapped pages, which grow with what it stores) grew by less than
#     2 MiB over rounds 2 to 6 (it also keeps what the allocator's
#     per-thread arenas hold after a burst) (under AddressSanitizer,
#     whose heap is not comparable, these two are left to its leak
#     checker at the daemon's exit);
#   - every whole message got a final reply, the daemon still signs a
#     message after all that, and stops cleanly.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"
. "$TOP_SRCDIR/tests/lib/metrics.sh"

rg_milter_test
dkim_key "$T_TMP/dkim.pem"
rp_key "$T_TMP/rp.key"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 10 Syslog no InternalHosts 10.1.0.0/16 \
	Domain example.com Selector s1 KeyFile "$T_TMP/dkim.pem" \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$T_TMP/rp.key" \
	MetricsListen "127.0.0.1:$(t_free_port)"
MPORT=$(sed -n 's/^MetricsListen 127.0.0.1://p' "$CONF")
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

churn() {	# churn COUNT: one round; its output line
	"$PY" "$TOP_SRCDIR/tests/fault/churn.py" "$TOP_SRCDIR/tests/lib" "$SOCK" "$1" 8
}
fds() { find "/proc/$RG_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$RG_PID/status"; }
# resident memory of the heap and stacks (KiB): not the database's pages,
# which are mapped from its file and grow with what it stores
rss() { awk '/^RssAnon:/ { print $2 }' "/proc/$RG_PID/status"; }
# bytes malloc has handed out and not had back, as the daemon reports them
heap() { metrics_value "$(metrics_scrape "$MPORT")" "int(m['repguard_heap_bytes'])"; }
# settle: wait until the daemon's threads are down to $1 (connections ended)
settle() {
	local want=$1 i=0
	while [ "$(threads)" -gt "$want" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
}
BASE_THREADS=$(threads)

out=$(churn 4000)
t_is "$out" "done 4000 unexpected 0" "warm-up: 4,000 connections, every whole message answered"
settle "$BASE_THREADS"
FD0=$(fds) TH0=$(threads) RSS0=$(rss) HEAP0=$(heap) hprev=$HEAP0 STEPS=
echo "# after the warm-up: $FD0 descriptors, $TH0 threads, $RSS0 KiB resident (anonymous), heap $HEAP0 bytes"
for round in 1 2 3 4 5 6; do
	out=$(churn 4000)
	t_is "$out" "done 4000 unexpected 0" "round $round: 4,000 connections, every whole message answered"
	settle "$TH0"
	fd=$(fds) th=$(threads) r=$(rss) h=$(heap)
	echo "# after round $round: $fd descriptors, $th threads, $r KiB resident (anonymous), heap $h bytes"
	t_is "$fd" "$FD0" "round $round: open descriptors back to $FD0"
	t_is "$th" "$TH0" "round $round: threads back to $TH0"
	[ "$round" -ge 2 ] && STEPS="$STEPS $(( (h - hprev) / 1024 ))"
	[ "$round" -eq 1 ] && RSS1=$r
	hprev=$h
done
HGROWTH=$(printf '%s\n' $STEPS | sort -n | sed -n 3p)	# median of five
HSUM=$(( $(printf '%s+' $STEPS) 0 ))
GROWTH=$((r - RSS1))
if grep -q __asan_init "$REPGUARD" 2>/dev/null; then
	t_pass "heap: left to AddressSanitizer's leak checker (grew by $HGROWTH KiB)"
	t_pass "resident memory: left to AddressSanitizer's leak checker (grew by $GROWTH KiB)"
else
	t_ok "$([ "$HGROWTH" -lt 64 ] && [ "$HSUM" -lt 1024 ]; echo $?)" \
		"the heap's median growth a round is $HGROWTH KiB, $HSUM KiB in all (rounds 2-6:$STEPS KiB; less than 64 and 1,024)"
	t_ok "$([ "$GROWTH" -lt 2048 ]; echo $?)" \
		"resident memory grew by $GROWTH KiB over rounds 2-6 (20,000 connections; less than 2,048)"
fi
kill -0 "$RG_PID" 2>/dev/null
t_ok $? "repguard is still running"

signed=$("$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
msg = mc.Message.from_bytes(b"From: <after@example.com>\r\nSubject: t\r\n\r\nt\r\n")
res = mc.run_session(sys.argv[2], msg, mc.Envelope(client_ip="10.1.2.3",
    sender="after@example.com", rcpts=["rcpt@example.net"]))
print(any(m.name == b"DKIM-Signature" for m in res.mods))
PYEOF
)
t_is "$signed" True "after the churn a message is still signed"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"
t_done
