/*
 * rpdns.c - return-path domain checks through DNS (see rpdns.h).
 *
 * Owns: rpdns_create(), rpdns_check(), rpdns_lookups(), rpdns_free().
 * Decisions: libresolv's res_nquery() and ns_parserr() do the DNS work;
 * this file only decides (RFC 7505: a single MX of preference 0 whose
 * exchange is the root is a null MX; RFC 5321 5.1: no MX means the A or
 * AAAA record is the mail host).  The cache is a plain array searched
 * linearly under a mutex: small, and lookups are per message only for
 * senders that are not rewritten.
 * A check (up to three queries: MX, A, AAAA) has the configured timeout
 * in all: each query gets what is left of it (one try, res_n*'s retrans
 * set to the seconds left), and none starts once it is spent.
 * Must not: block for longer than the timeout (and its last second's
 * rounding), or cache a DNS error as an answer.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/dnsq.h"
#include "base/mem.h"
#include "retpath/rpdns.h"

struct rpdns_entry {
	char	*domain;
	int	 result;
	char	 why[128];
	int64_t	 until;
};

struct RPDNS {
	struct sockaddr_in	 server;
	int			 have_server;
	int			 timeout;	/* seconds, a whole check */
	pthread_mutex_t		 lock;
	struct rpdns_entry	*cache;
	size_t			 n;
	unsigned long		 lookups;
};

RPDNS *
rpdns_create(const char *server, int timeout, char *err, size_t errlen)
{
	RPDNS *d = mem_calloc(1, sizeof(*d));

	pthread_mutex_init(&d->lock, NULL);
	d->timeout = timeout > 0 ? timeout : RPDNS_TIMEOUT_DEFAULT;
	if (server == NULL)
		return d;
	if (dnsq_server_parse(server, &d->server, err, errlen) != 0) {
		rpdns_free(d);
		return NULL;
	}
	d->have_server = 1;
	return d;
}

void
rpdns_free(RPDNS *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++)
		free(d->cache[i].domain);
	free(d->cache);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

unsigned long
rpdns_lookups(const RPDNS *d)
{
	return __atomic_load_n(&d->lookups, __ATOMIC_RELAXED);
}

static int64_t
rpdns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/*
 * One query, if the deadline (CLOCK_MONOTONIC seconds) is not reached.
 * Returns the number of answers of that type (>= 0), -1 for "no such
 * domain", -2 for a DNS error or no time left; *ttl the smallest TTL
 * seen; *nullmx set for an MX set that is one null MX.
 */
static int
rpdns_query(RPDNS *d, const char *domain, int type, int64_t deadline,
    unsigned *ttl, int *nullmx)
{
	int64_t left = deadline - rpdns_now();

	unsigned char ans[4096];
	struct __res_state st;
	ns_msg msg;
	ns_rr rr;
	int len, i, n, count = 0;

	if (left <= 0)
		return -2;
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return -2;
	st.retry = 1;
	st.retrans = (int)left;
	if (d->have_server) {
		st.nscount = 1;
		st.nsaddr_list[0] = d->server;
	}
	__atomic_add_fetch(&d->lookups, 1, __ATOMIC_RELAXED);
	len = res_nquery(&st, domain, ns_c_in, type, ans, sizeof(ans));
	if (len < 0) {
		i = st.res_h_errno;
		res_nclose(&st);
		if (i == HOST_NOT_FOUND)
			return -1;
		if (i == NO_DATA)
			return 0;
		return -2;
	}
	res_nclose(&st);
	if (ns_initparse(ans, len, &msg) != 0)
		return -2;
	n = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &rr) != 0)
			return -2;
		if ((int)ns_rr_type(rr) != type)
			continue;
		count++;
		if (ns_rr_ttl(rr) < *ttl)
			*ttl = ns_rr_ttl(rr);
		if (type == ns_t_mx && nullmx != NULL) {
			const unsigned char *rd = ns_rr_rdata(rr);

			/* preference 0 and the root as exchange */
			*nullmx = ns_rr_rdlen(rr) == 3 && rd[0] == 0 &&
			    rd[1] == 0 && rd[2] == 0 && n == 1;
		}
	}
	return count;
}

static int
rpdns_lookup(RPDNS *d, const char *domain, char *why, size_t whylen,
    unsigned *ttl)
{
	int n, nullmx = 0;
	int64_t deadline = rpdns_now() + d->timeout;

	*ttl = RPDNS_TTL_MAX;
	n = rpdns_query(d, domain, ns_t_mx, deadline, ttl, &nullmx);
	if (n == -2) {
		snprintf(why, whylen, "DNS did not answer for %s within %d s",
		    domain, d->timeout);
		return RPDNS_ERROR;
	}
	if (n == -1) {
		snprintf(why, whylen, "domain %s does not exist", domain);
		*ttl = RPDNS_TTL_NEG;
		return RPDNS_FAIL;
	}
	if (n > 0 && nullmx) {
		snprintf(why, whylen, "domain %s has a null MX (RFC 7505)",
		    domain);
		return RPDNS_FAIL;
	}
	if (n > 0)
		return RPDNS_OK;
	if ((n = rpdns_query(d, domain, ns_t_a, deadline, ttl, NULL)) > 0)
		return RPDNS_OK;
	if (n == 0 && (n = rpdns_query(d, domain, ns_t_aaaa, deadline, ttl,
	    NULL)) > 0)
		return RPDNS_OK;
	if (n == -2) {
		snprintf(why, whylen, "DNS did not answer for %s within %d s",
		    domain, d->timeout);
		return RPDNS_ERROR;
	}
	snprintf(why, whylen, "domain %s has no MX, A or AAAA record", domain);
	*ttl = RPDNS_TTL_NEG;
	return RPDNS_FAIL;
}

int
rpdns_check(RPDNS *d, const char *domain, int64_t now, char *why,
    size_t whylen)
{
	unsigned ttl;
	size_t i;
	int rc;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->n; i++)
		if (strcasecmp(d->cache[i].domain, domain) == 0 &&
		    d->cache[i].until > now) {
			rc = d->cache[i].result;
			snprintf(why, whylen, "%s", d->cache[i].why);
			pthread_mutex_unlock(&d->lock);
			return rc;
		}
	pthread_mutex_unlock(&d->lock);

	why[0] = '\0';
	rc = rpdns_lookup(d, domain, why, whylen, &ttl);
	if (rc == RPDNS_ERROR)
		return rc;
	if (ttl < RPDNS_TTL_MIN)
		ttl = RPDNS_TTL_MIN;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->n; i++)	/* an old entry for it: replace */
		if (strcasecmp(d->cache[i].domain, domain) == 0)
			break;
	if (i == d->n) {
		if (d->n == RPDNS_CACHE_MAX) {
			for (i = 0; i < d->n; i++)
				free(d->cache[i].domain);
			d->n = 0;
			i = 0;
		}
		d->cache = mem_realloc(d->cache, (d->n + 1) *
		    sizeof(*d->cache));
		d->cache[i].domain = mem_strdup(domain);
		d->n++;
	}
	d->cache[i].result = rc;
	snprintf(d->cache[i].why, sizeof(d->cache[i].why), "%s", why);
	d->cache[i].until = now + ttl;
	pthread_mutex_unlock(&d->lock);
	return rc;
}
