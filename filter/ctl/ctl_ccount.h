/*
 * ctl_ccount.h - senders' cluster-wide counts, as every node's cluster
 * thread adds them up in Redis, for repguardctl show and senders.  See
 * ctl_ccount.c.
 *
 *	cc = ctl_ccount_get(conf, why, sender, now);	NULL: no Cluster
 *	ctl_ccount_text(cc);	the "cluster:" section of show, or the line
 *				"cluster figures unavailable: ERROR"
 *	ctl_ccount_json(cc);	', "cluster": {"hour": {...}, "day": {...},
 *				"nodes": {NODE: {"hour", "day"}}}', or
 *				', "cluster": {"error": "..."}'
 *	ctl_ccount_free(cc);
 *
 *	day = ctl_ccount_days(conf, why, keys, n, now);
 *		every sender's counts of the last 24 hours, cluster-wide
 *		(messages, hard, complaints), in one round trip; NULL when
 *		Redis could not be asked ("repguardctl: cluster figures
 *		unavailable: ERROR" on stderr); free(day)
 *	ctl_ccount_json_day(day ? &day[i] : NULL);
 *		', "cluster_24h": {"messages", "hard", "complaints"}' or
 *		', "cluster_24h": null'
 *
 * why is ctl_conf_cluster()'s (ctl_util.h): "" when the configuration
 * has the cluster's password.  Error texts are masked of control octets
 * where they are printed.
 */
#ifndef REPGUARD_CTL_CCOUNT_H
#define REPGUARD_CTL_CCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "conf/conf.h"
#include "reputation/sender.h"

typedef struct CTL_CCOUNT CTL_CCOUNT;

CTL_CCOUNT	*ctl_ccount_get(const CONF *, const char *why,
		    const char *sender, int64_t now);
void		 ctl_ccount_text(const CTL_CCOUNT *);
void		 ctl_ccount_json(const CTL_CCOUNT *);
void		 ctl_ccount_free(CTL_CCOUNT *);

SENDER_COUNTS	*ctl_ccount_days(const CONF *, const char *why,
		    const char *const *keys, size_t n, int64_t now);
void		 ctl_ccount_json_day(const SENDER_COUNTS *);

#endif
