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
# After a warm-up of 600 sessions, four rounds of 600; after each (once
# Postfix's smtpd processes have ended their sessions) tests/lib/leakwatch.sh
# compares the daemon with what it was after the warm-up:
#   - descriptors and threads are back to exactly what they were;
#   - the heap does not grow round after round (median growth of rounds
#     2-4 under 64 KiB), nor its anonymous resident memory (under 2 MiB over
#     rounds 2-4) (under AddressSanitizer these two are left to its leak
#     checker at the daemon's exit);
#   - every whole message got 250, and every one of them reaches the sink
#     once, DKIM-signed and with a rewritten return-path; Postfix's log
#     shows the cut-off sessions.
# Needs root, postfix, smtp-sink and /usr/bin/python3 (else skipped).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"
. "$TOP_SRCDIR/tests/lib/metrics.sh"
. "$TOP_SRCDIR/tests/lib/leakwatch.sh"

pf_require

e2e_init
IDS=$T_TMP/accepted.ids
ROUND=600
MPORT=$(t_free_port)
e2e_bed MetricsListen "127.0.0.1:$MPORT"

churn() {	# churn LABEL: one round of $ROUND SMTP sessions
	local out
	out=$("$PY" "$TOP_SRCDIR/tests/fault/smtpchurn.py" "$PF_PORT" "$ROUND" 8 "$IDS")
	t_like "$out" "^done $ROUND accepted [0-9]+ unexpected 0$" "$1: $ROUND sessions ($out)"
}
lw_rounds 4 churn

# Postfix saw the clients go: cut off in DATA and after the greeting
t_ok "$([ "$(pf_log 'lost connection after DATA' | wc -l)" -gt 0 ] &&
	[ "$(pf_log 'lost connection after CONNECT' | wc -l)" -gt 0 ]; echo $?)" \
	"Postfix's log shows sessions cut off in DATA and after the greeting"

# every accepted message reaches the sink once, signed and rewritten
ACCEPTED=$(wc -l <"$IDS")
pf_drain
t_ok $? "Postfix's queue drains ($(pf_queue_count) left)"
sink_wait "$ACCEPTED" 60
"$PY" "$TOP_SRCDIR/tests/lib/loadcheck.py" "$IDS" "$SINK_DIR" X-Churn-Id >"$T_TMP/compare.out"
t_is "$(tr '\n' ' ' <"$T_TMP/compare.out")" \
	"missing 0  twice 0  unasked 0  signed $ACCEPTED of $ACCEPTED rewritten $ACCEPTED " \
	"all $ACCEPTED accepted messages reached the sink once, signed and rewritten; nothing else did"

kill -0 "$RG_PID" 2>/dev/null
t_ok $? "repguard is still running"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"
t_done
