/*
 * ctl_suppress.h - repguardctl suppress, unsuppress, suppressed, import
 * and export: the suppression list by hand.  See ctl_suppress.c.
 */
#ifndef REPGUARD_CTL_SUPPRESS_H
#define REPGUARD_CTL_SUPPRESS_H

#include <stddef.h>

#include "conf/conf.h"
#include "store/store.h"

int	ctl_suppress_cmd(const char *cmd, int argc, char **argv,
	    const char *confpath);
int	ctl_suppress_is_cmd(const char *cmd);

#endif
