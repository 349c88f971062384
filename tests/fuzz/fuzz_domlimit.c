/*
 * fuzz_domlimit.c - domlimit_parse() on any DomainLimits file, then
 * domlimit_find() and domlimit_bucket() on what parsed.
 *
 * The input is the file, then NUL-separated a recipient domain and a
 * sender to look up (each may be missing: "").
 *
 * Holds for every input: a table, or NULL and errors, never both; every
 * error is one "limits:N: message" line, N a line of the file; in a table
 * every line that is neither blank nor a comment is one limit, and each
 * domain it names (in lower case) finds 1 or 2 limits, one of them from
 * that line; a lookup finds at most 2 limits, a shared one before a
 * per-sender one, each with tokens and a line of the file; a bucket name
 * starts with "domain:" and fits its buffer, or is refused.
 */
#include <ctype.h>

#include "shaping/domlimit.h"
#include "fuzz.h"

static size_t
check_find(const DOMLIMITS *d, const char *domain, int lines)
{
	const DOMLIMIT *hit[2] = { NULL, NULL };
	size_t n = domlimit_find(d, domain, hit), i;

	FUZZ_CHECK(n <= 2);
	if (n == 2)
		FUZZ_CHECK(!hit[0]->per_sender && hit[1]->per_sender);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(hit[i]->rule.tokens > 0);
		FUZZ_CHECK(hit[i]->line >= 1 && hit[i]->line <= lines);
		FUZZ_CHECK(hit[i]->group != NULL && hit[i]->group[0] != '\0');
	}
	return n;
}

/* Every domain of every limit line finds a limit from that line. */
static void
check_lines(const DOMLIMITS *d, const char *text, size_t len, int lines)
{
	const char *p = text, *end = text + len, *nl, *w, *we, *c;
	const DOMLIMIT *hit[2];
	char dom[300];
	size_t l, n, i, limits = 0, k;
	int line = 0, found;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		for (w = p; w < p + l && isspace((unsigned char)*w); w++)
			;
		if (w < p + l && *w != '#') {
			limits++;
			for (we = w; we < p + l && !isspace((unsigned char)*we);
			    we++)
				;
			for (; w < we; w = c + 1) {
				c = memchr(w, ',', (size_t)(we - w));
				if (c == NULL)
					c = we;
				k = (size_t)(c - w);
				FUZZ_CHECK(k > 0 && k < sizeof(dom));
				for (i = 0; i < k; i++)
					dom[i] = (char)tolower((unsigned char)w[i]);
				dom[k] = '\0';
				n = check_find(d, dom, lines);
				FUZZ_CHECK(n >= 1);
				domlimit_find(d, dom, hit);
				for (found = 0, i = 0; i < n; i++)
					found |= hit[i]->line == line;
				FUZZ_CHECK(found);
			}
		}
		p += l + (nl != NULL);
	}
	FUZZ_CHECK(domlimit_size(d) == limits);
	(void)lines;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *file, *dp, *sp;
	size_t flen, dlen, slen, n, i;
	char *text, *domain, *sender, *errors = (char *)"untouched", name[64];
	const DOMLIMIT *hit[2];
	DOMLIMITS *d;
	int lines;

	fuzz_split(&data, &size, &file, &flen);
	fuzz_split(&data, &size, &dp, &dlen);
	fuzz_split(&data, &size, &sp, &slen);
	text = fuzz_dup(file, flen);
	domain = fuzz_str(dp, dlen);
	sender = fuzz_str(sp, slen);
	lines = fuzz_lines(text, flen);

	d = domlimit_parse(text, flen, "limits", &errors);
	if (d == NULL) {
		FUZZ_CHECK(errors != NULL);
		fuzz_check_errors(errors, "limits", lines, 0);
	} else {
		FUZZ_CHECK(errors == NULL);
		check_lines(d, text, flen, lines);
		n = check_find(d, domain, lines);
		domlimit_find(d, domain, hit);
		for (i = 0; i < n; i++) {
			memset(name, 'x', sizeof(name));
			if (domlimit_bucket(hit[i], domain, sender, name,
			    sizeof(name)) == 0)
				FUZZ_CHECK(strncmp(name, "domain:", 7) == 0 &&
				    strlen(name) < sizeof(name));
			else
				FUZZ_CHECK(memchr(name, '\0', sizeof(name)) !=
				    NULL);
		}
	}
	FUZZ_CHECK(domlimit_find(NULL, domain, hit) == 0);
	free(errors);
	domlimit_free(d);
	free(sender);
	free(domain);
	free(text);
	return 0;
}
