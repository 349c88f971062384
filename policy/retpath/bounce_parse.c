/*
 * bounce_parse.c - read delivery reports, complaints and automatic
 * replies: which of the forms a message is, and its recipients (see
 * bounce.h).
 *
 * Owns: bounce_parse().  The text forms (bounces without a report) are
 * bounce_text.c's; the recipients, status codes and buffers bounce.c's.
 *
 * Decisions: the MIME tree is walked to a bounded depth and the parts
 * that matter are picked by type: message/delivery-status (and
 * message/global-delivery-status), message/feedback-report, the returned
 * message or its headers.  A delivery-status part is a series of
 * header-like groups separated by empty lines: the one with a
 * Reporting-MTA is about the message, each with a Final-Recipient about a
 * recipient, and each is read with mime_field().  Then, in turn: a
 * feedback report, a delivery report, a complaint without one, report
 * fields inline in the text, the text forms, a report attached to a
 * notice, an automatic reply.
 *
 * Must not: trust a part's structure (a report may lack any field), read
 * beyond BOUNCE_SCAN_MAX, or keep more than BOUNCE_RCPTS_MAX recipients.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "retpath/bounce.h"
#include "base/addr.h"
#include "retpath/bounce_int.h"
#include "base/mem.h"
#include "retpath/mime.h"

#define BOUNCE_DEPTH_MAX	6

/* The parts of interest, found anywhere in the tree. */
struct bounce_walk {
	char		 report_type[32];	/* of the first multipart/report */
	MIME_PART	 status, feedback, original, text;
	int		 has_status, has_feedback, has_original, has_text;
	MIME_PART	 html;		/* the first text/html part */
	int		 has_html;
};

static void
bounce_walk(const MIME_PART *p, int depth, struct bounce_walk *w)
{
	MIME_PART kids[MIME_PARTS_MAX];
	char type[128], v[MIME_FIELD_MAX];
	size_t n, i;

	mime_type(p, type, sizeof(type));
	if (strncmp(type, "multipart/", 10) == 0) {
		if (depth >= BOUNCE_DEPTH_MAX)
			return;
		if (strcmp(type, "multipart/report") == 0 &&
		    w->report_type[0] == '\0' &&
		    mime_field(p, "Content-Type", v, sizeof(v)) == NULL)
			(void)mime_param(v, "report-type", w->report_type,
			    sizeof(w->report_type));
		n = mime_children(p, kids, MIME_PARTS_MAX);
		for (i = 0; i < n; i++)
			bounce_walk(&kids[i], depth + 1, w);
		return;
	}
	if (!w->has_status && (strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0)) {
		w->status = *p;
		w->has_status = 1;
	} else if (!w->has_feedback &&
	    strcmp(type, "message/feedback-report") == 0) {
		w->feedback = *p;
		w->has_feedback = 1;
	} else if (!w->has_original && (strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "text/rfc822-headers") == 0 ||
	    strcmp(type, "message/global") == 0 ||
	    strcmp(type, "message/global-headers") == 0)) {
		w->original = *p;
		w->has_original = 1;
	} else if (!w->has_text && strcmp(type, "text/plain") == 0) {
		w->text = *p;
		w->has_text = 1;
	} else if (!w->has_html && strcmp(type, "text/html") == 0) {
		w->html = *p;
		w->has_html = 1;
	}
}

/*
 * A multi-line reply unfolded into one ("552-5.7.0 ... potential 552-5.7.0
 * security issue"): the reply codes that began its later lines go, so
 * that its words read as the receiver wrote them.
 */
static void
bounce_diag_join(char *d)
{
	char *p, *q;
	int first = 1;

	for (p = d; *p != '\0'; p++) {
		if ((p > d && p[-1] != ' ') || (p[0] != '4' && p[0] != '5') ||
		    !isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]) || (p[3] != '-' && p[3] != ' '))
			continue;
		q = p + 4;
		if ((q[0] != '4' && q[0] != '5') || q[1] != '.')
			continue;	/* not "NNN-X.Y.Z": the text's own */
		if (first) {		/* the reply's first line: kept */
			first = 0;
			continue;
		}
		while (*q != '\0' && *q != ' ')
			q++;
		while (*q == ' ')
			q++;
		memmove(p, q, strlen(q) + 1);
		p--;
	}
}

/* The address of a From: value ("Name <a@b>", "a@b (Name)"), or "". */
static void
bounce_from_address(const char *v, char *out, size_t outsize)
{
	const char *lt = strrchr(v, '<'), *p;
	size_t o = 0;

	p = lt != NULL ? lt + 1 : v;
	while (*p == ' ')
		p++;
	for (; *p != '\0' && *p != '>' && *p != ' ' && *p != ',' &&
	    o + 1 < outsize; p++)
		out[o++] = *p;
	out[o] = '\0';
	if (strchr(out, '@') == NULL)
		out[0] = '\0';
}

/*
 * One recipient's group of delivery-status fields (its Final-Recipient
 * already read into v): added unless it says the mail went through.
 */
static void
bounce_dsn_rcpt(BOUNCE *b, const MIME_PART *g, char *v,
    const BOUNCE_RULES *rules)
{
	char addr[BOUNCE_ADDR_MAX], orig[BOUNCE_ADDR_MAX], mta[BOUNCE_ADDR_MAX];
	char st[16], d[16], action[16], diag[BOUNCE_DIAG_MAX];
	size_t i, before = b->nrcpts;

	bounce_address(v, addr, sizeof(addr));
	orig[0] = st[0] = action[0] = diag[0] = mta[0] = '\0';
	if (mime_field(g, "Original-Recipient", v, MIME_FIELD_MAX) == NULL)
		bounce_address(v, orig, sizeof(orig));
	if (mime_field(g, "Action", v, MIME_FIELD_MAX) == NULL) {
		for (i = 0; v[i] != '\0' && v[i] != ' ' &&
		    i + 1 < sizeof(action); i++)
			action[i] = (char)tolower((unsigned char)v[i]);
		action[i] = '\0';
	}
	if (mime_field(g, "Status", v, MIME_FIELD_MAX) == NULL)
		bounce_status(v, st, sizeof(st));
	if (mime_field(g, "Diagnostic-Code", v, MIME_FIELD_MAX) == NULL) {
		const char *semi = strchr(v, ';');

		snprintf(diag, sizeof(diag), "%.*s", (int)sizeof(diag) - 1,
		    semi ? semi + 1 + (semi[1] == ' ') : v);
		bounce_diag_join(diag);
	}
	if (mime_field(g, "Remote-MTA", v, MIME_FIELD_MAX) == NULL)
		bounce_address(v, mta, sizeof(mta));
	/* The receiver's own code, in its reply, says more than the
	 * reporting MTA's Status: (Exim reports every failure as 5.0.0,
	 * others 5.1.0 or 4.4.7 for whatever happened): it wins unless it
	 * is x.0.0 or of another class, or when a failure's Status: says 4
	 * where the receiver refused for good ("4.5.0" over "550 5.5.0"). */
	d[0] = '\0';
	if (diag[0] != '\0')
		bounce_status_reply(diag, d, sizeof(d));
	if (d[0] != '\0' && (st[0] == '\0' || (d[0] == st[0] &&
	    strcmp(d + 1, ".0.0") != 0) || (d[0] == '5' && st[0] == '4' &&
	    strcmp(action, "failed") == 0)))
		snprintf(st, sizeof(st), "%s", d);
	if (st[0] == '\0')
		snprintf(st, sizeof(st), "%s", strcmp(action, "delayed") == 0 ?
		    "4.0.0" : "5.0.0");
	/* success notices are not bounces */
	if (strcmp(action, "delivered") == 0 || strcmp(action, "relayed") ==
	    0 || strcmp(action, "expanded") == 0)
		return;
	bounce_add(b, addr, st, action[0] ? action : "failed", diag, mta,
	    rules);
	if (b->nrcpts > before)
		snprintf(b->rcpts[before].original,
		    sizeof(b->rcpts[0].original), "%s", orig);
}

/*
 * The groups of delivery-status fields in text, each read like a header:
 * one with a Final-Recipient is about that recipient; the first with a
 * Reporting-MTA, about the message; any other (prose around fields a
 * text part holds inline) says nothing.
 */
static void
bounce_dsn_text(BOUNCE *b, const char *text, size_t len,
    const BOUNCE_RULES *rules)
{
	char v[MIME_FIELD_MAX];
	size_t p = 0, q;
	MIME_PART g;

	while (p < len) {
		/* a group ends at an empty line */
		for (q = p; q < len; q++) {
			if (text[q] == '\n' && (q + 1 >= len ||
			    text[q + 1] == '\n' || (text[q + 1] == '\r' &&
			    q + 2 < len && text[q + 2] == '\n')))
				break;
		}
		g.hdr = text + p;
		g.hlen = (q < len ? q + 1 : len) - p;
		g.body = NULL;
		g.blen = 0;
		if (mime_field(&g, "Final-Recipient", v, sizeof(v)) == NULL)
			bounce_dsn_rcpt(b, &g, v, rules);
		else if (b->reporting_mta[0] == '\0' && mime_field(&g,
		    "Reporting-MTA", v, sizeof(v)) == NULL)
			bounce_address(v, b->reporting_mta,
			    sizeof(b->reporting_mta));
		p = q;
		while (p < len && (text[p] == '\n' || text[p] == '\r'))
			p++;
	}
}

static void
bounce_dsn(BOUNCE *b, const MIME_PART *status, const BOUNCE_RULES *rules)
{
	size_t len;
	char *text = mime_decode(status, &len);

	bounce_dsn_text(b, text, len, rules);
	free(text);
}

/*
 * Delivery-status fields written into a text part (a report whose parts
 * were joined by a broken boundary, or an MTA that inlines them): read
 * when a line opens with "Final-Recipient:".  1: a recipient was found.
 */
static int
bounce_dsn_inline(BOUNCE *b, const MIME_PART *part, const BOUNCE_RULES *rules)
{
	size_t len, i;
	char *text = mime_decode(part, &len);
	int seen = 0;

	for (i = 0; i + 16 <= len && !seen; i++)
		seen = (i == 0 || text[i - 1] == '\n') &&
		    strncasecmp(text + i, "Final-Recipient:", 16) == 0;
	if (seen)
		bounce_dsn_text(b, text, len, rules);
	free(text);
	return b->nrcpts > 0;
}

/*
 * Complaints sent without a feedback report: Hotmail's and Outlook.com's
 * older form (From: staff@hotmail.com, Subject: "complaint about message
 * from 192.0.2.1", the message attached).  One complaint, about the
 * recipient the receiver names (X-HmXmrOriginalRecipient:) or else the
 * attached message's To:.  1: it was one.
 */
static int
bounce_plain_complaint(BOUNCE *b, const MIME_PART *top,
    const struct bounce_walk *w, const BOUNCE_RULES *rules)
{
	char v[MIME_FIELD_MAX], addr[BOUNCE_ADDR_MAX];
	const char *subj = b->subject;
	MIME_PART o;

	while (*subj == ' ')
		subj++;
	addr[0] = '\0';
	if (mime_field(top, "From", v, sizeof(v)) == NULL)
		bounce_from_address(v, addr, sizeof(addr));
	if (!w->has_original || (strncasecmp(subj,
	    "complaint about message from ", 29) != 0 &&
	    strcasecmp(addr, "staff@hotmail.com") != 0))
		return 0;
	b->type = BOUNCE_ARF;
	snprintf(b->feedback_type, sizeof(b->feedback_type), "abuse");
	mime_split(w->original.body, w->original.blen, &o);
	addr[0] = '\0';
	if (mime_field(&o, "X-HmXmrOriginalRecipient", v, sizeof(v)) == NULL ||
	    mime_field(&o, "To", v, sizeof(v)) == NULL)
		bounce_address(v, addr, sizeof(addr));
	bounce_add(b, addr, "", "complaint", b->feedback_type, "", rules);
	return 1;
}

static void
bounce_arf(BOUNCE *b, const MIME_PART *fb, const MIME_PART *orig,
    int has_orig, const BOUNCE_RULES *rules)
{
	char *text, v[MIME_FIELD_MAX], addr[BOUNCE_ADDR_MAX];
	MIME_PART g, o;
	size_t len, i, pos = 0;

	text = mime_decode(fb, &len);
	g.hdr = text;
	g.hlen = len;
	g.body = NULL;
	g.blen = 0;
	if (mime_field(&g, "Feedback-Type", v, sizeof(v)) == NULL) {
		for (i = 0; v[i] != '\0' && v[i] != ' ' &&
		    i + 1 < sizeof(b->feedback_type); i++)
			b->feedback_type[i] = (char)tolower((unsigned char)v[i]);
		b->feedback_type[i] = '\0';
	}
	/* every Original-Rcpt-To (a report may name several) */
	while (mime_field_next(&g, "Original-Rcpt-To", &pos, v, sizeof(v)) ==
	    NULL) {
		bounce_address(v, addr, sizeof(addr));
		bounce_add(b, addr, "", "complaint", b->feedback_type, "",
		    rules);
	}
	addr[0] = '\0';
	if (b->nrcpts == 0 && has_orig) {
		mime_split(orig->body, orig->blen, &o);
		if (mime_field(&o, "To", v, sizeof(v)) == NULL)
			bounce_address(v, addr, sizeof(addr));
	}
	if (b->nrcpts == 0)
		bounce_add(b, addr, "", "complaint", b->feedback_type, "",
		    rules);
	free(text);
}

/* A multipart whose boundary finds no part. */
static int
bounce_broken_multipart(const MIME_PART *top)
{
	MIME_PART kid;
	char type[64];

	mime_type(top, type, sizeof(type));
	return strncmp(type, "multipart/", 10) == 0 &&
	    mime_children(top, &kid, 1) == 0;
}

/* PREFIX+TOKEN@DOMAIN anywhere in buf (case-insensitive). */
static void
bounce_token(const char *buf, size_t len, const char *prefix,
    const char *domain, char *out)
{
	size_t plen = strlen(prefix), dlen = strlen(domain), i, j, k;

	out[0] = '\0';
	if (plen == 0 || dlen == 0 || len < plen + 1 + RPTOKEN_LEN + 1 + dlen)
		return;
	for (i = 0; i + plen + 1 + RPTOKEN_LEN + 1 + dlen <= len; i++) {
		if (strncasecmp(buf + i, prefix, plen) != 0 ||
		    buf[i + plen] != '+' || (i > 0 &&
		    (isalnum((unsigned char)buf[i - 1]) || buf[i - 1] == '.' ||
		    buf[i - 1] == '-' || buf[i - 1] == '_')))
			continue;
		j = i + plen + 1;
		for (k = 0; k < RPTOKEN_LEN && isxdigit((unsigned char)buf[j + k]);
		    k++)
			;
		if (k != RPTOKEN_LEN || buf[j + k] != '@' ||
		    strncasecmp(buf + j + k + 1, domain, dlen) != 0)
			continue;
		for (k = 0; k < RPTOKEN_LEN; k++)
			out[k] = (char)tolower((unsigned char)buf[j + k]);
		out[RPTOKEN_LEN] = '\0';
		return;
	}
}

static int
bounce_is_autoreply(const MIME_PART *top, const BOUNCE *b,
    const BOUNCE_RULES *rules)
{
	char v[MIME_FIELD_MAX];

	/* RFC 3834: auto-replied is a reply; auto-generated (a notice, a
	 * bounce) is not */
	if (mime_field(top, "Auto-Submitted", v, sizeof(v)) == NULL &&
	    strncasecmp(v, "auto-replied", 12) == 0)
		return 1;
	if (mime_field(top, "X-Autoreply", v, sizeof(v)) == NULL ||
	    mime_field(top, "X-Autorespond", v, sizeof(v)) == NULL)
		return 1;
	if (mime_field(top, "Precedence", v, sizeof(v)) == NULL &&
	    strcasecmp(v, "auto_reply") == 0)
		return 1;
	return strcmp(bouncerules_classify(rules, "", "", b->subject),
	    "auto-reply") == 0;
}

static void bounce_parse_at(const char *msg, size_t len, const char *prefix,
    const char *domain, const BOUNCE_RULES *rules, BOUNCE *b, int depth);

/*
 * A report that came back as the attachment of another notice (a gateway
 * that wraps the DSN it got in a notice of its own, saying nothing): the
 * attached one's recipients, read once (never a report in a report in a
 * report).  1: it had some.
 */
static int
bounce_nested(BOUNCE *b, const MIME_PART *orig, const BOUNCE_RULES *rules)
{
	BOUNCE *in = mem_alloc(sizeof(*in));
	int found;

	bounce_parse_at(orig->body, orig->blen, NULL, NULL, rules, in, 1);
	found = in->nrcpts > 0 && (in->type == BOUNCE_DSN ||
	    in->type == BOUNCE_NONDSN);
	if (found) {
		b->type = in->type;
		memcpy(b->rcpts, in->rcpts, sizeof(b->rcpts));
		b->nrcpts = in->nrcpts;
		memcpy(b->reporting_mta, in->reporting_mta,
		    sizeof(b->reporting_mta));
		/* the returned message is the one the inner report holds */
		memcpy(b->message_id, in->message_id, sizeof(b->message_id));
	}
	free(in);
	return found;
}

void
bounce_parse(const char *msg, size_t len, const char *prefix,
    const char *domain, const BOUNCE_RULES *rules, BOUNCE *b)
{
	bounce_parse_at(msg, len, prefix, domain, rules, b, 0);
}

/* The report's subject, ASCII and printable, into b. */
static void
bounce_subject(const MIME_PART *top, BOUNCE *b)
{
	char v[MIME_FIELD_MAX];
	size_t i;

	if (mime_field(top, "Subject", v, sizeof(v)) == NULL &&
	    !addr_utf8_valid(b->subject, mime_words(v, b->subject,
	    sizeof(b->subject))))	/* another charset: its ASCII only */
		for (i = 0; b->subject[i] != '\0'; i++)
			if ((unsigned char)b->subject[i] >= 0x80)
				b->subject[i] = '?';
	for (i = 0; b->subject[i] != '\0'; i++)
		if ((unsigned char)b->subject[i] < ' ')
			b->subject[i] = ' ';
}

/* The Message-ID of the returned message (or of its headers). */
static void
bounce_original_id(const MIME_PART *op, BOUNCE *b)
{
	char v[MIME_FIELD_MAX], t[64];
	MIME_PART o;

	mime_type(op, t, sizeof(t));
	/* message/rfc822: its body is the message; text/rfc822-headers:
	 * its body is the header section */
	mime_split(op->body, op->blen, &o);
	if (strstr(t, "headers") != NULL) {
		o.hdr = op->body;
		o.hlen = op->blen;
	}
	if (mime_field(&o, "Message-ID", v, sizeof(v)) == NULL)
		snprintf(b->message_id, sizeof(b->message_id), "%.*s",
		    (int)sizeof(b->message_id) - 1, v);
}

/* An automatic reply: its sender, a recipient of the message it answers,
 * is the one entry.  1: it was one. */
static int
bounce_autoreply(const MIME_PART *top, BOUNCE *b, const BOUNCE_RULES *rules)
{
	char v[MIME_FIELD_MAX], a[BOUNCE_ADDR_MAX];

	if (!bounce_is_autoreply(top, b, rules))
		return 0;
	b->type = BOUNCE_AUTOREPLY;
	if (mime_field(top, "From", v, sizeof(v)) == NULL) {
		bounce_from_address(v, a, sizeof(a));
		bounce_add(b, a, "", "auto-replied", "", "", rules);
		if (b->nrcpts > 0) {
			b->rcpts[0].reason = "auto-reply";
			b->rcpts[0].cls = "auto-reply";
		}
	}
	return 1;
}

static void
bounce_parse_at(const char *msg, size_t len, const char *prefix,
    const char *domain, const BOUNCE_RULES *rules, BOUNCE *b, int depth)
{
	const MIME_PART *tp;
	struct bounce_walk w;
	MIME_PART top;

	memset(b, 0, sizeof(*b));
	memset(&w, 0, sizeof(w));
	if (len > BOUNCE_SCAN_MAX)
		len = BOUNCE_SCAN_MAX;
	if (prefix != NULL && domain != NULL)
		bounce_token(msg, len, prefix, domain, b->token);
	mime_split(msg, len, &top);
	bounce_subject(&top, b);
	bounce_walk(&top, 0, &w);
	if (w.has_original)
		bounce_original_id(&w.original, b);
	/* the text a notice is read from: its text part, else its HTML */
	tp = w.has_text ? &w.text : w.has_html ? &w.html : NULL;
	if (w.has_feedback || strcasecmp(w.report_type, "feedback-report") ==
	    0) {
		b->type = BOUNCE_ARF;
		if (w.has_feedback)
			bounce_arf(b, &w.feedback, &w.original, w.has_original,
			    rules);
	} else if (w.has_status) {
		b->type = BOUNCE_DSN;
		bounce_dsn(b, &w.status, rules);
		if (b->nrcpts > 0 && w.has_text)
			bounce_text_diag(b, &w.text, rules);
		if (b->nrcpts == 0 && !bounce_text(b, &top, tp, !w.has_text &&
		    w.has_html, rules))
			b->type = BOUNCE_NOT;	/* only success notices */
	} else if (bounce_plain_complaint(b, &top, &w, rules))
		;	/* an ARF, typed there */
	else if (bounce_dsn_inline(b, w.has_text ? &w.text : &top, rules))
		b->type = BOUNCE_DSN;
	else if (bounce_text(b, &top, tp, !w.has_text && w.has_html, rules) ||
	    (bounce_broken_multipart(&top) && bounce_text_raw(b, &top,
	    rules)))
		b->type = BOUNCE_NONDSN;
	else if (depth == 0 && w.has_original && bounce_nested(b,
	    &w.original, rules))
		;	/* the attached report's type */
	else if (!bounce_autoreply(&top, b, rules))
		b->type = BOUNCE_NOT;
}
