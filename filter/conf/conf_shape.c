/*
 * conf_shape.c - the traffic-shaping part of a configuration snapshot:
 * classes, rate limits, the domain limits file, warm-up, bulk compliance.
 *
 * Owns: conf_shaping_build(), conf_shaping_free(), conf_shaping_find().
 *
 * Decisions: built from the keywords' values (already checked by their
 * types), which conf_snapshot.c passes; what only makes sense together
 * is checked here, at the keyword's line: a template's variables,
 * BulkCompliance add without a ListUnsubscribeURL.  The DomainLimits
 * file is read whole; its errors are at its own lines.  The probation
 * limit stays with the reputation keywords: conf_shaping_find() is given
 * it.
 *
 * Must not: log, call back into the snapshot it helps to build, or keep
 * pointers into a snapshot other than the one it belongs to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shaping/compliance.h"
#include "conf/conf_int.h"
#include "base/mem.h"
#include "base/textfile.h"

static void
conf_shape_rule(const struct conf_val *v, BUCKET_RULE *r)
{
	memset(r, 0, sizeof(*r));
	if (v->s != NULL && bucket_rule_parse(v->s, strlen(v->s), r) != NULL)
		memset(r, 0, sizeof(*r));	/* checked when read */
}

static void
conf_shape_template(const struct conf_val *v, const char *path,
    const char *kw, int url, char **errors)
{
	const char *err;

	if (v->s != NULL && (err = compliance_template_check(v->s, url)) !=
	    NULL)
		textfile_error(errors, path, v->line, "%s: %s", kw, err);
}

/* The DomainLimits file dl names, parsed into sh; errors added. */
static void
conf_shape_domains(const struct conf_val *dl, const char *path,
    CONF_SHAPING *sh, char **errors)
{
	char *buf, *derr = NULL;
	size_t len;

	if ((buf = textfile_read(dl->s, DOMLIMIT_FILE_MAX, &len, &derr)) ==
	    NULL) {
		derr[strcspn(derr, "\n")] = '\0';
		textfile_error(errors, path, dl->line, "DomainLimits: %s", derr);
		free(derr);
		return;
	}
	if ((sh->domains = domlimit_parse(buf, len, dl->s, &derr)) == NULL) {
		/* its own "file:line: message" lines */
		len = *errors != NULL ? strlen(*errors) : 0;
		*errors = mem_realloc(*errors, len + strlen(derr) + 1);
		memcpy(*errors + len, derr, strlen(derr) + 1);
	}
	free(derr);
	free(buf);
}

/* From the values v of the file path: NULL, or the errors
 * ("file:line: message" lines). */
char *
conf_shaping_build(const struct conf_val *v, const char *path,
    CONF_SHAPING *sh)
{
	char *errors = NULL;
	const char *s;

	memset(sh, 0, sizeof(*sh));
	sh->tclass.class_header = v[KW_CLASS_HEADER].s;
	sh->tclass.bulk_senders = v[KW_BULK_SENDERS].s;
	sh->tclass.transactional_senders = v[KW_TRANSACTIONAL_SENDERS].s;
	conf_shape_rule(&v[KW_BULK_LIMIT], &sh->bulk);
	conf_shape_rule(&v[KW_TRANSACTIONAL_LIMIT], &sh->transactional);
	conf_shape_rule(&v[KW_RELAY_LIMIT], &sh->relay);
	conf_shape_rule(&v[KW_REPORT_CLIENT_LIMIT], &sh->report_client);
	if (v[KW_WARMUP_START].s != NULL) {
		sh->warmup_start = v[KW_WARMUP_START].n;
		s = v[KW_WARMUP_SCHEDULE].s;
		(void)warmup_parse(s, strlen(s), &sh->warmup);
	}
	sh->compliance = (int)v[KW_BULK_COMPLIANCE].n;
	conf_shape_template(&v[KW_LIST_UNSUBSCRIBE_URL], path,
	    "ListUnsubscribeURL", 1, &errors);
	conf_shape_template(&v[KW_FEEDBACK_ID], path, "FeedbackID", 0,
	    &errors);
	sh->unsubscribe_url = v[KW_LIST_UNSUBSCRIBE_URL].s;
	sh->feedback_id = v[KW_FEEDBACK_ID].s;
	if (sh->compliance == CONF_COMPLIANCE_ADD && sh->unsubscribe_url ==
	    NULL)
		textfile_error(&errors, path, v[KW_BULK_COMPLIANCE].line,
		    "BulkCompliance add needs ListUnsubscribeURL (the URL the "
		    "headers point to)");
	if (v[KW_DOMAIN_LIMITS].s != NULL)
		conf_shape_domains(&v[KW_DOMAIN_LIMITS], path, sh, &errors);
	return errors;
}

/*
 * The rule in force for a bucket, by its name (the names milter_shape.c
 * gives), under the shaping sh, the reputation rules rr (NULL: Reputation
 * no) and ProbationLimit probation: 1 and *r, with the setting it comes
 * from in what; 0 if no setting makes such a bucket now.
 */
int
conf_shaping_find(const CONF_SHAPING *sh, const REP_RULES *rr,
    long long probation, const char *name, BUCKET_RULE *r, char *what,
    size_t whatsize)
{
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
	    probation > 0) {
		r->tokens = r->burst = probation;
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
