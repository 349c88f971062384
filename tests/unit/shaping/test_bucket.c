/*
 * test_bucket.c - unit tests for policy/shaping/bucket.c.
 *
 * Covers: rules as a table (rates, bursts, durations, errors); taking
 * tokens with the clock passed in: a full new bucket, the burst, the
 * exact millisecond a token comes back, a refusal that charges nothing,
 * the cap after a long idle time, time going backwards, more than the
 * burst at once, a slow rate (1/1d) refilling exactly, two buckets kept
 * apart; a quota (no refill); a charge that runs into debt and the wait
 * it makes; tokens given back (up to the burst); and buckets through a
 * real store: the stored form, version 1 values still read, the sweep
 * of idle buckets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shaping/bucket.h"
#include "bucket_test.h"
#include "store/store.h"
#include "tap.h"

static const struct {
	const char	*text, *err;
	int64_t		 tokens, period_ms, burst;
} rules[] = {
	{ "1000/1h", NULL, 1000, 3600000, 1000 },
	{ "1000/1h burst 200", NULL, 1000, 3600000, 200 },
	{ "  300/1m  ", NULL, 300, 60000, 300 },
	{ "1/1d", NULL, 1, 86400000, 1 },
	{ "5/90 burst 1", NULL, 5, 90000, 1 },
	{ "10/1h30m burst  20", NULL, 10, 5400000, 20 },
	{ "", "expected a number", 0, 0, 0 },
	{ "0/1h", "a rate of 0", 0, 0, 0 },
	{ "1000", "expected N/DURATION", 0, 0, 0 },
	{ "1000/", "", 0, 0, 0 },
	{ "1000/1x", "", 0, 0, 0 },
	{ "1000/0", "longer than 0s", 0, 0, 0 },
	{ "1000/1h burst", "expected \"burst B\"", 0, 0, 0 },
	{ "1000/1h burst x", "expected a number", 0, 0, 0 },
	{ "1000/1h burst 0", "a burst of 0", 0, 0, 0 },
	{ "1000/1h bursts 5", "expected \"burst B\"", 0, 0, 0 },
	{ "1000/1h burst 5 x", "unexpected text", 0, 0, 0 },
	{ "-5/1h", "expected a number", 0, 0, 0 },
	{ "99999999999/1h", "too large", 0, 0, 0 },
	{ "1/1d burst 7", NULL, 1, 86400000, 7 },
	{ "1/1d burst 8", "longer than 7 days to refill", 0, 0, 0 },
	{ "1/8d", "longer than 7 days to refill", 0, 0, 0 },
};

static void
test_rules(void)
{
	BUCKET_RULE r;
	const char *err;
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		memset(&r, 0, sizeof(r));
		err = bucket_rule_parse(rules[i].text, strlen(rules[i].text),
		    &r);
		if (rules[i].err != NULL)
			tap_ok(err != NULL && strstr(err, rules[i].err) != NULL,
			    "rule \"%s\": error \"%s\" (got \"%s\")",
			    rules[i].text, rules[i].err, err ? err : "none");
		else
			tap_ok(err == NULL && r.tokens == rules[i].tokens &&
			    r.period_ms == rules[i].period_ms &&
			    r.burst == rules[i].burst, "rule \"%s\": %lld per "
			    "%lld ms, burst %lld", rules[i].text,
			    (long long)r.tokens, (long long)r.period_ms,
			    (long long)r.burst);
	}
}

static void
test_take(void)
{
	BUCKET_RULE r = rule("10/1s"), slow = rule("1/1d"), small;
	BUCKET b, c;
	int64_t t0 = 1795860000000LL, w;
	int i, ok = 1;

	memset(&b, 0, sizeof(b));
	tap_int(bucket_level(&b, &r, t0), 10, "a new bucket is full");
	for (i = 0; i < 10; i++)
		ok &= bucket_take(&b, &r, t0, 1) == 0;
	tap_ok(ok, "the burst: 10 taken at once");
	tap_int(bucket_take(&b, &r, t0, 1), 100, "the 11th: refused, a token "
	    "in 100 ms");
	tap_int(bucket_level(&b, &r, t0), 0, "... and nothing was charged "
	    "for it (level 0, not below)");
	tap_int(bucket_take(&b, &r, t0 + 99, 1), 1, "at 99 ms: refused, 1 ms "
	    "to go");
	tap_int(bucket_take(&b, &r, t0 + 100, 1), 0, "at 100 ms: taken");
	tap_int(bucket_take(&b, &r, t0 + 100, 1), 100, "... and the next one "
	    "100 ms later");
	tap_int(bucket_take(&b, &r, t0 + 50, 1), 150, "time going backwards "
	    "refills nothing");
	tap_int(bucket_level(&b, &r, t0 + 3600000), 10, "an hour idle: full, "
	    "capped at the burst");
	tap_int(bucket_take(&b, &r, t0 + 3600000, 11), 1000, "more than the "
	    "burst at once never fits: a period to wait");
	tap_int(bucket_level(&b, &r, t0 + 3600000), 10, "... and charges "
	    "nothing");
	tap_int(bucket_take(&b, &r, t0 + 3600000, 10), 0, "the whole burst at "
	    "once");

	memset(&c, 0, sizeof(c));
	tap_int(bucket_take(&c, &slow, t0, 1), 0, "1/1d: the first");
	tap_int(bucket_take(&c, &slow, t0 + 86399999, 1), 1, "... the next "
	    "not a millisecond early");
	tap_int(bucket_take(&c, &slow, t0 + 86400000, 1), 0, "... but exactly "
	    "a day later");

	small = rule("300/1m burst 5");
	memset(&b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	for (i = 0; i < 5; i++)
		bucket_take(&b, &small, t0, 1);
	w = bucket_take(&b, &small, t0, 1);
	tap_ok(w == 200 && bucket_take(&c, &small, t0, 1) == 0,
	    "two buckets of one rule are apart: one empty (200 ms to go), "
	    "the other full");
}

static void
test_format(void)
{
	static const char *const texts[] = {
		"1000/1h", "1000/1h burst 200", "300/1m", "1/1d burst 7",
		"10/1h30m burst 20",
	};
	BUCKET_RULE r, q = { 32, 0, 32 };
	char out[80];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		bucket_rule_parse(texts[i], strlen(texts[i]), &r);
		bucket_rule_format(&r, out, sizeof(out));
		tap_str(out, texts[i], "rule \"%s\" formats back", texts[i]);
	}
	bucket_rule_format(&q, out, sizeof(out));
	tap_str(out, "32, not refilled", "a quota formats as such");
}

static void
test_quota_debt(void)
{
	BUCKET_RULE q = { 3, 0, 3 }, r = rule("10/1s");
	BUCKET b;
	int64_t t0 = 1795860000000LL;

	memset(&b, 0, sizeof(b));
	tap_ok(bucket_take(&b, &q, t0, 3) == 0, "a quota of 3: 3 taken");
	tap_ok(bucket_take(&b, &q, t0 + 86400000, 1) == BUCKET_NEVER,
	    "... a day later still none: a quota never refills (BUCKET_NEVER)");
	tap_int((long long)b.taken, 3, "... 3 counted as taken");
	bucket_give(&b, &q, t0, 1);
	tap_ok(bucket_take(&b, &q, t0, 1) == 0, "a token given back can be "
	    "taken again");

	memset(&b, 0, sizeof(b));
	bucket_charge(&b, &r, t0, 15);
	tap_int(bucket_level(&b, &r, t0), -5, "a charge of 15 from a full 10: "
	    "a debt of 5");
	tap_int(bucket_take(&b, &r, t0, 1), 600, "... the next take waits for "
	    "6 tokens (600 ms)");
	bucket_charge(&b, &r, t0, 100);
	tap_int(bucket_level(&b, &r, t0), -10, "a debt never goes below "
	    "minus the burst");
	tap_int(bucket_level(&b, &r, t0 + 60000), 10, "a minute later: full "
	    "again");
	memset(&b, 0, sizeof(b));
	bucket_take(&b, &r, t0, 4);
	bucket_give(&b, &r, t0, 9);
	tap_int(bucket_level(&b, &r, t0), 10, "tokens given back stop at the "
	    "burst");
	tap_int((long long)b.taken, 0, "... and what was taken is no longer "
	    "counted");
}

static int
put_fn(STORE_TXN *t, void *ctx)
{
	return bucket_put(t, "sender:alice@example.com:bulk", ctx);
}

static int
get_fn(STORE_TXN *t, void *ctx)
{
	return bucket_get(t, "sender:alice@example.com:bulk", ctx) ==
	    STORE_ERROR ? STORE_ERROR : 0;
}

static int
damage_fn(STORE_TXN *t, void *ctx)
{
	(void)ctx;
	return store_put(t, STORE_DB_BUCKETS, "domain:gmail.com", 16, "x", 1);
}

static int
get_damaged_fn(STORE_TXN *t, void *ctx)
{
	return bucket_get(t, "domain:gmail.com", ctx) == STORE_NOTFOUND ? 0 :
	    1;
}

static void
test_store(STORE *st)
{
	BUCKET_RULE r = rule("10/1s");
	BUCKET b, back;
	char err[256];
	int64_t t0 = 1795860000000LL;

	memset(&b, 0, sizeof(b));
	bucket_take(&b, &r, t0, 7);
	tap_int(store_write(st, put_fn, &b, err, sizeof(err)), 0, "put");
	memset(&back, 0, sizeof(back));
	tap_int(store_read(st, get_fn, &back, err, sizeof(err)), 0, "get");
	tap_ok(back.used && back.micro == 3 * BUCKET_MICRO && back.at == t0,
	    "a bucket comes back as it was put (3 tokens at t0)");
	tap_int(bucket_level(&back, &r, t0 + 500), 8, "... and refills from "
	    "there");
	store_write(st, damage_fn, NULL, err, sizeof(err));
	tap_int(store_read(st, get_damaged_fn, &back, err, sizeof(err)), 0,
	    "a damaged value reads as a new (full) bucket");
	tap_int(bucket_level(&back, &r, t0), 10, "... full");
}

static int
put_v1_fn(STORE_TXN *t, void *ctx)
{
	unsigned char v[17];
	size_t n = 0;

	(void)ctx;
	store_key_u8(v, sizeof(v), &n, 1);
	store_key_u64(v, sizeof(v), &n, 2 * BUCKET_MICRO);
	store_key_u64(v, sizeof(v), &n, 1795860000000ULL);
	return store_put(t, STORE_DB_BUCKETS, "relay", 5, v, n);
}

static int
get_relay_fn(STORE_TXN *t, void *ctx)
{
	return bucket_get(t, "relay", ctx) == STORE_ERROR ? STORE_ERROR : 0;
}

struct sweep_ctx {
	int64_t	 now;
	long	 removed;
	char	 cursor[BUCKET_NAME_MAX + 1];
};

static int
put_many_fn(STORE_TXN *t, void *ctx)
{
	BUCKET b;
	char name[64];
	int i;

	(void)ctx;
	memset(&b, 0, sizeof(b));
	b.used = 1;
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "domain:d%d.example", i);
		/* even ones idle for 9 days, odd ones used an hour ago */
		b.at = 1795860000000LL - (i % 2 ? 3600000LL :
		    9LL * 86400000);
		if (bucket_put(t, name, &b) != 0)
			return STORE_ERROR;
	}
	return 0;
}

static int
sweep_fn(STORE_TXN *t, void *ctx)
{
	struct sweep_ctx *s = ctx;

	s->removed = bucket_sweep(t, s->now, 3, s->cursor);
	return s->removed < 0 ? STORE_ERROR : 0;
}

static void
test_store_more(STORE *st)
{
	struct sweep_ctx s;
	BUCKET back;
	char err[256];
	long total = 0;
	int rounds = 0;

	tap_int(store_write(st, put_v1_fn, NULL, err, sizeof(err)), 0,
	    "a version 1 value written");
	tap_int(store_read(st, get_relay_fn, &back, err, sizeof(err)), 0,
	    "... read");
	tap_ok(back.used && back.micro == 2 * BUCKET_MICRO && back.taken == 0,
	    "... as its tokens and time, nothing taken or refused counted");
	store_write(st, put_many_fn, NULL, err, sizeof(err));
	memset(&s, 0, sizeof(s));
	s.now = 1795860000000LL;
	do {
		if (store_write(st, sweep_fn, &s, err, sizeof(err)) != 0)
			break;
		total += s.removed;
	} while (s.cursor[0] != '\0' && ++rounds < 20);
	tap_ok(rounds > 1, "the sweep goes in slices of its budget (%d "
	    "rounds of 3)", rounds + 1);
	/* 5 idle domains and the damaged gmail.com one; relay and alice's
	 * were used at s.now */
	tap_int(total, 6, "the sweep removed the buckets idle for 8 days and "
	    "the damaged one, kept those used an hour ago");
}

int
main(void)
{
	char dir[] = "/tmp/test_bucket.XXXXXX", err[256], cmd[64];
	STORE *st;

	test_rules();
	test_take();
	test_quota_debt();
	test_format();
	if (mkdtemp(dir) == NULL || (st = store_open(dir, NULL, err,
	    sizeof(err))) == NULL) {
		tap_ok(0, "store: %s", err);
		return tap_done();
	}
	test_store(st);
	test_store_more(st);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_ok(0, "rm -rf %s", dir);
	return tap_done();
}
