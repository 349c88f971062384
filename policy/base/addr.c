/*
 * addr.c - SMTP mailbox parsing and canonical keys.
 *
 * Owns:
 *	const char *addr_canon(const char *buf, size_t len, char *out,
 *	    size_t outsize, size_t *outlen);
 *	const char *addr_domain(const char *key);
 *
 * addr_canon() accepts what a milter gets as the MAIL FROM or RCPT TO
 * argument: optional white space (SP, HT) around it, optional angle
 * brackets, an optional obsolete source route ("@a.example,@b.example:",
 * checked and dropped), then local-part "@" domain.  The key it writes is:
 *	- local part: lower-cased (ASCII letters only); written bare when its
 *	  unescaped content is a dot-atom, else quoted with only '"' and '\'
 *	  escaped, so "Alice"@x, alice@x and "\a\lice"@X.  give one key;
 *	- domain: lower-cased, one trailing dot removed; an address literal
 *	  is rewritten as inet_ntop() prints it: "[192.0.2.1]",
 *	  "[ipv6:2001:db8::1]".
 * "<>", and input that is empty after trimming, is the null sender: success
 * with the empty key.  Bytes >= 0x80 (SMTPUTF8) are allowed in atoms,
 * quoted strings and domain labels and kept as they are, but must form
 * well-formed UTF-8 ("invalid UTF-8 in address" otherwise), so that a key
 * is always printable as UTF-8 (JSON, logs).
 *
 * Diagnostics: a static English error text, one per kind of fault (see the
 * strings below; callers and tests may match them).  On error out is ""
 * and *outlen is 0.
 *
 * Known limits: no IDNA: a U-label domain and its xn-- A-label give two
 * different keys.  A mailbox without "@domain" (RCPT TO:<postmaster>) is
 * refused ("missing '@'").  Case is folded for ASCII letters only.
 *
 * Must not: allocate, read past len, assume a NUL terminator, use the
 * locale (no <ctype.h>), include anything from filter/ or libmilter.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "base/addr.h"

#define ADDR_STR(x)		ADDR_STR2(x)
#define ADDR_STR2(x)		#x
#define ADDR_LABEL_MAX		63	/* RFC 1035 2.3.4, octets */
#define ADDR_LITERAL_MAX	64	/* text between '[' and ']' */

/* A read cursor over the caller's bytes; p never passes end. */
struct addr_cur {
	const unsigned char	*p;
	const unsigned char	*end;
};

/* A bounded writer into the caller's output buffer (size >= 1). */
struct addr_out {
	char	*buf;
	size_t	 size;
	size_t	 len;
	int	 overflow;
};

static unsigned char
addr_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
addr_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext, ASCII part. */
static int
addr_is_atext(unsigned char c)
{
	return addr_is_alnum(c) ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
addr_is_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Length of the well-formed UTF-8 sequence that starts at p (whose first
 * byte is >= 0x80), or 0 if it is not one (overlong forms, surrogates and
 * code points above U+10FFFF are refused).
 */
static size_t
addr_utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Is s[0..n) a dot-atom (atext or UTF-8, single inner dots)? */
static int
addr_is_dot_atom(const unsigned char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (s[i] < 0x80 && !addr_is_atext(s[i]))
			return 0;
	}
	return 1;
}

static void
addr_put(struct addr_out *o, const void *s, size_t n)
{
	if (o->overflow || n >= o->size - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void
addr_putc(struct addr_out *o, unsigned char c)
{
	addr_put(o, &c, 1);
}

/*
 * Append the k bytes at c->p (one ASCII byte, or one UTF-8 sequence) to
 * loc[*n], lower-cased, and advance.  Fails when the local part would
 * exceed ADDR_LOCAL_MAX octets.
 */
static const char *
addr_take_local(struct addr_cur *c, size_t k, unsigned char *loc, size_t *n)
{
	size_t i;

	if (*n + k > ADDR_LOCAL_MAX)
		return "local part longer than " ADDR_STR(ADDR_LOCAL_MAX)
		    " octets";
	for (i = 0; i < k; i++)
		loc[(*n)++] = addr_lower(c->p[i]);
	c->p += k;
	return NULL;
}

/* Dot-atom local part, up to (not including) the '@'. */
static const char *
addr_parse_atom(struct addr_cur *c, unsigned char *loc, size_t *n)
{
	const char *err;
	size_t k;
	unsigned char ch;

	while (c->p < c->end && *c->p != '@' && *c->p != '>') {
		ch = *c->p;
		k = 1;
		if (ch == '.') {
			if (*n == 0)
				return "local part starts with a dot";
			if (loc[*n - 1] == '.')
				return "consecutive dots in local part";
		} else if (ch >= 0x80) {
			if ((k = addr_utf8_len(c->p, c->end)) == 0)
				return "invalid UTF-8 in address";
		} else if (!addr_is_atext(ch))
			return "invalid character in local part";
		if ((err = addr_take_local(c, k, loc, n)) != NULL)
			return err;
	}
	if (c->p == c->end || *c->p != '@')
		return "missing '@'";
	if (*n == 0)
		return "empty local part";
	if (loc[*n - 1] == '.')
		return "local part ends with a dot";
	return NULL;
}

/* Quoted-string local part; c->p is at the opening '"'. */
static const char *
addr_parse_quoted(struct addr_cur *c, unsigned char *loc, size_t *n)
{
	const char *err;
	size_t k;
	unsigned char ch;

	c->p++;
	for (;;) {
		if (c->p == c->end)
			return "unterminated quoted string";
		ch = *c->p;
		if (ch == '"') {
			c->p++;
			break;
		}
		if (ch == '\\') {
			c->p++;
			if (c->p == c->end)
				return "unterminated quoted string";
			ch = *c->p;
		}
		k = 1;
		if (ch < 0x20 || ch == 0x7f)
			return "control character in address";
		if (ch >= 0x80 && (k = addr_utf8_len(c->p, c->end)) == 0)
			return "invalid UTF-8 in address";
		if ((err = addr_take_local(c, k, loc, n)) != NULL)
			return err;
	}
	if (c->p == c->end || *c->p == '>')
		return "missing '@'";
	if (*c->p != '@')
		return "invalid character after quoted string";
	if (*n == 0)
		return "empty local part";
	return NULL;
}

/* Address literal; c->p is at '['.  Writes the canonical form to dom. */
static const char *
addr_parse_literal(struct addr_cur *c, char *dom, size_t *n)
{
	const unsigned char *start;
	char text[ADDR_LITERAL_MAX + 1];
	char ntop[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	size_t len;
	int v6;

	start = ++c->p;
	while (c->p < c->end && *c->p != ']')
		c->p++;
	if (c->p == c->end)
		return "unterminated address literal";
	len = (size_t)(c->p - start);
	c->p++;
	v6 = len >= 5 && addr_lower(start[0]) == 'i' &&
	    addr_lower(start[1]) == 'p' && addr_lower(start[2]) == 'v' &&
	    start[3] == '6' && start[4] == ':';
	if (v6) {
		start += 5;
		len -= 5;
	} else if (memchr(start, ':', len) != NULL)
		return "unsupported address literal";
	if (len == 0 || len > ADDR_LITERAL_MAX)
		return v6 ? "invalid IPv6 address literal" :
		    "invalid IPv4 address literal";
	memcpy(text, start, len);
	text[len] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, text, bin) != 1 ||
	    inet_ntop(v6 ? AF_INET6 : AF_INET, bin, ntop, sizeof(ntop)) == NULL)
		return v6 ? "invalid IPv6 address literal" :
		    "invalid IPv4 address literal";
	len = strlen(ntop);
	*n = 0;
	dom[(*n)++] = '[';
	if (v6) {
		memcpy(dom + *n, "ipv6:", 5);
		*n += 5;
	}
	memcpy(dom + *n, ntop, len);
	*n += len;
	dom[(*n)++] = ']';
	return NULL;
}

/*
 * Domain or address literal, lower-cased into dom[0..*n) (no NUL).  It ends
 * at the end of input, '>' or white space; in a source route (route != 0)
 * also at ',' or ':'.  The caller judges what follows.
 */
static const char *
addr_parse_domain(struct addr_cur *c, int route, char *dom, size_t *n)
{
	size_t k, lablen = 0;
	unsigned char ch;

	*n = 0;
	if (c->p < c->end && *c->p == '[')
		return addr_parse_literal(c, dom, n);
	while (c->p < c->end) {
		ch = *c->p;
		if (ch == '>' || addr_is_space(ch) ||
		    (route && (ch == ',' || ch == ':')))
			break;
		k = 1;
		if (ch == '.') {
			if (lablen == 0)
				return "empty label in domain";
			if (dom[*n - 1] == '-')
				return "domain label ends with a hyphen";
		} else if (ch == '-') {
			if (lablen == 0)
				return "domain label starts with a hyphen";
		} else if (ch >= 0x80) {
			if ((k = addr_utf8_len(c->p, c->end)) == 0)
				return "invalid UTF-8 in address";
		} else if (!addr_is_alnum(ch))
			return "invalid character in domain";
		if (ch != '.' && lablen + k > ADDR_LABEL_MAX)
			return "domain label longer than "
			    ADDR_STR(ADDR_LABEL_MAX) " octets";
		/* One octet of slack for a trailing dot, removed below. */
		if (*n + k > ADDR_DOMAIN_MAX + 1)
			return "domain longer than " ADDR_STR(ADDR_DOMAIN_MAX)
			    " octets";
		lablen = ch == '.' ? 0 : lablen + k;
		while (k-- > 0)
			dom[(*n)++] = (char)addr_lower(*c->p++);
	}
	if (*n == 0)
		return "missing domain";
	if (lablen == 0)
		(*n)--;			/* the one trailing dot */
	else if (dom[*n - 1] == '-')
		return "domain label ends with a hyphen";
	if (*n > ADDR_DOMAIN_MAX)
		return "domain longer than " ADDR_STR(ADDR_DOMAIN_MAX)
		    " octets";
	return NULL;
}

/*
 * Obsolete source route "@a,@b:"; c->p is at the first '@'.  Input that
 * is just "@domain", or has neither ':' nor ',', is a mailbox whose local
 * part is missing rather than a route.
 */
static const char *
addr_skip_route(struct addr_cur *c)
{
	char scratch[ADDR_DOMAIN_MAX + 1];
	const char *err;
	size_t n;
	int first = 1;

	if (memchr(c->p, ':', (size_t)(c->end - c->p)) == NULL &&
	    memchr(c->p, ',', (size_t)(c->end - c->p)) == NULL)
		return "empty local part";
	for (;;) {
		c->p++;
		err = addr_parse_domain(c, 1, scratch, &n);
		if (err == NULL && c->p < c->end && *c->p == ':') {
			c->p++;
			return NULL;
		}
		if (err == NULL && first && (c->p == c->end || *c->p == '>'))
			return "empty local part";
		if (err != NULL || c->p == c->end || *c->p != ',')
			return "invalid source route";
		c->p++;
		if (c->p == c->end || *c->p != '@')
			return "invalid source route";
		first = 0;
	}
}

/* The local part as canonical text: a dot-atom as it is, anything else
 * quoted with its quotes and backslashes escaped. */
static void
addr_put_local(struct addr_out *o, const unsigned char *loc, size_t locn)
{
	size_t i;

	if (addr_is_dot_atom(loc, locn)) {
		addr_put(o, loc, locn);
		return;
	}
	addr_putc(o, '"');
	for (i = 0; i < locn; i++) {
		if (loc[i] == '"' || loc[i] == '\\')
			addr_putc(o, '\\');
		addr_putc(o, loc[i]);
	}
	addr_putc(o, '"');
}

/* The whole parse; writes the key to o. */
static const char *
addr_parse(const unsigned char *buf, size_t len, struct addr_out *o)
{
	struct addr_cur c = { buf, buf + len };
	unsigned char loc[ADDR_LOCAL_MAX];
	char dom[ADDR_DOMAIN_MAX + 1];
	const unsigned char *q;
	const char *err;
	size_t locn = 0, domn;
	int bracketed = 0;

	while (c.p < c.end && addr_is_space(*c.p))
		c.p++;
	while (c.end > c.p && addr_is_space(c.end[-1]))
		c.end--;
	for (q = c.p; q < c.end; q++) {
		if (*q == '\0')
			return "NUL byte in address";
		if ((*q < 0x20 && *q != '\t') || *q == 0x7f)
			return "control character in address";
	}

	if (c.p < c.end && *c.p == '<') {
		bracketed = 1;
		c.p++;
		if (c.p < c.end && *c.p == '>') {
			c.p++;
			return c.p == c.end ? NULL :
			    "trailing characters after address";
		}
	}
	if (c.p == c.end)
		return bracketed ? "missing closing '>'" : NULL;

	if (*c.p == '@' && (err = addr_skip_route(&c)) != NULL)
		return err;
	if (c.p < c.end && *c.p == '"')
		err = addr_parse_quoted(&c, loc, &locn);
	else
		err = addr_parse_atom(&c, loc, &locn);
	if (err != NULL)
		return err;
	c.p++;				/* the '@' */
	if ((err = addr_parse_domain(&c, 0, dom, &domn)) != NULL)
		return err;

	if (bracketed) {
		if (c.p == c.end)
			return "missing closing '>'";
		if (*c.p != '>')
			return "trailing characters after address";
		c.p++;
	}
	if (c.p < c.end)
		return *c.p == '>' ? "unexpected '>'" :
		    "trailing characters after address";

	addr_put_local(o, loc, locn);
	addr_putc(o, '@');
	addr_put(o, dom, domn);
	return o->overflow ? "output buffer too small" : NULL;
}

const char *
addr_canon(const char *buf, size_t len, char *out, size_t outsize,
    size_t *outlen)
{
	struct addr_out o = { out, outsize, 0, 0 };
	const char *err;

	if (outlen != NULL)
		*outlen = 0;
	if (out == NULL || outsize == 0)
		return "output buffer too small";
	out[0] = '\0';
	if (len == 0)
		return NULL;		/* the null sender */
	if (buf == NULL)
		return "missing address";
	err = addr_parse((const unsigned char *)buf, len, &o);
	if (err != NULL) {
		out[0] = '\0';
		return err;
	}
	out[o.len] = '\0';
	if (outlen != NULL)
		*outlen = o.len;
	return NULL;
}

const char *
addr_domain(const char *key)
{
	const char *at;

	if (key == NULL || (at = strrchr(key, '@')) == NULL)
		return "";
	return at + 1;
}

/* Is buf[0..len) well-formed UTF-8 (ASCII included)? */
int
addr_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)buf, *end = p + len;
	size_t k;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = addr_utf8_len(p, end)) == 0)
			return 0;
		p += k;
	}
	return 1;
}
