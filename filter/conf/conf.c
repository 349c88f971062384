/*
 * conf.c - the configuration file: a sorted, typed keyword table.
 *
 * Owns: conf_load(), conf_ref(), conf_unref(), conf_current(),
 * conf_install(), conf_restart_changes() and the conf_*() accessors.
 *
 * Syntax: one "Keyword value" per line; keywords are case-insensitive;
 * '#' at the start of a line or after white space begins a comment; blank
 * lines are ignored.  Every keyword has a type whose parser
 * (conf_value.c) checks the value; defaults go through the same parsers.
 * A snapshot also holds what its keywords name: keys, data files (bounce
 * rules, sender login map, signing authorisation), the return-path
 * resolver.  All errors of a file are collected, each as
 * "file:line: message", so `repguard -n` shows them at once.  A keyword
 * may be given once.
 *
 * Must not: log, exit, or touch anything but the files it reads (it is
 * used by `repguard -n`, by reload and by repguardctl).
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cidr.h"
#include "conf/conf.h"
#include "conf/conf_int.h"
#include "retpath/bouncerules.h"
#include "common/log.h"
#include "reputation/loginmap.h"
#include "base/mem.h"
#include "reputation/reputation.h"
#include "retpath/retpath.h"
#include "retpath/rpdns.h"
#include "reputation/sender.h"
#include "dkim/signer.h"
#include "base/textfile.h"

#define CONF_LINE_MAX	4096


/* Keyword indexes: the table below is sorted by name in this order. */
enum conf_kw {
	KW_BOUNCE_FORWARD, KW_BOUNCE_RULES, KW_BULK_COMPLIANCE, KW_BULK_LIMIT,
	KW_BULK_SENDERS, KW_CANONICALIZATION, KW_CLASS_HEADER,
	KW_COMMIT_INTERVAL, KW_DATABASE_MAX_SIZE, KW_DATABASE_PATH,
	KW_DEFAULT_KEY, KW_DNS_SERVER, KW_DNS_TIMEOUT, KW_DOMAIN, KW_DOMAIN_LIMITS,
	KW_FEEDBACK_ID, KW_FROM_ALIGNMENT, KW_INTERNAL_HOSTS, KW_KEY_FILE,
	KW_KEY_TABLE, KW_LIST_UNSUBSCRIBE_URL, KW_MAJOR_RECEIVERS, KW_METRICS_LISTEN,
	KW_MINIMUM_EVENTS, KW_MINIMUM_VOLUME, KW_MULTIPLE_SIGNATURES,
	KW_ON_DNS_ERROR, KW_ON_ERROR, KW_ON_NO_KEY,
	KW_ON_UNAUTHORIZED_FROM,
	KW_OVERSIGN_HEADERS,
	KW_PAUSE_ACTION, KW_PAUSE_BLOCK_RATE, KW_PAUSE_COMPLAINT_RATE,
	KW_PAUSE_COMPLAINTS,
	KW_PAUSE_COOLDOWN, KW_PAUSE_HARD_RATE, KW_PAUSE_HARD,
	KW_PAUSE_POLICY, KW_PID_FILE, KW_PROBATION_LIMIT,
	KW_PROBATION_STRICTNESS, KW_RATE_WINDOW_LONG, KW_RATE_WINDOW_SHORT,
	KW_RELAY_LIMIT, KW_REPORT_CLIENT_LIMIT, KW_REPORTS_PER_RCPT,
	KW_REPUTATION, KW_RP_CHECK, KW_RP_DOMAIN, KW_RP_EXPIRY, KW_RP_KEY_FILE,
	KW_RP_PREFIX, KW_RP_SENDERS,
	KW_SELECTOR, KW_SENDER_KEY, KW_SENDER_LOGIN_MAP,
	KW_SIGNATURE_ALGORITHM, KW_SIGN_HEADERS,
	KW_SIGNING_AUTHORIZATION,
	KW_SIGNING_DOMAIN_FROM,
	KW_SIGNING_TABLE, KW_SOCKET, KW_SUPPRESS_COMPLAINT_FOR,
	KW_SUPPRESS_HARD_FOR, KW_SUPPRESSION, KW_SYSLOG, KW_SYSLOG_FACILITY,
	KW_TRANSACTIONAL_LIMIT, KW_TRANSACTIONAL_SENDERS, KW_UMASK,
	KW_USER_ID, KW_WARMUP_SCHEDULE, KW_WARMUP_START,
	KW_WARN_BLOCK_RATE, KW_WARN_COMPLAINT_RATE, KW_WARN_HARD_RATE, KW_MAX
};

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
static const char *const conf_compliances[] = {
	"off", "log", "add", "reject", NULL		/* CONF_COMPLIANCE_* */
};
const char *const conf_algorithms[] = {
	"rsa-sha256", "ed25519-sha256", NULL		/* CONF_ALG_* */
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

static const struct conf_def conf_table[KW_MAX] = {
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


struct CONF {
	int		 refs;		/* under conf_lock */
	char		*path;
	struct conf_val	 v[KW_MAX];
	struct SIGNER	*signer;
	struct RETPATH	*retpath;
	LOGINMAP	*loginmap;	/* NULL: no SenderLoginMap */
	LOGINMAP	*signauth;	/* NULL: no SigningAuthorization */
	BOUNCE_RULES	*rules;		/* NULL: every class "unknown" */
	RPDNS		*rpdns;		/* NULL: ReturnPathCheck no */
	REP_RULES	 rep;		/* the reputation engine's rules */
	CONF_SHAPING	 shaping;
	char		*warnings;
};

static pthread_mutex_t conf_lock = PTHREAD_MUTEX_INITIALIZER;
static CONF *conf_cur;

/* Error collection. */

struct conf_errs {
	char	*buf;
	size_t	 len;
	int	 n;
};

__attribute__((format(printf, 4, 5)))
static void
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

static void
conf_free(CONF *c)
{
	int i;

	for (i = 0; i < KW_MAX; i++) {
		free(c->v[i].s);
		if (c->v[i].cidrs != NULL)
			cidr_list_free(c->v[i].cidrs);
	}
	signer_free(c->signer);
	retpath_free(c->retpath);
	loginmap_free(c->loginmap);
	loginmap_free(c->signauth);
	bouncerules_free(c->rules);
	rpdns_free(c->rpdns);
	conf_shaping_free(&c->shaping);
	free(c->warnings);
	free(c->path);
	free(c);
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

/* Add a parser's "file:line: message" lines to the errors. */
static void
conf_errs_add(struct conf_errs *e, const char *lines)
{
	size_t have = e->buf ? strlen(e->buf) : 0;

	e->buf = mem_realloc(e->buf, have + strlen(lines) + 1);
	memcpy(e->buf + have, lines, strlen(lines) + 1);
	e->len = have + strlen(lines);
	e->n++;
}

/* A warning line of the configuration (repguard -n and the log show it). */
__attribute__((format(printf, 2, 3)))
static void
conf_warn(CONF *c, const char *fmt, ...)
{
	char msg[900];
	size_t have, n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	n = strlen(msg);
	msg[n] = '\n';
	msg[n + 1] = '\0';
	have = c->warnings ? strlen(c->warnings) : 0;
	c->warnings = mem_realloc(c->warnings, have + strlen(msg) + 1);
	memcpy(c->warnings + have, msg, strlen(msg) + 1);
}

/*
 * The data file keyword kw names (bounce rules, sender login map), read
 * whole.  NULL when it cannot be read: an error at the keyword's line,
 * or only a warning if the keyword was left at its default and
 * missing_ok (the feature then works without the file).
 */
static char *
conf_data_file(CONF *c, int kw, const char *path, struct conf_errs *e,
    size_t max, size_t *len, int missing_ok)
{
	char *buf, *why = NULL;

	if ((buf = textfile_read(c->v[kw].s, max, len, &why)) != NULL)
		return buf;
	why[strcspn(why, "\n")] = '\0';
	if (c->v[kw].line == 0 && missing_ok)
		conf_warn(c, "%s: %s: %s", path, conf_table[kw].name, why);
	else
		conf_err(e, path, c->v[kw].line, "%s: %s", conf_table[kw].name,
		    why);
	free(why);
	return NULL;
}

/*
 * SigningAuthorization: who may be signed for which address (the
 * SenderLoginMap format, with client networks).  A relay that signs for
 * several domains with neither it nor a SenderLoginMap lets every client
 * sign as every one of them: a warning (repguard -n, the log).
 */
static void
conf_load_signauth(CONF *c, const char *path, struct conf_errs *e)
{
	char *buf, *errors = NULL, what[300];
	size_t len;

	if (e->n == 0 && c->v[KW_SIGNING_AUTHORIZATION].s != NULL &&
	    (buf = conf_data_file(c, KW_SIGNING_AUTHORIZATION, path, e,
	    LOGINMAP_FILE_MAX, &len, 0)) != NULL) {
		if ((c->signauth = loginmap_parse(buf, len,
		    c->v[KW_SIGNING_AUTHORIZATION].s, &errors)) == NULL)
			conf_errs_add(e, errors);
		free(errors);
		free(buf);
	}
	if (e->n == 0 && conf_signing_open(c, what, sizeof(what)))
		conf_warn(c, "%s: signing for %s without SigningAuthorization "
		    "or SenderLoginMap: every client may be signed for every "
		    "one of these domains (see OnUnauthorizedFrom in "
		    "repguard.conf(5))", path, what);
}

/*
 * What a snapshot reads besides its keywords: the reputation and shaping
 * rules built from them, the operator's bounce rules (BounceRules: read
 * before the built-in ones; a file that cannot be read is an error, never
 * a warning that leaves classing off), the DNS resolver of
 * ReturnPathCheck, the sender login map, the signing authorisation.  A
 * bad line of a data file is an error at that file's line.
 */
static void
conf_load_data(CONF *c, const char *path, struct conf_errs *e)
{
	char *buf, *errors = NULL, derr[256];
	size_t len;

	if ((c->v[KW_UMASK].n & 002) == 0)
		conf_warn(c, "%s:%d: UMask %03llo lets every local user write to "
		    "the milter socket and talk to repguard as the MTA does (a "
		    "forged report could pause a sender); use 007 and put the "
		    "MTA's user in repguard's group", path, c->v[KW_UMASK].line,
		    (unsigned long long)c->v[KW_UMASK].n);
	if ((errors = conf_rep_load(c, &c->rep)) != NULL ||
	    (e->n == 0 && (errors = conf_shaping_load(c, &c->shaping)) !=
	    NULL)) {
		conf_errs_add(e, errors);
		free(errors);
		errors = NULL;
	}
	if (e->n == 0 && c->v[KW_BOUNCE_RULES].s != NULL &&
	    (buf = conf_data_file(c, KW_BOUNCE_RULES, path, e,
	    BOUNCERULES_FILE_MAX, &len, 0)) != NULL) {
		if ((c->rules = bouncerules_parse(buf, len,
		    c->v[KW_BOUNCE_RULES].s, &errors)) == NULL)
			conf_errs_add(e, errors);
		else
			bouncerules_add_builtin(c->rules);
		free(errors);
		free(buf);
	}
	if (e->n == 0 && c->v[KW_RP_CHECK].n &&
	    (c->rpdns = rpdns_create(c->v[KW_DNS_SERVER].s,
	    (int)c->v[KW_DNS_TIMEOUT].n, derr, sizeof(derr))) == NULL)
		conf_err(e, path, c->v[KW_DNS_SERVER].line, "DNSServer: %s",
		    derr);
	errors = NULL;
	if (e->n == 0 && c->v[KW_SENDER_LOGIN_MAP].s != NULL &&
	    (buf = conf_data_file(c, KW_SENDER_LOGIN_MAP, path, e,
	    LOGINMAP_FILE_MAX, &len, 0)) != NULL) {
		if ((c->loginmap = loginmap_parse(buf, len,
		    c->v[KW_SENDER_LOGIN_MAP].s, &errors)) == NULL)
			conf_errs_add(e, errors);
		free(errors);
		free(buf);
	}
	conf_load_signauth(c, path, e);
}

CONF *
conf_load(const char *path, int flags, char **errors)
{
	struct conf_errs e = { NULL, 0, 0 };
	char msg[512];
	const char *err;
	CONF *c;
	FILE *fp;
	int k;

	*errors = NULL;
	if ((fp = fopen(path, "r")) == NULL) {
		conf_err(&e, path, 0, "cannot open: %s", strerror(errno));
		*errors = e.buf;
		return NULL;
	}
	c = mem_calloc(1, sizeof(*c));
	c->refs = 1;
	c->path = mem_strdup(path);
	conf_read(c, fp, path, &e);
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
	if (e.n == 0 && !(flags & CONF_NO_KEYS) &&
	    (c->signer = signer_create(c, &e.buf, &c->warnings)) == NULL)
		e.n++;
	if (e.n == 0 && !(flags & CONF_NO_KEYS) &&
	    (c->retpath = retpath_create(c, &e.buf)) == NULL)
		e.n++;
	conf_load_data(c, path, &e);
	if (e.n > 0) {
		conf_free(c);
		*errors = e.buf;
		return NULL;
	}
	return c;
}

void
conf_ref(CONF *c)
{
	pthread_mutex_lock(&conf_lock);
	c->refs++;
	pthread_mutex_unlock(&conf_lock);
}

void
conf_unref(CONF *c)
{
	int last;

	if (c == NULL)
		return;
	pthread_mutex_lock(&conf_lock);
	last = --c->refs == 0;
	pthread_mutex_unlock(&conf_lock);
	if (last)
		conf_free(c);
}

CONF *
conf_current(void)
{
	CONF *c;

	pthread_mutex_lock(&conf_lock);
	c = conf_cur;
	if (c != NULL)
		c->refs++;
	pthread_mutex_unlock(&conf_lock);
	return c;
}

void
conf_install(CONF *c)
{
	CONF *old;

	pthread_mutex_lock(&conf_lock);
	old = conf_cur;
	conf_cur = c;
	pthread_mutex_unlock(&conf_lock);
	conf_unref(old);
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

const char *conf_warnings(const CONF *c) { return c->warnings; }
const struct SIGNER *conf_signer(const CONF *c) { return c->signer; }
const struct RETPATH *conf_retpath(const CONF *c) { return c->retpath; }
const LOGINMAP *conf_loginmap(const CONF *c) { return c->loginmap; }
const LOGINMAP *conf_signauth(const CONF *c)
{ return c->signauth != NULL ? c->signauth : c->loginmap; }

/* Signing for several domains (what: which) and nobody says who may? */
int
conf_signing_open(const CONF *c, char *what, size_t whatsize)
{
	return conf_signauth(c) == NULL && c->signer != NULL &&
	    signer_domains(c->signer, what, whatsize) > 1;
}
const BOUNCE_RULES *conf_bounce_rules(const CONF *c) { return c->rules; }
RPDNS *conf_rpdns(const CONF *c) { return c->rpdns; }
const REP_RULES *conf_rep_rules(const CONF *c)
{ return c->v[KW_REPUTATION].n ? &c->rep : NULL; }
const CONF_SHAPING *conf_shaping(const CONF *c) { return &c->shaping; }

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

const char *
conf_str(const CONF *c, const char *keyword)
{
	int k = conf_lookup(keyword);

	if (k < 0)
		msg_panic("conf_str: no keyword %s", keyword);
	return c->v[k].s;
}

long long
conf_num(const CONF *c, const char *keyword)
{
	int k = conf_lookup(keyword);

	if (k < 0)
		msg_panic("conf_num: no keyword %s", keyword);
	return c->v[k].n;
}

int
conf_line(const CONF *c, const char *keyword)
{
	int k = conf_lookup(keyword);

	if (k < 0)
		msg_panic("conf_line: no keyword %s", keyword);
	return c->v[k].line;
}

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
