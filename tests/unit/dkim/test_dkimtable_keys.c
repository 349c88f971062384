/*
 * test_dkimtable_keys.c - table-driven tests of table specs and of the
 * OpenDKIM KeyTable parser, and of limits and odd input.
 *
 * Every parser input is handed over as a heap copy of exactly its length
 * (no NUL after it), so AddressSanitizer catches a read past len.  The
 * tables:
 *	- table specs ("refile:/x"), with their error texts;
 *	- KeyTable texts: the error text each must give (every line number
 *	  exact) or the number of keys, and the fields of good lines.
 */
#include <stdlib.h>
#include <string.h>

#include "dkim/dkimtable.h"
#include "dkimtable_test.h"
#include "base/mem.h"
#include "tap.h"

/* ---- table specs -------------------------------------------------- */

struct spec_case {
	const char	*in;
	const char	*err;
	size_t		 off;
	int		 refile;
};

static const struct spec_case spec_cases[] = {
	{ "file:/etc/opendkim/key.table", NULL, 5, 0 },
	{ "refile:/etc/opendkim/signing.table", NULL, 7, 1 },
	{ "/etc/opendkim/key.table", NULL, 0, 0 },
	{ "file:/x.db", NULL, 5, 0 },
	{ "/etc/opendkim/key.db", "a path ending in \".db\" is a Berkeley DB "
	    "table to OpenDKIM: repguard reads only file: and refile: tables",
	    0, 0 },
	{ "db:/etc/opendkim/key.db", "unsupported table type: repguard reads "
	    "file:/path, refile:/path or /path", 0, 0 },
	{ "dsn:mysql://u:p@3306+db/odkim/table=t?keycol=k?datacol=v",
	    "unsupported table type: repguard reads file:/path, "
	    "refile:/path or /path", 0, 0 },
	{ "csl:k1 v1,k2 v2", "unsupported table type: repguard reads "
	    "file:/path, refile:/path or /path", 0, 0 },
	{ "keytable", "unsupported table type: repguard reads file:/path, "
	    "refile:/path or /path", 0, 0 },
	{ "file:", "missing path after the table type", 0, 0 },
	{ "refile:", "missing path after the table type", 0, 0 },
	{ "file:keytable", "table path must be absolute", 0, 0 },
	{ "refile:./signing", "table path must be absolute", 0, 0 },
	{ "", "empty table", 0, 0 },
};

static void
run_spec(const struct spec_case *c)
{
	size_t len = strlen(c->in), off = 99;
	char *copy = exact_copy(c->in, len);
	int refile = 99;
	const char *err;

	err = dkimtable_spec(copy, len, &off, &refile);
	tap_str(err, c->err, "spec \"%s\"", c->in);
	if (c->err == NULL) {
		tap_int((long long)off, (long long)c->off, "spec \"%s\" path "
		    "offset", c->in);
		tap_int(refile, c->refile, "spec \"%s\" refile", c->in);
	}
	free(copy);
}

/* ---- KeyTable parsing --------------------------------------------- */

#define L63 "abcdefghij" "abcdefghij" "abcdefghij" "abcdefghij" \
	    "abcdefghij" "abcdefghij" "abc"
#define L64 L63 "d"

struct keys_case {
	const char	*in;
	const char	*err;	/* NULL: must parse */
	size_t		 count;
};

static const struct keys_case keys_cases[] = {
	{ "", NULL, 0 },
	{ "\n\n", NULL, 0 },
	{ "# only a comment\n\n   \n\t# an indented comment\n", NULL, 0 },
	{ "k example.com:s:/p", NULL, 1 },
	{ "k example.com:s:/p\r\n", NULL, 1 },
	{ "k\texample.com:s:/p # comment\n", NULL, 1 },
	{ "  k   example.com:s:/p  \n", NULL, 1 },
	{ "k example.com:s:/p#comment", NULL, 1 },
	{ "hosted %:s:/p\n", NULL, 1 },
	{ "k exa_mple.com:_s-1.b:/p\n", NULL, 1 },
	{ "k EXAMPLE.com:S:/p\n", NULL, 1 },
	{ "k a-b.example:s:/p\n", NULL, 1 },
	{ "k " L63 ".com:s:/p\n", NULL, 1 },
	{ "k example.com:" L63 "." L63 ":/p\n", NULL, 1 },
	{ "a example.com:s:/p\nb example.com:t:/q\nc example.net:s:/r\n",
	    NULL, 3 },
	{ "k", "kt:1: expected NAME DOMAIN:SELECTOR:KEY", 0 },
	{ "k   # value commented out", "kt:1: expected NAME "
	    "DOMAIN:SELECTOR:KEY", 0 },
	{ "k example.com", "kt:1: expected NAME DOMAIN:SELECTOR:KEY", 0 },
	{ "k example.com:s", "kt:1: expected NAME DOMAIN:SELECTOR:KEY", 0 },
	{ "k example.com:s:", "kt:1: empty key", 0 },
	{ "k example.com:s:   ", "kt:1: empty key", 0 },
	{ "k :s:/p", "kt:1: empty domain", 0 },
	{ "k example.com::/p", "kt:1: empty selector", 0 },
	{ "k exa mple.com:s:/p", "kt:1: malformed domain \"exa mple.com\"",
	    0 },
	{ "k -example.com:s:/p", "kt:1: malformed domain \"-example.com\"",
	    0 },
	{ "k example-.com:s:/p", "kt:1: malformed domain \"example-.com\"",
	    0 },
	{ "k example..com:s:/p", "kt:1: malformed domain \"example..com\"",
	    0 },
	{ "k example.com.:s:/p", "kt:1: malformed domain \"example.com.\"",
	    0 },
	{ "k .example.com:s:/p", "kt:1: malformed domain \".example.com\"",
	    0 },
	{ "k exa\"mple.com:s:/p", "kt:1: malformed domain \"exa?mple.com\"",
	    0 },
	{ "k %.example.com:s:/p", "kt:1: malformed domain \"%.example.com\"",
	    0 },
	{ "k b\xc3\xbcro.example:s:/p",
	    "kt:1: malformed domain \"b??ro.example\"", 0 },
	{ "k " L64 ".com:s:/p", "kt:1: label longer than 63 octets in domain "
	    "\"abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh...\"", 0 },
	{ "k example.com:%:/p", "kt:1: malformed selector \"%\"", 0 },
	{ "k example.com:s-:/p", "kt:1: malformed selector \"s-\"", 0 },
	{ "k example.com:" L64 ":/p", "kt:1: label longer than 63 octets in "
	    "selector \"abcdefghijabcdefghijabcdefghijabcdefghijabcdefgh...\"",
	    0 },
	{ "k:x example.com:s:/p", "kt:1: bad character in key name \"k:x\"",
	    0 },
	{ "k\xc3\xa9 example.com:s:/p",
	    "kt:1: bad character in key name \"k??\"", 0 },
	{ "k\x01 example.com:s:/p",
	    "kt:1: bad character in key name \"k?\"", 0 },
	{ "k example.com:s:/p\nk example.org:t:/q\n",
	    "kt:2: duplicate key name \"k\" (first on line 1)", 0 },
	{ "k example.com:s:/p\nK example.org:t:/q\n", NULL, 2 },
	{ "a example.com:s:/p\n\nb example.com:t:/q\n# c\na example.com:u:/r"
	    "\nb example.com:v:/s\na e.com:w:/t\n",
	    "kt:5: duplicate key name \"a\" (first on line 1)\n"
	    "kt:6: duplicate key name \"b\" (first on line 3)\n"
	    "kt:7: duplicate key name \"a\" (first on line 1)", 0 },
	{ "good example.com:s:/p\nbad\n\n  \nk2 :s:/p\nk3 example.com:s:/p\n"
	    "k4 example.com:s:\n",
	    "kt:2: expected NAME DOMAIN:SELECTOR:KEY\nkt:5: empty domain\n"
	    "kt:7: empty key", 0 },
	{ "bad\ngood example.com:s:/p\ngood e.com:s:/p\n",
	    "kt:1: expected NAME DOMAIN:SELECTOR:KEY\n"
	    "kt:3: duplicate key name \"good\" (first on line 2)", 0 },
	/* "s" + "._domainkey." + 240 = 253, the most a DNS name holds */
	{ "k " L63 "." L63 "." L63 "." "abcdefghij" "abcdefghij" "abcdefghij"
	    "abcdefghij" "abcdefgh" ":" "s" ":/p", NULL, 1 },
	{ "k " L63 "." L63 "." L63 "." "abcdefghij" "abcdefghij" "abcdefghij"
	    "abcdefghij" "abcdefgh" ":" "s1" ":/p",
	    "kt:1: SELECTOR._domainkey.DOMAIN longer than 253 octets", 0 },
	{ "k %:" L63 "." L63 "." L63 ".b:/p", NULL, 1 },
};

static void
run_keys(const struct keys_case *c)
{
	size_t len = strlen(c->in);
	char *errors = unset;
	DKIMTABLE_KEYS *k = keys_parse(c->in, len, &errors);

	tap_str(errors, c->err, "KeyTable \"%s\"", esc(c->in, len));
	tap_int(k != NULL, c->err == NULL, "KeyTable \"%s\" %s",
	    esc(c->in, len), c->err == NULL ? "parsed" : "refused");
	tap_int((long long)dkimtable_keys_count(k), (long long)c->count,
	    "KeyTable \"%s\" count", esc(c->in, len));
	errors_free(errors);
	dkimtable_keys_free(k);
}

/* The fields of the keys in one good KeyTable. */
static const char keytable_good[] =
	"# KeyTable, as opendkim.conf(5) and README.opendkim write it\n"
	"rsa.example.com\texample.com:rsa2024:/etc/repguard/keys/rsa.private\n"
	"ed.example.com\t\texample.com:ed2024:/etc/repguard/keys/ed.private\n"
	"example.net     example.net:sel1:./keys/example.net.private  # rel\n"
	"\n"
	"pres.example.com  example.com:pres:../keys/president\n"
	"hosted            %:hosted:/etc/repguard/keys/%.private\n"
	"inline            example.org:inl:MIIEvQIBADANBgkqhkiG9w0BAQEFAAS\n"
	"spaced            example.org:sp:/etc/repguard/my keys/sp.private\n"
	"colons            example.org:co:/etc/repguard/a:b.private\r\n"
	"dotted            example.org:dot:.hidden\n"
	"sub.example.com   Sub.Example.COM:s1.2024:/k/sub.private";

struct keyfield_case {
	const char	*name;
	const char	*domain;
	const char	*selector;
	const char	*key;
	int		 is_path;
	size_t		 line;
};

static const struct keyfield_case keyfield_cases[] = {
	{ "rsa.example.com", "example.com", "rsa2024",
	    "/etc/repguard/keys/rsa.private", 1, 2 },
	{ "ed.example.com", "example.com", "ed2024",
	    "/etc/repguard/keys/ed.private", 1, 3 },
	{ "example.net", "example.net", "sel1", "./keys/example.net.private",
	    1, 4 },
	{ "pres.example.com", "example.com", "pres", "../keys/president", 1,
	    6 },
	{ "hosted", "%", "hosted", "/etc/repguard/keys/%.private", 1, 7 },
	{ "inline", "example.org", "inl", "MIIEvQIBADANBgkqhkiG9w0BAQEFAAS", 0,
	    8 },
	{ "spaced", "example.org", "sp", "/etc/repguard/my keys/sp.private",
	    1, 9 },
	{ "colons", "example.org", "co", "/etc/repguard/a:b.private", 1, 10 },
	{ "dotted", "example.org", "dot", ".hidden", 0, 11 },
	{ "sub.example.com", "Sub.Example.COM", "s1.2024", "/k/sub.private",
	    1, 12 },
};

static void
run_keyfields(void)
{
	size_t i, len = strlen(keytable_good);
	char *errors = NULL;
	DKIMTABLE_KEYS *k;
	const DKIMTABLE_KEY *e;

	k = keys_parse(keytable_good, len, &errors);
	tap_str(errors, NULL, "good KeyTable parses");
	free(errors);
	errors = NULL;
	tap_int((long long)dkimtable_keys_count(k), 10, "good KeyTable count");
	for (i = 0; i < sizeof(keyfield_cases) / sizeof(keyfield_cases[0]);
	    i++) {
		const struct keyfield_case *c = &keyfield_cases[i];

		e = dkimtable_keys_find(k, c->name);
		if (!tap_ok(e != NULL, "key %s found", c->name))
			continue;
		tap_str(e->name, c->name, "key %s name", c->name);
		tap_str(e->domain, c->domain, "key %s domain", c->name);
		tap_str(e->selector, c->selector, "key %s selector", c->name);
		tap_str(e->key, c->key, "key %s key", c->name);
		tap_int(e->is_path, c->is_path, "key %s is_path", c->name);
		tap_int((long long)e->line, (long long)c->line, "key %s line",
		    c->name);
	}
	/* entries in file order */
	e = dkimtable_keys_entry(k, 0);
	tap_str(e != NULL ? e->name : NULL, "rsa.example.com", "entry 0");
	e = dkimtable_keys_entry(k, 9);
	tap_str(e != NULL ? e->name : NULL, "sub.example.com", "entry 9");
	tap_ok(dkimtable_keys_entry(k, 10) == NULL, "entry 10 is none");
	/* names are case-sensitive, as OpenDKIM's KeyTable */
	tap_ok(dkimtable_keys_find(k, "RSA.example.com") == NULL,
	    "key names are case-sensitive");
	tap_ok(dkimtable_keys_find(k, "") == NULL, "empty name not found");
	tap_ok(dkimtable_keys_find(k, NULL) == NULL, "NULL name not found");
	/* DOMAIN "%" is the address's domain */
	tap_str(dkimtable_key_domain(dkimtable_keys_find(k, "hosted"),
	    "customer.example"), "customer.example", "%% domain resolved");
	tap_str(dkimtable_key_domain(dkimtable_keys_find(k, "rsa.example.com"),
	    "customer.example"), "example.com", "fixed domain kept");
	tap_ok(dkimtable_key_domain(NULL, "x") == NULL, "key_domain(NULL)");
	dkimtable_keys_free(k);
}
/* ---- limits and odd input ----------------------------------------- */

static void
run_limits(void)
{
	static const char first[] = "kt:1: expected NAME DOMAIN:SELECTOR:KEY"
	    "\nkt:2: ";
	static const char last[] = "\nkt:100: expected NAME "
	    "DOMAIN:SELECTOR:KEY\nkt: 50 more errors";
	char *buf, *errors = NULL, want[256];
	DKIMTABLE_KEYS *k;
	DKIMTABLE_SIGN *s;
	const DKIMTABLE_KEY *e;
	size_t len, i;

	/* a line of exactly 4096 octets, then one of 4097 */
	buf = mem_alloc(2 * 4098);
	memcpy(buf, "k example.com:s:/", 17);
	memset(buf + 17, 'p', 4096 - 17);
	buf[4096] = '\n';
	memcpy(buf + 4097, "l example.com:s:/", 17);
	memset(buf + 4097 + 17, 'p', 4097 - 17);
	len = 4097 + 4097;
	k = keys_parse(buf, 4097, &errors);
	tap_str(errors, NULL, "a 4096-octet line is accepted");
	free(errors);
	errors = NULL;
	e = dkimtable_keys_find(k, "k");
	tap_int(e != NULL ? (long long)strlen(e->key) : -1, 4096 - 16,
	    "and its key is whole");
	dkimtable_keys_free(k);
	k = keys_parse(buf, len, &errors);
	tap_str(errors, "kt:2: line longer than 4096 octets",
	    "a 4097-octet line is refused");
	free(errors);
	dkimtable_keys_free(k);
	s = sign_parse(buf + 4097, 4097, 1, &errors);
	tap_str(errors, "st:1: line longer than 4096 octets",
	    "a 4097-octet SigningTable line is refused");
	free(errors);
	dkimtable_sign_free(s);
	free(buf);

	/* a NUL byte, in a line and in a comment */
	k = keys_parse("a e.com:s:/p\nb e.com:s:/\0p\n", 27, &errors);
	tap_str(errors, "kt:2: NUL byte in line", "NUL in a KeyTable line");
	free(errors);
	dkimtable_keys_free(k);
	s = sign_parse("x.com k\n# \0\n", 12, 0, &errors);
	tap_str(errors, "st:2: NUL byte in line", "NUL in a comment");
	free(errors);
	dkimtable_sign_free(s);

	/* names and patterns at and over their caps */
	buf = mem_alloc(2000);
	memset(buf, 'n', 256);
	memcpy(buf + 256, " e.com:s:/p", 11);
	k = keys_parse(buf + 1, 255 + 11, &errors);
	tap_str(errors, NULL, "a 255-octet key name");
	free(errors);
	errors = NULL;
	dkimtable_keys_free(k);
	k = keys_parse(buf, 256 + 11, &errors);
	tap_str(errors, "kt:1: key name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    "nnnnnnnnnnnn...\" longer than 255 octets", "a 256-octet key name");
	free(errors);
	memcpy(buf, "*@x.com ", 8);
	memset(buf + 8, 'n', 256);
	s = sign_parse(buf, 8 + 255, 1, &errors);
	tap_str(errors, NULL, "a 255-octet SigningTable key name");
	free(errors);
	errors = NULL;
	dkimtable_sign_free(s);
	s = sign_parse(buf, 8 + 256, 1, &errors);
	tap_str(errors, "st:1: key name \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
	    "nnnnnnnnnnnn...\" longer than 255 octets",
	    "a 256-octet SigningTable key name");
	free(errors);
	memset(buf, 'p', 1025);
	memcpy(buf + 1025, " k", 2);
	s = sign_parse(buf + 1, 1024 + 2, 1, &errors);
	tap_str(errors, NULL, "a 1024-octet pattern");
	free(errors);
	errors = NULL;
	dkimtable_sign_free(s);
	s = sign_parse(buf, 1025 + 2, 1, &errors);
	tap_str(errors, "st:1: pattern \"pppppppppppppppppppppppppppppppppppp"
	    "pppppppppppp...\" longer than 1024 octets", "a 1025-octet pattern");
	free(errors);
	/* a domain of 255 octets is fine for '%' tables, 256 is not */
	memcpy(buf, "k ", 2);
	for (i = 0; i < 256; i++)
		buf[2 + i] = i % 8 == 7 ? '.' : 'd';
	buf[2 + 255] = 'd';
	memcpy(buf + 2 + 256, ":s:/p", 5);
	k = keys_parse(buf, 2 + 256 + 5, &errors);
	snprintf(want, sizeof(want), "kt:1: domain \"%.48s...\" longer than "
	    "255 octets", buf + 2);
	tap_str(errors, want, "a 256-octet domain");
	free(errors);
	free(buf);

	/* more than 100 bad lines: 100 listed, then a count */
	buf = mem_alloc(150 * 4);
	for (i = 0; i < 150; i++)
		memcpy(buf + 4 * i, "bad\n", 4);
	k = keys_parse(buf, 150 * 4, &errors);
	tap_ok(k == NULL, "150 bad lines refused");
	tap_ok(errors != NULL && strncmp(errors, first, strlen(first)) == 0,
	    "errors start at line 1");
	tap_ok(errors != NULL && strstr(errors, "kt:100: expected") != NULL &&
	    strstr(errors, "kt:101:") == NULL, "100 errors listed");
	len = errors != NULL ? strlen(errors) : 0;
	tap_ok(len > strlen(last) && strcmp(errors + len - strlen(last), last)
	    == 0, "then \"kt: 50 more errors\"");
	free(errors);
	free(buf);

	/* errors may be NULL; a NULL buffer is an empty table */
	k = keys_parse("bad", 3, NULL);
	tap_ok(k == NULL, "refused with errors NULL");
	errors = unset;
	k = dkimtable_keys_parse(NULL, 0, "kt", &errors);
	tap_ok(k != NULL && errors == NULL, "NULL buffer: empty KeyTable");
	tap_int((long long)dkimtable_keys_count(k), 0, "with no keys");
	dkimtable_keys_free(k);
	errors_free(errors);
	errors = unset;
	s = dkimtable_sign_parse(NULL, 5, NULL, 0, &errors);
	tap_ok(s != NULL && errors == NULL, "NULL buffer: empty SigningTable");
	dkimtable_sign_free(s);
	errors_free(errors);
	/* a NULL file name */
	k = dkimtable_keys_parse("bad", 3, NULL, &errors);
	tap_str(errors, ":1: expected NAME DOMAIN:SELECTOR:KEY",
	    "NULL file name");
	free(errors);

	tap_int((long long)dkimtable_keys_count(NULL), 0, "count of NULL");
	tap_int((long long)dkimtable_sign_count(NULL), 0, "sign count of NULL");
	tap_ok(dkimtable_keys_entry(NULL, 0) == NULL, "entry of NULL");
	tap_ok(dkimtable_sign_rule(NULL, 0) == NULL, "rule of NULL");
	tap_ok(dkimtable_keys_find(NULL, "k") == NULL, "find in NULL");
	tap_int(dkimtable_sign_is_refile(NULL), 0, "is_refile of NULL");
	dkimtable_keys_free(NULL);
	dkimtable_sign_free(NULL);
	tap_ok(1, "freeing NULL tables is harmless");

	/* inline key data is never shown in an error */
	k = keys_parse("k example.com:bad-:MIISECRETKEYDATA\n", 36, &errors);
	tap_str(errors, "kt:1: malformed selector \"bad-\"",
	    "inline key not in the error");
	tap_ok(errors != NULL && strstr(errors, "SECRET") == NULL,
	    "no key data in errors");
	free(errors);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(spec_cases) / sizeof(spec_cases[0]); i++)
		run_spec(&spec_cases[i]);
	for (i = 0; i < sizeof(keys_cases) / sizeof(keys_cases[0]); i++)
		run_keys(&keys_cases[i]);
	run_keyfields();
	run_limits();
	return tap_done();
}
