/*
 * dnsq.c - DNS lookups for the doctor and the return-path checks (see dnsq.h).
 *
 * Owns: dnsq_server_parse(), dnsq_create(), dnsq_lookup(), dnsq_free_rr(),
 * dnsq_free().
 *
 * Decisions: answers are turned into text at once (names expanded with
 * dn_expand against the message, TXT strings joined as DKIM, SPF and
 * DMARC records are read), so callers never see wire format.  Only the
 * answer section's records of the asked type count (a CNAME chain is
 * followed by the server).
 *
 * Must not: cache (the doctor wants what DNS says now), or use the
 * process-wide resolver state.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsq.h"
#include "base/mem.h"

struct DNSQ {
	struct sockaddr_in	 server;
	int			 have_server;
};

/* "IPv4[:PORT]" (port 53 by default): 0, or -1 with err set. */
int
dnsq_server_parse(const char *server, struct sockaddr_in *sin, char *err,
    size_t errlen)
{
	char host[64];
	const char *colon = strrchr(server, ':');
	char *end = NULL;
	long port = 53;

	snprintf(host, sizeof(host), "%.*s", colon ? (int)(colon - server) :
	    (int)strlen(server), server);
	if (colon != NULL)
		port = strtol(colon + 1, &end, 10);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	if (port < 1 || port > 65535 || (end != NULL && *end != '\0') ||
	    inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		snprintf(err, errlen, "expected IPv4-ADDRESS[:PORT], got "
		    "\"%s\"", server);
		return -1;
	}
	return 0;
}

DNSQ *
dnsq_create(const char *server, char *err, size_t errlen)
{
	DNSQ *q = mem_calloc(1, sizeof(*q));

	if (server == NULL)
		return q;
	if (dnsq_server_parse(server, &q->server, err, errlen) != 0) {
		free(q);
		return NULL;
	}
	q->have_server = 1;
	return q;
}

void
dnsq_free(DNSQ *q)
{
	free(q);
}

void
dnsq_free_rr(DNSQ_RR *rr, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(rr[i].text);
	free(rr);
}

/* One record's data as text; NULL if it is malformed. */
static char *
dnsq_text(const ns_msg *msg, const ns_rr *rr, int type, int *pref)
{
	const unsigned char *rd = ns_rr_rdata(*rr);
	size_t len = ns_rr_rdlen(*rr), i, o = 0;
	char name[NS_MAXDNAME], addr[INET6_ADDRSTRLEN], *out;

	switch (type) {
	case DNSQ_TXT:
		out = mem_alloc(len + 1);
		for (i = 0; i < len; i += 1 + rd[i]) {
			if (i + 1 + rd[i] > len) {
				free(out);
				return NULL;
			}
			memcpy(out + o, rd + i + 1, rd[i]);
			o += rd[i];
		}
		out[o] = '\0';
		return out;
	case DNSQ_MX:
	case DNSQ_PTR:
		if (type == DNSQ_MX) {
			if (len < 3)
				return NULL;
			*pref = rd[0] << 8 | rd[1];
			rd += 2;
		}
		if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), rd, name,
		    sizeof(name)) < 0)
			return NULL;
		return mem_strdup(name);
	case DNSQ_A:
	case DNSQ_AAAA:
		if (len != (type == DNSQ_A ? 4u : 16u) || inet_ntop(type ==
		    DNSQ_A ? AF_INET : AF_INET6, rd, addr, sizeof(addr)) ==
		    NULL)
			return NULL;
		return mem_strdup(addr);
	}
	return NULL;
}

int
dnsq_lookup(DNSQ *q, const char *name, int type, DNSQ_RR **rrp, size_t *np)
{
	unsigned char ans[8192];
	struct __res_state st;
	DNSQ_RR *rr = NULL;
	ns_msg msg;
	ns_rr one;
	int len, i, count, err;
	size_t n = 0;

	*rrp = NULL;
	*np = 0;
	memset(&st, 0, sizeof(st));
	if (res_ninit(&st) != 0)
		return DNSQ_ERROR;
	st.retry = 2;
	st.retrans = 2;
	if (q->have_server) {
		st.nscount = 1;
		st.nsaddr_list[0] = q->server;
	}
	len = res_nquery(&st, name, ns_c_in, type, ans, sizeof(ans));
	err = st.res_h_errno;
	res_nclose(&st);
	if (len < 0)
		return err == HOST_NOT_FOUND ? DNSQ_NXDOMAIN : err == NO_DATA ?
		    DNSQ_OK : DNSQ_ERROR;
	if (ns_initparse(ans, len, &msg) != 0)
		return DNSQ_ERROR;
	count = ns_msg_count(msg, ns_s_an);
	rr = mem_calloc((size_t)count + 1, sizeof(*rr));
	for (i = 0; i < count; i++) {
		if (ns_parserr(&msg, ns_s_an, i, &one) != 0) {
			dnsq_free_rr(rr, n);
			return DNSQ_ERROR;
		}
		if ((int)ns_rr_type(one) != type)
			continue;
		if ((rr[n].text = dnsq_text(&msg, &one, type, &rr[n].pref)) !=
		    NULL)
			n++;
	}
	*rrp = rr;
	*np = n;
	return DNSQ_OK;
}
