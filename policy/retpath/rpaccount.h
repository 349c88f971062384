/*
 * rpaccount.h - the accounting of what comes back: which recipients of a
 * parsed report count, for which sender, and what they change (events,
 * the sender's counts and state, the suppression list, forwarding).
 *
 *	RPACCOUNT_RULES ru = { .suppression = RPACCOUNT_SUPPRESS_GLOBAL,
 *	    .keep_hard = 90 * 86400, ... };
 *	RPACCOUNT_RESULT *res = mem_calloc(1, sizeof(*res));	zeroed
 *						before the first call
 *	rc = rpaccount_report(txn, &ru, token.id, &bounce, now, res);
 *		0 (res says what happened) or STORE_ERROR; inside one write
 *		transaction, so events, counts, a pause and suppressions
 *		are committed together or not at all
 *	rpaccount_kind(&bounce.rcpts[i])	"failure", "delay",
 *						"complaint" or "auto-reply"
 *	rpaccount_verdict_name(v)		"counted", "known", ...
 *
 * The token names one message (its return-path record); a report counts
 * only for that message's recipients, each at most once per kind:
 *   - a recipient the report names (Final-Recipient, else its
 *     Original-Recipient; the address of a plain-text bounce; an ARF
 *     report's Original-Rcpt-To) is compared, in canonical form, with the
 *     record's recipients: not among them, it is RPACCOUNT_NOT_RECIPIENT
 *     (not counted, not suppressed);
 *   - where the record does not hold every recipient (version 1 records,
 *     a message with more recipients than rprecord.h keeps), an address
 *     it does not hold counts as "a recipient of the message" at most once
 *     per kind, and never suppresses (res->unlisted);
 *   - an ARF report that names nobody is about the message's only
 *     recipient, or, with several, counts once per message, unlisted;
 *   - the event's key is the record id, the kind and the recipient
 *     (bevent_key()), never the report's bytes: the same bounce in any
 *     wrapping counts once (RPACCOUNT_KNOWN after the first);
 *   - no record (an unknown token, or one whose record is gone):
 *     RPACCOUNT_NO_RECORD for everyone, nothing written;
 *   - a DSN about one of repguard's own 451 "paused" refusals:
 *     RPACCOUNT_OURS, never counted; an automatic reply (its sender as the
 *     entry): RPACCOUNT_AUTOREPLY, nothing recorded;
 *   - a token takes at most reports_per_rcpt reports per recipient of its
 *     message (at least reports_per_rcpt): past that every recipient is
 *     RPACCOUNT_OVER_LIMIT and nothing is counted or forwarded;
 *   - with forward set, a report is forwarded to the original sender at
 *     most once per recipient of the message (at least once).
 * New hard bounces and complaints of listed recipients go on the
 * suppression list (global, or for the sender); new events count for
 * the record's sender in the buckets of the message's time, and the
 * reputation engine judges the sender again.
 *
 * Must not: include lmdb.h or a filter/ header, log, or read the clock.
 */
#ifndef REPGUARD_RPACCOUNT_H
#define REPGUARD_RPACCOUNT_H

#include <stdint.h>

#include "retpath/bounce.h"
#include "reputation/reputation.h"
#include "retpath/rprecord.h"
#include "reputation/sender.h"
#include "store/store.h"

enum rpaccount_suppression {
	RPACCOUNT_SUPPRESS_OFF,
	RPACCOUNT_SUPPRESS_GLOBAL,
	RPACCOUNT_SUPPRESS_SENDER
};

enum rpaccount_verdict {
	RPACCOUNT_COUNTED,	/* a new event, counted */
	RPACCOUNT_KNOWN,	/* the same message, recipient and kind before */
	RPACCOUNT_NOT_RECIPIENT,	/* not a recipient of the message */
	RPACCOUNT_NO_RECORD,	/* no record for the token */
	RPACCOUNT_OURS,		/* about repguard's own 451 */
	RPACCOUNT_OVER_LIMIT,	/* the token's report limit is reached */
	RPACCOUNT_AUTOREPLY,	/* an automatic reply: nothing to count */
	RPACCOUNT_VERDICTS
};

typedef struct {
	int		 suppression;		/* RPACCOUNT_SUPPRESS_* */
	int64_t		 keep_hard;		/* seconds; 0: for ever */
	int64_t		 keep_complaint;
	const REP_RULES	*rules;			/* NULL: count, never judge */
	int		(*major)(const char *domain, void *ctx);
	void		*major_ctx;		/* NULL major: none is major */
	uint32_t	 reports_per_rcpt;	/* 0: no limit */
	int		 forward;		/* BounceForward */
} RPACCOUNT_RULES;

typedef struct {
	int		 have_record;
	RPRECORD	 record;		/* as read (rprecord_clear()) */
	size_t		 nrcpts;		/* entries below; an ARF report
						 * naming nobody has one */
	int		 implied;		/* ... that one */
	BOUNCE_RCPT	 rcpts[BOUNCE_RCPTS_MAX];	/* what was judged */
	int		 verdict[BOUNCE_RCPTS_MAX];
	int		 unlisted[BOUNCE_RCPTS_MAX];	/* counted for the
							 * message, not a
							 * listed recipient */
	int		 suppressed[BOUNCE_RCPTS_MAX];
	int		 n[RPACCOUNT_VERDICTS];	/* recipients by verdict */
	SENDER_COUNTS	 add;			/* what the new events count */
	int		 changed;		/* the sender's state changed */
	REP_CHANGE	 change;
	int		 forward;		/* forward the report */
	uint32_t	 limit;			/* the token's report limit */
	int		 over;			/* ... reached: nothing done */
} RPACCOUNT_RESULT;

int		 rpaccount_report(STORE_TXN *, const RPACCOUNT_RULES *,
		    uint64_t record, const BOUNCE *, int64_t now,
		    RPACCOUNT_RESULT *);
const char	*rpaccount_kind(const BOUNCE_RCPT *);
const char	*rpaccount_verdict_name(int verdict);

#endif
