/*
 * test_fromhdr.c - unit tests for policy/dkim/fromhdr.c: a table of From:
 * field bodies, the canonical address each must give or its error.  Each
 * input is also fed from an exact-length heap buffer (no NUL).
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/fromhdr.h"
#include "tap.h"

static const struct {
	const char	*in, *want, *err;
} cases[] = {
	{ "alice@example.com", "alice@example.com", NULL },
	{ " Alice@Example.COM ", "alice@example.com", NULL },
	{ "Alice <alice@example.com>", "alice@example.com", NULL },
	{ "\"Alice Smith\" <Alice@Example.com>", "alice@example.com", NULL },
	{ "\"Smith, Alice\" <alice@example.com>", "alice@example.com", NULL },
	{ "\"a <b@c.d>\" <alice@example.com>", "alice@example.com", NULL },
	{ "alice@example.com (Alice <x@y.z>)", "alice@example.com", NULL },
	{ "(comment) alice@example.com", "alice@example.com", NULL },
	{ "Alice (the (nested) one) <alice@example.com>", "alice@example.com",
	    NULL },
	{ "Alice\r\n <alice@example.com>", "alice@example.com", NULL },
	{ "Alice <alice\r\n\t@example.com>", "alice@example.com", NULL },
	{ "alice@example.com, bob@example.org", "alice@example.com", NULL },
	{ "Alice <alice@example.com>, Bob <bob@example.org>",
	    "alice@example.com", NULL },
	{ "Team: alice@example.com, bob@example.org;", "alice@example.com",
	    NULL },
	{ "Team: Alice <alice@example.com>;", "alice@example.com", NULL },
	{ "<\"alice\"@example.com>", "alice@example.com", NULL },
	{ "<\"a b\"@example.com>", "\"a b\"@example.com", NULL },
	{ "=?utf-8?q?Al=C3=AFce?= <alice@example.com>", "alice@example.com",
	    NULL },
	{ "Ålice <ålice@exämple.com>", "ålice@exämple.com", NULL },
	{ "", NULL, "no address in From" },
	{ "   ", NULL, "no address in From" },
	{ "(only a comment)", NULL, "no address in From" },
	{ "Undisclosed recipients:;", NULL, "no address in From" },
	{ "Alice <alice@example.com", NULL, "unterminated '<' in From" },
	{ "Alice", NULL, "missing '@'" },
	{ "<>", NULL, "no address in From" },
};

int
main(void)
{
	char out[512];
	const char *err;
	size_t i, n, len;
	char *copy;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].in);
		copy = malloc(len ? len : 1);
		memcpy(copy, cases[i].in, len);
		err = fromhdr_address(copy, len, out, sizeof(out), &n);
		free(copy);
		if (cases[i].err != NULL) {
			tap_str(err, cases[i].err, "error for \"%s\"",
			    cases[i].in);
			continue;
		}
		tap_str(err, NULL, "no error for \"%s\"", cases[i].in);
		tap_str(out, cases[i].want ? cases[i].want : "",
		    "address of \"%s\"", cases[i].in);
	}
	/* A field longer than FROMHDR_MAX: the first mailbox still counts. */
	{
		size_t big = FROMHDR_MAX * 2;
		char *v = malloc(big);

		memset(v, ' ', big);
		memcpy(v, "a@b.example, ", 13);
		err = fromhdr_address(v, big, out, sizeof(out), &n);
		tap_ok(err == NULL && strcmp(out, "a@b.example") == 0,
		    "a 16 KB field: first mailbox found (%s)", err ? err : out);
		memset(v, 'x', big);
		err = fromhdr_address(v, big, out, sizeof(out), &n);
		tap_ok(err != NULL, "16 KB of garbage: an error, no crash (%s)",
		    err ? err : "none");
		free(v);
	}
	return tap_done();
}
