/*
 * bounce_line.h - the lines of a bounce's text, for bounce_text.c (not
 * for other modules: they use bounce.h).
 *
 *	bline_has(hay, len, needle)	needle in [hay, hay+len), any case
 *	bline_find(hay, needle)		where, in a string, or NULL
 *	bline_address(s, len, &at, out, size)	the next address from *at;
 *					1 if one was found (*at moves on)
 *	bline_code(line, st, size)	its reply's status ("5.1.1", "5.0.0"
 *					for a bare "550"), or ""
 *	bline_skip_space(s)		past blanks and tabs
 *	bline_join(lines, n, j, out, size)	lines[j] and the indented
 *					lines that go on with it
 *	bline_smtp_command(s)		"MAIL", "RCPT", "DATA"...: 1
 *	bline_is_command(line)		">>> RCPT To:...": 1
 */
#ifndef REPGUARD_BOUNCE_LINE_H
#define REPGUARD_BOUNCE_LINE_H

#include <stddef.h>

int		 bline_has(const char *hay, size_t len, const char *needle);
char		*bline_find(char *hay, const char *needle);
int		 bline_address(const char *s, size_t len, size_t *at,
		    char *out, size_t outsize);
void		 bline_code(const char *line, char *st, size_t stsize);
const char	*bline_skip_space(const char *s);
const char	*bline_join(char **lines, size_t n, size_t j, char *out,
		    size_t outsize);
int		 bline_smtp_command(const char *s);
int		 bline_is_command(const char *line);

#endif
