/*
 * milter_rep.c - the reputation engine at MAIL FROM: the sender's state
 * decides whether its mail may go.
 *
 * Owns: milter_rep_gate(), milter_rep_rcpt().
 *
 * Decisions: the check is one read of the sender record (no writer
 * waited for).  Only when time alone may have changed the state (a
 * cool-down over, probation's window past) are its windows read and, if
 * the state does change, the change committed first, in a write
 * transaction, and then acted on.  A paused sender's mail gets
 * PauseAction: 451 4.7.1 (the client keeps it), 550 5.7.1, or it is
 * accepted into the MTA's hold queue at end of message.  On probation a
 * sender may send ProbationLimit messages per short window: a token
 * bucket (milter_shape.c), peeked at here and taken at end of message.
 * Refused mail
 * is not counted (the caller counts at end of message only).  At RCPT a
 * recipient on the suppression list (global, or the sender's) is refused
 * alone, so the rest of the message still goes; that is one read too.
 *
 * Must not: count anything, or hold a write transaction on the common
 * path.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "conf/conf.h"
#include "common/log.h"
#include "milter/milter_int.h"
#include "reputation/reputation.h"
#include "reputation/sender.h"
#include "store/store.h"
#include "reputation/suppress.h"

static void
milter_rep_time(int64_t t, char *out, size_t outsize)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsize, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static sfsistat
milter_paused(SMFICTX *ctx, struct milter_msg *m, const SENDER_STATE *s)
{
	const struct milter_conn *c = m->conn;
	char until[64], since[64], text[600];
	int action = conf_pause_action(c->conf);

	if (s->paused_until == 0)
		snprintf(until, sizeof(until), "resumed");
	else
		milter_rep_time(s->paused_until, until, sizeof(until));
	milter_rep_time(s->paused_at, since, sizeof(since));
	/* An SMTP reply line has room for about 500 octets: cap the parts. */
	snprintf(text, sizeof(text), "sender %.200s is paused until %s "
	    "(since %s): %.220s", m->sender, until, since,
	    s->reason[0] ? s->reason : "paused");
	MILTER_INFO(m, "client=%s sender=%s: paused until %s (%s, by %s): %s",
	    c->addr, m->sender, until, s->reason,
	    s->by[0] ? s->by : "unknown", action == CONF_PAUSE_REJECT ?
	    "rejected" : action == CONF_PAUSE_QUARANTINE ? "to be held" :
	    "temporary failure");
	if (action == CONF_PAUSE_QUARANTINE) {
		snprintf(m->quarantine, sizeof(m->quarantine), "repguard: %s",
		    text);
		m->reply.why = "paused";
		return SMFIS_CONTINUE;
	}
	milter_reply(ctx, m, action == CONF_PAUSE_REJECT ? "550" : "451",
	    action == CONF_PAUSE_REJECT ? "5.7.1" : "4.7.1", text, "paused");
	return action == CONF_PAUSE_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

struct milter_rep_op {
	const REP_RULES	*rules;
	const char	*key;
	int64_t		 now;
	SENDER_STATE	 s;
	REP_CHANGE	 ch;
	int		 changed;
};

/* Would judging now change the state?  (read only) */
static int
milter_rep_judge_fn(STORE_TXN *t, void *ctx)
{
	struct milter_rep_op *op = ctx;
	REP_WINDOWS w;
	REP_VERDICT v;

	if (rep_windows(t, op->rules, op->key, &op->s, op->now, &w) != 0)
		return STORE_ERROR;
	op->changed = rep_judge(op->rules, &op->s, &w, op->now, &v);
	return 0;
}

static int
milter_rep_update_fn(STORE_TXN *t, void *ctx)
{
	struct milter_rep_op *op = ctx;

	op->changed = rep_update(t, op->rules, op->key, op->now, &op->s,
	    &op->ch);
	return op->changed < 0 ? STORE_ERROR : 0;
}

/*
 * The sender's state at MAIL FROM.  SMFIS_CONTINUE: its mail may go
 * (possibly marked for the hold queue); anything else is the answer.
 */
sfsistat
milter_rep_gate(SMFICTX *ctx, struct milter_msg *m, int64_t now)
{
	const struct milter_conn *c = m->conn;
	const REP_RULES *r = conf_rep_rules(c->conf);
	struct milter_rep_op op;
	char err[512] = "";
	int rc;

	memset(&op, 0, sizeof(op));
	op.rules = r;
	op.key = m->sender;
	op.now = now;
	rc = sender_lookup(milter_store(), m->sender, &op.s, err, sizeof(err));
	if (rc == STORE_ERROR)
		return milter_on_error(ctx, m, err);
	if (r != NULL && rep_due(r, &op.s, now)) {
		/* a read first: probation may go on (too little mail yet) */
		if (store_read(milter_store(), milter_rep_judge_fn, &op, err,
		    sizeof(err)) != 0 || (op.changed && store_write(
		    milter_store(), milter_rep_update_fn, &op, err,
		    sizeof(err)) != 0))
			return milter_on_error(ctx, m, err);
		if (op.changed > 0)
			MILTER_INFO(m, "sender %s: %s -> %s: %s",
			    m->sender, sender_state_name(op.ch.from),
			    sender_state_name(op.ch.to), op.ch.why);
	}
	if (sender_is_paused(&op.s, now))
		return milter_paused(ctx, m, &op.s);
	/* on probation: ProbationLimit is a bucket (milter_shape.c), taken
	 * at end of message; an empty one is told here, before the data */
	m->probation = r != NULL && op.s.state == SENDER_PROBATION;
	if (m->probation && milter_probation_full(ctx, m, now * 1000))
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

struct milter_supp_op {
	const char	*sender, *addr;
	int64_t		 now;
	SUPPRESS_ENTRY	 e;
	int		 rc;
};

static int
milter_supp_fn(STORE_TXN *t, void *ctx)
{
	struct milter_supp_op *op = ctx;

	op->rc = suppress_check(t, op->sender, op->addr, op->now, &op->e);
	return op->rc == STORE_ERROR ? STORE_ERROR : 0;
}

/*
 * An outbound recipient (its canonical key): SMFIS_CONTINUE if it may
 * get the message, else the answer for this recipient alone.
 */
sfsistat
milter_rep_rcpt(SMFICTX *ctx, struct milter_msg *m, const char *key,
    int64_t now)
{
	const struct milter_conn *c = m->conn;
	struct milter_supp_op op;
	char err[512] = "", text[700];
	char since[64];

	if (conf_suppression(c->conf) == CONF_SUPPRESS_OFF)
		return SMFIS_CONTINUE;
	memset(&op, 0, sizeof(op));
	op.sender = m->sender;
	op.addr = key;
	op.now = now;
	if (store_read(milter_store(), milter_supp_fn, &op, err,
	    sizeof(err)) != 0) {
		if (conf_on_error(c->conf) == CONF_ON_ERROR_ACCEPT) {
			/* this recipient passes; the message goes on */
			MILTER_WARN(m, "suppression list: %s: rcpt %s passed "
			    "(OnError accept)", err, key);
			return SMFIS_CONTINUE;
		}
		return milter_on_error(ctx, m, err);	/* 451, this rcpt */
	}
	if (op.rc != 0)
		return SMFIS_CONTINUE;
	milter_rep_time(op.e.time, since, sizeof(since));
	MILTER_INFO(m, "sender=%s rcpt=%s: suppressed (%s%s%s, since %s, %s): "
	    "%s", m->sender, key, suppress_reason_name(op.e.reason),
	    op.e.scope[0] ? " for " : "", op.e.scope, since, op.e.source,
	    c->noreply & SMFIP_NR_RCPT ? "cannot refuse (no RCPT reply "
	    "negotiated), passed" : "refused");
	if (c->noreply & SMFIP_NR_RCPT)
		return SMFIS_CONTINUE;	/* Suppression switched on by a
					 * reload: this connection cannot */
	snprintf(text, sizeof(text), "repguard: %.300s is on the suppression "
	    "list since %s: %s", key, since, op.e.reason == SUPPRESS_HARD ?
	    "it bounced (hard)" : op.e.reason == SUPPRESS_COMPLAINT ?
	    "its owner complained" : "listed by the operator");
	milter_reply(ctx, m, "550", op.e.reason == SUPPRESS_HARD ? "5.1.1" :
	    "5.7.1", text, "suppressed");
	return SMFIS_REJECT;
}
