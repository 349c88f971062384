#!/bin/bash
# t_reply_e2e.sh - what a real Postfix shows the SMTP client when one of
# repguard's replies carries text from outside: the From: address of an
# OnNoKey tempfail ("no DKIM key for ...").  smfi_setreply(3) reads a reply
# text as a format: a lone '%' must go out as '%%', control characters
# must not go out at all (Postfix drops a lone '%' from the text; Sendmail
# answers 554 5.7.1 instead of the 451).  A private Postfix
# (tests/lib/postfix.sh) with repguard as its milter, swaks posing by
# XCLIENT as an internal client.
#   (a) From: <a%b@other.example>, a domain without a key, OnNoKey tempfail:
#       the client gets 451 4.7.5 naming the address as it was written,
#       nothing reaches the sink;
#   (b) the same with '%s%n' in the address: the text is shown, literally;
#   (c) Postfix logged no malformed milter reply, and repguard no error.
# The same reply through a real Sendmail: tests/e2e/t_sendmail_e2e.sh (d).
# Needs root, postfix, smtp-sink, swaks and /usr/bin/python3 (else skipped).

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

pf_require
e2e_init
INTERNAL=10.1.2.3

# nokey ID FROM-HEADER: an internal message whose From: has no key
nokey() {
	printf 'From: <%s>\nTo: <friend@example.net>\nSubject: reply %s\nX-Test-Id: %s\n\nhello\n' \
		"$2" "$1" "$1" >"$T_TMP/msg.$1"
	pf_send --name "$1" --addr "$INTERNAL" --from carol@example.com \
	    --to friend@example.net --data "@$T_TMP/msg.$1"
}

e2e_bed InternalHosts 10.1.0.0/16 OnNoKey tempfail

# --- (a) a lone '%' -------------------------------------------------------
nokey r1 'a%b@other.example'
rc=$?
reply=$(pf_reply)
printf '# the client saw: %s\n' "$reply"
t_is "$rc:$reply" '26:451 4.7.5 repguard: no DKIM key for a%b@other.example' \
	"(a) From: <a%b@other.example>, no key: 451 4.7.5 names the address as written"

# --- (b) what printf would read as conversions -----------------------------
nokey r2 'x%s%n@other.example'
rc=$?
reply=$(pf_reply)
printf '# the client saw: %s\n' "$reply"
t_is "$rc:$reply" '26:451 4.7.5 repguard: no DKIM key for x%s%n@other.example' \
	"(b) From: <x%s%n@other.example>: shown literally, not read as a format"
sleep 1
t_is "$(sink_grep '^X-Test-Id: r[12]$' | wc -l)" 0 "(a, b) nothing of them reached the sink"

# --- (c) nobody saw a broken reply --------------------------------------------
t_is "$(pf_log 'milter.*(malformed|unexpected|bad) ' | head -n 3)" "" \
	"(c) Postfix logged no malformed milter reply"
t_is "$(grep -E 'smfi_setreply|panic|fatal|runtime error' "$RGLOG" | head -n 3)" "" \
	"(c) repguard logged no failed reply, panic or error"
t_done
