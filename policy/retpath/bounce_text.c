/*
 * bounce_text.c - bounces without a delivery report: qmail, Exchange,
 * Yahoo and the plain-text forms of Postfix, Exim and Sendmail.
 *
 * Owns: bounce_text(), bounce_text_raw(), bounce_text_diag().
 *
 * Decisions: a message counts as such a bounce only if it says so (its
 * sender is a mailer daemon or postmaster, its subject is one MTAs use
 * for failures, or its text opens the way one of the MTAs above writes
 * them).  Then, in the text before the returned message, each address
 * that has a status code or an SMTP reply on its line or the next few
 * lines is a failed recipient; the line with the code is the diagnostic.
 * A 3-digit reply without an enhanced code becomes X.0.0.
 *
 * Must not: take addresses from the returned message, our own return-path
 * or the daemon's own address for failed recipients.
 */
#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "retpath/bounce_int.h"
#include "retpath/bounce_line.h"
#include "retpath/htmltext.h"
#include "base/mem.h"

#define BT_WINDOW	6	/* lines after an address to look for a code */
#define BT_BACK		3	/* lines before it to look for a reason */
#define BT_LINES_MAX	2000

static const char *const bt_openers[] = {
	"this is the qmail-send program",
	"this is the mail system at host",
	"delivery has failed to these recipients",
	"your message to the following recipients cannot be delivered",
	"this message was created automatically by mail delivery software",
	"the following addresses had permanent fatal errors",
	"sorry, we were unable to deliver your message",
	"i'm afraid i wasn't able to deliver your message",
	"could not be delivered to one or more recipients",
	"delivery to the following recipient failed",
	"your message could not be delivered",
	"could not be delivered to:",
	"was not delivered to",
	"the message was not delivered",
	"did not reach the following recipient",
	"the following message to <",
	"message delivery has failed",
	"failed to deliver",
	"unable to deliver",
	"undeliverable mail",
	"delivery status notification",
	"permanent error",
	"failure reasons",
	"returned mail",
	NULL
};

/*
 * Where the returned message begins: the text after it is not ours.  (A
 * Sendmail transcript is ours: its failures are in it.)
 */
static const char *const bt_stops[] = {
	"--- below this line is a copy of the message",
	"this is a copy of the message, including all the headers",
	"----- original message -----",
	"-----original message-----",
	"-------original message",
	"original message headers",
	"original message follows",
	"unsent message follows",
	"------- returned message",
	"------ forwarded message",
	"--- enclosed are the headers of the original message",
	"--- enclosed is a copy of the message",
	"--- the header of the original message is following",
	"-------original mail info",
	NULL
};

/* A text that says the MTA has given up: failed, whatever the code. */
static const char *const bt_finals[] = {
	"not going to try again", "giving up", "gave up", "permanent error",
	"failed permanently", "permanent fatal error", "too long in the queue",
	"in the queue too long", NULL
};

/* A code-less text that says the failure is not final yet. */
static const char *const bt_delays[] = {
	"temporar", "will retry", "will be retried", "delayed", "deferred",
	"will continue", "keep trying", "still trying", "not yet been",
	"try again later", NULL
};



/* Subjects MTAs give failure notices; compiled once, shared read-only. */
static regex_t bt_subject;
static int bt_subject_ok;
static pthread_once_t bt_once = PTHREAD_ONCE_INIT;

static void
bt_compile(void)
{
	bt_subject_ok = regcomp(&bt_subject, "undeliver|delivery (status "
	    "notification|failure|has failed|problem|report)|mail delivery "
	    "failed|failure notice|returned mail|could not be delivered|non "
	    "remis|unzustellbar|delivery failure|mail system error",
	    REG_EXTENDED | REG_ICASE | REG_NOSUB) == 0;
}

static int
bt_says_bounce(const MIME_PART *top, const char *text, size_t len)
{
	char v[MIME_FIELD_MAX];
	int i;

	if (mime_field(top, "From", v, sizeof(v)) == NULL &&
	    (bline_has(v, strlen(v), "mailer-daemon") ||
	    bline_has(v, strlen(v), "postmaster@") ||
	    bline_has(v, strlen(v), "mail delivery")))
		return 1;
	pthread_once(&bt_once, bt_compile);
	if (bt_subject_ok && mime_field(top, "Subject", v, sizeof(v)) == NULL &&
	    regexec(&bt_subject, v, 0, NULL, 0) == 0)
		return 1;
	for (i = 0; bt_openers[i] != NULL; i++)
		if (bline_has(text, len < 4096 ? len : 4096, bt_openers[i]))
			return 1;
	return 0;
}


static int bt_scan(BOUNCE *, const MIME_PART *top, char *text, size_t len,
    const BOUNCE_RULES *);


/* What one scan knows besides the lines. */
struct bt {
	BOUNCE			*b;
	const BOUNCE_RULES	*rules;
	char			 to[BOUNCE_ADDR_MAX];	/* the bounce's To: */
	char			 from[BOUNCE_ADDR_MAX];	/* and From: */
	int			 delay;		/* the text says "not yet" */
	int			 final;		/* ... or "given up" */
	char			**lines;	/* the scan's lines, and what */
	const char		**memo;		/* the rules made of each ("":
						 * nothing, NULL: not asked) */
};

/* The daemon's addresses and our return-path: never a failed recipient. */
static int
bt_daemon(const struct bt *t, const char *addr)
{
	const BOUNCE *b = t->b;

	return strncasecmp(addr, "mailer-daemon@", 14) == 0 ||
	    (b->token[0] != '\0' && bline_has(addr, strlen(addr), b->token));
}

/* Addresses a text names that are not a failed recipient: those above,
 * and the bounce's To: and From: (a text names them as the sender). */
static int
bt_named(const struct bt *t, const char *addr)
{
	return bt_daemon(t, addr) ||
	    (t->to[0] != '\0' && strcasecmp(addr, t->to) == 0) ||
	    (t->from[0] != '\0' && strcasecmp(addr, t->from) == 0);
}

/* ... and, in a line of text, a postmaster ("please contact
 * <postmaster@mx.example>"); one alone on its line is listed as failed. */
static int
bt_own(const struct bt *t, const char *addr)
{
	return bt_named(t, addr) || strncasecmp(addr, "postmaster@", 11) == 0;
}

/* The address of a header field ("Name <a@b>" or "a@b"), or "". */
static void
bt_header_addr(const MIME_PART *top, const char *name, char *out,
    size_t outsize)
{
	char v[MIME_FIELD_MAX];
	size_t at = 0;

	out[0] = '\0';
	if (mime_field(top, name, v, sizeof(v)) == NULL)
		(void)bline_address(v, strlen(v), &at, out, outsize);
}


/* A reason the rules find in a line of text alone, or NULL. */
static const char *
bt_reason(const struct bt *t, const char *line)
{
	const char *r;

	if (strlen(line) < 8)
		return NULL;
	r = bouncerules_classify(t->rules, "", line, "");
	return strcmp(r, "unknown") == 0 || strcmp(r, "auto-reply") == 0 ?
	    NULL : r;
}

/* The same for line i of the scan, asked of the rules once (the readers
 * below look at each line from several addresses). */
static const char *
bt_reason_at(struct bt *t, size_t i)
{
	const char *r;

	if (t->memo[i] == NULL) {
		r = bt_reason(t, t->lines[i]);
		t->memo[i] = r != NULL ? r : "";
	}
	return t->memo[i][0] != '\0' ? t->memo[i] : NULL;
}

static void
bt_add(struct bt *t, const char *addr, const char *st, const char *diag)
{
	bounce_add(t->b, addr, st, st[0] == '4' && !t->final ? "delayed" :
	    "failed", diag, "", t->rules);
}




/* A failure whose text has no code of its own, or one in its line. */
static void
bt_add_line(struct bt *t, const char *addr, const char *line)
{
	char st[16];

	bline_code(line, st, sizeof(st));
	if (st[0] == '\0' || strcmp(st + 1, ".0.0") == 0)
		snprintf(st, sizeof(st), "%s", t->delay && !t->final ? "4.0.0" :
		    "5.0.0");
	bt_add(t, addr, st, line);
}

/*
 * A Sendmail or Exim transcript: ">>> RCPT To:<a@b>" answered by "<<< 550
 * ...": a failed recipient.  Other lines of a transcript name the sender
 * or the server, never a failed recipient.  1: the line was one.
 */
static int
bt_transcript(struct bt *t, char **lines, size_t n, size_t i, int *found)
{
	const char *l = bline_skip_space(lines[i]), *r;
	char addr[BOUNCE_ADDR_MAX], st[16];
	size_t at = 0, j;

	if (strncmp(l, "<<<", 3) == 0)
		return 1;
	if (strncmp(l, ">>>", 3) != 0 || !bline_smtp_command(l + 3))
		return 0;	/* ">>> a@b" lists a recipient (Active!Hunter) */
	l = bline_skip_space(l + 3);
	if (strncasecmp(l, "RCPT TO:", 8) != 0 ||
	    !bline_address(l, strlen(l), &at, addr, sizeof(addr)) ||
	    bt_own(t, addr))
		return 1;
	for (j = i + 1; j < n && j <= i + 2; j++) {
		r = bline_skip_space(lines[j]);
		if (strncmp(r, "<<<", 3) != 0)
			continue;
		r = bline_skip_space(r + 3);
		bline_code(r, st, sizeof(st));
		if (st[0] == '4' || st[0] == '5') {
			bt_add(t, addr, st, r);
			*found = 1;
		}
		break;
	}
	return 1;
}

/* Addresses with a status code or an SMTP reply on their line or soon
 * after. */
static int
bt_coded(struct bt *t, char **lines, size_t n)
{
	char addr[BOUNCE_ADDR_MAX], st[16], diag[BOUNCE_DIAG_MAX];
	size_t i, j, at;
	int found = 0;

	for (i = 0; i < n; i++) {
		if (bt_transcript(t, lines, n, i, &found))
			continue;
		at = 0;
		while (bline_address(lines[i], strlen(lines[i]), &at, addr,
		    sizeof(addr))) {
			if (bt_own(t, addr))
				continue;
			st[0] = '\0';
			diag[0] = '\0';
			for (j = i; j < n && j <= i + BT_WINDOW; j++) {
				if (j > i && lines[j][0] == '\0' && st[0])
					break;
				if (bline_is_command(lines[j]))
					continue;
				bline_code(lines[j], st, sizeof(st));
				if (st[0] != '\0') {
					bline_join(lines, n, j, diag, sizeof(diag));
					break;
				}
			}
			if (st[0] == '\0')
				continue;
			bt_add(t, addr, st, diag);
			found = 1;
		}
	}
	return found;
}

/*
 * Addresses without a code, next to a text the rules know ("The email
 * account that you tried to reach does not exist"): 5.0.0, or 4.0.0 when
 * the bounce says it is not final yet.
 */
static int
bt_worded(struct bt *t, char **lines, size_t n)
{
	char addr[BOUNCE_ADDR_MAX], diag[BOUNCE_DIAG_MAX];
	size_t i, j, at;
	int found = 0;

	for (i = 0; i < n; i++) {
		if (bline_is_command(lines[i]) ||
		    strncmp(bline_skip_space(lines[i]), "<<<", 3) == 0)
			continue;
		at = 0;
		while (bline_address(lines[i], strlen(lines[i]), &at, addr,
		    sizeof(addr))) {
			if (bt_own(t, addr))
				continue;
			for (j = i; j < n && j <= i + BT_WINDOW; j++)
				if (bt_reason_at(t, j) != NULL)
					break;
			if (j >= n || j > i + BT_WINDOW) {
				/* "The user(s) account is disabled." above
				 * the address it is about */
				for (j = i; j > 0 && j + BT_BACK > i; j--)
					if (bt_reason_at(t, j - 1) != NULL)
						break;
				if (j == 0 || j + BT_BACK <= i)
					continue;
				j--;
			}
			bt_add_line(t, addr, bline_join(lines, n, j, diag,
			    sizeof(diag)));
			found = 1;
		}
	}
	return found;
}

/*
 * An address alone on its line ("<a@b>", Lotus Notes' and some carriers'
 * lists), when nothing else was found: failed, with the nearest line of
 * text before it as the diagnostic.
 */
static int
bt_lone(struct bt *t, char **lines, size_t n)
{
	char addr[BOUNCE_ADDR_MAX], buf[BOUNCE_DIAG_MAX];
	const char *l, *q, *diag;
	size_t i, j, at;
	int found = 0;

	for (i = 0; i < n; i++) {
		l = bline_skip_space(lines[i]);
		at = 0;
		if (!bline_address(l, strlen(l), &at, addr, sizeof(addr)) ||
		    bt_named(t, addr))
			continue;
		/* nothing on the line but the address, in <> or not */
		q = l + (*l == '<');
		if (strncmp(q, addr, strlen(addr)) != 0)
			continue;
		q += strlen(addr);
		q = bline_skip_space(q + (*q == '>'));
		if (*q != '\0')
			continue;
		/* the nearest reason the rules know above it ("Your message
		 * was not delivered within 0 days and 1 hours.", a list
		 * heading between), else below it ("----- Non-delivered
		 * information -----"), else the nearest line of text */
		diag = "";
		for (j = i; j > 0 && j + BT_WINDOW > i; j--)
			if (bt_reason_at(t, j - 1) != NULL) {
				diag = bline_join(lines, n, j - 1, buf,
				    sizeof(buf));
				break;
			}
		for (j = i + 1; diag[0] == '\0' && j < n && j <= i + BT_WINDOW;
		    j++)
			if (bt_reason_at(t, j) != NULL)
				diag = bline_join(lines, n, j, buf, sizeof(buf));
		for (j = i; diag[0] == '\0' && j > 0 && j + BT_BACK > i; j--)
			if (bline_skip_space(lines[j - 1])[0] != '\0') {
				diag = bline_skip_space(lines[j - 1]);
				break;
			}
		bt_add_line(t, addr, diag);
		found = 1;
	}
	return found;
}

/*
 * X-Failed-Recipients: (Exim, Gmail, Google Groups, Mail.ru) names them
 * when the text does not; the diagnostic is the first line of the text
 * with a code or a reason the rules know.
 */
static int
bt_failed_header(struct bt *t, const MIME_PART *top, char **lines, size_t n)
{
	char v[MIME_FIELD_MAX], addr[BOUNCE_ADDR_MAX], st[16];
	char diag[BOUNCE_DIAG_MAX];
	size_t i, at = 0;
	int found = 0;

	if (mime_field(top, "X-Failed-Recipients", v, sizeof(v)) != NULL)
		return 0;
	st[0] = diag[0] = '\0';
	for (i = 0; i < n && diag[0] == '\0'; i++) {
		bline_code(lines[i], st, sizeof(st));
		if (st[0] != '\0' || bt_reason_at(t, i) != NULL)
			bline_join(lines, n, i, diag, sizeof(diag));
	}
	/* Google Groups writes its refusal in the poster's language; only
	 * its signature ("Google Groups", then words in that language) and
	 * its help link are the same in all of them */
	for (i = 0; i < n && diag[0] == '\0'; i++)
		if (strncmp(bline_skip_space(lines[i]), "Google Groups", 13) ==
		    0 || bline_has(lines[i], strlen(lines[i]),
		    "groups.google.com/support"))
			snprintf(diag, sizeof(diag), "the group may not exist, "
			    "or posting to it is not allowed (Google Groups)");
	if (st[0] == '\0')
		snprintf(st, sizeof(st), "%s", t->delay ? "4.0.0" : "5.0.0");
	/* the header is the MTA's own list: only its addresses and ours
	 * are left out (a message sent to oneself bounces to oneself) */
	while (bline_address(v, strlen(v), &at, addr, sizeof(addr)))
		if (!bt_daemon(t, addr)) {
			bt_add(t, addr, st, diag);
			found = 1;
		}
	return found;
}

int
bounce_text(BOUNCE *b, const MIME_PART *top, const MIME_PART *tp, int html,
    const BOUNCE_RULES *rules)
{
	const MIME_PART *src = tp;
	char type[64], *text;
	size_t len;

	if (src == NULL) {
		mime_type(top, type, sizeof(type));
		html = strcmp(type, "text/html") == 0;
		if (strcmp(type, "text/plain") != 0 && !html)
			return 0;
		src = top;
	}
	text = mime_decode(src, &len);
	if (html)
		len = html_text(text, len);
	return bt_scan(b, top, text, len, rules);
}

/* The next non-empty line from p, into buf (without its line end). */
static const char *
bt_next_line(const char *p, const char *end, char *buf, size_t bufsize)
{
	const char *nl, *l;
	size_t n;

	buf[0] = '\0';
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		l = bline_skip_space(p);
		n = (size_t)(nl - l);
		if (n > 0 && l[n - 1] == '\r')
			n--;
		if (l < nl && n > 0) {
			snprintf(buf, bufsize, "%.*s", (int)n, l);
			break;
		}
		p = nl + 1;
	}
	return buf;
}

/*
 * A report about one recipient that names it in its notice only by its
 * display name (Exchange 2000/2003: "Hugo Brandt on 02.12.2025 10:16",
 * then the reason, indented): the first line of the notice the rules
 * know, with the lines that go on with it, is its diagnostic.  text is
 * the notice as bounce_text_diag() left it: its lines ended by NULs.
 */
static void
bt_lone_diag(BOUNCE *b, char *text, size_t len, const BOUNCE_RULES *rules)
{
	char **lines, *p, *nl, diag[BOUNCE_DIAG_MAX];
	BOUNCE_RCPT *r = &b->rcpts[0];
	struct bt t;
	size_t n = 0, i;

	if (b->nrcpts != 1 || r->diagnostic[0] != '\0')
		return;
	memset(&t, 0, sizeof(t));
	t.b = b;
	t.rules = rules;
	lines = mem_alloc(BT_LINES_MAX * sizeof(*lines));
	for (p = text; p < text + len && n < BT_LINES_MAX; p = nl + 1) {
		nl = memchr(p, '\0', (size_t)(text + len - p));
		if (nl == NULL)
			nl = text + len;
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		lines[n++] = p;
	}
	for (i = 0; i < n; i++)
		if (bt_reason(&t, lines[i]) != NULL) {
			bline_join(lines, n, i, diag, sizeof(diag));
			snprintf(r->diagnostic, sizeof(r->diagnostic), "%s",
			    diag);
			r->reason = bouncerules_classify(rules, r->status,
			    r->diagnostic, b->subject);
			r->cls = bouncerules_class(r->reason);
			break;
		}
	free(lines);
}

/*
 * DSN recipients without a Diagnostic-Code: the human-readable part often
 * says what went wrong next to the address ("neko@example.org: No MX found
 * for domain"); that line, when the rules know it, becomes the diagnostic
 * and the reason is found again.
 */
void
bounce_text_diag(BOUNCE *b, const MIME_PART *tp, const BOUNCE_RULES *rules)
{
	struct bt t;
	char *text, *p, *nl, *hit, st[16], next[BOUNCE_DIAG_MAX];
	const char *d;
	size_t len, i, alen;
	BOUNCE_RCPT *r;

	for (i = 0; i < b->nrcpts && b->rcpts[i].diagnostic[0] != '\0'; i++)
		;
	if (i == b->nrcpts)
		return;
	memset(&t, 0, sizeof(t));
	t.b = b;
	t.rules = rules;
	text = mime_decode(tp, &len);
	for (p = text; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (nl == NULL)
			nl = text + len;
		*nl = '\0';
		for (i = 0; i < b->nrcpts; i++) {
			r = &b->rcpts[i];
			alen = strlen(r->address);
			if (r->diagnostic[0] != '\0' || alen == 0 ||
			    (hit = bline_find(p, r->address)) == NULL)
				continue;
			d = bline_skip_space(hit + alen + (hit[alen] == '>'));
			while (*d == ':' || *d == ' ' || *d == '\t' ||
			    *d == '\r')
				d++;
			/* nothing after it: the next line (Exim's layout) */
			if (*d == '\0' && nl < text + len)
				d = bt_next_line(nl + 1, text + len, next,
				    sizeof(next));
			if (bt_reason(&t, d) == NULL)
				continue;
			snprintf(r->diagnostic, sizeof(r->diagnostic), "%s", d);
			r->diagnostic[strcspn(r->diagnostic, "\r")] = '\0';
			bounce_status_reply(r->diagnostic, st, sizeof(st));
			if (st[0] != '\0' && st[0] == r->status[0] &&
			    strcmp(st + 1, ".0.0") != 0 &&
			    strcmp(r->status + 1, ".0.0") == 0)
				snprintf(r->status, sizeof(r->status), "%s", st);
			r->reason = bouncerules_classify(rules, r->status,
			    r->diagnostic, b->subject);
			r->cls = bouncerules_class(r->reason);
		}
		if (nl == text + len)
			break;
	}
	bt_lone_diag(b, text, len, rules);
	free(text);
}

/* A multipart whose parts cannot be found: its body read as text. */
int
bounce_text_raw(BOUNCE *b, const MIME_PART *top, const BOUNCE_RULES *rules)
{
	char *text = mem_alloc(top->blen + 1);

	memcpy(text, top->body, top->blen);
	text[top->blen] = '\0';
	return bt_scan(b, top, text, top->blen, rules);
}

/* Takes over text (freed here). */
static int
bt_scan(BOUNCE *b, const MIME_PART *top, char *text, size_t len,
    const BOUNCE_RULES *rules)
{
	char **lines = mem_alloc(BT_LINES_MAX * sizeof(*lines));
	struct bt t;
	size_t n = 0, k;
	char *p, *nl;
	int found = 0;

	if (!bt_says_bounce(top, text, len)) {
		free(lines);
		free(text);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	t.b = b;
	t.rules = rules;
	t.lines = lines;
	bt_header_addr(top, "To", t.to, sizeof(t.to));
	bt_header_addr(top, "From", t.from, sizeof(t.from));
	/* lines up to the returned message */
	for (p = text; p < text + len && n < BT_LINES_MAX; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (nl == NULL)
			nl = text + len;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		for (k = 0; bt_stops[k] != NULL; k++)
			if (bline_has(p, strlen(p), bt_stops[k]))
				break;
		if (bt_stops[k] != NULL)
			break;
		if (strncasecmp(p, "Received:", 9) == 0 ||
		    strncasecmp(p, "Return-Path:", 12) == 0)
			break;		/* headers of the returned message */
		for (k = 0; bt_delays[k] != NULL && !t.delay; k++)
			t.delay = bline_has(p, strlen(p), bt_delays[k]);
		for (k = 0; bt_finals[k] != NULL && !t.final; k++)
			t.final = bline_has(p, strlen(p), bt_finals[k]);
		lines[n++] = p;
		if (nl == text + len)
			break;
	}
	t.memo = mem_calloc(n + 1, sizeof(*t.memo));
	found = bt_coded(&t, lines, n) || bt_worded(&t, lines, n) ||
	    bt_failed_header(&t, top, lines, n) || bt_lone(&t, lines, n);
	free(t.memo);
	free(lines);
	free(text);
	return found;
}
