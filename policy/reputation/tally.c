/*
 * tally.c - group commit of sender counters (see tally.h).
 *
 * Owns: tally_start(), tally_add(), tally_count(), tally_flush(),
 * tally_stop(), tally_dropped(), tally_set_interval(), tally_set_hook(),
 * tally_set_prepare().  Increments are appended to an in-memory queue
 * under a mutex; the tally thread swaps the queue out and writes it with
 * sender_count() in one store transaction, then calls the hook once for
 * each sender counted (the reputation engine judges it again in the same
 * transaction).  Only one flush runs at a time (flush_lock), so a
 * synchronous tally_flush() and the thread never write the same increments
 * twice.
 *
 * Must not: block tally_add() on the store, or hold the queue mutex while
 * writing.  Its thread blocks all signals (the daemon's main thread
 * handles them).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "reputation/sender.h"
#include "store/store.h"
#include "reputation/tally.h"
#include "base/panic.h"

struct tally_entry {
	char		*key;		/* NULL: a record to put */
	SENDER_COUNTS	 counts;
	int64_t		 now;
	int		 db;		/* the record: db, key, value */
	unsigned char	*rec;		/* key then value, one allocation */
	size_t		 klen, vlen;
};

struct TALLY {
	STORE			*store;
	unsigned		 interval_ms;
	TALLY_ERROR_FN		 on_error;
	void			*ctx;
	TALLY_HOOK_FN		 hook;		/* under flush_lock */
	void			*hook_ctx;
	TALLY_PREPARE_FN	 prepare;	/* under flush_lock */
	void			*prepare_ctx;
	pthread_t		 thread;
	pthread_mutex_t		 lock;		/* queue, stop, dropped */
	pthread_mutex_t		 flush_lock;	/* one flush at a time */
	pthread_cond_t		 wake;
	struct tally_entry	*q;
	size_t			 qlen, qcap;
	uint64_t		 dropped;
	int			 failures;	/* in a row; under flush_lock */
	int			 failing;	/* the last flush failed (atomic) */
	char			 why[256];	/* its error; under lock */
	int			 stop;
};

struct tally_batch {
	struct tally_entry	*e;
	size_t			 n;
	TALLY_HOOK_FN		 hook;
	void			*hook_ctx;
	const char		**keys;		/* the batch's keys, sorted */
};

static int
tally_keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
tally_entry_free(struct tally_entry *e)
{
	free(e->key);
	free(e->rec);
}

static void
tally_push(TALLY *ty, struct tally_entry *e)
{
	if (ty->qlen >= TALLY_MAX_PENDING) {
		ty->dropped++;
		tally_entry_free(e);
		return;
	}
	if (ty->qlen == ty->qcap) {
		ty->qcap = ty->qcap ? ty->qcap * 2 : 64;
		ty->q = mem_realloc(ty->q, ty->qcap * sizeof(*ty->q));
	}
	ty->q[ty->qlen++] = *e;
}

void
tally_add(TALLY *ty, const char *key, uint64_t messages, uint64_t recipients,
    int64_t now)
{
	SENDER_COUNTS c;

	memset(&c, 0, sizeof(c));
	c.n[SENDER_MESSAGES] = messages;
	c.n[SENDER_RECIPIENTS] = recipients;
	tally_count(ty, key, &c, now);
}

void
tally_count(TALLY *ty, const char *key, const SENDER_COUNTS *counts,
    int64_t now)
{
	struct tally_entry e;

	memset(&e, 0, sizeof(e));
	e.key = mem_strdup(key);
	e.counts = *counts;
	e.now = now;
	pthread_mutex_lock(&ty->lock);
	tally_push(ty, &e);
	pthread_mutex_unlock(&ty->lock);
}

void
tally_put(TALLY *ty, int db, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	struct tally_entry e;

	memset(&e, 0, sizeof(e));
	e.db = db;
	e.rec = mem_alloc(klen + vlen);
	memcpy(e.rec, key, klen);
	memcpy(e.rec + klen, val, vlen);
	e.klen = klen;
	e.vlen = vlen;
	pthread_mutex_lock(&ty->lock);
	tally_push(ty, &e);
	pthread_mutex_unlock(&ty->lock);
}

static int
tally_minute_cmp(const void *a, const void *b)
{
	const struct tally_entry *x = *(const struct tally_entry *const *)a;
	const struct tally_entry *y = *(const struct tally_entry *const *)b;
	int c = strcmp(x->key, y->key);

	if (c != 0)
		return c;
	return (x->now / 60 > y->now / 60) - (x->now / 60 < y->now / 60);
}

/*
 * The batch's changes for the other nodes of a cluster: its counts
 * summed by sender and minute (one entry however many messages), and its
 * return-path records (klen, key, value).
 */
static int
tally_journal(STORE_TXN *t, const struct tally_batch *b)
{
	struct tally_entry **v = mem_calloc(b->n, sizeof(*v));
	SENDER_COUNTS sum;
	size_t i, j, k, n = 0;
	int rc = 0;

	for (i = 0; i < b->n && rc == 0; i++) {
		const struct tally_entry *e = &b->e[i];
		unsigned char *p;

		if (e->key != NULL) {
			v[n++] = &b->e[i];
			continue;
		}
		if (e->db != STORE_DB_RETURNPATH || e->klen > 0xffff)
			continue;
		p = mem_alloc(2 + e->klen + e->vlen);
		p[0] = (unsigned char)(e->klen >> 8);
		p[1] = (unsigned char)e->klen;
		memcpy(p + 2, e->rec, e->klen + e->vlen);
		rc = store_journal(t, STORE_CHANGE_RECORD, p,
		    2 + e->klen + e->vlen);
		free(p);
	}
	qsort(v, n, sizeof(*v), tally_minute_cmp);
	for (i = 0; i < n && rc == 0; i = j) {
		memset(&sum, 0, sizeof(sum));
		for (j = i; j < n && tally_minute_cmp(&v[i], &v[j]) == 0; j++)
			for (k = 0; k < SENDER_COUNTERS; k++)
				sum.n[k] += v[j]->counts.n[k];
		rc = sender_journal_count(t, v[i]->key, &sum,
		    v[i]->now - v[i]->now % 60);
	}
	free(v);
	return rc;
}

static int
tally_write_fn(STORE_TXN *t, void *ctx)
{
	struct tally_batch *b = ctx;
	struct tally_entry *e;
	size_t i;

	size_t nk = 0;
	int64_t latest = 0;

	for (i = 0; i < b->n; i++) {
		e = &b->e[i];
		if (e->key == NULL ? store_put(t, e->db, e->rec, e->klen,
		    e->rec + e->klen, e->vlen) != 0 :
		    sender_count(t, e->key, &e->counts, e->now) != 0)
			return STORE_ERROR;
		if (e->key != NULL && b->hook != NULL) {
			b->keys[nk++] = e->key;
			if (e->now > latest)
				latest = e->now;
		}
	}
	if (store_journal_max(t) != 0 && tally_journal(t, b) != 0)
		return STORE_ERROR;
	if (nk == 0)
		return 0;
	/* once for each sender, however many of its increments there were */
	qsort(b->keys, nk, sizeof(*b->keys), tally_keycmp);
	for (i = 0; i < nk; i++)
		if ((i == 0 || strcmp(b->keys[i], b->keys[i - 1]) != 0) &&
		    b->hook(t, b->keys[i], latest, b->hook_ctx) != 0)
			return STORE_ERROR;
	return 0;
}

/*
 * Call hook(txn, key, now, ctx) for each sender a batch counted, inside
 * its transaction, after its counts are in.  A non-zero result fails the
 * batch like a store error.
 */
void
tally_set_hook(TALLY *ty, TALLY_HOOK_FN hook, void *ctx)
{
	pthread_mutex_lock(&ty->flush_lock);
	ty->hook = hook;
	ty->hook_ctx = ctx;
	pthread_mutex_unlock(&ty->flush_lock);
}

/*
 * Call prepare(ty, ctx) at the start of each flush, before the queue is
 * taken: what it queues with tally_put() goes into that batch.  It must
 * not call tally_flush().
 */
void
tally_set_prepare(TALLY *ty, TALLY_PREPARE_FN fn, void *ctx)
{
	pthread_mutex_lock(&ty->flush_lock);
	ty->prepare = fn;
	ty->prepare_ctx = ctx;
	pthread_mutex_unlock(&ty->flush_lock);
}

/* Flushes in a minute: how often a lasting failure is reported. */
static int
tally_minute(TALLY *ty)
{
	unsigned ms;

	pthread_mutex_lock(&ty->lock);
	ms = ty->interval_ms;
	pthread_mutex_unlock(&ty->lock);
	return ms >= 60000 ? 1 : (int)(60000 / (ms ? ms : 1));
}

int
tally_failing(TALLY *ty, char *why, size_t whylen)
{
	if (!__atomic_load_n(&ty->failing, __ATOMIC_RELAXED))
		return 0;
	if (why != NULL && whylen > 0) {
		pthread_mutex_lock(&ty->lock);
		snprintf(why, whylen, "%s", ty->why);
		pthread_mutex_unlock(&ty->lock);
	}
	return 1;
}

/*
 * A batch of n entries failed with err: remember it for tally_failing()
 * and report it.  1: keep the batch for the next attempt; 0: it was
 * dropped (a batch the store keeps refusing for another reason than
 * space or permission, after TALLY_MAX_ATTEMPTS).  Under flush_lock.
 */
static int
tally_failed(TALLY *ty, size_t n, char *err, size_t errlen)
{
	if (err[0] == '\0')
		snprintf(err, errlen, "counter update failed");
	pthread_mutex_lock(&ty->lock);
	snprintf(ty->why, sizeof(ty->why), "%s", err);
	pthread_mutex_unlock(&ty->lock);
	__atomic_store_n(&ty->failing, 1, __ATOMIC_RELAXED);
	ty->failures++;
	if (store_unwritable(ty->store)) {
		/* No space or no permission: keep everything until the
		 * operator acts (new work is held back meanwhile: see
		 * tally_failing), and say so once a minute. */
		if (ty->on_error != NULL && ty->failures % tally_minute(ty) == 1)
			ty->on_error(err, ty->ctx);
		return 1;
	}
	if (ty->failures < TALLY_MAX_ATTEMPTS) {
		/* Report the first failure of a run, then every 100th. */
		if (ty->on_error != NULL && ty->failures % 100 == 1)
			ty->on_error(err, ty->ctx);
		return 1;
	}
	/* Never retry for ever (a batch the store refuses). */
	snprintf(err + strlen(err), errlen - strlen(err), "; dropped %zu "
	    "counter increments and records after %d attempts", n,
	    TALLY_MAX_ATTEMPTS);
	if (ty->on_error != NULL)
		ty->on_error(err, ty->ctx);
	pthread_mutex_lock(&ty->lock);
	ty->dropped += n;
	pthread_mutex_unlock(&ty->lock);
	ty->failures = 0;
	return 0;
}

int
tally_flush(TALLY *ty)
{
	struct tally_batch b;
	struct tally_entry *later;
	char err[256];
	size_t i, nlater;
	int rc;

	pthread_mutex_lock(&ty->flush_lock);
	if (ty->prepare != NULL)
		ty->prepare(ty, ty->prepare_ctx);
	pthread_mutex_lock(&ty->lock);
	b.e = ty->q;
	b.n = ty->qlen;
	ty->q = NULL;
	ty->qlen = ty->qcap = 0;
	pthread_mutex_unlock(&ty->lock);
	if (b.n == 0) {
		pthread_mutex_unlock(&ty->flush_lock);
		return 0;
	}
	err[0] = '\0';
	b.hook = ty->hook;
	b.hook_ctx = ty->hook_ctx;
	b.keys = b.hook != NULL ? mem_calloc(b.n, sizeof(*b.keys)) : NULL;
	rc = store_write(ty->store, tally_write_fn, &b, err, sizeof(err));
	free(b.keys);
	if (rc != 0 && tally_failed(ty, b.n, err, sizeof(err))) {
		/* Keep them for the next attempt, ahead of newer ones. */
		pthread_mutex_lock(&ty->lock);
		later = ty->q;
		nlater = ty->qlen;
		ty->q = NULL;
		ty->qlen = ty->qcap = 0;
		for (i = 0; i < b.n; i++)
			tally_push(ty, &b.e[i]);
		for (i = 0; i < nlater; i++)
			tally_push(ty, &later[i]);
		pthread_mutex_unlock(&ty->lock);
		free(later);
		free(b.e);
		pthread_mutex_unlock(&ty->flush_lock);
		return -1;
	}
	if (rc == 0) {
		if (ty->failures > 0 && ty->on_error != NULL)
			ty->on_error("counter updates work again", ty->ctx);
		ty->failures = 0;
		__atomic_store_n(&ty->failing, 0, __ATOMIC_RELAXED);
	}
	for (i = 0; i < b.n; i++)
		tally_entry_free(&b.e[i]);
	free(b.e);
	pthread_mutex_unlock(&ty->flush_lock);
	return 0;
}

static void *
tally_thread(void *arg)
{
	TALLY *ty = arg;
	struct timespec ts;
	unsigned ms;
	int stop;

	for (;;) {
		pthread_mutex_lock(&ty->lock);
		ms = ty->interval_ms;
		pthread_mutex_unlock(&ty->lock);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += (long)ms * 1000000L;
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&ty->lock);
		while (!ty->stop && pthread_cond_timedwait(&ty->wake,
		    &ty->lock, &ts) != ETIMEDOUT)
			;
		stop = ty->stop;
		pthread_mutex_unlock(&ty->lock);
		tally_flush(ty);
		if (stop)
			return NULL;
	}
}

TALLY *
tally_start(STORE *st, unsigned interval_ms, TALLY_ERROR_FN on_error,
    void *ctx)
{
	TALLY *ty = mem_calloc(1, sizeof(*ty));
	pthread_condattr_t cattr;
	sigset_t all, old;

	ty->store = st;
	ty->interval_ms = interval_ms ? interval_ms : 10;
	ty->on_error = on_error;
	ty->ctx = ctx;
	pthread_mutex_init(&ty->lock, NULL);
	pthread_mutex_init(&ty->flush_lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&ty->wake, &cattr);	/* immune to clock steps */
	pthread_condattr_destroy(&cattr);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (pthread_create(&ty->thread, NULL, tally_thread, ty) != 0)
		panic_die("cannot start the tally thread");
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ty;
}

void
tally_stop(TALLY *ty)
{
	size_t i;

	if (ty == NULL)
		return;
	pthread_mutex_lock(&ty->lock);
	ty->stop = 1;
	pthread_cond_signal(&ty->wake);
	pthread_mutex_unlock(&ty->lock);
	pthread_join(ty->thread, NULL);
	for (i = 0; i < ty->qlen; i++)
		tally_entry_free(&ty->q[i]);
	free(ty->q);
	pthread_mutex_destroy(&ty->lock);
	pthread_mutex_destroy(&ty->flush_lock);
	pthread_cond_destroy(&ty->wake);
	free(ty);
}

uint64_t
tally_dropped(TALLY *ty)
{
	uint64_t n;

	pthread_mutex_lock(&ty->lock);
	n = ty->dropped;
	pthread_mutex_unlock(&ty->lock);
	return n;
}

/* Change the flush interval (at reload); takes effect after the next flush. */
void
tally_set_interval(TALLY *ty, unsigned interval_ms)
{
	pthread_mutex_lock(&ty->lock);
	ty->interval_ms = interval_ms ? interval_ms : 10;
	pthread_mutex_unlock(&ty->lock);
}
