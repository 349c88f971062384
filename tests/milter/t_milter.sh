#!/bin/bash
# t_milter.sh - drive the real repguard through the milter protocol.
#
# Uses Debian's miltertest(8) with tests/milter/session.lua (one SMTP session
# per run, settings in RG_* environment variables) and checks the answers,
# then reads the counters back with "repguardctl show/senders --json".
#
# miltertest can only report the reply *code* of a milter answer before end
# of message (mt.getreply), not its text.  The text of the pause refusal is
# therefore read twice: from the daemon log, and from tests/milter/rawmilter.py,
# a small raw milter client that sends connect + MAIL and prints the reply.
#
# Needs: miltertest, /usr/bin/python3.  Runs as any user; no MTA needed.

: "${TOP_SRCDIR:?TOP_SRCDIR is not set (run through make check)}"
. "$TOP_SRCDIR/tests/lib/common.sh" || exit 1

MILTERTEST=${MILTERTEST:-/usr/bin/miltertest}
PY=/usr/bin/python3
LUA=$TOP_SRCDIR/tests/milter/session.lua
RAW=$TOP_SRCDIR/tests/milter/rawmilter.py
[ -x "$MILTERTEST" ] || t_skip_all "miltertest not installed"
[ -x "$PY" ] || t_skip_all "$PY not installed"

t_tmpdir
SOCK=$T_TMP/rg.sock
CONF=$T_TMP/repguard.conf
LOG=$T_TMP/repguard.log
INTERNAL="127.0.0.0/8, ::1, 10.1.0.0/16, 2001:db8:1::/48"

# write_conf SENDERKEY [SUPPRESSION]
write_conf() {
	rg_conf "$CONF" \
		Socket "unix:$SOCK" \
		UMask 000 \
		DatabasePath "$T_TMP/db" \
		CommitInterval 5 \
		Syslog no \
		InternalHosts "$INTERNAL" \
		SenderKey "$1" \
		Suppression "${2:-global}"
}

gone() { ! ps -o stat= -p "$1" 2>/dev/null | grep -qv Z; }
# stop_daemon: rg_stop (TERM), but never hang: KILL after 10 s (status 137).
stop_daemon() {
	kill -TERM "$RG_PID" 2>/dev/null
	if ! t_wait_for 10 gone "$RG_PID"; then
		echo "# repguard (pid $RG_PID) ignored SIGTERM for 10 s; killing it"
		kill -KILL "$RG_PID"
	fi
	rg_stop
}

# start_daemon SENDERKEY [SUPPRESSION]: (re)start repguard with that SenderKey,
# same database.
start_daemon() {
	[ -n "${RG_PID:-}" ] && stop_daemon
	rm -f "$SOCK"
	write_conf "$1" "${2:-global}"
	LOG=$T_TMP/repguard.$1.log
	if ! rg_start "$CONF" "$LOG" || ! t_wait_for 10 grep -q "listening on" "$LOG"; then
		echo "Bail out! repguard (SenderKey $1) did not start: $(tail -n 20 "$LOG")"
		exit 1
	fi
}

logtail() { printf 'daemon log (last lines):\n%s' "$(tail -n 8 "$LOG" 2>/dev/null)"; }

# mt_run VAR=VALUE...: one session; sets MT_OUT (its output) and MT_RC.
mt_run() {
	MT_OUT=$(env RG_SOCKET="unix:$SOCK" "$@" "$MILTERTEST" -s "$LUA" 2>&1)
	MT_RC=$?
	MT_ARGS="$*"
}

# reply MSG STEP: the replies to that step (several rcpt replies space-separated).
reply() {
	printf '%s\n' "$MT_OUT" | awk -v m="$1" -v s="$2" \
		'$1 == m && $2 == s { printf "%s%s", sep, $3; sep = " " }'
}

# expect MSG STEP WANT-ERE NAME: one TAP point on a reply of the last session.
expect() {
	_got=$(reply "$1" "$2")
	if [ "$MT_RC" -eq 0 ] && printf '%s\n' "$_got" | grep -Eqx -- "$3"; then
		t_pass "$4"
	else
		t_fail "$4" "message $1 $2 reply: '$_got', want: $3" \
			"session ($MT_ARGS), miltertest status $MT_RC:" "$MT_OUT" "$(logtail)"
	fi
}

# ctl ARGS...: run repguardctl; sets CTL_OUT (stdout), CTL_ERR, CTL_RC.
ctl() {
	CTL_OUT=$("$REPGUARDCTL" -c "$CONF" "$@" 2>"$T_TMP/ctl.err")
	CTL_RC=$?
	CTL_ERR=$(cat "$T_TMP/ctl.err")
}

# fields SENDER FIELD...: print the fields of "show SENDER --json", one line,
# space-separated (null as "null"); status 1 if show fails.
fields() {
	_s=$1; shift
	"$REPGUARDCTL" -c "$CONF" show "$_s" --json 2>/dev/null | "$PY" -c '
import json, sys
o = json.load(sys.stdin)
print(" ".join("null" if o.get(f) is None else str(o.get(f)) for f in sys.argv[1:]))
' "$@" 2>/dev/null
}

# counted SENDER MSGS RCPTS NAME: wait up to 5 s for the 1-hour counters.
counted() {
	_want="$2 $3"
	_i=0
	while [ $_i -lt 50 ]; do
		_got=$(fields "$1" messages_1h recipients_1h)
		[ "$_got" = "$_want" ] && { t_pass "$4"; return; }
		sleep 0.1; _i=$((_i + 1))
	done
	ctl show "$1" --json
	t_fail "$4" "sender $1 messages_1h recipients_1h: got '$_got', want '$_want'" \
		"show $1 --json (exit $CTL_RC): $CTL_OUT $CTL_ERR" "$(logtail)"
}

# unknown SENDER NAME: "show SENDER" must exit 1 (never counted).
unknown() {
	ctl show "$1" --json
	if [ "$CTL_RC" -eq 1 ]; then t_pass "$2"
	else t_fail "$2" "show $1: exit $CTL_RC, want 1 (no such sender)" "$CTL_OUT" "$CTL_ERR"; fi
}

# marker: send one internal message from a fresh sender and wait until it is
# counted, so that anything sent before it has been committed too.
MARK=0
marker() {
	MARK=$((MARK + 1))
	mt_run RG_IP=127.0.0.1 RG_FROM="<marker$MARK@example.com>"
	_i=0
	while [ $_i -lt 50 ]; do
		[ "$(fields "marker$MARK@example.com" messages_1h)" = 1 ] && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	echo "# marker$MARK@example.com was not counted within 5 s; the next check may race"
	return 1
}

# raw_mail IP AUTH MAILFROM: connect and MAIL through rawmilter.py; prints
# "REPLYCHAR TEXT" (e.g. "y 451 4.7.1 sender ...").
raw_mail() { "$PY" "$RAW" "$SOCK" "$@" 2>&1 | sed 's/^mail //'; }

start_daemon auth

# --- internal client -----------------------------------------------------------
mt_run RG_IP=10.1.2.3 RG_FROM="<alice@example.com>"
expect 0 connect noreply "internal client (10.1.2.3): connect goes on without a reply (SMFIP_NR_CONN)"
expect 1 mail c "internal client: MAIL FROM continues"
expect 1 eom "[ac]" "internal client: message accepted at end of message"
counted alice@example.com 1 1 "internal client: message and recipient counted for alice@example.com"
ctl senders --json
got=$(printf '%s' "$CTL_OUT" | "$PY" -c '
import json, sys
for o in json.load(sys.stdin):
    if o["sender"] == "alice@example.com":
        print(o["state"], o["messages_1h"], o["recipients_1h"], o["messages_24h"],
              o["recipients_24h"], o["first_seen"] is not None, o["last_seen"] is not None)
' 2>&1)
t_is "$got" "active 1 1 1 1 True True" \
	"senders --json lists alice@example.com: active, 1/1 in 1h and 24h, first/last seen set"

# --- the queue id in log lines ----------------------------------------------------
mt_run RG_IP=10.1.2.3 RG_FROM="<qid@example.com>" RG_QID=4XyZ12
expect 1 eom "[ac]" "message with queue id 4XyZ12 accepted"
counted qid@example.com 1 1 "message with queue id counted"
t_like "$(grep 'qid@example\.com' "$LOG")" "(^|[] :])4XyZ12: .*10\.1\.2\.3" \
	"log line about the message starts with the queue id and names the client address"

# --- external client without auth -------------------------------------------------
mt_run RG_IP=192.0.2.10 RG_FROM="<bob@example.net>"
expect 1 mail a "external client without auth: MAIL FROM answered accept"
marker
unknown bob@example.net "external client without auth: not counted (show exits 1)"
ctl senders --json
case $CTL_OUT in
*'"bob@example.net"'*) t_fail "external client: bob@example.net absent from senders --json" "$CTL_OUT" ;;
*) t_ok "$CTL_RC" "external client: bob@example.net absent from senders --json" ;;
esac
mt_run RG_IP=unspec RG_FROM="<bob2@example.net>"
expect 1 mail a "client of unknown address family without auth: accepted at MAIL FROM"

# --- external client with SMTP AUTH (SenderKey auth) --------------------------------
mt_run RG_IP=192.0.2.11 RG_AUTH=Carol RG_FROM="<carol.x@example.org>"
expect 1 mail c "external client with {auth_authen}: outbound, MAIL FROM continues"
expect 1 eom "[ac]" "external client with {auth_authen}: message accepted"
counted carol 1 1 "SenderKey auth: counted under the lower-cased login 'carol'"
unknown carol.x@example.org "SenderKey auth: not counted under the envelope sender"
mt_run RG_IP=unspec RG_AUTH=grace RG_FROM="<g@example.org>"
expect 1 mail c "client of unknown address family with auth: outbound"
counted grace 1 1 "client of unknown address family with auth: counted under 'grace'"

# --- recipients ------------------------------------------------------------------
mt_run RG_IP=127.0.0.1 RG_FROM="<rcpts@example.com>" \
	RG_RCPTS="<r1@example.net> <r2@example.net> <r3@example.net>"
expect 1 rcpt "c c c|skipped skipped skipped|noreply noreply noreply" "3 RCPT TO all continue"
counted rcpts@example.com 1 3 "3 recipients: messages +1, recipients +3"
mt_run RG_IP=127.0.0.1 RG_FROM="<rcpts@example.com>" RG_MSGS=2 \
	RG_RCPTS="<r1@example.net> <r2@example.net> <r3@example.net>"
expect 2 eom "[ac]" "two messages on one connection: second accepted"
counted rcpts@example.com 3 9 "two more messages of 3 recipients on one connection: 3 msgs, 9 rcpts"

# --- the null sender ----------------------------------------------------------------
mt_run RG_IP=127.0.0.1 RG_FROM="<>"
expect 1 mail c "null sender <> from an internal client: MAIL FROM continues"
expect 1 eom "[ac]" "null sender: message accepted"
counted "<>" 1 1 "null sender counted under the key <>"
t_is "$(fields '<>' sender)" "<>" "show '<>' --json names the sender <>"

# --- IPv6 ----------------------------------------------------------------------------
mt_run RG_IP=::1 RG_FROM="<v6local@example.com>"
expect 1 mail c "IPv6 ::1 is internal: MAIL FROM continues"
counted v6local@example.com 1 1 "IPv6 ::1 client counted"
mt_run RG_IP=2001:db8:1:2::25 RG_FROM="<v6net@example.com>"
expect 1 mail c "IPv6 2001:db8:1:2::25 inside 2001:db8:1::/48 is internal"
counted v6net@example.com 1 1 "IPv6 client in a v6 CIDR counted"
mt_run RG_IP=2001:db8:2::1 RG_FROM="<v6ext@example.com>"
expect 1 mail a "IPv6 2001:db8:2::1 outside InternalHosts is external (accept)"
mt_run RG_IP=10.2.0.1 RG_FROM="<v4ext@example.com>"
expect 1 mail a "10.2.0.1 just outside 10.1.0.0/16 is external (accept)"
marker
unknown v6ext@example.com "external IPv6 client not counted"

# --- paused sender ----------------------------------------------------------------------
ctl pause Mallory@Example.COM --reason "spam run 42"
t_is "$CTL_RC:$CTL_OUT" "0:paused mallory@example.com until resumed" \
	"repguardctl pause Mallory@Example.COM --reason: canonical key, until resumed"
t_is "$(fields mallory@example.com state reason paused_until)" "paused spam run 42 null" \
	"show --json: state paused, reason, paused_until null"
cp "$LOG" "$T_TMP/before-pause.log"
mt_run RG_IP=10.1.2.3 RG_FROM="<mallory@example.com>"
expect 1 mail y "paused sender: MAIL FROM gets SMFIR_REPLYCODE"
SINCE=' \(since [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\)'
want="451 4\\.7\\.1 sender mallory@example\\.com is paused until resumed$SINCE: spam run 42"
t_like "$(raw_mail 10.1.2.3 '' '<mallory@example.com>')" "^y $want\$" \
	"paused sender: reply text (raw milter client; miltertest cannot read it)"
sleep 0.2
newlog=$(diff "$T_TMP/before-pause.log" "$LOG" | sed -n 's/^> //p')
t_like "$newlog" "c[0-9]+: .*mallory@example\\.com.*paused|c[0-9]+: .*paused.*mallory@example\\.com" \
	"paused sender: log line with connection id names the key and the pause"
t_like "$newlog" "spam run 42" "paused sender: log line gives the reason"
for v in "<Mallory@Example.COM>" '<"mallory"@example.com>' '<"Mallory"@EXAMPLE.com>'; do
	mt_run RG_IP=10.1.2.3 RG_FROM="$v"
	expect 1 mail y "paused sender variant $v refused"
done
t_like "$(raw_mail 10.1.2.3 '' '<"Mallory"@Example.Com>')" "^y $want\$" \
	"quoted/cased variant: reply names the canonical key"
mt_run RG_IP=10.1.2.3 RG_FROM="<mallory@example.com> <notpaused@example.com>"
expect 2 eom "[ac]" "after a refused MAIL FROM, the next message on the connection goes through"
mt_run RG_IP=192.0.2.12 RG_FROM="<mallory@example.com>"
expect 1 mail a "paused address from an external client without auth (inbound): accepted"
ctl pause FRANK --reason "stolen password"
mt_run RG_IP=192.0.2.13 RG_AUTH=Frank RG_FROM="<someone@example.org>"
expect 1 mail y "paused login FRANK: auth 'Frank' refused at MAIL FROM"
t_like "$(raw_mail 192.0.2.13 frank '<x@example.org>')" \
	"^y 451 4\\.7\\.1 sender frank is paused until resumed$SINCE: stolen password\$" \
	"paused login: reply text names 'frank' and the reason"
ctl pause plain@example.com
t_like "$(raw_mail 10.1.2.3 '' '<plain@example.com>')" \
	"^y 451 4\\.7\\.1 sender plain@example\\.com is paused until resumed$SINCE: paused by operator\$" \
	"pause without --reason: default reason 'paused by operator'"

# --- resume ---------------------------------------------------------------------------
ctl resume mallory@example.com
t_is "$CTL_RC:$CTL_OUT" "0:resumed mallory@example.com" "repguardctl resume prints 'resumed KEY'"
mt_run RG_IP=10.1.2.3 RG_FROM="<Mallory@Example.COM>"
expect 1 mail c "resumed sender: MAIL FROM continues again"
expect 1 eom "[ac]" "resumed sender: message accepted"
counted mallory@example.com 1 1 "resumed sender: its message is counted"
t_is "$(fields mallory@example.com state)" "active" "resumed sender: state active"
ctl resume mallory@example.com
t_is "$CTL_RC:$CTL_OUT" "0:mallory@example.com was not paused" "resume twice: 'was not paused', exit 0"

# --- a pause that expires ------------------------------------------------------------
ctl pause trent@example.com --for 2s --reason short
t_like "$CTL_RC:$CTL_OUT" "^0:paused trent@example\\.com until [^r]" "pause --for 2s prints an end time"
until=$(fields trent@example.com paused_until)
now=$(date +%s)
if [ "$until" != null ] && [ "$until" -ge $((now + 1)) ] && [ "$until" -le $((now + 3)) ]; then
	t_pass "pause --for 2s: paused_until is now + 2 s"
else
	t_fail "pause --for 2s: paused_until is now + 2 s" "paused_until $until, now $now"
fi
mt_run RG_IP=10.1.2.3 RG_FROM="<trent@example.com>"
expect 1 mail y "timed pause: refused while in force"
stamp=$(date -u -d "@${until:-0}" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)
t_like "$(raw_mail 10.1.2.3 '' '<trent@example.com>')" \
	"^y 451 4\\.7\\.1 sender trent@example\\.com is paused until $stamp$SINCE: short\$" \
	"timed pause: reply gives the end time in UTC"
trent_ok() {
	mt_run RG_IP=10.1.2.3 RG_FROM="<trent@example.com>"
	[ "$(reply 1 mail)" = c ]
}
if t_wait_for 6 trent_ok; then
	t_pass "timed pause: expires by itself (MAIL FROM continues after 2 s)"
else
	t_fail "timed pause: expires by itself (MAIL FROM continues after 2 s)" "$MT_OUT" "$(logtail)"
fi
t_is "$(fields trent@example.com state)" "active" "expired pause: show reports state active"

# --- malformed envelope senders: OnError tempfail, never a crash -------------------
for v in "<foo@example.com" "<a@b@example.com>" "<\"unterminated@example.com>" "< >"; do
	t_is "$(raw_mail 10.1.2.3 '' "$v" | cut -c1-200)" \
		"y 451 4.3.0 repguard: temporary failure, try again later" \
		"malformed sender $(printf '%s' "$v" | cut -c1-30) from an internal client: 451 4.3.0 (OnError tempfail)"
done
# Postfix accepts local parts longer than RFC 5321's 64 octets (VERP and SRS
# addresses need them): up to ADDR_LOCAL_MAX (256) they are keys like any
# other; beyond it the address gets OnError, and nothing crashes or hangs.
long=$(printf '%0200d' 0)
t_is "$(raw_mail 10.1.2.3 '' "<$long@example.com>" --rcpt "<to@example.net>" | tr '\n' ' ')" "c eom c " \
	"200-octet local part from an internal client: accepted"
counted "$long@example.com" 1 1 "200-octet local part: counted under its full address"
long=$(printf '%0300d' 0)
t_is "$(raw_mail 10.1.2.3 '' "<$long@example.com>")" \
	"y 451 4.3.0 repguard: temporary failure, try again later" \
	"300-octet local part from an internal client: OnError tempfail"
if kill -0 "$RG_PID" 2>/dev/null; then t_pass "daemon still runs after the malformed senders"
else t_fail "daemon still runs after the malformed senders" "$(logtail)"; fi
mt_run RG_IP=192.0.2.30 RG_AUTH=henry RG_FROM="<foo@bar"
expect 1 mail c "SenderKey auth: malformed envelope from an authenticated client is keyed by the login"
counted henry 1 1 "SenderKey auth: that message counted under 'henry'"

# --- SenderKey envelope ----------------------------------------------------------------
start_daemon envelope
mt_run RG_IP=192.0.2.20 RG_AUTH=dave RG_FROM="<Dave.Smith@Example.ORG>"
expect 1 mail c "SenderKey envelope: authenticated client is outbound"
counted dave.smith@example.org 1 1 "SenderKey envelope: counted under the canonical envelope address"
unknown dave "SenderKey envelope: not counted under the login"
mt_run RG_IP=10.1.9.9 RG_FROM='<"dave.smith"@example.org>'
counted dave.smith@example.org 2 2 "SenderKey envelope: quoted variant counted under the same key"

# --- SenderKey envelope-domain -----------------------------------------------------------
start_daemon envelope-domain
mt_run RG_IP=192.0.2.21 RG_AUTH=erin RG_FROM="<erin@Sub.Example.ORG>"
expect 1 mail c "SenderKey envelope-domain: authenticated client is outbound"
mt_run RG_IP=10.1.2.3 RG_FROM="<frida@sub.example.org>" RG_RCPTS="<a@example.net> <b@example.net>"
counted sub.example.org 2 3 "SenderKey envelope-domain: two senders of one domain counted under it"
unknown erin "SenderKey envelope-domain: not counted under the login"
ctl pause spam.example --reason "domain pause"
mt_run RG_IP=10.1.2.3 RG_FROM="<Bob@SPAM.example>"
expect 1 mail y "SenderKey envelope-domain: paused domain refuses its addresses"

# --- no-reply stages ------------------------------------------------------------------
# Stages that never refuse are negotiated as SMFIP_NR_* (the MTA then streams
# them without waiting); MAIL and end of message keep their replies, and RCPT
# too while the suppression list may refuse a recipient (Suppression is not
# off).  An MTA that offers no NR bits still gets a reply for every stage
# (libmilter fakes them) and the message still goes through and is counted.
nr_check() {	# nr_check all|none|all-rcpt
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$1" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, how = sys.argv[2], sys.argv[3]
NR = (mc.SMFIP_NR_CONN | mc.SMFIP_NR_HDR | mc.SMFIP_NR_EOH | mc.SMFIP_NR_BODY |
      (mc.SMFIP_NR_RCPT if how == "all-rcpt" else 0))
how = "all" if how == "all-rcpt" else how
ALL_NR = NR | mc.SMFIP_NR_HELO | mc.SMFIP_NR_MAIL | mc.SMFIP_NR_DATA | mc.SMFIP_NR_UNKN
offer = mc.ALL_PROTOCOL if how == "all" else mc.ALL_PROTOCOL & ~ALL_NR
msg = mc.Message.from_bytes(b"From: <nr-%s@example.com>\r\nSubject: nr\r\n\r\nbody\r\n" % how.encode())
res = mc.run_session(sock, msg, mc.Envelope(client_ip="10.1.2.3",
    sender="nr-%s@example.com" % how, rcpts=["a@example.net", "b@example.net"]),
    protocol=offer)
p = res.neg.protocol
got = " ".join("%s=%s" % (r.stage, r.action) for r in res.replies)
print("protocol=0x%x replies: %s" % (p, got))
if how == "all":
    ok = (p & ALL_NR) == NR and not (p & (mc.SMFIP_NR_MAIL))
    ok = ok and all(r.action == "noreply" for r in res.replies
                    if r.stage in ("connect", "header", "eoh", "body") or
                    (r.stage == "rcpt" and NR & mc.SMFIP_NR_RCPT))
    ok = ok and all(r.action == "continue" for r in res.replies
                    if r.stage == "rcpt" and not NR & mc.SMFIP_NR_RCPT)
    ok = ok and any(r.stage == "header" for r in res.replies)
else:
    ok = (p & ALL_NR) == 0 and all(r.action != "noreply" for r in res.replies)
    ok = ok and any(r.stage == "body" for r in res.replies)
ok = ok and res.reply.stage == "eom" and res.reply.action == "continue"
sys.exit(0 if ok else 1)
PYEOF
}
start_daemon auth
out=$(nr_check all 2>&1)
t_ok $? "MTA offering no-reply: connect, headers, EOH, body negotiated NR; MAIL, RCPT (suppression list) and EOM answered ($out)"
out=$(nr_check none 2>&1)
t_ok $? "MTA without no-reply: every stage answered, message accepted ($out)"
counted nr-none@example.com 1 2 "MTA without no-reply: message counted"
start_daemon auth off
out=$(nr_check all-rcpt 2>&1)
t_ok $? "with Suppression off RCPT is no-reply too ($out)"

stop_daemon
t_is "$RG_STATUS" 0 "daemon stops with status 0 after the tests"
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$T_TMP"/*.log "$T_TMP"/*.out 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon logs"
else t_fail "no sanitizer reports in the daemon logs" "$san"; fi
t_done
