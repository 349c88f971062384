/*
 * cstatus.h - how this node stands with its cluster, as the daemon's
 * cluster thread last wrote it to the store: for metrics, for
 * `repguardctl cluster status`, and for the next start.
 *
 *	CSTATUS s;
 *	rc = cstatus_get(txn, &s);	0, STORE_NOTFOUND (never clustered)
 *					or STORE_ERROR
 *	rc = cstatus_put(txn, &s);
 *	n = cstatus_format(&s, buf, size);	"key value" lines
 *
 * The record is text ("key value" lines, unknown keys ignored), so a
 * newer daemon and an older repguardctl still read each other.
 *
 * Must not: include a filter/ header or read the clock.
 */
#ifndef REPGUARD_CSTATUS_H
#define REPGUARD_CSTATUS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CSTATUS_TEXT_MAX	256

typedef struct {
	int		 up;		/* connected and answering */
	int64_t		 since;		/* in that state since (Unix s) */
	int64_t		 updated;	/* when this was written */
	char		 address[CSTATUS_TEXT_MAX];	/* of the server */
	char		 node[CSTATUS_TEXT_MAX];	/* our name */
	char		 error[CSTATUS_TEXT_MAX];	/* the last failure */
	char		 epoch[CSTATUS_TEXT_MAX];	/* the server's, as
						 * last seen */
	int64_t		 rtt_us;	/* the last round trip */
	int64_t		 lag_ms;	/* behind the newest change read */
	uint64_t	 pushed;	/* changes sent, since start */
	uint64_t	 applied;	/* changes of others applied */
	uint64_t	 frames;	/* round trips that sent changes */
	uint64_t	 roundtrips;	/* every exchange with the server */
	uint64_t	 reconnects;	/* connections made after a loss */
	uint64_t	 resyncs;	/* whole-state publications */
	int64_t		 nodes;		/* with a fresh heartbeat, last seen
					 * (a node's share while down) */
} CSTATUS;

int		 cstatus_get(STORE_TXN *, CSTATUS *);
int		 cstatus_put(STORE_TXN *, const CSTATUS *);
size_t		 cstatus_format(const CSTATUS *, char *buf, size_t size);
int		 cstatus_parse(const char *buf, size_t len, CSTATUS *);

#endif
