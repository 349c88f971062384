#!/bin/bash
# t_forgery_e2e.sh - forged reports through a real Postfix: what one
# recipient holding one token can and cannot make repguard do.
#
# A private Postfix (tests/lib/postfix.sh) with repguard as its milter.
# victim@example.com (internal) sends one message to three recipients;
# hostile@example.org is one of them and holds the token from its copy
# (read here from the sink's dump, as the recipient would read it).  From
# an outside client, over SMTP through Postfix:
#   (a) 40 DSNs to the token, each naming a made-up recipient
#       (fake1..fake40@example.org, 5.1.1): nothing counted, nobody
#       suppressed, the sender stays active (with MinimumVolume 1 a single
#       counted hard bounce would pause it); each report logged once with
#       the token and the address, and the metric counts 40;
#   (b) a genuine DSN for hostile@example.org counts once; the same bounce
#       re-wrapped 40 ways (subject, boundary, diagnostic, the address's
#       case, angle brackets) counts nothing more;
#   (c) forged ARF complaints naming strangers count nothing;
#   (d) DSNs for every recipient in every spelling, and strangers: the
#       message of 3 recipients has 3 hard events, no more; only its
#       recipients are on the suppression list;
#   (e) with the default ReportsPerRecipient (3) the token takes 9
#       reports in all: the next is dropped unread, counted nowhere.
# Needs root, postfix, smtp-sink, swaks and /usr/bin/python3 (else skipped).

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"

pf_require

t_tmpdir
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/repguard.sock
RGLOG=$T_TMP/repguard.log
KEY=$T_TMP/rp.key
INTERNAL=10.1.2.3
REPORTS=$TOP_SRCDIR/tests/bounce/corpus
CORPUS_TOKEN=016b1d0f8a0123456789abcdef0123456789abcdef0123
openssl rand -hex 32 >"$KEY"
chmod 600 "$KEY"

write_conf() {	# write_conf REPORTS-PER-RECIPIENT
	rg_conf "$CONF.new" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		InternalHosts 10.1.0.0/16 CommitInterval 10 Syslog no \
		ReturnPathDomain bounce.example.com ReturnPathKeyFile "$KEY" \
		BounceRules "$TOP_SRCDIR/contrib/bounce-rules" \
		MinimumVolume 1 MinimumEvents 1 ReportsPerRecipient "$1"
	mv "$CONF.new" "$CONF"
}

# reports TOKEN-ADDRESS FILE...: each FILE as a report from an outside
# client (127.0.0.1 is not internal here), one SMTP session; prints the
# number of messages Postfix accepted
reports() {
	/usr/bin/python3 - "$PF_PORT" "$@" <<'EOF'
import smtplib, sys
port, rcpt, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
ok = 0
with smtplib.SMTP("127.0.0.1", port, "outside.example", timeout=30) as s:
    for f in files:
        try:
            s.sendmail("", [rcpt], open(f, "rb").read())
            ok += 1
        except smtplib.SMTPException as e:
            print("refused:", e, file=sys.stderr)
print(ok)
EOF
}

# corpus FILE TOKEN-ADDRESS OUT [sed expressions...]: a corpus report with
# the token of TOKEN-ADDRESS, and more edits
corpus() {
	_f=$1 _tok=${2#*+} _out=$3; shift 3
	_tok=${_tok%@*}
	sed -e "s/$CORPUS_TOKEN/$_tok/g" "$@" "$REPORTS/$_f" >"$_out"
}
show() {	# show KEY EXPR: from repguardctl show KEY --json
	"$REPGUARDCTL" -c "$CONF" show "$1" --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}
count_log() { grep -cE "$1" "$RGLOG"; }
metric() {	# metric VERDICT: repguard_report_recipients_total from the store
	"$REPGUARDCTL" -c "$CONF" metrics 2>/dev/null |
		sed -n "s/^repguard_report_recipients_total{verdict=\"$1\"} //p"
}
suppressed() {
	"$REPGUARDCTL" -c "$CONF" suppressed --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys; print(" ".join(sorted(e["address"] for e in json.load(sys.stdin))))'
}

write_conf 0
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "repguard -n accepts the configuration"
pf_setup
pf_bed "$CONF" "$RGLOG"

printf 'From: <victim@example.com>\nTo: <team@example.org>\nSubject: minutes\nX-Test-Id: v1\n\nhello\n' >"$T_TMP/msg.v1"
pf_send --name v1 --addr "$INTERNAL" --from victim@example.com \
	--to hostile@example.org,two@example.org,three@example.org --data "@$T_TMP/msg.v1"
t_ok $? "victim@example.com's message to 3 recipients accepted"
t_wait_for 20 sink_grep '^X-Test-Id: v1$' >/dev/null
dump=$(sink_grep '^X-Test-Id: v1$' | head -n 1)
RP=$(sed -n 's/^X-Mail-Args: <\([^>]*\)>.*/\1/p' "$dump" | head -n 1)
t_like "$RP" '^rp\+[0-9a-f]{46}@bounce\.example\.com$' "the copy carries the token ($RP)"
sleep 0.5	# the record goes with the next batch

# --- (a) 40 DSNs for made-up recipients ---------------------------------------------------
files=()
for i in $(seq 1 40); do
	corpus postfix-dsn-5.1.1.eml "$RP" "$T_TMP/fake$i.eml" -e "s/nobody@example\.org/fake$i@example.org/g"
	files+=("$T_TMP/fake$i.eml")
done
t_is "$(reports "$RP" "${files[@]}")" 40 "(a) Postfix took the 40 forged DSNs"
t_wait_for 20 test "$(count_log "names 1 address that was not a recipient")" -ge 40
t_is "$(count_log "report to $(printf '%s' "$RP" | sed 's/[+.]/\\&/g') names 1 address that was not a recipient of message [0-9A-F]+ from victim@example\.com, not counted: fake[0-9]+@example\.org$")" 40 \
	"(a) each logged once, with the token and the address"
t_is "$(count_log "fake[0-9]+@example\.org 5\.1\.1 hard not-recipient; 0 recorded")" 40 "(a) ... and none recorded"
t_is "$(show victim@example.com 'd["state"], d["windows"]["long"]["hard"]')" "('active', 0)" \
	"(a) the sender is active, with no hard bounce"
t_is "$(suppressed)" "" "(a) the suppression list is empty"
sleep 1.2	# the metrics reach the store once a second
t_is "$(metric not-recipient)" 40 "(a) repguard_report_recipients_total{verdict=\"not-recipient\"} 40"

# --- (b) a genuine DSN, and the same one re-wrapped 40 ways ---------------------------------
corpus postfix-dsn-5.1.1.eml "$RP" "$T_TMP/real.eml" -e "s/nobody@example\.org/hostile@example.org/g"
t_is "$(reports "$RP" "$T_TMP/real.eml")" 1 "(b) a genuine DSN for hostile@example.org taken"
t_wait_for 10 grep -q "hostile@example.org 5.1.1 hard counted; 1 recorded, 0 already known" "$RGLOG"
t_ok $? "(b) ... counted once"
files=()
for i in $(seq 1 40); do
	case $((i % 4)) in
	0) addr=hostile@example.org ;; 1) addr=HOSTILE@Example.ORG ;;
	2) addr='<hostile@example.org>' ;; 3) addr=Hostile@EXAMPLE.org ;;
	esac
	corpus postfix-dsn-5.1.1.eml "$RP" "$T_TMP/wrap$i.eml" \
		-e "s/nobody@example\.org/$addr/g" -e "s/^Subject: .*/Subject: wrapping $i/" \
		-e "s/Recipient address rejected/Recipient address rejected (try $i)/" \
		-e "s/^Date: .*/Date: Mon, 7 Dec 2026 10:$((10 + i)):00 +0000/"
	files+=("$T_TMP/wrap$i.eml")
done
t_is "$(reports "$RP" "${files[@]}")" 40 "(b) Postfix took the 40 re-wrapped copies"
t_wait_for 20 test "$(count_log "5\.1\.1 hard known; 0 recorded, 1 already known")" -ge 40
t_is "$(count_log "5\.1\.1 hard known; 0 recorded, 1 already known")" 40 "(b) each one already known"
t_is "$(show victim@example.com 'd["windows"]["long"]["hard"]')" 1 "(b) the sender has one hard bounce"

# --- (c) forged complaints ----------------------------------------------------------------
files=()
for i in $(seq 1 5); do
	corpus arf-abuse.eml "$RP" "$T_TMP/arf$i.eml" -e "s/complainer@isp\.example/stranger$i@example.net/g"
	files+=("$T_TMP/arf$i.eml")
done
t_is "$(reports "$RP" "${files[@]}")" 5 "(c) Postfix took 5 ARF reports naming strangers"
t_wait_for 10 test "$(count_log "stranger[0-9]@example\.net - complaint not-recipient")" -ge 5
t_is "$(show victim@example.com 'd["windows"]["long"]["complaints"]')" 0 "(c) ... no complaint counted"

# --- (d) at most one failure per recipient ------------------------------------------------
files=()
for a in two@example.org TWO@example.org three@example.org Three@Example.Org hostile@example.org \
    fake1@example.org two@example.org.evil nobody@example.org; do
	corpus postfix-dsn-5.1.1.eml "$RP" "$T_TMP/d.$a.eml" -e "s/nobody@example\.org/$a/g"
	files+=("$T_TMP/d.$a.eml")
done
t_is "$(reports "$RP" "${files[@]}")" 8 "(d) 8 more DSNs taken"
t_wait_for 10 test "$(count_log "hard (counted|known|not-recipient); ")" -ge 89
t_is "$(show victim@example.com 'd["windows"]["long"]["hard"]')" 3 \
	"(d) a message to 3 recipients: 3 hard bounces, whatever arrives"
t_is "$(suppressed)" "hostile@example.org three@example.org two@example.org" \
	"(d) suppressed: its 3 recipients, nobody else"

# --- (e) the token's report limit ---------------------------------------------------------
write_conf 3
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$RGLOG"
t_is "$(reports "$RP" "$T_TMP/real.eml")" 1 "(e) one more report taken by Postfix"
t_wait_for 10 grep -q "; over the token's limit of 9 reports: not counted, not forwarded" "$RGLOG"
t_ok $? "(e) ReportsPerRecipient 3: dropped, over the token's limit of 9 reports"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
t_done
