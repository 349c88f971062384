#!/bin/bash
# t_sendmail_e2e.sh - repguard attached to a real Sendmail (Debian's
# sendmail-bin, unpacked by contrib/packages.sh's pkg_sendmail into
# $SENDMAIL_ROOT), private on loopback ports, with smtp-sink behind it and
# swaks in front; the milter lines are those of contrib/sendmail.mc.
#
#   (a) mail from an internal client is delivered signed (dkimpy verifies
#       the signature) with its return-path rewritten to rp+TOKEN@ the
#       bounce domain;
#   (b) a paused sender gets 451 4.7.1 at the SMTP client, with the reason;
#       nothing of it reaches the sink;
#   (c) repguard down: Sendmail answers with a temporary failure (F=T), so
#       the client keeps the mail;
#   (d) a reply whose text carries a '%' (the From: address of an OnNoKey
#       tempfail): the client sees the address as it was written (run
#       before (c), while repguard is up).
# The same assertions as the Postfix end-to-end tests.  Skipped without
# SENDMAIL_ROOT (contrib/test.sh sets it), root, smtp-sink or swaks.

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

e2e_skippable
SM=${SENDMAIL_ROOT:-}/usr/libexec/sendmail/sendmail
[ -n "${SENDMAIL_ROOT:-}" ] && [ -x "$SM" ] ||
	t_skip_all "no unpacked Sendmail (SENDMAIL_ROOT; contrib/test.sh provides it)"
[ "$(id -u)" -eq 0 ] || t_skip_all "needs root (Sendmail's daemon)"
command -v smtp-sink >/dev/null && command -v swaks >/dev/null && command -v m4 >/dev/null ||
	t_skip_all "needs smtp-sink, swaks and m4"
PY=/usr/bin/python3
"$PY" -c 'import dkim' 2>/dev/null || t_skip_all "needs python3-dkim"

t_tmpdir
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/rg.sock
RGLOG=$T_TMP/repguard.log
SM_PORT=$(t_free_port)
SINK_PORT=$(t_free_port)
while [ "$SINK_PORT" = "$SM_PORT" ]; do SINK_PORT=$(t_free_port); done
SINK_DIR=$T_TMP/sink
mkdir -p "$SINK_DIR" "$T_TMP/q" "$T_TMP/mq"
chmod 700 "$T_TMP/q" "$T_TMP/mq"
chmod 0755 "$T_TMP"			# smtp-sink runs as postfix
chown postfix "$SINK_DIR"
(umask 077; openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$T_TMP/rsa.pem") >/dev/null 2>&1
printf 'v=DKIM1; k=rsa; p=%s\n' \
	"$(openssl pkey -in "$T_TMP/rsa.pem" -pubout -outform DER | base64 -w0)" \
	>"$T_TMP/sel._domainkey.example.com"
rp_key "$T_TMP/rp.key"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	InternalHosts 127.0.0.0/8 CommitInterval 10 Syslog no \
	Domain example.com Selector sel KeyFile "$T_TMP/rsa.pem" \
	ReturnPathDomain bounce.example.com ReturnPathKeyFile "$T_TMP/rp.key" \
	OnNoKey tempfail

# sendmail.cf: a private daemon on SM_PORT relaying everything to the sink;
# the milter definition and macros are contrib/sendmail.mc's, with the
# socket of this test.
{
	cat <<EOF
divert(-1)
divert(0)dnl
include(\`$SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4')dnl
VERSIONID(\`repguard test')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mta.repguard.test')dnl
define(\`QUEUE_DIR', \`$T_TMP/q')dnl
define(\`MSP_QUEUE_DIR', \`$T_TMP/mq')dnl
define(\`confPID_FILE', \`$T_TMP/sendmail.pid')dnl
define(\`ALIAS_FILE', \`')dnl
define(\`confHELP_FILE', \`')dnl
define(\`STATUS_FILE', \`')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDONT_BLAME_SENDMAIL', \`GroupWritableDirPathSafe,TrustStickyBit,InsufficientEntropy')dnl
define(\`confBIND_OPTS', \`-DNSRCH -DEFNAMES')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`SMART_HOST', \`[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
define(\`SMTP_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
FEATURE(\`promiscuous_relay')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`nocanonify')dnl
define(\`confSERVICE_SWITCH_FILE', \`$T_TMP/service.switch')dnl
EOF
	sed "s|S=unix:/run/repguard/repguard.sock|S=unix:$SOCK|" \
		"$TOP_SRCDIR/contrib/sendmail.mc"
	echo "MAILER(\`smtp')dnl"
	# every remote address to the sink (no DNS for the test domains)
	printf 'LOCAL_NET_CONFIG\nR$* < @ $* > $*\t$#relay $@ [127.0.0.1] $: $1 < @ $2 > $3\n'
} >"$T_TMP/test.mc"
printf 'hosts files\naliases files\n' >"$T_TMP/service.switch"
m4 "$T_TMP/test.mc" >"$T_TMP/sendmail.cf" 2>"$T_TMP/m4.err"
t_ok $? "m4 builds a sendmail.cf with contrib/sendmail.mc's milter lines"
grep -q "^Xrepguard, S=unix:$SOCK, F=T" "$T_TMP/sendmail.cf"
t_ok $? "... the filter with F=T (temporary failure while repguard is down)"

sink_start
t_ok $? "smtp-sink started on 127.0.0.1:$SINK_PORT"
rg_start "$CONF" "$RGLOG"
t_ok $? "repguard started"
# Sendmail wants its host name qualified: when the machine's is a short
# one that neither /etc/hosts nor DNS knows, it sleeps a minute at start
# ("My unqualified host name ... sleeping for retry").  A UTS namespace
# of its own gives it a qualified one (and changes nothing outside).
SM_UTS=(unshare -u sh -c 'hostname mta.repguard.test && exec "$0" "$@"')
"${SM_UTS[@]}" true 2>/dev/null || SM_UTS=()
# -bD: the daemon in the foreground, so that its pid is known (and it is
# stopped) even if it never gets as far as writing its pid file
"${SM_UTS[@]}" "$SM" -C "$T_TMP/sendmail.cf" -bD -q2s >"$T_TMP/sendmail.out" 2>&1 &
SM_PID=$!
t_track "$SM_PID"
t_wait_for 10 _pf_listening "$SM_PORT"
t_ok $? "Sendmail (pid $SM_PID) listens on 127.0.0.1:$SM_PORT"
[ "$T_FAILED" -eq 0 ] || {
	sed 's/^/# /' "$T_TMP/sendmail.out" "$RGLOG" "$T_TMP/m4.err" 2>/dev/null | tail -n 30
	echo "Bail out! the test bed did not start"
	exit 1
}

smsend() {	# smsend ID FROM TO: swaks to Sendmail; its status
	printf 'From: <%s>\nTo: <%s>\nSubject: sendmail %s\nX-Test-Id: %s\n\nhello %s\n' \
		"$2" "$3" "$1" "$1" "$1" >"$T_TMP/msg.$1"
	PF_TRANSCRIPT=$T_TMP/swaks.$1.log
	swaks --server 127.0.0.1 --port "$SM_PORT" --helo client.repguard.test \
		--timeout 15 --from "$2" --to "$3" --data "@$T_TMP/msg.$1" >"$PF_TRANSCRIPT" 2>&1
}

# --- (a) signed, return-path rewritten ---------------------------------------------------
smsend s1 alice@example.com friend@example.net
t_ok $? "(a) Sendmail accepts alice's message"
t_wait_for 20 sink_grep '^X-Test-Id: s1$' >/dev/null
rc=$?
[ "$rc" -eq 0 ] || grep -a "^M" "$T_TMP"/q/qf* 2>/dev/null | sed "s/^/# queued: /"
t_ok "$rc" "(a) ... and delivers it to the sink"
dump=$(sink_grep '^X-Test-Id: s1$' | head -n1)
t_like "$(grep -m1 '^X-Mail-Args:' "$dump")" '^X-Mail-Args: <rp\+[0-9a-f]{46}@bounce\.example\.com>' \
	"(a) the sink saw the rewritten return-path rp+TOKEN@bounce.example.com"
sink_message s1 "$T_TMP/got.s1" >/dev/null
v=$("$PY" "$TOP_SRCDIR/tests/dkim/verify.py" \
	--key "sel._domainkey.example.com=$T_TMP/sel._domainkey.example.com" --expect 1 "$T_TMP/got.s1" 2>&1)
t_ok $? "(a) dkimpy verifies the DKIM signature of the delivered message"
t_like "$v" "d=example\.com s=sel a=rsa-sha256 .*result=pass" "(a) ... d=example.com s=sel"
t_like "$(grep 'qid=.* event=message ' "$RGLOG" | tail -1)" 'decision=accept stage=eom client=127\.0\.0\.1 sender=alice@example\.com .*signatures=1 returnpath=rewritten' \
	"(a) repguard's decision line: accepted, signed, rewritten, with Sendmail's queue id"

# --- (b) a paused sender ---------------------------------------------------------------------
"$REPGUARDCTL" -c "$CONF" pause bob@example.com --reason "list cleanup" >/dev/null
smsend s2 bob@example.com friend@example.net
t_is "$?" 23 "(b) bob, paused: swaks gets an error at MAIL FROM"
t_like "$(pf_reply MAIL)" '^451 4\.7\.1 sender bob@example\.com is paused until resumed \(since [0-9T:-]+Z\): list cleanup' \
	"(b) 451 4.7.1 at the SMTP client, with the reason"
sleep 3
t_is "$(sink_grep '^X-Test-Id: s2$' | wc -l)" 0 "(b) nothing of it reached the sink"

# --- (d) a '%' in a reply's text ----------------------------------------------------------
# smfi_setreply(3) reads the text as a format: a lone '%' must reach
# Sendmail as '%%'; Sendmail turns a text with a lone '%' into its own
# "554 5.7.1 Command rejected": a temporary failure becomes a rejection.
for f in 'a%b@other.example' 'x%s%n@other.example'; do
	n=$((${n:-3} + 1))
	printf 'From: <%s>\nTo: <friend@example.net>\nSubject: reply s%s\nX-Test-Id: s%s\n\nhello\n' \
		"$f" "$n" "$n" >"$T_TMP/msg.s$n"
	PF_TRANSCRIPT=$T_TMP/swaks.s$n.log
	swaks --server 127.0.0.1 --port "$SM_PORT" --helo client.repguard.test --timeout 15 \
		--from carol@example.com --to friend@example.net --data "@$T_TMP/msg.s$n" \
		>"$PF_TRANSCRIPT" 2>&1
	rc=$?
	printf '# the client saw: %s\n' "$(pf_reply)"
	t_is "$rc:$(pf_reply)" "26:451 4.7.5 repguard: no DKIM key for $f" \
		"(d) From: <$f>, no key (OnNoKey tempfail): the client sees the address as written"
done
t_is "$(grep -cE 'smfi_setreply|panic|runtime error' "$RGLOG")" 0 "(d) repguard logged no failed reply"

# --- (c) repguard down ---------------------------------------------------------------------------
rg_stop TERM
smsend s3 carol@example.com friend@example.net
t_like "$(pf_reply MAIL)$(pf_reply RCPT)$(pf_reply DATA)" '^4[0-9][0-9] ' \
	"(c) repguard down: Sendmail answers with a temporary failure (F=T), the client keeps the mail"

kill -TERM "$SM_PID" 2>/dev/null
sm_gone() { ! ps -o stat= -p "$SM_PID" 2>/dev/null | grep -qv Z; }	# zombie: gone
t_wait_for 10 sm_gone || kill -KILL "$SM_PID" 2>/dev/null
wait "$SM_PID" 2>/dev/null
t_untrack "$SM_PID"
t_done
