/*
 * ctl_pause.c - repguardctl pause and resume: an operator stops a sender,
 * or lets it send again (see ctl_pause.h and repguardctl(8)).
 *
 * Owns: ctl_pause(), ctl_resume().
 *
 *	repguardctl pause SENDER [--for DURATION] [--reason TEXT]
 *	repguardctl resume SENDER
 *
 * Decisions: both are given the store repguardctl opened and a sender
 * key, --for and --reason already checked; a pause without --for lasts
 * until resumed.  A sender resumed after a pause the engine made goes on
 * probation, as the daemon decides (sender_resume()).
 *
 * Must not: change state other than by the sender_*() operations the
 * daemon also honours, or check the command line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "ctl/ctl_pause.h"
#include "ctl/ctl_util.h"
#include "reputation/sender.h"
#include "store/store.h"

int
ctl_pause(STORE *st, const CONF *conf, const CTL_ARGS *a)
{
	char by[SENDER_BY_MAX], err[512] = "", t[64];
	const char *reason = a->reason;
	int64_t now = clock_now(), until = 0;

	(void)conf;
	if (a->for_secs > 0)
		until = now + a->for_secs;
	if (reason == NULL)
		reason = "paused by operator";
	ctl_operator(by, sizeof(by));
	if (sender_pause(st, a->key, until, reason, by, now, err,
	    sizeof(err)) != 0)
		ctl_fail("database: %s", err);
	if (until != 0) {
		ctl_time(until, t, sizeof(t));
		printf("paused %s until %s\n", a->key, t);
	} else
		printf("paused %s until resumed\n", a->key);
	return 0;
}

int
ctl_resume(STORE *st, const CONF *conf, const CTL_ARGS *a)
{
	char by[SENDER_BY_MAX], err[512] = "";
	SENDER_STATE after;
	int was;

	(void)conf;
	ctl_operator(by, sizeof(by));
	if (sender_resume(st, a->key, by, clock_now(), &was, &after, err,
	    sizeof(err)) != 0)
		ctl_fail("database: %s", err);
	if (was && after.state == SENDER_PROBATION)
		printf("resumed %s: on probation\n", a->key);
	else if (was)
		printf("resumed %s\n", a->key);
	else
		printf("%s was not paused\n", a->key);
	return 0;
}
