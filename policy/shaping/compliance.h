/*
 * compliance.h - what bulk mail must carry for the large mailbox
 * providers (their 2024 sender rules, RFC 8058): a List-Unsubscribe
 * header with an https URI and "List-Unsubscribe-Post:
 * List-Unsubscribe=One-Click"; and the templates repguard fills in to
 * add them (and a Feedback-ID).
 *
 *	COMPLIANCE_MSG m;
 *	compliance_init(&m);
 *	compliance_header(&m, name, value);	each header, as they come
 *	missing = compliance_missing(&m);	0, or COMPLIANCE_NO_* bits
 *	compliance_missing_text(missing, buf, size)	"List-Unsubscribe-Post"
 *	err = compliance_template_check(tmpl, url);	NULL or why not
 *	rc = compliance_expand(tmpl, &vars, url, out, size);	-1: too long
 *
 * Templates name %{sender} (the sender key), %{domain} (its domain),
 * %{class} and %{rcpt} (the recipient, when there is exactly one: else
 * compliance_expand() fails with -2).  In a URL template the values are
 * percent-encoded; in a header template ':' and anything unprintable
 * become '_' (Feedback-ID's fields are colon-separated).
 *
 * Must not: keep headers, include lmdb.h or any filter/ header.
 */
#ifndef REPGUARD_COMPLIANCE_H
#define REPGUARD_COMPLIANCE_H

#include <stddef.h>

#define COMPLIANCE_NO_UNSUBSCRIBE	0x01	/* no List-Unsubscribe */
#define COMPLIANCE_NO_HTTPS		0x02	/* ... it has no https URI */
#define COMPLIANCE_NO_ONE_CLICK		0x04	/* no List-Unsubscribe-Post:
						 * List-Unsubscribe=One-Click */

typedef struct {
	int		 unsubscribe, https, one_click, feedback_id;
} COMPLIANCE_MSG;

typedef struct {
	const char	*sender, *domain, *class_name;
	const char	*rcpt;		/* NULL: not exactly one recipient */
} COMPLIANCE_VARS;

void		 compliance_init(COMPLIANCE_MSG *);
void		 compliance_header(COMPLIANCE_MSG *, const char *name,
		    const char *value);
int		 compliance_missing(const COMPLIANCE_MSG *);
void		 compliance_missing_text(int missing, char *out, size_t outsize);
const char	*compliance_template_check(const char *tmpl, int url);
int		 compliance_expand(const char *tmpl, const COMPLIANCE_VARS *,
		    int url, char *out, size_t outsize);

#endif
