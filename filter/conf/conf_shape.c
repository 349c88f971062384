/*
 * conf_shape.c - the traffic-shaping part of a configuration snapshot:
 * classes, rate limits, the domain limits file, warm-up, bulk compliance.
 *
 * Owns: conf_shaping_load(), conf_shaping_free(), conf_shaping_rule().
 *
 * Decisions: built from the snapshot's keywords (already checked by
 * their types) through the public accessors; what only makes sense
 * together is checked here, at the keyword's line: a template's
 * variables, BulkCompliance add without a ListUnsubscribeURL.  The
 * DomainLimits file is read whole; its errors are at its own lines.
 * The probation limit stays with the reputation keywords.
 *
 * Must not: log, or keep pointers into a snapshot other than the one
 * it belongs to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shaping/compliance.h"
#include "conf/conf.h"
#include "base/mem.h"
#include "base/textfile.h"

static void
conf_shape_rule(const CONF *c, const char *kw, BUCKET_RULE *r)
{
	const char *s = conf_str(c, kw);

	memset(r, 0, sizeof(*r));
	if (s != NULL && bucket_rule_parse(s, strlen(s), r) != NULL)
		memset(r, 0, sizeof(*r));	/* checked when read */
}

static void
conf_shape_template(const CONF *c, const char *kw, int url, char **errors)
{
	const char *s = conf_str(c, kw), *err;

	if (s != NULL && (err = compliance_template_check(s, url)) != NULL)
		textfile_error(errors, conf_path(c), conf_line(c, kw), "%s: %s",
		    kw, err);
}

/* NULL, or the errors ("file:line: message" lines). */
char *
conf_shaping_load(const CONF *c, CONF_SHAPING *sh)
{
	char *errors = NULL, *buf, *derr = NULL;
	const char *s;
	size_t len;

	memset(sh, 0, sizeof(*sh));
	sh->tclass.class_header = conf_str(c, "ClassHeader");
	sh->tclass.bulk_senders = conf_str(c, "BulkSenders");
	sh->tclass.transactional_senders = conf_str(c, "TransactionalSenders");
	conf_shape_rule(c, "BulkLimit", &sh->bulk);
	conf_shape_rule(c, "TransactionalLimit", &sh->transactional);
	conf_shape_rule(c, "RelayLimit", &sh->relay);
	conf_shape_rule(c, "ReportClientLimit", &sh->report_client);
	if (conf_str(c, "WarmupStart") != NULL) {
		sh->warmup_start = conf_num(c, "WarmupStart");
		s = conf_str(c, "WarmupSchedule");
		(void)warmup_parse(s, strlen(s), &sh->warmup);
	}
	sh->compliance = (int)conf_num(c, "BulkCompliance");
	conf_shape_template(c, "ListUnsubscribeURL", 1, &errors);
	conf_shape_template(c, "FeedbackID", 0, &errors);
	sh->unsubscribe_url = conf_str(c, "ListUnsubscribeURL");
	sh->feedback_id = conf_str(c, "FeedbackID");
	if (sh->compliance == CONF_COMPLIANCE_ADD && sh->unsubscribe_url ==
	    NULL)
		textfile_error(&errors, conf_path(c), conf_line(c,
		    "BulkCompliance"), "BulkCompliance add needs "
		    "ListUnsubscribeURL (the URL the headers point to)");
	if ((s = conf_str(c, "DomainLimits")) != NULL) {
		if ((buf = textfile_read(s, DOMLIMIT_FILE_MAX, &len, &derr)) ==
		    NULL) {
			derr[strcspn(derr, "\n")] = '\0';
			textfile_error(&errors, conf_path(c), conf_line(c,
			    "DomainLimits"), "DomainLimits: %s", derr);
			free(derr);
		} else {
			if ((sh->domains = domlimit_parse(buf, len, s,
			    &derr)) == NULL) {
				/* its own "file:line: message" lines */
				len = errors != NULL ? strlen(errors) : 0;
				errors = mem_realloc(errors, len +
				    strlen(derr) + 1);
				memcpy(errors + len, derr, strlen(derr) + 1);
			}
			free(derr);
			free(buf);
		}
	}
	return errors;
}

/*
 * The rule in force for a bucket, by its name (the names milter_shape.c
 * gives): 1 and *r, with the setting it comes from in what; 0 if no
 * setting makes such a bucket now.
 */
int
conf_shaping_rule(const CONF *c, const char *name, BUCKET_RULE *r,
    char *what, size_t whatsize)
{
	const CONF_SHAPING *sh = conf_shaping(c);
	const REP_RULES *rr = conf_rep_rules(c);
	const DOMLIMIT *hit[2];
	const char *p, *end;
	char dom[300];
	size_t n, i;
	int64_t day;
	int dayno;

	memset(r, 0, sizeof(*r));
	if (strncmp(name, "sender:", 7) == 0 && (end = strrchr(name, ':')) !=
	    name + 6) {
		if (strcmp(end, ":bulk") == 0 && sh->bulk.tokens > 0) {
			*r = sh->bulk;
			snprintf(what, whatsize, "BulkLimit");
		} else if (strcmp(end, ":transactional") == 0 &&
		    sh->transactional.tokens > 0) {
			*r = sh->transactional;
			snprintf(what, whatsize, "TransactionalLimit");
		}
	} else if (strncmp(name, "probation:", 10) == 0 && rr != NULL &&
	    conf_probation_limit(c) > 0) {
		r->tokens = r->burst = conf_probation_limit(c);
		r->period_ms = rr->window[0] * 1000;
		snprintf(what, whatsize, "ProbationLimit");
	} else if (strcmp(name, "relay") == 0 && sh->relay.tokens > 0) {
		*r = sh->relay;
		snprintf(what, whatsize, "RelayLimit");
	} else if (strncmp(name, "report:", 7) == 0 &&
	    sh->report_client.tokens > 0) {
		*r = sh->report_client;
		snprintf(what, whatsize, "ReportClientLimit");
	} else if (strncmp(name, "warmup:", 7) == 0 && sh->warmup_start != 0 &&
	    warmup_date_parse(name + 7, strlen(name + 7), &day) == NULL &&
	    (r->tokens = warmup_limit(&sh->warmup, sh->warmup_start, day,
	    &dayno)) > 0) {
		r->burst = r->tokens;
		snprintf(what, whatsize, "WarmupSchedule day %d", dayno);
	} else if (strncmp(name, "domain:", 7) == 0 && sh->domains != NULL) {
		p = name + 7;
		n = strcspn(p, ":");
		snprintf(dom, sizeof(dom), "%.*s", (int)n, p);
		for (i = domlimit_find(sh->domains, dom, hit); i-- > 0; )
			if (hit[i]->per_sender == (p[n] == ':')) {
				*r = hit[i]->rule;
				snprintf(what, whatsize, "DomainLimits line %d",
				    hit[i]->line);
			}
	}
	return r->tokens > 0;
}

void
conf_shaping_free(CONF_SHAPING *sh)
{
	domlimit_free(sh->domains);
	sh->domains = NULL;
}
