/*
 * test_dkimtable_sign.c - table-driven tests of the OpenDKIM SigningTable
 * parser, of SigningTable lookups, and of the check of a SigningTable
 * against a KeyTable.
 *
 * Every parser input and every looked-up address is handed over as a heap
 * copy of exactly its length (no NUL after it), so AddressSanitizer
 * catches a read past len.  The tables:
 *	- SigningTable texts, file: and refile:, with the error text each
 *	  must give (every line number exact) or the number of rules;
 *	- lookups: SigningTables written as opendkim.conf(5) documents them,
 *	  an address, MultipleSignatures off or on, and the matches in
 *	  order ("keyname" or "keyname=signer", space-separated).
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/dkimtable.h"
#include "dkimtable_test.h"
#include "base/mem.h"
#include "tap.h"

/* ---- SigningTable parsing ----------------------------------------- */

struct sign_case {
	const char	*in;
	int		 refile;
	const char	*err;	/* NULL: must parse */
	size_t		 count;
};

static const struct sign_case sign_cases[] = {
	{ "", 0, NULL, 0 },
	{ "", 1, NULL, 0 },
	{ "# comment\n\n\t\n", 1, NULL, 0 },
	{ "*@example.com k", 1, NULL, 1 },
	{ "*@example.com\tk # a comment\r\n", 1, NULL, 1 },
	{ "*@example.com k:user@example.com\n", 1, NULL, 1 },
	{ "*@example.com k:\n", 1, NULL, 1 },
	{ "*@example.com %:@%\n", 1, NULL, 1 },
	{ "*@example.com k:%%%@%\n", 1, NULL, 1 },
	{ "*@example.com k\n*@example.com k2\n*@example.com k\n", 1, NULL, 3 },
	{ "* k\n", 1, NULL, 1 },
	{ "a.b+c@example.com k\n", 1, NULL, 1 },
	{ "a?b@x.com k\n", 0, NULL, 1 },
	{ "user@* k\n* k2\nuser@.example.com k3\n.example.com k4\n", 0, NULL,
	    4 },
	{ "a*b@example.com k\n", 0, NULL, 1 },
	{ "  example.com k\n", 0, NULL, 1 },
	{ "example.com k\nexample.net k\n", 0, NULL, 2 },
	{ "*@example.com k", 0, "st:1: pattern \"*@example.com\": a file: "
	    "table has no wildcards (use refile:)", 0 },
	{ "*.example.com k", 0, "st:1: pattern \"*.example.com\": a file: "
	    "table has no wildcards (use refile:)", 0 },
	{ "*@* k", 0, "st:1: pattern \"*@*\": a file: table has no "
	    "wildcards (use refile:)", 0 },
	{ "user@*.com k", 0, "st:1: pattern \"user@*.com\": a file: table "
	    "has no wildcards (use refile:)", 0 },
	{ "  *@example.com k", 1, "st:1: line begins with white space (a "
	    "refile: pattern runs from the start of the line)", 0 },
	{ "\t*@example.com k", 1, "st:1: line begins with white space (a "
	    "refile: pattern runs from the start of the line)", 0 },
	{ "*@example.com", 1, "st:1: expected PATTERN KEYNAME[:SIGNER]", 0 },
	{ "example.com # k", 0, "st:1: expected PATTERN KEYNAME[:SIGNER]", 0 },
	{ "*@example.com k signer@example.com", 1, "st:1: white space in "
	    "value \"k signer@example.com\" (a signer follows the key name "
	    "after ':')", 0 },
	{ "*@example.com :user@example.com", 1, "st:1: empty key name", 0 },
	{ "*@example.com k:nobody", 1, "st:1: signer \"nobody\" is not an "
	    "address (expected local@domain or @domain)", 0 },
	{ "*@example.com k:%", 1, "st:1: signer \"%\" is not an address "
	    "(expected local@domain or @domain)", 0 },
	{ "*@example.com k:a@b\x01", 1, "st:1: bad character in signer "
	    "\"a@b?\"", 0 },
	{ "*@example.com k:%%%%@%", 1, "st:1: signer \"%%%%@%\" could be "
	    "longer than 1024 octets once '%' is replaced", 0 },
	{ "*@example.com k\x01", 1, "st:1: bad character in key name \"k?\"",
	    0 },
	{ "*@example.com k\xc3\xa9", 1, "st:1: bad character in key name "
	    "\"k??\"", 0 },
	{ "*@ex\x01mple.com k", 1, "st:1: bad character in pattern "
	    "\"*@ex?mple.com\"", 0 },
	{ "*@(a|b).com k", 1, "st:1: pattern \"*@(a|b).com\" has '(', which "
	    "OpenDKIM reads as a regular expression: only '*' is a "
	    "wildcard", 0 },
	{ "a?b@x.com k", 1, "st:1: pattern \"a?b@x.com\" has '?', which "
	    "OpenDKIM reads as a regular expression: only '*' is a "
	    "wildcard", 0 },
	{ "[a-z]*@x.com k", 1, "st:1: pattern \"[a-z]*@x.com\" has '[', "
	    "which OpenDKIM reads as a regular expression: only '*' is a "
	    "wildcard", 0 },
	{ "^*@x.com$ k", 1, "st:1: pattern \"^*@x.com$\" has '^', which "
	    "OpenDKIM reads as a regular expression: only '*' is a "
	    "wildcard", 0 },
	{ "example.com a\nEXAMPLE.com b\n", 0, "st:2: duplicate pattern "
	    "\"EXAMPLE.com\" (first on line 1; a file: table uses the first "
	    "only)", 0 },
	{ "example.com rsa\n# dual signing needs refile:\n"
	    "example.net x\nexample.com ed\nexample.com ed2\n", 0,
	    "st:4: duplicate pattern \"example.com\" (first on line 1; a "
	    "file: table uses the first only)\n"
	    "st:5: duplicate pattern \"example.com\" (first on line 1; a "
	    "file: table uses the first only)", 0 },
	{ "*@example.com k\n\nbad\n*@x.com k:nobody\n  *@y.com k\n"
	    "*@z.com k\n", 1,
	    "st:3: expected PATTERN KEYNAME[:SIGNER]\n"
	    "st:4: signer \"nobody\" is not an address (expected local@domain"
	    " or @domain)\n"
	    "st:5: line begins with white space (a refile: pattern runs from "
	    "the start of the line)", 0 },
};

static void
run_sign(const struct sign_case *c)
{
	size_t len = strlen(c->in);
	char *errors = unset;
	DKIMTABLE_SIGN *t = sign_parse(c->in, len, c->refile, &errors);
	const char *type = c->refile ? "refile:" : "file:";

	tap_str(errors, c->err, "%s SigningTable \"%s\"", type,
	    esc(c->in, len));
	tap_int(t != NULL, c->err == NULL, "%s SigningTable \"%s\" %s", type,
	    esc(c->in, len), c->err == NULL ? "parsed" : "refused");
	tap_int((long long)dkimtable_sign_count(t), (long long)c->count,
	    "%s SigningTable \"%s\" count", type, esc(c->in, len));
	if (t != NULL)
		tap_int(dkimtable_sign_is_refile(t), c->refile,
		    "%s SigningTable type kept", type);
	errors_free(errors);
	dkimtable_sign_free(t);
}

static void
run_rules(void)
{
	static const char text[] =
	    "# refile:\n"
	    "president@example.com\tpres.example.com:president@example.com\n"
	    "*@example.com rsa.example.com\n"
	    "\n"
	    "*@*.example.com   sub:@%   # any subdomain\n";
	char *errors = NULL;
	DKIMTABLE_SIGN *t = sign_parse(text, sizeof(text) - 1, 1, &errors);
	const DKIMTABLE_RULE *r;

	tap_str(errors, NULL, "rules table parses");
	free(errors);
	errors = NULL;
	tap_int((long long)dkimtable_sign_count(t), 3, "rules count");
	r = dkimtable_sign_rule(t, 0);
	tap_str(r ? r->pattern : NULL, "president@example.com", "rule 0 "
	    "pattern");
	tap_str(r ? r->keyname : NULL, "pres.example.com", "rule 0 key");
	tap_str(r ? r->signer : NULL, "president@example.com", "rule 0 "
	    "signer");
	tap_int(r ? (long long)r->line : 0, 2, "rule 0 line");
	r = dkimtable_sign_rule(t, 1);
	tap_str(r ? r->pattern : NULL, "*@example.com", "rule 1 pattern");
	tap_str(r ? r->signer : NULL, NULL, "rule 1 has no signer");
	tap_int(r ? (long long)r->line : 0, 3, "rule 1 line");
	r = dkimtable_sign_rule(t, 2);
	tap_str(r ? r->pattern : NULL, "*@*.example.com", "rule 2 pattern");
	tap_str(r ? r->keyname : NULL, "sub", "rule 2 key");
	tap_str(r ? r->signer : NULL, "@%", "rule 2 signer");
	tap_int(r ? (long long)r->line : 0, 5, "rule 2 line");
	tap_ok(dkimtable_sign_rule(t, 3) == NULL, "rule 3 is none");
	dkimtable_sign_free(t);

	/* "k:" is a key with an empty signer: none, as OpenDKIM */
	t = sign_parse("*@x.com k:", 10, 1, NULL);
	r = dkimtable_sign_rule(t, 0);
	tap_str(r ? r->signer : NULL, NULL, "\"k:\" has no signer");
	dkimtable_sign_free(t);
}

/* ---- lookups ------------------------------------------------------ */

/* refile: dual signing, a subdomain wildcard, '%' in key and signer */
static const char st_refile[] =
	"# refile:/etc/opendkim/signing.table\n"			/* 1 */
	"president@example.com\tpres.example.com:president@example.com\n"
	"*@example.com\t\trsa.example.com\n"				/* 3 */
	"*@example.com\t\ted.example.com\n"				/* 4 */
	"*@*.example.com\t\tsub.example.com:@%\n"			/* 5 */
	"*@EXAMPLE.NET\t\texample.net:postmaster@%\n"			/* 6 */
	"*@example.org\t\t%\n";						/* 7 */

/* refile: a catch-all, and one key matched twice */
static const char st_catchall[] =
	"*@example.com\trsa.example.com\n"				/* 1 */
	"*\t\tdefault\n"						/* 2 */
	"*@*.com\t\trsa.example.com   # again: reported once\n"	/* 3 */
	"*\t\ted.example.com\n";					/* 4 */

/* file: the lookup sequence of opendkim.conf(5) */
static const char st_file[] =
	"# file:/etc/opendkim/signing.table\n"				/* 1 */
	"alice@sub.example.com\talice-key\n"				/* 2 */
	"sub.example.com\t\tsub.example.com\n"				/* 3 */
	"bob@.example.com\tbob-key:bob@%\n"				/* 4 */
	".example.com\t\trsa.example.com\n"				/* 5 */
	"carol@.com\t\tcarol-key\n"					/* 6 */
	".com\t\t\tcom-key\n"						/* 7 */
	"dave@*\t\t\tdave-key\n"					/* 8 */
	"*\t\t\tdefault\n"						/* 9 */
	"example.net\t\t%:@%\n"						/* 10 */
	"Erin@Example.ORG\terin-key\n";					/* 11 */

/* file: no catch-all */
static const char st_small[] =
	"example.com\trsa.example.com\n"
	"example.com.\tnever   # a trailing dot is never looked up\n";

struct lookup_case {
	const char	*table;
	int		 refile;
	const char	*addr;
	int		 multiple;
	const char	*want;	/* "key" or "key=signer", space-separated */
};

static const struct lookup_case lookup_cases[] = {
	/* dual signing: MultipleSignatures off, then on */
	{ st_refile, 1, "alice@example.com", 0, "rsa.example.com" },
	{ st_refile, 1, "alice@example.com", 1,
	    "rsa.example.com ed.example.com" },
	{ st_refile, 1, "president@example.com", 0,
	    "pres.example.com=president@example.com" },
	{ st_refile, 1, "president@example.com", 1,
	    "pres.example.com=president@example.com rsa.example.com "
	    "ed.example.com" },
	{ st_refile, 1, "bob@mail.example.com", 0,
	    "sub.example.com=@mail.example.com" },
	{ st_refile, 1, "bob@a.b.example.com", 1,
	    "sub.example.com=@a.b.example.com" },
	{ st_refile, 1, "bob@notexample.com", 1, "" },
	{ st_refile, 1, "bob@example.com.evil", 1, "" },
	{ st_refile, 1, "bob@sub.example.co", 1, "" },
	{ st_refile, 1, "carol@example.net", 1,
	    "example.net=postmaster@example.net" },
	{ st_refile, 1, "dave@example.org", 0, "example.org" },
	{ st_refile, 1, "eve@example.co", 1, "" },
	{ st_refile, 1, "\"a b\"@example.com", 0, "rsa.example.com" },
	{ st_catchall, 1, "x@example.com", 0, "rsa.example.com" },
	{ st_catchall, 1, "x@example.com", 1,
	    "rsa.example.com default ed.example.com" },
	{ st_catchall, 1, "x@other.org", 0, "default" },
	{ st_catchall, 1, "x@other.org", 1, "default ed.example.com" },
	{ st_catchall, 1, "x@other.com", 1,
	    "default rsa.example.com ed.example.com" },
	/* file: full address, host, user@.parents, .parents, user@*, * */
	{ st_file, 0, "alice@sub.example.com", 0, "alice-key" },
	{ st_file, 0, "alice@sub.example.com", 1,
	    "alice-key sub.example.com rsa.example.com com-key default" },
	{ st_file, 0, "bob@sub.example.com", 0, "sub.example.com" },
	{ st_file, 0, "bob@sub.example.com", 1,
	    "sub.example.com bob-key=bob@sub.example.com rsa.example.com "
	    "com-key default" },
	{ st_file, 0, "bob@x.y.example.com", 0, "bob-key=bob@x.y.example.com" },
	{ st_file, 0, "zed@x.y.example.com", 0, "rsa.example.com" },
	/* every user@.parent comes before every .parent (the manual's order) */
	{ st_file, 0, "carol@deep.sub.example.com", 0, "carol-key" },
	{ st_file, 0, "carol@deep.sub.example.com", 1,
	    "carol-key rsa.example.com com-key default" },
	{ st_file, 0, "zed@example.com", 0, "com-key" },
	{ st_file, 0, "dave@elsewhere.org", 0, "dave-key" },
	{ st_file, 0, "dave@elsewhere.org", 1, "dave-key default" },
	{ st_file, 0, "zed@elsewhere.org", 0, "default" },
	{ st_file, 0, "zed@elsewhere.org", 1, "default" },
	{ st_file, 0, "x@example.net", 0, "example.net=@example.net" },
	{ st_file, 0, "x@example.net", 1, "example.net=@example.net default" },
	{ st_file, 0, "erin@example.org", 1, "erin-key default" },
	{ st_file, 0, "x@[192.0.2.1]", 1, "default" },
	{ st_file, 0, "x@com", 1, "default" },
	{ st_small, 0, "a@example.com", 1, "rsa.example.com" },
	{ st_small, 0, "a@mail.example.com", 1, "" },
	{ st_small, 0, "a@example.org", 1, "" },
	{ st_small, 0, "example.com", 1, "" },		/* no '@' */
	{ st_small, 0, "@example.com", 1, "" },
	{ st_small, 0, "a@", 1, "" },
	{ st_small, 0, "", 1, "" },			/* null sender */
};

/* The matches as "key[=signer]" separated by spaces. */
static const char *
show_matches(const DKIMTABLE_MATCH *m, size_t n)
{
	static char buf[4096];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s%s%s",
		    i > 0 ? " " : "", m[i].keyname, m[i].signer[0] ? "=" : "",
		    m[i].signer);
	return buf;
}

static void
run_lookup(const struct lookup_case *c)
{
	DKIMTABLE_MATCH m[8];
	char *errors = NULL, *copy;
	DKIMTABLE_SIGN *t;
	size_t n, len = strlen(c->addr);

	t = sign_parse(c->table, strlen(c->table), c->refile, &errors);
	if (!tap_ok(t != NULL, "lookup table parses"))
		printf("#   %s\n", errors);
	free(errors);
	copy = exact_copy(c->addr, len);
	n = dkimtable_sign_lookup(t, copy, len, c->multiple, m, 8);
	tap_str(show_matches(m, n < 8 ? n : 8), c->want,
	    "%s %s MultipleSignatures %s", c->refile ? "refile:" : "file:",
	    c->addr, c->multiple ? "yes" : "no");
	free(copy);
	dkimtable_sign_free(t);
}

static void
run_lookup_misc(void)
{
	DKIMTABLE_MATCH m[4];
	DKIMTABLE_SIGN *t;
	size_t n, i;

	t = sign_parse(st_refile, sizeof(st_refile) - 1, 1, NULL);
	/* the lines the matches came from */
	n = dkimtable_sign_lookup(t, "president@example.com", 21, 1, m, 4);
	tap_int((long long)n, 3, "three matches");
	tap_int((long long)m[0].line, 2, "first from line 2");
	tap_int((long long)m[1].line, 3, "second from line 3");
	tap_int((long long)m[2].line, 4, "third from line 4");
	/* more matches than room: the count says so, out holds the first */
	memset(m, 0, sizeof(m));
	n = dkimtable_sign_lookup(t, "president@example.com", 21, 1, m, 1);
	tap_int((long long)n, 3, "count beyond max");
	tap_str(m[0].keyname, "pres.example.com", "first kept");
	tap_str(m[1].keyname, "", "nothing written beyond max");
	n = dkimtable_sign_lookup(t, "alice@example.com", 17, 1, NULL, 0);
	tap_int((long long)n, 2, "count without out");
	/* only addrlen bytes are read */
	n = dkimtable_sign_lookup(t, "alice@example.comXYZ", 17, 0, m, 4);
	tap_int((long long)n, 1, "address cut at addrlen");
	n = dkimtable_sign_lookup(t, "alice@example.com\0", 18, 0, m, 4);
	tap_int((long long)n, 0, "a NUL in the address matches nothing");
	n = dkimtable_sign_lookup(NULL, "alice@example.com", 17, 1, m, 4);
	tap_int((long long)n, 0, "NULL table");
	n = dkimtable_sign_lookup(t, NULL, 0, 1, m, 4);
	tap_int((long long)n, 0, "NULL address");
	dkimtable_sign_free(t);

	/* '%' replaced in a signer at its longest: 4 * 255 + 4 octets */
	{
		char addr[300], want[DKIMTABLE_SIGNER_MAX + 1];
		size_t k;

		t = sign_parse("*\tk:%%%@%\n", 10, 1, NULL);
		memcpy(addr, "a@", 2);
		for (k = 0; k < 255; k++)
			addr[2 + k] = k % 4 == 3 ? '.' : 'd';
		addr[257] = 'd';	/* a 256th domain octet */
		for (k = 0, i = 0; k < 5; k++) {
			if (k == 3)
				want[i++] = '@';
			else {
				memcpy(want + i, addr + 2, 255);
				i += 255;
			}
		}
		want[i] = '\0';
		n = dkimtable_sign_lookup(t, addr, 257, 0, m, 4);
		tap_int((long long)n, 1, "longest signer found");
		tap_int((long long)strlen(m[0].signer), 4 * 255 + 1,
		    "longest signer length");
		tap_str(m[0].signer, want, "longest signer text");
		n = dkimtable_sign_lookup(t, addr, 258, 0, m, 4);
		tap_int((long long)n, 0, "a domain over 255 octets matches "
		    "nothing");
		dkimtable_sign_free(t);
	}

	/* a wildcard pattern that backtracks badly stays linear-ish */
	{
		char pat[64], addr[2100];
		size_t plen, k;

		plen = (size_t)snprintf(pat, sizeof(pat),
		    "*a*a*a*a*a*a*a*a*a*a*b k\n");
		t = sign_parse(pat, plen, 1, NULL);
		for (k = 0; k < 2000; k++)
			addr[k] = 'a';
		memcpy(addr + 2000, "@a.example", 10);
		n = dkimtable_sign_lookup(t, addr, 2010, 1, m, 4);
		tap_int((long long)n, 0, "pathological pattern: no match");
		memcpy(addr + 2000, "@b.example", 10);
		addr[2009] = 'b';
		n = dkimtable_sign_lookup(t, addr, 2010, 1, m, 4);
		tap_int((long long)n, 1, "pathological pattern: match");
		dkimtable_sign_free(t);
	}
}

/* ---- KeyTable against SigningTable -------------------------------- */

static void
run_check(void)
{
	static const char kt[] =
	    "rsa.example.com example.com:rsa:/k/rsa\n"
	    "ed.example.com  example.com:ed:/k/ed\n";
	static const char st2[] =
	    "*@example.com   rsa.example.com\n"			/* 1 */
	    "*@example.com   ed.example.com\n";			/* 2 */
	static const char st[] =
	    "*@example.com   rsa.example.com\n"			/* 1 */
	    "*@example.com   ed.example.com\n"			/* 2 */
	    "*@example.net   nokey\n"				/* 3 */
	    "*@example.org   %\n"				/* 4 */
	    "*@example.info  RSA.example.com:@%\n";		/* 5 */
	DKIMTABLE_KEYS *k;
	DKIMTABLE_SIGN *s;
	char *errors = NULL;
	size_t n;

	k = keys_parse(kt, sizeof(kt) - 1, NULL);
	s = sign_parse(st, sizeof(st) - 1, 1, NULL);
	tap_ok(k != NULL && s != NULL, "check: both tables parse");
	n = dkimtable_check(s, k, &errors);
	tap_int((long long)n, 2, "check: two unknown keys");
	tap_str(errors, "st:3: key \"nokey\" is not in the KeyTable\n"
	    "st:5: key \"RSA.example.com\" is not in the KeyTable",
	    "check: the errors");
	free(errors);
	n = dkimtable_check(s, NULL, NULL);
	tap_int((long long)n, 4, "check against no KeyTable");
	dkimtable_sign_free(s);

	s = sign_parse(st2, sizeof(st2) - 1, 1, NULL);
	errors = unset;
	n = dkimtable_check(s, k, &errors);
	tap_int((long long)n, 0, "check: all keys known");
	tap_str(errors, NULL, "check: no error text");
	errors_free(errors);
	errors = NULL;
	dkimtable_sign_free(s);
	dkimtable_keys_free(k);
	tap_int((long long)dkimtable_check(NULL, NULL, NULL), 0,
	    "check of no SigningTable");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(sign_cases) / sizeof(sign_cases[0]); i++)
		run_sign(&sign_cases[i]);
	run_rules();
	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++)
		run_lookup(&lookup_cases[i]);
	run_lookup_misc();
	run_check();
	return tap_done();
}
