/*
 * bounce_text.c - bounces without a delivery report: qmail, Exchange,
 * Yahoo and the plain-text forms of Postfix, Exim and Sendmail.
 *
 * Owns: bounce_text().
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

#include "bounce_int.h"
#include "mem.h"

#define BT_WINDOW	6	/* lines after an address to look for a code */
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
	NULL
};

/* Where the returned message begins: the text after it is not ours. */
static const char *const bt_stops[] = {
	"--- below this line is a copy of the message",
	"------ this is a copy of the message",
	"----- original message -----",
	"-----original message-----",
	"original message headers",
	"----- transcript of session follows -----",
	"------ forwarded message",
	"--- enclosed are the headers of the original message",
	NULL
};

static int
bt_has(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

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
	    (bt_has(v, strlen(v), "mailer-daemon") ||
	    bt_has(v, strlen(v), "postmaster@") ||
	    bt_has(v, strlen(v), "mail delivery")))
		return 1;
	pthread_once(&bt_once, bt_compile);
	if (bt_subject_ok && mime_field(top, "Subject", v, sizeof(v)) == NULL &&
	    regexec(&bt_subject, v, 0, NULL, 0) == 0)
		return 1;
	for (i = 0; bt_openers[i] != NULL; i++)
		if (bt_has(text, len < 4096 ? len : 4096, bt_openers[i]))
			return 1;
	return 0;
}

/* The first address in [s, s+len): into out; returns 1 if one was found. */
static int
bt_address(const char *s, size_t len, size_t *at, char *out, size_t outsize)
{
	size_t i, a, z, o;

	for (i = *at; i < len; i++) {
		if (s[i] != '@' || i == 0)
			continue;
		for (a = i; a > 0 && (isalnum((unsigned char)s[a - 1]) ||
		    strchr("._%+-=", s[a - 1]) != NULL); a--)
			;
		for (z = i + 1; z < len && (isalnum((unsigned char)s[z]) ||
		    s[z] == '.' || s[z] == '-'); z++)
			;
		while (z > i + 1 && s[z - 1] == '.')
			z--;
		if (a == i || z <= i + 1 || memchr(s + i + 1, '.', z - i - 1) ==
		    NULL) {
			continue;
		}
		for (o = 0; a < z && o + 1 < outsize; a++)
			out[o++] = s[a];
		out[o] = '\0';
		*at = z;
		return 1;
	}
	*at = len;
	return 0;
}

/* "550 5.1.1 ..." or "550-..." or "(#5.1.1)": the status in line, or "". */
static void
bt_code(const char *line, char *st, size_t stsize)
{
	const char *p;

	bounce_status(line, st, stsize);
	if (st[0] != '\0')
		return;
	for (p = line; *p != '\0'; p++) {
		if ((p[0] == '4' || p[0] == '5') && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '-' ||
		    p[3] == ':') &&
		    (p == line || !isalnum((unsigned char)p[-1]))) {
			snprintf(st, stsize, "%c.0.0", p[0]);
			return;
		}
	}
}

static int
bt_own(const char *addr, const BOUNCE *b)
{
	return strncasecmp(addr, "mailer-daemon@", 14) == 0 ||
	    strncasecmp(addr, "postmaster@", 11) == 0 ||
	    (b->token[0] != '\0' && bt_has(addr, strlen(addr), b->token));
}

static int bt_scan(BOUNCE *, const MIME_PART *top, char *text, size_t len,
    const BOUNCE_RULES *);

int
bounce_text(BOUNCE *b, const MIME_PART *top, const MIME_PART *tp, int has_text,
    const BOUNCE_RULES *rules)
{
	const MIME_PART *src = tp;
	char type[64], *text;
	size_t len;

	if (!has_text) {
		mime_type(top, type, sizeof(type));
		if (strcmp(type, "text/plain") != 0)
			return 0;
		src = top;
	}
	text = mime_decode(src, &len);
	return bt_scan(b, top, text, len, rules);
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
	char *lines[BT_LINES_MAX], addr[BOUNCE_ADDR_MAX], st[16];
	char diag[BOUNCE_DIAG_MAX];
	size_t n = 0, i, j, at, k;
	char *p, *nl;
	int found = 0;

	if (!bt_says_bounce(top, text, len)) {
		free(text);
		return 0;
	}
	/* lines up to the returned message */
	for (p = text; p < text + len && n < BT_LINES_MAX; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (nl == NULL)
			nl = text + len;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		for (k = 0; bt_stops[k] != NULL; k++)
			if (bt_has(p, strlen(p), bt_stops[k]))
				break;
		if (bt_stops[k] != NULL)
			break;
		if (strncasecmp(p, "Received:", 9) == 0 ||
		    strncasecmp(p, "Return-Path:", 12) == 0)
			break;		/* headers of the returned message */
		lines[n++] = p;
		if (nl == text + len)
			break;
	}
	for (i = 0; i < n; i++) {
		at = 0;
		while (bt_address(lines[i], strlen(lines[i]), &at, addr,
		    sizeof(addr))) {
			if (bt_own(addr, b))
				continue;
			st[0] = '\0';
			diag[0] = '\0';
			for (j = i; j < n && j <= i + BT_WINDOW; j++) {
				if (j > i && lines[j][0] == '\0' && st[0])
					break;
				bt_code(lines[j], st, sizeof(st));
				if (st[0] != '\0') {
					const char *d = lines[j];

					while (*d == ' ' || *d == '\t')
						d++;
					snprintf(diag, sizeof(diag), "%s", d);
					break;
				}
			}
			if (st[0] == '\0')
				continue;
			bounce_add(b, addr, st, st[0] == '4' ? "delayed" :
			    "failed", diag, "", rules);
			found = 1;
		}
	}
	free(text);
	return found;
}
