/*
 * fuzz_signingtable.c - dkimtable_sign_parse() on any SigningTable text,
 * and dkimtable_sign_lookup() and dkimtable_check() on what it accepts.
 *
 * The first octet chooses refile: (bit 0) and MultipleSignatures
 * (bit 1); the octets up to the next NUL are the table, the rest an
 * address to look up.  Each rule's own pattern is looked up too.
 *
 * Holds for every input: a table comes back with no error text, or no
 * table with one (and the same with errors == NULL); each error line is
 * "signingtable:LINE: message" or a last "signingtable: N more errors",
 * printable ASCII only.  In a table: rules come in file order with their
 * line numbers; a pattern has no control octets or white space and at
 * most DKIMTABLE_PATTERN_MAX octets; a key name is printable ASCII
 * without ':'; a signer is NULL or holds an '@'; writing the rules back
 * as "PATTERN KEYNAME[:SIGNER]" lines parses to the same rules.  A lookup
 * gives matches whose key name is a rule's (or the domain for "%") and
 * whose line is that rule's; at most one without MultipleSignatures;
 * each key name once; the same count and first matches when out is
 * smaller; nothing for an address without a local part and a domain.  A
 * pattern that is an address finds a match, in a file: table its own
 * rule.  dkimtable_check() counts every rule not named "%" against an
 * empty KeyTable and none against a KeyTable of all the names.
 */
#include "dkim/dkimtable.h"
#include "fuzz.h"

#define FILE_NAME	"signingtable"
#define MATCH_MAX	8

static void
check_errors(const char *errors)
{
	const char *p;
	size_t flen = strlen(FILE_NAME);

	for (p = errors; *p != '\0'; p++)
		FUZZ_CHECK(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
	for (p = errors; p != NULL; p = strchr(p, '\n'), p = p ? p + 1 : p)
		FUZZ_CHECK(strncmp(p, FILE_NAME ":", flen + 1) == 0);
}

static void
check_rule(const DKIMTABLE_RULE *r)
{
	const char *p;

	FUZZ_CHECK(strlen(r->pattern) <= DKIMTABLE_PATTERN_MAX);
	for (p = r->pattern; *p != '\0'; p++)
		FUZZ_CHECK((unsigned char)*p > ' ' && *p != 0x7f);
	FUZZ_CHECK(r->keyname[0] != '\0' &&
	    strlen(r->keyname) <= DKIMTABLE_NAME_MAX);
	for (p = r->keyname; *p != '\0'; p++)
		FUZZ_CHECK(*p > ' ' && *p < 0x7f && *p != ':');
	FUZZ_CHECK(r->signer == NULL ||
	    (r->signer[0] != '\0' && strchr(r->signer, '@') != NULL));
}

/* Look addr up; check what comes back; the count. */
static size_t
check_lookup(const DKIMTABLE_SIGN *t, const char *addr, size_t len,
    int multiple, DKIMTABLE_MATCH *m)
{
	DKIMTABLE_MATCH one[1];
	const DKIMTABLE_RULE *r;
	const char *at = NULL, *dom;
	size_t n, i, j, count = dkimtable_sign_count(t);

	for (i = len; i > 0 && at == NULL; i--)
		if (addr[i - 1] == '@')
			at = addr + i - 1;
	n = dkimtable_sign_lookup(t, addr, len, multiple, m, MATCH_MAX);
	dom = at != NULL ? at + 1 : addr;
	if (at == NULL || at == addr || dom == addr + len ||
	    (size_t)(addr + len - dom) > DKIMTABLE_DOMAIN_MAX ||
	    memchr(addr, '\0', len) != NULL) {
		FUZZ_CHECK(n == 0);
		return 0;
	}
	FUZZ_CHECK(multiple || n <= 1);
	FUZZ_CHECK(n <= count);
	for (i = 0; i < n && i < MATCH_MAX; i++) {
		FUZZ_CHECK(memchr(m[i].keyname, '\0', sizeof(m[i].keyname)));
		FUZZ_CHECK(memchr(m[i].signer, '\0', sizeof(m[i].signer)));
		for (j = 0; j < count; j++)
			if ((r = dkimtable_sign_rule(t, j))->line == m[i].line)
				break;
		FUZZ_CHECK(j < count);
		if (strcmp(r->keyname, "%") == 0)
			FUZZ_CHECK(strlen(m[i].keyname) ==
			    (size_t)(addr + len - dom) &&
			    memcmp(m[i].keyname, dom, strlen(m[i].keyname)) ==
			    0);
		else
			FUZZ_CHECK(strcmp(m[i].keyname, r->keyname) == 0);
		FUZZ_CHECK(r->signer != NULL || m[i].signer[0] == '\0');
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(m[i].keyname, m[j].keyname) != 0);
	}
	memset(one, 0, sizeof(one));
	FUZZ_CHECK(dkimtable_sign_lookup(t, addr, len, multiple, one, 1) == n);
	FUZZ_CHECK(n == 0 || (one[0].line == m[0].line &&
	    strcmp(one[0].keyname, m[0].keyname) == 0 &&
	    strcmp(one[0].signer, m[0].signer) == 0));
	FUZZ_CHECK(dkimtable_sign_lookup(t, addr, len, multiple, NULL, 0) ==
	    n);
	return n;
}

/* Write t back as SigningTable text: the same rules? */
static void
check_again(const DKIMTABLE_SIGN *t, int refile)
{
	size_t n = dkimtable_sign_count(t), i, len = 0, cap = 1;
	const DKIMTABLE_RULE *a, *b;
	DKIMTABLE_SIGN *u;
	char *text, *errors = NULL;

	for (i = 0; i < n; i++) {
		a = dkimtable_sign_rule(t, i);
		cap += strlen(a->pattern) + strlen(a->keyname) +
		    (a->signer ? strlen(a->signer) : 0) + 3;
	}
	if ((text = malloc(cap)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		a = dkimtable_sign_rule(t, i);
		len += (size_t)snprintf(text + len, cap - len, "%s %s%s%s\n",
		    a->pattern, a->keyname, a->signer ? ":" : "",
		    a->signer ? a->signer : "");
	}
	FUZZ_CHECK(len < cap);
	u = dkimtable_sign_parse(text, len, FILE_NAME, refile, &errors);
	FUZZ_CHECK(u != NULL && errors == NULL);
	FUZZ_CHECK(dkimtable_sign_count(u) == n &&
	    dkimtable_sign_is_refile(u) == refile);
	for (i = 0; i < n; i++) {
		a = dkimtable_sign_rule(t, i);
		b = dkimtable_sign_rule(u, i);
		FUZZ_CHECK(strcmp(a->pattern, b->pattern) == 0);
		FUZZ_CHECK(strcmp(a->keyname, b->keyname) == 0);
		FUZZ_CHECK((a->signer == NULL) == (b->signer == NULL));
		FUZZ_CHECK(a->signer == NULL ||
		    strcmp(a->signer, b->signer) == 0);
		FUZZ_CHECK(b->line == i + 1);
	}
	dkimtable_sign_free(u);
	free(text);
}

/* Against an empty KeyTable and one that has every name. */
static void
check_keys(const DKIMTABLE_SIGN *t)
{
	size_t n = dkimtable_sign_count(t), i, len = 0, cap = 1, named = 0;
	const DKIMTABLE_RULE *r;
	DKIMTABLE_KEYS *k;
	char *text, *errors = NULL;

	for (i = 0; i < n; i++)
		cap += strlen(dkimtable_sign_rule(t, i)->keyname) + 32;
	if ((text = malloc(cap)) == NULL)
		abort();
	/* a KeyTable refuses a name given twice: write each once */
	for (i = 0; i < n; i++) {
		size_t j;

		r = dkimtable_sign_rule(t, i);
		if (strcmp(r->keyname, "%") == 0)
			continue;
		named++;
		for (j = 0; j < i; j++)
			if (strcmp(dkimtable_sign_rule(t, j)->keyname,
			    r->keyname) == 0)
				break;
		if (j == i)
			len += (size_t)snprintf(text + len, cap - len,
			    "%s example.com:s:/k\n", r->keyname);
	}
	FUZZ_CHECK(len < cap);
	k = dkimtable_keys_parse(text, len, "keytable", NULL);
	FUZZ_CHECK(k != NULL);
	FUZZ_CHECK(dkimtable_check(t, k, &errors) == 0 && errors == NULL);
	dkimtable_keys_free(k);
	FUZZ_CHECK(dkimtable_check(t, NULL, &errors) == named);
	FUZZ_CHECK((named == 0) == (errors == NULL));
	if (errors != NULL)
		check_errors(errors);
	free(errors);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	DKIMTABLE_MATCH m[MATCH_MAX];
	DKIMTABLE_SIGN *t, *t2;
	const DKIMTABLE_RULE *r;
	const uint8_t *part;
	char *table, *addr, *errors = (char *)"untouched";
	size_t tlen, n, i, plen, prevline = 0;
	int refile, multiple;

	if (size == 0)
		return 0;
	refile = data[0] & 1;
	multiple = (data[0] & 2) != 0;
	data++;
	size--;
	fuzz_split(&data, &size, &part, &tlen);
	table = fuzz_dup(part, tlen);
	addr = fuzz_dup(data, size);

	t = dkimtable_sign_parse(table, tlen, FILE_NAME, refile, &errors);
	t2 = dkimtable_sign_parse(table, tlen, FILE_NAME, refile, NULL);
	FUZZ_CHECK((t == NULL) == (t2 == NULL));
	dkimtable_sign_free(t2);
	if (t == NULL) {
		FUZZ_CHECK(errors != NULL);
		check_errors(errors);
		free(errors);
		goto done;
	}
	FUZZ_CHECK(errors == NULL && dkimtable_sign_is_refile(t) == refile);
	n = dkimtable_sign_count(t);
	for (i = 0; i < n; i++) {
		r = dkimtable_sign_rule(t, i);
		FUZZ_CHECK(r != NULL && r->line > prevline);
		prevline = r->line;
		check_rule(r);
	}
	FUZZ_CHECK(dkimtable_sign_rule(t, n) == NULL);
	check_again(t, refile);
	check_keys(t);

	(void)check_lookup(t, addr, size, multiple, m);
	for (i = 0; i < n && i < 50; i++) {
		const char *at;

		r = dkimtable_sign_rule(t, i);
		plen = strlen(r->pattern);
		if ((at = strrchr(r->pattern, '@')) == NULL ||
		    at == r->pattern || at[1] == '\0' ||
		    strlen(at + 1) > DKIMTABLE_DOMAIN_MAX)
			continue;
		FUZZ_CHECK(check_lookup(t, r->pattern, plen, multiple, m) >
		    0);
		if (!refile)
			FUZZ_CHECK(m[0].line == r->line);
	}
	dkimtable_sign_free(t);
done:
	free(table);
	free(addr);
	return 0;
}
