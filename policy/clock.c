/*
 * clock.c - the one clock (see clock.h).
 *
 * Owns: clock_now(), clock_set().
 *
 * Must not: be called from policy/ functions that take the time as an
 * argument (only front ends read it).
 */
#include <stdatomic.h>
#include <time.h>

#include "clock.h"

static _Atomic(CLOCK_FN) clock_fn;

int64_t
clock_now(void)
{
	CLOCK_FN fn = atomic_load(&clock_fn);

	return fn != NULL ? fn() : (int64_t)time(NULL);
}

void
clock_set(CLOCK_FN fn)
{
	atomic_store(&clock_fn, fn);
}
