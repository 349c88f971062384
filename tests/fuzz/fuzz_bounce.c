/*
 * fuzz_bounce.c - bounce_parse() on any message that comes back to the
 * bounce domain: DSNs, non-standard bounces, ARF complaints, automatic
 * replies, and whatever else strangers send there.
 *
 * The rules are contrib/bounce-rules (found through TOP_SRCDIR, which
 * make check and tests/fuzz/run.sh set), so classification runs too.
 * The message is also fed to a BOUNCE_BUF in chunks whose sizes come from
 * its first octet, as the milter's body callbacks would.
 *
 * Holds for every input: at most BOUNCE_RCPTS_MAX recipients; every text
 * field is NUL-terminated within its buffer; a recipient of a report has
 * a class; a token found is RPTOKEN_LEN hex digits; the chunked buffer
 * keeps exactly the first BOUNCE_SCAN_MAX octets and counts the rest.
 */
#include "retpath/bounce.h"
#include "fuzz.h"

static BOUNCE_RULES *rules;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *top = getenv("TOP_SRCDIR");
	char path[4096], *errors = NULL;

	(void)argc;
	(void)argv;
	if (top == NULL) {
		fprintf(stderr, "fuzz_bounce: TOP_SRCDIR is not set\n");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/contrib/bounce-rules", top);
	if ((rules = bouncerules_load(path, &errors)) == NULL) {
		fprintf(stderr, "fuzz_bounce: %s\n", errors ? errors : path);
		exit(2);
	}
	free(errors);
	return 0;
}

#define TERMINATED(a)	(memchr((a), '\0', sizeof(a)) != NULL)

static void
check_bounce(const BOUNCE *b)
{
	size_t i;

	FUZZ_CHECK(b->nrcpts <= BOUNCE_RCPTS_MAX);
	FUZZ_CHECK(TERMINATED(b->token) && TERMINATED(b->subject));
	FUZZ_CHECK(TERMINATED(b->feedback_type) && TERMINATED(b->message_id));
	FUZZ_CHECK(TERMINATED(b->reporting_mta));
	FUZZ_CHECK(b->token[0] == '\0' ||
	    strspn(b->token, "0123456789abcdefABCDEF") == RPTOKEN_LEN);
	for (i = 0; i < b->nrcpts; i++) {
		const BOUNCE_RCPT *r = &b->rcpts[i];

		FUZZ_CHECK(TERMINATED(r->address) && TERMINATED(r->original));
		FUZZ_CHECK(TERMINATED(r->status) && TERMINATED(r->action));
		FUZZ_CHECK(TERMINATED(r->diagnostic));
		FUZZ_CHECK(TERMINATED(r->remote_mta));
		FUZZ_CHECK(r->cls != NULL);
	}
	FUZZ_CHECK(bounce_type_name(b->type) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *msg = fuzz_dup(data, size);
	BOUNCE b;
	BOUNCE_BUF buf = { 0 };
	size_t off = 0, step = size > 0 ? (size_t)data[0] % 97 + 1 : 1;

	memset(&b, 0x5a, sizeof(b));	/* nothing may be left unset */
	bounce_parse(msg, size, "rp", "bounce.example.com", rules, &b);
	check_bounce(&b);

	while (off < size) {
		size_t n = size - off < step ? size - off : step;

		bounce_buf_add(&buf, msg + off, n);
		off += n;
	}
	FUZZ_CHECK(buf.len == (size < BOUNCE_SCAN_MAX ? size : BOUNCE_SCAN_MAX));
	FUZZ_CHECK(buf.dropped == size - buf.len);
	FUZZ_CHECK(buf.len == 0 || memcmp(buf.buf, msg, buf.len) == 0);
	bounce_buf_free(&buf);
	free(msg);
	return 0;
}
