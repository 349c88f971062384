/*
 * history.h - a sender's state changes, kept for the operator.
 *
 *	HISTORY_ENTRY e = { .time = now, .from = SENDER_ACTIVE,
 *	    .to = SENDER_PAUSED, .by = "repguard", .why = "..." };
 *	history_add(txn, key, seq, &e);		seq: the sender's own counter
 *	history_list(txn, key, fn, ctx);	oldest first
 *	history_drop(txn, key);			all of a sender's entries
 *
 * Each entry is one record (STORE_DB_HISTORY, key = str sender, u64 time,
 * u64 seq), so a sender's history is one prefix scan.  history_add()
 * keeps the newest HISTORY_KEEP entries of a sender and deletes older
 * ones.  Results: 0, or STORE_ERROR.  Damaged entries are skipped when
 * listing.
 */
#ifndef REPGUARD_HISTORY_H
#define REPGUARD_HISTORY_H

#include <stdint.h>

#include "reputation/sender.h"
#include "store/store.h"

#define HISTORY_KEEP		100
#define HISTORY_WHY_MAX		320

typedef struct {
	int64_t	 time;
	int	 from, to;			/* SENDER_ACTIVE, ... */
	char	 by[SENDER_BY_MAX];
	char	 why[HISTORY_WHY_MAX];
} HISTORY_ENTRY;

typedef int (*HISTORY_FN)(const HISTORY_ENTRY *, void *ctx);

int	history_add(STORE_TXN *, const char *key, uint64_t seq,
	    const HISTORY_ENTRY *);
int	history_list(STORE_TXN *, const char *key, HISTORY_FN, void *ctx);
int	history_drop(STORE_TXN *, const char *key);

#endif
