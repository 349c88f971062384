/*
 * ctl_suppress.h - repguardctl suppress, unsuppress, suppressed, import
 * and export: the suppression list by hand.  See ctl_suppress.c.
 */
#ifndef REPGUARD_CTL_SUPPRESS_H
#define REPGUARD_CTL_SUPPRESS_H

#include <stddef.h>

#include "conf.h"
#include "store.h"

int	ctl_suppress_cmd(const char *cmd, int argc, char **argv,
	    const char *confpath);
int	ctl_suppress_is_cmd(const char *cmd);

/* ctl.c */
STORE	*ctl_open(const char *path, CONF **conf);
void	 ctl_operator(char *by, size_t len);

#endif
