/*
 * bevent.c - bounce and complaint events in the store (see bevent.h).
 *
 * Owns: bevent_key(), bevent_put(), bevent_replace(), bevent_get(),
 * bevent_list(), bevent_reasons().
 * Must not: count a report twice, or read beyond a stored value.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "retpath/bevent.h"
#include "retpath/bounce.h"

#define BEVENT_VERSION		2	/* 1: without reason and diagnostic */
#define BEVENT_VALUE_MAX	(SENDER_KEY_MAX + 2 * ADDR_KEY_MAX + 128 + \
				    BEVENT_REASON_MAX + BEVENT_DIAG_MAX)

int
bevent_key(uint64_t record, const char *kind, const char *rcpt,
    unsigned char id[BEVENT_ID_LEN])
{
	static const char tag[] = "repguard bounce event";
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char be[8];
	unsigned int n = BEVENT_ID_LEN;
	int i, ok;

	for (i = 0; i < 8; i++)
		be[i] = (unsigned char)(record >> (56 - 8 * i));
	/* each part length-delimited: no two (kind, rcpt) pairs hash alike */
	ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, tag, sizeof(tag)) == 1 &&
	    EVP_DigestUpdate(md, be, sizeof(be)) == 1 &&
	    EVP_DigestUpdate(md, kind, strlen(kind) + 1) == 1 &&
	    EVP_DigestUpdate(md, rcpt, strlen(rcpt)) == 1 &&
	    EVP_DigestFinal_ex(md, id, &n) == 1 && n == BEVENT_ID_LEN;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

static int
bevent_str(unsigned char *v, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (len > 0xffff || *n + 2 + len > BEVENT_VALUE_MAX)
		return -1;
	v[(*n)++] = (unsigned char)(len >> 8);
	v[(*n)++] = (unsigned char)len;
	memcpy(v + *n, s, len);
	*n += len;
	return 0;
}

/* e's value into v; its length, or 0 when a field does not fit. */
static size_t
bevent_encode(const BEVENT *e, unsigned char *v)
{
	size_t n = 0;
	int i;

	v[n++] = BEVENT_VERSION;
	for (i = 7; i >= 0; i--)
		v[n++] = (unsigned char)((uint64_t)e->time >> (8 * i));
	if (bevent_str(v, &n, e->sender) != 0 ||
	    bevent_str(v, &n, e->from) != 0 ||
	    bevent_str(v, &n, e->rcpt) != 0 ||
	    bevent_str(v, &n, e->cls) != 0 ||
	    bevent_str(v, &n, e->status) != 0 ||
	    bevent_str(v, &n, e->type) != 0 ||
	    bevent_str(v, &n, e->reason) != 0 ||
	    bevent_str(v, &n, e->diagnostic) != 0)
		return 0;
	return n;
}

int
bevent_put(STORE_TXN *t, const BEVENT *e)
{
	unsigned char v[BEVENT_VALUE_MAX];
	const void *old;
	size_t n, oldlen;
	int rc;

	rc = store_get(t, STORE_DB_BOUNCES, e->id, BEVENT_ID_LEN, &old,
	    &oldlen);
	if (rc == 0)
		return BEVENT_DUPLICATE;
	if (rc != STORE_NOTFOUND || (n = bevent_encode(e, v)) == 0)
		return STORE_ERROR;
	return store_put(t, STORE_DB_BOUNCES, e->id, BEVENT_ID_LEN, v, n) == 0 ?
	    0 : STORE_ERROR;
}

int
bevent_replace(STORE_TXN *t, const BEVENT *e)
{
	unsigned char v[BEVENT_VALUE_MAX];
	size_t n;

	if ((n = bevent_encode(e, v)) == 0)
		return STORE_ERROR;
	return store_put(t, STORE_DB_BOUNCES, e->id, BEVENT_ID_LEN, v, n) == 0 ?
	    0 : STORE_ERROR;
}

static int
bevent_get_str(const unsigned char **p, size_t *left, char *out,
    size_t outsize)
{
	size_t len;

	if (*left < 2)
		return -1;
	len = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	*left -= 2;
	if (len > *left || len >= outsize || memchr(*p, '\0', len) != NULL)
		return -1;
	memcpy(out, *p, len);
	out[len] = '\0';
	*p += len;
	*left -= len;
	return 0;
}

/* One stored event; 0 or BEVENT_DAMAGED. */
static int
bevent_decode(const unsigned char *id, const void *val, size_t vlen,
    BEVENT *e)
{
	const unsigned char *p = val;
	uint64_t tm = 0;
	size_t i;
	int version;

	memset(e, 0, sizeof(*e));
	if (vlen < 9 || (p[0] != BEVENT_VERSION && p[0] != 1))
		return BEVENT_DAMAGED;
	version = p[0];
	for (i = 1; i < 9; i++)
		tm = tm << 8 | p[i];
	p += 9;
	vlen -= 9;
	memcpy(e->id, id, BEVENT_ID_LEN);
	e->time = (int64_t)tm;
	if (bevent_get_str(&p, &vlen, e->sender, sizeof(e->sender)) != 0 ||
	    bevent_get_str(&p, &vlen, e->from, sizeof(e->from)) != 0 ||
	    bevent_get_str(&p, &vlen, e->rcpt, sizeof(e->rcpt)) != 0 ||
	    bevent_get_str(&p, &vlen, e->cls, sizeof(e->cls)) != 0 ||
	    bevent_get_str(&p, &vlen, e->status, sizeof(e->status)) != 0 ||
	    bevent_get_str(&p, &vlen, e->type, sizeof(e->type)) != 0 ||
	    (version >= 2 && (bevent_get_str(&p, &vlen, e->reason,
	    sizeof(e->reason)) != 0 || bevent_get_str(&p, &vlen,
	    e->diagnostic, sizeof(e->diagnostic)) != 0)) || vlen != 0) {
		memset(e, 0, sizeof(*e));
		return BEVENT_DAMAGED;
	}
	return 0;
}

int
bevent_get(STORE_TXN *t, const unsigned char id[BEVENT_ID_LEN], BEVENT *e)
{
	const void *val;
	size_t vlen;
	int rc;

	memset(e, 0, sizeof(*e));
	if ((rc = store_get(t, STORE_DB_BOUNCES, id, BEVENT_ID_LEN, &val,
	    &vlen)) != 0)
		return rc;
	return bevent_decode(id, val, vlen, e);
}

struct bevent_list_ctx {
	BEVENT_FN	 fn;
	void		*ctx;
};

static int
bevent_list_cb(const void *k, size_t klen, const void *v, size_t vlen,
    void *ctx)
{
	struct bevent_list_ctx *l = ctx;
	BEVENT e;

	if (klen != BEVENT_ID_LEN || bevent_decode(k, v, vlen, &e) != 0)
		return 0;		/* damaged: skipped */
	return l->fn(&e, l->ctx);
}

/* Every event (in id order, which is no order); fn non-zero stops. */
int
bevent_list(STORE_TXN *t, BEVENT_FN fn, void *ctx)
{
	struct bevent_list_ctx l = { fn, ctx };

	return store_scan(t, STORE_DB_BOUNCES, NULL, 0, NULL, 0,
	    bevent_list_cb, &l);
}

struct bevent_reasons_ctx {
	const char	*sender;
	int64_t		 since;
	BEVENT_REASONS	*out;
};

static int
bevent_reasons_cb(const BEVENT *e, void *ctx)
{
	struct bevent_reasons_ctx *c = ctx;
	BEVENT_REASONS *o = c->out;
	const char *reason = e->reason[0] ? e->reason : "unrecorded";
	size_t i;

	if (e->time < c->since || (c->sender != NULL &&
	    strcmp(e->sender, c->sender) != 0))
		return 0;
	for (i = 0; i < o->n && strcmp(o->r[i].reason, reason) != 0; i++)
		;
	if (i == o->n) {
		if (o->n == BEVENT_REASONS_MAX)
			return 0;	/* a damaged store's inventions */
		snprintf(o->r[i].reason, sizeof(o->r[i].reason), "%s", reason);
		snprintf(o->r[i].cls, sizeof(o->r[i].cls), "%s", e->cls);
		o->n++;
	}
	o->r[i].count++;
	return 0;
}

static int
bevent_reasons_cmp(const void *a, const void *b)
{
	const BEVENT_REASON *p = a, *q = b;

	if (p->count != q->count)
		return p->count < q->count ? 1 : -1;
	return strcmp(p->reason, q->reason);
}

int
bevent_reasons(STORE_TXN *t, const char *sender, int64_t since,
    BEVENT_REASONS *out)
{
	struct bevent_reasons_ctx c = { sender, since, out };

	memset(out, 0, sizeof(*out));
	if (bevent_list(t, bevent_reasons_cb, &c) != 0)
		return STORE_ERROR;
	qsort(out->r, out->n, sizeof(out->r[0]), bevent_reasons_cmp);
	return 0;
}

/*
 * A new event for the other nodes of a cluster, with what it counted for
 * its sender in the buckets of time 'when' (journal entry
 * STORE_CHANGE_EVENT: id, u64 when, u8 n, n x u64 counts, the value).
 */
int
bevent_journal(STORE_TXN *t, const BEVENT *e, int64_t when,
    const SENDER_COUNTS *add)
{
	unsigned char p[BEVENT_ID_LEN + 8 + 1 + SENDER_COUNTERS * 8 +
	    BEVENT_VALUE_MAX];
	size_t n = 0, i, vlen;

	if (store_journal_max(t) == 0)
		return 0;
	memcpy(p, e->id, BEVENT_ID_LEN);
	n = BEVENT_ID_LEN;
	store_key_u64(p, sizeof(p), &n, (uint64_t)when);
	store_key_u8(p, sizeof(p), &n, SENDER_COUNTERS);
	for (i = 0; i < SENDER_COUNTERS; i++)
		store_key_u64(p, sizeof(p), &n, add->n[i]);
	if ((vlen = bevent_encode(e, p + n)) == 0)
		return STORE_ERROR;
	return store_journal(t, STORE_CHANGE_EVENT, p, n + vlen);
}

/*
 * Another node's event: kept and counted unless this node has it already
 * (the same report through two MXs counts once).  0 (new, counted),
 * BEVENT_DUPLICATE, BEVENT_DAMAGED (a payload that does not parse:
 * nothing written) or STORE_ERROR.  The caller holds the journal.
 */
int
bevent_change(const void *payload, size_t len, BEVENT *e, int64_t *when,
    SENDER_COUNTS *add)
{
	const unsigned char *p = payload;
	size_t off = BEVENT_ID_LEN + 9, n, i;

	memset(e, 0, sizeof(*e));
	if (len < off)
		return BEVENT_DAMAGED;
	*when = (int64_t)store_get_u64(p + BEVENT_ID_LEN);
	n = p[BEVENT_ID_LEN + 8];
	if (len < off + n * 8 || *when <= 0)
		return BEVENT_DAMAGED;
	memset(add, 0, sizeof(*add));
	for (i = 0; i < n && i < SENDER_COUNTERS; i++)
		add->n[i] = store_get_u64(p + off + i * 8);
	off += n * 8;
	if (bevent_decode(p, p + off, len - off, e) != 0 ||
	    e->sender[0] == '\0' || strlen(e->sender) > SENDER_KEY_STORED)
		return BEVENT_DAMAGED;
	return 0;
}

int
bevent_apply(STORE_TXN *t, const void *payload, size_t len, int64_t now,
    BEVENT *e)
{
	SENDER_COUNTS add;
	int64_t when;
	int rc;

	if (bevent_change(payload, len, e, &when, &add) != 0)
		return BEVENT_DAMAGED;
	if ((rc = bevent_put(t, e)) != 0)
		return rc;
	return sender_count_at(t, e->sender, &add, when, now) != 0 ?
	    STORE_ERROR : 0;
}
