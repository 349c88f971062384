/*
 * shape_share.c - the buckets shared by the nodes of a cluster, by leases
 * (see shape.h, "Shared").
 *
 * Owns: shape_share_set(), shape_lease_wants(), shape_lease_done(),
 * shape_share_reseed(): the cluster thread's side.  The takes themselves
 * (lease, credit, a node's share) are shape.c's, under the entry's shard
 * lock.
 *
 * Each bucket's truth is the cluster's (one bucket per name in Redis,
 * refilled by the same rule); a node holds a lease of it: tokens granted
 * in batches of shape_lease_size(), spent without asking.  Past its
 * lease a node takes on credit, up to one batch more (the debt, charged
 * to the cluster's bucket at the next exchange), unless the last answer
 * said that bucket was empty: then it refuses until the time the answer
 * said a token would be there.  So N nodes take at most N batches beyond
 * what the rule allows, and every token taken is charged in the end: the
 * bound stated in repguard.conf(5).  A bucket unused for
 * SHAPE_LEASE_IDLE_MS gives its lease back.  While the cluster is down a
 * node spends its lease, then its own share of the rule (tokens and
 * burst divided by the nodes last seen) in its local bucket, and owes
 * what it took: charged when the cluster is back.
 *
 * Must not: wait for the network (the cluster thread asks, and tells
 * shape_lease_done() the answer), or read the clock.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "shaping/bucket.h"
#include "shaping/shape.h"
#include "shaping/shape_int.h"

void
shape_share_set(SHAPE *sh, int mode, unsigned nodes)
{
	__atomic_store_n(&sh->nodes, nodes > 0 ? nodes : 1, __ATOMIC_RELAXED);
	__atomic_store_n(&sh->share, mode, __ATOMIC_RELAXED);
}

/*
 * What the cluster thread should ask for each bucket: charge the debt,
 * give back an idle bucket's lease, top up an active one below half a
 * batch.  Each bucket is asked for once at a time (asking); the amounts
 * asked are set aside until shape_lease_done().
 */
size_t
shape_lease_wants(SHAPE *sh, int64_t now_ms, SHAPE_LEASE *out, size_t max)
{
	unsigned nodes = __atomic_load_n(&sh->nodes, __ATOMIC_RELAXED);
	struct shape_shard *sd;
	struct shape_entry *e;
	struct shape_lease *l;
	size_t i, j, k, n = 0, start;
	int64_t w, surplus;
	int idle;

	/* from where the last call stopped: with more buckets asking than
	 * one call takes, every one is served in turn */
	start = __atomic_fetch_add(&sh->lease_turn, 1, __ATOMIC_RELAXED);
	for (k = 0; k < SHAPE_SHARDS && n < max; k++) {
		j = (start + k) % SHAPE_SHARDS;
		sd = &sh->shard[j];
		pthread_mutex_lock(&sd->lock);
		for (i = 0; i < sd->nslot && n < max; i++)
			for (e = sd->slot[i]; e != NULL && n < max;
			    e = e->next) {
				l = &e->sh;
				if (l->asking || e->rule.burst == 0)
					continue;
				w = shape_lease_size(&e->rule, nodes);
				idle = now_ms - l->used_ms >=
				    SHAPE_LEASE_IDLE_MS;
				/* more than a batch (the batch shrank as
				 * nodes joined, or tokens came back): the
				 * rest goes back */
				surplus = idle ? l->lease : l->lease > w ?
				    l->lease - w : 0;
				if (l->debt == 0 && surplus == 0 && (idle ||
				    2 * l->lease >= w ||
				    (l->dry && l->dry_until > now_ms)))
					continue;
				memset(&out[n], 0, sizeof(out[n]));
				snprintf(out[n].name, sizeof(out[n].name), "%s",
				    e->name);
				out[n].rule = e->rule;
				out[n].charge = l->debt;
				out[n].want = idle || l->lease >= w ? 0 :
				    w - l->lease;
				out[n].give = surplus;
				l->charging = l->debt;
				l->debt = 0;
				l->giving = surplus;
				l->lease -= surplus;
				l->asking = 1;
				n++;
			}
		pthread_mutex_unlock(&sd->lock);
	}
	return n;
}

/*
 * The cluster's answer to one request (or its failure, r->ok 0: what was
 * to be charged is owed again, what was to be given back is kept).
 */
void
shape_lease_done(SHAPE *sh, const SHAPE_LEASE *q, const SHAPE_LEASE_REPLY *r,
    int64_t now_ms)
{
	uint64_t h = shape_hash(q->name);
	struct shape_shard *sd = &sh->shard[SHAPE_SHARD(h)];
	struct shape_entry *e;
	struct shape_lease *l;

	pthread_mutex_lock(&sd->lock);
	for (e = sd->slot[h & (sd->nslot - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->name, q->name) == 0)
			break;
	if (e != NULL) {
		l = &e->sh;
		if (r->ok) {
			l->lease += r->granted;
			/* the cluster's bucket as the answer left it: under
			 * one token, no more credit until it refills */
			l->dry = r->level < 1;
			l->dry_until = l->dry ? now_ms + (r->wait_ms > 0 ?
			    r->wait_ms : SHAPE_LEASE_WAIT_MS) : 0;
		} else {
			l->debt += l->charging;
			l->lease += l->giving;
		}
		l->charging = l->giving = 0;
		l->asking = 0;
	}
	pthread_mutex_unlock(&sd->lock);
}

/*
 * The cluster's buckets were lost (its server restarted empty, or was
 * flushed): there they are full again.  Owe each what this node took of
 * it lately (its local bucket's deficit under the rule), so that once
 * every node has charged its own the cluster's buckets are where they
 * were.  How many buckets owe something.
 */
size_t
shape_share_reseed(SHAPE *sh, int64_t now_ms)
{
	struct shape_shard *sd;
	struct shape_entry *e;
	size_t i, j, n = 0;
	int64_t deficit;

	for (j = 0; j < SHAPE_SHARDS; j++) {
		sd = &sh->shard[j];
		pthread_mutex_lock(&sd->lock);
		for (i = 0; i < sd->nslot; i++)
			for (e = sd->slot[i]; e != NULL; e = e->next) {
				if (e->rule.burst == 0)
					continue;
				deficit = e->rule.burst - bucket_level(&e->b,
				    &e->rule, now_ms);
				if (deficit <= 0)
					continue;
				e->sh.debt += deficit;
				n++;
			}
		pthread_mutex_unlock(&sd->lock);
	}
	return n;
}
