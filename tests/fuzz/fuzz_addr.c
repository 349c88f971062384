/*
 * fuzz_addr.c - addr_canon(), addr_domain(), addr_utf8_valid() on any
 * MAIL FROM or RCPT TO argument.
 *
 * Holds for every input: a key fits ADDR_KEY_MAX and its length is what
 * was returned; a key is valid UTF-8; a key is its own key (canonical
 * twice gives the same); a failure leaves an empty key; the domain of a
 * key points inside it, just after an '@' (the null sender's is "").
 */
#include "base/addr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_dup(data, size);
	char key[ADDR_KEY_MAX], again[ADDR_KEY_MAX];
	size_t klen = 12345, alen = 0;
	const char *err, *dom;

	(void)addr_utf8_valid(in, size);
	err = addr_canon(in, size, key, sizeof(key), &klen);
	if (err != NULL) {
		FUZZ_CHECK(key[0] == '\0');
	} else {
		FUZZ_CHECK(klen == strlen(key) && klen < ADDR_KEY_MAX);
		FUZZ_CHECK(addr_utf8_valid(key, klen));
		dom = addr_domain(key);
		FUZZ_CHECK(klen == 0 ? dom[0] == '\0' :
		    dom > key && dom <= key + klen && dom[-1] == '@');
		FUZZ_CHECK(addr_canon(key, klen, again, sizeof(again),
		    &alen) == NULL);
		FUZZ_CHECK(alen == klen && memcmp(key, again, klen) == 0);
	}
	free(in);
	return 0;
}
