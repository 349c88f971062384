/*
 * dnsq.h - plain DNS lookups for the deliverability doctor, optionally of
 * one given server ("127.0.0.1:5353").
 *
 *	DNSQ *q = dnsq_create("127.0.0.1:5353", err, sizeof(err));
 *	rc = dnsq_lookup(q, "sel._domainkey.example.com", DNSQ_TXT, &rr, &n);
 *		DNSQ_OK (n answers of that type, n may be 0), DNSQ_NXDOMAIN,
 *		DNSQ_ERROR (no answer: timeout, SERVFAIL)
 *	rr[i].text	TXT: the strings joined; MX: "PREF NAME"; A, AAAA:
 *			the address; PTR: the name (no trailing dot)
 *	dnsq_free_rr(rr, n);
 *	dnsq_free(q);
 *
 * Uses glibc's thread-safe res_n* resolver (libresolv) with a state of
 * its own per lookup, pointed at the given server when there is one.
 */
#ifndef REPGUARD_DNSQ_H
#define REPGUARD_DNSQ_H

#include <stddef.h>

enum { DNSQ_OK, DNSQ_NXDOMAIN, DNSQ_ERROR };
enum { DNSQ_A = 1, DNSQ_PTR = 12, DNSQ_MX = 15, DNSQ_TXT = 16,
	DNSQ_AAAA = 28 };

typedef struct DNSQ DNSQ;

typedef struct {
	char	*text;
	int	 pref;		/* MX */
} DNSQ_RR;

struct sockaddr_in;
int		 dnsq_server_parse(const char *server, struct sockaddr_in *,
		    char *err, size_t errlen);
DNSQ		*dnsq_create(const char *server, char *err, size_t errlen);
int		 dnsq_lookup(DNSQ *, const char *name, int type, DNSQ_RR **rr,
		    size_t *n);
void		 dnsq_free_rr(DNSQ_RR *, size_t n);
void		 dnsq_free(DNSQ *);

#endif
