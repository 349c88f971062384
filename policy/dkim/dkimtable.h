/*
 * dkimtable.h - OpenDKIM KeyTable and SigningTable files, and lookups.
 *
 * An OpenDKIM user points repguard at the KeyTable and SigningTable they
 * already have; these functions read them as opendkim.conf(5) and the
 * DATA SETS section of opendkim(8) describe, and find the keys that sign
 * a message.
 *
 *	err = dkimtable_spec(val, len, &off, &is_refile);  "refile:/x" etc.
 *	k = dkimtable_keys_parse(buf, len, "keytable", &errors);
 *	s = dkimtable_sign_parse(buf, len, "signingtable", is_refile, &errors);
 *	n = dkimtable_check(s, k, &errors);		unknown key names
 *	n = dkimtable_sign_lookup(s, addr, addrlen, multiple, m, max);
 *	key = dkimtable_keys_find(k, m[i].keyname);
 *	d = dkimtable_key_domain(key, addr_domain(addr));	'%' resolved
 *	dkimtable_sign_free(s); dkimtable_keys_free(k);
 *
 * The parsers read a whole file's text (buf need not be NUL-terminated).
 * On any bad line they return NULL and set *errors (if errors is not
 * NULL) to a malloc'd text of one "FILE:LINE: message" per bad line,
 * joined by '\n' (no newline after the last); on success *errors is NULL.
 * Inline key data is never quoted in an error.
 *
 * KeyTable line:	NAME DOMAIN:SELECTOR:KEY
 * SigningTable line:	PATTERN KEYNAME[:SIGNER]
 * (key and value separated by white space, the values of a multi-value
 * entry by colons: opendkim(8) DATA SETS, a) and b)).  DOMAIN may be "%",
 * the address's domain.  KEY is a path if it starts with "/", "./" or
 * "../", else inline key data.
 *
 * dkimtable_sign_lookup() takes a canonical address (addr_canon():
 * local@domain, lower-case) and writes the matches in OpenDKIM's order to
 * out[0..max): only the first with multiple == 0, else every one (each
 * key name once).  It returns how many it found; more than max means
 * out holds the first max.  A match's keyname and signer have '%'
 * replaced by the address's domain (keyname only when it is exactly
 * "%"); signer is "" when the rule names none.
 *
 * dkimtable_check() returns how many SigningTable rules name a key the
 * KeyTable lacks (a "%" key name cannot be checked before mail arrives)
 * and sets *errors as the parsers do.
 *
 * Tables are immutable once parsed: lookups may run in any number of
 * threads.  dkimtable_keys_free() wipes inline key data.
 */
#ifndef REPGUARD_DKIMTABLE_H
#define REPGUARD_DKIMTABLE_H

#include <stddef.h>

#define DKIMTABLE_LINE_MAX	4096	/* octets in one line, without '\n' */
#define DKIMTABLE_NAME_MAX	255	/* a key name */
#define DKIMTABLE_DOMAIN_MAX	255	/* d=, and the address's domain */
#define DKIMTABLE_LABEL_MAX	63	/* one DNS label, RFC 1035 2.3.4 */
#define DKIMTABLE_DNSNAME_MAX	253	/* SELECTOR._domainkey.DOMAIN */
#define DKIMTABLE_PATTERN_MAX	1024	/* a SigningTable pattern */
#define DKIMTABLE_SIGNER_MAX	1024	/* i=, after '%' is replaced */

typedef struct DKIMTABLE_KEYS DKIMTABLE_KEYS;
typedef struct DKIMTABLE_SIGN DKIMTABLE_SIGN;

typedef struct DKIMTABLE_KEY {
	char	*name;
	char	*domain;	/* d=, or "%" */
	char	*selector;	/* s= */
	char	*key;		/* a path, or inline key data */
	int	 is_path;
	size_t	 line;		/* KeyTable line */
} DKIMTABLE_KEY;

typedef struct DKIMTABLE_RULE {
	char	*pattern;
	char	*keyname;	/* may be "%" */
	char	*signer;	/* NULL: none */
	size_t	 line;		/* SigningTable line */
} DKIMTABLE_RULE;

typedef struct DKIMTABLE_MATCH {
	char	keyname[DKIMTABLE_NAME_MAX + 1];
	char	signer[DKIMTABLE_SIGNER_MAX + 1];	/* "": none */
	size_t	line;		/* the SigningTable rule that matched */
} DKIMTABLE_MATCH;

const char	*dkimtable_spec(const char *buf, size_t len, size_t *pathoff,
		    int *is_refile);

DKIMTABLE_KEYS	*dkimtable_keys_parse(const char *buf, size_t len,
		    const char *file, char **errors);
void		 dkimtable_keys_free(DKIMTABLE_KEYS *);
size_t		 dkimtable_keys_count(const DKIMTABLE_KEYS *);
const DKIMTABLE_KEY *dkimtable_keys_entry(const DKIMTABLE_KEYS *, size_t i);
const DKIMTABLE_KEY *dkimtable_keys_find(const DKIMTABLE_KEYS *,
		    const char *name);
const char	*dkimtable_key_domain(const DKIMTABLE_KEY *,
		    const char *addrdomain);

DKIMTABLE_SIGN	*dkimtable_sign_parse(const char *buf, size_t len,
		    const char *file, int is_refile, char **errors);
void		 dkimtable_sign_free(DKIMTABLE_SIGN *);
size_t		 dkimtable_sign_count(const DKIMTABLE_SIGN *);
int		 dkimtable_sign_is_refile(const DKIMTABLE_SIGN *);
const DKIMTABLE_RULE *dkimtable_sign_rule(const DKIMTABLE_SIGN *, size_t i);
size_t		 dkimtable_sign_lookup(const DKIMTABLE_SIGN *,
		    const char *addr, size_t addrlen, int multiple,
		    DKIMTABLE_MATCH *out, size_t max);

size_t		 dkimtable_check(const DKIMTABLE_SIGN *,
		    const DKIMTABLE_KEYS *, char **errors);

#endif
