/*
 * fuzz_bucketrule.c - bucket_rule_parse() and bucket_rule_format() on any
 * rate limit as written in BulkLimit, TransactionalLimit, RelayLimit and
 * DomainLimits ("1000/1h burst 200").
 *
 * Holds for every input: an error is a non-empty text and leaves the rule
 * as it was; a rule parsed has 1 to 1000000000 tokens and burst, a
 * period of whole seconds above 0, and refills empty to full within
 * BUCKET_REFILL_MAX_MS; its format is NUL-terminated, reads back as the
 * same rule and formats the same again; a format into a small buffer
 * stays inside it.
 */
#include "shaping/bucket.h"
#include "fuzz.h"

#define RULE_TEXT	128

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size), text[RULE_TEXT], again[RULE_TEXT];
	char small[16];
	BUCKET_RULE r, back;
	const char *err;

	memset(&r, 0x5a, sizeof(r));
	err = bucket_rule_parse(in, size, &r);
	if (err != NULL) {
		BUCKET_RULE untouched;

		memset(&untouched, 0x5a, sizeof(untouched));
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(memcmp(&r, &untouched, sizeof(r)) == 0);
		free(in);
		return 0;
	}
	FUZZ_CHECK(r.tokens >= 1 && r.tokens <= 1000000000LL);
	FUZZ_CHECK(r.burst >= 1 && r.burst <= 1000000000LL);
	FUZZ_CHECK(r.period_ms > 0 && r.period_ms % 1000 == 0);
	FUZZ_CHECK((__int128)r.period_ms * r.burst <=
	    (__int128)BUCKET_REFILL_MAX_MS * r.tokens);

	memset(text, 'x', sizeof(text));
	bucket_rule_format(&r, text, sizeof(text));
	FUZZ_CHECK(memchr(text, '\0', sizeof(text)) != NULL);
	memset(&back, 0, sizeof(back));
	err = bucket_rule_parse(text, strlen(text), &back);
	if (err != NULL)
		fprintf(stderr, "\"%s\" does not read back: %s\n", text, err);
	FUZZ_CHECK(err == NULL);
	FUZZ_CHECK(back.tokens == r.tokens && back.period_ms == r.period_ms &&
	    back.burst == r.burst);
	bucket_rule_format(&back, again, sizeof(again));
	FUZZ_CHECK(strcmp(text, again) == 0);

	memset(small, 'x', sizeof(small));
	bucket_rule_format(&r, small, size % sizeof(small) + 1);
	FUZZ_CHECK(memchr(small, '\0', size % sizeof(small) + 1) != NULL);
	free(in);
	return 0;
}
