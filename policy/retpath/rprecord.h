/*
 * rprecord.h - what a return-path token points to: the message it was
 * made for, kept in the store until the token expires.
 *
 *	RPRECORD r = { .created = now, .expires = now + expiry, ... };
 *	rprecord_add(&r, rcpt);			each recipient, canonical
 *						(addr_canon()): the first
 *						RPRECORD_RCPTS_MAX as text,
 *						up to RPRECORD_HASHES_MAX
 *						more as hashes
 *	n = rprecord_encode(id, &r, key, &klen, val, sizeof(val));
 *	rc = rprecord_get(txn, id, &r);		0, STORE_NOTFOUND, STORE_ERROR
 *						or RPRECORD_DAMAGED
 *	rc = rprecord_put(txn, id, &r);		write it back (report counts)
 *	rc = rprecord_apply(txn, p, len, &id);	another node's record (its
 *						journal entry), unless we
 *						have one
 *	rc = rprecord_listed(&r, canon);	RPRECORD_LISTED, _NOT_LISTED,
 *						or _UNKNOWN (the record does
 *						not hold every recipient)
 *	ok = rprecord_complete(&r);		does it hold every one?
 *	n = rprecord_sweep(txn, now, budget, &cursor);	drop expired ones
 *	n = rprecord_sweep_paced(st, now, chunk, max_ms, &cursor, err, len);
 *	rprecord_clear(&r);
 *
 * A record holds the sender key the message was counted under, the
 * original envelope sender, the queue id, the time, the number of
 * recipients and the recipients themselves (the first RPRECORD_RCPTS_MAX
 * as text, the next RPRECORD_HASHES_MAX as 64-bit hashes), and how many
 * reports came back for it and how many of them were forwarded.  A
 * record whose list is short of its count (a message with more
 * recipients than that, a record of version 1 written before hashes, one
 * written without recipients) answers RPRECORD_UNKNOWN for an address it
 * does not hold: the caller decides what an unknown recipient may do.  Keys are the
 * 64-bit id, big-endian.  A value that does not decode is RPRECORD_DAMAGED;
 * rprecord_sweep() removes records whose expiry
 * has passed (and damaged ones), at most budget per call, going on from
 * *cursor (start at 0; it wraps to 0 at the end).
 *
 * rprecord_sweep_paced() sweeps in write transactions of chunk records
 * each (short, so the tally's commits go on between them), from *cursor
 * until the pass reaches the end of the records or max_ms have passed,
 * at least one chunk; it returns how many it removed, or STORE_ERROR
 * (err says why; *cursor is where the failed chunk began).  A fixed budget
 * a minute caps how many records a day can be removed (2,000 a minute is
 * 2.9 million a day), and a relay that sends more than that keeps records
 * for ever: the database grows until it is full.  A paced sweep keeps up
 * with the sending rate.
 */
#ifndef REPGUARD_RPRECORD_H
#define REPGUARD_RPRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "reputation/sender.h"
#include "store/store.h"

#define RPRECORD_RCPTS_MAX	50
#define RPRECORD_HASHES_MAX	4000	/* 32,000 octets at most */
#define RPRECORD_QID_MAX	64
#define RPRECORD_VALUE_MAX	(64 * 1024)
#define RPRECORD_KEY_LEN	8
#define RPRECORD_DAMAGED	2

enum { RPRECORD_UNKNOWN = -1, RPRECORD_NOT_LISTED = 0, RPRECORD_LISTED = 1 };

typedef struct {
	int64_t		 created, expires;
	char		 sender[SENDER_KEY_MAX];	/* counted under */
	char		 from[ADDR_KEY_MAX];		/* original sender */
	char		 qid[RPRECORD_QID_MAX];
	unsigned long	 nrcpts;		/* all of them */
	size_t		 nkept;
	char		*rcpts[RPRECORD_RCPTS_MAX];	/* the first ones */
	uint64_t	*hashes;	/* of the next ones */
	size_t		 nhashes, hashcap;
	uint32_t	 reports;	/* reports taken for the token */
	uint32_t	 forwarded;	/* of them, forwarded */
} RPRECORD;

void	rprecord_add(RPRECORD *, const char *rcpt);
void	rprecord_clear(RPRECORD *);
size_t	rprecord_encode(uint64_t id, const RPRECORD *, unsigned char *key,
	    unsigned char *val, size_t valsize);
int	rprecord_get(STORE_TXN *, uint64_t id, RPRECORD *);
int	rprecord_put(STORE_TXN *, uint64_t id, const RPRECORD *);
int	rprecord_apply(STORE_TXN *, const void *p, size_t len, uint64_t *id);
int	rprecord_listed(const RPRECORD *, const char *addr);
int	rprecord_complete(const RPRECORD *);
long	rprecord_sweep(STORE_TXN *, int64_t now, long budget,
	    uint64_t *cursor);
long	rprecord_sweep_paced(STORE *, int64_t now, long chunk,
	    int64_t max_ms, uint64_t *cursor, char *err, size_t errlen);

#endif
