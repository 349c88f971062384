/*
 * capply.h - the changes of the other nodes of a cluster, applied to this
 * node's store.
 *
 *	CAPPLY_RESULT r;
 *	rc = capply(txn, rules, "relay-b", seq, kind, p, len, now, &r);
 *		0 (r.outcome says what happened) or STORE_ERROR
 *	rc = capply_snapshot(txn, kind, p, len, now, &r);	a STATE or
 *						SUPPRESS of the cluster's
 *						snapshot: no node, no seq
 *	rc = capply_last(txn, "relay-b", &seq);	the last of its changes
 *						applied here (0: none)
 *	rc = capply_peers(txn, fn, ctx);	fn(node, seq, at, ctx) for each
 *						node seen
 *	rc = capply_cursor(txn, buf, size);	where the reader stopped
 *	rc = capply_set_cursor(txn, text);	("" before the first read)
 *
 * A change is what the other node's store journalled (store.h, "The
 * journal"): its kind (STORE_CHANGE_*) and payload, numbered by that
 * node.  Each node's numbers only grow, so a change at or below the last
 * one applied from that node is CAPPLY_SEEN and left out: a node that
 * sends its outbox again after a lost answer is applied once.  Then, with
 * this node's journal held (what it applies is not sent back):
 *   COUNT	counted for its sender, in the bucket of its time;
 *   EVENT	kept and counted, unless this node has the event already
 *		(CAPPLY_DUPLICATE: the same report reached two MXs);
 *   STATE	the sender's new state, unless ours is more recent
 *		(CAPPLY_STALE);
 *   SUPPRESS, UNSUPPRESS	the entry added or lifted;
 *   RECORD	a return-path record, unless this node has it.
 * After counts (COUNT, EVENT), the reputation engine judges the sender
 * on what the cluster counted, with the journal on again: a pause it
 * decides goes out to the others like any other (r.changed, r.change).
 * A payload that does not parse is CAPPLY_BAD: nothing written, the
 * number taken (a broken change is not asked for again).
 *
 * Must not: include a filter/ header, read the clock, or trust the
 * payload (each module's apply function checks its own form).
 */
#ifndef REPGUARD_CAPPLY_H
#define REPGUARD_CAPPLY_H

#include <stddef.h>
#include <stdint.h>

#include "reputation/reputation.h"
#include "reputation/sender.h"
#include "store/store.h"

#define CAPPLY_NODE_MAX		64	/* a node's name, at most */
#define CAPPLY_CURSOR_MAX	64	/* the reader's position, as text */

enum capply_outcome {
	CAPPLY_APPLIED,
	CAPPLY_SEEN,		/* applied before */
	CAPPLY_STALE,		/* a state older than ours */
	CAPPLY_DUPLICATE,	/* an event this node has */
	CAPPLY_BAD,		/* does not parse */
	CAPPLY_OUTCOMES
};

typedef struct {
	int		 kind;			/* STORE_CHANGE_* */
	int		 outcome;		/* CAPPLY_* */
	char		 sender[SENDER_KEY_MAX];	/* whose (COUNT, EVENT,
						 * STATE, a sender's
						 * suppression) */
	char		 addr[ADDR_KEY_MAX];	/* SUPPRESS, UNSUPPRESS */
	int		 changed;		/* the engine moved the sender */
	REP_CHANGE	 change;
} CAPPLY_RESULT;

typedef int (*CAPPLY_PEER_FN)(const char *node, uint64_t seq, int64_t at,
		void *ctx);

int		 capply(STORE_TXN *, const REP_RULES *, const char *node,
		    uint64_t seq, int kind, const void *p, size_t len,
		    int64_t now, CAPPLY_RESULT *);
int		 capply_snapshot(STORE_TXN *, int kind, const void *p,
		    size_t len, int64_t now, CAPPLY_RESULT *);
int		 capply_last(STORE_TXN *, const char *node, uint64_t *seq);
int		 capply_peers(STORE_TXN *, CAPPLY_PEER_FN, void *ctx);
int		 capply_cursor(STORE_TXN *, char *buf, size_t size);
int		 capply_set_cursor(STORE_TXN *, const char *text);
const char	*capply_outcome_name(int outcome);

#endif
