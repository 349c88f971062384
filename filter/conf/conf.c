/*
 * conf.c - the configuration file: a sorted, typed keyword table and the
 * values one file gives its keywords.
 *
 * Owns: the keyword table, conf_values_read(), conf_values_free(),
 * conf_err(), conf_str(), conf_num(), conf_line(), conf_name(),
 * conf_restart_changes(), conf_major_receiver() and the accessors of
 * single values (conf_socket() ... conf_commit_interval()).
 *
 * Syntax: one "Keyword value" per line; keywords are case-insensitive;
 * '#' at the start of a line or after white space begins a comment; blank
 * lines are ignored.  Every keyword has a type whose parser
 * (conf_value.c) checks the value; defaults go through the same parsers.
 * All errors of a file are collected, each as "file:line: message", so
 * `repguard -n` shows them at once.  A keyword may be given once.  Names
 * are looked up only while the file is read; afterwards every read is by
 * enum conf_kw, an index into the values.
 *
 * Must not: log, exit, touch anything but the file it reads, or build
 * what the values name (keys, data files, rules: conf_snapshot.c does).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cidr.h"
#include "conf/conf.h"
#include "conf/conf_int.h"
#include "common/log.h"
#include "base/mem.h"

#define CONF_LINE_MAX	4096
#define CONF_OUTBOX_MAX	(256ULL << 20)	/* the cluster's outbox, at most */

static const char *const conf_sender_keys[] = {
	"auth", "envelope", "envelope-domain", NULL	/* SENDER_KEY_* */
};
static const char *const conf_on_errors[] = {
	"tempfail", "accept", NULL			/* CONF_ON_ERROR_* */
};
static const char *const conf_on_no_keys[] = {
	"accept", "tempfail", "default", NULL		/* CONF_ON_NO_KEY_* */
};
static const char *const conf_on_unauthorizeds[] = {
	"reject", "tempfail", "sign-relay-domain", "accept-unsigned",
	NULL						/* SIGNAUTH_ON_* */
};
static const char *const conf_domain_froms[] = {
	"header", "envelope", NULL			/* CONF_FROM_* */
};
static const char *const conf_pause_actions[] = {
	"tempfail", "quarantine", "reject", NULL	/* CONF_PAUSE_* */
};
static const char *const conf_suppressions[] = {
	"off", "global", "sender", NULL			/* CONF_SUPPRESS_* */
};
static const char *const conf_alignments[] = {
	"off", "log", "reject", NULL			/* CONF_ALIGN_* */
};
static const char *const conf_on_downs[] = {
	"local", "tempfail", NULL			/* CLUSTER_ON_DOWN_* */
};
static const char *const conf_compliances[] = {
	"off", "log", "add", "reject", NULL		/* CONF_COMPLIANCE_* */
};

/* Receivers whose policy bounces tell of the IP's standing (the largest
 * mailbox providers). */
#define CONF_MAJOR_RECEIVERS "gmail.com, googlemail.com, outlook.com, " \
	"hotmail.com, live.com, msn.com, yahoo.com, ymail.com, aol.com, " \
	"icloud.com, me.com, gmx.de, gmx.net, web.de, mail.ru, yandex.ru, " \
	"comcast.net, orange.fr, t-online.de"

#define CONF_SIGN_HEADERS "From, Reply-To, Subject, Date, To, Cc, " \
	"Message-ID, In-Reply-To, References, MIME-Version, Content-Type, " \
	"Content-Transfer-Encoding, List-Id, List-Unsubscribe, " \
	"List-Unsubscribe-Post, Feedback-ID"

static const struct conf_def conf_table[] = {
	[KW_BOUNCE_FORWARD] = { "BounceForward", CT_BOOL, "no", NULL,
	    0, 0, 0 },
	[KW_BOUNCE_RULES] = { "BounceRules", CT_PATH, NULL, NULL, 0, 0, 0 },
	[KW_BULK_COMPLIANCE] = { "BulkCompliance", CT_ENUM, "log",
	    conf_compliances, 0, 0, 0 },
	[KW_BULK_LIMIT] = { "BulkLimit", CT_RULE, NULL, NULL, 0, 0, 0 },
	[KW_BULK_SENDERS] = { "BulkSenders", CT_LIST, NULL, NULL, 0, 0, 0 },
	[KW_CANONICALIZATION] = { "Canonicalization", CT_CANON,
	    "relaxed/relaxed", NULL, 0, 0, 0 },
	[KW_CLASS_HEADER] = { "ClassHeader", CT_HEADER, NULL, NULL, 0, 0, 0 },
	[KW_CLUSTER] = { "Cluster", CT_REDIS_URL, NULL, NULL, 0, 0, 1 },
	[KW_CLUSTER_NAME] = { "ClusterName", CT_NAME, "repguard", NULL,
	    0, 0, 1 },
	[KW_CLUSTER_ON_DOWN] = { "ClusterOnDown", CT_ENUM, "local",
	    conf_on_downs, 0, 0, 0 },
	[KW_CLUSTER_PASSWORD_FILE] = { "ClusterPasswordFile", CT_PATH, NULL,
	    NULL, 0, 0, 1 },
	[KW_CLUSTER_TIMEOUT] = { "ClusterTimeout", CT_MSEC, "50ms", NULL,
	    1, 10000, 1 },
	[KW_COMMIT_INTERVAL] = { "CommitInterval", CT_UINT, "10", NULL,
	    1, 1000, 0 },
	[KW_DATABASE_MAX_SIZE] = { "DatabaseMaxSize", CT_SIZE, "4G", NULL,
	    1LL << 20, 1LL << 40, 0 },
	[KW_DATABASE_PATH] = { "DatabasePath", CT_PATH,
	    LOCALSTATEDIR "/lib/repguard", NULL, 0, 0, 1 },
	[KW_DEFAULT_KEY] = { "DefaultKey", CT_STRING, NULL, NULL, 0, 0, 0 },
	[KW_DNS_SERVER] = { "DNSServer", CT_STRING, NULL, NULL, 0, 0, 0 },
	[KW_DNS_TIMEOUT] = { "DNSTimeout", CT_DURATION, "5s", NULL, 1, 60, 0 },
	[KW_DOMAIN] = { "Domain", CT_DOMAIN, NULL, NULL, 0, 0, 0 },
	[KW_DOMAIN_LIMITS] = { "DomainLimits", CT_PATH, NULL, NULL, 0, 0, 0 },
	[KW_FEEDBACK_ID] = { "FeedbackID", CT_STRING, NULL, NULL, 0, 0, 0 },
	[KW_FROM_ALIGNMENT] = { "FromAlignment", CT_ENUM, "log",
	    conf_alignments, 0, 0, 0 },
	[KW_INTERNAL_HOSTS] = { "InternalHosts", CT_CIDRS, "127.0.0.0/8, ::1",
	    NULL, 0, 0, 0 },
	[KW_KEY_FILE] = { "KeyFile", CT_PATH, NULL, NULL, 0, 0, 0 },
	[KW_KEY_TABLE] = { "KeyTable", CT_DATASET, NULL, NULL, 0, 0, 0 },
	[KW_LIST_UNSUBSCRIBE_URL] = { "ListUnsubscribeURL", CT_STRING, NULL,
	    NULL, 0, 0, 0 },
	[KW_MAJOR_RECEIVERS] = { "MajorReceivers", CT_LIST,
	    CONF_MAJOR_RECEIVERS, NULL, 0, 0, 0 },
	[KW_METRICS_LISTEN] = { "MetricsListen", CT_LISTEN, NULL, NULL,
	    0, 0, 1 },
	[KW_MINIMUM_EVENTS] = { "MinimumEvents", CT_UINT, "3", NULL,
	    1, 1000000, 0 },
	[KW_MINIMUM_VOLUME] = { "MinimumVolume", CT_UINT, "100", NULL,
	    1, 1000000000, 0 },
	[KW_MULTIPLE_SIGNATURES] = { "MultipleSignatures", CT_BOOL, "no",
	    NULL, 0, 0, 0 },
	[KW_NODE_NAME] = { "NodeName", CT_NAME, NULL, NULL, 0, 0, 1 },
	[KW_ON_ERROR] = { "OnError", CT_ENUM, "tempfail", conf_on_errors,
	    0, 0, 0 },
	[KW_ON_DNS_ERROR] = { "OnDNSError", CT_ENUM, "tempfail",
	    conf_on_errors, 0, 0, 0 },
	[KW_ON_NO_KEY] = { "OnNoKey", CT_ENUM, "accept", conf_on_no_keys,
	    0, 0, 0 },
	[KW_ON_UNAUTHORIZED_FROM] = { "OnUnauthorizedFrom", CT_ENUM, "reject",
	    conf_on_unauthorizeds, 0, 0, 0 },
	[KW_OVERSIGN_HEADERS] = { "OversignHeaders", CT_LIST, "From", NULL,
	    0, 0, 0 },
	[KW_PAUSE_ACTION] = { "PauseAction", CT_ENUM, "tempfail",
	    conf_pause_actions, 0, 0, 0 },
	[KW_PAUSE_BLOCK_RATE] = { "PauseBlockRate", CT_RATE, "0%", NULL,
	    0, 0, 0 },
	[KW_PAUSE_COMPLAINT_RATE] = { "PauseComplaintRate", CT_RATE, "0.3%",
	    NULL, 0, 0, 0 },
	[KW_PAUSE_COMPLAINTS] = { "PauseComplaints", CT_UINT, "5", NULL,
	    0, 1000000000, 0 },
	[KW_PAUSE_COOLDOWN] = { "PauseCooldown", CT_DURATION, "4h", NULL,
	    1, 30LL * 86400, 0 },
	[KW_PAUSE_HARD_RATE] = { "PauseHardBounceRate", CT_RATE, "5%", NULL,
	    0, 0, 0 },
	[KW_PAUSE_HARD] = { "PauseHardBounces", CT_UINT, "25", NULL,
	    0, 1000000000, 0 },
	[KW_PAUSE_POLICY] = { "PausePolicyBounces", CT_UINT, "10", NULL,
	    0, 1000000000, 0 },
	[KW_PID_FILE] = { "PidFile", CT_PATH, NULL, NULL, 0, 0, 1 },
	[KW_PROBATION_LIMIT] = { "ProbationLimit", CT_UINT, "100", NULL,
	    0, 1000000000, 0 },
	[KW_PROBATION_STRICTNESS] = { "ProbationStrictness", CT_RATE, "50%",
	    NULL, 0, 0, 0 },
	[KW_RATE_WINDOW_LONG] = { "RateWindowLong", CT_DURATION, "24h", NULL,
	    60, 8LL * 86400, 0 },
	[KW_RATE_WINDOW_SHORT] = { "RateWindowShort", CT_DURATION, "1h", NULL,
	    10, 8LL * 86400, 0 },
	[KW_RELAY_LIMIT] = { "RelayLimit", CT_RULE, NULL, NULL, 0, 0, 0 },
	[KW_REPORT_CLIENT_LIMIT] = { "ReportClientLimit", CT_RULE, NULL, NULL,
	    0, 0, 0 },
	[KW_REPORTS_PER_RCPT] = { "ReportsPerRecipient", CT_UINT, "3", NULL,
	    0, 1000, 0 },
	[KW_REPUTATION] = { "Reputation", CT_BOOL, "yes", NULL, 0, 0, 0 },
	[KW_RP_CHECK] = { "ReturnPathCheck", CT_BOOL, "no", NULL, 0, 0, 0 },
	[KW_RP_DOMAIN] = { "ReturnPathDomain", CT_DOMAIN, NULL, NULL, 0, 0, 0 },
	[KW_RP_EXPIRY] = { "ReturnPathExpiry", CT_DURATION, "14d", NULL,
	    3600, 366LL * 86400, 0 },
	[KW_RP_KEY_FILE] = { "ReturnPathKeyFile", CT_STRING, NULL, NULL,
	    0, 0, 0 },
	[KW_RP_PREFIX] = { "ReturnPathPrefix", CT_STRING, "rp", NULL, 0, 0, 0 },
	[KW_RP_SENDERS] = { "ReturnPathSenders", CT_STRING, NULL, NULL,
	    0, 0, 0 },
	[KW_SELECTOR] = { "Selector", CT_SELECTOR, NULL, NULL, 0, 0, 0 },
	[KW_SENDER_KEY] = { "SenderKey", CT_ENUM, "auth", conf_sender_keys,
	    0, 0, 0 },
	[KW_SENDER_LOGIN_MAP] = { "SenderLoginMap", CT_PATH, NULL, NULL,
	    0, 0, 0 },
	[KW_SIGNATURE_ALGORITHM] = { "SignatureAlgorithm", CT_ENUM, NULL,
	    conf_algorithms, 0, 0, 0 },
	[KW_SIGN_HEADERS] = { "SignHeaders", CT_LIST, CONF_SIGN_HEADERS, NULL,
	    0, 0, 0 },
	[KW_SIGNING_AUTHORIZATION] = { "SigningAuthorization", CT_PATH, NULL,
	    NULL, 0, 0, 0 },
	[KW_SIGNING_DOMAIN_FROM] = { "SigningDomainFrom", CT_ENUM, "header",
	    conf_domain_froms, 0, 0, 0 },
	[KW_SIGNING_TABLE] = { "SigningTable", CT_DATASET, NULL, NULL,
	    0, 0, 0 },
	[KW_SOCKET] = { "Socket", CT_SOCKET,
	    "unix:" RUNSTATEDIR "/repguard/repguard.sock", NULL, 0, 0, 1 },
	[KW_SUPPRESS_COMPLAINT_FOR] = { "SuppressComplaintFor", CT_DURATION,
	    "0", NULL, 0, 3650LL * 86400, 0 },
	[KW_SUPPRESS_HARD_FOR] = { "SuppressHardBounceFor", CT_DURATION, "90d",
	    NULL, 0, 3650LL * 86400, 0 },
	[KW_SUPPRESSION] = { "Suppression", CT_ENUM, "global",
	    conf_suppressions, 0, 0, 0 },
	[KW_SYSLOG] = { "Syslog", CT_BOOL, "yes", NULL, 0, 0, 0 },
	[KW_SYSLOG_FACILITY] = { "SyslogFacility", CT_FACILITY, "mail", NULL,
	    0, 0, 0 },
	[KW_TRANSACTIONAL_LIMIT] = { "TransactionalLimit", CT_RULE, NULL, NULL,
	    0, 0, 0 },
	[KW_TRANSACTIONAL_SENDERS] = { "TransactionalSenders", CT_LIST, NULL,
	    NULL, 0, 0, 0 },
	[KW_UMASK] = { "UMask", CT_OCTAL, "007", NULL, 0, 0777, 1 },
	[KW_USER_ID] = { "UserID", CT_USER, NULL, NULL, 0, 0, 1 },
	[KW_WARMUP_SCHEDULE] = { "WarmupSchedule", CT_WARMUP,
	    "1000 x1.5 cap 1000000", NULL, 0, 0, 0 },
	[KW_WARMUP_START] = { "WarmupStart", CT_DATE, NULL, NULL, 0, 0, 0 },
	[KW_WARN_BLOCK_RATE] = { "WarnBlockRate", CT_RATE, "10%", NULL,
	    0, 0, 0 },
	[KW_WARN_COMPLAINT_RATE] = { "WarnComplaintRate", CT_RATE, "0.08%",
	    NULL, 0, 0, 0 },
	[KW_WARN_HARD_RATE] = { "WarnHardBounceRate", CT_RATE, "2%", NULL,
	    0, 0, 0 },
};

_Static_assert(sizeof(conf_table) / sizeof(conf_table[0]) == KW_MAX,
    "enum conf_kw and conf_table differ");

/* Add "file:line: message" (or "file: message" at line 0) to e. */
void
conf_err(struct conf_errs *e, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	int n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		n = snprintf(NULL, 0, "%s:%d: %s\n", file, line, msg);
	else
		n = snprintf(NULL, 0, "%s: %s\n", file, msg);
	e->buf = mem_realloc(e->buf, e->len + (size_t)n + 1);
	if (line > 0)
		snprintf(e->buf + e->len, (size_t)n + 1, "%s:%d: %s\n", file,
		    line, msg);
	else
		snprintf(e->buf + e->len, (size_t)n + 1, "%s: %s\n", file, msg);
	e->len += (size_t)n;
	e->n++;
}

static int
conf_lookup(const char *name)
{
	int lo = 0, hi = KW_MAX - 1, mid, cmp;

	while (lo <= hi) {
		mid = (lo + hi) / 2;
		cmp = strcasecmp(name, conf_table[mid].name);
		if (cmp == 0)
			return mid;
		if (cmp < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Split one line into keyword and value (in place); 0 if blank. */
static int
conf_split(char *line, char **kw, char **val)
{
	char *p = line, *e;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	*kw = p;
	while (*p != '\0' && !isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	*val = p;
	for (e = p; *e != '\0'; e++)
		if (*e == '#' && (e == p || isspace((unsigned char)e[-1]))) {
			*e = '\0';
			break;
		}
	e = p + strlen(p);
	while (e > p && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return 1;
}

/* Free the values of c (the snapshot frees the rest). */
void
conf_values_free(CONF *c)
{
	int i;

	for (i = 0; i < KW_MAX; i++) {
		free(c->v[i].s);
		if (c->v[i].cidrs != NULL)
			cidr_list_free(c->v[i].cidrs);
	}
}

static void
conf_read(CONF *c, FILE *fp, const char *path, struct conf_errs *e)
{
	char *line = NULL, msg[512], *kw, *val;
	const char *err;
	struct conf_val v;
	size_t cap = 0;
	ssize_t len;
	int lineno = 0, k;

	/* getline() gives the true length, so a NUL byte cannot hide. */
	while ((len = getline(&line, &cap, fp)) >= 0) {
		lineno++;
		if (len > CONF_LINE_MAX) {
			conf_err(e, path, lineno, "line longer than %d bytes",
			    CONF_LINE_MAX);
			continue;
		}
		if (memchr(line, '\0', (size_t)len) != NULL) {
			conf_err(e, path, lineno, "NUL byte in line");
			continue;
		}
		if (!conf_split(line, &kw, &val))
			continue;
		if ((k = conf_lookup(kw)) < 0) {
			conf_err(e, path, lineno, "unknown keyword \"%s\"", kw);
			continue;
		}
		if (*val == '\0') {
			conf_err(e, path, lineno, "%s: missing value",
			    conf_table[k].name);
			continue;
		}
		if (c->v[k].line != 0) {
			conf_err(e, path, lineno, "%s: given twice (first at "
			    "line %d)", conf_table[k].name, c->v[k].line);
			continue;
		}
		memset(&v, 0, sizeof(v));
		err = conf_parse_value(&conf_table[k], val, &v, msg,
		    sizeof(msg));
		if (err != NULL) {
			conf_err(e, path, lineno, "%s: %s", conf_table[k].name,
			    err);
			if (v.cidrs != NULL)
				cidr_list_free(v.cidrs);
			continue;
		}
		v.s = mem_strdup(val);
		v.line = lineno;
		c->v[k] = v;
	}
	if (ferror(fp))
		conf_err(e, path, lineno, "read error: %s", strerror(errno));
	free(line);
}

int
conf_values_read(CONF *c, struct conf_errs *e)
{
	char msg[512];
	const char *err;
	FILE *fp;
	int k;

	if ((fp = fopen(c->path, "r")) == NULL) {
		conf_err(e, c->path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	conf_read(c, fp, c->path, e);
	fclose(fp);
	for (k = 0; k < KW_MAX; k++) {
		if (c->v[k].line != 0 || conf_table[k].def == NULL)
			continue;
		err = conf_parse_value(&conf_table[k], conf_table[k].def,
		    &c->v[k], msg, sizeof(msg));
		if (err != NULL)
			msg_panic("default for %s does not parse: %s",
			    conf_table[k].name, err);
		c->v[k].s = mem_strdup(conf_table[k].def);
	}
	return 0;
}

/* Names of restart-only keywords whose values differ, or NULL. */
char *
conf_restart_changes(const CONF *old, const CONF *new)
{
	char *out = NULL;
	size_t len = 0, n;
	int k;

	for (k = 0; k < KW_MAX; k++) {
		const char *a = old->v[k].s, *b = new->v[k].s;

		if (!conf_table[k].restart)
			continue;
		if ((a == NULL) == (b == NULL) && (a == NULL || !strcmp(a, b)))
			continue;
		n = strlen(conf_table[k].name);
		out = mem_realloc(out, len + n + 3);
		snprintf(out + len, n + 3, "%s%s", len ? ", " : "",
		    conf_table[k].name);
		len = strlen(out);
	}
	return out;
}

/* Is this domain one of MajorReceivers? */
int
conf_major_receiver(const CONF *c, const char *domain)
{
	const char *p = c->v[KW_MAJOR_RECEIVERS].s;
	size_t n = strlen(domain), w;

	while (p != NULL && *p != '\0') {
		p += strspn(p, ", \t");
		w = strcspn(p, ", \t");
		if (w == n && w > 0 && strncasecmp(p, domain, n) == 0)
			return 1;
		p += w;
	}
	return 0;
}

const char *conf_str(const CONF *c, enum conf_kw k) { return c->v[k].s; }
long long conf_num(const CONF *c, enum conf_kw k) { return c->v[k].n; }
int conf_line(const CONF *c, enum conf_kw k) { return c->v[k].line; }
const char *conf_name(enum conf_kw k) { return conf_table[k].name; }

const char *conf_path(const CONF *c) { return c->path; }
const char *conf_socket(const CONF *c) { return c->v[KW_SOCKET].s; }
const char *conf_metrics_listen(const CONF *c)
{ return c->v[KW_METRICS_LISTEN].s; }
mode_t conf_umask(const CONF *c) { return (mode_t)c->v[KW_UMASK].n; }
const char *conf_pidfile(const CONF *c) { return c->v[KW_PID_FILE].s; }
const char *conf_user(const CONF *c) { return c->v[KW_USER_ID].s; }
const char *conf_database_path(const CONF *c)
{ return c->v[KW_DATABASE_PATH].s; }
uint64_t conf_database_max(const CONF *c)
{ return (uint64_t)c->v[KW_DATABASE_MAX_SIZE].n; }

/* The database's files: group rights as UMask says, never others'. */
void
conf_store_opts(const CONF *c, STORE_OPTS *so)
{
	memset(so, 0, sizeof(*so));
	so->max_size = conf_database_max(c);
	so->file_mode = 0660 & ~(unsigned)conf_umask(c);
	/* with Cluster, every process that writes journals what it changes
	 * (the daemon, repguardctl): an outbox of at most a quarter of the
	 * database, and 256 MiB */
	if (conf_str(c, KW_CLUSTER) != NULL)
		so->journal_max = so->max_size / 4 < CONF_OUTBOX_MAX ?
		    so->max_size / 4 : CONF_OUTBOX_MAX;
}
const CIDR_LIST *conf_internal_hosts(const CONF *c)
{ return c->v[KW_INTERNAL_HOSTS].cidrs; }
int conf_sender_key(const CONF *c) { return (int)c->v[KW_SENDER_KEY].n; }
int conf_on_error(const CONF *c) { return (int)c->v[KW_ON_ERROR].n; }
int conf_suppression(const CONF *c) { return (int)c->v[KW_SUPPRESSION].n; }
int conf_pause_action(const CONF *c) { return (int)c->v[KW_PAUSE_ACTION].n; }
long long conf_probation_limit(const CONF *c)
{ return c->v[KW_PROBATION_LIMIT].n; }
int conf_syslog(const CONF *c) { return (int)c->v[KW_SYSLOG].n; }
int conf_syslog_facility(const CONF *c)
{ return (int)c->v[KW_SYSLOG_FACILITY].n; }
unsigned conf_commit_interval(const CONF *c)
{ return (unsigned)c->v[KW_COMMIT_INTERVAL].n; }
