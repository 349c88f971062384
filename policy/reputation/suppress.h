/*
 * suppress.h - the suppression list: recipients mail must no longer go
 * to, globally or for one sender.
 *
 *	SUPPRESS_ENTRY e = { .reason = SUPPRESS_HARD, .time = now,
 *	    .expires = now + 90 * 86400 };
 *	snprintf(e.source, ...);		where it came from (and, from
 *						a report, status, why and
 *						diagnostic)
 *	suppress_put(txn, scope, addr, &e);	scope "" = global, else a
 *						sender key; replaces
 *	rc = suppress_check(txn, sender, addr, now, &e);
 *				0: suppressed (global entry first, then the
 *				sender's), STORE_NOTFOUND, or STORE_ERROR
 *	suppress_get(txn, scope, addr, &e);	one entry, expired or not
 *	suppress_del(txn, scope, addr);		0, STORE_NOTFOUND, STORE_ERROR
 *	suppress_list(txn, fn, ctx);		every entry (in hash order)
 *	n = suppress_sweep(txn, now, budget, &sw);	drop expired ones, up to
 *						budget entries looked at, on
 *						from where the last call
 *						stopped (sw starts zeroed)
 *	err = suppress_reason_parse(text, &reason);
 *	rc = suppress_apply(txn, kind, p, len, &e);	another node's change
 *						(its journal entry)
 *	rc = suppress_journal(txn, &e);		journal an entry as it is
 *	rc = suppress_change(kind, p, len, &e);	only read a change (0 or
 *						SUPPRESS_DAMAGED)
 *
 * addr is a canonical key (addr_canon()).  Entries are keyed by the first
 * SUPPRESS_HASH_LEN octets of SHA-256(scope, NUL, address): every key has
 * the same small size however long the address, and a lookup is one get
 * whatever the size of the list.  The entry repeats scope and address, and
 * a lookup checks them, so a hash collision can never suppress the wrong
 * address.  An entry whose expiry (0: never) has passed counts as absent
 * and is removed by suppress_sweep().
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#ifndef REPGUARD_SUPPRESS_H
#define REPGUARD_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/addr.h"
#include "reputation/sender.h"
#include "store/store.h"

#define SUPPRESS_HASH_LEN	16
#define SUPPRESS_SOURCE_MAX	256
#define SUPPRESS_DIAG_MAX	512
#define SUPPRESS_DAMAGED	2

enum suppress_reason {
	SUPPRESS_HARD,			/* "hard-bounce" */
	SUPPRESS_COMPLAINT,		/* "complaint" */
	SUPPRESS_MANUAL			/* "manual" */
};

typedef struct {
	int	 reason;
	int64_t	 time;			/* when suppressed */
	int64_t	 expires;		/* 0: never */
	char	 scope[SENDER_KEY_MAX];	/* "": global */
	char	 addr[ADDR_KEY_MAX];
	char	 source[SUPPRESS_SOURCE_MAX];
	/* made from a report: what it said, so that a later change of the
	 * rules can be applied to it ("" otherwise) */
	char	 status[16];		/* its status code */
	char	 why[24];		/* the reason the rules gave it */
	char	 diagnostic[SUPPRESS_DIAG_MAX];
} SUPPRESS_ENTRY;

typedef int (*SUPPRESS_LIST_FN)(const SUPPRESS_ENTRY *, void *ctx);

typedef struct {
	unsigned char	 at[SUPPRESS_HASH_LEN + 1];	/* resume here */
	size_t		 atlen;				/* 0: the start */
} SUPPRESS_SWEEP;

const char	*suppress_reason_name(int reason);
const char	*suppress_reason_parse(const char *text, int *reason);
int		 suppress_put(STORE_TXN *, const char *scope, const char *addr,
		    const SUPPRESS_ENTRY *);
int		 suppress_get(STORE_TXN *, const char *scope, const char *addr,
		    SUPPRESS_ENTRY *);
int		 suppress_check(STORE_TXN *, const char *sender,
		    const char *addr, int64_t now, SUPPRESS_ENTRY *);
int		 suppress_del(STORE_TXN *, const char *scope, const char *addr);
int		 suppress_list(STORE_TXN *, SUPPRESS_LIST_FN, void *ctx);
int		 suppress_journal(STORE_TXN *, const SUPPRESS_ENTRY *);
int		 suppress_change(int kind, const void *p, size_t len,
		    SUPPRESS_ENTRY *);
int		 suppress_apply(STORE_TXN *, int kind, const void *p,
		    size_t len, SUPPRESS_ENTRY *);
long		 suppress_sweep(STORE_TXN *, int64_t now, long budget,
		    SUPPRESS_SWEEP *);

#endif
