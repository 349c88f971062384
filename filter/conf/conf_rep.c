/*
 * conf_rep.c - the reputation engine's rules of a configuration snapshot,
 * from their keywords.
 *
 * Owns: conf_rep_load().
 *
 * Decisions: read through the public accessors, like conf_shape.c; the
 * keywords' own types were checked when they were read, so what is left
 * is what only makes sense together (the short window shorter than the
 * long one), an error at the keyword's line.
 *
 * Must not: log.
 */
#include <stdint.h>
#include <stdlib.h>

#include "conf/conf.h"
#include "base/textfile.h"

/* The rules into r; NULL, or the errors ("file:line: message" lines). */
char *
conf_rep_load(const CONF *c, REP_RULES *r)
{
	char *errors = NULL;
	int line;

	rep_rules_default(r);
	r->window[0] = conf_num(c, "RateWindowShort");
	r->window[1] = conf_num(c, "RateWindowLong");
	r->min_volume = (uint64_t)conf_num(c, "MinimumVolume");
	r->min_events = (uint64_t)conf_num(c, "MinimumEvents");
	r->warn_hard = (uint32_t)conf_num(c, "WarnHardBounceRate");
	r->warn_complaint = (uint32_t)conf_num(c, "WarnComplaintRate");
	r->warn_block = (uint32_t)conf_num(c, "WarnBlockRate");
	r->pause_hard = (uint32_t)conf_num(c, "PauseHardBounceRate");
	r->pause_complaint = (uint32_t)conf_num(c, "PauseComplaintRate");
	r->pause_block = (uint32_t)conf_num(c, "PauseBlockRate");
	r->abs_hard = (uint64_t)conf_num(c, "PauseHardBounces");
	r->abs_complaint = (uint64_t)conf_num(c, "PauseComplaints");
	r->policy_burst = (uint64_t)conf_num(c, "PausePolicyBounces");
	r->cooldown = conf_num(c, "PauseCooldown");
	r->strict = (unsigned)(conf_num(c, "ProbationStrictness") / 10000);
	if (r->window[0] >= r->window[1]) {
		line = conf_line(c, "RateWindowShort");
		textfile_error(&errors, conf_path(c), line ? line :
		    conf_line(c, "RateWindowLong"), "RateWindowShort (%s) must "
		    "be shorter than RateWindowLong (%s)",
		    conf_str(c, "RateWindowShort"),
		    conf_str(c, "RateWindowLong"));
	}
	return errors;
}
