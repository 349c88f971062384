/*
 * cluster.h - this node's link with the other relays of a cluster: one
 * background thread that sends the store's journal to Redis and applies
 * the other nodes' changes to the store.
 *
 *	CLUSTER_OPTS o = { .set = *conf_cluster(conf) };
 *	CLUSTER *cl = cluster_start(store, &o);
 *	cluster_set_rules(cl, &rules);		at start and each reload
 *						(NULL: Reputation no)
 *	cluster_set_shape(cl, shape);		the token buckets to share
 *						(policy/shaping/shape.h,
 *						"Shared")
 *	if (!cluster_up(cl)) ...		ClusterOnDown tempfail
 *	cluster_stop(cl);			sends what it can, stops
 *
 * The mail path never waits for it: decisions read the local store, to
 * which the thread applies what the others decide.  The thread:
 *   - connects (through the sentinels for a sentinel target), and after
 *     a loss tries again every second; each change of state (up, down,
 *     the server new or emptied) is logged once;
 *   - sends the outbox in frames, one round trip for a frame and the
 *     cluster-wide counters it adds to, and acknowledges what the server
 *     took (store.h, "The journal": nothing is lost while it is away);
 *   - reads the stream of every node's frames and applies the others'
 *     (policy/cluster/capply.c), in one transaction per read with its
 *     position, so a crash neither skips nor repeats one;
 *   - catches up from the snapshot of states and suppressions when it
 *     has no position or the stream was trimmed past it, and publishes
 *     its own whole state when the server is new to it (its epoch
 *     changed: restarted empty, flushed) or its outbox overflowed;
 *   - keeps the shared buckets' leases topped up, charged and given
 *     back (cluster_lease.c), and tells the shape whether the cluster is
 *     up and how many nodes it has (a node's share while it is down);
 *   - says it is alive once a second (the nodes hash, whose fresh
 *     heartbeats count the nodes) and writes its status to the store
 *     (policy/cluster/cstatus.h).
 *
 * Must not: be called from the mail path but for cluster_up(); block
 * the caller of anything but cluster_stop().
 */
#ifndef REPGUARD_CLUSTER_H
#define REPGUARD_CLUSTER_H

#include <stdint.h>

#include "cluster/cluster_settings.h"
#include "reputation/reputation.h"
#include "shaping/shape.h"
#include "store/store.h"

typedef struct {
	CLUSTER_SETTINGS set;		/* Cluster, ClusterName, NodeName ... */
	uint64_t	 stream_max;	/* frames the stream keeps; 0: 100000 */
	unsigned	 block_ms;	/* a read waits at most; 0: 50 */
} CLUSTER_OPTS;

typedef struct CLUSTER CLUSTER;

CLUSTER		*cluster_start(STORE *, const CLUSTER_OPTS *);
void		 cluster_set_rules(CLUSTER *, const REP_RULES *);
void		 cluster_set_shape(CLUSTER *, SHAPE *);
int		 cluster_up(const CLUSTER *);
void		 cluster_stop(CLUSTER *);

#endif
