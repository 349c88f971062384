/*
 * bucket.h - token buckets for rate limits: a rate and a burst.
 *
 *	BUCKET_RULE r;
 *	err = bucket_rule_parse("1000/1h burst 200", len, &r);
 *	BUCKET b = { 0 };			a new bucket is full
 *	wait = bucket_take(&b, &r, now_ms, 1);	0: taken; else the
 *						milliseconds until 1 token
 *						is there (nothing taken)
 *	bucket_level(&b, &r, now_ms)		tokens there now
 *	rc = bucket_get(txn, name, &b);		0, STORE_NOTFOUND (b
 *						zeroed: full), STORE_ERROR
 *	rc = bucket_put(txn, name, &b);
 *
 * A rule "N/DURATION [burst B]" refills N tokens per DURATION evenly (to
 * the microtoken) and holds at most B (default N).  Tokens are kept in
 * millionths, times in milliseconds, so small rates over long periods
 * ("1/1d") refill exactly.  A refused take leaves the bucket as it was:
 * a refused message is not charged.  Time going backwards refills
 * nothing.  Buckets live in STORE_DB_BUCKETS under
 * their name (the caller's: "sender:KEY:bulk", "domain:gmail.com").
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#ifndef REPGUARD_BUCKET_H
#define REPGUARD_BUCKET_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define BUCKET_MICRO		1000000LL	/* microtokens per token */
#define BUCKET_NAME_MAX		480		/* octets of a name */

typedef struct {
	int64_t		 tokens;	/* N per period */
	int64_t		 period_ms;
	int64_t		 burst;		/* capacity, in tokens */
} BUCKET_RULE;

typedef struct {
	int		 used;		/* 0: never taken from (full) */
	int64_t		 micro;		/* microtokens there at 'at' */
	int64_t		 at;		/* ms of the last refill */
} BUCKET;

const char	*bucket_rule_parse(const char *buf, size_t len, BUCKET_RULE *);
int64_t		 bucket_level(const BUCKET *, const BUCKET_RULE *,
		    int64_t now_ms);
int64_t		 bucket_take(BUCKET *, const BUCKET_RULE *, int64_t now_ms,
		    int64_t n);
int		 bucket_get(STORE_TXN *, const char *name, BUCKET *);
int		 bucket_put(STORE_TXN *, const char *name, const BUCKET *);

#endif
