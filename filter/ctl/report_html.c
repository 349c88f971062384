/*
 * report_html.c - repguardctl report --html: one self-contained page (no
 * scripts, fonts or anything fetched) on who is hurting the IP.
 *
 * Owns: report_html().
 *
 * Decisions: per sender, its state and small charts drawn as inline SVG:
 * messages sent, hard-bounce rate and complaint rate per hour over the
 * last 24 hours and the last 7 days, each rate against the warning and
 * pausing thresholds (dashed lines); then the recipient domains that
 * bounced most in 7 days, and the latest state changes.  Senders not
 * active come first, then by volume over 24 hours; at most REPORT_SENDERS
 * are drawn (the rest are counted).  Rates are per recipient, as the
 * engine judges them (bounces count in the hour of their message).
 *
 * Must not: write to the store, or put anything from the store into the
 * page unescaped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "retpath/bevent.h"
#include "reputation/history.h"
#include "base/mem.h"
#include "ctl/ctl_util.h"
#include "ctl/report_html.h"
#include "reputation/reputation.h"
#include "reputation/sender.h"

#define REPORT_SENDERS	200
#define REPORT_HOURS	(7 * 24)
#define REPORT_DOMAINS	15
#define REPORT_CHANGES	30

struct rh_sender {
	char		 key[SENDER_KEY_MAX];
	SENDER_STATE	 s;
	uint64_t	 day_msgs, week_msgs;
	SENDER_COUNTS	*h;		/* [REPORT_HOURS]: drawn ones only */
};

struct rh_domain {
	char		 name[256];
	uint64_t	 hard, soft, complaints;
};

struct rh_change {
	char		 key[SENDER_KEY_MAX];
	HISTORY_ENTRY	 e;
};

struct rh {
	int64_t		 now;
	struct rh_sender *s;
	size_t		 n, cap;
	struct rh_domain *d;
	size_t		 nd;
	struct rh_change *c;
	size_t		 nc;
	const char	*hist_key;
	BEVENT_REASONS	 reasons;	/* of the last 7 days */
};

static void
rh_esc(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '<': fputs("&lt;", fp); break;
		case '>': fputs("&gt;", fp); break;
		case '&': fputs("&amp;", fp); break;
		case '"': fputs("&quot;", fp); break;
		default:
			if ((unsigned char)*s < ' ')
				fputc('?', fp);
			else
				fputc(*s, fp);
		}
}

static int
rh_sender_cb(const char *key, const SENDER_STATE *s, void *ctx)
{
	struct rh *r = ctx;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->s = mem_realloc(r->s, r->cap * sizeof(*r->s));
	}
	memset(&r->s[r->n], 0, sizeof(r->s[r->n]));	/* h: NULL */
	snprintf(r->s[r->n].key, sizeof(r->s[r->n].key), "%s", key);
	r->s[r->n].s = *s;
	r->n++;
	return 0;
}

static int
rh_bounce_cb(const BEVENT *e, void *ctx)
{
	struct rh *r = ctx;
	const char *at = strrchr(e->rcpt, '@');
	size_t i;

	if (at == NULL || r->now - e->time > 7 * 86400)
		return 0;
	for (i = 0; i < r->nd && strcasecmp(r->d[i].name, at + 1) != 0; i++)
		;
	if (i == r->nd) {
		r->d = mem_realloc(r->d, (r->nd + 1) * sizeof(*r->d));
		memset(&r->d[i], 0, sizeof(r->d[i]));
		snprintf(r->d[i].name, sizeof(r->d[i].name), "%s", at + 1);
		r->nd++;
	}
	if (strcmp(e->cls, "hard") == 0)
		r->d[i].hard++;
	else if (strcmp(e->cls, "complaint") == 0)
		r->d[i].complaints++;
	else
		r->d[i].soft++;
	return 0;
}

static int
rh_hist_cb(const HISTORY_ENTRY *e, void *ctx)
{
	struct rh *r = ctx;

	r->c = mem_realloc(r->c, (r->nc + 1) * sizeof(*r->c));
	snprintf(r->c[r->nc].key, sizeof(r->c[r->nc].key), "%s", r->hist_key);
	r->c[r->nc].e = *e;
	r->nc++;
	return 0;
}

static int
rh_cmp_sender(const void *a, const void *b)
{
	const struct rh_sender *x = a, *y = b;
	int xa = x->s.state == SENDER_ACTIVE, ya = y->s.state == SENDER_ACTIVE;

	if (xa != ya)
		return xa - ya;
	if (x->day_msgs != y->day_msgs)
		return x->day_msgs < y->day_msgs ? 1 : -1;
	return strcmp(x->key, y->key);
}

static int
rh_cmp_domain(const void *a, const void *b)
{
	const struct rh_domain *x = a, *y = b;
	uint64_t tx = x->hard + x->complaints, ty = y->hard + y->complaints;

	return tx != ty ? (tx < ty ? 1 : -1) : strcmp(x->name, y->name);
}

static int
rh_cmp_change(const void *a, const void *b)
{
	const struct rh_change *x = a, *y = b;

	return x->e.time != y->e.time ? (x->e.time < y->e.time ? 1 : -1) : 0;
}

/* Empty again (the read may run twice). */
static void
rh_clear(struct rh *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->s[i].h);
	free(r->s);
	free(r->d);
	free(r->c);
	r->s = NULL;
	r->d = NULL;
	r->c = NULL;
	r->n = r->cap = r->nd = r->nc = 0;
}

static int
rh_read_fn(STORE_TXN *t, void *ctx)
{
	struct rh *r = ctx;
	SENDER_COUNTS c;
	size_t i, j;

	rh_clear(r);
	if (sender_list(t, rh_sender_cb, r) != 0 ||
	    bevent_list(t, rh_bounce_cb, r) != 0 ||
	    bevent_reasons(t, NULL, r->now - 7 * 86400, &r->reasons) != 0)
		return STORE_ERROR;
	for (i = 0; i < r->n; i++) {
		if (sender_window(t, r->s[i].key, 86400, r->now, &c) != 0)
			return STORE_ERROR;
		r->s[i].day_msgs = c.n[SENDER_MESSAGES];
	}
	qsort(r->s, r->n, sizeof(*r->s), rh_cmp_sender);
	for (i = 0; i < r->n && i < REPORT_SENDERS; i++) {
		r->s[i].h = mem_calloc(REPORT_HOURS, sizeof(*r->s[i].h));
		if (sender_series(t, r->s[i].key, r->now, REPORT_HOURS,
		    r->s[i].h) != 0)
			return STORE_ERROR;
		for (j = 0; j < REPORT_HOURS; j++)
			r->s[i].week_msgs += r->s[i].h[j].n[SENDER_MESSAGES];
		r->hist_key = r->s[i].key;
		if (history_list(t, r->s[i].key, rh_hist_cb, r) != 0)
			return STORE_ERROR;
	}
	return 0;
}

/* a over b, 0 when b is 0 */
static double
rh_rate(uint64_t a, uint64_t b)
{
	return b == 0 ? 0 : (double)a / (double)b;
}

/*
 * A chart: v[n] as a line in a 240x40 box, scaled to max (at least the
 * highest threshold given), thresholds as dashed lines.
 */
static void
rh_chart(FILE *fp, const double *v, size_t n, double warn, double pause,
    const char *label, int percent)
{
	double max = pause > warn ? pause * 1.25 : 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	if (max <= 0)
		max = 1;
	fprintf(fp, "<svg class=\"spark\" viewBox=\"0 0 240 40\" "
	    "width=\"240\" height=\"40\" role=\"img\"><title>");
	rh_esc(fp, label);
	fprintf(fp, "</title><rect width=\"240\" height=\"40\" "
	    "class=\"bg\"/>");
	if (warn > 0)
		fprintf(fp, "<line x1=\"0\" x2=\"240\" y1=\"%.1f\" y2=\"%.1f\" "
		    "class=\"warn\"/>", 40 - 38 * warn / max,
		    40 - 38 * warn / max);
	if (pause > 0)
		fprintf(fp, "<line x1=\"0\" x2=\"240\" y1=\"%.1f\" y2=\"%.1f\" "
		    "class=\"pause\"/>", 40 - 38 * pause / max,
		    40 - 38 * pause / max);
	fprintf(fp, "<polyline class=\"line\" points=\"");
	for (i = 0; i < n; i++)
		fprintf(fp, "%.1f,%.1f ", n > 1 ? 240.0 * (double)i /
		    (double)(n - 1) : 0, 40 - 38 * v[i] / max);
	fprintf(fp, "\"/></svg><span class=\"max\">max %.*f%s</span>",
	    percent ? 2 : 0, percent ? max * 100 : max, percent ? "%" : "");
}

static void
rh_sender_row(FILE *fp, const struct rh_sender *s, const REP_RULES *rr)
{
	double msgs[REPORT_HOURS], hard[REPORT_HOURS], cmpl[REPORT_HOURS];
	const char *st = sender_state_name(s->s.state);
	size_t i, span, k;
	char label[1000];

	for (i = 0; i < REPORT_HOURS; i++) {
		const SENDER_COUNTS *c = &s->h[i];

		msgs[i] = (double)c->n[SENDER_MESSAGES];
		hard[i] = rh_rate(c->n[SENDER_HARD], c->n[SENDER_RECIPIENTS]);
		cmpl[i] = rh_rate(c->n[SENDER_COMPLAINTS],
		    c->n[SENDER_RECIPIENTS]);
	}
	fprintf(fp, "<tr><td class=\"who\">");
	rh_esc(fp, s->key);
	fprintf(fp, "<br><span class=\"state %s\">%s</span></td>"
	    "<td class=\"num\">%llu<br>%llu</td>", st, st,
	    (unsigned long long)s->day_msgs,
	    (unsigned long long)s->week_msgs);
	for (k = 0; k < 2; k++) {		/* 24 h, then 7 days */
		span = k == 0 ? 24 : REPORT_HOURS;
		i = REPORT_HOURS - span;
		fprintf(fp, "<td>");
		snprintf(label, sizeof(label), "%s: messages per hour, %s",
		    s->key, k ? "7 days" : "24 hours");
		rh_chart(fp, msgs + i, span, 0, 0, label, 0);
		fprintf(fp, "<br>");
		snprintf(label, sizeof(label), "%s: hard-bounce rate per hour, "
		    "%s", s->key, k ? "7 days" : "24 hours");
		rh_chart(fp, hard + i, span, rr->warn_hard / 1e6,
		    rr->pause_hard / 1e6, label, 1);
		fprintf(fp, "<br>");
		snprintf(label, sizeof(label), "%s: complaint rate per hour, "
		    "%s", s->key, k ? "7 days" : "24 hours");
		rh_chart(fp, cmpl + i, span, rr->warn_complaint / 1e6,
		    rr->pause_complaint / 1e6, label, 1);
		fprintf(fp, "</td>");
	}
	fprintf(fp, "</tr>\n");
}

/* The page's head, its style and the counts of senders by state. */
static void
rh_head(FILE *fp, const struct rh *r, const REP_RULES *rr, int64_t now)
{
	uint64_t state[4] = { 0, 0, 0, 0 };
	char when[64];
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->s[i].s.state >= 0 && r->s[i].s.state < 4)
			state[r->s[i].s.state]++;
	ctl_time(now, when, sizeof(when));
	fprintf(fp, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\"><title>repguard report %s</title>\n<style>\n"
	    "body{font:14px/1.4 sans-serif;margin:1.5em;color:#222}"
	    "table{border-collapse:collapse;margin-bottom:2em}"
	    "td,th{border-bottom:1px solid #ddd;padding:4px 8px;"
	    "vertical-align:top;text-align:left}.num{text-align:right}"
	    ".who{font-family:monospace;max-width:22em;overflow-wrap:anywhere}"
	    ".state{display:inline-block;padding:0 6px;border-radius:3px;"
	    "font-size:12px;color:#fff;background:#2a7}"
	    ".state.warning{background:#d90}.state.paused{background:#c33}"
	    ".state.probation{background:#36c}"
	    ".spark .bg{fill:#f6f6f6}.spark .line{fill:none;stroke:#246;"
	    "stroke-width:1.2}.spark .warn{stroke:#d90;stroke-dasharray:3 3}"
	    ".spark .pause{stroke:#c33;stroke-dasharray:3 3}"
	    ".max{font-size:11px;color:#666;margin-left:4px}\n</style>"
	    "</head><body>\n<h1>repguard report</h1>\n<p>%s. %zu senders: "
	    "%llu active, %llu warning, %llu paused, %llu on probation. "
	    "Rates are per recipient, per hour; dashed lines: warning "
	    "(%.2f%% hard, %.3f%% complaints) and pause (%.2f%%, %.3f%%)."
	    "</p>\n", when, when, r->n, (unsigned long long)state[0],
	    (unsigned long long)state[1], (unsigned long long)state[2],
	    (unsigned long long)state[3], rr->warn_hard / 1e4,
	    rr->warn_complaint / 1e4, rr->pause_hard / 1e4,
	    rr->pause_complaint / 1e4);
}

/* The domains that bounced most, then the bounces by reason. */
static void
rh_domains(FILE *fp, const struct rh *r)
{
	size_t i;

	fprintf(fp, "<h2>Recipient domains that bounced most (7 days)</h2>\n"
	    "<table id=\"domains\"><tr><th>domain</th><th class=\"num\">hard"
	    "</th><th class=\"num\">complaints</th><th class=\"num\">other"
	    "</th></tr>\n");
	for (i = 0; i < r->nd && i < REPORT_DOMAINS; i++) {
		fprintf(fp, "<tr><td>");
		rh_esc(fp, r->d[i].name);
		fprintf(fp, "</td><td class=\"num\">%llu</td><td class=\"num\">"
		    "%llu</td><td class=\"num\">%llu</td></tr>\n",
		    (unsigned long long)r->d[i].hard,
		    (unsigned long long)r->d[i].complaints,
		    (unsigned long long)r->d[i].soft);
	}
	fprintf(fp, "</table>\n<h2>Bounces by reason (7 days)</h2>\n"
	    "<table id=\"reasons\"><tr><th>reason</th><th>class</th>"
	    "<th class=\"num\">bounces</th></tr>\n");
	for (i = 0; i < r->reasons.n; i++) {
		fprintf(fp, "<tr><td>");
		rh_esc(fp, r->reasons.r[i].reason);
		fprintf(fp, "</td><td>");
		rh_esc(fp, r->reasons.r[i].cls);
		fprintf(fp, "</td><td class=\"num\">%llu</td></tr>\n",
		    (unsigned long long)r->reasons.r[i].count);
	}
}

static void
rh_changes(FILE *fp, const struct rh *r)
{
	char when[64];
	size_t i;

	fprintf(fp, "</table>\n<h2>Latest state changes</h2>\n<table "
	    "id=\"changes\"><tr><th>when</th><th>sender</th><th>change</th>"
	    "<th>why</th><th>by</th></tr>\n");
	for (i = 0; i < r->nc && i < REPORT_CHANGES; i++) {
		ctl_time(r->c[i].e.time, when, sizeof(when));
		fprintf(fp, "<tr><td>%s</td><td class=\"who\">", when);
		rh_esc(fp, r->c[i].key);
		fprintf(fp, "</td><td>%s &rarr; %s</td><td>",
		    sender_state_name(r->c[i].e.from),
		    sender_state_name(r->c[i].e.to));
		rh_esc(fp, r->c[i].e.why);
		fprintf(fp, "</td><td>");
		rh_esc(fp, r->c[i].e.by);
		fprintf(fp, "</td></tr>\n");
	}
}

int
report_html(STORE *st, const REP_RULES *rr, int64_t now, FILE *fp,
    char *err, size_t errlen)
{
	struct rh r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.now = now;
	if (store_read(st, rh_read_fn, &r, err, errlen) != 0) {
		rh_clear(&r);
		return -1;
	}
	qsort(r.d, r.nd, sizeof(*r.d), rh_cmp_domain);
	qsort(r.c, r.nc, sizeof(*r.c), rh_cmp_change);
	rh_head(fp, &r, rr, now);
	fprintf(fp, "<h2>Senders</h2>\n<table id=\"senders\"><tr><th>sender"
	    "</th><th>messages<br>24 h / 7 d</th><th>last 24 hours: sent, "
	    "hard bounces, complaints</th><th>last 7 days</th></tr>\n");
	for (i = 0; i < r.n && i < REPORT_SENDERS; i++)
		rh_sender_row(fp, &r.s[i], rr);
	fprintf(fp, "</table>\n");
	if (r.n > REPORT_SENDERS)
		fprintf(fp, "<p>%zu more senders, all active, not drawn.</p>\n",
		    r.n - REPORT_SENDERS);
	rh_domains(fp, &r);
	rh_changes(fp, &r);
	fprintf(fp, "</table>\n</body></html>\n");
	rh_clear(&r);
	return ferror(fp) ? -1 : 0;
}
