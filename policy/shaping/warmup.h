/*
 * warmup.h - an IP warm-up schedule: how much bulk mail the relay may
 * send on each day since warm-up began.
 *
 *	WARMUP w;
 *	err = warmup_parse("500 x2 cap 100000", len, &w);
 *	err = warmup_parse("500 1000 2500 5000 10000", len, &w);
 *	err = warmup_date_parse("2026-11-20", len, &start);	UTC midnight
 *	limit = warmup_limit(&w, start, now, &day);	0: warm-up over (or
 *						not begun: day 0)
 *
 * Two forms: "FIRST xFACTOR cap CAP" (day 1 FIRST messages, each day
 * FACTOR times the day before, warm-up over on the first day that
 * reaches CAP) and a list of daily limits (warm-up over after the last).
 * Days are UTC calendar days; day 1 is the start date.  Before the start
 * date there is no limit (warm-up has not begun).
 *
 * Must not: read the clock, include lmdb.h or any filter/ header.
 */
#ifndef REPGUARD_WARMUP_H
#define REPGUARD_WARMUP_H

#include <stddef.h>
#include <stdint.h>

#define WARMUP_DAYS_MAX	365

typedef struct {
	int64_t		 limit[WARMUP_DAYS_MAX];	/* day 1 .. ndays */
	int		 ndays;
} WARMUP;

const char	*warmup_parse(const char *buf, size_t len, WARMUP *);
const char	*warmup_date_parse(const char *buf, size_t len, int64_t *start);
int64_t		 warmup_limit(const WARMUP *, int64_t start, int64_t now,
		    int *day);

#endif
