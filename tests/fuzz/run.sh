#!/bin/bash
# run.sh - fuzz one target with libFuzzer for real.
#
#   tests/fuzz/run.sh TARGET SECONDS [LIBFUZZER-OPTION...]
#   tests/fuzz/run.sh -m TARGET       merge what was found into the
#                                     committed corpus (minimised)
#   tests/fuzz/run.sh -l              list the targets
#
# Installs clang and its sanitizer runtimes if missing (apt-get, as root),
# configures a clang build in build/fuzz (AddressSanitizer,
# UndefinedBehaviorSanitizer, libFuzzer's coverage), builds
# tests/fuzz/fuzz_TARGET there and runs it for SECONDS on a working copy of
# the corpus (build/fuzz/corpus/TARGET: the committed inputs of
# tests/fuzz/corpus/TARGET plus what the run adds).  A crash or a failed
# check leaves its input in build/fuzz/crash-TARGET-* and exits 1; replay
# it with build/fuzz/tests/fuzz/fuzz_TARGET FILE, or with a plain build's
# tests/fuzz/replay_TARGET -v FILE.  The last line is
#   TARGET: N executions in S s (R/s), C crashes, corpus K inputs
#
# Environment: FUZZ_JOBS=N runs N fuzzing processes side by side (-fork);
# FUZZ_BUILD=DIR builds in DIR instead of build/fuzz.
set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd) || exit 2
B=${FUZZ_BUILD:-$ROOT/build/fuzz}
FZ=$ROOT/tests/fuzz
PKGS=(clang libclang-rt-14-dev)

usage() {
	echo "usage: $0 TARGET SECONDS [OPTION...] | -m TARGET | -l" >&2
	exit 2
}

targets() {
	local f
	for f in "$FZ"/fuzz_*.c; do
		f=${f##*/fuzz_}
		echo "${f%.c}"
	done
}

prepare() {	# install, configure and build fuzz_$1 in build/fuzz
	local t=$1 missing=() p log
	. "$ROOT/contrib/packages.sh"
	for p in "${PACKAGES[@]}" "${PKGS[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "==> apt-get install ${missing[*]}"
		[ "$(id -u)" -eq 0 ] || { echo "run as root to install them" >&2; exit 2; }
		log=$(mktemp) || exit 2
		pkg_install "$log" "${missing[@]}" ||
			{ tail -n 20 "$log"; rm -f "$log"; exit 2; }
		rm -f "$log"
	fi
	if [ ! -x "$ROOT/configure" ]; then
		(cd "$ROOT" && autoreconf -fi) >/dev/null || exit 2
	fi
	mkdir -p "$B" || exit 2
	if [ ! -f "$B/Makefile" ]; then
		echo "==> configure a clang build in build/fuzz"
		(cd "$B" && "$ROOT/configure" CC=clang \
		    CFLAGS='-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all' \
		    LDFLAGS='-fsanitize=address,undefined') >"$B/configure.log" 2>&1 ||
			{ tail -n 20 "$B/configure.log"; exit 2; }
	fi
	make -C "$B" -j2 "tests/fuzz/fuzz_$t" >"$B/make-$t.log" 2>&1 ||
		{ grep -E 'error|undefined' "$B/make-$t.log" | head -n 20; exit 2; }
}

[ $# -ge 1 ] || usage
case $1 in
-l)	targets; exit 0 ;;
-m)	[ $# -eq 2 ] || usage
	t=$2
	prepare "$t"
	[ -d "$B/corpus/$t" ] || { echo "nothing found yet for $t" >&2; exit 2; }
	new=$(mktemp -d "$FZ/corpus/.merge-$t.XXXXXX") || exit 2
	TOP_SRCDIR=$ROOT "$B/tests/fuzz/fuzz_$t" -merge=1 "$new" \
	    "$FZ/corpus/$t" "$B/corpus/$t" >"$B/merge-$t.log" 2>&1 ||
		{ tail -n 20 "$B/merge-$t.log"; rm -rf "$new"; exit 1; }
	rm -rf "$FZ/corpus/$t"
	mv "$new" "$FZ/corpus/$t"
	echo "$t: corpus minimised to $(find "$FZ/corpus/$t" -type f | wc -l) inputs"
	exit 0 ;;
esac
[ $# -ge 2 ] || usage
t=$1
secs=$2
shift 2
[ -f "$FZ/fuzz_$t.c" ] || { echo "no target $t (tests/fuzz/run.sh -l)" >&2; exit 2; }
case $secs in ''|*[!0-9]*) usage ;; esac
prepare "$t"

work=$B/corpus/$t
mkdir -p "$work" || exit 2
log=$B/fuzz-$t.log
fork=()
[ "${FUZZ_JOBS:-1}" -gt 1 ] && fork=(-fork="$FUZZ_JOBS" -ignore_crashes=0)
start=$(date +%s)
echo "==> fuzz_$t for $secs s (log: ${log#"$ROOT"/})"
TOP_SRCDIR=$ROOT ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    "$B/tests/fuzz/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
    -artifact_prefix="$B/crash-$t-" -timeout=10 -rss_limit_mb=2048 \
    "${fork[@]}" "$@" "$work" "$FZ/corpus/$t" >"$log" 2>&1
rc=$?
elapsed=$(( $(date +%s) - start ))
execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" |
    awk '{ s += $2 } END { print s + 0 }')
if [ "$execs" -eq 0 ]; then	# -fork prints its total on its last status line
	execs=$(grep -Eo '#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	execs=${execs:-0}
fi
crashes=$(find "$B" -maxdepth 1 -name "crash-$t-*" -newer "$B/make-$t.log" | wc -l)
inputs=$(find "$work" -type f | wc -l)
if [ "$rc" -ne 0 ]; then
	grep -E 'ERROR|fuzz check failed|SUMMARY|Test unit written' "$log" | head -n 10
fi
echo "$t: $execs executions in $elapsed s ($(( execs / (elapsed > 0 ? elapsed : 1) ))/s), $crashes crashes, corpus $inputs inputs"
[ "$rc" -eq 0 ] && [ "$crashes" -eq 0 ]
