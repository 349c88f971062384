/*
 * fuzz_warmup.c - warmup_parse() on any WarmupSchedule,
 * warmup_date_parse() on any WarmupStart, and warmup_limit() of what
 * parsed on any day around the start.
 *
 * The input is the schedule, then NUL-separated the start date and an
 * offset from the start (up to eight octets, read as seconds within
 * about three years either side).
 *
 * Holds for every input: an error is a non-empty text; a schedule has 1
 * to WARMUP_DAYS_MAX days, each a limit from 1 to 1000000000; the
 * "FIRST xFACTOR cap CAP" form starts with FIRST and grows every day,
 * staying below CAP; a list is its numbers in order; a date is 00:00 UTC
 * of a day from 2000 on, and it is that day written YYYY-MM-DD (trimmed
 * of white space); a start date left unset by an error; before the start
 * there is no limit (day 0); on day d of the schedule the limit is its
 * d-th; after it none, with day numbers ndays + 1 to WARMUP_DAYS_MAX + 1.
 */
#include <ctype.h>
#include <time.h>

#include "fuzz.h"
#include "shaping/warmup.h"

#define OFFSET_MAX	(1100LL * 86400)	/* seconds either side */

/* The numbers of a list schedule, in order, are its days. */
static void
check_list(const char *s, size_t len, const WARMUP *w)
{
	const char *p = s, *end = s + len;
	int64_t v;
	int n = 0;

	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			break;
		for (v = 0; p < end && isdigit((unsigned char)*p); p++)
			v = v * 10 + (*p - '0');
		FUZZ_CHECK(n < w->ndays && w->limit[n] == v);
		n++;
	}
	FUZZ_CHECK(n == w->ndays);
}

static void
check_schedule(const char *s, size_t len, const WARMUP *w)
{
	int i;

	FUZZ_CHECK(w->ndays >= 1 && w->ndays <= WARMUP_DAYS_MAX);
	for (i = 0; i < w->ndays; i++)
		FUZZ_CHECK(w->limit[i] >= 1 && w->limit[i] <= 1000000000LL);
	if (memchr(s, 'x', len) == NULL) {
		check_list(s, len, w);
		return;
	}
	for (i = 1; i < w->ndays; i++)
		FUZZ_CHECK(w->limit[i] > w->limit[i - 1]);
}

/* The date is 00:00 UTC of the day the text names. */
static void
check_date(const char *s, size_t len, int64_t start)
{
	char text[16];
	struct tm tm;
	time_t t = (time_t)start;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	FUZZ_CHECK(start % 86400 == 0);
	FUZZ_CHECK(start >= 946684800LL);		/* 2000-01-01 */
	FUZZ_CHECK(gmtime_r(&t, &tm) != NULL);
	strftime(text, sizeof(text), "%Y-%m-%d", &tm);
	if (len != 10 || memcmp(text, s, 10) != 0)
		fprintf(stderr, "\"%.*s\" parsed as %s\n", (int)len, s, text);
	FUZZ_CHECK(len == 10 && memcmp(text, s, 10) == 0);
}

static void
check_limit(const WARMUP *w, int64_t start, int64_t offset)
{
	int64_t now = start + offset, limit, d;
	int day = -1;

	limit = warmup_limit(w, start, now, &day);
	if (offset < 0) {
		FUZZ_CHECK(limit == 0 && day == 0);
		return;
	}
	d = offset / 86400 + 1;
	if (d <= w->ndays) {
		FUZZ_CHECK(day == d && limit == w->limit[d - 1]);
		/* the whole day has the one limit */
		FUZZ_CHECK(warmup_limit(w, start, start + (d - 1) * 86400,
		    &day) == limit && warmup_limit(w, start, start +
		    d * 86400 - 1, &day) == limit);
	} else
		FUZZ_CHECK(limit == 0 && day > w->ndays &&
		    day <= WARMUP_DAYS_MAX + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sp, *dp, *op;
	size_t slen, dlen, olen;
	char *sched, *date;
	int64_t start = 12345, raw = 0, offset;
	WARMUP *w = malloc(sizeof(*w));
	const char *err;

	if (w == NULL)
		abort();
	fuzz_split(&data, &size, &sp, &slen);
	fuzz_split(&data, &size, &dp, &dlen);
	op = data;
	olen = size;
	sched = fuzz_dup(sp, slen);
	date = fuzz_dup(dp, dlen);
	memcpy(&raw, op, olen < sizeof(raw) ? olen : sizeof(raw));
	offset = (int64_t)((uint64_t)raw % (2 * OFFSET_MAX + 1)) - OFFSET_MAX;

	err = warmup_parse(sched, slen, w);
	if (err != NULL)
		FUZZ_CHECK(err[0] != '\0');
	else
		check_schedule(sched, slen, w);

	if ((err = warmup_date_parse(date, dlen, &start)) != NULL) {
		FUZZ_CHECK(err[0] != '\0' && start == 12345);
		start = 1795132800LL;			/* 2026-11-20 */
	} else
		check_date(date, dlen, start);

	if (warmup_parse(sched, slen, w) == NULL)
		check_limit(w, start, offset);
	free(date);
	free(sched);
	free(w);
	return 0;
}
