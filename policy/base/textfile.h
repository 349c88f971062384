/*
 * textfile.h - the small data files repguard reads (bounce rules, the
 * sender login map): whole, with a size cap, and their errors.
 *
 *	buf = textfile_read(path, max, &len, &errors);	NUL-terminated; NULL
 *							with "path: why\n"
 *							added to errors
 *	textfile_error(&errors, name, line, "fmt", ...);	adds
 *							"name:line: msg\n"
 *
 *	bad = textfile_lines(text, len, name, fn, ctx, &errors);
 *		calls fn(ctx, line, linelen, lineno, &errors) for each line
 *		(without its line end; a line holding a NUL byte is an error
 *		instead); bad counts the lines fn refused (non-zero) and the
 *		NUL lines
 *
 * errors is a malloc'd string that grows by one line per call (NULL to
 * start); the caller frees it.
 */
#ifndef REPGUARD_TEXTFILE_H
#define REPGUARD_TEXTFILE_H

#include <stddef.h>

char	*textfile_read(const char *path, size_t max, size_t *len,
	    char **errors);
void	 textfile_error(char **errors, const char *name, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	 textfile_lines(const char *text, size_t len, const char *name,
	    int (*fn)(void *ctx, const char *line, size_t len, int lineno,
	    char **errors), void *ctx, char **errors);

#endif
