/*
 * cryptoctx.c - per-thread OpenSSL library contexts (see cryptoctx.h).
 *
 * Owns: cryptoctx_setup(), cryptoctx_enter().  A thread-specific key remembers the calling
 * thread's context; its destructor returns the context to a pool under a
 * mutex.  The pool holds at most as many contexts as threads ever ran at
 * once.  This is thread state, not connection state: no message data is
 * kept here.
 * Must not: free a context (objects made in one may outlive the thread).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "dkim/cryptoctx.h"
#include "base/mem.h"

static pthread_key_t cryptoctx_key;
static pthread_once_t cryptoctx_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t cryptoctx_lock = PTHREAD_MUTEX_INITIALIZER;
static OSSL_LIB_CTX **cryptoctx_pool;
static size_t cryptoctx_npool, cryptoctx_cap;

static void
cryptoctx_release(void *p)
{
	pthread_mutex_lock(&cryptoctx_lock);
	if (cryptoctx_npool == cryptoctx_cap) {
		cryptoctx_cap = cryptoctx_cap ? cryptoctx_cap * 2 : 8;
		cryptoctx_pool = mem_realloc(cryptoctx_pool,
		    cryptoctx_cap * sizeof(*cryptoctx_pool));
	}
	cryptoctx_pool[cryptoctx_npool++] = p;
	pthread_mutex_unlock(&cryptoctx_lock);
}

static void
cryptoctx_init(void)
{
	if (pthread_key_create(&cryptoctx_key, cryptoctx_release) != 0) {
		fprintf(stderr, "repguard: panic: pthread_key_create\n");
		abort();
	}
}

void
cryptoctx_setup(void)
{
	if (OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL) != 1) {
		fprintf(stderr, "repguard: panic: OPENSSL_init_crypto\n");
		abort();
	}
}

void
cryptoctx_enter(void)
{
	OSSL_LIB_CTX *ctx;

	pthread_once(&cryptoctx_once, cryptoctx_init);
	if (pthread_getspecific(cryptoctx_key) != NULL)
		return;
	pthread_mutex_lock(&cryptoctx_lock);
	ctx = cryptoctx_npool > 0 ? cryptoctx_pool[--cryptoctx_npool] : NULL;
	pthread_mutex_unlock(&cryptoctx_lock);
	if (ctx == NULL && (ctx = OSSL_LIB_CTX_new()) == NULL)
		return;			/* the shared default still works */
	OSSL_LIB_CTX_set0_default(ctx);
	pthread_setspecific(cryptoctx_key, ctx);
}
