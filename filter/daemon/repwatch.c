/*
 * repwatch.c - the reputation engine's judging outside the milter
 * callbacks (see repwatch.h).
 *
 * Owns: repwatch_counted(), repwatch_sweep().
 *
 * Decisions: a sender's mail counted in a batch may carry it over the
 * minimum volume with bounces already in its windows, so the tally's
 * batch judges every sender it counted, in the same transaction, unless
 * the sender is active with no bounce or complaint counted within the
 * long window (then its rates cannot have reached a threshold: one
 * record read, no window scan); the record read is the one judged.  The minute housekeeping judges senders
 * that are not active (cool-downs ending, rates falling).  Both use the
 * configuration in force at that moment.
 *
 * Must not: run in a milter callback, or act on a change before it is
 * committed (the log lines may repeat if a transaction is retried).
 */
#include "config.h"

#include "conf/conf.h"
#include "common/log.h"
#include "daemon/repwatch.h"
#include "reputation/reputation.h"
#include "reputation/sender.h"

#define REPWATCH_SWEEP_MAX	2000	/* senders judged per minute */

static void
repwatch_log(const char *key, const REP_CHANGE *ch, void *ctx)
{
	(void)ctx;
	msg_info("sender %s: %s -> %s: %s", key, sender_state_name(ch->from),
	    sender_state_name(ch->to), ch->why);
}

/* TALLY_HOOK_FN: judge a sender the batch has just counted. */
int
repwatch_counted(STORE_TXN *t, const char *key, int64_t now, void *ctx)
{
	CONF *c = conf_current();
	const REP_RULES *r = c != NULL ? conf_rep_rules(c) : NULL;
	SENDER_STATE s;
	REP_CHANGE ch;
	int rc = 0;

	(void)ctx;
	if (r != NULL && sender_get(t, key, &s) == 0 &&
	    (s.state != SENDER_ACTIVE || s.last_event >= now - r->window[1])) {
		if ((rc = rep_apply(t, r, key, now, &s, &ch)) > 0)
			repwatch_log(key, &ch, NULL);
	}
	conf_unref(c);
	return rc < 0 ? STORE_ERROR : 0;
}

/* The minute's housekeeping: cool-downs, probation, falling rates. */
void
repwatch_sweep(STORE *st, int64_t now)
{
	CONF *c = conf_current();
	char err[512] = "";

	if (c != NULL && conf_rep_rules(c) != NULL &&
	    rep_sweep(st, conf_rep_rules(c), now, REPWATCH_SWEEP_MAX,
	    repwatch_log, NULL, err, sizeof(err)) < 0)
		msg_warn("reputation housekeeping failed: %s", err[0] ? err :
		    "damaged store");
	conf_unref(c);
}
