#!/bin/bash
# t_hardening.sh - repguard and repguardctl are built with the hardening
# Debian builds its packages with (configure.ac: --disable-hardening turns
# it off), read from the binaries themselves with readelf:
#   - position-independent executable (ELF type DYN, with an interpreter);
#   - full RELRO: a GNU_RELRO segment and BIND_NOW;
#   - stack protector: __stack_chk_fail is called;
#   - _FORTIFY_SOURCE: checked variants of the libc calls (__*_chk) are
#     called (not under AddressSanitizer, which checks those calls itself
#     and with which configure leaves fortify out).
. "$TOP_SRCDIR/tests/lib/common.sh"

command -v readelf >/dev/null || t_skip_all "needs readelf (binutils)"
for bin in "$REPGUARD" "$REPGUARDCTL"; do
	name=${bin##*/}
	h=$(readelf -hW "$bin" 2>&1)
	l=$(readelf -lW "$bin" 2>&1)
	d=$(readelf -dW "$bin" 2>&1)
	syms=$(readelf --dyn-syms -W "$bin" 2>&1)
	t_like "$h" 'Type: +DYN' "$name: a position-independent executable (ELF type DYN)"
	t_like "$l" 'INTERP' "$name: ... that is a program (it has an interpreter), not a library"
	t_like "$l" 'GNU_RELRO' "$name: a read-only relocation segment (RELRO)"
	t_like "$d" '\(BIND_NOW\)|\(FLAGS\).*NOW' "$name: bound at start (BIND_NOW: full RELRO)"
	t_like "$syms" '__stack_chk_fail' "$name: stack protector"
	if printf '%s\n' "$syms" | grep -q __asan_init; then
		t_pass "$name: fortify left to AddressSanitizer in this build"
	else
		t_like "$syms" '__[a-z]+_chk@' "$name: _FORTIFY_SOURCE (checked libc calls such as __snprintf_chk)"
	fi
done
t_done
