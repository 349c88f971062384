/*
 * test_warmup.c - unit tests for policy/shaping/warmup.c.
 *
 * Covers: both schedule forms as a table (the daily limits they make,
 * their errors); dates (UTC midnight, impossible dates); the limit of a
 * day: none before the start, day 1 at the start date's midnight, the
 * last second of a day, the day after the schedule (over).
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "shaping/warmup.h"

static const struct {
	const char	*text, *err;
	int		 ndays;
	long long	 d1, d2, last;
} sched[] = {
	{ "500 x2 cap 10000", NULL, 5, 500, 1000, 8000 },
	{ "1000 x1.5 cap 1000000", NULL, 18, 1000, 1500, 985063 },
	{ "500 1000 2500", NULL, 3, 500, 1000, 2500 },
	{ " 50 ", NULL, 1, 50, 0, 50 },
	{ "", "expected a number", 0, 0, 0, 0 },
	{ "0 x2 cap 100", "limit of 0", 0, 0, 0, 0 },
	{ "500 x1 cap 1000", "more than 1", 0, 0, 0, 0 },
	{ "500 x1.001 cap 1000", "factor such as", 0, 0, 0, 0 },
	{ "500 x2", "expected \"cap N\"", 0, 0, 0, 0 },
	{ "500 x2 cap 400", "more than the first", 0, 0, 0, 0 },
	{ "500 x2 cap 1000 more", "unexpected text", 0, 0, 0, 0 },
	{ "1 x1.01 cap 1000000000", "too small to grow", 0, 0, 0, 0 },
	{ "500 0 100", "limit of 0", 0, 0, 0, 0 },
	{ "500 abc", "expected a number", 0, 0, 0, 0 },
	{ "500k", "expected a number", 0, 0, 0, 0 },
};

static void
test_parse(void)
{
	WARMUP w;
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(sched) / sizeof(sched[0]); i++) {
		err = warmup_parse(sched[i].text, strlen(sched[i].text), &w);
		if (sched[i].err != NULL) {
			tap_ok(err != NULL && strstr(err, sched[i].err) != NULL,
			    "\"%s\": error \"%s\" (got \"%s\")", sched[i].text,
			    sched[i].err, err ? err : "none");
			continue;
		}
		tap_ok(err == NULL && w.ndays == sched[i].ndays &&
		    w.limit[0] == sched[i].d1 && (w.ndays < 2 ||
		    w.limit[1] == sched[i].d2) &&
		    w.limit[w.ndays - 1] == sched[i].last,
		    "\"%s\": %d days, %lld, %lld ... %lld (got %s%d days, "
		    "%lld ... %lld)", sched[i].text, sched[i].ndays,
		    sched[i].d1, sched[i].d2, sched[i].last, err ? err : "",
		    w.ndays, (long long)w.limit[0],
		    (long long)w.limit[w.ndays > 0 ? w.ndays - 1 : 0]);
	}
}

static void
test_days(void)
{
	WARMUP w;
	int64_t start;
	int day;

	tap_ok(warmup_date_parse("2026-11-20", 10, &start) == NULL &&
	    start == 1795132800LL, "2026-11-20 is 00:00 UTC of that day");
	tap_ok(warmup_date_parse("2026-02-30", 10, &start) != NULL,
	    "2026-02-30: no such date");
	tap_ok(warmup_date_parse("2026-1-20", 9, &start) != NULL,
	    "2026-1-20: not YYYY-MM-DD");
	tap_ok(warmup_date_parse("20.11.2026", 10, &start) != NULL,
	    "20.11.2026: not YYYY-MM-DD");
	tap_ok(warmup_date_parse("2024-02- 9", 10, &start) != NULL &&
	    warmup_date_parse("2026-+1-20", 10, &start) != NULL,
	    "2024-02- 9, 2026-+1-20: not YYYY-MM-DD (digits only)");
	start = 7;
	tap_ok(warmup_date_parse("2026-02-30", 10, &start) != NULL &&
	    start == 7, "no such date: the start is left as it was");
	warmup_parse("500 x2 cap 10000", 16, &w);
	warmup_date_parse("2026-11-20", 10, &start);
	tap_int(warmup_limit(&w, start, start - 1, &day), 0,
	    "the second before the start: no limit");
	tap_int(day, 0, "... day 0");
	tap_int(warmup_limit(&w, start, start, &day), 500, "day 1 from its "
	    "first second: 500");
	tap_int(warmup_limit(&w, start, start + 86399, &day), 500, "... to its "
	    "last");
	tap_int(warmup_limit(&w, start, start + 86400, &day), 1000, "day 2: "
	    "1000");
	tap_int(warmup_limit(&w, start, start + 4 * 86400 + 5, &day), 8000,
	    "day 5: 8000");
	tap_int(day, 5, "... day 5");
	tap_int(warmup_limit(&w, start, start + 5 * 86400, &day), 0,
	    "day 6: past the schedule, no limit: warm-up is over");
	tap_int(day, 6, "... day 6");
}

int
main(void)
{
	test_parse();
	test_days();
	return tap_done();
}
