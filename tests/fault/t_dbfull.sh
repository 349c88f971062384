#!/bin/bash
# t_dbfull.sh - the database cannot be written: its map at DatabaseMaxSize,
# its filesystem full, its filesystem read-only.  Mail waits (OnError),
# the reason is logged, nothing is lost, and service comes back when the
# space does.
#
# Load: tests/bench/mload, 4 connections, 50 senders, return-path
# rewriting on (each accepted message leaves a record in the database,
# the part a bounce is traced by) and per-sender counting.
#   1. DatabaseMaxSize 1M: load until the map is full.  New mail gets 451
#      4.3.0 at MAIL FROM (OnError tempfail), the log names the limit;
#      raising DatabaseMaxSize and reloading lets the writes that waited go
#      in: every message that was accepted has its return-path record and
#      is counted, and mail is accepted again.
#   2. The database on a 4 MiB tmpfs that is then filled up: the same, with
#      "No space left on device"; removing the filler brings it back.
#   3. The database on a read-only filesystem at start: repguard refuses to
#      start, naming the directory and the reason; once it is writable
#      again it starts with its data.
# Parts 2 and 3 mount a tmpfs: they need root and a kernel that lets the
# test mount (else skipped).  Needs lmdb-utils (mdb_stat) for the counts.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

MLOAD=$TOP_BUILDDIR/tests/bench/mload
[ -x "$MLOAD" ] || t_skip_all "tests/bench/mload not built"
command -v mdb_stat >/dev/null || t_skip_all "needs mdb_stat (lmdb-utils)"
rg_milter_test
rp_key "$T_TMP/rp.key"
printf 'From: <bench@example.com>\r\nTo: <rcpt@example.net>\r\nSubject: load\r\n\r\nhello\r\n' >"$T_TMP/msg.eml"
MNT=$T_TMP/fs
MOUNTED=0
trap '[ "$MOUNTED" = 1 ] && umount -l "$MNT"; t_cleanup' EXIT

write_conf() {	# write_conf DBDIR MAXSIZE
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$1" \
		DatabaseMaxSize "$2" CommitInterval 10 Syslog no \
		InternalHosts 127.0.0.0/8 ReturnPathDomain bounce.example.com \
		ReturnPathKeyFile "$T_TMP/rp.key"
}
ctl() { "$REPGUARDCTL" -c "$CONF" "$@"; }
# load SECONDS [RATE]: mload's JSON line (RATE messages a second at most)
load() {
	"$MLOAD" -s "$SOCK" -m "$T_TMP/msg.eml" -c 4 -t "$1" -F 50 -j \
		${2:+-P "$2"} 2>/dev/null
}
field() { "$PY" -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' "$1" "$2"; }
tempfails() { "$PY" -c 'import json, sys; print(json.loads(sys.argv[1])["errors"].get("reply_4xx", 0))' "$1"; }
records() {	# return-path records in the database at $1
	mdb_stat -s returnpath "$1" 2>/dev/null | awk '/Entries:/ { print $2 }'
}
counted() {
	ctl senders --json | "$PY" -c 'import json, sys
print(sum(s.get("messages_1h", 0) for s in json.load(sys.stdin)))'
}
# full_round NAME DBDIR: load until writes fail; check the refusal and the log
full_round() {
	local name=$1 out ok tf
	out=$(load 5)
	ok=$(field "$out" ok) tf=$(tempfails "$out")
	echo "# $name: $out"
	t_ok "$([ "$ok" -gt 0 ] && [ "$tf" -gt 0 ]; echo $?)" \
		"$name: $ok messages accepted, then new mail got 451 ($tf times)"
	ACCEPTED=$((ACCEPTED + ok))
	t_wait_for 5 grep -q 'the database cannot be written' "$LOG"
	t_ok $? "$name: the log says the database cannot be written"
	kill -0 "$RG_PID" 2>/dev/null
	t_ok $? "$name: repguard keeps running"
}
# recovered NAME DBDIR: after the operator's fix, what waited is written
recovered() {
	local name=$1 db=$2 out
	t_wait_for 15 sh -c "[ \"\$(mdb_stat -s returnpath '$db' 2>/dev/null | awk '/Entries:/ { print \$2 }')\" = $ACCEPTED ]"
	t_is "$(records "$db")" "$ACCEPTED" \
		"$name: every accepted message's return-path record is written"
	t_is "$(counted)" "$ACCEPTED" "$name: every accepted message is counted"
	# 2,000 messages, a fraction of what the freed 4 MiB filesystem holds
	# (unthrottled, an idle machine fills it up again within the second)
	out=$(load 1 2000)
	echo "# $name, after: $out"
	t_ok "$([ "$(field "$out" ok)" -gt 0 ] && [ "$(tempfails "$out")" -eq 0 ]; echo $?)" \
		"$name: mail is accepted again"
	ACCEPTED=$((ACCEPTED + $(field "$out" ok)))
}

# --- 1. the map at DatabaseMaxSize -------------------------------------------
ACCEPTED=0
write_conf "$T_TMP/db" 1M
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start"; exit 1; }
full_round "map full" "$T_TMP/db"
t_like "$(grep 'cannot be written' "$LOG" | head -n 1)" \
	'database full: .* has reached its maximum size of 1048576 bytes \(DatabaseMaxSize\)' \
	"map full: the reason names DatabaseMaxSize"
t_ok "$([ "$(records "$T_TMP/db")" -lt "$ACCEPTED" ]; echo $?)" \
	"map full: some records wait in memory ($(records "$T_TMP/db") of $ACCEPTED written)"
write_conf "$T_TMP/db" 64M
kill -HUP "$RG_PID"
recovered "map full, DatabaseMaxSize raised and reloaded" "$T_TMP/db"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"

# --- 2. and 3. a filesystem of its own ------------------------------------------
mkdir -p "$MNT"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=4m tmpfs "$MNT" 2>/dev/null; then
	echo "# cannot mount a tmpfs here (not root, or not allowed): parts 2 and 3 skipped"
	t_done
fi
MOUNTED=1
: >"$LOG"
ACCEPTED=0
write_conf "$MNT/db" 64M
rg_start "$CONF" "$LOG" || { cat "$LOG"; echo "Bail out! repguard did not start on the tmpfs"; exit 1; }
# leave about 256 KiB
avail=$(df -k --output=avail "$MNT" | tail -n 1 | tr -d ' ')
dd if=/dev/zero of="$MNT/filler" bs=1k count=$((avail - 256)) 2>/dev/null
full_round "filesystem full" "$MNT/db"
t_like "$(grep 'cannot be written' "$LOG" | head -n 1)" 'No space left on device' \
	"filesystem full: the reason is the disk's"
rm -f "$MNT/filler"
recovered "filesystem full, space freed" "$MNT/db"
rg_stop TERM
t_is "$RG_STATUS" 0 "repguard stops cleanly"

mount -o remount,ro "$MNT"
t_ok $? "the database's filesystem is read-only now"
out=$("$REPGUARD" -f -c "$CONF" 2>&1 & pid=$!; t_track $pid
	for _ in $(seq 1 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
	kill -0 $pid 2>/dev/null && echo "still running" && kill $pid; wait $pid; echo "status $?")
t_like "$out" "fatal: database: $MNT/db: .*Read-only file system" \
	"read-only: repguard refuses to start, naming the directory and the reason"
t_like "$out" 'status [1-9]' "read-only: ... with a failure status"
mount -o remount,rw "$MNT"
rg_start "$CONF" "$LOG"
t_ok $? "writable again: repguard starts"
t_is "$(counted)" "$ACCEPTED" "... with every message it counted before"
rg_stop TERM
t_done
