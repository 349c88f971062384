/*
 * tclass.c - the traffic class of a message (see tclass.h).
 *
 * Owns: tclass_init(), tclass_header(), tclass_decide(), tclass_name().
 *
 * Decisions: header values are compared after folding white space away
 * at both ends, without case; only the first Precedence and the first
 * class header count (a second one cannot turn bulk mail into
 * transactional mail).
 *
 * Must not: keep the headers, include lmdb.h or any filter/ header.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shaping/tclass.h"

const char *
tclass_name(int cls)
{
	return cls == TCLASS_BULK ? "bulk" : "transactional";
}

void
tclass_init(TCLASS_MSG *m)
{
	memset(m, 0, sizeof(*m));
	m->app = -1;
}

/* value without the white space at both ends: its start and length */
static const char *
tclass_trim(const char *v, size_t *len)
{
	size_t n;

	while (isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	*len = n;
	return v;
}

static int
tclass_is(const char *v, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(v, word, n) == 0;
}

void
tclass_header(TCLASS_MSG *m, const TCLASS_RULES *r, const char *name,
    const char *value)
{
	const char *v;
	size_t n;

	v = tclass_trim(value, &n);
	if (r->class_header != NULL && strcasecmp(name, r->class_header) == 0 &&
	    m->app < 0) {
		if (tclass_is(v, n, "bulk"))
			m->app = TCLASS_BULK;
		else if (tclass_is(v, n, "transactional"))
			m->app = TCLASS_TRANSACTIONAL;
	} else if (strcasecmp(name, "Precedence") == 0 &&
	    m->precedence[0] == '\0') {
		if (tclass_is(v, n, "bulk") || tclass_is(v, n, "list") ||
		    tclass_is(v, n, "junk"))
			snprintf(m->precedence, sizeof(m->precedence), "%.*s",
			    (int)n, v);
	} else if (strcasecmp(name, "List-Id") == 0)
		m->list_id = 1;
	else if (strcasecmp(name, "List-Unsubscribe") == 0)
		m->list_unsubscribe = 1;
}

/* Is the sender key, or its domain or a parent of it, in the list? */
static int
tclass_listed(const char *list, const char *key)
{
	const char *at = strrchr(key, '@'), *dom = at ? at + 1 : key, *p;
	size_t n, dl = strlen(dom), kl = strlen(key);

	for (p = list; p != NULL && *p != '\0'; p += n) {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 0)
			break;
		if ((n == kl && strncasecmp(p, key, n) == 0) ||
		    (memchr(p, '@', n) == NULL && (
		    (n == dl && strncasecmp(p, dom, n) == 0) ||
		    (n < dl && dom[dl - n - 1] == '.' &&
		    strncasecmp(p, dom + dl - n, n) == 0))))
			return 1;
	}
	return 0;
}

int
tclass_decide(const TCLASS_MSG *m, const TCLASS_RULES *r,
    const char *sender_key, char *why, size_t whylen)
{
	if (m->app >= 0) {
		snprintf(why, whylen, "%s: %s", r->class_header,
		    tclass_name(m->app));
		return m->app;
	}
	if (sender_key != NULL && tclass_listed(r->transactional_senders,
	    sender_key)) {
		snprintf(why, whylen, "transactional sender list");
		return TCLASS_TRANSACTIONAL;
	}
	if (sender_key != NULL && tclass_listed(r->bulk_senders, sender_key)) {
		snprintf(why, whylen, "bulk sender list");
		return TCLASS_BULK;
	}
	if (m->precedence[0] != '\0') {
		snprintf(why, whylen, "Precedence: %s", m->precedence);
		return TCLASS_BULK;
	}
	if (m->list_id || m->list_unsubscribe) {
		snprintf(why, whylen, "%s", m->list_id ? "List-Id" :
		    "List-Unsubscribe");
		return TCLASS_BULK;
	}
	snprintf(why, whylen, "default");
	return TCLASS_TRANSACTIONAL;
}
