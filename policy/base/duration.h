/*
 * duration.h - durations ("1h30m") and sizes ("64M") in configuration
 * and on the command line.
 *
 *	err = duration_parse(buf, len, &seconds);
 *	duration_format(seconds, text, sizeof(text));
 *	err = size_parse(buf, len, &bytes);
 *
 * duration_parse() accepts a plain number of seconds ("90") or one or more
 * number-unit groups ("90s", "15m", "2h", "7d", "1w", "1h30m", "30m1h"):
 * units s, m, h, d, w (lower case only), in any order, each at most once.
 * A number without a unit is allowed only alone ("1h30" is refused).  No
 * sign, no white space, no fractions.  The total must not exceed
 * DURATION_MAX (ten years of 365 days).
 *
 * duration_format() writes the canonical form that duration_parse() reads
 * back: largest units first, zero groups left out ("1h30m", "1w1d", "0s";
 * a negative value gets a leading '-').  The text is cut short, always
 * NUL-terminated, if outsize is below DURATION_FORMAT_MAX.
 *
 * duration_parse_ms() reads the same forms into milliseconds (a plain
 * number is still seconds), and one more group, last: a number of
 * milliseconds with the unit "ms" ("50ms", "1s250ms", "2m30s500ms").
 * duration_parse() itself never reads "ms": its results stay seconds.
 * duration_format_ms() writes what duration_parse_ms() reads back ("50ms",
 * "1s250ms", "10s", "0ms").
 *
 * size_parse() accepts a plain number of bytes ("1048576") or a number
 * with one binary unit K, M, G or T (either case; 1024-based): "512K",
 * "64M", "4G".  No sign, white space, fractions or "B" suffix.
 *
 * The parsers take a buffer that need not be NUL-terminated and return
 * NULL on success or a static English error text (the result is then
 * left unchanged).
 */
#ifndef REPGUARD_DURATION_H
#define REPGUARD_DURATION_H

#include <stddef.h>

#define DURATION_MAX		(10LL * 365 * 86400)	/* seconds */
#define DURATION_FORMAT_MAX	32	/* any long long, with NUL */

const char	*duration_parse(const char *buf, size_t len, long long *seconds);
void		 duration_format(long long seconds, char *out, size_t outsize);
const char	*duration_parse_ms(const char *buf, size_t len, long long *ms);
void		 duration_format_ms(long long ms, char *out, size_t outsize);
const char	*size_parse(const char *buf, size_t len,
		    unsigned long long *bytes);

#endif
