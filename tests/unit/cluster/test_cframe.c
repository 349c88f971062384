/*
 * test_cframe.c - unit tests for policy/cluster/cframe.c.
 *
 * Covers: entries added and read back in order (seq, kind, payload,
 * an empty payload); a full frame says so and keeps what it has; one
 * entry larger than the frame's size still goes alone; every truncation
 * of a frame reads a prefix of its entries then stops with an error,
 * never past the end; seqs that do not ascend, unknown kinds and lengths
 * past the end are errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cframe.h"
#include "store/store.h"
#include "tap.h"

static size_t
read_all(const unsigned char *buf, size_t len, CFRAME_ENTRY *out, size_t max,
    const char **err)
{
	CFRAME_ENTRY e;
	size_t off = 0, n = 0;

	memset(&e, 0, sizeof(e));
	while ((*err = cframe_next(buf, len, &off, &e)) == NULL && e.p != NULL)
		if (n < max)
			out[n++] = e;
	return n;
}

int
main(void)
{
	CFRAME f;
	CFRAME_ENTRY got[8];
	const char *err;
	unsigned char big[600], *copy;
	size_t n, cut, i;
	int bad = 0, overrun = 0;

	memset(big, 'x', sizeof(big));
	cframe_init(&f, 100);
	tap_int(cframe_add(&f, 5, STORE_CHANGE_COUNT, "abc", 3), 0, "add one");
	tap_int(cframe_add(&f, 6, STORE_CHANGE_STATE, "", 0), 0, "add an empty "
	    "payload");
	tap_int(cframe_add(&f, 6, STORE_CHANGE_STATE, "z", 1), 1, "a seq that "
	    "does not ascend ends the frame");
	tap_int(cframe_add(&f, 9, STORE_CHANGE_RECORD, big, 90), 1, "past its "
	    "size: full");
	tap_ok(f.n == 2 && f.first == 5 && f.last == 6, "the frame keeps its "
	    "two entries, seqs 5..6");
	n = read_all(f.buf, f.len, got, 8, &err);
	tap_ok(err == NULL && n == 2 && got[0].seq == 5 &&
	    got[0].kind == STORE_CHANGE_COUNT && got[0].len == 3 &&
	    memcmp(got[0].p, "abc", 3) == 0 && got[1].seq == 6 &&
	    got[1].len == 0, "read back as written");
	cframe_reset(&f);
	tap_int(cframe_add(&f, 10, STORE_CHANGE_RECORD, big, sizeof(big)), 0,
	    "an entry larger than the frame goes alone");
	tap_int(cframe_add(&f, 11, STORE_CHANGE_COUNT, "a", 1), 1, "... and "
	    "nothing joins it");
	cframe_reset(&f);
	cframe_add(&f, 1, STORE_CHANGE_COUNT, "one", 3);
	cframe_add(&f, 2, STORE_CHANGE_EVENT, "two!", 4);
	cframe_add(&f, 3, STORE_CHANGE_SUPPRESS, "three", 5);
	for (cut = 0; cut < f.len; cut++) {
		copy = malloc(cut ? cut : 1);
		memcpy(copy, f.buf, cut);
		n = read_all(copy, cut, got, 8, &err);
		for (i = 0; i < n; i++)
			if (got[i].p + got[i].len > copy + cut)
				overrun++;
		if (cut > 0 && cut != 16 && cut != 33 && err == NULL)
			bad++;
		free(copy);
	}
	tap_int(overrun, 0, "every truncation: no entry reaches past the end");
	tap_int(bad, 0, "every truncation inside an entry is an error");
	copy = malloc(f.len);
	memcpy(copy, f.buf, f.len);
	copy[16 + 7] = 1;		/* the second entry's seq: 1 again */
	read_all(copy, f.len, got, 8, &err);
	tap_ok(err != NULL && strstr(err, "order") != NULL, "seqs out of "
	    "order: %s", err ? err : "(none)");
	memcpy(copy, f.buf, f.len);
	copy[8] = 0x7f;
	read_all(copy, f.len, got, 8, &err);
	tap_ok(err != NULL && strstr(err, "kind") != NULL, "unknown kind: %s",
	    err ? err : "(none)");
	memcpy(copy, f.buf, f.len);
	copy[9] = 0xff;
	n = read_all(copy, f.len, got, 8, &err);
	tap_ok(err != NULL && n == 0, "a length past the end: %s",
	    err ? err : "(none)");
	memcpy(copy, f.buf, f.len);
	copy[7] = 0;
	read_all(copy, f.len, got, 8, &err);
	tap_ok(err != NULL, "seq 0 is refused");
	free(copy);
	cframe_free(&f);
	return tap_done();
}
