/*
 * fromhdr.h - the address of a From: header field.
 *
 *	err = fromhdr_address(value, len, key, sizeof(key), &keylen);
 *
 * Finds the first mailbox of an RFC 5322 From: field body ("Alice
 * <alice@example.com>", "alice@example.com (Alice)", "\"A, B\" <a@b.c>",
 * a group "Team: a@b.c;") and writes its canonical key (addr_canon()).
 * Comments, quoted strings, display names and folding are skipped.
 * Returns NULL on success, else a static error text ("no address in From",
 * or addr_canon()'s text).  value need not be NUL-terminated; at most
 * FROMHDR_MAX octets of it are looked at.
 */
#ifndef REPGUARD_FROMHDR_H
#define REPGUARD_FROMHDR_H

#include <stddef.h>

#define FROMHDR_MAX	8192

const char	*fromhdr_address(const char *value, size_t len, char *out,
		    size_t outsize, size_t *outlen);

#endif
