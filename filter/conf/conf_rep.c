/*
 * conf_rep.c - the reputation engine's rules of a configuration snapshot,
 * from their keywords' values.
 *
 * Owns: conf_rep_build().
 *
 * Decisions: given the values (conf_snapshot.c passes them), like
 * conf_shape.c; the keywords' own types were checked when they were read,
 * so what is left is what only makes sense together (the short window
 * shorter than the long one), an error at the keyword's line.
 *
 * Must not: log, or call back into the snapshot it helps to build.
 */
#include <stdint.h>
#include <stdlib.h>

#include "conf/conf_int.h"
#include "base/textfile.h"

/* The rules into r; NULL, or the errors ("file:line: message" lines). */
char *
conf_rep_build(const struct conf_val *v, const char *path, REP_RULES *r)
{
	const struct conf_val *shrt = &v[KW_RATE_WINDOW_SHORT];
	const struct conf_val *lng = &v[KW_RATE_WINDOW_LONG];
	char *errors = NULL;

	rep_rules_default(r);
	r->window[0] = shrt->n;
	r->window[1] = lng->n;
	r->min_volume = (uint64_t)v[KW_MINIMUM_VOLUME].n;
	r->min_events = (uint64_t)v[KW_MINIMUM_EVENTS].n;
	r->warn_hard = (uint32_t)v[KW_WARN_HARD_RATE].n;
	r->warn_complaint = (uint32_t)v[KW_WARN_COMPLAINT_RATE].n;
	r->warn_block = (uint32_t)v[KW_WARN_BLOCK_RATE].n;
	r->pause_hard = (uint32_t)v[KW_PAUSE_HARD_RATE].n;
	r->pause_complaint = (uint32_t)v[KW_PAUSE_COMPLAINT_RATE].n;
	r->pause_block = (uint32_t)v[KW_PAUSE_BLOCK_RATE].n;
	r->abs_hard = (uint64_t)v[KW_PAUSE_HARD].n;
	r->abs_complaint = (uint64_t)v[KW_PAUSE_COMPLAINTS].n;
	r->policy_burst = (uint64_t)v[KW_PAUSE_POLICY].n;
	r->cooldown = v[KW_PAUSE_COOLDOWN].n;
	r->strict = (unsigned)(v[KW_PROBATION_STRICTNESS].n / 10000);
	if (r->window[0] >= r->window[1])
		textfile_error(&errors, path, shrt->line ? shrt->line :
		    lng->line, "RateWindowShort (%s) must be shorter than "
		    "RateWindowLong (%s)", shrt->s, lng->s);
	return errors;
}
