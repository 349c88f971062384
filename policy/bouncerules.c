/*
 * bouncerules.c - parse and apply bounce classification rules (see
 * bouncerules.h).
 *
 * Owns: bouncerules_parse(), bouncerules_load(), bouncerules_classify(),
 * bouncerules_count(), bouncerules_free().
 * Must not: accept a rule it cannot compile, or a class it does not know.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bouncerules.h"
#include "mem.h"
#include "textfile.h"

enum { BR_STATUS, BR_DIAGNOSTIC, BR_SUBJECT, BR_ANY };

static const char *const br_classes[] = {
	"hard", "soft", "quota", "policy", "complaint", "auto-reply",
	"unknown", NULL
};
static const char *const br_fields[] = {
	"status", "diagnostic", "subject", "any", NULL
};

struct br_rule {
	const char	*cls;		/* one of br_classes */
	int		 field;
	regex_t		 re;
};

struct BOUNCE_RULES {
	struct br_rule	*r;
	size_t		 n;
};

static int
br_word(const char *const *list, const char *w, size_t len)
{
	int i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == len && strncasecmp(list[i], w, len) == 0)
			return i;
	return -1;
}

void
bouncerules_free(BOUNCE_RULES *br)
{
	size_t i;

	if (br == NULL)
		return;
	for (i = 0; i < br->n; i++)
		regfree(&br->r[i].re);
	free(br->r);
	free(br);
}

/* One line (no line end, NUL-terminated copy); 0 or -1 with an error. */
static int
br_line(BOUNCE_RULES *br, char *s, const char *name, int line, char **errors)
{
	char *cls, *field, *re, msg[256];
	size_t clen, flen;
	int c, f, rc;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	cls = s;
	while (*s != '\0' && !isspace((unsigned char)*s))
		s++;
	clen = (size_t)(s - cls);
	while (isspace((unsigned char)*s))
		s++;
	field = s;
	while (*s != '\0' && !isspace((unsigned char)*s))
		s++;
	flen = (size_t)(s - field);
	while (isspace((unsigned char)*s))
		s++;
	re = s;
	for (s = re + strlen(re); s > re && isspace((unsigned char)s[-1]); )
		*--s = '\0';
	if ((c = br_word(br_classes, cls, clen)) < 0) {
		textfile_error(errors, name, line, "unknown class \"%.*s\" (hard, "
		    "soft, quota, policy, complaint, auto-reply or unknown)",
		    (int)clen, cls);
		return -1;
	}
	if (flen == 0 || (f = br_word(br_fields, field, flen)) < 0) {
		textfile_error(errors, name, line, "unknown field \"%.*s\" (status, "
		    "diagnostic, subject or any)", (int)flen, field);
		return -1;
	}
	if (*re == '\0') {
		textfile_error(errors, name, line, "no pattern");
		return -1;
	}
	if (br->n == BOUNCERULES_MAX) {
		textfile_error(errors, name, line, "more than %d rules",
		    BOUNCERULES_MAX);
		return -1;
	}
	br->r = mem_realloc(br->r, (br->n + 1) * sizeof(*br->r));
	if ((rc = regcomp(&br->r[br->n].re, re, REG_EXTENDED | REG_ICASE |
	    REG_NOSUB)) != 0) {
		regerror(rc, &br->r[br->n].re, msg, sizeof(msg));
		textfile_error(errors, name, line, "bad pattern \"%s\": %s", re, msg);
		return -1;
	}
	br->r[br->n].cls = br_classes[c];
	br->r[br->n].field = f;
	br->n++;
	return 0;
}

struct br_parse {
	BOUNCE_RULES	*br;
	const char	*name;
};

static int
br_line_fn(void *ctx, const char *p, size_t l, int n, char **errors)
{
	struct br_parse *bp = ctx;
	char *line = mem_strndup(p, l);
	int rc = br_line(bp->br, line, bp->name, n, errors);

	free(line);
	return rc;
}

BOUNCE_RULES *
bouncerules_parse(const char *text, size_t len, const char *name,
    char **errors)
{
	struct br_parse bp = { mem_calloc(1, sizeof(BOUNCE_RULES)), name };
	BOUNCE_RULES *br = bp.br;

	*errors = NULL;
	if (textfile_lines(text, len, name, br_line_fn, &bp, errors) != 0) {
		bouncerules_free(br);
		return NULL;
	}
	return br;
}

BOUNCE_RULES *
bouncerules_load(const char *path, char **errors)
{
	BOUNCE_RULES *br;
	size_t len;
	char *buf;

	*errors = NULL;
	if ((buf = textfile_read(path, BOUNCERULES_FILE_MAX, &len, errors)) ==
	    NULL)
		return NULL;
	br = bouncerules_parse(buf, len, path, errors);
	free(buf);
	return br;
}

const char *
bouncerules_classify(const BOUNCE_RULES *br, const char *status,
    const char *diag, const char *subject)
{
	char *any;
	const char *v;
	size_t i, n;

	if (br == NULL)
		return "unknown";
	n = strlen(status) + strlen(diag) + strlen(subject) + 3;
	any = mem_alloc(n);
	snprintf(any, n, "%s\n%s\n%s", status, diag, subject);
	for (i = 0; i < br->n; i++) {
		switch (br->r[i].field) {
		case BR_STATUS: v = status; break;
		case BR_DIAGNOSTIC: v = diag; break;
		case BR_SUBJECT: v = subject; break;
		default: v = any; break;
		}
		if (regexec(&br->r[i].re, v, 0, NULL, 0) == 0) {
			free(any);
			return br->r[i].cls;
		}
	}
	free(any);
	return "unknown";
}

size_t
bouncerules_count(const BOUNCE_RULES *br)
{
	return br ? br->n : 0;
}
