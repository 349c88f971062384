/*
 * shape_int.h - what shape.c (the buckets in memory, and their shared
 * takes) and shape_share.c (the cluster thread's side of shared buckets)
 * share: the table and its entries.  Not for
 * other modules: they use shape.h.
 */
#ifndef REPGUARD_SHAPE_INT_H
#define REPGUARD_SHAPE_INT_H

#include <pthread.h>
#include <stdint.h>

#include "shaping/bucket.h"
#include "shaping/shape.h"

#define SHAPE_FORGET_MS	(600LL * 1000)	/* idle this long: dropped */
#define SHAPE_ITEMS_MAX	8		/* buckets in one take */
#define SHAPE_SHARDS	64		/* a power of two */
#define SHAPE_SHARD(h)	((size_t)((h) >> 58) & (SHAPE_SHARDS - 1))

/* Shared (shape_share.c): what this node holds of the cluster's bucket. */
struct shape_lease {
	int64_t			 lease;		/* tokens granted, not spent */
	int64_t			 debt;		/* spent beyond, to charge */
	int64_t			 charging, giving;	/* asked, not answered */
	int			 asking;	/* a request is out */
	int			 dry;		/* the cluster's bucket was
						 * empty at the last answer */
	int64_t			 dry_until;	/* ms: a token there again */
	int64_t			 used_ms;	/* the last take */
};

struct shape_entry {
	struct shape_entry	*next;
	uint64_t		 hash;
	BUCKET			 b;
	BUCKET_RULE		 rule;		/* the last one it was taken by */
	uint64_t		 refused_written;	/* b.refused, last written */
	int			 dirty;
	int64_t			 changed_ms;
	struct shape_lease	 sh;
	char			 name[];
};

struct shape_shard {
	pthread_mutex_t		 lock;
	struct shape_entry	**slot;
	size_t			 nslot, n;
	struct shape_entry	**dirty;
	size_t			 ndirty, dirtycap;
	uint64_t		*known;		/* hashes of names the store
						 * may hold; 0: empty slot */
	size_t			 nknown, knowncap;
};

struct SHAPE {
	STORE			*store;
	int			 complete;	/* known lists them all */
	int			 share;		/* SHAPE_LOCAL ...; atomic */
	unsigned		 nodes;		/* seen; atomic */
	int64_t			 shared_take_ms;	/* the last; atomic */
	size_t			 lease_turn;	/* shard to start at; atomic */
	struct shape_shard	 shard[SHAPE_SHARDS];
};

/* The shards a take locks, ascending, each once. */
struct shape_locks {
	size_t			 idx[SHAPE_ITEMS_MAX];
	size_t			 n;
};

#endif
