/*
 * signer_int.h - what signer.c and signer_keys.c share about a SIGNER.
 * Not for other modules: they use signer.h.
 */
#ifndef REPGUARD_SIGNER_INT_H
#define REPGUARD_SIGNER_INT_H

#include <opendkim/dkim.h>

#include "addr.h"
#include "dkimtable.h"
#include "signer.h"

#define SIGNER_SELECTOR_MAX	200

enum { SIGNER_FROM_HEADER, SIGNER_FROM_ENVELOPE };
enum { SIGNER_ONNOKEY_ACCEPT, SIGNER_ONNOKEY_TEMPFAIL, SIGNER_ONNOKEY_DEFAULT };

struct signer_key {
	char		*name;		/* KeyTable name, or the Domain */
	char		*domain;	/* d=, or "%": the address's domain */
	char		*selector;
	char		*path;		/* the key file; NULL: inline key */
	char		*pem;		/* NUL-terminated, for dkim_sign() */
	size_t		 pemlen;
	int		 alg;		/* DKIM_SIGN_* */
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

#endif
