/*
 * bevent.h - bounce and complaint events, as the reputation engine will
 * read them: who sent the message, which recipient, what class.
 *
 *	BEVENT e = { ... };
 *	bevent_key(record, kind, rcpt, e.id);	one id per message, kind and
 *						recipient (0, or -1 if
 *						OpenSSL fails)
 *	rc = bevent_put(txn, &e);		0 new, BEVENT_DUPLICATE, or
 *						STORE_ERROR
 *	rc = bevent_replace(txn, &e);		write it over (reclassify)
 *	rc = bevent_journal(txn, &e, when, &counts);	for the other
 *						nodes of a cluster
 *	rc = bevent_apply(txn, p, len, now, &e);	another node's event:
 *						kept and counted once
 *	rc = bevent_change(p, len, &e, &when, &add);	only read it (0 or
 *						BEVENT_DAMAGED)
 *	rc = bevent_get(txn, id, &e);		0, STORE_NOTFOUND, or
 *						BEVENT_DAMAGED
 *	rc = bevent_list(txn, fn, ctx);		fn(&e, ctx) for each event
 *						(damaged ones skipped)
 *	rc = bevent_reasons(txn, sender, since, &r);	events of sender
 *						(NULL: all) since then, counted
 *						by reason (events written
 *						before reasons: "unrecorded"),
 *						sorted by count, then name
 *
 * An event's id is the SHA-256 of the return-path record's id (the
 * message the token names), the kind of event ("failure", "delay",
 * "complaint") and the recipient's canonical address: what a message's
 * recipient can report is one event of each kind, however many reports
 * arrive and however they are worded or wrapped.  A report's own bytes
 * play no part: 40 wrappings of one bounce are one event.
 *
 * Value: version, time, then sender key, original sender, recipient,
 * class, status, report type, reason and diagnostic as length-prefixed
 * strings (version 1 values, without the last two, are still read).
 */
#ifndef REPGUARD_BEVENT_H
#define REPGUARD_BEVENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "reputation/sender.h"
#include "store/store.h"

#define BEVENT_ID_LEN		32
#define BEVENT_DUPLICATE	1
#define BEVENT_DAMAGED		2
#define BEVENT_REASON_MAX	24
#define BEVENT_DIAG_MAX		512

typedef struct {
	unsigned char	 id[BEVENT_ID_LEN];
	int64_t		 time;
	char		 sender[SENDER_KEY_MAX];	/* counted under */
	char		 from[ADDR_KEY_MAX];		/* original sender */
	char		 rcpt[ADDR_KEY_MAX];
	char		 cls[16];
	char		 status[16];
	char		 type[16];			/* dsn, arf, nondsn */
	char		 reason[BEVENT_REASON_MAX];	/* "": before reasons */
	char		 diagnostic[BEVENT_DIAG_MAX];	/* the receiver's text */
} BEVENT;

int	bevent_key(uint64_t record, const char *kind, const char *rcpt,
	    unsigned char id[BEVENT_ID_LEN]);
int	bevent_put(STORE_TXN *, const BEVENT *);
int	bevent_replace(STORE_TXN *, const BEVENT *);
int	bevent_get(STORE_TXN *, const unsigned char id[BEVENT_ID_LEN],
	    BEVENT *);
int	bevent_journal(STORE_TXN *, const BEVENT *, int64_t when,
	    const SENDER_COUNTS *add);
int	bevent_apply(STORE_TXN *, const void *p, size_t len, int64_t now,
	    BEVENT *);
int	bevent_change(const void *p, size_t len, BEVENT *, int64_t *when,
	    SENDER_COUNTS *add);
typedef int (*BEVENT_FN)(const BEVENT *, void *ctx);
int	bevent_list(STORE_TXN *, BEVENT_FN, void *ctx);

#define BEVENT_REASONS_MAX	24
typedef struct {
	char		 reason[BEVENT_REASON_MAX];
	char		 cls[16];
	uint64_t	 count;
} BEVENT_REASON;
typedef struct {
	size_t		 n;
	BEVENT_REASON	 r[BEVENT_REASONS_MAX];
} BEVENT_REASONS;

int	bevent_reasons(STORE_TXN *, const char *sender, int64_t since,
	    BEVENT_REASONS *);

#endif
