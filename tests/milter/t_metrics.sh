#!/bin/bash
# t_metrics.sh - the daemon's counters over HTTP (MetricsListen, for
# Prometheus) and from repguardctl metrics, through the milter protocol
# (tests/lib/milterclient.py as the MTA).
#
# Three accepted messages (return-path rewritten), a bulk message over
# BulkLimit, a paused sender, a suppressed recipient and a hard bounce
# coming back: the scraped counters say exactly that, in a valid
# exposition (every line HELP, TYPE or a sample; the histogram cumulative);
# senders by state and the database's size are there; other paths get 404
# and other methods 405; repguardctl metrics shows the same counters; a
# restart goes on counting from them; a bad MetricsListen is refused with
# its file and line.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"
. "$TOP_SRCDIR/tests/lib/metrics.sh"

rg_milter_test
rp_key "$T_TMP/rp.key"
(umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$T_TMP/rsa.pem") >/dev/null 2>&1
PORT=$(t_free_port)
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$T_TMP/rp.key" \
	BounceRules "$TOP_SRCDIR/contrib/bounce-rules" \
	BulkLimit 1/1h MetricsListen "127.0.0.1:$PORT" \
	Domain example.com Selector sel KeyFile "$T_TMP/rsa.pem"

# send SENDER RCPTS [FILE] [IP] [HEADER]: one message; prints the chgfrom
# address (NOHDRS=1: an MTA that does not allow added headers, so signing
# fails)
send() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpt = sys.argv[2:5]
path = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
ip = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else "10.1.2.3"
hdr = sys.argv[7] + "\r\n" if len(sys.argv) > 7 else ""
raw = open(path, "rb").read() if path else \
    ("From: <%s>\r\nSubject: hi\r\n%s\r\nhello\r\n" % (sender, hdr)).encode()
import os
acts = mc.ALL_ACTIONS & ~mc.SMFIF_ADDHDRS if os.environ.get("NOHDRS") else mc.ALL_ACTIONS
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip=ip, sender=sender, rcpts=rcpt.split(",")),
                     actions=acts)
ch = [(m.name or b"").decode().strip("<>") for m in res.mods if m.code == "e"]
print(ch[0] if ch else "")
PYEOF
}

rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

RP=$(send alice@example.com friend@example.org)
send news@example.com r1@example.org "" "" "Precedence: bulk" >/dev/null
send news@example.com r2@example.org "" "" "Precedence: bulk" >/dev/null
"$REPGUARDCTL" -c "$CONF" pause bob@example.com >/dev/null
send bob@example.com r3@example.org >/dev/null
"$REPGUARDCTL" -c "$CONF" suppress gone@example.org >/dev/null
send carol@example.com "gone@example.org,ok@example.org" >/dev/null
NOHDRS=1 send erin@example.com x@example.org >/dev/null	# signing fails
report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/dsn.eml" friend@example.org
send "<>" "$RP" "$T_TMP/dsn.eml" 192.0.2.9 >/dev/null
t_wait_for 3 grep -q "friend@example.org 5.1.1 hard counted; 1 recorded" "$LOG"
t_ok $? "the bounce came back and was recorded"

out=$(metrics_scrape "$PORT")
t_is "$(echo "$out" | sed -n 1,2p | tr '\n' ' ')" "200 text/plain; version=0.0.4; charset=utf-8 " \
	"GET /metrics: 200, Prometheus' text format"
t_is "$(metrics_value "$out" "[$(msgs message accept none), $(msgs message tempfail bulk-limit), $(msgs message tempfail paused)]")" \
	"[3.0, 1.0, 1.0]" "messages: 3 accepted, 1 over the bulk limit, 1 from a paused sender"
t_is "$(metrics_value "$out" 'm["repguard_recipients_refused_total{reason=\"suppressed\"}"], m["repguard_returnpath_rewritten_total"], m["repguard_bounces_total{class=\"hard\"}"]')" \
	"(1.0, 3.0, 1.0)" "1 recipient suppressed, 3 return-paths rewritten, 1 hard bounce"
t_is "$(metrics_value "$out" "m['repguard_signatures_total'], m['repguard_signing_failures_total'], $(msgs message tempfail error)")" \
	"(3.0, 1.0, 1.0)" "3 signatures; 1 signing failure (an MTA that allows no added header), tempfailed (reason=error)"
t_is "$(metrics_value "$out" "$(msgs report discard none)")" "1.0" \
	"the bounce report counted as a report, taken in and dropped (BounceForward no)"
t_is "$(metrics_value "$out" 'm["repguard_message_duration_seconds_count"], m["repguard_message_duration_seconds_bucket{le=\"+Inf\"}"], m["repguard_message_duration_seconds_bucket{le=\"2.5\"}"] >= m["repguard_message_duration_seconds_bucket{le=\"0.001\"}"], m["repguard_message_duration_seconds_sum"] > 0')" \
	"(5.0, 5.0, True, True)" "the latency histogram: 5 messages decided at end of message, cumulative buckets, a sum"
t_is "$(metrics_value "$out" 'm["repguard_senders{state=\"paused\"}"], m["repguard_senders{state=\"active\"}"]')" "(1.0, 3.0)" \
	"senders by state: bob paused, 3 active"
t_is "$(metrics_value "$out" 'm["repguard_db_used_bytes"] > 0 and m["repguard_db_map_bytes"] >= m["repguard_db_used_bytes"]')" "True" \
	"the database's map and use"
t_is "$(metrics_scrape "$PORT" /other | head -n1) $(metrics_scrape "$PORT" /metrics POST | head -n1)" "404 405" "another path: 404; POST: 405"

names=$("$PY" -c 'import json, re, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted({n for p in d["panels"] for t in p["targets"]
    for n in re.findall(r"repguard_[a-z_]+", t["expr"])})))' "$TOP_SRCDIR/contrib/grafana-dashboard.json")
missing=""
for n in $names; do
	printf '%s\n' "$out" | grep -q "^$n[{ ]" || missing="$missing $n"
done
t_is "${names:+found}${missing:-}" "found" "every metric contrib/grafana-dashboard.json charts is served"

sleep 1.3	# the counters reach the store once a second
ctl=$("$REPGUARDCTL" -c "$CONF" metrics)
t_is "$(metrics_value "$ctl" "[$(msgs message accept none), $(msgs message tempfail paused), m['repguard_bounces_total{class=\"hard\"}']]")" \
	"[3.0, 1.0, 1.0]" "repguardctl metrics: the same counters, from the store"

rg_stop TERM
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not restart"; exit 1; }
send dave@example.com x@example.org >/dev/null
t_is "$(metrics_value "$(metrics_scrape "$PORT")" "$(msgs message accept none)")" "4.0" "after a restart the counters go on (3 + 1 accepted)"
rg_stop TERM

rg_conf "$T_TMP/bad.conf" Socket "unix:$SOCK" MetricsListen "localhost:99999"
t_like "$("$REPGUARD" -n -c "$T_TMP/bad.conf" 2>&1)" "bad.conf:2: MetricsListen: the port must be a number from 1 to 65535" \
	"a bad MetricsListen: its file and line"
t_done
