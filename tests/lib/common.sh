# common.sh - shared shell helpers for repguard's script tests (TAP output).
#
# Source it from a test script:  . "$TOP_SRCDIR/tests/lib/common.sh"
#
#   t_ok COND_STATUS "name"     record one TAP point from an exit status ($?)
#   t_pass "name" / t_fail "name" [diag...]
#   t_is GOT WANT "name"        string equality
#   t_like TEXT REGEX "name"    extended-regex match (grep -E)
#   t_done                      print the plan; exit 1 if any point failed
#   t_skip_all "why"            TAP skip of the whole script (exit 0)
#   t_tmpdir                    sets T_TMP to a fresh private directory (removed at exit
#                               unless KEEP_TMP=1)
#   t_track PID                 kill PID (TERM, then KILL) at exit, even on failure
#   t_untrack PID               forget a pid stopped by the test itself
#   t_wait_for SECONDS CMD...   poll CMD every 0.1 s until it succeeds; status 1 on timeout
#   t_free_port                 print a free TCP port on 127.0.0.1
#   rg_milter_test              for a test that talks the milter protocol with
#                               tests/lib/milterclient.py: skip unless
#                               /usr/bin/python3 and openssl are there; set PY,
#                               T_TMP (t_tmpdir), SOCK, CONF and LOG in it
#   rg_conf FILE KEY VALUE...   write a repguard config with the pairs given
#   rg_start CONF [LOGFILE]     start "$REPGUARD -f -c CONF" in the background, set
#                               RG_PID, wait until its socket accepts connections;
#                               status 1 if it exits or is not ready in 10 s
#   rg_stop [SIGNAL]            signal RG_PID (default TERM) and wait for it to exit;
#                               sets RG_STATUS to its exit status
#
# Every process a test starts is stopped by its pid, never by name.

: "${TOP_SRCDIR:?TOP_SRCDIR is not set (run through make check)}"
: "${REPGUARD:?REPGUARD is not set}"
: "${REPGUARDCTL:?REPGUARDCTL is not set}"

T_N=0
T_FAILED=0
T_PIDS=""
T_TMP=""

t_pass() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
t_fail() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_N - $1"
	shift
	for d in "$@"; do printf '%s\n' "$d" | sed 's/^/#   /'; done
}
t_ok() { if [ "$1" -eq 0 ]; then t_pass "$2"; else t_fail "$2" "exit status $1"; fi; }
t_is() {
	if [ "$1" = "$2" ]; then t_pass "$3"; else t_fail "$3" "got:  $1" "want: $2"; fi
}
t_like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then t_pass "$3"
	else t_fail "$3" "text: $(printf '%s' "$1" | head -c 2000)" "does not match: $2"; fi
}
t_done() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ] || { echo "# $T_FAILED of $T_N failed"; exit 1; }
	exit 0
}
t_skip_all() { echo "1..0 # SKIP $1"; exit 0; }

t_cleanup() {
	for p in $T_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "$T_TMP" ] && [ "${KEEP_TMP:-0}" != 1 ]; then rm -rf "$T_TMP"; fi
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

t_tmpdir() {
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/repguard-test.XXXXXX") || exit 1
	chmod 0755 "$T_TMP"
}
t_track() { T_PIDS="$T_PIDS $1"; }
t_untrack() {
	_new=""
	for p in $T_PIDS; do [ "$p" = "$1" ] || _new="$_new $p"; done
	T_PIDS=$_new
}

# t_within OUTPUT MIN LIMIT: every line of OUTPUT but "all ..." starts with
# a number of seconds at least MIN and under LIMIT
t_within() {
	printf '%s\n' "$1" | grep -v '^all' | awk -v min="$2" -v lim="$3" \
	    '{ if ($1 >= lim || $1 < min) bad = 1 } END { exit bad }'
}

t_wait_for() {
	_limit=$(($1 * 10)); shift
	_i=0
	while [ $_i -lt $_limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

t_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

rg_milter_test() {
	PY=/usr/bin/python3
	[ -x "$PY" ] || t_skip_all "$PY not installed"
	command -v openssl >/dev/null || t_skip_all "needs the openssl command"
	t_tmpdir
	SOCK=$T_TMP/rg.sock
	CONF=$T_TMP/rg.conf
	LOG=$T_TMP/rg.log
}

rg_conf() {
	_f=$1; shift
	: >"$_f"
	while [ $# -ge 2 ]; do printf '%s %s\n' "$1" "$2" >>"$_f"; shift 2; done
}

# rg_accepting SOCKETPATH: status 0 if a process accepts connections there.
rg_accepting() {
	/usr/bin/python3 -c 'import socket,sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(1)
s.connect(sys.argv[1])' "$1" 2>/dev/null
}

rg_start() {
	_conf=$1
	_log=${2:-$T_TMP/repguard.log}
	"$REPGUARD" -f -c "$_conf" >>"$_log" 2>&1 &
	RG_PID=$!
	t_track "$RG_PID"
	_sock=$(sed -n 's/^[Ss]ocket[[:space:]]\{1,\}\(unix\|local\)://p' "$_conf" | head -n1)
	_i=0
	while [ $_i -lt 100 ]; do
		kill -0 "$RG_PID" 2>/dev/null || return 1
		if [ -n "$_sock" ]; then
			rg_accepting "$_sock" && return 0
		elif [ $_i -ge 5 ]; then
			return 0
		fi
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

rg_stop() {
	_sig=${1:-TERM}
	kill -"$_sig" "$RG_PID" 2>/dev/null
	wait "$RG_PID" 2>/dev/null
	RG_STATUS=$?
	t_untrack "$RG_PID"
}

# rg_stop_check DESC PID... : stop those daemons (SIGTERM, wait), then one
# test point: no sanitizer report (ASan, UBSan, TSan, LeakSanitizer at
# exit) in any $T_TMP/*.log.
rg_stop_check() {
	_desc=$1; shift
	for _p in "$@"; do
		kill -TERM "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
		t_untrack "$_p"
	done
	t_is "$(grep -hE 'ERROR: [A-Za-z]+Sanitizer|WARNING: ThreadSanitizer|runtime error:' \
		"$T_TMP"/*.log 2>/dev/null | head -n 3)" "" "$_desc"
}
