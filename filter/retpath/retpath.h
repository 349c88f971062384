/*
 * retpath.h - return-path rewriting as configured: the bounce domain, the
 * prefix, how long tokens live, the secret keys, and which senders.
 *
 *	RETPATH *rp = retpath_create(&settings, &errors);  NULL: errors
 *						holds "file:line: ..." lines
 *	retpath_on(rp)				ReturnPathDomain is set
 *	retpath_applies(rp, envelope_key)	rewrite this sender's mail?
 *	err = retpath_address(rp, id, now, out, sizeof(out));
 *	keys = retpath_keys(rp, &n);		for rptoken_check()
 *	retpath_check_owner(rp, uid, user, &w)	key files that user cannot
 *						read (reloads run as UserID)
 *	retpath_free(rp);			wipes the keys
 *
 * Keys are read when the configuration is loaded (at start as root,
 * before privileges are dropped, and at reload), each from a file that
 * only its owner may read (filter/common/secretfile.c): the file's bytes, less
 * trailing white space, are the secret, at least 32 of them ("openssl rand
 * -hex 32" makes one).  ReturnPathKeyFile lists one or more files; the
 * first signs, all verify, so a key is rotated by putting a new file
 * first and dropping the old one after ReturnPathExpiry.
 *
 * ReturnPathSenders limits rewriting to the listed envelope senders: an
 * entry with '@' is one address, one without is a domain and its
 * subdomains.  Unset: every outbound sender but the null sender.
 *
 * The settings are the keywords' values as the configuration gives them
 * (filter/conf/ fills them in), with the file and the line of each, so
 * that an error says "file:line: ..." at the keyword.
 */
#ifndef REPGUARD_RETPATH_H
#define REPGUARD_RETPATH_H

#include <stddef.h>
#include <stdint.h>

#include "retpath/rptoken.h"

typedef struct RETPATH RETPATH;

#define RETPATH_KEYS_MAX	8

typedef struct {
	const char	*file;		/* the configuration, for errors */
	const char	*domain;	/* ReturnPathDomain; NULL: off */
	const char	*key_files;	/* ReturnPathKeyFile; NULL: none */
	const char	*prefix;	/* ReturnPathPrefix */
	const char	*senders;	/* ReturnPathSenders; NULL: all */
	int64_t		 expiry;	/* ReturnPathExpiry, seconds */
	struct {
		int	 domain, key_files, prefix, senders;
	} line;				/* where each is set; 0: default */
} RETPATH_SETTINGS;

RETPATH		*retpath_create(const RETPATH_SETTINGS *, char **errors);
void		 retpath_check_owner(const RETPATH *, unsigned uid,
		    const char *user, char **warnings);
void		 retpath_free(RETPATH *);
int		 retpath_on(const RETPATH *);
int		 retpath_applies(const RETPATH *, const char *envelope_key);
const char	*retpath_address(const RETPATH *, uint64_t id, int64_t now,
		    char *out, size_t outsize);
int64_t		 retpath_expiry(const RETPATH *);	/* seconds */
const char	*retpath_domain(const RETPATH *);
const char	*retpath_prefix(const RETPATH *);
const RPTOKEN_KEY *retpath_keys(const RETPATH *, size_t *n);

#endif
