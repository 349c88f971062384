/*
 * cluster_link.c - connecting to the cluster's server: the counting
 * script, the server's epoch, and catching up (see cluster.h).
 *
 * Owns: cluster_link(), cluster_catch_up(), cluster_resync().
 *
 * The epoch is a value the first node to reach an empty server writes
 * there (SET NX): a server restarted without its data, or flushed, has
 * another one, or none until a node writes it.  A node that finds an
 * epoch other than the one it last saw (kept in its status record)
 * publishes its whole state again (cresync_publish()) and reads the
 * stream from its start, after the snapshot.
 *
 * Must not: apply anything of its own node, or leave a half-made
 * connection behind on failure.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/capply.h"
#include "cluster/cluster_int.h"
#include "cluster/cresync.h"
#include "common/log.h"
#include "store/store.h"

extern const char cluster_count_lua[];

struct snap {
	const REDIS_REPLY *states, *supp;
	const char	*cursor;
	int64_t		 now;
	long		 n, bad;
};

static int
snap_hash(STORE_TXN *t, struct snap *s, const REDIS_REPLY *h, int kind)
{
	CAPPLY_RESULT r;
	const char *v;
	size_t i, n = redis_reply_count(h), len;

	for (i = 1; i < n; i += 2) {
		if ((v = redis_reply_str(redis_reply_elem(h, i), &len)) ==
		    NULL)
			continue;
		if (capply_snapshot(t, kind, v, len, s->now, &r) != 0)
			return STORE_ERROR;
		if (r.outcome == CAPPLY_APPLIED)
			s->n++;
		else if (r.outcome == CAPPLY_BAD)
			s->bad++;
	}
	return 0;
}

static int
snap_fn(STORE_TXN *t, void *ctx)
{
	struct snap *s = ctx;

	s->n = s->bad = 0;
	if (snap_hash(t, s, s->states, STORE_CHANGE_STATE) != 0 ||
	    snap_hash(t, s, s->supp, STORE_CHANGE_SUPPRESS) != 0)
		return STORE_ERROR;
	return capply_set_cursor(t, s->cursor);
}

/* a < b, as stream ids "ms-seq" */
static int
link_id_before(const char *a, const char *b)
{
	unsigned long long am = strtoull(a, NULL, 10),
	    bm = strtoull(b, NULL, 10), as = 0, bs = 0;
	const char *d;

	if ((d = strchr(a, '-')) != NULL)
		as = strtoull(d + 1, NULL, 10);
	if ((d = strchr(b, '-')) != NULL)
		bs = strtoull(d + 1, NULL, 10);
	return am < bm || (am == bm && as < bs);
}

/*
 * Did the stream lose entries this node has not read?  From XINFO
 * STREAM: some were trimmed (entries-added beyond length) and the first
 * one left is past the cursor.  (It may be that only entries the node
 * had read were trimmed: then the snapshot is one more than needed.)
 */
static int
link_gap(const REDIS_REPLY *info, const char *cursor)
{
	long long length = -1, added = -1;
	char first[CAPPLY_CURSOR_MAX] = "", last[CAPPLY_CURSOR_MAX] = "";
	const char *f, *v, *cur = cursor[0] ? cursor : "0-0";
	size_t i, n = redis_reply_count(info), fl, vl;
	char *into;

	for (i = 0; i + 1 < n; i += 2) {
		f = redis_reply_str(redis_reply_elem(info, i), &fl);
		if (f == NULL)
			continue;
		into = NULL;
		if (fl == 6 && memcmp(f, "length", 6) == 0)
			length = redis_reply_int(redis_reply_elem(info, i + 1));
		else if (fl == 13 && memcmp(f, "entries-added", 13) == 0)
			added = redis_reply_int(redis_reply_elem(info, i + 1));
		else if (fl == 23 &&
		    memcmp(f, "recorded-first-entry-id", 23) == 0)
			into = first;
		else if (fl == 17 && memcmp(f, "last-generated-id", 17) == 0)
			into = last;
		if (into != NULL && (v = redis_reply_str(redis_reply_elem(info,
		    i + 1), &vl)) != NULL && vl < CAPPLY_CURSOR_MAX) {
			memcpy(into, v, vl);
			into[vl] = '\0';
		}
	}
	if (length < 0 || added <= length)
		return 0;		/* nothing was ever trimmed */
	if (length == 0)		/* all of it: anything after the cursor */
		return last[0] != '\0' && link_id_before(cur, last);
	return first[0] != '\0' && link_id_before(cur, first);
}

/*
 * Catch up: when the stream lost entries this node has not read (it was
 * away longer than the stream keeps, or it is new), apply the snapshot of
 * states and suppressions first.  Either way the node then reads on from
 * its cursor (from the start of what is left, with none): whatever the
 * stream still holds, counts, events and records included, is applied
 * (each change once).
 */
int
cluster_catch_up(CLUSTER *cl)
{
	struct snap s;
	REDIS_REPLY **rep, **snap;
	char err[512];
	size_t n, nsnap;
	CCMD c;

	ccmd_init(&c);
	ccmd_str(&c, "XINFO");
	ccmd_str(&c, "STREAM");
	ccmd_key(&c, cl, "stream");
	ccmd_send(&c, cl->r);
	if (cluster_exchange(cl, &rep, &n, err, sizeof(err)) != 0) {
		cluster_lost(cl, err);
		return -1;
	}
	if (n != 1 || redis_reply_type(rep[0]) != REDIS_R_ARRAY ||
	    !link_gap(rep[0], cl->cursor)) {
		redis_replies_free(rep, n);	/* no stream, or no gap */
		return 0;
	}
	redis_replies_free(rep, n);
	ccmd_str(&c, "HGETALL");
	ccmd_key(&c, cl, "states");
	ccmd_send(&c, cl->r);
	ccmd_str(&c, "HGETALL");
	ccmd_key(&c, cl, "suppress");
	ccmd_send(&c, cl->r);
	/* a large snapshot: more time than one reply */
	redis_set_timeout(cl->r, CLUSTER_SNAPSHOT_MS);
	if (cluster_exchange(cl, &snap, &nsnap, err, sizeof(err)) != 0) {
		cluster_lost(cl, err);
		return -1;
	}
	redis_set_timeout(cl->r, cl->o.set.target.timeout_ms);
	if (nsnap != 2 || redis_reply_type(snap[0]) != REDIS_R_ARRAY ||
	    redis_reply_type(snap[1]) != REDIS_R_ARRAY) {
		redis_replies_free(snap, nsnap);
		cluster_lost(cl, "catching up: unexpected answer");
		return -1;
	}
	memset(&s, 0, sizeof(s));
	s.states = snap[0];
	s.supp = snap[1];
	s.cursor = cl->cursor[0] ? cl->cursor : "0-0";
	s.now = cluster_now_ms() / 1000;
	if (store_write(cl->store, snap_fn, &s, err, sizeof(err)) != 0) {
		redis_replies_free(snap, nsnap);
		msg_warn("cluster: cannot apply the snapshot: %s", err);
		cluster_lost(cl, "snapshot not applied");
		return -1;
	}
	msg_info("cluster: the stream no longer holds all this node has not "
	    "read: caught up from the snapshot (%ld states and suppressions), "
	    "reading on from %s; counts the stream lost are not known here",
	    s.n, s.cursor);
	if (s.bad > 0)
		msg_warn("cluster: %ld entries of the snapshot did not parse, "
		    "skipped", s.bad);
	snprintf(cl->cursor, sizeof(cl->cursor), "%s", s.cursor);
	redis_replies_free(snap, nsnap);
	return 0;
}

static int
link_js_fn(STORE_TXN *t, void *ctx)
{
	return store_journal_stat(t, ctx);
}

static int
link_reread_fn(STORE_TXN *t, void *ctx)
{
	(void)ctx;
	return capply_set_cursor(t, "");
}

static int
link_resync_fn(STORE_TXN *t, void *ctx)
{
	return (*(long *)ctx = cresync_publish(t)) < 0 ? STORE_ERROR : 0;
}

/*
 * Publish this node's whole state again, if the server's epoch was new to
 * it or its outbox overflowed: from the cluster thread's turn, once the
 * outbox has been sent (a full outbox would drop what it publishes).
 * 0, or -1 (the store failed: tried again next turn).
 */
int
cluster_resync(CLUSTER *cl)
{
	STORE_JOURNAL_STAT js;
	char err[512];
	long n = 0;

	memset(&js, 0, sizeof(js));
	if (!cl->resync_wanted && (store_read(cl->store, link_js_fn, &js, err,
	    sizeof(err)) != 0 || !js.resync))
		return 0;
	if (store_write(cl->store, link_resync_fn, &n, err, sizeof(err)) !=
	    0) {
		msg_warn("cluster: cannot publish this node's state: %s", err);
		return -1;
	}
	msg_info("cluster: published this node's state again (%ld states and "
	    "suppressions)%s", n, cl->resync_wanted ? "" : ": the outbox had "
	    "overflowed");
	cl->resync_wanted = 0;
	cl->st.resyncs++;
	return 0;
}

/* A script's SHA1 from SCRIPT LOAD's answer: 1, or 0 if none. */
static int
link_sha(const REDIS_REPLY *r, char *sha, size_t size)
{
	const char *s;
	size_t len;

	if (redis_reply_type(r) != REDIS_R_STRING ||
	    (s = redis_reply_str(r, &len)) == NULL || len == 0 || len >= size)
		return 0;
	memcpy(sha, s, len);
	sha[len] = '\0';
	return 1;
}

/* The scripts, the epoch and the role, in one round trip: 0 or -1. */
static int
link_prepare(CLUSTER *cl, char *epoch, size_t size)
{
	REDIS_REPLY **rep;
	const char *s;
	char err[512], mine[160];
	size_t n, len;
	CCMD c;
	int have;

	snprintf(mine, sizeof(mine), "%s %" PRId64, cl->o.set.node,
	    cluster_now_ms());
	ccmd_init(&c);
	ccmd_str(&c, "SCRIPT");
	ccmd_str(&c, "LOAD");
	ccmd_str(&c, cluster_count_lua);
	ccmd_send(&c, cl->r);
	ccmd_str(&c, "SCRIPT");
	ccmd_str(&c, "LOAD");
	ccmd_str(&c, cluster_bucket_lua);
	ccmd_send(&c, cl->r);
	ccmd_str(&c, "SET");
	ccmd_key(&c, cl, "epoch");
	ccmd_str(&c, mine);
	ccmd_str(&c, "NX");
	ccmd_send(&c, cl->r);
	ccmd_str(&c, "GET");
	ccmd_key(&c, cl, "epoch");
	ccmd_send(&c, cl->r);
	ccmd_str(&c, "ROLE");
	ccmd_send(&c, cl->r);
	if (cluster_exchange(cl, &rep, &n, err, sizeof(err)) != 0) {
		cluster_lost(cl, err);
		return -1;
	}
	/* ROLE of a master: "master", offset, its replicas; a user not
	 * allowed ROLE gets an error: no replicas known, no WAIT */
	have = n == 5 ? (int)redis_reply_count(redis_reply_elem(rep[4], 2)) : 0;
	if (have > cl->replicas)
		cl->replicas = have;
	if (n != 5 || !link_sha(rep[0], cl->sha, sizeof(cl->sha)) ||
	    !link_sha(rep[1], cl->bucket_sha, sizeof(cl->bucket_sha)) ||
	    (s = redis_reply_str(rep[3], &len)) == NULL ||
	    redis_reply_type(rep[3]) != REDIS_R_STRING || len >= size) {
		snprintf(err, sizeof(err), "%s: SCRIPT LOAD or the epoch: "
		    "unexpected answer (is it Redis 7 or Valkey, and may this "
		    "user run scripts?)", redis_address(cl->r));
		redis_replies_free(rep, n);
		cluster_lost(cl, err);
		return -1;
	}
	s = redis_reply_str(rep[3], &len);
	memcpy(epoch, s, len);
	epoch[len] = '\0';
	redis_replies_free(rep, n);
	return 0;
}

int
cluster_link(CLUSTER *cl)
{
	char err[512], epoch[CSTATUS_TEXT_MAX];
	SHAPE *sh;

	cl->r = redis_connect(&cl->o.set.target, err, sizeof(err));
	if (cl->r == NULL) {
		cluster_lost(cl, err);
		return -1;
	}
	if (link_prepare(cl, epoch, sizeof(epoch)) != 0)
		return -1;
	if (strcmp(epoch, cl->st.epoch) != 0) {
		/* a server new to this node: read all it holds, and publish
		 * this node's state once the outbox is out (cluster_resync) */
		if (store_write(cl->store, link_reread_fn, NULL, err,
		    sizeof(err)) != 0) {
			msg_warn("cluster: cannot reset the stream's cursor: "
			    "%s", err);
			cluster_lost(cl, "the store failed");
			return -1;
		}
		if (cl->st.epoch[0] == '\0')
			msg_info("cluster: joining through %s (epoch \"%s\"): "
			    "reading the others' changes, then publishing this "
			    "node's state", redis_address(cl->r), epoch);
		else {
			msg_info("cluster: %s holds other data than this node "
			    "last saw (epoch \"%s\", was \"%s\": restarted "
			    "empty or flushed): reading all of it, then "
			    "publishing this node's state",
			    redis_address(cl->r), epoch, cl->st.epoch);
			if ((sh = cluster_shape(cl)) != NULL)
				msg_info("cluster: %zu shared buckets owe the "
				    "cluster what this node took of them "
				    "lately", shape_share_reseed(sh,
				    cluster_now_ms()));
		}
		cl->cursor[0] = '\0';
		cl->resync_wanted = 1;
		snprintf(cl->st.epoch, sizeof(cl->st.epoch), "%s", epoch);
	}
	/* after this node's outbox is out (cluster.c), so that the snapshot
	 * holds what this node changed while it was away */
	cl->catch_up_pending = 1;
	return 0;
}
