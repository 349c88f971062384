/*
 * sender.c - sender keys, sender state records and time-bucketed counters.
 *
 * Owns: sender_key_make(), sender_key_normalise(), sender_is_paused(),
 * sender_get(), sender_put(), sender_count(), sender_window(),
 * sender_list(), sender_lookup(), sender_pause(), sender_resume(),
 * sender_sweep().
 *
 * Record layout (STORE_DB_SENDERS, key = the canonical sender key):
 *	u8 version (1), u8 flags (bit 0: paused),
 *	u64 paused_at, u64 paused_until, u64 first_seen, u64 last_seen,
 *	str reason, str by			(str = u16 length + bytes)
 * Counter layout (STORE_DB_COUNTERS):
 *	key   = str sender, u8 'm' or 'h', u64 bucket start (Unix seconds)
 *	value = u64 per counter; a shorter value reads as zeros, so counters
 *		can be added later without rewriting the database.
 * All integers are big-endian.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "addr.h"
#include "mem.h"
#include "sender.h"
#include "store.h"

#define SENDER_REC_VERSION	1
#define SENDER_REC_MAX		(2 + 4 * 8 + 2 + SENDER_REASON_MAX + 2 + \
				    SENDER_BY_MAX)
#define SENDER_CKEY_MAX		(2 + SENDER_KEY_MAX + 1 + 8)
#define SENDER_MINUTE		'm'
#define SENDER_HOUR		'h'

/*
 * Keep a key short enough for the store: a long one becomes its head, '~'
 * and the SHA-256 of all of it, so two long keys stay apart.
 */
static const char *
sender_key_fit(char *key, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	size_t len = strlen(key), keep = SENDER_KEY_KEEP;

	if (len <= SENDER_KEY_STORED)
		return NULL;
	if (size < SENDER_KEY_KEEP + 2 + 64)
		return "sender key too long";
	if (!EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL))
		return "cannot hash a long sender key";
	while (keep > 0 && ((unsigned char)key[keep] & 0xc0) == 0x80)
		keep--;			/* not inside a UTF-8 sequence */
	key[keep++] = '~';
	for (i = 0; i < mdlen; i++)
		keep += (size_t)snprintf(key + keep, size - keep, "%02x", md[i]);
	return NULL;
}

static const char *sender_key_make1(int, const char *, const char *, size_t,
		    char *, size_t);
static const char *sender_key_normalise1(const char *, size_t, char *,
		    size_t);

const char *
sender_key_make(int mode, const char *login, const char *envfrom,
    size_t envlen, char *out, size_t outsize)
{
	const char *err;

	if ((err = sender_key_make1(mode, login, envfrom, envlen, out,
	    outsize)) != NULL)
		return err;
	return sender_key_fit(out, outsize);
}

static const char *
sender_key_make1(int mode, const char *login, const char *envfrom,
    size_t envlen, char *out, size_t outsize)
{
	const char *err, *dom;
	size_t n;

	if (mode == SENDER_KEY_AUTH && login != NULL && *login != '\0')
		return sender_key_normalise1(login, strlen(login), out, outsize);
	if ((err = addr_canon(envfrom, envlen, out, outsize, &n)) != NULL)
		return err;
	if (n == 0) {
		if (outsize < 3)
			return "sender key too long";
		memcpy(out, "<>", 3);
		return NULL;
	}
	if (mode == SENDER_KEY_ENVELOPE_DOMAIN) {
		dom = addr_domain(out);
		memmove(out, dom, strlen(dom) + 1);
	}
	return NULL;
}

/*
 * An operator's or the MTA's name for a sender: an address (contains '@')
 * is canonicalised like an envelope sender; anything else is a login or a
 * domain, lower-cased.
 */
const char *
sender_key_normalise(const char *arg, size_t len, char *out, size_t outsize)
{
	const char *err;

	if ((err = sender_key_normalise1(arg, len, out, outsize)) != NULL)
		return err;
	return sender_key_fit(out, outsize);
}

static const char *
sender_key_normalise1(const char *arg, size_t len, char *out, size_t outsize)
{
	size_t i, n;

	if (len == 2 && memcmp(arg, "<>", 2) == 0) {
		if (outsize < 3)
			return "sender key too long";
		memcpy(out, "<>", 3);
		return NULL;
	}
	if (len == 0)
		return "empty sender";
	if (len >= outsize || len > SENDER_KEY_MAX - 1)
		return "sender key too long";
	if (!addr_utf8_valid(arg, len))
		return "sender key is not valid UTF-8";
	/* A shortened key as repguardctl shows it: taken as it is. */
	if (len > 65 && arg[len - 65] == '~' &&
	    strspn(arg + len - 64, "0123456789abcdef") == 64) {
		memcpy(out, arg, len);
		out[len] = '\0';
		return NULL;
	}
	if (memchr(arg, '@', len) != NULL || arg[0] == '<')
		return addr_canon(arg, len, out, outsize, &n);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)arg[i];

		if (c <= ' ' || c == 0x7f)
			return "sender key contains a control character or "
			    "white space";
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : (char)c;
	}
	out[len] = '\0';
	return NULL;
}

int
sender_is_paused(const SENDER_STATE *s, int64_t now)
{
	return s->paused && (s->paused_until == 0 || s->paused_until > now);
}

/* Record encoding and decoding. */

static void
sender_put_u64(unsigned char *p, size_t *len, int64_t v)
{
	store_key_u64(p, SENDER_REC_MAX, len, (uint64_t)v);
}

static size_t
sender_encode(const SENDER_STATE *s, unsigned char *buf)
{
	size_t len = 0;

	buf[len++] = SENDER_REC_VERSION;
	buf[len++] = s->paused ? 1 : 0;
	sender_put_u64(buf, &len, s->paused_at);
	sender_put_u64(buf, &len, s->paused_until);
	sender_put_u64(buf, &len, s->first_seen);
	sender_put_u64(buf, &len, s->last_seen);
	store_key_str(buf, SENDER_REC_MAX, &len, s->reason,
	    strnlen(s->reason, SENDER_REASON_MAX - 1));
	store_key_str(buf, SENDER_REC_MAX, &len, s->by,
	    strnlen(s->by, SENDER_BY_MAX - 1));
	return len;
}

static int
sender_decode_str(const unsigned char *p, size_t len, size_t *off, char *out,
    size_t outsize)
{
	size_t n;

	if (*off + 2 > len)
		return -1;
	n = (size_t)p[*off] << 8 | p[*off + 1];
	*off += 2;
	if (*off + n > len || n >= outsize)
		return -1;
	memcpy(out, p + *off, n);
	out[n] = '\0';
	*off += n;
	return 0;
}

static int
sender_decode(const unsigned char *p, size_t len, SENDER_STATE *s)
{
	size_t off = 2;

	memset(s, 0, sizeof(*s));
	if (len < 2 + 4 * 8 || p[0] != SENDER_REC_VERSION)
		return -1;
	s->paused = p[1] & 1;
	s->paused_at = (int64_t)store_get_u64(p + off); off += 8;
	s->paused_until = (int64_t)store_get_u64(p + off); off += 8;
	s->first_seen = (int64_t)store_get_u64(p + off); off += 8;
	s->last_seen = (int64_t)store_get_u64(p + off); off += 8;
	if (sender_decode_str(p, len, &off, s->reason, sizeof(s->reason)) ||
	    sender_decode_str(p, len, &off, s->by, sizeof(s->by)))
		return -1;
	return 0;
}

int
sender_get(STORE_TXN *t, const char *key, SENDER_STATE *s)
{
	const void *v;
	size_t vlen;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = store_get(t, STORE_DB_SENDERS, key, strlen(key), &v, &vlen);
	if (rc != 0)
		return rc;
	if (sender_decode(v, vlen, s) != 0)
		return STORE_ERROR;
	return 0;
}

int
sender_put(STORE_TXN *t, const char *key, const SENDER_STATE *s)
{
	unsigned char buf[SENDER_REC_MAX];
	size_t len = sender_encode(s, buf);

	return store_put(t, STORE_DB_SENDERS, key, strlen(key), buf, len);
}

/* Counters. */

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
	return store_put(t, STORE_DB_COUNTERS, k, klen, v, vlen);
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
	SENDER_STATE s;
	int64_t minute = now - now % 60, hour = now - now % 3600;
	int rc;

	/* A damaged record (no store error) is replaced, not fatal. */
	rc = sender_get(t, key, &s);
	if (rc == STORE_ERROR && store_txn_error(t) != NULL)
		return rc;
	if (s.first_seen == 0)
		s.first_seen = now;
	s.last_seen = now;
	if (sender_put(t, key, &s) != 0 ||
	    sender_bucket_add(t, key, SENDER_MINUTE, minute, add) != 0 ||
	    sender_bucket_add(t, key, SENDER_HOUR, hour, add) != 0 ||
	    sender_prune(t, key, SENDER_MINUTE,
	    minute - (SENDER_KEEP_MINUTES - 1) * 60) != 0 ||
	    sender_prune(t, key, SENDER_HOUR,
	    hour - (int64_t)(SENDER_KEEP_HOURS - 1) * 3600) != 0)
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
 * Sum the counters of the last 'seconds' (rounded up to whole buckets,
 * the current partial bucket included): minute buckets for windows they
 * cover, hour buckets beyond.
 */
int
sender_window(STORE_TXN *t, const char *key, int64_t seconds, int64_t now,
    SENDER_COUNTS *out)
{
	unsigned char prefix[SENDER_CKEY_MAX], from[SENDER_CKEY_MAX];
	struct sender_sum s;
	size_t flen;
	int gran = SENDER_MINUTE;
	int64_t unit = 60, nb, start;

	memset(out, 0, sizeof(*out));
	if (seconds > SENDER_KEEP_MINUTES * 60) {
		gran = SENDER_HOUR;
		unit = 3600;
	}
	nb = (seconds + unit - 1) / unit;
	if (nb < 1)
		nb = 1;
	start = now - now % unit - (nb - 1) * unit;
	if (sender_ckey(prefix, &s.plen, key, gran, -1) != 0 ||
	    sender_ckey(from, &flen, key, gran, start < 0 ? 0 : start) != 0)
		return STORE_ERROR;
	s.upto = now;
	s.sum = out;
	return store_scan(t, STORE_DB_COUNTERS, prefix, s.plen, from, flen,
	    sender_sum_cb, &s);
}

struct sender_iter {
	SENDER_LIST_FN	 fn;
	void		*ctx;
	int		 bad;
};

static int
sender_list_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct sender_iter *it = ctx;
	char key[SENDER_KEY_MAX];
	SENDER_STATE s;

	if (klen == 0 || klen >= sizeof(key) || sender_decode(v, vlen, &s)) {
		it->bad++;
		return 0;
	}
	memcpy(key, k, klen);
	key[klen] = '\0';
	return it->fn(key, &s, it->ctx);
}

/* Visit every sender record in key order; damaged records are skipped. */
int
sender_list(STORE_TXN *t, SENDER_LIST_FN fn, void *ctx)
{
	struct sender_iter it = { fn, ctx, 0 };

	return store_scan(t, STORE_DB_SENDERS, "", 0, NULL, 0, sender_list_cb,
	    &it);
}

/* Operations with their own transaction. */

struct sender_op {
	const char	*key;
	SENDER_STATE	*state;
	int64_t		 until, now;
	const char	*reason, *by;
	int		 was_paused;
};

static int
sender_lookup_fn(STORE_TXN *t, void *ctx)
{
	struct sender_op *op = ctx;

	return sender_get(t, op->key, op->state);
}

/* 0: found; STORE_NOTFOUND: no record (state zeroed: active); STORE_ERROR. */
int
sender_lookup(STORE *st, const char *key, SENDER_STATE *s, char *err,
    size_t errlen)
{
	struct sender_op op = { .key = key, .state = s };
	int rc;

	rc = store_read(st, sender_lookup_fn, &op, err, errlen);
	if (rc == STORE_NOTFOUND)
		memset(s, 0, sizeof(*s));
	return rc;
}

static int
sender_pause_fn(STORE_TXN *t, void *ctx)
{
	struct sender_op *op = ctx;
	SENDER_STATE s;

	if (sender_get(t, op->key, &s) == STORE_ERROR &&
	    store_txn_error(t) != NULL)
		return STORE_ERROR;
	s.paused = 1;
	s.paused_at = op->now;
	s.paused_until = op->until;
	snprintf(s.reason, sizeof(s.reason), "%s", op->reason);
	snprintf(s.by, sizeof(s.by), "%s", op->by);
	return sender_put(t, op->key, &s);
}

/* Pause a sender (creating its record); until = 0: until resumed. */
int
sender_pause(STORE *st, const char *key, int64_t until, const char *reason,
    const char *by, int64_t now, char *err, size_t errlen)
{
	struct sender_op op = { .key = key, .until = until, .now = now,
	    .reason = reason, .by = by };

	return store_write(st, sender_pause_fn, &op, err, errlen);
}

static int
sender_resume_fn(STORE_TXN *t, void *ctx)
{
	struct sender_op *op = ctx;
	SENDER_STATE s;
	int rc;

	op->was_paused = 0;
	rc = sender_get(t, op->key, &s);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == STORE_ERROR && store_txn_error(t) != NULL)
		return rc;
	/* A damaged record is replaced by an active one. */
	op->was_paused = rc == 0 ? s.paused : 1;
	s.paused = 0;
	s.paused_at = 0;
	s.paused_until = 0;
	s.reason[0] = '\0';
	s.by[0] = '\0';
	return sender_put(t, op->key, &s);
}

int
sender_resume(STORE *st, const char *key, int *was_paused, char *err,
    size_t errlen)
{
	struct sender_op op = { .key = key };
	int rc;

	rc = store_write(st, sender_resume_fn, &op, err, errlen);
	if (was_paused != NULL)
		*was_paused = op.was_paused;
	return rc;
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
		for (i = 0; i < sc.ndel; i++)
			if (store_del(t, sc.db, sc.del[i], sc.dellen[i]) ==
			    STORE_ERROR)
				break;
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
