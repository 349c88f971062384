#!/bin/bash
# run.sh - repguard's signing benchmark, in one go on this machine.
#
#   tests/bench/run.sh            (as root or not; about 10 minutes with repguard)
#
# Runs, one after the other on the same machine and in the same run (so that
# their ratios mean something on a shared, noisy host):
#   - the empty libmilter filter (tests/bench/nullfilter.c): the protocol's floor,
#     twice: answering every step (null), and answering only MAIL and end of
#     message as repguard negotiates it (null-nr, nullfilter -n);
#   - OpenDKIM (Debian's /usr/sbin/opendkim), same keys, relaxed/relaxed;
#   - repguard, configured with the simple DKIM form (Domain/Selector/KeyFile);
# with 3 KB and 100 KB messages, RSA-2048 and Ed25519 keys, 1, 4 and 16
# concurrent connections, each point BENCH_DURATION seconds of tests/bench/mload
# (after 0.5 s of unrecorded warm-up on the same connections), BENCH_REPEAT times
# in interleaved rounds; the table shows the median run of each point.  Each
# round also measures libopendkim in process (tests/bench/inproc.c): the bound a
# libopendkim signer can reach per core (the key handed over as PEM text, as
# opendkim does; and decoded once and handed over, as repguard does), and the
# share of the key decode.
#
# Before any number is taken, every filter signs one message per key through
# mload -o and python3-dkim verifies it against the public key (and must refuse
# a tampered copy).  A filter that does not sign, or whose signature does not
# verify, is left out with a note: its numbers would mean nothing.  This is how
# repguard's column stays empty until it signs.
#
# Environment (defaults in brackets):
#   REPGUARD     repguard binary [$TOP/build/plain/repguard, else $TOP/repguard]
#   OPENDKIM     [/usr/sbin/opendkim]
#   MLOAD NULLFILTER INPROC   prebuilt tools [built here with gcc]
#   PYTHON       an interpreter with python3-dkim [/usr/bin/python3]
#   BENCH_DURATION [4]  BENCH_REPEAT [3]  BENCH_CONC ["1 4 16"]
#   BENCH_SIZES ["3k 100k"]  BENCH_ALGS ["rsa ed25519"]
#   BENCH_FILTERS ["null null-nr opendkim repguard"]  BENCH_NCPU [nproc]
#   BENCH_OUT    directory for results.jsonl, summary.txt and logs [a new
#                /tmp/repguard-bench.XXXXXX, kept]
#
# Output: the summary (tables, ratios, targets, key-decode share) on stdout and
# in $BENCH_OUT/summary.txt; every measurement as one JSON line in
# $BENCH_OUT/results.jsonl; the filters' stderr in $BENCH_OUT/logs/.
# Exit status: 0 when the run completed (targets missed are reported, not
# failed), 1 when the benchmark itself could not run.
#
# Processes: every filter this script starts is stopped by its pid (TERM, then
# KILL after 10 s), also on interruption.  Nothing else is touched.

set -u
umask 077

TOP=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$TOP/tests/bench
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
if [ -z "${REPGUARD:-}" ]; then
	REPGUARD=$TOP/build/plain/repguard
	[ -x "$REPGUARD" ] || REPGUARD=$TOP/repguard
fi
PYTHON=${PYTHON:-/usr/bin/python3}
DURATION=${BENCH_DURATION:-4}
REPEAT=${BENCH_REPEAT:-3}
CONCS=${BENCH_CONC:-"1 4 16"}
SIZES=${BENCH_SIZES:-"3k 100k"}
ALGS=${BENCH_ALGS:-"rsa ed25519"}
FILTERS=${BENCH_FILTERS:-"null null-nr opendkim repguard"}
NCPU=${BENCH_NCPU:-$(nproc)}
CLIENT_IP=10.1.2.3
INTERNAL=10.0.0.0/8
DOMAIN=example.com
WARMUP=0.5

W=${BENCH_OUT:-$(mktemp -d /tmp/repguard-bench.XXXXXX)} || exit 1
mkdir -p "$W/bin" "$W/keys" "$W/sock" "$W/logs" "$W/conf" "$W/msg" || exit 1
chmod 0711 "$W" "$W/sock"
RESULTS=$W/results.jsonl
NOTES=$W/notes.txt
: >"$RESULTS"
: >"$NOTES"

FPID=""		# the filter running now
FSOCK=""

say() { printf '%s\n' "$*" >&2; }
note() { printf '%s\n' "$*" >>"$NOTES"; say "note: $*"; }
die() { say "run.sh: $*"; exit 1; }

stop_filter() {
	[ -n "$FPID" ] || return 0
	kill -TERM "$FPID" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$FPID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$FPID" 2>/dev/null && kill -KILL "$FPID" 2>/dev/null
	wait "$FPID" 2>/dev/null
	FPID=""
	[ -n "$FSOCK" ] && rm -f "$FSOCK"
	FSOCK=""
}
trap 'stop_filter' EXIT
trap 'exit 130' INT TERM

# ---- tools ------------------------------------------------------------------
build() {	# build NAME EXTRA-FLAGS...: into $W/bin unless given
	_name=$1; shift
	gcc -O2 -Wall -Wextra -Wshadow -pthread "$HERE/$_name.c" -o "$W/bin/$_name" "$@" \
		2>"$W/logs/build-$_name.log" || return 1
	printf '%s' "$W/bin/$_name"
}
[ -n "${MLOAD:-}" ] || MLOAD=$(build mload "$HERE/mload_msg.c" "$HERE/mload_wire.c") ||
	die "cannot build mload (see $W/logs/build-mload.log)"
[ -n "${NULLFILTER:-}" ] || NULLFILTER=$(build nullfilter $(pkg-config --cflags --libs milter)) ||
	die "cannot build nullfilter: libmilter-dev missing? ($W/logs/build-nullfilter.log)"
[ -n "${INPROC:-}" ] || INPROC=$(build inproc -I"$TOP/filter" "$TOP/filter/dkim/keyreuse.c" \
	"$TOP/filter/dkim/dkimmem.c" $(pkg-config --cflags --libs opendkim libcrypto)) ||
	{ note "inproc not built (libopendkim-dev missing?): no in-process bound"; INPROC=""; }
"$PYTHON" -c 'import dkim' 2>/dev/null || die "$PYTHON lacks python3-dkim: signatures cannot be checked"
# Pin this run to one repguard binary: a rebuild meanwhile must not mix versions.
REPGUARD_FROM=$REPGUARD
if [ -x "$REPGUARD" ] && cp "$REPGUARD" "$W/bin/repguard"; then
	REPGUARD=$W/bin/repguard
	REPGUARD_FROM="$REPGUARD_FROM ($("$REPGUARD" -V 2>&1 | head -1), sha256 $(sha256sum "$REPGUARD" | cut -c1-12))"
fi

# ---- keys, DNS records, messages --------------------------------------------
selector() { case $1 in rsa) echo rsa ;; ed25519) echo ed ;; esac; }
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/keys/rsa.private" 2>/dev/null ||
	die "openssl cannot make an RSA key"
openssl genpkey -algorithm ed25519 -out "$W/keys/ed25519.private" 2>/dev/null ||
	die "openssl cannot make an Ed25519 key"
printf 'v=DKIM1; k=rsa; p=%s' \
	"$(openssl pkey -in "$W/keys/rsa.private" -pubout -outform DER | base64 -w0)" >"$W/keys/rsa.txt"
# Ed25519's p= is the raw 32-octet key: the tail of its SubjectPublicKeyInfo.
printf 'v=DKIM1; k=ed25519; p=%s' \
	"$(openssl pkey -in "$W/keys/ed25519.private" -pubout -outform DER | tail -c 32 | base64 -w0)" \
	>"$W/keys/ed25519.txt"

"$PYTHON" - "$W/msg" "$DOMAIN" <<'EOF' || die "cannot write the test messages"
import random, sys
out, domain = sys.argv[1], sys.argv[2]
words = ("the quick brown fox jumps over a lazy dog while mail relays sign "
         "every outbound message for the reputation of the sending domain").split()
for name, size in (("3k", 3 * 1024), ("100k", 100 * 1024)):
    head = ("Received: from client.example (client.example [10.1.2.3])\r\n"
            "\tby mta.example (Postfix) with ESMTPSA id 4XyZ12\r\n"
            "\tfor <rcpt@example.net>; Fri, 28 Nov 2025 04:00:00 +0000\r\n"
            "From: Bench Sender <bench@%s>\r\n"
            "To: Recipient <rcpt@example.net>\r\n"
            "Subject: repguard benchmark, %s message\r\n"
            "Date: Fri, 28 Nov 2025 04:00:00 +0000\r\n"
            "Message-ID: <bench.%s@%s>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 7bit\r\n\r\n") % (domain, name, name, domain)
    rnd, body = random.Random(size), []
    total = len(head)
    while total < size:
        line = " ".join(rnd.choice(words) for _ in range(14))[:76] + "\r\n"
        body.append(line)
        total += len(line)
    open("%s/%s.eml" % (out, name), "wb").write((head + "".join(body)).encode())
EOF

# ---- filters ------------------------------------------------------------------
write_conf() {	# write_conf FILTER ALG: prints the config path
	_f=$1 _a=$2 _sel=$(selector "$2")
	case $_f in
	opendkim)
		cat >"$W/conf/opendkim-$_a.conf" <<EOF
# opendkim for repguard's benchmark (tests/bench/run.sh)
Mode			s
Domain			$DOMAIN
Selector		$_sel
KeyFile			$W/keys/$_a.private
Canonicalization	relaxed/relaxed
SignatureAlgorithm	$([ "$_a" = rsa ] && echo rsa-sha256 || echo ed25519-sha256)
InternalHosts		csl:$INTERNAL
Socket			local:$W/sock/opendkim.sock
UMask			000
PidFile			$W/sock/opendkim.pid
# keys live under /tmp, which opendkim's safe-key check refuses
RequireSafeKeys		no
Syslog			no
SyslogSuccess		no
LogWhy			no
SoftwareHeader		no
AutoRestart		no
Background		no
EOF
		printf '%s' "$W/conf/opendkim-$_a.conf" ;;
	repguard)
		mkdir -p "$W/rgdb-$_a"
		cat >"$W/conf/repguard-$_a.conf" <<EOF
# repguard for its benchmark (tests/bench/run.sh)
Socket			unix:$W/sock/repguard.sock
UMask			000
DatabasePath		$W/rgdb-$_a
DatabaseMaxSize		256M
InternalHosts		$INTERNAL
Syslog			no
Domain			$DOMAIN
Selector		$_sel
KeyFile			$W/keys/$_a.private
Canonicalization	relaxed/relaxed
EOF
		printf '%s' "$W/conf/repguard-$_a.conf" ;;
	esac
}

sock_ready() {	# a unix socket that accepts a connection
	"$PYTHON" - "$1" <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(1)
s.connect(sys.argv[1])
s.close()
EOF
}

start_filter() {	# start_filter FILTER ALG: sets FPID, FSOCK; status 1 if it fails
	_f=$1 _a=$2 _log=$W/logs/$1-$2.log
	case $_f in
	null|null-nr)
		FSOCK=$W/sock/null.sock
		rm -f "$FSOCK"
		if [ "$_f" = null ]; then
			"$NULLFILTER" "unix:$FSOCK" >"$_log" 2>&1 &
		else
			"$NULLFILTER" -n "unix:$FSOCK" >"$_log" 2>&1 &
		fi
		FPID=$! ;;
	opendkim)
		FSOCK=$W/sock/opendkim.sock
		rm -f "$FSOCK"
		"$OPENDKIM" -f -x "$(write_conf opendkim "$_a")" >"$_log" 2>&1 &
		FPID=$! ;;
	repguard)
		FSOCK=$W/sock/repguard.sock
		rm -f "$FSOCK"
		"$REPGUARD" -f -c "$W/conf/repguard-$_a.conf" >"$_log" 2>&1 &
		FPID=$! ;;
	esac
	for _ in $(seq 100); do
		kill -0 "$FPID" 2>/dev/null || { wait "$FPID" 2>/dev/null; FPID=""; return 1; }
		[ -S "$FSOCK" ] && sock_ready "$FSOCK" && return 0
		sleep 0.1
	done
	stop_filter
	return 1
}

cpu_ticks() {	# utime + stime of a process, in clock ticks
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
HZ=$(getconf CLK_TCK)

# ---- verification: does each filter really sign? -----------------------------
verify_sig() {	# verify_sig FILE ALG: python3-dkim against our key; tampered must fail
	"$PYTHON" - "$1" "$2" "$(selector "$2")" "$DOMAIN" "$W/keys/$2.txt" <<'EOF'
import re, sys, dkim
path, alg, sel, domain, rec = sys.argv[1:6]
msg = open(path, "rb").read()
txt = open(rec, "rb").read().strip()
want = ("%s._domainkey.%s" % (sel, domain)).encode()
def dns(name, timeout=5):
    return txt if name.rstrip(b".") == want else None
sigs = re.findall(rb"^DKIM-Signature:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", msg, re.M | re.I)
if len(sigs) != 1:
    sys.exit("%d DKIM-Signature headers" % len(sigs))
tags = dict((k.strip(), v.strip()) for k, v in
            (t.split(b"=", 1) for t in re.sub(rb"\s+", b"", sigs[0]).split(b";") if b"=" in t))
want_a = b"rsa-sha256" if alg == "rsa" else b"ed25519-sha256"
for k, v in ((b"a", want_a), (b"c", b"relaxed/relaxed"), (b"d", domain.encode()), (b"s", sel.encode())):
    if tags.get(k) != v:
        sys.exit("%s=%r, want %r" % (k.decode(), tags.get(k), v))
if not dkim.verify(msg, dnsfunc=dns):
    sys.exit("python3-dkim: signature does not verify")
bad = msg.replace(b"quick", b"QUICK", 1)
if bad == msg or dkim.verify(bad, dnsfunc=dns):
    sys.exit("python3-dkim accepts a tampered copy: the check proves nothing")
EOF
}

SIGNERS=""	# "opendkim:rsa repguard:ed25519 ..." verified pairs
check_signer() {	# check_signer FILTER ALG
	_f=$1 _a=$2 _out=$W/logs/signed-$1-$2.eml
	if [ "$_f" = repguard ]; then
		[ -x "$REPGUARD" ] || { note "repguard: no binary at $REPGUARD"; return 1; }
		write_conf repguard "$_a" >/dev/null
		if ! "$REPGUARD" -n -c "$W/conf/repguard-$_a.conf" >"$W/logs/repguard-n-$_a.log" 2>&1; then
			note "repguard ($_a): configuration refused: $(head -1 "$W/logs/repguard-n-$_a.log")"
			return 1
		fi
	fi
	start_filter "$_f" "$_a" || { note "$_f ($_a): does not start (see $W/logs/$_f-$_a.log)"; return 1; }
	if ! "$MLOAD" -s "$FSOCK" -m "$W/msg/3k.eml" -n 1 -i "$CLIENT_IP" -T 30 \
		-o "$_out" -H DKIM-Signature >"$W/logs/verify-$_f-$_a.log" 2>&1; then
		note "$_f ($_a): mload could not send a message: $(tail -1 "$W/logs/verify-$_f-$_a.log")"
		stop_filter; return 1
	fi
	if ! grep -q '"failed":0\|0 failed' "$W/logs/verify-$_f-$_a.log"; then
		note "$_f ($_a): does not sign: $(grep -m1 'mload: connection' "$W/logs/verify-$_f-$_a.log")"
		stop_filter; return 1
	fi
	if ! _why=$(verify_sig "$_out" "$_a" 2>&1); then
		note "$_f ($_a): signature rejected: $_why"
		stop_filter; return 1
	fi
	stop_filter
	SIGNERS="$SIGNERS $_f:$_a"
	say "verified: $_f signs with $_a (python3-dkim)"
}

say "bench: output in $W"
for f in $FILTERS; do
	case $f in
	null|null-nr) start_filter "$f" - || die "nullfilter ($f) does not start"
		"$MLOAD" -s "$FSOCK" -m "$W/msg/3k.eml" -n 1 -i "$CLIENT_IP" >/dev/null ||
			die "mload cannot talk to nullfilter ($f)"
		stop_filter ;;
	opendkim|repguard)
		for a in $ALGS; do check_signer "$f" "$a"; done ;;
	esac
done

# ---- measurement --------------------------------------------------------------
point() {	# point FILTER ALG SIZE CONC ROUND
	_c0=$(cpu_ticks "$FPID")
	_hdr=""
	case $1 in null*) ;; *) _hdr="-H DKIM-Signature" ;; esac
	_j=$("$MLOAD" -s "$FSOCK" -m "$W/msg/$3.eml" -c "$4" -t "$DURATION" -w "$WARMUP" \
		-i "$CLIENT_IP" -T 30 $_hdr -j 2>>"$W/logs/mload.log")
	_c1=$(cpu_ticks "$FPID")
	[ -n "$_j" ] || { note "$1 $2 $3 c=$4: mload produced nothing"; return; }
	_fcpu=$(awk -v a="$_c0" -v b="$_c1" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz }')
	printf '{"kind":"milter","filter":"%s","alg":"%s","size":"%s","round":%d,"filter_cpu_s":%s,%s\n' \
		"$1" "$2" "$3" "$5" "$_fcpu" "${_j#\{}" >>"$RESULTS"
	say "  $(printf '%-8s %-7s %-4s c=%-2s' "$1" "$2" "$3" "$4") $(printf '%s' "$_j" |
		sed 's/.*"msgs_per_s":\([0-9.]*\).*"p99_ms":\([0-9.]*\).*"cpu_share":\([0-9.]*\).*"errors":\(.*\)}$/\1 msgs\/s  p99 \2 ms  gen \3 cores  errors \4/')"
}

measure_filter() {	# measure_filter FILTER ALG ROUND
	if ! start_filter "$1" "$2"; then
		note "$1 ($2) round $3: does not start"; return
	fi
	"$MLOAD" -s "$FSOCK" -m "$W/msg/3k.eml" -c 4 -t 1 -i "$CLIENT_IP" >/dev/null 2>&1
	for s in $SIZES; do
		for c in $CONCS; do point "$1" "$2" "$s" "$c" "$3"; done
	done
	stop_filter
}

measure_inproc() {	# measure_inproc ROUND: per key and size: 1 thread, NCPU,
			# NCPU with -L; and 1 thread with the key handed over (-R)
	[ -n "$INPROC" ] || return
	_runs="1: 1:-R"
	[ "$NCPU" -gt 1 ] && _runs="1: 1:-R $NCPU: $NCPU:-L"
	for a in $ALGS; do
		_n=1000
		[ "$a" = ed25519 ] && _n=2000
		_p=1000		# the key-only parts: once per key and round, on one thread
		for s in $SIZES; do
			for run in $_runs; do
				_t=${run%%:*} _l=${run#*:}
				[ "$_t" = 1 ] || _p=0
				_j=$("$INPROC" -k "$W/keys/$a.private" -m "$W/msg/$s.eml" -n "$_n" \
					-T "$_t" $_l -p "$_p" -d "$DOMAIN" -s "$(selector "$a")" -j \
					2>>"$W/logs/inproc.log") ||
					{ note "inproc $a $s failed: $(tail -1 "$W/logs/inproc.log")"; continue; }
				printf '{"kind":"inproc","key":"%s","size":"%s","round":%d,%s\n' \
					"$a" "$s" "$1" "${_j#\{}" >>"$RESULTS"
				_p=0
			done
		done
	done
}

say "bench: openssl speed (for comparing machines)"
openssl speed -seconds 1 rsa2048 ed25519 2>/dev/null |
	awk '/^rsa 2048/ { printf "{\"kind\":\"speed\",\"rsa2048_signs_per_s\":%s,", $6 }
	     /Ed25519/ { printf "\"ed25519_signs_per_s\":%s}\n", $7 }' >>"$RESULTS"
printf '{"kind":"env","ncpu":%d,"duration":%s,"repeat":%d,"loadavg_start":"%s","repguard":"%s","opendkim":"%s"}\n' \
	"$NCPU" "$DURATION" "$REPEAT" "$(cut -d' ' -f1-3 /proc/loadavg)" "$REPGUARD_FROM" \
	"$(dpkg-query -W -f='${Version}' opendkim 2>/dev/null || echo unknown)" >>"$RESULTS"

T0=$(date +%s)
for r in $(seq "$REPEAT"); do
	say "bench: round $r of $REPEAT"
	measure_inproc "$r"
	for f in $FILTERS; do
		case $f in null|null-nr)
			measure_filter "$f" - "$r"
			continue ;;
		esac
		for a in $ALGS; do
			case " $SIGNERS " in *" $f:$a "*) measure_filter "$f" "$a" "$r" ;; esac
		done
	done
done
say "bench: measured in $(( $(date +%s) - T0 )) s"
printf '{"kind":"env_end","loadavg_end":"%s"}\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

# ---- summary --------------------------------------------------------------------
"$PYTHON" - "$RESULTS" "$NOTES" "$NCPU" "$DURATION" "$REPEAT" <<'EOF' | tee "$W/summary.txt"
import json, sys
results, notes, ncpu, duration, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = [json.loads(l) for l in open(results) if l.strip()]
ALG = {"rsa": "RSA-2048 (rsa-sha256)", "ed25519": "Ed25519 (ed25519-sha256)"}
SIZE = {"3k": "3 KB", "100k": "100 KB"}
NAME = {"null": "nullfilter", "null-nr": "nullfilter -n", "opendkim": "opendkim",
        "repguard": "repguard"}
FILTERS = ("null", "null-nr", "opendkim", "repguard")

def median_run(runs, key):
    runs = sorted(runs, key=lambda r: r[key])
    return runs[(len(runs) - 1) // 2] if runs else None

def med(vals):
    vals = sorted(vals)
    return vals[(len(vals) - 1) // 2] if vals else None

mil = {}
for r in rows:
    if r.get("kind") == "milter":
        mil.setdefault((r["filter"], r["alg"], r["size"], r["concurrency"]), []).append(r)
inp = {}
for r in rows:
    if r.get("kind") == "inproc":
        t = "%d%s%s" % (r["threads"], "L" if r.get("own_libctx") else "",
                        "R" if r.get("reuse") else "")
        inp.setdefault((r["key"], r["size"], t), []).append(r)
speed = next((r for r in rows if r.get("kind") == "speed"), {})
env = next((r for r in rows if r.get("kind") == "env"), {})
env_end = next((r for r in rows if r.get("kind") == "env_end"), {})

def point(f, a, s, c):
    fa = "-" if f.startswith("null") else a
    r = median_run(mil.get((f, fa, s, c), []), "msgs_per_s")
    if r is None:
        return None
    r = dict(r)
    done = r["ok"] + r.get("warmup_ok", 0)
    r["cpu_us"] = r["filter_cpu_s"] * 1e6 / done if done else 0
    r["fails"] = sum(x["failed"] for x in mil[(f, fa, s, c)])
    return r

def bound(a, s, how="1"):	# libopendkim in process, one thread: signatures per core-second
    runs = inp.get((a, s, how), [])
    return med([x["sigs_per_core_s"] for x in runs]), runs

out = []
P = out.append
P("repguard signing benchmark: %d CPUs, %s s per point, median of %s runs" % (ncpu, duration, repeat))
if speed:
    P("openssl speed here: RSA-2048 %s signs/s, Ed25519 %s signs/s per core"
      % (speed.get("rsa2048_signs_per_s"), speed.get("ed25519_signs_per_s")))
P("load average at start %s, at end %s (a shared machine: compare ratios, not absolutes)"
  % (env.get("loadavg_start", "?"), env_end.get("loadavg_end", "?")))
P("opendkim %s; repguard %s" % (env.get("opendkim", "?"), env.get("repguard", "?")))
P("")
P("cpu us/msg: the filter's own CPU (utime+stime from /proc) per message; gen cores: the")
P("load generator's CPU share; bound: libopendkim in process, per core, x (%d - gen cores):" % ncpu)
P("as opendkim uses it (the PEM text decoded for every signature), and with the key decoded")
P("once and handed over as repguard does; floor added: that bound with the CPU per message of")
P("the empty filter that negotiates like the filter (nullfilter for opendkim, -n for repguard).")
concs = sorted({k[3] for k in mil})
sizes = [s for s in ("3k", "100k") if any(k[2] == s for k in mil)]
algs = [a for a in ("rsa", "ed25519") if any(k[1] == a for k in mil) or any(k[0] == a for k in inp)]
summary = {}
for a in algs:
    for s in sizes:
        bnd, _ = bound(a, s)
        bnd_r, _ = bound(a, s, "1R")
        any_r = next((point(f, a, s, c) for f in FILTERS for c in concs
                      if point(f, a, s, c)), None)
        P("")
        P("== %s, %s message (%s octets) ==" % (ALG[a], SIZE[s], any_r["message_bytes"] if any_r else "?"))
        P("%5s  %-13s %9s %8s %8s %11s %9s %6s" % ("conc", "filter", "msgs/s", "p50 ms", "p99 ms",
                                                   "cpu us/msg", "gen cores", "fails"))
        for c in concs:
            pts = {}
            for f in FILTERS:
                r = point(f, a, s, c)
                pts[f] = r
                if r is None:
                    P("%5d  %-13s %9s" % (c, NAME[f], "-"))
                else:
                    P("%5d  %-13s %9.1f %8.2f %8.2f %11.0f %9.2f %6d" % (
                        c, NAME[f], r["msgs_per_s"], r["p50_ms"], r["p99_ms"], r["cpu_us"],
                        r["cpu_share"], r["fails"]))
            od, rg = pts["opendkim"], pts["repguard"]
            if od and rg:
                P("       repguard/opendkim %.2f" % (rg["msgs_per_s"] / od["msgs_per_s"]))
            def ratios(b, who):	# b: sigs/s/core; who: [(filter, row, floor row)]
                plain, floored = [], []
                for f, r, fl in who:
                    if not r or not b:
                        continue
                    left = ncpu - r["cpu_share"]
                    plain.append("%s %.2f of %.0f/s" % (f, r["msgs_per_s"] / (b * left), b * left))
                    if fl:
                        lim = 1e6 / (1e6 / b + fl["cpu_us"]) * left
                        floored.append("%s %.2f of %.0f/s (%.0f + %.0f us)" % (
                            f, r["msgs_per_s"] / lim, lim, 1e6 / b, fl["cpu_us"]))
                return ", ".join(plain), ", ".join(floored)
            b1, f1 = ratios(bnd, (("opendkim", od, pts["null"]), ("repguard", rg, pts["null-nr"])))
            if b1:
                P("       bound, as opendkim uses libopendkim (%.0f/s/core x cores left): %s" % (bnd, b1))
            if f1:
                P("         floor added: %s" % f1)
            b2, f2 = ratios(bnd_r, (("repguard", rg, pts["null-nr"]),))
            if b2:
                P("       bound, key handed over (%.0f/s/core x cores left): %s" % (bnd_r, b2))
            if f2:
                P("         floor added: %s" % f2)
            summary[(a, s, c)] = (od, rg, bnd, bnd_r, pts["null-nr"])

P("")
P("== libopendkim in process (inproc.c; median of %s rounds) ==" % repeat)
P("%-8s %-5s %-22s %10s %11s %11s" % ("alg", "size", "threads", "CPU us/sig", "sigs/s/core",
                                       "sigs/s wall"))
for a in algs:
    for s in sizes:
        for t in sorted({k[2] for k in inp if k[0] == a and k[1] == s}, key=str):
            runs = inp[(a, s, t)]
            m = lambda k: med([x[k] for x in runs])
            n = str(t).rstrip("LR")
            label = n + (", own OpenSSL ctx" if "L" in str(t) else "") + \
                (", key handed over" if "R" in str(t) else "")
            P("%-8s %-5s %-22s %10.0f %11.0f %11.0f" % (
                a, s, label, m("cpu_us_per_sig"), m("sigs_per_core_s"), m("sigs_per_s")))
P("  CPU us/sig: process CPU per signature (dkim_sign .. dkim_getsighdr_d, dkim_free), the key")
P("  given as PEM text as opendkim does (\"key handed over\": decoded once and handed to")
P("  libopendkim as repguard does); sigs/s/core = 1e6 / CPU us/sig.  \"own OpenSSL ctx\":")
P("  each thread has its own OSSL_LIB_CTX as default (OSSL_LIB_CTX_set0_default); without it")
P("  OpenSSL 3.0's key decoder contends across threads.")
P("")
P("== targets: 3 KB message, concurrency 4, same run ==")
def verdict(v, goal):
    return "n/a" if v is None else ("met" if v >= goal else "MISSED")
NONE = (None, None, None, None, None)
for a, goal in (("rsa", 1.25), ("ed25519", 2.0)):
    od, rg, bnd, bnd_r, nr = summary.get((a, "3k", 4), NONE)
    v = rg["msgs_per_s"] / od["msgs_per_s"] if od and rg else None
    P("  %-8s repguard/opendkim       %s  (target >= %.2f)  %s" % (
        a, "%.2f" % v if v is not None else "-   ", goal, verdict(v, goal)))
for a in ("rsa", "ed25519"):
    od, rg, bnd, bnd_r, nr = summary.get((a, "3k", 4), NONE)
    v = rg["msgs_per_s"] / (bnd * (ncpu - rg["cpu_share"])) if rg and bnd else None
    P("  %-8s repguard/bound          %s  (target >= 0.85)  %s" % (
        a, "%.2f" % v if v is not None else "-   ", verdict(v, 0.85)))
P("  (bound: libopendkim in process as opendkim uses it, x cores left.  Not targets, for")
P("  the record: against the bound with the key handed over, and with the protocol's floor)")
for a in ("rsa", "ed25519"):
    od, rg, bnd, bnd_r, nr = summary.get((a, "3k", 4), NONE)
    if not (rg and bnd_r):
        continue
    left = ncpu - rg["cpu_share"]
    line = "  %-8s repguard/handed-over bound %.2f" % (a, rg["msgs_per_s"] / (bnd_r * left))
    if nr:
        line += "; with nullfilter -n's %.0f us/msg added %.2f" % (
            nr["cpu_us"], rg["msgs_per_s"] / (1e6 / (1e6 / bnd_r + nr["cpu_us"]) * left))
    P(line)

P("")
P("== the key decode: libopendkim decodes the private key for every message ==")
def parts(a):
    runs = [x for k, v in inp.items() if k[0] == a for x in v if "pem_decode_us" in x]
    if not runs:
        return None
    return dict((k, med([x[k] for x in runs])) for k in
                ("pem_decode_us", "der_decode_us", "sign_cached_us", "sign_fresh_us"))
for a in algs:
    pa = parts(a)
    if pa is None:
        continue
    P("  %-8s PEM decode %.0f us (DER %.0f us); raw signature %.0f us with a key decoded once, "
      "%.0f us with a fresh key (decode and first-use set-up included)" % (
          a, pa["pem_decode_us"], pa["der_decode_us"], pa["sign_cached_us"], pa["sign_fresh_us"]))
    fresh = pa["sign_fresh_us"] - pa["sign_cached_us"]
    for s in sizes:
        sig = med([x["cpu_us_per_sig"] for x in inp.get((a, s, "1"), [])])
        sig_r = med([x["cpu_us_per_sig"] for x in inp.get((a, s, "1R"), [])])
        if sig is None:
            continue
        line = "  %-8s %-5s share of libopendkim's %.0f us/signature: decode %.0f%%, decode + set-up %.0f%%" % (
            a, s, sig, 100 * pa["pem_decode_us"] / sig, 100 * fresh / sig)
        od = point("opendkim", a, s, 4)
        if od and od["cpu_us"]:
            line += "; of opendkim's %.0f us CPU/message (c=4): %.0f%%, %.0f%%" % (
                od["cpu_us"], 100 * pa["pem_decode_us"] / od["cpu_us"], 100 * fresh / od["cpu_us"])
        P(line)
        if sig_r:
            P("  %-8s %-5s with the key decoded once and handed over (repguard): %.0f us/signature, "
              "%.1fx less" % (a, s, sig_r, sig / sig_r))

n = [l.rstrip("\n") for l in open(notes) if l.strip()]
if n:
    P("")
    P("== notes ==")
    for l in n:
        P("  " + l)
print("\n".join(out))
EOF
say "bench: results in $RESULTS, summary in $W/summary.txt"
