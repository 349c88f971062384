/*
 * shape.c - the daemon's token buckets in memory (see shape.h).
 *
 * Owns: shape_new(), shape_free(), shape_hash(), shape_load_names(),
 * shape_take(), shape_peek(), shape_give(), shape_queue(), shape_sweep(),
 * shape_size(), shape_lease_size(), shape_share_last_take(), and the
 * shared take (leases, credit, a node's share: see shape_share.c for the
 * thread's side).
 *
 * Decisions: chained hash tables of buckets by name (FNV-1a), grown at a
 * load of one, in SHAPE_SHARDS shards by the hash's top bits, each under
 * its own mutex: a take locks the shards of its buckets in ascending order
 * (so two takes never wait on each other in a cycle), does a few lookups
 * and some arithmetic, and unlocks.  On two cores a thread that holds the
 * only lock can be preempted, and every other message then waits for the
 * scheduler: shards make that rare.  Beside each table, an open-addressing
 * set of the 64-bit hashes of names the store may hold, so that a first
 * meeting reads the store only when it may find something (a collision
 * costs one needless read).  A changed bucket goes on a dirty list once;
 * shape_queue() hands each dirty bucket's state at that moment to the
 * tally, which writes it in its next batch (and keeps it for the next
 * attempt if the batch fails); a bucket full again waits for a call with
 * all, since only its counts changed. shape_sweep() forgets buckets that
 * are clean and unchanged for SHAPE_FORGET_MS: their state is in the
 * store, and the next use reads it back.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself,
 * call the tally while holding its own lock.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "shaping/shape.h"
#include "shaping/shape_int.h"

/* FNV-1a of a name: the table's hash, and a short stand-in for a long key */
uint64_t
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
	size_t i;

	sh->store = st;
	for (i = 0; i < SHAPE_SHARDS; i++) {
		sh->shard[i].nslot = 64;
		sh->shard[i].slot = mem_calloc(sh->shard[i].nslot,
		    sizeof(*sh->shard[i].slot));
		pthread_mutex_init(&sh->shard[i].lock, NULL);
	}
	return sh;
}

void
shape_free(SHAPE *sh)
{
	struct shape_shard *sd;
	struct shape_entry *e, *next;
	size_t i, j;

	if (sh == NULL)
		return;
	for (j = 0; j < SHAPE_SHARDS; j++) {
		sd = &sh->shard[j];
		for (i = 0; i < sd->nslot; i++)
			for (e = sd->slot[i]; e != NULL; e = next) {
				next = e->next;
				free(e);
			}
		free(sd->slot);
		free(sd->dirty);
		free(sd->known);
		pthread_mutex_destroy(&sd->lock);
	}
	free(sh);
}

static void
shape_grow(struct shape_shard *sd)
{
	size_t nslot = sd->nslot * 2, i;
	struct shape_entry **slot = mem_calloc(nslot, sizeof(*slot)), *e, *next;

	for (i = 0; i < sd->nslot; i++)
		for (e = sd->slot[i]; e != NULL; e = next) {
			next = e->next;
			e->next = slot[e->hash & (nslot - 1)];
			slot[e->hash & (nslot - 1)] = e;
		}
	free(sd->slot);
	sd->slot = slot;
	sd->nslot = nslot;
}

/* The set of name hashes the store may hold (open addressing). */
static void
shape_know(struct shape_shard *sd, uint64_t h)
{
	size_t i, cap;
	uint64_t *old;

	h |= 1;				/* 0 marks an empty slot */
	if (2 * (sd->nknown + 1) > sd->knowncap) {
		old = sd->known;
		cap = sd->knowncap;
		sd->knowncap = cap ? cap * 2 : 256;
		sd->known = mem_calloc(sd->knowncap, sizeof(*sd->known));
		sd->nknown = 0;
		for (i = 0; i < cap; i++)
			if (old[i] != 0)
				shape_know(sd, old[i]);
		free(old);
	}
	for (i = h & (sd->knowncap - 1); sd->known[i] != 0;
	    i = (i + 1) & (sd->knowncap - 1))
		if (sd->known[i] == h)
			return;
	sd->known[i] = h;
	sd->nknown++;
}

static int
shape_known(const SHAPE *sh, const struct shape_shard *sd, uint64_t h)
{
	size_t i;

	if (!__atomic_load_n(&sh->complete, __ATOMIC_SEQ_CST))
		return 1;		/* may be there: read it */
	if (sd->knowncap == 0)
		return 0;
	h |= 1;
	for (i = h & (sd->knowncap - 1); sd->known[i] != 0;
	    i = (i + 1) & (sd->knowncap - 1))
		if (sd->known[i] == h)
			return 1;
	return 0;
}

struct shape_names {
	uint64_t	*h;
	size_t		 n, cap;
};

static int
shape_names_cb(const void *key, size_t klen, const void *val, size_t vlen,
    void *ctx)
{
	struct shape_names *nm = ctx;
	char name[BUCKET_NAME_MAX + 1];

	(void)val;
	(void)vlen;
	if (klen == 0 || klen > BUCKET_NAME_MAX)
		return 0;
	memcpy(name, key, klen);
	name[klen] = '\0';
	if (nm->n == nm->cap) {
		nm->cap = nm->cap ? nm->cap * 2 : 1024;
		nm->h = mem_realloc(nm->h, nm->cap * sizeof(*nm->h));
	}
	nm->h[nm->n++] = shape_hash(name);
	return 0;
}

static int
shape_names_fn(STORE_TXN *t, void *ctx)
{
	struct shape_names *nm = ctx;

	nm->n = 0;
	return store_scan(t, STORE_DB_BUCKETS, NULL, 0, NULL, 0,
	    shape_names_cb, nm);
}

/*
 * Learn which buckets the store holds (their names' hashes, 8 octets
 * each), once at start, before any take: then a bucket met for the first
 * time is read from the store only if it may be there.  Without this
 * every first meeting reads.  0, or STORE_ERROR (err).
 */
int
shape_load_names(SHAPE *sh, char *err, size_t errlen)
{
	struct shape_names nm;
	struct shape_shard *sd;
	size_t i;

	memset(&nm, 0, sizeof(nm));
	__atomic_store_n(&sh->complete, 0, __ATOMIC_SEQ_CST);
	if (sh->store == NULL)
		return 0;
	if (store_read(sh->store, shape_names_fn, &nm, err, errlen) != 0) {
		free(nm.h);
		return STORE_ERROR;
	}
	for (i = 0; i < nm.n; i++) {
		sd = &sh->shard[SHAPE_SHARD(nm.h[i])];
		pthread_mutex_lock(&sd->lock);
		shape_know(sd, nm.h[i]);
		pthread_mutex_unlock(&sd->lock);
	}
	free(nm.h);
	__atomic_store_n(&sh->complete, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static struct shape_entry *
shape_lookup(struct shape_shard *sd, const char *name, uint64_t h)
{
	struct shape_entry *e;

	for (e = sd->slot[h & (sd->nslot - 1)]; e != NULL; e = e->next)
		if (e->hash == h && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static struct shape_entry *
shape_insert(struct shape_shard *sd, const char *name, uint64_t h,
    const BUCKET *b)
{
	size_t len = strlen(name);
	struct shape_entry *e;

	if (sd->n >= sd->nslot)
		shape_grow(sd);
	e = mem_calloc(1, sizeof(*e) + len + 1);
	memcpy(e->name, name, len + 1);
	e->hash = h;
	e->b = *b;
	e->next = sd->slot[h & (sd->nslot - 1)];
	sd->slot[h & (sd->nslot - 1)] = e;
	sd->n++;
	return e;
}

static void
shape_lock(SHAPE *sh, const struct shape_locks *lk)
{
	size_t i;

	for (i = 0; i < lk->n; i++)
		pthread_mutex_lock(&sh->shard[lk->idx[i]].lock);
}

static void
shape_unlock(SHAPE *sh, const struct shape_locks *lk)
{
	size_t i;

	for (i = lk->n; i-- > 0; )
		pthread_mutex_unlock(&sh->shard[lk->idx[i]].lock);
}

struct shape_load {
	const SHAPE_ITEM	*it;
	size_t			 n;
	const int		*need;
	BUCKET			*b;
};

static int
shape_load_fn(STORE_TXN *t, void *ctx)
{
	struct shape_load *l = ctx;
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->need[i] && bucket_get(t, l->it[i].name, &l->b[i]) ==
		    STORE_ERROR)
			return STORE_ERROR;
	return 0;
}

/*
 * The entries of the items, in ent[]: looked up with their shards
 * locked, and those not in memory that the store may hold read from it
 * with the locks released (one read transaction for all of them).
 * Returns with the shards in lk locked, 0; or with none, STORE_ERROR
 * (err).
 */
static int
shape_entries(SHAPE *sh, const SHAPE_ITEM *it, size_t n,
    struct shape_entry **ent, struct shape_locks *lk, char *err,
    size_t errlen)
{
	int need[SHAPE_ITEMS_MAX] = { 0 }, reads = 0;
	uint64_t h[SHAPE_ITEMS_MAX];
	BUCKET b[SHAPE_ITEMS_MAX], fresh;
	struct shape_shard *sd;
	struct shape_load l;
	size_t i, j, k, len;

	if (n > SHAPE_ITEMS_MAX) {
		snprintf(err, errlen, "%zu buckets at once", n);
		return STORE_ERROR;
	}
	memset(&fresh, 0, sizeof(fresh));
	lk->n = 0;
	for (i = 0; i < n; i++) {
		len = strlen(it[i].name);
		if (len == 0 || len > BUCKET_NAME_MAX) {
			snprintf(err, errlen, "bucket name of %zu octets", len);
			return STORE_ERROR;
		}
		h[i] = shape_hash(it[i].name);
		k = SHAPE_SHARD(h[i]);		/* insert, sorted, once */
		for (j = 0; j < lk->n && lk->idx[j] < k; j++)
			;
		if (j < lk->n && lk->idx[j] == k)
			continue;
		memmove(&lk->idx[j + 1], &lk->idx[j], (lk->n - j) *
		    sizeof(lk->idx[0]));
		lk->idx[j] = k;
		lk->n++;
	}
	shape_lock(sh, lk);
	for (i = 0; i < n; i++) {
		sd = &sh->shard[SHAPE_SHARD(h[i])];
		if ((ent[i] = shape_lookup(sd, it[i].name, h[i])) != NULL)
			continue;
		if (sh->store != NULL && shape_known(sh, sd, h[i]))
			reads += need[i] = 1;
		else
			ent[i] = shape_insert(sd, it[i].name, h[i], &fresh);
	}
	if (reads == 0)
		return 0;
	shape_unlock(sh, lk);
	memset(b, 0, sizeof(b));
	l.it = it;
	l.n = n;
	l.need = need;
	l.b = b;
	if (store_read(sh->store, shape_load_fn, &l, err, errlen) != 0)
		return STORE_ERROR;
	shape_lock(sh, lk);
	for (i = 0; i < n; i++) {	/* another thread may have been first */
		sd = &sh->shard[SHAPE_SHARD(h[i])];
		if (need[i] && (ent[i] = shape_lookup(sd, it[i].name, h[i])) ==
		    NULL)
			ent[i] = shape_insert(sd, it[i].name, h[i], &b[i]);
	}
	return 0;
}

static void
shape_changed(SHAPE *sh, struct shape_entry *e, const BUCKET_RULE *r,
    int64_t now_ms)
{
	struct shape_shard *sd = &sh->shard[SHAPE_SHARD(e->hash)];

	e->rule = *r;
	e->changed_ms = now_ms;
	if (e->dirty)
		return;
	if (sd->ndirty == sd->dirtycap) {
		sd->dirtycap = sd->dirtycap ? sd->dirtycap * 2 : 64;
		sd->dirty = mem_realloc(sd->dirty, sd->dirtycap *
		    sizeof(*sd->dirty));
	}
	sd->dirty[sd->ndirty++] = e;
	e->dirty = 1;
}

/*
 * Shared by a cluster's nodes (shape.h, "Shared"; the cluster thread's
 * side is shape_share.c): a take from this node's lease of the cluster's
 * bucket, else on credit, else (the cluster away) from its share.
 */

/* Tokens leased at a time: a quarter of the burst over the nodes, 1-100. */
int64_t
shape_lease_size(const BUCKET_RULE *r, unsigned nodes)
{
	int64_t w = r->burst / (4 * (int64_t)(nodes > 0 ? nodes : 1));

	return w < 1 ? 1 : w > SHAPE_LEASE_MAX ? SHAPE_LEASE_MAX : w;
}

/* A node's share of a rule, while the cluster is down. */
static BUCKET_RULE
shape_local_share(const SHAPE *sh, const BUCKET_RULE *r)
{
	unsigned n = __atomic_load_n(&sh->nodes, __ATOMIC_RELAXED);
	BUCKET_RULE s = *r;

	if (n > 1) {
		s.tokens = r->tokens / n > 0 ? r->tokens / n : 1;
		s.burst = r->burst / n > 0 ? r->burst / n : 1;
	}
	return s;
}

static int
shape_share_check(const SHAPE *sh, int mode, const struct shape_entry *e,
    const SHAPE_ITEM *it, int64_t tokens, int64_t now_ms, int64_t *wait)
{
	const struct shape_lease *l = &e->sh;
	int64_t credit = shape_lease_size(it->rule,
	    __atomic_load_n(&sh->nodes, __ATOMIC_RELAXED));
	BUCKET_RULE share;
	BUCKET probe;

	*wait = 0;
	if (l->lease >= tokens)
		return 0;
	if (mode == SHAPE_SHARED_DOWN) {
		share = shape_local_share(sh, it->rule);
		probe = e->b;
		*wait = bucket_take(&probe, &share, now_ms, tokens - l->lease);
		return *wait != 0 ? SHAPE_LIMITED : 0;
	}
	if (!l->dry && l->debt + l->charging + tokens - l->lease <= credit)
		return 0;
	*wait = l->dry && l->dry_until > now_ms ? l->dry_until - now_ms :
	    SHAPE_LEASE_WAIT_MS;
	return SHAPE_LIMITED;
}

static void
shape_share_take(SHAPE *sh, int mode, struct shape_entry *e,
    const SHAPE_ITEM *it, int64_t tokens, int64_t now_ms)
{
	struct shape_lease *l = &e->sh;
	int64_t from_lease = it->soft ? 0 : tokens < l->lease ? tokens :
	    l->lease;
	BUCKET_RULE share;

	l->lease -= from_lease;
	l->debt += tokens - from_lease;
	l->used_ms = now_ms;
	__atomic_store_n(&sh->shared_take_ms, now_ms,
	    __ATOMIC_RELAXED);
	if (mode == SHAPE_SHARED_DOWN && tokens > from_lease) {
		share = shape_local_share(sh, it->rule);
		bucket_charge(&e->b, &share, now_ms, tokens - from_lease);
	} else		/* what `repguardctl limits` shows of this node */
		bucket_charge(&e->b, it->rule, now_ms, tokens);
}

/* When a shared bucket was last taken from (0: never): the cluster
 * thread asks for leases more often while takes come. */
int64_t
shape_share_last_take(const SHAPE *sh)
{
	return __atomic_load_n(&sh->shared_take_ms, __ATOMIC_RELAXED);
}

/* A message that took and did not go: its tokens back to the lease. */
static void
shape_share_give(struct shape_entry *e, int64_t tokens)
{
	e->sh.lease += tokens;
}

/* The check of shape_take() and shape_peek(), under the locks: every hard
 * item must have the tokens (shared by a cluster: shape_share.c). */
static int
shape_check(const SHAPE *sh, int mode, const SHAPE_ITEM *it, size_t n,
    int64_t tokens, int64_t now_ms, SHAPE_RESULT *res,
    struct shape_entry **ent)
{
	int shared = mode != SHAPE_LOCAL;
	BUCKET probe;
	int64_t wait;
	size_t i;

	for (i = 0; i < n; i++) {
		if (it[i].soft)
			continue;
		probe = ent[i]->b;
		if (shared ? shape_share_check(sh, mode, ent[i], &it[i],
		    tokens, now_ms, &wait) != 0 : (wait = bucket_take(&probe,
		    it[i].rule, now_ms, tokens)) != 0) {
			res->which = i;
			res->wait_ms = wait;
			res->level = shared ? ent[i]->sh.lease :
			    bucket_level(&ent[i]->b, it[i].rule, now_ms);
			return SHAPE_LIMITED;
		}
	}
	return 0;
}

/* shape_take() and shape_peek(): take says whether to. */
static int
shape_do(SHAPE *sh, const SHAPE_ITEM *it, size_t n, int64_t tokens,
    int64_t now_ms, SHAPE_RESULT *res, int take)
{
	struct shape_entry *ent[SHAPE_ITEMS_MAX];
	struct shape_locks lk;
	size_t i;
	int rc, mode;

	memset(res, 0, sizeof(*res));
	if (shape_entries(sh, it, n, ent, &lk, res->err,
	    sizeof(res->err)) != 0)
		return STORE_ERROR;
	/* the mode once: a check and its take agree */
	mode = __atomic_load_n(&sh->share, __ATOMIC_RELAXED);
	rc = shape_check(sh, mode, it, n, tokens, now_ms, res, ent);
	if (take && rc == SHAPE_LIMITED) {
		ent[res->which]->b.refused++;
		ent[res->which]->b.refused_at = now_ms;
		ent[res->which]->b.used = 1;
		if (ent[res->which]->b.at == 0)
			ent[res->which]->b.at = now_ms;	/* was full */
		shape_changed(sh, ent[res->which], it[res->which].rule,
		    now_ms);
	} else if (take && rc == 0)
		for (i = 0; i < n; i++) {
			if (mode != SHAPE_LOCAL)
				shape_share_take(sh, mode, ent[i], &it[i],
				    tokens, now_ms);
			else if (it[i].soft)
				bucket_charge(&ent[i]->b, it[i].rule, now_ms,
				    tokens);
			else
				(void)bucket_take(&ent[i]->b, it[i].rule,
				    now_ms, tokens);
			shape_changed(sh, ent[i], it[i].rule, now_ms);
		}
	shape_unlock(sh, &lk);
	return rc;
}

int
shape_take(SHAPE *sh, const SHAPE_ITEM *it, size_t n, int64_t tokens,
    int64_t now_ms, SHAPE_RESULT *res)
{
	return shape_do(sh, it, n, tokens, now_ms, res, 1);
}

int
shape_peek(SHAPE *sh, const SHAPE_ITEM *it, size_t n, int64_t tokens,
    int64_t now_ms, SHAPE_RESULT *res)
{
	return shape_do(sh, it, n, tokens, now_ms, res, 0);
}

void
shape_give(SHAPE *sh, const SHAPE_ITEM *it, size_t n, int64_t tokens,
    int64_t now_ms)
{
	struct shape_entry *ent[SHAPE_ITEMS_MAX];
	struct shape_locks lk;
	char err[256];
	size_t i;

	if (shape_entries(sh, it, n, ent, &lk, err, sizeof(err)) != 0)
		return;			/* a store error: kept as taken */
	for (i = 0; i < n; i++) {
		if (__atomic_load_n(&sh->share, __ATOMIC_RELAXED) !=
		    SHAPE_LOCAL)
			shape_share_give(ent[i], tokens);
		bucket_give(&ent[i]->b, it[i].rule, now_ms, tokens);
		shape_changed(sh, ent[i], it[i].rule, now_ms);
	}
	shape_unlock(sh, &lk);
}

/*
 * Each bucket changed since it was last handed over, as it is now, into
 * the tally's coming batch: with all, every one; else only those whose
 * tokens matter (not full again at now_ms) or with a new refusal.  A
 * bucket full again needs no write for its tokens: the state last
 * written refills to full as well (takes since only lowered it); only
 * its counts wait for the next call with all.  The values are copied
 * under each shard's lock; the tally is called after it is released.
 */
void
shape_queue(SHAPE *sh, TALLY *ty, int64_t now_ms, int all)
{
	struct { char *name; unsigned char v[BUCKET_VALUE_LEN]; size_t vlen; }
	    *out;
	struct shape_shard *sd;
	struct shape_entry *e;
	size_t i, j, n, keep;

	for (j = 0; j < SHAPE_SHARDS; j++) {
		sd = &sh->shard[j];
		pthread_mutex_lock(&sd->lock);
		if (sd->ndirty == 0) {
			pthread_mutex_unlock(&sd->lock);
			continue;
		}
		out = mem_alloc(sd->ndirty * sizeof(*out));
		for (i = n = keep = 0; i < sd->ndirty; i++) {
			e = sd->dirty[i];
			if (!all && e->b.refused == e->refused_written &&
			    bucket_level(&e->b, &e->rule, now_ms) >=
			    e->rule.burst) {
				sd->dirty[keep++] = e;	/* counts: later */
				continue;
			}
			out[n].name = mem_strdup(e->name);
			out[n].vlen = bucket_encode(&e->b, out[n].v);
			n++;
			e->dirty = 0;
			e->refused_written = e->b.refused;
			shape_know(sd, e->hash);	/* soon stored */
		}
		sd->ndirty = keep;
		pthread_mutex_unlock(&sd->lock);
		for (i = 0; i < n; i++) {
			tally_put(ty, STORE_DB_BUCKETS, out[i].name,
			    strlen(out[i].name), out[i].v, out[i].vlen);
			free(out[i].name);
		}
		free(out);
	}
}

/* Forget clean buckets idle for SHAPE_FORGET_MS: how many. */
size_t
shape_sweep(SHAPE *sh, int64_t now_ms)
{
	struct shape_shard *sd;
	struct shape_entry **pp, *e;
	size_t i, j, gone = 0;

	for (j = 0; j < SHAPE_SHARDS; j++) {
		sd = &sh->shard[j];
		pthread_mutex_lock(&sd->lock);
		for (i = 0; i < sd->nslot; i++)
			for (pp = &sd->slot[i]; (e = *pp) != NULL;) {
				if (!e->dirty && !e->sh.asking &&
				    e->sh.debt == 0 && e->sh.lease == 0 &&
				    now_ms - e->changed_ms >=
				    SHAPE_FORGET_MS && now_ms - e->b.at >=
				    SHAPE_FORGET_MS) {
					*pp = e->next;
					free(e);
					sd->n--;
					gone++;
				} else
					pp = &e->next;
			}
		pthread_mutex_unlock(&sd->lock);
	}
	return gone;
}

size_t
shape_size(SHAPE *sh)
{
	size_t j, n = 0;

	for (j = 0; j < SHAPE_SHARDS; j++) {
		pthread_mutex_lock(&sh->shard[j].lock);
		n += sh->shard[j].n;
		pthread_mutex_unlock(&sh->shard[j].lock);
	}
	return n;
}
