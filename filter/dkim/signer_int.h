/*
 * signer_int.h - what signer.c and signer_keys.c share about a SIGNER.
 * Not for other modules: they use signer.h.
 */
#ifndef REPGUARD_SIGNER_INT_H
#define REPGUARD_SIGNER_INT_H

#include <opendkim/dkim.h>

#include "base/addr.h"
#include "dkim/dkimtable.h"
#include "dkim/signer.h"

#define SIGNER_SELECTOR_MAX	200
#define SIGNER_RECORD_MAX	1024	/* a 4096-bit RSA key's is ~750 */

enum { SIGNER_FROM_HEADER, SIGNER_FROM_ENVELOPE };
enum { SIGNER_ONNOKEY_ACCEPT, SIGNER_ONNOKEY_TEMPFAIL, SIGNER_ONNOKEY_DEFAULT };

struct signer_key {
	char		*name;		/* KeyTable name, or the Domain */
	char		*domain;	/* d=, or "%": the address's domain */
	char		*selector;
	char		*path;		/* the key file; NULL: inline key */
	char		*pem;		/* NUL-terminated, for dkim_sign() */
	char		*record;	/* its public TXT record */
	struct evp_pkey_st *evp;	/* pem decoded once (keyreuse.h) */
	int		 kept;		/* libopendkim keeps what it gets */
	unsigned long	*held;		/* references it kept so far */
	size_t		 pemlen;
	int		 alg;		/* DKIM_SIGN_* */
	int		 bits;		/* of the key */
};

struct SIGNER {
	DKIM_LIB		*lib;
	struct signer_key	*keys;
	size_t			 nkeys;
	DKIMTABLE_KEYS		*ktable;	/* NULL: simple form */
	DKIMTABLE_SIGN		*table;
	const struct signer_key	*default_key;
	int			 multiple, on_no_key, domain_from;
	dkim_canon_t		 hcanon, bcanon;
	const char		**signhdrs, **oversign;
	char			*lists[2];	/* storage of both lists */
};

typedef struct {
	const struct signer_key	*key;
	char			 signer[DKIMTABLE_SIGNER_MAX + 1]; /* i=, or "" */
} SIGNER_CHOICE;

size_t	signer_choose(const SIGNER *, const char *address, SIGNER_CHOICE *,
	    size_t max);

/* signer_verify.c: does the message carry a valid signature of ours? */
typedef struct SIGNER_VERIFY SIGNER_VERIFY;

int		 signer_verify_ours(const SIGNER *, const char *d,
		    const char *sel);
DKIM_CBSTAT	 signer_verify_lookup(DKIM *, DKIM_SIGINFO *, unsigned char *,
		    size_t);
SIGNER_VERIFY	*signer_verify_new(const SIGNER *, const char *id);
void		 signer_verify_header(SIGNER_VERIFY *, const char *, size_t);
void		 signer_verify_eoh(SIGNER_VERIFY *);
void		 signer_verify_body(SIGNER_VERIFY *, const unsigned char *,
		    size_t);
void		 signer_verify_eom(SIGNER_VERIFY *);
int		 signer_verify_passed(SIGNER_VERIFY *, const char *d,
		    const char *sel);
void		 signer_verify_free(SIGNER_VERIFY *);

#endif
