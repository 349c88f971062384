#!/bin/bash
# t_shape_e2e.sh - traffic shaping through a real Postfix
# (tests/lib/postfix.sh), smtp-sink receiving, swaks sending.
#
#   (a) a bulk sender over its limit (BulkLimit 2/1h) gets 451 4.7.1 at the
#       SMTP client, while a transactional message from the same sender goes
#       through at once; nothing of the deferred message reaches the sink;
#   (b) a recipient-domain limit (slow.example 1/1h) defers only that
#       domain's recipient at RCPT: the others of the message are delivered;
#   (c) BulkCompliance add: a bulk message without one-click unsubscribe is
#       delivered with List-Unsubscribe (from ListUnsubscribeURL),
#       List-Unsubscribe-Post and Feedback-ID, inside a DKIM signature that
#       dkimpy (python3-dkim) verifies, its h= naming them; BulkCompliance
#       reject: 550 5.7.1 at the SMTP client naming the missing headers;
#   (d) the warm-up limit holds on a simulated day 1 (2 bulk messages) and
#       day 5 (32): repguard restarted with libfaketime, Postfix as it is;
#   (e) the metrics scraped from MetricsListen count exactly what was
#       accepted, signed and refused, over the restarts.
# Needs root, postfix, smtp-sink, swaks, /usr/bin/python3 with python3-dkim
# and libfaketime (else skipped).

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/metrics.sh"

pf_require
PY=/usr/bin/python3
"$PY" -c 'import dkim' 2>/dev/null || t_skip_all "needs python3-dkim"
FT=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT\.so\.1$' | head -n1)
[ -n "$FT" ] && [ -f "$FT" ] || t_skip_all "libfaketime not installed"

t_tmpdir
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/repguard.sock
RGLOG=$T_TMP/repguard.log
VF=$TOP_SRCDIR/tests/dkim/verify.py
INTERNAL=10.1.2.3
(umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$T_TMP/rsa.pem") >"$T_TMP/keygen.log" 2>&1
printf 'v=DKIM1; k=rsa; p=%s\n' \
	"$(openssl pkey -in "$T_TMP/rsa.pem" -pubout -outform DER | base64 -w0)" \
	>"$T_TMP/sel._domainkey.example.com"
printf 'slow.example 1/1h\n' >"$T_TMP/domain-limits"
# day 1 of the warm-up four days ago: today is day 5
START=$(date -u -d '4 days ago' +%Y-%m-%d)
MPORT=$(t_free_port)

write_conf() {	# write_conf COMPLIANCE [KEY VALUE ...]
	_c=$1; shift
	rg_conf "$CONF.new" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		InternalHosts 10.1.0.0/16 CommitInterval 10 Syslog no \
		Domain example.com Selector sel KeyFile "$T_TMP/rsa.pem" \
		BulkLimit "${BULK:-2/1h}" TransactionalLimit 1000/1h \
		DomainLimits "$T_TMP/domain-limits" BulkCompliance "$_c" \
		ListUnsubscribeURL 'https://unsub.example.com/one-click/%{sender}/%{rcpt}' \
		FeedbackID '%{class}:%{sender}:relay' MetricsListen "127.0.0.1:$MPORT" "$@"
	mv "$CONF.new" "$CONF"
}

# send ID FROM TO [HEADER]: one message through Postfix
send() {
	printf 'From: <%s>\nTo: <%s>\nSubject: %s\nX-Test-Id: %s\n%s%s\nhello %s\n' \
		"$2" "${3%%,*}" "$1" "$1" "$4" "${4:+
}" "$1" >"$T_TMP/msg.$1"
	pf_send --name "$1" --addr "$INTERNAL" --from "$2" --to "$3" --data "@$T_TMP/msg.$1"
}
arrived() { t_wait_for 20 sink_grep "^X-Test-Id: $1\$" >/dev/null; }

write_conf add
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "repguard -n accepts the configuration"
pf_setup
pf_bed "$CONF" "$RGLOG"

# --- (a) a bulk sender over its limit; its transactional mail goes ------------------------
B="Precedence: bulk"
send a1 news@example.com r1@live.example "$B" && send a2 news@example.com r2@live.example "$B"
t_ok $? "(a) news@example.com: two bulk messages accepted"
send a3 news@example.com r3@live.example "$B"
t_is "$?" 26 "(a) the third within the hour: swaks gets a temporary failure"
t_like "$(pf_reply)" '^451 4\.7\.1 repguard: the bulk limit of sender news@example\.com \(2/1h\) is reached, try again in [0-9]+ s$' \
	"(a) ... 451 4.7.1 at the SMTP client, naming the limit"
send a4 news@example.com r4@live.example
t_ok $? "(a) a transactional message from the same sender is accepted at once"
arrived a4
t_ok $? "(a) ... and delivered"
arrived a2 && ! sink_grep '^X-Test-Id: a3$' >/dev/null
t_ok $? "(a) the bulk messages within the limit arrived, the deferred one did not"

# --- (b) a recipient-domain limit defers only that domain -----------------------------------
send b1 shop@example.com "x1@slow.example,y1@live.example"
t_ok $? "(b) a message to slow.example and live.example: accepted"
send b2 shop@example.com "x2@slow.example,y2@live.example,z2@other.example"
t_ok $? "(b) the next one too: its slow.example recipient alone is deferred"
t_like "$(pf_reply RCPT | sed -n 1p)" '^451 4\.7\.1 repguard: the rate limit for slow\.example \(1/1h\) is reached' \
	"(b) ... 451 4.7.1 at RCPT for x2@slow.example"
t_is "$(pf_reply RCPT | sed -n '2,3p' | cut -c1-3 | tr '\n' ' ')" "250 250 " \
	"(b) ... the other recipients are accepted"
arrived b2
t_ok $? "(b) the message was delivered"
t_is "$(pf_log 'to=<x2@slow.example>.*status=' | wc -l)" 0 "(b) ... never to the deferred recipient (the client keeps it)"
t_like "$(pf_log 'to=<y2@live.example>')" 'status=sent' "(b) Postfix sent it to y2@live.example"
t_like "$(pf_log 'to=<z2@other.example>')" 'status=sent' "(b) ... and z2@other.example"

# --- (c) bulk compliance: add, signed; reject -------------------------------------------------
send c1 letters@example.com reader@live.example "$B"
t_ok $? "(c) a bulk message without one-click unsubscribe is accepted (BulkCompliance add)"
arrived c1 && sink_message c1 "$T_TMP/got.c1" >"$T_TMP/why.c1"
t_ok $? "(c) ... delivered"
t_is "$(grep -E '^(List-Unsubscribe|List-Unsubscribe-Post|Feedback-ID):' "$T_TMP/got.c1" | tr -d '\r')" \
"Feedback-ID: bulk:letters@example.com:relay
List-Unsubscribe: <https://unsub.example.com/one-click/letters%40example.com/reader%40live.example>
List-Unsubscribe-Post: List-Unsubscribe=One-Click" \
	"(c) ... with List-Unsubscribe from the template, List-Unsubscribe-Post and Feedback-ID"
v=$("$PY" "$VF" --key "sel._domainkey.example.com=$T_TMP/sel._domainkey.example.com" \
	--expect 1 "$T_TMP/got.c1" 2>&1)
t_ok $? "(c) dkimpy verifies the DKIM signature of the delivered message"
h=$(printf '%s\n' "$v" | grep -o ' h=[^ ]*' | tr ':' '\n' | grep -cixE '( h=)?(list-unsubscribe|list-unsubscribe-post|feedback-id)')
t_is "$h" 3 "(c) ... its h= covers List-Unsubscribe, List-Unsubscribe-Post and Feedback-ID"
"$PY" - "$T_TMP/got.c1" "$T_TMP/tampered.c1" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(data.replace(b"letters%40example.com/reader", b"letters%40example.com/other"))
EOF
"$PY" "$VF" --key "sel._domainkey.example.com=$T_TMP/sel._domainkey.example.com" \
	--all-fail "$T_TMP/tampered.c1" >/dev/null 2>&1
t_ok $? "(c) ... a changed unsubscribe URL breaks the signature"
write_conf reject
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$RGLOG"
send c2 letters2@example.com reader@live.example "$B"
t_is "$?" 26 "(c) BulkCompliance reject: swaks gets a permanent failure"
t_is "$(pf_reply)" "550 5.7.1 repguard: bulk mail must carry List-Unsubscribe (with an https URI) and List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 one-click unsubscribe)" \
	"(c) ... 550 5.7.1 naming the missing headers"

# --- (d) warm-up: day 1 and day 5 ---------------------------------------------------------------
BULK=1000/1h write_conf log WarmupStart "$START" WarmupSchedule "2 x2 cap 1000"
rg_stop TERM
# burst PREFIX N: N bulk messages from distinct senders; prints "accepted
# deferred" (it runs in a subshell: its transcripts are swaks.*.PREFIXi.log)
burst() {
	_ok=0 _no=0
	for _i in $(seq 1 "$2"); do
		if send "$1$_i" "w$_i.$1@example.com" "r$_i@live.example" "$B"; then
			_ok=$((_ok + 1))
		elif pf_reply | grep -q "^451 4\.7\.1 repguard: warm-up day"; then
			_no=$((_no + 1))
		fi
	done
	echo "$_ok $_no"
}
LD_PRELOAD=$FT FAKETIME="@$START 10:00:00" \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	rg_start "$CONF" "$RGLOG"
t_ok $? "(d) repguard restarted on day 1 of the warm-up ($START)"
t_is "$(burst d1- 3)" "2 1" "(d) day 1 (limit 2): two bulk messages accepted, the third deferred with 451 4.7.1"
t_like "$(PF_TRANSCRIPT=$(ls "$T_TMP"/swaks.*.d1-3.log) pf_reply)" "^451 4\.7\.1 repguard: warm-up day 1: the relay's limit of 2 bulk messages today is reached" \
	"(d) ... naming the warm-up day"
send d1-t tx@example.com r@live.example
t_ok $? "(d) transactional mail still goes on day 1"
rg_stop TERM
rg_start "$CONF" "$RGLOG"
t_ok $? "(d) repguard restarted today: day 5"
t_is "$(burst d5- 34)" "32 2" "(d) day 5 (limit 32): 32 bulk messages accepted, the rest deferred"
sleep 1.3	# buckets go to the store once a second
t_like "$("$REPGUARDCTL" -c "$CONF" warmup | tr '\n' ' ')" "warm-up day 5 of 9 .*today's limit: 32 messages; used 32, left 0, refused 2" \
	"(d) repguardctl warmup: day 5, 32 used, 2 refused"
dcount() { [ "$(sink_grep '^X-Test-Id: d[15]-[0-9]+$' | wc -l)" -ge "$1" ]; }
t_wait_for 30 dcount 34; sleep 1
t_is "$(sink_grep '^X-Test-Id: d[15]-[0-9]+$' | wc -l)" 34 "(d) the 34 accepted bulk messages arrived, none of the deferred"

# --- (e) metrics -------------------------------------------------------------------------------
# accepted: a1 a2 a4 b1 b2 c1 (6), day 1: 2 + the transactional one, day 5: 32
out=$(metrics_scrape "$MPORT")
t_is "$(metrics_value "$out" "[$(msgs message accept none), $(msgs message tempfail bulk-limit), $(msgs message tempfail warmup), $(msgs message reject compliance)]")" \
	"[41.0, 1.0, 3.0, 1.0]" "(e) the scraped counters: 41 accepted, 1 over the bulk limit, 3 over the warm-up, 1 without unsubscribe headers"
t_is "$(metrics_value "$out" 'm["repguard_recipients_refused_total{reason=\"domain-limit\"}"], m["repguard_signatures_total"], m["repguard_message_duration_seconds_count"]')" \
	"(1.0, 41.0, 46.0)" "(e) 1 recipient over its domain's limit, 41 signatures, 46 messages timed"
t_is "$(sink_grep '^X-Test-Id: ' | wc -l)" 41 "(e) ... and the sink holds the 41 accepted messages"

rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stopped cleanly"
t_done
