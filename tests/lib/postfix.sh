# postfix.sh - a private Postfix, an smtp-sink receiver and swaks for repguard's
# end-to-end tests and the demo (bash only).
#
# Source it after tests/lib/common.sh, once T_TMP exists (t_tmpdir):
#
#   . "$TOP_SRCDIR/tests/lib/common.sh"
#   . "$TOP_SRCDIR/tests/lib/postfix.sh"
#   t_tmpdir
#
# Everything lives under "$T_TMP" and runs on 127.0.0.1 ports picked with
# t_free_port; the system Postfix (/etc/postfix, /var/spool/postfix, port 25) is
# never touched.  Postfix's master must run as root.
#
#   pf_missing                  print the missing programs (postfix, smtp-sink,
#                               swaks) or "root" if not root; empty when all is well
#   pf_require                  skip the whole test (TAP) unless root, postfix,
#                               smtp-sink, swaks and /usr/bin/python3 are there
#   pf_setup                    write the config: PF_DIR (main.cf, master.cf),
#                               PF_QUEUE, PF_DATA, PF_LOG, PF_PORT (smtpd),
#                               SINK_PORT, SINK_DIR.  PF_MILTER (default
#                               unix:$T_TMP/repguard.sock; empty: no milter) goes
#                               into smtpd_milters and non_smtpd_milters.
#   pf_use [NAME]               several private Postfix instances in one test
#                               (NAME: letters and digits): save the instance
#                               in use (PF_DIR, PF_QUEUE, PF_DATA, PF_LOG,
#                               PF_PORT, PF_MILTER, PF_MASTER_PID,
#                               PF_TRANSCRIPT) and switch to NAME, which starts
#                               with none of them set the first time; pf_setup
#                               then writes it to $T_TMP/postfix-NAME (its
#                               queue, data and log named alike, myhostname
#                               NAME.mta.repguard.test).  Every pf_* function
#                               works on the instance in use; the smtp-sink
#                               (SINK_*) is shared: one sink_start, and every
#                               instance relays to it.  Without NAME: back to
#                               the unnamed instance, the only one of a test
#                               that never calls pf_use ($T_TMP/postfix)
#   pf_start                    start Postfix, wait for smtpd to listen; tracks
#                               master's pid in PF_MASTER_PID
#   pf_stop                     "postfix -c PF_DIR stop", then wait for master's
#                               pid to go (KILL it after 10 s)
#   pf_cleanup                  pf_stop every instance still running (EXIT
#                               path)
#   pf_send [--addr A] [--login L] [--name N] SWAKS-ARGS...
#                               one swaks session against the private smtpd;
#                               --addr/--login become --xclient-addr/-login.
#                               Returns swaks' exit status (0 delivered, 23 MAIL
#                               FROM refused, 24 no RCPT, 25/26 DATA refused, ...);
#                               the transcript is saved in PF_TRANSCRIPT
#                               ($T_TMP/swaks.N[.NAME].log).
#   pf_reply [CMD]              the server's reply lines to CMD (default: the
#                               first error reply) from PF_TRANSCRIPT
#   pf_log [ERE]                Postfix's log (the lines matching ERE)
#   pf_queue_count              messages still in Postfix's queue
#   pf_drain [SECONDS]          flush the queue and wait until it is empty
#                               (default 60 s); status 1 if it is not
#   load_start                  tests/lib/smtpload.py against the private
#                               smtpd: 4 clients, 20 senders, one JSON line
#                               per message in LOAD_OUT, until load_stop;
#                               tracks LOAD_PID
#   load_stop                   stop it, wait for it; its exit status
#                               (its summary is in $T_TMP/load.summary)
#   load_count OUTCOME [STAGE]  messages that ended so (accepted, tempfail,
#                               refused, error), at STAGE if given
#   load_check                  compare LOAD_OUT with what reached the sink
#                               (tests/lib/loadcheck.py), into
#                               $T_TMP/compare.out: missing, twice, unasked,
#                               signed, rewritten
#   e2e_init                    t_tmpdir; CONF, SOCK, RGLOG in it; PY
#   e2e_bed [KEY VALUE...]      e2e_conf $CONF $T_TMP/db with the pairs, a
#                               test point that repguard -n takes it, then
#                               pf_setup and pf_bed
#   e2e_counted                 messages of the last hour the database
#                               counted, all senders (repguardctl -c $CONF)
#   e2e_conf FILE DBDIR [KEY VALUE...]
#                               write FILE: repguard on $SOCK signing for
#                               example.com (selector s1) and rewriting
#                               return-paths to bounce.example.com, with keys
#                               made in $T_TMP, CommitInterval 10; then the
#                               pairs given
#   sink_start                  start smtp-sink on SINK_PORT, dumping each message
#                               to SINK_DIR (cleared first); tracks SINK_PID
#   sink_stop                   stop it
#   dead_domain DOMAIN          route DOMAIN (transport_maps in main.cf; call
#                               between pf_setup and pf_start) to a second
#                               smtp-sink, started here on DEAD_PORT, that
#                               refuses every recipient with 550 5.1.1: the
#                               dead addresses of a stale list; tracks DEAD_PID
#   msg_intact SENT GOT         GOT keeps every header line of SENT in order and
#                               its body byte for byte (line ends aside); else
#                               says what differs, status 1
#   sink_clear                  remove every dump
#   sink_files                  the dump files, one a line (named by arrival second)
#   sink_count                  number of messages received so far
#   sink_wait N [SECONDS]       wait until N messages are in and their dumps stop
#                               growing; status 1 on timeout (default 10 s)
#   sink_quiet N [SECONDS]      wait SECONDS (default 1) and check that the count
#                               is still N (nothing more arrived)
#   sink_grep ERE               print the dumps that match ERE; status 1 if none
#
# Tracked pids are killed by common.sh's t_cleanup; Postfix is stopped first by
# pf_cleanup, which this file puts into the EXIT trap (pf_cleanup; t_cleanup).
# A script that sets its own EXIT trap must keep both.
#
# Limits: the instances of a test share one smtp-sink.  The message dumps
# are smtp-sink's format: envelope pseudo-headers (X-Client-Addr:,
# X-Mail-Args:, X-Rcpt-Args:, ...) followed by the message as received.

PF_MASTER_PID=""
SINK_PID=""
PF_SEND_N=0
PF_TRANSCRIPT=""
PF_NAME=""		# the instance in use ("": the unnamed one)
PF_NAMES=""		# every instance pf_use has seen ("_": the unnamed one)
_PF_VARS="PF_DIR PF_QUEUE PF_DATA PF_LOG PF_PORT PF_MILTER PF_MASTER_PID PF_TRANSCRIPT"

trap 'pf_cleanup; t_cleanup' EXIT

pf_require() {
	e2e_skippable
	_m=$(pf_missing)
	[ -x /usr/bin/python3 ] || _m="${_m:+$_m }/usr/bin/python3"
	[ -z "$_m" ] || t_skip_all "end-to-end test needs root, postfix, smtp-sink, swaks, python3; missing: $_m"
}

# e2e_skippable: skip an end-to-end test when REPGUARD_SKIP_E2E=1 (contrib/
# test.sh sets it for make distcheck, whose tarball test need not repeat
# what the plain and sanitizer runs already ran through a real MTA)
e2e_skippable() {
	[ "${REPGUARD_SKIP_E2E:-0}" != 1 ] ||
		t_skip_all "end-to-end tests skipped (REPGUARD_SKIP_E2E=1)"
}

pf_missing() {
	_m=""
	[ "$(id -u)" -eq 0 ] || _m="root"
	for _p in postfix smtp-sink swaks; do
		command -v "$_p" >/dev/null 2>&1 || [ -x "/usr/sbin/$_p" ] || _m="${_m:+$_m }$_p"
	done
	printf '%s' "$_m"
}

# _pf_listening PORT: is something listening on 127.0.0.1:PORT (no probe
# connection: one would start an SMTP session and a milter conversation)?
_pf_listening() {
	_hex=$(printf '%04X' "$1")
	awk -v p=":$_hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
		END { exit !f }' /proc/net/tcp
}

# _pf_save / _pf_restore: the instance in use's variables to and from
# _PF_<name>_<variable> (an unset one, PF_MILTER say, stays unset)
_pf_save() {
	local _v _s
	for _v in $_PF_VARS; do
		_s=_PF_${PF_NAME:-_}_$_v
		if [ -n "${!_v+x}" ]; then printf -v "$_s" '%s' "${!_v}"; else unset "$_s"; fi
	done
}

_pf_restore() {
	local _v _s
	for _v in $_PF_VARS; do
		_s=_PF_${PF_NAME:-_}_$_v
		if [ -n "${!_s+x}" ]; then printf -v "$_v" '%s' "${!_s}"; else unset "$_v"; fi
	done
}

pf_use() {
	case ${1:-} in
	*[!A-Za-z0-9]*) echo "pf_use: bad instance name '$1'" >&2; return 1 ;;
	esac
	[ "${1:-}" = "$PF_NAME" ] && return 0
	_pf_save
	_pf_known
	PF_NAME=${1:-}
	_pf_restore
	_pf_known
}

_pf_known() {	# the instance in use into PF_NAMES
	case " $PF_NAMES " in
	*" ${PF_NAME:-_} "*) ;;
	*) PF_NAMES="$PF_NAMES ${PF_NAME:-_}" ;;
	esac
}

# _pf_port_taken PORT: the sink's, the dead sink's or another instance's port
_pf_port_taken() {
	local _n _s
	[ "$1" = "${SINK_PORT:-}" ] || [ "$1" = "${DEAD_PORT:-}" ] && return 0
	for _n in $PF_NAMES; do
		[ "$_n" = "${PF_NAME:-_}" ] && continue
		_s=_PF_${_n}_PF_PORT
		[ "$1" = "${!_s:-}" ] && return 0
	done
	return 1
}

_pf_master_alive() {
	[ -n "$PF_MASTER_PID" ] && kill -0 "$PF_MASTER_PID" 2>/dev/null
}

pf_setup() {
	: "${T_TMP:?pf_setup: call t_tmpdir first}"
	local _sfx=${PF_NAME:+-$PF_NAME}
	PF_DIR=$T_TMP/postfix$_sfx
	PF_QUEUE=$T_TMP/postfix$_sfx-queue
	PF_DATA=$T_TMP/postfix$_sfx-data
	PF_LOG=$T_TMP/postfix$_sfx.log
	SINK_DIR=$T_TMP/sink
	if [ -z "${PF_PORT:-}" ]; then
		PF_PORT=$(t_free_port)
		while _pf_port_taken "$PF_PORT"; do PF_PORT=$(t_free_port); done
	fi
	SINK_PORT=${SINK_PORT:-$(t_free_port)}
	while [ "$SINK_PORT" = "$PF_PORT" ]; do SINK_PORT=$(t_free_port); done
	PF_MILTER=${PF_MILTER-unix:$T_TMP/repguard.sock}

	mkdir -p "$PF_DIR" "$PF_QUEUE" "$PF_DATA" "$SINK_DIR" || return 1
	chown postfix "$PF_DATA" "$SINK_DIR" || return 1
	chmod 0755 "$PF_DIR" "$PF_QUEUE"
	chmod 0700 "$PF_DATA"

	cat >"$PF_DIR/main.cf" <<EOF
# private Postfix for repguard tests: generated by tests/lib/postfix.sh
compatibility_level = 3.6
myhostname = ${PF_NAME:+$PF_NAME.}mta.repguard.test
mydomain = repguard.test
queue_directory = $PF_QUEUE
data_directory = $PF_DATA
mail_owner = postfix
setgid_group = postdrop
maillog_file = $PF_LOG
maillog_file_prefixes = $T_TMP
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
relayhost = [127.0.0.1]:$SINK_PORT
mynetworks = 127.0.0.0/8
# XCLIENT lets a test pose as any client address (internal, external,
# authenticated); this instance listens on loopback only, so relaying for every
# client is safe and lets "external" mail reach the sink too.  (smtpd refuses a
# plain "permit" here: it wants a reachable reject_unauth_destination.)
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, check_client_access static:OK,
    reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_peername_lookup = no
smtpd_error_sleep_time = 0
smtp_dns_support_level = disabled
smtp_connect_timeout = 5s
smtp_tls_security_level = none
smtpd_tls_security_level = none
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
biff = no
EOF
	if [ -n "$PF_MILTER" ]; then
		cat >>"$PF_DIR/main.cf" <<EOF
smtpd_milters = $PF_MILTER
non_smtpd_milters = $PF_MILTER
milter_default_action = tempfail
milter_connect_timeout = 5s
EOF
	fi

	cat >"$PF_DIR/master.cf" <<EOF
# private Postfix for repguard tests: every service chroot n
$PF_PORT  inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

pf_start() {
	: "${PF_DIR:?pf_start: call pf_setup first}"
	_pidfile=$PF_QUEUE/pid/master.pid
	rm -f "$_pidfile"
	local _out=$T_TMP/postfix${PF_NAME:+-$PF_NAME}-start.out
	if ! postfix -c "$PF_DIR" start >"$_out" 2>&1; then
		sed 's/^/# postfix start: /' "$_out" >&2
		return 1
	fi
	# master writes its pid file once it runs; read it before anything else
	# so that the EXIT path can stop it even if the next wait fails.
	t_wait_for 10 test -s "$_pidfile" || { echo "# postfix: no $_pidfile" >&2; return 1; }
	t_wait_for 2 _pf_read_master_pid || return 1
	t_track "$PF_MASTER_PID"
	t_wait_for 10 _pf_listening "$PF_PORT" || {
		echo "# postfix: smtpd not listening on 127.0.0.1:$PF_PORT" >&2
		return 1
	}
}

_pf_read_master_pid() {
	PF_MASTER_PID=$(tr -dc '0-9' <"$PF_QUEUE/pid/master.pid" 2>/dev/null)
	[ -n "$PF_MASTER_PID" ] && kill -0 "$PF_MASTER_PID" 2>/dev/null
}

pf_stop() {
	[ -n "${PF_DIR:-}" ] || return 0
	if _pf_master_alive; then
		postfix -c "$PF_DIR" stop >/dev/null 2>&1 || kill -TERM "$PF_MASTER_PID" 2>/dev/null
		_i=0
		while kill -0 "$PF_MASTER_PID" 2>/dev/null && [ $_i -lt 100 ]; do
			sleep 0.1; _i=$((_i + 1))
		done
		if kill -0 "$PF_MASTER_PID" 2>/dev/null; then
			echo "# postfix master $PF_MASTER_PID did not stop: killing it" >&2
			kill -KILL "$PF_MASTER_PID" 2>/dev/null
		fi
	fi
	[ -n "$PF_MASTER_PID" ] && t_untrack "$PF_MASTER_PID"
	PF_MASTER_PID=""
}

pf_cleanup() {
	local _n _cur=$PF_NAME
	_pf_master_alive && pf_stop
	for _n in $PF_NAMES; do
		[ "$_n" = "${_cur:-_}" ] && continue
		pf_use "${_n#_}" && _pf_master_alive && pf_stop
	done
	return 0
}

# pf_bed RG_CONF RG_LOG [NOTE]: start the private Postfix, smtp-sink and
# repguard (call pf_setup first), each a test point; bail out, showing the
# logs' tails ($T_TMP/check.out: repguard -n's output), if any failed.
pf_bed() {
	pf_start
	t_ok $? "private Postfix started on 127.0.0.1:$PF_PORT${3:+ ($3)}"
	sink_start
	t_ok $? "smtp-sink started on 127.0.0.1:$SINK_PORT"
	rg_start "$1" "$2"
	t_ok $? "repguard started"
	[ "$T_FAILED" -eq 0 ] || {
		sed 's/^/# /' "$T_TMP/check.out" "$2" "$PF_LOG" 2>/dev/null | tail -n 30
		echo "Bail out! the test bed did not start"
		exit 1
	}
}

pf_log() {
	[ -f "$PF_LOG" ] || return 1
	if [ $# -gt 0 ]; then grep -E -- "$1" "$PF_LOG"; else cat "$PF_LOG"; fi
}

pf_queue_count() {
	find "$PF_QUEUE/maildrop" "$PF_QUEUE/incoming" "$PF_QUEUE/active" \
	    "$PF_QUEUE/deferred" "$PF_QUEUE/hold" -type f 2>/dev/null | wc -l
}

_pf_drained() { [ "$(pf_queue_count)" -eq 0 ]; }
pf_drain() {
	postqueue -c "$PF_DIR" -f >/dev/null 2>&1
	t_wait_for "${1:-60}" _pf_drained
}

load_start() {
	LOAD_OUT=$T_TMP/load.jsonl
	rm -f "$T_TMP/load.stop"
	/usr/bin/python3 "$TOP_SRCDIR/tests/lib/smtpload.py" --port "$PF_PORT" \
	    --threads 4 --stop-file "$T_TMP/load.stop" --senders 20 \
	    --out "$LOAD_OUT" >"$T_TMP/load.summary" 2>"$T_TMP/load.err" &
	LOAD_PID=$!
	t_track "$LOAD_PID"
}

load_stop() {
	local rc
	touch "$T_TMP/load.stop"
	wait "$LOAD_PID"
	rc=$?
	t_untrack "$LOAD_PID"
	return $rc
}

load_count() {
	/usr/bin/python3 -c 'import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["outcome"] == sys.argv[2] and (len(sys.argv) < 4 or r["stage"] == sys.argv[3]):
        n += 1
print(n)' "$LOAD_OUT" "$@"
}

load_check() {
	/usr/bin/python3 "$TOP_SRCDIR/tests/lib/loadcheck.py" "$LOAD_OUT" \
	    "$SINK_DIR" >"$T_TMP/compare.out"
}

e2e_init() {
	t_tmpdir
	CONF=$T_TMP/repguard.conf
	SOCK=$T_TMP/repguard.sock
	RGLOG=$T_TMP/repguard.log
	PY=/usr/bin/python3
}

e2e_bed() {
	e2e_conf "$CONF" "$T_TMP/db" "$@"
	"$REPGUARD" -n -c "$CONF" >"$T_TMP/check.out" 2>&1
	t_ok $? "the configuration is valid"
	pf_setup
	pf_bed "$CONF" "$RGLOG"
}

e2e_counted() {
	"$REPGUARDCTL" -c "$CONF" senders --json | /usr/bin/python3 -c '
import json, sys
print(sum(s.get("messages_1h", 0) for s in json.load(sys.stdin)))'
}

e2e_conf() {
	local f=$1 db=$2
	shift 2
	[ -f "$T_TMP/dkim.pem" ] || dkim_key "$T_TMP/dkim.pem"
	[ -f "$T_TMP/rp.key" ] || rp_key "$T_TMP/rp.key"
	rg_conf "$f" Socket "unix:$SOCK" UMask 000 DatabasePath "$db" \
		CommitInterval 10 Syslog no \
		Domain example.com Selector s1 KeyFile "$T_TMP/dkim.pem" \
		ReturnPathDomain bounce.example.com \
		ReturnPathKeyFile "$T_TMP/rp.key" "$@"
}

pf_send() {
	local xc=() name=""
	while [ $# -gt 0 ]; do
		case $1 in
		--addr) xc+=(--xclient-addr "$2"); shift 2 ;;
		--login) xc+=(--xclient-login "$2"); shift 2 ;;
		--name) name=.$2; shift 2 ;;
		*) break ;;
		esac
	done
	PF_SEND_N=$((PF_SEND_N + 1))
	PF_TRANSCRIPT=$T_TMP/swaks.$PF_SEND_N$name.log
	swaks --server 127.0.0.1 --port "$PF_PORT" --helo client.repguard.test \
	    --timeout 15 "${xc[@]}" "$@" >"$PF_TRANSCRIPT" 2>&1
}

# pf_reply [VERB]: the server lines ("<-" or "<**" in swaks' transcript) that
# answer VERB (MAIL, RCPT, DATA, ...); without VERB, the first error reply.
pf_reply() {
	if [ $# -eq 0 ]; then
		grep -E '^ *<\*\* ' "$PF_TRANSCRIPT" | head -n 1 | sed 's/^ *<\*\* *//'
		return
	fi
	awk -v v="$1" '
		/^ *(->|~>|\*\*>) / { cur = toupper($2); sub(/:.*/, "", cur); next }
		/^ *(<-|<~|<\*\*) / && cur == toupper(v) { sub(/^ *[<~*-]+ +/, ""); print }
	' "$PF_TRANSCRIPT"
}

sink_start() {
	: "${SINK_DIR:?sink_start: call pf_setup first}"
	sink_clear
	smtp-sink -u postfix -d "$SINK_DIR/%Y%m%d%H%M%S." "127.0.0.1:$SINK_PORT" 256 \
	    >>"$T_TMP/smtp-sink.log" 2>&1 &
	SINK_PID=$!
	t_track "$SINK_PID"
	t_wait_for 10 _pf_listening "$SINK_PORT" || {
		echo "# smtp-sink not listening on 127.0.0.1:$SINK_PORT" >&2
		return 1
	}
	kill -0 "$SINK_PID" 2>/dev/null
}

dead_domain() {
	: "${PF_DIR:?dead_domain: call pf_setup first}"
	DEAD_PORT=$(t_free_port)
	while [ "$DEAD_PORT" = "$PF_PORT" ] || [ "$DEAD_PORT" = "$SINK_PORT" ]; do
		DEAD_PORT=$(t_free_port)
	done
	printf 'transport_maps = inline:{%s=smtp:[127.0.0.1]:%s}\n' "$1" \
	    "$DEAD_PORT" >>"$PF_DIR/main.cf"
	smtp-sink -u postfix -f rcpt \
	    -B "550 5.1.1 Recipient address rejected: User unknown" \
	    "127.0.0.1:$DEAD_PORT" 64 >>"$T_TMP/dead-sink.log" 2>&1 &
	DEAD_PID=$!
	t_track "$DEAD_PID"
	t_wait_for 10 _pf_listening "$DEAD_PORT"
}

sink_stop() {
	[ -n "$SINK_PID" ] || return 0
	kill -TERM "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	t_untrack "$SINK_PID"
	SINK_PID=""
}

sink_clear() {
	find "$SINK_DIR" -mindepth 1 -delete 2>/dev/null
	return 0
}

sink_files() {
	find "$SINK_DIR" -type f 2>/dev/null | sort
}

sink_count() {
	sink_files | wc -l | tr -d ' '
}

# sizes of all dumps: two equal snapshots 0.2 s apart mean nothing is being written
_sink_sizes() {
	find "$SINK_DIR" -type f -printf '%p %s\n' 2>/dev/null | sort
}

sink_wait() {
	_want=$1
	_limit=$(( ${2:-10} * 10 ))
	_i=0
	while [ $_i -lt $_limit ]; do
		if [ "$(sink_count)" -ge "$_want" ]; then
			_a=$(_sink_sizes); sleep 0.2; _b=$(_sink_sizes)
			[ "$_a" = "$_b" ] && return 0
		else
			sleep 0.1
		fi
		_i=$((_i + 1))
	done
	return 1
}

sink_quiet() {
	sleep "${2:-1}"
	[ "$(sink_count)" -eq "$1" ]
}

sink_grep() {
	_out=$(sink_files | xargs -r -d '\n' grep -lE -- "$1")
	[ -n "$_out" ] || return 1
	printf '%s\n' "$_out"
}

# sink_message ID OUT: write OUT, the message with "X-Test-Id: ID" as Postfix
# handed it to smtp-sink: the dump without smtp-sink's envelope
# pseudo-headers, its Received: header and the empty line it appends.  Status 1 (with a reason
# on stdout) if there is no single dump or it is not in the expected format.
sink_message() {
	_dumps=$(sink_grep "^X-Test-Id: $1\$")
	if [ -z "$_dumps" ]; then echo "no dump for $1"; return 1; fi
	if [ "$(printf '%s\n' "$_dumps" | wc -l)" -ne 1 ]; then echo "several dumps for $1"; return 1; fi
	/usr/bin/python3 - "$_dumps" "$2" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
i = 0
envelope = (b"X-Client-Addr:", b"X-Client-Proto:", b"X-Helo-Args:", b"X-Mail-Args:",
            b"X-Rcpt-Args:")
while i < len(lines) and lines[i].startswith(envelope):
    i += 1
if i == 0 or not lines[i].startswith(b"Received: "):
    sys.exit("dump does not start with smtp-sink's pseudo-headers and Received: %r"
             % lines[:i + 1])
j = i + 1
while j < len(lines) and lines[j][:1] in (b" ", b"\t"):
    j += 1
if b"(smtp-sink)" not in b"".join(lines[i:j]):
    sys.exit("the first Received: is not smtp-sink's: %r" % lines[i:j])
msg = lines[j:]
# smtp-sink appends an empty line; the last element is what follows the final LF
if len(msg) < 2 or msg[-1] != b"" or msg[-2] != b"":
    sys.exit("dump does not end with smtp-sink's empty line")
msg = msg[:-2]
open(sys.argv[2], "wb").write(b"".join(l + b"\r\n" for l in msg))
EOF
}

msg_intact() {
	/usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
def split(path):
    text = open(path, "rb").read().replace(b"\r\n", b"\n")
    head, _, body = text.partition(b"\n\n")
    return head.split(b"\n"), body.rstrip(b"\n")
sh, sb = split(sys.argv[1])
dh, db = split(sys.argv[2])
i = 0
for line in dh:
    if i < len(sh) and line == sh[i]:
        i += 1
if i < len(sh):
    print("header line missing or out of order: %r" % sh[i]); sys.exit(1)
if sb != db:
    print("body differs: sent %r, got %r" % (sb[:200], db[:200])); sys.exit(1)
EOF
}
