/*
 * cresync.c - publish the node's whole shared state (see cresync.h).
 *
 * Owns: cresync_publish().  A sender that never changed state (since 0:
 * active from its first message) has nothing to tell and is left out.
 * The journal's resync mark is cleared only if all of it fitted in the
 * outbox.
 *
 * Must not: write anything but journal entries (and the journal's resync
 * mark, which it clears).
 */
#include "cluster/cresync.h"
#include "reputation/sender.h"
#include "reputation/suppress.h"
#include "store/store.h"

struct cresync {
	STORE_TXN	*t;
	long		 n;
	int		 failed;
};

static int
cresync_sender(const char *key, const SENDER_STATE *s, void *ctx)
{
	struct cresync *r = ctx;

	if (s->since == 0)
		return 0;
	if (sender_journal_state(r->t, key, s) != 0) {
		r->failed = 1;
		return 1;
	}
	r->n++;
	return 0;
}

static int
cresync_suppression(const SUPPRESS_ENTRY *e, void *ctx)
{
	struct cresync *r = ctx;

	if (suppress_journal(r->t, e) != 0) {
		r->failed = 1;
		return 1;
	}
	r->n++;
	return 0;
}

long
cresync_publish(STORE_TXN *t)
{
	struct cresync r = { t, 0, 0 };
	STORE_JOURNAL_STAT before, after;

	if (store_journal_stat(t, &before) != 0 ||
	    sender_list(t, cresync_sender, &r) != 0 || r.failed ||
	    suppress_list(t, cresync_suppression, &r) != 0 || r.failed ||
	    store_journal_stat(t, &after) != 0)
		return STORE_ERROR;
	/* all of it in the outbox: the resync is done; some dropped (the
	 * outbox full again): it stays asked for */
	if (after.dropped == before.dropped && store_journal_resynced(t) != 0)
		return STORE_ERROR;
	return r.n;
}
