/*
 * mem.c - allocation wrappers that succeed or end the process.
 *
 * Owns: mem_alloc(), mem_calloc(), mem_realloc(), mem_strdup(),
 * mem_strndup(), mem_wipe().  An allocation failure is not a condition any
 * caller can repair, so it is reported once, through panic_die(), and the
 * process aborts (the MTA's milter_default_action then keeps the mail).
 * Must not: print or abort by itself (panic.c does, the program's way).
 */
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/panic.h"

static void
mem_die(size_t size)
{
	panic_die("out of memory (%zu bytes)", size);
}

void *
mem_alloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p == NULL)
		mem_die(size);
	return p;
}

void *
mem_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		mem_die(n * size);
	return p;
}

void *
mem_realloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		mem_die(size);
	return p;
}

char *
mem_strdup(const char *s)
{
	return mem_strndup(s, strlen(s));
}

char *
mem_strndup(const char *s, size_t len)
{
	char *p = mem_alloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
mem_wipe(void *ptr, size_t len)
{
	volatile unsigned char *p = ptr;

	while (len-- > 0)
		*p++ = 0;
}
