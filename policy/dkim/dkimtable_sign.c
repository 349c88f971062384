/*
 * dkimtable_sign.c - OpenDKIM SigningTable files, lookups, and the check
 * of a SigningTable against a KeyTable.  The file syntax, the KeyTable
 * and the diagnostics are described in dkimtable_keys.c; shared helpers
 * come from dkimtable_int.h.
 *
 * Owns:
 *	DKIMTABLE_SIGN *dkimtable_sign_parse(const char *buf, size_t len,
 *	    const char *file, int is_refile, char **errors);
 *	void dkimtable_sign_free(DKIMTABLE_SIGN *);
 *	size_t dkimtable_sign_count(const DKIMTABLE_SIGN *);
 *	int dkimtable_sign_is_refile(const DKIMTABLE_SIGN *);
 *	const DKIMTABLE_RULE *dkimtable_sign_rule(const DKIMTABLE_SIGN *,
 *	    size_t i);
 *	size_t dkimtable_sign_lookup(const DKIMTABLE_SIGN *, const char *addr,
 *	    size_t addrlen, int multiple, DKIMTABLE_MATCH *out, size_t max);
 *	size_t dkimtable_check(const DKIMTABLE_SIGN *, const DKIMTABLE_KEYS *,
 *	    char **errors);
 *
 * SigningTable (opendkim.conf(5), SigningTable): PATTERN KEYNAME[:SIGNER].
 * The whole pattern compares without regard to ASCII case (OpenDKIM
 * opens this table case-insensitive).  Refused because they would not
 * do what they seem to:
 *	- white space inside the value (OpenDKIM would take "k signer" as
 *	  one key name and find no such key);
 *	- in refile:, the regular-expression characters []{}()?|^$\, which
 *	  OpenDKIM passes to regcomp(3) where the manual promises a plain
 *	  wildcard pattern;
 *	- in file:, a pattern that uses '*' as a wildcard ("*@example.com",
 *	  "*.example.com"): file: matches exact keys only, and the only '*'
 *	  keys ever looked up are "user@*" and "*";
 *	- in file:, a pattern given twice: only the first could ever match
 *	  (signing with two keys needs refile: or two patterns);
 *	- a signer without '@', or one longer than DKIMTABLE_SIGNER_MAX
 *	  octets once each '%' is replaced by a domain of 255 octets.
 *
 * Lookups: see dkimtable_sign_lookup() below for the order.  Matches with
 * the same (resolved) key name are reported once: a second signature by
 * the same key adds nothing.
 *
 * Diagnostics: "FILE:LINE: message", the offending text shown in quotes,
 * cut to DKIMTABLE_SHOW_MAX octets with unprintable bytes as '?'.  Inline
 * key data is never shown.  After DKIMTABLE_ERRORS_MAX lines one last
 * "FILE: N more errors" line ends the text.
 *
 * Must not: include anything from filter/, libmilter, OpenSSL or LMDB;
 * read a file (the caller does); read past len or assume a NUL terminator;
 * use the locale; check allocations for NULL (policy/base/mem.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkimtable.h"
#include "dkim/dkimtable_int.h"
#include "base/mem.h"

/* Is the SigningTable pattern usable as its table type reads it? */
static int
dkimtable_pattern_check(const char *s, size_t len, int refile, char *msg)
{
	static const char regex[] = "[]{}()?|^$\\";
	char show[DKIMTABLE_SHOWBUF];
	const char *at = NULL, *dom;
	size_t i, dlen;

	if (len > DKIMTABLE_PATTERN_MAX) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "pattern \"%s\" longer than "
		    "%d octets", dkimtable_show(show, s, len),
		    DKIMTABLE_PATTERN_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char u = (unsigned char)s[i];

		if (u < 0x20 || u == 0x7f) {
			snprintf(msg, DKIMTABLE_MSG_MAX, "bad character in "
			    "pattern \"%s\"", dkimtable_show(show, s, len));
			return -1;
		}
		if (refile && strchr(regex, s[i]) != NULL) {
			snprintf(msg, DKIMTABLE_MSG_MAX, "pattern \"%s\" has "
			    "'%c', which OpenDKIM reads as a regular "
			    "expression: only '*' is a wildcard",
			    dkimtable_show(show, s, len), s[i]);
			return -1;
		}
		if (s[i] == '@')
			at = s + i;
	}
	if (refile || memchr(s, '*', len) == NULL ||
	    (len == 1 && s[0] == '*'))
		return 0;
	/* file: only "user@*" and "*" are looked up with a '*'. */
	dom = at != NULL ? at + 1 : s;
	dlen = len - (size_t)(dom - s);
	if ((at != NULL && at - s == 1 && s[0] == '*') ||
	    (memchr(dom, '*', dlen) != NULL && !(at != NULL && dlen == 1))) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "pattern \"%s\": a file: "
		    "table has no wildcards (use refile:)",
		    dkimtable_show(show, s, len));
		return -1;
	}
	return 0;
}

/*
 * SigningTable value KEYNAME[:SIGNER] (opendkim.conf(5), SigningTable;
 * opendkim(8), DATA SETS: "the entries should be separated by colons").
 */
static int
dkimtable_rule_line(const struct dkimtable_kv *kv, size_t line, int refile,
    DKIMTABLE_RULE *r, char *msg)
{
	char show[DKIMTABLE_SHOWBUF];
	const char *v = kv->val, *colon, *sg = NULL;
	size_t i, nlen, slen = 0, pct = 0, at = 0;

	if (dkimtable_pattern_check(kv->key, kv->keylen, refile, msg) != 0)
		return -1;
	if (kv->vallen == 0) {
		snprintf(msg, DKIMTABLE_MSG_MAX,
		    "expected PATTERN KEYNAME[:SIGNER]");
		return -1;
	}
	for (i = 0; i < kv->vallen; i++)
		if (dkimtable_space(v[i])) {
			snprintf(msg, DKIMTABLE_MSG_MAX, "white space in value "
			    "\"%s\" (a signer follows the key name after "
			    "':')", dkimtable_show(show, v, kv->vallen));
			return -1;
		}
	colon = memchr(v, ':', kv->vallen);
	nlen = colon != NULL ? (size_t)(colon - v) : kv->vallen;
	if (dkimtable_name_check(v, nlen, msg) != 0)
		return -1;
	if (colon != NULL && (slen = kv->vallen - nlen - 1) > 0) {
		sg = colon + 1;
		for (i = 0; i < slen; i++) {
			if ((unsigned char)sg[i] <= ' ' ||
			    (unsigned char)sg[i] >= 0x7f) {
				snprintf(msg, DKIMTABLE_MSG_MAX, "bad character"
				    " in signer \"%s\"",
				    dkimtable_show(show, sg, slen));
				return -1;
			}
			pct += sg[i] == '%';
			at += sg[i] == '@';
		}
		if (at == 0) {
			snprintf(msg, DKIMTABLE_MSG_MAX, "signer \"%s\" is not "
			    "an address (expected local@domain or @domain)",
			    dkimtable_show(show, sg, slen));
			return -1;
		}
		if (slen + pct * (DKIMTABLE_DOMAIN_MAX - 1) >
		    DKIMTABLE_SIGNER_MAX) {
			snprintf(msg, DKIMTABLE_MSG_MAX, "signer \"%s\" could "
			    "be longer than %d octets once '%%' is replaced",
			    dkimtable_show(show, sg, slen),
			    DKIMTABLE_SIGNER_MAX);
			return -1;
		}
	}
	r->pattern = mem_strndup(kv->key, kv->keylen);
	r->keyname = mem_strndup(v, nlen);
	r->signer = sg != NULL ? mem_strndup(sg, slen) : NULL;
	r->line = line;
	return 0;
}

static int
dkimtable_rule_cmp(const void *a, const void *b)
{
	const DKIMTABLE_RULE *x = *(DKIMTABLE_RULE * const *)a;
	const DKIMTABLE_RULE *y = *(DKIMTABLE_RULE * const *)b;
	int c = dkimtable_casecmp(x->pattern, strlen(x->pattern), y->pattern,
	    strlen(y->pattern));

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

struct dkimtable_sign_ctx {
	DKIMTABLE_SIGN		*t;
	struct dkimtable_err	*e;
};

static void
dkimtable_sign_one(void *arg, const char *p, size_t len, size_t line)
{
	struct dkimtable_sign_ctx *c = arg;
	DKIMTABLE_SIGN *t = c->t;
	struct dkimtable_kv kv;
	DKIMTABLE_RULE r;
	char msg[DKIMTABLE_MSG_MAX];
	int n;

	if ((n = dkimtable_split(p, len, t->refile, &kv, msg)) == 0)
		return;
	memset(&r, 0, sizeof(r));
	if (n < 0 || dkimtable_rule_line(&kv, line, t->refile, &r, msg) != 0) {
		dkimtable_err_add(c->e, line, "%s", msg);
		return;
	}
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->ent = mem_realloc(t->ent, t->cap * sizeof(*t->ent));
	}
	t->ent[t->count++] = r;
}

void
dkimtable_sign_free(DKIMTABLE_SIGN *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->count; i++) {
		free(t->ent[i].pattern);
		free(t->ent[i].keyname);
		free(t->ent[i].signer);
	}
	free(t->ent);
	free(t->bypat);
	free(t->file);
	free(t);
}

DKIMTABLE_SIGN *
dkimtable_sign_parse(const char *buf, size_t len, const char *file,
    int is_refile, char **errors)
{
	DKIMTABLE_SIGN *t = mem_calloc(1, sizeof(*t));
	struct dkimtable_err e;
	struct dkimtable_sign_ctx c;
	char show[DKIMTABLE_SHOWBUF];
	const DKIMTABLE_RULE *a, *b;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.file = file != NULL ? file : "";
	t->refile = is_refile != 0;
	t->file = mem_strdup(e.file);
	c.t = t;
	c.e = &e;
	if (errors != NULL)
		*errors = NULL;
	dkimtable_lines(buf, len, dkimtable_sign_one, &c);
	if (!t->refile) {
		t->bypat = mem_calloc(t->count, sizeof(*t->bypat));
		for (i = 0; i < t->count; i++)
			t->bypat[i] = &t->ent[i];
		qsort(t->bypat, t->count, sizeof(*t->bypat),
		    dkimtable_rule_cmp);
		a = t->count > 0 ? t->bypat[0] : NULL;
		for (i = 1; i < t->count; i++) {
			b = t->bypat[i];
			if (dkimtable_casecmp(a->pattern, strlen(a->pattern),
			    b->pattern, strlen(b->pattern)) != 0) {
				a = b;	/* the first of a new run */
				continue;
			}
			dkimtable_err_add(&e, b->line, "duplicate pattern "
			    "\"%s\" (first on line %zu; a file: table uses "
			    "the first only)", dkimtable_show(show, b->pattern,
			    strlen(b->pattern)), a->line);
		}
	}
	if (dkimtable_err_done(&e, errors)) {
		dkimtable_sign_free(t);
		return NULL;
	}
	return t;
}

size_t
dkimtable_sign_count(const DKIMTABLE_SIGN *t)
{
	return t != NULL ? t->count : 0;
}

int
dkimtable_sign_is_refile(const DKIMTABLE_SIGN *t)
{
	return t != NULL && t->refile;
}

const DKIMTABLE_RULE *
dkimtable_sign_rule(const DKIMTABLE_SIGN *t, size_t i)
{
	return t != NULL && i < t->count ? &t->ent[i] : NULL;
}

/*
 * Does the pattern match all of s?  '*' matches any run of octets, every
 * other octet itself without regard to ASCII case (opendkim(8), DATA
 * SETS b)).  On a mismatch only the latest '*' needs to take one octet
 * more, so this is O(plen * slen) at worst, never exponential.
 */
static int
dkimtable_glob(const char *p, size_t plen, const char *s, size_t slen)
{
	size_t pi = 0, si = 0, star = SIZE_MAX, mark = 0;

	while (si < slen) {
		if (pi < plen && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < plen &&
		    dkimtable_fold(p[pi]) == dkimtable_fold(s[si])) {
			pi++;
			si++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			si = ++mark;
		} else
			return 0;
	}
	while (pi < plen && p[pi] == '*')
		pi++;
	return pi == plen;
}

static int
dkimtable_find_cmp(const void *key, const void *elem)
{
	const struct dkimtable_str *k = key;
	const DKIMTABLE_RULE *r = *(DKIMTABLE_RULE * const *)elem;

	return dkimtable_casecmp(k->s, k->len, r->pattern, strlen(r->pattern));
}

/* The matches found so far by one lookup. */
struct dkimtable_found {
	DKIMTABLE_MATCH		 *out;
	size_t			  max;
	size_t			  n;
	const DKIMTABLE_RULE	**seen;		/* multiple: every match */
	int			  multiple;
	struct dkimtable_str	  domain;
};

/* The key name r gives for this address: "%" is its domain. */
static struct dkimtable_str
dkimtable_resolved(const struct dkimtable_found *f, const DKIMTABLE_RULE *r)
{
	struct dkimtable_str s;

	if (strcmp(r->keyname, "%") == 0)
		return f->domain;
	s.s = r->keyname;
	s.len = strlen(r->keyname);
	return s;
}

/* Record a matching rule; returns 1 when the lookup is complete. */
static int
dkimtable_found_add(struct dkimtable_found *f, const DKIMTABLE_RULE *r)
{
	struct dkimtable_str name = dkimtable_resolved(f, r), prev;
	DKIMTABLE_MATCH *m;
	size_t i, n = 0;
	const char *p;

	for (i = 0; i < f->n && f->multiple; i++) {
		prev = dkimtable_resolved(f, f->seen[i]);
		if (prev.len == name.len && memcmp(prev.s, name.s,
		    name.len) == 0)
			return 0;
	}
	if (f->multiple) {
		f->seen = mem_realloc(f->seen, (f->n + 1) * sizeof(*f->seen));
		f->seen[f->n] = r;
	}
	if (f->n < f->max) {
		m = &f->out[f->n];
		memcpy(m->keyname, name.s, name.len);
		m->keyname[name.len] = '\0';
		for (p = r->signer; p != NULL && *p != '\0'; p++) {
			if (*p == '%') {
				memcpy(m->signer + n, f->domain.s,
				    f->domain.len);
				n += f->domain.len;
			} else
				m->signer[n++] = *p;
		}
		m->signer[n] = '\0';
		m->line = r->line;
	}
	f->n++;
	return !f->multiple;
}

/* file: look up one exact key; returns 1 when the lookup is complete. */
static int
dkimtable_try(const DKIMTABLE_SIGN *t, struct dkimtable_found *f,
    const char *a, size_t alen, const char *b, size_t blen)
{
	char buf[DKIMTABLE_PATTERN_MAX];
	struct dkimtable_str key;
	DKIMTABLE_RULE * const *r;

	if (alen + blen > sizeof(buf))
		return 0;
	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen);
	key.s = buf;
	key.len = alen + blen;
	r = bsearch(&key, t->bypat, t->count, sizeof(*t->bypat),
	    dkimtable_find_cmp);
	return r != NULL && dkimtable_found_add(f, *r);
}

/*
 * file: the lookup sequence of opendkim.conf(5), SigningTable: "the full
 * user@host is checked first, then simply host, then user@.domain (with
 * all superdomains checked in sequence, so "foo.example.com" would first
 * check "user@foo.example.com", then "user@.example.com", then
 * "user@.com"), then .domain, then user@*, and finally *."  So for
 * user@foo.example.com: user@foo.example.com, foo.example.com,
 * user@.example.com, user@.com, .example.com, .com, user@*, *.
 * (OpenDKIM 2.11's code interleaves the middle: user@.example.com,
 * .example.com, user@.com, .com.  We follow the manual.)  An address
 * literal ("[192.0.2.1]") has no parent domains.
 */
static void
dkimtable_lookup_file(const DKIMTABLE_SIGN *t, struct dkimtable_found *f,
    const char *addr, size_t userlen)
{
	const char *dom = f->domain.s, *p;
	size_t dlen = f->domain.len, ulen1 = userlen + 1;
	int round, parents = dom[0] != '[';

	if (dkimtable_try(t, f, addr, ulen1 + dlen, "", 0) ||
	    dkimtable_try(t, f, dom, dlen, "", 0))
		return;
	for (round = 0; round < 2 && parents; round++)
		for (p = memchr(dom, '.', dlen); p != NULL;
		    p = memchr(p + 1, '.', dlen - (size_t)(p + 1 - dom)))
			if (dkimtable_try(t, f, addr, round == 0 ? ulen1 : 0,
			    p, dlen - (size_t)(p - dom)))
				return;
	if (dkimtable_try(t, f, addr, ulen1, "*", 1))
		return;
	(void)dkimtable_try(t, f, "*", 1, "", 0);
}

/*
 * The keys for a canonical address, in OpenDKIM's order: refile: every
 * pattern against the whole address in file order; file: the sequence
 * above.  "only the first match is applied, unless MultipleSignatures is
 * enabled in which case all matches are applied" (opendkim.conf(5)).
 */
size_t
dkimtable_sign_lookup(const DKIMTABLE_SIGN *t, const char *addr,
    size_t addrlen, int multiple, DKIMTABLE_MATCH *out, size_t max)
{
	struct dkimtable_found f;
	const char *at = NULL;
	size_t i;

	if (t == NULL || addr == NULL)
		return 0;
	for (i = addrlen; i > 0; i--)
		if (addr[i - 1] == '@') {
			at = addr + i - 1;
			break;
		}
	if (at == NULL || at == addr || memchr(addr, '\0', addrlen) != NULL)
		return 0;
	memset(&f, 0, sizeof(f));
	f.out = out;
	f.max = out != NULL ? max : 0;
	f.multiple = multiple != 0;
	f.domain.s = at + 1;
	f.domain.len = addrlen - (size_t)(at + 1 - addr);
	if (f.domain.len == 0 || f.domain.len > DKIMTABLE_DOMAIN_MAX)
		return 0;
	if (t->refile) {
		for (i = 0; i < t->count; i++)
			if (dkimtable_glob(t->ent[i].pattern,
			    strlen(t->ent[i].pattern), addr, addrlen) &&
			    dkimtable_found_add(&f, &t->ent[i]))
				break;
	} else
		dkimtable_lookup_file(t, &f, addr, (size_t)(at - addr));
	free(f.seen);
	return f.n;
}

size_t
dkimtable_check(const DKIMTABLE_SIGN *s, const DKIMTABLE_KEYS *k,
    char **errors)
{
	struct dkimtable_err e;
	char show[DKIMTABLE_SHOWBUF];
	const DKIMTABLE_RULE *r;
	size_t i, n;

	memset(&e, 0, sizeof(e));
	e.file = s != NULL ? s->file : "";
	if (errors != NULL)
		*errors = NULL;
	for (i = 0; s != NULL && i < s->count; i++) {
		r = &s->ent[i];
		if (strcmp(r->keyname, "%") != 0 &&
		    dkimtable_keys_find(k, r->keyname) == NULL)
			dkimtable_err_add(&e, r->line, "key \"%s\" is not in "
			    "the KeyTable", dkimtable_show(show, r->keyname,
			    strlen(r->keyname)));
	}
	n = e.n;
	(void)dkimtable_err_done(&e, errors);
	return n;
}
