/*
 * test_addr.c - table-driven tests of addr_canon() and addr_domain().
 *
 * Each case is run three ways: from the string with its length, from a
 * heap copy of exactly len bytes (no NUL after it, so AddressSanitizer
 * catches any read past len), and, for the valid ones, again with the
 * exact output size the key needs (and one byte less, which must fail).
 * Then groups of spellings of one mailbox must give one key, and the caps
 * (ADDR_LOCAL_MAX-octet local part, 63-octet label, 255-octet domain) are probed at
 * and just beyond their limit.
 */
#include <stdlib.h>
#include <string.h>

#include "base/addr.h"
#include "base/mem.h"
#include "tap.h"

struct addr_case {
	const char	*in;
	size_t		 len;	/* 0: strlen(in) */
	const char	*key;	/* NULL: must fail */
	const char	*err;	/* NULL: must succeed */
};

static const struct addr_case cases[] = {
	/* plain and bracketed */
	{ "alice@example.com", 0, "alice@example.com", NULL },
	{ "<alice@example.com>", 0, "alice@example.com", NULL },
	{ "  <alice@example.com>\t", 0, "alice@example.com", NULL },
	{ "\talice@example.com ", 0, "alice@example.com", NULL },
	{ "Alice@Example.COM", 0, "alice@example.com", NULL },
	{ "ALICE.SMITH+Tag@EXAMPLE.com", 0, "alice.smith+tag@example.com",
	    NULL },
	{ "a!#$%&'*+-/=?^_`{|}~z@example.com", 0,
	    "a!#$%&'*+-/=?^_`{|}~z@example.com", NULL },
	{ "alice@example.com.", 0, "alice@example.com", NULL },
	{ "<alice@EXAMPLE.COM.>", 0, "alice@example.com", NULL },
	{ "alice@localhost", 0, "alice@localhost", NULL },
	{ "x@a-b.c-d.example", 0, "x@a-b.c-d.example", NULL },
	{ "x@123.example", 0, "x@123.example", NULL },
	/* the null sender */
	{ "<>", 0, "", NULL },
	{ " <> ", 0, "", NULL },
	{ "", 0, "", NULL },
	{ "   ", 0, "", NULL },
	/* quoting */
	{ "\"alice\"@example.com", 0, "alice@example.com", NULL },
	{ "<\"Alice.Smith\"@example.com>", 0, "alice.smith@example.com",
	    NULL },
	{ "\"\\a\\l\\i\\c\\e\"@example.com", 0, "alice@example.com", NULL },
	{ "\"a b\"@example.com", 0, "\"a b\"@example.com", NULL },
	{ "\"A B\"@Example.com", 0, "\"a b\"@example.com", NULL },
	{ "\"a\\ b\"@example.com", 0, "\"a b\"@example.com", NULL },
	{ "\"a\\\"b\"@example.com", 0, "\"a\\\"b\"@example.com", NULL },
	{ "\"a\\\\b\"@example.com", 0, "\"a\\\\b\"@example.com", NULL },
	{ "\".alice\"@example.com", 0, "\".alice\"@example.com", NULL },
	{ "\"alice.\"@example.com", 0, "\"alice.\"@example.com", NULL },
	{ "\"a..b\"@example.com", 0, "\"a..b\"@example.com", NULL },
	{ "\"a@b\"@example.com", 0, "\"a@b\"@example.com", NULL },
	{ "\"a,b:c\"@example.com", 0, "\"a,b:c\"@example.com", NULL },
	{ "\"<a>\"@example.com", 0, "\"<a>\"@example.com", NULL },
	/* source routes */
	{ "<@relay.example:alice@example.com>", 0, "alice@example.com", NULL },
	{ "<@a.example,@B.example:Alice@example.com>", 0,
	    "alice@example.com", NULL },
	{ "@a.example:alice@example.com", 0, "alice@example.com", NULL },
	{ "<@[192.0.2.1]:alice@example.com>", 0, "alice@example.com", NULL },
	/* address literals */
	{ "alice@[192.0.2.1]", 0, "alice@[192.0.2.1]", NULL },
	{ "<alice@[IPv6:2001:DB8::1]>", 0, "alice@[ipv6:2001:db8::1]", NULL },
	{ "alice@[ipv6:2001:0db8:0000:0000:0000:0000:0000:0001]", 0,
	    "alice@[ipv6:2001:db8::1]", NULL },
	{ "alice@[IPv6:::ffff:192.0.2.1]", 0, "alice@[ipv6:::ffff:192.0.2.1]",
	    NULL },
	/* SMTPUTF8: kept as they are, ASCII still lower-cased */
	{ "J\xc3\xb6rg@Example.com", 0, "j\xc3\xb6rg@example.com", NULL },
	{ "\"J\xc3\xb6rg\"@b\xc3\xbc" "cher.example", 0,
	    "j\xc3\xb6rg@b\xc3\xbc" "cher.example", NULL },
	{ "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a", 0,
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a", NULL },
	{ "\xf0\x9f\x98\x80@example.com", 0, "\xf0\x9f\x98\x80@example.com",
	    NULL },

	/* structure errors */
	{ "alice", 0, NULL, "missing '@'" },
	{ "<alice>", 0, NULL, "missing '@'" },
	{ "\"alice\"", 0, NULL, "missing '@'" },
	{ "alice@", 0, NULL, "missing domain" },
	{ "<alice@>", 0, NULL, "missing domain" },
	{ "@example.com", 0, NULL, "empty local part" },
	{ "<@example.com>", 0, NULL, "empty local part" },
	{ "\"\"@example.com", 0, NULL, "empty local part" },
	{ "<alice@example.com", 0, NULL, "missing closing '>'" },
	{ "<", 0, NULL, "missing closing '>'" },
	{ "alice@example.com>", 0, NULL, "unexpected '>'" },
	{ "<alice@example.com>>", 0, NULL, "unexpected '>'" },
	{ "<alice@example.com>x", 0, NULL,
	    "trailing characters after address" },
	{ "alice@example.com bob", 0, NULL,
	    "trailing characters after address" },
	{ "<alice@example.com >", 0, NULL,
	    "trailing characters after address" },
	{ "<>x", 0, NULL, "trailing characters after address" },
	{ "alice@[192.0.2.1]x", 0, NULL, "trailing characters after address" },
	{ "alice@example.com SIZE=100", 0, NULL,
	    "trailing characters after address" },
	/* local part */
	{ ".alice@example.com", 0, NULL, "local part starts with a dot" },
	{ "alice.@example.com", 0, NULL, "local part ends with a dot" },
	{ "al..ice@example.com", 0, NULL, "consecutive dots in local part" },
	{ "al ice@example.com", 0, NULL, "invalid character in local part" },
	{ "< alice@example.com>", 0, NULL, "invalid character in local part" },
	{ "al(ice@example.com", 0, NULL, "invalid character in local part" },
	{ "a\"b\"@example.com", 0, NULL, "invalid character in local part" },
	{ "<<alice@example.com>>", 0, NULL,
	    "invalid character in local part" },
	{ "al\\ice@example.com", 0, NULL, "invalid character in local part" },
	{ "\"alice\"x@example.com", 0, NULL,
	    "invalid character after quoted string" },
	{ "\"alice@example.com", 0, NULL, "unterminated quoted string" },
	{ "<\"alice@example.com>", 0, NULL, "unterminated quoted string" },
	{ "\"alice\\", 0, NULL, "unterminated quoted string" },
	{ "\"a\tb\"@example.com", 0, NULL, "control character in address" },
	/* control bytes, NUL, UTF-8 */
	{ "ali\x01" "ce@example.com", 0, NULL, "control character in address" },
	{ "alice@exam\x7fple.com", 0, NULL, "control character in address" },
	{ "alice@example.com\r\n", 0, NULL, "control character in address" },
	{ "alice\0@example.com", 18, NULL, "NUL byte in address" },
	{ "alice@example.com\0", 18, NULL, "NUL byte in address" },
	{ "\xff" "alice@example.com", 0, NULL, "invalid UTF-8 in address" },
	{ "alice@ex\xc3" "ample.com", 0, NULL, "invalid UTF-8 in address" },
	{ "\xc0\xaf@example.com", 0, NULL, "invalid UTF-8 in address" },
	{ "\xed\xa0\x80@example.com", 0, NULL, "invalid UTF-8 in address" },
	{ "alice@example.\xc3", 0, NULL, "invalid UTF-8 in address" },
	{ "\"a\xe9\"@example.com", 0, NULL, "invalid UTF-8 in address" },
	/* domain */
	{ "alice@.example.com", 0, NULL, "empty label in domain" },
	{ "alice@example..com", 0, NULL, "empty label in domain" },
	{ "alice@example.com..", 0, NULL, "empty label in domain" },
	{ "alice@.", 0, NULL, "empty label in domain" },
	{ "alice@-example.com", 0, NULL, "domain label starts with a hyphen" },
	{ "alice@example-.com", 0, NULL, "domain label ends with a hyphen" },
	{ "alice@example.com-", 0, NULL, "domain label ends with a hyphen" },
	{ "alice@exa_mple.com", 0, NULL, "invalid character in domain" },
	{ "alice@bob@example.com", 0, NULL, "invalid character in domain" },
	{ "alice@example.com,bob@example.com", 0, NULL,
	    "invalid character in domain" },
	{ "alice@[192.0.2.1", 0, NULL, "unterminated address literal" },
	{ "<alice@[192.0.2.1>", 0, NULL, "unterminated address literal" },
	{ "alice@[192.0.2.256]", 0, NULL, "invalid IPv4 address literal" },
	{ "alice@[192.0.2]", 0, NULL, "invalid IPv4 address literal" },
	{ "alice@[]", 0, NULL, "invalid IPv4 address literal" },
	{ "alice@[example.com]", 0, NULL, "invalid IPv4 address literal" },
	{ "alice@[IPv6:2001:db8::g]", 0, NULL, "invalid IPv6 address literal" },
	{ "alice@[IPv6:]", 0, NULL, "invalid IPv6 address literal" },
	{ "alice@[2001:db8::1]", 0, NULL, "unsupported address literal" },
	{ "alice@[x-tag:stuff]", 0, NULL, "unsupported address literal" },
	/* source route errors */
	{ "<@a.example,alice@example.com>", 0, NULL, "invalid source route" },
	{ "<@a.example,@:alice@example.com>", 0, NULL,
	    "invalid source route" },
	{ "<@a.example,@b.example>", 0, NULL, "invalid source route" },
	{ "<@:alice@example.com>", 0, NULL, "invalid source route" },
	{ "<@exa_mple.com>", 0, NULL, "empty local part" },
	{ "@[IPv6:::1]", 0, NULL, "empty local part" },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/*
 * Spellings of one mailbox; each group ends with NULL and the first
 * entry's key is what every other must give.
 */
static const char *const same[][8] = {
	{ "alice@example.com", "Alice@Example.COM", "<ALICE@EXAMPLE.COM>",
	  "\"alice\"@example.com", " <\"Alice\"@example.com.> ",
	  "\"\\A\\l\\i\\c\\e\"@EXAMPLE.com",
	  "<@relay.example:alice@example.com>", NULL },
	{ "\"a b\"@example.com", "\"A B\"@EXAMPLE.COM", "\"a\\ b\"@example.com",
	  "<\"A\\ B\"@example.com.>", NULL },
	{ "x.y@[IPv6:2001:db8::1]", "X.Y@[ipv6:2001:DB8:0:0:0:0:0:1]",
	  "\"x.y\"@[IPV6:2001:db8::0001]", NULL },
};

/* s[0..len) as printable ASCII for a TAP line (rotating buffers). */
static const char *
esc(const char *s, size_t len)
{
	static char bufs[4][4 * 600 + 1];
	static int which;
	char *b = bufs[which++ % 4];
	size_t i, n = 0;

	for (i = 0; i < len && i < 600; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			b[n++] = (char)c;
		else
			n += (size_t)snprintf(b + n, sizeof(bufs[0]) - n,
			    "\\x%02x", c);
	}
	b[n] = '\0';
	return b;
}

/* A heap copy of exactly len bytes: a read past it is an ASan error. */
static char *
exact_copy(const char *s, size_t len)
{
	char *p = mem_alloc(len);

	memcpy(p, s, len);
	return p;
}

static void
run_case(const struct addr_case *c)
{
	char out[ADDR_KEY_MAX], small[ADDR_KEY_MAX];
	size_t len = c->len ? c->len : strlen(c->in), outlen = 99;
	const char *err, *show;
	char *copy;

	show = esc(c->in, len);
	memset(out, 'x', sizeof(out));
	err = addr_canon(c->in, len, out, sizeof(out), &outlen);
	tap_str(err, c->err, "error for \"%s\"", show);
	tap_str(out, c->key ? c->key : "", "key for \"%s\"", show);
	tap_int((long long)outlen, c->key ? (long long)strlen(c->key) : 0,
	    "outlen for \"%s\"", show);

	/* The same bytes with nothing readable after them. */
	copy = exact_copy(c->in, len);
	memset(out, 'x', sizeof(out));
	err = addr_canon(copy, len, out, sizeof(out), &outlen);
	tap_ok(((err == NULL && c->err == NULL) ||
	    (err != NULL && c->err != NULL && strcmp(err, c->err) == 0)) &&
	    strcmp(out, c->key ? c->key : "") == 0,
	    "exact-length buffer gives the same answer for \"%s\"", show);
	free(copy);

	if (c->key == NULL)
		return;
	/* Output exactly as large as needed, then one byte too small. */
	len = c->len ? c->len : strlen(c->in);
	err = addr_canon(c->in, len, small, strlen(c->key) + 1, &outlen);
	tap_ok(err == NULL && strcmp(small, c->key) == 0,
	    "exact output size for \"%s\"", show);
	if (strlen(c->key) == 0)
		return;
	memset(small, 'x', sizeof(small));
	outlen = 99;
	err = addr_canon(c->in, len, small, strlen(c->key), &outlen);
	tap_ok(err != NULL && strcmp(err, "output buffer too small") == 0 &&
	    small[0] == '\0' && outlen == 0,
	    "output one byte short fails cleanly for \"%s\"", show);
}

static void
run_same(void)
{
	char want[ADDR_KEY_MAX], got[ADDR_KEY_MAX];
	size_t g, i, n;
	const char *err;

	for (g = 0; g < sizeof(same) / sizeof(same[0]); g++) {
		err = addr_canon(same[g][0], strlen(same[g][0]), want,
		    sizeof(want), &n);
		tap_str(err, NULL, "group %zu reference parses", g);
		for (i = 1; same[g][i] != NULL; i++) {
			err = addr_canon(same[g][i], strlen(same[g][i]), got,
			    sizeof(got), &n);
			tap_ok(err == NULL && strcmp(got, want) == 0,
			    "\"%s\" gives the key of \"%s\" (%s)", same[g][i],
			    same[g][0], err ? err : got);
		}
	}
}

/* "L@D" with an l-octet local part and a domain of labels of lab octets. */
static void
build(char *buf, size_t l, size_t dlen, size_t lab)
{
	size_t i, n = 0, k;

	for (i = 0; i < l; i++)
		buf[n++] = 'a';
	buf[n++] = '@';
	for (i = 0, k = 0; i < dlen; i++) {
		if (k == lab) {
			buf[n++] = '.';
			k = 0;
			continue;
		}
		buf[n++] = (char)('b' + (i % 20));
		k++;
	}
	buf[n] = '\0';
}

static void
check_len(size_t l, size_t dlen, size_t lab, const char *wanterr,
    const char *what)
{
	char in[512], out[ADDR_KEY_MAX];
	const char *err;
	char *copy;
	size_t n;

	build(in, l, dlen, lab);
	copy = exact_copy(in, strlen(in));
	err = addr_canon(copy, strlen(in), out, sizeof(out), &n);
	tap_str(err, wanterr, "%s", what);
	if (wanterr == NULL)
		tap_str(out, in, "%s: key", what);
	free(copy);
}

static void
run_caps(void)
{
	char out[ADDR_KEY_MAX], local_too_long[64];
	const char *err;
	size_t n;

	snprintf(local_too_long, sizeof(local_too_long),
	    "local part longer than %d octets", ADDR_LOCAL_MAX);
	check_len(ADDR_LOCAL_MAX, 11, 63, NULL, "longest local part");
	check_len(ADDR_LOCAL_MAX + 1, 11, 63, local_too_long,
	    "local part one octet too long");
	check_len(65, 11, 63, NULL, "65-octet local part (over RFC 5321's "
	    "64, as VERP addresses are) is accepted");
	check_len(3, 63, 63, NULL, "63-octet label");
	check_len(3, 64, 64, "domain label longer than 63 octets",
	    "64-octet label");
	check_len(3, ADDR_DOMAIN_MAX, 62, NULL, "255-octet domain");
	check_len(3, ADDR_DOMAIN_MAX + 1, 62, "domain longer than 255 octets",
	    "256-octet domain");
	check_len(3, ADDR_DOMAIN_MAX + 40, 62, "domain longer than 255 octets",
	    "295-octet domain");

	/* 255 octets plus the trailing dot that is removed. */
	{
		char big[300];

		build(big, 3, ADDR_DOMAIN_MAX, 62);
		strcat(big, ".");
		err = addr_canon(big, strlen(big), out, sizeof(out), &n);
		tap_ok(err == NULL && n == 3 + 1 + ADDR_DOMAIN_MAX,
		    "255-octet domain with trailing dot (%s)", err ? err : "ok");
	}

	/* The cap counts unescaped octets: escaped letters fit. */
	{
		char q[2 * ADDR_LOCAL_MAX + 32];
		size_t i, k = 0;

		q[k++] = '"';
		for (i = 0; i < ADDR_LOCAL_MAX; i++) {
			q[k++] = '\\';
			q[k++] = 'a';
		}
		memcpy(q + k, "\"@x", 4);
		err = addr_canon(q, strlen(q), out, sizeof(out), &n);
		tap_ok(err == NULL && n == ADDR_LOCAL_MAX + 2,
		    "escaped octets count once (%s)",
		    err ? err : out);

		/* The longest key: octets that all need escaping. */
		k = 0;
		q[k++] = '"';
		for (i = 0; i < ADDR_LOCAL_MAX; i++) {
			q[k++] = '\\';
			q[k++] = '"';
		}
		memcpy(q + k, "\"@x", 4);
		err = addr_canon(q, strlen(q), out, sizeof(out), &n);
		tap_ok(err == NULL && n == 2 * ADDR_LOCAL_MAX + 2 + 2,
		    "%d quotes make a %zu-octet key", ADDR_LOCAL_MAX, n);
	}

	/* The longest quoted local part of spaces; one more is refused. */
	{
		char q[ADDR_LOCAL_MAX + 16];

		q[0] = '"';
		memset(q + 1, ' ', ADDR_LOCAL_MAX + 1);
		memcpy(q + 2 + ADDR_LOCAL_MAX, "\"@x", 4);
		err = addr_canon(q, strlen(q), out, sizeof(out), &n);
		tap_str(err, local_too_long, "one quoted space too many");
		err = addr_canon(q + 1, strlen(q + 1), out, sizeof(out), &n);
		tap_str(err, "unterminated quoted string",
		    "the spaces are trimmed, leaving '\"@x'");
		q[ADDR_LOCAL_MAX + 1] = '"';
		memcpy(q + ADDR_LOCAL_MAX + 2, "@x", 3);
		err = addr_canon(q, strlen(q), out, sizeof(out), &n);
		tap_ok(err == NULL && n == ADDR_LOCAL_MAX + 4,
		    "the longest run of quoted spaces fits (%s)",
		    err ? err : out);
	}
}

static void
run_misc(void)
{
	char out[ADDR_KEY_MAX];
	const char *in = "alice@example.comGARBAGE";
	const char *err;
	size_t n;

	/* Only len bytes are read: what follows them is not part of it. */
	err = addr_canon(in, 17, out, sizeof(out), &n);
	tap_ok(err == NULL && strcmp(out, "alice@example.com") == 0 && n == 17,
	    "bytes after len are ignored");
	err = addr_canon("<alice@example.com>", 18, out, sizeof(out), &n);
	tap_str(err, "missing closing '>'", "len cuts the closing bracket");
	err = addr_canon("alice@x", 7, out, sizeof(out), NULL);
	tap_ok(err == NULL && strcmp(out, "alice@x") == 0,
	    "outlen may be NULL");
	err = addr_canon(NULL, 0, out, sizeof(out), &n);
	tap_ok(err == NULL && out[0] == '\0' && n == 0,
	    "NULL buffer of length 0 is the null sender");
	err = addr_canon("alice@x", 7, out, 0, &n);
	tap_str(err, "output buffer too small", "outsize 0");
	err = addr_canon("<>", 2, out, 1, &n);
	tap_ok(err == NULL && out[0] == '\0' && n == 0,
	    "null sender fits in one byte");

	tap_str(addr_domain("alice@example.com"), "example.com",
	    "addr_domain plain");
	tap_str(addr_domain("\"a@b\"@example.com"), "example.com",
	    "addr_domain with '@' in the quoted local part");
	tap_str(addr_domain("alice@[ipv6:2001:db8::1]"), "[ipv6:2001:db8::1]",
	    "addr_domain literal");
	tap_str(addr_domain(""), "", "addr_domain null sender");
	tap_str(addr_domain(NULL), "", "addr_domain NULL");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < NCASES; i++)
		run_case(&cases[i]);
	run_same();
	run_caps();
	run_misc();
	return tap_done();
}
