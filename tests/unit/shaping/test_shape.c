/*
 * test_shape.c - unit tests for policy/shaping/shape.c, the daemon's buckets in
 * memory, over a real store and a real tally.
 *
 * Covers: all or nothing (a bucket that refuses leaves the others
 * uncharged, and the refusal is counted on it); peek takes nothing;
 * class buckets kept apart; a soft item is charged even when empty and
 * its debt holds back the hard takes of the same bucket; tokens given
 * back; changes written through the tally's prepare hook and read back
 * by a new table (a restart); the sweep forgets idle buckets and their
 * state comes back from the store; the names the store holds, learnt at
 * start, decide whether a first meeting reads it; four threads taking from one quota
 * get exactly its size between them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shaping/bucket.h"
#include "bucket_test.h"
#include "shaping/shape.h"
#include "store/store.h"
#include "reputation/tally.h"
#include "tap.h"

struct get_ctx {
	const char	*name;
	BUCKET		 b;
	int		 rc;
};

static int
get_fn(STORE_TXN *t, void *ctx)
{
	struct get_ctx *g = ctx;

	g->rc = bucket_get(t, g->name, &g->b);
	return g->rc == STORE_ERROR ? STORE_ERROR : 0;
}

static int
stored(STORE *st, const char *name, BUCKET *b)
{
	struct get_ctx g;
	char err[256];

	memset(&g, 0, sizeof(g));
	g.name = name;
	if (store_read(st, get_fn, &g, err, sizeof(err)) != 0)
		return -1;
	*b = g.b;
	return g.rc;
}

static void
prepare(TALLY *ty, void *ctx)
{
	shape_queue(ctx, ty, 1795860000000LL, 1);
}

static void
test_take(STORE *st, TALLY *ty)
{
	SHAPE *sh = shape_new(st), *again;
	BUCKET_RULE bulk = rule("3/1m"), tx = rule("100/1m"), dom =
	    rule("2/1s"), relay = rule("5/1h");
	SHAPE_ITEM two[2] = {
		{ "sender:alice:bulk", &bulk, 0 },
		{ "domain:gmail.com", &dom, 0 },
	};
	SHAPE_ITEM txi = { "sender:alice:transactional", &tx, 0 };
	SHAPE_ITEM soft = { "relay", &relay, 1 }, hard = { "relay", &relay, 0 };
	SHAPE_RESULT res;
	BUCKET b;
	int64_t t0 = 1795860000000LL;
	int i, ok;

	tally_set_prepare(ty, prepare, sh);
	tap_int(shape_take(sh, two, 2, 1, t0, &res), 0, "two buckets: taken");
	tap_int(shape_take(sh, two, 2, 1, t0, &res), 0, "... again");
	tap_int(shape_take(sh, two, 2, 1, t0, &res), SHAPE_LIMITED,
	    "the third within the second: the domain's bucket (2/1s) refuses");
	tap_ok(res.which == 1 && res.wait_ms == 500 && res.level == 0,
	    "... it names that bucket, 500 ms to wait, level 0 (which %zu, "
	    "wait %lld)", res.which, (long long)res.wait_ms);
	tap_int(shape_peek(sh, two, 1, 1, t0, &res), 0, "... and alice's bulk "
	    "bucket was not charged: 1 token left (peek)");
	tap_int(shape_peek(sh, two, 1, 1, t0, &res), 0, "a peek takes nothing");
	tap_int(shape_take(sh, two, 1, 1, t0, &res), 0, "her last bulk token");
	tap_int(shape_take(sh, two, 1, 1, t0, &res), SHAPE_LIMITED,
	    "her bulk bucket is empty");
	tap_ok(res.wait_ms == 20000, "... the next bulk token in 20 s (3/1m)");
	tap_int(shape_take(sh, &txi, 1, 1, t0, &res), 0, "her transactional "
	    "bucket is its own: taken at once");
	shape_give(sh, two, 1, 1, t0);
	tap_int(shape_take(sh, two, 1, 1, t0, &res), 0, "a token given back "
	    "can be taken");

	for (i = 0, ok = 1; i < 8; i++)
		ok &= shape_take(sh, &soft, 1, 1, t0, &res) == 0;
	tap_ok(ok, "a soft item never refuses (8 from a bucket of 5)");
	tap_int(shape_take(sh, &hard, 1, 1, t0, &res), SHAPE_LIMITED,
	    "... its debt holds back a hard take of the same bucket");
	tap_ok(res.wait_ms == 2880000, "... until 4 tokens have come (48 min), "
	    "got %lld", (long long)res.wait_ms);

	tap_int(tally_flush(ty), 0, "the tally's batch runs");
	tap_int(stored(st, "domain:gmail.com", &b), 0, "the domain's bucket is "
	    "in the store after the batch");
	tap_ok(b.taken == 2 && b.refused == 1 && b.refused_at == t0,
	    "... with 2 taken and 1 refusal at t0 (%llu, %llu)",
	    (unsigned long long)b.taken, (unsigned long long)b.refused);
	tap_int(stored(st, "sender:alice:bulk", &b), 0, "alice's bulk bucket "
	    "too");
	tap_ok(b.refused == 1 && bucket_level(&b, &bulk, t0) == 0,
	    "... empty, its refusal counted");

	/* a restart: a new table reads the buckets back */
	tally_set_prepare(ty, NULL, NULL);
	again = shape_new(st);
	tap_int(shape_take(again, two, 1, 1, t0 + 1000, &res), SHAPE_LIMITED,
	    "after a restart alice's bulk bucket is still empty");
	tap_int(shape_take(again, two, 1, 1, t0 + 20000, &res), 0,
	    "... and refills from what was stored (20 s later: a token)");
	shape_free(again);

	tap_int((long long)shape_size(sh), 4, "4 buckets in memory");
	tap_int((long long)shape_sweep(sh, t0 + 599000), 0, "the sweep keeps "
	    "buckets used within ten minutes");
	tap_int((long long)shape_sweep(sh, t0 + 601000), 4, "... and forgets "
	    "them after ten minutes idle (they are written)");
	tap_int(shape_take(sh, &hard, 1, 1, t0 + 601000, &res), SHAPE_LIMITED,
	    "the relay's debt comes back from the store");
	shape_free(sh);
}

static int
put_empty_fn(STORE_TXN *t, void *ctx)
{
	BUCKET b;

	memset(&b, 0, sizeof(b));
	b.used = 1;
	b.at = 1795860000000LL;		/* empty at t0 */
	return bucket_put(t, ctx, &b);
}

static void
test_names(STORE *st)
{
	BUCKET_RULE r = rule("1/1h");
	SHAPE_ITEM known = { "domain:known.example", &r, 0 };
	SHAPE_ITEM late = { "domain:late.example", &r, 0 };
	SHAPE_RESULT res;
	SHAPE *sh = shape_new(st);
	char err[256];

	store_write(st, put_empty_fn, (void *)known.name, err, sizeof(err));
	tap_int(shape_load_names(sh, err, sizeof(err)), 0, "the table learns "
	    "which buckets the store holds");
	/* written behind the table's back: it does not know of it */
	store_write(st, put_empty_fn, (void *)late.name, err, sizeof(err));
	tap_int(shape_take(sh, &known, 1, 1, 1795860001000LL, &res),
	    SHAPE_LIMITED, "a bucket the store holds is read at first use "
	    "(empty)");
	tap_int(shape_take(sh, &late, 1, 1, 1795860001000LL, &res), 0,
	    "one it did not hold at start is not read: a new, full bucket "
	    "(every write goes through the table)");
	shape_free(sh);
}

#define THREADS	4
#define QUOTA	1000

struct race {
	SHAPE		*sh;
	BUCKET_RULE	 quota;
	int		 got;
};

static void *
racer(void *arg)
{
	struct race *r = arg;
	SHAPE_ITEM it = { "warmup:2026-11-28", &r->quota, 0 };
	SHAPE_RESULT res;
	int i;

	for (i = 0; i < QUOTA; i++)
		if (shape_take(r->sh, &it, 1, 1, 1795860000000LL + i, &res) ==
		    0)
			r->got++;
	return NULL;
}

static void
test_threads(STORE *st)
{
	struct race r[THREADS];
	pthread_t tid[THREADS];
	SHAPE *sh = shape_new(st);
	int i, total = 0;

	for (i = 0; i < THREADS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].sh = sh;
		r[i].quota.tokens = r[i].quota.burst = QUOTA;
		r[i].quota.period_ms = 0;
		pthread_create(&tid[i], NULL, racer, &r[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		total += r[i].got;
	}
	tap_int(total, QUOTA, "4 threads taking 1,000 each from a quota of "
	    "1,000: exactly 1,000 taken between them");
	shape_free(sh);
}

int
main(void)
{
	char dir[] = "/tmp/test_shape.XXXXXX", err[256], cmd[64];
	STORE *st;
	TALLY *ty;

	if (mkdtemp(dir) == NULL || (st = store_open(dir, NULL, err,
	    sizeof(err))) == NULL) {
		tap_ok(0, "store: %s", err);
		return tap_done();
	}
	ty = tally_start(st, 1000, NULL, NULL);
	test_take(st, ty);
	test_names(st);
	test_threads(st);
	tally_stop(ty);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_ok(0, "rm -rf %s", dir);
	return tap_done();
}
