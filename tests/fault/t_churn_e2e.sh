#!/bin/bash
# t_churn_e2e.sh - behind a real Postfix, SMTP sessions broken off in every
# way leak nothing in repguard and lose no mail.
#
# A private Postfix (tests/lib/postfix.sh) with repguard as its milter
# (DKIM signing, return-path rewriting, reputation counting) relays to
# smtp-sink.  tests/fault/smtpchurn.py opens SMTP sessions, 8 at a time,
# of 6 kinds: closed after the greeting, EHLO and QUIT, a message cut off
# half-way through its body (Postfix aborts it at the milter), RSET
# between messages, a whole message then a close without QUIT, a whole
# message then a second one cut off.  Each SMTP session is a milter
# connection, so Postfix opens, aborts and closes thousands of them.
# After a warm-up of 1,000 sessions, four rounds of 1,000; after each (once
# Postfix's smtpd processes have ended their sessions) the daemon's open
# descriptors and threads are read from /proc and its heap
# (repguard_heap_bytes) from its metrics listener:
#   - descriptors and threads are back to exactly what they were after the
#     warm-up;
#   - the heap does not grow round after round (median growth of rounds
#     2-4 under 64 KiB), nor its anonymous resident memory (under 2 MiB over
#     rounds 2-4) (under AddressSanitizer these two are left to its leak
#     checker at the daemon's exit);
#   - every whole message got 250, and every one of them reaches the sink
#     once, DKIM-signed; Postfix's log shows the cut-off sessions.
# Needs root, postfix, smtp-sink and /usr/bin/python3 (else skipped).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"
. "$TOP_SRCDIR/tests/lib/metrics.sh"

pf_require

t_tmpdir
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/repguard.sock
RGLOG=$T_TMP/repguard.log
IDS=$T_TMP/accepted.ids
PY=/usr/bin/python3
ROUND=1000

dkim_key "$T_TMP/dkim.pem"
rp_key "$T_TMP/rp.key"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 10 Syslog no \
	Domain example.com Selector s1 KeyFile "$T_TMP/dkim.pem" \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$T_TMP/rp.key" \
	MetricsListen "127.0.0.1:$(t_free_port)"
MPORT=$(sed -n 's/^MetricsListen 127.0.0.1://p' "$CONF")
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "the configuration is valid"

pf_setup
pf_bed "$CONF" "$RGLOG"

churn() {	# churn COUNT: one round; its output line
	"$PY" "$TOP_SRCDIR/tests/fault/smtpchurn.py" "$PF_PORT" "$1" 8 "$IDS"
}
fds() { find "/proc/$RG_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
threads() { awk '/^Threads:/ { print $2 }' "/proc/$RG_PID/status"; }
rss() { awk '/^RssAnon:/ { print $2 }' "/proc/$RG_PID/status"; }
heap() { metrics_value "$(metrics_scrape "$MPORT")" "int(m['repguard_heap_bytes'])"; }
# settle WANT: wait until the daemon's threads are down to WANT (Postfix's
# smtpd processes have closed their milter connections), then a moment
settle() {
	local i=0
	while [ "$(threads)" -gt "$1" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.5
}
BASE_THREADS=$(threads)

unexpected() { t_like "$1" "^done $ROUND accepted [0-9]+ unexpected 0$" "$2"; }
out=$(churn "$ROUND")
unexpected "$out" "warm-up: $ROUND sessions ($out)"
settle "$BASE_THREADS"
FD0=$(fds) TH0=$(threads) HEAP0=$(heap) hprev=$HEAP0 STEPS=
echo "# after the warm-up: $FD0 descriptors, $TH0 threads, $(rss) KiB resident (anonymous), heap $HEAP0 bytes"
for round in 1 2 3 4; do
	out=$(churn "$ROUND")
	unexpected "$out" "round $round: $ROUND sessions ($out)"
	settle "$TH0"
	fd=$(fds) th=$(threads) r=$(rss) h=$(heap)
	echo "# after round $round: $fd descriptors, $th threads, $r KiB resident (anonymous), heap $h bytes"
	t_is "$fd" "$FD0" "round $round: open descriptors back to $FD0"
	t_is "$th" "$TH0" "round $round: threads back to $TH0"
	[ "$round" -ge 2 ] && STEPS="$STEPS $(( (h - hprev) / 1024 ))"
	[ "$round" -eq 1 ] && RSS1=$r
	hprev=$h
done
HGROWTH=$(printf '%s\n' $STEPS | sort -n | sed -n 2p)	# median of three
GROWTH=$((r - RSS1))
if grep -q __asan_init "$REPGUARD" 2>/dev/null; then
	t_pass "heap: left to AddressSanitizer's leak checker (median growth $HGROWTH KiB)"
	t_pass "resident memory: left to AddressSanitizer's leak checker (grew by $GROWTH KiB)"
else
	t_ok "$([ "$HGROWTH" -lt 64 ]; echo $?)" \
		"the heap's median growth a round is $HGROWTH KiB (rounds 2-4:$STEPS KiB; less than 64)"
	t_ok "$([ "$GROWTH" -lt 2048 ]; echo $?)" \
		"resident memory grew by $GROWTH KiB over rounds 2-4 (less than 2,048)"
fi

# Postfix saw the clients go: cut off in DATA and after the greeting
t_ok "$([ "$(pf_log 'lost connection after DATA' | wc -l)" -gt 0 ] &&
	[ "$(pf_log 'lost connection after CONNECT' | wc -l)" -gt 0 ]; echo $?)" \
	"Postfix's log shows sessions cut off in DATA and after the greeting"

# every accepted message reaches the sink once, signed
ACCEPTED=$(wc -l <"$IDS")
pf_drain
t_ok $? "Postfix's queue drains ($(pf_queue_count) left)"
sink_wait "$ACCEPTED" 60
"$PY" - "$IDS" "$SINK_DIR" >"$T_TMP/compare.out" <<'PYEOF'
import os, re, sys
accepted = set(l.strip() for l in open(sys.argv[1]))
seen, signed = {}, 0
for f in os.listdir(sys.argv[2]):
    data = open(os.path.join(sys.argv[2], f), "rb").read()
    m = re.search(rb"^X-Churn-Id: (\S+)", data, re.M)
    if not m:
        continue
    i = m.group(1).decode()
    seen[i] = seen.get(i, 0) + 1
    signed += b"\nDKIM-Signature:" in data
print("missing", len(accepted - set(seen)))
print("twice", sum(1 for n in seen.values() if n > 1))
print("unasked", len(set(seen) - accepted))
print("signed", signed)
PYEOF
t_is "$(tr '\n' ' ' <"$T_TMP/compare.out")" "missing 0 twice 0 unasked 0 signed $ACCEPTED " \
	"all $ACCEPTED accepted messages reached the sink once, signed; nothing else did"

kill -0 "$RG_PID" 2>/dev/null
t_ok $? "repguard is still running"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"
t_done
