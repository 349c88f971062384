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
 * cross-check).  What the report may change is policy/retpath/rpaccount.c's to
 * decide, in one write transaction per report: reports are rare next to
 * outbound mail, and the record's limits and the duplicate check must
 * read and write atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "retpath/bouncerules.h"
#include "retpath/intake.h"
#include "common/metrics.h"
#include "base/mem.h"
#include "retpath/retpath.h"
#include "retpath/rpaccount.h"

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
intake_rcpt(INTAKE *im, const INTAKE_SETTINGS *set, const char *rcpt,
    int64_t now, char *reply, size_t replysize)
{
	const RETPATH *rp = set->rp;
	char key[ADDR_KEY_MAX];
	const RPTOKEN_KEY *keys;
	const char *at, *err, *tok;
	size_t n, toklen, nkeys;

	if (!retpath_on(rp) ||
	    addr_canon(rcpt, strlen(rcpt), key, sizeof(key), &n) != NULL ||
	    (at = strrchr(key, '@')) == NULL ||
	    strcasecmp(at + 1, retpath_domain(rp)) != 0)
		return INTAKE_NOT;
	if (im->active) {	/* one report, one token, one message */
		snprintf(reply, replysize, "one report per message");
		return INTAKE_DEFER;
	}
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
	const RPACCOUNT_RULES	*rules;
	uint64_t		 id;
	const BOUNCE		*b;
	int64_t			 now;
	RPACCOUNT_RESULT	*res;
};

static int
intake_write_fn(STORE_TXN *t, void *ctx)
{
	struct intake_write *w = ctx;

	return rpaccount_report(t, w->rules, w->id, w->b, w->now, w->res);
}

/* The report's line: who it is about and what each entry did. */
static void
intake_log(const INTAKE *im, const BOUNCE *b, const RPACCOUNT_RESULT *res,
    int rc, const char *qid, const char *err, INTAKE_RESULT *out)
{
	size_t i, n;
	int v;

	n = (size_t)snprintf(out->log, sizeof(out->log), "%s: %s report to "
	    "%s for sender %s (record %s)", qid, bounce_type_name(b->type),
	    im->rcpt, res->have_record ? res->record.sender : "?",
	    res->have_record ? "found" : rc == STORE_ERROR ? "unreadable" :
	    "not found");
	for (i = 0; i < res->nrcpts && n < sizeof(out->log); i++)
		n += (size_t)snprintf(out->log + n, sizeof(out->log) - n,
		    "%s %s %s %s %s%s", i ? "," : ":",
		    res->rcpts[i].address[0] ? res->rcpts[i].address :
		    "(unnamed)", res->rcpts[i].status[0] ?
		    res->rcpts[i].status : "-", res->rcpts[i].cls ?
		    res->rcpts[i].cls : "unknown",
		    rpaccount_verdict_name(res->verdict[i]),
		    res->unlisted[i] ? " unlisted" : "");
	if (n < sizeof(out->log))
		n += (size_t)snprintf(out->log + n, sizeof(out->log) - n,
		    "; %d recorded, %d already known",
		    res->n[RPACCOUNT_COUNTED], res->n[RPACCOUNT_KNOWN]);
	if (n < sizeof(out->log) && res->over)
		n += (size_t)snprintf(out->log + n, sizeof(out->log) - n,
		    "; over the token's limit of %lu reports: not counted, "
		    "not forwarded", (unsigned long)res->limit);
	if (n < sizeof(out->log) && rc == STORE_ERROR)
		snprintf(out->log + n, sizeof(out->log) - n, "; store failed: "
		    "%s", err);
	/* forged recipients: one line a report, with the token */
	if (res->n[RPACCOUNT_NOT_RECIPIENT] == 0)
		return;
	n = (size_t)snprintf(out->foreign, sizeof(out->foreign), "%s: report "
	    "to %.300s names %d address%s that %s of message %.64s from "
	    "%.300s, not counted:", qid, im->rcpt,
	    res->n[RPACCOUNT_NOT_RECIPIENT],
	    res->n[RPACCOUNT_NOT_RECIPIENT] == 1 ? "" : "es",
	    res->n[RPACCOUNT_NOT_RECIPIENT] == 1 ? "was not a recipient" :
	    "were not recipients",
	    res->record.qid, res->record.sender);
	for (i = 0, v = 0; i < res->nrcpts && n < sizeof(out->foreign); i++)
		if (res->verdict[i] == RPACCOUNT_NOT_RECIPIENT)
			n += (size_t)snprintf(out->foreign + n,
			    sizeof(out->foreign) - n, "%s %s", v++ ? "," : "",
			    res->rcpts[i].address[0] ?
			    res->rcpts[i].address : "(no address)");
}

void
intake_eom(INTAKE *im, STORE *st, const INTAKE_SETTINGS *set,
    const char *qid, int64_t now, INTAKE_RESULT *out)
{
	const RETPATH *rp = set->rp;
	struct intake_write w;
	char err[256];
	BOUNCE *b = mem_calloc(1, sizeof(*b));
	RPACCOUNT_RESULT *res = mem_calloc(1, sizeof(*res));
	size_t i;
	int rc, v;

	memset(out, 0, sizeof(*out));
	bounce_parse(im->buf.buf ? im->buf.buf : "", im->buf.len,
	    retpath_prefix(rp), retpath_domain(rp), set->bounce_rules, b);
	w.rules = &set->account;
	w.id = im->tok.id;
	w.b = b;
	w.now = now;
	w.res = res;
	err[0] = '\0';
	if ((rc = store_write(st, intake_write_fn, &w, err, sizeof(err))) !=
	    0) {
		out->failed = 1;
		rc = STORE_ERROR;
	} else {
		for (i = 0; i < res->nrcpts; i++) {
			if (res->verdict[i] == RPACCOUNT_COUNTED)
				metrics_bounce(res->rcpts[i].cls, 1);
		}
		for (v = 0; v < RPACCOUNT_VERDICTS; v++)
			metrics_report_rcpts(rpaccount_verdict_name(v),
			    (uint64_t)res->n[v]);
	}
	if (rc == 0 && !res->have_record && set->defer_missing > 0 &&
	    res->nrcpts > 0 && res->n[RPACCOUNT_NO_RECORD] > 0 &&
	    now - (im->tok.expires - set->rp_expiry) < set->defer_missing)
		out->defer = 1;
	intake_log(im, b, res, rc, qid, err, out);
	if (out->defer) {
		size_t n = strlen(out->log);

		snprintf(out->log + n, sizeof(out->log) - n, "; deferred: the "
		    "record may still be on its way from another node");
	}
	if (res->changed > 0)
		snprintf(out->change, sizeof(out->change), "sender %s: %s -> "
		    "%s: %s", res->record.sender,
		    sender_state_name(res->change.from),
		    sender_state_name(res->change.to), res->change.why);
	if (!out->failed && res->forward)
		snprintf(out->forward, sizeof(out->forward), "%s",
		    res->record.from);
	rprecord_clear(&res->record);
	free(res);
	free(b);
}
