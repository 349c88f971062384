/*
 * rpdns.h - can a return-path domain receive bounces?  Asked of DNS, with
 * the answers cached for their TTL.
 *
 *	RPDNS *d = rpdns_create("127.0.0.1:5353", 5, err, sizeof(err));
 *				NULL server: the system's resolver; 5: the
 *				seconds a check may take in all (0: default)
 *	rc = rpdns_check(d, "example.com", now, why, sizeof(why));
 *		RPDNS_OK	an MX (not a null MX), or no MX but an A or
 *				AAAA record
 *		RPDNS_FAIL	a null MX (RFC 7505), no such domain, or no
 *				MX, A or AAAA record (why says which)
 *		RPDNS_ERROR	DNS did not answer (timeout, SERVFAIL):
 *				"DNS did not answer for DOMAIN within N s"
 *	rpdns_free(d);
 *
 * Lookups use glibc's thread-safe res_n* resolver (libresolv) with its
 * own state per call, pointed at the given server when there is one.  A
 * result is cached for the smallest TTL of the records that decided it
 * (at least RPDNS_TTL_MIN, at most RPDNS_TTL_MAX seconds), a negative
 * result for RPDNS_TTL_NEG; errors are not cached.  The cache holds at
 * most RPDNS_CACHE_MAX domains (it is emptied when full).
 */
#ifndef REPGUARD_RPDNS_H
#define REPGUARD_RPDNS_H

#include <stddef.h>
#include <stdint.h>

#define RPDNS_TTL_MIN		30
#define RPDNS_TTL_MAX		3600
#define RPDNS_TTL_NEG		300
#define RPDNS_CACHE_MAX		10000
#define RPDNS_TIMEOUT_DEFAULT	5	/* seconds, DNSTimeout's default */

enum { RPDNS_OK, RPDNS_FAIL, RPDNS_ERROR };

typedef struct RPDNS RPDNS;

RPDNS		*rpdns_create(const char *server, int timeout, char *err,
		    size_t errlen);
int		 rpdns_check(RPDNS *, const char *domain, int64_t now,
		    char *why, size_t whylen);
unsigned long	 rpdns_lookups(const RPDNS *);	/* queries sent so far */
void		 rpdns_free(RPDNS *);

#endif
