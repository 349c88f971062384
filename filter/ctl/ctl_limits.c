/*
 * ctl_limits.c - repguardctl limits and warmup: the rate-limit buckets
 * and the warm-up as the store holds them.
 *
 * Owns: ctl_limits_cmd().
 *
 *	repguardctl limits [SENDER] [--json]	every bucket (or those of one
 *						sender): the limit in force,
 *						tokens there now, taken,
 *						refused, last refusal
 *	repguardctl warmup [--json]		today's warm-up day, limit, use
 *
 * Decisions: the rule shown is the one the configuration now gives the
 * bucket (conf_shaping_rule()); a bucket no setting makes any more is
 * shown with its stored numbers and no rule.  The daemon writes its
 * buckets once per CommitInterval, so what is shown may be that much
 * behind.
 *
 * Must not: write to the store.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "ctl/ctl_limits.h"
#include "ctl/ctl_util.h"
#include "base/mem.h"
#include "reputation/sender.h"

static const char ctl_limits_usage[] =
    "usage: repguardctl limits [SENDER] [--json]\n"
    "       repguardctl warmup [--json]\n";

struct ctl_limits {
	const CONF	*conf;
	const char	*sender;	/* NULL: every bucket */
	int64_t		 now_ms;
	int		 json, count;
};

/* Does the bucket belong to the sender asked about? */
static int
ctl_limits_mine(const char *name, const char *sender)
{
	size_t n = strlen(sender);
	const char *p;

	if (strncmp(name, "sender:", 7) == 0)
		return strncmp(name + 7, sender, n) == 0 && name[7 + n] == ':';
	if (strncmp(name, "probation:", 10) == 0)
		return strcmp(name + 10, sender) == 0;
	if (strncmp(name, "domain:", 7) == 0 &&
	    (p = strstr(name, ":sender:")) != NULL)
		return strcmp(p + 8, sender) == 0;
	return 0;
}

static int
ctl_limits_cb(const void *key, size_t klen, const void *val, size_t vlen,
    void *ctx)
{
	struct ctl_limits *l = ctx;
	char name[BUCKET_NAME_MAX + 1], rule[80] = "", what[80] = "";
	char last[64] = "", when[64];
	BUCKET_RULE r;
	BUCKET b;
	int64_t level;
	int have;

	if (klen == 0 || klen > BUCKET_NAME_MAX || bucket_decode(val, vlen,
	    &b) != 0)
		return 0;
	memcpy(name, key, klen);
	name[klen] = '\0';
	if (l->sender != NULL && !ctl_limits_mine(name, l->sender))
		return 0;
	have = conf_shaping_rule(l->conf, name, &r, what, sizeof(what));
	if (have)
		bucket_rule_format(&r, rule, sizeof(rule));
	level = have ? bucket_level(&b, &r, l->now_ms) : b.micro /
	    BUCKET_MICRO;
	if (b.refused_at != 0)
		ctl_time(b.refused_at / 1000, last, sizeof(last));
	ctl_time(b.at / 1000, when, sizeof(when));
	if (l->json) {
		printf("%s{\"bucket\": ", l->count ? ",\n " : "");
		ctl_json_str(name);
		printf(", \"limit\": ");
		if (have) {
			ctl_json_str(what);
			printf(", \"rule\": ");
			ctl_json_str(rule);
			printf(", \"burst\": %lld", (long long)r.burst);
		} else
			printf("null, \"rule\": null, \"burst\": null");
		printf(", \"tokens\": %lld, \"taken\": %llu, \"refused\": %llu"
		    ", \"last_refused\": %lld, \"updated\": %lld}",
		    (long long)level, (unsigned long long)b.taken,
		    (unsigned long long)b.refused,
		    (long long)(b.refused_at / 1000), (long long)(b.at / 1000));
	} else {
		if (l->count == 0)
			printf("%-44s %-22s %-20s %8s %10s %8s  %s\n", "BUCKET",
			    "LIMIT", "RULE", "TOKENS", "TAKEN", "REFUSED",
			    "LAST REFUSED");
		printf("%-44s %-22s %-20s %8lld %10llu %8llu  %s\n", name,
		    have ? what : "(none now)", have ? rule : "-",
		    (long long)level, (unsigned long long)b.taken,
		    (unsigned long long)b.refused, last[0] ? last : "-");
	}
	l->count++;
	return 0;
}

static int
ctl_limits_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_limits *l = ctx;

	l->count = 0;
	return store_scan(t, STORE_DB_BUCKETS, NULL, 0, NULL, 0, ctl_limits_cb,
	    l);
}

struct ctl_warmup_get {
	const char	*name;
	BUCKET		 b;		/* zeroed: none yet today */
};

static int
ctl_warmup_get_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_warmup_get *g = ctx;

	return bucket_get(t, g->name, &g->b) == STORE_ERROR ? STORE_ERROR : 0;
}

/* Today's warm-up: day, limit, use; and the days to come. */
static int
ctl_warmup(STORE *st, const CONF *conf, struct ctl_limits *l)
{
	const CONF_SHAPING *sh = conf_shaping(conf);
	struct ctl_warmup_get g;
	char name[64], start[16], err[512] = "";
	int64_t now = l->now_ms / 1000, limit, used;
	time_t t = (time_t)now, s0;
	struct tm tm;
	int day, i;

	if (sh->warmup_start == 0) {
		if (l->json)
			printf("{\"warmup\": false}\n");
		else
			printf("no warm-up (WarmupStart is not set)\n");
		return 0;
	}
	gmtime_r(&t, &tm);
	strftime(name, sizeof(name), "warmup:%Y-%m-%d", &tm);
	s0 = (time_t)sh->warmup_start;
	gmtime_r(&s0, &tm);
	strftime(start, sizeof(start), "%Y-%m-%d", &tm);
	limit = warmup_limit(&sh->warmup, sh->warmup_start, now, &day);
	g.name = name;
	if (store_read(st, ctl_warmup_get_fn, &g, err, sizeof(err)) != 0) {
		fprintf(stderr, "repguardctl: database: %s\n", err);
		return 1;
	}
	used = (int64_t)g.b.taken;
	if (l->json) {
		printf("{\"warmup\": true, \"start\": \"%s\", \"day\": %d, "
		    "\"days\": %d, \"limit\": ", start, day, sh->warmup.ndays);
		if (limit > 0)
			printf("%lld, \"used\": %lld, \"left\": %lld",
			    (long long)limit, (long long)used,
			    (long long)(used < limit ? limit - used : 0));
		else
			printf("null, \"used\": %lld, \"left\": null",
			    (long long)used);
		printf(", \"refused\": %llu, \"schedule\": [",
		    (unsigned long long)g.b.refused);
		for (i = 0; i < sh->warmup.ndays; i++)
			printf("%s%lld", i ? ", " : "",
			    (long long)sh->warmup.limit[i]);
		printf("]}\n");
		return 0;
	}
	if (day == 0)
		printf("warm-up begins %s (day 1: %lld messages)\n", start,
		    (long long)sh->warmup.limit[0]);
	else if (limit == 0)
		printf("warm-up over: it began %s and ran %d days\n", start,
		    sh->warmup.ndays);
	else {
		printf("warm-up day %d of %d (began %s)\n", day,
		    sh->warmup.ndays, start);
		printf("today's limit: %lld messages; used %lld, left %lld, "
		    "refused %llu\n", (long long)limit, (long long)used,
		    (long long)(used < limit ? limit - used : 0),
		    (unsigned long long)g.b.refused);
		if (day < sh->warmup.ndays)
			printf("tomorrow: %lld\n",
			    (long long)sh->warmup.limit[day]);
	}
	return 0;
}

int
ctl_limits_cmd(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char key[SENDER_KEY_MAX], err[512] = "";
	const char *cmd = argv[0], *derr;
	struct ctl_limits l;
	CONF *conf;
	STORE *st;
	int ch, rc = 0;

	memset(&l, 0, sizeof(l));
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch == 'j')
			l.json = 1;
		else
			ctl_usage_exit(ctl_limits_usage,
			    "unknown option \"%s\"", argv[optind - 1]);
	}
	if (argc - optind > (strcmp(cmd, "limits") == 0 ? 1 : 0))
		ctl_usage_exit(ctl_limits_usage, "%s: too many arguments",
		    cmd);
	if (argc - optind == 1) {
		if ((derr = sender_key_normalise(argv[optind],
		    strlen(argv[optind]), key, sizeof(key))) != NULL)
			ctl_usage_exit(ctl_limits_usage,
			    "bad SENDER \"%s\": %s", argv[optind], derr);
		l.sender = key;
	}
	st = ctl_open(confpath, &conf);
	l.conf = conf;
	l.now_ms = clock_now_ms();
	if (strcmp(cmd, "warmup") == 0)
		rc = ctl_warmup(st, conf, &l);
	else {
		if (l.json)
			printf("[");
		if (store_read(st, ctl_limits_fn, &l, err, sizeof(err)) != 0) {
			fprintf(stderr, "repguardctl: database: %s\n", err);
			rc = 1;
		}
		if (l.json)
			printf("]\n");
		else if (l.count == 0 && rc == 0)
			printf("no rate-limit buckets%s%s\n", l.sender ?
			    " for " : "", l.sender ? l.sender : "");
	}
	store_close(st);
	conf_unref(conf);
	return rc;
}
