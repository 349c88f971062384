#!/bin/bash
# t_daemon.sh - command-line behaviour of repguard and repguardctl.
#
# -V, -n on good and bad configurations (exact FILE:LINE of each error),
# command-line errors, signals (TERM, INT, HUP with good and bad files),
# the pid file, background mode, repguardctl usage errors, and a database
# that cannot be opened.  Uses miltertest with tests/milter/session.lua to
# see which clients a reloaded configuration treats as internal.
#
# Runs as any user; a few points are added when not root (chmod-based).

: "${TOP_SRCDIR:?TOP_SRCDIR is not set (run through make check)}"
. "$TOP_SRCDIR/tests/lib/common.sh" || exit 1

MILTERTEST=${MILTERTEST:-/usr/bin/miltertest}
PY=/usr/bin/python3
LUA=$TOP_SRCDIR/tests/milter/session.lua
RAW=$TOP_SRCDIR/tests/milter/rawmilter.py

t_tmpdir
SOCK=$T_TMP/rg.sock

# run CMD...: run a command; sets OUT, ERR, RC.
run() {
	OUT=$("$@" 2>"$T_TMP/run.err")
	RC=$?
	ERR=$(cat "$T_TMP/run.err")
}

# --- -V ---------------------------------------------------------------------------
run "$REPGUARD" -V
t_like "$RC:$OUT" '^0:repguard [0-9]+\.[0-9]+(\.[0-9]+)?$' "repguard -V prints 'repguard VERSION', exit 0"
if [ -n "${TOP_BUILDDIR:-}" ] && [ -f "$TOP_BUILDDIR/config.h" ]; then
	v=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$TOP_BUILDDIR/config.h")
	t_is "$OUT" "repguard $v" "repguard -V gives configure's version"
fi

# --- -n on good configurations --------------------------------------------------------
GOOD=$T_TMP/good.conf
cat >"$GOOD" <<EOF
# a complete configuration

Socket unix:$SOCK
umask 007
PidFile $T_TMP/good.pid
DATABASEPATH $T_TMP/db
DatabaseMaxSize 64M
InternalHosts 127.0.0.0/8, ::1 10.0.0.0/8,2001:db8::/32
SenderKey envelope-domain   # trailing comment
OnError accept
Syslog no
SyslogFacility local3
CommitInterval 1000
EOF
run "$REPGUARD" -n -c "$GOOD"
if [ "$RC" -eq 0 ]; then t_pass "-n on a complete good configuration exits 0"
else t_fail "-n on a complete good configuration exits 0" "exit $RC" "$ERR"; fi

goodconf() {	# goodconf NAME LINE...: -n must accept these lines
	_name=$1; shift
	_f=$T_TMP/good-$T_N.conf
	printf '%s\n' "$@" >"$_f"
	run "$REPGUARD" -n -c "$_f"
	if [ "$RC" -eq 0 ]; then t_pass "-n accepts $_name"
	else t_fail "-n accepts $_name" "exit $RC" "$ERR"; fi
}
goodconf "an empty file (all defaults)"
goodconf "Socket inet:PORT@ADDR" "Socket inet:12345@127.0.0.1"
goodconf "Socket inet6:PORT@ADDR" "Socket inet6:12345@::1"
goodconf "Socket local:/path and SenderKey envelope" "Socket local:$T_TMP/x.sock" "SenderKey envelope"
goodconf "UserID user:group" "UserID nobody:nogroup"
goodconf "DatabaseMaxSize 4G, CommitInterval 1" "DatabaseMaxSize 4G" "CommitInterval 1"

# --- -n on bad configurations: FILE:LINE: message ---------------------------------------
# badconf NAME LINE ERE CONFIG-LINES...: the error must be reported at LINE
# as "FILE:LINE: message" with message matching ERE, and -n must exit 1.
badconf() {
	_name=$1 _line=$2 _ere=$3; shift 3
	_f=$T_TMP/bad-$T_N.conf
	printf '%s\n' "$@" >"$_f"
	run "$REPGUARD" -n -c "$_f"
	_hit=$(printf '%s\n' "$ERR" | grep -E -- "^$_f:$_line: " | head -n 1)
	if [ "$RC" -eq 1 ] && [ -n "$_hit" ] && printf '%s\n' "$_hit" | grep -Eq -- "$_ere"; then
		t_pass "-n reports $_name at line $_line"
	else
		t_fail "-n reports $_name at line $_line" "exit $RC (want 1)" \
			"want a line '$_f:$_line: ...' matching: $_ere" "stderr: $ERR" \
			"config:" "$(cat -n "$_f")"
	fi
}
badconf "an unknown keyword" 4 'unknown keyword "Sockett"' \
	"# comment" "" "Syslog no" "Sockett unix:/tmp/x.sock" "CommitInterval 5"
badconf "a bad SenderKey value" 3 'SenderKey: expected auth, envelope or envelope-domain, got "foo"' \
	"Syslog no" "# next is bad" "SenderKey foo"
badconf "a bad CIDR prefix length in InternalHosts" 5 '10\.0\.0\.0/33' \
	"#" "#" "#" "#" "InternalHosts 127.0.0.0/8, 10.0.0.0/33"
badconf "a bad IPv4 address in InternalHosts" 2 '300\.1\.2\.3' \
	"Syslog no" "InternalHosts 300.1.2.3/8 ::1"
badconf "a bad IPv6 prefix in InternalHosts" 1 '2001:db8::/129' \
	"InternalHosts 127.0.0.1, 2001:db8::/129"
badconf "a non-address in InternalHosts" 2 'example\.com' \
	"" "InternalHosts 127.0.0.1 example.com"
badconf "an unknown Socket type" 2 'Socket' \
	"UMask 000" "Socket tcp:25@127.0.0.1"
badconf "an inet Socket without a port" 3 'Socket' \
	"" "" "Socket inet:@127.0.0.1"
badconf "a unix Socket without a path" 1 'Socket' \
	"Socket unix:"
badconf "a duplicate keyword (other case)" 6 '[Cc][Oo][Mm][Mm][Ii][Tt][Ii][Nn][Tt][Ee][Rr][Vv][Aa][Ll]' \
	"Syslog no" "CommitInterval 5" "" "# again below" "" "commitinterval 7"
badconf "a non-octal UMask" 3 'UMask' \
	"Syslog no" "" "UMask 999"
badconf "a non-numeric UMask" 1 'UMask' \
	"UMask abc"
badconf "a missing value (PidFile alone)" 4 'PidFile' \
	"Syslog no" "#" "CommitInterval 5" "PidFile"
badconf "a missing value (SenderKey followed by blanks)" 2 'SenderKey' \
	"Syslog no" "SenderKey   "
badconf "CommitInterval 0 (range 1..1000)" 1 'CommitInterval' "CommitInterval 0"
badconf "CommitInterval 1001 (range 1..1000)" 2 'CommitInterval' "#" "CommitInterval 1001"
badconf "a bad OnError value" 1 'OnError' "OnError drop"
badconf "a bad DatabaseMaxSize" 1 'DatabaseMaxSize' "DatabaseMaxSize 12Q"

f=$T_TMP/bad-two.conf
printf '%s\n' "Syslog no" "Sockett x" "CommitInterval 5" "" "SenderKey foo" >"$f"
run "$REPGUARD" -n -c "$f"
n=$(printf '%s\n' "$ERR" | grep -cE "^$f:(2|5): ")
if [ "$RC" -eq 1 ] && [ "$n" -eq 2 ]; then t_pass "-n reports every error (lines 2 and 5)"
else t_fail "-n reports every error (lines 2 and 5)" "exit $RC" "stderr: $ERR"; fi

run "$REPGUARD" -n -c "$T_TMP/nonexistent.conf"
if [ "$RC" -ne 0 ] && printf '%s\n' "$ERR" | grep -q "$T_TMP/nonexistent.conf" &&
   printf '%s\n' "$ERR" | grep -Eqi 'no such file|cannot|can.t|not found|missing|open'; then
	t_pass "-n on a missing file: clear error naming the file, non-zero exit ($RC)"
else
	t_fail "-n on a missing file: clear error naming the file, non-zero exit" "exit $RC" "stderr: $ERR"
fi
run timeout 10 "$REPGUARD" -f -c "$T_TMP/nonexistent.conf"
if [ "$RC" -eq 1 ] && printf '%s\n' "$ERR" | grep -q "$T_TMP/nonexistent.conf"; then
	t_pass "starting on a missing file: exit 1 with an error naming it"
else
	t_fail "starting on a missing file: exit 1 with an error naming it" "exit $RC" "stderr: $ERR"
fi

# --- bad command lines -------------------------------------------------------------------
badcmd() {	# badcmd NAME ARGS...: exit 2 with a usage message
	_name=$1; shift
	run timeout 10 "$REPGUARD" "$@"
	if [ "$RC" -eq 2 ] && printf '%s\n' "$ERR" | grep -qi 'usage'; then
		t_pass "repguard $_name: usage on stderr, exit 2"
	else
		t_fail "repguard $_name: usage on stderr, exit 2" "exit $RC" "stdout: $OUT" "stderr: $ERR"
	fi
}
badcmd "-x (unknown option)" -x
badcmd "-c without its argument" -c
badcmd "with a stray operand" -n -c "$GOOD" extra

# --- SIGTERM, SIGINT, the pid file -----------------------------------------------------
CONF=$T_TMP/rg.conf
PIDF=$T_TMP/rg.pid
# base_conf INTERNAL-HOSTS [EXTRA KEY VALUE...]
base_conf() {
	_ih=$1; shift
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
		CommitInterval 5 Syslog no PidFile "$PIDF" InternalHosts "$_ih" "$@"
}
# start NAME: rg_start with a fresh log, then wait for "listening on" (the
# socket accepts before start-up ends; the points below read the log of a
# daemon that has finished starting).  Bail out on failure.
start() {
	rm -f "$SOCK"
	LOG=$T_TMP/repguard.$1.log
	if ! rg_start "$CONF" "$LOG" || ! t_wait_for 10 grep -q "listening on" "$LOG"; then
		echo "Bail out! repguard did not start ($1): $(tail -n 20 "$LOG")"
		exit 1
	fi
}
gone() { ! ps -o stat= -p "$1" 2>/dev/null | grep -qv Z; }
# stop SIGNAL: rg_stop, but never hang: KILL after 10 s (RG_STATUS then 137).
stop() {
	kill -"$1" "$RG_PID" 2>/dev/null
	if ! t_wait_for 10 gone "$RG_PID"; then
		echo "# repguard (pid $RG_PID) ignored SIG$1 for 10 s; killing it"
		kill -KILL "$RG_PID"
	fi
	rg_stop "$1"
}
logtail() { printf 'daemon log (last lines):\n%s' "$(tail -n 8 "$LOG" 2>/dev/null)"; }

base_conf "127.0.0.0/8"
start term
if t_wait_for 5 test -s "$PIDF"; then
	t_is "$(cat "$PIDF")" "$RG_PID" "the pid file holds the daemon's pid"
else
	t_fail "the pid file holds the daemon's pid" "no $PIDF after 5 s" "$(logtail)"
fi
stop TERM
t_is "$RG_STATUS" 0 "SIGTERM: exit status 0"
if [ -e "$PIDF" ]; then t_fail "SIGTERM: pid file removed" "$PIDF still exists"
else t_pass "SIGTERM: pid file removed"; fi

start int
t_wait_for 5 test -s "$PIDF"
stop INT
t_is "$RG_STATUS" 0 "SIGINT: exit status 0"
if [ -e "$PIDF" ]; then t_fail "SIGINT: pid file removed" "$PIDF still exists"
else t_pass "SIGINT: pid file removed"; fi

# session IP FROM: one miltertest session; sets MT_OUT and MAILREPLY.
session() {
	MT_OUT=$(RG_SOCKET="unix:$SOCK" RG_IP=$1 RG_FROM=$2 "$MILTERTEST" -s "$LUA" 2>&1)
	MAILREPLY=$(printf '%s\n' "$MT_OUT" | awk '$1 == 1 && $2 == "mail" { print $3 }')
}
mailreply() {	# mailreply IP WANT NAME
	session "$1" "<m$T_N@example.com>"
	if [ "$MAILREPLY" = "$2" ]; then t_pass "$3"
	else t_fail "$3" "client $1: MAIL FROM reply '$MAILREPLY', want '$2'" "$MT_OUT" "$(logtail)"; fi
}
show_msgs() {
	"$REPGUARDCTL" -c "$CONF" show "$1" --json 2>/dev/null |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["messages_1h"])' 2>/dev/null
}

# SIGTERM as soon as the pid file exists (what a supervisor that reads the
# pid file may do) must still be a clean stop.
rm -f "$SOCK" "$PIDF"
got=$("$PY" - "$REPGUARD" "$CONF" "$PIDF" <<'PYEOF'
import os, signal, subprocess, sys, time
rg, conf, pidf = sys.argv[1:4]
p = subprocess.Popen([rg, "-f", "-c", conf], stdout=subprocess.DEVNULL,
                     stderr=subprocess.DEVNULL)
t = time.time() + 10
while not os.path.exists(pidf) and time.time() < t and p.poll() is None:
    pass
os.kill(p.pid, signal.SIGTERM)
try:
    rc = p.wait(timeout=10)
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    rc = "no exit after 10 s"
print(rc, "pidfile-left" if os.path.exists(pidf) else "pidfile-removed")
PYEOF
)
t_is "$got" "0 pidfile-removed" "SIGTERM right after the pid file appears: exit 0, pid file removed"
rm -f "$PIDF"

# Counters still in the daemon's buffer are flushed at SIGTERM.
if [ -x "$MILTERTEST" ]; then
	base_conf "127.0.0.0/8"
	sed -i 's/^CommitInterval .*/CommitInterval 1000/' "$CONF"
	start flush
	session 127.0.0.1 "<flush@example.com>"
	stop TERM
	t_is "$RG_STATUS:$(show_msgs flush@example.com)" "0:1" \
		"SIGTERM right after a message (CommitInterval 1000): its count was flushed"
fi

# Background mode: without -f the daemon detaches; the pid file names it.
base_conf "127.0.0.0/8"
rm -f "$SOCK" "$PIDF"
run timeout 10 "$REPGUARD" -c "$CONF"
bgpid=""
t_wait_for 5 test -s "$PIDF" && bgpid=$(cat "$PIDF")
[ -n "$bgpid" ] && t_track "$bgpid"
if [ "$RC" -eq 0 ] && [ -n "$bgpid" ] && kill -0 "$bgpid" 2>/dev/null; then
	t_pass "without -f: the command returns 0 and the daemon runs on (pid $bgpid)"
	kill -TERM "$bgpid"
	t_wait_for 5 sh -c "! kill -0 $bgpid" && t_untrack "$bgpid"
	if [ -e "$PIDF" ]; then t_fail "background daemon: pid file removed at SIGTERM" "$PIDF still exists"
	else t_pass "background daemon: pid file removed at SIGTERM"; fi
else
	t_fail "without -f: the command returns 0 and the daemon runs on" "exit $RC, pid file '$bgpid'" "stderr: $ERR"
fi

# --- SIGHUP --------------------------------------------------------------------------------
if [ -x "$MILTERTEST" ]; then
	base_conf "127.0.0.0/8"
	start hup
	mailreply 10.9.8.7 a "before reload: 10.9.8.7 is external"
	base_conf "127.0.0.0/8, 10.9.0.0/16"
	kill -HUP "$RG_PID"
	if t_wait_for 5 grep -q "configuration reloaded from $CONF" "$LOG"; then
		t_pass "SIGHUP with a good file: log says 'configuration reloaded from FILE'"
	else
		t_fail "SIGHUP with a good file: log says 'configuration reloaded from FILE'" "$(logtail)"
	fi
	mailreply 10.9.8.7 c "after reload: 10.9.8.7 is internal (new InternalHosts in force)"

	# A restart-only keyword changed: kept, with a warning naming it.
	lines=$(wc -l <"$LOG")
	base_conf "127.0.0.0/8, 10.9.0.0/16"
	sed -i 's/^UMask .*/UMask 077/' "$CONF"
	kill -HUP "$RG_PID"
	t_wait_for 5 sh -c "tail -n +$((lines + 1)) '$LOG' | grep -q 'configuration reloaded'"
	t_like "$(tail -n +$((lines + 1)) "$LOG")" "UMask" "reload changing UMask: a warning names UMask"
	lines=$(wc -l <"$LOG")
	kill -HUP "$RG_PID"
	t_wait_for 5 sh -c "tail -n +$((lines + 1)) '$LOG' | grep -q 'configuration reloaded'"
	t_like "$(tail -n +$((lines + 1)) "$LOG")" "UMask" \
		"second reload of the same file: UMask 077 is still not in force, warned again"

	# A broken file is refused; the old configuration keeps serving.
	lines=$(wc -l <"$LOG")
	base_conf "127.0.0.0/8"
	echo "Bogus yes" >>"$CONF"
	badline=$(wc -l <"$CONF")
	kill -HUP "$RG_PID"
	if t_wait_for 5 grep -q "reload refused: $CONF:$badline: " "$LOG"; then
		t_pass "SIGHUP with a broken file: log says 'reload refused: FILE:$badline: ...'"
	else
		t_fail "SIGHUP with a broken file: log says 'reload refused: FILE:$badline: ...'" \
			"$(tail -n +$((lines + 1)) "$LOG")"
	fi
	if kill -0 "$RG_PID" 2>/dev/null; then t_pass "after a refused reload the daemon still runs"
	else t_fail "after a refused reload the daemon still runs" "$(logtail)"; fi
	mailreply 10.9.8.7 c "after a refused reload: 10.9.8.7 still internal (old configuration)"
	mailreply 10.8.0.1 a "after a refused reload: 10.8.0.1 still external"

	# A good file after a refused one is taken again.
	lines=$(wc -l <"$LOG")
	base_conf "127.0.0.0/8"
	kill -HUP "$RG_PID"
	t_wait_for 5 sh -c "tail -n +$((lines + 1)) '$LOG' | grep -q 'configuration reloaded'"
	mailreply 10.9.8.7 a "a good reload after a refused one: 10.9.8.7 external again"
	got=$(tail -n +$((lines + 1)) "$LOG" | grep -i 'umask.*restart')
	if [ -z "$got" ]; then
		t_pass "reload with UMask back at the value in force (000): no UMask restart warning"
	else
		t_fail "reload with UMask back at the value in force (000): no UMask restart warning" \
			"log: $got" "(the warning compares with the last file read, not the value in force)"
	fi

	# A connection keeps the configuration it started with; new ones get the
	# reloaded one (SenderKey auth -> envelope while a connection is open).
	rm -f "$T_TMP/go"
	"$PY" "$RAW" "$SOCK" 192.0.2.50 ivan "<ivan.x@example.com>" \
		--wait "$T_TMP/go" --rcpt "<r@example.net>" >"$T_TMP/raw.out" 2>&1 &
	rawpid=$!
	t_track "$rawpid"
	t_wait_for 5 grep -q connected "$T_TMP/raw.out"
	lines=$(wc -l <"$LOG")
	base_conf "127.0.0.0/8" SenderKey envelope
	kill -HUP "$RG_PID"
	t_wait_for 5 sh -c "tail -n +$((lines + 1)) '$LOG' | grep -q 'configuration reloaded'"
	new=$("$PY" "$RAW" "$SOCK" 192.0.2.51 ivan "<ivan.y@example.com>" --rcpt "<r@example.net>" 2>&1)
	touch "$T_TMP/go"
	wait "$rawpid"; t_untrack "$rawpid"
	old=$(cat "$T_TMP/raw.out")
	has_msgs() { [ "$(show_msgs "$1")" = "$2" ]; }
	if t_wait_for 3 has_msgs ivan 1 && t_wait_for 1 has_msgs ivan.y@example.com 1; then
		t_pass "reload mid-connection: the open connection keeps SenderKey auth, a new one uses envelope"
	else
		t_fail "reload mid-connection: the open connection keeps SenderKey auth, a new one uses envelope" \
			"ivan: $(show_msgs ivan), ivan.y@example.com: $(show_msgs ivan.y@example.com), ivan.x@example.com: $(show_msgs ivan.x@example.com) (want 1, 1, none)" \
			"open connection: $old" "new connection: $new" "$(logtail)"
	fi
	stop TERM
	t_is "$RG_STATUS" 0 "daemon stops with 0 after the reloads"
else
	t_fail "SIGHUP tests" "$MILTERTEST not found"
fi

# --- repguardctl usage ----------------------------------------------------------------------
base_conf "127.0.0.0/8"
ctlusage() {	# ctlusage NAME ERE ARGS...: exit 2, stderr names the problem + usage
	_name=$1 _ere=$2; shift 2
	run "$REPGUARDCTL" -c "$CONF" "$@"
	if [ "$RC" -eq 2 ] && printf '%s\n' "$ERR" | grep -Eq -- "$_ere" &&
	   printf '%s\n' "$ERR" | grep -qi usage; then
		t_pass "repguardctl $_name: exit 2, message and usage"
	else
		t_fail "repguardctl $_name: exit 2, message and usage" "exit $RC" \
			"stderr: $ERR" "want it to match: $_ere (and a usage line)"
	fi
}
ctlusage "without a command" '.'
ctlusage "unknown command" 'frobnicate' frobnicate
ctlusage "show without SENDER" '[Ss][Ee][Nn][Dd][Ee][Rr]|missing|argument' show
ctlusage "pause without SENDER" '[Ss][Ee][Nn][Dd][Ee][Rr]|missing|argument' pause
ctlusage "resume without SENDER" '[Ss][Ee][Nn][Dd][Ee][Rr]|missing|argument' resume
ctlusage "pause --for 5parsecs" '5parsecs' pause x@example.com --for 5parsecs
ctlusage "pause --for without a value" 'for' pause x@example.com --for
ctlusage "senders --bogus" 'bogus' senders --bogus
ctlusage "show with two senders" '.' show a@example.com b@example.com
run "$REPGUARDCTL" -c "$CONF" show nobody@example.com
t_is "$RC:$ERR" "1:repguardctl: no such sender: nobody@example.com" \
	"repguardctl show of an unknown sender: exit 1, 'no such sender'"
run "$REPGUARDCTL" -c "$CONF" show "<NoBody@Example.COM>"
t_is "$RC:$ERR" "1:repguardctl: no such sender: nobody@example.com" \
	"show of an unknown sender names its canonical key"
run "$REPGUARDCTL" -c "$T_TMP/nonexistent.conf" senders
if [ "$RC" -eq 1 ] && printf '%s\n' "$ERR" | grep -q "$T_TMP/nonexistent.conf"; then
	t_pass "repguardctl with a missing config file: exit 1 naming it"
else
	t_fail "repguardctl with a missing config file: exit 1 naming it" "exit $RC" "stderr: $ERR"
fi

# --- a database that cannot be opened -----------------------------------------------------
# dbfail NAME DBPATH ERE: repguardctl exits 1 with a clear message, and the
# daemon refuses to start (exit 1, message), neither of them crashing.
dbfail() {
	_name=$1 _db=$2 _ere=$3
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$_db" \
		CommitInterval 5 Syslog no
	run timeout 10 "$REPGUARDCTL" -c "$CONF" senders
	if [ "$RC" -eq 1 ] && printf '%s\n' "$ERR" | grep -Eq -- "$_ere"; then
		t_pass "repguardctl with $_name: exit 1, clear error"
	else
		t_fail "repguardctl with $_name: exit 1, clear error" "exit $RC (want 1)" \
			"stderr: $ERR" "want it to match: $_ere"
	fi
	rm -f "$SOCK"
	"$REPGUARD" -f -c "$CONF" >"$T_TMP/dbfail.out" 2>&1 &
	_pid=$!
	t_track "$_pid"
	if t_wait_for 10 sh -c "! kill -0 $_pid 2>/dev/null"; then
		wait "$_pid"; _st=$?
		t_untrack "$_pid"
		if [ "$_st" -eq 1 ] && grep -Eq -- "$_ere" "$T_TMP/dbfail.out"; then
			t_pass "repguard with $_name: refuses to start (exit 1, clear error)"
		else
			t_fail "repguard with $_name: refuses to start (exit 1, clear error)" \
				"exit $_st (want 1; >128 is a crash)" "output: $(cat "$T_TMP/dbfail.out")" \
				"want it to match: $_ere"
		fi
	else
		t_fail "repguard with $_name: refuses to start (exit 1, clear error)" \
			"still running after 10 s" "output: $(cat "$T_TMP/dbfail.out")"
	fi
}
mkdir "$T_TMP/garbage"
head -c 65536 /dev/urandom >"$T_TMP/garbage/data.mdb"
dbfail "a garbage data.mdb" "$T_TMP/garbage" "$T_TMP/garbage|data\\.mdb|[Dd]atabase"
mkdir "$T_TMP/textdb"
yes "this is not an LMDB file" | head -c 20000 >"$T_TMP/textdb/data.mdb"
dbfail "a text file as data.mdb" "$T_TMP/textdb" "$T_TMP/textdb|data\\.mdb|[Dd]atabase"
: >"$T_TMP/plainfile"
dbfail "DatabasePath under a regular file" "$T_TMP/plainfile/db" "$T_TMP/plainfile|[Dd]atabase"
dbfail "DatabasePath that is a regular file" "$T_TMP/plainfile" "$T_TMP/plainfile|[Dd]atabase"
if [ "$(id -u)" -ne 0 ]; then
	mkdir "$T_TMP/rodb" && chmod 0555 "$T_TMP/rodb"
	dbfail "an unwritable database directory" "$T_TMP/rodb" "$T_TMP/rodb|[Dd]atabase"
fi

# --- UserID: the socket is given to the user, then privileges are dropped ------------------
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	RUSER=nobody
	RGROUP=$(id -gn nobody)
	RUID=$(id -u nobody)
	mkdir -p "$T_TMP/udb"
	chown "$RUSER:$RGROUP" "$T_TMP/udb"
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 007 DatabasePath "$T_TMP/udb" \
		CommitInterval 5 Syslog no UserID "$RUSER"
	start userid
	t_is "$(stat -c '%U:%G %a' "$SOCK")" "$RUSER:$RGROUP 770" \
		"UserID: the socket belongs to $RUSER:$RGROUP with mode 770 (UMask 007)"
	uids=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$RG_PID/status")
	t_is "$uids" "$RUID $RUID $RUID $RUID" \
		"UserID: the daemon runs as $RUSER (real, effective, saved, fs uid)"
	t_is "$(stat -c '%U' "$T_TMP/udb/data.mdb" "$T_TMP/udb/lock.mdb" | sort -u)" "$RUSER" \
		"UserID: the database files belong to $RUSER"
	run "$REPGUARDCTL" -c "$CONF" pause someone --reason "as root"
	t_is "$RC $(stat -c '%U' "$T_TMP/udb/data.mdb" "$T_TMP/udb/lock.mdb" | sort -u)" "0 $RUSER" \
		"repguardctl as root drops to UserID: the files stay $RUSER's"
	mailreply 127.0.0.1 c "UserID: the daemon serves as $RUSER"
	stop TERM
	t_is "$RG_STATUS" 0 "UserID: SIGTERM exit status 0"

	# A database directory the user may not write: a clear refusal.
	mkdir -p "$T_TMP/rootdb"
	chmod 0755 "$T_TMP/rootdb"
	rg_conf "$CONF" Socket "unix:$SOCK" UMask 007 DatabasePath "$T_TMP/rootdb" \
		CommitInterval 5 Syslog no UserID "$RUSER"
	rm -f "$SOCK"
	"$REPGUARD" -f -c "$CONF" >"$T_TMP/rootdb.out" 2>&1
	_st=$?
	t_like "$_st $(cat "$T_TMP/rootdb.out")" "^1 .*$T_TMP/rootdb.*[Pp]ermission denied" \
		"UserID: a database directory $RUSER cannot write is refused at start (exit 1, names it)"
else
	t_skip_userid="needs root and a user nobody"
	echo "ok $((T_N + 1)) # SKIP UserID tests: $t_skip_userid"; T_N=$((T_N + 1))
fi

san=$(grep -h -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$T_TMP"/*.log "$T_TMP"/*.out 2>/dev/null | head -n 5)
if [ -z "$san" ]; then t_pass "no sanitizer reports in the daemon logs"
else t_fail "no sanitizer reports in the daemon logs" "$san"; fi

t_done
