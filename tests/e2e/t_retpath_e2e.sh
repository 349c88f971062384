#!/bin/bash
# t_retpath_e2e.sh - return-path rewriting through a real Postfix.
#
# A private Postfix (tests/lib/postfix.sh) with repguard as its milter relays
# to smtp-sink.  repguard has ReturnPathDomain bounce.example.com and a
# secret key; ReturnPathSenders limits rewriting to example.com.  Checks:
#   (a) internal mail from alice@example.com reaches the sink with MAIL FROM
#       rp+TOKEN@bounce.example.com (46 hex characters), the token's MAC is
#       the HMAC-SHA256 of the key (checked here with Python's hmac, not
#       with repguard's code), its expiry is 14 days ahead, and repguard
#       logged the rewrite under Postfix's queue id;
#   (b) two messages get two different tokens;
#   (c) the null sender, a sender outside ReturnPathSenders and external
#       unauthenticated mail keep their envelope sender;
#   (d) the message itself is untouched (headers and body).
# Needs root, postfix, smtp-sink, swaks and /usr/bin/python3 (else skipped).

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"

pf_require

t_tmpdir
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/repguard.sock
RGLOG=$T_TMP/repguard.log
INTERNAL=10.1.2.3
EXTERNAL=192.0.2.9
KEY=$T_TMP/rp.key
openssl rand -hex 32 >"$KEY"
chmod 600 "$KEY"

mkmsg() {	# mkmsg ID FROM: a small message
	_f=$T_TMP/msg.$1
	printf 'From: <%s>\nTo: <r@example.org>\nSubject: rp %s\nX-Test-Id: %s\n\nbody %s\n' \
		"$2" "$1" "$1" "$1" >"$_f"
	printf '%s' "$_f"
}
send() {	# send ID FROM [pf_send options]
	_id=$1 _from=$2; shift 2
	pf_send --name "$_id" "$@" --from "$_from" --to r@example.org \
	    --data "@$(mkmsg "$_id" "$([ "$_from" = "<>" ] && echo mailer-daemon@example.com || echo "$_from")")"
}
# mail_from ID: the address of the sink's X-Mail-Args: for message ID
mail_from() {
	_dump=$(sink_grep "^X-Test-Id: $1\$" | head -n 1)
	[ -n "$_dump" ] || return 1
	sed -n 's/^X-Mail-Args: <\([^>]*\)>.*/\1/p' "$_dump" | head -n 1
}

rg_conf "$CONF" \
	Socket "unix:$SOCK" \
	UMask 000 \
	DatabasePath "$T_TMP/db" \
	InternalHosts 10.1.0.0/16 \
	CommitInterval 10 \
	Syslog no \
	ReturnPathDomain bounce.example.com \
	ReturnPathKeyFile "$KEY" \
	ReturnPathSenders example.com
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "repguard -n accepts the return-path configuration"
pf_setup
pf_bed "$CONF" "$RGLOG"

send a1 alice@example.com --addr "$INTERNAL"
send a2 alice@example.com --addr "$INTERNAL"
send n1 "<>" --addr "$INTERNAL"
send o1 bob@other.example --addr "$INTERNAL"
send x1 dave@example.com --addr "$EXTERNAL"
sink_wait 5
t_is "$(sink_count)" 5 "the sink received the 5 messages"

# --- (a) the rewritten return-path ---------------------------------------------
rp1=$(mail_from a1)
t_like "$rp1" '^rp\+[0-9a-f]{46}@bounce\.example\.com$' \
	"(a) alice@example.com's mail left with MAIL FROM rp+TOKEN@bounce.example.com"
now=$(date +%s)
out=$(/usr/bin/python3 - "$KEY" "${rp1:-x}" "$now" <<'PYEOF'
import hmac, hashlib, sys
key = open(sys.argv[1], "rb").read().rstrip()
tok = sys.argv[2].split("+", 1)[-1].split("@")[0]
now = int(sys.argv[3])
try:
    t = bytes.fromhex(tok)
except ValueError:
    sys.exit("not hex: %r" % tok)
if len(t) != 23 or t[0] != 1:
    sys.exit("length %d, version %d" % (len(t), t[0] if t else -1))
mac = hmac.new(key, b"repguard return-path token\0" + t[:13], hashlib.sha256).digest()[:10]
if mac != t[13:]:
    sys.exit("MAC does not match")
exp = int.from_bytes(t[1:5], "big")
if abs(exp - (now + 14 * 86400)) > 120:
    sys.exit("expiry %d is not now + 14 days (%d)" % (exp, now + 14 * 86400))
print("MAC ok, expires in %.2f days" % ((exp - now) / 86400))
PYEOF
)
t_ok $? "(a) the token's MAC is HMAC-SHA256 under the key, expiry 14 days ahead: $out"
dump=$(sink_grep '^X-Test-Id: a1$' | head -n 1)
qid=$(sed -n 's/^[[:space:]]*by mta\.repguard\.test (Postfix) with ESMTP id \([0-9A-F]\{6,\}\).*/\1/p' \
	"${dump:-/dev/null}" | head -n 1)
t_wait_for 3 grep -q "return-path alice@example.com -> $rp1" "$RGLOG"
if [ -n "$qid" ] && grep -Fq " $qid: return-path alice@example.com -> $rp1" "$RGLOG"; then
	t_pass "(a) repguard logged the rewrite under Postfix's queue id $qid"
else
	t_fail "(a) repguard logged the rewrite under Postfix's queue id" "qid '$qid', rp '$rp1'" \
		"$(grep return-path "$RGLOG" | tail -n 3)"
fi

# --- (b) one token per message -----------------------------------------------------
rp2=$(mail_from a2)
if [ -n "$rp2" ] && [ "$rp2" != "$rp1" ] && printf '%s' "$rp2" | grep -Eq '^rp\+[0-9a-f]{46}@bounce\.example\.com$'; then
	t_pass "(b) alice's second message got a token of its own"
else
	t_fail "(b) alice's second message got a token of its own" "first '$rp1', second '$rp2'"
fi

# --- (c) what is not rewritten -------------------------------------------------------
t_is "$(mail_from n1)" "" "(c) the null sender stays <>"
t_is "$(mail_from o1)" "bob@other.example" "(c) a sender outside ReturnPathSenders keeps its return-path"
t_is "$(mail_from x1)" "dave@example.com" "(c) external unauthenticated mail keeps its return-path"

# --- (d) the message is untouched ----------------------------------------------------
dump=$(sink_grep '^X-Test-Id: a1$' | head -n 1)
out=$(msg_intact "$T_TMP/msg.a1" "${dump:-/dev/null}")
t_ok $? "(d) the rewritten message arrived with headers and body intact${out:+: $out}"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
t_done
