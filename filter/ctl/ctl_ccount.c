/*
 * ctl_ccount.c - senders' cluster-wide counts from Redis, for show and
 * senders (see ctl_ccount.h).
 *
 * Owns: ctl_ccount_get(), ctl_ccount_text(), ctl_ccount_json(),
 * ctl_ccount_free(), ctl_ccount_days(), ctl_ccount_json_day().
 *
 * The windows are the local ones: sender_window_start() gives each its
 * first bucket and unit, so the last hour is the 60 minute hashes
 * NAME:{s:SENDER}:m:T up to now and the last 24 hours the 24 hour hashes
 * NAME:{s:SENDER}:h:T, exactly the buckets show sums from the store.  A
 * hash holds field COUNTER for every node and NODE/COUNTER for each
 * (filter/cluster/ckey.h).  show reads the 84 hashes whole (HGETALL) in
 * one pipelined exchange; senders asks three fields of the 24 hour hashes
 * of every sender (HMGET), all in one exchange too, so the listing costs
 * one round trip however many senders there are (24 commands each).
 *
 * Decisions: a field this version does not know, or a value that is not
 * a count, is passed over (a newer node may count more); an error reply
 * (a key of another type) makes the figures unavailable rather than
 * wrong.  Redis that cannot be asked is not an error of the command: the
 * caller prints the local figures and says why these are missing.
 *
 * Must not: write to Redis; read the store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cluster/ckey.h"
#include "cluster/redis.h"
#include "ctl/ctl_ccount.h"
#include "ctl/ctl_util.h"

#define CTL_CC_HOUR	3600
#define CTL_CC_DAY	86400

struct ctl_cc_node {
	char		 name[CLUSTER_NAME_MAX + 1];
	SENDER_COUNTS	 w[2];		/* the last hour, the last 24 hours */
};

struct CTL_CCOUNT {
	char		 err[512];	/* "": the counts below */
	SENDER_COUNTS	 w[2];		/* every node's */
	struct ctl_cc_node *nodes;
	size_t		 nnodes;
};

/* The day's fields that senders --json shows. */
static const int ctl_cc_day_fields[] = {
	SENDER_MESSAGES, SENDER_HARD, SENDER_COMPLAINTS
};
#define CTL_CC_DAY_FIELDS \
	(sizeof(ctl_cc_day_fields) / sizeof(ctl_cc_day_fields[0]))

/*
 * Append one command for each bucket of the window of span seconds to
 * now: HGETALL KEY, or (day_fields) HMGET KEY and the day's fields.
 */
static size_t
ctl_cc_append(REDIS *r, const char *name, const char *sender, int64_t span,
    int64_t now, int day_fields)
{
	const char *argv[2 + CTL_CC_DAY_FIELDS];
	size_t argl[2 + CTL_CC_DAY_FIELDS], n = 0, i;
	char what[CKEY_BUCKET_MAX], *key;
	int64_t unit, t = sender_window_start(span, now, &unit);
	int argc = 2;

	argv[0] = day_fields ? "HMGET" : "HGETALL";
	argl[0] = strlen(argv[0]);
	if (day_fields)
		for (i = 0; i < CTL_CC_DAY_FIELDS; i++) {
			argv[argc] = ckey_counter_name(ctl_cc_day_fields[i]);
			argl[argc] = strlen(argv[argc]);
			argc++;
		}
	for (; t <= now; t += unit, n++) {
		ckey_bucket(unit, t, what, sizeof(what));
		key = ckey_sender(name, sender, what, &argl[1]);
		argv[1] = key;
		redis_append(r, argc, argv, argl);
		free(key);
	}
	return n;
}

static struct ctl_cc_node *
ctl_cc_node(CTL_CCOUNT *cc, const char *name, size_t len)
{
	struct ctl_cc_node *nd;
	size_t i;

	for (i = 0; i < cc->nnodes; i++)
		if (strlen(cc->nodes[i].name) == len &&
		    memcmp(cc->nodes[i].name, name, len) == 0)
			return &cc->nodes[i];
	cc->nodes = mem_realloc(cc->nodes, (cc->nnodes + 1) *
	    sizeof(*cc->nodes));
	nd = &cc->nodes[cc->nnodes++];
	memset(nd, 0, sizeof(*nd));
	memcpy(nd->name, name, len);	/* ckey_field(): <= CLUSTER_NAME_MAX */
	return nd;
}

/* One bucket's hash, HGETALL's answer, into window w. */
static void
ctl_cc_add(CTL_CCOUNT *cc, int w, const REDIS_REPLY *h)
{
	size_t i, n = redis_reply_count(h), fl, vl, nl;
	const char *f, *v, *node;
	uint64_t val;
	int counter;

	for (i = 0; i + 1 < n; i += 2) {
		f = redis_reply_str(redis_reply_elem(h, i), &fl);
		v = redis_reply_str(redis_reply_elem(h, i + 1), &vl);
		if (f == NULL || v == NULL || ckey_field(f, fl, &node, &nl,
		    &counter) != 0 || ckey_count_parse(v, vl, &val) != NULL)
			continue;
		if (nl == 0)
			cc->w[w].n[counter] += val;
		else
			ctl_cc_node(cc, node, nl)->w[w].n[counter] += val;
	}
}

/* The first error reply among n, into err: 1; else 0. */
static int
ctl_cc_error(REDIS_REPLY **rep, size_t n, const char *addr, char *err,
    size_t errlen)
{
	const char *s;
	size_t i, len;

	for (i = 0; i < n; i++)
		if (redis_reply_type(rep[i]) == REDIS_R_ERROR) {
			s = redis_reply_str(rep[i], &len);
			snprintf(err, errlen, "%s: %.*s", addr,
			    (int)(len > 200 ? 200 : len), s ? s : "error");
			return 1;
		}
	return 0;
}

static int
ctl_cc_node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ctl_cc_node *)a)->name,
	    ((const struct ctl_cc_node *)b)->name);
}

CTL_CCOUNT *
ctl_ccount_get(const CONF *conf, const char *why, const char *sender,
    int64_t now)
{
	const CLUSTER_SETTINGS *cs = conf_cluster(conf);
	REDIS_REPLY **rep;
	CTL_CCOUNT *cc;
	size_t nhour, n, i;
	REDIS *r;

	if (cs == NULL)
		return NULL;
	cc = mem_calloc(1, sizeof(*cc));
	if ((r = ctl_redis(conf, why, cc->err, sizeof(cc->err))) == NULL)
		return cc;
	nhour = ctl_cc_append(r, cs->name, sender, CTL_CC_HOUR, now, 0);
	ctl_cc_append(r, cs->name, sender, CTL_CC_DAY, now, 0);
	if (redis_exchange(r, &rep, &n, cc->err, sizeof(cc->err)) != 0) {
		redis_close(r);
		return cc;
	}
	if (!ctl_cc_error(rep, n, redis_address(r), cc->err,
	    sizeof(cc->err)))
		for (i = 0; i < n; i++)
			ctl_cc_add(cc, i < nhour ? 0 : 1, rep[i]);
	redis_replies_free(rep, n);
	redis_close(r);
	if (cc->nnodes > 1)
		qsort(cc->nodes, cc->nnodes, sizeof(*cc->nodes),
		    ctl_cc_node_cmp);
	return cc;
}

void
ctl_ccount_free(CTL_CCOUNT *cc)
{
	if (cc == NULL)
		return;
	free(cc->nodes);
	free(cc);
}

static void
ctl_cc_row(const char *label, const SENDER_COUNTS w[2])
{
	printf("  %-20s %8llu %8llu %8llu %8llu %9llu %9llu %9llu %9llu\n",
	    label, (unsigned long long)w[0].n[SENDER_MESSAGES],
	    (unsigned long long)w[0].n[SENDER_RECIPIENTS],
	    (unsigned long long)w[0].n[SENDER_HARD],
	    (unsigned long long)w[0].n[SENDER_COMPLAINTS],
	    (unsigned long long)w[1].n[SENDER_MESSAGES],
	    (unsigned long long)w[1].n[SENDER_RECIPIENTS],
	    (unsigned long long)w[1].n[SENDER_HARD],
	    (unsigned long long)w[1].n[SENDER_COMPLAINTS]);
}

/* "PREFIXcluster figures unavailable: ERR", its control octets masked
 * (a server's error may quote anything). */
static void
ctl_cc_unavailable(FILE *f, const char *prefix, const char *err)
{
	fprintf(f, "%scluster figures unavailable: ", prefix);
	for (; *err != '\0'; err++)
		putc((unsigned char)*err < ' ' || *err == 0x7f ? '?' : *err, f);
	putc('\n', f);
}

void
ctl_ccount_text(const CTL_CCOUNT *cc)
{
	size_t i;

	if (cc->err[0] != '\0') {
		ctl_cc_unavailable(stdout, "", cc->err);
		return;
	}
	printf("cluster, every node's counts:\n");
	printf("  %-20s %8s %8s %8s %8s %9s %9s %9s %9s\n", "NODE", "MSGS_1H",
	    "RCPTS_1H", "HARD_1H", "CMPL_1H", "MSGS_24H", "RCPTS_24H",
	    "HARD_24H", "CMPL_24H");
	ctl_cc_row("(all nodes)", cc->w);
	for (i = 0; i < cc->nnodes; i++)
		ctl_cc_row(cc->nodes[i].name, cc->nodes[i].w);
}

static void
ctl_cc_json_counts(const char *name, const SENDER_COUNTS *c)
{
	int i;

	printf("\"%s\": {", name);
	for (i = 0; i < SENDER_COUNTERS; i++)
		printf("%s\"%s\": %llu", i ? ", " : "", ckey_counter_name(i),
		    (unsigned long long)c->n[i]);
	printf("}");
}

void
ctl_ccount_json(const CTL_CCOUNT *cc)
{
	size_t i;

	printf(", \"cluster\": {");
	if (cc->err[0] != '\0') {
		printf("\"error\": ");
		ctl_json_str(cc->err);
		printf("}");
		return;
	}
	ctl_cc_json_counts("hour", &cc->w[0]);
	printf(", ");
	ctl_cc_json_counts("day", &cc->w[1]);
	printf(", \"nodes\": {");
	for (i = 0; i < cc->nnodes; i++) {
		printf("%s", i ? ", " : "");
		ctl_json_str(cc->nodes[i].name);
		printf(": {");
		ctl_cc_json_counts("hour", &cc->nodes[i].w[0]);
		printf(", ");
		ctl_cc_json_counts("day", &cc->nodes[i].w[1]);
		printf("}");
	}
	printf("}}");
}

/* HMGET's answer (the day's fields, in order) into c. */
static void
ctl_cc_add_fields(SENDER_COUNTS *c, const REDIS_REPLY *a)
{
	const char *v;
	uint64_t val;
	size_t i, vl;

	for (i = 0; i < CTL_CC_DAY_FIELDS; i++) {
		v = redis_reply_str(redis_reply_elem(a, i), &vl);
		if (v != NULL && ckey_count_parse(v, vl, &val) == NULL)
			c->n[ctl_cc_day_fields[i]] += val;
	}
}

/* Every sender's day, or NULL (said on stderr). */
static SENDER_COUNTS *
ctl_cc_days(const CONF *conf, const char *why, const char *const *keys,
    size_t n, int64_t now, char *err, size_t errlen)
{
	const CLUSTER_SETTINGS *cs = conf_cluster(conf);
	SENDER_COUNTS *day;
	REDIS_REPLY **rep;
	size_t i, per = 0, nrep;
	REDIS *r;

	if (cs == NULL) {
		snprintf(err, errlen, "no Cluster in %s", conf_path(conf));
		return NULL;
	}
	if (n == 0)
		return mem_calloc(1, sizeof(*day));
	if ((r = ctl_redis(conf, why, err, errlen)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		per = ctl_cc_append(r, cs->name, keys[i], CTL_CC_DAY, now, 1);
	if (redis_exchange(r, &rep, &nrep, err, errlen) != 0) {
		redis_close(r);
		return NULL;
	}
	if (nrep != n * per || ctl_cc_error(rep, nrep, redis_address(r), err,
	    errlen)) {
		if (nrep != n * per)
			snprintf(err, errlen, "%s: %zu answers to %zu commands",
			    redis_address(r), nrep, n * per);
		redis_replies_free(rep, nrep);
		redis_close(r);
		return NULL;
	}
	day = mem_calloc(n, sizeof(*day));
	for (i = 0; i < nrep; i++)
		ctl_cc_add_fields(&day[i / per], rep[i]);
	redis_replies_free(rep, nrep);
	redis_close(r);
	return day;
}

SENDER_COUNTS *
ctl_ccount_days(const CONF *conf, const char *why, const char *const *keys,
    size_t n, int64_t now)
{
	SENDER_COUNTS *day;
	char err[512];

	if ((day = ctl_cc_days(conf, why, keys, n, now, err,
	    sizeof(err))) == NULL)
		ctl_cc_unavailable(stderr, "repguardctl: ", err);
	return day;
}

void
ctl_ccount_json_day(const SENDER_COUNTS *c)
{
	size_t i;

	printf(", \"cluster_24h\": ");
	if (c == NULL) {
		printf("null");
		return;
	}
	printf("{");
	for (i = 0; i < CTL_CC_DAY_FIELDS; i++)
		printf("%s\"%s\": %llu", i ? ", " : "",
		    ckey_counter_name(ctl_cc_day_fields[i]),
		    (unsigned long long)c->n[ctl_cc_day_fields[i]]);
	printf("}");
}
