/*
 * dkimmem.h - libopendkim's memory, one pool per handle.
 *
 *	lib = dkim_init(dkimmem_alloc, dkimmem_free);
 *	DKIMMEM pool;
 *	dkimmem_init(&pool);
 *	dkim = dkim_sign(lib, id, &pool, ...);	(or dkim_verify)
 *	...
 *	dkim_free(dkim);
 *	dkimmem_release(&pool);			what dkim_free() left
 *
 * libopendkim allocates a handle's memory through the functions given to
 * dkim_init(), passing the memclosure given to dkim_sign()/dkim_verify().
 * Every block of a pool is on the pool's list until it is freed, and is
 * wiped when freed (the handle holds a copy of the private key's PEM text
 * and the message's headers).  dkimmem_release() frees and wipes the
 * blocks dkim_free() did not: libopendkim 2.11 leaves the 64-octet
 * signature buffer of every Ed25519 signature behind.  Blocks with a NULL
 * closure (the library handle's own) are plain, wiped, allocations.
 *
 * A pool belongs to one handle, used by one thread at a time: no locks.
 * Must not: be released while its handle is alive.
 */
#ifndef REPGUARD_DKIMMEM_H
#define REPGUARD_DKIMMEM_H

#include <stddef.h>

struct dkimmem_blk;

typedef struct {
	struct dkimmem_blk	*first;
	unsigned long		 left;		/* blocks release() freed */
} DKIMMEM;

void	*dkimmem_alloc(void *closure, size_t n);
void	 dkimmem_free(void *closure, void *p);
void	 dkimmem_init(DKIMMEM *pool);
void	 dkimmem_release(DKIMMEM *pool);

#endif
