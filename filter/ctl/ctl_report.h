/*
 * ctl_report.h - repguardctl report --html FILE.  See ctl_report.c.
 */
#ifndef REPGUARD_CTL_REPORT_H
#define REPGUARD_CTL_REPORT_H

int	ctl_report(int argc, char **argv, const char *confpath);

#endif
