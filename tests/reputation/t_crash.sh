#!/bin/bash
# t_crash.sh - SIGKILL repguard during sustained load, three times.
#
# tests/bench/mload keeps four connections busy (50 senders; -K: it
# reconnects while repguard is down).  Meanwhile state changes are made
# and repguard is killed right after each:
#   - an operator's pause (repguardctl pause);
#   - an automatic pause: a DSN taken in (repguardctl ingest) pauses a
#     sender through the reputation engine (MinimumVolume 1, MinimumEvents
#     1), in the same transaction as the bounce event.
# After each restart: the database opens cleanly and the daemon serves
# again; every state change made before a kill is still there.  At the
# end: the messages counted in the database against those mload saw
# accepted: at most one second of the accepted rate is lost per crash
# (CommitInterval 10 ms), and none counted twice.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

MLOAD=$TOP_BUILDDIR/tests/bench/mload
[ -x "$MLOAD" ] || t_skip_all "tests/bench/mload not built"
rg_milter_test
KEY=$T_TMP/rp.key
KILLS=3
rp_key "$KEY"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 10 Syslog no InternalHosts "127.0.0.0/8, 10.1.0.0/16" \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$KEY" \
	BounceRules "$TOP_SRCDIR/contrib/bounce-rules" \
	MinimumVolume 1 MinimumEvents 1
printf 'From: <bench@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: load\r\n\r\nhello\r\n' >"$T_TMP/msg.eml"

ctl() { "$REPGUARDCTL" -c "$CONF" "$@"; }
state() {
	ctl show "$1" --json 2>/dev/null |
		"$PY" -c 'import json, sys; print(json.load(sys.stdin)["state"])'
}
# token SENDER RCPT: a message through the milter; prints its return-path
token() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$1" "$2" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
msg = mc.Message.from_bytes(b"From: <%s>\r\nSubject: t\r\n\r\nt\r\n" % sys.argv[3].encode())
res = mc.run_session(sys.argv[2], msg, mc.Envelope(client_ip="10.1.2.3",
    sender=sys.argv[3], rcpts=[sys.argv[4]]))
print("".join((m.name or b"").decode() for m in res.mods if m.code == "e").strip("<>"))
PYEOF
}
restart() {
	rg_stop KILL
	RESTARTS=$((RESTARTS + 1))
	rg_start "$CONF" "$LOG" && t_wait_for 10 grep -q "listening on" "$LOG"
}

RESTARTS=0
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
"$MLOAD" -s "$SOCK" -m "$T_TMP/msg.eml" -c 4 -t 12 -K -F 50 -j \
	>"$T_TMP/mload.json" 2>"$T_TMP/mload.err" &
MLOAD_PID=$!
t_track "$MLOAD_PID"
sleep 1.5

for k in $(seq 1 "$KILLS"); do
	# an operator's pause, then a kill
	out=$(ctl pause "victim$k@example.com" --reason "crash test $k" 2>&1)
	t_is "$out" "paused victim$k@example.com until resumed" "kill $k: repguardctl pause victim$k@example.com"
	restart
	t_ok $? "kill $k (operator's pause): repguard restarts on the database"
	# an automatic pause through the engine, then a kill
	rp=$(token "auto$k@example.com" "gone$k@example.org" 2>"$T_TMP/token$k.err")
	[ -n "$rp" ] || { echo "# token: $(cat "$T_TMP/token$k.err")"; tail -n 5 "$LOG" | sed "s/^/# /"; }
	report_for "$rp" postfix-dsn-5.1.1.eml "$T_TMP/dsn$k.eml" "gone$k@example.org"
	sleep 0.05			# the token's record: next batch
	out=$(ctl ingest <"$T_TMP/dsn$k.eml")
	t_like "$out" "^ingest: sender auto$k@example\\.com: active -> paused: " \
		"kill $k: a DSN pauses auto$k@example.com through the engine ($out)"
	restart
	t_ok $? "kill $k (automatic pause): repguard restarts on the database"
	sleep 1.5
done
wait "$MLOAD_PID"
t_untrack "$MLOAD_PID"
sleep 0.1

grep -qE "database.*(damaged|corrupt|cannot open)|MDB_CORRUPTED" "$LOG"
t_ok $((! $?)) "no database error after $RESTARTS kills"
lost=""
for k in $(seq 1 "$KILLS"); do
	lost="$lost$(state "victim$k@example.com")/$(state "auto$k@example.com") "
done
t_is "$lost" "$(for k in $(seq 1 "$KILLS"); do printf 'paused/paused '; done)" \
	"every pause made before a kill survives it (operator's and the engine's)"
ctl senders --json >"$T_TMP/senders.json"
t_ok $? "repguardctl reads the database"
read -r acked rate counted <<<"$("$PY" - "$T_TMP/mload.json" "$T_TMP/senders.json" <<'PYEOF'
import json, sys
m = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
s = json.load(open(sys.argv[2]))
counted = sum(x["messages_24h"] for x in s if x["sender"].startswith("bench"))
print(m["ok"], m["msgs_per_s"], counted)
PYEOF
)"
echo "# mload: $acked messages accepted (${rate} msgs/s); counted: $counted; lost: $((acked - counted)) over $RESTARTS kills"
t_ok $(( counted <= acked ? 0 : 1 )) "no message counted that mload did not see accepted ($counted <= $acked)"
bound=$("$PY" -c "import math; print(math.ceil(float('$rate') * $RESTARTS))")
t_ok $(( acked - counted <= bound ? 0 : 1 )) \
	"counters lost to the kills: $((acked - counted)), within one second of traffic per kill ($bound)"
t_ok $(( acked > 0 ? 0 : 1 )) "mload got messages through ($acked)"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0 after the test"
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOG" 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon log"
else t_fail "no sanitizer reports in the daemon log" "$san"; fi
t_done
