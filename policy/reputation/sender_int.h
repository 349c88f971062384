/*
 * sender_int.h - what sender.c, sender_count.c and sender_state.c share;
 * not for other modules.
 */
#ifndef REPGUARD_SENDER_INT_H
#define REPGUARD_SENDER_INT_H

#include <stddef.h>

#include "reputation/sender.h"

#define SENDER_CKEY_MAX		(2 + SENDER_KEY_MAX + 1 + 8)
#define SENDER_MINUTE		'm'
#define SENDER_HOUR		'h'

#define SENDER_REC_MAX		(3 + 9 * 8 + 2 + SENDER_REASON_MAX + 2 + \
				    SENDER_BY_MAX + 1 + 2 * 8 * SENDER_COUNTERS)

int	sender_decode(const unsigned char *, size_t, SENDER_STATE *);
size_t	sender_encode(const SENDER_STATE *, unsigned char *buf);
int	sender_bucket(STORE_TXN *, const char *key, int gran, int64_t t,
	    SENDER_COUNTS *);

#endif
