/*
 * report_html.h - repguardctl report --html: a self-contained HTML page
 * of the senders' states and charts, the domains that bounce most and
 * the latest state changes.  See report_html.c.
 *
 *	rc = report_html(store, rules, now, fp, err, sizeof(err));  0 or -1
 */
#ifndef REPGUARD_REPORT_HTML_H
#define REPGUARD_REPORT_HTML_H

#include <stdint.h>
#include <stdio.h>

#include "reputation/reputation.h"
#include "store/store.h"

int	report_html(STORE *, const REP_RULES *, int64_t now, FILE *,
	    char *err, size_t errlen);

#endif
