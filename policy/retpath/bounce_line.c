/*
 * bounce_line.c - the lines of a bounce's text: addresses, reply and
 * status codes, transcript commands, and diagnostics that go on over
 * several lines (see bounce_line.h).
 *
 * Owns: bline_has(), bline_find(), bline_address(), bline_code(),
 * bline_skip_space(), bline_join(), bline_smtp_command(),
 * bline_is_command().
 *
 * Decisions: an address is what surrounds an '@' with a dot after it; a
 * 3-digit reply without an enhanced code becomes X.0.0; a success reply
 * ("250 2.0.0 Ok") is no code.
 *
 * Must not: write past an output size, or read past a length given.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "retpath/bounce_int.h"
#include "retpath/bounce_line.h"

#define BT_JOIN_MAX	3	/* lines that go on with a diagnostic */

/* Does needle occur in [hay, hay+len) (case-insensitive)? */
int
bline_has(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(hay + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Where needle is in hay (case-insensitive), or NULL. */
char *
bline_find(char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* The first address in [s, s+len): into out; returns 1 if one was found. */
int
bline_address(const char *s, size_t len, size_t *at, char *out, size_t outsize)
{
	size_t i, a, z, o;

	for (i = *at; i < len; i++) {
		if (s[i] != '@' || i == 0)
			continue;
		for (a = i; a > 0 && (isalnum((unsigned char)s[a - 1]) ||
		    strchr("._%+-=", s[a - 1]) != NULL); a--)
			;
		for (z = i + 1; z < len && (isalnum((unsigned char)s[z]) ||
		    s[z] == '.' || s[z] == '-'); z++)
			;
		while (z > i + 1 && s[z - 1] == '.')
			z--;
		if (a == i || z <= i + 1 || memchr(s + i + 1, '.', z - i - 1) ==
		    NULL) {
			continue;
		}
		for (o = 0; a < z && o + 1 < outsize; a++)
			out[o++] = s[a];
		out[o] = '\0';
		*at = z;
		return 1;
	}
	*at = len;
	return 0;
}

/* "550 5.1.1 ..." or "550-..." or "(#5.1.1)": the status in line, or "". */
void
bline_code(const char *line, char *st, size_t stsize)
{
	const char *p;

	bounce_status_reply(line, st, stsize);
	if (st[0] == '2') {		/* a success ("250 2.0.0 Ok") */
		st[0] = '\0';
		return;
	}
	if (st[0] != '\0')
		return;
	for (p = line; *p != '\0'; p++) {
		if ((p[0] == '4' || p[0] == '5') && isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '-' ||
		    p[3] == ':' || p[3] == ',') &&
		    (p == line || !isalnum((unsigned char)p[-1]))) {
			snprintf(st, stsize, "%c.0.0", p[0]);
			return;
		}
	}
}

const char *
bline_skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * lines[j] and the indented lines that go on with it (Postfix wraps its
 * notices: "...: Host not\n    found, try again"; Exim splits a reply
 * over several), into out: up to BT_JOIN_MAX more, never a line that
 * opens with an address (the next recipient) or a transcript's marks.
 */
const char *
bline_join(char **lines, size_t n, size_t j, char *out, size_t outsize)
{
	char addr[BOUNCE_ADDR_MAX];
	const char *s;
	size_t k, at, used;

	snprintf(out, outsize, "%s", bline_skip_space(lines[j]));
	for (k = j + 1; k < n && k <= j + BT_JOIN_MAX; k++) {
		s = bline_skip_space(lines[k]);
		if (s == lines[k] || *s == '\0' || strncmp(s, "<<<", 3) == 0 ||
		    strncmp(s, ">>>", 3) == 0 || strncmp(s, "---", 3) == 0)
			break;
		at = 0;
		if (bline_address(s, strlen(s), &at, addr, sizeof(addr)) &&
		    strncasecmp(s + (*s == '<'), addr, strlen(addr)) == 0)
			break;
		used = strlen(out);
		if (used + 2 >= outsize)
			break;
		snprintf(out + used, outsize - used, " %s", s);
	}
	return out;
}

/* ">>> MAIL From:...", ">>> DATA": a command of a session transcript. */
int
bline_smtp_command(const char *s)
{
	static const char *const verbs[] = {
		"MAIL", "RCPT", "DATA", "HELO", "EHLO", "LHLO", "QUIT", "RSET",
		"STARTTLS", "AUTH", "NOOP", "BDAT", ".", NULL
	};
	size_t i, n;

	s = bline_skip_space(s);
	for (i = 0; verbs[i] != NULL; i++) {
		n = strlen(verbs[i]);
		if (strncasecmp(s, verbs[i], n) == 0 && (s[n] == '\0' ||
		    s[n] == ' ' || s[n] == ':' || s[n] == '\r'))
			return 1;
	}
	return 0;
}

/* A line of a transcript that holds one of our commands. */
int
bline_is_command(const char *line)
{
	line = bline_skip_space(line);
	return strncmp(line, ">>>", 3) == 0 && bline_smtp_command(line + 3);
}
