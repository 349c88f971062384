/*
 * cluster.c - the cluster thread's life: start, the loop, the status it
 * keeps, losing the server and finding it again (see cluster.h).
 *
 * Owns: cluster_start(), cluster_stop(), the thread and its loop, the
 * status record's writing.
 *
 * The loop: connect if need be (cluster_link.c; then every second until
 * it works), send the outbox (cluster_push.c) until it is empty or a
 * frame is full, read the stream (cluster_pull.c), waiting up to
 * block_ms for news when there was nothing to send; once a second the
 * heartbeat and the status record.  cluster_lost() closes the
 * connection and logs the change of state once (not each failed retry).
 *
 * Must not: run on the mail path; hold its lock while it talks to the
 * server or the store.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/mem.h"
#include "base/panic.h"
#include "cluster/capply.h"
#include "cluster/cluster_int.h"
#include "common/log.h"
#include "store/store.h"

#define CLUSTER_RETRY_MS	1000

/* How long to wait before connecting again: at once after the first
 * failure, then 100 ms doubling to CLUSTER_RETRY_MS. */
static unsigned
cluster_backoff(const CLUSTER *cl)
{
	unsigned ms = 100;
	int i;

	if (cl->fails <= 1)
		return 0;
	for (i = 2; i < cl->fails && ms < CLUSTER_RETRY_MS; i++)
		ms *= 2;
	return ms < CLUSTER_RETRY_MS ? ms : CLUSTER_RETRY_MS;
}

static int
cluster_status_fn(STORE_TXN *t, void *ctx)
{
	return cstatus_put(t, ctx);
}

static void
cluster_status(CLUSTER *cl, int64_t now)
{
	char err[256];

	cl->st.updated = now / 1000;
	if (store_write(cl->store, cluster_status_fn, &cl->st, err,
	    sizeof(err)) != 0)
		msg_warn("cluster: cannot write the status: %s", err);
	cl->last_status = now;
}

/* Sleep up to ms, or until cluster_stop(); 1 when stopping. */
static int
cluster_wait(CLUSTER *cl, unsigned ms)
{
	struct timespec ts;
	int stop;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&cl->lock);
	while (!cl->stop && pthread_cond_timedwait(&cl->wake, &cl->lock,
	    &ts) != ETIMEDOUT)
		;
	stop = cl->stop;
	pthread_mutex_unlock(&cl->lock);
	return stop;
}

static int
cluster_stopping(CLUSTER *cl)
{
	int stop;

	pthread_mutex_lock(&cl->lock);
	stop = cl->stop;
	pthread_mutex_unlock(&cl->lock);
	return stop;
}

/* One turn of the loop, connected: 0, or -1 when the server was lost. */
static int
cluster_turn(CLUSTER *cl)
{
	SHAPE *sh;
	int64_t now;
	int sent = 0, rc, i;

	for (i = 0; i < 64 && (rc = cluster_push(cl)) == 1; i++)
		sent = 1;
	if (rc < 0)
		return -1;
	if (rc == 0 && cl->wait_upto == 0) {	/* the outbox is out */
		if (cl->catch_up_pending) {
			if (cluster_catch_up(cl) != 0)
				return -1;
			cl->catch_up_pending = 0;
		}
		(void)cluster_resync(cl);
	}
	if ((sh = cluster_shape(cl)) != NULL &&
	    (rc = cluster_lease(cl, sh)) != 0) {
		if (rc < 0)
			return -1;
		sent = 1;
	}
	/* shared buckets in use: leases are asked at least every 10 ms */
	if (cluster_pull(cl, sent ? 0 : sh != NULL && cluster_now_ms() -
	    shape_share_last_take(sh) < SHAPE_LEASE_BUSY_MS ?
	    CLUSTER_BUSY_BLOCK_MS : cl->o.block_ms) < 0)
		return -1;
	now = cluster_now_ms();
	if (now - cl->last_beat >= 1000) {
		if (cluster_beat(cl) != 0)
			return -1;
		cl->last_beat = now;
	}
	return 0;
}

static void *
cluster_thread(void *arg)
{
	CLUSTER *cl = arg;
	int64_t now, stop_at;
	SHAPE *sh;

	while (!cluster_stopping(cl)) {
		cluster_share(cl);	/* the shape's mode: set here alone */
		if (cl->r == NULL && cluster_link(cl) == 0)
			cluster_set_up(cl, 1);
		if (cl->r == NULL || cluster_turn(cl) != 0) {
			now = cluster_now_ms();
			if (now - cl->last_status >= 1000)
				cluster_status(cl, now);
			if (cluster_backoff(cl) > 0 &&
			    cluster_wait(cl, cluster_backoff(cl)))
				break;
			continue;
		}
		cl->fails = 0;
		now = cluster_now_ms();
		if (now - cl->last_status >= 1000)
			cluster_status(cl, now);
	}
	/* what is still in the outbox, and what the shared buckets owe: one
	 * last try, for a while */
	stop_at = cluster_now_ms() + CLUSTER_STOP_MS;
	while (cl->r != NULL && cluster_now_ms() < stop_at &&
	    cluster_push(cl) == 1)
		;
	if (cl->r != NULL && (sh = cluster_shape(cl)) != NULL)
		(void)cluster_lease(cl, sh);
	cl->st.up = 0;
	cluster_status(cl, cluster_now_ms());
	if (cl->r != NULL)
		redis_close(cl->r);
	cl->r = NULL;
	return NULL;
}

static int
cluster_load_fn(STORE_TXN *t, void *ctx)
{
	CLUSTER *cl = ctx;
	int rc = cstatus_get(t, &cl->st);

	if (rc == STORE_ERROR)
		memset(&cl->st, 0, sizeof(cl->st));
	cl->nodes = cl->st.nodes > 0 ? (unsigned)cl->st.nodes : 1;
	return capply_cursor(t, cl->cursor, sizeof(cl->cursor));
}

CLUSTER *
cluster_start(STORE *st, const CLUSTER_OPTS *o)
{
	CLUSTER *cl = mem_calloc(1, sizeof(*cl));
	pthread_condattr_t cattr;
	sigset_t all, old;
	char err[256], epoch[CSTATUS_TEXT_MAX];

	cl->store = st;
	cl->o = *o;
	if (cl->o.stream_max == 0)
		cl->o.stream_max = 100000;
	if (cl->o.block_ms == 0)
		cl->o.block_ms = 50;
	cl->was_up = -1;
	if (store_read(st, cluster_load_fn, cl, err, sizeof(err)) != 0)
		msg_warn("cluster: cannot read the last status: %s", err);
	snprintf(epoch, sizeof(epoch), "%s", cl->st.epoch);
	memset(&cl->st, 0, sizeof(cl->st));	/* counts since this start */
	snprintf(cl->st.epoch, sizeof(cl->st.epoch), "%s", epoch);
	snprintf(cl->st.node, sizeof(cl->st.node), "%s", o->set.node);
	cl->st.nodes = cl->nodes;
	pthread_mutex_init(&cl->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&cl->wake, &cattr);
	pthread_condattr_destroy(&cattr);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&cl->thread, NULL, cluster_thread, cl) != 0)
		panic_die("cannot start the cluster thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return cl;
}

void
cluster_stop(CLUSTER *cl)
{
	if (cl == NULL)
		return;
	pthread_mutex_lock(&cl->lock);
	cl->stop = 1;
	pthread_cond_signal(&cl->wake);
	pthread_mutex_unlock(&cl->lock);
	pthread_join(cl->thread, NULL);
	pthread_mutex_destroy(&cl->lock);
	pthread_cond_destroy(&cl->wake);
	redis_target_wipe(&cl->o.set.target);
	free(cl);
}
