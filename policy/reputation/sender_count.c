/*
 * sender_count.c - a sender's time-bucketed counters, and the sweep of
 * what has aged out (see sender.h).
 *
 * Owns: sender_count(), sender_count_at(), sender_window(),
 * sender_window_start(), sender_bucket(), sender_series(), sender_sweep().
 *
 * Layout (STORE_DB_COUNTERS):
 *	key   = str sender, u8 'm' or 'h', u64 bucket start (Unix seconds)
 *	value = u64 per counter; a shorter value reads as zeros, so counters
 *		can be added later without rewriting the database.
 * All integers are big-endian.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <stdlib.h>
#include <string.h>

#include "reputation/history.h"
#include "base/mem.h"
#include "reputation/sender.h"
#include "reputation/sender_int.h"
#include "store/store.h"

static int
sender_ckey(unsigned char *buf, size_t *len, const char *key, int gran,
    int64_t bucket)
{
	*len = 0;
	if (store_key_str(buf, SENDER_CKEY_MAX, len, key, strlen(key)) != 0 ||
	    store_key_u8(buf, SENDER_CKEY_MAX, len, (unsigned)gran) != 0)
		return -1;
	if (bucket >= 0 && store_key_u64(buf, SENDER_CKEY_MAX, len,
	    (uint64_t)bucket) != 0)
		return -1;
	return 0;
}

static void
sender_counts_read(const unsigned char *v, size_t vlen, SENDER_COUNTS *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < SENDER_COUNTERS && (i + 1) * 8 <= vlen; i++)
		c->n[i] = store_get_u64(v + i * 8);
}

/* Add to one bucket; 1 if the bucket is new, 0 if it was there. */
static int
sender_bucket_add(STORE_TXN *t, const char *key, int gran, int64_t bucket,
    const SENDER_COUNTS *add)
{
	unsigned char k[SENDER_CKEY_MAX], v[SENDER_COUNTERS * 8];
	const void *old;
	size_t klen, vlen = 0, oldlen, i;
	SENDER_COUNTS c;
	int rc;

	if (sender_ckey(k, &klen, key, gran, bucket) != 0)
		return STORE_ERROR;
	rc = store_get(t, STORE_DB_COUNTERS, k, klen, &old, &oldlen);
	if (rc == STORE_ERROR)
		return rc;
	if (rc == 0)
		sender_counts_read(old, oldlen, &c);
	else
		memset(&c, 0, sizeof(c));
	for (i = 0; i < SENDER_COUNTERS; i++) {
		c.n[i] += add->n[i];
		store_key_u64(v, sizeof(v), &vlen, c.n[i]);
	}
	if (store_put(t, STORE_DB_COUNTERS, k, klen, v, vlen) != 0)
		return STORE_ERROR;
	return rc == 0 ? 0 : 1;
}

struct sender_prune {
	size_t		 plen;
	int64_t		 before;
	unsigned char	 old[8][SENDER_CKEY_MAX];
	size_t		 oldlen[8];
	int		 n;
};

static int
sender_prune_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct sender_prune *p = ctx;

	(void)v;
	(void)vlen;
	if (klen != p->plen + 8 ||
	    (int64_t)store_get_u64((const unsigned char *)k + p->plen) >=
	    p->before)
		return 1;
	memcpy(p->old[p->n], k, klen);
	p->oldlen[p->n] = klen;
	return ++p->n == 8;
}

/* Delete up to a few expired buckets; the next count deletes more. */
static int
sender_prune(STORE_TXN *t, const char *key, int gran, int64_t before)
{
	unsigned char prefix[SENDER_CKEY_MAX];
	struct sender_prune p;
	int i;

	memset(&p, 0, sizeof(p));
	p.before = before;
	if (sender_ckey(prefix, &p.plen, key, gran, -1) != 0)
		return STORE_ERROR;
	if (store_scan(t, STORE_DB_COUNTERS, prefix, p.plen, NULL, 0,
	    sender_prune_cb, &p) != 0)
		return STORE_ERROR;
	for (i = 0; i < p.n; i++)
		if (store_del(t, STORE_DB_COUNTERS, p.old[i], p.oldlen[i]) ==
		    STORE_ERROR)
			return STORE_ERROR;
	return 0;
}

int
sender_count(STORE_TXN *t, const char *key, const SENDER_COUNTS *add,
    int64_t now)
{
	return sender_count_at(t, key, add, now, now);
}

/*
 * Count into the buckets of time 'when' (a bounce into those of the
 * message it is about), pruning relative to 'now'.
 */
int
sender_count_at(STORE_TXN *t, const char *key, const SENDER_COUNTS *add,
    int64_t when, int64_t now)
{
	SENDER_STATE s;
	int64_t minute = now - now % 60, hour = now - now % 3600;
	int rc, event, newm, newh;

	if (when > now || when <= 0)
		when = now;
	event = add->n[SENDER_HARD] || add->n[SENDER_SOFT] ||
	    add->n[SENDER_POLICY] || add->n[SENDER_COMPLAINTS];
	/* A damaged record (no store error) is replaced, not fatal. */
	rc = sender_get(t, key, &s);
	if (rc == STORE_ERROR && store_txn_error(t) != NULL)
		return rc;
	/*
	 * The record is rewritten only when something in it changes at the
	 * minute's precision: most counts then write two buckets and no
	 * record (copy-on-write pages are the writer's main cost).
	 */
	if (rc != 0 || s.first_seen == 0 || now - s.last_seen >= 60 || event) {
		if (s.first_seen == 0)
			s.first_seen = now;
		s.last_seen = now;
		if (event)
			s.last_event = now;
		if (sender_put(t, key, &s) != 0)
			return STORE_ERROR;
	}
	if ((newm = sender_bucket_add(t, key, SENDER_MINUTE, when - when % 60,
	    add)) < 0 ||
	    (newh = sender_bucket_add(t, key, SENDER_HOUR, when - when % 3600,
	    add)) < 0)
		return STORE_ERROR;
	/* Old buckets go when a new one starts (and in the sweep). */
	if ((newm && sender_prune(t, key, SENDER_MINUTE,
	    minute - (SENDER_KEEP_MINUTES - 1) * 60) != 0) ||
	    (newh && sender_prune(t, key, SENDER_HOUR,
	    hour - (int64_t)(SENDER_KEEP_HOURS - 1) * 3600) != 0))
		return STORE_ERROR;
	return 0;
}

struct sender_sum {
	size_t		 plen;
	int64_t		 upto;
	SENDER_COUNTS	*sum;
};

static int
sender_sum_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct sender_sum *s = ctx;
	SENDER_COUNTS c;
	size_t i;

	if (klen != s->plen + 8)
		return 0;
	if ((int64_t)store_get_u64((const unsigned char *)k + s->plen) > s->upto)
		return 1;
	sender_counts_read(v, vlen, &c);
	for (i = 0; i < SENDER_COUNTERS; i++)
		s->sum->n[i] += c.n[i];
	return 0;
}

/*
 * Where a window of 'seconds' ending now starts: minute buckets for
 * windows they cover, hour buckets beyond (*unit: 60 or 3600); whole
 * buckets, the current partial one included.
 */
int64_t
sender_window_start(int64_t seconds, int64_t now, int64_t *unit)
{
	int64_t u = seconds > SENDER_KEEP_MINUTES * 60 ? 3600 : 60, nb;

	nb = (seconds + u - 1) / u;
	if (nb < 1)
		nb = 1;
	if (unit != NULL)
		*unit = u;
	return now - now % u - (nb - 1) * u;
}

/* Sum the counters of the last 'seconds', from sender_window_start(). */
int
sender_window(STORE_TXN *t, const char *key, int64_t seconds, int64_t now,
    SENDER_COUNTS *out)
{
	unsigned char prefix[SENDER_CKEY_MAX], from[SENDER_CKEY_MAX];
	struct sender_sum s;
	size_t flen;
	int64_t unit, start = sender_window_start(seconds, now, &unit);

	memset(out, 0, sizeof(*out));
	if (sender_ckey(prefix, &s.plen, key, unit == 60 ? SENDER_MINUTE :
	    SENDER_HOUR, -1) != 0 ||
	    sender_ckey(from, &flen, key, unit == 60 ? SENDER_MINUTE :
	    SENDER_HOUR, start < 0 ? 0 : start) != 0)
		return STORE_ERROR;
	s.upto = now;
	s.sum = out;
	return store_scan(t, STORE_DB_COUNTERS, prefix, s.plen, from, flen,
	    sender_sum_cb, &s);
}

struct sender_series_ctx {
	size_t		 plen;
	int64_t		 first;		/* the first hour's start */
	int		 hours;
	SENDER_COUNTS	*out;
};

static int
sender_series_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct sender_series_ctx *s = ctx;
	int64_t h;

	if (klen != s->plen + 8)
		return 0;
	h = ((int64_t)store_get_u64((const unsigned char *)k + s->plen) -
	    s->first) / 3600;
	if (h >= s->hours)
		return 1;
	if (h >= 0)
		sender_counts_read(v, vlen, &s->out[h]);
	return 0;
}

/*
 * The hour buckets of the last 'hours' hours up to now's (at most
 * SENDER_KEEP_HOURS), oldest first, into out[hours] (zeros where none).
 */
int
sender_series(STORE_TXN *t, const char *key, int64_t now, int hours,
    SENDER_COUNTS *out)
{
	unsigned char prefix[SENDER_CKEY_MAX], from[SENDER_CKEY_MAX];
	struct sender_series_ctx s;
	size_t flen;

	memset(out, 0, (size_t)hours * sizeof(*out));
	s.first = now - now % 3600 - (int64_t)(hours - 1) * 3600;
	s.hours = hours;
	s.out = out;
	if (sender_ckey(prefix, &s.plen, key, SENDER_HOUR, -1) != 0 ||
	    sender_ckey(from, &flen, key, SENDER_HOUR, s.first < 0 ? 0 :
	    s.first) != 0)
		return STORE_ERROR;
	return store_scan(t, STORE_DB_COUNTERS, prefix, s.plen, from, flen,
	    sender_series_cb, &s);
}

/* The counts of the one bucket (SENDER_MINUTE or SENDER_HOUR) holding t. */
int
sender_bucket(STORE_TXN *t, const char *key, int gran, int64_t when,
    SENDER_COUNTS *out)
{
	unsigned char k[SENDER_CKEY_MAX];
	const void *v;
	size_t klen, vlen;
	int64_t unit = gran == SENDER_MINUTE ? 60 : 3600;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sender_ckey(k, &klen, key, gran, when - when % unit) != 0)
		return STORE_ERROR;
	rc = store_get(t, STORE_DB_COUNTERS, k, klen, &v, &vlen);
	if (rc == STORE_ERROR)
		return rc;
	if (rc == 0)
		sender_counts_read(v, vlen, out);
	return 0;
}

/* Housekeeping: what aged out, a slice at a time. */

struct sender_sweep_scan {
	int64_t		 now;
	size_t		 budget, seen;
	int		 db;
	unsigned char	(*del)[2 + SENDER_KEY_MAX + 1 + 8];
	size_t		*dellen, ndel;
	unsigned char	 last[2 + SENDER_KEY_MAX + 1 + 8];
	size_t		 lastlen;
};

/* Is this counter key's bucket past its keeping time? */
static int
sender_sweep_bucket(const unsigned char *k, size_t klen, int64_t now)
{
	size_t slen;
	int64_t start;

	if (klen < 2)
		return 1;			/* malformed: remove */
	slen = (size_t)k[0] << 8 | k[1];
	if (klen != 2 + slen + 1 + 8)
		return 1;
	start = (int64_t)store_get_u64(k + 2 + slen + 1);
	if (k[2 + slen] == SENDER_MINUTE)
		return start < now - SENDER_KEEP_MINUTES * 60;
	if (k[2 + slen] == SENDER_HOUR)
		return start < now - (int64_t)SENDER_KEEP_HOURS * 3600;
	return 1;
}

static int
sender_sweep_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct sender_sweep_scan *sc = ctx;
	SENDER_STATE s;
	int old;

	if (klen > sizeof(sc->last))
		return 0;
	memcpy(sc->last, k, klen);
	sc->lastlen = klen;
	if (sc->db == STORE_DB_COUNTERS)
		old = sender_sweep_bucket(k, klen, sc->now);
	else
		old = sender_decode(v, vlen, &s) == 0 &&
		    !sender_is_paused(&s, sc->now) &&
		    s.last_seen < sc->now - (int64_t)SENDER_KEEP_HOURS * 3600;
	if (old) {
		memcpy(sc->del[sc->ndel], k, klen);
		sc->dellen[sc->ndel++] = klen;
	}
	return ++sc->seen >= sc->budget;
}

struct sender_sweep_op {
	SENDER_SWEEP	*sw;
	int64_t		 now;
	size_t		 budget;
	size_t		 deleted;
};

static int
sender_sweep_fn(STORE_TXN *t, void *ctx)
{
	struct sender_sweep_op *op = ctx;
	struct sender_sweep_scan sc;
	int pass, dbs[2] = { STORE_DB_COUNTERS, STORE_DB_SENDERS };
	size_t i;

	op->deleted = 0;
	memset(&sc, 0, sizeof(sc));
	sc.del = mem_calloc(op->budget, sizeof(*sc.del));
	sc.dellen = mem_calloc(op->budget, sizeof(*sc.dellen));
	for (pass = 0; pass < 2; pass++) {
		sc.now = op->now;
		sc.budget = op->budget;
		sc.seen = sc.ndel = sc.lastlen = 0;
		sc.db = dbs[pass];
		if (store_scan(t, sc.db, "", 0, op->sw->at[pass],
		    op->sw->atlen[pass], sender_sweep_cb, &sc) != 0)
			break;
		for (i = 0; i < sc.ndel; i++) {
			char key[SENDER_KEY_MAX];

			if (store_del(t, sc.db, sc.del[i], sc.dellen[i]) ==
			    STORE_ERROR)
				break;
			/* a sender's history goes with its record */
			if (sc.db == STORE_DB_SENDERS &&
			    sc.dellen[i] < sizeof(key)) {
				memcpy(key, sc.del[i], sc.dellen[i]);
				key[sc.dellen[i]] = '\0';
				if (history_drop(t, key) != 0)
					break;
			}
		}
		op->deleted += sc.ndel;
		/* Resume after the last key seen, or from the start. */
		if (sc.seen < sc.budget || sc.lastlen == 0) {
			op->sw->atlen[pass] = 0;
		} else {
			memcpy(op->sw->at[pass], sc.last, sc.lastlen);
			op->sw->at[pass][sc.lastlen] = 0;	/* next key up */
			op->sw->atlen[pass] = sc.lastlen + 1;
		}
	}
	free(sc.del);
	free(sc.dellen);
	return store_txn_error(t) ? STORE_ERROR : 0;
}

int
sender_sweep(STORE *st, SENDER_SWEEP *sw, int64_t now, size_t budget,
    char *err, size_t errlen)
{
	struct sender_sweep_op op = { sw, now, budget ? budget : 1, 0 };
	int rc;

	rc = store_write(st, sender_sweep_fn, &op, err, errlen);
	if (rc == 0)
		sw->deleted += op.deleted;
	return rc;
}
