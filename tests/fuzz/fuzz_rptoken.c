/*
 * fuzz_rptoken.c - rptoken_check(), rptoken_split(), rptoken_prefix_ok()
 * and rptoken_address() on any local part that comes back to the bounce
 * domain, and rptoken_make() on any id and expiry.
 *
 * The whole input is checked as a token under two fixed keys.  Its first
 * 12 octets are also an id (8) and an expiry (4) to make a token from,
 * the 13th chooses a hex digit to change; the input up to its first NUL
 * is a prefix and the rest a local part to split.
 *
 * Holds for every input: a token that checks is RPTOKEN_LEN hex digits,
 * and making a token of its id and expiry under the key that verified
 * gives it back (in lower case); a made token is RPTOKEN_LEN lower-case
 * hex digits, checks back to the same id, expiry and key in either case,
 * is expired one second after its expiry, fails under a key that did not
 * make it, and fails with any one hex digit changed; a prefix that is
 * accepted has 1 to RPTOKEN_PREFIX_MAX octets of letters, digits, '.',
 * '-', '_' and no '.' at an end, and PREFIX+TOKEN@DOMAIN splits back to
 * that token; a split's token lies inside the local part, after
 * "prefix+".
 */
#include <ctype.h>
#include <strings.h>

#include "retpath/rptoken.h"
#include "fuzz.h"

static RPTOKEN_KEY keys[2];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char secret[48];
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = (unsigned char)(i * 7 + 1);
	FUZZ_CHECK(rptoken_key_set(&keys[0], secret, 32) == NULL);
	FUZZ_CHECK(rptoken_key_set(&keys[1], secret + 8, 40) == NULL);
	return 0;
}

static int
all_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The whole input as a token someone sent back. */
static void
check_any(const char *in, size_t size)
{
	RPTOKEN_INFO info;
	char tok[RPTOKEN_LEN + 1];
	size_t i;

	if (rptoken_check(in, size, keys, 2, 0, &info) != NULL)
		return;
	FUZZ_CHECK(size == RPTOKEN_LEN && all_hex(in, size));
	FUZZ_CHECK(info.key < 2);
	FUZZ_CHECK(rptoken_make(&keys[info.key], info.id, info.expires, tok,
	    sizeof(tok)) == NULL);
	for (i = 0; i < RPTOKEN_LEN; i++)
		FUZZ_CHECK(tok[i] == tolower((unsigned char)in[i]));
}

/* A token made of the input's id and expiry. */
static void
check_made(const uint8_t *data, size_t size)
{
	RPTOKEN_INFO info;
	char tok[RPTOKEN_LEN + 1], alt[RPTOKEN_LEN + 1];
	uint64_t id = 0;
	int64_t expires = 0;
	size_t i, k;

	if (size < 13)
		return;
	for (i = 0; i < 8; i++)
		id = id << 8 | data[i];
	for (i = 8; i < 12; i++)
		expires = expires << 8 | data[i];
	k = data[12] & 1;

	FUZZ_CHECK(rptoken_make(&keys[k], id, expires, tok, sizeof(tok) - 1)
	    != NULL);
	FUZZ_CHECK(rptoken_make(&keys[k], id, expires, tok, sizeof(tok)) ==
	    NULL);
	FUZZ_CHECK(strlen(tok) == RPTOKEN_LEN && all_hex(tok, RPTOKEN_LEN));
	for (i = 0; i < RPTOKEN_LEN; i++)
		FUZZ_CHECK(!isupper((unsigned char)tok[i]));

	FUZZ_CHECK(rptoken_check(tok, RPTOKEN_LEN, keys, 2, expires, &info) ==
	    NULL);
	FUZZ_CHECK(info.id == id && info.expires == expires && info.key == k);
	FUZZ_CHECK(rptoken_check(tok, RPTOKEN_LEN, keys, 2, expires + 1,
	    &info) != NULL);
	FUZZ_CHECK(rptoken_check(tok, RPTOKEN_LEN, &keys[1 - k], 1, 0,
	    &info) != NULL);
	FUZZ_CHECK(rptoken_check(tok, RPTOKEN_LEN - 1, keys, 2, 0, &info) !=
	    NULL);

	memcpy(alt, tok, sizeof(alt));
	for (i = 0; i < RPTOKEN_LEN; i++)
		alt[i] = (char)toupper((unsigned char)alt[i]);
	FUZZ_CHECK(rptoken_check(alt, RPTOKEN_LEN, keys, 2, 0, &info) ==
	    NULL);
	FUZZ_CHECK(info.id == id && info.expires == expires && info.key == k);

	/* one hex digit changed to another: never valid */
	memcpy(alt, tok, sizeof(alt));
	i = data[12] % RPTOKEN_LEN;
	alt[i] = "0123456789abcdef"[((alt[i] <= '9' ? alt[i] - '0' :
	    alt[i] - 'a' + 10) + 1 + (data[12] >> 4) % 15) % 16];
	FUZZ_CHECK(alt[i] != tok[i]);
	FUZZ_CHECK(rptoken_check(alt, RPTOKEN_LEN, keys, 2, 0, &info) !=
	    NULL);
}

/* A prefix, then a local part. */
static void
check_prefix(const uint8_t *data, size_t size, const char *tok)
{
	const uint8_t *pd, *rest = data;
	const char *t;
	char *prefix, *local, addr[RPTOKEN_PREFIX_MAX + RPTOKEN_LEN + 40];
	size_t plen, n, tlen, i;

	fuzz_split(&rest, &size, &pd, &plen);
	prefix = fuzz_str(pd, plen);
	local = fuzz_dup(rest, size);

	if (rptoken_prefix_ok(prefix, plen) == NULL) {
		FUZZ_CHECK(plen >= 1 && plen <= RPTOKEN_PREFIX_MAX);
		for (i = 0; i < plen; i++)
			FUZZ_CHECK(isalnum((unsigned char)prefix[i]) ||
			    strchr(".-_", prefix[i]) != NULL);
		FUZZ_CHECK(prefix[0] != '.' && prefix[plen - 1] != '.');
		FUZZ_CHECK(rptoken_address(prefix, tok, "bounce.example.com",
		    addr, sizeof(addr)) == NULL);
		FUZZ_CHECK(strlen(addr) == plen + 1 + RPTOKEN_LEN + 1 + 18);
		n = (size_t)(strchr(addr, '@') - addr);
		FUZZ_CHECK(rptoken_split(addr, n, prefix, &t, &tlen) == NULL);
		FUZZ_CHECK(tlen == RPTOKEN_LEN && memcmp(t, tok, tlen) == 0);
		FUZZ_CHECK(rptoken_address(prefix, tok, "bounce.example.com",
		    addr, plen + RPTOKEN_LEN + 20) != NULL);
	} else {
		FUZZ_CHECK(rptoken_address(prefix, tok, "bounce.example.com",
		    addr, sizeof(addr)) != NULL);
	}

	if (rptoken_split(local, size, prefix, &t, &tlen) == NULL) {
		FUZZ_CHECK(size > plen && t == local + plen + 1);
		FUZZ_CHECK(tlen == size - plen - 1 && t[-1] == '+');
		FUZZ_CHECK(strncasecmp(local, prefix, plen) == 0);
	}
	free(prefix);
	free(local);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char tok[RPTOKEN_LEN + 1];

	/* data is exactly size octets (libFuzzer's and replay's buffers) */
	check_any((const char *)data, size);
	check_made(data, size);
	FUZZ_CHECK(rptoken_make(&keys[0], size, 1, tok, sizeof(tok)) == NULL);
	check_prefix(data, size, tok);
	return 0;
}
