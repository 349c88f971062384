/*
 * metrics_http.c - the metrics listener (see metrics_http.h), on
 * libmicrohttpd.
 *
 * Owns: metrics_http_start(), metrics_http_stop().
 *
 * Decisions: an address and a port are required ("127.0.0.1:9521",
 * "[::1]:9521"): the counters name senders' states and refusals, so the
 * operator chooses where they are seen, loopback by default in the
 * examples.  libmicrohttpd runs one internal thread, started with every
 * signal blocked so that the daemon's signals reach its main thread.
 *
 * Must not: answer anything but the metrics, or keep a request's state.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "base/mem.h"
#include "common/metrics.h"
#include "daemon/metrics_http.h"

struct MHTTP {
	struct MHD_Daemon	*d;
	STORE			*st;
};

static enum MHD_Result
metrics_http_answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req)
{
	MHTTP *h = cls;
	struct MHD_Response *r;
	enum MHD_Result rc;
	unsigned status = MHD_HTTP_OK;
	const char *type = "text/plain; version=0.0.4; charset=utf-8";
	char *body;
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		body = mem_strdup("only GET\n");
		len = strlen(body);
	} else if (strcmp(url, "/metrics") != 0 && strcmp(url, "/") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		body = mem_strdup("not found: the metrics are at /metrics\n");
		len = strlen(body);
	} else if ((body = metrics_render(h->st, NULL, &len)) == NULL) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		body = mem_strdup("cannot render the metrics\n");
		len = strlen(body);
	}
	r = MHD_create_response_from_buffer(len, body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

MHTTP *
metrics_http_start(const char *spec, STORE *st, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	sigset_t all, old;
	socklen_t len;
	const char *why;
	MHTTP *h;

	if ((why = metrics_listen_parse(spec, &ss, &len)) != NULL) {
		snprintf(err, errlen, "MetricsListen %s: %s", spec, why);
		return NULL;
	}
	h = mem_calloc(1, sizeof(*h));
	h->st = st;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL,
	    metrics_http_answer, h, MHD_OPTION_SOCK_ADDR, &ss,
	    MHD_OPTION_CONNECTION_LIMIT, 16U,
	    MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (h->d == NULL) {
		snprintf(err, errlen, "MetricsListen %s: cannot listen there "
		    "(in use, or not an address of this host)", spec);
		free(h);
		return NULL;
	}
	return h;
}

void
metrics_http_stop(MHTTP *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
