#!/bin/bash
# t_dns_slow.sh - return-path checks against a DNS server that never
# answers, and one that is not there: the configured action within the
# configured timeout, no thread left stuck.
#
# ReturnPathCheck yes, DNSTimeout 2s.  A "black hole" (a UDP socket that
# reads queries and answers nothing: a server that is overloaded, or
# whose answers are dropped) and a dead server (a closed port: refused at
# once):
#   - black hole, OnDNSError tempfail: six MAIL FROMs at once, for six new
#     domains, each gets 451 4.4.3 "DNS did not answer for D within 2 s"
#     2 s after its MAIL FROM (less than 3.5 s), and not one after the
#     other: all six in less than 6 s (in turn they would take 12).  The
#     time is the MAIL FROM's: Debian's libmilter runs callbacks on a pool
#     of workers that grows when all are busy, and a new worker can take
#     a second or two to come, so a session may wait that long for its
#     negotiation while others wait for DNS (seen: 4 s in all, 2 of them
#     before the negotiation answered);
#   - dead server: 451 4.4.3 in less than 3 s;
#   - OnDNSError accept (reload): accepted after the timeout, and logged;
#   - afterwards the daemon has no more threads than before the checks,
#     and stops within 3 s of SIGTERM.
. "$TOP_SRCDIR/tests/lib/common.sh"

rg_milter_test
HOLE_PORT=$(t_free_port)
DEAD_PORT=$(t_free_port)
"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recvfrom(4096)' "$HOLE_PORT" >/dev/null 2>&1 &
HOLE_PID=$!
t_track "$HOLE_PID"

write_conf() {	# write_conf ONDNSERROR SERVER
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
		ReturnPathCheck yes DNSServer "$2" DNSTimeout 2s OnDNSError "$1"
}
# mail SENDER...: MAIL FROM of each sender at once, one connection each;
# prints "SECONDS CODE TEXT" per sender (SECONDS: from MAIL FROM to its
# reply), then "all SECONDS" (the first connect to the last reply)
mail() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys, threading, time
sys.path.insert(0, sys.argv[1])
import milterclient as mc
out = {}
def one(i, sender):
    with mc.MilterClient(sys.argv[2]) as cl:
        cl.negotiate()
        cl.macros.update({"client_addr": "10.1.2.3"})
        cl.connect("client.example", "10.1.2.3")
        t0 = time.monotonic()
        r = cl.mail(sender)
    out[i] = "%.2f %s %s" % (time.monotonic() - t0, r.code, r.text)
t0 = time.monotonic()
ts = [threading.Thread(target=one, args=(i, s)) for i, s in enumerate(sys.argv[3:])]
for t in ts: t.start()
for t in ts: t.join()
for i in range(len(ts)): print(out.get(i, "none"))
print("all %.2f" % (time.monotonic() - t0))
PYEOF
}
threads() { awk '/^Threads:/ { print $2 }' "/proc/$RG_PID/status"; }

write_conf tempfail "127.0.0.1:$HOLE_PORT"
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
sleep 0.5
BASE=$(threads)

out=$(mail a@one.example b@two.example c@three.example d@four.example \
	e@five.example f@six.example)
echo "$out" | sed 's/^/# /'
t_is "$(printf '%s\n' "$out" | grep -c '^[0-9.]* y 451 4\.4\.3 repguard: DNS did not answer for [a-z]*\.example within 2 s')" 6 \
	"black hole: six senders at once each get 451 4.4.3 naming the 2 s timeout"
t_within "$out" 1.5 3.5
t_ok $? "black hole: each answer came after the 2 s timeout, within 3.5 s"
all=$(printf '%s\n' "$out" | sed -n 's/^all //p')
t_ok "$(awk -v a="$all" 'BEGIN { exit !(a < 6) }'; echo $?)" \
	"black hole: the six checks ran side by side ($all s in all)"

write_conf tempfail "127.0.0.1:$DEAD_PORT"
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
out=$(mail g@seven.example)
echo "$out" | sed 's/^/# /'
t_like "$(printf '%s\n' "$out" | head -n 1)" '^[0-9.]+ y 451 4\.4\.3 repguard: DNS did not answer for seven\.example' \
	"dead server: 451 4.4.3"
t_within "$out" 0 3
t_ok $? "dead server: answered within 3 s"

write_conf accept "127.0.0.1:$HOLE_PORT"
lines=$(wc -l <"$LOG")
kill -HUP "$RG_PID"
t_wait_for 5 sh -c "tail -n +$((lines + 1)) '$LOG' | grep -q 'configuration reloaded'"
out=$(mail h@eight.example)
echo "$out" | sed 's/^/# /'
t_like "$(printf '%s\n' "$out" | head -n 1)" '^[0-9.]+ c' "black hole, OnDNSError accept: accepted"
t_within "$out" 1.5 3.5
t_ok $? "black hole, OnDNSError accept: after the timeout, within 3.5 s"
t_wait_for 3 grep -q "DNS did not answer for eight.example within 2 s (OnDNSError accept)" "$LOG"
t_ok $? "... and logged"

sleep 0.5
t_ok "$([ "$(threads)" -le "$BASE" ]; echo $?)" \
	"no thread left behind ($(threads) threads, $BASE before the checks)"
start=$(date +%s%N)
rg_stop TERM
ms=$(( ($(date +%s%N) - start) / 1000000 ))
t_is "$RG_STATUS" 0 "repguard stops with status 0"
t_ok "$([ "$ms" -lt 3000 ]; echo $?)" "... within 3 s of SIGTERM ($ms ms)"
t_done
