/*
 * test_reputation.c - unit tests for policy/reputation/reputation.c and
 * policy/reputation/history.c.
 *
 * Covers: the state machine as a table over rep_judge() with the clock
 * passed in (every transition; short and long window; the minimum volume
 * and the absolute counts below it; complaint- and policy-driven pauses;
 * exact threshold boundaries; probation with its stricter rules, relapse
 * with a doubled and capped cool-down; a manual pause that never ends by
 * itself); the probation windows; then through a real LMDB store:
 * bounces counted in the buckets of their message, a pause committed
 * with its history, the cool-down ending at rep_due(), probation not
 * judging the traffic that caused the pause, the housekeeping sweep,
 * and the history's limit and removal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reputation/history.h"
#include "reputation/reputation.h"
#include "reputation/sender.h"
#include "store/store.h"
#include "tap.h"

#define T0	1699999200LL		/* a whole hour */
#define H	3600LL

enum { A = SENDER_ACTIVE, W = SENDER_WARNING, P = SENDER_PAUSED,
    B = SENDER_PROBATION };

/* counts of one window: recipients, hard, complaints, policy (major),
 * blocked (0 when left out) */
struct win { uint64_t rcpts, hard, compl, major, blocked; };

static const struct judge_case {
	const char	*name;
	int		 state, manual;
	int64_t		 since, until, cooldown;	/* relative to T0 */
	struct win	 s, l;				/* short, long */
	int		 to;
	int64_t		 new_until, new_cooldown;	/* if to == P */
	const char	*why;				/* a part of it */
} judge_cases[] = {
	{ "1% hard: stays active", A, 0, -H, 0, 0, { 1000, 10, 0, 0, 0 },
	    { 1000, 10, 0, 0, 0 }, A, 0, 0, NULL },
	{ "1.9% hard: stays active", A, 0, -H, 0, 0, { 1000, 19, 0, 0, 0 },
	    { 1000, 19, 0, 0, 0 }, A, 0, 0, NULL },
	{ "exactly 2% hard: warning", A, 0, -H, 0, 0, { 1000, 20, 0, 0, 0 },
	    { 1000, 20, 0, 0, 0 }, W, 0, 0,
	    "hard-bounce rate 2.00% (20 of 1000 recipients in 1h) >= 2.00%" },
	{ "4.9% hard: warning", A, 0, -H, 0, 0, { 1000, 49, 0, 0, 0 },
	    { 1000, 49, 0, 0, 0 }, W, 0, 0, "4.90%" },
	{ "exactly 5% hard: paused for the cool-down", A, 0, -H, 0, 0,
	    { 1000, 50, 0, 0, 0 }, { 1000, 50, 0, 0, 0 }, P, 4 * H, 4 * H,
	    "hard-bounce rate 5.00% (50 of 1000 recipients in 1h) >= 5.00%; "
	    "cool-down 4h" },
	{ "20% of 99 recipients: below the minimum volume, no rate", A, 0,
	    -H, 0, 0, { 99, 20, 0, 0, 0 }, { 99, 20, 0, 0, 0 }, A, 0, 0, NULL },
	{ "25 hard bounces of 50: the absolute count pauses", A, 0, -H, 0, 0,
	    { 50, 25, 0, 0, 0 }, { 50, 25, 0, 0, 0 }, P, 4 * H, 4 * H,
	    "25 hard bounces in 1h, below the minimum volume (50 of 100 "
	    "recipients) (limit 25)" },
	{ "24 hard bounces of 50: not yet", A, 0, -H, 0, 0, { 50, 24, 0, 0, 0 },
	    { 50, 24, 0, 0, 0 }, A, 0, 0, NULL },
	{ "long window only: 5.2% over a day pauses", A, 0, -H, 0, 0,
	    { 0, 0, 0, 0, 0 }, { 5000, 260, 0, 0, 0 }, P, 4 * H, 4 * H,
	    "(260 of 5000 recipients in 1d)" },
	{ "long window only: 2.2% over a day warns", A, 0, -H, 0, 0,
	    { 0, 0, 0, 0, 0 }, { 5000, 110, 0, 0, 0 }, W, 0, 0, "in 1d" },
	{ "0.3% complaints: paused", A, 0, -H, 0, 0, { 1000, 0, 3, 0, 0 },
	    { 1000, 0, 3, 0, 0 }, P, 4 * H, 4 * H,
	    "complaint rate 0.30% (3 of 1000 recipients in 1h) >= 0.30%" },
	{ "0.08% complaints: warning", A, 0, -H, 0, 0, { 0, 0, 0, 0, 0 },
	    { 10000, 0, 8, 0, 0 }, W, 0, 0, "complaint rate 0.08%" },
	{ "0.07% complaints: active", A, 0, -H, 0, 0, { 0, 0, 0, 0, 0 },
	    { 10000, 0, 7, 0, 0 }, A, 0, 0, NULL },
	{ "5 complaints of 40 recipients: paused", A, 0, -H, 0, 0,
	    { 40, 0, 5, 0, 0 }, { 40, 0, 5, 0, 0 }, P, 4 * H, 4 * H,
	    "5 complaints in 1h" },
	{ "10 policy bounces from major receivers: paused", A, 0, -H, 0, 0,
	    { 5000, 0, 0, 10, 0 }, { 5000, 0, 0, 10, 0 }, P, 4 * H, 4 * H,
	    "10 policy/blocklist bounces from major receivers in 1h" },
	{ "9 policy bounces from major receivers: active", A, 0, -H, 0, 0,
	    { 5000, 0, 0, 9, 0 }, { 5000, 0, 0, 9, 0 }, A, 0, 0, NULL },
	{ "10% of recipients blocked by receivers: warning (block rate)", A,
	    0, -H, 0, 0, { 1000, 0, 0, 0, 100 }, { 1000, 0, 0, 0, 100 }, W,
	    0, 0, "block rate 10.00% (100 of 1000 recipients in 1h) >= "
	    "10.00%" },
	{ "9.9% blocked: active", A, 0, -H, 0, 0, { 1000, 0, 0, 0, 99 },
	    { 1000, 0, 0, 0, 99 }, A, 0, 0, NULL },
	{ "60% blocked: only a warning (PauseBlockRate is off by default)", A,
	    0, -H, 0, 0, { 1000, 0, 0, 0, 600 }, { 1000, 0, 0, 0, 600 }, W,
	    0, 0, "block rate 60.00%" },
	{ "warning, rates fine again: active", W, 0, -H, 0, 0,
	    { 1000, 1, 0, 0, 0 }, { 1000, 1, 0, 0, 0 }, A, 0, 0,
	    "rates back under the warning thresholds" },
	{ "warning, still 3%: no change", W, 0, -H, 0, 0, { 1000, 30, 0, 0, 0 },
	    { 1000, 30, 0, 0, 0 }, W, 0, 0, NULL },
	{ "warning to paused", W, 0, -H, 0, 0, { 1000, 60, 0, 0, 0 },
	    { 1000, 60, 0, 0, 0 }, P, 4 * H, 4 * H, "6.00%" },
	{ "paused, cool-down not over: no change (rates not judged)", P, 0,
	    -H, 3 * H, 4 * H, { 1000, 0, 0, 0, 0 }, { 1000, 0, 0, 0, 0 }, P, 0, 0,
	    NULL },
	{ "paused, cool-down over: probation", P, 0, -4 * H, 0, 4 * H,
	    { 1000, 500, 0, 0, 0 }, { 1000, 500, 0, 0, 0 }, B, 0, 0,
	    "cool-down of 4h ended" },
	{ "manual pause without an end: never ends", P, 1, -1000 * H, 0, 0,
	    { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, P, 0, 0, NULL },
	{ "manual pause with an end, over: active", P, 1, -2 * H, 0, 0,
	    { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 }, A, 0, 0,
	    "the operator's pause ended" },
	{ "probation, 3% of 100 (over the halved 5%): paused, cool-down "
	    "doubled", B, 0, -600, 0, 4 * H, { 100, 3, 0, 0, 0 },
	    { 100, 3, 0, 0, 0 }, P, 8 * H, 8 * H,
	    "on probation: hard-bounce rate 3.00% (3 of 100 recipients in "
	    "11m) >= 2.50%; cool-down 8h" },
	{ "probation, 2% of 100: no change yet", B, 0, -600, 0, 4 * H,
	    { 100, 2, 0, 0, 0 }, { 100, 2, 0, 0, 0 }, B, 0, 0, NULL },
	{ "probation, 12 hard bounces below the volume (half of 25): paused",
	    B, 0, -600, 0, 4 * H, { 20, 12, 0, 0, 0 }, { 20, 12, 0, 0, 0 }, P,
	    8 * H, 8 * H, "(limit 12)" },
	{ "probation, 11 hard bounces below the volume: no change", B, 0,
	    -600, 0, 4 * H, { 20, 11, 0, 0, 0 }, { 20, 11, 0, 0, 0 }, B, 0, 0,
	    NULL },
	{ "probation, a clean short window: active", B, 0, -H, 0, 4 * H,
	    { 500, 1, 0, 0, 0 }, { 500, 1, 0, 0, 0 }, A, 0, 0,
	    "probation passed: 1h and 500 recipients within the stricter "
	    "rules" },
	{ "probation, a short window with 20 recipients: not yet judged", B,
	    0, -H, 0, 4 * H, { 20, 0, 0, 0, 0 }, { 20, 0, 0, 0, 0 }, B, 0, 0, NULL },
	{ "probation, a long window with 20 recipients: active (a small "
	    "sender)", B, 0, -24 * H, 0, 4 * H, { 20, 0, 0, 0, 0 },
	    { 20, 0, 0, 0, 0 }, A, 0, 0, "probation passed: 1d and 20" },
	{ "1 complaint of 200 (0.5%): below MinimumEvents, not judged", A, 0,
	    -H, 0, 0, { 200, 0, 1, 0, 0 }, { 200, 0, 1, 0, 0 }, A, 0, 0, NULL },
	{ "2 complaints of 2000 (0.1%): below MinimumEvents, no warning", A,
	    0, -H, 0, 0, { 2000, 0, 2, 0, 0 }, { 2000, 0, 2, 0, 0 }, A, 0, 0, NULL },
	{ "3 complaints of 1000 (0.3%): paused", A, 0, -H, 0, 0,
	    { 1000, 0, 3, 0, 0 }, { 1000, 0, 3, 0, 0 }, P, 4 * H, 4 * H,
	    "complaint rate 0.30% (3 of 1000" },
	{ "probation relapse: cool-down capped at 7 days", B, 0, -600, 0,
	    5 * 24 * H, { 100, 50, 0, 0, 0 }, { 100, 50, 0, 0, 0 }, P, 7 * 24 * H,
	    7 * 24 * H, "cool-down 1w" },
};

static void
win_set(SENDER_COUNTS *c, const struct win *w)
{
	memset(c, 0, sizeof(*c));
	c->n[SENDER_RECIPIENTS] = w->rcpts;
	c->n[SENDER_HARD] = w->hard;
	c->n[SENDER_COMPLAINTS] = w->compl;
	c->n[SENDER_POLICY] = w->major;
	c->n[SENDER_POLICY_MAJOR] = w->major;
	c->n[SENDER_BLOCKED] = w->blocked;
	c->n[SENDER_POLICY] += w->blocked;
}

/* PauseBlockRate set: a sender whose mail is blocked that much pauses. */
static void
test_block_pause(const REP_RULES *defaults)
{
	static const struct win bad = { 1000, 0, 0, 0, 250 };
	REP_RULES r = *defaults;
	SENDER_STATE s;
	REP_WINDOWS w;
	REP_VERDICT v;

	r.pause_block = 200000;			/* 20 % */
	memset(&s, 0, sizeof(s));
	s.since = T0 - H;
	memset(&w, 0, sizeof(w));
	rep_spans(&r, &s, T0, w.span);
	win_set(&w.w[0], &bad);
	win_set(&w.w[1], &bad);
	(void)rep_judge(&r, &s, &w, T0, &v);
	tap_ok(v.to == P && strstr(v.why, "block rate 25.00%") != NULL,
	    "PauseBlockRate 20%%: 25%% blocked pauses (%s)", v.why);
	r.pause_block = 300000;
	(void)rep_judge(&r, &s, &w, T0, &v);
	tap_ok(v.to == W, "PauseBlockRate 30%%: 25%% blocked only warns");
}

static void
test_judge(void)
{
	REP_RULES r;
	size_t i;

	rep_rules_default(&r);
	for (i = 0; i < sizeof(judge_cases) / sizeof(judge_cases[0]); i++) {
		const struct judge_case *c = &judge_cases[i];
		SENDER_STATE s;
		REP_WINDOWS w;
		REP_VERDICT v;
		int changed;

		memset(&s, 0, sizeof(s));
		s.state = c->state;
		s.manual = c->manual;
		s.since = T0 + c->since;
		if (c->state == P) {
			s.paused_at = s.since;
			s.paused_until = c->manual && c->since == -1000 * H ?
			    0 : T0 + c->until;
		}
		s.cooldown = c->cooldown;
		if (c->state == B)
			s.judged_from = s.since;
		memset(&w, 0, sizeof(w));
		rep_spans(&r, &s, T0, w.span);
		win_set(&w.w[0], &c->s);
		win_set(&w.w[1], &c->l);
		changed = rep_judge(&r, &s, &w, T0, &v);
		tap_ok(v.to == c->to && changed == (c->to != c->state),
		    "%s: %s -> %s (got %s)", c->name,
		    sender_state_name(c->state), sender_state_name(c->to),
		    sender_state_name(v.to));
		if (c->to == P && c->state != P)
			tap_ok(v.until == T0 + c->new_until &&
			    v.cooldown == c->new_cooldown,
			    "%s: until now + %lld s, cool-down %lld s (got "
			    "%lld, %lld)", c->name, (long long)c->new_until,
			    (long long)c->new_cooldown,
			    (long long)(v.until - T0), (long long)v.cooldown);
		if (c->why != NULL && !tap_ok(strstr(v.why, c->why) != NULL,
		    "%s: the reason says \"%s\"", c->name, c->why))
			printf("#   reason: %s\n", v.why);
	}
	test_block_pause(&r);
}

static void
test_rules(void)
{
	REP_RULES r;
	SENDER_STATE s;
	int64_t span[2];

	rep_rules_default(&r);
	tap_ok(r.window[0] == 3600 && r.window[1] == 86400 &&
	    r.min_volume == 100 && r.warn_hard == 20000 &&
	    r.warn_complaint == 800 && r.pause_hard == 50000 &&
	    r.pause_complaint == 3000 && r.abs_hard == 25 &&
	    r.min_events == 3 &&
	    r.cooldown == 4 * 3600 && r.strict == 50,
	    "defaults: 1h/24h, 100 recipients, 3 events, 2%%/0.08%% warn, "
	    "5%%/0.3%% pause, 25 hard bounces, 4h cool-down, probation at "
	    "50%%");
	memset(&s, 0, sizeof(s));
	s.state = SENDER_PROBATION;
	s.since = s.judged_from = T0 - 600;
	rep_spans(&r, &s, T0, span);
	tap_ok(span[0] == 660 && span[1] == 660,
	    "on probation both windows reach back only to its start: the 11 "
	    "minute buckets from its one to now's");
	s.since = s.judged_from = T0 - 2 * H;
	rep_spans(&r, &s, T0, span);
	tap_ok(span[0] == H && span[1] == 3 * H,
	    "... but never beyond their own length (the long one: the 3 hour "
	    "buckets from probation's to now's)");
	s.state = SENDER_ACTIVE;
	rep_spans(&r, &s, T0, span);
	tap_ok(span[0] == H && span[1] == 3 * H,
	    "active after probation: the long window still stops at its "
	    "start");
	s.judged_from = 0;
	rep_spans(&r, &s, T0, span);
	tap_ok(span[0] == H && span[1] == 24 * H, "never paused: the full "
	    "windows");

	s.state = SENDER_PAUSED;
	s.paused_until = T0;
	tap_int(rep_due(&r, &s, T0 - 1), 0, "a pause is not due before its end");
	tap_int(rep_due(&r, &s, T0), 1, "... and due at its end");
	s.paused_until = 0;
	tap_int(rep_due(&r, &s, T0 + 1000 * H), 0,
	    "a pause without an end is never due");
	s.state = SENDER_PROBATION;
	s.since = T0 - H + 1;
	tap_int(rep_due(&r, &s, T0), 0, "probation not due within its window");
	tap_int(rep_due(&r, &s, T0 + 1), 1, "... and due after it");
	s.state = SENDER_WARNING;
	tap_int(rep_due(&r, &s, T0 + 1000 * H), 0,
	    "warning is never due by time alone");
}

/* --- through the store ----------------------------------------------------- */

struct op {
	const REP_RULES	*r;
	const char	*key;
	int64_t		 now, when;
	SENDER_COUNTS	 add;
	SENDER_STATE	 s;
	REP_CHANGE	 ch;
	int		 rc;
	HISTORY_ENTRY	 h[200];
	size_t		 nh;
	REP_WINDOWS	 w;
};

static int
count_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	if (sender_count_at(t, o->key, &o->add, o->when, o->now) != 0)
		return STORE_ERROR;
	o->rc = rep_update(t, o->r, o->key, o->now, &o->s, &o->ch);
	return o->rc < 0 ? STORE_ERROR : 0;
}

static int
update_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	o->rc = rep_update(t, o->r, o->key, o->now, &o->s, &o->ch);
	return o->rc < 0 ? STORE_ERROR : 0;
}

static int
hist_cb(const HISTORY_ENTRY *e, void *ctx)
{
	struct op *o = ctx;

	if (o->nh < sizeof(o->h) / sizeof(o->h[0]))
		o->h[o->nh++] = *e;
	return 0;
}

static int
hist_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	o->nh = 0;
	return history_list(t, o->key, hist_cb, o);
}

/* count: messages/recipients sent at 'when', or bounces about them */
static int
count(STORE *st, struct op *o, int64_t when, int64_t now, uint64_t msgs,
    uint64_t rcpts, uint64_t hard)
{
	char err[256] = "";

	memset(&o->add, 0, sizeof(o->add));
	o->add.n[SENDER_MESSAGES] = msgs;
	o->add.n[SENDER_RECIPIENTS] = rcpts;
	o->add.n[SENDER_HARD] = hard;
	o->when = when;
	o->now = now;
	if (store_write(st, count_fn, o, err, sizeof(err)) != 0) {
		tap_ok(0, "store: %s", err);
		return -1;
	}
	return o->rc;
}

static void
test_store(STORE *st)
{
	REP_RULES r;
	struct op o;
	char err[256] = "";
	int64_t t;

	rep_rules_default(&r);
	memset(&o, 0, sizeof(o));
	o.r = &r;
	o.key = "stale@example.com";

	/* 200 recipients at T0; 8 hard bounces come back 30 minutes on */
	tap_int(count(st, &o, T0, T0, 10, 200, 0), 0, "sending: no change");
	tap_int(count(st, &o, T0, T0 + 1800, 0, 0, 8), 1,
	    "8 hard bounces of 200 (4%%): a change");
	tap_ok(o.ch.from == A && o.ch.to == W && o.s.state == W,
	    "... active -> warning, in the record");
	tap_int(count(st, &o, T0, T0 + 1900, 0, 0, 2), 1,
	    "2 more (5%%): a change");
	tap_ok(o.ch.to == P && o.s.state == P && !o.s.manual &&
	    o.s.paused_until == T0 + 1900 + 4 * H && o.s.cooldown == 4 * H,
	    "... paused by the engine until the 4h cool-down ends");

	/* the bounces of a message sent at T0 count in T0's buckets */
	o.now = T0 + 2 * H + 60;
	tap_ok(rep_due(&r, &o.s, T0 + 1900 + 4 * H - 1) == 0 &&
	    rep_due(&r, &o.s, T0 + 1900 + 4 * H) == 1,
	    "the cool-down is due exactly at its end");

	t = T0 + 1900 + 4 * H;
	o.now = t;
	tap_int(store_write(st, update_fn, &o, err, sizeof(err)), 0,
	    "update at the end of the cool-down");
	tap_ok(o.rc == 1 && o.s.state == B && o.s.since == t &&
	    o.s.cooldown == 4 * H, "paused -> probation, cool-down kept for "
	    "a relapse");

	/* on probation, clean traffic: the old bounces are not judged */
	tap_int(count(st, &o, t + 60, t + 60, 5, 100, 0), 0,
	    "100 clean recipients on probation: no change");
	tap_int(count(st, &o, t + 60, t + 120, 0, 0, 2), 0,
	    "2 hard of 100 on probation (2%%, under 2.5%%): no change");
	o.now = t + H;
	tap_int(store_write(st, update_fn, &o, err, sizeof(err)), 0,
	    "update a window later");
	tap_ok(o.rc == 1 && o.s.state == A && o.s.cooldown == 0,
	    "probation -> active after a clean window; cool-down reset");

	/* the storm that caused the pause is not judged again; a new one
	 * pauses, and a relapse on probation doubles the cool-down */
	t += 2 * H;
	tap_int(count(st, &o, t, t, 0, 100, 0), 0, "100 more recipients: "
	    "no change (the day's window stops at probation's start)");
	tap_ok(o.s.state == A && o.s.judged_from == T0 + 1900 + 4 * H,
	    "... still active, judged from probation's start");
	tap_int(count(st, &o, t, t + 60, 0, 0, 10), 1, "10 hard bounces of "
	    "the new 100");
	tap_ok(o.s.state == P && o.s.cooldown == 4 * H &&
	    strstr(o.ch.why, "(10 of 100 recipients in 1h)") != NULL,
	    "paused, 4h (%s)", o.ch.why);
	o.now = t + 60 + 4 * H;
	store_write(st, update_fn, &o, err, sizeof(err));
	tap_int(o.s.state, B, "probation after the cool-down");
	t = o.now;
	count(st, &o, t + 10, t + 10, 0, 100, 0);
	tap_int(count(st, &o, t + 10, t + 20, 0, 0, 3), 1,
	    "3 hard of 100 on probation (3%%): a change");
	tap_ok(o.s.state == P && o.s.cooldown == 8 * H &&
	    o.s.paused_until == t + 20 + 8 * H,
	    "probation -> paused with the cool-down doubled to 8h");

	/* the history has every change, oldest first */
	store_read(st, hist_fn, &o, err, sizeof(err));
	tap_int((long long)o.nh, 7, "history: seven changes");
	if (o.nh == 7) {
		tap_ok(o.h[0].from == A && o.h[0].to == W &&
		    o.h[1].to == P && o.h[2].to == B && o.h[3].to == A &&
		    o.h[4].from == A && o.h[4].to == P && o.h[5].to == B &&
		    o.h[6].from == B && o.h[6].to == P,
		    "history: warning, paused, probation, active, paused, "
		    "probation, paused");
		tap_ok(o.h[0].time == T0 + 1800 &&
		    strcmp(o.h[0].by, "repguard") == 0 &&
		    strstr(o.h[0].why, "4.00% (8 of 200") != NULL,
		    "history: time, by and the numbers that caused it (%s)",
		    o.h[0].why);
	}
}

static int
windows_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	if (sender_get(t, o->key, &o->s) != 0)
		return STORE_ERROR;
	return rep_windows(t, o->r, o->key, &o->s, o->now, &o->w);
}

/*
 * Probation that begins within the minute of the traffic that caused the
 * pause: that minute's counts until then are not probation's.
 */
static void
test_baseline(STORE *st)
{
	REP_RULES r;
	struct op o;
	char err[256] = "";
	int64_t t = T0 + 10;

	rep_rules_default(&r);
	r.window[0] = 60;
	r.min_volume = 10;
	r.min_events = 1;
	r.cooldown = 5;
	memset(&o, 0, sizeof(o));
	o.r = &r;
	o.key = "quick@example.com";
	count(st, &o, t, t, 1, 10, 0);
	tap_int(count(st, &o, t, t + 1, 0, 0, 2), 1, "20%% hard: a change");
	tap_int(o.s.state, P, "... paused for 5 s");
	o.now = t + 6;
	store_write(st, update_fn, &o, err, sizeof(err));
	tap_ok(o.rc == 1 && o.s.state == B, "probation 5 s on, in the same "
	    "minute bucket");
	tap_ok(o.s.base[0].n[SENDER_RECIPIENTS] == 10 &&
	    o.s.base[0].n[SENDER_HARD] == 2 &&
	    o.s.base[1].n[SENDER_RECIPIENTS] == 10,
	    "the minute and hour buckets' counts are kept as its baseline");
	tap_int(count(st, &o, t + 7, t + 7, 1, 10, 0), 0,
	    "10 clean recipients on probation: no relapse (the bucket's "
	    "earlier 20%% is not probation's)");
	o.now = t + 8;
	store_read(st, windows_fn, &o, err, sizeof(err));
	tap_ok(o.w.w[0].n[SENDER_RECIPIENTS] == 10 &&
	    o.w.w[0].n[SENDER_HARD] == 0 &&
	    o.w.w[1].n[SENDER_RECIPIENTS] == 10,
	    "probation's windows: only what came after it began (baseline "
	    "kept in the record)");
	tap_int(count(st, &o, t + 7, t + 9, 0, 0, 1), 1,
	    "1 hard bounce of probation's 10 recipients (10%%): a change");
	tap_ok(o.s.state == P && o.s.cooldown == 10, "... paused again, "
	    "cool-down doubled to 10 s");
}

/*
 * Probation's mail is all counted though a minute turns: begun at second
 * 50, mail at 55 and at 65, judged at 70.
 */
static void
test_turn_of_minute(STORE *st)
{
	REP_RULES r;
	struct op o;
	char err[256] = "";
	int64_t t = T0 + 3 * H;		/* a whole minute */

	rep_rules_default(&r);
	r.window[0] = 10;
	r.min_volume = 10;
	r.min_events = 1;
	r.cooldown = 5;
	memset(&o, 0, sizeof(o));
	o.r = &r;
	o.key = "turn@example.com";
	count(st, &o, t + 40, t + 40, 1, 10, 0);
	count(st, &o, t + 40, t + 41, 0, 0, 5);
	tap_int(o.s.state, P, "paused at second 41");
	o.now = t + 50;
	store_write(st, update_fn, &o, err, sizeof(err));
	tap_int(o.s.state, B, "on probation from second 50");
	count(st, &o, t + 55, t + 55, 1, 6, 0);
	count(st, &o, t + 65, t + 65, 1, 6, 0);
	o.now = t + 70;
	store_read(st, windows_fn, &o, err, sizeof(err));
	tap_ok(o.w.w[1].n[SENDER_RECIPIENTS] == 12 &&
	    o.w.w[1].n[SENDER_HARD] == 0,
	    "at second 70 the long window holds the 12 recipients of seconds "
	    "55 and 65 and none of before (got %llu; the 10 s window, shorter "
	    "than a bucket, reads this minute: %llu)",
	    (unsigned long long)o.w.w[1].n[SENDER_RECIPIENTS],
	    (unsigned long long)o.w.w[0].n[SENDER_RECIPIENTS]);
	store_write(st, update_fn, &o, err, sizeof(err));
	tap_ok(o.s.state == A, "... and probation passes on them (rc %d, "
	    "state %s: %s)", o.rc, sender_state_name(o.s.state), o.ch.why);
}

static void
note(const char *key, const REP_CHANGE *ch, void *ctx)
{
	int *n = ctx;

	if (strcmp(key, "cooling@example.com") == 0 &&
	    ch->from == SENDER_PAUSED && ch->to == SENDER_PROBATION)
		(*n)++;
}

static int
put_fn(STORE_TXN *t, void *ctx)
{
	SENDER_STATE *s = ctx;

	return sender_put(t, "cooling@example.com", s) != 0 ||
	    sender_put(t, "fine@example.com", &(SENDER_STATE){ 0 }) != 0 ?
	    STORE_ERROR : 0;
}

static void
test_sweep(STORE *st)
{
	REP_RULES r;
	SENDER_STATE s;
	char err[256] = "";
	int n = 0;
	long rc;

	rep_rules_default(&r);
	memset(&s, 0, sizeof(s));
	s.state = SENDER_PAUSED;
	s.paused_at = s.since = T0;
	s.paused_until = T0 + 4 * H;
	s.cooldown = 4 * H;
	store_write(st, put_fn, &s, err, sizeof(err));
	rc = rep_sweep(st, &r, T0 + H, 100, note, &n, err, sizeof(err));
	tap_ok(rc >= 0 && n == 0, "sweep within the cool-down: no change to "
	    "it");
	rc = rep_sweep(st, &r, T0 + 4 * H, 100, note, &n, err, sizeof(err));
	tap_ok(rc >= 1 && n == 1, "sweep after the cool-down: paused -> "
	    "probation reported");
	sender_lookup(st, "cooling@example.com", &s, err, sizeof(err));
	tap_int(s.state, SENDER_PROBATION, "... written: probation");
}

static int
hist_many_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;
	HISTORY_ENTRY e;
	int i;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < HISTORY_KEEP + 5; i++) {
		e.time = T0 + i;
		e.from = i % 4;
		e.to = (i + 1) % 4;
		snprintf(e.by, sizeof(e.by), "test");
		snprintf(e.why, sizeof(e.why), "entry %d", i);
		if (history_add(t, o->key, (uint64_t)i, &e) != 0)
			return STORE_ERROR;
	}
	return 0;
}

static int
hist_drop_fn(STORE_TXN *t, void *ctx)
{
	struct op *o = ctx;

	return history_drop(t, o->key);
}

static void
test_history(STORE *st)
{
	struct op o;
	char err[256] = "";

	memset(&o, 0, sizeof(o));
	o.key = "many";
	tap_int(store_write(st, hist_many_fn, &o, err, sizeof(err)), 0,
	    "history: %d entries added", HISTORY_KEEP + 5);
	store_read(st, hist_fn, &o, err, sizeof(err));
	tap_int((long long)o.nh, HISTORY_KEEP, "history: the newest %d kept",
	    HISTORY_KEEP);
	tap_ok(o.nh > 0 && strcmp(o.h[0].why, "entry 5") == 0 &&
	    strcmp(o.h[o.nh - 1].why, "entry 104") == 0,
	    "history: the oldest five went, in order");
	o.key = "manx";			/* a neighbour's prefix stays apart */
	store_read(st, hist_fn, &o, err, sizeof(err));
	tap_int((long long)o.nh, 0, "history of another key: empty");
	o.key = "many";
	tap_int(store_write(st, hist_drop_fn, &o, err, sizeof(err)), 0,
	    "history_drop");
	store_read(st, hist_fn, &o, err, sizeof(err));
	tap_int((long long)o.nh, 0, "history: gone after history_drop");
}

int
main(void)
{
	char dir[] = "/tmp/test_reputation.XXXXXX", err[256], cmd[64];
	STORE *st;

	test_judge();
	test_rules();
	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp");
		return tap_done();
	}
	if ((st = store_open(dir, NULL, err, sizeof(err))) == NULL)
		tap_ok(0, "store_open: %s", err);
	else {
		test_store(st);
		test_baseline(st);
		test_turn_of_minute(st);
		test_sweep(st);
		test_history(st);
		store_close(st);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_ok(0, "rm -rf %s", dir);
	return tap_done();
}
