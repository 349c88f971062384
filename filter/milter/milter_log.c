/*
 * milter_log.c - the decision line of each message and each refused
 * recipient (declog.h): key=value pairs, the queue id first, beside the
 * readable lines the steps log.
 *
 * Owns: milter_log_message(), milter_log_rcpt(), milter_log_now_us().
 * Each decision is counted for the metrics (metrics.c) here too, so that
 * the log and the counters never disagree.
 *
 * Keys (doc/interfaces.md, "Decision lines"): qid (the MTA's queue id,
 * else the connection's "cN": Postfix names SMTP mail only after RCPT),
 * conn (the connection, "cN", on every line: it ties a recipient's line
 * to its message's), event (message, rcpt, report), decision (accept, hold, tempfail, reject, discard), stage
 * (mail, rcpt, eom), reason (the refusal's, or error), code and status
 * (the reply), client, sender (the key), from (the envelope sender),
 * rcpt, rcpts, rcpts_refused, size, class, class_rule, signatures,
 * returnpath (rewritten), detail (what failed), ms (from MAIL FROM to
 * the decision).
 *
 * Must not: log mail content beyond addresses and header-derived class
 * names, or allocate.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "common/declog.h"
#include "common/metrics.h"
#include "milter/milter_int.h"

int64_t
milter_log_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *
milter_log_decision(const struct milter_msg *m, sfsistat rs)
{
	switch (rs) {
	case SMFIS_TEMPFAIL:
		return "tempfail";
	case SMFIS_REJECT:
		return "reject";
	case SMFIS_DISCARD:
		return "discard";
	default:
		return m->quarantine[0] != '\0' ? "hold" : "accept";
	}
}

static void
milter_log_common(DECLOG *d, const struct milter_msg *m, sfsistat rs)
{
	const struct milter_conn *c = m->conn;
	char conn[32];

	snprintf(conn, sizeof(conn), "c%lu", c->serial);
	declog_str(d, "conn", conn);
	declog_str(d, "decision", milter_log_decision(m, rs));
}

static void
milter_log_reply(DECLOG *d, const struct milter_msg *m, sfsistat rs)
{
	declog_str(d, "reason", m->reply.why);
	if (rs == SMFIS_TEMPFAIL || rs == SMFIS_REJECT) {
		declog_str(d, "code", m->reply.rcode);
		declog_str(d, "status", m->reply.xcode);
	}
}

/* A message's decision, at MAIL FROM (a refusal) or at end of message. */
void
milter_log_message(struct milter_msg *m, const char *stage, sfsistat rs)
{
	const struct milter_conn *c = m->conn;
	double ms = m->t0_us > 0 ? (milter_log_now_us() - m->t0_us) / 1000.0 :
	    -1;
	int report = m->im.active || m->drop;
	DECLOG d;

	metrics_message(report ? METRICS_EV_REPORT : METRICS_EV_MESSAGE,
	    milter_log_decision(m, rs), m->reply.why, stage[0] == 'e' ? ms : -1,
	    m->nsigned, m->rewrite && rs == SMFIS_CONTINUE &&
	    stage[0] == 'e');
	declog_start(&d, m->id);
	declog_str(&d, "event", report ? "report" : "message");
	milter_log_common(&d, m, rs);
	declog_str(&d, "stage", stage);
	milter_log_reply(&d, m, rs);
	declog_str(&d, "client", c->addr);
	declog_str(&d, "sender", m->sender);
	declog_str(&d, "from", m->from);
	if (stage[0] == 'e') {
		declog_num(&d, "rcpts", (long long)m->rcpts);
		if (m->rcpts_refused > 0)
			declog_num(&d, "rcpts_refused",
			    (long long)m->rcpts_refused);
		declog_num(&d, "size", (long long)m->size);
		if (m->outbound) {
			declog_str(&d, "class", tclass_name(m->cls));
			declog_str(&d, "class_rule", m->cls_why);
			declog_num(&d, "signatures", (long long)m->nsigned);
			declog_str(&d, "returnpath", m->rewrite &&
			    rs == SMFIS_CONTINUE ? "rewritten" : NULL);
		}
	}
	declog_str(&d, "detail", m->reply.detail);
	if (ms >= 0)
		declog_ms(&d, "ms", ms);
	declog_emit(&d);
}

/* A recipient refused at RCPT, alone. */
void
milter_log_rcpt(struct milter_msg *m, const char *rcpt, sfsistat rs)
{
	const struct milter_conn *c = m->conn;
	DECLOG d;

	metrics_rcpt(m->reply.why);
	declog_start(&d, m->id);
	declog_str(&d, "event", "rcpt");
	milter_log_common(&d, m, rs);
	declog_str(&d, "stage", "rcpt");
	milter_log_reply(&d, m, rs);
	declog_str(&d, "client", c->addr);
	declog_str(&d, "sender", m->sender);
	declog_str(&d, "rcpt", rcpt);
	declog_str(&d, "detail", m->reply.detail);
	declog_emit(&d);
}
