#!/bin/bash
# t_churn.sh - connections dropped mid-message, aborts, broken packets and
# thousands of short connections leak nothing.
#
# repguard (signing, return-path rewriting, reputation) takes rounds of
# tests/fault/churn.py: 8 kinds of sessions an MTA or a broken peer makes
# (closed before negotiating, after connect, mid-body, aborts between and
# inside messages, whole messages closed without quit, an unreasonable
# packet length, half a packet, an unknown command), 8 at a time.  After a
# warm-up of 4,000, six rounds of 4,000 each.  After each,
# tests/lib/leakwatch.sh compares the daemon with what it was after the
# warm-up (its header has the bounds and why):
#   - open descriptors and threads are back to exactly what they were;
#   - the heap (repguard_heap_bytes, mallinfo2, from its metrics listener)
#     does not grow round after round: median growth under 64 KiB (16
#     octets a connection), all of rounds 2 to 6 under 1 MiB;
#   - anonymous resident memory (heap and stacks, not the database's
#     mapped pages) grew by less than 2 MiB over rounds 2 to 6;
#   - every whole message got a final reply, the daemon still signs a
#     message after all that, and stops cleanly.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"
. "$TOP_SRCDIR/tests/lib/metrics.sh"
. "$TOP_SRCDIR/tests/lib/leakwatch.sh"

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

churn() {	# churn LABEL: one round of 4,000 connections
	t_is "$("$PY" "$TOP_SRCDIR/tests/fault/churn.py" "$TOP_SRCDIR/tests/lib" "$SOCK" 4000 8)" \
		"done 4000 unexpected 0" "$1: 4,000 connections, every whole message answered"
}
lw_rounds 6 churn
kill -0 "$RG_PID" 2>/dev/null
t_ok $? "repguard is still running"

signed=$("$PY" "$TOP_SRCDIR/tests/lib/signone.py" "$SOCK")
t_is "$signed" True "after the churn a message is still signed"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"
t_done
