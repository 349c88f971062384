/*
 * sender.c - sender keys and sender state records; the counters are in
 * sender_count.c, the changes of state in sender_state.c.
 *
 * Owns: sender_key_make(), sender_key_normalise(), sender_is_paused(),
 * sender_state_name(), sender_get(), sender_put(), sender_list(),
 * sender_lookup(), sender_decode() (for sender_count.c's sweep).  The
 * changes of state are sender_state.c's.
 *
 * Record layout (STORE_DB_SENDERS, key = the canonical sender key):
 *	u8 version (2), u8 flags (bit 1: manual), u8 state,
 *	u64 since, u64 paused_at, u64 paused_until, u64 cooldown,
 *	u64 first_seen, u64 last_seen, u64 last_event, u64 judged_from,
 *	u64 seq, str reason, str by		(str = u16 length + bytes)
 *	[if judged_from: u8 n, then n u64 of the minute bucket and n u64 of
 *	the hour bucket as they stood at judged_from]
 * Version 1 (u8 version, u8 flags, u64 paused_at, paused_until,
 * first_seen, last_seen, str reason, str by) is still read: its pauses
 * were all an operator's.  All integers are big-endian.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base/addr.h"
#include "base/mem.h"
#include "reputation/sender.h"
#include "reputation/sender_int.h"
#include "store/store.h"

#define SENDER_REC_VERSION	2

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
	return s->state == SENDER_PAUSED &&
	    (s->paused_until == 0 || s->paused_until > now);
}

const char *
sender_state_name(int state)
{
	static const char *const names[] = {
		"active", "warning", "paused", "probation"
	};

	return state >= 0 && state <= SENDER_PROBATION ? names[state] : "?";
}

/* Record encoding and decoding. */

static void
sender_put_u64(unsigned char *p, size_t *len, int64_t v)
{
	store_key_u64(p, SENDER_REC_MAX, len, (uint64_t)v);
}

size_t
sender_encode(const SENDER_STATE *s, unsigned char *buf)
{
	size_t len = 0;

	buf[len++] = SENDER_REC_VERSION;
	buf[len++] = s->manual ? 2 : 0;	/* bit 0 was version 1's state */
	buf[len++] = (unsigned char)s->state;
	sender_put_u64(buf, &len, s->since);
	sender_put_u64(buf, &len, s->paused_at);
	sender_put_u64(buf, &len, s->paused_until);
	sender_put_u64(buf, &len, s->cooldown);
	sender_put_u64(buf, &len, s->first_seen);
	sender_put_u64(buf, &len, s->last_seen);
	sender_put_u64(buf, &len, s->last_event);
	sender_put_u64(buf, &len, s->judged_from);
	sender_put_u64(buf, &len, (int64_t)s->seq);
	store_key_str(buf, SENDER_REC_MAX, &len, s->reason,
	    strnlen(s->reason, SENDER_REASON_MAX - 1));
	store_key_str(buf, SENDER_REC_MAX, &len, s->by,
	    strnlen(s->by, SENDER_BY_MAX - 1));
	if (s->judged_from != 0) {
		int g, i;

		buf[len++] = SENDER_COUNTERS;
		for (g = 0; g < 2; g++)
			for (i = 0; i < SENDER_COUNTERS; i++)
				sender_put_u64(buf, &len,
				    (int64_t)s->base[g].n[i]);
	}
	return len;
}

static int64_t
sender_u64(const unsigned char *p, size_t *off)
{
	int64_t v = (int64_t)store_get_u64(p + *off);

	*off += 8;
	return v;
}

int
sender_decode(const unsigned char *p, size_t len, SENDER_STATE *s)
{
	size_t off;

	memset(s, 0, sizeof(*s));
	if (len >= 2 + 4 * 8 && p[0] == 1) {		/* version 1 */
		off = 2;
		s->state = p[1] & 1 ? SENDER_PAUSED : SENDER_ACTIVE;
		s->manual = p[1] & 1;
		s->paused_at = sender_u64(p, &off);
		s->since = s->paused_at;
		s->paused_until = sender_u64(p, &off);
	} else if (len >= 3 + 9 * 8 && p[0] == SENDER_REC_VERSION &&
	    p[2] <= SENDER_PROBATION) {
		off = 3;
		s->state = p[2];
		s->manual = (p[1] & 2) != 0;
		s->since = sender_u64(p, &off);
		s->paused_at = sender_u64(p, &off);
		s->paused_until = sender_u64(p, &off);
		s->cooldown = sender_u64(p, &off);
	} else
		return -1;
	s->first_seen = sender_u64(p, &off);
	s->last_seen = sender_u64(p, &off);
	if (p[0] == SENDER_REC_VERSION) {
		s->last_event = sender_u64(p, &off);
		s->judged_from = sender_u64(p, &off);
		s->seq = (uint64_t)sender_u64(p, &off);
	}
	if (store_get_str(p, len, &off, s->reason, sizeof(s->reason)) ||
	    store_get_str(p, len, &off, s->by, sizeof(s->by)))
		return -1;
	if (off < len) {			/* the probation baseline */
		size_t n = p[off++], g, i;

		if (off + 2 * n * 8 > len)
			return -1;
		for (g = 0; g < 2; g++)
			for (i = 0; i < n; i++) {
				uint64_t v = (uint64_t)sender_u64(p, &off);

				if (i < SENDER_COUNTERS)
					s->base[g].n[i] = v;
			}
	}
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
