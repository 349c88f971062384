/*
 * fuzz_keytable.c - dkimtable_keys_parse() on any KeyTable text (a file
 * an administrator wrote, perhaps badly), and dkimtable_keys_count(),
 * _entry(), _find() and dkimtable_key_domain() on what it accepts.
 *
 * Holds for every input: a table comes back with no error text, or no
 * table with one (and the same with errors == NULL); each error line is
 * "keytable:LINE: message" or a last "keytable: N more errors", in line
 * order, printable ASCII only, at most ERRORS_MAX + 1 lines.
 * In a table: entries come in file order with their line numbers; a name
 * is 1..DKIMTABLE_NAME_MAX octets of printable ASCII without ':', and
 * unique; find() gives each entry back by name, and nothing for a name
 * not there; DOMAIN is "%" (replaced by the address's domain) or a DNS
 * name, SELECTOR a DNS name, KEY not empty and a path exactly when it
 * starts with "/", "./" or "../"; writing the entries back as
 * "NAME DOMAIN:SELECTOR:KEY" lines parses to the same entries.
 */
#include "dkim/dkimtable.h"
#include "fuzz.h"

#define FILE_NAME	"keytable"
#define ERRORS_MAX	100	/* DKIMTABLE_ERRORS_MAX (dkimtable_int.h) */

/* Letters, digits, '-', '_', dots between labels of 1..63 octets. */
static int
dns_ok(const char *s)
{
	size_t lab = 0;

	for (; ; s++) {
		if (*s == '.' || *s == '\0') {
			if (lab == 0 || lab > DKIMTABLE_LABEL_MAX ||
			    s[-1] == '-')
				return 0;
			if (*s == '\0')
				return 1;
			lab = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' ||
		    (*s == '-' && lab > 0)))
			return 0;
		lab++;
	}
}

/* "FILE:LINE: text" lines in line order, or a last "FILE: N more". */
static void
check_errors(const char *errors)
{
	const char *p = errors, *nl;
	size_t lines = 0, prev = 0, flen = strlen(FILE_NAME);
	unsigned long line;
	char *end;

	for (; *p != '\0'; p++)
		FUZZ_CHECK(*p == '\n' || (*p >= 0x20 && *p < 0x7f));
	for (p = errors; p != NULL; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		lines++;
		FUZZ_CHECK(strncmp(p, FILE_NAME ":", flen + 1) == 0);
		if (p[flen + 1] == ' ') {
			FUZZ_CHECK(nl == NULL &&
			    lines == ERRORS_MAX + 1);
			FUZZ_CHECK(strstr(p, " more errors") != NULL);
			continue;
		}
		line = strtoul(p + flen + 1, &end, 10);
		FUZZ_CHECK(end > p + flen + 1 && end[0] == ':' &&
		    end[1] == ' ');
		FUZZ_CHECK(line >= 1 && line >= prev);
		prev = line;
	}
	FUZZ_CHECK(lines <= ERRORS_MAX + 1);
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > DKIMTABLE_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == ':')
			return 0;
	return 1;
}

static int
is_path(const char *k)
{
	return k[0] == '/' || strncmp(k, "./", 2) == 0 ||
	    strncmp(k, "../", 3) == 0;
}

static void
check_entry(const DKIMTABLE_KEYS *t, size_t i, size_t *prevline)
{
	const DKIMTABLE_KEY *k = dkimtable_keys_entry(t, i);
	char other[DKIMTABLE_NAME_MAX + 2];

	FUZZ_CHECK(k != NULL && k->line > *prevline);
	*prevline = k->line;
	FUZZ_CHECK(name_ok(k->name));
	FUZZ_CHECK(dkimtable_keys_find(t, k->name) == k);
	snprintf(other, sizeof(other), "%s:", k->name);
	FUZZ_CHECK(dkimtable_keys_find(t, other) == NULL);
	FUZZ_CHECK(strcmp(k->domain, "%") == 0 || dns_ok(k->domain));
	FUZZ_CHECK(strlen(k->domain) <= DKIMTABLE_DOMAIN_MAX);
	FUZZ_CHECK(dns_ok(k->selector));
	FUZZ_CHECK(k->key[0] != '\0' && k->is_path == is_path(k->key));
	FUZZ_CHECK(strpbrk(k->key, "#\n") == NULL);
	if (strcmp(k->domain, "%") == 0)
		FUZZ_CHECK(strcmp(dkimtable_key_domain(k, "a.example"),
		    "a.example") == 0);
	else
		FUZZ_CHECK(dkimtable_key_domain(k, "a.example") == k->domain);
}

/* Write t back as KeyTable text; it must parse to the same entries. */
static void
check_again(const DKIMTABLE_KEYS *t)
{
	size_t n = dkimtable_keys_count(t), i, len = 0, cap = 1;
	const DKIMTABLE_KEY *a, *b;
	DKIMTABLE_KEYS *u;
	char *text, *errors = NULL;

	for (i = 0; i < n; i++) {
		a = dkimtable_keys_entry(t, i);
		cap += strlen(a->name) + strlen(a->domain) +
		    strlen(a->selector) + strlen(a->key) + 4;
	}
	if ((text = malloc(cap)) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		a = dkimtable_keys_entry(t, i);
		len += (size_t)snprintf(text + len, cap - len, "%s %s:%s:%s\n",
		    a->name, a->domain, a->selector, a->key);
	}
	FUZZ_CHECK(len < cap);
	u = dkimtable_keys_parse(text, len, FILE_NAME, &errors);
	FUZZ_CHECK(u != NULL && errors == NULL);
	FUZZ_CHECK(dkimtable_keys_count(u) == n);
	for (i = 0; i < n; i++) {
		a = dkimtable_keys_entry(t, i);
		b = dkimtable_keys_entry(u, i);
		FUZZ_CHECK(strcmp(a->name, b->name) == 0);
		FUZZ_CHECK(strcmp(a->domain, b->domain) == 0);
		FUZZ_CHECK(strcmp(a->selector, b->selector) == 0);
		FUZZ_CHECK(strcmp(a->key, b->key) == 0);
		FUZZ_CHECK(a->is_path == b->is_path && b->line == i + 1);
	}
	dkimtable_keys_free(u);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;	/* exactly size octets */
	DKIMTABLE_KEYS *t, *t2;
	char *errors = (char *)"untouched";
	size_t n, i, prevline = 0;

	t = dkimtable_keys_parse(buf, size, FILE_NAME, &errors);
	t2 = dkimtable_keys_parse(buf, size, FILE_NAME, NULL);
	FUZZ_CHECK((t == NULL) == (t2 == NULL));
	dkimtable_keys_free(t2);
	if (t == NULL) {
		FUZZ_CHECK(errors != NULL);
		check_errors(errors);
		free(errors);
		FUZZ_CHECK(dkimtable_keys_count(NULL) == 0);
		return 0;
	}
	FUZZ_CHECK(errors == NULL);
	n = dkimtable_keys_count(t);
	for (i = 0; i < n; i++)
		check_entry(t, i, &prevline);
	FUZZ_CHECK(dkimtable_keys_entry(t, n) == NULL);
	FUZZ_CHECK(dkimtable_keys_find(t, "") == NULL);
	check_again(t);
	dkimtable_keys_free(t);
	return 0;
}
