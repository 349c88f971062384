/*
 * ctl_suppress.h - repguardctl suppress, unsuppress, suppressed, import
 * and export: the suppression list by hand.  See ctl_suppress.c.
 *
 *	rc = ctl_suppress_cmd(argc, argv, confpath);	argv[0] names which
 */
#ifndef REPGUARD_CTL_SUPPRESS_H
#define REPGUARD_CTL_SUPPRESS_H

int	ctl_suppress_cmd(int argc, char **argv, const char *confpath);

#endif
