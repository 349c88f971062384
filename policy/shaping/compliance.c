/*
 * compliance.c - one-click unsubscribe for bulk mail (see compliance.h).
 *
 * Owns: compliance_init(), compliance_header(), compliance_missing(),
 * compliance_missing_text(), compliance_template_check(),
 * compliance_expand().
 *
 * Decisions: an https URI is one between '<' and '>' that begins with
 * "https://" (any case), as RFC 2369 writes them; the One-Click value is
 * compared without case and surrounding white space.  A second
 * List-Unsubscribe header makes no difference (each is looked at).
 *
 * Must not: keep headers, include lmdb.h or any filter/ header.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shaping/compliance.h"

void
compliance_init(COMPLIANCE_MSG *m)
{
	memset(m, 0, sizeof(*m));
}

void
compliance_header(COMPLIANCE_MSG *m, const char *name, const char *value)
{
	const char *p, *e;
	size_t n;

	if (strcasecmp(name, "List-Unsubscribe") == 0) {
		m->unsubscribe = 1;
		for (p = value; (p = strchr(p, '<')) != NULL; p++) {
			while (*++p == ' ' || *p == '\t')
				;
			if (*p == '\0')	/* a '<' at the end: p++ would
						 * step past the NUL */
				break;
			if (strncasecmp(p, "https://", 8) == 0 && p[8] != '\0' &&
			    p[8] != '>')
				m->https = 1;
		}
	} else if (strcasecmp(name, "List-Unsubscribe-Post") == 0) {
		for (p = value; isspace((unsigned char)*p); p++)
			;
		n = strlen(p);
		for (e = p + n; e > p && isspace((unsigned char)e[-1]); e--)
			;
		if ((size_t)(e - p) == 26 &&
		    strncasecmp(p, "List-Unsubscribe=One-Click", 26) == 0)
			m->one_click = 1;
	} else if (strcasecmp(name, "Feedback-ID") == 0)
		m->feedback_id = 1;
}

int
compliance_missing(const COMPLIANCE_MSG *m)
{
	int miss = 0;

	if (!m->unsubscribe)
		miss |= COMPLIANCE_NO_UNSUBSCRIBE | COMPLIANCE_NO_HTTPS;
	else if (!m->https)
		miss |= COMPLIANCE_NO_HTTPS;
	if (!m->one_click)
		miss |= COMPLIANCE_NO_ONE_CLICK;
	return miss;
}

void
compliance_missing_text(int missing, char *out, size_t outsize)
{
	snprintf(out, outsize, "%s%s%s",
	    missing & COMPLIANCE_NO_UNSUBSCRIBE ? "List-Unsubscribe (with an "
	    "https URI)" : missing & COMPLIANCE_NO_HTTPS ? "an https URI in "
	    "List-Unsubscribe" : "",
	    (missing & COMPLIANCE_NO_HTTPS) && (missing &
	    COMPLIANCE_NO_ONE_CLICK) ? " and " : "",
	    missing & COMPLIANCE_NO_ONE_CLICK ? "List-Unsubscribe-Post: "
	    "List-Unsubscribe=One-Click" : "");
}

static const char *const compliance_vars[] = {
	"sender", "domain", "class", "rcpt", NULL
};

/* The variable at p ("%{name}"): its index, and its length in *len. */
static int
compliance_var(const char *p, size_t *len)
{
	const char *e;
	int i;

	if (p[0] != '%' || p[1] != '{' || (e = strchr(p + 2, '}')) == NULL)
		return -1;
	for (i = 0; compliance_vars[i] != NULL; i++)
		if ((size_t)(e - p - 2) == strlen(compliance_vars[i]) &&
		    strncmp(p + 2, compliance_vars[i], (size_t)(e - p - 2)) ==
		    0) {
			*len = (size_t)(e - p + 1);
			return i;
		}
	return -1;
}

const char *
compliance_template_check(const char *t, int url)
{
	const char *p;
	size_t len;

	if (url && strncasecmp(t, "https://", 8) != 0)
		return "the URL must begin with https:// (RFC 8058 one-click "
		    "unsubscribe is an https POST)";
	for (p = t; *p != '\0'; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    (url && (*p == '<' || *p == '>' || *p == ',')))
			return "unexpected character (white space, control, "
			    "or one of < > , in a URL)";
		if (p[0] == '%' && p[1] == '{') {
			if (compliance_var(p, &len) < 0)
				return "unknown variable: use %{sender}, "
				    "%{domain}, %{class} or %{rcpt}";
			p += len - 1;
		}
	}
	return NULL;
}

static int
compliance_put(char *out, size_t outsize, size_t *o, const char *v, int url)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char ch;

	for (; *v != '\0'; v++) {
		ch = (unsigned char)*v;
		if (url && !isalnum(ch) && ch != '-' && ch != '.' &&
		    ch != '_' && ch != '~') {
			if (*o + 3 >= outsize)
				return -1;
			out[(*o)++] = '%';
			out[(*o)++] = hex[ch >> 4];
			out[(*o)++] = hex[ch & 15];
			continue;
		}
		if (*o + 1 >= outsize)
			return -1;
		out[(*o)++] = !url && (ch == ':' || ch <= ' ' || ch >= 0x7f) ?
		    '_' : (char)ch;
	}
	return 0;
}

int
compliance_expand(const char *t, const COMPLIANCE_VARS *v, int url,
    char *out, size_t outsize)
{
	const char *val;
	size_t o = 0, len;
	int i;

	for (; *t != '\0'; t++) {
		if (t[0] == '%' && t[1] == '{' &&
		    (i = compliance_var(t, &len)) >= 0) {
			val = i == 0 ? v->sender : i == 1 ? v->domain : i == 2 ?
			    v->class_name : v->rcpt;
			if (val == NULL)
				return -2;
			if (compliance_put(out, outsize, &o, val, url) != 0)
				return -1;
			t += len - 1;
			continue;
		}
		if (o + 1 >= outsize)
			return -1;
		out[o++] = *t;
	}
	if (o >= outsize)		/* outsize 0 */
		return -1;
	out[o] = '\0';
	return 0;
}
