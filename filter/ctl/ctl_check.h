/*
 * ctl_check.h - repguardctl check: the deliverability doctor.  See
 * ctl_check.c.
 */
#ifndef REPGUARD_CTL_CHECK_H
#define REPGUARD_CTL_CHECK_H

int	ctl_check(int argc, char **argv, const char *confpath);

#endif
