#!/bin/bash
# t_dns_slow_e2e.sh - behind a real Postfix, return-path checks against a
# DNS server that never answers: SMTP clients get the configured action
# within the configured timeout, and no thread is left stuck.
#
# A private Postfix (tests/lib/postfix.sh) with repguard as its milter
# relays to smtp-sink.  repguard checks senders' domains (ReturnPathCheck
# yes) against a "black hole" (a UDP socket that reads queries and answers
# nothing), DNSTimeout 2s.  Six SMTP clients at once, each with a sender
# at a domain of its own:
#   - OnDNSError tempfail: each gets Postfix's 451 4.4.3 for its MAIL FROM,
#     with repguard's reason naming the domain and the 2 s, not before
#     1.5 s and within 5.5 s of sending it, and the six side by side (under
#     10 s in all; in turn they would take 12); nothing reaches the sink;
#   - OnDNSError accept (reload): each message is accepted (its MAIL FROM
#     answered 250 after the timeout, within 5.5 s) and reaches the sink.
#     Seen: 2.00-2.01 s each on an idle machine.  The margin is for a busy
#     one: libmilter runs callbacks on a pool of workers that grows when
#     all are busy (here, waiting for DNS), and a new worker can take a
#     second or two to come (tests/fault/t_dns_slow.sh has the tighter
#     bounds, without Postfix in between);
#   - afterwards repguard has no more threads than before the checks, and
#     stops with status 0.
# Needs root, postfix, smtp-sink and /usr/bin/python3 (else skipped).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

pf_require
e2e_init
HOLE_PORT=$(t_free_port)
"$PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recvfrom(4096)' "$HOLE_PORT" >/dev/null 2>&1 &
t_track $!

write_conf() {	# write_conf ONDNSERROR
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 10 Syslog no InternalHosts 127.0.0.0/8 \
		ReturnPathCheck yes DNSServer "127.0.0.1:$HOLE_PORT" \
		DNSTimeout 2s OnDNSError "$1"
}
write_conf tempfail
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "the configuration is valid"
pf_setup
pf_bed "$CONF" "$RGLOG"
threads() { awk '/^Threads:/ { print $2 }' "/proc/$RG_PID/status"; }

# smtp DOMAIN...: one SMTP client per domain at once, each sending one
# message from dns@DOMAIN; prints "SECONDS CODE TEXT" per client (SECONDS:
# from MAIL FROM to its reply; CODE TEXT: the MAIL FROM reply, or that of
# the final dot when MAIL FROM was taken), then "all SECONDS"
smtp() {
	"$PY" - "$PF_PORT" "$@" <<'PYEOF'
import smtplib, sys, threading, time
port, out = int(sys.argv[1]), {}
def one(i, domain):
    s = smtplib.SMTP("127.0.0.1", port, timeout=30)
    s.ehlo("dns.example")
    t0 = time.monotonic()
    code, text = s.mail("dns@" + domain)
    took = time.monotonic() - t0
    if code == 250:
        s.rcpt("rcpt@example.net")
        code, text = s.data(b"From: <dns@" + domain.encode() +
                            b">\r\nSubject: dns\r\nX-Dns-Test: " +
                            domain.encode() + b"\r\n\r\nbody\r\n")
    s.quit()
    out[i] = "%.2f %s %s" % (took, code, text.decode(errors="replace"))
t0 = time.monotonic()
ts = [threading.Thread(target=one, args=(i, d)) for i, d in enumerate(sys.argv[2:])]
for t in ts: t.start()
for t in ts: t.join()
for i in range(len(ts)): print(out.get(i, "none"))
print("all %.2f" % (time.monotonic() - t0))
PYEOF
}

sleep 0.5
BASE=$(threads)
out=$(smtp one.example two.example three.example four.example five.example six.example)
echo "$out" | sed 's/^/# /'
t_is "$(printf '%s\n' "$out" | grep -c '^[0-9.]* 451 4\.4\.3 repguard: DNS did not answer for [a-z]*\.example within 2 s')" 6 \
	"OnDNSError tempfail: six SMTP clients at once each get 451 4.4.3 for MAIL FROM, naming the 2 s"
t_within "$out" 1.5 5.5
t_ok $? "... each after the 2 s timeout, within 5.5 s"
all=$(printf '%s\n' "$out" | sed -n 's/^all //p')
t_ok "$(awk -v a="$all" 'BEGIN { exit !(a < 10) }'; echo $?)" \
	"... side by side ($all s in all)"
t_ok "$(sink_quiet 0 1; echo $?)" "... and nothing reached the sink"

write_conf accept
lines=$(wc -l <"$RGLOG")
kill -HUP "$RG_PID"
t_wait_for 15 sh -c "tail -n +$((lines + 1)) '$RGLOG' | grep -q 'configuration reloaded'"
out=$(smtp seven.example eight.example nine.example)
echo "$out" | sed 's/^/# /'
t_is "$(printf '%s\n' "$out" | grep -c '^[0-9.]* 250 ')" 3 \
	"OnDNSError accept: three SMTP clients at once each get their message accepted"
t_within "$out" 1.5 5.5
t_ok $? "... MAIL FROM answered after the timeout, within 5.5 s"
sink_wait 3 15
t_is "$(sink_files | xargs -r grep -l '^X-Dns-Test: ' | wc -l)" 3 "... and the three reached the sink"

sleep 0.5
t_ok "$([ "$(threads)" -le "$BASE" ]; echo $?)" \
	"no thread left behind ($(threads) threads, $BASE before the checks)"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops with status 0"
t_done
