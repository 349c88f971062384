/*
 * textfile.c - read a small data file whole; collect "file:line" errors
 * (see textfile.h).
 *
 * Owns: textfile_read(), textfile_error().
 * Must not: read more than the cap, or lose an earlier error line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "textfile.h"

static void
textfile_add(char **errors, const char *line)
{
	size_t have = *errors ? strlen(*errors) : 0;

	*errors = mem_realloc(*errors, have + strlen(line) + 1);
	memcpy(*errors + have, line, strlen(line) + 1);
}

void
textfile_error(char **errors, const char *name, int line, const char *fmt,
    ...)
{
	char msg[512], full[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d: %s\n", name, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s\n", name, msg);
	textfile_add(errors, full);
}

char *
textfile_read(const char *path, size_t max, size_t *len, char **errors)
{
	char *buf;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL) {
		textfile_error(errors, path, 0, "cannot open: %s",
		    strerror(errno));
		return NULL;
	}
	buf = mem_alloc(max + 2);
	*len = fread(buf, 1, max + 1, fp);
	fclose(fp);
	if (*len > max) {
		textfile_error(errors, path, 0, "more than %zu bytes", max);
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}
