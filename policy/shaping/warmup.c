/*
 * warmup.c - IP warm-up schedules (see warmup.h).
 *
 * Owns: warmup_parse(), warmup_date_parse(), warmup_limit().
 *
 * Decisions: both forms become one table of daily limits, so a day's
 * limit is one index.  A factor is a decimal with up to two places (x1.5);
 * each day's limit is rounded down, and must grow (a schedule that never
 * reaches its cap is refused).
 *
 * Must not: read the clock, include lmdb.h or any filter/ header.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shaping/warmup.h"

#define WARMUP_MAX	1000000000LL	/* messages a day, at most */

static void
warmup_space(const char **p, const char *end)
{
	while (*p < end && isspace((unsigned char)**p))
		(*p)++;
}

static const char *
warmup_number(const char **p, const char *end, int64_t *out)
{
	int64_t v = 0;

	if (*p >= end || !isdigit((unsigned char)**p))
		return "expected a number of messages";
	for (; *p < end && isdigit((unsigned char)**p); (*p)++)
		if ((v = v * 10 + (**p - '0')) > WARMUP_MAX)
			return "number too large";
	if (*p < end && !isspace((unsigned char)**p))
		return "expected a number of messages";
	*out = v;
	return NULL;
}

/* "x2" or "x1.5": the factor in hundredths */
static const char *
warmup_factor(const char **p, const char *end, int64_t *out)
{
	int64_t v = 0;
	int frac = -1;

	(*p)++;			/* the 'x' */
	if (*p >= end || !isdigit((unsigned char)**p))
		return "expected a factor such as x2 or x1.5";
	for (; *p < end && !isspace((unsigned char)**p); (*p)++) {
		if (**p == '.' && frac < 0) {
			frac = 0;
			continue;
		}
		if (!isdigit((unsigned char)**p) || frac >= 2 || v > 100000)
			return "expected a factor such as x2 or x1.5";
		v = v * 10 + (**p - '0');
		if (frac >= 0)
			frac++;
	}
	for (; frac < 2; frac = frac < 0 ? 1 : frac + 1)
		v *= 10;
	if (v <= 100)
		return "the factor must be more than 1";
	*out = v;
	return NULL;
}

const char *
warmup_parse(const char *buf, size_t len, WARMUP *w)
{
	const char *p = buf, *end = buf + len, *err;
	int64_t first, factor, cap, v;

	memset(w, 0, sizeof(*w));
	warmup_space(&p, end);
	if ((err = warmup_number(&p, end, &first)) != NULL)
		return err;
	if (first == 0)
		return "a day's limit of 0 sends nothing";
	warmup_space(&p, end);
	if (p < end && *p == 'x') {
		if ((err = warmup_factor(&p, end, &factor)) != NULL)
			return err;
		warmup_space(&p, end);
		if ((size_t)(end - p) < 4 || strncmp(p, "cap", 3) != 0 ||
		    !isspace((unsigned char)p[3]))
			return "expected \"cap N\" after the factor";
		p += 4;
		warmup_space(&p, end);
		if ((err = warmup_number(&p, end, &cap)) != NULL)
			return err;
		warmup_space(&p, end);
		if (p != end)
			return "unexpected text after the cap";
		if (cap <= first)
			return "the cap must be more than the first day's limit";
		for (v = first; v < cap; v = v * factor / 100) {
			if (w->ndays == WARMUP_DAYS_MAX)
				return "the schedule is longer than 365 days";
			if (v * factor / 100 <= v)
				return "the factor is too small to grow the "
				    "limit";
			w->limit[w->ndays++] = v;
		}
		return NULL;
	}
	w->limit[w->ndays++] = first;
	while (p < end) {
		if ((err = warmup_number(&p, end, &v)) != NULL)
			return err;
		if (v == 0)
			return "a day's limit of 0 sends nothing";
		if (w->ndays == WARMUP_DAYS_MAX)
			return "the schedule is longer than 365 days";
		w->limit[w->ndays++] = v;
		warmup_space(&p, end);
	}
	return NULL;
}

/* "YYYY-MM-DD": 00:00 UTC of that day. */
const char *
warmup_date_parse(const char *buf, size_t len, int64_t *start)
{
	struct tm tm;
	char s[16];
	int y, m, d, i;
	char tail;
	int64_t t;

	while (len > 0 && isspace((unsigned char)*buf)) {
		buf++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	if (len != 10)
		return "expected a date YYYY-MM-DD";
	memcpy(s, buf, len);
	s[len] = '\0';
	/* digits only: sscanf() alone takes "2026- 1-+2" */
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return "expected a date YYYY-MM-DD";
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 ||
	    s[4] != '-' || s[7] != '-' || y < 2000 || y > 9999 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return "expected a date YYYY-MM-DD";
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	t = (int64_t)timegm(&tm);
	if (gmtime_r(&(time_t){ (time_t)t }, &tm) == NULL || tm.tm_mday != d)
		return "no such date";
	*start = t;
	return NULL;
}

/*
 * The limit of the day now falls in (day 1 = the start date): 0 when
 * there is none (before the start, or past the schedule).
 */
int64_t
warmup_limit(const WARMUP *w, int64_t start, int64_t now, int *day)
{
	int64_t d;

	*day = 0;
	if (now < start)
		return 0;
	d = (now - start) / 86400 + 1;
	if (d > w->ndays) {
		*day = d > WARMUP_DAYS_MAX + 1 ? WARMUP_DAYS_MAX + 1 : (int)d;
		return 0;
	}
	*day = (int)d;
	return w->limit[d - 1];
}
