/*
 * ctl_util.c - what repguardctl's commands share (see ctl_util.h).
 *
 * Owns: ctl_vusage(), ctl_usage(), ctl_usage_exit(), ctl_error(),
 * ctl_fail(), ctl_conf(), ctl_conf_cluster(), ctl_store(), ctl_open(),
 * ctl_redis(), ctl_rules(), ctl_operator(), ctl_json_str(), ctl_time().
 *
 * Decisions: every message goes to stderr as "repguardctl: WHY"; a usage
 * error is followed by the usage text the command gives.  The
 * configuration is read without keys (but for the commands that ask the
 * cluster's Redis, which need its password) and, run as root with UserID
 * set, privileges are dropped to that user before the store is opened,
 * so files it creates stay the daemon's.
 *
 * Must not: know any command, or call into the files that hold them.
 */
#include "config.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ctl/ctl_util.h"
#include "common/privs.h"
#include "store/store.h"

static void
ctl_verror(const char *fmt, va_list ap)
{
	fprintf(stderr, "repguardctl: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
}

void
ctl_vusage(const char *usage, const char *fmt, va_list ap)
{
	if (fmt != NULL)
		ctl_verror(fmt, ap);
	if (usage != NULL)
		fputs(usage, stderr);
}

int
ctl_usage(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vusage(usage, fmt, ap);
	va_end(ap);
	return 2;
}

void
ctl_usage_exit(const char *usage, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_vusage(usage, fmt, ap);
	va_end(ap);
	exit(2);
}

int
ctl_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_verror(fmt, ap);
	va_end(ap);
	return 1;
}

void
ctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ctl_verror(fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * The configuration, as the daemon's user; exits on error.  With cluster
 * set and Cluster configured, read again with its secrets, before the
 * privileges go; if that fails, why says so and the first one stays.
 */
static CONF *
ctl_conf_load(const char *path, int cluster, char *why, size_t whylen)
{
	char *errors, err[512];
	CONF *c, *k;
	size_t n;

	if ((c = conf_load(path, CONF_NO_KEYS, &errors)) == NULL) {
		fputs(errors, stderr);
		free(errors);
		exit(1);
	}
	if (why != NULL)
		why[0] = '\0';
	if (cluster && conf_cluster(c) != NULL) {
		if ((k = conf_load(path, 0, &errors)) != NULL) {
			conf_unref(c);
			c = k;
		} else {
			n = strcspn(errors, "\n");
			snprintf(why, whylen, "the configuration with its "
			    "keys: %.*s", (int)(n > 400 ? 400 : n), errors);
			free(errors);
		}
	}
	if (conf_user(c) != NULL && geteuid() == 0 &&
	    privs_drop(conf_user(c), err, sizeof(err)) != NULL)
		ctl_fail("UserID: %s", err);
	return c;
}

CONF *
ctl_conf(const char *path)
{
	return ctl_conf_load(path, 0, NULL, 0);
}

CONF *
ctl_conf_cluster(const char *path, char *why, size_t whylen)
{
	return ctl_conf_load(path, 1, why, whylen);
}

/* The configuration's store; exits on error. */
STORE *
ctl_store(const CONF *c)
{
	char err[512];
	STORE_OPTS so;
	STORE *st;

	conf_store_opts(c, &so);
	if ((st = store_open(conf_database_path(c), &so, err, sizeof(err))) ==
	    NULL)
		ctl_fail("database: %s", err);
	return st;
}

/* The configuration and its store, as the daemon's user; exits on error. */
STORE *
ctl_open(const char *path, CONF **conf)
{
	*conf = ctl_conf(path);
	return ctl_store(*conf);
}

REDIS *
ctl_redis(const CONF *conf, const char *why, char *err, size_t errlen)
{
	const CLUSTER_SETTINGS *cs = conf_cluster(conf);

	if (cs == NULL) {
		snprintf(err, errlen, "no Cluster in %s", conf_path(conf));
		return NULL;
	}
	if (why != NULL && why[0] != '\0') {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	return redis_connect(&cs->target, err, errlen);
}

/* The configuration's rules; with Reputation no, the defaults. */
const REP_RULES *
ctl_rules(const CONF *conf, REP_RULES *def)
{
	const REP_RULES *r = conf_rep_rules(conf);

	if (r == NULL) {
		rep_rules_default(def);
		r = def;
	}
	return r;
}

void
ctl_operator(char *by, size_t len)
{
	const char *who = getenv("SUDO_USER");
	struct passwd *pw;

	if (who == NULL || *who == '\0')
		who = (pw = getpwuid(getuid())) != NULL ? pw->pw_name : "unknown";
	snprintf(by, len, "operator %s", who);
}

void
ctl_json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

void
ctl_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
