/*
 * ctl_reclassify.c - repguardctl reclassify [--dry-run] (see
 * ctl_reclassify.h and repguardctl(8)).
 *
 * Owns: ctl_reclassify().
 *
 * After the rules change (an upgrade of the built-in ones, an operator's
 * BounceRules), the stored diagnostics of bounce-made suppressions and of
 * bounce events are read with the rules in force: a suppression whose
 * bounce no longer means a dead address is lifted, and an event whose
 * reason changed gets the new reason and class.  One line per change,
 * then the counts.
 *
 * Decisions: one write transaction, so a crash half-way changes nothing.
 * Entries made by an operator, by complaints, or before diagnostics were
 * stored are left alone (counted as kept).  Counters and the senders'
 * states are not touched: they are history.
 *
 * Must not: change anything but those suppressions and events.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retpath/bevent.h"
#include "retpath/bouncerules.h"
#include "conf/conf.h"
#include "ctl/ctl_reclassify.h"
#include "ctl/ctl_util.h"
#include "base/mem.h"
#include "reputation/suppress.h"

static const char ctl_rc_usage[] =
    "usage: repguardctl reclassify [--dry-run]\n";

struct ctl_rc {
	const BOUNCE_RULES	*rules;
	int			 dry;
	SUPPRESS_ENTRY		*lift;		/* to lift */
	size_t			 nlift, cap;
	BEVENT			*ev;		/* to write again */
	size_t			 nev, evcap;
	unsigned long		 kept, events, unknown;
};

static int
ctl_rc_supp_cb(const SUPPRESS_ENTRY *e, void *ctx)
{
	struct ctl_rc *c = ctx;
	const char *reason;

	if (e->reason != SUPPRESS_HARD || (e->status[0] == '\0' &&
	    e->diagnostic[0] == '\0')) {
		c->kept++;
		return 0;
	}
	reason = bouncerules_classify(c->rules, e->status, e->diagnostic, "");
	if (strcmp(bouncerules_class(reason), "hard") == 0) {
		c->kept++;
		return 0;
	}
	if (c->nlift == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->lift = mem_realloc(c->lift, c->cap * sizeof(*c->lift));
	}
	c->lift[c->nlift] = *e;
	snprintf(c->lift[c->nlift].why, sizeof(c->lift[0].why), "%s", reason);
	c->nlift++;
	return 0;
}

static int
ctl_rc_event_cb(const BEVENT *e, void *ctx)
{
	struct ctl_rc *c = ctx;
	const char *reason;

	c->events++;
	if (e->reason[0] == '\0') {	/* written before reasons */
		c->unknown++;
		return 0;
	}
	if (strcmp(e->cls, "complaint") == 0 ||
	    strcmp(e->cls, "auto-reply") == 0)
		return 0;
	reason = bouncerules_classify(c->rules, e->status, e->diagnostic, "");
	if (strcmp(reason, e->reason) == 0)
		return 0;
	if (c->nev == c->evcap) {
		c->evcap = c->evcap ? c->evcap * 2 : 64;
		c->ev = mem_realloc(c->ev, c->evcap * sizeof(*c->ev));
	}
	c->ev[c->nev] = *e;
	snprintf(c->ev[c->nev].reason, sizeof(c->ev[0].reason), "%s", reason);
	snprintf(c->ev[c->nev].cls, sizeof(c->ev[0].cls), "%s",
	    bouncerules_class(reason));
	c->nev++;
	return 0;
}

static int
ctl_rc_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_rc *c = ctx;
	size_t i;

	c->nlift = c->nev = 0;
	c->kept = c->events = c->unknown = 0;
	if (suppress_list(t, ctl_rc_supp_cb, c) != 0 ||
	    bevent_list(t, ctl_rc_event_cb, c) != 0)
		return STORE_ERROR;
	if (c->dry)
		return 0;
	for (i = 0; i < c->nlift; i++)
		if (suppress_del(t, c->lift[i].scope, c->lift[i].addr) ==
		    STORE_ERROR)
			return STORE_ERROR;
	for (i = 0; i < c->nev; i++)
		if (bevent_replace(t, &c->ev[i]) != 0)
			return STORE_ERROR;
	return 0;
}

int
ctl_reclassify(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_rc c;
	char err[512];
	CONF *conf;
	STORE *st;
	size_t i;
	int ch, rc;

	memset(&c, 0, sizeof(c));
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch != 'n')
			return ctl_usage(ctl_rc_usage, NULL);
		c.dry = 1;
	}
	if (optind != argc)
		return ctl_usage(ctl_rc_usage, NULL);
	st = ctl_open(confpath, &conf);
	c.rules = conf_bounce_rules(conf);	/* NULL: the built-in ones */
	if ((rc = store_write(st, ctl_rc_fn, &c, err, sizeof(err))) != 0)
		fprintf(stderr, "repguardctl: database: %s\n", err);
	else {
		for (i = 0; i < c.nlift; i++)
			printf("%s %s%s%s: %s, now %s (%s)\n", c.dry ?
			    "would lift" : "lifted", c.lift[i].addr,
			    c.lift[i].scope[0] ? " for " : "",
			    c.lift[i].scope, c.lift[i].status[0] ?
			    c.lift[i].status : "no status", c.lift[i].why,
			    bouncerules_class(c.lift[i].why));
		printf("%s%zu suppression%s lifted, %lu kept; %zu of %lu "
		    "events reclassified (%lu without a stored reason)\n",
		    c.dry ? "dry run: " : "", c.nlift, c.nlift == 1 ? "" :
		    "s", c.kept, c.nev, c.events, c.unknown);
	}
	free(c.lift);
	free(c.ev);
	store_close(st);
	conf_unref(conf);
	return rc != 0 ? 1 : 0;
}
