/*
 * duration.c - durations and sizes as operators write them.
 *
 * Owns:
 *	const char *duration_parse(const char *buf, size_t len,
 *	    long long *seconds);
 *	void duration_format(long long seconds, char *out, size_t outsize);
 *	const char *duration_parse_ms(const char *buf, size_t len,
 *	    long long *ms);
 *	void duration_format_ms(long long ms, char *out, size_t outsize);
 *	const char *size_parse(const char *buf, size_t len,
 *	    unsigned long long *bytes);
 *
 * The accepted forms are described in duration.h.  Error texts are static:
 * "empty duration", "negative duration", "missing number before unit",
 * "unknown duration unit (use s, m, h, d or w)", "missing unit after
 * number", "duration unit given twice", "duration longer than 10 years",
 * "empty size", "negative size", "size must start with a number",
 * "unknown size unit (use K, M, G or T)", "trailing characters after size
 * unit", "size too large".
 *
 * Must not: allocate, assume a NUL terminator, use the locale (no
 * <ctype.h>), read the clock.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/duration.h"

static const struct duration_unit {
	char		name;
	long long	seconds;
} duration_units[] = {			/* largest first, for formatting */
	{ 'w', 7 * 86400 },
	{ 'd', 86400 },
	{ 'h', 3600 },
	{ 'm', 60 },
	{ 's', 1 },
};
#define DURATION_NUNITS	(sizeof(duration_units) / sizeof(duration_units[0]))

static int
duration_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Index of unit c in duration_units[], or -1. */
static int
duration_unit_index(char c)
{
	size_t i;

	for (i = 0; i < DURATION_NUNITS; i++)
		if (duration_units[i].name == c)
			return (int)i;
	return -1;
}

const char *
duration_parse(const char *buf, size_t len, long long *seconds)
{
	long long total = 0, n;
	unsigned seen = 0;
	size_t i = 0;
	int u;

	if (buf == NULL || len == 0)
		return "empty duration";
	if (buf[0] == '-')
		return "negative duration";
	while (i < len) {
		if (!duration_is_digit(buf[i]))
			return duration_unit_index(buf[i]) >= 0 ?
			    "missing number before unit" :
			    "unexpected character in duration";
		for (n = 0; i < len && duration_is_digit(buf[i]); i++) {
			n = n * 10 + (buf[i] - '0');
			if (n > DURATION_MAX)
				return "duration longer than 10 years";
		}
		if (i == len) {
			if (seen != 0)
				return "missing unit after number";
			u = DURATION_NUNITS - 1;	/* seconds */
		} else {
			if ((u = duration_unit_index(buf[i])) < 0)
				return "unknown duration unit "
				    "(use s, m, h, d or w)";
			if (seen & (1u << u))
				return "duration unit given twice";
			i++;
		}
		seen |= 1u << u;
		/* n <= DURATION_MAX, so neither product nor sum overflows. */
		total += n * duration_units[u].seconds;
		if (total > DURATION_MAX)
			return "duration longer than 10 years";
	}
	*seconds = total;
	return NULL;
}

void
duration_format(long long seconds, char *out, size_t outsize)
{
	char text[DURATION_FORMAT_MAX];
	unsigned long long v, q;
	size_t i, n = 0;

	if (out == NULL || outsize == 0)
		return;
	if (seconds < 0) {
		text[n++] = '-';
		v = 0ULL - (unsigned long long)seconds;
	} else
		v = (unsigned long long)seconds;
	if (v == 0)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "0s");
	for (i = 0; i < DURATION_NUNITS && v != 0; i++) {
		q = v / (unsigned long long)duration_units[i].seconds;
		v %= (unsigned long long)duration_units[i].seconds;
		if (q != 0)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
			    "%llu%c", q, duration_units[i].name);
	}
	snprintf(out, outsize, "%s", text);
}

/*
 * Milliseconds: what duration_parse() reads, times 1000, and a last group
 * "Nms".  The "ms" group is split off first, so duration_parse() never sees
 * it; a "ms" anywhere else is refused.
 */
const char *
duration_parse_ms(const char *buf, size_t len, long long *ms)
{
	long long secs = 0, n = 0;
	const char *err;
	size_t end = len, i;

	if (buf == NULL || len == 0)
		return "empty duration";
	if (len >= 3 && buf[len - 2] == 'm' && buf[len - 1] == 's' &&
	    duration_is_digit(buf[len - 3])) {
		for (end = len - 2; end > 0 && duration_is_digit(buf[end - 1]);
		    end--)
			;
		for (i = end; i < len - 2; i++) {
			n = n * 10 + (buf[i] - '0');
			if (n > DURATION_MAX * 1000)
				return "duration longer than 10 years";
		}
	}
	for (i = 0; i + 1 < end; i++)
		if (buf[i] == 'm' && buf[i + 1] == 's')
			return i + 2 == len ? "missing number before unit" :
			    "milliseconds must come last (\"1s250ms\")";
	if (end > 0 && (err = duration_parse(buf, end, &secs)) != NULL)
		return err;
	if (secs * 1000 + n > DURATION_MAX * 1000)
		return "duration longer than 10 years";
	*ms = secs * 1000 + n;
	return NULL;
}

void
duration_format_ms(long long ms, char *out, size_t outsize)
{
	char text[DURATION_FORMAT_MAX + 8];
	long long r;

	if (out == NULL || outsize == 0)
		return;
	r = ms % 1000;
	if (ms / 1000 == 0)
		snprintf(text, sizeof(text), "%lldms", ms);
	else {
		duration_format(ms / 1000, text, DURATION_FORMAT_MAX);
		if (r != 0)
			snprintf(text + strlen(text), sizeof(text) -
			    strlen(text), "%lldms", r < 0 ? -r : r);
	}
	snprintf(out, outsize, "%s", text);
}

const char *
size_parse(const char *buf, size_t len, unsigned long long *bytes)
{
	unsigned long long n = 0;
	unsigned d, shift = 0;
	size_t i = 0;

	if (buf == NULL || len == 0)
		return "empty size";
	if (buf[0] == '-')
		return "negative size";
	if (!duration_is_digit(buf[0]))
		return "size must start with a number";
	for (; i < len && duration_is_digit(buf[i]); i++) {
		d = (unsigned)(buf[i] - '0');
		if (n > (ULLONG_MAX - d) / 10)
			return "size too large";
		n = n * 10 + d;
	}
	if (i < len) {
		switch (buf[i]) {
		case 'k': case 'K':
			shift = 10;
			break;
		case 'm': case 'M':
			shift = 20;
			break;
		case 'g': case 'G':
			shift = 30;
			break;
		case 't': case 'T':
			shift = 40;
			break;
		default:
			return "unknown size unit (use K, M, G or T)";
		}
		if (++i < len)
			return "trailing characters after size unit";
	}
	if (n > ULLONG_MAX >> shift)
		return "size too large";
	*bytes = n << shift;
	return NULL;
}
