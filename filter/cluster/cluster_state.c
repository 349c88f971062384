/*
 * cluster_state.c - the cluster thread's state that its parts share: the
 * clock, the rules and the shape handed in, and whether the server is up
 * (see cluster.h).
 *
 * Owns: cluster_now_ms(), cluster_rules(), cluster_set_rules(),
 * cluster_set_shape(), cluster_shape(), cluster_share(), cluster_up(),
 * cluster_set_up(), cluster_lost().  Below cluster.c (the loop) and the
 * parts it runs (link, push, pull, lease), which all call it; it calls
 * none of them.  cluster_lost() closes the connection and says a change
 * of state once (down only after CLUSTER_DOWN_AFTER failures in a row).
 *
 * Must not: talk to the server (but to close a lost connection) or the
 * store.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "cluster/cluster_int.h"
#include "common/log.h"

int64_t
cluster_now_ms(void)
{
	return clock_now_ms();	/* the milter's clock: leases compare both */
}

int
cluster_rules(CLUSTER *cl, REP_RULES *out)
{
	int have;

	pthread_mutex_lock(&cl->lock);
	have = cl->have_rules;
	if (have)
		*out = cl->rules;
	pthread_mutex_unlock(&cl->lock);
	return have;
}

void
cluster_set_rules(CLUSTER *cl, const REP_RULES *r)
{
	pthread_mutex_lock(&cl->lock);
	cl->have_rules = r != NULL;
	if (r != NULL)
		cl->rules = *r;
	pthread_mutex_unlock(&cl->lock);
}

void
cluster_set_shape(CLUSTER *cl, SHAPE *sh)
{
	pthread_mutex_lock(&cl->lock);
	cl->shape = sh;
	pthread_mutex_unlock(&cl->lock);
}

SHAPE *
cluster_shape(CLUSTER *cl)
{
	SHAPE *sh;

	pthread_mutex_lock(&cl->lock);
	sh = cl->shape;
	pthread_mutex_unlock(&cl->lock);
	return sh;
}

/* Tell the shape how the cluster stands: up (leases) or down (a share of
 * each rule among the nodes last seen). */
void
cluster_share(CLUSTER *cl)
{
	SHAPE *sh = cluster_shape(cl);

	if (sh != NULL)
		shape_share_set(sh, __atomic_load_n(&cl->up,
		    __ATOMIC_RELAXED) ? SHAPE_SHARED_UP : SHAPE_SHARED_DOWN,
		    __atomic_load_n(&cl->nodes, __ATOMIC_RELAXED));
}

int
cluster_up(const CLUSTER *cl)
{
	return cl != NULL && __atomic_load_n(&cl->up, __ATOMIC_RELAXED);
}

void
cluster_set_up(CLUSTER *cl, int up)
{
	char where[REDIS_TARGET_TEXT_MAX];

	__atomic_store_n(&cl->up, up, __ATOMIC_RELAXED);
	cluster_share(cl);
	if (cl->was_up == up && (!up || strcmp(cl->st.address,
	    redis_address(cl->r)) == 0))
		return;		/* (up at another address: said) */
	cl->st.up = up;
	cl->st.since = cluster_now_ms() / 1000;
	if (up) {
		snprintf(cl->st.address, sizeof(cl->st.address), "%s",
		    redis_address(cl->r));
		cl->st.error[0] = '\0';
		msg_info("cluster: up: node %s of cluster %s, at %s",
		    cl->o.set.node, cl->o.set.name, cl->st.address);
		if (cl->was_up == 0)
			cl->st.reconnects++;
	} else {
		redis_target_text(&cl->o.set.target, where, sizeof(where));
		msg_warn("cluster: down: %s; deciding on this node's own "
		    "state, keeping what the others must learn in the outbox "
		    "(target %s)", cl->st.error, where);
	}
	cl->was_up = up;
}

/*
 * The connection failed: close it.  Down (logged, ClusterOnDown) only
 * after CLUSTER_DOWN_AFTER failures in a row: one late answer on a busy
 * machine is a reconnect, not an outage.
 */
void
cluster_lost(CLUSTER *cl, const char *why)
{
	snprintf(cl->st.error, sizeof(cl->st.error), "%s", why);
	if (cl->r != NULL) {
		redis_close(cl->r);
		cl->r = NULL;
	}
	cl->wait_upto = 0;	/* unacknowledged: sent again, whole */
	if (++cl->fails >= CLUSTER_DOWN_AFTER || cl->was_up != 1)
		cluster_set_up(cl, 0);
}

