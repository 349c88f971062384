#!/bin/bash
# demo.sh - see repguard sign mail and pause a sender by its bounces, on a
# private Postfix, in about a minute.
#
# Run as root on Debian 12, from a checkout of repguard:
#
#   sudo bash contrib/demo.sh
#
# What it does, printing each step as it goes:
#   1. installs the Debian packages it needs, if missing (apt-get);
#   2. builds repguard into build/demo: autoreconf, configure and make the
#      first time; afterwards make alone, which rebuilds what changed (so a
#      build/demo left by an older checkout is brought up to date, not used);
#   3. makes two DKIM keys for example.com with repguardctl keygen (RSA 2048
#      and Ed25519), shows a DNS record it prints, and writes an OpenDKIM-style
#      KeyTable and SigningTable that sign example.com's mail with both;
#   4. starts, all under one temporary directory and on free 127.0.0.1 ports:
#      a private Postfix (its own config, queue and log; the system's Postfix
#      and port 25 are never touched), repguard as its milter, and smtp-sink,
#      a fake remote server that stores what it receives;
#   5. sends mail from alice@example.com and bob@example.com (posing as the
#      internal host 10.1.2.3 through Postfix's XCLIENT), shows the two
#      DKIM-Signature headers of a delivered message and has dkimpy
#      (python3-dkim, tests/dkim/verify.py; public keys from the .txt files,
#      no DNS) verify them, then fail on a copy with one body byte changed;
#   6. alice mails a stale list: three of ten addresses are dead (a second
#      smtp-sink rejects them with 550 5.1.1), Postfix's bounces come back to
#      her rewritten return-path through repguard, and repguard pauses her
#      automatically; shows the 451 her next message gets while bob's still
#      flows, the suppression list, and how after the cool-down she goes to
#      probation (the dead addresses refused at RCPT, the rest delivered)
#      and back to active; then the counters, what the receiver got and how
#      many messages repguard signed;
#   7. stops everything it started and removes the temporary directory
#      (KEEP_TMP=1 keeps it, with every key, log and SMTP transcript).
#
# Exit status 0 when every step did what it should, else 1 with a message
# saying which step failed.

set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
BUILD=$ROOT/build/demo

# The package list and installer shared with contrib/test.sh.
. "$ROOT/contrib/packages.sh"

if [ -t 1 ]; then B=$'\e[1m' G=$'\e[32m' R=$'\e[31m' N=$'\e[0m'; else B='' G='' R='' N=''; fi
STEP=0
heading() { STEP=$((STEP + 1)); printf '\n%s== %d. %s%s\n' "$B" "$STEP" "$*" "$N"; }
say() { printf '   %s\n' "$*"; }
indent() { sed 's/^/     /'; }
good() { printf '   %s✓ %s%s\n' "$G" "$*" "$N"; }
die() {
	printf '\n%sdemo FAILED at step %d: %s%s\n' "$R" "$STEP" "$*" "$N" >&2
	if [ -n "${T_TMP:-}" ]; then
		for f in "${T_TMP}/repguard.log" "${PF_LOG:-}"; do
			[ -s "$f" ] || continue
			printf '   last lines of %s:\n' "${f##*/}" >&2
			tail -n 15 "$f" | indent >&2
		done
		[ "${KEEP_TMP:-0}" = 1 ] && printf '   everything is kept in %s\n' "$T_TMP" >&2
		[ "${KEEP_TMP:-0}" = 1 ] || printf '   run again with KEEP_TMP=1 to keep the logs\n' >&2
	fi
	exit 1
}

# --- 1. packages --------------------------------------------------------------
install_packages() {
	local log missing
	mapfile -t missing < <(pkg_missing)
	if [ ${#missing[@]} -eq 0 ]; then
		say "all needed Debian packages are installed"
		return 0
	fi
	say "installing: ${missing[*]}"
	log=$(mktemp "${TMPDIR:-/tmp}/repguard-apt.XXXXXX") || return 1
	if ! pkg_install "$log" "${missing[@]}"; then
		tail -n 20 "$log" | indent
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	say "installed"
}

# --- 2. build -------------------------------------------------------------------
# An existing build/demo is never used as it is: make runs there every time
# (incremental: it recompiles what changed since, and reruns configure if
# configure.ac or Makefile.am changed), so binaries from an older checkout
# cannot stand in for this one.
build() {
	local before
	if [ -f "$ROOT/config.status" ]; then
		say "the source tree is configured in place; run 'make distclean' in $ROOT first"
		return 1
	fi
	if [ -f "$BUILD/Makefile" ]; then
		say "build/demo exists: make brings it up to date (log: build/demo/make.log)"
		before=$(ls -l --time-style=+%s.%N "$BUILD/repguard" "$BUILD/repguardctl" 2>/dev/null)
	else
		before=""
		mkdir -p "$BUILD" || return 1
		if [ ! -x "$ROOT/configure" ]; then
			say "autoreconf -fi"
			(cd "$ROOT" && autoreconf -fi) >"$BUILD/autoreconf.log" 2>&1 ||
				{ tail -n 20 "$BUILD/autoreconf.log" | indent; return 1; }
		fi
		say "configure (log: build/demo/configure.log)"
		(cd "$BUILD" && "$ROOT/configure") >"$BUILD/configure.log" 2>&1 ||
			{ tail -n 20 "$BUILD/configure.log" | indent; return 1; }
		say "make (log: build/demo/make.log)"
	fi
	make -C "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" repguard repguardctl \
	    >"$BUILD/make.log" 2>&1 ||
		{ tail -n 20 "$BUILD/make.log" | indent; return 1; }
	[ -x "$BUILD/repguard" ] && [ -x "$BUILD/repguardctl" ] ||
		{ say "make did not produce build/demo/repguard and build/demo/repguardctl"; return 1; }
	if [ -n "$before" ] &&
	    [ "$before" = "$(ls -l --time-style=+%s.%N "$BUILD/repguard" "$BUILD/repguardctl")" ]; then
		say "build/demo/repguard and build/demo/repguardctl are up to date"
	else
		say "built build/demo/repguard and build/demo/repguardctl"
	fi
}

# --- helpers for the mail part ------------------------------------------------------
# dialogue: the SMTP conversation of the last pf_send, without the EHLO
# capability lists and the message text ("C:" client, "S:" server).
dialogue() {
	awk '
		/^ *(->|~>|\*\*>) / {
			line = $0; sub(/^ *[-~*]+> */, "", line)
			if (indata) { n++; if (line == ".") { printf "C: (message, %d lines)\n", n - 1; indata = 0; verb = "." } ; next }
			verb = toupper($2); sub(/:.*/, "", verb)
			if (verb ~ /^(XCLIENT|MAIL|RCPT|DATA)$/) print "C: " line
			next
		}
		/^ *(<-|<~|<\*\*) / {
			line = $0; sub(/^ *<[-~*]+ */, "", line)
			if (verb ~ /^(XCLIENT|MAIL|RCPT|DATA|\.)$/) print "S: " line
			if (verb == "DATA" && line ~ /^354/) { indata = 1; n = 0 }
			if (line ~ /^[45]/ && verb !~ /^(XCLIENT|MAIL|RCPT|DATA|\.)$/) print "S: " line
		}
	' "$PF_TRANSCRIPT" | indent
}

# send_mail ID FROM TO...: send one message as the internal host 10.1.2.3, show the
# dialogue; the status is swaks' (0: accepted).  DEMO_HEADER: one more header.
send_mail() {
	local id=$1 from=$2 to=$3 rc extra=()
	[ -n "${DEMO_HEADER:-}" ] && extra=(--add-header "$DEMO_HEADER")
	say "${B}$from -> $to${N}${DEMO_HEADER:+ ($DEMO_HEADER)}"
	pf_send --name "$id" --addr 10.1.2.3 --from "$from" --to "$to" \
	    --header "Subject: repguard demo, message $id" "${extra[@]}"
	rc=$?
	dialogue
	return $rc
}

senders_table() {
	"$REPGUARDCTL" -c "$CONF" senders 2>&1 | indent
}

# wait_counted KEY MSGS: until repguardctl shows MSGS messages in the last hour
# for KEY (the daemon writes its counters every CommitInterval ms).
counted() {
	"$REPGUARDCTL" -c "$CONF" show "$1" --json 2>/dev/null |
		/usr/bin/python3 -c 'import json, sys
sys.exit(json.load(sys.stdin).get("messages_1h") != int(sys.argv[1]))' "$2"
}
wait_counted() { t_wait_for 5 counted "$1" "$2"; }

# received: one line per message the sink got: envelope sender, recipients, subject
received() {
	local f
	for f in $(sink_files); do
		printf '%-18s -> %-44s "%s"\n' \
		    "$(sed -n 's/^X-Mail-Args: <\([^>]*\)>.*/\1/p' "$f" | head -n 1)" \
		    "$(sed -n 's/^X-Rcpt-Args: <\([^>]*\)>.*/\1/p' "$f" | paste -sd, -)" \
		    "$(sed -n 's/^Subject: //p' "$f" | head -n 1)"
	done | indent
}

# --- helpers for the DKIM part -------------------------------------------------------
PY=/usr/bin/python3
VERIFY=$ROOT/tests/dkim/verify.py

# keygen SELECTOR ALGORITHM [--bits N]: repguardctl keygen for example.com,
# run in $T_TMP with --out keys; what it prints goes to keys/SELECTOR.out.
keygen() {
	local sel=$1 alg=$2
	shift 2
	say "\$ repguardctl keygen --domain example.com --selector $sel --algorithm $alg${*:+ $*} --out keys"
	(cd "$T_TMP" && "$REPGUARDCTL" keygen --domain example.com --selector "$sel" \
	    --algorithm "$alg" "$@" --out keys) >"$KEYS/$sel.out" 2>&1 ||
		{ indent <"$KEYS/$sel.out"; return 1; }
	[ -s "$KEYS/$sel.private" ] && [ -s "$KEYS/$sel.txt" ] ||
		{ say "keys/$sel.private or keys/$sel.txt is missing"; return 1; }
}

# show_zone FILE: a record as keygen prints it (NAME. IN TXT ( "..." "..." )),
# one string a line, the middle of long strings replaced by "..."
show_zone() {
	"$PY" - "$1" <<'EOF'
import re, sys
text = open(sys.argv[1]).read().strip()
m = re.match(r'(\S+\s+IN\s+TXT\s+\()\s*(.*?)\s*\)$', text, re.S)
if not m:
    sys.exit("not a TXT record: %r" % text[:80])
short = lambda s: s if len(s) <= 48 else s[:30] + "..." + s[-10:]
strings = [short(x) for x in re.findall(r'"[^"]*"', m.group(2))]
print(m.group(1), strings[0])
for x in strings[1:-1]:
    print("    " + x)
print("    " + strings[-1] + " )" if len(strings) > 1 else ")")
EOF
}

# record SELECTOR: the record text of keys/SELECTOR.txt (its quoted strings
# joined: v=DKIM1; k=...; p=...) into dns/SELECTOR, a file verify.py reads
# with --key SELECTOR._domainkey.example.com=dns/SELECTOR
record() {
	grep -o '"[^"]*"' "$KEYS/$1.txt" | sed 's/^"//; s/"$//' | tr -d '\n' >"$DNS/$1" &&
		printf '\n' >>"$DNS/$1" && grep -q '^v=DKIM1; k=[a-z0-9]*; p=[A-Za-z0-9+/=]\{40,\}$' "$DNS/$1"
}

# strip_dump DUMP OUT: the message as Postfix sent it, from an smtp-sink dump
# (as in tests/e2e/t_dkim_e2e.sh: without smtp-sink's envelope pseudo-headers,
# its Received: header and the empty line it appends), with CRLF line ends.
strip_dump() {
	"$PY" - "$1" "$2" <<'EOF'
import sys
lines = open(sys.argv[1], "rb").read().split(b"\n")
envelope = (b"X-Client-Addr:", b"X-Client-Proto:", b"X-Helo-Args:", b"X-Mail-Args:",
            b"X-Rcpt-Args:")
i = 0
while i < len(lines) and lines[i].startswith(envelope):
    i += 1
if i == 0 or not lines[i].startswith(b"Received: "):
    sys.exit("the dump does not start with smtp-sink's pseudo-headers and Received:")
j = i + 1
while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
    j += 1
if b"(smtp-sink)" not in b"".join(lines[i:j]):
    sys.exit("the first Received: is not smtp-sink's")
msg = lines[j:]
if len(msg) < 2 or msg[-1] != b"" or msg[-2] != b"":
    sys.exit("the dump does not end with smtp-sink's empty line")
open(sys.argv[2], "wb").write(b"".join(l + b"\r\n" for l in msg[:-2]))
EOF
}

# show_signatures FILE: its DKIM-Signature header fields as they are folded,
# the b= and bh= values shortened
show_signatures() {
	"$PY" - "$1" <<'EOF'
import re, sys
head = open(sys.argv[1], "rb").read().decode("ascii", "replace").split("\r\n\r\n")[0]
fields, cur = [], None
for line in head.split("\r\n"):
    if line[:1] in (" ", "\t") and cur is not None:
        cur.append(line)
    else:
        cur = [line]
        fields.append(cur)
short = lambda m: m.group(1) + (m.group(2) if len(m.group(2)) <= 16 else m.group(2)[:12] + "...")
for f in fields:
    if not f[0].lower().startswith("dkim-signature:"):
        continue
    text = "\n".join(f)
    # b= may go on over several lines: shorten the whole value
    text = re.sub(r"(\bbh?=)([A-Za-z0-9+/=\s]+?)(?=;|$)", short, text)
    text = re.sub(r"\n[ \t]*(?=\n|$)", "", text)
    print(text)
EOF
}

# tamper IN OUT: a copy of IN with one byte of the body changed (the case of
# its first letter); prints the body line before and after
tamper() {
	"$PY" - "$1" "$2" <<'EOF'
import re, sys
m = open(sys.argv[1], "rb").read()
head, sep, body = m.partition(b"\r\n\r\n")
x = re.search(rb"[A-Za-z]", body)
if not sep or not x:
    sys.exit("no body letter to change")
i = x.start()
new = body[:i] + body[i:i + 1].swapcase() + body[i + 1:]
start = body.rfind(b"\r\n", 0, i) + 2 if b"\r\n" in body[:i] else 0
line = lambda b: b[start:].split(b"\r\n")[0].decode("ascii", "replace")
print('"%s" -> "%s"' % (line(body), line(new)))
open(sys.argv[2], "wb").write(head + sep + new)
EOF
}

# verify FILE EXPECT: tests/dkim/verify.py on FILE with both public keys, run
# in $T_TMP; output in $T_TMP/verify.out, status verify.py's
verify() {
	(cd "$T_TMP" && "$PY" "$VERIFY" --expect "$2" \
	    --key rsa2048._domainkey.example.com=dns/rsa2048 \
	    --key ed25519._domainkey.example.com=dns/ed25519 "$1") >"$T_TMP/verify.out" 2>&1
}
show_verify() {
	say "\$ tests/dkim/verify.py --expect $2 \\"
	say "      --key rsa2048._domainkey.example.com=dns/rsa2048 \\"
	say "      --key ed25519._domainkey.example.com=dns/ed25519 $1"
	# the body hashes in a failure's reason: shortened here
	sed -E "s/b'([A-Za-z0-9+\/]{8})[A-Za-z0-9+\/=]*'/b'\1...'/g" "$T_TMP/verify.out" | indent
}

# signatures: "QUEUEID D S A" for each "QUEUEID: signed d=D s=S a=A" line of
# repguard's log
signatures() {
	sed -n 's/^\(.*[[:space:]]\)\{0,1\}\([^[:space:]]*\): signed d=\([^ ]*\) s=\([^ ]*\) a=\([^ ]*\).*/\2 \3 \4 \5/p' \
	    "$T_TMP/repguard.log"
}

# --- main --------------------------------------------------------------------------------
printf '%srepguard demo%s: a private Postfix with repguard, two senders, one paused by its bounces.\n' "$B" "$N"
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: run it as root (it installs packages and starts Postfix)" >&2; exit 1; }

heading "Debian packages"
install_packages || die "could not install the packages (see above)"

heading "Build"
build || die "the build failed (see above)"

TOP_SRCDIR=$ROOT REPGUARD=$BUILD/repguard REPGUARDCTL=$BUILD/repguardctl
export TOP_SRCDIR REPGUARD REPGUARDCTL
# shellcheck source=tests/lib/common.sh
. "$ROOT/tests/lib/common.sh"
# shellcheck source=tests/lib/postfix.sh
. "$ROOT/tests/lib/postfix.sh"	# sets the EXIT trap that stops everything
still=$(pf_missing)
"$PY" -c 'import dkim, nacl' 2>/dev/null || still="${still:+$still }python3-dkim/python3-nacl"
[ -z "$still" ] || die "still missing after the install: $still"

heading "DKIM keys for example.com"
t_tmpdir
KEYS=$T_TMP/keys DNS=$T_TMP/dns
mkdir -m 0700 "$KEYS" && mkdir "$DNS" || die "could not create $KEYS"
say "everything lives in $T_TMP; the keys go into keys/ (mode 0700)."
say "repguardctl keygen writes keys/SELECTOR.private (the private key, mode 0600)"
say "and keys/SELECTOR.txt (the DNS record to publish), and prints the record"
say "(shortened here: ... stands for the middle of the key):"
keygen rsa2048 rsa --bits 2048 || die "repguardctl keygen (rsa) failed"
show_zone "$KEYS/rsa2048.out" | indent ||
	{ indent <"$KEYS/rsa2048.out"; die "repguardctl keygen did not print a TXT record"; }
keygen ed25519 ed25519 || die "repguardctl keygen (ed25519) failed"
good "keys/rsa2048.private (RSA 2048) and keys/ed25519.private (Ed25519), with their .txt records"
printf 'rsa example.com:rsa2048:%s\ned  example.com:ed25519:%s\n' \
	"$KEYS/rsa2048.private" "$KEYS/ed25519.private" >"$T_TMP/keytable"
printf '*@example.com  rsa\n*@example.com  ed\n' >"$T_TMP/signingtable"
say "keytable (OpenDKIM's format: NAME DOMAIN:SELECTOR:KEYFILE):"
indent <"$T_TMP/keytable"
say "signingtable (refile: address patterns, then the KeyTable name; with"
say "MultipleSignatures yes every matching line signs, so example.com gets both):"
indent <"$T_TMP/signingtable"

heading "Start a private Postfix, repguard and a fake receiver"
CONF=$T_TMP/repguard.conf
openssl rand -hex 32 >"$T_TMP/rp.key" && chmod 600 "$T_TMP/rp.key" ||
	die "could not make the return-path key"
rg_conf "$CONF" \
	Socket "unix:$T_TMP/repguard.sock" \
	UMask 000 \
	DatabasePath "$T_TMP/db" \
	InternalHosts 10.1.0.0/16 \
	CommitInterval 10 \
	Syslog no \
	KeyTable "file:$T_TMP/keytable" \
	SigningTable "refile:$T_TMP/signingtable" \
	MultipleSignatures yes \
	ReturnPathDomain bounce.example.com \
	ReturnPathKeyFile "$T_TMP/rp.key" \
	BounceRules "$ROOT/contrib/bounce-rules" \
	MinimumVolume 10 \
	PauseCooldown 10s \
	RateWindowShort 10s \
	RateWindowLong 1h \
	BulkLimit 2/1h \
	BulkCompliance add \
	ListUnsubscribeURL 'https://unsub.example.com/one-click/%{sender}/%{rcpt}'
say "repguard.conf: sign outbound mail with both keys (KeyTable, SigningTable,"
say "MultipleSignatures); rewrite the return-path to bounce.example.com so that"
say "bounces come back to repguard; and, so that the demo is short, judge rates"
say "from 10 recipients on, with a 10 s cool-down and a 10 s short window"
say "(the defaults: 100 recipients, 4 h, 1 h); let each sender send 2 bulk"
say "messages an hour, and give bulk mail one-click unsubscribe headers:"
indent <"$CONF"
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1 ||
	{ indent <"$T_TMP/check.out"; die "repguard -n rejected the configuration"; }
pf_setup || die "could not write the Postfix configuration"
echo "internal_mail_filter_classes = bounce" >>"$PF_DIR/main.cf"
sink_start || die "smtp-sink did not start"
good "smtp-sink (the receiving side) listens on 127.0.0.1:$SINK_PORT"
dead_domain dead.example || die "the second smtp-sink did not start"
good "a second smtp-sink on 127.0.0.1:$DEAD_PORT rejects every address at dead.example (550 5.1.1)"
rg_start "$CONF" "$T_TMP/repguard.log" || die "repguard did not start"
good "repguard (pid $RG_PID) listens on unix:$T_TMP/repguard.sock"
pf_start || die "Postfix did not start"
good "Postfix listens on 127.0.0.1:$PF_PORT, relays to the receivers, milter: repguard"
say "(also for its own bounces: non_smtpd_milters, internal_mail_filter_classes = bounce)"
say "Mail from 10.1.0.0/16 (InternalHosts) or from a logged-in client is outbound:"
say "repguard counts it per sender and can pause a sender.  The demo poses as"
say "10.1.2.3 with Postfix's XCLIENT command."

heading "Two senders send mail"
send_mail 1 alice@example.com friend@example.org || die "alice's first message was refused"
send_mail 2 bob@example.com customer1@example.net,customer2@example.net ||
	die "bob's first message was refused"
sink_wait 2 || die "the receiver did not get the 2 messages"
wait_counted alice@example.com 1 && wait_counted bob@example.com 1 ||
	die "repguard did not count the messages"
good "both delivered and counted:"
say "\$ repguardctl senders"
senders_table

heading "The delivered mail is DKIM-signed; dkimpy verifies it"
dump=$(sink_grep 'demo, message 1$' | head -n 1)
[ -n "$dump" ] || die "alice's message 1 is not among what the receiver got"
strip_dump "$dump" "$T_TMP/message-1.eml" >"$T_TMP/strip.out" 2>&1 ||
	{ indent <"$T_TMP/strip.out"; die "could not cut the message out of smtp-sink's dump $dump"; }
nsig=$(grep -c '^DKIM-Signature:' "$T_TMP/message-1.eml")
say "alice's message 1 as the receiver got it (message-1.eml) starts with $nsig"
say "DKIM-Signature headers, one per key (b= and bh= shortened here):"
show_signatures "$T_TMP/message-1.eml" | indent
[ "$nsig" -eq 2 ] || die "message 1 carries $nsig DKIM-Signature headers, not 2"
record rsa2048 && record ed25519 ||
	die "could not make the public key records from keys/rsa2048.txt and keys/ed25519.txt"
say "The public keys, as DNS would serve them: the record text of keys/*.txt in"
say "dns/rsa2048 and dns/ed25519.  dkimpy (python3-dkim), not repguard's"
say "libopendkim, checks both signatures:"
verify message-1.eml 2
rc=$?
show_verify message-1.eml 2
[ "$rc" -eq 0 ] &&
	grep -Eq '^[0-9]+ d=example\.com s=rsa2048 a=rsa-sha256 .* result=pass$' "$T_TMP/verify.out" &&
	grep -Eq '^[0-9]+ d=example\.com s=ed25519 a=ed25519-sha256 .* result=pass$' "$T_TMP/verify.out" ||
	die "dkimpy did not verify both signatures of message 1 (verify.py status $rc)"
good "both signatures verify: rsa-sha256 (s=rsa2048) and ed25519-sha256 (s=ed25519)"
change=$(tamper "$T_TMP/message-1.eml" "$T_TMP/message-1.changed.eml" 2>&1) ||
	{ printf '%s\n' "$change" | indent; die "could not make the changed copy"; }
say "A copy with one byte of the body changed, $change:"
verify message-1.changed.eml 2
rc=$?
show_verify message-1.changed.eml 2
[ "$rc" -eq 1 ] &&
	[ "$(grep -c ' result=fail' "$T_TMP/verify.out")" -eq 2 ] &&
	! grep -q ' result=pass' "$T_TMP/verify.out" ||
	die "the changed copy did not fail both signatures (verify.py status $rc)"
good "both signatures fail on the changed copy: the body is not what was signed"

heading "alice mails a stale list; the bounces come back; repguard pauses her"
say "Three of the ten addresses are dead.  The message leaves with alice's"
say "return-path rewritten to rp+TOKEN@bounce.example.com; Postfix's bounces"
say "for the dead addresses go there, through repguard, which ties them to"
say "alice, counts them and judges her rate:"
list=""
for i in 1 2 3 4 5 6 7; do list="$list,reader$i@example.net"; done
list="$list,old1@dead.example,old2@dead.example,old3@dead.example"
send_mail 3 alice@example.com "${list#,}" || die "alice's newsletter was refused"
t_wait_for 30 grep -q "sender alice@example.com: .* -> paused" "$T_TMP/repguard.log" ||
	die "repguard did not pause alice after her bounces"
say "what repguard logged of it:"
grep -E "return-path alice|dsn report|sender alice@example.com: " "$T_TMP/repguard.log" |
	sed 's/^repguard\[[0-9]*\]: //' | indent
good "alice is paused automatically by the hard bounces of her list"
say "\$ repguardctl show alice@example.com"
"$REPGUARDCTL" -c "$CONF" show alice@example.com 2>&1 | indent

heading "alice tries again: temporary failure, her mail server keeps the message"
n=$(sink_count)
send_mail 4 alice@example.com friend@example.org
rc=$?
reply=$(pf_reply MAIL)
[ "$rc" -eq 23 ] && printf '%s\n' "$reply" | grep -q '^451 4\.7\.1 sender alice@example\.com is paused until .*hard-bounce rate' ||
	die "alice's message was not refused with 451 4.7.1 at MAIL FROM (swaks status $rc, reply: $reply)"
good "refused at MAIL FROM, with the rate: $reply"

heading "bob is not affected"
send_mail 5 bob@example.com customer3@example.net || die "bob's message was refused while alice was paused"
sink_wait $((n + 1)) || die "bob's message did not reach the receiver"
sink_quiet $((n + 1)) 0.5 || die "more messages than expected reached the receiver"
sink_grep 'demo, message 4$' >/dev/null && die "alice's refused message reached the receiver"
good "bob's message was delivered; nothing of alice's got through"
say "\$ repguardctl senders"
senders_table
say "the dead addresses are on the suppression list, for every sender:"
say "\$ repguardctl suppressed"
"$REPGUARDCTL" -c "$CONF" suppressed 2>&1 | indent
[ "$("$REPGUARDCTL" -c "$CONF" suppressed | grep -c '@dead\.example .*hard-bounce')" -eq 3 ] ||
	die "the three dead addresses are not on the suppression list"

heading "After the cool-down: probation, then active again"
say "10 s later alice sends to the list again; she is on probation: her mail"
say "flows (under stricter rules), and the dead addresses are refused at RCPT"
say "while the others are delivered:"
sleep 10
send_mail 6 alice@example.com "${list#,}" || die "alice's message was refused after the cool-down"
[ "$(pf_reply RCPT | grep -c '^550 5\.1\.1 repguard: old[123]@dead\.example is on the suppression list')" -eq 3 ] ||
	die "the dead addresses were not refused at RCPT"
t_wait_for 10 grep -q "sender alice@example.com: paused -> probation" "$T_TMP/repguard.log" ||
	die "alice did not go to probation"
sink_wait $((n + 2)) || die "alice's message on probation did not reach the receiver"
good "on probation; the three suppressed addresses refused, the seven others delivered"
say "10 s on probation with enough clean mail (10 recipients) make her active again:"
sleep 10
send_mail 7 alice@example.com reader1@example.net,reader2@example.net,reader3@example.net ||
	die "alice's message was refused on probation"
t_wait_for 10 grep -q "sender alice@example.com: probation -> active" "$T_TMP/repguard.log" ||
	die "alice did not return to active"
sink_wait $((n + 3)) || die "alice's last message did not reach the receiver"
grep "sender alice@example.com: probation -> active" "$T_TMP/repguard.log" |
	sed 's/^repguard\[[0-9]*\]: //' | indent
good "alice's mail flows again"
say "\$ repguardctl show alice@example.com (its history)"
"$REPGUARDCTL" -c "$CONF" show alice@example.com 2>&1 | sed -n '/^history:/,$p' | indent

heading "Traffic shaping: a newsletter waits, a password reset does not"
say "carol sends her newsletter (Precedence: bulk) one reader at a time;"
say "BulkLimit 2/1h lets two go; the third gets a temporary failure at the end"
say "of the message, and her mail server keeps it for later:"
n=$(sink_count)
DEMO_HEADER="Precedence: bulk" send_mail 8 carol@example.com reader1@example.net ||
	die "carol's first newsletter was refused"
DEMO_HEADER="Precedence: bulk" send_mail 9 carol@example.com reader2@example.net ||
	die "carol's second newsletter was refused"
DEMO_HEADER="Precedence: bulk" send_mail 10 carol@example.com reader3@example.net
rc=$?
reply=$(pf_reply | head -n 1)
[ "$rc" -eq 26 ] && printf '%s\n' "$reply" | grep -q '^451 4\.7\.1 repguard: the bulk limit of sender carol@example\.com (2/1h) is reached' ||
	die "carol's third newsletter was not deferred with 451 4.7.1 (swaks status $rc, reply: $reply)"
good "deferred: $reply"
say "her password-reset mail (no bulk headers: transactional) goes at once:"
send_mail 11 carol@example.com customer1@example.net ||
	die "carol's transactional message was refused"
sink_wait $((n + 3)) || die "carol's messages did not reach the receiver"
good "delivered: two newsletters and the reset; the third newsletter waits at her server"
strip_dump "$(sink_grep 'demo, message 8$' | head -n 1)" "$T_TMP/message-8.eml" >"$T_TMP/strip.out" 2>&1 ||
	die "could not cut newsletter 8 out of smtp-sink's dump"
say "her newsletter had no unsubscribe headers; repguard added them (BulkCompliance"
say "add) before signing, so the DKIM signatures cover them:"
grep -E '^List-Unsubscribe(-Post)?:' "$T_TMP/message-8.eml" | tr -d '\r' | indent
verify message-8.eml 2
rc=$?
show_verify message-8.eml 2
[ "$rc" -eq 0 ] && grep -q '^List-Unsubscribe-Post: List-Unsubscribe=One-Click' "$T_TMP/message-8.eml" &&
	grep -Eq 'h=[^ ]*[Ll]ist-[Uu]nsubscribe' "$T_TMP/verify.out" ||
	die "newsletter 8 lacks the added headers or its signatures do not cover them"
good "one-click unsubscribe added, and signed"
sleep 1.2	# the buckets reach the database once a second
say "\$ repguardctl limits carol@example.com"
"$REPGUARDCTL" -c "$CONF" limits carol@example.com 2>&1 | indent

heading "Summary"
say "what the receiver got ($(sink_count) messages; the paused attempt is not among them,"
say "and Postfix's bounces were taken in by repguard, not delivered):"
received
say "\$ repguardctl senders"
senders_table
nmsg=$(signatures | cut -d' ' -f1 | sort -u | wc -l)
say "what repguard signed: $nmsg messages, $(signatures | wc -l) signatures (from its log lines"
say "\"QUEUEID: signed d=... s=... a=...\"), per key:"
signatures | awk '{ k = "d=" $2 " s=" $3 " a=" $4; if (!(k in n)) o[++m] = k; n[k]++ }
	END { for (i = 1; i <= m; i++) printf "%d x %s\n", n[o[i]], o[i] }' | indent
[ "$nmsg" -eq "$(sink_count)" ] &&
	[ "$(signatures | grep -c ' example\.com rsa2048 rsa-sha256$')" -eq "$nmsg" ] &&
	[ "$(signatures | grep -c ' example\.com ed25519 ed25519-sha256$')" -eq "$nmsg" ] ||
	die "repguard did not sign each of the $(sink_count) delivered messages with both keys"
good "every delivered message was signed with both keys"
say "what repguard logged:"
indent <"$T_TMP/repguard.log"

heading "Stop everything"
rg_stop TERM
[ "$RG_STATUS" -eq 0 ] || die "repguard exited with status $RG_STATUS on SIGTERM"
pf_stop
sink_stop
good "repguard, Postfix and smtp-sink stopped"
printf '\n%sdemo passed%s: alice was paused by her own bounces, and came back through\n' "$G" "$N"
printf 'probation, while bob kept sending; carol'"'"'s newsletter waited at its limit while\n'
printf 'her password reset went at once; their mail went out signed with two DKIM keys,\n'
printf 'and dkimpy verified the signatures.\n'

exit 0
