/*
 * test_ckey.c - table-driven tests of filter/cluster/ckey.c: the keys'
 * names, the fields and values of a counters hash, the heartbeat's text.
 *
 * Every field, value and heartbeat is fed from a heap copy of exactly its length
 * (no NUL after it: AddressSanitizer catches a read past len).  A good
 * heartbeat must give its row's numbers and format back to the same text;
 * a bad one must give the row's error and a cleared result.  Every
 * truncation of a good heartbeat is parsed too, from a copy of its own
 * length: only one that is itself four numbers may read as good.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cluster/ckey.h"
#include "reputation/sender.h"
#include "tap.h"

struct field_case {
	const char	*in;
	int		 rc;
	const char	*node;		/* NULL: every node */
	int		 counter;
};

static const struct field_case field_cases[] = {
	{ "messages", 0, NULL, SENDER_MESSAGES },
	{ "blocked", 0, NULL, SENDER_BLOCKED },
	{ "policy_major", 0, NULL, SENDER_POLICY_MAJOR },
	{ "a/recipients", 0, "a", SENDER_RECIPIENTS },
	{ "mx-1.example_2/complaints", 0, "mx-1.example_2", SENDER_COMPLAINTS },
	{ "node/hard", 0, "node", SENDER_HARD },
	{ "", -1, NULL, -1 },
	{ "message", -1, NULL, -1 },		/* a prefix of a name */
	{ "messagesx", -1, NULL, -1 },
	{ "Messages", -1, NULL, -1 },
	{ "later_counter", -1, NULL, -1 },	/* added by a newer node */
	{ "/messages", -1, NULL, -1 },		/* an empty node */
	{ "a/", -1, NULL, -1 },
	{ "a/b/messages", -1, NULL, -1 },	/* '/' is no node's */
	{ "a b/messages", -1, NULL, -1 },
	{ "a/messages\n", -1, NULL, -1 },
	{ "1234567890123456789012345678901234567890123456789012345678901234"
	    "/hard", 0, "1234567890123456789012345678901234567890123456789012"
	    "345678901234", SENDER_HARD },	/* 64: the longest name */
	{ "12345678901234567890123456789012345678901234567890123456789012345"
	    "/hard", -1, NULL, -1 },
};

struct beat_case {
	const char	*in;
	const char	*err;		/* NULL: good */
	int64_t		 time;
	uint64_t	 depth;
	int64_t		 lag, rtt;
};

static const struct beat_case beat_cases[] = {
	{ "1700000000 0 0 210", NULL, 1700000000, 0, 0, 210 },
	{ "1700000000 12 3500 -1", NULL, 1700000000, 12, 3500, -1 },
	{ "0 18446744073709551615 -9223372036854775807 9223372036854775807",
	    NULL, 0, UINT64_MAX, -INT64_MAX, INT64_MAX },
	{ "", "empty", 0, 0, 0, 0 },
	{ "1700000000", "too few fields", 0, 0, 0, 0 },
	{ "1700000000 0 0", "too few fields", 0, 0, 0, 0 },
	{ "1700000000 0 0 ", "too few fields", 0, 0, 0, 0 },
	{ "1700000000 0 0 1 5", "text after the last number", 0, 0, 0, 0 },
	{ "1700000000 0 0 1\n", "text after the last number", 0, 0, 0, 0 },
	{ "1700000000  0 0 1", "not a number", 0, 0, 0, 0 },
	{ "-1700000000 0 0 1", "not a number", 0, 0, 0, 0 },
	{ "1700000000 -1 0 1", "not a number", 0, 0, 0, 0 },
	{ "17000x0000 0 0 1", "not a number", 0, 0, 0, 0 },
	{ "+1 0 0 1", "not a number", 0, 0, 0, 0 },
	{ "1 0 - 1", "not a number", 0, 0, 0, 0 },
	{ "9223372036854775808 0 0 1", "a number too large", 0, 0, 0, 0 },
	{ "1 0 0 -9223372036854775808", "a number too large", 0, 0, 0, 0 },
	{ "1 18446744073709551616 0 0", "a number too large", 0, 0, 0, 0 },
	{ "1 99999999999999999999 0 0", "a number too large", 0, 0, 0, 0 },
	{ "1 0 0 000000000000000000001", "a number too long", 0, 0, 0, 0 },
};

struct count_case {
	const char	*in;
	const char	*err;		/* NULL: good */
	uint64_t	 v;
};

static const struct count_case count_cases[] = {
	{ "0", NULL, 0 },
	{ "40", NULL, 40 },
	{ "18446744073709551615", NULL, UINT64_MAX },
	{ "", "empty", 0 },
	{ "-1", "not a number", 0 },	/* HINCRBY by counts: never below 0 */
	{ "4 0", "text after the last number", 0 },
	{ "40x", "text after the last number", 0 },
	{ " 40", "not a number", 0 },
	{ "1.5", "text after the last number", 0 },
	{ "18446744073709551616", "a number too large", 0 },
	{ "000000000000000000001", "a number too long", 0 },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_keys(void)
{
	char what[CKEY_BUCKET_MAX], *k;
	size_t len;

	k = ckey_make("repguard", "nodes", &len);
	tap_str(k, "repguard:nodes", "ckey_make");
	tap_int((long long)len, 14, "... its length");
	free(k);
	k = ckey_sender("t", "alice@example.com", "h:1700000000", &len);
	tap_str(k, "t:{s:alice@example.com}:h:1700000000", "ckey_sender: the "
	    "sender's hash tag, then what");
	tap_int((long long)len, (long long)strlen(k), "... its length");
	free(k);
	ckey_bucket(60, 1700000059, what, sizeof(what));
	tap_str(what, "m:1700000040", "a minute's bucket: its first second");
	ckey_bucket(3600, 1700000000, what, sizeof(what));
	tap_str(what, "h:1699999200", "an hour's");
	ckey_bucket(3600, 1699999200, what, sizeof(what));
	tap_str(what, "h:1699999200", "an hour's, at its first second");
	tap_str(ckey_counter_name(SENDER_MESSAGES), "messages", "counter 0");
	tap_str(ckey_counter_name(SENDER_BLOCKED), "blocked", "the last");
	tap_str(ckey_counter_name(SENDER_COUNTERS), "?", "past the end");
	tap_str(ckey_counter_name(-1), "?", "before the start");
}

static void
test_fields(void)
{
	const struct field_case *c;
	const char *node;
	size_t i, nl, len;
	char *copy, got[128];
	int counter, rc;

	for (i = 0; i < NELEM(field_cases); i++) {
		c = &field_cases[i];
		len = strlen(c->in);
		copy = mem_alloc(len ? len : 1);
		memcpy(copy, c->in, len);
		rc = ckey_field(copy, len, &node, &nl, &counter);
		snprintf(got, sizeof(got), "%d %.*s %d", rc, (int)nl,
		    node ? node : "", counter);
		tap_int(rc, c->rc, "field \"%s\": %s", c->in, c->rc ? "passed "
		    "over" : "read");
		tap_ok(nl == (c->node ? strlen(c->node) : 0) && (c->node ?
		    node != NULL && memcmp(node, c->node, nl) == 0 :
		    node == NULL) && counter == c->counter,
		    "... node \"%s\", counter %d (got %s)", c->node ? c->node :
		    "", c->counter, got);
		free(copy);
	}
	/* every counter's name reads back as itself */
	for (i = 0; i < SENDER_COUNTERS; i++) {
		const char *name = ckey_counter_name((int)i);

		rc = ckey_field(name, strlen(name), &node, &nl, &counter);
		tap_ok(rc == 0 && counter == (int)i && nl == 0,
		    "counter %s reads back", name);
	}
}

static void
test_counts(void)
{
	const struct count_case *c;
	const char *err;
	uint64_t v;
	size_t i, len;
	char *copy;

	for (i = 0; i < NELEM(count_cases); i++) {
		c = &count_cases[i];
		len = strlen(c->in);
		copy = mem_alloc(len ? len : 1);
		memcpy(copy, c->in, len);
		v = 12345;
		err = ckey_count_parse(copy, len, &v);
		tap_str(err, c->err, "count \"%s\"", c->in);
		tap_ok(v == c->v, "... its value (0 when bad)");
		free(copy);
	}
}

static int
beat_eq(const CKEY_BEAT *b, int64_t t, uint64_t d, int64_t l, int64_t r)
{
	return b->time == t && b->depth == d && b->lag_ms == l &&
	    b->rtt_us == r;
}

static void
test_beats(void)
{
	const struct beat_case *c;
	char out[CKEY_BEAT_MAX], *copy;
	CKEY_BEAT b;
	size_t i, j, len, cut;
	const char *err;
	int clean = 1, spaces;

	for (i = 0; i < NELEM(beat_cases); i++) {
		c = &beat_cases[i];
		len = strlen(c->in);
		copy = mem_alloc(len ? len : 1);
		memcpy(copy, c->in, len);
		memset(&b, 0x55, sizeof(b));
		err = ckey_beat_parse(copy, len, &b);
		tap_str(err, c->err, "heartbeat \"%s\"", c->in);
		tap_ok(beat_eq(&b, c->time, c->depth, c->lag, c->rtt),
		    "... its numbers (cleared when bad)");
		if (c->err == NULL) {
			ckey_beat_format(&b, out, sizeof(out));
			tap_str(out, c->in, "... formats back the same");
			for (cut = 0; cut < len; cut++) {
				char *t = mem_alloc(cut ? cut : 1);

				memcpy(t, copy, cut);
				for (spaces = 0, j = 0; j < cut; j++)
					spaces += t[j] == ' ';
				err = ckey_beat_parse(t, cut, &b);
				if (err == NULL && (spaces != 3 ||
				    t[cut - 1] == ' ' || ckey_beat_format(&b,
				    out, sizeof(out)) != cut ||
				    memcmp(out, t, cut) != 0))
					clean = 0;
				free(t);
			}
			tap_ok(clean, "... a truncation reads only when "
			    "it is four numbers itself");
		}
		free(copy);
	}
	memset(&b, 0, sizeof(b));
	b.time = 1;
	b.depth = 2;
	b.lag_ms = 3;
	b.rtt_us = 4;
	tap_int((long long)ckey_beat_format(&b, out, sizeof(out)), 7,
	    "format: its length");
	tap_str(out, "1 2 3 4", "format: four numbers, one space apart");
}

int
main(void)
{
	test_keys();
	test_fields();
	test_counts();
	test_beats();
	return tap_done();
}
