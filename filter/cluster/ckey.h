/*
 * ckey.h - what a cluster keeps in its Redis, by name: its keys, the
 * fields of its counters and the text of its heartbeat; for the cluster
 * thread, which writes them, and for repguardctl, which reads them.
 *
 *	k = ckey_make(name, "nodes", &len);		"NAME:nodes"
 *	k = ckey_sender(name, sender, "h:3600", &len);	"NAME:{s:SENDER}:h:3600"
 *	k = ckey_token_bucket(name, bucket, &len);	"NAME:{b:BUCKET}"
 *	free(k);
 *	ckey_bucket(3600, t, what, sizeof(what));	"h:T", T = t - t % 3600
 *	ckey_bucket(60, t, what, sizeof(what));		"m:T", T = t - t % 60
 *	s = ckey_counter_name(SENDER_HARD);		"hard"
 *	rc = ckey_field(f, flen, &node, &nodelen, &counter);
 *	err = ckey_count_parse(v, vlen, &n);		a counter's value
 *	n = ckey_beat_format(&beat, buf, sizeof(buf));
 *	err = ckey_beat_parse(buf, len, &beat);
 *
 * Keys (NAME is ClusterName):
 *	NAME:stream		every node's frames (XADD, MAXLEN ~)
 *	NAME:nodes		node -> its heartbeat (below)
 *	NAME:epoch		who first wrote this server's data, and when
 *	NAME:states		sender -> its last state change (snapshot)
 *	NAME:suppress		scope NUL address -> the entry (snapshot)
 *	NAME:{s:SENDER}:seq	node -> the last of its changes counted
 *	NAME:{s:SENDER}:m:T	a minute's counters (T its first second),
 *	NAME:{s:SENDER}:h:T	an hour's: field COUNTER (every node) and
 *				field NODE/COUNTER (that node's share)
 *	NAME:{s:SENDER}:ev:ID	an event counted (its id in hex)
 *	NAME:{b:BUCKET}		a shared token bucket (cluster_lease.c): milli
 *				(thousandths of a token), at (ms of its last
 *				refill)
 * A sender's keys share the hash tag {s:SENDER}, so that they could live
 * on one slot of a Redis Cluster.  The sender's octets go in as they are.
 *
 * The heartbeat, written once a second by each node's cluster thread:
 * "TIME DEPTH LAG_MS RTT_US", decimal integers one space apart: when (Unix
 * seconds), the node's outbox depth, how far behind the stream it read,
 * its last round trip.
 *
 * ckey_field() reads a field of a counters hash: 0 with *counter the
 * counter's index and node, nodelen the node's name (nodelen 0: the field
 * of every node); -1 for a field this version does not know (a counter
 * added later, a node name that is not one), which a reader passes over.
 * ckey_count_parse() reads a counter's value as Redis gives it (decimal,
 * not negative).  ckey_beat_parse() reads a heartbeat.  Both return NULL,
 * or what is wrong (the result then 0, cleared); none of the readers
 * needs a NUL after its buffer.
 *
 * Must not: talk to Redis, or allocate other than the keys it returns
 * (which never fails: base/mem.h).
 */
#ifndef REPGUARD_CKEY_H
#define REPGUARD_CKEY_H

#include <stddef.h>
#include <stdint.h>

#define CKEY_BEAT_MAX	96	/* a heartbeat's text, with its NUL */
#define CKEY_BUCKET_MAX	24	/* a bucket's "m:T" or "h:T", with its NUL */

typedef struct {
	int64_t		 time;		/* Unix seconds */
	uint64_t	 depth;		/* outbox entries waiting */
	int64_t		 lag_ms;	/* behind the stream */
	int64_t		 rtt_us;	/* the last round trip */
} CKEY_BEAT;

char		*ckey_make(const char *name, const char *what, size_t *len);
char		*ckey_sender(const char *name, const char *sender,
		    const char *what, size_t *len);
char		*ckey_token_bucket(const char *name, const char *bucket,
		    size_t *len);
void		 ckey_bucket(int64_t unit, int64_t t, char *buf, size_t size);
const char	*ckey_counter_name(int counter);	/* "?" if none */
int		 ckey_field(const char *f, size_t len, const char **node,
		    size_t *nodelen, int *counter);
const char	*ckey_count_parse(const char *buf, size_t len, uint64_t *v);
size_t		 ckey_beat_format(const CKEY_BEAT *, char *buf, size_t size);
const char	*ckey_beat_parse(const char *buf, size_t len, CKEY_BEAT *);

#endif
