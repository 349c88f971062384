/*
 * htmltext.c - an HTML body as plain text (see htmltext.h).
 *
 * Owns: html_text().
 *
 * Decisions: only what a reader of a notice needs: tags out, those that
 * break a line as a line break, style and script elements out with their
 * content, the named entities a notice uses and decimal ones in ASCII.
 * Must not: write past len, or need a NUL terminator in its input.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "retpath/htmltext.h"

/* An HTML entity at s ("&amp;", "&#64;"): its character, and its length. */
static int
html_entity(const char *s, size_t left, size_t *used)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' },
		{ "&quot;", '"' }, { "&nbsp;", ' ' }, { "&apos;", '\'' },
	};
	size_t i, n;
	long v;

	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
		n = strlen(ents[i].name);
		if (left >= n && strncasecmp(s, ents[i].name, n) == 0) {
			*used = n;
			return ents[i].c;
		}
	}
	if (left > 3 && s[1] == '#' && isdigit((unsigned char)s[2])) {
		for (v = 0, n = 2; n < left && n < 8 &&
		    isdigit((unsigned char)s[n]); n++)
			v = v * 10 + (s[n] - '0');
		if (n < left && s[n] == ';' && v >= 32 && v < 127) {
			*used = n + 1;
			return (int)v;
		}
	}
	*used = 1;
	return '&';
}

/*
 * An HTML body as text, in place: tags out (those that break a line as a
 * line break), style and script elements out, entities decoded.  Returns
 * the new length.
 */
size_t
html_text(char *s, size_t len)
{
	static const char *const breaks[] = {
		"br", "p", "/p", "div", "/div", "tr", "/tr", "li", "h1", "h2",
		"h3", "/h1", "/h2", "/h3", "table", "/table", "pre", "/pre",
		NULL
	};
	size_t i = 0, o = 0, used, k, n;
	const char *gt;

	while (i < len) {
		if (s[i] == '<') {
			gt = memchr(s + i, '>', len - i);
			n = gt ? (size_t)(gt - (s + i)) + 1 : len - i;
			if (n > 6 && (strncasecmp(s + i, "<style", 6) == 0 ||
			    strncasecmp(s + i, "<script", 7) == 0)) {
				const char *end = s + i + n;

				while (end < s + len && !(end[0] == '<' &&
				    end + 1 < s + len && end[1] == '/'))
					end++;
				gt = end < s + len ? memchr(end, '>',
				    (size_t)(s + len - end)) : NULL;
				n = gt ? (size_t)(gt - (s + i)) + 1 : len - i;
				s[o++] = ' ';
				i += n;
				continue;
			}
			for (k = 0; breaks[k] != NULL; k++) {
				size_t bl = strlen(breaks[k]);

				if (n > bl + 1 && strncasecmp(s + i + 1,
				    breaks[k], bl) == 0 && !isalnum(
				    (unsigned char)s[i + 1 + bl]))
					break;
			}
			s[o++] = breaks[k] != NULL ? '\n' : ' ';
			i += n;
		} else if (s[i] == '&') {
			s[o++] = (char)html_entity(s + i, len - i, &used);
			i += used;
		} else if (s[i] == '\r' || (s[i] == '\n' && o > 0 &&
		    s[o - 1] != '\n')) {
			s[o++] = ' ';	/* HTML's own line breaks are spaces */
			i++;
		} else
			s[o++] = s[i++];
	}
	s[o] = '\0';
	return o;
}
