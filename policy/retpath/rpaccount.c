/*
 * rpaccount.c - what a report that came back may change (see
 * rpaccount.h).
 *
 * Owns: rpaccount_report(), rpaccount_kind(), rpaccount_verdict_name().
 *
 * Decisions: the record is read in the caller's write transaction, so
 * two reports for one token cannot both pass its limit, and its report
 * counts are written back there.  Everything an outsider holding the
 * token can change is bounded by the record: the recipients it lists,
 * one event of each kind for each, reports_per_rcpt reports and one
 * forward per recipient.  A recipient the record cannot vouch for
 * (unlisted) counts at most once a kind for the whole message and never
 * reaches the suppression list; its event shows the address the report
 * named (canonical), the key holds none.
 *
 * Must not: include lmdb.h or a filter/ header, log, or read the clock.
 */
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "retpath/bevent.h"
#include "retpath/rpaccount.h"
#include "reputation/suppress.h"

static const char *const rpaccount_verdicts[RPACCOUNT_VERDICTS] = {
	"counted", "known", "not-recipient", "no-record", "ours",
	"over-limit", "auto-reply"
};

const char *
rpaccount_verdict_name(int v)
{
	return v >= 0 && v < RPACCOUNT_VERDICTS ? rpaccount_verdicts[v] : "?";
}

const char *
rpaccount_kind(const BOUNCE_RCPT *r)
{
	if (r->cls != NULL && strcmp(r->cls, "complaint") == 0)
		return "complaint";
	if (r->cls != NULL && strcmp(r->cls, "auto-reply") == 0)
		return "auto-reply";
	return r->status[0] == '4' ? "delay" : "failure";
}

/* Which counter an event of this class adds to; -1: none. */
static int
rpaccount_counter(const RPACCOUNT_RULES *ru, const char *cls,
    const char *rcpt)
{
	const char *at;

	if (cls == NULL)
		return -1;
	if (strcmp(cls, "hard") == 0)
		return SENDER_HARD;
	if (strcmp(cls, "soft") == 0 || strcmp(cls, "quota") == 0)
		return SENDER_SOFT;
	if (strcmp(cls, "complaint") == 0)
		return SENDER_COMPLAINTS;
	if (strcmp(cls, "policy") == 0)
		return ru->major != NULL && (at = strrchr(rcpt, '@')) != NULL &&
		    ru->major(at + 1, ru->major_ctx) ? SENDER_POLICY_MAJOR :
		    SENDER_POLICY;
	return -1;
}

/* A receiver's block of the relay, not of the address: the block rate. */
static int
rpaccount_blocked(const char *reason)
{
	return reason != NULL && (strcmp(reason, "blocked") == 0 ||
	    strcmp(reason, "authentication") == 0 ||
	    strcmp(reason, "spam-content") == 0);
}

/* One of our own 451s for a paused sender, seen from the next hop. */
static int
rpaccount_ours(const BOUNCE_RCPT *r)
{
	return strstr(r->diagnostic, " is paused until ") != NULL &&
	    strncmp(r->status, "4.7.1", 5) == 0;
}

/*
 * The recipient of the message this report entry is about, in key (""
 * for an unlisted one): RPRECORD_LISTED if its Final- or
 * Original-Recipient is on the record's list, else RPRECORD_UNKNOWN
 * (counted as unlisted) when the list is incomplete, RPRECORD_NOT_LISTED
 * when it is whole.
 */
static int
rpaccount_match(const RPRECORD *rec, const BOUNCE_RCPT *r, char *key,
    size_t keysize)
{
	const char *cand[2] = { r->address, r->original };
	size_t n;
	int i;

	for (i = 0; i < 2; i++)
		if (cand[i][0] != '\0' && addr_canon(cand[i], strlen(cand[i]),
		    key, keysize, &n) == NULL && n > 0 &&
		    rprecord_listed(rec, key) == RPRECORD_LISTED)
			return RPRECORD_LISTED;
	key[0] = '\0';
	return rprecord_complete(rec) ? RPRECORD_NOT_LISTED :
	    RPRECORD_UNKNOWN;
}

/* A hard bounce or a complaint of a listed recipient: suppressed. */
static int
rpaccount_suppress(STORE_TXN *t, const RPACCOUNT_RULES *ru,
    const RPRECORD *rec, const BOUNCE *b, const BOUNCE_RCPT *r,
    const char *key, int64_t now, int *done)
{
	int complaint = r->cls != NULL && strcmp(r->cls, "complaint") == 0;
	SUPPRESS_ENTRY e;
	int64_t keep;

	*done = 0;
	if (ru->suppression == RPACCOUNT_SUPPRESS_OFF || (!complaint &&
	    (r->cls == NULL || strcmp(r->cls, "hard") != 0)) ||
	    (ru->suppression == RPACCOUNT_SUPPRESS_SENDER &&
	    rec->sender[0] == '\0'))
		return 0;
	memset(&e, 0, sizeof(e));
	e.reason = complaint ? SUPPRESS_COMPLAINT : SUPPRESS_HARD;
	e.time = now;
	keep = complaint ? ru->keep_complaint : ru->keep_hard;
	e.expires = keep > 0 ? now + keep : 0;
	snprintf(e.source, sizeof(e.source), "%s report%s%.16s, message "
	    "%.40s from %.120s", bounce_type_name(b->type),
	    r->status[0] ? ", status " : "", r->status, rec->qid, rec->sender);
	snprintf(e.status, sizeof(e.status), "%s", r->status);
	snprintf(e.why, sizeof(e.why), "%s", r->reason ? r->reason : "");
	snprintf(e.diagnostic, sizeof(e.diagnostic), "%s", r->diagnostic);
	*done = 1;
	return suppress_put(t, ru->suppression == RPACCOUNT_SUPPRESS_SENDER ?
	    rec->sender : "", key, &e);
}

/* One entry of the report: its verdict, and its event if it is new. */
static int
rpaccount_one(STORE_TXN *t, const RPACCOUNT_RULES *ru, uint64_t id,
    const BOUNCE *b, size_t i, int64_t now, RPACCOUNT_RESULT *res)
{
	const RPRECORD *rec = &res->record;
	const BOUNCE_RCPT *r = &res->rcpts[i];
	char key[ADDR_KEY_MAX];
	SENDER_COUNTS d;
	BEVENT e;
	size_t n;
	int rc, k;

	key[0] = '\0';
	if (rpaccount_ours(r)) {
		res->verdict[i] = RPACCOUNT_OURS;
		return 0;
	}
	if (r->cls != NULL && strcmp(r->cls, "auto-reply") == 0) {
		res->verdict[i] = RPACCOUNT_AUTOREPLY;
		return 0;
	}
	rc = res->implied && r->address[0] == '\0' ? RPRECORD_UNKNOWN :
	    rpaccount_match(rec, r, key, sizeof(key));
	if (rc == RPRECORD_NOT_LISTED) {
		res->verdict[i] = RPACCOUNT_NOT_RECIPIENT;
		return 0;
	}
	res->unlisted[i] = rc != RPRECORD_LISTED;
	memset(&e, 0, sizeof(e));
	if (bevent_key(id, rpaccount_kind(r), key, e.id) != 0)
		return STORE_ERROR;
	e.time = now;
	snprintf(e.sender, sizeof(e.sender), "%s", rec->sender);
	snprintf(e.from, sizeof(e.from), "%s", rec->from);
	if (key[0] != '\0')
		snprintf(e.rcpt, sizeof(e.rcpt), "%s", key);
	else if (r->address[0] == '\0' || addr_canon(r->address,
	    strlen(r->address), e.rcpt, sizeof(e.rcpt), &n) != NULL)
		snprintf(e.rcpt, sizeof(e.rcpt), "(unnamed)");
	snprintf(e.cls, sizeof(e.cls), "%s", r->cls ? r->cls : "unknown");
	snprintf(e.status, sizeof(e.status), "%s", r->status);
	snprintf(e.type, sizeof(e.type), "%s", bounce_type_name(b->type));
	snprintf(e.reason, sizeof(e.reason), "%s", r->reason ? r->reason :
	    "unknown");
	snprintf(e.diagnostic, sizeof(e.diagnostic), "%s", r->diagnostic);
	if ((rc = bevent_put(t, &e)) == BEVENT_DUPLICATE) {
		res->verdict[i] = RPACCOUNT_KNOWN;
		return 0;
	}
	if (rc != 0)
		return STORE_ERROR;
	res->verdict[i] = RPACCOUNT_COUNTED;
	memset(&d, 0, sizeof(d));
	if ((k = rpaccount_counter(ru, r->cls, key[0] ? key : r->address)) ==
	    SENDER_POLICY_MAJOR)
		d.n[SENDER_POLICY]++;
	if (k >= 0)
		d.n[k]++;
	if (rpaccount_blocked(r->reason))
		d.n[SENDER_BLOCKED]++;
	for (k = 0; k < SENDER_COUNTERS; k++)
		res->add.n[k] += d.n[k];
	/* the other nodes of a cluster count it once, whoever got it */
	if (rec->sender[0] != '\0' && bevent_journal(t, &e, rec->created,
	    &d) != 0)
		return STORE_ERROR;
	if (res->unlisted[i])
		return 0;
	return rpaccount_suppress(t, ru, rec, b, r, key, now,
	    &res->suppressed[i]);
}

/* The entries to judge: the report's, or the one an ARF report implies. */
static void
rpaccount_entries(const BOUNCE *b, RPACCOUNT_RESULT *res)
{
	res->nrcpts = b->nrcpts;
	memcpy(res->rcpts, b->rcpts, b->nrcpts * sizeof(b->rcpts[0]));
	if (b->type != BOUNCE_ARF || b->nrcpts > 0)
		return;
	/* a complaint naming nobody (redacted): about the only recipient,
	 * or about the message */
	memset(&res->rcpts[0], 0, sizeof(res->rcpts[0]));
	if (res->record.nrcpts == 1 && res->record.nkept == 1)
		snprintf(res->rcpts[0].address, sizeof(res->rcpts[0].address),
		    "%s", res->record.rcpts[0]);
	snprintf(res->rcpts[0].action, sizeof(res->rcpts[0].action),
	    "complaint");
	snprintf(res->rcpts[0].diagnostic, sizeof(res->rcpts[0].diagnostic),
	    "%s", b->feedback_type);
	res->rcpts[0].reason = "complaint";
	res->rcpts[0].cls = "complaint";
	res->nrcpts = 1;
	res->implied = 1;
}

static uint32_t
rpaccount_times(uint32_t per, unsigned long nrcpts)
{
	unsigned long n = nrcpts > 0 ? nrcpts : 1;

	return n > UINT32_MAX / per ? UINT32_MAX : (uint32_t)(per * n);
}

int
rpaccount_report(STORE_TXN *t, const RPACCOUNT_RULES *ru, uint64_t id,
    const BOUNCE *b, int64_t now, RPACCOUNT_RESULT *res)
{
	RPRECORD *rec = &res->record;
	SENDER_STATE s;
	size_t i;
	int rc, v;

	rprecord_clear(rec);		/* a transaction may run again */
	memset(res, 0, sizeof(*res));
	if ((rc = rprecord_get(t, id, rec)) != 0) {
		rprecord_clear(rec);
		if (rc == STORE_ERROR)
			return STORE_ERROR;
		res->nrcpts = b->nrcpts;
		memcpy(res->rcpts, b->rcpts, b->nrcpts * sizeof(b->rcpts[0]));
		for (i = 0; i < res->nrcpts; i++)
			res->verdict[i] = RPACCOUNT_NO_RECORD;
		res->n[RPACCOUNT_NO_RECORD] = (int)res->nrcpts;
		return 0;
	}
	res->have_record = 1;
	rpaccount_entries(b, res);
	res->limit = ru->reports_per_rcpt ? rpaccount_times(
	    ru->reports_per_rcpt, rec->nrcpts) : UINT32_MAX;
	if (rec->reports >= res->limit) {
		/* nothing written: a flood of reports costs no commits */
		res->over = 1;
		for (i = 0; i < res->nrcpts; i++)
			res->verdict[i] = RPACCOUNT_OVER_LIMIT;
		res->n[RPACCOUNT_OVER_LIMIT] = (int)res->nrcpts;
		return 0;
	}
	rec->reports++;
	for (i = 0; i < res->nrcpts; i++) {
		if (rpaccount_one(t, ru, id, b, i, now, res) != 0)
			return STORE_ERROR;
		res->n[res->verdict[i]]++;
	}
	if (ru->forward && rec->from[0] != '\0' &&
	    strcmp(rec->from, "<>") != 0 &&
	    rec->forwarded < rpaccount_times(1, rec->nrcpts)) {
		res->forward = 1;
		rec->forwarded++;
	}
	if (rprecord_put(t, id, rec) != 0)
		return STORE_ERROR;
	for (v = 0, i = 0; i < SENDER_COUNTERS; i++)
		v += res->add.n[i] != 0;
	if (v == 0 || rec->sender[0] == '\0')
		return 0;
	if (sender_count_at(t, rec->sender, &res->add, rec->created, now) != 0)
		return STORE_ERROR;
	if (ru->rules == NULL)
		return 0;
	res->changed = rep_update(t, ru->rules, rec->sender, now, &s,
	    &res->change);
	return res->changed < 0 ? STORE_ERROR : 0;
}
