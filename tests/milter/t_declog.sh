#!/bin/bash
# t_declog.sh - one structured decision line per message and per refused
# recipient, in the running daemon (tests/lib/milterclient.py as the MTA).
#
# Each decision gives one line "qid=... key=value ...": an accepted,
# signed, rewritten message with its class; bulk mail (a quoted value);
# a bulk limit at end of message; BulkCompliance reject; a paused sender
# at MAIL FROM; a suppressed recipient and a domain limit at RCPT (and
# the message line counting them); a sender address that needs quoting.
# Every such line parses with the documented grammar, queue id first.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

rg_milter_test
(umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$T_TMP/rsa.pem") >/dev/null 2>&1 || t_skip_all "openssl could not make a key"
rp_key "$T_TMP/rp.key"
printf 'slow.example 1/1h\n' >"$T_TMP/limits"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
	Domain example.com Selector sel KeyFile "$T_TMP/rsa.pem" \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$T_TMP/rp.key" \
	BounceRules "$TOP_SRCDIR/contrib/bounce-rules" \
	BulkLimit 1/1h DomainLimits "$T_TMP/limits" BulkCompliance reject

# send SENDER RCPTS [HEADER ...]: one message; prints the queue id used
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpt = sys.argv[2:5]
extra = "".join(h + "\r\n" for h in sys.argv[5:])
raw = ("From: <news@example.com>\r\nTo: <r@example.org>\r\nSubject: hi\r\n%s\r\nhello\r\n"
       % extra).encode()
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip="10.1.2.3", sender=sender, rcpts=rcpt.split(",")))
print(res.queue_id)
PYEOF
}

# line QID [EVENT]: the decision line(s) of that queue id, as JSON dicts
# (parsed with the documented grammar; "BAD" for a line that does not parse);
# conn=cN as QID: the lines of that connection
line() {
	grep -E "(qid|conn)=$1( |$)" "$LOG" | sed 's/^repguard\[[0-9]*\]: //' | "$PY" -c '
import json, re, sys
pair = re.compile(r"([a-z_]+)=(\"(?:[^\"\\]|\\.)*\"|[^ \"]+)( |$)")
for l in sys.stdin:
    l = l.rstrip("\n")
    d, pos = {}, 0
    while pos < len(l):
        m = pair.match(l, pos)
        if not m:
            print("BAD " + l); break
        v = m.group(2)
        if v.startswith("\""):
            v = re.sub(r"\\x([0-9A-F]{2})", lambda x: chr(int(x.group(1), 16)), v[1:-1])
            v = re.sub(r"\\(.)", r"\1", v)
        d[m.group(1)] = v
        pos = m.end()
    else:
        if list(d)[0] != "qid": print("BAD (qid not first) " + l)
        elif len(sys.argv) < 2 or d.get("event") == sys.argv[1]: print(json.dumps(d, sort_keys=True))
' ${2:+"$2"}
}
field() {	# field JSON EXPR
	"$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

# --- accepted --------------------------------------------------------------------------
q=$(send alice@example.com friend@example.org)
sleep 0.2
l=$(line "$q")
t_is "$(echo "$l" | wc -l)" 1 "an accepted message: one decision line"
t_is "$(field "$l" '[d[k] for k in ("event", "decision", "stage", "client", "sender", "from", "rcpts", "class", "class_rule", "signatures", "returnpath")]')" \
	"['message', 'accept', 'eom', '10.1.2.3', 'alice@example.com', 'alice@example.com', '1', 'transactional', 'default', '1', 'rewritten']" \
	"... decision=accept stage=eom, client, sender, from, rcpts, class, signatures=1, returnpath=rewritten"
t_like "$(field "$l" 'd["ms"] + " " + d["size"]')" '^[0-9]+\.[0-9]{3} [0-9]+$' "... ms and size"
t_like "$(grep -E "qid=$q " "$LOG")" "^(repguard\[[0-9]+\]: )?qid=$q event=message conn=c[0-9]+ " "... the queue id first"

# --- bulk: a quoted value; the limit at end of message ------------------------------------
U1="List-Unsubscribe: <https://u.example.com/1>"
U2="List-Unsubscribe-Post: List-Unsubscribe=One-Click"
q=$(send news@example.com r1@example.org "Precedence: bulk" "$U1" "$U2")
sleep 0.2
t_is "$(field "$(line "$q")" 'd["class"], d["class_rule"], d["decision"]')" \
	"('bulk', 'Precedence: bulk', 'accept')" "bulk mail: class=bulk class_rule=\"Precedence: bulk\""
q=$(send news@example.com r2@example.org "Precedence: bulk" "$U1" "$U2")
sleep 0.2
t_is "$(field "$(line "$q")" '[d.get(k) for k in ("decision", "stage", "reason", "code", "status", "returnpath")]')" \
	"['tempfail', 'eom', 'bulk-limit', '451', '4.7.1', None]" \
	"the second within the hour: decision=tempfail stage=eom reason=bulk-limit code=451 status=4.7.1, no return-path"

# --- compliance ---------------------------------------------------------------------------------
q=$(send letters@example.com r3@example.org "Precedence: bulk")
sleep 0.2
t_is "$(field "$(line "$q")" 'd["decision"], d["reason"], d["code"], d["status"]')" \
	"('reject', 'compliance', '550', '5.7.1')" "BulkCompliance reject: decision=reject reason=compliance 550 5.7.1"

# --- a paused sender at MAIL FROM ------------------------------------------------------------------
"$REPGUARDCTL" -c "$CONF" pause bob@example.com --reason "test" >/dev/null
send bob@example.com r4@example.org >/dev/null
sleep 0.2
l=$(line "$(grep -o 'qid=[^ ]* event=message conn=[^ ]*' "$LOG" | tail -1 | sed 's/.*conn=//')")
t_is "$(echo "$l" | wc -l) $(field "$l" 'd["decision"], d["stage"], d["reason"], d["code"], d.get("rcpts")')" \
	"1 ('tempfail', 'mail', 'paused', '451', None)" "a paused sender: one line, decision=tempfail stage=mail reason=paused"

# --- recipients refused alone ----------------------------------------------------------------------
"$REPGUARDCTL" -c "$CONF" suppress gone@example.org >/dev/null
send carol@example.com "x@slow.example,y@slow.example,ok@example.org" >/dev/null
q=$(send carol@example.com "gone@example.org,z@slow.example,fine@example.org")
sleep 0.2
conn=$(field "$(line "$q")" 'd["conn"]')
t_is "$(line "$conn" rcpt | "$PY" -c 'import json, sys
for l in sys.stdin:
    d = json.loads(l); print(d["rcpt"], d["decision"], d["reason"], d["code"], d["status"], d["stage"])')" \
"gone@example.org reject suppressed 550 5.7.1 rcpt
z@slow.example tempfail domain-limit 451 4.7.1 rcpt" \
	"each refused recipient: event=rcpt with its reason and reply, tied to the message by conn="
t_is "$(field "$(line "$q" message)" 'd["decision"], d["rcpts"], d["rcpts_refused"], d.get("reason")')" \
	"('accept', '1', '2', None)" "... the message line: accept, rcpts=1 rcpts_refused=2, no reason"

# --- a value that needs quoting --------------------------------------------------------------------
q=$(send '"john doe"@example.com' r5@example.org)
sleep 0.2
t_like "$(grep -E "qid=$q " "$LOG")" ' from="\\"john doe\\"@example\.com" ' "a sender address with a space and quotes: quoted, escaped"
t_is "$(field "$(line "$q")" 'd["from"]')" '"john doe"@example.com' "... and reads back"

t_is "$(line '[^ ]*' | grep -c '^BAD')" 0 \
	"every decision line parses with the documented grammar"
rg_stop TERM
t_done
