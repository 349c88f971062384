#!/bin/bash
# t_dkim_select.sh - which keys sign, which header fields are signed, and
# what happens when signing fails; every signature checked by python3-dkim.
#
#   - OnNoKey default: a From: domain without a key is signed with DefaultKey;
#   - SigningDomainFrom envelope: the envelope sender, not From:, picks the key;
#   - the default SignHeaders list signs List-Unsubscribe, List-Unsubscribe-Post,
#     Feedback-ID, Reply-To... when present, and not other fields; From is
#     oversigned; a custom SignHeaders list replaces the default;
#   - a SigningTable signer (KEYNAME:SIGNER) becomes i=;
#   - a message whose header section is too large to sign gets the OnError
#     action: 451 4.3.0 (tempfail) or delivered unsigned (accept).
. "$TOP_SRCDIR/tests/lib/common.sh"

PY=/usr/bin/python3
[ -x "$PY" ] && "$PY" -c 'import dkim, nacl' 2>/dev/null || t_skip_all "needs python3-dkim and python3-nacl"
command -v openssl >/dev/null || t_skip_all "needs openssl"
MC=$TOP_SRCDIR/tests/lib/milterclient.py
VF=$TOP_SRCDIR/tests/dkim/verify.py
t_tmpdir
K=$T_TMP/keys
mkdir -m 0700 "$K"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/com.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$K/def.pem" 2>/dev/null
chmod 600 "$K"/*.pem
printf 'v=DKIM1; k=rsa; p=%s\n' "$(openssl pkey -in "$K/com.pem" -pubout -outform DER | base64 -w0)" >"$K/com.txt"
printf 'v=DKIM1; k=ed25519; p=%s\n' "$(openssl pkey -in "$K/def.pem" -pubout -outform DER | tail -c 32 | base64 -w0)" >"$K/def.txt"
VKEYS=(--key "s1._domainkey.example.com=$K/com.txt" --key "fallback._domainkey.relay.example=$K/def.txt")

CONF=$T_TMP/rg.conf
SOCK=$T_TMP/rg.sock
start() {	# start NAME KEY VALUE...: a fresh daemon with these extra lines
	[ -n "${RG_PID:-}" ] && rg_stop TERM
	_name=$1; shift
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" Syslog no \
	    InternalHosts 10.1.0.0/16 "$@"
	LOG=$T_TMP/rg.$_name.log
	rg_start "$CONF" "$LOG" || { echo "Bail out! repguard did not start ($_name): $(tail -n 5 "$LOG")"; exit 1; }
}
# send FROM-ENVELOPE MSGFILE: through the daemon; sets REPLY and OUT
send() {
	OUT=$T_TMP/out.$T_N
	REPLY=$("$PY" "$MC" --socket "$SOCK" --client-ip 10.1.2.3 --from "$1" \
	    --rcpt '<to@example.net>' --message "$2" --out "$OUT" 2>&1)
}
verify() { "$PY" "$VF" "${VKEYS[@]}" "$@" 2>&1; }
msg() {	# msg FILE FROM [EXTRA HEADER LINES...]
	_f=$1 _from=$2; shift 2
	{ printf 'From: %s\r\nTo: to@example.net\r\nSubject: select test\r\n' "$_from"
	  printf 'Date: Sat, 28 Nov 2026 05:00:00 +0000\r\nMessage-ID: <%s@example.com>\r\n' "$RANDOM"
	  for h in "$@"; do printf '%s\r\n' "$h"; done
	  printf '\r\nbody line\r\n'; } >"$_f"
}

# --- OnNoKey default -------------------------------------------------------------
printf '%s\n' "com example.com:s1:$K/com.pem" "def relay.example:fallback:$K/def.pem" >"$T_TMP/KeyTable"
printf '%s\n' "*@example.com com" >"$T_TMP/SigningTable"
start default KeyTable "file:$T_TMP/KeyTable" SigningTable "refile:$T_TMP/SigningTable" \
    OnNoKey default DefaultKey def
msg "$T_TMP/m1" "Carol <carol@example.org>"
send '<carol@example.org>' "$T_TMP/m1"
v=$(verify --expect 1 "$OUT")
t_like "$v" "d=relay\\.example s=fallback a=ed25519-sha256 .*result=pass" \
    "OnNoKey default: a domain without a key is signed with DefaultKey (d=relay.example)"
msg "$T_TMP/m2" "alice@example.com"
send '<alice@example.com>' "$T_TMP/m2"
v=$(verify --expect 1 "$OUT")
t_like "$v" "d=example\\.com s=s1 a=rsa-sha256 .*result=pass" \
    "OnNoKey default: a domain with a key still gets its own key only"

# --- a SigningTable signer becomes i= ------------------------------------------------
printf '%s\n' "*@example.com com:@news.example.com" >"$T_TMP/SigningTable"
start signer KeyTable "file:$T_TMP/KeyTable" SigningTable "refile:$T_TMP/SigningTable"
send '<alice@example.com>' "$T_TMP/m2"
t_like "$(tr -d '\r\n\t ' <"$OUT" | grep -o 'i=@news.example.com;')" "i=@news\\.example\\.com;" \
    "SigningTable KEYNAME:SIGNER: the signer is the signature's i="
t_like "$(verify --expect 1 "$OUT")" "result=pass" "and the signature with i= verifies"

# --- SigningDomainFrom envelope ------------------------------------------------------
start envelope Domain example.com Selector s1 KeyFile "$K/com.pem" SigningDomainFrom envelope
msg "$T_TMP/m3" "Someone <someone@example.org>"
send '<bounce@example.com>' "$T_TMP/m3"
t_like "$(verify --expect 1 "$OUT")" "d=example\\.com s=s1 .*result=pass" \
    "SigningDomainFrom envelope: the envelope sender's domain picks the key"
send '<bounce@example.org>' "$T_TMP/m2"
t_like "$(verify --expect 0 "$OUT")" "signatures=0" \
    "SigningDomainFrom envelope: an envelope sender without a key is not signed, whatever From: says"

# --- signed header fields --------------------------------------------------------------
start headers Domain example.com Selector s1 KeyFile "$K/com.pem"
msg "$T_TMP/m4" "alice@example.com" "Reply-To: help@example.com" \
    "List-Unsubscribe: <https://example.com/u>" "List-Unsubscribe-Post: List-Unsubscribe=One-Click" \
    "Feedback-ID: c1:list:example" "X-Mailer: not signed"
send '<alice@example.com>' "$T_TMP/m4"
v=$(verify --expect 1 "$OUT")
h=$(printf '%s\n' "$v" | sed -n 's/.* h=\([^ ]*\) .*/\1/p' | head -n1)
for f in From To Subject Date Message-ID Reply-To List-Unsubscribe List-Unsubscribe-Post Feedback-ID; do
	printf '%s\n' "$h" | tr ':' '\n' | grep -qix "$f" && ok=0 || ok=1
	t_ok "$ok" "default SignHeaders: $f is signed when present (h=$h)"
done
printf '%s\n' "$h" | tr ':' '\n' | grep -qix "X-Mailer" && ok=1 || ok=0
t_ok "$ok" "default SignHeaders: X-Mailer is not signed"
t_is "$(printf '%s\n' "$h" | tr ':' '\n' | grep -cix from)" 2 "OversignHeaders From: From is listed once more than present"
t_like "$v" "result=pass" "the signature over all of them verifies"
# Adding a second From: after signing must break it (the oversigning's point).
awk 'BEGIN{d=0} /^\r?$/ && !d {print "From: mallory@example.net\r"; d=1} {print}' "$OUT" >"$OUT.added"
t_like "$(verify "$OUT.added")" "result=fail" "a From: added after signing breaks the signature"

start custom Domain example.com Selector s1 KeyFile "$K/com.pem" SignHeaders "From, Subject" \
    OversignHeaders "From"
send '<alice@example.com>' "$T_TMP/m4"
v=$(verify --expect 1 "$OUT")
t_like "$v" " h=From:Subject:From .*result=pass" "SignHeaders From, Subject: exactly those (From oversigned), verified"

# --- signing fails: OnError ------------------------------------------------------------
big=$T_TMP/big
{ printf 'From: alice@example.com\r\nTo: to@example.net\r\nSubject: many fields\r\n'
  for i in $(seq 1 1005); do printf 'X-Field-%d: %d\r\n' "$i" "$i"; done
  printf '\r\nbody\r\n'; } >"$big"
start onerror Domain example.com Selector s1 KeyFile "$K/com.pem"
send '<alice@example.com>' "$big"
t_like "$REPLY" "451 4\\.3\\.0" "a header section too large to sign: OnError tempfail (451 4.3.0)"
t_like "$(cat "$LOG")" "signing failed: header section too large.*temporary failure \\(OnError tempfail\\)" \
    "and the log says why"
start onerror-accept Domain example.com Selector s1 KeyFile "$K/com.pem" OnError accept
send '<alice@example.com>' "$big"
t_like "$REPLY" "accept|continue" "OnError accept: the message is delivered"
t_like "$(verify --expect 0 "$OUT")" "signatures=0" "OnError accept: unsigned, as the operator chose"

rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"
t_is "$(grep -hEi 'panic|fatal|sanitizer|runtime error' "$T_TMP"/rg.*.log)" "" "no panic or sanitizer report"
t_done
