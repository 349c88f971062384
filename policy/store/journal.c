/*
 * journal.c - the outbox of changes for the other nodes of a cluster
 * (see store.h, "The journal").
 *
 * Owns: store_journal(), store_journal_read(), store_journal_ack(),
 * store_journal_stat(), store_journal_resynced().  An entry is keyed by
 * its sequence number (big-endian, so the outbox reads in order) and
 * holds its kind (one octet) and what the module that wrote it gave.  The
 * totals (last sequence number, entries, bytes, dropped, resync) are one
 * record of the meta database, updated in the same transaction as the
 * entries, so they never disagree with them.
 *
 * Must not: read what an entry says (its module does), or include a
 * module above the store.
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store.h"

#define JOURNAL_META	"journal"
#define JOURNAL_VERSION	1
#define JOURNAL_TOTALS	(1 + 5 * 8)
#define JOURNAL_ENTRY_MAX	(1024 * 1024)	/* one change, at most */
#define JOURNAL_ACK_BATCH	256

struct journal_totals {
	uint64_t	 last, depth, bytes, dropped, resync;
};

static int
journal_totals_get(STORE_TXN *t, struct journal_totals *j)
{
	const unsigned char *v;
	const void *p;
	size_t vlen;
	int rc;

	memset(j, 0, sizeof(*j));
	rc = store_get(t, STORE_DB_META, JOURNAL_META, strlen(JOURNAL_META),
	    &p, &vlen);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc != 0)
		return STORE_ERROR;
	v = p;
	if (vlen < JOURNAL_TOTALS || v[0] != JOURNAL_VERSION)
		return STORE_ERROR;
	j->last = store_get_u64(v + 1);
	j->depth = store_get_u64(v + 9);
	j->bytes = store_get_u64(v + 17);
	j->dropped = store_get_u64(v + 25);
	j->resync = store_get_u64(v + 33);
	return 0;
}

static int
journal_totals_put(STORE_TXN *t, const struct journal_totals *j)
{
	unsigned char v[JOURNAL_TOTALS];
	size_t len = 0;

	store_key_u8(v, sizeof(v), &len, JOURNAL_VERSION);
	store_key_u64(v, sizeof(v), &len, j->last);
	store_key_u64(v, sizeof(v), &len, j->depth);
	store_key_u64(v, sizeof(v), &len, j->bytes);
	store_key_u64(v, sizeof(v), &len, j->dropped);
	store_key_u64(v, sizeof(v), &len, j->resync);
	return store_put(t, STORE_DB_META, JOURNAL_META, strlen(JOURNAL_META),
	    v, len);
}

int
store_journal(STORE_TXN *t, int kind, const void *p, size_t len)
{
	struct journal_totals j;
	unsigned char key[8], *v;
	uint64_t max = store_journal_max(t), size;
	size_t klen = 0;
	int rc;

	if (max == 0)
		return 0;
	if (kind <= 0 || kind >= STORE_CHANGE_MAX || len > JOURNAL_ENTRY_MAX)
		return STORE_ERROR;
	if (journal_totals_get(t, &j) != 0)
		return STORE_ERROR;
	size = sizeof(key) + 1 + len;
	if (j.bytes + size > max) {
		j.dropped++;
		j.resync = 1;
		return journal_totals_put(t, &j);
	}
	j.last++;
	store_key_u64(key, sizeof(key), &klen, j.last);
	v = mem_alloc(1 + len);
	v[0] = (unsigned char)kind;
	if (len > 0)
		memcpy(v + 1, p, len);
	rc = store_put(t, STORE_DB_OUTBOX, key, klen, v, 1 + len);
	free(v);
	if (rc != 0)
		return STORE_ERROR;
	j.depth++;
	j.bytes += size;
	return journal_totals_put(t, &j);
}

struct journal_iter {
	STORE_JOURNAL_FN	 fn;
	void			*ctx;
	size_t			 left;
	int			 bad;
	/* for the ack */
	uint64_t		 upto;
	unsigned char		 keys[JOURNAL_ACK_BATCH][8];
	size_t			 nkeys, bytes;
};

static int
journal_read_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct journal_iter *it = ctx;
	const unsigned char *p = v;

	if (it->left == 0)
		return 1;
	if (klen != 8 || vlen < 1) {
		it->bad = 1;
		return 1;
	}
	it->left--;
	return it->fn(store_get_u64(k), p[0], p + 1, vlen - 1, it->ctx);
}

int
store_journal_read(STORE_TXN *t, uint64_t after, size_t max,
    STORE_JOURNAL_FN fn, void *ctx)
{
	struct journal_iter it;
	unsigned char from[8];
	size_t flen = 0;

	memset(&it, 0, sizeof(it));
	it.fn = fn;
	it.ctx = ctx;
	it.left = max;
	store_key_u64(from, sizeof(from), &flen, after + 1);
	if (after == UINT64_MAX)
		return 0;
	if (store_scan(t, STORE_DB_OUTBOX, NULL, 0, from, flen,
	    journal_read_cb, &it) != 0 || it.bad)
		return STORE_ERROR;
	return 0;
}

static int
journal_ack_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct journal_iter *it = ctx;

	(void)v;
	if (klen != 8 || store_get_u64(k) > it->upto ||
	    it->nkeys == JOURNAL_ACK_BATCH)
		return 1;
	memcpy(it->keys[it->nkeys++], k, 8);
	it->bytes += klen + vlen;
	return 0;
}

int
store_journal_ack(STORE_TXN *t, uint64_t upto)
{
	struct journal_totals j;
	struct journal_iter *it;
	size_t i;
	int rc = 0;

	if (journal_totals_get(t, &j) != 0)
		return STORE_ERROR;
	it = mem_calloc(1, sizeof(*it));
	it->upto = upto;
	do {
		it->nkeys = 0;
		it->bytes = 0;
		if (store_scan(t, STORE_DB_OUTBOX, NULL, 0, NULL, 0,
		    journal_ack_cb, it) != 0) {
			rc = STORE_ERROR;
			break;
		}
		for (i = 0; i < it->nkeys; i++)
			if (store_del(t, STORE_DB_OUTBOX, it->keys[i], 8) != 0)
				rc = STORE_ERROR;
		j.depth -= it->nkeys <= j.depth ? it->nkeys : j.depth;
		j.bytes -= it->bytes <= j.bytes ? it->bytes : j.bytes;
	} while (rc == 0 && it->nkeys == JOURNAL_ACK_BATCH);
	free(it);
	if (rc != 0)
		return STORE_ERROR;
	return journal_totals_put(t, &j);
}

struct journal_ends {
	uint64_t	 first;
};

static int
journal_first_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	(void)v;
	(void)vlen;
	if (klen == 8)
		((struct journal_ends *)ctx)->first = store_get_u64(k);
	return 1;
}

int
store_journal_stat(STORE_TXN *t, STORE_JOURNAL_STAT *st)
{
	struct journal_totals j;
	struct journal_ends e = { 0 };

	memset(st, 0, sizeof(*st));
	if (journal_totals_get(t, &j) != 0 ||
	    store_scan(t, STORE_DB_OUTBOX, NULL, 0, NULL, 0,
	    journal_first_cb, &e) != 0)
		return STORE_ERROR;
	st->depth = j.depth;
	st->bytes = j.bytes;
	st->first = j.depth > 0 ? e.first : 0;
	st->last = j.depth > 0 ? j.last : 0;
	st->dropped = j.dropped;
	st->resync = j.resync != 0;
	return 0;
}

int
store_journal_resynced(STORE_TXN *t)
{
	struct journal_totals j;

	if (journal_totals_get(t, &j) != 0)
		return STORE_ERROR;
	j.resync = 0;
	return journal_totals_put(t, &j);
}
