/*
 * cryptoctx.h - one OpenSSL library context per signing thread.
 *
 *	cryptoctx_setup();	once, first thing in main()
 *	cryptoctx_enter();	before libopendkim work in this thread
 *
 * OpenSSL 3.0 serialises key decoding and algorithm fetches of all threads
 * on the shared default library context: with two threads, decoding the
 * key libopendkim reads for every signature costs twice the CPU and gains
 * nothing.  cryptoctx_enter() makes the calling thread use a context of
 * its own (OSSL_LIB_CTX_set0_default() is per thread).  Contexts are never
 * freed: when a thread ends its context goes back to a pool for the next
 * thread, so objects made in it (a digest a message began on another
 * worker thread) stay valid.
 *
 * cryptoctx_setup() keeps OpenSSL from tearing itself down at exit():
 * libmilter's worker threads are never joined, and one that ends while
 * OpenSSL's exit handler has already removed its thread-exit hook leaves
 * its error state (904 octets) unfreed, which LeakSanitizer reports now
 * and then.  Without the handler every thread's state is freed when the
 * thread ends, and the rest stays reachable until the process is gone.
 */
#ifndef REPGUARD_CRYPTOCTX_H
#define REPGUARD_CRYPTOCTX_H

void	cryptoctx_setup(void);
void	cryptoctx_enter(void);

#endif
