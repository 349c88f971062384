/*
 * cidr.h - lists of IPv4 and IPv6 networks, and membership tests.
 *
 *	CIDR_LIST *l = cidr_list_create();
 *	err = cidr_list_parse(l, "127.0.0.0/8, ::1 10.0.0.0/8", len);
 *	if (cidr_list_match_sa(l, sa)) ...
 *	if (cidr_list_match_text(l, "192.0.2.7", len)) ...
 *	cidr_list_free(l);
 *
 * cidr_list_add() adds one network ("192.0.2.0/24", "2001:db8::/32", or
 * a bare address meaning /32 or /128); cidr_list_parse() adds a list
 * separated by commas and/or white space.  Both return NULL on success or
 * a static error text (a malformed address, a prefix out of range, host
 * bits set beyond the prefix, an over-long token); the list is unchanged
 * on error for cidr_list_add(), and keeps the entries before the bad token
 * for cidr_list_parse().  Input need not be NUL-terminated.
 *
 * An IPv4-mapped IPv6 address (::ffff:192.0.2.7) matches IPv4 entries.
 * cidr_list_count() returns the number of entries.
 */
#ifndef REPGUARD_CIDR_H
#define REPGUARD_CIDR_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct CIDR_LIST CIDR_LIST;

CIDR_LIST	*cidr_list_create(void);
void		 cidr_list_free(CIDR_LIST *);
const char	*cidr_list_add(CIDR_LIST *, const char *buf, size_t len);
const char	*cidr_list_parse(CIDR_LIST *, const char *buf, size_t len);
size_t		 cidr_list_count(const CIDR_LIST *);
int		 cidr_list_match_sa(const CIDR_LIST *, const struct sockaddr *);
int		 cidr_list_match_text(const CIDR_LIST *, const char *buf,
		    size_t len);

#endif
