/*
 * test_dkimtable.c - table-driven tests of the OpenDKIM KeyTable and
 * SigningTable parsers and of SigningTable lookups.
 *
 * Every parser input and every looked-up address is handed over as a heap
 * copy of exactly its length (no NUL after it), so AddressSanitizer
 * catches a read past len.  The tables:
 *	- table specs ("refile:/x"), with their error texts;
 *	- KeyTable texts: the error text each must give (every line number
 *	  exact) or the number of keys, and the fields of good lines;
 *	- SigningTable texts, file: and refile:, likewise;
 *	- lookups: SigningTables written as opendkim.conf(5) documents them,
 *	  an address, MultipleSignatures off or on, and the matches in
 *	  order ("keyname" or "keyname=signer", space-separated).
 */
#include <stdlib.h>
#include <string.h>

#include "dkimtable.h"
#include "mem.h"
#include "tap.h"

static char *
exact_copy(const char *s, size_t len)
{
	char *p = mem_alloc(len);

	memcpy(p, s, len);
	return p;
}

/* s as printable ASCII for a TAP line (at most 160 octets shown). */
static const char *
esc(const char *s, size_t len)
{
	static char buf[1024];
	size_t i, n = 0;

	for (i = 0; i < len && i < 160; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "\\x%02x", c);
	}
	if (i < len)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "...(%zu)",
		    len);
	buf[n] = '\0';
	return buf;
}

/* Stands in *errors before a call that must reset it. */
static char unset[] = "unset";

static void
errors_free(char *errors)
{
	if (errors != unset)
		free(errors);
}

static DKIMTABLE_KEYS *
keys_parse(const char *s, size_t len, char **errors)
{
	char *copy = exact_copy(s, len);
	DKIMTABLE_KEYS *k = dkimtable_keys_parse(copy, len, "kt", errors);

	free(copy);
	return k;
}

static DKIMTABLE_SIGN *
sign_parse(const char *s, size_t len, int refile, char **errors)
{
	char *copy = exact_copy(s, len);
	DKIMTABLE_SIGN *t = dkimtable_sign_parse(copy, len, "st", refile,
	    errors);

	free(copy);
	return t;
}

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
	for (i = 0; i < sizeof(sign_cases) / sizeof(sign_cases[0]); i++)
		run_sign(&sign_cases[i]);
	run_rules();
	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++)
		run_lookup(&lookup_cases[i]);
	run_lookup_misc();
	run_check();
	run_limits();
	return tap_done();
}
