#!/bin/bash
# t_rp_dns.sh - ReturnPathCheck: without rewriting, the return-path domain
# must be able to receive bounces, asked of a real DNS server this test
# starts (Debian's dnsmasq, loopback, a port of its own, stopped by pid).
#
# MX, A-only and AAAA-only domains pass; a null MX (RFC 7505) and a domain
# that does not exist get 550 5.1.8 with the reason; the null sender is not
# checked; answers are cached (with the DNS server stopped a known domain
# still passes) while a new domain then gets OnDNSError: 451 4.4.3 with
# tempfail, accepted with accept; DNSServer is checked at load.
. "$TOP_SRCDIR/tests/lib/common.sh"

PY=/usr/bin/python3
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
[ -x "$PY" ] || t_skip_all "$PY not installed"
[ -x "$DNSMASQ" ] || t_skip_all "dnsmasq (dnsmasq-base) not installed"
t_tmpdir
SOCK=$T_TMP/rg.sock
CONF=$T_TMP/rg.conf
LOG=$T_TMP/rg.log
PORT=$(t_free_port)

"$DNSMASQ" --no-daemon --port="$PORT" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --pid-file= --user=root --local-ttl=300 --local=/example/ \
	--mx-host=mx.example,mail.mx.example,10 --host-record=mail.mx.example,192.0.2.1 \
	--host-record=aonly.example,192.0.2.2 --host-record=aaaa.example,2001:db8::2 \
	--mx-host=nullmx.example,.,0 >"$T_TMP/dnsmasq.log" 2>&1 &
DNS_PID=$!
t_track "$DNS_PID"
dns_up() { "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x02mx\x07example\x00\x00\x0f\x00\x01", ("127.0.0.1", int(sys.argv[1])))
s.recv(512)' "$PORT" 2>/dev/null; }
t_wait_for 10 dns_up
t_ok $? "dnsmasq answers on 127.0.0.1:$PORT"

write_conf() {	# write_conf ONDNSERROR [DNSSERVER]
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
		ReturnPathCheck yes DNSServer "${2:-127.0.0.1:$PORT}" OnDNSError "$1"
}
# mail FROM: "CODE TEXT" of the MAIL FROM reply of an internal client
mail() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$1" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
with mc.MilterClient(sys.argv[2]) as cl:
    cl.negotiate()
    cl.macros.update({"client_addr": "10.1.2.3"})
    cl.connect("client.example", "10.1.2.3")
    r = cl.mail(sys.argv[3])
    print(r.code, r.text)
PYEOF
}

write_conf tempfail "127.0.0.1:99999"
t_like "$("$REPGUARD" -n -c "$CONF" 2>&1)" "^$CONF:[0-9]+: DNSServer: expected IPv4-ADDRESS\\[:PORT\\]" \
	"a bad DNSServer is a configuration error at its line"
write_conf tempfail
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

t_is "$(mail alice@mx.example)" "c " "a domain with an MX: accepted"
t_is "$(mail bob@aonly.example)" "c " "no MX but an A record: accepted"
t_is "$(mail carol@aaaa.example)" "c " "no MX but an AAAA record: accepted"
t_like "$(mail dave@nullmx.example)" '^y 550 5\.1\.8 repguard: the sender.s domain cannot receive bounces: domain nullmx\.example has a null MX \(RFC 7505\)' \
	"a null MX: 550 5.1.8 naming it"
t_like "$(mail erin@nx.example)" '^y 550 5\.1\.8 .*domain nx\.example does not exist' "a domain that does not exist: 550 5.1.8"
t_is "$(mail "<>")" "c " "the null sender is not checked"
grep -q "refused: return-path dave@nullmx.example cannot receive bounces" "$LOG"
t_ok $? "the refusal is logged"

# stop the DNS server: cached answers still hold, new domains get OnDNSError
kill -TERM "$DNS_PID"; wait "$DNS_PID" 2>/dev/null; t_untrack "$DNS_PID"
t_is "$(mail alice@mx.example)" "c " "DNS down: a domain checked before is answered from the cache"
t_like "$(mail frank@new.example)" '^y 451 4\.4\.3 repguard: DNS did not answer for new\.example' \
	"DNS down, a new domain: 451 4.4.3 (OnDNSError tempfail)"
write_conf accept
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$LOG"
t_is "$(mail frank@new.example)" "c " "DNS down, OnDNSError accept: accepted"
t_wait_for 3 grep -q "DNS did not answer for new.example within 5 s (OnDNSError accept)" "$LOG"
t_ok $? "... with a log line"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
t_done
