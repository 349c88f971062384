#!/bin/bash
# t_e2e.sh - repguard end to end: a private Postfix (tests/lib/postfix.sh) with
# repguard as its milter relays to smtp-sink; swaks submits mail and poses, by
# XCLIENT, as an internal client (10.1.2.3), an authenticated one (LOGIN alice
# from 192.0.2.9) or an external one (192.0.2.9).  Checks, one TAP point each:
#   (a) internal mail is delivered intact and counted per sender (also with
#       three recipients);  (b) authenticated mail is counted under the login;
#   (c) external unauthenticated mail passes and is not counted;
#   (d) a paused sender gets 451 4.7.1 naming sender and reason, nothing is
#       delivered for it, others still flow;  (e) resume lets it send again;
#   (f) with repguard killed, Postfix tempfails (milter_default_action) and
#       delivers nothing; after a restart on the same database mail flows and
#       the counters are still there.
# Needs root, postfix, smtp-sink, swaks and /usr/bin/python3 (else skipped).
# Runs in about 15 s.  KEEP_TMP=1 keeps $T_TMP (logs, transcripts, dumps).

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"

pf_require

t_tmpdir
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/repguard.sock
RGLOG=$T_TMP/repguard.log
INTERNAL=10.1.2.3
EXTERNAL=192.0.2.9

ctl() { "$REPGUARDCTL" -c "$CONF" "$@"; }

# json_get ARGS...: run "repguardctl ARGS" and print what the python code in
# $PY makes of its JSON (as "data"; $ARG is sys.argv[3]).  Only stdout is
# parsed; stderr is shown when it does not parse.
json_get() {
	_out=$(ctl "$@" 2>"$T_TMP/ctl.err")
	printf '%s' "$_out" | /usr/bin/python3 -c '
import json, sys
text = sys.stdin.read()
try:
    data = json.loads(text)
except ValueError as e:
    print("bad JSON (%s): %r, stderr: %r" % (e, text[:300], open(sys.argv[1]).read()[:300]))
    sys.exit(0)
exec(sys.argv[2])
' "$T_TMP/ctl.err" "$PY" "$ARG"
}

# sender_counts KEY: "MSGS_1H RCPTS_1H" of KEY from `senders --json`,
# "absent" if it is not listed.
sender_counts() {
	PY='
for s in data:
    if s.get("sender") == sys.argv[3]:
        print(s.get("messages_1h"), s.get("recipients_1h")); break
else:
    print("absent")'
	ARG=$1 json_get senders --json
}

# sender_field KEY FIELD: one field of `show KEY --json`
sender_field() {
	PY='print(data.get(sys.argv[3]))' ARG=$2 json_get show "$1" --json
}

counts_are() { [ "$(sender_counts "$1")" = "$2" ]; }

# check_counts KEY "M R" NAME: counters are flushed every CommitInterval ms: poll.
check_counts() {
	t_wait_for 5 counts_are "$1" "$2"
	t_is "$(sender_counts "$1")" "$2" "$3"
}

# mkmsg ID FROM TO: a message with awkward but legal content: a folded header,
# a line that starts with a dot, trailing blanks, a long line, an empty line.
mkmsg() {
	_f=$T_TMP/msg.$1
	{
		printf 'From: <%s>\n' "$2"
		printf 'To: <%s>\n' "$3"
		printf 'Subject: repguard e2e %s\n' "$1"
		printf 'Message-ID: <%s.e2e@repguard.test>\n' "$1"
		printf 'X-Test-Id: %s\n' "$1"
		printf 'X-Folded: first part\n\tsecond part\n'
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=us-ascii\n'
		printf '\n'
		printf 'Hello from %s, message %s.\n' "$2" "$1"
		printf '.a line that starts with a dot\n'
		printf 'trailing blanks   \n'
		printf '\n'
		printf 'x%.0s' $(seq 1 900); printf '\n'
		printf -- '-- \nthe end\n'
	} >"$_f"
	printf '%s' "$_f"
}

# send ID FROM TO [pf_send options]: submit message ID; the status is swaks'.
send() {
	_id=$1 _from=$2 _to=$3; shift 3
	pf_send --name "$_id" "$@" --from "$_from" --to "$_to" \
	    --data "@$(mkmsg "$_id" "$_from" "${_to%%,*}")"
}

# intact ID: the sink's dump of message ID keeps every header line sent, in
# order, and the body byte for byte (line ends aside).
intact() {
	_dump=$(sink_grep "^X-Test-Id: $1\$" | head -n 1)
	[ -n "$_dump" ] || { echo "no dump for $1"; return 1; }
	msg_intact "$T_TMP/msg.$1" "$_dump"
}

# delivered ID: exactly one dump carries message ID
delivered() { [ "$(sink_grep "^X-Test-Id: $1\$" | wc -l)" -eq 1 ]; }


transcript() { sed -n '/^ *\(->\|<-\|<\*\*\) *\(MAIL\|RCPT\|DATA\|[2-5][0-9][0-9]\)/p' "$PF_TRANSCRIPT"; }

started=$(date +%s)

# --- set up ------------------------------------------------------------------
rg_conf "$CONF" \
	Socket "unix:$SOCK" \
	UMask 000 \
	DatabasePath "$T_TMP/db" \
	InternalHosts 10.1.0.0/16 \
	CommitInterval 10 \
	Syslog no
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "repguard -n accepts the test configuration"

pf_setup
pf_bed "$CONF" "$RGLOG"

# --- (a) internal mail is delivered intact and counted ---------------------
send a1 alice@example.com r1@example.org --addr "$INTERNAL"
t_ok $? "(a) internal mail from alice@example.com accepted"
send a2 alice@example.com r2@example.org --addr "$INTERNAL"
t_ok $? "(a) second internal mail from alice@example.com accepted"
send b1 bob@example.com r1@example.org,r2@example.org,r3@example.net --addr "$INTERNAL"
t_ok $? "(a) internal mail from bob@example.com to 3 recipients accepted"
sink_wait 3
t_is "$(sink_count)" 3 "(a) the sink received the 3 messages"
out=$(intact a1)
t_ok $? "(a) alice's message arrived with headers and body intact${out:+: $out}"
out=$(intact b1)
t_ok $? "(a) bob's message arrived with headers and body intact${out:+: $out}"
b1dump=$(sink_grep '^X-Test-Id: b1$' | head -n 1)
t_is "$(grep -c '^X-Rcpt-Args:' "${b1dump:-/dev/null}")" 3 \
	"(a) bob's message reached the sink for all 3 recipients"
check_counts alice@example.com "2 2" "(a) alice@example.com counted: 2 messages, 2 recipients in the last hour"
check_counts bob@example.com "1 3" "(a) bob@example.com counted: 1 message, 3 recipients"

# --- (b) authenticated mail is counted under the login ----------------------
send l1 carol@example.org r4@example.org --addr "$EXTERNAL" --login alice
rc=$?
sink_wait 4
delivered l1
t_ok $((rc + $?)) "(b) XCLIENT LOGIN=alice from $EXTERNAL accepted and delivered"
check_counts alice "1 1" "(b) authenticated mail counted under the login \"alice\""
t_is "$(sender_counts carol@example.org)" absent \
	"(b) the envelope sender carol@example.org of authenticated mail is not a key"

# --- (c) external unauthenticated mail passes, uncounted --------------------
send x1 dave@example.net r5@example.org --addr "$EXTERNAL"
rc=$?
sink_wait 5
delivered x1
t_ok $((rc + $?)) "(c) external mail from $EXTERNAL accepted and delivered"
out=$(intact x1)
t_ok $? "(c) external mail left untouched${out:+: $out}"
sleep 0.3	# well past CommitInterval: anything counted would show by now
t_is "$(sender_counts dave@example.net)" absent "(c) external unauthenticated mail is not counted"

# --- (d) pause ----------------------------------------------------------------
out=$(ctl pause alice@example.com --reason "test pause" 2>&1)
t_is "$out" "paused alice@example.com until resumed" "(d) repguardctl pause alice@example.com"
t_is "$(sender_field alice@example.com state)/$(sender_field alice@example.com reason)" \
	"paused/test pause" "(d) show --json: alice@example.com is paused, reason \"test pause\""
n=$(sink_count)
send p1 alice@example.com r1@example.org --addr "$INTERNAL"
rc=$?
reply=$(pf_reply MAIL)
if [ "$rc" -eq 23 ] && printf '%s\n' "$reply" |
    grep -Eq '^451[ -]4\.7\.1 .*alice@example\.com.*test pause'; then
	t_pass "(d) paused sender gets at MAIL FROM: $reply"
else
	t_fail "(d) paused sender gets 451 4.7.1 naming sender and reason at MAIL FROM" \
	    "swaks exit $rc (want 23)" "$(transcript)"
fi
send p2 'ALICE@Example.COM' r1@example.org --addr "$INTERNAL"
rc=$?
t_like "$rc:$(pf_reply MAIL)" '^23:451[ -]4\.7\.1 ' \
	"(d) the pause holds for ALICE@Example.COM too (keys are canonical)"
send b2 bob@example.com r1@example.org --addr "$INTERNAL"
rc=$?
sink_wait $((n + 1))
delivered b2
t_ok $((rc + $?)) "(d) bob@example.com still flows while alice@example.com is paused"
sink_quiet $((n + 1)) 0.5
rc=$?
sink_grep '^X-Test-Id: p[12]$' >/dev/null && rc=1
t_ok $((rc + $(pf_queue_count))) "(d) nothing was delivered or queued for the paused sender"

# --- (e) resume ----------------------------------------------------------------
out=$(ctl resume alice@example.com 2>&1)
t_is "$out" "resumed alice@example.com" "(e) repguardctl resume alice@example.com"
n=$(sink_count)
send a3 alice@example.com r1@example.org --addr "$INTERNAL"
rc=$?
sink_wait $((n + 1))
delivered a3
t_ok $((rc + $?)) "(e) alice@example.com delivers again after resume"
check_counts alice@example.com "3 3" "(e) alice@example.com counted: 3 messages (paused attempts not counted)"
check_counts bob@example.com "2 4" "(e) bob@example.com counted: 2 messages, 4 recipients"

# --- (f) repguard killed: tempfail; restart: counters survive ---------------
rg_stop KILL
t_is "$RG_STATUS" 137 "(f) repguard killed with SIGKILL"
n=$(sink_count)
send k1 bob@example.com r1@example.org --addr "$INTERNAL"
rc=$?
reply=$(pf_reply)
if [ "$rc" -ne 0 ] && printf '%s\n' "$reply" | grep -Eq '^4[0-9][0-9]'; then
	t_pass "(f) with repguard down Postfix tempfails: $reply"
else
	t_fail "(f) with repguard down Postfix answers 4xx" "swaks exit $rc" "$(transcript)"
fi
sink_quiet "$n" 1
rc=$?
t_ok $((rc + $(pf_queue_count))) "(f) nothing reached the sink or the queue while repguard was down"
rg_start "$CONF" "$RGLOG" && sleep 0.2 && kill -0 "$RG_PID"
t_ok $? "(f) repguard restarted on the same database (stale socket replaced)"
send k2 bob@example.com r1@example.org --addr "$INTERNAL"
rc=$?
sink_wait $((n + 1))
delivered k2
t_ok $((rc + $?)) "(f) delivery resumes after the restart"
check_counts bob@example.com "3 5" "(f) bob@example.com's counters survived the restart (+1 message)"
check_counts alice@example.com "3 3" "(f) alice@example.com's counters survived the restart"
t_is "$(sender_field alice@example.com state)" active "(f) alice@example.com is still active after the restart"

# --- log lines carry Postfix's queue id -------------------------------------
# Every message repguard counted was logged under the queue id Postfix gave
# it (Postfix's own log has "QUEUEID: ... from=<sender>" for the same id).
qids=$(sed -n 's/^repguard\[[0-9]*\]: \([0-9A-F]\{6,\}\): outbound .*/\1/p' "$RGLOG")
n_qids=$(printf '%s\n' $qids | grep -c .)
unknown=""
for q in $qids; do
	grep -q "postfix/[a-z]*\[[0-9]*\]: $q: " "$T_TMP/postfix.log" || unknown="$unknown $q"
done
t_ok "$([ "$n_qids" -ge 6 ] && [ -z "$unknown" ]; echo $?)" \
	"repguard logged $n_qids outbound messages under Postfix queue ids${unknown:+ (not in the Postfix log:$unknown)}"
t_like "$(grep 'paused until' "$RGLOG" | head -n1)" "^repguard\[[0-9]+\]: c[0-9]+: client=$INTERNAL sender=alice@example.com" \
	"before Postfix has a queue id (MAIL FROM) the log line carries the connection id"

# --- end -------------------------------------------------------------------
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard exits 0 on SIGTERM"
bad=$(grep -Ei 'panic|fatal|sanitizer|runtime error' "$RGLOG")
t_is "$bad" "" "repguard logged no panic, fatal or sanitizer error"
pf_stop
sink_stop
echo "# took $(($(date +%s) - started)) s"
t_done
