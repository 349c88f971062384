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

#include "ctl.h"
#include "ctl_metrics.h"
#include "metrics.h"

struct ctl_metrics {
	uint64_t	*v;
	int		 found;
};

static int
ctl_metrics_fn(STORE_TXN *t, void *ctx)
{
	struct ctl_metrics *m = ctx;
	const void *v;
	size_t vlen, n;
	int rc = store_get(t, STORE_DB_META, METRICS_KEY, strlen(METRICS_KEY),
	    &v, &vlen);

	m->found = rc == 0 && metrics_decode(v, vlen, m->v, &n) == 0;
	return rc == STORE_ERROR ? STORE_ERROR : 0;
}

int
ctl_metrics(int argc, char **argv, const char *confpath)
{
	struct ctl_metrics m;
	char err[512] = "", *text;
	size_t len;
	CONF *conf;
	STORE *st;
	int rc = 0;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "repguardctl: metrics takes no arguments\n"
		    "usage: repguardctl metrics\n");
		return 2;
	}
	st = ctl_open(confpath, &conf);
	m.v = calloc(metrics_count(), sizeof(*m.v));
	if (m.v == NULL || store_read(st, ctl_metrics_fn, &m, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "repguardctl: database: %s\n", err);
		rc = 1;
	} else if ((text = metrics_render(st, m.v, &len)) == NULL) {
		fprintf(stderr, "repguardctl: cannot render the metrics\n");
		rc = 1;
	} else {
		fwrite(text, 1, len, stdout);
		free(text);
	}
	free(m.v);
	store_close(st);
	conf_unref(conf);
	return rc;
}
