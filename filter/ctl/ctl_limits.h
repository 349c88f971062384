/*
 * ctl_limits.h - repguardctl limits and warmup: the rate-limit buckets
 * and the warm-up.  See ctl_limits.c.
 *
 *	rc = ctl_limits_cmd(argc, argv, confpath);	argv[0] is "limits"
 *							or "warmup"
 */
#ifndef REPGUARD_CTL_LIMITS_H
#define REPGUARD_CTL_LIMITS_H

int	ctl_limits_cmd(int argc, char **argv, const char *confpath);

#endif
