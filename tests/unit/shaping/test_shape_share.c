/*
 * test_shape_share.c - unit tests for policy/shaping/shape_share.c: the
 * buckets of a cluster's nodes, shared by leases.
 *
 * Three SHAPE tables stand for three nodes; the cluster's bucket is a
 * BUCKET refilled by the same rule (what the server's script does), and
 * each node's "thread" exchanges with it every 50 ms of a simulated
 * clock: charge the debt, give back idle leases, grant what the bucket
 * has.  Covers: a node takes on its lease without asking; the first
 * message of a new bucket goes on credit; three nodes under full demand
 * for five minutes let through at most what the rule allows the cluster
 * plus the stated bound (3 x the lease size) in every minute, and at
 * least the rule less that bound (no starvation); a node alone gets the
 * whole rate; an idle node's lease goes back; the cluster away: each node
 * its share, all three together at most the rule; a failed exchange owes
 * its charge again; a refusal says how long to wait.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shaping/bucket.h"
#include "shaping/shape.h"
#include "tap.h"

#define NODES	3
#define STEP_MS	10

static BUCKET_RULE rule;		/* 600/1m, burst 600 */
static BUCKET cluster;			/* the server's bucket */

/* What the server's script does with one request. */
static void
serve(SHAPE *sh, int64_t now, int fail)
{
	SHAPE_LEASE q[64];
	SHAPE_LEASE_REPLY r;
	size_t n, i;
	int64_t level;

	n = shape_lease_wants(sh, now, q, 64);
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		if (!fail) {
			r.ok = 1;
			if (q[i].charge > 0)
				bucket_charge(&cluster, &q[i].rule, now,
				    q[i].charge);
			if (q[i].give > 0)
				bucket_give(&cluster, &q[i].rule, now,
				    q[i].give);
			level = bucket_level(&cluster, &q[i].rule, now);
			r.granted = q[i].want < level ? q[i].want :
			    level > 0 ? level : 0;
			if (r.granted > 0)
				bucket_charge(&cluster, &q[i].rule, now,
				    r.granted);
			r.level = bucket_level(&cluster, &q[i].rule, now);
			if (r.level < 1)
				r.wait_ms = 100;
		}
		shape_lease_done(sh, &q[i], &r, now);
	}
}

static int
take(SHAPE *sh, int64_t now, SHAPE_RESULT *res)
{
	SHAPE_ITEM it = { "sender:s:bulk", &rule, 0 };

	return shape_take(sh, &it, 1, 1, now, res);
}

int
main(void)
{
	SHAPE *node[NODES];
	SHAPE_RESULT res;
	int64_t now, minute[6] = { 0 }, lone = 0, w, share_total, got;
	int i, k, max_over = 0, min_under = 1 << 30, rc;

	memset(&rule, 0, sizeof(rule));
	tap_ok(bucket_rule_parse("600/1m", 6, &rule) == NULL, "rule 600/1m");
	w = shape_lease_size(&rule, NODES);
	tap_int((int)w, 50, "lease size: a quarter of the burst over 3 nodes");
	for (i = 0; i < NODES; i++) {
		node[i] = shape_new(NULL);
		shape_share_set(node[i], SHAPE_SHARED_UP, NODES);
	}
	memset(&cluster, 0, sizeof(cluster));

	/* a new bucket: the first message goes on credit, before any lease */
	tap_int(take(node[0], 1000, &res), 0, "the first message of a new "
	    "bucket goes at once (credit), no waiting for the cluster");

	/* five minutes of full demand on all three nodes */
	for (now = 1000; now < 1000 + 5 * 60000; now += STEP_MS) {
		for (i = 0; i < NODES; i++)
			for (k = 0; k < 3; k++)		/* 900/s asked */
				if (take(node[i], now, &res) == 0)
					minute[(now - 1000) / 60000]++;
		if (now % 50 == 0)
			for (i = 0; i < NODES; i++)
				serve(node[i], now, 0);
	}
	for (k = 1; k < 5; k++) {		/* after the first burst */
		if (minute[k] - 600 > max_over)
			max_over = (int)(minute[k] - 600);
		if (minute[k] < min_under)
			min_under = (int)minute[k];
	}
	tap_ok(minute[0] <= 600 + 600 + NODES * w, "first minute: at most "
	    "the rate, the burst and the bound (%lld <= %lld)",
	    (long long)minute[0], (long long)(1200 + NODES * w));
	tap_ok(max_over <= NODES * w, "each later minute: at most 600 + %lld "
	    "(3 nodes x lease %lld), not 1800 (worst %d over)",
	    (long long)(NODES * w), (long long)w, max_over);
	tap_ok(min_under >= 600 - NODES * w, "... and at least 600 - %lld: "
	    "leases do not starve the cluster (least %d)",
	    (long long)(NODES * w), min_under);
	rc = take(node[2], now, &res);
	tap_ok(rc == SHAPE_LIMITED && res.wait_ms > 0 && res.wait_ms <= 1000,
	    "a refusal says how long to wait (%lld ms)",
	    (long long)res.wait_ms);

	/* one node alone gets the whole rate; the idle ones give back */
	for (got = 0; now < 1000 + 7 * 60000; now += STEP_MS) {
		if (take(node[0], now, &res) == 0 && now >= 1000 + 6 * 60000)
			got++;
		if (take(node[0], now, &res) == 0 && now >= 1000 + 6 * 60000)
			got++;
		if (now % 50 == 0)
			for (i = 0; i < NODES; i++)
				serve(node[i], now, 0);
	}
	lone = got;
	tap_ok(lone >= 600 - NODES * w && lone <= 600 + NODES * w,
	    "a node alone gets the cluster's whole rate (%lld a minute)",
	    (long long)lone);

	/* a failed exchange owes its charge again: nothing is lost */
	shape_free(node[1]);
	node[1] = shape_new(NULL);
	shape_share_set(node[1], SHAPE_SHARED_UP, NODES);
	for (k = 0; k < 5; k++)		/* on credit: no lease yet */
		(void)take(node[1], now, &res);
	serve(node[1], now, 1);		/* the server did not answer */
	{
		SHAPE_LEASE q[4];
		size_t n = shape_lease_wants(node[1], now + 50, q, 4);

		tap_ok(n == 1 && q[0].charge == 5, "after a failed exchange "
		    "the debt is asked for again (charge %lld of 5)",
		    n ? (long long)q[0].charge : -1LL);
		for (size_t j = 0; j < n; j++) {
			SHAPE_LEASE_REPLY r = { 0, 0, 0, 0 };

			shape_lease_done(node[1], &q[j], &r, now + 50);
		}
	}

	/* the cluster lost its buckets: each node owes what it took lately */
	{
		SHAPE *rs = shape_new(NULL);
		SHAPE_LEASE q[4];
		SHAPE_LEASE_REPLY r = { 1, 0, 0, 5 };
		size_t n, j;

		shape_share_set(rs, SHAPE_SHARED_UP, NODES);
		for (k = 0; k < 4; k++)		/* 4 on credit */
			(void)take(rs, now, &res);
		n = shape_lease_wants(rs, now, q, 4);
		for (j = 0; j < n; j++)		/* charged and forgotten */
			shape_lease_done(rs, &q[j], &r, now);
		tap_int((int)shape_share_reseed(rs, now + 10), 1, "a server "
		    "that lost its buckets: the bucket this node took from "
		    "owes again");
		n = shape_lease_wants(rs, now + 20, q, 4);
		tap_ok(n == 1 && q[0].charge == 4, "... what it took of it "
		    "lately (charge %lld of 4)", n ? (long long)q[0].charge :
		    -1LL);
		for (j = 0; j < n; j++)
			shape_lease_done(rs, &q[j], &r, now + 20);
		shape_free(rs);
	}

	/* the cluster away: each node its share, together at most the rule */
	for (i = 0; i < NODES; i++) {
		shape_free(node[i]);
		node[i] = shape_new(NULL);
		shape_share_set(node[i], SHAPE_SHARED_DOWN, NODES);
	}
	share_total = 0;
	for (now = 10000000; now < 10000000 + 60000; now += STEP_MS)
		for (i = 0; i < NODES; i++)
			for (k = 0; k < 3; k++)
				share_total += take(node[i], now, &res) == 0;
	tap_ok(share_total <= 600 + 600 + NODES, "Redis away: three nodes "
	    "on their shares let through %lld in a minute: at most the rate "
	    "and the burst (1200), not 3 x that", (long long)share_total);
	tap_ok(share_total >= 1000, "... and about all of it (%lld)",
	    (long long)share_total);
	for (i = 0; i < NODES; i++)
		shape_free(node[i]);
	return tap_done();
}
