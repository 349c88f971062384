#!/bin/bash
# t_bounce_intake.sh - reports that come back to the return-path domain,
# through the milter protocol (tests/lib/milterclient.py as the MTA).
#
# An outbound message gets its token; then, from an outside client:
#   - a Postfix DSN to that token is read at end of message, tied to the
#     sender and original sender through the token's record, recorded as
#     "hard" for nobody@example.org and dropped (BounceForward no);
#   - the same DSN again is recognised and not counted twice;
#   - a forged token, an altered one, an expired one (made here with the key)
#     and one under another prefix are refused at RCPT with 550 5.1.1, before
#     any data (no backscatter);
#   - mail to other recipients of the bounce domain's neighbours is left alone;
#   - with BounceForward yes the report goes to the original sender instead
#     (the MTA is asked to add alice@example.com and drop the bounce address);
#   - a DSN about one of repguard's own 451 "paused" refusals is not counted;
#   - an ARF complaint is recorded as "complaint", an out-of-office reply
#     records nothing;
#   - a token takes 3 reports per recipient of its message and forwards one
#     per recipient (BounceForward yes); past that reports are dropped;
#   - a recipient address with a carriage return and an escape sequence in
#     a report reaches neither the log nor ingest's output as such;
#   - a second token in the same message gets 452 4.5.3;
#   - ReportClientLimit: a client past its rate gets 451 4.7.1 at RCPT.
# (The forgeries themselves, 40 reports naming strangers and so on, are in
# tests/unit/retpath/test_rpaccount.c and, through Postfix, tests/e2e/t_forgery_e2e.sh.)
. "$TOP_SRCDIR/tests/lib/common.sh"

rg_milter_test
KEY=$T_TMP/rp.key
C=$TOP_SRCDIR/tests/bounce/corpus
CORPUS_TOKEN=016b1d0f8a0123456789abcdef0123456789abcdef0123
openssl rand -hex 32 >"$KEY"
chmod 600 "$KEY"

write_conf() {	# write_conf FORWARD [REPORT-CLIENT-LIMIT]
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
		ReturnPathDomain bounce.example.com ReturnPathKeyFile "$KEY" \
		BounceRules "$TOP_SRCDIR/contrib/bounce-rules" BounceForward "$1" \
		${2:+ReportClientLimit "$2"}
}

# send IP SENDER RCPT[,RCPT...] FILE: one message; prints "STAGE ACTION|MODS"
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, ip, sender, rcpt, path = sys.argv[2:7]
msg = mc.Message.from_bytes(open(path, "rb").read())
res = mc.run_session(sock, msg, mc.Envelope(client_ip=ip, sender=sender, rcpts=rcpt.split(",")))
mods = " ".join("%s:%s" % (str(m).split()[0], (m.name or b"").decode()) for m in res.mods)
print("%s %s|%s" % (res.reply.stage, res.reply.action, mods))
PYEOF
}

# with_token FILE ADDRESS: FILE with the corpus token replaced by ADDRESS's
with_token() {
	tok=${2#*+}; tok=${tok%@*}
	sed "s/$CORPUS_TOKEN/$tok/g" "$1" >"$T_TMP/report.eml"
	printf '%s' "$T_TMP/report.eml"
}

# make_token EXPIRY-OFFSET-SECONDS: an address with a token made here
make_token() {
	"$PY" - "$KEY" "$1" <<'PYEOF'
import hmac, hashlib, os, sys, time
key = open(sys.argv[1], "rb").read().rstrip()
body = bytes([1]) + (int(time.time()) + int(sys.argv[2])).to_bytes(4, "big") + os.urandom(8)
mac = hmac.new(key, b"repguard return-path token\0" + body, hashlib.sha256).digest()[:10]
print("rp+%s@bounce.example.com" % (body + mac).hex())
PYEOF
}

logged() { t_wait_for 3 grep -qF "$1" "$LOG"; }

write_conf no
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

# an outbound message, to get a real token
printf 'From: <alice@example.com>\r\nTo: <nobody@example.org>\r\nSubject: hello\r\n\r\nhi\r\n' >"$T_TMP/out.eml"
# (to the recipients the corpus reports name: a report counts only for
# recipients of the message its token names)
out=$(send 10.1.2.3 alice@example.com nobody@example.org,nouser@example.org,gone@example.net,complainer@isp.example "$T_TMP/out.eml")
RP=$(printf '%s' "$out" | sed -n 's/.*chgfrom:<\([^>]*\)>.*/\1/p')
t_like "$RP" '^rp\+[0-9a-f]{46}@bounce\.example\.com$' "an outbound message left with a token ($RP)"
sleep 0.2	# the record is written with the next batch (CommitInterval 5 ms)

# --- a DSN, twice ------------------------------------------------------------------
out=$(send 192.0.2.9 "<>" "$RP" "$(with_token "$C/postfix-dsn-5.1.1.eml" "$RP")")
t_is "$out" "eom discard|" "a DSN to the token: read, then dropped (BounceForward no)"
logged "dsn report to $RP for sender alice@example.com (record found): nobody@example.org 5.1.1 hard counted; 1 recorded, 0 already known"
t_ok $? "logged: dsn for sender alice@example.com, nobody@example.org 5.1.1 hard, 1 recorded"
out=$(send 192.0.2.9 "<>" "$RP" "$T_TMP/report.eml")
t_is "$out" "eom discard|" "the same DSN again: dropped"
logged "nobody@example.org 5.1.1 hard known; 0 recorded, 1 already known"
t_ok $? "... and not counted twice"

out=$("$REPGUARDCTL" -c "$CONF" parse-bounce "$T_TMP/report.eml" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["type"], d["sender"])')
t_is "$out" "dsn alice@example.com" "parse-bounce with the configuration: the sender the token's record names"

# --- refused at RCPT -----------------------------------------------------------------
# the last hex digit (inside the MAC) changed
bad=$(printf '%s' "$RP" | sed 's/0@/1@/; t; s/.@/0@/')
out=$(send 192.0.2.9 "<>" "$bad" "$T_TMP/report.eml")
t_is "$out" "rcpt reject|" "an altered token: refused at RCPT"
logged "refused report to $bad: forged or altered token"
t_ok $? "... logged as forged or altered"
forged=rp+0100000000aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbb@bounce.example.com
out=$(send 192.0.2.9 "<>" "$forged" "$T_TMP/report.eml")
t_is "$out" "rcpt reject|" "a made-up token: refused at RCPT"
old=$(make_token -60)
out=$(send 192.0.2.9 "<>" "$old" "$T_TMP/report.eml")
t_is "$out" "rcpt reject|" "a token (right MAC) that expired a minute ago: refused at RCPT"
logged "refused report to $old: expired token"
t_ok $? "... logged as expired"
out=$(send 192.0.2.9 "<>" "bounces+${RP#rp+}" "$T_TMP/report.eml")
t_is "$out" "rcpt reject|" "the right token under another prefix: refused"
"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$forged" >"$T_TMP/rcpt.out" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
with mc.MilterClient(sys.argv[2]) as cl:
    cl.negotiate()
    cl.macros.update({"client_addr": "192.0.2.9", "i": "Q1"})
    cl.connect("x.example", "192.0.2.9")
    cl.mail("<>")
    r = cl.rcpt(sys.argv[3])
    print(r.code, r.text)
PYEOF
t_like "$(cat "$T_TMP/rcpt.out")" '^y 550 5\.1\.1 repguard: no such bounce address \(forged or altered token\)' \
	"the RCPT reply: 550 5.1.1 with the reason"
out=$(send 192.0.2.9 someone@example.net friend@example.org "$T_TMP/out.eml")
t_is "$out" "eom continue|" "inbound mail to another address: left alone"

# --- our own 451, an ARF report, an auto-reply -----------------------------------------
sed -e "s/Status: 5\.1\.1/Status: 4.7.1/" -e "s/^Action: failed/Action: delayed/" \
    -e "s/^Diagnostic-Code: smtp; 550 5\.1\.1 <nobody@example\.org>: Recipient address/Diagnostic-Code: smtp; 451 4.7.1 sender alice@example.com is paused until 2026-12-01 00:00: bounce rate/" \
    "$(with_token "$C/postfix-dsn-5.1.1.eml" "$RP")" >"$T_TMP/ours.eml"
out=$(send 192.0.2.9 "<>" "$RP" "$T_TMP/ours.eml")
t_wait_for 3 grep -qE "nobody@example\.org 4\.7\.1 [a-z-]+ ours; 0 recorded" "$LOG"
t_ok $? "a DSN about repguard's own 451 (paused sender): not counted"
out=$(send 192.0.2.9 "<>" "$RP" "$(with_token "$C/arf-abuse.eml" "$RP")")
logged "arf report to $RP for sender alice@example.com (record found): complainer@isp.example - complaint counted; 1 recorded"
t_ok $? "an ARF report: recorded as a complaint for alice@example.com"
out=$(send 192.0.2.9 "<>" "$RP" "$(with_token "$C/autoreply-ooo.eml" "$RP")")
logged "auto-reply report to $RP for sender alice@example.com (record found): carol@example.org - auto-reply auto-reply; 0 recorded"
t_ok $? "an out-of-office reply: nothing recorded"

# --- repguardctl ingest (a pipe transport, a replayed mailbox) ------------------------------
f=$(with_token "$C/sendmail-dsn.eml" "$RP")
out=$("$REPGUARDCTL" -c "$CONF" ingest <"$f")
rc=$?
t_is "$rc" 0 "ingest: a Sendmail DSN on standard input, exit 0"
RPRE=$(printf '%s' "$RP" | sed 's/[+.]/\\&/g')
t_like "$out" "^ingest: dsn report to $RPRE for sender alice@example\.com \(record found\): nouser@example\.org 5\.1\.1 hard counted; 1 recorded, 0 already known\$" \
	"ingest: the token found in the report, tied to alice@example.com, recorded"
out=$("$REPGUARDCTL" -c "$CONF" ingest --rcpt "$RP" <"$f")
t_like "$out" '; 0 recorded, 1 already known$' "ingest: the same report again (--rcpt): not counted twice"
out=$("$REPGUARDCTL" -c "$CONF" ingest <"$C/no-token.eml")
t_is "$?:$out" "0:ingest: not recorded: no return-path token of ours" "ingest: a report without our token: not recorded, exit 0"
out=$("$REPGUARDCTL" -c "$CONF" ingest --rcpt "$forged" <"$f")
t_is "$?:$out" "0:ingest: not recorded: forged or altered token" "ingest: --rcpt with a forged token: not recorded, exit 0"
"$REPGUARDCTL" -c "$CONF" ingest extra <"$f" >/dev/null 2>&1
t_is "$?" 2 "ingest with an argument: usage error"

# --- BounceForward yes ---------------------------------------------------------------------
write_conf yes
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
out=$(send 192.0.2.9 "<>" "$RP" "$(with_token "$C/exim-dsn.eml" "$RP")")
t_is "$out" "eom continue|addrcpt:<alice@example.com> delrcpt:<$RP>" \
	"BounceForward yes: the report goes to the original sender instead of the bounce address"

# --- forwards and reports per token ---------------------------------------------------------
# 8 reports so far: the message has 4 recipients, so 12 in all
# (ReportsPerRecipient 3) and 4 forwards (one forwarded above)
fwd=0 drop=0
for i in 1 2 3 4; do
	out=$(send 192.0.2.9 "<>" "$RP" "$(with_token "$C/exim-dsn.eml" "$RP")")
	case $out in
	"eom continue|addrcpt:<alice@example.com> delrcpt:<$RP>") fwd=$((fwd + 1)) ;;
	"eom discard|") drop=$((drop + 1)) ;;
	esac
done
t_is "$fwd:$drop" "3:1" "BounceForward: one report forwarded per recipient of the message (4), then dropped"
out=$(send 192.0.2.9 "<>" "$RP" "$(with_token "$C/exim-dsn.eml" "$RP")")
t_is "$out" "eom discard|" "the 13th report to the token: dropped"
logged "; over the token's limit of 12 reports: not counted, not forwarded"
t_ok $? "... logged as over the token's limit (ReportsPerRecipient 3 x 4 recipients)"

# --- hostile text in a report ----------------------------------------------------------------
printf 'From: <carol@example.com>\r\nTo: <x@example.org>\r\nSubject: hi\r\n\r\nhi\r\n' >"$T_TMP/out2.eml"
out=$(send 10.1.2.3 carol@example.com x@example.org "$T_TMP/out2.eml")
RP2=$(printf '%s' "$out" | sed -n 's/.*chgfrom:<\([^>]*\)>.*/\1/p')
sleep 0.2
sed -e "s/nobody@example\.org/x@example.org\rrepguard[1]: forged-line\x1b[2J/" \
	"$(with_token "$C/postfix-dsn-5.1.1.eml" "$RP2")" >"$T_TMP/evil.eml"
out=$(send 192.0.2.9 "<>" "$RP2" "$T_TMP/evil.eml")
logged "x@example.org?repguard[1]:"
t_ok $? "a recipient with a carriage return and an escape: logged with '?' in their place"
t_is "$(tr -dc '\r\033' <"$LOG" | wc -c)" 0 "... no control character reaches the log"
out=$("$REPGUARDCTL" -c "$CONF" ingest --rcpt "$RP2" <"$T_TMP/evil.eml")
t_is "$(printf '%s' "$out" | tr -dc '\r\033' | wc -c)" 0 "... nor ingest's output ($(printf '%s' "$out" | grep -c 'not a recipient') warning)"

# --- two tokens in one message ----------------------------------------------------------------
"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$RP" "$RP2" >"$T_TMP/rcpt2.out" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
with mc.MilterClient(sys.argv[2]) as cl:
    cl.negotiate()
    cl.macros.update({"client_addr": "192.0.2.9", "i": "Q2"})
    cl.connect("x.example", "192.0.2.9")
    cl.mail("<>")
    r1 = cl.rcpt(sys.argv[3])
    r2 = cl.rcpt(sys.argv[4])
    print(r1.code, "|", r2.code, r2.text)
PYEOF
t_like "$(cat "$T_TMP/rcpt2.out")" '^c \| y 452 4\.5\.3 repguard: one report per message, send this recipient apart' \
	"a second token in the same message: 452 4.5.3, to be sent apart (a report counts under one token)"

# --- reports per client ----------------------------------------------------------------------
write_conf no 2/1h
kill -HUP "$RG_PID"
t_wait_for 5 test "$(grep -c "configuration reloaded" "$LOG")" -ge 2
res=""
for ip in 192.0.2.77 192.0.2.77 192.0.2.77 192.0.2.78; do
	out=$(send "$ip" "<>" "$RP2" "$T_TMP/evil.eml")
	res="$res${out%%|*};"
done
t_is "$res" "eom discard;eom discard;rcpt tempfail;eom discard;" \
	"ReportClientLimit 2/1h: a client's third report gets a temporary failure at RCPT, another client's goes"
logged "report from 192.0.2.77 to $RP2: limited by report:192.0.2.77 (2/1h)"
t_ok $? "... logged with the client, the token and the rule"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOG" 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon log"
else t_fail "no sanitizer reports in the daemon log" "$san"; fi
t_done
