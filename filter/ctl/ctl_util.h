/*
 * ctl_util.h - what repguardctl's command files share: their errors, the
 * configuration and store, and how they print.  See ctl_util.c.
 *
 *	return ctl_usage(usage, fmt, ...);	"repguardctl: WHY" (fmt NULL:
 *						none), then usage; 2
 *	ctl_usage_exit(usage, fmt, ...);	the same, then exit(2)
 *	return ctl_error(fmt, ...);		"repguardctl: WHY"; 1
 *	ctl_fail(fmt, ...);			the same, then exit(1)
 *	st = ctl_open(path, &conf);	the configuration and its store, as
 *					the daemon's user (exits on error)
 *	c = ctl_conf(path);		the configuration alone, the same way
 *	c = ctl_conf_cluster(path, why, sizeof(why));
 *					the same, for a command that asks
 *					the cluster's Redis (below)
 *	st = ctl_store(c);		its store (exits on error)
 *	r = ctl_redis(c, why, err, sizeof(err));	connected, or NULL
 *	r = ctl_rules(conf, &def);	the reputation rules in force, else
 *					the defaults (in def)
 *	ctl_operator(by, sizeof(by));	"operator NAME" for records
 *	ctl_json_str(s);		s as a JSON string on stdout
 *	ctl_time(t, buf, sizeof(buf));	t as "2024-01-31T12:00:00Z"
 *
 * The configuration is read without its secrets (CONF_NO_KEYS), but by
 * ctl_conf_cluster() when it has Cluster: that one reads it again with
 * them (conf_load() flags 0: the ClusterPasswordFile, and with it the
 * DKIM and return-path keys), before privileges are dropped.  If that
 * fails (a key the caller may not read), the configuration without them
 * is used and why says so; else why is "".  ctl_redis() connects to the
 * configured target (ClusterTimeout), or gives the reason it cannot in
 * err: why, or the connection's error.
 *
 * A command is run with its own argument vector (argv[0] is its name) and
 * returns repguardctl's exit code (CTL_CMD_FN); one of the commands on a
 * sender is given the store that repguardctl opened for it and what the
 * command line said (CTL_STORE_FN, CTL_ARGS).
 */
#ifndef REPGUARD_CTL_UTIL_H
#define REPGUARD_CTL_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/redis.h"
#include "conf/conf.h"
#include "reputation/reputation.h"
#include "reputation/sender.h"
#include "store/store.h"

typedef struct {
	const char	*key;		/* the SENDER, normalised, or NULL */
	int		 json;		/* --json */
	long long	 for_secs;	/* --for, 0 when not given */
	const char	*reason;	/* --reason, or NULL */
	const char	*cluster_why;	/* ctl_conf_cluster()'s why; NULL: the
					   command may not ask Redis */
} CTL_ARGS;

typedef int	(*CTL_CMD_FN)(int argc, char **argv, const char *confpath);
typedef int	(*CTL_STORE_FN)(STORE *, const CONF *, const CTL_ARGS *);

void		 ctl_vusage(const char *usage, const char *fmt, va_list);
int		 ctl_usage(const char *usage, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 ctl_usage_exit(const char *usage, const char *fmt, ...)
		    __attribute__((noreturn, format(printf, 2, 3)));
int		 ctl_error(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 ctl_fail(const char *fmt, ...)
		    __attribute__((noreturn, format(printf, 1, 2)));

STORE		*ctl_open(const char *path, CONF **conf);
CONF		*ctl_conf(const char *path);
CONF		*ctl_conf_cluster(const char *path, char *why, size_t whylen);
STORE		*ctl_store(const CONF *);
REDIS		*ctl_redis(const CONF *, const char *why, char *err,
		    size_t errlen);
const REP_RULES	*ctl_rules(const CONF *, REP_RULES *def);

void		 ctl_operator(char *by, size_t len);
void		 ctl_json_str(const char *s);
void		 ctl_time(int64_t t, char *buf, size_t len);

#endif
