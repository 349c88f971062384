/*
 * bounce.c - the recipients of a report, their status codes, and the
 * buffer a report is read into (see bounce.h, bounce_int.h).
 *
 * Owns: bounce_type_name(), bounce_address(), bounce_status(),
 * bounce_status_reply(), bounce_add(), bounce_buf_add(),
 * bounce_buf_free().  bounce_parse.c reads the forms, bounce_text.c the
 * text ones; both add recipients here, which calls neither.
 *
 * Decisions: a recipient's reason comes from the rules over its status,
 * diagnostic and the report's subject; a temporary failure given up on is
 * an expiry, a delay never is.
 *
 * Must not: keep more than BOUNCE_RCPTS_MAX recipients or one twice, or
 * buffer more than BOUNCE_SCAN_MAX octets of a report.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "retpath/bounce.h"
#include "retpath/bounce_int.h"
#include "base/mem.h"

const char *
bounce_type_name(enum bounce_type t)
{
	switch (t) {
	case BOUNCE_DSN: return "dsn";
	case BOUNCE_ARF: return "arf";
	case BOUNCE_NONDSN: return "nondsn";
	case BOUNCE_AUTOREPLY: return "auto-reply";
	default: return "not-bounce";
	}
}

/* "rfc822; a@b" -> "a@b", without angle brackets; lower-cased domain. */
void
bounce_address(const char *v, char *out, size_t outsize)
{
	const char *p = strchr(v, ';');
	size_t o = 0;

	p = p ? p + 1 : v;
	while (*p == ' ' || *p == '<')
		p++;
	for (; *p != '\0' && *p != '>' && *p != ' ' && o + 1 < outsize; p++)
		out[o++] = *p;
	out[o] = '\0';
}

/* The first "d.d.d" status code in s (class 2, 4 or 5), or "". */
void
bounce_status(const char *s, char *out, size_t outsize)
{
	const char *p;
	int a, b, c, n;

	out[0] = '\0';
	for (p = s; *p != '\0'; p++) {
		if ((*p != '2' && *p != '4' && *p != '5') ||
		    (p > s && (isdigit((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		n = 0;
		if (sscanf(p, "%1d.%3d.%3d%n", &a, &b, &c, &n) == 3 && n >= 5 &&
		    !isdigit((unsigned char)p[n]) && p[n] != '.') {
			snprintf(out, outsize, "%d.%d.%d", a, b, c);
			return;
		}
	}
}

/*
 * The code a receiver gave in its own reply ("550-'5.7.1", "550 5.2.2"),
 * else the first code in s: a wrapper's own code ("5.1.0 - Unknown
 * address error 550-'5.7.1 ...") comes before the receiver's.
 */
void
bounce_status_reply(const char *s, char *out, size_t outsize)
{
	const char *p, *q;

	for (p = s; *p != '\0'; p++) {
		if ((p[0] != '4' && p[0] != '5') || !isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]) || (p[3] != ' ' &&
		    p[3] != '-') || (p > s && isalnum((unsigned char)p[-1])))
			continue;
		q = p + 4;
		while (*q == '\'' || *q == '"' || *q == ' ' || *q == '#')
			q++;
		if (*q != p[0])
			continue;
		bounce_status(q, out, outsize);
		if (out[0] != '\0' && strncmp(out, q, strlen(out)) == 0)
			return;
	}
	bounce_status(s, out, outsize);
}

void
bounce_add(BOUNCE *b, const char *addr, const char *status,
    const char *action, const char *diag, const char *mta,
    const BOUNCE_RULES *rules)
{
	BOUNCE_RCPT *r;
	size_t i;

	if (addr[0] == '\0' || strchr(addr, '@') == NULL)
		return;
	for (i = 0; i < b->nrcpts; i++)
		if (strcasecmp(b->rcpts[i].address, addr) == 0)
			return;
	if (b->nrcpts == BOUNCE_RCPTS_MAX)
		return;
	r = &b->rcpts[b->nrcpts++];
	memset(r, 0, sizeof(*r));
	snprintf(r->address, sizeof(r->address), "%s", addr);
	snprintf(r->status, sizeof(r->status), "%s", status);
	snprintf(r->action, sizeof(r->action), "%s", action);
	snprintf(r->diagnostic, sizeof(r->diagnostic), "%s", diag);
	snprintf(r->remote_mta, sizeof(r->remote_mta), "%s", mta);
	r->reason = strcmp(action, "complaint") == 0 ? "complaint" :
	    bouncerules_classify(rules, r->status, r->diagnostic, b->subject);
	/* a temporary failure given up on is an expiry; a delay is not */
	if (r->status[0] == '4' && strcmp(action, "failed") == 0 &&
	    (strcmp(r->reason, "system-error") == 0 ||
	    strcmp(r->reason, "unknown") == 0))
		r->reason = "expired";
	else if (strcmp(action, "delayed") == 0 &&
	    strcmp(r->reason, "expired") == 0)
		r->reason = "system-error";
	r->cls = bouncerules_class(r->reason);
}

void
bounce_buf_add(BOUNCE_BUF *bb, const void *chunk, size_t len)
{
	size_t take = len;

	if (bb->len + take > BOUNCE_SCAN_MAX)
		take = BOUNCE_SCAN_MAX - bb->len;
	bb->dropped += len - take;
	if (take == 0)
		return;
	if (bb->len + take > bb->cap) {
		bb->cap = bb->cap ? bb->cap : 8192;
		while (bb->cap < bb->len + take)
			bb->cap *= 2;
		bb->buf = mem_realloc(bb->buf, bb->cap);
	}
	memcpy(bb->buf + bb->len, chunk, take);
	bb->len += take;
}

void
bounce_buf_free(BOUNCE_BUF *bb)
{
	free(bb->buf);
	memset(bb, 0, sizeof(*bb));
}
