/*
 * tally.h - group commit of sender counters.
 *
 * The milter counts every message; paying one synchronous commit per
 * message would cap throughput at the disk's fsync rate.  tally_add()
 * only queues the increment in memory; a background thread writes all
 * queued increments in one transaction every interval_ms milliseconds.
 *
 *	TALLY *ty = tally_start(store, 10, on_error, ctx);
 *	tally_add(ty, "alice", 1, 3, now);	never blocks on the store
 *	tally_count(ty, "alice", &counts, now);	any counters at once
 *	tally_put(ty, db, key, klen, val, vlen);	a record, same batch
 *	tally_flush(ty);			write what is queued, now
 *	tally_set_hook(ty, fn, ctx);		fn(txn, key, now, ctx) once per
 *						sender of each batch, in it
 *	tally_set_prepare(ty, fn, ctx);	fn(ty, ctx) at the start of each
 *						flush: a module that keeps its
 *						changes in memory queues them
 *						(tally_put) once per batch
 *	tally_stop(ty);				flush, stop the thread, free
 *	if (tally_failing(ty, why, sizeof(why)))	the last flush failed
 *
 * A failed write keeps the increments for the next attempt (up to
 * TALLY_MAX_PENDING of them; beyond that new increments are dropped and
 * counted), reports through on_error(text, ctx) from the tally thread (the
 * first failure of a run, then every 100th), and after TALLY_MAX_ATTEMPTS
 * failures in a row drops the batch, so that one the store can never take
 * does not block counting for ever.  A write that failed for want of
 * space or permission (store_unwritable(): the map at its maximum, the
 * filesystem full or read-only) is never dropped: it waits for the
 * operator, reported once a minute, while the caller holds new work back
 * as long as tally_failing() says so (the milter applies OnError to new
 * outbound mail).  tally_failing() is 1 from a failed flush to the next
 * one that writes, with the error's text in why.  Counters are statistics, not mail: at worst a crash
 * loses the last interval's increments.  tally_dropped() says how many
 * increments were dropped.  tally_put() queues a whole record (a
 * return-path record) for the same batch, with the same guarantees: a
 * record lost in a crash only leaves a bounce without its sender.
 */
#ifndef REPGUARD_TALLY_H
#define REPGUARD_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "reputation/sender.h"
#include "store/store.h"

#define TALLY_MAX_PENDING	65536
#define TALLY_MAX_ATTEMPTS	300	/* then a failing batch is dropped */

typedef struct TALLY TALLY;
typedef void (*TALLY_ERROR_FN)(const char *err, void *ctx);
typedef void (*TALLY_PREPARE_FN)(TALLY *, void *ctx);
typedef int (*TALLY_HOOK_FN)(STORE_TXN *, const char *key, int64_t now,
		void *ctx);

TALLY		*tally_start(STORE *, unsigned interval_ms, TALLY_ERROR_FN,
		    void *ctx);
void		 tally_add(TALLY *, const char *key, uint64_t messages,
		    uint64_t recipients, int64_t now);
void		 tally_count(TALLY *, const char *key, const SENDER_COUNTS *,
		    int64_t now);
void		 tally_put(TALLY *, int db, const void *key, size_t klen,
		    const void *val, size_t vlen);
int		 tally_flush(TALLY *);
void		 tally_stop(TALLY *);
int		 tally_failing(TALLY *, char *why, size_t whylen);
uint64_t	 tally_dropped(TALLY *);
void		 tally_set_interval(TALLY *, unsigned interval_ms);
void		 tally_set_hook(TALLY *, TALLY_HOOK_FN, void *ctx);
void		 tally_set_prepare(TALLY *, TALLY_PREPARE_FN, void *ctx);

#endif
