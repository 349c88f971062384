#!/bin/bash
# t_corrupt_e2e.sh - behind a real Postfix, a damaged database: repguard
# refuses to start on it, mail waits at the clients meanwhile, and after
# repguardctl db recover --from BACKUP it serves again with its counts.
#
# A private Postfix (tests/lib/postfix.sh) with repguard as its milter
# (DKIM signing, return-path rewriting, reputation counting) relays to
# smtp-sink.  Three seconds of SMTP load (tests/lib/smtpload.py) fill the
# database; a backup is taken while repguard runs (repguardctl db backup);
# repguard is stopped and both meta pages of its data file are overwritten
# with random bytes.  Then:
#   - repguard refuses to start, saying "database is corrupt", status 1,
#     and leaves the file as it is;
#   - a message sent meanwhile gets a 4xx from Postfix (milter_default_action
#     tempfail): it waits at the client, nothing reaches the sink;
#   - repguardctl db recover --from BACKUP: status 0, the return-path
#     record of every accepted message copied; repguard starts and reports
#     the counts of every message of the load;
#   - the message sent again is accepted and reaches the sink signed.
# Needs root, postfix, smtp-sink, swaks and /usr/bin/python3 (else skipped).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

pf_require
e2e_init
e2e_bed
ctl() { "$REPGUARDCTL" -c "$CONF" "$@"; }

load_start
sleep 3
load_stop
ACCEPTED=$(load_count accepted)
t_ok "$([ "$ACCEPTED" -gt 50 ]; echo $?)" "SMTP load: $ACCEPTED messages accepted"
counted_is() { [ "$(e2e_counted)" = "$1" ]; }
t_wait_for 15 counted_is "$ACCEPTED"
t_is "$(e2e_counted)" "$ACCEPTED" "the database counted every one"
pf_drain
sink_wait "$ACCEPTED" 30
t_is "$(sink_count)" "$ACCEPTED" "the load's messages were all delivered"
ctl db backup "$T_TMP/backup.mdb" >"$T_TMP/backup.out" 2>&1
t_ok $? "db backup while repguard runs"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"

dd if=/dev/urandom of="$T_TMP/db/data.mdb" bs=4096 count=2 conv=notrunc 2>/dev/null
sum=$(md5sum <"$T_TMP/db/data.mdb")
"$REPGUARD" -f -c "$CONF" >"$T_TMP/start.out" 2>&1
t_is "$?" 1 "the meta pages overwritten: repguard refuses to start (status 1)"
t_like "$(cat "$T_TMP/start.out")" "fatal: database: $T_TMP/db: database is corrupt" \
	"... saying the database is corrupt"
t_is "$(md5sum <"$T_TMP/db/data.mdb")" "$sum" "... and leaves the file as it is"

sink_clear
pf_send --from waits@example.com --to rcpt@example.net --header "X-Test-Id: waits"
rc=$?
t_like "$rc $(pf_reply)" '^[1-9][0-9]* 4[0-9][0-9] ' \
	"a message sent meanwhile gets a 4xx from Postfix and waits at the client"
t_ok "$(sink_quiet 0 1; echo $?)" "... nothing reached the sink"

out=$(ctl db recover --from "$T_TMP/backup.mdb" 2>&1)
t_ok $? "repguardctl db recover --from BACKUP"
echo "$out" | sed 's/^/# /'
t_like "$out" "returnpath +$ACCEPTED record" \
	"... copies the return-path record of every accepted message (their bounces stay traceable)"
rg_start "$CONF" "$RGLOG"
t_ok $? "repguard starts on the recovered database"
t_is "$(e2e_counted)" "$ACCEPTED" "... with the counts of all $ACCEPTED messages of the load"
pf_send --from waits@example.com --to rcpt@example.net --header "X-Test-Id: waits"
t_ok $? "the message sent again is accepted"
sink_wait 1 15
t_is "$(sink_grep '^X-Test-Id: waits$' | xargs -r grep -l '^DKIM-Signature:' | wc -l)" 1 \
	"... and reaches the sink, signed"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"
t_done
