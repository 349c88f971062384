/*
 * suppress.c - the suppression list (see suppress.h).
 *
 * Owns: suppress_reason_name(), suppress_reason_parse(), suppress_put(),
 * suppress_get(), suppress_check(), suppress_del(), suppress_list(),
 * suppress_sweep(), suppress_apply(), suppress_change(),
 * suppress_journal().  An entry added or lifted (not one
 * the sweep drops: every node expires its own) is journalled for the
 * other nodes of a cluster (store.h, "The journal").
 *
 * A key "suppress-scoped" in STORE_DB_META says that some entry has a
 * sender's scope; until then a lookup asks for the global entry alone.
 *
 * Layout (STORE_DB_SUPPRESS):
 *	key   = SHA-256(scope, NUL, address), first SUPPRESS_HASH_LEN octets
 *	value = u8 version (1), u8 reason, u64 time, u64 expires,
 *		str scope, str address, str source	(str = u16 + bytes)
 * All integers are big-endian.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/mem.h"
#include "reputation/suppress.h"

#define SUPPRESS_VERSION	2	/* 1: without status, why, diagnostic */
#define SUPPRESS_SCOPED_KEY	"suppress-scoped"	/* in STORE_DB_META */
#define SUPPRESS_VAL_MAX	(2 + 16 + 2 + SENDER_KEY_MAX + 2 + \
				    ADDR_KEY_MAX + 2 + SUPPRESS_SOURCE_MAX + \
				    2 + 16 + 2 + 24 + 2 + SUPPRESS_DIAG_MAX)

static const char *const suppress_names[] = {
	"hard-bounce", "complaint", "manual"
};

const char *
suppress_reason_name(int reason)
{
	return reason >= 0 && reason <= SUPPRESS_MANUAL ?
	    suppress_names[reason] : "?";
}

/* NULL and *reason set, or an error text. */
const char *
suppress_reason_parse(const char *text, int *reason)
{
	int i;

	for (i = 0; i <= SUPPRESS_MANUAL; i++)
		if (strcmp(text, suppress_names[i]) == 0) {
			*reason = i;
			return NULL;
		}
	return "expected hard-bounce, complaint or manual";
}

static int
suppress_key(const char *scope, const char *addr, unsigned char *key)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, scope, strlen(scope) + 1) &&
	    EVP_DigestUpdate(ctx, addr, strlen(addr)) &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	memcpy(key, md, SUPPRESS_HASH_LEN);
	return 0;
}

static int
suppress_decode(const unsigned char *v, size_t len, SUPPRESS_ENTRY *e)
{
	size_t off = 18;

	memset(e, 0, sizeof(*e));
	if (len < 18 || (v[0] != SUPPRESS_VERSION && v[0] != 1) ||
	    v[1] > SUPPRESS_MANUAL)
		return -1;
	e->reason = v[1];
	e->time = (int64_t)store_get_u64(v + 2);
	e->expires = (int64_t)store_get_u64(v + 10);
	if (store_get_str(v, len, &off, e->scope, sizeof(e->scope)) ||
	    store_get_str(v, len, &off, e->addr, sizeof(e->addr)) ||
	    store_get_str(v, len, &off, e->source, sizeof(e->source)))
		return -1;
	if (v[0] == 1)
		return 0;
	return store_get_str(v, len, &off, e->status, sizeof(e->status)) ||
	    store_get_str(v, len, &off, e->why, sizeof(e->why)) ||
	    store_get_str(v, len, &off, e->diagnostic, sizeof(e->diagnostic)) ?
	    -1 : 0;
}

static int
suppress_encode(const char *scope, const char *addr, const SUPPRESS_ENTRY *e,
    unsigned char *v, size_t *vlen)
{
	*vlen = 0;
	store_key_u8(v, SUPPRESS_VAL_MAX, vlen, SUPPRESS_VERSION);
	store_key_u8(v, SUPPRESS_VAL_MAX, vlen, (unsigned)e->reason);
	store_key_u64(v, SUPPRESS_VAL_MAX, vlen, (uint64_t)e->time);
	store_key_u64(v, SUPPRESS_VAL_MAX, vlen, (uint64_t)e->expires);
	if (store_key_str(v, SUPPRESS_VAL_MAX, vlen, scope, strnlen(scope,
	    SENDER_KEY_MAX - 1)) != 0 ||
	    store_key_str(v, SUPPRESS_VAL_MAX, vlen, addr, strnlen(addr,
	    ADDR_KEY_MAX - 1)) != 0 ||
	    store_key_str(v, SUPPRESS_VAL_MAX, vlen, e->source,
	    strnlen(e->source, SUPPRESS_SOURCE_MAX - 1)) != 0 ||
	    store_key_str(v, SUPPRESS_VAL_MAX, vlen, e->status,
	    strnlen(e->status, sizeof(e->status) - 1)) != 0 ||
	    store_key_str(v, SUPPRESS_VAL_MAX, vlen, e->why, strnlen(e->why,
	    sizeof(e->why) - 1)) != 0 ||
	    store_key_str(v, SUPPRESS_VAL_MAX, vlen, e->diagnostic,
	    strnlen(e->diagnostic, SUPPRESS_DIAG_MAX - 1)) != 0)
		return STORE_ERROR;
	return 0;
}

int
suppress_put(STORE_TXN *t, const char *scope, const char *addr,
    const SUPPRESS_ENTRY *e)
{
	unsigned char k[SUPPRESS_HASH_LEN], v[SUPPRESS_VAL_MAX];
	const void *old;
	size_t vlen, oldlen;

	if (suppress_key(scope, addr, k) != 0 ||
	    suppress_encode(scope, addr, e, v, &vlen) != 0)
		return STORE_ERROR;
	/* the first entry for one sender: lookups must ask for such from now */
	if (scope[0] != '\0' && store_get(t, STORE_DB_META, SUPPRESS_SCOPED_KEY,
	    strlen(SUPPRESS_SCOPED_KEY), &old, &oldlen) == STORE_NOTFOUND &&
	    store_put(t, STORE_DB_META, SUPPRESS_SCOPED_KEY,
	    strlen(SUPPRESS_SCOPED_KEY), "1", 1) != 0)
		return STORE_ERROR;
	if (store_journal(t, STORE_CHANGE_SUPPRESS, v, vlen) != 0)
		return STORE_ERROR;
	return store_put(t, STORE_DB_SUPPRESS, k, sizeof(k), v, vlen);
}

/* Journal an entry as it is (a node publishing its whole list again). */
int
suppress_journal(STORE_TXN *t, const SUPPRESS_ENTRY *e)
{
	unsigned char v[SUPPRESS_VAL_MAX];
	size_t vlen;

	if (suppress_encode(e->scope, e->addr, e, v, &vlen) != 0)
		return STORE_ERROR;
	return store_journal(t, STORE_CHANGE_SUPPRESS, v, vlen);
}

/* 0, STORE_NOTFOUND (also for another address with the same hash),
 * SUPPRESS_DAMAGED, STORE_ERROR. */
int
suppress_get(STORE_TXN *t, const char *scope, const char *addr,
    SUPPRESS_ENTRY *e)
{
	unsigned char k[SUPPRESS_HASH_LEN];
	const void *v;
	size_t vlen;
	int rc;

	memset(e, 0, sizeof(*e));
	if (suppress_key(scope, addr, k) != 0)
		return STORE_ERROR;
	if ((rc = store_get(t, STORE_DB_SUPPRESS, k, sizeof(k), &v, &vlen)) !=
	    0)
		return rc;
	if (suppress_decode(v, vlen, e) != 0)
		return SUPPRESS_DAMAGED;
	if (strcmp(e->scope, scope) != 0 || strcmp(e->addr, addr) != 0) {
		memset(e, 0, sizeof(*e));
		return STORE_NOTFOUND;
	}
	return 0;
}

/*
 * Is addr suppressed for mail from sender now?  The global list first;
 * the sender's own entries only if any sender has ever had one (a flag in
 * the meta database, so the common miss costs one lookup, not two).
 */
int
suppress_check(STORE_TXN *t, const char *sender, const char *addr,
    int64_t now, SUPPRESS_ENTRY *e)
{
	const char *scopes[2] = { "", sender };
	const void *v;
	size_t vlen;
	int i, rc;

	for (i = 0; i < 2; i++) {
		if (i == 1 && (sender == NULL || *sender == '\0' ||
		    store_get(t, STORE_DB_META, SUPPRESS_SCOPED_KEY,
		    strlen(SUPPRESS_SCOPED_KEY), &v, &vlen) != 0))
			break;
		rc = suppress_get(t, scopes[i], addr, e);
		if (rc == STORE_ERROR)
			return rc;
		if (rc == 0 && (e->expires == 0 || e->expires > now))
			return 0;
	}
	memset(e, 0, sizeof(*e));
	return STORE_NOTFOUND;
}

int
suppress_del(STORE_TXN *t, const char *scope, const char *addr)
{
	unsigned char k[SUPPRESS_HASH_LEN];
	SUPPRESS_ENTRY e;
	int rc;

	if ((rc = suppress_get(t, scope, addr, &e)) != 0 &&
	    rc != SUPPRESS_DAMAGED)
		return rc;
	if (suppress_key(scope, addr, k) != 0)
		return STORE_ERROR;
	if (store_journal_max(t) != 0) {
		unsigned char p[2 + SENDER_KEY_MAX + 2 + ADDR_KEY_MAX];
		size_t plen = 0;

		if (store_key_str(p, sizeof(p), &plen, scope,
		    strlen(scope)) != 0 ||
		    store_key_str(p, sizeof(p), &plen, addr, strlen(addr)) != 0 ||
		    store_journal(t, STORE_CHANGE_UNSUPPRESS, p, plen) != 0)
			return STORE_ERROR;
	}
	return store_del(t, STORE_DB_SUPPRESS, k, sizeof(k));
}

/*
 * A suppression another node added or lifted (its journal entry of kind
 * STORE_CHANGE_SUPPRESS or STORE_CHANGE_UNSUPPRESS): 0, SUPPRESS_DAMAGED
 * (a payload that does not parse: nothing written) or STORE_ERROR; e says
 * which entry.  The caller holds the journal.
 */
int
suppress_change(int kind, const void *p, size_t len, SUPPRESS_ENTRY *e)
{
	size_t off = 0;

	if (kind == STORE_CHANGE_SUPPRESS)
		return suppress_decode(p, len, e) != 0 || e->addr[0] == '\0' ?
		    SUPPRESS_DAMAGED : 0;
	memset(e, 0, sizeof(*e));
	if (kind != STORE_CHANGE_UNSUPPRESS ||
	    store_get_str(p, len, &off, e->scope, sizeof(e->scope)) != 0 ||
	    store_get_str(p, len, &off, e->addr, sizeof(e->addr)) != 0 ||
	    off != len || e->addr[0] == '\0')
		return SUPPRESS_DAMAGED;
	return 0;
}

int
suppress_apply(STORE_TXN *t, int kind, const void *p, size_t len,
    SUPPRESS_ENTRY *e)
{
	int rc;

	if (suppress_change(kind, p, len, e) != 0)
		return SUPPRESS_DAMAGED;
	if (kind == STORE_CHANGE_SUPPRESS)
		return suppress_put(t, e->scope, e->addr, e);
	rc = suppress_del(t, e->scope, e->addr);
	return rc == STORE_NOTFOUND ? 0 : rc;
}

struct suppress_iter {
	SUPPRESS_LIST_FN	 fn;
	void			*ctx;
};

static int
suppress_list_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct suppress_iter *it = ctx;
	SUPPRESS_ENTRY e;

	(void)k;
	if (klen != SUPPRESS_HASH_LEN || suppress_decode(v, vlen, &e) != 0)
		return 0;			/* damaged: skipped */
	return it->fn(&e, it->ctx);
}

int
suppress_list(STORE_TXN *t, SUPPRESS_LIST_FN fn, void *ctx)
{
	struct suppress_iter it = { fn, ctx };

	return store_scan(t, STORE_DB_SUPPRESS, "", 0, NULL, 0,
	    suppress_list_cb, &it) == STORE_ERROR ? STORE_ERROR : 0;
}

struct suppress_sweep_scan {
	int64_t		 now;
	long		 budget, seen;
	unsigned char	(*del)[SUPPRESS_HASH_LEN];
	size_t		 ndel;
	unsigned char	 last[SUPPRESS_HASH_LEN];
	int		 have_last;
};

static int
suppress_sweep_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct suppress_sweep_scan *s = ctx;
	SUPPRESS_ENTRY e;

	if (klen != SUPPRESS_HASH_LEN)
		return 0;
	memcpy(s->last, k, klen);
	s->have_last = 1;
	/* expired, or damaged (it could never be read again) */
	if (suppress_decode(v, vlen, &e) != 0 ||
	    (e.expires != 0 && e.expires <= s->now))
		memcpy(s->del[s->ndel++], k, klen);
	return ++s->seen >= s->budget;
}

/* Remove expired entries among the next 'budget'; how many, or -1. */
long
suppress_sweep(STORE_TXN *t, int64_t now, long budget, SUPPRESS_SWEEP *sw)
{
	struct suppress_sweep_scan s;
	size_t i;

	memset(&s, 0, sizeof(s));
	s.now = now;
	s.budget = budget > 0 ? budget : 1;
	s.del = mem_calloc((size_t)s.budget, sizeof(*s.del));
	if (store_scan(t, STORE_DB_SUPPRESS, "", 0, sw->at, sw->atlen,
	    suppress_sweep_cb, &s) == STORE_ERROR) {
		free(s.del);
		return -1;
	}
	for (i = 0; i < s.ndel; i++)
		if (store_del(t, STORE_DB_SUPPRESS, s.del[i],
		    SUPPRESS_HASH_LEN) == STORE_ERROR) {
			free(s.del);
			return -1;
		}
	free(s.del);
	if (s.seen < s.budget || !s.have_last)
		sw->atlen = 0;			/* the end: start again */
	else {
		memcpy(sw->at, s.last, SUPPRESS_HASH_LEN);
		sw->at[SUPPRESS_HASH_LEN] = 0;	/* the next key up */
		sw->atlen = SUPPRESS_HASH_LEN + 1;
	}
	return (long)s.ndel;
}
