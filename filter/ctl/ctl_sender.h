/*
 * ctl_sender.h - repguardctl senders and show: each sender's state, rates
 * over the reputation windows against the thresholds, and (show) its
 * history.  See ctl_sender.c.
 *
 *	rc = ctl_senders(st, conf, &args);	every sender (args.json)
 *	rc = ctl_show(st, conf, &args);		sender args.key (args.json)
 *	state = ctl_effective_state(&s, now);	a pause past its end ended
 */
#ifndef REPGUARD_CTL_SENDER_H
#define REPGUARD_CTL_SENDER_H

#include "conf/conf.h"
#include "ctl/ctl_util.h"
#include "reputation/reputation.h"
#include "store/store.h"

int	ctl_senders(STORE *, const CONF *, const CTL_ARGS *);
int	ctl_show(STORE *, const CONF *, const CTL_ARGS *);
int	ctl_effective_state(const SENDER_STATE *, int64_t now);

#endif
