/*
 * bucket.c - token buckets (see bucket.h).
 *
 * Owns: bucket_rule_parse(), bucket_rule_format(), bucket_level(),
 * bucket_take(), bucket_charge(), bucket_give(), bucket_get(),
 * bucket_put(), bucket_encode(), bucket_decode(), bucket_sweep().
 *
 * Layout (STORE_DB_BUCKETS, key = the bucket's name):
 *	value = u8 version (2), u64 microtokens, u64 ms of the last refill,
 *	u64 tokens taken, u64 takes refused, u64 ms of the last refusal
 * (version 1, the first 17 octets, is still read.)
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shaping/bucket.h"
#include "base/duration.h"
#include "base/mem.h"

#define BUCKET_VERSION	2
#define BUCKET_MAX	1000000000LL	/* tokens in a rule, at most */

static const char *
bucket_number(const char **p, const char *end, int64_t *out)
{
	int64_t v = 0;
	const char *s = *p;

	if (s >= end || !isdigit((unsigned char)*s))
		return "expected a number";
	for (; s < end && isdigit((unsigned char)*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > BUCKET_MAX)
			return "number too large";
	}
	*p = s;
	*out = v;
	return NULL;
}

/* "N/DURATION" or "N/DURATION burst B"; NULL or an error text. */
const char *
bucket_rule_parse(const char *buf, size_t len, BUCKET_RULE *r)
{
	const char *p = buf, *end = buf + len, *err, *d;
	long long secs;
	int64_t n, burst;

	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if ((err = bucket_number(&p, end, &n)) != NULL)
		return err;
	if (n == 0)
		return "a rate of 0 refuses everything: leave the limit out";
	if (p >= end || *p != '/')
		return "expected N/DURATION, such as 1000/1h";
	d = ++p;
	while (p < end && !isspace((unsigned char)*p))
		p++;
	if ((err = duration_parse(d, (size_t)(p - d), &secs)) != NULL)
		return err;
	if (secs <= 0)
		return "the duration must be longer than 0s";
	burst = n;
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p < end) {
		if ((size_t)(end - p) < 6 || strncmp(p, "burst", 5) != 0 ||
		    !isspace((unsigned char)p[5]))
			return "expected \"burst B\" after the rate";
		p += 6;
		while (p < end && isspace((unsigned char)*p))
			p++;
		if ((err = bucket_number(&p, end, &burst)) != NULL)
			return err;
		if (burst == 0)
			return "a burst of 0 refuses everything";
		if (p != end)
			return "unexpected text after the burst";
	}
	if ((__int128)secs * 1000 * burst > (__int128)BUCKET_REFILL_MAX_MS * n)
		return "the bucket would take longer than 7 days to refill: "
		    "use a higher rate or a smaller burst";
	r->tokens = n;
	r->period_ms = (int64_t)secs * 1000;
	r->burst = burst;
	return NULL;
}

/* The rule as bucket_rule_parse() reads it ("300/1m burst 50"); a quota
 * as "N, not refilled". */
void
bucket_rule_format(const BUCKET_RULE *r, char *out, size_t outsize)
{
	char d[DURATION_FORMAT_MAX];

	if (r->period_ms == 0) {
		snprintf(out, outsize, "%lld, not refilled",
		    (long long)r->tokens);
		return;
	}
	duration_format(r->period_ms / 1000, d, sizeof(d));
	if (r->burst != r->tokens)
		snprintf(out, outsize, "%lld/%s burst %lld",
		    (long long)r->tokens, d, (long long)r->burst);
	else
		snprintf(out, outsize, "%lld/%s", (long long)r->tokens, d);
}

/* Microtokens there at now_ms (refilled, capped at the burst). */
static int64_t
bucket_refilled(const BUCKET *b, const BUCKET_RULE *r, int64_t now_ms)
{
	int64_t cap = r->burst * BUCKET_MICRO, dt, add;

	if (!b->used)
		return cap;
	if (r->period_ms == 0)		/* a quota: never refilled */
		return b->micro < cap ? b->micro : cap;
	dt = now_ms - b->at;
	if (dt <= 0)
		return b->micro < cap ? b->micro : cap;
	/* tokens * 1e6 * dt / period, without overflow for long idle times */
	if ((__int128)dt >= (__int128)r->period_ms * (2 * r->burst /
	    r->tokens + 1))
		return cap;		/* long enough to refill from -burst */
	add = (int64_t)((__int128)r->tokens * BUCKET_MICRO * dt /
	    r->period_ms);
	return b->micro + add < cap ? b->micro + add : cap;
}

int64_t
bucket_level(const BUCKET *b, const BUCKET_RULE *r, int64_t now_ms)
{
	return bucket_refilled(b, r, now_ms) / BUCKET_MICRO;
}

/*
 * Take n tokens: 0 when they were there (and are taken), else how many
 * milliseconds until they will be, counted from the bucket's own state
 * so that no rounding delays a token (at least 1; nothing is taken and
 * the bucket is left as it was; n above the burst never fits: the period
 * is returned).
 */
int64_t
bucket_take(BUCKET *b, const BUCKET_RULE *r, int64_t now_ms, int64_t n)
{
	int64_t have = bucket_refilled(b, r, now_ms), need = n * BUCKET_MICRO;
	int64_t base, at, wait;

	if (have >= need) {
		b->micro = have - need;
		if (!b->used || now_ms > b->at)
			b->at = now_ms;		/* never back in time */
		b->used = 1;
		b->taken += (uint64_t)n;
		return 0;
	}
	if (r->period_ms == 0)
		return BUCKET_NEVER;
	if (n > r->burst)
		return r->period_ms;
	base = b->used ? b->micro : r->burst * BUCKET_MICRO;
	at = b->used ? b->at : now_ms;
	wait = at + (int64_t)(((__int128)(need - base) * r->period_ms +
	    (__int128)r->tokens * BUCKET_MICRO - 1) /
	    ((__int128)r->tokens * BUCKET_MICRO)) - now_ms;
	return wait > 0 ? wait : 1;
}

/*
 * Take n tokens whatever is there (mail that a bucket counts but may not
 * hold back): the level may go below 0, down to minus the burst, a debt
 * that later takes wait out.
 */
void
bucket_charge(BUCKET *b, const BUCKET_RULE *r, int64_t now_ms, int64_t n)
{
	int64_t have = bucket_refilled(b, r, now_ms), floor = -r->burst *
	    BUCKET_MICRO;

	b->micro = have - n * BUCKET_MICRO > floor ? have - n * BUCKET_MICRO :
	    floor;
	if (!b->used || now_ms > b->at)
		b->at = now_ms;
	b->used = 1;
	b->taken += (uint64_t)n;
}

/* Give n tokens back (a message that took them did not go), up to the
 * burst. */
void
bucket_give(BUCKET *b, const BUCKET_RULE *r, int64_t now_ms, int64_t n)
{
	int64_t have = bucket_refilled(b, r, now_ms), cap = r->burst *
	    BUCKET_MICRO;

	b->micro = have + n * BUCKET_MICRO < cap ? have + n * BUCKET_MICRO :
	    cap;
	if (!b->used || now_ms > b->at)
		b->at = now_ms;
	b->used = 1;
	b->taken = b->taken > (uint64_t)n ? b->taken - (uint64_t)n : 0;
}

size_t
bucket_encode(const BUCKET *b, unsigned char *out)
{
	size_t vlen = 0;

	store_key_u8(out, BUCKET_VALUE_LEN, &vlen, BUCKET_VERSION);
	store_key_u64(out, BUCKET_VALUE_LEN, &vlen, (uint64_t)b->micro);
	store_key_u64(out, BUCKET_VALUE_LEN, &vlen, (uint64_t)b->at);
	store_key_u64(out, BUCKET_VALUE_LEN, &vlen, b->taken);
	store_key_u64(out, BUCKET_VALUE_LEN, &vlen, b->refused);
	store_key_u64(out, BUCKET_VALUE_LEN, &vlen, (uint64_t)b->refused_at);
	return vlen;
}

/* 0, or STORE_NOTFOUND for a damaged value (b zeroed: a full bucket). */
int
bucket_decode(const void *val, size_t vlen, BUCKET *b)
{
	const unsigned char *p = val;

	memset(b, 0, sizeof(*b));
	if (!(vlen == 17 && p[0] == 1) &&
	    !(vlen == BUCKET_VALUE_LEN && p[0] == BUCKET_VERSION))
		return STORE_NOTFOUND;
	b->used = 1;
	b->micro = (int64_t)store_get_u64(p + 1);
	b->at = (int64_t)store_get_u64(p + 9);
	if (vlen == BUCKET_VALUE_LEN) {
		b->taken = store_get_u64(p + 17);
		b->refused = store_get_u64(p + 25);
		b->refused_at = (int64_t)store_get_u64(p + 33);
	}
	return 0;
}

int
bucket_get(STORE_TXN *t, const char *name, BUCKET *b)
{
	const void *v;
	size_t vlen;
	int rc;

	memset(b, 0, sizeof(*b));
	if ((rc = store_get(t, STORE_DB_BUCKETS, name, strlen(name), &v,
	    &vlen)) != 0)
		return rc;
	return bucket_decode(v, vlen, b);
}

int
bucket_put(STORE_TXN *t, const char *name, const BUCKET *b)
{
	unsigned char v[BUCKET_VALUE_LEN];
	size_t vlen, n = strlen(name);

	if (n == 0 || n > BUCKET_NAME_MAX)
		return STORE_ERROR;
	vlen = bucket_encode(b, v);
	return store_put(t, STORE_DB_BUCKETS, name, n, v, vlen);
}

struct bucket_sweep_ctx {
	int64_t		 now;
	long		 budget, seen, ngone;
	char		(*gone)[BUCKET_NAME_MAX + 1];
	char		*cursor;
	int		 more;
};

static int
bucket_sweep_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *ctx)
{
	struct bucket_sweep_ctx *s = ctx;
	BUCKET b;

	if (klen == 0 || klen > BUCKET_NAME_MAX)
		return 0;		/* not a name we wrote */
	if (s->seen == s->budget) {
		memcpy(s->cursor, key, klen);
		s->cursor[klen] = '\0';
		s->more = 1;
		return 1;
	}
	s->seen++;
	if (bucket_decode(val, vlen, &b) != 0 ||
	    (s->now - b.at >= BUCKET_IDLE_MS &&
	    s->now - b.refused_at >= BUCKET_IDLE_MS)) {
		memcpy(s->gone[s->ngone], key, klen);
		s->gone[s->ngone++][klen] = '\0';
	}
	return 0;
}

/*
 * Remove buckets untouched for BUCKET_IDLE_MS (full again under any
 * rule) and damaged ones, looking at budget of them from cursor (a
 * name, "" at first; "" again when the round is over).  How many went,
 * or STORE_ERROR.
 */
long
bucket_sweep(STORE_TXN *t, int64_t now_ms, long budget, char *cursor)
{
	struct bucket_sweep_ctx s;
	long i;

	if (budget < 1)
		return 0;
	memset(&s, 0, sizeof(s));
	s.now = now_ms;
	s.budget = budget;
	s.cursor = cursor;
	s.gone = mem_alloc((size_t)budget * sizeof(*s.gone));
	if (store_scan(t, STORE_DB_BUCKETS, NULL, 0, cursor, strlen(cursor),
	    bucket_sweep_one, &s) != 0) {
		free(s.gone);
		return STORE_ERROR;
	}
	for (i = 0; i < s.ngone; i++)
		if (store_del(t, STORE_DB_BUCKETS, s.gone[i],
		    strlen(s.gone[i])) == STORE_ERROR) {
			free(s.gone);
			return STORE_ERROR;
		}
	free(s.gone);
	if (!s.more)
		cursor[0] = '\0';
	return s.ngone;
}
