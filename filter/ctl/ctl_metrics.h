/*
 * ctl_metrics.h - repguardctl metrics: the daemon's counters as the
 * store holds them, in Prometheus' text format.  See ctl_metrics.c.
 */
#ifndef REPGUARD_CTL_METRICS_H
#define REPGUARD_CTL_METRICS_H

int	ctl_metrics(int argc, char **argv, const char *confpath);

#endif
