/*
 * cchange.h - what one journal entry is about, read without applying it:
 * for the cluster thread, which keeps some of it in the server too (the
 * cluster-wide counters, the snapshot of states and suppressions).
 *
 *	CCHANGE c;
 *	if (cchange_read(kind, p, len, &c) == 0) ... c.sender, c.counts ...
 *
 * 0, or -1 when the payload does not parse (each module's own reader
 * decides: sender_change_count(), sender_change_state(),
 * bevent_change(), suppress_change(), rprecord's form).
 *
 * Must not: include a filter/ header, or write anything.
 */
#ifndef REPGUARD_CCHANGE_H
#define REPGUARD_CCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "reputation/sender.h"
#include "retpath/bevent.h"

typedef struct {
	int		 kind;			/* STORE_CHANGE_* */
	char		 sender[SENDER_KEY_MAX];	/* COUNT, EVENT, STATE;
						 * a suppression's scope */
	int64_t		 when;			/* COUNT, EVENT: bucket */
	SENDER_COUNTS	 counts;		/* COUNT, EVENT */
	unsigned char	 event[BEVENT_ID_LEN];	/* EVENT */
	SENDER_STATE	 state;			/* STATE */
	char		 addr[ADDR_KEY_MAX];	/* SUPPRESS, UNSUPPRESS */
	uint64_t	 record;		/* RECORD: its id */
} CCHANGE;

int		 cchange_read(int kind, const void *p, size_t len, CCHANGE *);

#endif
