# redis.sh - private Redis servers, replicas and sentinels for script tests.
#
# Source it after common.sh, from a test that has called t_tmpdir:
#
#   . "$TOP_SRCDIR/tests/lib/redis.sh"
#   redis_need                  skip the whole test (TAP "1..0 # SKIP
#                               redis-server not installed") unless Debian's
#                               /usr/bin/redis-server and redis-cli are there
#   redis_start NAME [ARG...]   start /usr/bin/redis-server in the background
#                               on a free 127.0.0.1 port and a unix socket of
#                               its own, everything in $T_TMP/redis-NAME
#                               (--dir, --logfile; no RDB, no AOF, not
#                               daemonized; ARG... added); wait until it
#                               answers PING; sets RS_PORT, RS_SOCK, RS_PID,
#                               RS_DIR; status 1 if it is not up in 10 s
#   redis_start_replica NAME MASTERPORT [ARG...]
#                               the same with --replicaof 127.0.0.1
#                               MASTERPORT; waits until the replica's link
#                               to the master is up
#   sentinel_start NAME MASTER MASTERPORT
#                               redis-sentinel on a free port watching
#                               127.0.0.1:MASTERPORT as MASTER (quorum 1,
#                               down after 1 s, failover timeout 5 s);
#                               waits until it names the master; sets
#                               RS_PORT, RS_PID, RS_DIR
#   redis_cli PORT|SOCK ARG...  redis-cli against a port or a socket path
#   redis_pause PID / redis_resume PID
#                               SIGSTOP / SIGCONT (a server that hangs)
#
# Every process is started in the background with its pid tracked
# (t_track): common.sh's exit trap stops it by its pid, even when the test
# fails.  A stopped (SIGSTOP) server would not see SIGTERM, so the trap set
# here first sends SIGCONT to every server this file started.

REDIS_SERVER=/usr/bin/redis-server
REDIS_SENTINEL=/usr/bin/redis-sentinel
REDIS_CLI=/usr/bin/redis-cli
RS_ALL_PIDS=""

redis_need() {
	[ -x "$REDIS_SERVER" ] || t_skip_all "redis-server not installed"
	[ -x "$REDIS_CLI" ] || t_skip_all "redis-cli (redis-tools) not installed"
	: "${T_TMP:?call t_tmpdir before redis_need}"
}

redis_resume_all() {
	for _p in $RS_ALL_PIDS; do kill -CONT "$_p" 2>/dev/null; done
}
trap 'redis_resume_all; t_cleanup' EXIT

redis_cli() {
	_where=$1; shift
	case $_where in
	/*) "$REDIS_CLI" -s "$_where" "$@" ;;
	*) "$REDIS_CLI" -h 127.0.0.1 -p "$_where" "$@" ;;
	esac
}

# redis_run DIR PROGRAM ARG...: start it in the background, tracked
redis_run() {
	_dir=$1; shift
	"$@" >>"$_dir/stdout" 2>&1 &
	RS_PID=$!
	t_track "$RS_PID"
	RS_ALL_PIDS="$RS_ALL_PIDS $RS_PID"
}

redis_start() {
	_name=$1; shift
	RS_DIR=$T_TMP/redis-$_name
	mkdir -p "$RS_DIR" || return 1
	RS_PORT=$(t_free_port)
	RS_SOCK=$RS_DIR/redis.sock
	redis_run "$RS_DIR" "$REDIS_SERVER" --port "$RS_PORT" --bind 127.0.0.1 \
	    --unixsocket "$RS_SOCK" --unixsocketperm 700 --dir "$RS_DIR" \
	    --logfile "$RS_DIR/redis.log" --save '' --appendonly no \
	    --daemonize no "$@"
	t_wait_for 10 redis_answers "$RS_PORT" || {
		tail -n 5 "$RS_DIR/redis.log" "$RS_DIR/stdout" 2>/dev/null | sed 's/^/# /'
		return 1
	}
}

redis_answers() {
	[ "$(redis_cli "$1" PING 2>/dev/null)" = PONG ]
}

redis_link_up() {
	redis_cli "$1" INFO replication 2>/dev/null | grep -q '^master_link_status:up'
}

redis_start_replica() {
	_name=$1 _mport=$2; shift 2
	redis_start "$_name" --replicaof 127.0.0.1 "$_mport" "$@" || return 1
	t_wait_for 10 redis_link_up "$RS_PORT"
}

sentinel_knows() {	# sentinel_knows PORT MASTER MASTERPORT
	redis_cli "$1" SENTINEL get-master-addr-by-name "$2" 2>/dev/null |
	    grep -qx "$3"
}

sentinel_start() {
	_name=$1 _master=$2 _mport=$3
	RS_DIR=$T_TMP/sentinel-$_name
	mkdir -p "$RS_DIR" || return 1
	RS_PORT=$(t_free_port)
	RS_SOCK=
	# the sentinel rewrites its file: it must be writable, in its dir
	cat >"$RS_DIR/sentinel.conf" <<-EOF
	port $RS_PORT
	bind 127.0.0.1
	daemonize no
	dir $RS_DIR
	logfile $RS_DIR/sentinel.log
	sentinel monitor $_master 127.0.0.1 $_mport 1
	sentinel down-after-milliseconds $_master 1000
	sentinel failover-timeout $_master 5000
	EOF
	redis_run "$RS_DIR" "$REDIS_SENTINEL" "$RS_DIR/sentinel.conf"
	t_wait_for 10 sentinel_knows "$RS_PORT" "$_master" "$_mport" || {
		tail -n 5 "$RS_DIR/sentinel.log" "$RS_DIR/stdout" 2>/dev/null | sed 's/^/# /'
		return 1
	}
}

redis_pause() { kill -STOP "$1"; }
redis_resume() { kill -CONT "$1"; }
