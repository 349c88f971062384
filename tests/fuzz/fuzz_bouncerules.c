/*
 * fuzz_bouncerules.c - bouncerules_parse() on any BounceRules file, and
 * bouncerules_classify() of what parsed on any status, diagnostic and
 * subject.
 *
 * The input is the file, then NUL-separated the status, the diagnostic
 * and the subject to classify (each may be missing: "").
 *
 * Holds for every input: rules, or NULL and errors, never both; every
 * error is one "rules:N: message" line, N a line of the file, in
 * increasing order; without errors every line that is neither blank nor
 * a comment is a rule, and they are no more than BOUNCERULES_MAX;
 * the reason is one the header names and its class one of the seven,
 * the same on a second call, and "unknown" from an empty file (a file
 * that did not parse: the built-in rules answer).
 */
#include <ctype.h>

#include "retpath/bouncerules.h"
#include "fuzz.h"

static const char *const classes[] = {
	"hard", "soft", "quota", "policy", "complaint", "auto-reply",
	"unknown", NULL
};

/* The file's lines, and those neither blank nor a comment. */
static void
count_lines(const char *p, size_t len, int *lines, size_t *rules)
{
	const char *end = p + len, *nl;
	size_t i, l;

	*lines = 0;
	*rules = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		(*lines)++;
		for (i = 0; i < l && isspace((unsigned char)p[i]); i++)
			;
		if (i < l && p[i] != '#')
			(*rules)++;
		p += l + (nl != NULL);
	}
}

static void
check_class(const char *reason)
{
	const char *cls = bouncerules_class(reason);
	int i;

	FUZZ_CHECK(bouncerules_reason_valid(reason));
	for (i = 0; classes[i] != NULL; i++)
		if (strcmp(cls, classes[i]) == 0)
			return;
	FUZZ_CHECK(!"a class the header names");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *part[3] = { NULL, NULL, NULL }, *file;
	size_t plen[3] = { 0, 0, 0 }, flen, rules;
	char *text, *f[3], *errors = (char *)"untouched";
	const char *cls;
	BOUNCE_RULES *br;
	int lines, i;

	fuzz_split(&data, &size, &file, &flen);
	for (i = 0; i < 3; i++)
		fuzz_split(&data, &size, &part[i], &plen[i]);
	text = fuzz_dup(file, flen);
	for (i = 0; i < 3; i++)
		f[i] = fuzz_str(part[i], plen[i]);

	count_lines(text, flen, &lines, &rules);
	br = bouncerules_parse(text, flen, "rules", &errors);
	if (br == NULL) {
		FUZZ_CHECK(errors != NULL);
		fuzz_check_errors(errors, "rules", lines, 1);
	} else {
		FUZZ_CHECK(errors == NULL);
		FUZZ_CHECK(bouncerules_count(br) <= BOUNCERULES_MAX);
		FUZZ_CHECK(bouncerules_count(br) == rules);
	}
	free(errors);

	cls = bouncerules_classify(br, f[0], f[1], f[2]);
	check_class(cls);
	FUZZ_CHECK(strcmp(bouncerules_classify(br, f[0], f[1], f[2]),
	    cls) == 0);
	if (br != NULL && bouncerules_count(br) == 0)
		FUZZ_CHECK(strcmp(cls, "unknown") == 0);

	bouncerules_free(br);
	for (i = 0; i < 3; i++)
		free(f[i]);
	free(text);
	return 0;
}
