/*
 * clock.h - the one clock repguard reads.
 *
 *	int64_t now = clock_now();	Unix seconds
 *	int64_t ms = clock_now_ms();	milliseconds (rate limits)
 *	clock_set(fn);			tests: read fn() instead (NULL: the
 *					system clock again)
 *
 * The policy library never reads the clock: every function that needs
 * the time takes it as an argument, so tests and the simulation run days
 * of traffic in seconds.  The front ends (filter/) take it from
 * clock_now() and pass it down; a test can move all of them at once with
 * clock_set(), or move a whole daemon with libfaketime.
 */
#ifndef REPGUARD_CLOCK_H
#define REPGUARD_CLOCK_H

#include <stdint.h>

typedef int64_t (*CLOCK_FN)(void);

int64_t	clock_now(void);
int64_t	clock_now_ms(void);
void	clock_set(CLOCK_FN);
int64_t	clock_monotonic_ms(void);	/* for time budgets, never dates */

#endif
