/*
 * dkimtag.h - one tag of a DKIM tag-list (RFC 6376 3.2).
 *
 *	err = dkimtag_get(value, len, "d", out, sizeof(out));
 *
 * Finds tag NAME in a DKIM-Signature field body ("v=1; a=rsa-sha256;
 * d=example.com; ...") and copies its value, white space and folding
 * removed, into out.  Returns NULL when found, "no such tag", "malformed
 * tag list" or "tag value too long".  value need not be NUL-terminated.
 */
#ifndef REPGUARD_DKIMTAG_H
#define REPGUARD_DKIMTAG_H

#include <stddef.h>

const char	*dkimtag_get(const char *value, size_t len, const char *name,
		    char *out, size_t outsize);

#endif
