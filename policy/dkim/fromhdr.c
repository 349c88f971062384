/*
 * fromhdr.c - the first mailbox of a From: header field (RFC 5322 3.4).
 *
 * Owns: fromhdr_address().  One pass over the field body that knows
 * comments (nested, with quoted pairs), quoted strings, angle brackets,
 * groups and folding; the addr-spec it finds is handed to addr_canon().
 * Must not: read past len, allocate, or accept more than FROMHDR_MAX
 * octets (longer fields are cut there: the first mailbox comes first).
 */
#include <string.h>

#include "base/addr.h"
#include "dkim/fromhdr.h"

/* Skip a comment starting at buf[i] == '('; returns the index after it. */
static size_t
fromhdr_comment(const char *buf, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '(')
			depth++;
		else if (buf[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

/* Skip a quoted string starting at buf[i] == '"'. */
static size_t
fromhdr_quoted(const char *buf, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (buf[i] == '\\')
			i++;
		else if (buf[i] == '"')
			return i + 1;
	}
	return len;
}

/*
 * Copy buf[from, to) into out without comments and white space (folding
 * included) outside quoted strings: "alice @ example.com (x)" becomes
 * "alice@example.com".
 */
static size_t
fromhdr_squeeze(const char *buf, size_t from, size_t to, char *out,
    size_t outsize)
{
	size_t i = from, n = 0, j;

	while (i < to && n + 1 < outsize) {
		char c = buf[i];

		if (c == '(') {
			i = fromhdr_comment(buf, to, i);
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
		} else if (c == '"') {
			j = fromhdr_quoted(buf, to, i);
			while (i < j && n + 1 < outsize)
				out[n++] = buf[i++];
		} else {
			out[n++] = c;
			i++;
		}
	}
	out[n] = '\0';
	return n;
}

const char *
fromhdr_address(const char *value, size_t len, char *out, size_t outsize,
    size_t *outlen)
{
	char spec[FROMHDR_MAX + 1];
	size_t i, start = 0, end, n;

	if (outsize > 0)
		out[0] = '\0';
	*outlen = 0;
	if (len > FROMHDR_MAX)
		len = FROMHDR_MAX;
	/*
	 * Find where the first mailbox ends: at '>' after a '<', or at a
	 * ',' or ';' outside quotes and comments.  A ':' before that starts a
	 * group: the mailbox begins after it.
	 */
	for (i = 0; i < len; ) {
		char c = value[i];

		if (c == '(') {
			i = fromhdr_comment(value, len, i);
		} else if (c == '"') {
			i = fromhdr_quoted(value, len, i);
		} else if (c == '<') {
			start = i + 1;
			for (end = start; end < len && value[end] != '>'; end++)
				if (value[end] == '"')
					end = fromhdr_quoted(value, len, end) - 1;
			if (end >= len)
				return "unterminated '<' in From";
			n = fromhdr_squeeze(value, start, end, spec,
			    sizeof(spec));
			goto found;
		} else if (c == ':') {
			start = ++i;
		} else if (c == ',' || c == ';') {
			break;
		} else {
			i++;
		}
	}
	n = fromhdr_squeeze(value, start, i, spec, sizeof(spec));
found:
	if (n == 0)
		return "no address in From";
	return addr_canon(spec, n, out, outsize, outlen);
}
