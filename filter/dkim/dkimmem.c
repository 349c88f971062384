/*
 * dkimmem.c - libopendkim's allocation functions: a list of blocks per
 * handle, wiped when freed (see dkimmem.h).
 *
 * Owns: dkimmem_alloc(), dkimmem_free(), dkimmem_init(),
 * dkimmem_release().
 *
 * Each block starts with a header (the pool, its neighbours, its size)
 * padded to max_align_t, so what libopendkim gets is aligned as malloc's.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dkim/dkimmem.h"

struct dkimmem_blk {
	alignas(max_align_t) DKIMMEM	*pool;
	struct dkimmem_blk		*prev, *next;
	size_t				 size;
};

#define DKIMMEM_HDR	sizeof(struct dkimmem_blk)

void *
dkimmem_alloc(void *closure, size_t n)
{
	DKIMMEM *pool = closure;
	struct dkimmem_blk *b;

	if (n > (size_t)-1 - DKIMMEM_HDR || (b = malloc(DKIMMEM_HDR + n)) ==
	    NULL)
		return NULL;		/* libopendkim reports it */
	b->pool = pool;
	b->size = n;
	b->prev = NULL;
	b->next = NULL;
	if (pool != NULL) {
		b->next = pool->first;
		if (pool->first != NULL)
			pool->first->prev = b;
		pool->first = b;
	}
	return (char *)b + DKIMMEM_HDR;
}

static void
dkimmem_drop(struct dkimmem_blk *b)
{
	OPENSSL_cleanse((char *)b + DKIMMEM_HDR, b->size);
	free(b);
}

void
dkimmem_free(void *closure, void *p)
{
	struct dkimmem_blk *b;

	(void)closure;		/* the block knows its pool */
	if (p == NULL)
		return;
	b = (struct dkimmem_blk *)((char *)p - DKIMMEM_HDR);
	if (b->pool != NULL) {
		if (b->prev != NULL)
			b->prev->next = b->next;
		else
			b->pool->first = b->next;
		if (b->next != NULL)
			b->next->prev = b->prev;
	}
	dkimmem_drop(b);
}

void
dkimmem_init(DKIMMEM *pool)
{
	pool->first = NULL;
	pool->left = 0;
}

void
dkimmem_release(DKIMMEM *pool)
{
	struct dkimmem_blk *b;

	while ((b = pool->first) != NULL) {
		pool->first = b->next;
		pool->left++;
		dkimmem_drop(b);
	}
}
