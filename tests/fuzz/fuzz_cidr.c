/*
 * fuzz_cidr.c - cidr_list_parse(), cidr_list_add() and the matches on any
 * InternalHosts list and any client address.
 *
 * The input is the list, then after a NUL the address to match.
 *
 * Holds for every input: an error is a non-empty text of at most one
 * line's printable characters, and the list keeps exactly the networks
 * before the bad token (all of them without an error); every network
 * listed matches its own address; cidr_list_add() of a token adds one
 * network or, refused, leaves the list as it was; an address matches the
 * same by text and as a socket address, and an IPv4 address the same as
 * its IPv4-mapped IPv6 form; an empty list matches nothing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "base/cidr.h"
#include "fuzz.h"

static int
is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
check_error(const char *err)
{
	const char *p;

	FUZZ_CHECK(err != NULL && err[0] != '\0');
	for (p = err; *p != '\0'; p++)
		FUZZ_CHECK(*p >= 0x20 && *p < 0x7f);
}

/* The address as text and as a socket address match the same. */
static void
check_match(const CIDR_LIST *l, const char *a, size_t len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	char text[80], mapped[100];
	int m = cidr_list_match_text(l, a, len);

	if (len == 0 || len >= sizeof(text) || memchr(a, '\0', len) != NULL)
		return;
	memcpy(text, a, len);
	text[len] = '\0';
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (memchr(text, ':', len) == NULL &&
	    inet_pton(AF_INET, text, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		FUZZ_CHECK(cidr_list_match_sa(l, (struct sockaddr *)&sin) == m);
		snprintf(mapped, sizeof(mapped), "::ffff:%s", text);
		FUZZ_CHECK(cidr_list_match_text(l, mapped, strlen(mapped)) ==
		    m);
	} else if (inet_pton(AF_INET6, text, &sin6.sin6_addr) == 1) {
		sin6.sin6_family = AF_INET6;
		FUZZ_CHECK(cidr_list_match_sa(l, (struct sockaddr *)&sin6) ==
		    m);
	} else
		FUZZ_CHECK(m == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *lp, *ap;
	size_t llen, alen, good = 0, before;
	int refused = 0;
	char *list, *addr;
	const char *p, *end, *tok, *err, *slash;
	CIDR_LIST *l = cidr_list_create(), *one = cidr_list_create();

	fuzz_split(&data, &size, &lp, &llen);
	ap = data;
	alen = size;
	list = fuzz_dup(lp, llen);
	addr = fuzz_dup(ap, alen);

	check_match(l, addr, alen);
	FUZZ_CHECK(cidr_list_match_text(l, addr, alen) == 0);

	err = cidr_list_parse(l, list, llen);
	/* token by token: each good one is listed and matches itself */
	for (p = list, end = list + llen; p < end; ) {
		while (p < end && is_sep(*p))
			p++;
		if (p == end)
			break;
		for (tok = p; p < end && !is_sep(*p); p++)
			;
		before = cidr_list_count(one);
		if (cidr_list_add(one, tok, (size_t)(p - tok)) != NULL) {
			FUZZ_CHECK(cidr_list_count(one) == before);
			refused = 1;
			break;
		}
		FUZZ_CHECK(cidr_list_count(one) == before + 1);
		good++;
		slash = memchr(tok, '/', (size_t)(p - tok));
		FUZZ_CHECK(cidr_list_match_text(l, tok, slash ?
		    (size_t)(slash - tok) : (size_t)(p - tok)));
	}
	if (err != NULL)
		check_error(err);
	FUZZ_CHECK(cidr_list_count(l) == good);
	FUZZ_CHECK((err != NULL) == refused);

	check_match(l, addr, alen);
	FUZZ_CHECK(cidr_list_match_text(l, addr, alen) ==
	    cidr_list_match_text(one, addr, alen));
	cidr_list_free(one);
	cidr_list_free(l);
	free(addr);
	free(list);
	return 0;
}
