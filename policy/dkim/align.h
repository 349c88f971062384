/*
 * align.h - DMARC-style relaxed alignment of the From: domain.
 *
 *	align_orgdomain("news.example.co.uk", out, sizeof(out))
 *						-> "example.co.uk"
 *	ok = align_check(from_domain, envelope_domain, dkim, ndkim);
 *
 * The organisational domain is the registrable domain by the public
 * suffix list (libpsl with Debian's publicsuffix data, the newest list on
 * the system, else the one built into libpsl); a name that is itself a
 * public suffix, or that the list cannot place, is its own organisational
 * domain.  Two domains align when their organisational domains are equal
 * (case-insensitive).  align_check() says whether the From: domain aligns
 * with the envelope sender's domain or with one of the DKIM signing
 * domains (d=); an empty From: domain never aligns, an empty envelope
 * domain (the null sender) is skipped.
 */
#ifndef REPGUARD_ALIGN_H
#define REPGUARD_ALIGN_H

#include <stddef.h>

#define ALIGN_DOMAIN_MAX	256

void	align_orgdomain(const char *domain, char *out, size_t outsize);
int	align_check(const char *from, const char *envelope,
	    const char *const *dkim, size_t ndkim);

#endif
