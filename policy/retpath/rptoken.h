/*
 * rptoken.h - the token in a rewritten return-path.
 *
 *	RPTOKEN_KEY keys[2];			the first signs, all verify
 *	err = rptoken_key_set(&keys[0], bytes, len);
 *	rptoken_make(&keys[0], id, expires, tok);	tok: RPTOKEN_LEN + 1
 *	err = rptoken_check(tok, len, keys, 2, now, &info);
 *	err = rptoken_address(prefix, tok, domain, addr, sizeof(addr));
 *	err = rptoken_split(local, len, prefix, &tok, &toklen);
 *
 * A rewritten return-path is PREFIX+TOKEN@DOMAIN.  The token is 23 octets
 * in hex (RPTOKEN_LEN characters, lower case when made, either case when
 * read: some MTAs change the case of local parts): a version octet, the
 * expiry (seconds since the epoch, 32 bits), a 64-bit record id (the
 * message's entry in the store, which holds who sent it), and the first
 * 80 bits of an HMAC-SHA256 over all of that under a secret key.  Hex
 * passes every MTA unchanged.  With RPTOKEN_PREFIX_MAX octets of prefix the
 * local part stays within 64 octets whatever the original address was.
 *
 * rptoken_check() returns NULL and fills info, or one of the texts
 * "not a return-path token", "unknown token version", "forged or altered
 * token" (no key's MAC matches), "expired token".  A token is valid up to
 * and including its expiry second.  MACs are compared in constant time.
 * The parsers take (buf, len) and never read beyond len.
 */
#ifndef REPGUARD_RPTOKEN_H
#define REPGUARD_RPTOKEN_H

#include <stddef.h>
#include <stdint.h>

#define RPTOKEN_BYTES		23
#define RPTOKEN_LEN		(2 * RPTOKEN_BYTES)
#define RPTOKEN_PREFIX_MAX	(64 - 1 - RPTOKEN_LEN)	/* 17 */
#define RPTOKEN_KEY_MIN		32	/* octets of secret */
#define RPTOKEN_KEY_MAX		256
#define RPTOKEN_VERSION		1

typedef struct {
	unsigned char	key[RPTOKEN_KEY_MAX];
	size_t		len;
} RPTOKEN_KEY;

typedef struct {
	uint64_t	id;		/* the record id */
	int64_t		expires;	/* seconds since the epoch */
	size_t		key;		/* index of the key that verified */
} RPTOKEN_INFO;

const char	*rptoken_key_set(RPTOKEN_KEY *, const void *secret, size_t len);
void		 rptoken_key_wipe(RPTOKEN_KEY *);
const char	*rptoken_make(const RPTOKEN_KEY *, uint64_t id, int64_t expires,
		    char *out, size_t outsize);
const char	*rptoken_check(const char *tok, size_t len,
		    const RPTOKEN_KEY *keys, size_t nkeys, int64_t now,
		    RPTOKEN_INFO *info);
const char	*rptoken_prefix_ok(const char *prefix, size_t len);
const char	*rptoken_address(const char *prefix, const char *tok,
		    const char *domain, char *out, size_t outsize);
const char	*rptoken_split(const char *local, size_t len,
		    const char *prefix, const char **tok, size_t *toklen);
int		 rptoken_new_id(uint64_t *id);	/* random; 0, or -1 */

#endif
