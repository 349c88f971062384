/*
 * dkimtable_keys.c - OpenDKIM KeyTable files and table specs, and the
 * line, field and error helpers the SigningTable parser shares
 * (declared in dkimtable_int.h).
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
 *
 * Internal (dkimtable_int.h): dkimtable_space(), dkimtable_fold(),
 * dkimtable_casecmp(), dkimtable_show(), dkimtable_err_add(),
 * dkimtable_err_done(), dkimtable_split(), dkimtable_name_check(),
 * dkimtable_lines().
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
 * use the locale; check allocations for NULL (policy/base/mem.h).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkimtable.h"
#include "dkim/dkimtable_int.h"
#include "base/mem.h"

int
dkimtable_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' ||
	    c == '\n';
}

unsigned char
dkimtable_fold(char c)
{
	unsigned char u = (unsigned char)c;

	return u >= 'A' && u <= 'Z' ? (unsigned char)(u + ('a' - 'A')) : u;
}

/* Order of two strings without regard to ASCII case. */
int
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
const char *
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

__attribute__((format(printf, 3, 4)))
void
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
int
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
int
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
int
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
void
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
