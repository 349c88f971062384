/*
 * shape.h - the daemon's token buckets, in memory: taken without waiting
 * for the store's writer, read from the store on first use, written back
 * in the tally's batches.
 *
 *	SHAPE *sh = shape_new(store);
 *	rc = shape_load_names(sh, err, sizeof(err));	once, at start: which
 *						buckets the store holds
 *	SHAPE_ITEM it[] = {
 *		{ "sender:alice:bulk", &bulk_rule, 0 },
 *		{ "relay", &relay_rule, 1 },		soft: counted, never
 *	};						refuses
 *	rc = shape_take(sh, it, 2, 1, now_ms, &res);
 *		0: one token taken from each;
 *		SHAPE_LIMITED: it[res.which] has too few, res.wait_ms until
 *		it has (BUCKET_NEVER: a quota), nothing taken, the refusal
 *		counted on that bucket;
 *		STORE_ERROR: res.err (nothing taken)
 *	rc = shape_peek(sh, it, 2, 1, now_ms, &res);	the same answer,
 *						nothing taken or counted
 *	shape_give(sh, it, 2, 1, now_ms);	a message that took and then
 *						did not go gives its tokens back
 *	shape_queue(sh, tally, now_ms, 0);	buckets whose tokens changed
 *						(not full again) or with a new
 *						refusal, to the tally's batch
 *	shape_queue(sh, tally, now_ms, 1);	every changed bucket (now and
 *						then, and at a stop: counts)
 *	shape_sweep(sh, now_ms);		forget buckets full and idle
 *	shape_free(sh);
 *
 * All or nothing: a take that one bucket refuses takes from none, so a
 * refused message is charged nowhere.  One lock guards the table; a
 * bucket not in memory is read from the store with the lock released,
 * and only if the store may hold it (after shape_load_names(), the
 * table knows the hashes of the names the store holds and of those it
 * has handed to the tally since, so a bucket never seen costs no read).
 * The table is the truth while the daemon runs; the store lags by one
 * tally interval (what `repguardctl limits` shows) and a crash loses at
 * most that interval's takes.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#ifndef REPGUARD_SHAPE_H
#define REPGUARD_SHAPE_H

#include <stddef.h>
#include <stdint.h>

#include "shaping/bucket.h"
#include "store/store.h"
#include "reputation/tally.h"

#define SHAPE_LIMITED	2

typedef struct SHAPE SHAPE;

typedef struct {
	const char		*name;
	const BUCKET_RULE	*rule;
	int			 soft;	/* take what is there, never refuse */
} SHAPE_ITEM;

typedef struct {
	size_t		 which;		/* the item that refused */
	int64_t		 wait_ms;	/* until it has the tokens */
	int64_t		 level;		/* its tokens now */
	char		 err[256];	/* STORE_ERROR: why */
} SHAPE_RESULT;

SHAPE		*shape_new(STORE *);
uint64_t	 shape_hash(const char *name);
int		 shape_load_names(SHAPE *, char *err, size_t errlen);
void		 shape_free(SHAPE *);
int		 shape_take(SHAPE *, const SHAPE_ITEM *, size_t n, int64_t tokens,
		    int64_t now_ms, SHAPE_RESULT *);
int		 shape_peek(SHAPE *, const SHAPE_ITEM *, size_t n,
		    int64_t tokens, int64_t now_ms, SHAPE_RESULT *);
void		 shape_give(SHAPE *, const SHAPE_ITEM *, size_t n, int64_t tokens,
		    int64_t now_ms);
void		 shape_queue(SHAPE *, TALLY *, int64_t now_ms, int all);
size_t		 shape_sweep(SHAPE *, int64_t now_ms);
size_t		 shape_size(SHAPE *);

#endif
