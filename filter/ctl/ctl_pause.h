/*
 * ctl_pause.h - repguardctl pause and resume.  See ctl_pause.c.
 *
 *	rc = ctl_pause(st, conf, &args);	args.key paused for
 *						args.for_secs (0: until
 *						resumed), args.reason
 *	rc = ctl_resume(st, conf, &args);	args.key resumed
 *
 * Both print what they did and return 0, or exit 1 when the store fails.
 */
#ifndef REPGUARD_CTL_PAUSE_H
#define REPGUARD_CTL_PAUSE_H

#include "conf/conf.h"
#include "ctl/ctl_util.h"
#include "store/store.h"

int	ctl_pause(STORE *, const CONF *, const CTL_ARGS *);
int	ctl_resume(STORE *, const CONF *, const CTL_ARGS *);

#endif
