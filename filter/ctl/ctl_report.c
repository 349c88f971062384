/*
 * ctl_report.c - repguardctl report --html FILE (report_html.c draws it).
 *
 * Owns: ctl_report().
 *
 * Decisions: the page is written to FILE.tmp and renamed, so a page being
 * served is never half-written; "-" writes to standard output.  The
 * thresholds drawn are the configuration's (the defaults when Reputation
 * is off).
 *
 * Must not: write to the store.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "ctl/ctl_report.h"
#include "ctl/ctl_util.h"
#include "ctl/report_html.h"

int
ctl_report(int argc, char **argv, const char *confpath)
{
	static const struct option longopts[] = {
		{ "html", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	char err[512] = "", tmp[4200];
	const REP_RULES *rr;
	REP_RULES def;
	CONF *conf;
	STORE *st;
	FILE *fp;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		if (ch != 'H') {
			out = NULL;
			break;
		}
		out = optarg;
	}
	if (out == NULL || optind != argc || strlen(out) > 4000)
		return ctl_usage("usage: repguardctl report --html FILE|-\n",
		    NULL);
	st = ctl_open(confpath, &conf);
	rr = ctl_rules(conf, &def);
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	fp = strcmp(out, "-") == 0 ? stdout : fopen(tmp, "w");
	if (fp == NULL) {
		fprintf(stderr, "repguardctl: %s: %m\n", tmp);
		rc = 1;
	} else if ((rc = report_html(st, rr, clock_now(), fp, err,
	    sizeof(err))) != 0 || (fp != stdout && fclose(fp) != 0) ||
	    (fp != stdout && rename(tmp, out) != 0)) {
		fprintf(stderr, "repguardctl: report: %s\n", err[0] ? err :
		    "cannot write the page");
		if (fp != stdout)
			remove(tmp);
		rc = 1;
	} else if (fp == stdout)
		fflush(stdout);
	store_close(st);
	conf_unref(conf);
	return rc;
}
