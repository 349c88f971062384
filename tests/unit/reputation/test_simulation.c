/*
 * test_simulation.c - a synthetic day of traffic for 1,000 senders
 * through the policy library (store, counters, reputation engine), with
 * the clock passed in: a day runs in seconds.
 *
 * Senders (deterministic pseudo-random traffic, a message about every ten
 * minutes to 1..9 recipients; bounces come back 1 to 30 minutes after
 * their message and count in its buckets):
 *   clean (930)	0.5 % hard bounces, 0.02 % complaints
 *   grey (20)		2.5 % hard bounces: above the warning level only
 *   stale (20)		10 % hard bounces: a stale list
 *   complainer (10)	0.5 % hard bounces, 0.8 % complaints
 *   storm (1)		clean, then from 14:00 to 14:10 a bought list:
 *			200 recipients a minute, 30 % hard bounces
 *   quiet (19)		one small message an hour, no bounce
 * A paused sender's mail is refused and not counted (its client retries
 * later); the engine runs as in the daemon: after each minute's counts and
 * bounces for the senders they touched, and for every sender not active.
 *
 * Asserts which senders end paused and when: every stale sender and every
 * complainer is paused (the stale ones within the first hours, once their
 * day's window holds the minimum volume) and no stale sender ends the day
 * active (probation relapses); the storm is paused within 20 minutes of
 * 14:00 by its hard-bounce rate; no quiet sender is ever paused and at
 * most two clean ones (a chance run of three complaints); most grey
 * senders are warned but at most a few paused.  Prints a summary.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reputation/reputation.h"
#include "reputation/sender.h"
#include "store/store.h"
#include "tap.h"

#define DAY0		1795824000LL	/* 2026-11-28T00:00:00Z */
#define MINUTES		1440
#define NSENDERS	1000
#define STORM_AT	(14 * 60)

enum kind { CLEAN, GREY, STALE, COMPLAINER, STORM, QUIET, NKINDS };
static const char *const kind_names[] = {
	"clean", "grey", "stale", "complainer", "storm", "quiet"
};

struct sender {
	char		 key[32];
	int		 kind;
	uint64_t	 rng;
	int		 state;
	int		 touched;
	int		 pauses, warned;
	int		 first_pause;		/* minute, -1: never */
	char		 first_why[HISTORY_WHY_MAX];
	uint64_t	 sent, refused;
};

struct bounce {
	int		 sender;
	int64_t		 sent_at;
	int		 complaint;
};

struct slot {
	struct bounce	*v;
	size_t		 n, cap;
};

static struct sender senders[NSENDERS];
static struct slot arrivals[MINUTES + 32];
static REP_RULES rules;

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* true with probability ppm / 1e6 */
static int
chance(uint64_t *s, unsigned ppm)
{
	return rnd(s) % 1000000 < ppm;
}

static void
schedule(int minute, int sender, int64_t sent_at, int complaint)
{
	struct slot *sl;

	if (minute >= MINUTES)
		return;
	sl = &arrivals[minute];
	if (sl->n == sl->cap) {
		sl->cap = sl->cap ? sl->cap * 2 : 64;
		sl->v = realloc(sl->v, sl->cap * sizeof(*sl->v));
		if (sl->v == NULL)
			abort();
	}
	sl->v[sl->n].sender = sender;
	sl->v[sl->n].sent_at = sent_at;
	sl->v[sl->n].complaint = complaint;
	sl->n++;
}

/*
 * One minute: the traffic is drawn before the transaction (store_write()
 * may run its function again if the store grows, so that must not draw
 * or note anything twice); changes are noted after it commits.
 */
struct minute {
	int		 m;
	int64_t		 now;
	SENDER_COUNTS	 add[NSENDERS];
	REP_CHANGE	 ch[NSENDERS];
	int		 changed[NSENDERS];
};

static void
traffic(struct sender *s, int i, int m, int64_t now, SENDER_COUNTS *add)
{
	unsigned hard = 5000, compl = 200, rcpts, r;
	int send = chance(&s->rng, 100000);	/* ~ every 10 minutes */

	memset(add, 0, sizeof(*add));
	switch (s->kind) {
	case GREY: hard = 25000; break;
	case STALE: hard = 100000; break;
	case COMPLAINER: compl = 8000; break;
	case QUIET: hard = 0; compl = 0; send = m % 60 == i % 60; break;
	case STORM:
		if (m >= STORM_AT && m < STORM_AT + 10) {
			send = 1;
			hard = 300000;
		}
		break;
	}
	if (!send)
		return;
	if (s->state == SENDER_PAUSED) {
		s->refused++;
		return;
	}
	rcpts = s->kind == STORM && hard == 300000 ? 200 :
	    s->kind == QUIET ? 1 : 1 + (unsigned)(rnd(&s->rng) % 9);
	add->n[SENDER_MESSAGES] = 1;
	add->n[SENDER_RECIPIENTS] = rcpts;
	s->sent += rcpts;
	for (r = 0; r < rcpts; r++) {
		int delay = 1 + (int)(rnd(&s->rng) % 30);

		if (chance(&s->rng, hard))
			schedule(m + delay, i, now, 0);
		else if (chance(&s->rng, compl))
			schedule(m + delay + 60, i, now, 1);
	}
}

static void
note(struct sender *s, const REP_CHANGE *ch, int m)
{
	if (ch->to == SENDER_PAUSED) {
		if (s->pauses++ == 0) {
			s->first_pause = m;
			snprintf(s->first_why, sizeof(s->first_why), "%s",
			    ch->why);
		}
	}
	if (ch->to == SENDER_WARNING)
		s->warned = 1;
	s->state = ch->to;
}

static void
minute_draw(struct minute *mi)
{
	size_t j;
	int i;

	for (i = 0; i < NSENDERS; i++) {
		senders[i].touched = senders[i].state != SENDER_ACTIVE;
		traffic(&senders[i], i, mi->m, mi->now, &mi->add[i]);
		if (mi->add[i].n[SENDER_MESSAGES] != 0)
			senders[i].touched = 1;
	}
	for (j = 0; j < arrivals[mi->m].n; j++)
		senders[arrivals[mi->m].v[j].sender].touched = 1;
}

static int
minute_fn(STORE_TXN *t, void *ctx)
{
	struct minute *mi = ctx;
	SENDER_COUNTS add;
	SENDER_STATE st;
	size_t j;
	int i;

	for (i = 0; i < NSENDERS; i++)
		if (mi->add[i].n[SENDER_MESSAGES] != 0 && sender_count(t,
		    senders[i].key, &mi->add[i], mi->now) != 0)
			return STORE_ERROR;
	for (j = 0; j < arrivals[mi->m].n; j++) {
		const struct bounce *b = &arrivals[mi->m].v[j];

		memset(&add, 0, sizeof(add));
		add.n[b->complaint ? SENDER_COMPLAINTS : SENDER_HARD] = 1;
		if (sender_count_at(t, senders[b->sender].key, &add,
		    b->sent_at, mi->now) != 0)
			return STORE_ERROR;
	}
	for (i = 0; i < NSENDERS; i++) {
		mi->changed[i] = 0;
		if (senders[i].touched && (mi->changed[i] = rep_update(t,
		    &rules, senders[i].key, mi->now, &st, &mi->ch[i])) < 0)
			return STORE_ERROR;
	}
	return 0;
}

static void
hhmm(int m, char *out, size_t outsize)
{
	if (m < 0)
		snprintf(out, outsize, "never");
	else
		snprintf(out, outsize, "%02d:%02d", m / 60, m % 60);
}

int
main(void)
{
	char dir[] = "/tmp/test_simulation.XXXXXX", err[256], cmd[64];
	char t1[16], t2[16];
	int ever[NKINDS] = { 0 }, warned[NKINDS] = { 0 }, total[NKINDS] = { 0 };
	int final[NKINDS][4], first_min[NKINDS], first_max[NKINDS];
	static struct minute mi;
	STORE_OPTS o;
	STORE *st;
	int i, k;

	rep_rules_default(&rules);
	memset(final, 0, sizeof(final));
	for (k = 0; k < NKINDS; k++) {
		first_min[k] = MINUTES;
		first_max[k] = -1;
	}
	for (i = 0; i < NSENDERS; i++) {
		struct sender *s = &senders[i];

		s->kind = i < 930 ? CLEAN : i < 950 ? GREY : i < 970 ? STALE :
		    i < 980 ? COMPLAINER : i == 980 ? STORM : QUIET;
		snprintf(s->key, sizeof(s->key), "%s%03d@example.com",
		    kind_names[s->kind], i);
		s->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
		s->first_pause = -1;
	}
	memset(&o, 0, sizeof(o));
	o.max_size = 1ULL << 32;
	if (mkdtemp(dir) == NULL || (st = store_open(dir, &o, err,
	    sizeof(err))) == NULL) {
		tap_ok(0, "store: %s", err);
		return tap_done();
	}
	for (mi.m = 0; mi.m < MINUTES; mi.m++) {
		mi.now = DAY0 + mi.m * 60;
		minute_draw(&mi);
		if (store_write(st, minute_fn, &mi, err, sizeof(err)) != 0) {
			tap_ok(0, "minute %d: %s", mi.m, err);
			break;
		}
		for (i = 0; i < NSENDERS; i++)
			if (mi.changed[i] > 0)
				note(&senders[i], &mi.ch[i], mi.m);
	}
	store_close(st);

	for (i = 0; i < NSENDERS; i++) {
		const struct sender *s = &senders[i];

		k = s->kind;
		total[k]++;
		final[k][s->state]++;
		warned[k] += s->warned || s->pauses > 0;
		if (s->pauses > 0) {
			ever[k]++;
			if (s->first_pause < first_min[k])
				first_min[k] = s->first_pause;
			if (s->first_pause > first_max[k])
				first_max[k] = s->first_pause;
		}
	}
	printf("# a day of 1,000 senders (%d minutes, default rules)\n",
	    MINUTES);
	printf("# %-11s %5s %7s %7s %8s %8s %9s  %s\n", "kind", "n",
	    "warned", "paused", "active", "warning", "probation",
	    "first pause (earliest-latest)");
	for (k = 0; k < NKINDS; k++) {
		hhmm(first_min[k] < MINUTES ? first_min[k] : -1, t1,
		    sizeof(t1));
		hhmm(first_max[k], t2, sizeof(t2));
		printf("# %-11s %5d %7d %7d %8d %8d %9d  %s-%s (now paused: "
		    "%d)\n", kind_names[k], total[k], warned[k], ever[k],
		    final[k][SENDER_ACTIVE], final[k][SENDER_WARNING],
		    final[k][SENDER_PROBATION], t1, t2,
		    final[k][SENDER_PAUSED]);
	}
	hhmm(senders[980].first_pause, t1, sizeof(t1));
	printf("# storm: paused at %s: %s\n", t1, senders[980].first_why);
	for (i = 0, k = 0; i < NSENDERS && k < 3; i++)
		if (senders[i].kind == CLEAN && senders[i].pauses > 0) {
			hhmm(senders[i].first_pause, t2, sizeof(t2));
			printf("# a clean sender paused at %s: %s\n", t2,
			    senders[i].first_why);
			k++;
		}

	tap_int(ever[STALE], total[STALE], "every stale sender (10%% hard "
	    "bounces) is paused");
	tap_ok(first_max[STALE] < 10 * 60, "... each within its first ten "
	    "hours (latest first pause %02d:%02d)", first_max[STALE] / 60,
	    first_max[STALE] % 60);
	tap_int(ever[COMPLAINER], total[COMPLAINER], "every complainer "
	    "(0.8%% complaints) is paused");
	tap_ok(senders[980].first_pause >= STORM_AT &&
	    senders[980].first_pause < STORM_AT + 20,
	    "the storm is paused within 20 minutes of 14:00 (at %s)", t1);
	tap_ok(strstr(senders[980].first_why, "hard-bounce") != NULL ||
	    strstr(senders[980].first_why, "hard bounces") != NULL,
	    "... for its hard bounces");
	tap_ok(ever[CLEAN] <= 2, "clean senders (0.5%% hard bounces, 0.02%% "
	    "complaints) are not paused, but for chance runs of complaints "
	    "(at most 2 of 930): %d", ever[CLEAN]);
	tap_int(final[CLEAN][SENDER_WARNING] + final[CLEAN][SENDER_PAUSED] +
	    final[CLEAN][SENDER_PROBATION] <= 2, 1, "... and at most 2 end "
	    "the day other than active");
	tap_int(ever[QUIET], 0, "no quiet sender is ever paused");
	tap_ok(warned[GREY] >= total[GREY] * 3 / 4, "most grey senders "
	    "(2.5%%) are warned: %d of %d", warned[GREY], total[GREY]);
	tap_ok(ever[GREY] <= 3, "... and at most 3 paused by chance: %d",
	    ever[GREY]);
	tap_ok(final[STALE][SENDER_ACTIVE] == 0, "no stale sender ends the "
	    "day active (a relapse on probation pauses again)");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_ok(0, "rm -rf %s", dir);
	return tap_done();
}
