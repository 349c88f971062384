/*
 * conf_cluster.c - the cluster's settings, built from the values of
 * Cluster, ClusterName, NodeName, ClusterPasswordFile, ClusterTimeout and
 * ClusterOnDown (filter/cluster/cluster_settings.h).
 *
 * Owns: conf_cluster_build(), conf_cluster_free(), conf_cluster(),
 * conf_cluster_check_owner().
 *
 * Without Cluster there are no settings (NULL) and nothing else changes;
 * a Cluster* keyword or NodeName given without it is a warning ("... has
 * no effect without Cluster"), not an error, so that commenting out
 * Cluster alone turns the cluster off.  NodeName defaults to the host
 * name (gethostname()), whole, each octet other than a letter, digit,
 * '.', '_' or '-' replaced by '-', cut to 64 octets.  The password file
 * is read with secretfile_read() (a regular file, mode 0600 or stricter:
 * group or others' rights refused, like the key files) and holds one
 * line, "password" or "user password"; its errors are at the line of
 * ClusterPasswordFile and never quote it.
 *
 * Must not: log, exit, connect to Redis, or keep a copy of the password
 * other than the target's (the file's buffer is wiped when freed, and the
 * target's password when the settings are).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "common/secretfile.h"
#include "conf/conf.h"
#include "conf/conf_int.h"
#include "cluster/redis_url.h"

#define CONF_CLUSTER_SECRET_MAX	1024	/* octets of a password file */

/* The keywords that mean nothing without Cluster. */
static const enum conf_kw conf_cluster_kws[] = {
	KW_CLUSTER_NAME, KW_CLUSTER_ON_DOWN, KW_CLUSTER_PASSWORD_FILE,
	KW_CLUSTER_TIMEOUT, KW_NODE_NAME
};

__attribute__((format(printf, 2, 3)))
static void
conf_cluster_warn(char **warnings, const char *fmt, ...)
{
	char line[600];
	size_t have = *warnings != NULL ? strlen(*warnings) : 0, n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	n = strlen(line);
	line[n++] = '\n';
	line[n] = '\0';
	*warnings = mem_realloc(*warnings, have + n + 1);
	memcpy(*warnings + have, line, n + 1);
}

/* NodeName's default: the host name, made a name. */
static int
conf_cluster_hostname(char *node, size_t size)
{
	char host[256];
	size_t i;

	if (gethostname(host, sizeof(host)) != 0)
		return -1;
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && i + 1 < size; i++)
		node[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
		    "TUVWXYZ0123456789._-", host[i]) != NULL ? host[i] : '-';
	node[i] = '\0';
	return i > 0 ? 0 : -1;
}

/* ClusterPasswordFile into the target; 0, or -1 with an error in e. */
static int
conf_cluster_secret(const struct conf_val *v, const char *path,
    REDIS_TARGET *t, struct conf_errs *e)
{
	const struct conf_val *pv = &v[KW_CLUSTER_PASSWORD_FILE];
	unsigned char *buf;
	const char *err;
	char why[600];
	size_t len;

	if ((buf = secretfile_read(pv->s, CONF_CLUSTER_SECRET_MAX, &len, why,
	    sizeof(why))) == NULL) {
		conf_err(e, path, pv->line, "%s: %s", conf_name(
		    KW_CLUSTER_PASSWORD_FILE), why);
		return -1;
	}
	err = redis_target_secret(t, (const char *)buf, len);
	secretfile_free(buf);
	if (err != NULL) {
		conf_err(e, path, pv->line, "%s: %s: %s", conf_name(
		    KW_CLUSTER_PASSWORD_FILE), pv->s, err);
		return -1;
	}
	return 0;
}

CLUSTER_SETTINGS *
conf_cluster_build(const struct conf_val *v, const char *path, int secrets,
    struct conf_errs *e, char **warnings)
{
	CLUSTER_SETTINGS *cs;
	char msg[512];
	const char *err;
	size_t i;
	int nerr = e->n;

	if (v[KW_CLUSTER].s == NULL) {
		for (i = 0; i < sizeof(conf_cluster_kws) /
		    sizeof(conf_cluster_kws[0]); i++)
			if (v[conf_cluster_kws[i]].line != 0)
				conf_cluster_warn(warnings, "%s:%d: %s has no "
				    "effect without Cluster", path,
				    v[conf_cluster_kws[i]].line,
				    conf_name(conf_cluster_kws[i]));
		return NULL;
	}
	cs = mem_calloc(1, sizeof(*cs));
	if ((err = redis_url_parse(v[KW_CLUSTER].s, strlen(v[KW_CLUSTER].s),
	    &cs->target, msg, sizeof(msg))) != NULL)	/* checked when read */
		conf_err(e, path, v[KW_CLUSTER].line, "Cluster: %s", err);
	cs->target.timeout_ms = (int)v[KW_CLUSTER_TIMEOUT].n;
	snprintf(cs->name, sizeof(cs->name), "%s", v[KW_CLUSTER_NAME].s);
	if (v[KW_NODE_NAME].s != NULL)
		snprintf(cs->node, sizeof(cs->node), "%s", v[KW_NODE_NAME].s);
	else if (conf_cluster_hostname(cs->node, sizeof(cs->node)) != 0)
		conf_err(e, path, v[KW_CLUSTER].line, "Cluster: the host name "
		    "cannot be had for NodeName's default: set NodeName");
	cs->on_down = (int)v[KW_CLUSTER_ON_DOWN].n;
	if (secrets && v[KW_CLUSTER_PASSWORD_FILE].s != NULL)
		conf_cluster_secret(v, path, &cs->target, e);
	if (e->n != nerr) {
		conf_cluster_free(cs);
		return NULL;
	}
	return cs;
}

void
conf_cluster_free(CLUSTER_SETTINGS *cs)
{
	if (cs == NULL)
		return;
	redis_target_wipe(&cs->target);
	free(cs);
}

const CLUSTER_SETTINGS *
conf_cluster(const CONF *c)
{
	return c->cluster;
}

/* Reloads run as UserID: a password file that user cannot read again. */
void
conf_cluster_check_owner(const CONF *c, uid_t uid, const char *user,
    char **errors)
{
	const char *path = conf_str(c, KW_CLUSTER_PASSWORD_FILE);
	char line[1200];
	struct stat sb;
	size_t have;

	if (c->cluster == NULL || path == NULL || (stat(path, &sb) == 0 &&
	    sb.st_uid == uid && (sb.st_mode & S_IRUSR)))
		return;
	snprintf(line, sizeof(line), "%s:%d: ClusterPasswordFile: %s is not "
	    "owned by user %s (UserID), who reads it again at each reload; "
	    "chown %s it\n", c->path, conf_line(c, KW_CLUSTER_PASSWORD_FILE),
	    path, user, user);
	have = *errors != NULL ? strlen(*errors) : 0;
	*errors = mem_realloc(*errors, have + strlen(line) + 1);
	memcpy(*errors + have, line, strlen(line) + 1);
}
