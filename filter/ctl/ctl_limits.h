/*
 * ctl_limits.h - repguardctl limits and warmup: the rate-limit buckets
 * and the warm-up.  See ctl_limits.c.
 */
#ifndef REPGUARD_CTL_LIMITS_H
#define REPGUARD_CTL_LIMITS_H

int	ctl_limits_cmd(const char *cmd, int argc, char **argv,
	    const char *confpath);
int	ctl_limits_is_cmd(const char *cmd);

#endif
