#!/bin/bash
# t_shape_milter.sh - traffic shaping in the running daemon, through the
# milter protocol (tests/lib/milterclient.py as the MTA).
#
#   - classes: Precedence: bulk, List-Id, List-Unsubscribe, the class header,
#     BulkSenders; plain mail is transactional; each logged with its reason;
#   - BulkLimit 2/1m: the third bulk message of alice gets 451 4.7.1 at end of
#     message while her transactional mail goes at once; bob has his own bucket;
#     the refused message is charged nowhere (repguardctl limits --json);
#     bulk messages are counted per sender (repguardctl show: bulk_1h);
#   - DomainLimits: gmail.com (and googlemail.com, one bucket) 2/1m: the third
#     recipient there gets 451 4.7.1 alone, example.org still goes; a message
#     refused at end of message gives its recipients' tokens back;
#   - the buckets survive a restart;
#   - BulkCompliance reject (550 5.7.1 naming the headers), add (the headers
#     from ListUnsubscribeURL, percent-encoded), log; FeedbackID;
#   - RelayLimit counts transactional mail but holds back only bulk mail;
#   - probation's limit is a bucket (covered by t_rep_milter.sh);
#   - configuration errors at their file and line.
. "$TOP_SRCDIR/tests/lib/common.sh"

rg_milter_test
LIMITS=$T_TMP/domain-limits

cat >"$LIMITS" <<'EOF'
# receivers
gmail.com,googlemail.com   2/1m
example.net                1/1m per-sender
EOF

write_conf() {	# write_conf COMPLIANCE [KEY VALUE ...]
	_c=$1; shift
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
		BulkLimit 2/1m TransactionalLimit 100/1m DomainLimits "$LIMITS" \
		ClassHeader X-Mail-Class BulkSenders news.example.com \
		BulkCompliance "$_c" \
		ListUnsubscribeURL 'https://u.example.com/o/%{sender}/%{rcpt}' \
		FeedbackID '%{class}:%{sender}:relay1' "$@"
}

# send SENDER RCPTS [HEADER ...]: one message; prints JSON:
# {"res": "eom continue", "text": ..., "rcpt": ["continue", "tempfail 451 ..."],
#  "added": [[name, value], ...]}
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import json, sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpt = sys.argv[2:5]
extra = "".join(h + "\r\n" for h in sys.argv[5:])
raw = ("From: <%s>\r\nTo: <%s>\r\nSubject: hi\r\n%s\r\nhello\r\n" %
       (sender, rcpt.split(",")[0], extra)).encode()
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip="10.1.2.3", sender=sender,
                                 rcpts=rcpt.split(",")))
print(json.dumps({
    "res": "%s %s" % (res.reply.stage, res.reply.action),
    "text": res.reply.text or "",
    "rcpt": [("%s %s" % (r.action, r.text or "")).strip() if r else "none"
             for r in res.rcpt_replies],
    "added": [[(m.name or b"").decode(), (m.value or b"").decode().strip()]
              for m in res.mods if m.code == "h"],
}))
PYEOF
}

j() {	# j JSON EXPR: a python expression on d
	"$PY" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

limits() {	# limits EXPR [SENDER]: python expression on the bucket list b
	"$REPGUARDCTL" -c "$CONF" limits $2 --json 2>/dev/null |
		"$PY" -c 'import json, sys; b = {x["bucket"]: x for x in json.load(sys.stdin)}; print(eval(sys.argv[1]))' "$1"
}

logged() { t_wait_for "${2:-3}" grep -qE "$1" "$LOG"; }

write_conf log
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

# --- classes ---------------------------------------------------------------------------
out=$(send tx@example.com a@example.org)
t_is "$(j "$out" 'd["res"], d["added"]')" \
	"('eom continue', [['Feedback-ID', 'transactional:tx@example.com:relay1']])" \
	"plain mail goes, with a Feedback-ID naming its class and sender"
logged "sender=tx@example.com rcpts=1 size=[0-9]+ class=transactional \(default\)"
t_ok $? "... logged as transactional (default)"
i=0
for hdr in "Precedence: bulk" "List-Id: <news.example.com>" \
	"List-Unsubscribe: <https://u.example.com/x>" "X-Mail-Class: bulk"; do
	i=$((i + 1))
	send "c$i@example.com" a@example.org "$hdr" >/dev/null
	logged "sender=c$i@example.com rcpts=1 size=[0-9]+ class=bulk"
	t_ok $? "\"$hdr\": bulk"
done
send x@news.example.com a@example.org >/dev/null
logged "sender=x@news.example.com rcpts=1 size=[0-9]+ class=bulk \(bulk sender list\)"
t_ok $? "a sender of a domain in BulkSenders: bulk (sender list)"
send y@example.com a@example.org "Precedence: bulk" "X-Mail-Class: transactional" >/dev/null
logged "sender=y@example.com rcpts=1 size=[0-9]+ class=transactional \(X-Mail-Class"
t_ok $? "the class header outranks Precedence: transactional"
logged "bulk mail from c1@example.com without List-Unsubscribe \(with an https URI\) and List-Unsubscribe-Post: List-Unsubscribe=One-Click \(BulkCompliance log\)"
t_ok $? "BulkCompliance log: bulk mail without one-click unsubscribe is logged, and goes"

# --- the bulk limit ----------------------------------------------------------------------
B="Precedence: bulk"
t_is "$(j "$(send alice@example.com a1@example.org "$B")" 'd["res"]')" "eom continue" "alice's first bulk message goes"
t_is "$(j "$(send alice@example.com a2@example.org "$B")" 'd["res"]')" "eom continue" "... her second"
out=$(send alice@example.com a3@example.org "$B")
t_is "$(j "$out" 'd["res"]')" "eom tempfail" "her third within the minute: temporary failure at end of message (BulkLimit 2/1m)"
t_like "$(j "$out" 'd["text"]')" '^451 4\.7\.1 repguard: the bulk limit of sender alice@example\.com \(2/1m\) is reached, try again in (2[0-9]|30) s$' \
	"... 451 4.7.1 naming the limit and when to try again"
t_is "$(j "$(send alice@example.com reset@example.org)" 'd["res"]')" "eom continue" \
	"her transactional mail goes at once: never held back by a bulk limit"
t_is "$(j "$(send bob@example.com b1@example.org "$B")" 'd["res"]')" "eom continue" "bob's bulk mail has its own bucket"
logged "sender=alice@example.com class=bulk: limited by sender:alice@example.com:bulk"
t_ok $? "... the refusal is logged with the bucket"
sleep 1.3	# buckets go to the store once a second
t_is "$(limits 'b["sender:alice@example.com:bulk"]["taken"], b["sender:alice@example.com:bulk"]["refused"], b["sender:alice@example.com:bulk"]["tokens"], b["sender:alice@example.com:bulk"]["limit"]')" \
	"(2, 1, 0, 'BulkLimit')" "limits --json: 2 taken, 1 refused (not charged), 0 tokens left"
t_is "$(limits '"sender:alice@example.com:bulk" in b and all(k.startswith("sender:alice@example.com:") for k in b)' alice@example.com)" \
	"True" "limits SENDER: only that sender's buckets"
t_like "$("$REPGUARDCTL" -c "$CONF" limits alice@example.com)" 'sender:alice@example\.com:bulk +BulkLimit +2/1m +0 +2 +1 ' \
	"limits: a table with the limit, rule, tokens, taken, refused"
t_is "$("$REPGUARDCTL" -c "$CONF" show alice@example.com --json | "$PY" -c 'import json, sys
d = json.load(sys.stdin); print(d["messages_1h"], d["bulk_1h"], d["bulk_24h"])')" "3 2 2" \
	"the class is counted: alice sent 3 messages, 2 of them bulk (the refused one counts nowhere)"

# --- recipient domains --------------------------------------------------------------------
out=$(send carol@example.com "g1@gmail.com,g2@googlemail.com,g3@gmail.com,o@example.org")
t_is "$(j "$out" 'd["res"], [r.split(" ")[0] for r in d["rcpt"]]')" \
	"('eom continue', ['continue', 'continue', 'tempfail', 'continue'])" \
	"gmail.com and googlemail.com share 2/1m: the third recipient there is deferred alone, example.org goes"
t_like "$(j "$out" 'd["rcpt"][2]')" '^tempfail 451 4\.7\.1 repguard: the rate limit for gmail\.com \(2/1m\) is reached, try again in [0-9]+ s$' \
	"... 451 4.7.1 for that recipient, naming the domain"
out=$(send dave@example.com "g4@gmail.com,o2@example.org")
t_is "$(j "$out" '[r.split(" ")[0] for r in d["rcpt"]]')" "['tempfail', 'continue']" \
	"another sender to gmail.com within the minute: deferred (the limit is shared)"
out=$(send erin@example.com "n1@example.net")
t_is "$(j "$out" 'd["rcpt"][0].split(" ")[0]')" "continue" "example.net per sender: erin's first"
out=$(send erin@example.com "n2@example.net,o3@example.org")
t_is "$(j "$out" '[r.split(" ")[0] for r in d["rcpt"]]')" "['tempfail', 'continue']" "... her second is deferred"
t_is "$(j "$(send frank@example.com n3@example.net)" 'd["rcpt"][0].split(" ")[0]')" "continue" \
	"... frank has his own example.net bucket"
# a message refused at end of message gives its recipients' tokens back
send gus@example.com "m1@example.org" "$B" >/dev/null
send gus@example.com "m2@example.org" "$B" >/dev/null
out=$(send gus@example.com "n4@example.net" "$B")
t_is "$(j "$out" 'd["rcpt"][0].split(" ")[0], d["res"]')" "('continue', 'eom tempfail')" \
	"gus's third bulk message: its example.net recipient passes RCPT, the message is refused at end of message"
t_is "$(j "$(send gus@example.com n5@example.net)" 'd["rcpt"][0].split(" ")[0], d["res"]')" "('continue', 'eom continue')" \
	"... the recipient's token was given back: his next message to example.net goes"

# --- restart -----------------------------------------------------------------------------
rg_stop TERM	# writes every bucket, counts too
t_is "$(limits 'b["domain:example.net:sender:gus@example.com"]["taken"], b["sender:gus@example.com:bulk"]["taken"], b["sender:gus@example.com:bulk"]["refused"]')" \
	"(1, 2, 1)" "nothing of gus's refused message stayed charged: example.net taken once (n5), bulk twice, one refusal"
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not restart"; exit 1; }
t_is "$(j "$(send alice@example.com a4@example.org "$B")" 'd["res"]')" "eom tempfail" \
	"after a restart alice's bulk bucket is still empty"
t_is "$(j "$(send hank@example.com g5@gmail.com)" 'd["rcpt"][0].split(" ")[0]')" "tempfail" \
	"... and gmail.com's too"

# --- compliance: reject, add ---------------------------------------------------------------
write_conf reject
kill -HUP "$RG_PID"; logged "configuration reloaded" 5
out=$(send ivy@example.com a@example.org "$B")
t_is "$(j "$out" 'd["res"]')" "eom reject" "BulkCompliance reject: bulk mail without one-click unsubscribe is refused"
t_is "$(j "$out" 'd["text"]')" \
	"550 5.7.1 repguard: bulk mail must carry List-Unsubscribe (with an https URI) and List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 one-click unsubscribe)" \
	"... 550 5.7.1 naming the missing headers"
out=$(send ivy@example.com a@example.org "$B" "List-Unsubscribe: <mailto:u@example.com>, <https://u.example.com/1>")
t_like "$(j "$out" 'd["text"]')" "^550 5\.7\.1 repguard: bulk mail must carry List-Unsubscribe-Post: List-Unsubscribe=One-Click " \
	"... or only the one that is missing"
out=$(send ivy@example.com a@example.org "$B" "List-Unsubscribe: <https://u.example.com/1>" \
	"List-Unsubscribe-Post: List-Unsubscribe=One-Click")
t_is "$(j "$out" 'd["res"]')" "eom continue" "... with both it goes"
t_is "$(j "$(send ivy@example.com a@example.org)" 'd["res"]')" "eom continue" \
	"... transactional mail needs neither"
write_conf add
kill -HUP "$RG_PID"; sleep 0.3
out=$(send "jo+news@example.com" "Reader@Example.ORG" "$B")
t_is "$(j "$out" 'd["res"], d["added"]')" \
	"('eom continue', [['Feedback-ID', 'bulk:jo+news@example.com:relay1'], ['List-Unsubscribe', '<https://u.example.com/o/jo%2Bnews%40example.com/reader%40example.org>'], ['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click']])" \
	"BulkCompliance add: both headers from the template (values percent-encoded), and the Feedback-ID"
out=$(send "jo+news@example.com" "r1@example.org,r2@example.org" "$B")
t_is "$(j "$out" 'd["res"], [a[0] for a in d["added"]]')" "('eom continue', ['Feedback-ID'])" \
	"... a template with %{rcpt} and two recipients: not added, the message still goes"
logged "List-Unsubscribe not added: ListUnsubscribeURL names %\{rcpt\} and the message has more than one recipient"
t_ok $? "... logged"

# --- the relay's limit --------------------------------------------------------------------
write_conf log RelayLimit "3/1m"
kill -HUP "$RG_PID"; sleep 0.3
res=""
for i in 1 2 3 4; do res="$res $(j "$(send "tx$i@example.com" "r@example.org")" 'd["res"].split(" ")[1]')"; done
t_is "$res" " continue continue continue continue" "RelayLimit 3/1m: transactional mail is never held back by it"
t_is "$(j "$(send kim@example.com r@example.org "$B")" 'd["res"]')" "eom tempfail" \
	"... but it counted them: bulk mail now waits"
t_like "$(grep -o 'limited by relay: [^:]*' "$LOG" | tail -1)" "the relay's limit for bulk mail \(3/1m\)" "... logged as the relay's limit"

# --- configuration errors -------------------------------------------------------------------
printf 'gmail.com 300/1m\nyahoo..com 1/1s\n* 0/1m\n' >"$T_TMP/bad-limits"
rg_conf "$T_TMP/bad0.conf" Socket "unix:$SOCK" DomainLimits "$T_TMP/bad-limits"
out=$("$REPGUARD" -n -c "$T_TMP/bad0.conf" 2>&1)
t_like "$out" "bad-limits:2: not a domain: \"yahoo\.\.com\"" "a bad DomainLimits line: its file and line"
t_like "$out" "bad-limits:3: a rate of 0" "... every bad line"
rg_conf "$T_TMP/bad.conf" Socket "unix:$SOCK" BulkLimit 100/1x BulkCompliance add \
	WarmupStart 2026-02-30 WarmupSchedule "500 x1 cap 9" ClassHeader "X Bad" \
	ListUnsubscribeURL "http://u.example.com/%{user}"
out=$("$REPGUARD" -n -c "$T_TMP/bad.conf" 2>&1)
t_like "$out" "bad.conf:2: BulkLimit: unknown duration unit" "BulkLimit with a bad rate: file and line"
t_like "$out" "bad.conf:4: WarmupStart: no such date" "WarmupStart 2026-02-30: no such date"
t_like "$out" "bad.conf:5: WarmupSchedule: the factor must be more than 1" "WarmupSchedule x1: refused"
t_like "$out" "bad.conf:6: ClassHeader: expected a header name" "ClassHeader with a space: refused"
rg_conf "$T_TMP/bad2.conf" Socket "unix:$SOCK" BulkCompliance add \
	ListUnsubscribeURL "http://u.example.com/%{sender}" FeedbackID "%{user}"
out=$("$REPGUARD" -n -c "$T_TMP/bad2.conf" 2>&1)
t_like "$out" "bad2.conf:3: ListUnsubscribeURL: the URL must begin with https://" "ListUnsubscribeURL must be https"
t_like "$out" "bad2.conf:4: FeedbackID: unknown variable" "FeedbackID with an unknown variable"
rg_conf "$T_TMP/bad3.conf" Socket "unix:$SOCK" BulkCompliance add
t_like "$("$REPGUARD" -n -c "$T_TMP/bad3.conf" 2>&1)" "bad3.conf:2: BulkCompliance add needs ListUnsubscribeURL" \
	"BulkCompliance add without a URL: refused"

rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stopped cleanly"
t_done
