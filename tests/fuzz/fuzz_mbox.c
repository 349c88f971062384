/*
 * fuzz_mbox.c - ctl_mbox_next() on any mbox file handed to repguardctl
 * parse-bounce.
 *
 * Holds for every input: every message lies inside the input, in order,
 * each one starting where the previous one ended (after a "From " line
 * that opens it, which is the only thing left out); the walk ends at the
 * input's end and always moves forward; a message never holds a "From "
 * line that follows an empty line.
 */
#include "ctl/ctl_msgsrc.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = fuzz_dup(data, size);
	const char *msg, *nl;
	size_t off = 0, prev, mlen, k;
	int n = 0;

	while (1) {
		prev = off;
		if (!ctl_mbox_next(buf, size, &off, &msg, &mlen))
			break;
		n++;
		FUZZ_CHECK(off > prev && off <= size);
		FUZZ_CHECK(msg >= buf + prev && msg + mlen == buf + off);
		/* only an opening "From " line is skipped */
		if (msg > buf + prev) {
			FUZZ_CHECK(size - prev >= 5 &&
			    memcmp(buf + prev, "From ", 5) == 0);
			nl = memchr(buf + prev, '\n', size - prev);
			FUZZ_CHECK(nl != NULL ? nl + 1 == msg :
			    msg == buf + size);
		}
		for (k = 1; k + 5 <= mlen; k++)
			if (msg[k - 1] == '\n' && memcmp(msg + k, "From ", 5) ==
			    0 && k >= 2 && (msg[k - 2] == '\n' || (msg[k - 2] ==
			    '\r' && k >= 3 && msg[k - 3] == '\n')))
				FUZZ_CHECK(!"an unsplit From line after a blank");
	}
	FUZZ_CHECK(off == size || size == 0);
	FUZZ_CHECK(n <= (int)size + 1);
	free(buf);
	return 0;
}
