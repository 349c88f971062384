/*
 * cluster_push.c - the outbox out: frames to the stream, counts to the
 * cluster-wide counters, states and suppressions to the snapshot (see
 * cluster.h).
 *
 * Owns: cluster_push(), cluster_beat().
 *
 * One push reads up to CLUSTER_FRAME_ENTRIES entries from the outbox,
 * sends in one pipeline the counting script for each count and event,
 * the snapshot's HSET or HDEL for each state and suppression, and the
 * frame (XADD), then acknowledges the entries once every reply came (and,
 * when the master has replicas, once one of them has them: WAIT).  A
 * push that fails is sent again whole: the script counts each (node,
 * seq) once per sender and each event once; the other nodes apply each
 * (node, seq) once.
 *
 * Must not: acknowledge an entry whose frame the server did not take.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cluster/cchange.h"
#include "cluster/cframe.h"
#include "cluster/ckey.h"
#include "cluster/cluster_int.h"
#include "common/log.h"
#include "store/store.h"

struct push {
	CLUSTER		*cl;
	CFRAME		 f;
	size_t		 cmds;		/* appended */
};

/* The counting script: see ckey.h for the keys. */
const char cluster_count_lua[] =
	"local last = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')\n"
	"if tonumber(ARGV[2]) <= last then return 0 end\n"
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
	"redis.call('EXPIRE', KEYS[1], ARGV[4])\n"
	"if ARGV[5] == '1' and not redis.call('SET', KEYS[4], ARGV[1], 'NX',"
	" 'EX', ARGV[4]) then return 2 end\n"
	"for i = 6, #ARGV, 2 do\n"
	"  local v = tonumber(ARGV[i + 1])\n"
	"  for k = 2, 3 do\n"
	"    redis.call('HINCRBY', KEYS[k], ARGV[i], v)\n"
	"    redis.call('HINCRBY', KEYS[k], ARGV[1] .. '/' .. ARGV[i], v)\n"
	"  end\n"
	"end\n"
	"redis.call('EXPIRE', KEYS[2], ARGV[3])\n"
	"redis.call('EXPIRE', KEYS[3], ARGV[4])\n"
	"return 1\n";

static void
push_count(struct push *p, uint64_t seq, const CCHANGE *c)
{
	CLUSTER *cl = p->cl;
	char what[96], hex[2 * BEVENT_ID_LEN + 1];
	CCMD cmd;
	int i;

	ccmd_init(&cmd);
	ccmd_str(&cmd, "EVALSHA");
	ccmd_str(&cmd, cl->sha);
	ccmd_str(&cmd, "4");
	ccmd_sender_key(&cmd, cl, c->sender, "seq");
	ckey_bucket(60, c->when, what, sizeof(what));
	ccmd_sender_key(&cmd, cl, c->sender, what);
	ckey_bucket(3600, c->when, what, sizeof(what));
	ccmd_sender_key(&cmd, cl, c->sender, what);
	for (i = 0; i < BEVENT_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->event[i]);
	snprintf(what, sizeof(what), "ev:%s", hex);
	ccmd_sender_key(&cmd, cl, c->sender, what);
	ccmd_str(&cmd, cl->o.set.node);
	ccmd_u64(&cmd, seq);
	ccmd_u64(&cmd, CLUSTER_MINUTE_TTL);
	ccmd_u64(&cmd, CLUSTER_HOUR_TTL);
	ccmd_str(&cmd, c->kind == STORE_CHANGE_EVENT ? "1" : "0");
	for (i = 0; i < SENDER_COUNTERS; i++)
		if (c->counts.n[i] != 0) {
			ccmd_str(&cmd, ckey_counter_name(i));
			ccmd_u64(&cmd, c->counts.n[i]);
		}
	if (ccmd_send(&cmd, cl->r) == 0)
		p->cmds++;
}

/* The snapshot a new node starts from: states and suppressions. */
static void
push_snapshot(struct push *p, const CCHANGE *c, const void *payload,
    size_t len)
{
	CLUSTER *cl = p->cl;
	size_t sl = strlen(c->sender), al = strlen(c->addr);
	char *field = mem_alloc(sl + 1 + al + 1);
	CCMD cmd;

	ccmd_init(&cmd);
	memcpy(field, c->sender, sl + 1);
	memcpy(field + sl + 1, c->addr, al + 1);
	if (c->kind == STORE_CHANGE_STATE) {
		ccmd_str(&cmd, "HSET");
		ccmd_key(&cmd, cl, "states");
		ccmd_bin(&cmd, c->sender, sl);
		ccmd_bin(&cmd, payload, len);
	} else {
		ccmd_str(&cmd, c->kind == STORE_CHANGE_SUPPRESS ? "HSET" :
		    "HDEL");
		ccmd_key(&cmd, cl, "suppress");
		ccmd_bin(&cmd, field, sl + 1 + al);
		if (c->kind == STORE_CHANGE_SUPPRESS)
			ccmd_bin(&cmd, payload, len);
	}
	if (ccmd_send(&cmd, cl->r) == 0)
		p->cmds++;
	free(field);
}

static int
push_entry_cb(uint64_t seq, int kind, const void *payload, size_t len,
    void *ctx)
{
	struct push *p = ctx;
	CCHANGE c;

	if (cframe_add(&p->f, seq, kind, payload, len) != 0)
		return 1;		/* full: the rest goes next time */
	if (cchange_read(kind, payload, len, &c) != 0)
		return 0;		/* travels, counted nowhere */
	if ((kind == STORE_CHANGE_COUNT || kind == STORE_CHANGE_EVENT) &&
	    c.sender[0] != '\0')
		push_count(p, seq, &c);
	else if (kind == STORE_CHANGE_STATE || kind == STORE_CHANGE_SUPPRESS ||
	    kind == STORE_CHANGE_UNSUPPRESS)
		push_snapshot(p, &c, payload, len);
	return 0;
}

static int
push_read_fn(STORE_TXN *t, void *ctx)
{
	struct push *p = ctx;

	return store_journal_read(t, 0, p->cl->frame_max, push_entry_cb, ctx);
}

static int
push_ack_fn(STORE_TXN *t, void *ctx)
{
	return store_journal_ack(t, *(uint64_t *)ctx);
}

/* Every reply an answer (an error reply fails the push). */
static int
push_check(CLUSTER *cl, REDIS_REPLY **rep, size_t n, char *err,
    size_t errlen)
{
	const char *s;
	size_t i, len;

	for (i = 0; i < n; i++) {
		if (redis_reply_type(rep[i]) != REDIS_R_ERROR)
			continue;
		s = redis_reply_str(rep[i], &len);
		snprintf(err, errlen, "%s: %.*s", redis_address(cl->r),
		    (int)(len > 200 ? 200 : len), s ? s : "error");
		if (redis_reply_is_error(rep[i], "NOSCRIPT"))
			cl->sha[0] = '\0';	/* load it again */
		return -1;
	}
	return 0;
}

/*
 * WAIT's answer for what was pushed up to cl->wait_upto: 1 a replica has
 * it (or the master has been without one for CLUSTER_WAIT_GIVE_UP_MS:
 * taken as it is, said once), 0 not yet: the entries stay in the outbox
 * and the next turn asks WAIT again, while pulling and leasing go on.  A
 * failover shows itself soon after as a lost connection (the old master,
 * a replica now, refuses writes), and then everything unacknowledged is
 * sent again to the new master (each change counted once there).
 */
static int
push_waited(CLUSTER *cl, long long acked)
{
	int64_t now = cluster_now_ms();

	if (acked >= 1) {
		if (cl->waiting)
			msg_info("cluster: a replica of %s takes the changes "
			    "again", redis_address(cl->r));
		cl->wait_failing = 0;
		cl->waiting = 0;
		return 1;
	}
	if (cl->wait_failing == 0)
		cl->wait_failing = now;
	if (now - cl->wait_failing >= CLUSTER_WAIT_GIVE_UP_MS) {
		msg_warn("cluster: %s has had no replica for %lld s: changes "
		    "are taken without one from now on",
		    redis_address(cl->r), (long long)(now - cl->wait_failing) /
		    1000);
		cl->replicas = 0;
		cl->wait_failing = 0;
		cl->waiting = 0;
		return 1;
	}
	if (!cl->waiting)
		msg_warn("cluster: no replica of %s took the last changes "
		    "within %d ms (a failover?): keeping them until one has "
		    "them", redis_address(cl->r), CLUSTER_WAIT_MS);
	cl->waiting = 1;
	return 0;
}

static void
push_ack(CLUSTER *cl, uint64_t upto)
{
	char err[512];

	if (store_write(cl->store, push_ack_fn, &upto, err, sizeof(err)) != 0)
		msg_warn("cluster: cannot acknowledge the outbox (it will be "
		    "sent again, and counted once): %s", err);
	cl->wait_upto = 0;
}

/* A push waiting for a replica: ask WAIT again.  0, 1 acked, -1 lost. */
static int
push_rewait(CLUSTER *cl)
{
	REDIS_REPLY **rep;
	char err[512];
	size_t n;
	CCMD cmd;
	int rc;

	ccmd_init(&cmd);
	ccmd_str(&cmd, "WAIT");
	ccmd_str(&cmd, "1");
	ccmd_u64(&cmd, CLUSTER_WAIT_MS);
	ccmd_send(&cmd, cl->r);
	redis_set_timeout(cl->r, CLUSTER_WAIT_MS + CLUSTER_BLOCK_SLACK_MS);
	rc = cluster_exchange(cl, &rep, &n, err, sizeof(err));
	if (rc != 0) {
		cluster_lost(cl, err);
		return -1;
	}
	redis_set_timeout(cl->r, cl->o.set.target.timeout_ms);
	rc = n == 1 && push_waited(cl, redis_reply_int(rep[0]));
	redis_replies_free(rep, n);
	if (rc)
		push_ack(cl, cl->wait_upto);
	return rc;
}

/* How long a push's replies may take: ClusterTimeout, and a share for each
 * command of its pipeline (a busy server runs them all before the first
 * reply leaves). */
static int
push_timeout(const CLUSTER *cl, size_t cmds)
{
	uint64_t ms = (uint64_t)cl->o.set.target.timeout_ms +
	    cmds * CLUSTER_REPLY_US / 1000;

	if (cl->replicas > 0)
		ms += CLUSTER_WAIT_MS;
	return ms > CLUSTER_SNAPSHOT_MS ? CLUSTER_SNAPSHOT_MS : (int)ms;
}

/*
 * Send the outbox's first entries: 1 sent (and acknowledged, or waiting
 * for a replica), 0 nothing to send (or still waiting), -1 lost.  A push
 * that times out is sent again smaller (the frame halves down to
 * CLUSTER_FRAME_MIN entries, and grows back after pushes that worked):
 * a server that cannot keep up with a large frame takes smaller ones.
 */
int
cluster_push(CLUSTER *cl)
{
	struct push p;
	REDIS_REPLY **rep;
	char err[512];
	size_t n;
	CCMD cmd;
	int rc;

	if (cl->wait_upto != 0)
		return push_rewait(cl) > 0 ? 1 : cl->r == NULL ? -1 : 0;
	if (cl->frame_max == 0)
		cl->frame_max = CLUSTER_FRAME_ENTRIES;
	memset(&p, 0, sizeof(p));
	p.cl = cl;
	cframe_init(&p.f, CFRAME_DEFAULT_MAX);
	err[0] = '\0';
	if (store_read(cl->store, push_read_fn, &p, err, sizeof(err)) != 0) {
		msg_warn("cluster: cannot read the outbox: %s", err);
		cframe_free(&p.f);
		if (p.cmds > 0) {
			/* what was appended must not go without its frame */
			cluster_lost(cl, "outbox unreadable");
			return -1;
		}
		return 0;
	}
	if (p.f.n == 0) {
		cframe_free(&p.f);
		return 0;
	}
	ccmd_init(&cmd);
	ccmd_str(&cmd, "XADD");
	ccmd_key(&cmd, cl, "stream");
	ccmd_str(&cmd, "MAXLEN");
	ccmd_str(&cmd, "~");
	ccmd_u64(&cmd, cl->o.stream_max);
	ccmd_str(&cmd, "*");
	ccmd_str(&cmd, "n");
	ccmd_str(&cmd, cl->o.set.node);
	ccmd_str(&cmd, "f");
	ccmd_bin(&cmd, p.f.buf, p.f.len);
	ccmd_send(&cmd, cl->r);
	if (cl->replicas > 0) {
		/* a master with replicas: the frame counts as taken once a
		 * replica has it too, so a failover loses none of it */
		ccmd_str(&cmd, "WAIT");
		ccmd_str(&cmd, "1");
		ccmd_u64(&cmd, CLUSTER_WAIT_MS);
		ccmd_send(&cmd, cl->r);
	}
	redis_set_timeout(cl->r, push_timeout(cl, p.cmds + 2));
	rc = cluster_exchange(cl, &rep, &n, err, sizeof(err));
	if (rc == 0) {
		redis_set_timeout(cl->r, cl->o.set.target.timeout_ms);
		rc = push_check(cl, rep, n, err, sizeof(err));
		if (rc == 0 && cl->replicas > 0 && n > 0 &&
		    !push_waited(cl, redis_reply_int(rep[n - 1]))) {
			/* kept until a replica has it: WAIT again next turn */
			cl->wait_upto = p.f.last;
			redis_replies_free(rep, n);
			cframe_free(&p.f);
			return 0;
		}
		redis_replies_free(rep, n);
	}
	if (rc != 0) {
		cframe_free(&p.f);
		if (cl->frame_max / 2 >= CLUSTER_FRAME_MIN)
			cl->frame_max /= 2;
		cluster_lost(cl, err);
		return -1;
	}
	push_ack(cl, p.f.last);
	if (cl->frame_max < CLUSTER_FRAME_ENTRIES)
		cl->frame_max *= 2;
	cl->st.pushed += p.f.n;
	cl->st.frames++;
	cframe_free(&p.f);
	return 1;
}

struct beat {
	STORE_JOURNAL_STAT	 js;
};

static int
beat_fn(STORE_TXN *t, void *ctx)
{
	return store_journal_stat(t, &((struct beat *)ctx)->js);
}

/* The nodes with a fresh heartbeat (at least this one): a node's share of
 * each bucket while the cluster is down is the rule over these. */
static void
beat_nodes(CLUSTER *cl, const REDIS_REPLY *h)
{
	int64_t now = cluster_now_ms() / 1000;
	size_t i, cnt = redis_reply_count(h), len;
	unsigned n = 0;
	const char *v;
	char t[32];

	for (i = 1; i < cnt; i += 2) {
		if ((v = redis_reply_str(redis_reply_elem(h, i), &len)) ==
		    NULL)
			continue;
		snprintf(t, sizeof(t), "%.*s", (int)(len < sizeof(t) ? len :
		    sizeof(t) - 1), v);
		if (now - strtoll(t, NULL, 10) <= CLUSTER_NODE_FRESH_S)
			n++;
	}
	if (n == 0)
		n = 1;
	if (n != __atomic_load_n(&cl->nodes, __ATOMIC_RELAXED)) {
		__atomic_store_n(&cl->nodes, n, __ATOMIC_RELAXED);
		cl->st.nodes = n;
		cluster_share(cl);
	}
}

/*
 * Alive, once a second: the nodes hash; and the server's epoch, asked in
 * the same round trip: gone or another (the server restarted empty, or
 * was flushed) is a reconnect, whose link publishes this node's state.
 */
int
cluster_beat(CLUSTER *cl)
{
	struct beat b;
	REDIS_REPLY **rep;
	const char *ep;
	char err[512], val[CKEY_BEAT_MAX];
	CKEY_BEAT hb;
	size_t n, len;
	CCMD cmd;
	int rc;

	memset(&b, 0, sizeof(b));
	store_read(cl->store, beat_fn, &b, err, sizeof(err));
	hb.time = cluster_now_ms() / 1000;
	hb.depth = b.js.depth;
	hb.lag_ms = cl->st.lag_ms;
	hb.rtt_us = cl->st.rtt_us;
	ckey_beat_format(&hb, val, sizeof(val));
	ccmd_init(&cmd);
	ccmd_str(&cmd, "HSET");
	ccmd_key(&cmd, cl, "nodes");
	ccmd_str(&cmd, cl->o.set.node);
	ccmd_str(&cmd, val);
	ccmd_send(&cmd, cl->r);
	ccmd_str(&cmd, "GET");
	ccmd_key(&cmd, cl, "epoch");
	ccmd_send(&cmd, cl->r);
	ccmd_str(&cmd, "HGETALL");
	ccmd_key(&cmd, cl, "nodes");
	ccmd_send(&cmd, cl->r);
	rc = cluster_exchange(cl, &rep, &n, err, sizeof(err));
	if (rc == 0) {
		rc = push_check(cl, rep, n, err, sizeof(err));
		if (rc == 0 && n == 3)
			beat_nodes(cl, rep[2]);
		ep = n == 3 ? redis_reply_str(rep[1], &len) : NULL;
		if (rc == 0 && (ep == NULL || len != strlen(cl->st.epoch) ||
		    memcmp(ep, cl->st.epoch, len) != 0)) {
			snprintf(err, sizeof(err), "%s: its data changed (epoch "
			    "%s): restarted empty or flushed",
			    redis_address(cl->r), ep == NULL ? "gone" :
			    "another");
			rc = -1;
			cl->fails = CLUSTER_DOWN_AFTER;	/* say it */
		}
		redis_replies_free(rep, n);
	}
	if (rc != 0) {
		cluster_lost(cl, err);
		return -1;
	}
	return 0;
}
