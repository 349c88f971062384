/*
 * clock.c - the one clock (see clock.h).
 *
 * Owns: clock_now(), clock_now_ms(), clock_set(), clock_monotonic_ms().
 *
 * Must not: be called from policy/ functions that take the time as an
 * argument (only front ends read it); clock_monotonic_ms() only measures
 * how long something takes (a time budget), which clock_set() leaves
 * alone.
 */
#include <stdatomic.h>
#include <time.h>

#include "base/clock.h"

static _Atomic(CLOCK_FN) clock_fn;

int64_t
clock_now(void)
{
	CLOCK_FN fn = atomic_load(&clock_fn);

	return fn != NULL ? fn() : (int64_t)time(NULL);
}

/* Milliseconds, for rate limits: the set clock's seconds when a test set
 * one, else the real time. */
int64_t
clock_now_ms(void)
{
	CLOCK_FN fn = atomic_load(&clock_fn);
	struct timespec ts;

	if (fn != NULL)
		return fn() * 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
clock_set(CLOCK_FN fn)
{
	atomic_store(&clock_fn, fn);
}

int64_t
clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
