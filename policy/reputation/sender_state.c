/*
 * sender_state.c - the changes of a sender's state: the one function that
 * makes them, and an operator's pause and resume (see sender.h).
 *
 * Owns: sender_set_state(), sender_pause(), sender_resume().
 *
 * Decisions: a change writes the record and a history entry in the
 * caller's transaction; entering probation takes its baseline from the
 * counters (sender_count.c), so the traffic that caused a pause is not
 * judged again.  Above sender.c (records) and sender_count.c (counters);
 * neither calls back here.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <stdio.h>
#include <string.h>

#include "reputation/history.h"
#include "reputation/sender.h"
#include "reputation/sender_int.h"
#include "store/store.h"

/* Operations with their own transaction. */

struct sender_op {
	const char	*key;
	SENDER_STATE	*state;
	int64_t		 until, now;
	const char	*reason, *by;
	int		 was_paused;
};

/*
 * The one way a state changes: the record and a history entry, in the
 * caller's transaction.  A pause keeps s->paused_until, s->manual and
 * s->cooldown as the caller set them; other states clear them (but the
 * cool-down, which probation needs to double).  Entering probation sets
 * judged_from and its baseline: the traffic that caused the pause is
 * not judged again, on probation or after it.
 */
int
sender_set_state(STORE_TXN *t, const char *key, SENDER_STATE *s, int to,
    const char *by, const char *why, int64_t now)
{
	HISTORY_ENTRY e;

	memset(&e, 0, sizeof(e));
	e.time = now;
	e.from = s->state;
	e.to = to;
	snprintf(e.by, sizeof(e.by), "%s", by);
	snprintf(e.why, sizeof(e.why), "%s", why);
	s->state = to;
	s->since = now;
	snprintf(s->reason, sizeof(s->reason), "%s", why);
	snprintf(s->by, sizeof(s->by), "%s", by);
	if (to == SENDER_PAUSED)
		s->paused_at = now;
	else {
		s->paused_at = s->paused_until = 0;
		s->manual = 0;
	}
	if (to == SENDER_ACTIVE)
		s->cooldown = 0;
	/* From probation on, rates are judged only on what came after. */
	if (to == SENDER_PROBATION) {
		s->judged_from = now;
		if (sender_bucket(t, key, SENDER_MINUTE, now, &s->base[0]) ||
		    sender_bucket(t, key, SENDER_HOUR, now, &s->base[1]))
			return STORE_ERROR;
	}
	if (history_add(t, key, s->seq++, &e) != 0 ||
	    sender_journal_state(t, key, s) != 0)
		return STORE_ERROR;
	return sender_put(t, key, s);
}

static int
sender_pause_fn(STORE_TXN *t, void *ctx)
{
	struct sender_op *op = ctx;
	SENDER_STATE s;

	if (sender_get(t, op->key, &s) == STORE_ERROR &&
	    store_txn_error(t) != NULL)
		return STORE_ERROR;
	s.manual = 1;
	s.paused_until = op->until;
	return sender_set_state(t, op->key, &s, SENDER_PAUSED, op->by,
	    op->reason, op->now);
}

/*
 * An operator's pause (creating the record); until = 0: until resumed.
 * It never ends by itself otherwise.
 */
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
	SENDER_STATE *s = op->state;
	int rc;

	op->was_paused = 0;
	rc = sender_get(t, op->key, s);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == STORE_ERROR && store_txn_error(t) != NULL)
		return rc;
	if (rc == 0 && s->state != SENDER_PAUSED)
		return 0;
	/* A damaged record is replaced by an active one. */
	op->was_paused = 1;
	if (rc != 0)
		memset(s, 0, sizeof(*s));
	/* After an automatic pause the sender must show it mends its ways. */
	return sender_set_state(t, op->key, s, rc == 0 && !s->manual ?
	    SENDER_PROBATION : SENDER_ACTIVE, op->by, "resumed by operator",
	    op->now);
}

/*
 * Resume a paused sender: to probation after an automatic pause, to
 * active after an operator's.  *after: the state now.
 */
int
sender_resume(STORE *st, const char *key, const char *by, int64_t now,
    int *was_paused, SENDER_STATE *after, char *err, size_t errlen)
{
	SENDER_STATE s;
	struct sender_op op = { .key = key, .by = by, .now = now,
	    .state = &s };
	int rc;

	memset(&s, 0, sizeof(s));
	rc = store_write(st, sender_resume_fn, &op, err, errlen);
	if (was_paused != NULL)
		*was_paused = op.was_paused;
	if (after != NULL)
		*after = s;
	return rc;
}
