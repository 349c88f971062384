/*
 * ctl.h - what repguardctl's command files share from ctl.c.
 *
 *	st = ctl_open(path, &conf);	the configuration and its store, as
 *					the daemon's user (exits on error)
 *	c = ctl_conf(path);		the configuration alone, the same way
 *	ctl_operator(by, sizeof(by));	"operator NAME" for records
 *	ctl_json_str(s);		s as a JSON string on stdout
 */
#ifndef REPGUARD_CTL_H
#define REPGUARD_CTL_H

#include <stddef.h>

#include "conf/conf.h"
#include "store/store.h"

STORE	*ctl_open(const char *path, CONF **conf);
CONF	*ctl_conf(const char *path);
void	 ctl_operator(char *by, size_t len);
void	 ctl_json_str(const char *s);

#endif
