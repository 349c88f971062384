#!/bin/bash
# test.sh - build repguard twice and run its whole test suite.
#
# Meant for a fresh Debian 12 machine, run as root (the end-to-end tests
# start a private Postfix, which needs root):
#
#   1. installs the Debian packages the build and the tests need, if missing
#      (PACKAGES and TEST_PACKAGES of contrib/packages.sh; apt-get; "apt-get
#      update" once, only when something is missing);
#   2. runs "autoreconf -fi" in the source tree;
#   3. builds out of tree in build/plain (--enable-werror), in
#      build/sanitize (AddressSanitizer and UndefinedBehaviorSanitizer) and
#      in build/thread (ThreadSanitizer);
#   4. runs "make check" in the first two, the threaded tests (TSAN_TESTS)
#      in the third, and "make distcheck" once in build/plain (its check
#      without the end-to-end tests, REPGUARD_SKIP_E2E=1: they ran twice
#      already);
#   5. counts the TAP test points of all builds, shows the log tail of every
#      failing test, and ends with one line "N passed, N failed".
#
# Exit status 0 when nothing failed, else 1.  A failed step (package
# installation, autoreconf, configure, build) counts as one failure.
# Running it again reuses the build directories.
#
# Environment:
#   REPGUARD_CHECK_TIMEOUT  seconds allowed for one "make check" (default 1800)
#                           and for "make distcheck" (twice that)
#   REPGUARD_NO_DISTCHECK=1 skip "make distcheck"

set -u -o pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || exit 1
CHECK_TIMEOUT=${REPGUARD_CHECK_TIMEOUT:-1800}
PASSED=0
FAILED=0
FAILURES=()	# one line per failure, repeated before the final count

# The package list and installer shared with contrib/demo.sh.
. "$ROOT/contrib/packages.sh"

SAN_FLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all'
SAN_CFLAGS="-O1 -g $SAN_FLAGS"
SAN_LDFLAGS=$SAN_FLAGS
# No leak is suppressed: libopendkim's own leaks are reclaimed
# (filter/dkim/dkimmem.c) or avoided (filter/dkim/keyreuse.c).  Full stacks on malloc:
# a leak report is only useful with the frames inside the libraries.
SAN_ENV=(ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)

# ThreadSanitizer: the tests whose threads share the store (libmilter is
# not instrumented, so the daemon's own tests stay with the other builds).
TSAN_FLAGS='-fsanitize=thread -fno-omit-frame-pointer'
TSAN_CFLAGS="-O1 -g $TSAN_FLAGS"
TSAN_ENV=(TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/tsan.supp)
TSAN_TESTS="tests/unit/store/test_concurrency tests/unit/reputation/test_sender tests/unit/store/test_store tests/unit/shaping/test_shape tests/unit/shaping/test_shape_share tests/unit/cluster/test_capply tests/cluster/t_cluster_milter.sh tests/cluster/t_cluster_limits.sh"

# Lines of a build log worth showing before its tail.
ERROR_RE='(error:|Error [0-9]+|undefined reference|No such file|not found|cannot find)'

say() { printf '==> %s\n' "$*"; }

fail() {	# fail "what failed" [LOGFILE]: count one failure, show the log tail
	FAILED=$((FAILED + 1))
	FAILURES+=("$1")
	printf '!!! FAILED: %s\n' "$1"
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		if grep -qE "$ERROR_RE" "$2"; then
			printf -- '--- first errors in %s ---\n' "${2#"$ROOT"/}"
			grep -E "$ERROR_RE" "$2" | head -n 20
		fi
		printf -- '--- last lines of %s ---\n' "${2#"$ROOT"/}"
		tail -n 40 "$2"
		printf -- '--- end of %s ---\n' "${2#"$ROOT"/}"
	fi
}

finish() {
	if [ ${#FAILURES[@]} -gt 0 ]; then
		echo
		say "failures:"
		printf '    %s\n' "${FAILURES[@]}"
	fi
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && exit 0
	exit 1
}

# step LOGFILE CMD...: run CMD with its output in LOGFILE; its exit status.
step() {
	local log=$1
	shift
	"$@" >"$log" 2>&1
}

# --- 1. packages ------------------------------------------------------------
install_packages() {
	local log missing
	mapfile -t missing < <(pkg_missing "${PACKAGES[@]}" "${TEST_PACKAGES[@]}")
	if [ ${#missing[@]} -eq 0 ]; then
		say "all needed Debian packages are installed"
		return 0
	fi
	say "missing Debian packages: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		fail "cannot install ${missing[*]}: run this script as root"
		return 1
	fi
	log=$(mktemp "${TMPDIR:-/tmp}/repguard-apt.XXXXXX") || return 1
	say "apt-get install ${missing[*]}"
	if ! pkg_install "$log" "${missing[@]}"; then
		fail "apt-get install ${missing[*]}" "$log"
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
	return 0
}

# --- 3-5. one build -------------------------------------------------------------
# show_failed_test LABEL NAME LOGFILE: the failing points of one test script,
# with their diagnostics, its driver errors, then the end of its log
# (where a crash or a sanitizer report shows up).
show_failed_test() {
	local label=$1 name=$2 log=$3
	printf -- '--- %s: %s failed (%s) ---\n' "$label" "$name" "${log#"$ROOT"/}"
	awk '
		/^not ok/ { if ($0 !~ /# *TODO/) { print; diag = 1; next } }
		/^(FAIL|XPASS|PASS|SKIP|XFAIL): / { next }
		/^ERROR: / { print; diag = 0; next }
		/^#/ && diag { print; next }
		{ diag = 0 }
	' "$log" 2>/dev/null
	printf -- '--- last lines of %s ---\n' "${log#"$ROOT"/}"
	grep -vE '^(PASS|SKIP|XFAIL): ' "$log" 2>/dev/null | tail -n 25
	printf -- '--- end of %s ---\n' "${log#"$ROOT"/}"
}

# count_results BUILDDIR LABEL: add the TAP points of the last "make check"
# in BUILDDIR to PASSED and FAILED; show the log tail of each failing test.
# Prints nothing and returns 1 if no test result was found.
count_results() {
	local b=$1 label=$2 trs log name np nf ne nx found=1
	local bp=0 bf=0
	while IFS= read -r -d '' trs; do
		found=0
		log=${trs%.trs}.log
		name=${trs#"$b"/}
		name=${name%.trs}
		np=$(grep -cE '^:test-result: (PASS|XPASS)' "$trs")
		nf=$(grep -c '^:test-result: FAIL' "$trs")
		ne=$(grep -c '^:test-result: ERROR' "$trs")
		nx=$(grep -c '^:test-result: XPASS' "$trs")
		# A test script exits with status 1 when one of its points failed;
		# the TAP driver reports that as an ERROR too.  It is the same
		# failure, counted once through its "not ok" line.
		if [ "$nf" -gt 0 ] && [ "$ne" -gt 0 ] &&
		    grep -q '^ERROR: .* - exited with status 1$' "$log" 2>/dev/null; then
			ne=$((ne - 1))
		fi
		bp=$((bp + np))
		bf=$((bf + nf + ne))
		if [ "$nf" -gt 0 ] || [ "$ne" -gt 0 ] || [ "$nx" -gt 0 ]; then
			FAILURES+=("$label: $name ($nf not ok, $ne errors, $nx unexpected passes)")
			show_failed_test "$label" "$name" "$log"
		fi
	done < <(find "$b/tests" -name '*.trs' -print0 2>/dev/null | sort -z)
	PASSED=$((PASSED + bp))
	FAILED=$((FAILED + bf))
	[ "$found" -eq 0 ] || return 1
	say "$label: $bp test points passed, $bf failed"
	return 0
}

# build LABEL DIR CHECK-ENV... -- CONFIGURE-ARGS...
# Returns 0 if the build itself (configure, make, test programs) succeeded.
build() {
	local label=$1 dir=$2
	shift 2
	local checkenv=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		checkenv+=("$1")
		shift
	done
	shift
	local b=$ROOT/$dir logs=$ROOT/$dir/_logs rc
	mkdir -p "$logs" || { fail "$label: cannot create $dir"; return 1; }

	say "$label: configure $*"
	if ! (cd "$b" && step "$logs/configure.log" "$ROOT/configure" "$@"); then
		fail "$label: configure" "$logs/configure.log"
		return 1
	fi
	say "$label: make -j2"
	if ! step "$logs/make.log" make -C "$b" -j2; then
		fail "$label: make" "$logs/make.log"
		return 1
	fi
	# Build the test programs without running anything, so that a
	# compile error in a test is reported as such.
	say "$label: build the tests"
	if ! step "$logs/make-tests.log" make -C "$b" -j2 check TESTS=; then
		fail "$label: building the tests" "$logs/make-tests.log"
		return 1
	fi
	# Results of an earlier run must not be counted again.
	find "$b/tests" \( -name '*.trs' -o -name '*.log' \) -type f \
	    -delete 2>/dev/null
	rm -f "$b/test-suite.log"

	say "$label: make check${CHECK_TESTS:+ TESTS=\"$CHECK_TESTS\"}"
	env "${checkenv[@]}" timeout "$CHECK_TIMEOUT" \
	    make -C "$b" check ${CHECK_TESTS:+TESTS="$CHECK_TESTS"} \
	    >"$logs/check.log" 2>&1
	rc=$?
	if [ -f "$b/test-suite.log" ]; then
		grep -E '^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' \
		    "$b/test-suite.log" | paste -sd ' ' - | sed 's/^/    /'
	fi
	local before=$FAILED
	if ! count_results "$b" "$label"; then
		fail "$label: make check ran no test (exit status $rc)" "$logs/check.log"
	elif [ "$rc" -eq 124 ]; then
		fail "$label: make check timed out after ${CHECK_TIMEOUT}s" "$logs/check.log"
	elif [ "$rc" -ne 0 ] && [ "$FAILED" -eq "$before" ]; then
		fail "$label: make check failed (exit status $rc) without a failing test point" \
		    "$logs/check.log"
	elif [ ! -f "$b/test-suite.log" ]; then
		fail "$label: make check did not complete" "$logs/check.log"
	fi
	return 0
}

distcheck() {
	local b=$ROOT/build/plain logs=$ROOT/build/plain/_logs
	say "plain: make distcheck"
	# the tarball's own check: unit and milter tests (the end-to-end
	# ones ran in both builds above)
	if REPGUARD_SKIP_E2E=1 timeout "$((CHECK_TIMEOUT * 2))" make -C "$b" distcheck \
	    >"$logs/distcheck.log" 2>&1; then
		PASSED=$((PASSED + 1))
		say "plain: make distcheck passed"
	else
		fail "plain: make distcheck" "$logs/distcheck.log"
		distcheck_failures "$b"
	fi
}

# distcheck_failures BUILDDIR: name and show the tests that failed in the
# tree distcheck left behind (it keeps it when its check fails).
distcheck_failures() {
	local sub trs name
	sub=$(find "$1" -maxdepth 3 -type d -path '*/_build/sub' | head -n 1)
	[ -n "$sub" ] || return 0
	while IFS= read -r -d '' trs; do
		grep -qE '^:test-result: (FAIL|ERROR|XPASS)' "$trs" || continue
		name=${trs#"$sub"/}
		name=${name%.trs}
		FAILURES+=("    in distcheck: $name")
		show_failed_test distcheck "$name" "${trs%.trs}.log"
	done < <(find "$sub/tests" -name '*.trs' -print0 2>/dev/null | sort -z)
}

# --- main ---------------------------------------------------------------------
cd "$ROOT" || { fail "cannot enter $ROOT"; finish; }

install_packages || finish
# Sendmail for its end-to-end test, unpacked beside the builds
mkdir -p "$ROOT/build" || { fail "cannot create build/"; finish; }
if pkg_sendmail "$ROOT/build/sendmail-root" "$ROOT/build/sendmail-fetch.log"; then
	export SENDMAIL_ROOT=$ROOT/build/sendmail-root
	say "Sendmail unpacked in build/sendmail-root"
else
	say "note: Sendmail could not be fetched (build/sendmail-fetch.log); its end-to-end test will skip"
fi
if [ "$(id -u)" -ne 0 ]; then
	say "note: not root; tests that need root (a private Postfix) will skip"
fi

say "autoreconf -fi"
mkdir -p "$ROOT/build" || { fail "cannot create build/"; finish; }
if ! step "$ROOT/build/autoreconf.log" autoreconf -fi; then
	fail "autoreconf -fi" "$ROOT/build/autoreconf.log"
	finish
fi
if [ -f "$ROOT/config.status" ]; then
	say "note: the source tree itself is configured; out-of-tree builds need 'make distclean' there first"
fi

plain_ok=0
build plain build/plain -- --enable-werror && plain_ok=1
build sanitize build/sanitize "${SAN_ENV[@]}" -- \
    CFLAGS="$SAN_CFLAGS" LDFLAGS="$SAN_LDFLAGS"
CHECK_TESTS=$TSAN_TESTS build thread build/thread "${TSAN_ENV[@]}" -- \
    CFLAGS="$TSAN_CFLAGS" LDFLAGS="$TSAN_FLAGS"

if [ "${REPGUARD_NO_DISTCHECK:-0}" = 1 ]; then
	say "make distcheck skipped (REPGUARD_NO_DISTCHECK=1)"
elif [ "$plain_ok" -eq 1 ]; then
	distcheck
else
	say "make distcheck not run: the plain build failed"
fi

finish
