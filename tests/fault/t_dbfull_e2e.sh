#!/bin/bash
# t_dbfull_e2e.sh - behind a real Postfix, the database's disk fills up
# under SMTP load and is freed again: mail waits at the clients, nothing
# Postfix accepted is lost, and mail flows again by itself.
#
# A private Postfix (tests/lib/postfix.sh) with repguard as its milter
# (DKIM signing, return-path rewriting, reputation counting) relays to
# smtp-sink; the database is on a 4 MiB tmpfs of its own, filled up but
# for 128 KiB.  tests/lib/smtpload.py keeps four SMTP clients sending, one
# message per transaction, each with a unique X-Load-Id.  Then:
#   - the disk fills: the log says the database cannot be written, naming
#     the disk's error; the records of messages already accepted wait in
#     memory; new mail gets 451 at MAIL FROM (OnError tempfail), so it
#     waits at the client; no client is refused (5xx);
#   - the filler is removed: with no reload and no restart, mail is
#     accepted again;
#   - every message Postfix accepted reaches the sink exactly once, signed
#     and with a rewritten return-path, nothing the client was told to
#     retry does, and the database holds a return-path record (what a
#     bounce is traced by) and a count for every accepted message: the
#     writes that waited in memory went in.
# Needs root, a kernel that lets it mount a tmpfs, postfix, smtp-sink,
# /usr/bin/python3 and mdb_stat (lmdb-utils) (else skipped).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/postfix.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

pf_require
command -v mdb_stat >/dev/null || t_skip_all "needs mdb_stat (lmdb-utils)"

e2e_init
MNT=$T_TMP/fs
mkdir -p "$MNT"
mount -t tmpfs -o size=4m tmpfs "$MNT" 2>/dev/null ||
	t_skip_all "cannot mount a tmpfs here"
trap 'pf_cleanup; umount -l "$MNT"; t_cleanup' EXIT	# keeps postfix.sh's
e2e_conf "$CONF" "$MNT/db"
"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
t_ok $? "the configuration is valid"

pf_setup
pf_bed "$CONF" "$RGLOG"
records() { mdb_stat -s returnpath "$MNT/db" 2>/dev/null | awk '/Entries:/ { print $2 }'; }
accepted_now() { grep -c '"outcome": "accepted"' "$LOAD_OUT" 2>/dev/null; }
more_accepted_than() { [ "$(accepted_now)" -ge "$1" ]; }

avail=$(df -k --output=avail "$MNT" | tail -n 1 | tr -d ' ')
dd if=/dev/zero of="$MNT/filler" bs=1k count=$((avail - 128)) 2>/dev/null
load_start
t_wait_for 120 grep -q 'the database cannot be written' "$RGLOG"
t_ok $? "the disk fills under SMTP load: the log says the database cannot be written"
t_like "$(grep 'cannot be written' "$RGLOG" | head -n 1)" 'No space left on device' \
	"... and names the disk's error"
t_wait_for 20 sh -c "[ \$(grep -c '\"stage\": \"mail\", \"reply\": \"451' '$LOAD_OUT') -ge 20 ]"
t_ok $? "new mail gets 451 at MAIL FROM and waits at the client"
kill -0 "$RG_PID" 2>/dev/null
t_ok $? "repguard keeps running"

w=$(records) n=$(accepted_now)
t_ok "$([ "$w" -lt "$n" ]; echo $?)" \
	"some accepted messages' records wait in memory ($w of $n written)"
rm -f "$MNT/filler"
t_wait_for 30 more_accepted_than $((n + 50))
t_ok $? "the filler removed: mail is accepted again, with no reload ($(( $(accepted_now) - n )) since)"
load_stop
t_ok $? "the load generator ran to its end"
echo "# load: $(cat "$T_TMP/load.summary")"

ACCEPTED=$(load_count accepted)
t_ok "$([ "$(load_count tempfail mail)" -gt 0 ]; echo $?)" \
	"$ACCEPTED messages accepted, $(load_count tempfail mail) tempfailed at MAIL FROM while the disk was full"
t_is "$(load_count refused)" 0 "no message was refused (5xx)"

pf_drain
t_ok $? "Postfix's queue drains ($(pf_queue_count) left)"
sink_wait "$ACCEPTED" 30
load_check
t_is "$(grep -E '^(missing|twice|unasked)' "$T_TMP/compare.out" | tr '\n' ' ')" \
	"missing 0  twice 0  unasked 0  " \
	"every accepted message reached the sink once; none the client must retry did"
t_is "$(grep '^signed' "$T_TMP/compare.out")" "signed $ACCEPTED of $ACCEPTED" \
	"every delivered message is DKIM-signed"
t_is "$(grep '^rewritten' "$T_TMP/compare.out")" "rewritten $ACCEPTED" \
	"every delivered message has a rewritten return-path"
t_wait_for 15 sh -c "[ \"\$(mdb_stat -s returnpath '$MNT/db' 2>/dev/null | awk '/Entries:/ { print \$2 }')\" = $ACCEPTED ]"
t_is "$(records)" "$ACCEPTED" "the database holds the return-path record of every accepted message"
t_is "$(e2e_counted)" "$ACCEPTED" "... and counted every one"

rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"
t_done
