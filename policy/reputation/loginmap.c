/*
 * loginmap.c - the sender login map (see loginmap.h).
 *
 * Owns: loginmap_parse(), loginmap_allows(), loginmap_allows_client(),
 * loginmap_size(), loginmap_free().
 *
 * Decisions: entries are kept sorted by pattern and found by binary
 * search, so a map of many thousand senders costs a few comparisons per
 * message.  A pattern given twice is an error (which line would win?).
 * A value shaped like an address or network (a '/' or ':' in it, or only
 * digits and dots) is a client network (cidr.c), never a login: no SASL
 * login in practice looks like one, and a typo in a network must be an
 * error rather than a login nobody has.
 *
 * Must not: allow a sender no pattern names, or accept a line it cannot
 * read.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/addr.h"
#include "base/cidr.h"
#include "reputation/loginmap.h"
#include "base/mem.h"
#include "base/textfile.h"

struct lm_entry {
	char	*pattern;	/* canonical, lower case */
	char	*logins;	/* ",login,login," lower case, or "," */
	CIDR_LIST *nets;	/* client networks; NULL: none */
	int	 line;
};

struct LOGINMAP {
	struct lm_entry	*e;
	size_t		 n;
};

static int
lm_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lm_entry *)a)->pattern,
	    ((const struct lm_entry *)b)->pattern);
}

void
loginmap_free(LOGINMAP *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->e[i].pattern);
		free(m->e[i].logins);
		if (m->e[i].nets != NULL)
			cidr_list_free(m->e[i].nets);
	}
	free(m->e);
	free(m);
}

/* The pattern as a lookup key: "user@domain", "@domain" or "user@". */
static const char *
lm_pattern(const char *p, size_t len, char *out, size_t outsize)
{
	const char *at = memchr(p, '@', len);
	size_t i, n;

	if (at == NULL)
		return "expected user@domain, @domain or user@";
	if (at == p || at == p + len - 1) {	/* "@domain" or "user@" */
		if (len < 2 || len >= outsize)
			return "pattern too short or too long";
		for (i = 0; i < len; i++) {
			if (isspace((unsigned char)p[i]) || p[i] == '<' ||
			    p[i] == '>' || (p[i] == '@' && p + i != at))
				return "bad character in the pattern";
			out[i] = (char)tolower((unsigned char)p[i]);
		}
		out[len] = '\0';
		return NULL;
	}
	if (addr_canon(p, len, out, outsize, &n) != NULL)
		return "not an address";
	return NULL;
}

/* Is this value a client network ("10.2.0.0/16", "::1", "192.0.2.7")? */
static int
lm_is_net(const char *w, size_t len)
{
	size_t i;

	if (memchr(w, '/', len) != NULL || memchr(w, ':', len) != NULL)
		return 1;
	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)w[i]) && w[i] != '.')
			return 0;
	return 1;
}

static int
lm_line(LOGINMAP *m, const char *s, size_t len, const char *name, int line,
    char **errors)
{
	char pat[ADDR_KEY_MAX], *logins;
	const char *err, *p = s, *end = s + len, *w;
	CIDR_LIST *nets = NULL;
	size_t o, cap;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	for (w = p; p < end && !isspace((unsigned char)*p); p++)
		;
	if ((err = lm_pattern(w, (size_t)(p - w), pat, sizeof(pat))) != NULL) {
		textfile_error(errors, name, line, "%s: \"%.*s\"", err, (int)(p - w),
		    w);
		return -1;
	}
	cap = (size_t)(end - p) + 3;
	logins = mem_alloc(cap);
	o = 0;
	logins[o++] = ',';
	while (p < end) {
		while (p < end && (*p == ',' || isspace((unsigned char)*p)))
			p++;
		for (w = p; p < end && *p != ',' && !isspace((unsigned char)*p);
		    p++)
			;
		if (p == w)
			break;
		if (lm_is_net(w, (size_t)(p - w))) {
			if (nets == NULL)
				nets = cidr_list_create();
			if ((err = cidr_list_add(nets, w, (size_t)(p - w))) ==
			    NULL)
				continue;
			textfile_error(errors, name, line, "client network: %s",
			    err);
			cidr_list_free(nets);
			free(logins);
			return -1;
		}
		for (; w < p; w++)
			logins[o++] = (char)tolower((unsigned char)*w);
		logins[o++] = ',';
	}
	logins[o] = '\0';
	if (o < 3 && nets == NULL) {
		textfile_error(errors, name, line, "no login or network for "
		    "\"%s\"", pat);
		free(logins);
		return -1;
	}
	m->e = mem_realloc(m->e, (m->n + 1) * sizeof(*m->e));
	m->e[m->n].pattern = mem_strdup(pat);
	m->e[m->n].logins = logins;
	m->e[m->n].nets = nets;
	m->e[m->n].line = line;
	m->n++;
	return 0;
}

struct lm_parse {
	LOGINMAP	*m;
	const char	*name;
};

static int
lm_line_fn(void *ctx, const char *p, size_t l, int n, char **errors)
{
	struct lm_parse *lp = ctx;

	return lm_line(lp->m, p, l, lp->name, n, errors);
}

LOGINMAP *
loginmap_parse(const char *text, size_t len, const char *name, char **errors)
{
	LOGINMAP *m = mem_calloc(1, sizeof(*m));
	struct lm_parse lp = { m, name };
	size_t i;
	int bad;

	*errors = NULL;
	bad = textfile_lines(text, len, name, lm_line_fn, &lp, errors);
	if (m->n > 1) {
		qsort(m->e, m->n, sizeof(*m->e), lm_cmp);
		for (i = 1; i < m->n; i++)
			if (strcmp(m->e[i - 1].pattern, m->e[i].pattern) == 0) {
				textfile_error(errors, name, m->e[i].line > m->e[i - 1].
				    line ? m->e[i].line : m->e[i - 1].line,
				    "\"%s\" is already listed", m->e[i].pattern);
				bad = 1;
			}
	}
	if (bad) {
		loginmap_free(m);
		return NULL;
	}
	return m;
}

static const struct lm_entry *
lm_find(const LOGINMAP *m, const char *key)
{
	struct lm_entry k = { (char *)key, NULL, NULL, 0 };

	return m->n ? bsearch(&k, m->e, m->n, sizeof(*m->e), lm_cmp) : NULL;
}

/* The entry that decides for a canonical sender: address, @domain, user@. */
static const struct lm_entry *
lm_lookup(const LOGINMAP *m, const char *sender)
{
	char key[ADDR_KEY_MAX + 2];
	const struct lm_entry *e;
	const char *at = strrchr(sender, '@');

	if (m == NULL || at == NULL)
		return NULL;
	if ((e = lm_find(m, sender)) == NULL) {
		snprintf(key, sizeof(key), "%s", at);
		if ((e = lm_find(m, key)) == NULL) {
			snprintf(key, sizeof(key), "%.*s@", (int)(at - sender),
			    sender);
			e = lm_find(m, key);
		}
	}
	return e;
}

/* sender: a canonical address (addr_canon()); login as given. */
int
loginmap_allows(const LOGINMAP *m, const char *sender, const char *login)
{
	char want[300];
	const struct lm_entry *e;
	size_t i, ll = strlen(login);

	if (ll == 0 || ll + 3 > sizeof(want) || (e = lm_lookup(m, sender)) ==
	    NULL)
		return 0;
	want[0] = ',';
	for (i = 0; i < ll; i++) {
		/* no login of the map holds them: "alice,bob" is not two */
		if (login[i] == ',' || isspace((unsigned char)login[i]))
			return 0;
		want[i + 1] = (char)tolower((unsigned char)login[i]);
	}
	want[ll + 1] = ',';
	want[ll + 2] = '\0';
	return strstr(e->logins, want) != NULL;
}

/* sender as for loginmap_allows(); client_addr: "192.0.2.7", "2001:db8::1". */
int
loginmap_allows_client(const LOGINMAP *m, const char *sender,
    const char *client_addr)
{
	const struct lm_entry *e = lm_lookup(m, sender);

	return e != NULL && e->nets != NULL && client_addr != NULL &&
	    cidr_list_match_text(e->nets, client_addr, strlen(client_addr));
}

size_t
loginmap_size(const LOGINMAP *m)
{
	return m ? m->n : 0;
}
