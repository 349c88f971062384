/*
 * fuzz_duration.c - duration_parse(), size_parse() and duration_format()
 * on any text, and duration_format() of any number.
 *
 * The input is parsed whole as a duration and as a size; its first eight
 * octets (zero-padded) are also a number of seconds to format.
 *
 * Holds for every input: an error is a non-empty text and leaves the
 * result as it was; a duration parsed is 0 to DURATION_MAX seconds, and
 * its format reads back as the same number, and formats the same again;
 * a format fits DURATION_FORMAT_MAX, is NUL-terminated, starts with '-'
 * exactly for a negative number, and cut short to a smaller buffer is a
 * prefix of the whole; every number 0..DURATION_MAX formats to a text
 * that reads back as it; a size of digits only is that number, one with
 * a unit a multiple of 1024; duration_parse_ms() reads what
 * duration_parse() reads as its seconds times 1000, gives 0 to
 * DURATION_MAX * 1000 milliseconds or an error that leaves the result
 * untouched, and duration_format_ms() of its result reads back the same.
 */
#include <ctype.h>

#include "base/duration.h"
#include "fuzz.h"

#define UNTOUCHED	0x5a5a5a5a5a5a5a5aLL

/* format(secs) is well made, and reads back when in range. */
static void
check_format(long long secs, size_t small)
{
	char text[DURATION_FORMAT_MAX], part[DURATION_FORMAT_MAX];
	long long back = UNTOUCHED;

	memset(text, 'x', sizeof(text));
	duration_format(secs, text, sizeof(text));
	FUZZ_CHECK(memchr(text, '\0', sizeof(text)) != NULL);
	FUZZ_CHECK(text[0] != '\0');
	FUZZ_CHECK((text[0] == '-') == (secs < 0));
	memset(part, 'x', sizeof(part));
	duration_format(secs, part, small);
	FUZZ_CHECK(memchr(part, '\0', small) != NULL);
	FUZZ_CHECK(strncmp(part, text, strlen(part)) == 0);
	if (secs < 0 || secs > DURATION_MAX)
		return;
	FUZZ_CHECK(duration_parse(text, strlen(text), &back) == NULL);
	FUZZ_CHECK(back == secs);
}

static void
check_ms(const char *in, size_t size, const char *serr, long long secs)
{
	char text[DURATION_FORMAT_MAX + 8];
	long long ms = UNTOUCHED, back = UNTOUCHED;
	const char *err = duration_parse_ms(in, size, &ms);

	if (serr == NULL)
		FUZZ_CHECK(err == NULL && ms == secs * 1000);
	if (err != NULL) {
		FUZZ_CHECK(err[0] != '\0' && ms == UNTOUCHED);
		return;
	}
	FUZZ_CHECK(ms >= 0 && ms <= DURATION_MAX * 1000);
	duration_format_ms(ms, text, sizeof(text));
	FUZZ_CHECK(duration_parse_ms(text, strlen(text), &back) == NULL);
	FUZZ_CHECK(back == ms);
}

static void
check_size(const char *in, size_t size)
{
	unsigned long long bytes = (unsigned long long)UNTOUCHED, plain;
	const char *err = size_parse(in, size, &bytes);
	char *digits;

	if (err != NULL) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(bytes == (unsigned long long)UNTOUCHED);
		return;
	}
	FUZZ_CHECK(size > 0 && isdigit((unsigned char)in[0]));
	if (isdigit((unsigned char)in[size - 1])) {
		digits = fuzz_str((const uint8_t *)in, size);
		FUZZ_CHECK(strspn(digits, "0123456789") == size);
		plain = strtoull(digits, NULL, 10);
		FUZZ_CHECK(plain == bytes);
		free(digits);
	} else
		FUZZ_CHECK(bytes % 1024 == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size), text[DURATION_FORMAT_MAX];
	long long secs = UNTOUCHED, back = UNTOUCHED;
	unsigned long long raw = 0;
	const char *err;
	size_t small;

	err = duration_parse(in, size, &secs);
	if (err != NULL) {
		FUZZ_CHECK(err[0] != '\0' && secs == UNTOUCHED);
	} else {
		FUZZ_CHECK(secs >= 0 && secs <= DURATION_MAX);
		duration_format(secs, text, sizeof(text));
		FUZZ_CHECK(duration_parse(text, strlen(text), &back) == NULL);
		FUZZ_CHECK(back == secs);
	}
	check_ms(in, size, err, secs);
	check_size(in, size);

	memcpy(&raw, data, size < sizeof(raw) ? size : sizeof(raw));
	small = size > 0 ? (size_t)data[size - 1] % DURATION_FORMAT_MAX + 1 :
	    1;
	check_format((long long)raw, small);
	check_format((long long)(raw % (unsigned long long)(DURATION_MAX + 1)),
	    small);
	free(in);
	return 0;
}
