#!/bin/bash
# t_kill_e2e.sh - SIGKILL repguard under load, behind a real Postfix: no
# message is lost, the database opens cleanly every time.
#
# A private Postfix (tests/lib/postfix.sh) with repguard as its milter (DKIM
# signing, return-path rewriting, reputation counting) relays to smtp-sink;
# tests/lib/smtpload.py keeps four SMTP clients sending, one message per
# transaction, each with a unique X-Load-Id, and records how each ended.
# repguard is killed with SIGKILL three times under that load and started
# again on the same database; Postfix tempfails meanwhile
# (milter_default_action = tempfail).  Then:
#   - every restart: repguard opens the database and listens, and
#     repguardctl reads it;
#   - no client was refused (5xx): a crash only ever defers;
#   - every message Postfix accepted (250 after the final dot) reaches the
#     sink, exactly once, signed and with a rewritten return-path; nothing
#     the client was told to try again reaches it (that would be sent twice);
#   - the kills hit traffic (some messages were tempfailed);
#   - the database counted every accepted message but those of at most
#     one second of load per kill (CommitInterval 10 ms), and none twice.
# Needs root, postfix, smtp-sink, swaks and /usr/bin/python3 (else skipped).
# Runs in about 40 s.  KEEP_TMP=1 keeps $T_TMP.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

pf_require

e2e_init
KILLS=3
e2e_bed
ctl() { "$REPGUARDCTL" -c "$CONF" "$@"; }

load_start

for i in $(seq 1 "$KILLS"); do
	sleep 3
	rg_stop KILL
	t_is "$RG_STATUS" 137 "kill $i: repguard died of SIGKILL under load"
	sleep 1			# Postfix tempfails while it is down
	lines=$(wc -l <"$RGLOG")
	rg_start "$CONF" "$RGLOG" &&
		t_wait_for 10 sh -c "tail -n +$((lines + 1)) '$RGLOG' | grep -q 'listening on'"
	t_ok $? "restart $i: repguard opens the database and listens again"
	errs=$(tail -n +$((lines + 1)) "$RGLOG" | grep -Ei 'fatal|panic|corrupt|mdb_' )
	t_is "$errs" "" "restart $i: nothing wrong logged while opening the database"
	ctl senders --json >"$T_TMP/senders.$i" 2>&1
	t_ok $? "restart $i: repguardctl reads the database"
done
sleep 3
load_stop
t_ok $? "the load generator ran to its end"
echo "# load: $(cat "$T_TMP/load.summary")"

ACCEPTED=$(load_count accepted)
TEMPFAIL=$(load_count tempfail)
t_ok "$([ "$ACCEPTED" -gt 100 ]; echo $?)" "the load got $ACCEPTED messages accepted"
t_ok "$([ "$TEMPFAIL" -gt 0 ]; echo $?)" "the kills hit traffic: $TEMPFAIL messages tempfailed"
t_is "$(load_count refused)" 0 "no message was refused (5xx)"
grep '"refused"' "$LOAD_OUT" | head -n 3 | sed 's/^/# /'

# everything Postfix took is delivered once the queue drains
pf_drain
t_ok $? "Postfix's queue drains ($(pf_queue_count) left)"
sink_wait "$ACCEPTED" 30
load_check
t_like "$(grep '^missing' "$T_TMP/compare.out")" '^missing 0 *$' \
	"every accepted message reached the sink"
t_like "$(grep '^twice' "$T_TMP/compare.out")" '^twice 0 *$' "none reached it twice"
t_like "$(grep '^unasked' "$T_TMP/compare.out")" '^unasked 0 *$' \
	"no message the client must retry reached it"
t_is "$(grep '^signed' "$T_TMP/compare.out")" "signed $ACCEPTED of $ACCEPTED" \
	"every delivered message is DKIM-signed"
t_is "$(grep '^rewritten' "$T_TMP/compare.out")" "rewritten $ACCEPTED" \
	"every delivered message has a rewritten return-path"

# the counters: at most one second of load lost per kill, none counted twice
COUNTED=$(e2e_counted)
ATEOM=$(load_count tempfail eom)
SECS=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["seconds"])' "$T_TMP/load.summary")
ALLOW=$("$PY" -c "import math; print(math.ceil($ACCEPTED / $SECS * $KILLS))")
echo "# counted $COUNTED, accepted $ACCEPTED, tempfailed at the final dot $ATEOM, allowed loss $ALLOW"
t_ok "$([ "$COUNTED" -ge $((ACCEPTED - ALLOW)) ]; echo $?)" \
	"the database counted $COUNTED of $ACCEPTED accepted messages (at most $ALLOW lost in $KILLS kills)"
t_ok "$([ "$COUNTED" -le $((ACCEPTED + ATEOM)) ]; echo $?)" \
	"no message was counted twice ($COUNTED <= $ACCEPTED + $ATEOM tempfailed at the final dot)"

rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly after the last restart"
t_done
