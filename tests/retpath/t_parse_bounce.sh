#!/bin/bash
# t_parse_bounce.sh - repguardctl parse-bounce: JSON for one message, JSON
# Lines for files, directories, mboxes and maildirs, --summary, and the
# built-in rules without a configuration file.
#
# Reads corpus messages (tests/bounce/corpus) from a file and from standard
# input, with the rules, prefix and domain given as options or taken from
# the configuration (BounceRules, ReturnPathPrefix, ReturnPathDomain); the
# JSON has the fields the interface promises.  Random bytes and an empty
# message give "not-bounce" and exit 0; a missing file and a bad rules
# file exit 1 with a message (the rules' FILE:LINE); usage errors exit 2.
. "$TOP_SRCDIR/tests/lib/common.sh"

PY=/usr/bin/python3
[ -x "$PY" ] || t_skip_all "$PY not installed"
t_tmpdir
C=$TOP_SRCDIR/tests/bounce/corpus
RULES=$TOP_SRCDIR/contrib/bounce-rules
TOKEN=016b1d0f8a0123456789abcdef0123456789abcdef0123
OPTS=(--rules "$RULES" --prefix rp --domain bounce.example.com)

# field JSON-PYTHON-EXPRESSION: evaluate on the JSON in $OUT ("d")
field() { printf '%s' "$OUT" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$1" 2>&1; }

OUT=$("$REPGUARDCTL" parse-bounce "$C/postfix-dsn-5.1.1.eml" "${OPTS[@]}")
t_ok $? "a Postfix DSN from a file: exit 0"
t_is "$(field 'd["type"], d["token"], d["message_id"]')" \
	"('dsn', '$TOKEN', '<hello.1@example.com>')" "type dsn, the token, the returned Message-ID"
t_is "$(field '[(r["address"], r["status"], r["action"], r["class"], r["remote_mta"]) for r in d["recipients"]]')" \
	"[('nobody@example.org', '5.1.1', 'failed', 'hard', 'mx.example.org')]" "the recipient: 5.1.1 failed hard, remote MTA"
t_like "$(field 'd["recipients"][0]["diagnostic"]')" '^550 5\.1\.1 <nobody@example\.org>: Recipient address rejected: User unknown' \
	"the diagnostic, unfolded, without its type"
t_is "$(field 'sorted(d.keys())')" \
	"['feedback_type', 'message_id', 'recipients', 'reporting_mta', 'sender', 'source', 'subject', 'token', 'type']" \
	"the JSON has the documented fields"

OUT=$("$REPGUARDCTL" parse-bounce "${OPTS[@]}" <"$C/arf-abuse.eml")
t_is "$(field 'd["type"], d["feedback_type"], [r["class"] for r in d["recipients"]]')" \
	"('arf', 'abuse', ['complaint'])" "an ARF report on standard input: arf, abuse, one complaint"

OUT=$("$REPGUARDCTL" parse-bounce "$C/autoreply-ooo.eml" "${OPTS[@]}")
t_is "$(field 'd["type"], [(r["address"], r["reason"], r["class"]) for r in d["recipients"]]')" "('auto-reply', [('carol@example.org', 'auto-reply', 'auto-reply')])" \
	"an out-of-office reply: auto-reply, its sender the one entry"

head -c 100000 /dev/urandom >"$T_TMP/random"
OUT=$("$REPGUARDCTL" parse-bounce "$T_TMP/random" "${OPTS[@]}")
rc=$?
t_is "$rc:$(field 'd["type"]')" "0:not-bounce" "100 kB of random bytes: not-bounce, exit 0"
OUT=$("$REPGUARDCTL" parse-bounce "${OPTS[@]}" </dev/null)
t_is "$?:$(field 'd["type"]')" "0:not-bounce" "an empty message: not-bounce, exit 0"

# from the configuration
rg_conf "$T_TMP/rg.conf" DatabasePath "$T_TMP/db" Syslog no BounceRules "$RULES" \
	ReturnPathPrefix rp ReturnPathDomain bounce.example.com
OUT=$("$REPGUARDCTL" -c "$T_TMP/rg.conf" parse-bounce "$C/qmail.eml")
t_is "$(field 'd["type"], d["token"], [(r["address"], r["status"], r["class"]) for r in d["recipients"]]')" \
	"('nondsn', '$TOKEN', [('nosuch@example.net', '5.1.1', 'hard')])" \
	"rules, prefix and domain from the configuration: a qmail bounce"

# errors
out=$("$REPGUARDCTL" parse-bounce "$T_TMP/missing.eml" "${OPTS[@]}" 2>&1)
t_is "$?" 1 "a missing message file: exit 1"
t_like "$out" 'missing\.eml: No such file' "... naming the file"
printf 'hard status ^5\\.1\\.1$\nweird status x\n' >"$T_TMP/rules"
out=$("$REPGUARDCTL" parse-bounce "$C/qmail.eml" --rules "$T_TMP/rules" --prefix rp --domain x.example 2>&1)
t_is "$?" 1 "a bad rules file: exit 1"
t_like "$out" "$T_TMP/rules:2: unknown reason \"weird\"" "... with the rules file's name and line"
# --- many messages: files, a directory, an mbox, a maildir; JSON Lines ---------------
kinds() { "$PY" -c 'import json, sys
for l in sys.stdin:
    d = json.loads(l)
    print(d["source"].rsplit("/", 1)[-1], d["type"], ",".join(r["address"] + ":" + (r["reason"] or "-") for r in d["recipients"]))'; }
out=$("$REPGUARDCTL" parse-bounce "$C/qmail.eml" "$C/arf-abuse.eml" "${OPTS[@]}" | kinds)
t_is "$out" "qmail.eml nondsn nosuch@example.net:user-unknown
arf-abuse.eml arf complainer@isp.example:complaint" "two files: one line of JSON each, in order, with their source"
{ for f in qmail sendmail-dsn autoreply-ooo; do
	printf 'From MAILER-DAEMON Fri Nov 28 10:00:00 2025\n'
	sed 's/\r$//; s/^From />From /' "$C/$f.eml"
	printf '\n'
  done; } >"$T_TMP/bounces.mbox"
out=$("$REPGUARDCTL" parse-bounce "$T_TMP/bounces.mbox" "${OPTS[@]}" | kinds)
t_is "$out" "bounces.mbox:1 nondsn nosuch@example.net:user-unknown
bounces.mbox:2 dsn nouser@example.org:user-unknown
bounces.mbox:3 auto-reply carol@example.org:auto-reply" "an mbox: its three messages, each as PATH:N"
mkdir -p "$T_TMP/md/cur" "$T_TMP/md/new" "$T_TMP/md/tmp"
cp "$C/exim-dsn.eml" "$T_TMP/md/cur/1.host:2,S"
cp "$C/carrier-worded.eml" "$T_TMP/md/new/2.host"
cp "$C/qmail.eml" "$T_TMP/md/tmp/3.host"
out=$("$REPGUARDCTL" parse-bounce "$T_TMP/md" "${OPTS[@]}" | kinds)
t_is "$out" "1.host:2,S dsn gone@example.net:user-unknown
2.host nondsn phone.full@carrier.example.jp:mailbox-full" "a maildir: cur/ then new/, not tmp/"
mkdir "$T_TMP/dir" && cp "$C/postfix-rcpt-rejected-policy.eml" "$C/html-only.eml" "$T_TMP/dir/" && touch "$T_TMP/dir/.hidden"
out=$("$REPGUARDCTL" parse-bounce "$T_TMP/dir" "${OPTS[@]}" | kinds)
t_is "$out" "html-only.eml nondsn sleeper@portal.example:mailbox-disabled
postfix-rcpt-rejected-policy.eml dsn guarded@example.org:policy-other,listed@example.org:blocked,spf@example.org:authentication" \
	"a directory: its files sorted by name, hidden ones left out"
out=$("$REPGUARDCTL" parse-bounce --summary "$T_TMP/dir" "$T_TMP/bounces.mbox" "${OPTS[@]}")
t_is "$out" "5 messages
type     auto-reply           1
type     dsn                  2
type     nondsn               2
class    auto-reply           1
class    hard                 3
class    policy               3
reason   authentication       1
reason   auto-reply           1
reason   blocked              1
reason   mailbox-disabled     1
reason   policy-other         1
reason   user-unknown         2" "--summary: counts by type, class and reason"
out=$(cd "$T_TMP" && "$REPGUARDCTL" -c "$T_TMP/none.conf" parse-bounce "$C/sendmail-dsn.eml" | kinds)
t_is "$out" "sendmail-dsn.eml dsn nouser@example.org:user-unknown" \
	"without a configuration file: the built-in rules"
"$REPGUARDCTL" parse-bounce --summary --nothing >/dev/null 2>&1
t_is "$?" 2 "an unknown option: usage error, exit 2"
"$REPGUARDCTL" parse-bounce --rules >/dev/null 2>&1
t_is "$?" 2 "--rules without a value: usage error, exit 2"
t_done
