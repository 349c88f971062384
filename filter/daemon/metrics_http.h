/*
 * metrics_http.h - the metrics over HTTP (MetricsListen), for Prometheus.
 *
 *	MHTTP *h = metrics_http_start("127.0.0.1:9521", store, err, errlen);
 *	metrics_http_stop(h);
 *
 * GET /metrics (or /) answers metrics_render() as text/plain version
 * 0.0.4; other paths 404, other methods 405.  The listener runs on
 * libmicrohttpd's own thread.
 */
#ifndef REPGUARD_METRICS_HTTP_H
#define REPGUARD_METRICS_HTTP_H

#include <stddef.h>

#include "store/store.h"

typedef struct MHTTP MHTTP;

MHTTP		*metrics_http_start(const char *spec, STORE *, char *err,
		    size_t errlen);
void		 metrics_http_stop(MHTTP *);

#endif
