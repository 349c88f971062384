/*
 * dkimkey.h - DKIM private keys: load and check, generate, write, and the
 * public DNS record.
 *
 * A DKIMKEY is an opaque, immutable RSA or Ed25519 private key, checked
 * as the daemon requires (regular file, owner-only mode, size cap,
 * parsable, RSA or Ed25519, RSA of at least DKIMKEY_RSA_MIN_BITS).  Once
 * made it may be read from several threads.  dkimkey_pem() is the text
 * to give libopendkim's dkim_sign() (PKCS#8 PEM, NUL-terminated; the only
 * encoding libopendkim 2.11 accepts for both RSA and Ed25519), and
 * dkimkey_free() wipes every copy of the key material it holds.
 *
 * Functions that can fail return NULL (or -1) and write a one-line
 * message naming the file (or `what`) into err; they never exit.
 */
#ifndef REPGUARD_DKIMKEY_H
#define REPGUARD_DKIMKEY_H

#include <stddef.h>

struct evp_pkey_st;		/* OpenSSL's EVP_PKEY */

typedef struct dkimkey DKIMKEY;

#define DKIMKEY_RSA		1
#define DKIMKEY_ED25519		2

#define DKIMKEY_FILE_MAX	65536	/* bytes in a key file or data */
#define DKIMKEY_RSA_MIN_BITS	1024	/* refused below */
#define DKIMKEY_RSA_WARN_BITS	2048	/* caller warns below */
#define DKIMKEY_GEN_MIN_BITS	1024	/* dkimkey_generate() range */
#define DKIMKEY_GEN_MAX_BITS	4096
#define DKIMKEY_RECORD_MAX	4096	/* fits RSA up to 16384 bits */

/* Load and check a key file (PEM PKCS#1 / PKCS#8, DER, or base64 DER). */
DKIMKEY		*dkimkey_load(const char *path, char *err,
		    size_t errlen);

/* The same from inline data (OpenDKIM KeyTable style); `what` names it. */
DKIMKEY		*dkimkey_from_data(const char *data, size_t len,
		    const char *what, char *err, size_t errlen);

/* A new key: DKIMKEY_RSA with bits in the DKIMKEY_GEN_* range, or
 * DKIMKEY_ED25519 (bits ignored). */
DKIMKEY		*dkimkey_generate(int type, int bits, char *err,
		    size_t errlen);

/* Create path (O_EXCL, mode 0600) holding the PKCS#8 PEM; never
 * overwrites.  0 on success, -1 with err set (nothing left behind). */
int		 dkimkey_write_pem(const DKIMKEY *key, const char *path,
		    char *err, size_t errlen);

/* DKIMKEY_RSA or DKIMKEY_ED25519; bits (256 for Ed25519); "rsa", "ed25519" */
int		 dkimkey_type(const DKIMKEY *key);
int		 dkimkey_bits(const DKIMKEY *key);
const char	*dkimkey_type_name(const DKIMKEY *key);
const char	*dkimkey_pem(const DKIMKEY *key);	/* for dkim_sign() */
size_t		 dkimkey_pem_len(const DKIMKEY *key);
/* The decoded key, with a reference of its own (NULL if OpenSSL cannot
 * add one), for keyreuse.h; give it back with dkimkey_evp_unref(). */
struct evp_pkey_st *dkimkey_evp_ref(const DKIMKEY *key);
void		 dkimkey_evp_unref(struct evp_pkey_st *pkey);

/* "v=DKIM1; k=rsa; p=BASE64(SubjectPublicKeyInfo DER)" or
 * "v=DKIM1; k=ed25519; p=BASE64(raw 32-byte key)" (RFC 8463).  Returns
 * the record's length; if that is >= outsize, out is truncated (like
 * snprintf).  -1 (out = "") on an internal OpenSSL failure. */
int		 dkimkey_public_record(const DKIMKEY *key, char *out,
		    size_t outsize);

void		 dkimkey_free(DKIMKEY *key);

#endif
