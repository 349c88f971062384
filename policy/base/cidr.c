/*
 * cidr.c - lists of IPv4 and IPv6 networks, and membership tests.
 *
 * Owns:
 *	CIDR_LIST *cidr_list_create(void);
 *	void cidr_list_free(CIDR_LIST *);
 *	const char *cidr_list_add(CIDR_LIST *, const char *buf, size_t len);
 *	const char *cidr_list_parse(CIDR_LIST *, const char *buf, size_t len);
 *	size_t cidr_list_count(const CIDR_LIST *);
 *	int cidr_list_match_sa(const CIDR_LIST *, const struct sockaddr *);
 *	int cidr_list_match_text(const CIDR_LIST *, const char *buf, size_t len);
 *
 * An entry is a 16-byte address, a family and a prefix length.  A network
 * is "address/prefix" or a bare address (/32 or /128), parsed by
 * inet_pton(); a token longer than CIDR_TOKEN_MAX octets is refused, and
 * so are host bits set beyond the prefix ("10.0.0.1/8").  An IPv4-mapped
 * IPv6 entry with a prefix of 96 or more (::ffff:10.0.0.0/104) is stored
 * as the IPv4 network it names.  A client address that is IPv4-mapped
 * IPv6 is matched as IPv4, against IPv4 entries only (as Postfix does:
 * "::/0" means every IPv6 client, not every client).
 *
 * Diagnostics: errors name the bad token, e.g. "host bits set in
 * 10.0.0.1/8", "malformed address in 10.0.0.x", "prefix length out of
 * range in 10.0.0.0/33", "missing prefix length in 10.0.0.0/", "malformed
 * prefix length in 10.0.0.0/8x", "over-long network in 1111...".  Such a
 * text lives in a per-thread buffer: it stays valid until the next
 * cidr_list_add() or cidr_list_parse() call in the same thread (and stays
 * valid after cidr_list_free()); copy it to keep it longer.
 *
 * Must not: include anything from filter/ or libmilter; assume a NUL
 * terminator on input; check allocations for NULL (policy/base/mem.h).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cidr.h"
#include "base/mem.h"

#define CIDR_TOKEN_MAX	64	/* longest network text accepted, octets */
#define CIDR_SHOW_MAX	48	/* bad token shown in an error, octets */

struct cidr_entry {
	unsigned char	addr[16];	/* AF_INET: first 4 bytes */
	int		family;		/* AF_INET or AF_INET6 */
	unsigned	prefix;
};

struct CIDR_LIST {
	struct cidr_entry	*ent;
	size_t			 count;
	size_t			 cap;
};

static _Thread_local char cidr_errbuf[sizeof("prefix length out of range in ")
    + CIDR_SHOW_MAX + sizeof("...")];

/* "WHAT in TOKEN", the token cut short and its unprintable bytes as '?'. */
static const char *
cidr_error(const char *what, const char *tok, size_t len)
{
	size_t n, i, show;

	n = strlen(what);
	memcpy(cidr_errbuf, what, n);
	memcpy(cidr_errbuf + n, " in ", 4);
	n += 4;
	show = len > CIDR_SHOW_MAX ? CIDR_SHOW_MAX : len;
	for (i = 0; i < show; i++) {
		unsigned char c = (unsigned char)tok[i];

		cidr_errbuf[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (show < len) {
		memcpy(cidr_errbuf + n, "...", 3);
		n += 3;
	}
	cidr_errbuf[n] = '\0';
	return cidr_errbuf;
}

static int
cidr_is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
cidr_is_v4mapped(const unsigned char *a)
{
	static const unsigned char pfx[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

/*
 * Parse an address (no prefix) of at most CIDR_TOKEN_MAX octets into
 * addr/family.  Returns 0 if it is not one.
 */
static int
cidr_parse_addr(const char *buf, size_t len, unsigned char *addr, int *family)
{
	char text[CIDR_TOKEN_MAX + 1];

	if (len == 0 || len > CIDR_TOKEN_MAX || memchr(buf, '\0', len) != NULL)
		return 0;
	memcpy(text, buf, len);
	text[len] = '\0';
	*family = memchr(buf, ':', len) != NULL ? AF_INET6 : AF_INET;
	memset(addr, 0, 16);
	return inet_pton(*family, text, addr) == 1;
}

/* Are any bits of addr[0..bytes) beyond the first prefix bits set? */
static int
cidr_host_bits(const unsigned char *addr, size_t bytes, unsigned prefix)
{
	size_t i = prefix / 8;

	if (prefix % 8 != 0 && (addr[i++] & (0xff >> (prefix % 8))) != 0)
		return 1;
	for (; i < bytes; i++)
		if (addr[i] != 0)
			return 1;
	return 0;
}

/* Do the first prefix bits of a and net agree? */
static int
cidr_prefix_eq(const unsigned char *a, const unsigned char *net,
    unsigned prefix)
{
	size_t full = prefix / 8;
	unsigned rem = prefix % 8;

	if (memcmp(a, net, full) != 0)
		return 0;
	return rem == 0 || ((a[full] ^ net[full]) & (0xff00 >> rem) & 0xff) == 0;
}

/* One network token into e. */
static const char *
cidr_parse_net(const char *buf, size_t len, struct cidr_entry *e)
{
	const char *slash;
	size_t alen, i;
	unsigned max;

	if (len == 0)
		return "empty network";
	if (len > CIDR_TOKEN_MAX)
		return cidr_error("over-long network", buf, len);
	slash = memchr(buf, '/', len);
	alen = slash != NULL ? (size_t)(slash - buf) : len;
	if (!cidr_parse_addr(buf, alen, e->addr, &e->family))
		return cidr_error("malformed address", buf, len);
	max = e->family == AF_INET ? 32 : 128;
	e->prefix = max;
	if (slash != NULL) {
		if (alen + 1 == len)
			return cidr_error("missing prefix length", buf, len);
		if (len - alen - 1 > 3)
			return cidr_error("malformed prefix length", buf, len);
		e->prefix = 0;
		for (i = alen + 1; i < len; i++) {
			if (buf[i] < '0' || buf[i] > '9')
				return cidr_error("malformed prefix length",
				    buf, len);
			e->prefix = e->prefix * 10 + (unsigned)(buf[i] - '0');
		}
		if (e->prefix > max)
			return cidr_error("prefix length out of range",
			    buf, len);
	}
	if (cidr_host_bits(e->addr, max / 8, e->prefix))
		return cidr_error("host bits set", buf, len);
	if (e->family == AF_INET6 && e->prefix >= 96 &&
	    cidr_is_v4mapped(e->addr)) {
		memmove(e->addr, e->addr + 12, 4);
		memset(e->addr + 4, 0, 12);
		e->family = AF_INET;
		e->prefix -= 96;
	}
	return NULL;
}

/* Does the address (family, 16 bytes) fall in a listed network? */
static int
cidr_match(const CIDR_LIST *l, int family, const unsigned char *addr)
{
	unsigned char v4[16];
	size_t i;

	if (l == NULL)
		return 0;
	if (family == AF_INET6 && cidr_is_v4mapped(addr)) {
		memset(v4, 0, sizeof(v4));
		memcpy(v4, addr + 12, 4);
		family = AF_INET;
		addr = v4;
	}
	for (i = 0; i < l->count; i++)
		if (l->ent[i].family == family &&
		    cidr_prefix_eq(addr, l->ent[i].addr, l->ent[i].prefix))
			return 1;
	return 0;
}

CIDR_LIST *
cidr_list_create(void)
{
	return mem_calloc(1, sizeof(CIDR_LIST));
}

void
cidr_list_free(CIDR_LIST *l)
{
	if (l == NULL)
		return;
	free(l->ent);
	free(l);
}

const char *
cidr_list_add(CIDR_LIST *l, const char *buf, size_t len)
{
	struct cidr_entry e;
	const char *err;

	if (buf == NULL)
		len = 0;
	if ((err = cidr_parse_net(buf, len, &e)) != NULL)
		return err;
	if (l->count == l->cap) {
		if (l->cap > SIZE_MAX / 2 / sizeof(e))
			return "too many networks";
		l->cap = l->cap ? l->cap * 2 : 8;
		l->ent = mem_realloc(l->ent, l->cap * sizeof(e));
	}
	l->ent[l->count++] = e;
	return NULL;
}

const char *
cidr_list_parse(CIDR_LIST *l, const char *buf, size_t len)
{
	const char *end, *tok, *err;

	if (buf == NULL)
		return NULL;
	end = buf + len;
	while (buf < end) {
		while (buf < end && cidr_is_sep(*buf))
			buf++;
		if (buf == end)
			break;
		tok = buf;
		while (buf < end && !cidr_is_sep(*buf))
			buf++;
		if ((err = cidr_list_add(l, tok, (size_t)(buf - tok))) != NULL)
			return err;
	}
	return NULL;
}

size_t
cidr_list_count(const CIDR_LIST *l)
{
	return l != NULL ? l->count : 0;
}

int
cidr_list_match_sa(const CIDR_LIST *l, const struct sockaddr *sa)
{
	unsigned char addr[16];

	if (sa == NULL)
		return 0;
	memset(addr, 0, sizeof(addr));
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->
		    sin_addr, 4);
		return cidr_match(l, AF_INET, addr);
	case AF_INET6:
		memcpy(addr, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
		return cidr_match(l, AF_INET6, addr);
	default:
		return 0;
	}
}

int
cidr_list_match_text(const CIDR_LIST *l, const char *buf, size_t len)
{
	unsigned char addr[16];
	int family;

	if (buf == NULL || !cidr_parse_addr(buf, len, addr, &family))
		return 0;
	return cidr_match(l, family, addr);
}
