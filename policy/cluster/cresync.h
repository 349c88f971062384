/*
 * cresync.h - publish this node's whole shared state again: every
 * sender's state and every suppression, journalled as if each had just
 * changed.
 *
 *	n = cresync_publish(txn);	entries journalled, or STORE_ERROR
 *
 * For when the cluster may have lost what this node told it: the server
 * came back empty (restarted without its data, or flushed), the node's
 * outbox overflowed (store.h: resync), or the node joins for the first
 * time.  The others apply what they get like any change: a state older
 * than theirs is left out, a suppression is written again.  Counts are
 * not published again (they would count twice).
 *
 * Must not: include a filter/ header or read the clock.
 */
#ifndef REPGUARD_CRESYNC_H
#define REPGUARD_CRESYNC_H

#include "store/store.h"

long		 cresync_publish(STORE_TXN *);

#endif
