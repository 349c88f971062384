/*
 * addr.h - SMTP mailbox parsing and canonical keys.
 *
 * addr_canon() parses one mailbox as the MTA hands it to a milter (MAIL
 * FROM or RCPT TO argument, with or without angle brackets) and writes one
 * canonical key for it: the same mailbox always gives the same key, however
 * it was cased or quoted, so case or quoting cannot dodge a decision.
 *
 *	err = addr_canon(buf, len, out, sizeof(out), &outlen);
 *
 * Returns NULL on success, else a static English error text; out is then
 * an empty string.  buf need not be NUL-terminated.  "<>" (the null sender)
 * is valid and gives the empty key (outlen 0).
 *
 * addr_utf8_valid(buf, len) says whether buf is well-formed UTF-8.
 *
 * addr_domain(key) returns a pointer to the domain part inside a canonical
 * key (after the last '@'), or "" for the null sender.
 *
 * Bytes >= 0x80 must form well-formed UTF-8; they are kept, never folded.
 * A key never exceeds ADDR_KEY_MAX - 1 octets, so an out[ADDR_KEY_MAX]
 * always fits.  The error texts are listed in addr.c.
 */
#ifndef REPGUARD_ADDR_H
#define REPGUARD_ADDR_H

#include <stddef.h>

#define ADDR_LOCAL_MAX	256	/* octets; RFC 5321 says 64, but Postfix
				   accepts more and VERP or SRS addresses
				   often need it: a key must not refuse
				   mail the MTA takes */
#define ADDR_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2, octets */
#define ADDR_KEY_MAX	(ADDR_LOCAL_MAX * 2 + 3 + 1 + ADDR_DOMAIN_MAX + 1)
				/* quoted local part, '@', domain, NUL */

const char	*addr_canon(const char *buf, size_t len, char *out,
		    size_t outsize, size_t *outlen);
const char	*addr_domain(const char *key);
int		 addr_utf8_valid(const char *buf, size_t len);

#endif
