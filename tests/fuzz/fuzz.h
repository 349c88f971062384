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
 */
#ifndef REPGUARD_FUZZ_H
#define REPGUARD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#endif
