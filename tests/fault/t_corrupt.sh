#!/bin/bash
# t_corrupt.sh - a damaged database: repguard refuses to start on it (it
# never starts empty by itself), repguardctl db check finds the damage and
# repguardctl db recover rebuilds the database, from what is still
# readable or from a backup (repguardctl(8), RECOVERY).
#
# A database with 1,000 senders' counts (tests/bench/mload) and one sender
# paused by the operator; a backup taken while the daemon runs.  Then:
#   A. its header overwritten: repguard exits with "database is corrupt",
#      leaving the file as it is; db check says it cannot be opened; db
#      recover --from BACKUP gives back every record, the pause included;
#   B. the keys of one page's records overwritten with random bytes (LMDB
#      keeps no checksums: the garbage reads as records): db check names the
#      damaged database (status 1); db recover copies what is readable
#      (most of it), keeps the damaged file aside, and the result checks
#      sound and serves;
#   C. the header overwritten and no backup: db recover says nothing could
#      be copied and that the new database is empty, and repguard starts;
#   D. db recover refuses while repguard runs.
. "$TOP_SRCDIR/tests/lib/common.sh"

MLOAD=$TOP_BUILDDIR/tests/bench/mload
[ -x "$MLOAD" ] || t_skip_all "tests/bench/mload not built"
rg_milter_test
DB=$T_TMP/db
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$DB" \
	CommitInterval 10 Syslog no InternalHosts 127.0.0.0/8
printf 'From: <bench@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: load\r\n\r\nhello\r\n' >"$T_TMP/msg.eml"
ctl() { "$REPGUARDCTL" -c "$CONF" "$@"; }
total() { printf '%s\n' "$1" | sed -n 's/^the database is sound: \([0-9]*\) record(s)$/\1/p'; }
state() {
	ctl show "$1" --json 2>/dev/null | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["state"])'
}
# smash header: random bytes over data.mdb's two meta pages.
# smash leaf: random bytes over the keys of every record of the middle one
# of its leaf pages (the page's own structure kept: what a flipped block
# on the disk does to the records it holds).  Use it on a compacted copy
# (db backup), whose every page is in use.
smash() {
	"$PY" -c 'import os, struct, sys
f = open(sys.argv[1], "r+b")
data = bytearray(f.read())
if sys.argv[2] == "header":
    data[0:8192] = os.urandom(8192)
else:
    leaves = [p for p in range(2, len(data) // 4096)
              if struct.unpack_from("<H", data, p * 4096 + 10)[0] == 0x02]
    p = leaves[len(leaves) // 2] * 4096
    lower = struct.unpack_from("<H", data, p + 12)[0]
    for i in range((lower - 16) // 2):
        node = p + struct.unpack_from("<H", data, p + 16 + 2 * i)[0]
        ksize = struct.unpack_from("<H", data, node + 6)[0]
        data[node + 8:node + 8 + ksize] = os.urandom(ksize)
f.seek(0); f.write(data); f.close()' "$DB/data.mdb" "$1"
}
# start_fails: repguard's output when it refuses to start (empty if it ran)
start_fails() {
	"$REPGUARD" -f -c "$CONF" >"$T_TMP/start.out" 2>&1 &
	local pid=$! i=0
	t_track "$pid"
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid"; wait "$pid"; t_untrack "$pid"; return 1
	fi
	wait "$pid"; echo "status $?" >>"$T_TMP/start.out"; t_untrack "$pid"
	return 0
}

rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
"$MLOAD" -s "$SOCK" -m "$T_TMP/msg.eml" -c 4 -t 2 -F 1000 -j >/dev/null 2>&1
ctl pause bench7@example.com --reason "operator's pause" >/dev/null
sleep 0.3
ctl db backup "$T_TMP/backup.mdb" >"$T_TMP/backup.out" 2>&1
t_ok $? "db backup while repguard runs"
rg_stop TERM
out=$(ctl db check); rc=$?
GOOD=$(total "$out")
t_ok "$([ "$rc" -eq 0 ] && [ "${GOOD:-0}" -gt 2000 ]; echo $?)" \
	"db check on the sound database: status 0, $GOOD records"
cp "$DB/data.mdb" "$T_TMP/good.mdb"

# --- A. header destroyed, recovered from the backup -----------------------------
smash header
sum_before=$(md5sum <"$DB/data.mdb")
start_fails
t_ok $? "A: repguard does not start on a database whose header is destroyed"
t_like "$(cat "$T_TMP/start.out")" "fatal: database: $DB: database is corrupt or not a repguard database" \
	"A: ... saying so, naming the directory"
t_like "$(cat "$T_TMP/start.out")" 'status [1-9]' "A: ... with a failure status"
t_is "$(md5sum <"$DB/data.mdb")" "$sum_before" "A: ... and leaves the damaged file as it was"
out=$(ctl db check); rc=$?
t_is "$rc" 1 "A: db check: status 1"
t_like "$out" 'cannot be opened: .*header is damaged' "A: db check: the header is damaged"
t_like "$out" 'repguardctl db recover' "A: db check: names the way out"
out=$(ctl db recover --from "$T_TMP/backup.mdb"); rc=$?
echo "$out" | sed 's/^/# /'
t_is "$rc" 0 "A: db recover --from BACKUP: status 0"
t_like "$out" "set the database aside as $DB/data.mdb.damaged-" "A: the damaged file is set aside"
out=$(ctl db check)
t_is "$(total "$out")" "$GOOD" "A: every record is back ($GOOD)"
t_is "$(state bench7@example.com)" paused "A: the operator's pause is back"
rg_start "$CONF" "$LOG"
t_ok $? "A: repguard starts on the recovered database"
rg_stop TERM

# --- B. a page of garbage, salvaged ------------------------------------------------
rm -f "$DB"/data.mdb.damaged-* "$DB/lock.mdb"
cp "$T_TMP/backup.mdb" "$DB/data.mdb"
smash leaf
out=$(ctl db check); rc=$?
echo "$out" | sed 's/^/# /'
t_is "$rc" 1 "B: db check finds the damaged page: status 1"
t_like "$out" 'damaged after [0-9]+ record' "B: ... naming the database it is in"
out=$(ctl db recover); rc=$?
echo "$out" | sed 's/^/# /'
t_is "$rc" 0 "B: db recover: status 0"
t_like "$out" 'record\(s\) copied into a new database; some could not be read' \
	"B: it says some records could not be read"
t_like "$out" 'damaged file stays as .*data\.mdb\.damaged-' "B: ... and where the damaged file is"
out=$(ctl db check); rc=$?
n=$(total "$out")
t_ok "$([ "$rc" -eq 0 ] && [ "${n:-0}" -ge $((GOOD * 9 / 10)) ]; echo $?)" \
	"B: the new database checks sound with $n of $GOOD records (at least 90 %)"
rg_start "$CONF" "$LOG"
t_ok $? "B: repguard starts on it"
"$MLOAD" -s "$SOCK" -m "$T_TMP/msg.eml" -c 2 -t 1 -F 1000 -j >"$T_TMP/after.json" 2>/dev/null
t_like "$(cat "$T_TMP/after.json")" '"ok":[1-9]' "B: ... and serves mail"

# --- D. not while the daemon runs --------------------------------------------------
out=$(ctl db recover 2>&1); rc=$?
t_is "$rc" 1 "D: db recover while repguard runs: status 1"
t_like "$out" 'repguard is running on this configuration: stop it first' "D: ... saying why"
rg_stop TERM

# --- C. header destroyed, no backup -------------------------------------------------
smash header
out=$(ctl db recover); rc=$?
echo "$out" | sed 's/^/# /'
t_is "$rc" 0 "C: db recover without a backup: status 0"
t_like "$out" 'nothing could be copied: .*header is damaged' "C: nothing could be copied"
t_like "$out" 'repguard will start with an empty database' "C: ... so the database will be empty, it says"
t_like "$out" 'suppressions are gone' "C: ... and what that loses"
rg_start "$CONF" "$LOG"
t_ok $? "C: repguard starts with an empty database"
t_is "$(ctl senders --json)" "[]" "C: ... which is empty"
rg_stop TERM
t_done
