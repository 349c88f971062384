/*
 * ctl_cluster.c - repguardctl cluster status (see ctl_cluster.h).
 *
 * Owns: ctl_cluster_cmd().
 *
 *	repguardctl cluster status [--json]
 *
 * Two parts.  This node's, from its store: the status record the
 * daemon's cluster thread writes once a second (policy/cluster/cstatus.h)
 * and the outbox as it stands (store_journal_stat()).  The cluster's,
 * asked of Redis directly in one round trip with ClusterTimeout: the
 * server's role, the stream's length, the epoch and every node's
 * heartbeat (NAME:nodes, read by filter/cluster/ckey.c).
 *
 * Decisions: the local part is printed whatever Redis does, so that an
 * operator sees the outbox grow while Redis is away; Redis that cannot be
 * asked is reported and makes the exit status 2.  A status record older
 * than CTL_CLUSTER_LOCAL_STALE seconds means no cluster thread writes it:
 * the daemon is stopped or stuck.  A node whose heartbeat is older than
 * CTL_CLUSTER_NODE_STALE seconds is "stale" (ages are read against this
 * machine's clock: nodes' clocks should agree within a second or two).
 * Text that comes from Redis (node names, the role, the epoch, an error
 * that quotes the server) is masked of control octets where it is shown
 * to people; JSON escapes it.
 *
 * Must not: write to the store or to Redis.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/mem.h"
#include "cluster/ckey.h"
#include "cluster/cstatus.h"
#include "cluster/redis.h"
#include "ctl/ctl_cluster.h"
#include "ctl/ctl_util.h"
#include "store/store.h"

#define CTL_CLUSTER_LOCAL_STALE	5	/* s: the record is written each s */
#define CTL_CLUSTER_NODE_STALE	10	/* s: a heartbeat is sent each s */
#define CTL_CLUSTER_TEXT	256	/* a text from Redis, shown */

static const char ctl_cluster_usage[] =
    "usage: repguardctl cluster status [--json]\n";

struct ctl_cnode {
	char		 name[CTL_CLUSTER_TEXT];
	CKEY_BEAT	 beat;
	const char	*bad;		/* the heartbeat's error, or NULL */
};

struct ctl_cstat {
	const CLUSTER_SETTINGS *cs;
	int64_t		 now;
	/* this node */
	int		 have_status;	/* 0: the record was never written */
	CSTATUS		 st;
	STORE_JOURNAL_STAT js;
	/* Redis */
	char		 rerr[512];	/* "": it answered */
	char		 address[CTL_CLUSTER_TEXT];
	char		 role[CTL_CLUSTER_TEXT];
	long long	 replicas;	/* a master's; -1: not one */
	long long	 xlen;		/* -1: no answer */
	char		 epoch[CTL_CLUSTER_TEXT];	/* "": none */
	struct ctl_cnode *nodes;
	size_t		 nnodes;
};

/* A text from Redis, NUL-terminated and capped (a NUL in it masked). */
static void
ctl_cluster_text(const char *s, size_t len, char *out, size_t size)
{
	size_t i;

	if (s == NULL)
		len = 0;
	if (len >= size)
		len = size - 1;
	for (i = 0; i < len; i++)
		out[i] = s[i] != '\0' ? s[i] : '?';
	out[len] = '\0';
}

/* A text from Redis shown to people: control octets masked. */
static const char *
ctl_cluster_shown(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
	return out;
}

static int
ctl_cluster_local_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_cstat *c = ctx;
	int rc = cstatus_get(t, &c->st);

	if (rc == STORE_ERROR)
		return rc;
	c->have_status = rc == 0;
	return store_journal_stat(t, &c->js);
}

static int
ctl_cluster_node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctl_cnode *)a)->name,
	    ((const struct ctl_cnode *)b)->name);
}

/* NAME:nodes, field node, value its heartbeat. */
static void
ctl_cluster_nodes(struct ctl_cstat *c, const REDIS_REPLY *h)
{
	size_t i, n = redis_reply_count(h), fl, vl;
	struct ctl_cnode *nd;
	const char *f, *v;

	if (redis_reply_type(h) != REDIS_R_ARRAY)
		return;
	c->nodes = mem_calloc(n / 2 + 1, sizeof(*c->nodes));
	for (i = 0; i + 1 < n; i += 2) {
		f = redis_reply_str(redis_reply_elem(h, i), &fl);
		v = redis_reply_str(redis_reply_elem(h, i + 1), &vl);
		if (f == NULL)
			continue;
		nd = &c->nodes[c->nnodes++];
		ctl_cluster_text(f, fl, nd->name, sizeof(nd->name));
		nd->bad = v == NULL ? "not a string" :
		    ckey_beat_parse(v, vl, &nd->beat);
	}
	qsort(c->nodes, c->nnodes, sizeof(*c->nodes), ctl_cluster_node_cmp);
}

static void
ctl_cluster_role(struct ctl_cstat *c, const REDIS_REPLY *r)
{
	const char *s;
	size_t len;

	c->replicas = -1;
	if (redis_reply_type(r) == REDIS_R_ERROR) {
		s = redis_reply_str(r, &len);
		snprintf(c->role, sizeof(c->role), "unknown (ROLE: ");
		ctl_cluster_text(s, len, c->role + strlen(c->role),
		    sizeof(c->role) - strlen(c->role) - 1);
		strcat(c->role, ")");
		return;
	}
	s = redis_reply_str(redis_reply_elem(r, 0), &len);
	if (s != NULL && len == 5 && memcmp(s, "slave", 5) == 0)
		snprintf(c->role, sizeof(c->role), "replica");
	else
		ctl_cluster_text(s ? s : "unknown", s ? len : 7, c->role,
		    sizeof(c->role));
	if (strcmp(c->role, "master") == 0)
		c->replicas = (long long)redis_reply_count(
		    redis_reply_elem(r, 2));
}

/* ROLE, XLEN NAME:stream, HGETALL NAME:nodes, GET NAME:epoch: one trip. */
static int
ctl_cluster_ask(const CONF *conf, const char *why, struct ctl_cstat *c)
{
	static const char *const what[] = { "stream", "nodes", "epoch" };
	static const char *const verb[] = { "XLEN", "HGETALL", "GET" };
	const char *argv[2];
	size_t argl[2], n, i, len;
	REDIS_REPLY **rep;
	char *key;
	const char *s;
	REDIS *r;

	c->xlen = -1;
	c->replicas = -1;
	if ((r = ctl_redis(conf, why, c->rerr, sizeof(c->rerr))) == NULL)
		return -1;
	ctl_cluster_text(redis_address(r), strlen(redis_address(r)),
	    c->address, sizeof(c->address));
	argv[0] = "ROLE";
	argl[0] = 4;
	redis_append(r, 1, argv, argl);
	for (i = 0; i < 3; i++) {
		key = ckey_make(c->cs->name, what[i], &argl[1]);
		argv[0] = verb[i];
		argl[0] = strlen(verb[i]);
		argv[1] = key;
		redis_append(r, 2, argv, argl);
		free(key);
	}
	if (redis_exchange(r, &rep, &n, c->rerr, sizeof(c->rerr)) != 0) {
		redis_close(r);
		return -1;
	}
	if (n != 4) {		/* one reply a command: never */
		snprintf(c->rerr, sizeof(c->rerr), "%s: %zu answers to 4 "
		    "commands", c->address, n);
		redis_replies_free(rep, n);
		redis_close(r);
		return -1;
	}
	ctl_cluster_role(c, rep[0]);
	if (redis_reply_type(rep[1]) == REDIS_R_INTEGER)
		c->xlen = redis_reply_int(rep[1]);
	ctl_cluster_nodes(c, rep[2]);
	if (redis_reply_type(rep[3]) == REDIS_R_STRING &&
	    (s = redis_reply_str(rep[3], &len)) != NULL)
		ctl_cluster_text(s, len, c->epoch, sizeof(c->epoch));
	redis_replies_free(rep, n);
	redis_close(r);
	return 0;
}

static int
ctl_cluster_node_stale(const struct ctl_cstat *c, const struct ctl_cnode *nd)
{
	return nd->bad != NULL || c->now - nd->beat.time >
	    CTL_CLUSTER_NODE_STALE;
}

static void
ctl_cluster_text_local(const struct ctl_cstat *c)
{
	const CSTATUS *s = &c->st;
	int64_t age = c->now - s->updated;
	char t[64];

	if (!c->have_status) {
		printf("this node: no cluster status in the store: has the "
		    "daemon run with Cluster?\n");
	} else {
		ctl_time(s->since, t, sizeof(t));
		printf("this node: %s since %s%s%s\n", s->up ? "up" : "down",
		    t, s->up ? ", at " : "", s->up ? s->address : "");
		if (age > CTL_CLUSTER_LOCAL_STALE)
			printf("  status: not written for %lld s: is the "
			    "daemon running?\n", (long long)age);
		else
			printf("  status: written %lld s ago\n",
			    (long long)age);
		printf("  round trip %lld us, behind the stream %lld ms\n",
		    (long long)s->rtt_us, (long long)s->lag_ms);
		printf("  sent since the start: %llu changes in %llu frames; "
		    "applied: %llu\n  reconnects: %llu, resyncs: %llu\n",
		    (unsigned long long)s->pushed,
		    (unsigned long long)s->frames,
		    (unsigned long long)s->applied,
		    (unsigned long long)s->reconnects,
		    (unsigned long long)s->resyncs);
		printf("  epoch: %s\n", s->epoch[0] ? s->epoch : "none yet");
		printf("  last error: %s\n", s->error[0] ? s->error : "none");
	}
	printf("outbox: %llu entries, %llu bytes, %llu dropped%s\n",
	    (unsigned long long)c->js.depth, (unsigned long long)c->js.bytes,
	    (unsigned long long)c->js.dropped, c->js.resync ?
	    " (a resync is owed)" : "");
}

static void
ctl_cluster_text_redis(const struct ctl_cstat *c)
{
	const struct ctl_cnode *nd;
	size_t i;

	char t[3][CTL_CLUSTER_TEXT];

	if (c->rerr[0] != '\0') {
		printf("redis: unavailable: %s\n", ctl_cluster_shown(c->rerr,
		    t[0], sizeof(t[0])));
		return;
	}
	printf("redis: %s, %s", ctl_cluster_shown(c->address, t[0],
	    sizeof(t[0])), ctl_cluster_shown(c->role, t[1], sizeof(t[1])));
	if (c->replicas >= 0)
		printf(" with %lld replicas", c->replicas);
	if (c->xlen >= 0)
		printf(", stream %lld entries", c->xlen);
	printf("\n  epoch: %s\n", c->epoch[0] ? ctl_cluster_shown(c->epoch,
	    t[2], sizeof(t[2])) : "none");
	printf("nodes:%s\n", c->nnodes ? "" : " none");
	if (c->nnodes > 0)
		printf("  %-20s %12s %8s %8s %8s\n", "NODE", "HEARTBEAT",
		    "OUTBOX", "LAG_MS", "RTT_US");
	for (i = 0; i < c->nnodes; i++) {
		nd = &c->nodes[i];
		ctl_cluster_shown(nd->name, t[0], sizeof(t[0]));
		if (nd->bad != NULL) {
			printf("  %-20s unreadable heartbeat (%s)  stale\n",
			    t[0], nd->bad);
			continue;
		}
		printf("  %-20s %8lld s ago %8llu %8lld %8lld%s\n", t[0],
		    (long long)(c->now - nd->beat.time),
		    (unsigned long long)nd->beat.depth,
		    (long long)nd->beat.lag_ms, (long long)nd->beat.rtt_us,
		    ctl_cluster_node_stale(c, nd) ? "  stale" : "");
	}
}

static void
ctl_cluster_json_local(const struct ctl_cstat *c)
{
	const CSTATUS *s = &c->st;
	int64_t age = c->now - s->updated;

	printf(", \"local\": ");
	if (!c->have_status) {
		printf("null");
	} else {
		printf("{\"up\": %s, \"since\": %lld, \"updated\": %lld, "
		    "\"age\": %lld, \"stale\": %s, \"address\": ",
		    s->up ? "true" : "false", (long long)s->since,
		    (long long)s->updated, (long long)age,
		    age > CTL_CLUSTER_LOCAL_STALE ? "true" : "false");
		ctl_json_str(s->address);
		printf(", \"error\": ");
		if (s->error[0] != '\0')
			ctl_json_str(s->error);
		else
			printf("null");
		printf(", \"epoch\": ");
		ctl_json_str(s->epoch);
		printf(", \"rtt_us\": %lld, \"lag_ms\": %lld, \"pushed\": "
		    "%llu, \"applied\": %llu, \"frames\": %llu, "
		    "\"reconnects\": %llu, \"resyncs\": %llu}",
		    (long long)s->rtt_us, (long long)s->lag_ms,
		    (unsigned long long)s->pushed,
		    (unsigned long long)s->applied,
		    (unsigned long long)s->frames,
		    (unsigned long long)s->reconnects,
		    (unsigned long long)s->resyncs);
	}
	printf(", \"outbox\": {\"depth\": %llu, \"bytes\": %llu, "
	    "\"dropped\": %llu, \"resync\": %s}",
	    (unsigned long long)c->js.depth, (unsigned long long)c->js.bytes,
	    (unsigned long long)c->js.dropped, c->js.resync ? "true" : "false");
}

static void
ctl_cluster_json_redis(const struct ctl_cstat *c)
{
	const struct ctl_cnode *nd;
	size_t i;

	printf(", \"redis\": {");
	if (c->rerr[0] != '\0') {
		printf("\"error\": ");
		ctl_json_str(c->rerr);
		printf("}");
		return;
	}
	printf("\"address\": ");
	ctl_json_str(c->address);
	printf(", \"role\": ");
	ctl_json_str(c->role);
	if (c->replicas >= 0)
		printf(", \"replicas\": %lld", c->replicas);
	printf(", \"stream_length\": ");
	if (c->xlen >= 0)
		printf("%lld", c->xlen);
	else
		printf("null");
	printf(", \"epoch\": ");
	if (c->epoch[0] != '\0')
		ctl_json_str(c->epoch);
	else
		printf("null");
	printf(", \"nodes\": {");
	for (i = 0; i < c->nnodes; i++) {
		nd = &c->nodes[i];
		printf("%s", i ? ", " : "");
		ctl_json_str(nd->name);
		if (nd->bad != NULL) {
			printf(": {\"error\": ");
			ctl_json_str(nd->bad);
			printf(", \"stale\": true}");
			continue;
		}
		printf(": {\"heartbeat\": %lld, \"age\": %lld, \"outbox\": "
		    "%llu, \"lag_ms\": %lld, \"rtt_us\": %lld, \"stale\": %s}",
		    (long long)nd->beat.time,
		    (long long)(c->now - nd->beat.time),
		    (unsigned long long)nd->beat.depth,
		    (long long)nd->beat.lag_ms, (long long)nd->beat.rtt_us,
		    ctl_cluster_node_stale(c, nd) ? "true" : "false");
	}
	printf("}}");
}

static void
ctl_cluster_print(const struct ctl_cstat *c, int json)
{
	char target[REDIS_TARGET_TEXT_MAX];

	redis_target_text(&c->cs->target, target, sizeof(target));
	if (json) {
		printf("{\"cluster\": ");
		ctl_json_str(c->cs->name);
		printf(", \"node\": ");
		ctl_json_str(c->cs->node);
		printf(", \"target\": ");
		ctl_json_str(target);
		ctl_cluster_json_local(c);
		ctl_cluster_json_redis(c);
		printf("}\n");
		return;
	}
	printf("cluster %s, node %s, target %s\n", c->cs->name, c->cs->node,
	    target);
	ctl_cluster_text_local(c);
	ctl_cluster_text_redis(c);
}

int
ctl_cluster_cmd(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char why[512], err[512] = "";
	struct ctl_cstat c;
	CONF *conf;
	STORE *st;
	int ch, json = 0, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch == 'j')
			json = 1;
		else
			ctl_usage_exit(ctl_cluster_usage,
			    "unknown option \"%s\"", argv[optind - 1]);
	}
	if (argc - optind == 0)
		ctl_usage_exit(ctl_cluster_usage, "cluster: missing status");
	if (strcmp(argv[optind], "status") != 0)
		ctl_usage_exit(ctl_cluster_usage, "cluster: unknown "
		    "subcommand \"%s\"", argv[optind]);
	if (argc - optind > 1)
		ctl_usage_exit(ctl_cluster_usage, "cluster status: too many "
		    "arguments");
	conf = ctl_conf_cluster(confpath, why, sizeof(why));
	memset(&c, 0, sizeof(c));
	if ((c.cs = conf_cluster(conf)) == NULL) {
		conf_unref(conf);
		return ctl_error("no Cluster in %s: this relay runs alone",
		    confpath);
	}
	st = ctl_store(conf);
	if (store_read(st, ctl_cluster_local_fn, &c, err, sizeof(err)) != 0) {
		store_close(st);
		conf_unref(conf);
		return ctl_error("database: %s", err);
	}
	rc = ctl_cluster_ask(conf, why, &c) == 0 ? 0 : 2;
	c.now = clock_now();
	ctl_cluster_print(&c, json);
	free(c.nodes);
	store_close(st);
	conf_unref(conf);
	return rc;
}
