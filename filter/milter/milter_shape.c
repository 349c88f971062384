/*
 * milter_shape.c - traffic shaping in the milter: the class of each
 * outbound message, its rate limits, the relay's warm-up, and what bulk
 * mail must carry.
 *
 * Owns: milter_shape_rcpt(), milter_shape_header(), milter_shape_eoh(),
 * milter_shape_eom(), milter_shape_added(), milter_shape_went(),
 * milter_probation_full().
 *
 * Decisions: the class is decided at end of header (tclass.c) and
 * logged with its reason.  Buckets are the daemon's in-memory table
 * (shape.c): a check never waits for the store's writer.
 *   RCPT	each recipient takes one token from its domain's buckets
 *		(DomainLimits; every class: a receiver throttles the IP,
 *		whatever the mail); limited: 451 4.7.1 for that recipient
 *		alone, the others still go.
 *   EOM	the message takes one token from the sender's bucket of its
 *		class (BulkLimit or TransactionalLimit), from probation's
 *		(ProbationLimit per RateWindowShort), and from the relay's
 *		(RelayLimit) and today's warm-up quota.  The relay and the
 *		warm-up count every message but hold back only bulk mail:
 *		transactional mail is never delayed by a bulk limit.
 * Tokens a message took are given back if it does not go (refused
 * later, aborted, the connection lost; milter_msg_end() gives them
 * back): a refused message is charged to no bucket.  A bulk message
 * without one-click unsubscribe gets BulkCompliance: reject (550 5.7.1
 * naming what is missing, told at end of message), add (the headers
 * from ListUnsubscribeURL, fed to the signer before it starts, so the
 * DKIM signature covers them), log, or off.  FeedbackID adds a
 * Feedback-ID to any message without one.
 *
 * Must not: refuse at RCPT when the MTA was told no RCPT replies are
 * coming (then the recipient passes, logged), or hold the bucket table's
 * lock across anything but a take.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "common/log.h"
#include "base/mem.h"
#include "milter/milter_int.h"
#include "shaping/shape.h"

/* Remember a take, to give it back if the message does not go. */
static void
milter_shape_keep(struct milter_msg *m, const SHAPE_ITEM *it, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (m->ntaken == m->takencap) {
			m->takencap = m->takencap ? m->takencap * 2 : 8;
			m->taken = mem_realloc(m->taken, m->takencap *
			    sizeof(*m->taken));
		}
		m->taken[m->ntaken].name = mem_strdup(it[i].name);
		m->taken[m->ntaken].rule = *it[i].rule;
		m->taken[m->ntaken].soft = it[i].soft;
		m->ntaken++;
	}
}

/*
 * The message goes: what it took stays taken.  Whatever it still holds
 * when it ends is given back (milter_msg_end()).
 */
void
milter_shape_went(struct milter_msg *m)
{
	size_t i;

	for (i = 0; i < m->ntaken; i++)
		free(m->taken[i].name);
	m->ntaken = 0;
}

/*
 * A bucket's name: prefix, sender key, suffix.  A key too long for a
 * name (more than about 400 octets) is cut and followed by a hash of
 * the whole key, so that two such keys still get their own buckets.
 */
static void
milter_bucket_name(char *out, size_t outsize, const char *prefix,
    const char *key, const char *suffix)
{
	int n = snprintf(out, outsize, "%s%s%s", prefix, key, suffix);

	if (n >= 0 && (size_t)n < outsize)
		return;
	snprintf(out, outsize, "%s%.*s#%016llx%s", prefix, (int)(outsize -
	    strlen(prefix) - strlen(suffix) - 18), key,
	    (unsigned long long)shape_hash(key), suffix);
}

/* ", try again in N s" */
static void
milter_wait_text(int64_t wait_ms, char *out, size_t outsize)
{
	if (wait_ms == BUCKET_NEVER)
		snprintf(out, outsize, "try again after 00:00 UTC");
	else
		snprintf(out, outsize, "try again in %lld s",
		    (long long)((wait_ms + 999) / 1000));
}

/* An outbound recipient (canonical key): its domain's buckets. */
sfsistat
milter_shape_rcpt(SMFICTX *ctx, struct milter_msg *m, const char *rcpt,
    int64_t now_ms)
{
	const struct milter_conn *c = m->conn;
	const CONF_SHAPING *sh = conf_shaping(c->conf);
	const DOMLIMIT *hit[2];
	char names[2][BUCKET_NAME_MAX + 1], rule[80], wait[64], text[600];
	const char *dom = strrchr(rcpt, '@');
	SHAPE_ITEM it[2];
	SHAPE_RESULT res;
	size_t n, i;
	int rc;

	if (sh->domains == NULL || dom == NULL ||
	    (n = domlimit_find(sh->domains, dom + 1, hit)) == 0)
		return SMFIS_CONTINUE;
	for (i = 0; i < n; i++) {
		if (domlimit_bucket(hit[i], dom + 1, m->sender, names[i],
		    sizeof(names[i])) != 0)
			return SMFIS_CONTINUE;	/* a name too long: no limit */
		it[i].name = names[i];
		it[i].rule = &hit[i]->rule;
		it[i].soft = (c->noreply & SMFIP_NR_RCPT) != 0;
	}
	rc = shape_take(milter_shaping(), it, n, 1, now_ms, &res);
	if (rc == STORE_ERROR) {
		MILTER_WARN(m, "rate limit of %s: %s: rcpt passed",
		    it[res.which].name, res.err);
		return SMFIS_CONTINUE;
	}
	if (rc == 0) {
		milter_shape_keep(m, it, n);
		return SMFIS_CONTINUE;
	}
	bucket_rule_format(&hit[res.which]->rule, rule, sizeof(rule));
	milter_wait_text(res.wait_ms, wait, sizeof(wait));
	MILTER_INFO(m, "sender=%s rcpt=%s: limited by %s (%s%s): temporary "
	    "failure, %s", m->sender, rcpt, it[res.which].name, rule,
	    hit[res.which]->per_sender ? " per sender" : "", wait);
	snprintf(text, sizeof(text), "repguard: the rate limit for %.200s "
	    "(%s%s) is reached, %s", strcmp(hit[res.which]->group, "*") ?
	    hit[res.which]->group : dom + 1, rule, hit[res.which]->per_sender ?
	    " per sender" : "", wait);
	milter_reply(ctx, m, "451", "4.7.1", text, "domain-limit");
	return SMFIS_TEMPFAIL;
}

/*
 * A report to the bounce domain from this client: ReportClientLimit.  A
 * refusal is a 451 for this recipient; the client sends it later.
 */
sfsistat
milter_shape_report(SMFICTX *ctx, struct milter_msg *m, int64_t now_ms)
{
	const struct milter_conn *c = m->conn;
	const CONF_SHAPING *sh = conf_shaping(c->conf);
	char name[BUCKET_NAME_MAX + 1], rule[80], wait[64], text[400];
	SHAPE_ITEM it;
	SHAPE_RESULT res;
	int rc;

	if (sh->report_client.tokens == 0 || (c->noreply & SMFIP_NR_RCPT))
		return SMFIS_CONTINUE;
	snprintf(name, sizeof(name), "report:%s", c->addr[0] ? c->addr :
	    "unknown");
	it.name = name;
	it.rule = &sh->report_client;
	it.soft = 0;
	rc = shape_take(milter_shaping(), &it, 1, 1, now_ms, &res);
	if (rc == STORE_ERROR) {
		MILTER_WARN(m, "rate limit of %s: %s: report taken", name,
		    res.err);
		return SMFIS_CONTINUE;
	}
	if (rc == 0)
		return SMFIS_CONTINUE;
	bucket_rule_format(&sh->report_client, rule, sizeof(rule));
	milter_wait_text(res.wait_ms, wait, sizeof(wait));
	MILTER_INFO(m, "report from %s to %s: limited by %s (%s): temporary "
	    "failure, %s", c->addr, m->im.rcpt, name, rule, wait);
	snprintf(text, sizeof(text), "repguard: too many reports from %.64s "
	    "(%s), %s", c->addr, rule, wait);
	milter_reply(ctx, m, "451", "4.7.1", text, "report-limit");
	return SMFIS_TEMPFAIL;
}

void
milter_shape_header(struct milter_msg *m, const char *name,
    const char *value)
{
	const struct milter_conn *c = m->conn;

	if (!m->outbound)
		return;
	tclass_header(&m->tc, &conf_shaping(c->conf)->tclass, name, value);
	compliance_header(&m->cm, name, value);
}

/* A header to add at end of message, fed to the signer now. */
static void
milter_shape_add(struct milter_msg *m, const char *name, const char *value)
{
	const struct milter_conn *c = m->conn;
	char *v = mem_alloc(strlen(value) + 2);

	snprintf(v, strlen(value) + 2, "%s%s", c->leadspc ? " " : "", value);
	if (m->sign != NULL && m->sign_rc == SIGNER_OK)
		m->sign_rc = signer_msg_header(m->sign, name, v, !c->leadspc);
	m->added[m->nadded].name = mem_strdup(name);
	m->added[m->nadded].value = v;
	m->nadded++;
}

/* One-click unsubscribe headers from ListUnsubscribeURL. */
static void
milter_shape_unsubscribe(struct milter_msg *m, const COMPLIANCE_VARS *v,
    int missing)
{
	const struct milter_conn *c = m->conn;
	const CONF_SHAPING *sh = conf_shaping(c->conf);
	char url[900], hv[1000];
	int rc;

	if ((missing & COMPLIANCE_NO_HTTPS) && !(missing &
	    COMPLIANCE_NO_UNSUBSCRIBE)) {
		MILTER_INFO(m, "bulk mail from %s: its List-Unsubscribe has no "
		    "https URI; not changed (BulkCompliance add only adds "
		    "what is absent)", m->sender);
		missing &= ~COMPLIANCE_NO_HTTPS;
	}
	if (missing & COMPLIANCE_NO_UNSUBSCRIBE) {
		rc = compliance_expand(sh->unsubscribe_url, v, 1, url,
		    sizeof(url));
		if (rc != 0) {
			MILTER_INFO(m, "bulk mail from %s: List-Unsubscribe "
			    "not added: %s", m->sender, rc == -2 ?
			    "ListUnsubscribeURL names %{rcpt} and the message "
			    "has more than one recipient" : "URL too long");
			return;
		}
		snprintf(hv, sizeof(hv), "<%s>", url);
		milter_shape_add(m, "List-Unsubscribe", hv);
	}
	if ((missing & COMPLIANCE_NO_ONE_CLICK) && (m->cm.https ||
	    (missing & COMPLIANCE_NO_UNSUBSCRIBE)))
		milter_shape_add(m, "List-Unsubscribe-Post",
		    "List-Unsubscribe=One-Click");
	MILTER_INFO(m, "bulk mail from %s: added one-click unsubscribe "
	    "(BulkCompliance add)", m->sender);
}

/*
 * End of header: the class, then what bulk mail must carry.  Runs before
 * the signer is started, so that added headers are signed.
 */
void
milter_shape_eoh(struct milter_msg *m)
{
	const struct milter_conn *c = m->conn;
	const CONF_SHAPING *sh = conf_shaping(c->conf);
	COMPLIANCE_VARS v;
	char miss[200], fid[300];
	const char *at = strrchr(m->sender, '@');
	int missing;

	if (!m->outbound)
		return;
	m->cls = tclass_decide(&m->tc, &sh->tclass, m->sender, m->cls_why,
	    sizeof(m->cls_why));
	memset(&v, 0, sizeof(v));
	v.sender = m->sender;
	v.domain = at != NULL ? at + 1 : m->sender;
	v.class_name = tclass_name(m->cls);
	if (m->rcpts == 1 && m->first_rcpt[0] != '\0')
		v.rcpt = m->first_rcpt;
	if (sh->feedback_id != NULL && !m->cm.feedback_id &&
	    compliance_expand(sh->feedback_id, &v, 0, fid, sizeof(fid)) == 0)
		milter_shape_add(m, "Feedback-ID", fid);
	if (m->cls != TCLASS_BULK || sh->compliance == CONF_COMPLIANCE_OFF ||
	    (missing = compliance_missing(&m->cm)) == 0)
		return;
	compliance_missing_text(missing, miss, sizeof(miss));
	switch (sh->compliance) {
	case CONF_COMPLIANCE_REJECT:
		MILTER_INFO(m, "bulk mail from %s without %s (BulkCompliance "
		    "reject)", m->sender, miss);
		snprintf(m->shape_refuse, sizeof(m->shape_refuse), "repguard: "
		    "bulk mail must carry %s (RFC 8058 one-click "
		    "unsubscribe)", miss);
		break;
	case CONF_COMPLIANCE_ADD:
		milter_shape_unsubscribe(m, &v, missing);
		break;
	default:
		MILTER_INFO(m, "bulk mail from %s without %s (BulkCompliance "
		    "log)", m->sender, miss);
	}
}

/* Add the headers milter_shape_eoh() chose; -1 if the MTA refuses. */
int
milter_shape_added(SMFICTX *ctx, struct milter_msg *m)
{
	size_t i;

	for (i = 0; i < m->nadded; i++)
		if (smfi_addheader(ctx, m->added[i].name, m->added[i].value) !=
		    MI_SUCCESS)
			return -1;
	return 0;
}

/* The probation bucket's rule: ProbationLimit per RateWindowShort. */
static int
milter_probation_rule(const struct milter_msg *m, BUCKET_RULE *r,
    char *name, size_t namesize)
{
	const struct milter_conn *c = m->conn;
	const REP_RULES *rr = conf_rep_rules(c->conf);
	long long limit = conf_probation_limit(c->conf);

	if (rr == NULL || limit == 0)
		return 0;
	r->tokens = limit;
	r->burst = limit;
	r->period_ms = rr->window[0] * 1000;
	milter_bucket_name(name, namesize, "probation:", m->sender, "");
	return 1;
}

/*
 * At MAIL FROM, for a sender on probation: 1 if its bucket is empty
 * (the answer is then set), so that the client is told before it sends
 * the data.
 */
int
milter_probation_full(SMFICTX *ctx, struct milter_msg *m, int64_t now_ms)
{
	const struct milter_conn *c = m->conn;
	char name[BUCKET_NAME_MAX + 1], text[400], wait[64];
	BUCKET_RULE r;
	SHAPE_ITEM it;
	SHAPE_RESULT res;

	if (!milter_probation_rule(m, &r, name, sizeof(name)))
		return 0;
	it.name = name;
	it.rule = &r;
	it.soft = 0;
	if (shape_peek(milter_shaping(), &it, 1, 1, now_ms, &res) !=
	    SHAPE_LIMITED)
		return 0;
	milter_wait_text(res.wait_ms, wait, sizeof(wait));
	MILTER_INFO(m, "client=%s sender=%s: on probation, ProbationLimit "
	    "%lld per %llds reached: temporary failure, %s", c->addr,
	    m->sender, (long long)r.tokens, (long long)r.period_ms / 1000,
	    wait);
	snprintf(text, sizeof(text), "sender %.200s is on probation: at most "
	    "%lld messages per %llds, %s", m->sender,
	    (long long)r.tokens, (long long)r.period_ms / 1000, wait);
	milter_reply(ctx, m, "451", "4.7.1", text, "probation-limit");
	return 1;
}

/*
 * A bucket of the message's own is empty (hit): 451 4.7.1 naming it.
 * prob and quota are the rules milter_shape_eom() made for probation and
 * the warm-up, day the warm-up's day.
 */
static sfsistat
milter_shape_limited(SMFICTX *ctx, struct milter_msg *m,
    const SHAPE_ITEM *hit, int64_t wait_ms, const BUCKET_RULE *prob,
    const BUCKET_RULE *quota, int day)
{
	const struct milter_conn *c = m->conn;
	const CONF_SHAPING *sh = conf_shaping(c->conf);
	char rule[80], wait[64], text[600], what[500];

	milter_wait_text(wait_ms, wait, sizeof(wait));
	bucket_rule_format(hit->rule, rule, sizeof(rule));
	if (hit->rule == quota)
		snprintf(what, sizeof(what), "warm-up day %d: the relay's "
		    "limit of %lld bulk messages today", day,
		    (long long)quota->tokens);
	else if (hit->rule == prob)
		snprintf(what, sizeof(what), "sender %.200s is on probation: "
		    "at most %lld messages per %llds", m->sender,
		    (long long)prob->tokens, (long long)prob->period_ms / 1000);
	else if (hit->rule == &sh->relay)
		snprintf(what, sizeof(what), "the relay's limit for bulk mail "
		    "(%s)", rule);
	else
		snprintf(what, sizeof(what), "the %s limit of sender %.200s "
		    "(%s)", tclass_name(m->cls), m->sender, rule);
	MILTER_INFO(m, "client=%s sender=%s class=%s: limited by %s: %s: "
	    "temporary failure, %s", c->addr, m->sender,
	    tclass_name(m->cls), hit->name, what, wait);
	if (hit->rule == prob)
		snprintf(text, sizeof(text), "%s, %s", what, wait);
	else
		snprintf(text, sizeof(text), "repguard: %s is reached, %s",
		    what, wait);
	milter_reply(ctx, m, "451", "4.7.1", text, hit->rule == quota ?
	    "warmup" : hit->rule == prob ? "probation-limit" :
	    hit->rule == &sh->relay ? "relay-limit" :
	    m->cls == TCLASS_BULK ? "bulk-limit" : "transactional-limit");
	return SMFIS_TEMPFAIL;
}

/*
 * End of message: the message's own buckets.  SMFIS_CONTINUE: taken
 * (given back by milter_shape_end() if it does not go after all).
 */
sfsistat
milter_shape_eom(SMFICTX *ctx, struct milter_msg *m, int64_t now_ms)
{
	const struct milter_conn *c = m->conn;
	const CONF_SHAPING *sh = conf_shaping(c->conf);
	char names[4][BUCKET_NAME_MAX + 1];
	int bulk = m->cls == TCLASS_BULK, day = 0;
	BUCKET_RULE prob, quota;
	const BUCKET_RULE *own = bulk ? &sh->bulk : &sh->transactional;
	SHAPE_ITEM it[4];
	SHAPE_RESULT res;
	int64_t limit;
	size_t n = 0;
	int rc;

	if (m->shape_refuse[0] != '\0') {
		milter_reply(ctx, m, "550", "5.7.1", m->shape_refuse,
		    "compliance");
		return SMFIS_REJECT;
	}
	if (own->tokens > 0) {
		milter_bucket_name(names[n], sizeof(names[n]), "sender:",
		    m->sender, m->cls == TCLASS_BULK ? ":bulk" :
		    ":transactional");
		it[n].name = names[n];
		it[n].rule = own;
		it[n++].soft = 0;
	}
	if (m->probation && milter_probation_rule(m, &prob, names[n],
	    sizeof(names[n]))) {
		it[n].name = names[n];
		it[n].rule = &prob;
		it[n++].soft = 0;
	}
	if (sh->relay.tokens > 0) {
		snprintf(names[n], sizeof(names[n]), "relay");
		it[n].name = names[n];
		it[n].rule = &sh->relay;
		it[n++].soft = !bulk;
	}
	if (sh->warmup_start != 0 && (limit = warmup_limit(&sh->warmup,
	    sh->warmup_start, now_ms / 1000, &day)) > 0) {
		time_t t = (time_t)(now_ms / 1000);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(names[n], sizeof(names[n]), "warmup:%Y-%m-%d", &tm);
		quota.tokens = quota.burst = limit;
		quota.period_ms = 0;
		it[n].name = names[n];
		it[n].rule = &quota;
		it[n++].soft = !bulk;
	}
	if (n == 0)
		return SMFIS_CONTINUE;
	rc = shape_take(milter_shaping(), it, n, 1, now_ms, &res);
	if (rc == STORE_ERROR)
		return milter_on_error(ctx, m, res.err);
	if (rc == 0) {
		milter_shape_keep(m, it, n);
		return SMFIS_CONTINUE;
	}
	return milter_shape_limited(ctx, m, &it[res.which], res.wait_ms, &prob,
	    &quota, day);
}
