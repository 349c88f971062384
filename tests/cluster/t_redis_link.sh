#!/bin/bash
# t_redis_link.sh - the Redis link (filter/cluster/redis.h) against real
# servers: Debian's redis-server and redis-sentinel, private to the test
# (tests/lib/redis.sh), driven by tests/cluster/redisprobe.
#
#   - connects over TCP and over a unix socket; a refused port and a
#     missing socket are one-line errors naming the address;
#   - SELECT: a key written through URL/3 is in database 3, not 0; a
#     database the server does not have is an error at connect;
#   - a pipeline of 1,000 INCRs is answered in one exchange, in order;
#     a Redis error is a reply, not a failure of the exchange;
#   - an ACL user and password log in (ACL WHOAMI); a wrong password is a
#     WRONGPASS error that does not hold the password; a password alone
#     (requirepass) logs in, and its absence says NOAUTH and what to set;
#   - a server that hangs (SIGSTOP): the exchange fails within about the
#     timeout (100 ms: under 2 s, not a hang), the connection is broken
#     for good after it; redis_set_timeout() lengthens the wait; a connect
#     to a hung server fails the same way;
#   - through a sentinel: the master; a dead sentinel first in the list is
#     passed over; an unknown master and no sentinel answering are errors
#     that say so; after SENTINEL FAILOVER (master, one replica, one
#     sentinel) a new connect finds the new master within 15 s, the old
#     one answers writes with READONLY (redis_reply_readonly()), and what
#     was written before the failover is on the new master.
. "$TOP_SRCDIR/tests/lib/common.sh"
t_tmpdir
. "$TOP_SRCDIR/tests/lib/redis.sh"
redis_need

PROBE=$TOP_BUILDDIR/tests/cluster/redisprobe
[ -x "$PROBE" ] || t_skip_all "tests/cluster/redisprobe not built"
if "$PROBE" redis://127.0.0.1:1 connect | grep -q 'built without hiredis'; then
	t_skip_all "this repguard was built without hiredis"
fi

probe() {	# probe ARG...: OUT and RC (a probe that hangs is killed: 124)
	OUT=$(timeout 20 "$PROBE" "$@" 2>&1)
	RC=$?
}
ms_now() { date +%s%3N; }

redis_start main || { t_fail "a private redis-server starts"; t_done; }
A_PORT=$RS_PORT A_SOCK=$RS_SOCK A_PID=$RS_PID
A=redis://127.0.0.1:$A_PORT

# --- addresses ----------------------------------------------------------------
probe "$A" connect
t_is "$RC $OUT" "0 connected 127.0.0.1:$A_PORT (redis://127.0.0.1:$A_PORT)" \
    "TCP: connected, redis_address() names the server"
probe "unix:$A_SOCK" connect
t_is "$RC $OUT" "0 connected unix:$A_SOCK (unix:$A_SOCK)" "unix socket: connected"
NOPORT=$(t_free_port)
probe "redis://127.0.0.1:$NOPORT" connect
t_is "$RC $OUT" "1 error: redis 127.0.0.1:$NOPORT: Connection refused" \
    "a refused port: one line naming the address"
probe "unix:$T_TMP/none.sock" connect
t_is "$RC $OUT" "1 error: redis unix:$T_TMP/none.sock: No such file or directory" \
    "a missing socket: one line naming it"

# --- SELECT -------------------------------------------------------------------
probe "unix:$A_SOCK?db=3" cmd SET selkey in-db-3
t_is "$RC $OUT" "0 status OK" "SET through unix:...?db=3"
t_is "$(redis_cli "$A_SOCK" -n 3 GET selkey)|$(redis_cli "$A_SOCK" -n 0 GET selkey)" \
    "in-db-3|" "SELECT: the key is in database 3, not in 0"
probe "$A/3" cmd GET selkey
t_is "$RC $OUT" "0 string in-db-3" "redis://.../3 reads database 3"
probe "$A/999" connect
t_is "$RC $OUT" "1 error: redis 127.0.0.1:$A_PORT: SELECT 999: ERR DB index is out of range" \
    "a database the server lacks: an error at connect"

# --- pipelines and error replies ---------------------------------------------
probe "$A" incr pipe:counter 1000
t_is "$RC $OUT" "0 1000 replies in one exchange, 1 to 1000, 0 out of order" \
    "1,000 INCRs answered in one exchange, in order"
t_is "$(redis_cli "$A_PORT" GET pipe:counter)" 1000 "... and the counter is 1000"
probe "$A" cmd NOSUCHCOMMAND x
t_like "$RC $OUT" "^0 error ERR unknown command" \
    "a Redis error is a reply of type error, not a failed exchange"
probe "$A" cmd HGETALL nosuchhash
t_is "$RC $OUT" "0 array 0" "an empty array"
redis_cli "$A_PORT" RPUSH list a b >/dev/null
probe "$A" cmd LRANGE list 0 -1
t_is "$RC $(printf '%s' "$OUT" | tr '\n' '|')" "0 array 2|  string a|  string b" \
    "an array's elements"

# --- login --------------------------------------------------------------------
redis_cli "$A_PORT" ACL SETUSER alice on '>Alice-pw-1234' '~*' '&*' '+@all' >/dev/null
printf 'alice Alice-pw-1234\n' >"$T_TMP/alice.pw"
printf 'alice nottheRightOne-42\n' >"$T_TMP/wrong.pw"
chmod 600 "$T_TMP/alice.pw" "$T_TMP/wrong.pw"
probe -a "$T_TMP/alice.pw" "$A" cmd ACL WHOAMI
t_is "$RC $OUT" "0 string alice" "an ACL user and password log in"
probe -a "$T_TMP/alice.pw" "$A" connect
t_is "$RC $OUT" "0 connected 127.0.0.1:$A_PORT (redis://127.0.0.1:$A_PORT (user alice))" \
    "the target's text names the user, not the password"
probe -a "$T_TMP/wrong.pw" "$A" connect
t_like "$RC $OUT" "^1 error: redis 127.0.0.1:$A_PORT: AUTH: WRONGPASS" \
    "a wrong password: WRONGPASS, naming the address"
t_is "$(printf '%s' "$OUT" | grep -c nottheRightOne)" 0 \
    "the error does not hold the password"

# --- a server that hangs ------------------------------------------------------
stall() {	# stall TIMEOUT [LATER]: STALL (output), STALL_MS (first try)
	rm -f "$T_TMP/go" "$T_TMP/stall.out"
	timeout 10 "$PROBE" -t "$1" ${2:+-T "$2"} "$A" stall "$T_TMP/go" \
	    >"$T_TMP/stall.out" 2>&1 &
	_pp=$!
	t_wait_for 5 grep -q '^connected' "$T_TMP/stall.out"
	redis_pause "$A_PID"
	touch "$T_TMP/go"
	wait "$_pp"
	redis_resume "$A_PID"
	STALL=$(cat "$T_TMP/stall.out")
	STALL_MS=$(sed -n 's/^exchange failed after \([0-9]*\) ms.*/\1/p' "$T_TMP/stall.out")
}
stall 100
t_like "$STALL" "^exchange failed after [0-9]+ ms: redis 127.0.0.1:$A_PORT: no reply within 100 ms$" \
    "a hung server (SIGSTOP): the exchange fails, saying the timeout"
[ -n "$STALL_MS" ] && [ "$STALL_MS" -ge 90 ] && [ "$STALL_MS" -lt 2000 ]
t_ok $? "... after about the timeout of 100 ms, not a hang (${STALL_MS:-?} ms)"
t_like "$STALL" "^then failed after [0-9] ms: .*no reply within 100 ms" \
    "after it the connection is broken: the next exchange fails at once"
stall 100 600
[ -n "$STALL_MS" ] && [ "$STALL_MS" -ge 550 ] && [ "$STALL_MS" -lt 2000 ]
t_ok $? "redis_set_timeout(600) lengthens the wait (${STALL_MS:-?} ms)"
redis_pause "$A_PID"
t0=$(ms_now)
probe -t 100 "$A" connect
t1=$(ms_now)
redis_resume "$A_PID"
t_like "$RC $OUT" "^1 error: redis 127.0.0.1:$A_PORT: no reply within 100 ms" \
    "connecting to a hung server fails, saying the timeout"
[ $((t1 - t0)) -lt 2000 ]
t_ok $? "... in under 2 s ($((t1 - t0)) ms)"

# --- a password alone (requirepass), last: it closes the door to the rest -----
redis_cli "$A_PORT" CONFIG SET requirepass Default-pw-77 >/dev/null
printf 'Default-pw-77\n' >"$T_TMP/default.pw"
chmod 600 "$T_TMP/default.pw"
probe "$A" connect
t_is "$RC $OUT" "1 error: redis 127.0.0.1:$A_PORT: PING: NOAUTH Authentication required. (set ClusterPasswordFile)" \
    "a server with a password, none given: NOAUTH and what to set"
probe -a "$T_TMP/default.pw" "$A" cmd ACL WHOAMI
t_is "$RC $OUT" "0 string default" "a password alone logs in (AUTH password)"

# --- sentinel -----------------------------------------------------------------
redis_start master || { t_fail "the master starts"; t_done; }
M_PORT=$RS_PORT
redis_start_replica replica "$M_PORT" || { t_fail "the replica starts and syncs"; t_done; }
R_PORT=$RS_PORT
sentinel_start s1 mymaster "$M_PORT" || { t_fail "the sentinel starts"; t_done; }
S_PORT=$RS_PORT
knows_replica() { redis_cli "$S_PORT" SENTINEL replicas mymaster | grep -qx "$R_PORT"; }
t_wait_for 15 knows_replica
t_ok $? "the sentinel knows the replica"
S=sentinel://127.0.0.1:$S_PORT/mymaster
DEAD=$(t_free_port)

probe "$S" connect
t_is "$RC $OUT" "0 connected 127.0.0.1:$M_PORT ($S)" "through the sentinel: the master"
probe "sentinel://127.0.0.1:$DEAD,127.0.0.1:$S_PORT/mymaster" connect
t_is "$RC $OUT" "0 connected 127.0.0.1:$M_PORT (sentinel://127.0.0.1:$DEAD,127.0.0.1:$S_PORT/mymaster)" \
    "a dead sentinel first in the list is passed over"
probe "sentinel://127.0.0.1:$S_PORT/nosuch" connect
t_is "$RC $OUT" "1 error: sentinel: no sentinel knows master nosuch" \
    "an unknown master: said so"
probe "sentinel://127.0.0.1:$DEAD/mymaster" connect
t_like "$RC $OUT" "^1 error: sentinel: master mymaster not reached .*sentinel 127.0.0.1:$DEAD: Connection refused" \
    "no sentinel answering: said so, with the last error"
probe "$S" cmd SET before-failover 1
t_is "$RC $OUT" "0 status OK" "a write through the sentinel"

redis_cli "$S_PORT" SENTINEL FAILOVER mymaster >/dev/null
t0=$(ms_now)
on_new_master() {
	probe "$S" connect
	[ "$OUT" = "connected 127.0.0.1:$R_PORT ($S)" ]
}
t_wait_for 15 on_new_master
t_ok $? "after SENTINEL FAILOVER a new connect finds the new master ($(($(ms_now) - t0)) ms; last: $OUT)"
old_readonly() {
	probe "redis://127.0.0.1:$M_PORT" cmd SET after-failover 1
	printf '%s\n' "$OUT" | grep -q '^error READONLY .*\[readonly\]$'
}
t_wait_for 10 old_readonly
t_ok $? "the old master answers a write with READONLY, which redis_reply_readonly() tells ($OUT)"
probe "$S" cmd GET before-failover
t_is "$RC $OUT" "0 string 1" "what was written before the failover is on the new master"
t_done
