#!/bin/bash
# t_warmup.sh - the relay's warm-up schedule in the running daemon, on a
# simulated day 1 and day 5 (libfaketime sets its clock).
#
# WarmupStart 2026-11-20, WarmupSchedule "3 x2 cap 100": day 1 allows 3 bulk
# messages, day 5 48.  On each day exactly that many bulk messages go and the
# next gets 451 4.7.1 naming the warm-up day; transactional mail still goes
# (and is counted); repguardctl warmup shows the day, the limit and the use.
# Past the schedule there is no limit.
. "$TOP_SRCDIR/tests/lib/common.sh"

FT=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT\.so\.1$' | head -n1)
[ -n "$FT" ] && [ -f "$FT" ] || t_skip_all "libfaketime not installed"
rg_milter_test
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
	WarmupStart 2026-11-20 WarmupSchedule "3 x2 cap 100"

at() {	# at DATE CMD...: run CMD with the clock at DATE (then running on)
	_d=$1; shift
	LD_PRELOAD=$FT FAKETIME="@$_d" \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 "$@"
}

# burst N CLASS: send N messages (bulk or transactional) from distinct
# senders; prints the end-of-message actions, counted ("3 continue 1 tempfail")
burst() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$1" "$2" <<'PYEOF'
import collections, sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, n, cls = sys.argv[2], int(sys.argv[3]), sys.argv[4]
seen = collections.OrderedDict()
last = ""
for i in range(n):
    s = "s%d-%s@example.com" % (i, cls)
    raw = ("From: <%s>\r\nTo: <r@example.org>\r\nSubject: hi\r\n%s\r\nhi\r\n" %
           (s, "Precedence: bulk\r\n" if cls == "bulk" else "")).encode()
    res = mc.run_session(sock, mc.Message.from_bytes(raw),
                         mc.Envelope(client_ip="10.1.2.3", sender=s, rcpts=["r@example.org"]))
    seen[res.reply.action] = seen.get(res.reply.action, 0) + 1
    if res.reply.action != "continue":
        last = res.reply.text
print(" ".join("%d %s" % (v, k) for k, v in seen.items()) + "|" + last)
PYEOF
}

warmup() { at "$1" "$REPGUARDCTL" -c "$CONF" warmup "${@:2}"; }

# --- day 1 ---------------------------------------------------------------------------------
at "2026-11-20 12:00:00" rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
IFS='|' read -r counts text <<<"$(burst 4 bulk)"
t_is "$counts" "3 continue 1 tempfail" "day 1 (limit 3): three bulk messages go, the fourth is deferred"
t_like "$text" "^451 4\.7\.1 repguard: warm-up day 1: the relay's limit of 3 bulk messages today is reached, try again after 00:00 UTC$" \
	"... 451 4.7.1 naming the warm-up day and its limit"
IFS='|' read -r counts _ <<<"$(burst 2 transactional)"
t_is "$counts" "2 continue" "transactional mail goes on day 1 past the bulk limit"
sleep 1.3	# buckets go to the store once a second
t_like "$(warmup "2026-11-20 12:01:00" | tr "\n" " ")" "warm-up day 1 of 6 \(began 2026-11-20\).*today's limit: 3 messages; used 5, left 0, refused 1.*tomorrow: 6" \
	"repguardctl warmup: day 1 of 6, limit 3, 5 used (bulk and transactional), 1 refused, tomorrow 6"
rg_stop TERM

# --- day 5 ---------------------------------------------------------------------------------
at "2026-11-24 09:30:00" rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
IFS='|' read -r counts text <<<"$(burst 50 bulk)"
t_is "$counts" "48 continue 2 tempfail" "day 5 (limit 48): 48 bulk messages go, the rest are deferred"
t_like "$text" "warm-up day 5: the relay's limit of 48 bulk messages today" "... naming day 5"
sleep 1.3
t_is "$(warmup "2026-11-24 09:31:00" --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["day"], d["limit"], d["used"], d["left"], d["refused"], d["schedule"])')" \
	"5 48 48 0 2 [3, 6, 12, 24, 48, 96]" "repguardctl warmup --json: day 5, limit 48, all used, 2 refused, the schedule"
rg_stop TERM

# --- past the schedule -----------------------------------------------------------------------
at "2026-11-26 08:00:00" rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
IFS='|' read -r counts _ <<<"$(burst 5 bulk)"
t_is "$counts" "5 continue" "day 7, past the schedule: no warm-up limit"
t_like "$(warmup "2026-11-26 08:01:00")" "warm-up over: it began 2026-11-20 and ran 6 days" "repguardctl warmup: over"
rg_stop TERM
t_like "$(warmup "2026-11-19 08:00:00")" "warm-up begins 2026-11-20 \(day 1: 3 messages\)" "the day before: not begun"
t_done
