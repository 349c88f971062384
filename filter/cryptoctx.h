/*
 * cryptoctx.h - one OpenSSL library context per signing thread.
 *
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
 */
#ifndef REPGUARD_CRYPTOCTX_H
#define REPGUARD_CRYPTOCTX_H

void	cryptoctx_enter(void);

#endif
