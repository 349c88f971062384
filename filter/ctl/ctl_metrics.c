/*
 * ctl_metrics.c - repguardctl metrics (see ctl_metrics.h).
 *
 * Owns: ctl_metrics().
 *
 * Decisions: the counters are those the daemon last wrote to the store
 * (once a second), rendered by the same code as its MetricsListen
 * listener, with the gauges read now; no daemon needs to run.
 *
 * Must not: write to the store.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_metrics.h"
#include "ctl/ctl_util.h"
#include "common/metrics.h"

int
ctl_metrics(int argc, char **argv, const char *confpath)
{
	uint64_t *v;
	char err[512] = "", *text;
	size_t len;
	CONF *conf;
	STORE *st;
	int rc = 0;

	(void)argv;
	if (argc > 1) {
		return ctl_usage("usage: repguardctl metrics\n",
		    "metrics takes no arguments");
	}
	st = ctl_open(confpath, &conf);
	v = calloc(metrics_count(), sizeof(*v));
	if (v == NULL || metrics_load(st, v, err, sizeof(err)) != 0) {
		fprintf(stderr, "repguardctl: database: %s\n", err);
		rc = 1;
	} else if ((text = metrics_render(st, v, &len)) == NULL) {
		fprintf(stderr, "repguardctl: cannot render the metrics\n");
		rc = 1;
	} else {
		fwrite(text, 1, len, stdout);
		free(text);
	}
	free(v);
	store_close(st);
	conf_unref(conf);
	return rc;
}
