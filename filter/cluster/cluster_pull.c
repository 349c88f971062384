/*
 * cluster_pull.c - the stream in: the other nodes' frames, applied to the
 * store; and catching up from the snapshot (see cluster.h).
 *
 * Owns: cluster_pull().
 *
 * A read takes up to CLUSTER_READ_COUNT stream entries after the cursor
 * and applies them in one write transaction that also moves the cursor:
 * after a crash the node reads on from the last entry it applied.  The
 * node's own frames are passed over.  What the engine decided on the
 * cluster's counts, and every state another node set, is logged after
 * the transaction commits (a transaction may run more than once).
 *
 * Must not: trust an entry: a frame that does not parse is logged and
 * skipped (what came before it in the frame is applied), an entry
 * without a node or a frame is skipped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cluster/capply.h"
#include "cluster/cframe.h"
#include "cluster/cluster_int.h"
#include "common/log.h"
#include "reputation/sender.h"
#include "store/store.h"

#define PULL_NOTES	16	/* changes logged per read, at most */

struct pull_note {
	char		 node[CAPPLY_NODE_MAX + 1];
	CAPPLY_RESULT	 r;
	int		 state;		/* the state applied (STATE) */
};

struct pull {
	CLUSTER		*cl;
	const REDIS_REPLY *entries;	/* the stream's entries */
	REP_RULES	 rules;
	int		 have_rules;
	int64_t		 now;
	size_t		 max_entries;	/* 0: as many as fit the cap */
	/* results, reset at each run of the transaction */
	uint64_t	 applied;
	size_t		 changes;	/* changes looked at */
	char		 cursor[CAPPLY_CURSOR_MAX];
	struct pull_note notes[PULL_NOTES];
	size_t		 nnotes, more;
	char		 bad[256];
};

static const char *
pull_field(const REDIS_REPLY *fields, const char *name, size_t *len)
{
	size_t i, n = redis_reply_count(fields), fl;
	const char *f;

	for (i = 0; i + 1 < n; i += 2) {
		f = redis_reply_str(redis_reply_elem(fields, i), &fl);
		if (f != NULL && fl == strlen(name) && memcmp(f, name, fl) == 0)
			return redis_reply_str(redis_reply_elem(fields, i + 1),
			    len);
	}
	return NULL;
}

static void
pull_note(struct pull *p, const char *node, const CAPPLY_RESULT *r,
    const void *payload, size_t len)
{
	struct pull_note *n;
	SENDER_STATE s;
	char key[SENDER_KEY_MAX];

	if (p->nnotes == PULL_NOTES) {
		p->more++;
		return;
	}
	n = &p->notes[p->nnotes++];
	snprintf(n->node, sizeof(n->node), "%s", node);
	n->r = *r;
	n->state = -1;
	if (r->kind == STORE_CHANGE_STATE &&
	    sender_change_state(payload, len, key, sizeof(key), &s) == 0) {
		n->state = s.state;
		snprintf(n->r.change.why, sizeof(n->r.change.why), "%s",
		    s.reason);
	}
}

/* One frame of node's: 0 or STORE_ERROR. */
static int
pull_frame(STORE_TXN *t, struct pull *p, const char *node,
    const unsigned char *f, size_t flen)
{
	CFRAME_ENTRY e;
	CAPPLY_RESULT r;
	const char *err;
	size_t off = 0;

	memset(&e, 0, sizeof(e));
	while ((err = cframe_next(f, flen, &off, &e)) == NULL && e.p != NULL) {
		p->changes++;
		if (capply(t, p->have_rules ? &p->rules : NULL, node, e.seq,
		    e.kind, e.p, e.len, p->now, &r) != 0)
			return STORE_ERROR;
		if (r.outcome == CAPPLY_APPLIED)
			p->applied++;
		if ((r.outcome == CAPPLY_APPLIED && r.kind ==
		    STORE_CHANGE_STATE) || r.changed > 0)
			pull_note(p, node, &r, e.p, e.len);
	}
	if (err != NULL)
		snprintf(p->bad, sizeof(p->bad), "%s's frame: %s", node, err);
	return 0;
}

static int
pull_apply_fn(STORE_TXN *t, void *ctx)
{
	struct pull *p = ctx;
	const REDIS_REPLY *en, *fields;
	const char *id, *node, *frame;
	char name[CAPPLY_NODE_MAX + 1];
	size_t i, n, idl, nl, fl;

	p->applied = 0;
	p->changes = 0;
	p->nnotes = p->more = 0;
	p->bad[0] = '\0';
	p->cursor[0] = '\0';
	n = redis_reply_count(p->entries);
	if (p->max_entries > 0 && n > p->max_entries)
		n = p->max_entries;
	/* a transaction of about CLUSTER_TXN_CHANGES at most: the store's
	 * one writer is the mail path's too */
	for (i = 0; i < n && p->changes < CLUSTER_TXN_CHANGES; i++) {
		en = redis_reply_elem(p->entries, i);
		id = redis_reply_str(redis_reply_elem(en, 0), &idl);
		fields = redis_reply_elem(en, 1);
		if (id == NULL || idl >= sizeof(p->cursor) || fields == NULL)
			continue;
		memcpy(p->cursor, id, idl);
		p->cursor[idl] = '\0';
		node = pull_field(fields, "n", &nl);
		frame = pull_field(fields, "f", &fl);
		if (node == NULL || frame == NULL || nl == 0 ||
		    nl > CAPPLY_NODE_MAX || memchr(node, '\0', nl) != NULL)
			continue;
		memcpy(name, node, nl);
		name[nl] = '\0';
		if (strcmp(name, p->cl->o.set.node) == 0)
			continue;
		if (pull_frame(t, p, name, (const unsigned char *)frame,
		    fl) != 0)
			return STORE_ERROR;
	}
	if (p->cursor[0] != '\0' && capply_set_cursor(t, p->cursor) != 0)
		return STORE_ERROR;
	return 0;
}

static void
pull_log(const struct pull *p)
{
	const struct pull_note *n;
	size_t i;

	for (i = 0; i < p->nnotes; i++) {
		n = &p->notes[i];
		if (n->r.kind == STORE_CHANGE_STATE)
			msg_info("cluster: sender %s is %s (from node %s: %s)",
			    n->r.sender, sender_state_name(n->state), n->node,
			    n->r.change.why);
		else
			msg_info("cluster: sender %s %s -> %s on the cluster's "
			    "counts (%s)", n->r.sender,
			    sender_state_name(n->r.change.from),
			    sender_state_name(n->r.change.to), n->r.change.why);
	}
	if (p->more > 0)
		msg_info("cluster: and %zu more changes of state", p->more);
	if (p->bad[0] != '\0')
		msg_warn("cluster: skipped the rest of %s", p->bad);
}

/* Milliseconds of a stream id ("1700000000000-3"). */
static int64_t
pull_id_ms(const char *id)
{
	return strtoll(id, NULL, 10);
}

static int
pull_skip_fn(STORE_TXN *t, void *ctx)
{
	return capply_set_cursor(t, ctx);
}

/* The first entry of a read, which the store refused twice: passed over
 * (logged), so that the changes after it are applied. */
static void
pull_skip(CLUSTER *cl, struct pull *p, const char *why)
{
	const REDIS_REPLY *en = redis_reply_elem(p->entries, 0);
	const char *id;
	char cur[CAPPLY_CURSOR_MAX], err[256];
	size_t idl;

	id = redis_reply_str(redis_reply_elem(en, 0), &idl);
	if (id == NULL || idl >= sizeof(cur))
		return;
	memcpy(cur, id, idl);
	cur[idl] = '\0';
	if (store_write(cl->store, pull_skip_fn, cur, err, sizeof(err)) != 0) {
		msg_warn("cluster: cannot apply the others' changes: %s", err);
		return;
	}
	msg_warn("cluster: skipped stream entry %s, which this node's store "
	    "refuses (%s)", cur, why);
	snprintf(cl->cursor, sizeof(cl->cursor), "%s", cur);
}

int
cluster_pull(CLUSTER *cl, unsigned block_ms)
{
	struct pull *p;
	REDIS_REPLY **rep;
	const REDIS_REPLY *streams;
	char err[512];
	size_t n;
	CCMD cmd;
	int got = 0, rc;

	ccmd_init(&cmd);
	ccmd_str(&cmd, "XREAD");
	ccmd_str(&cmd, "COUNT");
	ccmd_u64(&cmd, CLUSTER_READ_COUNT);
	if (block_ms > 0) {
		ccmd_str(&cmd, "BLOCK");
		ccmd_u64(&cmd, block_ms);
	}
	ccmd_str(&cmd, "STREAMS");
	ccmd_key(&cmd, cl, "stream");
	ccmd_str(&cmd, cl->cursor[0] ? cl->cursor : "0-0");
	ccmd_send(&cmd, cl->r);
	if (block_ms > 0)
		redis_set_timeout(cl->r, (int)block_ms +
		    (cl->o.set.target.timeout_ms > CLUSTER_BLOCK_SLACK_MS ?
		    cl->o.set.target.timeout_ms : CLUSTER_BLOCK_SLACK_MS));
	cl->st.roundtrips++;
	rc = redis_exchange(cl->r, &rep, &n, err, sizeof(err));
	if (block_ms > 0 && rc == 0)
		redis_set_timeout(cl->r, cl->o.set.target.timeout_ms);
	if (rc != 0) {
		cluster_lost(cl, err);
		return -1;
	}
	if (n != 1 || redis_reply_type(rep[0]) == REDIS_R_ERROR) {
		snprintf(err, sizeof(err), "XREAD: unexpected answer");
		redis_replies_free(rep, n);
		cluster_lost(cl, err);
		return -1;
	}
	streams = redis_reply_elem(rep[0], 0);	/* NIL: nothing new */
	if (streams != NULL && redis_reply_elem(streams, 1) != NULL) {
		p = mem_calloc(1, sizeof(*p));
		p->cl = cl;
		p->entries = redis_reply_elem(streams, 1);
		p->have_rules = cluster_rules(cl, &p->rules);
		p->now = cluster_now_ms() / 1000;
		got = (int)redis_reply_count(p->entries);
		rc = store_write(cl->store, pull_apply_fn, p, err, sizeof(err));
		if (rc != 0 && !store_unwritable(cl->store)) {
			/* one entry at a time: an entry the store cannot take
			 * (it would block every later one) is skipped; a
			 * full disk is waited out instead */
			p->max_entries = 1;
			rc = store_write(cl->store, pull_apply_fn, p, err,
			    sizeof(err));
			if (rc != 0)
				pull_skip(cl, p, err);
		} else if (rc != 0)
			msg_warn("cluster: cannot apply the others' changes: "
			    "%s", err);
		if (rc == 0) {
			if (p->cursor[0] != '\0') {
				snprintf(cl->cursor, sizeof(cl->cursor), "%s",
				    p->cursor);
				cl->st.lag_ms = cluster_now_ms() -
				    pull_id_ms(p->cursor);
				if (cl->st.lag_ms < 0)
					cl->st.lag_ms = 0;
			}
			cl->st.applied += p->applied;
			pull_log(p);
		} else
			got = 0;
		free(p);
	} else
		cl->st.lag_ms = 0;
	redis_replies_free(rep, n);
	return got;
}
