/*
 * reputation.c - the reputation engine's decisions (see reputation.h).
 *
 * Owns: rep_rules_default(), rep_level(), rep_judge(), rep_spans(),
 * rep_due(), rep_windows(), rep_update(), rep_apply(), rep_sweep().
 *
 * Decisions: rates are integers in parts per million, so a threshold
 * compares exactly (2 % is 20000).  The short window is judged before
 * the long one and pausing rules before warning ones, so the reason
 * given is the most urgent.  From probation on, both windows reach back
 * only to the start of probation: the traffic that caused the pause is
 * not judged twice.
 *
 * Must not: include lmdb.h or any filter/ header, read the clock itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "base/mem.h"
#include "reputation/reputation.h"

void
rep_rules_default(REP_RULES *r)
{
	memset(r, 0, sizeof(*r));
	r->window[0] = 3600;
	r->window[1] = 86400;
	r->min_volume = 100;
	r->min_events = 3;
	r->warn_hard = 20000;		/* 2 % */
	r->warn_complaint = 800;	/* 0.08 % */
	r->pause_hard = 50000;		/* 5 % */
	r->pause_complaint = 3000;	/* 0.3 % */
	r->abs_hard = 25;
	r->abs_complaint = 5;
	r->policy_burst = 10;
	r->warn_block = 100000;		/* 10 % */
	r->pause_block = 0;		/* off: the IP's standing, shared */
	r->cooldown = 4 * 3600;
	r->cooldown_max = 7 * 86400;
	r->strict = 50;
}

/* A threshold, scaled on probation; never below 1 (counts) or 1 ppm. */
static uint64_t
rep_scale(uint64_t v, int strict, const REP_RULES *r)
{
	uint64_t s = strict ? v * r->strict / 100 : v;

	return s == 0 && v != 0 ? 1 : s;
}

static void
rep_pct(uint64_t ppm, char *out, size_t outsize)
{
	snprintf(out, outsize, "%llu.%02llu%%",
	    (unsigned long long)(ppm / 10000),
	    (unsigned long long)(ppm % 10000 / 100));
}

/*
 * Is this rate over the threshold (from at least min_events events)?
 * Says so in why if it is.
 */
static int
rep_rate(const REP_RULES *r, uint64_t n, uint64_t rcpts, uint64_t limit,
    const char *what, const char *span, char *why, size_t whylen)
{
	char a[32], b[32];
	uint64_t ppm;

	if (limit == 0 || rcpts == 0 || n < r->min_events)
		return 0;
	ppm = n * REP_PPM / rcpts;
	if (ppm < limit)
		return 0;
	rep_pct(ppm, a, sizeof(a));
	rep_pct(limit, b, sizeof(b));
	snprintf(why, whylen, "%s rate %s (%llu of %llu recipients in %s) "
	    ">= %s", what, a, (unsigned long long)n,
	    (unsigned long long)rcpts, span, b);
	return 1;
}

static int
rep_count(uint64_t n, uint64_t limit, const char *what, const char *span,
    const char *note, char *why, size_t whylen)
{
	if (limit == 0 || n < limit)
		return 0;
	snprintf(why, whylen, "%llu %s in %s%s (limit %llu)",
	    (unsigned long long)n, what, span, note,
	    (unsigned long long)limit);
	return 1;
}

/*
 * How bad are these windows: REP_OK, REP_WARN or REP_PAUSE, with the
 * reason in why (empty for REP_OK).
 */
int
rep_level(const REP_RULES *r, const REP_WINDOWS *w, int strict, char *why,
    size_t whylen)
{
	char span[2][DURATION_FORMAT_MAX], note[128];
	const SENDER_COUNTS *c;
	int i;

	why[0] = '\0';
	for (i = 0; i < 2; i++)
		duration_format(w->span[i], span[i], sizeof(span[i]));
	for (i = 0; i < 2; i++) {
		c = &w->w[i];
		if (c->n[SENDER_RECIPIENTS] < r->min_volume)
			continue;
		if (rep_rate(r, c->n[SENDER_HARD], c->n[SENDER_RECIPIENTS],
		    rep_scale(r->pause_hard, strict, r), "hard-bounce",
		    span[i], why, whylen) ||
		    rep_rate(r, c->n[SENDER_COMPLAINTS],
		    c->n[SENDER_RECIPIENTS], rep_scale(r->pause_complaint,
		    strict, r), "complaint", span[i], why, whylen) ||
		    (r->pause_block != 0 && rep_rate(r,
		    c->n[SENDER_BLOCKED], c->n[SENDER_RECIPIENTS],
		    rep_scale(r->pause_block, strict, r), "block", span[i],
		    why, whylen)))
			return REP_PAUSE;
	}
	c = &w->w[0];
	if (c->n[SENDER_RECIPIENTS] < r->min_volume) {
		snprintf(note, sizeof(note), ", below the minimum volume "
		    "(%llu of %llu recipients)",
		    (unsigned long long)c->n[SENDER_RECIPIENTS],
		    (unsigned long long)r->min_volume);
		if (rep_count(c->n[SENDER_HARD], rep_scale(r->abs_hard,
		    strict, r), "hard bounces", span[0], note, why, whylen) ||
		    rep_count(c->n[SENDER_COMPLAINTS],
		    rep_scale(r->abs_complaint, strict, r), "complaints",
		    span[0], note, why, whylen))
			return REP_PAUSE;
	}
	if (rep_count(c->n[SENDER_POLICY_MAJOR], rep_scale(r->policy_burst,
	    strict, r), "policy/blocklist bounces from major receivers",
	    span[0], "", why, whylen))
		return REP_PAUSE;
	for (i = 0; i < 2; i++) {
		c = &w->w[i];
		if (c->n[SENDER_RECIPIENTS] < r->min_volume)
			continue;
		if (rep_rate(r, c->n[SENDER_HARD], c->n[SENDER_RECIPIENTS],
		    rep_scale(r->warn_hard, strict, r), "hard-bounce",
		    span[i], why, whylen) ||
		    rep_rate(r, c->n[SENDER_COMPLAINTS],
		    c->n[SENDER_RECIPIENTS], rep_scale(r->warn_complaint,
		    strict, r), "complaint", span[i], why, whylen) ||
		    (r->warn_block != 0 && rep_rate(r, c->n[SENDER_BLOCKED],
		    c->n[SENDER_RECIPIENTS], rep_scale(r->warn_block, strict,
		    r), "block", span[i], why, whylen)))
			return REP_WARN;
	}
	return REP_OK;
}

static void
rep_pause(const REP_RULES *r, int64_t cooldown, int64_t now,
    REP_VERDICT *v)
{
	if (cooldown <= 0)
		cooldown = r->cooldown;
	if (r->cooldown_max > 0 && cooldown > r->cooldown_max)
		cooldown = r->cooldown_max;
	v->to = SENDER_PAUSED;
	v->cooldown = cooldown;
	v->until = now + cooldown;
}

/* The state the sender should be in now; v->to == s->state: no change. */
int
rep_judge(const REP_RULES *r, const SENDER_STATE *s, const REP_WINDOWS *w,
    int64_t now, REP_VERDICT *v)
{
	char why[HISTORY_WHY_MAX - 80], d[DURATION_FORMAT_MAX];
	int level;

	memset(v, 0, sizeof(*v));
	v->to = s->state;
	switch (s->state) {
	case SENDER_PAUSED:
		if (s->paused_until == 0 || now < s->paused_until)
			break;
		if (s->manual) {
			v->to = SENDER_ACTIVE;
			snprintf(v->why, sizeof(v->why), "the operator's pause "
			    "ended");
		} else {
			duration_format(s->cooldown, d, sizeof(d));
			v->to = SENDER_PROBATION;
			snprintf(v->why, sizeof(v->why), "cool-down of %s "
			    "ended", d);
		}
		break;
	case SENDER_PROBATION:
		level = rep_level(r, w, 1, why, sizeof(why));
		if (level == REP_PAUSE) {
			rep_pause(r, s->cooldown > 0 ? s->cooldown * 2 : 0,
			    now, v);
			duration_format(v->cooldown, d, sizeof(d));
			snprintf(v->why, sizeof(v->why), "on probation: %s; "
			    "cool-down %s", why, d);
		} else if (now - s->since >= r->window[0] &&
		    (w->w[1].n[SENDER_RECIPIENTS] >= r->min_volume ||
		    now - s->since >= r->window[1])) {
			/* judged on enough mail, or small for a long window */
			duration_format(now - s->since, d, sizeof(d));
			v->to = SENDER_ACTIVE;
			snprintf(v->why, sizeof(v->why), "probation passed: "
			    "%s and %llu recipients within the stricter rules",
			    d, (unsigned long long)
			    w->w[1].n[SENDER_RECIPIENTS]);
		}
		break;
	default:
		level = rep_level(r, w, 0, why, sizeof(why));
		if (level == REP_PAUSE) {
			rep_pause(r, 0, now, v);
			duration_format(v->cooldown, d, sizeof(d));
			snprintf(v->why, sizeof(v->why), "%s; cool-down %s",
			    why, d);
		} else if (level == REP_WARN) {
			v->to = SENDER_WARNING;
			snprintf(v->why, sizeof(v->why), "%s", why);
		} else {
			v->to = SENDER_ACTIVE;
			snprintf(v->why, sizeof(v->why), "rates back under "
			    "the warning thresholds");
		}
		break;
	}
	return v->to != s->state;
}

/*
 * The windows to read: never back beyond judged_from (the start of the
 * last probation), so a storm once paid for is not judged again.  Such a
 * window starts at the beginning of the bucket judged_from fell in
 * (rep_windows() takes off what that bucket held before it), so that
 * mail counted since then is all read even when a minute or an hour has
 * turned in between.
 */
void
rep_spans(const REP_RULES *r, const SENDER_STATE *s, int64_t now,
    int64_t span[2])
{
	int64_t jf = s->judged_from, m;
	int i;

	for (i = 0; i < 2; i++) {
		span[i] = r->window[i];
		if (jf == 0 || now - jf >= span[i])
			continue;
		/* as many whole buckets as from judged_from's to now's */
		m = (now - now % 60) - (jf - jf % 60) + 60;
		if (m > SENDER_KEEP_MINUTES * 60)	/* hour buckets */
			m = (now - now % 3600) - (jf - jf % 3600) + 3600;
		span[i] = m > 0 ? m : 1;
	}
}

/* A change that time alone brings (checked without reading counters). */
int
rep_due(const REP_RULES *r, const SENDER_STATE *s, int64_t now)
{
	if (s->state == SENDER_PAUSED)
		return s->paused_until != 0 && now >= s->paused_until;
	if (s->state == SENDER_PROBATION)
		return now - s->since >= r->window[0];
	return 0;
}

/*
 * Read both windows.  Where a window reaches the bucket holding
 * judged_from, what that bucket had counted by then is taken off, so the
 * rates are those since probation began to the second, whatever the
 * bucket size.
 */
int
rep_windows(STORE_TXN *t, const REP_RULES *r, const char *key,
    const SENDER_STATE *s, int64_t now, REP_WINDOWS *w)
{
	int64_t start, unit;
	int i, j, g;

	memset(w, 0, sizeof(*w));
	rep_spans(r, s, now, w->span);
	for (i = 0; i < 2; i++) {
		if (sender_window(t, key, w->span[i], now, &w->w[i]) != 0)
			return STORE_ERROR;
		if (s->judged_from == 0)
			continue;
		start = sender_window_start(w->span[i], now, &unit);
		g = unit == 60 ? 0 : 1;
		if (start > s->judged_from - s->judged_from % unit)
			continue;		/* its bucket is not read */
		for (j = 0; j < SENDER_COUNTERS; j++)
			w->w[i].n[j] -= w->w[i].n[j] < s->base[g].n[j] ?
			    w->w[i].n[j] : s->base[g].n[j];
	}
	return 0;
}

/*
 * Judge a sender now and commit a change in the caller's transaction.
 * *s: its record (read here); 1 changed, 0 not, STORE_ERROR.
 */
int
rep_update(STORE_TXN *t, const REP_RULES *r, const char *key, int64_t now,
    SENDER_STATE *s, REP_CHANGE *ch)
{
	int rc;

	rc = sender_get(t, key, s);
	if (rc == STORE_ERROR && store_txn_error(t) != NULL) {
		memset(ch, 0, sizeof(*ch));
		return STORE_ERROR;
	}
	if (rc != 0)
		memset(s, 0, sizeof(*s));
	return rep_apply(t, r, key, now, s, ch);
}

/* The same, for a record *s the caller has just read in this transaction. */
int
rep_apply(STORE_TXN *t, const REP_RULES *r, const char *key, int64_t now,
    SENDER_STATE *s, REP_CHANGE *ch)
{
	REP_WINDOWS w;
	REP_VERDICT v;

	memset(ch, 0, sizeof(*ch));
	if (rep_windows(t, r, key, s, now, &w) != 0)
		return STORE_ERROR;
	if (!rep_judge(r, s, &w, now, &v))
		return 0;
	ch->from = s->state;
	ch->to = v.to;
	snprintf(ch->why, sizeof(ch->why), "%s", v.why);
	if (v.to == SENDER_PAUSED) {
		s->manual = 0;
		s->paused_until = v.until;
		s->cooldown = v.cooldown;
	}
	if (sender_set_state(t, key, s, v.to, "repguard", v.why, now) != 0)
		return STORE_ERROR;
	return 1;
}

/* Housekeeping: judge again every sender not simply active. */

struct rep_sweep {
	const REP_RULES	*rules;
	int64_t		 now;
	char		(*keys)[SENDER_KEY_MAX];
	size_t		 n, max;
	REP_SWEEP_FN	 fn;
	void		*ctx;
	long		 changed;
};

static int
rep_sweep_list_cb(const char *key, const SENDER_STATE *s, void *ctx)
{
	struct rep_sweep *sw = ctx;

	if (s->state == SENDER_ACTIVE)
		return 0;
	snprintf(sw->keys[sw->n++], SENDER_KEY_MAX, "%s", key);
	return sw->n == sw->max;
}

static int
rep_sweep_list_fn(STORE_TXN *t, void *ctx)
{
	struct rep_sweep *sw = ctx;

	sw->n = 0;
	return sender_list(t, rep_sweep_list_cb, sw) != 0 ? STORE_ERROR : 0;
}

static int
rep_sweep_update_fn(STORE_TXN *t, void *ctx)
{
	struct rep_sweep *sw = ctx;
	SENDER_STATE s;
	REP_CHANGE ch;
	size_t i;
	int rc;

	sw->changed = 0;
	for (i = 0; i < sw->n; i++) {
		if ((rc = rep_update(t, sw->rules, sw->keys[i], sw->now, &s,
		    &ch)) < 0)
			return STORE_ERROR;
		if (rc > 0) {
			sw->changed++;
			sw->fn(sw->keys[i], &ch, sw->ctx);
		}
	}
	return 0;
}

/*
 * Judge up to 'max' senders that are in warning, paused or probation
 * (those whose state time or falling rates can change without new
 * bounces), one write transaction for all; fn(key, change, ctx) for each
 * change, from inside the transaction (it may run again if the store
 * grows: it should only log).  Returns the number changed, or -1 with
 * err.
 */
long
rep_sweep(STORE *st, const REP_RULES *r, int64_t now, size_t max,
    REP_SWEEP_FN fn, void *ctx, char *err, size_t errlen)
{
	struct rep_sweep sw;
	long rc = 0;

	memset(&sw, 0, sizeof(sw));
	sw.rules = r;
	sw.now = now;
	sw.max = max ? max : 1;
	sw.fn = fn;
	sw.ctx = ctx;
	sw.keys = mem_calloc(sw.max, sizeof(*sw.keys));
	if (store_read(st, rep_sweep_list_fn, &sw, err, errlen) != 0 ||
	    (sw.n > 0 && store_write(st, rep_sweep_update_fn, &sw, err,
	    errlen) != 0))
		rc = -1;
	else
		rc = sw.changed;
	free(sw.keys);
	return rc;
}
