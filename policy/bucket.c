/*
 * bucket.c - token buckets (see bucket.h).
 *
 * Owns: bucket_rule_parse(), bucket_level(), bucket_take(), bucket_get(),
 * bucket_put().
 *
 * Layout (STORE_DB_BUCKETS, key = the bucket's name):
 *	value = u8 version (1), u64 microtokens, u64 ms of the last refill
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bucket.h"
#include "duration.h"

#define BUCKET_VERSION	1
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
	r->tokens = n;
	r->period_ms = (int64_t)secs * 1000;
	r->burst = burst;
	return NULL;
}

/* Microtokens there at now_ms (refilled, capped at the burst). */
static int64_t
bucket_refilled(const BUCKET *b, const BUCKET_RULE *r, int64_t now_ms)
{
	int64_t cap = r->burst * BUCKET_MICRO, dt, add;

	if (!b->used)
		return cap;
	dt = now_ms - b->at;
	if (dt <= 0)
		return b->micro < cap ? b->micro : cap;
	/* tokens * 1e6 * dt / period, without overflow for long idle times */
	if ((__int128)dt >= (__int128)r->period_ms * (r->burst / r->tokens + 1))
		return cap;
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
		return 0;
	}
	if (n > r->burst)
		return r->period_ms;
	base = b->used ? b->micro : r->burst * BUCKET_MICRO;
	at = b->used ? b->at : now_ms;
	wait = at + (int64_t)(((__int128)(need - base) * r->period_ms +
	    (__int128)r->tokens * BUCKET_MICRO - 1) /
	    ((__int128)r->tokens * BUCKET_MICRO)) - now_ms;
	return wait > 0 ? wait : 1;
}

int
bucket_get(STORE_TXN *t, const char *name, BUCKET *b)
{
	const void *v;
	const unsigned char *p;
	size_t vlen;
	int rc;

	memset(b, 0, sizeof(*b));
	if ((rc = store_get(t, STORE_DB_BUCKETS, name, strlen(name), &v,
	    &vlen)) != 0)
		return rc;
	p = v;
	if (vlen != 17 || p[0] != BUCKET_VERSION)
		return STORE_NOTFOUND;		/* damaged: a full bucket */
	b->used = 1;
	b->micro = (int64_t)store_get_u64(p + 1);
	b->at = (int64_t)store_get_u64(p + 9);
	return 0;
}

int
bucket_put(STORE_TXN *t, const char *name, const BUCKET *b)
{
	unsigned char v[17];
	size_t vlen = 0, n = strlen(name);

	if (n == 0 || n > BUCKET_NAME_MAX)
		return STORE_ERROR;
	store_key_u8(v, sizeof(v), &vlen, BUCKET_VERSION);
	store_key_u64(v, sizeof(v), &vlen, (uint64_t)b->micro);
	store_key_u64(v, sizeof(v), &vlen, (uint64_t)b->at);
	return store_put(t, STORE_DB_BUCKETS, name, n, v, vlen);
}
