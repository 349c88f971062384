#!/bin/bash
# t_bounce_e2e.sh - a bounce made by our own Postfix comes back through
# repguard and is tied to the sender who caused it.
#
# A private Postfix (tests/lib/postfix.sh) has repguard as smtpd_milters and
# non_smtpd_milters with internal_mail_filter_classes = bounce, so that the
# DSNs Postfix itself makes go through repguard too.  Mail for bad.example
# goes to a second smtp-sink that rejects every RCPT with 550 5.1.1.
#   (a) alice@example.com (internal) writes to nobody@bad.example: her
#       message leaves with the rewritten return-path, the second sink
#       refuses it, Postfix makes a DSN to rp+TOKEN@bounce.example.com,
#       repguard reads it, records nobody@bad.example as "hard" for
#       alice@example.com, and drops it (BounceForward no): nothing reaches
#       the first sink for the bounce address;
#   (b) with BounceForward yes (reload), the next DSN reaches alice@example.com
#       at the first sink instead;
#   (c) a forged bounce to a made-up token from an outside client is
#       refused at RCPT with 550 5.1.1.
# Needs root, postfix, smtp-sink, swaks and /usr/bin/python3 (else skipped).

. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"

pf_require

t_tmpdir
CONF=$T_TMP/repguard.conf
SOCK=$T_TMP/repguard.sock
RGLOG=$T_TMP/repguard.log
KEY=$T_TMP/rp.key
INTERNAL=10.1.2.3
EXTERNAL=192.0.2.9
openssl rand -hex 32 >"$KEY"
chmod 600 "$KEY"

write_conf() {	# write_conf FORWARD
	rg_conf "$CONF.new" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		InternalHosts 10.1.0.0/16 CommitInterval 10 Syslog no \
		ReturnPathDomain bounce.example.com ReturnPathKeyFile "$KEY" \
		BounceRules "$TOP_SRCDIR/contrib/bounce-rules" BounceForward "$1"
	mv "$CONF.new" "$CONF"
}
send() {	# send ID FROM TO [pf_send options]
	_id=$1 _from=$2 _to=$3; shift 3
	printf 'From: <%s>\nTo: <%s>\nSubject: bounce e2e %s\nX-Test-Id: %s\n\nhello %s\n' \
		"$_from" "$_to" "$_id" "$_id" "$_id" >"$T_TMP/msg.$_id"
	pf_send --name "$_id" "$@" --from "$_from" --to "$_to" --data "@$T_TMP/msg.$_id"
}
report_logged() { grep -q "dsn report to rp+[0-9a-f]\{46\}@bounce.example.com for sender $1 (record found): $2 5.1.1 hard counted; 1 recorded" "$RGLOG"; }

write_conf no
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "repguard -n accepts the configuration"
pf_setup
echo "internal_mail_filter_classes = bounce" >>"$PF_DIR/main.cf"
dead_domain bad.example
t_ok $? "the rejecting smtp-sink for bad.example listens on 127.0.0.1:$DEAD_PORT"
pf_bed "$CONF" "$RGLOG" "non_smtpd_milters, internal_mail_filter_classes = bounce"

# --- (a) Postfix's own DSN, recorded and dropped ----------------------------------------
send a1 alice@example.com nobody@bad.example --addr "$INTERNAL"
t_ok $? "(a) alice@example.com's message to nobody@bad.example accepted"
t_wait_for 20 report_logged alice@example.com nobody@bad.example
t_ok $? "(a) Postfix's DSN came through repguard: nobody@bad.example 5.1.1 hard, for sender alice@example.com"
grep -q "return-path alice@example.com -> rp+" "$RGLOG"
t_ok $? "(a) the message had left with the rewritten return-path"
sleep 1
t_is "$(sink_grep '^X-Rcpt-Args: <rp+' | wc -l)" 0 "(a) the DSN was dropped (BounceForward no): nothing for the bounce address at the sink"
t_wait_for 10 grep -q "status=bounced" "$PF_LOG"
t_ok $? "(a) Postfix logged the bounce"

# --- (b) BounceForward yes --------------------------------------------------------------
write_conf yes
kill -HUP "$RG_PID"
t_wait_for 5 grep -q "configuration reloaded" "$RGLOG"
send b1 bob@example.com gone@bad.example --addr "$INTERNAL"
t_wait_for 20 report_logged bob@example.com gone@bad.example
t_ok $? "(b) the second DSN was recorded for bob@example.com"
t_wait_for 20 sink_grep '^X-Rcpt-Args: <bob@example\.com>' >/dev/null
dump=$(sink_grep '^X-Rcpt-Args: <bob@example\.com>' | head -n 1)
if [ -n "$dump" ] && grep -q '^Subject: Undelivered Mail Returned to Sender' "$dump"; then
	t_pass "(b) BounceForward yes: the DSN reached bob@example.com at the sink"
else
	t_fail "(b) BounceForward yes: the DSN reached bob@example.com at the sink" "dump: '$dump'" \
		"$(grep -i "report\|forward" "$RGLOG" | tail -n 4)"
fi

# --- (c) a forged bounce ----------------------------------------------------------------
pf_send --name c1 --addr "$EXTERNAL" --from '<>' \
	--to rp+0100000000aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbb@bounce.example.com \
	--data "@$T_TMP/msg.a1"
t_like "$(pf_reply RCPT)" '^550 5\.1\.1 ' "(c) a bounce to a made-up token is refused at RCPT with 550 5.1.1"

rg_stop
t_is "$RG_STATUS" 0 "repguard stops with status 0"
t_done
