/*
 * textfile.c - read a small data file whole; collect "file:line" errors
 * (see textfile.h).
 *
 * Owns: textfile_read(), textfile_error(), textfile_lines().
 * Must not: read more than the cap, or lose an earlier error line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/textfile.h"

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

int
textfile_lines(const char *text, size_t len, const char *name,
    int (*fn)(void *, const char *, size_t, int, char **), void *ctx,
    char **errors)
{
	const char *p = text, *nl;
	size_t l;
	int n = 0, bad = 0;

	while (p < text + len) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		l = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
		n++;
		if (memchr(p, '\0', l) != NULL) {
			textfile_error(errors, name, n, "NUL byte in the line");
			bad++;
		} else if (fn(ctx, p, l, n, errors) != 0)
			bad++;
		p += l + (nl != NULL);
	}
	return bad;
}
