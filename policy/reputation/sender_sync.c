/*
 * sender_sync.c - a sender's counts and state, as the other nodes of a
 * cluster learn them (see sender.h, "Several nodes").
 *
 * Owns: sender_journal_count(), sender_journal_state(),
 * sender_change_count(), sender_change_state(), sender_apply_count(),
 * sender_apply_state().
 *
 * Change forms (the payload of a journal entry, all integers big-endian):
 *	COUNT	str sender, u64 bucket time, u8 n, n x u64 counters
 *	STATE	str sender, the sender's record as sender.c stores it
 * A form from a newer version with more counters is read up to ours.
 *
 * A state from another node replaces ours only if it is more recent
 * (its "since"); an older one is stale and left out, so two nodes that
 * change a sender at nearly the same time end on the later change
 * whichever order they learn them in.  In the same second the more
 * cautious state wins on every node (sync_rank()).  A state more than
 * SENDER_SYNC_SKEW seconds ahead of this node's clock is refused (it
 * would outweigh every real change after it).  Counts and history the
 * record keeps for this node alone (first and last seen, its history
 * sequence) are not taken from the other node.
 *
 * Must not: read the clock, write a journal entry while applying one
 * (the caller holds the journal), or trust a payload: every length is
 * checked and a key with a NUL in it is refused.
 */
#include <stdio.h>
#include <string.h>

#include "reputation/history.h"
#include "reputation/sender.h"
#include "reputation/sender_int.h"
#include "store/store.h"

#define SYNC_COUNT_MAX	(2 + SENDER_KEY_MAX + 8 + 1 + SENDER_COUNTERS * 8)
#define SYNC_STATE_MAX	(2 + SENDER_KEY_MAX + SENDER_REC_MAX)
#define SENDER_SYNC_SKEW	300	/* seconds a state may come from ahead */

int
sender_journal_count(STORE_TXN *t, const char *key, const SENDER_COUNTS *c,
    int64_t when)
{
	unsigned char p[SYNC_COUNT_MAX];
	size_t len = 0, i;

	if (store_journal_max(t) == 0)
		return 0;
	if (store_key_str(p, sizeof(p), &len, key, strlen(key)) != 0 ||
	    store_key_u64(p, sizeof(p), &len, (uint64_t)when) != 0 ||
	    store_key_u8(p, sizeof(p), &len, SENDER_COUNTERS) != 0)
		return STORE_ERROR;
	for (i = 0; i < SENDER_COUNTERS; i++)
		if (store_key_u64(p, sizeof(p), &len, c->n[i]) != 0)
			return STORE_ERROR;
	return store_journal(t, STORE_CHANGE_COUNT, p, len);
}

int
sender_journal_state(STORE_TXN *t, const char *key, const SENDER_STATE *s)
{
	unsigned char p[SYNC_STATE_MAX];
	size_t len = 0;

	if (store_journal_max(t) == 0)
		return 0;
	if (store_key_str(p, sizeof(p), &len, key, strlen(key)) != 0)
		return STORE_ERROR;
	len += sender_encode(s, p + len);
	return store_journal(t, STORE_CHANGE_STATE, p, len);
}

/* The sender key at the start of a payload; -1 if there is none. */
static int
sync_key(const unsigned char *p, size_t len, size_t *off, char *key,
    size_t keysize)
{
	size_t n;

	if (len < 2)
		return -1;
	n = (size_t)p[0] << 8 | p[1];
	/* longer than a key this store keeps: LMDB would refuse it, and the
	 * change would block every later one (store_get_str() refuses a
	 * NUL inside) */
	if (n == 0 || n > SENDER_KEY_STORED)
		return -1;
	*off = 0;
	return store_get_str(p, len, off, key, keysize);
}

int
sender_change_count(const void *payload, size_t len, char *key,
    size_t keysize, int64_t *when, SENDER_COUNTS *c)
{
	const unsigned char *p = payload;
	size_t off, n, i;

	if (sync_key(p, len, &off, key, keysize) != 0 || off + 9 > len)
		return SENDER_BAD_CHANGE;
	*when = (int64_t)store_get_u64(p + off);
	n = p[off + 8];
	off += 9;
	if (len - off != n * 8 || *when <= 0)
		return SENDER_BAD_CHANGE;
	memset(c, 0, sizeof(*c));
	for (i = 0; i < n && i < SENDER_COUNTERS; i++)
		c->n[i] = store_get_u64(p + off + i * 8);
	return 0;
}

int
sender_change_state(const void *payload, size_t len, char *key,
    size_t keysize, SENDER_STATE *s)
{
	const unsigned char *p = payload;
	size_t off;

	if (sync_key(p, len, &off, key, keysize) != 0 ||
	    sender_decode(p + off, len - off, s) != 0)
		return SENDER_BAD_CHANGE;
	return 0;
}

int
sender_apply_count(STORE_TXN *t, const void *payload, size_t len,
    int64_t now, char *key, size_t keysize)
{
	SENDER_COUNTS c;
	int64_t when;

	if (sender_change_count(payload, len, key, keysize, &when, &c) != 0)
		return SENDER_BAD_CHANGE;
	return sender_count_at(t, key, &c, when, now);
}

/* A state's weight when two nodes set one sender in the same second:
 * the more cautious wins everywhere (paused, then probation, warning,
 * active; an operator's over the engine's; the longer pause). */
static int64_t
sync_rank(const SENDER_STATE *s)
{
	static const int rank[] = {
		[SENDER_ACTIVE] = 0, [SENDER_WARNING] = 1,
		[SENDER_PROBATION] = 2, [SENDER_PAUSED] = 3
	};

	return (int64_t)rank[s->state & 3] * 4 + (s->manual ? 2 : 0);
}

/* Is in (another node's) not newer than s (ours)? */
static int
sync_older(const SENDER_STATE *in, const SENDER_STATE *s)
{
	if (in->since != s->since)
		return in->since < s->since;
	if (sync_rank(in) != sync_rank(s))
		return sync_rank(in) < sync_rank(s);
	/* the same state: an open-ended pause (0) is the longer one */
	if (in->paused_until == s->paused_until)
		return 1;
	return in->paused_until != 0 && (s->paused_until == 0 ||
	    in->paused_until < s->paused_until);
}

int
sender_apply_state(STORE_TXN *t, const void *payload, size_t len,
    int64_t now, char *key, size_t keysize)
{
	SENDER_STATE in, s;
	HISTORY_ENTRY e;
	int rc;

	if (sender_change_state(payload, len, key, keysize, &in) != 0 ||
	    in.since > now + SENDER_SYNC_SKEW)
		return SENDER_BAD_CHANGE;	/* from the future: refused */
	rc = sender_get(t, key, &s);
	if (rc == STORE_ERROR && store_txn_error(t) != NULL)
		return STORE_ERROR;
	if (rc != 0)
		memset(&s, 0, sizeof(s));
	if (sync_older(&in, &s))
		return SENDER_STALE;
	memset(&e, 0, sizeof(e));
	e.time = in.since > 0 ? in.since : now;
	e.from = s.state;
	e.to = in.state;
	snprintf(e.by, sizeof(e.by), "%s", in.by);
	snprintf(e.why, sizeof(e.why), "%s", in.reason);
	s.state = in.state;
	s.manual = in.manual;
	s.since = in.since;
	s.paused_at = in.paused_at;
	s.paused_until = in.paused_until;
	s.cooldown = in.cooldown;
	s.judged_from = in.judged_from;
	memcpy(s.base, in.base, sizeof(s.base));
	memcpy(s.reason, in.reason, sizeof(s.reason));
	memcpy(s.by, in.by, sizeof(s.by));
	if (s.first_seen == 0)
		s.first_seen = in.first_seen ? in.first_seen : now;
	if (history_add(t, key, s.seq++, &e) != 0)
		return STORE_ERROR;
	return sender_put(t, key, &s);
}
