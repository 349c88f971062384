/*
 * dkimtable_test.h - helpers shared by test_dkimtable_keys.c and
 * test_dkimtable_sign.c: exact-length heap copies of parser input (so
 * AddressSanitizer catches a read past len), printable TAP text, and
 * parse wrappers.
 */
#ifndef DKIMTABLE_TEST_H
#define DKIMTABLE_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim/dkimtable.h"
#include "base/mem.h"

static inline char *
exact_copy(const char *s, size_t len)
{
	char *p = mem_alloc(len);

	memcpy(p, s, len);
	return p;
}

/* s as printable ASCII for a TAP line (at most 160 octets shown). */
static inline const char *
esc(const char *s, size_t len)
{
	static char buf[1024];
	size_t i, n = 0;

	for (i = 0; i < len && i < 160; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f)
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
			    "\\x%02x", c);
	}
	if (i < len)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "...(%zu)",
		    len);
	buf[n] = '\0';
	return buf;
}

/* Stands in *errors before a call that must reset it. */
static char unset[] = "unset";

static inline void
errors_free(char *errors)
{
	if (errors != unset)
		free(errors);
}

static inline DKIMTABLE_KEYS *
keys_parse(const char *s, size_t len, char **errors)
{
	char *copy = exact_copy(s, len);
	DKIMTABLE_KEYS *k = dkimtable_keys_parse(copy, len, "kt", errors);

	free(copy);
	return k;
}

static inline DKIMTABLE_SIGN *
sign_parse(const char *s, size_t len, int refile, char **errors)
{
	char *copy = exact_copy(s, len);
	DKIMTABLE_SIGN *t = dkimtable_sign_parse(copy, len, "st", refile,
	    errors);

	free(copy);
	return t;
}

#endif /* DKIMTABLE_TEST_H */
