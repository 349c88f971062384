/*
 * domlimit.h - rate limits per recipient domain, read from a file.
 *
 *	DOMLIMITS *d = domlimit_parse(text, len, "file", &errors);
 *	n = domlimit_find(d, "gmail.com", hit);		0..2 limits
 *	domlimit_bucket(hit[i], "gmail.com", sender, name, sizeof(name));
 *	domlimit_free(d);
 *
 * One limit a line: domains (comma-separated), a rule (bucket.h:
 * "300/1m burst 50") and optionally "per-sender".  The domains of a line
 * share one bucket (gmail.com,googlemail.com are one receiver), named
 * "domain:FIRST", or "domain:FIRST:sender:KEY" per sender.  "*" stands
 * for every domain no line names, each in its own bucket.  A domain (or
 * "*") may have one shared limit and one per-sender limit; both apply.
 * Domains compare without case.  Errors: "name:line: message", all of
 * them, and no table.
 *
 * Must not: include lmdb.h or any filter/ header.
 */
#ifndef REPGUARD_DOMLIMIT_H
#define REPGUARD_DOMLIMIT_H

#include <stddef.h>

#include "shaping/bucket.h"

#define DOMLIMIT_FILE_MAX	(16 * 1024 * 1024)

typedef struct DOMLIMITS DOMLIMITS;

typedef struct {
	const char	*group;		/* the line's first domain; "*" */
	BUCKET_RULE	 rule;
	int		 per_sender;
	int		 line;
} DOMLIMIT;

DOMLIMITS	*domlimit_parse(const char *text, size_t len, const char *name,
		    char **errors);
size_t		 domlimit_find(const DOMLIMITS *, const char *domain,
		    const DOMLIMIT *hit[2]);
int		 domlimit_bucket(const DOMLIMIT *, const char *domain,
		    const char *sender, char *out, size_t outsize);
size_t		 domlimit_size(const DOMLIMITS *);
void		 domlimit_free(DOMLIMITS *);

#endif
