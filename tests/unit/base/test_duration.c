/*
 * test_duration.c - table-driven tests of duration_parse(),
 * duration_format() and size_parse().
 *
 * Every parse case is fed from a heap copy of exactly its length (no NUL
 * after it, so AddressSanitizer catches a read past len); every valid
 * duration is formatted and parsed back to the same number of seconds.
 * duration_parse_ms() reads every duration case as its seconds times 1000
 * (or refuses it with the same text), and its own table adds "ms".
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/mem.h"
#include "tap.h"

struct dur_case {
	const char	*in;
	long long	 seconds;	/* when err is NULL */
	const char	*canon;		/* duration_format() of it */
	const char	*err;
};

static const struct dur_case dur_cases[] = {
	{ "0", 0, "0s", NULL },
	{ "0s", 0, "0s", NULL },
	{ "90", 90, "1m30s", NULL },
	{ "90s", 90, "1m30s", NULL },
	{ "15m", 900, "15m", NULL },
	{ "2h", 7200, "2h", NULL },
	{ "7d", 604800, "1w", NULL },
	{ "1w", 604800, "1w", NULL },
	{ "1h30m", 5400, "1h30m", NULL },
	{ "30m1h", 5400, "1h30m", NULL },
	{ "1w2d3h4m5s", 788645, "1w2d3h4m5s", NULL },
	{ "5s4m3h2d1w", 788645, "1w2d3h4m5s", NULL },
	{ "90m", 5400, "1h30m", NULL },
	{ "36h", 129600, "1d12h", NULL },
	{ "00010m", 600, "10m", NULL },
	{ "3650d", DURATION_MAX, "521w3d", NULL },
	{ "315360000", DURATION_MAX, "521w3d", NULL },
	{ "521w3d", DURATION_MAX, "521w3d", NULL },
	{ "3649d23h59m59s", DURATION_MAX - 1, "521w2d23h59m59s", NULL },

	{ "", 0, NULL, "empty duration" },
	{ "-5m", 0, NULL, "negative duration" },
	{ "-0", 0, NULL, "negative duration" },
	{ "+5m", 0, NULL, "unexpected character in duration" },
	{ " 5m", 0, NULL, "unexpected character in duration" },
	{ "5m ", 0, NULL, "unexpected character in duration" },
	{ "1h 30m", 0, NULL, "unexpected character in duration" },
	{ "m", 0, NULL, "missing number before unit" },
	{ "1hm", 0, NULL, "missing number before unit" },
	{ "5x", 0, NULL, "unknown duration unit (use s, m, h, d or w)" },
	{ "5M", 0, NULL, "unknown duration unit (use s, m, h, d or w)" },
	{ "5H", 0, NULL, "unknown duration unit (use s, m, h, d or w)" },
	{ "1.5h", 0, NULL, "unknown duration unit (use s, m, h, d or w)" },
	{ "5ms", 0, NULL, "missing number before unit" },
	{ "1h30", 0, NULL, "missing unit after number" },
	{ "1h1h", 0, NULL, "duration unit given twice" },
	{ "1m30s1m", 0, NULL, "duration unit given twice" },
	{ "3650d1s", 0, NULL, "duration longer than 10 years" },
	{ "315360001", 0, NULL, "duration longer than 10 years" },
	{ "522w", 0, NULL, "duration longer than 10 years" },
	{ "87601h", 0, NULL, "duration longer than 10 years" },
	{ "99999999999999999999999999s", 0, NULL,
	    "duration longer than 10 years" },
	{ "3000d3000d", 0, NULL, "duration unit given twice" },
	{ "3000d500w", 0, NULL, "duration longer than 10 years" },
};

struct ms_case {
	const char	*in;
	long long	 ms;		/* when err is NULL */
	const char	*canon;		/* duration_format_ms() of it */
	const char	*err;
};

static const struct ms_case ms_cases[] = {
	{ "50ms", 50, "50ms", NULL },
	{ "1ms", 1, "1ms", NULL },
	{ "0ms", 0, "0ms", NULL },
	{ "250ms", 250, "250ms", NULL },
	{ "1000ms", 1000, "1s", NULL },
	{ "1500ms", 1500, "1s500ms", NULL },
	{ "1s", 1000, "1s", NULL },
	{ "10s", 10000, "10s", NULL },
	{ "1s250ms", 1250, "1s250ms", NULL },
	{ "2m30s500ms", 150500, "2m30s500ms", NULL },
	{ "1h30ms", 3600030, "1h30ms", NULL },
	{ "5", 5000, "5s", NULL },		/* a plain number: seconds */
	{ "0", 0, "0ms", NULL },
	{ "3650d", DURATION_MAX * 1000, "521w3d", NULL },
	{ "315360000000ms", DURATION_MAX * 1000, "521w3d", NULL },
	{ "", 0, NULL, "empty duration" },
	{ "ms", 0, NULL, "missing number before unit" },
	{ "1hms", 0, NULL, "missing number before unit" },
	{ "5ms1s", 0, NULL, "milliseconds must come last (\"1s250ms\")" },
	{ "5ms5ms", 0, NULL, "milliseconds must come last (\"1s250ms\")" },
	{ "-5ms", 0, NULL, "negative duration" },
	{ "5 ms", 0, NULL, "missing number before unit" },
	{ "1s 5ms", 0, NULL, "unexpected character in duration" },
	{ "5MS", 0, NULL, "unknown duration unit (use s, m, h, d or w)" },
	{ "1.5ms", 0, NULL, "unknown duration unit (use s, m, h, d or w)" },
	{ "5mss", 0, NULL, "milliseconds must come last (\"1s250ms\")" },
	{ "1h1h5ms", 0, NULL, "duration unit given twice" },
	{ "315360000001ms", 0, NULL, "duration longer than 10 years" },
	{ "3650d1ms", 0, NULL, "duration longer than 10 years" },
	{ "99999999999999999999999ms", 0, NULL,
	    "duration longer than 10 years" },
};

struct fmt_case {
	long long	 seconds;
	const char	*out;
};

static const struct fmt_case fmt_cases[] = {
	{ 0, "0s" },
	{ 1, "1s" },
	{ 59, "59s" },
	{ 60, "1m" },
	{ 61, "1m1s" },
	{ 3600, "1h" },
	{ 3601, "1h1s" },
	{ 86400, "1d" },
	{ 691200, "1w1d" },
	{ -90, "-1m30s" },
	{ LLONG_MAX, "15250284452471w3d15h30m7s" },
	{ LLONG_MIN, "-15250284452471w3d15h30m8s" },
};

struct size_case {
	const char		*in;
	unsigned long long	 bytes;
	const char		*err;
};

static const struct size_case size_cases[] = {
	{ "0", 0, NULL },
	{ "1048576", 1048576, NULL },
	{ "512K", 512ULL << 10, NULL },
	{ "512k", 512ULL << 10, NULL },
	{ "64M", 64ULL << 20, NULL },
	{ "64m", 64ULL << 20, NULL },
	{ "4G", 4ULL << 30, NULL },
	{ "4g", 4ULL << 30, NULL },
	{ "2T", 2ULL << 40, NULL },
	{ "16777215T", 16777215ULL << 40, NULL },
	{ "18446744073709551615", ULLONG_MAX, NULL },
	{ "", 0, "empty size" },
	{ "-1", 0, "negative size" },
	{ "-4G", 0, "negative size" },
	{ "G", 0, "size must start with a number" },
	{ " 4G", 0, "size must start with a number" },
	{ "4X", 0, "unknown size unit (use K, M, G or T)" },
	{ "4 G", 0, "unknown size unit (use K, M, G or T)" },
	{ "1.5G", 0, "unknown size unit (use K, M, G or T)" },
	{ "64MB", 0, "trailing characters after size unit" },
	{ "4GG", 0, "trailing characters after size unit" },
	{ "4G ", 0, "trailing characters after size unit" },
	{ "18446744073709551616", 0, "size too large" },
	{ "99999999999999999999999", 0, "size too large" },
	{ "16777216T", 0, "size too large" },
	{ "17179869184G", 0, "size too large" },
};

static char *
exact_copy(const char *s, size_t len)
{
	char *p = mem_alloc(len);

	memcpy(p, s, len);
	return p;
}

static void
run_dur(const struct dur_case *c)
{
	size_t len = strlen(c->in);
	char *copy = exact_copy(c->in, len);
	char text[DURATION_FORMAT_MAX];
	long long secs = -42, back = -42, ms;
	const char *err;

	err = duration_parse(copy, len, &secs);
	tap_str(err, c->err, "duration \"%s\"", c->in);
	ms = -42;
	err = duration_parse_ms(copy, len, &ms);
	if (strstr(c->in, "ms") == NULL)	/* "5ms": milliseconds there */
		tap_ok(c->err != NULL ? err != NULL && !strcmp(err, c->err) &&
		    ms == -42 : err == NULL && ms == c->seconds * 1000,
		    "\"%s\" in milliseconds: %s", c->in, err ? err : "read");
	if (c->err != NULL) {
		tap_int(secs, -42, "\"%s\": result untouched on error", c->in);
	} else {
		tap_int(secs, c->seconds, "\"%s\" is %lld s", c->in,
		    c->seconds);
		duration_format(secs, text, sizeof(text));
		tap_str(text, c->canon, "\"%s\" formats as %s", c->in,
		    c->canon);
		err = duration_parse(text, strlen(text), &back);
		tap_ok(err == NULL && back == secs, "\"%s\" parses back", text);
	}
	free(copy);
}

static void
run_ms(const struct ms_case *c)
{
	size_t len = strlen(c->in);
	char *copy = exact_copy(c->in, len);
	char text[DURATION_FORMAT_MAX + 8];
	long long ms = -42, back = -42;
	const char *err;

	err = duration_parse_ms(copy, len, &ms);
	tap_str(err, c->err, "milliseconds \"%s\"", c->in);
	if (c->err != NULL) {
		tap_int(ms, -42, "\"%s\": result untouched on error", c->in);
	} else {
		tap_int(ms, c->ms, "\"%s\" is %lld ms", c->in, c->ms);
		duration_format_ms(ms, text, sizeof(text));
		tap_str(text, c->canon, "\"%s\" formats as %s", c->in,
		    c->canon);
		err = duration_parse_ms(text, strlen(text), &back);
		tap_ok(err == NULL && back == ms, "\"%s\" parses back", text);
	}
	free(copy);
}

static void
run_fmt(const struct fmt_case *c)
{
	char text[DURATION_FORMAT_MAX];

	memset(text, 'x', sizeof(text));
	duration_format(c->seconds, text, sizeof(text));
	tap_str(text, c->out, "format %lld", c->seconds);
}

static void
run_size(const struct size_case *c)
{
	size_t len = strlen(c->in);
	char *copy = exact_copy(c->in, len);
	unsigned long long bytes = 42;
	const char *err;

	err = size_parse(copy, len, &bytes);
	tap_str(err, c->err, "size \"%s\"", c->in);
	tap_ok(bytes == (c->err != NULL ? 42 : c->bytes),
	    "size \"%s\" gives %llu", c->in, bytes);
	free(copy);
}

static void
run_misc(void)
{
	char small[4];
	long long secs = 0;
	unsigned long long bytes = 0;

	/* Only len bytes are read. */
	tap_ok(duration_parse("2h30m", 2, &secs) == NULL && secs == 7200,
	    "duration_parse reads only len bytes");
	tap_ok(size_parse("64MB", 3, &bytes) == NULL && bytes == 64ULL << 20,
	    "size_parse reads only len bytes");
	tap_str(duration_parse("5\0m", 3, &secs),
	    "unknown duration unit (use s, m, h, d or w)", "NUL inside len");
	tap_str(duration_parse(NULL, 0, &secs), "empty duration",
	    "NULL duration");
	tap_str(size_parse(NULL, 0, &bytes), "empty size", "NULL size");

	/* A short output buffer is cut, NUL-terminated, never overrun. */
	duration_format(5400, small, sizeof(small));
	tap_str(small, "1h3", "format into 4 bytes is cut short");
	small[0] = 'x';
	duration_format(5400, small, 1);
	tap_str(small, "", "format into 1 byte is empty");
	small[0] = 'x';
	duration_format(5400, small, 0);
	tap_int(small[0], 'x', "format into 0 bytes writes nothing");
	tap_ok(duration_parse_ms("50msec", 4, &secs) == NULL && secs == 50,
	    "duration_parse_ms reads only len bytes");
	duration_format_ms(-1500, small, sizeof(small));
	tap_str(small, "-1s", "format_ms of -1500 into 4 bytes is cut short");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++)
		run_dur(&dur_cases[i]);
	for (i = 0; i < sizeof(ms_cases) / sizeof(ms_cases[0]); i++)
		run_ms(&ms_cases[i]);
	for (i = 0; i < sizeof(fmt_cases) / sizeof(fmt_cases[0]); i++)
		run_fmt(&fmt_cases[i]);
	for (i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++)
		run_size(&size_cases[i]);
	run_misc();
	return tap_done();
}
