#!/bin/bash
# t_doctor.sh - repguardctl check, the deliverability doctor, against a real
# DNS server the test starts (Debian's dnsmasq, loopback, a port of its own,
# stopped by pid) serving a correct set-up and a broken one.
#
# Correct (good.test): the DKIM key published, DMARC p=reject, the bounce
# domain's MX is this relay, SPF authorises the outbound address (ip4: and
# a:), its PTR resolves back and is the HELO name: every check passes, exit 0.
# Broken: a published key that is another key's, a key never published, a
# 1024-bit key, no DMARC record, DMARC p=none, a return-path domain that is
# not aligned, a null MX on the bounce domain, SPF fail, no SPF record, SPF
# past ten lookups (permerror), SPF neutral, a PTR that is not the HELO
# name, a PTR that does not resolve back, an address without PTR, three
# signing domains with no SigningAuthorization (signing): each gets
# its verdict and the fix to apply; exit 2; --json says the same.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

PY=/usr/bin/python3
DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
[ -x "$PY" ] || t_skip_all "$PY not installed"
[ -x "$DNSMASQ" ] || t_skip_all "dnsmasq (dnsmasq-base) not installed"
command -v openssl >/dev/null || t_skip_all "needs the openssl command"
t_tmpdir
PORT=$(t_free_port)
K=$T_TMP/keys
mkdir -m 700 "$K"
rp_key "$K/rp.key"
for k in good mismatch other missing; do
	(umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		-out "$K/$k.pem") >/dev/null 2>&1
done
(umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
	-out "$K/weak.pem") >/dev/null 2>&1
# txt KEY: dnsmasq's --txt-record value of that key's DKIM record, in
# strings of at most 200 octets (on the command line dnsmasq takes commas
# between strings, and quotes literally)
txt() {
	"$REPGUARDCTL" dkim-record "$K/$1.pem" | "$PY" -c 'import sys
r = sys.stdin.read().strip(); print(",".join(r[i:i + 200] for i in range(0, len(r), 200)))'
}

# weak.test's SPF includes l1.test, which includes l2.test, ... l12.test:
# more than the ten DNS lookups SPF allows
CHAIN=()
for i in $(seq 1 11); do CHAIN+=("--txt-record=l$i.test,v=spf1 include:l$((i + 1)).test ?all"); done
"$DNSMASQ" --no-daemon --port="$PORT" --listen-address=127.0.0.1 --bind-interfaces \
	--no-resolv --no-hosts --pid-file= --user=root --local-ttl=60 \
	--local=/test/ --local=/2.0.192.in-addr.arpa/ \
	--txt-record="good._domainkey.good.test,$(txt good)" \
	--txt-record="_dmarc.good.test,v=DMARC1; p=reject; rua=mailto:d@good.test" \
	--mx-host=bounce.good.test,mail.good.test,10 \
	--host-record=mail.good.test,192.0.2.5 \
	--ptr-record=5.2.0.192.in-addr.arpa,mail.good.test \
	--txt-record="good.test,v=spf1 ip4:192.0.2.5 -all" \
	--txt-record="bounce.good.test,v=spf1 a:mail.good.test -all" \
	--txt-record="mismatch.test,v=spf1 ip4:198.51.100.1 -all" \
	--txt-record="bounce.bad.test,v=spf1 ?all" \
	--txt-record="weak.test,v=spf1 include:l1.test -all" \
	"${CHAIN[@]}" \
	--txt-record="mis._domainkey.mismatch.test,$(txt other)" \
	--txt-record="weak._domainkey.weak.test,$(txt weak)" \
	--txt-record="_dmarc.weak.test,v=DMARC1; p=none" \
	--txt-record="_dmarc.mismatch.test,v=DMARC1; p=quarantine" \
	--mx-host=bounce.bad.test,.,0 \
	--ptr-record=6.2.0.192.in-addr.arpa,other.bad.test \
	--host-record=other.bad.test,192.0.2.6 \
	--ptr-record=7.2.0.192.in-addr.arpa,elsewhere.bad.test \
	--host-record=elsewhere.bad.test,192.0.2.77 \
	>"$T_TMP/dnsmasq.log" 2>&1 &
DNS_PID=$!
t_track "$DNS_PID"
dns_up() { "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.3)
s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04good\x04test\x00\x00\x0f\x00\x01", ("127.0.0.1", int(sys.argv[1])))
s.recv(512)' "$PORT" 2>/dev/null; }
t_wait_for 10 dns_up
t_ok $? "dnsmasq answers on 127.0.0.1:$PORT"

# --- correct ---------------------------------------------------------------------------------
rg_conf "$T_TMP/good.conf" Socket "unix:$T_TMP/rg.sock" DatabasePath "$T_TMP/db" \
	Domain good.test Selector good KeyFile "$K/good.pem" \
	ReturnPathDomain bounce.good.test ReturnPathKeyFile "$K/rp.key"
out=$("$REPGUARDCTL" -c "$T_TMP/good.conf" check --nameserver "127.0.0.1:$PORT" \
	--address 192.0.2.5 --helo mail.good.test)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
t_is "$rc" 0 "a correct set-up: exit 0"
t_is "$(printf '%s\n' "$out" | cut -c1-22 | sed 's/ *$//' | tr '\n' '|')" \
	"pass  dkim     good._d|pass  signing  -: sign|pass  dmarc    good.te|pass  bounces  bounce.|pass  spf      bounce.|pass  spf      good.te|pass  rdns     192.0.2|7 passed, 0 warnings,|" \
	"... dkim, signing, dmarc, bounces, spf (return-path and From domain) and rdns pass"
t_like "$out" "pass  signing  -: signing for one domain \(good.test\) only" \
	"signing: one signing domain needs no authorisation"
t_like "$out" "pass  dkim     good._domainkey.good.test: the published key matches key good.test \(rsa-sha256, 2048 bits\)" \
	"dkim: the published key matches, with its algorithm and size"
t_like "$out" "pass  dmarc    good.test: _dmarc.good.test: policy p=reject; DKIM \(d=good.test\) and the return-path domain bounce.good.test align" \
	"dmarc: the policy shown, the return-path domain aligned"
t_like "$out" "pass  bounces  bounce.good.test: MX 10 mail.good.test: bounces come back to this relay" "bounces: the MX is this relay"
t_like "$out" "pass  spf      bounce.good.test for 192.0.2.5: pass: the SPF record of bounce.good.test authorises 192.0.2.5" \
	"spf: evaluated (a: mechanism through the doctor's DNS)"
t_like "$out" "pass  rdns     192.0.2.5: PTR mail.good.test resolves back to 192.0.2.5 and is the HELO name" "rdns: forward-confirmed and the HELO name"

# --- detected: the HELO name from Postfix, the addresses from this host ----------------------
mkdir -p "$T_TMP/pfconf"
printf 'myhostname = mail.good.test\n' >"$T_TMP/pfconf/main.cf"
json=$(MAIL_CONFIG=$T_TMP/pfconf "$REPGUARDCTL" -c "$T_TMP/good.conf" check \
	--nameserver "127.0.0.1:$PORT" --json)
t_is "$(printf '%s' "$json" | "$PY" -c 'import json, sys
d = json.load(sys.stdin)
print([c["verdict"] for c in d["checks"] if c["check"] == "bounces"])')" "['pass']" \
	"without --helo: Postfix's HELO name (postconf, myhostname mail.good.test) is the MX the bounce domain names"
want=$(echo $(for a in $(hostname -I 2>/dev/null); do case $a in 127.*|169.254.*|::1|fe80:*) ;; *) echo "$a" ;; esac; done | LC_ALL=C sort -u))
t_is "$(printf '%s' "$json" | "$PY" -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted({c["subject"] for c in d["checks"] if c["check"] == "rdns"} - {"-"})))')" "$want" \
	"without --address: this host's addresses (not loopback or link-local) are checked: $want"

# --- broken ----------------------------------------------------------------------------------------
printf 'mis mismatch.test:mis:%s\nmiss missing.test:miss:%s\nweak weak.test:weak:%s\n' \
	"$K/mismatch.pem" "$K/missing.pem" "$K/weak.pem" >"$T_TMP/keytable"
printf '*@mismatch.test mis\n*@missing.test miss\n*@weak.test weak\n' >"$T_TMP/signingtable"
rg_conf "$T_TMP/bad.conf" Socket "unix:$T_TMP/rg.sock" DatabasePath "$T_TMP/db" \
	KeyTable "$T_TMP/keytable" SigningTable "refile:$T_TMP/signingtable" \
	ReturnPathDomain bounce.bad.test ReturnPathKeyFile "$K/rp.key"
out=$("$REPGUARDCTL" -c "$T_TMP/bad.conf" check --nameserver "127.0.0.1:$PORT" \
	--address 192.0.2.6 --address 192.0.2.7 --address 192.0.2.8 --helo mail.bad.test)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
t_is "$rc" 2 "a broken set-up: exit 2"
line() { printf '%s\n' "$out" | grep -A1 -F "$1" | tr '\n' ' '; }
t_like "$(line 'mis._domainkey.mismatch.test')" "^fail  dkim .*the published key is not the public half of key mis .* fix: publish mis\._domainkey\.mismatch\.test\. IN TXT \"v=DKIM1; k=rsa; p=$("$REPGUARDCTL" dkim-record "$K/mismatch.pem" | sed 's/.*p=//' | cut -c1-40)" \
	"dkim: another key published: fail, fix: the record of this key"
t_like "$(line 'miss._domainkey.missing.test')" "^fail  dkim .*no DKIM record is published.* fix: publish miss\._domainkey\.missing\.test\. IN TXT \"v=DKIM1; k=rsa; p=" \
	"dkim: not published: fail, fix: the record to publish"
t_like "$(line 'weak._domainkey.weak.test')" "^warn  dkim .*an RSA key of 1024 bits .* fix: make a 2048-bit key" \
	"dkim: a 1024-bit key: warn, fix: a 2048-bit key"
t_like "$(line 'dmarc    missing.test')" "^fail  dmarc .*no DMARC record .* fix: publish _dmarc\.missing\.test\. IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@missing\.test\"" \
	"dmarc: missing: fail, fix: a record to start with"
t_like "$(line 'dmarc    weak.test')" "^warn  dmarc .*policy p=none \(monitoring only\).* fix: once the reports show your mail aligned, publish p=quarantine" \
	"dmarc: p=none: warn"
t_like "$(line 'dmarc    mismatch.test')" "^warn  dmarc .*p=quarantine; the return-path domain bounce\.bad\.test does not align with mismatch\.test.* fix: use a bounce domain under mismatch\.test" \
	"dmarc: a return-path domain not aligned: warn, fix: a bounce domain under the From domain"
t_like "$(line 'bounces  bounce.bad.test')" "^fail  bounces .*null MX \(RFC 7505\).* fix: publish bounce\.bad\.test\. IN MX 10 mail\.bad\.test\." \
	"bounces: a null MX: fail, fix: an MX naming this relay"
t_like "$(line 'rdns     192.0.2.6')" "^warn  rdns .*PTR other\.bad\.test resolves back, but the HELO name is mail\.bad\.test.* fix: set the MTA's HELO name to other\.bad\.test \(Postfix: smtp_helo_name = other\.bad\.test\)" \
	"rdns: PTR is not the HELO name: warn, fix: the HELO name or the PTR"
t_like "$(line 'rdns     192.0.2.7')" "^fail  rdns .*elsewhere\.bad\.test does not resolve back to 192\.0\.2\.7.* fix: publish elsewhere\.bad\.test\. IN A 192\.0\.2\.7" \
	"rdns: a PTR that does not resolve back: fail"
t_like "$(line 'rdns     192.0.2.8')" "^fail  rdns .*no PTR record.* fix: ask the owner of 192\.0\.2\.8's network .* 8\.2\.0\.192\.in-addr\.arpa\. IN PTR mail\.bad\.test\." \
	"rdns: no PTR: fail, fix: the PTR to ask for"
t_like "$(line 'spf      mismatch.test for 192.0.2.6')" "^fail  spf .*fail: the SPF record of mismatch\.test does not authorise 192\.0\.2\.6 .* fix: add ip4:192\.0\.2\.6 to the SPF record of mismatch\.test" \
	"spf: fail, fix: add the address"
t_like "$(line 'spf      missing.test for 192.0.2.6')" "^fail  spf .*none: missing\.test publishes no SPF record .* fix: publish missing\.test\. IN TXT \"v=spf1 ip4:192\.0\.2\.6 -all\"" \
	"spf: no record: fail, fix: a record"
t_like "$(line 'spf      weak.test for 192.0.2.6')" "^fail  spf .*permerror: .* fix: .*at most 10 DNS lookups" \
	"spf: more than ten lookups: permerror, fix: fewer lookups"
t_like "$(line 'spf      bounce.bad.test for 192.0.2.6')" "^warn  spf .*neutral" "spf: neutral: warn"
t_like "$(line 'signing  -')" "^warn  signing  -: signing for mismatch\.test, missing\.test, weak\.test, and every client may be signed for every one of them .* fix: list who may use each domain: SigningAuthorization FILE" \
	"signing: three signing domains and no SigningAuthorization or SenderLoginMap: warn"
t_like "$out" "[0-9]+ passed, 8 warnings, 15 failed$" "the summary line counts them"

json=$("$REPGUARDCTL" -c "$T_TMP/bad.conf" check --nameserver "127.0.0.1:$PORT" \
	--address 192.0.2.6 --address 192.0.2.7 --address 192.0.2.8 --helo mail.bad.test --json)
t_is "$?-$(printf '%s' "$json" | "$PY" -c 'import json, sys; d = json.load(sys.stdin)
print(d["failed"], d["warnings"], sorted({c["check"] for c in d["checks"] if c["verdict"] == "fail"}),
      all(c["fix"] for c in d["checks"] if c["verdict"] != "pass"))')" \
	"2-15 8 ['bounces', 'dkim', 'dmarc', 'rdns', 'spf'] True" "--json: the same verdicts, each with its fix"

t_is "$("$REPGUARDCTL" -c "$T_TMP/good.conf" check --nameserver 127.0.0.1:1 --address 192.0.2.5 \
	--helo mail.good.test | grep -Ec '^warn .*(DNS did not answer|temperror)')" 6 \
	"a DNS server that does not answer: warnings, never a pass"
kill -TERM "$DNS_PID"; wait "$DNS_PID" 2>/dev/null; t_untrack "$DNS_PID"
t_done
