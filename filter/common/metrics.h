/*
 * metrics.h - the daemon's counters, in Prometheus' text format.
 *
 *	metrics_message(METRICS_EV_MESSAGE, "accept", NULL, ms, 2, 1);
 *	metrics_rcpt("suppressed");
 *	metrics_bounce("hard", 3);
 *	metrics_report_rcpts("not-recipient", 40);	recipients of reports,
 *						by verdict
 *	metrics_sign_failed();
 *	n = metrics_encode(buf);		the counters, to keep in the store
 *	rc = metrics_restore(store, err, errlen);	at start: go on from
 *						the stored counters
 *	rc = metrics_load(store, values, err, errlen);	the stored counters
 *	err = metrics_listen_parse("127.0.0.1:9521", &ss, &sslen);
 *	text = metrics_render(store, values, &len);	the exposition: the
 *						counters (values: a stored
 *						copy, NULL: this process's)
 *						and gauges read from the
 *						store (senders by state, the
 *						database's size); with
 *						values NULL also the
 *						process's own (procstat.h)
 *
 * Counters only go up and live in memory (atomic adds on the message
 * path); the daemon writes them to the store's meta database once a
 * second (key METRICS_KEY), so that repguardctl metrics shows them and a
 * restart goes on counting.
 *
 * Must not: allocate or lock on the message path.
 */
#ifndef REPGUARD_METRICS_H
#define REPGUARD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "store/store.h"

#define METRICS_KEY		"metrics"
#define METRICS_VALUE_MAX	4096	/* octets of the stored form */

enum metrics_event {
	METRICS_EV_MESSAGE,
	METRICS_EV_REPORT
};

void		 metrics_message(int event, const char *decision,
		    const char *reason, double ms, size_t signatures,
		    int rewritten);
void		 metrics_rcpt(const char *reason);
void		 metrics_bounce(const char *cls, uint64_t n);
void		 metrics_report_rcpts(const char *verdict, uint64_t n);
void		 metrics_sign_failed(void);
size_t		 metrics_encode(unsigned char *out);
int		 metrics_restore(STORE *, char *err, size_t errlen);
int		 metrics_load(STORE *, uint64_t *values, char *err,
		    size_t errlen);
int		 metrics_decode(const void *val, size_t vlen, uint64_t *values,
		    size_t *n);
size_t		 metrics_count(void);
char		*metrics_render(STORE *, const uint64_t *values, size_t *len);
const char	*metrics_listen_parse(const char *spec,
		    struct sockaddr_storage *, socklen_t *);

#endif
