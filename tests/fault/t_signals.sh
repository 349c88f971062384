#!/bin/bash
# t_signals.sh - no signal a postmaster or a supervisor sends stops
# repguard by mistake or goes unheeded.
#
# libmilter runs a thread of its own that sigwait()s for HUP, TERM and INT
# and stops the milter on any of them; repguard reloads on SIGHUP.  Linux
# hands a process-directed signal to that thread whenever the main thread
# cannot take it at that moment (while it blocks the signal, or runs the
# handler of the same signal), and the daemon then stopped a few seconds
# later, exit status 0, with no word of why.  Now the main thread never
# blocks them, and libmilter's thread calls repguard's own sigwait()
# (filter/daemon/milter_sigwait.c), which waits without taking any.  Here:
#   - the main thread never blocks HUP, TERM or INT and handles them; every
#     other thread blocks them, libmilter's signal thread included, which
#     waits in pause() and not in sigwait() (from /proc);
#   - a storm of SIGHUPs (tens of thousands in 3 s, from the moment the
#     socket accepts, so through the end of start-up) leaves the daemon
#     running and reloading; a SIGHUP after it still reloads; it still
#     signs; SIGTERM then stops it with status 0;
#   - storms of SIGHUP and SIGTERM mixed: each start ends in a stop that
#     says so, status 0, never the "stopped on its own" warning;
#   - a SIGHUP sent to each thread but the main one (what the kernel would
#     do when the main thread cannot take it): every thread keeps it
#     blocked, libmilter's thread does not stop the milter, and the daemon
#     still serves and reloads on the next SIGHUP.  (Should libmilter ever
#     stop with no stop asked for, repguard logs it and exits 1; with its
#     signal thread out of the way nothing here can make it do so.)
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/report.sh"

rg_milter_test
dkim_key "$T_TMP/dkim.pem"
rg_conf "$CONF" Socket "unix:$SOCK" UMask 000 DatabasePath "$T_TMP/db" \
	Syslog no InternalHosts 10.1.0.0/16 \
	Domain example.com Selector s1 KeyFile "$T_TMP/dkim.pem"
STORM="$PY $TOP_SRCDIR/tests/fault/sigstorm.py"

start() {	# start NAME: a fresh log; bail out if the daemon does not start
	rm -f "$SOCK"
	LOG=$T_TMP/rg.$1.log
	rg_start "$CONF" "$LOG" || { echo "Bail out! repguard did not start ($1): $(tail -n 5 "$LOG")"; exit 1; }
}
gone() { ! ps -o stat= -p "$1" 2>/dev/null | grep -qv Z; }
stop() {	# stop SIGNAL: rg_stop, KILL after 15 s (RG_STATUS then 137)
	kill -"$1" "$RG_PID" 2>/dev/null
	t_wait_for 15 gone "$RG_PID" || kill -KILL "$RG_PID"
	rg_stop "$1"
}
reloads() { grep -c "configuration reloaded" "$LOG"; }
more_reloads_than() { [ "$(reloads)" -gt "$1" ]; }
# mask FIELD TID: the signal set FIELD (SigBlk, SigCgt) of one thread, as
# the list of HUP, INT and TERM it holds ("HUP INT TERM" when all three)
mask() {
	awk -v f="$1:" '$1 == f { print $2 }' "/proc/$RG_PID/task/$2/status" |
	"$PY" -c 'import sys; m = int(sys.stdin.read(), 16)
print(" ".join(n for n, s in (("HUP", 1), ("INT", 2), ("TERM", 15)) if m >> (s - 1) & 1) or "none")'
}

# --- signal masks -------------------------------------------------------------
start masks
t_wait_for 10 grep -q "housekeeping at start" "$LOG"
t_is "$(mask SigBlk "$RG_PID")" none "main thread: HUP, INT and TERM never blocked"
t_is "$(mask SigCgt "$RG_PID")" "HUP INT TERM" "main thread: HUP, INT and TERM handled"
# a thread in sigwait() would show none blocked (the kernel unblocks what
# it waits for); libmilter's signal thread waits in pause() instead
others=0 bad=
for tid in $(ls "/proc/$RG_PID/task"); do
	[ "$tid" = "$RG_PID" ] && continue
	others=$((others + 1))
	m=$(mask SigBlk "$tid")
	[ "$m" = "HUP INT TERM" ] || bad="$bad $tid:$m"
done
t_ok "$([ "$others" -ge 3 ] && [ -z "$bad" ]; echo $?)" \
	"all $others other threads block HUP, INT and TERM${bad:+ (not:$bad)}"
waits=$(cat /proc/"$RG_PID"/task/*/wchan 2>/dev/null | tr '\0' '\n' | grep -c 'sigtimedwait')
t_is "$waits" 0 "no thread waits in sigwait() (libmilter's waits in repguard's own, which takes nothing)"
stop TERM

# --- a storm of SIGHUPs ----------------------------------------------------------
start storm
out=$($STORM storm "$RG_PID" 3 HUP)
echo "# $out SIGHUPs in 3 s"
sleep 7		# libmilter, had it taken one, stops within about 5 s
kill -0 "$RG_PID" 2>/dev/null && rg_accepting "$SOCK"
t_ok $? "after $out SIGHUPs from the start on, repguard still runs and accepts connections"
t_is "$(grep -c 'stopped\|milter library' "$LOG")" 0 "... and has logged no stop"
n=$(reloads)
t_ok "$([ "$n" -ge 1 ]; echo $?)" "... and reloaded ($n times: SIGHUPs that come during a reload make one more)"
kill -HUP "$RG_PID"
t_wait_for 15 more_reloads_than "$n"
t_ok $? "a SIGHUP after the storm still reloads"
t_is "$("$PY" "$TOP_SRCDIR/tests/lib/signone.py" "$SOCK")" True "after the storm a message is still signed"
stop TERM
t_is "$RG_STATUS" 0 "SIGTERM after the storm: exit status 0"
t_like "$(cat "$LOG")" "SIGTERM: stopping" "... and the log says why it stopped"

# --- SIGHUP and SIGTERM mixed ---------------------------------------------------
bad=
for i in 1 2 3 4 5; do
	start "mixed$i"
	sigs=HUP,HUP,HUP,TERM
	[ $((i % 2)) -eq 0 ] && sigs=HUP,INT
	$STORM storm "$RG_PID" 1 "$sigs" >/dev/null
	t_wait_for 15 gone "$RG_PID" || kill -KILL "$RG_PID"
	rg_stop TERM
	if [ "$RG_STATUS" -ne 0 ] || ! grep -q "SIG\(TERM\|INT\): stop" "$LOG" ||
	    grep -q "milter library" "$LOG"; then
		bad="$bad start $i: status $RG_STATUS, $(grep -v 'reload' "$LOG" | tail -n 2 | tr '\n' ' ')"
	fi
done
t_is "${bad:-none}" none "5 storms of SIGHUP with SIGTERM or SIGINT: each a stop that says so, status 0"

# --- a SIGHUP to every thread but the main one ----------------------------------------
start others
t_wait_for 10 grep -q "housekeeping at start" "$LOG"
out=$($STORM threads "$RG_PID" HUP)
sleep 7		# libmilter, had its thread taken it, stops within about 5 s
kill -0 "$RG_PID" 2>/dev/null && rg_accepting "$SOCK"
t_ok $? "a SIGHUP sent to each of the other threads ($out): repguard still serves"
t_is "$(grep -c 'stopped\|milter library' "$LOG")" 0 "... and has logged no stop"
n=$(reloads)
kill -HUP "$RG_PID"
t_wait_for 15 more_reloads_than "$n"
t_ok $? "... and a SIGHUP to the process still reloads"
stop TERM
t_is "$RG_STATUS" 0 "... and SIGTERM stops it with status 0"
t_done
