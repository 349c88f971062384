/*
 * cluster_link.c - connecting to the cluster's server: the counting
 * script, the server's epoch, and catching up (see cluster.h).
 *
 * Owns: cluster_link(), cluster_catch_up().
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

/* The id of the stream's first (XRANGE) or last (XREVRANGE) entry. */
static void
link_stream_end(const REDIS_REPLY *r, char *id, size_t size)
{
	const char *s;
	size_t len;

	id[0] = '\0';
	s = redis_reply_str(redis_reply_elem(redis_reply_elem(r, 0), 0), &len);
	if (s != NULL && len < size) {
		memcpy(id, s, len);
		id[len] = '\0';
	}
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

int
cluster_catch_up(CLUSTER *cl)
{
	struct snap s;
	REDIS_REPLY **rep;
	char err[512], first[CAPPLY_CURSOR_MAX], last[CAPPLY_CURSOR_MAX];
	size_t n;
	CCMD c;

	ccmd_init(&c);
	ccmd_str(&c, "XRANGE");
	ccmd_key(&c, cl, "stream");
	ccmd_str(&c, "-");
	ccmd_str(&c, "+");
	ccmd_str(&c, "COUNT");
	ccmd_str(&c, "1");
	ccmd_send(&c, cl->r);
	ccmd_str(&c, "XREVRANGE");
	ccmd_key(&c, cl, "stream");
	ccmd_str(&c, "+");
	ccmd_str(&c, "-");
	ccmd_str(&c, "COUNT");
	ccmd_str(&c, "1");
	ccmd_send(&c, cl->r);
	ccmd_str(&c, "HGETALL");
	ccmd_key(&c, cl, "states");
	ccmd_send(&c, cl->r);
	ccmd_str(&c, "HGETALL");
	ccmd_key(&c, cl, "suppress");
	ccmd_send(&c, cl->r);
	if (cluster_exchange(cl, &rep, &n, err, sizeof(err)) != 0) {
		cluster_lost(cl, err);
		return -1;
	}
	if (n != 4 || redis_reply_type(rep[0]) != REDIS_R_ARRAY ||
	    redis_reply_type(rep[2]) != REDIS_R_ARRAY ||
	    redis_reply_type(rep[3]) != REDIS_R_ARRAY) {
		redis_replies_free(rep, n);
		cluster_lost(cl, "catching up: unexpected answer");
		return -1;
	}
	link_stream_end(rep[0], first, sizeof(first));
	link_stream_end(rep[1], last, sizeof(last));
	if (cl->cursor[0] != '\0' && (first[0] == '\0' ||
	    !link_id_before(cl->cursor, first))) {
		redis_replies_free(rep, n);	/* nothing was trimmed away */
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.states = rep[2];
	s.supp = rep[3];
	s.cursor = last[0] ? last : "0-0";
	s.now = cluster_now_ms() / 1000;
	if (store_write(cl->store, snap_fn, &s, err, sizeof(err)) != 0) {
		redis_replies_free(rep, n);
		msg_warn("cluster: cannot apply the snapshot: %s", err);
		cluster_lost(cl, "snapshot not applied");
		return -1;
	}
	msg_info("cluster: caught up from the snapshot: %ld states and "
	    "suppressions%s; reading the stream from %s", s.n, cl->cursor[0] ?
	    " (the stream no longer holds what this node missed)" : "",
	    s.cursor);
	if (s.bad > 0)
		msg_warn("cluster: %ld entries of the snapshot did not parse, "
		    "skipped", s.bad);
	snprintf(cl->cursor, sizeof(cl->cursor), "%s", s.cursor);
	redis_replies_free(rep, n);
	return 0;
}

struct link_resync {
	long		 n;
	int		 reread;	/* read the stream from its start */
};

static int
link_resync_fn(STORE_TXN *t, void *ctx)
{
	struct link_resync *rs = ctx;

	if ((rs->n = cresync_publish(t)) < 0)
		return STORE_ERROR;
	return rs->reread ? capply_set_cursor(t, "") : 0;
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

struct link_js {
	STORE_JOURNAL_STAT	 js;
};

static int
link_js_fn(STORE_TXN *t, void *ctx)
{
	return store_journal_stat(t, &((struct link_js *)ctx)->js);
}

int
cluster_link(CLUSTER *cl)
{
	struct link_js j;
	struct link_resync rs;
	char err[512], epoch[CSTATUS_TEXT_MAX];
	SHAPE *sh;

	cl->r = redis_connect(&cl->o.set.target, err, sizeof(err));
	if (cl->r == NULL) {
		cluster_lost(cl, err);
		return -1;
	}
	if (link_prepare(cl, epoch, sizeof(epoch)) != 0)
		return -1;
	memset(&j, 0, sizeof(j));
	store_read(cl->store, link_js_fn, &j, err, sizeof(err));
	rs.n = 0;
	rs.reread = strcmp(epoch, cl->st.epoch) != 0;
	if (rs.reread || j.js.resync) {
		if (store_write(cl->store, link_resync_fn, &rs, err,
		    sizeof(err)) != 0) {
			msg_warn("cluster: cannot publish this node's state: "
			    "%s", err);
			cluster_lost(cl, "resync failed");
			return -1;
		}
		if (rs.reread && cl->st.epoch[0] == '\0')
			msg_info("cluster: joining through %s (epoch \"%s\"): "
			    "publishing this node's state (%ld entries), "
			    "reading the others'", redis_address(cl->r), epoch,
			    rs.n);
		else if (rs.reread)
			msg_info("cluster: %s holds other data than this node "
			    "last saw (epoch \"%s\", was \"%s\": restarted "
			    "empty or flushed): publishing this node's state "
			    "(%ld entries) and reading all of it",
			    redis_address(cl->r), epoch, cl->st.epoch, rs.n);
		else
			msg_info("cluster: the outbox overflowed while the "
			    "server was away: publishing this node's state "
			    "again (%ld entries)", rs.n);
		if (rs.reread)
			cl->cursor[0] = '\0';
		if (rs.reread && cl->st.epoch[0] != '\0' &&
		    (sh = cluster_shape(cl)) != NULL)
			msg_info("cluster: %zu shared buckets owe the cluster "
			    "what this node took of them lately",
			    shape_share_reseed(sh, cluster_now_ms()));
		snprintf(cl->st.epoch, sizeof(cl->st.epoch), "%s", epoch);
		cl->st.resyncs++;
	}
	if (cluster_catch_up(cl) != 0)
		return -1;
	return 0;
}
