/*
 * panic.c - the end of the process on an exhausted resource or a broken
 * invariant (see panic.h).
 *
 * Owns: panic_set_hook(), panic_die().
 *
 * Decisions: policy/ has no logger; the program that links it sets a
 * hook (the daemon's reports through its log, to syslog).  The text is
 * formatted into a buffer on the stack: an allocation may be what failed.
 *
 * Must not: allocate, or return from panic_die().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/panic.h"

static PANIC_HOOK panic_hook;

void
panic_set_hook(PANIC_HOOK fn)
{
	__atomic_store_n(&panic_hook, fn, __ATOMIC_RELEASE);
}

void
panic_die(const char *fmt, ...)
{
	PANIC_HOOK fn = __atomic_load_n(&panic_hook, __ATOMIC_ACQUIRE);
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (fn != NULL)
		fn(text);
	fprintf(stderr, "repguard: panic: %s\n", text);
	abort();
}
