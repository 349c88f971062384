#!/bin/bash
# t_dkim_e2e.sh - DKIM signing end to end: a private Postfix
# (tests/lib/postfix.sh) with repguard as its milter relays to smtp-sink;
# swaks submits mail posing, by XCLIENT, as an internal client (10.1.2.3),
# an authenticated one (LOGIN alice from 192.0.2.9) or an external one
# (192.0.2.9).  Each message smtp-sink dumped is cut back to what Postfix
# sent (smtp-sink's envelope pseudo-headers X-Client-Addr: ... X-Rcpt-Args:,
# its own three-line Received: header and the empty line it appends are
# removed) and checked by tests/dkim/verify.py (python3-dkim; public keys
# from files, no DNS).  One TAP point each:
#   (a) internal mail is dual signed, RSA-2048 (PKCS#8) and Ed25519, through
#       KeyTable + SigningTable, MultipleSignatures yes, relaxed/relaxed: two
#       signatures on top of the header (above Postfix's Received:), both
#       verify; repguard logged them under Postfix's queue id;
#   (b) tampered copies of that delivered message (body, Subject:, a second
#       From:) fail, an added unsigned header does not;
#   (c) a multipart message with an attachment, to three recipients;
#   (d) authenticated mail from an external address is signed;
#   (e) external unauthenticated mail is not signed and arrives intact;
#       internal mail whose From: domain has no key is not signed;
#   (f) after SIGHUP to simple/simple (same keys), folded header fields
#       (which Postfix hands over with LF between the lines) still verify;
#   (g) after SIGHUP to a relay signing for example.com and b.example with
#       SigningAuthorization ("@example.com alice", "@b.example bob"):
#       alice (LOGIN by XCLIENT) with MAIL FROM alice@example.com and
#       From: boss@b.example gets 550 5.7.1 at the end of DATA and nothing
#       reaches the sink; her own mail is dual signed, bob's is signed
#       d=b.example, and both verify.
# Needs root, postfix, smtp-sink, swaks, openssl and /usr/bin/python3 with
# python3-dkim and python3-nacl (else skipped).  About 10 s.  KEEP_TMP=1
# keeps $T_TMP (keys, logs, transcripts, dumps).
#
# DKIMT_MILTER=opendkim puts Debian's opendkim in repguard's place (RSA key
# only: it cannot dual sign; restarted instead of SIGHUP; repguard's log
# checks skipped), to check the test bed itself.  The default is repguard.

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"

PY=/usr/bin/python3
VF=$TOP_SRCDIR/tests/dkim/verify.py
MILTER=${DKIMT_MILTER:-repguard}
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
e2e_skippable
missing=$(pf_missing)
case $MILTER in
repguard) ;;
opendkim) [ -x "$OPENDKIM" ] || missing="${missing:+$missing }$OPENDKIM" ;;
*) echo "Bail out! DKIMT_MILTER must be repguard or opendkim, not $MILTER"; exit 1 ;;
esac
[ -x "$PY" ] && "$PY" -c 'import dkim, nacl' 2>/dev/null ||
	missing="${missing:+$missing }python3-dkim/python3-nacl"
command -v openssl >/dev/null || missing="${missing:+$missing }openssl"
[ -z "$missing" ] || t_skip_all "DKIM end-to-end test needs root, postfix, smtp-sink, swaks, openssl, python3-dkim; missing: $missing"

t_tmpdir
started=$(date +%s)
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/repguard.sock
RGLOG=$T_TMP/repguard.log
KEYS=$T_TMP/keys
DNS=$T_TMP/dns
MSG=$T_TMP/msg
INTERNAL=10.1.2.3
EXTERNAL=192.0.2.9
mkdir -p "$KEYS" "$DNS" "$MSG"
chmod 0700 "$KEYS"

# --- keys, records, configuration --------------------------------------------
(
	umask 077
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/rsa.pem" &&
	openssl genpkey -algorithm ed25519 -out "$KEYS/ed.pem"
) >"$T_TMP/keygen.log" 2>&1
t_ok $? "openssl made an RSA-2048 and an Ed25519 key (PKCS#8)"
printf 'v=DKIM1; k=rsa; p=%s\n' \
	"$(openssl pkey -in "$KEYS/rsa.pem" -pubout -outform DER | base64 -w0)" \
	>"$DNS/rsa2048._domainkey.example.com"
printf 'v=DKIM1; k=ed25519; p=%s\n' \
	"$(openssl pkey -in "$KEYS/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)" \
	>"$DNS/ed1._domainkey.example.com"
VKEYS=()
for f in "$DNS"/*; do VKEYS+=(--key "$(basename "$f")=$f"); done

printf 'rsa example.com:rsa2048:%s\ned example.com:ed1:%s\n' "$KEYS/rsa.pem" "$KEYS/ed.pem" \
	>"$T_TMP/keytable"
printf '*@example.com rsa\n*@example.com ed\n' >"$T_TMP/signingtable"

# write_conf CANON [KEY VALUE...]
write_conf() {
	_canon=$1; shift
	rg_conf "$CONF.new" \
		Socket "unix:$SOCK" \
		UMask 000 \
		DatabasePath "$T_TMP/db" \
		InternalHosts 10.1.0.0/16 \
		CommitInterval 10 \
		Syslog no \
		KeyTable "file:$T_TMP/keytable" \
		SigningTable "refile:$T_TMP/signingtable" \
		MultipleSignatures yes \
		Canonicalization "$_canon" "$@"
	mv "$CONF.new" "$CONF"
}
# opendkim_conf CANON: the same for opendkim (RSA only)
opendkim_conf() {
	printf '*@example.com rsa\n' >"$T_TMP/signingtable.opendkim"
	cat >"$CONF" <<EOF
Mode s
Socket local:$SOCK
UMask 000
Syslog no
RequireSafeKeys false
InternalHosts 10.1.0.0/16
OversignHeaders From
KeyTable file:$T_TMP/keytable
SigningTable refile:$T_TMP/signingtable.opendkim
Canonicalization $1
EOF
}
ODK_PID=""
# start_opendkim CANON: (re)start opendkim with that canonicalization
start_opendkim() {
	if [ -n "$ODK_PID" ]; then
		kill -KILL "$ODK_PID" 2>/dev/null	# SIGTERM takes it 4-5 s
		wait "$ODK_PID" 2>/dev/null
		t_untrack "$ODK_PID"
	fi
	rm -f "$SOCK"
	opendkim_conf "$1"
	"$OPENDKIM" -f -x "$CONF" >>"$RGLOG" 2>&1 &
	ODK_PID=$!
	t_track "$ODK_PID"
	t_wait_for 10 rg_accepting "$SOCK"
}

if [ "$MILTER" = repguard ]; then
	write_conf relaxed/relaxed
	"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
	t_ok $? "repguard -n accepts the dual-signing configuration"
	NSIG=2
else
	NSIG=1
	: >"$T_TMP/check.out"
fi


pf_setup
pf_start
t_ok $? "private Postfix started on 127.0.0.1:$PF_PORT"
sink_start
t_ok $? "smtp-sink started on 127.0.0.1:$SINK_PORT"
if [ "$MILTER" = repguard ]; then
	rg_start "$CONF" "$RGLOG"
else
	start_opendkim relaxed/relaxed
fi
t_ok $? "$MILTER started, socket $SOCK accepts connections"
[ "$T_FAILED" -eq 0 ] || {
	sed 's/^/# /' "$T_TMP/keygen.log" "$T_TMP/check.out" "$RGLOG" "$PF_LOG" 2>/dev/null | tail -n 30
	echo "Bail out! the test bed did not start"
	exit 1
}

# --- messages ----------------------------------------------------------------
DATE="Fri, 28 Nov 2025 10:00:00 +0000"

# plain ID FROM TO: a plain message with awkward body lines
plain() {
	_f=$MSG/$1
	{
		printf 'From: Alice Example <%s>\n' "$2"
		printf 'To: <%s>\n' "$3"
		printf 'Subject: repguard dkim e2e %s\n' "$1"
		printf 'Date: %s\n' "$DATE"
		printf 'Message-ID: <%s.dkime2e@example.com>\n' "$1"
		printf 'X-Test-Id: %s\n' "$1"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: text/plain; charset=utf-8\n'
		printf 'Content-Transfer-Encoding: 8bit\n'
		printf '\n'
		printf 'Hello from %s, message %s.\n' "$2" "$1"
		printf '.a line that starts with a dot\n'
		printf 'trailing blanks   \n'
		printf 'Gr\303\274\303\237e, caf\303\251\n'
		printf '\n'
		printf 'x%.0s' $(seq 1 900); printf '\n'
		printf -- '-- \nthe end\n'
	} >"$_f"
	printf '%s' "$_f"
}

# folded ID FROM TO: signed header fields folded over several lines
folded() {
	_f=$MSG/$1
	{
		printf 'From: "Alice, with a long display name"\n  <%s>\n' "$2"
		printf 'To: <%s>,\n\tcarol@example.org,\n    dave@example.net\n' "$3"
		printf 'Subject: a folded\n subject line\n\t with  tabs %s\n' "$1"
		printf 'Date: %s\n' "$DATE"
		printf 'Message-ID: <%s.dkime2e@example.com>\n' "$1"
		printf 'X-Test-Id: %s\n' "$1"
		printf '\n'
		printf 'body of the folded message %s\n' "$1"
	} >"$_f"
	printf '%s' "$_f"
}

# multipart ID FROM TO
multipart() {
	_f=$MSG/$1
	{
		printf 'From: Alice <%s>\nTo: <%s>\n' "$2" "$3"
		printf 'Subject: multipart %s\nDate: %s\n' "$1" "$DATE"
		printf 'Message-ID: <%s.dkime2e@example.com>\nX-Test-Id: %s\n' "$1" "$1"
		printf 'MIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="=_b0undary_42"\n\n'
		printf 'This is a multi-part message in MIME format.\n\n'
		printf -- '--=_b0undary_42\nContent-Type: text/plain; charset=us-ascii\n\n'
		printf 'See the attachment.\n\n'
		printf -- '--=_b0undary_42\nContent-Type: application/octet-stream; name="data.bin"\n'
		printf 'Content-Transfer-Encoding: base64\n'
		printf 'Content-Disposition: attachment; filename="data.bin"\n\n'
		head -c 20000 /dev/urandom | base64 -w 76
		printf -- '--=_b0undary_42--\n'
	} >"$_f"
	printf '%s' "$_f"
}

# send ID KIND FROM TO [pf_send options]: submit message ID made by KIND
send() {
	_id=$1 _kind=$2 _from=$3 _to=$4; shift 4
	pf_send --name "$_id" "$@" --from "$_from" --to "$_to" \
	    --data "@$("$_kind" "$_id" "$_from" "${_to%%,*}")"
}

# check_signed NAME ID N [ERE...]: message ID arrived; its delivered form
# carries N signatures (0: none), all verifying, the verifier output
# matching every ERE
check_signed() {
	_name=$1 _id=$2 _n=$3; shift 3
	_why=$(sink_message "$_id" "$T_TMP/got.$_id" 2>&1) || { t_fail "$_name" "$_why"; return 1; }
	_v=$("$PY" "$VF" "${VKEYS[@]}" --expect "$_n" "$T_TMP/got.$_id" 2>&1)
	_rc=$?
	for _re in "$@"; do
		printf '%s\n' "$_v" | grep -Eq -- "$_re" || { _rc=1; _v="$_v
does not match: $_re"; }
	done
	if [ "$_rc" -eq 0 ]; then
		t_pass "$_name"
	else
		t_fail "$_name" "$_v" "repguard log:" "$(tail -n 6 "$RGLOG")"
	fi
}

# tamper MODE SRC DST: a changed copy of a delivered message (tamper.py)
tamper() { "$PY" "$TOP_SRCDIR/tests/dkim/tamper.py" "$@"; }

# all_fail NAME FILE: every signature of FILE fails (and there is one at least)
all_fail() {
	_o=$("$PY" "$VF" "${VKEYS[@]}" --all-fail "$2" 2>&1)
	_rc=$?
	if [ "$_rc" -eq 0 ]; then
		t_pass "$1"
	else
		t_fail "$1" "verify.py --all-fail exit $_rc (want 0, every signature failing):" "$_o"
	fi
}

# intact ID: the delivered message keeps every line sent, in order (header)
# and byte for byte (body, line ends aside)
intact() {
	msg_intact "$MSG/$1" "$T_TMP/got.$1"
}

RSA='d=example.com s=rsa2048 a=rsa-sha256'
ED='d=example.com s=ed1 a=ed25519-sha256'
[ "$MILTER" = repguard ] || ED=$RSA	# opendkim: RSA only

# --- (a) internal mail: dual signature ------------------------------------------
send i1 plain alice@example.com r1@example.org,r2@example.net --addr "$INTERNAL"
t_ok $? "(a) internal mail from alice@example.com to 2 recipients accepted"
send i2 multipart alice@example.com r1@example.org,r2@example.org,r3@example.net --addr "$INTERNAL"
t_ok $? "(c) internal multipart mail to 3 recipients accepted"
send l1 plain alice@example.com r4@example.org --addr "$EXTERNAL" --login alice
t_ok $? "(d) authenticated mail (LOGIN alice from $EXTERNAL) accepted"
send x1 plain dave@example.com r5@example.org --addr "$EXTERNAL"
t_ok $? "(e) external unauthenticated mail from $EXTERNAL accepted"
send n1 plain carol@example.org r6@example.org --addr "$INTERNAL"
t_ok $? "(e) internal mail from carol@example.org (no key) accepted"
sink_wait 5 20
t_is "$(sink_count)" 5 "the sink received the 5 messages"

check_signed "(a) internal mail: $NSIG signature(s), rsa-sha256 and ed25519-sha256, relaxed/relaxed, all verify" \
	i1 "$NSIG" "$RSA c=relaxed/relaxed .*result=pass" "$ED c=relaxed/relaxed .*result=pass"
if [ -f "$T_TMP/got.i1" ]; then
	want="DKIM-Signature DKIM-Signature Received "
	[ "$NSIG" = 1 ] && want="DKIM-Signature Received "
	t_is "$(grep -v '^[[:space:]]' "$T_TMP/got.i1" | head -n "$((NSIG + 1))" | cut -d: -f1 | tr '\n' ' ')" \
		"$want" "(a) the signatures are on top, above Postfix's Received:"
	qid=$(sed -n 's/^[[:space:]]*by mta\.repguard\.test (Postfix) with ESMTP id \([0-9A-F]\{6,\}\);.*/\1/p' \
		"$T_TMP/got.i1" | head -n 1)
	t_wait_for 3 grep -q "$qid: signed d=example.com s=ed1 a=ed25519-sha256" "$RGLOG"
	if [ "$MILTER" != repguard ]; then
		t_pass "(a) repguard's log lines # SKIP not checked with $MILTER"
	elif [ -n "$qid" ] &&
	    grep -Eq "(^|[] ])$qid: signed d=example.com s=rsa2048 a=rsa-sha256( |\$)" "$RGLOG" &&
	    grep -Eq "(^|[] ])$qid: signed d=example.com s=ed1 a=ed25519-sha256( |\$)" "$RGLOG"; then
		t_pass "(a) repguard logged both signatures under Postfix's queue id $qid"
	else
		t_fail "(a) repguard logged both signatures under Postfix's queue id" "queue id: '$qid'" \
			"$(grep -E 'signed|sign' "$RGLOG" | tail -n 5)"
	fi

	# --- (b) tampered copies -------------------------------------------------
	tamper body "$T_TMP/got.i1" "$T_TMP/got.i1.body"
	all_fail "(b) body changed after delivery: both signatures fail" "$T_TMP/got.i1.body"
	tamper header "$T_TMP/got.i1" "$T_TMP/got.i1.header"
	all_fail "(b) Subject: changed after delivery: both signatures fail" "$T_TMP/got.i1.header"
	tamper from2 "$T_TMP/got.i1" "$T_TMP/got.i1.from2"
	all_fail "(b) a second From: added on top: both signatures fail (From oversigned)" "$T_TMP/got.i1.from2"
	tamper unsigned "$T_TMP/got.i1" "$T_TMP/got.i1.unsigned"
	"$PY" "$VF" "${VKEYS[@]}" --expect "$NSIG" "$T_TMP/got.i1.unsigned" >/dev/null 2>&1
	t_ok $? "(b) an unsigned header added on top: still verifies"
else
	t_fail "(a)/(b) no delivered copy of i1 to check"
fi

check_signed "(c) multipart with an attachment, 3 recipients: both signatures verify" \
	i2 "$NSIG" "$RSA .*result=pass" "$ED .*result=pass"
_d=$(sink_grep '^X-Test-Id: i2$' | head -n 1)
t_is "$(grep -c '^X-Rcpt-Args:' "${_d:-/dev/null}")" 3 "(c) one signed copy reached the sink for all 3 recipients"
check_signed "(d) authenticated mail: both signatures verify" l1 "$NSIG" "$RSA .*result=pass" "$ED .*result=pass"
check_signed "(e) external unauthenticated mail: no signature" x1 0
out=$(intact x1)
t_ok $? "(e) external mail arrived intact${out:+: $out}"
check_signed "(e) internal mail, From: @example.org without a key: no signature" n1 0

# --- (f) simple/simple through SIGHUP -------------------------------------------
if [ "$MILTER" = repguard ]; then
	write_conf simple/simple
	n_reload=$(grep -c 'configuration reloaded' "$RGLOG")
	reloaded() { [ "$(grep -c 'configuration reloaded' "$RGLOG")" -gt "$n_reload" ]; }
	kill -HUP "$RG_PID"
	t_wait_for 5 reloaded
	t_ok $? "(f) SIGHUP: repguard reloaded the configuration with Canonicalization simple/simple"
else
	start_opendkim simple/simple
	t_ok $? "(f) opendkim restarted with Canonicalization simple/simple"
fi
n=$(sink_count)
send s1 plain alice@example.com r1@example.org --addr "$INTERNAL"
t_ok $? "(f) internal plain mail accepted"
send s2 folded alice@example.com r1@example.org --addr "$INTERNAL"
t_ok $? "(f) internal mail with folded From:, To:, Subject: accepted"
sink_wait $((n + 2)) 20
check_signed "(f) simple/simple, plain header: both signatures verify" s1 "$NSIG" \
	"$RSA c=simple/simple .*result=pass" "$ED c=simple/simple .*result=pass"
check_signed "(f) simple/simple, folded header fields (sent by Postfix with LF between lines): both verify" \
	s2 "$NSIG" "$RSA c=simple/simple .*result=pass" "$ED c=simple/simple .*result=pass"

# --- (g) who may be signed for ------------------------------------------------------
if [ "$MILTER" = repguard ]; then
	(umask 077; openssl genpkey -algorithm ed25519 -out "$KEYS/b.pem") >>"$T_TMP/keygen.log" 2>&1
	printf 'v=DKIM1; k=ed25519; p=%s\n' \
		"$(openssl pkey -in "$KEYS/b.pem" -pubout -outform DER | tail -c 32 | base64 -w0)" \
		>"$DNS/sb._domainkey.b.example"
	VKEYS+=(--key "sb._domainkey.b.example=$DNS/sb._domainkey.b.example")
	printf 'b b.example:sb:%s\n' "$KEYS/b.pem" >>"$T_TMP/keytable"
	printf '*@b.example b\n' >>"$T_TMP/signingtable"
	printf '@example.com alice\n@b.example bob\n' >"$T_TMP/signing-auth"
	write_conf relaxed/relaxed SigningAuthorization "$T_TMP/signing-auth"
	n_reload=$(grep -c 'configuration reloaded' "$RGLOG")
	kill -HUP "$RG_PID"
	t_wait_for 5 reloaded
	t_ok $? "(g) SIGHUP: repguard signs for example.com and b.example, SigningAuthorization given"
	n=$(sink_count)
	{
		printf 'From: The Boss <boss@b.example>\nTo: <r1@example.org>\n'
		printf 'Subject: forged\nDate: %s\nMessage-ID: <g1.dkime2e@example.com>\n' "$DATE"
		printf 'X-Test-Id: g1\n\nplease pay the invoice\n'
	} >"$MSG/g1"
	pf_send --name g1 --addr "$EXTERNAL" --login alice --from alice@example.com \
	    --to r1@example.org --data "@$MSG/g1"
	t_like "$(pf_reply)" "^550 5\.7\.1 repguard: login alice may not send as b\.example" \
		"(g) alice, MAIL FROM alice@example.com, From: boss@b.example: 550 5.7.1 at the end of DATA"
	send g2 plain alice@example.com r1@example.org --addr "$EXTERNAL" --login alice
	t_ok $? "(g) alice's own mail accepted"
	send g3 plain boss@b.example r1@example.org --addr "$EXTERNAL" --login bob
	t_ok $? "(g) bob's mail From: boss@b.example accepted"
	sink_wait $((n + 2)) 20
	t_is "$(sink_grep '^X-Test-Id: g1$' | wc -l)" 0 "(g) alice's forged message never reached the sink"
	check_signed "(g) alice's own mail: both example.com signatures verify" g2 "$NSIG" \
		"$RSA .*result=pass" "$ED .*result=pass"
	check_signed "(g) bob's mail: signed d=b.example, verifies" g3 1 \
		"d=b\.example s=sb a=ed25519-sha256 .*result=pass"
	t_wait_for 3 grep -q "login alice (client $EXTERNAL) may not be signed for b.example (boss@b.example): refused" "$RGLOG"
	t_ok $? "(g) repguard logged the refusal with the login and the domain"
fi

# --- end -------------------------------------------------------------------
if [ "$MILTER" = repguard ]; then
	rg_stop TERM
	t_is "$RG_STATUS" 0 "repguard exits 0 on SIGTERM"
	bad=$(grep -Ei 'panic|fatal|sanitizer|runtime error|signing failed' "$RGLOG")
	t_is "$bad" "" "repguard logged no panic, fatal, sanitizer error or failed signing"
fi
pf_stop
sink_stop
echo "# milter under test: $MILTER; took $(($(date +%s) - started)) s"
t_done
