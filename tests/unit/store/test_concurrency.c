/*
 * test_concurrency.c - many threads on one store at once: counting
 * through the tally (one sender shared by every thread, one sender each),
 * bounces written and judged by the reputation engine, suppression
 * entries added, and readers checking senders and the list all the
 * while.  Run under ThreadSanitizer by contrib/test.sh.
 *
 * Asserts: exact final counts (no increment lost or doubled), every
 * entry there, no reader or writer error, and the shared sender's state
 * a fixed point of the engine (judging it once more changes nothing: no
 * judgement was lost between concurrent writers).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reputation/reputation.h"
#include "reputation/sender.h"
#include "store/store.h"
#include "reputation/suppress.h"
#include "reputation/tally.h"
#include "tap.h"

#define NOW		1795860000LL
#define COUNTERS	8		/* threads counting through the tally */
#define PER_THREAD	3000
#define BOUNCERS	2
#define BOUNCES		300		/* each */
#define READERS		2
#define ENTRIES		600		/* suppression entries */

static STORE *st;
static TALLY *ty;
static REP_RULES rules;
static atomic_int stop_readers, errors, judged;

static int
hook(STORE_TXN *t, const char *key, int64_t now, void *ctx)
{
	SENDER_STATE s;
	REP_CHANGE ch;

	(void)ctx;
	atomic_fetch_add(&judged, 1);
	return rep_update(t, &rules, key, now, &s, &ch) < 0 ? STORE_ERROR : 0;
}

static void *
counter(void *arg)
{
	char own[32];
	int i;

	snprintf(own, sizeof(own), "t%ld@example.com", (long)(intptr_t)arg);
	for (i = 0; i < PER_THREAD; i++) {
		tally_add(ty, "shared@example.com", 1, 2, NOW);
		tally_add(ty, own, 1, 1, NOW);
	}
	return NULL;
}

static int
bounce_fn(STORE_TXN *t, void *ctx)
{
	SENDER_COUNTS add;
	SENDER_STATE s;
	REP_CHANGE ch;

	(void)ctx;
	memset(&add, 0, sizeof(add));
	add.n[SENDER_HARD] = 1;
	if (sender_count_at(t, "shared@example.com", &add, NOW, NOW) != 0)
		return STORE_ERROR;
	return rep_update(t, &rules, "shared@example.com", NOW, &s, &ch) < 0 ?
	    STORE_ERROR : 0;
}

static void *
bouncer(void *arg)
{
	char err[256];
	int i;

	(void)arg;
	for (i = 0; i < BOUNCES; i++)
		if (store_write(st, bounce_fn, NULL, err, sizeof(err)) != 0)
			atomic_fetch_add(&errors, 1);
	return NULL;
}

struct entry_arg {
	int		 i;
};

static int
entry_fn(STORE_TXN *t, void *ctx)
{
	struct entry_arg *a = ctx;
	SUPPRESS_ENTRY e;
	char addr[64];

	memset(&e, 0, sizeof(e));
	e.reason = SUPPRESS_HARD;
	e.time = NOW;
	snprintf(addr, sizeof(addr), "dead%d@example.org", a->i);
	return suppress_put(t, "", addr, &e);
}

static void *
suppressor(void *arg)
{
	struct entry_arg a;
	char err[256];

	(void)arg;
	for (a.i = 0; a.i < ENTRIES; a.i++)
		if (store_write(st, entry_fn, &a, err, sizeof(err)) != 0)
			atomic_fetch_add(&errors, 1);
	return NULL;
}

static int
read_fn(STORE_TXN *t, void *ctx)
{
	unsigned *seed = ctx;
	SUPPRESS_ENTRY e;
	SENDER_STATE s;
	REP_WINDOWS w;
	char addr[64];

	snprintf(addr, sizeof(addr), "dead%d@example.org",
	    (int)(rand_r(seed) % ENTRIES));
	if (suppress_check(t, "shared@example.com", addr, NOW, &e) ==
	    STORE_ERROR)
		return STORE_ERROR;
	if (sender_get(t, "shared@example.com", &s) == STORE_ERROR &&
	    store_txn_error(t) != NULL)
		return STORE_ERROR;
	return rep_windows(t, &rules, "shared@example.com", &s, NOW, &w);
}

static void *
reader(void *arg)
{
	unsigned seed = (unsigned)(intptr_t)arg;
	char err[256];
	long n = 0;

	while (!atomic_load(&stop_readers) || n < 100) {
		if (store_read(st, read_fn, &seed, err, sizeof(err)) != 0)
			atomic_fetch_add(&errors, 1);
		n++;
	}
	return NULL;
}

struct final {
	SENDER_COUNTS	 shared, own[COUNTERS];
	int		 entries, changed;
	SENDER_STATE	 s;
};

static int
count_cb(const SUPPRESS_ENTRY *e, void *ctx)
{
	(void)e;
	((struct final *)ctx)->entries++;
	return 0;
}

static int
final_fn(STORE_TXN *t, void *ctx)
{
	struct final *f = ctx;
	REP_CHANGE ch;
	char own[32];
	int i;

	if (sender_window(t, "shared@example.com", 3600, NOW, &f->shared))
		return STORE_ERROR;
	for (i = 0; i < COUNTERS; i++) {
		snprintf(own, sizeof(own), "t%d@example.com", i);
		if (sender_window(t, own, 3600, NOW, &f->own[i]) != 0)
			return STORE_ERROR;
	}
	f->entries = 0;
	if (suppress_list(t, count_cb, f) != 0)
		return STORE_ERROR;
	/* judging once more must change nothing (then abort: read only) */
	f->changed = rep_update(t, &rules, "shared@example.com", NOW, &f->s,
	    &ch);
	return 1;
}

int
main(void)
{
	char dir[] = "/tmp/test_concurrency.XXXXXX", err[256], cmd[64];
	pthread_t c[COUNTERS], b[BOUNCERS], r[READERS], s;
	struct final f;
	int i, own_ok = 1;

	rep_rules_default(&rules);
	rules.pause_hard = 10000;	/* 1 %: the shared sender ends paused */
	if (mkdtemp(dir) == NULL || (st = store_open(dir, NULL, err,
	    sizeof(err))) == NULL) {
		tap_ok(0, "store: %s", err);
		return tap_done();
	}
	ty = tally_start(st, 1, NULL, NULL);
	tally_set_hook(ty, hook, NULL);
	for (i = 0; i < READERS; i++)
		pthread_create(&r[i], NULL, reader, (void *)(intptr_t)(i + 1));
	for (i = 0; i < COUNTERS; i++)
		pthread_create(&c[i], NULL, counter, (void *)(intptr_t)i);
	for (i = 0; i < BOUNCERS; i++)
		pthread_create(&b[i], NULL, bouncer, NULL);
	pthread_create(&s, NULL, suppressor, NULL);
	for (i = 0; i < COUNTERS; i++)
		pthread_join(c[i], NULL);
	for (i = 0; i < BOUNCERS; i++)
		pthread_join(b[i], NULL);
	pthread_join(s, NULL);
	tally_flush(ty);
	atomic_store(&stop_readers, 1);
	for (i = 0; i < READERS; i++)
		pthread_join(r[i], NULL);
	tally_stop(ty);

	memset(&f, 0, sizeof(f));
	tap_int(store_read(st, final_fn, &f, err, sizeof(err)), 1,
	    "final read");
	tap_int(atomic_load(&errors), 0, "no store error in any thread");
	tap_int((long long)f.shared.n[SENDER_MESSAGES], COUNTERS * PER_THREAD,
	    "shared sender: every message from %d threads counted once",
	    COUNTERS);
	tap_int((long long)f.shared.n[SENDER_RECIPIENTS],
	    2LL * COUNTERS * PER_THREAD, "shared sender: every recipient");
	tap_int((long long)f.shared.n[SENDER_HARD], BOUNCERS * BOUNCES,
	    "shared sender: every bounce from %d writers", BOUNCERS);
	for (i = 0; i < COUNTERS; i++)
		own_ok &= f.own[i].n[SENDER_MESSAGES] == PER_THREAD &&
		    f.own[i].n[SENDER_RECIPIENTS] == PER_THREAD;
	tap_ok(own_ok, "each thread's own sender: exactly its %d messages",
	    PER_THREAD);
	tap_int(f.entries, ENTRIES, "every suppression entry is there");
	tap_int(f.changed, 0, "the shared sender's state is a fixed point: "
	    "no judgement was lost");
	tap_str(sender_state_name(f.s.state), "paused", "... paused (%.2f%% "
	    "hard bounces >= 1%%)", 100.0 * BOUNCERS * BOUNCES /
	    (2.0 * COUNTERS * PER_THREAD));
	tap_ok(atomic_load(&judged) > 0, "the tally's hook judged senders "
	    "(%d times)", atomic_load(&judged));
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_ok(0, "rm -rf %s", dir);
	return tap_done();
}
