/*
 * history.c - a sender's state changes (see history.h).
 *
 * Owns: history_add(), history_list(), history_drop().
 *
 * Layout (STORE_DB_HISTORY):
 *	key   = str sender, u64 time, u64 seq	(str = u16 length + bytes)
 *	value = u8 version (1), u8 from, u8 to, str by, str why
 * All integers are big-endian, so a sender's entries sort by time.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reputation/history.h"
#include "base/mem.h"

#define HISTORY_VERSION	1
#define HISTORY_KEY_MAX	(2 + SENDER_KEY_MAX + 8 + 8)
#define HISTORY_VAL_MAX	(3 + 2 + SENDER_BY_MAX + 2 + HISTORY_WHY_MAX)

static int
history_prefix(unsigned char *buf, size_t *len, const char *key)
{
	*len = 0;
	return store_key_str(buf, HISTORY_KEY_MAX, len, key, strlen(key));
}

static int
history_decode(const unsigned char *k, size_t klen, size_t plen,
    const unsigned char *v, size_t vlen, HISTORY_ENTRY *e)
{
	size_t off = 3;

	memset(e, 0, sizeof(*e));
	if (klen != plen + 16 || vlen < 3 || v[0] != HISTORY_VERSION ||
	    v[1] > SENDER_PROBATION || v[2] > SENDER_PROBATION)
		return -1;
	e->time = (int64_t)store_get_u64(k + plen);
	e->from = v[1];
	e->to = v[2];
	return store_get_str(v, vlen, &off, e->by, sizeof(e->by)) ||
	    store_get_str(v, vlen, &off, e->why, sizeof(e->why)) ? -1 : 0;
}

struct history_scan {
	size_t		 plen, n;
	HISTORY_FN	 fn;
	void		*ctx;
	/* history_add: the oldest keys beyond HISTORY_KEEP */
	unsigned char	 first[HISTORY_KEY_MAX];
	size_t		 firstlen;
};

static int
history_count_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct history_scan *s = ctx;

	(void)v;
	(void)vlen;
	if (s->n++ == 0 && klen <= sizeof(s->first)) {
		memcpy(s->first, k, klen);
		s->firstlen = klen;
	}
	return 0;
}

int
history_add(STORE_TXN *t, const char *key, uint64_t seq,
    const HISTORY_ENTRY *e)
{
	unsigned char k[HISTORY_KEY_MAX], v[HISTORY_VAL_MAX];
	struct history_scan s;
	size_t klen, vlen = 0;

	if (history_prefix(k, &klen, key) != 0 ||
	    store_key_u64(k, sizeof(k), &klen, (uint64_t)e->time) != 0 ||
	    store_key_u64(k, sizeof(k), &klen, seq) != 0)
		return STORE_ERROR;
	store_key_u8(v, sizeof(v), &vlen, HISTORY_VERSION);
	store_key_u8(v, sizeof(v), &vlen, (unsigned)e->from);
	store_key_u8(v, sizeof(v), &vlen, (unsigned)e->to);
	store_key_str(v, sizeof(v), &vlen, e->by,
	    strnlen(e->by, sizeof(e->by) - 1));
	store_key_str(v, sizeof(v), &vlen, e->why,
	    strnlen(e->why, sizeof(e->why) - 1));
	if (store_put(t, STORE_DB_HISTORY, k, klen, v, vlen) != 0)
		return STORE_ERROR;
	/* Keep the newest HISTORY_KEEP: one over after each add at most. */
	memset(&s, 0, sizeof(s));
	if (history_prefix(k, &s.plen, key) != 0 ||
	    store_scan(t, STORE_DB_HISTORY, k, s.plen, NULL, 0,
	    history_count_cb, &s) != 0)
		return STORE_ERROR;
	if (s.n > HISTORY_KEEP && store_del(t, STORE_DB_HISTORY, s.first,
	    s.firstlen) == STORE_ERROR)
		return STORE_ERROR;
	return 0;
}

static int
history_list_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct history_scan *s = ctx;
	HISTORY_ENTRY e;

	if (history_decode(k, klen, s->plen, v, vlen, &e) != 0)
		return 0;
	return s->fn(&e, s->ctx);
}

int
history_list(STORE_TXN *t, const char *key, HISTORY_FN fn, void *ctx)
{
	unsigned char k[HISTORY_KEY_MAX];
	struct history_scan s;

	memset(&s, 0, sizeof(s));
	s.fn = fn;
	s.ctx = ctx;
	if (history_prefix(k, &s.plen, key) != 0)
		return STORE_ERROR;
	return store_scan(t, STORE_DB_HISTORY, k, s.plen, NULL, 0,
	    history_list_cb, &s) == STORE_ERROR ? STORE_ERROR : 0;
}

struct history_drop {
	unsigned char	 k[HISTORY_KEEP + 8][HISTORY_KEY_MAX];
	size_t		 klen[HISTORY_KEEP + 8];
	size_t		 n;
};

static int
history_drop_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct history_drop *d = ctx;

	(void)v;
	(void)vlen;
	if (klen > HISTORY_KEY_MAX)
		return 0;
	memcpy(d->k[d->n], k, klen);
	d->klen[d->n] = klen;
	return ++d->n == HISTORY_KEEP + 8;
}

int
history_drop(STORE_TXN *t, const char *key)
{
	unsigned char k[HISTORY_KEY_MAX];
	struct history_drop *d;
	size_t plen, i;
	int rc = 0;

	if (history_prefix(k, &plen, key) != 0)
		return STORE_ERROR;
	d = mem_calloc(1, sizeof(*d));
	do {
		d->n = 0;
		if (store_scan(t, STORE_DB_HISTORY, k, plen, NULL, 0,
		    history_drop_cb, d) == STORE_ERROR) {
			rc = STORE_ERROR;
			break;
		}
		for (i = 0; i < d->n; i++)
			if (store_del(t, STORE_DB_HISTORY, d->k[i],
			    d->klen[i]) == STORE_ERROR)
				rc = STORE_ERROR;
	} while (rc == 0 && d->n == HISTORY_KEEP + 8);
	free(d);
	return rc;
}
