/*
 * reputation.h - the reputation engine: a sender's bounce and complaint
 * rates over two sliding windows decide its state.
 *
 *	REP_RULES r;
 *	rep_rules_default(&r);			then the operator's settings
 *	if (rep_due(&r, &state, now))		read-only: a timed change due?
 *		rep_update(txn, &r, key, now, &state, &change);
 *	rc = rep_update(txn, &r, key, now, &state, &change);
 *			after bounces were counted, or from housekeeping:
 *			reads both windows, judges, and commits a change
 *			(sender_set_state()) in the caller's transaction;
 *			1 changed (change says from, to, why), 0 not,
 *			STORE_ERROR
 *	rep_apply(txn, &r, key, now, &state, &change);	the same for a
 *			record the caller has just read in txn
 *	rep_judge(&r, &state, &windows, now, &verdict);	the pure decision
 *	rep_sweep(store, &r, now, max, fn, ctx, err, errlen);
 *			housekeeping: judge again the senders not active
 *
 * States and rules (defaults; doc/reputation.md gives their sources):
 *   active -> warning	a window with >= min_volume recipients shows a
 *			hard-bounce rate >= warn_hard (2 %) or a complaint
 *			rate >= warn_complaint (0.08 %), from at least
 *			min_events (3) bounces or complaints (one complaint
 *			in 300 recipients is 0.33 %, but says little); back
 *			to active when no window does;
 *   -> paused		a rate >= pause_hard (5 %) or pause_complaint
 *			(0.3 %) in a window with >= min_volume recipients;
 *			below that volume, abs_hard (25) hard bounces or
 *			abs_complaint (5) complaints in the short window;
 *			or policy_burst (10) policy/blocklist bounces from
 *			major receivers in the short window.  Until now +
 *			cooldown (4 h);
 *   paused -> probation	when the cool-down has passed (an operator's
 *			pause with a time ends in active; without one it
 *			never ends by itself);
 *   probation -> active	after a short window's length on probation with
 *			rates, counted since probation began, under the
 *			pause rules scaled to strict percent (50 %), once
 *			probation's traffic reached min_volume recipients
 *			(or, for a small sender, after a long window);
 *   probation -> paused	when they are not; the cool-down doubles (up
 *			to cooldown_max).
 * Rates are counted per message cohort: a bounce is counted in the
 * buckets of the message it is about, so a late bounce does not count
 * against the traffic of a later hour.  From probation on, the windows
 * reach back only to its start (judged_from): a storm paid for with a
 * pause is not judged again.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#ifndef REPGUARD_REPUTATION_H
#define REPGUARD_REPUTATION_H

#include <stddef.h>
#include <stdint.h>

#include "reputation/history.h"
#include "reputation/sender.h"
#include "store/store.h"

#define REP_PPM		1000000		/* rates are in parts per million */

enum rep_level {
	REP_OK,
	REP_WARN,
	REP_PAUSE
};

typedef struct {
	int64_t		 window[2];	/* short, long; seconds */
	uint64_t	 min_volume;	/* recipients in a window for a rate */
	uint64_t	 min_events;	/* events a rate needs to count */
	uint32_t	 warn_hard, warn_complaint;	/* ppm */
	uint32_t	 pause_hard, pause_complaint;	/* ppm */
	uint64_t	 abs_hard, abs_complaint;	/* short window */
	uint64_t	 policy_burst;			/* 0: off */
	uint32_t	 warn_block, pause_block;	/* ppm; 0: off */
	int64_t		 cooldown, cooldown_max;	/* seconds */
	unsigned	 strict;	/* probation: percent of the rules */
} REP_RULES;

typedef struct {
	SENDER_COUNTS	 w[2];		/* short, long */
	int64_t		 span[2];	/* seconds each one covers */
} REP_WINDOWS;

typedef struct {
	int		 to;		/* the state the sender should be in */
	int64_t		 until;		/* to paused: until when */
	int64_t		 cooldown;	/* to paused: its cool-down */
	char		 why[HISTORY_WHY_MAX];
} REP_VERDICT;

typedef struct {
	int		 from, to;
	char		 why[HISTORY_WHY_MAX];
} REP_CHANGE;

typedef void (*REP_SWEEP_FN)(const char *key, const REP_CHANGE *, void *ctx);

void	rep_rules_default(REP_RULES *);
int	rep_level(const REP_RULES *, const REP_WINDOWS *, int strict,
	    char *why, size_t whylen);
int	rep_judge(const REP_RULES *, const SENDER_STATE *, const REP_WINDOWS *,
	    int64_t now, REP_VERDICT *);
void	rep_spans(const REP_RULES *, const SENDER_STATE *, int64_t now,
	    int64_t span[2]);
int	rep_due(const REP_RULES *, const SENDER_STATE *, int64_t now);
int	rep_windows(STORE_TXN *, const REP_RULES *, const char *key,
	    const SENDER_STATE *, int64_t now, REP_WINDOWS *);
int	rep_update(STORE_TXN *, const REP_RULES *, const char *key,
	    int64_t now, SENDER_STATE *, REP_CHANGE *);
int	rep_apply(STORE_TXN *, const REP_RULES *, const char *key,
	    int64_t now, SENDER_STATE *, REP_CHANGE *);
long	rep_sweep(STORE *, const REP_RULES *, int64_t now, size_t max,
	    REP_SWEEP_FN, void *ctx, char *err, size_t errlen);

#endif
