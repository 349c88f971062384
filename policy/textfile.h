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

#endif
