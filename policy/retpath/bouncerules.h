/*
 * bouncerules.h - why a recipient's mail came back (a reason), and what
 * that means for the address and the sender (a class): rules from a data
 * file, built in and extended by the operator's.
 *
 *	BOUNCE_RULES *r = bouncerules_load(path, &errors);	the operator's
 *						file, then the built-in rules
 *						(path NULL: built-in only)
 *	r = bouncerules_builtin();		the built-in rules alone
 *	r = bouncerules_parse(text, len, "file", &errors);	one file's alone
 *	bouncerules_add_builtin(r);		then the built-in ones
 *	reason = bouncerules_classify(r, "5.1.1", diagnostic, subject);
 *						(r NULL: the built-in rules)
 *	cls = bouncerules_class(reason);
 *	bouncerules_free(r);
 *
 * Reasons and their classes (one table; only the first three mean that
 * the address is dead, and only they make a "hard" bounce):
 *	user-unknown, host-unknown (no such domain, null MX),
 *	mailbox-disabled				hard
 *	mailbox-full					quota
 *	message-too-large, rate-limited, expired (delivery timed out),
 *	system-error (network or system trouble at either end)	soft
 *	blocked (IP or domain listed, reputation), spam-content,
 *	authentication (SPF, DKIM, DMARC, reverse DNS), policy-other
 *	(relay denied, access denied, protocol or syntax), virus	policy
 *	complaint					complaint
 *	auto-reply					auto-reply
 *	unknown						unknown
 *
 * One rule a line: REASON FIELD REGEX.  REASON is one of the reasons
 * above, or a class word of earlier rules files (hard: user-unknown, soft:
 * system-error, quota: mailbox-full, policy: policy-other); FIELD is
 * status (the enhanced status code, "5.1.1"), diagnostic (the remote
 * server's text), subject (of the bounce) or any (the three joined by new
 * lines); REGEX is a POSIX extended regular expression, matched
 * case-insensitively, the rest of the line after FIELD's white space; a
 * pattern that repeats a repetition ("x++", "(a*)*?") or would be more
 * than 2,000 atoms once its repetitions are unrolled is refused (glibc's
 * regcomp() would take gigabytes or seconds for it).  '#' starts a comment
 * line.  The first rule that matches decides; when none does the reason
 * is "unknown".  Errors are "name:line: message", all of them, and no
 * rules are made.
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
BOUNCE_RULES	*bouncerules_builtin(void);
void		 bouncerules_add_builtin(BOUNCE_RULES *);
const char	*bouncerules_class(const char *reason);
int		 bouncerules_reason_valid(const char *reason);
const char	*bouncerules_classify(const BOUNCE_RULES *, const char *status,
		    const char *diagnostic, const char *subject);
size_t		 bouncerules_count(const BOUNCE_RULES *);
void		 bouncerules_free(BOUNCE_RULES *);

#endif
