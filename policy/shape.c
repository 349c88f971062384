/*
 * shape.c - the daemon's token buckets in memory (see shape.h).
 *
 * Owns: shape_new(), shape_free(), shape_take(), shape_peek(),
 * shape_give(), shape_queue(), shape_sweep(), shape_size().
 *
 * Decisions: a chained hash table of buckets by name (FNV-1a), grown at
 * a load of one, under one mutex (a take is a few lookups and some
 * arithmetic).  A changed bucket goes on a dirty list once; shape_queue()
 * hands each dirty bucket's state at that moment to the tally, which
 * writes it in its next batch (and keeps it for the next attempt if the
 * batch fails).  shape_sweep() forgets buckets that are clean and
 * unchanged for SHAPE_FORGET_MS: the tally has written their state long
 * before (it writes within a second), and the next use reads it back.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself,
 * call the tally while a caller could hold its lock (only shape_queue()
 * calls it, from the tally's own prepare hook).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "shape.h"

#define SHAPE_FORGET_MS	(60LL * 1000)	/* full and idle this long: dropped */

struct shape_entry {
	struct shape_entry	*next;
	uint64_t		 hash;
	BUCKET			 b;
	int			 dirty;
	int64_t			 changed_ms;
	char			 name[];
};

struct SHAPE {
	STORE			*store;
	pthread_mutex_t		 lock;
	struct shape_entry	**slot;
	size_t			 nslot, n;
	struct shape_entry	**dirty;
	size_t			 ndirty, dirtycap;
};

static uint64_t
shape_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

SHAPE *
shape_new(STORE *st)
{
	SHAPE *sh = mem_calloc(1, sizeof(*sh));

	sh->store = st;
	sh->nslot = 1024;
	sh->slot = mem_calloc(sh->nslot, sizeof(*sh->slot));
	pthread_mutex_init(&sh->lock, NULL);
	return sh;
}

void
shape_free(SHAPE *sh)
{
	struct shape_entry *e, *next;
	size_t i;

	if (sh == NULL)
		return;
	for (i = 0; i < sh->nslot; i++)
		for (e = sh->slot[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(sh->slot);
	free(sh->dirty);
	pthread_mutex_destroy(&sh->lock);
	free(sh);
}

static void
shape_grow(SHAPE *sh)
{
	size_t nslot = sh->nslot * 2, i;
	struct shape_entry **slot = mem_calloc(nslot, sizeof(*slot)), *e, *next;

	for (i = 0; i < sh->nslot; i++)
		for (e = sh->slot[i]; e != NULL; e = next) {
			next = e->next;
			e->next = slot[e->hash & (nslot - 1)];
			slot[e->hash & (nslot - 1)] = e;
		}
	free(sh->slot);
	sh->slot = slot;
	sh->nslot = nslot;
}

struct shape_load {
	const char	*name;
	BUCKET		 b;
};

static int
shape_load_fn(STORE_TXN *t, void *ctx)
{
	struct shape_load *l = ctx;
	int rc = bucket_get(t, l->name, &l->b);

	return rc == STORE_ERROR ? STORE_ERROR : 0;
}

/* The bucket of that name, read from the store if not in memory; NULL on
 * a store error (in err).  Under the lock. */
static struct shape_entry *
shape_find(SHAPE *sh, const char *name, char *err, size_t errlen)
{
	uint64_t h = shape_hash(name);
	struct shape_entry *e;
	struct shape_load l;
	size_t len = strlen(name);

	for (e = sh->slot[h & (sh->nslot - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->name, name) == 0)
			return e;
	if (len == 0 || len > BUCKET_NAME_MAX) {
		snprintf(err, errlen, "bucket name of %zu octets", len);
		return NULL;
	}
	memset(&l, 0, sizeof(l));
	l.name = name;
	if (sh->store != NULL && store_read(sh->store, shape_load_fn, &l, err,
	    errlen) != 0)
		return NULL;
	if (sh->n >= sh->nslot)
		shape_grow(sh);
	e = mem_calloc(1, sizeof(*e) + len + 1);
	memcpy(e->name, name, len + 1);
	e->hash = h;
	e->b = l.b;
	e->next = sh->slot[h & (sh->nslot - 1)];
	sh->slot[h & (sh->nslot - 1)] = e;
	sh->n++;
	return e;
}

static void
shape_changed(SHAPE *sh, struct shape_entry *e, int64_t now_ms)
{
	e->changed_ms = now_ms;
	if (e->dirty)
		return;
	if (sh->ndirty == sh->dirtycap) {
		sh->dirtycap = sh->dirtycap ? sh->dirtycap * 2 : 256;
		sh->dirty = mem_realloc(sh->dirty, sh->dirtycap *
		    sizeof(*sh->dirty));
	}
	sh->dirty[sh->ndirty++] = e;
	e->dirty = 1;
}

/*
 * The check of shape_take() and shape_peek(): every hard item must have
 * the tokens.  The entries found go to ent[] (n of them).
 */
static int
shape_check(SHAPE *sh, const SHAPE_ITEM *it, size_t n, int64_t tokens,
    int64_t now_ms, SHAPE_RESULT *res, struct shape_entry **ent)
{
	BUCKET probe;
	int64_t wait;
	size_t i;

	memset(res, 0, sizeof(*res));
	for (i = 0; i < n; i++)
		if ((ent[i] = shape_find(sh, it[i].name, res->err,
		    sizeof(res->err))) == NULL) {
			res->which = i;
			return STORE_ERROR;
		}
	for (i = 0; i < n; i++) {
		if (it[i].soft)
			continue;
		probe = ent[i]->b;
		if ((wait = bucket_take(&probe, it[i].rule, now_ms, tokens)) !=
		    0) {
			res->which = i;
			res->wait_ms = wait;
			res->level = bucket_level(&ent[i]->b, it[i].rule,
			    now_ms);
			return SHAPE_LIMITED;
		}
	}
	return 0;
}

#define SHAPE_ITEMS_MAX	8

int
shape_take(SHAPE *sh, const SHAPE_ITEM *it, size_t n, int64_t tokens,
    int64_t now_ms, SHAPE_RESULT *res)
{
	struct shape_entry *ent[SHAPE_ITEMS_MAX];
	size_t i;
	int rc;

	if (n > SHAPE_ITEMS_MAX) {
		memset(res, 0, sizeof(*res));
		snprintf(res->err, sizeof(res->err), "%zu buckets at once", n);
		return STORE_ERROR;
	}
	pthread_mutex_lock(&sh->lock);
	rc = shape_check(sh, it, n, tokens, now_ms, res, ent);
	if (rc == SHAPE_LIMITED) {
		ent[res->which]->b.refused++;
		ent[res->which]->b.refused_at = now_ms;
		ent[res->which]->b.used = 1;
		if (ent[res->which]->b.at == 0)
			ent[res->which]->b.at = now_ms;	/* was full */
		shape_changed(sh, ent[res->which], now_ms);
	} else if (rc == 0)
		for (i = 0; i < n; i++) {
			if (it[i].soft)
				bucket_charge(&ent[i]->b, it[i].rule, now_ms,
				    tokens);
			else
				(void)bucket_take(&ent[i]->b, it[i].rule,
				    now_ms, tokens);
			shape_changed(sh, ent[i], now_ms);
		}
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

int
shape_peek(SHAPE *sh, const SHAPE_ITEM *it, size_t n, int64_t tokens,
    int64_t now_ms, SHAPE_RESULT *res)
{
	struct shape_entry *ent[SHAPE_ITEMS_MAX];
	int rc;

	if (n > SHAPE_ITEMS_MAX) {
		memset(res, 0, sizeof(*res));
		snprintf(res->err, sizeof(res->err), "%zu buckets at once", n);
		return STORE_ERROR;
	}
	pthread_mutex_lock(&sh->lock);
	rc = shape_check(sh, it, n, tokens, now_ms, res, ent);
	pthread_mutex_unlock(&sh->lock);
	return rc;
}

void
shape_give(SHAPE *sh, const SHAPE_ITEM *it, size_t n, int64_t tokens,
    int64_t now_ms)
{
	struct shape_entry *e;
	char err[256];
	size_t i;

	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < n; i++)
		if ((e = shape_find(sh, it[i].name, err, sizeof(err))) != NULL) {
			bucket_give(&e->b, it[i].rule, now_ms, tokens);
			shape_changed(sh, e, now_ms);
		}
	pthread_mutex_unlock(&sh->lock);
}

/*
 * The tally's prepare hook: each bucket changed since the last call, as
 * it is now, into the coming batch.  The values are copied under the
 * lock; the tally is called after it is released.
 */
void
shape_queue(SHAPE *sh, TALLY *ty)
{
	struct { char *name; unsigned char v[BUCKET_VALUE_LEN]; size_t vlen; }
	    *out;
	size_t i, n;

	pthread_mutex_lock(&sh->lock);
	n = sh->ndirty;
	if (n == 0) {
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	out = mem_alloc(n * sizeof(*out));
	for (i = 0; i < n; i++) {
		out[i].name = mem_strdup(sh->dirty[i]->name);
		out[i].vlen = bucket_encode(&sh->dirty[i]->b, out[i].v);
		sh->dirty[i]->dirty = 0;
	}
	sh->ndirty = 0;
	pthread_mutex_unlock(&sh->lock);
	for (i = 0; i < n; i++) {
		tally_put(ty, STORE_DB_BUCKETS, out[i].name,
		    strlen(out[i].name), out[i].v, out[i].vlen);
		free(out[i].name);
	}
	free(out);
}

/* Forget clean buckets idle for SHAPE_FORGET_MS: how many. */
size_t
shape_sweep(SHAPE *sh, int64_t now_ms)
{
	struct shape_entry **pp, *e;
	size_t i, gone = 0;

	pthread_mutex_lock(&sh->lock);
	for (i = 0; i < sh->nslot; i++)
		for (pp = &sh->slot[i]; (e = *pp) != NULL;) {
			if (!e->dirty && now_ms - e->changed_ms >=
			    SHAPE_FORGET_MS && now_ms - e->b.at >=
			    SHAPE_FORGET_MS) {
				*pp = e->next;
				free(e);
				sh->n--;
				gone++;
			} else
				pp = &e->next;
		}
	pthread_mutex_unlock(&sh->lock);
	return gone;
}

size_t
shape_size(SHAPE *sh)
{
	size_t n;

	pthread_mutex_lock(&sh->lock);
	n = sh->n;
	pthread_mutex_unlock(&sh->lock);
	return n;
}
