/*
 * test_cidr.c - table-driven tests of the CIDR list parser and matcher.
 *
 * Table one: a list text, the error it must give (NULL: none) and how many
 * entries the list holds afterwards; each is parsed from a heap copy of
 * exactly its length (no NUL after it, so AddressSanitizer catches a read
 * past len).  Table two: a list, a client address as text, and whether it
 * must match; the same address is also matched as a struct sockaddr.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "base/cidr.h"
#include "base/mem.h"
#include "tap.h"

struct parse_case {
	const char	*in;
	const char	*err;	/* NULL: must succeed */
	size_t		 count;	/* entries after the call */
};

static const struct parse_case parse_cases[] = {
	{ "", NULL, 0 },
	{ " ,\t,\n ", NULL, 0 },
	{ "127.0.0.0/8, ::1", NULL, 2 },
	{ "127.0.0.0/8,::1 10.0.0.0/8\t192.168.0.0/16", NULL, 4 },
	{ "192.0.2.7", NULL, 1 },
	{ "0.0.0.0/0", NULL, 1 },
	{ "::/0", NULL, 1 },
	{ "2001:db8::/32", NULL, 1 },
	{ "2001:DB8::/32", NULL, 1 },
	{ "192.0.2.128/25", NULL, 1 },
	{ "192.0.2.1/32", NULL, 1 },
	{ "2001:db8::1/128", NULL, 1 },
	{ "::ffff:10.0.0.0/104", NULL, 1 },
	{ "10.0.0.0/08", NULL, 1 },
	{ "10.0.0.1/8", "host bits set in 10.0.0.1/8", 0 },
	{ "192.0.2.129/25", "host bits set in 192.0.2.129/25", 0 },
	{ "2001:db8::1/32", "host bits set in 2001:db8::1/32", 0 },
	{ "10.0.0.0/8, 10.0.0.1/8, 11.0.0.0/8", "host bits set in 10.0.0.1/8",
	    1 },
	{ "10.0.0.0/33", "prefix length out of range in 10.0.0.0/33", 0 },
	{ "::/129", "prefix length out of range in ::/129", 0 },
	{ "10.0.0.0/", "missing prefix length in 10.0.0.0/", 0 },
	{ "10.0.0.0/8x", "malformed prefix length in 10.0.0.0/8x", 0 },
	{ "10.0.0.0/-8", "malformed prefix length in 10.0.0.0/-8", 0 },
	{ "10.0.0.0/0008", "malformed prefix length in 10.0.0.0/0008", 0 },
	{ "10.0.0.0/8/8", "malformed prefix length in 10.0.0.0/8/8", 0 },
	{ "10.0.0.x", "malformed address in 10.0.0.x", 0 },
	{ "10.0.0", "malformed address in 10.0.0", 0 },
	{ "256.0.0.0/8", "malformed address in 256.0.0.0/8", 0 },
	{ "/8", "malformed address in /8", 0 },
	{ "2001:db8:::1", "malformed address in 2001:db8:::1", 0 },
	{ "fe80::1%eth0", "malformed address in fe80::1%eth0", 0 },
	{ "localhost", "malformed address in localhost", 0 },
	{ "10.0.0.0;8", "malformed address in 10.0.0.0;8", 0 },
	{ "1.2.3.4\x01", "malformed address in 1.2.3.4?", 0 },
	{ "::1, [::1]", "malformed address in [::1]", 1 },
	{ "1111111111111111111111111111111111111111111111111111111111111111"
	    "1",
	    "over-long network in " "1111111111111111111111111111111111111111"
	    "11111111" "...", 0 },
};

struct match_case {
	const char	*list;
	const char	*addr;
	int		 match;
};

static const struct match_case match_cases[] = {
	{ "127.0.0.0/8, ::1", "127.0.0.1", 1 },
	{ "127.0.0.0/8, ::1", "127.255.255.255", 1 },
	{ "127.0.0.0/8, ::1", "128.0.0.1", 0 },
	{ "127.0.0.0/8, ::1", "::1", 1 },
	{ "127.0.0.0/8, ::1", "::2", 0 },
	{ "127.0.0.0/8, ::1", "::ffff:127.0.0.1", 1 },
	{ "127.0.0.0/8, ::1", "::ffff:128.0.0.1", 0 },
	{ "192.0.2.128/25", "192.0.2.128", 1 },
	{ "192.0.2.128/25", "192.0.2.255", 1 },
	{ "192.0.2.128/25", "192.0.2.127", 0 },
	{ "192.0.2.7", "192.0.2.7", 1 },
	{ "192.0.2.7", "192.0.2.6", 0 },
	{ "0.0.0.0/0", "203.0.113.9", 1 },
	{ "0.0.0.0/0", "2001:db8::1", 0 },
	{ "::/0", "2001:db8::1", 1 },
	{ "::/0", "203.0.113.9", 0 },
	{ "::/0", "::ffff:203.0.113.9", 0 },
	{ "2001:db8::/32", "2001:db8:ffff::1", 1 },
	{ "2001:db8::/32", "2001:db9::1", 0 },
	{ "2001:db8::/33", "2001:db8:7fff::1", 1 },
	{ "2001:db8::/33", "2001:db8:8000::1", 0 },
	{ "::ffff:10.0.0.0/104", "10.1.2.3", 1 },
	{ "::ffff:10.0.0.0/104", "::ffff:10.1.2.3", 1 },
	{ "::ffff:10.0.0.0/104", "11.1.2.3", 0 },
	{ "10.0.0.0/8", "::a00:1", 0 },		/* IPv4-compatible: not mapped */
	{ "", "127.0.0.1", 0 },
	{ "127.0.0.0/8", "", 0 },
	{ "127.0.0.0/8", "127.0.0.1 ", 0 },
	{ "127.0.0.0/8", "127.0.0.x", 0 },
	{ "127.0.0.0/8", "127.0.0.0/8", 0 },
};

/* s as printable ASCII for a TAP line. */
static const char *
esc(const char *s)
{
	static char buf[512];
	size_t n = 0;

	for (; *s != '\0' && n < sizeof(buf) - 5; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f)
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "\\x%02x", c);
	}
	buf[n] = '\0';
	return buf;
}

static char *
exact_copy(const char *s, size_t len)
{
	char *p = mem_alloc(len);

	memcpy(p, s, len);
	return p;
}

static void
run_parse(const struct parse_case *c)
{
	CIDR_LIST *l = cidr_list_create();
	size_t len = strlen(c->in);
	char *copy = exact_copy(c->in, len);
	const char *err;

	err = cidr_list_parse(l, copy, len);
	tap_str(err, c->err, "parse \"%s\"", esc(c->in));
	tap_int((long long)cidr_list_count(l), (long long)c->count,
	    "entries kept from \"%s\"", esc(c->in));
	cidr_list_free(l);
	free(copy);
}

/* The address as a struct sockaddr of its own family. */
static int
match_sa(const CIDR_LIST *l, const char *text, int *ok)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	*ok = 1;
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, text, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		return cidr_list_match_sa(l, (struct sockaddr *)&sin);
	}
	if (inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		return cidr_list_match_sa(l, (struct sockaddr *)&sin6);
	}
	*ok = 0;
	return 0;
}

static void
run_match(const struct match_case *c)
{
	CIDR_LIST *l = cidr_list_create();
	size_t len = strlen(c->addr);
	char *copy = exact_copy(c->addr, len);
	const char *err;
	int got, ok;

	err = cidr_list_parse(l, c->list, strlen(c->list));
	tap_str(err, NULL, "list \"%s\" parses", c->list);
	tap_int(cidr_list_match_text(l, copy, len), c->match,
	    "\"%s\" %s \"%s\" (text)", c->addr, c->match ? "in" : "not in",
	    c->list);
	got = match_sa(l, c->addr, &ok);
	if (ok)
		tap_int(got, c->match, "\"%s\" %s \"%s\" (sockaddr)", c->addr,
		    c->match ? "in" : "not in", c->list);
	cidr_list_free(l);
	free(copy);
}

static void
run_misc(void)
{
	CIDR_LIST *l = cidr_list_create();
	struct sockaddr_un su;
	const char *err;
	char *copy;
	int i;

	/* cidr_list_add() leaves the list unchanged on error. */
	tap_str(cidr_list_add(l, "10.0.0.0/8", 10), NULL, "add 10.0.0.0/8");
	tap_str(cidr_list_add(l, "10.0.0.0/8 ", 11),
	    "malformed prefix length in 10.0.0.0/8 ", "add with a space");
	tap_str(cidr_list_add(l, "", 0), "empty network", "add empty");
	tap_int((long long)cidr_list_count(l), 1, "failed adds added nothing");

	/* Only len bytes are read. */
	tap_str(cidr_list_add(l, "192.0.2.0/24garbage", 12), NULL,
	    "add reads only len bytes");
	tap_int(cidr_list_match_text(l, "192.0.2.9", 9), 1,
	    "192.0.2.9 matches after the cut add");
	tap_int(cidr_list_match_text(l, "10.0.0.1xx", 8), 1,
	    "match_text reads only len bytes");
	tap_int(cidr_list_match_text(l, "10.0.0.1\0", 9), 0,
	    "a NUL inside len does not match");
	tap_str(cidr_list_add(l, "10.0.0.0\0/8", 11),
	    "malformed address in 10.0.0.0?/8", "a NUL inside a token");

	/* Growth well past the first allocation. */
	for (i = 0; i < 100; i++) {
		char net[32];
		int n = snprintf(net, sizeof(net), "172.16.%d.0/24", i);

		copy = exact_copy(net, (size_t)n);
		err = cidr_list_add(l, copy, (size_t)n);
		free(copy);
		if (err != NULL)
			break;
	}
	tap_int(i, 100, "100 more networks added");
	tap_int((long long)cidr_list_count(l), 102, "count after growth");
	tap_int(cidr_list_match_text(l, "172.16.99.1", 11), 1,
	    "last of the grown entries matches");
	tap_int(cidr_list_match_text(l, "172.16.100.1", 12), 0,
	    "one beyond does not");

	/* Non-IP sockets and NULLs never match. */
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	tap_int(cidr_list_match_sa(l, (struct sockaddr *)&su), 0,
	    "AF_UNIX does not match");
	tap_int(cidr_list_match_sa(l, NULL), 0, "NULL sockaddr");
	tap_int(cidr_list_match_text(l, NULL, 0), 0, "NULL text");
	tap_int(cidr_list_match_text(NULL, "10.0.0.1", 8), 0, "NULL list");
	tap_int((long long)cidr_list_count(NULL), 0, "count of NULL list");
	cidr_list_free(l);
	cidr_list_free(NULL);
	tap_ok(1, "cidr_list_free(NULL) is harmless");

	/* The error text outlives the list it was about. */
	l = cidr_list_create();
	err = cidr_list_parse(l, "10.0.0.1/8", 10);
	cidr_list_free(l);
	tap_str(err, "host bits set in 10.0.0.1/8",
	    "error text valid after cidr_list_free()");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
		run_parse(&parse_cases[i]);
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++)
		run_match(&match_cases[i]);
	run_misc();
	return tap_done();
}
