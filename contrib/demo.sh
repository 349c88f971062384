#!/bin/bash
# demo.sh - see repguard pause a sender, on a private Postfix, in one minute.
#
# Run as root on Debian 12, from a checkout of repguard:
#
#   sudo bash contrib/demo.sh
#
# What it does, printing each step as it goes:
#   1. installs the Debian packages it needs, if missing (apt-get);
#   2. builds repguard into build/demo (autoreconf, configure, make) unless
#      build/demo/repguard and build/demo/repguardctl already exist;
#   3. starts, all under one temporary directory and on free 127.0.0.1 ports:
#      a private Postfix (its own config, queue and log; the system's Postfix
#      and port 25 are never touched), repguard as its milter, and smtp-sink,
#      a fake remote server that stores what it receives;
#   4. sends mail from alice@example.com and bob@example.com (posing as the
#      internal host 10.1.2.3 through Postfix's XCLIENT), pauses alice with
#      repguardctl, shows the 451 her next message gets while bob's still flows,
#      resumes her, and shows the counters and what the receiver got;
#   5. stops everything it started and removes the temporary directory
#      (KEEP_TMP=1 keeps it, with every log and SMTP transcript).
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
build() {
	if [ -x "$BUILD/repguard" ] && [ -x "$BUILD/repguardctl" ]; then
		say "using the binaries in build/demo (rm -rf build/demo to rebuild)"
		return 0
	fi
	if [ -f "$ROOT/config.status" ]; then
		say "the source tree is configured in place; run 'make distclean' in $ROOT first"
		return 1
	fi
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
	make -C "$BUILD" -j"$(nproc 2>/dev/null || echo 2)" repguard repguardctl \
	    >"$BUILD/make.log" 2>&1 ||
		{ tail -n 20 "$BUILD/make.log" | indent; return 1; }
	say "built build/demo/repguard and build/demo/repguardctl"
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
# dialogue; the status is swaks' (0: accepted).
send_mail() {
	local id=$1 from=$2 to=$3 rc
	say "${B}$from -> $to${N}"
	pf_send --name "$id" --addr 10.1.2.3 --from "$from" --to "$to" \
	    --header "Subject: repguard demo, message $id"
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

# --- main --------------------------------------------------------------------------------
printf '%srepguard demo%s: a private Postfix with repguard, two senders, one pause.\n' "$B" "$N"
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
[ -z "$still" ] || die "still missing after the install: $still"

heading "Start a private Postfix, repguard and a fake receiver"
t_tmpdir
CONF=$T_TMP/repguard.conf
rg_conf "$CONF" \
	Socket "unix:$T_TMP/repguard.sock" \
	UMask 000 \
	DatabasePath "$T_TMP/db" \
	InternalHosts 10.1.0.0/16 \
	CommitInterval 10 \
	Syslog no
say "everything lives in $T_TMP"
say "repguard.conf:"
indent <"$CONF"
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1 ||
	{ indent <"$T_TMP/check.out"; die "repguard -n rejected the configuration"; }
pf_setup || die "could not write the Postfix configuration"
sink_start || die "smtp-sink did not start"
good "smtp-sink (the receiving side) listens on 127.0.0.1:$SINK_PORT"
rg_start "$CONF" "$T_TMP/repguard.log" || die "repguard did not start"
good "repguard (pid $RG_PID) listens on unix:$T_TMP/repguard.sock"
pf_start || die "Postfix did not start"
good "Postfix listens on 127.0.0.1:$PF_PORT, relays to the receiver, milter: repguard"
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

heading "Pause alice@example.com"
say "\$ repguardctl pause alice@example.com --reason \"demo: too many bounces\""
out=$("$REPGUARDCTL" -c "$CONF" pause alice@example.com --reason "demo: too many bounces" 2>&1) ||
	{ printf '%s\n' "$out" | indent; die "repguardctl pause failed"; }
printf '%s\n' "$out" | indent

heading "alice tries again: temporary failure, her mail server keeps the message"
n=$(sink_count)
send_mail 3 alice@example.com friend@example.org
rc=$?
reply=$(pf_reply MAIL)
[ "$rc" -eq 23 ] && printf '%s\n' "$reply" | grep -q '^451 4\.7\.1 ' ||
	die "alice's message was not refused with 451 4.7.1 at MAIL FROM (swaks status $rc, reply: $reply)"
good "refused at MAIL FROM: $reply"

heading "bob is not affected"
send_mail 4 bob@example.com customer3@example.net || die "bob's message was refused while alice was paused"
sink_wait $((n + 1)) || die "bob's message did not reach the receiver"
sink_quiet $((n + 1)) 0.5 || die "more messages than expected reached the receiver"
sink_grep 'demo, message 3$' >/dev/null && die "alice's refused message reached the receiver"
good "bob's message was delivered; nothing of alice's got through"
say "\$ repguardctl senders"
senders_table

heading "Resume alice@example.com"
say "\$ repguardctl resume alice@example.com"
out=$("$REPGUARDCTL" -c "$CONF" resume alice@example.com 2>&1) ||
	{ printf '%s\n' "$out" | indent; die "repguardctl resume failed"; }
printf '%s\n' "$out" | indent
send_mail 5 alice@example.com friend@example.org || die "alice's message was refused after resume"
sink_wait $((n + 2)) || die "alice's message after resume did not reach the receiver"
wait_counted alice@example.com 2 && wait_counted bob@example.com 2 ||
	die "the counters are not what they should be (alice 2, bob 2 messages)"
good "alice's mail flows again"

heading "Summary"
say "what the receiver got ($(sink_count) messages; the paused attempt is not among them):"
received
say "\$ repguardctl senders"
senders_table
say "what repguard logged:"
indent <"$T_TMP/repguard.log"

heading "Stop everything"
rg_stop TERM
[ "$RG_STATUS" -eq 0 ] || die "repguard exited with status $RG_STATUS on SIGTERM"
pf_stop
sink_stop
good "repguard, Postfix and smtp-sink stopped"
printf '\n%sdemo passed%s: alice was paused and resumed while bob kept sending.\n' "$G" "$N"
exit 0
