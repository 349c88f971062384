/*
 * doctor_result.c - the doctor's results (see doctor_result.h).
 *
 * Owns: doctor_add(), doctor_status(), doctor_verdict_name(),
 * doctor_free().
 *
 * Decisions: results are kept in the order the checks add them, which
 * is the order they are printed in; the worst verdict is the status.
 *
 * Must not: run a check, ask DNS, or print.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/doctor_result.h"
#include "base/mem.h"

DOCTOR_RESULT *
doctor_add(DOCTOR *doc, const char *check, const char *subject, int verdict,
    const char *fix, const char *fmt, ...)
{
	DOCTOR_RESULT *r;
	va_list ap;

	doc->r = mem_realloc(doc->r, (doc->n + 1) * sizeof(*doc->r));
	r = &doc->r[doc->n++];
	memset(r, 0, sizeof(*r));
	r->check = check;
	r->verdict = verdict;
	snprintf(r->subject, sizeof(r->subject), "%s", subject);
	snprintf(r->fix, sizeof(r->fix), "%s", fix != NULL ? fix : "");
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	return r;
}

int
doctor_status(const DOCTOR *doc)
{
	int worst = DOCTOR_PASS;
	size_t i;

	for (i = 0; i < doc->n; i++)
		if (doc->r[i].verdict > worst)
			worst = doc->r[i].verdict;
	return worst;
}

const char *
doctor_verdict_name(int v)
{
	return v == DOCTOR_PASS ? "pass" : v == DOCTOR_WARN ? "warn" : "fail";
}

void
doctor_free(DOCTOR *doc)
{
	free(doc->r);
	memset(doc, 0, sizeof(*doc));
}
