/*
 * suppress_csv.h - suppression list lines as repguardctl import reads
 * and export writes them.
 *
 *	err = suppress_csv_parse(line, len, &e);	one line
 *	suppress_csv_format(&e, out, outsize);		one line, no newline
 *
 * A line is an address alone, or CSV:
 *	address,reason,scope,since,expires,source
 * where every field after the address may be left out or empty: reason
 * hard-bounce, complaint or manual (default manual), scope a sender key
 * ("" = global), since and expires as 2026-11-28T09:00:00Z (expires
 * empty: never), source free text.  A field may be quoted ("a, b", with
 * "" for a quote).  The address is made canonical (addr_canon()).
 * suppress_csv_parse() returns NULL, or an error text (static or in a
 * per-thread buffer); e->time is 0 when since was not given.  Lines
 * starting with '#', blank lines and the header line export writes are
 * the caller's to skip (suppress_csv_skip()).
 */
#ifndef REPGUARD_SUPPRESS_CSV_H
#define REPGUARD_SUPPRESS_CSV_H

#include <stddef.h>

#include "reputation/suppress.h"

#define SUPPRESS_CSV_HEADER "address,reason,scope,since,expires,source"

const char	*suppress_csv_parse(const char *line, size_t len,
		    SUPPRESS_ENTRY *);
int		 suppress_csv_skip(const char *line, size_t len);
void		 suppress_csv_format(const SUPPRESS_ENTRY *, char *out,
		    size_t outsize);

#endif
