/*
 * cluster_lease.c - the shared token buckets' side of the cluster thread:
 * the cluster's buckets in Redis, kept by a Lua script, and this node's
 * leases of them (see policy/shaping/shape_share.c).
 *
 * Owns: cluster_lease(), cluster_bucket_lua[].
 *
 * Each turn asks shape_lease_wants() what to charge, lease and give back,
 * sends one script call per bucket in one round trip, and tells
 * shape_lease_done() each answer (or, the round trip lost, that there
 * was none: what was to be charged is owed again).  The script refills
 * the bucket by its rule with the server's clock (TIME), so nodes whose
 * clocks differ agree; it keeps thousandths of a token and the time of
 * the last refill in a hash NAME:{b:BUCKET}, which expires once idle as
 * long as a bucket stays in the store (BUCKET_IDLE_MS).
 *
 * Must not: be called with the shape's locks held (it takes them).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cluster/cluster_int.h"
#include "common/log.h"
#include "shaping/shape.h"

#define LEASE_BATCH	256	/* buckets asked in one round trip */

/* KEYS[1] the bucket; ARGV: tokens, period_ms, burst, charge, want, give,
 * idle ms.  Returns { granted, ms until a token (-1: a quota, never; 0:
 * one is there), tokens left (below 0: a debt) }. */
const char cluster_bucket_lua[] =
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local tokens, period, burst = tonumber(ARGV[1]), tonumber(ARGV[2]),"
	" tonumber(ARGV[3])\n"
	"local charge, want, give = tonumber(ARGV[4]), tonumber(ARGV[5]),"
	" tonumber(ARGV[6])\n"
	"local v = redis.call('HMGET', KEYS[1], 'milli', 'at')\n"
	"local milli, at = tonumber(v[1]), tonumber(v[2])\n"
	"if milli == nil or at == nil then milli = burst * 1000; at = now end\n"
	"if period > 0 and now > at then\n"
	"  milli = milli + (now - at) * tokens * 1000 / period\n"
	"end\n"
	"if milli > burst * 1000 then milli = burst * 1000 end\n"
	"if now > at then at = now end\n"
	"milli = milli - charge * 1000 + give * 1000\n"
	"if milli > burst * 1000 then milli = burst * 1000 end\n"
	"local grant = 0\n"
	"if want > 0 and milli >= 1000 then\n"
	"  grant = math.min(want, math.floor(milli / 1000))\n"
	"  milli = milli - grant * 1000\n"
	"end\n"
	"local wait = 0\n"
	"if milli < 1000 then\n"
	"  if period > 0 and tokens > 0 then\n"
	"    wait = math.ceil((1000 - milli) * period / (tokens * 1000))\n"
	"  else wait = -1 end\n"
	"end\n"
	"redis.call('HSET', KEYS[1], 'milli', string.format('%.0f', milli),"
	" 'at', string.format('%.0f', at))\n"
	"redis.call('PEXPIRE', KEYS[1], ARGV[7])\n"
	"return { grant, wait, math.floor(milli / 1000) }\n";

static void
lease_failed(SHAPE *sh, const SHAPE_LEASE *q, size_t n, int64_t now)
{
	SHAPE_LEASE_REPLY r;
	size_t i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < n; i++)
		shape_lease_done(sh, &q[i], &r, now);
}

/* 1 asked, 0 nothing to ask, -1 lost. */
int
cluster_lease(CLUSTER *cl, SHAPE *sh)
{
	SHAPE_LEASE *q;
	SHAPE_LEASE_REPLY r;
	REDIS_REPLY **rep;
	char err[512];
	int64_t now = cluster_now_ms(), wait;
	size_t n, nrep, i;
	CCMD c;

	q = mem_calloc(LEASE_BATCH, sizeof(*q));
	if ((n = shape_lease_wants(sh, now, q, LEASE_BATCH)) == 0) {
		free(q);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (q[i].charge < 0 || q[i].want < 0 || q[i].give < 0)
			q[i].charge = q[i].want = q[i].give = 0;	/* never */
		ccmd_init(&c);
		ccmd_str(&c, "EVALSHA");
		ccmd_str(&c, cl->bucket_sha);
		ccmd_str(&c, "1");
		ccmd_token_bucket_key(&c, cl, q[i].name);
		ccmd_u64(&c, (uint64_t)q[i].rule.tokens);
		ccmd_u64(&c, (uint64_t)q[i].rule.period_ms);
		ccmd_u64(&c, (uint64_t)q[i].rule.burst);
		ccmd_u64(&c, (uint64_t)q[i].charge);
		ccmd_u64(&c, (uint64_t)q[i].want);
		ccmd_u64(&c, (uint64_t)q[i].give);
		ccmd_u64(&c, (uint64_t)BUCKET_IDLE_MS);
		ccmd_send(&c, cl->r);
	}
	if (cluster_exchange(cl, &rep, &nrep, err, sizeof(err)) != 0) {
		lease_failed(sh, q, n, now);
		free(q);
		cluster_lost(cl, err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		if (i < nrep && redis_reply_type(rep[i]) == REDIS_R_ARRAY &&
		    redis_reply_count(rep[i]) == 3) {
			r.ok = 1;
			r.granted = redis_reply_int(redis_reply_elem(rep[i], 0));
			wait = redis_reply_int(redis_reply_elem(rep[i], 1));
			r.wait_ms = wait < 0 ? 60000 : wait;
			r.level = redis_reply_int(redis_reply_elem(rep[i], 2));
			if (r.granted < 0 || r.granted > q[i].want)
				r.granted = 0;
		} else if (i < nrep && redis_reply_is_error(rep[i],
		    "NOSCRIPT"))
			cl->bucket_sha[0] = '\0';
		shape_lease_done(sh, &q[i], &r, now);
	}
	redis_replies_free(rep, nrep);
	free(q);
	if (cl->bucket_sha[0] == '\0') {
		cluster_lost(cl, "the bucket script is gone (server "
		    "restarted?)");
		return -1;
	}
	return 1;
}
