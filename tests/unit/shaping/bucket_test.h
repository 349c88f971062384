/*
 * bucket_test.h - what the bucket tests share: a rule from its text,
 * which must parse (a test point fails if it does not).
 */
#ifndef REPGUARD_BUCKET_TEST_H
#define REPGUARD_BUCKET_TEST_H

#include <string.h>

#include "shaping/bucket.h"
#include "tap.h"

static inline BUCKET_RULE
rule(const char *text)
{
	BUCKET_RULE r;

	memset(&r, 0, sizeof(r));
	if (bucket_rule_parse(text, strlen(text), &r) != NULL)
		tap_ok(0, "rule %s", text);
	return r;
}

#endif
