/*
 * bucket.h - token buckets for rate limits: a rate and a burst.
 *
 *	BUCKET_RULE r;
 *	err = bucket_rule_parse("1000/1h burst 200", len, &r);
 *	bucket_rule_format(&r, text, sizeof(text));	the same text back
 *	BUCKET b = { 0 };			a new bucket is full
 *	wait = bucket_take(&b, &r, now_ms, 1);	0: taken; else the
 *						milliseconds until 1 token
 *						is there (nothing taken)
 *	bucket_level(&b, &r, now_ms)		tokens there now (below 0:
 *						a debt, see bucket_charge)
 *	bucket_charge(&b, &r, now_ms, n);	take n whatever is there
 *	bucket_give(&b, &r, now_ms, n);		put n back (up to the burst)
 *	rc = bucket_get(txn, name, &b);		0, STORE_NOTFOUND (b
 *						zeroed: full), STORE_ERROR
 *	rc = bucket_put(txn, name, &b);
 *	vlen = bucket_encode(&b, buf);		the stored form (BUCKET_VALUE_LEN)
 *	n = bucket_sweep(txn, now_ms, budget, cursor);	drop idle ones
 *
 * A rule "N/DURATION [burst B]" refills N tokens per DURATION evenly (to
 * the microtoken) and holds at most B (default N).  Tokens are kept in
 * millionths, times in milliseconds, so small rates over long periods
 * ("1/1d") refill exactly.  A refused take leaves the bucket as it was:
 * a refused message is not charged.  Time going backwards refills
 * nothing.  A rule with period_ms 0 is a quota: it never refills (a day's
 * warm-up limit lives in a bucket of its own for that day).  Buckets live
 * in STORE_DB_BUCKETS under their name (the caller's: "sender:KEY:bulk",
 * "domain:gmail.com"), with how many tokens were taken and how many takes
 * refused, for the operator.  A bucket untouched for BUCKET_IDLE_MS is
 * full again under any rule (rules must refill within a week) and is
 * swept away.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#ifndef REPGUARD_BUCKET_H
#define REPGUARD_BUCKET_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define BUCKET_MICRO		1000000LL	/* microtokens per token */
#define BUCKET_NAME_MAX		480		/* octets of a name */
#define BUCKET_VALUE_LEN	41		/* octets of the stored form */
#define BUCKET_REFILL_MAX_MS	(7LL * 86400 * 1000)	/* empty to full */
#define BUCKET_IDLE_MS		(8LL * 86400 * 1000)	/* then swept */
#define BUCKET_NEVER		INT64_MAX	/* a quota's wait: not today */

typedef struct {
	int64_t		 tokens;	/* N per period */
	int64_t		 period_ms;	/* 0: a quota, never refilled */
	int64_t		 burst;		/* capacity, in tokens */
} BUCKET_RULE;

typedef struct {
	int		 used;		/* 0: never taken from (full) */
	int64_t		 micro;		/* microtokens there at 'at' */
	int64_t		 at;		/* ms of the last refill */
	uint64_t	 taken;		/* tokens taken, ever */
	uint64_t	 refused;	/* takes refused, ever */
	int64_t		 refused_at;	/* ms of the last refusal, 0 none */
} BUCKET;

const char	*bucket_rule_parse(const char *buf, size_t len, BUCKET_RULE *);
void		 bucket_rule_format(const BUCKET_RULE *, char *out,
		    size_t outsize);
int64_t		 bucket_level(const BUCKET *, const BUCKET_RULE *,
		    int64_t now_ms);
int64_t		 bucket_take(BUCKET *, const BUCKET_RULE *, int64_t now_ms,
		    int64_t n);
void		 bucket_charge(BUCKET *, const BUCKET_RULE *, int64_t now_ms,
		    int64_t n);
void		 bucket_give(BUCKET *, const BUCKET_RULE *, int64_t now_ms,
		    int64_t n);
int		 bucket_get(STORE_TXN *, const char *name, BUCKET *);
int		 bucket_put(STORE_TXN *, const char *name, const BUCKET *);
size_t		 bucket_encode(const BUCKET *, unsigned char *out);
int		 bucket_decode(const void *val, size_t vlen, BUCKET *);
long		 bucket_sweep(STORE_TXN *, int64_t now_ms, long budget,
		    char *cursor);

#endif
