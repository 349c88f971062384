/*
 * ctl_sender.c - repguardctl senders and show (see ctl_sender.h).
 *
 * Owns: ctl_senders(), ctl_show(), ctl_effective_state().
 *
 * With Cluster, show adds the sender's cluster-wide counts, per node and
 * for all (ctl_ccount.c), and senders --json each sender's of the last
 * 24 hours, asked of Redis in one round trip; when Redis cannot be asked
 * the local figures are printed all the same, with why the others are
 * missing.
 *
 * Decisions: everything is read in one read transaction, so a listing is
 * one consistent picture.  The rates are those the engine judges (the
 * configured windows; on probation, since probation began).  A state
 * whose time has run out (a pause past its end) is shown as what it has
 * become, though the daemon writes the change only when it next looks.
 *
 * Must not: write to the store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retpath/bevent.h"
#include "base/clock.h"
#include "ctl/ctl_ccount.h"
#include "ctl/ctl_sender.h"
#include "ctl/ctl_util.h"
#include "base/duration.h"
#include "base/mem.h"
#include "reputation/history.h"
#include "reputation/sender.h"

#define CTL_HOUR	3600
#define CTL_DAY		86400

struct ctl_sender {
	char		 key[SENDER_KEY_MAX];
	SENDER_STATE	 state;
	SENDER_COUNTS	 hour, day;
	REP_WINDOWS	 w;
};

struct ctl_list {
	struct ctl_sender	*v;
	size_t			 n, cap;
	int64_t			 now;
	STORE_TXN		*txn;
	const REP_RULES		*rules;
	const char		*only;		/* show: just this key */
	HISTORY_ENTRY		*hist;		/* show: its history */
	size_t			 nhist;
	BEVENT_REASONS		 reasons;	/* show: its bounces by
						 * reason, CTL_REASON_DAYS */
};

#define CTL_REASON_DAYS	7

/* The state as it stands now: a pause past its end has ended. */
int
ctl_effective_state(const SENDER_STATE *s, int64_t now)
{
	if (s->state == SENDER_PAUSED && !sender_is_paused(s, now))
		return s->manual ? SENDER_ACTIVE : SENDER_PROBATION;
	return s->state;
}

static void
ctl_json_time(const char *name, int64_t t, int show)
{
	if (show && t != 0)
		printf(", \"%s\": %lld", name, (long long)t);
	else
		printf(", \"%s\": null", name);
}

static void
ctl_json_strf(const char *name, const char *s)
{
	printf(", \"%s\": ", name);
	if (s != NULL)
		ctl_json_str(s);
	else
		printf("null");
}

static uint64_t
ctl_ppm(uint64_t n, uint64_t of)
{
	return of ? n * REP_PPM / of : 0;
}

static void
ctl_json_windows(const struct ctl_sender *s)
{
	static const char *const names[] = { "short", "long" };
	const SENDER_COUNTS *c;
	int i;

	printf(", \"windows\": {");
	for (i = 0; i < 2; i++) {
		c = &s->w.w[i];
		printf("%s\"%s\": {\"seconds\": %lld, \"messages\": %llu, "
		    "\"recipients\": %llu, \"hard\": %llu, \"soft\": %llu, "
		    "\"policy\": %llu, \"policy_major\": %llu, "
		    "\"blocked\": %llu, "
		    "\"complaints\": %llu, \"hard_rate\": %.4f, "
		    "\"complaint_rate\": %.4f, \"block_rate\": %.4f}",
		    i ? ", " : "", names[i],
		    (long long)s->w.span[i],
		    (unsigned long long)c->n[SENDER_MESSAGES],
		    (unsigned long long)c->n[SENDER_RECIPIENTS],
		    (unsigned long long)c->n[SENDER_HARD],
		    (unsigned long long)c->n[SENDER_SOFT],
		    (unsigned long long)c->n[SENDER_POLICY],
		    (unsigned long long)c->n[SENDER_POLICY_MAJOR],
		    (unsigned long long)c->n[SENDER_BLOCKED],
		    (unsigned long long)c->n[SENDER_COMPLAINTS],
		    ctl_ppm(c->n[SENDER_HARD], c->n[SENDER_RECIPIENTS]) /
		    10000.0, ctl_ppm(c->n[SENDER_COMPLAINTS],
		    c->n[SENDER_RECIPIENTS]) / 10000.0,
		    ctl_ppm(c->n[SENDER_BLOCKED], c->n[SENDER_RECIPIENTS]) /
		    10000.0);
	}
	printf("}");
}

/* The rules in force for this sender (scaled on probation). */
static void
ctl_json_rules(const REP_RULES *r, int strict)
{
	unsigned m = strict ? r->strict : 100;

	printf(", \"thresholds\": {\"probation\": %s, \"warn_hard_rate\": "
	    "%.4f, \"pause_hard_rate\": %.4f, \"warn_complaint_rate\": %.4f, "
	    "\"pause_complaint_rate\": %.4f, \"warn_block_rate\": %.4f, "
	    "\"pause_block_rate\": %.4f, \"minimum_volume\": %llu, "
	    "\"minimum_events\": %llu}", strict ? "true" : "false",
	    r->warn_hard * m / 100 / 10000.0, r->pause_hard * m / 100 /
	    10000.0, r->warn_complaint * m / 100 / 10000.0,
	    r->pause_complaint * m / 100 / 10000.0,
	    r->warn_block * m / 100 / 10000.0,
	    r->pause_block * m / 100 / 10000.0,
	    (unsigned long long)r->min_volume,
	    (unsigned long long)r->min_events);
}

static void
ctl_json_sender(const struct ctl_sender *s, const REP_RULES *r,
    int64_t now)
{
	int st = ctl_effective_state(&s->state, now);
	int paused = st == SENDER_PAUSED;

	printf("{\"sender\": ");
	ctl_json_str(s->key);
	printf(", \"state\": \"%s\"", sender_state_name(st));
	ctl_json_time("since", s->state.since, st == s->state.state);
	ctl_json_time("paused_until", s->state.paused_until, paused);
	ctl_json_time("paused_at", s->state.paused_at, paused);
	ctl_json_strf("reason", st != SENDER_ACTIVE ? s->state.reason : NULL);
	ctl_json_strf("paused_by", paused ? s->state.by : NULL);
	printf(", \"manual\": %s", paused && s->state.manual ? "true" :
	    "false");
	printf(", \"cooldown\": ");
	if (s->state.cooldown > 0 && st != SENDER_ACTIVE)
		printf("%lld", (long long)s->state.cooldown);
	else
		printf("null");
	printf(", \"messages_1h\": %llu, \"recipients_1h\": %llu, "
	    "\"messages_24h\": %llu, \"recipients_24h\": %llu, "
	    "\"bulk_1h\": %llu, \"bulk_24h\": %llu",
	    (unsigned long long)s->hour.n[SENDER_MESSAGES],
	    (unsigned long long)s->hour.n[SENDER_RECIPIENTS],
	    (unsigned long long)s->day.n[SENDER_MESSAGES],
	    (unsigned long long)s->day.n[SENDER_RECIPIENTS],
	    (unsigned long long)s->hour.n[SENDER_BULK],
	    (unsigned long long)s->day.n[SENDER_BULK]);
	ctl_json_windows(s);
	ctl_json_rules(r, st == SENDER_PROBATION);
	ctl_json_time("first_seen", s->state.first_seen, 1);
	ctl_json_time("last_seen", s->state.last_seen, 1);
}

static int
ctl_hist_cb(const HISTORY_ENTRY *e, void *ctx)
{
	struct ctl_list *l = ctx;

	l->hist = realloc(l->hist, (l->nhist + 1) * sizeof(*l->hist));
	if (l->hist == NULL)
		return 1;
	l->hist[l->nhist++] = *e;
	return 0;
}

static int
ctl_collect_cb(const char *key, const SENDER_STATE *s, void *ctx)
{
	struct ctl_list *l = ctx;
	struct ctl_sender *cs;

	if (l->only != NULL && strcmp(key, l->only) != 0)
		return 0;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (l->v == NULL)
			return 1;
	}
	cs = &l->v[l->n++];
	snprintf(cs->key, sizeof(cs->key), "%s", key);
	cs->state = *s;
	if (sender_window(l->txn, key, CTL_HOUR, l->now, &cs->hour) != 0 ||
	    sender_window(l->txn, key, CTL_DAY, l->now, &cs->day) != 0 ||
	    rep_windows(l->txn, l->rules, key, s, l->now, &cs->w) != 0)
		return 1;
	if (l->only != NULL && history_list(l->txn, key, ctl_hist_cb, l) != 0)
		return 1;
	return l->only != NULL;
}

static int
ctl_collect_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_list *l = ctx;

	l->n = 0;
	l->nhist = 0;
	l->txn = t;
	if (sender_list(t, ctl_collect_cb, l) != 0 || (l->n > 0 &&
	    l->v == NULL))
		return STORE_ERROR;
	if (l->only != NULL && bevent_reasons(t, l->only, l->now -
	    CTL_REASON_DAYS * 86400, &l->reasons) != 0)
		return STORE_ERROR;
	return 0;
}

static int
ctl_collect(STORE *st, struct ctl_list *l)
{
	char err[512] = "";

	l->now = clock_now();
	if (store_read(st, ctl_collect_fn, l, err, sizeof(err)) != 0) {
		fprintf(stderr, "repguardctl: database: %s\n", err[0] ? err :
		    "out of memory");
		return -1;
	}
	return 0;
}

static void
ctl_pct(uint64_t n, uint64_t of, char *out, size_t outsize)
{
	uint64_t ppm = ctl_ppm(n, of);

	if (of == 0)
		snprintf(out, outsize, "-");
	else
		snprintf(out, outsize, "%llu.%02llu%%",
		    (unsigned long long)(ppm / 10000),
		    (unsigned long long)(ppm % 10000 / 100));
}

/* senders --json with Cluster: every sender's cluster-wide day, or NULL
 * (said on stderr). */
static SENDER_COUNTS *
ctl_senders_cluster(const struct ctl_list *l, const CONF *conf,
    const char *why)
{
	const char **keys = mem_calloc(l->n + 1, sizeof(*keys));
	SENDER_COUNTS *day;
	size_t i;

	for (i = 0; i < l->n; i++)
		keys[i] = l->v[i].key;
	day = ctl_ccount_days(conf, why, keys, l->n, l->now);
	free(keys);
	return day;
}

int
ctl_senders(STORE *st, const CONF *conf, const CTL_ARGS *a)
{
	struct ctl_list l;
	char hr[2][48], cr[48];
	REP_RULES def;
	const REP_RULES *r = ctl_rules(conf, &def);
	SENDER_COUNTS *day = NULL;
	int json = a->json, cluster;
	size_t i;

	memset(&l, 0, sizeof(l));
	l.rules = r;
	if (ctl_collect(st, &l) != 0)
		return 1;
	cluster = json && a->cluster_why != NULL && conf_cluster(conf) != NULL;
	if (cluster)
		day = ctl_senders_cluster(&l, conf, a->cluster_why);
	if (json) {
		printf("[");
		for (i = 0; i < l.n; i++) {
			printf(i ? ",\n " : "");
			ctl_json_sender(&l.v[i], r, l.now);
			if (cluster)
				ctl_ccount_json_day(day ? &day[i] : NULL);
			printf("}");
		}
		printf("]\n");
	} else {
		printf("%-40s %-9s %8s %8s %9s %9s %7s %7s %7s\n", "SENDER",
		    "STATE", "MSGS_1H", "RCPTS_1H", "MSGS_24H", "RCPTS_24H",
		    "HARD_S", "HARD_L", "CMPL_L");
		for (i = 0; i < l.n; i++) {
			const struct ctl_sender *s = &l.v[i];
			const SENDER_COUNTS *w = s->w.w;

			ctl_pct(w[0].n[SENDER_HARD], w[0].n[SENDER_RECIPIENTS],
			    hr[0], sizeof(hr[0]));
			ctl_pct(w[1].n[SENDER_HARD], w[1].n[SENDER_RECIPIENTS],
			    hr[1], sizeof(hr[1]));
			ctl_pct(w[1].n[SENDER_COMPLAINTS],
			    w[1].n[SENDER_RECIPIENTS], cr, sizeof(cr));
			printf("%-40s %-9s %8llu %8llu %9llu %9llu %7s %7s "
			    "%7s\n", s->key, sender_state_name(
			    ctl_effective_state(&s->state, l.now)),
			    (unsigned long long)s->hour.n[SENDER_MESSAGES],
			    (unsigned long long)s->hour.n[SENDER_RECIPIENTS],
			    (unsigned long long)s->day.n[SENDER_MESSAGES],
			    (unsigned long long)s->day.n[SENDER_RECIPIENTS],
			    hr[0], hr[1], cr);
		}
	}
	free(day);
	free(l.v);
	return 0;
}

static void
ctl_show_history(const struct ctl_list *l, int json)
{
	char t[64];
	size_t i;

	if (json) {
		printf(", \"history\": [");
		for (i = 0; i < l->nhist; i++) {
			const HISTORY_ENTRY *e = &l->hist[i];

			printf("%s{\"time\": %lld, \"from\": \"%s\", \"to\": "
			    "\"%s\", \"by\": ", i ? ", " : "",
			    (long long)e->time, sender_state_name(e->from),
			    sender_state_name(e->to));
			ctl_json_str(e->by);
			printf(", \"why\": ");
			ctl_json_str(e->why);
			printf("}");
		}
		printf("]");
		return;
	}
	printf("history:%s\n", l->nhist ? "" : " none");
	for (i = 0; i < l->nhist; i++) {
		ctl_time(l->hist[i].time, t, sizeof(t));
		printf("  %s %s -> %s (%s): %s\n", t,
		    sender_state_name(l->hist[i].from),
		    sender_state_name(l->hist[i].to), l->hist[i].by,
		    l->hist[i].why);
	}
}

static void
ctl_show_rules(const REP_RULES *r, int strict)
{
	char a[48], b[48], c[48], d[48];
	unsigned m = strict ? r->strict : 100;

	ctl_pct(r->warn_hard * m / 100, REP_PPM, a, sizeof(a));
	ctl_pct(r->pause_hard * m / 100, REP_PPM, b, sizeof(b));
	ctl_pct(r->warn_complaint * m / 100, REP_PPM, c, sizeof(c));
	ctl_pct(r->pause_complaint * m / 100, REP_PPM, d, sizeof(d));
	printf("thresholds%s: hard bounces warn %s, pause %s; complaints "
	    "warn %s, pause %s; minimum volume %llu recipients\n",
	    strict ? " (probation)" : "", a, b, c, d,
	    (unsigned long long)r->min_volume);
}

/* show --json: the sender, its bounces by reason, its history, its
 * cluster-wide counts (cc: NULL without Cluster). */
static void
ctl_show_json(const struct ctl_list *l, const REP_RULES *r,
    const CTL_CCOUNT *cc)
{
	int i;

	ctl_json_sender(&l->v[0], r, l->now);
	printf(", \"reasons_7d\": {");
	for (i = 0; i < (int)l->reasons.n; i++) {
		printf("%s", i ? ", " : "");
		ctl_json_str(l->reasons.r[i].reason);
		printf(": %llu", (unsigned long long)l->reasons.r[i].count);
	}
	printf("}");
	ctl_show_history(l, 1);
	if (cc != NULL)
		ctl_ccount_json(cc);
	printf("}\n");
}

/* The sender's state, since when, its pause and why; the state now. */
static int
ctl_show_state(const struct ctl_sender *s, int64_t now)
{
	char t1[64];
	int stt = ctl_effective_state(&s->state, now);

	printf("sender: %s\nstate: %s\n", s->key, sender_state_name(stt));
	if (stt == s->state.state && s->state.since != 0) {
		ctl_time(s->state.since, t1, sizeof(t1));
		printf("since: %s\n", t1);
	}
	if (stt == SENDER_PAUSED) {
		if (s->state.paused_until != 0)
			ctl_time(s->state.paused_until, t1, sizeof(t1));
		printf("paused until: %s%s\n", s->state.paused_until ? t1 :
		    "resumed", s->state.manual ? "" : " (end of cool-down)");
		ctl_time(s->state.paused_at, t1, sizeof(t1));
		printf("paused at: %s\n", t1);
		printf("paused by: %s\n", s->state.by);
	}
	if (stt != SENDER_ACTIVE)
		printf("reason: %s\n", s->state.reason);
	return stt;
}

/* The sender's volume, then its bounces and complaints per window. */
static void
ctl_show_counts(const struct ctl_sender *s)
{
	char d[DURATION_FORMAT_MAX], pc[2][48];
	int i;

	printf("messages, last hour: %llu (bulk %llu)\n"
	    "recipients, last hour: %llu\n"
	    "messages, last 24 hours: %llu (bulk %llu)\n"
	    "recipients, last 24 hours: %llu\n",
	    (unsigned long long)s->hour.n[SENDER_MESSAGES],
	    (unsigned long long)s->hour.n[SENDER_BULK],
	    (unsigned long long)s->hour.n[SENDER_RECIPIENTS],
	    (unsigned long long)s->day.n[SENDER_MESSAGES],
	    (unsigned long long)s->day.n[SENDER_BULK],
	    (unsigned long long)s->day.n[SENDER_RECIPIENTS]);
	for (i = 0; i < 2; i++) {
		const SENDER_COUNTS *c = &s->w.w[i];

		duration_format(s->w.span[i], d, sizeof(d));
		ctl_pct(c->n[SENDER_HARD], c->n[SENDER_RECIPIENTS], pc[0],
		    sizeof(pc[0]));
		ctl_pct(c->n[SENDER_COMPLAINTS], c->n[SENDER_RECIPIENTS],
		    pc[1], sizeof(pc[1]));
		printf("window %s: %llu recipients, %llu hard (%s), %llu "
		    "soft, %llu policy (%llu major receivers, %llu "
		    "blocked), %llu complaints (%s)\n", d,
		    (unsigned long long)c->n[SENDER_RECIPIENTS],
		    (unsigned long long)c->n[SENDER_HARD], pc[0],
		    (unsigned long long)c->n[SENDER_SOFT],
		    (unsigned long long)c->n[SENDER_POLICY],
		    (unsigned long long)c->n[SENDER_POLICY_MAJOR],
		    (unsigned long long)c->n[SENDER_BLOCKED],
		    (unsigned long long)c->n[SENDER_COMPLAINTS], pc[1]);
	}
}

static void
ctl_show_text(const struct ctl_list *l, const REP_RULES *r)
{
	const struct ctl_sender *s = &l->v[0];
	char t1[64];
	int i, stt;

	stt = ctl_show_state(s, l->now);
	ctl_show_counts(s);
	printf("bounces by reason, last %d days:", CTL_REASON_DAYS);
	for (i = 0; i < (int)l->reasons.n; i++)
		printf("%s %s %llu (%s)", i ? "," : "", l->reasons.r[i].reason,
		    (unsigned long long)l->reasons.r[i].count,
		    l->reasons.r[i].cls);
	printf("%s\n", l->reasons.n ? "" : " none");
	ctl_show_rules(r, stt == SENDER_PROBATION);
	if (s->state.first_seen != 0) {
		ctl_time(s->state.first_seen, t1, sizeof(t1));
		printf("first seen: %s\n", t1);
		ctl_time(s->state.last_seen, t1, sizeof(t1));
		printf("last seen: %s\n", t1);
	}
	ctl_show_history(l, 0);
}

int
ctl_show(STORE *st, const CONF *conf, const CTL_ARGS *a)
{
	struct ctl_list l;
	REP_RULES def;
	const REP_RULES *r = ctl_rules(conf, &def);

	CTL_CCOUNT *cc = NULL;

	memset(&l, 0, sizeof(l));
	l.only = a->key;
	l.rules = r;
	if (ctl_collect(st, &l) != 0)
		return 1;
	if (l.n == 0) {
		free(l.v);
		free(l.hist);
		fprintf(stderr, "repguardctl: no such sender: %s\n", a->key);
		return 1;
	}
	if (a->cluster_why != NULL)
		cc = ctl_ccount_get(conf, a->cluster_why, a->key, l.now);
	if (a->json)
		ctl_show_json(&l, r, cc);
	else {
		ctl_show_text(&l, r);
		if (cc != NULL)
			ctl_ccount_text(cc);
	}
	ctl_ccount_free(cc);
	free(l.v);
	free(l.hist);
	return 0;
}
