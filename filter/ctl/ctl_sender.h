/*
 * ctl_sender.h - repguardctl senders and show: each sender's state, rates
 * over the reputation windows against the thresholds, and (show) its
 * history.  See ctl_sender.c.
 */
#ifndef REPGUARD_CTL_SENDER_H
#define REPGUARD_CTL_SENDER_H

#include "reputation/reputation.h"
#include "store/store.h"

int	ctl_senders(STORE *, const REP_RULES *, int json);
int	ctl_show(STORE *, const REP_RULES *, const char *key, int json);
void	ctl_time(int64_t t, char *buf, size_t len);
int	ctl_effective_state(const SENDER_STATE *, int64_t now);

#endif
