/*
 * ccmd.c - commands for the cluster's server, built as argument vectors
 * (see cluster_int.h).
 *
 * Owns: ccmd_init(), ccmd_str(), ccmd_bin(), ccmd_u64(), ccmd_key(),
 * ccmd_token_bucket_key(), ccmd_sender_key(), ccmd_send(),
 * cluster_exchange().
 *
 * The keys are named in ckey.c (ckey.h lists them); the commands here
 * build them with the cluster's name.
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

#include "cluster/ckey.h"
#include "cluster/cluster_int.h"

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
	size_t n;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);
	k = ckey_make(cl->o.set.name, tail, &n);
	ccmd_own(c, k, n);
}

void
ccmd_token_bucket_key(CCMD *c, const CLUSTER *cl, const char *bucket)
{
	size_t n;
	char *k = ckey_token_bucket(cl->o.set.name, bucket, &n);

	ccmd_own(c, k, n);
}

void
ccmd_sender_key(CCMD *c, const CLUSTER *cl, const char *sender,
    const char *what)
{
	size_t n;
	char *k = ckey_sender(cl->o.set.name, sender, what, &n);

	ccmd_own(c, k, n);
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
