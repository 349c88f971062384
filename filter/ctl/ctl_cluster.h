/*
 * ctl_cluster.h - repguardctl cluster status: how this node stands with
 * its cluster, from its own store and from the cluster's Redis.  See
 * ctl_cluster.c.
 *
 *	rc = ctl_cluster_cmd(argc, argv, confpath);	"cluster status
 *							[--json]"
 *
 * Exit codes: 0; 1 no Cluster, or the store could not be read; 2 Redis
 * could not be asked (the local part is printed all the same), or a
 * usage error.
 */
#ifndef REPGUARD_CTL_CLUSTER_H
#define REPGUARD_CTL_CLUSTER_H

int	ctl_cluster_cmd(int argc, char **argv, const char *confpath);

#endif
