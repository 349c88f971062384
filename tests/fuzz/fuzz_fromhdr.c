/*
 * fuzz_fromhdr.c - fromhdr_address() on any From: field body a sender
 * writes, whose address the signer and the alignment checks use.
 *
 * Holds for every input: a failure gives an empty key and length 0; a
 * key found fits ADDR_KEY_MAX, its length is what was returned, and it is
 * canonical (addr_canon() gives it back); only the first FROMHDR_MAX
 * octets count; a key found in too small a buffer is refused, not cut;
 * a plain key (no specials or white space) is found again as the whole
 * field, as "Name <key>" and as "key (comment)".
 */
#include "base/addr.h"
#include "dkim/fromhdr.h"
#include "fuzz.h"

/* Does the key hold nothing the From: syntax treats specially? */
static int
plain_key(const char *key)
{
	return key[0] != '\0' && strpbrk(key, "()<>,;:\"\\ \t\r\n") == NULL;
}

/* fromhdr_address() of before, key, after must give key. */
static void
check_again(const char *before, const char *key, const char *after,
    size_t klen)
{
	char text[ADDR_KEY_MAX + 64], again[ADDR_KEY_MAX];
	size_t alen = 0;
	int n;

	n = snprintf(text, sizeof(text), "%s%s%s", before, key, after);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(text));
	FUZZ_CHECK(fromhdr_address(text, (size_t)n, again, sizeof(again),
	    &alen) == NULL);
	FUZZ_CHECK(alen == klen && strcmp(again, key) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;	/* exactly size octets */
	char key[ADDR_KEY_MAX], again[ADDR_KEY_MAX], small[8];
	size_t klen = 12345, alen = 0;
	const char *err;

	memset(key, 'x', sizeof(key));
	err = fromhdr_address(in, size, key, sizeof(key), &klen);
	if (err != NULL) {
		FUZZ_CHECK(key[0] == '\0' && klen == 0);
		return 0;
	}
	FUZZ_CHECK(klen == strlen(key) && klen < ADDR_KEY_MAX);
	FUZZ_CHECK(addr_canon(key, klen, again, sizeof(again), &alen) ==
	    NULL);
	FUZZ_CHECK(alen == klen && memcmp(key, again, klen) == 0);
	if (size > FROMHDR_MAX) {
		FUZZ_CHECK(fromhdr_address(in, FROMHDR_MAX, again,
		    sizeof(again), &alen) == NULL);
		FUZZ_CHECK(alen == klen && strcmp(again, key) == 0);
	}
	if (klen >= sizeof(small)) {
		FUZZ_CHECK(fromhdr_address(in, size, small, sizeof(small),
		    &alen) != NULL);
		FUZZ_CHECK(small[0] == '\0' && alen == 0);
	}
	if (plain_key(key)) {
		check_again("", key, "", klen);
		check_again("Some One <", key, ">", klen);
		check_again("", key, " (Some One)", klen);
	}
	return 0;
}
