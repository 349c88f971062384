#!/bin/bash
# t_report.sh - repguardctl report --html: the page, and the page rendered
# in headless Chromium (Debian's chromium).
#
# alice mails forty recipients and two bounce hard (she is paused), bob
# mails a few: the page lists both with their states, alice first (not
# active), charts for 24 hours and 7 days with the thresholds, the
# recipient domain that bounced, and alice's state changes.  It is one
# self-contained file (no script, no external resource).  Chromium renders
# it without a console error and writes a screenshot (a PNG of the page).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
rg_milter_test
rp_key "$T_TMP/rp.key"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$T_TMP/rp.key" \
	BounceRules "$TOP_SRCDIR/contrib/bounce-rules" MinimumVolume 10 MinimumEvents 1

send() {	# send SENDER RCPTS [FILE] [IP]: prints the chgfrom address
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, sender, rcpt = sys.argv[2:5]
path = sys.argv[5] if len(sys.argv) > 5 else None
ip = sys.argv[6] if len(sys.argv) > 6 else "10.1.2.3"
raw = open(path, "rb").read() if path else \
    ("From: <%s>\r\nSubject: hi\r\n\r\nhello\r\n" % sender).encode()
res = mc.run_session(sock, mc.Message.from_bytes(raw),
                     mc.Envelope(client_ip=ip, sender=sender, rcpts=rcpt.split(",")))
ch = [(m.name or b"").decode().strip("<>") for m in res.mods if m.code == "e"]
print(ch[0] if ch else "")
PYEOF
}

rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
rcpts=$(for i in $(seq 0 39); do printf 'r%d@lists.example.org,' "$i"; done)
RP=$(send alice@example.com "${rcpts%,}")
for i in 1 2 3; do send bob@example.com "friend$i@example.net" >/dev/null; done
sleep 0.3
for i in 3 7; do
	report_for "$RP" postfix-dsn-5.1.1.eml "$T_TMP/dsn$i.eml" "r$i@lists.example.org"
	send "<>" "$RP" "$T_TMP/dsn$i.eml" 192.0.2.9 >/dev/null
done
t_wait_for 5 grep -q "sender alice@example.com: .* -> paused" "$LOG"
t_ok $? "alice is paused by her bounces"
rg_stop TERM

"$REPGUARDCTL" -c "$CONF" report --html "$T_TMP/report.html"
t_ok $? "repguardctl report --html writes the page"
H=$T_TMP/report.html
t_ok "$([ -s "$H" ] && [ ! -e "$H.tmp" ]; echo $?)" "... whole (no .tmp left)"
t_is "$(grep -ciE '<script|<link|@import|url\(|src=' "$H")" 0 "self-contained: no script, stylesheet link, import or external source"
t_is "$("$PY" - "$H" <<'PYEOF'
import re, sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.rows = []; self.table = None; self.svg = 0; self.row = None
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "table": self.table = a.get("id")
        if tag == "tr": self.row = []
        if tag == "svg": self.svg += 1
    def handle_endtag(self, tag):
        if tag == "tr" and self.row is not None:
            self.rows.append((self.table, " ".join(self.row).split())); self.row = None
    def handle_data(self, d):
        if self.row is not None: self.row.append(d)
p = P(); p.feed(open(sys.argv[1]).read())
senders = [r[1][0] for r in p.rows if r[0] == "senders" and r[1][0] != "sender"]
doms = [r[1] for r in p.rows if r[0] == "domains" and r[1][0] != "domain"]
changes = [" ".join(r[1]) for r in p.rows if r[0] == "changes" and r[1][0] != "when"]
reasons = [r[1] for r in p.rows if r[0] == "reasons" and r[1][0] != "reason"]
print(senders, p.svg, doms[0][:2], any("alice@example.com" in c and "paused" in c for c in changes), reasons)
PYEOF
)" "['alice@example.com', 'bob@example.com'] 12 ['lists.example.org', '2'] True [['user-unknown', 'hard', '2']]" \
	"the page: alice (paused) before bob, 6 charts each, lists.example.org with 2 hard bounces, alice's change to paused, 2 user-unknown bounces by reason"
t_is "$("$REPGUARDCTL" -c "$CONF" show alice@example.com --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["reasons_7d"])')" \
	"{'user-unknown': 2}" "repguardctl show --json: her bounces by reason"
t_like "$("$REPGUARDCTL" -c "$CONF" show alice@example.com)" 'bounces by reason, last 7 days: user-unknown 2 \(hard\)' \
	"repguardctl show: the same, in words"
t_like "$(grep -o 'state paused">paused' "$H")" 'paused' "alice's state is shown as paused"
t_like "$(grep -c 'class="pause"' "$H")" '^[1-9][0-9]*$' "the rate charts carry the pausing threshold"

[ -x "$CHROMIUM" ]
t_ok $? "$CHROMIUM is installed (contrib/packages.sh installs chromium)"
"$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
	--user-data-dir="$T_TMP/chromium" --enable-logging=stderr --v=0 \
	--window-size=1400,1400 --screenshot="$T_TMP/report.png" "file://$H" \
	>"$T_TMP/chromium.out" 2>"$T_TMP/chromium.err"
t_ok $? "headless Chromium renders the page"
t_is "$(head -c 8 "$T_TMP/report.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a" "... and writes a screenshot (a PNG)"
t_like "$(stat -c %s "$T_TMP/report.png")" '^[0-9]{5,}$' "... of some size (10 kB or more)"
t_is "$(grep -ciE 'CONSOLE|Uncaught|ERR_FILE|Failed to load' "$T_TMP/chromium.err")" 0 \
	"no console message, no failed load"
# REPORT_SCREENSHOT=FILE keeps a copy of the screenshot
[ -z "${REPORT_SCREENSHOT:-}" ] || cp "$T_TMP/report.png" "$REPORT_SCREENSHOT"
t_done
