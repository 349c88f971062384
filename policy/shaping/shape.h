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
 * Shared (shape_share.c), with Cluster: shape_share_set(sh, mode, nodes)
 * makes every bucket the cluster's, by leases (SHAPE_SHARED_UP), or, with
 * the cluster away, a node's lease then its share of each rule
 * (SHAPE_SHARED_DOWN); the cluster thread asks shape_lease_wants() what
 * to charge, lease and give back, and tells shape_lease_done() each
 * answer.  A shared take never waits for the network.
 * shape_share_reseed() owes the cluster what this node took lately of
 * each bucket, when the cluster lost its buckets.  The bound: N
 * nodes let through at most N x shape_lease_size() tokens beyond what
 * the rule allows the cluster (what is taken beyond a lease is charged
 * to the cluster's bucket later, so the rate holds over time).
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

/* Shared (shape_share.c). */
enum shape_share {
	SHAPE_LOCAL,		/* no cluster: the buckets are this node's */
	SHAPE_SHARED_UP,	/* leases from the cluster's buckets */
	SHAPE_SHARED_DOWN	/* the cluster away: leases, then a share */
};
#define SHAPE_LEASE_MAX		100	/* tokens leased at a time, at most */
#define SHAPE_LEASE_IDLE_MS	5000	/* unused this long: lease back */
#define SHAPE_LEASE_WAIT_MS	100	/* a refusal's wait for a lease */
#define SHAPE_LEASE_BUSY_MS	1000	/* takes this recent: ask often */

typedef struct {
	char		 name[BUCKET_NAME_MAX + 1];
	BUCKET_RULE	 rule;
	int64_t		 charge;	/* tokens taken on credit */
	int64_t		 want;		/* tokens to lease */
	int64_t		 give;		/* tokens given back */
} SHAPE_LEASE;

typedef struct {
	int		 ok;		/* the cluster answered */
	int64_t		 granted;
	int64_t		 wait_ms;	/* under a token: until there is one */
	int64_t		 level;		/* tokens left in the cluster's bucket
					   (below 0: its debt) */
} SHAPE_LEASE_REPLY;

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
void		 shape_share_set(SHAPE *, int mode, unsigned nodes);
int64_t		 shape_lease_size(const BUCKET_RULE *, unsigned nodes);
size_t		 shape_lease_wants(SHAPE *, int64_t now_ms, SHAPE_LEASE *,
		    size_t max);
void		 shape_lease_done(SHAPE *, const SHAPE_LEASE *,
		    const SHAPE_LEASE_REPLY *, int64_t now_ms);
size_t		 shape_share_reseed(SHAPE *, int64_t now_ms);
int64_t		 shape_share_last_take(const SHAPE *);

#endif
