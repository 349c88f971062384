/*
 * dkimtag.c - reading one tag of a DKIM tag-list (RFC 6376 3.2).
 *
 * Owns: dkimtag_get().  Tags are "name=value" separated by ';'; white
 * space (FWS) around names and values and inside values is dropped, which
 * is how RFC 6376 compares d= and s=.
 * Must not: read past len or allocate.
 */
#include <string.h>

#include "dkim/dkimtag.h"

static int
dkimtag_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

const char *
dkimtag_get(const char *value, size_t len, const char *name, char *out,
    size_t outsize)
{
	size_t i = 0, nstart, nend, vstart, vend, n, nlen = strlen(name);

	if (outsize > 0)
		out[0] = '\0';
	while (i < len) {
		while (i < len && dkimtag_space(value[i]))
			i++;
		nstart = i;
		while (i < len && value[i] != '=' && value[i] != ';' &&
		    !dkimtag_space(value[i]))
			i++;
		nend = i;
		while (i < len && dkimtag_space(value[i]))
			i++;
		if (i >= len || value[i] != '=') {
			if (nend == nstart && (i >= len || value[i] == ';')) {
				i++;		/* empty element: "a=1;;" or trailing ';' */
				continue;
			}
			return "malformed tag list";
		}
		vstart = ++i;
		while (i < len && value[i] != ';')
			i++;
		vend = i++;
		if (nend - nstart != nlen || memcmp(value + nstart, name, nlen))
			continue;
		for (n = 0; vstart < vend; vstart++) {
			if (dkimtag_space(value[vstart]))
				continue;
			if (n + 1 >= outsize)
				return "tag value too long";
			out[n++] = value[vstart];
		}
		if (n >= outsize)	/* outsize 0: no room even for "" */
			return "tag value too long";
		out[n] = '\0';
		return NULL;
	}
	return "no such tag";
}
