/*
 * repwatch.h - the daemon's reputation judging outside the milter
 * callbacks: after each batch of counters (the tally's hook) and in the
 * minute housekeeping.  See repwatch.c.
 */
#ifndef REPGUARD_REPWATCH_H
#define REPGUARD_REPWATCH_H

#include <stdint.h>

#include "store/store.h"

int	repwatch_counted(STORE_TXN *, const char *key, int64_t now, void *ctx);
void	repwatch_sweep(STORE *, int64_t now);

#endif
