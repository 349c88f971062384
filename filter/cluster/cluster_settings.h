/*
 * cluster_settings.h - what the configuration (filter/conf) hands the
 * cluster: where its Redis is and how to log in, the cluster's and this
 * node's names, and what mail gets while Redis is away.
 *
 *	const CLUSTER_SETTINGS *cs = conf_cluster(c);	NULL: no Cluster
 *
 * target: the Cluster URL with user, password (ClusterPasswordFile) and
 * timeout_ms (ClusterTimeout) filled in; the snapshot that holds it wipes
 * the password when it is freed.  A copy of the target is the copier's to
 * wipe (redis_target_wipe()).  name: ClusterName; node: NodeName, by
 * default the host name; both 1 to CLUSTER_NAME_MAX octets of
 * [A-Za-z0-9._-].  on_down: ClusterOnDown.
 *
 * A plain struct, no functions: conf fills it, the cluster reads it.
 */
#ifndef REPGUARD_CLUSTER_SETTINGS_H
#define REPGUARD_CLUSTER_SETTINGS_H

#include "cluster/redis_url.h"

#define CLUSTER_NAME_MAX	64

enum cluster_on_down {
	CLUSTER_ON_DOWN_LOCAL,		/* decide on the local copy, owe the
					   rest to Redis (the default) */
	CLUSTER_ON_DOWN_TEMPFAIL	/* temporary failure to new mail */
};

typedef struct CLUSTER_SETTINGS {
	REDIS_TARGET	target;
	char		name[CLUSTER_NAME_MAX + 1];
	char		node[CLUSTER_NAME_MAX + 1];
	int		on_down;	/* enum cluster_on_down */
} CLUSTER_SETTINGS;

#endif
