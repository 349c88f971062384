/*
 * test_capply.c - unit tests for the store's journal (policy/store/
 * journal.c), what the modules journal (tally, sender states,
 * suppressions, bounce events, records) and policy/cluster/capply.c,
 * which applies one node's changes to another's store.
 *
 * Three real LMDB stores stand for three nodes: what node A journals is
 * read from its outbox and applied to B (and C) as the cluster would,
 * then acknowledged.  Covers: the journal off, on, held, read in order,
 * acknowledged, bounded (dropped, resync); a tally batch as one count per
 * sender and minute; counts, pauses, resumes, suppressions added and
 * lifted reaching the other node; a replayed change applied once; an
 * older state left out; the same event through two nodes counted once;
 * the engine on B pausing on counts from A, and its pause journalled
 * while what it applied is not; every truncation of every change refused
 * or applied without harm.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "cluster/capply.h"
#include "cluster/cresync.h"
#include "cluster/cstatus.h"
#include "reputation/reputation.h"
#include "reputation/sender.h"
#include "reputation/suppress.h"
#include "reputation/tally.h"
#include "retpath/bevent.h"
#include "retpath/rprecord.h"
#include "store/store.h"
#include "tap.h"

#define T0	1795860000LL
#define NODES	3

static STORE *node[NODES];
static char dirs[NODES][64];

struct change {
	uint64_t	 seq;
	int		 kind;
	unsigned char	*p;
	size_t		 len;
};

struct outbox {
	struct change	 c[4096];
	size_t		 n;
};

static int
collect_cb(uint64_t seq, int kind, const void *p, size_t len, void *ctx)
{
	struct outbox *o = ctx;
	struct change *c;

	if (o->n == sizeof(o->c) / sizeof(o->c[0]))
		return 1;
	c = &o->c[o->n++];
	c->seq = seq;
	c->kind = kind;
	c->p = mem_alloc(len + 1);
	memcpy(c->p, p, len);
	c->len = len;
	return 0;
}

static int
collect_fn(STORE_TXN *t, void *ctx)
{
	return store_journal_read(t, 0, 4096, collect_cb, ctx);
}

static void
outbox_free(struct outbox *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->c[i].p);
	o->n = 0;
}

struct apply {
	struct outbox	*o;
	const char	*from;
	const REP_RULES	*rules;
	int64_t		 now;
	int		 outcomes[CAPPLY_OUTCOMES];
	int		 changed;
	CAPPLY_RESULT	 last;
};

static int
apply_fn(STORE_TXN *t, void *ctx)
{
	struct apply *a = ctx;
	size_t i;

	memset(a->outcomes, 0, sizeof(a->outcomes));
	a->changed = 0;
	for (i = 0; i < a->o->n; i++) {
		struct change *c = &a->o->c[i];

		if (capply(t, a->rules, a->from, c->seq, c->kind, c->p,
		    c->len, a->now, &a->last) != 0)
			return STORE_ERROR;
		a->outcomes[a->last.outcome]++;
		a->changed += a->last.changed > 0;
	}
	return 0;
}

static uint64_t ack_upto;

static int
ack_fn(STORE_TXN *t, void *ctx)
{
	(void)ctx;
	return store_journal_ack(t, ack_upto);
}

/* Node 'from' journalled; node 'to' applies it all (keeping the outbox
 * in o, unacknowledged, when keep is set). */
static void
ship(int from, int to, struct apply *a, struct outbox *o, int keep)
{
	static const char *const names[NODES] = { "a", "b", "c" };
	char err[256];

	outbox_free(o);
	if (store_read(node[from], collect_fn, o, err, sizeof(err)) != 0)
		tap_ok(0, "read the outbox of %s: %s", names[from], err);
	a->o = o;
	a->from = names[from];
	if (store_write(node[to], apply_fn, a, err, sizeof(err)) != 0)
		tap_ok(0, "apply to %s: %s", names[to], err);
	if (!keep && o->n > 0) {
		ack_upto = o->c[o->n - 1].seq;
		if (store_write(node[from], ack_fn, NULL, err,
		    sizeof(err)) != 0)
			tap_ok(0, "ack: %s", err);
	}
}

static STORE_JOURNAL_STAT jstat;

static int
stat_fn(STORE_TXN *t, void *ctx)
{
	(void)ctx;
	return store_journal_stat(t, &jstat);
}

static STORE_JOURNAL_STAT
journal_stat(int n)
{
	char err[256];

	memset(&jstat, 0, sizeof(jstat));
	if (store_read(node[n], stat_fn, NULL, err, sizeof(err)) != 0)
		tap_ok(0, "journal stat: %s", err);
	return jstat;
}

/* --- small transactions ------------------------------------------------ */

struct op {
	const char	*key, *addr, *scope;
	SENDER_COUNTS	 c;
	SENDER_STATE	 s;
	SUPPRESS_ENTRY	 e;
	BEVENT		 ev;
	int64_t		 now, when;
	int		 rc, hold, kind;
};

static int
count_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;
	int was = 0;

	if (o->hold)
		was = store_journal_hold(t, 1);
	o->rc = sender_count(t, o->key, &o->c, o->now);
	if (o->hold)
		store_journal_hold(t, was);
	return sender_journal_count(t, o->key, &o->c, o->now - o->now % 60);
}

static int
record_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;
	RPRECORD r;

	o->rc = rprecord_get(t, (uint64_t)o->now, &r);
	if (o->rc == 0 && (strcmp(r.sender, "alice") != 0 || r.nrcpts != 1))
		o->rc = -2;
	rprecord_clear(&r);
	return 0;
}

static int
window_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	return sender_window(t, o->key, 3600, o->now, &o->c);
}

static SENDER_COUNTS
window(int n, const char *key, int64_t now)
{
	struct op o = { .key = key, .now = now };
	char err[256];

	if (store_read(node[n], window_fn, &o, err, sizeof(err)) != 0)
		tap_ok(0, "window: %s", err);
	return o.c;
}

static int
supp_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	if (o->kind == 1) {
		int was = store_journal_hold(t, o->hold);

		o->rc = suppress_put(t, o->scope, o->addr, &o->e);
		store_journal_hold(t, was);
		return o->rc;
	}
	if (o->kind == 2) {
		o->rc = suppress_del(t, o->scope, o->addr);
		return 0;
	}
	o->rc = suppress_check(t, o->scope, o->addr, o->now, &o->e);
	return 0;
}

static int
suppressed(int n, const char *addr)
{
	struct op o = { .scope = "alice", .addr = addr, .now = T0 + 100 };
	char err[256];

	if (store_read(node[n], supp_fn, &o, err, sizeof(err)) != 0)
		tap_ok(0, "suppress_check: %s", err);
	return o.rc == 0;
}

static SENDER_STATE
state(int n, const char *key)
{
	SENDER_STATE s;
	char err[256];

	if (sender_lookup(node[n], key, &s, err, sizeof(err)) == STORE_ERROR)
		tap_ok(0, "sender_lookup: %s", err);
	return s;
}

static int
event_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	o->rc = bevent_put(t, &o->ev);
	if (o->rc != 0)
		return 0;
	if (sender_count_at(t, o->ev.sender, &o->c, o->when, o->now) != 0)
		return STORE_ERROR;
	return bevent_journal(t, &o->ev, o->when, &o->c);
}

/* ------------------------------------------------------------------------ */

static void
test_journal_basics(void)
{
	struct op o = { .key = "alice", .now = T0 };
	STORE_JOURNAL_STAT js;
	char err[256];

	o.c.n[SENDER_MESSAGES] = 1;
	store_journal_start(node[0], 0);
	store_write(node[0], count_fn, &o, err, sizeof(err));
	js = journal_stat(0);
	tap_ok(js.depth == 0 && js.bytes == 0, "journal off: nothing kept "
	    "(depth %llu)", (unsigned long long)js.depth);

	store_journal_start(node[0], 1 << 20);
	o.hold = 1;
	store_write(node[0], count_fn, &o, err, sizeof(err));
	js = journal_stat(0);
	tap_int((int)js.depth, 1, "journal on: the held count is not "
	    "journalled, the explicit one is");
	o.hold = 0;
	store_write(node[0], count_fn, &o, err, sizeof(err));
	js = journal_stat(0);
	tap_ok(js.depth == 2 && js.first == 1 && js.last == 2,
	    "entries numbered from 1 in order (first %llu last %llu)",
	    (unsigned long long)js.first, (unsigned long long)js.last);
	ack_upto = 1;
	store_write(node[0], ack_fn, NULL, err, sizeof(err));
	js = journal_stat(0);
	tap_ok(js.depth == 1 && js.first == 2 && js.bytes > 0,
	    "ack drops up to its seq, keeps the rest");
	ack_upto = 2;
	store_write(node[0], ack_fn, NULL, err, sizeof(err));
	js = journal_stat(0);
	tap_ok(js.depth == 0 && js.bytes == 0 && js.first == 0,
	    "ack of all: empty, no bytes");

	/* bounded: a tiny outbox drops and asks for a resync */
	store_journal_start(node[0], 150);
	store_write(node[0], count_fn, &o, err, sizeof(err));
	store_write(node[0], count_fn, &o, err, sizeof(err));
	js = journal_stat(0);
	tap_ok(js.depth == 1 && js.dropped == 1 && js.resync,
	    "over its size: the entry is dropped, counted, resync asked "
	    "(depth %llu dropped %llu)", (unsigned long long)js.depth,
	    (unsigned long long)js.dropped);
	ack_upto = js.last;
	store_write(node[0], ack_fn, NULL, err, sizeof(err));
	store_journal_start(node[0], 64 << 20);
}

static void
test_counts(void)
{
	struct outbox *o = mem_calloc(1, sizeof(*o));
	struct apply a = { .now = T0 + 30 };
	TALLY *ty;
	SENDER_COUNTS w;
	STORE_JOURNAL_STAT js;
	int i;

	ty = tally_start(node[0], 1000, NULL, NULL);
	{
		RPRECORD r;
		unsigned char key[RPRECORD_KEY_LEN], *val = mem_alloc(4096);
		size_t n;

		memset(&r, 0, sizeof(r));
		r.created = T0;
		r.expires = T0 + 86400;
		snprintf(r.sender, sizeof(r.sender), "alice");
		snprintf(r.from, sizeof(r.from), "alice@a.example");
		rprecord_add(&r, "bob@b.example");
		r.nrcpts = 1;
		n = rprecord_encode(4242, &r, key, val, 4096);
		tally_put(ty, STORE_DB_RETURNPATH, key, sizeof(key), val, n);
		rprecord_clear(&r);
		free(val);
	}
	for (i = 0; i < 10; i++)
		tally_add(ty, "alice", 1, 2, T0 + i);
	tally_add(ty, "bob", 1, 1, T0 + 5);
	tally_add(ty, "alice", 1, 1, T0 + 70);		/* the next minute */
	tally_flush(ty);
	tally_stop(ty);
	js = journal_stat(0);
	tap_int((int)js.depth, 4, "a tally batch: one count per sender and "
	    "minute (12 messages, 3 entries) and its record");
	ship(0, 1, &a, o, 1);
	tap_int(a.outcomes[CAPPLY_APPLIED], 4, "B applies the 3 counts and "
	    "the record");
	{
		struct op r = { .now = 4242 };

		store_read(node[1], record_fn, &r, NULL, 0);
		tap_int(r.rc, 0, "A's return-path record is on B (a bounce "
		    "through B's MX finds its message)");
	}
	w = window(1, "alice", T0 + 80);
	tap_ok(w.n[SENDER_MESSAGES] == 11 && w.n[SENDER_RECIPIENTS] == 21,
	    "B counts alice's 11 messages, 21 recipients sent through A "
	    "(%llu, %llu)", (unsigned long long)w.n[SENDER_MESSAGES],
	    (unsigned long long)w.n[SENDER_RECIPIENTS]);
	tap_int((int)journal_stat(1).depth, 0, "what B applied is not "
	    "journalled again (no echo)");
	/* A sends its outbox again (the answer was lost): applied once */
	ship(0, 1, &a, o, 0);
	tap_int(a.outcomes[CAPPLY_SEEN], 4, "the same changes again: seen");
	w = window(1, "alice", T0 + 80);
	tap_ok(w.n[SENDER_MESSAGES] == 11, "counts unchanged after the "
	    "replay (%llu)", (unsigned long long)w.n[SENDER_MESSAGES]);
	tap_int((int)journal_stat(0).depth, 0, "acknowledged: A's outbox "
	    "is empty");
	outbox_free(o);
	free(o);
}

static void
test_states(void)
{
	struct outbox *o = mem_calloc(1, sizeof(*o));
	struct apply a = { .now = T0 + 200 };
	SENDER_STATE s;
	char err[256];
	int was;

	sender_pause(node[2], "carol", 0, "by hand", "operator", T0 + 100,
	    err, sizeof(err));
	ship(2, 0, &a, o, 1);
	ship(2, 1, &a, o, 0);
	s = state(0, "carol");
	tap_ok(s.state == SENDER_PAUSED && s.manual && sender_is_paused(&s,
	    T0 + 200), "an operator pause on C holds on A");
	s = state(1, "carol");
	tap_ok(s.state == SENDER_PAUSED && strcmp(s.reason, "by hand") == 0 &&
	    strcmp(s.by, "operator") == 0, "... and on B, with its reason "
	    "and who");
	/* B resumes later; A's older pause, learned after, is left out */
	sender_resume(node[1], "carol", "operator", T0 + 300, &was, &s, err,
	    sizeof(err));
	sender_pause(node[0], "carol", 0, "again", "operator", T0 + 250,
	    err, sizeof(err));
	outbox_free(o);
	ship(0, 1, &a, o, 0);
	tap_int(a.outcomes[CAPPLY_STALE], 1, "an older state from A is "
	    "stale on B");
	s = state(1, "carol");
	tap_ok(s.state == SENDER_ACTIVE, "B stays on its later resume");
	ship(1, 0, &a, o, 0);
	s = state(0, "carol");
	tap_ok(s.state == SENDER_ACTIVE && a.outcomes[CAPPLY_APPLIED] >= 1,
	    "A takes B's later resume: both end active");
	ship(1, 2, &a, o, 0);
	outbox_free(o);
	free(o);
}

static void
test_suppressions(void)
{
	struct outbox *o = mem_calloc(1, sizeof(*o));
	struct apply a = { .now = T0 + 100 };
	struct op op = { .scope = "", .addr = "dead@example.org", .kind = 1 };
	char err[256];

	op.e.reason = SUPPRESS_HARD;
	op.e.time = T0;
	snprintf(op.e.source, sizeof(op.e.source), "bounce 5.1.1");
	store_write(node[1], supp_fn, &op, err, sizeof(err));
	ship(1, 0, &a, o, 0);
	tap_ok(suppressed(0, "dead@example.org"), "a recipient suppressed on "
	    "B is suppressed on A");
	tap_ok(!suppressed(0, "alive@example.org"), "... and no other one");
	op.kind = 2;
	store_write(node[1], supp_fn, &op, err, sizeof(err));
	ship(1, 0, &a, o, 0);
	tap_ok(!suppressed(0, "dead@example.org"), "lifted on B, lifted on A");
	/* lifting what B does not have journals nothing */
	store_write(node[1], supp_fn, &op, err, sizeof(err));
	tap_int((int)journal_stat(1).depth, 0, "lifting an absent entry "
	    "journals nothing");
	/* lifting what A never learned of is not an error there */
	op.kind = 1;
	op.hold = 1;
	store_write(node[1], supp_fn, &op, err, sizeof(err));
	op.kind = 2;
	op.hold = 0;
	store_write(node[1], supp_fn, &op, err, sizeof(err));
	ship(1, 0, &a, o, 0);
	tap_ok(a.outcomes[CAPPLY_APPLIED] == 1 && o->n == 1 &&
	    o->c[0].kind == STORE_CHANGE_UNSUPPRESS, "lifting an entry A "
	    "never had applies there without error");
	outbox_free(o);
	free(o);
}

static void
test_events(void)
{
	struct outbox *o = mem_calloc(1, sizeof(*o));
	struct apply a = { .now = T0 + 500 };
	struct op op = { .now = T0 + 400, .when = T0 + 10 };
	SENDER_COUNTS w;
	REP_RULES rules;
	char err[256];

	memset(op.ev.id, 0x5a, BEVENT_ID_LEN);
	snprintf(op.ev.sender, sizeof(op.ev.sender), "dave");
	snprintf(op.ev.rcpt, sizeof(op.ev.rcpt), "x@example.net");
	snprintf(op.ev.cls, sizeof(op.ev.cls), "hard");
	op.ev.time = T0 + 400;
	op.c.n[SENDER_HARD] = 1;
	/* the same report reached A and B */
	store_write(node[0], event_fn, &op, err, sizeof(err));
	store_write(node[1], event_fn, &op, err, sizeof(err));
	ship(0, 1, &a, o, 1);
	tap_int(a.outcomes[CAPPLY_DUPLICATE], 1, "the same event through two "
	    "nodes: a duplicate on B");
	w = window(1, "dave", T0 + 500);
	tap_ok(w.n[SENDER_HARD] == 1, "... counted once on B (%llu)",
	    (unsigned long long)w.n[SENDER_HARD]);
	ship(0, 2, &a, o, 0);
	w = window(2, "dave", T0 + 500);
	tap_ok(a.outcomes[CAPPLY_APPLIED] == 1 && w.n[SENDER_HARD] == 1,
	    "a node that had not got it counts it once");
	ship(1, 2, &a, o, 0);
	w = window(2, "dave", T0 + 500);
	tap_ok(a.outcomes[CAPPLY_DUPLICATE] == 1 && w.n[SENDER_HARD] == 1,
	    "... and B's copy of it is a duplicate there too");

	/* B's engine judges on A's sends and its own bounces */
	rep_rules_default(&rules);
	rules.min_volume = 10;
	rules.min_events = 2;
	{
		struct op c = { .key = "erin", .now = T0 + 600 };
		int i;

		c.c.n[SENDER_MESSAGES] = 20;
		c.c.n[SENDER_RECIPIENTS] = 20;
		store_write(node[0], count_fn, &c, err, sizeof(err));
		memset(&op, 0, sizeof(op));
		op.now = T0 + 610;
		op.when = T0 + 600;
		snprintf(op.ev.sender, sizeof(op.ev.sender), "erin");
		snprintf(op.ev.cls, sizeof(op.ev.cls), "hard");
		op.c.n[SENDER_HARD] = 1;
		for (i = 0; i < 8; i++) {
			memset(op.ev.id, 0x10 + i, BEVENT_ID_LEN);
			store_write(node[1], event_fn, &op, err, sizeof(err));
		}
	}
	a.now = T0 + 620;
	a.rules = &rules;
	outbox_free(o);
	(void)journal_stat(1);
	ship(0, 1, &a, o, 0);		/* A's 20 messages reach B */
	tap_ok(a.changed == 1 && a.last.change.to == SENDER_PAUSED,
	    "B's engine pauses erin on A's sends and B's bounces (to %d)",
	    a.last.change.to);
	tap_ok(state(1, "erin").state == SENDER_PAUSED, "erin paused on B");
	ship(1, 0, &a, o, 0);
	tap_ok(state(0, "erin").state == SENDER_PAUSED, "... and on A, from "
	    "B's journal (its pause, and the bounces counted)");
	w = window(0, "erin", T0 + 620);
	tap_ok(w.n[SENDER_HARD] == 8 && w.n[SENDER_MESSAGES] == 20,
	    "A counts the cluster's figures for erin (hard %llu of %llu)",
	    (unsigned long long)w.n[SENDER_HARD],
	    (unsigned long long)w.n[SENDER_MESSAGES]);
	a.rules = NULL;
	outbox_free(o);
	free(o);
}

struct bad {
	int		 kind;
	unsigned char	 p[2048];
	size_t		 len;
};

static int
bad_fn(STORE_TXN *t, void *ctx)
{
	struct bad *b = ctx;
	static uint64_t seq = 1000;
	CAPPLY_RESULT r;

	return capply(t, NULL, "z", ++seq, b->kind, b->p, b->len, T0, &r) ?
	    STORE_ERROR : r.outcome;
}

static void
test_bad(void)
{
	struct outbox *o = mem_calloc(1, sizeof(*o));
	struct op op = { .key = "fay", .now = T0 };
	struct bad *b = mem_calloc(1, sizeof(*b));
	char err[256];
	size_t i, cut;
	int rc, crashed = 0, applied_short = 0;

	/* one change of each kind from node C */
	op.c.n[SENDER_MESSAGES] = 1;
	store_write(node[2], count_fn, &op, err, sizeof(err));
	sender_pause(node[2], "fay", 0, "x", "operator", T0, err, sizeof(err));
	op.kind = 1;
	op.scope = "";
	op.addr = "gone@example.com";
	op.e.time = T0;
	store_write(node[2], supp_fn, &op, err, sizeof(err));
	op.kind = 2;
	store_write(node[2], supp_fn, &op, err, sizeof(err));
	memset(&op, 0, sizeof(op));
	memset(op.ev.id, 0x77, BEVENT_ID_LEN);
	snprintf(op.ev.sender, sizeof(op.ev.sender), "fay");
	op.now = op.when = op.ev.time = T0;
	store_write(node[2], event_fn, &op, err, sizeof(err));
	store_read(node[2], collect_fn, o, err, sizeof(err));
	tap_ok(o->n >= 5, "C journalled a change of each kind (%zu)", o->n);
	for (i = 0; i < o->n; i++) {
		for (cut = 0; cut < o->c[i].len; cut++) {
			b->kind = o->c[i].kind;
			b->len = cut;
			memcpy(b->p, o->c[i].p, cut);
			rc = store_write(node[1], bad_fn, b, err, sizeof(err));
			if (rc < 0)
				crashed++;
			else if (rc == CAPPLY_APPLIED)
				applied_short++;
		}
	}
	tap_int(crashed, 0, "every truncation of every change: no store "
	    "error");
	tap_int(applied_short, 0, "... and none applied");
	b->kind = 99;
	b->len = 3;
	tap_int(store_write(node[1], bad_fn, b, err, sizeof(err)), CAPPLY_BAD,
	    "an unknown kind is bad, skipped");
	outbox_free(o);
	free(o);
	free(b);
}

static long resync_n;

static int
resync_fn(STORE_TXN *t, void *ctx)
{
	(void)ctx;
	resync_n = cresync_publish(t);
	return resync_n < 0 ? STORE_ERROR : 0;
}

static int
status_fn(STORE_TXN *t, void *ctx)
{
	CSTATUS *s = ctx, back;

	if (cstatus_put(t, s) != 0 || cstatus_get(t, &back) != 0)
		return STORE_ERROR;
	*s = back;
	return 0;
}

/* Node A, its outbox lost (say it overflowed), publishes all it holds; a
 * new node D learns every pause and suppression from that alone. */
static void
test_resync(void)
{
	struct outbox *o = mem_calloc(1, sizeof(*o));
	struct apply a = { .now = T0 + 900 };
	struct op op = { .scope = "", .addr = "kept@example.org", .kind = 1 };
	STORE *d;
	char err[256], dir[64], cmd[96];
	CSTATUS cs;

	op.e.reason = SUPPRESS_MANUAL;
	op.e.time = T0;
	op.hold = 1;
	store_write(node[0], supp_fn, &op, err, sizeof(err));
	sender_pause(node[0], "gil", 0, "held", "operator", T0 + 800, err,
	    sizeof(err));
	ack_upto = UINT64_MAX;
	store_write(node[0], ack_fn, NULL, err, sizeof(err));
	tap_int(store_write(node[0], resync_fn, NULL, err, sizeof(err)), 0,
	    "resync publishes");
	tap_ok(resync_n >= 3, "... every state and suppression (%ld)",
	    resync_n);
	snprintf(dir, sizeof(dir), "/tmp/test_capply.XXXXXX");
	if (mkdtemp(dir) == NULL || (d = store_open(dir, NULL, err,
	    sizeof(err))) == NULL) {
		tap_ok(0, "store d: %s", err);
		return;
	}
	node[2] = d;		/* C's slot, for ship() */
	ship(0, 2, &a, o, 0);
	tap_ok(state(2, "gil").state == SENDER_PAUSED && state(2,
	    "erin").state == SENDER_PAUSED, "a new node holds A's pauses");
	node[2] = d;
	{
		struct op c = { .scope = "", .addr = "kept@example.org",
		    .now = T0 + 900 };

		store_read(d, supp_fn, &c, err, sizeof(err));
		tap_int(c.rc, 0, "... and its suppressions");
	}
	memset(&cs, 0, sizeof(cs));
	cs.up = 1;
	cs.lag_ms = 12;
	snprintf(cs.address, sizeof(cs.address), "unix:/run/redis\nx");
	tap_int(store_write(d, status_fn, &cs, err, sizeof(err)), 0,
	    "a status record written and read back");
	tap_ok(cs.up == 1 && cs.lag_ms == 12 &&
	    strcmp(cs.address, "unix:/run/redis?x") == 0, "... its fields, a "
	    "control character made safe (%s)", cs.address);
	store_close(d);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_ok(0, "%s", cmd);
	outbox_free(o);
	free(o);
}

static int
peers_cb(const char *name, uint64_t seq, int64_t at, void *ctx)
{
	(void)at;
	if (strcmp(name, "a") == 0)
		*(uint64_t *)ctx = seq;
	return 0;
}

static int
peers_fn(STORE_TXN *t, void *ctx)
{
	char cur[CAPPLY_CURSOR_MAX];

	if (capply_set_cursor(t, "1700000000000-3") != 0 ||
	    capply_cursor(t, cur, sizeof(cur)) != 0 ||
	    strcmp(cur, "1700000000000-3") != 0)
		return STORE_ERROR;
	return capply_peers(t, peers_cb, ctx);
}

static void
test_peers(void)
{
	uint64_t seq = 0;
	char err[256];

	tap_int(store_write(node[1], peers_fn, &seq, err, sizeof(err)), 0,
	    "the reader's cursor kept and read back");
	tap_ok(seq > 0, "B remembers the last change it applied from A "
	    "(%llu)", (unsigned long long)seq);
}

int
main(void)
{
	char err[256], cmd[256];
	int i;

	for (i = 0; i < NODES; i++) {
		snprintf(dirs[i], sizeof(dirs[i]), "/tmp/test_capply.XXXXXX");
		if (mkdtemp(dirs[i]) == NULL ||
		    (node[i] = store_open(dirs[i], NULL, err,
		    sizeof(err))) == NULL) {
			tap_ok(0, "store %d: %s", i, err);
			return tap_done();
		}
		store_journal_start(node[i], 64 << 20);
	}
	test_journal_basics();
	test_counts();
	test_states();
	test_suppressions();
	test_events();
	test_bad();
	test_peers();
	store_close(node[2]);
	test_resync();
	node[2] = NULL;
	for (i = 0; i < NODES; i++) {
		if (node[i] == NULL)
			continue;
		store_close(node[i]);
	}
	for (i = 0; i < NODES; i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dirs[i]);
		if (system(cmd) != 0)
			tap_ok(0, "%s", cmd);
	}
	return tap_done();
}
