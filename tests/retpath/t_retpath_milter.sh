#!/bin/bash
# t_retpath_milter.sh - return-path rewriting through the milter protocol
# (tests/lib/milterclient.py as the MTA).
#
# At end of message repguard asks for SMFIR_CHGFROM with
# <rp+TOKEN@bounce.example.com> and only the RET= and ENVID= parameters of
# the original MAIL FROM (what Postfix honours); the token verifies; the
# null sender, inbound mail and mail with rewriting switched off are left
# alone; an MTA that does not allow changing the sender gets the OnError
# answer (451) rather than mail leaving with an untraceable return-path;
# a reload with other keys and prefix takes effect for new messages.
. "$TOP_SRCDIR/tests/lib/common.sh"

rg_milter_test
K1=$T_TMP/rp1.key
K2=$T_TMP/rp2.key
openssl rand -hex 32 >"$K1"
openssl rand -hex 32 >"$K2"
chmod 600 "$K1" "$K2"

write_conf() {	# write_conf PREFIX KEYFILES
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no InternalHosts 10.1.0.0/16 \
		ReturnPathDomain bounce.example.com ReturnPathPrefix "$1" \
		ReturnPathKeyFile "$2"
}

# session IP FROM [ARGS...] [-- PY-OPTIONS]: one message; prints
# "REPLY|CHGFROM-ADDRESS|CHGFROM-ARGS" (empty fields when none)
session() {
	"$PY" - "$TOP_SRCDIR/tests/lib" "$SOCK" "$@" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
import milterclient as mc
sock, ip, sender = sys.argv[2], sys.argv[3], sys.argv[4]
args = [a for a in sys.argv[5:] if a != "nochgfrom"]
actions = mc.ALL_ACTIONS & ~mc.SMFIF_CHGFROM if "nochgfrom" in sys.argv[5:] else mc.ALL_ACTIONS
msg = mc.Message.from_bytes(b"From: <a@example.com>\r\nSubject: rp\r\n\r\nbody\r\n")
res = mc.run_session(sock, msg, mc.Envelope(client_ip=ip, sender=sender,
    rcpts=["r1@example.org", "r2@example.org"], mail_args=args), actions=actions)
ch = [m for m in res.mods if m.code == "e"]
d = lambda b: b.decode() if b else ""
print("%s|%s|%s" % (res.reply.action, d(ch[0].name) if ch else "", d(ch[0].args) if ch else ""))
PYEOF
}

# token_ok ADDRESS KEYFILE PREFIX: the token of ADDRESS verifies under KEYFILE
token_ok() {
	"$PY" - "$1" "$2" "$3" <<'PYEOF'
import hmac, hashlib, sys, time
addr, keyfile, prefix = sys.argv[1:4]
key = open(keyfile, "rb").read().rstrip()
local, _, dom = addr.strip("<>").partition("@")
p, _, tok = local.partition("+")
t = bytes.fromhex(tok)
ok = (p == prefix and dom == "bounce.example.com" and len(t) == 23 and t[0] == 1 and
      hmac.new(key, b"repguard return-path token\0" + t[:13], hashlib.sha256).digest()[:10] == t[13:]
      and int.from_bytes(t[1:5], "big") > time.time() + 13 * 86400)
sys.exit(0 if ok else 1)
PYEOF
}

write_conf rp "$K1"
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }

out=$(session 10.1.2.3 alice@example.com RET=HDRS ENVID=abc123 SIZE=1000 BODY=8BITMIME)
IFS='|' read -r reply addr args <<<"$out"
t_is "$reply" continue "internal mail: accepted at end of message"
t_like "$addr" '^<rp\+[0-9a-f]{46}@bounce\.example\.com>$' "internal mail: CHGFROM <rp+TOKEN@bounce.example.com>"
t_is "$args" "RET=HDRS ENVID=abc123" "CHGFROM keeps RET= and ENVID=, drops SIZE= and BODY="
token_ok "$addr" "$K1" rp
t_ok $? "the token verifies under the key (HMAC-SHA256, 14 days)"
grep -q "return-path alice@example.com -> ${addr//[<>]/}" "$LOG"
t_ok $? "the rewrite is logged with the original sender"

out=$(session 10.1.2.3 Alice@EXAMPLE.com)
IFS='|' read -r reply addr2 args <<<"$out"
t_ok "$([ -n "$addr2" ] && [ "$addr2" != "$addr" ]; echo $?)" "another message, another token"
t_is "$args" "" "no ESMTP parameters: none passed on"

out=$(session 10.1.2.3 "<>")
t_is "$out" "continue||" "the null sender is never rewritten"
out=$(session 192.0.2.9 bob@example.net)
t_is "$out" "continue||" "inbound (external, unauthenticated) mail is not rewritten (it is read on: it may be a report)"
out=$(session 10.1.2.3 alice@example.com nochgfrom)
t_like "$out" '^tempfail\|\|' "an MTA that forbids changing the sender: OnError tempfail, not an untraceable message"

# reload: a new key first, the old one still listed; another prefix
write_conf bounces "$K2, $K1"
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "reloaded\|configuration reloaded" "$LOG"
sleep 0.2
out=$(session 10.1.2.3 alice@example.com)
IFS='|' read -r reply addr3 args <<<"$out"
token_ok "$addr3" "$K2" bounces
t_ok $? "after a reload: the new prefix and the new first key sign ($addr3)"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$LOG" 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon log"
else t_fail "no sanitizer reports in the daemon log" "$san"; fi
t_done
