/*
 * fuzz.h - what every fuzz target in tests/fuzz defines and may use.
 *
 * A target is one file, fuzz_NAME.c, defining
 *
 *	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
 *
 * and, if it needs state made once (a key, a rules table), also
 *
 *	int LLVMFuzzerInitialize(int *argc, char ***argv);
 *
 * It is linked twice: with libFuzzer (clang -fsanitize=fuzzer, by
 * tests/fuzz/run.sh) to search for crashes, and with replay.c to run its
 * committed corpus tests/fuzz/corpus/NAME during make check.  A target
 * checks what must hold for every input (a key fits its buffer, a parse
 * of a formatted value gives the value back) with FUZZ_CHECK, which
 * aborts: a crash for libFuzzer and a failure for the replay.
 *
 *	p = fuzz_dup(data, size);	exactly size bytes, no NUL after them,
 *					so a read past the end is an ASan report
 *	s = fuzz_str(data, size);	the same plus a NUL
 *	fuzz_split(&data, &size, &a, &alen);  cut off the part before the
 *					first NUL octet (the whole input if none)
 *	n = fuzz_lines(p, size);	lines of a text (a last one without
 *					its newline counts)
 *	fuzz_check_errors(errors, "name", lines, ordered);
 *					a parser's errors: each line
 *					"name:N: text", 0 < N <= lines (and
 *					with ordered, N increasing)
 *	fuzz_rmdir(dir);		remove a directory of plain files
 */
#ifndef REPGUARD_FUZZ_H
#define REPGUARD_FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int	LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: fuzz check failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

static inline char *
fuzz_dup(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);

	if (p == NULL)
		abort();
	if (size > 0)
		memcpy(p, data, size);
	return p;
}

static inline char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *p = malloc(size + 1);

	if (p == NULL)
		abort();
	if (size > 0)
		memcpy(p, data, size);
	p[size] = '\0';
	return p;
}

static inline void
fuzz_split(const uint8_t **data, size_t *size, const uint8_t **part,
    size_t *partlen)
{
	const uint8_t *nul = memchr(*data, '\0', *size);

	*part = *data;
	if (nul == NULL) {
		*partlen = *size;
		*data += *size;
		*size = 0;
		return;
	}
	*partlen = (size_t)(nul - *data);
	*size -= *partlen + 1;
	*data = nul + 1;
}

static inline int
fuzz_lines(const void *text, size_t size)
{
	const char *p = text;
	int n = 0;
	size_t i;

	for (i = 0; i < size; i++)
		if (p[i] == '\n')
			n++;
	return n + (size > 0 && p[size - 1] != '\n');
}

static inline void
fuzz_check_errors(const char *errors, const char *name, int lines,
    int ordered)
{
	size_t nlen = strlen(name);
	const char *p = errors, *nl;
	long n, last = 0;
	char *end;

	FUZZ_CHECK(errors[0] != '\0');
	while (*p != '\0') {
		nl = strchr(p, '\n');
		FUZZ_CHECK(nl != NULL);
		FUZZ_CHECK(strncmp(p, name, nlen) == 0 && p[nlen] == ':');
		n = strtol(p + nlen + 1, &end, 10);
		FUZZ_CHECK(end > p + nlen + 1 && n >= 1 && n <= lines);
		FUZZ_CHECK(!ordered || n > last);
		FUZZ_CHECK(end[0] == ':' && end[1] == ' ' && end + 2 < nl);
		last = n;
		p = nl + 1;
	}
}

static inline void
fuzz_rmdir(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[4096];

	if ((d = opendir(dir)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", dir,
				    e->d_name);
				(void)unlink(path);
			}
		closedir(d);
	}
	(void)rmdir(dir);
}

#endif
