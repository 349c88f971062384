/*
 * dkimtable.c - OpenDKIM KeyTable and SigningTable files, and lookups.
 *
 * Owns:
 *	const char *dkimtable_spec(const char *buf, size_t len,
 *	    size_t *pathoff, int *is_refile);
 *	DKIMTABLE_KEYS *dkimtable_keys_parse(const char *buf, size_t len,
 *	    const char *file, char **errors);
 *	void dkimtable_keys_free(DKIMTABLE_KEYS *);
 *	size_t dkimtable_keys_count(const DKIMTABLE_KEYS *);
 *	const DKIMTABLE_KEY *dkimtable_keys_entry(const DKIMTABLE_KEYS *,
 *	    size_t i);
 *	const DKIMTABLE_KEY *dkimtable_keys_find(const DKIMTABLE_KEYS *,
 *	    const char *name);
 *	const char *dkimtable_key_domain(const DKIMTABLE_KEY *,
 *	    const char *addrdomain);
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
 * The file syntax is opendkim(8), DATA SETS: a) "file:" is one element
 * per line, a key and its value separated by white space, '#' starts a
 * comment, blank lines are ignored, several values in one are separated
 * by colons; b) "refile:" is the same, the key being a pattern in which
 * only '*' is special.  The manual knows no continuation lines, and
 * neither do we.  Read here as follows (where the manual is silent, as
 * OpenDKIM 2.11 behaves, except where noted):
 *	- a '#' anywhere ends the line's content;
 *	- white space (SP, HT, CR, VT, FF) around the content is dropped,
 *	  but a refile: line may not begin with it: the manual takes the
 *	  pattern "from the start of the line to the first whitespace",
 *	  which would be empty (OpenDKIM skips such a line silently; we say
 *	  so instead);
 *	- the value is the rest of the line; its last field takes what is
 *	  left, colons included (a key path may hold ':' or spaces);
 *	- a line over DKIMTABLE_LINE_MAX octets, or one holding a NUL, is
 *	  an error, as is a key without a value.
 * KeyTable (opendkim.conf(5), KeyTable): NAME DOMAIN:SELECTOR:KEY.  NAME
 * is printable ASCII without ':' (a SigningTable could not name it);
 * DOMAIN is "%" or a domain name, SELECTOR a dotted selector (RFC 6376
 * 3.1), both letters, digits, '-' and '_', labels of 1 to 63 octets; KEY
 * is a path when it starts with "/", "./" or "../".  Names compare case
 * sensitively (as OpenDKIM's KeyTable does); a name given twice is an
 * error.
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
 * use the locale; check allocations for NULL (policy/mem.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkimtable.h"
#include "mem.h"

#define DKIMTABLE_SHOW_MAX	48	/* octets of bad text in an error */
#define DKIMTABLE_MSG_MAX	512	/* one message, without FILE:LINE */
#define DKIMTABLE_ERRORS_MAX	100	/* error lines listed */
#define DKIMTABLE_DOMAINKEY	"._domainkey."

struct DKIMTABLE_KEYS {
	DKIMTABLE_KEY	 *ent;		/* file order */
	DKIMTABLE_KEY	**byname;	/* sorted by name */
	size_t		  count;
	size_t		  cap;
};

struct DKIMTABLE_SIGN {
	DKIMTABLE_RULE	 *ent;		/* file order */
	DKIMTABLE_RULE	**bypat;	/* file: sorted by pattern, then line */
	size_t		  count;
	size_t		  cap;
	int		  refile;
	char		 *file;		/* for dkimtable_check() */
};

/* One error, and all of a parse's errors (sorted by line at the end). */
struct dkimtable_msg {
	size_t		 line;
	size_t		 seq;
	char		*text;
};

struct dkimtable_err {
	const char		*file;
	struct dkimtable_msg	*msg;
	size_t			 n;
};

/* One line split into key and value (both within the caller's buffer). */
struct dkimtable_kv {
	const char	*key;
	size_t		 keylen;
	const char	*val;
	size_t		 vallen;
};

/* A string that is not NUL-terminated. */
struct dkimtable_str {
	const char	*s;
	size_t		 len;
};

static int
dkimtable_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
	    c == '\n';
}

static unsigned char
dkimtable_fold(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 'A' && u <= 'Z' ? (unsigned char)(u + ('a' - 'A')) : u;
}

/* Order of two strings without regard to ASCII case. */
static int
dkimtable_casecmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		if (dkimtable_fold(a[i]) != dkimtable_fold(b[i]))
			return dkimtable_fold(a[i]) < dkimtable_fold(b[i]) ?
			    -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

/* s as a quoted-safe text: cut, unprintable bytes and '"' as '?'. */
static const char *
dkimtable_show(char *dst, const char *s, size_t len)
{
	size_t i, n = 0, show = len > DKIMTABLE_SHOW_MAX ?
	    DKIMTABLE_SHOW_MAX : len;

	for (i = 0; i < show; i++) {
		unsigned char c = (unsigned char)s[i];

		dst[n++] = c >= 0x20 && c < 0x7f && c != '"' ? (char)c : '?';
	}
	if (show < len) {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n] = '\0';
	return dst;
}

#define DKIMTABLE_SHOWBUF	(DKIMTABLE_SHOW_MAX + sizeof("..."))

__attribute__((format(printf, 3, 4)))
static void
dkimtable_err_add(struct dkimtable_err *e, size_t line, const char *fmt, ...)
{
	char msg[DKIMTABLE_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->msg = mem_realloc(e->msg, (e->n + 1) * sizeof(*e->msg));
	e->msg[e->n].line = line;
	e->msg[e->n].seq = e->n;
	e->msg[e->n].text = mem_strdup(msg);
	e->n++;
}

static int
dkimtable_msg_cmp(const void *a, const void *b)
{
	const struct dkimtable_msg *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Hand the errors to the caller as one text, in line order, at most
 * DKIMTABLE_ERRORS_MAX of them (or drop them); 1 if there were any.
 */
static int
dkimtable_err_done(struct dkimtable_err *e, char **errors)
{
	char head[64], *buf = NULL;
	size_t i, len = 0, flen = strlen(e->file), hlen, tlen;

	if (e->n > 0)
		qsort(e->msg, e->n, sizeof(*e->msg), dkimtable_msg_cmp);
	for (i = 0; i < e->n; i++) {
		if (i < DKIMTABLE_ERRORS_MAX)
			hlen = (size_t)snprintf(head, sizeof(head), ":%zu: ",
			    e->msg[i].line);
		else
			hlen = (size_t)snprintf(head, sizeof(head),
			    ": %zu more errors", e->n - DKIMTABLE_ERRORS_MAX);
		tlen = i < DKIMTABLE_ERRORS_MAX ? strlen(e->msg[i].text) : 0;
		if (i <= DKIMTABLE_ERRORS_MAX) {
			buf = mem_realloc(buf, len + 1 + flen + hlen + tlen + 1);
			if (len > 0)
				buf[len++] = '\n';
			memcpy(buf + len, e->file, flen);
			memcpy(buf + len + flen, head, hlen);
			memcpy(buf + len + flen + hlen, e->msg[i].text, tlen);
			len += flen + hlen + tlen;
			buf[len] = '\0';
		}
		free(e->msg[i].text);
	}
	free(e->msg);
	if (errors != NULL)
		*errors = buf;
	else
		free(buf);
	return e->n > 0;
}

/*
 * Cut one line into key and value (opendkim(8), DATA SETS a) and b)).
 * Returns 0 for a line without content, 1 for a key and value (vallen 0:
 * none), -1 with msg written for a bad line.
 */
static int
dkimtable_split(const char *p, size_t len, int refile,
    struct dkimtable_kv *kv, char *msg)
{
	const char *hash;
	size_t start, end, k;

	if (len > DKIMTABLE_LINE_MAX) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "line longer than %d octets",
		    DKIMTABLE_LINE_MAX);
		return -1;
	}
	if (memchr(p, '\0', len) != NULL) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "NUL byte in line");
		return -1;
	}
	if ((hash = memchr(p, '#', len)) != NULL)
		len = (size_t)(hash - p);
	for (start = 0; start < len && dkimtable_space(p[start]); start++)
		;
	for (end = len; end > start && dkimtable_space(p[end - 1]); end--)
		;
	if (start == end)
		return 0;
	if (refile && start > 0) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "line begins with white space "
		    "(a refile: pattern runs from the start of the line)");
		return -1;
	}
	for (k = start; k < end && !dkimtable_space(p[k]); k++)
		;
	kv->key = p + start;
	kv->keylen = k - start;
	while (k < end && dkimtable_space(p[k]))
		k++;
	kv->val = p + k;
	kv->vallen = end - k;
	return 1;
}

/* A key name: 1..DKIMTABLE_NAME_MAX octets of printable ASCII, no ':'. */
static int
dkimtable_name_check(const char *s, size_t len, char *msg)
{
	char show[DKIMTABLE_SHOWBUF];
	size_t i;

	if (len == 0) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "empty key name");
		return -1;
	}
	if (len > DKIMTABLE_NAME_MAX) {
		snprintf(msg, DKIMTABLE_MSG_MAX,
		    "key name \"%s\" longer than %d octets",
		    dkimtable_show(show, s, len), DKIMTABLE_NAME_MAX);
		return -1;
	}
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':') {
			snprintf(msg, DKIMTABLE_MSG_MAX,
			    "bad character in key name \"%s\"",
			    dkimtable_show(show, s, len));
			return -1;
		}
	return 0;
}

/*
 * A domain or selector: labels of letters, digits, '-' and '_' (DNS
 * allows the last, and selectors use it), 1..DKIMTABLE_LABEL_MAX octets,
 * no '-' at either end, at most max octets in all.
 */
static int
dkimtable_dns_check(const char *what, const char *s, size_t len, size_t max,
    char *msg)
{
	char show[DKIMTABLE_SHOWBUF];
	size_t i, lab = 0;

	if (len == 0) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "empty %s", what);
		return -1;
	}
	if (len > max) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "%s \"%s\" longer than %zu "
		    "octets", what, dkimtable_show(show, s, len), max);
		return -1;
	}
	for (i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				goto bad;
			if (lab > DKIMTABLE_LABEL_MAX) {
				snprintf(msg, DKIMTABLE_MSG_MAX, "label longer "
				    "than %d octets in %s \"%s\"",
				    DKIMTABLE_LABEL_MAX, what,
				    dkimtable_show(show, s, len));
				return -1;
			}
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' ||
		    (c == '-' && lab > 0)))
			goto bad;
		lab++;
	}
	return 0;
bad:
	snprintf(msg, DKIMTABLE_MSG_MAX, "malformed %s \"%s\"", what,
	    dkimtable_show(show, s, len));
	return -1;
}

/*
 * KeyTable value DOMAIN:SELECTOR:KEY into k (opendkim.conf(5), KeyTable).
 */
static int
dkimtable_key_line(const struct dkimtable_kv *kv, size_t line,
    DKIMTABLE_KEY *k, char *msg)
{
	const char *v = kv->val, *c1, *c2, *key;
	size_t dlen, slen, klen;

	if (dkimtable_name_check(kv->key, kv->keylen, msg) != 0)
		return -1;
	if (kv->vallen == 0 ||
	    (c1 = memchr(v, ':', kv->vallen)) == NULL ||
	    (c2 = memchr(c1 + 1, ':', kv->vallen -
	    (size_t)(c1 + 1 - v))) == NULL) {
		snprintf(msg, DKIMTABLE_MSG_MAX,
		    "expected NAME DOMAIN:SELECTOR:KEY");
		return -1;
	}
	dlen = (size_t)(c1 - v);
	slen = (size_t)(c2 - (c1 + 1));
	key = c2 + 1;
	klen = kv->vallen - (size_t)(key - v);
	if (!(dlen == 1 && v[0] == '%') &&
	    dkimtable_dns_check("domain", v, dlen, DKIMTABLE_DOMAIN_MAX,
	    msg) != 0)
		return -1;
	if (dkimtable_dns_check("selector", c1 + 1, slen,
	    DKIMTABLE_DNSNAME_MAX, msg) != 0)
		return -1;
	if (!(dlen == 1 && v[0] == '%') && slen +
	    sizeof(DKIMTABLE_DOMAINKEY) - 1 + dlen > DKIMTABLE_DNSNAME_MAX) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "SELECTOR._domainkey.DOMAIN "
		    "longer than %d octets", DKIMTABLE_DNSNAME_MAX);
		return -1;
	}
	if (klen == 0) {
		snprintf(msg, DKIMTABLE_MSG_MAX, "empty key");
		return -1;
	}
	k->name = mem_strndup(kv->key, kv->keylen);
	k->domain = mem_strndup(v, dlen);
	k->selector = mem_strndup(c1 + 1, slen);
	k->key = mem_strndup(key, klen);
	k->is_path = key[0] == '/' ||
	    (klen >= 2 && memcmp(key, "./", 2) == 0) ||
	    (klen >= 3 && memcmp(key, "../", 3) == 0);
	k->line = line;
	return 0;
}

static int
dkimtable_key_cmp(const void *a, const void *b)
{
	const DKIMTABLE_KEY *x = *(DKIMTABLE_KEY * const *)a;
	const DKIMTABLE_KEY *y = *(DKIMTABLE_KEY * const *)b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

static void
dkimtable_key_clear(DKIMTABLE_KEY *k)
{
	free(k->name);
	free(k->domain);
	free(k->selector);
	if (k->key != NULL) {
		mem_wipe(k->key, strlen(k->key));
		free(k->key);
	}
}

/* Call fn for each line of buf; lines are numbered from 1. */
static void
dkimtable_lines(const char *buf, size_t len,
    void (*fn)(void *, const char *, size_t, size_t), void *arg)
{
	const char *end, *nl;
	size_t line = 0;

	if (buf == NULL)
		return;
	end = buf + len;
	while (buf < end) {
		nl = memchr(buf, '\n', (size_t)(end - buf));
		line++;
		fn(arg, buf, nl != NULL ? (size_t)(nl - buf) :
		    (size_t)(end - buf), line);
		buf = nl != NULL ? nl + 1 : end;
	}
}

struct dkimtable_keys_ctx {
	DKIMTABLE_KEYS		*t;
	struct dkimtable_err	*e;
};

static void
dkimtable_keys_one(void *arg, const char *p, size_t len, size_t line)
{
	struct dkimtable_keys_ctx *c = arg;
	DKIMTABLE_KEYS *t = c->t;
	struct dkimtable_kv kv;
	DKIMTABLE_KEY k;
	char msg[DKIMTABLE_MSG_MAX];
	int r;

	if ((r = dkimtable_split(p, len, 0, &kv, msg)) == 0)
		return;
	memset(&k, 0, sizeof(k));
	if (r < 0 || dkimtable_key_line(&kv, line, &k, msg) != 0) {
		dkimtable_err_add(c->e, line, "%s", msg);
		return;
	}
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->ent = mem_realloc(t->ent, t->cap * sizeof(*t->ent));
	}
	t->ent[t->count++] = k;
}

void
dkimtable_keys_free(DKIMTABLE_KEYS *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->count; i++)
		dkimtable_key_clear(&t->ent[i]);
	free(t->ent);
	free(t->byname);
	free(t);
}

DKIMTABLE_KEYS *
dkimtable_keys_parse(const char *buf, size_t len, const char *file,
    char **errors)
{
	DKIMTABLE_KEYS *t = mem_calloc(1, sizeof(*t));
	struct dkimtable_err e;
	struct dkimtable_keys_ctx c;
	char show[DKIMTABLE_SHOWBUF];
	size_t i, first;

	memset(&e, 0, sizeof(e));
	e.file = file != NULL ? file : "";
	c.t = t;
	c.e = &e;
	if (errors != NULL)
		*errors = NULL;
	dkimtable_lines(buf, len, dkimtable_keys_one, &c);
	t->byname = mem_calloc(t->count, sizeof(*t->byname));
	for (i = 0; i < t->count; i++)
		t->byname[i] = &t->ent[i];
	qsort(t->byname, t->count, sizeof(*t->byname), dkimtable_key_cmp);
	for (i = 1, first = 0; i < t->count; i++) {
		if (strcmp(t->byname[first]->name, t->byname[i]->name) != 0) {
			first = i;
			continue;
		}
		dkimtable_err_add(&e, t->byname[i]->line,
		    "duplicate key name \"%s\" (first on line %zu)",
		    dkimtable_show(show, t->byname[i]->name,
		    strlen(t->byname[i]->name)), t->byname[first]->line);
	}
	if (dkimtable_err_done(&e, errors)) {
		dkimtable_keys_free(t);
		return NULL;
	}
	return t;
}

size_t
dkimtable_keys_count(const DKIMTABLE_KEYS *t)
{
	return t != NULL ? t->count : 0;
}

const DKIMTABLE_KEY *
dkimtable_keys_entry(const DKIMTABLE_KEYS *t, size_t i)
{
	return t != NULL && i < t->count ? &t->ent[i] : NULL;
}

const DKIMTABLE_KEY *
dkimtable_keys_find(const DKIMTABLE_KEYS *t, const char *name)
{
	size_t lo = 0, hi;
	int c;

	if (t == NULL || name == NULL)
		return NULL;
	hi = t->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((c = strcmp(name, t->byname[mid]->name)) == 0)
			return t->byname[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* opendkim.conf(5), KeyTable: a DOMAIN of "%" is the sender's domain. */
const char *
dkimtable_key_domain(const DKIMTABLE_KEY *k, const char *addrdomain)
{
	if (k == NULL)
		return NULL;
	return strcmp(k->domain, "%") == 0 ? addrdomain : k->domain;
}

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

/*
 * A KeyTable or SigningTable setting: "file:/path", "refile:/path", or
 * "/path" (file:) as opendkim(8), DATA SETS a), b) and i) name them.
 */
const char *
dkimtable_spec(const char *buf, size_t len, size_t *pathoff, int *is_refile)
{
	size_t off;

	*pathoff = 0;
	*is_refile = 0;
	if (buf == NULL || len == 0)
		return "empty table";
	if (memchr(buf, '\0', len) != NULL)
		return "NUL byte in table name";
	if (len >= 5 && memcmp(buf, "file:", 5) == 0)
		off = 5;
	else if (len >= 7 && memcmp(buf, "refile:", 7) == 0) {
		off = 7;
		*is_refile = 1;
	} else if (buf[0] == '/') {
		if (len >= 3 && memcmp(buf + len - 3, ".db", 3) == 0)
			return "a path ending in \".db\" is a Berkeley DB "
			    "table to OpenDKIM: repguard reads only file: "
			    "and refile: tables";
		off = 0;
	} else
		return "unsupported table type: repguard reads file:/path, "
		    "refile:/path or /path";
	if (off == len)
		return "missing path after the table type";
	if (buf[off] != '/')
		return "table path must be absolute";
	*pathoff = off;
	return NULL;
}
