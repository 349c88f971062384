#!/bin/bash
# t_replay.sh - replay every fuzz target's committed corpus (make check).
#
# For each tests/fuzz/fuzz_NAME.c: its replay program must be built, its
# corpus tests/fuzz/corpus/NAME must hold inputs, and the program must run
# all of them without a crash or a failed check.  A target without a
# corpus, or a corpus without a target, fails.  A failure is rerun with -v
# so that the log names the input to blame.
set -u
. "$TOP_SRCDIR/tests/lib/common.sh"

fz=$TOP_SRCDIR/tests/fuzz
names=()
for src in "$fz"/fuzz_*.c; do
	n=${src##*/fuzz_}
	names+=("${n%.c}")
done
orphans=
for d in "$fz"/corpus/*/; do
	d=${d%/}
	[ -f "$fz/fuzz_${d##*/}.c" ] || orphans="$orphans ${d##*/}"
done
if [ -z "$orphans" ]; then t_pass "every corpus has its target"
else t_fail "every corpus has its target" "no target for:$orphans"; fi

for n in "${names[@]}"; do
	prog=$TOP_BUILDDIR/tests/fuzz/replay_$n
	corpus=$fz/corpus/$n
	if [ ! -x "$prog" ]; then
		t_fail "$n: replay program built" "add it to tests/fuzz/fuzz.am"
		continue
	fi
	count=$(find "$corpus" -maxdepth 1 -type f 2>/dev/null | wc -l)
	if [ "$count" -eq 0 ]; then
		t_fail "$n: corpus tests/fuzz/corpus/$n holds inputs"
		continue
	fi
	out=$("$prog" "$corpus" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		"$prog" -v "$corpus" 2>&1 | tail -n 30 | sed 's/^/# /'
	fi
	t_ok "$rc" "$n: $count inputs replayed without a crash ($(echo "$out" | tail -n 1))"
done
t_done
