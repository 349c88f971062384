/*
 * ccmd.c - commands for the cluster's server, built as argument vectors,
 * and the names of its keys (see cluster_int.h).
 *
 * Owns: ccmd_init(), ccmd_str(), ccmd_bin(), ccmd_u64(), ccmd_key(),
 * ccmd_tag_key(), ccmd_sender_key(), ccmd_send(), ccmd_counter_name(), cluster_exchange().
 *
 * Keys (NAME is ClusterName):
 *	NAME:stream		every node's frames (XADD, MAXLEN ~)
 *	NAME:nodes		node -> "time depth lag_ms rtt_us" (heartbeat)
 *	NAME:epoch		who first wrote this server's data, and when
 *	NAME:states		sender -> its last state change (snapshot)
 *	NAME:suppress		scope NUL address -> the entry (snapshot)
 *	NAME:{s:SENDER}:seq	node -> the last of its changes counted
 *	NAME:{s:SENDER}:m:T	a minute's counters, NAME:{...}:h:T an hour's:
 *				field COUNTER (all nodes), NODE/COUNTER
 *	NAME:{s:SENDER}:ev:ID	an event counted (its id in hex)
 *	NAME:{b:BUCKET}		a shared token bucket: milli (thousandths of
 *				a token), at (ms of its last refill)
 * A sender's keys share the hash tag {s:SENDER}, so that they could live
 * on one slot of a Redis Cluster.
 *
 * Must not: send anything (redis.c does), or keep a key longer than the
 * command that uses it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "cluster/cluster_int.h"
#include "reputation/sender.h"

static const char *const ccmd_counters[SENDER_COUNTERS] = {
	"messages", "recipients", "hard", "soft", "policy", "policy_major",
	"complaints", "bulk", "blocked"
};

const char *
ccmd_counter_name(int counter)
{
	return counter >= 0 && counter < SENDER_COUNTERS ?
	    ccmd_counters[counter] : "?";
}

void
ccmd_init(CCMD *c)
{
	memset(c, 0, sizeof(*c));
}

void
ccmd_bin(CCMD *c, const void *p, size_t len)
{
	if (c->argc == CCMD_ARGS) {
		c->full = 1;
		return;
	}
	c->argv[c->argc] = p;
	c->len[c->argc++] = len;
}

void
ccmd_str(CCMD *c, const char *s)
{
	ccmd_bin(c, s, strlen(s));
}

void
ccmd_u64(CCMD *c, uint64_t v)
{
	if (c->argc == CCMD_ARGS) {
		c->full = 1;
		return;
	}
	snprintf(c->num[c->argc], sizeof(c->num[0]), "%" PRIu64, v);
	ccmd_str(c, c->num[c->argc]);
}

static void
ccmd_own(CCMD *c, char *s, size_t len)
{
	if (c->argc == CCMD_ARGS) {
		free(s);
		c->full = 1;
		return;
	}
	c->owned[c->argc] = s;
	ccmd_bin(c, s, len);
}

void
ccmd_key(CCMD *c, const CLUSTER *cl, const char *fmt, ...)
{
	char tail[256], *k;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	k = mem_alloc(strlen(cl->o.set.name) + 1 + strlen(tail) + 1);
	n = sprintf(k, "%s:%s", cl->o.set.name, tail);
	ccmd_own(c, k, (size_t)n);
}

/* NAME:{T:ID}:what, or NAME:{T:ID} with what NULL (ID's octets as they
 * are: a sender's key, a bucket's name). */
void
ccmd_tag_key(CCMD *c, const CLUSTER *cl, char tag, const char *id,
    const char *what)
{
	size_t nl = strlen(cl->o.set.name), il = strlen(id),
	    wl = what != NULL ? strlen(what) + 1 : 0;
	char *k = mem_alloc(nl + 4 + il + 1 + wl + 1), *p = k;

	memcpy(p, cl->o.set.name, nl);
	p += nl;
	*p++ = ':';
	*p++ = '{';
	*p++ = tag;
	*p++ = ':';
	memcpy(p, id, il);
	p += il;
	*p++ = '}';
	if (what != NULL) {
		*p++ = ':';
		memcpy(p, what, wl - 1);
		p += wl - 1;
	}
	*p = '\0';
	ccmd_own(c, k, (size_t)(p - k));
}

void
ccmd_sender_key(CCMD *c, const CLUSTER *cl, const char *sender,
    const char *what)
{
	ccmd_tag_key(c, cl, 's', sender, what);
}

int
ccmd_send(CCMD *c, REDIS *r)
{
	int i, full = c->full;

	if (!full)
		redis_append(r, c->argc, c->argv, c->len);
	for (i = 0; i < CCMD_ARGS; i++)
		free(c->owned[i]);
	ccmd_init(c);
	return full ? -1 : 0;
}

/* redis_exchange(), timing the round trip for the status. */
int
cluster_exchange(CLUSTER *cl, REDIS_REPLY ***rep, size_t *n, char *err,
    size_t errlen)
{
	struct timespec a, b;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &a);
	cl->st.roundtrips++;
	rc = redis_exchange(cl->r, rep, n, err, errlen);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (rc == 0)
		cl->st.rtt_us = (int64_t)(b.tv_sec - a.tv_sec) * 1000000 +
		    (b.tv_nsec - a.tv_nsec) / 1000;
	return rc;
}
