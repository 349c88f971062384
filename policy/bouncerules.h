/*
 * bouncerules.h - how a bounce is classified: rules from a data file
 * operators can extend.
 *
 *	BOUNCE_RULES *r = bouncerules_parse(text, len, "file", &errors);
 *	cls = bouncerules_classify(r, "5.1.1", diagnostic, subject);
 *	bouncerules_free(r);
 *
 * One rule a line: CLASS FIELD REGEX.  CLASS is one of hard, soft, quota,
 * policy, complaint, auto-reply, unknown; FIELD is status (the enhanced
 * status code, "5.1.1"), diagnostic (the remote server's text), subject
 * (of the bounce) or any (the three joined by new lines); REGEX is a POSIX
 * extended regular expression, matched case-insensitively, the rest of the
 * line after FIELD's white space; a pattern that repeats a repetition
 * ("x++", "(a*)*?") or would be more than 2,000 atoms once its repetitions
 * are unrolled is refused (glibc's regcomp() would take gigabytes or
 * seconds for it).  '#' starts a comment line.  The first
 * rule that matches decides; when none does the class is "unknown".
 * Errors are "name:line: message", all of them, and no rules are made.
 */
#ifndef REPGUARD_BOUNCERULES_H
#define REPGUARD_BOUNCERULES_H

#include <stddef.h>

#define BOUNCERULES_MAX		1000
#define BOUNCERULES_FILE_MAX	(256 * 1024)

typedef struct BOUNCE_RULES BOUNCE_RULES;

BOUNCE_RULES	*bouncerules_parse(const char *text, size_t len,
		    const char *name, char **errors);
BOUNCE_RULES	*bouncerules_load(const char *path, char **errors);
const char	*bouncerules_classify(const BOUNCE_RULES *, const char *status,
		    const char *diagnostic, const char *subject);
size_t		 bouncerules_count(const BOUNCE_RULES *);
void		 bouncerules_free(BOUNCE_RULES *);

#endif
