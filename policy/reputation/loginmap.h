/*
 * loginmap.h - which SASL logins may use which envelope senders, read
 * from a file in the text format of Postfix's smtpd_sender_login_maps.
 *
 *	LOGINMAP *m = loginmap_parse(text, len, "file", &errors);
 *	ok = loginmap_allows(m, "alice@example.com", "alice");
 *	ok = loginmap_allows_client(m, "alice@example.com", "10.2.3.4");
 *	loginmap_free(m);
 *
 * One entry a line: a sender pattern, white space, then logins separated
 * by commas and/or white space.  Patterns: "user@domain" (that address),
 * "@domain" (every address of the domain) and "user@" (that local part at
 * any domain).  A value that is an IP address or network ("10.2.0.0/16",
 * "2001:db8::/32", "192.0.2.7": it holds a '/' or a ':', or only digits
 * and dots) is a client network, not a login: a map read as a signing
 * authorisation lets clients from it be signed for the pattern's addresses
 * (loginmap_allows_client()); loginmap_allows() looks at logins only.  A
 * value that looks like a network but is not one is an error.  '#'
 * starts a comment line.  A sender is looked up as its address, then
 * "@domain", then "user@" (the first pattern found decides); a sender no
 * pattern names is allowed to nobody.  Addresses, domains and logins
 * compare case-insensitively (addresses in their canonical form,
 * addr_canon()).  Errors: "name:line: message", all of them, and no map.
 */
#ifndef REPGUARD_LOGINMAP_H
#define REPGUARD_LOGINMAP_H

#include <stddef.h>

#define LOGINMAP_FILE_MAX	(16 * 1024 * 1024)

typedef struct LOGINMAP LOGINMAP;

LOGINMAP	*loginmap_parse(const char *text, size_t len, const char *name,
		    char **errors);
int		 loginmap_allows(const LOGINMAP *, const char *sender,
		    const char *login);
int		 loginmap_allows_client(const LOGINMAP *, const char *sender,
		    const char *client_addr);
size_t		 loginmap_size(const LOGINMAP *);
void		 loginmap_free(LOGINMAP *);

#endif
