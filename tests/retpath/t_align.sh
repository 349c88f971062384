#!/bin/bash
# t_align.sh - FromAlignment: the From: domain must align (DMARC relaxed,
# by organisational domain) with the envelope sender or a verified DKIM
# signature the message brought, through the milter protocol.
#
# With a key for example.com (OnNoKey default: it signs whatever the
# domain): From and envelope in one organisation pass; From
# news@mail.example.com with envelope bounces@esp.example is refused
# although repguard signs it d=example.com (its own signature proves
# nothing about the sender), but passes when it arrives carrying a valid
# d=example.com signature made earlier (by repguard, first pass); the same
# message with that signature tampered is refused; From ceo@bank.example
# passes nothing and
# gets 550 5.7.1 at end of message with "reject", only a log line with
# "log", nothing with "off"; neighbours under a public suffix (a.co.uk,
# b.co.uk) do not align.  (A message without a From: address cannot be
# DKIM-signed at all; test_align covers its alignment.)
. "$TOP_SRCDIR/tests/lib/common.sh"

rg_milter_test
mkdir -m 0700 "$T_TMP/keys"
openssl genpkey -algorithm ED25519 -out "$T_TMP/keys/ed.pem" 2>/dev/null
chmod 600 "$T_TMP/keys/ed.pem"

write_conf() {	# write_conf MODE
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
		Domain example.com Selector ed KeyFile "$T_TMP/keys/ed.pem" \
		OnNoKey default FromAlignment "$1"
}
# send ENVELOPE FROM-HEADER: "ACTION SMTP-REPLY" of end of message
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, env, hfrom = sys.argv[2:5]
head = b"From: %s\r\n" % hfrom.encode() if hfrom != "-" else b""
msg = mc.Message.from_bytes(head + b"To: <r@example.org>\r\nSubject: align\r\n\r\nbody\r\n")
res = mc.run_session(sock, msg, mc.Envelope(client_ip="10.1.2.3", sender=env,
    rcpts=["r@example.org"]))
print(res.reply.action, res.reply.text)
PYEOF
}

write_conf reject
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
t_is "$(send alice@example.com '<alice@example.com>')" "continue " "From and envelope in one domain: accepted"
t_is "$(send alice@news.example.com 'Alice <alice@example.com>')" "continue " \
	"envelope in a subdomain of the From: domain's organisation: accepted"
t_like "$(send bounces@esp.example '<news@mail.example.com>')" '^reject 550 5\.7\.1 ' \
	"From news@mail.example.com, envelope esp.example: repguard's own d=example.com does not align it"
t_wait_for 3 grep -q "From: domain mail.example.com does not align with the envelope sender's (esp.example) or a verified DKIM signature it brought (none) (FromAlignment reject)" "$LOG"
t_ok $? "... and the log says no signature it brought verifies"
# presigned ENVELOPE TAMPER: the message signed in a first pass (envelope
# alice@example.com), sent again with ENVELOPE; TAMPER yes changes its body
presigned() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, env, tamper = sys.argv[2:5]
raw = b"From: <news@mail.example.com>\r\nTo: <r@example.org>\r\nSubject: align\r\n\r\nbody\r\n"
first = mc.run_session(sock, mc.Message.from_bytes(raw), mc.Envelope(client_ip="10.1.2.3",
    sender="alice@example.com", rcpts=["r@example.org"]))
out = first.delivered
if b"DKIM-Signature:" not in out:
    print("first pass not signed", first.reply.action)
    sys.exit(0)
if tamper == "yes":
    out = out.replace(b"body\r\n", b"changed body\r\n")
res = mc.run_session(sock, mc.Message.from_bytes(out), mc.Envelope(client_ip="10.1.2.3",
    sender=env, rcpts=["r@example.org"]))
print(res.reply.action, res.reply.text)
PYEOF
}
t_is "$(presigned bounces@esp.example no)" "continue " \
	"... but carrying a valid d=example.com signature it brought: aligned"
t_like "$(presigned bounces@esp.example yes)" '^reject 550 5\.7\.1 ' \
	"... and with that signature broken (body changed): refused"
out=$(send alice@example.com '<ceo@bank.example>')
t_like "$out" '^reject 550 5\.7\.1 repguard: the From: domain does not align' \
	"From ceo@bank.example with envelope alice@example.com: 550 5.7.1 (reject)"
t_wait_for 3 grep -q "From: domain bank.example does not align with the envelope sender's (example.com) or a verified DKIM signature it brought (none) (FromAlignment reject)" "$LOG"
t_ok $? "... and a log line naming the domains"
t_like "$(send alice@a.co.uk '<boss@b.co.uk>')" '^reject 550 5\.7\.1' \
	"neighbours under a public suffix (a.co.uk, b.co.uk) do not align"

write_conf log
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
t_is "$(send alice@example.com '<ceo@bank.example>')" "continue " "FromAlignment log: the misaligned message is accepted"
t_is "$(grep -c "does not align.*(FromAlignment log)" "$LOG")" 1 "... with a log line"

before=$(grep -c "does not align" "$LOG")
write_conf off
kill -HUP "$RG_PID"
t_wait_for 5 sh -c "[ \$(grep -c 'configuration reloaded' '$LOG') -ge 2 ]"
t_is "$(send alice@example.com '<ceo@bank.example>')" "continue " "FromAlignment off: accepted"
t_is "$(grep -c "does not align" "$LOG")" "$before" "... with no check and no new log line"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
t_done
