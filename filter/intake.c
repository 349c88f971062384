/*
 * intake.c - reports that come back to the return-path domain (see
 * intake.h).
 *
 * Owns: intake_init(), intake_free(), intake_rcpt(), intake_header(),
 * intake_eoh(), intake_body(), intake_eom().
 *
 * Decisions: the token is checked at RCPT, so that a forged bounce is
 * refused before its data is sent (no backscatter, nothing counted).  The
 * report is parsed at end of message; the token named in the envelope
 * recipient is the one that counts (the parser's own finding is only a
 * cross-check).  Events are written in one write transaction per report:
 * reports are rare next to outbound mail, and the duplicate check must
 * read and write atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bevent.h"
#include "bouncerules.h"
#include "conf.h"
#include "intake.h"
#include "metrics.h"
#include "mem.h"
#include "reputation.h"
#include "retpath.h"
#include "rprecord.h"
#include "suppress.h"

void
intake_init(INTAKE *im)
{
	memset(im, 0, sizeof(*im));
}

void
intake_free(INTAKE *im)
{
	bounce_buf_free(&im->buf);
	memset(im, 0, sizeof(*im));
}

int
intake_rcpt(INTAKE *im, const struct CONF *c, const char *rcpt, int64_t now,
    char *reply, size_t replysize)
{
	const RETPATH *rp = conf_retpath(c);
	char key[ADDR_KEY_MAX];
	const RPTOKEN_KEY *keys;
	const char *at, *err, *tok;
	size_t n, toklen, nkeys;

	if (!retpath_on(rp) ||
	    addr_canon(rcpt, strlen(rcpt), key, sizeof(key), &n) != NULL ||
	    (at = strrchr(key, '@')) == NULL ||
	    strcasecmp(at + 1, retpath_domain(rp)) != 0)
		return INTAKE_NOT;
	keys = retpath_keys(rp, &nkeys);
	if (!im->active)		/* named in the caller's log line */
		snprintf(im->rcpt, sizeof(im->rcpt), "%s", key);
	if ((err = rptoken_split(key, (size_t)(at - key), retpath_prefix(rp),
	    &tok, &toklen)) == NULL)
		err = rptoken_check(tok, toklen, keys, nkeys, now, &im->tok);
	if (err != NULL) {
		snprintf(reply, replysize, "%s", err);
		return INTAKE_REFUSE;
	}
	im->active = 1;
	snprintf(im->rcpt, sizeof(im->rcpt), "%s", key);
	return INTAKE_OK;
}

void
intake_header(INTAKE *im, const char *name, const char *value, int space)
{
	const char *p;

	if (!im->active)
		return;
	bounce_buf_add(&im->buf, name, strlen(name));
	bounce_buf_add(&im->buf, space ? ": " : ":", space ? 2 : 1);
	/* folded values come with bare LF: make them CRLF */
	for (p = value; *p != '\0'; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r'))
			bounce_buf_add(&im->buf, "\r", 1);
		bounce_buf_add(&im->buf, p, 1);
	}
	bounce_buf_add(&im->buf, "\r\n", 2);
}

void
intake_eoh(INTAKE *im)
{
	if (im->active)
		bounce_buf_add(&im->buf, "\r\n", 2);
}

void
intake_body(INTAKE *im, const unsigned char *chunk, size_t len)
{
	if (im->active)
		bounce_buf_add(&im->buf, chunk, len);
}

struct intake_write {
	unsigned char	 digest[BEVENT_ID_LEN];	/* of the report */
	const BOUNCE	*b;
	const INTAKE	*im;
	const RPRECORD	*r;
	const struct CONF *conf;
	int		 have_record;
	int64_t		 now;
	int		 added, dups, ours;
	unsigned char	 is_new[BOUNCE_RCPTS_MAX];	/* recorded now */
	SENDER_COUNTS	 add;		/* what the new events count */
	REP_CHANGE	 change;	/* the sender's state, if it changed */
	int		 changed;
};

/* Which counter an event of this class adds to; -1: none. */
static int
intake_counter(const struct CONF *c, const char *cls, const char *rcpt)
{
	const char *at;

	if (strcmp(cls, "hard") == 0)
		return SENDER_HARD;
	if (strcmp(cls, "soft") == 0 || strcmp(cls, "quota") == 0)
		return SENDER_SOFT;
	if (strcmp(cls, "complaint") == 0)
		return SENDER_COMPLAINTS;
	if (strcmp(cls, "policy") == 0)
		return (at = strrchr(rcpt, '@')) != NULL &&
		    conf_major_receiver(c, at + 1) ? SENDER_POLICY_MAJOR :
		    SENDER_POLICY;
	return -1;
}

/*
 * A hard bounce or a complaint puts the recipient on the suppression
 * list: for everyone (Suppression global) or for the sender whose mail
 * bounced (Suppression sender; without the token's record the sender is
 * unknown and nothing is added).
 */
static int
intake_suppress(STORE_TXN *t, struct intake_write *w, const BOUNCE_RCPT *r)
{
	int mode = conf_suppression(w->conf);
	int complaint = strcmp(r->cls, "complaint") == 0;
	long long keep;
	char key[ADDR_KEY_MAX];
	SUPPRESS_ENTRY e;
	size_t n;

	if (mode == CONF_SUPPRESS_OFF || (!complaint &&
	    strcmp(r->cls, "hard") != 0) || (mode == CONF_SUPPRESS_SENDER &&
	    (!w->have_record || w->r->sender[0] == '\0')) ||
	    addr_canon(r->address, strlen(r->address), key, sizeof(key),
	    &n) != NULL || n == 0)
		return 0;
	memset(&e, 0, sizeof(e));
	e.reason = complaint ? SUPPRESS_COMPLAINT : SUPPRESS_HARD;
	e.time = w->now;
	keep = conf_num(w->conf, complaint ? "SuppressComplaintFor" :
	    "SuppressHardBounceFor");
	e.expires = keep > 0 ? w->now + keep : 0;
	snprintf(e.source, sizeof(e.source), "%s report%s%.16s%s%.40s%s%.120s",
	    bounce_type_name(w->b->type), r->status[0] ? ", status " : "",
	    r->status, w->have_record ? ", message " : "",
	    w->have_record ? w->r->qid : "", w->have_record ? " from " : "",
	    w->have_record ? w->r->sender : "");
	return suppress_put(t, mode == CONF_SUPPRESS_SENDER ? w->r->sender :
	    "", key, &e);
}

/*
 * Count the new events for the sender, in the buckets of the message
 * they are about, and let the reputation engine judge it again: in the
 * same transaction, so a pause is committed with the events behind it.
 */
static int
intake_judge(STORE_TXN *t, struct intake_write *w)
{
	const REP_RULES *rules = conf_rep_rules(w->conf);
	SENDER_STATE s;
	size_t i;
	int n = 0;

	for (i = 0; i < SENDER_COUNTERS; i++)
		n += w->add.n[i] != 0;
	if (n == 0 || !w->have_record || w->r->sender[0] == '\0')
		return 0;
	if (sender_count_at(t, w->r->sender, &w->add, w->r->created,
	    w->now) != 0)
		return STORE_ERROR;
	if (rules == NULL)
		return 0;
	w->changed = rep_update(t, rules, w->r->sender, w->now, &s,
	    &w->change);
	return w->changed < 0 ? STORE_ERROR : 0;
}

/* One of our own 451s for a paused sender, seen from the next hop. */
static int
intake_ours(const BOUNCE_RCPT *r)
{
	return strstr(r->diagnostic, " is paused until ") != NULL &&
	    strncmp(r->status, "4.7.1", 5) == 0;
}

static int
intake_write_fn(STORE_TXN *t, void *ctx)
{
	struct intake_write *w = ctx;
	BEVENT e;
	size_t i;
	int rc;

	w->added = w->dups = w->ours = w->changed = 0;
	memset(w->is_new, 0, sizeof(w->is_new));
	memset(&w->add, 0, sizeof(w->add));
	for (i = 0; i < w->b->nrcpts; i++) {
		const BOUNCE_RCPT *r = &w->b->rcpts[i];

		if (intake_ours(r)) {
			w->ours++;
			continue;
		}
		memset(&e, 0, sizeof(e));
		if (bevent_id(w->digest, r->address, e.id) != 0)
			return STORE_ERROR;
		e.time = w->now;
		if (w->have_record) {
			snprintf(e.sender, sizeof(e.sender), "%s",
			    w->r->sender);
			snprintf(e.from, sizeof(e.from), "%s", w->r->from);
		}
		snprintf(e.rcpt, sizeof(e.rcpt), "%s", r->address);
		snprintf(e.cls, sizeof(e.cls), "%s", r->cls);
		snprintf(e.status, sizeof(e.status), "%s", r->status);
		snprintf(e.type, sizeof(e.type), "%s",
		    bounce_type_name(w->b->type));
		rc = bevent_put(t, &e);
		if (rc == BEVENT_DUPLICATE)
			w->dups++;
		else if (rc == 0) {
			int k = intake_counter(w->conf, r->cls, r->address);

			w->added++;
			w->is_new[r - w->b->rcpts] = 1;
			if (k == SENDER_POLICY_MAJOR)
				w->add.n[SENDER_POLICY]++;
			if (k >= 0)
				w->add.n[k]++;
			if (intake_suppress(t, w, r) != 0)
				return STORE_ERROR;
		} else
			return STORE_ERROR;
	}
	return intake_judge(t, w);
}

struct intake_get {
	uint64_t	 id;
	RPRECORD	*r;
	int		 rc;
};

static int
intake_get_fn(STORE_TXN *t, void *ctx)
{
	struct intake_get *g = ctx;

	g->rc = rprecord_get(t, g->id, g->r);
	return 0;
}

void
intake_eom(INTAKE *im, STORE *st, const struct CONF *c, const char *qid,
    int64_t now, INTAKE_RESULT *out)
{
	const RETPATH *rp = conf_retpath(c);
	struct intake_write w;
	struct intake_get g;
	char err[256];
	BOUNCE *b = mem_calloc(1, sizeof(*b));
	RPRECORD r;
	size_t i, n;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	bounce_parse(im->buf.buf ? im->buf.buf : "", im->buf.len,
	    retpath_prefix(rp), retpath_domain(rp), conf_bounce_rules(c), b);

	g.id = im->tok.id;
	g.r = &r;
	g.rc = STORE_NOTFOUND;
	err[0] = '\0';
	if (store_read(st, intake_get_fn, &g, err, sizeof(err)) != 0)
		g.rc = STORE_ERROR;

	memset(&w, 0, sizeof(w));
	w.b = b;
	w.im = im;
	w.r = &r;
	w.have_record = g.rc == 0;
	w.now = now;
	w.conf = c;
	if (b->nrcpts > 0 && (bevent_report(im->buf.buf ? im->buf.buf : "",
	    im->buf.len, w.digest) != 0 || store_write(st, intake_write_fn, &w,
	    err, sizeof(err)) != 0)) {
		out->failed = 1;
		w.added = 0;
	} else
		for (i = 0; i < b->nrcpts; i++)
			if (w.is_new[i])
				metrics_bounce(b->rcpts[i].cls, 1);
	n = (size_t)snprintf(out->log, sizeof(out->log), "%s: %s report to "
	    "%s for sender %s (record %s)", qid, bounce_type_name(b->type),
	    im->rcpt, w.have_record ? r.sender : "?", g.rc == 0 ? "found" :
	    g.rc == STORE_NOTFOUND ? "not found" : g.rc == RPRECORD_DAMAGED ?
	    "damaged" : "unreadable");
	for (i = 0; i < b->nrcpts && n < sizeof(out->log); i++)
		n += (size_t)snprintf(out->log + n, sizeof(out->log) - n,
		    "%s %s %s %s", i ? "," : ":", b->rcpts[i].address,
		    b->rcpts[i].status[0] ? b->rcpts[i].status : "-",
		    intake_ours(&b->rcpts[i]) ? "ours-not-counted" :
		    b->rcpts[i].cls);
	if (n < sizeof(out->log))
		snprintf(out->log + n, sizeof(out->log) - n, "; %d recorded, "
		    "%d already known%s%s", w.added, w.dups,
		    out->failed ? "; store failed: " : "", out->failed ? err :
		    "");
	if (w.changed > 0)
		snprintf(out->change, sizeof(out->change), "sender %s: %s -> "
		    "%s: %s", r.sender, sender_state_name(w.change.from),
		    sender_state_name(w.change.to), w.change.why);
	if (conf_num(c, "BounceForward") && w.have_record &&
	    r.from[0] != '\0' && strcmp(r.from, "<>") != 0)
		snprintf(out->forward, sizeof(out->forward), "%s", r.from);
	rprecord_clear(&r);
	free(b);
}
