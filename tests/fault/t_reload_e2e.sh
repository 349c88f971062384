#!/bin/bash
# t_reload_e2e.sh - reloads under load behind a real Postfix: a broken
# configuration is refused and the running one keeps serving; a good one is
# taken without a message lost or refused.
#
# A private Postfix with repguard (signing, return-path rewriting) relays to
# smtp-sink; tests/lib/smtpload.py keeps four SMTP clients sending.
# Meanwhile repguard gets SIGHUP five times: three times with a broken file
# (an unknown keyword, a bad value, a key file that is not there) and twice
# with a good one.  Then:
#   - each broken file is refused in the log at its file:line, and the
#     good ones are taken;
#   - no message was refused or deferred: every one was accepted, and
#     every one reaches the sink, signed and rewritten;
#   - the daemon never restarted (one pid throughout).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

pf_require
e2e_init
good() {
	e2e_conf "$CONF.new" "$T_TMP/db" MinimumVolume "$1"
	mv "$CONF.new" "$CONF"
}
good 100
pf_setup
pf_bed "$CONF" "$RGLOG"
PID0=$RG_PID

load_start

# reload WHAT: SIGHUP, then wait for the daemon's answer to it; prints it
reload() {
	local lines
	lines=$(wc -l <"$RGLOG")
	kill -HUP "$RG_PID"
	t_wait_for 10 sh -c "tail -n +$((lines + 1)) '$RGLOG' | grep -q 'configuration reloaded\|keeping the running configuration'"
	tail -n +$((lines + 1)) "$RGLOG" | grep -E 'reload refused|configuration reloaded' | head -n 2
}
sleep 2
good 100; echo "Bogus yes" >>"$CONF"
t_like "$(reload)" "reload refused: $CONF:[0-9]+: .*Bogus" "broken file (unknown keyword): refused at its line"
sleep 1
good 100; sed -i 's/^MinimumVolume .*/MinimumVolume lots/' "$CONF"
t_like "$(reload)" "reload refused: $CONF:[0-9]+: MinimumVolume" "broken file (bad value): refused at its line"
sleep 1
good 50
t_like "$(reload)" "configuration reloaded from $CONF" "good file: taken"
sleep 1
good 50; sed -i "s|^KeyFile .*|KeyFile $T_TMP/missing.pem|" "$CONF"
t_like "$(reload)" "reload refused: $CONF:[0-9]+: .*missing\\.pem" "broken file (a key file that is not there): refused"
sleep 1
good 100
t_like "$(reload)" "configuration reloaded from $CONF" "good file again: taken"
sleep 2
load_stop
echo "# load: $(cat "$T_TMP/load.summary")"
t_is "$RG_PID" "$PID0" "the daemon never restarted"
kill -0 "$RG_PID" 2>/dev/null
t_ok $? "... and is still running"

ACCEPTED=$(load_count accepted)
t_ok "$([ "$ACCEPTED" -gt 100 ]; echo $?)" "$ACCEPTED messages accepted during the reloads"
t_is "$(( $(load_count tempfail) + $(load_count refused) + $(load_count error) ))" 0 \
	"none deferred, refused or broken off"
pf_drain
sink_wait "$ACCEPTED" 30
t_is "$(sink_count)" "$ACCEPTED" "every one reached the sink"
t_is "$(sink_files | xargs -r grep -l '^DKIM-Signature:' | wc -l)" "$ACCEPTED" "... signed"
t_is "$(sink_files | xargs -r grep -lE '^X-Mail-Args: <rp\+[0-9a-f]{46}@bounce\.example\.com>' | wc -l)" "$ACCEPTED" \
	"... with a rewritten return-path"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"
t_done
