/*
 * domlimit.c - rate limits per recipient domain (see domlimit.h).
 *
 * Owns: domlimit_parse(), domlimit_find(), domlimit_bucket(),
 * domlimit_size(), domlimit_free().
 *
 * Decisions: one sorted array of (domain, limit) pairs, looked up with
 * bsearch; a domain's shared and per-sender limits sit side by side.
 * Limits are kept in their own array so that pairs can point at them.
 *
 * Must not: include lmdb.h or any filter/ header.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shaping/domlimit.h"
#include "base/mem.h"
#include "base/textfile.h"

#define DOMLIMIT_DOMAIN_MAX	253

struct dl_pair {
	char		*domain;	/* lower case; "*" */
	size_t		 limit;		/* index into DOMLIMITS.limit */
	int		 per_sender;
};

struct DOMLIMITS {
	DOMLIMIT	*limit;
	size_t		 nlimit;
	struct dl_pair	*pair;
	size_t		 npair;
};

static int
dl_cmp(const void *a, const void *b)
{
	const struct dl_pair *x = a, *y = b;
	int c = strcmp(x->domain, y->domain);

	return c != 0 ? c : x->per_sender - y->per_sender;
}

void
domlimit_free(DOMLIMITS *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->npair; i++)
		free(d->pair[i].domain);
	for (i = 0; i < d->nlimit; i++)
		free((char *)d->limit[i].group);
	free(d->pair);
	free(d->limit);
	free(d);
}

static const char *
dl_domain(const char *p, size_t len, char *out)
{
	size_t i;

	if (len == 1 && *p == '*') {
		strcpy(out, "*");
		return NULL;
	}
	if (len == 0 || len > DOMLIMIT_DOMAIN_MAX)
		return "expected a domain";
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (!isalnum(ch) && ch != '-' && ch != '.' && ch != '_')
			return "not a domain";
		out[i] = (char)tolower(ch);
	}
	out[len] = '\0';
	if (out[0] == '.' || out[len - 1] == '.' || strstr(out, "..") != NULL)
		return "not a domain";
	return NULL;
}

struct dl_parse {
	DOMLIMITS	*d;
	const char	*name;
};

static int
dl_line(void *ctx, const char *s, size_t len, int line, char **errors)
{
	struct dl_parse *lp = ctx;
	DOMLIMITS *d = lp->d;
	const char *p = s, *end = s + len, *w, *err, *rs;
	char dom[DOMLIMIT_DOMAIN_MAX + 1];
	DOMLIMIT lim;
	size_t first = d->npair, i, rlen;

	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p == end || *p == '#')
		return 0;
	for (w = p; p < end && !isspace((unsigned char)*p); p++)
		;
	memset(&lim, 0, sizeof(lim));
	lim.line = line;
	rs = p;
	rlen = (size_t)(end - p);
	while (rlen > 0 && isspace((unsigned char)rs[rlen - 1]))
		rlen--;
	if (rlen >= 11 && strncmp(rs + rlen - 10, "per-sender", 10) == 0 &&
	    isspace((unsigned char)rs[rlen - 11])) {
		lim.per_sender = 1;
		rlen -= 10;
	}
	if ((err = bucket_rule_parse(rs, rlen, &lim.rule)) != NULL) {
		textfile_error(errors, lp->name, line, "%s", err);
		return -1;
	}
	while (w < p) {
		const char *comma = memchr(w, ',', (size_t)(p - w));
		size_t n = comma != NULL ? (size_t)(comma - w) :
		    (size_t)(p - w);

		if ((err = dl_domain(w, n, dom)) != NULL) {
			textfile_error(errors, lp->name, line, "%s: \"%.*s\"",
			    err, (int)n, w);
			goto bad;
		}
		if (strcmp(dom, "*") == 0 && (first != d->npair || w + n < p)) {
			textfile_error(errors, lp->name, line, "\"*\" stands "
			    "alone on its line");
			goto bad;
		}
		d->pair = mem_realloc(d->pair, (d->npair + 1) *
		    sizeof(*d->pair));
		d->pair[d->npair].domain = mem_strdup(dom);
		d->pair[d->npair].limit = d->nlimit;
		d->pair[d->npair].per_sender = lim.per_sender;
		d->npair++;
		w += n < (size_t)(p - w) ? n + 1 : n;
	}
	lim.group = mem_strdup(d->pair[first].domain);
	d->limit = mem_realloc(d->limit, (d->nlimit + 1) * sizeof(*d->limit));
	d->limit[d->nlimit++] = lim;
	return 0;
bad:
	for (i = first; i < d->npair; i++)
		free(d->pair[i].domain);
	d->npair = first;
	return -1;
}

DOMLIMITS *
domlimit_parse(const char *text, size_t len, const char *name, char **errors)
{
	DOMLIMITS *d = mem_calloc(1, sizeof(*d));
	struct dl_parse lp = { d, name };
	size_t i;
	int bad;

	*errors = NULL;
	bad = textfile_lines(text, len, name, dl_line, &lp, errors);
	if (d->npair > 1) {
		qsort(d->pair, d->npair, sizeof(*d->pair), dl_cmp);
		for (i = 1; i < d->npair; i++)
			if (dl_cmp(&d->pair[i - 1], &d->pair[i]) == 0) {
				int a = d->limit[d->pair[i - 1].limit].line;
				int b = d->limit[d->pair[i].limit].line;

				textfile_error(errors, name, a > b ? a : b,
				    "\"%s\" already has a%s limit (line %d)",
				    d->pair[i].domain, d->pair[i].per_sender ?
				    " per-sender" : "", a < b ? a : b);
				bad = 1;
			}
	}
	if (bad) {
		domlimit_free(d);
		return NULL;
	}
	return d;
}

/* The limits for a recipient domain (lower case): the domain's own, else
 * those of "*".  How many (0..2) went into hit[]. */
size_t
domlimit_find(const DOMLIMITS *d, const char *domain, const DOMLIMIT *hit[2])
{
	struct dl_pair k, *p;
	size_t n = 0, pass;

	if (d == NULL || d->npair == 0)
		return 0;
	for (pass = 0; pass < 2 && n == 0; pass++) {
		k.domain = (char *)(pass == 0 ? domain : "*");
		for (k.per_sender = 0; k.per_sender < 2; k.per_sender++)
			if ((p = bsearch(&k, d->pair, d->npair,
			    sizeof(*d->pair), dl_cmp)) != NULL)
				hit[n++] = &d->limit[p->limit];
	}
	return n;
}

/* The bucket's name for that domain (and sender); -1 if too long. */
int
domlimit_bucket(const DOMLIMIT *l, const char *domain, const char *sender,
    char *out, size_t outsize)
{
	const char *g = strcmp(l->group, "*") == 0 ? domain : l->group;
	int n = l->per_sender ? snprintf(out, outsize, "domain:%s:sender:%s",
	    g, sender) : snprintf(out, outsize, "domain:%s", g);

	return n < 0 || (size_t)n >= outsize || n > BUCKET_NAME_MAX ? -1 : 0;
}

size_t
domlimit_size(const DOMLIMITS *d)
{
	return d == NULL ? 0 : d->nlimit;
}
