/*
 * tclass.h - the traffic class of an outbound message: transactional
 * (password resets, receipts: never delayed by bulk limits) or bulk
 * (newsletters: limited).
 *
 *	TCLASS_RULES r = { .class_header = "X-Mail-Class",
 *	    .bulk_senders = "news@example.com example.net", ... };
 *	TCLASS_MSG m;
 *	tclass_init(&m);
 *	tclass_header(&m, &r, name, value);	each header, as they come
 *	cls = tclass_decide(&m, &r, sender_key, why, sizeof(why));
 *
 * The first rule that applies decides:
 *   1. the header the sending application sets (class_header), when its
 *	value is "bulk" or "transactional" (any case);
 *   2. the sender key or its domain in transactional_senders, then in
 *	bulk_senders (a domain covers its subdomains);
 *   3. Precedence: bulk, list or junk; then List-Id; then
 *	List-Unsubscribe (each means bulk);
 *   4. otherwise transactional.
 * why names the rule ("Precedence: bulk", "sender list", ...).
 *
 * Must not: keep the headers (only what decides), include lmdb.h or any
 * filter/ header.
 */
#ifndef REPGUARD_TCLASS_H
#define REPGUARD_TCLASS_H

#include <stddef.h>

enum tclass {
	TCLASS_TRANSACTIONAL,
	TCLASS_BULK
};

typedef struct {
	const char	*class_header;		/* NULL: none */
	const char	*bulk_senders;		/* space/comma list, or NULL */
	const char	*transactional_senders;
} TCLASS_RULES;

typedef struct {
	int		 app;		/* class from class_header, -1 none */
	char		 precedence[16];	/* bulk/list/junk seen, or "" */
	int		 list_id, list_unsubscribe;
} TCLASS_MSG;

void		 tclass_init(TCLASS_MSG *);
void		 tclass_header(TCLASS_MSG *, const TCLASS_RULES *,
		    const char *name, const char *value);
int		 tclass_decide(const TCLASS_MSG *, const TCLASS_RULES *,
		    const char *sender_key, char *why, size_t whylen);
const char	*tclass_name(int);

#endif
