/*
 * fuzz_suppress.c - suppress_csv_parse(), suppress_csv_skip() and
 * suppress_csv_format() on any line of a file given to repguardctl
 * suppress import.
 *
 * Holds for every input: an error is a non-empty text; a parsed entry
 * has a canonical, non-empty address, a known reason, a scope, and a
 * source that fit their buffers, and no time before 1970; its export
 * line (in the 2048 octets repguardctl export gives it) is one line that
 * import does not skip and that reads back as the same entry; a format
 * into a smaller buffer stays inside it; a line whose first non-blank
 * octet is '#' is skipped.
 */
#include <ctype.h>

#include "fuzz.h"
#include "reputation/suppress_csv.h"

#define EXPORT_LINE	2048		/* filter/ctl/ctl_suppress.c's buffer */

#define TERMINATED(a)	(memchr((a), '\0', sizeof(a)) != NULL)

static void
check_entry(const SUPPRESS_ENTRY *e)
{
	char key[ADDR_KEY_MAX];
	size_t klen;

	FUZZ_CHECK(TERMINATED(e->addr) && TERMINATED(e->scope));
	FUZZ_CHECK(TERMINATED(e->source));
	FUZZ_CHECK(e->addr[0] != '\0');
	FUZZ_CHECK(addr_canon(e->addr, strlen(e->addr), key, sizeof(key),
	    &klen) == NULL && strcmp(key, e->addr) == 0);
	FUZZ_CHECK(e->reason == SUPPRESS_HARD ||
	    e->reason == SUPPRESS_COMPLAINT || e->reason == SUPPRESS_MANUAL);
	FUZZ_CHECK(e->time >= 0 && e->expires >= 0);
}

static void
check_round_trip(const SUPPRESS_ENTRY *e, size_t small)
{
	char line[EXPORT_LINE], *part;
	SUPPRESS_ENTRY back;
	const char *err;
	size_t len;

	suppress_csv_format(e, line, sizeof(line));
	FUZZ_CHECK(TERMINATED(line));
	len = strlen(line);
	FUZZ_CHECK(strpbrk(line, "\r\n") == NULL);
	FUZZ_CHECK(!suppress_csv_skip(line, len));
	err = suppress_csv_parse(line, len, &back);
	if (err != NULL)
		fprintf(stderr, "exported \"%s\" reads back as: %s\n", line,
		    err);
	FUZZ_CHECK(err == NULL);
	FUZZ_CHECK(strcmp(back.addr, e->addr) == 0);
	FUZZ_CHECK(strcmp(back.scope, e->scope) == 0);
	FUZZ_CHECK(strcmp(back.source, e->source) == 0);
	FUZZ_CHECK(back.reason == e->reason);
	FUZZ_CHECK(back.time == e->time && back.expires == e->expires);

	/* a buffer too small cuts the line, inside the buffer */
	part = malloc(small);
	if (part == NULL)
		abort();
	memset(part, 'x', small);
	suppress_csv_format(e, part, small);
	FUZZ_CHECK(memchr(part, '\0', small) != NULL);
	free(part);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = fuzz_dup(data, size);
	SUPPRESS_ENTRY e;
	const char *err;
	size_t i = 0;
	int skip;

	memset(&e, 0x5a, sizeof(e));
	err = suppress_csv_parse(line, size, &e);
	if (err != NULL) {
		FUZZ_CHECK(err[0] != '\0');
	} else {
		check_entry(&e);
		check_round_trip(&e, size > 0 ? (size_t)data[0] % 80 + 1 : 1);
	}

	skip = suppress_csv_skip(line, size);
	while (i < size && isspace(data[i]))
		i++;
	if (i == size || data[i] == '#')
		FUZZ_CHECK(skip);
	free(line);
	return 0;
}
