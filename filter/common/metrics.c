/*
 * metrics.c - counters and their Prometheus exposition (see metrics.h).
 *
 * Owns: metrics_message(), metrics_rcpt(), metrics_bounce(),
 * metrics_report_rcpts(), metrics_sign_failed(), metrics_encode(), metrics_restore(),
 * metrics_load(), metrics_decode(), metrics_count(), metrics_render(),
 * metrics_listen_parse().
 *
 * Decisions: one flat array of 64-bit counters, indexed by fixed tables
 * (decisions, reasons, bounce classes, latency buckets), added to with
 * relaxed atomics; a label value not in its table counts as "other".
 * The stored form is a version octet, the number of counters (2 octets)
 * and each counter (8 octets, big-endian): a newer daemon reading an
 * older form keeps the counters it knows.  Gauges (senders by state,
 * the database's map and use) are read from the store when rendered.
 *
 * Must not: allocate or lock on the message path; render label values
 * that did not come from its tables.
 */
#define _GNU_SOURCE		/* open_memstream */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cluster/cstatus.h"
#include "common/metrics.h"
#include "common/procstat.h"
#include "reputation/sender.h"

#define METRICS_VERSION	1

static const char *const m_decisions[] = {
	"accept", "hold", "tempfail", "reject", "discard"
};
#define M_NDEC	(sizeof(m_decisions) / sizeof(m_decisions[0]))

/* the reasons of the decision lines (doc/interfaces.md); "none" first */
static const char *const m_reasons[] = {
	"none", "paused", "probation-limit", "bulk-limit",
	"transactional-limit", "relay-limit", "warmup", "domain-limit",
	"suppressed", "compliance", "no-key", "alignment", "login-map",
	"sender-domain", "dns-error", "bad-token", "error", "other"
};
#define M_NREASON	(sizeof(m_reasons) / sizeof(m_reasons[0]))

static const char *const m_classes[] = {
	"hard", "soft", "quota", "policy", "complaint", "auto-reply",
	"unknown", "other"
};
#define M_NCLASS	(sizeof(m_classes) / sizeof(m_classes[0]))

/* what became of the recipients a report named (policy/retpath/rpaccount.h) */
static const char *const m_verdicts[] = {
	"counted", "known", "not-recipient", "no-record", "ours",
	"over-limit", "auto-reply", "other"
};
#define M_NVERDICT	(sizeof(m_verdicts) / sizeof(m_verdicts[0]))

/* latency buckets, seconds (upper bounds; +Inf is the count) */
static const double m_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5
};
#define M_NBUCKET	(sizeof(m_buckets) / sizeof(m_buckets[0]))

enum {
	M_MSG = 0,					/* [event][dec][reason] */
	M_RCPT = M_MSG + 2 * M_NDEC * M_NREASON,	/* [reason] */
	M_SIGNATURES = M_RCPT + M_NREASON,
	M_SIGN_FAILED,
	M_REWRITTEN,
	M_BOUNCE,					/* [class] */
	M_LAT = M_BOUNCE + M_NCLASS,			/* [bucket] */
	M_LAT_SUM_US = M_LAT + M_NBUCKET,
	M_LAT_COUNT,
	M_REPORT_RCPT,					/* [verdict] */
	M_COUNT = M_REPORT_RCPT + M_NVERDICT
};

static uint64_t m_value[M_COUNT];

static size_t
m_index(const char *const *table, size_t n, const char *v)
{
	size_t i;

	if (v == NULL || *v == '\0')
		return 0;		/* "none" where the table has it */
	for (i = 0; i < n; i++)
		if (strcmp(table[i], v) == 0)
			return i;
	return n - 1;			/* "other" */
}

static void
m_add(size_t i, uint64_t n)
{
	__atomic_add_fetch(&m_value[i], n, __ATOMIC_RELAXED);
}

void
metrics_message(int event, const char *decision, const char *reason,
    double ms, size_t signatures, int rewritten)
{
	size_t d, r, b;

	for (d = 0; d < M_NDEC && strcmp(m_decisions[d], decision) != 0; d++)
		;
	if (d == M_NDEC)
		d = 0;
	r = m_index(m_reasons, M_NREASON, reason);
	m_add(M_MSG + ((size_t)(event == METRICS_EV_REPORT) * M_NDEC + d) *
	    M_NREASON + r, 1);
	if (signatures > 0)
		m_add(M_SIGNATURES, signatures);
	if (rewritten)
		m_add(M_REWRITTEN, 1);
	if (event != METRICS_EV_MESSAGE || ms < 0)
		return;
	for (b = 0; b < M_NBUCKET; b++)
		if (ms / 1000.0 <= m_buckets[b])
			m_add(M_LAT + b, 1);
	m_add(M_LAT_SUM_US, (uint64_t)(ms * 1000.0));
	m_add(M_LAT_COUNT, 1);
}

void
metrics_rcpt(const char *reason)
{
	m_add(M_RCPT + m_index(m_reasons, M_NREASON, reason), 1);
}

void
metrics_bounce(const char *cls, uint64_t n)
{
	size_t i;

	for (i = 0; i < M_NCLASS - 1 && (cls == NULL ||
	    strcmp(m_classes[i], cls) != 0); i++)
		;
	m_add(M_BOUNCE + i, n);
}

void
metrics_report_rcpts(const char *verdict, uint64_t n)
{
	if (n > 0)
		m_add(M_REPORT_RCPT + m_index(m_verdicts, M_NVERDICT, verdict),
		    n);
}

void
metrics_sign_failed(void)
{
	m_add(M_SIGN_FAILED, 1);
}

size_t
metrics_count(void)
{
	return M_COUNT;
}

size_t
metrics_encode(unsigned char *out)
{
	size_t n = 0, i;

	store_key_u8(out, METRICS_VALUE_MAX, &n, METRICS_VERSION);
	store_key_u8(out, METRICS_VALUE_MAX, &n, (unsigned)M_COUNT >> 8);
	store_key_u8(out, METRICS_VALUE_MAX, &n, (unsigned)M_COUNT & 0xff);
	for (i = 0; i < M_COUNT; i++)
		store_key_u64(out, METRICS_VALUE_MAX, &n,
		    __atomic_load_n(&m_value[i], __ATOMIC_RELAXED));
	return n;
}

/* The stored counters into values[M_COUNT] (missing ones 0): 0, or -1 for
 * a value that is not ours. */
int
metrics_decode(const void *val, size_t vlen, uint64_t *values, size_t *n)
{
	const unsigned char *p = val;
	size_t have, i;

	memset(values, 0, M_COUNT * sizeof(*values));
	*n = M_COUNT;
	if (vlen < 3 || p[0] != METRICS_VERSION)
		return -1;
	have = (size_t)p[1] << 8 | p[2];
	if (vlen != 3 + have * 8)
		return -1;
	for (i = 0; i < have && i < M_COUNT; i++)
		values[i] = store_get_u64(p + 3 + i * 8);
	return 0;
}

struct m_load {
	uint64_t	*values;
	int		 found;
};

static int
m_load_fn(STORE_TXN *t, void *ctx)
{
	struct m_load *l = ctx;
	const void *v;
	size_t vlen, n;
	int rc = store_get(t, STORE_DB_META, METRICS_KEY, strlen(METRICS_KEY),
	    &v, &vlen);

	l->found = rc == 0 && metrics_decode(v, vlen, l->values, &n) == 0;
	if (!l->found)
		memset(l->values, 0, M_COUNT * sizeof(*l->values));
	return rc == STORE_ERROR ? STORE_ERROR : 0;
}

/* The counters the store holds into values[metrics_count()] (zeros when
 * none): 0, or STORE_ERROR (err). */
int
metrics_load(STORE *st, uint64_t *values, char *err, size_t errlen)
{
	struct m_load l = { values, 0 };

	return store_read(st, m_load_fn, &l, err, errlen) != 0 ? STORE_ERROR :
	    0;
}

/* Go on from the counters the store holds (at start). */
int
metrics_restore(STORE *st, char *err, size_t errlen)
{
	uint64_t v[M_COUNT];
	size_t i;

	if (metrics_load(st, v, err, errlen) != 0)
		return STORE_ERROR;
	for (i = 0; i < M_COUNT; i++)
		m_add(i, v[i]);
	return 0;
}

struct m_gauges {
	uint64_t	 state[4];	/* SENDER_ACTIVE ... SENDER_PROBATION */
	int64_t		 now;
	int		 clustered;	/* a cluster status was written */
	CSTATUS		 cs;
	STORE_JOURNAL_STAT js;
};

static int
m_sender_cb(const char *key, const SENDER_STATE *s, void *ctx)
{
	struct m_gauges *g = ctx;
	int st = s->state;

	(void)key;
	if (st == SENDER_PAUSED && !sender_is_paused(s, g->now))
		st = SENDER_PROBATION;	/* due: the engine moves it soon */
	if (st >= 0 && st < 4)
		g->state[st]++;
	return 0;
}

static int
m_gauges_fn(STORE_TXN *t, void *ctx)
{
	struct m_gauges *g = ctx;

	memset(g->state, 0, sizeof(g->state));
	g->clustered = cstatus_get(t, &g->cs) == 0 &&
	    store_journal_stat(t, &g->js) == 0;
	return sender_list(t, m_sender_cb, g);
}

static void
m_counter(FILE *fp, const char *name, const char *help)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

/* The node's link with its cluster, as its thread last wrote it: up only
 * if written in the last 5 s (a daemon that died is not up). */
static void
m_render_cluster(FILE *fp, const struct m_gauges *g)
{
	const CSTATUS *c = &g->cs;
	int up = c->up && g->now - c->updated <= 5;

	fprintf(fp, "# HELP repguard_cluster_up 1 if the cluster's Redis "
	    "answers this node.\n# TYPE repguard_cluster_up gauge\n"
	    "repguard_cluster_up %d\n", up);
	fprintf(fp, "# HELP repguard_cluster_outbox_entries Changes waiting "
	    "for the cluster.\n# TYPE repguard_cluster_outbox_entries gauge\n"
	    "repguard_cluster_outbox_entries %llu\n",
	    (unsigned long long)g->js.depth);
	fprintf(fp, "# HELP repguard_cluster_outbox_bytes Their size.\n"
	    "# TYPE repguard_cluster_outbox_bytes gauge\n"
	    "repguard_cluster_outbox_bytes %llu\n",
	    (unsigned long long)g->js.bytes);
	m_counter(fp, "repguard_cluster_outbox_dropped_total", "Changes the "
	    "full outbox could not keep (a resync follows).");
	fprintf(fp, "repguard_cluster_outbox_dropped_total %llu\n",
	    (unsigned long long)g->js.dropped);
	fprintf(fp, "# HELP repguard_cluster_lag_seconds How far behind the "
	    "newest change read this node is.\n# TYPE "
	    "repguard_cluster_lag_seconds gauge\nrepguard_cluster_lag_seconds "
	    "%.3f\n", (double)c->lag_ms / 1000);
	fprintf(fp, "# HELP repguard_cluster_rtt_seconds The last round trip "
	    "to Redis.\n# TYPE repguard_cluster_rtt_seconds gauge\n"
	    "repguard_cluster_rtt_seconds %.6f\n", (double)c->rtt_us / 1e6);
	m_counter(fp, "repguard_cluster_changes_sent_total", "Changes sent to "
	    "the cluster since the daemon started.");
	fprintf(fp, "repguard_cluster_changes_sent_total %llu\n",
	    (unsigned long long)c->pushed);
	m_counter(fp, "repguard_cluster_roundtrips_total", "Exchanges with "
	    "Redis since the daemon started.");
	fprintf(fp, "repguard_cluster_roundtrips_total %llu\n",
	    (unsigned long long)c->roundtrips);
	m_counter(fp, "repguard_cluster_changes_applied_total", "Other nodes' "
	    "changes applied here since the daemon started.");
	fprintf(fp, "repguard_cluster_changes_applied_total %llu\n",
	    (unsigned long long)c->applied);
}


/* Messages by event, decision and reason; recipients refused at RCPT. */
static void
m_render_decisions(FILE *fp, const uint64_t *v)
{
	static const char *const events[] = { "message", "report" };
	size_t i, d, r, e;

	m_counter(fp, "repguard_messages_total", "Messages decided, by event, "
	    "decision and reason (doc/interfaces.md, decision lines).");
	for (e = 0; e < 2; e++)
		for (d = 0; d < M_NDEC; d++)
			for (r = 0; r < M_NREASON; r++) {
				i = M_MSG + (e * M_NDEC + d) * M_NREASON + r;
				if (v[i] == 0 && !(e == 0 && r == 0 &&
				    d == 0))
					continue;
				fprintf(fp, "repguard_messages_total{event=\"%s\","
				    "decision=\"%s\",reason=\"%s\"} %llu\n",
				    events[e], m_decisions[d], m_reasons[r],
				    (unsigned long long)v[i]);
			}
	m_counter(fp, "repguard_recipients_refused_total", "Recipients "
	    "refused alone at RCPT, by reason.");
	for (r = 1; r < M_NREASON; r++)
		if (v[M_RCPT + r] != 0 || !strcmp(m_reasons[r], "suppressed") ||
		    !strcmp(m_reasons[r], "domain-limit"))
			fprintf(fp, "repguard_recipients_refused_total{reason="
			    "\"%s\"} %llu\n", m_reasons[r],
			    (unsigned long long)v[M_RCPT + r]);
}

/* Signatures, return-paths, reports that came back, and latency. */
static void
m_render_work(FILE *fp, const uint64_t *v)
{
	size_t i;

	m_counter(fp, "repguard_signatures_total", "DKIM signatures added.");
	fprintf(fp, "repguard_signatures_total %llu\n",
	    (unsigned long long)v[M_SIGNATURES]);
	m_counter(fp, "repguard_signing_failures_total", "Messages whose "
	    "signing failed.");
	fprintf(fp, "repguard_signing_failures_total %llu\n",
	    (unsigned long long)v[M_SIGN_FAILED]);
	m_counter(fp, "repguard_returnpath_rewritten_total", "Messages whose "
	    "return-path was rewritten.");
	fprintf(fp, "repguard_returnpath_rewritten_total %llu\n",
	    (unsigned long long)v[M_REWRITTEN]);
	m_counter(fp, "repguard_bounces_total", "Bounces and complaints "
	    "recorded, by class.");
	for (i = 0; i < M_NCLASS; i++)
		fprintf(fp, "repguard_bounces_total{class=\"%s\"} %llu\n",
		    m_classes[i], (unsigned long long)v[M_BOUNCE + i]);
	m_counter(fp, "repguard_report_recipients_total", "Recipients named "
	    "by reports that came back, by what became of them (counted, "
	    "known, not-recipient: forged or foreign, no-record, ours, "
	    "over-limit, auto-reply).");
	for (i = 0; i < M_NVERDICT - 1; i++)
		fprintf(fp, "repguard_report_recipients_total{verdict=\"%s\"} "
		    "%llu\n", m_verdicts[i],
		    (unsigned long long)v[M_REPORT_RCPT + i]);
	fprintf(fp, "# HELP repguard_message_duration_seconds Time from MAIL "
	    "FROM to the decision at end of message.\n# TYPE "
	    "repguard_message_duration_seconds histogram\n");
	for (i = 0; i < M_NBUCKET; i++)
		fprintf(fp, "repguard_message_duration_seconds_bucket{le=\"%g\"}"
		    " %llu\n", m_buckets[i], (unsigned long long)v[M_LAT + i]);
	fprintf(fp, "repguard_message_duration_seconds_bucket{le=\"+Inf\"} "
	    "%llu\nrepguard_message_duration_seconds_sum %.6f\n"
	    "repguard_message_duration_seconds_count %llu\n",
	    (unsigned long long)v[M_LAT_COUNT], v[M_LAT_SUM_US] / 1e6,
	    (unsigned long long)v[M_LAT_COUNT]);
}

/* Gauges read from the store: senders by state, the map's size. */
static void
m_render_store(FILE *fp, STORE *st)
{
	static const char *const states[] = {
		"active", "warning", "paused", "probation"
	};
	struct m_gauges g;
	char err[256];
	size_t i;

	memset(&g, 0, sizeof(g));
	g.now = clock_now();
	if (store_read(st, m_gauges_fn, &g, err, sizeof(err)) == 0) {
		fprintf(fp, "# HELP repguard_senders Senders by state.\n"
		    "# TYPE repguard_senders gauge\n");
		for (i = 0; i < 4; i++)
			fprintf(fp, "repguard_senders{state=\"%s\"} %llu\n",
			    states[i], (unsigned long long)g.state[i]);
		if (g.clustered)
			m_render_cluster(fp, &g);
	}
	fprintf(fp, "# HELP repguard_db_map_bytes The database's map "
	    "size.\n# TYPE repguard_db_map_bytes gauge\n"
	    "repguard_db_map_bytes %llu\n# HELP repguard_db_used_bytes "
	    "The database's pages in use.\n# TYPE "
	    "repguard_db_used_bytes gauge\nrepguard_db_used_bytes "
	    "%llu\n", (unsigned long long)store_map_size(st),
	    (unsigned long long)store_used_bytes(st));
}

char *
metrics_render(STORE *st, const uint64_t *values, size_t *len)
{
	uint64_t v[M_COUNT];
	char *buf = NULL;
	size_t i;
	FILE *fp;

	for (i = 0; i < M_COUNT; i++)
		v[i] = values != NULL ? values[i] :
		    __atomic_load_n(&m_value[i], __ATOMIC_RELAXED);
	if ((fp = open_memstream(&buf, len)) == NULL)
		return NULL;
	m_render_decisions(fp, v);
	m_render_work(fp, v);
	if (st != NULL)
		m_render_store(fp, st);
	if (values == NULL)		/* this process: the daemon */
		procstat_render(fp);
	if (fclose(fp) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* "127.0.0.1:9521" or "[::1]:9521" into a socket address; NULL or why not. */
const char *
metrics_listen_parse(const char *spec, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *colon;
	char *end;
	long port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') {
		if ((colon = strstr(spec, "]:")) == NULL)
			return "expected [IPv6]:PORT";
		n = (size_t)(colon - spec - 1);
		colon++;
		spec++;
	} else {
		if ((colon = strrchr(spec, ':')) == NULL)
			return "expected ADDRESS:PORT, such as 127.0.0.1:9521";
		n = (size_t)(colon - spec);
	}
	if (n == 0 || n >= sizeof(host))
		return "expected ADDRESS:PORT, such as 127.0.0.1:9521";
	memcpy(host, spec, n);
	host[n] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || errno || port < 1 ||
	    port > 65535)
		return "the port must be a number from 1 to 65535";
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else
		return "the address must be an IPv4 or IPv6 address";
	return NULL;
}
