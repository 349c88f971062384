/*
 * keyreuse.h - hand libopendkim a private key decoded once, instead of
 * letting it decode the key's PEM text for every signature.
 *
 *	kept = keyreuse_kept(DKIM_SIGN_...);	once per algorithm: does
 *						libopendkim keep the reference
 *						it gets (1), give it back (0), or
 *						is there no handing over (-1)?
 *	keyreuse_begin(pem, pemlen, pkey);	this thread, until _end
 *	dkim_eom(signing_handle, NULL);		reads the key: gets pkey
 *	took = keyreuse_end();			1: pkey was handed over
 *	keyreuse_hits()				keys handed over so far
 *
 * libopendkim 2.11 takes a signing key only as PEM or DER bytes and turns
 * them into an EVP_PKEY with PEM_read_bio_PrivateKey() inside dkim_eom().
 * On OpenSSL 3.0 that decoding costs about 300 us, most of the cost of an
 * Ed25519 signature and 40 % of an RSA-2048 one.  This module defines
 * PEM_read_bio_PrivateKey() in the executable, which the dynamic linker
 * binds libopendkim's call to: when the calling thread is between
 * keyreuse_begin() and keyreuse_end() and the memory BIO holds exactly
 * the PEM text given there, it returns that already decoded key (with a
 * new reference, as a fresh decode would); in every other case it does
 * what OpenSSL's function does (PEM_read_bio_PrivateKey_ex()).
 *
 * Should a libopendkim version decode keys another way, nothing breaks:
 * the hook is simply not called and every signature decodes its key
 * again (keyreuse_kept() says -1; the unit test says so).
 *
 * Each hand-over adds a reference to pkey, which dkim_free() drops for
 * RSA; libopendkim 2.11 never drops it for Ed25519 (the leak of every
 * decoded Ed25519 key, see doc/design.md).  keyreuse_kept() finds out
 * which, by signing once with a throw-away key and watching whether it is
 * freed, so that the owner of pkey can drop the references libopendkim
 * kept once no handle that got them is left, whatever the library
 * version does.
 */
#ifndef REPGUARD_KEYREUSE_H
#define REPGUARD_KEYREUSE_H

#include <stddef.h>

struct evp_pkey_st;		/* OpenSSL's EVP_PKEY */

void			keyreuse_begin(const char *pem, size_t pemlen,
			    struct evp_pkey_st *pkey);
int			keyreuse_end(void);
int			keyreuse_kept(int dkim_alg);
unsigned long long	keyreuse_hits(void);

#endif
