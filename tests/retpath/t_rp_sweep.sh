#!/bin/bash
# t_rp_sweep.sh - the record a return-path token names lives as long as the
# token (ReturnPathExpiry) and the running daemon purges it after that.
#
# An outbound message gets its token; its record names the sender
# (repguardctl parse-bounce shows it).  repguard is then restarted with its
# clock 15 days ahead (libfaketime; 14 days is the default expiry): its
# housekeeping, which runs at start and then every minute, removes the
# record and says so.  Back at the real date the token itself is still
# within its 14 days, but nothing ties it to a sender any more.  A daemon
# only 13 days ahead keeps the record.  6,000 more messages (tests/bench/
# mload) leave 6,000 more records, and the daemon 15 days ahead removes
# all 6,001 in its first housekeeping: the sweep goes on in chunks of
# 2,000 to the end of the records (a fixed 2,000 a minute fell behind any
# relay sending more than 33 messages a second).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

command -v mdb_stat >/dev/null || t_skip_all "needs mdb_stat (lmdb-utils)"
[ -x "$TOP_BUILDDIR/tests/bench/mload" ] || t_skip_all "tests/bench/mload not built"
FT=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT\.so\.1$' | head -n1)
[ -n "$FT" ] && [ -f "$FT" ] || t_skip_all "libfaketime not installed"
rg_milter_test
KEY=$T_TMP/rp.key
rp_key "$KEY"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$KEY" \
	BounceRules "$TOP_SRCDIR/contrib/bounce-rules"

# rg_start_at OFFSET: start repguard with its clock OFFSET ahead ("+15d")
rg_start_at() {
	LD_PRELOAD=$FT FAKETIME=$1 \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		rg_start "$CONF" "$LOG"
}

# sender_of: the sender parse-bounce finds for a DSN to the token
sender_of() {
	"$REPGUARDCTL" -c "$CONF" parse-bounce "$T_TMP/report.eml" |
		"$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["type"], d["token"] is not None, d["sender"] or "-")'
}

rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
RP=$("$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
msg = mc.Message.from_bytes(b"From: <alice@example.com>\r\nSubject: hi\r\n\r\nhi\r\n")
res = mc.run_session(sys.argv[2], msg, mc.Envelope(client_ip="10.1.2.3",
    sender="alice@example.com", rcpts=["nobody@example.org"]))
print("".join((m.name or b"").decode() for m in res.mods if m.code == "e").strip("<>"))
PYEOF
)
t_like "$RP" '^rp\+[0-9a-f]{46}@bounce\.example\.com$' "an outbound message left with a token"
report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/report.eml"
t_wait_for 3 sh -c "\"$REPGUARDCTL\" -c \"$CONF\" parse-bounce \"$T_TMP/report.eml\" | grep -q alice@example.com"
t_is "$(sender_of)" "dsn True alice@example.com" "the token's record names the sender"
printf 'From: <bulk@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: load\r\n\r\nhello\r\n' >"$T_TMP/msg.eml"
out=$("$TOP_BUILDDIR/tests/bench/mload" -s "$SOCK" -m "$T_TMP/msg.eml" -c 4 -n 1500 \
	-i 10.1.2.3 -F 50 -j 2>/dev/null)
t_like "$out" '"ok":6000,' "6,000 more messages, each leaving its record"
t_wait_for 10 sh -c "[ \"\$(mdb_stat -s returnpath '$T_TMP/db' 2>/dev/null | awk '/Entries:/ { print \$2 }')\" = 6001 ]"
t_ok $? "... 6,001 records in the database"
rg_stop

: >"$LOG"
rg_start_at +13d || { cat "$LOG"; echo "Bail out! repguard (13 days on) did not start"; exit 1; }
t_wait_for 5 grep -q "database housekeeping at start" "$LOG"
rg_stop
grep -q "database housekeeping at start: removed [0-9]* aged-out entries, 0 expired return-path record(s)" "$LOG"
t_ok $? "13 days on: housekeeping ran at start and removed no return-path record"
t_is "$(sender_of)" "dsn True alice@example.com" "... the record still names the sender"

: >"$LOG"
rg_start_at +15d || { cat "$LOG"; echo "Bail out! repguard (15 days on) did not start"; exit 1; }
t_wait_for 5 grep -q "database housekeeping at start: removed [0-9]* aged-out entries, 6001 expired return-path record(s)" "$LOG"
t_ok $? "15 days on: housekeeping at start removed all 6,001 expired records, not 2,000 of them"
rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
t_is "$(sender_of)" "dsn True -" "back at today's date the token is valid, but no record names a sender"
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOG" 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon log"
else t_fail "no sanitizer reports in the daemon log" "$san"; fi
t_done
